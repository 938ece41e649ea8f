"""``/api/v1/compliance``: the reference levels, products graded with the indicator's coverage,
the backward-capacity list, project admission checks. Thin: the work is in
:mod:`lingtan.compliance` (tenant scoping in its service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, status
from pydantic import BaseModel, ConfigDict, Field

from lingtan.api.common import MAX_ID
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.compliance import reference, service
from lingtan.identity.roles import Permission, require
from lingtan.indicators.limits import load_limits

router = APIRouter(prefix="/compliance", tags=["compliance"])
EnterpriseQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="one enterprise")]
Year = Annotated[int, Query(ge=1990, le=2100)]
J = dict[str, Any]


class AdmissionIn(BaseModel):
    """A project to check: the project file's content, the rules (default: the park's core
    target for its size class), the year of the park's current totals."""

    model_config = ConfigDict(extra="forbid")
    project: dict[str, Any]
    rules: dict[str, Any] | None = None
    year: int = Field(ge=1990, le=2100)
    store: bool = True


@router.get("/levels")
def get_levels(principal: CurrentPrincipal) -> J:
    """The 标杆/基准 records and the limit-standard records (editions, confidence, sources)."""
    require(principal, Permission.READ)
    return {
        "efficiency_levels": [
            r.model_dump(mode="json") for r in reference.efficiency_levels().values()
        ],
        "limits": [r.model_dump(mode="json") for r in load_limits()],
        "water_quotas": [
            r.model_dump(mode="json")
            for r in {q.id: q for q in reference.water_quotas().values()}.values()
        ],
    }


@router.get("/grading")
def get_grading(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Year,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    enterprise_id: EnterpriseQuery = None,
    water_category: Annotated[
        Literal["existing", "new", "leading"],
        Query(description="取水定额 category: existing (default), new (新建/改建/扩建), leading"),
    ] = "existing",
) -> J:
    """Products graded against limit levels and 标杆/基准, with the indicator's coverage, and
    their water intake per unit against the 取水定额 (``water``)."""
    return service.grading(
        store, principal=principal, year=year, month=month, enterprise_id=enterprise_id,
        water_category=water_category,
    ).as_dict()  # fmt: skip


@router.get("/backward")
def get_backward(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Year,
    enterprise_id: EnterpriseQuery = None,
    deadline_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> list[J]:
    """Lines below 基准, ranked by gap × output (8.3.4)."""
    return [
        e.as_dict()
        for e in service.backward(
            store, principal=principal, year=year, enterprise_id=enterprise_id,
            deadline_year=deadline_year,
        )
    ]  # fmt: skip


@router.post("/admission", status_code=status.HTTP_201_CREATED)
def post_admission(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[AdmissionIn, Body()]
) -> J:
    """Check a project against the park's admission rules (stored with its inputs)."""
    report, rec_id = service.check_admission(
        store, principal=principal, project=body.project, rules=body.rules, year=body.year,
        store_it=body.store,
    )  # fmt: skip
    return {"id": rec_id, **report.as_dict()}


@router.get("/admission")
def list_admission(store: StoreDep, principal: CurrentPrincipal) -> list[J]:
    """The park's stored admission checks, newest first."""
    return [r.as_dict() for r in service.admissions(store, principal=principal)]
