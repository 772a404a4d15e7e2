"""How the P2M campaigns encode inputs and weights as levels in [0, 1] (seed dwmtj_p2m_snn_paper.txt).

This is the contract between the P2M builders (:mod:`circuitlab.circuits.p2m_campaigns`, which turn
levels into events, widths and walls) and the readers of their campaign files (the analyses and the
``p2m_f1``/``p2m_f2`` exporters, which turn levels back into the normalised x of Fig. 6). It lives
here, below both, so that export needs no circuit builder: plain numbers and numpy only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Tuple

import numpy as np

from ..errors import SchemaError

L_MIN = 22e-9               # m, drawn gate length of the 22 nm node
W_MIN = 44e-9               # m, 2 L_MIN: the smallest width used by the cell
W_MAX = 4 * W_MIN           # m, widest weight transistor (cmos/hybrid)
N_MAX = 4                   # events per input at full input activation (x = 1)
TMR0 = 2.0                  # zero-bias TMR of the weight DW-MTJ (device default, seed 200 %)
F1_COLUMNS = ("x_level", "w_level", "q_acc", "e_window")     # what a Fig. 6a-c campaign records
F2_COLUMNS = ("qp_level", "qn_level", "vpre", "e_read_rd")   # what the Fig. 6d campaign records


def n_events(x_level: float) -> int:
    """Events of one input at input activation ``x_level`` in [0, 1]: round(x N_MAX)."""
    return int(np.clip(np.rint(float(x_level) * N_MAX), 0, N_MAX))


def weight_value(config: str, w_level, p_level=1.0):
    """The drawn (programmed) weight in (0, 1]: W/W_MAX (cmos), zero-bias G/G_P of the wall at
    ``w_level`` (dwmtj), W/W_MAX times G/G_P of the wall at ``p_level`` (hybrid). Not the Fig. 6 x axis:
    the hybrid's series path does not multiply these, so the analyses use the realised nominal
    displacement instead (:func:`f1_data`)."""
    w = (W_MIN + np.clip(w_level, 0, 1) * (W_MAX - W_MIN)) / W_MAX
    f = 1.0 - np.clip(w_level if config == "dwmtj" else p_level, 0, 1)
    g = (1 - f) + f / (1 + TMR0)
    return {"cmos": w, "dwmtj": g, "hybrid": w * g}[config]


NOMINAL_SUFFIX = ".nominal.json"   # next to a Fig. 6a-c campaign file: its levels' nominal displacement


def nominal_path(campaign) -> Path:
    """``DIR/<name>.nominal.json`` of the campaign file ``DIR/<name>.h5``."""
    campaign = Path(campaign)
    return campaign.with_name(campaign.stem + NOMINAL_SUFFIX)


def level_key(columns: Mapping[str, np.ndarray], config: str) -> np.ndarray:
    """(n, w_level, p_level) per sample: what sets a sample's nominal circuit (dwmtj: p = w)."""
    n = np.array([n_events(x) for x in columns["x_level"]], float)
    w = np.asarray(columns["w_level"], float)
    p = w if config == "dwmtj" else np.asarray(columns.get("p_level", np.ones_like(w)), float)
    return np.stack([n, w, p], axis=1)


@dataclass(frozen=True)
class Nominal:
    """The variation-free displacement of each sample's level and the realised weight range.

    ``q_nom`` (m): nominal accumulated displacement of each sample's (n, w, p); ``u_min``, ``u_max`` (m):
    smallest and largest nominal displacement per event over the weight levels (the corners w, p in
    {0, 1} and every sampled level): the weight's dynamic range."""
    q_nom: np.ndarray
    u_min: float
    u_max: float

    @property
    def full(self) -> float:
        """Full scale (m): N_MAX events on the largest realisable weight."""
        return N_MAX * self.u_max

    @property
    def span(self) -> float:
        """Dynamic-range span (m) at full input: N_MAX (u_max - u_min), the seed's "full DR"."""
        return N_MAX * (self.u_max - self.u_min)


def write_nominal(path, key: np.ndarray, nominal: Nominal) -> Path:
    path = Path(path)
    path.write_text(json.dumps({"levels": np.asarray(key).tolist(), "q_nom_m": nominal.q_nom.tolist(),
                                "u_min_m": nominal.u_min, "u_max_m": nominal.u_max}) + "\n")
    return path


def read_nominal(path, columns: Mapping[str, np.ndarray], config: str) -> Nominal:
    """The nominal file of a campaign, checked against its samples' levels (SchemaError if missing or stale)."""
    path = Path(path)
    fix = "recompute it with 'circuitlab p2m analyse --out-dir DIR' (it simulates each level once, variation off)"
    if not path.is_file():
        raise SchemaError(f"{path} does not exist: the nominal displacement of each level is missing; {fix}")
    d = json.loads(path.read_text())
    if not np.array_equal(np.asarray(d["levels"], float).reshape(-1, 3), level_key(columns, config)):
        raise SchemaError(f"{path} does not match the campaign's samples (stale); {fix}")
    return Nominal(np.asarray(d["q_nom_m"], float), float(d["u_min_m"]), float(d["u_max_m"]))


def f1_data(columns: Mapping[str, np.ndarray], nominal: Nominal) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, q, n) of a Fig. 6a-c campaign's samples. x = the realised nominal input x weight,
    q_nom / (N_MAX u_max) in [0, 1] (what a weight-mapping step programs: 1 = full input on the largest
    realisable weight); q the accumulated wall displacement (m; the wall node is in nm); n the events."""
    n = np.array([n_events(x) for x in columns["x_level"]])
    return nominal.q_nom / nominal.full, columns["q_acc"] * 1e-9, n


def f2_data(columns: Mapping[str, np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """(x, v) of the Fig. 6d campaign's samples: x = (q_P - q_N) / L, v the pre-activation voltage (V)."""
    return columns["qp_level"] - columns["qn_level"], columns["vpre"]
