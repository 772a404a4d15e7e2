"""Circuit-level MeRAM unit (seed meram_diffusion_paper.txt, Fig. 3a; devices.md section 1).

Eight behavioural VC-MTJ cells (:mod:`circuitlab.devices.models.vcmtj_markov`) share one bit line
``bl``, held at 0 V by the sense source ``Vbl`` (its current is the bit-line current). Cell k (k = 0
is the MSB, weight 2^1; k = 7 the LSB, weight 2^-6) has its own gate driver ``Vg<k>``: a train of
``pulses`` gate pulses of ``voltage`` (seed: 2.4 V) and width ``widths[k]`` (seed: 0.4 ns MSB, 2 ns
the others), one per operation, every ``period`` seconds. The uniform number that decides the flip
of cell k at operation i is written into the netlist as a PWL on the cell's ``in_u`` port (changed
half-way between pulses, while the cell is latched), drawn from ``numpy.random.default_rng(seed)``.

Read-out: a behavioural adder ``B_A`` gives v(a) = sum_k w_k [x_k > 1/2] (volt = LSB units of A),
and ``.meas`` statements sample A_i after every operation (``a_<i>``, i = 0 .. pulses, a_0 before the
first pulse) and the energy each driver delivers over the run (``e_g<k>``: INTEG of v(g_k) times the
driver current, J). eps_i = A_i - A_{i-1} (see :func:`epsilon_samples`).

Device-to-device variation: ``p_scale[k]`` multiplies cell k's whole P_sw table (clipped to [0, 1]),
written as instance parameters (see built-in spec ``circuitlab/specs/meram_unit.toml``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

import numpy as np

from ..errors import ConfigError
from ..netlist import (BSource, Circuit, Instance, Measure, PWL, Pulse, Tran, VoltageSource)

WEIGHTS = tuple(2.0 ** (1 - k) for k in range(8))      # MSB first: 2^1 ... 2^-6 (seed eq. 1)
EDGE = 20e-12                                            # s, gate pulse rise and fall
DELAY = 1e-9                                             # s, first pulse


@dataclass(frozen=True)
class UnitSpec:
    """One MeRAM unit run; times in s, voltage in V.

    ``widths``: gate pulse width per cell, MSB first. ``period``: operation period (keep the gap
    after the longest pulse > 10 tau_reset = 2 ns). ``pulses``: operations. ``seed``: the numpy seed
    of the uniform draws (or give ``draws`` directly, shape (pulses, bits), values in (0, 1)).
    ``p_scale``: per-cell factor on the P_sw table (device-to-device variation; None = 1).
    """
    voltage: float = 2.4
    widths: Tuple[float, ...] = (0.4e-9,) + (2e-9,) * 7
    period: float = 5e-9
    pulses: int = 200
    seed: int = 0
    p_scale: Optional[Tuple[float, ...]] = None
    draws: Optional[np.ndarray] = field(default=None, compare=False, repr=False)

    @property
    def bits(self) -> int:
        return len(self.widths)

    def __post_init__(self):
        if self.bits != len(WEIGHTS):
            raise ConfigError(f"widths has {self.bits} entries; the unit has {len(WEIGHTS)} cells (MSB first)")
        if self.pulses < 1:
            raise ConfigError(f"pulses={self.pulses!r} must be >= 1")
        gap = self.period - max(self.widths) - 2 * EDGE
        if gap < 2e-9:
            raise ConfigError(f"period={self.period!r} s leaves a gap of {gap:.3g} s after the longest pulse; "
                              f"keep it >= 2 ns (10 reset time constants of the cell)")
        if self.p_scale is not None and len(self.p_scale) != self.bits:
            raise ConfigError(f"p_scale has {len(self.p_scale)} entries; give one per cell ({self.bits})")

    def uniforms(self) -> np.ndarray:
        """The flip draws u[i, k] of operation i and cell k, in (0, 1)."""
        if self.draws is not None:
            u = np.asarray(self.draws, dtype=float)
            if u.shape != (self.pulses, self.bits) or np.any((u <= 0) | (u >= 1)):
                raise ConfigError(f"draws must have shape ({self.pulses}, {self.bits}) with values in (0, 1)")
            return u
        return np.random.default_rng(self.seed).random((self.pulses, self.bits))

    def read_times(self) -> np.ndarray:
        """Times (s) at which A_i is sampled: before the first pulse, then after every operation."""
        t_end = DELAY + max(self.widths) + 2 * EDGE + 1e-9
        return np.concatenate(([DELAY / 2], t_end + self.period * np.arange(self.pulses)))

    @property
    def stop(self) -> float:
        return DELAY + self.period * self.pulses


def _u_wave(u: np.ndarray, spec: UnitSpec) -> PWL:
    """u[i] held from half a gap before pulse i to half a gap before pulse i + 1 (1 ps steps)."""
    pts = [(0.0, float(u[0]))]
    for i in range(1, len(u)):
        t = DELAY + i * spec.period - 0.5 * (spec.period - max(spec.widths) - 2 * EDGE)
        pts += [(t, float(u[i - 1])), (t + 1e-12, float(u[i]))]
    return PWL(tuple(pts))


def _cell_params(scale: float) -> dict:
    from ..devices.models.vcmtj_markov import TABLE
    return {f"P_v{i}_w{j}": float(min(1.0, max(0.0, scale * TABLE[i][j])))
            for i in range(len(TABLE)) for j in range(len(TABLE[i])) if TABLE[i][j] > 0}


def meram_unit(spec: UnitSpec = UnitSpec()) -> Circuit:
    """The MeRAM unit netlist for ``spec`` (see the module docstring)."""
    from ..devices import get
    from ..devices.ngspice import subcircuit
    u = spec.uniforms()
    elements = [VoltageSource("bl", "bl", "0", dc=0.0)]
    measures = []
    for k, width in enumerate(spec.widths):
        gate = Pulse(0.0, spec.voltage, DELAY, EDGE, EDGE, width, spec.period)
        elements.append(VoltageSource(f"g{k}", f"g{k}", "0", waveform=gate))
        elements.append(VoltageSource(f"u{k}", f"u{k}", "0", waveform=_u_wave(u[:, k], spec)))
        params = _cell_params(spec.p_scale[k]) if spec.p_scale is not None else {}
        elements.append(Instance(f"C{k}", "vcmtj_markov", (f"g{k}", "bl", f"u{k}"), params))
        measures.append(Measure("tran", f"e_g{k}", f"INTEG par('-v(g{k})*i(vg{k})') FROM=0 TO={spec.stop!r}"))
    adder = " + ".join(f"{w!r}*u(v(xc{k}.s_x)-0.5)" for k, w in enumerate(WEIGHTS))
    elements.append(BSource("A", "a", "0", voltage=adder))
    for i, t in enumerate(spec.read_times()):
        measures.append(Measure("tran", f"a_{i}", f"FIND v(a) AT={float(t)!r}"))
    return Circuit(f"MeRAM unit: 8 vcmtj_markov cells, {spec.pulses} operations at {spec.voltage:g} V",
                   tuple(elements), subcircuits=(subcircuit(get("vcmtj_markov")),), measures=tuple(measures),
                   analyses=(Tran(10e-12, spec.stop, max_step=50e-12),), allow_dangling=frozenset({"a"}))


def epsilon_samples(measures: Mapping[str, float], pulses: int) -> Tuple[np.ndarray, np.ndarray]:
    """(A, eps) from a run's measures: A_0 .. A_pulses and eps_i = A_i - A_{i-1} (i = 1 .. pulses)."""
    a = np.array([float(measures[f"a_{i}"]) for i in range(pulses + 1)])
    return a, np.diff(a)


