"""The activity file: strict parsing, errors naming the field, the documented example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from carbon_documents import park_document

from lingtan.carbon.activity import load_activity, parse_activity
from lingtan.errors import InvalidInput, NotFound

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "park-activity-2023.yaml"
STEEL = Path(__file__).parent / "data" / "steel-park-2023.yaml"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"colour": "green"}, "colour"),
        (
            {"fuels": [{"fuel": "unobtainium", "use": "terminal", "amount": 1, "unit": "t"}]},
            "fuels[0].fuel",
        ),
        (
            {"fuels": [{"fuel": "diesel", "use": "terminal", "amount": -1, "unit": "t"}]},
            "fuels[0].amount",
        ),
        (
            {"fuels": [{"fuel": "diesel", "use": "terminal", "amount": 1, "unit": "Nm3"}]},
            "fuels[0].unit",
        ),
        (
            {"fuels": [{"fuel": "natural_gas", "use": "terminal", "amount": 1, "unit": "t"}]},
            "fuels[0].unit",
        ),
        (
            {"fuels": [{"fuel": "diesel", "use": "terminal", "amount": 1, "unit": "barrel"}]},
            "fuels[0].unit",
        ),
        (
            {"fuels": [{"fuel": "diesel", "use": "breakfast", "amount": 1, "unit": "t"}]},
            "fuels[0].use",
        ),
        (
            {
                "fuels": [
                    {"fuel": "diesel", "use": "terminal", "amount": 1, "unit": "t", "extra": 1}
                ]
            },
            "fuels[0].extra",
        ),
        (
            {
                "fuels": [
                    {"fuel": "diesel", "use": "terminal", "amount": 1, "unit": "GJ", "ncv": 40}
                ]
            },
            "fuels[0].ncv",
        ),
        (
            {
                "fuels": [
                    {
                        "fuel": "diesel",
                        "use": "terminal",
                        "amount": 1,
                        "unit": "t",
                        "oxidation": 1.2,
                    }
                ]
            },
            "fuels[0].oxidation",
        ),
        (
            {
                "electricity": {
                    "received": [
                        {"kind": "grid", "kwh": 10},
                        {"kind": "green_certified", "kwh": 11},
                    ]
                }
            },
            "electricity.received",
        ),
        (
            {"electricity": {"received": [{"kind": "grid", "kwh": -5}]}},
            "electricity.received[0].kwh",
        ),
        ({"electricity": {"sent": [{"kind": "grid", "kwh": 5}]}}, "electricity.sent[0].kind"),
        (
            {"heat": {"received": [{"kind": "non_fossil", "gj": 5, "factor": 0.1}]}},
            "heat.received[0].factor",
        ),
        ({"process": [{"product": "x", "amount": 1, "unit": "t"}]}, "process[0].factor"),
        ({"offsets": {"ccus_tco2": -1}}, "offsets.ccus_tco2"),
        (
            {
                "fuels": [
                    {"fuel": "diesel", "use": "terminal", "amount": 1, "unit": "t", "kind": "x"}
                ]
            },
            "fuels[0].kind",
        ),
        (
            {
                "fuels": [
                    {
                        "fuel": "natural_gas",
                        "use": "terminal",
                        "amount": 1,
                        "unit": "Nm3",
                        "kind": "coal_bed",
                    }
                ]
            },
            "fuels[0].kind",
        ),
        (
            {
                "fuels": [
                    {
                        "fuel": "diesel",
                        "use": "terminal",
                        "amount": 1,
                        "unit": "t",
                        "ncv_measured": True,
                    }
                ]
            },
            "fuels[0].ncv_measured",
        ),
        ({"boundary": "city"}, "boundary"),
        ({"province": "火星"}, "province"),
        ({"year": "2023"}, "year"),
        (
            {
                "building": {
                    "floor_area_m2": 100,
                    "systems": [{"system": "hvac", "electricity_kwh": 1, "renewable_kwh": 2}],
                }
            },
            "building.systems[0].renewable_kwh",
        ),
    ],
)
def test_activity_rejections_name_the_field(overrides: dict[str, Any], field: str) -> None:
    """Unknown fields/fuels, negative amounts, unfit units, green > grid: InvalidInput naming the field."""
    with pytest.raises(InvalidInput) as err:
        parse_activity(park_document(**overrides))
    assert err.value.field == field


def test_m3_is_an_alias_of_nm3_and_kwh_gj_fit_any_fuel() -> None:
    """Gas in m3 or Nm3; any fuel may be given as heat (GJ, kWh)."""
    doc = park_document(
        fuels=[
            {"fuel": "natural_gas", "use": "terminal", "amount": 1, "unit": "m3"},
            {"fuel": "diesel", "use": "terminal", "amount": 1, "unit": "GJ"},
            {"fuel": "coke", "use": "heat", "amount": 1, "unit": "kWh"},
        ]
    )
    assert len(parse_activity(doc).fuels) == 3


def test_documented_example_parses_and_accounts() -> None:
    """docs/examples/park-activity-2023.yaml gives the worked example of docs/activity-file.md.

    Emissions 69 371.906 tCO2 (term by term in the doc). Energy (GB/T 2589-2020, 当量值):
    natural gas (200 + 50 + 30) ×10⁴ m³ × 1.3300 kgce/m³ (油田天然气, no measured NCV) = 3 724 tce;
    diesel 120 t × 1.4571 kgce/kg = 174.852 tce; diesel with a measured NCV 50 t × 42.9 GJ/t
    = 2 145 GJ ÷ 29.307 GJ/tce = 73.1907053 tce; electricity (80 000 000 + 45 000 000 − 2 000 000)
    kWh × 0.1229 kgce = 15 116.7 tce; heat (150 000 + 20 000 + 30 000) GJ × 0.03412 = 6 824 tce;
    total 25 912.7427053 tce; 单位能耗碳排放 69 371.906 ÷ 25 912.7427053 = 2.6771 tCO2/tce.
    """
    from lingtan.carbon.factors import default_library
    from lingtan.carbon.inventory import account

    activity = load_activity(EXAMPLE)
    inv = account(activity, library=default_library())
    assert inv.basis == "park"
    assert inv.emissions["total"] == pytest.approx(69_371.906, abs=0.001)
    assert inv.energy_tce == pytest.approx(25_912.7427053)
    assert round(inv.intensity_tco2_per_tce or 0, 4) == 2.6771


def test_steel_park_fuels_account() -> None:
    """Blast-furnace, converter and coke-oven gas, coke and petroleum coke (tests/carbon/data/
    steel-park-2023.yaml) account with the GB/T 32151 table defaults and GB/T 2589 tce.

    Emissions, NCV × carbon content × oxidation × 44/12 (附件4 二（二）1):
      高炉煤气 100 ×10⁴ m³ × 33.00 GJ = 3 300 GJ × 0.0708 × 0.99 × 44/12 = 848.1132 tCO2
      转炉煤气 20 ×10⁴ m³ × 84.00 = 1 680 GJ × 0.0496 × 0.99 × 44/12 = 302.48064
      焦炉煤气 10 ×10⁴ m³ × 179.81 = 1 798.1 GJ × 0.01358 × 0.99 × 44/12 = 88.6380587
      焦炭 1 000 t × 28.435 = 28 435 GJ × 0.0295 × 0.93 × 44/12 = 2 860.418825
      石油焦 100 t × 32.5 = 3 250 GJ × 0.0275 × 0.98 × 44/12 = 321.1541667
      fuel 4 420.8048904 tCO2
    Energy (GB/T 2589-2020 annex reference coefficients; no measured NCV):
      高炉煤气 1 000 000 m³ × 0.1286 kgce/m³ = 128.6 tce
      焦炉煤气 100 000 m³ × 0.6143 = 61.43 tce; 焦炭 1 000 t × 0.9714 kgce/kg = 971.4 tce
      转炉煤气 and 石油焦 have no annex row: their default NCV ÷ 29.307 GJ/tce,
      1 680 ÷ 29.307 = 57.3241888 tce and 3 250 ÷ 29.307 = 110.8950080 tce (with a note each)
      total 1 329.6491968 tce; intensity 4 420.8048904 ÷ 1 329.6491968 = 3.3247904 tCO2/tce
    """
    from lingtan.carbon.factors import default_library
    from lingtan.carbon.inventory import account

    inv = account(load_activity(STEEL), library=default_library())
    lines = {line.expression.split()[1]: line.result for line in inv.explain if line.term == "fuel"}
    assert lines["高炉煤气"] == pytest.approx(848.1132)
    assert lines["转炉煤气"] == pytest.approx(302.48064)
    assert lines["焦炉煤气"] == pytest.approx(88.6380587)
    assert lines["焦炭"] == pytest.approx(2860.418825)
    assert lines["石油焦"] == pytest.approx(321.1541667)
    assert inv.emissions["fuel"] == pytest.approx(4420.8048904)
    assert inv.energy_parts is not None
    assert inv.energy_parts.fuels_tce == pytest.approx(
        {
            "blast_furnace_gas": 128.6,
            "converter_gas": 57.3241888,
            "coke_oven_gas": 61.43,
            "coke": 971.4,
            "petroleum_coke": 110.8950080,
        }
    )
    assert inv.energy_tce == pytest.approx(1329.6491968)
    assert inv.intensity_tco2_per_tce == pytest.approx(3.3247904)
    assert {
        "fuel.gbt32151.5-2015.converter_gas.ncv",
        "tce.gbt2589-2020.blast_furnace_gas",
        "tce.gbt2589-2020.coke.r2",
    } <= set(inv.factor_ids)
    assert sum("no reference coefficient" in note for note in inv.notes) == 2
    # coke-oven gas defaults disagree between sector tables: graded M, kept verified but noted
    assert not {i for i in inv.unverified_factor_ids if "gbt32151" in i}


def test_load_activity_json_and_missing(tmp_path: Path) -> None:
    """JSON works like YAML; a missing file is NotFound; a broken file is InvalidInput."""
    path = tmp_path / "a.json"
    path.write_text(
        '{"boundary": "enterprise", "name": "E", "year": 2023, "province": "浙江"}',
        encoding="utf-8",
    )
    assert load_activity(path).boundary == "enterprise"
    with pytest.raises(NotFound):
        load_activity(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("boundary: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidInput):
        load_activity(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        load_activity(listed)
