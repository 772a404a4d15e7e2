"""Campaign specs: strict TOML (``tomllib``) parsed into frozen dataclasses.

Every table accepts only its documented keys; an unknown key, a wrong type or an out-of-range value
raises :class:`~circuitlab.errors.ConfigError` naming the key, the table and what is allowed. The
layout (see ``circuitlab/specs/rc_bsource.toml`` for a complete example)::

    name, seed, samples, builder | template | template_file | evaluator, timeout [s], batch_size, mode,
    stack_size
    card           a device card (TOML file, or a shipped card's name such as "vcmtj"): its values are
                   inlined as [device_card] and replace [parameters] of the same name (see :mod:`.cards`)
    [parameters]   nominal values (SI units) handed to the builder / template / evaluator
    [sweep]        axis = [values ...]: every sample runs at every point of the grid of all axes
    [[variation]]  params, distribution, sigma | half_width, type, scope, clip, pelgrom, enabled
    [[jitter]]     param, form, v1, v2, delay, rise, fall, width, period, count, sigma [s], enabled
    [record]       vectors, time = {start, stop, points}, measures, derived = {name = "expr"}
    [spec_limits]  name = {lower, upper}: acceptance window of a recorded scalar (see :mod:`.limits`)
    [design]       kind = mean_shift | mixture | scaled_sigma | points: corners and tail sampling in the
                   space of the variations' standard normal draws (see :mod:`.design`)

Names starting with ``mc_`` are reserved: every run's values also carry ``mc_sample`` (the sample
index k) and ``mc_seed`` (an integer seed of sample k, see :func:`.sampling.sample_seed`), for builders
that draw more than the parameter table holds (a whole conductance array).

``evaluator = "package.module:function"`` runs a Python function per run instead of a netlist (see
:mod:`.evaluate`; its values also carry ``mc_timeout`` = ``timeout``, which the engine cannot enforce
on Python code): it returns ``{measure: float}`` for exactly ``[record] measures``; such a spec has no
``[[jitter]]``, no recorded vectors and no ``stack_size``, and runs in mode 'python'.

Distributions (``z`` a standard normal draw; checked on 20,000 samples, see the README)::

    normal       relative: x0 * (1 + sigma * z)       absolute: x0 + sigma * z
    truncnormal  the same with z redrawn until |z| <= clip; sigma is the std BEFORE truncation: the
                 values' std is smaller (0.743 sigma at clip = 1.5, 0.987 sigma at clip = 3)
    uniform      relative: x0 * (1 + half_width * u)   absolute: x0 + half_width * u,  u in [-1, 1]
    lognormal    x0 * exp(-s2/2 + sqrt(s2) * z), s2 = log(1 + r**2), r = sigma (relative) or
                 sigma / |x0| (absolute): the MEAN stays at x0 (the median is x0 / sqrt(1 + r**2)) and
                 r is the relative std of the value
    pelgrom      x0 + avt / sqrt(width * length) * z for EACH listed instance (absolute, mismatch): two
                 matched instances differ by sqrt(2) times that; a foundry's A_VT usually describes the
                 difference of a pair, so divide it by sqrt(2) to get ``avt`` here

'process' draws one z per sample for all ``params``, 'mismatch' one z per parameter. A relative
variation scales the nominal value, so a parameter whose nominal is 0 stays 0 (a
:class:`~circuitlab.errors.ZeroNominalWarning` says so once per parameter when the spec is parsed).

Trust: a spec is code. Its ``builder`` and ``evaluator`` are Python functions imported by name
(importing runs the module; ``evaluator = "subprocess:run"`` runs a program), and a ``template`` goes to
ngspice, whose ``.control`` blocks (and ``*#`` lines) run commands such as ``shell``, and whose
``.include``/``.lib`` read other files. ``mc resume`` and ``mc rerun`` re-run the spec stored in a
results file, so a results file from someone else is as powerful as their spec. What is validated
whatever the source: every name that reaches netlist text or an import (``[record] vectors`` must be
``v(node)``, ``v(a,b)``, ``i(source)``, a plain node name or ``@device[param]`` with no whitespace;
parameter, sweep, jitter, measure and derived names are identifiers; ``module:function`` paths), every
number, and derived expressions, which are parsed against an allow-list of AST nodes and functions and
evaluated by circuitlab (never ``eval``), so they cannot run code. Safe mode (:mod:`.trust`, ``--safe``,
the default for ``mc resume``/``mc rerun`` of a file another user or host made) runs builders and
evaluators only from circuitlab or modules the user allows, and templates without ngspice commands or
includes from outside the spec's folder.
"""
from __future__ import annotations

