"""``/api/v1/overview``: what the dashboard shows, as data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from lingtan.api.common import MAX_ID, Page, Paging, YearQuery, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.overview import service
from lingtan.api.overview.cache import VersionedCache
from lingtan.api.overview.schemas import EnergyFlow, MeterQuality, Overview
from lingtan.api.readings.service import park_zone
from lingtan.store import Store

router = APIRouter(tags=["overview"])
Lang = Annotated[Literal["zh-CN", "en"], Query(description="language of names")]
EnterpriseQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="park-wide callers: one enterprise's view")
]
DateQuery = Annotated[
    dt.date | None,
    Query(
        ge=dt.date(2000, 1, 1),
        le=dt.date(2100, 12, 31),
        description="default: the last day with data",
    ),
]


def view_cache(request: Request) -> VersionedCache | None:
    """The application's cache of computed views."""
    cache: VersionedCache | None = getattr(request.app.state, "view_cache", None)
    return cache


def _cached_json(
    request: Request, store: Store, key: tuple[Any, ...], render: Callable[[], bytes]
) -> Response:
    """A JSON view from the cache (validated and encoded once per data version)."""
    body = service.cached(store, view_cache(request), key, render, reads=True)
    return Response(body, media_type="application/json")


@router.get("/overview", response_model=Overview)
def get_overview(
    request: Request,
    principal: CurrentPrincipal,
    store: StoreDep,
    date: DateQuery = None,
    enterprise_id: EnterpriseQuery = None,
    lang: Lang = "zh-CN",
) -> Response:
    """Energy by carrier for the day, its month and the year to date (physical units and
    tce), electricity balance, clean-energy and green-electricity shares, data quality and
    quarantine — of the park, or of the caller's enterprise."""
    scope = service.scope_enterprise(store, principal, enterprise_id)

    def render() -> bytes:
        data = service.overview(
            store, principal=principal, as_of=date, enterprise_id=scope, lang=lang
        )
        return Overview.model_validate(data).model_dump_json().encode()

    return _cached_json(
        request,
        store,
        ("overview.json", principal.park_id, principal.tenant.enterprise_id, scope, date, lang),
        render,
    )


@router.get("/overview/energy-flow", response_model=EnergyFlow)
def get_energy_flow(
    request: Request,
    principal: CurrentPrincipal,
    store: StoreDep,
    year: YearQuery,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    enterprise_id: EnterpriseQuery = None,
    lang: Lang = "zh-CN",
) -> Response:
    """Energy flows in tce from supplies (grid, direct green, PV, storage, gas, steam …) to
    enterprises and out (export, storage charge)."""
    scope = service.scope_enterprise(store, principal, enterprise_id)

    def render() -> bytes:
        data = service.energy_flow(
            store, principal=principal, year=year, month=month, enterprise_id=scope, lang=lang
        )
        return EnergyFlow.model_validate(data).model_dump_json().encode()

    return _cached_json(
        request,
        store,
        ("flow.json", principal.park_id, principal.tenant.enterprise_id, scope, year, month, lang),
        render,
    )


@router.get("/overview/meters", response_model=Page[MeterQuality])
def get_meter_quality(
    request: Request,
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    start: DateQuery = None,
    end: DateQuery = None,
) -> Page[MeterQuality]:
    """Per metering point: quality shares, estimated hours, days flagged and events (gaps,
    resets, spikes …), last reading. Default: the year to date of the last day with data."""
    tz = park_zone(store, principal.park_id)
    rows = service.meter_quality(
        store, principal=principal, first=start, last=end, cache=view_cache(request)
    )
    chunk = rows[page.offset : page.offset + page.limit]
    return Page(
        items=[
            MeterQuality(
                **{k: v for k, v in r.items() if k != "last_reading_us"},
                last_reading=iso(r["last_reading_us"], tz),
            )
            for r in chunk
        ],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )
