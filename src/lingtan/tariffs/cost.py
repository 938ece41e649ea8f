"""Energy cost (电度电费) and 基本电费 under a time-of-use tariff (pure: arrays in, numbers out).

Two-part tariffs (两部制电价) bill 电度电费 = Σ over periods of energy × the period's price, and
基本电费 either on contract capacity (按容量, 元/kVA·月) or on the month's maximum demand (按需量,
元/kW·月); the capacity-or-demand choice per user is set out in《国家发展改革委办公厅关于完善两部制电价用户
基本电价执行方式的通知》(发改办价格〔2016〕1583号, as summarised in a public republication; not
read on an official site).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from lingtan.errors import InvalidInput
from lingtan.tariffs.periods import hour_period_shares
from lingtan.tariffs.records import PERIODS, Tariff

#: ``ok`` every hour known and priced; ``incomplete`` some hours unknown (the cost covers the
#: known hours only: a lower bound); ``no_data`` no hour known (no cost); ``no_price`` a period
#: has no price; ``no_tariff`` / ``tariff_not_valid`` no tariff in force for the month
MonthStatus = Literal["ok", "incomplete", "no_data", "no_price", "no_tariff", "tariff_not_valid"]


def period_price(tariff: Tariff, period: str, month: str) -> float | None:
    """Energy price [元/kWh] of ``period`` in ``month`` (``YYYY-MM``), None when the record does
    not give one.

    Notes
    -----
    ``pricing: prices``: the price the record lists. ``pricing: ratios``:
    price = base price of the month (平段, the 代理购电 or market price) × the period's ratio
    + the month's fixed part (the components the notice does not float; 0 when the month's
    entry gives none), the ratio set by the provincial notice the record cites. ``unpriced``:
    None.
    """
    if period not in PERIODS:
        raise InvalidInput(f"unknown period {period!r}", field="period")
    if tariff.pricing == "prices":
        return tariff.prices.get(period)
    if tariff.pricing == "ratios":
        base = next((b for b in tariff.base_prices if b.month == month), None)
        ratio = tariff.ratios.get(period)
        return None if base is None or ratio is None else base.price * ratio + base.fixed
    return None


def hourly_energy_cost(
    energy_kwh: float, shares: Mapping[str, float], prices: Mapping[str, float]
) -> float:
    """Energy cost [元] of one hour.

    Parameters
    ----------
    energy_kwh : energy imported in the hour [kWh], finite and ≥ 0
    shares : share (0-1) of the hour in each period, summing to 1
    prices : price of each period [元/kWh]

    Notes
    -----
    cost_h = Σ_p E_h × s_{h,p} × price_p — the energy of an hour that straddles a period
    boundary is split by time (no finer data inside the hour).
    """
    if not math.isfinite(energy_kwh) or energy_kwh < 0:
        raise InvalidInput(
            f"energy_kwh must be finite and ≥ 0, not {energy_kwh}", field="energy_kwh"
        )
    return sum(energy_kwh * share * prices[p] for p, share in shares.items())


def capacity_charge(capacity_kva: float, rate: float) -> float:
    """基本电费 by capacity [元/月] = contract capacity [kVA] × rate [元/(kVA·月)]
    (发改办价格〔2016〕1583号, as republished; not verified here)."""
    if not math.isfinite(capacity_kva) or capacity_kva <= 0:
        raise InvalidInput("capacity_kva must be a positive number", field="capacity_kva")
    if not math.isfinite(rate) or rate <= 0:
        raise InvalidInput("rate must be a positive number", field="capacity_charge")
    return capacity_kva * rate


def demand_charge(max_demand_kw: float, rate: float) -> float:
    """基本电费 by maximum demand [元/月] = the month's maximum demand [kW] × rate [元/(kW·月)].

    Notes
    -----
    Utilities meter the demand as the largest 15-min average power of the month
    (:func:`max_quarter_demand_kw`); where a meter is read less often than every 15 minutes only
    the maximum hourly mean power is known, which is never above the 15-min maximum (a lower
    bound: stated with every result that uses it).
    """
    if not math.isfinite(max_demand_kw) or max_demand_kw < 0:
        raise InvalidInput("max_demand_kw must be finite and ≥ 0", field="max_demand_kw")
    if not math.isfinite(rate) or rate <= 0:
        raise InvalidInput("rate must be a positive number", field="demand_charge")
    return max_demand_kw * rate


#: the demand period (需量周期) [h]: a quarter hour, as utilities meter the maximum demand
DEMAND_PERIOD_H = 0.25


def max_quarter_demand_kw(slot_kwh: Sequence[float] | np.ndarray[Any, Any]) -> float | None:
    """最大需量 [kW] = max over the known 15-minute slots of E_slot [kWh] / 0.25 h (the mean
    power of the demand period); None when no slot is known (NaN: unknown)."""
    e = np.asarray(slot_kwh, dtype=np.float64)
    known = e[np.isfinite(e)]
    return float(known.max()) / DEMAND_PERIOD_H if known.size else None


def max_hourly_demand_kw(energy_kwh: Sequence[float]) -> float | None:
    """Largest hourly mean power [kW] = max_h E_h / 1 h, over hours with a known value; None
    when no hour is known."""
    known = [e for e in energy_kwh if math.isfinite(e)]
    return max(known) if known else None


@dataclass
class MonthCost:
    """Energy and cost of one local month, per period."""

    month: str
    energy_kwh: dict[str, float] = field(default_factory=dict)
    cost: dict[str, float] = field(default_factory=dict)
    prices: dict[str, float | None] = field(default_factory=dict)
    hours: int = 0
    missing_hours: int = 0
    max_demand_kw: float | None = None
    status: MonthStatus = "ok"
    #: the tariff record the month was costed with (``id@version``), None without one
    tariff: str | None = None

    @property
    def known_hours(self) -> int:
        return self.hours - self.missing_hours

    @property
    def total_kwh(self) -> float:
        """Energy of the known hours [kWh] (a lower bound while hours are missing)."""
        return sum(self.energy_kwh.values())

    @property
    def total_cost(self) -> float | None:
        """Energy cost of the known hours [元]; None when no hour is known or a period has no
        price. While hours are missing (``incomplete``) it is a lower bound."""
        if self.status not in ("ok", "incomplete"):
            return None
        return sum(self.cost.values())

    def settle_status(self) -> None:
        """Set ``status`` from the counts once every hour is in (``no_price`` stays)."""
        if self.status != "ok":
            return
        if self.known_hours == 0:
            self.status = "no_data"
        elif self.missing_hours:
            self.status = "incomplete"


@dataclass(frozen=True)
class HourCost:
    """One hour: its local start, energy, periods and cost (None without a price or a value)."""

    hour_us: int
    local: str
    energy_kwh: float | None
    shares: dict[str, float]
    cost: float | None


def costs(
    tariff: Tariff, hours_us: Sequence[int], energy_kwh: Sequence[float], zone: ZoneInfo
) -> tuple[list[HourCost], list[MonthCost]]:
    """Hourly and monthly energy cost of an hourly series (hour starts in epoch µs, UTC).

    An hour with an unknown value (NaN) is counted in ``missing_hours`` and has no cost — it is
    never taken as zero: a month with missing hours is ``incomplete`` (its cost covers the known
    hours), one with no known hour ``no_data`` (no cost). A period of the month without a price
    makes it ``no_price``, whether or not its hours are known.
    """
    if len(hours_us) != len(energy_kwh):
        raise InvalidInput("hours and energy must have the same length", field="energy_kwh")
    hourly: list[HourCost] = []
    months: dict[str, MonthCost] = {}
    memo: dict[tuple[int, int, int], dict[str, float]] = {}
    for h, e in zip(hours_us, energy_kwh, strict=True):
        start = dt.datetime.fromtimestamp(int(h) / 1e6, dt.UTC)
        local = start.astimezone(zone)
        key = f"{local.year:04d}-{local.month:02d}"
        m = months.setdefault(key, MonthCost(month=key))
        m.hours += 1
        # the shares depend only on the local month and hour: computed once per pair
        slot = (local.month, local.hour, local.minute)
        shares = memo.get(slot)
        if shares is None:
            shares = memo[slot] = hour_period_shares(tariff, start, zone)
        m.tariff = tariff.key
        prices = {p: period_price(tariff, p, key) for p in shares}
        for p in shares:
            m.prices[p] = prices[p]
            if prices[p] is None:
                m.status = "no_price"
        e = float(e)
        if not math.isfinite(e):
            m.missing_hours += 1
            hourly.append(HourCost(int(h), local.isoformat(), None, shares, None))
            continue
        cost: float | None = None
        if all(v is not None for v in prices.values()):
            cost = hourly_energy_cost(e, shares, {p: v for p, v in prices.items() if v is not None})
        for p, share in shares.items():
            m.energy_kwh[p] = m.energy_kwh.get(p, 0.0) + e * share
            price = prices[p]
            if price is not None:
                m.cost[p] = m.cost.get(p, 0.0) + e * share * price
        m.max_demand_kw = e if m.max_demand_kw is None else max(m.max_demand_kw, e)
        hourly.append(HourCost(int(h), local.isoformat(), e, shares, cost))
    for m in months.values():
        m.settle_status()
    return hourly, sorted(months.values(), key=lambda m: m.month)


# -- the cost of whole months from aggregates -------------------------------------------------
#
# The energy of a month per period is Σ_h E_h × s_{h,p}; the shares s_{h,p} depend only on the
# local time of day the hour starts at (and the month's day schedule), so grouping the hours by
# that time first gives Σ_slot (Σ_{h in slot} E_h) × s_{slot,p}: the same sum, from 24 numbers a
# month instead of ~730. The cost per period is then energy_p × price_p (a period has one price
# in a month). This is what the service computes in the database; :func:`costs` above is the
# hour-by-hour definition it is checked against.

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


@dataclass(frozen=True)
class Piece:
    """A stretch [start, end) of hours in one local month with one UTC offset, so that an hour's
    local time of day follows from its UTC time of day (hour mod 24 h) by adding the offset."""

    start_us: int
    end_us: int
    month: str
    offset_us: int


def pieces(h0: int, h1: int, zone: ZoneInfo) -> list[Piece]:
    """The pieces of the hours [h0, h1) (epoch µs, UTC): split at local month starts and at the
    zone's offset changes (none in Asia/Shanghai since 1991: one piece a month)."""
    if h1 <= h0:
        return []

    def offset(us: int) -> int:
        off = dt.datetime.fromtimestamp(us / 1e6, dt.UTC).astimezone(zone).utcoffset()
        return int(off.total_seconds() * 1_000_000) if off is not None else 0

    def month(us: int) -> str:
        local = dt.datetime.fromtimestamp(us / 1e6, dt.UTC).astimezone(zone)
        return f"{local.year:04d}-{local.month:02d}"

    out: list[Piece] = []
    start, off, mon = h0, offset(h0), month(h0)
    # offsets and months change at most a few times a year: look day by day, then hour by
    # hour inside a day where something changed
    at = h0
    while at < h1:
        nxt = min(at + DAY_US, h1)
        end_off, end_mon = offset(nxt - HOUR_US), month(nxt - HOUR_US)
        if end_off != off or end_mon != mon:
            h = at
            while h < nxt:
                o, m = offset(h), month(h)
                if o != off or m != mon:
                    out.append(Piece(start, h, mon, off))
                    start, off, mon = h, o, m
                h += HOUR_US
        at = nxt
    out.append(Piece(start, h1, mon, off))
    return out


