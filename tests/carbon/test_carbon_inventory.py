"""Inventory golden tests (hand-worked), published worked examples, and the factor-revision rule."""

from __future__ import annotations

import datetime as dt

import pytest
from carbon_documents import park_document

from lingtan.carbon.activity import parse_activity
from lingtan.carbon.factors import FactorLibrary, FactorRecord, FactorSeries
from lingtan.carbon.inventory import AccountingOptions, HourlyGrid, account
from lingtan.errors import InvalidInput, NotFound

GOLDEN_PARK = park_document(
    fuels=[
        {"fuel": "diesel", "use": "terminal", "amount": 100, "unit": "t"},
        {"fuel": "gasoline", "use": "bunker", "amount": 10, "unit": "t"},
        {"fuel": "natural_gas", "use": "feedstock", "amount": 5000, "unit": "Nm3"},
    ],
    conversion={
        "inputs": [{"fuel": "natural_gas", "amount": 10_000, "unit": "Nm3"}],
        "outputs": [{"fuel": "diesel", "amount": 1, "unit": "t"}],
    },
    electricity={
        "received": [
            {"kind": "grid", "kwh": 1_000_000},
            {"kind": "green_certified", "kwh": 400_000},
            {"kind": "direct_non_fossil", "kwh": 200_000},
        ],
        "sent": [{"kind": "fossil", "kwh": 100_000}, {"kind": "non_fossil", "kwh": 50_000}],
    },
    heat={
        "received": [
            {"kind": "fossil", "gj": 1000},
            {"kind": "fossil", "gj": 500, "factor": 0.09},
            {"kind": "non_fossil", "gj": 300},
        ],
        "sent": [{"kind": "fossil", "gj": 200}],
    },
    process=[{"product": "石灰", "amount": 100, "unit": "t", "factor": 0.683}],
    offsets={"ccus_tco2": 12.5, "ccer_tco2": 3},
)

# Hand-worked terms of GOLDEN_PARK (guideline defaults, domain.md §3.2; 附件4 factors):
#   diesel 100 t × 42.652 GJ/t = 4265.2 GJ × 0.0202 tC/GJ = 86.15704 tC × 0.98 = 84.4338992
#     × 44/12 = 309.5909637 tCO2
#   gasoline (bunker) 10 t × 43.070 = 430.7 GJ × 0.0189 = 8.14023 × 0.98 = 7.9774254
#     × 44/12 = 29.2505598 tCO2
#   conversion (oxidation 100 %): in 1 ×10^4 Nm3 × 389.31 GJ × 0.0153 × 44/12 = 21.840291;
#     out 1 t diesel 42.652 GJ × 0.0202 × 44/12 = 3.1590915; 21.840291 − 3.1590915 = 18.6811995
#   electricity (1 000 000 − 400 000 green − 100 000 sent fossil) kWh × 0.8325 kg = 416.25 tCO2
#   heat 1000 × 0.11 + 500 × 0.09 + 300 × 0 − 200 × 0.11 = 110 + 45 − 22 = 133 tCO2
#   process 100 t × 0.683 = 68.3 tCO2
#   total 309.5909637 + 29.2505598 + 18.6811995 + 416.25 + 133 + 68.3 = 975.0727230 tCO2
FUEL = 309.5909637
BUNKER = 29.2505598
CONVERSION = 18.6811995
ELECTRICITY = 416.25
HEAT = 133.0
PROCESS = 68.3
TOTAL = 975.0727230
# GB/T 2589-2020 energy: no fuel here has a measured NCV, so each converts at the annex's reference
# coefficient (factor records tce.gbt2589-2020.*.r2; natural gas of the default kind 油田天然气):
#   diesel 100 t × 1.4571 kgce/kg = 145.71 tce; gasoline (bunker) 10 t × 1.4714 = 14.714 tce
#   natural gas feedstock 5000 Nm3 × 1.3300 kgce/m3 = 6.65 tce
#   conversion input 10 000 Nm3 × 1.3300 = 13.3 tce; output diesel 1 t × 1.4571 = −1.4571 tce
#   fuels 145.71 + 14.714 + 6.65 + 13.3 − 1.4571 = 178.9169 tce
#   electricity (1 000 000 grid + 200 000 direct − 150 000 sent) × 0.1229 kgce = 129.045 tce
#   heat (1500 + 300 − 200) GJ × 0.03412 = 54.592 tce
#   total 178.9169 + 129.045 + 54.592 = 362.5539 tce; intensity 975.0727230 / 362.5539
#   = 2.6894559 tCO2/tce
# (before GB/T 2589's reference coefficients were applied, the fuels went through the NCV of their
# emissions, 5237.213 GJ ÷ 29.307 = 178.7017777 tce, total 362.3387777)
ENERGY = 362.5539
INTENSITY = 2.6894559


