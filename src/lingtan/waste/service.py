"""Waste ledger service: streams, management plans, storage facilities, movements, the mass
balance and the storage status (keyword-only, explicit principal, no web framework).

Tenancy: an enterprise's user sees and writes only its own ledger (the store filters every
query by the tenant); park-wide roles see every enterprise's and write for any (naming it).
Writing needs the ``write`` permission. HJ 1259-2022 (危险废物管理计划和管理台账制定技术导则)
asks for a plan per year and a ledger of every step; both are appended here, never edited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from lingtan import units
from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store import Store
from lingtan.store.query_repo import Tenant
from lingtan.store.waste_repo import WasteRepo
from lingtan.timeutil import from_us, to_us, utcnow
from lingtan.waste import catalogue, ledger
from lingtan.waste.model import (
    OWN,
    STORAGE_KINDS,
    Facility,
    Movement,
    MovementKind,
    Plan,
    StorageExtension,
    Stream,
)

FORMS = ("固态", "半固态", "液态", "气态")
#: kinds a user records directly; transfers and receipts come from manifests
DIRECT_KINDS = tuple(
    k for k in MovementKind if k not in (MovementKind.TRANSFERRED, MovementKind.RECEIVED)
)
MAX_T = 1e7


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where a call acts: the park, its time zone, the caller's tenant."""

    park_id: int
    tz: ZoneInfo
    tenant: Tenant


def now_us() -> int:
    """Now [µs]."""
    return to_us(utcnow())


def ctx(store: Store, principal: Principal) -> Ctx:
    """The caller's park and tenant."""
    park = store.registry.park(principal.park_id)
    return Ctx(park.id, ZoneInfo(park.timezone), principal.tenant)


def require_read(principal: Principal) -> None:
    """Reading the ledger needs ``read``."""
    require(principal, Permission.READ)


def require_write(principal: Principal) -> None:
    """Writing the ledger needs ``write``."""
    require(principal, Permission.WRITE)


def enterprise_for(
    store: Store, principal: Principal, c: Ctx, enterprise_id: int | None, *, writing: bool
) -> int:
    """The enterprise a call acts for: the caller's own (an enterprise's user), or the one a
    park-wide caller names (required when writing). Another enterprise's id is NotFound — the
    same answer as an id that names nothing."""
    if principal.enterprise_id is not None:
        if enterprise_id is not None and enterprise_id != principal.enterprise_id:
            raise NotFound("enterprise not found")
        return principal.enterprise_id
    if enterprise_id is None:
        if writing:
            raise InvalidInput(
                "enterprise_id: required for park-wide callers", field="enterprise_id"
            )
        return 0
    if not any(e.id == enterprise_id for e in store.registry.enterprises(c.park_id)):
        raise NotFound("enterprise not found")
    return enterprise_id


def to_tonnes(quantity: float, unit: str, *, field: str = "quantity") -> float:
    """A mass in tonnes through :mod:`lingtan.units` (t, kg …); other dimensions refused."""
    try:
        if units.dimension(unit) != "mass":
            raise InvalidInput(f"unit: {unit!r} is not a unit of mass (t, kg)", field="unit")
        value = units.convert(quantity, unit, "t")
    except InvalidInput:
        raise
    except Exception as err:
        raise InvalidInput(f"unit: {unit!r}: {err}", field="unit") from None
    if not (0 <= value <= MAX_T) or value != value:
        raise InvalidInput(f"{field}: {quantity!r} {unit} is out of range", field=field)
    return value


# -- streams ------------------------------------------------------------------------------------
def add_stream(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    code: str,
    name: str,
    form: str,
    process: str,
    hazard: Sequence[str] | None = None,
) -> Stream:
    """Declare a waste stream; the code is checked against the list in force (名录)."""  # fmt: skip
    require_write(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=True)
    checked = catalogue.check_code(code, day=from_us(now_us(), c.tz).date())
    if form not in FORMS:
        raise InvalidInput(f"form: {form!r} is not one of {', '.join(FORMS)}", field="form")
    name = name.strip()
    if not name:
        raise InvalidInput("name: required", field="name")
    repo = WasteRepo(store)
    if repo.stream_by_name(enterprise_id=ent, name=name) is not None:
        raise InvalidInput(f"name: the enterprise already has a stream {name!r}", field="name")
    given = sorted(set(hazard or []))
    for h in given:
        if h not in ("T", "C", "I", "R", "In"):
            raise InvalidInput(f"hazard: {h!r} is not one of T, C, I, R, In", field="hazard")
    return repo.add_stream(
        park_id=c.park_id, enterprise_id=ent, code=checked.code, category=checked.category,
        name=name, form=form, hazard=given or checked.hazard, process=process.strip(),
        listed=checked.listed, edition=checked.edition, created_by=principal.actor,
        created_at=now_us(),
    )  # fmt: skip


