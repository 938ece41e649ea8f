"""Statistics: the dirty-interval queue, hourly/daily statistics with history, rollups.

Rollups are kept in the transaction that writes what they sum. The recomputation path
recomputes them for the periods touched from the level below (so after late data a rollup
equals a recomputation from scratch); hours that only grew — points the incremental normaliser
continued — add their growth to their days and months instead
(:meth:`StatsRepo.grow_days_many`, equal to a recomputation up to float rounding):

* ``stat_day`` from ``stat_hour`` (:meth:`StatsRepo.refresh_days_many`), and with it
  ``stat_month`` from ``stat_day`` for the months of those days (park local calendar months);
* ``stat_hour_carrier`` from ``stat_hour`` of the owner's boundary points, all series of a
  run in a few statements (:meth:`StatsRepo.refresh_carriers`), and with it
  ``stat_month_carrier`` for the local months of those hours, each month row with its hourly
  rows packed (hour starts and values, for hourly-factor accounting; migration 0011).

Readers of whole months take the monthly rows and read days or hours only for the parts of a
period that are not whole months (:meth:`StatsRepo.point_periods`, :meth:`StatsRepo.whole_months`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import msgspec
import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, bindparam, delete, func, insert, select, text

from lingtan.store import schema as s
from lingtan.store.records import PointDayRow, PointPeriodRow
from lingtan.store.rows import binary_array, write_columns, write_rows
from lingtan.timeutil import local_date, local_day_start_us, next_month

if TYPE_CHECKING:
    from lingtan.store.core import Store

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

STAT_FIELDS = (
    "value",
    "mean",
    "min",
    "max",
    "measured_s",
    "estimated_s",
    "missing_s",
    "flags",
    "n",
)
HOUR_S = 3600.0
#: bits of ``Flag`` (lingtan.normalize.quality) or-ed by the aggregates done in SQL
_FLAG_BITS = 16


class StatColumns(Protocol):
    """Column arrays of consecutive periods (what :mod:`lingtan.normalize` produces)."""

    @property
    def hours(self) -> I64: ...
    @property
    def value(self) -> F64: ...
    @property
    def mean(self) -> F64: ...
    @property
    def min(self) -> F64: ...
    @property
    def max(self) -> F64: ...
    @property
    def measured_s(self) -> F64: ...
    @property
    def estimated_s(self) -> F64: ...
    @property
    def missing_s(self) -> F64: ...
    @property
    def flags(self) -> I64: ...
    @property
    def n(self) -> I64: ...


_EMPTY_I: I64 = np.empty(0, np.int64)
_EMPTY_F: F64 = np.empty(0, np.float64)


#: the dirty queue's ranges ``[[point_id, lo, hi], …]`` as JSON text; msgspec parses a
#: batch's thousand ranges about ten times faster than ``json.loads``
_RANGES_DECODER = msgspec.json.Decoder(list[tuple[int, int, int]])


def ranges_text(ranges: Sequence[Sequence[int]]) -> str:
    """``[[point_id, lo, hi], …]`` as the queue's JSON text."""
    return msgspec.json.encode(ranges).decode()


def merge_ranges(texts: Sequence[str]) -> dict[int, tuple[int, int]]:
    """The queued ranges of several rows (their JSON texts) merged per point: the earliest
    ``lo`` and the latest ``hi`` of each point."""
    parts = [np.array(_RANGES_DECODER.decode(t), np.int64).reshape(-1, 3) for t in texts]
    if not parts:
        return {}
    table = np.concatenate(parts)
    if not len(table):
        return {}
    table = table[np.argsort(table[:, 0], kind="stable")]
    starts = np.flatnonzero(np.r_[True, table[1:, 0] != table[:-1, 0]])
    lo = np.minimum.reduceat(table[:, 1], starts)
    hi = np.maximum.reduceat(table[:, 2], starts)
    return dict(
        zip(table[starts, 0].tolist(), zip(lo.tolist(), hi.tolist(), strict=True), strict=True)
    )


def _values(rows: Sequence[tuple[int, ...]]) -> str:
    """A VALUES list of integer tuples; refuses anything but ints (the SQL is built from it)."""
    if {type(x) for row in rows for x in row} - {int}:
        bad = next(row for row in rows if not all(type(x) is int for x in row))
        raise TypeError(f"integer tuples only, got {bad!r}")
    return ", ".join(["(" + ", ".join(map(str, row)) + ")" for row in rows])


def _nullable(a: F64) -> list[float | None]:
    return [None if x != x else x for x in a.tolist()]  # NaN → NULL


#: rows above which an upsert on PostgreSQL goes through COPY into a staging table (a rebuild)
#: rather than one statement of arrays (a normaliser's batch)
_COPY_ROWS = 20_000
_HOUR_COLUMNS = ("point_id", "hour", *STAT_FIELDS, "computed_at")


def _hour_tuples_many(
    items: Sequence[tuple[int, StatColumns]], *, now: int
) -> list[tuple[Any, ...]]:
    """Rows (point, hour, *STAT_FIELDS, computed_at) of several points (NaN → NULL),
    converted column by column all at once: a live feed writes a few rows for each of
    thousands of points."""
    sizes = [len(st.hours) for _, st in items]

    def cat(name: str) -> Any:
        return np.concatenate([getattr(st, name) for _, st in items])

    n = sum(sizes)
    return list(
        zip(
            np.repeat(np.array([pid for pid, _ in items], np.int64), sizes).tolist(),
            cat("hours").tolist(),
            _nullable(cat("value")),
            _nullable(cat("mean")),
            _nullable(cat("min")),
            _nullable(cat("max")),
            cat("measured_s").tolist(),
            cat("estimated_s").tolist(),
            cat("missing_s").tolist(),
            cat("flags").tolist(),
            cat("n").tolist(),
            [now] * n,
            strict=True,
        )
    )


def _floats(values: Iterable[Any]) -> F64:
    return np.array([np.nan if v is None else v for v in values], np.float64)


_EPOCH_DAY = dt.date(1970, 1, 1)


@functools.lru_cache(maxsize=4096)
def _midnight_us(zone: str, day: int) -> int:
    """Epoch µs of local midnight starting local day number ``day`` in ``zone``."""
    return local_day_start_us(_EPOCH_DAY + dt.timedelta(days=day), ZoneInfo(zone))


def month_days(days: I64) -> tuple[I64, I64]:
    """The calendar months holding local day numbers ``days``: the day numbers of each
    month's 1st and of the next month's 1st, sorted, without repeats."""
    months = np.unique(np.asarray(days, np.int64).astype("datetime64[D]").astype("datetime64[M]"))
    firsts = months.astype("datetime64[D]").astype(np.int64)
    ends = (months + 1).astype("datetime64[D]").astype(np.int64)
    return firsts, ends


def local_months_us(zone: ZoneInfo, h0: int, h1: int) -> list[tuple[int, int]]:
    """[start, end) in epoch µs of the local calendar months of ``zone`` overlapping [h0, h1)."""
    out: list[tuple[int, int]] = []
    first = local_date(h0, zone).replace(day=1)
    start = local_day_start_us(first, zone)
    while start < h1:
        first = next_month(first)
        end = local_day_start_us(first, zone)
        out.append((start, end))
        start = end
    return out