@dataclass(frozen=True)
class SlotSum:
    """The hours of one local month that start at one local time of day (a slot): how many
    there are, how many have a known value, and the energy of those [kWh]."""

    month: str
    #: the slot's first hour in the month (epoch µs): its period shares stand for the slot's
    first_us: int
    hours: int
    known: int
    kwh: float
    #: the largest known hour [kWh]; None when no hour is known
    max_kwh: float | None


#: one cell of hours: (piece index, UTC time of day [µs]) → Σ kWh of the known hours, their
#: number and the largest of them
Cell = tuple[float, int, float | None]


def slot_sums(
    parts: Sequence[Piece],
    cells: Mapping[tuple[int, int], Cell],
    hours_us: Sequence[int] | np.ndarray[Any, Any],
) -> list[SlotSum]:
    """The slots of ``hours_us`` (each inside one of ``parts``), with the known energy of
    ``cells`` (a cell absent: no hour of it known). Cells of pieces with the same local month
    and local time of day (an offset change) make one slot."""
    hours = np.asarray(hours_us, dtype=np.int64)
    starts = np.array([p.start_us for p in parts], dtype=np.int64)
    piece = np.searchsorted(starts, hours, side="right") - 1
    if len(hours) and (
        piece.min() < 0 or np.any(hours >= np.array([p.end_us for p in parts])[piece])
    ):
        raise InvalidInput("an hour lies outside the pieces", field="hours")
    tod = hours % DAY_US
    acc: dict[tuple[str, int], list[Any]] = {}
    # the first hour of each (piece, time of day) and the number of hours: one pass in numpy
    key = piece * DAY_US + tod
    uniq, first_at, count = np.unique(key, return_index=True, return_counts=True)
    for k, i, n in zip(uniq.tolist(), first_at.tolist(), count.tolist(), strict=True):
        k_piece, k_tod = divmod(int(k), DAY_US)
        p = parts[k_piece]
        local_tod = (k_tod + p.offset_us) % DAY_US
        kwh, known, peak = cells.get((k_piece, k_tod), (0.0, 0, None))
        slot = acc.get((p.month, local_tod))
        if slot is None:
            acc[(p.month, local_tod)] = [int(hours[i]), int(n), known, kwh, peak]
        else:
            slot[0] = min(slot[0], int(hours[i]))
            slot[1] += int(n)
            slot[2] += known
            slot[3] += kwh
            slot[4] = peak if slot[4] is None else slot[4] if peak is None else max(slot[4], peak)
    return [
        SlotSum(month=m, first_us=v[0], hours=v[1], known=v[2], kwh=v[3], max_kwh=v[4])
        for (m, _), v in sorted(acc.items(), key=lambda kv: (kv[0][0], kv[1][0]))
    ]


