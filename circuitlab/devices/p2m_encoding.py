"""How the P2M campaigns encode inputs and weights as levels in [0, 1] (seed dwmtj_p2m_snn_paper.txt).

This is the contract between the P2M builders (:mod:`circuitlab.circuits.p2m_campaigns`, which turn
levels into events, widths and walls) and the readers of their campaign files (the analyses and the
``p2m_f1``/``p2m_f2`` exporters, which turn levels back into the normalised x of Fig. 6). It lives
here, below both, so that export needs no circuit builder: plain numbers and numpy only.
"""
from __future__ import annotations

from typing import Mapping, Tuple

import numpy as np

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
    """The nominal normalised weight in (0, 1]: W/W_MAX (cmos), zero-bias G/G_P of the wall at
    ``w_level`` (dwmtj), W/W_MAX times G/G_P of the wall at ``p_level`` (hybrid)."""
    w = (W_MIN + np.clip(w_level, 0, 1) * (W_MAX - W_MIN)) / W_MAX
    f = 1.0 - np.clip(w_level if config == "dwmtj" else p_level, 0, 1)
    g = (1 - f) + f / (1 + TMR0)
    return {"cmos": w, "dwmtj": g, "hybrid": w * g}[config]


def f1_data(columns: Mapping[str, np.ndarray], config: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, q, n) of a Fig. 6a-c campaign's samples: x = normalised input x weight, q the accumulated
    wall displacement (m; the wall node is in nm), n the input events per sample."""
    n = np.array([n_events(x) for x in columns["x_level"]])
    w = weight_value(config, columns["w_level"], columns.get("p_level", np.ones_like(columns["w_level"])))
    return n / N_MAX * w, columns["q_acc"] * 1e-9, n


def f2_data(columns: Mapping[str, np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """(x, v) of the Fig. 6d campaign's samples: x = (q_P - q_N) / L, v the pre-activation voltage (V)."""
    return columns["qp_level"] - columns["qn_level"], columns["vpre"]
