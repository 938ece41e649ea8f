"""Direct-supply ratios against their threshold records, and the three intensity bases, on
hand-solved numbers."""

from __future__ import annotations

import numpy as np
import pytest

from lingtan.errors import InvalidInput
from lingtan.greenpower.matching.intensity import (
    hourly_matched_emissions,
    intensity,
    location_emissions,
    market_emissions,
)
from lingtan.greenpower.matching.ratios import self_consumed_share, year_to_date_checks
from lingtan.greenpower.matching.rules import direct_supply_thresholds, thresholds_for


def test_threshold_records_carry_their_source_and_say_they_are_unverified() -> None:
    records = direct_supply_thresholds()
    assert records and all(not r.verified and "未经核实" in r.source for r in records)
    y2025 = thresholds_for(2025)
    assert y2025["self_consumed_share_of_available_generation"].value == 0.60
    assert y2025["self_consumed_share_of_total_consumption"].value == 0.30
    assert thresholds_for(2030)["self_consumed_share_of_total_consumption"].value == 0.35


def test_year_to_date_ratios() -> None:
    """January: 300 self-consumed of 1 000 consumed (30 % ≥ 30 %: met) and of 400 generated
    (75 %); February adds 100 of 1 000 and 300 generated: 400/2 000 = 20 % (not met) and
    400/700 = 57.1 % (< 60 %: not met)."""
    checks = year_to_date_checks(
        months=["2025-01", "2025-02"],
        self_consumed=np.array([300.0, 100.0]),
        consumption=np.array([1000.0, 1000.0]),
        available_generation=np.array([400.0, 300.0]),
        thresholds=thresholds_for(2025),
    )
    got = {(c.month, c.quantity): (c.value, c.status) for c in checks}
    use, gen = (
        "self_consumed_share_of_total_consumption",
        "self_consumed_share_of_available_generation",
    )
    assert got[("2025-01", use)] == (pytest.approx(0.30), "met")
    assert got[("2025-01", gen)] == (pytest.approx(0.75), "met")
    assert got[("2025-02", use)] == (pytest.approx(0.20), "not_met")
    assert got[("2025-02", gen)] == (pytest.approx(400 / 700), "not_met")


def test_no_consumption_is_no_ratio_and_bad_input_names_the_field() -> None:
    assert self_consumed_share(0.0, 0.0) is None
    with pytest.raises(InvalidInput) as err:
        self_consumed_share(-1.0, 10.0)
    assert err.value.field == "self_consumed_kwh"


def test_intensity_bases() -> None:
    """One consumer, two hours of one month, loads 100 and 100 kWh. Hour 0: 60 kWh PV
    (physical), hour 1: a 50 kWh certificate (contractual) matched. Hourly factors 0.8, 0.4.
    location: (40·0.8 + 100·0.4) / 200 = 0.36 over the month;
    hourly-matched: (40·0.8 + 50·0.4) / 200 = 0.26;
    market (monthly residual 200 − 110 = 90 at 0.6): 90·0.6 / 200 = 0.27, the same each hour."""
    load = np.array([[100.0, 100.0]])
    physical = np.array([[60.0, 0.0]])
    residual = np.array([[40.0, 50.0]])
    factor = np.array([0.8, 0.4])
    loc = location_emissions(load, physical, factor)
    hm = hourly_matched_emissions(residual, factor)
    mk = market_emissions(load, np.array([[200.0]]), np.array([[90.0]]), np.array([0, 0]), 0.6)
    assert loc.sum() / load.sum() == pytest.approx(0.36)
    assert hm.sum() / load.sum() == pytest.approx(0.26)
    assert intensity(mk, load)[0].tolist() == pytest.approx([0.27, 0.27])
    assert np.isnan(intensity(np.zeros((1, 1)), np.zeros((1, 1)))[0, 0])
    with pytest.raises(InvalidInput) as err:
        location_emissions(load, physical, np.array([0.8, -1.0]))
    assert err.value.field == "grid_factor"