def list_streams(
    store: Store, *, principal: Principal, enterprise_id: int | None = None
) -> list[Stream]:
    """The streams in the caller's scope."""
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    return WasteRepo(store).streams(tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None)


def get_stream(store: Store, *, principal: Principal, stream_id: int) -> Stream:
    """One stream in scope."""
    require_read(principal)
    c = ctx(store, principal)
    return WasteRepo(store).stream(tenant=c.tenant, park_id=c.park_id, stream_id=stream_id)


# -- plans ---------------------------------------------------------------------------------------
def set_plan(
    store: Store, *, principal: Principal, stream_id: int, year: int, quantity: float, unit: str
) -> Plan:
    """The management plan's expected quantity of a stream in a year (a new row supersedes)."""
    require_write(principal)
    c = ctx(store, principal)
    stream = WasteRepo(store).stream(tenant=c.tenant, park_id=c.park_id, stream_id=stream_id)
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"year: {year} is out of range", field="year")
    return WasteRepo(store).add_plan(
        park_id=c.park_id, enterprise_id=stream.enterprise_id, stream_id=stream.id, year=year,
        quantity_t=to_tonnes(quantity, unit), created_by=principal.actor, created_at=now_us(),
    )  # fmt: skip


def list_plans(
    store: Store,
    *,
    principal: Principal,
    year: int | None = None,
    enterprise_id: int | None = None,
) -> list[Plan]:
    """The plans in force in scope."""  # fmt: skip
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    return WasteRepo(store).plans(
        tenant=c.tenant, park_id=c.park_id, year=year, enterprise_id=ent or None
    )


# -- facilities ----------------------------------------------------------------------------------
def add_facility(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    code: str,
    name: str,
    location: str,
    capacity: float,
    unit: str,
) -> Facility:
    """Declare a storage facility (GB 18597-2023 贮存设施) and its capacity."""  # fmt: skip
    require_write(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=True)
    cap_t = to_tonnes(capacity, unit, field="capacity")
    if cap_t <= 0:
        raise InvalidInput("capacity: must be positive", field="capacity")
    repo = WasteRepo(store)
    if any(f.code == code for f in repo.facilities(tenant=Tenant(ent), park_id=c.park_id)):
        raise InvalidInput(f"code: the enterprise already has a facility {code!r}", field="code")
    return repo.add_facility(
        park_id=c.park_id, enterprise_id=ent, code=code, name=name, location=location,
        capacity=capacity, unit=unit, capacity_t=cap_t, created_by=principal.actor,
        created_at=now_us(),
    )  # fmt: skip


def list_facilities(
    store: Store, *, principal: Principal, enterprise_id: int | None = None
) -> list[Facility]:
    """The storage facilities in scope."""
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    return WasteRepo(store).facilities(
        tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None
    )


# -- movements -----------------------------------------------------------------------------------
def parse_time(value: Any, tz: ZoneInfo, *, field: str = "at") -> int:
    """An instant from ``YYYY-MM-DD`` (local midnight), ``YYYY-MM-DD HH:MM`` (local) or ISO 8601
    with an offset, or a datetime (naive = park local)."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=tz)
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day, tzinfo=tz)
    else:
        text = str(value).strip()
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"{field}: {text!r} is not a date or time (YYYY-MM-DD[ HH:MM])", field=field
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
    if (
        not dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        <= moment
        <= dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    ):
        raise InvalidInput(f"{field}: out of range", field=field)
    return to_us(moment)


@dataclass
class Book:
    """What a batch of movements is checked against: the streams and facilities in scope,
    and the movements so far (those of earlier rows of a file included)."""

    streams: dict[int, Stream]
    by_name: dict[tuple[int, str], Stream]
    facilities: dict[int, Facility]
    movements: list[Movement]


def book(store: Store, c: Ctx) -> Book:
    """The caller's streams, facilities and movements."""
    repo = WasteRepo(store)
    streams = repo.streams(tenant=c.tenant, park_id=c.park_id)
    return Book(
        streams={x.id: x for x in streams},
        by_name={(x.enterprise_id, x.name): x for x in streams},
        facilities={f.id: f for f in repo.facilities(tenant=c.tenant, park_id=c.park_id)},
        movements=repo.movements(tenant=c.tenant, park_id=c.park_id),
    )


