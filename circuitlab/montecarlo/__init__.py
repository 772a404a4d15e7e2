"""Monte Carlo characterisation campaigns: strict TOML specs, seeded per-sample draws, ngspice runs in
worker processes (stacked, batch or single) or Python evaluators (mode 'python', see :mod:`.evaluate`),
a local or Dask executor, one resumable HDF5 file, read back with :func:`load_results`
(a :class:`~.results.CampaignResults`).

Importing this package is light; h5py, dask and tqdm are imported when a campaign runs.
"""
from __future__ import annotations

from .spec import CampaignSpec, load_spec, parse_spec

__all__ = ["CampaignSpec", "load_spec", "parse_spec", "run_campaign", "resume_campaign", "summary",
           "load_results", "CampaignResults"]


def __getattr__(name):
    if name in ("run_campaign", "resume_campaign"):
        from . import engine
        return getattr(engine, name)
    if name in ("load_results", "CampaignResults"):
        from . import results
        return getattr(results, name)
    if name == "summary":
        from .store import summary
        return summary
    raise AttributeError(f"module 'circuitlab.montecarlo' has no attribute {name!r}")
