"""Errors of Monte Carlo campaigns (all derive from :class:`circuitlab.errors.CircuitlabError`).

Spec problems raise :class:`circuitlab.errors.ConfigError`; unreadable result files raise
:class:`circuitlab.errors.SchemaError`. The two below cover what can go wrong while a campaign runs.
"""
from __future__ import annotations

from ..errors import CircuitlabError, ConfigError, SchemaError

__all__ = ["CampaignError", "StorageError", "WorkerLostError", "ColumnError", "ConfigError", "SchemaError"]


class CampaignError(CircuitlabError):
    """A campaign cannot go on (its samples already written stay in the results file)."""


class StorageError(CampaignError):
    """Writing the results file failed (disk full, permissions); rows written before are kept.

    After a failed write libhdf5 cannot shut down cleanly (it retries the flush at process exit and
    crashes), so the CLI leaves with ``os._exit`` once the message is printed (``exit_immediately``).
    """
    exit_immediately = True


class WorkerLostError(CampaignError):
    """Worker processes kept dying (killed, out of memory); rows written before are kept."""


class ColumnError(CircuitlabError, KeyError):
    """A results file has no column (or vector) of that name; the message lists the names it has."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0]) if self.args else ""
