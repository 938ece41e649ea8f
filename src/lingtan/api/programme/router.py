"""``/api/v1/programme``: annual energy- and water-saving plans with their progress from
metered data, measures and their verified savings (GB/T 28750-2012) and contract settlement
(GB/T 24915-2020), the programme records (EnMS records of GB/T 23331-2020, cleaner-production
audits, circular projects, building reviews). Thin: the work is in :mod:`lingtan.programme`
(tenant scoping in its service and the store)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, ConfigDict

import lingtan.programme.alarms as programme_alarms  # registers the programme checks
from lingtan.api.common import MAX_ID, IdPath
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.identity.roles import Permission, require, require_park_wide
from lingtan.programme import models as m
from lingtan.programme import reference, service

router = APIRouter(prefix="/programme", tags=["programme"])
EnterpriseQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="one enterprise")]
Lang = Annotated[Literal["zh-CN", "en"], Query()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
J = dict[str, Any]


class RecordUpdate(BaseModel):
    """The parts of a record that change (kind and owner stay)."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    status: Literal["open", "closed"] | None = None
    body: dict[str, Any] | None = None
    cites: m.Cites | None = None


class VerifyIn(BaseModel):
    """Whether to keep the result on the measure (needs ``write``)."""

    model_config = ConfigDict(extra="forbid")
    save: bool = True


@router.get("/standards")
def get_standards(principal: CurrentPrincipal) -> list[J]:
    """The standards the programme implements or cites, with editions and confidence."""
    require(principal, Permission.READ)
    return [r.model_dump() for r in reference.standards()]


@router.get("/plans")
def list_plans(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    enterprise_id: EnterpriseQuery = None,
) -> list[J]:
    """Plans in scope."""
    rows = service.plans(store, principal=principal, year=year, enterprise_id=enterprise_id)
    return [r.as_dict() for r in rows]


@router.post("/plans", status_code=status.HTTP_201_CREATED)
def post_plan(store: StoreDep, principal: CurrentPrincipal, body: Annotated[m.PlanIn, Body()]) -> J:
    """Store an annual plan of an enterprise (or, for park roles, of the park)."""
    data = body.model_dump(mode="json", exclude_unset=True)
    return service.add_plan(store, principal=principal, data=data).as_dict()


@router.get("/plans/{saving_plan_id}")
def get_plan(store: StoreDep, principal: CurrentPrincipal, saving_plan_id: IdPath) -> J:
    """One plan with its measures."""
    p = service.plan(store, principal=principal, plan_id=saving_plan_id)
    ms = service.measures(store, principal=principal, plan_id=p.id)
    return {**p.as_dict(), "measures": [x.as_dict() for x in ms]}


@router.get("/plans/{saving_plan_id}/progress")
def get_progress(store: StoreDep, principal: CurrentPrincipal, saving_plan_id: IdPath) -> J:
    """Progress against the targets, month by month from metered data."""
    return service.progress(store, principal=principal, plan_id=saving_plan_id).as_dict()


@router.get(
    "/plans/{saving_plan_id}/report", response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)  # fmt: skip
def get_plan_report(
    store: StoreDep, principal: CurrentPrincipal, saving_plan_id: IdPath, lang: Lang = "zh-CN"
) -> Response:
    """The annual plan, its progress and the measures' verified savings (Excel)."""
    data = service.plan_workbook(store, principal=principal, plan_id=saving_plan_id, lang=lang)
    return Response(
        content=data, media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="plan-{saving_plan_id}.xlsx"'},
    )  # fmt: skip


@router.post("/alarm-rules", status_code=status.HTTP_201_CREATED)
def install_alarm_rules(store: StoreDep, principal: CurrentPrincipal) -> J:
    """Create the default measure-overdue and plan-behind rules the park lacks (park
    administrators)."""
    require(principal, Permission.ADMIN_PARK)
    require_park_wide(principal, "the park's programme alarm rules")
    return {"created": programme_alarms.install_rules(store, principal=principal)}


@router.post("/measures", status_code=status.HTTP_201_CREATED)
def post_measure(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[m.MeasureIn, Body()]
) -> J:
    """Store a measure of a plan in scope."""
    data = body.model_dump(mode="json", exclude_unset=True)
    return service.add_measure(store, principal=principal, data=data).as_dict()


@router.get("/measures/{measure_id}")
def get_measure(store: StoreDep, principal: CurrentPrincipal, measure_id: IdPath) -> J:
    """One measure with its last verification."""
    return service.measure(store, principal=principal, measure_id=measure_id).as_dict()


@router.patch("/measures/{measure_id}")
def patch_measure(
    store: StoreDep, principal: CurrentPrincipal, measure_id: IdPath,
    body: Annotated[m.MeasureUpdate, Body()],
) -> J:  # fmt: skip
    """Change a measure's status, owner, budget, schedule, verification plan or contract."""
    data = body.model_dump(mode="json", exclude_unset=True)
    return service.update_measure(
        store, principal=principal, measure_id=measure_id, data=data
    ).as_dict()


@router.post("/measures/{measure_id}/verify")
def post_verify(
    store: StoreDep, principal: CurrentPrincipal, measure_id: IdPath,
    body: Annotated[VerifyIn, Body()],
) -> J:  # fmt: skip
    """Verify the measure's savings (GB/T 28750-2012) and settle its contract (GB/T 24915)."""
    return service.verify_measure(store, principal=principal, measure_id=measure_id, save=body.save)


@router.get("/records")
def list_records(
    store: StoreDep,
    principal: CurrentPrincipal,
    kind: Annotated[m.RecordKind | None, Query()] = None,
    enterprise_id: EnterpriseQuery = None,
) -> list[J]:
    """Records in scope (of one kind)."""
    rows = service.records(
        store, principal=principal, kinds=None if kind is None else [kind],
        enterprise_id=enterprise_id,
    )  # fmt: skip
    return [r.as_dict() for r in rows]


@router.post("/records", status_code=status.HTTP_201_CREATED)
def post_record(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[m.RecordIn, Body()]
) -> J:
    """Store a programme record (its body validated by its kind)."""
    data = body.model_dump(mode="json", exclude_unset=True)
    return service.add_record(store, principal=principal, data=data).as_dict()


@router.get("/records/{programme_record_id}")
def get_record(store: StoreDep, principal: CurrentPrincipal, programme_record_id: IdPath) -> J:
    """One record and what it computes from the data it cites."""
    return service.evaluate_record(store, principal=principal, record_id=programme_record_id)


@router.patch("/records/{programme_record_id}")
def patch_record(
    store: StoreDep, principal: CurrentPrincipal, programme_record_id: IdPath,
    body: Annotated[RecordUpdate, Body()],
) -> J:  # fmt: skip
    """Change a record's title, status, body or citations."""
    data = body.model_dump(mode="json", exclude_unset=True)
    return service.update_record(
        store, principal=principal, record_id=programme_record_id, data=data
    ).as_dict()
