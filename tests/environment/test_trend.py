"""Monthly water-quality trend of a section (hand-derived values)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from lingtan.environment.assess import Series
from lingtan.environment.trend import monthly_trend
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
