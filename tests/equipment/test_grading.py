"""Grading against GB 18613-2020 表1 at the grade boundaries, types without a grade table,
rated data validated per type with the field named."""

from __future__ import annotations

import pytest

from lingtan.equipment.grading import grade_item, grade_of
from lingtan.equipment.reference import grade_standards, standard_for
from lingtan.equipment.register import parse_spec
from lingtan.errors import InvalidInput

# GB 18613-2020 表1, 0.75 kW, 4 poles: grade 1 88.2 %, grade 2 85.7 %, grade 3 82.5 % (the
# row copied into data/grade_tables.yaml; grade 3 is IE3 of IEC 60034-30-1: 82.5 %)
M075_4 = {"rated_kw": 0.75, "poles": 4}


@pytest.mark.parametrize(
    ("eta", "grade"),
    [
        (88.2, "1"),  # equal to grade 1 reaches it
        (88.19, "2"),  # just below grade 1, above grade 2 (85.7)
        (85.7, "2"),
        (85.69, "3"),
        (82.5, "3"),  # equal to the minimum allowed
        (82.49, "below_3"),
    ],
)
def test_motor_grade_boundaries_075kw_4_pole(eta: float, grade: str) -> None:
    r = grade_item("motor", {**M075_4, "efficiency_pct": eta})
    assert r.status == "graded"
    assert r.grade == grade
    assert r.below_minimum is (grade == "below_3")
    assert r.thresholds == {"1": 88.2, "2": 85.7, "3": 82.5}


def test_motor_grade_uses_the_poles_column() -> None:
    # 55 kW row: 2 poles 96.2/95.3/94.3, 8 poles 94.9/93.7/92.5; 94.3 % is grade 3 for a
    # 2-pole motor but grade 2 for an 8-pole one (94.3 ≥ 93.7, < 94.9)
    assert grade_item("motor", {"rated_kw": 55, "poles": 2, "efficiency_pct": 94.3}).grade == "3"
    assert grade_item("motor", {"rated_kw": 55, "poles": 8, "efficiency_pct": 94.3}).grade == "2"


def test_a_rated_power_between_table_values_is_not_graded() -> None:
    r = grade_item("motor", {"rated_kw": 60, "poles": 4, "efficiency_pct": 99})
    assert r.status == "not_tabulated" and r.grade is None
    assert "60 kW" in (r.reason or "")


def test_types_without_a_table_say_no_grade_table() -> None:
    r = grade_item("air_compressor", {"specific_power_kw_per_m3min": 6.0})
    assert r.status == "no_grade_table" and r.grade is None
    assert r.standard is not None and r.standard["standard"] == "GB 19153-2019"
    assert grade_item("other", {}).status == "no_standard"


def test_standards_on_record_carry_edition_and_provenance() -> None:
    stds = grade_standards()
    assert {s.standard for s in stds.values()} == {
        "GB 18613-2020", "GB 19153-2019", "GB 20052-2024", "GB 37484-2019", "GB 37485-2019",
        "GB 19761-2020", "GB 19762-2007", "GB 24500-2020", "GB 19577-2015",
    }  # fmt: skip
    for s in stds.values():
        if not s.has_table:
            assert s.confidence == "L" and not s.verified
    motor = standard_for("motor")
    assert motor is not None and motor.motor_table is not None
    assert len(motor.motor_table.rows) == 42  # 0.12 … 1000 kW


def test_grade_of_lower_is_better() -> None:
    # specific power: lower is better; equal reaches the grade
    th = {"1": 6.0, "2": 7.0, "3": 8.0}
    assert grade_of(6.0, th, "le") == "1"
    assert grade_of(7.5, th, "le") == "3"
    assert grade_of(8.01, th, "le") == "below_3"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "motor", "rated": {"rated_kw": 1.1, "poles": 3, "efficiency_pct": 85}},
         "rated.poles"),
        ({"type": "motor", "rated": {"rated_kw": -1, "poles": 4, "efficiency_pct": 85}},
         "rated.rated_kw"),
        ({"type": "motor", "rated": {"rated_kw": 1.1, "poles": 4}}, "rated.efficiency_pct"),
        ({"type": "transformer", "rated": {"capacity_kva": 800, "no_load_loss_w": 900,
                                           "load_loss_w": 7000, "oil": True}}, "rated.oil"),
        ({"type": "boiler", "rated": {"fuel": "gas", "thermal_efficiency_pct": 92}},
         "rated.capacity_t_h"),
        ({"type": "furnace", "rated": {}}, "type"),
    ],
)  # fmt: skip
def test_rated_data_errors_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_spec({"code": "X1", "name": "x", **data})
    assert err.value.field == field, str(err.value)


# GB 24500-2020 (boiler.json transcription in data/grade_tables.yaml): 表4 gas non-condensing
# 96/94/92, condensing 103/101/98, pulverised coal 92/90/88; 表3 biomass ≤ 10 t/h (≤ 7 MW)
# 88/84/80, above 91/88/86; 5.2 electric ≥ 97
@pytest.mark.parametrize(
    ("rated", "eta", "grade"),
    [
        ({"fuel": "gas", "capacity_t_h": 4}, 96.0, "1"),
        ({"fuel": "gas", "capacity_t_h": 4}, 94.0, "2"),
        ({"fuel": "gas", "capacity_t_h": 4}, 92.0, "3"),
        ({"fuel": "gas", "capacity_t_h": 4}, 91.99, "below_3"),
        ({"fuel": "gas", "condensing": True, "capacity_mw": 2.8}, 98.0, "3"),
        ({"fuel": "gas", "condensing": True, "capacity_mw": 2.8}, 97.9, "below_3"),
        ({"fuel": "coal", "combustion": "chamber", "capacity_t_h": 35}, 90.0, "2"),
        ({"fuel": "biomass", "capacity_t_h": 10}, 84.0, "2"),  # 10 t/h is the small column
        ({"fuel": "biomass", "capacity_t_h": 10.5}, 84.0, "below_3"),  # large: grade 3 is 86
        ({"fuel": "electric", "capacity_mw": 1}, 97.0, "3"),
        ({"fuel": "electric", "capacity_mw": 1}, 96.9, "below_3"),
    ],
)  # fmt: skip
def test_boiler_grade_boundaries(rated: dict[str, object], eta: float, grade: str) -> None:
    r = grade_item("boiler", {**rated, "thermal_efficiency_pct": eta})
    assert r.status == "graded", r.reason
    assert r.grade == grade


