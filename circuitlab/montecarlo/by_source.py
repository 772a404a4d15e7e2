"""One variation source at a time, with common random numbers: ``mc sensitivity --by-source``.

For each ``[[variation]]`` and ``[[jitter]]`` of a campaign's stored spec, the first ``samples`` samples
are run again with every other source switched off (``enabled = false``: its stream index stays taken,
so the one source left on draws exactly the numbers it drew in the full campaign, sample by sample).
The comparison is then paired: Var(y | only source s) / Var(y | all sources) per scalar, from the same
draws of s. For a response additive in its sources these ratios add up to 1; their sum minus 1 measures
the interactions (and, for a nonlinear response, the curvature the linear shares cannot see).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..errors import ConfigError
from .results import load_results

_HEADER = re.compile(r"^\s*\[\[\s*(variation|jitter)\s*\]\]")
_TABLE = re.compile(r"^\s*\[")
_ENABLED = re.compile(r"^\s*enabled\s*=")


def only_source_text(text: str, keep: Tuple[str, int]) -> str:
    """The spec text with every ``[[variation]]``/``[[jitter]]`` but ``keep`` = (kind, index) disabled."""
    lines = text.splitlines()
    out: List[str] = []
    count = {"variation": 0, "jitter": 0}
    current: Optional[Tuple[str, int]] = None
    for line in lines:
        m = _HEADER.match(line)
        if m:
            current = (m.group(1), count[m.group(1)])
            count[m.group(1)] += 1
            out.append(line)
            if current != keep:
                out.append("enabled = false")
            continue
        if _TABLE.match(line):
            current = None
        if current is not None and _ENABLED.match(line):
            continue                                  # replaced by the line written after the header
        out.append(line)
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class SourceRun:
    label: str
    path: Path
    variance_ratio: Dict[str, float]       # scalar -> Var(only this source) / Var(all sources)


def run_by_source(results_path, *, samples: int = 200, workers: int = 1, executor: str = "local",
                  scheduler: Optional[str] = None, trust=None, progress: Optional[bool] = None,
                  out_dir=None) -> Tuple[List[SourceRun], Dict[str, float]]:
    """Run the reduced one-source campaigns next to ``results_path`` (``<stem>.only<i>.h5``; an existing one
    is reused) and return them with, per scalar, the sum of the ratios (1 for an additive response)."""
    from .engine import run_campaign
    from .sensitivity import variation_label
    from .spec import parse_spec
    from .trust import check_file
    full = load_results(results_path)
    check_file(full.path, trust)
    spec = full.spec
    n = min(samples, len(full))
    if n < 20:
        raise ConfigError(f"--samples {samples}: the one-source runs need at least 20 samples to compare variances")
    entries = [("variation", i, v.enabled) for i, v in enumerate(spec.variations)]
    entries += [("jitter", i, j.enabled) for i, j in enumerate(spec.jitters)]
    out_dir = Path(out_dir) if out_dir else full.path.parent
    keep_full = full.ok()[:n] & (np.arange(n) > 0)
    scalars_full = {k: v[:n] for k, v in full.scalars().items()}
    runs = []
    for kind, i, enabled in entries:
        if not enabled:
            continue
        label = variation_label(spec.variations[i]) if kind == "variation" else f"jitter {spec.jitters[i].param}"
        text = only_source_text(full.spec_text, (kind, i))
        sub = parse_spec(text, base=Path(full.spec_base) if full.spec_base else None)
        target = out_dir / f"{full.path.stem}.only{len(runs)}.h5"
        if not target.exists():
            run_campaign(sub, target, samples=n, workers=workers, executor=executor, scheduler=scheduler,
                         progress=progress, spec_base=full.spec_base, trust=trust)
        part = load_results(target)
        keep = keep_full & part.ok()[:n]
        ratios = {}
        for name, y_all in scalars_full.items():
            y_one = part.scalars()[name][:n]
            ok = keep & np.isfinite(y_all) & np.isfinite(y_one)
            var_all = np.var(y_all[ok], ddof=1) if ok.sum() > 2 else np.nan
            ratios[name] = float(np.var(y_one[ok], ddof=1) / var_all) if var_all > 0 else float("nan")
        runs.append(SourceRun(label, target, ratios))
    total = {name: float(sum(r.variance_ratio[name] for r in runs)) for name in scalars_full}
    return runs, total
