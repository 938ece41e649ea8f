"""Non-metered statistics records (``stat_record``) and the per-point daily totals that the
energy statistics read.

A statistics record is a quantity somebody entered or imported — solid waste generated, waste
heat utilised, water reused, product output — with who entered it, when, and the document it
comes from. Records are never updated or deleted: a correction is a new row whose
``supersedes_id`` names the row it replaces, so the whole history stays retrievable. A row is
*current* when no other row supersedes it. Corrections are serialised with a transaction-scoped
advisory lock (PostgreSQL) so that two concurrent corrections of one row cannot both succeed.

Every query that serves a user takes the tenant filter here, in the repository (DESIGN §4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, false, func, insert, or_, select
from sqlalchemy.orm import aliased

from lingtan.errors import Conflict, NotFound
from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store

#: advisory-lock key of statistics-record corrections (unique within lingtan, see core.py)
LOCK_RECORDS = 0x6C696E67_0011


@dataclass(frozen=True, slots=True)
class StatRecord:
    """One stored statistics record."""

    id: int
    park_id: int
    enterprise_id: int | None
    category: str
    item: str
    period_start: str
    period_end: str
    quantity: float
    unit: str
    source_document: str
    entered_by: str
    entered_at: int
    supersedes_id: int | None
    note: str | None
    #: id of the record that supersedes this one (None while it is current)
    superseded_by: int | None = None

    @property
    def current(self) -> bool:
        """True when no later record supersedes this one."""
        return self.superseded_by is None

    def as_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {
            "id": self.id,
            "park_id": self.park_id,
            "enterprise_id": self.enterprise_id,
            "category": self.category,
            "item": self.item,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "quantity": self.quantity,
            "unit": self.unit,
            "source_document": self.source_document,
            "entered_by": self.entered_by,
            "entered_at": self.entered_at,
            "supersedes_id": self.supersedes_id,
            "superseded_by": self.superseded_by,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record to insert (``supersedes_id`` set for a correction)."""

    park_id: int
    enterprise_id: int | None
    category: str
    item: str
    period_start: str
    period_end: str
    quantity: float
    unit: str
    source_document: str
    note: str | None = None
    supersedes_id: int | None = None


_ANY: Any = object()


