"""Monthly water-quality trend of a surface-water section (pure): per parameter and local
calendar month, the mean of the daily means, its GB 3838-2002 class, and the attainment rate
(达标率) — the share of days whose daily class meets the section's target class; per month, the
section's class by its worst parameter (单因子评价) and its own attainment rate.

Rules as implemented (the monthly method of 《地表水环境质量评价办法（试行）》 was not read here,
confidence L): daily means are those of the assessment (local natural days, every day with a
valid hour); the monthly mean is the mean of the month's daily means; a day of the section
attains when every parameter measured that day meets the target; a value equal to a class limit
meets it (GB 3838-2002).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from lingtan import units
from lingtan.environment import air
from lingtan.environment.assess import Series
from lingtan.environment.limits import WaterParameter, water_standard
from lingtan.environment.water import CLASSES, WORSE_THAN_V, parameter_class, section_class
from lingtan.errors import InvalidInput

_RANK = {c: k for k, c in enumerate((*CLASSES, WORSE_THAN_V))}


@dataclass(frozen=True, slots=True)
class MonthParameter:
    """One parameter in one month."""

    parameter: str
    unit: str
    mean: float | None
    days: int
    water_class: str | None
    attained_days: int
    attainment: float | None


@dataclass
class MonthSection:
    """One month of a section: its class by the worst parameter and each parameter's month."""

    month: str  # YYYY-MM, local calendar
    water_class: str | None = None
    worst: tuple[str, ...] = ()
    days: int = 0
    attained_days: int = 0
    attainment: float | None = None
    parameters: list[MonthParameter] = field(default_factory=list)


def _meets(cls: str, target: str) -> bool:
    return _RANK[cls] <= _RANK[target]


def monthly_trend(series: Sequence[Series], target: str, tz: dt.tzinfo) -> list[MonthSection]:
    """The months of a water section's hourly ``series`` (one per parameter) against its
    GB 3838-2002 ``target`` class; parameters without a GB 3838 record are left out."""
    if target not in CLASSES:
        raise InvalidInput(f"target class must be one of {', '.join(CLASSES)}", field="class")
    records: dict[str, WaterParameter] = {w.parameter: w for w in water_standard().parameters}
    # month → parameter → [(day, daily mean in the record's unit, its class)]
    days: dict[str, dict[str, list[tuple[int, float, str]]]] = {}
    units_of: dict[str, str] = {}
    for s in series:
        rec = records.get(s.parameter)
        if rec is None or len(s.start_s) == 0:
            continue
        f = 1.0 if rec.unit == "1" else units.factor(s.unit, rec.unit)
        units_of[s.parameter] = s.unit
        daily = air.daily_mean(s.start_s, s.value, tz, 1)
        for d, v in zip(daily.day.tolist(), daily.value.tolist(), strict=True):
            if math.isnan(v):
                continue
            date = air.day_date(d)
            month = f"{date.year}-{date.month:02d}"
            days.setdefault(month, {}).setdefault(s.parameter, []).append(
                (d, v, parameter_class(v * f, rec))
            )
    out = []
    for month in sorted(days):
        sec = MonthSection(month)
        means: dict[str, float] = {}
        for p in sorted(days[month]):
            rows = days[month][p]
            mean = sum(v for _d, v, _c in rows) / len(rows)
            rec = records[p]
            f = 1.0 if rec.unit == "1" else units.factor(units_of[p], rec.unit)
            means[p] = mean * f
            ok = sum(1 for _d, _v, c in rows if _meets(c, target))
            sec.parameters.append(
                MonthParameter(p, units_of[p], mean, len(rows), parameter_class(mean * f, rec),
                               ok, ok / len(rows))
            )  # fmt: skip
        worst = section_class(means, records)
        sec.water_class, sec.worst = worst.water_class, worst.worst
        by_day: dict[int, bool] = {}
        for rows in days[month].values():
            for d, _v, c in rows:
                by_day[d] = by_day.get(d, True) and _meets(c, target)
        sec.days = len(by_day)
        sec.attained_days = sum(by_day.values())
        sec.attainment = sec.attained_days / sec.days if sec.days else None
        out.append(sec)
    return out


__all__ = ["MonthParameter", "MonthSection", "monthly_trend"]
