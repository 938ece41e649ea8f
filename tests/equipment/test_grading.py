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
    r = grade_item("chiller", {"cooling_kw": 500, "cop": 6.0})
    assert r.status == "no_grade_table" and r.grade is None
    assert r.standard is not None and r.standard["standard"] == "GB 19577-2015"
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


# GB 19153-2019 (compressor.json transcription, converted line for line into
# data/gb19153_2019.csv), maximum specific power in kW/(m3/min) of grades 1/2/3, read from the
# transcription's rows:
# 表1 一般用喷油回转（工频）110 kW, 0.8 MPa, 风冷: R000583 6.1, R000595 6.6, R000607 7.3;
# 表2 一般用变转速喷油回转 22 kW, 0.7 MPa, 液冷: R001302 6.5, R001314 7.0, R001326 7.8;
# 表4 全无油润滑往复活塞 2.2 kW, 1.25 MPa (no cooling column): R002286 11.7, R002293 12.4,
# R002300 14.6. A value equal to a limit reaches the grade (at most the limit).
AC_110 = {"compressor_kind": "oil_injected_rotary", "rated_kw": 110, "flow_m3min": 20,
          "pressure_mpa": 0.8, "cooling": "air"}  # fmt: skip
VSD_22 = {"compressor_kind": "oil_injected_rotary_vsd", "rated_kw": 22, "flow_m3min": 3.5,
          "pressure_mpa": 0.7, "cooling": "liquid"}  # fmt: skip
OF_22 = {"compressor_kind": "oil_free_reciprocating", "rated_kw": 2.2, "flow_m3min": 0.2,
         "pressure_mpa": 1.25, "cooling": "air"}  # fmt: skip


@pytest.mark.parametrize(
    ("rated", "sp", "grade", "limits"),
    [
        (AC_110, 6.1, "1", (6.1, 6.6, 7.3)),
        (AC_110, 6.11, "2", (6.1, 6.6, 7.3)),
        (AC_110, 7.3, "3", (6.1, 6.6, 7.3)),
        (AC_110, 7.31, "below_3", (6.1, 6.6, 7.3)),
        (VSD_22, 6.5, "1", (6.5, 7.0, 7.8)),
        (VSD_22, 7.0, "2", (6.5, 7.0, 7.8)),
        (VSD_22, 7.81, "below_3", (6.5, 7.0, 7.8)),
        (OF_22, 12.4, "2", (11.7, 12.4, 14.6)),
        (OF_22, 14.6, "3", (11.7, 12.4, 14.6)),
        (OF_22, 14.7, "below_3", (11.7, 12.4, 14.6)),
    ],
)  # fmt: skip
def test_compressor_grade_boundaries(
    rated: dict[str, object], sp: float, grade: str, limits: tuple[float, float, float]
) -> None:
    r = grade_item("air_compressor", {**rated, "specific_power_kw_per_m3min": sp})
    assert r.status == "graded", r.reason
    assert r.grade == grade
    assert r.thresholds == dict(zip(("1", "2", "3"), limits, strict=True))
    assert r.unit == "kW/(m3/min)"
    assert r.standard is not None and r.standard["standard"] == "GB 19153-2019"


def test_a_measured_specific_power_is_graded_like_the_nameplate() -> None:
    # no nameplate value: the measured 6.5 kW/(m3/min) of AC_110 is grade 2 (6.1 < 6.5 ≤ 6.6)
    assert grade_item("air_compressor", AC_110).status == "no_value"
    assert grade_item("air_compressor", AC_110, value=6.5).grade == "2"


@pytest.mark.parametrize(
    ("rated", "why"),
    [
        ({**AC_110, "compressor_kind": None}, "compressor_kind not declared"),
        ({**AC_110, "pressure_mpa": 0.9}, "not a row"),  # 0.8 and 1.0 MPa are tabulated
        ({**AC_110, "rated_kw": 100}, "not a row"),  # 90 and 110 kW are tabulated
        # 表1 1.5 kW liquid-cooled: "-" in all grades (R000008, R000020, R000032 null)
        ({**AC_110, "rated_kw": 1.5, "cooling": "liquid"}, "not applicable"),
        # 表4 18.5 kW: "-" in every column (R002428…R002448 null)
        ({**OF_22, "rated_kw": 18.5, "pressure_mpa": 0.8}, "not applicable"),
    ],
)  # fmt: skip
def test_compressors_outside_the_table_are_not_graded(rated: dict[str, object], why: str) -> None:
    r = grade_item("air_compressor", {**rated, "specific_power_kw_per_m3min": 6.0})
    assert r.status == "not_tabulated" and r.grade is None
    assert why in (r.reason or "")


