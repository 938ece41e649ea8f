"""Energy cost (电度电费) and 基本电费 under a time-of-use tariff (pure: arrays in, numbers out).

Two-part tariffs (两部制电价) bill 电度电费 = Σ over periods of energy × the period's price, and
基本电费 either on contract capacity (按容量, 元/kVA·月) or on the month's maximum demand (按需量,
元/kW·月); the capacity-or-demand choice per user is set out in 国家发展改革委《关于完善两部制电价用户
基本电价执行方式的通知》(发改价格〔2016〕1583号, as recalled; not verified here).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

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
    price = base price of the month (平段, the 代理购电 or market price) × the period's ratio,
    the ratio set by the provincial notice the record cites. ``unpriced``: None.
    """
    if period not in PERIODS:
        raise InvalidInput(f"unknown period {period!r}", field="period")
    if tariff.pricing == "prices":
        return tariff.prices.get(period)
    if tariff.pricing == "ratios":
        base = next((b.price for b in tariff.base_prices if b.month == month), None)
        ratio = tariff.ratios.get(period)
        return None if base is None or ratio is None else base * ratio
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
    (发改价格〔2016〕1583号, as recalled; not verified here)."""
    if not math.isfinite(capacity_kva) or capacity_kva <= 0:
        raise InvalidInput("capacity_kva must be a positive number", field="capacity_kva")
    if not math.isfinite(rate) or rate <= 0:
        raise InvalidInput("rate must be a positive number", field="capacity_charge")
    return capacity_kva * rate


def demand_charge(max_demand_kw: float, rate: float) -> float:
    """基本电费 by maximum demand [元/月] = the month's maximum demand [kW] × rate [元/(kW·月)].

    Notes
    -----
    Utilities meter the demand as the largest 15-min average power of the month; from hourly
    statistics the maximum hourly mean power is used, which is never above the 15-min maximum
    (a lower bound: stated with every result that uses it).
    """
    if not math.isfinite(max_demand_kw) or max_demand_kw < 0:
        raise InvalidInput("max_demand_kw must be finite and ≥ 0", field="max_demand_kw")
    if not math.isfinite(rate) or rate <= 0:
        raise InvalidInput("rate must be a positive number", field="demand_charge")
    return max_demand_kw * rate


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
