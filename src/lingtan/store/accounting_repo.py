"""Reads and writes of store-backed accounting: rollup totals and hourly arrays, building
statistics, activity supplements and inventory results.

Every read that serves a user takes the owner it is scoped to: ``enterprise_key`` (the enterprise
id, 0 for park-owned points) for rollups, ``enterprise_scope`` (None = the whole park) for
stored results and supplements. The hot read of the accounting benchmark is
:meth:`AccountingRepo.carrier_totals` (the owner × carrier × month rollups, plus the hourly ones
for hours outside whole months) plus :meth:`AccountingRepo.carrier_hours` for the carriers that
are multiplied hour by hour (the hours of whole months packed in the monthly rows: 12 rows per
owner and year instead of 8 760).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, insert, select, true

from lingtan.errors import NotFound
from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CarrierTotal:
    """Sum of one owner × carrier rollup over a period, with its data quality."""

    #: enterprise id, 0 for park-owned points
    enterprise_key: int
    carrier: str
    unit: str
    #: consumption in the period [unit]; hours with no known value add nothing
    value: float
    measured_s: float
    estimated_s: float
    missing_s: float
    #: hours with a rollup row
    hours: int


@dataclass(frozen=True, slots=True)
class CarrierHours:
    """Hourly values of one owner × carrier rollup (hours without a row are absent)."""

    enterprise_key: int
    carrier: str
    unit: str
    #: hour starts, epoch µs UTC, ascending
    hours: I64
    #: value of each hour [unit]; an hour whose value is unknown (NULL) is 0 here
    values: F64


@dataclass(frozen=True, slots=True)
class SiteTotal:
    """Sum of the daily statistics of a site's boundary points of one carrier and unit."""

    carrier: str
    unit: str
    value: float
    measured_s: float
    estimated_s: float
    missing_s: float
    days: int
    points: int


@dataclass(frozen=True, slots=True)
class SupplementRecord:
    """A stored activity supplement (non-metered activity of a boundary and period)."""

    id: int
    park_id: int
    enterprise_id: int | None
    boundary: str
    year: int
    month: int | None
    document: dict[str, Any]
    source_document: str
    entered_by: str
    entered_at: int


@dataclass(frozen=True, slots=True)
class InventoryRecord:
    """A stored accounting result."""

    id: int
    basis: str
    boundary: str
    year: int
    month: int | None
    enterprise_id: int | None
    computed_at: int
    computed_by: str
    options: dict[str, Any]
    factor_ids: list[str]
    result: dict[str, Any]


def _scope_clause(column: Any, enterprise_scope: int | None) -> Any:
    """Rows an enterprise user may see: its own (``enterprise_scope``), or all for the park."""
    return true() if enterprise_scope is None else column == enterprise_scope


def _inventory_record(row: Any) -> InventoryRecord:
    return InventoryRecord(
        id=int(row.id),
        basis=row.basis,
        boundary=row.boundary,
        year=int(row.year),
        month=None if row.month is None else int(row.month),
        enterprise_id=None if row.enterprise_id is None else int(row.enterprise_id),
        computed_at=int(row.computed_at),
        computed_by=row.computed_by,
        options=json.loads(row.options),
        factor_ids=json.loads(row.factor_ids),
        result=json.loads(row.result),
    )


def _supplement_record(row: Any) -> SupplementRecord:
    return SupplementRecord(
        id=int(row.id),
        park_id=int(row.park_id),
        enterprise_id=None if row.enterprise_id is None else int(row.enterprise_id),
        boundary=row.boundary,
        year=int(row.year),
        month=None if row.month is None else int(row.month),
        document=json.loads(row.document),
        source_document=row.source_document,
        entered_by=row.entered_by,
        entered_at=int(row.entered_at),
    )


