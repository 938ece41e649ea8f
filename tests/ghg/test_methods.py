"""Sector methods against hand-derived values (the arithmetic is in the comments)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lingtan.errors import InvalidInput
from lingtan.ghg import records
from lingtan.ghg.gases import GasAmounts, gwp
from lingtan.ghg.methods import aluminium, carbonates, cement, measurement, sf6, steel


def test_gwp_conversion_keeps_each_gas_and_converts_by_report() -> None:
    amounts = GasAmounts({"CO2": 10.0, "CH4": 1.0, "N2O": 0.1, "SF6": 0.001})
    # AR5: 10×1 + 1×28 + 0.1×265 + 0.001×23500 = 10 + 28 + 26.5 + 23.5 = 88.0
    assert amounts.co2e("AR5") == pytest.approx(88.0)
    # AR6: 10 + 27.9 + 0.1×273 + 0.001×25200 = 10 + 27.9 + 27.3 + 25.2 = 90.4
    assert amounts.co2e("AR6") == pytest.approx(90.4)
    rows = {r["gas"]: r for r in amounts.breakdown("AR5")}
    assert rows["N2O"]["tonnes"] == 0.1 and rows["N2O"]["gwp_record"] == "gwp.ar5.n2o"
    assert gwp("NF3", "AR5").value == 16100 and gwp("CF4", "AR6").value == 7380


def test_every_record_has_provenance_and_l_is_unverified() -> None:
    for r in [*records.gwp_records(), *records.param_records().values()]:
        assert r.document and r.table
        assert (r.confidence in ("L", "U")) == (not r.verified)


def test_no_verified_record_is_recalled_and_m_params_name_two_sources() -> None:
    for r in [*records.gwp_records(), *records.param_records().values()]:
        if r.confidence in ("H", "M-H", "M"):
            assert "recalled" not in (r.note or "").lower(), r.id
    # a sector default raised to M names its first transcription (url) and its second (url_note)
    steel = [p for p in records.param_records().values() if p.confidence == "M"]
    assert {p.id for p in steel} >= {"steel.flux.limestone.ef", "steel.product.crude_steel.ef"}
    for p in steel:
        assert p.url and p.url.startswith("https://github.com/"), p.id
        second = "https://" + (p.url_note or "").split("https://", 1)[-1]
        assert second.startswith("https://github.com/") and second != p.url, p.id


def test_the_loader_refuses_a_recalled_value_graded_m() -> None:
    rec = records.param("steel.flux.limestone.ef").model_dump()
    rec["note"] = "Recalled from the guideline's default table"
    with pytest.raises(ValidationError, match="recalled"):
        records.ParamRecord.model_validate(rec)
    rec["confidence"], rec["verified"] = "L", False  # the same note at L is allowed
    assert records.ParamRecord.model_validate(rec).confidence == "L"


def test_steel_bf_bof_works() -> None:
    # coke 100 000 t at 28.435 GJ/t, 0.0295 tC/GJ, 93 %: 28.435 × 0.0295 = 0.8388325;
    # × 0.93 = 0.780114225; × 44/12 = 2.860418825 tCO2/t → 286 041.8825 t
    # BF gas exported 2 000 ×10⁴ Nm³ at 33.00 GJ, 0.0708 tC/GJ, 99 %: 2000 × 33 × 0.0708 × 0.99
    # = 4 626.072 tC × 44/12 = 16 962.264 t, subtracted → 269 079.6185
    fuel = steel.fuel_combustion(
        [100_000, 0], [0, 2_000], [28.435, 33.00], [0.0295, 0.0708], [0.93, 0.99]
    )
    assert fuel == pytest.approx(269_079.6185, rel=1e-9)
    # limestone 50 000 t × 0.90 × 0.440 = 19 800; dolomite 10 000 × 0.95 × 0.471 = 4 474.5
    flux = steel.flux([50_000, 10_000], [0.90, 0.95], [0.440, 0.471])
    assert flux == pytest.approx(24_274.5)
    electrode = steel.electrode(500, 3.663)  # 1 831.5
    pig_iron = steel.purchased_carbon_materials(20_000, 0.172)  # 3 440
    seq = steel.sequestered(1_000_000, 0.0154)  # 15 400
    electricity = 300_000 * 0.5366  # MWh × tCO2/MWh = 160 980
    total = steel.total(fuel, flux + electrode + pig_iron, electricity, 0.0, seq)
    # 269 079.6185 + 24 274.5 + 1 831.5 + 3 440 + 160 980 − 15 400 = 444 205.6185
    assert total == pytest.approx(444_205.6185, rel=1e-9)


def test_steel_carbon_balance_and_refusals() -> None:
    # carbon in 1 000 t × 0.85 + 200 t × 0.12 = 874 tC; out 900 t × 0.004 = 3.6 tC
    # → 870.4 tC × 44/12 = 3 191.4667 tCO2
    assert steel.carbon_balance([1000, 200], [0.85, 0.12], 900, 0.004) == pytest.approx(
        870.4 * 44 / 12
    )
    with pytest.raises(InvalidInput) as err:
        steel.flux(100, 90, 0.44)  # a purity in percent
    assert err.value.field == "purity"
    with pytest.raises(InvalidInput) as err:
        steel.fuel_combustion(0, 10, 33.0, 0.0708, 0.99)
    assert err.value.field == "exported"


def test_cement_clinker_line() -> None:
    # Q = 1 000 000 + 10 000 + 5 000 = 1 015 000 t
    # (0.65 − 0.01) × 44/56 × Q = 649 600 × 44/56 = 510 400
    # (0.02 − 0.005) × 44/40 × Q = 0.0165 × 1 015 000 = 16 747.5 → 527 147.5 tCO2
    e = cement.clinker_process(1_000_000, 10_000, 5_000, 0.65, 0.01, 0.02, 0.005)
    assert e == pytest.approx(527_147.5)
    # raw meal 1 520 000 t × 0.2 % × 44/12 = 3 040 × 44/12 = 11 146.667
    assert cement.raw_meal_organic_carbon(1_520_000, 0.002) == pytest.approx(133_760 / 12)
    with pytest.raises(InvalidInput) as err:
        cement.clinker_process(1, 0, 0, 0.65, 0.70, 0.02, 0.0)
    assert err.value.field == "cao_non_carbonate"


def test_aluminium_smelter_with_anode_effects() -> None:
    # EF = 0.42 × (1 − 0.02 − 0.004) × 44/12 = 0.40992 × 44/12 = 1.50304 tCO2/t
    ef = aluminium.anode_emission_factor(0.42, 0.02, 0.004)
    assert ef == pytest.approx(1.50304)
    assert aluminium.anode(100_000, ef) == pytest.approx(150_304)
    # slope: 0.143 × 0.2 AE-min/cell-day = 0.0286 kg CF4/t × 100 000 t = 2 860 kg = 2.86 t
    # C2F6 = 2.86 × 0.121 = 0.34606 t
    pfc = aluminium.pfc_slope(100_000, 0.2, 0.143, 0.121)
    assert pfc.tonnes["CF4"] == pytest.approx(2.86)
    assert pfc.tonnes["C2F6"] == pytest.approx(0.34606)
    # AR5: 2.86 × 6630 + 0.34606 × 11100 = 18 961.8 + 3 841.266 = 22 803.066
    assert pfc.co2e("AR5") == pytest.approx(22_803.066)
    # overvoltage: OVC 1.5 × AEO 2 mV / CE 0.95 × 1000 t = 3 157.89 kg CF4 → 3.1578947 t
    ov = aluminium.pfc_overvoltage(1000, 2.0, 0.95, 1.5, 0.1)
    assert ov.tonnes["CF4"] == pytest.approx(3.0 / 0.95)
    # default factors: 1000 t × 0.034 kg = 0.034 t CF4; × 0.0034 kg = 0.0034 t C2F6
    assert aluminium.pfc_default(1000, 0.034, 0.0034).tonnes == pytest.approx(
        {"CF4": 0.034, "C2F6": 0.0034}
    )


def test_carbonate_factors_are_stoichiometric() -> None:
    # atomic masses C 12.011, O 15.999, Ca 40.078, Mg 24.305, Fe 55.845, Mn 54.938, Na 22.990
    co2 = 12.011 + 2 * 15.999
    co3 = 12.011 + 3 * 15.999
    expected = {
        "calcite": co2 / (40.078 + co3),
        "magnesite": co2 / (24.305 + co3),
        "dolomite": 2 * co2 / (40.078 + 24.305 + 2 * co3),
        "siderite": co2 / (55.845 + co3),
        "rhodochrosite": co2 / (54.938 + co3),
    }
    for key, value in expected.items():
        assert records.param(f"ipcc2006.carbonate.{key}.ef").value == pytest.approx(value, rel=2e-4)
    # Na2CO3: 44.009/105.988 = 0.41523; the recalled table value 0.41492 differs by 0.07 %, and
    # its record must say so
    soda = records.param("ipcc2006.carbonate.sodium_carbonate.ef")
    assert soda.value == pytest.approx(co2 / (2 * 22.990 + co3), rel=1e-3)
    assert soda.note is not None and "0.41523" in soda.note
    # 1 000 t calcite × 0.43971 × 0.98 calcined = 430.9158
    assert carbonates.carbonates(1000, 0.43971, 0.98) == pytest.approx(430.9158)


def test_measurement_route_against_calculation_route() -> None:
    # measured carbon: 10 000 t coal × 60 % C × 98 % × 44/12 = 5 880 tC × 44/12 = 21 560
    assert measurement.measured_carbon(10_000, 0.60, 0.98) == pytest.approx(21_560)
    # CEMS: 12 % vol → 0.12 × 44.01/22.414 × 10⁶ = 235 620.70 mg/Nm³;
    # 10⁸ Nm³ × 235 620.70 mg × 10⁻⁹ = 23 562.07 t
    c = float(measurement.mass_concentration(0.12)[0])
    assert c == pytest.approx(0.12 * 44.01 / 22.414 * 1e6)
    assert measurement.cems_mass(1e8, c) == pytest.approx(23_562.07, rel=1e-6)
    # hourly: 2 h × 50 000 Nm³/h × 200 000 mg/Nm³ = 2 × 10¹⁰ mg = 20 t
    assert measurement.cems_mass([50_000, 50_000], [200_000, 200_000], [1, 1]) == pytest.approx(20)
    with pytest.raises(InvalidInput) as err:
        measurement.measured_carbon(1.0, -0.1)
    assert err.value.field == "carbon_content"


def test_sf6_switchgear() -> None:
    # (0.05 − 0.045) + (0.02 − 0.018) = 0.007 t SF6 × 23 500 (AR5) = 164.5 tCO2e
    e = sf6.switchgear([0.05, 0.02], [0.045, 0.018])
    assert e.tonnes["SF6"] == pytest.approx(0.007)
    assert e.co2e("AR5") == pytest.approx(164.5)
    with pytest.raises(InvalidInput) as err:
        sf6.switchgear(0.01, 0.02)
    assert err.value.field == "recovered"
