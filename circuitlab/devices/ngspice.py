"""ngspice target: a :class:`~circuitlab.netlist.Subcircuit` of B-sources and state capacitors.

Ports: the model's terminals, then one port per external input (``in_<name>``, read as a node
voltage against ground). Each state ``x`` is ``scale * v(s_<name>)`` on a 1 F capacitor charged by a
B-source with the (already smoothly bounded) rate; a 1e-15 S pull towards the initial value defines
the DC operating point without changing transients (time constant 1e15 s). The rate is multiplied by
``v(dcgate)``, a subcircuit-local ``PULSE(0 1 0 1f 1f 1e30 2e30)`` that is 0 in ``.op`` and ``.dc``
(SPICE evaluates a source's value at t = 0 there) and 1 from 1 fs into a transient: so an operating
point, a ``.dc`` sweep and a transient started from the operating point (no ``uic``) all see the
states at their initial values. Without the gate the pull alone balances a biased rate at DC (an RRAM
gap of 2.71 nm instead of 1.7 nm at a 0.1 V read); ``time > 0`` cannot replace it, since ngspice 39
leaves ``time`` at the previous sweep value inside ``.dc``. Parameters are subcircuit
parameters (instance overrides work); expressions read them through numparam braces.

A quantity declared with ``node_scale`` (``Quantity.node_scale``) is computed once per subcircuit on an
internal node ``n_<name>`` (``B_n_<name> n_<name> 0 V=<value>/node_scale``) and read from there by the
later equations; otherwise every equation repeats it. ngspice evaluates a B-source and its derivatives from
the expression tree at every Newton iteration, so for the domain-wall MTJ, whose velocity enters its
position rate six times, this cuts the B-sources from 4956 + 708 to 456 + 114 characters (plus three short
node sources) and a P2M Fig. 4 transient from 52 s to 18 s of CPU (``benchmarks/bench_device_builder.py``).

``probe=True`` makes a test variant: states and internal nodes become ports (so a test can set them)
and every quantity is also written as the voltage of node ``o_<name>``.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence

from ..netlist import BSource, Capacitor, Pulse, Subcircuit, VoltageSource
from ..netlist.elements import Element
from .core import DeviceModel, rate_name
from .printers import print_expr
from .veriloga import HOLD_CONDUCTANCE

GATE = "dcgate"
"""Subcircuit-local node: 0 V at DC, 1 V from 1 fs into a transient (multiplies every state rate)."""


def _v(plus: str, minus: str) -> str:
    return f"v({plus})" if minus == "0" else f"v({plus},{minus})"


def symbol_names(model: DeviceModel) -> Dict[str, str]:
    names = {q.name: f"({q.node_scale!r}*v(n_{q.name}))" for q in model.node_quantities}
    names.update({p.name: "{" + p.name + "}" for p in model.params})
    names.update({b.symbol.name: _v(b.plus, b.minus) for b in model.branches})
    names.update({s.name: f"({s.scale!r}*v({s.node}))" for s in model.states})
    names.update({i.name: f"({i.scale!r}*v({i.node}))" for i in model.inputs})
    return names


_EXPRESSIONS: Dict[tuple, tuple] = {}


def expression(model: DeviceModel, name: str) -> str:
    """The ngspice text of equation ``name`` with every quantity before it substituted, except those the
    subcircuit computes on internal nodes (``Quantity.node_scale``), which are read there.

    Kept per model object: substituting and printing with sympy costs about 0.4 s per equation of the
    domain-wall model, and a campaign's builder asks for the same equations for every sample (the text
    depends on the equations only; the card's values enter as subcircuit parameters)."""
    key = (id(model), name)
    hit = _EXPRESSIONS.get(key)
    if hit is None or hit[0] is not model:          # the model is held: its id cannot be reused meanwhile
        if len(_EXPRESSIONS) > 512:                 # models built afresh per call: keep memory bounded
            _EXPRESSIONS.clear()
        keep = tuple(q.name for q in model.node_quantities)
        hit = _EXPRESSIONS[key] = (model, print_expr(model.flat(name, keep), "ngspice", symbol_names(model)))
    return hit[1]


def ports(model: DeviceModel, probe: bool = False) -> tuple:
    extra = tuple(model.internal_nodes) + model.state_nodes if probe else ()
    return tuple(model.terminals) + model.input_nodes + extra


def subcircuit(model: DeviceModel, card: Optional[Mapping[str, float]] = None, *, probe: bool = False,
               name: Optional[str] = None, probes: Sequence[str] = (),
               extra_elements: Sequence[Element] = (), hidden_inputs: Sequence[str] = ()) -> Subcircuit:
    """The ngspice subcircuit of ``model`` with defaults from ``card`` (validated; None: the defaults).

    ``probes``: quantities to expose as ``o_<name>`` nodes (``probe=True`` exposes all).
    ``hidden_inputs`` + ``extra_elements``: inputs driven inside the subcircuit (e.g. TRNOISE sources)
    instead of being ports.
    """
    card = model.card(card)
    model.free_symbols_ok()
    elements: List[Element] = []
    if model.states:
        elements.append(VoltageSource(f"V_{GATE}", GATE, "0", waveform=Pulse(0.0, 1.0, delay=0.0, rise=1e-15,
                                                                          fall=1e-15, width=1e30, period=2e30)))
    for q in model.node_quantities:
        elements.append(BSource(f"B_n_{q.name}", f"n_{q.name}", "0",
                                voltage=f"({expression(model, q.name)})/{q.node_scale!r}"))
    for branch_name, qname in model.contributions:
        b = next(b for b in model.branches if b.name == branch_name)
        elements.append(BSource(f"B_{b.name}", b.plus, b.minus, current=expression(model, qname)))
    for s in model.states:
        init = "{" + s.initial + "}"
        elements.append(Capacitor(f"C_{s.name}", s.node, "0", 1.0, ic=f"{s.initial}/{s.scale!r}"))
        rate = expression(model, rate_name(s))
        hold = f"{HOLD_CONDUCTANCE!r}*(v({s.node})-{init}/{s.scale!r})"
        elements.append(BSource(f"B_{s.name}", "0", s.node, current=f"({rate})*v({GATE})/{s.scale!r}-{hold}"))
    shown = model.outputs if probe else tuple(probes)
    for q in shown:
        elements.append(BSource(f"B_o_{q}", f"o_{q}", "0", voltage=expression(model, q)))
    elements += list(extra_elements)
    port_list = tuple(p for p in ports(model, probe) if p not in {f"in_{h}" for h in hidden_inputs})
    dangling = {f"o_{q}" for q in shown} | set(model.input_nodes) | set(model.internal_nodes) | {GATE}
    dangling |= {f"n_{q.name}" for q in model.node_quantities}
    return Subcircuit(name or model.name, port_list, tuple(elements), params=dict(card),
                      allow_dangling=frozenset(dangling))


def emit_ngspice(model: DeviceModel, card: Optional[Mapping[str, float]] = None) -> str:
    """The subcircuit as netlist text."""
    return "\n".join(subcircuit(model, card).lines()) + "\n"
