"""Measured data into model files: synthetic "measurements" drawn from known values are imported back,
and the known values fall inside the reported 95 % intervals in about 95 % of repeated trials (50
seeds); units are converted, bad rows get one-line errors naming line and column; the files load."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from circuitlab.cli.main import main
from circuitlab.export import load_model
from circuitlab.export.measured import FIELDS, import_measured
from circuitlab.export.measured_table import MeasuredDataError, RawTable, unit_factor
from circuitlab.meram.markov import default_weights
from circuitlab.meram.sampling import sample_states

SEEDS = 50


def _csv(path: Path, header, rows) -> Path:
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def test_units():
    assert unit_factor("uS", "S", "x") == 1e-6 and unit_factor("ms", "s", "x") == 1e-3
    assert unit_factor("mS", "S", "x") == 1e-3 and unit_factor("kOhm", "Ohm", "x") == 1e3
    assert unit_factor("%", "1", "x") == 0.01 and unit_factor("mV", "V", "x") == 1e-3
    with pytest.raises(MeasuredDataError, match="unit 'nm' is not a time"):
        unit_factor("nm", "s", "col")


def _psw_rows(rng, p, volts, widths, trials):
    rows = []
    for i, v in enumerate(volts):
        for j, w in enumerate(widths):
            for s in ("P", "AP"):
                rows.append((v * 1e3, w * 1e9, s, trials, int(rng.binomial(trials, p[i, j]))))
    return rows


def test_vcmtj_psw_wilson_intervals_cover(tmp_path):
    volts, widths = np.array([2.1, 2.4, 2.7]), np.array([0.5e-9, 1e-9, 2e-9, 4e-9])
    p = np.array([[0.02, 0.05, 0.08, 0.1], [0.2, 0.35, 0.38, 0.37], [0.9, 0.7, 0.6, 0.57]])
    from circuitlab.export.measured import _vcmtj_psw
    from circuitlab.export.measured_table import read_table
    mapping = {"voltage": "V_mV", "width": "t_ns", "state": "init", "trials": "n", "switched": "k"}
    units = {"voltage": "mV", "width": "ns"}
    hits = total = 0
    for seed in range(SEEDS):
        rows = _psw_rows(np.random.default_rng(seed), p, volts, widths, 100)
        f = _csv(tmp_path / "psw.csv", ("V_mV", "t_ns", "init", "n", "k"), rows)
        m, _ = _vcmtj_psw(read_table(f), "vcmtj_psw", mapping, units)
        lo, hi = m.tables["wilson_lower"].values, m.tables["wilson_upper"].values
        hits += int(((lo <= p) & (p <= hi)).sum())
        total += p.size
    out = import_measured(f, "vcmtj_psw", tmp_path / "psw.h5", mapping=mapping, units=units)
    m = load_model(out, kind="vcmtj_psw")
    assert np.allclose(m.tables["p_switch"].axes[0].values, volts) and np.allclose(m.tables["p_switch"].axes[1].values,
                                                                                    widths)
    cover = hits / total
    print(f"vcmtj_psw Wilson coverage {cover:.3f} over {total}")  # 600 intervals: 95 % +- 2.7 % (3 standard errors)
    assert 0.923 <= cover <= 0.98, cover
    assert out.with_suffix(".png").stat().st_size > 0


def test_meram_stream_intervals_cover_and_load_into_the_noise_source(tmp_path):
    a = np.array([0.1, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45])
    b = np.array([0.12, 0.45, 0.4, 0.45, 0.5, 0.45, 0.45, 0.45])
    w = default_weights(8)
    from circuitlab.export.measured import _bits_from_stream
    hits = total = 0
    for seed in range(SEEDS):
        states = sample_states(a, b, 3000, rng=np.random.default_rng(seed))
        readout = states.astype(float) @ w
        table = RawTable(Path("mem.csv"), "", {"readout": [repr(float(x)) for x in readout]}, list(range(2, 3002)))
        ea, eb, (alo, ahi), (blo, bhi), _, _ = _bits_from_stream(table, {}, {}, 8)
        hits += int(((alo <= a) & (a <= ahi)).sum() + ((blo <= b) & (b <= bhi)).sum())
        total += 16
    cover = hits / total
    print(f"meram per-bit CP coverage {cover:.3f} over {total}")  # Clopper-Pearson: conservative, >= 95 % up to sampling error
    assert 0.93 <= cover <= 0.995, cover
    f = _csv(tmp_path / "stream.csv", ("A",), [(repr(float(x)),) for x in readout])
    out = import_measured(f, "meram_eps", tmp_path / "eps.h5", mapping={"readout": "A"})
    torch = pytest.importorskip("torch")
    from circuitlab.nn import MeRAMNoise
    src = MeRAMNoise.from_model(out, mode="exact")
    x = src.randn((200000,), generator=torch.Generator().manual_seed(0))
    assert abs(float(x.mean())) < 5 / math.sqrt(2e5) and abs(float(x.var()) - 1) < 0.02


def test_rram_sigma_intervals_cover(tmp_path):
    levels, times = np.array([5e-6, 10e-6, 20e-6, 40e-6]), np.array([1.0, 3600.0, 86400.0])
    truth = 0.4e-6 + 0.02 * levels[None, :] * np.log10(times[:, None] + 1)
    read_rel = 0.01
    from circuitlab.export.measured import _rram_cim
    from circuitlab.export.measured_table import read_table
    hits = total = 0
    for seed in range(SEEDS):
        rng = np.random.default_rng(seed)
        rows = []
        for c in range(40 * len(levels)):
            lv = levels[c % len(levels)]
            for k, t in enumerate(times):
                g = lv + rng.normal(0, truth[k, c % len(levels)])
                rows += [(f"c{c}", lv * 1e6, t, g * (1 + rng.normal(0, read_rel)) * 1e6, r) for r in range(2)]
        f = _csv(tmp_path / "rram.csv", ("cell", "target", "time", "g", "read"), rows)
        model, _ = _rram_cim(read_table(f), "rram_cim", {}, {"target": "uS", "g": "uS"})
        lo, hi = model.tables["sigma_g_lower"].values, model.tables["sigma_g_upper"].values
        hits += int(((lo <= truth) & (truth <= hi)).sum())
        total += truth.size
    print(f"rram sigma_g chi2 coverage {hits / total:.3f} over {total}")
    assert 0.92 <= hits / total <= 0.985, hits / total
    assert model.parameters["read_noise_rel"].value == pytest.approx(read_rel, rel=0.1)
    out = import_measured(f, "rram_cim", tmp_path / "rram.h5", units={"target": "uS", "g": "uS"})
    m = load_model(out, kind="rram_cim")
    assert "ir_drop_rms" in m.tables          # kept from the built-in base model
    assert m.tables["sigma_g"].axes[1].values == pytest.approx(levels, rel=1e-12)


def test_curve_mean_band_covers(tmp_path):
    xs = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    true = lambda x: 0.2 + 0.6 * x + 0.3 * x * x   # noqa: E731
    from circuitlab.export.measured import _curve
    from circuitlab.export.measured_table import read_table
    hits = total = 0
    for seed in range(SEEDS):
        rng = np.random.default_rng(seed)
        x = rng.uniform(0, 1, 200)
        y = true(x) + rng.normal(0, 0.05, 200)
        f = _csv(tmp_path / "c.csv", ("x", "y"), zip(x, y))
        model, _ = _curve(read_table(f), "curve", {}, {}, degree=2, grid=5)
        g = model.tables["mean"].axes[0].values
        lo, hi = model.tables["mean_lower"].values, model.tables["mean_upper"].values
        hits += int(((lo <= true(g)) & (true(g) <= hi)).sum())
        total += len(g)
    print(f"curve mean-band coverage {hits / total:.3f} over {total}")
    assert 0.91 <= hits / total <= 0.99, hits / total
    rows = [(a, b, "cmos" if i % 2 else "hybrid") for i, (a, b) in enumerate(zip(x, y))]
    f = _csv(tmp_path / "f1.csv", ("x", "y", "config"), rows)
    m = load_model(import_measured(f, "p2m_f1", tmp_path / "f1.h5", mapping={"configuration": "config"}),
                   kind="p2m_f1")
    assert list(m.tables["mean"].axes[0].values) == ["hybrid", "cmos"]


@pytest.mark.parametrize("rows, argv, msg", [
    ([("2400", "1", "100", "abc")], [], "line 2, column 'switched': 'abc' is not a number"),
    ([("2400", "1", "100", "nan")], [], "line 2, column 'switched': nan"),
    ([("2400", "1", "100", "-1")], [], "-1 1 is below 0"),
    ([("2400", "1", "100", "120")], [], "switched 120 > trials 100"),
    ([("2400", "1", "100", "5"), ("2400", "2", "100", "5"), ("2700", "1", "100", "5")], [],
     "no measurement at 2700 V, 2 s"),
])
def test_bad_rows_are_one_line_errors(tmp_path, rows, argv, msg):
    f = _csv(tmp_path / "bad.csv", ("voltage", "width", "trials", "switched"), rows)
    with pytest.raises(MeasuredDataError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        import_measured(f, "vcmtj_psw", tmp_path / "x.h5")


def test_cli_import_and_errors(tmp_path, capsys):
    rows = _psw_rows(np.random.default_rng(1), np.full((2, 2), 0.3), [2.4, 2.7], [1e-9, 2e-9], 50)
    f = _csv(tmp_path / "m.csv", ("V_mV", "t_ns", "init", "n", "k"), rows)
    base = ["data", "import", str(f), "--kind", "vcmtj_psw", "--map", "V_mV=voltage", "--map", "t_ns=width",
            "--map", "init=state", "--map", "n=trials", "--map", "k=switched", "--units", "voltage=mV"]
    assert main(base + ["--units", "width=ns", "--out", str(tmp_path / "p.h5")]) == 0
    assert "model file:" in capsys.readouterr().out
    m = load_model(tmp_path / "p.h5")
    assert m.provenance["source_sha256"] and '"voltage": "mV"' in m.provenance["units"]
    assert main(base + ["--units", "width=nm", "--out", str(tmp_path / "q.h5")]) == 1
    assert "unit 'nm' is not a time" in capsys.readouterr().err
    assert main(["data", "import", str(f), "--kind", "vcmtj_psw", "--map", "V_mV=volts", "--out", "x.h5"]) == 1
    assert "kind 'vcmtj_psw' has no field 'volts'" in capsys.readouterr().err
    assert set(FIELDS) == {"vcmtj_psw", "meram_eps", "rram_cim", "p2m_f1", "p2m_f2", "curve"}
