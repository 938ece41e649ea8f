"""``/api/v1/tariffs`` (time-of-use tariff records and their assignment), ``/api/v1/costs``
(energy cost by scope, per month or hour) and ``/api/v1/bills`` (utility bills and the bill
check). Thin: the work is in :mod:`lingtan.tariffs.service`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import BaseModel, Field

from lingtan.api.common import MAX_ID, IdPath
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.tariffs import service
from lingtan.tariffs.bills import DEFAULT_TOLERANCE, Assignment, Bill, MonthPriceEntry
from lingtan.tariffs.records import PERIOD_EN, Tariff

router = APIRouter(tags=["tariffs"])

TariffPath = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="tariff record id")
MonthQuery = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}$", description="first local month, YYYY-MM (default: this month)"),
]


class TariffOut(BaseModel):
    """A tariff record as stored in its data file (periods as HH:MM)."""

    id: str
    version: int
    key: str
    record: dict[str, Any]
    period_names_en: dict[str, str]


def _tariff(t: Tariff) -> TariffOut:
    return TariffOut(
        id=t.id, version=t.version, key=t.key,
        record=t.model_dump(mode="json", by_alias=True), period_names_en=PERIOD_EN,
    )  # fmt: skip


class AssignmentOut(BaseModel):
    """The tariff assigned to the park or one enterprise."""

    id: int
    enterprise_id: int | None
    tariff_id: str
    tariff_version: int | None
    basic_basis: str
    capacity_kva: float | None
    assigned_by: str
    effective_from: str = Field(description="the first local month it applies to, YYYY-MM")


def _assignment(a: Assignment) -> AssignmentOut:
    return AssignmentOut(
        id=a.id, enterprise_id=a.enterprise_id, tariff_id=a.tariff_id,
        tariff_version=a.tariff_version, basic_basis=a.basic_basis,
        capacity_kva=a.capacity_kva, assigned_by=a.assigned_by, effective_from=a.effective_from,
    )  # fmt: skip


class AssignmentIn(BaseModel):
    """Which tariff applies to the park (no ``enterprise_id``) or one enterprise."""

    tariff_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    version: int | None = Field(default=None, ge=1, description="none: the newest version")
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    basic_basis: Literal["none", "capacity", "demand"] = "none"
    capacity_kva: float | None = Field(default=None, gt=0)
    effective_from: str | None = Field(
        default=None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="the first local month it applies to (YYYY-MM); none: the current month",
    )


@router.get("/tariffs", response_model=list[TariffOut])
def list_tariffs(
    store: StoreDep,
    principal: CurrentPrincipal,
    all_versions: Annotated[bool, Query(description="every version, not just the newest")] = False,
) -> list[TariffOut]:
    """The shipped tariff records with their sources and confidence."""
    service.require_read(principal)
    return [_tariff(t) for t in service.list_tariffs(all_versions=all_versions)]


@router.get("/tariffs/{tariff_id}", response_model=TariffOut)
def get_tariff(
    store: StoreDep,
    principal: CurrentPrincipal,
    tariff_id: Annotated[str, TariffPath],
    version: Annotated[int | None, Query(ge=1)] = None,
) -> TariffOut:
    """One tariff record (the newest version unless ``version``)."""
    service.require_read(principal)
    return _tariff(service.get_tariff(tariff_id, version))


@router.put("/tariffs/assignment", response_model=AssignmentOut)
def assign_tariff(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[AssignmentIn, Body()]
) -> AssignmentOut:
    """Assign a tariff record to the park or an enterprise (park administrators)."""
    service.require_admin(principal)
    enterprise = (
        None
        if body.enterprise_id is None
        else service.enterprise_code(store, principal=principal, enterprise_id=body.enterprise_id)
    )
    a = service.assign(
        store, principal=principal, tariff_id=body.tariff_id, version=body.version,
        enterprise=enterprise, basic_basis=body.basic_basis, capacity_kva=body.capacity_kva,
        effective_from=body.effective_from,
    )  # fmt: skip
    return _assignment(a)


class MonthPriceIn(BaseModel):
    """A month's base price of a ``ratios`` tariff record, as the month's price list gives it."""

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="local month, YYYY-MM")
    price: float = Field(gt=0, description="平段 base price the notice floats, 元/kWh")
    fixed: float = Field(default=0.0, ge=0, description="the part not floated, 元/kWh")
    source: str = Field(min_length=1, max_length=500, description="the price list read")


class MonthPriceOut(MonthPriceIn):
    """An entered base price; the newest entry of a record and month is the one in force."""

    id: int
    tariff_id: str
    entered_by: str
    entered_at: int = Field(description="µs since the epoch")


def _month_price(e: MonthPriceEntry) -> MonthPriceOut:
    return MonthPriceOut(
        id=e.id, tariff_id=e.tariff_id, month=e.month, price=e.price, fixed=e.fixed,
        source=e.source, entered_by=e.entered_by, entered_at=e.entered_at,
    )  # fmt: skip


@router.post(
    "/tariffs/{tariff_id}/month-prices",
    response_model=MonthPriceOut,
    status_code=status.HTTP_201_CREATED,
)
def enter_month_price(
    store: StoreDep,
    principal: CurrentPrincipal,
    tariff_id: Annotated[str, TariffPath],
    body: Annotated[MonthPriceIn, Body()],
) -> MonthPriceOut:
    """Enter a month's base price of a ratios tariff record (park administrators)."""
    e = service.enter_month_price(
        store, principal=principal, tariff_id=tariff_id, month=body.month, price=body.price,
        fixed=body.fixed, source=body.source,
    )  # fmt: skip
    return _month_price(e)