class _Periods:
    """Statistics rows of several points — (point, period, value, mean, min, max, measured_s,
    estimated_s, flags, n), ordered by point and period — summarised over longer periods
    (hours into days, days into months), all points at once with numpy."""

    def __init__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        # one float table (NULL → NaN); periods are day numbers or hour starts in µs, both
        # exact in float64 (< 2**53), as are flags and reading counts
        self._table = np.array(rows, np.float64).reshape(-1, 10)
        self._t = self._table[:, 1].astype(np.int64)
        pids = self._table[:, 0].astype(np.int64)
        found, first = np.unique(pids, return_index=True)
        bounds = np.append(first, len(pids)).tolist()
        self._points = {int(p): (bounds[i], bounds[i + 1]) for i, p in enumerate(found.tolist())}
        self._rows: list[I64] = []
        self._counts: list[I64] = []

    def add(self, point_id: int, starts: I64, ends: I64) -> None:
        """Longer periods [starts[j], ends[j]) of a point, in order and not overlapping."""
        a, b = self._points.get(point_id, (0, 0))
        t = self._t[a:b]
        lo = a + np.searchsorted(t, starts)
        counts = a + np.searchsorted(t, ends) - lo
        total = int(counts.sum())
        before = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self._rows.append(np.arange(total, dtype=np.int64) + np.repeat(lo - before, counts))
        self._counts.append(counts.astype(np.int64))

    def summaries(self, seconds: F64) -> dict[str, list[Any]]:
        """Columns of the periods added, in order, each of ``seconds``: values summed (NULL
        when no row has one), the mean weighted by readings, min and max of the rows, time
        measured and estimated summed and the rest of the period missing, flags or-ed,
        readings summed; ``rows`` is the number of rows summed."""
        counts = np.concatenate(self._counts) if self._counts else np.empty(0, np.int64)
        rows = np.concatenate(self._rows) if self._rows else np.empty(0, np.int64)
        tab = self._table[rows]
        some = counts > 0
        # rows are grouped by period in order: reduce each non-empty period's run of rows
        at = np.concatenate(([0], np.cumsum(counts)[:-1]))[some]

        def reduce(ufunc: Any, column: Any, empty: float) -> F64:
            out = np.full(len(counts), empty, np.float64)
            if len(at):
                out[some] = ufunc.reduceat(column, at)
            return out

        value, mean, lo, hi = tab[:, 2], tab[:, 3], tab[:, 4], tab[:, 5]
        n = tab[:, 9]
        has_v, has_m = ~np.isnan(value), ~np.isnan(mean)
        with_v = reduce(np.add, has_v.astype(np.float64), 0.0) > 0
        value_sum = reduce(np.add, np.where(has_v, value, 0.0), 0.0)
        weight = reduce(np.add, np.where(has_m, n, 0.0), 0.0)
        weighted = reduce(np.add, np.where(has_m, mean * n, 0.0), 0.0)
        with_m = reduce(np.add, has_m.astype(np.float64), 0.0) > 0
        lows = reduce(np.fmin, lo, np.nan)
        highs = reduce(np.fmax, hi, np.nan)
        measured = reduce(np.add, tab[:, 6], 0.0)
        estimated = reduce(np.add, tab[:, 7], 0.0)
        flags = np.zeros(len(counts), np.int64)
        if len(at):
            flags[some] = np.bitwise_or.reduceat(tab[:, 8].astype(np.int64), at)

        def known(values: F64, mask: NDArray[np.bool_]) -> list[float | None]:
            return [v if k else None for v, k in zip(values.tolist(), mask.tolist(), strict=True)]

        return {
            "value": known(value_sum, with_v),
            "mean": known(
                np.divide(weighted, weight, where=weight > 0, out=weight.copy()), weight > 0
            ),
            "min": known(lows, with_m),
            "max": known(highs, with_m),
            "measured_s": measured.tolist(),
            "estimated_s": estimated.tolist(),
            "missing_s": np.maximum(0.0, seconds - measured - estimated).tolist(),
            "flags": flags.tolist(),
            "n": reduce(np.add, n, 0.0).astype(np.int64).tolist(),
            "rows": counts.tolist(),
        }


def _records(
    columns: dict[str, list[Any]], computed_at: int, **keys: list[Any]
) -> list[dict[str, Any]]:
    """Rows (dicts) from key columns and statistics columns of the same length."""
    columns = {k: v for k, v in columns.items() if k != "rows"}
    names = [*keys, *columns, "computed_at"]
    return [
        dict(zip(names, (*values, computed_at), strict=True))
        for values in zip(*keys.values(), *columns.values(), strict=True)
    ]


