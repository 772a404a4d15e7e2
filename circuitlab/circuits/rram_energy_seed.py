"""RRAM array energy per MAC under the seed's conditions, one condition at a time (seed: neurram_cim_slides.txt).

The seed's figure: "Energy per MAC (fJ)": 2.16 fJ voltage mode, 7.81 fJ current mode, "* Includes only
energy from RRAM array"; voltage mode: "Drive BLs to Vref + Xi x Vread", "Activate all WLs and keep SLs
floating", "Turn off WLs when SL voltage settles" (2.32 ns); current mode: "Clamp SLs to Vref", "Activate
WLs with '1' input", array activation 10 ns. Energy per MAC = array energy of one MVM with multi-bit inputs
/ (number of weights): one MAC is one multi-bit input times one weight.

:func:`energy_seed` (spec ``rram_energy_seed.toml``) adds the conditions cumulatively over ``stage``:

0. today's evaluator (:func:`.rram_campaigns.energy`): analog inputs X in [-1, 1] at V_read 0.1 V, 1 kOhm
   drivers, line and sample capacitance, energy -v i of the sources referenced to ground;
1. array only: ideal drivers, no capacitance, energy referenced to V_ref (below): the cells' dissipation;
2. full swing: every input pulse drives its BL to V_ref + V_read (bit X in {0, 1}, half of them 1);
3. bit-serial pulse-count inputs: an unsigned ``bits``-bit input k is sent bit by bit, bit b as 2^b
   identical pulses, so k pulses in all (mean (2^bits - 1) / 2 over uniform k);
4. differential pairs: a weight w in [-1, 1] is two rows, G+ = G_min + max(w, 0) dG on a row driven with +X
   and G- = G_min + max(-w, 0) dG on a row driven with -X (both at full swing, opposite polarity);
5. NeuRRAM-like conductances: 4-bit weights (seed: "4-bit weights") uniform on 15 levels in [-1, 1]
   instead of trained Laplace weights (scale 0.15) that leave most cells near G_min;
6. line charging: 0.3 fF per BL segment and 0.8 fF per SL segment (estimate for 130 nm at 1.5 um pitch,
   metal about 0.2 fF/um plus the access transistor's junction; see :mod:`.rram_campaigns`), C_sample
   excluded (sense circuit, not array).

Energy referenced to V_ref: every line returns to V_ref after a pulse (BLs back to V_ref, SLs pre-charged to
V_ref before the next), so the net energy one pulse draws from all rails is sum over BL drivers of
integral (v - V_ref)(-i) dt over the activation (the current-mode clamps sit at V_ref and add nothing); for
ohmic cells without capacitance it is sum G (V_BL - V_SL)^2 t, and each line capacitance adds C dV^2 per pulse.
Each pulse starts from that reset state, so an input's pulses add: E = sum_b 2^b E(bit plane b), each bit
plane one ngspice transient per mode.

Measured (64 x 64 weights, 8 samples, fJ per MAC, mean; factor over the previous stage), 3-bit inputs:
voltage 0.035 -> 0.053 (x1.53) -> 0.039 (x0.73) -> 0.27 (x6.9) -> 0.58 (x2.16) -> 1.78 (x3.07) -> 1.80
(x1.01), seed 2.16 (0.83x); current 0.163 -> 0.244 (x1.50) -> 0.32 (x1.32) -> 2.22 (x6.9) -> 2.55 (x1.15) ->
7.84 (x3.08) -> 7.86 (x1.00), seed 7.81 (1.01x). With 4-bit inputs the pulse-count factor is x15 instead
of x7: 3.89 and 16.9 fJ (1.8x and 2.2x the seed). 4 vs 8 samples move the last stage by under 2 %.
Why each factor: array only removes the drivers' share and the ground-referenced line energy; full swing
raises the current-mode E[x^2] from 1/3 (analog uniform) to 1/2 and lowers the voltage-mode column
variance from 1/3 to 1/4; the pulse count multiplies by the mean pulses (2^bits - 1)/2 over one bit's 1/2;
a differential pair adds G_min + the partner cell (x1.15) in current mode, and in voltage mode puts
opposite-polarity rows on each SL (x2.2); 4-bit weights raise the mean conductance per weight from 7.4 to
22.8 uS (x3.1); lines add C dV^2 = 3-8 aJ per cell per pulse at 0.1 V, under 1 %. Not included: word-line
charging (access-transistor gates at V_WL, about 1-2 fF x (3.3 V)^2 = 10-20 fJ per cell per activation:
alone above the seed's 2.16 fJ, so the seed's array figure cannot contain it), the seed's unstated input
bit width (3 from its CIFAR-10 slide; 4 doubles both modes) and its real weight distribution.
"""
from __future__ import annotations

