"""Which variation source drives a measure's spread, from an existing campaign file (no new simulation).

Per recorded scalar y and varying parameter column x_i (random samples that finished ok; sample 0, the
nominal run, is left out) the linear model on standardised columns, z_y = sum_i b_i z_i + e, gives:

- standardised regression coefficients b_i (SRC, Saltelli et al., *Global Sensitivity Analysis: The
  Primer*, 2008, sec. 1.2.5): the change of y in standard deviations per standard deviation of x_i;
- R^2 of that model: how linear (and additive) the response is over the sampled spread;
- the share of Var(y) each variation source explains: Cov(sum_{i in source} b_i z_i, z_y) / Var(z_y), the
  source's part of the fitted variance (the "product measure", Pratt 1987): the shares add up to R^2
  exactly, and for independent sources each is b_i^2 summed over its parameters in expectation. A process
  variation that moves several parameters with one draw is one source: its columns are collinear, the
  split of its coefficients among them is arbitrary (least-norm), its share is not.

Where R^2 < ``linear_r2`` (0.9 by default) the linear shares miss part of the variance, and first-order
Sobol indices S_i = Var(E[y | x_i]) / Var(y) are estimated from the same samples:
sorted by x_i, neighbouring samples share nearly the same x_i, so the mean product of their
centred y estimates Var(E[y | x_i]) (see :func:`first_order_sobol`). Per source the indices of its
parameters are summed, which is exact when the response is additive in them. Every number carries a
bootstrap percentile interval (samples resampled with replacement, a seeded generator); for the Sobol
indices a resample's repeated samples are dropped (they would be each other's neighbours), so each
resample is a subsample of about 63 % and those intervals are wider than they need be (conservative).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError
from .results import CampaignResults
from .sampling import columns as spec_columns


def variation_label(v) -> str:
    """A ``[[variation]]``'s name as a source: ``'<scope> <params>'`` (``pelgrom`` for Pelgrom mismatch)."""
    return f"{'pelgrom' if v.pelgrom is not None else v.scope} {'+'.join(v.params)}"


