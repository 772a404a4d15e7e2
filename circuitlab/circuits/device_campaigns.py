"""Single-device campaigns whose device parameters come from a card (shipped or calibrated).

- :func:`vcmtj_switching` (evaluator): P_sw of the VC-MTJ macrospin (stochastic LLG, seed eqs. 3-5) for
  one pulse, from each initial state, with the sample's macrospin parameters: the card's values
  (``card = "vcmtj"`` or a card from ``devices calibrate vcmtj``), varied per sample by the spec.
- :func:`rram_set_read` (builder): the Stanford-PKU RRAM cell in ngspice: read, SET pulse, read again,
  with the sample's card values (a card from ``devices calibrate rram``, or the model defaults).

Both take every parameter by its card name, so a calibrated card flows in with
``circuitlab mc run SPEC --card CARD.toml`` and no edit (:mod:`circuitlab.montecarlo.cards`).
"""
from __future__ import annotations

from dataclasses import fields
from typing import Dict, Mapping

from ..devices import get
from ..devices.ngspice import subcircuit
from ..errors import ConfigError
from ..netlist import PWL, Circuit, Instance, Measure, Tran, VoltageSource


def _number(values: Mapping[str, object], name: str, where: str) -> float:
    if name not in values:
        raise ConfigError(f"{where}: the spec gives no {name!r}; add it to [parameters]")
    return float(values[name])


def vcmtj_switching(values: Mapping[str, object]) -> Dict[str, float]:
    """Switching probability of one gate pulse (``voltage`` V, ``width`` s) from P and from AP.

    Values: the macrospin parameters by their card names (t_fl, t_ox, ms, alpha, xi, ki, hx,
    temperature, diameter; missing ones take the shipped card's value), ``voltage``, ``width``,
    ``trials`` (per initial state) and ``mc_seed`` (seeds the thermal field). Returns ``p_from_p``,
    ``p_from_ap`` and their mean ``p_sw`` (seed Fig. 2c plots the mean over both initial states).
    """
    from ..physics import MacrospinParams, PulseProtocol, switching_probability
    where = "vcmtj_switching"
    given = {f.name: float(values[f.name]) for f in fields(MacrospinParams) if f.name in values}
    params = MacrospinParams(**given)
    trials = _number(values, "trials", where)
    if trials != int(trials) or trials < 1:
        raise ConfigError(f"{where}: trials = {trials!r} must be a positive whole number")
    table = switching_probability(params, [_number(values, "voltage", where)], [_number(values, "width", where)],
                                  int(trials), seed=int(values["mc_seed"]), protocol=PulseProtocol(),
                                  threads=1)
    p = float(table.switched_from_p[0, 0]) / int(trials)
    ap = float(table.switched_from_ap[0, 0]) / int(trials)
    return {"p_from_p": p, "p_from_ap": ap, "p_sw": 0.5 * (p + ap)}


def rram_set_read(values: Mapping[str, object]) -> Circuit:
    """Read at ``v_read`` for ``t_read``, a SET pulse of ``v_set`` for ``t_set`` (``t_edge`` edges), then
    read again (V, s), starting from the programmed gap ``g_prog`` (m). Values: any Stanford-PKU card names
    (I0, g0, V0, vel0, beta, gamma0, Ea, a0, t_ox, T0, R_th, g_min, g_max, ...; missing ones take the
    model's defaults). A card's ``g_init`` (the model's default initial state) is not used: the
    programmed state is the campaign's condition ``g_prog``, so a card cannot replace it.

    The transient starts from the operating point, which holds the gap at ``g_prog`` (the state rates
    are gated off at DC, :mod:`circuitlab.devices.ngspice`). Measures (A, into the top electrode through
    a 0 V sense source): ``i_before`` at t_read/2 and ``i_after`` at t_read/2 after the pulse; closed form at the start: I0 exp(-g_prog/g0) sinh(v_read/V0).
    """
    model = get("rram")
    where = "rram_set_read"
    given = {p.name: float(values[p.name]) for p in model.params if p.name in values and p.name != "g_init"}
    card = model.card({**given, "g_init": _number(values, "g_prog", where)})
    v_read, v_set = _number(values, "v_read", where), _number(values, "v_set", where)
    t_read, t_set = _number(values, "t_read", where), _number(values, "t_set", where)
    t_edge = float(values.get("t_edge", 1e-9))
    if min(t_read, t_set, t_edge) <= 0:
        raise ConfigError(f"{where}: t_read, t_set and t_edge must be > 0 s")
    t1 = t_read
    t2 = t1 + t_edge
    t3 = t2 + t_set
    t4 = t3 + t_edge
    stop = t4 + t_read
    wave = PWL(((0.0, v_read), (t1, v_read), (t2, v_set), (t3, v_set), (t4, v_read), (stop, v_read)))
    sub = subcircuit(model, card)
    step = min(t_read, t_set) / 50
    return Circuit(
        "rram set and read",
        elements=(VoltageSource("te", "te", "0", waveform=wave), VoltageSource("sense", "te", "cell", dc=0.0),
                  Instance("0", sub.name, ("cell", "0"))),
        subcircuits=(sub,), options={"reltol": 1e-6, "abstol": 1e-15},
        analyses=(Tran(step, stop, max_step=step),),
        measures=(Measure("tran", "i_before", f"FIND i(vsense) AT={0.5 * t_read!r}"),
                  Measure("tran", "i_after", f"FIND i(vsense) AT={t4 + 0.5 * t_read!r}")))
