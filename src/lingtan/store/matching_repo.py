"""Green-power matching on tables: imported hourly grid-factor series (with provenance) and
the reads matching needs — owner × carrier hourly rollups and the 绿证 ledger of a park.

Series belong to the park that imported them (tenant key ``park_id``) and are appended, never
edited: the ``series_id`` is unique within the park, a second import of the same id with the
same content is a no-op and with other content a :class:`~lingtan.errors.Conflict`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Table, case, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from lingtan import units
from lingtan.errors import Conflict, InvalidInput
from lingtan.store import schema as s
from lingtan.store.accounting_repo import AccountingRepo, CarrierHours
from lingtan.timeutil import HOUR_US

if TYPE_CHECKING:
    from lingtan.store.core import Store

#: seconds of an hour a rollup may miss and still be complete (float rounding only)
MISSING_TOLERANCE_S = 1e-6


F64 = NDArray[np.float64]


def _whole(t: Table) -> Any:
    """1 for a rollup row whose counted meters all had a value over the whole hour, else 0.

    ``points`` counts the meters' hourly rows, a row without a value too; such a row adds its
    whole hour to ``missing_s``: complete = every meter there (``points`` ≥ the owner's
    meters, checked by the caller), none missing.
    """
    return case(((t.c.value.is_not(None)) & (t.c.missing_s <= MISSING_TOLERANCE_S), 1), else_=0)


def _where(
    t: Table, park_id: int, h0: int, h1: int, meters: Mapping[tuple[int, str, str], int]
) -> tuple[ColumnElement[bool], ...]:
    return (
        t.c.park_id == park_id,
        t.c.hour >= h0,
        t.c.hour < h1,
        t.c.carrier.in_(sorted({c for _k, c, _u in meters})),
        t.c.unit.in_(sorted({u for _k, _c, u in meters})),
    )


def boundary_meters(
    store: Store, *, park_id: int, carriers: Sequence[str], unit_ok: Callable[[str], bool]
) -> dict[tuple[int, str, str], int]:
    """The number of boundary meters per (owner key, carrier, unit) whose unit ``unit_ok``
    accepts (matching: energy units; a power point is a measurement, not a quantity)."""
    meters: dict[tuple[int, str, str], int] = {}
    for p in store.registry.points_by_id_current().values():
        if p.park_id == park_id and p.boundary and p.carrier in carriers and unit_ok(p.unit):
            group = (p.enterprise_key, p.carrier, p.unit)
            meters[group] = meters.get(group, 0) + 1
    return meters


def is_energy(unit: str) -> bool:
    """An energy unit (kWh, MWh, GJ …)."""
    return units.dimension(unit) == "energy"


def is_quantity(unit: str) -> bool:
    """A unit of a quantity (energy, volume, mass …), not of a rate (kW, m3/h …)."""
    dim = units.dimension(unit)
    return dim != "power" and not dim.endswith("_flow")


def owner_hourly_load(
    store: Store,
    *,
    park_id: int,
    h0: int,
    h1: int,
    balance: Mapping[str, float],
    owners: Sequence[int],
    unit_ok: Callable[[str], bool] = is_energy,
    target_unit: str | None = "kWh",
) -> tuple[dict[int, F64], str | None]:
    """Each owner's hourly balance Σ sign × carrier over [h0, h1) from the owner × carrier
    rollups (the reads matching makes: :meth:`MatchingRepo.carrier_hours`, the boundary
    meters of :func:`boundary_meters`, the completeness rule of
    :meth:`MatchingRepo.known_hours`), negatives at zero as matching's load.

    An hour is known only when, for every carrier of ``balance`` the owner has boundary
    meters of, its rollup is complete; every other hour is NaN, never 0. An owner without
    any such meter has no known hour. ``target_unit`` None: the unit of the owner's meters
    (one dimension; ``InvalidInput`` if they cannot be converted). Returns the series and the
    unit (None when no meter exists).
    """
    carriers = sorted(balance)
    meters = boundary_meters(store, park_id=park_id, carriers=carriers, unit_ok=unit_ok)
    meters = {g: n for g, n in meters.items() if g[0] in owners}
    n = (h1 - h0) // HOUR_US
    out = {k: np.full(n, np.nan) for k in owners}
    if not meters:
        return out, target_unit
    unit = target_unit or sorted({u for _k, _c, u in meters})[0]
    sums = {k: np.zeros(n) for k in owners}
    repo = MatchingRepo(store)
    one = owners[0] if len(owners) == 1 else None
    for series in repo.carrier_hours(
        park_id=park_id, h0=h0, h1=h1, carriers=carriers, enterprise_key=one
    ):
        if (series.enterprise_key, series.carrier, series.unit) not in meters:
            continue
        try:
            f = units.factor(series.unit, unit)
        except InvalidInput as err:
            raise InvalidInput(
                f"{series.carrier} is metered in {series.unit} and {unit}, which do not convert",
                field="carrier",
            ) from err
        idx = ((series.hours - h0) // HOUR_US).astype(np.int64)
        np.add.at(sums[series.enterprise_key], idx, balance[series.carrier] * series.values * f)
    complete = repo.complete_hours(park_id=park_id, h0=h0, h1=h1, meters=meters)
    for k in owners:
        needed = {c for kk, c, _u in meters if kk == k}
        if not needed:
            continue
        known = np.ones(n, dtype=bool)
        for c in needed:
            mask = np.zeros(n, dtype=bool)
            got = complete.get((k, c))
            if got is not None and got.size:
                mask[((got - h0) // HOUR_US).astype(np.int64)] = True
            known &= mask
        out[k] = np.where(known, np.maximum(sums[k], 0.0), np.nan)
    return out, unit


@dataclass(frozen=True, slots=True)
class StoredSeries:
    """One imported series: its JSON document and who imported it when."""

    park_id: int
    series_id: str
    region: str
    year: int
    basis: str
    payload: dict[str, Any]
    imported_at: int
    imported_by: str


def _row(r: Any) -> StoredSeries:
    return StoredSeries(
        park_id=int(r.park_id),
        series_id=r.series_id,
        region=r.region,
        year=int(r.year),
        basis=r.basis,
        payload=json.loads(r.payload),
        imported_at=int(r.imported_at),
        imported_by=r.imported_by,
    )


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One stored matching run (``hourly`` is the compressed ``.npz``; None when not read)."""

    id: int
    park_id: int
    year: int
    rule: str
    priority: list[str] | None
    storage_efficiency: float | None
    method_version: str
    status: str
    superseded_by: int | None
    superseded_at: int | None
    inputs: dict[str, Any]
    summary: dict[str, Any]
    note: str | None
    created_by: str
    created_at: int
    hourly: bytes | None = None


