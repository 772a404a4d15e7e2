"""Monte Carlo builders of the P2M characterisation campaigns (built-in specs ``circuitlab/specs/p2m_*.toml``) and
the registered example netlists.

A builder takes one run's values (dict, SI units) and returns a Circuit. Variations arrive as
parameters drawn by the campaign engine (seeded per sample):

- ``z_vt<i>``: Pelgrom z-score of weight transistor i (truncnormal, clip 3: "transistor 3-sigma");
  ``dvt_g``: process-wide threshold shift (V); the builder turns z into delvto = z A_VT/sqrt(W L),
  because the engine's ``pelgrom`` block takes nominal widths and here the width is itself drawn;
- ``r_w<i>``, ``r_accp``, ``r_accn``, ``r_thtop``, ``r_thbot``: R_P scale of each DW-MTJ (seed "20% MDWMTJ
  resistance variation", read as 3 sigma: sigma 6.67 %);
- ``jit_<k>``: width factor of the k-th write pulse (seed "10% clock jitter in the write pulse", read as
  3 sigma like every variation the seed lists next to "3-sigma variation for GF22nm FD-SOI devices":
  sigma 3.33 %).
Missing names take their nominal value (0 or 1).
"""
from __future__ import annotations

from typing import Dict, Mapping, Sequence, Tuple

import numpy as np

from ..devices.p2m_encoding import N_MAX, W_MAX, n_events
from ..errors import ConfigError
from ..netlist import Circuit, Measure
from . import p2m_models as pm
from .p2m import EDGE, Event, P2MSpec, Program, Weight, energy_measures, p2m_cell, wall

X_L, X_R, L_TRACK = 0.0, 120e-9, 120e-9     # m, dwmtj MTJ span (the whole track, seed) and track
T0, PERIOD, PULSE = 1e-9, 1e-9, 60e-12      # s: first event, event spacing, write-pulse width
PULSE_CONV = 40e-12                         # s, write pulses of the Fig. 4 and Fig. 5 runs (many events: the
                                            # accumulators must stay inside the 120 nm track)


def _get(p: Mapping[str, object], name: str, default: float) -> float:
    return float(p.get(name, default))


def _dvt(p, i: int, width: float) -> float:
    return pm.delvto(_get(p, f"z_vt{i}", 0.0), width, pm.L_MIN, global_shift=_get(p, "dvt_g", 0.0))


def width_of(w_level: float) -> float:
    """PMOS width (m) of a weight level in [0, 1]: W_MIN .. W_MAX linearly."""
    return pm.W_MIN + float(np.clip(w_level, 0, 1)) * (W_MAX - pm.W_MIN)


def wall_of(level: float) -> float:
    """Programmed wall (m) of a weight DW-MTJ at level in [0, 1]: 1 -> x_L (R_P, largest weight)."""
    return X_R - float(np.clip(level, 0, 1)) * (X_R - X_L)


def _weight(config: str, p, i: int, sign: int, w_level: float, p_level: float) -> Weight:
    width = width_of(w_level)
    return Weight(sign=sign, width=width, q=wall_of(p_level) if config != "cmos" else X_L,
                  dvt=_dvt(p, i, width if config != "dwmtj" else 400e-9), r_scale=_get(p, f"r_w{i}", 1.0))


def _events(p, times: Sequence[Tuple[int, float]], width: float = PULSE) -> Tuple[Event, ...]:
    """Events with jittered pulses: factor ``jit_<k>`` scales the k-th pulse's full width at half
    maximum (flat top + one EDGE), so a 10 % jitter is 10 % of the pulse, not of its flat top only."""
    def flat(k: int) -> float:
        return max(1e-12, (width + EDGE) * _get(p, f"jit_{k}", 1.0) - EDGE)
    return tuple(Event(i, t, flat(k)) for k, (i, t) in enumerate(times))


def _common(p) -> Dict[str, object]:
    return {"r_acc": (_get(p, "r_accp", 1.0), _get(p, "r_accn", 1.0)),
            "r_th": (_get(p, "r_thtop", 1.0), _get(p, "r_thbot", 1.0)),
            "dvt_fixed": tuple(_dvt(p, 90 + k, 400e-9) for k in range(3))}


def _read_measures(t: float, tag: str = "") -> list:
    return [Measure("tran", f"vpre{tag}", f"FIND v(pre) AT={t!r}"),
            Measure("tran", f"vth{tag}", f"FIND v(vth) AT={t!r}"),
            Measure("tran", f"out{tag}", f"FIND v(out) AT={t!r}")]


