"""Tenant-scoped reads for the API and the dashboard.

Every method takes the caller's :class:`Tenant` as a keyword argument and filters in SQL: an
enterprise tenant sees the rows whose owner (the point's, site's or record's
``enterprise_id``) is its enterprise and nothing else — park-owned rows included. Readings,
statistics and rejected readings carry no tenant key of their own; they are scoped by joining
through their point. A row outside the scope is reported as absent (``NotFound``), exactly
like a row that does not exist, so a caller cannot probe for other tenants' ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select

from lingtan.errors import NotFound
from lingtan.store import schema as s
from lingtan.store.records import EnterpriseRecord, PointRecord, SiteRecord
from lingtan.store.registry_repo import _point_record, _site_record

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class Tenant:
    """The part of the park a caller may see: the whole park, or one enterprise."""

    #: the enterprise the caller is bound to; None for park-wide callers
    enterprise_id: int | None

    @classmethod
    def park_wide(cls) -> Tenant:
        """A caller who sees the whole park."""
        return cls(None)

    @classmethod
    def of_enterprise(cls, enterprise_id: int) -> Tenant:
        """A caller bound to one enterprise."""
        return cls(int(enterprise_id))

    @property
    def is_park_wide(self) -> bool:
        """True when the caller sees the whole park."""
        return self.enterprise_id is None

    def owns(self, enterprise_id: int | None) -> bool:
        """Whether a row owned by ``enterprise_id`` (None = the park) is in scope."""
        return self.enterprise_id is None or enterprise_id == self.enterprise_id


def _owner(column: Any, tenant: Tenant) -> ColumnElement[bool]:
    """The SQL condition that keeps rows owned inside the tenant's scope."""
    if tenant.enterprise_id is None:
        return literal(True)
    return and_(column.is_not(None), column == tenant.enterprise_id)


