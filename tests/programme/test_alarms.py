"""Overdue measures and plans behind their targets raised and cleared through the alarm
engine (rule kind ``programme``), one alarm per measure or plan, tenant-scoped, worded in
zh-CN. Measures on SQLite and PostgreSQL (as tests/equipment/test_inspections.py); plans on
the golden park (tests/indicators/data/README.md: January 2025, every figure by hand)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

import lingtan.programme.alarms  # noqa: F401  (registers the check)
from lingtan.alarms import service as alarms
from lingtan.alarms.engine import Engine
from lingtan.alarms.model import AlarmRecord, RuleKind, SubjectKind
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.programme import service
from lingtan.programme.alarms import install_rules
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.timeutil import to_us
from lingtan.wording import Wording
from tests.conftest import SMALL_PARK
from tests.indicators.golden_park import load

SH = dt.timezone(dt.timedelta(hours=8))
MINUTE_US = 60_000_000


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """SQLite and PostgreSQL: the repository's queries on both engines."""
    s = open_store(store_url)
    s.registry.save_park(parse_park_text(SMALL_PARK))
    try:
        yield s
    finally:
        s.close()


def _e(store: Store, code: str) -> int:
    return next(
        e.id for e in store.registry.enterprises(store.registry.park().id) if e.code == code
    )


def _user(store: Store, code: str) -> Principal:
    return Principal(subject=f"{code}-admin", role=Role.ENTERPRISE_ADMIN,
                     enterprise_id=_e(store, code), park_id=store.registry.park().id)  # fmt: skip


def _alarms(store: Store, rule: str, principal: Principal = SYSTEM) -> list[AlarmRecord]:
    rows, _ = alarms.list_alarms(store, principal=principal, filters=AlarmFilter(), limit=50,
                                 offset=0)  # fmt: skip
    return [r for r in rows if r.rule_code == rule]


def _measure(plan_id: int, code: str, end: str, status: str = "in_progress") -> dict[str, Any]:
    return {"plan_id": plan_id, "code": code, "name": "空压机变频改造", "owner": "张工",
            "schedule": {"start": "2025-01-01", "end": end}, "status": status}  # fmt: skip


