"""load_results: one reader of campaign files, checked against the raw HDF5 datasets, the closed form of
the RC example and a campaign with failing samples; typed errors for everything that is not a campaign."""
from __future__ import annotations

import json
import sys

import h5py
import numpy as np
import pytest

from circuitlab.errors import CircuitlabError, SchemaError
from circuitlab.montecarlo import CampaignResults, load_results, parse_spec
from circuitlab.montecarlo.engine import run_campaign
from circuitlab.montecarlo.errors import ColumnError

pytestmark = pytest.mark.ngspice

SPEC = """
name = "rc_results"
builder = "circuitlab.montecarlo.examples:rc_bsource"
seed = 7
samples = 24
timeout = 20.0
batch_size = 12
stack_size = 6
[parameters]
r = 1000.0
c = 1e-10
g3 = {g3}
vdd = 1.0
[sweep]
vdd = [0.8, 1.0]
[[variation]]
params = ["r"]
sigma = 0.05
[[variation]]
params = ["g3"]
type = "absolute"
distribution = "uniform"
half_width = {g3_width}
scope = "mismatch"
[record]
vectors = ["v(out)"]
time = {{ start = 0.0, stop = 1e-6, points = 41 }}
measures = ["tdelay", "vmax"]
derived = {{ ratio = "tdelay / (r * c)" }}
"""


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """24 samples x 2 sweep points of the RC example with a tiny cubic load (every sample converges)."""
    path = tmp_path_factory.mktemp("results") / "rc.h5"
    run_campaign(parse_spec(SPEC.format(g3=1e-7, g3_width=1e-8)), path, workers=1, progress=False)
    return path


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    """g3 uniform on +-1e-2 A/V^3: a negative g3 makes the load a runaway source (nonconverged samples)."""
    path = tmp_path_factory.mktemp("results") / "fail.h5"
    run_campaign(parse_spec(SPEC.format(g3=0.0, g3_width=1e-2)), path, workers=1, progress=False)
    return path


def test_columns_equal_the_stored_datasets(campaign):
    r = load_results(campaign)
    assert isinstance(r, CampaignResults) and len(r) == 24 and r.points == 2
    with h5py.File(campaign, "r") as f:
        cols = json.loads(f.attrs["columns"])
        assert list(r.params) == cols == ["r", "c", "g3", "vdd"]
        for j, c in enumerate(cols):
            np.testing.assert_array_equal(r[c], f["params"][:, j])
        for j, m in enumerate(json.loads(f.attrs["measure_names"])):
            np.testing.assert_array_equal(r[m], f["measures"][:, :, j])
        np.testing.assert_array_equal(r["ratio"], f["derived"][:, :, 0])
        vectors = f["vectors"][:, :, 0, :]
        np.testing.assert_array_equal(r.status, f["status"][()])
        np.testing.assert_array_equal(r.time, f["time"][()])
        assert r.provenance["ngspice_version"] == f.attrs["ngspice_version"]
        assert r.provenance["nominal_netlist_sha256"] == f.attrs["nominal_netlist_sha256"]
    np.testing.assert_array_equal(r.vectors("v(out)"), vectors)   # read on demand, after the file is closed
    assert r.name == "rc_results" and r.seed == 7 and r.units == {"v(out)": "V"}
    assert r.spec.name == "rc_results" and r.spec_text.startswith("\nname = \"rc_results\"")
    np.testing.assert_array_equal(r.sweep_axes["vdd"], [0.8, 1.0])
    np.testing.assert_array_equal(r.sweep["vdd"], [0.8, 1.0])
    assert r.ok().all() and set(r.status_names) == {"ok"} and r.failures() == []
    assert r.counts() == {"ok": 24, "sim_error": 0, "timeout": 0, "nonconverged": 0, "pending": 0}


