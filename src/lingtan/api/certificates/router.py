"""``/api/v1/certificates``: the 绿证 ledger (service: :mod:`lingtan.greenpower.service`).

Certificates are held by the park or by one enterprise; an enterprise user sees those it holds
or that were retired for it, and imports or retires for itself only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from lingtan.api.common import MAX_ID, Page, Paging, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.errors import InvalidInput
from lingtan.greenpower import service as greenpower
from lingtan.greenpower.ledger import Month, Period
from lingtan.identity.roles import Permission, require
from lingtan.timeutil import UTC

router = APIRouter(tags=["certificates"])
#: largest certificate file [bytes]
MAX_FILE = 20 * 1024 * 1024
MonthText = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class CertificateOut(BaseModel):
    """A 绿证 and its state."""

    cert_id: str
    project: str
    production_month: str
    tradable: bool
    kwh: int
    valid_until: str
    holder: str
    holder_enterprise_id: int | None
    status: str = Field(description="available | retired | expired")
    retirement: dict[str, Any] | None
    imported_at: str
    imported_by: str


class ImportResult(BaseModel):
    """What an import added."""

    holder: str
    added: int
    unchanged: int
    added_ids: list[str]
    unchanged_ids: list[str]


class RetireRequest(BaseModel):
    """Certificates to retire for a claimant's consumption in a period of whole months."""

    cert_ids: list[Annotated[str, Field(pattern=r"^\d{32}$")]] = Field(
        min_length=1, max_length=100_000
    )
    period_start: MonthText
    period_end: MonthText
    enterprise_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="claimant; none = the park"
    )
    retired_on: dt.date | None = Field(
        default=None, ge=dt.date(2017, 1, 1), le=dt.date(2100, 12, 31)
    )


class RetirementOut(BaseModel):
    """A retirement (核销)."""

    cert_id: str
    claimant: str
    level: str
    park: str
    period: str
    period_start: str
    period_end: str
    retired_on: str
    settlement_id: str | None


@router.get("/certificates", response_model=Page[CertificateOut])
def list_certificates(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    status_: Annotated[
        Literal["available", "retired", "expired"] | None, Query(alias="status")
    ] = None,
) -> Page[CertificateOut]:
    """Certificates in the caller's scope with their state."""
    require(principal, Permission.READ)
    rows = greenpower.list_certificates(
        store, enterprise_scope=principal.enterprise_id, status=status_, park_id=principal.park_id
    )
    chunk = rows[page.offset : page.offset + page.limit]
    items = []
    for v in chunk:
        d = v.as_dict()
        d["imported_at"] = iso(d["imported_at"], UTC) or ""
        items.append(CertificateOut(**d))
    return Page(items=items, total=len(rows), limit=page.limit, offset=page.offset)


@router.post(
    "/certificates/import", response_model=ImportResult, status_code=status.HTTP_201_CREATED
)
async def import_certificates(
    principal: CurrentPrincipal,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="CSV, .xlsx or JSON (docs/certificates.md)")],
    enterprise_id: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="holder; none = the park")
    ] = None,
) -> ImportResult:
    """Import certificates held by the park or by an enterprise (idempotent, all or nothing)."""
    require(principal, Permission.WRITE)  # before the file is read
    content = await file.read(MAX_FILE + 1)
    if len(content) > MAX_FILE:
        raise InvalidInput(f"the file is larger than {MAX_FILE} bytes", field="file")
    name = file.filename or "certificates.csv"

    def run() -> dict[str, Any]:
        holder = enterprise_id if enterprise_id is not None else principal.enterprise_id
        return greenpower.import_certificate_file(
            store,
            content=content,
            filename=name,
            enterprise_id=holder,
            enterprise_scope=principal.enterprise_id,
            actor=principal.actor,
            park_id=principal.park_id,
        ).as_dict()

    return ImportResult(**await run_in_threadpool(run))


@router.post(
    "/certificates/retire", response_model=list[RetirementOut], status_code=status.HTTP_201_CREATED
)
def retire(
    body: RetireRequest, principal: CurrentPrincipal, store: StoreDep
) -> list[RetirementOut]:
    """Retire (核销) certificates for a claimant's consumption in a period: all or none;
    never twice, never expired, never beyond the claimant's metered grid electricity."""
    require(principal, Permission.WRITE)
    claimant = body.enterprise_id if body.enterprise_id is not None else principal.enterprise_id
    done = greenpower.retire_certificates(
        store,
        cert_ids=body.cert_ids,
        period=Period(Month.parse(body.period_start), Month.parse(body.period_end)),
        enterprise_id=claimant,
        enterprise_scope=principal.enterprise_id,
        retired_on=body.retired_on,
        actor=principal.actor,
        park_id=principal.park_id,
    )
    return [RetirementOut(**greenpower.retirement_dict(r)) for r in done]


@router.get("/certificates/retirements", response_model=Page[RetirementOut])
def list_retirements(
    principal: CurrentPrincipal, store: StoreDep, page: Paging
) -> Page[RetirementOut]:
    """Retirements in the caller's scope."""
    require(principal, Permission.READ)
    rows = greenpower.list_retirements(
        store, enterprise_scope=principal.enterprise_id, park_id=principal.park_id
    )
    chunk = rows[page.offset : page.offset + page.limit]
    return Page(
        items=[RetirementOut(**greenpower.retirement_dict(r)) for r in chunk],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )
