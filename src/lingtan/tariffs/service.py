"""Tariff service: assignments, energy cost of points / enterprises / the park from hourly
statistics, utility bills and the bill check (keyword-only, explicit principal, no web
framework).

Which meters are costed: the grid-import points (carrier ``electricity_grid_import``) that count
in boundary totals — a sub-meter under a boundary meter would count the same energy twice. An
enterprise's cost uses its own points; the park's uses every boundary grid-import point in the
caller's scope, grouped by owner (billing account: each enterprise, and the park for points of
no enterprise): the park figure is the sum of the accounts' costs, each under its own tariff and
with 基本电费 on its own maximum demand. For each account and local month, the tariff is the
assignment of the enterprise in force in the month, else the park's (the month names which
record); with neither the month's status is ``no_tariff``, and with a record no version of
which is valid in the month, ``tariff_not_valid``.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from lingtan import units
from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.identity.roles import Permission, Principal, require
from lingtan.normalize.service import window_intervals
from lingtan.normalize.slots import MAX_INTERVAL_S, SLOT_US, slot_energy
from lingtan.registry.model import Carrier
from lingtan.store import Store
from lingtan.store.greenpower_repo import GreenpowerRepo
from lingtan.store.query_repo import QueryRepo
from lingtan.store.records import PointRecord
from lingtan.store.tariffs_repo import TariffRepo
from lingtan.tariffs import cost as cost_of
from lingtan.tariffs import records
from lingtan.tariffs.bills import (
    BASIC_BASES,
    DEFAULT_TOLERANCE,
    MONTH_RE,
    Assignment,
    Bill,
    CheckLine,
    MonthPriceEntry,
    compare,
    parse_bill,
)
from lingtan.tariffs.cost import (
    HourCost,
    MonthCost,
    MonthStatus,
    capacity_charge,
    costs,
    demand_charge,
    max_quarter_demand_kw,
)
from lingtan.tariffs.records import PERIODS, MonthPrice, Tariff
from lingtan.timeutil import month_bounds_us, to_us, utcnow

Scope = Literal["park", "enterprise", "point"]
HOUR_US = 3_600_000_000
MAX_MONTHS = 24
_EPOCH = _dt.date(1970, 1, 1)
#: the status of a cost, most severe first (a result takes the most severe of its months')
CostStatus = Literal[
    "no_points", "no_tariff", "tariff_not_valid", "no_price", "no_data", "incomplete", "ok"
]
_SEVERITY: tuple[str, ...] = (
    "no_tariff", "tariff_not_valid", "no_price", "no_data", "incomplete", "ok"
)  # fmt: skip


@dataclass
class AccountCost:
    """The cost of one owner's (billing account's) points: an enterprise, or the park."""

    owner: str
    enterprise_id: int | None
    points: list[str]
    months: list[MonthCost] = field(default_factory=list)
    basic: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: per month: where the tariff was assigned (``enterprise``, ``park``) and the record
    assigned: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class CostResult:
    """Energy cost of a scope over whole local months."""

    scope: Scope
    subject: str
    status: CostStatus
    #: the tariff, assignment and its level in force in the last month of the span for the
    #: subject (each month names the record it used: ``MonthCost.tariff``)
    tariff: Tariff | None
    assignment: Assignment | None
    assigned_to: Literal["enterprise", "park"] | None
    points: list[str]
    excluded: dict[str, str]
    months: list[MonthCost] = field(default_factory=list)
    basic: dict[str, dict[str, Any]] = field(default_factory=dict)
    hourly: list[HourCost] = field(default_factory=list)
    #: green-power trade settlements of the scope's buyers per month: kWh, cost of those with
    #: a settled price, and kWh of those without (their cost unknown)
    green: dict[str, dict[str, float]] = field(default_factory=dict)
    #: the billing accounts summed into the result (one for an enterprise or a point)
    accounts: list[AccountCost] = field(default_factory=list)


@dataclass(frozen=True)
class QuarterDemand:
    """An account's 最大需量 per local month from 15-minute slots (month → (kW, slots not
    known)), or the reason it cannot be measured (``reason``; ``months`` then empty)."""

    months: dict[str, tuple[float | None, int]]
    reason: str | None = None


def _park(store: Store, principal: Principal) -> Any:
    return store.registry.park(principal.park_id)


def _enterprise_id(store: Store, principal: Principal, park_id: int, code: str) -> int:
    ents, _ = QueryRepo(store).enterprises(tenant=principal.tenant, park_id=park_id)
    for e in ents:
        if e.code == code:
            return e.id
    raise NotFound("enterprise not found")


def require_admin(principal: Principal) -> None:
    """Assigning tariffs is the park administrator's."""
    require(principal, Permission.ADMIN_PARK)


def require_read(principal: Principal) -> None:
    """Tariff records are public data, but the API serves them to readers only."""
    require(principal, Permission.READ)


def get_tariff(tariff_id: str, version: int | None = None) -> Tariff:
    """One shipped record (newest version unless ``version``); ``NotFound`` otherwise."""
    return records.find(tariff_id, version)


