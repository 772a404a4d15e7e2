"""The pipeline's report: one Markdown file and one self-contained HTML page (plots embedded as data
URIs, no scripts, no remote resources; links only to files inside the pipeline folder).

Every seed figure stands beside the seed's own number with the reason for the difference, and every
number says where it came from (the file, relative to the pipeline folder, and the seed).
"""
from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .. import __version__

# the seeds' own numbers (../shared/seeds/): P2M Fig. 6 (worst-case variation, %), MeRAM Fig. 3-4, NeuRRAM
SEED_P2M = {"6a CMOS": (10.94, "cmos"), "6b DW-MTJ": (39.39, "dwmtj"), "6c CMOS+X": (8.03, "hybrid"),
            "6d lower bound": (11.38, "read")}
SEED_RRAM = {"voltage": 2.16e-15, "current": 7.81e-15}
SEED_RESNET = {"nonideal_untrained": 25.0, "noise_trained": 85.99, "chip": 83.67, "finetuned": 85.66}


@dataclass
class Block:
    kind: str                       # heading, text, table, image, link
    value: object
    level: int = 2


def _fmt(v, digits: int = 4) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "n/a"
        return f"{v:.{digits}g}"
    return str(v)


def _json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def _find(outputs: Dict[str, Path], suffix: str) -> Optional[Path]:
    for k, p in outputs.items():
        if str(p).endswith(suffix):
            return Path(p)
    return None


def build_blocks(inputs: Dict[str, Dict[str, Path]], records: Dict[str, dict], quick: bool) -> List[Block]:
    size = "quick (reduced sizes: the chain, not the seeds' numbers)" if quick else "full run"
    b: List[Block] = [Block("heading", "circuitlab pipeline report", 1),
                      Block("text", f"circuitlab {__version__}; {size}. Every model file below was made by this run "
                                    "from the device equations; the evaluations imported those files, not the "
                                    "shipped ones.")]
    m = records
    # --- seed vs ours -----------------------------------------------------------------------------------------
    b.append(Block("heading", "Seed figures beside ours"))
    rows = [("figure", "seed", "ours", "source", "why they differ")]
    mer = m.get("meram", {}).get("metrics", {})
    rows.append(("MeRAM Fig. 3b: Var(eps), raw", "1 (standard normal)", _fmt(mer.get("variance_raw")),
                 "meram/meram_eps.h5 (seed 20260101)", "recalibrated VC-MTJ card; finite LLG trials "
                 "(binomial error of each P_sw) move the variance by a few per cent"))
    rows.append(("MeRAM Fig. 3b: range", "+-4 sigma", f"+-{_fmt(mer.get('range_sigma'), 3)} sigma",
                 "meram/meram_eps.h5", "the 8-bit lattice's largest |eps| over its std"))
    worst = m.get("p2m", {}).get("metrics", {}).get("worst_case", {})
    for label, (seed, key) in SEED_P2M.items():
        ours = next((v for k, v in worst.items() if key in k), None)
        rows.append((f"P2M Fig. {label}: worst-case variation", f"{seed} %",
                     f"{100 * ours:.1f} %" if isinstance(ours, (int, float)) else "-", "p2m/p2m_summary.json",
                     "3 sigma of the random part over the dynamic range (6a-c), lower bound (6d); "
                     + ("40-sample campaigns: sampling error of several points" if quick else
                        "1-D wall model and cell sizing differ from the seed's (docs/p2m_physics.md)")))
    rr = m.get("rram", {}).get("metrics", {})
    for mode in ("voltage", "current"):
        v = rr.get(f"energy_per_mac_{mode}_seed")
        rows.append((f"NeuRRAM energy per MAC, {mode} mode", f"{SEED_RRAM[mode] * 1e15:.2f} fJ",
                     f"{v * 1e15:.2f} fJ" if isinstance(v, float) else "-", "rram/rram_cim.h5",
                     "array only, under the seed's conditions; word-line charging left out (README)"))
    dd = m.get("ddpm", {}).get("metrics", {})
    both = dd.get("protocols", dd).get("both", {})
    metric = dd.get("metric", "FD")
    g = both.get("gaussian", {})
    me = next((v for k, v in both.items() if k.startswith("meram")), {})
    rows.append((f"DDPM Fig. 4b: {metric}, software noise", "FID 12.1 (CelebA-HQ)", _fmt(g.get("fd")),
                 "ddpm/out/ddpm_results.json", "classifier features on offline digits, not Inception on CelebA-HQ: "
                 "compare the two rows, not the values"))
    rows.append((f"DDPM Fig. 4b: {metric}, MeRAM noise", "FID 13.1", _fmt(me.get("fd")), "ddpm/out/ddpm_results.json",
                 "criterion: within the seed-to-seed spread of software noise"))
    rows += snn_rows(m.get("snn", {}).get("metrics", {}))
    rs = m.get("resnet", {}).get("metrics", {})
    for key, seed in SEED_RESNET.items():
        rows.append((f"ResNet-20: {key.replace('_', ' ')}", f"{seed} %", _pct(rs.get(key)),
                     "resnet/out/resnet_results.json", "colour-MNIST stand-in for CIFAR-10, smaller training"))
    b.append(Block("table", rows))
    # --- campaigns, fits, energies ----------------------------------------------------------------------------
    b.append(Block("heading", "Campaigns"))
    rows = [("campaign", "samples", "failed", "wall (s)", "samples/s", "file")]
    for name, t in (m.get("p2m", {}).get("metrics", {}).get("campaigns") or {}).items():
        failed = _failed(inputs.get("p2m", {}), name)
        rate = t["samples"] / t["seconds"] if t.get("seconds") else float("nan")
        rows.append((name, t["samples"], failed, _fmt(float(t["seconds"]), 3), _fmt(rate, 3), f"p2m/{name}.h5"))
    b.append(Block("table", rows))
    b += fit_blocks(_json(inputs.get("p2m", {}).get("summary", "")) if inputs.get("p2m", {}).get("summary") else {})
    b.append(Block("heading", "Device energies"))
    rows = [("quantity", "value", "source")]
    if mer.get("energy_per_noise_sample_J") is not None:
        rows.append(("MeRAM energy per noise sample", f"{mer['energy_per_noise_sample_J'] * 1e12:.3g} pJ",
                     "meram/meram_eps.h5"))
    for k in ("energy_per_mac_voltage", "energy_per_mac_current"):
        if isinstance(rr.get(k), float):
            rows.append((f"RRAM {k.replace('_', ' ')} (baseline conditions)", f"{rr[k] * 1e15:.3g} fJ", "rram/rram_cim.h5"))
    b.append(Block("table", rows))
    b += design_blocks(m.get("design", {}).get("metrics", {}))
    b.append(Block("heading", "Stages (provenance and wall time)"))
    rows = [("stage", "wall (s)", "skipped (up to date)", "inputs hash")]
    for name, rec in m.items():
        rows.append((name, _fmt(float(rec.get("wall_s", 0.0)), 3), str(rec.get("skipped", False)),
                     rec.get("inputs_hash", "")[:12]))
    b.append(Block("table", rows))
    # --- plots ------------------------------------------------------------------------------------------------
    b.append(Block("heading", "Plots"))
    for stage, outs in inputs.items():
        for key, path in outs.items():
            if str(path).endswith(".png"):
                b.append(Block("image", (Path(path), f"{stage}: {Path(path).name}")))
    b.append(Block("heading", "Files"))
    for stage, outs in inputs.items():
        for key, path in outs.items():
            if str(path).endswith((".json", ".h5", ".md", ".csv")):
                b.append(Block("link", (Path(path), f"{stage}/{Path(path).name}")))
    return b


