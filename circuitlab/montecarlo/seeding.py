"""numpy's ``SeedSequence`` and ``PCG64`` seeding, vectorised over many spawn keys.

What: for one integer seed and many spawn keys (a Monte Carlo campaign's ``(sample, stream)`` pairs),
the exact ``SeedSequence(seed, spawn_key=key).generate_state(...)`` words and the exact
``PCG64(SeedSequence(seed, spawn_key=key)).state`` dicts, computed as a few uint32 array operations over
all keys at once; and :func:`generator_at`, a reused ``Generator`` set to such a state.

Why: constructing ``SeedSequence`` + ``PCG64`` + ``Generator`` costs several microseconds per stream in
numpy, far more than the one or two numbers a Monte Carlo stream draws. Assigning a state to a reused
generator costs about 1 us, and the seeding arithmetic below is a fraction of a microsecond per key when
done for a group of samples.

The algorithm is numpy's (``numpy/random/bit_generator.pyx``; it is fixed since numpy 1.17 because seeded
streams must reproduce, and ``tests/test_seeding.py`` checks it against numpy itself):

* entropy: the seed as little-endian uint32 words (``0`` is the one word ``[0]``), zero-padded to the
  pool size 4 when a spawn key is present, then each spawn-key element as its own words;
* ``mix_entropy``: the first 4 words are hashed into the pool (``hashmix``), every pool word is mixed into
  every other, then each further word is hashed and mixed into every pool word (``mix``). ``hashmix``
  walks a hash constant ``INIT_A * MULT_A**n`` (mod 2**32) that depends on the call count ``n`` only;
* ``generate_state``: the pool words cycled through the same hash with the ``INIT_B * MULT_B**n`` walk;
  uint64 output reads the uint32 words as little-endian pairs. Word i depends on i and the pool only, so
  ``generate_state(n)`` is a prefix of ``generate_state(m)`` for n < m;
* ``PCG64``: ``w = generate_state(4, uint64)`` and ``pcg_setseq_128_srandom_r(initstate=w[0] << 64 | w[1],
  initseq=w[2] << 64 | w[3])``: ``inc = initseq << 1 | 1``, ``state = (inc + initstate) * MULT + inc``
  (mod 2**128).

Because the seed words come first and are padded to the pool size, the pool after them depends on the
seed alone (computed once per seed), and each spawn-key word then mixes 4 hashed copies of itself into
the 4 pool words: a handful of array operations for any number of (sample, stream) keys (for a handful
of keys, e.g. one sample's streams, the same steps on Python ints are cheaper than numpy's per-call
overhead and are used instead). Samples or streams outside [0, 2**32) (more than one word each) and
seeds that are not non-negative integers go to numpy's own ``SeedSequence`` (the same numbers, at
numpy's cost; numpy raises for negative values).
"""
from __future__ import annotations

import operator
import sys
import threading
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

import numpy as np

POOL_SIZE = 4
INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875
INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
MIX_MULT_L, MIX_MULT_R = 0xCA01F9DD, 0x4973F715
XSHIFT = 16
MASK32 = 0xFFFFFFFF
PCG64_MULT = 0x2360ED051FC65DA44385DF649FCCF645
MASK128 = (1 << 128) - 1
WORD_LIMIT = 1 << 32  # spawn-key elements below this are one entropy word each (the fast path)

_U32 = np.uint32
_SHIFT = _U32(XSHIFT)
_MIX_L, _MIX_R = _U32(MIX_MULT_L), _U32(MIX_MULT_R)


def int_words(n: int) -> List[int]:
    """``n`` >= 0 as little-endian uint32 words, as numpy assembles entropy (``0`` is ``[0]``)."""
    words = [n & MASK32]
    n >>= 32
    while n:
        words.append(n & MASK32)
        n >>= 32
    return words


@lru_cache(maxsize=16)
def _walk(init: int, mult: int, n: int) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """The first ``n`` (xor, multiply) constants of a hash-constant walk: call i xors with
    ``init * mult**i`` and multiplies by ``init * mult**(i + 1)`` (mod 2**32)."""
    h = [init]
    for _ in range(n):
        h.append(h[-1] * mult & MASK32)
    return tuple(h[:-1]), tuple(h[1:])


def _hashmix(value: np.ndarray, xor, mul) -> np.ndarray:
    """numpy's ``hashmix`` (and ``generate_state``'s step) on uint32 arrays, with the hash constants
    given (broadcast against ``value``)."""
    v = value ^ xor
    v *= mul
    v ^= v >> _SHIFT
    return v


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """numpy's ``mix`` on uint32 arrays: ``MIX_MULT_L * x - MIX_MULT_R * y``, then a xorshift."""
    r = x * _MIX_L - y * _MIX_R
    r ^= r >> _SHIFT
    return r