from typing import Dict, Mapping

import numpy as np

from ..errors import ConfigError
from .crossbar import CrossbarSpec
from .rram_campaigns import C_BL, C_SL, G_MAX, G_MIN, R_DRIVER, V_READ, V_REF, mvm_energy

STAGES = ("baseline", "array_only", "full_swing", "pulse_count", "differential", "neurram_g", "line_charging")
WEIGHT_LEVELS = 15          # 4-bit signed weights: -7..7 / 7


def _value(values: Mapping[str, object], name: str) -> float:
    if name not in values:
        raise ConfigError(f"value {name!r} is missing; add it to [parameters] or [sweep] of the campaign spec")
    return float(values[name])


def draw_weights(rng: np.random.Generator, m: int, n: int, dist: str) -> np.ndarray:
    """Weights in [-1, 1], (m, n): 'trained' Laplace (scale 0.15, clipped) or 'levels' uniform on 15 levels."""
    if dist == "trained":
        return np.clip(rng.laplace(0.0, 0.15, (m, n)), -1.0, 1.0)
    return rng.integers(-7, 8, (m, n)) / 7.0


def weight_conductances(w: np.ndarray, differential: bool) -> np.ndarray:
    """Conductances (S): one cell G_min + |w| dG per weight, or a differential pair as two rows per weight
    row (row 2i: G+, row 2i+1: G-)."""
    dg = G_MAX - G_MIN
    if not differential:
        return G_MIN + np.abs(w) * dg
    g = np.empty((2 * w.shape[0], w.shape[1]))
    g[0::2] = G_MIN + np.maximum(w, 0.0) * dg
    g[1::2] = G_MIN + np.maximum(-w, 0.0) * dg
    return g


def bit_planes(k: np.ndarray, bits: int) -> np.ndarray:
    """(bits, m) 0/1 planes of unsigned integers ``k``; plane b is sent as 2^b pulses."""
    return np.stack([(k >> b) & 1 for b in range(bits)]).astype(float)


def pulse_energy(g, x, mode: str, t_act: float, step: float, lines: bool, timeout: float = 300.0) -> float:
    """Net energy (J) of one full-swing pulse (inputs ``x`` in [-1, 1], V_read 0.1 V, ideal drivers) from an
    ngspice transient, referenced to V_ref; ``lines`` adds the BL/SL segment capacitance (and the BL
    drivers' switching loss, C dV^2 / 2 per BL, in closed form)."""
    cs = CrossbarSpec(g, x, c_bl=C_BL if lines else 0.0, c_sl=C_SL if lines else 0.0, c_sample=0.0)
    if not np.any(x):
        return 0.0
    e = mvm_energy(cs, mode, t_act, step, timeout, reference=V_REF)
    if lines:
        # the transient's BL source is an ideal 10 ps ramp, which charges a BL adiabatically (it supplies only
        # the stored C dV^2 / 2); a driver that switches the BL onto its rail loses another C dV^2 / 2 in the
        # switch, whatever its resistance: added here in closed form
        e += 0.5 * C_BL * g.shape[1] * float(np.sum((V_READ * np.asarray(x, float)) ** 2))
    return e