def test_park_inventory_golden(library: FactorLibrary) -> None:
    """Every term of the park basis equals the hand-worked value above (附件4)."""
    inv = account(parse_activity(GOLDEN_PARK), library=library)
    e = inv.emissions
    assert e["fuel"] == pytest.approx(FUEL)
    assert e["bunker"] == pytest.approx(BUNKER)
    assert e["conversion"] == pytest.approx(CONVERSION)
    assert e["electricity"] == pytest.approx(ELECTRICITY)
    assert e["heat"] == pytest.approx(HEAT)
    assert e["process"] == pytest.approx(PROCESS)
    assert e["total"] == pytest.approx(TOTAL)
    assert inv.energy_tce == pytest.approx(ENERGY)
    assert inv.intensity_tco2_per_tce == pytest.approx(INTENSITY)
    # offsets reported beside, never deducted
    assert inv.offsets == {"ccus_tco2": 12.5, "ccer_tco2": 3}
    assert "annex4.electricity.fossil" in inv.factor_ids
    assert inv.options.electricity_conversion == "equivalent"


def test_park_inventory_explain_names_clause_and_records(library: FactorLibrary) -> None:
    """One explain line per term; the electricity line shows kWh × factor and the clause."""
    inv = account(parse_activity(GOLDEN_PARK), library=library)
    terms = {line.term for line in inv.explain}
    assert {"fuel", "bunker", "conversion", "electricity", "heat", "process", "total"} <= terms
    (elec,) = [line for line in inv.explain if line.term == "electricity"]
    assert "0.8325 kgCO2/kWh" in elec.text() and "二（二）3①" in elec.clause
    assert elec.factor_ids == ("annex4.electricity.fossil",)
    assert any("用作原料" in line.expression for line in inv.explain)


def test_enterprise_inventory_golden(library: FactorLibrary) -> None:
    """GB/T 32150 with both scope 2 bases (江苏 2023: 0.5827; excluding market non-fossil 0.6096).

    fuel: 10 ×10^4 m3 × 389.31 × 0.0153 × 0.99 × 44/12 = 216.2188809
    purchased electricity 1 000 000 × 0.5827 kg = 582.7; exported 100 000 × 0.5827 kg = 58.27
    heat 1000 × 0.11 = 110; total = 216.2188809 + 582.7 + 110 − 58.27 = 850.6488809
    scope 2 location = 582.7 + 110 = 692.7; market = 600 000 × 0.6096 kg + 110 = 475.76
    """
    doc = park_document(
        boundary="enterprise",
        fuels=[{"fuel": "natural_gas", "use": "terminal", "amount": 100_000, "unit": "m3"}],
        electricity={
            "received": [
                {"kind": "grid", "kwh": 1_000_000},
                {"kind": "green_certified", "kwh": 400_000},
                {"kind": "direct_non_fossil", "kwh": 200_000},
            ],
            "sent": [{"kind": "fossil", "kwh": 100_000}],
        },
        heat={"received": [{"kind": "fossil", "gj": 1000}]},
    )
    inv = account(parse_activity(doc), library=library)
    assert inv.emissions["fuel"] == pytest.approx(216.2188809)
    assert inv.emissions["electricity"] == pytest.approx(524.43)
    assert inv.emissions["total"] == pytest.approx(850.6488809)
    assert inv.scope2_location_tco2 == pytest.approx(692.7)
    assert inv.scope2_market_tco2 == pytest.approx(475.76)
    assert inv.intensity_tco2_per_tce is None
    assert {
        "grid.2023.province.320000.average",
        "grid.2023.national.excluding_market_non_fossil",
    } <= set(inv.factor_ids)


ENTERPRISE_WITH_CERTIFICATES = park_document(
    boundary="enterprise",
    fuels=[{"fuel": "natural_gas", "use": "terminal", "amount": 100_000, "unit": "m3"}],
    electricity={
        "received": [
            {"kind": "grid", "kwh": 1_000_000},
            {"kind": "green_certified", "kwh": 400_000},
            {"kind": "direct_non_fossil", "kwh": 200_000},
        ],
        "sent": [{"kind": "fossil", "kwh": 100_000}],
    },
    heat={"received": [{"kind": "fossil", "gj": 1000}]},
)