import math
import numbers
import re
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from ..errors import ConfigError, ZeroNominalWarning
from .limits import SpecLimit, check_limit_names, parse_limits_table
from .names import check_line, check_vector

MODES = ("auto", "stacked", "batch", "single", "python")
DISTRIBUTIONS = ("normal", "lognormal", "uniform", "truncnormal")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")  # \Z, not $: a trailing newline must not pass

_TOP = ("name", "seed", "samples", "builder", "template", "template_file", "evaluator", "timeout", "batch_size",
        "mode", "stack_size", "parameters", "sweep", "variation", "jitter", "record", "spec_limits", "design", "card",
        "device_card")
_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*\Z", re.ASCII)
RESERVED_PREFIX = "mc_"
_VARIATION = ("params", "distribution", "sigma", "half_width", "type", "scope", "clip", "pelgrom", "enabled")
_PELGROM = ("avt", "width", "length")
_JITTER = ("param", "form", "v1", "v2", "delay", "rise", "fall", "width", "period", "count", "sigma", "enabled")
_RECORD = ("vectors", "time", "measures", "derived")
_TIME = ("start", "stop", "points")


@dataclass(frozen=True)
class Pelgrom:
    """Pelgrom mismatch: sigma = avt / sqrt(width * length); avt in V*m, width and length in m.

    ``width``/``length`` are numbers (m) or names of entries of ``[parameters]``.
    """
    avt: float
    width: Any
    length: Any


@dataclass(frozen=True)
class Variation:
    """A random deviation of one or more parameters.

    ``type`` 'relative' scales the nominal value (sigma is a fraction), 'absolute' adds to it (sigma in
    the parameter's unit). ``scope`` 'process' draws once per sample for all ``params``; 'mismatch' draws
    once per parameter (instance) per sample. ``clip`` (in sigmas) bounds truncnormal. ``enabled`` False
    keeps the parameters nominal while every other source draws exactly what it draws with it on (its
    stream index stays taken: common random numbers for one-source-at-a-time runs).
    """
    params: Tuple[str, ...]
    distribution: str
    sigma: Optional[float]
    half_width: Optional[float]
    type: str
    scope: str
    clip: float
    pelgrom: Optional[Pelgrom]
    enabled: bool = True


@dataclass(frozen=True)
class Jitter:
    """A pulse train whose edge times get independent normal offsets (sigma in s), as PWL or PULSE
    (``enabled`` False: offsets 0, as for a variation)."""
    param: str
    form: str
    v1: float
    v2: float
    delay: float
    rise: float
    fall: float
    width: float
    period: float
    count: int
    sigma: float
    enabled: bool = True


@dataclass(frozen=True)
class Record:
    """What every run keeps: vectors resampled on ``time`` = (start, stop, points), measures, derived."""
    vectors: Tuple[str, ...] = ()
    time: Optional[Tuple[float, float, int]] = None
    measures: Tuple[str, ...] = ()
    derived: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CampaignSpec:
    """A parsed campaign; ``text`` is the TOML it came from (stored in every results file).

    Exactly one of ``builder``, ``template`` and ``evaluator`` is set."""
    name: str
    seed: int
    samples: int
    builder: Optional[str]
    template: Optional[str]
    timeout: float
    batch_size: int
    mode: str
    stack_size: int
    parameters: Dict[str, float]
    sweep: Tuple[Tuple[str, Tuple[float, ...]], ...]
    variations: Tuple[Variation, ...]
    jitters: Tuple[Jitter, ...]
    record: Record
    evaluator: Optional[str] = None
    text: str = field(default="", repr=False)
    spec_limits: Tuple[SpecLimit, ...] = ()
    design: Optional[Any] = None     # a .design.Design, or None for plain Monte Carlo

    def with_samples(self, samples: int) -> "CampaignSpec":
        from dataclasses import replace
        _int(samples, "samples", "--samples", low=1)
        return replace(self, samples=int(samples))


