"""Reading ngspice's text output: measure results, and which typed error a failed run deserves.

ngspice reports most failures as text while often exiting 0 (failed ``.meas``) or 1 (everything
else), so the class of a failure is decided from stdout/stderr. Harmless notes ("Note: ...",
"Using SPARSE ...", singular-matrix warnings that gmin stepping recovered from) are never errors.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from ..errors import (ConvergenceError, EmptyResultError, NetlistError, SimulationError,
                      SimulatorCrashError)

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_MEAS_CARD = re.compile(r"^\s*\.meas(?:ure)?\s+(\w+)\s+([^\s=]+)", re.IGNORECASE)

_CONVERGENCE = (
    "timestep too small", "singular matrix", "gmin stepping failed", "source stepping failed",
    "dc solution failed", "no convergence", "transient op failed", "iteration limit reached",
)
_PARSE = (
    "error on line", "netlist line no.", "unknown subckt", "could not find a valid modelname",
    "circuit not parsed", "there aren't any circuits loaded", "expression err", "cannot compute substitute",
    "unknown device type", "no such vector", "syntax error", "unknown parameter", "too few parameters",
    "not enough nodes", "unable to find definition of model", "unknown model type", "fatal error",
    "can't find model", "undefined", "bad syntax", "unknown subcircuit", "unrecognized",
)
_HARMLESS_PREFIXES = ("note:", "circuit:", "using sparse", "warning:", "trying gmin", "reference value", "binary raw file",
                      "ascii raw file", "no compatibility mode", "this operation is not defined for display type")


def measure_names(netlist_text: str) -> List[str]:
    """Names of the ``.meas`` statements of a netlist, in order (lower case)."""
    names = []
    for line in netlist_text.splitlines():
        m = _MEAS_CARD.match(line)
        if m:
            names.append(m.group(2).lower())
    return names


_RESULT_LINE = re.compile(rf"^\s*([^\s=]+)\s*=\s*({_NUMBER})", re.MULTILINE)


def measure_key(name: str, occurrence: int) -> str:
    """The result key of the ``occurrence``-th (1-based) printed result named ``name``: ``name``, then
    ``name#2``, ``name#3``: repeated ``.meas`` names and analyses run in loops keep every value, in order."""
    return name if occurrence == 1 else f"{name}#{occurrence}"


_FAILED_LINE = re.compile(r"^\s*(\.?meas(?:ure)?\s+\w+\s+([^\s=]+).*?)\s*failed!\s*$", re.IGNORECASE | re.MULTILINE)


def _normal(card: str) -> str:
    return " ".join(card.lower().lstrip(".").replace(" =", "=").replace("= ", "=").split())


def measure_cards(netlist_text: str) -> List[str]:
    """The ``.meas`` statements of a netlist, normalised (lower case, single spaces), in order."""
    return [_normal(line) for line in netlist_text.splitlines() if _MEAS_CARD.match(line)]


def parse_measures(stdout: str, names: List[str], cards: Optional[List[str]] = None
                   ) -> Tuple[Dict[str, float], List[str]]:
    """Pick ``name = value`` results for the expected measures (one pass over stdout, so thousands of
    stacked measures cost no more than one); return (values, failed keys).

    The k-th statement named ``name`` is keyed :func:`measure_key` (``name``, ``name#2``, ...). ngspice
    prints a failed statement (``... failed!``) before the results; given the statements (``cards``, see
    :func:`measure_cards`), a failed one keeps its key and the printed values go to the others. Where
    analyses run in loops (more values printed than statements), values are keyed in printed order.
    """
    expected: Dict[str, int] = {}
    for n in names:
        expected[n] = expected.get(n, 0) + 1
    failed_at: Dict[str, set] = {}
    if cards:
        occurrence: Dict[str, int] = {}
        index = {}
        for card in cards:
            name = card.split()[2] if len(card.split()) > 2 else ""
            occurrence[name] = occurrence.get(name, 0) + 1
            index.setdefault(card, (name, occurrence[name]))
        for m in _FAILED_LINE.finditer(stdout):
            hit = index.get(_normal(m.group(1)))
            if hit is not None:
                failed_at.setdefault(hit[0], set()).add(hit[1])
    printed: Dict[str, List[float]] = {}
    for name, number in _RESULT_LINE.findall(stdout):
        key = name.lower()
        if key in expected:
            printed.setdefault(key, []).append(float(number))
    values: Dict[str, float] = {}
    failed: List[str] = []
    for n, count in expected.items():
        got, bad = printed.get(n, []), failed_at.get(n, set())
        slots = [k for k in range(1, count + 1) if k not in bad]
        if len(got) != len(slots):  # loops, or failures not matched to a statement: printed order
            slots = list(range(1, len(got) + 1))
            bad = set(range(len(got) + 1, count + 1)) | {k for k in bad if k > len(got)}
        values.update((measure_key(n, k), v) for k, v in zip(slots, got))
        failed += [measure_key(n, k) for k in sorted(bad)]
    return values, failed


