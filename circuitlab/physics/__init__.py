"""Device physics: the stochastic LLG macrospin of the VC-MTJ (seed meram_diffusion_paper.txt).

Not imported by ``import circuitlab``; numpy is needed, torch only for the torch backend.
"""
from __future__ import annotations

from .llg import HeunIntegrator, boltzmann_weight, energy, make_integrator
from .params import ASSUMED, GAMMA0, KB, MU0, MacrospinParams
from .protocol import PulseProtocol, SwitchingTable, run_pulses, switching_probability
from .stats import clopper_pearson_interval, wilson_interval

__all__ = [
    "ASSUMED", "GAMMA0", "KB", "MU0", "MacrospinParams", "HeunIntegrator", "make_integrator", "energy",
    "boltzmann_weight", "PulseProtocol", "SwitchingTable", "run_pulses", "switching_probability",
    "wilson_interval", "clopper_pearson_interval",
]
