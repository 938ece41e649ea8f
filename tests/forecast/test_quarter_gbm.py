"""The boosting model among the 15-minute forecasts: chosen by the backtest where the calendar
models cannot follow the series, left out without 14 days of history, and issued by the
nightly job for the points read every 15 minutes only."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lingtan.forecast import quarter
from lingtan.ingest import ingest
from lingtan.jobs import service as jobs
from lingtan.jobs.kinds import register_builtin
from lingtan.readings import Reading
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import Store
from lingtan.store.forecast_repo import ForecastRepo
from tests.forecast.test_quarter import PARK, TZ, _noisy_days
from tests.forecast.test_service import ADMIN

SLOT = np.arange(quarter.SLOTS)
#: 10 kWh a slot from 08:00 to 18:00 (slots 32–71), 5 otherwise: mean 680 / 96 = 7.0833
SHAPE = np.where((SLOT >= 32) & (SLOT < 72), 10.0, 5.0)


def _alternating(n: int) -> tuple[np.ndarray, list[dt.date]]:
    """A two-day production cycle: the slot shape × 2 on even days, × 1 on odd ones, from
    Tuesday 3 June 2025 (no holiday until 1 October: every comparable day is a week back)."""
    days = [dt.date(2025, 6, 3) + dt.timedelta(days=i) for i in range(n)]
    return np.vstack([SHAPE * (2.0 if i % 2 == 0 else 1.0) for i in range(n)]), days


def test_the_boosting_model_wins_where_the_calendar_cannot_follow() -> None:
    """By hand, day ahead: a week is 7 days, odd, so the comparable day (a week back) is always
    of the other phase: seasonal-naive errs by SHAPE in every slot, MAE = 680 / 96 = 7.083.
    The mean of the last four comparable days (7, 14, 21, 28 days back: other, same, other,
    same phase) is 1.5 × SHAPE: error 0.5 × SHAPE, MAE 3.542. The boosting model sees the
    level of the last known day (yesterday: the other phase), so the departure from the
    comparable day, ±SHAPE, is a function of its features (slot, level): it learns it and its
    MAE is lower than both (the value depends on the boosting's shrinkage, not derived here)."""
    values, days = _alternating(56)
    back = quarter.backtest(values, days, origins=list(range(35, 56, 7)), horizon_days=1)
    m = back["models"]
    assert m["seasonal_naive"]["mae"] == pytest.approx(680 / 96)
    assert m["seasonal_mean"]["mae"] == pytest.approx(680 / 96 / 2)
    assert m["gbm"]["mae"] < m["seasonal_mean"]["mae"]
    # the same 3 days × 96 slots are scored for every model
    assert {s["scored"] for s in m.values()} == {3 * quarter.SLOTS}
    assert back["chosen"] == "gbm" and back["gbm_error"] is None
    # skill against naive: 1 − MAE_gbm / 7.083 > 1 − 3.542 / 7.083 = 0.5
    assert back["skill"] > 0.5
    # deterministic: the same seed gives the same forecast; P10 ≤ P50 ≤ P90 per slot
    f1 = quarter.forecast(values, days, targets=[55], lead_days=1, model="gbm")
    f2 = quarter.forecast(values, days, targets=[55], lead_days=1, model="gbm")
    assert np.array_equal(f1.p50, f2.p50) and f1.p50.shape == (1, quarter.SLOTS)
    assert (f1.p10 <= f1.p50).all() and (f1.p50 <= f1.p90).all()


def test_without_14_days_the_boosting_model_is_left_out() -> None:
    # 14 days: at origin 12 the training rows are days 0–11, of which day 0 has no comparable
    # day: at most 11 known days < 14
    values, days = _alternating(14)
    back = quarter.backtest(values, days, origins=[12], horizon_days=1)
    assert "gbm" not in back["models"] and "14 days" in back["gbm_error"]
    assert back["chosen"] in ("seasonal_naive", "seasonal_mean")


def test_the_nightly_job_issues_15_minute_forecasts_for_15_minute_points(store: Store) -> None:
    """E01-q is read every 15 minutes, E02-h every hour: the job stores a 15-minute run
    (step_s 900) for E01-q and none for E02-h, beside the hourly ones. (The small park's other
    meters keep the registry's default interval of 900 s and get one too, with the status
    of a point without readings; the kW measurement E01-power gets none.)"""
    register_builtin()  # as the app and the worker do when they start
    store.registry.save_park(parse_park_text(PARK))
    values, _ = _noisy_days(36, dt.date(2025, 3, 3))
    start = dt.datetime(2025, 3, 3, tzinfo=TZ)
    quarter_readings = [
        Reading("E01-q", start + dt.timedelta(minutes=15 * (k + 1)), float(v))
        for k, v in enumerate(values.reshape(-1))
    ]
    hourly = values.reshape(36 * 24, 4).sum(axis=1)
    hour_readings = [
        Reading("E02-h", start + dt.timedelta(hours=k + 1), float(v)) for k, v in enumerate(hourly)
    ]
    assert ingest(store, quarter_readings + hour_readings, source="test").rejected == 0
    job = jobs.submit(store, principal=ADMIN, kind="forecast_retrain",
                      params={"history_days": 28})  # fmt: skip
    done = jobs.run_job(store, job.id)
    assert done is not None and done.status == "done", done
    park = store.registry.park()
    runs = {
        r.subject_code: r
        for r in ForecastRepo(store).runs(tenant=ADMIN.tenant, park_id=park.id, step_s=900)
    }
    assert done.result["quarter_hour_points"] == len(runs)
    assert "E01-q" in runs and "E02-h" not in runs and "E01-power" not in runs
    q = runs["E01-q"]
    assert q.model in quarter.MODELS and q.status == "ok", q.detail
    assert runs["E01-main"].status == "missing_inputs"
    hourly_runs = ForecastRepo(store).runs(tenant=ADMIN.tenant, park_id=park.id, step_s=3600)
    assert "E02-h" in {r.subject_code for r in hourly_runs}
