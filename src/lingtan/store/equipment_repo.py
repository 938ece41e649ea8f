"""The equipment register, inspection plans, work orders and lighting zones of a park.

Tenancy is applied here: every read takes a :class:`~lingtan.store.query_repo.Tenant` and keeps
the rows the caller may see (an enterprise's user: its own enterprise's rows; park roles: all).
Lighting zones are the park's and are read by park-wide callers only (the service checks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from lingtan.errors import Conflict, NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class EquipmentRow:
    """One item of the register."""

    id: int
    park_id: int
    enterprise_id: int | None
    code: str
    type: str
    spec: dict[str, Any]
    power_point_id: int | None
    flow_point_id: int | None
    created_by: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One inspection plan."""

    id: int
    park_id: int
    enterprise_id: int | None
    code: str
    kind: str
    spec: dict[str, Any]
    equipment_id: int | None
    point_id: int | None
    first_due: str
    last_done: str | None
    active: bool
    created_by: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class WorkOrderRow:
    """One work order."""

    id: int
    park_id: int
    enterprise_id: int | None
    plan_id: int
    due: str
    status: str
    findings: str | None
    corrective_action: str | None
    done_on: str | None
    created_by: str
    created_at: int
    updated_by: str
    updated_at: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "id": self.id, "plan_id": self.plan_id, "enterprise_id": self.enterprise_id,
            "due": self.due, "status": self.status, "findings": self.findings,
            "corrective_action": self.corrective_action, "done_on": self.done_on,
            "created_by": self.created_by, "created_at": self.created_at,
            "updated_by": self.updated_by, "updated_at": self.updated_at,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class ZoneRow:
    """One lighting zone."""

    id: int
    park_id: int
    code: str
    spec: dict[str, Any]
    created_by: str
    created_at: int
    updated_at: int


def _equipment(r: Any) -> EquipmentRow:
    return EquipmentRow(
        int(r.id), int(r.park_id), None if r.enterprise_id is None else int(r.enterprise_id),
        r.code, r.type, json.loads(r.spec),
        None if r.power_point_id is None else int(r.power_point_id),
        None if r.flow_point_id is None else int(r.flow_point_id),
        r.created_by, int(r.created_at), int(r.updated_at),
    )  # fmt: skip


def _plan(r: Any) -> PlanRow:
    return PlanRow(
        int(r.id), int(r.park_id), None if r.enterprise_id is None else int(r.enterprise_id),
        r.code, r.kind, json.loads(r.spec),
        None if r.equipment_id is None else int(r.equipment_id),
        None if r.point_id is None else int(r.point_id),
        r.first_due, r.last_done, bool(r.active), r.created_by, int(r.created_at),
        int(r.updated_at),
    )  # fmt: skip


def _order(r: Any) -> WorkOrderRow:
    return WorkOrderRow(
        int(r.id), int(r.park_id), None if r.enterprise_id is None else int(r.enterprise_id),
        int(r.plan_id), r.due, r.status, r.findings, r.corrective_action, r.done_on,
        r.created_by, int(r.created_at), r.updated_by, int(r.updated_at),
    )  # fmt: skip


def _zone(r: Any) -> ZoneRow:
    return ZoneRow(
        int(r.id), int(r.park_id), r.code, json.loads(r.spec), r.created_by,
        int(r.created_at), int(r.updated_at),
    )  # fmt: skip


def _dump(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str)


