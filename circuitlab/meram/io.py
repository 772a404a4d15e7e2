"""HDF5 files and histogram plots of MeRAM noise tables (``circuitlab meram noise``).

File layout (kind ``circuitlab.meram.noise_table``, schema 1): datasets ``eps`` (raw, in units of
the least-significant read-out level's weight scale, i.e. the same unit as A), ``eps_normalised``
(divided by the closed-form sigma: unit variance, for DDPM noise), ``pmf_values``/``pmf`` (the exact
stationary law), ``weights``, ``p_p_to_ap``, ``p_ap_to_p`` (per bit, MSB first); root attributes:
kind, schema_version, mode, seed, samples, bits, the sample moments (``sample_*``), the closed-form
moments (``exact_*``), the probability source, pulse settings and circuitlab version.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

KIND = "circuitlab.meram.noise_table"
SCHEMA_VERSION = 1


def write_noise_table(path, eps, *, p_p_to_ap, p_ap_to_p, weights, mode, seed, source, settings=None) -> Path:
    """Write raw and normalised eps with the exact pmf, moments and provenance to ``path``."""
    import h5py

    from .. import __version__
    from .markov import epsilon_distribution, epsilon_moments
    from .sampling import sample_statistics
    exact = epsilon_moments(p_p_to_ap, p_ap_to_p, weights)
    sample = sample_statistics(eps)
    values, pmf = epsilon_distribution(p_p_to_ap, p_ap_to_p, weights)
    path = Path(path)
    with h5py.File(path, "w") as f:
        f.attrs.update(kind=KIND, schema_version=SCHEMA_VERSION, mode=mode, seed=int(seed), samples=len(eps),
                       bits=len(weights), source=source, circuitlab_version=__version__,
                       kurtosis_definition="excess (Fisher): 0 for a Gaussian")
        f.attrs.update({f"sample_{k}": v for k, v in sample.items()})
        f.attrs.update({f"exact_{k}": v for k, v in exact.items()})
        if settings is not None:
            f.attrs.update(pulse_voltage=settings.voltage, pulse_msb_width=settings.msb_width,
                           pulse_other_width=settings.other_width)
        f.create_dataset("eps", data=np.asarray(eps, dtype=float))
        f.create_dataset("eps_normalised", data=np.asarray(eps, dtype=float) / exact["std"])
        f.create_dataset("pmf_values", data=values)
        f.create_dataset("pmf", data=pmf)
        for name, data in (("weights", weights), ("p_p_to_ap", p_p_to_ap), ("p_ap_to_p", p_ap_to_p)):
            f.create_dataset(name, data=np.asarray(data, dtype=float))
    return path


def make_noise_table(path, *, bits: int, samples: int, seed: int, mode: str, settings, psw_table=None,
                     llg_trials: int = 1000):
    """Sample ``samples`` eps values of a ``bits``-bit unit and write them with :func:`write_noise_table`.

    The bit probabilities come from the P_sw table file ``psw_table`` (``circuitlab llg sweep``) or, without
    one, from the LLG engine with ``llg_trials`` trials per initial state. ``seed`` is split into one
    stream for the LLG and one for sampling. Returns (eps, p_p_to_ap, p_ap_to_p, weights)."""
    from .markov import default_weights
    from .pulses import bit_probabilities
    from .sampling import sample
    seeds = np.random.SeedSequence(seed).spawn(2)       # one stream for the LLG, one for sampling
    if psw_table is not None:
        from ..physics.io import read_switching_table
        table = read_switching_table(psw_table)
        source = f"P_sw table {psw_table}"
    else:
        table = None
        source = f"LLG engine, {llg_trials} trials per initial state"
    llg_seed = int(seeds[0].generate_state(1)[0])
    a, b = bit_probabilities(settings, table, trials=llg_trials, seed=llg_seed)
    weights = default_weights(bits)
    eps = sample(a, b, samples, rng=np.random.default_rng(seeds[1]), mode=mode, weights=weights)
    write_noise_table(path, eps, p_p_to_ap=a, p_ap_to_p=b, weights=weights, mode=mode, seed=seed,
                      source=source, settings=settings)
    return eps, a, b, weights


def plot_noise_histogram(eps, sigma: float, path, title: str = "MeRAM noise") -> Path:
    """Histogram of eps (density) against the Gaussian N(0, sigma^2) (seed Fig. 3b)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    path = Path(path)
    eps = np.asarray(eps, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(eps, bins=min(101, max(11, int(np.sqrt(eps.size)))), density=True, alpha=0.6, label=f"eps ({eps.size} samples)")
    x = np.linspace(-4.5 * sigma, 4.5 * sigma, 400)
    ax.plot(x, np.exp(-x ** 2 / (2 * sigma ** 2)) / (sigma * np.sqrt(2 * np.pi)), "k-", label=f"N(0, {sigma:.3g}^2)")
    ax.set(xlabel="eps = A_i - A_(i-1)", ylabel="density", title=title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