def test_measures_follow_the_closed_form(campaign):
    r = load_results(campaign)
    # The load is g3 v^3 with g3 ~ 1e-7 A/V^3: at most 1e-7 A against a 1 mA-scale RC current, so the
    # 50 % delay is the RC one, tau ln 2 (relative error from the load and the 1 ns step well under 1 %).
    tau = r["r"] * r["c"]
    np.testing.assert_allclose(r["tdelay"], (tau * np.log(2))[:, None] * np.ones(2), rtol=0.01)
    # derived scalar: tdelay / (r c), recomputed from the stored columns (rounding only)
    np.testing.assert_allclose(r["ratio"], r["tdelay"] / tau[:, None], rtol=1e-12)
    # peak of the RC response to the example's pulse train (see rc_peak); the ramps, taken as steps at their
    # midpoints, move each edge by less than 0.5 ns, 0.2 % of the peak at tau = 100 ns
    expected = np.array([[rc_peak(v, t) for v in r.sweep["vdd"]] for t in tau])
    np.testing.assert_allclose(r["vmax"], expected, rtol=5e-3)


def rc_peak(vdd: float, tau: float, stop: float = 1e-6) -> float:
    """Largest output (V) of an RC low-pass (time constant ``tau``, s) driven by the rc_bsource example's
    PULSE(0 vdd 10n 1n 1n 200n 400n) up to ``stop``: exact exponential charge and discharge between the
    edges, each ramp replaced by a step at its midpoint."""
    edges = []
    for k in range(3):
        edges += [(10.5e-9 + 400e-9 * k, vdd), (211.5e-9 + 400e-9 * k, 0.0)]
    v, t, level, peak = 0.0, 0.0, 0.0, 0.0
    for when, new_level in edges + [(stop, 0.0)]:
        when = min(when, stop)
        v = level + (v - level) * np.exp(-(when - t) / tau)
        peak, t, level = max(peak, v), when, new_level
    return peak


def test_rows_flatten_samples_and_points(campaign):
    r = load_results(campaign)
    rows = r.rows()
    assert rows["r"].shape == (48,)
    np.testing.assert_array_equal(rows["r"][0::2], r["r"])
    np.testing.assert_array_equal(rows["vdd"], np.tile([0.8, 1.0], 24))
    np.testing.assert_array_equal(rows["tdelay"].reshape(24, 2), r["tdelay"])
    assert r.scalars().keys() == {"tdelay[0]", "tdelay[1]", "vmax[0]", "vmax[1]", "ratio[0]", "ratio[1]"}


def test_status_and_errors_of_failing_samples(failing):
    r = load_results(failing)
    with h5py.File(failing, "r") as f:
        status, errors = f["status"][()], [e.decode() for e in f["error"][()]]
    np.testing.assert_array_equal(r.status, status)
    assert list(r.errors) == errors
    bad = ~r.ok()
    assert 0 < bad.sum() < len(r)        # half the g3 draws are negative; each one fails
    assert all(r.status_names[k] == "nonconverged" and r.errors[k] for k in np.nonzero(bad)[0])
    for k in np.nonzero(~bad)[0]:        # an ok sample notes a failed measure (a strong load stops v(out)
        if r.errors[k]:                  # short of vdd/2): the sample stays ok, that measure NaN at a point
            assert r.errors[k] == "measure failed: tdelay" and np.isnan(r["tdelay"][k]).any()
    assert [k for k, _, _ in r.failures()] == list(np.nonzero(bad)[0])
    assert (r["g3"][bad] < 0).all()      # the failures are the runaway (negative g3) samples
    assert r.counts()["nonconverged"] == int(bad.sum())


def test_unknown_column_is_a_typed_key_error_listing_names(campaign):
    r = load_results(campaign)
    with pytest.raises(ColumnError, match=r"no column 'nosuch'; columns: r, c, g3, vdd, tdelay, vmax, ratio$"):
        r["nosuch"]
    assert issubclass(ColumnError, KeyError) and issubclass(ColumnError, CircuitlabError)
    with pytest.raises(ColumnError, match=r"recorded no vector 'v\(in\)'; vectors: v\(out\)"):
        r.vectors("v(in)")
    with pytest.raises(ColumnError, match=r"is not a P2M campaign: it has no column 'x_level'.*; run it"):
        r.require(["r", "x_level"], "a P2M campaign", "run it")


def test_to_pandas_round_trip(campaign):
    pd = pytest.importorskip("pandas")
    r = load_results(campaign)
    frame = r.to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 48
    np.testing.assert_array_equal(frame["tdelay"].to_numpy().reshape(24, 2), r["tdelay"])
    np.testing.assert_array_equal(frame["r"].to_numpy()[::2], r["r"])
    assert set(frame["status_name"]) == {"ok"} and (frame["error"] == "").all()