def enterprise_code(store: Store, *, principal: Principal, enterprise_id: int) -> str:
    """The code of an enterprise in the caller's scope; ``NotFound`` otherwise (403 first for a
    caller who may not read)."""
    require(principal, Permission.READ)
    return QueryRepo(store).enterprise(tenant=principal.tenant, enterprise_id=enterprise_id).code


def this_month(store: Store, principal: Principal) -> str:
    """The current month in the park's local time."""
    return local_month_now(ZoneInfo(_park(store, principal).timezone))


def latest_month(store: Store, principal: Principal) -> str:
    """The last local month with boundary statistics in the caller's scope (this month when
    there are none): the month a dashboard opens on."""
    park = _park(store, principal)
    day = QueryRepo(store).latest_day(tenant=principal.tenant, park_id=park.id)
    if day is None:
        return this_month(store, principal)
    date = _EPOCH + _dt.timedelta(days=day)
    return f"{date.year:04d}-{date.month:02d}"


def list_tariffs(*, all_versions: bool = False) -> list[Tariff]:
    """The shipped tariff records (newest version of each id unless ``all_versions``)."""
    shipped = records.shipped()
    return list(shipped) if all_versions else records.latest(shipped)


def assign(
    store: Store,
    *,
    principal: Principal,
    tariff_id: str,
    version: int | None = None,
    enterprise: str | None = None,
    basic_basis: str = "none",
    capacity_kva: float | None = None,
    effective_from: str | None = None,
) -> Assignment:
    """Assign a tariff record to the park, or to one enterprise (park administrators only),
    from the local month ``effective_from`` (``YYYY-MM``; default the current local month)."""
    require(principal, Permission.ADMIN_PARK)
    records.find(tariff_id, version)  # NotFound for an unknown record
    if effective_from is not None:
        parse_month(effective_from, "effective_from")
    if basic_basis not in BASIC_BASES:
        raise InvalidInput(
            f"basic_basis must be one of {', '.join(BASIC_BASES)}", field="basic_basis"
        )
    if basic_basis == "capacity" and (capacity_kva is None or not capacity_kva > 0):
        raise InvalidInput(
            "capacity_kva is required (> 0) for basic_basis capacity", field="capacity_kva"
        )
    park = _park(store, principal)
    ent_id = None if enterprise is None else _enterprise_id(store, principal, park.id, enterprise)
    month = effective_from or local_month_now(ZoneInfo(park.timezone))
    return TariffRepo(store).assign(
        park_id=park.id, enterprise_id=ent_id, tariff_id=tariff_id, tariff_version=version,
        basic_basis=basic_basis, capacity_kva=capacity_kva, effective_from=month,
        actor=principal.actor, now=to_us(utcnow()),
    )  # fmt: skip


def assignments_version(store: Store, principal: Principal) -> tuple[int, int]:
    """A version of the caller's park's tariff assignments and monthly base prices (a cached
    cost is stale once a new one is made): the newest id of each, both only ever appended."""
    repo = TariffRepo(store)
    park_id = _park(store, principal).id
    return repo.latest_assignment_id(park_id), repo.latest_month_price_id(park_id)


def enter_month_price(
    store: Store,
    *,
    principal: Principal,
    tariff_id: str,
    month: str,
    price: float,
    fixed: float = 0.0,
    source: str,
) -> MonthPriceEntry:
    """Enter the base price of a ``ratios`` record for one local month (park administrators):
    the 平段 price the notice floats (the 代理购电 or market price list of the month) and the part
    of the energy price it does not float (``fixed``: at least the record's
    ``fixed_components``), with the list it was read from. A period's price is then
    ``price × ratio + fixed`` (:func:`lingtan.tariffs.cost.period_price`). Refused for a month
    no version of the record is valid in, a record that is not priced by ratios, a month the
    record itself prices, or numbers out of range — each with the field named. A newer entry
    of the same record and month replaces an older one in costs; both are kept."""
    require(principal, Permission.ADMIN_PARK)
    parse_month(month, "month")
    records.find(tariff_id)  # NotFound for an unknown record
    tariff = records.in_force(tariff_id, None, month)
    if tariff is None:
        raise InvalidInput(f"no version of {tariff_id} is valid in {month}", field="month")
    if tariff.pricing != "ratios":
        raise InvalidInput(
            f"{tariff.key} is priced by '{tariff.pricing}', not by ratios of a monthly base price",
            field="tariff_id",
        )
    own = next((b for b in tariff.base_prices if b.month == month), None)
    if own is not None:
        raise Conflict(f"{tariff.key} gives the base price of {month} itself ({own.price} 元/kWh)")
    if not math.isfinite(price) or price <= 0:
        raise InvalidInput("price must be a positive number (元/kWh)", field="price")
    floor = tariff.fixed_floor
    if not math.isfinite(fixed) or fixed < 0 or fixed < floor - 1e-9:
        raise InvalidInput(
            f"fixed must be ≥ {floor:g} 元/kWh (the parts {tariff.key} keeps out of the float: "
            f"{', '.join(c.name for c in tariff.fixed_components) or 'none'})",
            field="fixed",
        )
    if not source.strip():
        raise InvalidInput("source (the price list the figures were read from) is required",
                           field="source")  # fmt: skip
    return TariffRepo(store).add_month_price(
        park_id=_park(store, principal).id, tariff_id=tariff_id, month=month, price=price,
        fixed=fixed, source=source.strip(), actor=principal.actor, now=to_us(utcnow()),
    )  # fmt: skip


