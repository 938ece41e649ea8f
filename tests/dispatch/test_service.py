"""The dispatch service on both engines: the declaration, the inputs of a day, plans, setpoints
and the comparison with what was metered. Expected values are worked out by hand from the
synthetic tariff (demo-js-synthetic, March: 低谷 00–08 0.3, 高峰 08–11 and 17–22 1.0, 平段
11–17 and 22–24 0.6 元/kWh)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lingtan.dispatch import service as svc
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import Role
from lingtan.store import Store
from tests.dispatch.park import ADMIN, VIEWER, enterprise_user, fill, flat_history, load_park, spec

DAY = dt.date(2025, 3, 12)  # a Wednesday
HISTORY = dt.date(2025, 2, 12)  # four weeks before


@pytest.fixture
def park(store: Store) -> Store:
    load_park(store)
    flat_history(store, HISTORY, 28)
    return store


def test_the_plan_charges_in_the_valley_and_discharges_at_the_peak(park: Store) -> None:
    svc.set_spec(park, principal=ADMIN, data=spec())
    plan = svc.plan_day(park, principal=ADMIN, day=DAY)
    assert plan.status == "optimal" and plan.step_minutes == 15 and plan.from_step == 0
    s = plan.steps
    assert len(s["import_kw"]) == 96
    ch = np.asarray(s["charge_kw"]["BESS-1"])
    dis = np.asarray(s["discharge_kw"]["BESS-1"])
    soc = np.asarray(s["soc_kwh"]["BESS-1"])
    valley, peak = slice(0, 32), np.r_[32:44, 68:88]
    # lossless battery starting at the midpoint (500 kWh): full (900 kWh) by 08:00 from the
    # valley, never charging at the peak, never discharging in the valley
    assert soc[31] == pytest.approx(900.0, abs=1e-3)
    assert ch[valley].sum() * 0.25 == pytest.approx(400.0, abs=1e-3)
    assert dis[valley].max() < 1e-6 and ch[peak].max() < 1e-6
    # by hand: the load alone costs 500 kW × (8 h × 0.3 + 8 h × 1.0 + 8 h × 0.6) = 7,600 元;
    # the battery takes 400 kWh at 0.3, gives 750 at 1.0 (08–11), takes 750 at 0.6 (11–17),
    # gives 800 at 1.0 (17–22) and takes 400 at 0.6 back to 500 kWh: −740 元
    assert plan.terms["energy_cost"] == pytest.approx(7600.0 - 740.0, abs=1e-2)
    # 0.001 元 for each of the 1,550 kWh discharged
    assert plan.terms["degradation_cost"] == pytest.approx(1.55, abs=1e-3)
    assert soc[-1] >= 500.0 - 1e-3
    assert plan.inputs["batteries"]["BESS-1"]["source"].startswith("midpoint")
    assert plan.inputs["load"].startswith("seasonal-naive")
    assert plan.inputs["tariff"]["id"] == "demo-js-synthetic"
    assert plan.inputs["factor"]["basis"] == "location" and plan.inputs["factor"]["record"]
    assert np.abs(svc.balance_residual(s)).max() < 1e-6
    # a reason for every charging step, in the stored steps
    for k in np.flatnonzero(ch > 1e-6):
        assert any(r["action"] == "charge" for r in s["reasons"][k]), k


def test_the_next_days_plan_starts_from_the_last_planned_soc(park: Store) -> None:
    svc.set_spec(park, principal=ADMIN, data=spec())
    first = svc.plan_day(park, principal=ADMIN, day=DAY)
    end = first.steps["soc_kwh"]["BESS-1"][-1]
    nxt = svc.plan_day(park, principal=ADMIN, day=DAY + dt.timedelta(days=1))
    got = nxt.inputs["batteries"]["BESS-1"]
    assert got["soc_initial"] == pytest.approx(end / 1000.0)
    assert got["source"].startswith(f"plan #{first.id}")
    given = svc.plan_day(park, principal=ADMIN, day=DAY, soc_initial={"BESS-1": 0.2})
    assert given.inputs["batteries"]["BESS-1"]["soc_initial"] == pytest.approx(0.2)


def test_every_stored_plan_conserves_energy(park: Store) -> None:
    """PV, export, an EV charger and a flexible load: supply equals demand at every step."""
    solar = np.clip(1200 * np.sin(np.pi * (np.arange(24) - 6) / 12), 0, None)
    fill(park, "MG-pv", HISTORY, 28, solar)
    fill(park, "MG-export", HISTORY, 28, np.where(solar > 800, 100.0, 0.0))
    ev = np.zeros(24)
    ev[9:12] = 200.0
    fill(park, "MG-ev1", HISTORY, 28, ev)
    fill(park, "E01-main", HISTORY, 28, 50.0)
    data = spec(
        grid={"import_point": "MG-grid", "export_point": "MG-export", "import_limit_kw": 2000,
              "export_limit_kw": 500, "export_price": 0.1},
        pv=[{"point": "MG-pv"}],
        chargers=[{"code": "EV-1", "point": "MG-ev1", "max_kw": 300}],
    )  # fmt: skip
    svc.set_spec(park, principal=ADMIN, data=data)
    for kw in ({}, {"carbon": 1.0, "carbon_price": 100.0, "factor_basis": "market"}):
        plan = svc.plan_day(
            park, principal=ADMIN, day=DAY, objective=kw,
            demand_response={"from": "18:00", "to": "20:00", "reduction_pct": 10},
        )  # fmt: skip
        assert np.abs(svc.balance_residual(plan.steps)).max() < 1e-6
        # the derived session: 600 kWh a Wednesday, 09:00–12:00, on the charger's meter
        assert "derived from MG-ev1 history" in plan.inputs["sessions"]
        ev_kwh = sum(sum(v) for v in plan.steps["ev_kw"].values()) * 0.25
        assert ev_kwh == pytest.approx(600.0, abs=1e-3)


def test_imported_sessions_replace_the_derived_ones(park: Store) -> None:
    svc.set_spec(
        park, principal=ADMIN,
        data=spec(chargers=[{"code": "EV-1", "point": "MG-ev1", "max_kw": 300}]),
    )  # fmt: skip
    rows = [
        {"code": "car-1", "charger": "EV-1", "arrival": "08:00", "departure": "10:00",
         "energy_kwh": 100},
        {"code": "car-2", "charger": "EV-1", "arrival": "13:30", "departure": "18:00",
         "energy_kwh": 50, "max_kw": 20},
    ]  # fmt: skip
    svc.import_sessions(park, principal=ADMIN, day=DAY, rows=rows)
    plan = svc.plan_day(park, principal=ADMIN, day=DAY)
    assert plan.inputs["sessions"] == "imported: 2 sessions"
    car1 = np.asarray(plan.steps["ev_kw"]["car-1"])
    assert car1.sum() * 0.25 == pytest.approx(100.0, abs=1e-3)
    assert car1[:32].max() == 0 and car1[40:].max() == 0  # only while the car is there
    assert max(plan.steps["ev_kw"]["car-2"]) <= 20 + 1e-6
    with pytest.raises(InvalidInput) as err:
        svc.import_sessions(park, principal=ADMIN, day=DAY, rows=[{**rows[0], "charger": "X"}])
    assert err.value.field == "sessions[1].charger"


def test_a_bad_point_in_the_declaration_is_refused_naming_the_field(park: Store) -> None:
    bad = spec()
    bad["batteries"][0]["charge_point"] = "MG-nowhere"
    with pytest.raises(InvalidInput) as err:
        svc.set_spec(park, principal=ADMIN, data=bad)
    assert err.value.field == "batteries[0].charge_point"
    with pytest.raises(InvalidInput) as err:
        svc.set_spec(park, principal=ADMIN, data=spec(pv=[{"point": "MG-grid"}]))
    assert err.value.field == "pv[0].point" and "pv_generation" in str(err.value)
    with pytest.raises(InvalidInput) as err:
        svc.set_spec(park, principal=ADMIN, data={**spec(), "grid": {"import_point": "MG-grid"}})
    assert err.value.field == "grid.import_limit_kw"
    with pytest.raises(NotFound):
        svc.get_spec(park, principal=ADMIN)


def test_a_tariff_without_prices_is_refused_naming_it(store: Store) -> None:
    load_park(store, tariff="cn-js-large-industry")
    flat_history(store, HISTORY, 28)
    svc.set_spec(store, principal=ADMIN, data=spec())
    with pytest.raises(InvalidInput) as err:
        svc.plan_day(store, principal=ADMIN, day=DAY)
    assert err.value.field == "tariff"
    assert "cn-js-large-industry" in str(err.value) and "no_price" in str(err.value)


def test_a_month_price_the_park_entered_prices_the_plan_as_it_prices_costs(store: Store) -> None:
    from zoneinfo import ZoneInfo

    from lingtan.dispatch.inputs import Day
    from lingtan.dispatch.prices import import_prices
    from lingtan.tariffs import service as tariffs

    load_park(store, tariff="cn-gd-industry-commerce")  # ratios, no base price shipped
    d = Day(DAY, ZoneInfo("Asia/Shanghai"), 60)
    park_id = store.registry.park().id
    with pytest.raises(InvalidInput):
        import_prices(store, park_id, d)
    tariffs.enter_month_price(
        store, principal=ADMIN, tariff_id="cn-gd-industry-commerce", month="2025-03",
        price=0.5, source="test list 2025-03",
    )  # fmt: skip
    prices, _ = import_prices(store, park_id, d)
    # 广东's ratios 高峰 1.7, 平段 1, 低谷 0.38 (no 尖峰 in March), nothing unfloated:
    # 0.5 × 1.7 = 0.85, 0.5, 0.5 × 0.38 = 0.19 元/kWh
    assert sorted({round(float(p), 6) for p in prices}) == [0.19, 0.5, 0.85]


def test_missing_history_is_refused_naming_the_load(park: Store) -> None:
    svc.set_spec(park, principal=ADMIN, data=spec())
    with pytest.raises(InvalidInput) as err:
        svc.plan_day(park, principal=ADMIN, day=dt.date(2025, 6, 1))
    assert err.value.field == "load"


def test_dispatch_is_the_park_admins_and_park_readers(park: Store) -> None:
    svc.set_spec(park, principal=ADMIN, data=spec())
    plan = svc.plan_day(park, principal=ADMIN, day=DAY)
    assert svc.get_spec(park, principal=VIEWER).source == "测试铭牌（合成）"
    assert [p.id for p in svc.plans(park, principal=VIEWER)] == [plan.id]
    with pytest.raises(PermissionDenied):
        svc.plan_day(park, principal=VIEWER, day=DAY)
    for role in (Role.ENTERPRISE_ADMIN, Role.ENTERPRISE_VIEWER):
        user = enterprise_user(park, role)
        with pytest.raises(PermissionDenied):
            svc.get_spec(park, principal=user)
        with pytest.raises(PermissionDenied):
            svc.plan(park, principal=user, plan_id=plan.id)
        with pytest.raises(PermissionDenied):
            svc.set_spec(park, principal=user, data=spec())
        with pytest.raises(PermissionDenied):
            svc.plan_day(park, principal=user, day=DAY)


def test_setpoints_per_device_and_step(park: Store) -> None:
    svc.set_spec(park, principal=ADMIN, data=spec())
    plan = svc.plan_day(park, principal=ADMIN, day=DAY)
    points = svc.setpoints(park, principal=ADMIN, plan_id=plan.id)
    assert len(points) == 96 and {p["device"] for p in points} == {"BESS-1"}
    assert points[0]["step_start"] == "2025-03-12T00:00:00+08:00"
    assert points[1]["step_start"] == "2025-03-12T00:15:00+08:00"
    net = np.asarray(plan.steps["discharge_kw"]["BESS-1"]) - plan.steps["charge_kw"]["BESS-1"]
    assert [p["setpoint_kw"] for p in points] == pytest.approx(net, abs=1e-3)
    assert all(p["kind"] == "battery" and p["step_minutes"] == 15 for p in points)


def test_intraday_replan_starts_from_the_metered_soc(park: Store) -> None:
    svc.set_spec(park, principal=ADMIN, data=spec())
    first = svc.plan_day(park, principal=ADMIN, day=DAY)
    # metered: the battery took 100 kWh an hour from 00:00 to 04:00, then nothing
    fill(park, "MG-bess-charge", DAY, 1, np.r_[np.full(4, 100.0), np.zeros(20)])
    fill(park, "MG-bess-discharge", DAY, 1, 0.0)
    now = dt.datetime(2025, 3, 12, 6, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    plan = svc.replan_intraday(park, principal=ADMIN, day=DAY, now=now)
    assert plan.kind == "intraday" and plan.from_step == 24  # 06:00–06:15
    assert len(plan.steps["import_kw"]) == 72
    # 500 kWh at the start + 400 metered (00–04) + 0 metered (04–06)
    assert plan.inputs["batteries"]["BESS-1"]["soc_initial"] == pytest.approx(0.9)
    assert f"plan #{first.id}" in plan.inputs["batteries"]["BESS-1"]["source"]


def test_compare_actual_prices_what_was_metered(park: Store) -> None:
    svc.set_spec(park, principal=ADMIN, data=spec())
    plan = svc.plan_day(park, principal=ADMIN, day=DAY)
    # the day as metered: the flat load through the grid, the battery idle
    flat_history(park, DAY, 1)
    got = svc_actual(park, plan.id)
    assert got["missing_hours"] == []
    assert len(got["hours"]) == 24 and got["hours"][0]["actual"]["import"] == 500.0
    # by hand: 500 kWh an hour under the day's prices is 7,600 元 (see above)
    assert got["actual_terms"]["energy_cost"] == pytest.approx(7600.0)
    assert got["planned_terms"]["energy_cost"] == pytest.approx(plan.terms["energy_cost"])


def svc_actual(store: Store, plan_id: int) -> dict[str, object]:
    from lingtan.dispatch.actual import compare_actual

    return compare_actual(store, principal=ADMIN, plan_id=plan_id)


def test_forecast_runs_and_a_declared_plant_are_preferred(park: Store) -> None:
    from lingtan.forecast import service as forecasts

    solar = np.clip(900 * np.sin(np.pi * (np.arange(24) - 6) / 12), 0, None)
    fill(park, "MG-pv", HISTORY, 28, solar)
    svc.set_spec(park, principal=ADMIN, data=spec(pv=[{"point": "MG-pv"}]))
    # no forecast and no plant: both seasonal-naive
    plan = svc.plan_day(park, principal=ADMIN, day=DAY)
    assert plan.inputs["pv:MG-pv"].startswith("seasonal-naive")
    # a declared plant: the forecast module's clear-sky × cloud-factor path
    forecasts.declare_pv_plant(
        park, principal=ADMIN, point_code="MG-pv", kwp=1000, tilt_deg=20, azimuth_deg=180,
        losses_pct=14, latitude=31.3, longitude=120.6,
    )  # fmt: skip
    plan = svc.plan_day(park, principal=ADMIN, day=DAY)
    assert plan.inputs["pv:MG-pv"].startswith("clear-sky × cloud factors")
    pv = np.asarray(plan.steps["pv_forecast_kw"]["MG-pv"])
    assert pv[:16].max() == 0 and pv.max() > 0  # dark before 04:00
    # a forecast of the grid-import point for the day: its P50 is the grid part of the load
    run = forecasts.issue_forecast(park, principal=ADMIN, point_code="MG-grid", history_days=28)
    assert run.run.status == "ok" and run.run.first_day == DAY.isoformat(), run.run.detail
    plan = svc.plan_day(park, principal=ADMIN, day=DAY)
    assert plan.inputs["load"].startswith(f"forecast run #{run.run.id} of MG-grid")
    p50 = np.repeat([h[2] for h in run.hours], 4)
    # load = grid forecast + PV of a week earlier (nothing else flows)
    expected = np.maximum(p50 + np.repeat(solar, 4), 0)
    assert np.asarray(plan.steps["fixed_load_kw"]) == pytest.approx(expected, abs=1e-3)


def test_a_history_baseline_averages_the_last_working_days(store: Store) -> None:
    # 500 kW every day but the weekend of 8–9 March at 100 kW. The customer baseline of a call
    # on Wednesday 12 March averages the 5 working days before it — 5, 6, 7, 10 and 11 March —
    # so it is 500 kW (counting the weekend it would be 340), and a 10 % call caps the import
    # at 450 kW from 18:00 to 20:00 (steps 72–79).
    load_park(store)
    flat_history(store, HISTORY, 24)  # 12 Feb – 7 Mar
    flat_history(store, dt.date(2025, 3, 8), 2, load_kw=100.0)
    flat_history(store, dt.date(2025, 3, 10), 2)
    svc.set_spec(store, principal=ADMIN, data=spec())
    call = {"from": "18:00", "to": "20:00", "reduction_pct": 10, "baseline": "history"}
    plan = svc.plan_day(store, principal=ADMIN, day=DAY, demand_response=call)
    assert plan.status == "optimal"
    assert plan.inputs["demand_response"]["baseline_days"] == [
        "2025-03-05", "2025-03-06", "2025-03-07", "2025-03-10", "2025-03-11"
    ]  # fmt: skip
    assert max(plan.steps["import_kw"][72:80]) <= 450.0 + 1e-6
    # the history starts on 12 February: 20 working days up to 11 March, not 21
    with pytest.raises(InvalidInput, match=r"needs 21 complete eligible days .* found 20"):
        svc.plan_day(store, principal=ADMIN, day=DAY, demand_response={**call, "days": 21})


def test_the_dispatch_job_plans_a_day_and_refuses_bad_parameters(park: Store) -> None:
    from lingtan.jobs import service as jobs
    from lingtan.jobs.kinds import register_builtin

    register_builtin()  # as the app and the worker do when they start
    svc.set_spec(park, principal=ADMIN, data=spec())
    job = jobs.submit(park, principal=ADMIN, kind="dispatch_plan",
                      params={"kind": "day_ahead", "day": DAY.isoformat()})  # fmt: skip
    done = jobs.run_job(park, job.id)
    assert done is not None and done.status == "done", done
    stored = svc.plan(park, principal=ADMIN, plan_id=done.result["plan_id"])
    assert (stored.day, stored.kind, stored.from_step) == (DAY.isoformat(), "day_ahead", 0)
    for bad, field in (({"kind": "weekly"}, "kind"), ({"kind": "intraday", "day": "2025-03-12"}, "day"),
                       ({"horizon": 2}, "params")):  # fmt: skip
        with pytest.raises(InvalidInput) as err:
            jobs.submit(park, principal=ADMIN, kind="dispatch_plan", params=bad)
        assert err.value.field == field
    with pytest.raises((PermissionDenied, NotFound)):
        jobs.submit(park, principal=enterprise_user(park), kind="dispatch_plan", params={})
