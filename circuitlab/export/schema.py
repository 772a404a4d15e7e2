"""Registered model kinds: what a model file of each kind must contain (names and units).

A kind names the tables and parameters a consumer (a torch layer, an evaluation) relies on; a file
may carry more. Requirements of an existing kind are never tightened within a schema version, so
that every version-1 file keeps loading.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict

from ..errors import ConfigError

SCHEMA_VERSION = 1
FORMAT = "circuitlab.model"


@dataclass(frozen=True)
class KindSchema:
    """Required tables ``{name: unit}`` (with their axes ``{table: ((axis, unit), ...)}``) and parameters.

    A unit of ``None`` accepts any unit (generic kinds whose units come from the data)."""
    name: str
    description: str
    tables: Dict[str, str] = field(default_factory=dict)
    axes: Dict[str, tuple] = field(default_factory=dict)
    params: Dict[str, str] = field(default_factory=dict)


KINDS: Dict[str, KindSchema] = {}


def register_kind(schema: KindSchema) -> KindSchema:
    """Add a kind to the registry (an existing name is an error: kinds are append-only)."""
    if schema.name in KINDS and KINDS[schema.name] != schema:
        raise ConfigError(f"model kind {schema.name!r} is already registered differently; choose a new name")
    KINDS[schema.name] = schema
    return schema


register_kind(KindSchema(
    "curve", "a fitted curve y(x) with its Monte Carlo spread (circuitlab fit): mean, sigma and worst-case "
    "bounds tabulated over x; units are those of the campaign columns",
    tables={"mean": None, "sigma": None, "lower": None, "upper": None},
    params={"worst_case_variation": "1"}))
register_kind(KindSchema(
    "p2m_f1", "normalised DW displacement vs normalised input x weight (f1), per weight configuration; "
    "seed dwmtj_p2m_snn_paper Fig. 6a-c",
    tables={"mean": "1", "sigma": "1", "lower": "1", "upper": "1"},
    axes={t: (("configuration", ""), ("x", "1")) for t in ("mean", "sigma", "lower", "upper")},
    params={"worst_case_variation": "1"}))
register_kind(KindSchema(
    "p2m_f2", "normalised pre-activation voltage vs accumulator displacement difference (f2) with its "
    "worst-case lower bound; seed dwmtj_p2m_snn_paper Fig. 6d",
    tables={"mean": "1", "lower": "1"}, axes={t: (("x", "1"),) for t in ("mean", "lower")},
    params={"worst_case_variation": "1"}))
register_kind(KindSchema(
    "meram_eps", "MeRAM noise eps = A_i - A_(i-1): values and pmf, a sample table; seed meram_diffusion_paper",
    tables={"pmf": "1", "samples": "1"}, axes={"pmf": (("eps", "1"),), "samples": (("index", ""),)},
    params={"variance": "1", "lag1_autocorr": "1"}))
register_kind(KindSchema(
    "vcmtj_psw", "VC-MTJ switching probability P_sw(V, t_pulse); seed meram_diffusion_paper Fig. 2c",
    tables={"p_switch": "1"}, axes={"p_switch": (("voltage", "V"), ("width", "s"))}))
register_kind(KindSchema(
    "rram_cim", "RRAM CIM read model: conductance spread vs target conductance and time, read noise; "
    "seed neurram_cim_slides",
    tables={"sigma_g": "S"}, axes={"sigma_g": (("time", "s"), ("conductance", "S"))},
    params={"read_noise_rel": "1"}))
