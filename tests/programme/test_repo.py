"""The programme's store on SQLite and PostgreSQL: rows round-trip, the tenant filter keeps an
enterprise to its own rows, updates keep the audit trail."""

from __future__ import annotations

import pytest

from lingtan.errors import NotFound
from lingtan.identity.roles import Principal, Role
from lingtan.programme import service
from lingtan.store import Store

PARK = Principal(subject="p", role=Role.PARK_ADMIN, enterprise_id=None)


def test_plans_measures_records_round_trip_and_tenancy(loaded: Store) -> None:
    ids = {e.code: e.id for e in loaded.registry.enterprises(loaded.registry.park().id)}
    e1 = Principal(subject="e1", role=Role.ENTERPRISE_ADMIN, enterprise_id=ids["E01"])
    e2 = Principal(subject="e2", role=Role.ENTERPRISE_VIEWER, enterprise_id=ids["E02"])
    plan = service.add_plan(loaded, principal=e1, data={
        "year": 2025, "title": "计划", "targets": {"energy_tce_max": 10.5}})  # fmt: skip
    park_plan = service.add_plan(loaded, principal=PARK, data={
        "year": 2025, "title": "园区计划", "targets": {}})  # fmt: skip
    assert plan.targets["energy_tce_max"] == 10.5 and park_plan.enterprise_id is None
    meas = service.add_measure(loaded, principal=e1, data={
        "plan_id": plan.id, "code": "M1", "name": "照明改造", "owner": "甲",
        "schedule": {"start": "2025-01-01", "end": "2025-03-31"}, "points": ["E01-hvac"],
    })  # fmt: skip
    upd = service.update_measure(loaded, principal=e1, measure_id=meas.id,
                                 data={"status": "in_progress", "budget_cny": 5000})  # fmt: skip
    assert (upd.status, upd.document["budget_cny"]) == ("in_progress", 5000)
    rec = service.add_record(loaded, principal=e1, data={
        "kind": "audit_finding", "title": "计量器具未校准",
        "body": {"clause": "7.1.5", "finding": "电表超期", "corrective_action": "送检"},
        "cites": {"points": ["E01-main"], "measures": [meas.id]},
    })  # fmt: skip
    closed = service.update_record(loaded, principal=e1, record_id=rec.id,
                                   data={"status": "closed"})  # fmt: skip
    assert closed.status == "closed" and closed.cites["measures"] == [meas.id]
    # E02 sees none of it; the park sees both plans
    assert service.plans(loaded, principal=e2) == []
    assert service.records(loaded, principal=e2) == []
    for call in (
        lambda: service.plan(loaded, principal=e2, plan_id=plan.id),
        lambda: service.measure(loaded, principal=e2, measure_id=meas.id),
        lambda: service.record(loaded, principal=e2, record_id=rec.id),
        lambda: service.plan(loaded, principal=e1, plan_id=park_plan.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert {p.id for p in service.plans(loaded, principal=PARK)} == {plan.id, park_plan.id}
    # the audit log: 2 plans; a measure and its update; a record and its update
    counts = {e: len(loaded.audit.list(entity=e)) for e in
              ("programme_plan", "programme_measure", "programme_record")}  # fmt: skip
    assert counts == {"programme_plan": 2, "programme_measure": 2, "programme_record": 2}
    assert loaded.audit.list(entity="programme_record")[0]["action"] == "update"
