#!/usr/bin/env python
"""Whole-process timings of kl-derive commands as ratios of the import floor, measured in one run.

    python bench/run.py                 # every target, median of 5 runs each
    python bench/run.py --repeat 9 univariate-markdown
    python bench/run.py --checkout      # this checkout's cli.py instead of the installed kl-derive

The floor is ``python -c "import sympy, jinja2, click"``; each target's median wall time is divided
by the floor's median measured in the same run (runs are interleaved, so machine noise hits both).
Every command runs with Python's bytecode cache on (kept in a temporary directory, never in the checkout, even
where ``PYTHONDONTWRITEBYTECODE`` is set): the floor's modules are installed with their bytecode, and so is an
installed kl-derive; without it a ``--checkout`` run would time compiling the package's source every time.
This is a measurement, not a test: it prints a table and exits 1 if a ratio exceeds its target (or, for the
targets in ``SECONDS``, the median time exceeds its limit in seconds).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = [sys.executable, "-c", "import sympy, jinja2, click"]


def kl_derive(checkout: bool = False) -> list[str]:
    """The installed console script if there is one (and not ``checkout``), else the checkout's cli.py."""
    script = None if checkout else shutil.which("kl-derive")
    return [script] if script else [sys.executable, str(Path(__file__).resolve().parent.parent / "cli.py")]


