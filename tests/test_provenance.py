"""Every model file records the platform that made it (circuitlab/export/provenance.py)."""
import json
import platform
import subprocess
import sys

import numpy as np

from circuitlab.export.modelfile import Axis, ModelFile, Table, load_model, save_model
from circuitlab.export.provenance import PREFIX, cpu_model, platform_info


def test_save_model_adds_the_platform_and_keeps_the_exporters_fields(tmp_path):
    import scipy
    axes = (Axis("voltage", np.array([1.0, 2.0]), "V"), Axis("width", np.array([1e-9, 2e-9]), "s"))
    m = ModelFile("vcmtj_psw", {}, {"p_switch": Table(np.full((2, 2), 0.5), "1", axes)},
              provenance={"seed": 3, PREFIX + "os": "set by the exporter"})
    path = save_model(m, tmp_path / "m.h5")
    prov = load_model(path).provenance
    assert prov["seed"] == 3 and prov[PREFIX + "os"] == "set by the exporter"   # an exporter's field wins
    assert prov[PREFIX + "numpy"] == np.__version__ and prov[PREFIX + "scipy"] == scipy.__version__
    assert prov[PREFIX + "python"] == platform.python_version() and prov[PREFIX + "cpu"] == cpu_model()
    side = json.loads(path.with_suffix(".h5.json").read_text())
    assert side["provenance"][PREFIX + "machine"] == platform.machine()
    assert m.provenance == {"seed": 3, PREFIX + "os": "set by the exporter"}   # the caller's model is untouched


def test_platform_info_names_the_cpu_and_never_imports_torch():
    code = ("import sys; from circuitlab.export.provenance import platform_info; i = platform_info(); "
            "print('torch' in sys.modules, i['platform_torch'] != '', i['platform_cpu'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[:2] == ["False", "True"] and len(out) > 2
    info = platform_info()
    assert all(k.startswith(PREFIX) and isinstance(v, str) and v for k, v in info.items())
    if sys.platform.startswith("linux"):   # /proc/cpuinfo's model name, e.g. "Intel(R) Xeon(R) ..."
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        assert not names or info[PREFIX + "cpu"] == names[0]
