"""The raw-file reader on golden files made by ngspice 39 (see tests/golden/raw/make_golden.sh)."""
from pathlib import Path

import numpy as np
import pytest

from circuitlab.errors import RawFileError
from circuitlab.sim import read_raw

RAW = Path(__file__).parent / "golden" / "raw"
TAU = 1e3 * 1e-9


def test_binary_and_ascii_real_agree():
    b, = read_raw(RAW / "rc_tran_binary.raw")
    a, = read_raw(RAW / "rc_tran_ascii.raw")
    assert b.names == a.names == ("time", "v(in)", "v(out)", "i(v1)")
    assert b.types == ("time", "voltage", "voltage", "current") and not b.complex
    assert len(b.data["time"]) == 78
    # ASCII holds 16 significant digits
    for n in b.names:
        np.testing.assert_allclose(a.data[n], b.data[n], rtol=1e-14, atol=1e-300)


def test_binary_and_ascii_complex_agree_with_closed_form():
    b, = read_raw(RAW / "rc_ac_binary.raw")
    a, = read_raw(RAW / "rc_ac_ascii.raw")
    assert b.complex and a.complex and b.plotname == "AC Analysis"
    f = b.data["frequency"].real
    np.testing.assert_allclose(b.data["v(out)"], 1 / (1 + 2j * np.pi * f * TAU), rtol=1e-12)
    np.testing.assert_allclose(a.data["v(out)"], b.data["v(out)"], rtol=1e-14)


def test_multi_plot_file():
    plots = read_raw(RAW / "rc_multi_binary.raw")
    assert [p.plotname for p in plots] == ["Transient Analysis", "AC Analysis"]
    single, = read_raw(RAW / "rc_tran_binary.raw")
    np.testing.assert_array_equal(plots[0].data["v(out)"], single.data["v(out)"])


def test_truncated_file(tmp_path):
    data = (RAW / "rc_tran_binary.raw").read_bytes()
    bad = tmp_path / "cut.raw"
    bad.write_bytes(data[:-100])
    with pytest.raises(RawFileError, match="truncated"):
        read_raw(bad)


def test_foreign_file(tmp_path):
    bad = tmp_path / "foreign.raw"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(RawFileError, match="not a SPICE raw file"):
        read_raw(bad)
    with pytest.raises(RawFileError, match="cannot read"):
        read_raw(tmp_path / "missing.raw")
