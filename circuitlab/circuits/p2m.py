"""P2M in-pixel MAC cell (seed: dwmtj_p2m_snn_paper.txt, Figs. 2-5): event inputs, weights, DW-MTJ
accumulators, series-divider read, DW-MTJ threshold divider, comparator and reset.

Topology (all SI units; nodes in brackets)::

    [vdd] -- PMOS MW_i (gate [g<i>], active-low spike) --+-- (dwmtj/hybrid: weight DW-MTJ XW_i read
                                                          |    path t3 -> t2, written by [wp<i>])
                                                          '--> [accp_in] or [accn_in]
    ACC_P: write track [accp_in] -> 0,      read MTJ [pre] -> 0
    ACC_N: write track [accn_in] -> [pre],  read MTJ [vrd] -> [pre]
    NMOS MEN: [pre] -> 0, gate [wen]: grounds ACC_N's track return during MAC and reset
    NMOS MRP/MRN: [acc*_in] -> [vneg] (-v_reset), gate [rstg]: the long negative reset pulse
    threshold divider: TH_TOP read MTJ [vrd] -> [vth], TH_BOT read MTJ [vth] -> 0
    comparator (behavioural): [out] = vdd * step(v(pre) - v(vth)) while the read is on

- ``cmos``: weight = PMOS width (wide device, no weight MTJ);
- ``dwmtj``: a fixed-width PMOS switch and a weight DW-MTJ whose programmed wall position q sets its
  read resistance (larger q: higher R, smaller weight);
- ``hybrid`` (CMOS+X): both in series; its weight MTJ has R_P = 6 kOhm (a larger junction), so the
  transistor sets the weight's range and the wall trims it (seed: 30-40 % tunability).

The MAC current of a weight passes its DW-MTJ's read path and track, so weight DW-MTJs have the higher
threshold I_TH2 = 150 uA (seed: "I_TH2 > I_W,MAX"); programming them takes more than that.

During the read ([vrd] = v_read, [wen] low) the pre-activation is the series divider
``v(pre) = v_read R_P,acc / (R_N,acc + R_P,acc)``: it rises with q_pos - q_neg.

Every DW-MTJ is an instance of the generated ``dwmtj`` subcircuit (circuitlab.devices); its wall
position is ``1e-9 * v(x<name>.s_q)`` m. Weight and threshold DW-MTJs are programmed by current
pulses on their own write tracks (ideal current sources [wp<i>] -> t2, zero when idle).
The seed integrates over 1 ms; here time is compressed to nanoseconds (write pulses of ~100 ps):
the wall does not move below I_th, so idle time changes only the leakage energy (reported apart).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Sequence, Tuple

from ..errors import InvalidValueError
from ..netlist import (BSource, Circuit, CurrentSource, Instance, Measure, Mosfet, PWL, Tran, VoltageSource)
from . import p2m_models as pm

CONFIGS = ("cmos", "dwmtj", "hybrid")
EDGE = 10e-12            # s, rise/fall of every digital edge
COMP_WIDTH = 0.5e-3      # V, width of the comparator's tanh step
L_WEIGHT = pm.L_MIN       # m, weight transistor length (PTM 22 nm: longer L cuts the current ~5x)
W_SWITCH = 400e-9        # m, the fixed PMOS switch of the dwmtj configuration
W_RESET = 400e-9         # m, reset and track-return NMOS
I_TH_WEIGHT = 150e-6     # A, threshold of the weight DW-MTJs: above the largest MAC current (seed: I_TH2 > I_W,MAX)
R_P_HYBRID = 6e3         # ohm, R_P of the hybrid's weight MTJ: the transistor sets the range, the MTJ trims it


@dataclass(frozen=True)
class Weight:
    """One kernel weight. ``sign`` +1 (positive accumulator) or -1; ``width`` (m) of its PMOS (cmos,
    hybrid); ``q`` (m) the programmed wall of its DW-MTJ (dwmtj, hybrid); ``dvt`` (V) the PMOS delvto;
    ``r_scale`` multiplies the weight DW-MTJ's R_P (resistance variation)."""
    sign: int = 1
    width: float = 100e-9
    q: float = 20e-9
    dvt: float = 0.0
    r_scale: float = 1.0


@dataclass(frozen=True)
class Event:
    """An input spike on kernel input ``index`` at ``time`` (s) lasting ``width`` (s)."""
    index: int
    time: float
    width: float = 60e-12


@dataclass(frozen=True)
class Program:
    """A programming current pulse (A; positive moves the wall right) on the write track of DW-MTJ
    ``device`` ('w<i>', 'th_top', 'th_bot') at ``time`` (s) for ``width`` (s)."""
    device: str
    time: float
    width: float
    current: float


