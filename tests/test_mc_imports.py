"""The montecarlo package's modules import each other in one direction only (no cycles), counting
imports inside functions too, and none imports another's private (underscore) names."""
from __future__ import annotations

import ast
from pathlib import Path

import circuitlab.montecarlo as mc

PACKAGE = Path(mc.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))


def _imports(name: str):
    """(module imported, names taken from it) for every import of a sibling module in ``name``."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    for node in ast.walk(tree):  # every level: module, class and function bodies
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:  # from .x import a, b
                yield node.module.split(".")[0], [a.name for a in node.names]
            elif node.level == 1:  # from . import x
                for a in node.names:
                    yield (a.name, []) if a.name in MODULES else ("__init__", [a.name])
            elif node.level == 0 and (node.module or "").startswith("circuitlab.montecarlo"):
                rest = node.module.split(".")[2:]
                yield (rest[0] if rest else "__init__"), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[:2] == ["circuitlab", "montecarlo"]:
                    yield (parts[2] if len(parts) > 2 else "__init__"), []


def graph():
    return {m: sorted({t for t, _ in _imports(m) if t != m}) for m in MODULES}


def _cycle(g):
    """One import cycle as a list of modules, or None (depth-first search)."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in g.get(m, []):
            if state.get(t) == "open":
                return stack[stack.index(t):] + [t]
            if t not in state:
                found = visit(t)
                if found:
                    return found
        state[m] = "done"
        stack.pop()
        return None

    for m in g:
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_the_finder_sees_function_level_imports_and_cycles():
    # independent of the package: a cycle made only by an import inside a function is found
    g = {"a": ["b"], "b": ["c"], "c": []}
    assert _cycle(g) is None
    g["c"] = ["a"]
    assert _cycle(g) == ["a", "b", "c", "a"]
    src = "def f():\n    from .worker import run_task\n"
    assert [n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)][0].module == "worker"
    assert "stacked" in graph()["worker"] and "evaluate" in graph()["worker"]


def test_montecarlo_import_graph_has_no_cycle():
    assert _cycle(graph()) is None


def test_no_private_names_cross_module_boundaries():
    crossing = [(m, t, n) for m in MODULES for t, names in _imports(m) for n in names
                if n.startswith("_") and n != "__version__"]
    assert crossing == []


def test_worker_is_the_only_dispatcher_and_leaves_are_leaves():
    g = graph()
    assert {m for m in MODULES if "worker" in g[m]} <= {"engine", "report", "__init__"}
    for leaf in ("outcomes", "functions", "templates", "tasks", "launch"):
        assert g[leaf] == [], leaf
