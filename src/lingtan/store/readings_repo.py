"""Raw readings: the bulk write path, the quarantine and reads.

Write path (one transaction per batch, never a commit per reading): the rows at or before
their point's last stored reading — the only ones that can be stored already — are looked up
by key first, so re-sends are found without inserting the batch twice; the other rows go in
with ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING`` (SQLite) or binary ``COPY``
straight into the partitioned table (PostgreSQL), inside a savepoint. A batch lying mostly
at or before its points' stored ends (a backfill, a re-sent batch) is inserted whole in a
savepoint instead. Whenever an insert meets a stored key (a re-sent batch, another writer),
the savepoint is rolled back and the batch goes through a temporary staging table, compared
with the stored rows, its new rows inserted.

Re-sent rows are compared with what is stored: equal values are duplicates (idempotent
re-sends), different values are conflicts and are kept in quarantine with reason
``conflict`` — a stored reading is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, insert, select, text, update

from lingtan.store import schema as s
from lingtan.store.core import LOCK_PARTITION
from lingtan.store.records import PersistOutcome, RejectRow
from lingtan.timeutil import from_us, next_month, to_us

if TYPE_CHECKING:
    from lingtan.store.core import Store

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

#: PostgreSQL binary COPY: 11-byte signature, flags, header extension length (PG docs, "COPY")
_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_UNIQUE_VIOLATION = "23505"
_PG_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_PG_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("len_point", ">i4"),
        ("point_id", ">i8"),
        ("len_ts", ">i4"),
        ("ts", ">i8"),
        ("len_value", ">i4"),
        ("value", ">f8"),
    ]
)


def pg_copy_payload(point_ids: I64, ts: I64, values: F64) -> bytes:
    """Rows (bigint, bigint, float8) in PostgreSQL's binary COPY format, built vectorised."""
    rows = np.empty(len(point_ids), _PG_ROW)
    rows["fields"] = 3
    rows["len_point"] = 8
    rows["point_id"] = point_ids
    rows["len_ts"] = 8
    rows["ts"] = ts
    rows["len_value"] = 8
    rows["value"] = values
    return _PG_COPY_HEADER + rows.tobytes() + _PG_COPY_TRAILER


def dirty_ranges(point_ids: I64, ts: I64) -> list[list[int]]:
    """``[[point_id, min_ts, max_ts], …]`` for the rows given (sorted here unless they already
    are in (point, time) order, as the ingest pipeline sends them)."""
    if len(point_ids) == 0:
        return []
    p, t = point_ids, ts
    in_order = bool(np.all((p[1:] > p[:-1]) | ((p[1:] == p[:-1]) & (t[1:] >= t[:-1]))))
    if not in_order:
        order = np.lexsort((ts, point_ids))
        p, t = point_ids[order], ts[order]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    ends = np.r_[starts[1:], len(p)] - 1
    return [[int(a), int(b), int(c)] for a, b, c in zip(p[starts], t[starts], t[ends], strict=True)]


def _int_values(rows: Sequence[tuple[int, ...]]) -> str:
    """A VALUES list of integer tuples; refuses anything but ints (the SQL is built from it)."""
    parts = []
    for row in rows:
        if not all(type(x) is int for x in row):
            raise TypeError(f"integer tuples only, got {row!r}")
        parts.append("(" + ", ".join(str(x) for x in row) + ")")
    return "VALUES " + ", ".join(parts)


def _fetch(conn: Connection, sql: str) -> list[tuple[Any, ...]]:
    """Rows of SQL built only from integers this module generated (no user text)."""
    dbapi: Any = conn.connection.driver_connection
    cur = dbapi.cursor()
    try:
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        cur.close()


class _Restage(Exception):
    """The plain insert met stored rows: roll it back and stage the batch."""


def _stored_before(
    point_ids: I64, ts: I64, stored: list[tuple[Any, ...]]
) -> tuple[list[tuple[int, int, float, float]], NDArray[np.bool_]]:
    """Conflicts (stored with another value) and the mask of rows stored before, from the
    stored matches ``(point, ts, sent, stored)`` of a batch without repeated keys."""
    conflicts = [(int(p), int(t), sent, old) for p, t, sent, old in stored if sent != old]
    keys = {(int(p), int(t)) for p, t, _, _ in stored}
    before = np.fromiter(
        ((p, t) in keys for p, t in zip(point_ids.tolist(), ts.tolist(), strict=True)),
        bool,
        len(ts),
    )
    return conflicts, before