def fit_blocks(summary: dict) -> List[Block]:
    """The P2M fits (p2m/p2m_summary.json): mean-curve degree and the random part's statistics per Fig. 6
    configuration, with their uncertainties (docs/fitting.md)."""
    if not summary:
        return []
    rows = [("fit", "samples", "mean curve degree", "3 sigma / span (worst level)", "3 sigma pooled",
             "sample max / span (95 % bootstrap)")]
    for key, v in summary.items():
        if not isinstance(v, dict) or "worst_case" not in v:
            continue
        ci = v.get("sample_max_ci95") or v.get("worst_case_ci95") or [None, None]
        se = v.get("worst_case_stderr")
        worst = _frac(v["worst_case"], 2) + (f" +- {_frac(se, 2)}" if isinstance(se, float) else "")
        smax = v.get("sample_max", v["worst_case"] if "worst_case_ci95" in v else None)
        rows.append((key, v.get("samples"), v.get("mean_degree", "-"), worst, _frac(v.get("three_sigma_pooled"), 2),
                     f"{_frac(smax, 2)} ({_frac(ci[0], 2)} .. {_frac(ci[1], 2)})"))
    return [Block("heading", "Fits (P2M f1/f2: mean curve and random part)"),
            Block("text", "Random part: each sample minus its own level's nominal, over the dynamic-range span; "
                          "6d: the lower bound, 3 sigma of the drop below the fitted mean (sample max: the "
                          "largest drop). Source: p2m/p2m_summary.json."),
            Block("table", rows)]


