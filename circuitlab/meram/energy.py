"""Write energy of MeRAM pulses from the vcmtj device model.

Energy of one pulse on one bit: E = V^2 / R(mz, V) * t (J; V in V, t in s, R in Ohm), with R the
bias-dependent MTJ resistance of the ``vcmtj`` device (devices.md: R(mz, V) = R_P (1 + V^2/Vh^2 + TMR0) /
(1 + V^2/Vh^2 + TMR0 (1 + mz)/2)) at mz = +1 (P) or -1 (AP), averaged over the bit's stationary
state: P with probability b / (a + b), a = P_P->AP, b = P_AP->P. The state during the pulse is taken
as the state before it (the switching happens at the end of the pulse in the precessional regime).
"""
from __future__ import annotations

import numpy as np


def mtj_resistance(voltage: float) -> tuple[float, float]:
    """(R_P, R_AP) in Ohm of the vcmtj device at gate voltage ``voltage`` (V)."""
    from ..devices import get
    from ..devices.numeric import Evaluator
    ev = Evaluator(get("vcmtj"))
    zero = {"h_thx": 0.0, "h_thy": 0.0, "h_thz": 0.0, "mx": 0.0, "my": 0.0}
    r_p, r_ap = (float(ev(None, V_pn=float(voltage), mz=mz, **zero)["Rmtj"]) for mz in (1.0, -1.0))
    return r_p, r_ap


def pulse_energies(voltages, widths, p_p_to_ap, p_ap_to_p) -> np.ndarray:
    """Energy in J of each bit's pulse, V^2 t (pi_P / R_P(V) + pi_AP / R_AP(V)), per bit."""
    v = np.atleast_1d(np.asarray(voltages, dtype=float))
    t = np.atleast_1d(np.asarray(widths, dtype=float))
    a = np.atleast_1d(np.asarray(p_p_to_ap, dtype=float))
    b = np.atleast_1d(np.asarray(p_ap_to_p, dtype=float))
    v = np.broadcast_to(v, a.shape)
    cache = {}
    out = np.empty(a.shape)
    for k in range(a.size):
        if v[k] not in cache:
            cache[v[k]] = mtj_resistance(v[k])
        r_p, r_ap = cache[v[k]]
        in_p = b[k] / max(a[k] + b[k], 1e-12)
        out[k] = v[k] ** 2 * t[k] * (in_p / r_p + (1 - in_p) / r_ap)
    return out