class AccountingRepo:
    """Repository of the store-backed accounting path."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- metered activity ---------------------------------------------------------------------
    def _cursor(self, conn: Connection, *, binary: bool = False) -> Any:
        """A DB-API cursor on the connection (large reads skip SQLAlchemy's row objects)."""
        dbapi: Any = conn.connection.driver_connection
        return dbapi.cursor(binary=True) if binary else dbapi.cursor()

    @property
    def _mark(self) -> str:
        return "%s" if self._store.capabilities.supports_copy else "?"

    def carrier_keys(
        self, conn: Connection, *, park_id: int, enterprise_key: int | None
    ) -> list[tuple[int, str, str]]:
        """The (owner, carrier, unit) series present in the rollups, in key order.

        Read from the monthly rollups (``stat_month_carrier``), which hold a row for every
        local month in which a series has an hourly row: a few rows per series and year
        instead of one per hour.
        """
        m = self._mark
        owner = "" if enterprise_key is None else f" AND enterprise_key = {m}"
        args: list[Any] = [park_id] + ([] if enterprise_key is None else [enterprise_key])
        cur = self._cursor(conn)
        try:
            cur.execute(
                "SELECT DISTINCT enterprise_key, carrier, unit FROM stat_month_carrier "
                f"WHERE park_id = {m}{owner} ORDER BY enterprise_key, carrier, unit",
                args,
            )
            return [(int(e), str(c), str(u)) for e, c, u in cur.fetchall()]
        finally:
            cur.close()

    def carrier_totals(
        self, conn: Connection, *, park_id: int, h0: int, h1: int, enterprise_key: int | None
    ) -> list[CarrierTotal]:
        """Owner × carrier sums of the rollups over [h0, h1); one owner or (None) every owner.

        The park's whole local months inside [h0, h1) come from the monthly rollups
        (``stat_month_carrier``, one grouped read); only the hours before the first and after
        the last whole month are summed from the hourly rollups (none for a period of whole
        months).
        """
        a, b = self._store.stats.whole_months(conn, park_id, h0, h1)
        acc: dict[tuple[int, str, str], list[float]] = {}

        def add(rows: Sequence[tuple[Any, ...]]) -> None:
            for r in rows:
                sums = acc.setdefault((int(r[0]), str(r[1]), str(r[2])), [0.0] * 5)
                for i in range(5):
                    sums[i] += float(r[3 + i] or 0.0)

        if a < b:
            m = self._mark
            owner = "" if enterprise_key is None else f" AND enterprise_key = {m}"
            cur = self._cursor(conn)
            try:
                cur.execute(
                    "SELECT enterprise_key, carrier, unit, SUM(value), SUM(measured_s), "
                    "SUM(estimated_s), SUM(missing_s), SUM(hours) FROM stat_month_carrier "
                    f"WHERE park_id = {m} AND month_start >= {m} AND month_start < {m}{owner} "
                    "GROUP BY enterprise_key, carrier, unit",
                    [park_id, a, b] + ([] if enterprise_key is None else [enterprise_key]),
                )
                add(cur.fetchall())
            finally:
                cur.close()
            spans = [(h0, a), (b, h1)]
        else:
            spans = [(h0, h1)]
        for lo, hi in spans:
            if lo < hi:
                add(
                    self._hour_totals(
                        conn, park_id=park_id, h0=lo, h1=hi, enterprise_key=enterprise_key
                    )
                )
        return [
            CarrierTotal(
                enterprise_key=ekey,
                carrier=carrier,
                unit=unit,
                value=sums[0],
                measured_s=sums[1],
                estimated_s=sums[2],
                missing_s=sums[3],
                hours=int(sums[4]),
            )
            for (ekey, carrier, unit), sums in sorted(acc.items())
            if sums[4] > 0
        ]

    def _hour_totals(
        self, conn: Connection, *, park_id: int, h0: int, h1: int, enterprise_key: int | None
    ) -> list[tuple[Any, ...]]:
        """(owner, carrier, unit, value, measured_s, estimated_s, missing_s, hours) summed
        from the hourly rollups over [h0, h1), for the parts of a period outside whole months.

        Each owner × carrier series is read by its primary-key range (park, owner, carrier,
        unit, hour): the cost is the span read, not the park's whole history, which a grouped
        scan by park and hour would read on either engine.
        """
        m = self._mark
        rows: list[tuple[Any, ...]] = []
        cur = self._cursor(conn)
        try:
            for ekey, carrier, unit in self.carrier_keys(
                conn, park_id=park_id, enterprise_key=enterprise_key
            ):
                cur.execute(
                    "SELECT SUM(value), SUM(measured_s), SUM(estimated_s), SUM(missing_s), "
                    f"COUNT(*) FROM stat_hour_carrier WHERE park_id = {m} "
                    f"AND enterprise_key = {m} AND carrier = {m} AND unit = {m} "
                    f"AND hour >= {m} AND hour < {m}",
                    (park_id, ekey, carrier, unit, h0, h1),
                )
                found = cur.fetchone()
                if found is not None and found[4]:
                    rows.append((ekey, carrier, unit, *found))
        finally:
            cur.close()
        return rows

    def carrier_hours(
        self,
        conn: Connection,
        *,
        park_id: int,
        h0: int,
        h1: int,
        carriers: Sequence[str],
        enterprise_key: int | None,
    ) -> list[CarrierHours]:
        """Hourly rollup values of ``carriers`` over [h0, h1), per owner × carrier × unit.

        Per carrier and unit, the whole months come from the hours packed in their monthly
        rows (migration 0011) and the rest from the hourly rows, into numpy arrays sorted by
        owner and hour.
        """
        wanted = set(carriers)
        keys = [
            k
            for k in self.carrier_keys(conn, park_id=park_id, enterprise_key=enterprise_key)
            if k[1] in wanted
        ]
        out: list[CarrierHours] = []
        if not keys:
            return out
        a, b = self._store.stats.whole_months(conn, park_id, h0, h1)
        for carrier, unit in sorted({(c, u) for _, c, u in keys}):
            owners = [e for e, c, u in keys if (c, u) == (carrier, unit)]
            ekeys, hours, values = self._months_and_hours(
                conn, park_id, carrier, unit, h0, h1, (a, b), owners
            )
            order = np.lexsort((hours, ekeys))
            ekeys, hours, values = ekeys[order], hours[order], values[order]
            cuts = np.flatnonzero(np.diff(ekeys)) + 1
            for part in np.split(np.arange(len(ekeys)), cuts):
                if len(part):
                    out.append(
                        CarrierHours(int(ekeys[part[0]]), carrier, unit, hours[part], values[part])
                    )
        out.sort(key=lambda x: (x.enterprise_key, x.carrier, x.unit))
        return out

    def _months_and_hours(
        self,
        conn: Connection,
        park_id: int,
        carrier: str,
        unit: str,
        h0: int,
        h1: int,
        months: tuple[int, int],
        owners: Sequence[int],
    ) -> tuple[I64, I64, F64]:
        """(owner, hour, value) of one carrier and unit over [h0, h1): the whole months
        ``months`` = [a, b) from the hours packed in their monthly rows, the rest — the hours
        outside whole months, and any month whose row holds no packed hours — from the hourly
        rows (:meth:`_hour_rows`; such a month for its owner only)."""
        a, b = months
        spans = [(lo, hi, owners) for lo, hi in ([(h0, a), (b, h1)] if a < b else [(h0, h1)])]
        parts: list[tuple[I64, I64, F64]] = []
        if a < b:
            m = self._mark
            pg = self._store.capabilities.supports_copy
            who = "= ANY(%s)" if pg else f"IN ({', '.join('?' for _ in owners)})"
            named: list[Any] = [[int(o) for o in owners]] if pg else [int(o) for o in owners]
            cur = self._cursor(conn)
            try:
                cur.execute(
                    "SELECT enterprise_key, month_start, month_end, hour_starts, hour_values "
                    f"FROM stat_month_carrier WHERE park_id = {m} AND enterprise_key {who} "
                    f"AND carrier = {m} AND unit = {m} AND month_start >= {m} "
                    f"AND month_start < {m}",
                    [park_id, *named, carrier, unit, a, b],
                )
                rows = cur.fetchall()
            finally:
                cur.close()
            for ekey, ms, me, hour_bytes, value_bytes in rows:
                if hour_bytes is None or value_bytes is None:
                    spans.append((int(ms), int(me), [int(ekey)]))
                    continue
                h = np.frombuffer(hour_bytes, ">i8").astype(np.int64)
                v = np.frombuffer(value_bytes, ">f8").astype(np.float64)
                parts.append((np.full(len(h), int(ekey), np.int64), h, v))
        for lo, hi, members in spans:
            if lo < hi:
                parts.append(self._hour_rows(conn, park_id, carrier, unit, lo, hi, members))
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    def _hour_rows(
        self,
        conn: Connection,
        park_id: int,
        carrier: str,
        unit: str,
        h0: int,
        h1: int,
        owners: Sequence[int],
    ) -> tuple[I64, I64, F64]:
        """(owner, hour, value) of the hourly rollup rows: packed server-side on PostgreSQL
        (:meth:`_pg_hours`), each series by its primary-key range on SQLite."""
        if self._store.capabilities.supports_copy:
            return self._pg_hours(conn, park_id, carrier, unit, h0, h1, owners)
        ekeys: list[I64] = []
        hours: list[I64] = []
        values: list[F64] = []
        cur = self._cursor(conn)
        try:
            for ekey in owners:
                cur.execute(
                    "SELECT hour, value FROM stat_hour_carrier WHERE park_id = ? AND "
                    "enterprise_key = ? AND carrier = ? AND unit = ? AND hour >= ? AND hour < ?",
                    (park_id, ekey, carrier, unit, h0, h1),
                )
                rows = cur.fetchall()
                if not rows:
                    continue
                # hour starts (< 2^53 µs) are exact in float64; an unknown value (NULL) is 0
                table = np.array(rows, dtype=np.float64)
                ekeys.append(np.full(len(rows), int(ekey), np.int64))
                hours.append(table[:, 0].astype(np.int64))
                values.append(np.nan_to_num(table[:, 1]))
        finally:
            cur.close()
        if not ekeys:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
        return np.concatenate(ekeys), np.concatenate(hours), np.concatenate(values)

    def _pg_hours(
        self,
        conn: Connection,
        park_id: int,
        carrier: str,
        unit: str,
        h0: int,
        h1: int,
        owners: Sequence[int],
    ) -> tuple[I64, I64, F64]:
        """(owner, hour, value) of one carrier and unit for ``owners``; an unknown value
        (NULL) is 0.

        One row per owner carrying its hours and values packed as binary (``int8send`` /
        ``float8send`` aggregated with ``string_agg``), decoded by numpy: no Python object
        per hour, and no round trip per row as a ``COPY TO`` read row by row has. Naming the
        owners lets the primary key (park, owner, carrier, unit, hour) bound the scan to
        their series. Both aggregates see an owner's rows in the same order; the caller sorts
        by hour.
        """
        args: list[Any] = [park_id, [int(o) for o in owners], carrier, unit, h0, h1]
        cur = self._cursor(conn)
        try:
            cur.execute(
                "SELECT enterprise_key, string_agg(int8send(hour), ''::bytea), "
                "string_agg(float8send(COALESCE(value, 0)::float8), ''::bytea) "
                "FROM stat_hour_carrier WHERE park_id = %s AND enterprise_key = ANY(%s) "
                "AND carrier = %s AND unit = %s AND hour >= %s AND hour < %s "
                "GROUP BY enterprise_key",
                args,
            )
            rows = cur.fetchall()
        finally:
            cur.close()
        ekeys: list[I64] = []
        hours: list[I64] = []
        values: list[F64] = []
        for ekey, hour_bytes, value_bytes in rows:
            h = np.frombuffer(hour_bytes, ">i8").astype(np.int64)
            ekeys.append(np.full(len(h), int(ekey), np.int64))
            hours.append(h)
            values.append(np.frombuffer(value_bytes, ">f8").astype(np.float64))
        if not rows:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
        return np.concatenate(ekeys), np.concatenate(hours), np.concatenate(values)

    def site_totals(self, conn: Connection, *, site_id: int, d0: int, d1: int) -> list[SiteTotal]:
        """Daily statistics of the site's boundary points summed per carrier over local days
        [d0, d1)."""
        d, p = s.stat_day, s.point
        q = (
            select(
                p.c.carrier,
                p.c.unit,
                func.sum(d.c.value).label("value"),
                func.sum(d.c.measured_s).label("measured_s"),
                func.sum(d.c.estimated_s).label("estimated_s"),
                func.sum(d.c.missing_s).label("missing_s"),
                func.count().label("days"),
                func.count(func.distinct(p.c.id)).label("points"),
            )
            .select_from(d.join(p, p.c.id == d.c.point_id))
            .where(p.c.site_id == site_id, p.c.boundary.is_(True), d.c.day >= d0, d.c.day < d1)
            .group_by(p.c.carrier, p.c.unit)
            .order_by(p.c.carrier, p.c.unit)
        )
        return [
            SiteTotal(
                carrier=r.carrier,
                unit=r.unit,
                value=float(r.value or 0.0),
                measured_s=float(r.measured_s or 0.0),
                estimated_s=float(r.estimated_s or 0.0),
                missing_s=float(r.missing_s or 0.0),
                days=int(r.days),
                points=int(r.points),
            )
            for r in conn.execute(q)
        ]

    # -- supplements ----------------------------------------------------------------------------
    def add_supplement(
        self,
        conn: Connection,
        *,
        park_id: int,
        enterprise_id: int | None,
        boundary: str,
        year: int,
        month: int | None,
        document: dict[str, Any],
        source_document: str,
        entered_by: str,
        entered_at: int,
    ) -> int:
        """Append a supplement; returns its id."""
        t = s.activity_supplement
        new_id = conn.execute(
            insert(t)
            .values(
                park_id=park_id,
                enterprise_id=enterprise_id,
                boundary=boundary,
                year=year,
                month=month,
                document=json.dumps(document, ensure_ascii=False, sort_keys=True),
                source_document=source_document,
                entered_by=entered_by,
                entered_at=entered_at,
            )
            .returning(t.c.id)
        ).scalar_one()
        return int(new_id)

    def current_supplements(
        self,
        conn: Connection,
        *,
        park_id: int,
        year: int,
        month: int | None,
        enterprise_id: int | None,
        every_owner: bool = False,
    ) -> list[SupplementRecord]:
        """The latest supplement of each owner for exactly (year, month).

        ``every_owner`` returns the park's and every enterprise's; otherwise only the owner
        ``enterprise_id`` (None = the park's own).
        """
        t = s.activity_supplement
        month_clause = t.c.month.is_(None) if month is None else t.c.month == month
        q = select(t).where(t.c.park_id == park_id, t.c.year == year, month_clause)
        if not every_owner:
            q = q.where(park_or_enterprise(t.c.enterprise_id, enterprise_id))
        latest: dict[int | None, SupplementRecord] = {}
        for row in conn.execute(q.order_by(t.c.id)):
            record = _supplement_record(row)
            latest[record.enterprise_id] = record
        return sorted(latest.values(), key=lambda r: (r.enterprise_id or 0, r.id))

    def year_supplements(
        self,
        conn: Connection,
        *,
        park_id: int,
        year: int,
        enterprise_id: int | None,
        every_owner: bool = False,
    ) -> list[SupplementRecord]:
        """The latest supplement of each owner for each slot of ``year``: the annual slot
        (``month`` NULL) and each of the twelve months — every slot, whatever period a result
        covers; the service decides what of each a period counts.

        ``every_owner`` returns the park's and every enterprise's; otherwise only the owner
        ``enterprise_id`` (None = the park's own).
        """
        t = s.activity_supplement
        q = select(t).where(t.c.park_id == park_id, t.c.year == year)
        if not every_owner:
            q = q.where(park_or_enterprise(t.c.enterprise_id, enterprise_id))
        latest: dict[tuple[int | None, int | None], SupplementRecord] = {}
        for row in conn.execute(q.order_by(t.c.id)):
            record = _supplement_record(row)
            latest[(record.enterprise_id, record.month)] = record
        return sorted(latest.values(), key=lambda r: (r.enterprise_id or 0, r.month or 0, r.id))

    def supplements(
        self, *, park_id: int, year: int, enterprise_scope: int | None
    ) -> list[SupplementRecord]:
        """Every supplement of a year the scope may see, oldest first (history included)."""
        t = s.activity_supplement
        q = (
            select(t)
            .where(
                t.c.park_id == park_id,
                t.c.year == year,
                _scope_clause(t.c.enterprise_id, enterprise_scope),
            )
            .order_by(t.c.id)
        )
        with self._store.begin() as conn:
            return [_supplement_record(r) for r in conn.execute(q)]

    # -- results --------------------------------------------------------------------------------
    def add_result(
        self,
        conn: Connection,
        *,
        basis: str,
        boundary: str,
        year: int,
        month: int | None,
        enterprise_id: int | None,
        computed_at: int,
        computed_by: str,
        options: dict[str, Any],
        factor_ids: Sequence[str],
        result: dict[str, Any],
    ) -> InventoryRecord:
        """Append one accounting result; returns it as stored."""
        t = s.inventory_result
        values = {
            "basis": basis,
            "boundary": boundary,
            "year": year,
            "month": month,
            "enterprise_id": enterprise_id,
            "computed_at": computed_at,
            "computed_by": computed_by,
            "options": json.dumps(options, ensure_ascii=False, sort_keys=True),
            "factor_ids": json.dumps(list(factor_ids), ensure_ascii=False),
            "result": json.dumps(result, ensure_ascii=False, default=str),
        }
        new_id = conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one()
        row = conn.execute(select(t).where(t.c.id == new_id)).one()
        return _inventory_record(row)

    def add_results(
        self, conn: Connection, rows: Sequence[dict[str, Any]]
    ) -> list[InventoryRecord]:
        """Append several results in one statement (rows as for :meth:`add_result`); returns
        them as stored, in the order given.

        One ``INSERT ... RETURNING`` for all rows instead of an insert and a read-back per
        result: a park with its 200 enterprises is one round trip, not 400. The records are
        built from the very JSON text written, so they equal a read-back.
        """
        if not rows:
            return []
        t = s.inventory_result
        payload = [
            {
                **row,
                "options": json.dumps(row["options"], ensure_ascii=False, sort_keys=True),
                "factor_ids": json.dumps(list(row["factor_ids"]), ensure_ascii=False),
                "result": json.dumps(row["result"], ensure_ascii=False, default=str),
            }
            for row in rows
        ]
        ids = conn.execute(
            insert(t).returning(t.c.id, sort_by_parameter_order=True), payload
        ).scalars()
        return [
            InventoryRecord(
                id=int(new_id),
                basis=row["basis"],
                boundary=row["boundary"],
                year=int(row["year"]),
                month=None if row["month"] is None else int(row["month"]),
                enterprise_id=None if row["enterprise_id"] is None else int(row["enterprise_id"]),
                computed_at=int(row["computed_at"]),
                computed_by=row["computed_by"],
                options=json.loads(row["options"]),
                factor_ids=json.loads(row["factor_ids"]),
                result=json.loads(row["result"]),
            )
            for new_id, row in zip(ids, payload, strict=True)
        ]

    def results(
        self,
        *,
        basis: str,
        boundary: str,
        year: int,
        month: int | Literal["all"] | None = "all",
        enterprise_scope: int | None,
    ) -> list[InventoryRecord]:
        """Stored results of a boundary and year the scope may see, newest first.

        ``month``: ``"all"`` = every period of the year, None = the annual results only, an int
        = that month only.
        """
        t = s.inventory_result
        q = select(t).where(
            t.c.basis == basis,
            t.c.boundary == boundary,
            t.c.year == year,
            _scope_clause(t.c.enterprise_id, enterprise_scope),
        )
        if month is None:
            q = q.where(t.c.month.is_(None))
        elif month != "all":
            q = q.where(t.c.month == int(month))
        with self._store.begin() as conn:
            rows = conn.execute(q.order_by(t.c.id.desc())).all()
        return [_inventory_record(r) for r in rows]

    def result(self, result_id: int, *, enterprise_scope: int | None) -> InventoryRecord:
        """One stored result; ``NotFound`` if absent or outside the scope."""
        t = s.inventory_result
        q = select(t).where(t.c.id == result_id, _scope_clause(t.c.enterprise_id, enterprise_scope))
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            # names nothing: a result outside the scope is answered like a missing one
            raise NotFound("accounting result not found")
        return _inventory_record(row)

    def latest_results(
        self, *, year: int, month: int | None, enterprise_scope: int | None
    ) -> list[InventoryRecord]:
        """The newest result of each (basis, boundary) for a period the scope may see."""
        t = s.inventory_result
        month_clause = t.c.month.is_(None) if month is None else t.c.month == month
        newest = (
            select(func.max(t.c.id).label("id"))
            .where(
                t.c.year == year, month_clause, _scope_clause(t.c.enterprise_id, enterprise_scope)
            )
            .group_by(t.c.basis, t.c.boundary)
            .subquery()
        )
        q = select(t).join(newest, newest.c.id == t.c.id).order_by(t.c.basis, t.c.boundary)
        with self._store.begin() as conn:
            return [_inventory_record(r) for r in conn.execute(q)]


def park_or_enterprise(column: Any, enterprise_id: int | None) -> Any:
    """``column IS NULL`` for the park, ``column = id`` for an enterprise."""
    return column.is_(None) if enterprise_id is None else column == enterprise_id


__all__ = [
    "AccountingRepo",
    "CarrierHours",
    "CarrierTotal",
    "InventoryRecord",
    "SiteTotal",
    "SupplementRecord",
    "park_or_enterprise",
]
