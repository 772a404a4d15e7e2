"""Named noise sources for the CLI and the DDPM: ``make_noise(name, **kw)`` and ``parse_noise("scaled:2")``.

Adding an entry to :data:`NOISE_SOURCES` adds the source to the parametrised contract tests
(tests/test_nn_noise.py; DESIGN style rule 7).
"""
from __future__ import annotations

from typing import Callable, Dict, NamedTuple

from ..errors import ConfigError
from .meram_noise import MeRAMNoise
from .noise import (BiasedNoise, GaussianNoise, NoiseSource, QuantisedNoise, RademacherNoise, ScaledNoise,
                    UniformNoise)


class Entry(NamedTuple):
    factory: Callable[..., NoiseSource]
    param: str | None          # the keyword a CLI spec "name:value" sets
    convert: Callable = float


def _meram(mode):
    return lambda model="meram_eps", standardise=True: MeRAMNoise.from_model(model, mode, standardise=standardise)


NOISE_SOURCES: Dict[str, Entry] = {
    "gaussian": Entry(GaussianNoise, None),
    "meram": Entry(_meram("shuffled"), "model", str),
    "meram-stream": Entry(_meram("stream"), "model", str),
    "meram-exact": Entry(_meram("exact"), "model", str),
    "uniform": Entry(UniformNoise, None),
    "rademacher": Entry(RademacherNoise, None),
    "quantised": Entry(QuantisedNoise, "bits", int),
    "scaled": Entry(ScaledNoise, "variance", float),
    "biased": Entry(BiasedNoise, "mean", float),
}


def make_noise(name: str, **kw) -> NoiseSource:
    """Build the registered source ``name`` with keyword arguments, e.g. ``make_noise("scaled", variance=2.0)``."""
    if name not in NOISE_SOURCES:
        raise ConfigError(f"unknown noise source {name!r}; choose one of {', '.join(NOISE_SOURCES)}")
    try:
        return NOISE_SOURCES[name].factory(**kw)
    except TypeError as exc:
        raise ConfigError(f"noise source {name!r} does not take {sorted(kw)}: {exc}") from None


def parse_noise(spec: str) -> NoiseSource:
    """Build a source from a CLI spec ``NAME`` or ``NAME:VALUE`` ("scaled:2", "biased:0.2", "quantised:3",
    "meram-exact:PATH")."""
    name, sep, value = str(spec).strip().partition(":")
    if not sep:
        return make_noise(name)
    entry = NOISE_SOURCES.get(name)
    if entry is None:
        raise ConfigError(f"unknown noise source {name!r} in {spec!r}; choose one of {', '.join(NOISE_SOURCES)}")
    if entry.param is None:
        raise ConfigError(f"noise source {name!r} takes no value; write {name!r} instead of {spec!r}")
    try:
        v = entry.convert(value)
    except ValueError:
        raise ConfigError(f"{spec!r}: {value!r} is not a valid {entry.param} for {name!r}") from None
    return make_noise(name, **{entry.param: v})
