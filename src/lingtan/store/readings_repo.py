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
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, insert, select, text, update

from lingtan.store import schema as s
from lingtan.store.core import LOCK_PARTITION
from lingtan.store.records import PersistOutcome, RejectRow
from lingtan.store.rows import binary_array, write_rows
from lingtan.store.stats_repo import ranges_text
from lingtan.timeutil import from_us, next_month, to_us

if TYPE_CHECKING:
    from lingtan.store.core import Store

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
#: a queued dirty row: (id, created_at, ranges as stored)
DirtyTag = tuple[int, int, str]

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
    return [
        list(row)
        for row in zip(p[starts].tolist(), t[starts].tolist(), t[ends].tolist(), strict=True)
    ]


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
    """The plain insert met stored rows: roll it back (its savepoint on PostgreSQL, the
    transaction on SQLite) and stage the batch."""


def _stored_before(
    point_ids: I64, ts: I64, stored: list[tuple[Any, ...]], candidates: I64 | None = None
) -> tuple[list[tuple[int, int, float, float]], NDArray[np.bool_]]:
    """Conflicts (stored with another value) and the mask of rows stored before, from the
    stored matches ``(point, ts, sent, stored)`` of a batch without repeated keys;
    ``candidates``: the only rows that can be among them (all when None)."""
    conflicts = [(int(p), int(t), sent, old) for p, t, sent, old in stored if sent != old]
    before = np.zeros(len(ts), bool)
    if not stored:
        return conflicts, before
    keys = {(int(p), int(t)) for p, t, _, _ in stored}
    rows = np.arange(len(ts)) if candidates is None else candidates
    before[rows] = np.fromiter(
        ((p, t) in keys
         for p, t in zip(point_ids[rows].tolist(), ts[rows].tolist(), strict=True)),
        bool,
        len(rows),
    )  # fmt: skip
    return conflicts, before


_REJECT_COLUMNS = (
    "batch_id", "received_at", "point_code", "point_id", "ts_text", "ts", "value_text", "unit",
    "reason", "detail", "source", "raw",
)  # fmt: skip

#: rows of committed batches kept in memory for the normaliser (about 24 bytes each)
RECENT_MAX_ROWS = 1_000_000


