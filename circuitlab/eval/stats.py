"""Small shared pieces of the experiments: the compute device and confidence intervals over seeds."""
from __future__ import annotations

import math
from typing import Sequence, Tuple

from ..errors import ConfigError

__all__ = ["resolve_device", "mean_ci95"]


def resolve_device(name: str = "auto"):
    """torch.device for "auto" (CUDA when available, else the CPU), "cpu" or "cuda"; a typed error when
    "cuda" is asked for on a machine without it."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"--device {name}: no CUDA device here; use --device auto (falls back to the CPU) "
                              f"or cpu")
        return torch.device(name)
    raise ConfigError(f"--device {name!r}: use auto, cpu or cuda")


def mean_ci95(values: Sequence[float]) -> Tuple[float, float, float]:
    """(mean, low, high): the two-sided 95 % Student-t interval of the mean of independent runs (seeds);
    low = high = mean for a single run."""
    from scipy import stats

    v = [float(x) for x in values]
    if not v:
        raise ConfigError("mean_ci95 needs at least one value")
    m = sum(v) / len(v)
    if len(v) < 2:
        return m, m, m
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))
    h = float(stats.t.ppf(0.975, len(v) - 1)) * s / math.sqrt(len(v))
    return m, m - h, m + h
