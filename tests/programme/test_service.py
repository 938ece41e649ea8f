"""Plans, progress from metered data, verified measures and records on the golden park
(tests/indicators/data/README.md: January 2025, 744 h, every figure worked out by hand)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import Principal, Role
from lingtan.indicators.period import Period
from lingtan.programme import service
from lingtan.store import Store, open_store
from tests.indicators.golden_park import load

PARK = Principal(subject="p", role=Role.PARK_ADMIN, enterprise_id=None)


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('prog') / 'p.db'}")
    load(store)
    yield store
    store.close()


def _ids(store: Store) -> dict[str, int]:
    return {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}


def _user(store: Store, code: str, role: Role = Role.ENTERPRISE_ADMIN) -> Principal:
    return Principal(subject=code.lower(), role=role, enterprise_id=_ids(store)[code])


def _targets(p: Any) -> dict[str, Any]:
    return {x.target: x for x in p.lines}


def test_park_plan_progress_from_metered_data(park: Store) -> None:
    plan = service.add_plan(park, principal=PARK, data={
        "year": 2025, "title": "园区2025年节能计划",
        "targets": {"energy_tce_max": 1200, "carbon_tco2_max": 4000},
    })  # fmt: skip
    assert plan.enterprise_id is None
    prog = service.progress(park, principal=PARK, plan_id=plan.id)
    # January (README): 综合能源消费量 113.830884 tce, emissions 397.75405 tCO2; no other month
    assert prog.last_month == 1
    assert prog.months[0].energy_tce == pytest.approx(113.830884)
    assert prog.months[0].carbon_tco2 == pytest.approx(397.75405)
    assert all(x.energy_tce is None and x.reason for x in prog.months[1:])
    t = _targets(prog)
    # to date after January: 1 200 × 1/12 = 100 tce < 113.830884 → off track;
    # projection 113.830884 × 12 = 1 365.970608
    assert t["energy_tce_max"].to_date == pytest.approx(100)
    assert t["energy_tce_max"].status == "off_track"
    assert t["energy_tce_max"].projected == pytest.approx(1365.970608)
    # carbon: 4 000 / 12 = 333.33 < 397.75405 → off track
    assert t["carbon_tco2_max"].to_date == pytest.approx(4000 / 12)
    assert t["carbon_tco2_max"].status == "off_track"


def _measure_doc(plan_id: int) -> dict[str, Any]:
    # baseline of A's line meter (declared for 2024): energy = 10 000 + 400 × output [kWh]
    base = [{"period": f"2024-{k:02d}", "energy": 10_000 + 400 * o, "drivers": {"output": o}}
            for k, o in enumerate((50, 60, 70, 80, 90, 100), 1)]  # fmt: skip
    return {
        "plan_id": plan_id, "code": "M1", "name": "空压机变频改造", "owner": "张工",
        "budget_cny": 200_000, "expected_tce": 0.5,
        "schedule": {"start": "2024-10-01", "end": "2024-12-31"}, "status": "completed",
        "points": ["A-line"],
        "verification": {
            "drivers": ["output"], "unit": "kWh", "baseline": base,
            # January 2025 read from A-line: 60 kWh/h × 744 h = 44 640 kWh
            "reporting": [{"period": "2025-01", "drivers": {"output": 100}}],
            "tce_factor": {"value": 0.0001229, "unit": "tce/kWh",
                           "record": "GB/T 2589-2020 electricity 0.1229 kgce/kWh"},
        },
        "contract": {"type": "shared_savings", "service_company": "某节能服务公司（合成）",
                     "price": 0.6, "shares": {"esco": 0.7, "client": 0.3}},
    }  # fmt: skip


def test_enterprise_plan_measure_verified_from_meters(park: Store) -> None:
    a = _user(park, "A")
    plan = service.add_plan(park, principal=a, data={
        "year": 2025, "title": "甲企业2025年节能计划",
        "targets": {"energy_tce_max": 240, "savings_tce": 0.5},
    })  # fmt: skip
    assert plan.enterprise_id == _ids(park)["A"]
    meas = service.add_measure(park, principal=a, data=_measure_doc(plan.id))
    res = service.verify_measure(park, principal=a, measure_id=meas.id)
    json.dumps(res, allow_nan=False)  # an exact fit's infinite t-statistics come out as null
    v = res["verification"]
    # adjusted baseline at output 100: 10 000 + 40 000 = 50 000; measured 44 640;
    # savings 5 360 kWh × 0.0001229 = 0.658744 tce
    assert v["adjusted_baseline"] == pytest.approx(50_000)
    assert v["measured"] == pytest.approx(44_640)
    assert v["savings"] == pytest.approx(5_360)
    assert res["savings_tce"] == pytest.approx(0.658744)
    # shared savings: 5 360 × 0.6 = 3 216 CNY; esco 70 % 2 251.2, client 964.8
    assert res["settlement"]["value"] == pytest.approx(3216)
    assert res["settlement"]["shares"] == pytest.approx({"esco": 2251.2, "client": 964.8})
    prog = service.progress(park, principal=a, plan_id=plan.id)
    t = _targets(prog)
    # A in January: (74 400 + 37 200 + 14 880 − 3 720) kWh × 0.1229 = 15.087204 tce; to date
    # 240 / 12 = 20 → on track
    assert t["energy_tce_max"].actual == pytest.approx(15.087204)
    assert t["energy_tce_max"].status == "on_track"
    assert t["savings_tce"].actual == pytest.approx(0.658744)
    assert t["savings_tce"].expected == pytest.approx(0.5)
    assert t["savings_tce"].status == "on_track"


def test_water_plan_progress(park: Store) -> None:
    plan = service.add_plan(park, principal=_user(park, "A"), data={
        "year": 2025, "kind": "water", "title": "节水计划", "targets": {"water_m3_max": 60_000},
    })  # fmt: skip
    prog = service.progress(park, principal=PARK, plan_id=plan.id)
    t = _targets(prog)
    # A-water 10 m³/h × 744 h = 7 440 m³ > 60 000 / 12 = 5 000 → off track
    assert t["water_m3_max"].actual == pytest.approx(7440)
    assert t["water_m3_max"].status == "off_track"


def test_tenancy_of_plans_measures_and_records(park: Store) -> None:
    a, b = _user(park, "A"), _user(park, "B")
    plan = service.add_plan(park, principal=a, data={
        "year": 2025, "title": "A", "targets": {"energy_tce_max": 1}})  # fmt: skip
    with pytest.raises(NotFound):
        service.plan(park, principal=b, plan_id=plan.id)
    with pytest.raises(NotFound):
        service.progress(park, principal=b, plan_id=plan.id)
    with pytest.raises(NotFound):
        service.add_measure(park, principal=b, data={**_measure_doc(plan.id), "code": "X"})
    with pytest.raises(NotFound):
        service.add_plan(park, principal=b, data={
            "enterprise_id": _ids(park)["A"], "year": 2025, "title": "forged",
            "targets": {}})  # fmt: skip
    assert all(p.enterprise_id == _ids(park)["B"] for p in service.plans(park, principal=b))
    assert any(p.id == plan.id for p in service.plans(park, principal=PARK))
    # B cannot cite A's meters
    with pytest.raises(InvalidInput) as e:
        service.add_record(park, principal=b, data={
            "kind": "significant_use", "title": "空压站", "body": {"name": "空压站"},
            "cites": {"points": ["A-line"]}})  # fmt: skip
    assert e.value.field == "cites.points"
    # nor meter a circular flow by A's meter (it would read A's consumption)
    with pytest.raises(InvalidInput) as e:
        service.add_record(park, principal=b, data={
            "kind": "circular_project", "title": "x", "body": {
                "name": "x", "kind": "steam", "flows": [{
                    "supplier_id": _ids(park)["A"], "receiver_id": _ids(park)["B"],
                    "carrier": "electricity", "unit": "kWh", "point": "A-grid"}]}})  # fmt: skip
    assert e.value.field == "body.flows.0.point"
    # a viewer does not write
    with pytest.raises(PermissionDenied):
        service.add_plan(park, principal=_user(park, "B", Role.ENTERPRISE_VIEWER), data={
            "year": 2025, "title": "B", "targets": {}})  # fmt: skip
    # building reviews are the park's
    with pytest.raises(PermissionDenied):
        service.add_record(
            park,
            principal=b,
            data={
                "kind": "building_review",
                "title": "x",
                "body": {"building": "x", "floor_area_m2": 1, "design_standard": "GB 55015-2021"},
            },
        )


def test_validation_errors_name_the_field(park: Store) -> None:
    with pytest.raises(InvalidInput) as e:
        service.add_plan(park, principal=PARK, data={
            "year": 2025, "title": "x", "targets": {"energy_tce_max": -1}})  # fmt: skip
    assert e.value.field == "targets.energy_tce_max"
    with pytest.raises(InvalidInput) as e:
        service.add_plan(park, principal=PARK, data={
            "year": 2025, "title": "x", "targets": {"savings_tce": 1e300}})  # fmt: skip
    assert e.value.field == "targets.savings_tce"
    with pytest.raises(InvalidInput) as e:
        service.add_record(park, principal=PARK, data={
            "kind": "audit_finding", "title": "x", "body": {"clause": "9.2"}})  # fmt: skip
    assert e.value.field == "body.finding"
    with pytest.raises(InvalidInput) as e:
        service.add_record(park, principal=PARK, data={
            "kind": "enpi", "title": "x", "body": {"name": "x", "unit": "kWh/t"},
            "cites": {"period_start": "2025-02-01", "period_end": "2025-01-01"}})  # fmt: skip
    assert e.value.field == "cites"
    plan = service.add_plan(park, principal=PARK, data={
        "year": 2025, "title": "x", "targets": {}})  # fmt: skip
    bad = _measure_doc(plan.id)
    bad["schedule"] = {"start": "2025-02-01", "end": "2025-01-01"}
    with pytest.raises(InvalidInput) as e:
        service.add_measure(park, principal=PARK, data=bad)
    assert e.value.field == "schedule"
    bad = _measure_doc(plan.id)
    bad["contract"]["shares"] = {"esco": 0.5}
    with pytest.raises(InvalidInput) as e:
        service.add_measure(park, principal=PARK, data=bad)
    assert e.value.field == "contract.shares" and "sum to 0.5" in str(e.value)


def test_circular_project_avoided_energy(park: Store) -> None:
    ids = _ids(park)
    rec = service.add_record(park, principal=PARK, data={
        "kind": "circular_project", "title": "乙余热供甲", "body": {
            "name": "余热蒸汽", "kind": "steam",
            "flows": [
                {"supplier_id": ids["B"], "receiver_id": ids["A"], "carrier": "steam",
                 "unit": "GJ", "point": "B-steam"},
                {"supplier_id": ids["B"], "receiver_id": ids["A"], "carrier": "steam",
                 "unit": "GJ", "quantity": 100},
            ],
            "energy_factor": {"value": 0.03412, "unit": "tce/GJ",
                              "record": "GB/T 2589-2020 heat 0.03412 tce/GJ"},
        },
        "cites": {"points": ["B-steam"], "period_start": "2025-01-01", "period_end": "2025-01-31"},
    })  # fmt: skip
    out = service.evaluate_record(park, principal=PARK, record_id=rec.id)["result"]
    # metered: 2 GJ/h × 744 = 1 488 GJ; declared 100 GJ; (1 488 + 100) × 0.03412 = 54.18256 tce
    assert out["flows"][0]["quantity"] == pytest.approx(1488)
    assert out["avoided_tce"] == pytest.approx(54.18256)
    assert out["avoided_tco2"] is None  # no carbon factor cited: no figure


def test_building_review_post_occupancy_eui(park: Store) -> None:
    rec = service.add_record(park, principal=PARK, data={
        "kind": "building_review", "title": "甲一号厂房节能审查", "body": {
            "building": "甲一号厂房", "site_code": "A-B1", "floor_area_m2": 10_000,
            "design_standard": "GB 55015-2021", "design_eui_kwh_m2": 120,
            "submitted": [{"name": "外墙传热系数", "value": 0.5, "unit": "W/(m2·K)"}],
            "decision": "approved",
        },
        "cites": {"period_start": "2025-01-01", "period_end": "2025-01-31"},
    })  # fmt: skip
    out = service.evaluate_record(park, principal=PARK, record_id=rec.id)["result"]
    assert out["checks"][0]["status"] == "no_limit_record"
    eui = out["post_occupancy"]
    # A-B1 boundary points: grid 74 400 + green 37 200 + PV 14 880 = 126 480 kWh / 10 000 m²
    # = 12.648 kWh/m² in 31 days; annualised × 365/31 = 148.92; ratio 148.92 / 120 = 1.241
    assert eui["kwh"] == pytest.approx(126_480)
    assert eui["eui_kwh_m2"] == pytest.approx(12.648)
    assert eui["eui_kwh_m2_annualised"] == pytest.approx(148.92)
    assert eui["ratio_to_design"] == pytest.approx(1.241)


def test_significant_use_share_of_metered_consumption(park: Store) -> None:
    a = _user(park, "A")
    rec = service.add_record(park, principal=a, data={
        "kind": "significant_use", "title": "生产线", "body": {"name": "生产线"},
        "cites": {"points": ["A-line"], "period_start": "2025-01-01",
                  "period_end": "2025-01-31"},
    })  # fmt: skip
    out = service.evaluate_record(park, principal=a, record_id=rec.id)["result"]
    # A-line 60 × 744 = 44 640 kWh; A's boundary supply and generation in kWh: grid 74 400 +
    # green 37 200 + PV 14 880 = 126 480 kWh (the export point is energy sent out: left out);
    # share 44 640 / 126 480 = 0.352941…
    assert out["cited_kwh"] == pytest.approx(44_640)
    assert out["owner_kwh"] == pytest.approx(126_480)
    assert out["share"] == pytest.approx(0.3529412, abs=1e-7)


def test_enpi_record_takes_the_compliance_model(park: Store) -> None:
    from lingtan.compliance.enpi import fit_baseline

    model = fit_baseline([110, 120, 130, 141], {"output": [5, 10, 15, 20]}).as_dict()
    ok = service.add_record(
        park,
        principal=PARK,
        data={
            "kind": "enpi",
            "title": "单位产品电耗",
            "body": {
                "name": "单位产品电耗",
                "unit": "kWh/t",
                "drivers": ["output"],
                "model": model,
            },
        },
    )
    assert ok.body["model"]["drivers"] == ["output"]
    with pytest.raises(InvalidInput) as e:
        service.add_record(
            park,
            principal=PARK,
            data={
                "kind": "enpi",
                "title": "x",
                "body": {"name": "x", "unit": "kWh/t", "drivers": ["hdd"], "model": model},
            },
        )
    assert e.value.field == "body"


def test_the_documented_examples_validate() -> None:
    from pathlib import Path

    import yaml

    from lingtan.programme import models as m

    root = Path(__file__).resolve().parents[2] / "docs" / "examples"
    plan = yaml.safe_load((root / "programme-plan.yaml").read_text("utf-8"))
    plan.pop("enterprise")  # the CLI turns the code into enterprise_id
    m.validated(m.PlanIn, plan)
    m.validated(m.MeasureIn, yaml.safe_load((root / "programme-measure.yaml").read_text("utf-8")))


def test_degree_days_from_a_stored_temperature_series(park: Store) -> None:
    import datetime as dt

    from lingtan.store.forecast_repo import ForecastRepo
    from lingtan.timeutil import HOUR_US, to_us
    from tests.indicators.golden_park import TZ8

    start = to_us(dt.datetime(2025, 1, 1, 0, tzinfo=TZ8))
    # January 2025: 3 °C every hour but 13 °C on the 31st
    values = [(start + k * HOUR_US, 13.0 if k >= 30 * 24 else 3.0) for k in range(744)]
    ForecastRepo(park).import_weather(
        park_id=park.registry.park().id, code="T-test", quantity="temperature", unit="°C",
        source="synthetic", sha256="0" * 64, actor="test", now=0, values=values,
    )  # fmt: skip
    plan = service.add_plan(park, principal=PARK, data={
        "year": 2025, "title": "度日", "targets": {}})  # fmt: skip
    # baseline: energy = 1 000 + 10 × hdd (declared, with their hdd)
    base = [{"period": f"2024-{k:02d}", "energy": 1000 + 10 * h, "drivers": {"hdd": h}}
            for k, h in enumerate((100, 200, 300, 400), 1)]  # fmt: skip
    meas = service.add_measure(park, principal=PARK, data={
        "plan_id": plan.id, "code": "DD", "name": "保温", "owner": "x",
        "schedule": {"start": "2024-10-01", "end": "2024-12-31"},
        "verification": {
            "drivers": ["hdd"], "unit": "kWh", "baseline": base,
            "reporting": [{"period": "2025-01", "energy": 5000}],
            "degree_days": {"driver": "hdd", "series": "T-test", "base_c": 18},
        },
    })  # fmt: skip
    v = service.verify_measure(park, principal=PARK, measure_id=meas.id, save=False)
    # hdd January (base 18): 30 days × (18 − 3) + 1 day × (18 − 13) = 450 + 5 = 455;
    # adjusted baseline 1 000 + 10 × 455 = 5 550; savings 5 550 − 5 000 = 550
    assert v["verification"]["adjusted_baseline"] == pytest.approx(5550)
    assert v["verification"]["savings"] == pytest.approx(550)
    # a month the series does not cover is refused, naming the series
    service.update_measure(park, principal=PARK, measure_id=meas.id, data={"verification": {
        "drivers": ["hdd"], "unit": "kWh", "baseline": base,
        "reporting": [{"period": "2025-02", "energy": 5000}],
        "degree_days": {"driver": "hdd", "series": "T-test", "base_c": 18}}})  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        service.verify_measure(park, principal=PARK, measure_id=meas.id, save=False)
    assert e.value.field == "degree_days.series"


def test_working_days_driver_from_the_chinese_calendar(park: Store) -> None:
    plan = service.add_plan(park, principal=PARK, data={
        "year": 2025, "title": "工作日", "targets": {}})  # fmt: skip
    # baseline: energy = 200 + 50 × working days (declared, with their working days)
    base = [{"period": f"2024-{k:02d}", "energy": 200 + 50 * d, "drivers": {"wd": d}}
            for k, d in enumerate((19, 21, 22, 20), 1)]  # fmt: skip
    meas = service.add_measure(park, principal=PARK, data={
        "plan_id": plan.id, "code": "WD", "name": "照明改造", "owner": "x",
        "schedule": {"start": "2024-10-01", "end": "2024-12-31"},
        "verification": {
            "drivers": ["wd"], "unit": "kWh", "baseline": base, "working_days": "wd",
            "reporting": [{"period": "2025-06", "energy": 1000},
                          {"period": "2025-10", "energy": 1000}],
        },
    })  # fmt: skip
    v = service.verify_measure(park, principal=PARK, measure_id=meas.id, save=False)
    # June 2025: 21 weekdays (1 June is a Sunday) less the Dragon Boat holiday on Monday
    # 2 June = 20; October 2025: 23 weekdays less the National Day / Mid-Autumn holidays on
    # 1–3 and 6–8 October (6 weekdays) plus the 调休 Saturday 11 October = 18 (State Council
    # General Office notice on the 2025 holidays, 国办发明电〔2024〕12号).
    # Adjusted baselines: 200 + 50 × 20 = 1 200 and 200 + 50 × 18 = 1 100; savings
    # (1 200 − 1 000) + (1 100 − 1 000) = 300
    assert v["verification"]["adjusted_baseline"] == pytest.approx(2300)
    assert v["verification"]["savings"] == pytest.approx(300)
    assert service.monthly_working_days(Period(2025, 6)) == 20
    assert service.monthly_working_days(Period(2025, 10)) == 18
