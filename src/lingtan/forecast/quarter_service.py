"""15-minute forecasts of a point read every 15 minutes, from its readings (the store side of
:mod:`lingtan.forecast.quarter`). Computed on request and not stored: the hourly forecasts are
the stored ones; this one answers where the data is finer than hourly statistics.

A point whose readings come less often than every 15 minutes (``interval_s`` > 900), a
measurement (kW) or a virtual point has no 15-minute series: refused naming ``point``. As for
hourly forecasts, missing inputs give a status, never values borrowed from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from lingtan.errors import InvalidInput
from lingtan.forecast import quarter
from lingtan.forecast.features import CalendarNotCovered, calendar_coverage, day_types
from lingtan.forecast.service import (
    ISSUE_DAYS,
    MIN_HISTORY_DAYS,
    Horizon,
    Status,
    _day_start_us,
    _origins,
    _point,
    _zone,
)
from lingtan.identity.roles import Permission, Principal, require
from lingtan.normalize.intervals import interval_intervals, register_intervals
from lingtan.normalize.service import as_replacements
from lingtan.store import Store

#: the longest reading interval that gives a 15-minute series [s]
MAX_INTERVAL_S = 900
DAY_US = 86_400_000_000


def _num(x: float) -> float | None:
    return None if not math.isfinite(float(x)) else round(float(x), 6)


def quarter_hour_forecast(
    store: Store,
    *,
    principal: Principal,
    point_code: str,
    horizon: Horizon = Horizon.DAY_AHEAD,
    issue_day: dt.date | None = None,
    history_days: int = 56,
    backtest_days: int = 28,
) -> dict[str, Any]:
    """P10/P50/P90 per 15-minute slot of the day(s) after ``issue_day`` (default: the last
    local day whose last slot is known), with a rolling-origin backtest of both models."""
    require(principal, Permission.READ)
    if not MIN_HISTORY_DAYS <= history_days <= 366:
        raise InvalidInput(f"history_days must be between {MIN_HISTORY_DAYS} and 366",
                           field="history_days")  # fmt: skip
    if not 7 <= backtest_days <= history_days:
        raise InvalidInput("backtest_days must be between 7 and history_days",
                           field="backtest_days")  # fmt: skip
    if issue_day is not None and not ISSUE_DAYS[0] <= issue_day <= ISSUE_DAYS[1]:
        raise InvalidInput(
            f"issue_day must lie in {ISSUE_DAYS[0]}–{ISSUE_DAYS[1]}", field="issue_day"
        )
    point = _point(store, principal, point_code)
    if point.is_virtual or point.kind == "measurement" or point.interval_s > MAX_INTERVAL_S:
        raise InvalidInput(
            f"point {point.code} has no 15-minute series (a {point.kind} point read every "
            f"{point.interval_s} s{', virtual' if point.is_virtual else ''}): 15-minute "
            "forecasts need a physical consumption meter read at least every 15 minutes",
            field="point",
        )
    tz = _zone(store, point.park_id)
    out: dict[str, Any] = {
        "point": point.code,
        "unit": point.unit,
        "resolution_s": quarter.SLOT_US // 1_000_000,
        "horizon": horizon.value,
        "status": Status.OK.value,
        "detail": "",
        "model": None,
        "slots": [],
        "backtest": None,
    }

    def status(s: Status, detail: str) -> dict[str, Any]:
        return {**out, "status": s.value, "detail": detail}

    ts, raw = store.readings.fetch(point.id)
    if ts.size == 0:
        return status(Status.MISSING_INPUTS, f"point {point.code} has no readings")
    if point.kind == "interval":
        iv = interval_intervals(ts, raw, multiplier=point.multiplier, interval_s=point.interval_s)
    else:
        with store.begin() as conn:
            events = store.replacements.for_points(conn, [point.id]).get(point.id, [])
        iv = register_intervals(
            ts, raw, bidirectional=point.kind == "total", multiplier=point.multiplier,
            register_max=point.register_max, max_rate=point.max_rate,
            interval_s=point.interval_s, replacements=as_replacements(events),
        )  # fmt: skip
    if issue_day is None:
        last = dt.datetime.fromtimestamp(int(iv.knots[-1]) / 1e6, tz) if iv.knots.size else None
        if last is None:
            return status(Status.MISSING_INPUTS, f"point {point.code} has no known interval")
        # the last day whose last slot is known: a day still filling in is not over
        day = last.date()
        row = quarter.slot_energy(iv, _day_start_us(day, tz), _day_start_us(day, tz) + DAY_US)
        issue_day = day if np.isfinite(row[-1]) else day - dt.timedelta(days=1)
    first = issue_day - dt.timedelta(days=history_days - 1)
    n_hist, n = history_days, history_days + horizon.days
    days = [first + dt.timedelta(days=i) for i in range(n)]
    out["first_day"] = days[n_hist].isoformat()
    try:
        day_types(days)
    except CalendarNotCovered as err:
        lo, hi = calendar_coverage()
        return status(Status.CALENDAR_NOT_COVERED, f"{err} (covered: {lo}–{hi})")
    t0 = _day_start_us(first, tz)
    series = quarter.slot_energy(iv, t0, t0 + n_hist * DAY_US)
    values = np.vstack(
        [series.reshape(n_hist, quarter.SLOTS), np.full((horizon.days, quarter.SLOTS), np.nan)]
    )
    known_days = int(np.isfinite(values[:n_hist]).any(axis=1).sum())
    if known_days < MIN_HISTORY_DAYS:
        return status(
            Status.INSUFFICIENT_HISTORY,
            f"{known_days} days with 15-minute data before {days[n_hist]}; "
            f"at least {MIN_HISTORY_DAYS} are needed",
        )
    back = quarter.backtest(
        values[:n_hist], days[:n_hist], origins=_origins(n_hist, backtest_days),
        horizon_days=horizon.days,
    )  # fmt: skip
    model = back["chosen"]
    targets = list(range(n_hist, n))
    fc = quarter.forecast(values, days, targets=targets, lead_days=horizon.days, model=model)
    starts = (
        t0
        + n_hist * DAY_US
        + np.arange(horizon.days * quarter.SLOTS, dtype=np.int64) * (quarter.SLOT_US)
    )
    p10, p50, p90 = (a.reshape(-1) for a in (fc.p10, fc.p50, fc.p90))
    slots = [
        {"start_us": int(s), "p10": _num(a), "p50": _num(b), "p90": _num(c)}
        for s, a, b, c in zip(starts, p10, p50, p90, strict=True)
    ]
    gaps = int(np.isnan(p50).sum())
    return {
        **out,
        "status": (Status.MISSING_INPUTS if gaps else Status.OK).value,
        "detail": f"{gaps} slots without a comparable value" if gaps else "",
        "model": model,
        "issue_day": issue_day.isoformat(),
        "train_start": days[0].isoformat(),
        "slots": slots,
        "backtest": back,
    }
