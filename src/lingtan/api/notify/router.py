"""``/api/v1/alarms/channels`` and ``/api/v1/alarms/deliveries``: notification channels
(webhook, e-mail) and the deliveries of alarm notifications (docs/alarms-notifications.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, Field

from lingtan.alarms.notify.model import Channel, Delivery
from lingtan.api.common import IdPath, Page, Paging, SafeText, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.notify import service
from lingtan.timeutil import UTC

router = APIRouter(tags=["alarms"])

Word = Annotated[str, Field(min_length=1, max_length=64)]


class ChannelIn(BaseModel):
    """A new notification channel."""

    code: Word = Field(description="identifier, unique among its owner's channels")
    name: Annotated[SafeText, Field(min_length=1, max_length=200)]
    kind: Word = Field(
        description="webhook | email | ecm (the provincial online-monitoring platform, "
        "docs/outbound.md) | region (a regional lingtan instance, docs/region.md)",
        examples=["webhook"],
    )
    target: (
        Annotated[str, Field(max_length=2000)]
        | Annotated[list[Annotated[str, Field(max_length=320)]], Field(max_length=50)]
    ) = Field(
        description="webhook: the http(s) URL; email: the list of recipient addresses",
        examples=["https://ops.example.com/lingtan-hook"],
    )
    min_severity: Word = Field(
        default="major", description="hint | minor | major | critical (提示/一般/重要/紧急)"
    )
    enterprise_id: int | None = Field(
        default=None,
        ge=1,
        description="the enterprise whose alarms it receives; omitted: a park channel "
        "(an enterprise user's channels are always its enterprise's)",
    )
    kinds: Annotated[list[Word], Field(max_length=20)] | None = Field(
        default=None, description="alarm (rule) kinds it receives; omitted: all"
    )
    enabled: bool = True
    lang: Word = Field(default="zh-CN", description="zh-CN | en (e-mail language)")
    secret: Annotated[str, Field(min_length=16, max_length=200)] | None = Field(
        default=None, description="webhook HMAC secret; omitted: a random one is generated"
    )
    topics: Annotated[list[Word], Field(max_length=3)] | None = Field(
        default=None,
        description="events a webhook takes: alarm | report | accounting; omitted: alarms only",
    )


class ChannelOut(BaseModel):
    """A notification channel (never its secret)."""

    id: int
    code: str
    name: str
    kind: str
    target: str | list[str]
    min_severity: str
    enterprise_id: int | None
    kinds: list[str] | None
    enabled: bool
    lang: str
    secret_fingerprint: str | None = Field(
        description="first hex digits of SHA-256 of the webhook secret"
    )
    created_at: str
    topics: list[str] | None = None


class ChannelCreated(ChannelOut):
    """A new channel with its webhook secret — shown this once only."""

    secret: str | None


class DeliveryOut(BaseModel):
    """A delivery of a notification to a channel (an outbox row)."""

    id: int
    delivery_id: str = Field(description="idempotency key (X-Lingtan-Delivery)")
    channel_id: int
    channel_code: str | None
    enterprise_id: int | None
    event: str
    severity: str
    kind: str
    state: str = Field(description="pending | delivered | failed")
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str
    delivered_at: str | None
    ack: str | None = Field(
        default=None, description="the destination's acknowledgement (its answer), when delivered"
    )


def _channel(c: Channel) -> ChannelOut:
    return ChannelOut(
        id=c.id,
        code=c.code,
        name=c.name,
        kind=c.kind,
        target=c.target if isinstance(c.target, str) else list(c.target),
        min_severity=c.min_severity,
        enterprise_id=c.enterprise_id,
        kinds=None if c.kinds is None else sorted(c.kinds),
        enabled=c.enabled,
        lang=c.lang,
        secret_fingerprint=c.secret_fingerprint,
        created_at=iso(c.created_at, UTC) or "",
        topics=None if c.topics is None else sorted(c.topics),
    )


def _delivery(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        delivery_id=d.idempotency_key,
        channel_id=d.channel_id,
        channel_code=d.channel_code,
        enterprise_id=d.enterprise_id,
        event=d.event,
        severity=d.severity,
        kind=d.kind,
        state=d.state,
        attempts=d.attempts,
        next_attempt_at=iso(d.next_attempt_at, UTC) if d.state == "pending" else None,
        last_error=d.last_error,
        created_at=iso(d.created_at, UTC) or "",
        delivered_at=iso(d.delivered_at, UTC),
        ack=d.ack,
    )


def _poke(request: Request) -> None:
    notifier = getattr(request.app.state, "notifier", None)
    if notifier is not None:
        notifier.poke()


@router.get("/alarms/channels", response_model=Page[ChannelOut])
def get_channels(principal: CurrentPrincipal, store: StoreDep) -> Page[ChannelOut]:
    """The notification channels in the caller's scope (the park's and every enterprise's for
    park-wide roles; an enterprise's own for its users). Secrets are never listed."""
    rows = service.list_channels(store, principal=principal)
    return Page(items=[_channel(c) for c in rows], total=len(rows), limit=len(rows), offset=0)


@router.post("/alarms/channels", response_model=ChannelCreated, status_code=status.HTTP_201_CREATED)
def post_channel(body: ChannelIn, principal: CurrentPrincipal, store: StoreDep) -> ChannelCreated:
    """Create a channel (park admins: park and enterprise channels; enterprise admins: their
    enterprise's; audited). A webhook's secret is in this answer only."""
    created = service.create_channel(store, principal=principal, **body.model_dump())
    return ChannelCreated(**_channel(created.channel).model_dump(), secret=created.secret)


class Deleted(BaseModel):
    """A deleted channel."""

    id: int
    pending_given_up: int = Field(description="its pending deliveries, now failed")


@router.delete("/alarms/channels/{channel_id}", response_model=Deleted)
def delete_channel(channel_id: IdPath, principal: CurrentPrincipal, store: StoreDep) -> Deleted:
    """Delete a channel in the caller's scope (audited); its pending deliveries are given up."""
    dropped = service.delete_channel(store, principal=principal, channel_id=channel_id)
    return Deleted(id=channel_id, pending_given_up=dropped)


@router.post(
    "/alarms/channels/{channel_id}/test",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
)
def post_channel_test(
    channel_id: IdPath, request: Request, principal: CurrentPrincipal, store: StoreDep
) -> DeliveryOut:
    """Queue a test message (测试消息) for a channel, whatever its filters (audited); follow it
    in ``/alarms/deliveries``."""
    delivery = service.send_test(store, principal=principal, channel_id=channel_id)
    _poke(request)
    return _delivery(delivery)


@router.get("/alarms/deliveries", response_model=Page[DeliveryOut])
def get_deliveries(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    state: Annotated[
        str | None, Query(max_length=16, description="pending | delivered | failed")
    ] = None,
) -> Page[DeliveryOut]:
    """Deliveries of the channels in the caller's scope, newest first."""
    rows, total = service.list_deliveries(store, principal=principal, state=state, page=page)
    return Page(
        items=[_delivery(d) for d in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/alarms/deliveries/{delivery_id}/retry", response_model=DeliveryOut)
def post_delivery_retry(
    delivery_id: IdPath, request: Request, principal: CurrentPrincipal, store: StoreDep
) -> Any:
    """Send a failed (or pending) delivery again now, with a fresh round of attempts
    (audited); a delivered one is 409."""
    delivery = service.retry_delivery(store, principal=principal, delivery_id=delivery_id)
    _poke(request)
    return _delivery(delivery)
