"""Event streams of a dynamic vision sensor as one plain numpy type, and binning into frames.

An event stream is a numpy structured array of :data:`EVENT_DTYPE` (fields ``t`` in microseconds,
int64; ``x``, ``y`` in pixels, int16; ``p`` polarity, int8, 1 = ON (brighter), 0 = OFF), sorted by
``t``. The sensor size travels beside it in :class:`EventStream` ``(events, width, height)``.

Binning (:func:`to_frames`) follows SpikingJelly's ``integrate_events_by_fixed_frames_number`` /
``cal_fixed_frames_number_segment_index`` (Fang et al., SpikingJelly, Sci. Adv. 9, eadi1480, 2023),
written here from its definition.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from circuitlab.errors import CircuitlabError

__all__ = ["EVENT_DTYPE", "EventError", "EventFormatError", "EventStream", "make_events",
           "validate_events", "segment_bounds", "to_frames", "accumulate"]

EVENT_DTYPE = np.dtype([("t", np.int64), ("x", np.int16), ("y", np.int16), ("p", np.int8)])


class EventError(CircuitlabError, ValueError):
    """An event array is malformed (wrong dtype, unsorted, coordinates outside the sensor)."""


class EventFormatError(CircuitlabError, ValueError):
    """An event file is truncated or not of the format asked for; the message names the file."""


def make_events(t, x, y, p) -> np.ndarray:
    """A structured event array from four equal-length sequences (t in us, x, y in px, p in {0, 1})."""
    t = np.asarray(t)
    out = np.empty(t.shape[0], dtype=EVENT_DTYPE)
    out["t"], out["x"], out["y"], out["p"] = t, np.asarray(x), np.asarray(y), np.asarray(p)
    return out


def validate_events(events: np.ndarray, width: int, height: int, *, name: str = "events") -> np.ndarray:
    """Check dtype, time order, coordinates inside (width, height) and polarity in {0, 1}; return events."""
    if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE:
        raise EventError(f"{name}: dtype {getattr(events, 'dtype', type(events))} is not EVENT_DTYPE; "
                         "build the array with make_events(t, x, y, p)")
    if events.size:
        if np.any(np.diff(events["t"]) < 0):
            raise EventError(f"{name}: timestamps are not sorted; sort with events[np.argsort(events['t'], "
                             "kind='stable')]")
        for field, size in (("x", width), ("y", height)):
            v = events[field]
            if v.min() < 0 or v.max() >= size:
                raise EventError(f"{name}: {field} spans {v.min()}..{v.max()}, outside the sensor 0..{size - 1}; "
                                 "pass the right sensor size")
        if not np.isin(events["p"], (0, 1)).all():
            raise EventError(f"{name}: polarity values {np.unique(events['p'])} are not 0/1 (1 = ON, 0 = OFF)")
    return events


@dataclass(frozen=True)
class EventStream:
    """One sample: events (EVENT_DTYPE, sorted by t), sensor width and height in pixels."""

    events: np.ndarray
    width: int
    height: int

    def __post_init__(self):
        validate_events(self.events, self.width, self.height)

    def __len__(self) -> int:
        return int(self.events.shape[0])


def segment_bounds(events: np.ndarray, n_frames: int, split_by: str = "number") -> tuple[np.ndarray, np.ndarray]:
    """Start and end event indices (each (T,)) of the T = ``n_frames`` integration windows.

    ``split_by="number"``: with N events, segment i covers indices [i*floor(N/T), (i+1)*floor(N/T)),
    and the last segment runs to N.
    ``split_by="time"``: with dt = floor((t[N-1] - t[0]) / T), segment i covers the events with
    t[0] + i*dt <= t < t[0] + (i+1)*dt, and the last one runs to the end (t <= t[N-1]).
    Events must be sorted by t. This is SpikingJelly's ``cal_fixed_frames_number_segment_index``.
    """
    if n_frames < 1:
        raise EventError(f"n_frames={n_frames}: need at least one frame")
    n = int(events.shape[0])
    if split_by == "number":
        step = n // n_frames
        start = np.arange(n_frames, dtype=np.int64) * step
        end = start + step
        end[-1] = n
    elif split_by == "time":
        t = events["t"]
        if n == 0:
            return np.zeros(n_frames, np.int64), np.zeros(n_frames, np.int64)
        dt = (int(t[-1]) - int(t[0])) // n_frames
        edges = int(t[0]) + np.arange(n_frames + 1, dtype=np.int64) * dt
        start = np.searchsorted(t, edges[:-1], side="left").astype(np.int64)
        end = np.searchsorted(t, edges[1:], side="left").astype(np.int64)
        end[-1] = n
    else:
        raise EventError(f"split_by={split_by!r}: use 'number' or 'time'")
    return start, end


def accumulate(events: np.ndarray, width: int, height: int) -> np.ndarray:
    """Event counts (2, height, width) float32: channel 0 OFF (p = 0), channel 1 ON (p = 1)."""
    out = np.zeros((2, height, width), dtype=np.float32)
    np.add.at(out, (events["p"].astype(np.intp), events["y"].astype(np.intp), events["x"].astype(np.intp)), 1.0)
    return out


def to_frames(events: np.ndarray, width: int, height: int, n_frames: int, split_by: str = "number") -> np.ndarray:
    """Frames (T, 2, height, width) float32 of event counts per window (see :func:`segment_bounds`).

    Channel 0 counts OFF events and channel 1 ON events, as SpikingJelly's
    ``integrate_events_by_fixed_frames_number`` does.
    """
    start, end = segment_bounds(events, n_frames, split_by)
    frames = np.zeros((n_frames, 2, height, width), dtype=np.float32)
    seg = np.repeat(np.arange(n_frames), end - start)
    idx = np.concatenate([np.arange(s, e) for s, e in zip(start, end)]) if n_frames else np.zeros(0, np.int64)
    ev = events[idx.astype(np.intp)]
    np.add.at(frames, (seg, ev["p"].astype(np.intp), ev["y"].astype(np.intp), ev["x"].astype(np.intp)), 1.0)
    return frames