class StatsRepo:
    """Repository of statistics and of the normalisation queue."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _upsert(
        self, conn: Connection, table: Any, keys: Sequence[str], rows: list[dict[str, Any]]
    ) -> None:
        """Insert or update ``rows`` (dicts with the same keys) on the ``keys`` conflict."""
        if not rows:
            return
        columns = list(rows[0])
        self._upsert_tuples(
            conn, table, columns, keys, [tuple(r[c] for c in columns) for r in rows]
        )

    def _upsert_tuples(
        self,
        conn: Connection,
        table: Any,
        columns: Sequence[str],
        keys: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """:meth:`_upsert` of tuples in the order of ``columns``."""
        if not rows:
            return
        if self._store.capabilities.supports_copy and len(rows) > _COPY_ROWS:
            self._upsert_copy(conn, table.name, columns, keys, rows)
            return
        write_rows(
            conn, table, columns, rows, conflict=keys, arrays=self._store.capabilities.supports_copy
        )

    def _upsert_copy(
        self,
        conn: Connection,
        name: str,
        columns: Sequence[str],
        keys: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT DO UPDATE."""
        col_list = ", ".join(columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
        stage = f"stage_{name}"
        dbapi: Any = conn.connection.driver_connection
        with dbapi.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {name}) ON COMMIT DELETE ROWS"
            )
            cur.execute(f"TRUNCATE {stage}")
            with cur.copy(f"COPY {stage} ({col_list}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
            cur.execute(
                f"INSERT INTO {name} ({col_list}) SELECT {col_list} FROM {stage} "
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
            )

    # -- dirty queue ------------------------------------------------------------------------
    def take_dirty(self, conn: Connection) -> tuple[list[int], dict[int, tuple[int, int]]]:
        """Pending dirty rows and their ranges merged per point."""
        ids, merged, _ = self.take_dirty_tagged(conn)
        return ids, merged

    def take_dirty_tagged(
        self, conn: Connection
    ) -> tuple[list[int], dict[int, tuple[int, int]], list[tuple[int, int, str]]]:
        """:meth:`take_dirty` and each row's tag ``(id, created_at, ranges)``: an id alone
        does not name a row for long (SQLite reuses the ids of deleted rows)."""
        rows = conn.execute(
            select(s.dirty_range.c.id, s.dirty_range.c.created_at, s.dirty_range.c.ranges).order_by(
                s.dirty_range.c.id
            )
        ).all()
        tags = [(int(r.id), int(r.created_at), str(r.ranges)) for r in rows]
        return [r.id for r in rows], merge_ranges([t[2] for t in tags]), tags

    def pending_dirty(self) -> int:
        """Number of queued dirty rows."""
        with self._store.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(s.dirty_range)).scalar_one())

    def delete_dirty(self, conn: Connection, ids: Sequence[int]) -> None:
        """Remove processed dirty rows."""
        for i in range(0, len(ids), 500):
            conn.execute(delete(s.dirty_range).where(s.dirty_range.c.id.in_(ids[i : i + 500])))

    def mark_dirty(self, conn: Connection, ranges: list[list[int]], *, now: int) -> None:
        """Queue ``[[point_id, lo, hi], …]`` for recomputation."""
        if ranges:
            conn.execute(insert(s.dirty_range).values(created_at=now, ranges=ranges_text(ranges)))

    def mark_full_range_dirty(
        self, conn: Connection, point_ids: Sequence[int], *, now: int
    ) -> None:
        """Queue the whole history of points (readings and meter replacements, or statistics
        for virtual points)."""
        ranges: list[list[int]] = []
        for pid in point_ids:
            lo, hi = conn.execute(
                select(func.min(s.reading.c.ts), func.max(s.reading.c.ts)).where(
                    s.reading.c.point_id == pid
                )
            ).one()
            # a replacement before the first reading or after the last bounds spans of its own
            # (the new meter counted from its initial value, the old one up to its final value)
            first, last = conn.execute(
                select(
                    func.min(s.meter_replacement.c.at), func.max(s.meter_replacement.c.at)
                ).where(s.meter_replacement.c.point_id == pid)
            ).one()
            if first is not None:
                lo = first if lo is None else min(lo, first)
                hi = last if hi is None else max(hi, last)
            if lo is None:
                lo, hi = conn.execute(
                    select(func.min(s.stat_hour.c.hour), func.max(s.stat_hour.c.hour)).where(
                        s.stat_hour.c.point_id == pid
                    )
                ).one()
            if lo is not None:
                ranges.append([pid, int(lo), int(hi)])
        self.mark_dirty(conn, ranges, now=now)

    # -- raw windows ------------------------------------------------------------------------
    def _raw(self, conn: Connection, sql: str) -> list[tuple[Any, ...]]:
        """Run SQL built only from integers this module generated (no user text)."""
        dbapi: Any = conn.connection.driver_connection
        cur = dbapi.cursor()
        try:
            cur.execute(sql)
            return list(cur.fetchall())
        finally:
            cur.close()

    def neighbours_many(
        self,
        conn: Connection,
        ranges: Sequence[tuple[int, int, int]],
        *,
        upper_inclusive: bool = False,
        depth: int = 1,
    ) -> dict[int, tuple[int | None, int | None]]:
        """Per (point, lo, hi): the time of the ``depth``-th reading before ``lo`` and of the
        ``depth``-th after ``hi`` (at or after ``hi`` with ``upper_inclusive``), or of the
        farthest there is when fewer; None when there is none."""
        if not ranges:
            return {}
        after = ">=" if upper_inclusive else ">"
        if depth == 1:
            below = "(SELECT MAX(r.ts) FROM reading r WHERE r.point_id = w.pid AND r.ts < w.lo)"
            above = (
                f"(SELECT MIN(r.ts) FROM reading r WHERE r.point_id = w.pid AND r.ts {after} w.hi)"
            )
        else:
            skip = int(depth) - 1
            below = (
                "COALESCE((SELECT r.ts FROM reading r WHERE r.point_id = w.pid AND r.ts < w.lo "
                f"ORDER BY r.ts DESC LIMIT 1 OFFSET {skip}), "
                "(SELECT MIN(r.ts) FROM reading r WHERE r.point_id = w.pid AND r.ts < w.lo))"
            )
            above = (
                "COALESCE((SELECT r.ts FROM reading r WHERE r.point_id = w.pid "
                f"AND r.ts {after} w.hi ORDER BY r.ts LIMIT 1 OFFSET {skip}), "
                f"(SELECT MAX(r.ts) FROM reading r WHERE r.point_id = w.pid AND r.ts {after} w.hi))"
            )
        rows = self._raw(
            conn,
            f"WITH w(pid, lo, hi) AS (VALUES {_values(ranges)}) SELECT w.pid, {below}, {above} FROM w",
        )
        return {
            int(pid): (None if a is None else int(a), None if b is None else int(b))
            for pid, a, b in rows
        }

    def first_seen(self, conn: Connection, ranges: Sequence[tuple[int, int, int]]) -> set[int]:
        """Of (point, lo, hi): the points whose every stored reading lies in ``[lo, hi]`` and
        that have no hourly statistics yet — points seen for the first time. A reading that
        was normalised before always left hours (a recomputation writes every hour of its
        window), so the readings of such a point are exactly the queued ones. Three index
        seeks per point."""
        if not ranges:
            return set()
        rows = self._raw(
            conn,
            f"WITH w(pid, lo, hi) AS (VALUES {_values(ranges)}) SELECT w.pid FROM w "
            "WHERE NOT EXISTS (SELECT 1 FROM reading r WHERE r.point_id = w.pid AND r.ts < w.lo) "
            "AND NOT EXISTS (SELECT 1 FROM reading r WHERE r.point_id = w.pid AND r.ts > w.hi) "
            "AND NOT EXISTS (SELECT 1 FROM stat_hour h WHERE h.point_id = w.pid)",
        )
        return {int(pid) for (pid,) in rows}

    def windows_many(
        self, conn: Connection, ranges: Sequence[tuple[int, int, int]]
    ) -> dict[int, tuple[I64, F64]]:
        """Readings with ``lo <= ts < hi`` per (point, lo, hi), in time order, in one query."""
        out: dict[int, tuple[I64, F64]] = {pid: (_EMPTY_I, _EMPTY_F) for pid, _, _ in ranges}
        if not ranges:
            return out
        if self._store.capabilities.supports_copy:
            out.update(self._windows_pg(conn, ranges))
            return out
        # SQLite: the WITHOUT ROWID table is clustered on (point_id, ts): one range per point
        rows = self._raw(
            conn,
            f"WITH w(pid, lo, hi) AS (VALUES {_values(ranges)}) "
            "SELECT r.point_id, r.ts, r.value FROM w JOIN reading r "
            "ON r.point_id = w.pid AND r.ts >= w.lo AND r.ts < w.hi ORDER BY r.point_id, r.ts",
        )
        pids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        ts = np.fromiter((r[1] for r in rows), np.int64, len(rows))
        values = np.fromiter((r[2] for r in rows), np.float64, len(rows))
        if len(pids) == 0:
            return out
        cuts = np.flatnonzero(np.diff(pids)) + 1
        for part_p, part_t, part_v in zip(
            np.split(pids, cuts), np.split(ts, cuts), np.split(values, cuts), strict=True
        ):
            out[int(part_p[0])] = (part_t, part_v)
        return out

    def _windows_pg(
        self, conn: Connection, ranges: Sequence[tuple[int, int, int]]
    ) -> dict[int, tuple[I64, F64]]:
        """PostgreSQL: one row per point carrying its timestamps and values packed as binary
        (``int8send``/``float8send`` aggregated with ``string_agg``), decoded with numpy — no
        Python object per reading. Both aggregates see the rows in the same order; the points'
        series are sorted here, so the server needs no sort."""
        rows = self._raw(
            conn,
            "SELECT r.point_id, string_agg(int8send(r.ts), ''::bytea), "
            "string_agg(float8send(r.value), ''::bytea) "
            f"FROM (VALUES {_values(ranges)}) AS w(pid, lo, hi) JOIN reading r "
            "ON r.point_id = w.pid AND r.ts >= w.lo AND r.ts < w.hi GROUP BY r.point_id",
        )
        out: dict[int, tuple[I64, F64]] = {}
        for pid, ts_bytes, value_bytes in rows:
            ts = np.frombuffer(ts_bytes, ">i8").astype(np.int64)
            values = np.frombuffer(value_bytes, ">f8").astype(np.float64)
            order = np.argsort(ts, kind="stable")
            out[int(pid)] = (ts[order], values[order])
        return out

    # -- hourly -----------------------------------------------------------------------------
    def write_hours(self, conn: Connection, point_id: int, stats: StatColumns, *, now: int) -> int:
        """Upsert one point's hourly rows (see :meth:`write_hours_many`)."""
        return self.write_hours_many(conn, [(point_id, stats)], now=now)

    def write_growing_hours(
        self, conn: Connection, point_ids: I64, stats: StatColumns, *, now: int
    ) -> None:
        """Upsert hours still filling, given as one set of columns (``point_ids`` names each
        row's point): the hour of each point's last normalised reading and the hours after
        it, continued by readings that follow that reading (the incremental normaliser).
        Such a change is growth, not a revision: the partial value is not copied to the
        history (a live point normalised once a minute wrote 60 history rows per hour), and
        the rows are upserted without reading them first."""
        n = len(point_ids)
        if not n:
            return
        write_columns(
            conn,
            s.stat_hour,
            {
                "point_id": point_ids, "hour": stats.hours, "value": stats.value,
                "mean": stats.mean, "min": stats.min, "max": stats.max,
                "measured_s": stats.measured_s, "estimated_s": stats.estimated_s,
                "missing_s": stats.missing_s, "flags": stats.flags, "n": stats.n,
                "computed_at": np.full(n, now, np.int64),
            },
            conflict=("point_id", "hour"),
            arrays=self._store.capabilities.supports_copy,
        )  # fmt: skip

    def write_hours_many(
        self,
        conn: Connection,
        items: Sequence[tuple[int, StatColumns]],
        *,
        now: int,
    ) -> int:
        """Upsert hourly rows of several points; rows whose content changes are copied to
        ``stat_hour_history`` first. Returns the number of changed rows (hours still filling:
        :meth:`write_growing_hours`).

        Rows travel as tuples through the driver's executemany: SQLAlchemy's per-row
        processing of dicts cost more than the statements (a live feed writes every point's
        open hour after every batch)."""
        items = [(pid, st) for pid, st in items if len(st.hours)]
        if not items:
            return 0
        ranges = [(pid, int(st.hours[0]), int(st.hours[-1]) + 1) for pid, st in items]
        cols = ", ".join(f"h.{c}" for c in ("point_id", "hour", *STAT_FIELDS, "computed_at"))
        old = self._raw(
            conn,
            f"WITH w(pid, lo, hi) AS (VALUES {_values(ranges)}) SELECT {cols} FROM w JOIN stat_hour h "
            "ON h.point_id = w.pid AND h.hour >= w.lo AND h.hour < w.hi",
        )
        new_rows = _hour_tuples_many(items, now=now)
        changed = 0
        if old:
            fields = len(STAT_FIELDS)
            by_key = {(r[0], r[1]): r for r in new_rows}
            history = []
            unchanged: set[tuple[int, int]] = set()
            for row in old:
                key = (int(row[0]), int(row[1]))
                new = by_key.get(key)
                if new is not None and all(_same(row[2 + f], new[2 + f]) for f in range(fields)):
                    unchanged.add(key)
                    continue
                history.append((key[0], key[1], *row[2:], now))
            if history:
                write_rows(
                    conn,
                    s.stat_hour_history,
                    ("point_id", "hour", *STAT_FIELDS, "computed_at", "replaced_at"),
                    history,
                    arrays=self._store.capabilities.supports_copy,
                )
                changed = len(history)
            if unchanged:
                new_rows = [r for r in new_rows if (r[0], r[1]) not in unchanged]
        self._upsert_tuples(conn, s.stat_hour, _HOUR_COLUMNS, ("point_id", "hour"), new_rows)
        return changed

    def hours(
        self, conn: Connection | None, point_ids: Sequence[int], h0: int, h1: int
    ) -> dict[int, dict[str, Any]]:
        """Hourly rows of points in [h0, h1) as column arrays per point."""
        t = s.stat_hour
        q = (
            select(t)
            .where(
                t.c.point_id.in_(bindparam("ids", expanding=True)), t.c.hour >= h0, t.c.hour < h1
            )
            .order_by(t.c.point_id, t.c.hour)
        )
        if conn is None:
            with self._store.begin() as c:
                rows = c.execute(q, {"ids": list(point_ids)}).all()
        else:
            rows = conn.execute(q, {"ids": list(point_ids)}).all()
        out: dict[int, dict[str, Any]] = {}
        grouped: dict[int, list[Any]] = {}
        for r in rows:
            grouped.setdefault(r.point_id, []).append(r)
        for pid, rs in grouped.items():
            out[pid] = {
                "hours": np.array([r.hour for r in rs], np.int64),
                **{
                    f: _floats(getattr(r, f) for r in rs)
                    for f in STAT_FIELDS
                    if f not in {"flags", "n"}
                },
                "flags": np.array([r.flags for r in rs], np.int64),
                "n": np.array([r.n for r in rs], np.int64),
            }
        return out

    # -- daily ------------------------------------------------------------------------------
    def refresh_days(
        self,
        conn: Connection,
        point_id: int,
        days: I64,
        day_starts: I64,
        day_ends: I64,
        *,
        now: int,
    ) -> None:
        """Recompute one point's daily rows (see :meth:`refresh_days_many`)."""
        self.refresh_days_many(conn, [(point_id, days, day_starts, day_ends)], now=now)

    def refresh_days_many(
        self, conn: Connection, items: Sequence[tuple[int, I64, I64, I64]], *, now: int
    ) -> None:
        """Recompute daily rows from hourly rows for (point, local day numbers, day starts,
        day ends) items; starts/ends are the UTC µs bounds of each local day.

        Hours without a row count as missing; a day's value is NULL when no hour has a value.
        """
        items = [it for it in items if len(it[1])]
        if not items:
            return
        ranges = [(pid, int(starts.min()), int(ends.max())) for pid, _, starts, ends in items]
        rows = self._raw(
            conn,
            f"WITH w(pid, lo, hi) AS (VALUES {_values(ranges)}) SELECT h.point_id, h.hour, "
            "h.value, h.mean, h.min, h.max, h.measured_s, h.estimated_s, h.flags, h.n "
            "FROM w JOIN stat_hour h ON h.point_id = w.pid AND h.hour >= w.lo AND h.hour < w.hi "
            "ORDER BY h.point_id, h.hour",
        )
        periods = _Periods(rows)
        for pid, _, day_starts, day_ends in items:
            periods.add(pid, day_starts, day_ends)
        seconds = np.concatenate([(ends - starts) / 1_000_000 for _, _, starts, ends in items])
        out = _records(
            periods.summaries(seconds),
            point_id=[pid for pid, days, _, _ in items for _ in range(len(days))],
            day=np.concatenate([days for _, days, _, _ in items]).tolist(),
            computed_at=now,
        )
        self._upsert(conn, s.stat_day, ("point_id", "day"), out)
        self.refresh_months_many(conn, [(pid, days) for pid, days, _, _ in items], now=now)

    def grow_days_many(self, conn: Connection, growth: DayGrowth, *, now: int) -> None:
        """Add the growth of hours still filling to their daily and monthly rows, in two
        statements (``INSERT … ON CONFLICT DO UPDATE SET value = value + excluded.value``).

        ``growth`` holds, per (point, local day), the difference the continued hours made:
        new hours' sums, minus what the rewritten open hour held before. A continued point's
        hours only grow — the open hour gains readings, later hours are new, flags are only
        added — so the day's sums grow by that difference and its missing seconds shrink by
        the known seconds gained; a day or month without a row gets one (every second not
        known counts as missing, as in :meth:`refresh_days_many`). The sums equal a
        recomputation up to float rounding (checked against a rebuild by the property test
        in tests/normalize/test_incremental.py); the month's day count is recounted."""
        if not len(growth.point_id):
            return
        g = growth
        rows = len(g.point_id)
        known = ~np.isnan(g.value)
        arrays = self._store.capabilities.supports_copy
        write_columns(
            conn,
            s.stat_day,
            {
                "point_id": g.point_id, "day": g.day, "value": g.value,
                "measured_s": g.measured_s, "estimated_s": g.estimated_s,
                "missing_s": np.maximum(g.seconds - g.measured_s - g.estimated_s, 0.0),
                "flags": g.flags, "n": g.n, "computed_at": np.full(rows, now, np.int64),
            },
            conflict=("point_id", "day"),
            arrays=arrays,
            updates=_grow_updates("stat_day"),
        )  # fmt: skip
        # the months of the days: rows are sorted by point and day, so each (point, month)
        # is a run of consecutive rows
        months = g.day.astype("datetime64[D]").astype("datetime64[M]")
        firsts = months.astype("datetime64[D]").astype(np.int64)
        ends = (months + 1).astype("datetime64[D]").astype(np.int64)
        starts = np.flatnonzero(
            np.r_[True, (g.point_id[1:] != g.point_id[:-1]) | (firsts[1:] != firsts[:-1])]
        )
        value = np.add.reduceat(np.where(known, g.value, 0.0), starts)
        value[~np.logical_or.reduceat(known, starts)] = np.nan
        measured = np.add.reduceat(g.measured_s, starts)
        estimated = np.add.reduceat(g.estimated_s, starts)
        pids, first, end = g.point_id[starts], firsts[starts], ends[starts]
        seconds = np.array(
            [(_midnight_us(g.zones[p], e) - _midnight_us(g.zones[p], f)) // 1_000_000
             for p, f, e in zip(pids.tolist(), first.tolist(), end.tolist(), strict=True)],
            np.float64,
        )  # fmt: skip
        days = (
            "days = (SELECT COUNT(*) FROM stat_day d WHERE d.point_id = stat_month.point_id "
            "AND d.day >= stat_month.first_day AND d.day < stat_month.end_day)"
        )
        write_columns(
            conn,
            s.stat_month,
            {
                "point_id": pids, "first_day": first, "end_day": end, "value": value,
                "measured_s": measured, "estimated_s": estimated,
                "missing_s": np.maximum(seconds - measured - estimated, 0.0),
                "flags": np.bitwise_or.reduceat(g.flags, starts),
                "n": np.add.reduceat(g.n, starts),
                # a month without a row had no daily row: its days are all new
                "days": np.diff(np.r_[starts, rows]).astype(np.int64),
                "computed_at": np.full(len(pids), now, np.int64),
            },
            conflict=("point_id", "first_day"),
            arrays=arrays,
            updates=f"{_grow_updates('stat_month')}, {days}",
        )  # fmt: skip

    def _zones(self, conn: Connection, point_ids: Sequence[int]) -> dict[int, str]:
        """The time zone name of each point's park (ids inlined: an expanding parameter of
        thousands of ids cost more to compile and bind than the query)."""
        ids = ", ".join(str(int(p)) for p in point_ids)
        rows = self._raw(
            conn,
            f"SELECT p.id, k.timezone FROM point p JOIN park k ON k.id = p.park_id "
            f"WHERE p.id IN ({ids})",
        )
        return {int(pid): str(tz) for pid, tz in rows}

    def refresh_months_many(
        self, conn: Connection, items: Sequence[tuple[int, I64]], *, now: int
    ) -> None:
        """Recompute the monthly rows (``stat_month``) of the months from the first to the last
        local day number of each (point, days) item from its daily rows, as a day is computed
        from its hours (:meth:`refresh_days_many` calls this for the days it writes). A month
        without daily rows has no row."""
        items = [(pid, days) for pid, days in items if len(days)]
        if not items:
            return
        zones = self._zones(conn, [pid for pid, _ in items])
        # the months from each item's first to its last day (the normaliser's days are
        # consecutive); most points of a run share them
        spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        months: list[tuple[int, int, int]] = []
        for pid, days in items:
            if pid not in zones:
                continue
            key = (int(days.min()), int(days.max()))
            if key not in spans:
                firsts, ends = month_days(np.arange(key[0], key[1] + 1, dtype=np.int64))
                spans[key] = list(zip(firsts.tolist(), ends.tolist(), strict=True))
            months += [(pid, first, end) for first, end in spans[key]]
        if not months:
            return
        # one INSERT … SELECT … GROUP BY: the sums in the database, nothing comes to Python
        # (a live feed refreshes every point's month after every batch); flags are or-ed bit
        # by bit, SQLite having no bitwise aggregate; a month without daily rows gets no row
        rows = []
        for pid, first, end in months:
            zone = zones[pid]
            seconds = (_midnight_us(zone, end) - _midnight_us(zone, first)) // 1_000_000
            rows.append((pid, first, end, seconds))
        bits = " + ".join(f"COALESCE(MAX(d.flags & {1 << b}), 0)" for b in range(_FLAG_BITS))
        measured, estimated = "COALESCE(SUM(d.measured_s), 0)", "COALESCE(SUM(d.estimated_s), 0)"
        missing = f"m.secs - {measured} - {estimated}"
        conn.execute(
            text(
                f"WITH m(pid, lo, hi, secs) AS (VALUES {_values(rows)}) "
                "INSERT INTO stat_month (point_id, first_day, end_day, value, mean, min, max, "
                "measured_s, estimated_s, missing_s, flags, n, days, computed_at) "
                "SELECT m.pid, m.lo, m.hi, SUM(d.value), "
                "SUM(d.mean * d.n) / NULLIF(SUM(CASE WHEN d.mean IS NOT NULL THEN d.n END), 0), "
                "CASE WHEN COUNT(d.mean) > 0 THEN MIN(d.min) END, "
                "CASE WHEN COUNT(d.mean) > 0 THEN MAX(d.max) END, "
                f"{measured}, {estimated}, CASE WHEN {missing} > 0 THEN {missing} ELSE 0 END, "
                f"{bits}, COALESCE(SUM(d.n), 0), COUNT(*), {int(now)} "
                "FROM m JOIN stat_day d ON d.point_id = m.pid AND d.day >= m.lo AND d.day < m.hi "
                "GROUP BY m.pid, m.lo, m.hi, m.secs "
                "ON CONFLICT (point_id, first_day) DO UPDATE SET end_day = excluded.end_day, "
                "value = excluded.value, mean = excluded.mean, min = excluded.min, "
                "max = excluded.max, measured_s = excluded.measured_s, "
                "estimated_s = excluded.estimated_s, missing_s = excluded.missing_s, "
                "flags = excluded.flags, n = excluded.n, days = excluded.days, "
                "computed_at = excluded.computed_at"
            )
        )

    def point_days(self, point_ids: Sequence[int], day0: int, day1: int) -> list[PointDayRow]:
        """Daily statistics rows of ``point_ids`` for local days ``day0 <= day < day1``."""
        if not point_ids:
            return []
        t = s.stat_day
        q = (
            select(t.c.point_id, t.c.day, t.c.value, t.c.measured_s, t.c.estimated_s, t.c.missing_s)
            .where(
                t.c.point_id.in_(bindparam("ids", list(point_ids), expanding=True)),
                t.c.day >= day0,
                t.c.day < day1,
            )
            .order_by(t.c.point_id, t.c.day)
        )
        with self._store.begin() as conn:
            return [
                PointDayRow(
                    int(r.point_id),
                    int(r.day),
                    None if r.value is None else float(r.value),
                    float(r.measured_s),
                    float(r.estimated_s),
                    float(r.missing_s),
                )
                for r in conn.execute(q).all()
            ]

    def point_periods(self, point_ids: Sequence[int], day0: int, day1: int) -> list[PointPeriodRow]:
        """Statistics of ``point_ids`` over local days ``day0 <= day < day1``: one row per
        whole calendar month inside the span (``stat_month``) and one per remaining day
        (``stat_day``); every row lies within one calendar month."""
        if not point_ids or day1 <= day0:
            return []
        firsts, ends = month_days(np.array([day0, day1], np.int64))
        # whole months: from the first 1st at or after day0 to the last 1st at or before day1
        whole0 = day0 if int(firsts[0]) == day0 else int(ends[0])
        whole1 = int(firsts[-1])
        ids = ", ".join(str(int(p)) for p in point_ids)
        parts: list[str] = []
        if whole0 < whole1:
            parts.append(
                "SELECT point_id, first_day, end_day, value, measured_s, estimated_s, missing_s "
                f"FROM stat_month WHERE point_id IN ({ids}) "
                f"AND first_day >= {whole0} AND first_day < {whole1}"
            )
            day_spans = [(day0, whole0), (whole1, day1)]
        else:
            day_spans = [(day0, day1)]
        for lo, hi in day_spans:
            if lo < hi:
                parts.append(
                    "SELECT point_id, day, day + 1, value, measured_s, estimated_s, missing_s "
                    f"FROM stat_day WHERE point_id IN ({ids}) AND day >= {int(lo)} "
                    f"AND day < {int(hi)}"
                )
        with self._store.begin() as conn:
            rows = self._raw(conn, " UNION ALL ".join(parts) + " ORDER BY 1, 2")
        return [
            PointPeriodRow(
                int(pid),
                int(first),
                int(end),
                None if value is None else float(value),
                float(measured),
                float(estimated),
                float(missing),
            )
            for pid, first, end, value, measured, estimated, missing in rows
        ]

    def whole_months(self, conn: Connection, park_id: int, h0: int, h1: int) -> tuple[int, int]:
        """[a, b): the span of the park's whole local calendar months inside [h0, h1) (a == b
        when there is none). ``stat_month_carrier`` answers for [a, b); the rest of [h0, h1)
        is in ``stat_hour_carrier``."""
        zone = conn.execute(select(s.park.c.timezone).where(s.park.c.id == park_id)).scalar()
        if zone is None or h1 <= h0:
            return h0, h0
        months = [m for m in local_months_us(ZoneInfo(zone), h0, h1) if m[0] >= h0 and m[1] <= h1]
        if not months:
            return h0, h0
        return months[0][0], months[-1][1]

    # -- carrier rollups ---------------------------------------------------------------------
    def refresh_carrier(
        self,
        conn: Connection,
        *,
        park_id: int,
        enterprise_key: int,
        carrier: str,
        unit: str,
        point_ids: Sequence[int],
        h0: int,
        h1: int,
    ) -> None:
        """Recompute the owner × carrier hourly sums of boundary points for [h0, h1) (one
        series: :meth:`refresh_carriers`)."""
        self.refresh_carriers(
            conn, [CarrierGroup(park_id, enterprise_key, carrier, unit, point_ids, h0, h1)]
        )

    def refresh_carriers(self, conn: Connection, groups: Sequence[CarrierGroup]) -> None:
        """Recompute the hourly sums of several owner × carrier series, each from all its
        boundary points (``point_ids``) for its hours [h0, h1), and their monthly rows for the
        park-local months overlapping those hours (a month without hourly rows has no row).

        A statement for the hours of every series, one to delete and one to write their
        months (on SQLite two more to pack the months' hours), whatever the number of series:
        a park of hundreds of enterprises × carriers refreshes hundreds of series after every
        batch of a live feed, and a statement per series cost ~1 ms each on PostgreSQL. The
        series and their points go to the database as integer tables (binary arrays on
        PostgreSQL, VALUES lists on SQLite), their carriers and units as bound strings."""
        groups = [g for g in groups if len(g.point_ids)]
        if not groups:
            return
        arrays = self._store.capabilities.supports_copy
        names: dict[tuple[str, str], int] = {}
        name_of = [names.setdefault((g.carrier, g.unit), len(names)) for g in groups]
        parks = sorted({g.park_id for g in groups})
        zones = dict(
            conn.execute(
                select(s.park.c.id, s.park.c.timezone).where(
                    s.park.c.id.in_(bindparam("parks", parks, expanding=True))
                )
            ).all()
        )
        # each series' months: [m0, m1) is the span of its months, empty without any
        month_gid: list[int] = []
        month_bounds: list[tuple[int, int]] = []
        spans: list[tuple[int, int]] = []
        for k, g in enumerate(groups):
            zone = zones.get(g.park_id)
            months = [] if zone is None or g.h1 <= g.h0 else local_months_us(
                ZoneInfo(zone), g.h0, g.h1
            )  # fmt: skip
            month_gid += [k] * len(months)
            month_bounds += months
            spans.append((months[0][0], months[-1][1]) if months else (g.h0, g.h0))
        sizes = [len(g.point_ids) for g in groups]
        series = _Tables(arrays)
        series.ints(
            "g",
            ("gid", "park", "ekey", "name", "npoints", "h0", "h1", "m0", "m1"),
            [
                np.arange(len(groups)),
                [g.park_id for g in groups],
                [g.enterprise_key for g in groups],
                name_of,
                sizes,
                [g.h0 for g in groups],
                [g.h1 for g in groups],
                [a for a, _ in spans],
                [b for _, b in spans],
            ],
        )
        series.strings("c", ("name", "carrier", "unit"), list(names))
        series.view(
            "gg(gid, park, ekey, carrier, unit, npoints, h0, h1, m0, m1) AS (SELECT g.gid, "
            "g.park, g.ekey, c.carrier, c.unit, g.npoints, g.h0, g.h1, g.m0, g.m1 "
            "FROM g JOIN c ON c.name = g.name)"
        )
        members = series.copy()
        members.ints(
            "m",
            ("pid", "gid"),
            [
                np.concatenate([np.asarray(g.point_ids, np.int64) for g in groups]),
                np.repeat(np.arange(len(groups)), sizes),
            ],
        )
        # CROSS JOIN: SQLite then loops over the points and reads each one's hours by its
        # key (it chose to scan every stored hour otherwise); PostgreSQL plans as it likes
        members.execute(
            conn,
            "INSERT INTO stat_hour_carrier (park_id, enterprise_key, carrier, unit, hour, value, "
            "measured_s, estimated_s, missing_s, points) "
            "SELECT gg.park, gg.ekey, gg.carrier, gg.unit, h.hour, SUM(h.value), "
            "SUM(h.measured_s), SUM(h.estimated_s), "
            "SUM(h.missing_s) + (gg.npoints - COUNT(*)) * 3600.0, COUNT(*) "
            "FROM m JOIN gg ON gg.gid = m.gid CROSS JOIN stat_hour h "
            "WHERE h.point_id = m.pid AND h.hour >= gg.h0 AND h.hour < gg.h1 "
            "GROUP BY gg.gid, gg.park, gg.ekey, gg.carrier, gg.unit, gg.npoints, h.hour "
            "ON CONFLICT (park_id, enterprise_key, carrier, unit, hour) DO UPDATE SET "
            "value = excluded.value, measured_s = excluded.measured_s, "
            "estimated_s = excluded.estimated_s, missing_s = excluded.missing_s, "
            "points = excluded.points",
        )
        if not month_gid:
            return
        series.execute(
            conn,
            "DELETE FROM stat_month_carrier WHERE (park_id, enterprise_key, carrier, unit, "
            "month_start) IN (SELECT gg.park, gg.ekey, gg.carrier, gg.unit, t.month_start "
            "FROM gg CROSS JOIN stat_month_carrier t WHERE t.park_id = gg.park "
            "AND t.enterprise_key = gg.ekey AND t.carrier = gg.carrier AND t.unit = gg.unit "
            "AND t.month_start >= gg.m0 AND t.month_start < gg.m1)",
        )
        # the month's hours packed into its row (migration 0011): hourly-factor accounting then
        # reads 12 rows per series and year, not 8 760; PostgreSQL packs in this statement
        packed = ("hour_starts, hour_values, ", _PACK_HOURS) if arrays else ("", "")
        monthly = series.copy()
        monthly.ints(
            "mm",
            ("gid", "ms", "me"),
            [month_gid, [a for a, _ in month_bounds], [b for _, b in month_bounds]],
        )
        monthly.execute(
            conn,
            "INSERT INTO stat_month_carrier (park_id, enterprise_key, carrier, unit, "
            f"month_start, month_end, {packed[0]}value, measured_s, estimated_s, "
            "missing_s, hours) "
            f"SELECT gg.park, gg.ekey, gg.carrier, gg.unit, mm.ms, mm.me, {packed[1]}"
            "SUM(h.value), SUM(h.measured_s), SUM(h.estimated_s), SUM(h.missing_s), COUNT(*) "
            "FROM mm JOIN gg ON gg.gid = mm.gid CROSS JOIN stat_hour_carrier h "
            "WHERE h.park_id = gg.park AND h.enterprise_key = gg.ekey "
            "AND h.carrier = gg.carrier AND h.unit = gg.unit AND h.hour >= mm.ms "
            "AND h.hour < mm.me "
            "GROUP BY gg.gid, gg.park, gg.ekey, gg.carrier, gg.unit, mm.ms, mm.me",
        )
        if not arrays:
            self._pack_months(conn, series, groups, month_gid, month_bounds)

    def _pack_months(
        self,
        conn: Connection,
        series: _Tables,
        groups: Sequence[CarrierGroup],
        month_gid: Sequence[int],
        month_bounds: Sequence[tuple[int, int]],
    ) -> None:
        """Pack the hours of each series' months into their monthly rows here, as PostgreSQL
        does in SQL (SQLite has no binary send functions): one read of the series' hours over
        their months, one update per month."""
        rows = series.execute(
            conn,
            "SELECT gg.gid, h.hour, h.value FROM gg CROSS JOIN stat_hour_carrier h "
            "WHERE h.park_id = gg.park AND h.enterprise_key = gg.ekey "
            "AND h.carrier = gg.carrier AND h.unit = gg.unit AND h.hour >= gg.m0 "
            "AND h.hour < gg.m1 "
            "ORDER BY gg.gid, h.hour",
            fetch=True,
        )
        if not rows:
            return
        gids = np.array([r[0] for r in rows], np.int64)
        hours = np.array([r[1] for r in rows], np.int64)
        values = np.array([0.0 if r[2] is None else r[2] for r in rows], np.float64)
        # rows ordered by series, then hour: a month's hours are one slice
        starts = np.searchsorted(gids, np.asarray(month_gid, np.int64))
        ends = np.searchsorted(gids, np.asarray(month_gid, np.int64), side="right")
        updates = []
        for k, (ms, me), a, b in zip(month_gid, month_bounds, starts, ends, strict=True):
            lo, hi = a + np.searchsorted(hours[a:b], [ms, me])
            if lo < hi:
                g = groups[k]
                updates.append(
                    (
                        hours[lo:hi].astype(">i8").tobytes(),
                        values[lo:hi].astype(">f8").tobytes(),
                        g.park_id, g.enterprise_key, g.carrier, g.unit, ms,
                    )
                )  # fmt: skip
        if updates:
            dbapi: Any = conn.connection.driver_connection
            cur = dbapi.cursor()
            try:
                cur.executemany(
                    "UPDATE stat_month_carrier SET hour_starts = ?, hour_values = ? "
                    "WHERE park_id = ? AND enterprise_key = ? AND carrier = ? AND unit = ? "
                    "AND month_start = ?",
                    updates,
                )
            finally:
                cur.close()

    def carrier_totals(
        self, *, park_id: int, h0: int, h1: int, enterprise_key: int | None = None
    ) -> list[dict[str, Any]]:
        """See :func:`carrier_totals`."""
        return carrier_totals(
            self._store, park_id=park_id, h0=h0, h1=h1, enterprise_key=enterprise_key
        )

    def delete_carrier_rollups(self, conn: Connection) -> None:
        """Drop every owner × carrier rollup row, hourly and monthly (a rebuild recomputes
        them)."""
        conn.execute(delete(s.stat_hour_carrier))
        conn.execute(delete(s.stat_month_carrier))


