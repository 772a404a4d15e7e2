"""Every Python block of the README that is tagged ``<!-- example: NAME -->`` runs, in order, in one
namespace and a temporary folder (later examples may use earlier ones' files, as a reader would)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
# ("example", name, code) runs; ("file", name, text) is written to the working folder first
BLOCKS = re.findall(r"<!-- (example|file): ([\w.-]+) -->\s*```\w*\n(.*?)```", README.read_text(), re.S)
EXAMPLES = [(n, c) for k, n, c in BLOCKS if k == "example"]


def test_there_are_examples():
    assert [n for n, _ in EXAMPLES][:5] == ["devices", "montecarlo", "fit", "pytorch", "rram"]


@pytest.mark.ngspice
def test_readme_examples_run(tmp_path, capsys):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        ns = {"__name__": "__readme__"}
        for kind, name, code in BLOCKS:
            if kind == "file":
                Path(name).write_text(code)
            else:
                exec(compile(code, f"README example {name}", "exec"), ns)   # noqa: S102 - our own documentation
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert out.startswith("// vcmtj") and "process r" in out
    assert "torch.Size([2, 10])" in out          # the RRAM ResNet-20's logits
    assert "dask == local: True" in out          # a loopback Dask cluster writes the local run's samples
    t63 = float(out.split("t63 ")[1].split(" ms")[0])
    assert abs(t63 - 1.0) < 0.02                 # RC ln(1/(1-0.632)) = 1.000 ms, 5 % sigma of R over 200 samples
