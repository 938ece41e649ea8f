"""15-minute forecasts of points read every 15 minutes: slots from the readings' intervals,
the two models by hand, the choice by backtest, and the service's refusals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lingtan.errors import InvalidInput
from lingtan.forecast import quarter
from lingtan.forecast.quarter_service import quarter_hour_forecast
from lingtan.ingest import ingest
from lingtan.normalize.intervals import interval_intervals, register_intervals
from lingtan.readings import Reading
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import Store
from tests.conftest import SMALL_PARK
from tests.forecast.test_service import ADMIN

TZ = ZoneInfo("Asia/Shanghai")
M = 60_000_000  # µs per minute
Q = 15 * M


def test_slots_of_interval_readings_and_of_a_register() -> None:
    # interval readings at 0:15, 0:30, 1:00 (0:45 missing): slots 1, 2, NaN, 4
    ts = np.array([15, 30, 60], np.int64) * M
    iv = interval_intervals(ts, np.array([1.0, 2.0, 4.0]), interval_s=900)
    got = quarter.slot_energy(iv, 0, 4 * Q)
    assert got[:2].tolist() == [1.0, 2.0] and np.isnan(got[2]) and got[3] == 4.0
    # a register read at 0:00 (10) and 0:30 (16): 6 kWh spread linearly, 3 per slot; the slots
    # after the last reading are unknown
    reg = register_intervals(np.array([0, 30 * M], np.int64), np.array([10.0, 16.0]),
                             interval_s=900)  # fmt: skip
    got = quarter.slot_energy(reg, 0, 3 * Q)
    assert got[:2].tolist() == pytest.approx([3.0, 3.0]) and np.isnan(got[2])


def test_the_seasonal_mean_averages_four_comparable_days() -> None:
    """Mondays 2025-03-03 … 03-24 carry 1, 2, 3, 4 in every slot; Monday 03-31 is forecast
    day ahead: seasonal-naive takes the previous Monday (4), the mean of the last four
    Mondays (1 + 2 + 3 + 4) / 4 = 2.5. Other days carry 0."""
    days = [dt.date(2025, 3, 3) + dt.timedelta(days=i) for i in range(29)]
    values = np.zeros((29, quarter.SLOTS))
    for k in range(4):
        values[7 * k] = k + 1.0
    target = [28]
    naive = quarter.forecast(values, days, targets=target, lead_days=1, model="seasonal_naive")
    mean = quarter.forecast(values, days, targets=target, lead_days=1, model="seasonal_mean")
    assert naive.p50[0, 0] == 4.0 and mean.p50[0, 0] == 2.5
    with pytest.raises(InvalidInput) as err:
        quarter.forecast(values[:, :24], days, targets=target, lead_days=1, model="seasonal_mean")
    assert err.value.field == "values"


def _noisy_days(n: int, first: dt.date) -> tuple[np.ndarray, list[dt.date]]:
    days = [first + dt.timedelta(days=i) for i in range(n)]
    shape = 10 + 5 * np.sin(np.pi * np.arange(quarter.SLOTS) / quarter.SLOTS)
    rng = np.random.default_rng(3)
    return np.vstack([shape + rng.normal(0, 2, quarter.SLOTS) for _ in days]), days


def test_the_backtest_prefers_the_mean_on_a_noisy_series() -> None:
    """The same shape every day plus independent noise (σ = 2): one comparable day's error has
    variance 2σ², the mean of four 1.25σ², so the mean wins and its skill is positive. (The
    two calendar models only: the boosting model's own test is in test_quarter_gbm.py.)"""
    values, days = _noisy_days(56, dt.date(2025, 3, 3))
    back = quarter.backtest(values, days, origins=list(range(35, 56, 7)), horizon_days=1,
                            models=("seasonal_naive", "seasonal_mean"))  # fmt: skip
    assert back["chosen"] == "seasonal_mean"
    assert back["skill"] is not None and back["skill"] > 0
    assert back["models"]["seasonal_naive"]["scored"] == 3 * quarter.SLOTS


PARK = SMALL_PARK + (
    "  - {id: E01-q, carrier: electricity_grid_import, kind: interval, unit: kWh,"
    " enterprise: E01, level: 2, parent: E01-main, interval_s: 900}\n"
    "  - {id: E02-h, carrier: electricity_grid_import, kind: interval, unit: kWh,"
    " enterprise: E02, level: 2, parent: E02-main, interval_s: 3600}\n"
)


def test_a_quarter_hour_forecast_from_the_readings(store: Store) -> None:
    store.registry.save_park(parse_park_text(PARK))
    values, _days = _noisy_days(35, dt.date(2025, 3, 3))
    start = dt.datetime(2025, 3, 3, tzinfo=TZ)
    readings = [
        Reading("E01-q", start + dt.timedelta(minutes=15 * (k + 1)), float(v))
        for k, v in enumerate(values.reshape(-1))
    ]
    assert ingest(store, readings, source="test").rejected == 0
    got = quarter_hour_forecast(store, principal=ADMIN, point_code="E01-q", history_days=35,
                                backtest_days=14)  # fmt: skip
    assert got["status"] == "ok", got["detail"]
    assert got["issue_day"] == "2025-04-06" and got["first_day"] == "2025-04-07"
    assert len(got["slots"]) == quarter.SLOTS and got["resolution_s"] == 900
    assert got["model"] in quarter.MODELS and got["backtest"]["origins"]
    slot = got["slots"][0]
    assert slot["p10"] <= slot["p50"] <= slot["p90"]
    # a meter read hourly has no 15-minute series
    with pytest.raises(InvalidInput) as err:
        quarter_hour_forecast(store, principal=ADMIN, point_code="E02-h")
    assert err.value.field == "point"
