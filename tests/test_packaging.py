"""The wheel works outside the checkout: it holds the package data, installs without setuptools
deprecation warnings, and `circuitlab p2m characterise` and `circuitlab demo` run from an unrelated folder.

The wheel is built from a copy of the tracked files (no build isolation: offline, and the running
environment's setuptools is the one ``[build-system]`` asks for), installed with ``--no-deps`` into a
fresh virtual environment in ``tmp_path``; the dependencies come from the running environment through
a ``.pth`` line *after* the new site-packages, so the installed circuitlab, not the checkout or an
editable install, is the one imported (checked through ``circuitlab.__file__``).
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.ngspice

# what the runtime reads from the package (circuitlab/resources.py); the test fails if one goes missing
SPECS = ("rc_bsource", "p2m_fig6a_cmos", "p2m_fig6b_dwmtj", "p2m_fig6c_hybrid", "p2m_fig6d_read", "meram_unit",
         "rram_relaxation", "rram_ir_drop", "rram_ir_drop_1t1r", "rram_settling", "rram_adc", "rram_energy")
VA = ("dwmtj", "rram", "rram_cim", "vcmtj", "vcmtj_markov")
MODELS = ("vcmtj_psw", "meram_eps", "p2m_f1", "p2m_f2", "rram_cim")


def _tracked_copy(dest: Path) -> Path:
    """The checkout's tracked files (as in the working tree) under ``dest``: no build/, .venv or caches."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _clean_env(venv: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel path, build output, venv folder, environment for running the venv's commands)."""
    import setuptools
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the tracked files")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.fail(f"setuptools {setuptools.__version__} cannot build circuitlab (SPDX licence field): "
                    "install '.[test]' (setuptools>=77)")
    base = tmp_path_factory.mktemp("wheel")
    src = _tracked_copy(base / "src")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--no-index", "-w", str(base / "dist"), str(src)],
                           capture_output=True, text=True, timeout=300)
    log = build.stdout + build.stderr
    assert build.returncode == 0, log
    wheel = next((base / "dist").glob("circuitlab-*.whl"))

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    # the running environment's packages (numpy, h5py, PySpice, ...) after the venv's own site-packages
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "zz_circuitlab_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    return wheel, log + inst.stdout + inst.stderr, venv, _clean_env(venv)


def test_wheel_holds_the_package_data(installed):
    wheel, _, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"circuitlab/specs/{s}.toml" for s in SPECS} | {f"circuitlab/devices/va/{v}.va" for v in VA} \
        | {f"circuitlab/models/{m}.h5" for m in MODELS} | {"circuitlab/circuits/cards/ptm22hp.mod", "circuitlab/circuits/cards/vcmtj.toml"}
    assert expected <= names, sorted(expected - names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # every spec file of the checkout ships (a new spec cannot be forgotten in package-data)
    assert {f"circuitlab/specs/{p.name}" for p in (ROOT / "circuitlab" / "specs").glob("*.toml")} <= names


def test_build_and_install_print_no_deprecation_warning(installed):
    _, log, _, _ = installed
    assert "SetuptoolsDeprecationWarning" not in log, log
    # setuptools 84 says "`project.license` as a TOML table is deprecated" (a BuildBackendWarning)
    assert "deprecated" not in log.lower(), log


def test_installed_package_runs_from_an_unrelated_folder(installed, tmp_path):
    _, _, venv, env = installed
    code = ("import circuitlab, sys\n"
            "from circuitlab.circuits import EXAMPLES\n"
            "from circuitlab.resources import builtin_specs, card_path, veriloga_dir\n"
            "text = EXAMPLES['p2m_cmos_weight']().to_text()\n"
            "print(circuitlab.__file__); print(card_path()); print(veriloga_dir()); print(len(builtin_specs()))\n"
            "print('nmos22' in text and 'pmos22' in text)\n")
    r = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    module, card, va, n_specs, cards_inline = r.stdout.split("\n")[:5]
    for path in (module, card, va):
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
        assert not Path(path).resolve().is_relative_to(ROOT), path
    assert int(n_specs) == len(list((ROOT / "circuitlab" / "specs").glob("*.toml"))) and cards_inline == "True"


def test_installed_cli_lists_and_runs_a_builtin_spec_by_name(installed, tmp_path):
    _, _, venv, env = installed
    exe = str(venv / "bin" / "circuitlab")
    r = subprocess.run([exe, "mc", "specs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and all(s in r.stdout for s in SPECS), r.stdout + r.stderr
    r = subprocess.run([exe, "mc", "run", "rc_bsource", "--out", "rc.h5", "--samples", "4", "--workers", "1",
                        "--no-progress"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "4 ok" in r.stdout, r.stdout + r.stderr


def test_installed_p2m_characterise_and_demo(installed, tmp_path):
    """The two commands of the issue, from an unrelated folder with PYTHONPATH unset. The smallest sizes
    that still exercise every stage: P2M at its minimum of 40 samples per campaign (--quick 0.001),
    the demo with 16 Monte Carlo samples and 4 LLG trials (its other stages are fixed in size)."""
    _, _, venv, env = installed
    exe = str(venv / "bin" / "circuitlab")
    r = subprocess.run([exe, "p2m", "characterise", "--out-dir", "p2m", "--quick", "0.001", "--workers", "2",
                        "--only", "p2m_fig6a_cmos", "p2m_fig6d_read"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("p2m_fig6a_cmos.h5", "p2m_fig6d_read.h5", "p2m_summary.json"):
        assert (tmp_path / "p2m" / name).stat().st_size > 0, name
    r = subprocess.run([exe, "demo", "--out-dir", "demo", "--samples", "16", "--trials", "4", "--p2m-quick", "0.001"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    demo = tmp_path / "demo"
    for name in ("rc_step_and_lowpass.png", "mc/rc_bsource.h5", "llg/psw.h5", "meram/eps.h5", "p2m/p2m_summary.json",
                 "models/vcmtj_psw.h5", "models/meram_eps.h5", "models/p2m_f1.h5", "models/p2m_f2.h5"):
        assert (demo / name).stat().st_size > 0, name
