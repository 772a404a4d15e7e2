"""Sampling designs other than plain Monte Carlo: corners, mean-shift and scaled-sigma sampling.

Every ``[[variation]]`` draw is a standard normal number z (a process variation one z for all its
parameters, a mismatch variation one per parameter): the *factors* of the campaign, named
``'<scope> <params>'`` (process) or ``'<scope> <param>'`` (mismatch, pelgrom), in spec order. A
``[design]`` table replaces plain Monte Carlo in that z space; each factor's z then maps to its value
through the variation's own law (normal and lognormal as usual; uniform through u = 2 Phi(z) - 1, so a
uniform variation is also a function of a standard normal z). ``[[jitter]]`` edges keep their ordinary
random draws (they are not factors, and enter no weight)::

    [design]
    kind = "mean_shift"      # z = z0 + shift          (importance sampling around a failure point)
    shift = [0.0, 3.2, 1.1]  # sigmas, one per factor in order (see `factor_names`)
    # kind = "mixture"       # z from an equal mixture of N(shift_j, I), shifts = [[...], [...]]
    # kind = "scaled_sigma"  # z = scale * z0         (scaled-sigma sampling)
    # kind = "points"        # z of sample k = points[k - 1] exactly (corners); samples becomes len(points) + 1

z0 is the sample's own seeded standard normal draw (the streams of :mod:`.sampling`), so a design run is
as reproducible and resumable as any campaign. Sample 0 stays the nominal run. :func:`log_weight` gives
log(p(z) / q(z)), the likelihood ratio of the plain campaign's density p to the design's density q
(0 for 'points', which is not random). A truncnormal variation has no tail beyond its clip, so it cannot
be a factor of a shifted or scaled design.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Mapping, Optional, Tuple

import numpy as np

from ..errors import ConfigError

KINDS = ("mean_shift", "mixture", "scaled_sigma", "points")
_KEYS = ("kind", "shift", "shifts", "scale", "points")


@dataclass(frozen=True)
class Design:
    kind: str
    shifts: Tuple[Tuple[float, ...], ...] = ()     # mean_shift: one row; mixture: one row per component
    scale: float = 1.0
    points: Tuple[Tuple[float, ...], ...] = ()

    def transform(self, z0: np.ndarray, k: int, u: float) -> np.ndarray:
        """The design's z of sample ``k`` (>= 1) from its standard normal draw ``z0`` and a uniform ``u``
        (which picks the mixture component)."""
        if self.kind == "points":
            if not 1 <= k <= len(self.points):
                raise ConfigError(f"[design] points has {len(self.points)} rows: sample {k} has none (samples must "
                                  f"be len(points) + 1)")
            return np.asarray(self.points[k - 1], float)
        if self.kind == "scaled_sigma":
            return self.scale * z0
        if self.kind == "mean_shift":
            return z0 + np.asarray(self.shifts[0])
        j = min(int(u * len(self.shifts)), len(self.shifts) - 1)
        return z0 + np.asarray(self.shifts[j])

    def log_weight(self, z: np.ndarray) -> np.ndarray:
        """log p(z) - log q(z) per row of ``z`` (n, factors): p the standard normal, q the design's law."""
        z = np.atleast_2d(np.asarray(z, float))
        if self.kind == "points":
            return np.zeros(len(z))
        if self.kind == "scaled_sigma":
            d = z.shape[1]
            return -0.5 * (z * z).sum(1) * (1 - 1 / self.scale ** 2) + d * math.log(self.scale)
        s = np.asarray(self.shifts, float)                       # (components, factors)
        # log q = log mean_j exp(-|z - s_j|^2 / 2) + log norm; log p = -|z|^2 / 2 + log norm
        expo = -0.5 * ((z[:, None, :] - s[None, :, :]) ** 2).sum(2)
        top = expo.max(1)
        log_q = top + np.log(np.exp(expo - top[:, None]).mean(1))
        return -0.5 * (z * z).sum(1) - log_q


def factor_names(spec) -> List[str]:
    """The design factors of a spec, in order (enabled variations only)."""
    out = []
    for v in spec.variations:
        if not v.enabled:
            continue
        scope = "pelgrom" if v.pelgrom is not None else v.scope
        if v.scope == "process" and v.pelgrom is None:
            out.append(f"{scope} {'+'.join(v.params)}")
        else:
            out += [f"{scope} {p}" for p in v.params]
    return out


def _row(value, n: int, what: str, order: str) -> Tuple[float, ...]:
    if not isinstance(value, list) or len(value) != n or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in value):
        raise ConfigError(f"[design] {what} must be a list of {n} finite numbers (sigmas, one per factor){order}")
    return tuple(float(x) for x in value)


def parse_design(table: Optional[Mapping], spec) -> Optional[Design]:
    """``[design]`` of a spec (None without one); ConfigError names what is wrong and the factor order."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError("[design] must be a table with kind = 'mean_shift' | 'mixture' | 'scaled_sigma' | 'points'")
    for key in table:
        if key not in _KEYS:
            raise ConfigError(f"unknown key {key!r} in [design]; allowed keys: {', '.join(_KEYS)}")
    kind = table.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"[design] kind={kind!r} must be one of {', '.join(KINDS)}")
    names = factor_names(spec)
    n = len(names)
    if n == 0:
        raise ConfigError("[design] needs at least one enabled [[variation]] (its factors)")
    order = f" (factors in order: {', '.join(names)})"
    if kind in ("mean_shift", "mixture", "scaled_sigma"):
        trunc = [v for v in spec.variations if v.enabled and v.distribution == "truncnormal"]
        if trunc:
            raise ConfigError(f"[design] {kind}: variation of {', '.join(trunc[0].params)} is truncnormal, which has no "
                              f"tail beyond clip; use distribution 'normal' for tail estimates")
    if kind == "mean_shift":
        return Design(kind, shifts=(_row(table.get("shift"), n, "shift", order),))
    if kind == "mixture":
        rows = table.get("shifts")
        if not isinstance(rows, list) or not rows:
            raise ConfigError(f"[design] mixture needs shifts = [[...], ...], one row of {n} sigmas per component{order}")
        return Design(kind, shifts=tuple(_row(r, n, "shifts row", order) for r in rows))
    if kind == "scaled_sigma":
        scale = table.get("scale")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 20:
            raise ConfigError(f"[design] scaled_sigma needs scale in (0, 20], got {scale!r}")
        return Design(kind, scale=float(scale))
    pts = table.get("points")
    if not isinstance(pts, list) or not pts:
        raise ConfigError(f"[design] points needs points = [[...], ...], one row of {n} sigmas per sample{order}")
    return Design(kind, points=tuple(_row(r, n, "points row", order) for r in pts))