def test_to_pandas_without_pandas_names_the_install(campaign, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)   # what an environment without pandas looks like
    with pytest.raises(CircuitlabError, match=r"needs pandas, which is not installed; run 'pip install pandas'"):
        load_results(campaign).to_pandas()


def test_foreign_files_get_typed_one_line_errors(tmp_path, campaign):
    with pytest.raises(SchemaError, match="is a folder, not a results file; give the .h5 file"):
        load_results(tmp_path)
    with pytest.raises(SchemaError, match="does not exist"):
        load_results(tmp_path / "missing.h5")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x00\x01 not hdf5 at all" * 10)
    with pytest.raises(SchemaError, match="is not a readable HDF5 file"):
        load_results(junk)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(SchemaError, match="is not a circuitlab campaign file") as info:
        load_results(other)
    assert "\n" not in str(info.value)   # one line


@pytest.mark.parametrize("keep", [0.999, 0.6, 0.01])
def test_a_truncated_campaign_file_is_refused_at_once_and_resume_keeps_its_complete_rows(tmp_path, campaign,
                                                                                         keep):
    """A campaign file cut short (full disk, interrupted copy): before the check HDF5 read the lost rows
    as zeros with status 0 = ok (measured: all 2000 rows 'ok' from a file cut to 90 %) or retried its
    metadata reads for minutes (cut to 50 %). The superblock's end-of-file address says how long the
    file must be; status counts only rows whose chunks lie inside the file, and resume re-runs the rest."""
    import os
    import shutil
    import time

    from circuitlab.montecarlo import resume_campaign, summary

    cut = tmp_path / "cut.h5"
    shutil.copy(campaign, cut)
    size = os.path.getsize(cut)
    os.truncate(cut, int(size * keep))
    before = cut.read_bytes()
    t0 = time.monotonic()
    with pytest.raises(SchemaError, match=r"is truncated: \d+ bytes on disk but the file records %d .*left "
                                          r"untouched. 'circuitlab mc status' counts" % size):
        load_results(cut)
    assert cut.read_bytes() == before
    try:
        counted = summary(cut)["done"]
    except SchemaError as exc:   # cut through the index of rows itself: nothing can be trusted
        assert "no row can be trusted" in str(exc)
        return
    finally:
        assert time.monotonic() - t0 < 30   # a few checks of about 1 s, not minutes of retries
    with h5py.File(campaign, "r") as f:
        full = {k: f[k][()] for k in ("status", "measures", "params")}
    assert counted < len(full["status"])
    resume_campaign(cut, workers=1, progress=False)
    with h5py.File(cut, "r") as f:
        for k, v in full.items():   # same seeds, same machine: identical
            np.testing.assert_array_equal(f[k][()], v)


def test_export_p2m_from_a_folder_of_other_campaigns_is_a_typed_error(tmp_path, campaign, capsys):
    from circuitlab.cli.main import main
    from circuitlab.export.p2m import export_p2m_f1, export_p2m_f2
    for name in ("p2m_fig6a_cmos", "p2m_fig6b_dwmtj", "p2m_fig6c_hybrid", "p2m_fig6d_read"):
        (tmp_path / f"{name}.h5").write_bytes(campaign.read_bytes())
    with pytest.raises(ColumnError, match=r"p2m_fig6a_cmos.h5 is not a P2M Fig. 6a-c campaign \(p2m_fig6a_cmos.h5\): "
                                          r"it has no column 'x_level', 'w_level', 'q_acc', 'e_window'.*"
                                          r"'circuitlab p2m characterise --out-dir DIR'"):
        export_p2m_f1(tmp_path, tmp_path / "f1.h5")
    with pytest.raises(ColumnError, match=r"not the P2M Fig. 6d campaign .*no column 'qp_level'"):
        export_p2m_f2(tmp_path, tmp_path / "f2.h5")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SchemaError, match=r"p2m_fig6a_cmos.h5 does not exist; .*circuitlab p2m characterise"):
        export_p2m_f1(empty, tmp_path / "f1.h5")
    capsys.readouterr()
    assert main(["export", "p2m_f1", "--from", str(tmp_path), "--out", str(tmp_path / "f1.h5")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a P2M Fig. 6a-c campaign" in err and "KeyError" not in err
