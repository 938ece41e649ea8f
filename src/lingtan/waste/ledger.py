"""Pure rules of the hazardous-waste ledger: the effective records (corrections applied), the
mass balance per stream and month, the storage stock by batch with its time to the legal limit,
and the deviation of actual generation from the management plan.

Quantities are in tonnes (t, the canonical mass unit of :mod:`lingtan.units`); times are epoch
µs; months and days are the park's local ones.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lingtan.errors import InvalidInput
from lingtan.timeutil import from_us
from lingtan.waste.model import OWN, Movement, MovementKind, StorageExtension

#: quantities closer than this are equal [t] (1 g: below any weighing of a batch)
EPS_T = 1e-6


def effective(movements: Iterable[Movement]) -> list[Movement]:
    """The records in force: every record that no later record corrects. A correction
    replaces the record it names (a quantity of 0 voids it); a correction of a correction
    replaces that one, so a chain leaves its last record."""
    items = list(movements)
    corrected = {m.corrects_id for m in items if m.corrects_id is not None}
    return [m for m in items if m.id not in corrected]


@dataclass(frozen=True, slots=True)
class MonthBalance:
    """The mass balance of one stream in one local month [t]:

    residual = generated − transferred − own − Δstorage, with Δstorage = stored − retrieved.

    A ledger that records every step has a residual of 0: what was generated this month and
    not transferred or handled on site is in storage. A residual ≠ 0 is waste unaccounted for
    (positive: generated but found nowhere) or recorded twice (negative)."""

    stream_id: int
    month: str  # YYYY-MM
    generated: float
    stored: float
    retrieved: float
    transferred: float
    own: float

    @property
    def delta_storage(self) -> float:
        """Δstorage = stored − retrieved [t]."""
        return self.stored - self.retrieved

    @property
    def residual(self) -> float:
        """generated − transferred − own − Δstorage [t]."""
        return self.generated - self.transferred - self.own - self.delta_storage


def month_of(at: int, tz: ZoneInfo) -> str:
    """The local month ``YYYY-MM`` of an instant."""
    return from_us(at, tz).strftime("%Y-%m")


def balances(movements: Iterable[Movement], tz: ZoneInfo) -> list[MonthBalance]:
    """The mass balance per stream and local month of the effective records, sorted."""
    sums: dict[tuple[int, str], dict[str, float]] = {}
    for m in effective(movements):
        key = (m.stream_id, month_of(m.at, tz))
        row = sums.setdefault(
            key, {"generated": 0.0, "stored": 0.0, "retrieved": 0.0, "transferred": 0.0, "own": 0.0}
        )
        if m.kind is MovementKind.GENERATED:
            row["generated"] += m.quantity_t
        elif m.kind is MovementKind.STORED:
            row["stored"] += m.quantity_t
        elif m.kind is MovementKind.RETRIEVED:
            row["retrieved"] += m.quantity_t
        elif m.kind is MovementKind.TRANSFERRED:
            row["transferred"] += m.quantity_t
        elif m.kind in OWN:
            row["own"] += m.quantity_t
    return [MonthBalance(stream_id=k[0], month=k[1], **v) for k, v in sorted(sums.items())]


@dataclass(frozen=True, slots=True)
class StockItem:
    """A batch in a storage facility: what is left of it and when it was first stored."""

    stream_id: int
    facility_id: int
    batch: str
    quantity_t: float
    first_stored_at: int


def stock(movements: Iterable[Movement]) -> list[StockItem]:
    """The batches in storage (stored − retrieved > 0) per facility, oldest first. A batch
    retrieved completely leaves the stock; one retrieved in part keeps its first storage time
    (the limit runs from when the waste went in, 固废法 第八十一条)."""
    acc: dict[tuple[int, int, str], list[float]] = {}
    for m in sorted(effective(movements), key=lambda x: (x.at, x.id)):
        if m.kind not in (MovementKind.STORED, MovementKind.RETRIEVED) or m.facility_id is None:
            continue
        key = (m.stream_id, m.facility_id, m.batch)
        slot = acc.get(key)
        if m.kind is MovementKind.STORED:
            if slot is None or slot[0] <= EPS_T:
                acc[key] = [m.quantity_t, float(m.at)]  # a batch stored again starts anew
            else:
                slot[0] += m.quantity_t
        elif slot is not None:
            slot[0] -= m.quantity_t
    items = [StockItem(k[0], k[1], k[2], v[0], int(v[1])) for k, v in acc.items() if v[0] > EPS_T]
    return sorted(items, key=lambda s: (s.first_stored_at, s.batch))


def add_years(day: dt.date, years: int) -> dt.date:
    """The corresponding day ``years`` later; the month's last day when there is none (29 Feb
    → 28 Feb), 《民法典》第二百零二条."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def storage_deadline(stored_day: dt.date, years: int = 1) -> dt.date:
    """The last day waste stored on ``stored_day`` may stay in storage.

    Notes
    -----
    固废法 (2020) 第八十一条: storage of hazardous waste "不得超过一年". Counted as a civil-law
    period (《民法典》第二百零一条: the first day is not counted; 第二百零二条: a period in years
    ends on the corresponding day): stored on 2025-03-01, the year runs 2025-03-02 … 2026-03-01,
    so 2026-03-01 (365 days later) is still within the limit and 2026-03-02 (366 days) is over.
    """
    if years < 1:
        raise InvalidInput(f"years: {years} must be at least 1", field="years")
    return add_years(stored_day, years)


