"""Derived scalars: small arithmetic expressions over measures, parameters and recorded vectors.

An expression such as ``"vmax - 0.5 * vdd"`` or ``"final('v(out)') / vdd"`` is checked once (only
numbers, names, arithmetic, comparisons and the functions below; no attributes, no subscripts, no
builtins) and evaluated per run with numpy. A name that is not available evaluates to NaN.
"""
from __future__ import annotations

import ast
from typing import Callable, Dict, Mapping

import numpy as np

from ..errors import ConfigError

_ARRAY_FUNCS: Dict[str, Callable] = {
    "mean": np.mean, "max": np.max, "min": np.min, "std": np.std, "final": lambda a: a[-1],
    "initial": lambda a: a[0], "ptp": np.ptp,
}
_SCALAR_FUNCS: Dict[str, Callable] = {
    "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log10": np.log10, "tanh": np.tanh,
}
_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide, ast.Pow: np.power,
           ast.Mod: np.mod}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Call, ast.Compare,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.USub, ast.UAdd, ast.Lt, ast.Gt, ast.LtE,
            ast.GtE, ast.Eq, ast.NotEq)


def check_expression(text: str, where: str) -> ast.Expression:
    """Parse and whitelist an expression; raise ConfigError naming what is not allowed."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"{where}: {text!r} is not a valid expression ({exc.msg})")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ConfigError(f"{where}: {type(node).__name__} is not allowed in {text!r}; use numbers, names, "
                              f"+ - * / ** and the functions {', '.join(sorted({**_ARRAY_FUNCS, **_SCALAR_FUNCS}))}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            raise ConfigError(f"{where}: constant {node.value!r} is not allowed in {text!r}")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None)
            if name not in _ARRAY_FUNCS and name not in _SCALAR_FUNCS or node.keywords or len(node.args) != 1:
                raise ConfigError(f"{where}: call {ast.unparse(node)!r} is not allowed; functions take one "
                                  f"argument: {', '.join(sorted({**_ARRAY_FUNCS, **_SCALAR_FUNCS}))}")
    return tree


def evaluate(tree: ast.Expression, scalars: Mapping[str, float], vectors: Mapping[str, np.ndarray]) -> float:
    """Evaluate a checked expression; vectors are named by strings, e.g. ``max('v(out)')``."""
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return float(scalars.get(node.id, np.nan))
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else +v
        if isinstance(node, ast.BinOp):
            a, b = np.float64(ev(node.left)), np.float64(ev(node.right))
            return _BINARY[type(node.op)](a, b)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right in zip(node.ops, node.comparators):
                r = ev(right)
                ok = {ast.Lt: left < r, ast.Gt: left > r, ast.LtE: left <= r, ast.GtE: left >= r,
                      ast.Eq: left == r, ast.NotEq: left != r}[type(op)]
                if not ok:
                    return 0.0
                left = r
            return 1.0
        if isinstance(node, ast.Call):
            name = node.func.id
            arg = node.args[0]
            if name in _ARRAY_FUNCS:
                key = arg.value.lower() if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                if key is None or key not in vectors:
                    return np.nan
                return float(_ARRAY_FUNCS[name](vectors[key]))
            return _SCALAR_FUNCS[name](np.float64(ev(arg)))
        raise ConfigError(f"cannot evaluate {ast.unparse(node)!r}")

    try:
        with np.errstate(all="ignore"):  # once per expression: NaN/inf results, no warnings
            return float(ev(tree))
    except (TypeError, ValueError):
        return float("nan")
