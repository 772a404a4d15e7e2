"""Characteristic curves of a device model (matplotlib, Agg): one figure per model, written to a file."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .core import DeviceModel
from .numeric import Evaluator


def _zero_inputs(model):
    return {i.name: 0.0 for i in model.inputs}


def plot(model: DeviceModel, path) -> Path:
    """Write the model's characteristic curves to ``path`` (PNG) and return it."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ev = Evaluator(model)
    card = model.card()
    loop = model.name in _LOOPS
    fig, axes = plt.subplots(1, 3 if loop else 2, figsize=(15 if loop else 10, 4))
    drawer = _DRAWERS.get(model.name, _generic)
    drawer(model, ev, card, axes)
    if loop:
        _LOOPS[model.name](ev, card, axes[2])
    fig.suptitle(f"{model.name}: {model.title}", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _rram(model, ev, card, axes):
    v = np.linspace(-1.5, 1.5, 301)
    for g in (0.2e-9, 0.5e-9, 1.0e-9, 1.7e-9):
        axes[0].semilogy(v, np.abs(ev(None, V_tb=v, g=g)["Icell"]), label=f"g = {g * 1e9:.1f} nm")
    axes[0].set(xlabel="V (V)", ylabel="|I| (A)", title="I-V at fixed gap")
    axes[0].legend(fontsize=7)
    g = np.linspace(0.2e-9, 1.7e-9, 100)
    axes[1].semilogy(g * 1e9, ev(None, V_tb=0.1, g=g)["Rread"])
    axes[1].set(xlabel="gap g (nm)", ylabel="R_read(0.1 V) (ohm)", title="read resistance vs state")


def _rram_loop(ev, card, ax, v_max: float = 1.6, period: float = 2e-6, dt: float = 1e-10):
    """Pinched I-V hysteresis under a triangular sweep 0 -> +v_max -> -v_max -> 0 (SET then RESET),
    integrating dg/dt = vgap(V, g) explicitly on a 0.1 ns grid with g clipped to [g_min, g_max]."""
    t = np.arange(0.0, period, dt)
    v = v_max * (2 / np.pi) * np.arcsin(np.sin(2 * np.pi * t / period))
    g = np.empty_like(t)
    g[0] = card["g_init"]
    for k in range(1, t.size):
        rate = float(ev(None, V_tb=v[k - 1], g=g[k - 1])["vgap"])
        g[k] = min(max(g[k - 1] + rate * dt, card["g_min"]), card["g_max"])
    i = ev(None, V_tb=v, g=g)["Icell"]
    ax.plot(v, np.abs(i) * 1e3)
    ax.set(xlabel="V (V)", ylabel="|I| (mA)", yscale="log", ylim=(1e-4, None),
           title=f"I-V loop, triangular sweep +-{v_max} V over {period * 1e6:g} us")


def _dwmtj(model, ev, card, axes):
    i = np.linspace(-300e-6, 300e-6, 401)
    first = ev(None, V_w=i * card["R_track"], V_r=0.0, q=60e-9, u=0.0)
    u_star = first["H_SL"] / (card["alpha"] * first["H_D"])          # steady wall angle, tan phi*
    out = ev(None, V_w=i * card["R_track"], V_r=0.0, q=60e-9, u=u_star)
    axes[0].plot(i * 1e6, out["vdw"])
    axes[0].set(xlabel="track current I (uA)", ylabel="steady DW velocity (m/s)", title="v vs I (1-D model)")
    v = np.linspace(-1, 1, 201)
    for q in (0.0, 40e-9, 60e-9, 80e-9, 120e-9):
        axes[1].plot(v, ev(None, V_w=0.0, V_r=v, q=q, u=0.0)["Rread"] / 1e3, label=f"q = {q * 1e9:.0f} nm")
    axes[1].set(xlabel="read voltage (V)", ylabel="R (kOhm)", title="R vs V and state")
    axes[1].legend(fontsize=7)


def _mtj_r(model, ev, axes, state):
    v = np.linspace(-1, 1, 201)
    for label, s in state:
        axes.plot(v, ev(None, V_pn=v, **s)["Rmtj"] / 1e3, label=label)
    axes.set(xlabel="V (V)", ylabel="R (kOhm)", title="R vs V and state")
    axes.legend(fontsize=7)


def _vcmtj(model, ev, card, axes):
    zero = _zero_inputs(model)
    _mtj_r(model, ev, axes[0], [("P (mz = +1)", dict(mx=0.0, my=0.0, mz=1.0, **zero)),
                                ("AP (mz = -1)", dict(mx=0.0, my=0.0, mz=-1.0, **zero))])
    v = np.linspace(0, 3, 121)
    axes[1].plot(v, ev(None, V_pn=v, mx=0.0, my=0.0, mz=1.0, **zero)["Hk"] / 1e3)
    axes[1].set(xlabel="V (V)", ylabel="Hk (kA/m)", title="VCMA anisotropy field")


def _markov(model, ev, card, axes):
    _mtj_r(model, ev, axes[0], [("P (x = 0)", dict(w=0.0, vpk=0.0, xl=0.0, x=0.0, u=0.5)),
                                ("AP (x = 1)", dict(w=0.0, vpk=0.0, xl=1.0, x=1.0, u=0.5))])
    w = np.linspace(0, 4e-9, 200)
    for v in (2.1, 2.4, 2.7):
        axes[1].plot(w * 1e9, ev(None, V_pn=v, w=w, vpk=v, xl=0.0, x=0.0, u=0.5)["Psw"], label=f"{v} V")
    axes[1].set(xlabel="pulse width (ns)", ylabel="P_sw", title="switching-probability table")
    axes[1].legend(fontsize=7)


def _generic(model, ev, card, axes):
    v = np.linspace(*model.voltage_ranges.get(model.branches[0].name, (-1, 1)), 201)
    sig = {b.symbol.name: 0.0 for b in model.branches}
    sig[model.branches[0].symbol.name] = v
    sig.update({s.name: card[s.initial] for s in model.states})
    sig.update(_zero_inputs(model))
    out = ev(None, **sig)
    current = model.contributions[0][1]
    axes[0].plot(v, out[current])
    axes[0].set(xlabel=f"V_{model.branches[0].name} (V)", ylabel=f"{current}", title="I-V")
    axes[1].axis("off")


_LOOPS = {"rram": _rram_loop}
_DRAWERS = {"rram": _rram, "dwmtj": _dwmtj, "vcmtj": _vcmtj, "vcmtj_markov": _markov}
