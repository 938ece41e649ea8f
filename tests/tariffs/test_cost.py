"""Energy cost, 基本电费 and their refusals, on small hand-made series."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from lingtan.errors import InvalidInput
from lingtan.tariffs import records
from lingtan.tariffs.cost import (
    capacity_charge,
    costs,
    demand_charge,
    hourly_energy_cost,
    max_hourly_demand_kw,
    period_price,
)

SH = ZoneInfo("Asia/Shanghai")
DEMO = records.find("demo-js-synthetic")  # 尖峰 1.25, 高峰 1.0, 平段 0.6, 低谷 0.3 元/kWh
GD = records.find("cn-gd-industry-commerce")


def _us(y: int, m: int, d: int, h: int) -> int:
    return int(dt.datetime(y, m, d, h, tzinfo=SH).timestamp() * 1_000_000)


def test_hourly_energy_cost_splits_by_share() -> None:
    # 100 kWh, half 低谷 (0.3) half 高峰 (1.0): 50×0.3 + 50×1.0 = 65 元
    assert hourly_energy_cost(
        100.0, {"低谷": 0.5, "高峰": 0.5}, {"低谷": 0.3, "高峰": 1.0}
    ) == pytest.approx(65.0)
    with pytest.raises(InvalidInput, match="energy_kwh"):
        hourly_energy_cost(-1.0, {"低谷": 1.0}, {"低谷": 0.3})


def test_cost_of_a_small_march_and_july_series() -> None:
    # local hours (Asia/Shanghai):
    #   2025-03-10 07:00 低谷 40 kWh × 0.3  = 12.0
    #   2025-03-10 08:00 高峰 50 kWh × 1.0  = 50.0
    #   2025-03-10 12:00 平段 30 kWh × 0.6  = 18.0
    #   2025-03-10 13:00 unknown (NaN): missing, no cost
    #   2025-07-15 10:00 尖峰 80 kWh × 1.25 = 100.0
    #   2025-07-15 23:00 平段 10 kWh × 0.6  = 6.0
    # March: 80.0 元 over 120 kWh, 1 missing hour, max demand 50 kW; July: 106.0 元 over 90 kWh
    hours = [
        _us(2025, 3, 10, 7),
        _us(2025, 3, 10, 8),
        _us(2025, 3, 10, 12),
        _us(2025, 3, 10, 13),
        _us(2025, 7, 15, 10),
        _us(2025, 7, 15, 23),
    ]
    energy = [40.0, 50.0, 30.0, math.nan, 80.0, 10.0]
    hourly, months = costs(DEMO, hours, energy, SH)
    assert [h.cost for h in hourly] == pytest.approx([12.0, 50.0, 18.0, None, 100.0, 6.0])
    march, july = months
    assert march.month == "2025-03" and july.month == "2025-07"
    assert march.total_cost == pytest.approx(80.0)
    assert march.total_kwh == pytest.approx(120.0)
    assert march.energy_kwh == pytest.approx({"低谷": 40.0, "高峰": 50.0, "平段": 30.0})
    assert (march.hours, march.missing_hours, march.max_demand_kw) == (4, 1, 50.0)
    assert march.status == "incomplete"  # 80.0 元 covers 3 of 4 hours: a lower bound
    assert july.status == "ok"
    assert july.total_cost == pytest.approx(106.0)
    assert july.cost == pytest.approx({"尖峰": 100.0, "平段": 6.0})


def test_ratio_tariff_without_a_monthly_base_price_says_no_price() -> None:
    # the Guangdong record gives ratios only: no 平段 price for the month → no cost, not zero
    _, (m,) = costs(GD, [_us(2025, 8, 5, 11)], [10.0], SH)
    assert m.status == "no_price" and m.total_cost is None
    assert m.energy_kwh == {"尖峰": 10.0}
    assert period_price(GD, "尖峰", "2025-08") is None


def test_a_month_without_known_hours_has_no_cost() -> None:
    # 3 hours of March 2025, all unknown: no hour to cost → status no_data, cost None (not 0)
    hours = [_us(2025, 3, 10, h) for h in (7, 8, 12)]
    _, (m,) = costs(DEMO, hours, [math.nan] * 3, SH)
    assert (m.status, m.total_cost, m.missing_hours, m.max_demand_kw) == ("no_data", None, 3, None)
    # the same hours under a record without prices: no_price (the tariff cannot price the
    # month whatever the data), cost None
    unpriced = records.find("cn-js-large-industry", 1)
    _, (u,) = costs(unpriced, hours, [math.nan] * 3, SH)
    assert (u.status, u.total_cost) == ("no_price", None)
    # one hour known (08:00, 高峰, 20 kWh × 1.0 = 20 元), two missing: incomplete, 20 元 is
    # the cost of the known hour only
    _, (i,) = costs(DEMO, hours, [math.nan, 20.0, math.nan], SH)
    assert (i.status, i.missing_hours) == ("incomplete", 2)
    assert i.total_cost == pytest.approx(20.0)


def test_ratio_tariff_with_a_base_price() -> None:
    # 平段 0.5 元/kWh in 2025-08 → 尖峰 0.5 × 2.125 = 1.0625, 低谷 0.5 × 0.38 = 0.19
    data = GD.model_dump(by_alias=True)
    data["base_prices"] = [{"month": "2025-08", "price": 0.5, "source": "test"}]
    t = records.Tariff.model_validate(data)
    assert period_price(t, "尖峰", "2025-08") == pytest.approx(1.0625)
    assert period_price(t, "低谷", "2025-08") == pytest.approx(0.19)
    assert period_price(t, "低谷", "2025-09") is None


def test_demand_and_capacity_charges() -> None:
    # 1250 kW × 40 元/kW·月 = 50 000 元; 2000 kVA × 25 元/kVA·月 = 50 000 元
    assert demand_charge(1250.0, 40.0) == pytest.approx(50_000.0)
    assert capacity_charge(2000.0, 25.0) == pytest.approx(50_000.0)
    # the hourly maximum demand ignores unknown hours: max(300, 420, 410) = 420 kW
    assert max_hourly_demand_kw([300.0, math.nan, 420.0, 410.0]) == 420.0
    assert max_hourly_demand_kw([math.nan]) is None
    with pytest.raises(InvalidInput, match="capacity_kva"):
        capacity_charge(0.0, 25.0)
    with pytest.raises(InvalidInput, match="max_demand_kw"):
        demand_charge(math.inf, 40.0)


def test_green_trade_price_typed_in_yuan_per_mwh_is_refused() -> None:
    from lingtan.greenpower.ledger import Month, TradeSettlement

    def settle(price: float) -> TradeSettlement:
        return TradeSettlement(settlement_id="T", buyer="E01", level="enterprise", park="p",
                               month=Month.parse("2025-03"), kwh=1.0, seller_project="x",
                               price=price)  # fmt: skip

    # 0.45 元/kWh is a plausible settled price; the same price in 元/MWh (450) would make the
    # trade's cost 1000 times too large: refused, naming the unit
    assert settle(0.45).price == 0.45
    assert settle(5.0).price == 5.0
    with pytest.raises(InvalidInput, match="元/kWh") as err:
        settle(450.0)
    assert err.value.field == "price"