#: name -> (arguments after kl-derive, target ratio, issue)
TARGETS: dict[str, tuple[list[str], float, str]] = {
    "univariate-markdown": (["derive", "univariate", "--format", "markdown", "-o", "{out}/u.md"], 2.0, "#2"),
    "standard-latex": (["derive", "standard", "--format", "latex", "-o", "{out}/s.tex"], 2.0, "#2"),
    "diagonal-1024-markdown": (["derive", "diagonal", "--dim", "1024", "--format", "markdown", "-o", "{out}/d.md"],
                               3.0, "#3"),
    "full-markdown": (["derive", "full", "--format", "markdown", "-o", "{out}/f.md"], 2.5, "#3"),
    "vae-markdown": (["derive", "vae", "--format", "markdown", "-o", "{out}/v.md"], 2.5, "#3"),
    # every case, every format, the lecture bundle; issue 6's limit, set when a build was the six Gaussian cases
    "build-all": (["build", "--out", "{out}/build"], 5.0, "#6"),
    # issue 9's bar on the documents it was set for: the six Gaussian cases in every format
    "build-gaussian": (["build", "--out", "{out}/build-g", "--cases", "univariate,standard,dynamics,full,diagonal,vae"],
                       5.0, "#9"),
    # issue 13 item 5: the lecture bundle alone (its five or six cases derived once, two figure sets), as one book
    "vae-lecture-latex": (["derive", "vae-lecture", "--format", "latex", "-o", "{out}/lecture.tex"], 5.0, "#13"),
    "verify-univariate": (["verify", "--q", "Normal(mu, logvar=lv)", "--p", "Normal(0, 1)",
                           "--claim", "-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())"], 2.0, "#5"),
    "verify-diagonal": (["verify", "--q", "DiagNormal(mu, logvar=lv, dim=d)", "--p", "DiagNormal(0, 1, dim=d)",
                         "--claim", "-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())"], 3.0, "#5"),
    # a 20-line PyTorch module's loss (--loss: reconstruction and KL checked together), read and decided
    "verify-code": (["verify", "--code", str(Path(__file__).resolve().parent.parent / "tests" / "data" / "losses" /
                                             "module_20_lines.py"), "--loss"], 2.5, "#14"),
    # issue 14: another family's KL code (Gamma, torch.lgamma/digamma) read and decided against the derived pair
    "verify-family-code": (["verify", "--code", str(Path(__file__).resolve().parent.parent / "tests" / "data" /
                                                    "losses" / "family_kl.py") + ":gamma_kl",
                            "--q", "Gamma(a1, rate=b1)", "--p", "Gamma(a2, rate=b2)"], 2.5, "#14"),
    # issue 14: categorical code in logits against the uniform prior (a Gumbel-softmax VAE's KL term, proved)
    "verify-categorical-code": (["verify", "--code", str(Path(__file__).resolve().parent.parent / "tests" / "data" /
                                                         "losses" / "categorical_kl.py") + ":gumbel_softmax_kl",
                                 "--q", "Categorical(logits=logits, dim=K)", "--p", "Categorical(1/K, K)"], 2.5,
                                "#14"),
    "custom-diagonal-markdown": (["derive", "--q", "DiagNormal(mu, logvar=lv, dim=d)", "--p",
                                  "DiagNormal(0, 1, dim=d)", "--format", "markdown", "-o", "{out}/c.md"], 3.0, "#5"),
    # figures included: three PNGs written next to the document
    "dynamics-markdown": (["derive", "dynamics", "--format", "markdown", "-o", "{out}/d.md"], 4.0, "#4"),
    # issue 13: the ELBO cases (the linear-Gaussian one with its two figures)
    "elbo-markdown": (["derive", "elbo", "--format", "markdown", "-o", "{out}/elbo.md"], 3.0, "#13"),
    "elbo-linear-gaussian-markdown": (["derive", "elbo-linear-gaussian", "--no-figures", "--format", "markdown",
                                       "-o", "{out}/elg.md"], 3.0, "#13"),
    # figures included: two PNGs (as dynamics-markdown, the drawing process's start-up is in the time)
    "elbo-linear-gaussian-figures": (["derive", "elbo-linear-gaussian", "--format", "markdown", "-o",
                                      "{out}/elg-f.md"], 4.0, "#13"),
    "reconstruction-markdown": (["derive", "reconstruction", "--format", "markdown", "-o", "{out}/r.md"], 3.0,
                                "#13"),
    # one figure (a PNG) written next to the document
    "estimators-markdown": (["derive", "estimators", "--format", "markdown", "-o", "{out}/e.md"], 3.0, "#13"),
    # issue 12: one exponential family in general (the Bregman divergence), and each family derived from it
    "exponential-family-markdown": (["derive", "exponential-family", "--format", "markdown", "-o", "{out}/ef.md"],
                                    2.5, "#12"),
    # one family derivation each from its definition, with derived lemmas (issue 12: <= 2.5x the floor)
    "exponential-markdown": (["derive", "--q", "Exponential(l1)", "--p", "Exponential(l2)", "--format", "markdown",
                              "-o", "{out}/e.md"], 2.5, "#12"),
    "gamma-markdown": (["derive", "--q", "Gamma(2, rate=3)", "--p", "Gamma(1, rate=1)", "--format", "markdown",
                        "-o", "{out}/g.md"], 2.5, "#12"),
    # issue 12: discrete families (a series over the counts; logits through a checked parameterisation)
    "poisson-markdown": (["derive", "--q", "Poisson(2)", "--p", "Poisson(3)", "--format", "markdown",
                          "-o", "{out}/poisson.md"], 2.5, "#12"),
    "bernoulli-logits-markdown": (["derive", "--q", "Bernoulli(logits=l1)", "--p", "Bernoulli(logits=l2)",
                                   "--format", "markdown", "-o", "{out}/bernoulli.md"], 2.5, "#12"),
    # issue 12: binomial laws of one count by name (a finite sum up to n), in logits
    "binomial-logits-markdown": (["derive", "--q", "Binomial(n, logits=l1)", "--p", "Binomial(n, logits=l2)",
                                  "--format", "markdown", "-o", "{out}/binomial.md"], 2.5, "#12"),
    # issue 12: an infinite pair through a parameterisation (its +oo line is checked by the support argument only)
    "poisson-binomial-logits-markdown": (["derive", "--q", "Poisson(r)", "--p", "Binomial(7, logits=l)", "--format",
                                          "markdown", "-o", "{out}/poisson-binomial.md"], 2.5, "#12"),
    # issue 12: the half-normal family (the second moment derived by parts down to the Gaussian integral)
    "halfnormal-markdown": (["derive", "--q", "HalfNormal(s1)", "--p", "HalfNormal(s2)", "--format", "markdown",
                             "-o", "{out}/halfnormal.md"], 2.5, "#12"),
    # issue 12: the uniform family (its support depends on its parameters: derived under q's inside p's)
    "uniform-markdown": (["derive", "--q", "Uniform(a1, b1)", "--p", "Uniform(a2, b2)", "--format", "markdown",
                          "-o", "{out}/uniform.md"], 2.5, "#12"),
    # issue 12: cross-family pairs (a lemma with the error function; the split at a point)
    "normal-laplace-markdown": (["derive", "--q", "Normal(m, s)", "--p", "Laplace(b, c)", "--format", "markdown",
                                 "-o", "{out}/normal-laplace.md"], 2.5, "#12"),
    "laplace-normal-markdown": (["derive", "--q", "Laplace(m, b)", "--p", "Normal(mu, s)", "--format", "markdown",
                                 "-o", "{out}/laplace-normal.md"], 2.5, "#12"),
    "laplace-markdown": (["derive", "--q", "Laplace(m1, b1)", "--p", "Laplace(m2, b2)", "--format", "markdown",
                          "-o", "{out}/laplace.md"], 2.5, "#12"),
    # issue 12: the Pareto family (the expected logarithm integrated by parts; derived under m2 <= m1)
    "pareto-markdown": (["derive", "--q", "Pareto(m1, a1)", "--p", "Pareto(m2, a2)", "--format", "markdown",
                         "-o", "{out}/pareto.md"], 2.5, "#12"),
    # issue 12: the Beta family (two expected logarithms by the Gamma family's lemma, with the Beta integral)
    "beta-markdown": (["derive", "--q", "Beta(a1, b1)", "--p", "Beta(a2, b2)", "--format", "markdown",
                       "-o", "{out}/beta.md"], 2.5, "#12"),
    "exponential-gamma-markdown": (["derive", "--q", "Exponential(l)", "--p", "Gamma(a, rate=b)", "--format",
                                    "markdown", "-o", "{out}/exponential-gamma.md"], 2.5, "#12"),
    # issue 12: categorical laws over K categories by name, in logits (the log-softmax form, checked on the simplex)
    "categorical-logits-markdown": (["derive", "--q", "Categorical(logits=a, dim=K)", "--p",
                                     "Categorical(logits=b, dim=K)", "--format", "markdown",
                                     "-o", "{out}/categorical.md"], 2.5, "#12"),
    # issue 12: Uniform-Beta (the expected logarithms as lemmas, x log x finite at the ends)
    "uniform-beta-markdown": (["derive", "--q", "Uniform(a, b)", "--p", "Beta(a2, b2)", "--format", "markdown",
                               "-o", "{out}/uniform-beta.md"], 2.5, "#12"),
    # issue 12: the Gumbel family (mean and exponential moment by the substitution u = exp(-(x - mu)/beta))
    "gumbel-markdown": (["derive", "--q", "Gumbel(m1, b1)", "--p", "Gumbel(m2, b2)", "--format", "markdown",
                         "-o", "{out}/gumbel.md"], 2.5, "#12"),
    "gumbel-normal-markdown": (["derive", "--q", "Gumbel(m, b)", "--p", "Normal(mu, s)", "--format", "markdown",
                                "-o", "{out}/gumbel-normal.md"], 2.5, "#12"),
    "normal-gumbel-markdown": (["derive", "--q", "Normal(m, s)", "--p", "Gumbel(mu, b)", "--format", "markdown",
                                "-o", "{out}/normal-gumbel.md"], 2.5, "#12"),
    # issue 12: exponential and uniform laws against a Gaussian (the second moment about its mean)
    "exponential-normal-markdown": (["derive", "--q", "Exponential(l)", "--p", "Normal(mu, s)", "--format",
                                     "markdown", "-o", "{out}/exponential-normal.md"], 2.5, "#12"),
    "uniform-normal-markdown": (["derive", "--q", "Uniform(a, b)", "--p", "Normal(mu, s)", "--format", "markdown",
                                 "-o", "{out}/uniform-normal.md"], 2.5, "#12"),
    # issue 12: the Dirichlet family (each coordinate's expected logarithm from its Beta marginal; checked by
    # quadrature over the simplex at K = 2 and 3)
    "dirichlet-markdown": (["derive", "--q", "Dirichlet(a, K)", "--p", "Dirichlet(b, K)", "--format", "markdown",
                            "-o", "{out}/dirichlet.md"], 2.5, "#12"),
    # issue 12: cross pairs by the shared plan of the laws' moments (expected-log lemmas; mean, variance as data)
    "gamma-normal-markdown": (["derive", "--q", "Gamma(a, rate=r)", "--p", "Normal(mu, s)", "--format", "markdown",
                               "-o", "{out}/gamma-normal.md"], 2.5, "#12"),
    "beta-gamma-markdown": (["derive", "--q", "Beta(a, b)", "--p", "Gamma(a2, rate=r)", "--format", "markdown",
                             "-o", "{out}/beta-gamma.md"], 2.5, "#12"),
    "uniform-gamma-markdown": (["derive", "--q", "Uniform(a, b)", "--p", "Gamma(a2, rate=r)", "--format",
                                "markdown", "-o", "{out}/uniform-gamma.md"], 2.5, "#12"),
    "pareto-normal-markdown": (["derive", "--q", "Pareto(m, a)", "--p", "Normal(mu, s)", "--format", "markdown",
                                "-o", "{out}/pareto-normal.md"], 2.5, "#12"),
    # every pair at the default 100 points, against the quadrature reference (and torch when installed)
    "audit": (["audit", "-o", "{out}/audit.md"], 0.0, "#12"),
}

