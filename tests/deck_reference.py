"""The reference for the deck tests: what ``ngspice -b`` itself writes and prints for a deck in tests/decks/.

A deck with its own ``.control`` block writes ``ref.raw`` itself; a deck without one is run with
``ngspice -b -r ref.raw`` for its vectors and once more without ``-r`` for its ``.meas`` results
(ngspice 39 refuses ``.meas`` in batch mode when ``-r`` is set). Nothing of circuitlab runs here but the
raw-file reader (tested on golden files in test_rawfile.py) and the vector-name spelling.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from circuitlab.sim import read_raw
from circuitlab.sim.result import make_plot, plot_kind

DECKS = Path(__file__).parent / "decks"
_MEAS = re.compile(r"^\s*\.?meas(?:ure)?\s+\w+\s+([^\s=]+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Reference:
    plots: Tuple  # (kind, {name: array}) in the order ngspice wrote them
    measures: Dict[str, float]
    chosen: bool = False  # the deck's own `write` chose the vectors: the result may hold more


def deck_names() -> List[str]:
    return sorted(p.name for p in DECKS.glob("*.cir"))


def _run(deck: Path, tmp: Path, *args: str) -> str:
    proc = subprocess.run(["ngspice", "-b", *args, deck.name], cwd=tmp, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    return proc.stdout


def _measures(stdout: str, text: str) -> Dict[str, float]:
    names = {m.lower() for m in _MEAS.findall(text)}
    out, seen = {}, {}
    for name, value in re.findall(r"^(\S+)\s+=\s+(\S+)", stdout, re.MULTILINE):
        name = name.lower()
        if name in names:
            seen[name] = seen.get(name, 0) + 1
            out[name if seen[name] == 1 else f"{name}#{seen[name]}"] = float(value)
    return out


@lru_cache(maxsize=None)
def reference(name: str, tmp_root: str) -> Reference:
    deck = DECKS / name
    tmp = Path(tmp_root) / name
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copy(deck, tmp / deck.name)
    for extra in (*DECKS.glob("*.inc"), *DECKS.glob("*.lib")):  # files the decks include
        shutil.copy(extra, tmp / extra.name)
    text = deck.read_text()
    chosen = bool(re.search(r"^\s*\.control", text, re.IGNORECASE | re.MULTILINE))
    if chosen:
        stdout = _run(deck, tmp)
    else:
        _run(deck, tmp, "-r", "ref.raw")
        stdout = _run(deck, tmp)
    plots = []
    for p in read_raw(tmp / "ref.raw"):
        plot = make_plot(p.plotname, p.names, p.types, p.data, plot_kind(p.plotname))
        plots.append((plot.kind, plot.vectors))
    return Reference(tuple(plots), _measures(stdout, text), chosen)


def assert_same_plots(result, ref: Reference, rtol: float = 1e-12) -> None:
    """Every plot of the reference equals the result's plot of the same kind and rank, vector by vector
    (relative to the largest magnitude of each vector), and the result has no other plot; without a
    control block choosing what to write, no other vector either."""
    assert len(result.plots) == len(ref.plots), ([p.name for p in result.plots], [k for k, _ in ref.plots])
    rank: Dict[str, int] = {}
    for kind, vectors in ref.plots:
        rank[kind] = rank.get(kind, 0) + 1
        plot = result.plot(f"{kind}{rank[kind]}")
        if ref.chosen:
            assert set(vectors) <= set(plot.vectors), (plot.name, sorted(plot.vectors), sorted(vectors))
        else:
            assert set(plot.vectors) == set(vectors), (plot.name, sorted(plot.vectors), sorted(vectors))
        for key, want in vectors.items():
            got = plot.vectors[key]
            if key == "frequency":  # `ngspice -b -r` writes an uninitialised imaginary part (1e151) there
                got, want = got.real, want.real
            scale = float(np.max(np.abs(want))) if len(want) else 0.0
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale + 1e-300,
                                       err_msg=f"{plot.name} {key}")
