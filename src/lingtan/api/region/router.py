"""Region mode (docs/region.md).

- ``POST /api/v1/region/uploads`` — the **ingress** of a park's upload, authenticated by the
  park's signature (``X-ECM-*`` headers, lingtan.exchange.transport), never by a user token:
  ``signed_router``, mounted without the user dependency. 401 unsigned, 403 unknown park or a
  bad signature, 200 with the original receipt for an idempotency key already received.
- the region's views (user tokens, scoped by lingtan.region.service.scope_of): registered
  parks, the dashboard (ranking, progress, completeness, late uploads), uploads, a document,
  a park's hourly aggregates;
- park side: ``POST /api/v1/exchange/region/uploads`` queues a month on a ``region`` channel.

The region endpoints exist only on an instance in region mode (``LINGTAN_MODE=region``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lingtan.api.common import MAX_ID
from lingtan.api.deps import CurrentPrincipal, SettingsDep, StoreDep
from lingtan.api.limits import read_body
from lingtan.config import Settings
from lingtan.identity.roles import Permission, Principal, require
from lingtan.region import build, service

#: the largest upload document accepted [bytes] (a month of a park of a few hundred series)
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
#: the region's views: mounted in region mode only (api/app.py)
router = APIRouter(tags=["region"])
#: signed by the park, not by a user: mounted without the user dependency, in region mode only
signed_router = APIRouter(tags=["region"])
#: the park side: queue an upload on a region channel (every instance)
park_router = APIRouter(tags=["region"])


@signed_router.post("/region/uploads")
async def post_upload(request: Request, store: StoreDep, settings: SettingsDep) -> Any:
    """Receive a park's signed upload document (lingtan-region/1); the receipt."""
    service.require_region(settings)
    body = await read_body(request, limit=MAX_UPLOAD_BYTES)  # the raw bytes: signed
    headers = {k.lower(): v for k, v in request.headers.items()}
    from fastapi.concurrency import run_in_threadpool

    return await run_in_threadpool(
        lambda: service.receive(store, settings, body=body, headers=headers)
    )


def _region(principal: Principal, settings: Settings) -> None:
    """A reading caller, on a region instance."""
    require(principal, Permission.READ)
    service.require_region(settings)


class ParkIn(BaseModel):
    """A park to register."""

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    secret: str | None = Field(
        default=None, max_length=200, description="the HMAC key of its region channel"
    )
    public_key: str | None = Field(
        default=None, max_length=128, description="its SM2 public key, x‖y in 128 hex digits"
    )
    targets: dict[str, float] = Field(default_factory=dict, description="indicator id → target")


@router.get("/region/parks")
def get_parks(principal: CurrentPrincipal, store: StoreDep, settings: SettingsDep) -> Any:
    """Registered parks in the caller's scope (never their keys)."""
    _region(principal, settings)
    return service.parks(store, principal=principal)


@router.post("/region/parks", status_code=201)
def post_park(
    body: ParkIn, principal: CurrentPrincipal, store: StoreDep, settings: SettingsDep
) -> Any:
    """Register a park (region administrators)."""
    _region(principal, settings)
    p = service.register_park(
        store,
        principal=principal,
        code=body.code,
        name=body.name,
        secret=body.secret,
        public_key=body.public_key,
        targets=body.targets,
    )
    return {"code": p.code, "name": p.name, "targets": p.targets}


@router.get("/region/dashboard")
def get_dashboard(principal: CurrentPrincipal, store: StoreDep, settings: SettingsDep) -> Any:
    """Ranking by the 1+5 indicators, progress against targets, completeness, late uploads."""
    _region(principal, settings)
    return service.dashboard(store, principal=principal)


@router.get("/region/uploads")
def get_uploads(
    principal: CurrentPrincipal,
    store: StoreDep,
    settings: SettingsDep,
    late: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    """Received uploads in scope, every revision, newest period first."""
    _region(principal, settings)
    return service.uploads(store, principal=principal, late=late, limit=limit)


@router.get("/region/uploads/{upload_id}/document")
def get_document(
    upload_id: int, principal: CurrentPrincipal, store: StoreDep, settings: SettingsDep
) -> Response:
    """An upload's document exactly as received."""
    _region(principal, settings)
    from lingtan.store.region_repo import RegionRepo

    scope = service.scope_of(store, principal)
    text = RegionRepo(store).document(upload_id, parks=scope)
    return Response(text, media_type="application/json")


@router.get("/region/parks/{code}/hourly")
def get_hourly(
    code: str,
    principal: CurrentPrincipal,
    store: StoreDep,
    settings: SettingsDep,
    start: Annotated[int, Query(ge=0, description="first hour (epoch hours, UTC)")],
    end: Annotated[int, Query(ge=0, description="end hour, exclusive")],
) -> Any:
    """A park's hourly aggregates (current revisions) in [start, end)."""
    _region(principal, settings)
    rows = service.hourly(
        store, principal=principal, park_code=code, h0=start, h1=min(end, start + 24 * 366)
    )
    keys = ("carrier", "enterprise", "building", "unit", "hour", "value")
    return [dict(zip(keys, r, strict=True)) for r in rows]


class QueueIn(BaseModel):
    """A month of the park to upload to a region."""

    channel_id: int = Field(ge=1, le=MAX_ID, description="a region channel (kind region)")
    year: int = Field(ge=1990, le=2100)
    month: int = Field(ge=1, le=12)


@park_router.post("/exchange/region/uploads")
def post_queue(
    body: QueueIn, request: Request, principal: CurrentPrincipal, store: StoreDep
) -> Any:
    """Build and queue a month's upload document (park side; a correction is the next
    revision, the same content is not queued again)."""
    require(principal, Permission.WRITE)
    queued = build.queue(
        store, tenant=principal.tenant, channel_id=body.channel_id, year=body.year,
        month=body.month,
    )  # fmt: skip
    notifier = getattr(request.app.state, "notifier", None)
    if queued.new and notifier is not None:
        notifier.poke()
    return queued.as_dict()