#: Targets whose limit is in seconds of wall time (CPU time with --cpu), as their issue states it, not a ratio.
SECONDS: dict[str, float] = {"audit": 60.0}

#: ``--dim 10000`` (the limit) in every format: the cost grows linearly with N, and the code formats stay
#: short modules (the sum over the coordinates is folded back, not written out). Limits: measured, with margin.
LIMIT_10000 = {"markdown": 10.0, "latex": 10.0, "latex-fragment": 14.0, "beamer": 14.0, "ipynb": 10.0, "json": 12.0,
               "text": 10.0, "python": 7.0, "torch": 7.0}
TARGETS.update({
    f"diagonal-10000-{fmt}": (["derive", "diagonal", "--dim", "10000", "--format", fmt, "-o", f"{{out}}/d10000-{fmt}"],
                              limit, "#10")
    for fmt, limit in LIMIT_10000.items()
})


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command`` (in ``env``, if given)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help=f"a subset of: {', '.join(TARGETS)}")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--checkout", action="store_true", help="run this checkout's cli.py, not the installed script")
    parser.add_argument("--cpu", action="store_true",
                        help="judge the CPU-time ratios (user + system) instead of wall time: for a busy machine")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))}")
    chosen = args.targets or list(TARGETS)
    base = kl_derive(args.checkout)
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as bytecode:
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = bytecode
        commands = {name: base + [a.format(out=out) for a in TARGETS[name][0]] for name in chosen}
        timed(FLOOR, env)
        for command in commands.values():  # warm the file and bytecode caches and check each command works
            timed(command, env)
        floor: list[tuple[float, float]] = []
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in chosen}
        for _ in range(args.repeat):
            floor.append(timed(FLOOR, env))
            for name, command in commands.items():
                times[name].append(timed(command, env))
    floor_wall, floor_cpu = (statistics.median(t[i] for t in floor) for i in (0, 1))
    print(f"import floor (median of {args.repeat}): {floor_wall:.3f} s, cpu {floor_cpu:.3f} s   "
          f"[{' '.join(FLOOR[1:])}]")
    print(f"{'target':<30} {'median s':>9} {'ratio':>7} {'cpu s':>7} {'cpu ratio':>9} {'limit':>7}  issue")
    failed = False
    for name in chosen:
        wall, cpu = (statistics.median(t[i] for t in times[name]) for i in (0, 1))
        ratio, cpu_ratio = wall / floor_wall, cpu / floor_cpu
        limit, issue = TARGETS[name][1], TARGETS[name][2]
        if name in SECONDS:
            over = (cpu if args.cpu else wall) > SECONDS[name]
            shown = f"{SECONDS[name]:.0f} s"
        else:
            over = (cpu_ratio if args.cpu else ratio) > limit
            shown = f"{limit:.1f}"
        failed |= over
        print(f"{name:<30} {wall:>9.3f} {ratio:>7.2f} {cpu:>7.3f} {cpu_ratio:>9.2f} {shown:>7}  {issue}"
              f"{'  OVER' if over else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
