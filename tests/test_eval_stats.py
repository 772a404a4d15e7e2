"""Confidence intervals against Student-t table values, and device resolution on a CPU-only machine."""
from __future__ import annotations

import pytest

from circuitlab.errors import ConfigError
from circuitlab.eval.stats import mean_ci95, resolve_device


def test_ci95_uses_student_t_quantiles():
    # n = 3: t_{0.975, 2} = 4.302653 (tables); s of (1, 2, 3) = 1; half-width 4.302653 / sqrt(3)
    m, lo, hi = mean_ci95([1.0, 2.0, 3.0])
    assert m == 2.0 and hi - m == pytest.approx(4.302653 / 3 ** 0.5, rel=1e-6) and m - lo == pytest.approx(hi - m)
    # n = 10: t_{0.975, 9} = 2.262157
    vals = [float(i) for i in range(10)]
    m, lo, hi = mean_ci95(vals)
    s = (sum((v - 4.5) ** 2 for v in vals) / 9) ** 0.5
    assert hi - m == pytest.approx(2.262157 * s / 10 ** 0.5, rel=1e-6)
    assert mean_ci95([0.7]) == (0.7, 0.7, 0.7)


def test_device_auto_falls_back_to_the_cpu_and_bad_names_are_typed():
    torch = pytest.importorskip("torch")
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == want
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(ConfigError, match="use auto, cpu or cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device here; use --device auto"):
            resolve_device("cuda")
