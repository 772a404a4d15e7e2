"""Trust: a campaign spec, and a results file that stores one, runs code; safe mode runs only known code.

What runs: a spec's ``builder`` and ``evaluator`` are Python functions imported by name (importing a
module runs it; ``evaluator = "subprocess:run"`` would run a program), and a ``template`` is handed to
ngspice, whose ``.control`` blocks, ``*#`` lines and ``*ng_script`` files run ngspice commands (in
ngspice 39: ``shell`` runs a command; ``edit``, ``gnuplot``, ``aspice`` and ``rspice`` start programs;
``codemodel`` and ``osdi`` load shared libraries; ``source``, ``load``, ``cd``, ``write`` and ``wrdata``
read and write files anywhere) and whose ``.include``/``.lib`` read other files (which may hold such
blocks). Outside those blocks a netlist card runs nothing (ngspice 39 has no ``.exec`` card: it is an
error). ``mc resume`` and ``mc rerun`` run
the spec stored in the results file, so a colleague's ``.h5`` is as powerful as their spec.

Safe mode (:class:`Trust` with ``safe=True``, ``--safe`` on the command line) refuses, before anything is
imported or run, with :class:`~circuitlab.errors.UntrustedSpecError`:

- a builder or evaluator from outside circuitlab (a module not under ``circuitlab.``, or under
  ``circuitlab.cli``; a function that circuitlab only imports from elsewhere, e.g.
  ``circuitlab.x:run`` being ``subprocess.run``), unless its module is listed in ``allow_modules``
  (``--allow-module NAME``, or the comma-separated variable ``CIRCUITLAB_ALLOW_MODULES``; a name
  allows its submodules);
- a template with a ``.control``/``.endc`` line, a ``*#`` line or ``*ng_script``, or with an
  ``.include``/``.lib`` of a file outside the spec's folder (paths with ``..``, ``~`` or ``$`` are
  refused; included files inside the folder are checked the same way; a spec given as text, or stored
  in a results file from another host or user, has no folder, so safe mode refuses its includes).

New campaigns (``mc run``) trust their spec unless safe mode is asked for: the user chose the file.
``mc resume``/``mc rerun`` of a file made on another machine or by another user (its ``created_host``,
``created_user`` and ``created_uid`` attributes, or a file without them) run in safe mode unless the
user trusts it (``--trust``, ``Trust(safe=False)``).
"""
from __future__ import annotations

import getpass
import importlib
import os
import socket
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from ..errors import UntrustedSpecError, ZeroNominalWarning
from .spec import CampaignSpec

ALLOW_ENV = "CIRCUITLAB_ALLOW_MODULES"
_PROVENANCE = ("created_host", "created_user", "created_uid")
_MAX_INCLUDE_DEPTH = 8


@dataclass(frozen=True)
class Trust:
    """What a campaign may run. ``safe``: True refuses code from outside circuitlab and
    ``allow_modules``; False runs everything; None decides (new campaigns: trusted; resume and rerun:
    safe when the results file was made on another machine or by another user)."""
    safe: Optional[bool] = None
    allow_modules: Tuple[str, ...] = ()

    def allowed(self) -> Tuple[str, ...]:
        """``allow_modules`` and the modules named in ``CIRCUITLAB_ALLOW_MODULES``."""
        env = tuple(m.strip() for m in os.environ.get(ALLOW_ENV, "").split(",") if m.strip())
        return tuple(dict.fromkeys((*self.allow_modules, *env)))


# --- provenance ------------------------------------------------------------------------------------
def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container user)
        return ""


def provenance() -> Dict[str, object]:
    """Who makes a results file: root attributes ``created_host``, ``created_user``, ``created_uid``."""
    return {"created_host": socket.gethostname(), "created_user": _user(), "created_uid": os.getuid()}


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def foreign(attrs: Mapping[str, object]) -> Optional[str]:
    """None if the file was made here (same host, user and uid), else a phrase saying by whom."""
    if any(k not in attrs for k in _PROVENANCE):
        return "records no host or user (made by an older circuitlab or elsewhere)"
    mine = provenance()
    host, user, uid = (_text(attrs[k]) for k in _PROVENANCE)
    if (host, user, uid) == (mine["created_host"], mine["created_user"], str(mine["created_uid"])):
        return None
    return f"was made on host {host!r} by user {user or '?'!r} (uid {uid})"


# --- checks ------------------------------------------------------------------------------------
def _within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _shipped(module: str) -> bool:
    return _within(module, ("circuitlab",)) and not _within(module, ("circuitlab.cli",))


def _refuse(what: str, why: str, fix: str, module: str = "") -> UntrustedSpecError:
    exc = UntrustedSpecError(f"safe mode refused {what}: {why}; {fix}")
    exc.refused, exc.module = f"{what}: {why}", module
    return exc


def check_function(path: str, role: str, allow: Tuple[str, ...]) -> None:
    """Refuse ``module:function`` unless it comes from circuitlab or an allowed module (checked by name
    before the module is imported, then by the module that defines the function)."""
    module, _, name = path.partition(":")
    fix = f"if you trust it, pass --allow-module {module} (or add it to {ALLOW_ENV}) or leave safe mode"
    if not (_shipped(module) or _within(module, allow)):
        raise _refuse(f"{role} {path!r}", f"module {module!r} is not part of circuitlab, and the {role} would "
                                           f"run as Python code with your rights", fix, module)
    if name.startswith("_"):
        raise _refuse(f"{role} {path!r}", "it names a private function", fix)
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return  # the campaign reports it as it always has (a ConfigError naming the fix)
    home = getattr(obj, "__module__", None) or ""
    if not (_shipped(home) or _within(home, allow)):
        raise _refuse(f"{role} {path!r}", f"it is {home or 'a built-in'}.{getattr(obj, '__qualname__', name)}, "
                                           f"which circuitlab only imports", fix)


