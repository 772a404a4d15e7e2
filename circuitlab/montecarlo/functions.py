"""Importing the user functions a spec names (``builder``/``evaluator = "package.module:function"``).

Importing runs the module's code: a spec that names a function runs code (see the README's trust notes).
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from ..errors import ConfigError


@lru_cache(maxsize=32)
def import_function(path: str, role: str = "builder", returns: str = "a circuitlab Circuit"):
    """Import ``package.module:function`` (a spec's ``role``); ConfigError naming the fix if it cannot."""
    module, _, func = path.partition(":")
    try:
        obj = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{role} {path!r} cannot be imported ({exc}); give 'package.module:function' of a "
                          f"function returning {returns}")
    if not callable(obj):
        raise ConfigError(f"{role} {path!r} is not callable")
    return obj