def month_prices(
    store: Store, *, principal: Principal, tariff_id: str | None = None
) -> list[MonthPriceEntry]:
    """The park's base-price entries (of one record), oldest first, the replaced ones too."""
    require(principal, Permission.READ)
    return TariffRepo(store).month_prices(_park(store, principal).id, tariff_id)


def _with_month_prices(tariff: Tariff, entered: dict[tuple[str, str], MonthPriceEntry]) -> Tariff:
    """The record with the park's entered base prices of the months it does not price itself
    (``entered``: the newest entry per (record id, month))."""
    if tariff.pricing != "ratios":
        return tariff
    own = {b.month for b in tariff.base_prices}
    extra = [
        MonthPrice(
            month=e.month,
            price=e.price,
            fixed=e.fixed,
            source=f"{e.source} (entered by {e.entered_by})",
        )
        for (tid, month), e in sorted(entered.items())
        if tid == tariff.id and month not in own
    ]
    return (
        tariff.model_copy(update={"base_prices": [*tariff.base_prices, *extra]})
        if extra
        else tariff
    )


def _priced(
    a: Assignment | None, month: str, entered: dict[tuple[str, str], MonthPriceEntry]
) -> Tariff | None:
    """The version of the assignment's record in force in ``month`` with the park's entered
    base prices (None without an assignment or a valid version)."""
    tariff = None if a is None else records.in_force(a.tariff_id, a.tariff_version, month)
    return None if tariff is None else _with_month_prices(tariff, entered)


def tariff_in_force(store: Store, park_id: int, a: Assignment, month: str) -> Tariff | None:
    """:func:`_priced` for one month of a park: what its costs price the month with, for the
    other modules that price energy (dispatch plans)."""
    return _priced(a, month, _entered(store, park_id))


def _entered(store: Store, park_id: int) -> dict[tuple[str, str], MonthPriceEntry]:
    """The newest base-price entry of each (record, month) of the park."""
    return {(e.tariff_id, e.month): e for e in TariffRepo(store).month_prices(park_id)}


def _applicable(
    store: Store, park_id: int, enterprise_id: int | None, month: str
) -> tuple[Assignment | None, Literal["enterprise", "park"] | None]:
    """The assignment in force in ``month`` for an owner: its own, else the park's."""
    return _in_force(TariffRepo(store).assignments(park_id), enterprise_id, month)


def _in_force(
    assigned: list[Assignment], enterprise_id: int | None, month: str
) -> tuple[Assignment | None, Literal["enterprise", "park"] | None]:
    """The assignment in force in ``month`` for an owner: its own, else the park's — among the
    park's assignments ``assigned`` (:meth:`TariffRepo.assignments`), the one of the slot with
    the latest ``effective_from`` not after the month, the latest made among equals (as
    :meth:`TariffRepo.assignment`)."""

    def of(slot: int | None) -> Assignment | None:
        found = [a for a in assigned if a.enterprise_id == slot and a.effective_from <= month]
        return max(found, key=lambda a: (a.effective_from, a.id)) if found else None

    if enterprise_id is not None:
        own = of(enterprise_id)
        if own is not None:
            return own, "enterprise"
    park = of(None)
    return (park, "park") if park is not None else (None, None)


def parse_month(text: str, field: str = "start") -> tuple[int, int]:
    """(year, month) of ``YYYY-MM``; ``InvalidInput`` naming ``field`` otherwise."""
    if not MONTH_RE.match(text or ""):
        raise InvalidInput(f"{field} must be YYYY-MM", field=field)
    year = int(text[:4])
    if not 1970 <= year <= 2100:
        raise InvalidInput(f"{field}: the year must be 1970-2100", field=field)
    return year, int(text[5:7])


