"""MeRAM noise eps = A_i - A_(i-1) as a torch noise source, from a ``meram_eps`` model file.

Seed: meram_diffusion_paper.txt, Fig. 3 (8-bit unit, weights 2^1 ... 2^-6; eps is the difference of
successive read-outs A). Modes:

- ``shuffled`` (the seed's way): i.i.d. draws from the 40,000-sample device table (its empirical law);
- ``exact``: i.i.d. draws from the exact stationary eps pmf;
- ``stream``: one unit per tensor element (flat index i keeps chain i between calls; new elements start
  from the stationary law), each bit a two-state chain with the per-bit P->AP / AP->P probabilities.
  Bits are grouped by four; each group's transition law is tabulated with 16 random bits per group and
  step (largest-remainder rounding: each transition probability is off by less than 2^-16).

``shuffled`` and ``exact`` are exact (see :mod:`.table_sampler`). By default draws are standardised by the
exact moments of the mode's law (pmf moments for exact and stream, the table's own for shuffled);
``standardise=False`` returns raw eps (read-out units) and ``mean``/``variance`` say the raw moments.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import ConfigError
from .noise import NoiseSource
from .table_sampler import CHUNK, HALF, SLOTS, TableLaw, random_int16

MODES = ("shuffled", "stream", "exact")
GROUP = 4


def _moments(values, probs):
    p = probs / probs.sum()
    m = float(np.sum(p * values))
    var = float(np.sum(p * (values - m) ** 2))
    k = float(np.sum(p * (values - m) ** 4) / var ** 2 - 3) if var > 0 else float("nan")
    return m, var, k


def _largest_remainder(p) -> np.ndarray:
    c = np.floor(p * SLOTS).astype(np.int64)
    left = SLOTS - int(c.sum())
    if left > 0:
        c[np.argsort(-(p * SLOTS - c), kind="stable")[:left]] += 1
    return c


class MeRAMNoise(NoiseSource):
    """Device noise of an n-bit MeRAM unit; build it with :meth:`from_model`."""

    def __init__(self, *, values, pmf, samples, weights, p_p_to_ap, p_ap_to_p, raw_scale: float,
                 mode: str = "shuffled", standardise: bool = True, energy_per_sample: float = float("nan"),
                 lag1_autocorr: float = float("nan")):
        super().__init__()
        if mode not in MODES:
            raise ConfigError(f"MeRAM noise mode {mode!r} is unknown; use one of {', '.join(MODES)}")
        self.mode, self.standardise = mode, bool(standardise)
        #: device energy per noise sample (J), from the model file (nan when it has none)
        self.energy_per_sample = float(energy_per_sample)
        #: lag-1 autocorrelation of successive draws of one element (stream mode; 0 otherwise)
        self.model_lag1_autocorr = float(lag1_autocorr)
        values = np.asarray(values, float)
        pmf = np.asarray(pmf, float)
        self.weights = np.asarray(weights, float)
        self.p_p_to_ap, self.p_ap_to_p = np.asarray(p_p_to_ap, float), np.asarray(p_ap_to_p, float)
        if mode == "shuffled":
            law_v, counts = np.unique(np.asarray(samples, float) * raw_scale, return_counts=True)
            law_p = counts.astype(float)
        else:
            law_v, law_p = values, pmf
        self.law = TableLaw(law_v, law_p)
        self.raw_mean, self.raw_variance, self.kurtosis_excess = _moments(self.law.values, self.law.probs)
        self._shift = self.raw_mean if self.standardise else 0.0
        self._scale = math.sqrt(self.raw_variance) if self.standardise else 1.0
        self.mean = 0.0 if self.standardise else self.raw_mean
        self.variance = 1.0 if self.standardise else self.raw_variance
        self.lag1_autocorr = self.model_lag1_autocorr if mode == "stream" else 0.0
        if mode == "stream":
            self._build_stream()
        self.register_buffer("chains", torch.zeros(0, 0, dtype=torch.int32), persistent=False)

    @classmethod
    def from_model(cls, name_or_path="meram_eps", mode: str = "shuffled", *, standardise: bool = True):
        """Load a ``meram_eps`` model file (built-in name or path) and build the source in ``mode``."""
        from ..export import load_model
        if mode not in MODES:
            raise ConfigError(f"MeRAM noise mode {mode!r} is unknown; use one of {', '.join(MODES)}")
        m = load_model(name_or_path, kind="meram_eps")
        t, p = m.tables, m.parameters
        for name in ("weights", "p_p_to_ap", "p_ap_to_p"):
            if name not in t:
                raise ConfigError(f"model file {name_or_path} has no table {name!r}; re-export it with "
                                  f"`circuitlab export` (meram_eps with per-bit probabilities)")
        energy = p["energy_per_noise_sample"].value if "energy_per_noise_sample" in p else float("nan")
        return cls(values=t["pmf"].axes[0].values, pmf=t["pmf"].values, samples=t["samples"].values,
                   weights=t["weights"].values, p_p_to_ap=t["p_p_to_ap"].values, p_ap_to_p=t["p_ap_to_p"].values,
                   raw_scale=math.sqrt(p["variance"].value), mode=mode, standardise=standardise,
                   energy_per_sample=energy, lag1_autocorr=p["lag1_autocorr"].value)

    # --- i.i.d. modes ----------------------------------------------------------------------------
    def _transform(self, v):
        return (v - self._shift) / self._scale

    def _draw(self, shape, *, generator, dtype, device):
        n = math.prod(shape)
        if self.mode == "stream":
            return self._stream(n, generator, dtype, device).reshape(shape)
        tabs = self.law.tables(dtype, device, self._transform)
        return self.law.sample(n, generator=generator, dtype=dtype, device=device,
                               values_dtype_tables=tabs).reshape(shape)

    # --- stream mode -----------------------------------------------------------------------------
    def _build_stream(self):
        a, b, w = self.p_p_to_ap, self.p_ap_to_p, self.weights
        if a.shape != b.shape or a.shape != w.shape or np.any(a + b <= 0):
            raise ConfigError("per-bit probabilities and weights must have one entry per bit, with "
                              "p_p_to_ap + p_ap_to_p > 0 for every bit")
        self.groups = [list(range(s, min(s + GROUP, a.size))) for s in range(0, a.size, GROUP)]
        self._next, self._delta, self._pi = [], [], []
        for gi, bits in enumerate(self.groups):
            m = len(bits)
            states = np.arange(2 ** m)
            sb = (states[:, None] >> np.arange(m)[None, :]) & 1        # bit j of the group state
            value = sb @ w[bits]
            nxt = np.empty((2 ** m, SLOTS), dtype=np.int64)
            for s in states:
                flip = np.where(sb[s] == 0, a[bits], b[bits])             # P(flip) of each bit
                to = states ^ 0                                           # candidate next states
                d = sb ^ sb[s]                                            # which bits flip to reach `to`
                prob = np.prod(np.where(d == 1, flip, 1 - flip), axis=1)
                nxt[s] = np.repeat(to, _largest_remainder(prob))
            base = (states << 16) + HALF
            # index = base(old) + signed r16 = (old << 16) + unsigned r16
            idx_next = nxt.reshape(-1)
            old = np.repeat(states, SLOTS)
            self._next.append(torch.as_tensor((idx_next << 16) + HALF, dtype=torch.int32))
            self._delta.append(value[idx_next] - value[old])
            self._pi.append(torch.as_tensor(a[bits] / (a[bits] + b[bits])))
        self._tabcache: dict = {}

    def _stream_tables(self, dtype, device):
        key = (dtype, str(device))
        if key not in self._tabcache:
            deltas = []
            for gi, d in enumerate(self._delta):
                d = d - (self._shift if gi == 0 else 0.0)
                deltas.append(torch.as_tensor(d / self._scale, dtype=dtype, device=device))
            self._tabcache[key] = ([t.to(device) for t in self._next], deltas)
        return self._tabcache[key]

    def _grow(self, n, generator, device):
        have = self.chains.shape[1] if self.chains.numel() else 0
        if self.chains.device != device:
            self.chains = self.chains.to(device)
        if have >= n:
            return
        extra = []
        for gi, bits in enumerate(self.groups):
            u = torch.rand((n - have, len(bits)), generator=generator, dtype=torch.float64, device=device)
            st = ((u < self._pi[gi].to(device)).to(torch.int32) << torch.arange(len(bits), device=device,
                                                                             dtype=torch.int32)).sum(1)
            extra.append(((st << 16) + HALF).to(torch.int32))
        new = torch.stack(extra)
        self.chains = new if have == 0 else torch.cat([self.chains, new], dim=1)

    def _stream(self, n, generator, dtype, device):
        self._grow(n, generator, device)
        nxt, deltas = self._stream_tables(dtype, device)
        out = torch.empty(n, dtype=dtype, device=device)
        g = len(self.groups)
        key = (dtype, str(device))
        if getattr(self, "_work", (None,))[0] != key:
            self._work = (key, torch.empty(CHUNK, dtype=torch.int32, device=device),
                          torch.empty(CHUNK, dtype=dtype, device=device),
                          torch.empty(g * CHUNK // 4 + 1, dtype=torch.int64, device=device))
        _, idx, tmp, words = self._work
        for s in range(0, n, CHUNK):
            e = min(n, s + CHUNK)
            m = e - s
            bits = random_int16(g * m, generator, device, words)
            for gi in range(g):
                st = self.chains[gi, s:e]
                ix = torch.add(st, bits[gi * m:(gi + 1) * m], out=idx[:m])
                torch.index_select(deltas[gi], 0, ix, out=out[s:e] if gi == 0 else tmp[:m])
                if gi:
                    out[s:e].add_(tmp[:m])
                torch.index_select(nxt[gi], 0, ix, out=st)
        return out

    def reset(self) -> None:
        """Forget every chain: the next call starts all elements afresh from the stationary law."""
        self.chains = torch.zeros(0, 0, dtype=torch.int32, device=self.chains.device)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, standardise={self.standardise}, " + super().extra_repr()