def variation_sources(spec) -> Dict[str, str]:
    """Column -> source label: ``'<scope> <params>'`` per ``[[variation]]`` (a parameter in several gets
    their labels joined by ' & '), ``'jitter <param>'`` for each jitter's offset columns."""
    out: Dict[str, str] = {}
    for v in spec.variations:
        if not v.enabled:
            continue
        label = variation_label(v)
        for p in v.params:
            out[p] = f"{out[p]} & {label}" if p in out else label
    params = set(spec.parameters)
    on = {j.param for j in spec.jitters if j.enabled}
    for col in spec_columns(spec):
        if col not in params and col.split(".")[0] in on:
            out[col] = f"jitter {col.split('.')[0]}"
    return out


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its bootstrap interval."""
    value: float
    low: float
    high: float

    def to_list(self) -> List[float]:
        return [self.value, self.low, self.high]


@dataclass(frozen=True)
class MeasureSensitivity:
    name: str
    n: int
    r2: Estimate
    src: Dict[str, Estimate]                 # per parameter column
    share: Dict[str, Estimate]               # per source, linear-model variance share
    sobol: Dict[str, Estimate] = field(default_factory=dict)          # per parameter (when nonlinear)
    sobol_share: Dict[str, Estimate] = field(default_factory=dict)    # per source (when nonlinear)

    @property
    def linear(self) -> bool:
        return not self.sobol


@dataclass(frozen=True)
class SensitivityReport:
    path: Path
    sources: Dict[str, str]                   # varying column -> source label
    measures: Tuple[MeasureSensitivity, ...]
    confidence: float
    boot: int

    def to_dict(self) -> Dict[str, object]:
        def block(d):
            return {k: e.to_list() for k, e in d.items()}
        return {"file": str(self.path), "confidence": self.confidence, "bootstrap": self.boot,
                "sources": self.sources, "format": "[estimate, low, high]",
                "measures": {m.name: {"n": m.n, "r2": m.r2.to_list(), "linear": m.linear, "src": block(m.src),
                                      "share": block(m.share), "sobol": block(m.sobol),
                                      "sobol_share": block(m.sobol_share)} for m in self.measures}}

    def lines(self) -> List[str]:
        out = []
        for m in self.measures:
            out.append(f"{m.name}: n={m.n}, R^2 {_fmt(m.r2)} ({'linear' if m.linear else 'nonlinear: Sobol below'})")
            shares = m.sobol_share if m.sobol_share else m.share
            for src, e in sorted(shares.items(), key=lambda kv: -kv[1].value):
                out.append(f"  {src:<40} share {_fmt(e, pct=True)}")
            for col, e in sorted(m.src.items(), key=lambda kv: -abs(kv[1].value)):
                s = f"  Sobol {_fmt(m.sobol[col])}" if col in m.sobol else ""
                out.append(f"    {col:<38} SRC {_fmt(e)}{s}")
        return out


def _fmt(e: Estimate, pct: bool = False) -> str:
    if pct:
        return f"{e.value:7.2%} [{e.low:.2%}, {e.high:.2%}]"
    return f"{e.value:+.4f} [{e.low:+.4f}, {e.high:+.4f}]"


def _linear(X: np.ndarray, y: np.ndarray, groups: List[np.ndarray]) -> Tuple[float, np.ndarray, np.ndarray]:
    """R^2, SRC per column and variance share per group of standardised least squares (least norm)."""
    zx = (X - X.mean(0)) / X.std(0)
    sy = y.std()
    zy = (y - y.mean()) / sy if sy > 0 else np.zeros_like(y)
    b = np.linalg.lstsq(zx, zy, rcond=None)[0]
    fit = zx @ b
    r2 = float(fit.var() / zy.var()) if sy > 0 else float("nan")
    shares = np.array([float(np.mean((zx[:, g] @ b[g]) * zy) / zy.var()) if sy > 0 else float("nan")
                       for g in groups])
    return r2, b, shares


def first_order_sobol(x: np.ndarray, y: np.ndarray) -> float:
    """S = Var(E[y|x]) / Var(y) from given data: with the samples sorted by x, neighbours share nearly the
    same x, so the mean product of neighbouring centred y estimates E[E[y|x]^2] - E[y]^2 (the rank-based
    estimator of Plischke 2010 / Chatterjee 2021, no bins to choose)."""
    yc = y - y.mean()
    total = float(np.mean(yc * yc))
    if total == 0 or len(y) < 3:
        return float("nan")
    ys = yc[np.argsort(x, kind="stable")]
    return float(np.mean(ys[:-1] * ys[1:]) / total)


def sensitivity(results: CampaignResults, measures: Optional[Sequence[str]] = None, *, boot: int = 400,
                seed: int = 0, confidence: float = 0.95, linear_r2: float = 0.9) -> SensitivityReport:
    """Sensitivity of every recorded scalar (or ``measures``) to the campaign's varying parameters."""
    keep = results.ok() & (np.arange(len(results)) > 0)
    scalars = results.scalars()
    names = list(measures) if measures else list(scalars)
    for m in names:
        if m not in scalars:
            raise ConfigError(f"{results.path.name}: no recorded scalar {m!r}; recorded: {', '.join(scalars) or 'none'}")
    labels = variation_sources(results.spec)
    cols = [c for c in results.params if c in labels and np.nanstd(results.params[c][keep]) > 0]
    if not cols:
        raise ConfigError(f"{results.path.name}: no parameter varies over the ok samples; sensitivity needs a "
                          f"[[variation]] or [[jitter]] in the spec")
    sources = sorted({labels[c] for c in cols}, key=[labels[c] for c in cols].index)
    groups = [np.array([i for i, c in enumerate(cols) if labels[c] == s]) for s in sources]
    X_all = np.column_stack([results.params[c] for c in cols])
    rng = np.random.default_rng(seed)
    lo_q, hi_q = 100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2
    out = []
    for m in names:
        y_all = scalars[m]
        rows = keep & np.isfinite(y_all) & np.isfinite(X_all).all(1)
        X, y = X_all[rows], y_all[rows]
        if len(y) < len(cols) + 3:
            raise ConfigError(f"{results.path.name}: {m!r} has {len(y)} usable samples for {len(cols)} varying "
                              f"parameters; run more samples (at least {len(cols) + 3}, ideally > 100)")
        r2, b, sh = _linear(X, y, groups)
        idx = rng.integers(0, len(y), size=(boot, len(y)))
        br2, bb, bsh = zip(*(_linear(X[i], y[i], groups) for i in idx))

        def est(point, draws, j=None):
            d = np.asarray(draws)[:, j] if j is not None else np.asarray(draws)
            return Estimate(float(point), float(np.nanpercentile(d, lo_q)), float(np.nanpercentile(d, hi_q)))
        sob, sob_share = {}, {}
        if not r2 >= linear_r2:
            s = np.array([first_order_sobol(X[:, j], y) for j in range(len(cols))])
            uniq = [np.unique(i) for i in idx]    # no repeated sample next to itself (see the module doc)
            bs = np.array([[first_order_sobol(X[i, j], y[i]) for j in range(len(cols))] for i in uniq])
            sob = {c: est(s[j], bs, j) for j, c in enumerate(cols)}
            # a process source's collinear columns carry the same draw: count its first column once
            firsts = [g[0] for g in groups]
            sob_share = {src: est(s[g], bs[:, g]) for src, g in zip(sources, firsts)}
        out.append(MeasureSensitivity(m, len(y), est(r2, br2), {c: est(b[j], bb, j) for j, c in enumerate(cols)},
                                      {src: est(sh[g], bsh, g) for g, src in enumerate(sources)}, sob, sob_share))
    return SensitivityReport(results.path, {c: labels[c] for c in cols}, tuple(out), confidence, boot)


def tornado_plots(report: SensitivityReport) -> List[Path]:
    """One tornado plot per scalar next to the campaign file, ``<stem>.tornado.<scalar>.png``: SRC per
    parameter with its bootstrap interval, largest on top, coloured by source."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    written = []
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    src_list = list(dict.fromkeys(report.sources.values()))
    for m in report.measures:
        items = sorted(m.src.items(), key=lambda kv: abs(kv[1].value))
        fig, ax = plt.subplots(figsize=(6.5, 1.2 + 0.35 * len(items)))
        ypos = np.arange(len(items))
        vals = np.array([e.value for _, e in items])
        err = np.array([[e.value - e.low for _, e in items], [e.high - e.value for _, e in items]])
        colours = [palette[src_list.index(report.sources[c]) % len(palette)] for c, _ in items]
        ax.barh(ypos, vals, xerr=np.clip(err, 0, None), color=colours, capsize=3)
        ax.set_yticks(ypos, [c for c, _ in items])
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel("standardised regression coefficient (SRC)")
        ax.set_title(f"{report.path.stem}: {m.name}, R$^2$ = {m.r2.value:.3f} (n = {m.n})", fontsize=9)
        fig.tight_layout()
        safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in m.name)
        target = report.path.with_name(f"{report.path.stem}.tornado.{safe}.png")
        fig.savefig(target, dpi=90)
        plt.close(fig)
        written.append(target)
    return written
