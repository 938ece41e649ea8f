"""``/api/v1/ghg``: reference records, enterprises' GHG documents, their accounts and annual
market reports, the park's covered units, and the CBAM communication. Thin: the work is in
:mod:`lingtan.ghg`; tenancy is enforced by :mod:`lingtan.ghg.service` and the store."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, Field

from lingtan.api.common import MAX_ID
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.ghg import market, service
from lingtan.identity.roles import Permission, require

router = APIRouter(prefix="/ghg", tags=["ghg"])
EnterpriseQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="one enterprise")]
Year = Annotated[int, Query(ge=2005, le=2100)]
Lang = Annotated[Literal["zh-CN", "en"], Query()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
J = dict[str, Any]


class DocumentIn(BaseModel):
    """A GHG document for an enterprise (park-wide callers name the enterprise)."""

    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    document: dict[str, Any]


class InstallationIn(BaseModel):
    """A CBAM installation, its processes, goods and precursors (see docs/cbam.md); a park-wide
    caller names the enterprise whose meters a metered process reads."""

    installation: dict[str, Any]
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)


@router.get("/records")
def get_records(principal: CurrentPrincipal) -> J:
    """Every reference record (GWPs, sector parameters, market coverage, CBAM) with its source
    and confidence."""
    require(principal, Permission.READ)
    return service.reference()


@router.post("/documents", status_code=status.HTTP_201_CREATED)
def post_document(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[DocumentIn, Body()]
) -> J:
    """Append an enterprise's GHG document for a year (validated and accounted first)."""
    stored = service.submit(
        store, principal=principal, enterprise_id=body.enterprise_id, document=body.document
    )
    return dataclasses.asdict(stored)


@router.get("/documents")
def list_documents(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Annotated[int | None, Query(ge=2005, le=2100)] = None,
    enterprise_id: EnterpriseQuery = None,
) -> list[J]:
    """Every stored version in scope (the evidence trail), oldest first."""
    rows = service.documents(store, principal=principal, year=year, enterprise_id=enterprise_id)
    return [dataclasses.asdict(r) for r in rows]


@router.get("/account")
def get_account(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Year,
    enterprise_id: EnterpriseQuery = None,
    lang: Lang = "zh-CN",
) -> J:
    """The account of the document in force: per source and month, per gas, the market
    boundary apart from direct and indirect emissions, intensity, missing months."""
    stored, r = service.result(store, principal=principal, enterprise_id=enterprise_id, year=year)
    return {"document": dataclasses.asdict(stored), **market.report_document(r, lang=lang)}


@router.get("/report", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def get_report(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Year,
    enterprise_id: EnterpriseQuery = None,
    lang: Lang = "zh-CN",
) -> Response:
    """The annual emissions report (the guideline's table structure) as an Excel workbook."""
    require(principal, Permission.REPORTS)
    _, r = service.result(store, principal=principal, enterprise_id=enterprise_id, year=year)
    return Response(
        content=market.report_xlsx(r, lang=lang),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="ghg-{year}.xlsx"'},
    )


@router.get("/evidence")
def get_evidence(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Year,
    month: Annotated[
        int | None, Query(ge=1, le=12, description="one month; all when absent")
    ] = None,
    enterprise_id: EnterpriseQuery = None,
) -> list[J]:
    """The monthly evidence packages of the document in force (activity data, parameters, their
    lab reports, meters and hashes; each package hashed)."""
    stored, r = service.result(store, principal=principal, enterprise_id=enterprise_id, year=year)
    months = [month] if month is not None else list(range(1, 13))
    return [
        market.evidence_package(r, month=m, document_id=stored.id, sha256=stored.sha256)
        for m in months
    ]


@router.get("/covered")
def get_covered(store: StoreDep, principal: CurrentPrincipal, year: Year) -> list[J]:
    """The covered-unit test of each enterprise in scope with a document for ``year``."""
    return service.covered_units(store, principal=principal, year=year)


@router.post("/cbam/communication", responses={200: {"content": {XLSX: {}}}})
def post_cbam(
    store: StoreDep,
    principal: CurrentPrincipal,
    body: Annotated[InstallationIn, Body()],
    format: Annotated[Literal["json", "xlsx"], Query()] = "json",
    lang: Lang = "zh-CN",
) -> Any:
    """The CBAM communication to EU importers of an installation and year (computed, not
    stored): per CN code the specific direct and indirect embedded emissions, the share from
    default values (with the year's mark-up) and the carbon price paid."""
    if format == "xlsx":
        data = service.cbam_workbook(
            store, principal=principal, installation=body.installation, lang=lang,
            enterprise_id=body.enterprise_id,
        )  # fmt: skip
        return Response(
            content=data,
            media_type=XLSX,
            headers={"Content-Disposition": 'attachment; filename="cbam-communication.xlsx"'},
        )
    return service.cbam_communication(
        store, principal=principal, installation=body.installation, lang=lang,
        enterprise_id=body.enterprise_id,
    )  # fmt: skip
