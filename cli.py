"""kl-derive's command line: a thin layer over the ``derivation`` package.

Each command parses its options, calls the library and writes the result. Every error a user can
cause is reported as one line on stderr with exit code 2 (a step the checker rejects: exit 1).
"""

from __future__ import annotations

import gc
import stat
import sys
from pathlib import Path

import click

from derivation import CASES, FORMATS, __version__, derive, render
from derivation.cases import describe_setting
from derivation.errors import DerivationError, StepRejected
from derivation.figures import FigureWorker, without_figures
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
@click.option("--figures/--no-figures", default=True, show_default=True,
              help="Write the document's figures next to FILE (PNG for Markdown, PDF for LaTeX). "
                   "Documents written to stdout have no figures.")
def derive_command(case: str, fmt: str, output: str, figures: bool) -> None:
    """Derive CASE step by step, check every step, and write the document."""
    if fmt not in FORMATS:
        raise DerivationError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    directory = figure_directory(output) if figures else None
    if directory is None or case not in CASES or not CASES[case].figures:
        write_text(render(without_figures(derive(case)), fmt), output)
        return
    with FigureWorker() as worker:  # starts importing matplotlib while the derivation runs
        derivation = derive(case)
        worker.write(derivation, directory, (FORMATS[fmt].figure_format,))
        text = render(derivation, fmt)
        worker.wait()
        write_text(text, output)


def figure_directory(output: str) -> Path | None:
    """Where figures go: next to a document written to a (new or regular) file; nowhere for stdout or devices."""
    if output == "-":
        return None
    path = Path(output)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    return path.parent


def run(argv: list[str] | None = None) -> int:
    """Entry point of the ``kl-derive`` script: one-line errors, exit 2 for bad input."""
    try:
        return _run(argv)
    finally:
        if argv is None:  # the script: the process ends now, so spare it collecting SymPy's object graph at exit
            gc.freeze()


def _run(argv: list[str] | None) -> int:
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