def test_enterprise_total_under_market_based_scope2(library: FactorLibrary) -> None:
    """GB/T 32150 total with market-based scope 2 beside the location-based one (江苏 2023).

    combustion 10 ×10^4 m3 × 389.31 × 0.0153 × 0.99 × 44/12 = 216.2188809
    purchased electricity, location: 1 000 000 kWh × 0.5827 kg = 582.7
    purchased electricity, market: 400 000 kWh under retired 绿证 at 0, (1 000 000 − 400 000)
      × 0.6096 kg (national, excluding market-traded non-fossil) = 365.76; direct supply 0
    purchased heat 1000 GJ × 0.11 = 110; exported electricity 100 000 × 0.5827 kg = 58.27
    location total 216.2188809 + 582.7 + 110 − 58.27 = 850.6488809 tCO2
    market total 216.2188809 + 365.76 + 110 − 58.27 = 633.7088809 tCO2
    """
    inv = account(parse_activity(ENTERPRISE_WITH_CERTIFICATES), library=library)
    assert inv.emissions["total"] == pytest.approx(850.6488809)
    assert inv.total_market_tco2 == pytest.approx(633.7088809)
    data = inv.as_dict(explain=True)
    assert data["total_location_tco2"] == pytest.approx(850.6488809)
    assert data["total_market_tco2"] == pytest.approx(633.7088809)
    (line,) = [x for x in data["explain"] if x["term"] == "total_market"]
    assert "365.76" in line["text"] and line["result"] == pytest.approx(633.7088809)
    park = account(parse_activity(ENTERPRISE_WITH_CERTIFICATES), library=library, basis="park")
    assert park.total_market_tco2 is None and park.as_dict()["total_market_tco2"] is None


@pytest.mark.parametrize(
    ("province", "year", "record_id", "value"),
    [
        ("江苏", 2023, "grid.2023.province.320000.average", 0.5827),
        ("西藏", 2023, "grid.2023.region.southwest.average", 0.2472),  # no 2023 provincial value
        ("江苏", 2022, "grid.2022.region.east.average", 0.5617),  # 2022 provincial not shipped
        ("内蒙古", 2021, "grid.2021.national.average", 0.5568),  # split region, no 2021 region
        ("江苏", 2024, "grid.2023.province.320000.average", 0.5827),  # latest published before
    ],
)
def test_location_factor_falls_back_province_region_national(
    library: FactorLibrary, province: str, year: int, record_id: str, value: float
) -> None:
    """Location-based scope 2 = 1 000 kWh × the chosen factor [kg] / 1000."""
    doc = park_document(
        boundary="enterprise",
        province=province,
        year=year,
        electricity={"received": [{"kind": "grid", "kwh": 1000}]},
    )
    inv = account(parse_activity(doc), library=library)
    assert record_id in inv.factor_ids
    assert inv.scope2_location_tco2 == pytest.approx(value)


def test_grid_factor_same_year_policy_refuses_missing_year(library: FactorLibrary) -> None:
    """With grid_factor_year=same_year a 2024 inventory finds no 2024 factor."""
    doc = park_document(
        boundary="enterprise", year=2024, electricity={"received": [{"kind": "grid", "kwh": 1}]}
    )
    with pytest.raises(NotFound):
        account(
            parse_activity(doc),
            library=library,
            options=AccountingOptions(grid_factor_year="same_year"),
        )


def test_building_inventory_golden(library: FactorLibrary) -> None:
    """GB/T 51366 operation stage, 北京 2023 (0.5554 kgCO2/kWh).

    electricity (500 000 − 100 000) + 200 000 = 600 000 kWh × 0.5554 kg = 333.24
    heat 1000 GJ × 0.11 = 110; gas 2 ×10^4 m3 × 389.31 × 0.0153 × 0.99 × 44/12 = 43.2437762
    annual = 333.24 + 110 + 43.2437762 − 5 = 481.4837762 tCO2/a
    per m2·a = 481.4837762 / 10 000 × 1000 = 48.14837762 kgCO2; C_M (50 a) = 2407.418881 kgCO2/m2
    """
    doc = park_document(
        boundary="building",
        province="北京",
        building={
            "floor_area_m2": 10_000,
            "design_life_years": 50,
            "carbon_sink_tco2": 5,
            "systems": [
                {"system": "hvac", "electricity_kwh": 500_000, "renewable_kwh": 100_000},
                {"system": "lighting", "electricity_kwh": 200_000},
                {
                    "system": "domestic_hot_water",
                    "heat_gj": 1000,
                    "fuels": [{"fuel": "natural_gas", "amount": 20_000, "unit": "Nm3"}],
                },
            ],
        },
    )
    inv = account(parse_activity(doc), library=library)
    assert inv.emissions["electricity"] == pytest.approx(333.24)
    assert inv.emissions["total"] == pytest.approx(481.4837762)
    assert inv.building is not None
    assert inv.building["per_m2_year_kgco2"] == pytest.approx(48.14837762)
    assert inv.building["per_m2_life_kgco2"] == pytest.approx(2407.418881)
    assert sum(v for k, v in inv.emissions.items() if k != "total") == pytest.approx(481.4837762)


