"""Resumable experiments: each finished unit of work (one trained network, one seed's run) is kept as a small
JSON file, so a killed or interrupted evaluation starts again where it stopped.

Full-size evaluations on a CPU take hours (a ResNet-20 table 1.8 h, an SNN Table 1 with 3 seeds x 5 networks
longer); a machine that is reclaimed, a session that ends or a Ctrl-C must not throw the finished networks
away. ``Cells(folder, fingerprint)`` stores ``folder/cells/<key>.json``, written atomically (temporary file,
then rename), beside ``folder/cells/fingerprint.json``: the settings that produced them (everything that
changes a result: the experiment's configuration, the circuitlab version, the SHA-256 of the model files
read). A folder whose fingerprint differs is refused with a typed error rather than mixed with new results.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Optional

from ..errors import ConfigError

__all__ = ["Cells", "fingerprint_of"]


def fingerprint_of(settings: dict, model_names=()) -> dict:
    """The fingerprint of an experiment: ``settings`` (JSON-able; the device and thread count excluded by the
    caller: they do not change what is computed beyond rounding), the circuitlab version and the SHA-256 of
    each model file named (built-in name or path)."""
    from .. import __version__
    from ..export.modelfile import file_sha256, resolve_model_path

    models = {str(n): file_sha256(resolve_model_path(n)) for n in model_names}
    return json.loads(json.dumps({"settings": settings, "circuitlab": __version__, "models": models},
                                 sort_keys=True, default=str))


class Cells:
    """Finished units of one experiment in ``folder/cells``. ``resume``: True continues (cells of other
    settings are refused), False starts afresh (old cells are removed), "matching" continues when the
    settings match and starts afresh otherwise (a pipeline stage whose inputs changed). ``get(key)`` returns
    a stored dict or None; ``put(key, value)`` stores one atomically; ``run(key, compute)`` does both."""

    def __init__(self, folder, fingerprint: dict, *, resume=True):
        if resume not in (True, False, "matching"):
            raise ConfigError(f"resume={resume!r}: use True, False or 'matching'")
        self.dir = Path(folder) / "cells"
        self.fingerprint = fingerprint
        self.dir.mkdir(parents=True, exist_ok=True)
        fp_file = self.dir / "fingerprint.json"
        if fp_file.exists() and resume:
            try:
                old = json.loads(fp_file.read_text())
            except (OSError, ValueError) as e:
                if resume != "matching":
                    raise ConfigError(f"{fp_file}: unreadable ({e}); --fresh (or delete {self.dir}) to start "
                                      "afresh") from None
                old = None
            if old != fingerprint and resume == "matching":
                resume = False
            elif old != fingerprint:
                changed = sorted(_differences(old, fingerprint))
                raise ConfigError(f"{self.dir} holds results of other settings (differing: "
                                  f"{', '.join(changed[:6]) or 'format'}); give a new --out folder, or --fresh to "
                                  "discard them")
        if fp_file.exists() and resume is False:
            for f in [*self.dir.glob("*.json"), *self.dir.glob("*.pt")]:
                f.unlink()
        _atomic_write(fp_file, fingerprint)
        self.reused = 0

    def _path(self, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
        return self.dir / f"{safe}.json"

    def get(self, key: str) -> Optional[dict]:
        p = self._path(key)
        if not p.exists():
            return None
        try:
            value = json.loads(p.read_text())
        except (OSError, ValueError):
            return None                      # a cell cut short by a full disk: computed again
        self.reused += 1
        return value

    def put(self, key: str, value: dict) -> None:
        _atomic_write(self._path(key), value)

    def put_tensors(self, key: str, obj: dict) -> None:
        """Store tensors that belong to ``key`` (trained weights, sample images) beside it, atomically; call
        before :meth:`put`, whose JSON file marks the unit finished."""
        import torch

        path = self._path(key).with_suffix(".pt")
        tmp = path.with_name(path.name + ".tmp")
        torch.save(obj, tmp)
        os.replace(tmp, path)

    def get_tensors(self, key: str) -> Optional[dict]:
        """The tensors stored for ``key``, or None (missing or unreadable)."""
        import torch

        path = self._path(key).with_suffix(".pt")
        try:
            return torch.load(path, map_location="cpu", weights_only=True) if path.exists() else None
        except Exception:                    # noqa: BLE001 - a file cut short: computed again
            return None

    def run(self, key: str, compute: Callable[[], dict]) -> dict:
        """The stored value of ``key``, or ``compute()`` stored."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value


def _atomic_write(path: Path, value) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=1, sort_keys=True, default=str))
    os.replace(tmp, path)


def _differences(a, b, prefix: str = "") -> set:
    if isinstance(a, dict) and isinstance(b, dict):
        out = set()
        for k in set(a) | set(b):
            out |= _differences(a.get(k), b.get(k), f"{prefix}{k}.")
        return out
    return set() if a == b else {prefix.rstrip(".")}