def _span(zone: ZoneInfo, start: str, months: int) -> list[tuple[str, int, int]]:
    """The local months from ``start``: (``YYYY-MM``, first hour, end hour) each."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"months must be 1-{MAX_MONTHS}", field="months")
    y, m = parse_month(start)
    out = []
    for k in range(y * 12 + m - 1, y * 12 + m - 1 + months):
        year, month = k // 12, k % 12 + 1
        out.append((f"{year:04d}-{month:02d}", *month_bounds_us(year, month, zone)))
    return out


def _grid_points(
    store: Store, principal: Principal, park_id: int, scope: Scope, subject: str | None
) -> tuple[str, int | None, list[PointRecord], dict[str, str]]:
    """(subject code, enterprise id, costed points, excluded points with the reason)."""
    q = QueryRepo(store)
    excluded: dict[str, str] = {}
    if scope == "point":
        if not subject:
            raise InvalidInput("id (the point code) is required for scope point", field="id")
        p = q.point(tenant=principal.tenant, code=subject)
        if p.park_id != park_id:
            raise NotFound("point not found")
        if p.carrier != Carrier.ELECTRICITY_GRID_IMPORT.value:
            raise InvalidInput(
                f"point {subject} meters {p.carrier}; costs apply to electricity_grid_import points",
                field="id",
            )
        candidates, ent_id, code = [p], p.enterprise_id, subject
    elif scope == "enterprise":
        if not subject:
            raise InvalidInput(
                "id (the enterprise code) is required for scope enterprise", field="id"
            )
        ent_id = _enterprise_id(store, principal, park_id, subject)
        pts, _ = q.points(
            tenant=principal.tenant, park_id=park_id, enterprise_id=ent_id,
            carrier=Carrier.ELECTRICITY_GRID_IMPORT.value, boundary=True,
        )  # fmt: skip
        candidates, code = pts, subject
    elif scope == "park":
        pts, _ = q.points(
            tenant=principal.tenant, park_id=park_id,
            carrier=Carrier.ELECTRICITY_GRID_IMPORT.value, boundary=True,
        )  # fmt: skip
        candidates, ent_id, code = pts, principal.enterprise_id, _park(store, principal).code
    else:
        raise InvalidInput("scope must be park, enterprise or point", field="scope")
    costed = []
    for p in candidates:
        if units.dimension(p.unit) != "energy":
            excluded[p.code] = f"metered in {p.unit}, not energy"
        else:
            costed.append(p)
    return code, ent_id, costed, excluded


def _series(
    store: Store, points: list[PointRecord], h0: int, h1: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Hour starts in [h0, h1) and the summed kWh of the points; NaN for an hour that any point
    lacks (no row, or an unknown value) — a partial sum would understate the cost. Summed in
    the database per unit (kWh, MWh …), then converted."""
    hours = np.arange(h0, h1, HOUR_US, dtype=np.int64)
    total = np.zeros(len(hours))
    repo = TariffRepo(store)
    by_unit: dict[str, list[int]] = {}
    for p in points:
        by_unit.setdefault(p.unit, []).append(p.id)
    for unit, ids in by_unit.items():
        col = np.full(len(hours), np.nan)
        rows = repo.hourly_sums(ids, h0, h1)
        if rows:
            at = np.array([r[0] for r in rows], np.int64)
            sums = np.array([r[1] for r in rows])
            complete = np.array([r[2] for r in rows]) == len(ids)
            idx = (at - h0) // HOUR_US
            col[idx] = np.where(complete, sums * units.factor(unit, "kWh"), np.nan)
        total = total + col
    return hours, total


def cost(
    store: Store,
    *,
    principal: Principal,
    scope: Scope,
    subject: str | None,
    start: str,
    months: int = 1,
    hourly: bool = False,
    within: int | None = None,
    quarter_demand: bool = True,
) -> CostResult:
    """Energy cost and 基本电费 of a scope for ``months`` local months from ``start``
    (``within``: the enterprise id the point must belong to; ``quarter_demand=False``: 基本电费
    by demand on the hourly lower bound only, without reading the months' readings — for a
    view that shows the energy cost of many months and the 基本电费 of none of them).

    Each owner's points are costed month by month under the tariff in force for that owner and
    month; a scope of several owners (the park) sums them (see :func:`_combine`)."""
    require(principal, Permission.READ)
    if hourly and months != 1:
        raise InvalidInput("hourly results are given for one month at a time", field="months")
    park = _park(store, principal)
    zone = ZoneInfo(park.timezone)
    span = _span(zone, start, months)
    code, ent_id, points, excluded = _grid_points(store, principal, park.id, scope, subject)
    if within is not None and ent_id != within:
        raise NotFound("point not found")  # a point outside the enterprise named with it
    assigned = TariffRepo(store).assignments(park.id)
    entered = _entered(store, park.id)
    assignment, assigned_to = _in_force(assigned, ent_id, span[-1][0])
    result = CostResult(
        scope=scope, subject=code, status="ok", tariff=None, assignment=assignment,
        assigned_to=assigned_to, points=[p.code for p in points], excluded=excluded,
    )  # fmt: skip
    if assignment is not None:
        result.tariff = records.in_force(
            assignment.tariff_id, assignment.tariff_version, span[-1][0]
        ) or records.find(assignment.tariff_id, assignment.tariff_version)
    if not points:
        result.status = "no_points" if assignment is not None else "no_tariff"
        return result
    owners: dict[int | None, list[PointRecord]] = {}
    for p in points:
        owners.setdefault(p.enterprise_id if scope == "park" else ent_id, []).append(p)
    ent_codes = _enterprise_codes(store, principal, park.id)
    accounts = sorted(owners.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0))
    # every account's energy per local month and time of day in one query (aggregate first,
    # then price: 12 × 24 numbers per account and year instead of 8,760 hours)
    h0, h1 = span[0][1], span[-1][2]
    parts = cost_of.pieces(h0, h1, zone)
    span_hours = np.arange(h0, h1, HOUR_US, dtype=np.int64)
    cells = _cells(store, [pts for _, pts in accounts], parts, h1)
    rows: list[list[HourCost]] = []
    memo: dict[tuple[str, int], dict[str, float]] = {}  # period shares, shared by the accounts
    for k, (owner, pts) in enumerate(accounts):
        name = park.code if owner is None else ent_codes.get(owner, str(owner))
        slots = cost_of.slot_sums(parts, cells[k], span_hours)
        quarter = (
            _quarter_demand(store, pts, span)
            if quarter_demand and _bills_demand(assigned, owner, span)
            else None
        )
        account = _account(zone, span, slots, assigned, name, owner, pts, memo, quarter, entered)
        result.accounts.append(account)
        if hourly:
            rows.append(_hours(store, zone, span, assigned, owner, pts, entered))
    if all(m.status == "no_tariff" for a in result.accounts for m in a.months):
        result.status = "no_tariff"  # nothing assigned to any account in any month
        return result
    if len(result.accounts) == 1:
        (only,) = result.accounts
        result.months, result.basic = only.months, only.basic
        result.hourly = rows[0] if hourly else []
    else:
        # the park's hours: known when every account knows them (all its points in one group)
        (park_cells,) = _cells(store, [points], parts, h1)
        park_slots = cost_of.slot_sums(parts, park_cells, span_hours)
        result.months, result.basic = _combine(result.accounts, park_slots, span)
        result.hourly = _combine_hours(rows) if hourly else []
    result.status = _worst(m.status for m in result.months)
    if scope != "point":
        result.green = _green(store, principal, park, code if scope == "enterprise" else None)
        result.green = {
            k: v for k, v in result.green.items() if k in {m.month for m in result.months}
        }
    return result


