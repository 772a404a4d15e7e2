"""Layers that point one way: every import inside circuitlab, read with ``ast`` (module-level and
function-level, absolute and relative), must go to the module's own stage or to a stage below it.

The layer table (DESIGN.md: "a stage never imports a stage above it"); each stage may import the stages
listed and, transitively, whatever those may import:

    errors            nothing of circuitlab (the rooted exception hierarchy)
    plotting          errors                    (matplotlib helpers, imported only when a plot is made)
    netlist           errors
    sim               netlist
    devices           netlist, sim              (its testbench may call sim)
    physics           errors, resources         (the LLG engine; resources: the VC-MTJ card)
    meram             devices, physics          (the MeRAM unit; its SPICE cross-check runs sim)
    circuits          devices, meram, plotting  (circuit builders)
    montecarlo        sim                       (never circuits: builders and evaluators come by name)
    fit               montecarlo                (its reader, montecarlo.results, only; never export)
    export            fit, devices, meram       (results (montecarlo.results only) and device data; never
                                                 characterisation, circuits or cli)
    characterisation  circuits, fit             (campaign analyses and their plots)
    nn, data          export
    eval              nn, data
    cli               everything
    circuitlab        errors, sim               (the package root: errors, and simulate lazily)

``from circuitlab import __version__`` is allowed everywhere. Names starting with one underscore are
private to their module: importing one from another module fails, except the allow-listed offenders
below, which are being removed.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "circuitlab"

DIRECT: Dict[str, Tuple[str, ...]] = {
    "errors": (), "resources": ("errors",), "plotting": ("errors",), "netlist": ("errors",), "sim": ("netlist",),
    "devices": ("netlist", "sim", "resources"), "physics": ("errors", "resources"), "meram": ("devices", "physics"),
    "circuits": ("devices", "meram", "plotting"), "montecarlo": ("sim",), "fit": ("montecarlo",),
    "export": ("fit", "devices", "meram"), "characterisation": ("circuits", "fit"),
    "nn": ("export",), "data": ("export",), "eval": ("nn", "data"), "circuitlab": ("errors", "sim"),
}
RULES = {
    "netlist": "netlist imports nothing of circuitlab but errors",
    "sim": "sim imports netlist", "devices": "devices imports netlist (its testbench may call sim)",
    "montecarlo": "montecarlo imports netlist and sim, never circuits, characterisation, fit, export or cli",
    "fit": "fit imports montecarlo's reader at most, never export (the CLI composes fit and export)",
    "export": "export reads results and device data, never characterisation or cli",
    "nn": "nn and data import export at most", "data": "nn and data import export at most",
    "eval": "eval imports nn and data", "cli": "only cli imports everything",
}

# Where a rule allows one part of a stage only: (importing stage, imported stage) -> the modules allowed.
NARROW = {("fit", "montecarlo"): {"circuitlab.montecarlo.results", "circuitlab.montecarlo.errors"},
          ("export", "montecarlo"): {"circuitlab.montecarlo.results", "circuitlab.montecarlo.errors"}}

# Private names imported across modules, allowed as exceptions: (importing module, imported module,
# name). None are left (the montecarlo import-cycle work of issue 12 removed the last); do not add any.
PRIVATE_ALLOWED: Set[Tuple[str, str, str]] = set()


def allowed(stage: str) -> Set[str]:
    """The stages ``stage`` may import: itself, the listed ones and, transitively, theirs."""
    if stage == "cli":
        return set(DIRECT) | {"cli"}
    seen, todo = {stage}, list(DIRECT.get(stage, ()))
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo.extend(DIRECT.get(s, ()))
    return seen


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "circuitlab"


def module_name(path: Path, root: Path) -> Tuple[str, bool]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def imports(source: str, module: str, is_package: bool, root: Path) -> Iterator[Tuple[int, str, str]]:
    """(line, target module, imported name or '') for every import of circuitlab in ``source``."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "circuitlab":
                    yield node.lineno, a.name, ""
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "circuitlab":
                continue
            for a in node.names:
                sub = root.parent.joinpath(*target.split("."), a.name)
                if sub.is_dir() or sub.with_suffix(".py").is_file():   # `from .. import devices`: a module
                    yield node.lineno, f"{target}.{a.name}", ""
                else:
                    yield node.lineno, target, a.name


