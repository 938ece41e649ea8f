"""HJ 633-2012 AQI / IAQI: hand-derived values, a published worked example, notes (1)–(3)."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lingtan.environment import aqi
from lingtan.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")


def test_published_example_so2_24h() -> None:
    # cloud.tencent.com/developer/article/1900571: SO2 24-h 523 µg/m³ →
    # (200 − 150) / (800 − 475) × (523 − 475) + 150 = 157.38; rounded up: 158
    r = aqi.iaqi("SO2_24h", 523)
    assert r.exact == pytest.approx(157.38, abs=0.005)
    assert r.value == 158


@pytest.mark.parametrize(
    ("item", "c", "expected"),
    [
        # breakpoints themselves: 表1 columns IAQI 50 / 100 / 300
        ("PM2.5_24h", 35, 50),
        ("PM2.5_24h", 75, 100),
        ("PM10_24h", 420, 300),
        # PM2.5 80: (150 − 100) / (115 − 75) × (80 − 75) + 100 = 106.25 → 107
        ("PM2.5_24h", 80, 107),
        # O3 8-h 180: (150 − 100) / (215 − 160) × (180 − 160) + 100 = 118.18 → 119
        ("O3_8h", 180, 119),
        # CO 1-h 12 mg/m³: (150 − 100) / (35 − 10) × (12 − 10) + 100 = 104
        ("CO_1h", 12, 104),
        # NO2 24-h 0: IAQI 0
        ("NO2_24h", 0, 0),
    ],
)
def test_iaqi_hand_derived(item: str, c: float, expected: int) -> None:
    assert aqi.iaqi(item, c).value == expected


def test_units_are_converted_to_the_rows_unit() -> None:
    # CO 12,000 µg/m³ = 12 mg/m³ → 104 as above
    assert aqi.iaqi("CO_1h", 12_000, "µg/m3").value == 104


def test_note_2_o3_8h_above_800_is_reported_by_o3_1h() -> None:
    # O3 8-h 801: no IAQI (note (2)); O3 1-h 250: 100 + 50 × 50 / 100 = 125; PM2.5 80 → 107
    r = aqi.daily_aqi({"O3_8h": 801, "O3_1h": 250, "PM2.5_24h": 80})
    assert r.items["O3_8h"].value is None and r.items["O3_8h"].above_table
    assert r.aqi == 125
    assert r.primary == ["O3_1h"]
    assert r.exceeding == ["O3_1h", "PM2.5_24h"]
    assert (r.level, r.category, r.colour, r.colour_hex) == (3, "轻度污染", "橙色", "#FF7E00")
    assert any("臭氧" in n for n in r.notes)


def test_note_1_so2_1h_above_800_is_reported_by_its_24h_mean() -> None:
    # SO2 1-h 800 is still in 表1 (IAQI 200); 801 is not: the 24-h mean 200 is used,
    # (200 − 150) / (475 − 150) × (200 − 150) + 100 = 107.69 → 108
    assert aqi.hourly_aqi({"SO2_1h": 800}).aqi == 200
    r = aqi.hourly_aqi({"SO2_1h": 801, "NO2_1h": 100}, so2_24h=200)
    assert r.items["SO2_1h"].value is None
    assert r.items["SO2_24h"].value == 108
    assert r.aqi == 108 and r.primary == ["SO2_24h"]
    # without the 24-h mean, SO2 is missing, not silently dropped
    r2 = aqi.hourly_aqi({"SO2_1h": 801, "NO2_1h": 100})
    assert "SO2_24h" in r2.missing and r2.aqi == 50


def test_note_3_daily_report_has_no_1h_rows() -> None:
    with pytest.raises(InvalidInput, match="SO2_1h"):
        aqi.daily_aqi({"SO2_1h": 100})


def test_primary_pollutant_only_above_50_and_ties_are_listed() -> None:
    # PM10 50 → 50, PM2.5 35 → 50: AQI 50, 优, no primary pollutant
    r = aqi.daily_aqi({"PM10_24h": 50, "PM2.5_24h": 35})
    assert (r.aqi, r.primary, r.category) == (50, [], "优")
    # PM10 150 → 100 and PM2.5 75 → 100: both primary, none exceeding (IAQI > 100 only)
    r = aqi.daily_aqi({"PM10_24h": 150, "PM2.5_24h": 75})
    assert r.primary == ["PM10_24h", "PM2.5_24h"] and r.exceeding == []


def test_above_the_table_and_the_categories() -> None:
    r = aqi.daily_aqi({"PM2.5_24h": 600})
    assert r.aqi == 500 and r.label == "> 500" and r.category == "严重污染"
    assert [aqi.category(v).level for v in (0, 50, 51, 100, 101, 150, 151, 200, 201, 300, 301)] == [
        1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6
    ]  # fmt: skip
    with pytest.raises(InvalidInput):
        aqi.iaqi("PM2.5_24h", -1)


def test_daily_aqi_series_uses_valid_local_days() -> None:
    # 2025-03-01 (local): PM2.5 80 for 24 h → 107; 2025-03-02: only 19 valid hours → not valid
    start = int(dt.datetime(2025, 3, 1, tzinfo=SH).timestamp())
    t = np.arange(48, dtype=np.int64) * 3600 + start
    v = np.array([80.0] * 24 + [80.0] * 19 + [math.nan] * 5)
    days = aqi.daily_aqi_series({"PM2.5": aqi.HourSeries(t, v, "µg/m3")}, SH)
    assert [d.day for d in days] == [dt.date(2025, 3, 1), dt.date(2025, 3, 2)]
    assert days[0].result.aqi == 107
    assert days[1].result.aqi is None and "PM2.5_24h" in days[1].result.missing
