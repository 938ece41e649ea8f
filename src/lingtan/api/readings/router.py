"""``/api/v1`` readings routes: bulk ingest, raw readings, statistics, quarantine."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from lingtan.api.common import CODE_PATTERN, CodePath, Page, Paging, TimeQuery, iso
from lingtan.api.deps import CurrentPrincipal, SettingsDep, StoreDep
from lingtan.api.limits import MAX_REQUEST_BYTES, read_body
from lingtan.api.readings import payload, service
from lingtan.api.readings.schemas import (
    IngestResult,
    Period,
    ReadingOut,
    ReadingsPage,
    RejectedOut,
    RejectSample,
    StatisticOut,
    StatisticsPage,
)
from lingtan.identity.roles import Permission, require
from lingtan.ingest import REASONS

router = APIRouter(tags=["readings"])
Reason = Annotated[str | None, Query(pattern="^(" + "|".join(REASONS) + ")$")]
_READING = {
    "type": "object",
    "required": ["point", "ts", "value"],
    "properties": {
        "point": {"type": "string", "description": "metering point id", "example": "E01-grid"},
        "ts": {
            "type": "string",
            "description": "ISO 8601 with offset",
            "example": "2025-03-01T08:15:00+08:00",
        },
        "value": {"type": ["number", "string", "null"], "example": 1234.5},
        "unit": {"type": ["string", "null"], "example": "kWh"},
    },
}
_INGEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": _READING}},
            "application/x-ndjson": {
                "schema": {
                    "type": "string",
                    "description": "one reading object per line",
                    "pattern": '^\\{"point": ?"',
                },
                "example": '{"point": "E01-grid", "ts": "2025-03-01T08:15:00+08:00", '
                '"value": 1234.5, "unit": "kWh"}\n',
            },
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "a header line, then one reading per line",
                    "pattern": "^point_id,timestamp,value(,unit)?\\r?\\n",
                },
                "example": "point_id,timestamp,value,unit\n"
                "E01-grid,2025-03-01T08:15:00+08:00,1234.5,kWh\n",
            },
        },
    }
}


@router.post("/readings", response_model=IngestResult, openapi_extra=_INGEST_BODY)
async def post_readings(
    request: Request, principal: CurrentPrincipal, store: StoreDep, settings: SettingsDep
) -> IngestResult:
    """Bulk ingest: a JSON array of readings, NDJSON (one reading per line) or long-format CSV
    (``point_id,timestamp,value[,unit]``). Readings are validated, stored or quarantined with
    their reason, and committed before the answer; statistics follow in the background."""
    media = request.headers.get("content-type", payload.MEDIA_JSON).split(";")[0].strip().lower()
    if media not in (payload.MEDIA_JSON, *payload.MEDIA_NDJSON, *payload.MEDIA_CSV):
        raise HTTPException(415, "send application/json, application/x-ndjson or text/csv")
    require(principal, Permission.INGEST)  # before the body is read
    body = await read_body(request, limit=MAX_REQUEST_BYTES)
    readings = await run_in_threadpool(payload.parse, body, media, source=f"http:{principal.actor}")
    outcome = await run_in_threadpool(
        service.ingest_readings,
        store,
        principal=principal,
        readings=readings,
        future_skew_s=settings.future_skew_s,
    )
    normaliser = getattr(request.app.state, "normaliser", None)
    if normaliser is not None and outcome.ack.accepted:
        normaliser.poke(outcome.ack.accepted)
    ack = outcome.ack
    return IngestResult(
        batch_id=ack.batch_id,
        received=ack.received,
        accepted=ack.accepted,
        duplicates=ack.duplicates,
        rejected=ack.rejected,
        reasons=ack.reasons,
        reason_texts={k: REASONS.get(k, k) for k in ack.reasons},
        rejects=[
            RejectSample(
                point=r["point_code"],
                ts=r["ts_text"],
                value=r["value_text"],
                reason=r["reason"],
                detail=r["detail"],
                source=r["source"],
            )
            for r in outcome.rejects
        ],
    )


@router.get("/points/{code}/readings", response_model=ReadingsPage)
def get_readings(
    code: CodePath,
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    start: TimeQuery = None,
    end: TimeQuery = None,
) -> ReadingsPage:
    """Raw readings of a point as received, in time order (``start`` ≤ ts < ``end``)."""
    point, rows, total, tz = service.readings(
        store, principal=principal, code=code, start=start, end=end, page=page
    )
    return ReadingsPage(
        point=point.code,
        unit=point.unit,
        items=[ReadingOut(ts=iso(t, tz) or "", value=v) for t, v in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/points/{code}/statistics", response_model=StatisticsPage)
def get_statistics(
    code: CodePath,
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    period: Period = Period.HOUR,
    start: TimeQuery = None,
    end: TimeQuery = None,
) -> StatisticsPage:
    """Hourly, daily or monthly statistics of a point with quality labels (measured,
    estimated, partial, missing) and the events that made them (gap, reset, spike …)."""
    point, rows, total = service.statistics(
        store,
        principal=principal,
        code=code,
        period=period.value,
        start=start,
        end=end,
        page=page,
    )
    tz = service.park_zone(store, point.park_id)
    return StatisticsPage(
        point=point.code,
        unit=point.unit,
        period=period,
        items=[
            StatisticOut(**{**r, "start": iso(r["start"], tz), "end": iso(r["end"], tz)})
            for r in rows
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/quarantine", response_model=Page[RejectedOut])
def get_quarantine(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    reason: Reason = None,
    point: Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=64)] = None,
) -> Page[RejectedOut]:
    """Rejected readings, newest first, with reason and raw payload. Enterprise users see
    those of their own points; readings naming an unknown point only park-wide roles see."""
    rows, total, codes, tz = service.quarantine(
        store, principal=principal, reason=reason, point=point, page=page
    )
    return Page(
        items=[
            RejectedOut(
                id=r["id"],
                batch_id=r["batch_id"],
                received_at=iso(r["received_at"], tz) or "",
                point=codes.get(r["point_id"], r["point_code"])
                if r["point_id"] is not None
                else r["point_code"],
                ts=iso(r["ts"], tz),
                ts_text=r["ts_text"],
                value_text=r["value_text"],
                unit=r["unit"],
                reason=r["reason"],
                reason_text=REASONS.get(r["reason"], r["reason"]),
                detail=r["detail"],
                source=r["source"],
                raw=r["raw"],
            )
            for r in rows
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
