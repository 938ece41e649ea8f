"""A small, safe formula language for indicator definitions in profiles (指标定义公式).

A definition is one Python-syntax expression over *named quantities* that lingtan computes
(:mod:`lingtan.indicators.quantities`), e.g. ``emissions_tco2 / energy_tce`` or
``ratio(water_reused_m3, sum(water_intake_m3, water_reused_m3))``. It is parsed with
:func:`ast.parse` and checked node by node against a whitelist; nothing is ever passed to
``eval``. Allowed:

* names of known quantities;
* the operators ``+ - * /`` and unary ``-``, with parentheses;
* the functions ``sum(a, b, ...)``, ``ratio(a, b)`` (= a / b), ``min(a, b, ...)``,
  ``max(a, b, ...)``.

Numbers may not be typed into a definition: a profile defines *how* an indicator is formed
from data, never a value (the values live in the targets).

Units are checked while parsing: ``+``, ``-``, ``sum``, ``min`` and ``max`` need operands of the
same unit; ``*`` and ``/`` combine units. The result's unit is compared with the indicator's
declared unit by :func:`same_unit`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from lingtan.errors import InvalidInput

#: a unit as base symbol → exponent; {} is dimensionless ("1")
UnitVec = dict[str, int]

FUNCTIONS: Final[tuple[str, ...]] = ("sum", "ratio", "min", "max")


class FormulaError(InvalidInput):
    """A definition that is not a valid formula (the message says why)."""


class Undefined(ArithmeticError):
    """The formula has no value for these data (a zero denominator)."""


def parse_unit(text: str) -> UnitVec:
    """``tCO2/tce`` → {tCO2: 1, tce: -1}; ``1`` → {}; ``kWh/kWh`` → {}."""
    text = text.strip()
    if not text:
        raise FormulaError("empty unit", field="unit")
    num, _, den = text.partition("/")
    vec: UnitVec = {}
    for part, sign in ((num, 1), (den, -1)):
        for sym in part.split("*"):
            sym = sym.strip()
            if sym in ("", "1"):
                continue
            vec[sym] = vec.get(sym, 0) + sign
    return {k: v for k, v in vec.items() if v}


def unit_text(vec: Mapping[str, int]) -> str:
    """The inverse of :func:`parse_unit` (``1`` when dimensionless)."""
    num = [k if v == 1 else f"{k}^{v}" for k, v in sorted(vec.items()) if v > 0]
    den = [k if v == -1 else f"{k}^{-v}" for k, v in sorted(vec.items()) if v < 0]
    text = "*".join(num) or "1"
    return text + ("/" + "*".join(den) if den else "")


def same_unit(a: str, b: str) -> bool:
    """Whether two unit texts are the same after cancelling (``kWh/kWh`` == ``1``)."""
    return parse_unit(a) == parse_unit(b)


def _mul(a: UnitVec, b: UnitVec, sign: int) -> UnitVec:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + sign * v
    return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Formula:
    """A checked definition: its text, the quantities it reads and its unit."""

    text: str
    names: tuple[str, ...]
    unit: UnitVec
    _tree: ast.expr

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value for these quantity values; :class:`Undefined` on a zero denominator."""
        return _eval(self._tree, values)


def parse_formula(text: str, units: Mapping[str, str]) -> Formula:
    """Parse and check ``text`` over the quantities ``units`` (name → unit text).

    Raises :class:`FormulaError` naming the offending part: a syntax error, a node outside the
    whitelist, a typed number, an unknown quantity or function, a unit mismatch.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a definition is a formula over quantities", field="definition")
    if len(text) > 500:
        raise FormulaError("a definition is at most 500 characters", field="definition")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise FormulaError(f"not a formula: {err.msg}", field="definition") from None
    names: list[str] = []
    unit = _check(tree.body, units, names)
    return Formula(text.strip(), tuple(dict.fromkeys(names)), unit, tree.body)


def _check(node: ast.expr, units: Mapping[str, str], names: list[str]) -> UnitVec:
    if isinstance(node, ast.Name):
        if node.id not in units:
            raise FormulaError(f"unknown quantity {node.id!r}", field="definition")
        names.append(node.id)
        return parse_unit(units[node.id])
    if isinstance(node, ast.Constant):
        raise FormulaError(
            f"numbers may not be typed into a definition (found {node.value!r}); "
            "name a quantity lingtan computes",
            field="definition",
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _check(node.operand, units, names)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        left = _check(node.left, units, names)
        right = _check(node.right, units, names)
        if isinstance(node.op, ast.Add | ast.Sub):
            if left != right:
                raise FormulaError(
                    f"unit mismatch: {unit_text(left)} {'+' if isinstance(node.op, ast.Add) else '-'}"
                    f" {unit_text(right)}",
                    field="definition",
                )
            return left
        return _mul(left, right, 1 if isinstance(node.op, ast.Mult) else -1)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            shown = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise FormulaError(
                f"unknown function {shown!r}; allowed: {', '.join(FUNCTIONS)}", field="definition"
            )
        if node.keywords:
            raise FormulaError("functions take no keyword arguments", field="definition")
        args = [_check(a, units, names) for a in node.args]
        fn = node.func.id
        if fn == "ratio":
            if len(args) != 2:
                raise FormulaError("ratio(a, b) takes two arguments", field="definition")
            return _mul(args[0], args[1], -1)
        if not args:
            raise FormulaError(f"{fn}() needs at least one argument", field="definition")
        if any(a != args[0] for a in args[1:]):
            raise FormulaError(
                f"unit mismatch in {fn}(): " + ", ".join(unit_text(a) for a in args),
                field="definition",
            )
        return args[0]
    raise FormulaError(
        f"not allowed in a definition: {ast.unparse(node)!r} ({type(node).__name__})",
        field="definition",
    )


def _div(a: float, b: float, what: str) -> float:
    if b == 0:
        raise Undefined(f"denominator {what} is 0")
    return a / b


_REDUCE: Final[dict[str, Callable[[list[float]], float]]] = {
    "sum": sum,
    "min": min,
    "max": max,
}


def _eval(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Name):
        return float(values[node.id])
    if isinstance(node, ast.UnaryOp):
        return -_eval(node.operand, values)
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return _div(a, b, ast.unparse(node.right))
    assert isinstance(node, ast.Call)
    assert isinstance(node.func, ast.Name)
    args = [_eval(a, values) for a in node.args]
    if node.func.id == "ratio":
        return _div(args[0], args[1], ast.unparse(node.args[1]))
    return _REDUCE[node.func.id](args)
