"""Meter replacements (换表): documented events on register points, appended, never edited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, text, tuple_

from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner, _page
from lingtan.store.records import ReplacementRecord

if TYPE_CHECKING:
    from lingtan.store.core import Store

#: bound parameters per IN list (SQLite's limit is 32766; keep statements small)
_CHUNK = 500


def _record(row: Any) -> ReplacementRecord:
    return ReplacementRecord(
        id=int(row.id),
        point_id=int(row.point_id),
        enterprise_id=None if row.enterprise_id is None else int(row.enterprise_id),
        at=int(row.at),
        old_final=float(row.old_final),
        new_initial=float(row.new_initial),
        multiplier=None if row.multiplier is None else float(row.multiplier),
        note=row.note,
        source=row.source,
        recorded_by=row.recorded_by,
        recorded_at=int(row.recorded_at),
    )


class ReplacementRepo:
    """Repository of meter replacements."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def for_points(
        self, conn: Connection, point_ids: Sequence[int]
    ) -> dict[int, list[ReplacementRecord]]:
        """Every replacement of ``point_ids``, in time order, by point (normalisation)."""
        t = s.meter_replacement
        out: dict[int, list[ReplacementRecord]] = {}
        ids = sorted(set(point_ids))
        for i in range(0, len(ids), _CHUNK):
            # ids inlined (integers only): thousands of bound parameters cost more to
            # compile and bind than the query, which finds none for most points
            inline = ", ".join(str(int(p)) for p in ids[i : i + _CHUNK])
            rows = conn.execute(
                select(t).where(text(f"point_id IN ({inline})")).order_by(t.c.at)
            ).all()
            for r in rows:
                out.setdefault(int(r.point_id), []).append(_record(r))
        return out

    def existing(
        self, conn: Connection, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], ReplacementRecord]:
        """Stored replacements at the given (point id, instant) keys."""
        t = s.meter_replacement
        out: dict[tuple[int, int], ReplacementRecord] = {}
        unique = sorted(set(keys))
        for i in range(0, len(unique), _CHUNK):
            part = unique[i : i + _CHUNK]
            rows = conn.execute(select(t).where(tuple_(t.c.point_id, t.c.at).in_(part))).all()
            for r in rows:
                out[(int(r.point_id), int(r.at))] = _record(r)
        return out

    def readings_around(
        self, conn: Connection, point_id: int, at: int
    ) -> tuple[tuple[int, float] | None, tuple[int, float] | None]:
        """The last reading before ``at`` and the first at or after it, as (ts, value)."""
        r = s.reading
        before = conn.execute(
            select(r.c.ts, r.c.value)
            .where(r.c.point_id == point_id, r.c.ts < at)
            .order_by(r.c.ts.desc())
            .limit(1)
        ).first()
        after = conn.execute(
            select(r.c.ts, r.c.value)
            .where(r.c.point_id == point_id, r.c.ts >= at)
            .order_by(r.c.ts)
            .limit(1)
        ).first()
        return (
            None if before is None else (int(before.ts), float(before.value)),
            None if after is None else (int(after.ts), float(after.value)),
        )

    def insert_many(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert replacements (dicts of the table's columns but ``id``); their new ids."""
        t = s.meter_replacement
        return [
            int(conn.execute(insert(t).values(**row).returning(t.c.id)).scalar_one())
            for row in rows
        ]

    def list(
        self,
        *,
        tenant: Tenant,
        point_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[ReplacementRecord], int]:
        """Replacements in the tenant's scope (of one point when given), newest first."""
        t = s.meter_replacement
        cond = _owner(t.c.enterprise_id, tenant)
        if point_id is not None:
            cond = cond & (t.c.point_id == point_id)
        with self._store.begin() as conn:
            rows = conn.execute(
                _page(select(t).where(cond).order_by(t.c.at.desc(), t.c.id.desc()), limit, offset)
            ).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return [_record(r) for r in rows], total
