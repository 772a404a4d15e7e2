"""The stages of ``circuitlab pipeline``: device physics -> campaigns -> fits and model files -> the three
evaluations on those freshly made model files (never the shipped ones) -> the report.

Sizes (``opt["size"]``): ``quick`` is sized for ``make demo`` (2 CPU cores, under 15 minutes in all:
reduced LLG trials, 40-sample P2M campaigns, the reduced RRAM characterisation, and evaluations sized to
land well above chance without reproducing the seeds' numbers: the spiking CNN on gesture-synth at 60 per
class for 8 epochs, ResNet-20 at ``eval resnet --quick``'s training sizes with two sweep points per axis;
about 5 minutes on 2 cores); ``tiny`` is smaller still, for the
end-to-end test; ``full`` uses the sizes of the individual commands (``llg sweep`` 2000 trials,
``p2m characterise`` 1000 samples, ``eval ...`` without ``--quick``). The designer analyses are in
:mod:`.pipeline_design`.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .pipeline import Stage

SEED = 20260101


def _psw(opt, folder: Path, inputs) -> dict:
    from ..export.standard import export_vcmtj_psw
    from ..physics import PulseProtocol, switching_probability
    from ..physics.io import write_switching_table
    from .engnum import parse_eng, parse_grid
    trials = {"tiny": 40, "quick": 300, "full": 2000}[opt["size"]]
    widths = "0.2n:4n:20" if opt["size"] != "tiny" else "0.4n,2n"
    protocol = PulseProtocol(dt=parse_eng("1p"), relax=parse_eng("3n"), equilibrate=parse_eng("1n"))
    params = None
    if opt.get("vcmtj_card"):                    # a calibrated card: P_sw, the MeRAM model and the DDPM follow it
        from ..physics.calibrate import params_from_card
        params = params_from_card(opt["vcmtj_card"])
    table = switching_probability(params, parse_grid("2.1,2.4,2.7"), parse_grid(widths), trials, seed=SEED,
                                  protocol=protocol, backend="torch", dtype="float32", device="cpu", threads=1)
    psw = write_switching_table(table, folder / "psw.h5") or folder / "psw.h5"
    model = export_vcmtj_psw(psw, folder / "vcmtj_psw.h5")
    return {"outputs": {"table": psw, "model": model, "plot": model.with_suffix(".png")},
            "metrics": {"trials_per_state": trials, "voltages_V": [2.1, 2.4, 2.7], "widths": len(table.widths),
                        "vcmtj_card": Path(opt["vcmtj_card"]).name if opt.get("vcmtj_card") else "shipped",
                        "vcmtj_card_sha256": opt.get("vcmtj_card_sha256"), "ki_J_per_m2": table.params.ki}}


def _meram(opt, folder: Path, inputs) -> dict:
    from ..export.modelfile import load_model
    from ..export.standard import export_meram_eps
    from ..meram import PulseSettings
    from ..meram.io import make_noise_table
    eps = folder / "eps.h5"
    settings = PulseSettings(voltage=2.4, msb_width=0.4e-9, other_width=2e-9, bits=8)
    make_noise_table(eps, bits=8, samples=40000, seed=SEED, mode="shuffled", psw_table=inputs["psw"]["table"],
                     settings=settings)
    model = export_meram_eps(eps, folder / "meram_eps.h5")
    m = load_model(model)
    plot = _eps_histogram(m, folder / "eps_histogram.png")
    metrics = {"variance_raw": m.parameters["variance"].value, "lag1_autocorr": m.parameters["lag1_autocorr"].value,
               "kurtosis_excess": m.parameters["kurtosis_excess"].value,
               "energy_per_noise_sample_J": m.parameters["energy_per_noise_sample"].value
               if "energy_per_noise_sample" in m.parameters else None,
               "range_sigma": float(max(abs(m.tables["pmf"].axes[0].values)) / m.parameters["variance"].value ** 0.5)}
    return {"outputs": {"model": model, "plot": plot}, "metrics": metrics}


def _eps_histogram(m, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    s = m.tables["samples"].values
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.hist(s, bins=80, density=True, alpha=0.7, label="MeRAM eps (unit variance)")
    g = np.linspace(-4.5, 4.5, 200)
    ax.plot(g, np.exp(-g * g / 2) / np.sqrt(2 * np.pi), "k--", label="standard normal")
    ax.set(xlabel="eps", ylabel="density", title=f"MeRAM noise: raw variance {m.parameters['variance'].value:.3f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _p2m(opt, folder: Path, inputs) -> dict:
    from ..characterisation.p2m_analysis import ANALYSES, run_campaigns
    from ..export.p2m import export_p2m_f1, export_p2m_f2
    names = ["p2m_fig6a_cmos", "p2m_fig6b_dwmtj", "p2m_fig6c_hybrid", "p2m_fig6d_read"]
    quick = {"tiny": 0.04, "quick": 0.04, "full": None}[opt["size"]]
    timings = run_campaigns(folder, None, names, quick=quick, workers=opt["workers"],
                            executor=opt.get("executor", "local"), scheduler=opt.get("scheduler"))
    summary = {}
    for name in names:
        summary.update(ANALYSES[name](folder / f"{name}.h5", folder))
    summary["run_times"] = timings
    (folder / "p2m_summary.json").write_text(json.dumps(summary, indent=2, default=float))
    f1 = export_p2m_f1(folder, folder / "p2m_f1.h5")
    f2 = export_p2m_f2(folder, folder / "p2m_f2.h5")
    outputs = {"f1": f1, "f2": f2, "f1_plot": f1.with_suffix(".png"), "f2_plot": f2.with_suffix(".png"),
               "summary": folder / "p2m_summary.json"}
    outputs.update({p.stem: p for p in sorted(folder.glob("*.png")) if p.stem not in ("p2m_f1", "p2m_f2")})
    outputs.update({f"campaign_{n}": folder / f"{n}.h5" for n in names})
    worst = {k: v["worst_case"] for k, v in summary.items() if isinstance(v, dict) and "worst_case" in v}
    return {"outputs": outputs, "metrics": {"worst_case": worst, "campaigns": timings}}


def _rram(opt, folder: Path, inputs) -> dict:
    from ..characterisation.rram_analysis import characterise_builtin
    from ..export.modelfile import load_model
    from ..export.rram import export_rram_cim
    summary = characterise_builtin(folder / "campaigns")
    model = export_rram_cim(summary, folder / "rram_cim.h5")
    m = load_model(model)
    keys = ("energy_per_mac_voltage_seed", "energy_per_mac_current_seed", "energy_per_mac_voltage",
            "energy_per_mac_current", "settling_time", "read_noise_rel")
    return {"outputs": {"model": model, "summary": summary},
            "metrics": {k: m.parameters[k].value for k in keys if k in m.parameters}}


def _ddpm(opt, folder: Path, inputs) -> dict:
    from ..eval.ddpm_experiment import quick_experiment
    from ..eval.ddpm_run import run_ddpm_experiment
    model = inputs["meram"]["model"]
    exp = quick_experiment(noises=("gaussian", f"meram:{model}", "scaled:2"), device=opt["device"])
    if opt["size"] != "full":
        tiny = opt["size"] == "tiny"
        exp = replace(exp, seeds=2, letters=None, protocols=("both",), classifier_epochs=2 if tiny else 5,
                      n_train=300 if tiny else None,
                      ddpm=replace(exp.ddpm, epochs=1 if tiny else 5, eval_epochs=(), T=20 if tiny else exp.ddpm.T,
                                   n_samples=100 if tiny else 500))
    s = run_ddpm_experiment(exp, folder / "out", progress=lambda m: None, resume="matching")
    return {"outputs": _files(folder / "out"), "metrics": _slim(s)}


def _snn(opt, folder: Path, inputs) -> dict:
    from ..eval.snn import SNNConfig
    from ..eval.snn_run import quick_experiment, run_snn_experiment
    f1, f2 = str(inputs["p2m"]["f1"]), str(inputs["p2m"]["f2"])
    exp = quick_experiment()
    exp = replace(exp, snn=replace(exp.snn, f1=f1, f2=f2, device=opt["device"]))
    if opt["size"] != "full":
        tiny = opt["size"] == "tiny"
        exp = replace(exp, data="gesture-synth", n_per_class=3 if tiny else 60, seeds=2, variations=(0, 40),
                      transfer=None, frames=3 if tiny else exp.frames,
                      snn=replace(exp.snn, epochs=1 if tiny else 8, channels=(4, 4, 8, 8) if tiny else exp.snn.channels,
                                  hidden=16 if tiny else exp.snn.hidden))
    s = run_snn_experiment(exp, folder / "out", progress=lambda m: None, resume="matching")
    return {"outputs": _files(folder / "out"), "metrics": _slim(s)}


def _resnet(opt, folder: Path, inputs) -> dict:
    from ..eval.rram_resnet import quick_experiment, run_resnet_experiment
    exp = quick_experiment(model=str(inputs["rram"]["model"]), device=opt["device"])
    if opt["size"] != "full":
        tiny = opt["size"] == "tiny"
        exp = replace(exp, n_train=120 if tiny else exp.n_train, n_test=60 if tiny else 300, seeds=2,
                      epochs=1 if tiny else exp.epochs, noise_epochs=1 if tiny else exp.noise_epochs,
                      sweep_times=(1.0, 86400.0), sweep_adc_bits=(3, 8), sweep_r_wire=(0.0, 5.0))
    s = run_resnet_experiment(exp, folder / "out", resume="matching")
    return {"outputs": _files(folder / "out"), "metrics": _slim(s)}


def _design(opt, folder: Path, inputs) -> dict:
    from .pipeline_design import run_design
    return run_design(opt, folder)


def _report(opt, folder: Path, inputs) -> dict:
    from .pipeline_report import write_report
    md, html = write_report(folder, inputs, opt)
    return {"outputs": {"markdown": md, "html": html}, "metrics": {}}


def _files(folder: Path) -> dict:
    """The evaluation's result files (JSON, tables, plots); weights and caches are left out of the record."""
    keep = (".json", ".csv", ".md", ".png")
    return {p.relative_to(folder.parent).as_posix().replace("/", "__"): p for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in keep and "cache" not in p.parts}


