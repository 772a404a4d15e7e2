"""Direct nodal solve of a resistive crossbar's operating point (second implementation, for size).

ngspice 39 has no KLU; its Sparse 1.3 Markowitz search is quadratic in the node count, so a
256 x 256 array with wire segments (131k nodes) takes minutes to reach its operating point (128 x 128:
160 s measured here). For linear cells the operating point is one sparse linear solve, done here by
nodal analysis with SuperLU (COLAMD ordering): 256 x 256 in well under a second. The test suite checks
this solver against ngspice on arrays small enough for ngspice to be quick. Nonlinear cells (the 1T1R
``rram_cim`` cell): :mod:`.crossbar_newton`, Newton-Raphson on the same nodal equations.
"""
from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError
from .crossbar import CrossbarSpec


def solve_operating_point(spec: CrossbarSpec) -> np.ndarray:
    """SL sense-node voltages (V, one per column) of a resistive crossbar at DC.

    Unknowns are the BL node voltages b[i, j] and SL node voltages s[i, j] (segment model) or one node
    per line when the wire resistance is zero. Drivers are ideal sources behind ``r_driver`` ohm.
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    if spec.cell is not None:
        raise InvalidValueError("the direct solver handles linear conductance cells only; simulate "
                                "subcircuit cells with ngspice (build_crossbar)")
    g = spec.conductances
    m, n = g.shape
    v_drive = spec.v_ref + spec.inputs * spec.v_read
    seg_b, seg_s = spec.r_bl > 0, spec.r_sl > 0
    nb = m * n if seg_b else m
    ns = m * n if seg_s else n
    bl = (lambda i, j: i * n + j) if seg_b else (lambda i, j: i + 0 * j)
    sl = (lambda i, j: nb + i * n + j) if seg_s else (lambda i, j: nb + j + 0 * i)
    rows, cols, vals = [], [], []
    rhs = np.zeros(nb + ns)
    fixed = {}

    def conductance(a, b, gab):
        rows.extend((a, b, a, b))
        cols.extend((a, b, b, a))
        vals.extend((gab, gab, -gab, -gab))

    ii, jj = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    for a, b, gab in zip(bl(ii, jj).ravel(), sl(ii, jj).ravel(), g.ravel()):
        conductance(int(a), int(b), float(gab))
    if seg_b:
        for i in range(m):
            for j in range(n - 1):
                conductance(bl(i, j), bl(i, j + 1), 1.0 / spec.r_bl)
    if seg_s:
        for i in range(m - 1):
            for j in range(n):
                conductance(sl(i, j), sl(i + 1, j), 1.0 / spec.r_sl)
    for i in range(m):
        node = bl(i, 0)
        if spec.r_driver > 0:  # Norton equivalent of the driver
            rows.append(node)
            cols.append(node)
            vals.append(1.0 / spec.r_driver)
            rhs[node] += v_drive[i] / spec.r_driver
        else:
            fixed[node] = v_drive[i]
    a = sp.csr_matrix((vals, (rows, cols)), shape=(nb + ns, nb + ns))
    free = np.setdiff1d(np.arange(nb + ns), np.fromiter(fixed, int, len(fixed)))
    known = np.zeros(nb + ns)
    for node, v in fixed.items():
        known[node] = v
    b = rhs - a @ known
    x = known.copy()
    x[free] = spsolve(a[free][:, free].tocsc(), b[free], permc_spec="COLAMD")
    return np.array([x[sl(m - 1, j)] for j in range(n)])