def series_cells(
    parts: Sequence[Piece], hours_us: Sequence[int], energy_kwh: Sequence[float]
) -> dict[tuple[int, int], Cell]:
    """The cells of an hourly series in memory (NaN: unknown), grouped with numpy — what the
    store computes in SQL from the hourly statistics."""
    hours = np.asarray(hours_us, dtype=np.int64)
    kwh = np.asarray(energy_kwh, dtype=float)
    if len(hours) != len(kwh):
        raise InvalidInput("hours and energy must have the same length", field="energy_kwh")
    if np.any(kwh < 0) or np.any(np.isinf(kwh)):
        raise InvalidInput("energy_kwh must be finite and ≥ 0 (NaN: unknown)", field="energy_kwh")
    known = ~np.isnan(kwh)
    starts = np.array([p.start_us for p in parts], dtype=np.int64)
    piece = np.searchsorted(starts, hours[known], side="right") - 1
    key = piece * DAY_US + hours[known] % DAY_US
    out: dict[tuple[int, int], Cell] = {}
    if not len(key):
        return out
    order = np.argsort(key, kind="stable")
    key, vals = key[order], kwh[known][order]
    uniq, first_at, count = np.unique(key, return_index=True, return_counts=True)
    sums = np.add.reduceat(vals, first_at)
    peaks = np.maximum.reduceat(vals, first_at)
    for k, n, e, m in zip(
        uniq.tolist(), count.tolist(), sums.tolist(), peaks.tolist(), strict=True
    ):
        out[divmod(int(k), DAY_US)] = (float(e), int(n), float(m))
    return out


