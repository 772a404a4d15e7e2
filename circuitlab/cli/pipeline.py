"""The one-command chain (``circuitlab pipeline``): stages with hashed inputs, resumable.

A stage is a function of the pipeline's options and of the files earlier stages made; it writes into
``DIR/<stage>/`` and returns ``{"outputs": {name: path}, "metrics": {...}}``. After it finishes,
``DIR/<stage>/stage.json`` records the hash of its inputs (its own options, circuitlab's version, the
stage function's source and the SHA-256 of every input file), its outputs with their hashes, its metrics
and its wall time. On the next run a stage whose record matches (same inputs hash, every output present with the recorded hash)
is skipped, so a killed pipeline restarts at the stage it was in, and changing an option re-runs only the
stages that depend on it. The stages run in order; progress is one line per stage and overall.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from .. import __version__
from ..errors import CircuitlabError


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Stage:
    """``run(ctx, folder, inputs)`` -> {"outputs": {name: Path}, "metrics": {...}}; ``needs`` names the
    earlier stages whose outputs it reads; ``options`` the option names that change its result."""
    name: str
    title: str
    run: Callable
    needs: Sequence[str] = ()
    options: Sequence[str] = ()


@dataclass
class StageRecord:
    name: str
    inputs_hash: str
    outputs: Dict[str, str]
    output_hashes: Dict[str, str]
    metrics: Dict[str, object]
    wall_s: float
    skipped: bool = False

    def to_json(self) -> dict:
        return {"name": self.name, "inputs_hash": self.inputs_hash, "outputs": self.outputs,
                "output_hashes": self.output_hashes, "metrics": self.metrics, "wall_s": self.wall_s,
                "circuitlab_version": __version__}


@dataclass
class PipelineResult:
    out: Path
    records: Dict[str, StageRecord] = field(default_factory=dict)
    wall_s: float = 0.0


def _code(run: Callable) -> str:
    """The stage function's source text: a stage whose code changed (its sizes, say) is not up to date
    even under the same circuitlab version. Its name where the source cannot be read."""
    try:
        return inspect.getsource(run)
    except (OSError, TypeError):
        return getattr(run, "__qualname__", repr(run))


def _inputs_hash(stage: Stage, options: dict, records: Dict[str, StageRecord]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"stage": stage.name, "version": __version__, "code": _code(stage.run),
                         "options": {k: options.get(k) for k in stage.options}}, sort_keys=True, default=str).encode())
    for need in stage.needs:
        h.update(json.dumps(records[need].output_hashes, sort_keys=True).encode())
    return h.hexdigest()


def _recorded(folder: Path, digest: str) -> Optional[StageRecord]:
    """The stage's record if it finished with these inputs and its outputs are intact, else None."""
    path = folder / "stage.json"
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if d.get("inputs_hash") != digest:
        return None
    for name, rel in d.get("outputs", {}).items():
        p = folder / rel
        if not p.is_file() or sha256(p) != d["output_hashes"].get(name):
            return None
    return StageRecord(d["name"], digest, d["outputs"], d["output_hashes"], d.get("metrics", {}),
                       float(d.get("wall_s", 0.0)), skipped=True)


def run_pipeline(stages: Sequence[Stage], out, options: dict, *, only: Optional[Sequence[str]] = None,
                 say: Callable[[str], None] = print) -> PipelineResult:
    """Run (or resume) ``stages`` into ``out``; ``only`` limits the run to those stages (their inputs
    must exist from an earlier run)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = PipelineResult(out)
    t_all = time.perf_counter()
    names = [s.name for s in stages]
    for i, stage in enumerate(stages, 1):
        folder = out / stage.name
        missing = [n for n in stage.needs if n not in result.records]
        if missing:
            raise CircuitlabError(f"stage {stage.name!r} needs {', '.join(missing)}, which did not run")
        digest = _inputs_hash(stage, options, result.records)
        rec = _recorded(folder, digest)
        if rec is not None:
            result.records[stage.name] = rec
            say(f"[{i}/{len(stages)}] {stage.title}: up to date (made in {rec.wall_s:.0f} s), skipped")
            continue
        if only and stage.name not in only:
            raise CircuitlabError(f"stage {stage.name!r} is not up to date and not in --only {', '.join(only)}; run "
                                  f"it too (stages: {', '.join(names)})")
        if folder.exists():          # a killed or outdated run: start the stage afresh
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        say(f"[{i}/{len(stages)}] {stage.title} ...")
        t0 = time.perf_counter()
        inputs = {n: {k: out / n / v for k, v in result.records[n].outputs.items()} for n in stage.needs}
        got = stage.run(options, folder, inputs)
        wall = time.perf_counter() - t0
        outputs = {k: str(Path(v).resolve().relative_to(folder.resolve())) for k, v in got["outputs"].items()}
        rec = StageRecord(stage.name, digest, outputs, {k: sha256(folder / v) for k, v in outputs.items()},
                          got.get("metrics", {}), wall)
        tmp = folder / "stage.json.tmp"
        tmp.write_text(json.dumps(rec.to_json(), indent=2, default=str))
        tmp.replace(folder / "stage.json")      # the record appears only once the stage is complete
        result.records[stage.name] = rec
        done = time.perf_counter() - t_all
        say(f"[{i}/{len(stages)}] {stage.title}: done in {wall:.0f} s ({done:.0f} s so far)")
    result.wall_s = time.perf_counter() - t_all
    return result
