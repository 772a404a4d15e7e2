"""Spec limits: the acceptance window of a recorded scalar, from a spec's ``[spec_limits]`` or the CLI.

In a spec (bounds in the scalar's SI unit; either may be left out for a one-sided limit)::

    [spec_limits]
    tdelay = { lower = 6.0e-8, upper = 8.0e-8 }   # s
    vmax = { lower = 0.95 }                        # V

On the command line: ``--limit tdelay:6e-8:8e-8`` or ``--limit vmax:0.95:`` (empty side = unbounded).
A limit names a ``[record]`` measure or derived scalar; in a swept campaign it applies at every point.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence, Tuple

from ..errors import ConfigError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class SpecLimit:
    """Lower and upper acceptance bounds of scalar ``name`` (None: unbounded on that side)."""
    name: str
    lower: Optional[float] = None
    upper: Optional[float] = None

    def __post_init__(self):
        if not _IDENT.match(self.name or ""):
            raise ConfigError(f"spec limit name {self.name!r} must be the name of a recorded measure or derived "
                              f"scalar (an identifier)")
        for side in ("lower", "upper"):
            v = getattr(self, side)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
                raise ConfigError(f"spec limit {self.name!r}: {side}={v!r} must be a finite number")
        if self.lower is None and self.upper is None:
            raise ConfigError(f"spec limit {self.name!r} has neither lower nor upper; give at least one")
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise ConfigError(f"spec limit {self.name!r}: lower={self.lower!r} must be < upper={self.upper!r}")

    def describe(self) -> str:
        lo = "-inf" if self.lower is None else f"{self.lower:g}"
        hi = "+inf" if self.upper is None else f"{self.upper:g}"
        return f"{lo} <= {self.name} <= {hi}"


def parse_limits_table(table: Mapping, where: str = "[spec_limits]") -> Tuple[SpecLimit, ...]:
    """``[spec_limits]`` of a spec: ``name = {lower = x, upper = y}`` entries (ConfigError otherwise)."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table of name = {{ lower = ..., upper = ... }}")
    out = []
    for name, entry in table.items():
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: {name} = {entry!r} must be a table {{ lower = ..., upper = ... }}")
        unknown = set(entry) - {"lower", "upper"}
        if unknown:
            raise ConfigError(f"unknown key {sorted(unknown)[0]!r} in {where} {name}; allowed keys: lower, upper")
        out.append(SpecLimit(str(name), _float(entry.get("lower"), name, "lower", where),
                             _float(entry.get("upper"), name, "upper", where)))
    return tuple(out)


def _float(v, name: str, side: str, where: str) -> Optional[float]:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{where}: {name}.{side} = {v!r} must be a number")
    return float(v)


def parse_limit_arg(text: str) -> SpecLimit:
    """``NAME:LOWER:UPPER`` from the command line; an empty bound is unbounded (``vmax:0.95:``)."""
    parts = text.split(":")
    if len(parts) != 3:
        raise ConfigError(f"--limit {text!r} must look like NAME:LOWER:UPPER (leave a side empty for a one-sided "
                          f"limit, e.g. vmax:0.95:)")
    bounds = []
    for side, value in zip(("lower", "upper"), parts[1:]):
        if not value.strip():
            bounds.append(None)
            continue
        try:
            bounds.append(float(value))
        except ValueError:
            raise ConfigError(f"--limit {text!r}: {side} bound {value!r} is not a number") from None
    return SpecLimit(parts[0], *bounds)


def check_limit_names(limits: Iterable[SpecLimit], scalars: Sequence[str], where: str) -> None:
    """ConfigError if a limit names no recorded scalar."""
    for lim in limits:
        if lim.name not in scalars:
            raise ConfigError(f"{where}: spec limit {lim.name!r} is not a recorded measure or derived scalar; "
                              f"recorded: {', '.join(scalars) or 'none'}")


def merge_limits(stored: Sequence[SpecLimit], given: Sequence[SpecLimit]) -> Tuple[SpecLimit, ...]:
    """The spec's limits with those given on the command line replacing any of the same name."""
    names = {lim.name for lim in given}
    return tuple([lim for lim in stored if lim.name not in names] + list(given))
