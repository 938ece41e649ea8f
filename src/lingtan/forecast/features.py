"""Features of hourly load forecasts (pure: numpy and the Chinese calendar, no store, no I/O).

A series is held as a day matrix: consecutive local days × 24 hours (the park's time zone has a
whole-hour offset and no daylight saving, so every local day has 24 hours). Missing hours are NaN
and stay NaN: a feature built from a missing hour is missing, never zero.

The Chinese working-day calendar — statutory holidays (法定节假日) and the weekend days that the
State Council moves to working days (调休) — comes from the maintained ``chinesecalendar``
package (import name ``chinese_calendar``), not from a list kept here. The package knows a year
only once the State Council has published its notice; :func:`calendar_coverage` says which years
it knows, and a day outside them has no calendar features (:class:`CalendarNotCovered`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import chinese_calendar
import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput

F64 = NDArray[np.float64]

HOURS: Final = 24

#: names of the model's feature columns, in column order; temperature is appended when used
BASE_FEATURES: Final = (
    "hour",
    "weekday",
    "workday",
    "holiday",
    "adjusted_workday",
    "lag_comparable",
    "lag_week",
    "level_last_day",
)
TEMPERATURE_FEATURE: Final = "temperature"


class CalendarNotCovered(InvalidInput):
    """A day lies in a year the installed Chinese calendar does not know yet."""


def calendar_coverage() -> tuple[int, int]:
    """First and last year the installed ``chinesecalendar`` knows (both inclusive)."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return years[0], years[-1]


@dataclass(frozen=True, slots=True)
class DayType:
    """The calendar class of one day."""

    workday: bool
    #: a statutory holiday (法定节假日), weekends excluded
    holiday: bool
    #: a Saturday or Sunday that is a working day by 调休
    adjusted_workday: bool


@functools.lru_cache(maxsize=8192)
def day_type(day: dt.date) -> DayType:
    """Workday / holiday / 调休 flags of ``day`` from ``chinesecalendar``.

    Raises :class:`CalendarNotCovered` for a year the package does not know.
    """
    try:
        workday = bool(chinese_calendar.is_workday(day))
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError as err:
        first, last = calendar_coverage()
        raise CalendarNotCovered(
            f"the Chinese working-day calendar (chinesecalendar) covers {first}–{last}; "
            f"{day.isoformat()} is outside it",
            field="day",
        ) from err
    weekend = day.weekday() >= 5
    return DayType(
        workday=workday,
        holiday=bool(on_holiday and name is not None),
        adjusted_workday=workday and weekend,
    )


def day_types(days: Sequence[dt.date]) -> list[DayType]:
    """:func:`day_type` of each day."""
    return [day_type(d) for d in days]


def comparable_day_index(types: Sequence[DayType], target: int, lead_days: int) -> int | None:
    """Index of the day that seasonal-naive takes for day ``target``, or None.

    Weekly seasonality with the calendar: the same weekday one week earlier when it is of the
    same class (workday or rest day) as the target; otherwise the latest day of that class at
    least ``lead_days`` before the target. So a 调休 Saturday is predicted from the last
    workday, and a National Day holiday Tuesday from the last rest day.
    """
    if lead_days < 1:
        raise InvalidInput("lead_days must be at least 1", field="lead_days")
    want = types[target].workday
    week = target - 7 * -(-lead_days // 7)
    if week >= 0 and types[week].workday == want:
        return week
    for i in range(target - lead_days, -1, -1):
        if types[i].workday == want:
            return i
    return None


@dataclass(frozen=True, slots=True)
class DesignMatrix:
    """Rows (day, hour) of a series with their features and target."""

    #: (n_rows, n_features)
    x: F64
    #: (n_rows,) actual values, NaN where unknown (the hours to forecast)
    y: F64
    #: day index and hour of each row
    day: NDArray[np.int64]
    hour: NDArray[np.int64]
    names: tuple[str, ...]


def design(
    values: F64,
    days: Sequence[dt.date],
    *,
    lead_days: int,
    rows_from: int = 0,
    temperature: F64 | None = None,
    width: int = HOURS,
) -> DesignMatrix:
    """The feature matrix of days ``rows_from`` … end of a day matrix.

    ``values`` is (n_days, ``width``) — 24 hours, or 96 quarter-hour slots for the 15-minute
    forecasts, whose first feature is then the slot of the day (named ``slot``) — NaN where
    missing; the last days may be all NaN (the days to
    forecast). Every lag looks at least ``lead_days`` back, so a row never sees a value that
    would not be known when the forecast is issued (the end of day ``d − lead_days``).
    ``temperature`` (same shape, °C) is a forecast input: the caller passes the imported weather
    series, including the target days.
    """
    if values.ndim != 2 or values.shape[1] != width:
        raise InvalidInput(f"values must be a (days, {width}) matrix", field="values")
    if len(days) != values.shape[0]:
        raise InvalidInput("days and values differ in length", field="days")
    if temperature is not None and temperature.shape != values.shape:
        raise InvalidInput("temperature must have the shape of values", field="temperature")
    types = day_types(days)
    n = len(days)
    lead_week = 7 * -(-lead_days // 7)
    rows = []
    for d in range(rows_from, n):
        t = types[d]
        comp = comparable_day_index(types, d, lead_days)
        lag_c = values[comp] if comp is not None else np.full(width, np.nan)
        lag_w = values[d - lead_week] if d - lead_week >= 0 else np.full(width, np.nan)
        prev = values[d - lead_days] if d - lead_days >= 0 else np.full(width, np.nan)
        with np.errstate(all="ignore"):
            level = float(np.mean(prev)) if not np.isnan(prev).any() else np.nan
        block = np.empty((width, len(BASE_FEATURES)), np.float64)
        block[:, 0] = np.arange(width)
        block[:, 1] = days[d].weekday()
        block[:, 2] = t.workday
        block[:, 3] = t.holiday
        block[:, 4] = t.adjusted_workday
        block[:, 5] = lag_c
        block[:, 6] = lag_w
        block[:, 7] = level
        if temperature is not None:
            block = np.column_stack([block, temperature[d]])
        rows.append(block)
    first = ("hour",) if width == HOURS else ("slot",)
    names = first + BASE_FEATURES[1:] + ((TEMPERATURE_FEATURE,) if temperature is not None else ())
    if not rows:
        empty = np.empty((0, len(names)))
        return DesignMatrix(empty, np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64), names)
    x = np.vstack(rows)
    count = n - rows_from
    return DesignMatrix(
        x=x,
        y=values[rows_from:].reshape(-1).astype(np.float64),
        day=np.repeat(np.arange(rows_from, n), width),
        hour=np.tile(np.arange(width), count),
        names=names,
    )
