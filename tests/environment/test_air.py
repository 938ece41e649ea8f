"""GB 3095-2012 / HJ 663-2013 statistics on hand-made hourly series."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from lingtan.environment import air
from lingtan.environment.limits import air_limit, min_count

SH = ZoneInfo("Asia/Shanghai")


def hours(first_local: dt.datetime, values: list[float]) -> tuple[air.I64, air.F64]:
    start = int(first_local.timestamp())
    s = np.array([start + 3600 * k for k in range(len(values))], dtype=np.int64)
    return s, np.array(values, dtype=np.float64)


def test_a_day_needs_20_valid_hours() -> None:
    # day 1: 19 valid hours of 50 and 5 missing; day 2: 20 valid hours of 50 and 4 missing
    nan = math.nan
    day1 = [50.0] * 19 + [nan] * 5
    day2 = [50.0] * 20 + [nan] * 4
    s, v = hours(dt.datetime(2025, 3, 1, tzinfo=SH), day1 + day2)
    d = air.daily_mean(s, v, SH, min_count("24h"))
    assert min_count("24h") == 20
    assert [air.day_date(x) for x in d.day] == [dt.date(2025, 3, 1), dt.date(2025, 3, 2)]
    assert d.count.tolist() == [19, 20]
    assert d.valid.tolist() == [False, True]
    assert d.value.tolist() == [50.0, 50.0]


def test_utc_input_is_grouped_by_local_natural_day() -> None:
    # 2025-01-01T16:00Z … 2025-01-02T15:00Z are 00:00 … 23:00 of 2025-01-02 in Shanghai (+08:00)
    s, v = hours(dt.datetime(2025, 1, 1, 16, tzinfo=dt.UTC), [float(k) for k in range(24)])
    d = air.daily_mean(s, v, SH, 20)
    assert [air.day_date(x) for x in d.day] == [dt.date(2025, 1, 2)]
    assert d.value.tolist() == [11.5]  # (0 + … + 23) / 24
    # the same hours grouped by UTC day fall on two days (8 + 16 hours)
    assert air.daily_mean(s, v, dt.UTC, 20).count.tolist() == [8, 16]


def test_equal_to_the_limit_is_compliant_and_above_is_an_exceedance() -> None:
    limit = air_limit("PM2.5", "24h")
    assert limit is not None and limit.value(2) == 75 and limit.value(1) == 35
    values = np.array([75.0, 75.1, 90.0])
    found = air.exceedances(["d1", "d2", "d3"], values, np.array([True, True, False]), 75.0)
    # d1 equals the limit (compliant); d3 is above but invalid (not assessed)
    assert [e.when for e in found] == ["d2"]
    assert found[0].multiple == pytest.approx(75.1 / 75 - 1)  # 0.001333…
    assert air.exceedance_multiple(150.0, 75.0) == 1.0


def test_an_8h_window_needs_6_valid_hours() -> None:
    nan = math.nan
    # window starting at the first hour (hours 0…7): 5 valid hours, 3 missing → invalid
    vals = [10.0, 20, 30, 40, 50, nan, nan, nan, 60, 70]
    s, v = hours(dt.datetime(2025, 7, 1, tzinfo=SH), vals)
    w = air.moving_8h_mean(s, v, min_count("8h"))
    first = int(np.flatnonzero(w.start_s == s[0])[0])
    assert w.count[first] == 5 and not w.valid[first]
    assert w.value[first] == 30.0  # (10+20+30+40+50) / 5
    # window starting at hour 2 (hours 2…9): 30, 40, 50, –, –, –, 60, 70 → 5 valid: invalid
    assert w.count[first + 2] == 5 and not w.valid[first + 2]
    # with a sixth valid hour in hours 0…7 the window is valid: (10+…+60) / 6 = 35
    s2, v2 = hours(dt.datetime(2025, 7, 1, tzinfo=SH), [10.0, 20, 30, 40, 50, 60, nan, nan])
    w2 = air.moving_8h_mean(s2, v2, 6)
    k = int(np.flatnonzero(w2.start_s == s2[0])[0])
    assert w2.count[k] == 6 and w2.valid[k] and w2.value[k] == 35.0


def test_o3_daily_max_8h_example() -> None:
    # O3 at 100 all day except 200 from 10:00 to 17:59 local: the window starting at 10:00
    # averages 200 and is the day's maximum; all 17 windows (start 00:00 … 16:00) are valid
    vals = [100.0] * 24
    for h in range(10, 18):
        vals[h] = 200.0
    s, v = hours(dt.datetime(2025, 7, 1, tzinfo=SH), vals)
    d = air.daily_max_8h_mean(s, v, SH, 6, min_count("8h_daily_max"))
    assert [air.day_date(x) for x in d.day] == [dt.date(2025, 7, 1)]
    assert d.value.tolist() == [200.0]
    assert d.count.tolist() == [17]
    assert d.valid.tolist() == [True]
    limit = air_limit("O3", "8h_daily_max")
    assert limit is not None and limit.value(2) == 160
    assert air.exceedance_multiple(200.0, 160.0) == 0.25


@pytest.mark.parametrize(("first_valid_hour", "windows", "valid"), [(5, 14, True), (6, 13, False)])
def test_o3_daily_max_needs_14_valid_windows(
    first_valid_hour: int, windows: int, valid: bool
) -> None:
    # with hours 0 … f−1 missing, the window starting at s holds s+8−f valid hours; it is valid
    # from s = f−2, so 17 − (f − 2) = 19 − f windows are valid: 14 for f=5, 13 for f=6
    vals = [math.nan] * first_valid_hour + [80.0] * (24 - first_valid_hour)
    s, v = hours(dt.datetime(2025, 7, 1, tzinfo=SH), vals)
    d = air.daily_max_8h_mean(s, v, SH, 6, 14)
    assert d.count.tolist() == [windows]
    assert d.valid.tolist() == [valid]
    assert d.value.tolist() == [80.0]


def test_annual_mean_needs_324_valid_days() -> None:
    days = np.arange(20089, 20089 + 365, dtype=np.int64)  # 2025-01-01 … 2025-12-31
    assert air.day_date(20089) == dt.date(2025, 1, 1)
    value = np.full(365, 30.0)
    for n_valid, ok in ((324, True), (323, False)):
        valid = np.zeros(365, bool)
        valid[:n_valid] = True
        value[n_valid:] = 999.0  # invalid days never enter the mean
        (a,) = air.annual_mean(air.DailyStats(days, value, np.full(365, 24), valid), 324)
        assert (a.year, a.days, a.valid, a.value) == (2025, n_valid, ok, 30.0)


def test_offsets_follow_a_daylight_saving_change() -> None:
    # Europe/Berlin moves from +01:00 to +02:00 at 2025-03-30T01:00Z
    berlin = ZoneInfo("Europe/Berlin")
    s = np.array([int(dt.datetime(2025, 3, 30, h, tzinfo=dt.UTC).timestamp()) for h in (0, 1, 2)])
    assert air.utc_offsets_s(s, berlin).tolist() == [3600, 7200, 7200]


def test_an_hour_needs_45_valid_minutes() -> None:
    # hour 1: 44 valid minutes of 10 and 16 flagged; hour 2: 45 valid minutes of 20
    nan = math.nan
    t0 = int(dt.datetime(2025, 5, 1, 8, tzinfo=SH).timestamp())
    minutes = np.arange(120, dtype=np.int64) * 60 + t0
    values = np.array([10.0] * 44 + [nan] * 16 + [20.0] * 45 + [nan] * 15)
    h = air.hourly_mean(minutes, values, min_count("1h"))
    assert min_count("1h") == 45
    assert h.start_s.tolist() == [t0, t0 + 3600]
    assert h.count.tolist() == [44, 45]
    assert h.valid.tolist() == [False, True]
    assert h.value.tolist() == [10.0, 20.0]