def test_boilers_without_a_row_are_not_graded() -> None:
    grate = grade_item("boiler", {"fuel": "coal", "combustion": "grate", "capacity_t_h": 10,
                                  "thermal_efficiency_pct": 85})  # fmt: skip
    assert grate.status == "no_grade_table" and "表1" in (grate.reason or "")
    # 8 t/h is ≤ 10 t/h but 8 MW is > 7 MW: the columns disagree, no grade
    both = grade_item("boiler", {"fuel": "biomass", "capacity_t_h": 8, "capacity_mw": 8,
                                 "thermal_efficiency_pct": 90})  # fmt: skip
    assert both.status == "no_grade_table" and both.grade is None


# GB 20052-2024 表1 (transformer.json transcription in data/grade_tables.yaml), maximum losses
# of grades 1/2/3 in kW: 400 kVA electrical steel Dyn11/Yzn11 (R000041) no-load 0.33/0.37/0.41,
# load 3.25/3.615/4.52; 315 kVA steel Dyn11 (R000037) no-load 0.27/0.305/0.34, load
# 2.76/3.065/3.83; 30 kVA amorphous Yyn0 (R000004) no-load 0.025/0.033/0.033, load
# 0.48/0.51/0.6; 630 kVA steel Yyn0 (R000049) no-load 0.46/0.51/0.57, load 4.46/4.96/6.2.
# The grade is the worse of the two losses' grades; equal to a maximum reaches it.
OIL10 = {"insulation": "oil", "voltage_kv": 10}


@pytest.mark.parametrize(
    ("rated", "grade"),
    [
        ({"capacity_kva": 400, "core": "electrical_steel", "connection": "Dyn11",
          "no_load_loss_w": 330, "load_loss_w": 3250}, "1"),
        ({"capacity_kva": 400, "core": "electrical_steel", "connection": "Yzn11",
          "no_load_loss_w": 330, "load_loss_w": 3250}, "1"),  # Yzn11 shares the Dyn11 row
        ({"capacity_kva": 400, "core": "electrical_steel", "connection": "Dyn11",
          "no_load_loss_w": 370, "load_loss_w": 3250}, "2"),  # no-load 2, load 1 → 2
        ({"capacity_kva": 400, "core": "electrical_steel", "connection": "Dyn11",
          "no_load_loss_w": 330, "load_loss_w": 3615.5}, "3"),  # load just above grade 2
        ({"capacity_kva": 400, "core": "electrical_steel", "connection": "Dyn11",
          "no_load_loss_w": 410, "load_loss_w": 4520}, "3"),
        ({"capacity_kva": 400, "core": "electrical_steel", "connection": "Dyn11",
          "no_load_loss_w": 410, "load_loss_w": 4521}, "below_3"),
        ({"capacity_kva": 400, "core": "electrical_steel", "connection": "Dyn11",
          "no_load_loss_w": 411, "load_loss_w": 3000}, "below_3"),
        ({"capacity_kva": 315, "core": "electrical_steel", "connection": "Dyn11",
          "no_load_loss_w": 305, "load_loss_w": 2760}, "2"),  # 0.305 kW = 305 W exactly
        ({"capacity_kva": 30, "core": "amorphous", "connection": "Yyn0",
          "no_load_loss_w": 33, "load_loss_w": 480}, "2"),  # amorphous: grades 2 and 3 both 33 W
        ({"capacity_kva": 630, "core": "electrical_steel", "connection": "Yyn0",
          "no_load_loss_w": 570, "load_loss_w": 6200}, "3"),
    ],
)  # fmt: skip
def test_transformer_grade_boundaries(rated: dict[str, object], grade: str) -> None:
    r = grade_item("transformer", {**OIL10, **rated})
    assert r.status == "graded", r.reason
    assert r.grade == grade
    assert r.standard is not None and r.standard["standard"] == "GB 20052-2024"


@pytest.mark.parametrize(
    ("rated", "why"),
    [
        ({}, "insulation, voltage_kv, core, connection not declared"),
        ({**OIL10, "core": "electrical_steel", "connection": "Dyn11", "capacity_kva": 630},
         "not a row"),  # from 630 kVA the transcription gives Yyn0 rows only
        ({**OIL10, "core": "electrical_steel", "connection": "Dyn11", "capacity_kva": 450},
         "not a row"),  # not a tabulated capacity
        ({"insulation": "dry", "voltage_kv": 10, "core": "amorphous", "connection": "Dyn11"},
         "only 表1"),
        ({"insulation": "oil", "voltage_kv": 35, "core": "amorphous", "connection": "Dyn11"},
         "only 表1"),
    ],
)  # fmt: skip
def test_transformers_outside_the_table_are_not_graded(rated: dict[str, object], why: str) -> None:
    r = grade_item("transformer", {"capacity_kva": 400, "no_load_loss_w": 300,
                                   "load_loss_w": 3000, **rated})  # fmt: skip
    assert r.status == "not_tabulated" and r.grade is None
    assert why in (r.reason or "")
