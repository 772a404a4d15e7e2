"""``mc tail``: run the exploration, importance-sampling and scaled-sigma campaigns of :mod:`.tail` into
one folder (each an ordinary campaign file; an existing file with the same spec is resumed or reused,
so a killed run restarts where it stopped) and write ``tail.json`` and ``tail.png`` there.

``unclip``: the seed's P2M variations are truncated normals (clipped at 3 sigma), and a clipped law has no
tail: past the clip P_fail is 0 by construction. High-sigma questions are asked of the unclipped law (the
same sigma, normal), which :func:`unclipped` substitutes in the spec text; tail.json names the variations.

Seeds: the exploration runs on the spec's seed, the importance-sampling campaign on seed + 1 and the
scaled-sigma campaigns on seed + 2, + 3, ...: the proposal is chosen from draws the estimate never sees.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError
from .limits import SpecLimit
from .results import load_results
from .tail import (TailEstimate, design_table, design_z, failure_points, is_estimate, plain_mc_samples, sss_estimate,
                   with_design)

_SEED = re.compile(r"^(\s*seed\s*=\s*)(\d+)", re.MULTILINE)
_TRUNC = re.compile(r"""(\bdistribution\s*=\s*)(["'])truncnormal\2""")


def with_seed(text: str, seed: int) -> str:
    """Spec text with its top-level ``seed = N`` replaced."""
    if not _SEED.search(text):
        raise ConfigError("the spec has no 'seed = N' line to offset")
    return _SEED.sub(lambda m: f"{m.group(1)}{seed}", text, count=1)


def unclipped(text: str) -> Tuple[str, int]:
    """Spec text with every ``distribution = "truncnormal"`` read as ``"normal"`` (same sigma; ``clip`` is
    then ignored), and how many variations changed."""
    return _TRUNC.subn(lambda m: f'{m.group(1)}{m.group(2)}normal{m.group(2)}', text)


def run_or_reuse(text: str, path: Path, samples: int, spec_base: Optional[str], run_kw: Dict) -> object:
    """Run (or resume, or reuse) the campaign of ``text`` into ``path``; its results."""
    from .engine import resume_campaign, run_campaign
    from .spec import parse_spec
    if path.exists():
        old = load_results(path)
        if old.spec_text != text or old.samples != samples:
            raise ConfigError(f"{path} exists from another tail run (different spec, design or samples); remove it or "
                              f"choose another --out folder")
        if (old.status < 0).any():
            resume_campaign(path, **{k: v for k, v in run_kw.items() if k != "spec_base"})
    else:
        run_campaign(parse_spec(text, base=Path(spec_base) if spec_base else None), path, samples=samples,
                     spec_base=spec_base, **run_kw)
    return load_results(path)


def run_tail(spec, limits: Sequence[SpecLimit], out_dir, *, method: str = "both", samples: int = 400,
             explore: int = 200, explore_scale: float = 3.0, scales: Optional[Sequence[float]] = None,
             sss_samples: int = 400, spec_base: Optional[str] = None, unclip: bool = False, stages: int = 1,
             **run_kw) -> Dict[str, TailEstimate]:
    """Estimate P_fail of ``spec`` against ``limits``; ``method`` 'is', 'sss' or 'both'. Scaled-sigma
    scales default to beta / (2.5, 2.25, 2.0, 1.75) with beta the nearest failure point's distance found
    by the exploration (2, 2.5, 3, 3.5 without one). ``unclip``: truncnormal variations as normal.
    ``stages`` > 1: adaptive importance sampling: after each stage the failure points are refitted from
    that stage's shifted samples (a linear model local to the boundary, where the exploration's global
    one misses a curved or skewed response) and a new stage is run from them on its own seed
    (seed + 100 k); the estimate is the last stage's alone (unbiased for any shift), its simulation
    count that of every stage."""
    if method not in ("is", "sss", "both"):
        raise ConfigError(f"method {method!r} must be 'is', 'sss' or 'both'")
    if not limits:
        raise ConfigError("mc tail needs spec limits: a [spec_limits] table or --limit NAME:LOWER:UPPER")
    if not 1 <= stages <= 5:
        raise ConfigError(f"--stages {stages} must lie in 1..5 (importance-sampling stages)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = spec.text
    out: Dict[str, TailEstimate] = {}
    details: Dict[str, object] = {}
    if unclip:
        text, n = unclipped(text)
        details["unclipped"] = [", ".join(v.params) for v in spec.variations if v.distribution == "truncnormal"]
        if not n:
            raise ConfigError(f"--unclip: spec {spec.name} has no truncnormal variation to unclip")
    if method in ("is", "both"):
        ex = run_or_reuse(with_design(text, design_table("scaled_sigma", scale=explore_scale)), out_dir / "explore.h5",
                       explore + 1, spec_base, run_kw)
        keep = ex.ok() & (np.arange(len(ex)) > 0)
        z = design_z(ex)[keep]
        points = failure_points(z, {lim.name: ex[lim.name][keep] for lim in limits}, limits)
        if not points:
            raise ConfigError(f"exploration at {explore_scale:g} sigma found no limit side within 12 sigma of the "
                              f"nominal point (or the nominal point already fails): check the limits")
        details["failure_points"] = [{"limit": lab, "beta": beta, "z": zs.tolist()} for lab, beta, zs in points]
        spent, stage_log = explore, []
        for k in range(stages):
            shifts = [p[2] for p in points]
            kind = "mean_shift" if len(shifts) == 1 else "mixture"
            seed = spec.seed + 1 + 100 * k
            name = "importance.h5" if k == 0 else f"importance_{k + 1}.h5"
            r = run_or_reuse(with_design(with_seed(text, seed), design_table(kind, shifts=shifts)), out_dir / name,
                             samples + 1, spec_base, run_kw)
            est = is_estimate(r, limits, explored=spent)
            spent = est.samples
            stage_log.append({"file": name, "p_fail": est.p_fail, "ci95": [est.low, est.high],
                              "failures": est.failures, "betas": [p[1] for p in points]})
            if k + 1 < stages:
                keep = r.ok() & (np.arange(len(r)) > 0)
                refit = failure_points(design_z(r)[keep], {lim.name: r[lim.name][keep] for lim in limits}, limits)
                if not refit:
                    raise ConfigError(f"stage {k + 1}'s shifted samples give no failure point to refine: check the "
                                      f"limits or use --stages {k + 1}")
                points = refit
        if stages > 1:
            details["stages"] = stage_log
        out["is"] = est
    if method in ("sss", "both"):
        if scales is None:   # t / s from 2.5 to 1.75 (P(s) about 6e-3 to 4e-2) where the nearest boundary is known
            beta = details["failure_points"][0]["beta"] if "failure_points" in details else None
            scales = [round(max(1.2, beta / q), 3) for q in (2.5, 2.25, 2.0, 1.75)] if beta else [2.0, 2.5, 3.0, 3.5]
        runs = [run_or_reuse(with_design(with_seed(text, spec.seed + 2 + i), design_table("scaled_sigma", scale=s)),
                          out_dir / f"scaled_{s:g}.h5", sss_samples + 1, spec_base, run_kw)
                for i, s in enumerate(scales)]
        out["sss"] = sss_estimate(runs, limits)
    summary = {"spec": spec.name, "limits": [lim.describe() for lim in limits],
               **{k: v.to_dict() for k, v in out.items()}, **details,
               "plain_mc_samples_for_10pct": {k: plain_mc_samples(v.p_fail) if v.p_fail > 0 else None
                                              for k, v in out.items()}}
    (out_dir / "tail.json").write_text(json.dumps(summary, indent=2))
    plot_tail(out, out_dir / "tail.png", spec.name)
    return out


def plot_tail(est: Dict[str, TailEstimate], path: Path, title: str) -> Path:
    """log P(s) of the scaled-sigma runs with the fitted extrapolation, and the estimates at s = 1."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    if "sss" in est:
        d = est["sss"].details
        s = np.asarray(d["scales"])
        p = np.asarray(d["failures_per_scale"]) / np.asarray(d["samples_per_scale"])
        ax.semilogy(s[p > 0], p[p > 0], "o", label="scaled-sigma runs")
        ax.errorbar([1.0], [est["sss"].p_fail], yerr=[[est["sss"].p_fail - est["sss"].low],
                                                       [est["sss"].high - est["sss"].p_fail]],
                    fmt="s", capsize=3, label="scaled-sigma extrapolation")
    if "is" in est:
        e = est["is"]
        ax.errorbar([0.97], [max(e.p_fail, 1e-300)], yerr=[[e.p_fail - e.low], [e.high - e.p_fail]], fmt="D",
                    capsize=3, label="importance sampling")
    ax.set_yscale("log")
    ax.set_xlabel("sigma scale s")
    ax.set_ylabel("failure probability")
    ax.set_title(f"{title}: P_fail", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
