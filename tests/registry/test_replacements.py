"""Meter replacements (换表) in the park file, and the checks every recording path shares
(park file, API, command line, CSV file): a bad replacement gets a clear error and nothing of
its batch is recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from lingtan.errors import Conflict, InvalidInput, PermissionDenied
from lingtan.ingest import ingest
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.registry.model import MeterReplacement
from lingtan.registry.replacements import (
    load_park,
    parse_csv,
    record_replacements,
    replacement_of,
)
from lingtan.store import Store
from lingtan.store.query_repo import Tenant
from tests.conftest import SMALL_PARK

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CST = dt.timezone(dt.timedelta(hours=8))
SECTION = """\
meter_replacements:
  - point: E01-main
    at: 2025-07-15T10:30:00+08:00
    old_final: 12345.6
    new_initial: 0
    note: 换表工单 2025-031
"""
PER_POINT = SMALL_PARK.replace(
    "    register_max: 100000\n    max_rate: 400\n",
    "    register_max: 100000\n    max_rate: 400\n"
    "    replacements:\n"
    "      - {at: 2025-08-01T09:00:00+08:00, old_final: 99000, new_initial: 12.5, multiplier: 2}\n",
)


def error_of(text: str) -> str:
    with pytest.raises(InvalidInput) as info:
        parse_park_text(text, name="park.yaml")
    return str(info.value)


def event(point: str = "E01-main", minute: int = 40, old: float = 123, new: float = 50, **kw):  # type: ignore[no-untyped-def]
    at = dt.datetime(2025, 3, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
    return MeterReplacement(point=point, at=at, old_final=old, new_initial=new, **kw)


def readings(store: Store, point: str, series: list[tuple[int, float]]) -> None:
    t0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    ingest(store, [Reading(point, t0 + dt.timedelta(minutes=m), v) for m, v in series], now=NOW)


# -- the park file --------------------------------------------------------------------------
def test_park_file_declares_replacements_in_a_section_and_under_points() -> None:
    model = parse_park_text(PER_POINT + SECTION)
    found = {
        (e.point, e.at, e.old_final, e.new_initial, e.multiplier) for e in model.all_replacements()
    }
    assert found == {
        ("E01-main", dt.datetime(2025, 7, 15, 10, 30, tzinfo=CST), 12345.6, 0.0, None),
        ("E02-main", dt.datetime(2025, 8, 1, 9, 0, tzinfo=CST), 99000.0, 12.5, 2.0),
    }


def test_park_file_loads_replacements_once(store: Store) -> None:
    model = parse_park_text(PER_POINT + SECTION)
    first = load_park(store, model, actor="test", now=NOW)
    assert first.created["meter_replacement"] == 2
    again = load_park(store, model, actor="test", now=NOW)
    assert "meter_replacement" not in again.created
    assert again.unchanged["meter_replacement"] == 2
    rows, total = store.replacements.list(tenant=Tenant.park_wide())
    assert total == 2 and {r.source for r in rows} == {"park file"}
    # the tenant key is the point's enterprise
    points = store.registry.points_by_code()
    assert {r.enterprise_id for r in rows} == {
        points["E01-main"].enterprise_id,
        points["E02-main"].enterprise_id,
    }
    audited = store.audit.list(entity="meter_replacement")
    assert len(audited) == 2 and {a["actor"] for a in audited} == {"test"}
    # a changed value for a recorded replacement refuses the whole file: they are never edited
    changed = parse_park_text(PER_POINT + SECTION.replace("12345.6", "12345.7"))
    with pytest.raises(Conflict, match="never edited"):
        load_park(store, changed, actor="test", now=NOW)


def test_park_file_refuses_a_naive_replacement_time_with_its_line() -> None:
    msg = error_of(SMALL_PARK + SECTION.replace("10:30:00+08:00", "10:30:00"))
    line = 1 + (SMALL_PARK + SECTION).splitlines().index("    at: 2025-07-15T10:30:00+08:00")
    assert f"park.yaml:{line} meter_replacements[0].at" in msg and "no UTC offset" in msg


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"point: E01-main": "point: E99-main"}, "unknown point 'E99-main'"),
        ({"new_initial: 0": "new_initial: -1"}, "new_initial -1 is below zero"),
        ({"point: E01-main": "point: park-net"}, "a virtual point has no meter to replace"),
        ({"point: E01-main": "point: E01-power"}, "measurement points have no register"),
        ({"point: E01-main": "point: E02-gas"}, "interval points have no register"),
        ({"old_final: 12345.6": "old_final: .nan"}, "finite number"),
        ({"2025-07-15": "1999-07-15"}, "before 2000-01-01"),
    ],
)
def test_park_file_refuses_impossible_replacements(change: dict[str, str], expected: str) -> None:
    text = SECTION
    for old, new in change.items():
        text = text.replace(old, new)
    assert expected in error_of(SMALL_PARK + text)


def test_park_file_refuses_the_same_replacement_twice() -> None:
    twice = SECTION + SECTION.split("\n", 1)[1]
    assert "declared twice" in error_of(SMALL_PARK + twice)


# -- checks against the readings --------------------------------------------------------------
def test_old_final_below_the_last_reading_is_refused_and_nothing_recorded(loaded: Store) -> None:
    """Old meter 100, 110, 120 at 00:00–00:30; a final value of 119 at 00:40 would have the
    old register count down. The batch's other (valid) replacement is not recorded either."""
    readings(loaded, "E01-main", [(0, 100), (15, 110), (30, 120)])
    with pytest.raises(InvalidInput) as info:
        record_replacements(
            loaded,
            [event(point="E02-main", old=5, new=0), event(old=119)],
            actor="test",
            source="test",
            now=NOW,
        )
    msg = str(info.value)
    assert (
        "old_final 119 is below the last reading before it (120 at 2025-03-01T00:30:00+00:00)"
        in msg
    )
    assert "nothing recorded" in msg
    assert loaded.replacements.list(tenant=Tenant.park_wide())[1] == 0
    assert loaded.stats.pending_dirty() == 1  # the readings' batch only