@router.get("/tariffs/{tariff_id}/month-prices", response_model=list[MonthPriceOut])
def list_month_prices(
    store: StoreDep, principal: CurrentPrincipal, tariff_id: Annotated[str, TariffPath]
) -> list[MonthPriceOut]:
    """The park's entered base prices of a record, oldest first (replaced ones too)."""
    return [
        _month_price(e)
        for e in service.month_prices(store, principal=principal, tariff_id=tariff_id)
    ]


class MonthOut(BaseModel):
    """Energy and cost of one local month, per period (null cost: no price, no tariff or no
    known hour; status ``incomplete``: the cost of the known hours, a lower bound)."""

    month: str
    energy_kwh: dict[str, float]
    cost: dict[str, float]
    prices: dict[str, float | None]
    total_kwh: float
    energy_cost: float | None
    hours: int
    missing_hours: int
    max_demand_kw: float | None
    basic: dict[str, Any]
    tariff: str | None = Field(description="the record the month was costed with, id@version")
    green: dict[str, float] | None = Field(
        description="green-power trades of the month: kwh, cost (settlements with a price), "
        "unpriced_kwh"
    )
    status: str


class HourOut(BaseModel):
    """One hour (local start time)."""

    local: str
    energy_kwh: float | None
    periods: dict[str, float]
    cost: float | None


class CostOut(BaseModel):
    """Cost of a scope: the tariff used and where its assignment comes from, the points costed
    and those left out (with the reason), per month (and per hour for ``resolution=hour``)."""

    scope: str
    subject: str
    status: str = Field(
        description="ok, incomplete, no_data, no_price, tariff_not_valid, no_tariff or no_points"
    )
    tariff: str | None
    tariff_source: dict[str, Any] | None
    tariff_confidence: str | None
    assigned_to: str | None
    points: list[str]
    excluded: dict[str, str]
    months: list[MonthOut]
    accounts: list[dict[str, Any]] = Field(
        description="the billing accounts summed (the park: each enterprise and the park's "
        "own meters), each with its points and, per month, its tariff, energy cost and 基本电费"
    )
    hours: list[HourOut]


def _cost_out(r: service.CostResult) -> CostOut:
    return CostOut(
        scope=r.scope, subject=r.subject, status=r.status,
        tariff=None if r.tariff is None else r.tariff.key,
        tariff_source=None if r.tariff is None else r.tariff.source.model_dump(mode="json"),
        tariff_confidence=None if r.tariff is None else r.tariff.confidence,
        assigned_to=r.assigned_to, points=r.points, excluded=r.excluded,
        months=[
            MonthOut(
                month=m.month, energy_kwh=m.energy_kwh, cost=m.cost, prices=m.prices,
                total_kwh=m.total_kwh, energy_cost=m.total_cost, hours=m.hours,
                missing_hours=m.missing_hours, max_demand_kw=m.max_demand_kw,
                basic=r.basic.get(m.month, {}), tariff=m.tariff, green=r.green.get(m.month),
                status=m.status,
            )
            for m in r.months
        ],
        accounts=[
            {"owner": a.owner, "points": a.points,
             "months": [{"month": m.month, "tariff": m.tariff, "assigned_to":
                         a.assigned.get(m.month, {}).get("assigned_to"), "status": m.status,
                         "energy_cost": m.total_cost, "missing_hours": m.missing_hours,
                         "max_demand_kw": m.max_demand_kw, "basic": a.basic.get(m.month, {})}
                        for m in a.months]}
            for a in r.accounts
        ],
        hours=[
            HourOut(local=h.local, energy_kwh=h.energy_kwh, periods=h.shares, cost=h.cost)
            for h in r.hourly
        ],
    )  # fmt: skip


