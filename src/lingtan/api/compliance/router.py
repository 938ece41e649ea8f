"""``/api/v1/compliance``: the reference levels, products graded with the indicator's coverage,
the backward-capacity list, project admission checks. Thin: the work is in
:mod:`lingtan.compliance` (tenant scoping in its service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from lingtan.api.common import MAX_ID
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.compliance import audit, reference, service
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators.limits import load_limits
from lingtan.store import Store

router = APIRouter(prefix="/compliance", tags=["compliance"])
EnterpriseQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="one enterprise")]
Year = Annotated[int, Query(ge=1990, le=2100)]
J = dict[str, Any]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _audit(
    store: Store, principal: Principal, year: int, month: int | None, enterprise_id: int | None
) -> audit.AuditFile:
    return service.audit_file(
        store, principal=principal, year=year, month=month, enterprise_id=enterprise_id
    )


@router.get("/audit")
def get_audit(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Year,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    enterprise_id: EnterpriseQuery = None,
) -> J:
    """The energy audit (GB/T 17166-2019) of an enterprise (an enterprise user: its own; a park
    role: ``enterprise_id``, or the whole park) from the store: energy by carrier and site in
    tce, products graded, the energy plans' measures, and the notes on what it rests on."""
    a = _audit(store, principal, year, month, enterprise_id)
    return {**a.model_dump(mode="json", exclude={"products"}), **audit.summary(a)}


@router.get("/audit/workbook", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def get_audit_workbook(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Year,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    enterprise_id: EnterpriseQuery = None,
    lang: Annotated[Literal["zh-CN", "en"], Query()] = "zh-CN",
) -> Response:
    """The same audit as an Excel workbook (能源消费, 能源消费结构, 单位产品能耗, 节能潜力, 说明)."""
    require(principal, Permission.REPORTS)
    a = _audit(store, principal, year, month, enterprise_id)
    name = f"audit-{year}" + (f"-{month:02d}" if month else "")
    return Response(
        content=audit.workbook(a, lang="zh" if lang == "zh-CN" else "en"), media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )  # fmt: skip


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