def check_movement(
    b: Book, c: Ctx, data: Mapping[str, Any], *, actor: str, now: int, direct: bool = True
) -> dict[str, Any]:
    """One movement validated against the book: the row to append (InvalidInput naming the
    field otherwise). A retrieval may not exceed the batch's stock in the facility; a
    correction names a record of the same stream and kind."""
    stream = b.streams.get(int(data["stream_id"]))
    if stream is None:
        raise NotFound("waste stream not found")
    try:
        kind = MovementKind(str(data["kind"]))
    except ValueError:
        raise InvalidInput(
            f"kind: {data['kind']!r} is not one of {', '.join(k.value for k in DIRECT_KINDS)}",
            field="kind",
        ) from None
    if direct and kind not in DIRECT_KINDS:
        raise InvalidInput(
            f"kind: {kind.value} is recorded through a transfer manifest", field="kind"
        )
    batch = str(data.get("batch") or "").strip()
    if not batch or len(batch) > 64:
        raise InvalidInput("batch: required (at most 64 characters)", field="batch")
    quantity = float(data["quantity"])
    unit = str(data.get("unit") or "t")
    q_t = to_tonnes(quantity, unit)
    corrects = data.get("corrects_id")
    if corrects is not None:
        old = next((m for m in b.movements if m.id == int(corrects)), None)
        if old is None:
            raise NotFound("movement not found")
        if old.stream_id != stream.id or old.kind is not kind:
            raise InvalidInput(
                "corrects_id: a correction keeps the stream and kind of the record it corrects",
                field="corrects_id",
            )
    elif q_t <= 0:
        raise InvalidInput("quantity: must be positive", field="quantity")
    facility_id = data.get("facility_id")
    if kind in STORAGE_KINDS:
        if facility_id is None:
            raise InvalidInput(f"facility_id: required for {kind.value}", field="facility_id")
        facility = b.facilities.get(int(facility_id))
        if facility is None or facility.enterprise_id != stream.enterprise_id:
            raise NotFound("facility not found")
        facility_id = facility.id
    elif facility_id is not None:
        raise InvalidInput(f"facility_id: not used for {kind.value}", field="facility_id")
    at = parse_time(data["at"], c.tz)
    if at > now + 3600 * 1_000_000:
        raise InvalidInput("at: in the future", field="at")
    if kind is MovementKind.RETRIEVED and corrects is None:
        held = sum(
            s.quantity_t
            for s in ledger.stock(m for m in b.movements if m.at <= at)
            if s.stream_id == stream.id and s.facility_id == facility_id and s.batch == batch
        )
        if q_t > held + ledger.EPS_T:
            raise InvalidInput(
                f"quantity: {q_t:g} t retrieved but batch {batch} holds {held:g} t in the facility",
                field="quantity",
            )
    return {
        "park_id": c.park_id, "enterprise_id": stream.enterprise_id, "stream_id": stream.id,
        "kind": kind.value, "batch": batch, "quantity": quantity, "unit": unit,
        "quantity_t": q_t, "at": at, "facility_id": facility_id,
        "container": (str(data["container"]).strip() or None) if data.get("container") else None,
        "manifest_id": data.get("manifest_id"), "corrects_id": corrects,
        "note": (str(data["note"]).strip() or None) if data.get("note") else None,
        "created_by": actor, "created_at": now,
    }  # fmt: skip


def as_movement(row: Mapping[str, Any], new_id: int) -> Movement:
    """A validated row as a movement (to check the rows after it)."""
    return Movement(
        id=new_id, enterprise_id=row["enterprise_id"], stream_id=row["stream_id"],
        kind=MovementKind(row["kind"]), batch=row["batch"], quantity=row["quantity"],
        unit=row["unit"], quantity_t=row["quantity_t"], at=row["at"],
        facility_id=row["facility_id"], container=row["container"],
        manifest_id=row["manifest_id"], corrects_id=row["corrects_id"], note=row["note"],
        created_by=row["created_by"], created_at=row["created_at"],
    )  # fmt: skip


def record_movement(store: Store, *, principal: Principal, **data: Any) -> Movement:
    """Append one ledger record (generation, storage in/out, own utilisation/treatment/
    disposal, or a correction of an earlier record)."""
    require_write(principal)
    c = ctx(store, principal)
    b = book(store, c)
    row = check_movement(b, c, data, actor=principal.actor, now=now_us())
    (new_id,) = WasteRepo(store).add_movements([row])
    from lingtan.waste.alarms import check_now

    check_now(store)
    return as_movement(row, new_id)