#: the hour starts and values of a month's hourly rollup rows, packed big-endian in hour order
#: (PostgreSQL; read back by ``AccountingRepo.carrier_hours``)
_PACK_HOURS = (
    "string_agg(int8send(h.hour), ''::bytea ORDER BY h.hour), "
    "string_agg(float8send(COALESCE(h.value, 0)::float8), ''::bytea ORDER BY h.hour), "
)


@dataclass(frozen=True, slots=True)
class CarrierGroup:
    """One owner × carrier series for :meth:`StatsRepo.refresh_carriers`: its key, all its
    boundary points (the missing time of an hour counts the points without a row) and the
    hours [h0, h1) to recompute."""

    park_id: int
    enterprise_key: int
    carrier: str
    unit: str
    point_ids: Sequence[int]
    h0: int
    h1: int


class _Tables:
    """The WITH clause of a statement run on the driver's cursor: tables of integers (binary
    arrays through ``unnest`` on PostgreSQL — ``arrays`` —, VALUES lists on SQLite), small
    tables of bound strings, and views of them (SQL of this module only)."""

    def __init__(self, arrays: bool) -> None:
        self.arrays = arrays
        self.parts: list[str] = []
        self.params: list[Any] = []

    def copy(self) -> _Tables:
        out = _Tables(self.arrays)
        out.parts, out.params = list(self.parts), list(self.params)
        return out

    def ints(self, name: str, columns: Sequence[str], data: Sequence[Any]) -> None:
        """Table ``name`` of integer columns (``data``: one sequence per column)."""
        cols = [np.asarray(c, np.int64) for c in data]
        head = f"{name}({', '.join(columns)})"
        if self.arrays:
            marks = ", ".join(["%b"] * len(cols))
            self.parts.append(f"{head} AS (SELECT * FROM unnest({marks}))")
            self.params += [binary_array(c) for c in cols]
        else:
            rows = list(zip(*[c.tolist() for c in cols], strict=True))
            self.parts.append(f"{head} AS (VALUES {_values(rows)})")

    def strings(self, name: str, columns: Sequence[str], rows: Sequence[tuple[str, str]]) -> None:
        """Table ``name`` of rows (k, a, b), k = 0, 1, … in the order of ``rows``, the
        strings bound."""
        mark = "%s" if self.arrays else "?"
        values = ", ".join(f"({k}, {mark}, {mark})" for k in range(len(rows)))
        self.parts.append(f"{name}({', '.join(columns)}) AS (VALUES {values})")
        self.params += [x for row in rows for x in row]

    def view(self, sql: str) -> None:
        """A table defined by a query of the tables before it (no parameters)."""
        self.parts.append(sql)

    def execute(self, conn: Connection, sql: str, *, fetch: bool = False) -> list[tuple[Any, ...]]:
        """Run ``sql`` after the WITH clause; its rows when ``fetch``."""
        dbapi: Any = conn.connection.driver_connection
        cur = dbapi.cursor()
        try:
            cur.execute(f"WITH {', '.join(self.parts)} {sql}", self.params)
            return [tuple(r) for r in cur.fetchall()] if fetch else []
        finally:
            cur.close()


