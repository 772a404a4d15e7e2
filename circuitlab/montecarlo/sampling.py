"""Seeded per-sample draws: the parameter table of a campaign.

Sample ``k`` draws only from ``numpy.random.SeedSequence(seed).spawn(k + 1)[k]`` (spawn key ``(k,)``),
and variation or jitter ``j`` of that sample from its child ``j`` (spawn key ``(k, j)``). A sample's
numbers therefore depend on the seed, the spec and ``k`` alone, never on batch size, worker count,
executor, the number of samples or the order in which samples run. Sample 0 is the nominal run.

Every run's values also carry ``mc_sample`` = k and ``mc_seed`` (:func:`sample_seed`), an integer in
[0, 2**63) drawn from the child ``(k, SAMPLE_SEED_STREAM)``, a stream no variation or jitter index
reaches; builders and evaluators seed their own draws with it (``numpy.random.default_rng(mc_seed)``,
or ``default_rng([mc_seed, n])`` for one independent stream per size n). ``mc_seed`` is not a column
of the parameter table (it follows from the seed and k). Sample 0 is nominal only in the parameter
table (no variation or jitter is applied); its ``mc_seed`` is an ordinary draw like every sample's, so
a builder that draws an array from it gets a random array for sample 0 as well.

The streams are seeded with :mod:`.seeding` (numpy's SeedSequence and PCG64 seeding done for many spawn
keys at once, then a reused generator set to each state), which gives the same numbers as
:func:`rng_for` at a fraction of the cost; :func:`draw_samples` seeds a whole group of samples in one go.
"""
from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..netlist import PWL, Pulse
from . import seeding
from .spec import CampaignSpec, Jitter, Variation

JITTER_CLIP = 4.0  # edge offsets are truncated at +-4 sigma so that edges never cross
SAMPLE_SEED_STREAM = 2 ** 32 - 1  # spawn-key stream of mc_seed; variation/jitter streams are 0, 1, 2, ...


@dataclass(frozen=True)
class SampleDraw:
    """One sample: its parameter-table row and, per sweep point, the values handed to the netlist."""
    index: int
    row: np.ndarray                 # float64, in the order of ``columns(spec)``
    points: Tuple[Dict[str, object], ...]
    z: Optional[np.ndarray] = None  # a [design]'s factor values (sigmas), see .design; None otherwise