def test_building_basis_needs_building_section(library: FactorLibrary) -> None:
    """--basis building on a file without a building section names the field."""
    with pytest.raises(InvalidInput) as err:
        account(parse_activity(park_document()), library=library, basis="building")
    assert err.value.field == "building"


def test_published_example_guideline_derived_emission_factors() -> None:
    """Published worked example 1 — derived fuel emission factors of the NDRC 2013–2015 guidelines.

    Source: domain.md §3.2 (the parameter table of the NDRC sector guidelines / GB/T 32150 annex;
    the derived factors 2.1622 / 3.0959 / 2.9251 / 3.1705 were independently reproduced by a
    third-party repository). Each = NCV × CC × OF × 44/12, rounded to 4 decimals as published.
    """
    from lingtan.carbon.methods.gbt32150 import emission_factor_fuel

    natural_gas = 389.31 * emission_factor_fuel(0.0153, 0.99) / 10  # t/10^4 m3 → kg/m3
    diesel = 42.652 * emission_factor_fuel(0.0202, 0.98)
    gasoline = 43.070 * emission_factor_fuel(0.0189, 0.98)
    fuel_oil = 41.816 * emission_factor_fuel(0.0211, 0.98)
    assert round(natural_gas, 4) == 2.1622
    assert round(diesel, 4) == 3.0959
    assert round(gasoline, 4) == 2.9251
    assert round(fuel_oil, 4) == 3.1705


def test_published_example_grid_only_park_intensity(library: FactorLibrary) -> None:
    """Published worked example 2 — a park supplied only by ordinary grid electricity.

    Source: domain.md §2 (open point on the tce denominator): 0.8325 kgCO2/kWh ÷ 0.1229 kgce/kWh
    (当量值) = 6.77 tCO2/tce, independent of the amount of electricity.
    """
    doc = park_document(electricity={"received": [{"kind": "grid", "kwh": 2_500_000}]})
    inv = account(parse_activity(doc), library=library)
    assert round(inv.intensity_tco2_per_tce or 0, 2) == 6.77
    assert inv.intensity_tco2_per_tce == pytest.approx(6.7737999)


def test_park_zero_energy_is_an_error(library: FactorLibrary) -> None:
    """A park file with no energy at all has no intensity: InvalidInput, not a division by zero."""
    doc = park_document(process=[{"product": "石灰", "amount": 1, "unit": "t", "factor": 0.683}])
    with pytest.raises(InvalidInput) as err:
        account(parse_activity(doc), library=library)
    assert err.value.field == "energy_consumption"


def test_equal_value_works_with_the_shipped_series(library: FactorLibrary) -> None:
    """等价值 out of the box: the CEC 供电标准煤耗 record of the data year, else the latest earlier
    one, named in a note.

    Data year 2023, latest shipped 2022: 300.7 gce/kWh (中电联《中国电力行业年度发展报告2023》).
    energy = 1 000 000 kWh × 300.7 g = 300.7 tce; intensity = 832.5 / 300.7 = 2.7685401 tCO2/tce.
    """
    doc = park_document(electricity={"received": [{"kind": "grid", "kwh": 1_000_000}]})
    options = AccountingOptions(electricity_conversion="equal_value")
    inv = account(parse_activity(doc), library=library, options=options)
    assert inv.energy_tce == pytest.approx(300.7)
    assert inv.intensity_tco2_per_tce == pytest.approx(2.7685401)
    assert "tce.cec.power_supply_coal.2022" in inv.factor_ids
    assert "tce.cec.power_supply_coal.2022" not in inv.unverified_factor_ids  # grade M
    assert any("data year 2022 used for 2023" in note for note in inv.notes)
    assert inv.energy_parts is not None
    assert inv.energy_parts.electricity_tce_per_kwh == pytest.approx(300.7e-6)


