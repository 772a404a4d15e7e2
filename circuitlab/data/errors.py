"""Errors of :mod:`circuitlab.data`: a data file or folder that cannot be read, and a missing package.

Every message names the bad value (the path, the byte that was wrong) and the fix.
"""
from __future__ import annotations

from ..errors import CircuitlabError, ConfigError

__all__ = ["DataError", "DataFormatError", "MissingDataPackageError", "ConfigError"]


class DataError(CircuitlabError, ValueError):
    """A data set cannot be loaded: a path that does not exist, an empty folder, a bad argument."""


class DataFormatError(DataError):
    """A data file is corrupt, truncated or of a foreign format (wrong magic number, wrong size)."""


class MissingDataPackageError(CircuitlabError, ImportError):
    """A built-in data set ships inside a package that is not installed (the message says which)."""
