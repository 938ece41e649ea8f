"""Indicator formulas: hand-worked values, undefined ratios and invalid input."""

from __future__ import annotations

import math

import pytest

from lingtan.carbon.citation import clause_of
from lingtan.errors import InvalidInput
from lingtan.indicators import formulas


def test_clean_energy_share_is_clean_over_total() -> None:
    # 30 tce of 120 tce
    assert formulas.clean_energy_share(30.0, 120.0) == pytest.approx(0.25)


def test_clean_energy_share_refuses_more_clean_than_total_and_zero_total() -> None:
    with pytest.raises(InvalidInput, match="exceeds"):
        formulas.clean_energy_share(121.0, 120.0)
    with pytest.raises(InvalidInput, match="total_energy"):
        formulas.clean_energy_share(0.0, 0.0)


def test_solid_waste_rate_counts_previous_storage_in_the_denominator() -> None:
    # 115 t utilised (10 t of it from earlier storage) of 150 t generated: 115 / (150 + 10)
    assert formulas.solid_waste_utilisation_rate(115.0, 150.0, 10.0) == pytest.approx(0.71875)
    assert formulas.solid_waste_utilisation_rate(80.0, 100.0) == pytest.approx(0.8)


def test_solid_waste_storage_part_cannot_exceed_utilised() -> None:
    with pytest.raises(InvalidInput, match="utilised_from_storage"):
        formulas.solid_waste_utilisation_rate(5.0, 100.0, 6.0)


def test_waste_heat_rate_and_its_limits() -> None:
    assert formulas.waste_heat_utilisation_rate(220.0, 400.0) == pytest.approx(0.55)
    with pytest.raises(InvalidInput, match="exceeds"):
        formulas.waste_heat_utilisation_rate(401.0, 400.0)
    with pytest.raises(InvalidInput, match="available"):
        formulas.waste_heat_utilisation_rate(0.0, 0.0)


def test_water_reuse_rate_is_reuse_over_total_use() -> None:
    # 66 960 m³ reused, 7 440 m³ taken in: 66 960 / 74 400 = 0.9
    assert formulas.water_reuse_rate(66_960.0, 7_440.0) == pytest.approx(0.9)


def test_product_unit_energy_and_zero_output() -> None:
    assert formulas.product_unit_energy(148_800.0, 320.0) == pytest.approx(465.0)
    with pytest.raises(InvalidInput, match="output"):
        formulas.product_unit_energy(1.0, 0.0)


def test_metering_coverage_and_relative_change() -> None:
    assert formulas.metering_coverage(44_640.0, 275_280.0) == pytest.approx(44_640 / 275_280)
    assert formulas.relative_change(0.6, 0.8) == pytest.approx(-0.25)
    with pytest.raises(InvalidInput, match="base"):
        formulas.relative_change(1.0, 0.0)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_negative_or_non_finite_inputs_name_the_parameter(bad: float) -> None:
    with pytest.raises(InvalidInput) as err:
        formulas.water_reuse_rate(bad, 10.0)
    assert err.value.field == "reused"


def test_every_formula_cites_its_source() -> None:
    for name in (
        "clean_energy_share",
        "product_unit_energy",
        "solid_waste_utilisation_rate",
        "waste_heat_utilisation_rate",
        "water_reuse_rate",
        "metering_coverage",
        "relative_change",
    ):
        clause = clause_of(getattr(formulas, name))
        assert clause.standard and clause.clause
