"""Park files: valid files load; each broken rule gets an error naming line, field and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingtan.errors import InvalidInput
from lingtan.registry import load_park_file, parse_park_text
from lingtan.registry.model import PointKind

HEAD = "park:\n  id: p\n  name: 园区\n  province: 江苏\n"


def error_of(text: str) -> str:
    with pytest.raises(InvalidInput) as info:
        parse_park_text(text, name="park.yaml")
    return str(info.value)


def test_small_park_loads(small_park) -> None:  # type: ignore[no-untyped-def]
    assert small_park.park.timezone == "Asia/Shanghai"
    points = {p.id: p for p in small_park.points}
    assert points["E01-hvac"].is_boundary is False  # has a parent
    assert points["E01-main"].is_boundary is True
    assert points["park-net"].is_virtual
    assert points["E01-power"].kind is PointKind.MEASUREMENT


def test_unknown_carrier_names_line_and_field() -> None:
    msg = error_of(
        HEAD + "points:\n  - id: a\n    carrier: electric\n    kind: total\n    unit: kWh\n"
    )
    assert "park.yaml:7 points[0].carrier" in msg


def test_bad_uscc_names_the_rule() -> None:
    msg = error_of(
        HEAD + "enterprises:\n  - id: E1\n    name: 甲\n    uscc: '914403001922038217'\n"
    )
    assert "park.yaml:8 enterprises[0].uscc" in msg and "check character" in msg


def test_unit_must_fit_carrier() -> None:
    msg = error_of(HEAD + "points:\n  - {id: w, carrier: water, kind: interval, unit: kWh}\n")
    assert "does not fit carrier water" in msg


def test_register_needs_a_quantity_unit() -> None:
    msg = error_of(
        HEAD
        + "points:\n  - {id: g, carrier: electricity_grid_import, kind: total_increasing, unit: kW}\n"
    )
    assert "needs a quantity unit" in msg


def test_unknown_parent_and_duplicate_ids() -> None:
    body = "points:\n  - {id: a, carrier: water, kind: interval, unit: m3, parent: zz}\n"
    assert "unknown parent 'zz'" in error_of(HEAD + body)
    body = "points:\n  - {id: a, carrier: water, kind: interval, unit: m3}\n  - {id: a, carrier: water, kind: interval, unit: m3}\n"
    assert "declared twice" in error_of(HEAD + body)


def test_cycle_is_refused() -> None:
    body = (
        "points:\n"
        "  - {id: a, carrier: water, kind: interval, unit: m3, parent: b}\n"
        "  - {id: b, carrier: water, kind: interval, unit: m3, parent: a}\n"
    )
    assert "cycle" in error_of(HEAD + body)


def test_virtual_formula_members_checked() -> None:
    body = "points:\n  - {id: v, carrier: water, kind: interval, unit: m3, formula: 'x + y'}\n"
    assert "unknown point 'x'" in error_of(HEAD + body)


def test_unknown_field_refused() -> None:
    assert "Extra inputs are not permitted" in error_of(HEAD + "colour: red\n")


def test_half_hour_timezone_refused() -> None:
    assert "whole-hour" in error_of(
        "park:\n  id: p\n  name: n\n  province: 江苏\n  timezone: Asia/Kolkata\n"
    )


def test_invalid_yaml_names_line() -> None:
    assert "not valid YAML at line 3" in error_of("park:\n  id: [\n")


def test_toml_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "park.toml"
    path.write_text(
        '[park]\nid = "p"\nname = "园区"\nprovince = "江苏"\n\n'
        '[[points]]\nid = "m"\ncarrier = "water"\nkind = "interval"\nunit = "m3"\n',
        encoding="utf-8",
    )
    model = load_park_file(path)
    assert model.points[0].id == "m"


def test_missing_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_park_file(tmp_path / "nope.yaml")


TWO = (
    HEAD
    + "enterprises:\n  - {id: A, name: 甲}\n  - {id: B, name: 乙}\n"
    + "points:\n"
    + "  - {id: a-main, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A}\n"
    + "  - {id: b-main, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: B}\n"
    + "  - {id: park-tx, carrier: electricity_grid_import, kind: interval, unit: kWh}\n"
)


def test_an_enterprise_virtual_point_reads_only_its_own_points() -> None:
    bad = "  - {id: a-v, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, formula: a-main + b-main}\n"
    msg = error_of(TWO + bad)
    assert "formula member b-main belongs to B" in msg
    # the park's virtual points may read any enterprise
    park_v = "  - {id: p-v, carrier: electricity_grid_import, kind: interval, unit: kWh, formula: a-main + b-main}\n"
    assert {p.id for p in parse_park_text(TWO + park_v, name="park.yaml").points} >= {"p-v"}


def test_a_meter_does_not_hang_below_another_enterprise() -> None:
    bad = "  - {id: a-sub, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, parent: b-main}\n"
    assert "parent b-main belongs to enterprise B" in error_of(TWO + bad)
    # below the park's transformer meter is fine
    ok = "  - {id: a-sub, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, parent: park-tx}\n"
    parse_park_text(TWO + ok, name="park.yaml")


def test_a_boundary_point_below_a_boundary_point_is_refused() -> None:
    sub = "  - {id: a-sub, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, parent: a-main, boundary: true}\n"
    assert "would be counted twice" in error_of(TWO + sub)
    # the same through a non-boundary middle meter, and through a formula
    mid = (
        "  - {id: a-mid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, parent: a-main}\n"
        "  - {id: a-leaf, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, parent: a-mid, boundary: true}\n"
    )
    assert "boundary point a-main" in error_of(TWO + mid)
    virtual = "  - {id: a-v, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, formula: a-main, boundary: true}\n"
    assert "counted twice" in error_of(TWO + virtual)
    # a PV meter drawn below the grid meter is another carrier: nothing is counted twice
    pv = "  - {id: a-pv, carrier: pv_generation, kind: interval, unit: kWh, enterprise: A, parent: a-main, boundary: true}\n"
    parse_park_text(TWO + pv, name="park.yaml")


SITE = HEAD + "sites:\n  - id: S1\n    name: 一号楼\n"


@pytest.mark.parametrize(
    ("extra", "where", "rule"),
    [
        ("    energy_label: passive_house\n", "park.yaml:8 sites[0].energy_label",
         "not a class of GB/T 51350-2019"),
        ("    energy_label: 超低能耗建筑\n", "park.yaml:8 sites[0].energy_label", "ultra_low_energy"),
        ("    green_building_star: 4\n", "park.yaml:8 sites[0].green_building_star",
         "not a class of GB/T 50378-2019"),
        ("    green_building_star: 2\n    green_building_date: 2019-13-01\n",
         "park.yaml:9 sites[0].green_building_date", "date"),
        ("    energy_label_certificate: NZEB-001\n", "sites[0]",
         "energy_label_certificate is given without energy_label"),
    ],
)  # fmt: skip
def test_a_bad_building_label_is_refused_naming_the_field(
    extra: str, where: str, rule: str
) -> None:
    msg = error_of(SITE + extra)
    assert where in msg and rule in msg


def test_building_labels_load_with_their_certificates() -> None:
    model = parse_park_text(
        SITE + "    energy_label: zero_energy\n    energy_label_certificate: ZEB-2024-7\n"
        "    energy_label_date: 2024-06-30\n    green_building_star: 3\n"
    )
    s = model.sites[0]
    assert (s.energy_label, s.energy_label_certificate, str(s.energy_label_date)) == (
        "zero_energy", "ZEB-2024-7", "2024-06-30",
    )  # fmt: skip
    # an unquoted 3 is the grade code "3" (三星级)
    assert s.green_building_star == "3" and s.green_building_date is None
