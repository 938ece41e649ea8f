"""``/api/v1/points/{code}/replacements``: record and list meter replacements (换表)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lingtan.api.common import CodePath, Page, Paging, SafeText, iso
from lingtan.api.deps import CurrentPrincipal, SettingsDep, StoreDep
from lingtan.api.readings.service import park_zone
from lingtan.api.replacements import service
from lingtan.identity.roles import Permission, require
from lingtan.registry.replacements import replacement_of
from lingtan.store import ReplacementRecord
from lingtan.timeutil import UTC

router = APIRouter(tags=["readings"])
#: register values accepted over HTTP (the largest registers have 12 digits and a multiplier)
Register = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]


class ReplacementIn(BaseModel):
    """A meter replacement: readings before ``at`` are the old meter's, readings at or after it
    the new meter's."""

    at: dt.datetime = Field(
        description="the instant of the replacement, ISO 8601 with its UTC offset",
        examples=["2025-07-15T10:30:00+08:00"],
    )
    old_final: Register = Field(description="the old register's final value (raw register unit)")
    new_initial: Register = Field(description="the new register's initial value (raw unit)")
    multiplier: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)] | None = Field(
        default=None, description="the new meter's CT/PT ratio; omitted: unchanged"
    )
    note: SafeText | None = Field(default=None, description="work order, fitter …")


class ReplacementOut(BaseModel):
    """A recorded meter replacement."""

    id: int
    point: str
    at: str
    old_final: float
    new_initial: float
    multiplier: float | None
    note: str | None
    source: str = Field(
        description="where it was recorded: park file, api:<actor>, cli, csv:<file>:<line>"
    )
    recorded_by: str
    recorded_at: str = Field(description="when it was recorded (UTC)")


def _out(r: ReplacementRecord, code: str, tz: dt.tzinfo) -> ReplacementOut:
    return ReplacementOut(
        id=r.id,
        point=code,
        at=iso(r.at, tz) or "",
        old_final=r.old_final,
        new_initial=r.new_initial,
        multiplier=r.multiplier,
        note=r.note,
        source=r.source,
        recorded_by=r.recorded_by,
        recorded_at=iso(r.recorded_at, UTC) or "",
    )


_ALREADY: dict[int | str, dict[str, Any]] = {
    200: {"model": ReplacementOut, "description": "the same replacement was already recorded"}
}


@router.post(
    "/points/{code}/replacements",
    response_model=ReplacementOut,
    status_code=status.HTTP_201_CREATED,
    responses=_ALREADY,
)
async def post_replacement(
    code: CodePath,
    body: ReplacementIn,
    request: Request,
    principal: CurrentPrincipal,
    store: StoreDep,
    settings: SettingsDep,
) -> Any:
    """Record a meter replacement of a register point (park admins, and enterprise admins and
    integrators for the points whose readings they may send; audited). Normalisation then
    counts the old meter up to its final value and the new one from its initial value; the
    hours around the replacement are recomputed, their previous values kept in history.
    Recording the same replacement again answers 200 and changes nothing; a different one at
    the same instant is 409."""
    require(principal, Permission.INGEST)  # before anything about the point is looked at
    event = replacement_of({**body.model_dump(), "point": code}, where="body")
    report = await run_in_threadpool(
        service.record,
        store,
        principal=principal,
        event=event,
        future_skew_s=settings.future_skew_s,
    )
    tz = await run_in_threadpool(park_zone, store)
    if report.created:
        normaliser = getattr(request.app.state, "normaliser", None)
        if normaliser is not None:
            normaliser.poke()
        return _out(report.created[0], code, tz)
    return JSONResponse(_out(report.unchanged[0], code, tz).model_dump(), status_code=200)


@router.get("/points/{code}/replacements", response_model=Page[ReplacementOut])
def get_replacements(
    code: CodePath, principal: CurrentPrincipal, store: StoreDep, page: Paging
) -> Page[ReplacementOut]:
    """The recorded meter replacements of a point, newest first."""
    point, rows, total = service.of_point(store, principal=principal, code=code, page=page)
    tz = park_zone(store)
    return Page(
        items=[_out(r, point.code, tz) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