@lru_cache(maxsize=64)
def _seed_pool(seed: int) -> Tuple[Tuple[int, ...], int]:
    """(pool, number of hashmix calls made) of ``SeedSequence(seed, spawn_key=<non-empty>)`` after all
    seed words. On Python ints: it runs once per seed."""
    words = int_words(seed)
    words += [0] * (POOL_SIZE - len(words))
    calls = POOL_SIZE * POOL_SIZE + POOL_SIZE * (len(words) - POOL_SIZE)
    xor, mul = _walk(INIT_A, MULT_A, calls)
    n = iter(range(calls))

    def hashmix(value: int) -> int:
        i = next(n)
        v = (value ^ xor[i]) * mul[i] & MASK32
        return v ^ (v >> XSHIFT)

    def mix(x: int, y: int) -> int:
        r = (MIX_MULT_L * x - MIX_MULT_R * y) & MASK32
        return r ^ (r >> XSHIFT)

    pool = [hashmix(w) for w in words[:POOL_SIZE]]
    for src in range(POOL_SIZE):
        for dst in range(POOL_SIZE):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for w in words[POOL_SIZE:]:
        for dst in range(POOL_SIZE):
            pool[dst] = mix(pool[dst], hashmix(w))
    return tuple(pool), calls


def _n32(n_words: int, dtype) -> int:
    """uint32 words behind ``n_words`` words of ``dtype`` (numpy accepts uint32 and uint64)."""
    dtype = np.dtype(dtype)
    if dtype == np.uint32:
        return n_words
    if dtype == np.uint64:
        return 2 * n_words
    raise ValueError("only support uint32 or uint64")


def _as_dtype(words32: np.ndarray, dtype) -> np.ndarray:
    """uint32 words (last axis) as ``generate_state`` returns them for ``dtype``:
    uint64 words are little-endian pairs of uint32 words."""
    if np.dtype(dtype) != np.uint64:
        return words32
    if sys.byteorder == "little":
        return np.ascontiguousarray(words32).view(np.uint64)
    return words32.astype("<u4").view("<u8").astype(np.uint64)


def _fast_seed(seed) -> Optional[int]:
    """The seed as a Python int if the fast path takes it, else None."""
    try:
        seed = operator.index(seed)
    except TypeError:
        return None
    return seed if seed >= 0 else None


def _fits(values: Sequence[int]) -> bool:
    return not values or (min(values) >= 0 and max(values) < WORD_LIMIT)


def _numpy_states(seed, keys, n_words: int, dtype) -> np.ndarray:
    """The reference and the fallback: numpy's own SeedSequence, one key at a time."""
    return np.array([np.random.SeedSequence(seed, spawn_key=key).generate_state(n_words, dtype) for key in keys],
                    dtype=dtype).reshape(len(keys), n_words)


class _GridPlan:
    """What the spawn keys ``(k, j)`` of one seed and stream list share (everything but ``k``): the pool
    after the seed words, the sample word's hash constants, the hashed stream words and generate_state's
    constants; as uint32 arrays for the vectorised path and as Python ints for small grids."""

    def __init__(self, seed: int, streams: Tuple[int, ...], n32: int):
        pool, call = _seed_pool(seed)
        xor, mul = (np.array(c, dtype=_U32) for c in _walk(INIT_A, MULT_A, call + 2 * POOL_SIZE))
        k_calls, j_calls = slice(call, call + POOL_SIZE), slice(call + POOL_SIZE, call + 2 * POOL_SIZE)
        self.pool = np.array(pool, dtype=_U32)                                  # (4,)
        self.k_xor, self.k_mul = xor[k_calls], mul[k_calls]                      # (4,) each
        self.stream_hash = _hashmix(np.array(streams, dtype=_U32)[:, None], xor[j_calls], mul[j_calls])  # (J, 4)
        self.cycle = np.arange(n32) % POOL_SIZE          # (n32,) the pool word behind each output word
        self.g_xor, self.g_mul = (np.array(c, dtype=_U32) for c in _walk(INIT_B, MULT_B, n32))
        self.k_ints = tuple(zip(pool, self.k_xor.tolist(), self.k_mul.tolist()))
        self.stream_hash_ints = tuple(map(tuple, self.stream_hash.tolist()))
        self.g_ints = tuple(zip(self.cycle.tolist(), self.g_xor.tolist(), self.g_mul.tolist()))

    def words(self, samples: Sequence[int]) -> np.ndarray:
        """uint32 state words of every (sample, stream), shape (S, J, n32)."""
        hashed = _hashmix(np.array(samples, dtype=_U32)[:, None], self.k_xor, self.k_mul)
        pools = _mix(_mix(self.pool, hashed)[:, None, :], self.stream_hash)          # (S, J, 4)
        return _hashmix(pools[..., self.cycle], self.g_xor, self.g_mul)

    def words_ints(self, samples: Sequence[int]) -> List[int]:
        """:meth:`words` on Python ints, flattened: faster than numpy for a handful of keys."""
        out: List[int] = []
        for k in samples:
            by_sample = []
            for p, x, m in self.k_ints:
                h = (k ^ x) * m & MASK32
                r = (MIX_MULT_L * p - MIX_MULT_R * (h ^ (h >> XSHIFT))) & MASK32
                by_sample.append(r ^ (r >> XSHIFT))
            for hashed in self.stream_hash_ints:
                pool = []
                for p, y in zip(by_sample, hashed):
                    r = (MIX_MULT_L * p - MIX_MULT_R * y) & MASK32
                    pool.append(r ^ (r >> XSHIFT))
                for d, x, m in self.g_ints:
                    v = (pool[d] ^ x) * m & MASK32
                    out.append(v ^ (v >> XSHIFT))
        return out


