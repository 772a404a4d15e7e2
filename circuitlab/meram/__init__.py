"""The MeRAM unit (n VC-MTJs on one bit line) as a Markov chain, and its noise source eps.

Seed: meram_diffusion_paper.txt, eqs. 1-2 and Fig. 3; devices.md section 1. Not imported by
``import circuitlab``.
"""
from __future__ import annotations

from .markov import (apply_transition, bit_matrices, default_weights, epsilon_distribution,
                     epsilon_distribution_dense, epsilon_moments, readout_values, stationary_distribution,
                     transition_matrix)
from .pulses import PulseSettings, bit_probabilities, symmetrised
from .sampling import sample, sample_states, sample_statistics, sample_stream, shuffled_table

__all__ = [
    "apply_transition", "bit_matrices", "default_weights", "epsilon_distribution", "epsilon_distribution_dense",
    "epsilon_moments", "readout_values", "stationary_distribution", "transition_matrix", "PulseSettings",
    "bit_probabilities", "symmetrised", "sample", "sample_states", "sample_statistics", "sample_stream",
    "shuffled_table",
]
