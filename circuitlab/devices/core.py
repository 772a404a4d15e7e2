"""The device-model description: parameters, branches, states and equations, written once in sympy.

A :class:`DeviceModel` is plain data. Its equations are an ordered list of named quantities
(:class:`Quantity`), each a sympy expression of the parameters, the branch voltages, the states, the
external inputs and the quantities before it. Generators turn one model into a Verilog-A module
(:mod:`.veriloga`), an ngspice B-source subcircuit (:mod:`.ngspice`) and numpy/torch evaluators
(:mod:`.numeric`); nothing else holds an equation.

Units are SI throughout; each state is stored in ngspice and Verilog-A as ``value / scale`` on a
1 F capacitor so that node voltages are of order one.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

import sympy as sp

from .errors import DeviceParameterError, UnknownParameterError

# CODATA 2018 exact / recommended values
KB = 1.380649e-23          # J/K
Q_E = 1.602176634e-19      # C
MU0 = 1.25663706212e-6     # N/A^2


@dataclass(frozen=True)
class Param:
    """A named model parameter.

    ``lo``/``hi`` bound the physical range (``None``: unbounded; ``open_lo``/``open_hi`` exclude the
    bound). ``sweep`` is the range the equivalence tests draw from (defaults to +-20 % of ``default``).
    """
    name: str
    default: float
    unit: str
    doc: str
    source: str
    lo: Optional[float] = None
    hi: Optional[float] = None
    open_lo: bool = False
    open_hi: bool = False
    sweep: Optional[Tuple[float, float]] = None

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, real=True)

    @property
    def sweep_range(self) -> Tuple[float, float]:
        if self.sweep is not None:
            return self.sweep
        a, b = sorted((0.8 * self.default, 1.2 * self.default))
        return (a, b)

    def check(self, value, model: str) -> float:
        """Return ``value`` as a float or raise :class:`DeviceParameterError` naming the fix."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise DeviceParameterError(f"{model}: parameter {self.name}={value!r} is not a number; "
                                       f"give a float in {self.unit or 'SI units'}")
        v = float(value)
        if not math.isfinite(v):
            raise DeviceParameterError(f"{model}: parameter {self.name}={value!r} is not finite")
        if self.lo is not None and (v < self.lo or (self.open_lo and v == self.lo)):
            op = ">" if self.open_lo else ">="
            raise DeviceParameterError(f"{model}: parameter {self.name}={v!r} {self.unit} is out of range; "
                                       f"it must be {op} {self.lo!r} ({self.doc})")
        if self.hi is not None and (v > self.hi or (self.open_hi and v == self.hi)):
            op = "<" if self.open_hi else "<="
            raise DeviceParameterError(f"{model}: parameter {self.name}={v!r} {self.unit} is out of range; "
                                       f"it must be {op} {self.hi!r} ({self.doc})")
        return v

    def range_text(self) -> str:
        lo = "-inf" if self.lo is None else repr(self.lo)
        hi = "inf" if self.hi is None else repr(self.hi)
        return f"{'(' if self.open_lo or self.lo is None else '['}{lo}:{hi}{')' if self.open_hi or self.hi is None else ']'}"


@dataclass(frozen=True)
class Branch:
    """A voltage between two nodes; its symbol is ``V_<name>`` (volt)."""
    name: str
    plus: str
    minus: str

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(f"V_{self.name}", real=True)


@dataclass(frozen=True)
class State:
    """A state variable ``x`` (SI unit ``unit``) with ``dx/dt = rate``.

    Stored as ``x / scale`` on a 1 F capacitor at internal node ``s_<name>``; ``initial`` names the
    parameter that holds its initial value. ``rate`` must already be bounded (see :func:`bounded_rate`).
    """
    name: str
    unit: str
    scale: float
    initial: str
    rate: sp.Expr
    doc: str
    test_range: Tuple[float, float] = (0.0, 1.0)

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, real=True)

    @property
    def node(self) -> str:
        return f"s_{self.name}"


@dataclass(frozen=True)
class Input:
    """An external signal (random draw, noise field, ...) read as the voltage of node ``in_<name>``.

    The value in SI units is ``scale * V(in_<name>)``. In Verilog-A and in the ngspice subcircuit it
    is a port, driven from outside the model so that Monte Carlo stays reproducible.
    """
    name: str
    unit: str
    scale: float
    doc: str
    test_range: Tuple[float, float] = (-1.0, 1.0)

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, real=True)

    @property
    def node(self) -> str:
        return f"in_{self.name}"


@dataclass(frozen=True)
class Quantity:
    """A named intermediate or output quantity (retrieved by verilogae, returned by the evaluators)."""
    name: str
    expr: sp.Expr
    unit: str
    doc: str
    # > 0: the ngspice target computes this quantity once, as the voltage of an internal node
    # n_<name> = value / node_scale, and later equations read it there instead of repeating its expression
    # (for a quantity that later equations use several times; choose the scale so that the node voltage is
    # of order 1, well above ngspice's vntol of 1 uV)
    node_scale: float = 0.0

    @property
    def symbol(self) -> sp.Symbol:
        return sp.Symbol(self.name, real=True)