_grid_plan = lru_cache(maxsize=64)(_GridPlan)


SCALAR_KEYS = 4  # grids of at most this many keys run on Python ints (numpy's per-call overhead dominates)


def grid_states(seed, samples: Sequence[int], streams: Sequence[int], n_words: int, dtype=np.uint32) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(k, j)).generate_state(n_words, dtype)`` for every k in ``samples``
    and j in ``streams``, shape (len(samples), len(streams), n_words).

    The sample word is mixed into the seed's pool once per sample and the (cached) hashed stream word
    once per (sample, stream): about 20 array operations whatever the number of keys, or the same steps
    on Python ints for at most ``SCALAR_KEYS`` keys (one sample's streams, one ``mc_seed``)."""
    samples, streams = [operator.index(k) for k in samples], tuple(operator.index(j) for j in streams)
    n32 = _n32(n_words, dtype)
    seed_int = _fast_seed(seed)
    if seed_int is None or not (_fits(samples) and _fits(streams)):
        keys = [(k, j) for k in samples for j in streams]
        return _numpy_states(seed, keys, n_words, dtype).reshape(len(samples), len(streams), n_words)
    plan = _grid_plan(seed_int, streams, n32)
    if len(samples) * len(streams) <= SCALAR_KEYS:
        words = np.array(plan.words_ints(samples), dtype=_U32).reshape(len(samples), len(streams), n32)
    else:
        words = plan.words(samples)
    return _as_dtype(words, dtype)


def pcg64_state(w0: int, w1: int, w2: int, w3: int) -> dict:
    """``PCG64`` state dict seeded from ``generate_state(4, uint64)`` words (numpy's ``pcg64_set_seed``)."""
    inc = ((w2 << 64 | w3) << 1 | 1) & MASK128
    state = ((inc + (w0 << 64 | w1)) * PCG64_MULT + inc) & MASK128
    return {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}


def pcg64_states(words: np.ndarray) -> List[dict]:
    """State dicts of ``generate_state(4, uint64)`` rows (any leading shape, flattened in C order)."""
    return [pcg64_state(*w) for w in np.asarray(words).reshape(-1, 4).tolist()]


def pcg64_grid(seed, samples: Sequence[int], streams: Sequence[int]) -> List[dict]:
    """``PCG64(SeedSequence(seed, spawn_key=(k, j))).state`` for k in ``samples`` (outer) and j in
    ``streams`` (inner)."""
    return pcg64_states(grid_states(seed, samples, streams, 4, np.uint64))


def seeds63(seed, samples: Sequence[int], stream: int) -> List[int]:
    """``int(SeedSequence(seed, spawn_key=(k, stream)).generate_state(1, uint64)[0] >> 1)`` for each k."""
    return [w >> 1 for w in grid_states(seed, samples, [stream], 1, np.uint64).reshape(-1).tolist()]


_local = threading.local()


def generator_at(state: dict) -> np.random.Generator:
    """A ``Generator`` at PCG64 state ``state``: one reused generator per thread, so the result is only
    valid until the next call in the same thread (use it up, keep no reference). It draws exactly what
    a new ``Generator(PCG64(...))`` at that state draws (a Generator keeps no state of its own)."""
    gen = getattr(_local, "generator", None)
    if gen is None:
        gen = _local.generator = np.random.Generator(np.random.PCG64(0))
    gen.bit_generator.state = state
    return gen
