"""Operating point of a crossbar of nonlinear (1T1R) cells: Newton-Raphson on the sparse nodal equations.

Same array as :mod:`.crossbar` and :mod:`.crossbar_solver` (issue #6): rows are bit lines driven to
V_ref + X_i V_read through ``r_driver``, columns are source lines left floating (NeuRRAM open-circuit
voltage-mode sensing, seed neurram_cim_slides.txt), ``r_bl``/``r_sl`` ohm wire segments between
neighbouring cells, or one node per line when they are zero. At DC the capacitors (``c_bl``, ``c_sl``,
``c_sample``) carry no current, so -- as in ngspice's ``.op`` and the linear solver -- each SL node is
set by KCL alone; the sense voltage is the SL node of the last row.

Cells are laws ``I(V_bl, V_sl)`` (:class:`CellLaw`): :class:`LinearCell` (a conductance, for the
reduction to the linear solver) or :class:`RramCimCell`, the read-regime 1T1R cell of the device model
``rram_cim`` (RRAM element in series with the square-law access NMOS, gate at ``v_wl``). Its internal
node ``mid`` is eliminated per cell: a bracketed scalar Newton solves I_rram(V_bl - V_mid) =
I_ds(V_mid - V_sl, V_wl - V_sl) with the device's generated numpy evaluator (the root is unique: the
residual falls monotonically in V_mid and changes sign between V_sl and V_bl), and the cell's partial
derivatives follow by the implicit-function theorem from central differences of the same evaluator
(h = 1 uV; the square law is piecewise quadratic, so these are exact to rounding). The gate leak
g_leak V(wl, sl) of the model enters the SL node as in the ngspice subcircuit (:func:`cim_cell_subcircuit`).

Newton: unknowns are all node voltages; iteration 1 starts from every node at V_ref, where the Jacobian
is each cell's small-signal conductance, so the first iterate is the linear solution with those
conductances. Each iteration factorises the Jacobian with SuperLU (MMD on A^T + A), limits the step to
``max_step`` volt and halves it while the 2-norm of the KCL residual grows (at most 8 times). Converged,
as in SPICE, when at one iterate both hold for every node: the Newton correction
|dV| <= reltol max(|V|, |V + dV|) + vntol, and the KCL residual |F| <= reltol sum|I| + abstol (sum over
the branch currents at the node). Defaults are those ``build_crossbar`` writes into its netlist.
Otherwise :class:`NewtonConvergenceError` (a ``ConvergenceError``) with the iteration count and residual.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Dict, Mapping, NamedTuple, Optional

import numpy as np

from ..errors import ConvergenceError, InvalidValueError
from .crossbar import CrossbarSpec, ideal_sl_voltages

RELTOL, VNTOL, ABSTOL = 1e-6, 1e-9, 1e-15   # the options build_crossbar writes (V, A)
V_WL_READ = 3.3                              # V, read word-line level of the rram_cim card (3.3 V I/O NMOS)
FD_STEP = 1e-6                               # V, central-difference step for the cell derivatives


class NewtonConvergenceError(ConvergenceError):
    """The crossbar Newton iteration (or a cell's inner solve) did not converge.

    ``iterations``: Newton iterations done; ``residual``: largest |KCL residual| (A); ``node``: where."""

    def __init__(self, message: str, *, iterations: int, residual: float, node: str = ""):
        super().__init__(message)
        self.iterations, self.residual, self.node = iterations, residual, node


class CellCurrents(NamedTuple):
    """Currents (A) and partial derivatives (S) of every cell, arrays of shape (M, N)."""
    i_bl: np.ndarray     # current leaving the BL node into the cell
    i_sl: np.ndarray     # current entering the SL node from the cell
    dbl_dvb: np.ndarray  # d i_bl / d V_bl
    dbl_dvs: np.ndarray  # d i_bl / d V_sl
    dsl_dvb: np.ndarray  # d i_sl / d V_bl
    dsl_dvs: np.ndarray  # d i_sl / d V_sl


class CellLaw:
    """A cell's DC law: ``law(v_bl, v_sl)`` (V, arrays (M, N)) -> :class:`CellCurrents`."""

    def __call__(self, v_bl: np.ndarray, v_sl: np.ndarray) -> CellCurrents:
        raise NotImplementedError


@dataclass
class LinearCell(CellLaw):
    """A linear conductance ``g`` (S, (M, N)): i = g (V_bl - V_sl)."""
    g: np.ndarray

    def __call__(self, v_bl, v_sl):
        g = np.asarray(self.g, float)
        i = g * (v_bl - v_sl)
        return CellCurrents(i, i, g, -g, g, -g)


class RramCimCell(CellLaw):
    """The 1T1R read cell of device model ``rram_cim`` (circuitlab/devices/models/rram_cim.py).

    ``g``: programmed RRAM conductance (S, (M, N)); ``card``: other model parameters (defaults: the
    model's 130 nm card); ``v_wl``: word-line voltage (V, against ground); ``dg`` (S) and ``z`` (sigma):
    the model's relaxation-drift and read-noise inputs, scalars or (M, N). The last solution of the
    internal node is kept as the next call's starting point (a cache; results do not depend on it).
    """

    def __init__(self, g, card: Optional[Mapping[str, float]] = None, v_wl: float = V_WL_READ,
                 dg=0.0, z=0.0):
        from ..devices import get
        from ..devices.numeric import Evaluator
        model = get("rram_cim")
        self.card = dict(model.card({k: v for k, v in (card or {}).items() if k != "g"}))
        self.card["g"] = np.asarray(g, float)
        self.v_wl, self.dg, self.z = float(v_wl), np.asarray(dg, float), np.asarray(z, float)
        self._ev = Evaluator(model)
        self._mid = None

    def _eval(self, v_rr, v_ds, v_gs):
        """Evaluator outputs at the point and at +-FD_STEP in each branch voltage (leading axis 7)."""
        h = FD_STEP * np.array([0, 1, -1, 0, 0, 0, 0.0])[:, None, None]
        k = FD_STEP * np.array([0, 0, 0, 1, -1, 0, 0.0])[:, None, None]
        q = FD_STEP * np.array([0, 0, 0, 0, 0, 1, -1.0])[:, None, None]
        out = self._ev(self.card, V_rr=v_rr + h, V_ds=v_ds + k, V_gs=v_gs + q, dg=self.dg, z=self.z)
        rr, ds, gt = out["Irram"], out["Ids"], out["Igate"]
        d = 2 * FD_STEP
        return (rr[0], ds[0], gt[0], (rr[1] - rr[2]) / d, (ds[3] - ds[4]) / d, (ds[5] - ds[6]) / d,
                (gt[5] - gt[6]) / d)

    def __call__(self, v_bl, v_sl):
        b, s, w = np.asarray(v_bl, float), np.asarray(v_sl, float), self.v_wl
        lo, hi = np.minimum(b, s), np.maximum(b, s)
        m = (b + s) / 2 if self._mid is None or self._mid.shape != b.shape else np.clip(self._mid, lo, hi)
        for _ in range(60):
            i_rr, i_ds, _g, r, a, _c, _q = self._eval(b - m, m - s, w - s)
            f = i_rr - i_ds                      # falls with m: f(V_sl) >= 0 >= f(V_bl) when V_bl >= V_sl
            lo, hi = np.where(f > 0, m, lo), np.where(f < 0, m, hi)
            new = m + f / (r + a)
            new = np.where((new < lo) | (new > hi), (lo + hi) / 2, new)
            step, m = np.abs(new - m), new
            if np.all(step <= 1e-14 * (1 + np.abs(m))):
                break
        else:
            worst = int(np.argmax(step))
            raise NewtonConvergenceError(
                f"rram_cim cell {np.unravel_index(worst, b.shape)}: the internal-node solve did not converge "
                f"in 60 steps (last step {step.flat[worst]:.3g} V); check the card (g, kp, W_L must be > 0)",
                iterations=60, residual=float(np.max(np.abs(f))))
        self._mid = m
        i_rr, _i, i_g, r, a, c, q = self._eval(b - m, m - s, w - s)
        dm_db, dm_ds = r / (r + a), (a + c) / (r + a)       # implicit function theorem on f(m; b, s) = 0
        di_db, di_ds = r * (1 - dm_db), -r * dm_ds
        return CellCurrents(i_rr, i_rr + i_g, di_db, di_ds, di_db, di_ds - q)

    def small_signal(self, v: float) -> np.ndarray:
        """Cell conductance dI/dV_bl (S, (M, N)) with both terminals at ``v`` volt (no current)."""
        shape = np.broadcast(self.card["g"], self.dg, self.z).shape
        return self(np.full(shape, v), np.full(shape, v)).dbl_dvb


def cim_cell_subcircuit(card: Optional[Mapping[str, float]] = None, v_wl: float = V_WL_READ):
    """The ngspice subcircuit ``rram_cim_cell`` with ports (bl, sl) for ``CrossbarSpec(cell=...)``: the
    generated ``rram_cim`` B-sources with the word line held at ``v_wl`` (V) and zero drift and read-noise
    inputs, inside (the law :class:`RramCimCell` solves; the instance parameter ``g`` sets G)."""
    from ..devices import get
    from ..devices.ngspice import subcircuit
    from ..netlist import Subcircuit, VoltageSource
    inner = subcircuit(get("rram_cim"), card, name="rram_cim_cell", hidden_inputs=("dg", "z"),
                       extra_elements=(VoltageSource("wl", "wl", "0", dc=float(v_wl)),
                                       VoltageSource("dg", "in_dg", "0", dc=0.0),
                                       VoltageSource("z", "in_z", "0", dc=0.0)))
    return Subcircuit("rram_cim_cell", ("bl", "sl"), inner.elements, params=inner.params,
                      allow_dangling=inner.allow_dangling)


@dataclass(frozen=True)
class OperatingPoint:
    """Solution: voltages (V), cell currents (A), and the cost of the solve."""
    v_sense: np.ndarray     # (N,) SL sense-node voltages (last row)
    v_bl: np.ndarray        # (M, N) BL voltage at each cell
    v_sl: np.ndarray        # (M, N) SL voltage at each cell
    i_cell: np.ndarray      # (M, N) current from BL into each cell
    iterations: int         # Newton iterations (= LU factorisations)
    residual: float         # A, largest |KCL residual| at the returned point
    seconds: float          # s, wall time of the solve (not counting the cell law's construction)
    unknowns: int
    matrix_bytes: float     # Jacobian in CSC: 12 bytes per non-zero (float64 value + int32 index)
    lu_bytes: float         # SuperLU L + U factors as stored (supernodal), 12 bytes per entry


class _Network:
    """Node numbering, the constant (wire, driver) part and the sparsity pattern of the Jacobian."""

    def __init__(self, spec: CrossbarSpec):
        m, n = spec.conductances.shape
        ii, jj = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
        nb = m * n if spec.r_bl > 0 else m
        self.bl = ii * n + jj if spec.r_bl > 0 else ii
        self.sl = nb + (ii * n + jj if spec.r_sl > 0 else jj)
        self.size = nb + (m * n if spec.r_sl > 0 else n)
        a, b, g = [], [], []
        if spec.r_bl > 0:
            a.append(self.bl[:, :-1].ravel())
            b.append(self.bl[:, 1:].ravel())
            g.append(np.full(m * (n - 1), 1 / spec.r_bl))
        if spec.r_sl > 0:
            a.append(self.sl[:-1, :].ravel())
            b.append(self.sl[1:, :].ravel())
            g.append(np.full((m - 1) * n, 1 / spec.r_sl))
        self.wa, self.wb = np.concatenate(a + [np.zeros(0, int)]), np.concatenate(b + [np.zeros(0, int)])
        self.wg = np.concatenate(g + [np.zeros(0)])
        self.drive_node = self.bl[:, 0]
        self.v_drive = spec.v_ref + spec.inputs * spec.v_read
        self.fixed = np.zeros(self.size, bool)
        if spec.r_driver == 0:
            self.fixed[self.drive_node] = True
        self.g_drive = 1 / spec.r_driver if spec.r_driver > 0 else 0.0
        cb, cs = self.bl.ravel(), self.sl.ravel()
        # entry order: wires (4 per wire), drivers (1 per row), cells (bl,bl bl,sl sl,bl sl,sl), fixed identities
        rows = np.concatenate([self.wa, self.wb, self.wa, self.wb, self.drive_node, cb, cb, cs, cs,
                               np.flatnonzero(self.fixed)])
        cols = np.concatenate([self.wa, self.wb, self.wb, self.wa, self.drive_node, cb, cs, cb, cs,
                               np.flatnonzero(self.fixed)])
        self.keep = ~self.fixed[rows]
        self.keep[len(rows) - self.fixed.sum():] = True
        key = cols[self.keep].astype(np.int64) * self.size + rows[self.keep]
        uniq, self.slot = np.unique(key, return_inverse=True)
        self.indices = (uniq % self.size).astype(np.int32)
        self.indptr = np.searchsorted(uniq // self.size, np.arange(self.size + 1)).astype(np.int32)
        self.nnz = len(uniq)
        self.const_vals = np.concatenate([self.wg, self.wg, -self.wg, -self.wg,
                                          np.full(m, self.g_drive)])

    def residual(self, x, cc: CellCurrents):
        """KCL residual F (A, current leaving each node) and the node current scale sum|I| (A)."""
        iw = self.wg * (x[self.wa] - x[self.wb])
        idrv = self.g_drive * (x[self.drive_node] - self.v_drive)
        nodes = np.concatenate([self.wa, self.wb, self.drive_node, self.bl.ravel(), self.sl.ravel()])
        terms = np.concatenate([iw, -iw, idrv, cc.i_bl.ravel(), -cc.i_sl.ravel()])
        f = np.bincount(nodes, terms, self.size)
        scale = np.bincount(nodes, np.abs(terms), self.size)
        f[self.fixed] = (x - self.fixed_values())[self.fixed]
        return f, scale

    def fixed_values(self):
        v = np.zeros(self.size)
        v[self.drive_node] = self.v_drive
        return v

    def jacobian(self, cc: CellCurrents):
        import scipy.sparse as sp
        vals = np.concatenate([self.const_vals, cc.dbl_dvb.ravel(), cc.dbl_dvs.ravel(), -cc.dsl_dvb.ravel(),
                               -cc.dsl_dvs.ravel(), np.ones(int(self.fixed.sum()))])
        data = np.bincount(self.slot, vals[self.keep], self.nnz)
        return sp.csc_matrix((data, self.indices, self.indptr), shape=(self.size, self.size))


def solve_crossbar_newton(spec: CrossbarSpec, law: Optional[CellLaw] = None, *, reltol: float = RELTOL,
                          vntol: float = VNTOL, abstol: float = ABSTOL, max_iter: int = 50,
                          max_step: float = 0.5) -> OperatingPoint:
    """DC operating point of ``spec`` with cells obeying ``law`` (default: :class:`RramCimCell` with
    G = ``spec.conductances`` as programmed conductance). ``spec.cell`` (a netlist subcircuit) is not
    read; ``law`` alone defines the cells. Tolerances: ``reltol`` (1), ``vntol`` (V), ``abstol`` (A);
    ``max_step`` (V) limits each Newton update. Raises :class:`NewtonConvergenceError`."""
    from scipy.sparse.linalg import splu
    if reltol <= 0 or vntol < 0 or abstol < 0 or max_iter < 1 or max_step <= 0:
        raise InvalidValueError(f"reltol={reltol!r} must be > 0, vntol={vntol!r} and abstol={abstol!r} >= 0, "
                                f"max_iter={max_iter!r} >= 1, max_step={max_step!r} > 0")
    law = RramCimCell(spec.conductances) if law is None else law
    t0 = time.perf_counter()
    net = _Network(spec)
    x = np.full(net.size, spec.v_ref)
    x[net.fixed] = net.fixed_values()[net.fixed]
    cc = law(x[net.bl], x[net.sl])
    f, scale = net.residual(x, cc)
    lu_nnz = 0
    names = _node_names(spec)
    for it in range(1, max_iter + 1):
        _check_finite(f, it, names)
        try:
            lu = splu(net.jacobian(cc), permc_spec="MMD_AT_PLUS_A")
        except RuntimeError as exc:
            raise NewtonConvergenceError(
                f"crossbar Newton iteration {it}: singular Jacobian ({exc}); a cell law with zero small-signal "
                f"conductance leaves a node floating: give every cell a conductance > 0",
                iterations=it, residual=float(np.max(np.abs(f))))
        lu_nnz = lu.nnz  # SuperLU's stored L + U entries (lu.L / lu.U would copy the factors)
        dx = -lu.solve(f)
        _check_finite(dx, it, names)
        ok_f = np.all(np.abs(f) <= reltol * scale + abstol)
        ok_v = np.all(np.abs(dx) <= reltol * np.maximum(np.abs(x), np.abs(x + dx)) + vntol)
        if ok_f and ok_v:
            x = x + dx
            cc = law(x[net.bl], x[net.sl])
            f, scale = net.residual(x, cc)
            break
        biggest = np.max(np.abs(dx))
        lam = min(1.0, max_step / biggest) if biggest > 0 else 1.0
        norm0 = np.linalg.norm(f)
        for _ in range(9):
            xt = x + lam * dx
            cct = law(xt[net.bl], xt[net.sl])
            ft, st = net.residual(xt, cct)
            if np.linalg.norm(ft) < norm0 or np.all(np.abs(ft) <= reltol * st + abstol):
                break
            lam /= 2
        x, cc, f, scale = xt, cct, ft, st
    else:
        worst = int(np.argmax(np.abs(f) - reltol * scale))
        raise NewtonConvergenceError(
            f"crossbar Newton did not converge in {max_iter} iterations: largest KCL residual "
            f"{np.max(np.abs(f)):.3g} A (at {names(worst)}), last update {np.max(np.abs(dx)):.3g} V; raise "
            f"max_iter, loosen reltol={reltol!r}, or check that the cell law is continuous and passive",
            iterations=max_iter, residual=float(np.max(np.abs(f))), node=names(worst))
    m, n = spec.conductances.shape
    return OperatingPoint(v_sense=x[net.sl[m - 1, :]].copy(), v_bl=x[net.bl], v_sl=x[net.sl], i_cell=cc.i_bl,
                          iterations=it, residual=float(np.max(np.abs(f))), seconds=time.perf_counter() - t0,
                          unknowns=net.size, matrix_bytes=12.0 * net.nnz, lu_bytes=12.0 * lu_nnz)


def _node_names(spec: CrossbarSpec):
    """Index -> netlist node name (as build_crossbar names them)."""
    m, n = spec.conductances.shape
    nb = m * n if spec.r_bl > 0 else m

    def name(k: int) -> str:
        if k < nb:
            return f"bl{k // n}_{k % n}" if spec.r_bl > 0 else f"bl{k}"
        k -= nb
        return f"sl{k // n}_{k % n}" if spec.r_sl > 0 else f"sl{k}"
    return name


def _check_finite(v, it, names):
    if not np.all(np.isfinite(v)):
        bad = int(np.flatnonzero(~np.isfinite(v))[0])
        raise NewtonConvergenceError(
            f"crossbar Newton iteration {it}: non-finite value at {names(bad)}; the cell law returned NaN or "
            f"inf: check its parameters", iterations=it, residual=float("nan"), node=names(bad))


def programmed_for_read(g_read, card: Optional[Mapping[str, float]] = None, v_wl: float = V_WL_READ,
                        v_ref: float = 0.9) -> np.ndarray:
    """Programmed RRAM conductance (S) that gives each 1T1R cell the small-signal read conductance
    ``g_read`` (S) at V_bl = V_sl = ``v_ref`` (write-verify programs the whole cell's read current):
    fixed point g <- g g_read / g_cell(g), from the cell law, to 1e-12 relative."""
    target = np.asarray(g_read, float)
    g = target.copy()
    for _ in range(100):
        g_cell = RramCimCell(g, card, v_wl).small_signal(v_ref)
        if np.all(np.abs(g_cell / target - 1) <= 1e-12):
            return g
        g = g * target / g_cell
    raise InvalidValueError(f"no programmed conductance reaches read conductances up to {target.max():.3g} S: "
                            f"the access transistor's on-conductance limits the cell; lower g_read or raise v_wl")


def ir_drop_1t1r(conductances, inputs, *, r_wire: float = 1.0, r_driver: float = 1e3, v_read: float = 0.1,
                 v_ref: float = 0.9, card: Optional[Mapping[str, float]] = None,
                 v_wl: float = V_WL_READ, uncompensated: bool = False) -> Dict[str, float]:
    """IR-drop error of a 1T1R array vs linear cells of the same read conductance.

    ``conductances``: (M, N) read conductances G (S) -- each 1T1R cell is programmed so that its
    small-signal conductance at V_ref equals G (:func:`programmed_for_read`), the linear cell is G;
    ``inputs``: (M,) X_i in [-1, 1]; ``r_wire``: ohm per BL and SL segment; ``r_driver``: ohm.
    Errors are e_j = (V_SL,j - V_ideal,j) / V_read (dimensionless), V_ideal the closed form with G:
    ``rms_linear``/``worst_linear`` (linear cells, wires), ``rms_1t1r``/``worst_1t1r`` (1T1R, wires),
    ``rms_1t1r_no_wire``/``worst_1t1r_no_wire`` (1T1R, ideal wires and drivers: the cell nonlinearity
    alone). Also ``iterations``, ``seconds`` (s) and ``lu_bytes`` (bytes) of the 1T1R solve with wires,
    and ``seconds_linear`` (s) of the linear one. ``uncompensated=True`` adds ``rms_uncompensated``/
    ``worst_uncompensated``: RRAM elements programmed to G itself (the transistor's series resistance
    ignored when mapping weights), with wires, against the same closed form.
    """
    g = np.asarray(conductances, float)
    spec = CrossbarSpec(g, inputs, v_read=v_read, v_ref=v_ref, r_driver=r_driver, r_bl=r_wire, r_sl=r_wire)
    ideal = ideal_sl_voltages(g, spec.inputs, v_read, v_ref)
    g_prog = programmed_for_read(g, card, v_wl, v_ref)
    lin = solve_crossbar_newton(spec, LinearCell(g))
    cim = solve_crossbar_newton(spec, RramCimCell(g_prog, card, v_wl))
    bare = solve_crossbar_newton(replace(spec, r_driver=0.0, r_bl=0.0, r_sl=0.0), RramCimCell(g_prog, card, v_wl))
    out = {"iterations": float(cim.iterations), "seconds": cim.seconds, "lu_bytes": cim.lu_bytes,
           "seconds_linear": lin.seconds}
    runs = [("linear", lin), ("1t1r", cim), ("1t1r_no_wire", bare)]
    if uncompensated:
        runs.append(("uncompensated", solve_crossbar_newton(spec, RramCimCell(g, card, v_wl))))
    for key, op in runs:
        e = (op.v_sense - ideal) / v_read
        out[f"rms_{key}"], out[f"worst_{key}"] = float(np.sqrt(np.mean(e ** 2))), float(np.max(np.abs(e)))
    return out