def _worst(statuses: Any) -> CostStatus:
    """The most severe status (``no_data`` of some months only: ``incomplete``)."""
    seen = set(statuses)
    if seen == {"no_data"}:
        return "no_data"
    for s in _SEVERITY:
        if s in seen:
            return "incomplete" if s == "no_data" else s  # type: ignore[return-value]
    return "ok"


def _enterprise_codes(store: Store, principal: Principal, park_id: int) -> dict[int, str]:
    ents, _ = QueryRepo(store).enterprises(tenant=principal.tenant, park_id=park_id)
    return {e.id: e.code for e in ents}


def _cells(
    store: Store, groups: list[list[PointRecord]], parts: list[cost_of.Piece], h1: int
) -> list[dict[tuple[int, int], cost_of.Cell]]:
    """Each group's known energy per (piece, UTC time of day) from the hourly statistics, in kWh
    (each point's unit converted in the database)."""
    rows = TariffRepo(store).slot_cells(
        [[(p.id, units.factor(p.unit, "kWh")) for p in g] for g in groups],
        [p.start_us for p in parts], h1, cost_of.DAY_US,
    )  # fmt: skip
    out: list[dict[tuple[int, int], cost_of.Cell]] = [{} for _ in groups]
    for g, piece, tod, kwh, known, peak in rows:
        out[g][(piece, tod)] = (kwh, known, peak)
    return out


def _account(
    zone: ZoneInfo,
    span: list[tuple[str, int, int]],
    slots: list[cost_of.SlotSum],
    assigned: list[Assignment],
    name: str,
    owner: int | None,
    points: list[PointRecord],
    memo: dict[tuple[str, int], dict[str, float]],
    quarter: QuarterDemand | None = None,
    entered: dict[tuple[str, str], MonthPriceEntry] | None = None,
) -> AccountCost:
    """One owner's months from its slots, each under the tariff version in force for the owner
    and month."""
    account = AccountCost(owner=name, enterprise_id=owner, points=[p.code for p in points])
    by_month: dict[str, list[cost_of.SlotSum]] = {}
    for slot in slots:
        by_month.setdefault(slot.month, []).append(slot)
    for month, _, _ in span:
        a, level = _in_force(assigned, owner, month)
        tariff = _priced(a, month, entered or {})
        if a is None or tariff is None:
            status: MonthStatus = "no_tariff" if a is None else "tariff_not_valid"
            hours = sum(s.hours for s in by_month[month])
            missing = hours - sum(s.known for s in by_month[month])
            mc = MonthCost(month=month, hours=hours, missing_hours=missing, status=status)
            account.months.append(mc)
            account.basic[month] = {"basis": None, "amount": None, "status": status}
            account.assigned[month] = {"assigned_to": level, "tariff": None}
            continue
        mc = cost_of.month_cost(tariff, by_month[month], zone, memo)
        account.months.append(mc)
        account.basic[month] = _basic(tariff, a, mc, quarter)
        base = next((b for b in tariff.base_prices if b.month == month), None)
        account.assigned[month] = {
            "assigned_to": level, "tariff": tariff.key,
            "base_price": None if base is None else {
                "price": base.price, "fixed": base.fixed, "source": base.source},
        }  # fmt: skip
    return account


