"""``/api/v1/equipment``: the register with efficiency grades, measured efficiency, the
efficiency list and its workbook, inspection plans and work orders, public-lighting zones,
their astronomical schedules, the levels written to their circuits and the stored writes. Thin: the work is in :mod:`lingtan.equipment` (tenant scoping
in its service and repository)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

import lingtan.equipment.alarms as equipment_alarms  # registers the inspection check
from lingtan.api.common import MAX_ID, IdPath
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.equipment import lighting_apply, report, service
from lingtan.equipment.reference import grade_standards, lpd_records
from lingtan.identity.roles import Permission, require, require_park_wide
from lingtan.timeutil import parse_timestamp, utcnow

router = APIRouter(prefix="/equipment", tags=["equipment"])
EnterpriseQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="one enterprise")]
Year = Annotated[int, Query(ge=1990, le=2100)]
ZoneCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
J = dict[str, Any]


class EquipmentIn(BaseModel):
    """An item of the register (rated data per type: docs/equipment.md); ``enterprise_id``:
    the owner for park-wide callers (absent: the park's own)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    type: str = Field(max_length=24)
    rated: dict[str, Any]
    power_point: str | None = Field(default=None, max_length=64)
    flow_point: str | None = Field(default=None, max_length=64)
    environmental: bool = False
    operating_hours: float | None = None
    load_factor: float | None = None
    installed_on: str | None = Field(default=None, max_length=10)
    note: str | None = Field(default=None, max_length=500)
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class PlanIn(BaseModel):
    """An inspection plan (interval in days or months)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=24)
    equipment: str | None = Field(default=None, max_length=64)
    point: str | None = Field(default=None, max_length=64)
    interval_days: int | None = None
    interval_months: int | None = None
    first_due: str = Field(max_length=10)
    last_done: str | None = Field(default=None, max_length=10)
    responsible: str | None = Field(default=None, max_length=100)
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class OrderChange(BaseModel):
    """Findings, corrective action, a status change (``done`` needs ``done_on``)."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "in_progress", "done", "cancelled"] | None = None
    findings: str | None = Field(default=None, max_length=4000)
    corrective_action: str | None = Field(default=None, max_length=4000)
    done_on: dt.date | None = None


class ZoneIn(BaseModel):
    """A lighting zone (circuits are metering points of the park)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    kind: str = Field(max_length=24)
    circuits: list[str] = Field(max_length=200)
    latitude: float
    longitude: float
    on_offset_min: float = 0
    off_offset_min: float = 0
    dimming: list[dict[str, Any]] = Field(default_factory=list, max_length=12)
    area_m2: float | None = None
    lpd_record: str | None = Field(default=None, max_length=64)
    #: Modbus gateways and one device per circuit (the dispatch control declaration's format)
    control: dict[str, Any] | None = None
    #: smart poles (智慧灯杆): code, name, and point codes by role (lighting — circuits of the
    #: zone —, ev_charger, environment)
    poles: list[dict[str, Any]] = Field(default_factory=list, max_length=500)


def _without(body: BaseModel, *keys: str) -> J:
    return {k: v for k, v in body.model_dump().items() if k not in keys and v is not None}


@router.get("/standards")
def get_standards(principal: CurrentPrincipal) -> J:
    """The efficiency standards on record (editions, tables or their absence, provenance) and
    the lighting power-density records."""
    require(principal, Permission.READ)
    return {
        "standards": [s.model_dump(mode="json") for s in grade_standards().values()],
        "lighting_lpd": [r.model_dump(mode="json") for r in lpd_records().values()],
    }


@router.get("")
def list_equipment(
    store: StoreDep, principal: CurrentPrincipal, enterprise_id: EnterpriseQuery = None
) -> list[J]:
    """The register in the caller's scope, each item with its nameplate grade."""
    return service.equipment_list(store, principal=principal, enterprise_id=enterprise_id)


@router.post("", status_code=status.HTTP_201_CREATED)
def put_equipment(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[EquipmentIn, Body()]
) -> J:
    """Create or replace an item (by code)."""
    return service.register(
        store, principal=principal, data=_without(body, "enterprise_id"),
        enterprise_id=body.enterprise_id,
    )  # fmt: skip


@router.get("/efficiency-list")
def get_efficiency_list(
    store: StoreDep, principal: CurrentPrincipal, year: Year, enterprise_id: EnterpriseQuery = None
) -> J:
    """Grades, annual input, items below grade 3 and replacement candidates ranked by
    estimated annual savings."""
    return service.efficiency_list(
        store, principal=principal, year=year, enterprise_id=enterprise_id
    )


@router.get(
    "/efficiency-list/report", response_class=Response, responses={200: {"content": {XLSX: {}}}}
)
def get_efficiency_report(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Year,
    enterprise_id: EnterpriseQuery = None,
    lang: Annotated[Literal["zh-CN", "en"], Query()] = "zh-CN",
) -> Response:
    """The equipment efficiency list as an Excel workbook (zh-CN, or English)."""
    require(principal, Permission.REPORTS)
    content = report.build(
        store, principal=principal, year=year, enterprise_id=enterprise_id, lang=lang
    )
    return Response(
        content=content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="equipment-{year}.xlsx"'},
    )


@router.get("/inspections/plans")
def list_plans(
    store: StoreDep, principal: CurrentPrincipal, enterprise_id: EnterpriseQuery = None
) -> list[J]:
    """The inspection plans in scope with their next due date and days overdue."""
    return service.plans(store, principal=principal, enterprise_id=enterprise_id)


@router.post("/inspections/plans", status_code=status.HTTP_201_CREATED)
def add_plan(store: StoreDep, principal: CurrentPrincipal, body: Annotated[PlanIn, Body()]) -> J:
    """A new inspection plan."""
    return service.add_plan(
        store, principal=principal, data=_without(body, "enterprise_id"),
        enterprise_id=body.enterprise_id,
    )  # fmt: skip


@router.get("/inspections/orders")
def list_orders(
    store: StoreDep,
    principal: CurrentPrincipal,
    inspection_plan_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[J]:
    """Work orders in scope, newest first."""
    return service.orders(store, principal=principal, plan_id=inspection_plan_id)


@router.post("/inspections/plans/{inspection_plan_id}/orders", status_code=status.HTTP_201_CREATED)
def add_order(store: StoreDep, principal: CurrentPrincipal, inspection_plan_id: IdPath) -> J:
    """An open work order of the plan, due at its next due date."""
    return service.add_order(store, principal=principal, plan_id=inspection_plan_id)


@router.patch("/inspections/orders/{work_order_id}")
def change_order(
    store: StoreDep,
    principal: CurrentPrincipal,
    work_order_id: IdPath,
    body: Annotated[OrderChange, Body()],
) -> J:
    """Record findings and corrective action, move the status."""
    return service.update_order(
        store, principal=principal, order_id=work_order_id,
        changes=body.model_dump(exclude_none=True),
    )  # fmt: skip


@router.post("/alarm-rules", status_code=status.HTTP_201_CREATED)
def install_alarm_rules(store: StoreDep, principal: CurrentPrincipal) -> J:
    """Create the default overdue-inspection rule the park lacks (park administrators)."""
    require(principal, Permission.ADMIN_PARK)
    require_park_wide(principal, "the park's inspection alarm rules")
    return {"created": equipment_alarms.install_rules(store, principal=principal)}


@router.get("/measured/{equipment_id}")
def get_measured(
    store: StoreDep,
    principal: CurrentPrincipal,
    equipment_id: IdPath,
    start: Annotated[dt.date | None, Query()] = None,
    end: Annotated[dt.date | None, Query()] = None,
) -> J:
    """The item's metered input over the local days [start, end) (default: the last 30 days)
    and a compressor's measured specific power."""
    last = end or service.today(store, principal=principal)
    first = start or last - dt.timedelta(days=30)
    return service.measured(
        store, principal=principal, equipment_id=equipment_id, start=first, end=last
    )


@router.get("/lighting/zones")
def list_zones(store: StoreDep, principal: CurrentPrincipal) -> list[J]:
    """The park's public-lighting zones (park roles)."""
    return service.zones(store, principal=principal)


@router.put("/lighting/zones/{zone_code}")
def put_zone(
    store: StoreDep,
    principal: CurrentPrincipal,
    zone_code: ZoneCode,
    body: Annotated[ZoneIn, Body()],
) -> J:
    """Create or replace a lighting zone (park administrators)."""
    return service.put_zone(
        store, principal=principal, data={**body.model_dump(exclude_none=True), "code": zone_code}
    )


@router.get("/lighting/zones/{zone_code}/schedule")
def get_schedule(
    store: StoreDep,
    principal: CurrentPrincipal,
    zone_code: ZoneCode,
    day: Annotated[dt.date | None, Query()] = None,
) -> J:
    """The night beginning on ``day`` (default today): sunset, sunrise, the switching and
    dimming setpoints of each circuit."""
    return service.schedule(
        store, principal=principal, code=zone_code,
        day=day or service.today(store, principal=principal),
    )  # fmt: skip


@router.get("/lighting/zones/{zone_code}/poles")
def get_poles(store: StoreDep, principal: CurrentPrincipal, zone_code: ZoneCode) -> list[J]:
    """The zone's smart poles (智慧灯杆): each pole's points by role (lighting circuit, EV
    charger meter, environment sensor) with their newest stored readings."""
    return service.poles(store, principal=principal, code=zone_code)


@router.get("/lighting/zones/{zone_code}/energy")
def get_zone_energy(
    store: StoreDep,
    principal: CurrentPrincipal,
    zone_code: ZoneCode,
    start: Annotated[dt.date | None, Query()] = None,
    end: Annotated[dt.date | None, Query()] = None,
) -> J:
    """The zone's metered energy, lit hours and mean lit power density against the LPD
    record (default: the last 30 days)."""
    last = end or service.today(store, principal=principal)
    first = start or last - dt.timedelta(days=30)
    return service.zone_energy(store, principal=principal, code=zone_code, start=first, end=last)


class LightIn(BaseModel):
    """The instant whose scheduled level is written (ISO 8601 with its offset; absent: now);
    ``dry_run``: the registers only, nothing written or stored."""

    model_config = ConfigDict(extra="forbid")
    at: str | None = Field(default=None, max_length=40)
    dry_run: bool = False


@router.post("/lighting/zones/{zone_code}/apply")
def apply_lighting(
    store: StoreDep,
    principal: CurrentPrincipal,
    zone_code: ZoneCode,
    body: Annotated[LightIn, Body()],
) -> J:
    """Write the zone's scheduled level to its controlled circuits over Modbus and read it back
    (park administrators); every outcome stored, a failed one alarmed."""
    now = utcnow() if body.at is None else parse_timestamp(body.at, "at")
    # a plain ``def``: the Modbus exchange runs on its own event loop in the worker thread
    return lighting_apply.apply_lighting_now(
        store, principal=principal, code=zone_code, now=now, dry_run=body.dry_run
    )


@router.get("/lighting/zones/{zone_code}/writes")
def get_lighting_writes(
    store: StoreDep,
    principal: CurrentPrincipal,
    zone_code: ZoneCode,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[J]:
    """The levels written to the zone's circuits with their outcomes, newest first (park-wide
    readers; an enterprise's user is answered as for a zone that does not exist)."""
    return lighting_apply.lighting_writes(store, principal=principal, code=zone_code, limit=limit)
