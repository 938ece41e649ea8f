"""The activity file: strict parsing, errors naming the field, the documented example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from carbon_documents import park_document

from lingtan.carbon.activity import load_activity, parse_activity
from lingtan.errors import InvalidInput, NotFound

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "park-activity-2023.yaml"


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
    """docs/examples/park-activity-2023.yaml is valid and produces a park inventory."""
    from lingtan.carbon.factors import default_library
    from lingtan.carbon.inventory import account

    activity = load_activity(EXAMPLE)
    inv = account(activity, library=default_library())
    assert inv.basis == "park" and inv.intensity_tco2_per_tce is not None
    assert inv.emissions["total"] > 0


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
