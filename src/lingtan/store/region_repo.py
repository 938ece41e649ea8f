"""Region mode (docs/region.md): the park side's queued uploads and alarms, and the region
side's registered parks, received uploads, their aggregates and members.

Every region-side read takes the caller's park scope (``parks``: the ids it may see, None for
all): a park's user on the region instance is bound to its park here, in the data-access
layer, whatever the route asks for.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import ColumnElement, Connection, and_, insert, literal, select, update

from lingtan.errors import Conflict, NotFound
from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store

#: the advisory lock of queueing a region upload (revisions are numbered under it) and of
#: storing a received one (supersession)
LOCK_REGION: Final = 0x6C696E67_0031
#: hourly rows written per statement
_BATCH: Final = 5000


@dataclass(frozen=True, slots=True)
class RegionPark:
    """A park registered with the region instance."""

    id: int
    code: str
    name: str
    #: the HMAC key (``hmac-sm3:…`` or plain); None when the park signs with SM2
    secret: str | None
    #: the SM2 public key (x‖y hex) of a park that signs with SM2
    public_key: str | None
    #: indicator id → the park's target value
    targets: dict[str, float]
    created_at: int


@dataclass(frozen=True, slots=True)
class RegionUpload:
    """A received upload (without its document and aggregates)."""

    id: int
    park_id: int
    park_code: str
    idempotency_key: str
    kind: str
    year: int
    month: int
    revision: int
    content_sha256: str
    received_at: int
    deadline_at: int
    late: bool
    complete: bool
    completeness: dict[str, Any]
    summary: dict[str, Any]
    receipt: dict[str, Any]
    superseded_by: int | None
    superseded_at: int | None

    @property
    def current(self) -> bool:
        """Whether this revision carries the region's figures for its period."""
        return self.superseded_at is None


def _park(row: Any) -> RegionPark:
    return RegionPark(
        id=int(row.id),
        code=row.code,
        name=row.name,
        secret=row.secret,
        public_key=row.public_key,
        targets={str(k): float(v) for k, v in json.loads(row.targets).items()},
        created_at=int(row.created_at),
    )


def _upload(row: Any) -> RegionUpload:
    return RegionUpload(
        id=int(row.id),
        park_id=int(row.park_id),
        park_code=row.park_code,
        idempotency_key=row.idempotency_key,
        kind=row.kind,
        year=int(row.year),
        month=int(row.month),
        revision=int(row.revision),
        content_sha256=row.content_sha256,
        received_at=int(row.received_at),
        deadline_at=int(row.deadline_at),
        late=bool(row.late),
        complete=bool(row.complete),
        completeness=json.loads(row.completeness),
        summary=json.loads(row.summary),
        receipt=json.loads(row.receipt),
        superseded_by=None if row.superseded_by is None else int(row.superseded_by),
        superseded_at=None if row.superseded_at is None else int(row.superseded_at),
    )


def _in(column: Any, parks: Collection[int] | None) -> ColumnElement[bool]:
    """The scope condition: every park (None) or those listed."""
    if parks is None:
        return literal(True)
    return column.in_(sorted(parks)) if parks else literal(False)


_UPLOAD_COLUMNS = [c for c in s.region_upload.c if c.name != "document"]


