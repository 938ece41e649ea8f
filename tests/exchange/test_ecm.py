"""The online-monitoring data model and its checks (pure)."""

from __future__ import annotations

import pytest

from lingtan.alarms.notify.model import Channel, channel_spec, matches
from lingtan.errors import InvalidInput
from lingtan.exchange.ecm import (
    Dataset,
    Finding,
    Item,
    Unit,
    check,
    payload,
    refused,
    uscc_valid,
)

VALID = "914403001922038216"


def test_uscc_check_character_by_hand() -> None:
    # GB 32100-2015: values of positions 1-17 of 91440300192203821 × weights 3^(i-1) mod 31
    # (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28):
    # 9 + 3 + 36 + 108 + 0 + 78 + 0 + 0 + 20 + 261 + 50 + 26 + 0 + 72 + 80 + 60 + 28 = 831;
    # 831 mod 31 = 25; 31 − 25 = 6 → the 18th character is 6
    assert uscc_valid(VALID)
    assert not uscc_valid(VALID[:17] + "7")
    assert not uscc_valid(VALID[:16] + "I6")  # I is not in the code's alphabet
    assert not uscc_valid(VALID[:17])


def _dataset(
    daily: list[float], monthly: float, *, completeness: float = 1.0, estimated: bool = False
) -> Dataset:
    items = [
        Item(
            "electricity_grid_import",
            "电力",
            "total",
            "day",
            f"2025-01-0{k + 1}T00:00:00+08:00",
            v,
            "kWh",
            completeness,
            estimated,
        )
        for k, v in enumerate(daily)
    ]
    items.append(
        Item(
            "electricity_grid_import",
            "电力",
            "total",
            "month",
            "2025-01-01T00:00:00+08:00",
            monthly,
            "kWh",
            1.0,
        )
    )
    return Dataset(Unit(VALID, "甲"), 2025, 1, tuple(items), days=len(daily))


def test_daily_within_five_percent_of_monthly_passes_and_beyond_is_refused() -> None:
    # Σ daily 100: monthly 105 → |100 − 105| = 5 ≤ 5 % × 105 = 5.25: consistent
    assert check(_dataset([50, 50], 105)) == []
    # monthly 106 → 6 > 5.3: refused, naming the rule
    findings = check(_dataset([50, 50], 106))
    assert [(f.rule, f.level) for f in findings] == [("consistency", "error")]
    assert refused(findings)


def test_completeness_below_ninety_percent_is_refused_and_estimates_are_flagged() -> None:
    assert refused(check(_dataset([50, 50], 100, completeness=0.89)))
    flagged = check(_dataset([50, 50], 100, completeness=0.9, estimated=True))
    assert {(f.rule, f.level) for f in flagged} == {("estimated", "warning")}
    assert not refused(flagged)


def test_a_missing_day_and_a_bad_unit_code_are_refused_with_reasons() -> None:
    ds = _dataset([50, 50], 100)
    short = Dataset(Unit("123", "乙", code="E02"), 2025, 1, ds.items, days=3)
    rules = {f.rule for f in check(short)}
    assert rules == {"unit.uscc", "completeness"}


def test_bad_granularity_names_the_field() -> None:
    bad = Item("diesel", "柴油", "total", "hour", "x", 1.0, "t", 1.0)
    with pytest.raises(InvalidInput, match=r"items\[0\].granularity"):
        check(Dataset(Unit(VALID, "甲"), 2025, 1, (bad,), days=31))


def test_payload_is_ordered_and_holds_the_findings() -> None:
    ds = _dataset([50, 50], 100, estimated=True)
    body = payload(ds, check(ds))
    assert body["schema"] == "lingtan-ecm/1"
    assert [i["granularity"] for i in body["items"]] == ["day", "day", "month"]
    assert body["checks"][0]["level"] == "warning"
    assert payload(ds, check(ds)) == body


