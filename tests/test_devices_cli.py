"""``circuitlab devices``: list, show, emit and plot for every registered model."""
import subprocess
import sys

import pytest

from circuitlab import devices


def cli(*args):
    return subprocess.run([sys.executable, "-m", "circuitlab.cli.main", "devices", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_list_names_every_registered_model():
    r = cli("list")
    assert r.returncode == 0
    assert [line.split()[0] for line in r.stdout.strip().splitlines()] == list(devices.names())


@pytest.mark.parametrize("name", devices.names())
def test_show_lists_every_parameter_with_unit_and_source(name):
    r = cli("show", name)
    assert r.returncode == 0, r.stderr
    model = devices.get(name)
    for key in model.card():
        assert any(line.split()[:1] == [key] for line in r.stdout.splitlines()), key
    assert "[" in r.stdout  # sources in brackets


@pytest.mark.parametrize("target, marker", [("veriloga", "module"), ("ngspice", ".subckt"), ("numpy", "def ")])
def test_emit_targets(target, marker):
    r = cli("emit", "dwmtj", "--target", target)
    assert r.returncode == 0 and marker in r.stdout


def test_emitted_veriloga_is_the_committed_file(pinned_sympy):
    from circuitlab.resources import veriloga_dir
    committed = (veriloga_dir() / "rram.va").read_text()
    assert cli("emit", "rram", "--target", "veriloga").stdout.strip() == committed.strip()


def test_plot_writes_a_png(tmp_path):
    r = cli("plot", "dwmtj", "-o", tmp_path / "dw.png")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "dw.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_are_one_line():
    r = cli("show", "nosuch")
    assert r.returncode == 1 and r.stderr.strip() == (
        "circuitlab: error: no device model 'nosuch'; registered: " + ", ".join(devices.names()))
    r = cli("emit", "rram", "--target", "spectre")
    assert r.returncode != 0 and "spectre" in r.stderr
