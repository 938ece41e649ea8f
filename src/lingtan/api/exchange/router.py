"""``/api/v1/exchange/ecm/uploads``: check a unit's month of energy data and queue it for the
provincial key energy-user online-monitoring platform (用能单位能耗在线监测, docs/outbound.md).

The queued message is an outbox row: follow it, and retry it by hand, in
``/api/v1/alarms/deliveries`` (the one outbox of notifications, uploads and event webhooks).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lingtan.api.common import MAX_ID
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.exchange.upload import queue_upload
from lingtan.identity.roles import Permission, require

router = APIRouter(tags=["exchange"])


class UploadIn(BaseModel):
    """One enterprise's calendar month for an ``ecm`` channel."""

    channel_id: int = Field(
        ge=1, le=MAX_ID, description="an ecm channel (kind ecm) in the caller's scope"
    )
    enterprise_id: int = Field(ge=1, le=MAX_ID, description="the reporting unit (用能单位)")
    year: int = Field(ge=1990, le=2100)
    month: int = Field(ge=1, le=12)
    granularities: list[Literal["15min", "day", "month"]] | None = Field(
        default=None,
        max_length=3,
        description=(
            "what the message carries; day and month are required. Default (null): all three "
            "— 15-minute items for each carrier whose meters are all read at least every "
            "15 minutes (else a warning names the meter), daily and monthly items always. "
            'Send ["day", "month"] to leave the 15-minute items out.'
        ),
    )


class FindingOut(BaseModel):
    """One result of the pre-upload checks."""

    rule: str = Field(
        description="unit.uscc | completeness | consistency | estimated | value | "
        "quarter.completeness | quarter.consistency | quarter.unavailable | production"
    )
    level: str = Field(description="error (refuses the upload) | warning (sent, flagged)")
    message: str
    carrier: str | None
    start: str | None


class UploadOut(BaseModel):
    """What was done: queued (with the outbox row's idempotency key) or refused (with why)."""

    queued: bool
    refused: bool
    delivery_id: str | None = Field(description="the outbox row's idempotency key")
    new: bool = Field(description="false when the same message was already queued")
    findings: list[FindingOut]


@router.post("/exchange/ecm/uploads", response_model=UploadOut)
def post_upload(
    body: UploadIn, request: Request, principal: CurrentPrincipal, store: StoreDep
) -> Any:
    """Check and queue an upload (a refused one queues nothing and lists the errors)."""
    require(principal, Permission.WRITE)
    result = queue_upload(
        store,
        tenant=principal.tenant,
        channel_id=body.channel_id,
        enterprise_id=body.enterprise_id,
        year=body.year,
        month=body.month,
        park_id=store.registry.park(principal.park_id).id,
        granularities=body.granularities,
    )
    notifier = getattr(request.app.state, "notifier", None)
    if result.queued and notifier is not None:
        notifier.poke()
    return result.as_dict()