def list_movements(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None = None,
    stream_id: int | None = None,
    batch: str | None = None,
) -> list[Movement]:
    """The ledger records in scope, in time order (corrected ones included: the history)."""  # fmt: skip
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    return WasteRepo(store).movements(
        tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None, stream_id=stream_id,
        batch=batch,
    )  # fmt: skip


# -- storage-time extensions ---------------------------------------------------------------------
def _day(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not YYYY-MM-DD", field=field) from None


def add_extension(
    store: Store,
    *,
    principal: Principal,
    stream_id: int,
    batch: str,
    authority: str,
    number: str,
    approved_on: str,
    until: str,
    note: str | None = None,
) -> StorageExtension:
    """Record an approved extension of the storage time of a batch (固废法 (2020) 第八十一条第三款:
    "确需延长期限的，应当报经颁发许可证的生态环境主管部门批准"): the approving authority (审批部门),
    the approval's document number (批准文号), its date, and the last day storage is permitted.

    Keyed like the storage-time check, by the stream and the batch (each batch is aged from the
    day it entered storage). Refused (InvalidInput naming the field): an approval dated in the
    future; ``until`` not after ``approved_on``; a batch with nothing in storage at the end of
    the approval day; ``until`` not later than the batch's statutory deadline (it would extend
    nothing). A stream outside the caller's scope is NotFound; the same number recorded twice
    for the batch is a Conflict. The storage alarms are evaluated at once."""  # fmt: skip
    require_write(principal)
    c = ctx(store, principal)
    repo = WasteRepo(store)
    stream = repo.stream(tenant=c.tenant, park_id=c.park_id, stream_id=stream_id)
    batch, authority, number = batch.strip(), authority.strip(), number.strip()
    if not batch or len(batch) > 64:
        raise InvalidInput("batch: required (at most 64 characters)", field="batch")
    if not authority:
        raise InvalidInput("authority: required (审批部门)", field="authority")
    if not number or len(number) > 64:
        raise InvalidInput("number: required (批准文号, at most 64 characters)", field="number")
    approved, last = _day(approved_on, "approved_on"), _day(until, "until")
    now = now_us()
    today = from_us(now, c.tz).date()
    if approved > today:
        raise InvalidInput(f"approved_on: {approved} is in the future", field="approved_on")
    if last <= approved:
        raise InvalidInput(
            f"until: {last} is not after the approval date {approved}", field="until"
        )
    end = parse_time(approved + dt.timedelta(days=1), c.tz, field="approved_on")
    # the stream's records, not the batch's only: a correction may name another batch
    moves = repo.movements(tenant=c.tenant, park_id=c.park_id, stream_id=stream.id, until=end)
    held = [x for x in ledger.stock(moves) if x.batch == batch]
    if not held:
        raise InvalidInput(
            f"batch: {batch} of {stream.name} has nothing in storage on {approved}", field="batch"
        )
    years = int(catalogue.rule("storage-time-limit").value or 1)
    statutory = min(
        ledger.storage_deadline(from_us(x.first_stored_at, c.tz).date(), years) for x in held
    )
    if last <= statutory:
        raise InvalidInput(
            f"until: {last} does not extend the statutory limit {statutory} of batch {batch}",
            field="until",
        )
    if any(e.number == number for e in repo.extensions(
            tenant=c.tenant, park_id=c.park_id, stream_id=stream.id, batch=batch)):  # fmt: skip
        raise Conflict(f"extension {number} of batch {batch} is already recorded")
    ext = repo.add_extension(
        park_id=c.park_id, enterprise_id=stream.enterprise_id, stream_id=stream.id, batch=batch,
        authority=authority, number=number, approved_on=approved.isoformat(),
        until=last.isoformat(), note=(note or "").strip() or None, created_by=principal.actor,
        created_at=now,
    )  # fmt: skip
    from lingtan.waste.alarms import check_now

    check_now(store)
    return ext


def list_extensions(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None = None,
    stream_id: int | None = None,
) -> list[StorageExtension]:
    """The storage-time extensions in scope (an enterprise: its own), in entry order."""  # fmt: skip
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    return WasteRepo(store).extensions(
        tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None, stream_id=stream_id
    )


# -- balance and storage ----------------------------------------------------------------------
def storage_status(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None = None,
    now: int | None = None,
    warn_days: int | None = None,
) -> list[dict[str, Any]]:
    """Every batch in storage with its facility, age and days to the limit, oldest first: the
    one-year limit (固废法 第八十一条), or the last day an approved extension of the batch permits
    (``extension_number`` names the approval; ``statutory_deadline`` stays the one-year one)."""  # fmt: skip
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    repo = WasteRepo(store)
    now = now_us() if now is None else now
    warn = (
        int(catalogue.rule("storage-time-warning").value or 30) if warn_days is None else warn_days
    )
    years = int(catalogue.rule("storage-time-limit").value or 1)
    streams = {x.id: x for x in repo.streams(tenant=c.tenant, park_id=c.park_id)}
    facilities = {f.id: f for f in repo.facilities(tenant=c.tenant, park_id=c.park_id)}
    moves = repo.movements(
        tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None, until=now + 1
    )
    extensions = repo.extensions(tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None)
    out = []
    for item in ledger.stock(moves):
        stored_day = from_us(item.first_stored_at, c.tz).date()
        ext = ledger.extension_for(extensions, item.stream_id, item.batch, stored_day)
        age = ledger.storage_age(item.first_stored_at, now, c.tz, years=years, extension=ext)
        stream, facility = streams[item.stream_id], facilities[item.facility_id]
        used = age.extension
        out.append({
            "enterprise_id": stream.enterprise_id, "stream_id": stream.id,
            "stream": stream.name, "code": stream.code, "facility_id": facility.id,
            "facility": facility.code, "batch": item.batch, "quantity_t": item.quantity_t,
            "stored_on": age.stored_day.isoformat(), "deadline": age.deadline.isoformat(),
            "statutory_deadline": age.statutory.isoformat(),
            "extension_id": None if used is None else used.id,
            "extension_number": None if used is None else used.number,
            "extension_authority": None if used is None else used.authority,
            "extension_approved_on": None if used is None else used.approved_on,
            "days_stored": age.days_stored, "days_left": age.days_left,
            "status": "over" if age.over else ("approaching" if age.days_left <= warn else "ok"),
        })  # fmt: skip
    return out


def balance(
    store: Store,
    *,
    principal: Principal,
    year: int,
    enterprise_id: int | None = None,
) -> dict[str, Any]:
    """The year's mass balance per stream and month, the plan against actual generation, and
    the storage stock per facility against its capacity."""  # fmt: skip
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    repo = WasteRepo(store)
    streams = {x.id: x for x in repo.streams(tenant=c.tenant, park_id=c.park_id)}
    moves = repo.movements(tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None)
    months = [b for b in ledger.balances(moves, c.tz) if b.month.startswith(f"{year:04d}-")]
    plans = {p.stream_id: p for p in repo.plans(tenant=c.tenant, park_id=c.park_id, year=year)}
    per_stream: dict[int, dict[str, float]] = {}
    for b in months:
        row = per_stream.setdefault(
            b.stream_id, {"generated": 0.0, "transferred": 0.0, "own": 0.0, "delta_storage": 0.0}
        )
        row["generated"] += b.generated
        row["transferred"] += b.transferred
        row["own"] += b.own
        row["delta_storage"] += b.delta_storage
    streams_out = []
    for sid, row in sorted(per_stream.items()):
        plan = plans.get(sid)
        streams_out.append({
            "stream_id": sid, "stream": streams[sid].name, "code": streams[sid].code,
            "category": streams[sid].category, **row,
            "residual": row["generated"] - row["transferred"] - row["own"] - row["delta_storage"],
            "planned": None if plan is None else plan.quantity_t,
            "deviation_pct": None if plan is None else ledger.plan_deviation_pct(
                row["generated"], plan.quantity_t),
        })  # fmt: skip
    eff = ledger.effective(moves)
    stock = ledger.stock(eff)
    facilities = []
    for f in repo.facilities(tenant=c.tenant, park_id=c.park_id, enterprise_id=ent or None):
        held = sum(x.quantity_t for x in stock if x.facility_id == f.id)
        facilities.append({"facility_id": f.id, "code": f.code, "name": f.name,
                           "capacity_t": f.capacity_t, "stock_t": held})  # fmt: skip
    return {
        "year": year,
        "unit": "t",
        "months": [
            {"stream_id": b.stream_id, "month": b.month, "generated": b.generated,
             "stored": b.stored, "retrieved": b.retrieved, "transferred": b.transferred,
             "own": b.own, "delta_storage": b.delta_storage, "residual": b.residual}
            for b in months
        ],
        "streams": streams_out,
        "facilities": facilities,
        "own_kinds": sorted(k.value for k in OWN),
    }  # fmt: skip
