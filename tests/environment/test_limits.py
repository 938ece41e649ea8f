"""The reference records load, validate and hold the values of reference/domain.md §6."""

from __future__ import annotations

import pytest

from lingtan.environment import limits


@pytest.mark.parametrize(
    ("pollutant", "averaging", "class1", "class2", "unit", "table"),
    [
        ("SO2", "annual", 20, 60, "µg/m3", "1"),
        ("SO2", "24h", 50, 150, "µg/m3", "1"),
        ("SO2", "1h", 150, 500, "µg/m3", "1"),
        ("NO2", "annual", 40, 40, "µg/m3", "1"),
        ("NO2", "24h", 80, 80, "µg/m3", "1"),
        ("NO2", "1h", 200, 200, "µg/m3", "1"),
        ("CO", "24h", 4, 4, "mg/m3", "1"),
        ("CO", "1h", 10, 10, "mg/m3", "1"),
        ("O3", "8h_daily_max", 100, 160, "µg/m3", "1"),
        ("O3", "1h", 160, 200, "µg/m3", "1"),
        ("PM10", "annual", 40, 70, "µg/m3", "1"),
        ("PM10", "24h", 50, 150, "µg/m3", "1"),
        ("PM2.5", "annual", 15, 35, "µg/m3", "1"),
        ("PM2.5", "24h", 35, 75, "µg/m3", "1"),
        ("TSP", "annual", 80, 200, "µg/m3", "2"),
        ("TSP", "24h", 120, 300, "µg/m3", "2"),
        ("NOx", "annual", 50, 50, "µg/m3", "2"),
        ("NOx", "24h", 100, 100, "µg/m3", "2"),
        ("NOx", "1h", 250, 250, "µg/m3", "2"),
        ("Pb", "annual", 0.5, 0.5, "µg/m3", "2"),
        ("Pb", "quarterly", 1, 1, "µg/m3", "2"),
        ("BaP", "annual", 0.001, 0.001, "µg/m3", "2"),
        ("BaP", "24h", 0.0025, 0.0025, "µg/m3", "2"),
    ],
)
def test_gb3095_limits_are_those_of_the_reference(
    pollutant: str, averaging: str, class1: float, class2: float, unit: str, table: str
) -> None:
    rec = limits.air_limit(pollutant, averaging)
    assert rec is not None
    assert (rec.class1, rec.class2, rec.unit, rec.table) == (class1, class2, unit, table)
    assert (rec.standard, rec.edition, rec.confidence) == ("GB 3095-2012", "2012", "H")


def test_gb3095_has_no_other_records() -> None:
    assert len(limits.air_limits()) == 23


def test_gb3838_classes_are_those_of_the_reference() -> None:
    std = limits.water_standard()
    assert (std.standard, std.table, std.confidence) == ("GB 3838-2002", "1", "H")
    got = {p.parameter: p.limits for p in std.parameters if p.direction != "range"}
    assert got == {
        "DO": (7.5, 6, 5, 3, 2),
        "CODMn": (2, 4, 6, 10, 15),
        "COD": (15, 15, 20, 30, 40),
        "BOD5": (3, 3, 4, 6, 10),
        "NH3-N": (0.15, 0.5, 1.0, 1.5, 2.0),
        "TP": (0.02, 0.1, 0.2, 0.3, 0.4),
        "TP-lake": (0.01, 0.025, 0.05, 0.1, 0.2),
        "TN": (0.2, 0.5, 1.0, 1.5, 2.0),
        "petroleum": (0.05, 0.05, 0.05, 0.5, 1.0),
        "Cr6": (0.01, 0.05, 0.05, 0.05, 0.1),
        "fecal_coliform": (200, 2000, 10000, 20000, 40000),
    }
    ph = limits.water_parameter("pH")
    assert (ph.direction, ph.low, ph.high) == ("range", 6, 9)
    assert limits.water_parameter("DO").direction == "min"


def test_validity_minimums_carry_their_confidence() -> None:
    rules = limits.validity_rules()
    assert {k: (r.min_count, r.confidence) for k, r in rules.items()} == {
        "1h": (45, "L"),
        "24h": (20, "M"),
        "8h": (6, "M"),
        "8h_daily_max": (14, "L"),
        "annual": (324, "M"),
    }


def test_a_water_record_with_rising_maximum_limits_is_refused() -> None:
    with pytest.raises(ValueError, match="must not decrease"):
        limits.WaterParameter(parameter="x", direction="max", unit="mg/L", limits=(2, 1, 3, 4, 5))
