"""Ambient-air statistics of GB 3095-2012 / HJ 663-2013 (pure, numpy).

An hourly series is two arrays: ``start_s`` — the start of each hour, epoch seconds (the hour
[start, start + 3600 s) the value averages), sorted, unique — and ``value`` — the hourly mean
concentration in the limit's unit, NaN where the hour has no valid value (missing, or flagged
invalid by the station). Days are natural days (自然日) in the local time zone ``tz`` (the park's,
Asia/Shanghai by default): a UTC series is grouped by local midnight, never by UTC midnight.

The minimum counts (GB 3095-2012 表4) and the limits are arguments, never looked up here: see
:mod:`lingtan.environment.limits` for the records and their confidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

HOUR_S = 3600
DAY_S = 86_400
_EPOCH_DAY = dt.date(1970, 1, 1)


#: (zone, UTC day) → the zone's offset [s] at the day's first and last second
_DAY_OFFSETS: dict[tuple[dt.tzinfo, int], tuple[int, int]] = {}


def _offset_at(tz: dt.tzinfo, epoch_s: int) -> int:
    off = dt.datetime.fromtimestamp(epoch_s, dt.UTC).astimezone(tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def utc_offsets_s(start_s: I64, tz: dt.tzinfo) -> I64:
    """UTC offset [s] of ``tz`` at each instant.

    Looked up once per UTC day (cached across calls); only a day whose first and last second
    differ in offset (a daylight-saving change) is looked up hour by hour.
    """
    if len(start_s) == 0:
        return np.zeros(0, np.int64)
    days, inverse = np.unique(start_s // DAY_S, return_inverse=True)
    inverse = inverse.reshape(-1)
    per_day = np.empty(len(days), np.int64)
    changing = []
    for k, d in enumerate(days.tolist()):
        pair = _DAY_OFFSETS.get((tz, d))
        if pair is None:
            pair = _DAY_OFFSETS[(tz, d)] = (
                _offset_at(tz, d * DAY_S),
                _offset_at(tz, d * DAY_S + DAY_S - 1),
            )
        per_day[k] = pair[0]
        if pair[0] != pair[1]:
            changing.append(k)
    out = per_day[inverse]
    for k in changing:
        at = np.flatnonzero(inverse == k)
        out[at] = [_offset_at(tz, int(x)) for x in start_s[at].tolist()]
    return out


def local_day(start_s: I64, tz: dt.tzinfo) -> I64:
    """Local natural day of each instant, as days since 1970-01-01 (local calendar)."""
    return (start_s + utc_offsets_s(start_s, tz)) // DAY_S


def day_date(day: int) -> dt.date:
    """The calendar date of a day number of :func:`local_day`."""
    return _EPOCH_DAY + dt.timedelta(days=int(day))


@dataclass(frozen=True, slots=True)
class HourlyStats:
    """One value per hour: hour ``start_s`` [s], mean, valid minutes, validity."""

    start_s: I64
    value: F64
    count: I64
    valid: B


def hourly_mean(minute_s: I64, value: F64, min_minutes: int) -> HourlyStats:
    """1-hour average concentration from minute values (HJ 212 2051 data) [unit of ``value``].

    Parameters
    ----------
    minute_s : minute starts [s since epoch], unique
    value : minute mean concentrations, NaN where not valid (a flag other than N)
    min_minutes : valid minutes an hour needs (GB 3095-2012 表4: 45)

    Notes
    -----
    GB 3095-2012 §3 (1小时平均: 任何1小时污染物浓度的算术平均值) and 表4 (每小时至少有45分钟的
    采样时间). Hours are whole clock hours of UTC, which are whole local hours in every zone with
    whole-hour offsets (Asia/Shanghai). An hour that has no valid minute has a NaN mean.
    """
    hours = minute_s // HOUR_S
    uniq, inv = np.unique(hours, return_inverse=True)
    inv = inv.reshape(-1)
    ok = ~np.isnan(value)
    count = np.bincount(inv, weights=ok, minlength=len(uniq)).astype(np.int64)
    total = np.bincount(inv, weights=np.where(ok, value, 0.0), minlength=len(uniq))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return HourlyStats(uniq.astype(np.int64) * HOUR_S, mean, count, count >= min_minutes)


@dataclass(frozen=True, slots=True)
class DailyStats:
    """One value per local day: ``day`` (days since 1970-01-01), ``value``, the number of valid
    values it comes from, and whether that number meets the minimum."""

    day: I64
    value: F64
    count: I64
    valid: B


def daily_mean(start_s: I64, value: F64, tz: dt.tzinfo, min_hours: int) -> DailyStats:
    """24-hour average concentration per local natural day [same unit as ``value``].

    Parameters
    ----------
    start_s : hour starts [s since epoch]
    value : hourly mean concentrations [µg/m³ or mg/m³], NaN for no valid value
    tz : local time zone of the natural day
    min_hours : valid hourly values a day needs (GB 3095-2012 表4: 20)

    Notes
    -----
    GB 3095-2012 §3 (24小时平均: 一个自然日24小时平均浓度的算术平均值) and 表4: the daily value
    is valid only with at least ``min_hours`` valid hourly values. The mean of the valid hours is
    returned for every day that has one, with ``valid`` False when there are too few.
    """
    days = local_day(start_s, tz)
    uniq, inv = np.unique(days, return_inverse=True)
    inv = inv.reshape(-1)
    ok = ~np.isnan(value)
    count = np.bincount(inv, weights=ok, minlength=len(uniq)).astype(np.int64)
    total = np.bincount(inv, weights=np.where(ok, value, 0.0), minlength=len(uniq))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return DailyStats(uniq.astype(np.int64), mean, count, count >= min_hours)


@dataclass(frozen=True, slots=True)
class Windows:
    """8-hour moving averages: window ``start_s`` [s], mean, valid hours, validity."""

    start_s: I64
    value: F64
    count: I64
    valid: B


def moving_8h_mean(start_s: I64, value: F64, min_hours: int) -> Windows:
    """8-hour moving average concentration for every window of 8 consecutive hours.

    Parameters
    ----------
    start_s, value : the hourly series (NaN = no valid value)
    min_hours : valid hourly values a window needs (GB 3095-2012 表4: 6)

    Notes
    -----
    GB 3095-2012 §3 (8小时平均: 连续8小时平均浓度的算术平均值, 也称8小时滑动平均). The window
    starting at hour h covers hours h … h+7; its value is the mean of its valid hours.
    """
    if len(start_s) == 0:
        z = np.zeros(0, np.int64)
        return Windows(z, np.zeros(0), z, np.zeros(0, bool))
    # windows start up to 7 hours before the first hour: they hold some of its hours too
    h0 = int(start_s[0]) - 7 * HOUR_S
    idx = (start_s - h0) // HOUR_S
    n = int(idx[-1]) + 1
    dense = np.full(n + 7, np.nan)
    dense[idx] = value
    ok = ~np.isnan(dense)
    c = np.concatenate(([0], np.cumsum(ok)))
    s = np.concatenate(([0.0], np.cumsum(np.where(ok, dense, 0.0))))
    count = (c[8 : n + 8] - c[:n]).astype(np.int64)
    total = s[8 : n + 8] - s[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    starts = h0 + np.arange(n, dtype=np.int64) * HOUR_S
    return Windows(starts, mean, count, count >= min_hours)


def daily_max_8h_mean(
    start_s: I64, value: F64, tz: dt.tzinfo, min_hours: int, min_windows: int
) -> DailyStats:
    """Daily maximum 8-hour average (臭氧日最大8小时平均) per local natural day.

    Parameters
    ----------
    start_s, value : the hourly O3 series [µg/m³], NaN = no valid value
    tz : local time zone of the natural day
    min_hours : valid hours an 8-hour window needs (表4: 6)
    min_windows : valid windows a day needs for its maximum to be valid (14)

    Notes
    -----
    HJ 663-2013: the maximum of the 8-hour moving averages of a natural day, over the windows
    ending at 08:00 … 24:00 local time, i.e. starting at local hours 0 … 16 (17 windows, all
    inside the day). ``count`` is the number of valid windows among those 17.
    """
    w = moving_8h_mean(start_s, value, min_hours)
    local = w.start_s + utc_offsets_s(w.start_s, tz)
    hour = (local % DAY_S) // HOUR_S
    use = (hour <= 16) & w.valid
    days = local // DAY_S
    all_days = np.unique(local_day(start_s, tz))
    pos = np.searchsorted(all_days, days[use])
    best = np.full(len(all_days), -np.inf)
    np.maximum.at(best, pos, w.value[use])
    count = np.bincount(pos, minlength=len(all_days)).astype(np.int64)
    best = np.where(count > 0, best, np.nan)
    return DailyStats(all_days.astype(np.int64), best, count, count >= min_windows)


@dataclass(frozen=True, slots=True)
class Exceedance:
    """A statistic strictly above its limit; ``multiple`` = value / limit − 1 (超标倍数)."""

    when: str
    value: float
    limit: float
    multiple: float


def exceedance_multiple(value: float, limit: float) -> float:
    """超标倍数 [-] of a concentration over its limit.

    Notes
    -----
    HJ 663-2013: 超标倍数 = (C − S) / S = C / S − 1, for C > S; a value equal to the limit is
    compliant (the limits are 浓度限值, not to be exceeded).
    """
    if limit <= 0:
        raise ValueError(f"limit must be > 0, not {limit}")
    return value / limit - 1.0


def above(value: F64, limit: float) -> B:
    """Where ``value`` exceeds ``limit``: strictly above (a value equal to the limit meets it,
    GB 3095-2012 / HJ 663-2013 浓度限值); NaN (no valid value) is never above. The one
    comparison of a maximum limit: the permit assessment and the outlet trend use it too."""
    return np.greater(value, limit)


def exceedances(labels: list[str], value: F64, valid: B, limit: float) -> list[Exceedance]:
    """Valid values strictly above ``limit``, with their 超标倍数."""
    hit = np.flatnonzero(valid & above(value, limit))
    return [
        Exceedance(labels[i], float(value[i]), limit, exceedance_multiple(float(value[i]), limit))
        for i in hit.tolist()
    ]


@dataclass(frozen=True, slots=True)
class AnnualMean:
    """A calendar year's mean of the valid daily values."""

    year: int
    value: float | None
    days: int
    valid: bool


def annual_mean(daily: DailyStats, min_days: int) -> list[AnnualMean]:
    """Annual average concentration per calendar year [unit of the daily values].

    Notes
    -----
    GB 3095-2012 §3 (年平均: 一个日历年内各日平均浓度的算术平均值) and 表4: valid with at least
    ``min_days`` valid daily values (324). Only valid days enter the mean.
    """
    years = np.array([day_date(d).year for d in daily.day.tolist()], dtype=np.int64)
    out = []
    for y in np.unique(years).tolist():
        sel = (years == y) & daily.valid
        n = int(sel.sum())
        out.append(
            AnnualMean(int(y), float(daily.value[sel].mean()) if n else None, n, n >= min_days)
        )
    return out
