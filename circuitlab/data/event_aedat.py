"""AEDAT event files of iniVation/jAER sensors at a local path (never downloaded), and writers for tests.

AEDAT 2.0 (jAER; CIFAR10-DVS, Li et al., Front. Neurosci. 11, 309, 2017, recorded on a DVS128): text
header lines starting with ``#``, then 8 bytes per event, big-endian: uint32 address, uint32
timestamp (us). DVS128 address: x = (addr & 0xFE) >> 1, y = (addr & 0x7F00) >> 8, polarity = addr & 1
(taken as stored, 1 = ON, as SpikingJelly and Tonic read CIFAR10-DVS; ``flip_x`` mirrors x as some
loaders do).

AEDAT 3.1 (cAER/jAER 3; DVS128-Gesture, Amir et al., CVPR 2017): text header from ``#!AER-DAT3.1`` to
``#!END-HEADER``, then packets. Each packet: a 28-byte little-endian header (int16 event type,
int16 source, int32 event size, int32 timestamp offset, int32 timestamp overflow, int32 capacity,
int32 number, int32 valid) and ``number x size`` bytes of events. Polarity events (type 1, 8 bytes):
uint32 data (bit 0 valid, bit 1 polarity 1 = ON, bits 2-16 y, bits 17-31 x), int32 timestamp (us);
the full time is overflow << 31 | timestamp. Other event types are skipped, invalid events dropped.
DVS128-Gesture's labels come in ``<recording>_labels.csv``: class (1-11), start and end time (us).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from circuitlab.data.events import EventFormatError, make_events

__all__ = ["read_aedat2", "write_aedat2", "read_aedat31", "write_aedat31", "read_gesture_labels",
           "cut_segments", "AEDAT31_POLARITY"]

AEDAT31_POLARITY = 1
_PACKET_HEADER = np.dtype([("type", "<i2"), ("source", "<i2"), ("size", "<i4"), ("ts_offset", "<i4"),
                           ("ts_overflow", "<i4"), ("capacity", "<i4"), ("number", "<i4"), ("valid", "<i4")])


def _split_header(raw: bytes, path: Path, end_marker: bytes | None) -> int:
    """Offset of the first binary byte after the ``#`` header lines."""
    pos = 0
    while pos < len(raw) and raw[pos:pos + 1] == b"#":
        nl = raw.find(b"\n", pos)
        if nl < 0:
            raise EventFormatError(f"{path}: header line without an end; the file is truncated")
        line = raw[pos:nl + 1]
        pos = nl + 1
        if end_marker is not None and line.strip() == end_marker:
            return pos
    if end_marker is not None:
        raise EventFormatError(f"{path}: no {end_marker.decode()} line; not an AEDAT 3.1 file (read AEDAT 2.0 "
                               "files with read_aedat2)")
    return pos


def read_aedat2(path, *, flip_x: bool = False, width: int = 128) -> np.ndarray:
    """Events (EVENT_DTYPE, sorted by t) of a DVS128 AEDAT 2.0 file (CIFAR10-DVS)."""
    path = Path(path)
    raw = path.read_bytes()
    if raw.startswith(b"#!AER-DAT3"):
        raise EventFormatError(f"{path}: an AEDAT 3.x file; read it with read_aedat31")
    start = _split_header(raw, path, None)
    body = raw[start:]
    if len(body) % 8:
        raise EventFormatError(f"{path}: {len(body)} data bytes is not a multiple of 8; the AEDAT 2.0 file is "
                               "truncated")
    ev = np.frombuffer(body, dtype=np.dtype([("addr", ">u4"), ("t", ">u4")]))
    addr = ev["addr"].astype(np.int64)
    x = (addr & 0xFE) >> 1
    if flip_x:
        x = width - 1 - x
    out = make_events(ev["t"].astype(np.int64), x, (addr & 0x7F00) >> 8, addr & 1)
    return out[np.argsort(out["t"], kind="stable")]


def write_aedat2(path, events: np.ndarray) -> None:
    """Write DVS128 events (x, y < 128, 0 <= t < 2**32 us) as AEDAT 2.0."""
    t = events["t"].astype(np.int64)
    if events.size and (t.min() < 0 or t.max() >= 1 << 32 or events["x"].max() > 127 or events["y"].max() > 127):
        raise EventFormatError(f"{path}: t or x/y outside the DVS128 AEDAT 2.0 range (t < 2**32 us, x, y < 128)")
    rec = np.empty(events.size, dtype=np.dtype([("addr", ">u4"), ("t", ">u4")]))
    rec["addr"] = (events["y"].astype(np.int64) << 8) | (events["x"].astype(np.int64) << 1) | events["p"]
    rec["t"] = t
    Path(path).write_bytes(b"#!AER-DAT2.0\r\n# written by circuitlab\r\n" + rec.tobytes())


