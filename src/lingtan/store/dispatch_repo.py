"""The park's microgrid declaration, stored dispatch plans and EV sessions
(``lingtan.dispatch``).

Dispatch is the park's own microgrid: every row belongs to a park, none to an enterprise, and
the service refuses enterprise users before any read here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from lingtan.errors import NotFound
from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class SpecRow:
    """The stored declaration of a park."""

    park_id: int
    spec: dict[str, Any]
    source: str
    updated_by: str
    updated_at: int


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One stored plan (the JSON columns parsed)."""

    id: int
    park_id: int
    day: str
    kind: str
    from_step: int
    step_minutes: int
    status: str
    created_at: int
    created_by: str
    objective: dict[str, Any]
    inputs: dict[str, Any]
    terms: dict[str, Any]
    violations: list[dict[str, Any]]
    steps: dict[str, Any]
    published_at: int | None
    publish: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    """An EV session of a day, as imported."""

    code: str
    charger: str
    arrival: str
    departure: str
    energy_kwh: float
    max_kw: float | None


@dataclass(frozen=True, slots=True)
class SetpointWriteRow:
    """A setpoint written to a device for one step, its read-back and its tracking."""

    id: int
    park_id: int
    plan_id: int
    step: int
    step_start: int
    step_end: int
    device: str
    kind: str
    setpoint_kw: float
    written: float | None
    readback: float | None
    status: str
    attempts: list[dict[str, Any]]
    written_at: int
    written_by: str
    measured_kw: float | None
    tracking: str | None
    tracked_at: int | None


def _write(r: Any) -> SetpointWriteRow:
    m = dict(r._mapping)
    m["attempts"] = json.loads(m["attempts"])
    return SetpointWriteRow(**m)


_JSON = ("objective", "inputs", "terms", "violations", "steps")


def _plan(r: Any, *, with_steps: bool = True) -> PlanRow:
    m = dict(r._mapping)
    for k in _JSON:
        m[k] = json.loads(m[k]) if (k != "steps" or with_steps) else {}
    m["publish"] = None if m["publish"] is None else json.loads(m["publish"])
    return PlanRow(**m)