def test_channel_topics_are_checked_and_alarms_reach_alarm_channels_only() -> None:
    url = "https://example.com/h"
    with pytest.raises(InvalidInput, match="topics"):
        channel_spec(code="a", name="a", kind="webhook", target=url, topics=["weather"])
    with pytest.raises(InvalidInput, match="ecm"):
        channel_spec(code="a", name="a", kind="ecm", target=url, topics=["report"])
    with pytest.raises(InvalidInput, match="e-mail"):
        channel_spec(code="a", name="a", kind="email", target=["a@b.cn"], topics=["report"])

    def channel(kind: str, topics: frozenset[str] | None) -> Channel:
        return Channel(1, 1, "c", "c", kind, url, "hint", None, None, True, topics=topics)

    args = {"enterprise_id": None, "severity": "critical", "kind": "threshold"}
    assert matches(channel("webhook", None), **args)  # a channel made before topics
    assert not matches(channel("webhook", frozenset({"report"})), **args)
    assert matches(channel("webhook", frozenset({"report", "alarm"})), **args)
    assert not matches(channel("ecm", None), **args)


def _quarter_dataset(values: list[float | None], daily: float, **kw: bool) -> Dataset:
    """One day (1 January 2025): its 15-minute items, its daily item and the month's item."""

    def item(gran: str, start: str, v: float | None) -> Item:
        return Item("electricity_grid_import", "电力", "total", gran, start, v, "kWh",
                    1.0 if v is not None else 0.0, kw.get("estimated", False))  # fmt: skip

    quarters = [
        item("15min", f"2025-01-01T{k // 4:02d}:{15 * (k % 4):02d}:00+08:00", v)
        for k, v in enumerate(values)
    ]
    day = "2025-01-01T00:00:00+08:00"
    items = (*quarters, item("day", day, daily), item("month", day, daily))
    return Dataset(Unit(VALID, "甲"), 2025, 1, items, days=1)


def _rules(ds: Dataset) -> list[tuple[str, str]]:
    return [(f.rule, f.level) for f in check(ds)]


def test_sum_of_a_days_quarters_within_five_percent_of_the_daily_value() -> None:
    # Σ 96 × 1.0 = 96 kWh: daily 100 → |96 − 100| = 4 ≤ 5 % × 100 = 5: consistent
    assert _rules(_quarter_dataset([1.0] * 96, 100.0)) == []
    # daily 102 → 6 > 5 % × 102 = 5.1: refused
    assert _rules(_quarter_dataset([1.0] * 96, 102.0)) == [("quarter.consistency", "error")]


def test_quarter_completeness_counts_the_values_collected() -> None:
    # 87 of 96 with a value: 87 / 96 = 90.6 % ≥ 90 % passes; the day is not summed (9 unknown
    # quarters), so Σ 87 against the daily 100 is no finding
    assert _rules(_quarter_dataset([1.0] * 87 + [None] * 9, 100.0)) == []
    # 86 of 96: 89.6 % < 90 %: refused
    assert _rules(_quarter_dataset([1.0] * 86 + [None] * 10, 100.0)) == [
        ("quarter.completeness", "error")
    ]
    # 95 items for 96
    (f,) = check(_quarter_dataset([1.0] * 95, 95.0))
    assert f.rule == "quarter.completeness" and "95 15-minute values for 96" in f.message
    # estimated quarters: one warning for the day (besides the daily and monthly items')
    got = check(_quarter_dataset([1.0] * 96, 96.0, estimated=True))
    assert [f.message for f in got if "15-minute" in f.message] == [
        "electricity_grid_import/total [kWh] 2025-01-01: 96 of 96 15-minute values partly estimated"
    ]


def test_the_builders_notes_come_first_and_keep_their_level() -> None:
    note = Finding("production", "warning", "no product output record")
    ds = _quarter_dataset([1.0] * 96, 96.0)
    with_note = Dataset(ds.unit, 2025, 1, ds.items, days=1, notes=(note,))
    assert check(with_note) == [note] and not refused([note])