def example() -> Circuit:
    """The registered example: 20 operations at the seed's pulse settings, seed 0."""
    return meram_unit(UnitSpec(pulses=20))


def _register() -> None:
    from .basic import EXAMPLES
    EXAMPLES.setdefault("meram_unit", example)


_register()


def effective_probabilities(spec: UnitSpec = UnitSpec()) -> np.ndarray:
    """Per-cell flip probability the cells apply: the P_sw table (times ``p_scale``) at the peak gate
    voltage and the on-time of the pulse (from the 1 V crossing of the rising edge to that of the
    falling edge: width + 2 EDGE (1 - V_on/V)), bilinear as in the cell. MSB first."""
    from ..devices.models.vcmtj_markov import TABLE, VOLTAGES, WIDTHS
    v_on = 1.0
    out = []
    for k, width in enumerate(spec.widths):
        w_on = width + 2 * EDGE * (1 - v_on / spec.voltage)
        row = [np.interp(w_on, WIDTHS, TABLE[i]) for i in range(len(VOLTAGES))]
        p = float(np.interp(spec.voltage, VOLTAGES, row))
        scale = 1.0 if spec.p_scale is None else spec.p_scale[k]
        out.append(min(1.0, max(0.0, scale * p)))
    return np.array(out)


def decode_states(a: np.ndarray) -> np.ndarray:
    """Cell states (0 = P, 1 = AP) from read-out values A (volt = units of A), shape (len(a), 8)."""
    code = np.rint(np.asarray(a) * 64).astype(int)
    return (code[:, None] >> (7 - np.arange(8))) & 1


def campaign(p: Mapping[str, object]) -> Circuit:
    """Monte Carlo builder (built-in spec ``circuitlab/specs/meram_unit.toml``).

    Values: ``voltage`` (V), ``w_msb``, ``w_other`` (s), ``period`` (s), ``pulses``; ``p_scale0`` ..
    ``p_scale7`` (factor on each cell's P_sw table, drawn by the campaign: device-to-device variation);
    ``stream`` in [0, 1) (drawn by the campaign, uniform) seeds the flip draws, so every sample's
    draws follow from the campaign seed and the sample index alone.
    """
    pulses = int(round(float(p.get("pulses", 50))))
    w_msb, w_other = float(p.get("w_msb", 0.4e-9)), float(p.get("w_other", 2e-9))
    stream = float(p.get("stream", 0.5))
    spec = UnitSpec(voltage=float(p.get("voltage", 2.4)), widths=(w_msb,) + (w_other,) * 7,
                    period=float(p.get("period", 5e-9)), pulses=pulses, seed=int(stream * 2 ** 53),
                    p_scale=tuple(float(p.get(f"p_scale{k}", 1.0)) for k in range(8)))
    return meram_unit(spec)