def _page(q: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    if limit is not None:
        q = q.limit(limit)
    return q.offset(offset) if offset else q


STAT_COLUMNS = (
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


class QueryRepo:
    """Reads that serve users; every one filtered by the caller's tenant."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- registry ---------------------------------------------------------------------------
    def enterprises(
        self, *, tenant: Tenant, park_id: int, limit: int | None = None, offset: int = 0
    ) -> tuple[list[EnterpriseRecord], int]:
        """Enterprises of the park that the tenant may see, in id order."""
        t = s.enterprise
        cond = and_(t.c.park_id == park_id, _owner(t.c.id, tenant))
        with self._store.begin() as conn:
            rows = conn.execute(_page(select(t).where(cond).order_by(t.c.id), limit, offset)).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return [
            EnterpriseRecord(r.id, r.park_id, r.code, r.name, r.uscc, r.industry) for r in rows
        ], total

    def enterprise(self, *, tenant: Tenant, enterprise_id: int) -> EnterpriseRecord:
        """One enterprise in scope; ``NotFound`` otherwise."""
        t = s.enterprise
        with self._store.begin() as conn:
            r = conn.execute(
                select(t).where(t.c.id == enterprise_id, _owner(t.c.id, tenant))
            ).first()
        if r is None:
            raise NotFound("enterprise not found")
        return EnterpriseRecord(r.id, r.park_id, r.code, r.name, r.uscc, r.industry)

    def sites(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        enterprise_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[SiteRecord], int]:
        """Sites and buildings in scope, in id order."""
        t = s.site
        cond = and_(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if enterprise_id is not None:
            cond = and_(cond, t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            rows = conn.execute(_page(select(t).where(cond).order_by(t.c.id), limit, offset)).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return [_site_record(r) for r in rows], total

    def site(self, *, tenant: Tenant, site_id: int) -> SiteRecord:
        """One site in scope; ``NotFound`` otherwise."""
        t = s.site
        with self._store.begin() as conn:
            r = conn.execute(
                select(t).where(t.c.id == site_id, _owner(t.c.enterprise_id, tenant))
            ).first()
        if r is None:
            raise NotFound("site not found")
        return _site_record(r)

    def points(
        self,
        *,
        tenant: Tenant,
        park_id: int | None = None,
        enterprise_id: int | None = None,
        site_id: int | None = None,
        carrier: str | None = None,
        virtual: bool | None = None,
        boundary: bool | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[PointRecord], int]:
        """Metering points in scope (physical and virtual), in id order."""
        t = s.point
        cond: ColumnElement[bool] = _owner(t.c.enterprise_id, tenant)
        if park_id is not None:
            cond = and_(cond, t.c.park_id == park_id)
        if enterprise_id is not None:
            cond = and_(cond, t.c.enterprise_id == enterprise_id)
        if site_id is not None:
            cond = and_(cond, t.c.site_id == site_id)
        if carrier is not None:
            cond = and_(cond, t.c.carrier == carrier)
        if virtual is not None:
            cond = and_(cond, t.c.formula.is_not(None) if virtual else t.c.formula.is_(None))
        if boundary is not None:
            cond = and_(cond, t.c.boundary.is_(boundary))
        with self._store.begin() as conn:
            rows = conn.execute(_page(select(t).where(cond).order_by(t.c.id), limit, offset)).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return [_point_record(r) for r in rows], total

    def point(self, *, tenant: Tenant, code: str) -> PointRecord:
        """One point in scope by its code; ``NotFound`` otherwise."""
        t = s.point
        with self._store.begin() as conn:
            r = conn.execute(
                select(t).where(t.c.code == code, _owner(t.c.enterprise_id, tenant))
            ).first()
        if r is None:
            raise NotFound("point not found")
        return _point_record(r)

    def point_codes(self, *, tenant: Tenant) -> dict[int, str]:
        """Codes of every point in scope, by id."""
        t = s.point
        with self._store.begin() as conn:
            rows = conn.execute(
                select(t.c.id, t.c.code).where(_owner(t.c.enterprise_id, tenant))
            ).all()
        return {int(r.id): r.code for r in rows}

    # -- raw readings -----------------------------------------------------------------------
    def readings(
        self,
        *,
        tenant: Tenant,
        code: str,
        start: int | None,
        end: int | None,
        limit: int,
        offset: int,
    ) -> tuple[PointRecord, list[tuple[int, float]], int]:
        """Raw readings of one point in scope with ``start <= ts < end``, in time order."""
        point = self.point(tenant=tenant, code=code)
        r = s.reading
        cond: ColumnElement[bool] = r.c.point_id == point.id
        if start is not None:
            cond = and_(cond, r.c.ts >= start)
        if end is not None:
            cond = and_(cond, r.c.ts < end)
        with self._store.begin() as conn:
            rows = conn.execute(
                select(r.c.ts, r.c.value).where(cond).order_by(r.c.ts).limit(limit).offset(offset)
            ).all()
            total = int(conn.execute(select(func.count()).select_from(r).where(cond)).scalar_one())
        return point, [(int(x.ts), float(x.value)) for x in rows], total

    # -- statistics -------------------------------------------------------------------------
    def hours(
        self,
        *,
        tenant: Tenant,
        code: str,
        start: int,
        end: int,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[PointRecord, list[dict[str, Any]], int]:
        """Hourly statistics of one point in scope for hours in [start, end)."""
        point = self.point(tenant=tenant, code=code)
        t = s.stat_hour
        cond = and_(t.c.point_id == point.id, t.c.hour >= start, t.c.hour < end)
        cols = [t.c.hour, *(t.c[c] for c in STAT_COLUMNS), t.c.computed_at]
        with self._store.begin() as conn:
            rows = conn.execute(
                _page(select(*cols).where(cond).order_by(t.c.hour), limit, offset)
            ).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return point, [dict(r._mapping) for r in rows], total

    def days(
        self,
        *,
        tenant: Tenant,
        code: str,
        first_day: int,
        end_day: int,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[PointRecord, list[dict[str, Any]], int]:
        """Daily statistics (park local days) of one point in scope for days in [first, end)."""
        point = self.point(tenant=tenant, code=code)
        t = s.stat_day
        cond = and_(t.c.point_id == point.id, t.c.day >= first_day, t.c.day < end_day)
        cols = [t.c.day, *(t.c[c] for c in STAT_COLUMNS), t.c.computed_at]
        with self._store.begin() as conn:
            rows = conn.execute(
                _page(select(*cols).where(cond).order_by(t.c.day), limit, offset)
            ).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return point, [dict(r._mapping) for r in rows], total

    def day_extent(self, *, tenant: Tenant, code: str) -> tuple[int, int] | None:
        """First and last local day with a daily statistic of one point in scope."""
        point = self.point(tenant=tenant, code=code)
        t = s.stat_day
        with self._store.begin() as conn:
            lo, hi = conn.execute(
                select(func.min(t.c.day), func.max(t.c.day)).where(t.c.point_id == point.id)
            ).one()
        return None if lo is None else (int(lo), int(hi))

    def rejected_of_batch(
        self, *, tenant: Tenant, batch_id: int, limit: int
    ) -> list[dict[str, Any]]:
        """Rejected readings of one ingest batch in scope, in the order they were stored."""
        t, p = s.rejected_reading, s.point
        q = select(t).where(t.c.batch_id == batch_id)
        if tenant.enterprise_id is not None:
            owned = select(p.c.id).where(p.c.enterprise_id == tenant.enterprise_id)
            q = q.where(t.c.point_id.is_not(None), t.c.point_id.in_(owned))
        with self._store.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(q.order_by(t.c.id).limit(limit)).all()]

    def carrier_days(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        first_day: int,
        end_day: int,
        enterprise_id: int | None = None,
        by_day: bool = False,
    ) -> list[dict[str, Any]]:
        """Daily statistics of boundary points summed per owner × carrier × unit over
        [first_day, end_day) (and per day with ``by_day``): value, quality seconds, points.

        Owner is ``enterprise_key``: the enterprise id, 0 for park-owned points. Boundary
        points are the ones whose consumption counts in their owner's totals (the same set
        the hourly owner × carrier rollups sum).
        """
        p, d = s.point, s.stat_day
        ekey = func.coalesce(p.c.enterprise_id, 0).label("enterprise_key")
        cond = and_(
            p.c.park_id == park_id,
            p.c.boundary.is_(True),
            d.c.day >= first_day,
            d.c.day < end_day,
            _owner(p.c.enterprise_id, tenant),
        )
        if enterprise_id is not None:
            cond = and_(cond, p.c.enterprise_id == enterprise_id)
        keys: list[Any] = [ekey, p.c.carrier, p.c.unit]
        if by_day:
            keys.append(d.c.day)
        q = (
            select(
                *keys,
                func.sum(d.c.value).label("value"),
                func.sum(d.c.measured_s).label("measured_s"),
                func.sum(d.c.estimated_s).label("estimated_s"),
                func.sum(d.c.missing_s).label("missing_s"),
                func.count(func.distinct(d.c.point_id)).label("points"),
                func.count().label("rows"),
            )
            .select_from(d.join(p, p.c.id == d.c.point_id))
            .where(cond)
            .group_by(*keys)
            .order_by(*keys)
        )
        with self._store.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(q).all()]

    def point_quality(
        self, *, tenant: Tenant, park_id: int, first_day: int, end_day: int
    ) -> list[dict[str, Any]]:
        """Per point in scope over [first_day, end_day): days with statistics, quality
        seconds, the union of quality flags, days flagged, and the last reading's time."""
        p, d, r = s.point, s.stat_day, s.reading
        last = (
            select(func.max(r.c.ts))
            .where(r.c.point_id == p.c.id)
            .scalar_subquery()
            .label("last_ts")
        )
        agg = (
            select(
                d.c.point_id,
                func.count().label("days"),
                func.sum(d.c.measured_s).label("measured_s"),
                func.sum(d.c.estimated_s).label("estimated_s"),
                func.sum(d.c.missing_s).label("missing_s"),
                func.sum(case((d.c.flags != 0, 1), else_=0)).label("flagged_days"),
            )
            .where(d.c.day >= first_day, d.c.day < end_day)
            .group_by(d.c.point_id)
            .subquery()
        )
        q = (
            select(
                p.c.id,
                p.c.code,
                p.c.name,
                p.c.enterprise_id,
                p.c.carrier,
                p.c.kind,
                p.c.unit,
                p.c.formula,
                agg.c.days,
                agg.c.measured_s,
                agg.c.estimated_s,
                agg.c.missing_s,
                agg.c.flagged_days,
                last,
            )
            .select_from(p.outerjoin(agg, agg.c.point_id == p.c.id))
            .where(p.c.park_id == park_id, _owner(p.c.enterprise_id, tenant))
            .order_by(p.c.id)
        )
        with self._store.begin() as conn:
            rows = [dict(x._mapping) for x in conn.execute(q).all()]
            flags = conn.execute(
                select(d.c.point_id, d.c.flags)
                .select_from(d.join(p, p.c.id == d.c.point_id))
                .where(
                    d.c.day >= first_day,
                    d.c.day < end_day,
                    d.c.flags != 0,
                    p.c.park_id == park_id,
                    _owner(p.c.enterprise_id, tenant),
                )
            ).all()
        union: dict[int, int] = {}
        for f in flags:
            union[int(f.point_id)] = union.get(int(f.point_id), 0) | int(f.flags)
        for row in rows:
            row["flags"] = union.get(int(row["id"]), 0)
        return rows

    def latest_day(self, *, tenant: Tenant, park_id: int) -> int | None:
        """The last local day with a statistic of a boundary point in scope."""
        p, d = s.point, s.stat_day
        q = (
            select(func.max(d.c.day))
            .select_from(d.join(p, p.c.id == d.c.point_id))
            .where(
                p.c.park_id == park_id,
                p.c.boundary.is_(True),
                d.c.value.is_not(None),
                _owner(p.c.enterprise_id, tenant),
            )
        )
        with self._store.begin() as conn:
            value = conn.execute(q).scalar()
        return None if value is None else int(value)

    # -- quarantine -------------------------------------------------------------------------
    def rejected(
        self,
        *,
        tenant: Tenant,
        reason: str | None = None,
        point_code: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """Rejected readings in scope, newest first.

        A rejected reading belongs to the owner of the point it names; one naming no known
        point has no owner and only park-wide callers see it.
        """
        t, p = s.rejected_reading, s.point
        cond: ColumnElement[bool]
        if tenant.enterprise_id is None:
            cond = literal(True)
        else:
            owned = select(p.c.id).where(p.c.enterprise_id == tenant.enterprise_id)
            cond = and_(t.c.point_id.is_not(None), t.c.point_id.in_(owned))
        if reason is not None:
            cond = and_(cond, t.c.reason == reason)
        if point_code is not None:
            point = self.point(tenant=tenant, code=point_code)
            cond = and_(cond, t.c.point_id == point.id)
        with self._store.begin() as conn:
            rows = conn.execute(
                select(t).where(cond).order_by(t.c.id.desc()).limit(limit).offset(offset)
            ).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return [dict(r._mapping) for r in rows], total

    def rejected_by_reason(self, *, tenant: Tenant) -> dict[str, int]:
        """Counts of rejected readings in scope per reason."""
        t, p = s.rejected_reading, s.point
        q = select(t.c.reason, func.count().label("n")).group_by(t.c.reason)
        if tenant.enterprise_id is not None:
            owned = select(p.c.id).where(p.c.enterprise_id == tenant.enterprise_id)
            q = q.where(t.c.point_id.is_not(None), t.c.point_id.in_(owned))
        with self._store.begin() as conn:
            return {r.reason: int(r.n) for r in conn.execute(q).all()}

    # -- audit ------------------------------------------------------------------------------
    def audit(
        self, *, entity: str | None, actor: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Audit entries, newest first (park-wide readers only: callers check the role)."""
        t = s.audit_log
        cond: ColumnElement[bool] = literal(True)
        if entity is not None:
            cond = and_(cond, t.c.entity == entity)
        if actor is not None:
            cond = and_(cond, t.c.actor == actor)
        with self._store.begin() as conn:
            rows = conn.execute(
                select(t).where(cond).order_by(t.c.id.desc()).limit(limit).offset(offset)
            ).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return [dict(r._mapping) for r in rows], total

    # -- change detection -------------------------------------------------------------------
    def options_version(self) -> int:
        """The newest stored version of any park's options (0: none): part of a cached view's
        key, so that a view computed under other options is never served, not even stale."""
        with self._store.begin() as conn:
            return int(
                conn.execute(select(func.coalesce(func.max(s.park_options.c.id), 0))).scalar_one()
            )

    def versions(self, extra_tables: Sequence[str] = ()) -> tuple[int, tuple[Any, ...]]:
        """:meth:`options_version` and :meth:`data_version` read by one statement: what a
        request answered from the view cache needs, in one round trip instead of two."""
        parts = [
            select(func.coalesce(func.max(s.park_options.c.id), 0)).scalar_subquery(),
            *self._data_parts(extra_tables),
        ]
        with self._store.begin() as conn:
            row = tuple(conn.execute(select(*parts)).one())
        return int(row[0]), row[1:]

    def data_version(self, extra_tables: Sequence[str] = ()) -> tuple[Any, ...]:
        """A cheap fingerprint that changes whenever statistics, the registry or any audited
        record may have changed: the newest ingest batch, the dirty-interval queue (it
        empties when the normaliser has written new statistics), the newest audit entry and
        the newest row of ``extra_tables`` (tables with an integer ``id``)."""
        parts = self._data_parts(extra_tables)
        with self._store.begin() as conn:
            return tuple(conn.execute(select(*parts)).one())

    @staticmethod
    def _data_parts(extra_tables: Sequence[str]) -> list[Any]:
        parts: list[Any] = [
            select(func.max(s.ingest_batch.c.id)).scalar_subquery(),
            select(func.max(s.dirty_range.c.id)).scalar_subquery(),
            select(func.count()).select_from(s.dirty_range).scalar_subquery(),
            select(func.max(s.audit_log.c.id)).scalar_subquery(),
        ]
        for name in extra_tables:
            table = s.metadata.tables[name]
            parts.append(select(func.max(table.c.id)).scalar_subquery())
        return parts