def design_blocks(d: dict) -> List[Block]:
    """Yield, variance shares, corners and high-sigma P_fail of the design stage (MeRAM read margin)."""
    if not d:
        return []
    b = [Block("heading", "Designer analyses: MeRAM read margin"),
         Block("text", "Spec meram_read_margin (a VC-MTJ cell read against a P/AP reference pair; RA x area and TMR "
                       "5 % per MTJ, sense-amplifier offset 3 %, 1 sigma, assumed: the seeds give none). Limits: "
                       "margin >= 0 on both reads. Files: design/.")]
    y = d.get("yield", {})
    ci = y.get("ci", [None, None])
    rows = [("limit", "pass", "yield", "95 % interval", "Cpk")]
    rows.append(("all", f"{y.get('passed')}/{y.get('counted')}", _frac(y.get("yield")),
                 f"{_frac(ci[0])} .. {_frac(ci[1])}", "-"))
    for name, r in (y.get("limits") or {}).items():
        rows.append((name, f"{r.get('passed')}/{r.get('counted')}", _frac(r.get("yield")),
                     f"{_frac(r['ci'][0])} .. {_frac(r['ci'][1])}", _fmt(r.get("cpk"), 3)))
    b.append(Block("table", rows))
    rows = [("scalar", "variation source", "variance share", "95 % bootstrap")]
    for scalar, shares in (d.get("shares") or {}).items():
        for src, (v, lo, hi) in sorted(((k, e) for k, e in shares.items() if k != "r2"), key=lambda kv: -kv[1][0]):
            rows.append((scalar, src, _frac(v), f"{_frac(lo)} .. {_frac(hi)}"))
        rows.append((scalar, "R^2 of the linear model", _fmt(shares["r2"][0], 3), "-"))
    b.append(Block("table", rows))
    rows = [("scalar", "nominal", "+-3 sigma corner min", "corner max", "MC min", "MC max", "MC samples")]
    for scalar, c in (d.get("corners") or {}).items():
        rows.append((scalar, _fmt(c["nominal"]), _fmt(c["corner_low"]), _fmt(c["corner_high"]), _fmt(c["mc_min"]),
                     _fmt(c["mc_max"]), c["mc_samples"]))
    b.append(Block("table", rows))
    rows = [("method", "P_fail", "95 % interval", "sigma level", "simulations", "plain MC for +-10 %")]
    plain = d.get("plain_mc_samples_for_10pct") or {}
    for key, t in (d.get("tail") or {}).items():
        lo, hi = t.get("ci95", [None, None])
        rows.append((t.get("method", key), _fmt(t.get("p_fail"), 3), f"{_fmt(lo, 3)} .. {_fmt(hi, 3)}",
                     _fmt(t.get("sigma"), 3), t.get("samples"), _fmt(plain.get(key), 3)))
    b.append(Block("table", rows))
    return b


def _frac(v, digits: int = 3) -> str:
    """A fraction (0.5, 1.2, -0.01) as a percentage with ``digits`` decimals."""
    return f"{100 * v:.{digits}f} %" if isinstance(v, (int, float)) and math.isfinite(v) else "-"


def snn_rows(sn: dict) -> List[tuple]:
    """The spiking-CNN rows of the seed table: Table 1 (both protocols), Fig. 7 and Table 2."""
    from ..eval.snn_run import SEED_BANDWIDTH, SEED_ENERGY_REDUCTION, SEED_TABLE1, lower_or_higher
    if not sn:
        return []
    src = "snn/out/snn_results.json"
    ds = (sn.get("seed") or {}).get("data_set") or "nmnist"
    seed = SEED_TABLE1.get(ds, SEED_TABLE1["nmnist"])
    task = (sn.get("data") or {}).get("name", "synthetic events")
    rows = [("SNN Table 1: baseline accuracy", f"{seed['baseline']} % ({ds})", _pct(sn.get("baseline")), src,
             f"{task}: offline synthetic stand-in, CPU-sized training")]
    for k, v in (sn.get("p2m") or {}).items():
        rows.append((f"SNN Table 1: P2M at {k} % variation, trained with it", f"{seed.get(str(k), '-')} %", _pct(v),
                     src, "each level its own noise-aware network (the seed's training): it absorbs the noise"))
    dep = sn.get("deployed") or {}
    for k, v in (dep.get("accuracy") or {}).items():
        if k == dep.get("trained_at"):
            continue                      # the level it was trained at: the row above
        rows.append((f"SNN Table 1: P2M at {k} % variation, deployed", "not reported", _pct(v), src,
                     f"the network trained at {dep.get('trained_at')} % tested at this variation; the seed's drop "
                     "lies between the two"))
    bw, en = sn.get("bandwidth") or {}, sn.get("energy") or {}
    if "p2m_l1" in bw:
        rows.append(("SNN Fig. 7: normalised bandwidth (l1)", f"{SEED_BANDWIDTH.get(ds, '-')} ({ds})",
                     _fmt(bw["p2m_l1"], 3), src, f"first-layer spikes per input event with l1 = {bw.get('l1')}; "
                     "the l1 weight sets it (README l1 sweep)"))
    if "backend_reduction_pct" in en:
        rows.append(("SNN Fig. 7: back-end energy vs baseline", f"{SEED_ENERGY_REDUCTION} % lower (3 data sets)",
                     f"{lower_or_higher(en['backend_reduction_pct'])} (dense baseline: "
                     f"{lower_or_higher(en.get('backend_reduction_pct_dense', float('nan')))})", src,
                     "Horowitz 2014 energies; the baseline's first layer as zero-skipping (or dense) multi-bit MACs"))
    rp = sn.get("reprogramming") or {}
    if "frozen" in rp:
        rows.append((f"SNN Table 2: {rp.get('from')} -> {rp.get('to')}", "sharp drop without fine-tuning",
                     f"frozen {_pct(rp['frozen'])}, fine-tuned {_pct(rp.get('fine-tuned'))}", src,
                     "back end retrained in both; first layer frozen vs tuned inside its programmable range"))
    return rows