class ReadingRepo:
    """Repository of raw readings and rejected readings."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._partitions: set[int] = set()

    # -- write ------------------------------------------------------------------------------
    def persist(
        self,
        *,
        point_ids: I64,
        ts: I64,
        values: F64,
        rejects: Sequence[RejectRow],
        source: str,
        received_at: int,
        describe_conflict: Callable[[int, float], RejectRow],
    ) -> PersistOutcome:
        """Store a validated batch (unique keys) and its rejects in one transaction.

        ``describe_conflict(i, stored_value)`` makes the quarantine row for row ``i`` of the
        batch when a different value is already stored for its key.
        """
        if self._store.capabilities.supports_partitions and len(ts):
            self._ensure_partitions(ts)
        with self._store.begin() as conn:
            batch_id = int(
                conn.execute(
                    insert(s.ingest_batch)
                    .values(
                        source=source, received_at=received_at, accepted=0, duplicates=0, rejected=0
                    )
                    .returning(s.ingest_batch.c.id)
                ).scalar_one()
            )
            inserted, conflicts, before = self._write(conn, point_ids, ts, values)
            conflict_rows: list[RejectRow] = []
            keep = np.ones(len(ts), bool) if before is None else ~before
            if conflicts:
                index = {
                    key: i
                    for i, key in enumerate(zip(point_ids.tolist(), ts.tolist(), strict=True))
                }
                for pid, t, _sent, stored in conflicts:
                    i = index[(pid, t)]
                    keep[i] = False
                    conflict_rows.append(describe_conflict(i, stored))
            all_rejects = [*rejects, *conflict_rows]
            if all_rejects:
                self._insert_rejects(conn, batch_id, received_at, all_rejects)
            if inserted:
                ranges = dirty_ranges(point_ids[keep], ts[keep])
                conn.execute(
                    insert(s.dirty_range).values(created_at=received_at, ranges=json.dumps(ranges))
                )
            duplicates = len(ts) - inserted - len(conflicts)
            conn.execute(
                update(s.ingest_batch)
                .where(s.ingest_batch.c.id == batch_id)
                .values(accepted=inserted, duplicates=duplicates, rejected=len(all_rejects))
            )
        return PersistOutcome(batch_id, inserted, duplicates, len(conflicts))

    def _write(
        self, conn: Connection, point_ids: I64, ts: I64, values: F64
    ) -> tuple[int, list[tuple[int, int, float, float]], NDArray[np.bool_] | None]:
        """Insert new rows; return (inserted, conflicts as (point, ts, sent, stored), and which
        rows were stored before — re-sends, identical or not — or None when none was).

        Rows stored before are found only when the plain insert meets one: the batch is then
        staged, compared with the stored rows and only its new rows inserted. Re-sent rows
        must not mark their hours dirty: a re-send of the last readings would send a point
        that continues from its normalisation state back to the recompute path."""
        n = len(ts)
        if n == 0:
            return 0, [], None
        found = self._insert_checked(conn, point_ids, ts, values)
        if found is not None:
            return found
        # mostly at or before the stored ends: a backfill of late data (new rows, insert them
        # as they are) or a re-sent batch (the insert meets a stored row: stage it)
        if self._insert_new(conn, point_ids, ts, values):
            return n, [], None
        return self._insert_staged(conn, point_ids, ts, values)

    def _insert_checked(
        self, conn: Connection, point_ids: I64, ts: I64, values: F64
    ) -> tuple[int, list[tuple[int, int, float, float]], NDArray[np.bool_] | None] | None:
        """The batch's re-sends found before inserting: only a row at or before its point's
        last stored reading can be one, and those few are looked up by key; the new rows are
        then inserted alone. A live feed re-sends a little in most batches, and inserting the
        whole batch only to roll it back and stage it cost twice the insert. None (nothing
        written) when most of the batch lies at or before its points' last stored readings,
        or when the insert still met a stored row (another writer)."""
        n = len(ts)
        points = np.unique(point_ids)
        last = np.full(len(points), -1, np.int64)
        rows = _fetch(
            conn,
            f"WITH w(pid) AS ({_int_values([(int(p),) for p in points.tolist()])}) "
            "SELECT w.pid, (SELECT MAX(r.ts) FROM reading r WHERE r.point_id = w.pid) FROM w",
        )
        known = [(int(pid), int(latest)) for pid, latest in rows if latest is not None]
        if known:
            pids, latest = np.array(known, np.int64).T
            last[np.searchsorted(points, pids)] = latest
        maybe = ts <= last[np.searchsorted(points, point_ids)]
        suspects = int(maybe.sum())
        if suspects > n // 2:
            return None
        stored: list[tuple[Any, ...]] = []
        if suspects:
            at = np.flatnonzero(maybe)
            keys = list(zip(point_ids[at].tolist(), ts[at].tolist(), strict=True))
            sent = dict(zip(keys, values[at].tolist(), strict=True))
            stored = [
                (p, t, sent[(int(p), int(t))], v)
                for p, t, v in _fetch(
                    conn,
                    f"WITH k(pid, ts) AS ({_int_values(keys)}) SELECT r.point_id, r.ts, "
                    "r.value FROM k JOIN reading r ON r.point_id = k.pid AND r.ts = k.ts",
                )
            ]
        conflicts, before = _stored_before(point_ids, ts, stored)
        fresh = ~before
        count = int(fresh.sum())
        if count and not self._insert_new(conn, point_ids[fresh], ts[fresh], values[fresh]):
            return None
        return count, conflicts, (before if stored else None)

    def _insert_new(self, conn: Connection, point_ids: I64, ts: I64, values: F64) -> bool:
        """Insert rows believed new in a savepoint; False (rolled back) when one was stored."""
        dbapi: Any = conn.connection.driver_connection
        if self._store.capabilities.supports_copy:
            try:
                with conn.begin_nested(), dbapi.cursor() as cur:
                    with cur.copy(
                        "COPY reading (point_id, ts, value) FROM STDIN (FORMAT BINARY)"
                    ) as cp:
                        cp.write(pg_copy_payload(point_ids, ts, values))
                return True
            except Exception as err:
                if getattr(err, "sqlstate", None) != _UNIQUE_VIOLATION:
                    raise
                return False
        rows = list(zip(point_ids.tolist(), ts.tolist(), values.tolist(), strict=True))
        cur = dbapi.cursor()
        try:
            with conn.begin_nested():
                cur.executemany(
                    "INSERT INTO reading (point_id, ts, value) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    rows,
                )
                if cur.rowcount != len(rows):
                    raise _Restage
            return True
        except _Restage:
            return False
        finally:
            cur.close()

    def _insert_staged(
        self, conn: Connection, point_ids: I64, ts: I64, values: F64
    ) -> tuple[int, list[tuple[int, int, float, float]], NDArray[np.bool_] | None]:
        """The batch through a staging table: compared with the stored rows, its new rows
        inserted."""
        dbapi: Any = conn.connection.driver_connection
        if self._store.capabilities.supports_copy:
            payload = pg_copy_payload(point_ids, ts, values)
            with dbapi.cursor() as cur:
                cur.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS reading_stage "
                    "(point_id BIGINT, ts BIGINT, value DOUBLE PRECISION) ON COMMIT DELETE ROWS"
                )
                cur.execute("TRUNCATE reading_stage")
                with cur.copy(
                    "COPY reading_stage (point_id, ts, value) FROM STDIN (FORMAT BINARY)"
                ) as cp:
                    cp.write(payload)
                cur.execute(
                    "SELECT s.point_id, s.ts, s.value, r.value FROM reading_stage s "
                    "JOIN reading r ON r.point_id = s.point_id AND r.ts = s.ts"
                )
                stored = [tuple(r) for r in cur.fetchall()]
                cur.execute(
                    "INSERT INTO reading (point_id, ts, value) SELECT point_id, ts, value "
                    "FROM reading_stage ON CONFLICT DO NOTHING"
                )
                inserted = cur.rowcount
            return inserted, *_stored_before(point_ids, ts, stored)
        rows = list(zip(point_ids.tolist(), ts.tolist(), values.tolist(), strict=True))
        cur = dbapi.cursor()
        try:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS reading_stage (point_id INTEGER, ts INTEGER, value REAL)"
            )
            cur.execute("DELETE FROM reading_stage")
            cur.executemany("INSERT INTO reading_stage VALUES (?, ?, ?)", rows)
            cur.execute(
                "SELECT s.point_id, s.ts, s.value, r.value FROM reading_stage s "
                "JOIN reading r ON r.point_id = s.point_id AND r.ts = s.ts"
            )
            stored = [tuple(r) for r in cur.fetchall()]
            cur.execute("DELETE FROM reading_stage")
            conflicts, before = _stored_before(point_ids, ts, stored)
            fresh = [row for row, old in zip(rows, before.tolist(), strict=True) if not old]
            cur.executemany("INSERT INTO reading (point_id, ts, value) VALUES (?, ?, ?)", fresh)
            return len(fresh), conflicts, before
        finally:
            cur.close()

    def _ensure_partitions(self, ts: I64) -> None:
        """Create the monthly (UTC) partitions the batch needs, once per process."""
        month = from_us(int(ts.min())).date().replace(day=1)
        last = from_us(int(ts.max())).date().replace(day=1)
        wanted: set[int] = set()
        while month <= last:
            wanted.add(month.year * 100 + month.month)
            month = next_month(month)
        missing = sorted(wanted - self._partitions)
        if not missing:
            return
        with self._store.begin() as conn:
            self._store.lock(conn, LOCK_PARTITION)
            for ym in missing:
                first = dt.date(ym // 100, ym % 100, 1)
                start = to_us(dt.datetime(first.year, first.month, 1, tzinfo=dt.UTC))
                nxt = next_month(first)
                end = to_us(dt.datetime(nxt.year, nxt.month, 1, tzinfo=dt.UTC))
                conn.execute(
                    text(
                        f"CREATE TABLE IF NOT EXISTS reading_p{ym} PARTITION OF reading "
                        f"FOR VALUES FROM ({start}) TO ({end})"
                    )
                )
        self._partitions.update(missing)

    def _insert_rejects(
        self, conn: Connection, batch_id: int, received_at: int, rows: Sequence[RejectRow]
    ) -> None:
        conn.execute(
            insert(s.rejected_reading),
            [
                {
                    "batch_id": batch_id,
                    "received_at": received_at,
                    "point_code": r.point_code,
                    "point_id": r.point_id,
                    "ts_text": r.ts_text,
                    "ts": r.ts,
                    "value_text": r.value_text,
                    "unit": r.unit,
                    "reason": r.reason,
                    "detail": r.detail,
                    "source": r.source,
                    "raw": r.raw,
                }
                for r in rows
            ],
        )

    # -- read -------------------------------------------------------------------------------
    def fetch(
        self, point_id: int, start: int | None = None, end: int | None = None
    ) -> tuple[I64, F64]:
        """Readings of one point with ``start <= ts < end``, in time order."""
        q = select(s.reading.c.ts, s.reading.c.value).where(s.reading.c.point_id == point_id)
        if start is not None:
            q = q.where(s.reading.c.ts >= start)
        if end is not None:
            q = q.where(s.reading.c.ts < end)
        with self._store.begin() as conn:
            rows = conn.execute(q.order_by(s.reading.c.ts)).all()
        return np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.float64)

    def count(self) -> int:
        """Number of stored readings."""
        with self._store.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(s.reading)).scalar_one())

    def rejected(
        self,
        *,
        point_ids: Sequence[int] | None = None,
        include_unknown_points: bool = True,
        reason: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Rejected readings, newest first; ``point_ids`` scopes them to a tenant's points.

        Readings naming an unknown point have no owner; only a park-wide caller
        (``include_unknown_points``) sees them.
        """
        t = s.rejected_reading
        q = select(t).order_by(t.c.id.desc()).limit(limit).offset(offset)
        if point_ids is not None:
            cond = t.c.point_id.in_(list(point_ids))
            q = q.where(cond | t.c.point_id.is_(None)) if include_unknown_points else q.where(cond)
        if reason is not None:
            q = q.where(t.c.reason == reason)
        with self._store.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(q).all()]

    def rejected_count(self, reason: str | None = None) -> int:
        """Number of rejected readings (optionally of one reason)."""
        q = select(func.count()).select_from(s.rejected_reading)
        if reason is not None:
            q = q.where(s.rejected_reading.c.reason == reason)
        with self._store.begin() as conn:
            return int(conn.execute(q).scalar_one())
