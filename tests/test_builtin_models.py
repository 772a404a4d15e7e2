"""Built-in model files: they load by name, and their recipes remake them within a stated tolerance.

Reproducibility has two levels. On one machine and software stack a recipe remakes its model bit for
bit (the Monte Carlo engine's own tests check 1 vs 2 workers, local vs Dask, killed and resumed,
exactly). Across machines, BLAS/LAPACK kernels, CPU instruction sets and libm round differently in the
last bits, so a rebuilt table must agree with the shipped one within ``TABLE_TOL[model][table]`` times
the table's scale (its largest |value|), elementwise, with NaNs in the same places.

Measured (max |rebuilt - shipped| / scale; shipped files made on another CPU): rebuilt here with numpy's
OpenBLAS on its SkylakeX kernels, and with ``OPENBLAS_CORETYPE=Prescott OMP_NUM_THREADS=1``:
  p2m_f1, p2m_f2 tables    <= 1.6e-15 (both; also 1.6e-15 between the two core types)
  rram_cim ir_drop_*       <= 1.2e-9 (both), 2.4e-9 between the two core types
  rram_cim other tables    <= 6e-17
  vcmtj_psw, meram_eps     0 (also with torch's scalar, AVX2 and AVX512 kernels: ATEN_CPU_CAPABILITY)
  parameters and metrics   relative <= 1.5e-13 (rram_cim settling_time), <= 1.4e-15 all others
"""
import math

import numpy as np
import pytest

from circuitlab.cli.builtin import RECIPES, build_builtin
from circuitlab.export import load_model
from circuitlab.export.modelfile import BUILTIN_DIR
from circuitlab.export.provenance import PREFIX as PLATFORM_PREFIX

VOLATILE = {"source_sha256"}  # hashes of intermediate files (they hold a creation time)

# Fractions of each table's scale. Each is about 1000 times the largest difference measured above and
# many orders below a physically meaningful change.
# - P2M f1/f2 (normalised DW displacement, scale ~1): least-squares fits of the ngspice point clouds
#   (LAPACK lstsq; the ngspice results themselves agreed bit for bit); the fits' own statistical
#   uncertainty at 200 samples is ~ sigma / sqrt(200) ~ 4e-3, nine orders above 1e-12.
P2M_FIT = 1e-12
# - RRAM IR drop (fraction of V_read, scale 0.08): a SuperLU solve of the crossbar's nodal equations,
#   whose supernodes call BLAS; the matrix is ill-conditioned (10 S wire segments beside 1-40 uS cells,
#   condition ~ 1e7), so BLAS rounding reaches cond * eps ~ 2e-9 of the solution, as measured. 1e-6 of
#   scale (8e-8 of V_read) is still five orders below the smallest IR-drop entry (0.019).
IR_DROP = 1e-6
# - Everything else is either exact arithmetic on integer switch counts (vcmtj_psw, and meram_eps,
#   sampled from those probabilities with a seeded generator) or a few roundings of sums: 1e-12. A
#   float32 LLG trajectory that rounded differently could flip a marginal trial; that would show here
#   as a step of exactly k / 2000 (trials per state) in a probability and has not been seen (see above).
ROUNDING = 1e-12
TABLE_TOL = {"p2m_f1": {t: P2M_FIT for t in ("mean", "sigma", "lower", "upper")},
             "p2m_f2": {t: P2M_FIT for t in ("mean", "sigma", "lower", "upper")},
             "rram_cim": {"ir_drop_rms": IR_DROP, "ir_drop_worst": IR_DROP}}
# Parameters and metrics, relative: the largest measured is 1.5e-13 (the RRAM SL settling time, from
# the same solver as the IR drop); a meaningful change of a settling time or an energy is ~1e-3.
SCALAR_RTOL = 1e-9


def _table_tol(model: str, table: str) -> float:
    return TABLE_TOL.get(model, {}).get(table, ROUNDING)


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=SCALAR_RTOL, abs_tol=0.0)


# The P2M recipe runs four 200-sample Fig. 6 campaigns of the 1-D domain-wall cell plus each level's
# nominal run: about 14 min on 2 cores (measured this session), so its rebuild runs with --runslow only;
# the others rebuild in about a minute and run always.
SLOW_RECIPES = ("p2m_f1", "p2m_f2")
FAST_RECIPES = tuple(n for n in sorted(RECIPES) if n not in SLOW_RECIPES)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    return build_builtin(FAST_RECIPES, out_dir=tmp_path_factory.mktemp("builtin"))