def test_new_initial_above_the_first_reading_after_is_refused(loaded: Store) -> None:
    readings(loaded, "E01-main", [(0, 100), (45, 55)])
    with pytest.raises(
        InvalidInput, match=r"new_initial 60 is above the first reading after it \(55 at"
    ):
        record_replacements(loaded, [event(old=123, new=60)], actor="t", source="t", now=NOW)


def test_values_are_checked_against_other_replacements_without_readings_between(
    loaded: Store,
) -> None:
    """A replacement at 00:40 with initial 50 and no reading after it: a later one at 01:00
    whose final value is 40 would have the meter installed at 00:40 count down."""
    record_replacements(loaded, [event(minute=40, old=5, new=50)], actor="t", source="t", now=NOW)
    with pytest.raises(InvalidInput, match="below the initial value of the replacement"):
        record_replacements(
            loaded, [event(minute=60, old=40, new=0)], actor="t", source="t", now=NOW
        )
    record_replacements(loaded, [event(minute=60, old=58, new=0)], actor="t", source="t", now=NOW)


def test_unknown_point_future_instant_and_repeats_are_listed_together(loaded: Store) -> None:
    future = MeterReplacement(
        point="E01-main", at=NOW + dt.timedelta(hours=1), old_final=1, new_initial=0
    )
    with pytest.raises(InvalidInput) as info:
        record_replacements(
            loaded,
            [event(point="E77-main"), future, event(), event()],
            actor="t",
            source=["row 2", "row 3", "row 4", "row 5"],
            now=NOW,
        )
    msg = str(info.value)
    assert "row 2: E77-main at" in msg and "unknown point 'E77-main'" in msg
    assert "row 3:" in msg and "in the future" in msg
    assert "row 5:" in msg and "the same point and instant as replacement 3" in msg


def test_recording_the_same_replacement_again_changes_nothing(loaded: Store) -> None:
    first = record_replacements(loaded, [event()], actor="t", source="t", now=NOW)
    again = record_replacements(loaded, [event()], actor="t", source="t", now=NOW)
    assert len(first.created) == 1 and not again.created
    assert again.unchanged[0].id == first.created[0].id
    with pytest.raises(Conflict):
        record_replacements(loaded, [event(old=124)], actor="t", source="t", now=NOW)


def test_a_caller_limited_to_points_records_nothing_outside_them(loaded: Store) -> None:
    with pytest.raises(PermissionDenied, match="outside your scope"):
        record_replacements(
            loaded,
            [event(point="E01-main"), event(point="E02-main", old=5, new=0)],
            actor="t",
            source="t",
            allowed={"E01-main", "E01-hvac"},
            now=NOW,
        )
    assert loaded.replacements.list(tenant=Tenant.park_wide())[1] == 0