@dataclass(frozen=True)
class DeviceModel:
    """One device model: everything the three generators and the tests need.

    ``terminals``: port names in order; ``branches``: the voltages the equations read (ranges for
    the equivalence tests in ``voltage_ranges``, volt); ``quantities``: ordered equations;
    ``contributions``: branch currents (ampere, flowing plus -> minus) as names of quantities.
    """
    name: str
    title: str
    doc: str
    citations: Tuple[str, ...]
    terminals: Tuple[str, ...]
    branches: Tuple[Branch, ...]
    params: Tuple[Param, ...]
    quantities: Tuple[Quantity, ...]
    contributions: Tuple[Tuple[str, str], ...]
    states: Tuple[State, ...] = ()
    inputs: Tuple[Input, ...] = ()
    internal_nodes: Tuple[str, ...] = ()
    voltage_ranges: Dict[str, Tuple[float, float]] = field(default_factory=dict)
    # pulse-train test bench: node -> (v1, v2, delay, rise, fall, width, period), stop time (s), card changes
    test_pulses: Dict[str, Tuple[float, ...]] = field(default_factory=dict)
    test_stop: float = 0.0
    test_card: Dict[str, float] = field(default_factory=dict)

    # --- parameters -------------------------------------------------------------------------
    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise UnknownParameterError(f"{self.name}: no parameter {name!r}; known: {', '.join(self.param_names)}")

    @property
    def param_names(self) -> Tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def defaults(self) -> Dict[str, float]:
        return {p.name: p.default for p in self.params}

    def card(self, overrides: Optional[Mapping[str, float]] = None, **kw) -> Dict[str, float]:
        """A validated parameter card: the defaults with ``overrides`` applied (unknown names raise)."""
        changes = dict(overrides or {}, **kw)
        known = set(self.param_names)
        unknown = sorted(set(changes) - known)
        if unknown:
            raise UnknownParameterError(f"{self.name}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                                        f"known: {', '.join(self.param_names)}")
        card = self.defaults()
        card.update(changes)
        return {p.name: p.check(card[p.name], self.name) for p in self.params}

    # --- equations ---------------------------------------------------------------------------
    def quantity(self, name: str) -> Quantity:
        for q in self.quantities:
            if q.name == name:
                return q
        raise KeyError(f"{self.name}: no quantity {name!r}")

    @property
    def outputs(self) -> Tuple[str, ...]:
        """Names of everything retrieved and compared: the quantities and the state rates."""
        return tuple(q.name for q in self.quantities) + tuple(rate_name(s) for s in self.states)

    def all_equations(self) -> Tuple[Quantity, ...]:
        """The quantities followed by one quantity per state rate (``d<state>dt``)."""
        rates = tuple(Quantity(rate_name(s), s.rate, f"{s.unit}/s", f"time derivative of {s.name}")
                      for s in self.states)
        return self.quantities + rates

    def flat(self, name: str, keep: Tuple[str, ...] = ()) -> sp.Expr:
        """The equation ``name`` with every earlier quantity substituted (for B-source expressions), except
        the quantities named in ``keep``, which stay symbols."""
        cache = {}
        for q in self.all_equations():
            value = q.expr.xreplace(cache)
            if q.name == name:
                return value
            if q.name not in keep:
                cache[q.symbol] = value
        raise KeyError(f"{self.name}: no equation {name!r}")

    @property
    def node_quantities(self) -> Tuple["Quantity", ...]:
        """Quantities the ngspice target computes on internal nodes (``Quantity.node_scale`` > 0)."""
        return tuple(q for q in self.quantities if q.node_scale > 0)

    def free_symbols_ok(self) -> None:
        """Check that every equation reads only known symbols (a model-definition bug otherwise)."""
        names = [p.name for p in self.params] + [q.name for q in self.all_equations()]
        names += [s.name for s in self.states] + [i.name for i in self.inputs]
        lower = [n.lower() for n in names]
        clash = sorted({n for n in names if lower.count(n.lower()) > 1})
        if clash:
            raise ValueError(f"{self.name}: names {clash} clash (SPICE names are case-insensitive)")
        known = {p.symbol for p in self.params} | {b.symbol for b in self.branches}
        known |= {s.symbol for s in self.states} | {i.symbol for i in self.inputs}
        for q in self.all_equations():
            extra = q.expr.free_symbols - known
            if extra:
                raise ValueError(f"{self.name}.{q.name} reads unknown symbols {sorted(map(str, extra))}")
            known.add(q.symbol)

    @property
    def state_nodes(self) -> Tuple[str, ...]:
        return tuple(s.node for s in self.states)

    @property
    def input_nodes(self) -> Tuple[str, ...]:
        return tuple(i.node for i in self.inputs)


def rate_name(state: State) -> str:
    return f"d{state.name}dt"


# --- smooth helpers used by the model definitions ----------------------------------------------------
def smooth_step(x: sp.Expr, width) -> sp.Expr:
    """0 for x << -width, 1 for x >> width, 1/2 at 0: (1 + tanh(x/width))/2 (C-infinity)."""
    return (1 + sp.tanh(x / width)) / 2


def bounded_rate(rate: sp.Expr, x: sp.Expr, lo, hi, width, rate_scale) -> sp.Expr:
    """Limit ``dx/dt = rate`` smoothly to ``lo <= x <= hi``.

    Motion towards ``hi`` is multiplied by a smooth window that falls from 1 to 0 within a few
    ``width`` of ``hi`` (likewise towards ``lo``); which window applies is chosen by a smooth step in
    the sign of ``rate`` (``rate_scale``, same unit as ``rate``, sets its width). The result is
    infinitely differentiable, so the state cannot jump; it can overshoot a bound by a few ``width``
    at most, logarithmically in the drive.
    """
    up = smooth_step(rate, rate_scale)
    return rate * (up * smooth_step(hi - x, width) + (1 - up) * smooth_step(x - lo, width))
