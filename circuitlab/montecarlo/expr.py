"""Derived scalars: small arithmetic expressions over measures, parameters and recorded vectors.

An expression such as ``"vmax - 0.5 * vdd"`` or ``"final('v(out)') / vdd"`` is checked once (only
numbers, names, arithmetic, comparisons and the functions below; no attributes, no subscripts, no
builtins) and evaluated with numpy for many runs at once (one row per run). A name that is not
available evaluates to NaN.
"""
from __future__ import annotations

import ast
from typing import Callable, Dict, Mapping, Tuple

import numpy as np

from ..errors import ConfigError

_ARRAY_FUNCS: Dict[str, Callable] = {  # of a (rows, points) array, one value per row
    "mean": lambda a: np.mean(a, axis=-1), "max": lambda a: np.max(a, axis=-1),
    "min": lambda a: np.min(a, axis=-1), "std": lambda a: np.std(a, axis=-1), "final": lambda a: a[:, -1],
    "initial": lambda a: a[:, 0], "ptp": lambda a: np.ptp(a, axis=-1),
}
_SCALAR_FUNCS: Dict[str, Callable] = {
    "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log10": np.log10, "tanh": np.tanh,
}
_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide, ast.Pow: np.power,
           ast.Mod: np.mod}
_COMPARE = {ast.Lt: np.less, ast.Gt: np.greater, ast.LtE: np.less_equal, ast.GtE: np.greater_equal,
            ast.Eq: np.equal, ast.NotEq: np.not_equal}
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


def names_in(tree: ast.Expression) -> Tuple[str, ...]:
    """The scalar names an expression reads (vector names are string arguments, not names)."""
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return tuple(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs))


def evaluate(tree: ast.Expression, scalars: Mapping[str, object], vectors: Mapping[str, np.ndarray],
             rows: int = 1) -> np.ndarray:
    """Evaluate a checked expression for ``rows`` runs at once; returns float64 of shape (rows,).

    ``scalars`` maps names to a number or an array of shape (rows,); ``vectors`` maps lower-case
    vector names (``'v(out)'``) to arrays of shape (rows, points): functions of a vector reduce its
    last axis, so one run's result does not depend on which other runs share the call.
    """
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return np.asarray(scalars.get(node.id, np.nan), dtype=np.float64)
        if isinstance(node, ast.UnaryOp):
            v = np.asarray(ev(node.operand), dtype=np.float64)
            return -v if isinstance(node.op, ast.USub) else +v
        if isinstance(node, ast.BinOp):
            a = np.asarray(ev(node.left), dtype=np.float64)
            return _BINARY[type(node.op)](a, np.asarray(ev(node.right), dtype=np.float64))
        if isinstance(node, ast.Compare):
            left, ok = np.asarray(ev(node.left), dtype=np.float64), np.ones(rows, dtype=bool)
            for op, right in zip(node.ops, node.comparators):
                r = np.asarray(ev(right), dtype=np.float64)
                ok = ok & _COMPARE[type(op)](left, r)
                left = r
            return ok.astype(np.float64)
        if isinstance(node, ast.Call):
            name = node.func.id
            arg = node.args[0]
            if name in _ARRAY_FUNCS:
                key = arg.value.lower() if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                if key is None or key not in vectors:
                    return np.nan
                return _ARRAY_FUNCS[name](np.asarray(vectors[key], dtype=np.float64).reshape(rows, -1))
            return _SCALAR_FUNCS[name](np.asarray(ev(arg), dtype=np.float64))
        raise ConfigError(f"cannot evaluate {ast.unparse(node)!r}")

    try:
        with np.errstate(all="ignore"):  # NaN/inf results, no warnings
            value = np.asarray(ev(tree), dtype=np.float64)
    except (TypeError, ValueError):
        value = np.float64(np.nan)
    return np.array(np.broadcast_to(value, (rows,)), dtype=np.float64)