class EquipmentRepo:
    """Equipment, inspections and lighting of the parks in a store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- equipment --------------------------------------------------------------------------
    def upsert_equipment(
        self,
        *,
        park_id: int,
        enterprise_id: int | None,
        code: str,
        type_: str,
        spec: dict[str, Any],
        power_point_id: int | None,
        flow_point_id: int | None,
        actor: str,
        now: int,
    ) -> int:
        """Create the item ``code``, or replace its declaration (its owner may not change:
        Conflict); its id."""
        t = s.equipment
        values = {
            "type": type_, "spec": _dump(spec), "power_point_id": power_point_id,
            "flow_point_id": flow_point_id, "updated_at": now,
        }  # fmt: skip
        with self._store.begin() as conn:
            row = conn.execute(
                select(t.c.id, t.c.enterprise_id).where(t.c.park_id == park_id, t.c.code == code)
            ).one_or_none()
            if row is None:
                q = insert(t).values(
                    park_id=park_id, enterprise_id=enterprise_id, code=code, created_by=actor,
                    created_at=now, **values,
                ).returning(t.c.id)  # fmt: skip
                return int(conn.execute(q).scalar_one())
            if row.enterprise_id != enterprise_id:
                raise Conflict(f"code: equipment {code!r} belongs to another owner")
            conn.execute(update(t).where(t.c.id == row.id).values(**values))
            return int(row.id)

    def equipment(
        self, *, tenant: Tenant, park_id: int, enterprise_id: int | None = None
    ) -> list[EquipmentRow]:
        """The register in scope, by code."""
        t = s.equipment
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_equipment(r) for r in conn.execute(q.order_by(t.c.code))]

    def item(self, *, tenant: Tenant, park_id: int, equipment_id: int) -> EquipmentRow:
        """One item in scope (NotFound otherwise)."""
        t = s.equipment
        q = select(t).where(
            t.c.id == equipment_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            row = conn.execute(q).one_or_none()
        if row is None:
            raise NotFound("equipment not found")
        return _equipment(row)

    def item_by_code(self, *, tenant: Tenant, park_id: int, code: str) -> EquipmentRow:
        """One item in scope by code (NotFound otherwise)."""
        t = s.equipment
        q = select(t).where(
            t.c.code == code, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            row = conn.execute(q).one_or_none()
        if row is None:
            raise NotFound(f"equipment {code!r} not found")
        return _equipment(row)

    # -- inspection plans -------------------------------------------------------------------
    def add_plan(
        self,
        *,
        park_id: int,
        enterprise_id: int | None,
        code: str,
        kind: str,
        spec: dict[str, Any],
        equipment_id: int | None,
        point_id: int | None,
        first_due: str,
        last_done: str | None,
        actor: str,
        now: int,
    ) -> int:
        """A new plan (Conflict when the code is taken); its id."""
        t = s.inspection_plan
        q = insert(t).values(
            park_id=park_id, enterprise_id=enterprise_id, code=code, kind=kind, spec=_dump(spec),
            equipment_id=equipment_id, point_id=point_id, first_due=first_due,
            last_done=last_done, active=True, created_by=actor, created_at=now, updated_at=now,
        ).returning(t.c.id)  # fmt: skip
        try:
            with self._store.begin() as conn:
                return int(conn.execute(q).scalar_one())
        except IntegrityError:
            raise Conflict(f"code: inspection plan {code!r} exists") from None

    def plans(
        self, *, tenant: Tenant, park_id: int | None, enterprise_id: int | None = None
    ) -> list[PlanRow]:
        """Active plans in scope (every park's when ``park_id`` is None), by code."""
        t = s.inspection_plan
        q = select(t).where(t.c.active.is_(True), _owner(t.c.enterprise_id, tenant))
        if park_id is not None:
            q = q.where(t.c.park_id == park_id)
        if enterprise_id is not None:
            q = q.where(t.c.enterprise_id == enterprise_id)
        with self._store.begin() as conn:
            return [_plan(r) for r in conn.execute(q.order_by(t.c.code))]

    def plan(self, *, tenant: Tenant, park_id: int, plan_id: int) -> PlanRow:
        """One plan in scope (NotFound otherwise)."""
        t = s.inspection_plan
        q = select(t).where(
            t.c.id == plan_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            row = conn.execute(q).one_or_none()
        if row is None:
            raise NotFound("inspection plan not found")
        return _plan(row)

    # -- work orders ------------------------------------------------------------------------
    def add_order(self, *, plan: PlanRow, due: str, actor: str, now: int) -> int:
        """A new open work order of ``plan``; its id."""
        t = s.work_order
        q = insert(t).values(
            park_id=plan.park_id, enterprise_id=plan.enterprise_id, plan_id=plan.id, due=due,
            status="open", created_by=actor, created_at=now, updated_by=actor, updated_at=now,
        ).returning(t.c.id)  # fmt: skip
        with self._store.begin() as conn:
            return int(conn.execute(q).scalar_one())

    def orders(
        self, *, tenant: Tenant, park_id: int, plan_id: int | None = None
    ) -> list[WorkOrderRow]:
        """Work orders in scope, newest first."""
        t = s.work_order
        q = select(t).where(t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant))
        if plan_id is not None:
            q = q.where(t.c.plan_id == plan_id)
        with self._store.begin() as conn:
            return [_order(r) for r in conn.execute(q.order_by(t.c.id.desc()))]

    def order(self, *, tenant: Tenant, park_id: int, order_id: int) -> WorkOrderRow:
        """One work order in scope (NotFound otherwise)."""
        t = s.work_order
        q = select(t).where(
            t.c.id == order_id, t.c.park_id == park_id, _owner(t.c.enterprise_id, tenant)
        )
        with self._store.begin() as conn:
            row = conn.execute(q).one_or_none()
        if row is None:
            raise NotFound("work order not found")
        return _order(row)

    def update_order(
        self, *, order: WorkOrderRow, changes: dict[str, Any], actor: str, now: int
    ) -> None:
        """Change a work order; when it becomes ``done``, its plan's ``last_done`` moves to
        the completion date (never backwards), in the same transaction."""
        t = s.work_order
        with self._store.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == order.id)
                .values(**changes, updated_by=actor, updated_at=now)
            )
            done_on = changes.get("done_on")
            if changes.get("status") == "done" and done_on:
                self._advance(conn, order.plan_id, done_on, now)

    @staticmethod
    def _advance(conn: Connection, plan_id: int, done_on: str, now: int) -> None:
        p = s.inspection_plan
        last = conn.execute(select(p.c.last_done).where(p.c.id == plan_id)).scalar_one()
        if last is None or done_on > last:
            conn.execute(
                update(p).where(p.c.id == plan_id).values(last_done=done_on, updated_at=now)
            )

    # -- lighting zones ---------------------------------------------------------------------
    def upsert_zone(
        self, *, park_id: int, code: str, spec: dict[str, Any], actor: str, now: int
    ) -> int:
        """Create the zone ``code`` or replace its declaration; its id."""
        t = s.lighting_zone
        with self._store.begin() as conn:
            zid = conn.execute(
                select(t.c.id).where(t.c.park_id == park_id, t.c.code == code)
            ).scalar_one_or_none()
            if zid is None:
                q = insert(t).values(
                    park_id=park_id, code=code, spec=_dump(spec), created_by=actor,
                    created_at=now, updated_at=now,
                ).returning(t.c.id)  # fmt: skip
                return int(conn.execute(q).scalar_one())
            conn.execute(update(t).where(t.c.id == zid).values(spec=_dump(spec), updated_at=now))
            return int(zid)

    def zones(self, *, park_id: int) -> list[ZoneRow]:
        """The park's lighting zones, by code."""
        t = s.lighting_zone
        q = select(t).where(t.c.park_id == park_id).order_by(t.c.code)
        with self._store.begin() as conn:
            return [_zone(r) for r in conn.execute(q)]

    def zone(self, *, park_id: int, code: str) -> ZoneRow:
        """One zone of the park (NotFound otherwise)."""
        for z in self.zones(park_id=park_id):
            if z.code == code:
                return z
        raise NotFound(f"lighting zone {code!r} not found")
