"""``circuitlab fit SOURCE --x X --y Y --out MODEL.h5``: a curve with its Monte Carlo spread, as a model file.

SOURCE is a campaign results file, or a campaign spec (TOML) which is run first (its results go next
to MODEL.h5). A plot of the cloud, the fit and the worst-case bounds is saved next to the model.
"""
from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("fit", help="fit y(x) and its Monte Carlo spread from a campaign; write a model file")
    p.add_argument("source", type=Path, help="campaign results (.h5) or campaign spec (.toml, run first)")
    p.add_argument("--x", required=True, help="column for x (a parameter, sweep axis, measure or derived scalar)")
    p.add_argument("--y", required=True, help="column for y")
    p.add_argument("--family", choices=("polynomial", "monotone_spline", "saturating"), default="polynomial")
    p.add_argument("--degree", type=int, help="polynomial degree (default: chosen by 5-fold cross-validation)")
    p.add_argument("--knots", type=int, help="spline knot count (default: chosen by 5-fold cross-validation)")
    p.add_argument("--coverage", default="3", help="bounds: k for mean +- k sigma, or 'quantile' (0.135/99.865 %%)")
    p.add_argument("--samples", type=int, help="samples when SOURCE is a spec (default: the spec's)")
    p.add_argument("--out", type=Path, required=True, help="model file to write (kind 'curve')")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import ConfigError
    from ..export import file_sha256, save_model
    from ..export.curve import curve_model
    from ..fit.campaign import fit_campaign, plot_curve
    coverage = args.coverage if args.coverage == "quantile" else _float(args.coverage)
    source = args.source
    if source.suffix == ".toml":
        from ..montecarlo import load_spec
        from ..montecarlo.engine import run_campaign
        campaign = args.out.with_suffix(".campaign.h5")
        if campaign.exists():
            raise ConfigError(f"{campaign} exists; fit it directly or remove it")
        run_campaign(load_spec(source), campaign, samples=args.samples, progress=False,
                     spec_base=str(source.resolve().parent))
        source = campaign
    elif not source.is_file():
        raise ConfigError(f"campaign file {str(source)!r} not found")
    cf = fit_campaign(source, args.x, args.y, family=args.family, degree=args.degree, knots=args.knots,
                      coverage=coverage)
    model = curve_model(cf, provenance={"source_file": source.name, "source_sha256": file_sha256(source)})
    path = save_model(model, args.out)
    plot = plot_curve(cf, args.out.with_suffix(".png"))
    m = cf.result.metrics
    print(f"{args.y} vs {args.x}: {cf.result.family.describe()}, RMSE {m['rmse']:.4g}, R^2 {m['r2']:.4f}, "
          f"max error {m['max_error']:.4g}, worst-case variation {cf.worst_case:.2%}")
    print(f"model: {path}\nplot:  {plot}")
    return 0


def _float(text: str) -> float:
    from ..errors import ConfigError
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--coverage {text!r} must be a number of sigmas or 'quantile'") from None
    if not value > 0:
        raise ConfigError(f"--coverage {text!r} must be > 0")
    return value
