"""Grading at the boundaries of each level (inclusive ≤), 标杆/基准 classes, backward list."""

from __future__ import annotations

import pytest

from lingtan.compliance.backward import backward_list
from lingtan.compliance.grading import efficiency_class, grade, limit_level, unit_energy
from lingtan.compliance.reference import EfficiencyLevel, efficiency_levels
from lingtan.errors import InvalidInput
from lingtan.indicators.limits import load_limits

LIMITS = {r.product: r for r in load_limits()}
LEVELS = efficiency_levels()


@pytest.mark.parametrize(
    ("value", "level"),
    [(99.9, 1), (100.0, 1), (100.01, 2), (107.0, 2), (107.01, 3), (117.0, 3), (117.01, None)],
)
def test_clinker_levels_are_inclusive(value: float, level: int | None) -> None:
    # GB 16780-2021 表2 as recorded: 1级 ≤100, 2级 ≤107, 3级 ≤117 kgce/t
    assert limit_level(value, LIMITS["cement_clinker"]) == level


@pytest.mark.parametrize(
    ("value", "level"), [(-30.0, 1), (-29.0, 2), (-28.0, 2), (-12.0, 3), (-11.9, None)]
)
def test_negative_converter_levels(value: float, level: int | None) -> None:
    assert limit_level(value, LIMITS["converter_steel"]) == level


def test_a_level_the_source_lacks_is_skipped() -> None:
    # GB 21340-2019 表1 as transcribed (adgo07/ECQuota-Insight
    # tools/build_verified_rules_batch11.py): lines ≤ 500 t/d have no 1级 or 2级 ("—"),
    # 3级 ≤ 14.0 kgce/重量箱
    glass = LIMITS["flat_glass_le500"]
    assert set(glass.levels) == {3}
    assert limit_level(9.0, glass) == 3 and limit_level(14.0, glass) == 3
    assert limit_level(14.01, glass) is None


@pytest.mark.parametrize(
    ("value", "level"),
    [(805.0, 1), (805.01, 2), (823.0, 2), (823.01, 3), (940.0, 3), (940.01, None)],
)
def test_calcium_carbide_levels_at_the_boundaries(value: float, level: int | None) -> None:
    # GB 21343-2023 表1 as transcribed (adgo07/ECQuota-Insight
    # tools/build_verified_rules_batch2.py, row calcium-carbide-energy ["805", "823", "940"]):
    # 1级 ≤805, 2级 ≤823, 3级 ≤940 kgce/t; equal to a level's value is in that level
    carbide = LIMITS["calcium_carbide"]
    assert (carbide.standard, carbide.edition) == ("GB 21343-2023", "2023")
    assert limit_level(value, carbide) == level


@pytest.mark.parametrize(
    ("value", "cls"),
    [(361.0, "benchmark"), (361.5, "between"), (435.0, "between"), (435.5, "below_baseline")],
)
def test_benchmark_inclusive_baseline_strict(value: float, cls: str) -> None:
    # 723号 blast furnace 标杆 361, 基准 435 (domain reference §6, M): equal to 基准 is not
    # "低于基准水平"
    assert efficiency_class(value, LEVELS["blast_furnace_iron"]) == cls


def test_benchmark_records_without_a_source_are_not_shipped() -> None:
    # the recalled 标杆/基准 values were removed (no transcription of the 723号 table found):
    # the records left name the domain reference (M) or its one weak source (L)
    assert set(LEVELS) == {"blast_furnace_iron", "converter_steel", "coke_stamp_charged"}
    assert all("recalled" not in (r.note or "") for r in LEVELS.values())
    assert "cement_clinker" not in LEVELS and "ammonia_natural_gas" not in LEVELS


def test_grade_refuses_a_unit_mismatch_and_zero_output() -> None:
    with pytest.raises(InvalidInput, match="unit"):
        grade(
            enterprise="E1", product="cement_clinker", value=1.0, unit="kWh/t", output=1.0,
            output_unit="t", limit=LIMITS["cement_clinker"], level=None,
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="output"):
        unit_energy(10.0, 0.0)


def _g(ent: str, value: float, output: float, lvl: EfficiencyLevel) -> object:
    return grade(
        enterprise=ent, product=lvl.product, value=value, unit=lvl.unit, output=output,
        output_unit="t", limit=None, level=lvl,
    )  # fmt: skip


def test_backward_list_ranked_by_gap_times_output() -> None:
    lvl = LEVELS["blast_furnace_iron"]  # 基准 435
    grades = [
        _g("A", 448.0, 1000.0, lvl),  # gap 13 × 1000 = 13 000
        _g("B", 468.0, 300.0, lvl),  # gap 33 × 300 = 9 900
        _g("C", 435.0, 99999.0, lvl),  # at 基准: not backward
        _g("D", 438.0, 10000.0, lvl),  # gap 3 × 10 000 = 30 000
    ]
    out = backward_list(grades, year=2024, deadline_year=2025)  # type: ignore[arg-type]
    assert [e.grade.enterprise for e in out] == ["D", "A", "B"]
    assert [e.excess for e in out] == pytest.approx([30000.0, 13000.0, 9900.0])
    assert out[2].gap == pytest.approx(33.0) and out[0].years_left == 1
