"""Gate-pulse protocol and switching probabilities P_sw(V, t) of the VC-MTJ (seed Fig. 2c).

Protocol (seed Methods, devices.md section 1): start each trial in the P (mz > 0) or AP (mz < 0)
energy minimum at 0 V, equilibrate at 0 V, apply a sharp gate pulse of amplitude V and width t,
relax at 0 V for at least ``relax`` seconds, and classify the final state by the sign of mz.
P_sw = (P_P->AP + P_AP->P) / 2.

The whole sweep (every voltage, width and initial state, ``trials`` each) runs as ONE batch: lanes
are sorted by pulse length, so that the lanes still pulsing and the lanes still running are
prefixes of the arrays; a lane stops as soon as it has relaxed ``relax`` seconds after its pulse.
Lanes of long pulses therefore relax exactly ``relax``; none relaxes less.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import ConfigError
from .llg import make_integrator
from .params import MacrospinParams
from .stats import clopper_pearson_interval, wilson_interval


@dataclass(frozen=True)
class PulseProtocol:
    """Timing of one switching trial.

    Attributes:
        dt: fixed integration step in s (default 1 ps, as in devices.md's calibration).
        equilibrate: time at 0 V before the pulse in s (default 1 ns, about one relaxation time
            1/(alpha gamma0 Hk_eff) of the thermal spread in the well).
        relax: time at 0 V after the pulse, before the state is read, in s (default 3 ns; the seed
            reads "a few ns after the pulse").
        max_batch: largest number of lanes integrated at once (memory bound, not a physics setting).
    """

    dt: float = 1e-12
    equilibrate: float = 1e-9
    relax: float = 3e-9
    max_batch: int = 1 << 17

    def __post_init__(self):
        if not self.dt > 0:
            raise ConfigError(f"PulseProtocol.dt = {self.dt!r} s must be > 0")
        if self.equilibrate < 0 or self.relax < 0:
            raise ConfigError("PulseProtocol.equilibrate and .relax must be >= 0 s")
        if self.max_batch < 1:
            raise ConfigError(f"PulseProtocol.max_batch = {self.max_batch!r} must be >= 1")

    def steps(self, seconds) -> np.ndarray:
        """Number of fixed steps in ``seconds`` (rounded to the nearest step)."""
        return np.rint(np.asarray(seconds, dtype=float) / self.dt).astype(np.int64)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SwitchingTable:
    """Switching counts over a (voltage, width) grid; ``trials`` per initial state and grid point.

    Attributes:
        voltages: gate voltages in V, shape (nV,).
        widths: pulse widths in s, shape (nW,).
        trials: number of trials from each initial state (P and AP) per grid point.
        switched_from_p: P -> AP counts, shape (nV, nW).
        switched_from_ap: AP -> P counts, shape (nV, nW).
        params, protocol, seed, backend, dtype: provenance.
    """

    voltages: np.ndarray
    widths: np.ndarray
    trials: int
    switched_from_p: np.ndarray
    switched_from_ap: np.ndarray
    params: MacrospinParams = field(default_factory=MacrospinParams)
    protocol: PulseProtocol = field(default_factory=PulseProtocol)
    seed: int | None = None
    backend: str = "numpy"
    dtype: str = "float64"

    @property
    def p_p_to_ap(self) -> np.ndarray:
        return self.switched_from_p / self.trials

    @property
    def p_ap_to_p(self) -> np.ndarray:
        return self.switched_from_ap / self.trials

    @property
    def p_switch(self) -> np.ndarray:
        """P_sw = (P_P->AP + P_AP->P) / 2 (seed Methods), shape (nV, nW)."""
        return (self.switched_from_p + self.switched_from_ap) / (2 * self.trials)

    def interval(self, method: str = "wilson", confidence: float = 0.95):
        """(lower, upper) of P_sw from the pooled counts k = k_P + k_AP out of 2 * trials.

        Pooling is conservative: the variance of the mean of two binomials with probabilities p1, p2
        is at most that of one binomial with p = (p1 + p2)/2 on the pooled trials.
        """
        k = self.switched_from_p + self.switched_from_ap
        n = 2 * self.trials
        if method == "wilson":
            return wilson_interval(k, n, confidence)
        if method in ("clopper-pearson", "clopper_pearson"):
            return clopper_pearson_interval(k, n, confidence)
        raise ConfigError(f"unknown interval method {method!r}; use 'wilson' or 'clopper-pearson'")

    def lookup(self, voltage: float, width: float) -> tuple[float, float]:
        """(P_P->AP, P_AP->P) at a voltage of the table (V) and a width (s), linear in width."""
        idx = np.flatnonzero(np.isclose(self.voltages, voltage, rtol=0, atol=1e-9))
        if idx.size == 0:
            raise ConfigError(f"voltage {voltage!r} V is not in the table {list(map(float, self.voltages))}")
        w = np.asarray(self.widths, dtype=float)
        if not w.min() - 1e-15 <= width <= w.max() + 1e-15:
            raise ConfigError(f"width {width!r} s is outside the table's widths [{w.min()!r}, {w.max()!r}] s")
        order = np.argsort(w)
        i = idx[0]
        return (float(np.interp(width, w[order], self.p_p_to_ap[i][order])),
                float(np.interp(width, w[order], self.p_ap_to_p[i][order])))


def _lanes(voltages, widths, trials, protocol):
    """Per-lane (voltage, pulse steps, initial sign, grid index) sorted by pulse length, longest first."""
    nv, nw = len(voltages), len(widths)
    n_pulse = protocol.steps(widths)
    if np.any(n_pulse < 1):
        raise ConfigError(f"every pulse width must be at least one step dt = {protocol.dt} s; got {list(widths)}")
    iv, iw, isgn, _ = np.meshgrid(np.arange(nv), np.arange(nw), np.arange(2), np.arange(trials), indexing="ij")
    iv, iw, isgn = iv.ravel(), iw.ravel(), isgn.ravel()
    order = np.argsort(-n_pulse[iw], kind="stable")
    return iv[order], iw[order], isgn[order], n_pulse[iw[order]]


def run_pulses(params: MacrospinParams, voltage, n_pulse, init_sign, *, protocol: PulseProtocol, seed=None,
               generator=None, backend="numpy", dtype="float64", device="cpu", threads=None) -> np.ndarray:
    """Run one batch of pulse trials and return the final mz of each lane (float64 numpy).

    Args:
        voltage: gate voltage per lane in V, shape (L,).
        n_pulse: pulse length per lane in steps, shape (L,), sorted in decreasing order.
        init_sign: +1 (start in P) or -1 (start in AP) per lane.
    """
    voltage = np.asarray(voltage, dtype=float)
    n_pulse = np.asarray(n_pulse, dtype=np.int64)
    if np.any(np.diff(n_pulse) > 0):
        raise ConfigError("run_pulses needs lanes sorted by decreasing pulse length")
    lanes = len(voltage)
    it = make_integrator(params, lanes, protocol.dt, backend=backend, generator=generator, seed=seed,
                         dtype=dtype, device=device, threads=threads)
    s = params.equilibrium_tilt(0.0)
    it.set_state(s, 0.0, np.sqrt(1 - s * s) * np.asarray(init_sign, dtype=float))
    it.set_voltage(0.0)
    it.run(int(protocol.steps(protocol.equilibrate)))
    it.set_voltage(voltage)
    n_relax = int(protocol.steps(protocol.relax))
    with it.threads():
        _pulse_loop(it, n_pulse, n_relax)
    return it.state()[2]


def _pulse_loop(it, n_pulse, n_relax):
    """Pulse then relax; lanes sorted by decreasing pulse length leave the active prefix in turn."""
    lanes = len(n_pulse)
    neg = -n_pulse                                      # increasing
    pulsing = lanes
    for step in range(int(n_pulse[0]) + n_relax):
        still = int(np.searchsorted(neg, -step, side="left"))        # lanes with n_pulse > step
        if still < pulsing:
            it.set_voltage(0.0, slice(still, pulsing))
            pulsing = still
        active = int(np.searchsorted(neg, -(step - n_relax), side="left"))  # n_pulse > step - n_relax
        it.step(active)


def switching_probability(params: MacrospinParams | None = None, voltages=(2.1, 2.4, 2.7), widths=(0.4e-9, 2e-9),
                          trials: int = 150, *, seed: int, protocol: PulseProtocol | None = None,
                          backend: str = "numpy", dtype: str = "float64", device: str = "cpu",
                          threads: int | None = None) -> SwitchingTable:
    """P_sw(V, t) over a grid (seed Fig. 2c), ``trials`` per initial state (P and AP) and grid point.

    Args:
        params: macrospin parameters (default: the calibrated set, :class:`MacrospinParams`).
        voltages: gate voltages in V.
        widths: pulse widths in s (each at least one step).
        trials: trials from each initial state per point (the seed used 150 in all).
        seed: integer seed; batches draw from ``numpy.random.SeedSequence(seed).spawn``.
        protocol: timing (:class:`PulseProtocol`).
        backend, dtype, device, threads: see :func:`circuitlab.physics.llg.make_integrator`.
    """
    params = params or MacrospinParams()
    protocol = protocol or PulseProtocol()
    voltages = np.atleast_1d(np.asarray(voltages, dtype=float))
    widths = np.atleast_1d(np.asarray(widths, dtype=float))
    if voltages.size == 0 or widths.size == 0:
        raise ConfigError("give at least one voltage and one width")
    if int(trials) != trials or trials < 1:
        raise ConfigError(f"trials = {trials!r} must be a positive integer")
    iv, iw, isgn, n_pulse = _lanes(voltages, widths, int(trials), protocol)
    sign = np.where(isgn == 0, 1.0, -1.0)
    n_batches = -(-len(iv) // protocol.max_batch)
    seeds = np.random.SeedSequence(seed).spawn(n_batches)
    mz = np.empty(len(iv))
    for b in range(n_batches):
        sl = slice(b * protocol.max_batch, (b + 1) * protocol.max_batch)
        batch_seed = int(seeds[b].generate_state(1, np.uint64)[0] >> np.uint64(1))
        mz[sl] = run_pulses(params, voltages[iv[sl]], n_pulse[sl], sign[sl], protocol=protocol, seed=batch_seed,
                            backend=backend, dtype=dtype, device=device, threads=threads)
    switched = np.sign(mz) != sign
    from_p = np.zeros((len(voltages), len(widths)), dtype=np.int64)
    from_ap = np.zeros_like(from_p)
    np.add.at(from_p, (iv[isgn == 0], iw[isgn == 0]), switched[isgn == 0])
    np.add.at(from_ap, (iv[isgn == 1], iw[isgn == 1]), switched[isgn == 1])
    return SwitchingTable(voltages, widths, int(trials), from_p, from_ap, params, protocol, seed, backend, dtype)
