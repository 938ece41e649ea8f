"""GB/T 18883 records and hour-by-hour compliance (hand-derived expectations)."""

from __future__ import annotations

import datetime as dt
import math

from lingtan import units
from lingtan.environment.indoor import hourly_compliance, indoor_limits, limit_for, season_of

BJ = dt.timezone(dt.timedelta(hours=8))


def _s(t: dt.datetime) -> int:
    return int(t.timestamp())


def test_records_carry_their_source_edition_and_confidence() -> None:
    recs = indoor_limits()
    assert {"temperature", "RH", "CO2", "HCHO", "O3"} <= {r.parameter for r in recs}
    assert all(r.cite == "GB/T 18883-2022 表1" and r.source for r in recs)
    # the records the 2022 edition changed or whose averaging is unsettled stay L
    conf = {r.parameter: r.confidence for r in recs}
    assert (conf["CO2"], conf["HCHO"], conf["PM10"], conf["temperature"]) == ("L", "L", "L", "M")
    # HCHO: 0.08 mg/m3 in the 2022 edition (0.10 in 2002); O3 0.16 mg/m3 = 160 µg/m3, 1-h
    hcho, o3 = limit_for("HCHO", None), limit_for("O3", None)
    assert hcho is not None and hcho.high == 0.08 and hcho.averaging == "1h"
    assert o3 is not None and math.isclose(o3.bounds_in("µg/m3")[1] or 0, 160.0)
    co2 = limit_for("CO2", None)
    assert co2 is not None and co2.averaging == "24h"
    # 0.10 % as a volume fraction = 1000 ppm
    assert math.isclose(co2.bounds_in("ppm")[1] or 0, 1000.0)
    assert math.isclose(units.convert(0.1, "%", "ppm"), 1000.0)


def test_season_follows_the_station_months() -> None:
    assert season_of(7, [6, 7, 8, 9], [12, 1, 2]) == "cooling"
    assert season_of(1, [6, 7, 8, 9], [12, 1, 2]) == "heating"
    assert season_of(4, [6, 7, 8, 9], [12, 1, 2]) is None


def test_hourly_compliance_bounds_seasons_and_missing_hours() -> None:
    july = dt.datetime(2025, 7, 14, 12, tzinfo=BJ)
    april = dt.datetime(2025, 4, 14, 12, tzinfo=BJ)
    hours = [_s(july + dt.timedelta(hours=k)) for k in range(4)] + [_s(april)]
    # cooling season 22–28 °C: 28.0 is the bound (complies), 28.1 is above, 21.9 below;
    # an hour without a value and an April hour (no season) are not assessed
    values = [28.0, 28.1, 21.9, float("nan"), 35.0]
    got = hourly_compliance(
        "temperature", "degC", hours, values, BJ, cooling_months=[6, 7, 8, 9],
        heating_months=[12, 1, 2],
    )  # fmt: skip
    assert [h.compliant for h in got] == [True, False, False, None, None]
    assert (got[0].low, got[0].high) == (22.0, 28.0)


def test_co2_is_judged_on_the_local_days_mean() -> None:
    # 2025-01-10 local: hours of 1200, 900, 800 ppm → day mean 966.7 ≤ 1000: every hour of the
    # day complies although one hour is above 1000; 2025-01-11: 1100 alone → mean 1100 > 1000
    d1 = dt.datetime(2025, 1, 10, 9, tzinfo=BJ)
    d2 = dt.datetime(2025, 1, 11, 9, tzinfo=BJ)
    hours = [_s(d1), _s(d1 + dt.timedelta(hours=1)), _s(d1 + dt.timedelta(hours=2)), _s(d2)]
    got = hourly_compliance("CO2", "ppm", hours, [1200.0, 900.0, 800.0, 1100.0], BJ,
                            cooling_months=[7], heating_months=[1])  # fmt: skip
    assert [h.compliant for h in got] == [True, True, True, False]
    assert {h.basis for h in got} == {"24h"}
