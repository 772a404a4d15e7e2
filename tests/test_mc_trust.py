"""Specs are code: names that reach netlists are validated at load, and safe mode (--safe, and the
default for a results file made by another user or host) runs only what circuitlab ships or the user
allows. Also the warning for a relative variation of a zero nominal value."""
from __future__ import annotations

import logging
import re
import warnings

import h5py
import numpy as np
import pytest

from circuitlab.cli.main import main
from circuitlab.errors import ConfigError, UntrustedSpecError, ZeroNominalWarning
from circuitlab.montecarlo import load_spec, parse_spec, summary
from circuitlab.montecarlo.engine import resume_campaign, run_campaign
from circuitlab.montecarlo.trust import Trust, check_spec, foreign, provenance

RC = """
name = "rc"
builder = "circuitlab.montecarlo.examples:rc_bsource"
seed = 3
samples = 4
stack_size = 2
[parameters]
r = 1000.0
c = 1e-10
g3 = 1e-4
vdd = 1.0
[[variation]]
params = ["r"]
sigma = 0.05
[record]
vectors = ["v(out)"]
time = { start = 0.0, stop = 1e-6, points = 11 }
measures = ["vmax"]
"""
# the injection: a vector name that closes the .save line and adds a control block
INJECTED = 'vectors = ["v(out)\\n.control\\nshell touch {marker}\\n.endc\\n*"]'
SQUARE = """
name = "square"
evaluator = "{evaluator}"
seed = 5
samples = 6
batch_size = 2
[parameters]
x = 2.0
[[variation]]
params = ["x"]
sigma = 0.1
[record]
measures = ["y"]
"""
TEMPLATE = '''
name = "tpl"
seed = 1
samples = 2
template = """title
v1 1 0 1
r1 1 0 {{r}}
{extra}
.op
.end
"""
[parameters]
r = 1e3
[record]
measures = ["x"]
'''


def rows(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ("params", "status", "error", "measures", "derived")}


def same(a, b) -> bool:
    return all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a)


@pytest.fixture(autouse=True)
def _campaign_log():
    """The CLI gives the campaign logger a handler on the (captured, later closed) stderr of the test that
    ran it: start each test without one (an earlier test module's would write into this test's stderr)."""
    log = logging.getLogger("circuitlab.montecarlo")
    saved = (list(log.handlers), log.level, log.propagate)
    log.handlers[:] = []
    yield
    log.handlers[:], log.level, log.propagate = saved[0], saved[1], saved[2]


# --- names that reach a netlist -----------------------------------------------------------------
def test_injected_vector_name_is_refused_at_load(tmp_path):
    marker = tmp_path / "marker"
    text = RC.replace('vectors = ["v(out)"]', INJECTED.format(marker=marker))
    with pytest.raises(ConfigError, match=r"\[record\]: vectors entry 'v\(out\)\\n\.control\\nshell touch .* is not "
                                          r"a vector name; give v\(node\), v\(node1,node2\), i\(source\)"):
        parse_spec(text)
    path = tmp_path / "spec.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"is not a vector name"):
        load_spec(path)
    assert not marker.exists()