def violations(root: Path = PACKAGE) -> Tuple[List[str], Set[Tuple[str, str, str]]]:
    """Messages for upward imports and cross-module private imports; the allow-listed ones used."""
    bad, used = [], set()
    for path in sorted(root.rglob("*.py")):
        module, is_package = module_name(path, root)
        stage = stage_of(module)
        for line, target, name in imports(path.read_text(), module, is_package, root):
            where = f"{path.relative_to(root.parent)}:{line}"
            shown = f"{target}{'.' + name if name else ''}"
            if target == "circuitlab":   # root attributes: __version__ and the errors it re-exports; simulate is sim
                target = "circuitlab.sim" if name == "simulate" else "circuitlab.errors"
            to = stage_of(target)
            if to != stage and to not in allowed(stage):
                rule = RULES.get(stage, f"{stage} may import {', '.join(sorted(allowed(stage) - {stage}))}")
                bad.append(f"{where}: {module} imports {shown}, an upward import ({stage} -> {to}); rule: {rule}")
            elif (stage, to) in NARROW and target not in NARROW[stage, to]:
                bad.append(f"{where}: {module} imports {shown}; {stage} may use only "
                           f"{', '.join(sorted(NARROW[stage, to]))} of {to}; rule: {RULES[stage]}")
            if name.startswith("_") and not name.startswith("__") and target != module:
                key = (module, target, name)
                if key in PRIVATE_ALLOWED:
                    used.add(key)
                else:
                    bad.append(f"{where}: {module} imports the private name {name} from {target}; make it public "
                               f"(no leading underscore) or keep it inside its module")
    return bad, used


def test_no_module_imports_a_stage_above_it_or_a_private_name():
    bad, _ = violations()
    assert not bad, "\n".join(bad)


def test_the_private_allow_list_holds_only_current_offenders():
    _, used = violations()
    stale = sorted(PRIVATE_ALLOWED - used)
    assert not stale, f"these private imports are gone; remove them from PRIVATE_ALLOWED: {stale}"


def test_every_stage_of_the_package_is_in_the_layer_table():
    stages = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
              if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert not stages - set(DIRECT) - {"cli"}, f"place these in DIRECT (the layer table): {stages - set(DIRECT)}"


@pytest.mark.parametrize("rel, source, expect", [
    # a lazy, relative import inside a function is found
    ("export/x.py", "def f():\n    from ..characterisation.p2m_analysis import load\n",
     "circuitlab.export.x imports circuitlab.characterisation.p2m_analysis.load, an upward import "
     "(export -> characterisation); rule: export reads results and device data"),
    ("montecarlo/x.py", "import circuitlab.circuits.basic\n", "(montecarlo -> circuits)"),
    ("fit/x.py", "from circuitlab import export\n", "(fit -> export); rule: fit imports montecarlo's reader"),
    ("netlist/x.py", "from .. import simulate\n", "(netlist -> sim)"),
    ("fit/x.py", "from ..montecarlo import store\n", "fit may use only circuitlab.montecarlo.errors, "
     "circuitlab.montecarlo.results of montecarlo"),
    ("meram/x.py", "from .markov import _hidden\n", "imports the private name _hidden from circuitlab.meram.markov"),
])
def test_the_checker_finds_upward_and_private_imports(tmp_path, rel, source, expect):
    root = tmp_path / "circuitlab"
    for d in ("export", "montecarlo", "fit", "netlist", "meram", "characterisation", "circuits", "sim"):
        (root / d).mkdir(parents=True)
        (root / d / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / rel).write_text(source)
    bad, _ = violations(root)
    assert len(bad) == 1 and expect in bad[0], bad


def test_allowed_imports_pass_the_checker(tmp_path):
    root = tmp_path / "circuitlab"
    for d in ("export", "fit", "montecarlo", "devices"):
        (root / d).mkdir(parents=True)
        (root / d / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "export" / "x.py").write_text("from ..fit.p2m import f1_curve\nfrom ..montecarlo.results import load\n"
                                          "from ..devices.neurram import READ_NOISE\nfrom .. import __version__\n"
                                          "from .modelfile import _local\n")
    (root / "export" / "modelfile.py").write_text("")
    bad, _ = violations(root)
    assert bad == ["circuitlab/export/x.py:5: circuitlab.export.x imports the private name _local from "
                   "circuitlab.export.modelfile; make it public (no leading underscore) or keep it inside its module"]