def rng_for(seed: int, sample: int, stream: int) -> np.random.Generator:
    """The generator of stream ``stream`` (variation/jitter index) of sample ``sample``: the reference
    definition; the draws below get the same generator state from :mod:`.seeding`, much cheaper."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(sample, stream)))


def sample_seed(seed: int, sample: int) -> int:
    """``mc_seed`` of sample ``sample``: 63 bits of ``SeedSequence(seed, spawn_key=(sample, SAMPLE_SEED_STREAM))``,
    i.e. ``int(SeedSequence(...).generate_state(1, np.uint64)[0] >> 1)``."""
    return seeding.seeds63(seed, [sample], SAMPLE_SEED_STREAM)[0]


def columns(spec: CampaignSpec) -> Tuple[str, ...]:
    """Names of the parameter-table columns: parameters, then jitter offsets (s)."""
    cols = list(spec.parameters)
    for j in spec.jitters:
        cols += _jitter_columns(j)
    return tuple(cols)


def _jitter_columns(j: Jitter) -> List[str]:
    if j.form == "pulse":
        return [f"{j.param}.delay", f"{j.param}.width"]
    return [f"{j.param}.{edge}{i}" for i in range(j.count) for edge in ("rise", "fall")]


def sweep_points(spec: CampaignSpec) -> Tuple[Dict[str, float], ...]:
    """The grid of all sweep axes (first axis slowest); one empty point without axes."""
    names = [a for a, _ in spec.sweep]
    return tuple(dict(zip(names, values)) for values in itertools.product(*[v for _, v in spec.sweep]))


def truncated_normal(rng: np.random.Generator, size: int, clip: float) -> np.ndarray:
    """Standard normal draws rejected outside [-clip, clip] (deterministic for a given generator)."""
    out = rng.standard_normal(size)
    bad = np.abs(out) > clip
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > clip
    return out


def _length(value, nominal: Dict[str, float], i: int) -> float:
    if isinstance(value, tuple):
        value = value[i]
    return float(nominal[value]) if isinstance(value, str) else float(value)


def apply_variation(v: Variation, values: Dict[str, float], nominal: Dict[str, float],
                    rng: np.random.Generator) -> None:
    """Draw ``v`` and apply it in place to ``values`` (process: one draw, mismatch: one per parameter)."""
    n = factor_count(v)
    if v.distribution == "uniform":
        z = rng.uniform(-1.0, 1.0, n)
    elif v.distribution == "truncnormal":
        z = truncated_normal(rng, n, v.clip)
    else:
        z = rng.standard_normal(n)
    apply_draw(v, z, values, nominal)


def factor_count(v: Variation) -> int:
    """Draws per sample of a variation: 1 for a process variation, one per parameter otherwise."""
    return 1 if v.scope == "process" else len(v.params)


def apply_normal_z(v: Variation, z: np.ndarray, values: Dict[str, float], nominal: Dict[str, float]) -> None:
    """Apply ``v`` given standard normal ``z`` (a [design]'s factors): a uniform variation takes
    u = 2 Phi(z) - 1, a truncnormal one z clipped to its clip."""
    z = np.asarray(z, float)
    if v.distribution == "uniform":
        from scipy.special import ndtr
        z = 2.0 * ndtr(z) - 1.0
    elif v.distribution == "truncnormal":
        z = np.clip(z, -v.clip, v.clip)
    apply_draw(v, z, values, nominal)


def apply_draw(v: Variation, z: np.ndarray, values: Dict[str, float], nominal: Dict[str, float]) -> None:
    """Apply ``v`` in place for its draws ``z`` (u in [-1, 1] for uniform, z otherwise)."""
    for i, name in enumerate(v.params):
        zi = float(z[0] if v.scope == "process" else z[i])
        x = values[name]
        if v.pelgrom is not None:
            area = _length(v.pelgrom.width, nominal, i) * _length(v.pelgrom.length, nominal, i)
            values[name] = x + v.pelgrom.avt / np.sqrt(area) * zi
        elif v.distribution == "uniform":
            values[name] = x * (1.0 + v.half_width * zi) if v.type == "relative" else x + v.half_width * zi
        elif v.distribution == "lognormal":
            rel = v.sigma if v.type == "relative" else v.sigma / abs(x)
            s2 = np.log1p(rel * rel)
            values[name] = x * float(np.exp(-0.5 * s2 + np.sqrt(s2) * zi))
        else:
            values[name] = x * (1.0 + v.sigma * zi) if v.type == "relative" else x + v.sigma * zi


def jitter_waveform(j: Jitter, offsets: np.ndarray):
    """The jittered pulse train as a PWL (every edge moved) or a PULSE (delay and width moved)."""
    if j.form == "pulse":
        return Pulse(j.v1, j.v2, j.delay + float(offsets[0]), j.rise, j.fall, j.width + float(offsets[1]),
                     j.period, j.count)
    points = [(0.0, j.v1)]
    for i in range(j.count):
        t0 = j.delay + i * j.period
        tr = t0 + float(offsets[2 * i])
        tf = t0 + j.rise + j.width + float(offsets[2 * i + 1])
        points += [(tr, j.v1), (tr + j.rise, j.v2), (tf, j.v2), (tf + j.fall, j.v1)]
    return PWL(tuple(points))


def draw_sample(spec: CampaignSpec, k: int) -> SampleDraw:
    """Parameters, jitter and sweep points of sample ``k`` (k = 0: nominal, no draws). For many samples
    :func:`draw_samples` is several times cheaper per sample."""
    return draw_samples(spec, [k])[0]


def draw_samples(spec: CampaignSpec, indices: Sequence[int]) -> List[SampleDraw]:
    """``[draw_sample(spec, k) for k in indices]``, with the streams of all samples seeded at once (the
    numbers depend on each k alone, never on the group).

    Each sample needs ``generate_state(4, uint64)`` of its streams ``(k, j)`` (the PCG64 seed) and of
    ``(k, SAMPLE_SEED_STREAM)``, whose first word is ``mc_seed``'s ``generate_state(1, uint64)`` (the words
    of ``generate_state`` do not depend on how many are asked for): one vectorised call for the group."""
    indices = [operator.index(k) for k in indices]
    n_streams = len(spec.variations) + len(spec.jitters)
    words = seeding.grid_states(spec.seed, indices, [*range(n_streams), SAMPLE_SEED_STREAM], 4, np.uint64)
    points = sweep_points(spec)
    out = []
    for k, w in zip(indices, words.tolist()):
        states = [seeding.pcg64_state(*s) for s in w[:n_streams]] if k > 0 else None
        out.append(_draw(spec, k, states, w[n_streams][0] >> 1, points))
    return out


def _draw(spec: CampaignSpec, k: int, states: Optional[List[dict]], mc_seed: int,
          points: Tuple[Dict[str, float], ...]) -> SampleDraw:
    """Sample ``k`` from the PCG64 states of its streams (None for k = 0, which draws nothing)."""
    nominal = dict(spec.parameters)
    values = dict(nominal)
    row = []
    waves: Dict[str, object] = {}
    design_z = None
    if spec.design is not None and k > 0:
        design_z = _design_draw(spec, k, states, values, nominal)
    else:
        for j, v in enumerate(spec.variations):
            if k > 0 and v.enabled:
                apply_variation(v, values, nominal, seeding.generator_at(states[j]))
    row += [values[p] for p in spec.parameters]
    for i, jit in enumerate(spec.jitters):
        n = len(_jitter_columns(jit))
        if k > 0 and jit.enabled:
            rng = seeding.generator_at(states[len(spec.variations) + i])
            offsets = jit.sigma * truncated_normal(rng, n, JITTER_CLIP)
        else:
            offsets = np.zeros(n)
        row += [float(o) for o in offsets]
        waves[jit.param] = jitter_waveform(jit, offsets)
    extra = {"mc_sample": int(k), "mc_seed": mc_seed}
    points = tuple({**values, **point, **waves, **extra} for point in points)
    return SampleDraw(k, np.asarray(row, dtype=np.float64), points, design_z)


def _design_draw(spec: CampaignSpec, k: int, states: List[dict], values: Dict[str, float],
                 nominal: Dict[str, float]) -> np.ndarray:
    """Sample ``k`` under the spec's [design] (see :mod:`.design`): each enabled variation's standard
    normal draws from its own stream, then the design's transform; returns the factors' z."""
    on = [(j, v) for j, v in enumerate(spec.variations) if v.enabled]
    gens = [seeding.generator_at(states[j]) for j, _ in on]
    z0 = np.concatenate([g.standard_normal(factor_count(v)) for g, (_, v) in zip(gens, on)])
    z = spec.design.transform(z0, k, float(gens[0].random()))
    start = 0
    for _, v in on:
        n = factor_count(v)
        apply_normal_z(v, z[start:start + n], values, nominal)
        start += n
    return z