def test_overdue_measure_raises_once_and_clears(store: Store) -> None:
    e01, e02 = _user(store, "E01"), _user(store, "E02")
    plan = service.add_plan(store, principal=e01, data={
        "year": 2025, "title": "甲2025年节能计划", "targets": {"energy_tce_max": 100},
    })  # fmt: skip
    m1 = service.add_measure(store, principal=e01, data=_measure(plan.id, "M-1", "2025-03-31"))
    m2 = service.add_measure(store, principal=e01, data=_measure(plan.id, "M-2", "2025-03-31"))
    done = service.add_measure(
        store, principal=e01, data=_measure(plan.id, "M-3", "2025-03-31", "completed")
    )
    plan_b = service.add_plan(store, principal=e02, data={
        "year": 2025, "title": "乙2025年节能计划", "targets": {"energy_tce_max": 50},
    })  # fmt: skip
    service.add_measure(store, principal=e02, data=_measure(plan_b.id, "B-1", "2025-04-02"))
    # a park rule: every enterprise's measures, each alarm in its owner's tenancy
    alarms.create_rule(store, principal=SYSTEM, data={
        "id": "meas", "name": "节能措施逾期未完成", "kind": "programme",
        "check": "measure_overdue", "severity": "minor", "escalate_after_min": None,
    })  # fmt: skip

    # on the end date, late in the local evening: not overdue (days = 31 Mar − 31 Mar = 0)
    on_end = to_us(dt.datetime(2025, 3, 31, 23, 59, tzinfo=SH))
    assert Engine(store).evaluate(RuleKind.PROGRAMME, on_end).raised == 0
    # 1 April 07:00 in Shanghai is still 31 March 23:00 UTC: the park's local date decides;
    # M-1 and M-2 are 1 day overdue (1 Apr − 31 Mar); M-3 is completed; B-1 ends 2 April
    day_after = to_us(dt.datetime(2025, 4, 1, 7, tzinfo=SH))
    report = Engine(store).evaluate(RuleKind.PROGRAMME, day_after)
    assert report.raised == 2
    raised = {a.subject_code: a for a in _alarms(store, "meas") if a.active}
    assert set(raised) == {"M-1", "M-2"}
    a = raised["M-1"]
    assert a.subject_kind is SubjectKind.MEASURE
    assert a.value == 1.0 and a.count == 1 and a.severity.value == "minor"
    assert a.enterprise_id == _e(store, "E01")
    assert a.evidence["measure_id"] == m1.id and a.evidence["end"] == "2025-03-31"
    assert a.message == (
        "M-1: measure 空压机变频改造 of plan 2025 甲2025年节能计划 past its scheduled end "
        "2025-03-31 (not completed)"
    )
    assert Wording("zh-CN").text(a.message) == (
        "M-1：2025 年计划“甲2025年节能计划”的措施“空压机变频改造”已过计划完成日期 2025-03-31，尚未完成"
    )

    # 3 April: M-1 and M-2 (3 days overdue) are not raised again; B-1 (3 Apr − 2 Apr = 1 day)
    later = to_us(dt.datetime(2025, 4, 3, 9, tzinfo=SH))
    report = Engine(store).evaluate(RuleKind.PROGRAMME, later)
    assert report.raised == 1 and report.cleared == 0
    assert all(x.count == 1 for x in _alarms(store, "meas"))
    # tenancy: each enterprise sees its own measures' alarms only
    assert {x.subject_code for x in _alarms(store, "meas", e01)} == {"M-1", "M-2"}
    assert [x.subject_code for x in _alarms(store, "meas", e02)] == ["B-1"]

    # M-1 completed, M-2's end moved to 30 April (after 3 April): both clear; M-3 untouched
    service.update_measure(store, principal=e01, measure_id=m1.id, data={"status": "completed"})
    service.update_measure(store, principal=e01, measure_id=m2.id, data={
        "schedule": {"start": "2025-01-01", "end": "2025-04-30"}})  # fmt: skip
    report = Engine(store).evaluate(RuleKind.PROGRAMME, later + MINUTE_US)
    assert report.cleared == 2
    assert [x.subject_code for x in _alarms(store, "meas") if x.active] == ["B-1"]
    assert done.status == "completed"


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path_factory.mktemp('progalarm') / 'p.db'}")
    load(s)
    yield s
    s.close()


def _golden_user(store: Store, code: str) -> Principal:
    ids = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    return Principal(subject=code.lower(), role=Role.ENTERPRISE_ADMIN, enterprise_id=ids[code])


def _verified_measure(plan_id: int, reported_kwh: float | None) -> dict[str, Any]:
    # baseline of A's line meter (declared for 2024): energy = 10 000 + 400 × output [kWh]
    base = [{"period": f"2024-{k:02d}", "energy": 10_000 + 400 * o, "drivers": {"output": o}}
            for k, o in enumerate((50, 60, 70, 80, 90, 100), 1)]  # fmt: skip
    reporting: dict[str, Any] = {"period": "2025-01", "drivers": {"output": 100}}
    if reported_kwh is not None:
        reporting["energy"] = reported_kwh
    return {
        "plan_id": plan_id, "code": "M1", "name": "空压机变频改造", "owner": "张工",
        "schedule": {"start": "2024-10-01", "end": "2024-12-31"}, "status": "completed",
        "points": ["A-line"],
        "verification": {
            "drivers": ["output"], "unit": "kWh", "baseline": base, "reporting": [reporting],
            "tce_factor": {"value": 0.0001229, "unit": "tce/kWh",
                           "record": "GB/T 2589-2020 electricity 0.1229 kgce/kWh"},
        },
    }  # fmt: skip