def test_the_compressor_file_has_every_row_of_the_transcription() -> None:
    # compressor.json holds 2 469 rows, GB19153-R000001…R002469; the CSV has one line per row
    import csv
    from importlib import resources

    text = resources.files("lingtan.equipment").joinpath("data", "gb19153_2019.csv")
    rows = list(csv.DictReader(text.read_text("utf-8").splitlines()))
    assert len(rows) == 2469
    assert [r["data_id"] for r in rows] == [f"GB19153-R{i:06d}" for i in range(1, 2470)]
    std = standard_for("air_compressor")
    assert std is not None and std.compressor_table is not None
    assert std.compressor_table.rows == 2469
    assert (std.confidence, std.verified) == ("M", False)


def test_the_converter_copies_rows_in_order_and_keeps_dashes_empty() -> None:
    from lingtan.equipment.gb19153_import import to_csv

    def row(i: int, sp: float | None) -> dict[str, object]:
        return {"table": "表3", "type": "一般用往复活塞", "power_kw": 3.0, "level": i,
                "pressure_mpa": 0.25, "cooling": "", "specific_power": sp,
                "data_id": f"GB19153-R00000{i}", "source_pages": "11-12"}  # fmt: skip

    doc = {"standard_code": "GB 19153-2019", "rows": [row(1, None), row(2, 7.3)]}
    assert to_csv(doc).splitlines()[1:] == [
        "GB19153-R000001,表3,一般用往复活塞,3.0,1,0.25,,,11-12",
        "GB19153-R000002,表3,一般用往复活塞,3.0,2,0.25,,7.3,11-12",
    ]
    with pytest.raises(ValueError, match="standard_code"):
        to_csv({**doc, "standard_code": "GB 19761-2020"})
    with pytest.raises(ValueError, match="keys"):
        to_csv({**doc, "rows": [{**row(1, 7.0), "extra": 1}]})


def test_compressor_kind_is_validated_with_the_field_named() -> None:
    with pytest.raises(InvalidInput, match=r"rated\.compressor_kind"):
        parse_spec({"code": "AC-9", "name": "x", "type": "air_compressor",
                    "rated": {**AC_110, "compressor_kind": "screw"}})  # fmt: skip


def test_a_compressor_file_out_of_order_is_refused() -> None:
    from lingtan.equipment.reference import load_compressor_rows

    std = standard_for("air_compressor")
    assert std is not None and std.compressor_table is not None
    ct = std.compressor_table.model_copy(update={"rows": 3})
    head = "data_id,table,type,power_kw,level,pressure_mpa,cooling,specific_power,source_pages"
    ok = [
        "GB19153-R000001,表3,一般用往复活塞,3.0,1,0.4,,6.8,11-12",
        "GB19153-R000002,表3,一般用往复活塞,3.0,2,0.4,,7.3,11-12",
        "GB19153-R000003,表3,一般用往复活塞,3.0,3,0.4,,8.0,11-12",
    ]
    rows = load_compressor_rows(ct, "\n".join([head, *ok]), "x.csv")
    assert [r.limits for r in rows.values()] == [(6.8, 7.3, 8.0)]
    swapped = [ok[0], ok[1].replace(",7.3,", ",6.7,"), ok[2]]  # grade 2 below grade 1
    with pytest.raises(InvalidInput, match="grade 1 ≤ grade 2"):
        load_compressor_rows(ct, "\n".join([head, *swapped]), "x.csv")
    with pytest.raises(InvalidInput, match="out of sequence"):
        load_compressor_rows(ct, "\n".join([head, ok[0], ok[2], ok[1]]), "x.csv")
    partial = [ok[0], ok[1].replace(",7.3,", ",,"), ok[2]]
    with pytest.raises(InvalidInput, match="some grades"):
        load_compressor_rows(ct, "\n".join([head, *partial]), "x.csv")
