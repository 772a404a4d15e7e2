"""Event-camera classification tasks: three offline synthetic families and readers of real data sets.

Parallel to the seed's three data sets (dwmtj_p2m_snn_paper.txt, Table 1: NMNIST, CIFAR10-DVS,
DVS128-Gesture), nothing downloaded:

- ``nmnist-synth``: MNIST 5k digits (28x28) through the NMNIST saccade synthesiser on a 34x34 sensor
  (:func:`circuitlab.data.event_synth.images_to_events`), 10 classes.
- ``letters-synth``: 26 classes, each letter as a capital or a small glyph (half each, as EMNIST Letters
  merges the two cases), rendered from matplotlib's 12 fonts with rotation +-20 deg, scale 0.7-1.1 and shift
  +-10 %, same saccades and sensor. The hardest of the three families (confusions such as I/l/L, O/Q/D, C/G,
  U/V, P/R), in CIFAR10-DVS's place; ten clean capitals (:data:`LETTERS10`) and 26 capitals at the DDPM's
  +-10 deg both reached 100 % test accuracy (80-100 per class, full network), which leaves Table 1 nothing to show.
- ``gesture-synth``: procedural moving bright blobs on a 32x32 sensor over 500 ms, 11 motion classes
  parallel to DVS128-Gesture's 11 (clap, waves, arm rotations clockwise and anticlockwise, roll,
  drums, up/down, other), with random size, brightness, speed, phase, amplitude and position.

Real data at a local path: ``nmnist:PATH`` (a folder with one sub-folder per digit of NMNIST ``.bin``
files, e.g. NMNIST's ``Test``), ``cifar10-dvs:PATH`` (one sub-folder per class of AEDAT 2.0 files),
``gesture:PATH`` (AEDAT 3.1 recordings with their ``*_labels.csv``). :func:`load_events` picks by name.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from circuitlab.data.errors import DataError
from circuitlab.data.event_aedat import cut_segments, read_aedat2, read_aedat31, read_gesture_labels
from circuitlab.data.event_io import read_nmnist
from circuitlab.data.event_synth import SynthParams, contrast_events, images_to_events
from circuitlab.data.events import to_frames

__all__ = ["EventSet", "nmnist_synth", "letters_synth", "gesture_synth", "GESTURE_CLASSES", "LETTERS10",
           "LETTERS26", "letter_images",
           "EVENT_TASKS", "load_events", "load_nmnist_folder", "load_cifar10_dvs_folder", "load_gesture_folder"]

LETTERS10 = "ACEHKLMRUX"
LETTERS26 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GESTURE_CLASSES = ("clap", "wave-right", "wave-left", "right-cw", "right-ccw", "left-cw", "left-ccw", "roll",
                   "drums", "up-down", "other")


@dataclass(frozen=True)
class EventSet:
    """Event streams (one EVENT_DTYPE array per sample, sorted by t), labels (N,), class names, sensor size."""

    streams: tuple
    labels: np.ndarray
    classes: tuple
    width: int
    height: int
    name: str

    def __len__(self) -> int:
        return len(self.streams)

    def frames(self, n_frames: int, split_by: str = "number", pool: int = 1) -> np.ndarray:
        """Event-count frames (N, T, 2, H/pool, W/pool) float32 (SpikingJelly's fixed-frames binning),
        summed over ``pool`` x ``pool`` pixel blocks (e.g. 4 turns DVS128's 128x128 into 32x32)."""
        h, w = self.height // pool, self.width // pool
        out = np.zeros((len(self), n_frames, 2, h, w), dtype=np.float32)
        for i, ev in enumerate(self.streams):
            f = to_frames(ev, self.width, self.height, n_frames, split_by)
            if pool > 1:
                f = f[..., :h * pool, :w * pool].reshape(n_frames, 2, h, pool, w, pool).sum((3, 5))
            out[i] = f
        return out

    def subset(self, index) -> "EventSet":
        index = np.asarray(index)
        return EventSet(tuple(self.streams[i] for i in index), self.labels[index], self.classes, self.width,
                        self.height, self.name)


def _stratified(labels: np.ndarray, n_per_class: int, rng: np.random.Generator) -> np.ndarray:
    pick = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        pick.append(rng.choice(idx, size=min(n_per_class, idx.size), replace=False))
    return np.sort(np.concatenate(pick))


def nmnist_synth(n_per_class: int = 100, seed: int = 0, params: SynthParams | None = None) -> EventSet:
    """NMNIST-like streams of ``n_per_class`` MNIST 5k digits per class (chosen with ``seed``)."""
    from circuitlab.data.mnist import load_mnist5k
    ds = load_mnist5k()
    labels = ds.labels.numpy()
    idx = _stratified(labels, n_per_class, np.random.default_rng(seed))
    images = ds.images.numpy()[idx, 0]
    streams = images_to_events(images, seed=seed, params=params)
    return EventSet(tuple(streams), labels[idx], tuple(ds.classes), 34, 34, "nmnist-synth")


def letter_images(n_per_class: int, seed: int, letters: str = LETTERS26, both_cases: bool = True,
                  rotation_deg: float = 20.0, scale: tuple[float, float] = (0.7, 1.1),
                  shift: float = 0.10) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Grey 28x28 letter images (N, 28, 28), labels and class names for :func:`letters_synth`;
    ``both_cases``: per class, the first half (rounded up) capitals, the rest small letters."""
    from circuitlab.data.letters import render_letters
    n_up = -(-n_per_class // 2) if both_cases else n_per_class
    kw = dict(size=28, rotation_deg=rotation_deg, scale=scale, shift=shift)
    parts = [render_letters(letters.upper() if both_cases else letters, n_per_class=n_up, seed=seed, **kw)]
    if n_per_class > n_up:
        parts.append(render_letters(letters.lower(), n_per_class=n_per_class - n_up, seed=seed + 7919, **kw))
    return (np.concatenate([p.images.numpy()[:, 0] for p in parts]),
            np.concatenate([p.labels.numpy() for p in parts]), tuple(parts[0].classes))


def letters_synth(n_per_class: int = 100, seed: int = 0, params: SynthParams | None = None, **letter_kw) -> EventSet:
    """NMNIST-like streams of rendered letters (random face, rotation, scale, shift), one class per letter;
    ``letter_kw``: :func:`letter_images`'s options (letters, both_cases, rotation_deg, scale, shift)."""
    images, labels, classes = letter_images(n_per_class, seed, **letter_kw)
    streams = images_to_events(images, seed=seed + 1, params=params)
    return EventSet(tuple(streams), labels, classes, 34, 34, "letters-synth")


def _blob_paths(cls: int, t: np.ndarray, rng: np.random.Generator, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Centre paths (x(t), y(t)) in px of the blobs of one gesture-synth sample, ``t`` in s."""
    c = size / 2 + rng.uniform(-2, 2, 2)
    f = rng.uniform(1.6, 2.4)                        # Hz: about one cycle per 500 ms window ... two
    ph = rng.uniform(0, 2 * np.pi)
    a = size * rng.uniform(0.16, 0.22)               # amplitude / radius in px
    w = 2 * np.pi * f * t + ph
    side = size * 0.22
    if cls == 0:      # clap: two blobs meet and part horizontally
        d = a * (0.6 + 0.4 * np.cos(w))
        return [(c[0] - d, c[1] + 0 * t), (c[0] + d, c[1] + 0 * t)]
    if cls in (1, 2):  # wave on the right / left: horizontal swing
        x0 = c[0] + (side if cls == 1 else -side)
        return [(x0 + 0.6 * a * np.sin(w), c[1] - 0.3 * a + 0.25 * a * np.cos(2 * w))]
    if cls in (3, 4, 5, 6):  # circle on the right / left, clockwise (y grows downwards) or anticlockwise
        x0 = c[0] + (side if cls in (3, 4) else -side)
        s = 1.0 if cls in (3, 5) else -1.0
        return [(x0 + 0.7 * a * np.cos(s * w), c[1] + 0.7 * a * np.sin(s * w))]
    if cls == 7:      # roll: two blobs circling each other about the centre
        return [(c[0] + a * np.cos(w), c[1] + a * np.sin(w)), (c[0] - a * np.cos(w), c[1] - a * np.sin(w))]
    if cls == 8:      # drums: two blobs moving up and down in anti-phase
        return [(c[0] - side + 0 * t, c[1] + 0.7 * a * np.sin(w)), (c[0] + side + 0 * t, c[1] - 0.7 * a * np.sin(w))]
    if cls == 9:      # up-down: one blob swinging vertically at the centre
        return [(c[0] + 0 * t, c[1] + a * np.sin(w))]
    # other: a smooth random walk (sum of two random sinusoids per axis)
    k = rng.uniform(0.5, 2.0, 4)
    p = rng.uniform(0, 2 * np.pi, 4)
    return [(c[0] + 0.6 * a * (np.sin(2 * np.pi * k[0] * t + p[0]) + np.sin(2 * np.pi * k[1] * t + p[1])),
             c[1] + 0.6 * a * (np.sin(2 * np.pi * k[2] * t + p[2]) + np.sin(2 * np.pi * k[3] * t + p[3])))]


def gesture_synth(n_per_class: int = 50, seed: int = 0, params: SynthParams | None = None, size: int = 32,
                  duration_us: float = 500_000.0, batch: int = 64) -> EventSet:
    """Procedural gestures: Gaussian blobs (sd 1.5-2.5 px, peak 0.6-1.0) moving along the class's path on a
    dark scene; events from the same contrast model as the NMNIST synthesiser."""
    params = params or SynthParams()
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, duration_us + 0.5 * params.step_us, params.step_us)
    labels = np.repeat(np.arange(len(GESTURE_CLASSES)), n_per_class)
    rng.shuffle(labels)
    grid = np.arange(size, dtype=float)
    streams: list[np.ndarray] = []
    for start in range(0, labels.size, batch):
        chunk = labels[start:start + batch]
        paths = [_blob_paths(int(c), times * 1e-6, rng, size) for c in chunk]
        sd = rng.uniform(1.5, 2.5, chunk.size)
        peak = rng.uniform(0.6, 1.0, chunk.size)

        def render(k, paths=paths, sd=sd, peak=peak):
            out = np.zeros((len(paths), size, size))
            for i, blobs in enumerate(paths):
                for x, y in blobs:
                    gx = np.exp(-0.5 * ((grid - x[k]) / sd[i]) ** 2)
                    gy = np.exp(-0.5 * ((grid - y[k]) / sd[i]) ** 2)
                    out[i] += peak[i] * gy[:, None] * gx[None, :]
            return np.clip(out, 0.0, 1.0)

        streams.extend(contrast_events(render, times, chunk.size, size, size, params, rng))
    return EventSet(tuple(streams), labels, GESTURE_CLASSES, size, size, "gesture-synth")


def _folder_classes(root: Path, pattern: str, reader: Callable, n_per_class: int | None, seed: int,
                    what: str) -> tuple[list, list, tuple]:
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; {what} needs a folder with one sub-folder per class")
    classes = tuple(sorted(p.name for p in root.iterdir() if p.is_dir()))
    if not classes:
        raise DataError(f"{root}: no class sub-folders; {what} needs one sub-folder per class")
    rng = np.random.default_rng(seed)
    streams, labels = [], []
    for c, name in enumerate(classes):
        files = sorted((root / name).glob(pattern))
        if n_per_class is not None and len(files) > n_per_class:
            files = [files[i] for i in sorted(rng.choice(len(files), n_per_class, replace=False))]
        for f in files:
            ev = reader(f)
            streams.append(ev[np.argsort(ev["t"], kind="stable")])
            labels.append(c)
    if not streams:
        raise DataError(f"{root}: no {pattern} files in the class sub-folders")
    return streams, labels, classes


def load_nmnist_folder(root, n_per_class: int | None = None, seed: int = 0) -> EventSet:
    """NMNIST ``.bin`` files in one sub-folder per class (34x34 sensor)."""
    s, y, classes = _folder_classes(Path(root), "*.bin", read_nmnist, n_per_class, seed, "nmnist")
    return EventSet(tuple(s), np.array(y), classes, 34, 34, "nmnist")


def load_cifar10_dvs_folder(root, n_per_class: int | None = None, seed: int = 0) -> EventSet:
    """CIFAR10-DVS AEDAT 2.0 files in one sub-folder per class (128x128 DVS128)."""
    s, y, classes = _folder_classes(Path(root), "*.aedat", read_aedat2, n_per_class, seed, "cifar10-dvs")
    return EventSet(tuple(s), np.array(y), classes, 128, 128, "cifar10-dvs")


def load_gesture_folder(root, n_per_class: int | None = None, seed: int = 0) -> EventSet:
    """DVS128-Gesture: each ``X.aedat`` (AEDAT 3.1) cut by ``X_labels.csv`` into labelled samples (128x128)."""
    root = Path(root)
    files = sorted(root.glob("*.aedat")) if root.is_dir() else []
    if not files:
        raise DataError(f"{root}: no .aedat recordings; gesture needs DVS128-Gesture's folder with *.aedat and "
                        "*_labels.csv")
    streams, labels = [], []
    for f in files:
        lab = f.with_name(f.stem + "_labels.csv")
        if not lab.exists():
            raise DataError(f"{f}: its labels file {lab.name} is missing")
        for ev, c in cut_segments(read_aedat31(f), read_gesture_labels(lab)):
            streams.append(ev)
            labels.append(c)
    y = np.array(labels)
    keep = _stratified(y, n_per_class, np.random.default_rng(seed)) if n_per_class else np.arange(y.size)
    return EventSet(tuple(streams[i] for i in keep), y[keep], GESTURE_CLASSES, 128, 128, "gesture")


EVENT_TASKS = {"nmnist-synth": nmnist_synth, "letters-synth": letters_synth, "gesture-synth": gesture_synth}
_READERS = {"nmnist": load_nmnist_folder, "cifar10-dvs": load_cifar10_dvs_folder, "gesture": load_gesture_folder}


def load_events(spec: str, n_per_class: int | None = 100, seed: int = 0) -> EventSet:
    """A task by name (``nmnist-synth``, ``letters-synth``, ``gesture-synth``) or ``KIND:PATH`` for real
    data (``nmnist:``, ``cifar10-dvs:``, ``gesture:``)."""
    if spec in EVENT_TASKS:
        return EVENT_TASKS[spec](n_per_class=n_per_class or 100, seed=seed)
    kind, sep, path = spec.partition(":")
    if sep and kind in _READERS:
        return _READERS[kind](path, n_per_class=n_per_class, seed=seed)
    raise DataError(f"event data {spec!r}: use one of {', '.join(EVENT_TASKS)} or KIND:PATH with KIND in "
                    f"{', '.join(_READERS)}")
