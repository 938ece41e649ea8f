"""A priced record copied from a utility's 代理购电 list: 国网湖北's 代理购电工商业用户电价表 of
January 2026 (两部制, 1-10(20)千伏), as quoted in the record's file. The expected prices are the
list's figures; the recomputations use the list's components, typed here from the file's header;
the costs are multiplied out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lingtan.identity.roles import SYSTEM
from lingtan.normalize.hourly import HourlyStats
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.store.stats_repo import StatsRepo
from lingtan.tariffs import records, service
from lingtan.tariffs.cost import period_price
from lingtan.tariffs.periods import period_at

HB = records.find("cn-hb-industry-commerce", 1)
SH = ZoneInfo("Asia/Shanghai")

# the list's components (元/kWh): 代理购电价格, 上网环节线损费用 (floating, note 2), and 输配电价,
# 政府性基金及附加, 系统运行费 (not floating)
PURCHASE, LOSS = 0.384470, 0.013643
TRANSMISSION, FUNDS, SYSTEM_OPERATION = 0.1263, 0.0452, 0.082273


def test_the_record_is_the_lists_row_for_january_2026_only() -> None:
    assert (HB.province, HB.voltage, HB.pricing) == ("湖北", "1-10(20)kV", "prices")
    assert HB.prices == {"尖峰": 1.049999, "高峰": 0.848961, "平段": 0.651886, "低谷": 0.432924}
    assert (HB.demand_charge, HB.capacity_charge) == (42.0, 26.3)
    assert HB.source.notice == "鄂发改价管〔2024〕77号" and HB.source.url
    # one transcription of the prices: L; the charges agree with the 输配电价 table: M
    assert HB.confidence == "L" and HB.unverified
    assert HB.charges_source is not None and HB.charges_source.confidence == "M"
    # valid in January 2026 only: December 2025 and February 2026 have no version
    found = records.in_force("cn-hb-industry-commerce", None, "2026-01")
    assert found is not None and found.key == "cn-hb-industry-commerce@1"
    assert records.in_force("cn-hb-industry-commerce", None, "2025-12") is None
    assert records.in_force("cn-hb-industry-commerce", None, "2026-02") is None
    assert period_price(HB, "平段", "2026-01") == 0.651886


def test_the_period_prices_follow_from_the_lists_components() -> None:
    floating = PURCHASE + LOSS  # 0.384470 + 0.013643 = 0.398113 (the list's 基础电价)
    fixed = TRANSMISSION + FUNDS + SYSTEM_OPERATION  # 0.1263 + 0.0452 + 0.082273 = 0.253773
    assert floating == pytest.approx(0.398113, abs=1e-9)
    assert fixed == pytest.approx(0.253773, abs=1e-9)
    # 平段: 0.398113 + 0.253773 = 0.651886, the list's 电度电价
    assert HB.prices["平段"] == pytest.approx(floating + fixed, abs=1e-9)
    # 尖峰: 0.398113 × 2 + 0.253773 = 1.049999
    assert HB.prices["尖峰"] == pytest.approx(2 * floating + fixed, abs=1e-9)
    # 低谷: 0.398113 × 0.45 + 0.253773 = 0.43292385, to 6 decimals 0.432924
    assert HB.prices["低谷"] == round(0.45 * floating + fixed, 6)
    # 高峰: with the ratio 1.49 of the list's other rows 0.398113 × 1.49 + 0.253773 = 0.846961;
    # the list says 0.848961 (0.002 more, ratio (0.848961 − 0.253773) / 0.398113 = 1.49502):
    # the record keeps the list's figure and says so
    assert round(1.49 * floating + fixed, 6) == pytest.approx(0.846961, abs=1e-9)
    assert HB.prices["高峰"] - 0.846961 == pytest.approx(0.002, abs=1e-9)
    assert (HB.prices["高峰"] - fixed) / floating == pytest.approx(1.49502, abs=1e-5)
    assert any("0.848961" in u for u in HB.unverified)


@pytest.mark.parametrize(
    ("tariff_id", "transmission", "listed", "demand", "capacity"),
    [
        # the list's other two-part rows: 输配电价, (尖峰, 高峰, 平段, 低谷), 需量, 容量
        ("cn-hb-industry-commerce-35kv", 0.1065,
         (1.030199, 0.827161, 0.632086, 0.413124), 42.0, 26.3),
        ("cn-hb-industry-commerce-110kv", 0.0884,
         (1.012099, 0.809061, 0.613986, 0.395024), 39.0, 24.4),
        ("cn-hb-industry-commerce-220kv", 0.0694,
         (0.993099, 0.790061, 0.594986, 0.376024), 39.0, 24.4),
    ],
)  # fmt: skip
def test_the_other_two_part_rows_follow_their_components(
    tariff_id: str,
    transmission: float,
    listed: tuple[float, float, float, float],
    demand: float,
    capacity: float,
) -> None:
    row = records.find(tariff_id)
    assert (row.valid_from, row.valid_to) == (dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert row.schedules == HB.schedules and row.confidence == "L"
    assert (row.demand_charge, row.capacity_charge) == (demand, capacity)
    assert tuple(row.prices[p] for p in ("尖峰", "高峰", "平段", "低谷")) == listed
    # e.g. 35千伏: fixed 0.1065 + 0.0452 + 0.082273 = 0.233973; 平段 0.398113 + 0.233973 =
    # 0.632086, 尖峰 0.796226 + 0.233973 = 1.030199, 高峰 0.59318837 + 0.233973 = 0.827161,
    # 低谷 0.17915085 + 0.233973 = 0.413124 (to 6 decimals, as listed)
    floating, fixed = PURCHASE + LOSS, transmission + FUNDS + SYSTEM_OPERATION
    ratios = {"尖峰": 2.0, "高峰": 1.49, "平段": 1.0, "低谷": 0.45}
    for period, ratio in ratios.items():
        assert row.prices[period] == pytest.approx(ratio * floating + fixed, abs=6e-7), period


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # other months: 低谷 0-6 and 12-14, 平段 6-12 and 14-16, 高峰 16-18 and 20-24, 尖峰 18-20
        (dt.datetime(2026, 1, 5, 5, 59), "低谷"),
        (dt.datetime(2026, 1, 5, 6, 0), "平段"),
        (dt.datetime(2026, 1, 5, 11, 59), "平段"),
        (dt.datetime(2026, 1, 5, 12, 0), "低谷"),
        (dt.datetime(2026, 1, 5, 14, 0), "平段"),
        (dt.datetime(2026, 1, 5, 16, 0), "高峰"),
        (dt.datetime(2026, 1, 5, 18, 0), "尖峰"),
        (dt.datetime(2026, 1, 5, 19, 59), "尖峰"),
        (dt.datetime(2026, 1, 5, 20, 0), "高峰"),
        (dt.datetime(2026, 1, 5, 23, 59), "高峰"),
        # July and August: 高峰 16-20 and 22-24, 尖峰 20-22
        (dt.datetime(2026, 7, 5, 18, 0), "高峰"),
        (dt.datetime(2026, 7, 5, 20, 0), "尖峰"),
        (dt.datetime(2026, 8, 5, 21, 59), "尖峰"),
        (dt.datetime(2026, 8, 5, 22, 0), "高峰"),
    ],
)
def test_the_periods_of_note_2(local: dt.datetime, expected: str) -> None:
    assert period_at(HB, local) == expected


def test_each_day_has_2_6_8_8_hours() -> None:
    for month in (1, 7):
        day = [period_at(HB, dt.datetime(2026, month, 5, h)) for h in range(24)]
        counts = {p: day.count(p) for p in ("尖峰", "高峰", "平段", "低谷")}
        assert counts == {"尖峰": 2, "高峰": 6, "平段": 8, "低谷": 8}


def _january(store: Store, code: str, kwh: float) -> None:
    """``kwh`` in every hour of January 2026 (local) for the point ``code``."""
    start = int(dt.datetime(2026, 1, 1, tzinfo=SH).timestamp() * 1_000_000)
    n = 31 * 24
    nan = np.full(n, np.nan)
    stats = HourlyStats(
        hours=start + np.arange(n, dtype=np.int64) * 3_600_000_000, value=np.full(n, kwh),
        mean=nan, min=nan, max=nan, measured_s=np.full(n, 3600.0), estimated_s=np.zeros(n),
        missing_s=np.zeros(n), flags=np.zeros(n, np.int64), n=np.ones(n, np.int64),
    )  # fmt: skip
    point = QueryRepo(store).point(tenant=Tenant.park_wide(), code=code)
    with store.begin() as conn:
        StatsRepo(store).write_hours(conn, point.id, stats, now=0)


def test_a_month_of_the_small_park_is_costed_at_the_lists_prices(loaded: Store) -> None:
    _january(loaded, "E01-main", 10.0)
    service.assign(loaded, principal=SYSTEM, effective_from="2026-01",
                   tariff_id="cn-hb-industry-commerce", basic_basis="demand")  # fmt: skip
    r = service.cost(loaded, principal=SYSTEM, scope="enterprise", subject="E01", start="2026-01",
                     months=2)  # fmt: skip
    jan, feb = r.months
    # 10 kWh/h × 31 days: 低谷 8 h/day → 2480 kWh, 平段 8 h → 2480, 高峰 6 h → 1860, 尖峰 2 h → 620
    assert jan.status == "ok" and jan.tariff == "cn-hb-industry-commerce@1"
    assert jan.energy_kwh == pytest.approx({"低谷": 2480.0, "平段": 2480.0, "高峰": 1860.0,
                                            "尖峰": 620.0})  # fmt: skip
    # 2480 × 0.432924 = 1073.65152; 2480 × 0.651886 = 1616.67728; 1860 × 0.848961 = 1579.06746;
    # 620 × 1.049999 = 650.99938 → 4920.39564 元
    assert jan.total_cost == pytest.approx(4920.39564, abs=1e-6)
    # 基本电费 on demand: 10 kW (the hourly bound, no readings behind the statistics) × 42.0 = 420 元
    assert r.basic["2026-01"]["amount"] == pytest.approx(420.0)
    # February has no list in the record: no cost, never the January prices
    assert (feb.status, feb.total_cost) == ("tariff_not_valid", None)