def _draw(values: Mapping[str, object], stage: int):
    n, bits = int(_value(values, "size")), int(_value(values, "bits"))
    if n < 1 or not 1 <= bits <= 8:
        raise ConfigError(f"size={n} must be >= 1 and bits={bits} in 1..8")
    rng = np.random.default_rng([int(values["mc_seed"]), n])
    w = draw_weights(rng, n, n, "levels" if stage >= 5 else "trained")
    k = rng.integers(0, 2 ** bits, n)
    return w, k, bits


def energy_seed(values: Mapping[str, object]) -> Dict[str, float]:
    """Evaluator: array energy per MVM (J) in both modes at condition ``stage`` (0-6, cumulative; module doc).

    Values: ``stage``, ``size`` (weights per side), ``bits`` (input bits, stage >= 3), ``t_voltage``,
    ``t_current``, ``step`` (s). Returns ``e_voltage``, ``e_current`` (J per MVM) and ``macs`` (weights):
    per MAC the spec divides by ``macs``."""
    stage = int(_value(values, "stage"))
    if not 0 <= stage < len(STAGES):
        raise ConfigError(f"stage={stage} must be 0..{len(STAGES) - 1} ({', '.join(STAGES)})")
    step, timeout = _value(values, "step"), _value(values, "mc_timeout")
    times = {"voltage": _value(values, "t_voltage"), "current": _value(values, "t_current")}
    n = int(_value(values, "size"))
    if stage == 0:
        from .rram_campaigns import energy
        got = energy(dict(values, sparse=1.0, r_driver=R_DRIVER))
        return {"e_voltage": got["e_voltage"], "e_current": got["e_current"], "macs": float(n * n)}
    w, k, bits = _draw(values, stage)
    g = weight_conductances(w, stage >= 4)
    if stage == 1:
        # analog inputs as the baseline draws them (uniform in [-1, 1]), one pulse
        planes, counts = np.random.default_rng([int(values["mc_seed"]), n, 1]).uniform(-1, 1, (1, n)), [1]
    elif stage == 2:
        planes, counts = bit_planes(k, bits)[:1], [1]      # one full-swing bit
    else:
        planes, counts = bit_planes(k, bits), [2 ** b for b in range(bits)]
    out = {}
    for mode, t in times.items():
        total = 0.0
        for plane, c in zip(planes, counts):
            x = np.repeat(plane, 2) * np.tile([1.0, -1.0], n) if stage >= 4 else plane
            total += c * pulse_energy(g, x, mode, t, step, stage >= 6, timeout)
        out[f"e_{mode}"] = total
    out["macs"] = float(n * n)
    return out


def closed_form_pulse(g, x, mode: str, t_act: float, lines: bool) -> float:
    """Closed form of :func:`pulse_energy` for ohmic cells and t_act >> the lines' RC: t sum G (V_BL - V_SL)^2
    (V_SL = V_ref in current mode, the floating mean in voltage mode) plus, with ``lines``, C dV^2 per line:
    C_BL n dV_i^2 per BL and, in voltage mode, C_SL m dV_SL,j^2 per floating SL (charging a line of
    capacitance C through any resistance from a rail at dV costs C dV^2 referenced to the start, half stored,
    half dissipated; the clamped SLs of current mode do not move)."""
    from .crossbar import ideal_sl_voltages
    g, x = np.asarray(g, float), np.asarray(x, float)
    m, n = g.shape
    dv = V_READ * x
    vsl = np.zeros(n) if mode == "current" else ideal_sl_voltages(g, x) - V_REF
    e = t_act * np.sum(g * (dv[:, None] - vsl[None, :]) ** 2)
    if lines:
        e += C_BL * n * np.sum(dv ** 2) + C_SL * m * np.sum(vsl ** 2)
    return float(e)
