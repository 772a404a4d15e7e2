"""The pipeline's designer-analysis stage: what a circuit designer asks of a campaign, on the MeRAM unit's
read margin (built-in spec ``meram_read_margin``: a P or AP VC-MTJ cell read in current mode against a
P/AP reference pair; RA x area 5 % and TMR 5 % per MTJ, sense-amplifier offset 3 %, all 1 sigma, ASSUMED:
the seed gives none).

- yield against the spec's limits (margin >= 0 on both reads) with a Clopper-Pearson interval and Cpk;
- variance shares per variation source (standardised regression, bootstrap intervals) and tornado plots;
- the +-3 sigma corners (full factorial over the 7 factors) against the Monte Carlo extremes;
- the read-error probability far in the tail: mean-shift importance sampling and scaled-sigma sampling,
  with the plain Monte Carlo sample count the same precision would need.

Every step reads and writes ordinary campaign files in the stage folder (resumable, seeded), on the local
pool or a Dask scheduler (``opt["executor"]``, ``opt["scheduler"]``).
"""
from __future__ import annotations

import json
from pathlib import Path

SPEC = "meram_read_margin"
SIZES = {  # Monte Carlo samples, importance-sampling samples, exploration samples, scaled-sigma samples per scale
    "tiny": (300, 200, 100, 200),
    "quick": (2000, 400, 200, 400),
    "full": (20000, 1000, 400, 1000),
}


def run_design(opt, folder: Path) -> dict:
    from ..montecarlo import load_spec
    from ..montecarlo.corners import run_corners
    from ..montecarlo.results import load_results
    from ..montecarlo.sensitivity import sensitivity, tornado_plots
    from ..montecarlo.tail_run import run_tail
    from ..montecarlo.yields import evaluate_limits
    from ..resources import builtin_spec
    path = builtin_spec(SPEC)
    spec = load_spec(path)
    base = str(path.parent)
    mc_n, is_n, explore_n, sss_n = SIZES[opt["size"]]
    run_kw = dict(workers=opt["workers"], executor=opt.get("executor", "local"), scheduler=opt.get("scheduler"),
                  progress=False, spec_base=base)
    corners = run_corners(spec, folder / "corners", k=3.0, mc_samples=mc_n + 1, **run_kw)
    mc = load_results(folder / "corners" / "mc.h5")
    yields = evaluate_limits(mc, spec.spec_limits)
    sens = sensitivity(mc, ["margin_p", "margin_ap"], boot=200, seed=1)
    (folder / "sensitivity.json").write_text(json.dumps(sens.to_dict(), indent=2))
    tornado = tornado_plots(sens)
    tail = run_tail(spec, spec.spec_limits, folder / "tail", samples=is_n, explore=explore_n, sss_samples=sss_n,
                    **run_kw)
    tail_json = json.loads((folder / "tail" / "tail.json").read_text())
    metrics = {
        "spec": SPEC,
        "yield": {k: v for k, v in yields.to_dict().items() if k != "failed_samples"},
        "shares": {m.name: {src: e.to_list() for src, e in (m.sobol_share or m.share).items()} | {"r2": m.r2.to_list()}
                   for m in sens.measures},
        "corners": {c.scalar: {"nominal": c.nominal, "corner_low": c.low, "corner_high": c.high, "mc_min": c.mc_min,
                               "mc_max": c.mc_max, "mc_samples": c.mc_samples} for c in corners
                    if c.scalar in ("margin_p", "margin_ap")},
        "tail": {k: v.to_dict() for k, v in tail.items()},
        "plain_mc_samples_for_10pct": tail_json.get("plain_mc_samples_for_10pct"),
    }
    outputs = {"corners": folder / "corners" / "corners.json", "mc": folder / "corners" / "mc.h5",
               "sensitivity": folder / "sensitivity.json", "tail": folder / "tail" / "tail.json",
               "tail_plot": folder / "tail" / "tail.png"}
    outputs.update({p.stem.replace(".", "_"): p for p in tornado})
    return {"outputs": outputs, "metrics": metrics}
