"""Built-in model files: they load by name, and their recipes remake them bit for bit."""
import numpy as np
import pytest

from circuitlab.cli.builtin import RECIPES, build_builtin
from circuitlab.export import load_model
from circuitlab.export.modelfile import BUILTIN_DIR

VOLATILE = {"source_sha256"}  # hashes of intermediate files (they hold a creation time)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    return build_builtin(out_dir=tmp_path_factory.mktemp("builtin"))


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_builtin_is_reproducible_from_its_recipe(name, rebuilt):
    shipped, again = load_model(name), load_model(rebuilt[name])
    assert shipped.kind == again.kind == name
    assert set(shipped.tables) == set(again.tables)
    for t in shipped.tables:
        np.testing.assert_array_equal(shipped.tables[t].values, again.tables[t].values, err_msg=t)
    as_rows = lambda m: {k: (p.value, p.unit, str(p.stderr)) for k, p in m.parameters.items()}  # nan-safe
    assert as_rows(shipped) == as_rows(again) and shipped.metrics == again.metrics
    strip = lambda p: {k: v for k, v in p.items() if k not in VOLATILE}
    assert strip(shipped.provenance) == strip(again.provenance)


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