def _find_line(netlist_text: str, line_number: Optional[int], card: Optional[str]) -> Tuple[Optional[int], Optional[str]]:
    lines = netlist_text.splitlines()
    if card:
        wanted = " ".join(card.lower().split())
        for i, line in enumerate(lines, start=1):
            if " ".join(line.lower().split()) == wanted:
                return i, line
        for i, line in enumerate(lines, start=1):
            norm = " ".join(line.lower().split())
            if norm and (norm.startswith(wanted) or wanted.startswith(norm)) and len(norm) > 2:
                return i, line
    if line_number is not None and 1 <= line_number <= len(lines):
        return line_number, lines[line_number - 1]
    return line_number, card


def _netlist_error(text: str, netlist_text: str) -> Tuple[Optional[int], Optional[str]]:
    lines = text.splitlines()
    number, card = None, None
    for i, line in enumerate(lines):
        low = line.lower()
        m = re.search(r"(?:error on line|netlist line no\.)\s*(\d+)", low)
        if m and number is None:
            number = int(m.group(1))
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if nxt and not nxt.lower().startswith(("error", "netlist", "simulation")) and not nxt.endswith(":"):
                card = nxt
        m = re.search(r"unknown subckt:\s*(.+)$", line, re.IGNORECASE)
        if m and card is None:
            card = m.group(1).strip()
    return _find_line(netlist_text, number, card)


def error_lines(text: str) -> List[str]:
    """Lines of ngspice output that report a problem (harmless notes removed)."""
    out = []
    for line in text.splitlines():
        low = line.strip().lower()
        if not low or low.startswith(_HARMLESS_PREFIXES):
            continue
        if "error" in low or "failed" in low or "aborted" in low or any(k in low for k in _CONVERGENCE + _PARSE):
            out.append(line.strip())
    return out


def classify_failure(returncode: int, stdout: str, stderr: str, netlist_text: str, *, had_data: bool,
                     crashed: bool = False, asks_for_data: Optional[bool] = None,
                     **context) -> Optional[SimulationError]:
    """The typed error a run deserves, or None if it succeeded (measures are checked separately).

    ``crashed``: ngspice died from a signal (a :class:`SimulatorCrashError`, never a parse error).
    ``asks_for_data``: the deck asked for analyses; then no data at all is an :class:`EmptyResultError`
    unless ngspice named a failure."""
    text = stderr + "\n" + stdout
    low = text.lower()
    aborted = ("simulation(s) aborted" in low or "simulation interrupted" in low or returncode != 0
               or not had_data)
    if not aborted:
        return None
    summary = "; ".join(dict.fromkeys(error_lines(text))) or f"ngspice exited with code {returncode}"
    if len(summary) > 600:
        summary = summary[:600] + " ..."
    if crashed:
        return SimulatorCrashError(
            f"ngspice crashed ({summary}); this is a simulator fault, not a netlist error: simplify the deck "
            f"around the last command it ran, or report it to ngspice", stdout=stdout, stderr=stderr, **context)
    if any(k in low for k in _CONVERGENCE) and ("aborted" in low or "failed" in low or "too small" in low):
        return ConvergenceError(
            f"ngspice did not converge: {summary}. Check for floating nodes or source loops, add "
            f".options gmin/reltol, smooth sharp edges, or shorten the maximum step",
            stdout=stdout, stderr=stderr, **context)
    if any(k in low for k in _PARSE):
        number, line = _netlist_error(text, netlist_text)
        where = f" at netlist line {number}: {line.strip()!r}" if number and line else ""
        return NetlistError(f"ngspice could not parse the netlist{where}: {summary}", line_number=number,
                            line=line, stdout=stdout, stderr=stderr, **context)
    if not had_data and returncode == 0 and asks_for_data:
        return EmptyResultError(
            "ngspice produced no plot although the deck asks for analyses (a control block that never "
            "ran them, or destroyed them before the end); run them in the control block, or drop it",
            stdout=stdout, stderr=stderr, **context)
    if not had_data and returncode == 0:
        return SimulationError(
            "ngspice produced no data: the netlist has no analysis (.op/.dc/.tran/.ac) or none ran; "
            "add an analysis card", stdout=stdout, stderr=stderr, **context)
    return SimulationError(f"ngspice failed: {summary}", stdout=stdout, stderr=stderr, **context)
