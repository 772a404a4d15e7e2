"""Vectorised SeedSequence/PCG64 seeding (``montecarlo.seeding``) against numpy itself, and the group
draws (``draw_samples``) against the per-stream ``SeedSequence`` formula they replace."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from circuitlab.montecarlo import parse_spec, seeding
from circuitlab.montecarlo.sampling import (JITTER_CLIP, SAMPLE_SEED_STREAM, SampleDraw, _jitter_columns,
                                            apply_variation, columns, draw_sample, draw_samples, jitter_waveform,
                                            rng_for, sample_seed, sweep_points, truncated_normal)

_rng = np.random.default_rng(20250501)
SEEDS = [0, 1, 7, 20250501, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 63, 2 ** 64 - 1, 2 ** 64, 2 ** 96 + 3,
         2 ** 127 - 1, 2 ** 127 + 12345, 2 ** 128 - 1, 2 ** 128, 2 ** 200 + 5,
         *(int(x) for x in _rng.integers(0, 2 ** 63, 4)),
         *(int.from_bytes(_rng.bytes(16), "little") for _ in range(4))]
SAMPLES = [0, 1, 2, 3, 99, 2 ** 16, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1, *(int(x) for x in _rng.integers(0, 2 ** 32, 6))]
STREAMS = [0, 1, 2, 5, 17, 2 ** 31, SAMPLE_SEED_STREAM]


def numpy_state(seed, key):
    return np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)).state


def numpy_words(seed, key, n_words, dtype):
    return np.random.SeedSequence(seed, spawn_key=key).generate_state(n_words, dtype)


@pytest.mark.parametrize("seed", SEEDS)
def test_pcg64_states_equal_numpy(seed):
    # a large grid (vectorised) and single samples (Python ints below SCALAR_KEYS keys)
    got = seeding.pcg64_grid(seed, SAMPLES, STREAMS)
    assert got == [numpy_state(seed, (k, j)) for k in SAMPLES for j in STREAMS]
    for k in SAMPLES[:4]:
        for streams in ([3], STREAMS[:seeding.SCALAR_KEYS], STREAMS[:seeding.SCALAR_KEYS + 1]):
            assert seeding.pcg64_grid(seed, [k], streams) == [numpy_state(seed, (k, j)) for j in streams]


@pytest.mark.parametrize("seed", SEEDS[::3])
@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_grid_states_equal_numpy(seed, dtype):
    grid = seeding.grid_states(seed, SAMPLES, STREAMS, 3, dtype)
    assert grid.dtype == np.dtype(dtype) and grid.shape == (len(SAMPLES), len(STREAMS), 3)
    for a, k in enumerate(SAMPLES):
        for b, j in enumerate(STREAMS):
            assert np.array_equal(grid[a, b], numpy_words(seed, (k, j), 3, dtype))


def test_fallbacks_give_numpys_numbers():
    # a sample index of two words, a numpy integer seed, numpy integer keys: numpy's path or the fast one
    big = [2 ** 32, 2 ** 40 + 3]
    assert seeding.pcg64_grid(5, big, [0, 1]) == [numpy_state(5, (k, j)) for k in big for j in (0, 1)]
    assert seeding.pcg64_grid(np.int64(5), np.arange(3), [np.uint32(1)]) == [numpy_state(5, (k, 1)) for k in range(3)]
    assert seeding.seeds63(9, big, SAMPLE_SEED_STREAM) == [
        int(numpy_words(9, (k, SAMPLE_SEED_STREAM), 1, np.uint64)[0] >> np.uint64(1)) for k in big]
    with pytest.raises(ValueError):       # negative seeds and keys: numpy's error
        seeding.grid_states(-1, [1], [0], 4, np.uint64)
    with pytest.raises(ValueError):
        seeding.grid_states(1, [-1], [0], 4, np.uint64)
    assert seeding.grid_states(3, [], [0, 1], 4, np.uint64).shape == (0, 2, 4)
    with pytest.raises(ValueError):
        seeding.grid_states(3, [1], [0], 4, np.float64)


def test_generate_state_is_a_prefix():
    """draw_samples takes mc_seed's generate_state(1, uint64) from the first of generate_state(4, uint64)."""
    for seed in SEEDS[::4]:
        ss = np.random.SeedSequence(seed, spawn_key=(11, SAMPLE_SEED_STREAM))
        assert ss.generate_state(1, np.uint64)[0] == ss.generate_state(4, np.uint64)[0]


