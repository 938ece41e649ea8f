"""Surface-water class of GB 3838-2002 (地表水环境质量标准), pure.

A parameter's class is the best class (I best … V) whose limit its value meets; a value that
meets none is 劣V. A section's class is the worst class of its parameters (单因子评价法), and
the parameters that set it are named. Limits are passed in as
:class:`~lingtan.environment.limits.WaterParameter` records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from lingtan.environment.limits import WaterParameter, water_parameter, water_standard

CLASSES: Final = ("I", "II", "III", "IV", "V")
WORSE_THAN_V: Final = "劣V"
_RANK: Final = {c: k for k, c in enumerate((*CLASSES, WORSE_THAN_V))}


def meets(value: float, parameter: WaterParameter, class_index: int) -> bool:
    """Whether ``value`` meets the class ``class_index`` (0 = I … 4 = V) limit.

    Notes
    -----
    GB 3838-2002 表1: limits are maxima (≤) except dissolved oxygen, a minimum (≥), and pH, a
    range (6 ≤ pH ≤ 9) for every class. A value equal to a limit meets it.
    """
    if math.isnan(value):
        raise ValueError(f"{parameter.parameter}: value is NaN")
    if parameter.direction == "range":
        assert parameter.low is not None
        assert parameter.high is not None
        return parameter.low <= value <= parameter.high
    limit = parameter.limits[class_index]
    return value >= limit if parameter.direction == "min" else value <= limit


def parameter_class(value: float, parameter: WaterParameter) -> str:
    """Water-quality class of one parameter's value [I … V or 劣V].

    Parameters
    ----------
    value : concentration [mg/L] (pH dimensionless; fecal coliform per L)
    parameter : the GB 3838-2002 record of the parameter

    Notes
    -----
    GB 3838-2002 §4/表1: the best class whose limit the value meets. pH within range meets every
    class (class I); outside it meets none (劣V).
    """
    for k, name in enumerate(CLASSES):
        if meets(value, parameter, k):
            return name
    return WORSE_THAN_V


@dataclass(frozen=True, slots=True)
class SectionClass:
    """A section's class, the parameters that set it, and each parameter's class."""

    water_class: str
    worst: tuple[str, ...]
    by_parameter: dict[str, str]


def section_class(
    values: Mapping[str, float], parameters: Mapping[str, WaterParameter] | None = None
) -> SectionClass:
    """Class of a monitoring section by its worst parameter (单因子评价).

    Parameters
    ----------
    values : parameter name → value (mg/L, pH dimensionless)
    parameters : the records to use (default: the shipped GB 3838-2002 records by name)

    Notes
    -----
    GB 3838-2002 §5 / 《地表水环境质量评价办法（试行）》: the section class is the worst of the
    single-parameter classes.
    """
    if not values:
        raise ValueError("values must name at least one parameter")
    by: dict[str, str] = {}
    for name, v in values.items():
        rec = parameters[name] if parameters is not None else water_parameter(name)
        by[name] = parameter_class(v, rec)
    worst_rank = max(_RANK[c] for c in by.values())
    worst_class = next(c for c, r in _RANK.items() if r == worst_rank)
    worst = tuple(sorted(n for n, c in by.items() if c == worst_class))
    return SectionClass(worst_class, worst, by)


def class_names() -> tuple[str, ...]:
    """The class names of the shipped table (I … V)."""
    return water_standard().classes
