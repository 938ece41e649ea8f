"""``/api/v1/environment``: monitoring stations declared in the park file, their latest values,
the GB 3095 / GB 3838 / permit / GB/T 18883 assessment from the store, and exceedances. Read
only (stations are written by loading the park file). Thin: the work is in
:mod:`lingtan.environment.service`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.environment import service
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, require
from lingtan.store.environment_repo import StationRow

router = APIRouter(tags=["environment"])

STATION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,30}$"
StationPath = Path(pattern=STATION_PATTERN, description="station code")
From = Annotated[
    dt.datetime | None,
    Query(alias="from", description="start, ISO 8601 with offset (default: 7 days before to)"),
]
To = Annotated[
    dt.datetime | None,
    Query(
        alias="to", description="end (exclusive), ISO 8601 with offset (default: the latest data)"
    ),
]


class StationOut(BaseModel):
    """A station as declared in the park file (the HJ 212 password is not shown)."""

    code: str
    name: str
    kind: str
    enterprise_id: int | None
    mn: str
    air_class: int | None
    water_class: str | None
    site: str | None
    resolution: str
    parameters: list[dict[str, Any]]
    limits: list[dict[str, Any]]


def _station(r: StationRow) -> StationOut:
    spec = r.spec
    return StationOut(
        code=r.code, name=r.name, kind=r.kind, enterprise_id=r.enterprise_id, mn=r.mn,
        air_class=spec.get("air_class"), water_class=spec.get("water_class"),
        site=spec.get("site"), resolution=spec.get("resolution", "hour"),
        parameters=spec.get("parameters", []), limits=spec.get("limits", []),
    )  # fmt: skip


class StationDetailOut(StationOut):
    """A station with each parameter's latest hourly mean and its status."""

    latest: list[dict[str, Any]]


@router.get("/environment/stations", response_model=list[StationOut])
def list_stations(
    store: StoreDep,
    principal: CurrentPrincipal,
    kind: Annotated[Literal["air", "water", "outlet", "indoor"] | None, Query()] = None,
) -> list[StationOut]:
    """The stations in the caller's scope: the park-level ones (ambient air, water sections)
    and the caller's enterprise's outlets and indoor monitors."""
    return [_station(r) for r in service.list_stations(store, principal=principal, kind=kind)]


@router.get("/environment/stations/{station_code}", response_model=StationDetailOut)
def get_station(
    store: StoreDep, principal: CurrentPrincipal, station_code: Annotated[str, StationPath]
) -> StationDetailOut:
    """One station with the latest hourly mean of each parameter."""
    row = service.get_station(store, principal=principal, code=station_code)
    latest = service.latest_values(store, principal=principal, row=row)
    return StationDetailOut(
        **_station(row).model_dump(), latest=[service.jsonable(x) for x in latest]
    )


def _period(
    store: StoreDep, rows: list[StationRow], start: dt.datetime | None, end: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    if start is not None and end is not None:
        return start, end
    _d0, d1 = service.default_period(store, rows)
    end = end or d1
    return (start or end - dt.timedelta(days=7)), end


@router.get("/environment/assessment")
def assessment(
    store: StoreDep,
    principal: CurrentPrincipal,
    station: Annotated[str, Query(pattern=STATION_PATTERN)],
    start: From = None,
    end: To = None,
) -> dict[str, Any]:
    """The station's assessment over [from, to) from the stored hourly means: GB 3095-2012
    daily / 8-h statistics with validity and exceedances (air), GB 3838-2002 daily classes
    (water), permit exceedances (outlets), GB/T 18883 hour-by-hour compliance (indoor)."""
    row = service.get_station(store, principal=principal, code=station)
    t0, t1 = _period(store, [row], start, end)
    result = service.assess_station(store, principal=principal, code=station, start=t0, end=t1)
    out: dict[str, Any] = service.jsonable(result)
    if result.quality is not None:
        out["summary"] = result.quality.summary()
    return out


@router.get("/environment/water-trend")
def water_trend(
    store: StoreDep,
    principal: CurrentPrincipal,
    station: Annotated[str, Query(pattern=STATION_PATTERN)],
    start: From = None,
    end: To = None,
) -> dict[str, Any]:
    """A water station's monthly trend (default: the 365 days up to its latest data); ``kind``
    says which. ``section`` (surface water): per parameter and month the mean of the daily
    means, its GB 3838-2002 class and the attainment rate (达标率) against the section's target
    class; per month the section's class by its worst parameter. ``outlet``: per
    permit-limited parameter and month the valid hours, mean and maximum hourly mean, hours
    above the permit limit, the largest 超标倍数 and the attainment rate over hours; per month
    the outlet's attainment and the parameters that failed (a month without a valid hour has
    no rate). Another kind of station answers no months and a note."""
    return service.water_trend(store, principal=principal, code=station, start=start, end=end)


@router.get("/environment/exceedances")
def exceedances(
    store: StoreDep,
    principal: CurrentPrincipal,
    station: Annotated[str | None, Query(pattern=STATION_PATTERN)] = None,
    start: From = None,
    end: To = None,
) -> list[dict[str, Any]]:
    """Exceedances (超标) of the stations in the caller's scope over [from, to)."""
    rows = (
        [service.get_station(store, principal=principal, code=station)]
        if station is not None
        else service.list_stations(store, principal=principal)
    )
    t0, t1 = _period(store, rows, start, end)
    found = service.list_exceedances(store, principal=principal, start=t0, end=t1, station=station)
    return [service.jsonable(e) for e in found]


@router.get("/environment/disclosure", response_class=Response)
def disclosure(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=2000, le=2100)],
    enterprise: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$",
            description="the enterprise's code (default: the caller's own enterprise)",
        ),
    ] = None,
    fmt: Annotated[Literal["xlsx", "html"], Query(alias="format")] = "xlsx",
    kinds: Annotated[
        list[Literal["key_polluter", "cleaner_production", "listed", "bond_issuer"]] | None,
        Query(
            description="the kinds of enterprise it is (第十三条至第十五条): only their extra "
            "items are added; none given: every kind's items are listed to check"
        ),
    ] = None,
) -> Response:
    """The enterprise's annual environmental-information disclosure report, draft (企业环境信息
    依法披露, zh-CN; 《企业环境信息依法披露管理办法》第十二条): lingtan's figures with their
    sources, the rest marked for the enterprise to complete. Excel or HTML."""
    from lingtan.environment.disclosure import build_disclosure, disclosure_bytes

    require(principal, Permission.REPORTS)
    if enterprise is None:
        park = store.registry.park(principal.park_id)
        own = [e.code for e in store.registry.enterprises(park.id)
               if principal.enterprise_id is not None and e.id == principal.enterprise_id]  # fmt: skip
        if not own:
            raise InvalidInput("enterprise: required for park users", field="enterprise")
        enterprise = own[0]
    report = build_disclosure(
        store, principal=principal, enterprise=enterprise, year=year, kinds=kinds
    )
    media = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/html; charset=utf-8"
    )
    return Response(
        content=disclosure_bytes(report, fmt),
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="disclosure-{enterprise}-{year}.{fmt}"'
        },
    )