@pytest.mark.parametrize("seed", [0, 20250501, 2 ** 64 + 1, 2 ** 127 + 5])
def test_generator_at_draws_numpys_numbers(seed):
    keys = [(k, j) for k in (1, 2, 77, 2 ** 32 - 1) for j in (0, 3)]
    states = seeding.pcg64_grid(seed, [1, 2, 77, 2 ** 32 - 1], [0, 3])
    for key, state in zip(keys, states):
        ref = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
        gen = seeding.generator_at(state)
        # bit for bit: normals (ziggurat, several rejection paths over 500 draws), uniforms, integers
        assert np.array_equal(gen.standard_normal(500), ref.standard_normal(500))
        assert np.array_equal(gen.uniform(-1.0, 1.0, 7), ref.uniform(-1.0, 1.0, 7))
        assert np.array_equal(gen.integers(0, 2 ** 40, 5), ref.integers(0, 2 ** 40, 5))
        assert gen.bit_generator.state == ref.bit_generator.state
    # reassigning a state after draws that left a buffered 32-bit half restarts cleanly
    gen = seeding.generator_at(states[0])
    gen.integers(0, 2 ** 31, 3, dtype=np.uint32)
    gen = seeding.generator_at(states[1])
    ref = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=keys[1]))
    assert np.array_equal(gen.integers(0, 2 ** 31, 5, dtype=np.uint32), ref.integers(0, 2 ** 31, 5, dtype=np.uint32))


def test_generator_at_is_per_thread():
    state = seeding.pcg64_grid(3, [1], [0])[0]
    mine = seeding.generator_at(state)
    other = []
    t = threading.Thread(target=lambda: other.append(seeding.generator_at(state)))
    t.start()
    t.join()
    assert other[0] is not mine


def test_sample_seed_is_the_numpy_formula():
    for seed in SEEDS[::2]:
        for k in SAMPLES[::2]:
            want = int(np.random.SeedSequence(seed, spawn_key=(k, SAMPLE_SEED_STREAM)).generate_state(1, np.uint64)[0]
                       >> np.uint64(1))
            got = sample_seed(seed, k)
            assert got == want and type(got) is int and 0 <= got < 2 ** 63
        assert seeding.seeds63(seed, SAMPLES, SAMPLE_SEED_STREAM) == [sample_seed(seed, k) for k in SAMPLES]


SPEC = """
name = "seeding"
builder = "circuitlab.montecarlo.examples:rc_bsource"
seed = SEED
samples = 300
[parameters]
r = 1000.0
c = 1e-10
g3 = 1e-4
vth1 = 0.4
vth2 = 0.45
vdd = 1.0
w = 1e-6
l = 1e-7
[sweep]
vdd = [0.9, 1.1]
[[variation]]
params = ["r"]
distribution = "normal"
type = "relative"
sigma = 0.05
scope = "process"
[[variation]]
params = ["c"]
distribution = "lognormal"
type = "relative"
sigma = 0.03
scope = "process"
[[variation]]
params = ["g3", "c"]
distribution = "lognormal"
type = "absolute"
sigma = 1e-12
scope = "mismatch"
[[variation]]
params = ["vth1", "vth2"]
distribution = "uniform"
type = "absolute"
half_width = 0.02
scope = "mismatch"
[[variation]]
params = ["r"]
distribution = "uniform"
type = "relative"
half_width = 0.01
scope = "process"
[[variation]]
params = ["g3", "vth1"]
distribution = "truncnormal"
type = "relative"
sigma = 0.2
clip = 0.5
scope = "mismatch"
[[variation]]
params = ["vth1", "vth2"]
distribution = "truncnormal"
type = "absolute"
sigma = 0.01
clip = 1.0
scope = "process"
[[variation]]
params = ["vth2"]
type = "absolute"
scope = "mismatch"
pelgrom = { avt = 3e-9, width = "w", length = "l" }
[[jitter]]
param = "vin"
v1 = 0
v2 = 1
delay = 1e-8
rise = 1e-9
fall = 1e-9
width = 2e-7
period = 4e-7
count = 3
sigma = 1e-10
[[jitter]]
param = "clk"
form = "pulse"
v1 = 0
v2 = 1
delay = 2e-8
rise = 1e-9
fall = 1e-9
width = 1e-7
period = 3e-7
count = 2
sigma = 2e-10
[record]
measures = ["vmax"]
"""