def test_an_enterprise_lists_its_own_replacements_only(loaded: Store) -> None:
    record_replacements(
        loaded,
        [event(point="E01-main"), event(point="E02-main", old=5, new=0)],
        actor="t",
        source="t",
        now=NOW,
    )
    points = loaded.registry.points_by_code()
    e01 = points["E01-main"].enterprise_id
    assert e01 is not None
    rows, total = loaded.replacements.list(tenant=Tenant.of_enterprise(e01))
    assert total == 1 and rows[0].point_id == points["E01-main"].id


# -- text input -------------------------------------------------------------------------------
def test_replacement_of_text_refuses_a_naive_time_and_bad_numbers() -> None:
    with pytest.raises(InvalidInput, match="no UTC offset"):
        replacement_of(
            {"point": "E01-main", "at": "2025-07-15 10:30", "old_final": "1", "new_initial": "0"},
            where="x",
        )
    with pytest.raises(InvalidInput, match="old_final: 'abc' is not a number"):
        replacement_of(
            {
                "point": "E01-main",
                "at": "2025-07-15T10:30+08:00",
                "old_final": "abc",
                "new_initial": "0",
            },
            where="x",
        )
    with pytest.raises(InvalidInput, match="multiplier"):
        replacement_of(
            {
                "point": "E01-main",
                "at": "2025-07-15T10:30+08:00",
                "old_final": "1",
                "new_initial": "0",
                "multiplier": "0",
            },
            where="x",
        )


def test_csv_rows_are_read_with_their_lines_and_bad_rows_listed() -> None:
    good = (
        "\ufeffpoint,at,old_final,new_initial,multiplier,note\n"
        'E01-main,2025-07-15T10:30:00+08:00,"12,345.6",0,,工单 31\n'
        "\n"
        "E02-main,2025-08-01T09:00:00+08:00,99000,12.5,2,\n"
    ).encode()
    events, sources = parse_csv(good, "swaps.csv")
    assert sources == ["csv:swaps.csv:2", "csv:swaps.csv:4"]
    assert [(e.point, e.old_final, e.new_initial, e.multiplier, e.note) for e in events] == [
        ("E01-main", 12345.6, 0.0, None, "工单 31"),
        ("E02-main", 99000.0, 12.5, 2.0, None),
    ]
    bad = (
        b"point,at,old_final,new_initial\n"
        b"E01-main,2025-07-15 10:30,1,0\n"
        b"E01-main,2025-07-16T10:30:00+08:00,x,0\n"
        b"E01-main,2025-07-17T10:30:00+08:00,1,0\n"
    )
    with pytest.raises(InvalidInput) as info:
        parse_csv(bad, "swaps.csv")
    msg = str(info.value)
    assert "2 problem(s), nothing recorded" in msg
    assert "swaps.csv:2 at" in msg and "swaps.csv:3 old_final: 'x' is not a number" in msg
    with pytest.raises(InvalidInput, match="missing new_initial"):
        parse_csv(b"point,at,old_final\nE01-main,2025-07-15T10:30:00+08:00,1\n", "x.csv")


def test_park_file_compares_instants_not_their_spelling() -> None:
    """08:00 at +08:00 and 00:00 UTC are one instant: declared twice. An instant at the very
    end of the calendar with a negative offset is an error of its own, not a crash."""
    same = (
        "meter_replacements:\n"
        "  - {point: E01-main, at: 2025-01-01T08:00:00+08:00, old_final: 1, new_initial: 0}\n"
        "  - {point: E01-main, at: 2025-01-01T00:00:00Z, old_final: 1, new_initial: 0}\n"
    )
    assert "declared twice" in error_of(SMALL_PARK + same)
    edge = (
        "meter_replacements:\n"
        "  - {point: E01-main, at: 9999-12-31T23:59:59-01:00, old_final: 1, new_initial: 0}\n"
    )
    model = parse_park_text(SMALL_PARK + edge)
    assert len(model.all_replacements()) == 1


def test_a_replacement_at_the_end_of_the_calendar_is_in_the_future(loaded: Store) -> None:
    far = MeterReplacement(
        point="E01-main",
        at=dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(-dt.timedelta(hours=1))),
        old_final=1,
        new_initial=0,
    )
    with pytest.raises(InvalidInput, match="in the future"):
        record_replacements(loaded, [far], actor="t", source="t", now=NOW)
