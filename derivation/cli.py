"""kl-derive's command line: a thin layer over the ``derivation`` package (run through the top-level ``cli.py``).

Each command parses its options, calls the library and writes the result. Every error a user can
cause is reported as one line on stderr with exit code 2 (a step the checker rejects: exit 1).
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys

import click

from . import CASES, FORMATS, __version__, verify
from .audit import MAX_SAMPLES, REPORT_FORMATS, SAMPLES, TOLERANCE, audit
from .build import build
from .cases.catalogue import describe_setting
from .core.errors import DerivationError, StepRejected
from .document import write_document
from .interpret.parse import spec_forms
from .output.files import real_target, write_text
from .pairs.routes import derivable_pairs
from .settings.univariate import parse_notation

EXIT_USAGE = 2
#: The shell's code for a command stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130
#: The shell's code for a command whose reader closed the pipe (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="kl-derive")
def main() -> None:
    """Step-by-step, verified derivations of the KL divergence between Gaussians."""


@main.command("list")
def list_cases() -> None:
    """List the named cases, the families a spec (--q, --p) may be of, and the pairs of families derived."""
    width = max(len(name) for name in CASES)
    click.echo("Named cases (kl-derive derive CASE):")
    for name, case in CASES.items():
        click.echo(f"{name:<{width}}  {case.summary}: {describe_setting(case)}")
    forms = spec_forms()
    family_width, written_width = (max(len(form[i]) for form in forms) for i in (0, 1))
    click.echo("\nFamilies (specs for --q and --p):")
    for family, written, kinds in forms:
        click.echo(f"  {family:<{family_width}}  {written:<{written_width}}  {kinds}")
    click.echo("\nPairs derived, KL(q || p) (kl-derive derive --q Q --p P):")
    for q, p in derivable_pairs():
        click.echo(f"  {q} || {p}")


_SPEC_HELP = ("e.g. 'Normal(mu, logvar=w)', 'Normal(0, 1)', 'DiagNormal(m, s, dim=d)', 'MvNormal(m, cov=S, dim=k)', "
              "'Laplace(m, b)'")


@main.command("derive")
@click.argument("case", required=False)
@click.option("--q", "q", metavar="SPEC", help=f"The first density, instead of a CASE: {_SPEC_HELP}.")
@click.option("--p", "p", metavar="SPEC", help="The second density (with --q).")
@click.option("--format", "-f", "fmt", default=None, metavar="FORMAT",
              help=f"Output format: {', '.join(FORMATS)}. Default: text on a terminal, else markdown.")
@click.option("--output", "-o", default="-", show_default=True, metavar="FILE",
              help="Where to write the document ('-' for stdout).")
@click.option("--template", type=click.Path(dir_okay=False), default=None,
              help="Your own Jinja template (same context as the built-in ones; see the README).")
@click.option("--notation", "notation", multiple=True, metavar="KEY=VALUE",
              help="Rename symbols or pick conventions, e.g. mu=m, letters=p,q, log=ln, expectation=E.")
@click.option("--steps", type=click.Choice(["full", "brief"]), default="full", show_default=True,
              help="full shows every lemma; brief keeps the main chain.")
@click.option("--dim", default=None, metavar="N",
              help="A concrete dimension (a positive integer) for the cases that take one; every term is written out.")
@click.option("--route", default=None, metavar="ROUTE",
              help="Which derivation to follow, for the cases that have several (default: the first).")
@click.option("--figures/--no-figures", default=True, show_default=True,
              help="Write the document's figures next to FILE (PNG for Markdown, PDF for LaTeX). "
                   "Documents written to stdout have no figures.")
def derive_command(case: str | None, q: str | None, p: str | None, fmt: str | None, output: str,
                   template: str | None, notation: tuple[str, ...], steps: str, dim: str | None, route: str | None,
                   figures: bool) -> None:
    """Derive CASE (or KL(q || p) for --q SPEC --p SPEC) step by step, check every step, write the document."""
    if fmt is None:
        fmt = "text" if output == "-" and sys.stdout.isatty() and template is None else "markdown"
    write_document(output, fmt, case=case, q=q, p=p, notation=parse_notation(notation) if notation else None,
                   template=template, steps=steps, figures=figures, dim=dim, route=route)


@main.command("build")
@click.option("--out", "out", default="build", show_default=True, metavar="DIR", help="Directory to write into.")
@click.option("--formats", default=None, metavar="A,B,...", help=f"Formats (default all: {', '.join(FORMATS)}).")
@click.option("--cases", default=None, metavar="A,B,...", help=f"Cases (default all: {', '.join(CASES)}).")
def build_command(out: str, formats: str | None, cases: str | None) -> None:
    """Write every case in every format into DIR, with an index.md linking them."""
    progress = (lambda line: click.echo(line, err=True)) if sys.stderr.isatty() else None
    report = build(out, cases=None if cases is None else cases.split(","),
                   formats=None if formats is None else formats.split(","), progress=progress)
    for document, reason in report.failed:
        click.echo(f"kl-derive: failed: {document}: {reason}", err=True)
    if not report.ok:
        raise SystemExit(1)


@main.command("verify")
@click.option("--q", "q", required=True, metavar="SPEC", help=f"The first density: {_SPEC_HELP}.")
@click.option("--p", "p", required=True, metavar="SPEC", help="The second density.")
@click.option("--claim", required=True, metavar="EXPR",
              help="A formula for KL(q || p): Python, NumPy, PyTorch or LaTeX syntax, in the specs' symbols.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.pass_context
def verify_command(ctx: click.Context, q: str, p: str, claim: str, as_json: bool) -> None:
    """Decide whether EXPR equals KL(q || p) for every admissible parameter value.

    Exit status: 0 it holds, 1 it does not (with a counterexample), 3 undecided, 2 invalid input.
    """
    verdict = verify(q=q, p=p, claim=claim)
    click.echo(json.dumps(verdict.as_dict()) if as_json else verdict.describe())
    ctx.exit(verdict.exit_code)


@main.command("audit")
@click.option("--format", "-f", "fmt", type=click.Choice(list(REPORT_FORMATS)), default="markdown",
              show_default=True, help="The report's format.")
@click.option("--samples", type=click.IntRange(1, MAX_SAMPLES), default=SAMPLES, show_default=True, metavar="N",
              help="Parameter points per pair, edges first (the fixtures take at most 24).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Seed of the random points.")
@click.option("--tolerance", type=click.FloatRange(0, 1, min_open=True), default=TOLERANCE, show_default=True,
              help="Largest error (relative, absolute below 1) that counts as agreement.")
@click.option("--output", "-o", default="-", show_default=True, metavar="FILE",
              help="Where to write the report ('-' for stdout).")
@click.pass_context
def audit_command(ctx: click.Context, fmt: str, samples: int, seed: int, tolerance: float, output: str) -> None:
    """Compare every closed form derived here (and torch's) with the KL integral by quadrature.

    Random parameter points, edges included, for every pair; the historic buggy formulas are audited as
    fixtures that must be flagged. Exit status: 0 all agree (and every fixture is flagged), 1 a disagreement,
    2 invalid input.
    """
    real_target(output)  # an unwritable destination fails before the audit runs
    report = audit(samples=samples, seed=seed, tolerance=tolerance)
    write_text(REPORT_FORMATS[fmt](report), output)
    ctx.exit(report.exit_code)


def run(argv: list[str] | None = None) -> int:
    """Entry point of the ``kl-derive`` script: one-line errors, exit 2 for bad input."""
    if argv is None:  # the process is the command: what it imported (SymPy's large module state) lives as long
        gc.freeze()  # as the process, so the cyclic collector need not rescan it on every collection it runs
    if getattr(signal.getsignal(signal.SIGINT), "__name__", "") == "_interrupted_while_starting":  # cli.py's
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _run(argv)
    finally:
        if argv is None:  # the script: the process ends now, so spare it collecting SymPy's object graph at exit
            gc.freeze()


def _run(argv: list[str] | None) -> int:
    try:
        # click's own main() would turn Ctrl-C into Abort after printing an empty line: invoked directly instead
        with main.make_context("kl-derive", list(sys.argv[1:] if argv is None else argv)) as ctx:
            code = main.invoke(ctx)
    except BrokenPipeError:  # the reader left (`kl-derive list | head -1`): stop quietly, as cat and git do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more reaches the closed pipe
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:  # the processes and temporary files were cleaned up on the way out
        click.echo("kl-derive: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as done:
        return done.exit_code
    except SystemExit as done:
        return int(done.code or 0)
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
    return code if isinstance(code, int) else 0  # ctx.exit(n) arrives here without standalone mode

