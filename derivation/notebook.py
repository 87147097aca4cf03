"""Data formats built from the render context: a Jupyter notebook (nbformat 4) and a JSON document."""

from __future__ import annotations

import json
from typing import Any

NBFORMAT, NBFORMAT_MINOR = 4, 5


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
    lemmas = f" (Lemma {', '.join(map(str, step['lemmas']))}.)" if step["lemmas"] else ""
    return (f"**{step['number']}. {step['title']}.** {step['justification']}{used}{lemmas}\n\n"
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
        imports += "from derivation.setting import parse_notation\n"
    cells.append(_code(len(cells), f"{imports}\nd = {derive_call(ctx['options'])}  # every step is checked as it is "
                                   f"made\nassert d.verified\n[step.rule for step in d.steps]"))
    for i, step in enumerate(ctx["steps"]):
        cells.append(_markdown(len(cells), _step_markdown(step, ctx["lhs"] if i == 0 else "")))
    cells.append(_markdown(len(cells), f"**Result.**\n\n$$\n{ctx['statement']}\n$$"))
    cells.append(_code(len(cells), "d.result  # the closed form, a SymPy expression"))
    for section in ctx["sections"]:
        facts = "".join(f"\n- ${f['latex']}$" + (f" — {f['text']}" if f["text"] else "") for f in section["facts"])
        listing = f"\n\n```python\n{section['listing']}\n```" if section.get("listing") else ""
        cells.append(_markdown(len(cells), f"## {section['title']}\n\n{section['text']}{listing}{facts}"))
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


def json_document(ctx: dict[str, Any]) -> str:
    """The derivation for tools: case, assumptions, and per step the rule, prose, LaTeX, srepr and check."""

    def steps(chain_steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{key: s[key] for key in ("number", "rule", "title", "justification", "latex", "srepr",
                                          "identities", "lemmas", "label", "check")} for s in chain_steps]

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
                      "facts": s["facts"], **({"listing": s["listing"]} if s.get("listing") else {})}
                     for s in ctx["sections"]],
        "checks": ctx["checks"],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