# --- small strict readers ------------------------------------------------------------------------
def _keys(table: Mapping, allowed: Tuple[str, ...], where: str) -> None:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table, got {type(table).__name__}")
    for key in table:
        if key not in allowed:
            raise ConfigError(f"unknown key {key!r} in {where}; allowed keys: {', '.join(allowed)}")


def _number(v, key: str, where: str, *, positive=False, nonnegative=False) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
        raise ConfigError(f"{where}: {key}={v!r} must be a finite number")
    if positive and v <= 0:
        raise ConfigError(f"{where}: {key}={v!r} must be > 0")
    if nonnegative and v < 0:
        raise ConfigError(f"{where}: {key}={v!r} must be >= 0")
    return float(v)


def _bool(v, key: str, where: str) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{where}: {key}={v!r} must be true or false")
    return v


def _int(v, key: str, where: str, *, low: Optional[int] = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(f"{where}: {key}={v!r} must be an integer")
    if low is not None and v < low:
        raise ConfigError(f"{where}: {key}={v!r} must be >= {low}")
    return int(v)


def _str(v, key: str, where: str, choices: Optional[Tuple[str, ...]] = None) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ConfigError(f"{where}: {key}={v!r} must be a non-empty string")
    if choices is not None and v not in choices:
        raise ConfigError(f"{where}: {key}={v!r} must be one of {', '.join(choices)}")
    return v


def _ident(v, key: str, where: str) -> str:
    if not isinstance(v, str) or not _IDENT.match(v):
        key = key if key.isprintable() else repr(key)  # one line, whatever the key holds
        raise ConfigError(f"{where}: {key}={v!r} must be a name of letters, digits and '_' (not starting with a digit)")
    return v


def _length(v, key: str, where: str, parameters: Mapping[str, float]):
    if isinstance(v, str):
        if v not in parameters:
            raise ConfigError(f"{where}: {key}={v!r} names no entry of [parameters]; give a number in m or "
                              f"one of {', '.join(parameters) or '(none)'}")
        return v
    if isinstance(v, list):
        return tuple(_length(x, key, where, parameters) for x in v)
    return _number(v, key, where, positive=True)


# --- tables ----------------------------------------------------------------------------------
def _variation(t: Mapping, i: int, parameters: Mapping[str, float]) -> Variation:
    where = f"[[variation]] #{i + 1}"
    _keys(t, _VARIATION, where)
    if "params" not in t:
        raise ConfigError(f"{where}: 'params' is required (a list of names from [parameters])")
    params = t["params"]
    if isinstance(params, str):
        params = [params]
    if not isinstance(params, list) or not params:
        raise ConfigError(f"{where}: params={params!r} must be a non-empty list of parameter names")
    for p in params:
        _ident(p, "params", where)
        if p not in parameters:
            raise ConfigError(f"{where}: parameter {p!r} is not in [parameters]; add its nominal value there")
    dist = _str(t.get("distribution", "normal"), "distribution", where, DISTRIBUTIONS)
    kind = _str(t.get("type", "relative"), "type", where, ("relative", "absolute"))
    scope = _str(t.get("scope", "process"), "scope", where, ("process", "mismatch"))
    clip = _number(t.get("clip", 3.0), "clip", where, positive=True)
    pelgrom = None
    if "pelgrom" in t:
        pw = f"{where} pelgrom"
        _keys(t["pelgrom"], _PELGROM, pw)
        for k in _PELGROM:
            if k not in t["pelgrom"]:
                raise ConfigError(f"{pw}: {k!r} is required (sigma = avt / sqrt(width * length))")
        pelgrom = Pelgrom(_number(t["pelgrom"]["avt"], "avt", pw, positive=True),
                          _length(t["pelgrom"]["width"], "width", pw, parameters),
                          _length(t["pelgrom"]["length"], "length", pw, parameters))
        for dim in (pelgrom.width, pelgrom.length):
            if isinstance(dim, tuple) and len(dim) != len(params):
                raise ConfigError(f"{pw}: a list of widths/lengths needs one entry per parameter ({len(params)})")
        if kind != "absolute" or scope != "mismatch":
            raise ConfigError(f"{where}: pelgrom needs type = 'absolute' and scope = 'mismatch'")
        if "sigma" in t or "half_width" in t:
            raise ConfigError(f"{where}: give either pelgrom or sigma/half_width, not both")
        if dist not in ("normal", "truncnormal"):
            raise ConfigError(f"{where}: pelgrom works with distribution 'normal' or 'truncnormal'")
        sigma, half = None, None
    elif dist == "uniform":
        if "half_width" not in t or "sigma" in t:
            raise ConfigError(f"{where}: distribution 'uniform' takes half_width (not sigma)")
        sigma, half = None, _number(t["half_width"], "half_width", where, positive=True)
    else:
        if "sigma" not in t or "half_width" in t:
            raise ConfigError(f"{where}: distribution {dist!r} takes sigma (not half_width)")
        sigma, half = _number(t["sigma"], "sigma", where, positive=True), None
    if dist == "lognormal" and kind == "absolute":
        for p in params:
            if parameters[p] <= 0:
                raise ConfigError(f"{where}: lognormal needs a positive nominal value, {p}={parameters[p]!r}")
    return Variation(tuple(params), dist, sigma, half, kind, scope, clip, pelgrom, _bool(t.get("enabled", True),
                                                                                       "enabled", where))


def _jitter(t: Mapping, i: int) -> Jitter:
    where = f"[[jitter]] #{i + 1}"
    _keys(t, _JITTER, where)
    for k in ("param", "v1", "v2", "width", "period", "count", "sigma"):
        if k not in t:
            raise ConfigError(f"{where}: {k!r} is required")
    j = Jitter(_ident(t["param"], "param", where), _str(t.get("form", "pwl"), "form", where, ("pwl", "pulse")),
               _number(t["v1"], "v1", where), _number(t["v2"], "v2", where),
               _number(t.get("delay", 0.0), "delay", where, nonnegative=True),
               _number(t.get("rise", 1e-12), "rise", where, positive=True),
               _number(t.get("fall", 1e-12), "fall", where, positive=True),
               _number(t["width"], "width", where, positive=True), _number(t["period"], "period", where, positive=True),
               _int(t["count"], "count", where, low=1), _number(t["sigma"], "sigma", where, positive=True),
               _bool(t.get("enabled", True), "enabled", where))
    if j.rise + j.width + j.fall >= j.period:
        raise ConfigError(f"{where}: rise + width + fall must be < period")
    gap = min(j.width, j.period - j.rise - j.width - j.fall)
    if 8 * j.sigma >= gap or 4 * j.sigma >= j.delay:
        raise ConfigError(f"{where}: sigma={j.sigma!r} s is too large for the pulse (edges are clipped at 4 sigma "
                          f"and must not cross or go before t=0): keep sigma < {min(gap / 8, j.delay / 4):.3g} s "
                          f"(or raise delay)")
    return j


def _record(t: Mapping) -> Record:
    where = "[record]"
    _keys(t, _RECORD, where)
    vectors = t.get("vectors", [])
    measures = t.get("measures", [])
    for key, val in (("vectors", vectors), ("measures", measures)):
        if not isinstance(val, list) or not all(isinstance(x, str) and x.strip() for x in val):
            raise ConfigError(f"{where}: {key}={val!r} must be a list of names")
        if len(set(x.lower() for x in val)) != len(val):
            raise ConfigError(f"{where}: {key} lists a name twice")
    for m in measures:
        _ident(m, "measures", where)
    for v in vectors:
        check_vector(v, where)  # they are written into netlists: no newline, no cards
    time = None
    if "time" in t:
        _keys(t["time"], _TIME, f"{where} time")
        for k in _TIME:
            if k not in t["time"]:
                raise ConfigError(f"{where} time: {k!r} is required (start and stop in s, points)")
        start = _number(t["time"]["start"], "start", f"{where} time", nonnegative=True)
        stop = _number(t["time"]["stop"], "stop", f"{where} time", positive=True)
        points = _int(t["time"]["points"], "points", f"{where} time", low=2)
        if stop <= start:
            raise ConfigError(f"{where} time: stop={stop!r} must be > start={start!r}")
        time = (start, stop, points)
    if vectors and time is None:
        raise ConfigError(f"{where}: recording vectors needs time = {{start, stop, points}} (the common grid)")
    derived = t.get("derived", {})
    if not isinstance(derived, Mapping):
        raise ConfigError(f"{where}: derived must be a table of name = \"expression\"")
    for k, v in derived.items():
        _ident(k, "derived", where)
        _str(v, k, f"{where} derived")
    from .expr import check_expression
    for k, v in derived.items():
        check_expression(v, f"{where} derived {k}")
    return Record(tuple(vectors), time, tuple(measures), tuple(derived.items()))


def parse_spec(text: str, *, base: Optional[Path] = None) -> CampaignSpec:
    """Parse campaign TOML text strictly; ``base`` resolves a relative ``template_file``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"campaign spec is not valid TOML: {exc}")
    where = "campaign spec"
    _keys(data, _TOP, where)
    if "card" in data:
        from .cards import inline
        text, data = inline(text, data, base)
    for k in ("name", "seed", "samples"):
        if k not in data:
            raise ConfigError(f"{where}: {k!r} is required")
    sources = [k for k in ("builder", "template", "template_file", "evaluator") if k in data]
    if len(sources) != 1:
        raise ConfigError(f"{where}: give exactly one of builder = 'module:function', template, template_file or "
                          f"evaluator = 'module:function' (got {', '.join(sources) or 'none'})")
    builder = template = evaluator = None
    if "builder" in data:
        builder = _function(data["builder"], "builder", where)
    elif "evaluator" in data:
        evaluator = _function(data["evaluator"], "evaluator", where)
    elif "template" in data:
        template = _str(data["template"], "template", where)
    else:
        path = Path(_str(data["template_file"], "template_file", where))
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise ConfigError(f"{where}: template_file {str(path)!r} does not exist")
        template = _read_text(path, "template_file")
    parameters = data.get("parameters", {})
    _keys(parameters, tuple(parameters) if isinstance(parameters, Mapping) else (), "[parameters]")
    params = {_ident(k, k, "[parameters]"): _number(v, k, "[parameters]") for k, v in parameters.items()}
    if "device_card" in data:
        from .cards import card_parameters
        params.update(card_parameters(data))
    sweep = data.get("sweep", {})
    _keys(sweep, tuple(sweep) if isinstance(sweep, Mapping) else (), "[sweep]")
    axes = []
    for k, values in sweep.items():
        _ident(k, k, "[sweep]")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"[sweep]: {k}={values!r} must be a non-empty list of numbers")
        axes.append((k, tuple(_number(v, k, "[sweep]") for v in values)))
    variations = data.get("variation", [])
    jitters = data.get("jitter", [])
    for key, val in (("variation", variations), ("jitter", jitters)):
        if not isinstance(val, list):
            raise ConfigError(f"{where}: {key} must be an array of tables ([[{key}]])")
    spec = CampaignSpec(
        name=check_line(_str(data["name"], "name", where), "name", where),
        seed=_int(data["seed"], "seed", where, low=0),
        samples=_int(data["samples"], "samples", where, low=1), builder=builder, template=template,
        timeout=_number(data.get("timeout", 60.0), "timeout", where, positive=True),
        batch_size=_int(data.get("batch_size", 200), "batch_size", where, low=1),
        mode=_str(data.get("mode", "auto"), "mode", where, MODES),
        stack_size=_int(data.get("stack_size", 50), "stack_size", where, low=1),
        parameters=params, sweep=tuple(axes),
        variations=tuple(_variation(v, i, params) for i, v in enumerate(variations)),
        jitters=tuple(_jitter(j, i) for i, j in enumerate(jitters)),
        record=_record(data.get("record", {})), evaluator=evaluator, text=text,
        spec_limits=parse_limits_table(data.get("spec_limits", {})))
    if "design" in data:
        from dataclasses import replace
        from .design import parse_design
        spec = replace(spec, design=parse_design(data["design"], spec))
        if spec.design.kind == "points":   # one sample per point, after the nominal sample 0
            spec = replace(spec, samples=len(spec.design.points) + 1)
    check_limit_names(spec.spec_limits, [*spec.record.measures, *(n for n, _ in spec.record.derived)],
                      "[spec_limits]")
    _check_names(spec)
    _check_placeholders(spec)
    if evaluator is not None:
        _check_evaluator(spec, data)
    _warn_zero_nominal(spec)
    return spec


def _warn_zero_nominal(spec: CampaignSpec) -> None:
    """One ZeroNominalWarning per parameter whose nominal value is 0 under a relative variation (which
    scales the nominal value, so it stays 0 in every sample)."""
    seen: Dict[str, int] = {}
    for i, v in enumerate(spec.variations):
        if v.type == "relative":
            for p in v.params:
                if spec.parameters[p] == 0.0 and p not in seen:
                    seen[p] = i + 1
    for p, i in seen.items():
        warnings.warn(f"[[variation]] #{i}: parameter {p!r} has nominal value 0, so its relative variation "
                      f"(a fraction of the nominal value) leaves it at 0 in every sample; use type = 'absolute' "
                      f"with sigma in the parameter's unit, or a non-zero nominal", ZeroNominalWarning, stacklevel=3)


def _function(v, key: str, where: str) -> str:
    path = _str(v, key, where)
    if not _FUNCTION.match(path):
        raise ConfigError(f"{where}: {key}={path!r} must look like 'package.module:function'")
    return path


def _check_evaluator(spec: CampaignSpec, data: Mapping) -> None:
    """What an evaluator spec cannot have: netlist waveforms, recorded vectors, stacking."""
    where = f"campaign spec (evaluator {spec.evaluator!r})"
    if spec.jitters:
        raise ConfigError(f"{where}: [[jitter]] makes netlist waveforms, which an evaluator has no use for; draw "
                          f"the edges in the evaluator from mc_seed or use a builder")
    if spec.record.vectors or spec.record.time is not None:
        raise ConfigError(f"{where}: an evaluator records scalars only; remove [record] vectors and time and "
                          f"return the scalars you need as measures")
    if not spec.record.measures:
        raise ConfigError(f"{where}: [record] measures must name what the evaluator returns")
    if "stack_size" in data:
        raise ConfigError(f"{where}: stack_size applies to stacked netlists; remove it (tasks hold batch_size "
                          f"samples)")
    if spec.mode not in ("auto", "python"):
        raise ConfigError(f"{where}: mode={spec.mode!r}; an evaluator runs in mode 'python' (or 'auto')")


def _check_names(spec: CampaignSpec) -> None:
    for table, names in (("[parameters]", spec.parameters), ("[sweep]", [a for a, _ in spec.sweep]),
                         ("[[jitter]] param", [j.param for j in spec.jitters]),
                         ("[record] measures", spec.record.measures),
                         ("[record] derived", [n for n, _ in spec.record.derived])):
        for name in names:
            if name.lower().startswith(RESERVED_PREFIX):
                raise ConfigError(f"{table}: {name!r} starts with {RESERVED_PREFIX!r}, which is reserved for the "
                                  f"values the engine adds (mc_sample, mc_seed, mc_timeout); rename it")
    jit = [j.param for j in spec.jitters]
    for name in jit:
        if name in spec.parameters or jit.count(name) > 1:
            raise ConfigError(f"[[jitter]] param {name!r} is also a parameter or another jitter; use a new name")
    if spec.evaluator is None and spec.mode == "python":
        raise ConfigError("mode = 'python' runs an evaluator = 'module:function'; a builder or template runs in "
                          "'auto', 'stacked', 'batch' or 'single'")
    if spec.template is not None and spec.mode == "stacked":
        raise ConfigError("mode = 'stacked' needs a builder (a template cannot be stacked); use 'batch' or 'auto'")
    if not (spec.record.vectors or spec.record.measures or spec.record.derived):
        raise ConfigError("[record]: record at least one of vectors, measures or derived")


def _check_placeholders(spec: CampaignSpec) -> None:
    """A template's ``{name}`` placeholders against the run's values (see :mod:`.templates`)."""
    if spec.template is not None:
        from .templates import check_placeholders
        names = [*spec.parameters, *(a for a, _ in spec.sweep), *(j.param for j in spec.jitters), "mc_sample",
                 "mc_seed"]
        check_placeholders(spec.template, names)


def _read_text(path: Path, what: str) -> str:
    """A UTF-8 text file; ConfigError (one line) if it cannot be read or is binary / not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
                          f"give a UTF-8 text file") from None
    if "\0" in text:
        raise ConfigError(f"{what} {str(path)!r} is a binary file (it holds NUL bytes); give a UTF-8 text file")
    return text


def load_spec(path, card=None) -> CampaignSpec:
    """Read and parse a campaign TOML file (UTF-8 text); ``card``: a device card file that replaces the
    spec's own ``card = ...`` line, if any (``mc run --card``, see :mod:`.cards`)."""
    path = Path(path)
    text = _read_text(path, "campaign spec")
    if card is not None:
        from .cards import with_card
        text = with_card(text, card)
    return parse_spec(text, base=path.resolve().parent)