def test_equal_value_of_the_data_year_and_its_revision(library: FactorLibrary) -> None:
    """The record of the data year itself is taken without a note (2022: 300.7 gce/kWh →
    1 000 000 kWh = 300.7 tce); a later record of the same year supersedes it (a park's own
    0.3 kgce/kWh → 300 tce, 832.5 / 300 = 2.775 tCO2/tce), and a year before the series is
    NotFound."""
    doc = park_document(year=2022, electricity={"received": [{"kind": "grid", "kwh": 1_000_000}]})
    options = AccountingOptions(electricity_conversion="equal_value")
    inv = account(parse_activity(doc), library=library, options=options)
    assert inv.energy_tce == pytest.approx(300.7)
    assert not any("等价值" in note for note in inv.notes)
    library.append(
        FactorRecord(
            id="user.tce.electricity.equal_value.2022",
            kind="standard_coal",
            key="electricity",
            value=0.3,
            unit="kgce/kWh",
            year=2022,
            scope="national",
            region="全国",
            basis="equal_value",
            source="test value",
            url=None,
            url_note="test",
            confidence="U",
            verified=False,
        )
    )
    inv = account(parse_activity(doc), library=library, options=options)
    assert inv.energy_tce == pytest.approx(300)
    assert inv.intensity_tco2_per_tce == pytest.approx(2.775)
    assert "user.tce.electricity.equal_value.2022" in inv.unverified_factor_ids
    assert any("unverified" in note for note in inv.notes)
    early = park_document(year=2016, electricity={"received": [{"kind": "grid", "kwh": 1}]})
    with pytest.raises(NotFound, match="equal_value"):
        account(parse_activity(early), library=library, options=options)


def test_unverified_fuel_defaults_are_flagged(library: FactorLibrary) -> None:
    """LPG emission defaults are graded U in domain.md: every result using them lists them as
    unverified. Its energy converts at the GB/T 2589 reference coefficient (1.7143 kgce/kg,
    two tabulations agree), which is not flagged, and not through the unverified NCV."""
    doc = park_document(fuels=[{"fuel": "lpg", "use": "terminal", "amount": 1, "unit": "t"}])
    inv = account(parse_activity(doc), library=library)
    assert "fuel.ndrc-2013-2015.lpg.carbon_content" in inv.unverified_factor_ids
    assert "fuel.ndrc-2013-2015.lpg.ncv" in inv.unverified_factor_ids
    assert "tce.gbt2589-2020.lpg.r2" in inv.factor_ids
    assert "tce.gbt2589-2020.lpg.r2" not in inv.unverified_factor_ids
    assert inv.energy_tce == pytest.approx(1.7143)  # 1 t × 1.7143 kgce/kg
    assert inv.as_dict()["unverified_factors"] == list(inv.unverified_factor_ids)


def test_measured_parameters_override_defaults(library: FactorLibrary) -> None:
    """Measured NCV 40 GJ/t, CC 0.02 tC/GJ, OF 0.99: 10 t → 400 GJ × 0.02 × 0.99 × 44/12 = 29.04."""
    doc = park_document(
        fuels=[
            {
                "fuel": "diesel",
                "use": "terminal",
                "amount": 10,
                "unit": "t",
                "ncv": 40,
                "carbon_content": 0.02,
                "oxidation": 0.99,
            }
        ],
        electricity={"received": [{"kind": "grid", "kwh": 1}]},
    )
    inv = account(parse_activity(doc), library=library)
    assert inv.emissions["fuel"] == pytest.approx(29.04)
    assert not any(fid.startswith("fuel.") for fid in inv.factor_ids)


def test_fuel_without_default_needs_measured_values(library: FactorLibrary) -> None:
    """LNG has no shipped default: the error names the field to fill."""
    doc = park_document(fuels=[{"fuel": "lng", "use": "terminal", "amount": 1, "unit": "t"}])
    with pytest.raises(InvalidInput) as err:
        account(parse_activity(doc), library=library)
    assert err.value.field == "fuels[0].ncv"


def test_factor_revision_changes_result_and_keeps_both(library: FactorLibrary) -> None:
    """Appending a revised 2023 江苏 factor changes the recomputed scope 2; both stay explainable.

    Before: 1 000 000 kWh × 0.5827 kg = 582.7 t; after a revision to 0.5900: 590.0 t.
    """
    doc = parse_activity(
        park_document(
            boundary="enterprise", electricity={"received": [{"kind": "grid", "kwh": 1_000_000}]}
        )
    )
    before = account(doc, library=library)
    old = library.get("grid.2023.province.320000.average")
    library.append(
        old.model_copy(update={"id": "grid.2023.province.320000.average.rev1", "value": 0.59})
    )
    after = account(doc, library=library)
    assert before.scope2_location_tco2 == pytest.approx(582.7)
    assert after.scope2_location_tco2 == pytest.approx(590.0)
    assert "grid.2023.province.320000.average" in before.factor_ids
    assert "grid.2023.province.320000.average.rev1" in after.factor_ids
    # the old record stays retrievable by id, so the old result can still be explained
    assert library.get("grid.2023.province.320000.average").value == 0.5827
    assert [
        r.id for r in library.history("grid_electricity", "electricity", region="江苏", year=2023)
    ] == [
        "grid.2023.province.320000.average",
        "grid.2023.province.320000.average.rev1",
    ]


