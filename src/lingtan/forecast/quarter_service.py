"""15-minute forecasts of a point read every 15 minutes, from its readings (the store side of
:mod:`lingtan.forecast.quarter`). Computed on request (:func:`quarter_hour_forecast`) or issued
and stored like an hourly forecast (:func:`issue_quarter_forecast`: a ``forecast_run`` with
``step_s`` 900 and 96 values a day), read back and compared with the actuals of its slots by
:func:`lingtan.forecast.service.forecast`.

A point whose readings come less often than every 15 minutes (``interval_s`` > 900), a
measurement (kW) or a virtual point has no 15-minute series: refused naming ``point``. As for
hourly forecasts, missing inputs give a status, never values borrowed from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from lingtan.errors import InvalidInput
from lingtan.forecast import quarter
from lingtan.forecast.features import F64, CalendarNotCovered, calendar_coverage, day_types
from lingtan.forecast.models import MODEL_VERSION
from lingtan.forecast.service import (
    ISSUE_DAYS,
    MIN_HISTORY_DAYS,
    ForecastView,
    Horizon,
    Status,
    _day_start_us,
    _now,
    _origins,
    _point,
    _zone,
    calendar_status,
    forecast,
)
from lingtan.identity.roles import Permission, Principal, require
from lingtan.normalize.service import point_intervals
from lingtan.normalize.slots import MAX_INTERVAL_S
from lingtan.store import Store
from lingtan.store.forecast_repo import ForecastRepo
from lingtan.store.records import PointRecord

DAY_US = 86_400_000_000
#: the slot length of a 15-minute forecast [s] (``forecast_run.step_s``)
STEP_S = quarter.SLOT_US // 1_000_000
#: the history the nightly job gives each 15-minute forecast [days] (at most its own
#: ``history_days``): 8 weeks, the on-request default
JOB_HISTORY_DAYS = 56


def has_quarter_series(point: PointRecord) -> bool:
    """Whether a point has a 15-minute series: a physical consumption point (register or
    interval readings, not a kW measurement) read at least every 15 minutes."""
    return (
        not point.is_virtual and point.kind != "measurement" and point.interval_s <= MAX_INTERVAL_S
    )


def _num(x: float) -> float | None:
    return None if not math.isfinite(float(x)) else round(float(x), 6)


def slot_actuals(store: Store, point: PointRecord, first: dt.date, days: int, tz: ZoneInfo) -> F64:
    """The point's 15-minute energies of ``days`` local days from ``first`` (NaN: unknown), as
    one row of ``days`` × 96 slots: what a stored 15-minute forecast is compared with."""
    t0 = _day_start_us(first, tz)
    iv = point_intervals(store, point)
    if iv is None:
        return np.full(days * quarter.SLOTS, np.nan)
    return quarter.slot_energy(iv, t0, t0 + days * DAY_US)


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
    local day whose last slot is known), with a rolling-origin backtest of the models
    (:data:`quarter.MODELS`) that chooses the one used."""
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
    if not has_quarter_series(point):
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

    iv = point_intervals(store, point)
    if iv is None:
        return status(Status.MISSING_INPUTS, f"point {point.code} has no readings")
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
    features = list(quarter.GBM_FEATURES) if model == "gbm" else ["comparable_day"]
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
        "features": features,
        "issue_day": issue_day.isoformat(),
        "train_start": days[0].isoformat(),
        "slots": slots,
        "backtest": back,
    }


def issue_quarter_forecast(
    store: Store,
    *,
    principal: Principal,
    point_code: str,
    horizon: Horizon = Horizon.DAY_AHEAD,
    issue_day: dt.date | None = None,
    history_days: int = 56,
    backtest_days: int = 28,
) -> ForecastView:
    """Compute a point's 15-minute forecast and store it as hourly forecasts are stored: one
    ``forecast_run`` (``step_s`` 900) with its model, training window and backtest, and its 96
    values a day. A forecast without values is stored with its status, as an hourly one is.

    Needs the write permission (a forecast is a stored record); the point must be in scope."""
    require(principal, Permission.WRITE)
    got = quarter_hour_forecast(
        store, principal=principal, point_code=point_code, horizon=horizon,
        issue_day=issue_day, history_days=history_days, backtest_days=backtest_days,
    )  # fmt: skip
    point = _point(store, principal, point_code)
    back: dict[str, Any] = got["backtest"] or {}
    if back.get("models"):
        # the keys the dashboard reads for every stored forecast: the chosen model's and the
        # baseline's errors beside the skill
        back = {
            **back,
            "model": back["models"].get(back["chosen"]),
            "naive": back["models"].get("seasonal_naive"),
            "calendar": calendar_status(),
        }
    first_day = got.get("first_day") or dt.datetime.now(_zone(store, point.park_id)).date()
    run: dict[str, Any] = {
        "park_id": point.park_id,
        "subject": "point",
        "subject_code": point.code,
        "point_id": point.id,
        "enterprise_id": point.enterprise_id,
        "carrier": None,
        "horizon": horizon.value,
        "first_day": str(first_day),
        "days": horizon.days,
        "step_s": STEP_S,
        "status": got["status"],
        "detail": got["detail"],
        "model": got["model"] or "none",
        "model_version": MODEL_VERSION,
        "features": got.get("features", []),
        "train_start": got.get("train_start"),
        "train_end": got.get("issue_day"),
        "backtest": back,
        "issued_by": principal.actor,
        "issued_at": _now(),
    }
    values = [(x["start_us"], x["p10"], x["p50"], x["p90"]) for x in got["slots"]]
    rid = ForecastRepo(store).save_run(run, values)
    return forecast(store, principal=principal, run_id=rid)


def issue_quarter_all(
    store: Store,
    *,
    principal: Principal,
    horizon: Horizon = Horizon.DAY_AHEAD,
    history_days: int = JOB_HISTORY_DAYS,
    issue_day: dt.date | None = None,
) -> list[ForecastView]:
    """Issue and store a 15-minute forecast of each point in scope that has a 15-minute series
    (:func:`has_quarter_series`), in code order: what the nightly ``forecast_retrain`` job adds
    to the hourly forecasts. Points read less often are left to the hourly forecasts."""
    require(principal, Permission.WRITE)
    from lingtan.store.query_repo import QueryRepo

    park_id = store.registry.park(principal.park_id).id
    rows, _ = QueryRepo(store).points(tenant=principal.tenant, park_id=park_id)
    out = []
    for p in sorted(rows, key=lambda r: r.code):
        if has_quarter_series(p):
            out.append(
                issue_quarter_forecast(
                    store,
                    principal=principal,
                    point_code=p.code,
                    horizon=horizon,
                    issue_day=issue_day,
                    history_days=history_days,
                    backtest_days=min(28, history_days),
                )
            )
    return out
