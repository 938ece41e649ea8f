"""Golden tests of the formula modules; every expected value is worked by hand in the docstring."""

from __future__ import annotations

import inspect

import pytest

from lingtan.carbon.citation import REGISTRY, clause_of
from lingtan.carbon.methods import gbt2589, gbt32150, gbt51366, park_annex4, scope2
from lingtan.errors import InvalidInput


def test_emission_factor_fuel_diesel_guideline_defaults() -> None:
    """EF = CC × OF × 44/12 = 0.0202 × 0.98 × 44/12 = 0.019796 × 3.6666… = 0.0725853… tCO2/GJ."""
    assert gbt32150.emission_factor_fuel(0.0202, 0.98) == pytest.approx(0.0725853333)


def test_activity_data_fuel_sums_entries() -> None:
    """AD = 100 t × 42.652 GJ/t + 2 ×10^4 m3 × 389.31 GJ/10^4 m3 = 4265.2 + 778.62 = 5043.82 GJ."""
    assert gbt32150.activity_data_fuel([100, 2], [42.652, 389.31]) == pytest.approx(5043.82)


def test_emissions_total_gbt32150_subtracts_exports() -> None:
    """E = 10 + 2 + 5 + 1 − 3 − 0.5 = 14.5 tCO2."""
    assert gbt32150.emissions_total(10, 2, 5, 1, 3, 0.5) == pytest.approx(14.5)


def test_electricity_factor_annex4_kinds() -> None:
    """附件4 二（二）3①: 直供非化石 and 绿证绿电 → 0; grid and sent fossil → the fossil factor."""
    f = 0.8325e-3
    assert park_annex4.electricity_emission_factor("grid", f) == f
    assert park_annex4.electricity_emission_factor("fossil", f) == f
    assert park_annex4.electricity_emission_factor("direct_non_fossil", f) == 0.0
    assert park_annex4.electricity_emission_factor("green_certified", f) == 0.0
    assert park_annex4.electricity_emission_factor("non_fossil", f) == 0.0
    with pytest.raises(InvalidInput, match="kind"):
        park_annex4.electricity_emission_factor("hydrogen", f)  # type: ignore[arg-type]


def test_emissions_electricity_net_park() -> None:
    """E电 = 600 000 kWh × 0.0008325 − 100 000 kWh × 0.0008325 = 499.5 − 83.25 = 416.25 tCO2."""
    f = 0.8325e-3
    e = park_annex4.emissions_electricity_net([600_000, 400_000], [f, 0.0], [100_000], [f])
    assert e == pytest.approx(416.25)


def test_emissions_heat_net_park() -> None:
    """E热 = 1000 × 0.11 + 500 × 0.09 − 200 × 0.11 = 110 + 45 − 22 = 133 tCO2."""
    assert park_annex4.emissions_heat_net(
        [1000, 500], [0.11, 0.09], [200], [0.11]
    ) == pytest.approx(133)


def test_emissions_energy_conversion_carbon_balance() -> None:
    """In: 389.31 GJ × 0.0153 × 44/12 = 21.840291; out: 42.652 GJ × 0.0202 × 44/12 = 3.1590915.

    E加工转换 = 21.840291 − 3.1590915 = 18.6811995 tCO2 (oxidation 100 %).
    """
    e = park_annex4.emissions_energy_conversion(
        [389.31], [0.0153 * 44 / 12], [42.652], [0.0202 * 44 / 12]
    )
    assert e == pytest.approx(18.6811995)


def test_emissions_energy_conversion_rejects_negative_balance() -> None:
    """Outputs holding more carbon than inputs cannot be a carbon loss."""
    with pytest.raises(InvalidInput, match="more carbon") as err:
        park_annex4.emissions_energy_conversion([1.0], [1.0], [2.0], [1.0])
    assert err.value.field == "output_production"


def test_emissions_park_structure() -> None:
    """E园区 = (309.59 + 18.68 + (416.25 + 133)) + 68.3 = 945.82 tCO2."""
    indirect = park_annex4.emissions_indirect(416.25, 133)
    activity = park_annex4.emissions_energy_activity(309.59, 18.68, indirect)
    assert park_annex4.emissions_park(activity, 68.3) == pytest.approx(945.82)