@pytest.fixture(scope="module")
def rebuilt_p2m(tmp_path_factory):
    return build_builtin(SLOW_RECIPES, out_dir=tmp_path_factory.mktemp("builtin_p2m"))


@pytest.mark.parametrize("name", FAST_RECIPES)
def test_builtin_is_reproducible_from_its_recipe(name, rebuilt):
    _same_model(name, rebuilt[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW_RECIPES)
def test_p2m_builtin_is_reproducible_from_its_recipe(name, rebuilt_p2m):
    _same_model(name, rebuilt_p2m[name])


def _same_model(name, path):
    shipped, again = load_model(name), load_model(path)
    assert shipped.kind == again.kind == name
    assert set(shipped.tables) == set(again.tables)
    for t, table in shipped.tables.items():
        ref = np.asarray(table.values, dtype=float)
        scale = float(np.nanmax(np.abs(ref))) if np.isfinite(ref).any() else 0.0
        np.testing.assert_allclose(again.tables[t].values, ref, rtol=0, atol=_table_tol(name, t) * scale,
                                   equal_nan=True, err_msg=f"{name}.{t} (scale {scale:.3g})")
        assert again.tables[t].unit == table.unit
    assert set(shipped.parameters) == set(again.parameters) and set(shipped.metrics) == set(again.metrics)
    for k, p in shipped.parameters.items():
        q = again.parameters[k]
        assert p.unit == q.unit and _close(p.value, q.value) and _close(p.stderr, q.stderr), (k, p, q)
    for k, v in shipped.metrics.items():
        assert _close(v, again.metrics[k]), (k, v, again.metrics[k])
    # provenance: the same recipe and versions; where and on what it was made (platform_*) may differ
    strip = lambda p: {k: v for k, v in p.items() if k not in VOLATILE and not k.startswith(PLATFORM_PREFIX)}
    assert strip(shipped.provenance) == strip(again.provenance)


def test_rebuilt_models_record_the_platform(rebuilt):
    """Every model file says which machine and software stack made it (CPU, OS, numpy/scipy/torch, ngspice)."""
    import platform

    import numpy
    m = load_model(rebuilt["rram_cim"])
    prov = m.provenance
    for key in ("cpu", "machine", "os", "python", "numpy", "scipy", "torch", "ngspice", "blas", "blas_env"):
        assert isinstance(prov.get(PLATFORM_PREFIX + key), str) and prov[PLATFORM_PREFIX + key], key
    assert prov["platform_numpy"] == numpy.__version__ and prov["platform_python"] == platform.python_version()
    assert prov["platform_machine"] == platform.machine() and prov["platform_ngspice"] == prov["ngspice_version"]


def test_a_path_wins_over_a_builtin_name(tmp_path, monkeypatch, rebuilt):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "meram_eps").write_bytes((BUILTIN_DIR / "vcmtj_psw.h5").read_bytes())
    assert load_model("meram_eps").kind == "vcmtj_psw"  # the file named like the built-in wins


def test_meram_eps_builtin_matches_the_seed_settings():
    m = load_model("meram_eps", kind="meram_eps")
    s = m.tables["samples"].values
    # unit-variance table for DDPM noise: sample sd of 40000 values within 3 * 1/sqrt(2n) = 1.1 %
    assert s.size == 40000 and abs(s.std() - 1) < 0.011 and abs(s.mean()) < 3 / np.sqrt(s.size)
    # Var(eps) = sum_k w_k^2 p_k for symmetric bits (devices.md): check with the stored per-bit p
    w = m.tables["weights"].values
    p = (m.tables["p_p_to_ap"].values + m.tables["p_ap_to_p"].values) / 2
    assert m.parameters["variance"].value == pytest.approx(np.sum(w ** 2 * p), rel=0.02)


def test_meram_eps_carries_the_write_energy():
    m = load_model("meram_eps")
    # closed form (devices.md section 1): R_P = RA / area, R_AP(V) = R_P (1 + V^2/Vh^2 + TMR0) / (1 + V^2/Vh^2)
    r_p = 650e-12 / (np.pi / 4 * (100e-9) ** 2)
    bias = 1 + (2.4 / 0.5) ** 2
    r_ap = r_p * (bias + 1.2) / bias
    e = m.parameters["energy_per_write_pulse"].value
    assert 2.4 ** 2 / r_ap * 2e-9 <= e <= 2.4 ** 2 / r_p * 2e-9
    total = m.parameters["energy_per_noise_sample"].value
    assert total == pytest.approx(7 * e + m.parameters["energy_per_msb_pulse"].value, rel=1e-12)
