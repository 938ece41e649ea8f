"""Targets as data: national size classes, Hunan milestones, a park plan inheriting national."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingtan.errors import InvalidInput, NotFound
from lingtan.indicators.targets import load_target_set, parse_target_set, select_target

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("energy", "expected"),
    [(200_000.0, 0.20), (999_999.0, 0.20), (1_000_000.0, 0.30), (3_000_000.0, 0.30)],
)
def test_national_core_threshold_by_park_size(energy: float, expected: float) -> None:
    target, tset, _ = select_target(
        load_target_set("national"), "carbon_per_energy", year=2025, energy_tce=energy
    )
    assert target is not None and target.value == expected and target.veto
    assert tset is not None and "910号" in tset.source


def test_no_national_core_threshold_below_20_wan_tce() -> None:
    target, _, (zh, en) = select_target(
        load_target_set("national"), "carbon_per_energy", year=2025, energy_tce=150_000.0
    )
    assert target is None
    assert "15.00万 tce" in zh and "no threshold" in en


@pytest.mark.parametrize(
    ("year", "energy", "target_year", "expected"),
    [
        (2025, 50_000.0, None, 1.0),  # first milestone after the data year: 2027
        (2028, 50_000.0, None, 0.7),
        (2031, 50_000.0, None, 0.3),
        (2040, 50_000.0, None, 0.3),  # later than every milestone: the last
        (2025, 50_000.0, 2035, 0.3),
        (2025, 2_000_000.0, 2030, 0.8),
    ],
)
def test_hunan_core_path(
    year: int, energy: float, target_year: int | None, expected: float
) -> None:
    target, _, _ = select_target(
        load_target_set("hunan"),
        "carbon_per_energy",
        year=year,
        energy_tce=energy,
        target_year=target_year,
    )
    assert target is not None and target.value == expected


def test_hunan_takes_national_thresholds_for_what_it_does_not_list() -> None:
    target, tset, _ = select_target(
        load_target_set("hunan"), "water_reuse", year=2025, energy_tce=None
    )
    assert (
        target is not None and target.value == 0.80 and tset is not None and tset.id == "national"
    )
    clean, hunan, _ = select_target(
        load_target_set("hunan"), "clean_energy_share", year=2029, energy_tce=None
    )
    assert clean is not None and clean.value == 0.70 and hunan is not None and hunan.id == "hunan"


def test_a_park_plan_file_with_milestones() -> None:
    plan = load_target_set(DATA / "park_plan_golden.yaml")
    assert plan.synthetic and plan.level == "park"
    t25, _, _ = select_target(plan, "carbon_per_energy", year=2025, energy_tce=1_000.0)
    t26, _, _ = select_target(plan, "carbon_per_energy", year=2026, energy_tce=1_000.0)
    assert (t25 and t25.value, t26 and t26.value) == (4.0, 3.0)


def test_unverified_grades_must_say_so_and_unknown_sets_are_not_found() -> None:
    text = (
        (DATA / "park_plan_golden.yaml")
        .read_text("utf-8")
        .replace("confidence: H, verified: true}", "confidence: U, verified: true}", 1)
    )
    with pytest.raises(InvalidInput, match="verified"):
        parse_target_set(text)
    with pytest.raises(NotFound):
        load_target_set("atlantis")


def test_the_demo_plan_is_shipped_and_labelled_synthetic() -> None:
    plan = load_target_set("demo-plan")
    assert plan.synthetic and "合成" in plan.source
    t, _, _ = select_target(plan, "clean_energy_share", year=2027, energy_tce=None)
    assert t is not None and t.value == 0.40
    inherited, tset, _ = select_target(plan, "solid_waste_utilisation", year=2027, energy_tce=None)
    assert inherited is not None and tset is not None and tset.id == "national"
