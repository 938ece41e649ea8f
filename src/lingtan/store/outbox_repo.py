"""Notification channels and the notification outbox (``notify_channel``, ``notify_outbox``).

Rows of an ``ecm`` or ``region`` channel (uploads) are claimed one at a time in the order queued, so the
platform receives them in order; other channels' rows are claimed as they come due.

The outbox is claimed under a lease: a worker takes due rows by writing its claim token and
``locked_until`` in one short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's
write lock taken up front elsewhere), sends them outside any transaction, and records the
outcome only while it still holds the lease. Two workers never hold the same row at once; a
worker that dies leaves a lease that expires, and the row is claimed again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from lingtan.alarms.notify.model import (
    UPLOAD_KINDS,
    URL_KINDS,
    Channel,
    ChannelSpec,
    Delivery,
    fingerprint,
)
from lingtan.errors import Conflict, NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner, _page

if TYPE_CHECKING:
    from lingtan.store.core import Store


def _channel(row: Any) -> Channel:
    target: str | tuple[str, ...] = (
        row.target if row.kind in URL_KINDS else tuple(json.loads(row.target))
    )
    return Channel(
        id=int(row.id),
        park_id=int(row.park_id),
        code=row.code,
        name=row.name,
        kind=row.kind,
        target=target,
        min_severity=row.min_severity,
        enterprise_id=None if row.enterprise_id is None else int(row.enterprise_id),
        kinds=None if row.kinds is None else frozenset(json.loads(row.kinds)),
        enabled=bool(row.enabled),
        lang=row.lang,
        secret_fingerprint=None if row.secret is None else fingerprint(row.secret),
        created_at=int(row.created_at),
        topics=None if row.topics is None else frozenset(json.loads(row.topics)),
    )


def _delivery(row: Any, channel_code: str | None = None) -> Delivery:
    return Delivery(
        id=int(row.id),
        channel_id=int(row.channel_id),
        park_id=int(row.park_id),
        enterprise_id=None if row.enterprise_id is None else int(row.enterprise_id),
        idempotency_key=row.idempotency_key,
        event=row.event,
        severity=row.severity,
        kind=row.kind,
        payload=row.payload,
        state=row.state,
        attempts=int(row.attempts),
        next_attempt_at=int(row.next_attempt_at),
        locked_until=None if row.locked_until is None else int(row.locked_until),
        last_error=row.last_error,
        created_at=int(row.created_at),
        delivered_at=None if row.delivered_at is None else int(row.delivered_at),
        lease=row.lease,
        channel_code=channel_code,
        ack=row.ack,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """The outcome of one attempt (:meth:`OutboxRepo.finish_many`): delivered (``ok``), to be
    retried at ``retry_at``, or failed (``retry_at`` None)."""

    delivery: Delivery
    ok: bool
    error: str | None = None
    retry_at: int | None = None
    ack: str | None = None


class OutboxRepo:
    """Repository of notification channels and outbox rows."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- channels -------------------------------------------------------------------------------

    def create_channel(
        self,
        conn: Connection,
        *,
        park_id: int,
        spec: ChannelSpec,
        secret: str | None,
        created_by: str,
        now: int,
    ) -> Channel:
        """Insert a channel inside the caller's transaction; :class:`Conflict` when its owner
        already has a live channel of that code."""
        t = s.notify_channel
        owner = (
            t.c.enterprise_id.is_(None)
            if spec.enterprise_id is None
            else t.c.enterprise_id == spec.enterprise_id
        )
        taken = conn.execute(
            select(t.c.id).where(
                t.c.park_id == park_id, t.c.code == spec.code, owner, t.c.deleted_at.is_(None)
            )
        ).first()
        if taken is not None:
            raise Conflict("a channel with this code already exists")
        target = spec.target if isinstance(spec.target, str) else json.dumps(list(spec.target))
        try:
            new_id = conn.execute(
                insert(t)
                .values(
                    park_id=park_id,
                    enterprise_id=spec.enterprise_id,
                    code=spec.code,
                    name=spec.name,
                    kind=spec.kind,
                    target=target,
                    min_severity=spec.min_severity,
                    kinds=None if spec.kinds is None else json.dumps(sorted(spec.kinds)),
                    enabled=spec.enabled,
                    lang=spec.lang,
                    secret=secret,
                    topics=None if spec.topics is None else json.dumps(sorted(spec.topics)),
                    created_by=created_by,
                    created_at=now,
                )
                .returning(t.c.id)
            ).scalar_one()
        except IntegrityError as err:  # a concurrent creation of the same code
            raise Conflict("a channel with this code already exists") from err
        row = conn.execute(select(t).where(t.c.id == new_id)).one()
        return _channel(row)

    def channels(self, *, tenant: Tenant, park_id: int | None = None) -> list[Channel]:
        """Live channels in the tenant's scope, by code."""
        t = s.notify_channel
        cond = _owner(t.c.enterprise_id, tenant) & t.c.deleted_at.is_(None)
        if park_id is not None:
            cond = cond & (t.c.park_id == park_id)
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(cond).order_by(t.c.code, t.c.id)).all()
        return [_channel(r) for r in rows]

    def channel(
        self, *, tenant: Tenant, channel_id: int, conn: Connection | None = None
    ) -> Channel:
        """One live channel in the tenant's scope; :class:`NotFound` otherwise."""
        t = s.notify_channel
        q = select(t).where(
            t.c.id == channel_id, t.c.deleted_at.is_(None), _owner(t.c.enterprise_id, tenant)
        )
        if conn is None:
            with self._store.begin() as c:
                row = c.execute(q).first()
        else:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("channel not found")
        return _channel(row)

    def delete_channel(self, conn: Connection, channel_id: int, *, now: int) -> int:
        """Mark a channel deleted and give up its pending deliveries; how many were given up."""
        t, o = s.notify_channel, s.notify_outbox
        conn.execute(update(t).where(t.c.id == channel_id).values(deleted_at=now, enabled=False))
        return int(
            conn.execute(
                update(o)
                .where(o.c.channel_id == channel_id, o.c.state == "pending")
                .values(state="failed", last_error="the channel was deleted", lease=None)
            ).rowcount
        )

    def any_live(self, conn: Connection) -> bool:
        """Whether any enabled live channel exists (the alarm engine skips the outbox when
        none does)."""
        t = s.notify_channel
        row = conn.execute(
            select(t.c.id).where(t.c.enabled.is_(True), t.c.deleted_at.is_(None)).limit(1)
        ).first()
        return row is not None

    def matching_channels(
        self, conn: Connection, *, park_id: int, enterprise_id: int | None
    ) -> list[Channel]:
        """Enabled live channels that may receive an alarm of ``enterprise_id`` (None = the
        park's own): the park's channels and, for an enterprise's alarm, that enterprise's."""
        t = s.notify_channel
        owner: ColumnElement[bool] = t.c.enterprise_id.is_(None)
        if enterprise_id is not None:
            owner = or_(owner, t.c.enterprise_id == enterprise_id)
        rows = conn.execute(
            select(t)
            .where(t.c.park_id == park_id, t.c.enabled.is_(True), t.c.deleted_at.is_(None), owner)
            .order_by(t.c.id)
        ).all()
        return [_channel(r) for r in rows]

    # -- outbox ---------------------------------------------------------------------------------

    def insert_many(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Insert outbox rows (columns ``channel_id``, ``park_id``, ``enterprise_id``,
        ``idempotency_key``, ``event``, ``severity``, ``kind``, ``payload``,
        ``next_attempt_at``, ``created_at``) as pending; a row whose idempotency key is
        already stored is skipped. How many were inserted."""
        o = s.notify_outbox
        inserted = 0
        for row in rows:
            stmt = (
                self._store.dialect_insert(o)
                .values(**row, state="pending", attempts=0)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(o.c.id)
            )
            # counted from RETURNING: rowcount is not reliable for ON CONFLICT on every driver
            inserted += len(conn.execute(stmt).all())
        return inserted

    def claim(
        self, *, now: int, limit: int, lease_us: int
    ) -> list[tuple[Delivery, Channel, str | None]]:
        """Take the lease of up to ``limit`` due pending rows (oldest due first) with their
        channel and its secret. A row leased by another worker is skipped until its lease
        expires."""
        o, t = s.notify_outbox, s.notify_channel
        older = s.notify_outbox.alias("older")
        upload_channels = select(t.c.id).where(t.c.kind.in_(UPLOAD_KINDS))
        due = and_(
            o.c.state == "pending",
            o.c.next_attempt_at <= now,
            or_(o.c.locked_until.is_(None), o.c.locked_until <= now),
            # uploads reach their platform in order: a row of an ecm or region channel waits
            # while an older row of that channel is pending (backing off, or leased) — it is
            # the channel's lowest pending id, one look-up in ix_notify_outbox_channel_order
            # (a NOT EXISTS over the older rows made a backlog's claim quadratic)
            or_(
                o.c.channel_id.not_in(upload_channels),
                o.c.id
                == select(func.min(older.c.id))
                .where(older.c.channel_id == o.c.channel_id, older.c.state == "pending")
                .scalar_subquery(),
            ),
        )
        token = str(uuid.uuid4())
        with self._store.begin() as conn:
            if not self._store.capabilities.concurrent_writers:
                self._store.serialise(conn, 0)  # SQLite: the write lock before the read
            q = select(o.c.id).where(due).order_by(o.c.next_attempt_at, o.c.id).limit(limit)
            if self._store.capabilities.concurrent_writers:
                q = q.with_for_update(skip_locked=True)
            ids = [int(r.id) for r in conn.execute(q).all()]
            if not ids:
                return []
            conn.execute(
                update(o)
                .where(o.c.id.in_(ids), due)
                .values(lease=token, locked_until=now + lease_us)
            )
            rows = conn.execute(
                select(o, t.c.code.label("channel_code"))
                .join(t, t.c.id == o.c.channel_id)
                .where(o.c.id.in_(ids), o.c.lease == token)
                .order_by(o.c.next_attempt_at, o.c.id)
            ).all()
            channels = {
                int(r.id): r
                for r in conn.execute(
                    select(t).where(t.c.id.in_({int(r.channel_id) for r in rows}))
                ).all()
            }
        return [
            (
                _delivery(r, r.channel_code),
                _channel(channels[int(r.channel_id)]),
                channels[int(r.channel_id)].secret,
            )
            for r in rows
        ]

    def finish(
        self,
        delivery: Delivery,
        *,
        now: int,
        ok: bool,
        error: str | None = None,
        retry_at: int | None = None,
        ack: str | None = None,
    ) -> bool:
        """Record the outcome of an attempt while still holding the lease: delivered
        (``ok``), retried at ``retry_at``, or failed (``retry_at`` None). False when the
        lease was lost (expired and taken by another worker): nothing is recorded."""
        outcome = Outcome(delivery, ok=ok, error=error, retry_at=retry_at, ack=ack)
        return self.finish_many([outcome], now=now)[0]

    def finish_many(self, outcomes: Sequence[Outcome], *, now: int) -> list[bool]:
        """:meth:`finish` for the outcomes of a claimed batch, in one transaction (one commit
        per batch, not per message); per outcome, False when its lease was lost."""
        o = s.notify_outbox
        kept: list[bool] = []
        with self._store.begin() as conn:
            for out in outcomes:
                values: dict[str, Any] = {
                    "attempts": o.c.attempts + 1,
                    "lease": None,
                    "locked_until": None,
                }
                if out.ok:
                    values.update(state="delivered", delivered_at=now, last_error=None, ack=out.ack)
                elif out.retry_at is not None:
                    values.update(
                        state="pending", next_attempt_at=out.retry_at, last_error=out.error
                    )
                else:
                    values.update(state="failed", last_error=out.error)
                d = out.delivery
                done = conn.execute(
                    update(o)
                    .where(o.c.id == d.id, o.c.lease == d.lease, o.c.state == "pending")
                    .values(**values)
                ).rowcount
                kept.append(bool(done))
        return kept

    def deliveries(
        self,
        *,
        tenant: Tenant,
        state: str | None = None,
        channel_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[Delivery], int]:
        """Outbox rows of channels in the tenant's scope, newest first."""
        o, t = s.notify_outbox, s.notify_channel
        cond = _owner(o.c.enterprise_id, tenant)
        if state is not None:
            cond = cond & (o.c.state == state)
        if channel_id is not None:
            cond = cond & (o.c.channel_id == channel_id)
        with self._store.begin() as conn:
            rows = conn.execute(
                _page(
                    select(o, t.c.code.label("channel_code"))
                    .join(t, t.c.id == o.c.channel_id)
                    .where(cond)
                    .order_by(o.c.id.desc()),
                    limit,
                    offset,
                )
            ).all()
            total = int(conn.execute(select(func.count()).select_from(o).where(cond)).scalar_one())
        return [_delivery(r, r.channel_code) for r in rows], total

    def delivery(
        self, *, tenant: Tenant, delivery_id: int, conn: Connection | None = None
    ) -> Delivery:
        """One outbox row in the tenant's scope; :class:`NotFound` otherwise."""
        o, t = s.notify_outbox, s.notify_channel
        q = (
            select(o, t.c.code.label("channel_code"))
            .join(t, t.c.id == o.c.channel_id)
            .where(o.c.id == delivery_id, _owner(o.c.enterprise_id, tenant))
        )
        if conn is None:
            with self._store.begin() as c:
                row = c.execute(q).first()
        else:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("delivery not found")
        return _delivery(row, row.channel_code)

    def by_key(self, idempotency_key: str) -> Delivery | None:
        """The outbox row of an idempotency key."""
        o = s.notify_outbox
        with self._store.begin() as conn:
            row = conn.execute(select(o).where(o.c.idempotency_key == idempotency_key)).first()
        return None if row is None else _delivery(row)

    def retry(self, conn: Connection, delivery_id: int, *, now: int) -> None:
        """Make a row due now: a failed row is pending again with a fresh round of attempts;
        a pending one is only brought forward (a lease held on it stays). The caller checked
        scope and state."""
        o = s.notify_outbox
        conn.execute(
            update(o)
            .where(o.c.id == delivery_id, o.c.state == "failed")
            .values(state="pending", next_attempt_at=now, attempts=0, lease=None, locked_until=None)
        )
        conn.execute(
            update(o)
            .where(o.c.id == delivery_id, o.c.state == "pending", o.c.next_attempt_at > now)
            .values(next_attempt_at=now)
        )