def _bills_demand(
    assigned: list[Assignment], owner: int | None, span: list[tuple[str, int, int]]
) -> bool:
    """Whether the owner's 基本电费 is on maximum demand in any month of the span."""
    return any(
        a is not None and a.basic_basis == "demand"
        for a, _ in (_in_force(assigned, owner, month) for month, _, _ in span)
    )


def _quarter_demand(
    store: Store, points: list[PointRecord], span: list[tuple[str, int, int]]
) -> QuarterDemand:
    """The account's 最大需量 per month: the largest 15-minute mean power of the sum of its
    points (the demand a utility meters on the account's supply, coincident across its
    meters), from each point's intervals over the span (:func:`lingtan.normalize.service.
    window_intervals`, spread over 15-minute slots by :func:`lingtan.normalize.slots.
    slot_energy`). A slot is known when every point knows it; the months count the slots they
    do not. A point read less often than every 15 minutes, or without readings in the span
    (hourly statistics imported as such), cannot give the series: the reason says which."""
    coarse = sorted(p.code for p in points if p.interval_s > MAX_INTERVAL_S)
    if coarse:
        return QuarterDemand(
            {}, f"read less often than every {MAX_INTERVAL_S // 60} minutes: {', '.join(coarse)}"
        )
    t0, t1 = span[0][1], span[-1][2]
    total = np.zeros((t1 - t0) // SLOT_US)
    intervals = window_intervals(store, points, t0, t1)
    unread = sorted(p.code for p in points if intervals[p.id] is None)
    if unread:  # statistics imported without readings, or a meter silent all the span
        return QuarterDemand({}, f"no readings in the span: {', '.join(unread)}")
    for p in points:
        iv = intervals[p.id]
        assert iv is not None
        total += slot_energy(iv, t0, t1) * units.factor(p.unit, "kWh")
    months: dict[str, tuple[float | None, int]] = {}
    for month, m0, m1 in span:
        part = total[(m0 - t0) // SLOT_US : (m1 - t0) // SLOT_US]
        months[month] = (max_quarter_demand_kw(part), int(np.isnan(part).sum()))
    return QuarterDemand(months)


def _hours(
    store: Store,
    zone: ZoneInfo,
    span: list[tuple[str, int, int]],
    assigned: list[Assignment],
    owner: int | None,
    points: list[PointRecord],
    entered: dict[tuple[str, str], MonthPriceEntry] | None = None,
) -> list[HourCost]:
    """One owner's hours (a month's hourly view), each costed hour by hour (:func:`costs`)."""
    hours, kwh = _series(store, points, span[0][1], span[-1][2])
    per_hour: list[HourCost] = []
    for month, m0, m1 in span:
        i0, i1 = (m0 - span[0][1]) // HOUR_US, (m1 - span[0][1]) // HOUR_US
        a, _ = _in_force(assigned, owner, month)
        tariff = _priced(a, month, entered or {})
        if tariff is None:
            for h, e in zip(hours[i0:i1].tolist(), kwh[i0:i1].tolist(), strict=True):
                local = _dt.datetime.fromtimestamp(h / 1e6, _dt.UTC).astimezone(zone)
                known = None if np.isnan(e) else float(e)
                per_hour.append(HourCost(int(h), local.isoformat(), known, {}, None))
            continue
        hourly, _ = costs(tariff, hours[i0:i1].tolist(), kwh[i0:i1].tolist(), zone)
        per_hour.extend(hourly)
    return per_hour


def _combine_hours(rows: list[list[HourCost]]) -> list[HourCost]:
    """The park's hours as the sum of its accounts': energy and cost Σ over accounts (None
    when an account lacks the value); the period shares when every account has the same."""
    out = []
    for hs in zip(*rows, strict=True):
        energy = [h.energy_kwh for h in hs]
        cost = [h.cost for h in hs]
        shares = hs[0].shares if all(h.shares == hs[0].shares for h in hs) else {}
        out.append(
            HourCost(
                hs[0].hour_us, hs[0].local,
                None if None in energy else sum(e for e in energy if e is not None),
                shares,
                None if None in cost else sum(c for c in cost if c is not None),
            )
        )  # fmt: skip
    return out


def _combine(
    accounts: list[AccountCost],
    park_slots: list[cost_of.SlotSum],
    span: list[tuple[str, int, int]],
) -> tuple[list[MonthCost], dict[str, dict[str, Any]]]:
    """The park's months as the sum of its accounts' (``park_slots``: the hours of all the
    accounts' points together, an hour known when every point has a value).

    Notes
    -----
    Energy and cost per period are Σ over accounts (each account priced under its own tariff);
    a period's price is given only when every account has the same one. An hour is missing
    when any account lacks it. 基本电费 = Σ over accounts of each account's own charge (on its
    own maximum demand: a utility bills demand per account, not on the coincident peak of the
    park); ``max_demand_kw`` of the park month is the largest hourly sum over the hours every
    account knows (the coincident peak: informational, not a billed quantity).
    """
    out: list[MonthCost] = []
    basic: dict[str, dict[str, Any]] = {}
    for k, (month, _, _) in enumerate(span):
        parts = [a.months[k] for a in accounts]
        slots = [s for s in park_slots if s.month == month]
        mc = MonthCost(month=month, hours=sum(s.hours for s in slots))
        for part in parts:
            for p, e in part.energy_kwh.items():
                mc.energy_kwh[p] = mc.energy_kwh.get(p, 0.0) + e
            for p, c in part.cost.items():
                mc.cost[p] = mc.cost.get(p, 0.0) + c
        for p in {p for part in parts for p in part.prices}:
            prices = {part.prices.get(p) for part in parts if p in part.prices}
            mc.prices[p] = prices.pop() if len(prices) == 1 else None
        mc.missing_hours = mc.hours - sum(s.known for s in slots)
        peaks = [s.max_kwh for s in slots if s.max_kwh is not None]
        mc.max_demand_kw = max(peaks) if peaks else None
        keys = sorted({part.tariff for part in parts if part.tariff})
        mc.tariff = ", ".join(keys) or None
        severe = [
            p.status for p in parts if p.status in ("no_tariff", "tariff_not_valid", "no_price")
        ]
        if severe:
            mc.status = min(severe, key=_SEVERITY.index)
        else:
            mc.settle_status()
        out.append(mc)
        charges = {a.owner: a.basic[month] for a in accounts}
        amounts = [c.get("amount") for c in charges.values()]
        statuses = [str(c.get("status")) for c in charges.values()]
        amount: float | None = None
        if all(x is not None for x in amounts):
            amount = float(sum(x for x in amounts if x is not None))
            status = "ok" if all(x == "ok" for x in statuses) else "incomplete"
        else:
            status = next(x for x, a in zip(statuses, amounts, strict=True) if a is None)
        basic[month] = {"basis": "per_account", "amount": amount, "status": status,
                        "accounts": charges}  # fmt: skip
    return out, basic


def _green(
    store: Store, principal: Principal, park: Any, enterprise: str | None
) -> dict[str, dict[str, float]]:
    """Green-power trades (绿电交易结算) of an enterprise, or of every buyer in the caller's
    scope for the park, per month: cost = Σ settled kWh × settled price over the settlements
    that record a price; the kWh of the others are reported as ``unpriced_kwh``."""
    if enterprise is not None:
        buyers: list[tuple[str, str]] | None = [("enterprise", enterprise)]
    elif principal.enterprise_id is not None:
        own = enterprise_code(store, principal=principal, enterprise_id=principal.enterprise_id)
        buyers = [("enterprise", own)]
    else:
        buyers = None  # the park and all its enterprises
    out: dict[str, dict[str, float]] = {}
    for t in GreenpowerRepo(store).settlements(park=park.code, buyers=buyers):
        m = out.setdefault(str(t.month), {"kwh": 0.0, "cost": 0.0, "unpriced_kwh": 0.0})
        m["kwh"] += t.kwh
        if t.price is None:
            m["unpriced_kwh"] += t.kwh
        else:
            m["cost"] += t.kwh * t.price
    return out


def _basic(
    tariff: Tariff, a: Assignment, m: MonthCost, quarter: QuarterDemand | None = None
) -> dict[str, Any]:
    """基本电费 of a month under the assignment's basis, with what it rests on: by demand, the
    month's 15-minute maximum demand (``quarter``), or where that cannot be measured the
    largest hourly mean power, a lower bound, said so."""
    if a.basic_basis == "none":
        return {"basis": "none", "amount": None, "status": "not_assigned"}
    if a.basic_basis == "capacity":
        if tariff.capacity_charge is None or a.capacity_kva is None:
            return {"basis": "capacity", "amount": None, "status": "no_price"}
        return {
            "basis": "capacity", "capacity_kva": a.capacity_kva, "rate": tariff.capacity_charge,
            "amount": capacity_charge(a.capacity_kva, tariff.capacity_charge), "status": "ok",
        }  # fmt: skip
    if tariff.demand_charge is None:
        return {"basis": "demand", "amount": None, "status": "no_price"}
    if quarter is not None and quarter.reason is None:
        kw, unknown = quarter.months[m.month]
        if kw is None:
            return {"basis": "demand", "amount": None, "status": "no_data",
                    "demand_from": "15min", "unknown_slots": unknown}  # fmt: skip
        return {
            "basis": "demand", "max_demand_kw": kw, "rate": tariff.demand_charge,
            "demand_from": "15min", "unknown_slots": unknown,
            "amount": demand_charge(kw, tariff.demand_charge),
            "status": "incomplete" if unknown else "ok",
        }  # fmt: skip
    if m.max_demand_kw is None:
        return {"basis": "demand", "amount": None, "status": "no_data"}
    return {
        "basis": "demand", "max_demand_kw": m.max_demand_kw, "rate": tariff.demand_charge,
        "demand_from": "hourly", "why_hourly": None if quarter is None else quarter.reason,
        "amount": demand_charge(m.max_demand_kw, tariff.demand_charge),
        "status": "incomplete" if m.missing_hours else "ok",
    }  # fmt: skip


# -- bills ----------------------------------------------------------------------------------
def import_bill(store: Store, *, principal: Principal, data: dict[str, Any]) -> Bill:
    """Store a utility bill of the park or of an enterprise (an enterprise's user: its own)."""
    require(principal, Permission.WRITE)
    fields = parse_bill(data)
    park = _park(store, principal)
    ent_code = fields.pop("enterprise")
    ent_id: int | None
    if ent_code is not None:
        ent_id = _enterprise_id(store, principal, park.id, ent_code)
    elif principal.enterprise_id is not None:
        ent_id = principal.enterprise_id  # an enterprise's user imports its own bill
    else:
        ent_id = None
    return TariffRepo(store).add_bill(
        park_id=park.id, enterprise_id=ent_id, fields=fields, actor=principal.actor,
        now=to_us(utcnow()),
    )  # fmt: skip


def bills(store: Store, *, principal: Principal, month: str | None = None) -> list[Bill]:
    """Bills in the caller's scope."""
    require(principal, Permission.READ)
    if month is not None:
        parse_month(month, "month")
    return TariffRepo(store).bills(
        tenant=principal.tenant, park_id=_park(store, principal).id, month=month
    )


def bill(store: Store, *, principal: Principal, bill_id: int) -> Bill:
    """One bill in the caller's scope."""
    require(principal, Permission.READ)
    return TariffRepo(store).bill(
        tenant=principal.tenant, park_id=_park(store, principal).id, bill_id=bill_id
    )


@dataclass
class BillCheck:
    """A bill against the metered energy and cost of its month."""

    bill: Bill
    cost: CostResult
    tolerance: float
    lines: list[CheckLine]

    @property
    def status(self) -> str:
        """``ok`` when every compared line is within tolerance, ``differs`` when one is not,
        else the cost's status (``no_tariff``, ``tariff_not_valid``, ``no_price``, ``no_data``,
        ``incomplete``, ``no_points``)."""
        if any(line.status == "differs" for line in self.lines):
            return "differs"
        if self.cost.status != "ok":
            return self.cost.status
        if any(line.status != "ok" for line in self.lines):
            return "incomplete"
        return "ok"


def check_bill(
    store: Store, *, principal: Principal, bill_id: int, tolerance: float = DEFAULT_TOLERANCE
) -> BillCheck:
    """Compare a bill with the metered energy (per period), energy cost and maximum demand of
    its month and owner (the enterprise's grid-import points, or the park's)."""
    b = bill(store, principal=principal, bill_id=bill_id)
    if b.enterprise_id is not None:
        ent = QueryRepo(store).enterprise(tenant=principal.tenant, enterprise_id=b.enterprise_id)
        c = cost(store, principal=principal, scope="enterprise", subject=ent.code, start=b.month)
    else:
        c = cost(store, principal=principal, scope="park", subject=None, start=b.month)
    month = c.months[0] if c.months else None
    lines: list[CheckLine] = []
    missing = month is not None and (month.missing_hours > 0 or month.status != "ok")
    named = set(b.energy_kwh) | set(month.energy_kwh if month else {})
    for p in (p for p in PERIODS if p in named):
        # a complete month: a period the tariff has but no energy fell in, or one it does not
        # have at all (a billed period absent from the tariff), is metered 0 kWh
        metered = month.energy_kwh.get(p, 0.0) if month and not missing else None
        lines.append(compare(f"kwh_{p}", metered, b.energy_kwh.get(p), tolerance))
    metered_cost = month.total_cost if month and not missing else None
    if b.energy_amount is not None or metered_cost is not None:
        line = compare("energy_amount", metered_cost, b.energy_amount, tolerance)
        if c.status == "no_price":
            line = CheckLine(line.item, None, b.energy_amount, None, None, "no_price")
        lines.append(line)
    if b.basic_amount is not None and month is not None:
        basic = c.basic.get(month.month, {})
        metered_basic = basic.get("amount") if basic.get("status") == "ok" else None
        lines.append(compare("basic_amount", metered_basic, b.basic_amount, tolerance))
    if b.max_demand_kw is not None:
        # the 15-minute maximum the utility meters, where the meters give it; else the
        # largest hourly mean power (a lower bound, as the cost's 基本电费 says)
        basic = c.basic.get(month.month, {}) if month else {}
        if basic.get("demand_from") == "15min":
            metered_demand = basic.get("max_demand_kw") if basic.get("status") == "ok" else None
        else:
            metered_demand = month.max_demand_kw if month and not missing else None
        lines.append(compare("max_demand_kw", metered_demand, b.max_demand_kw, tolerance))
    return BillCheck(bill=b, cost=c, tolerance=tolerance, lines=lines)


def local_month_now(zone: ZoneInfo) -> str:
    """The current local month, ``YYYY-MM``."""
    now = utcnow().astimezone(zone)
    return f"{now.year:04d}-{now.month:02d}"
