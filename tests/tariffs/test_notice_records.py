"""The provincial records copied from notices (Dec 2026): the loader accepts the new versions,
each month is priced by the version in force, and the periods at the boundaries the notices
state. Every expected period below is read from the notice text quoted in the record's file,
not from the code."""

from __future__ import annotations

import datetime as dt

import pytest

from lingtan.tariffs import records
from lingtan.tariffs.cost import period_price
from lingtan.tariffs.periods import period_at

JS2 = records.find("cn-js-large-industry", 2)
ZJ2 = records.find("cn-zj-large-industry", 2)
ZJ3 = records.find("cn-zj-large-industry", 3)
SD = records.find("cn-sd-industry-commerce", 1)
GD2 = records.find("cn-gd-industry-commerce", 2)


def test_the_new_versions_load_next_to_the_old_ones() -> None:
    keys = {r.key for r in records.shipped()}
    assert {
        "cn-js-large-industry@1", "cn-js-large-industry@2",
        "cn-zj-large-industry@1", "cn-zj-large-industry@2", "cn-zj-large-industry@3",
        "cn-gd-industry-commerce@1", "cn-gd-industry-commerce@2",
        "cn-sd-industry-commerce@1",
    } <= keys  # fmt: skip
    # the newest version is what `find` without a version returns (version 3 adds the
    # two-part charges to version 2, see test_charges_records.py)
    assert records.find("cn-js-large-industry").version == 3
    assert {r.province for r in records.shipped()} >= {"江苏", "浙江", "广东", "山东"}
    # a record above L names its notice and where it was reported to be
    for r in (JS2, GD2, SD):
        assert r.confidence == "M" and r.source.notice and r.source.url
        assert r.unverified  # the notice text itself was not read on an official site
    assert JS2.source.notice == "苏发改价格发〔2025〕426号"
    assert SD.source.notice == "鲁发改价格〔2023〕914号"
    assert ZJ3.source.notice == "浙发改价格〔2026〕112号"


@pytest.mark.parametrize(
    ("tariff_id", "month", "version"),
    [
        # 江苏: v1 from 2024-01, 苏发改价格发〔2025〕426号 from 2025-06-01 (v2, and v3: v2 with
        # the two-part charges, same validity, newer)
        ("cn-js-large-industry", "2025-05", 1),
        ("cn-js-large-industry", "2025-06", 3),
        ("cn-js-large-industry", "2026-12", 3),
        # 浙江: v1 from 2021-10, 〔2024〕21号 from 2024-03 up to 2026-07, 〔2026〕112号 after (v3,
        # and v4 with the charges)
        ("cn-zj-large-industry", "2024-02", 1),
        ("cn-zj-large-industry", "2024-03", 2),
        ("cn-zj-large-industry", "2026-06", 2),
        ("cn-zj-large-industry", "2026-07", 4),
        # 广东: v2 has the same validity as v1 and is newer; v3 (the charges) from 2023-06
        ("cn-gd-industry-commerce", "2021-10", 2),
        ("cn-sd-industry-commerce", "2025-01", 2),
    ],
)
def test_each_month_is_priced_by_the_version_in_force(
    tariff_id: str, month: str, version: int
) -> None:
    found = records.in_force(tariff_id, None, month)
    assert found is not None and found.version == version


