"""``/api/v1/matching``: hourly green-power matching (溯源) of a park-local year — the monthly
report per consumer in the caller's scope, one consumer's hours — and ``/api/v1/grid-factors``:
hourly grid-factor series imported with their provenance. Thin: the work is in
:mod:`lingtan.greenpower.matching.service`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from lingtan.api.common import CODE_PATTERN, MAX_ID, SafeText, ShortText, YearQuery
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.greenpower.matching import service, stored
from lingtan.identity.roles import Permission, require

router = APIRouter(tags=["matching"])

RuleQuery = Annotated[
    Literal["pro_rata", "priority"],
    Query(description="how park-level green supply is shared: by load, or by a priority order"),
]
PriorityQuery = Annotated[
    str | None,
    Query(
        max_length=2000,
        pattern=r"^[A-Za-z0-9_.:\-]+(,[A-Za-z0-9_.:\-]+)*$",
        description="consumer codes served first, comma-separated (rule=priority)",
    ),
]
EfficiencyQuery = Annotated[
    float | None,
    Query(
        gt=0,
        le=1,
        description="round-trip efficiency of the park storage; default: measured "
        "(Σ discharge ÷ Σ charge over the year)",
    ),
]


def _run(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: int,
    rule: str,
    priority: str | None,
    storage_efficiency: float | None,
) -> service.MatchingRun:
    require(principal, Permission.READ)
    return service.run_matching(
        store,
        year=year,
        enterprise_scope=principal.enterprise_id,
        park_id=principal.park_id,
        rule=rule,  # type: ignore[arg-type]
        priority=None if priority is None else priority.split(","),
        storage_efficiency=storage_efficiency,
    )


@router.get("/matching", response_model=dict[str, Any])
def matching_report(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: YearQuery,
    rule: RuleQuery = "pro_rata",
    priority: PriorityQuery = None,
    storage_efficiency: EfficiencyQuery = None,
) -> dict[str, Any]:
    """Monthly matching per consumer in the caller's scope: matched kWh by source, CFE hourly
    and monthly, the monthly-vs-hourly gap, intensity on three bases, direct-supply ratios;
    for park-wide callers also the park total and the green supply no consumer took."""
    return service.summary(_run(store, principal, year, rule, priority, storage_efficiency))


@router.get("/matching/hourly", response_model=dict[str, Any])
def matching_hours(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: YearQuery,
    enterprise_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="the enterprise; none: the park (or one's own)"),
    ] = None,
    rule: RuleQuery = "pro_rata",
    priority: PriorityQuery = None,
    storage_efficiency: EfficiencyQuery = None,
) -> dict[str, Any]:
    """One consumer's hours: load, matched green energy, CFE and intensity per hour."""
    require(principal, Permission.READ)
    service.check_owner(
        store,
        enterprise_id=enterprise_id,
        enterprise_scope=principal.enterprise_id,
        park_id=principal.park_id,
    )
    run = _run(store, principal, year, rule, priority, storage_efficiency)
    return service.owner_hours(run, enterprise_id=enterprise_id)


class GridSeriesIn(BaseModel):
    """An hourly grid-factor series [kgCO2/kWh] with its provenance."""

    series_id: str = Field(pattern=CODE_PATTERN, max_length=64)
    region: ShortText = Field(description="province (e.g. 江苏)")
    year: int = Field(ge=2000, le=2100)
    start: dt.datetime = Field(description="first hour, with its UTC offset")
    values: list[Annotated[float, Field(ge=0, le=10)]] = Field(min_length=1, max_length=8784)
    source: ShortText = Field(description="the publisher and notice the values come from")
    url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    url_note: SafeText | None = None
    confidence: Literal["H", "M-H", "M", "L", "U"]
    verified: bool
    edition: ShortText | None = None
    note: SafeText | None = None