def test_process_factor_by_record_id(library: FactorLibrary) -> None:
    """process: factor_id resolves a user record; 200 t × 0.5 tCO2/t = 100 t."""
    library.append(
        FactorRecord(
            id="user.process.clinker",
            kind="process",
            key="cement_clinker",
            value=0.5,
            unit="tCO2/t",
            year=2023,
            scope="park",
            region="测试园区",
            basis="verified",
            source="核查报告 2023",
            url=None,
            url_note="internal verification report",
            confidence="M",
            verified=True,
        )
    )
    doc = park_document(
        process=[
            {"product": "熟料", "amount": 200, "unit": "t", "factor_id": "user.process.clinker"}
        ],
        electricity={"received": [{"kind": "grid", "kwh": 1}]},
    )
    inv = account(parse_activity(doc), library=library)
    assert inv.emissions["process"] == pytest.approx(100)
    bad = park_document(process=[{"product": "x", "amount": 1, "unit": "t", "factor_id": "nope"}])
    with pytest.raises(InvalidInput) as err:
        account(parse_activity(bad), library=library)
    assert err.value.field == "process[0].factor_id"


def test_hourly_grid_series_location_scope2(library: FactorLibrary) -> None:
    """A time-of-day series: 0.4 kg at hours 0–11, 0.6 kg at 12–23 (Asia/Shanghai).

    Hourly grid kWh: 100 at 08:00, 300 at 20:00 → 100 × 0.4 + 300 × 0.6 = 220 kg = 0.22 tCO2.
    """
    series = FactorSeries(
        id="user.tod.2023",
        kind="grid_electricity_hourly",
        unit="kgCO2/kWh",
        scope="province",
        region="江苏",
        basis="average",
        year=2023,
        resolution="time_of_day",
        values=tuple([0.4] * 12 + [0.6] * 12),
        source="test profile",
        url=None,
        url_note="test",
        confidence="U",
        verified=False,
    )
    library.append_series(series)
    tz = dt.timezone(dt.timedelta(hours=8))
    hourly = HourlyGrid(
        hour_starts=(dt.datetime(2023, 5, 1, 8, tzinfo=tz), dt.datetime(2023, 5, 1, 20, tzinfo=tz)),
        kwh=(100.0, 300.0),
    )
    doc = parse_activity(
        park_document(
            boundary="enterprise", electricity={"received": [{"kind": "grid", "kwh": 400}]}
        )
    )
    inv = account(
        doc,
        library=library,
        options=AccountingOptions(grid_series_id="user.tod.2023"),
        hourly_grid=hourly,
    )
    assert inv.scope2_location_tco2 == pytest.approx(0.22)
    assert "user.tod.2023" in inv.factor_ids
    mismatched = HourlyGrid(hour_starts=hourly.hour_starts, kwh=(1.0, 1.0))
    with pytest.raises(InvalidInput):
        account(
            doc,
            library=library,
            options=AccountingOptions(grid_series_id="user.tod.2023"),
            hourly_grid=mismatched,
        )


def test_park_fossil_factor_option_mee_data_year(library: FactorLibrary) -> None:
    """park_fossil_factor=mee_data_year uses 2023's national fossil factor 0.8273: 1000 kWh → 0.8273 t."""
    doc = parse_activity(park_document(electricity={"received": [{"kind": "grid", "kwh": 1000}]}))
    inv = account(
        doc, library=library, options=AccountingOptions(park_fossil_factor="mee_data_year")
    )
    assert inv.emissions["electricity"] == pytest.approx(0.8273)
    assert "grid.2023.national.fossil" in inv.factor_ids


