"""``/api/v1/jobs``: long work runs in the background; submit, poll, download."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from lingtan.api.common import Page, Paging, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.config import Settings
from lingtan.identity.roles import Permission, Principal, require
from lingtan.jobs import service as jobs
from lingtan.store import Store
from lingtan.store.jobs_repo import JobRow
from lingtan.timeutil import UTC

router = APIRouter(tags=["jobs"])
JobId = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="job id (UUID)",
    ),
]
KindQuery = Annotated[str | None, Query(pattern=r"^[a-z_]{1,64}$")]


class JobOut(BaseModel):
    """A background job; poll until ``status`` is done or failed."""

    id: str
    kind: str
    status: str = Field(description="queued | running | done | failed")
    params: dict[str, Any]
    result: Any
    error: str | None
    created_by: str
    enterprise_id: int | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    file_url: str | None = Field(description="where to download what the job produced")


class JobKindOut(BaseModel):
    """A kind of job the caller may submit."""

    name: str
    description: str


def job_out(j: JobRow) -> JobOut:
    """The API shape of a job."""
    return JobOut(
        id=j.id,
        kind=j.kind,
        status=j.status,
        params=j.params,
        result=j.result,
        error=j.error,
        created_by=j.created_by,
        enterprise_id=j.enterprise_id,
        created_at=iso(j.created_at, UTC) or "",
        started_at=iso(j.started_at, UTC),
        finished_at=iso(j.finished_at, UTC),
        file_url=f"/api/v1/jobs/{j.id}/file" if j.has_file else None,
    )


def submit_and_enqueue(
    request: Request, store: Store, principal: Principal, kind: str, params: dict[str, Any]
) -> JobRow:
    """Queue a job (within the caller's quota of open jobs) and hand it to this process's
    runner (blocking: call from a thread)."""
    settings: Settings = request.app.state.settings
    job = jobs.submit(
        store, principal=principal, kind=kind, params=params, max_open=settings.max_open_jobs
    )
    runner = getattr(request.app.state, "runner", None)
    if runner is not None:
        runner.enqueue(job.id)
    return job


@router.get("/jobs", response_model=Page[JobOut])
def list_jobs(
    principal: CurrentPrincipal, store: StoreDep, page: Paging, kind: KindQuery = None
) -> Page[JobOut]:
    """Jobs in the caller's scope, newest first."""
    rows, total = jobs.list_jobs(
        store, principal=principal, kind=kind, limit=page.limit, offset=page.offset
    )
    return Page(items=[job_out(j) for j in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/jobs/kinds", response_model=list[JobKindOut])
def list_kinds(principal: CurrentPrincipal) -> list[JobKindOut]:
    """Job kinds the caller may submit."""
    require(principal, Permission.READ)
    return [
        JobKindOut(name=k.name, description=k.description)
        for k in sorted(jobs.kinds().values(), key=lambda k: k.name)
        if principal.can(k.permission) and not (k.park_wide_only and principal.enterprise_id)
    ]


@router.post("/jobs/normalise", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
async def submit_normalise(
    request: Request, principal: CurrentPrincipal, store: StoreDep
) -> JobOut:
    """Recompute statistics for every reading that arrived since the last run (park admins)."""
    job = await run_in_threadpool(submit_and_enqueue, request, store, principal, "normalise", {})
    return job_out(job)


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: JobId, principal: CurrentPrincipal, store: StoreDep) -> JobOut:
    """One job (poll this until done or failed)."""
    return job_out(jobs.get_job(store, principal=principal, job_id=str(uuid.UUID(job_id))))


@router.get(
    "/jobs/{job_id}/file",
    response_class=Response,
    responses={
        200: {
            "description": "the file (a report: Excel workbook or HTML page)",
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
                "text/html": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def get_job_file(job_id: JobId, principal: CurrentPrincipal, store: StoreDep) -> Response:
    """Download what a finished job produced (a report)."""
    f = jobs.job_file(store, principal=principal, job_id=job_id)
    ascii_name = f.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return Response(
        content=f.content,
        media_type=f.media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(f.filename)}"
        },
    )
