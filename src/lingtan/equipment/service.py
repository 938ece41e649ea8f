"""Equipment operations on the store (keyword-only, explicit principal, no web framework).

Tenancy: an enterprise's user sees and writes only its own enterprise's equipment, plans and
work orders (the store filters by the caller's :class:`~lingtan.store.query_repo.Tenant`);
park roles see the park. Lighting zones are the park's: park-wide callers only (levels written
to their circuits: :mod:`lingtan.equipment.lighting_apply`). A metering
point named by an item or a plan must exist and be in the caller's scope (else NotFound, the
same answer as a point that names nothing) and belong to the item's owner.

Reading needs ``read``; writing needs ``write``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from lingtan.accounting.scope import owner_in_scope
from lingtan.equipment import efficiency as eff
from lingtan.equipment import inspections as insp
from lingtan.equipment import lighting
from lingtan.equipment.grading import GradeResult, grade_item
from lingtan.equipment.reference import grade_standards, lpd_records, standard_for
from lingtan.equipment.register import EquipmentSpec, parse_spec, rated
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.store import Store
from lingtan.store.equipment_repo import EquipmentRepo, EquipmentRow, PlanRow
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.store.records import PointRecord
from lingtan.timeutil import (
    from_us,
    local_date,
    local_day_start_us,
    to_us,
    utcnow,
    year_bounds_us,
)

COUNTERS = ("total_increasing", "total", "interval")


def _tenant(principal: Principal) -> Tenant:
    if principal.enterprise_id is None:
        return Tenant.park_wide()
    return Tenant.of_enterprise(principal.enterprise_id)


def _owner(
    store: Store, principal: Principal, park_id: int, enterprise_id: int | None
) -> int | None:
    """The owner of a new row: the caller's enterprise, or the one a park-wide caller names
    (None: the park's own). Another enterprise's id is NotFound."""
    return owner_in_scope(store, park_id, principal.enterprise_id, enterprise_id)


def _point(
    store: Store, principal: Principal, code: str, owner: int | None, field: str
) -> PointRecord:
    try:
        p = QueryRepo(store).point(tenant=_tenant(principal), code=code)
    except NotFound:
        raise NotFound(f"{field}: point {code!r} not found") from None
    if p.enterprise_id != owner:
        raise InvalidInput(f"{field}: point {code!r} belongs to another owner", field=field)
    return p


def _zone(store: Store, park_id: int) -> ZoneInfo:
    return ZoneInfo(store.registry.park(park_id).timezone)


# -- the register ---------------------------------------------------------------------------
def register(
    store: Store, *, principal: Principal, data: dict[str, Any], enterprise_id: int | None = None
) -> dict[str, Any]:
    """Create or replace an item of the register (rated data validated for its type)."""
    require(principal, Permission.WRITE)
    park = store.registry.park(principal.park_id)
    spec = parse_spec(data)
    owner = _owner(store, principal, park.id, enterprise_id)
    power = None if spec.power_point is None else _point(
        store, principal, spec.power_point, owner, "power_point"
    )  # fmt: skip
    flow = None if spec.flow_point is None else _point(
        store, principal, spec.flow_point, owner, "flow_point"
    )  # fmt: skip
    eid = EquipmentRepo(store).upsert_equipment(
        park_id=park.id, enterprise_id=owner, code=spec.code, type_=spec.type,
        spec=spec.model_dump(mode="json"), power_point_id=None if power is None else power.id,
        flow_point_id=None if flow is None else flow.id, actor=principal.subject,
        now=to_us(utcnow()),
    )  # fmt: skip
    row = EquipmentRepo(store).item(tenant=_tenant(principal), park_id=park.id, equipment_id=eid)
    return _describe(row)


def _describe(row: EquipmentRow) -> dict[str, Any]:
    spec = EquipmentSpec.model_validate(row.spec)
    g = grade_item(row.type, spec.rated)
    std = standard_for(row.type)
    return {
        "id": row.id,
        "code": row.code,
        "name": spec.name,
        "type": row.type,
        "enterprise_id": row.enterprise_id,
        "rated": spec.rated,
        "power_point": spec.power_point,
        "flow_point": spec.flow_point,
        "environmental": spec.environmental,
        "operating_hours": spec.operating_hours,
        "load_factor": spec.load_factor,
        "installed_on": spec.installed_on,
        "note": spec.note,
        "standard": None if std is None else std.brief(),
        "grade": g.as_dict(),
        "updated_at": row.updated_at,
    }


def equipment_list(
    store: Store, *, principal: Principal, enterprise_id: int | None = None
) -> list[dict[str, Any]]:
    """The register in scope, each item with its nameplate grade."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    ent = _scope_enterprise(store, principal, park.id, enterprise_id)
    rows = EquipmentRepo(store).equipment(
        tenant=_tenant(principal), park_id=park.id, enterprise_id=ent
    )
    return [_describe(r) for r in rows]


def _scope_enterprise(
    store: Store, principal: Principal, park_id: int, enterprise_id: int | None
) -> int | None:
    if enterprise_id is None:
        return None
    if principal.enterprise_id is not None and enterprise_id != principal.enterprise_id:
        raise NotFound("enterprise not found")
    if not any(e.id == enterprise_id for e in store.registry.enterprises(park_id)):
        raise NotFound("enterprise not found")
    return enterprise_id


# -- measured efficiency ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Metered:
    """A point's total over a period from its hourly statistics."""

    total: float
    hours: int
    missing_s: float


def _metered(store: Store, point_id: int, kind: str, h0: int, h1: int) -> Metered | None:
    """Σ over the hours of [h0, h1): counters' hourly consumption, or for a measurement the
    hourly mean × 1 h (kW → kWh) — the unit of the point times hours."""
    cols = store.stats.hours(None, [point_id], h0, h1).get(point_id)
    if cols is None or not len(cols["hours"]):
        return None
    field = "value" if kind in COUNTERS else "mean"
    v = cols[field]
    ok = ~np.isnan(v)
    return Metered(float(v[ok].sum()), int(ok.sum()), float(np.nansum(cols["missing_s"])))


def measured(
    store: Store, *, principal: Principal, equipment_id: int, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """The item's metered input over the local days [start, end) and, for a compressor with an
    air-flow point, its measured specific power (GB 19153-2019 metric) and grade."""
    require(principal, Permission.READ)
    _period(start, end)
    park = store.registry.park(principal.park_id)
    row = EquipmentRepo(store).item(
        tenant=_tenant(principal), park_id=park.id, equipment_id=equipment_id
    )
    return _measured(store, row, start, end, _zone(store, park.id))


def _measured(
    store: Store, row: EquipmentRow, start: dt.date, end: dt.date, tz: ZoneInfo
) -> dict[str, Any]:
    h0, h1 = local_day_start_us(start, tz), local_day_start_us(end, tz)
    points = store.registry.points_by_id()
    out: dict[str, Any] = {
        "equipment": row.code, "start": start.isoformat(), "end": end.isoformat(),
        "energy_kwh": None, "air_m3": None, "specific_power": None, "grade": None,
        "status": "no_power_point", "hours": 0,
    }  # fmt: skip
    if row.power_point_id is None:
        return out
    pp = points[row.power_point_id]
    energy = _metered(store, pp.id, pp.kind, h0, h1)
    if energy is None:
        out["status"] = "no_data"
        return out
    out.update(energy_kwh=energy.total, hours=energy.hours, status="metered")
    if row.type == "air_compressor" and row.flow_point_id is not None:
        fp = points[row.flow_point_id]
        air = _metered(store, fp.id, fp.kind, h0, h1)
        if air is None or air.total <= 0:
            out["status"] = "no_flow_data"
            return out
        # a flow measurement in m3/min: Σ hourly mean × 60 min is the hour's volume
        volume = air.total * (60.0 if fp.kind not in COUNTERS else 1.0)
        sp = eff.specific_power(energy.total, volume)
        g = grade_item(row.type, row.spec["rated"], value=sp)
        out.update(air_m3=volume, specific_power=sp, grade=g.as_dict(), status="measured")
    return out


# -- the efficiency list and replacement candidates ------------------------------------------
def _annual_input(
    store: Store, row: EquipmentRow, spec: EquipmentSpec, year: int, tz: ZoneInfo
) -> tuple[float | None, dict[str, Any]]:
    """The item's annual input [kWh] and its basis: the year's metered total of its power
    point, else rated kW × load factor × operating hours where both are declared."""
    if row.power_point_id is not None:
        h0, h1 = year_bounds_us(year, tz)
        pp = store.registry.points_by_id()[row.power_point_id]
        m = _metered(store, pp.id, pp.kind, h0, h1)
        if m is not None:
            return m.total, {"kind": "metered", "year": year, "point": pp.code, "hours": m.hours}
    kw = spec.rated.get("rated_kw")
    if kw is not None and spec.load_factor is not None and spec.operating_hours is not None:
        return (
            eff.annual_input_kwh(float(kw), spec.load_factor, spec.operating_hours),
            {"kind": "declared", "formula": "rated_kw × load_factor × operating_hours"},
        )
    return None, {"kind": "none"}


def _savings(g: GradeResult, row: EquipmentRow, energy: float | None) -> dict[str, Any] | None:
    """Replacing a motor by one at GB 18613-2020 grade 1 (the table's best):
    ΔE = E · (1 − η_now / η_grade1) (:func:`lingtan.equipment.efficiency.efficiency_savings_kwh`)."""
    if row.type != "motor" or g.status != "graded" or energy is None or g.value is None:
        return None
    target = g.thresholds["1"]
    if g.value >= target:
        return None
    kwh = eff.efficiency_savings_kwh(energy, g.value, target)
    return {
        "target": "grade 1",
        "target_value": target,
        "annual_kwh": kwh,
        "formula": "ΔE = E · (1 − η_now / η_grade1)",
    }


def efficiency_list(
    store: Store, *, principal: Principal, year: int, enterprise_id: int | None = None
) -> dict[str, Any]:
    """Every item in scope with its grade, annual input and estimated savings; the items below
    grade 3 (the minimum allowed); replacement candidates ranked by estimated annual savings."""
    require(principal, Permission.READ)
    if not 1990 <= year <= 2100:
        raise InvalidInput("year: must lie within 1990–2100", field="year")
    park = store.registry.park(principal.park_id)
    tz = _zone(store, park.id)
    ent = _scope_enterprise(store, principal, park.id, enterprise_id)
    codes = {e.id: e.code for e in store.registry.enterprises(park.id)}
    items: list[dict[str, Any]] = []
    for row in EquipmentRepo(store).equipment(
        tenant=_tenant(principal), park_id=park.id, enterprise_id=ent
    ):
        spec = EquipmentSpec.model_validate(row.spec)
        g = grade_item(row.type, spec.rated)
        measured_now = None
        if row.type == "air_compressor" and row.flow_point_id is not None:
            measured_now = _measured(
                store, row, dt.date(year, 1, 1), dt.date(year + 1, 1, 1), tz
            )  # fmt: skip
        energy, basis = _annual_input(store, row, spec, year, tz)
        items.append({
            "id": row.id, "code": row.code, "name": spec.name, "type": row.type,
            "enterprise": codes.get(row.enterprise_id) if row.enterprise_id else None,
            "rated": spec.rated, "grade": g.as_dict(), "measured": measured_now,
            "annual_kwh": energy, "annual_basis": basis,
            "savings": _savings(g, row, energy),
        })  # fmt: skip
    below = [i["code"] for i in items if i["grade"]["below_minimum"]] + [
        i["code"]
        for i in items
        if i["measured"] and i["measured"].get("grade") and i["measured"]["grade"]["below_minimum"]
    ]
    candidates = sorted(
        (i for i in items if i["savings"] is not None),
        key=lambda i: (-i["savings"]["annual_kwh"], i["code"]),
    )
    return {
        "year": year,
        "items": items,
        "below_minimum": sorted(set(below)),
        "candidates": [
            {
                "rank": n + 1,
                "code": i["code"],
                "name": i["name"],
                "grade": i["grade"]["grade"],
                "annual_kwh": i["annual_kwh"],
                "savings_kwh": i["savings"]["annual_kwh"],
                "target": i["savings"]["target"],
            }
            for n, i in enumerate(candidates)
        ],
        "savings_formula": "ΔE = E · (1 − η_now / η_grade1); E metered in the year, else "
        "rated_kw × load_factor × operating_hours",
        "standards": [s.brief() for s in grade_standards().values()],
    }


# -- inspections ------------------------------------------------------------------------------
def _plan_view(p: PlanRow, today: dt.date) -> dict[str, Any]:
    spec = p.spec
    due = insp.next_due(
        first_due=dt.date.fromisoformat(p.first_due),
        last_done=None if p.last_done is None else dt.date.fromisoformat(p.last_done),
        interval_days=spec.get("interval_days"),
        interval_months=spec.get("interval_months"),
    )
    late = insp.days_overdue(due, today)
    return {
        "id": p.id, "code": p.code, "name": spec["name"], "kind": p.kind,
        "kind_zh": insp.KIND_ZH[p.kind], "enterprise_id": p.enterprise_id,
        "equipment": spec.get("equipment"), "point": spec.get("point"),
        "interval_days": spec.get("interval_days"), "interval_months": spec.get("interval_months"),
        "first_due": p.first_due, "last_done": p.last_done, "next_due": due.isoformat(),
        "days_overdue": late, "overdue": late > 0, "responsible": spec.get("responsible"),
    }  # fmt: skip


def add_plan(
    store: Store, *, principal: Principal, data: dict[str, Any], enterprise_id: int | None = None
) -> dict[str, Any]:
    """A new inspection plan (its equipment or point must be in scope and the owner's)."""
    require(principal, Permission.WRITE)
    park = store.registry.park(principal.park_id)
    spec = insp.parse_plan(data)
    owner = _owner(store, principal, park.id, enterprise_id)
    eq_id = None
    if spec.equipment is not None:
        try:
            item = EquipmentRepo(store).item_by_code(
                tenant=_tenant(principal), park_id=park.id, code=spec.equipment
            )
        except NotFound:
            raise NotFound(f"equipment: {spec.equipment!r} not found") from None
        if item.enterprise_id != owner:
            raise InvalidInput("equipment: belongs to another owner", field="equipment")
        eq_id = item.id
    pt_id = None if spec.point is None else _point(store, principal, spec.point, owner, "point").id
    repo = EquipmentRepo(store)
    pid = repo.add_plan(
        park_id=park.id, enterprise_id=owner, code=spec.code, kind=spec.kind,
        spec=spec.model_dump(mode="json"), equipment_id=eq_id, point_id=pt_id,
        first_due=spec.first_due.isoformat(),
        last_done=None if spec.last_done is None else spec.last_done.isoformat(),
        actor=principal.subject, now=to_us(utcnow()),
    )  # fmt: skip
    plan = repo.plan(tenant=_tenant(principal), park_id=park.id, plan_id=pid)
    return _plan_view(plan, _today(store, park.id))


def today(store: Store, *, principal: Principal) -> dt.date:
    """The park's local date now."""
    return _today(store, store.registry.park(principal.park_id).id)


def _today(store: Store, park_id: int, now: int | None = None) -> dt.date:
    return local_date(to_us(utcnow()) if now is None else now, _zone(store, park_id))


def plans(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The plans in scope with their next due date and days overdue (as of ``today``, the
    park's local date by default)."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    ent = _scope_enterprise(store, principal, park.id, enterprise_id)
    day = today or _today(store, park.id)
    rows = EquipmentRepo(store).plans(tenant=_tenant(principal), park_id=park.id, enterprise_id=ent)
    return [_plan_view(p, day) for p in rows]


def overdue_plans(
    store: Store, *, park_id: int, enterprise_id: int | None, now: int
) -> list[dict[str, Any]]:
    """Plans past their due date (the alarm check): every plan of the park for the park
    (``enterprise_id`` None), else the enterprise's."""
    tenant = Tenant.park_wide() if enterprise_id is None else Tenant.of_enterprise(enterprise_id)
    day = _today(store, park_id, now)
    rows = EquipmentRepo(store).plans(tenant=tenant, park_id=park_id, enterprise_id=enterprise_id)
    return [v for v in (_plan_view(p, day) for p in rows) if v["overdue"]]


def add_order(store: Store, *, principal: Principal, plan_id: int) -> dict[str, Any]:
    """An open work order of a plan, due at the plan's next due date."""
    require(principal, Permission.WRITE)
    park = store.registry.park(principal.park_id)
    repo = EquipmentRepo(store)
    plan = repo.plan(tenant=_tenant(principal), park_id=park.id, plan_id=plan_id)
    due = _plan_view(plan, _today(store, park.id))["next_due"]
    oid = repo.add_order(plan=plan, due=due, actor=principal.subject, now=to_us(utcnow()))
    return repo.order(tenant=_tenant(principal), park_id=park.id, order_id=oid).as_dict()


_NEXT = {
    "open": {"in_progress", "done", "cancelled"},
    "in_progress": {"done", "cancelled"},
    "done": set(),
    "cancelled": set(),
}


def update_order(
    store: Store, *, principal: Principal, order_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Record findings, the corrective action, a status change (open → in_progress → done |
    cancelled); ``done`` needs ``done_on`` (a date not in the future) and moves the plan's
    last completion."""
    require(principal, Permission.WRITE)
    park = store.registry.park(principal.park_id)
    repo = EquipmentRepo(store)
    order = repo.order(tenant=_tenant(principal), park_id=park.id, order_id=order_id)
    values: dict[str, Any] = {}
    for key in ("findings", "corrective_action"):
        if changes.get(key) is not None:
            values[key] = str(changes[key])
    status = changes.get("status")
    if status is not None and status != order.status:
        if status not in _NEXT.get(order.status, set()):
            raise InvalidInput(f"status: {order.status} → {status} is not allowed", field="status")
        values["status"] = status
    if status == "done":
        done_on = changes.get("done_on")
        if done_on is None:
            raise InvalidInput("done_on: required to complete a work order", field="done_on")
        day = done_on if isinstance(done_on, dt.date) else _date(done_on, "done_on")
        if day > _today(store, park.id):
            raise InvalidInput("done_on: must not be in the future", field="done_on")
        values["done_on"] = day.isoformat()
    if not values:
        raise InvalidInput("changes: nothing to change", field="changes")
    repo.update_order(order=order, changes=values, actor=principal.subject, now=to_us(utcnow()))
    return repo.order(tenant=_tenant(principal), park_id=park.id, order_id=order_id).as_dict()


def orders(
    store: Store, *, principal: Principal, plan_id: int | None = None
) -> list[dict[str, Any]]:
    """Work orders in scope, newest first."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    repo = EquipmentRepo(store)
    if plan_id is not None:
        repo.plan(tenant=_tenant(principal), park_id=park.id, plan_id=plan_id)
    return [
        o.as_dict()
        for o in repo.orders(tenant=_tenant(principal), park_id=park.id, plan_id=plan_id)
    ]


def _period(start: dt.date, end: dt.date) -> None:
    """A period of local days: within 1990–2100, end after start, at most 366 days."""
    for name, d in (("start", start), ("end", end)):
        if not 1990 <= d.year <= 2100:
            raise InvalidInput(f"{name}: must lie within 1990–2100", field=name)
    if end <= start or (end - start).days > 366:
        raise InvalidInput("end: must be after start, within 366 days", field="end")


def _date(text: Any, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InvalidInput(f"{field}: not a date (YYYY-MM-DD)", field=field) from None


# -- public lighting --------------------------------------------------------------------------
def put_zone(store: Store, *, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Create or replace a lighting zone (park-wide callers; circuits must be the park's
    points, the LPD record one on record)."""
    require(principal, Permission.WRITE)
    require_park_wide(principal, "public lighting")
    park = store.registry.park(principal.park_id)
    spec = lighting.parse_zone(data)
    points = store.registry.points_by_code()
    for i, c in enumerate(spec.circuits):
        p = points.get(c)
        if p is None or p.park_id != park.id or p.enterprise_id is not None:
            raise InvalidInput(
                f"circuits[{i}]: {c!r} is not a metering point of the park's own",
                field=f"circuits[{i}]",
            )
    for i, pole in enumerate(spec.poles):
        for role in ("ev_charger", "environment"):
            for j, c in enumerate(getattr(pole, role)):
                p = points.get(c)
                if p is None or p.park_id != park.id or p.enterprise_id is not None:
                    raise InvalidInput(
                        f"poles.{i}.{role}.{j}: {c!r} is not a metering point of the park's own",
                        field=f"poles.{i}.{role}.{j}",
                    )
    if spec.lpd_record is not None and spec.lpd_record not in lpd_records():
        raise InvalidInput(f"lpd_record: {spec.lpd_record!r} is not on record", field="lpd_record")
    EquipmentRepo(store).upsert_zone(
        park_id=park.id, code=spec.code, spec=spec.model_dump(mode="json"),
        actor=principal.subject, now=to_us(utcnow()),
    )  # fmt: skip
    return spec.model_dump(mode="json")


def zones(store: Store, *, principal: Principal) -> list[dict[str, Any]]:
    """The park's lighting zones (park-wide callers)."""
    require(principal, Permission.READ)
    require_park_wide(principal, "public lighting")
    park = store.registry.park(principal.park_id)
    return [z.spec for z in EquipmentRepo(store).zones(park_id=park.id)]


def poles(store: Store, *, principal: Principal, code: str) -> list[dict[str, Any]]:
    """A zone's smart poles (智慧灯杆), each with its points by role (lighting circuit, EV
    charger meter, environment sensor) and each point's newest stored reading (value, unit,
    instant in park local time; null when it has none)."""
    require(principal, Permission.READ)
    require_park_wide(principal, "public lighting")
    park = store.registry.park(principal.park_id)
    spec = lighting.parse_zone(EquipmentRepo(store).zone(park_id=park.id, code=code).spec)
    tz = _zone(store, park.id)
    points = store.registry.points_by_code()
    out = []
    for pole in spec.poles:
        rows = []
        for role in lighting.POLE_ROLES:
            for c in getattr(pole, role):
                p = points.get(c)
                last = None if p is None else store.readings.latest(p.id)
                rows.append({
                    "role": role, "point": c, "name": None if p is None else p.name,
                    "unit": None if p is None else p.unit,
                    "value": None if last is None else last[1],
                    "at": None if last is None else from_us(last[0]).astimezone(tz).isoformat(),
                })  # fmt: skip
        out.append({"code": pole.code, "name": pole.name, "points": rows})
    return out


def schedule(store: Store, *, principal: Principal, code: str, day: dt.date) -> dict[str, Any]:
    """A zone's night beginning on ``day``: sunset/sunrise, switching and dimming setpoints."""
    require(principal, Permission.READ)
    require_park_wide(principal, "public lighting")
    park = store.registry.park(principal.park_id)
    z = EquipmentRepo(store).zone(park_id=park.id, code=code)
    return lighting.night(lighting.parse_zone(z.spec), day, _zone(store, park.id)).as_dict()


def zone_energy(
    store: Store, *, principal: Principal, code: str, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """A zone's metered energy over the local days [start, end), its lit hours by the
    astronomical schedule, and its mean lit power density against the LPD record (values
    null where the record has none)."""
    require(principal, Permission.READ)
    require_park_wide(principal, "public lighting")
    _period(start, end)
    park = store.registry.park(principal.park_id)
    tz = _zone(store, park.id)
    spec = lighting.parse_zone(EquipmentRepo(store).zone(park_id=park.id, code=code).spec)
    points = store.registry.points_by_code()
    h0, h1 = local_day_start_us(start, tz), local_day_start_us(end, tz)
    circuits: list[dict[str, Any]] = []
    total = 0.0
    for c in spec.circuits:
        p = points[c]
        m = _metered(store, p.id, p.kind, h0, h1)
        circuits.append({"point": c, "kwh": None if m is None else m.total,
                         "hours": 0 if m is None else m.hours})  # fmt: skip
        total += 0.0 if m is None else m.total
    lit = 0.0
    day = start
    while day < end:
        lit += lighting.night(spec, day, tz).hours_on
        day += dt.timedelta(days=1)
    density = None
    if spec.area_m2 is not None and lit > 0:
        density = lighting.power_density_w_m2(total, lit, spec.area_m2)
    rec = lpd_records().get(spec.lpd_record or "cjj45-2015.lpd")
    limit = None if rec is None or rec.values is None else rec.values
    return {
        "zone": code, "start": start.isoformat(), "end": end.isoformat(), "kwh": total,
        "circuits": circuits, "lit_hours": lit, "area_m2": spec.area_m2,
        "power_density_w_m2": density,
        "lpd_record": None if rec is None else rec.model_dump(mode="json"),
        "lpd_limit": limit,
        "comparison": "no LPD values on record" if limit is None else "see lpd_limit",
    }  # fmt: skip


def grade_preview(equipment_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The grade of rated data without storing it (CLI/API check)."""
    r = rated(equipment_type, data)
    return grade_item(equipment_type, r.model_dump()).as_dict()
