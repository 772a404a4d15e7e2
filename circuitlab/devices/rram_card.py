"""The Stanford-PKU RRAM card as a TOML file: one table per parameter (value, unit, status, source, doc,
``ci95`` for calibrated entries), written by ``circuitlab devices calibrate rram`` and read back, validated
by the registered 'rram' model (circuitlab/devices/models/rram.py)."""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

from ..errors import ConfigError
from . import get


def card_text(fitted: Dict[str, Tuple[float, Tuple[float, float]]], source: str,
              base: Optional[Dict[str, float]] = None, notes: Sequence[str] = (),
              base_raw: Optional[Dict[str, dict]] = None) -> str:
    """The Stanford-PKU card as TOML, one table per parameter (value, unit, status, source, doc; ``ci95``
    for the ``fitted`` ones: name -> (value, (lo, hi))), the rest from ``base`` (default: the model's
    defaults; ``base_raw``: the tables of a card file, whose status, source and ci95 are kept). Read back
    by :func:`rram_card`; validated by the registered 'rram' model before it is written."""
    model = get("rram")
    values = dict(model.card(base or {}))
    values.update({k: v for k, (v, _) in fitted.items()})
    values = model.card(values)
    lines = ["# Stanford-PKU RRAM card calibrated to measurements (circuitlab devices calibrate rram)",
             *(f"# {n}" for n in notes), ""]
    for p in model.params:
        lines += [f"[{p.name}]", f"value = {float(values[p.name])!r}", f'unit = "{p.unit}"']
        old = (base_raw or {}).get(p.name, {})
        if p.name in fitted:
            lo, hi = fitted[p.name][1]
            lines += ['status = "calibrated"', f"ci95 = [{float(lo)!r}, {float(hi)!r}]", f'source = "{_esc(source)}"']
        elif old.get("status") == "calibrated":
            lines += ['status = "calibrated"']
            if "ci95" in old:
                lines.append(f"ci95 = [{float(old['ci95'][0])!r}, {float(old['ci95'][1])!r}]")
            lines.append(f'source = "{_esc(str(old.get("source", "")))}"')
        else:
            lines += ['status = "card"', f'source = "{_esc(p.source)}"']
        lines += [f'doc = "{_esc(p.doc)}"', ""]
    return "\n".join(lines)


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def rram_card(path, raw: bool = False):
    """Parameter values of an RRAM card file (from :func:`card_text`), validated by the 'rram' model
    (``raw``: also the file's tables, for their status and source)."""
    import tomllib

    with open(path, "rb") as f:
        tables = tomllib.load(f)
    model = get("rram")
    for name, entry in tables.items():
        if not isinstance(entry, dict) or "value" not in entry:
            raise ConfigError(f"{path}: [{name}] needs a value (one table per parameter, as written by "
                              "'devices calibrate rram')")
    values = model.card({name: float(entry["value"]) for name, entry in tables.items()})
    return (values, tables) if raw else values


