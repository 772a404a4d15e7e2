"""Package data (circuitlab/resources.py): found inside the package, never by paths outside it; built-in
specs by name, where a file of that name always wins."""
import re
from pathlib import Path

import pytest

import circuitlab
from circuitlab.errors import ConfigError
from circuitlab.resources import builtin_spec, builtin_specs, card_path, resolve_spec, spec_dir, veriloga_dir

PACKAGE = Path(circuitlab.__file__).resolve().parent


def test_package_data_lives_inside_the_package():
    for path in (spec_dir(), card_path(), veriloga_dir()):
        assert path.resolve().is_relative_to(PACKAGE) and path.exists(), path
    assert builtin_spec("rc_bsource") == builtin_spec("rc_bsource.toml") == spec_dir() / "rc_bsource.toml"
    assert len(builtin_specs()) == 18 and all(p.suffix == ".toml" for p in builtin_specs().values())


def test_no_module_finds_files_relative_to_its_source():
    """Files are found with importlib.resources only: no ``__file__`` and no ``parents[...]`` walk-ups."""
    offenders = [f"{p.relative_to(PACKAGE)}:{i}" for p in PACKAGE.rglob("*.py")
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"__file__|\.parents\[|\.parent\.parent", line)]
    assert offenders == []


def test_a_file_wins_over_a_builtin_spec_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_spec("rc_bsource") == builtin_spec("rc_bsource")
    (tmp_path / "rc_bsource").write_text("# mine\n")
    assert resolve_spec("rc_bsource") == Path("rc_bsource")


def test_an_unknown_spec_name_is_a_config_error():
    with pytest.raises(ConfigError, match=r"'no_such_spec': no such file, and no built-in spec of that name; "
                                          r"built-in: .*rc_bsource"):
        resolve_spec("no_such_spec")
    with pytest.raises(ConfigError, match=r"'sub/rc_bsource': no such file"):   # a path is never a name
        resolve_spec("sub/rc_bsource")
    with pytest.raises(ConfigError, match=r"no built-in campaign spec 'nope'; built-in: meram_read_margin, meram_unit, "):
        builtin_spec("nope")


def test_mc_specs_lists_and_copies_the_builtin_specs(tmp_path, capsys):
    from circuitlab.cli.main import main
    assert main(["mc", "specs"]) == 0
    out = capsys.readouterr().out
    assert all(re.search(rf"(?m)^{name}\s", out) for name in builtin_specs()), out
    assert "RC low-pass" in out   # the spec's first comment line
    assert main(["mc", "specs", "rc_bsource", "p2m_fig6a_cmos", "--copy", str(tmp_path / "mine")]) == 0
    for name in ("rc_bsource", "p2m_fig6a_cmos"):
        assert (tmp_path / "mine" / f"{name}.toml").read_bytes() == builtin_spec(name).read_bytes()
    capsys.readouterr()
    assert main(["mc", "specs", "rc_bsource", "--copy", str(tmp_path / "mine")]) == 1   # never overwrites
    assert re.search(r"error: .*rc_bsource.toml exists; remove it or copy into another folder", capsys.readouterr().err)
    assert main(["mc", "specs", "nope"]) == 1
    assert "no built-in campaign spec 'nope'" in capsys.readouterr().err


def test_mc_run_names_a_missing_spec_clearly(tmp_path, capsys):
    from circuitlab.cli.main import main
    assert main(["mc", "run", "rc_bsourc", "--out", str(tmp_path / "x.h5")]) == 1
    assert "'rc_bsourc': no such file, and no built-in spec of that name" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()