def test_coal_without_measured_ncv_converts_at_the_raw_coal_reference(
    library: FactorLibrary,
) -> None:
    """GB/T 2589-2020: a fuel without a measured NCV converts at the annex's reference coefficient,
    原煤 0.7143 kgce/kg for every coal type — not through the default NCV its emissions use.

    anthracite 100 t × 0.7143 kgce/kg = 71.43 tce; lignite 100 t × 0.7143 = 71.43 tce;
    energy 142.86 tce. Emissions keep the guideline path:
      anthracite 100 t × 24.515 GJ/t × 0.02749 × 0.94 × 44/12 = 232.2768466 tCO2
      lignite 100 t × 14.449 GJ/t × 0.02800 × 0.96 × 44/12 = 142.409344 tCO2
    (the NCV route gave 2451.5 ÷ 29.307 = 83.6489576 and 1444.9 ÷ 29.307 = 49.3022145 tce)
    """
    doc = park_document(
        fuels=[
            {"fuel": "anthracite", "use": "terminal", "amount": 100, "unit": "t"},
            {"fuel": "lignite", "use": "terminal", "amount": 100, "unit": "t"},
        ]
    )
    inv = account(parse_activity(doc), library=library)
    assert inv.emissions["fuel"] == pytest.approx(374.6861906)
    assert inv.energy_tce == pytest.approx(142.86)
    assert inv.energy_parts is not None
    assert inv.energy_parts.fuels_tce["anthracite"] == pytest.approx(71.43)
    assert inv.energy_parts.fuels_tce["lignite"] == pytest.approx(71.43)
    assert "tce.gbt2589-2020.raw_coal.r2" in inv.factor_ids
    assert "tce.gbt2589-2020.standard_coal_calorific_value.r2" not in inv.factor_ids
    energy = [line for line in inv.explain if line.term == "energy"]
    assert all("0.7143 kgce/kg" in line.expression for line in energy)


def test_a_measured_ncv_converts_through_the_definition(library: FactorLibrary) -> None:
    """GB/T 2589: only a measured NCV gives NCV ÷ 29 307 kJ/kgce (1 kgce = 29 307 kJ).

    diesel 50 t, measured ncv 42.9 GJ/t: 50 × 42.9 = 2145 GJ ÷ 29.307 GJ/tce = 73.1907053 tce.
    The same ncv marked ncv_measured: false (a supplier's typical value) still drives the
    emissions (2145 GJ × 0.0202 = 43.329 tC × 0.98 × 44/12 = 155.69554 tCO2) but the energy is the reference:
    50 t × 1.4571 kgce/kg = 72.855 tce.
    A bituminous coal with a measured fuel_ncv record of the data year (a lab record, 25 GJ/t):
    100 t × 25 = 2500 GJ ÷ 29.307 = 85.3038523 tce, and its emissions use the same 25 GJ/t:
    2500 × 0.02618 × 0.93 × 44/12 = 223.1845 tCO2.
    """
    measured = park_document(
        fuels=[{"fuel": "diesel", "use": "terminal", "amount": 50, "unit": "t", "ncv": 42.9}]
    )
    inv = account(parse_activity(measured), library=library)
    assert inv.energy_tce == pytest.approx(73.1907053)
    assert "tce.gbt2589-2020.standard_coal_calorific_value.r2" in inv.factor_ids
    declared = park_document(
        fuels=[
            {
                "fuel": "diesel",
                "use": "terminal",
                "amount": 50,
                "unit": "t",
                "ncv": 42.9,
                "ncv_measured": False,
            }
        ]
    )
    inv = account(parse_activity(declared), library=library)
    assert inv.energy_tce == pytest.approx(72.855)
    assert inv.emissions["fuel"] == pytest.approx(155.69554)
    library.append(
        FactorRecord(
            id="lab.2023.bituminous.ncv",
            kind="fuel_ncv",
            key="bituminous_coal",
            value=25.0,
            unit="GJ/t",
            year=2023,
            scope="enterprise",
            region="测试园区",
            basis="measured",
            source="化验报告 2023",
            url=None,
            url_note="lab report",
            confidence="M",
            verified=True,
        )
    )
    coal = park_document(
        fuels=[{"fuel": "bituminous_coal", "use": "terminal", "amount": 100, "unit": "t"}]
    )
    inv = account(parse_activity(coal), library=library)
    assert inv.energy_tce == pytest.approx(85.3038523)
    assert inv.emissions["fuel"] == pytest.approx(223.1845)
    assert "lab.2023.bituminous.ncv" in inv.factor_ids


