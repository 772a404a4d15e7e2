"""Files that ship inside the package: campaign specs, the transistor card and the Verilog-A modules.

Everything circuitlab reads at run time lives under the ``circuitlab`` package and is declared as
package data in ``pyproject.toml``; it is found here with :mod:`importlib.resources`, never by a path
relative to the source tree, so an installed wheel works from any folder. The package is installed
as plain files (wheels unpack), so each lookup is a real :class:`pathlib.Path`.

- ``circuitlab/specs/*.toml``: the built-in Monte Carlo campaign specs (``circuitlab mc specs``).
- ``circuitlab/circuits/cards/ptm22hp.mod``: the PTM 22 nm HP transistor card of the P2M cell.
- ``circuitlab/circuits/cards/vcmtj.toml``: the VC-MTJ card, the one source of the MeRAM cell's
  parameters for the LLG engine, the SPICE/Verilog-A device and the Markov cell (:func:`vcmtj_card`).
- ``circuitlab/devices/va/*.va``: the generated Verilog-A modules (``circuitlab devices emit --write``).
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Dict, Union

from .errors import ConfigError

SPEC_SUFFIX = ".toml"


def package_path(*parts: str) -> Path:
    """The file or folder ``circuitlab/<parts...>`` of the installed package as a filesystem path."""
    node = files("circuitlab")
    for part in parts:
        node = node / part
    if not isinstance(node, Path):   # a zip import: circuitlab needs its data as plain files
        raise ConfigError(f"circuitlab/{'/'.join(parts)} is not a plain file ({node!r}); "
                          "install circuitlab from a wheel or a checkout, not as a zip archive")
    return node


def spec_dir() -> Path:
    """The folder of the built-in campaign specs."""
    return package_path("specs")


def builtin_specs() -> Dict[str, Path]:
    """Built-in campaign specs by name (file name without ``.toml``), sorted by name."""
    return {p.stem: p for p in sorted(spec_dir().glob(f"*{SPEC_SUFFIX}"))}


def builtin_spec(name: str) -> Path:
    """The path of built-in spec ``name`` (``rc_bsource`` or ``rc_bsource.toml``)."""
    stem = name[:-len(SPEC_SUFFIX)] if name.endswith(SPEC_SUFFIX) else name
    specs = builtin_specs()
    if stem not in specs:
        raise ConfigError(f"no built-in campaign spec {name!r}; built-in: {', '.join(specs)} "
                          "(`circuitlab mc specs` lists them)")
    return specs[stem]


def resolve_spec(arg: Union[str, Path]) -> Path:
    """A spec argument as a path: an existing file always wins; otherwise a built-in spec of that name.

    Raises :class:`~circuitlab.errors.ConfigError` naming both readings when neither exists."""
    path = Path(arg)
    if path.exists():
        return path
    name = str(arg)
    if "/" not in name and name.removesuffix(SPEC_SUFFIX) in builtin_specs():
        return builtin_spec(name)
    raise ConfigError(f"campaign spec {name!r}: no such file, and no built-in spec of that name; "
                      f"built-in: {', '.join(builtin_specs())} (`circuitlab mc specs` lists them)")


def card_path(name: str = "ptm22hp.mod") -> Path:
    """A shipped transistor model card (``circuitlab/circuits/cards/<name>``)."""
    return package_path("circuits", "cards", name)


VCMTJ_CARD_KEYS = ("value", "unit", "status", "range", "doc", "source")


def vcmtj_card(path: Union[str, Path, None] = None) -> Dict[str, dict]:
    """The VC-MTJ card: name -> {value, unit, status, range, doc, source} (SI units).

    ``path`` None: the shipped ``circuitlab/circuits/cards/vcmtj.toml`` (read once). Raises
    :class:`~circuitlab.errors.ConfigError` if an entry lacks a key or its value lies outside its range."""
    global _VCMTJ_CARD
    if path is None and _VCMTJ_CARD is not None:
        return {k: dict(v) for k, v in _VCMTJ_CARD.items()}
    import tomllib
    src = card_path("vcmtj.toml") if path is None else Path(path)
    with open(src, "rb") as f:
        card = tomllib.load(f)
    for name, entry in card.items():
        missing = [k for k in VCMTJ_CARD_KEYS if k not in entry]
        if missing:
            raise ConfigError(f"{src}: [{name}] lacks {', '.join(missing)}; give each entry {', '.join(VCMTJ_CARD_KEYS)}")
        lo, hi = entry["range"]
        if not lo <= entry["value"] <= hi:
            raise ConfigError(f"{src}: [{name}] value {entry['value']!r} lies outside its range [{lo!r}, {hi!r}]; "
                              "fix the value or the range")
    if path is None:
        _VCMTJ_CARD = card
    return {k: dict(v) for k, v in card.items()}


_VCMTJ_CARD = None


def veriloga_dir() -> Path:
    """The folder of the committed, generated Verilog-A modules."""
    return package_path("devices", "va")
