"""The energy-management programme's plans, measures and records (``lingtan.programme``),
read and written scoped by tenant: an enterprise's caller reaches only rows its enterprise
owns (the park's own rows, ``enterprise_id`` null, are the park's callers' alone). Every write
appends an audit entry in the same transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert, select, update

from lingtan.errors import NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A stored plan."""

    id: int
    park_id: int
    enterprise_id: int | None
    year: int
    kind: str
    title: str
    targets: dict[str, Any]
    approved_by: str | None
    note: str | None
    created_by: str
    created_at: int
    updated_at: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "id": self.id, "enterprise_id": self.enterprise_id, "year": self.year,
            "kind": self.kind, "title": self.title, "targets": self.targets,
            "approved_by": self.approved_by, "note": self.note, "created_by": self.created_by,
            "created_at": self.created_at, "updated_at": self.updated_at,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class MeasureRow:
    """A stored measure."""

    id: int
    park_id: int
    enterprise_id: int | None
    plan_id: int
    code: str
    name: str
    status: str
    document: dict[str, Any]
    verified: dict[str, Any] | None
    created_by: str
    created_at: int
    updated_at: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "id": self.id, "enterprise_id": self.enterprise_id, "plan_id": self.plan_id,
            "code": self.code, "name": self.name, "status": self.status, **{
                k: v for k, v in self.document.items()
                if k not in ("plan_id", "code", "name", "status")
            },
            "verified": self.verified, "created_by": self.created_by,
            "created_at": self.created_at, "updated_at": self.updated_at,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A stored programme record."""

    id: int
    park_id: int
    enterprise_id: int | None
    kind: str
    title: str
    status: str
    body: dict[str, Any]
    cites: dict[str, Any]
    created_by: str
    created_at: int
    updated_at: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "id": self.id, "enterprise_id": self.enterprise_id, "kind": self.kind,
            "title": self.title, "status": self.status, "body": self.body, "cites": self.cites,
            "created_by": self.created_by, "created_at": self.created_at,
            "updated_at": self.updated_at,
        }  # fmt: skip


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _plan(r: Any) -> PlanRow:
    return PlanRow(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=_opt_int(r.enterprise_id),
        year=int(r.year), kind=r.kind, title=r.title, targets=json.loads(r.targets),
        approved_by=r.approved_by, note=r.note, created_by=r.created_by,
        created_at=int(r.created_at), updated_at=int(r.updated_at),
    )  # fmt: skip


def _measure(r: Any) -> MeasureRow:
    return MeasureRow(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=_opt_int(r.enterprise_id),
        plan_id=int(r.plan_id), code=r.code, name=r.name, status=r.status,
        document=json.loads(r.document),
        verified=None if r.verified is None else json.loads(r.verified),
        created_by=r.created_by, created_at=int(r.created_at), updated_at=int(r.updated_at),
    )  # fmt: skip


def _record(r: Any) -> RecordRow:
    return RecordRow(
        id=int(r.id), park_id=int(r.park_id), enterprise_id=_opt_int(r.enterprise_id),
        kind=r.kind, title=r.title, status=r.status, body=json.loads(r.body),
        cites=json.loads(r.cites), created_by=r.created_by, created_at=int(r.created_at),
        updated_at=int(r.updated_at),
    )  # fmt: skip


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)


class ProgrammeRepo:
    """Plans, measures and records of the programme."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- generic ------------------------------------------------------------------------------

    def _add(
        self, table: Table, entity: str, values: dict[str, Any], *, actor: str, at: int
    ) -> int:
        with self._store.begin() as conn:
            new_id = int(
                conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()
            )
            self._store.audit.append(
                conn, at=at, actor=actor, action="create", entity=entity,
                entity_id=str(new_id), enterprise_id=values.get("enterprise_id"),
                after={k: v for k, v in values.items() if k not in ("created_at", "updated_at")},
            )  # fmt: skip
        return new_id

    def _update(
        self, table: Table, entity: str, row_id: int, before: dict[str, Any],
        values: dict[str, Any], *, actor: str, at: int, enterprise_id: int | None,
    ) -> None:  # fmt: skip
        with self._store.begin() as conn:
            conn.execute(update(table).where(table.c.id == row_id).values(**values))
            self._store.audit.append(
                conn, at=at, actor=actor, action="update", entity=entity,
                entity_id=str(row_id), enterprise_id=enterprise_id, before=before,
                after={k: v for k, v in values.items() if k != "updated_at"},
            )  # fmt: skip

    # -- plans --------------------------------------------------------------------------------

    def add_plan(self, *, actor: str, at: int, targets: dict[str, Any], **values: Any) -> int:
        """Store a plan; its id."""
        row = {**values, "targets": _json(targets), "created_by": actor, "created_at": at,
               "updated_at": at}  # fmt: skip
        return self._add(s.programme_plan, "programme_plan", row, actor=actor, at=at)

    def plans(
        self, *, tenant: Tenant, park_id: int, year: int | None = None,
        enterprise_id: int | None = None, park_only: bool = False,
    ) -> list[PlanRow]:  # fmt: skip
        """Plans in scope, by year then id."""
        t = s.programme_plan
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if year is not None:
            q = q.where(t.c.year == year)
        if park_only:
            q = q.where(t.c.enterprise_id.is_(None))
        elif enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_plan(r) for r in conn.execute(q.order_by(t.c.year, t.c.id))]

    def plan(self, plan_id: int, *, tenant: Tenant, park_id: int) -> PlanRow:
        """One plan in scope; NotFound otherwise."""
        t = s.programme_plan
        q = select(t).where(
            t.c.id == plan_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            r = conn.execute(q).one_or_none()
        if r is None:
            raise NotFound("plan not found")
        return _plan(r)

    # -- measures -----------------------------------------------------------------------------

    def add_measure(self, *, actor: str, at: int, document: dict[str, Any], **values: Any) -> int:
        """Store a measure; its id."""
        row = {**values, "document": _json(document), "created_by": actor, "created_at": at,
               "updated_at": at}  # fmt: skip
        return self._add(s.programme_measure, "programme_measure", row, actor=actor, at=at)

    def measures(
        self, *, tenant: Tenant, park_id: int, plan_id: int | None = None,
        plan_ids: list[int] | None = None,
    ) -> list[MeasureRow]:  # fmt: skip
        """Measures in scope (of one plan, or of several), by id."""
        t = s.programme_measure
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if plan_id is not None:
            q = q.where(t.c.plan_id == plan_id)
        if plan_ids is not None:
            q = q.where(t.c.plan_id.in_(plan_ids))
        with self._store.begin() as conn:
            return [_measure(r) for r in conn.execute(q.order_by(t.c.id))]

    def measure(self, measure_id: int, *, tenant: Tenant, park_id: int) -> MeasureRow:
        """One measure in scope; NotFound otherwise."""
        t = s.programme_measure
        q = select(t).where(
            t.c.id == measure_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            r = conn.execute(q).one_or_none()
        if r is None:
            raise NotFound("measure not found")
        return _measure(r)

    def update_measure(
        self, row: MeasureRow, *, actor: str, at: int, document: dict[str, Any],
        verified: dict[str, Any] | None,
    ) -> None:  # fmt: skip
        """Replace a measure's document (and status) and its last verification."""
        values = {
            "document": _json(document), "status": document["status"],
            "verified": None if verified is None else _json(verified), "updated_at": at,
        }  # fmt: skip
        self._update(
            s.programme_measure, "programme_measure", row.id,
            {"document": row.document, "status": row.status}, values, actor=actor, at=at,
            enterprise_id=row.enterprise_id,
        )  # fmt: skip

    # -- records ------------------------------------------------------------------------------

    def add_record(
        self, *, actor: str, at: int, body: dict[str, Any], cites: dict[str, Any], **values: Any
    ) -> int:
        """Store a record; its id."""
        row = {**values, "body": _json(body), "cites": _json(cites), "created_by": actor,
               "created_at": at, "updated_at": at}  # fmt: skip
        return self._add(s.programme_record, "programme_record", row, actor=actor, at=at)

    def records(
        self, *, tenant: Tenant, park_id: int, kinds: list[str] | None = None,
        enterprise_id: int | None = None,
    ) -> list[RecordRow]:  # fmt: skip
        """Records in scope, by id."""
        t = s.programme_record
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if kinds:
            q = q.where(t.c.kind.in_(kinds))
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_record(r) for r in conn.execute(q.order_by(t.c.id))]

    def record(self, record_id: int, *, tenant: Tenant, park_id: int) -> RecordRow:
        """One record in scope; NotFound otherwise."""
        t = s.programme_record
        q = select(t).where(
            t.c.id == record_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            r = conn.execute(q).one_or_none()
        if r is None:
            raise NotFound("record not found")
        return _record(r)

    def update_record(
        self, row: RecordRow, *, actor: str, at: int, title: str, status: str,
        body: dict[str, Any], cites: dict[str, Any],
    ) -> None:  # fmt: skip
        """Replace a record's title, status, document and citations."""
        self._update(
            s.programme_record, "programme_record", row.id,
            {"title": row.title, "status": row.status, "body": row.body, "cites": row.cites},
            {"title": title, "status": status, "body": _json(body), "cites": _json(cites),
             "updated_at": at},
            actor=actor, at=at, enterprise_id=row.enterprise_id,
        )  # fmt: skip
