"""Tests of ``circuitlab llg sweep`` and ``circuitlab meram noise`` (JSON contract, files, typed errors)."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from circuitlab import __version__
from circuitlab.cli.engnum import parse_eng, parse_grid
from circuitlab.cli.main import main
from circuitlab.errors import ConfigError, SchemaError
from circuitlab.meram import epsilon_moments
from circuitlab.physics import SwitchingTable, switching_probability
from circuitlab.physics.io import read_switching_table, write_switching_table


def _json(capsys, argv):
    assert main(argv) == 0
    out = capsys.readouterr().out
    return json.loads(out)          # the whole of stdout must be one JSON object


# --- argument parsing --------------------------------------------------------------------------------
def test_engineering_notation():
    # SPICE suffixes: exact decimal scalings
    assert parse_eng("0.1n") == pytest.approx(1e-10, rel=1e-15)
    assert parse_eng("400p") == pytest.approx(4e-10, rel=1e-15)
    assert parse_eng("2.4") == 2.4 and parse_eng("2.4V") == 2.4 and parse_eng("1.5e-9") == 1.5e-9
    assert parse_eng("1meg") == 1e6
    grid = parse_grid("0.1n:4n:40", "width")
    np.testing.assert_allclose(grid, np.arange(1, 41) * 1e-10, rtol=1e-12)   # step 0.1 ns, 40 points
    assert grid[1] == 2e-10                                                   # cleaned to 12 digits
    np.testing.assert_array_equal(parse_grid("2.1,2.4,2.7"), [2.1, 2.4, 2.7])
    with pytest.raises(ConfigError, match=r"width '0.1x' is not a number"):
        parse_eng("0.1x", "width")
    with pytest.raises(ConfigError, match="must be START:STOP:COUNT"):
        parse_grid("1n:2n", "width")
    with pytest.raises(ConfigError, match="STOP must be larger than START"):
        parse_grid("2n:1n:3", "width")


# --- llg sweep ------------------------------------------------------------------------------------------
def test_llg_sweep_json_file_and_plot(tmp_path, capsys):
    out = tmp_path / "psw.h5"
    data = _json(capsys, ["llg", "sweep", "--voltages", "2.1,2.7", "--widths", "0.5n,2n", "--trials", "30",
                          "--seed", "5", "--relax", "2n", "--out", str(out), "--json"])
    assert set(data) == {"voltages", "widths", "p_switch", "trials"}
    assert data["voltages"] == [2.1, 2.7] and data["widths"] == [5e-10, 2e-9] and data["trials"] == 30
    # the CLI is a thin layer: the same seed through the Python API gives the same counts exactly
    from circuitlab.physics import PulseProtocol
    api = switching_probability(None, [2.1, 2.7], [5e-10, 2e-9], 30, seed=5, protocol=PulseProtocol(relax=2e-9))
    np.testing.assert_array_equal(data["p_switch"], api.p_switch)
    # physics sanity within binomial error (n = 60 per point): 2.1 V rarely switches (engine ~0.005;
    # the seed's bound 0.1 is > 4 sd away), 2.7 V at 0.5 ns switches (devices.md: 0.99 at 0.4 ns;
    # 0.8 is the 99 % lower bound for p = 0.95 at n = 60)
    assert max(data["p_switch"][0]) < 0.1
    assert data["p_switch"][1][0] > 0.8
    table = read_switching_table(out)
    np.testing.assert_array_equal(table.p_switch, api.p_switch)
    assert table.seed == 5 and table.protocol.relax == 2e-9
    with h5py.File(out) as f:
        assert f.attrs["circuitlab_version"] == __version__
        assert f["params"].attrs["hx"] == 31.04e3 and "ki" in f["params"].attrs["assumed"]
        lo, hi, p = f["wilson_lower"][()], f["wilson_upper"][()], f["p_switch"][()]
        assert np.all((lo <= p + 1e-12) & (p <= hi + 1e-12))       # round-off at p = 0 or 1
        # Clopper-Pearson bounds against scipy's independent exact binomial interval (rel 1e-9: root finding)
        from scipy.stats import binomtest
        k = f["switched_from_p"][()] + f["switched_from_ap"][()]
        for idx in np.ndindex(k.shape):
            ci = binomtest(int(k[idx]), 60).proportion_ci(0.95, method="exact")
            assert f["clopper_pearson_lower"][idx] == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
            assert f["clopper_pearson_upper"][idx] == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
    assert (tmp_path / "psw.png").stat().st_size > 1000


def test_llg_sweep_bad_arguments_print_one_line(tmp_path, capsys):
    assert main(["llg", "sweep", "--widths", "0.1n:4n:zero", "--seed", "1", "--out", str(tmp_path / "a.h5")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "COUNT 'zero' must be an integer" in err[0]
    assert main(["llg", "sweep", "--seed", "1", "--out", str(tmp_path / "a.txt")]) == 1
    assert "must end in .h5" in capsys.readouterr().err
    assert main(["llg", "sweep", "--seed", "1", "--trials", "0", "--out", str(tmp_path / "a.h5")]) == 1
    assert "--trials 0 must be >= 1" in capsys.readouterr().err
    assert main(["llg", "sweep", "--seed", "1", "--widths", "0.1f", "--out", str(tmp_path / "a.h5")]) == 1
    assert "at least one step" in capsys.readouterr().err


def test_output_folder_must_exist_for_both_commands(tmp_path, capsys):
    missing = tmp_path / "nope" / "x.h5"
    assert main(["llg", "sweep", "--seed", "1", "--out", str(missing)]) == 1
    assert "does not exist; create it first" in capsys.readouterr().err
    assert main(["meram", "noise", "--seed", "1", "--out", str(missing)]) == 1
    assert "does not exist; create it first" in capsys.readouterr().err
    assert main(["meram", "noise", "--seed", "1", "--out", str(tmp_path / "x.csv")]) == 1
    assert "must end in .h5" in capsys.readouterr().err


def test_reading_a_foreign_file_raises_schema_error(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.attrs["kind"] = "something.else"
    with pytest.raises(SchemaError, match="is not a P_sw table"):
        read_switching_table(path)
    with pytest.raises(SchemaError, match="not found"):
        read_switching_table(tmp_path / "missing.h5")


# --- meram noise -----------------------------------------------------------------------------------------
@pytest.fixture()
def synthetic_table(tmp_path):
    table = SwitchingTable(voltages=np.array([2.4]), widths=np.array([0.4e-9, 2e-9]), trials=1000,
                           switched_from_p=np.array([[350, 470]]), switched_from_ap=np.array([[360, 490]]), seed=0)
    return write_switching_table(table, tmp_path / "table.h5")


@pytest.mark.parametrize("mode", ["stream", "shuffled"])
def test_meram_noise_json_matches_closed_form(tmp_path, capsys, synthetic_table, mode):
    out = tmp_path / "eps.h5"
    n = 40_000
    data = _json(capsys, ["meram", "noise", "--bits", "8", "--samples", str(n), "--seed", "9", "--out", str(out),
                          "--mode", mode, "--psw-table", str(synthetic_table), "--json"])
    assert set(data) == {"mean", "std", "lag1_autocorr", "kurtosis", "samples"} and data["samples"] == n
    a, b = np.r_[0.35, [0.47] * 7], np.r_[0.36, [0.49] * 7]
    exact = epsilon_moments(a, b)
    # std: 5 sd of the std estimator, sigma * sqrt((kurt + 2) / (4 n)), inflated x2 for the correlation
    # of the stream; mean: eps telescopes (mean = (A_n - A_0)/n, |mean| <= 4/n) or, shuffled, the same
    assert abs(data["std"] - exact["std"]) < 10 * exact["std"] * np.sqrt((exact["kurtosis"] + 2) / (4 * n))
    assert abs(data["mean"]) <= 4 / n + 1e-12
    want_lag1 = exact["lag1_autocorr"] if mode == "stream" else 0.0       # -0.38 vs decorrelated
    assert abs(data["lag1_autocorr"] - want_lag1) < 5 / np.sqrt(n)
    assert abs(data["kurtosis"] - exact["kurtosis"]) < 5 * np.sqrt(24 / n)
    with h5py.File(out) as f:
        np.testing.assert_allclose(f["p_p_to_ap"][()], a)
        assert f.attrs["mode"] == mode and f.attrs["seed"] == 9
        assert f["pmf"][()].sum() == pytest.approx(1.0, rel=1e-12)
        assert np.std(f["eps_normalised"][()]) == pytest.approx(1.0, abs=0.03)   # unit variance for DDPM
    assert (tmp_path / "eps.png").stat().st_size > 1000


def test_meram_noise_default_runs_the_llg_engine(tmp_path, capsys):
    # no table: the per-bit probabilities come from the LLG engine at the seed's settings (2.4 V,
    # 0.4 ns / 2 ns). Reference: the shipped vcmtj_psw (the same engine and card, another seed, 2000
    # trials per state); with 200 trials per state each estimate lies within 5 sd of a difference of two
    # binomial proportions (n = 200 and 2000: sd <= 0.037 at p = 0.5, so 0.18)
    out = tmp_path / "eps.h5"
    data = _json(capsys, ["meram", "noise", "--samples", "1000", "--seed", "2", "--out", str(out), "--llg-trials",
                          "200", "--json"])
    assert data["samples"] == 1000
    with h5py.File(out) as f:
        a, b = f["p_p_to_ap"][()], f["p_ap_to_p"][()]
        assert "LLG engine" in f.attrs["source"]
    from circuitlab.export import load_model
    ref = load_model("vcmtj_psw", kind="vcmtj_psw")
    volt, width = (ax.values for ax in ref.tables["p_p_to_ap"].axes)
    i, (j_msb, j_other) = np.argmin(abs(volt - 2.4)), (np.argmin(abs(width - w)) for w in (0.4e-9, 2e-9))
    ref_a, ref_b = ref.tables["p_p_to_ap"].values[i], ref.tables["p_ap_to_p"].values[i]
    assert abs(a[0] - ref_a[j_msb]) < 0.18 and abs(b[0] - ref_b[j_msb]) < 0.18
    assert np.all(np.abs(a[1:] - ref_a[j_other]) < 0.18) and np.all(a[1:] == a[1])


def test_meram_noise_bad_arguments(tmp_path, capsys, synthetic_table):
    assert main(["meram", "noise", "--bits", "0", "--seed", "1", "--out", str(tmp_path / "e.h5")]) == 1
    assert "--bits 0 must lie between 1 and 64" in capsys.readouterr().err
    assert main(["meram", "noise", "--seed", "1", "--voltage", "2.7", "--psw-table", str(synthetic_table),
                 "--out", str(tmp_path / "e.h5")]) == 1
    assert "voltage 2.7 V is not in the table" in capsys.readouterr().err
    assert main(["meram", "noise", "--seed", "1", "--psw-table", str(tmp_path / "nope.h5"),
                 "--out", str(tmp_path / "e.h5")]) == 1
    assert "not found" in capsys.readouterr().err
