"""Monthly water-quality trends (pure).

A surface-water section (:func:`monthly_trend`): per parameter and local calendar month, the
mean of the daily means, its GB 3838-2002 class, and the attainment rate (达标率) — the share of
days whose daily class meets the section's target class; per month, the section's class by its
worst parameter (单因子评价) and its own attainment rate.

An outlet (:func:`outlet_monthly_trend`): per permit-limited parameter and local calendar month,
the valid hours, the mean and maximum of the hourly means, the hours strictly above the permit
limit and the largest 超标倍数, and the attainment rate over hours; per month, the outlet's
attainment (an hour attains when every permit-limited parameter measured that hour meets its
limit) and the parameters that failed.

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

import numpy as np

from lingtan import units
from lingtan.environment import air
from lingtan.environment.assess import Series
from lingtan.environment.limits import WaterParameter, water_standard
from lingtan.environment.stations import PermitLimit
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


@dataclass(frozen=True, slots=True)
class OutletMonthParameter:
    """One permit-limited parameter of an outlet in one month (concentrations in ``unit``, the
    measured parameter's; ``limit`` converted to it)."""

    parameter: str
    unit: str
    limit: float
    source: str
    #: hours of the month in the period, and those with a valid hourly mean
    hours: int
    valid_hours: int
    #: mean of the valid hourly means, and the largest (None: no valid hour)
    mean: float | None
    max: float | None
    #: valid hours strictly above the limit, and the largest 超标倍数 (value / limit − 1)
    exceeded_hours: int
    max_multiple: float | None
    #: valid hours meeting the limit (a value equal to it meets it) ÷ valid hours; None without
    #: a valid hour (never 0 %)
    attained_hours: int
    attainment: float | None


@dataclass
class OutletMonth:
    """One month of an outlet: its attainment over hours and each parameter's month."""

    month: str  # YYYY-MM, local calendar
    hours: int = 0
    #: hours with at least one permit-limited parameter measured
    valid_hours: int = 0
    #: of those, hours in which every parameter measured meets its limit
    attained_hours: int = 0
    attainment: float | None = None
    #: parameters with at least one hour above the limit in the month
    failed: tuple[str, ...] = ()
    parameters: list[OutletMonthParameter] = field(default_factory=list)
    #: why a month has no rate ("no valid hour")
    note: str | None = None


def outlet_monthly_trend(
    series: Sequence[Series], limits: Sequence[PermitLimit], tz: dt.tzinfo
) -> list[OutletMonth]:
    """The months of an outlet's hourly ``series`` (one per parameter, hour starts in UTC
    seconds, NaN = no valid hourly mean) against its permit ``limits``, by calendar month of
    ``tz``. Every month the series' hours touch is listed, one without a valid hour too (its
    rates are None). Parameters without a permit limit are left out (the caller says so).

    A maximum limit only — the permit model has no ranges or minimums; the comparison is
    :func:`lingtan.environment.air.above`, the permit assessment's: strictly above exceeds."""
    by_name = {x.parameter: x for x in limits}
    used = [(s, by_name[s.parameter]) for s in series if s.parameter in by_name]
    # the hour grid: union of the series' hours (the store's series share one grid)
    hours = (
        np.unique(np.concatenate([s.start_s for s, _ in used])) if used else np.array([], np.int64)
    )
    if len(hours) == 0:
        return []
    month_key = _month_keys(hours, tz)
    keys = np.unique(month_key)
    n = len(hours)
    measured_any = np.zeros(n, bool)
    failed_any = np.zeros(n, bool)
    per: list[tuple[str, str, PermitLimit, float, air.F64, air.B]] = []
    for s, plim in sorted(used, key=lambda x: x[0].parameter):
        values = np.full(n, np.nan)
        values[np.searchsorted(hours, s.start_s)] = s.value
        lim = plim.in_unit(s.unit)
        over = air.above(values, lim)
        measured_any |= ~np.isnan(values)
        failed_any |= over
        per.append((s.parameter, s.unit, plim, lim, values, over))
    out = []
    for key in keys.tolist():
        in_month = month_key == key
        m = OutletMonth(f"{key // 12}-{key % 12 + 1:02d}", hours=int(in_month.sum()))
        m.valid_hours = int((measured_any & in_month).sum())
        m.attained_hours = int((measured_any & ~failed_any & in_month).sum())
        m.attainment = m.attained_hours / m.valid_hours if m.valid_hours else None
        failed = []
        for name, unit, plim, lim, values, over in per:
            v = values[in_month & ~np.isnan(values)]
            exceeded = int((over & in_month).sum())
            top = float(v.max()) if len(v) else None
            m.parameters.append(
                OutletMonthParameter(
                    name, unit, lim, plim.source, int(in_month.sum()), len(v),
                    float(v.mean()) if len(v) else None, top, exceeded,
                    air.exceedance_multiple(top, lim) if exceeded and top is not None else None,
                    len(v) - exceeded, (len(v) - exceeded) / len(v) if len(v) else None,
                )
            )  # fmt: skip
            if exceeded:
                failed.append(name)
        m.failed = tuple(failed)
        if not m.valid_hours:
            m.note = "no valid hour"
        out.append(m)
    return out


def _month_keys(start_s: air.I64, tz: dt.tzinfo) -> air.I64:
    """Local calendar month of each hour start, as year × 12 + month − 1."""
    days, at = np.unique(air.local_day(start_s, tz), return_inverse=True)
    dates = [air.day_date(d) for d in days.tolist()]
    return np.array([d.year * 12 + d.month - 1 for d in dates], np.int64)[at]


__all__ = [
    "MonthParameter",
    "MonthSection",
    "OutletMonth",
    "OutletMonthParameter",
    "monthly_trend",
    "outlet_monthly_trend",
]