def _run(r: Any, *, hourly: bool) -> StoredRun:
    return StoredRun(
        id=int(r.id),
        park_id=int(r.park_id),
        year=int(r.year),
        rule=r.rule,
        priority=None if r.priority is None else json.loads(r.priority),
        storage_efficiency=r.storage_efficiency,
        method_version=r.method_version,
        status=r.status,
        superseded_by=None if r.superseded_by is None else int(r.superseded_by),
        superseded_at=None if r.superseded_at is None else int(r.superseded_at),
        inputs=json.loads(r.inputs),
        summary=json.loads(r.summary),
        note=r.note,
        created_by=r.created_by,
        created_at=int(r.created_at),
        hourly=bytes(r.hourly) if hourly else None,
    )


class MatchingRepo:
    """Reads and writes of green-power matching."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add_series(
        self,
        *,
        park_id: int,
        series_id: str,
        region: str,
        year: int,
        basis: str,
        payload: dict[str, Any],
        now: int,
        actor: str,
    ) -> bool:
        """Append a series of the park; False if the same one is already stored, ``Conflict``
        if another series of the park holds the id."""
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        t = s.grid_factor_series
        try:
            with self._store.begin() as conn:
                existing = conn.execute(
                    select(t.c.payload).where(t.c.park_id == park_id, t.c.series_id == series_id)
                ).scalar_one_or_none()
                if existing is not None:
                    if json.loads(existing) == json.loads(text):
                        return False
                    raise Conflict(
                        f"grid-factor series {series_id} is already stored with other values; "
                        "series are appended, never edited: import the revision under a new id"
                    )
                conn.execute(
                    insert(t).values(
                        park_id=park_id,
                        series_id=series_id,
                        region=region,
                        year=year,
                        basis=basis,
                        payload=text,
                        imported_at=now,
                        imported_by=actor,
                    )
                )
        except IntegrityError as err:
            raise Conflict(f"grid-factor series {series_id} was stored concurrently") from err
        return True

    def add_run(
        self,
        *,
        park_id: int,
        year: int,
        rule: str,
        priority: Sequence[str] | None,
        storage_efficiency: float | None,
        method_version: str,
        inputs: dict[str, Any],
        summary: dict[str, Any],
        hourly: bytes,
        note: str | None,
        now: int,
        actor: str,
    ) -> tuple[int, list[int]]:
        """Append a run of the park; the current runs of the same park, year and method
        (rule, priority, storage efficiency) become ``superseded`` by it, in one transaction.
        Returns the new id and the ids it superseded."""
        t = s.matching_run
        prio = None if priority is None else json.dumps(list(priority), ensure_ascii=False)
        same = (
            t.c.park_id == park_id,
            t.c.year == year,
            t.c.rule == rule,
            t.c.priority.is_(None) if prio is None else t.c.priority == prio,
            t.c.storage_efficiency.is_(None)
            if storage_efficiency is None
            else t.c.storage_efficiency == storage_efficiency,
            t.c.status == "current",
        )
        with self._store.begin() as conn:
            old = [
                int(i) for i in conn.execute(select(t.c.id).where(*same).order_by(t.c.id)).scalars()
            ]
            new_id = conn.execute(
                insert(t)
                .returning(t.c.id)
                .values(
                    park_id=park_id,
                    year=year,
                    rule=rule,
                    priority=prio,
                    storage_efficiency=storage_efficiency,
                    method_version=method_version,
                    status="current",
                    inputs=json.dumps(inputs, ensure_ascii=False, sort_keys=True),
                    summary=json.dumps(summary, ensure_ascii=False),
                    hourly=hourly,
                    note=note,
                    created_by=actor,
                    created_at=now,
                )
            ).scalar_one()
            if old:
                conn.execute(
                    update(t)
                    .where(t.c.id.in_(old))
                    .values(status="superseded", superseded_by=int(new_id), superseded_at=now)
                )
        return int(new_id), old

    def runs(self, *, park_id: int, year: int | None = None) -> list[StoredRun]:
        """The park's stored runs (without their hourly arrays), newest first."""
        t = s.matching_run
        cols = [c for c in t.c if c.name != "hourly"]
        q = select(*cols).where(t.c.park_id == park_id).order_by(t.c.id.desc())
        if year is not None:
            q = q.where(t.c.year == year)
        with self._store.begin() as conn:
            return [_run(r, hourly=False) for r in conn.execute(q)]

    def run(self, *, park_id: int, run_id: int, hourly: bool = False) -> StoredRun | None:
        """One run of the park (None when it is not the park's or does not exist)."""
        t = s.matching_run
        cols = [c for c in t.c if hourly or c.name != "hourly"]
        q = select(*cols).where(t.c.park_id == park_id, t.c.id == run_id)
        with self._store.begin() as conn:
            r = conn.execute(q).one_or_none()
        return None if r is None else _run(r, hourly=hourly)

    def series(
        self,
        *,
        park_id: int,
        region: str | None = None,
        year: int | None = None,
        basis: str | None = None,
    ) -> list[StoredSeries]:
        """Series of one park, optionally of one region, year and/or basis, in import order."""
        t = s.grid_factor_series
        q = select(t).where(t.c.park_id == park_id).order_by(t.c.id)
        if region is not None:
            q = q.where(t.c.region == region)
        if year is not None:
            q = q.where(t.c.year == year)
        if basis is not None:
            q = q.where(t.c.basis == basis)
        with self._store.begin() as conn:
            return [_row(r) for r in conn.execute(q)]

    def known_hours(
        self,
        *,
        park_id: int,
        h0: int,
        h1: int,
        meters: Mapping[tuple[int, str, str], int],
    ) -> dict[tuple[int, str], tuple[int, int]]:
        """Per owner × carrier over [h0, h1): (hours with a rollup row, complete hours).

        ``meters`` gives the number of boundary energy meters per (owner key, carrier, unit);
        only those units are read (power rows are measurements, not energy). A rollup row sums
        the meters that had a value, so an hour is complete only when, for every unit the
        owner has meters of, its row counts all of them (``points``) and none of them misses
        any part of the hour (``missing_s``).
        """
        if not meters:
            return {}
        t = s.stat_hour_carrier
        units: dict[tuple[int, str], int] = {}
        for k, c, _u in meters:
            units[(k, c)] = units.get((k, c), 0) + 1
        whole = _whole(t)
        where = _where(t, park_id, h0, h1, meters)
        out: dict[tuple[int, str], tuple[int, int]] = {}
        several = {kc for kc, n in units.items() if n > 1}
        with self._store.begin() as conn:
            # grouped by the number of meters counted: a handful of rows per owner × carrier
            q = (
                select(
                    t.c.enterprise_key,
                    t.c.carrier,
                    t.c.unit,
                    t.c.points,
                    func.count(),
                    func.sum(whole),
                )
                .where(*where)
                .group_by(t.c.enterprise_key, t.c.carrier, t.c.unit, t.c.points)
            )
            for k, c, u, points, n_rows, n_whole in conn.execute(q):
                group = (int(k), str(c), str(u))
                if group not in meters or group[:2] in several:
                    continue
                rows_, ok = out.get(group[:2], (0, 0))
                complete = int(n_whole or 0) if int(points) >= meters[group] else 0
                out[group[:2]] = (rows_ + int(n_rows), ok + complete)
            if several:
                # several units of one owner × carrier (rare): hour by hour, every unit complete
                per_hour: dict[tuple[int, str, int], int] = {}
                q2 = select(
                    t.c.enterprise_key, t.c.carrier, t.c.unit, t.c.hour, t.c.points, whole
                ).where(*where, tuple_(t.c.enterprise_key, t.c.carrier).in_(sorted(several)))
                for k, c, u, hour, points, ok_ in conn.execute(q2):
                    group = (int(k), str(c), str(u))
                    if group not in meters:
                        continue
                    slot = (group[0], group[1], int(hour))
                    done = int(ok_) == 1 and int(points) >= meters[group]
                    per_hour[slot] = per_hour.get(slot, 0) + int(done)
                for (k, c, _h), n_ok in per_hour.items():
                    rows_, ok = out.get((k, c), (0, 0))
                    out[(k, c)] = (rows_ + 1, ok + int(n_ok >= units[(k, c)]))
        return out

    def complete_hours(
        self,
        *,
        park_id: int,
        h0: int,
        h1: int,
        meters: Mapping[tuple[int, str, str], int],
    ) -> dict[tuple[int, str], NDArray[np.int64]]:
        """Per owner × carrier the hours in [h0, h1) that are complete for every unit the
        owner has meters of — hour by hour, the rule :meth:`known_hours` counts."""
        if not meters:
            return {}
        t = s.stat_hour_carrier
        units_of: dict[tuple[int, str], int] = {}
        for k, c, _u in meters:
            units_of[(k, c)] = units_of.get((k, c), 0) + 1
        per_hour: dict[tuple[int, str], dict[int, int]] = {}
        q = select(t.c.enterprise_key, t.c.carrier, t.c.unit, t.c.hour, t.c.points, _whole(t))
        with self._store.begin() as conn:
            for k, c, u, hour, points, ok_ in conn.execute(
                q.where(
                    *_where(t, park_id, h0, h1, meters),
                    t.c.enterprise_key.in_(sorted({k for k, _c, _u in meters})),
                )
            ):
                group = (int(k), str(c), str(u))
                if group not in meters or not (int(ok_) == 1 and int(points) >= meters[group]):
                    continue
                slot = per_hour.setdefault(group[:2], {})
                slot[int(hour)] = slot.get(int(hour), 0) + 1
        return {
            kc: np.array(sorted(h for h, n in hrs.items() if n >= units_of[kc]), np.int64)
            for kc, hrs in per_hour.items()
        }

    def last_hour(
        self, *, park_id: int, owners: Sequence[int], carriers: Sequence[str]
    ) -> int | None:
        """The latest hour with a rollup value of any of ``owners`` × ``carriers``, or None."""
        t = s.stat_hour_carrier
        q = select(func.max(t.c.hour)).where(
            t.c.park_id == park_id,
            t.c.enterprise_key.in_(list(owners)),
            t.c.carrier.in_(list(carriers)),
            t.c.value.is_not(None),
        )
        with self._store.begin() as conn:
            got = conn.execute(q).scalar()
        return None if got is None else int(got)

    def carrier_hours(
        self,
        *,
        park_id: int,
        h0: int,
        h1: int,
        carriers: Sequence[str],
        enterprise_key: int | None = None,
    ) -> list[CarrierHours]:
        """Hourly owner × carrier rollups of every owner of the park (or of one owner key)
        over [h0, h1)."""
        with self._store.begin() as conn:
            return AccountingRepo(self._store).carrier_hours(
                conn,
                park_id=park_id,
                h0=h0,
                h1=h1,
                carriers=carriers,
                enterprise_key=enterprise_key,
            )


__all__ = [
    "MatchingRepo",
    "StoredRun",
    "StoredSeries",
    "boundary_meters",
    "is_energy",
    "is_quantity",
    "owner_hourly_load",
]
