"""Monitoring stations of the park (``lingtan.environment``).

Every read that serves a user takes the caller's :class:`Tenant`: an enterprise sees its own
outlets and indoor monitors and the park-level stations (ambient air, water sections); the
HJ 212 server reads every station of the store (:meth:`EnvironmentRepo.receivers`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from lingtan.errors import NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class StationRow:
    """A stored station; ``spec`` is the park file's station record as a dict."""

    id: int
    park_id: int
    code: str
    kind: str
    name: str
    enterprise_id: int | None
    mn: str
    pw: str
    spec: dict[str, Any]
    source: str
    updated_at: int
    retired_at: int | None


@dataclass(frozen=True, slots=True)
class StationInput:
    """A station to save (see :meth:`EnvironmentRepo.save_stations`)."""

    code: str
    kind: str
    name: str
    enterprise_id: int | None
    mn: str
    pw: str
    spec: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    retired: list[str]


def _row(r: Any) -> StationRow:
    m = dict(r._mapping)
    m["spec"] = json.loads(m["spec"])
    return StationRow(**m)


def _visible(tenant: Tenant) -> Any:
    """Park-level stations (no enterprise) and the tenant's own."""
    t = s.env_station
    if tenant.enterprise_id is None:
        return t.c.id.is_not(None)
    return or_(t.c.enterprise_id.is_(None), t.c.enterprise_id == tenant.enterprise_id)


class EnvironmentRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def save_stations(
        self, *, park_id: int, stations: Sequence[StationInput], source: str, now: int
    ) -> SaveOutcome:
        """The park's stations as stated in full: create, update, keep; retire the others
        (their points and readings stay)."""
        t = s.env_station
        out = SaveOutcome([], [], [], [])
        with self._store.begin() as conn:
            existing = {
                r.code: _row(r) for r in conn.execute(select(t).where(t.c.park_id == park_id))
            }
            for st in stations:
                values = {
                    "kind": st.kind, "name": st.name, "enterprise_id": st.enterprise_id,
                    "mn": st.mn, "pw": st.pw,
                    "spec": json.dumps(st.spec, ensure_ascii=False, sort_keys=True),
                }  # fmt: skip
                old = existing.get(st.code)
                if old is None:
                    conn.execute(
                        t.insert().values(
                            park_id=park_id, code=st.code, source=source, updated_at=now, **values
                        )
                    )
                    out.created.append(st.code)
                    continue
                same = old.retired_at is None and (
                    old.kind,
                    old.name,
                    old.enterprise_id,
                    old.mn,
                    old.pw,
                    old.spec,
                ) == (st.kind, st.name, st.enterprise_id, st.mn, st.pw, st.spec)
                if same:
                    out.unchanged.append(st.code)
                    continue
                conn.execute(
                    update(t)
                    .where(t.c.id == old.id)
                    .values(source=source, updated_at=now, retired_at=None, **values)
                )
                out.updated.append(st.code)
            keep = {st.code for st in stations}
            for code, old in existing.items():
                if code not in keep and old.retired_at is None:
                    conn.execute(update(t).where(t.c.id == old.id).values(retired_at=now))
                    out.retired.append(code)
        return out

    def stations(
        self, *, tenant: Tenant, park_id: int, kind: str | None = None
    ) -> list[StationRow]:
        """The stations in the caller's scope (not retired), by code."""
        t = s.env_station
        q = select(t).where(t.c.park_id == park_id, t.c.retired_at.is_(None), _visible(tenant))
        if kind is not None:
            q = q.where(t.c.kind == kind)
        with self._store.begin() as conn:
            return [_row(r) for r in conn.execute(q.order_by(t.c.code))]

    def station(self, *, tenant: Tenant, park_id: int, code: str) -> StationRow:
        """One station in the caller's scope (NotFound otherwise, also for another tenant's)."""
        t = s.env_station
        q = select(t).where(
            t.c.park_id == park_id, t.c.code == code, t.c.retired_at.is_(None), _visible(tenant)
        )
        with self._store.begin() as conn:
            r = conn.execute(q).first()
        if r is None:
            raise NotFound("no such station in your scope")
        return _row(r)

    def receivers(self) -> list[StationRow]:
        """Every station of the store that is not retired (the HJ 212 server's list)."""
        t = s.env_station
        with self._store.begin() as conn:
            return [_row(r) for r in conn.execute(select(t).where(t.c.retired_at.is_(None)))]

    def last_hours(self, point_ids: Sequence[int]) -> dict[int, int]:
        """The latest hour [µs] with a known hourly mean, per point (points without none)."""
        from sqlalchemy import bindparam, func

        if not point_ids:
            return {}
        t = s.stat_hour
        q = (
            select(t.c.point_id, func.max(t.c.hour))
            .where(t.c.point_id.in_(bindparam("ids", expanding=True)), t.c.mean.is_not(None))
            .group_by(t.c.point_id)
        )
        with self._store.begin() as conn:
            return {int(p): int(h) for p, h in conn.execute(q, {"ids": list(point_ids)})}

    def newest_readings(self, point_ids: Sequence[int]) -> dict[int, int]:
        """The newest stored reading's timestamp [µs] per point (points without none), in one
        statement of one index probe per point (a grouped max would scan their readings)."""
        from sqlalchemy import func

        if not point_ids:
            return {}
        t = s.reading
        probes = [
            select(func.max(t.c.ts)).where(t.c.point_id == pid).scalar_subquery()
            for pid in point_ids
        ]
        with self._store.begin() as conn:
            row = conn.execute(select(*probes)).one()
        return {pid: int(ts) for pid, ts in zip(point_ids, row, strict=True) if ts is not None}