def test_carbon_intensity_of_energy_zero_energy_raises() -> None:
    """Zero (or negative) energy consumption is an error naming the parameter, never x/0."""
    with pytest.raises(InvalidInput) as err:
        park_annex4.carbon_intensity_of_energy(100.0, 0.0)
    assert err.value.field == "energy_consumption"
    with pytest.raises(InvalidInput):
        park_annex4.carbon_intensity_of_energy(100.0, -5.0)


def test_carbon_intensity_of_energy_value() -> None:
    """I = 945.82 tCO2 ÷ 4729.1 tce = 0.2 tCO2/tce."""
    assert park_annex4.carbon_intensity_of_energy(945.82, 4729.1) == pytest.approx(0.2)


def test_scope2_location_and_market() -> None:
    """Location: 1 000 000 × 0.0005827 = 582.7; market: (1 000 000 − 400 000) × 0.0006096 = 365.76."""
    assert scope2.emissions_scope2_location_based(1_000_000, 0.5827e-3) == pytest.approx(582.7)
    assert scope2.emissions_scope2_market_based(1_000_000, 400_000, 0.6096e-3) == pytest.approx(
        365.76
    )
    with pytest.raises(InvalidInput, match="electricity_green"):
        scope2.emissions_scope2_market_based(1, 2, 0.5e-3)


def test_gbt51366_operation_stage() -> None:
    """E_elec = (500 000 − 100 000) + (200 000 − 0) = 600 000 kWh.

    C_a = 600 000 × 0.0005554 + 1000 × 0.11 − 5 = 333.24 + 110 − 5 = 438.24 tCO2/a;
    C_M = 438.24 × 50 / 10 000 = 2.1912 tCO2/m2.
    """
    e = gbt51366.energy_consumption_by_type([500_000, 200_000], [100_000, 0])
    assert e == pytest.approx(600_000)
    annual = gbt51366.emissions_operation_annual([e, 1000], [0.5554e-3, 0.11], 5)
    assert annual == pytest.approx(438.24)
    assert gbt51366.emissions_operation_per_area(annual, 10_000, 50) == pytest.approx(2.1912)
    with pytest.raises(InvalidInput, match="renewable_by_system"):
        gbt51366.energy_consumption_by_type([10], [11])
    with pytest.raises(InvalidInput, match="floor_area"):
        gbt51366.emissions_operation_per_area(1.0, 0.0)


def test_gbt2589_energy_and_ncv_coefficient() -> None:
    """E = 100 t × 1.4571 + 1 050 000 kWh × 0.0001229 − 200 GJ × 0.03412
    = 145.71 + 129.045 − 6.824 = 267.931 tce.

    Coefficient from NCV: 42.652 GJ/t ÷ 29.307 GJ/tce = 1.4553520 tce/t.
    """
    e = gbt2589.energy_consumption_standard_coal(
        [100, 1_050_000, -200], [1.4571, 0.1229e-3, 0.03412]
    )
    assert e == pytest.approx(267.931)
    assert gbt2589.standard_coal_coefficient_from_ncv(42.652, 29.307) == pytest.approx(1.4553520)


@pytest.mark.parametrize(
    ("func", "args", "field"),
    [
        (park_annex4.emissions_fuel_use, ([-1.0], [1.0]), "energy_consumption"),
        (park_annex4.emissions_industrial_process, ([1.0], [-0.1]), "emission_factor"),
        (gbt32150.emission_factor_fuel, (0.02, 1.5), "oxidation_rate"),
        (gbt32150.activity_data_fuel, ([1.0, 2.0], [1.0, 2.0, 3.0]), "net_calorific_value"),
        (scope2.emissions_scope2_location_based, (-1.0, 0.5), "electricity_grid"),
    ],
)
def test_formulas_reject_invalid_input_naming_parameter(func, args, field) -> None:  # type: ignore[no-untyped-def]
    """Invalid input raises InvalidInput whose field names the parameter."""
    with pytest.raises(InvalidInput) as err:
        func(*args)
    assert err.value.field == field


def test_every_public_formula_cites_a_clause() -> None:
    """Each public function of the method modules carries a registered citation."""
    for module in (park_annex4, gbt32150, gbt51366, gbt2589, scope2):
        for name, obj in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or obj.__module__ != module.__name__:
                continue
            clause = clause_of(obj)
            assert clause.standard and clause.clause, name
            assert f"{module.__name__}.{name}" in REGISTRY
