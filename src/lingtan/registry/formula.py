"""Virtual-point formulas: sums and differences of other points, parsed without eval().

Grammar (whitespace separates tokens, so point ids may contain ``-``)::

    formula := term (("+" | "-") term)*
    term    := [number "*"] point_id

Examples: ``E01-main + E02-main - PV-export``, ``0.5*HVAC-1 + 0.5*HVAC-2``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SIGNS = {"+": 1.0, "-": -1.0}
_TERM = re.compile(r"^(?:(?P<coef>\d+(?:\.\d+)?)\*)?(?P<point>[A-Za-z0-9][A-Za-z0-9_.:\-]*)$")


@dataclass(frozen=True, slots=True)
class Term:
    """One signed, weighted point reference."""

    coefficient: float
    point: str


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed formula: value = Σ coefficient × point."""

    terms: tuple[Term, ...]

    def evaluate(self, values: dict[str, float]) -> float:
        """Evaluate with ``values`` keyed by point id (every member must be present)."""
        return math.fsum(t.coefficient * values[t.point] for t in self.terms)


def parse_formula(text: str) -> Formula:
    """Parse ``text``; raise ``ValueError`` naming the token and its position."""
    tokens = text.split()
    if not tokens:
        raise ValueError("formula is empty")
    terms: list[Term] = []
    sign = 1.0
    expect_term = True
    for position, token in enumerate(tokens, start=1):
        if expect_term:
            if token in _SIGNS and position == 1:
                sign = _SIGNS[token]
                continue
            match = _TERM.match(token)
            if match is None:
                raise ValueError(
                    f"formula token {position} {token!r} is not a point id or number*point_id "
                    "(operators need spaces around them)"
                )
            coef = float(match.group("coef") or 1.0)
            terms.append(Term(sign * coef, match.group("point")))
            expect_term = False
        else:
            if token not in _SIGNS:
                raise ValueError(f"formula token {position} {token!r}: expected + or -")
            sign = _SIGNS[token]
            expect_term = True
    if expect_term:
        raise ValueError("formula ends with an operator")
    return Formula(tuple(terms))
