"""Period assignment in local time (Asia/Shanghai, no DST) and the seasonal calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from lingtan.tariffs import records
from lingtan.tariffs.periods import hour_period_shares, interval_periods, period_at

SH = ZoneInfo("Asia/Shanghai")
DEMO = records.find("demo-js-synthetic")
GD = records.find("cn-gd-industry-commerce")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # demo/Jiangsu calendar: 低谷 00:00-08:00, 高峰 08:00-11:00 outside July/August
        (dt.datetime(2025, 3, 10, 7, 59), "低谷"),
        (dt.datetime(2025, 3, 10, 8, 0), "高峰"),
        (dt.datetime(2025, 3, 10, 10, 30), "高峰"),
        (dt.datetime(2025, 3, 10, 11, 0), "平段"),
        (dt.datetime(2025, 3, 10, 21, 59), "高峰"),
        (dt.datetime(2025, 3, 10, 22, 0), "平段"),
        (dt.datetime(2025, 3, 10, 23, 59), "平段"),
        (dt.datetime(2025, 3, 11, 0, 0), "低谷"),
        # July: 10:00-11:00 is 尖峰 in the summer schedule, 高峰 on 30 June and 1 September
        (dt.datetime(2025, 7, 15, 10, 0), "尖峰"),
        (dt.datetime(2025, 7, 15, 9, 59), "高峰"),
        (dt.datetime(2025, 6, 30, 10, 0), "高峰"),
        (dt.datetime(2025, 9, 1, 10, 0), "高峰"),
        (dt.datetime(2025, 8, 31, 10, 59), "尖峰"),
    ],
)
def test_period_of_local_minute(local: dt.datetime, expected: str) -> None:
    assert period_at(DEMO, local) == expected


def test_guangdong_summer_day_has_two_critical_peak_blocks() -> None:
    # 7-9月: 尖峰 11:00-12:00 and 15:00-17:00 = 3 h; other months none
    day = [period_at(GD, dt.datetime(2025, 8, 5, h)) for h in range(24)]
    assert day.count("尖峰") == 3
    assert day.count("高峰") == 4  # 10-11, 14-15, 17-19: 1 + 1 + 2 h
    assert day.count("低谷") == 8
    winter = [period_at(GD, dt.datetime(2025, 1, 5, h)) for h in range(24)]
    assert "尖峰" not in winter
    assert winter.count("高峰") == 7  # 10-12 and 14-19


def test_utc_hour_maps_to_local_hour_eight_hours_later() -> None:
    # 2025-03-10 00:00 UTC = 08:00 Asia/Shanghai (UTC+8 all year): 高峰
    shares = hour_period_shares(DEMO, dt.datetime(2025, 3, 10, 0, tzinfo=dt.UTC), SH)
    assert shares == {"高峰": 1.0}
    # 2025-03-09 23:00 UTC = 07:00 local: 低谷
    assert hour_period_shares(DEMO, dt.datetime(2025, 3, 9, 23, tzinfo=dt.UTC), SH) == {"低谷": 1.0}
    # 2025-07-01 02:00 UTC is 10:00 local on 1 July — 尖峰; 30 June 10:00 local is 高峰
    assert hour_period_shares(DEMO, dt.datetime(2025, 7, 1, 2, tzinfo=dt.UTC), SH) == {"尖峰": 1.0}
    assert hour_period_shares(DEMO, dt.datetime(2025, 6, 30, 2, tzinfo=dt.UTC), SH) == {"高峰": 1.0}


#: a record whose July nights differ from June's: 00:00-08:00 is 深谷 in July and 低谷 in the
#: other months, so the first local hours of 1 July (still 30 June in UTC) tell which month
#: chose the season
_NIGHTS = (
    "id: nights\nversion: 1\nprovince: x\nuser_class: x\nvoltage: x\nvalid_from: 2025-01-01\n"
    "valid_to: null\npricing: prices\nschedules:\n- name: july\n  months: [7]\n  hours:\n"
    '  - {period: 深谷, from: "00:00", to: "08:00"}\n'
    '  - {period: 平段, from: "08:00", to: "24:00"}\n'
    "- name: rest\n  months: [1,2,3,4,5,6,8,9,10,11,12]\n  hours:\n"
    '  - {period: 低谷, from: "00:00", to: "08:00"}\n'
    '  - {period: 平段, from: "08:00", to: "24:00"}\n'
    "prices: {深谷: 0.1, 低谷: 0.3, 平段: 0.6}\n"
    "source: {notice: null, title: t, issuer: t, date: null, url: null}\nconfidence: L\n"
    "unverified: [all]\n"
)


def test_the_local_month_chooses_the_season_not_the_utc_month() -> None:
    from lingtan.tariffs.cost import costs

    (t,) = records.parse_tariffs(_NIGHTS, "nights.yaml")
    # 2025-06-30 16:00 UTC = 2025-07-01 00:00 local: July's schedule → 深谷 (June's: 低谷)
    june_utc = dt.datetime(2025, 6, 30, 16, tzinfo=dt.UTC)
    assert hour_period_shares(t, june_utc, SH) == {"深谷": 1.0}
    # 2025-07-31 16:00 UTC = 2025-08-01 00:00 local: August's schedule → 低谷
    assert hour_period_shares(t, dt.datetime(2025, 7, 31, 16, tzinfo=dt.UTC), SH) == {"低谷": 1.0}
    # and the cost lands in the local month: 10 kWh at each of the two hours above
    # → July: 10 kWh 深谷 × 0.1 = 1.0 元; August: 10 kWh 低谷 × 0.3 = 3.0 元
    hours = [
        int(june_utc.timestamp() * 1e6),
        int(dt.datetime(2025, 7, 31, 16, tzinfo=dt.UTC).timestamp() * 1e6),
    ]
    _, (july, august) = costs(t, hours, [10.0, 10.0], SH)
    assert (july.month, july.energy_kwh) == ("2025-07", {"深谷": 10.0})
    assert july.total_cost == pytest.approx(1.0)
    assert (august.month, august.energy_kwh) == ("2025-08", {"低谷": 10.0})
    assert august.total_cost == pytest.approx(3.0)


def test_a_local_year_of_hours_falls_into_its_periods() -> None:
    from lingtan.tariffs.cost import costs

    # 8760 hours from 2025-01-01 00:00 local, 1 kWh each, on the demo calendar:
    #   低谷 00-08 every day: 8 h × 365 = 2920 kWh
    #   尖峰 10-11 in July and August only: 1 h × (31 + 31) = 62 kWh
    #   高峰 in July-August 08-10 and 17-22: 7 h × 62 = 434; in the other 303 days 08-11 and
    #        17-22: 8 h × 303 = 2424 → 2858 kWh
    #   平段 11-17 and 22-24 every day: 8 h × 365 = 2920 kWh (2920 + 62 + 2858 + 2920 = 8760)
    start = int(dt.datetime(2025, 1, 1, tzinfo=SH).timestamp() * 1_000_000)
    hours = [start + i * 3_600_000_000 for i in range(8760)]
    _, months = costs(DEMO, hours, [1.0] * 8760, SH)
    assert [m.month for m in months] == [f"2025-{k:02d}" for k in range(1, 13)]
    assert [m.hours for m in months] == [
        d * 24 for d in (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    ]
    total: dict[str, float] = {}
    for m in months:
        for p, e in m.energy_kwh.items():
            total[p] = total.get(p, 0.0) + e
    assert total == pytest.approx({"低谷": 2920.0, "尖峰": 62.0, "高峰": 2858.0, "平段": 2920.0})


def test_interval_straddling_a_half_hour_boundary_is_split(tmp_path: object) -> None:
    text = (
        "id: half\nversion: 1\nprovince: x\nuser_class: x\nvoltage: x\nvalid_from: 2025-01-01\n"
        "valid_to: null\npricing: unpriced\nschedules:\n- name: all\n"
        "  months: [1,2,3,4,5,6,7,8,9,10,11,12]\n  hours:\n"
        '  - {period: 低谷, from: "00:00", to: "08:30"}\n'
        '  - {period: 高峰, from: "08:30", to: "24:00"}\n'
        "source: {notice: null, title: t, issuer: t, date: null, url: null}\nconfidence: L\n"
        "unverified: [all]\n"
    )
    (t,) = records.parse_tariffs(text, "half.yaml")
    # 00:00 UTC = 08:00 local: 30 min 低谷 + 30 min 高峰
    assert hour_period_shares(t, dt.datetime(2025, 1, 1, 0, tzinfo=dt.UTC), SH) == {
        "低谷": 0.5,
        "高峰": 0.5,
    }
    # a 15-min interval 08:15-08:30 local is all 低谷; 08:30-08:45 all 高峰
    assert interval_periods(t, dt.datetime(2025, 1, 1, 0, 15, tzinfo=dt.UTC), 15, SH) == {
        "低谷": 15.0
    }
    assert interval_periods(t, dt.datetime(2025, 1, 1, 0, 30, tzinfo=dt.UTC), 15, SH) == {
        "高峰": 15.0
    }


def test_an_interval_past_midnight_continues_in_the_next_day() -> None:
    # local 2025-03-10 23:30 (15:30 UTC) + 60 min: 30 min 平段 (22:00-24:00), 30 min 低谷
    start = dt.datetime(2025, 3, 10, 15, 30, tzinfo=dt.UTC)
    assert interval_periods(DEMO, start, 60, SH) == {"平段": 30.0, "低谷": 30.0}
    # 2025-08-31 23:00 local + 12 h: 1 h 平段, then 1 September (not a 尖峰 month):
    # 8 h 低谷 and 3 h 高峰 (08:00-11:00)
    start = dt.datetime(2025, 8, 31, 15, 0, tzinfo=dt.UTC)
    assert interval_periods(DEMO, start, 720, SH) == {"平段": 60.0, "低谷": 480.0, "高峰": 180.0}