@dataclass(frozen=True)
class P2MSpec:
    """The cell: configuration, weights, events, phase times (s) and bias values (V).

    ``reads``: start times of read phases (each ``t_read`` long); ``resets``: start times of reset
    phases (each ``t_reset`` long). ``r_acc``/``r_th``: R_P scale of (ACC_P, ACC_N) and (TH_TOP,
    TH_BOT); ``q_th``/``q_acc``: initial walls (m) of (TH_TOP, TH_BOT)/(ACC_P, ACC_N);
    ``dvt_fixed``: delvto (V) of (MEN, MRP, MRN). ``max_step`` (s) bounds the solver step.
    ``v_read`` = 0.05 V keeps the read non-destructive: the divider current v_read / (R_N + R_P) is at most
    0.05 V / (2 x 0.8 x 10 kOhm) = 3.1 uA (both walls at q = 0, R_P 20 % low) < the accumulators' and
    threshold devices' I_th = 4.8 uA (the read current flows through their tracks).
    """
    config: str = "hybrid"
    weights: Tuple[Weight, ...] = field(default_factory=lambda: tuple(Weight() for _ in range(9)))
    events: Tuple[Event, ...] = ()
    reads: Tuple[float, ...] = ()
    resets: Tuple[float, ...] = ()
    programs: Tuple[Program, ...] = ()
    stop: float = 10e-9
    vdd: float = pm.VDD
    v_read: float = 0.05
    v_reset: float = 0.4
    t_read: float = 1e-9
    t_reset: float = 2e-9
    r_acc: Tuple[float, float] = (1.0, 1.0)
    r_th: Tuple[float, float] = (1.0, 1.0)
    q_th: Tuple[float, float] = (60e-9, 60e-9)
    dvt_fixed: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    q_acc: Tuple[float, float] = (0.0, 0.0)
    max_step: float = 20e-12

    def __post_init__(self):
        object.__setattr__(self, "weights", tuple(self.weights))
        object.__setattr__(self, "events", tuple(sorted(self.events, key=lambda e: (e.time, e.index))))
        for name in ("reads", "resets", "programs"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.config not in CONFIGS:
            raise InvalidValueError(f"config={self.config!r}: use one of {', '.join(CONFIGS)}")
        if not self.weights:
            raise InvalidValueError("the kernel needs at least one weight")
        for i, w in enumerate(self.weights):
            if w.sign not in (1, -1) or w.width <= 0 or w.r_scale <= 0 or not 0 <= w.q <= 120e-9:
                raise InvalidValueError(f"weight {i}: sign must be +-1, width > 0 m, r_scale > 0, 0 <= q <= 120 nm")
        for e in self.events:
            if not 0 <= e.index < len(self.weights) or e.time <= EDGE or e.width <= 0:
                raise InvalidValueError(f"event {e}: index must name a weight, time > {EDGE} s, width > 0 s")
        if self.stop <= 0 or self.v_read <= 0 or self.v_reset <= 0:
            raise InvalidValueError("stop, v_read and v_reset must be > 0")

    @property
    def positive(self) -> Tuple[int, ...]:
        return tuple(i for i, w in enumerate(self.weights) if w.sign > 0)


# --- waveforms -----------------------------------------------------------------------------------
def _windows(low: float, high: float, spans: Sequence[Tuple[float, float]]) -> PWL:
    """A PWL at ``low`` with ``high`` during each (start, width) span (edges EDGE, overlaps merged)."""
    merged: List[List[float]] = []
    for start, width in sorted(spans):
        end = start + width
        if merged and start <= merged[-1][1] + 2 * EDGE:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    points = [(0.0, low)]
    for start, end in merged:
        points += [(start, low), (start + EDGE, high), (end + EDGE, high), (end + 2 * EDGE, low)]
    return PWL(tuple(points))


def _gate_wave(spec: P2MSpec, i: int) -> PWL:
    """Active-low spike train of input ``i`` (PMOS gate: vdd idle, 0 during an event)."""
    return _windows(spec.vdd, 0.0, [(e.time, e.width) for e in spec.events if e.index == i])


def _current_wave(programs: Sequence[Program]) -> PWL:
    points = [(0.0, 0.0)]
    for p in sorted(programs, key=lambda p: p.time):
        points += [(p.time, 0.0), (p.time + EDGE, p.current), (p.time + EDGE + p.width, p.current),
                   (p.time + 2 * EDGE + p.width, 0.0)]
    return PWL(tuple(points))


# --- the cell ------------------------------------------------------------------------------------
def _dwmtj(name: str, t1: str, t2: str, t3: str, r_scale: float, q: float, r_p: float = None,
           i_th: float = None) -> Instance:
    """A dwmtj instance: R_P (default: the device's) times ``r_scale``, wall at ``q``; ``i_th`` (A)
    overrides the device's threshold (weights: :data:`I_TH_WEIGHT`)."""
    from ..devices import get
    r_p = get("dwmtj").defaults()["R_P"] if r_p is None else r_p
    params = {"R_P": r_p * r_scale, "q_init": q}
    if i_th is not None:
        params["I_th"] = i_th
    return Instance(name, "dwmtj", (t1, t2, t3), params)


def _weight_elements(spec: P2MSpec, i: int, w: Weight) -> list:
    acc = "accp_in" if w.sign > 0 else "accn_in"
    out = [VoltageSource(f"g{i}", f"g{i}", "0", waveform=_gate_wave(spec, i))]
    width = W_SWITCH if spec.config == "dwmtj" else w.width
    drain = acc if spec.config == "cmos" else f"d{i}"
    out.append(Mosfet(f"w{i}", drain, f"g{i}", "vdd", "vdd", pm.PMOS,
                      {"W": width, "L": L_WEIGHT, "delvto": w.dvt}))
    if spec.config != "cmos":
        out.append(_dwmtj(f"w{i}", f"wp{i}", acc, f"d{i}", w.r_scale, w.q,
                          R_P_HYBRID if spec.config == "hybrid" else None, I_TH_WEIGHT))
        out.append(CurrentSource(f"wp{i}", acc, f"wp{i}",
                                 waveform=_current_wave([p for p in spec.programs if p.device == f"w{i}"])))
    return out


def _accumulators(spec: P2MSpec) -> list:
    d_en, d_rp, d_rn = spec.dvt_fixed
    busy = [(t, spec.t_read) for t in spec.reads]
    resets = [(t, spec.t_reset) for t in spec.resets]
    return [
        _dwmtj("accp", "accp_in", "0", "pre", spec.r_acc[0], spec.q_acc[0]),
        _dwmtj("accn", "accn_in", "pre", "vrd", spec.r_acc[1], spec.q_acc[1]),
        VoltageSource("wen", "wen", "0", waveform=_windows(spec.vdd, 0.0, busy)),
        Mosfet("en", "pre", "wen", "0", "0", pm.NMOS, {"W": W_RESET, "L": pm.L_MIN, "delvto": d_en}),
        VoltageSource("neg", "vneg", "0", dc=-spec.v_reset),
        VoltageSource("rstg", "rstg", "0", waveform=_windows(-spec.v_reset, spec.vdd, resets)),
        Mosfet("rp", "accp_in", "rstg", "vneg", "vneg", pm.NMOS, {"W": W_RESET, "L": pm.L_MIN, "delvto": d_rp}),
        Mosfet("rn", "accn_in", "rstg", "vneg", "vneg", pm.NMOS, {"W": W_RESET, "L": pm.L_MIN, "delvto": d_rn}),
    ]


def _read_out(spec: P2MSpec) -> list:
    th = [p for p in spec.programs if p.device.startswith("th_")]
    comp = (f"{spec.vdd!r}*0.5*(1+tanh((v(pre)-v(vth))/{COMP_WIDTH!r}))*v(vrd)/{spec.v_read!r}")
    return [
        VoltageSource("rd", "vrd", "0", waveform=_windows(0.0, spec.v_read, [(t, spec.t_read) for t in spec.reads])),
        _dwmtj("th_top", "thp_top", "vth", "vrd", spec.r_th[0], spec.q_th[0]),
        _dwmtj("th_bot", "thp_bot", "0", "vth", spec.r_th[1], spec.q_th[1]),
        CurrentSource("th_top", "vth", "thp_top", waveform=_current_wave([p for p in th if p.device == "th_top"])),
        CurrentSource("th_bot", "0", "thp_bot", waveform=_current_wave([p for p in th if p.device == "th_bot"])),
        BSource("comp", "out", "0", voltage=comp),
    ]


def energy_measures(spec: P2MSpec, start: float, stop: float, tag: str = "") -> List[Measure]:
    """Energy (J) delivered by the supply, the spike drivers, the read source and the reset rail
    between ``start`` and ``stop`` (s): ``e_vdd``, ``e_gate``, ``e_read``, ``e_reset`` (+ ``tag``)."""
    span = f"FROM={start!r} TO={stop!r}"
    gates = "+".join(f"v(g{i})*i(vg{i})" for i in range(len(spec.weights)))
    return [Measure("tran", f"e_vdd{tag}", f"INTEG par('-v(vdd)*i(vdd)') {span}"),
            Measure("tran", f"e_gate{tag}", f"INTEG par('-({gates})') {span}"),
            Measure("tran", f"e_read{tag}", f"INTEG par('-v(vrd)*i(vrd)') {span}"),
            Measure("tran", f"e_reset{tag}", f"INTEG par('-v(vneg)*i(vneg)-v(rstg)*i(vrstg)') {span}")]


def p2m_cell(spec: P2MSpec, measures: Sequence[Measure] = (), title: str = "") -> Circuit:
    """The netlist of ``spec`` with a transient to ``spec.stop`` and the given measures."""
    from ..devices import get
    from ..devices.ngspice import subcircuit
    elements = [VoltageSource("dd", "vdd", "0", dc=spec.vdd)]
    for i, w in enumerate(spec.weights):
        elements += _weight_elements(spec, i, w)
    elements += _accumulators(spec) + _read_out(spec)
    return Circuit(title or f"p2m in-pixel mac cell ({spec.config} weights)", elements=elements,
                   subcircuits=[subcircuit(get("dwmtj"))], models=pm.load_card(),
                   analyses=[Tran(spec.max_step, spec.stop, max_step=spec.max_step)], measures=list(measures),
                   allow_dangling=frozenset({"out"}))


def wall(name: str) -> str:
    """The ngspice vector of DW-MTJ ``name``'s wall position (volt = nm)."""
    return f"v(x{name}.s_q)"
