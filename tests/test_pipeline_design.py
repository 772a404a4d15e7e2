"""The pipeline's designer-analysis stage on the MeRAM read margin, against a second implementation of the
same resistive circuit in numpy: the read currents are V / R, so each margin is a closed-form function of
the seven standard-normal factors (circuitlab/specs/meram_read_margin.toml):

    margin_p  = 2 G_p / (G_rp + G_rap) - 1 - offset,   margin_ap = 1 - 2 G_ap / (G_rp + G_rap) - offset,

with G = 1 / R, R_P = R0 (1 + 0.05 z), R_AP = R0 (1 + 0.05 z) (1 + TMR_rd (1 + 0.05 z')),
TMR_rd = 1.2 / (1 + (0.1 / 0.5)^2), offset = 0.03 z''. The failure probability P(margin_p < 0 or
margin_ap < 0) is integrated with each cell's own resistance in closed form (given the shared factors, a
margin fails when one normal variable crosses a threshold) and the five shared factors by Gauss-Hermite
quadrature (converged to 1e-3 relative). The corners are enumerated exhaustively."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from scipy.stats import norm

from circuitlab.cli.pipeline_design import run_design
from circuitlab.cli.pipeline_report import design_blocks, to_markdown

TMR_RD = 1.2 / (1 + (0.1 / 0.5) ** 2)
S_R, S_T, S_OFF = 0.05, 0.05, 0.03


def _margins(z, scale: float = 1.0):
    """Margins from z = (r_p, r_ap_base, r_p_ref, r_ap_ref_base, tmr_c, tmr_r, offset) in sigmas (R0 = 1)."""
    z = scale * np.asarray(z)
    g_p = 1 / (1 + S_R * z[..., 0])
    g_ap = 1 / ((1 + S_R * z[..., 1]) * (1 + TMR_RD * (1 + S_T * z[..., 4])))
    g_ref = 1 / (1 + S_R * z[..., 2]) + 1 / ((1 + S_R * z[..., 3]) * (1 + TMR_RD * (1 + S_T * z[..., 5])))
    off = S_OFF * z[..., 6]
    return 2 * g_p / g_ref - 1 - off, 1 - 2 * g_ap / g_ref - off


def p_fail_reference(nodes: int = 20, scale: float = 1.0) -> float:
    """P(either margin < 0), with every sigma times ``scale``: the cells' own resistances (z_rp, z_rap)
    integrated in closed form (a normal tail each), the five shared factors (reference pair, both TMRs,
    offset) by tensor Gauss-Hermite quadrature with ``nodes`` points per axis."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / np.sqrt(2 * np.pi)
    z = np.stack(np.meshgrid(*[x] * 5, indexing="ij"), -1).reshape(-1, 5)   # r_p_ref, r_ap_ref, tmr_c, tmr_r, off
    wt = np.prod(np.stack(np.meshgrid(*[w] * 5, indexing="ij"), -1).reshape(-1, 5), axis=1)
    sr, st, so = scale * S_R, scale * S_T, scale * S_OFF
    g_ref = 1 / (1 + sr * z[:, 0]) + 1 / ((1 + sr * z[:, 1]) * (1 + TMR_RD * (1 + st * z[:, 3])))
    off = so * z[:, 4]
    # margin_p < 0  <=>  R_p > 2 / ((1 + off) g_ref)  <=>  z_rp > (2 / ((1 + off) g_ref) - 1) / sr
    p_p = norm.sf((2 / ((1 + off) * g_ref) - 1) / sr)
    # margin_ap < 0 <=>  (1 + sr z_rap) (1 + TMR_c) < 2 / ((1 - off) g_ref)
    p_ap = norm.cdf((2 / ((1 - off) * g_ref * (1 + TMR_RD * (1 + st * z[:, 2]))) - 1) / sr)
    return float(np.sum(wt * (p_p + p_ap - p_p * p_ap)))   # the two cells' own factors are independent


