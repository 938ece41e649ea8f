"""The backward-capacity list of the park (落后产能, park standard 8.3.4): enterprises and
lines whose product unit energy is worse than 基准, with the gap and the year by which the
policy asks them to be upgraded or retired, ranked by gap × output (the excess energy)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lingtan.compliance.grading import ProductGrade


@dataclass(frozen=True, slots=True)
class BackwardEntry:
    """One product line below 基准."""

    rank: int
    grade: ProductGrade
    #: value − 基准 [record unit]
    gap: float
    #: gap × output: the energy beyond what 基准 allows [record numerator unit]
    excess: float
    deadline_year: int
    years_left: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "rank": self.rank,
            **self.grade.as_dict(),
            "gap": self.gap,
            "excess": self.excess,
            "deadline_year": self.deadline_year,
            "years_left": self.years_left,
        }


def backward_list(
    grades: Iterable[ProductGrade], *, year: int, deadline_year: int
) -> list[BackwardEntry]:
    """Lines below 基准, largest gap × output first (ties: enterprise, product)."""
    below = [g for g in grades if g.efficiency == "below_baseline"]
    below.sort(key=lambda g: (-g.gap_to_baseline * g.output, g.enterprise, g.product))
    return [
        BackwardEntry(
            rank=i + 1,
            grade=g,
            gap=g.gap_to_baseline,
            excess=g.gap_to_baseline * g.output,
            deadline_year=deadline_year,
            years_left=max(0, deadline_year - year),
        )
        for i, g in enumerate(below)
    ]
