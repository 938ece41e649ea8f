"""Inspection due dates (hand-derived), work orders moving a plan's due date, and overdue
plans raised and cleared through the alarm engine (rule kind ``inspection``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

import lingtan.equipment.alarms  # noqa: F401  (registers the check)
from lingtan.alarms import service as alarms
from lingtan.alarms.engine import Engine
from lingtan.alarms.model import RuleKind
from lingtan.equipment import service
from lingtan.equipment.inspections import add_months, days_overdue, next_due, parse_plan
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.timeutil import to_us
from tests.conftest import SMALL_PARK

SH = dt.timezone(dt.timedelta(hours=8))


def test_month_arithmetic_clamps_to_the_month_end() -> None:
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)  # leap year
    assert add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)  # over the year end
    assert add_months(dt.date(2025, 3, 31), 12) == dt.date(2026, 3, 31)


def test_next_due_and_days_overdue() -> None:
    # never done: the first due date
    assert next_due(first_due=dt.date(2025, 3, 1), last_done=None, interval_days=30,
                    interval_months=None) == dt.date(2025, 3, 1)  # fmt: skip
    # done 2025-03-04, every 30 days: 4 March + 30 days = 3 April
    assert next_due(first_due=dt.date(2025, 3, 1), last_done=dt.date(2025, 3, 4),
                    interval_days=30, interval_months=None) == dt.date(2025, 4, 3)  # fmt: skip
    # calibrated 2024-06-30, every 12 months: 2025-06-30
    assert next_due(first_due=dt.date(2024, 6, 30), last_done=dt.date(2024, 6, 30),
                    interval_days=None, interval_months=12) == dt.date(2025, 6, 30)  # fmt: skip
    assert days_overdue(dt.date(2025, 4, 3), dt.date(2025, 4, 3)) == 0  # due today: not late
    assert days_overdue(dt.date(2025, 4, 3), dt.date(2025, 4, 5)) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interval_months": 3}, "interval_days"),  # both intervals
        ({"kind": "meter_calibration", "point": None}, "point"),
        ({"first_due": "2025-02-30"}, "first_due"),
        ({"interval_days": 0}, "interval_days"),
    ],
)
def test_plan_errors_name_the_field(change: dict[str, object], field: str) -> None:
    base = {"code": "P1", "name": "蒸汽管网巡检", "kind": "pipe_leak", "interval_days": 30,
            "first_due": "2025-03-01"}  # fmt: skip
    with pytest.raises(InvalidInput) as err:
        parse_plan({**base, **change})
    assert err.value.field == field, str(err.value)


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


def test_overdue_calibration_raises_and_clears_with_the_work_order(store: Store) -> None:
    e01 = _user(store, "E01")
    plan = service.add_plan(store, principal=e01, data={
        "code": "CAL-E01-main", "name": "主表检定", "kind": "meter_calibration",
        "point": "E01-main", "interval_months": 12, "first_due": "2025-03-01",
        "last_done": "2024-03-01",
    })  # fmt: skip
    # calibrated 2024-03-01, every 12 months: due 2025-03-01
    assert plan["next_due"] == "2025-03-01"
    alarms.create_rule(store, principal=SYSTEM, data={
        "id": "insp", "name": "巡检逾期", "kind": "inspection", "check": "overdue",
        "scope": {"enterprise": "E01"}, "escalate_after_min": None,
    })  # fmt: skip
    on_due = to_us(dt.datetime(2025, 3, 1, 12, tzinfo=SH))
    Engine(store).evaluate(RuleKind.INSPECTION, on_due)
    assert _active(store) == []  # due today: not overdue
    later = to_us(dt.datetime(2025, 3, 4, 9, tzinfo=SH))
    report = Engine(store).evaluate(RuleKind.INSPECTION, later)
    assert report.raised == 1
    (a,) = _active(store)
    assert a.enterprise_id == _e(store, "E01")
    assert a.value == 3.0  # 1 March → 4 March: 3 days
    assert "CAL-E01-main" in a.message
    # the work order done on 2025-03-03 moves the due date to 2026-03-03: the alarm clears
    order = service.add_order(store, principal=e01, plan_id=plan["id"])
    assert order["due"] == "2025-03-01" and order["status"] == "open"
    with pytest.raises(InvalidInput, match="done_on"):
        service.update_order(store, principal=e01, order_id=order["id"], changes={"status": "done"})
    service.update_order(store, principal=e01, order_id=order["id"], changes={
        "status": "done", "done_on": "2025-03-03", "findings": "误差 +0.3 %",
        "corrective_action": "更换互感器",
    })  # fmt: skip
    (p,) = service.plans(store, principal=e01, today=dt.date(2025, 3, 4))
    assert p["next_due"] == "2026-03-03" and not p["overdue"]
    report = Engine(store).evaluate(RuleKind.INSPECTION, later + 60_000_000)
    assert report.cleared == 1
    assert _active(store) == []
    with pytest.raises(InvalidInput, match="status"):
        service.update_order(store, principal=e01, order_id=order["id"],
                             changes={"status": "open"})  # fmt: skip


def _active(store: Store) -> list[object]:
    rows, _ = alarms.list_alarms(store, principal=SYSTEM, filters=AlarmFilter(), limit=50,
                                 offset=0)  # fmt: skip
    return [r for r in rows if r.rule_code == "insp" and r.active]


def test_plans_are_tenant_scoped(store: Store) -> None:
    e01, e02 = _user(store, "E01"), _user(store, "E02")
    p = service.add_plan(store, principal=e01, data={
        "code": "INS-1", "name": "保温检查", "kind": "insulation", "interval_days": 90,
        "first_due": "2025-01-10"})  # fmt: skip
    assert service.plans(store, principal=e02) == []
    with pytest.raises(NotFound):
        service.add_order(store, principal=e02, plan_id=p["id"])
    # another enterprise's point is not found (the same answer as a missing one)
    with pytest.raises(NotFound, match="point"):
        service.add_plan(store, principal=e02, data={
            "code": "CAL-X", "name": "x", "kind": "meter_calibration", "point": "E01-main",
            "interval_months": 12, "first_due": "2025-01-10"})  # fmt: skip