@router.get("/costs", response_model=CostOut)
def costs(
    store: StoreDep,
    principal: CurrentPrincipal,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    point: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    start: MonthQuery = None,
    months: Annotated[int, Query(ge=1, le=service.MAX_MONTHS)] = 1,
    resolution: Literal["month", "hour"] = "month",
) -> CostOut:
    """Energy cost and 基本电费 of the park (the caller's scope), an enterprise or a
    grid-import point, for whole local months (``resolution=hour``: one month, hour by hour)."""
    service.require_read(principal)
    scope: service.Scope = "park"
    subject: str | None = None
    if enterprise_id is not None:
        scope = "enterprise"
        subject = service.enterprise_code(store, principal=principal, enterprise_id=enterprise_id)
    if point is not None:
        # with both, the point must be one of the enterprise's (404 otherwise)
        scope, subject = "point", point
    r = service.cost(
        store, principal=principal, scope=scope, subject=subject, within=enterprise_id,
        start=start or service.this_month(store, principal), months=months,
        hourly=resolution == "hour",
    )  # fmt: skip
    return _cost_out(r)


class BillIn(BaseModel):
    """A utility bill of one month (the park's, or an enterprise's)."""

    month: str = Field(description="YYYY-MM")
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    energy_kwh: dict[str, float] = Field(description="kWh per period (尖峰 高峰 平段 低谷 深谷)")
    max_demand_kw: float | None = None
    energy_amount: float | None = Field(default=None, description="电度电费 [元]")
    basic_amount: float | None = Field(default=None, description="基本电费 [元]")
    total_amount: float = Field(description="[元]")
    reference: str = Field(description="the bill's number")


class BillOut(BaseModel):
    """A stored bill."""

    id: int
    enterprise_id: int | None
    month: str
    energy_kwh: dict[str, float]
    max_demand_kw: float | None
    energy_amount: float | None
    basic_amount: float | None
    total_amount: float
    reference: str
    imported_by: str


def _bill(b: Bill) -> BillOut:
    return BillOut(
        id=b.id, enterprise_id=b.enterprise_id, month=b.month, energy_kwh=b.energy_kwh,
        max_demand_kw=b.max_demand_kw, energy_amount=b.energy_amount,
        basic_amount=b.basic_amount, total_amount=b.total_amount, reference=b.reference,
        imported_by=b.imported_by,
    )  # fmt: skip


@router.post("/bills", response_model=BillOut, status_code=status.HTTP_201_CREATED)
def import_bill(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[BillIn, Body()]
) -> BillOut:
    """Import a utility bill as a record (409 when the same bill is imported twice)."""
    data: dict[str, Any] = body.model_dump(exclude={"enterprise_id"})
    if body.enterprise_id is not None:
        data["enterprise"] = service.enterprise_code(
            store, principal=principal, enterprise_id=body.enterprise_id
        )
    return _bill(service.import_bill(store, principal=principal, data=data))


@router.get("/bills", response_model=list[BillOut])
def list_bills(
    store: StoreDep,
    principal: CurrentPrincipal,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> list[BillOut]:
    """Bills in the caller's scope, newest month first."""
    return [_bill(b) for b in service.bills(store, principal=principal, month=month)]


@router.get("/bills/{bill_id}", response_model=BillOut)
def get_bill(store: StoreDep, principal: CurrentPrincipal, bill_id: IdPath) -> BillOut:
    """One bill."""
    return _bill(service.bill(store, principal=principal, bill_id=bill_id))


class CheckLineOut(BaseModel):
    """One compared quantity: difference = metered − billed, relative = difference / billed."""

    item: str
    metered: float | None
    billed: float | None
    difference: float | None
    relative: float | None
    status: str


class BillCheckOut(BaseModel):
    """A bill against the metered energy, cost and demand of its month."""

    bill: BillOut
    status: str
    tolerance: float
    tariff: str | None
    cost_status: str
    lines: list[CheckLineOut]


@router.get("/bills/{bill_id}/check", response_model=BillCheckOut)
def check_bill(
    store: StoreDep,
    principal: CurrentPrincipal,
    bill_id: IdPath,
    tolerance: Annotated[float, Query(ge=0, lt=1)] = DEFAULT_TOLERANCE,
) -> BillCheckOut:
    """Compare a bill with what the park's meters recorded and what the tariff gives."""
    c = service.check_bill(store, principal=principal, bill_id=bill_id, tolerance=tolerance)
    return BillCheckOut(
        bill=_bill(c.bill), status=c.status, tolerance=c.tolerance,
        tariff=None if c.cost.tariff is None else c.cost.tariff.key, cost_status=c.cost.status,
        lines=[
            CheckLineOut(
                item=line.item, metered=line.metered, billed=line.billed,
                difference=line.difference, relative=line.relative, status=line.status,
            )
            for line in c.lines
        ],
    )  # fmt: skip
