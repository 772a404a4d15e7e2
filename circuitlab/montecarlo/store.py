"""The campaign results file: one HDF5 file, written only by the coordinator, readable while it grows.

Layout (schema version 1)::

    /  attrs: format, schema_version, spec (TOML text), spec_base, spec_name, seed, samples,
              full_samples, mode, circuitlab_version, ngspice_version, created (UTC ISO 8601),
              created_host, created_user, created_uid (who made it: see .trust), nominal_netlist_sha256,
              columns, vector_names, vector_units, measure_names, derived_names, sweep_names
    params          (n, ncols)              float64  parameter table (jitter offsets in s)
    status          (n,)                    int8     -1 pending, 0 ok, 1 sim_error, 2 timeout, 3 nonconverged
    error           (n,)                    S512     error text (truncated), '' when none
    netlist_sha256  (n,)                    S64      sha256 of the sample's run netlists (evaluator: run texts)
    vectors         (n, points, nvec, ngrid) float64 recorded vectors on the common grid
    measures        (n, points, nmeas)      float64
    derived         (n, points, nder)       float64
    time            (ngrid,)                float64  the common grid (s)
    sweep           (points, naxes)         float64  the sweep grid

Rows are appended in whole tasks (datasets grow in chunks); ``status`` is written after the data of
its rows, so a row whose status is not pending is complete. The file is in SWMR mode while a
campaign writes it; after a crash (even SIGKILL) it still opens for reading, and
:func:`rewrite_for_resume` copies its finished rows into a fresh file that replaces it atomically.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from ..errors import SchemaError
from .errors import StorageError

FORMAT = "circuitlab.montecarlo.campaign"
SCHEMA_VERSION = 1
ERROR_BYTES = 512
_CHUNK_ROWS = 256
_ROW_DATASETS = ("params", "status", "error", "netlist_sha256", "vectors", "measures", "derived")


@dataclass(frozen=True)
class Layout:
    """Everything needed to create an empty results file."""
    attrs: Dict[str, object]
    ncols: int
    npoints: int
    nvec: int
    ngrid: int
    nmeas: int
    nder: int
    time: np.ndarray
    sweep: np.ndarray


def _h5():
    import h5py
    return h5py


def create(path: Path, layout: Layout):
    """Create a fresh results file (not overwriting anything) and return it open in SWMR-write mode."""
    h5py = _h5()
    path = Path(path)
    try:
        f = h5py.File(path, "w-", libver="latest")
    except (FileExistsError, OSError) as exc:
        raise StorageError(f"cannot create results file {str(path)!r} ({exc}); it must not exist yet (use "
                           f"'circuitlab mc resume' to finish an existing campaign)")
    try:
        for k, v in layout.attrs.items():
            f.attrs[k] = v
        chunk = _CHUNK_ROWS

        def rows(name, tail, dtype, fill):
            # HDF5 chunks need positive sizes: an empty trailing axis (no measures, no derived scalars)
            # gets an extendable axis with chunk 1 instead
            chunk_tail = tuple(max(1, t) for t in tail)
            max_tail = tuple(t if t > 0 else None for t in tail)
            per_row = 8 * int(np.prod(chunk_tail or (1,)))
            f.create_dataset(name, shape=(0, *tail), maxshape=(None, *max_tail), dtype=dtype, fillvalue=fill,
                             chunks=(max(1, min(chunk, (1 << 20) // per_row)), *chunk_tail))
        rows("params", (layout.ncols,), "f8", np.nan)
        rows("status", (), "i1", -1)
        rows("error", (), f"S{ERROR_BYTES}", b"")
        rows("netlist_sha256", (), "S64", b"")
        rows("vectors", (layout.npoints, layout.nvec, layout.ngrid), "f8", np.nan)
        rows("measures", (layout.npoints, layout.nmeas), "f8", np.nan)
        rows("derived", (layout.npoints, layout.nder), "f8", np.nan)
        f.create_dataset("time", data=layout.time)
        f.create_dataset("sweep", data=layout.sweep)
        f.flush()
        f.swmr_mode = True
    except Exception:
        f.close()
        raise
    return f


_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _stored_end(path: Path) -> Optional[int]:
    """The end-of-file address the HDF5 superblock (version 2 or 3, at offset 0) records, in bytes;
    None when the file has another superblock layout (then no truncation check is made).

    Superblock v2/v3 (HDF5 file format spec, section II.A): signature (8 bytes), version, size of
    offsets (s), size of lengths, flags, base address, extension address, end-of-file address (s bytes
    each, little endian), root object header address, checksum.
    """
    with open(path, "rb") as fh:
        head = fh.read(64)
    if len(head) < 12 or not head.startswith(_SIGNATURE) or head[8] not in (2, 3):
        return None
    s = head[9]
    if s not in (2, 4, 8) or len(head) < 12 + 3 * s:
        return None
    return int.from_bytes(head[12 + 2 * s:12 + 3 * s], "little")


def truncation(path, *, waits: int = 5, wait_s: float = 0.2) -> Optional[Tuple[int, int]]:
    """(bytes on disk, bytes the file records) when ``path`` is shorter than its superblock says (cut off
    by a full disk, an interrupted copy or transfer), else None.

    A file that is still being written may briefly be shorter than the space its writer allocated: the
    check looks again ``waits`` times, ``wait_s`` apart, and reports only a file that stays short and
    does not change meanwhile.
    """
    import time

    path = Path(path)
    expected = _stored_end(path)
    if expected is None:
        return None
    last = None
    for attempt in range(waits + 1):
        st = path.stat()
        if st.st_size >= expected:
            return None
        if last is not None and (st.st_size, st.st_mtime_ns) != last:
            return None  # growing: a live writer, not a truncated file
        last = (st.st_size, st.st_mtime_ns)
        if attempt < waits:
            time.sleep(wait_s)
            expected = _stored_end(path) or expected
    return last[0], expected


def _open_swmr_read(path: Path, few_attempts: bool):
    """h5py.File opened for SWMR reading. ``few_attempts``: a truncated file, whose metadata reads HDF5's
    SWMR reader would otherwise retry for minutes (H5Pset_metadata_read_attempts, default 100 under SWMR,
    is not wrapped by h5py: set through ctypes on h5py's own libhdf5; skipped where that is not found)."""
    h5py = _h5()
    if not few_attempts:
        return h5py.File(path, "r", swmr=True, libver="latest")
    import ctypes

    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    try:
        with open("/proc/self/maps") as maps:
            lib = next(line.split()[-1] for line in maps if "/libhdf5" in line and "_hl" not in line
                       and ".so" in line)
        ctypes.CDLL(lib).H5Pset_metadata_read_attempts(ctypes.c_int64(fapl.id), ctypes.c_uint(2))
    except (OSError, StopIteration, AttributeError):
        pass
    fid = h5py.h5f.open(os.fsencode(path), h5py.h5f.ACC_RDONLY | h5py.h5f.ACC_SWMR_READ, fapl=fapl)
    return h5py.File(fid)


def complete_rows(f, samples: int) -> np.ndarray:
    """Boolean array over ``samples``: False for rows whose data (any row dataset's chunk) lies beyond the
    end of a truncated file; all True for a complete file. HDF5 reads such missing data as zeros, which
    for ``status`` means 0 = ok: a cut file would otherwise report its lost rows as good."""
    ok = np.ones(samples, dtype=bool)
    size = os.path.getsize(f.filename)
    end = _stored_end(Path(f.filename))
    if end is None or size >= end:
        return ok
    try:
        for name in _ROW_DATASETS:
            d = f[name]
            rows = d.chunks[0]
            for i in range(d.id.get_num_chunks()):
                info = d.id.get_chunk_info(i)
                if info.byte_offset + info.size > size:
                    a = int(info.chunk_offset[0])
                    ok[a:a + rows] = False
    except (OSError, KeyError) as exc:
        raise SchemaError(f"{f.filename!r} is truncated ({size} of {end} bytes) through its index of rows "
                          f"({exc}); no row can be trusted: restore a complete copy or re-run the campaign")
    return ok


@contextmanager
def open_read(path, *, partial: bool = False):
    """Open a results file for reading (also while it is written, or after its writer was killed).

    Raises SchemaError for a missing, foreign, corrupt or newer-schema file, and for a truncated one
    unless ``partial`` (status and resume, which keep only :func:`complete_rows`).
    """
    h5py = _h5()
    path = Path(path)
    if path.is_dir():
        raise SchemaError(f"{str(path)!r} is a folder, not a results file; give the .h5 file that "
                          f"'circuitlab mc run SPEC --out FILE.h5' wrote")
    if not path.is_file():
        raise SchemaError(f"results file {str(path)!r} does not exist")
    cut = truncation(path)
    if cut is not None and not partial:
        raise SchemaError(f"{str(path)!r} is truncated: {cut[0]} bytes on disk but the file records {cut[1]} (a "
                          f"full disk, an interrupted copy?); it was left untouched. 'circuitlab mc status' counts "
                          f"its complete rows and 'circuitlab mc resume' keeps them and re-runs the rest; or "
                          f"restore a complete copy")
    try:
        f = _open_swmr_read(path, few_attempts=cut is not None)
    except OSError as exc:
        raise SchemaError(f"{str(path)!r} is not a readable HDF5 file (corrupt or not HDF5: {exc}); it was left "
                          f"untouched")
    try:
        try:
            check(f, path)
        except SchemaError as exc:
            if cut is None:
                raise
            raise SchemaError(f"{str(path)!r} is truncated ({cut[0]} of {cut[1]} bytes) through its header "
                              f"({exc}); no row can be trusted: restore a complete copy or re-run the "
                              f"campaign") from None
        yield f
    finally:
        f.close()


def check(f, path) -> None:
    """Raise SchemaError unless ``f`` is a campaign file of a schema this version reads."""
    fmt = f.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode()
    if fmt != FORMAT:
        raise SchemaError(f"{str(path)!r} is not a circuitlab campaign file (format={fmt!r}, expected {FORMAT!r}); "
                          f"it was left untouched")
    version = f.attrs.get("schema_version")
    if not isinstance(version, (int, np.integer)):
        raise SchemaError(f"{str(path)!r} has no valid schema_version; the file is corrupt")
    if int(version) > SCHEMA_VERSION:
        raise SchemaError(f"{str(path)!r} has schema version {int(version)}, newer than {SCHEMA_VERSION} which this "
                          f"circuitlab reads; upgrade circuitlab")
    missing = [d for d in (*_ROW_DATASETS, "time", "sweep") if d not in f]
    if missing:
        raise SchemaError(f"{str(path)!r} lacks dataset(s) {', '.join(missing)}; the file is corrupt")
    n = f["status"].shape[0]
    if any(f[d].shape[0] != n for d in _ROW_DATASETS):
        raise SchemaError(f"{str(path)!r}: its per-sample datasets differ in length; the file is corrupt")


def layout_of(f) -> Layout:
    """The layout (attributes and shapes) of an open results file."""
    v = f["vectors"].shape
    return Layout({k: f.attrs[k] for k in f.attrs}, f["params"].shape[1], v[1], v[2], v[3],
                  f["measures"].shape[2], f["derived"].shape[2], f["time"][()], f["sweep"][()])


def read_all(path, vectors: bool = False) -> Dict[str, object]:
    """Every dataset of a results file's first ``samples`` rows (``vectors`` only when asked: they can
    be large) and its root attributes, as plain numpy arrays: ``attrs``, ``params``, ``status``,
    ``error`` (str list), ``netlist_sha256`` (str list), ``measures``, ``derived``, ``time``, ``sweep``
    and the name lists ``columns``, ``measure_names``, ``derived_names``, ``sweep_names``,
    ``vector_names``, ``vector_units`` (dict)."""
    with open_read(path) as f:
        attrs = {k: (maybe_str(v) if isinstance(v, (bytes, str)) else (v.item() if hasattr(v, "item") else v))
                 for k, v in f.attrs.items()}
        n = min(int(attrs["samples"]), f["status"].shape[0])
        out: Dict[str, object] = {"attrs": attrs, "time": f["time"][()], "sweep": f["sweep"][()]}
        for name in ("params", "status", "measures", "derived") + (("vectors",) if vectors else ()):
            out[name] = f[name][:n]
        for name in ("error", "netlist_sha256"):
            out[name] = [e.decode("utf-8", "replace") for e in f[name][:n]]
        for key in ("columns", "measure_names", "derived_names", "sweep_names", "vector_names"):
            out[key] = read_json_list(f, key)
        out["vector_units"] = json.loads(f.attrs["vector_units"]) if "vector_units" in f.attrs else {}
    return out


def write_rows(f, result) -> None:
    """Write one task's rows (data first, then status) and flush; StorageError on any I/O failure."""
    start, stop = result.start, result.stop
    try:
        n = f["status"].shape[0]
        if stop > n:
            for name in _ROW_DATASETS:
                f[name].resize(stop, axis=0)
        f["params"][start:stop] = result.params
        f["vectors"][start:stop] = result.vectors
        f["measures"][start:stop] = result.measures
        f["derived"][start:stop] = result.derived
        f["error"][start:stop] = np.array([e.encode("utf-8", "replace")[:ERROR_BYTES] for e in result.errors],
                                          dtype=f"S{ERROR_BYTES}")
        f["netlist_sha256"][start:stop] = np.array([h.encode() for h in result.hashes], dtype="S64")
        f.flush()
        f["status"][start:stop] = result.status
        f.flush()
    except (OSError, RuntimeError) as exc:  # h5py reports a failed flush (disk full) as RuntimeError
        raise StorageError(f"writing samples {start}..{stop - 1} to {f.filename!r} failed ({exc}); the samples "
                           f"written before are kept; free space and run 'circuitlab mc resume'")


def close_quietly(f) -> None:
    """Close a results file; after a failed write (disk full) closing can fail too, which must not
    hide the StorageError that explains it."""
    try:
        f.close()
    except (OSError, RuntimeError):
        # the HDF5 library still holds the failed file: close every handle it has now, so that the
        # interpreter's exit does not try to flush it again (which crashes in libhdf5)
        h5py = _h5()
        try:
            for ident in h5py.h5f.get_obj_ids(types=h5py.h5f.OBJ_ALL):
                try:
                    while ident.valid:
                        ident._close()
                except (OSError, RuntimeError, ValueError):
                    pass
        except (OSError, RuntimeError, ValueError):
            pass


def done_mask(f, samples: int) -> np.ndarray:
    """Boolean array over ``samples``: True where the row is finished (and, in a truncated file, complete)."""
    status = f["status"][()]
    out = np.zeros(samples, dtype=bool)
    m = min(samples, len(status))
    out[:m] = status[:m] >= 0
    return out & complete_rows(f, samples)


def rewrite_for_resume(path: Path) -> Tuple[Layout, np.ndarray]:
    """Copy the finished rows of ``path`` into a fresh file that atomically replaces it.

    Returns the layout and the done mask. A file that fails the checks is never touched.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".resume-tmp")
    with open_read(path, partial=True) as src:
        layout = layout_of(src)
        samples = int(layout.attrs["samples"])
        done = done_mask(src, samples)
        if tmp.exists():
            tmp.unlink()
        dst = create(tmp, layout)
        try:
            n = min(src["status"].shape[0], samples)
            step = 4096
            for a in range(0, n, step):
                b = min(n, a + step)
                keep = done[a:b]
                if not keep.any():
                    continue
                for name in _ROW_DATASETS:
                    if dst[name].shape[0] < b:
                        dst[name].resize(b, axis=0)
                    block = src[name][a:b]
                    if name == "status":
                        block = np.where(keep, block, -1).astype(np.int8)
                    dst[name][a:b] = block
            dst.flush()
        finally:
            dst.close()
    os.replace(tmp, path)
    return layout, done


def open_append(path: Path):
    """Open a cleanly closed results file for appending, in SWMR-write mode."""
    h5py = _h5()
    f = h5py.File(path, "r+", libver="latest")
    f.swmr_mode = True
    return f


def summary(path) -> Dict[str, object]:
    """Counts of a results file: samples, done, ok, failed, spec_name, seed."""
    with open_read(path, partial=True) as f:
        samples = int(f.attrs["samples"])
        status = f["status"][()][:samples]
        complete = complete_rows(f, len(status))
        done = int(((status >= 0) & complete).sum())
        ok = int(((status == 0) & complete).sum())
        return {"samples": samples, "done": done, "ok": ok, "failed": done - ok,
                "spec_name": str(f.attrs["spec_name"]), "seed": int(f.attrs["seed"])}


def json_list(values) -> str:
    return json.dumps(list(values))


def read_json_list(f, key: str) -> list:
    return json.loads(f.attrs[key]) if key in f.attrs else []


def maybe_str(v: Optional[object]) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def read_json_list_attrs(attrs, key: str) -> list:
    return json.loads(attrs[key]) if key in attrs else []


def first_errors(path, limit: int = 3) -> list:
    """Up to ``limit`` (sample, status code, error text) of failed samples, in sample order, one per
    distinct error text (the sample index that a builder's or evaluator's error starts with ignored)."""
    out, seen = [], set()
    with open_read(path) as f:
        samples = int(f.attrs["samples"])
        status = f["status"][()][:samples]
        bad = np.flatnonzero(status > 0)
        if bad.size == 0:
            return out
        errors = f["error"][()]
        for k in bad.tolist():
            text = errors[k].decode("utf-8", "replace")
            key = text.split(": ", 1)[1] if text.startswith(f"sample {k}: ") else text
            if key not in seen:
                seen.add(key)
                out.append((k, int(status[k]), text))
                if len(out) == limit:
                    break
    return out
