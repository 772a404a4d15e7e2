"""Readers and writers of event files at a local path (never downloaded).

NMNIST binary (Orchard et al. 2015): 5 bytes per event, byte0 x, byte1 y, bit 7 of byte2 polarity
(1 = ON), timestamp in us = (byte2 & 127) << 16 | byte3 << 8 | byte4 (23 bits).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from circuitlab.data.events import EventFormatError, make_events

__all__ = ["read_nmnist", "write_nmnist"]


def read_nmnist(path) -> np.ndarray:
    """Events (EVENT_DTYPE, file order) of an NMNIST ``.bin`` file; raises EventFormatError if truncated."""
    path = Path(path)
    raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    if raw.size % 5:
        raise EventFormatError(f"{path}: {raw.size} bytes is not a multiple of 5; the NMNIST file is truncated "
                               "or not NMNIST binary")
    r = raw.reshape(-1, 5).astype(np.int64)
    t = ((r[:, 2] & 127) << 16) | (r[:, 3] << 8) | r[:, 4]
    return make_events(t, r[:, 0], r[:, 1], r[:, 2] >> 7)


def write_nmnist(path, events: np.ndarray) -> None:
    """Write events to an NMNIST ``.bin`` file (x, y < 256, 0 <= t < 2**23 us)."""
    t = events["t"].astype(np.int64)
    if events.size and (t.min() < 0 or t.max() >= 1 << 23 or events["x"].max() > 255 or events["y"].max() > 255):
        raise EventFormatError(f"{path}: t or x/y outside NMNIST's range (t < 2**23 us, x, y < 256); crop first")
    out = np.empty((events.size, 5), dtype=np.uint8)
    out[:, 0], out[:, 1] = events["x"], events["y"]
    out[:, 2] = ((t >> 16) & 127) | (events["p"].astype(np.int64) << 7)
    out[:, 3], out[:, 4] = (t >> 8) & 255, t & 255
    Path(path).write_bytes(out.tobytes())
