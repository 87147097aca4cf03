"""Data formats built from the render context: a Jupyter notebook (nbformat 4) and a JSON document."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sympy import Basic, Function
from sympy.core.function import AppliedUndef, UndefinedFunction
from sympy.printing.repr import ReprPrinter

NBFORMAT, NBFORMAT_MINOR = 4, 5


class SharedRepr(ReprPrinter):
    """``srepr(expr, order="none")``, each node printed once per printer (memoised by identity).

    The lines of a derivation written out at d = N share their pieces (each coordinate's term recurs from
    line to line), so a document's lines cost about as much as their distinct pieces: linear in N. The
    printing method is chosen once per node type, as SymPy's ``Printer._print`` chooses it. The text is
    SymPy's own ``srepr``, character for character.
    """

    def __init__(self) -> None:
        super().__init__({"order": "none"})
        self._known: dict[int, tuple[Basic, str]] = {}
        self._methods: dict[type, Callable[[Any], str]] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if kwargs or not isinstance(expr, Basic):
            return super()._print(expr, **kwargs)
        known = self._known.get(id(expr))
        if known is not None and known[0] is expr:
            return known[1]
        method = self._methods.get(type(expr))
        if method is None:
            method = self._methods[type(expr)] = self._method(type(expr))
        text = method(expr)
        self._known[id(expr)] = (expr, text)  # the node is kept alive, so its id is not reused meanwhile
        return text

    def _method(self, kind: type) -> Callable[[Any], str]:
        """What ``Printer._print`` calls for a node of type ``kind`` (its own ``_sympyrepr``, else the
        ``_print_<Class>`` method of the first class in its MRO that has one, else the empty printer)."""
        if hasattr(kind, self.printmethod):
            return lambda expr: super(SharedRepr, self)._print(expr)
        classes = kind.__mro__
        if AppliedUndef in classes:
            classes = classes[classes.index(AppliedUndef):]
        if UndefinedFunction in classes:
            classes = classes[classes.index(UndefinedFunction):]
        if Function in classes:
            i = classes.index(Function)
            classes = tuple(c for c in classes[:i] if c.__name__ == classes[0].__name__ or
                            c.__name__.endswith("Base")) + classes[i:]
        for cls in classes:
            method = getattr(self, "_print_" + cls.__name__, None)
            if method is not None:
                return method
        return self.emptyPrinter


def _markdown(index: int, source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": f"md-{index}", "metadata": {}, "source": source}


def _code(index: int, source: str) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": None, "id": f"code-{index}", "metadata": {},
            "outputs": [], "source": source}


def derive_call(options: dict[str, Any]) -> str:
    """The Python call that rebuilds the derivation: ``derive("case", ...)`` with literal arguments only."""
    arguments = []
    if "case" in options:
        arguments.append(repr(options["case"]))
    for key in ("q", "p", "dim", "route"):
        if options.get(key) is not None:
            arguments.append(f"{key}={options[key]!r}")
    if options.get("notation"):
        items = [f"{k}={v}" for k, v in options["notation"].items()]
        arguments.append(f"notation=parse_notation({items!r})")
    return f"derive({', '.join(arguments)})"


def _step_markdown(step: dict[str, Any], lhs: str) -> str:
    used = "".join(f" ${identity}$" for identity in step["identities"])
    return (f"**{step['number']}. {step['title']}.** {step['cited']}{used}\n\n"
            f"$$\n{lhs} = {step['latex']}\n$$")


def notebook(ctx: dict[str, Any]) -> str:
    """A notebook: the document as Markdown cells (one per step) and code cells that rebuild and check it."""
    cells: list[dict[str, Any]] = []
    setting = ", ".join(f"${d}$" for d in ctx["densities"])
    assumptions = ", ".join(f"${a}$" for a in ctx["assumptions"])
    cells.append(_markdown(len(cells), f"# {ctx['title']}\n\n{ctx['description']}\n\n"
                                       f"**Setting.** {setting}, with {assumptions}."))
    imports = "from derivation import derive, render\n"
    if ctx["options"].get("notation"):
        imports += "from derivation.settings.univariate import parse_notation\n"
    cells.append(_code(len(cells), f"{imports}\nd = {derive_call(ctx['options'])}  # every step is checked as it is "
                                   f"made\nassert d.verified\n[step.rule for step in d.steps]"))
    for i, step in enumerate(ctx["steps"]):
        cells.append(_markdown(len(cells), _step_markdown(step, ctx["lhs"] if i == 0 else "")))
    cells.append(_markdown(len(cells), f"**Result.**\n\n$$\n{ctx['statement']}\n$$"))
    cells.append(_code(len(cells), "d.result  # the closed form, a SymPy expression"))
    for section in ctx["sections"]:
        facts = "".join(f"\n- ${f['latex']}$" + (f" — {f['text']}" if f["text"] else "") for f in section["facts"])
        listing = f"\n\n```python\n{section['listing']}\n```" if section.get("listing") else ""
        cells.append(_markdown(len(cells), f"## {section['title']}\n\n{section['text']}{listing}{facts}"
                                           f"{markdown_table(section.get('table'))}"))
    for lemma in ctx["lemmas"]:
        lines = [f"### Lemma {lemma['number']} ({lemma['title']})\n\n${lemma['statement']}$"]
        lines += [_step_markdown(s, lemma["lhs"] if j == 0 else "") for j, s in enumerate(lemma["steps"])]
        cells.append(_markdown(len(cells), "\n\n".join(lines)))
    cells.append(_code(len(cells), "[(check.index + 1, check.method, check.detail) for check in d.checks]"))
    document = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "kl_derive": {"case": ctx["case"], "version": ctx["version"]},
        },
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def markdown_table(table: dict[str, Any] | None) -> str:
    """A section's table as a Markdown table (empty for none), its cells as inline math."""
    if not table:
        return ""
    rows = [f"| {' | '.join(table['header'])} |", "|" + "---|" * len(table["header"])]
    rows += [f"| {row['label']} | " + " | ".join(f"${c}$" for c in row["cells"]) + " |" for row in table["rows"]]
    return "\n\n" + "\n".join(rows) + (f"\n\n{table['caption']}" if table["caption"] else "")


def json_document(ctx: dict[str, Any]) -> str:
    """The derivation for tools: case, assumptions, and per step the rule, prose, LaTeX, srepr and check."""

    def steps(chain_steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # the justification as the documents print it: citing its lemmas by number ("Lemma 2"), never "below"
        return [{key: s["cited" if key == "justification" else key]
                 for key in ("number", "rule", "title", "justification", "latex", "srepr", "identities", "lemmas",
                             "label", "check")} for s in chain_steps]

    document = {
        "kl_derive": ctx["version"],
        "case": ctx["case"],
        "title": ctx["title"],
        "options": ctx["options"],
        "setting": ctx["densities"],
        "assumptions": ctx["assumptions"],
        "start": ctx["lhs"],
        "steps": steps(ctx["steps"]),
        "result": {"latex": ctx["result"], "srepr": ctx["result_srepr"]},
        "lemmas": [{"number": lm["number"], "title": lm["title"], "statement": lm["statement"],
                    "steps": steps(lm["steps"])} for lm in ctx["lemmas"]],
        "sections": [{"key": s["key"], "title": s["title"], "text": s["text"],
                      "facts": s["facts"], **({"listing": s["listing"]} if s.get("listing") else {}),
                      **({"table": s["table"]} if s.get("table") else {})}
                     for s in ctx["sections"]],
        "checks": ctx["checks"],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