# --- Fig. 6a-c: one weight, x events ---------------------------------------------------------------
def _single_weight(config: str, p) -> Circuit:
    n = n_events(_get(p, "x_level", 1.0))
    w_level = _get(p, "w_level", 1.0)
    p_level = w_level if config == "dwmtj" else _get(p, "p_level", 1.0)   # dwmtj: the wall is the weight
    w = _weight(config, p, 0, 1, w_level, p_level)
    end = T0 + N_MAX * PERIOD
    spec = P2MSpec(config=config, weights=(w,), events=_events(p, [(0, T0 + k * PERIOD) for k in range(n)]),
                   stop=end, **_common(p))
    measures = [Measure("tran", "q_acc", f"FIND {wall('accp')} AT={end!r}"),
                Measure("tran", "v_wmax", "MAX v(accp_in)"),
                Measure("tran", "p_idle", f"AVG par('-v(vdd)*i(vdd)') FROM=0.2e-9 TO={T0 - 0.1e-9!r}")]
    return p2m_cell(spec, measures + energy_measures(spec, 0.0, end), f"p2m single {config} weight")


def fig6_cmos(p: Mapping[str, object]) -> Circuit:
    """Fig. 6a: one CMOS weight (PMOS width), N events of 60 ps; measures the accumulator wall (nm)."""
    return _single_weight("cmos", p)


def fig6_dwmtj(p: Mapping[str, object]) -> Circuit:
    """Fig. 6b: one DW-MTJ weight (programmed wall), N events; measures the accumulator wall (nm)."""
    return _single_weight("dwmtj", p)


def fig6_hybrid(p: Mapping[str, object]) -> Circuit:
    """Fig. 6c: one CMOS+X weight (width and wall in series), N events; accumulator wall (nm)."""
    return _single_weight("hybrid", p)


# --- Fig. 6d: the series-divider read ------------------------------------------------------------
def fig6d_read(p: Mapping[str, object]) -> Circuit:
    """Fig. 6d: accumulators preset to walls qp_level, qn_level (x L), read by the series divider."""
    qp, qn = _get(p, "qp_level", 0.5) * L_TRACK, _get(p, "qn_level", 0.5) * L_TRACK
    spec = P2MSpec(config="cmos", weights=(Weight(),), reads=(0.2e-9,), stop=1.2e-9, q_acc=(qp, qn),
                   **_common(p))
    return p2m_cell(spec, _read_measures(1.0e-9) + energy_measures(spec, 0.2e-9, 1.2e-9, "_rd"),
                    "p2m series-divider read")


# --- Fig. 4: a random 3x3 convolution ------------------------------------------------------------
def random_kernel(seed: int):
    """A seeded random 3x3 kernel (signs, width levels, wall levels) and event list (input, time)."""
    rng = np.random.default_rng(seed)
    signs = np.where(rng.random(9) < 0.6, 1, -1)
    levels, walls = rng.uniform(0.2, 1.0, 9), rng.uniform(0.3, 1.0, 9)
    counts = rng.integers(1, 5, 9)
    slots = rng.permutation(sum(counts) * 2)[:sum(counts)]
    inputs = np.repeat(np.arange(9), counts)
    times = [(int(i), T0 + 0.25e-9 * int(s)) for i, s in zip(inputs, slots)]
    return signs, levels, walls, sorted(times, key=lambda x: x[1])


