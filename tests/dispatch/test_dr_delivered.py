"""What a demand-response call delivered, judged after its day from the plan and the meters,
and the indicator quantity ``demand_response_delivered_kw``. Every expected value is worked
out by hand below from the meters the tests write.

The small microgrid park (tests/dispatch/park.py), 15-minute steps. The grid meter reads
1 000 kW every hour from 12 February to 11 March 2025, except the weekend of 8–9 March at
100 kW and Tuesday 4 March at 2 000 kW. The customer baseline of a call on Wednesday 12 March
averages the 5 most recent working days before it — 5, 6, 7, 10 and 11 March (8–9 March are a
weekend; 4 March is the sixth) — so it is 1 000 kW at every hour. Counting the weekend it
would be (3 × 1 000 + 2 × 100) / 5 = 640 kW; six days would bring in the 2 000 kW day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete

from lingtan.dispatch import actual
from lingtan.dispatch import dr as dr_rules
from lingtan.dispatch import service as svc
from lingtan.errors import InvalidInput, PermissionDenied
from lingtan.indicators.period import Period
from lingtan.store import Store, schema
from tests.dispatch.park import (
    ADMIN,
    TZ,
    VIEWER,
    enterprise_user,
    fill,
    flat_history,
    load_park,
    spec,
)

DAY = dt.date(2025, 3, 12)  # a Wednesday
HISTORY = dt.date(2025, 2, 12)  # 28 days: 12 February – 11 March
CALL = {"from": "14:00", "to": "16:00", "reduction_pct": 10, "baseline": "history"}
WORKING_DAYS = ["2025-03-05", "2025-03-06", "2025-03-07", "2025-03-10", "2025-03-11"]


@pytest.fixture
def park(store: Store) -> Store:
    load_park(store)
    flat_history(store, HISTORY, 28, load_kw=1000.0)
    flat_history(store, dt.date(2025, 3, 8), 2, load_kw=100.0)
    fill(store, "MG-grid", dt.date(2025, 3, 4), 1, 2000.0)
    svc.set_spec(store, principal=ADMIN, data=spec())
    return store


def meter_day(store: Store, day: dt.date, hours: dict[int, float]) -> None:
    """The day as metered: 1 000 kW through the grid meter but ``hours``; the rest zero."""
    flat_history(store, day, 1, load_kw=1000.0)
    grid = np.full(24, 1000.0)
    for h, kw in hours.items():
        grid[h] = kw
    fill(store, "MG-grid", day, 1, grid)


def delivered(store: Store, plan_id: int) -> dict[str, Any]:
    return actual.demand_response_delivered(store, principal=VIEWER, plan_id=plan_id)


def test_a_history_call_that_delivered_more_than_required(park: Store) -> None:
    plan = svc.plan_day(park, principal=ADMIN, day=DAY, demand_response=CALL)
    assert plan.inputs["demand_response"]["baseline_days"] == WORKING_DAYS
    # in the call window 14:00–16:00 the meter read 800 kW (14:00) and 900 kW (15:00)
    meter_day(park, DAY, {14: 800.0, 15: 900.0})
    got = delivered(park, plan.id)
    # 14:00–16:00 at 15-minute steps: steps 14 × 4 = 56 to 16 × 4 = 64
    assert got["window"]["steps"] == [56, 64]
    assert got["window"]["from"] == "2025-03-12T14:00:00+08:00"
    assert got["window"]["to"] == "2025-03-12T16:00:00+08:00"
    assert got["baseline"]["kind"] == "history" and got["baseline"]["reproducible"]
    assert got["baseline"]["days"] == WORKING_DAYS and got["baseline"]["same_days_as_plan"]
    # each hour's reading over its four steps: 800 × 4 then 900 × 4, baseline 1 000 throughout
    assert [s["actual_kw"] for s in got["steps"]] == [800.0] * 4 + [900.0] * 4
    assert {s["baseline_kw"] for s in got["steps"]} == {1000.0}
    # mean baseline 1 000 kW; mean import (4 × 800 + 4 × 900) / 8 = 850 kW
    # delivered 1 000 − 850 = 150 kW; required 10 % × 1 000 = 100 kW; 150 / 100 = 1.5: met
    assert got["baseline_kw"] == 1000.0 and got["actual_kw"] == 850.0
    assert got["delivered_kw"] == 150.0 and got["required_kw"] == 100.0
    assert got["ratio"] == 1.5 and got["met"] is True and got["status"] == "met"
    assert got["missing_hours"] == [] and got["reason"] is None
    assert got["declaration_changed"] is False


def test_a_call_that_fell_short_is_not_met(park: Store) -> None:
    plan = svc.plan_day(park, principal=ADMIN, day=DAY, demand_response=CALL)
    meter_day(park, DAY, {14: 950.0, 15: 930.0})
    got = delivered(park, plan.id)
    # mean import (4 × 950 + 4 × 930) / 8 = 940 kW; delivered 1 000 − 940 = 60 kW against the
    # required 100 kW: 60 / 100 = 0.6, not met
    assert got["delivered_kw"] == 60.0 and got["required_kw"] == 100.0
    assert got["ratio"] == 0.6 and got["met"] is False and got["status"] == "not_met"


def test_a_forecast_baseline_is_rebuilt_from_the_stored_steps(park: Store) -> None:
    call = {"from": "14:00", "to": "16:00", "reduction_pct": 10, "baseline": "forecast"}
    plan = svc.plan_day(park, principal=ADMIN, day=DAY, demand_response=call)
    meter_day(park, DAY, {14: 800.0, 15: 900.0})
    got = delivered(park, plan.id)
    # the forecast baseline is the load the plan served less its PV forecast: the load is the
    # same weekday a week earlier (5 March: 1 000 kW through the grid, nothing else) and there
    # is no PV, so 1 000 kW; the import as above: delivered 150 kW of the required 100 kW
    assert got["baseline"]["kind"] == "forecast" and got["baseline"]["reproducible"]
    assert (got["baseline_kw"], got["delivered_kw"], got["required_kw"]) == (1000.0, 150.0, 100.0)
    assert got["met"] is True


def test_a_forecast_baseline_with_flexible_loads_is_not_reproduced(park: Store) -> None:
    fill(park, "E01-main", HISTORY, 28, 50.0)
    flex = [{"code": "F1", "point": "E01-main", "window": "10:00-18:00", "max_shift_kw": 20}]
    svc.set_spec(park, principal=ADMIN, data=spec(flex=flex))
    call = {"from": "14:00", "to": "16:00", "reduction_pct": 10, "baseline": "forecast"}
    plan = svc.plan_day(park, principal=ADMIN, day=DAY, demand_response=call)
    meter_day(park, DAY, {14: 800.0, 15: 900.0})
    got = delivered(park, plan.id)
    # the flexible load's baseline (its point a week earlier) is not stored with the plan
    assert got["status"] == "not_assessed" and got["baseline"]["reproducible"] is False
    assert "F1" in got["reason"]["en"] and "not reproducible" in got["reason"]["en"]
    assert got["delivered_kw"] is None and got["met"] is None
    assert got["declaration_changed"] is False


def test_an_intraday_plan_after_the_call_began_has_no_forecast_baseline_for_it(
    park: Store,
) -> None:
    call = {"from": "14:00", "to": "16:00", "reduction_pct": 10, "baseline": "forecast"}
    now = dt.datetime(2025, 3, 12, 15, 0, tzinfo=TZ)
    plan = svc.replan_intraday(park, principal=ADMIN, day=DAY, now=now, demand_response=call)
    # 15:00 is step 60, the call began at step 56
    assert plan.from_step == 60
    meter_day(park, DAY, {14: 800.0, 15: 900.0})
    got = delivered(park, plan.id)
    assert got["status"] == "not_assessed"
    assert "starts at step 60, after the call began (step 56)" in got["reason"]["en"]


def test_a_missing_metered_hour_is_not_assessed(park: Store) -> None:
    plan = svc.plan_day(park, principal=ADMIN, day=DAY, demand_response=CALL)
    meter_day(park, DAY, {14: 800.0, 15: 900.0})
    pid = park.registry.points_by_code()["MG-grid"].id
    hour = int(dt.datetime(2025, 3, 12, 15, tzinfo=TZ).timestamp()) * 10**6
    with park.begin() as conn:
        t = schema.stat_hour
        conn.execute(delete(t).where(t.c.point_id == pid, t.c.hour == hour))
    got = delivered(park, plan.id)
    # 15:00 unknown: no mean over the window, nothing zero-filled
    assert got["status"] == "not_assessed" and got["missing_hours"] == ["15:00"]
    assert "15:00" in got["reason"]["en"] and "not zero-filled" in got["reason"]["en"]
    assert [s["actual_kw"] for s in got["steps"]] == [800.0] * 4 + [None] * 4
    assert got["delivered_kw"] is None and got["required_kw"] is None and got["met"] is None
    # the baseline is still shown
    assert got["baseline"]["reproducible"] and {s["baseline_kw"] for s in got["steps"]} == {1000.0}


def test_refused_before_the_day_is_over_without_a_call_and_for_enterprise_users(
    park: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = svc.plan_day(park, principal=ADMIN, day=DAY, demand_response=CALL)
    meter_day(park, DAY, {14: 800.0, 15: 900.0})
    during = dt.datetime(2025, 3, 12, 20, 0, tzinfo=TZ)
    monkeypatch.setattr(actual, "utcnow", lambda: during)
    with pytest.raises(InvalidInput, match="2025-03-12 is not over yet") as err:
        delivered(park, plan.id)
    assert err.value.field == "plan_id"
    # the first instant after the day (00:00 of 13 March) is over
    monkeypatch.setattr(actual, "utcnow", lambda: dt.datetime(2025, 3, 13, tzinfo=TZ))
    assert delivered(park, plan.id)["delivered_kw"] == 150.0
    plain = svc.plan_day(park, principal=ADMIN, day=DAY)
    with pytest.raises(InvalidInput, match=f"plan #{plain.id} carries no demand-response call"):
        delivered(park, plain.id)
    with pytest.raises(PermissionDenied):
        actual.demand_response_delivered(park, principal=enterprise_user(park), plan_id=plan.id)


def test_the_pure_judgement_refuses_unknown_values() -> None:
    # 2 steps at 400 and 200 kW baseline (mean 300), import 250 both: delivered 50 of the
    # required 20 % × 300 = 60 kW, 50 / 60 ≈ 0.8333: not met
    got = dr_rules.delivered(np.array([400.0, 200.0]), np.array([250.0, 250.0]), 0.2)
    assert (got.delivered_kw, got.required_kw, got.met) == (50.0, pytest.approx(60.0), False)
    assert got.ratio == pytest.approx(50 / 60)
    with pytest.raises(InvalidInput, match="actual_kw must be known") as err:
        dr_rules.delivered(np.array([400.0, 200.0]), np.array([250.0, np.nan]), 0.2)
    assert err.value.field == "actual_kw"
    with pytest.raises(InvalidInput, match="reduction must lie"):
        dr_rules.delivered(np.array([400.0]), np.array([250.0]), 0.0)


def _quantity(
    store: Store,
    period: Period,
    enterprise_id: int | None = None,
    name: str = "demand_response_delivered_kw",
) -> Any:
    from lingtan.carbon.factors import default_library
    from lingtan.indicators.evaluate import _Context, default_accounting
    from lingtan.indicators.limits import load_limits
    from lingtan.indicators.options import IndicatorOptions
    from lingtan.indicators.quantities import QuantitySource
    from lingtan.options import service as park_options

    park_id = store.registry.park().id
    opts = IndicatorOptions.of(park_options.used(store, park_id=park_id))
    ctx = _Context(
        store, enterprise_id=enterprise_id, options=opts, library=default_library(),
        limits=load_limits(opts.limits_file), accounting=default_accounting(), park_id=park_id,
    )  # fmt: skip
    return QuantitySource(ctx).get(name, period)


def test_the_indicator_quantity_is_the_largest_delivered_reduction(park: Store) -> None:
    # 12 March: delivered 150 kW (as in the first test); planned twice with the same window,
    # which is one call (the newer plan is the one in force)
    svc.plan_day(park, principal=ADMIN, day=DAY, demand_response=CALL)
    svc.plan_day(park, principal=ADMIN, day=DAY, demand_response=CALL)
    meter_day(park, DAY, {14: 800.0, 15: 900.0})
    # 13 March: the baseline averages 6, 7, 10, 11 and 12 March — 14:00 (4 × 1 000 + 800) / 5
    # = 960 kW, 15:00 (4 × 1 000 + 900) / 5 = 980 kW, mean 970 kW; the meter reads 950 kW at
    # both hours: delivered 970 − 950 = 20 kW of the required 97 kW
    thu = DAY + dt.timedelta(days=1)
    svc.plan_day(park, principal=ADMIN, day=thu, demand_response=CALL)
    meter_day(park, thu, {14: 950.0, 15: 950.0})
    # 14 March: a call on a day never metered — not assessed
    svc.plan_day(park, principal=ADMIN, day=thu + dt.timedelta(days=1), demand_response=CALL)
    got = _quantity(park, Period(2025, 3))
    # the largest of 150 and 20 kW; two of the three calls assessed: completeness 2/3
    assert got.value == pytest.approx(150.0) and got.missing is None
    assert got.quality.completeness == pytest.approx(2 / 3) and not got.quality.complete
    by_day = {e["day"]: e for e in got.evidence}
    assert len(got.evidence) == 3
    assert by_day["2025-03-13"]["delivered_kw"] == 20.0
    assert by_day["2025-03-13"]["required_kw"] == 97.0
    assert by_day["2025-03-14"]["status"] == "not_assessed"
    # no call in February; an enterprise has no dispatch
    feb = _quantity(park, Period(2025, 2))
    assert feb.value is None and "需求响应实际削减负荷" in feb.missing[0]
    ent = enterprise_user(park).enterprise_id
    assert _quantity(park, Period(2025, 3), ent).value is None
    # the records quantity stays on the records: none entered, so missing naming them
    records = _quantity(park, Period(2025, 3), name="demand_response_kw")
    assert records.value is None and "需求响应统计记录" in records.missing[0]