class DispatchRepo:
    """Storage of dispatch declarations, plans and sessions."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- the declaration ---------------------------------------------------------------------
    def save_spec(self, *, park_id: int, spec: dict[str, Any], actor: str, now: int) -> SpecRow:
        """Insert or replace the park's declaration."""
        t = s.microgrid_spec
        source = str(spec.get("source", ""))
        values: dict[str, Any] = {
            "park_id": park_id,
            "spec": json.dumps(spec, ensure_ascii=False, sort_keys=True),
            "source": source,
            "updated_by": actor,
            "updated_at": now,
        }
        stmt = self._store.dialect_insert(t).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.park_id],
            set_={k: v for k, v in values.items() if k != "park_id"},
        )
        with self._store.begin() as conn:
            conn.execute(stmt)
        return SpecRow(park_id, spec, source, actor, now)

    def spec(self, *, park_id: int) -> SpecRow | None:
        """The park's declaration, None when none is stored."""
        t = s.microgrid_spec
        with self._store.begin() as conn:
            r = conn.execute(select(t).where(t.c.park_id == park_id)).first()
        if r is None:
            return None
        return SpecRow(
            int(r.park_id), json.loads(r.spec), r.source, r.updated_by, int(r.updated_at)
        )

    # -- plans -------------------------------------------------------------------------------
    def save_plan(self, row: dict[str, Any]) -> int:
        """Store a plan; its id."""
        t = s.dispatch_plan
        values = dict(row)
        for k in _JSON:
            values[k] = json.dumps(values[k], ensure_ascii=False)
        with self._store.begin() as conn:
            return int(conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one())

    def plan(self, *, park_id: int, plan_id: int) -> PlanRow:
        """One plan of the park; ``NotFound`` otherwise."""
        t = s.dispatch_plan
        with self._store.begin() as conn:
            r = conn.execute(select(t).where(t.c.id == plan_id, t.c.park_id == park_id)).first()
        if r is None:
            raise NotFound("dispatch plan not found")
        return _plan(r)

    def plans(
        self, *, park_id: int, day: str | None = None, limit: int = 50, with_steps: bool = False
    ) -> list[PlanRow]:
        """Plans of the park (of one day if asked), newest first."""
        t = s.dispatch_plan
        q = select(t).where(t.c.park_id == park_id)
        if day is not None:
            q = q.where(t.c.day == day)
        with self._store.begin() as conn:
            rows = conn.execute(q.order_by(t.c.id.desc()).limit(limit)).all()
        return [_plan(r, with_steps=with_steps) for r in rows]

    def plans_between(self, *, park_id: int, first: str, last: str) -> list[PlanRow]:
        """Plans of the park whose day lies in ``[first, last]`` (ISO dates), newest first,
        without their steps."""
        t = s.dispatch_plan
        q = select(t).where(t.c.park_id == park_id, t.c.day >= first, t.c.day <= last)
        with self._store.begin() as conn:
            rows = conn.execute(q.order_by(t.c.id.desc())).all()
        return [_plan(r, with_steps=False) for r in rows]

    def mark_published(self, *, plan_id: int, at: int, publish: dict[str, Any]) -> None:
        """Record when a plan was published and what the broker acknowledged."""
        t = s.dispatch_plan
        with self._store.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == plan_id)
                .values(published_at=at, publish=json.dumps(publish, ensure_ascii=False))
            )

    # -- setpoints written to devices --------------------------------------------------------
    def add_writes(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Store the outcome of setpoint writes; their ids."""
        t = s.dispatch_setpoint
        ids = []
        with self._store.begin() as conn:
            for row in rows:
                values = {**row, "attempts": json.dumps(row["attempts"], ensure_ascii=False)}
                ids.append(
                    int(conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one())
                )
        return ids

    def writes(
        self,
        *,
        park_id: int,
        plan_id: int | None = None,
        since: int | None = None,
        failed_only: bool = False,
        limit: int = 500,
    ) -> list[SetpointWriteRow]:
        """Setpoint writes of the park (of one plan, written since ``since`` µs), newest first."""
        t = s.dispatch_setpoint
        q = select(t).where(t.c.park_id == park_id)
        if plan_id is not None:
            q = q.where(t.c.plan_id == plan_id)
        if since is not None:
            q = q.where(t.c.written_at >= since)
        if failed_only:
            q = q.where((t.c.status != "ok") | (t.c.tracking == "off"))
        with self._store.begin() as conn:
            rows = conn.execute(q.order_by(t.c.id.desc()).limit(limit)).all()
        return [_write(r) for r in rows]

    def set_tracking(
        self, *, write_id: int, measured_kw: float | None, tracking: str, at: int
    ) -> None:
        """Record the tracking evidence of a write."""
        t = s.dispatch_setpoint
        with self._store.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == write_id)
                .values(measured_kw=measured_kw, tracking=tracking, tracked_at=at)
            )

    # -- EV sessions -------------------------------------------------------------------------
    def replace_sessions(
        self, *, park_id: int, day: str, rows: Sequence[SessionRow], actor: str, now: int
    ) -> int:
        """Replace the sessions of a day; how many were stored."""
        t = s.ev_session
        with self._store.begin() as conn:
            conn.execute(delete(t).where(t.c.park_id == park_id, t.c.day == day))
            if rows:
                conn.execute(
                    insert(t),
                    [
                        {
                            "park_id": park_id,
                            "day": day,
                            "code": r.code,
                            "charger": r.charger,
                            "arrival": r.arrival,
                            "departure": r.departure,
                            "energy_kwh": r.energy_kwh,
                            "max_kw": r.max_kw,
                            "imported_by": actor,
                            "imported_at": now,
                        }
                        for r in rows
                    ],
                )
        return len(rows)

    def sessions(self, *, park_id: int, day: str) -> list[SessionRow]:
        """The sessions of a day, by code."""
        t = s.ev_session
        with self._store.begin() as conn:
            rows = conn.execute(
                select(t).where(t.c.park_id == park_id, t.c.day == day).order_by(t.c.code)
            ).all()
        return [
            SessionRow(
                r.code,
                r.charger,
                r.arrival,
                r.departure,
                float(r.energy_kwh),
                None if r.max_kw is None else float(r.max_kw),
            )
            for r in rows
        ]