def fig4_conv(p: Mapping[str, object]) -> Circuit:
    """Fig. 4: a seeded random 3x3 CMOS+X convolution, read, threshold compare and reset."""
    signs, levels, walls, times = random_kernel(int(_get(p, "kernel_seed", 4)))
    if "n_events" in p and int(_get(p, "n_events", 0)) != len(times):
        raise ConfigError(f"n_events={p['n_events']!r} but kernel_seed gives {len(times)} events; fix [parameters]")
    weights = tuple(_weight("hybrid", p, i, int(signs[i]), levels[i], walls[i]) for i in range(9))
    t_int = times[-1][1] + 1e-9
    spec = P2MSpec(config="hybrid", weights=weights, events=_events(p, times, PULSE_CONV), reads=(t_int,),
                   resets=(t_int + 1.2e-9,), stop=t_int + 3.5e-9,
                   q_th=(_get(p, "q_thtop", 60e-9), _get(p, "q_thbot", 45e-9)), **_common(p))
    measures = _read_measures(t_int + 0.8e-9) + [
        Measure("tran", "qp", f"FIND {wall('accp')} AT={t_int!r}"),
        Measure("tran", "qn", f"FIND {wall('accn')} AT={t_int!r}"),
        Measure("tran", "qp_rst", f"FIND {wall('accp')} AT={spec.stop - 0.05e-9!r}"),
        Measure("tran", "qn_rst", f"FIND {wall('accn')} AT={spec.stop - 0.05e-9!r}"),
        Measure("tran", "p_idle", f"AVG par('-v(vdd)*i(vdd)') FROM=0.2e-9 TO={T0 - 0.1e-9!r}")]
    measures += energy_measures(spec, 0.0, t_int) + energy_measures(spec, t_int, t_int + 1.1e-9, "_rd")
    measures += energy_measures(spec, t_int + 1.1e-9, spec.stop, "_rs")
    return p2m_cell(spec, measures, "p2m random 3x3 convolution (fig 4)")


# --- Fig. 5: reprogramming weights and threshold ------------------------------------------------------
FIG5_EVENTS = ((0, 1.0e-9), (1, 1.3e-9), (0, 1.6e-9), (1, 1.9e-9), (0, 2.2e-9), (1, 2.5e-9), (0, 2.8e-9),
               (0, 3.1e-9))


def fig5_reprogram(p: Mapping[str, object]) -> Circuit:
    """Fig. 5: one positive and one negative CMOS+X weight; MAC, read (output 0), reset, reprogram
    both weight walls and the threshold, MAC with the same events, read (output 1)."""
    w = (_weight("hybrid", p, 0, 1, 1.0, _get(p, "pw_a", 0.2)), _weight("hybrid", p, 1, -1, 1.0, _get(p, "nw_a", 0.9)))
    second, t_read, t_prog = 7e-9, 3.6e-9, 7.0e-9
    ev = list(FIG5_EVENTS) + [(i, t + second) for i, t in FIG5_EVENTS]
    i_prog, i_prog_w = _get(p, "i_prog", 60e-6), _get(p, "i_prog_w", 300e-6)   # weights: above I_TH2 = 150 uA
    programs = (Program("w0", t_prog, _get(p, "t_pw", 0.2e-9), -i_prog_w),
                Program("w1", t_prog, _get(p, "t_nw", 0.2e-9), i_prog_w),
                Program("th_bot", t_prog, _get(p, "t_th", 0.46e-9), -i_prog))
    spec = P2MSpec(config="hybrid", weights=w, events=_events(p, ev, PULSE_CONV),
                   reads=(t_read, t_read + second), resets=(4.8e-9,), programs=programs, stop=11.8e-9,
                   q_th=(_get(p, "q_thtop", 60e-9), _get(p, "q_thbot", 95e-9)), **_common(p))
    t1, t2 = t_read + 0.8e-9, t_read + second + 0.8e-9
    measures = _read_measures(t1, "1") + _read_measures(t2, "2")
    for dev in ("w0", "w1", "accp", "accn", "th_bot"):
        measures += [Measure("tran", f"q{dev}_1", f"FIND {wall(dev)} AT={t_read!r}"),
                     Measure("tran", f"q{dev}_2", f"FIND {wall(dev)} AT={t_read + second!r}")]
    return p2m_cell(spec, measures, "p2m weight and threshold reprogramming (fig 5)")


# --- registered example netlists -----------------------------------------------------------------
def _example(builder, **values):
    def build() -> Circuit:
        return builder(values)
    build.__doc__ = builder.__doc__
    return build


EXAMPLES = {
    "p2m_cmos_weight": _example(fig6_cmos, x_level=1.0, w_level=1.0),
    "p2m_dwmtj_weight": _example(fig6_dwmtj, x_level=1.0, p_level=1.0),
    "p2m_hybrid_weight": _example(fig6_hybrid, x_level=1.0, w_level=1.0, p_level=1.0),
    "p2m_read_divider": _example(fig6d_read, qp_level=0.75, qn_level=0.25),
    "p2m_conv3x3": _example(fig4_conv, kernel_seed=4),
    "p2m_reprogram": _example(fig5_reprogram),
}


def register(examples: Dict[str, object]) -> None:
    """Add the P2M examples to a circuits registry."""
    examples.update(EXAMPLES)


def _register_in_registry() -> None:
    from .basic import EXAMPLES as registry
    register(registry)


_register_in_registry()