def _grow_updates(table: str) -> str:
    """The SET clause adding a growth row (``excluded``) to a stored daily or monthly row:
    the value stays NULL while no hour is known; mean, min and max stay (consumption)."""
    return (
        f"value = CASE WHEN excluded.value IS NULL THEN {table}.value "
        f"ELSE COALESCE({table}.value, 0) + excluded.value END, "
        f"measured_s = {table}.measured_s + excluded.measured_s, "
        f"estimated_s = {table}.estimated_s + excluded.estimated_s, "
        f"missing_s = CASE WHEN {table}.missing_s - excluded.measured_s - excluded.estimated_s "
        f"> 0 THEN {table}.missing_s - excluded.measured_s - excluded.estimated_s ELSE 0 END, "
        f"flags = {table}.flags | excluded.flags, n = {table}.n + excluded.n, "
        "computed_at = excluded.computed_at"
    )


@dataclass(frozen=True, slots=True)
class DayGrowth:
    """What continued hours add to their days (:meth:`StatsRepo.grow_days_many`): one entry
    per (point, local day), sorted by point and day. ``value`` is NaN when no hour of the
    day is known; ``seconds`` is the day's length; ``zones`` names each point's time zone."""

    point_id: I64
    day: I64
    seconds: F64
    value: F64
    measured_s: F64
    estimated_s: F64
    flags: I64
    n: I64
    zones: dict[int, str]


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(a == b) or (
        isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-9 * max(1.0, abs(a))
    )


def carrier_totals(
    store: Store, *, park_id: int, h0: int, h1: int, enterprise_key: int | None = None
) -> list[dict[str, Any]]:
    """Sums of the owner × carrier rollups over [h0, h1): value and quality seconds.

    ``enterprise_key`` restricts to one owner (0 = park-owned points); None = every owner.
    """
    t = s.stat_hour_carrier
    q = (
        select(
            t.c.enterprise_key, t.c.carrier, t.c.unit,
            func.sum(t.c.value).label("value"),
            func.sum(t.c.measured_s).label("measured_s"),
            func.sum(t.c.estimated_s).label("estimated_s"),
            func.sum(t.c.missing_s).label("missing_s"),
            func.count().label("hours"),
        )
        .where(t.c.park_id == park_id, t.c.hour >= h0, t.c.hour < h1)
        .group_by(t.c.enterprise_key, t.c.carrier, t.c.unit)
        .order_by(t.c.enterprise_key, t.c.carrier)
    )  # fmt: skip
    if enterprise_key is not None:
        q = q.where(t.c.enterprise_key == enterprise_key)
    with store.begin() as conn:
        return [dict(r._mapping) for r in conn.execute(q).all()]
