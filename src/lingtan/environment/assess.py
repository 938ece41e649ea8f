"""Assess a long CSV of hourly monitoring values against GB 3095-2012 (and GB 3838-2002
classes for water parameters), pure: no store, no database.

Input columns: ``station,parameter,ts,value,unit``. ``ts`` is ISO 8601 *with* an offset (a naive
timestamp is rejected, naming its line) and is the start of the hour the value averages; an
empty ``value`` is an hour without a valid value. Each (station, parameter) series gets, per
local natural day: the 24-hour mean (or for O3 the daily maximum 8-hour mean) with its count of
valid values and validity (GB 3095-2012 表4), exceedances of the station's class limit (strictly
above; 超标倍数 = value / limit − 1), hourly exceedances of 1-hour limits, and annual means.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from lingtan import units
from lingtan.environment import air
from lingtan.environment.limits import (
    AirLimit,
    air_limit,
    min_count,
    water_standard,
)
from lingtan.environment.water import parameter_class
from lingtan.errors import InvalidInput

COLUMNS: Final = ("station", "parameter", "ts", "value", "unit")


@dataclass(frozen=True, slots=True)
class DayResult:
    """One day of one series."""

    day: dt.date
    statistic: str  # "24h", "8h_daily_max" or "24h_water"
    value: float | None
    count: int
    valid: bool
    limit: float | None
    exceeded: bool
    multiple: float | None
    water_class: str | None = None


@dataclass
class SeriesResult:
    """The assessment of one (station, parameter) series."""

    station: str
    parameter: str
    unit: str
    air_class: int
    hours: int
    valid_hours: int
    days: list[DayResult] = field(default_factory=list)
    hourly_exceedances: list[air.Exceedance] = field(default_factory=list)
    annual: list[air.AnnualMean] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exceedance_days(self) -> int:
        return sum(1 for d in self.days if d.exceeded)

    @property
    def invalid_days(self) -> int:
        return sum(1 for d in self.days if not d.valid)


@dataclass(frozen=True, slots=True)
class Series:
    station: str
    parameter: str
    unit: str
    start_s: air.I64
    value: air.F64


def read_csv(text: str | Iterable[str], origin: str = "input") -> list[Series]:
    """Parse the long CSV into hourly series (sorted by hour); ``InvalidInput`` names the line."""
    lines = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != COLUMNS:
        raise InvalidInput(f"{origin}: the header must be {','.join(COLUMNS)}", field="header")
    ts_cache: dict[str, int] = {}
    groups: dict[tuple[str, str], tuple[str, list[int], list[float]]] = {}
    factors: dict[tuple[str, str], float] = {}
    for lineno, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != 5:
            raise InvalidInput(f"{origin} line {lineno}: expected 5 fields, got {len(row)}")
        station, parameter, ts_text, value_text, unit = row
        s = ts_cache.get(ts_text)
        if s is None:
            try:
                ts = dt.datetime.fromisoformat(ts_text)
            except ValueError:
                raise InvalidInput(
                    f"{origin} line {lineno}: ts {ts_text!r} is not ISO 8601", field="ts"
                ) from None
            if ts.tzinfo is None or ts.utcoffset() is None:
                raise InvalidInput(
                    f"{origin} line {lineno}: ts {ts_text!r} has no UTC offset (naive)", field="ts"
                )
            stamp = ts.timestamp()
            if stamp % 3600:
                raise InvalidInput(
                    f"{origin} line {lineno}: ts {ts_text!r} is not the start of an hour",
                    field="ts",
                )
            s = ts_cache[ts_text] = int(stamp)
        key = (station, parameter)
        group = groups.get(key)
        if group is None:
            group = groups[key] = (unit, [], [])
        if value_text == "":
            v = math.nan
        else:
            try:
                v = float(value_text)
            except ValueError:
                raise InvalidInput(
                    f"{origin} line {lineno}: value {value_text!r} is not a number", field="value"
                ) from None
            if unit != group[0]:
                f = factors.get((unit, group[0]))
                if f is None:
                    try:
                        f = factors[(unit, group[0])] = units.factor(unit, group[0])
                    except InvalidInput as err:
                        raise InvalidInput(f"{origin} line {lineno}: {err}", field="unit") from None
                v *= f
        group[1].append(s)
        group[2].append(v)
    out = []
    for (station, parameter), (unit, ss, vs) in groups.items():
        s_arr = np.asarray(ss, dtype=np.int64)
        order = np.argsort(s_arr, kind="stable")
        s_arr = s_arr[order]
        dup = np.flatnonzero(s_arr[1:] == s_arr[:-1])
        if len(dup):
            when = dt.datetime.fromtimestamp(int(s_arr[dup[0]]), dt.UTC).isoformat()
            raise InvalidInput(
                f"{origin}: {station}/{parameter} has two values for the hour {when}", field="ts"
            )
        out.append(Series(station, parameter, unit, s_arr, np.asarray(vs)[order]))
    return out


def _limit_value(rec: AirLimit, cls: int, unit: str) -> float:
    return rec.value(cls) * units.factor(rec.unit, unit)


def _days(daily: air.DailyStats, statistic: str, limit: float | None) -> list[DayResult]:
    out = []
    for d, v, n, ok in zip(
        daily.day.tolist(),
        daily.value.tolist(),
        daily.count.tolist(),
        daily.valid.tolist(),
        strict=True,
    ):
        value = None if math.isnan(v) else v
        exceeded = bool(ok and limit is not None and value is not None and value > limit)
        multiple = air.exceedance_multiple(v, limit) if exceeded and limit is not None else None
        out.append(DayResult(air.day_date(d), statistic, value, n, ok, limit, exceeded, multiple))
    return out


def assess_series(series: Series, air_class: int, tz: dt.tzinfo) -> SeriesResult:
    """GB 3095-2012 statistics of one hourly series for environmental-function ``air_class``."""
    p = series.parameter
    res = SeriesResult(
        series.station,
        p,
        series.unit,
        air_class,
        hours=len(series.value),
        valid_hours=int(np.count_nonzero(~np.isnan(series.value))),
    )
    water = {w.parameter: w for w in water_standard().parameters}
    if p in water:
        daily = air.daily_mean(series.start_s, series.value, tz, 1)
        rec = water[p]
        factor = units.factor(series.unit, rec.unit) if rec.unit != "1" else 1.0
        for row in _days(daily, "24h_water", None):
            cls = parameter_class(row.value * factor, rec) if row.value is not None else None
            res.days.append(
                DayResult(
                    row.day, row.statistic, row.value, row.count, row.valid, None, False, None, cls
                )
            )
        res.sources.append("GB 3838-2002 表1")
        res.notes.append("water: daily mean of the hours and its GB 3838-2002 class")
        return res
    one_hour = air_limit(p, "1h")
    if one_hour is not None:
        lim = _limit_value(one_hour, air_class, series.unit)
        labels = [
            dt.datetime.fromtimestamp(s, dt.UTC).astimezone(tz).isoformat()
            for s in series.start_s[series.value > lim].tolist()
        ]
        ok = ~np.isnan(series.value)
        hit = series.value > lim
        res.hourly_exceedances = air.exceedances(labels, series.value[hit], ok[hit], lim)
        res.sources.append(f"{one_hour.cite} 1h")
    if p == "O3":
        rec = air_limit(p, "8h_daily_max")
        daily = air.daily_max_8h_mean(
            series.start_s, series.value, tz, min_count("8h"), min_count("8h_daily_max")
        )
        lim8 = _limit_value(rec, air_class, series.unit) if rec is not None else None
        res.days = _days(daily, "8h_daily_max", lim8)
        if rec is not None:
            res.sources.append(f"{rec.cite} 8h_daily_max")
        return res
    rec24 = air_limit(p, "24h")
    daily = air.daily_mean(series.start_s, series.value, tz, min_count("24h"))
    lim24 = _limit_value(rec24, air_class, series.unit) if rec24 is not None else None
    res.days = _days(daily, "24h", lim24)
    if rec24 is not None:
        res.sources.append(f"{rec24.cite} 24h")
    elif air_limit(p, "annual") is None and one_hour is None:
        res.notes.append(f"{p}: no GB 3095-2012 limit; daily means only")
    annual = air_limit(p, "annual")
    if annual is not None:
        res.annual = air.annual_mean(daily, min_count("annual"))
        res.sources.append(f"{annual.cite} annual")
    return res


@dataclass
class Assessment:
    """The assessment of a whole file."""

    tz: str
    series: list[SeriesResult]

    def summary(self) -> list[dict[str, object]]:
        return [
            {
                "station": r.station,
                "parameter": r.parameter,
                "unit": r.unit,
                "class": r.air_class,
                "hours": r.hours,
                "valid_hours": r.valid_hours,
                "days": len(r.days),
                "invalid_days": r.invalid_days,
                "exceedance_days": r.exceedance_days,
                "hourly_exceedances": len(r.hourly_exceedances),
                "max_multiple": max(
                    [d.multiple for d in r.days if d.multiple is not None]
                    + [e.multiple for e in r.hourly_exceedances],
                    default=None,
                ),
            }
            for r in self.series
        ]


def assess(
    series: list[Series], classes: Mapping[str, int] | int, tz: dt.tzinfo, tz_name: str = ""
) -> Assessment:
    """Assess every series; ``classes`` gives each station's air class (or one for all)."""
    out = []
    for s in sorted(series, key=lambda x: (x.station, x.parameter)):
        cls = classes if isinstance(classes, int) else classes.get(s.station)
        if cls is None:
            raise InvalidInput(f"no air class given for station {s.station}", field="class")
        out.append(assess_series(s, cls, tz))
    return Assessment(tz_name or str(tz), out)