def test_months_before_every_version_have_none() -> None:
    assert records.in_force("cn-gd-industry-commerce", None, "2021-09") is None
    assert records.in_force("cn-sd-industry-commerce", None, "2024-12") is None
    # pinned to 〔2024〕21号: not valid from July 2026 on
    assert records.in_force("cn-zj-large-industry", 2, "2026-07") is None


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # 夏、冬两季（6-8月、12月-次年2月）: 高峰 14:00-22:00, 平段 6-11, 13-14, 22-24,
        # 低谷 0-6, 11-13
        (dt.datetime(2025, 7, 1, 5, 59), "低谷"),
        (dt.datetime(2025, 7, 1, 6, 0), "平段"),
        (dt.datetime(2025, 7, 1, 8, 0), "平段"),  # 高峰 at 08:00 under v1, no longer
        (dt.datetime(2025, 7, 1, 11, 0), "低谷"),
        (dt.datetime(2025, 7, 1, 12, 59), "低谷"),
        (dt.datetime(2025, 7, 1, 13, 0), "平段"),
        (dt.datetime(2025, 7, 1, 14, 0), "高峰"),
        (dt.datetime(2025, 7, 1, 21, 59), "高峰"),
        (dt.datetime(2025, 7, 1, 22, 0), "平段"),
        (dt.datetime(2026, 2, 28, 14, 0), "高峰"),  # February is winter
        # 春、秋两季（3-5月、9-11月）: 高峰 15:00-22:00, 平段 6-10, 14-15, 22-次日2,
        # 低谷 2-6, 10-14
        (dt.datetime(2025, 10, 1, 1, 59), "平段"),
        (dt.datetime(2025, 10, 1, 2, 0), "低谷"),
        (dt.datetime(2025, 10, 1, 10, 0), "低谷"),
        (dt.datetime(2025, 10, 1, 14, 0), "平段"),
        (dt.datetime(2025, 10, 1, 14, 59), "平段"),
        (dt.datetime(2025, 10, 1, 15, 0), "高峰"),
        (dt.datetime(2026, 3, 1, 14, 30), "平段"),  # March is spring
    ],
)
def test_jiangsu_2025_periods_at_the_boundaries(local: dt.datetime, expected: str) -> None:
    assert period_at(JS2, local) == expected


def test_jiangsu_2025_day_totals() -> None:
    # summer: 高峰 14-22 = 8 h, 低谷 0-6 and 11-13 = 8 h, 平段 24 − 16 = 8 h
    summer = [period_at(JS2, dt.datetime(2025, 8, 5, h)) for h in range(24)]
    assert (summer.count("高峰"), summer.count("低谷"), summer.count("平段")) == (8, 8, 8)
    # spring/autumn: 高峰 15-22 = 7 h, 低谷 2-6 and 10-14 = 8 h, 平段 9 h
    autumn = [period_at(JS2, dt.datetime(2025, 9, 5, h)) for h in range(24)]
    assert (autumn.count("高峰"), autumn.count("低谷"), autumn.count("平段")) == (7, 8, 9)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # 〔2024〕21号 spring/autumn: 高峰 8-11 and 13-17, 平段 17-24, 低谷 0-8 and 11-13
        (dt.datetime(2025, 4, 1, 7, 59), "低谷"),
        (dt.datetime(2025, 4, 1, 8, 0), "高峰"),
        (dt.datetime(2025, 4, 1, 11, 0), "低谷"),
        (dt.datetime(2025, 4, 1, 13, 0), "高峰"),
        (dt.datetime(2025, 4, 1, 17, 0), "平段"),
        # summer/winter: 尖峰 9-11 and 15-17, 高峰 8-9 and 17-23, 平段 13-15 and 23-24
        (dt.datetime(2025, 7, 1, 8, 0), "高峰"),
        (dt.datetime(2025, 7, 1, 9, 0), "尖峰"),
        (dt.datetime(2025, 7, 1, 13, 0), "平段"),
        (dt.datetime(2025, 7, 1, 15, 0), "尖峰"),
        (dt.datetime(2025, 7, 1, 22, 59), "高峰"),
        (dt.datetime(2025, 7, 1, 23, 0), "平段"),
    ],
)
def test_zhejiang_2024_periods(local: dt.datetime, expected: str) -> None:
    assert period_at(ZJ2, local) == expected


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # 1-2月、12月: 低谷 2-6 and 10-15 (深谷 11-14), 高峰 7-9 and 16-21 (尖峰 16-19)
        (dt.datetime(2025, 1, 6, 1, 59), "平段"),
        (dt.datetime(2025, 1, 6, 2, 0), "低谷"),
        (dt.datetime(2025, 1, 6, 7, 0), "高峰"),
        (dt.datetime(2025, 1, 6, 10, 59), "低谷"),
        (dt.datetime(2025, 1, 6, 11, 0), "深谷"),
        (dt.datetime(2025, 1, 6, 14, 0), "低谷"),
        (dt.datetime(2025, 1, 6, 16, 0), "尖峰"),
        (dt.datetime(2025, 1, 6, 19, 0), "高峰"),
        (dt.datetime(2025, 1, 6, 21, 0), "平段"),
        # 6月: 低谷 7-12, 高峰 16-23 (尖峰 17-22), no 深谷
        (dt.datetime(2025, 6, 6, 7, 0), "低谷"),
        (dt.datetime(2025, 6, 6, 12, 0), "平段"),
        (dt.datetime(2025, 6, 6, 16, 0), "高峰"),
        (dt.datetime(2025, 6, 6, 17, 0), "尖峰"),
        (dt.datetime(2025, 6, 6, 22, 0), "高峰"),
        # 7-8月: 低谷 1-6
        (dt.datetime(2025, 8, 6, 0, 59), "平段"),
        (dt.datetime(2025, 8, 6, 1, 0), "低谷"),
        # 9-11月: 尖峰 17-19, 高峰 16-17 and 19-21
        (dt.datetime(2025, 10, 6, 16, 0), "高峰"),
        (dt.datetime(2025, 10, 6, 18, 59), "尖峰"),
        (dt.datetime(2025, 10, 6, 19, 0), "高峰"),
        (dt.datetime(2025, 10, 6, 12, 0), "深谷"),
    ],
)
def test_shandong_periods(local: dt.datetime, expected: str) -> None:
    assert period_at(SD, local) == expected


