"""Monthly water-quality trend of a section and of an outlet against its permit
(hand-derived values)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from lingtan.environment.assess import Series
from lingtan.environment.stations import PermitLimit, Station
from lingtan.environment.trend import monthly_trend, outlet_monthly_trend
from lingtan.errors import InvalidInput

BJ = dt.timezone(dt.timedelta(hours=8))


def _series(parameter: str, unit: str, days: list[tuple[dt.date, int, float]]) -> Series:
    starts, values = [], []
    for day, hours, v in days:
        t0 = dt.datetime(day.year, day.month, day.day, tzinfo=BJ)
        for h in range(24):
            starts.append(int((t0 + dt.timedelta(hours=h)).timestamp()))
            values.append(v if h < hours else math.nan)
    return Series("WS", parameter, unit, np.array(starts, np.int64), np.array(values))


def test_monthly_means_classes_and_attainment() -> None:
    jan1, jan2, feb1 = dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 2, 1)
    # NH3-N: 0.4 (II) and 1.2 (IV) → January mean 0.8 → III (0.5 < 0.8 ≤ 1.0); 1 of 2 days ≤ III.
    # February: 5 hours of 0.1 → 0.1, class I, 1 of 1 day.
    nh3 = _series("NH3-N", "mg/L", [(jan1, 24, 0.4), (jan2, 24, 1.2), (feb1, 5, 0.1)])
    # DO (a minimum): 6.0 (II) and 4.0 (IV: ≥ 3, < 5) → mean 5.0 → III (≥ 5, equal meets it)
    do = _series("DO", "mg/L", [(jan1, 24, 6.0), (jan2, 24, 4.0)])
    jan, feb = monthly_trend([nh3, do], "III", BJ)
    assert jan.month == "2025-01" and feb.month == "2025-02"
    by = {p.parameter: p for p in jan.parameters}
    assert by["NH3-N"].mean == pytest.approx(0.8) and by["NH3-N"].water_class == "III"
    assert (by["NH3-N"].days, by["NH3-N"].attained_days, by["NH3-N"].attainment) == (2, 1, 0.5)
    assert by["DO"].mean == pytest.approx(5.0) and by["DO"].water_class == "III"
    # the section: worst of the monthly classes (both III); a day attains only when every
    # parameter meets III: Jan 1 yes, Jan 2 no
    assert (jan.water_class, jan.worst) == ("III", ("DO", "NH3-N"))
    assert (jan.days, jan.attained_days, jan.attainment) == (2, 1, 0.5)
    assert (feb.water_class, feb.attainment) == ("I", 1.0)
    with pytest.raises(InvalidInput, match="target class"):
        monthly_trend([nh3], "VI", BJ)


# -- outlets against their permit (outlet_monthly_trend) -----------------------------------


def _utc(day: int, hour: int, month: int = 1) -> int:
    return int(dt.datetime(2025, month, day, hour, tzinfo=dt.UTC).timestamp())


def test_outlet_months_against_the_permit_by_hand() -> None:
    nan = math.nan
    # hour starts (UTC) and their local (+08:00) calendar month:
    #   h1 01-31 13Z = 01-31 21:00 Jan · h2 14Z = 22:00 Jan · h3 15Z = 23:00 Jan
    #   h4 01-31 16Z = 02-01 00:00 Feb (a UTC hour of January in the next local month)
    #   h5 01-31 17Z = 02-01 01:00 Feb · h6 02-28 16Z = 03-01 00:00 Mar
    hours = np.array(
        [_utc(31, 13), _utc(31, 14), _utc(31, 15), _utc(31, 16), _utc(31, 17), _utc(28, 16, 2)],
        np.int64,
    )
    cod = Series("OUT", "COD", "mg/L", hours, np.array([50.0, nan, 40.0, 60.0, 30.0, nan]))
    nh3 = Series("OUT", "NH3-N", "mg/L", hours, np.array([nan, 6.0, 5.0, 4.0, 7.5, nan]))
    ph = Series("OUT", "pH", "1", hours, np.full(6, 7.0))  # measured, not in the permit
    limits = [
        PermitLimit(parameter="COD", limit=50, unit="mg/L", source="permit table 1"),
        PermitLimit(parameter="NH3-N", limit=5, unit="mg/L", source="permit table 1"),
    ]
    jan, feb, mar = outlet_monthly_trend([cod, nh3, ph], limits, BJ)
    assert (jan.month, feb.month, mar.month) == ("2025-01", "2025-02", "2025-03")
    assert [p.parameter for p in jan.parameters] == ["COD", "NH3-N"]  # pH left out
    c, n = jan.parameters
    # January COD: h1 50 (equal: meets), h2 none, h3 40 → valid 2, mean (50 + 40) / 2 = 45,
    # max 50, 0 hours above, no multiple, attainment 2 / 2 = 1
    assert (c.hours, c.valid_hours, c.mean, c.max) == (3, 2, 45.0, 50.0)
    assert (c.exceeded_hours, c.max_multiple, c.attained_hours, c.attainment) == (0, None, 2, 1.0)
    assert (c.limit, c.source) == (50.0, "permit table 1")
    # January NH3-N: h2 6 (above: 6 / 5 − 1 = 0.2), h3 5 (equal: meets) → mean 5.5, 1 of 2
    assert (n.valid_hours, n.mean, n.max, n.exceeded_hours) == (2, 5.5, 6.0, 1)
    assert n.max_multiple == pytest.approx(0.2) and (n.attained_hours, n.attainment) == (1, 0.5)
    # the outlet in January: h1 (COD ok) attains, h2 (NH3-N 6) fails, h3 (both ok) attains
    # → 2 of 3 valid hours; NH3-N failed
    assert (jan.hours, jan.valid_hours, jan.attained_hours) == (3, 3, 2)
    assert jan.attainment == pytest.approx(2 / 3) and jan.failed == ("NH3-N",)
    assert jan.note is None
    c, n = feb.parameters
    # February COD: h4 60 (above: 60 / 50 − 1 = 0.2), h5 30 → mean 45, max 60, 1 of 2
    assert (c.valid_hours, c.mean, c.max, c.exceeded_hours) == (2, 45.0, 60.0, 1)
    assert c.max_multiple == pytest.approx(0.2) and c.attainment == 0.5
    # February NH3-N: h4 4, h5 7.5 (7.5 / 5 − 1 = 0.5) → mean 5.75, 1 of 2
    assert (n.valid_hours, n.mean, n.max, n.exceeded_hours) == (2, 5.75, 7.5, 1)
    assert n.max_multiple == pytest.approx(0.5) and n.attainment == 0.5
    # the outlet in February: h4 fails on COD, h5 on NH3-N → 0 of 2 (a true 0 %)
    assert (feb.valid_hours, feb.attained_hours, feb.attainment) == (2, 0, 0.0)
    assert feb.failed == ("COD", "NH3-N")
    # March: one hour, no valid value → no rate (None, never 0 %), said so
    assert (mar.hours, mar.valid_hours, mar.attainment, mar.failed) == (1, 0, None, ())
    assert mar.note == "no valid hour"
    assert all(p.mean is None and p.attainment is None for p in mar.parameters)


def test_outlet_limit_in_another_unit_and_no_limited_parameter() -> None:
    # a limit stated in another unit is converted to the series': 1 mg/L = 1 g/m3 = 1000 mg/m3,
    # so 50,000 mg/m3 = 50 mg/L; 50.0 meets, 50.5 does not
    hours = np.array([_utc(10, 0), _utc(10, 1)], np.int64)
    cod = Series("OUT", "COD", "mg/L", hours, np.array([50.0, 50.5]))
    (m,) = outlet_monthly_trend(
        [cod], [PermitLimit(parameter="COD", limit=50_000, unit="mg/m3", source="s")], BJ
    )
    assert m.parameters[0].limit == pytest.approx(50.0)
    assert (m.valid_hours, m.attained_hours, m.failed) == (2, 1, ("COD",))
    # 50.5 / 50 − 1 = 0.01
    assert m.parameters[0].max_multiple == pytest.approx(0.01)
    # no permit-limited parameter: no months
    assert outlet_monthly_trend([cod], [], BJ) == []


def test_a_parameter_with_two_permit_limits_is_refused() -> None:
    base = {"code": "O1", "name": "排口", "kind": "outlet", "enterprise": "E1", "mn": "M1",
            "parameters": [{"parameter": "COD", "unit": "mg/L"}]}  # fmt: skip
    two = [{"parameter": "COD", "limit": 50, "unit": "mg/L", "source": "a"},
           {"parameter": "COD", "limit": 60, "unit": "mg/L", "source": "b"}]  # fmt: skip
    with pytest.raises(ValueError, match="two permit limits"):
        Station.model_validate({**base, "limits": two})
    assert Station.model_validate({**base, "limits": two[:1]}).permit("COD") is not None
