"""Which time-of-use period (分时时段) a local instant or interval falls in (pure).

Periods are defined in local wall time (Asia/Shanghai has no daylight saving time, so every
local day has 24 hours and an hour of UTC maps to exactly one local hour); the seasonal calendar
chooses the day schedule by the local month.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from lingtan.errors import InvalidInput
from lingtan.tariffs.records import DAY_MINUTES, Tariff


def period_at(tariff: Tariff, local: dt.datetime) -> str:
    """The period of the local time ``local`` (naive wall time or aware in the park's zone).

    Notes
    -----
    A period range is [from, to): 08:00 belongs to the range starting at 08:00, 07:59 to the
    one before it. The schedule is the one of ``local.month`` in the record's calendar.
    """
    minute = local.hour * 60 + local.minute
    for r in tariff.schedule(local.month).hours:
        if r.start <= minute < r.end:
            return r.period
    raise AssertionError("a validated schedule covers the day")  # pragma: no cover


def interval_periods(
    tariff: Tariff, start_utc: dt.datetime, minutes: int, zone: ZoneInfo
) -> dict[str, float]:
    """Minutes of each period in the interval [start, start + minutes) (a 15-min or hourly
    interval may straddle a period boundary on a half-hour schedule).

    Notes
    -----
    Minutes are counted by the overlap of the interval with each range [from, to) of the day
    schedule of the local day the minutes fall in (an interval past midnight continues in the
    next day's schedule); the result sums to ``minutes``.
    """
    if start_utc.tzinfo is None:
        raise InvalidInput("start must be timezone-aware", field="start")
    if not 0 < minutes <= DAY_MINUTES:
        raise InvalidInput("minutes must be 1-1440", field="minutes")
    local = start_utc.astimezone(zone)
    out: dict[str, float] = {}
    day = local.date()
    lo = local.hour * 60 + local.minute
    left = minutes
    while left > 0:
        hi = min(lo + left, DAY_MINUTES)
        for r in tariff.schedule(day.month).hours:
            overlap = min(hi, r.end) - max(lo, r.start)
            if overlap > 0:
                out[r.period] = out.get(r.period, 0.0) + float(overlap)
        left -= hi - lo
        day, lo = day + dt.timedelta(days=1), 0
    return out


def hour_period_shares(tariff: Tariff, start_utc: dt.datetime, zone: ZoneInfo) -> dict[str, float]:
    """Share (0-1) of each period in the hour starting at ``start_utc``; one period with share
    1.0 when the hour lies inside one range (always so for whole-hour schedules)."""
    return {k: v / 60.0 for k, v in interval_periods(tariff, start_utc, 60, zone).items()}