class RecordsRepo:
    """Repository of statistics records; instantiate with the store: ``RecordsRepo(store)``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- writes -----------------------------------------------------------------------------
    def add_many(
        self, records: Sequence[NewRecord], *, entered_by: str, entered_at: int
    ) -> list[int]:
        """Insert records in one transaction (with their audit entries); returns their ids.

        A record with ``supersedes_id`` must name a current record of the same park,
        enterprise, category, item and period; otherwise ``Conflict`` (already corrected) or
        ``NotFound``. Nothing is written when one record fails.
        """
        if not records:
            return []
        t = s.stat_record
        ids: list[int] = []
        with self._store.begin() as conn:
            if any(r.supersedes_id is not None for r in records):
                self._store.lock(conn, LOCK_RECORDS)
            claimed: set[int] = set()
            for r in records:
                if r.supersedes_id is not None:
                    self._check_supersedable(conn, r, claimed)
                    claimed.add(r.supersedes_id)
                values = {
                    "park_id": r.park_id,
                    "enterprise_id": r.enterprise_id,
                    "category": r.category,
                    "item": r.item,
                    "period_start": r.period_start,
                    "period_end": r.period_end,
                    "quantity": r.quantity,
                    "unit": r.unit,
                    "source_document": r.source_document,
                    "entered_by": entered_by,
                    "entered_at": entered_at,
                    "supersedes_id": r.supersedes_id,
                    "note": r.note,
                }
                new_id = int(
                    conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one()
                )
                ids.append(new_id)
                self._store.audit.append(
                    conn,
                    at=entered_at,
                    actor=entered_by,
                    action="correct" if r.supersedes_id is not None else "create",
                    entity="stat_record",
                    entity_id=str(new_id),
                    enterprise_id=r.enterprise_id,
                    before=None if r.supersedes_id is None else {"id": r.supersedes_id},
                    after=values,
                )
        return ids

    def _check_supersedable(self, conn: Connection, r: NewRecord, claimed: set[int]) -> None:
        t = s.stat_record
        old = conn.execute(select(t).where(t.c.id == r.supersedes_id)).first()
        if old is None or old.park_id != r.park_id or old.enterprise_id != r.enterprise_id:
            raise NotFound("statistics record not found")
        if (old.category, old.item, old.period_start, old.period_end) != (
            r.category,
            r.item,
            r.period_start,
            r.period_end,
        ):
            raise Conflict(
                f"a correction of record {old.id} keeps its category, item and period "
                f"({old.category}/{old.item} {old.period_start}…{old.period_end})"
            )
        taken = conn.execute(select(t.c.id).where(t.c.supersedes_id == old.id)).first()
        if taken is not None or old.id in claimed:
            by = taken.id if taken is not None else "this batch"
            raise Conflict(
                f"statistics record {old.id} was already corrected (by {by}); correct the "
                "current record instead"
            )

    # -- reads ------------------------------------------------------------------------------
    def _select(self) -> Any:
        t = s.stat_record
        later = aliased(t)
        return select(t, later.c.id.label("superseded_by")).outerjoin(
            later, later.c.supersedes_id == t.c.id
        )

    @staticmethod
    def _record(row: Any, superseded_by: Any = _ANY) -> StatRecord:
        """The record of ``row`` (superseded by ``row.superseded_by`` unless given)."""
        later = row.superseded_by if superseded_by is _ANY else superseded_by
        return StatRecord(
            id=int(row.id),
            park_id=int(row.park_id),
            enterprise_id=None if row.enterprise_id is None else int(row.enterprise_id),
            category=row.category,
            item=row.item,
            period_start=row.period_start,
            period_end=row.period_end,
            quantity=float(row.quantity),
            unit=row.unit,
            source_document=row.source_document,
            entered_by=row.entered_by,
            entered_at=int(row.entered_at),
            supersedes_id=None if row.supersedes_id is None else int(row.supersedes_id),
            note=row.note,
            superseded_by=None if later is None else int(later),
        )

    def get(self, record_id: int, *, enterprise_id: Any = _ANY) -> StatRecord:
        """One record; ``NotFound`` if absent or outside the tenant ``enterprise_id``."""
        t = s.stat_record
        q = self._select().where(t.c.id == record_id)
        if enterprise_id is not _ANY:
            q = q.where(_owner(t, enterprise_id))
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            # names nothing: a record outside the tenant is answered like a missing one
            raise NotFound("statistics record not found")
        return self._record(row)

    @staticmethod
    def _where(
        *,
        park_id: int,
        enterprise_ids: Sequence[int | None] | None,
        categories: Sequence[str] | None,
        item: str | None,
        overlapping: tuple[str, str] | None,
        current_only: bool,
    ) -> list[Any]:
        t = s.stat_record
        where: list[Any] = [t.c.park_id == park_id]
        if enterprise_ids is not None:
            where.append(
                or_(*[_owner(t, e) for e in enterprise_ids]) if enterprise_ids else false()
            )
        if categories is not None:
            where.append(t.c.category.in_(bindparam("cats", list(categories), expanding=True)))
        if item is not None:
            where.append(t.c.item == item)
        if overlapping is not None:
            first, last = overlapping
            where.append(and_(t.c.period_start <= last, t.c.period_end >= first))
        if current_only:
            # the superseded ids of the park as one uncorrelated subquery, evaluated once: a
            # correlated NOT EXISTS scanned the table again for every record on SQLite (no
            # index on supersedes_id), 0.1–0.2 s for the demo's 1,128 records
            later = aliased(t)
            where.append(
                t.c.id.not_in(
                    select(later.c.supersedes_id).where(
                        later.c.park_id == park_id, later.c.supersedes_id.is_not(None)
                    )
                )
            )
        return where

    def find(
        self,
        *,
        park_id: int,
        enterprise_ids: Sequence[int | None] | None = None,
        categories: Sequence[str] | None = None,
        item: str | None = None,
        overlapping: tuple[str, str] | None = None,
        current_only: bool = True,
        newest_first: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StatRecord]:
        """Records of a park, oldest first (``newest_first``: newest first), ``limit`` of them
        from ``offset`` (all without a limit).

        ``enterprise_ids`` restricts to owners (``None`` in the list = park-level records);
        ``overlapping`` = (first day, last day) ISO dates keeps records whose period overlaps.
        """
        t = s.stat_record
        q = select(t).where(
            *self._where(
                park_id=park_id, enterprise_ids=enterprise_ids, categories=categories,
                item=item, overlapping=overlapping, current_only=current_only,
            )
        )  # fmt: skip
        q = q.order_by(t.c.id.desc() if newest_first else t.c.id)
        if limit is not None:
            q = q.limit(limit).offset(offset)
        later = aliased(t)
        with self._store.begin() as conn:
            rows = conn.execute(q).all()
            # which record supersedes which: the park's corrections, few beside the records
            by = dict(
                conn.execute(
                    select(later.c.supersedes_id, later.c.id).where(
                        later.c.park_id == park_id, later.c.supersedes_id.is_not(None)
                    )
                ).all()
            )
        return [self._record(r, by.get(r.id)) for r in rows]

    def count(
        self,
        *,
        park_id: int,
        enterprise_ids: Sequence[int | None] | None = None,
        categories: Sequence[str] | None = None,
        item: str | None = None,
        overlapping: tuple[str, str] | None = None,
        current_only: bool = True,
        newer_than: int | None = None,
        record_id: int | None = None,
    ) -> int:
        """How many records :meth:`find` returns with the same filters; ``newer_than``: only
        those of a larger id (the position of a record among the newest first), ``record_id``:
        that record only (whether it is among them)."""
        t = s.stat_record
        where = self._where(
            park_id=park_id, enterprise_ids=enterprise_ids, categories=categories, item=item,
            overlapping=overlapping, current_only=current_only,
        )  # fmt: skip
        if newer_than is not None:
            where.append(t.c.id > newer_than)
        if record_id is not None:
            where.append(t.c.id == record_id)
        with self._store.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(t).where(*where)).scalar_one())

    def chain(self, record_id: int) -> list[StatRecord]:
        """Every version of the record ``record_id`` belongs to, oldest first."""
        t = s.stat_record
        with self._store.begin() as conn:
            first = record_id
            while True:
                prev = conn.execute(select(t.c.supersedes_id).where(t.c.id == first)).scalar()
                if prev is None:
                    break
                first = int(prev)
            ids = [first]
            while True:
                nxt = conn.execute(select(t.c.id).where(t.c.supersedes_id == ids[-1])).scalar()
                if nxt is None:
                    break
                ids.append(int(nxt))
            rows = conn.execute(
                self._select().where(t.c.id.in_(bindparam("ids", ids, expanding=True)))
            ).all()
        by_id = {int(r.id): self._record(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]


def _owner(t: Any, enterprise_id: int | None) -> Any:
    return (
        t.c.enterprise_id.is_(None) if enterprise_id is None else t.c.enterprise_id == enterprise_id
    )