def test_ratio_prices_of_a_month_with_a_base_price() -> None:
    # a base (floating) price of 0.5 元/kWh in 2025-10 (a test value, not a price list):
    # 山东 尖峰 0.5 × 2.0 = 1.0, 深谷 0.5 × 0.1 = 0.05; 江苏 高峰 0.5 × 1.8 = 0.9, 低谷 0.5 × 0.35
    # = 0.175
    base = [{"month": "2025-10", "price": 0.5, "source": "test"}]
    sd = SD.model_copy(update={"base_prices": [records.MonthPrice(**b) for b in base]})
    js = JS2.model_copy(update={"base_prices": [records.MonthPrice(**b) for b in base]})
    assert period_price(sd, "尖峰", "2025-10") == pytest.approx(1.0)
    assert period_price(sd, "深谷", "2025-10") == pytest.approx(0.05)
    assert period_price(js, "高峰", "2025-10") == pytest.approx(0.9)
    assert period_price(js, "低谷", "2025-10") == pytest.approx(0.175)
    # no base price for November: no price, never 0
    assert period_price(js, "高峰", "2025-11") is None


def test_the_fixed_part_of_a_month_is_added_to_every_period_unfloated() -> None:
    # 苏发改价格发〔2025〕426号 floats the purchase price only. A test month: purchase price 0.40
    # 元/kWh floating, 0.25 元/kWh of 输配电价 and funds fixed: 高峰 0.40 × 1.8 + 0.25 = 0.97,
    # 平段 0.40 + 0.25 = 0.65, 低谷 0.40 × 0.35 + 0.25 = 0.39
    month = records.MonthPrice(month="2025-07", price=0.40, fixed=0.25, source="test")
    js = JS2.model_copy(update={"base_prices": [month]})
    assert period_price(js, "高峰", "2025-07") == pytest.approx(0.97)
    assert period_price(js, "平段", "2025-07") == pytest.approx(0.65)
    assert period_price(js, "低谷", "2025-07") == pytest.approx(0.39)
    with pytest.raises(ValueError, match="fixed"):
        records.MonthPrice(month="2025-07", price=0.40, fixed=-0.1, source="test")