class ReadingRepo:
    """Repository of raw readings and rejected readings.

    Two things are kept in memory for the live path, both safe with other writers:

    - each point's last stored timestamp *as this process has seen it* (a lower bound of the
      true one: it only grows from this process's commits and queries): rows after it are
      inserted without looking them up; a row another writer stored meanwhile makes the
      insert fail and the batch is staged, as before;
    - the rows of committed batches not yet normalised, keyed by their dirty-range id
      (:meth:`recent_columns`): a normalisation run whose every queued range came from this
      process reads the new readings from here instead of reading them back.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._partitions: set[int] = set()
        self._guard = threading.Lock()
        self._last: dict[int, int] = {}
        self._recent: dict[DirtyTag, tuple[I64, I64, F64]] = {}
        self._recent_rows = 0
        #: keep committed rows for this process's normaliser (off when it runs elsewhere)
        self.hold_recent = True

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
        write = self._write
        while True:
            try:
                with self._store.begin() as conn:
                    # the batch's record first: on SQLite this write opens the transaction
                    # (the write lock is held before the re-send look-up); on PostgreSQL the
                    # savepoint of the insert below lies inside it
                    batch_id = int(
                        conn.execute(
                            insert(s.ingest_batch)
                            .values(
                                source=source,
                                received_at=received_at,
                                accepted=0,
                                duplicates=0,
                                rejected=0,
                            )
                            .returning(s.ingest_batch.c.id)
                        ).scalar_one()
                    )
                    inserted, conflicts, before = write(conn, point_ids, ts, values)
                    conflict_rows: list[RejectRow] = []
                    keep = np.ones(len(ts), bool) if before is None else ~before
                    if conflicts:  # only rows stored before can conflict
                        rows = np.flatnonzero(before) if before is not None else np.arange(len(ts))
                        index = {
                            key: int(i)
                            for i, key in zip(
                                rows.tolist(),
                                zip(point_ids[rows].tolist(), ts[rows].tolist(), strict=True),
                                strict=True,
                            )
                        }
                        for pid, t, _sent, stored in conflicts:
                            i = index[(pid, t)]
                            keep[i] = False
                            conflict_rows.append(describe_conflict(i, stored))
                    all_rejects = [*rejects, *conflict_rows]
                    if all_rejects:
                        self._insert_rejects(conn, batch_id, received_at, all_rejects)
                    duplicates = len(ts) - inserted - len(conflicts)
                    conn.execute(
                        update(s.ingest_batch)
                        .where(s.ingest_batch.c.id == batch_id)
                        .values(accepted=inserted, duplicates=duplicates, rejected=len(all_rejects))
                    )
                    tag = None
                    if inserted:
                        queued = ranges_text(dirty_ranges(point_ids[keep], ts[keep]))
                        dirty_id = int(
                            conn.execute(
                                insert(s.dirty_range)
                                .values(created_at=received_at, ranges=queued)
                                .returning(s.dirty_range.c.id)
                            ).scalar_one()
                        )
                        tag = (dirty_id, received_at, queued)
                    break
            except _Restage:  # SQLite met a stored row: nothing was committed; stage the batch
                write = self._insert_staged  # which never restages
        if tag is not None:  # committed: remember what was stored
            self._remember(tag, point_ids[keep], ts[keep], values[keep])
        return PersistOutcome(batch_id, inserted, duplicates, len(conflicts))

    def _remember(self, tag: DirtyTag, point_ids: I64, ts: I64, values: F64) -> None:
        """After a commit: the points' last timestamps and the batch's rows (sorted by point
        and time, as the pipeline hands them over) for the normaliser."""
        if len(ts) > 1 and not bool(
            np.all((point_ids[1:] > point_ids[:-1])
                   | ((point_ids[1:] == point_ids[:-1]) & (ts[1:] > ts[:-1])))
        ):  # fmt: skip
            order = np.lexsort((ts, point_ids))
            point_ids, ts, values = point_ids[order], ts[order], values[order]
        starts = np.flatnonzero(np.r_[True, point_ids[1:] != point_ids[:-1]])
        ends = np.r_[starts[1:], len(point_ids)] - 1
        with self._guard:
            last = self._last
            for pid, t in zip(point_ids[ends].tolist(), ts[ends].tolist(), strict=True):
                if t > last.get(pid, -1):
                    last[pid] = t
            if not self.hold_recent:
                return
            self._recent[tag] = (point_ids, ts, values)
            self._recent_rows += len(ts)
            while self._recent_rows > RECENT_MAX_ROWS and self._recent:
                oldest = next(iter(self._recent))  # dicts keep insertion order
                self._recent_rows -= len(self._recent.pop(oldest)[1])

    def recent_columns(self, tags: Sequence[DirtyTag]) -> tuple[I64, I64, F64] | None:
        """The rows the batches of the queued rows ``tags`` (id, created_at, ranges) inserted,
        sorted by point and time, when every one of them was committed by this process and is
        still held; else None (the caller reads the store). A tag, not an id, names a batch:
        SQLite gives a new row the id of a deleted one."""
        with self._guard:
            parts = [self._recent.get(t) for t in tags]
        if not parts or any(p is None for p in parts):
            return None
        held = [p for p in parts if p is not None]
        if len(held) == 1:
            return held[0]
        pids = np.concatenate([p[0] for p in held])
        ts = np.concatenate([p[1] for p in held])
        values = np.concatenate([p[2] for p in held])
        order = np.lexsort((ts, pids))
        return pids[order], ts[order], values[order]

    def forget_recent(self, tags: Sequence[DirtyTag]) -> None:
        """Drop the held rows of normalised batches."""
        with self._guard:
            for t in tags:
                part = self._recent.pop(t, None)
                if part is not None:
                    self._recent_rows -= len(part[1])

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
        with self._guard:
            seen = [self._last.get(p) for p in points.tolist()]
        last = np.array([-1 if t is None else t for t in seen], np.int64)
        unseen = [p for p, t in zip(points.tolist(), seen, strict=True) if t is None]
        if unseen:  # points this process has not written yet: ask the store once
            rows = _fetch(
                conn,
                f"WITH w(pid) AS ({_int_values([(p,) for p in unseen])}) "
                "SELECT w.pid, (SELECT MAX(r.ts) FROM reading r WHERE r.point_id = w.pid) FROM w",
            )
            known = [(int(pid), int(latest)) for pid, latest in rows if latest is not None]
            if known:
                pids, latest = np.array(known, np.int64).T
                last[np.searchsorted(points, pids)] = latest
                with self._guard:
                    for pid, t in known:
                        if t > self._last.get(pid, -1):
                            self._last[pid] = t
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
                for p, t, v in self._stored_rows(conn, point_ids[at], ts[at], keys)
            ]
        conflicts, before = _stored_before(
            point_ids, ts, stored, np.flatnonzero(maybe) if suspects else None
        )
        fresh = ~before
        count = int(fresh.sum())
        if count and not self._insert_new(conn, point_ids[fresh], ts[fresh], values[fresh]):
            return None
        return count, conflicts, (before if stored else None)

    def _stored_rows(
        self, conn: Connection, point_ids: I64, ts: I64, keys: list[tuple[int, int]]
    ) -> list[tuple[Any, ...]]:
        """The stored (point, ts, value) of the keys given (``keys``: the same as tuples).
        PostgreSQL takes the keys as two binary arrays: a VALUES list of a few hundred keys
        cost five times the look-up to send and parse."""
        if not self._store.capabilities.supports_copy:
            return _fetch(
                conn,
                f"WITH k(pid, ts) AS ({_int_values(keys)}) SELECT r.point_id, r.ts, "
                "r.value FROM k JOIN reading r ON r.point_id = k.pid AND r.ts = k.ts",
            )
        dbapi: Any = conn.connection.driver_connection
        with dbapi.cursor() as cur:
            cur.execute(
                "SELECT r.point_id, r.ts, r.value FROM unnest(%b, %b) AS k(pid, ts) "
                "JOIN reading r ON r.point_id = k.pid AND r.ts = k.ts",
                [binary_array(point_ids), binary_array(ts)],
            )
            return [tuple(r) for r in cur.fetchall()]

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
        # SQLite: no savepoint — one costs a third of the insert (the pages it changes are
        # copied to a sub-journal). A stored row met here can only come from another process
        # that wrote the point after this process last saw it; the whole transaction is then
        # rolled back and the batch staged (see persist)
        rows = list(zip(point_ids.tolist(), ts.tolist(), values.tolist(), strict=True))
        cur = dbapi.cursor()
        try:
            cur.executemany(
                "INSERT INTO reading (point_id, ts, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
            if cur.rowcount != len(rows):
                raise _Restage
            return True
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
        # tuples through the driver's executemany (in order: ids follow arrival), not dicts
        # through SQLAlchemy's per-row processing
        write_rows(
            conn,
            s.rejected_reading,
            _REJECT_COLUMNS,
            [
                (batch_id, received_at, r.point_code, r.point_id, r.ts_text, r.ts, r.value_text,
                 r.unit, r.reason, r.detail, r.source, r.raw)
                for r in rows
            ],
            arrays=False,
        )  # fmt: skip

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

    def latest(self, point_id: int) -> tuple[int, float] | None:
        """The newest stored reading of one point (``ts``, ``value``), None when it has none."""
        q = (
            select(s.reading.c.ts, s.reading.c.value)
            .where(s.reading.c.point_id == point_id)
            .order_by(s.reading.c.ts.desc())
            .limit(1)
        )
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        return None if row is None else (int(row[0]), float(row[1]))

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