class RegionRepo:
    """Repository of region mode's tables (and, park side, of its queued uploads)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- park side --------------------------------------------------------------------------

    def queued_revisions(self, conn: Connection, prefix: str) -> list[tuple[int, str]]:
        """(revision, content hash) of every document queued in the outbox (any channel)
        whose idempotency key starts with ``prefix`` (one park's period)."""
        o = s.notify_outbox
        rows = conn.execute(
            select(o.c.payload).where(
                o.c.kind == "region", o.c.idempotency_key.startswith(prefix, autoescape=True)
            )
        ).all()
        out: set[tuple[int, str]] = set()
        for r in rows:
            doc = json.loads(r.payload)
            out.add((int(doc["revision"]), str(doc["content_sha256"])))
        return sorted(out)

    def park_alarms(
        self, *, park_id: int, t0: int, t1: int, severities: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The park's alarms that began in [t0, t1) [µs] with one of ``severities``, oldest
        first, as the document carries them."""
        a = s.alarm
        with self._store.begin() as conn:
            rows = conn.execute(
                select(a)
                .where(
                    a.c.park_id == park_id,
                    a.c.first_at >= t0,
                    a.c.first_at < t1,
                    a.c.severity.in_(list(severities)),
                )
                .order_by(a.c.first_at, a.c.id)
            ).all()
        return [
            {
                "id": int(r.id),
                "kind": r.kind,
                "severity": r.severity,
                "state": r.state,
                "subject": r.subject_code,
                "first_at": int(r.first_at),
                "last_at": int(r.last_at),
                "count": int(r._mapping["count"]),
                "value": r.value,
                "message": r.message,
            }
            for r in rows
        ]

    # -- registered parks -------------------------------------------------------------------

    def add_park(
        self,
        conn: Connection,
        *,
        code: str,
        name: str,
        secret: str | None,
        public_key: str | None,
        targets: dict[str, float],
        actor: str,
        now: int,
    ) -> RegionPark:
        """Register a park in the caller's transaction; :class:`Conflict` when its code is
        taken."""
        t = s.region_park
        if conn.execute(select(t.c.id).where(t.c.code == code)).first() is not None:
            raise Conflict(f"a park with code {code!r} is already registered")
        new_id = conn.execute(
            insert(t)
            .values(
                code=code,
                name=name,
                secret=secret,
                public_key=public_key,
                targets=json.dumps(targets, sort_keys=True),
                created_by=actor,
                created_at=now,
            )
            .returning(t.c.id)
        ).scalar_one()
        return _park(conn.execute(select(t).where(t.c.id == new_id)).one())

    def parks(self, *, parks: Collection[int] | None) -> list[RegionPark]:
        """Registered parks in scope, by code."""
        t = s.region_park
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(_in(t.c.id, parks)).order_by(t.c.code)).all()
        return [_park(r) for r in rows]

    def park_by_code(self, code: str, *, parks: Collection[int] | None = None) -> RegionPark:
        """One registered park in scope; :class:`NotFound` otherwise."""
        t = s.region_park
        with self._store.begin() as conn:
            row = conn.execute(select(t).where(t.c.code == code, _in(t.c.id, parks))).first()
        if row is None:
            raise NotFound("park not found")
        return _park(row)

    # -- members ----------------------------------------------------------------------------

    def set_member(self, conn: Connection, *, user_id: int, park_id: int, now: int) -> None:
        """Bind a user of the region instance to one registered park (in the caller's
        transaction)."""
        m = s.region_member
        conn.execute(m.delete().where(m.c.user_id == user_id))
        conn.execute(insert(m).values(user_id=user_id, park_id=park_id, created_at=now))

    def member_park(self, user_id: int) -> int | None:
        """The registered park a user is bound to (None: not bound)."""
        m = s.region_member
        with self._store.begin() as conn:
            row = conn.execute(select(m.c.park_id).where(m.c.user_id == user_id)).first()
        return None if row is None else int(row.park_id)

    # -- uploads ----------------------------------------------------------------------------

    def _select(self) -> Any:
        u, p = s.region_upload, s.region_park
        return select(*_UPLOAD_COLUMNS, p.c.code.label("park_code")).join(p, p.c.id == u.c.park_id)

    def upload_by_key(self, conn: Connection, key: str) -> RegionUpload | None:
        """The upload of an idempotency key."""
        row = conn.execute(self._select().where(s.region_upload.c.idempotency_key == key)).first()
        return None if row is None else _upload(row)

    def upload_by_revision(
        self, conn: Connection, *, park_id: int, kind: str, year: int, month: int, revision: int
    ) -> RegionUpload | None:
        """The upload of one revision of a park's period."""
        u = s.region_upload
        row = conn.execute(
            self._select().where(
                u.c.park_id == park_id,
                u.c.kind == kind,
                u.c.year == year,
                u.c.month == month,
                u.c.revision == revision,
            )
        ).first()
        return None if row is None else _upload(row)

    def current_of(
        self, conn: Connection, *, park_id: int, kind: str, year: int, month: int
    ) -> RegionUpload | None:
        """The revision of a period that carries the region's figures."""
        u = s.region_upload
        row = conn.execute(
            self._select().where(
                u.c.park_id == park_id,
                u.c.kind == kind,
                u.c.year == year,
                u.c.month == month,
                u.c.superseded_at.is_(None),
            )
        ).first()
        return None if row is None else _upload(row)

    def insert_upload(
        self,
        conn: Connection,
        row: dict[str, Any],
        hourly: Sequence[dict[str, Any]],
        monthly: Sequence[dict[str, Any]],
    ) -> int:
        """Insert an upload and its aggregates (in batches) in the caller's transaction."""
        u = s.region_upload
        upload_id = int(conn.execute(insert(u).values(**row).returning(u.c.id)).scalar_one())
        for i in range(0, len(hourly), _BATCH):
            conn.execute(
                insert(s.region_hourly),
                [{**h, "upload_id": upload_id} for h in hourly[i : i + _BATCH]],
            )
        if monthly:
            conn.execute(insert(s.region_monthly), [{**m, "upload_id": upload_id} for m in monthly])
        return upload_id

    def set_receipt(self, conn: Connection, upload_id: int, receipt: dict[str, Any]) -> None:
        """Store the receipt an upload was answered with (a replay gets the same)."""
        u = s.region_upload
        conn.execute(
            update(u).where(u.c.id == upload_id).values(receipt=json.dumps(receipt, sort_keys=True))
        )

    def supersede(self, conn: Connection, upload_id: int, *, by: int, now: int) -> None:
        """Mark an upload superseded by a newer revision (kept: the history)."""
        u = s.region_upload
        conn.execute(
            update(u)
            .where(u.c.id == upload_id, u.c.superseded_at.is_(None))
            .values(superseded_by=by, superseded_at=now)
        )

    def uploads(
        self,
        *,
        parks: Collection[int] | None,
        park_id: int | None = None,
        current: bool | None = None,
        late: bool | None = None,
        limit: int | None = None,
    ) -> list[RegionUpload]:
        """Uploads in scope: newest period first, then newest revision first."""
        u = s.region_upload
        cond = _in(u.c.park_id, parks)
        if park_id is not None:
            cond = and_(cond, u.c.park_id == park_id)
        if current is not None:
            cond = and_(
                cond, u.c.superseded_at.is_(None) if current else u.c.superseded_at.is_not(None)
            )
        if late is not None:
            cond = and_(cond, u.c.late.is_(late))
        q = (
            self._select()
            .where(cond)
            .order_by(
                u.c.year.desc(), u.c.month.desc(), u.c.park_id, u.c.revision.desc(), u.c.id.desc()
            )
        )
        if limit is not None:
            q = q.limit(limit)
        with self._store.begin() as conn:
            return [_upload(r) for r in conn.execute(q).all()]

    def document(self, upload_id: int, *, parks: Collection[int] | None) -> str:
        """An upload's document exactly as received; :class:`NotFound` outside the scope."""
        u = s.region_upload
        with self._store.begin() as conn:
            row = conn.execute(
                select(u.c.document).where(u.c.id == upload_id, _in(u.c.park_id, parks))
            ).first()
        if row is None:
            raise NotFound("upload not found")
        return str(row.document)

    def hourly(
        self,
        *,
        park_id: int,
        h0: int,
        h1: int,
        parks: Collection[int] | None = None,
    ) -> list[tuple[str, str, str, str, int, float | None]]:
        """A park's hourly aggregates in [h0, h1) (epoch hours, UTC) from the current revision
        of each period: rows (carrier, enterprise, building, unit, hour, value), by series
        and hour; enterprise and building are "" when none. Empty outside the scope."""
        u, h = s.region_upload, s.region_hourly
        q = (
            select(h.c.carrier, h.c.enterprise, h.c.building, h.c.unit, h.c.hour, h.c.value)
            .join(u, u.c.id == h.c.upload_id)
            .where(
                u.c.park_id == park_id,
                _in(u.c.park_id, parks),
                u.c.superseded_at.is_(None),
                h.c.hour >= h0,
                h.c.hour < h1,
            )
            .order_by(h.c.carrier, h.c.enterprise, h.c.building, h.c.unit, h.c.hour)
        )
        with self._store.begin() as conn:
            return [
                (
                    r.carrier,
                    r.enterprise,
                    r.building,
                    r.unit,
                    int(r.hour),
                    None if r.value is None else float(r.value),
                )
                for r in conn.execute(q).all()
            ]

    def monthly(
        self, *, parks: Collection[int] | None, current: bool = True
    ) -> list[dict[str, Any]]:
        """Monthly aggregates of the current revisions in scope."""
        u, m, p = s.region_upload, s.region_monthly, s.region_park
        q = (
            select(m, p.c.code.label("park"), u.c.year, u.c.month, u.c.revision)
            .join(u, u.c.id == m.c.upload_id)
            .join(p, p.c.id == u.c.park_id)
            .where(_in(u.c.park_id, parks))
            .order_by(p.c.code, u.c.year, u.c.month, m.c.carrier, m.c.enterprise, m.c.building)
        )
        if current:
            q = q.where(u.c.superseded_at.is_(None))
        with self._store.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(q).all()]
