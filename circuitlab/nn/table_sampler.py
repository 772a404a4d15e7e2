"""Exact, fast sampling of a discrete law (values, probabilities) with 16 random bits per draw.

Level 1 is a table of 2^16 entries: value j fills floor(p_j 2^16) slots; the E = 2^16 - sum floor(...)
left-over slots are "escapes". A draw reads 16 random bits (a quarter of one int64 from the generator)
as an index; an escape is redrawn from the residual law frac(p_j 2^16) / E with ``torch.multinomial``
(float64). Then P(j) = (floor(p_j 2^16) + frac(p_j 2^16)) / 2^16 = p_j: exact up to float64 round-off,
no truncated tails. Escapes are rare (E / 2^16, at most K / 2^16 for K values). Work is done in chunks of
2^20 draws so that the index scratch stays in cache; the chunk size is fixed, so the same generator
state gives the same tensor.
"""
from __future__ import annotations

import sys

import numpy as np
import torch

from ..errors import ConfigError

LEVEL_BITS = 16
SLOTS = 1 << LEVEL_BITS
HALF = SLOTS // 2
CHUNK = 1 << 20
LITTLE = sys.byteorder == "little"


def random_int16(count: int, generator, device, words=None) -> torch.Tensor:
    """``count`` uniformly random int16 values (full range) from ceil(count / 4) 64-bit draws."""
    q = (count + 3) // 4
    words = torch.empty(q, dtype=torch.int64, device=device) if words is None or words.numel() < q else words[:q]
    words.random_(-2 ** 63, None, generator=generator)
    return words.view(torch.int16)[:count]


def unsigned_index(bits16: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """Write ``bits16`` read as unsigned 16-bit numbers (0..65535) into the int32 tensor ``out``."""
    if LITTLE and out.is_contiguous():
        out.view(torch.int16)[0::2].copy_(bits16)        # high halves are kept zero by the caller
    else:  # pragma: no cover - big-endian hosts
        out.copy_(bits16).bitwise_and_(0xFFFF)
    return out


def true_positions(mask: torch.Tensor) -> torch.Tensor:
    """Ascending positions (int64) of the True elements of a 1-D contiguous bool tensor: ``mask.nonzero()``
    for sparse masks at about a fifth of its cost (found word by word: 8 bytes per int64, then within the
    words that hold any True)."""
    n8 = mask.numel() // 8 * 8
    words = mask[:n8].view(torch.int64)
    hit = words.ne(0).nonzero().squeeze_(1)
    row, col = mask[:n8].view(-1, 8).index_select(0, hit).nonzero(as_tuple=True)
    pos = hit[row].mul_(8).add_(col)
    if n8 < mask.numel():
        pos = torch.cat([pos, mask[n8:].nonzero().squeeze_(1).add_(n8)])
    return pos


class TableLaw:
    """A discrete law prepared for fast exact sampling (numpy float64 in, torch tables out)."""

    def __init__(self, values, probs):
        v = np.asarray(values, dtype=np.float64).ravel()
        p = np.asarray(probs, dtype=np.float64).ravel()
        if v.size == 0 or v.shape != p.shape:
            raise ConfigError(f"a discrete law needs values and probabilities of one non-zero length; got "
                              f"{v.size} values and {p.size} probabilities")
        if not np.all(np.isfinite(v)) or not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
            raise ConfigError("probabilities must be finite, non-negative and not all zero; check the model file")
        p = p / p.sum()
        self.values, self.probs = v, p
        counts = np.floor(p * SLOTS).astype(np.int64)
        escapes = int(SLOTS - counts.sum())
        frac = np.clip(p * SLOTS - counts, 0.0, None)
        if escapes > 0 and frac.sum() <= 0:        # round-off only: give the slots to the largest values
            frac = p.copy()
        self.escapes = escapes
        self.residual = frac / frac.sum() if escapes > 0 else None
        order = np.repeat(np.arange(v.size), counts)          # value index of each non-escape slot
        index = np.zeros(SLOTS, dtype=np.int64)
        keep = np.ones(SLOTS, dtype=bool)
        keep[HALF:HALF + escapes] = False                       # escapes sit at 32768 .. 32768 + E - 1
        index[keep] = order
        self.slot_index = index
        self._cache: dict = {}
        self._scratch: dict = {}

    def scratch(self, device):
        """Per-device work space reused between calls (index with zero high halves, mask, random words)."""
        key = str(device)
        if key not in self._scratch:
            self._scratch[key] = (torch.zeros(CHUNK, dtype=torch.int32, device=device),
                                  torch.empty(CHUNK, dtype=torch.bool, device=device),
                                  torch.empty(CHUNK // 4, dtype=torch.int64, device=device))
        return self._scratch[key]

    def tables(self, dtype, device, transform=None):
        key = (dtype, str(device))
        if key not in self._cache:
            vals = self.values if transform is None else transform(self.values)
            t = torch.as_tensor(vals, dtype=torch.float64)
            self._cache[key] = (t[torch.as_tensor(self.slot_index)].to(dtype=dtype, device=device),
                                t.to(dtype=dtype, device=device),
                                None if self.residual is None else torch.as_tensor(self.residual, device=device))
        return self._cache[key]

    def sample(self, n: int, *, generator, dtype, device, values_dtype_tables) -> torch.Tensor:
        """``n`` draws as a flat tensor (``values_dtype_tables`` from :meth:`tables`)."""
        level1, values, residual = values_dtype_tables
        out = torch.empty(n, dtype=dtype, device=device)
        idx, mask, words = self.scratch(device)
        for s in range(0, n, CHUNK):
            e = min(n, s + CHUNK)
            m = e - s
            bits = random_int16(m, generator, device, words)
            ix = unsigned_index(bits, idx[:m])
            torch.index_select(level1, 0, ix, out=out[s:e])
            if self.escapes:
                # positions of the escapes in ascending order (masked_scatter_ would scan the chunk again
                # and cost 3x more), then one residual draw each, written in that order
                at = true_positions(torch.lt(bits, -HALF + self.escapes, out=mask[:m]))
                if at.numel():
                    j = torch.multinomial(residual, at.numel(), replacement=True, generator=generator)
                    out[s:e].index_copy_(0, at, values[j])
        return out