@dataclass(frozen=True, slots=True)
class StorageAge:
    """How long a batch has been stored and how long it may stay.

    ``deadline`` is the limit in force: the statutory one (``statutory``), or the last day an
    approved extension permits when one applies (``extension``; None otherwise)."""

    stored_day: dt.date
    deadline: dt.date
    days_stored: int
    days_left: int  # ≥ 0 within the limit; negative: days over it
    statutory: dt.date
    extension: StorageExtension | None = None

    @property
    def over(self) -> bool:
        """Past the limit."""
        return self.days_left < 0


def extension_for(
    extensions: Iterable[StorageExtension], stream_id: int, batch: str, stored_day: dt.date
) -> StorageExtension | None:
    """The approved extension in force for a batch of a stream whose storage began on
    ``stored_day``: of the extensions of that stream and batch approved on or after that day,
    the one approved last (on the same day: the one entered last). An approval dated before the
    storage began was granted for an earlier storage of the batch (one retrieved completely and
    stored again starts anew, :func:`stock`) and does not apply.

    Notes
    -----
    固废法 (2020) 第八十一条第三款: "贮存危险废物不得超过一年；确需延长期限的，应当报经颁发许可证的
    生态环境主管部门批准". A later approval of the same batch (a further extension) replaces the
    earlier one."""
    found = [
        e
        for e in extensions
        if e.stream_id == stream_id
        and e.batch == batch
        and dt.date.fromisoformat(e.approved_on) >= stored_day
    ]
    if not found:
        return None
    return max(found, key=lambda e: (e.approved_on, e.id))


def storage_age(
    first_stored_at: int,
    now: int,
    tz: ZoneInfo,
    *,
    years: int = 1,
    extension: StorageExtension | None = None,
) -> StorageAge:
    """The age of stored waste on the local day of ``now`` (see :func:`storage_deadline`).

    With an approved ``extension`` (:func:`extension_for`) the limit is the extension's last
    permitted day when that is later than the statutory deadline; an extension never shortens
    the statutory year (the approval extends, 第八十一条第三款). Its day counts like the
    statutory deadline: storage on ``until`` is within the limit, the day after is over."""
    stored_day = from_us(first_stored_at, tz).date()
    today = from_us(now, tz).date()
    statutory = storage_deadline(stored_day, years)
    deadline, used = statutory, None
    if extension is not None:
        until = dt.date.fromisoformat(extension.until)
        if until > statutory:
            deadline, used = until, extension
    return StorageAge(
        stored_day=stored_day,
        deadline=deadline,
        days_stored=(today - stored_day).days,
        days_left=(deadline - today).days,
        statutory=statutory,
        extension=used,
    )


def plan_deviation_pct(actual_t: float, planned_t: float) -> float | None:
    """偏离度 = (actual − planned) / planned × 100 [%]; None without a positive plan.

    Notes
    -----
    The park standard (8.2.5) asks to alert on deviations from the management plan (HJ
    1259-2022) without publishing a formula or threshold; this is the relative difference, the
    threshold is configurable (domain.md §6, U)."""
    if planned_t <= EPS_T:
        return None
    return (actual_t - planned_t) / planned_t * 100.0