def test_reference_converges_and_matches_plain_monte_carlo_at_a_larger_sigma():
    """The quadrature itself: converged in its node count at the spec's sigmas, and equal to plain Monte
    Carlo where that is cheap (every sigma doubled: P about 1e-2, 2e6 samples give it to +-1.5 %)."""
    assert p_fail_reference(16) == pytest.approx(p_fail_reference(20), rel=1e-3)
    ref = p_fail_reference(20, scale=2.0)
    z = np.random.default_rng(3).standard_normal((2_000_000, 7))
    mp, ma = _margins(z, scale=2.0)
    plain = float(((mp < 0) | (ma < 0)).mean())
    assert 1e-3 < ref < 1e-1 and abs(plain - ref) < 4 * np.sqrt(ref / 2e6)


@pytest.mark.ngspice
def test_design_stage_against_the_closed_form_circuit(tmp_path):
    got = run_design({"size": "tiny", "workers": 2}, tmp_path)
    m = json.loads(json.dumps(got["metrics"], default=float))
    ref = p_fail_reference()
    assert 1e-6 < ref < 1e-5                             # about 4.5 sigma
    lo, hi = m["tail"]["is"]["ci95"]
    assert lo <= ref <= hi                               # importance sampling, 300 simulations
    assert m["tail"]["is"]["samples"] <= 300 and m["plain_mc_samples_for_10pct"]["is"] > 1e7
    # corners: exhaustive enumeration of the 2^7 +-3 sigma corners of the closed form
    zs = 3.0 * np.array(list(itertools.product((-1.0, 1.0), repeat=7)))
    mp, ma = _margins(zs)
    for name, v in (("margin_p", mp), ("margin_ap", ma)):
        c = m["corners"][name]
        # ngspice's .meas values carry about 6 significant digits: 2e-5 absolute on an O(1) margin
        assert c["corner_low"] == pytest.approx(v.min(), abs=2e-5) and c["corner_high"] == pytest.approx(v.max(), abs=2e-5)
        assert c["corner_low"] < c["mc_min"] and c["mc_max"] < c["corner_high"]   # corners are pessimistic
    # yield and Cpk of the Monte Carlo samples against the closed form's moments (300 samples: loose)
    z = np.random.default_rng(11).standard_normal((400_000, 7))
    mp, ma = _margins(z)
    lim = m["yield"]["limits"]
    assert lim["margin_p"]["mean"] == pytest.approx(mp.mean(), abs=4 * mp.std() / np.sqrt(300))
    assert lim["margin_p"]["cpk"] == pytest.approx(mp.mean() / (3 * mp.std()), rel=0.25)
    assert m["yield"]["passed"] == m["yield"]["counted"] == 300
    # variance shares of the linearised margins (central differences of the closed form at z = 0), per source:
    # the four resistances, the two TMR factors, the offset; 300 samples: +-0.06 absolute
    grad = np.array([(np.array(_margins(h * e)) - np.array(_margins(-h * e))) / (2 * h)
                     for h, e in ((1e-4, row) for row in np.eye(7))])            # (7 factors, 2 margins)
    for j, name in enumerate(("margin_p", "margin_ap")):
        var = grad[:, j] ** 2
        closed = {"r_p": var[:4].sum(), "tmr": var[4:6].sum(), "offset": var[6]}
        shares = m["shares"][name]
        for key, v in closed.items():
            got_share = next(e[0] for k, e in shares.items() if key in k)
            assert got_share == pytest.approx(v / var.sum(), abs=0.06), (name, key)
    md = to_markdown(design_blocks(m), tmp_path)
    assert "## Designer analyses: MeRAM read margin" in md and "| importance sampling |" in md
    assert all(p.is_file() for p in got["outputs"].values())


@pytest.mark.ngspice
def test_design_stage_on_dask_gives_the_local_numbers(tmp_path):
    local = run_design({"size": "tiny", "workers": 2}, tmp_path / "local")["metrics"]
    dask = run_design({"size": "tiny", "workers": 2, "executor": "dask"}, tmp_path / "dask")["metrics"]
    assert dask["tail"]["is"]["p_fail"] == pytest.approx(local["tail"]["is"]["p_fail"], rel=1e-9)
    assert dask["corners"]["margin_p"]["corner_high"] == pytest.approx(local["corners"]["margin_p"]["corner_high"],
                                                                       rel=1e-9)
    assert dask["yield"]["limits"]["margin_p"]["mean"] == pytest.approx(local["yield"]["limits"]["margin_p"]["mean"],
                                                                       rel=1e-9)
