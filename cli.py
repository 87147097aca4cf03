"""kl-derive's command line: a thin layer over the ``derivation`` package.

Each command parses its options, calls the library and writes the result. Every error a user can
cause is reported as one line on stderr with exit code 2 (a step the checker rejects: exit 1).
"""

from __future__ import annotations

import sys

import click

from derivation import CASES, FORMATS, __version__, derive, render
from derivation.cases import describe_setting
from derivation.errors import DerivationError, StepRejected
from derivation.output import write_text

EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="kl-derive")
def main() -> None:
    """Step-by-step, verified derivations of the KL divergence between Gaussians."""


@main.command("list")
def list_cases() -> None:
    """List the named cases with a one-line description each."""
    width = max(len(name) for name in CASES)
    for name, case in CASES.items():
        click.echo(f"{name:<{width}}  {case.summary}: {describe_setting(case)}")


@main.command("derive")
@click.argument("case")
@click.option("--format", "-f", "fmt", default="markdown", show_default=True, metavar="FORMAT",
              help=f"Output format: {', '.join(FORMATS)}.")
@click.option("--output", "-o", default="-", show_default=True, metavar="FILE",
              help="Where to write the document ('-' for stdout).")
@click.option("--dim", default=None, metavar="N",
              help="A concrete dimension (a positive integer) for the cases that take one; every term is written out.")
@click.option("--route", default=None, metavar="ROUTE",
              help="Which derivation to follow, for the cases that have several (default: the first).")
def derive_command(case: str, fmt: str, output: str, dim: str | None, route: str | None) -> None:
    """Derive CASE step by step, check every step, and write the document."""
    if fmt not in FORMATS:
        raise DerivationError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    derivation = derive(case, dim=dim, route=route)
    write_text(render(derivation, fmt), output)


def run(argv: list[str] | None = None) -> int:
    """Entry point of the ``kl-derive`` script: one-line errors, exit 2 for bad input."""
    try:
        main.main(args=argv, prog_name="kl-derive", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.Abort:
        click.echo("kl-derive: aborted", err=True)
        return 1
    except click.ClickException as error:
        click.echo(f"kl-derive: error: {error.format_message()}", err=True)
        return EXIT_USAGE
    except StepRejected as error:
        click.echo(f"kl-derive: a step failed verification: {error}", err=True)
        return 1
    except DerivationError as error:
        click.echo(f"kl-derive: error: {error}", err=True)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(run())
