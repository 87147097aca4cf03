"""The package's layers (docs/ARCHITECTURE.md): imports point one way, no loops, no imports inside functions.

Read from the source with ``ast`` (nothing is imported): every ``import`` of a module of the package, at module
level, inside ``if TYPE_CHECKING:`` or inside a function, is checked against the layer order below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derivation"

#: Each subpackage's layer: a module may import from a lower layer or from its own subpackage, nothing else.
LAYERS = {
    "core": 0,
    "laws": 1, "interpret": 1,
    "nodes": 2,
    "printing": 3,
    "check": 4,
    "settings": 5,
    "rules": 6,
    "cases": 7,
    "pairs": 8,
    "claims": 9,
    "output": 10,
    "": 11,  # derivation/__init__.py, api.py, cli.py: the public surface
}
#: What may be imported inside a function: heavy third-party modules only needed by some commands.
LAZY_ALLOWED = {"numpy", "matplotlib", "torch", "multiprocessing"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS and (PACKAGE / parts[1]).is_dir() else ""


def _imports(module: str, path: Path) -> list[tuple[str, str, int]]:
    """``(imported module, where, line)`` for every import of this package's modules; ``where`` is "module",
    "type-checking" or "function"."""
    tree = ast.parse(path.read_text())
    package = _package_of(module, path)
    found: list[tuple[str, str, int]] = []

    def resolve(node: ast.ImportFrom) -> list[str]:
        if node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        names = [f"{target}.{a.name}" for a in node.names]
        return [n if n in MODULES else target for n in names]

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = "function"
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                inner = "type-checking" if where == "module" else where
            if isinstance(child, ast.ImportFrom):
                for target in resolve(child):
                    found.append((target, inner, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend((alias.name, inner, child.lineno) for alias in child.names)
            visit(child, inner)

    visit(tree, "module")
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _ours(target: str) -> bool:
    return target == "derivation" or target.startswith("derivation.")


def test_every_subpackage_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == {name for name in LAYERS if name}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    own = _layer(module)
    wrong = []
    for target, where, line in GRAPH[module]:
        if not _ours(target) or (target == "derivation" and own == ""):
            continue
        theirs = _layer(target)
        if theirs == own or LAYERS[theirs] < LAYERS[own]:
            continue
        wrong.append(f"line {line}: {module} ({own or 'top'}) imports {target} ({theirs or 'top'}), {where}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_imports_inside_functions_except_heavy_optional_ones(module):
    lazy = [f"line {line}: {target}" for target, where, line in GRAPH[module]
            if where == "function" and target.split(".")[0] not in LAZY_ALLOWED]
    assert not lazy, "\n".join(lazy)


def test_no_import_loops():
    edges = {m: {t for t, where, _ in GRAPH[m] if _ours(t) and t in MODULES and t != m} for m in MODULES}
    state: dict[str, int] = {}
    cycles = []

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt):], nxt]))
            elif nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            walk(module, [module])
    assert not cycles, "\n".join(cycles)