def test_injected_vector_name_is_refused_by_the_cli(tmp_path, capsys):
    marker = tmp_path / "marker"
    path = tmp_path / "spec.toml"
    path.write_text(RC.replace('vectors = ["v(out)"]', INJECTED.format(marker=marker)))
    assert main(["mc", "run", str(path), "--out", str(tmp_path / "r.h5"), "--workers", "1", "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert "is not a vector name" in err and len(err.splitlines()) == 1
    assert not marker.exists() and not (tmp_path / "r.h5").exists()


@pytest.mark.parametrize("name", ["v(out) v(in)", "v(out);x", "v(out)\n", "v(out\n)", "v( out )", "v(out)*",
                                  "v({r})", "out\r", "\u2028v(out)", ".control", "v(a,b,c)", "i(v1"])
def test_bad_vector_names(name):
    text = RC.replace('vectors = ["v(out)"]', f"vectors = [{_toml(name)}]")
    with pytest.raises(ConfigError, match=r"\[record\]: vectors entry .* is not a vector name"):
        parse_spec(text)


@pytest.mark.parametrize("name", ["v(out)", "V(A,b)", "i(vin)", "I(v.x1.vdd)", "out", "v1#branch", "@m1[id]",
                                  "v(x1.out)", "v(n+,n-)"])
def test_good_vector_names(name):
    assert parse_spec(RC.replace('vectors = ["v(out)"]', f"vectors = [{_toml(name)}]")).record.vectors == (name,)


def _toml(s: str) -> str:
    return '"' + s.encode("unicode_escape").decode().replace('"', '\\"') + '"'


@pytest.mark.parametrize("old, new, match", [
    ('measures = ["vmax"]', 'measures = ["vmax\\n"]', r"\[record\]: measures='vmax\\n' must be a name"),
    ("r = 1000.0", '"r\\n" = 1000.0', r"\[parameters\]: 'r\\n'='r\\n' must be a name"),
    ("builder = \"circuitlab.montecarlo.examples:rc_bsource\"",
     "builder = \"circuitlab.montecarlo.examples:rc_bsource\\n\"", r"must look like 'package.module:function'"),
    ('name = "rc"', 'name = "rc\\n.control"', r"name='rc\\n.control' holds the control character '\\n'"),
])
def test_other_names_match_whole(old, new, match):
    with pytest.raises(ConfigError, match=match):
        parse_spec(RC.replace(old, new))


# --- zero nominal ---------------------------------------------------------------------------------
def test_relative_variation_of_zero_nominal_warns_once_per_parameter():
    text = RC.replace("vdd = 1.0", "vdd = 1.0\nvoff = 0.0\nioff = 0.0") + (
        '[[variation]]\nparams = ["voff", "ioff"]\nsigma = 0.1\nscope = "mismatch"\n'
        '[[variation]]\nparams = ["voff"]\ndistribution = "uniform"\nhalf_width = 0.2\n')
    with pytest.warns(ZeroNominalWarning) as got:
        spec = parse_spec(text)
    messages = sorted(str(w.message) for w in got)
    assert len(messages) == 2  # once per parameter, although voff has two relative variations
    assert re.match(r"\[\[variation\]\] #2: parameter 'ioff' has nominal value 0, so its relative variation .* "
                    r"leaves it at 0 in every sample; use type = 'absolute'", messages[0])
    assert messages[1].startswith("[[variation]] #2: parameter 'voff' has nominal value 0")
    from circuitlab.montecarlo.sampling import draw_sample
    assert [draw_sample(spec, k).points[0]["voff"] for k in range(1, 4)] == [0.0, 0.0, 0.0]  # what it warns of
    absolute = text.replace('sigma = 0.1\nscope = "mismatch"', 'sigma = 0.1\ntype = "absolute"\nscope = "mismatch"')
    absolute = absolute.replace('half_width = 0.2\n', 'half_width = 0.2\ntype = "absolute"\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_spec(absolute)  # absolute variations of a zero nominal are fine


@pytest.mark.ngspice
def test_workers_do_not_repeat_the_zero_nominal_warning(tmp_path, capfd):
    text = RC.replace("g3 = 1e-4", "g3 = 0.0") + '[[variation]]\nparams = ["g3"]\nsigma = 0.1\n'
    with pytest.warns(ZeroNominalWarning, match=r"parameter 'g3' has nominal value 0") as got:
        spec = parse_spec(text)
    assert len(got) == 1
    run_campaign(spec, tmp_path / "r.h5", workers=2, progress=False)  # each worker parses the spec again
    assert summary(tmp_path / "r.h5")["ok"] == 4
    assert "ZeroNominalWarning" not in capfd.readouterr().err


# --- safe mode: what it refuses -------------------------------------------------------------------
SAFE = Trust(safe=True)


@pytest.mark.parametrize("evaluator, match", [
    ("subprocess:run", r"safe mode refused evaluator 'subprocess:run': module 'subprocess' is not part of "
                       r"circuitlab.*pass --allow-module subprocess"),
    ("os:system", r"module 'os' is not part of circuitlab"),
    ("mc_trust_helpers:square", r"module 'mc_trust_helpers' is not part of circuitlab"),
    ("circuitlab.cli.main:main", r"module 'circuitlab.cli.main' is not part of circuitlab"),
    ("circuitlab.montecarlo.trust:dataclass", r"it is dataclasses.dataclass, which circuitlab only imports"),
    ("circuitlab.montecarlo.trust:_user", r"it names a private function"),
])
def test_safe_mode_refuses_functions_from_outside_circuitlab(evaluator, match, tmp_path):
    spec = parse_spec(SQUARE.format(evaluator=evaluator))
    with pytest.raises(UntrustedSpecError, match=match):
        check_spec(spec, SAFE)
    with pytest.raises(UntrustedSpecError, match=match):
        run_campaign(spec, tmp_path / "r.h5", trust=SAFE)
    assert not (tmp_path / "r.h5").exists()
    check_spec(spec, Trust(safe=False))  # without safe mode nothing is checked
    check_spec(spec, None)


def test_allowed_modules_from_the_argument_and_the_environment(monkeypatch):
    spec = parse_spec(SQUARE.format(evaluator="mc_trust_helpers:square"))
    check_spec(spec, Trust(safe=True, allow_modules=("mc_trust_helpers",)))
    with pytest.raises(UntrustedSpecError, match="not part of circuitlab"):
        check_spec(spec, Trust(safe=True, allow_modules=("mc_trust",)))  # a module, not a name prefix
    monkeypatch.setenv("CIRCUITLAB_ALLOW_MODULES", "numpy, mc_trust_helpers")
    check_spec(spec, SAFE)


@pytest.mark.parametrize("extra, match", [
    (".control\nshell touch x\n.endc", r"safe mode refused the template: it has a '.control' block"),
    ("  .CONTROL\nrun\n.endc", r"it has a '.CONTROL' block"),
    ("*# shell touch x", r"its line '\*# shell touch x' makes ngspice run commands"),
    ("*ng_script", r"makes ngspice run commands"),
    (".include /etc/hosts", r"'/etc/hosts' is outside the spec's folder"),
    (".lib '../models.lib' tt", r"paths with '..', '~' or '\$' can leave the spec's folder"),
    (".inc ~/models.lib", r"paths with '..'"),
    (".include\n+ /etc/hosts", r"'/etc/hosts' is outside the spec's folder"),
])
def test_safe_mode_refuses_templates_that_run_commands_or_read_outside(extra, match, tmp_path):
    spec = parse_spec(TEMPLATE.format(extra=extra))
    with pytest.raises(UntrustedSpecError, match=match):
        check_spec(spec, SAFE, tmp_path)


def test_safe_mode_checks_included_files_in_the_spec_folder(tmp_path):
    (tmp_path / "ok.lib").write_text("* models\n.model dx d is=1e-14\n")
    (tmp_path / "bad.lib").write_text("* models\n.control\nshell touch x\n.endc\n")
    check_spec(parse_spec(TEMPLATE.format(extra=".include ok.lib")), SAFE, tmp_path)
    check_spec(parse_spec(TEMPLATE.format(extra=f'.include "{tmp_path / "ok.lib"}"')), SAFE, tmp_path)
    with pytest.raises(UntrustedSpecError, match=r"refused the included file 'bad.lib': it has a '.control' block"):
        check_spec(parse_spec(TEMPLATE.format(extra=".include bad.lib")), SAFE, tmp_path)
    with pytest.raises(UntrustedSpecError, match=r"the spec has no folder to include from"):
        check_spec(parse_spec(TEMPLATE.format(extra=".include ok.lib")), SAFE, None)
    # nested includes start from the including file's folder, as ngspice reads them; quoted paths
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "top.lib").write_text("* top\n.include sub.lib\n")
    (tmp_path / "models" / "sub.lib").write_text("* sub\n*# shell touch x\n")
    (tmp_path / "sub.lib").write_text("* harmless decoy at the spec's folder\n")
    with pytest.raises(UntrustedSpecError, match=r"refused the included file 'sub.lib': its line '\*# shell"):
        check_spec(parse_spec(TEMPLATE.format(extra=".include models/top.lib")), SAFE, tmp_path)
    (tmp_path / "my models.lib").write_text(".control\n.endc\n")
    with pytest.raises(UntrustedSpecError, match=r"refused the included file 'my models.lib'"):
        check_spec(parse_spec(TEMPLATE.format(extra='.include "my models.lib"')), SAFE, tmp_path)


@pytest.mark.parametrize("spec_text, match", [
    (SQUARE.format(evaluator="subprocess:run"), r"safe mode refused evaluator 'subprocess:run'"),
    (TEMPLATE.format(extra=".control\nshell touch {marker}\n.endc"), r"safe mode refused the template"),
])
def test_cli_safe_refuses_with_one_line(spec_text, match, tmp_path, capsys):
    marker = tmp_path / "marker"
    path = tmp_path / "spec.toml"
    path.write_text(spec_text.replace("{marker}", str(marker)))
    assert main(["mc", "run", str(path), "--out", str(tmp_path / "r.h5"), "--safe", "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.search(match, err)
    assert not marker.exists() and not (tmp_path / "r.h5").exists()


# --- safe mode: what it runs ----------------------------------------------------------------------
@pytest.mark.ngspice
def test_circuitlab_builder_runs_in_safe_mode_as_without_it(tmp_path, capsys):
    path = tmp_path / "rc.toml"
    path.write_text(RC)
    assert main(["mc", "run", str(path), "--out", str(tmp_path / "safe.h5"), "--safe", "--workers", "1",
                 "--no-progress"]) == 0
    assert "4/4 samples done, 4 ok, 0 failed" in capsys.readouterr().out
    run_campaign(parse_spec(RC), tmp_path / "plain.h5", workers=1, progress=False)
    a, b = rows(tmp_path / "safe.h5"), rows(tmp_path / "plain.h5")
    assert same(a, b)  # safe mode changes nothing it runs
    # the 1 V pulse is high for 201 ns (after a 1 ns rise): the linear RC response reaches at most
    # 1 - exp(-202 ns / RC) (RC = 100 ns nominal), and the cubic sink only pulls the output lower
    r, c = a["params"][:, 0], a["params"][:, 1]
    vmax = a["measures"][:, 0, 0]
    assert np.all((vmax > 0.7) & (vmax < 1.0 - np.exp(-202e-9 / (r * c))))


def test_allowed_module_runs_in_safe_mode(tmp_path, capsys):
    path = tmp_path / "sq.toml"
    path.write_text(SQUARE.format(evaluator="mc_trust_helpers:square"))
    out = tmp_path / "sq.h5"
    assert main(["mc", "run", str(path), "--out", str(out), "--safe", "--workers", "1"]) == 1
    assert "pass --allow-module mc_trust_helpers" in capsys.readouterr().err
    assert main(["mc", "run", str(path), "--out", str(out), "--safe", "--allow-module", "mc_trust_helpers",
                 "--workers", "1", "--no-progress"]) == 0
    r = rows(out)
    assert summary(out)["ok"] == 6
    np.testing.assert_allclose(r["measures"][:, 0, 0], r["params"][:, 0] ** 2, rtol=1e-15)  # x**2 in the worker


# --- results files from elsewhere ----------------------------------------------------------------
def _foreign_partial(tmp_path, **attrs):
    """A 6-sample evaluator campaign (a module outside circuitlab) with samples 3..5 pending, made by
    someone else."""
    path = tmp_path / "sq.h5"
    run_campaign(parse_spec(SQUARE.format(evaluator="mc_trust_helpers:square")), path, workers=1, progress=False)
    full = rows(path)
    with h5py.File(path, "r+") as f:
        status = f["status"][()]
        status[3:] = -1
        f["status"][...] = status
        for k, v in attrs.items():
            if v is None:
                del f.attrs[k]
            else:
                f.attrs[k] = v
    return path, full


def test_provenance_is_recorded_and_own_files_resume_without_trust(tmp_path):
    path, full = _foreign_partial(tmp_path)
    with h5py.File(path, "r") as f:
        assert foreign(f.attrs) is None
        assert f.attrs["created_host"] == provenance()["created_host"] and f.attrs["created_uid"] == provenance()[
            "created_uid"]
    resume_campaign(path, workers=1, progress=False)  # own file: trusted, the test module runs
    assert same(rows(path), full)


@pytest.mark.parametrize("attrs, reason", [
    ({"created_host": "elsewhere.example"}, r"was made on host 'elsewhere.example' by user"),
    ({"created_user": "colleague"}, r"by user 'colleague'"),
    ({"created_host": None}, r"records no host or user"),
])
def test_foreign_file_resumes_in_safe_mode_unless_trusted(attrs, reason, tmp_path, capsys):
    path, full = _foreign_partial(tmp_path, **attrs)
    match = (rf"results file '.*sq.h5' .*{reason}.*, so its spec runs in safe mode, which refused evaluator "
             rf"'mc_trust_helpers:square': module 'mc_trust_helpers' is not part of circuitlab.*pass --trust "
             rf"\(Python: trust=Trust\(safe=False\)\), or --allow-module mc_trust_helpers to allow that module only")
    with pytest.raises(UntrustedSpecError, match=match):
        resume_campaign(path, workers=1, progress=False)
    assert summary(path)["done"] == 3  # refused before the file was touched
    assert main(["mc", "resume", str(path), "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.search(match, err)
    assert main(["mc", "rerun", str(path), "--sample", "1", "--out-dir", str(tmp_path / "s1")]) == 1
    assert "pass --trust" in capsys.readouterr().err and not (tmp_path / "s1").exists()
    assert main(["mc", "resume", str(path), "--trust", "--workers", "1", "--no-progress"]) == 0
    assert same(rows(path), full)


def test_foreign_file_with_an_allowed_module_and_forced_safe_mode(tmp_path):
    path, full = _foreign_partial(tmp_path, created_host="elsewhere.example")
    resume_campaign(path, workers=1, progress=False, trust=Trust(allow_modules=("mc_trust_helpers",)))
    assert same(rows(path), full)
    (tmp_path / "own").mkdir()
    own, _ = _foreign_partial(tmp_path / "own")
    with pytest.raises(UntrustedSpecError, match=r"^safe mode refused evaluator 'mc_trust_helpers:square'"):
        resume_campaign(own, workers=1, progress=False, trust=SAFE)  # --safe on one's own file


def test_every_shipped_spec_passes_safe_mode():
    """The campaigns circuitlab ships run in safe mode (wherever the package keeps its specs)."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    specs = sorted({*root.glob("characterisation/*.toml"), *root.glob("circuitlab/specs/*.toml")})
    assert len(specs) >= 14
    for path in specs:
        check_spec(load_spec(path), SAFE, path.parent)


def _attrs_only_file(path, spec_text, base):
    """A results file with only what the trust check reads: a campaign file's root attributes."""
    with h5py.File(path, "w") as f:
        f.attrs.update({"format": "circuitlab.montecarlo.campaign", "schema_version": 1, "spec": spec_text,
                        "spec_base": str(base), **provenance()})
        for name in ("params", "status", "error", "netlist_sha256", "vectors", "measures", "derived", "time",
                     "sweep"):
            f.create_dataset(name, data=np.zeros(0))
    return path


def test_a_foreign_file_has_no_folder_to_include_from(tmp_path):
    (tmp_path / "ok.lib").write_text("* models\n")
    spec = TEMPLATE.format(extra=f'.include "{tmp_path / "ok.lib"}"')
    path = _attrs_only_file(tmp_path / "t.h5", spec, tmp_path)
    from circuitlab.montecarlo.trust import check_file
    check_file(path, SAFE)  # own file: its folder counts
    with h5py.File(path, "r+") as f:
        f.attrs["created_host"] = "elsewhere.example"
    with pytest.raises(UntrustedSpecError, match=r"was made on host 'elsewhere.example'.*refused .include .*ok.lib' "
                                                 r"in the template: the spec has no folder to include from"):
        check_file(path, None)


def test_a_foreign_template_file_is_refused_in_safe_mode(tmp_path):
    (tmp_path / "t.cir").write_text("title\nv1 1 0 1\nr1 1 0 {r}\n.op\n.end\n")
    text = ('name = "tf"\nseed = 1\nsamples = 2\ntemplate_file = "t.cir"\n[parameters]\nr = 1e3\n'
            '[record]\nmeasures = ["x"]\n')
    path = _attrs_only_file(tmp_path / "t.h5", text, tmp_path)
    from circuitlab.montecarlo.trust import check_file
    check_file(path, SAFE)  # own file: the template file is read from its folder and checked
    with h5py.File(path, "r+") as f:
        f.attrs["created_user"] = "colleague"
    with pytest.raises(UntrustedSpecError, match=r"by user 'colleague'.*refused template_file 't.cir': it is read "
                                                 r"again from this machine, at a path the file names"):
        check_file(path, None)