def _pct(v) -> str:
    if isinstance(v, dict):
        v = v.get("mean", v.get("accuracy"))
    if not isinstance(v, (int, float)):
        return "-"
    return f"{100 * v:.1f} %" if v <= 1.0 else f"{v:.1f} %"


def _failed(outs: Dict[str, Path], name: str) -> str:
    path = next((p for p in outs.values() if Path(p).name == f"{name}.h5"), None)
    if path is None:
        return "-"
    try:
        from ..montecarlo.results import load_results
        r = load_results(path)
        return str(int((r.status > 0).sum()))
    except Exception:  # noqa: BLE001 - the report never fails on one unreadable file
        return "?"


def to_markdown(blocks: Sequence[Block], root: Path) -> str:
    out = []
    for blk in blocks:
        if blk.kind == "heading":
            out.append("#" * blk.level + " " + str(blk.value))
        elif blk.kind == "text":
            out.append(str(blk.value))
        elif blk.kind == "table":
            rows = blk.value
            out.append("| " + " | ".join(map(str, rows[0])) + " |")
            out.append("|" + "---|" * len(rows[0]))
            out += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows[1:]]
        elif blk.kind == "image":
            path, title = blk.value
            out.append(f"![{title}]({_rel(path, root)})")
        elif blk.kind == "link":
            path, title = blk.value
            out.append(f"- [{title}]({_rel(path, root)})")
        out.append("")
    return "\n".join(out)


def _rel(path: Path, root: Path) -> str:
    import os
    return Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()


def to_html(blocks: Sequence[Block], root: Path) -> str:
    e = html.escape
    body = []
    for blk in blocks:
        if blk.kind == "heading":
            body.append(f"<h{blk.level}>{e(str(blk.value))}</h{blk.level}>")
        elif blk.kind == "text":
            body.append(f"<p>{e(str(blk.value))}</p>")
        elif blk.kind == "table":
            rows = blk.value
            head = "".join(f"<th>{e(str(c))}</th>" for c in rows[0])
            rest = "".join("<tr>" + "".join(f"<td>{e(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows[1:])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rest}</tbody></table>")
        elif blk.kind == "image":
            path, title = blk.value
            data = base64.b64encode(Path(path).read_bytes()).decode()
            body.append(f'<figure><img alt="{e(title)}" src="data:image/png;base64,{data}">'
                        f"<figcaption>{e(title)}</figcaption></figure>")
        elif blk.kind == "link":
            path, title = blk.value
            body.append(f'<p><a href="{e(_rel(path, root))}">{e(title)}</a></p>')
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 6px;font-size:90%}"
             "th{background:#eee}img{max-width:100%}figure{margin:1em 0}")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>circuitlab pipeline report</title>"
            f"<style>{style}</style></head><body>" + "\n".join(body) + "</body></html>\n")


def write_report(folder: Path, inputs: Dict[str, Dict[str, Path]], options: dict) -> Tuple[Path, Path]:
    """report.md and report.html in ``folder`` from the earlier stages' outputs and records."""
    root = folder.parent
    records = {name: _json(root / name / "stage.json") for name in inputs}
    blocks = build_blocks(inputs, records, options.get("size", "full") != "full")
    md = folder / "report.md"
    md.write_text(to_markdown(blocks, folder))
    page = folder / "report.html"
    page.write_text(to_html(blocks, folder))
    return md, page
