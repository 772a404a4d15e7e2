"""Code printers: one sympy expression, three dialects (Verilog-A, ngspice B-source, Python/xp).

All three share operator precedence (C-like infix) and differ in how symbols, integer powers and a
handful of functions are written. Integer powers are always written as products so that negative
bases behave the same in every simulator; ``pi`` must not appear (models use float constants).
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp
from sympy.printing.c import C99CodePrinter

DIALECTS = ("veriloga", "ngspice", "python")

_FUNCS = {
    "veriloga": {"exp": "exp", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "sqrt": "sqrt", "log": "ln",
                 "Abs": "abs", "sin": "sin", "cos": "cos"},
    "ngspice": {"exp": "exp", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "sqrt": "sqrt", "log": "ln",
                "Abs": "abs", "sin": "sin", "cos": "cos"},
    "python": {"exp": "xp.exp", "sinh": "xp.sinh", "cosh": "xp.cosh", "tanh": "xp.tanh", "sqrt": "xp.sqrt",
               "log": "xp.log", "Abs": "xp.abs", "sin": "xp.sin", "cos": "xp.cos"},
}


class DevicePrinter(C99CodePrinter):
    """Print an expression in one dialect; ``names`` maps symbol names to target text."""

    def __init__(self, dialect: str, names: Mapping[str, str] | None = None):
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}")
        super().__init__({"full_prec": True})
        self.dialect = dialect
        self.names = dict(names or {})
        self.known_functions = dict(_FUNCS[dialect])

    def _print_Symbol(self, expr):
        return self.names.get(expr.name, expr.name)

    def _print_Pow(self, expr):
        base, exp = expr.base, expr.exp
        if exp.is_Integer and 1 <= abs(int(exp)) <= 6:
            b = self._print(base) if base.is_Symbol else f"({self._print(base)})"
            prod = "*".join([b] * abs(int(exp)))
            return f"({prod})" if exp > 0 else f"(1.0/({prod}))"
        if exp == sp.Rational(1, 2):
            return f"{self.known_functions['sqrt']}({self._print(base)})"
        if exp == -sp.Rational(1, 2):
            return f"1.0/{self.known_functions['sqrt']}({self._print(base)})"
        if self.dialect == "python":
            return f"({self._print(base)})**({self._print(exp)})"
        return f"pow({self._print(base)}, {self._print(exp)})"

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Rational(self, expr):
        return repr(float(expr))

    def _print_Integer(self, expr):
        return repr(float(expr)) if self.dialect == "veriloga" else str(int(expr))

    def _minmax(self, expr, which):
        args = [self._print(a) for a in expr.args]
        fn = {"python": f"_{which}"}.get(self.dialect, which)
        out = args[0]
        for a in args[1:]:
            out = f"{fn}({out}, {a})"
        return out

    def _print_Max(self, expr):
        return self._minmax(expr, "max")

    def _print_Min(self, expr):
        return self._minmax(expr, "min")

    def _print_sign(self, expr):
        a = self._print(expr.args[0])
        if self.dialect == "ngspice":
            return f"sgn({a})"
        if self.dialect == "python":
            return f"xp.sign({a})"
        return f"(({a}) > 0.0 ? 1.0 : (({a}) < 0.0 ? -1.0 : 0.0))"


def print_expr(expr: sp.Expr, dialect: str, names: Mapping[str, str] | None = None) -> str:
    """The text of ``expr`` in ``dialect`` ('veriloga', 'ngspice' or 'python')."""
    if expr.has(sp.pi) or expr.has(sp.E):
        raise ValueError("device expressions must use float constants, not sympy's pi or E")
    return DevicePrinter(dialect, names).doprint(expr)