def _include_path(line: str) -> Optional[str]:
    """The file an ``.include``/``.inc``/``.lib`` card reads (ngspice takes any card starting so), quoted
    or not."""
    card, _, rest = line.partition(" ")
    rest = rest.strip()
    if not card.lower().startswith((".inc", ".lib")) or not rest:
        return None
    if rest[0] in "\"'" and rest.find(rest[0], 1) > 0:
        return rest[1:rest.find(rest[0], 1)]
    return rest.split()[0].strip("\"'")


def _logical_lines(text: str):
    """The template's lines with ``+`` continuation lines joined, as ngspice reads them."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("+") and lines:
            lines[-1] += " " + line[1:].strip()
        else:
            lines.append(line)
    return lines


def check_template(text: str, base: Optional[Path], where: str = "template", depth: int = 0,
                   here: Optional[Path] = None) -> None:
    """Refuse netlist text that runs ngspice commands or reads files outside ``base`` (the spec's
    folder; None: no include is allowed). ``here``: the folder relative includes start from (that of an
    included file, as ngspice reads them; default ``base``)."""
    fix = "remove it, or leave safe mode if you trust the spec"
    for line in _logical_lines(text):
        low = line.lower()
        if low.startswith((".control", ".endc")):
            raise _refuse(f"the {where}", f"it has a {line.split()[0]!r} block, whose ngspice commands can run "
                                          f"programs (shell)", fix)
        if low.startswith("*#") or low.startswith("*ng_script"):
            raise _refuse(f"the {where}", f"its line {line[:40]!r} makes ngspice run commands", fix)
        target = _include_path(line)
        if target is not None:
            _check_include(target, line, base, here, where, depth)


def _check_include(target: str, line: str, base: Optional[Path], here: Optional[Path], where: str,
                   depth: int) -> None:
    what = f"{line.split()[0]} {target!r} in the {where}"
    fix = "copy the file into the spec's folder and include it from there, or leave safe mode if you trust the spec"
    if base is None:
        raise _refuse(what, "the spec has no folder to include from (it was given as text, or comes in a "
                            "results file from another host or user)", fix)
    if target.startswith("~") or "$" in target or ".." in Path(target).parts:
        raise _refuse(what, "paths with '..', '~' or '$' can leave the spec's folder", fix)
    root = Path(base).resolve()
    path = (Path(target) if Path(target).is_absolute() else (here or root) / target).resolve()
    if not path.is_relative_to(root):
        raise _refuse(what, f"{str(path)!r} is outside the spec's folder {str(root)!r}", fix)
    if path.is_file():
        if depth >= _MAX_INCLUDE_DEPTH:
            raise _refuse(what, f"includes nest deeper than {_MAX_INCLUDE_DEPTH} levels", fix)
        check_template(path.read_text(errors="replace"), base, f"included file {path.name!r}", depth + 1,
                       path.parent)


def check_spec(spec: CampaignSpec, trust: Optional[Trust], base=None) -> None:
    """Raise UntrustedSpecError if ``trust`` is safe and the spec would run code it does not allow
    (see the module docstring); nothing happens otherwise. ``base``: the spec's folder (str or Path)."""
    if trust is None or not trust.safe:
        return
    allow = trust.allowed()
    for role, path in (("builder", spec.builder), ("evaluator", spec.evaluator)):
        if path is not None:
            check_function(path, role, allow)
    if spec.template is not None:
        check_template(spec.template, Path(base) if base else None)


def resolve(trust: Optional[Trust], attrs: Mapping[str, object]) -> Tuple[Trust, Optional[str]]:
    """The trust a resume or rerun of a results file with root ``attrs`` runs under, and why it is safe
    when it was not asked for (the file is foreign), else None."""
    trust = trust or Trust()
    if trust.safe is not None:
        return trust, None
    reason = foreign(attrs)
    return Trust(reason is not None, trust.allow_modules), reason


def check_file(path, trust: Optional[Trust]) -> None:
    """:func:`check_spec` for the spec stored in results file ``path`` (``mc resume``/``mc rerun``),
    safe by default when the file is foreign; the error then says whose file it is and how to opt in.
    Reads the file only (SchemaError if it is not a campaign file)."""
    from . import store
    from .spec import parse_spec
    with store.open_read(path, partial=True) as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
    base = store.maybe_str(attrs.get("spec_base", "")) or None
    with warnings.catch_warnings():  # the resume or rerun parses the spec again and warns then
        warnings.simplefilter("ignore", ZeroNominalWarning)
        spec = parse_spec(store.maybe_str(attrs["spec"]), base=Path(base) if base else None)
    effective, reason = resolve(trust, attrs)
    if foreign(attrs) is not None:
        base = None  # the folder a file from elsewhere names is not one this machine can vouch for
    try:
        if effective.safe and base is None and "template_file" in tomllib.loads(spec.text):
            raise _refuse(f"template_file {tomllib.loads(spec.text)['template_file']!r}",
                          "it is read again from this machine, at a path the file names",
                          "run the spec file itself (mc run --safe SPEC.toml), or pass --trust if you trust the "
                          "results file")
        check_spec(spec, effective, base)
    except UntrustedSpecError as exc:
        if reason is None:
            raise
        raise UntrustedSpecError(f"results file {str(path)!r} {reason}, so its spec runs in safe mode, which "
                                 f"refused {exc.refused}; if you trust the file, pass --trust (Python: "
                                 f"trust=Trust(safe=False))"
                                 + (f", or --allow-module {exc.module} to allow that module only" if exc.module
                                    else "")) from None
