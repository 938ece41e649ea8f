"""``/api/v1`` registry routes: park, enterprises, sites, points."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from lingtan.api.common import MAX_ID, CodePath, IdPath, Page, Paging
from lingtan.api.deps import CurrentPrincipal, SettingsDep, StoreDep
from lingtan.api.limits import read_body
from lingtan.api.registry import service
from lingtan.api.registry.schemas import EnterpriseOut, ParkLoadResult, ParkOut, PointOut, SiteOut
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, require
from lingtan.registry import Carrier
from lingtan.registry.building_labels import ENERGY_LABEL, GREEN_BUILDING_STAR, label_name
from lingtan.store import EnterpriseRecord, PointRecord, SiteRecord

router = APIRouter(tags=["registry"])
EnterpriseQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _enterprise(e: EnterpriseRecord) -> EnterpriseOut:
    return EnterpriseOut(id=e.id, code=e.code, name=e.name, uscc=e.uscc, industry=e.industry)


def _site(s: SiteRecord) -> SiteOut:
    return SiteOut(
        id=s.id,
        code=s.code,
        name=s.name,
        enterprise_id=s.enterprise_id,
        floor_area_m2=s.floor_area_m2,
        use=s.use,
        energy_label=s.energy_label,
        energy_label_name=label_name(ENERGY_LABEL, s.energy_label) or None,
        energy_label_certificate=s.energy_label_certificate,
        energy_label_date=s.energy_label_date,
        green_building_star=s.green_building_star,
        green_building_star_name=label_name(GREEN_BUILDING_STAR, s.green_building_star) or None,
        green_building_certificate=s.green_building_certificate,
        green_building_date=s.green_building_date,
    )


def point_out(p: PointRecord, codes: dict[int, str]) -> PointOut:
    """The API shape of a point (parent shown only when it is in the caller's scope)."""
    return PointOut(
        id=p.id,
        code=p.code,
        name=p.name,
        enterprise_id=p.enterprise_id,
        site_id=p.site_id,
        carrier=p.carrier,
        kind=p.kind,
        unit=p.unit,
        level=p.level,
        parent=None if p.parent_id is None else codes.get(p.parent_id),
        multiplier=p.multiplier,
        register_max=p.register_max,
        max_rate=p.max_rate,
        interval_s=p.interval_s,
        virtual=p.is_virtual,
        formula=p.formula,
        boundary=p.boundary,
        tags=list(p.tags),
    )


@router.get("/parks", response_model=list[ParkOut])
def list_parks(principal: CurrentPrincipal, store: StoreDep) -> list[ParkOut]:
    """The parks of the store the caller may act in (name one with ``?park=CODE``): every park
    for park-wide roles, its enterprise's park for an enterprise's user."""
    return [
        ParkOut(id=p.id, code=p.code, name=p.name, province=p.province, timezone=p.timezone)
        for p in service.parks(store, principal=principal)
    ]


@router.get("/park", response_model=ParkOut)
def get_park(principal: CurrentPrincipal, store: StoreDep) -> ParkOut:
    """The park."""
    p = service.park(store, principal=principal)
    return ParkOut(id=p.id, code=p.code, name=p.name, province=p.province, timezone=p.timezone)


_PARK_FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a park file (docs/park-file.md)",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/toml": {"schema": {"type": "string"}},
        },
    }
}


@router.put("/park", response_model=ParkLoadResult, openapi_extra=_PARK_FILE_BODY)
async def put_park(
    request: Request,
    principal: CurrentPrincipal,
    store: StoreDep,
    settings: SettingsDep,
) -> ParkLoadResult:
    """Load a park file (YAML, or TOML with ``Content-Type: application/toml``): creates or
    updates the park, its enterprises, sites and points, and records the meter replacements it
    declares. Park admins only; audited."""
    media = request.headers.get("content-type", "application/yaml").split(";")[0].strip()
    fmt: Literal["yaml", "toml"] = "toml" if media in {"application/toml", "text/toml"} else "yaml"
    require(principal, Permission.ADMIN_PARK)  # before the body is read
    body = await read_body(request, limit=10 * 1024 * 1024)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput("the park file is not UTF-8 text", field="body") from err
    report = await run_in_threadpool(
        service.load_park_file,
        store,
        principal=principal,
        text=text,
        fmt=fmt,
        future_skew_s=settings.future_skew_s,
    )
    normaliser = getattr(request.app.state, "normaliser", None)
    if normaliser is not None and (report.renormalise or report.created.get("meter_replacement")):
        normaliser.poke()
    return ParkLoadResult(
        park_id=report.park_id,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        retained=report.retained,
        renormalise=report.renormalise,
    )


@router.get("/enterprises", response_model=Page[EnterpriseOut])
def list_enterprises(
    principal: CurrentPrincipal, store: StoreDep, page: Paging
) -> Page[EnterpriseOut]:
    """Enterprises (an enterprise user sees its own only)."""
    rows, total = service.list_enterprises(store, principal=principal, page=page)
    return Page(
        items=[_enterprise(e) for e in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def get_enterprise(
    enterprise_id: IdPath, principal: CurrentPrincipal, store: StoreDep
) -> EnterpriseOut:
    """One enterprise."""
    return _enterprise(
        service.get_enterprise(store, principal=principal, enterprise_id=enterprise_id)
    )


@router.get("/sites", response_model=Page[SiteOut])
def list_sites(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    enterprise_id: EnterpriseQuery = None,
) -> Page[SiteOut]:
    """Sites and buildings."""
    rows, total = service.list_sites(
        store, principal=principal, enterprise_id=enterprise_id, page=page
    )
    return Page(items=[_site(s) for s in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/sites/{site_id}", response_model=SiteOut)
def get_site(site_id: IdPath, principal: CurrentPrincipal, store: StoreDep) -> SiteOut:
    """One site or building."""
    return _site(service.get_site(store, principal=principal, site_id=site_id))


@router.get("/points", response_model=Page[PointOut])
def list_points(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    enterprise_id: EnterpriseQuery = None,
    site_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    carrier: Carrier | None = None,
    virtual: bool | None = None,
) -> Page[PointOut]:
    """Metering points; ``virtual=true`` lists the virtual points (computed by formula)."""
    rows, total, codes = service.list_points(
        store,
        principal=principal,
        enterprise_id=enterprise_id,
        site_id=site_id,
        carrier=None if carrier is None else carrier.value,
        virtual=virtual,
        page=page,
    )
    return Page(
        items=[point_out(p, codes) for p in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/points/{code}", response_model=PointOut)
def get_point(code: CodePath, principal: CurrentPrincipal, store: StoreDep) -> PointOut:
    """One metering point."""
    p, codes = service.get_point(store, principal=principal, code=code)
    return point_out(p, codes)