def _slim(summary: dict) -> dict:
    """The summary without bulky entries (per-epoch curves stay in the stage's JSON files)."""
    return json.loads(json.dumps({k: v for k, v in summary.items() if k not in ("records", "runs", "config")},
                                 default=str))


STAGES = (
    Stage("psw", "LLG: VC-MTJ switching probability P_sw(V, t) and the vcmtj_psw model", _psw, (),
          ("size", "vcmtj_card_sha256")),
    Stage("meram", "MeRAM: 8-bit unit noise model (meram_eps) at the seed's pulses", _meram, ("psw",), ()),
    Stage("p2m", "P2M: Fig. 6 Monte Carlo campaigns and the p2m_f1/p2m_f2 models", _p2m, (), ("size",)),
    Stage("rram", "RRAM: CIM characterisation campaigns and the rram_cim model", _rram, (), ()),
    Stage("ddpm", "DDPM with MeRAM noise (seed Fig. 4b)", _ddpm, ("meram",), ("size", "device")),
    Stage("snn", "Spiking CNN with the DW-MTJ P2M first layer (seed Tables 1-2, Fig. 7)", _snn, ("p2m",),
          ("size", "device")),
    Stage("resnet", "ResNet-20 on RRAM compute-in-memory (seed bar chart)", _resnet, ("rram",), ("size", "device")),
    Stage("design", "Designer analyses of the MeRAM read margin: yield, variance shares, corners, high-sigma P_fail",
          _design, (), ("size",)),
    Stage("report", "Report: Markdown and self-contained HTML", _report,
          ("psw", "meram", "p2m", "rram", "ddpm", "snn", "resnet", "design"), ("size",)),
)
