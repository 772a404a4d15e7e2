"""1-D collective-coordinate (q, phi) model of an SOT-driven Dzyaloshinskii (Neel) domain wall.

The wall's position q (m) and in-plane magnetisation angle phi (rad; 0 = Neel, DMI-favoured) obey
(A. Thiaville et al., EPL 100, 57002 (2012); E. Martinez et al., J. Appl. Phys. 115, 213909 (2014),
the 1-D analysis the seed cites; no applied field, no STT, shape anisotropy H_K << H_D neglected)::

    phi' + alpha q'/Delta = gamma0 (pi/2) H_SL cos(phi)         (damping-like SOT: a z field ~ cos phi)
    q'/Delta - alpha phi' = gamma0 (pi/2) H_D sin(phi)           (DMI field holds the Neel wall)

with H_D = D / (mu0 Ms Delta) and H_SL = hbar theta_SH J / (2 e mu0 Ms t_FL), J = I / A_HM. Eliminating q'::

    (1 + alpha^2) phi' = gamma0 (pi/2) (H_SL cos phi - alpha H_D sin phi) = k R sin(phi* - phi)

k = gamma0 (pi/2) / (1 + alpha^2), R = sqrt(H_SL^2 + (alpha H_D)^2), tan phi* = H_SL / (alpha H_D).
Closed forms used by the device model and its tests:

- steady velocity: v = v_D / sqrt(1 + (J_D / J)^2), v_D = (pi/2) gamma0 Delta H_D (the DMI saturation
  velocity), J_D the current density with H_SL = alpha H_D; at low current v = (pi/2) gamma0 Delta H_SL / alpha;
- relaxation of phi: tan((phi* - phi)/2) = tan((phi* - phi0)/2) exp(-t / tau), tau = 1 / (k R)
  (at J = 0: tau_0 = (1 + alpha^2) / ((pi/2) gamma0 alpha H_D)).

Pinning is taken as a depinning threshold: the drive is J_eff = sgn(J) max(0, |J| - J_th) (the compact
models' offset, devices.md section 2). The defaults are assumed, typical of Pt/Co/oxide stacks
(the ranges of Thiaville 2012, Martinez 2014, Emori et al. Nat. Mater. 12, 611 (2013)); the heavy-metal
cross-section is the kinematic model's 60e-18 m^2. All values SI.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .core import MU0, Q_E

HBAR = 1.054571817e-34     # J s
GAMMA0 = 2.211e5           # m/(A s), mu0 |gamma_e|


@dataclass(frozen=True)
class Wall1D:
    """Material and geometry of the SOT + DMI wall (SI). Defaults assumed (see the module doc)."""
    ms: float = 1.1e6          # A/m, saturation magnetisation
    delta: float = 7e-9        # m, wall width parameter sqrt(A / K_eff)
    dmi: float = 1.0e-3        # J/m^2, interfacial DMI constant D
    alpha: float = 0.3         # Gilbert damping
    theta_sh: float = 0.1      # spin Hall angle of the heavy metal
    t_fl: float = 0.9e-9       # m, free-layer thickness
    area_hm: float = 60e-18    # m^2, heavy-metal cross-section (kinematic model default)

    @property
    def h_d(self) -> float:
        """DMI field (A/m)."""
        return self.dmi / (MU0 * self.ms * self.delta)

    def h_sl(self, current) -> np.ndarray:
        """Damping-like SOT field (A/m) of track current ``current`` (A)."""
        return HBAR * self.theta_sh * np.asarray(current, float) / self.area_hm / (2 * Q_E * MU0 * self.ms * self.t_fl)

    @property
    def v_d(self) -> float:
        """Saturation (DMI) velocity v_D = (pi/2) gamma0 Delta H_D (m/s)."""
        return 0.5 * math.pi * GAMMA0 * self.delta * self.h_d

    @property
    def i_d(self) -> float:
        """Current (A) at which H_SL = alpha H_D (the velocity is v_D / sqrt 2 there)."""
        return float(self.alpha * self.h_d / self.h_sl(1.0))

    def steady_velocity(self, current) -> np.ndarray:
        """v = v_D / sqrt(1 + (I_D / I)^2) with sign (m/s); ``current`` already net of any threshold."""
        i = np.asarray(current, float)
        return self.v_d * i / np.sqrt(i * i + self.i_d ** 2)

    def relaxation_time(self, current=0.0) -> np.ndarray:
        """tau = (1 + alpha^2) / ((pi/2) gamma0 sqrt(H_SL^2 + (alpha H_D)^2)) (s)."""
        r = np.hypot(self.h_sl(current), self.alpha * self.h_d)
        return (1 + self.alpha ** 2) / (0.5 * math.pi * GAMMA0 * r)

    def rates(self, phi, current):
        """(q', phi') at angle ``phi`` and drive ``current`` (A, net of the threshold)."""
        h_sl, h_d = self.h_sl(current), self.h_d
        dphi = 0.5 * math.pi * GAMMA0 * (h_sl * np.cos(phi) - self.alpha * h_d * np.sin(phi)) / (1 + self.alpha ** 2)
        dq = self.delta * (0.5 * math.pi * GAMMA0 * h_d * np.sin(phi) + self.alpha * dphi)
        return dq, dphi


def effective_current(current, i_th: float):
    """The depinning-threshold drive sgn(I) max(0, |I| - I_th) (A)."""
    i = np.asarray(current, float)
    return np.sign(i) * np.maximum(0.0, np.abs(i) - i_th)


def simulate_1d(wall: Wall1D, t, current, i_th: float = 0.0, phi0: float = 0.0, q0: float = 0.0):
    """Integrate the (q, phi) equations (with inertia: phi relaxes with tau) for the track current
    ``current(t)`` (A, a callable) on the time grid ``t`` (s). Returns (q, phi) arrays. scipy's LSODA
    with rtol 1e-8; the step is bounded by a tenth of the shortest relaxation time."""
    from scipy.integrate import solve_ivp

    def f(time, y):
        dq, dphi = wall.rates(y[1], effective_current(current(time), i_th))
        return [float(dq), float(dphi)]
    max_step = 0.1 * float(wall.relaxation_time(1e-3))
    sol = solve_ivp(f, (t[0], t[-1]), [q0, phi0], t_eval=t, method="LSODA", rtol=1e-8, atol=[1e-15, 1e-9],
                    max_step=max_step)
    return sol.y[0], sol.y[1]
