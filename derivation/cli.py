"""kl-derive's command line: a thin layer over the ``derivation`` package (run through the top-level ``cli.py``).

Each command parses its options, calls the library and writes the result. Every error a user can
cause is reported as one line on stderr with exit code 2 (a step the checker rejects: exit 1).
"""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import sys

import click

from . import CASES, FORMATS, __version__, verify
from .api import verify_code
from .audit import MAX_SAMPLES, REPORT_FORMATS, SAMPLES, TOLERANCE, audit
from .build import build
from .cases.bundles import BUNDLES
from .cases.catalogue import describe_setting
from .core.errors import DerivationError, StepRejected
from .document import write_document
from .interpret.parse import claim_syntax, spec_forms
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
    click.echo("Bundles, one book or slide deck of several cases (kl-derive derive BUNDLE -f latex|beamer|markdown):")
    for name, bundle in BUNDLES.items():
        click.echo(f"{name:<{width}}  {bundle.summary}: {', '.join(bundle.cases)}")
    forms = spec_forms()
    family_width, written_width = (max(len(form[i]) for form in forms) for i in (0, 1))
    click.echo("\nFamilies (specs for --q and --p):")
    for family, written, kinds in forms:
        click.echo(f"  {family:<{family_width}}  {written:<{written_width}}  {kinds}")
    click.echo("\nPairs derived, KL(q || p) (kl-derive derive --q Q --p P):")
    for q, p in derivable_pairs():
        click.echo(f"  {q} || {p}")


_SPEC_HELP = ("e.g. 'Normal(mu, logvar=w)', 'Normal(0, 1)', 'DiagNormal(m, s, dim=d)', 'MvNormal(m, cov=S, dim=k)', "
              "'Laplace(m, b)', 'Exponential(l)', 'Gamma(a, rate=b)'")


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
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes deriving a bundle's chapters (default: the number of CPUs); the document is the same.")
def derive_command(case: str | None, q: str | None, p: str | None, fmt: str | None, output: str,
                   template: str | None, notation: tuple[str, ...], steps: str, dim: str | None, route: str | None,
                   figures: bool, jobs: int | None) -> None:
    """Derive CASE (or KL(q || p) for --q SPEC --p SPEC) step by step, check every step, write the document."""
    if fmt is None:
        fmt = ("latex" if case in BUNDLES else
               "text" if output == "-" and sys.stdout.isatty() and template is None else "markdown")
    write_document(output, fmt, case=case, q=q, p=p, notation=parse_notation(notation) if notation else None,
                   template=template, steps=steps, figures=figures, dim=dim, route=route, jobs=jobs)


@main.command("build")
@click.option("--out", "out", default="build", show_default=True, metavar="DIR", help="Directory to write into.")
@click.option("--formats", default=None, metavar="A,B,...", help=f"Formats (default all: {', '.join(FORMATS)}).")
@click.option("--cases", default=None, metavar="A,B,...",
              help=f"Cases (default all: {', '.join(CASES)}), and pairs of families (laplace-laplace, ...; "
                   "'families' for every pair; `kl-derive list` shows them).")
def build_command(out: str, formats: str | None, cases: str | None) -> None:
    """Write every case and pair of families in every format into DIR, with an index.md linking them."""
    progress = (lambda line: click.echo(line, err=True)) if sys.stderr.isatty() else None
    report = build(out, cases=None if cases is None else cases.split(","),
                   formats=None if formats is None else formats.split(","), progress=progress)
    for document, reason in report.failed:
        click.echo(f"kl-derive: failed: {document}: {reason}", err=True)
    if not report.ok:
        raise SystemExit(1)


@main.command("verify")
@click.option("--q", "q", metavar="SPEC", help=f"The first density: {_SPEC_HELP}.")
@click.option("--p", "p", metavar="SPEC", help="The second density.")
@click.option("--claim", metavar="EXPR",
              help="A formula for KL(q || p): Python, NumPy, PyTorch or LaTeX syntax, in the specs' symbols "
                   "(several lines: a function body, read as --code).")
@click.option("--code", "code", metavar="FILE[:FUNCTION]",
              help="A loss function (Python/PyTorch/NumPy/JAX/Keras; parsed, never run): is its KL term KL(q || p) "
                   "per example, its batch mean or its batch sum, with p = N(0, I)? With --q and --p of another "
                   "family (Bernoulli, Laplace, Gamma, ...): is it KL(q || p) entry by entry, in the specs' names?")
