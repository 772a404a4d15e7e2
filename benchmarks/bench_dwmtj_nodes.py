"""ngspice CPU time of the P2M Fig. 4 convolution transient (13 domain-wall MTJs, 12 BSIM4 transistors) with the
domain-wall model's shared quantities on internal nodes (``Quantity.node_scale``: the track current, the
wall-angle rate and the velocity, as the subcircuit is emitted now) against every quantity written out
inline in each B-source (as before). Both netlists are the same circuit and sample; only the ``dwmtj``
subcircuit differs. Runs ``ngspice -b`` on each, alternated, and reports the children's user CPU seconds,
their ratio and the largest relative difference of the measured results (both runs at ngspice's default
tolerances, or at ``--reltol``: with 1e-5 both forms agree to about 2e-5 while each moves about 0.6 % from its
default-tolerance result). Run: ``.venv/bin/python benchmarks/bench_dwmtj_nodes.py [--repeats 2] [--reltol 1e-5]``.
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import resource
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuitlab.circuits.p2m_campaigns import fig4_conv  # noqa: E402
from circuitlab.devices import get  # noqa: E402
from circuitlab.devices.ngspice import subcircuit  # noqa: E402

SPEC = ROOT / "circuitlab" / "specs" / "p2m_fig4_conv.toml"
MEASURES = ("vpre", "vth", "qp", "qn", "e_vdd", "e_gate")


def netlists() -> tuple[str, str]:
    text = fig4_conv(tomllib.loads(SPEC.read_text())["parameters"]).to_text()
    model = get("dwmtj")
    inline = dataclasses.replace(model, quantities=tuple(dataclasses.replace(q, node_scale=0.0)
                                                          for q in model.quantities))
    old_block = "\n".join(subcircuit(inline).lines())
    start, end = text.index(".subckt dwmtj"), text.index(".ends dwmtj") + len(".ends dwmtj")
    if "\n".join(subcircuit(model).lines()) != text[start:end]:
        raise SystemExit("the Fig. 4 netlist's dwmtj block is not the default subcircuit: update this benchmark")
    return text, text[:start] + old_block + text[end:]


def run(text: str, folder: Path) -> tuple[float, dict]:
    path = folder / "run.cir"
    path.write_text(text)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    out = subprocess.run(["ngspice", "-b", path.name], cwd=folder, capture_output=True, text=True, check=True).stdout
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    found = {m: float(v) for m, v in re.findall(r"^(\w+)\s+=\s+([-+0-9.eE]+)", out, re.M) if m in MEASURES}
    return cpu, found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--reltol", type=float, default=None, help="ngspice RELTOL for both runs (default: 1e-3)")
    args = ap.parse_args()
    nodes, inline = netlists()
    if args.reltol is not None:
        card = f"\n.options reltol={args.reltol!r}"
        nodes, inline = (t[:t.rindex("\n.end")] + card + t[t.rindex("\n.end"):] for t in (nodes, inline))
    t_nodes, t_inline = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            a, res_inline = run(inline, Path(tmp))
            b, res_nodes = run(nodes, Path(tmp))
            t_inline.append(a)
            t_nodes.append(b)
    diff = max(abs(res_nodes[m] - res_inline[m]) / max(abs(res_inline[m]), 1e-30) for m in res_inline)
    a, b = min(t_inline), min(t_nodes)
    for m in MEASURES:
        print(f"{m:6s} inline {res_inline.get(m, float('nan')): .6e}   nodes {res_nodes.get(m, float('nan')): .6e}")
    print(f"SUMMARY bench_dwmtj_nodes: Fig. 4 transient {a / b:.2f}x less CPU with node quantities "
          f"({a:.1f} s -> {b:.1f} s user, best of {args.repeats}, reltol {args.reltol or 1e-3:g}); largest relative "
          f"change of a measure {diff:.1e}")


if __name__ == "__main__":
    main()
