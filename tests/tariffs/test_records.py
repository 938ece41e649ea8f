"""Tariff records: the shipped files load, and the loader refuses broken calendars."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingtan.errors import InvalidInput, NotFound
from lingtan.tariffs import records

GOOD = """
id: t-test
version: 1
province: 江苏
user_class: 大工业
voltage: 1-10kV
valid_from: 2025-01-01
valid_to: null
pricing: prices
schedules:
- name: all
  months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
  hours:
  - {period: 低谷, from: "00:00", to: "08:00"}
  - {period: 高峰, from: "08:00", to: "24:00"}
prices: {高峰: 1.0, 低谷: 0.3}
source: {notice: null, title: test, issuer: test, date: null, url: null}
confidence: L
"""


def test_every_shipped_record_loads_with_source_and_confidence() -> None:
    shipped = records.shipped()
    provinces = {r.province for r in shipped if not r.synthetic}
    assert {"江苏", "浙江", "广东"} <= provinces
    for r in shipped:
        assert r.confidence in {"H", "M", "L"}
        assert r.source.title and r.source.issuer
        # a record whose values were not checked against the notice says what is unchecked
        if r.confidence == "L":
            assert r.unverified


def test_a_valid_record_parses() -> None:
    (t,) = records.parse_tariffs(GOOD, "good.yaml")
    assert t.key == "t-test@1"
    assert t.schedule(7).hours[0].end == 8 * 60


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        # overlap: 低谷 to 09:00 while 高峰 starts at 08:00
        ('to: "08:00"}', 'to: "09:00"}', "schedules"),
        # a gap: nothing covers 08:00-09:00
        ('from: "08:00", to: "24:00"', 'from: "09:00", to: "24:00"', "schedules"),
        # the day ends before 24:00
        ('to: "24:00"', 'to: "23:00"', "schedules"),
        # an unknown period name
        ("period: 高峰", "period: 峰段", "schedules"),
        # a minute past the hour 60
        ('to: "08:00"}', 'to: "07:60"}', "schedules"),
        # a month without a schedule
        ("months: [1, 2, 3", "months: [2, 3", "schedules"),
        # a period without a price
        ("prices: {高峰: 1.0, 低谷: 0.3}", "prices: {高峰: 1.0}", "prices"),
    ],
)
def test_broken_records_are_refused_naming_the_field(old: str, new: str, field: str) -> None:
    assert old in GOOD
    with pytest.raises(InvalidInput, match=field):
        records.parse_tariffs(GOOD.replace(old, new), "bad.yaml")


def test_a_newer_version_is_found_without_code_changes(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(GOOD + "---\n" + GOOD.replace("version: 1", "version: 2"), "utf-8")
    loaded = records.load_file(path)
    assert [t.key for t in records.latest(loaded)] == ["t-test@2"]


def test_unknown_tariff_is_not_found() -> None:
    with pytest.raises(NotFound):
        records.find("no-such-tariff")