@router.post("/grid-factors", status_code=status.HTTP_201_CREATED, response_model=dict[str, Any])
def import_grid_factors(
    body: GridSeriesIn, store: StoreDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Store an hourly grid-factor series of the caller's park (park administrators); the
    same series again is accepted and changes nothing, other values under the same id are
    refused (409)."""
    require(principal, Permission.ADMIN_PARK)
    series, new = service.import_grid_series(
        store,
        series_id=body.series_id,
        region=body.region,
        year=body.year,
        start=body.start,
        values=body.values,
        source=body.source,
        url=body.url,
        url_note=body.url_note,
        confidence=body.confidence,
        verified=body.verified,
        edition=body.edition,
        note=body.note,
        enterprise_scope=principal.enterprise_id,
        park_id=principal.park_id,
        actor=principal.actor,
    )
    return {**series.brief(), "new": new}


@router.get("/grid-factors", response_model=list[dict[str, Any]])
def list_grid_factors(store: StoreDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """The park's imported series with their provenance (values not listed)."""
    require(principal, Permission.READ)
    return service.list_grid_series(store, park_id=principal.park_id)


# -- stored runs ---------------------------------------------------------------------------------
class MatchingRunIn(BaseModel):
    """A matching run to compute and store."""

    year: int = Field(ge=1990, le=2100)
    rule: Literal["pro_rata", "priority"] = "pro_rata"
    priority: list[Annotated[str, Field(pattern=CODE_PATTERN, max_length=64)]] | None = Field(
        default=None, max_length=500, description="consumer codes served first (rule=priority)"
    )
    storage_efficiency: float | None = Field(default=None, gt=0, le=1)
    note: SafeText | None = None


RunId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/matching/runs", status_code=status.HTTP_201_CREATED, response_model=dict[str, Any])
def store_matching_run(
    body: MatchingRunIn, store: StoreDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Match the year and store the run with its method and the versions of its inputs (park
    administrators); the current run of the same year and method becomes superseded by it."""
    require(principal, Permission.ADMIN_PARK)
    return stored.store_run(
        store,
        year=body.year,
        rule=body.rule,
        priority=body.priority,
        storage_efficiency=body.storage_efficiency,
        note=body.note,
        enterprise_scope=principal.enterprise_id,
        park_id=principal.park_id,
        actor=principal.actor,
    )


@router.get("/matching/runs", response_model=list[dict[str, Any]])
def list_matching_runs(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> list[dict[str, Any]]:
    """The park's stored runs, newest first, superseded ones too (an enterprise user sees its
    own consumer of each)."""
    require(principal, Permission.READ)
    return stored.list_runs(
        store, year=year, enterprise_scope=principal.enterprise_id, park_id=principal.park_id
    )


@router.get("/matching/runs/{run_id}", response_model=dict[str, Any])
def read_matching_run(
    run_id: RunId, store: StoreDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A stored run as it was stored: its method, inputs' versions and monthly report."""
    require(principal, Permission.READ)
    return stored.read_run(
        store, run_id, enterprise_scope=principal.enterprise_id, park_id=principal.park_id
    )


@router.get("/matching/runs/{run_id}/hourly", response_model=dict[str, Any])
def read_matching_run_hours(
    run_id: RunId,
    store: StoreDep,
    principal: CurrentPrincipal,
    enterprise_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="the enterprise; none: the park (or one's own)"),
    ] = None,
) -> dict[str, Any]:
    """One consumer's stored hours: load, matched green energy, CFE and intensity."""
    require(principal, Permission.READ)
    return stored.run_hours(
        store,
        run_id,
        enterprise_id=enterprise_id,
        enterprise_scope=principal.enterprise_id,
        park_id=principal.park_id,
    )


@router.get("/matching/runs/{run_id}/compare", response_model=dict[str, Any])
def compare_matching_run(
    run_id: RunId, store: StoreDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The stored run against the same method on today's data: which inputs changed and the
    stored and current figures per consumer and month."""
    require(principal, Permission.READ)
    return stored.compare_run(
        store, run_id, enterprise_scope=principal.enterprise_id, park_id=principal.park_id
    )
