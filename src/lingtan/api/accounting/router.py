"""``/api/v1/accounting``: inventories computed from the store (service:
:mod:`lingtan.accounting`), with their explanation, and the stored results (history).

Reading an inventory computes it without storing it; recomputing and storing (history) is a
background job (``POST /api/v1/accounting/recompute``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from lingtan import accounting
from lingtan.api.common import CODE_PATTERN, MAX_ID, IdPath, Page, Paging, YearQuery, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.jobs.router import JobOut, job_out, submit_and_enqueue
from lingtan.errors import NotFound
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.store import Store
from lingtan.store.accounting_repo import InventoryRecord
from lingtan.store.query_repo import QueryRepo
from lingtan.timeutil import UTC

router = APIRouter(tags=["accounting"])
MonthQuery = Annotated[int | None, Query(ge=1, le=12, description="one month; none for the year")]
Explain = Annotated[bool, Query(description="add the explanation lines (formula, clause, factor)")]
Lang = Annotated[Literal["zh", "en"], Query(description="language of the explanation")]


class StoredResult(BaseModel):
    """A stored accounting result (kept when a restatement replaces it)."""

    id: int
    basis: str
    boundary: str
    year: int
    month: int | None
    enterprise_id: int | None
    computed_at: str
    computed_by: str
    options: dict[str, Any]
    factor_ids: list[str]
    result: dict[str, Any] | None = Field(
        description="the inventory with explanation (detail only)"
    )


class RecomputeRequest(BaseModel):
    """What to account and store."""

    basis: Literal["park", "enterprise", "building"]
    year: int = Field(ge=1990, le=2100)
    month: int | None = Field(default=None, ge=1, le=12)
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="basis enterprise")
    site_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="basis building")


def _stored(r: InventoryRecord, *, detail: bool) -> StoredResult:
    return StoredResult(
        id=r.id,
        basis=r.basis,
        boundary=r.boundary,
        year=r.year,
        month=r.month,
        enterprise_id=r.enterprise_id,
        computed_at=iso(r.computed_at, UTC) or "",
        computed_by=r.computed_by,
        options=r.options,
        factor_ids=list(r.factor_ids),
        result=r.result if detail else None,
    )


def _boundary_in_scope(store: Store, principal: Principal, basis: str, boundary: str) -> None:
    """Refuse a boundary the caller may not see: as absent (404), or park-level (403)."""
    q = QueryRepo(store)
    park = store.registry.park(principal.park_id)
    if basis == "park":
        require_park_wide(principal, "the park inventory")
        known = {park.code}
    elif basis == "enterprise":
        known = {e.code for e in q.enterprises(tenant=principal.tenant, park_id=park.id)[0]}
    else:
        known = {s.code for s in q.sites(tenant=principal.tenant, park_id=park.id)[0]}
    if boundary not in known:
        raise NotFound("boundary not found")


def _read(principal: Principal) -> int | None:
    require(principal, Permission.READ)
    return principal.enterprise_id


def park_inventory(
    store: Store, *, principal: Principal, year: int, month: int | None, explain: bool, lang: str
) -> dict[str, Any]:
    """The park inventory (910号 附件4), computed now (park-wide roles)."""
    scope = _read(principal)
    result = accounting.account_park(
        store,
        year=year,
        month=month,
        enterprise_scope=scope,
        persist=False,
        park_id=principal.park_id,
    )
    return result.as_dict(explain=explain, lang=lang)


def enterprise_inventory(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int,
    year: int,
    month: int | None,
    explain: bool,
    lang: str,
) -> dict[str, Any]:
    """The GB/T 32150 inventory of an enterprise (location- and market-based scope 2)."""
    scope = _read(principal)
    result = accounting.account_enterprise(
        store,
        enterprise_id=enterprise_id,
        year=year,
        month=month,
        enterprise_scope=scope,
        persist=False,
        park_id=principal.park_id,
    )
    return result.as_dict(explain=explain, lang=lang)


def building_inventory(
    store: Store,
    *,
    principal: Principal,
    site_id: int,
    year: int,
    month: int | None,
    explain: bool,
    lang: str,
) -> dict[str, Any]:
    """The GB/T 51366 operation-stage inventory of a building."""
    scope = _read(principal)
    result = accounting.account_building(
        store,
        site_id=site_id,
        year=year,
        month=month,
        enterprise_scope=scope,
        persist=False,
        park_id=principal.park_id,
    )
    return result.as_dict(explain=explain, lang=lang)


@router.get("/accounting/park", response_model=dict[str, Any])
def get_park_inventory(
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    month: MonthQuery = None,
    explain: Explain = False,
    lang: Lang = "zh",
) -> dict[str, Any]:
    """The park's emissions (910号 附件4) of a year or month, computed from the store now;
    ``explain`` adds, per line, the formula, clause and factor record used."""
    return park_inventory(
        store, principal=principal, year=year, month=month, explain=explain, lang=lang
    )


@router.get("/accounting/enterprises/{enterprise_id}", response_model=dict[str, Any])
def get_enterprise_inventory(
    enterprise_id: IdPath,
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    month: MonthQuery = None,
    explain: Explain = False,
    lang: Lang = "zh",
) -> dict[str, Any]:
    """An enterprise's GB/T 32150 inventory with location- and market-based scope 2."""
    return enterprise_inventory(
        store,
        principal=principal,
        enterprise_id=enterprise_id,
        year=year,
        month=month,
        explain=explain,
        lang=lang,
    )


@router.get("/accounting/sites/{site_id}", response_model=dict[str, Any])
def get_building_inventory(
    site_id: IdPath,
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    month: MonthQuery = None,
    explain: Explain = False,
    lang: Lang = "zh",
) -> dict[str, Any]:
    """A building's GB/T 51366 operation-stage emissions (the site needs a floor area)."""
    return building_inventory(
        store,
        principal=principal,
        site_id=site_id,
        year=year,
        month=month,
        explain=explain,
        lang=lang,
    )


@router.get("/accounting/results", response_model=Page[StoredResult])
def list_results(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    basis: Literal["park", "enterprise", "building"],
    boundary: Annotated[
        str, Query(pattern=CODE_PATTERN, max_length=64, description="park, enterprise or site code")
    ],
    year: YearQuery,
) -> Page[StoredResult]:
    """Stored results of a boundary and year, newest first (restated ones included)."""
    scope = _read(principal)
    _boundary_in_scope(store, principal, basis, boundary)
    rows = accounting.history(
        store,
        basis=basis,
        boundary=boundary,
        year=year,
        enterprise_scope=scope,
        park_id=principal.park_id,
    )
    chunk = rows[page.offset : page.offset + page.limit]
    return Page(
        items=[_stored(r, detail=False) for r in chunk],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/accounting/results/{result_id}", response_model=StoredResult)
def get_stored_result(
    result_id: IdPath, principal: CurrentPrincipal, store: StoreDep
) -> StoredResult:
    """One stored result with its explanation and the factor records it used."""
    scope = _read(principal)
    return _stored(
        accounting.get_result(store, result_id=result_id, enterprise_scope=scope), detail=True
    )


@router.post("/accounting/recompute", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
async def recompute(
    body: RecomputeRequest, request: Request, principal: CurrentPrincipal, store: StoreDep
) -> JobOut:
    """Account and store an inventory in the background (a job to poll); the result joins the
    boundary's history."""
    job = await run_in_threadpool(
        submit_and_enqueue, request, store, principal, "account", body.model_dump(exclude_none=True)
    )
    return job_out(job)