@click.option("--q-params", "q_params", metavar="MEAN,PARAM[:KIND]",
              help="With --code: the encoder's two outputs, e.g. mu,logvar or m,s:log_std (KIND: logvar, log_std, "
                   "std, var); by default read from the names.")
@click.option("--latent-dim", "latent_dim", type=int, default=-1, show_default=True,
              help="With --code: the latent axis of the encoder's outputs (the other one is the batch).")
@click.option("--loss", "as_loss", is_flag=True,
              help="With --code: the returned value is one objective (reconstruction + KL): check the two terms "
                   "are reduced and weighted alike.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.pass_context
def verify_command(ctx: click.Context, q: str | None, p: str | None, claim: str | None, code: str | None,
                   q_params: str | None, latent_dim: int, as_loss: bool, as_json: bool) -> None:
    """Decide whether EXPR equals KL(q || p) for every admissible parameter value, or (--code) whether a loss
    function's KL term is KL(q || p) per example, its batch mean or its batch sum.

    Exit status: 0 it holds, 1 it does not (with a counterexample or the slip), 3 undecided, 2 invalid input.
    """
    if code is not None or (claim is not None and _is_code(claim)):
        if code is not None and claim is not None:
            raise click.UsageError("give --code or --claim, not both")
        source, function = _code_source(code) if code is not None else (_as_function(claim or ""), None)
        result = verify_code(source, function, q=q, p=p, q_params=q_params, latent_dim=latent_dim, loss=as_loss)
        click.echo(json.dumps(result.as_dict()) if as_json else result.describe())
        ctx.exit(result.exit_code)
    code_only = [name for name, given in (("--q-params", q_params is not None), ("--latent-dim", latent_dim != -1),
                                          ("--loss", as_loss)) if given]
    if code_only:
        raise click.UsageError(f"{code_only[0]} applies to --code (a loss function), not to a formula")
    missing = [name for name, value in (("--q", q), ("--p", p), ("--claim", claim)) if value is None]
    if missing:
        raise click.UsageError(f"missing option {missing[0]} (or give --code FILE)")
    verdict = verify(q=q, p=p, claim=claim)
    click.echo(json.dumps(verdict.as_dict()) if as_json else verdict.describe())
    ctx.exit(verdict.exit_code)


#: Largest loss file read by --code, in bytes.
MAX_CODE_BYTES = 200_000


def _code_source(spec: str) -> tuple[str, str | None]:
    """The source text and function name of ``FILE[:FUNCTION]``."""
    path, function = spec, None
    head, sep, tail = spec.rpartition(":")
    if sep and head and all(part.isidentifier() for part in tail.split(".")):
        path, function = head, tail
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CODE_BYTES + 1)
    except OSError as error:
        raise click.UsageError(f"--code: cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_CODE_BYTES:
        raise click.UsageError(f"--code: {path} is larger than {MAX_CODE_BYTES} bytes")
    try:
        return data.decode("utf-8"), function
    except UnicodeDecodeError:
        raise click.UsageError(f"--code: {path} is not UTF-8 text") from None


#: A line of a function body: an assignment, an update, a return, or a definition.
_CODE_LINE = re.compile(r"^[ \t]*(?:[A-Za-z_][A-Za-z0-9_, ]*(?:=|\+=|-=|\*=|/=)(?!=)|return\b|def\s|class\s)",
                        re.MULTILINE)


def _is_code(claim: str) -> bool:
    """Whether a --claim of several lines is a function body (or a definition), not one formula over lines."""
    return "\n" in claim.strip() and claim_syntax(claim) == "python" and bool(_CODE_LINE.search(claim))


def _as_function(claim: str) -> str:
    """A several-line claim as a function: its lines are the body, the last one returned if it is an expression."""
    if re.search(r"^[ \t]*(def|class)\s", claim, re.MULTILINE):
        return claim
    lines = [line for line in claim.strip("\n").splitlines() if line.strip()]
    indent = min(len(line) - len(line.lstrip()) for line in lines)
    body = [line[indent:] for line in lines]
    last = body[-1]
    if not last.startswith("return") and "=" not in last.split("(")[0]:
        body[-1] = f"return {last}"
    return "def claim():\n" + "\n".join(f"    {line}" for line in body) + "\n"


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
        gc.enable()  # (cli.py turned it off while the modules loaded)
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

