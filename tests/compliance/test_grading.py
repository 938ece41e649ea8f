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
    # GB 21343-2015 as recorded: 准入值 823 (level 2), 限定值 1000 (level 3), no 先进值
    carbide = LIMITS["calcium_carbide"]
    assert 1 not in carbide.levels
    assert limit_level(500.0, carbide) == 2 and limit_level(823.0, carbide) == 2
    assert limit_level(1000.0, carbide) == 3 and limit_level(1000.5, carbide) is None


@pytest.mark.parametrize(
    ("value", "cls"),
    [(100.0, "benchmark"), (100.5, "between"), (117.0, "between"), (117.5, "below_baseline")],
)
def test_benchmark_inclusive_baseline_strict(value: float, cls: str) -> None:
    # 723号 clinker 标杆 100, 基准 117: equal to 基准 is not "低于基准水平"
    assert efficiency_class(value, LEVELS["cement_clinker"]) == cls


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
    lvl = LEVELS["cement_clinker"]  # 基准 117
    grades = [
        _g("A", 130.0, 1000.0, lvl),  # gap 13 × 1000 = 13 000
        _g("B", 150.0, 300.0, lvl),  # gap 33 × 300 = 9 900
        _g("C", 117.0, 99999.0, lvl),  # at 基准: not backward
        _g("D", 120.0, 10000.0, lvl),  # gap 3 × 10 000 = 30 000
    ]
    out = backward_list(grades, year=2024, deadline_year=2025)  # type: ignore[arg-type]
    assert [e.grade.enterprise for e in out] == ["D", "A", "B"]
    assert [e.excess for e in out] == pytest.approx([30000.0, 13000.0, 9900.0])
    assert out[2].gap == pytest.approx(33.0) and out[0].years_left == 1
