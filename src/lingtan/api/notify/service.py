"""Notification channels and deliveries in the caller's scope.

A park administrator manages the park's channels (and any enterprise's); an enterprise
administrator manages its own enterprise's channels; every reading role lists the channels and
deliveries in its scope — never a secret (a webhook's secret is shown once, when the channel
is created). A delivery belongs to its channel's owner: an enterprise sees the deliveries to
its own channels, not the park's. Channel changes, tests and retries are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lingtan.alarms.notify import service as notify
from lingtan.alarms.notify.model import Channel, Delivery, channel_spec
from lingtan.api.common import PageParams
from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo
from lingtan.timeutil import to_us, utcnow

#: the entity of delivery rows in the audit log
ENTITY_DELIVERY = "notify_delivery"


@dataclass(frozen=True, slots=True)
class CreatedChannel:
    """A new channel and, for a webhook, its secret (shown this once)."""

    channel: Channel
    secret: str | None


def _may_manage(principal: Principal, enterprise_id: int | None) -> None:
    """Park channels are the park administrator's; an enterprise's, its administrator's."""
    require(principal, Permission.WRITE)
    if enterprise_id is None:
        require(principal, Permission.ADMIN_PARK)


def _park_id(store: Store, principal: Principal) -> int:
    return store.registry.park(principal.park_id).id


def list_channels(store: Store, *, principal: Principal) -> list[Channel]:
    """The live channels in the caller's scope, by code."""
    require(principal, Permission.READ)
    return store.outbox.channels(tenant=principal.tenant, park_id=_park_id(store, principal))


def create_channel(
    store: Store,
    *,
    principal: Principal,
    code: str,
    name: str,
    kind: str,
    target: Any,
    min_severity: str = "major",
    enterprise_id: int | None = None,
    kinds: list[str] | None = None,
    enabled: bool = True,
    lang: str = "zh-CN",
    secret: str | None = None,
    topics: list[str] | None = None,
) -> CreatedChannel:
    """Create a channel (audited). An enterprise user's channel is its enterprise's whatever
    ``enterprise_id`` says — another enterprise's id is answered like one that does not exist;
    a park-wide caller creates a park channel unless it names an enterprise. A webhook without
    a ``secret`` gets a random one."""
    require(principal, Permission.WRITE)
    if principal.enterprise_id is not None:
        if enterprise_id is not None and enterprise_id != principal.enterprise_id:
            QueryRepo(store).enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)
        enterprise_id = principal.enterprise_id
    elif enterprise_id is not None:
        QueryRepo(store).enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)
    _may_manage(principal, enterprise_id)
    spec = channel_spec(
        code=code,
        name=name,
        kind=kind,
        target=target,
        min_severity=min_severity,
        enterprise_id=enterprise_id,
        kinds=kinds,
        enabled=enabled,
        lang=lang,
        topics=topics,
    )
    channel, secret = notify.create_channel(
        store,
        park_id=_park_id(store, principal),
        spec=spec,
        actor=principal.actor,
        secret=secret,
    )
    return CreatedChannel(channel, secret)


def delete_channel(store: Store, *, principal: Principal, channel_id: int) -> int:
    """Delete a channel in the caller's scope (audited); its pending deliveries are given up.
    How many were given up."""
    require(principal, Permission.WRITE)
    now = to_us(utcnow())
    with store.begin() as conn:
        channel = store.outbox.channel(tenant=principal.tenant, channel_id=channel_id, conn=conn)
        _may_manage(principal, channel.enterprise_id)
        dropped = store.outbox.delete_channel(conn, channel.id, now=now)
        store.audit.append(
            conn,
            at=now,
            actor=principal.actor,
            action="delete",
            entity=notify.ENTITY_CHANNEL,
            entity_id=str(channel.id),
            enterprise_id=channel.enterprise_id,
            before=notify.public_channel(channel),
            after={"pending_given_up": dropped},
        )
    return dropped


def send_test(store: Store, *, principal: Principal, channel_id: int) -> Delivery:
    """Queue a test message for a channel in the caller's scope (audited); its delivery."""
    require(principal, Permission.WRITE)
    now = to_us(utcnow())
    with store.begin() as conn:
        channel = store.outbox.channel(tenant=principal.tenant, channel_id=channel_id, conn=conn)
        _may_manage(principal, channel.enterprise_id)
        key = notify.queue_test(store, conn, channel, now=now)
        store.audit.append(
            conn,
            at=now,
            actor=principal.actor,
            action="test",
            entity=notify.ENTITY_CHANNEL,
            entity_id=str(channel.id),
            enterprise_id=channel.enterprise_id,
            after={"delivery": key},
        )
    found = store.outbox.by_key(key)
    if found is None:  # written in the transaction above; only a deleted database loses it
        raise NotFound("delivery not found")
    return store.outbox.delivery(tenant=principal.tenant, delivery_id=found.id)


#: states a delivery list may be filtered by
STATES = ("pending", "delivered", "failed")


def list_deliveries(
    store: Store, *, principal: Principal, state: str | None, page: PageParams
) -> tuple[list[Delivery], int]:
    """Deliveries of the channels in the caller's scope, newest first."""
    require(principal, Permission.READ)
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}", field="state")
    return store.outbox.deliveries(
        tenant=principal.tenant, state=state, limit=page.limit, offset=page.offset
    )


def retry_delivery(store: Store, *, principal: Principal, delivery_id: int) -> Delivery:
    """Send a failed (or still pending) delivery in the caller's scope again now (audited);
    a delivered one is a conflict."""
    require(principal, Permission.WRITE)
    now = to_us(utcnow())
    with store.begin() as conn:
        delivery = store.outbox.delivery(
            tenant=principal.tenant, delivery_id=delivery_id, conn=conn
        )
        _may_manage(principal, delivery.enterprise_id)
        if delivery.state == "delivered":
            raise Conflict("the delivery was already delivered")
        store.outbox.retry(conn, delivery.id, now=now)
        store.audit.append(
            conn,
            at=now,
            actor=principal.actor,
            action="retry",
            entity=ENTITY_DELIVERY,
            entity_id=str(delivery.id),
            enterprise_id=delivery.enterprise_id,
            before={"state": delivery.state, "attempts": delivery.attempts},
        )
    return store.outbox.delivery(tenant=principal.tenant, delivery_id=delivery_id)
