"""Stored 15-minute forecasts: issued like hourly ones (``forecast_run.step_s`` 900), read back
with 96 slots a day, their backtest and the actuals of their slots; listed with their
resolution; kept within their enterprise."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lingtan.errors import NotFound
from lingtan.forecast import quarter, service
from lingtan.forecast.quarter_service import issue_quarter_forecast, quarter_hour_forecast
from lingtan.identity.roles import Principal, Role
from lingtan.ingest import ingest
from lingtan.readings import Reading
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import Store
from tests.forecast.test_quarter import PARK, TZ, _noisy_days
from tests.forecast.test_service import ADMIN


@pytest.fixture
def quarter_park(store: Store) -> tuple[Store, np.ndarray]:
    """E01-q read every 15 minutes for 36 days from Monday 3 March 2025 (the 36th day,
    7 April, is the day a forecast issued on 6 April is for)."""
    store.registry.save_park(parse_park_text(PARK))
    values, _days = _noisy_days(36, dt.date(2025, 3, 3))
    start = dt.datetime(2025, 3, 3, tzinfo=TZ)
    # an interval reading stamped at the end of its 15 minutes: reading k is slot k's energy
    readings = [
        Reading("E01-q", start + dt.timedelta(minutes=15 * (k + 1)), float(v))
        for k, v in enumerate(values.reshape(-1))
    ]
    assert ingest(store, readings, source="test").rejected == 0
    return store, values


def _ent(store: Store, code: str) -> Principal:
    e = {x.code: x.id for x in store.registry.enterprises(store.registry.park().id)}
    return Principal(code, Role.ENTERPRISE_ADMIN, e[code], user_id=7)


def test_a_stored_quarter_hour_forecast_round_trips(
    quarter_park: tuple[Store, np.ndarray],
) -> None:
    store, values = quarter_park
    issue = dt.date(2025, 4, 6)
    view = issue_quarter_forecast(
        store, principal=ADMIN, point_code="E01-q", issue_day=issue, history_days=35,
        backtest_days=14,
    )  # fmt: skip
    assert view.run.id > 0 and view.run.status == "ok", view.run.detail
    assert view.run.step_s == 900 and view.run.first_day == "2025-04-07"
    # read back by id: one day of 96 slots, 15 minutes apart, from local midnight of 7 April
    got = service.forecast(store, principal=ADMIN, run_id=view.run.id)
    assert len(got.hours) == 96 == quarter.SLOTS
    midnight = int(dt.datetime(2025, 4, 7, tzinfo=TZ).timestamp()) * 1_000_000
    assert [h for h, *_ in got.hours] == [midnight + k * 900_000_000 for k in range(96)]
    assert all(a <= b <= c for _h, a, b, c, _x in got.hours if b is not None)
    # the backtest travels with it: the same one the on-request forecast computes
    fresh = quarter_hour_forecast(
        store, principal=ADMIN, point_code="E01-q", issue_day=issue, history_days=35,
        backtest_days=14,
    )  # fmt: skip
    assert got.run.model == fresh["model"]
    assert got.run.backtest["models"] == fresh["backtest"]["models"]
    assert got.run.backtest["origins"] == fresh["backtest"]["origins"]
    assert got.run.backtest["naive"] == fresh["backtest"]["models"]["seasonal_naive"]
    # the values stored are the slots computed
    assert [b for _h, _a, b, _c, _x in got.hours] == [s["p50"] for s in fresh["slots"]]
    # compared with the actuals: slot k of 7 April is the 36th day's reading k as ingested
    actual = [x for *_r, x in got.hours]
    assert actual == pytest.approx(values[35].tolist())
    # the chart's preceding actuals are 15-minute too: 3 days × 96 slots
    before = service.actuals_before(store, principal=ADMIN, view=got)
    assert len(before) == 3 * 96 and before[-1][0] == midnight - 900_000_000
    assert before[-1][1] == pytest.approx(values[34][-1])


def test_the_list_shows_the_resolution_and_an_enterprise_keeps_to_its_own(
    quarter_park: tuple[Store, np.ndarray],
) -> None:
    store, _values = quarter_park
    view = issue_quarter_forecast(
        store, principal=_ent(store, "E01"), point_code="E01-q",
        issue_day=dt.date(2025, 4, 6), history_days=35, backtest_days=14,
    )  # fmt: skip
    rows = service.forecasts(store, principal=ADMIN)
    assert [(r.id, r.step_s) for r, _code in rows] == [(view.run.id, 900)]
    assert service.forecasts(store, principal=ADMIN, step_s=3600) == []
    assert [r.id for r, _c in service.forecasts(store, principal=ADMIN, step_s=900)] == [
        view.run.id
    ]
    # E01 reads its own; E02 neither lists nor reads it
    assert service.forecast(store, principal=_ent(store, "E01"), run_id=view.run.id).hours
    assert service.forecasts(store, principal=_ent(store, "E02")) == []
    with pytest.raises(NotFound):
        service.forecast(store, principal=_ent(store, "E02"), run_id=view.run.id)


def test_a_forecast_without_history_is_stored_with_its_status(store: Store) -> None:
    store.registry.save_park(parse_park_text(PARK))
    view = issue_quarter_forecast(store, principal=ADMIN, point_code="E01-q")
    assert view.run.status == "missing_inputs" and view.run.step_s == 900
    assert view.hours == [] and "no readings" in view.run.detail
