"""The weight-mapping step of the P2M Fig. 6a-c analysis: each level's variation-free displacement.

A weight-mapping step programs a trained weight onto the level whose NOMINAL circuit realises it, so
the x axis of Fig. 6a-c is the realised nominal input x weight, not a product of drawn levels (the
hybrid's series path R_ch(W) + R_MTJ does not multiply). Each sample's (n, w, p) is simulated once with
every variation at its nominal value (the builder's defaults: z = 0, dvt = 0, jitter and R scales 1),
plus the corner levels w, p in {0, 1} at full input, which with the sampled levels fix the weight's
dynamic range [u_min, u_max] (m per event). Repeated levels are simulated once, each in its own ngspice
process, as many at a time as there are cores (about 0.7 s per level with the 1-D wall model).
The result is written next to the campaign (``<name>.nominal.json``) so that the exporters, which
may not simulate, read the same numbers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np

from ..circuits.p2m_campaigns import fig6_cmos, fig6_dwmtj, fig6_hybrid
from ..devices.p2m_encoding import N_MAX, Nominal, level_key, nominal_path, read_nominal, write_nominal
from ..errors import SchemaError
from ..sim.api import simulate


def nominal_displacement(config: str, n: int, w_level: float, p_level: float) -> float:
    """Accumulated wall displacement (m) of ``n`` events on the variation-free weight (w, p)."""
    if n == 0:
        return 0.0
    values = {"x_level": n / N_MAX, "w_level": w_level, "p_level": p_level}
    builder = {"cmos": fig6_cmos, "dwmtj": fig6_dwmtj, "hybrid": fig6_hybrid}[config]
    return 1e-9 * float(simulate(builder(values)).measures["q_acc"])


def compute_nominal(columns: Dict[str, np.ndarray], config: str) -> Nominal:
    """:class:`~circuitlab.devices.p2m_encoding.Nominal` of a Fig. 6a-c campaign's ok samples."""
    import os
    from concurrent.futures import ThreadPoolExecutor
    key = level_key(columns, config)
    corners = [(N_MAX, w, w if config == "dwmtj" else p) for w in (0.0, 1.0)
               for p in ((1.0,) if config == "cmos" else (0.0, 1.0))]
    todo = list(dict.fromkeys([(int(n), float(w), float(p)) for n, w, p in key] + list(corners)))
    # each level is its own ngspice process (simulate), so threads run them in parallel
    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        cache: Dict[tuple, float] = dict(zip(todo, pool.map(lambda k: nominal_displacement(config, *k), todo)))

    def q(n, w, p) -> float:
        return cache[(int(n), float(w), float(p))]
    q_nom = np.array([q(*row) for row in key])
    per_event = [q(*c) / N_MAX for c in corners] + [qn / n for qn, n in zip(q_nom, key[:, 0]) if n > 0]
    return Nominal(q_nom, float(min(per_event)), float(max(per_event)))


def ensure_nominal(campaign, columns: Dict[str, np.ndarray], config: str) -> Nominal:
    """The campaign's nominal file if it matches its samples, else computed and (re)written."""
    path = nominal_path(campaign)
    try:
        return read_nominal(path, columns, config)
    except SchemaError:
        nominal = compute_nominal(columns, config)
        write_nominal(Path(path), level_key(columns, config), nominal)
        return nominal
