"""Built-in model files shipped in ``circuitlab/models/`` so the torch layers work on a fresh install.

Each built-in model is made by a fixed recipe (the stage functions behind the commands a user would
type, with fixed seeds), so ``circuitlab export --builtin`` regenerates it; a test checks that. A recipe
composes every stage (physics, meram, Monte Carlo, characterisation, fit, export), so it lives with the
command line, the one layer that may import them all (``circuitlab.export`` reads results only).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable, Dict

from ..errors import CircuitlabError
from ..export.modelfile import BUILTIN_DIR

SEED = 20260101
PSW_TRIALS = 2000  # trials per initial state and grid point of the built-in P_sw table


def _psw_table(work: Path) -> Path:
    """The LLG P_sw table behind vcmtj_psw and meram_eps: seed voltages, widths 0.2-4 ns, 2000 trials/state
    (``circuitlab llg sweep --voltages 2.1,2.4,2.7 --widths 0.2n:4n:20 --trials 2000 --backend torch
    --dtype float32 --threads 1``). 2000 trials: binomial sd <= 0.008 per P_sw, so that Var(eps) = 1 +- 0.05
    at the seed's pulses is resolved (sd of 4 p_MSB + 1.33 p_other about 0.03); about 3 min on one core."""
    from ..physics import PulseProtocol, switching_probability
    from ..physics.io import write_switching_table
    from .engnum import parse_eng, parse_grid
    path = work / "psw.h5"
    if not path.exists():
        protocol = PulseProtocol(dt=parse_eng("1p"), relax=parse_eng("3n"), equilibrate=parse_eng("1n"))
        table = switching_probability(None, parse_grid("2.1,2.4,2.7"), parse_grid("0.2n:4n:20"), PSW_TRIALS, seed=SEED,
                                      protocol=protocol, backend="torch", dtype="float32", device="cpu", threads=1)
        write_switching_table(table, path)
    return path


def make_vcmtj_psw(work: Path, out: Path) -> Path:
    from ..export.standard import export_vcmtj_psw
    return export_vcmtj_psw(_psw_table(work), out)


def make_meram_eps(work: Path, out: Path) -> Path:
    from ..export.standard import export_meram_eps
    from ..meram import PulseSettings
    from ..meram.io import make_noise_table
    from .engnum import parse_eng
    eps = work / "eps.h5"
    settings = PulseSettings(voltage=parse_eng("2.4"), msb_width=parse_eng("0.4n"), other_width=parse_eng("2n"), bits=8)
    make_noise_table(eps, bits=8, samples=40000, seed=SEED, mode="shuffled", psw_table=_psw_table(work),
                     settings=settings)
    return export_meram_eps(eps, out)


P2M_SCALE = 0.2  # 200 samples per Fig. 6 campaign: the built-in f1/f2 (full 1000: circuitlab p2m characterise)


def _p2m_campaigns(work: Path) -> Path:
    """The Fig. 6a-d campaigns behind p2m_f1 and p2m_f2 (built-in specs in circuitlab/specs/, seeds fixed there)."""
    from ..characterisation.p2m_analysis import run_campaigns
    folder = work / "p2m"
    if not (folder / "p2m_fig6d_read.h5").exists():
        run_campaigns(folder, None, ["p2m_fig6a_cmos", "p2m_fig6b_dwmtj", "p2m_fig6c_hybrid", "p2m_fig6d_read"],
                      quick=P2M_SCALE, workers=2)
    return folder


def make_p2m_f1(work: Path, out: Path) -> Path:
    from ..export.p2m import export_p2m_f1
    return export_p2m_f1(_p2m_campaigns(work), out)


def make_p2m_f2(work: Path, out: Path) -> Path:
    from ..export.p2m import export_p2m_f2
    return export_p2m_f2(_p2m_campaigns(work), out)


def make_rram_cim(work: Path, out: Path) -> Path:
    """RRAM CIM model from a reduced characterisation (fixed seeds; see rram_analysis.characterise_builtin)."""
    from ..characterisation.rram_analysis import characterise_builtin
    from ..export.rram import export_rram_cim
    return export_rram_cim(characterise_builtin(work / "rram"), out)


RECIPES: Dict[str, Callable[[Path, Path], Path]] = {"vcmtj_psw": make_vcmtj_psw, "meram_eps": make_meram_eps,
                                                    "p2m_f1": make_p2m_f1, "p2m_f2": make_p2m_f2,
                                                    "rram_cim": make_rram_cim}


def build_builtin(names=None, out_dir: Path = BUILTIN_DIR) -> Dict[str, Path]:
    """(Re)make built-in models into ``out_dir`` (default: the package's models folder)."""
    names = list(RECIPES) if not names else list(names)
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        raise CircuitlabError(f"no built-in recipe for {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    made = {}
    with tempfile.TemporaryDirectory(prefix="circuitlab-builtin-") as tmp:
        for name in names:
            made[name] = RECIPES[name](Path(tmp), out_dir / f"{name}.h5")
    return made
