"""The package's shape, checked: imports only go down the layers, no import circles (function-local imports
included), no module over 400 lines and no function over 80 (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "journeysim"

#: Layer of each top-level module or subpackage, lowest first; a module may import its own layer and those below.
#: `model.scenario` ties a journey and a population to interventions, so it sits above `interventions` (and so does
#: the `model` package's face, which re-exports `Scenario`).
LAYERS: dict[str, int] = {
    "model.__init__": 3,
    "errors": 0,
    "registry": 0,
    "model": 1,
    "interventions": 2,
    "model.scenario": 3,
    "engine": 4,
    "metrics": 5,
    "analytic": 6,
    "study": 7,
    "io": 8,
    "config": 9,
    "report": 9,
    "cli": 10,
    "api": 10,
}
#: `journeysim/__init__.py` holds the version and loads the notebook API lazily; anyone may read the version.
ROOT = "journeysim"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the journeysim modules it imports at run time (type-checking-only imports left out)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skip = _type_checking_lines(tree)
        found: set[str] = set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == ROOT:
                subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules]
                found.update(subs or [node.module])
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.split(".")[0] == ROOT)
        graph[name] = found - {name}
    return graph


def _layer(module: str) -> int | None:
    parts = module.split(".")[1:]
    if MODULES.get(module, Path()).name == "__init__.py" and f"{module[len(ROOT) + 1 :]}.__init__" in LAYERS:
        return LAYERS[f"{module[len(ROOT) + 1 :]}.__init__"]
    for k in (".".join(parts[:2]), parts[0] if parts else ""):
        if k in LAYERS:
            return LAYERS[k]
    return None


MODULES = _modules()
GRAPH = _imports(MODULES)


def test_every_module_has_a_layer():
    assert [m for m in MODULES if m != ROOT and _layer(m) is None] == []


def test_imports_only_go_down_the_layers():
    upward = []
    for a, targets in GRAPH.items():
        for b in targets:
            la, lb = _layer(a), _layer(b)
            if a != ROOT and b != ROOT and la is not None and lb is not None and lb > la:
                upward.append(f"{a} -> {b}")
    assert sorted(upward) == []


def test_no_import_circles():
    """Tarjan's strongly connected components over the import graph; every component must be one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH.get(v, ())):
            if w not in MODULES or w == ROOT:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for m in sorted(MODULES):
        if m not in index and m != ROOT:
            visit(m)
    assert circles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_and_function_sizes(name):
    text = MODULES[name].read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{name} has {len(text.splitlines())} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_the_engine_never_imports_hydra():
    """Hydra and OmegaConf stay in the config and command-line layers."""
    allowed = {"config", "cli", "api"}
    offenders = []
    for name, path in MODULES.items():
        top = name.split(".")[1] if "." in name else ""
        if top in allowed:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            mods = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            mods += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if any(m.split(".")[0] in {"hydra", "omegaconf"} for m in mods):
                offenders.append(name)
    assert offenders == []