def reference_draw(spec, k) -> SampleDraw:
    """The draw as it was written before montecarlo.seeding: a new SeedSequence per stream."""
    nominal = dict(spec.parameters)
    values = dict(nominal)
    row = []
    waves = {}
    for j, v in enumerate(spec.variations):
        if k > 0:
            apply_variation(v, values, nominal, np.random.default_rng(np.random.SeedSequence(spec.seed,
                                                                                           spawn_key=(k, j))))
    row += [values[p] for p in spec.parameters]
    for i, jit in enumerate(spec.jitters):
        n = len(_jitter_columns(jit))
        if k > 0:
            offsets = jit.sigma * truncated_normal(rng_for(spec.seed, k, len(spec.variations) + i), n, JITTER_CLIP)
        else:
            offsets = np.zeros(n)
        row += [float(o) for o in offsets]
        waves[jit.param] = jitter_waveform(jit, offsets)
    mc_seed = int(np.random.SeedSequence(spec.seed, spawn_key=(k, SAMPLE_SEED_STREAM)).generate_state(1, np.uint64)[0]
                  >> np.uint64(1))
    extra = {"mc_sample": int(k), "mc_seed": mc_seed}
    points = tuple({**values, **point, **waves, **extra} for point in sweep_points(spec))
    return SampleDraw(k, np.asarray(row, dtype=np.float64), points)


def same_draw(a: SampleDraw, b: SampleDraw) -> bool:
    return (a.index == b.index and a.row.dtype == b.row.dtype and a.row.tobytes() == b.row.tobytes()
            and a.points == b.points)


@pytest.mark.parametrize("seed", [7, 20250501, 2 ** 64 + 9])
def test_draw_samples_equal_draw_sample_and_the_old_formula(seed):
    spec = parse_spec(SPEC.replace("SEED", str(seed)))
    assert len(columns(spec)) == 8 + 6 + 2 and len(sweep_points(spec)) == 2
    groups = [list(range(0, 100)), list(range(100, 137)), [5], [250, 3, 0, 250], []]
    for indices in groups:
        group = draw_samples(spec, indices)
        assert len(group) == len(indices)
        for k, d in zip(indices, group):
            ref = reference_draw(spec, k)
            assert same_draw(d, ref), k
            assert same_draw(draw_sample(spec, k), ref), k
            assert d.points[0]["mc_seed"] == sample_seed(seed, k)
    assert not np.array_equal(draw_sample(spec, 1).row, draw_sample(spec, 0).row)


def test_draw_samples_on_a_builtin_spec():
    from circuitlab.resources import builtin_spec
    spec = parse_spec(builtin_spec("rc_bsource").read_text())
    ks = list(range(0, 60))
    for d, k in zip(draw_samples(spec, np.arange(60)), ks):
        assert same_draw(d, reference_draw(spec, k))
    # one sample of rc_bsource is 4 keys (3 variations and mc_seed): the Python-int path
    assert len(spec.variations) + len(spec.jitters) + 1 <= seeding.SCALAR_KEYS
    for k in (0, 1, 2, 1999):
        assert same_draw(draw_sample(spec, k), reference_draw(spec, k))
