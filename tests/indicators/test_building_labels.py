"""Building counts of the indicator profiles from the energy-performance labels the park model's
sites declare (GB/T 51350-2019 classes, GB/T 50378-2019 grades), with the records as the
fallback when no site in scope declares a label of the family — never both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lingtan.indicators.profile_eval import ProfileResult, evaluate_profile
from lingtan.indicators.profiles import load_profile
from lingtan.registry import parse_park_text
from lingtan.registry.building_labels import families
from lingtan.store import Store, open_store
from tests.indicators.test_evaluation_golden import _add

PARK = """\
park: {id: label-park, name: 标识测试园区, province: 江西}
enterprises:
  - {id: A, name: 甲企业}
  - {id: B, name: 乙企业}
sites:
  - {id: A-1, name: 甲研发楼, enterprise: A, energy_label: ultra_low_energy,
     energy_label_certificate: ULE-01, energy_label_date: 2023-05-10, green_building_star: 3}
  - {id: A-2, name: 甲办公楼, enterprise: A, energy_label: zero_energy, green_building_star: 1}
  - {id: A-3, name: 甲宿舍楼, enterprise: A, energy_label: near_zero_energy,
     energy_label_date: 2025-02-01}
  - {id: B-1, name: 乙办公楼, enterprise: B, energy_label: near_zero_energy, green_building_star: 2}
  - {id: B-2, name: 乙仓库, enterprise: B, green_building_star: basic}
  - {id: P-1, name: 园区服务中心, energy_label: ultra_low_energy, green_building_star: 2}
  - {id: P-2, name: 园区门卫室}
"""
NAMES = ("buildings_ultra_low_energy", "buildings_near_zero_energy", "buildings_green_high_star")


@pytest.fixture
def labelled(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'l.db'}")
    store.registry.save_park(parse_park_text(PARK), actor="test")
    yield store
    store.close()


def _buildings(store: Store, enterprise: str | None = None, **period: Any) -> ProfileResult:
    ids = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    ev = evaluate_profile(
        store, load_profile("jiangxi"), park_type="non_chemical",
        enterprise_id=None if enterprise is None else ids[enterprise], **(period or {"year": 2025, "month": 1}),
    )  # fmt: skip
    return ev.result("efficient_buildings")


def _counts(r: ProfileResult) -> tuple[float | None, ...]:
    return tuple(r.quantities[n] for n in NAMES)


def _sources(r: ProfileResult) -> dict[str, str]:
    return {e["quantity"]: e["source"] for e in r.evidence if e["kind"] == "basis"}


def test_the_park_counts_its_labelled_sites(labelled: Store) -> None:
    r = _buildings(labelled)
    # January 2025, every site of the park:
    #   ultra-low: A-1, P-1 = 2
    #   near-zero: A-2 (zero-energy counts as near-zero), B-1 = 2; A-3 granted 2025-02-01,
    #              after the month's last day, not yet
    #   high-star (二星级, 三星级): A-1 (3), B-1 (2), P-1 (2) = 3; A-2 (1) and B-2 (basic) are not
    assert _counts(r) == (2, 2, 3)
    assert r.value == 2 + 2 + 3
    assert set(_sources(r).values()) == {"park_model"}
    sites = [(e["site"], e["counted"]) for e in r.evidence if e["kind"] == "site"]
    assert sorted(sites) == sorted([
        ("A-1", True), ("P-1", True),  # ultra-low
        ("A-2", True), ("A-3", False), ("B-1", True),  # near-zero (A-3 named, not counted)
        ("A-1", True), ("B-1", True), ("P-1", True),  # high-star
    ])  # fmt: skip
    a1 = next(e for e in r.evidence if e.get("site") == "A-1" and "energy_label" in e)
    assert (a1["label"], a1["certificate"], a1["date"], a1["enterprise"]) == (
        "超低能耗建筑", "ULE-01", "2023-05-10", "A",
    )  # fmt: skip
    # the whole of 2025: A-3's label (granted 2025-02-01) counts
    assert _counts(_buildings(labelled, year=2025)) == (2, 3, 3)


def test_an_enterprise_counts_only_its_own_sites(labelled: Store) -> None:
    # A: ultra-low A-1; near-zero A-2 (A-3 not yet); high-star A-1
    assert _counts(_buildings(labelled, "A")) == (1, 1, 1)
    # B declares energy labels (B-1 near-zero): its ultra-low count is 0 from the park model;
    # high-star B-1
    b = _buildings(labelled, "B")
    assert _counts(b) == (0, 1, 1)
    assert {e["site"] for e in b.evidence if e["kind"] == "site"} == {"B-1"}


def test_records_are_not_added_to_declared_labels(labelled: Store) -> None:
    _add(labelled, "A", "buildings", "ultra_low_energy", 5, "1")
    _add(labelled, "A", "buildings", "green_star_2", 4, "1")
    r = _buildings(labelled, "A")
    assert _counts(r) == (1, 1, 1)
    assert not [e for e in r.evidence if e["kind"] == "record"]


GOLDEN_SITES = """\
park: {id: plain-park, name: 无标识园区, province: 江西}
enterprises:
  - {id: A, name: 甲企业}
  - {id: B, name: 乙企业}
sites:
  - {id: A-1, name: 甲厂房, enterprise: A}
  - {id: B-1, name: 乙厂房, enterprise: B%s}
"""


def test_without_labels_the_records_count(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        store.registry.save_park(parse_park_text(GOLDEN_SITES % ""), actor="test")
        r = _buildings(store)
        assert r.status == "insufficient_data" and set(r.missing) == set(NAMES)
        assert "energy_label" in r.reason_en and "green_building_star" in r.reason_en
        jan_end = (dt.date(2025, 1, 31), dt.date(2025, 1, 31))
        _add(store, "A", "buildings", "ultra_low_energy", 4, "1", jan_end)
        _add(store, "A", "buildings", "near_zero_energy", 1, "1", jan_end)
        _add(store, "B", "buildings", "green_star_2", 2, "1", jan_end)
        _add(store, "B", "buildings", "green_star_3", 1, "1", jan_end)
        r = _buildings(store)
        # records: ultra-low 4 (A), near-zero 1 (A), high-star 2 + 1 = 3 (B)
        assert _counts(r) == (4, 1, 3) and r.value == 8
        assert set(_sources(r).values()) == {"records"}
        # B-1 now declares 二星级: the green-star family comes from the park model (1 site),
        # the energy labels still from the records
        store.registry.save_park(
            parse_park_text(GOLDEN_SITES % ", green_building_star: 2"), actor="test"
        )
        r = _buildings(store)
        assert _counts(r) == (4, 1, 1)
        assert _sources(r) == {
            "buildings_ultra_low_energy": "records",
            "buildings_near_zero_energy": "records",
            "buildings_green_high_star": "park_model",
        }
    finally:
        store.close()


def test_the_reference_data_names_the_standards() -> None:
    fam = families()
    assert fam["energy_label"].standard == "GB/T 51350-2019"
    assert [c.name_zh for c in fam["energy_label"].classes] == [
        "超低能耗建筑", "近零能耗建筑", "零能耗建筑",
    ]  # fmt: skip
    assert fam["green_building_star"].standard == "GB/T 50378-2019"
    assert fam["green_building_star"].codes == ("basic", "1", "2", "3")
    assert all(f.confidence and not f.verified for f in fam.values())
