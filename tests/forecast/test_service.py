"""Issuing, storing and reading forecasts through the service, on both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.forecast import service as svc
from lingtan.forecast.features import calendar_coverage, day_types
from lingtan.identity.roles import Principal, Role
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import Store
from lingtan.store.bulk_stats import insert_hours
from tests.conftest import SMALL_PARK

TZ = ZoneInfo("Asia/Shanghai")
H = 3_600_000_000
PARK = (
    SMALL_PARK
    + """\
  - id: E01-pv
    carrier: pv_generation
    kind: total_increasing
    unit: kWh
    enterprise: E01
    level: 1
"""
)
ADMIN = Principal("admin", Role.PARK_ADMIN, None, user_id=1)


def _fill(
    store: Store,
    code: str,
    first: dt.date,
    days: int,
    *,
    gap: tuple[int, int] | None = None,
    drop_last_hours: int = 0,
) -> None:
    """Hourly quantities: a workday shape and a lower rest-day shape, with noise."""
    pid = store.registry.points_by_code()[code].id
    start = int(dt.datetime(first.year, first.month, first.day, tzinfo=TZ).timestamp()) * 1_000_000
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    shape = 50 + 50 * np.sin(np.pi * np.arange(24) / 24)
    rng = np.random.default_rng(5)
    v = np.concatenate(
        [shape * (1.0 if t.workday else 0.3) + rng.normal(0, 2, 24) for t in day_types(dates)]
    )
    hours = start + np.arange(days * 24, dtype=np.int64) * H
    keep = np.ones(days * 24, bool)
    if gap is not None:
        keep[gap[0] * 24 : gap[1] * 24] = False
    if drop_last_hours:
        keep[-drop_last_hours:] = False
    n = int(keep.sum())
    with store.begin() as conn:
        insert_hours(
            store, conn, point_ids=np.full(n, pid, np.int64), hours=hours[keep], values=v[keep],
            measured_s=np.full(n, 3600.0), estimated_s=np.zeros(n), missing_s=np.zeros(n),
            flags=np.zeros(n, np.int64), n=np.full(n, 4, np.int64), computed_at=0,
        )  # fmt: skip


@pytest.fixture
def park(store: Store) -> Store:
    store.registry.save_park(parse_park_text(PARK))
    return store


def _ent(store: Store, code: str, role: Role = Role.ENTERPRISE_ADMIN) -> Principal:
    e = {x.code: x.id for x in store.registry.enterprises(store.registry.park().id)}
    return Principal(code, role, e[code], user_id=7)


def test_day_ahead_forecast_is_stored_with_its_backtest(park: Store) -> None:
    _fill(park, "E01-main", dt.date(2025, 3, 1), 70)
    view = svc.issue_forecast(park, principal=ADMIN, point_code="E01-main", history_days=70)
    assert view.run.status == "ok", view.run.detail
    # 1 March + 70 days: the issue day is 9 May, so the forecast is for 10 May (24 hours)
    assert view.run.first_day == "2025-05-10"
    assert len(view.hours) == 24
    first_hour = dt.datetime(2025, 5, 10, tzinfo=TZ).timestamp() * 1_000_000
    assert view.hours[0][0] == first_hour
    assert all(a <= b <= c for _, a, b, c, _ in view.hours)  # type: ignore[operator]
    b = view.run.backtest
    assert b["naive"]["mae"] > 0 and b["chosen"] == view.run.model
    assert view.run.model in {"gbm", "seasonal_naive"}
    assert view.run.train_start == "2025-03-01" and view.run.train_end == "2025-05-09"
    first, last = calendar_coverage()
    assert b["calendar"] == {"package": "chinesecalendar", "first_year": first, "last_year": last}
    listed = svc.forecasts(park, principal=ADMIN)
    assert [r.id for r, _ in listed] == [view.run.id]


def test_no_statistics_gives_missing_inputs_and_no_values(park: Store) -> None:
    view = svc.issue_forecast(park, principal=ADMIN, point_code="E02-main")
    assert view.run.status == "missing_inputs"
    assert view.hours == []


def test_a_gap_before_the_issue_day_is_not_papered_over(park: Store) -> None:
    # data for 60 days but none in the last 7 days up to the given issue day
    _fill(park, "E01-main", dt.date(2025, 3, 1), 60)
    view = svc.issue_forecast(
        park, principal=ADMIN, point_code="E01-main", issue_day=dt.date(2025, 5, 8),
        history_days=60,
    )  # fmt: skip
    assert view.run.status == "missing_inputs"
    assert "7 days" in view.run.detail and view.hours == []


def test_short_history_is_reported(park: Store) -> None:
    _fill(park, "E01-main", dt.date(2025, 3, 1), 20)
    view = svc.issue_forecast(park, principal=ADMIN, point_code="E01-main", history_days=60)
    assert view.run.status == "insufficient_history"
    assert "20 days" in view.run.detail


def test_a_year_the_calendar_does_not_know(park: Store) -> None:
    last = calendar_coverage()[1]
    _fill(park, "E01-main", dt.date(last, 11, 1), 61)
    view = svc.issue_forecast(park, principal=ADMIN, point_code="E01-main", history_days=60)
    assert view.run.status == "calendar_not_covered"
    assert str(last) in view.run.detail


def test_pv_point_without_declared_plant_does_not_borrow_anything(park: Store) -> None:
    _fill(park, "E01-pv", dt.date(2025, 3, 1), 40)
    view = svc.issue_forecast(park, principal=ADMIN, point_code="E01-pv", history_days=40)
    assert view.run.status == "missing_inputs"
    assert "declared plant" in view.run.detail
    with pytest.raises(InvalidInput) as err:
        svc.declare_pv_plant(
            park, principal=ADMIN, point_code="E01-main", kwp=100, tilt_deg=20,
            azimuth_deg=180, losses_pct=14, latitude=31.3, longitude=120.6,
        )  # fmt: skip
    assert err.value.field == "point"


def test_named_temperature_series_must_cover_the_hours(park: Store) -> None:
    _fill(park, "E01-main", dt.date(2025, 3, 1), 40)
    csv = "hour,value\n2025-04-01T00:00:00+08:00,12.5\n"
    got = svc.import_weather_csv(
        park, principal=ADMIN, code="suzhou-t", quantity="temperature", source="test", text=csv
    )
    assert got["hours"] == 1
    view = svc.issue_forecast(
        park, principal=ADMIN, point_code="E01-main", history_days=40,
        temperature_series="suzhou-t",
    )  # fmt: skip
    assert view.run.status == "missing_inputs"
    assert "suzhou-t" in view.run.detail


def test_weather_csv_errors_name_the_line(park: Store) -> None:
    bad = "hour,value\n2025-04-01T00:00:00+08:00,1\n2025-04-01T01:30:00+08:00,2\n"
    with pytest.raises(InvalidInput, match="line 3") as err:
        svc.import_weather_csv(
            park, principal=ADMIN, code="x", quantity="ghi", source="test", text=bad
        )
    assert err.value.field == "file"
    with pytest.raises(InvalidInput, match="UTC offset"):
        svc.import_weather_csv(
            park, principal=ADMIN, code="x", quantity="ghi", source="t",
            text="hour,value\n2025-04-01T00:00:00,1\n",
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        svc.import_weather_csv(
            park, principal=_ent(park, "E01"), code="x", quantity="ghi", source="t",
            text="hour,value\n2025-04-01T00:00:00+08:00,1\n",
        )  # fmt: skip


def test_an_enterprise_sees_only_its_own_forecasts(park: Store) -> None:
    _fill(park, "E01-main", dt.date(2025, 3, 1), 35)
    own = svc.issue_forecast(park, principal=ADMIN, point_code="E01-main", history_days=35)
    e01, e02 = _ent(park, "E01", Role.ENTERPRISE_VIEWER), _ent(park, "E02")
    assert svc.forecast(park, principal=e01, run_id=own.run.id).point_code == "E01-main"
    with pytest.raises(NotFound):
        svc.forecast(park, principal=e02, run_id=own.run.id)
    assert svc.forecasts(park, principal=e02) == []
    with pytest.raises(NotFound):
        svc.issue_forecast(park, principal=e02, point_code="E01-main")
    with pytest.raises(PermissionDenied):
        svc.issue_forecast(park, principal=e01, point_code="E01-main")


def test_week_ahead_covers_seven_days_and_uses_week_old_lags(park: Store) -> None:
    _fill(park, "E01-main", dt.date(2025, 3, 1), 60)
    view = svc.issue_forecast(
        park, principal=ADMIN, point_code="E01-main", horizon=svc.Horizon.WEEK_AHEAD,
        history_days=60,
    )  # fmt: skip
    assert view.run.status == "ok", view.run.detail
    assert len(view.hours) == 7 * 24
    assert view.run.backtest["horizon_days"] == 7


def test_retrain_job_checks_its_parameters() -> None:
    from lingtan.forecast.jobs import _params

    park: Any = None  # the parameters are checked without the store

    assert _params(park, ADMIN, {}) == {"horizon": "day_ahead", "history_days": 365}
    with pytest.raises(InvalidInput) as err:
        _params(park, ADMIN, {"horizon": "month_ahead"})
    assert err.value.field == "horizon"
    with pytest.raises(InvalidInput) as err:
        _params(park, ADMIN, {"history_days": 5})
    assert err.value.field == "history_days"


def test_a_day_not_over_in_the_data_is_not_the_issue_day(park: Store) -> None:
    # 40 days from 1 March end on 9 April; its last 12 hours are not in yet, so the forecast
    # is issued at the end of 8 April for 9 April
    _fill(park, "E01-main", dt.date(2025, 3, 1), 40, drop_last_hours=12)
    view = svc.issue_forecast(park, principal=ADMIN, point_code="E01-main", history_days=39)
    assert view.run.first_day == "2025-04-09"
    assert view.run.train_end == "2025-04-08"