def test_plan_behind_raises_and_clears_when_back_on_track(golden: Store) -> None:
    a, b = _golden_user(golden, "A"), _golden_user(golden, "B")
    # energy ceiling 120 tce: A's January (README) is (74 400 + 37 200 + 14 880 − 3 720) kWh ×
    # 0.1229 kgce/kWh = 15.087204 tce; to date after January 120 × 1/12 = 10 tce → off track,
    # (15.087204 / 10 − 1) × 100 = 50.87204 % above
    ceiling = service.add_plan(golden, principal=a, data={
        "year": 2025, "title": "甲企业能耗上限计划", "targets": {"energy_tce_max": 120},
    })  # fmt: skip
    # ceiling 240 tce (to date 20 ≥ 15.087204: on track) and 0.6 tce verified savings: the
    # measure reports 47 000 kWh at output 100 against an adjusted baseline of
    # 10 000 + 400 × 100 = 50 000 → 3 000 kWh × 0.0001229 = 0.3687 tce < 0.6 → off track,
    # (1 − 0.3687 / 0.6) × 100 = 38.55 % short
    saving = service.add_plan(golden, principal=a, data={
        "year": 2025, "title": "甲企业节能量计划",
        "targets": {"energy_tce_max": 240, "savings_tce": 0.6},
    })  # fmt: skip
    meas = service.add_measure(golden, principal=a, data=_verified_measure(saving.id, 47_000))
    assert service.verify_measure(golden, principal=a, measure_id=meas.id)["savings_tce"] == (
        pytest.approx(0.3687)
    )
    made = install_rules(golden, principal=SYSTEM)
    assert made == ["programme-measure-overdue", "programme-plan-behind"]
    assert install_rules(golden, principal=SYSTEM) == []

    engine = Engine(golden)
    now = to_us(dt.datetime(2025, 2, 10, 9, tzinfo=SH))  # the plans' year, January metered
    report = engine.tick(now)
    assert report.raised == 2
    behind = {x.evidence["plan_id"]: x for x in _alarms(golden, "programme-plan-behind")}
    c = behind[ceiling.id]
    assert (
        c.subject_kind is SubjectKind.PLAN
        and c.enterprise_id == _golden_user(golden, "A").enterprise_id
    )
    assert c.value == pytest.approx(50.87204)
    assert c.evidence["month"] == 1
    (line,) = c.evidence["targets"]
    assert line["target"] == "energy_tce_max"
    assert line["actual"] == pytest.approx(15.087204) and line["to_date"] == pytest.approx(10)
    # the same numbers as the plan's progress (the /programme page and the API)
    prog = service.progress(golden, principal=a, plan_id=ceiling.id).as_dict()
    assert prog["targets"][0] == line
    assert c.message.endswith("off track as of 2025-01: energy_tce_max")
    assert (
        Wording("zh-CN")
        .text(c.message)
        .endswith("：2025 年计划“甲企业能耗上限计划”截至 2025-01 未达进度：能源消费总量上限")
    )
    s = behind[saving.id]
    assert s.value == pytest.approx(38.55)
    assert [x["target"] for x in s.evidence["targets"]] == ["savings_tce"]
    # tenancy: B sees none of A's plan alarms
    assert _alarms(golden, "programme-plan-behind", b) == []
    assert len(_alarms(golden, "programme-plan-behind", a)) == 2

    # the measure re-verified from its meter: January on A-line 60 kWh/h × 744 h = 44 640 kWh;
    # 50 000 − 44 640 = 5 360 kWh × 0.0001229 = 0.658744 tce ≥ 0.6 → back on track
    service.update_measure(golden, principal=a, measure_id=meas.id,
                           data={"verification": _verified_measure(saving.id, None)["verification"]})  # fmt: skip
    res = service.verify_measure(golden, principal=a, measure_id=meas.id)
    assert res["savings_tce"] == pytest.approx(0.658744)
    # a tick within 15 minutes of the last check leaves the plan as it was
    assert engine.tick(now + 5 * MINUTE_US).cleared == 0
    report = engine.tick(now + 16 * MINUTE_US)
    assert report.cleared == 1 and report.raised == 0
    active = [x for x in _alarms(golden, "programme-plan-behind") if x.active]
    assert [x.evidence["plan_id"] for x in active] == [ceiling.id]