def month_cost(
    tariff: Tariff,
    slots: Sequence[SlotSum],
    zone: ZoneInfo,
    shares_memo: dict[tuple[str, int], dict[str, float]] | None = None,
) -> MonthCost:
    """Energy and cost of one local month per period from its slots (all of one month).

    Notes
    -----
    E_p = Σ_slot E_slot × s_{slot,p}; cost_p = E_p × price_p — the per-hour definition
    Σ_h E_h × s_{h,p} × price_p (:func:`costs`) summed in another order. Hours unknown, periods
    without a price and the status as in :func:`costs`; the maximum demand is the largest known
    hour (:func:`max_hourly_demand_kw`). ``shares_memo`` keeps the period shares of a slot's
    first hour under a tariff for the next account costed over the same hours.
    """
    memo = {} if shares_memo is None else shares_memo
    months = {s.month for s in slots}
    if len(months) != 1:
        raise InvalidInput("the slots must all be of one month", field="slots")
    (key,) = months
    m = MonthCost(month=key, tariff=tariff.key)
    for s in slots:
        m.hours += s.hours
        m.missing_hours += s.hours - s.known
        shares = memo.get((tariff.key, s.first_us))
        if shares is None:
            start = dt.datetime.fromtimestamp(s.first_us / 1e6, dt.UTC)
            shares = memo[(tariff.key, s.first_us)] = hour_period_shares(tariff, start, zone)
        for p, share in shares.items():
            price = period_price(tariff, p, key)
            m.prices[p] = price
            if price is None:
                m.status = "no_price"
            if s.known:
                m.energy_kwh[p] = m.energy_kwh.get(p, 0.0) + s.kwh * share
        if s.max_kwh is not None:
            m.max_demand_kw = (
                s.max_kwh if m.max_demand_kw is None else max(m.max_demand_kw, s.max_kwh)
            )
    for p, e in m.energy_kwh.items():
        price = m.prices.get(p)
        if price is not None:
            m.cost[p] = e * price
    m.settle_status()
    return m


def month_costs(
    tariff: Tariff, hours_us: Sequence[int], energy_kwh: Sequence[float], zone: ZoneInfo
) -> list[MonthCost]:
    """The months of :func:`costs` (its months only, none of its hours) computed on aggregates:
    the hours grouped by local month and time of day first, then priced."""
    if not len(hours_us):
        return []
    h = np.asarray(hours_us, dtype=np.int64)
    parts = pieces(int(h.min()), int(h.max()) + HOUR_US, zone)
    slots = slot_sums(parts, series_cells(parts, hours_us, energy_kwh), hours_us)
    by_month: dict[str, list[SlotSum]] = {}
    for s in slots:
        by_month.setdefault(s.month, []).append(s)
    return [month_cost(tariff, v, zone) for _, v in sorted(by_month.items())]