def projected_year(actual_t: float, elapsed_days: float, year_days: float) -> float:
    """A year's quantity projected from the part elapsed (linear): actual × year / elapsed."""
    if elapsed_days <= 0:
        raise InvalidInput("elapsed_days: must be positive", field="elapsed_days")
    if elapsed_days >= year_days:
        return actual_t
    return actual_t * year_days / elapsed_days


def receipt_difference(sent_t: float, received_t: float) -> float:
    """received − sent [t] (negative: less arrived than was sent)."""
    return received_t - sent_t


def receipt_beyond(
    sent_t: float, received_t: float, tolerance_t: float, tolerance_pct: float
) -> bool:
    """Whether a receipt departs from what was sent by more than the tolerance: the larger of
    ``tolerance_t`` and ``tolerance_pct`` % of what was sent (rule check
    ``receipt_difference``; the tolerance is this project's setting, no published value)."""
    limit = max(tolerance_t, tolerance_pct / 100.0 * sent_t)
    return abs(receipt_difference(sent_t, received_t)) > limit


def trace(movements: Sequence[Movement], batch: str) -> list[Movement]:
    """Every effective record of a batch in time order: generation to final disposal."""
    return sorted((m for m in effective(movements) if m.batch == batch), key=lambda m: (m.at, m.id))


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """One enterprise's ledger over a period of local days, in the terms of the solid-waste
    statistics (产生量, 综合利用量, 其中综合利用往年贮存量, 处置量, 贮存量) [t].

    ``utilised`` is the own utilisation (自行利用) recorded in the period;
    ``utilised_from_storage`` the part of it whose batch was generated before 1 January of the
    period's year (往年贮存量); ``disposed`` own treatment and disposal (自行处理/处置);
    ``transferred`` what left on manifests (its use by the receiver is not known to the
    ledger); ``stored`` the stock in storage at the end of the period."""

    enterprise_id: int
    generated: float
    utilised: float
    utilised_from_storage: float
    disposed: float
    transferred: float
    stored: float
    records: int  # effective records dated in the period


def period_figures(
    movements: Iterable[Movement], tz: ZoneInfo, first: dt.date, last: dt.date
) -> list[PeriodFigures]:
    """The ledger figures of each enterprise with at least one effective record dated in
    ``first`` … ``last`` (local days, inclusive), by enterprise id.

    An enterprise without a record in the period is absent: its ledger has no data for the
    period (the caller falls back to the statistics records)."""
    if last < first:
        raise InvalidInput("last: before first", field="last")
    eff = sorted(effective(movements), key=lambda x: (x.at, x.id))
    year_start = dt.date(first.year, 1, 1)
    born: dict[tuple[int, str], dt.date] = {}
    for m in eff:
        if m.kind is MovementKind.GENERATED:
            born.setdefault((m.stream_id, m.batch), from_us(m.at, tz).date())
    acc: dict[int, dict[str, float]] = {}
    for m in eff:
        day = from_us(m.at, tz).date()
        if not first <= day <= last:
            continue
        row = acc.setdefault(
            m.enterprise_id,
            dict.fromkeys(("g", "u", "us", "d", "t", "n"), 0.0),
        )
        row["n"] += 1
        if m.kind is MovementKind.GENERATED:
            row["g"] += m.quantity_t
        elif m.kind is MovementKind.UTILISED:
            row["u"] += m.quantity_t
            b = born.get((m.stream_id, m.batch))
            if b is not None and b < year_start:
                row["us"] += m.quantity_t
        elif m.kind in (MovementKind.TREATED, MovementKind.DISPOSED):
            row["d"] += m.quantity_t
        elif m.kind is MovementKind.TRANSFERRED:
            row["t"] += m.quantity_t
    end = max((m.at for m in eff if from_us(m.at, tz).date() <= last), default=None)
    owner = {m.stream_id: m.enterprise_id for m in eff}
    stocked: dict[int, float] = {}
    if end is not None:
        for item in stock(m for m in eff if m.at <= end):
            e = owner[item.stream_id]
            stocked[e] = stocked.get(e, 0.0) + item.quantity_t
    return [
        PeriodFigures(
            enterprise_id=e,
            generated=r["g"],
            utilised=r["u"],
            utilised_from_storage=r["us"],
            disposed=r["d"],
            transferred=r["t"],
            stored=stocked.get(e, 0.0),
            records=int(r["n"]),
        )
        for e, r in sorted(acc.items())
    ]
