"""``/api/v1/reports``: report documents (xlsx or html) are built by background jobs; poll the
job, then download ``/api/v1/jobs/{id}/file``."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from lingtan.api.common import MAX_ID
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.jobs.router import JobOut, job_out, submit_and_enqueue
from lingtan.identity.roles import Permission, require
from lingtan.jobs import service as jobs

router = APIRouter(tags=["reports"])
#: report kinds (job kinds that build documents)
REPORT_KINDS = ("energy_report", "indicator_report")


class ReportKind(BaseModel):
    """A report that can be requested."""

    kind: str
    description: str
    formats: list[str]


class ReportRequest(BaseModel):
    """The period, scope, format and language of a report."""

    year: int = Field(ge=1990, le=2100)
    month: int | None = Field(default=None, ge=1, le=12)
    ytd: bool = Field(default=False, description="year to date through ``month``")
    enterprise_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="one enterprise (enterprise users: their own)"
    )
    format: Literal["xlsx", "html"] = "xlsx"
    lang: Literal["zh", "en"] = "zh"


@router.get("/reports", response_model=list[ReportKind])
def list_reports(principal: CurrentPrincipal) -> list[ReportKind]:
    """Reports the caller may request."""
    require(principal, Permission.REPORTS)
    kinds = jobs.kinds()
    return [
        ReportKind(kind=k, description=kinds[k].description, formats=["xlsx", "html"])
        for k in REPORT_KINDS
        if k in kinds
    ]


@router.post("/reports/{kind}", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
async def request_report(
    kind: Literal["energy_report", "indicator_report"],
    body: ReportRequest,
    request: Request,
    principal: CurrentPrincipal,
    store: StoreDep,
) -> JobOut:
    """Build a report in the background: poll the job, then download its file."""
    job = await run_in_threadpool(
        submit_and_enqueue, request, store, principal, kind, body.model_dump(exclude_none=True)
    )
    return job_out(job)
