"""Checks of a campaign before any worker starts: the nominal circuit (sample 0) can be built, and
every ``[record]`` measure and vector names something that circuit has.

A builder that raises for the nominal values is a broken spec or builder, not a bad sample: it is a
:class:`~circuitlab.errors.ConfigError` naming the builder and the cause. A measure that no ``.meas``
statement of the nominal netlist defines, or a ``v(node)``/``i(element)`` whose node or element does
not appear in it, is a ConfigError too (otherwise every run would just record NaN). Names inside
subcircuits (``v(x1.n)``) are left to ngspice. Evaluator specs are checked by importing the function.
"""
from __future__ import annotations

import re
from typing import List

from ..errors import ConfigError
from .evaluate import load_evaluator
from .netlists import build_circuit, fill_template
from .sampling import draw_sample
from .spec import CampaignSpec

_MEAS = re.compile(r"^\s*\.meas(?:ure)?\s+\w+\s+([A-Za-z_][\w.]*)", re.IGNORECASE | re.MULTILINE)
_PROBE = re.compile(r"^\s*([vi])\s*\((.*)\)\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"[^\s(),=]+")


def nominal_netlists(spec: CampaignSpec) -> List[str]:
    """The netlist text of sample 0 (nominal values) at every sweep point; ConfigError if the builder
    raises (naming the builder, the exception type and its message)."""
    points = draw_sample(spec, 0).points
    if spec.builder is None:
        return [fill_template(spec.template, v) for v in points]
    texts = []
    for p, values in enumerate(points):
        try:
            texts.append(build_circuit(spec, values).to_text())
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the builder is reported as the spec's
            where = f" at sweep point {p}" if len(points) > 1 else ""
            raise ConfigError(f"the nominal circuit cannot be built{where}: builder {spec.builder!r} raised "
                              f"{type(exc).__name__}: {exc}; fix the builder or the spec's [parameters]") from None
    return texts


def check_campaign(spec: CampaignSpec) -> None:
    """Everything checkable before a campaign starts (see the module docstring); ConfigError if not."""
    if spec.evaluator is not None:
        load_evaluator(spec.evaluator)
        return
    for text in nominal_netlists(spec):
        check_record(spec, text)


def check_record(spec: CampaignSpec, text: str) -> None:
    """ConfigError if a ``[record]`` measure or vector names nothing in the nominal netlist ``text``."""
    source = f"builder {spec.builder!r}" if spec.builder is not None else "the template"
    defined = {m.lower() for m in _MEAS.findall(text)}
    missing = [m for m in spec.record.measures if m.lower() not in defined]
    if missing:
        raise ConfigError(f"[record] measures: {', '.join(repr(m) for m in missing)} is not a .meas of the nominal "
                          f"circuit ({source} defines {', '.join(sorted(defined)) or 'no measures'}); add the "
                          f".meas statement or remove the name from [record]")
    tokens = {t.lower() for line in text.splitlines()[1:] for t in _TOKEN.findall(line)}
    for vector in spec.record.vectors:
        bad = _unknown(vector, tokens)
        if bad:
            raise ConfigError(f"[record] vectors: {vector!r} names {bad}, which the nominal circuit ({source}) "
                              f"does not have; record a node as v(node) or a source current as i(vname)")


def _unknown(vector: str, tokens: set) -> str:
    m = _PROBE.match(vector)
    if m is None:
        return ""  # other vector forms are ngspice's business
    kind = "node" if m.group(1).lower() == "v" else "element"
    for arg in (a.strip().lower() for a in m.group(2).split(",")):
        if arg and arg != "0" and "." not in arg and arg not in tokens:
            return f"{kind} {arg!r}"
    return ""
