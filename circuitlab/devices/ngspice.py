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
    names = {p.name: "{" + p.name + "}" for p in model.params}
    names.update({b.symbol.name: _v(b.plus, b.minus) for b in model.branches})
    names.update({s.name: f"({s.scale!r}*v({s.node}))" for s in model.states})
    names.update({i.name: f"({i.scale!r}*v({i.node}))" for i in model.inputs})
    return names


def expression(model: DeviceModel, name: str) -> str:
    """The ngspice text of equation ``name`` with every quantity before it substituted."""
    return print_expr(model.flat(name), "ngspice", symbol_names(model))


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
    return Subcircuit(name or model.name, port_list, tuple(elements), params=dict(card),
                      allow_dangling=frozenset(dangling))


def emit_ngspice(model: DeviceModel, card: Optional[Mapping[str, float]] = None) -> str:
    """The subcircuit as netlist text."""
    return "\n".join(subcircuit(model, card).lines()) + "\n"