def test_natural_gas_kind_chooses_the_reference(library: FactorLibrary) -> None:
    """GB/T 2589 gives natural gas by kind: 油田天然气 1.3300, 气田天然气 1.2143 kgce/m³.

    10 000 Nm3 of default kind (oil_field): 13.3 tce; naming gas_field on the item: 12.143 tce;
    the option natural_gas_kind=gas_field for gas that names none: 12.143 tce. The emissions do
    not change: 1 ×10^4 Nm3 × 389.31 × 0.0153 × 0.99 × 44/12 = 21.6218881 tCO2.
    """
    gas = {"fuel": "natural_gas", "use": "terminal", "amount": 10_000, "unit": "Nm3"}
    plain = parse_activity(park_document(fuels=[gas]))
    named = parse_activity(park_document(fuels=[{**gas, "kind": "gas_field"}]))
    assert account(plain, library=library).energy_tce == pytest.approx(13.3)
    inv = account(named, library=library)
    assert inv.energy_tce == pytest.approx(12.143)
    assert "tce.gbt2589-2020.natural_gas.gas_field" in inv.factor_ids
    assert any("气田天然气" in line.expression for line in inv.explain if line.term == "energy")
    option = AccountingOptions(natural_gas_kind="gas_field")
    assert account(plain, library=library, options=option).energy_tce == pytest.approx(12.143)
    assert account(plain, library=library).emissions["fuel"] == pytest.approx(21.6218881)
    assert inv.emissions["fuel"] == pytest.approx(21.6218881)
    with pytest.raises(InvalidInput) as err:
        AccountingOptions(natural_gas_kind="coal_bed")  # type: ignore[arg-type]
    assert err.value.field == "natural_gas_kind"


PV_PARK = {
    "received": [{"kind": "grid", "kwh": 1_000_000}],
    "generated": [{"kind": "pv", "kwh": 600_000}],
    "sent": [{"kind": "non_fossil", "kwh": 200_000}],
}


def test_onsite_renewable_generation_counts_in_energy_by_default(library: FactorLibrary) -> None:
    """The park consumes what it generates: electricity in tce = (received + generated − sent).

    included (default): (1 000 000 + 600 000 − 200 000) kWh × 0.1229 kgce = 172.06 tce;
    E电 = 1 000 000 × 0.8325 kg = 832.5 tCO2 (generated and non-fossil sent at factor 0);
    intensity 832.5 / 172.06 = 4.8384285 tCO2/tce.
    excluded: (1 000 000 − 200 000) × 0.1229 kgce = 98.32 tce; 832.5 / 98.32 = 8.4672498.
    """
    doc = parse_activity(park_document(electricity=PV_PARK))
    inv = account(doc, library=library)
    assert inv.emissions["electricity"] == pytest.approx(832.5)
    assert inv.energy_tce == pytest.approx(172.06)
    assert inv.intensity_tco2_per_tce == pytest.approx(4.8384285)
    assert inv.options.as_dict()["onsite_renewable"] == "included"
    assert inv.energy_parts is not None
    assert inv.energy_parts.electricity_kwh["generated"] == 600_000
    excluded = account(doc, library=library, options=AccountingOptions(onsite_renewable="excluded"))
    assert excluded.energy_tce == pytest.approx(98.32)
    assert excluded.intensity_tco2_per_tce == pytest.approx(8.4672498)
    assert any("onsite_renewable=excluded" in line.expression for line in excluded.explain)


def test_a_pv_rich_park_never_has_a_negative_energy_term(library: FactorLibrary) -> None:
    """grid 100 000, PV 2 000 000, sent 1 900 000 kWh; natural gas 10 000 Nm3.

    gas (GB/T 2589 油田天然气 reference): 10 000 Nm3 × 1.3300 kgce/m3 = 13.3 tce.
    included: electricity (100 000 + 2 000 000 − 1 900 000) × 0.1229 kg = 24.58 tce → 37.88.
    excluded: 100 000 − 1 900 000 < 0 → electricity counts 0 (never negative) → 13.3 tce,
    with a note; the old net-receipt rule would have given −221.22 + 13.3 < 0 tce.
    """
    doc = parse_activity(
        park_document(
            fuels=[{"fuel": "natural_gas", "use": "terminal", "amount": 10_000, "unit": "Nm3"}],
            electricity={
                "received": [{"kind": "grid", "kwh": 100_000}],
                "generated": [{"kind": "pv", "kwh": 2_000_000}],
                "sent": [{"kind": "non_fossil", "kwh": 1_900_000}],
            },
        )
    )
    assert account(doc, library=library).energy_tce == pytest.approx(37.88)
    excluded = account(doc, library=library, options=AccountingOptions(onsite_renewable="excluded"))
    assert excluded.energy_tce == pytest.approx(13.3)
    assert excluded.energy_parts is not None
    assert excluded.energy_parts.electricity_counted_kwh == 0.0
    assert any("never a negative" in note for note in excluded.notes)


def test_onsite_option_is_checked() -> None:
    with pytest.raises(InvalidInput) as err:
        AccountingOptions(onsite_renewable="maybe")  # type: ignore[arg-type]
    assert err.value.field == "onsite_renewable"
