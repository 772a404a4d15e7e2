"""Published RRAM device data (NeuRRAM, seed neurram_cim_slides.txt; devices.md section 3).

Device data that more than one stage reads: the relaxation campaign's circuits build on it
(:mod:`circuitlab.circuits.rram_relaxation`) and the ``rram_cim`` exporter compares with it, so it
lives here, below both.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError

US = 1e-6                   # S per uS
T_DAY = 86400.0             # s
# NeuRRAM-fitted sigma(G) in uS, x = G / 40 uS (IBM aihwkit ReRamWan2022NoiseModel; devices.md section 3)
NEURRAM_POLY = {1.0: (0.348, 16.030, -43.853, 45.393, -16.815),
                T_DAY: (0.701, 22.086, -50.773, 47.095, -16.458)}
READ_NOISE = 0.01           # relative read noise (devices.md section 3: about 1 %)


def neurram_sigma(g, t: float) -> np.ndarray:
    """NeuRRAM-fitted conductance spread (S) at target conductance ``g`` (S) and time ``t`` (1 s or 1 day)."""
    if t not in NEURRAM_POLY:
        raise ValueError(f"the NeuRRAM polynomial exists for t = 1 s and 1 day only, not {t!r} s")
    x = np.asarray(g, float) / (40 * US)
    return np.polynomial.polynomial.polyval(x, NEURRAM_POLY[t]) * US

# CrossSim's independent fit of the same NeuRRAM relaxation data (Sandia CrossSim, device RRAMWan, t about
# 1 s; devices.md section 3): sigma_G = c3 G^3 + c2 G^2 + c1 G + c0, G and sigma in uS, valid to 39.26 uS
CROSSSIM_CUBIC = (1.053, 0.2374, -1.167e-2, 1.536e-4)
CROSSSIM_G_MAX = 39.26 * US


def crosssim_sigma(g) -> np.ndarray:
    """CrossSim's fit of the NeuRRAM conductance spread at about 1 s (S) at target ``g`` (S, <= 39.26 uS)."""
    g = np.asarray(g, float)
    if np.any(g > CROSSSIM_G_MAX * (1 + 1e-12)) or np.any(g < 0):
        raise ConfigError(f"CrossSim's fit is valid for 0 <= G <= 39.26 uS; got up to {np.max(g) / US:g} uS")
    return np.polynomial.polynomial.polyval(g / US, CROSSSIM_CUBIC) * US
