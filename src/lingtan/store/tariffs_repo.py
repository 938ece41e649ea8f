"""Tariff assignments and utility bills: appended rows, read back scoped by tenant."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, case, func, insert, literal, literal_column, select

from lingtan.errors import Conflict, NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner
from lingtan.tariffs.bills import Assignment, Bill, MonthPriceEntry

if TYPE_CHECKING:
    from lingtan.store.core import Store


def _assignment(r: Any) -> Assignment:
    return Assignment(
        id=int(r.id), park_id=int(r.park_id),
        enterprise_id=None if r.enterprise_id is None else int(r.enterprise_id),
        tariff_id=r.tariff_id, tariff_version=r.tariff_version, basic_basis=r.basic_basis,
        capacity_kva=r.capacity_kva, assigned_by=r.assigned_by, assigned_at=int(r.assigned_at),
        effective_from=r.effective_from,
    )  # fmt: skip


def _month_price(r: Any) -> MonthPriceEntry:
    return MonthPriceEntry(
        id=int(r.id), park_id=int(r.park_id), tariff_id=r.tariff_id, month=r.month,
        price=float(r.price), fixed=float(r.fixed), source=r.source, entered_by=r.entered_by,
        entered_at=int(r.entered_at),
    )  # fmt: skip


def _bill(r: Any) -> Bill:
    return Bill(
        id=int(r.id), park_id=int(r.park_id),
        enterprise_id=None if r.enterprise_id is None else int(r.enterprise_id),
        month=r.month, energy_kwh=json.loads(r.energy_kwh), max_demand_kw=r.max_demand_kw,
        energy_amount=r.energy_amount, basic_amount=r.basic_amount,
        total_amount=float(r.total_amount), reference=r.reference, imported_by=r.imported_by,
        imported_at=int(r.imported_at),
    )  # fmt: skip


def _slot(column: Any, enterprise_id: int | None) -> Any:
    return column.is_(None) if enterprise_id is None else column == enterprise_id


class TariffRepo:
    """Repository of tariff assignments and utility bills."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- assignments ------------------------------------------------------------------------
    def assign(
        self,
        *,
        park_id: int,
        enterprise_id: int | None,
        tariff_id: str,
        tariff_version: int | None,
        basic_basis: str,
        capacity_kva: float | None,
        effective_from: str,
        actor: str,
        now: int,
    ) -> Assignment:
        """Append an assignment; it applies to its (park, enterprise) slot from the local month
        ``effective_from`` on, until an assignment of the slot with a later month."""
        t = s.tariff_assignment
        with self._store.begin() as conn:
            new_id = conn.execute(
                insert(t)
                .values(
                    park_id=park_id,
                    enterprise_id=enterprise_id,
                    tariff_id=tariff_id,
                    tariff_version=tariff_version,
                    basic_basis=basic_basis,
                    capacity_kva=capacity_kva,
                    assigned_by=actor,
                    assigned_at=now,
                    effective_from=effective_from,
                )
                .returning(t.c.id)
            ).scalar_one()
            row = conn.execute(select(t).where(t.c.id == new_id)).one()
        return _assignment(row)

    def latest_assignment_id(self, park_id: int) -> int:
        """The newest assignment's id of the park (0 without one): a version of the park's
        assignments, which are only ever appended."""
        t = s.tariff_assignment
        with self._store.begin() as conn:
            found = conn.execute(select(func.max(t.c.id)).where(t.c.park_id == park_id)).scalar()
        return int(found or 0)

    def assignment(
        self, *, park_id: int, enterprise_id: int | None, month: str
    ) -> Assignment | None:
        """The assignment of a slot in force in the local month ``month`` (``YYYY-MM``): the
        one with the latest ``effective_from`` not after the month (the latest made among
        equals); None when there is none."""
        t = s.tariff_assignment
        with self._store.begin() as conn:
            row = conn.execute(
                select(t)
                .where(
                    t.c.park_id == park_id,
                    _slot(t.c.enterprise_id, enterprise_id),
                    t.c.effective_from <= month,
                )
                .order_by(t.c.effective_from.desc(), t.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else _assignment(row)

    def assignments(self, park_id: int) -> list[Assignment]:
        """Every assignment of the park, oldest first (a cost of many accounts and months
        resolves them in one read: :meth:`assignment` for each would be a query a month)."""
        t = s.tariff_assignment
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(t.c.park_id == park_id).order_by(t.c.id)).all()
        return [_assignment(r) for r in rows]

    # -- monthly base prices ----------------------------------------------------------------
    def add_month_price(
        self, *, park_id: int, tariff_id: str, month: str, price: float, fixed: float,
        source: str, actor: str, now: int,
    ) -> MonthPriceEntry:  # fmt: skip
        """Append a base-price entry; the newest of its (park, tariff, month) is in force."""
        t = s.tariff_month_price
        with self._store.begin() as conn:
            new_id = conn.execute(
                insert(t)
                .values(
                    park_id=park_id,
                    tariff_id=tariff_id,
                    month=month,
                    price=price,
                    fixed=fixed,
                    source=source,
                    entered_by=actor,
                    entered_at=now,
                )
                .returning(t.c.id)
            ).scalar_one()
            row = conn.execute(select(t).where(t.c.id == new_id)).one()
        return _month_price(row)

    def latest_month_price_id(self, park_id: int) -> int:
        """The newest base-price entry's id of the park (0 without one): a version of the
        park's entries, which are only ever appended."""
        t = s.tariff_month_price
        with self._store.begin() as conn:
            found = conn.execute(select(func.max(t.c.id)).where(t.c.park_id == park_id)).scalar()
        return int(found or 0)

    def month_prices(self, park_id: int, tariff_id: str | None = None) -> list[MonthPriceEntry]:
        """Every base-price entry of the park (of one record), oldest first."""
        t = s.tariff_month_price
        q = select(t).where(t.c.park_id == park_id)
        if tariff_id is not None:
            q = q.where(t.c.tariff_id == tariff_id)
        with self._store.begin() as conn:
            rows = conn.execute(q.order_by(t.c.id)).all()
        return [_month_price(r) for r in rows]

    # -- hourly sums -------------------------------------------------------------------------
    def hourly_sums(
        self, point_ids: Sequence[int], h0: int, h1: int
    ) -> list[tuple[int, float, int]]:
        """(hour, Σ value, number of points with a value) of the points' hourly statistics in
        [h0, h1), hours with at least one row only — summed in the database, so a park-year
        returns 8,760 rows instead of one per point and hour."""
        t = s.stat_hour
        q = (
            select(t.c.hour, func.sum(t.c.value), func.count(t.c.value))
            .where(
                t.c.point_id.in_(bindparam("ids", expanding=True)),
                t.c.hour >= h0,
                t.c.hour < h1,
            )
            .group_by(t.c.hour)
            .order_by(t.c.hour)
        )
        with self._store.begin() as conn:
            rows = conn.execute(q, {"ids": list(point_ids)}).all()
        return [(int(h), float(v or 0.0), int(n)) for h, v, n in rows]

    def slot_cells(
        self,
        groups: Sequence[Sequence[tuple[int, float]]],
        starts: Sequence[int],
        h1: int,
        day_us: int,
    ) -> list[tuple[int, int, int, float, int, float]]:
        """(group, piece, UTC time of day, Σ kWh, hours known, largest hour kWh) of each group of
        points' hourly statistics in [starts[0], h1), summed in the database.

        ``groups``: each a list of (point id, factor to kWh) — a billing account's points; a
        point in one group only. ``starts``: the first hour of each piece (ascending; an hour
        belongs to the last piece starting at or before it). An hour of a group counts as known
        only when every point of the group has a value in it (its sum is then the group's
        energy); the others are left out, so a cost never rests on a partial sum. A park-year
        of 21 accounts returns ~6,000 rows instead of one per account and hour."""
        if not starts:
            return []
        single = {g[0][0]: (k, g[0][1]) for k, g in enumerate(groups) if len(g) == 1}
        several = [(k, g) for k, g in enumerate(groups) if len(g) > 1]
        out: list[tuple[int, int, int, float, int, float]] = []
        t = s.stat_hour
        with self._store.begin() as conn:
            if single:
                # one point: an hour is known when it has a value; no sum per hour needed
                piece = _piece(t.c.hour, starts)
                tod = t.c.hour % day_us
                q = (
                    select(
                        t.c.point_id, piece, tod, func.sum(t.c.value), func.count(t.c.value),
                        func.max(t.c.value),
                    )
                    .where(
                        t.c.point_id.in_(bindparam("ids", expanding=True)),
                        t.c.hour >= starts[0],
                        t.c.hour < h1,
                    )
                    .group_by(t.c.point_id, *_grouped(piece), tod)
                )  # fmt: skip
                for pid, k, u, e, n, m in conn.execute(q, {"ids": list(single)}):
                    if n:
                        g, f = single[int(pid)]
                        out.append((g, int(k), int(u), float(e) * f, int(n), float(m) * f))
            if several:
                out.extend(self._group_cells(conn, several, starts, h1, day_us))
        return out

    @staticmethod
    def _group_cells(
        conn: Any,
        groups: list[tuple[int, Sequence[tuple[int, float]]]],
        starts: Sequence[int],
        h1: int,
        day_us: int,
    ) -> list[tuple[int, int, int, float, int, float]]:
        """:meth:`slot_cells` of groups of several points: summed per group and hour first."""
        t = s.stat_hour
        group = (
            case(*[(t.c.point_id.in_([pid for pid, _ in g]), k) for k, g in groups])
            if len(groups) > 1
            else None
        )
        factors: dict[float, list[int]] = {}
        for _, g in groups:
            for pid, f in g:
                if f != 1.0:
                    factors.setdefault(f, []).append(pid)
        value: Any = t.c.value
        if factors:
            value = value * case(
                *[(t.c.point_id.in_(pids), f) for f, pids in factors.items()], else_=1.0
            )
        hourly = (
            select(
                (literal_column(str(groups[0][0])) if group is None else group).label("g"),
                t.c.hour.label("hour"),
                func.sum(value).label("kwh"),
                func.count(t.c.value).label("n"),
            )
            .where(
                t.c.point_id.in_(bindparam("ids", expanding=True)),
                t.c.hour >= starts[0],
                t.c.hour < h1,
            )
            .group_by(*([] if group is None else [group]), t.c.hour)
            .subquery()
        )
        need = (
            case({k: len(g) for k, g in groups}, value=hourly.c.g)
            if len(groups) > 1
            else literal(len(groups[0][1]))
        )
        piece = _piece(hourly.c.hour, starts)
        tod = hourly.c.hour % day_us
        q = (
            select(
                hourly.c.g, piece, tod, func.sum(hourly.c.kwh), func.count(),
                func.max(hourly.c.kwh),
            )
            .where(hourly.c.n == need)
            .group_by(hourly.c.g, *_grouped(piece), tod)
        )  # fmt: skip
        ids = [pid for _, g in groups for pid, _ in g]
        return [
            (int(g), int(k), int(u), float(e), int(n), float(m))
            for g, k, u, e, n, m in conn.execute(q, {"ids": ids})
        ]

    # -- bills ------------------------------------------------------------------------------
    def add_bill(
        self,
        *,
        park_id: int,
        enterprise_id: int | None,
        fields: dict[str, Any],
        actor: str,
        now: int,
    ) -> Bill:
        """Store a bill; ``Conflict`` when the slot already has a bill of that month with the
        same reference (a re-import)."""
        t = s.utility_bill
        with self._store.begin() as conn:
            dup = conn.execute(
                select(t.c.id).where(
                    t.c.park_id == park_id,
                    _slot(t.c.enterprise_id, enterprise_id),
                    t.c.month == fields["month"],
                    t.c.reference == fields["reference"],
                )
            ).first()
            if dup is not None:
                raise Conflict(
                    f"bill {fields['reference']} of {fields['month']} is already imported (id {dup.id})"
                )
            new_id = conn.execute(
                insert(t)
                .values(
                    park_id=park_id,
                    enterprise_id=enterprise_id,
                    month=fields["month"],
                    energy_kwh=json.dumps(fields["energy_kwh"], ensure_ascii=False, sort_keys=True),
                    max_demand_kw=fields["max_demand_kw"],
                    energy_amount=fields["energy_amount"],
                    basic_amount=fields["basic_amount"],
                    total_amount=fields["total_amount"],
                    reference=fields["reference"],
                    imported_by=actor,
                    imported_at=now,
                )
                .returning(t.c.id)
            ).scalar_one()
            row = conn.execute(select(t).where(t.c.id == new_id)).one()
        return _bill(row)

    def bills(self, *, tenant: Tenant, park_id: int, month: str | None = None) -> list[Bill]:
        """Bills in the caller's scope (an enterprise sees only its own), newest month first."""
        t = s.utility_bill
        cond = and_(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if month is not None:
            cond = and_(cond, t.c.month == month)
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(cond).order_by(t.c.month.desc(), t.c.id)).all()
        return [_bill(r) for r in rows]

    def bill(self, *, tenant: Tenant, park_id: int, bill_id: int) -> Bill:
        """One bill in scope; ``NotFound`` otherwise (also for another enterprise's bill)."""
        t = s.utility_bill
        with self._store.begin() as conn:
            row = conn.execute(
                select(t).where(
                    t.c.id == bill_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
                )
            ).first()
        if row is None:
            raise NotFound("bill not found")
        return _bill(row)


def _piece(hour: Any, starts: Sequence[int]) -> Any:
    """The index of the piece an hour lies in (the last start at or before it)."""
    if len(starts) == 1:
        return literal_column("0")
    return case(*[(hour < b, k) for k, b in enumerate(starts[1:])], else_=len(starts) - 1)


def _grouped(piece: Any) -> list[Any]:
    """``piece`` as a GROUP BY term, none for the constant of one piece (``GROUP BY 0`` would
    name a column by position)."""
    return [] if isinstance(piece, type(literal_column("0"))) else [piece]