def read_aedat31(path) -> np.ndarray:
    """Polarity events (EVENT_DTYPE, sorted by t) of an AEDAT 3.1 file (DVS128-Gesture); invalid dropped."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(b"#!AER-DAT3"):
        raise EventFormatError(f"{path}: no '#!AER-DAT3' first line; not an AEDAT 3.x file (AEDAT 2.0: "
                               "read_aedat2)")
    pos = _split_header(raw, path, b"#!END-HEADER")
    parts = []
    while pos < len(raw):
        if pos + _PACKET_HEADER.itemsize > len(raw):
            raise EventFormatError(f"{path}: a packet header is cut at byte {pos}; the file is truncated")
        h = np.frombuffer(raw, dtype=_PACKET_HEADER, count=1, offset=pos)[0]
        size, number = int(h["size"]), int(h["number"])
        pos += _PACKET_HEADER.itemsize
        if size <= 0 or number < 0:
            raise EventFormatError(f"{path}: packet at byte {pos - 28} has event size {size} and number {number}; "
                                   "the file is corrupt")
        end = pos + size * number
        if end > len(raw):
            raise EventFormatError(f"{path}: packet at byte {pos - 28} needs {size * number} bytes, {len(raw) - pos} "
                                   "remain; the file is truncated")
        if int(h["type"]) == AEDAT31_POLARITY:
            if size != 8:
                raise EventFormatError(f"{path}: polarity events of {size} bytes (AEDAT 3.1 has 8)")
            ev = np.frombuffer(raw, dtype=np.dtype([("data", "<u4"), ("t", "<i4")]), count=number, offset=pos)
            data = ev["data"].astype(np.int64)
            ok = (data & 1) == 1
            t = (int(h["ts_overflow"]) << 31) | ev["t"].astype(np.int64)
            parts.append(make_events(t[ok], (data[ok] >> 17) & 0x7FFF, (data[ok] >> 2) & 0x7FFF,
                                     (data[ok] >> 1) & 1))
        pos = end
    out = np.concatenate(parts) if parts else make_events([], [], [], [])
    return out[np.argsort(out["t"], kind="stable")]


def write_aedat31(path, events: np.ndarray, packet: int = 4096) -> None:
    """Write polarity events as AEDAT 3.1 packets of at most ``packet`` events (t < 2**31 us)."""
    t = events["t"].astype(np.int64)
    if events.size and (t.min() < 0 or t.max() >= 1 << 31):
        raise EventFormatError(f"{path}: t outside 0..2**31 us (the writer does not emit overflow packets)")
    chunks = [b"#!AER-DAT3.1\r\n#Format: RAW\r\n#!END-HEADER\r\n"]
    for a in range(0, events.size, packet):
        e = events[a:a + packet]
        h = np.zeros(1, dtype=_PACKET_HEADER)
        h["type"], h["size"], h["ts_offset"] = AEDAT31_POLARITY, 8, 4
        h["capacity"] = h["number"] = h["valid"] = e.size
        rec = np.empty(e.size, dtype=np.dtype([("data", "<u4"), ("t", "<i4")]))
        rec["data"] = (e["x"].astype(np.int64) << 17) | (e["y"].astype(np.int64) << 2) | (e["p"].astype(np.int64) << 1) | 1
        rec["t"] = e["t"]
        chunks += [h.tobytes(), rec.tobytes()]
    Path(path).write_bytes(b"".join(chunks))


def read_gesture_labels(path) -> np.ndarray:
    """(class 0-10, start us, end us) rows of a DVS128-Gesture ``*_labels.csv`` (classes stored 1-11)."""
    path = Path(path)
    rows = []
    for i, line in enumerate(path.read_text().splitlines()):
        cells = [c.strip() for c in line.split(",")]
        if not line.strip() or (i == 0 and not cells[0].lstrip("-").isdigit()):
            continue
        try:
            c, a, b = (int(v) for v in cells[:3])
        except ValueError:
            raise EventFormatError(f"{path}: line {i + 1} {line!r} is not 'class,startTime_usec,endTime_usec'") from None
        if not 1 <= c <= 11 or b <= a:
            raise EventFormatError(f"{path}: line {i + 1}: class {c} (1-11) or times {a}..{b} out of range")
        rows.append((c - 1, a, b))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def cut_segments(events: np.ndarray, labels: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """The labelled pieces (events with start <= t < end, class) of a recording, times kept as recorded."""
    t = events["t"]
    out = []
    for c, a, b in labels:
        i, j = np.searchsorted(t, a, side="left"), np.searchsorted(t, b, side="left")
        out.append((events[i:j], int(c)))
    return out
