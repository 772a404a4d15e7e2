"""Looking at a campaign file: summary table, histograms of recorded scalars, re-running one sample."""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from ..errors import CircuitlabError, ZeroNominalWarning
from . import store
from .results import load_results
from .spec import parse_spec
from .outcomes import STATUS_NAMES
from .trust import check_file
from .worker import Task, run_task, single_netlists


def scalars(path) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
    """Every recorded scalar (measures and derived, per sweep point) as name -> array, and the status."""
    results = load_results(path)
    return results.scalars(), results.status


def table(path) -> List[str]:
    """Lines of the summary table: counts per status, then mean/std/min/max of each scalar over ok samples."""
    results = load_results(path)
    values, status = results.scalars(), results.status
    done, ok_count = int((status >= 0).sum()), int((status == 0).sum())
    lines = [f"campaign {results.name!r} seed {results.seed}: {done}/{results.samples} done, "
             f"{ok_count} ok, {done - ok_count} failed"]
    lines.append("status: " + ", ".join(f"{k}={v}" for k, v in results.counts().items()))
    lines.append(f"{'scalar':<20} {'n':>7} {'mean':>13} {'std':>13} {'min':>13} {'max':>13}")
    ok = results.ok()
    for name, arr in values.items():
        x = arr[ok & np.isfinite(arr)]
        if len(x):
            lines.append(f"{name:<20} {len(x):>7} {x.mean():>13.6g} {x.std(ddof=1) if len(x) > 1 else 0:>13.6g} "
                         f"{x.min():>13.6g} {x.max():>13.6g}")
        else:
            lines.append(f"{name:<20} {0:>7} {'-':>13} {'-':>13} {'-':>13} {'-':>13}")
    return lines


def histograms(path) -> List[Path]:
    """One PNG per recorded scalar next to the file: ``<file stem>.<scalar>.png``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    path = Path(path)
    values, status = scalars(path)
    written = []
    for name, arr in values.items():
        x = arr[(status == 0) & np.isfinite(arr)]
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.hist(x, bins=min(50, max(5, int(np.sqrt(max(len(x), 1))))))
        ax.set_xlabel(name)
        ax.set_ylabel("samples")
        ax.set_title(f"{path.stem}: {name} (n={len(x)})")
        fig.tight_layout()
        safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)
        out = path.with_name(f"{path.stem}.{safe}.png")
        fig.savefig(out, dpi=90)
        plt.close(fig)
        written.append(out)
    return written


def rerun(path, k: int, out_dir, trust=None) -> Dict[str, object]:
    """Write sample ``k``'s netlists (evaluator: its run texts, with every value) and re-run it as the
    campaign did; compare with the stored rows. ``trust`` (a :class:`.trust.Trust`) None runs a file
    made elsewhere (another host or user) in safe mode."""
    path, out_dir = Path(path), Path(out_dir)
    check_file(path, trust)
    with store.open_read(path) as f:
        attrs = {key: f.attrs[key] for key in f.attrs}
        n = int(attrs["samples"])
        if not 0 <= k < n:
            raise CircuitlabError(f"--sample {k} is out of range; this campaign has samples 0..{n - 1}")
        stored = {name: f[name][k] for name in ("params", "status", "measures", "derived", "vectors")}
    base = store.maybe_str(attrs["spec_base"]) or None
    spec = parse_spec(store.maybe_str(attrs["spec"]), base=Path(base) if base else None).with_samples(n)
    mode = store.maybe_str(attrs["mode"])
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    suffix = ".toml" if spec.evaluator is not None else ".cir"  # an evaluator's run text (see .evaluate)
    for p, text in enumerate(single_netlists(spec, k)):
        target = out_dir / f"sample_{k}_point_{p}{suffix}"
        target.write_text(text)
        paths.append(str(target))
    unit = spec.stack_size if mode == "stacked" else 1
    g0 = (k // unit) * unit
    with warnings.catch_warnings():  # the task parses the spec again: it warned above already
        warnings.simplefilter("ignore", ZeroNominalWarning)
        result = run_task(Task(spec.text, base, g0, min(g0 + unit, n), min(g0 + unit, int(attrs["full_samples"])),
                               mode))
    i = k - g0
    same = bool(np.array_equal(result.params[i], stored["params"], equal_nan=True)
                and result.status[i] == stored["status"]
                and all(np.array_equal(getattr(result, key)[i], stored[key], equal_nan=True)
                        for key in ("measures", "derived", "vectors")))
    names = {g: store.read_json_list_attrs(attrs, key) for g, key in (("measures", "measure_names"),
                                                                       ("derived", "derived_names"))}
    report = {"sample": k, "netlists": paths, "status": STATUS_NAMES.get(int(result.status[i]), "pending"),
              "error": result.errors[i], "matches_stored": same,
              "params": dict(zip(json.loads(attrs["columns"]), map(float, result.params[i]))),
              "measures": {m: result.measures[i, :, j].tolist() for j, m in enumerate(names["measures"])},
              "derived": {m: result.derived[i, :, j].tolist() for j, m in enumerate(names["derived"])}}
    (out_dir / f"sample_{k}.json").write_text(json.dumps(report, indent=2))
    np.savez(out_dir / f"sample_{k}_vectors.npz", vectors=result.vectors[i])
    return report
