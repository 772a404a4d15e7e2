"""Parameters of the VC-MTJ macrospin (free layer of a MeRAM cell).

The defaults come from the VC-MTJ card ``circuitlab/circuits/cards/vcmtj.toml``
(:func:`circuitlab.resources.vcmtj_card`), the one source shared with the SPICE/Verilog-A device and the
Markov cell. It keeps the seed's facts (meram_diffusion_paper.txt: diameter 100 nm, CoFeB/MgO, VCMA
coefficient 40 fJ/(V m), in-plane field 390 Oe = 31.04 kA/m) and assumes, inside literature ranges, what
the seed does not give (t_FL, t_ox, Ms, alpha, Ki, T; :data:`ASSUMED`). Ki was recalibrated (issue 13,
docs/meram_calibration.md) so that the seed's pulses (2.4 V; 0.4 ns MSB, 2 ns others) give Var(eps) = 1.

All values are SI: metres, A/m, J/m^2, J/(V m), kelvin.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from ..errors import ConfigError
from ..resources import vcmtj_card

MU0 = 4e-7 * math.pi
"""Vacuum permeability mu0 in T m/A (H/m)."""
GAMMA0 = 2.211e5
"""Gyromagnetic ratio times mu0, gamma0 = mu0 |gamma_e|, in m/(A s) (devices.md section 1)."""
KB = 1.380649e-23
"""Boltzmann constant in J/K."""

ASSUMED = ("t_fl", "t_ox", "ms", "alpha", "ki", "temperature")
"""Names of the parameters the seed paper does not give (assumed in the card; Ki calibrated)."""

_CARD = vcmtj_card()


@dataclass(frozen=True)
class MacrospinParams:
    """Free-layer macrospin of a voltage-controlled MTJ (seed eqs. 3-5, devices.md section 1).

    Attributes:
    Defaults: the VC-MTJ card (``circuits/cards/vcmtj.toml``; values, ranges and sources there).

    Attributes:
        t_fl: free-layer thickness in m (assumed, 1.4 nm).
        t_ox: MgO barrier thickness in m (assumed, 2.0 nm).
        ms: saturation magnetisation in A/m (assumed, 1.25e6 A/m).
        alpha: Gilbert damping, dimensionless (assumed, 0.1).
        xi: VCMA coefficient in J/(V m) (seed: 40 fJ/(V m)).
        ki: interfacial anisotropy energy at 0 V in J/m^2 (calibrated, 1.40695 mJ/m^2).
        hx: in-plane bias field along x in A/m (seed: 390 Oe = 31.04 kA/m).
        temperature: temperature in K (assumed, 300 K).
        diameter: pillar diameter in m (seed: 100 nm).
    """

    t_fl: float = _CARD["t_fl"]["value"]
    t_ox: float = _CARD["t_ox"]["value"]
    ms: float = _CARD["ms"]["value"]
    alpha: float = _CARD["alpha"]["value"]
    xi: float = _CARD["xi"]["value"]
    ki: float = _CARD["ki"]["value"]
    hx: float = _CARD["hx"]["value"]
    temperature: float = _CARD["temperature"]["value"]
    diameter: float = _CARD["diameter"]["value"]

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"MacrospinParams.{f.name} = {value!r} is not a finite number")
        for name in ("t_fl", "t_ox", "ms", "diameter"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"MacrospinParams.{name} = {getattr(self, name)!r} must be > 0")
        for name in ("alpha", "temperature"):
            if getattr(self, name) < 0:
                raise ConfigError(f"MacrospinParams.{name} = {getattr(self, name)!r} must be >= 0")

    # --- derived quantities ---------------------------------------------------------------------
    @property
    def volume(self) -> float:
        """Free-layer volume pi r^2 t_FL in m^3."""
        return math.pi * (self.diameter / 2) ** 2 * self.t_fl

    @property
    def demag(self) -> tuple[float, float, float]:
        """Thin-disk demagnetising factors (Nx, Ny, Nz): Nz = 1/(2 t/(r sqrt(pi)) + 1) (devices.md)."""
        r = self.diameter / 2
        nz = 1.0 / (2 * self.t_fl / (r * math.sqrt(math.pi)) + 1.0)
        nxy = (1.0 - nz) / 2
        return nxy, nxy, nz

    def hk(self, voltage: float) -> float:
        """VCMA anisotropy field Hk(V) = 2 (Ki - xi V / t_ox) / (mu0 Ms t_FL) in A/m; voltage in V."""
        return 2 * (self.ki - self.xi * voltage / self.t_ox) / (MU0 * self.ms * self.t_fl)

    def hk_eff(self, voltage: float) -> float:
        """Net perpendicular anisotropy field Hk(V) - Ms (Nz - Nx) in A/m (> 0: out-of-plane easy axis)."""
        nx, _, nz = self.demag
        return self.hk(voltage) - self.ms * (nz - nx)

    @property
    def gamma_ll(self) -> float:
        """Landau-Lifshitz prefactor gamma' = gamma0 / (1 + alpha^2) in m/(A s)."""
        return GAMMA0 / (1 + self.alpha ** 2)

    def thermal_sigma(self, dt: float) -> float:
        """Standard deviation of each thermal-field component held over one step dt (s), in A/m.

        sigma = sqrt(2 alpha kB T / (gamma0 mu0 Ms Vol dt)) (Brown; seed eq. 5; devices.md).
        """
        if dt <= 0:
            raise ConfigError(f"time step dt = {dt!r} s must be > 0")
        return math.sqrt(2 * self.alpha * KB * self.temperature / (GAMMA0 * MU0 * self.ms * self.volume * dt))

    def energy_scale(self) -> float:
        """mu0 Ms Vol in J/(A/m): energy E = -mu0 Ms Vol (H_ext.m + ...) per unit field."""
        return MU0 * self.ms * self.volume

    def barrier_kt(self, voltage: float = 0.0) -> float:
        """Energy barrier between the P/AP minima and the in-plane saddle, in units of kB T.

        With h = Hx / Hk_eff the barrier is mu0 Ms Vol Hk_eff (1 - h)^2 / 2 (Stoner-Wohlfarth, field
        perpendicular to the easy axis); 0 where Hk_eff <= Hx (no barrier).
        """
        hk = self.hk_eff(voltage)
        if hk <= self.hx or self.temperature == 0:
            return 0.0 if hk <= self.hx else math.inf
        return self.energy_scale() * hk * (1 - self.hx / hk) ** 2 / 2 / (KB * self.temperature)

    def equilibrium_tilt(self, voltage: float = 0.0) -> float:
        """sin(theta) of the energy minimum in the x-z plane, Hx / Hk_eff(V), clipped to 1."""
        hk = self.hk_eff(voltage)
        return 1.0 if hk <= self.hx else self.hx / hk

    def replace(self, **changes) -> "MacrospinParams":
        """A copy with some fields changed (strict: unknown names raise ConfigError)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown MacrospinParams field(s) {unknown}; known: {sorted(known)}")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain dict of the fields (SI units) for HDF5 attributes and JSON."""
        return asdict(self)
