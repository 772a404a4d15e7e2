"""Model files: round trip, full validation with clear errors, and a committed version-1 file."""
import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from circuitlab.errors import SchemaError
from circuitlab.export import Axis, ModelFile, Parameter, Table, load_model, save_model

GOLDEN = Path(__file__).parent / "golden" / "models" / "vcmtj_psw_v1.h5"


def psw_model() -> ModelFile:
    v = np.array([2.1, 2.4, 2.7])
    w = np.array([0.4e-9, 1e-9, 2e-9])
    p = np.array([[0.0, 0.0, 0.0], [0.33, 0.5, 0.48], [0.99, 0.74, 0.37]])  # devices.md, 400 trials
    return ModelFile("vcmtj_psw", tables={"p_switch": Table(p, "1", (Axis("voltage", v, "V"), Axis("width", w, "s")))},
                 metrics={"trials": 400.0}, provenance={"source": "reference/devices.md", "seed": 0})


def test_round_trip_and_sidecar(tmp_path):
    path = save_model(psw_model(), tmp_path / "psw.h5")
    m = load_model(path)
    t = m.tables["p_switch"]
    np.testing.assert_array_equal(t.values, psw_model().tables["p_switch"].values)
    assert [a.unit for a in t.axes] == ["V", "s"] and m.metrics["trials"] == 400.0
    side = json.loads((tmp_path / "psw.h5.json").read_text())
    assert side["kind"] == "vcmtj_psw" and side["tables"]["p_switch"]["shape"] == [3, 3] and len(side["sha256"]) == 64


def test_string_axis_round_trip(tmp_path):
    x = np.linspace(0, 1, 5)
    tab = lambda: Table(np.zeros((2, 5)), "1", (Axis("configuration", np.array(["cmos", "cmos_x"]), ""), Axis("x", x, "1")))
    m = ModelFile("p2m_f1", {"worst_case_variation": Parameter(0.08, "1", 0.01)},
              {k: tab() for k in ("mean", "sigma", "lower", "upper")})
    back = load_model(save_model(m, tmp_path / "f1.h5"))
    assert list(back.tables["mean"].axes[0].values) == ["cmos", "cmos_x"]
    assert back.parameters["worst_case_variation"].stderr == 0.01


def test_committed_version_1_file_keeps_loading():
    assert GOLDEN.exists(), "the committed version-1 model file is missing (see tests/golden/README.md)"
    m = load_model(GOLDEN, kind="vcmtj_psw")
    assert m.schema_version == 1 and m.tables["p_switch"].values[2, 0] == 0.99


def test_missing_table_wrong_unit_and_wrong_kind(tmp_path):
    m = psw_model()
    with pytest.raises(SchemaError, match="needs table 'p_switch', which is missing"):
        save_model(ModelFile("vcmtj_psw"), tmp_path / "x.h5")
    bad_unit = ModelFile("vcmtj_psw",
                         tables={"p_switch": Table(m.tables["p_switch"].values, "%", m.tables["p_switch"].axes)})
    with pytest.raises(SchemaError, match="unit '%'.*needs '1'"):
        save_model(bad_unit, tmp_path / "x.h5")
    path = save_model(m, tmp_path / "ok.h5")
    with pytest.raises(SchemaError, match="holds a 'vcmtj_psw' model where a 'p2m_f2' model is needed"):
        load_model(path, kind="p2m_f2")
    with pytest.raises(SchemaError, match="unknown model kind 'teleporter'"):
        save_model(ModelFile("teleporter"), tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists()


def test_newer_schema_foreign_and_corrupt_files(tmp_path):
    path = save_model(psw_model(), tmp_path / "m.h5")
    newer = tmp_path / "newer.h5"
    shutil.copy(path, newer)
    with h5py.File(newer, "a") as f:
        f.attrs["schema_version"] = 99
    with pytest.raises(SchemaError, match="schema version 99, newer than this circuitlab reads"):
        load_model(newer)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["data"] = np.arange(3)
    with pytest.raises(SchemaError, match="not a circuitlab model file"):
        load_model(foreign)
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(path.read_bytes()[:300])
    with pytest.raises(SchemaError, match="corrupt or foreign"):
        load_model(corrupt)
    with h5py.File(newer, "a") as f:
        f.attrs["schema_version"] = 1
        del f["tables/p_switch/values"]
    with pytest.raises(SchemaError, match="no values dataset"):
        load_model(newer)


def test_unknown_name(tmp_path):
    with pytest.raises(SchemaError, match="neither a file nor a built-in model"):
        load_model("no_such_model")


def test_inspect_json_and_export_cli(tmp_path):
    import subprocess
    import sys

    def cli(*a):
        return subprocess.run([sys.executable, "-m", "circuitlab.cli.main", *map(str, a)], capture_output=True,
                              text=True, timeout=120)
    r = cli("inspect", "vcmtj_psw", "--json")
    data = json.loads(r.stdout)
    assert set(data) == {"kind", "schema_version", "metrics", "provenance"} and data["kind"] == "vcmtj_psw"
    assert data["provenance"]["seed"] == 20260101
    r = cli("export", "vcmtj_psw")
    assert r.returncode == 1 and "give KIND --from SOURCE --out" in r.stderr
    r = cli("inspect", tmp_path / "nothing.h5")
    assert r.returncode == 1 and "neither a file nor a built-in model" in r.stderr
