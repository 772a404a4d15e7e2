"""Pulse settings of a MeRAM unit and the per-bit switching probabilities they give.

Seed (meram_diffusion_paper.txt, "MeRAM-based Gaussian noise generation"): 2.4 V on every MTJ, 0.4 ns
on the MSB and 2 ns on the other seven bits. The per-bit probabilities P_P->AP, P_AP->P come from a
P_sw(V, t) table, either given (:class:`circuitlab.physics.SwitchingTable`, e.g. read from
``circuitlab llg sweep`` output) or computed here with the LLG engine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class PulseSettings:
    """Gate pulses of an n-bit unit, MSB first.

    Attributes:
        voltage: gate voltage in V applied to every bit (seed: 2.4 V).
        msb_width: pulse width of the MSB in s (seed: 0.4 ns).
        other_width: pulse width of every other bit in s (seed: 2 ns).
        bits: number of bits (seed: 8).
    """

    voltage: float = 2.4
    msb_width: float = 0.4e-9
    other_width: float = 2e-9
    bits: int = 8

    def __post_init__(self):
        if int(self.bits) != self.bits or self.bits < 1:
            raise ConfigError(f"PulseSettings.bits = {self.bits!r} must be a positive integer")
        if not (self.msb_width > 0 and self.other_width > 0):
            raise ConfigError("PulseSettings widths must be > 0 s")

    @property
    def widths(self) -> np.ndarray:
        """Pulse width per bit in s, MSB first."""
        return np.r_[self.msb_width, np.full(int(self.bits) - 1, self.other_width)]


def bit_probabilities(settings: PulseSettings | None = None, table=None, *, trials: int = 2000, seed: int = 0,
                      backend: str = "numpy", dtype: str = "float64") -> tuple[np.ndarray, np.ndarray]:
    """(P_P->AP, P_AP->P) per bit, MSB first, for the pulse settings.

    Args:
        settings: the pulses (default: the seed's 2.4 V, 0.4 ns MSB, 2 ns others, 8 bits).
        table: a :class:`circuitlab.physics.SwitchingTable` that contains ``settings.voltage`` and
            spans the widths (linear interpolation in width). If None, the LLG engine computes the
            two distinct widths with ``trials`` per initial state and the given ``seed``.
    """
    settings = settings or PulseSettings()
    if table is None:
        from ..physics import switching_probability
        uniq = np.unique(settings.widths)
        table = switching_probability(voltages=(settings.voltage,), widths=uniq, trials=trials, seed=seed,
                                      backend=backend, dtype=dtype)
    pairs = [table.lookup(settings.voltage, w) for w in settings.widths]
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    return a, b


def symmetrised(p_p_to_ap, p_ap_to_p) -> tuple[np.ndarray, np.ndarray]:
    """Both directions set to their mean (the seed's P_sw = (P_P->AP + P_AP->P)/2 per bit)."""
    p = (np.asarray(p_p_to_ap, dtype=float) + np.asarray(p_ap_to_p, dtype=float)) / 2
    return p, p.copy()
