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

import datetime as dt
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

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
    #: the annual limit for the station's class, in the series' unit (None: no annual limit)
    annual_limit: float | None = None
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exceedance_days(self) -> int:
        return sum(1 for d in self.days if d.exceeded)

    @property
    def annual_exceeded(self) -> list[int]:
        """Years whose valid annual mean is strictly above the annual limit."""
        lim = self.annual_limit
        return [
            a.year
            for a in self.annual
            if lim is not None and a.valid and a.value is not None and a.value > lim
        ]

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


def _line(mask: npt.NDArray[np.bool_]) -> int:
    """File line number (header = 1) of the first row where ``mask`` holds."""
    return int(np.argmax(mask)) + 2


_DTYPES: Final = {
    "station": "category",
    "parameter": "category",
    "ts": "category",
    "value": "float64",
    "unit": "category",
}


def _read_frame(source: str | Path, origin: str, dtypes: Mapping[str, str]) -> pd.DataFrame:
    buf = io.StringIO(source) if isinstance(source, str) else source
    try:
        return pd.read_csv(
            buf,
            dtype=dict(dtypes),
            keep_default_na=False,
            na_values={"value": [""]},
            encoding="utf-8-sig",
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{origin}: empty file", field="header") from None
    except pd.errors.ParserError as err:
        raise InvalidInput(f"{origin}: {err}", field="row") from None


def _bad_value_line(source: str | Path, origin: str) -> InvalidInput:
    """The first line whose value is not a number (slow path, only after a failed read)."""
    df = _read_frame(source, origin, {c: "str" for c in COLUMNS})
    text = df["value"].fillna("").to_numpy(dtype=object)
    num = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(num) & (text != "")
    i = int(np.argmax(bad))
    return InvalidInput(f"{origin} line {i + 2}: value {text[i]!r} is not a number", field="value")


def _epochs(codes: npt.NDArray[np.int64], texts: list[str], origin: str) -> npt.NDArray[np.int64]:
    """Epoch seconds of each distinct timestamp text; naive, unparsable or not on an hour
    raises ``InvalidInput`` naming the first line that holds it."""
    epoch = np.empty(len(texts), np.int64)
    for k, text in enumerate(texts):
        problem = None
        try:
            ts = dt.datetime.fromisoformat(text)
        except ValueError:
            problem = "is not ISO 8601"
        else:
            if ts.tzinfo is None or ts.utcoffset() is None:
                problem = "has no UTC offset (naive)"
            elif ts.timestamp() % 3600:
                problem = "is not the start of an hour"
        if problem is not None:
            line = int(np.argmax(codes == k)) + 2
            raise InvalidInput(f"{origin} line {line}: ts {text!r} {problem}", field="ts")
        epoch[k] = int(ts.timestamp())
    return epoch


def read_csv(source: str | Path, origin: str = "input") -> list[Series]:
    """Parse the long CSV (text, or a file path) into hourly series sorted by hour;
    ``InvalidInput`` names the offending line.

    pandas' C parser reads the text columns as categories (a year of 50 stations × 6
    parameters is 2.6 M rows but 8,760 distinct timestamps, parsed once each) and the values as
    floats; everything after is integer arithmetic on the category codes. Line numbers count
    the header as line 1 and assume no blank lines (blank lines are skipped).
    """
    try:
        df = _read_frame(source, origin, _DTYPES)
    except ValueError as err:
        if isinstance(err, InvalidInput):
            raise
        raise _bad_value_line(source, origin) from None
    if tuple(str(c).strip() for c in df.columns) != COLUMNS:
        raise InvalidInput(f"{origin}: the header must be {','.join(COLUMNS)}", field="header")
    df.columns = list(COLUMNS)
    if len(df) == 0:
        return []
    cat = {c: df[c].cat for c in ("station", "parameter", "ts", "unit")}
    ts_codes = cat["ts"].codes.to_numpy(dtype=np.int64)
    start_s = _epochs(ts_codes, [str(x) for x in cat["ts"].categories], origin)[ts_codes]
    values = df["value"].to_numpy(dtype=np.float64, copy=True)
    n_param = len(cat["parameter"].categories)
    key = cat["station"].codes.to_numpy(dtype=np.int64) * n_param + cat["parameter"].codes.to_numpy(
        dtype=np.int64
    )
    unit_codes = cat["unit"].codes.to_numpy(dtype=np.int64)
    unit_texts = [str(x) for x in cat["unit"].categories]
    order = np.lexsort((start_s, key))
    k_sorted, s_sorted = key[order], start_s[order]
    starts = np.concatenate(([0], np.flatnonzero(k_sorted[1:] != k_sorted[:-1]) + 1))
    ends = np.concatenate((starts[1:], [len(order)]))
    dup = np.flatnonzero((k_sorted[1:] == k_sorted[:-1]) & (s_sorted[1:] == s_sorted[:-1]))
    if len(dup):
        row = int(order[dup[0] + 1])
        when = dt.datetime.fromtimestamp(int(s_sorted[dup[0]]), dt.UTC).isoformat()
        raise InvalidInput(
            f"{origin} line {row + 2}: {df['station'].iat[row]}/{df['parameter'].iat[row]} "
            f"has two values for the hour {when}",
            field="ts",
        )
    # a series' unit is the unit of its first line in the file; other lines are converted
    first_row = np.minimum.reduceat(order, starts)
    out = []
    for a, b, first in zip(starts.tolist(), ends.tolist(), first_row.tolist(), strict=True):
        rows = order[a:b]
        v = values[rows]
        home = int(unit_codes[first])
        other = unit_codes[rows] != home
        if other.any():
            for uc in np.unique(unit_codes[rows][other]).tolist():
                sel = unit_codes[rows] == uc
                try:
                    v[sel] *= units.factor(unit_texts[uc], unit_texts[home])
                except InvalidInput as err:
                    line = int(rows[sel].min()) + 2
                    raise InvalidInput(f"{origin} line {line}: {err}", field="unit") from None
        out.append(
            Series(
                str(df["station"].iat[first]),
                str(df["parameter"].iat[first]),
                unit_texts[home],
                s_sorted[a:b],
                v,
            )
        )
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
        wrec = water[p]
        factor = units.factor(series.unit, wrec.unit) if wrec.unit != "1" else 1.0
        for row in _days(daily, "24h_water", None):
            cls = parameter_class(row.value * factor, wrec) if row.value is not None else None
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
        res.annual_limit = _limit_value(annual, air_class, series.unit)
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
                "annual_exceeded": r.annual_exceeded,
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
