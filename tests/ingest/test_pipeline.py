"""The ingest pipeline on SQLite and PostgreSQL: validation, idempotency, conflicts, quarantine."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lingtan.errors import Unavailable
from lingtan.ingest import ingest, ingest_columns
from lingtan.readings import Reading
from lingtan.store import Store
from lingtan.timeutil import to_us

T = dt.datetime(2025, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def batch() -> list[Reading]:
    return [Reading("E01-main", T + dt.timedelta(minutes=15 * i), 100.0 + i) for i in range(8)]


def test_resending_a_batch_changes_nothing(loaded: Store) -> None:
    first = ingest(loaded, batch(), now=NOW)
    assert (first.accepted, first.duplicates, first.rejected) == (8, 0, 0)
    again = ingest(loaded, batch(), now=NOW)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 8, 0)
    assert loaded.readings.count() == 8


def test_conflicting_value_is_quarantined_and_stored_value_kept(loaded: Store) -> None:
    ingest(loaded, batch(), now=NOW)
    changed = batch()
    changed[3] = Reading("E01-main", changed[3].ts, 555.0, source="gw-7")
    ack = ingest(loaded, changed, now=NOW)
    assert (ack.accepted, ack.duplicates, ack.rejected) == (0, 7, 1)
    assert ack.reasons == {"conflict": 1}
    pid = loaded.registry.points_by_code()["E01-main"].id
    _, values = loaded.readings.fetch(pid)
    assert values[3] == 103.0
    reject = loaded.readings.rejected(reason="conflict")[0]
    assert (
        reject["value_text"] == "555.0"
        and "103.0" in reject["detail"]
        and reject["source"] == "gw-7"
    )


def test_conflict_inside_one_batch_keeps_the_first(loaded: Store) -> None:
    readings = [
        Reading("E01-main", T, 1.0),
        Reading("E01-main", T, 2.0),
        Reading("E01-main", T, 1.0),
    ]
    ack = ingest(loaded, readings, now=NOW)
    assert (ack.accepted, ack.duplicates, ack.rejected) == (1, 1, 1)
    pid = loaded.registry.points_by_code()["E01-main"].id
    assert loaded.readings.fetch(pid)[1].tolist() == [1.0]


@pytest.mark.parametrize(
    ("reading", "reason"),
    [
        (Reading("nope", T, 1.0), "unknown_point"),
        (Reading("park-net", T, 1.0), "virtual_point"),
        (Reading("E01-main", T.replace(tzinfo=None), 1.0), "naive_timestamp"),
        (Reading("E01-main", "2025-01-01 08:00", 1.0), "naive_timestamp"),
        (Reading("E01-main", "yesterday", 1.0), "bad_timestamp"),
        (Reading("E01-main", NOW + dt.timedelta(hours=1), 1.0), "future_timestamp"),
        (Reading("E01-main", dt.datetime(1999, 1, 1, tzinfo=dt.UTC), 1.0), "implausible_timestamp"),
        (Reading("E01-main", T, None), "missing_value"),
        (Reading("E01-main", T, "n/a"), "bad_value"),
        (Reading("E01-main", T, float("nan")), "not_finite"),
        (Reading("E01-main", T, float("inf")), "not_finite"),
        (Reading("E01-main", T, 1.0, unit="m3"), "unit_mismatch"),
        (Reading("E01-main", T, 1.0, unit="furlongs"), "unknown_unit"),
        (Reading("E01-main", T, -5.0), "negative_register"),
        (Reading("E02-gas", T, -5.0), "negative_consumption"),
    ],
)
def test_each_rule_rejects_with_its_reason_and_keeps_the_reading(
    loaded: Store, reading: Reading, reason: str
) -> None:
    raw = f'{{"point": "{reading.point}"}}'
    reading = Reading(reading.point, reading.ts, reading.value, reading.unit, "test", raw)
    ack = ingest(loaded, [reading, *batch()], source="unit-test", now=NOW)
    assert ack.accepted == 8 and ack.rejected == 1 and ack.reasons == {reason: 1}
    stored = loaded.readings.rejected()[0]
    assert stored["reason"] == reason and stored["raw"] == raw and stored["source"] == "test"
    assert loaded.readings.count() == 8


def test_a_reading_the_connector_could_not_read_is_quarantined_as_malformed(
    loaded: Store,
) -> None:
    # the other fields would pass every rule: the problem alone rejects it, on the fast path's
    # batch shape too, and the reject is filed under the point that could be made out
    good = batch()
    bad = Reading("E01-main", T + dt.timedelta(hours=9), 5.0, None, "file:x.csv:9",
                  "E01-main,2025-01-01T17:00:00+08:00,5,kWh", "line 9: 4 fields where the header has 3")  # fmt: skip
    ack = ingest(loaded, [*good, bad], now=NOW)
    assert (ack.accepted, ack.duplicates, ack.rejected) == (8, 0, 1)
    assert ack.reasons == {"malformed_row": 1}
    (row,) = loaded.readings.rejected(reason="malformed_row", limit=10)
    assert row["detail"] == "line 9: 4 fields where the header has 3"
    assert row["raw"] == "E01-main,2025-01-01T17:00:00+08:00,5,kWh"
    assert row["point_id"] == loaded.registry.points_by_code()["E01-main"].id
    assert loaded.readings.count() == 8


def test_compatible_unit_is_converted_to_the_point_unit(loaded: Store) -> None:
    ack = ingest(loaded, [Reading("E01-main", T, 2500.0, unit="Wh")], now=NOW)
    assert ack.accepted == 1
    pid = loaded.registry.points_by_code()["E01-main"].id
    assert loaded.readings.fetch(pid)[1].tolist() == [2.5]


def test_numeric_text_and_iso_strings_are_accepted(loaded: Store) -> None:
    ack = ingest(loaded, [Reading("E01-main", "2025-01-01T00:00:00Z", "12.5")], now=NOW)
    assert ack.accepted == 1


def test_timestamps_keep_microseconds(loaded: Store) -> None:
    t = dt.datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=dt.UTC)
    ingest(loaded, [Reading("E01-main", t, 1.0)], now=NOW)
    pid = loaded.registry.points_by_code()["E01-main"].id
    assert loaded.readings.fetch(pid)[0].tolist() == [int(t.timestamp()) * 1_000_000 + 123456]


def test_columnar_ingest_applies_the_same_rules(loaded: Store) -> None:
    points = loaded.registry.points_by_code()
    pid, virtual = points["E01-main"].id, points["park-net"].id
    base = int(T.timestamp()) * 1_000_000
    ack = ingest_columns(
        loaded,
        np.array([pid, pid, pid, virtual, 99_999], np.int64),
        np.array([base, base + 900_000_000, base + 900_000_000, base, base], np.int64),
        np.array([1.0, np.nan, 2.0, 3.0, 4.0]),
        now=NOW,
    )
    assert ack.accepted == 2
    assert ack.reasons == {"not_finite": 1, "virtual_point": 1, "unknown_point": 1}


def test_a_failed_commit_acknowledges_nothing(
    loaded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the database fails while writing, ingest raises and nothing of the batch is stored."""
    original = loaded.readings._write

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)
        raise Unavailable("disk full")

    monkeypatch.setattr(loaded.readings, "_write", failing)
    with pytest.raises(Unavailable):
        ingest(loaded, batch(), now=NOW)
    monkeypatch.undo()
    assert loaded.readings.count() == 0
    assert loaded.readings.rejected_count() == 0


def test_unreachable_database_is_unavailable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lingtan.store import open_store

    with pytest.raises(Unavailable):
        open_store("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_fast_path_timestamps_are_exact_to_the_microsecond() -> None:
    """Clean batches convert datetimes through ``datetime.timestamp``; for any instant from
    2000 to 2099, any microsecond and common zones, the result equals the exact integer
    arithmetic of ``to_us``."""
    from zoneinfo import ZoneInfo

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lingtan.ingest.pipeline import _clean_columns
    from lingtan.store import PointRecord
    from lingtan.timeutil import to_us

    point = PointRecord(
        id=7, park_id=1, enterprise_id=None, site_id=None, code="m", name="m",
        carrier="electricity_grid_import", kind="total_increasing", unit="kWh", level=1,
        parent_id=None, multiplier=1.0, register_max=None, max_rate=None, interval_s=900,
        formula=None, boundary=True,
    )  # fmt: skip
    zones = st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
         ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")]
    )  # fmt: skip

    @settings(max_examples=500, deadline=None)
    @given(
        st.lists(
            st.tuples(st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)), zones),
            min_size=1,
            max_size=20,
        )
    )
    def check(stamps: list[tuple[dt.datetime, dt.tzinfo]]) -> None:
        aware = [naive.replace(tzinfo=tz) for naive, tz in stamps]
        columns = _clean_columns([Reading("m", t, 1.0) for t in aware], {"m": point})
        assert columns is not None
        assert columns[1].tolist() == [to_us(t) for t in aware]

    check()


def test_an_integer_too_large_for_a_float_is_rejected_as_bad_value(loaded: Store) -> None:
    """10**400 (a JSON number of 401 digits) has no 64-bit float; it is kept as a bad_value
    reject and the rest of the batch is stored, on the clean-batch and the per-reading path."""
    big = Reading("E01-main", T + dt.timedelta(days=1), 10**400)
    for readings in ([*batch(), big], [*batch(), big, Reading("E01-main", T, "n/a")]):
        ack = ingest(loaded, readings, now=NOW)
        assert ack.reasons.get("bad_value", 0) >= 1 and ack.accepted + ack.duplicates == 8
    rows = loaded.readings.rejected(reason="bad_value")
    assert {r["detail"] for r in rows if r["value_text"].startswith("1000")} == {
        "an integer of 401 digits does not fit a 64-bit float"
    }


def test_a_reject_reads_the_same_in_a_clean_batch_and_in_a_mixed_one(loaded: Store) -> None:
    """A future reading, and a reading for a virtual point, are refused with the same detail
    and the same filed instant whether the rest of their batch was clean or not."""
    future = Reading("E01-main", NOW + dt.timedelta(hours=1), 1.0, source="a")
    virtual = Reading("park-net", T + dt.timedelta(hours=3), 1.0, source="b")
    text = Reading("E01-main", T + dt.timedelta(days=2), "n/a", source="c")
    ingest(loaded, [future, virtual], now=NOW)  # all clean
    ingest(loaded, [future, virtual, text], now=NOW)  # one reading needs care
    for reason in ("future_timestamp", "virtual_point"):
        rows = loaded.readings.rejected(reason=reason)
        assert len(rows) == 2
        assert rows[0]["detail"] == rows[1]["detail"] and rows[0]["ts"] == rows[1]["ts"]
    (one, _) = loaded.readings.rejected(reason="future_timestamp")
    assert one["detail"] == "more than 300 s ahead of the clock"


def test_a_few_resends_among_new_readings_are_found_and_only_new_hours_are_queued(
    loaded: Store,
) -> None:
    # stored: 08:00 … 09:45 local (8 readings); sent: two of them again (one changed) and
    # four new ones (10:00 … 10:45); then a late reading that was never stored (07:45)
    ingest(loaded, batch(), now=NOW)
    with loaded.begin() as conn:
        loaded.stats.delete_dirty(conn, loaded.stats.take_dirty(conn)[0])
    new = [Reading("E01-main", T + dt.timedelta(minutes=15 * i), 100.0 + i) for i in range(8, 12)]
    resent = [batch()[6], Reading("E01-main", batch()[7].ts, 777.0)]
    ack = ingest(loaded, [*resent, *new], now=NOW)
    assert (ack.accepted, ack.duplicates, ack.rejected) == (4, 1, 1)
    assert ack.reasons == {"conflict": 1}
    pid = loaded.registry.points_by_code()["E01-main"].id
    with loaded.begin() as conn:
        _, ranges = loaded.stats.take_dirty(conn)
    # only the new readings' span is queued, not the re-sent ones before it
    ten, quarter_to_eleven = (to_us(T + dt.timedelta(minutes=15 * i)) for i in (8, 11))
    assert ranges[pid] == (ten, quarter_to_eleven)
    late = ingest(loaded, [Reading("E01-main", T - dt.timedelta(minutes=15), 99.5)], now=NOW)
    assert (late.accepted, late.duplicates, late.rejected) == (1, 0, 0)
    _, values = loaded.readings.fetch(pid)
    assert values.tolist() == [99.5, *(100.0 + i for i in range(12))]


def test_a_backfill_before_the_stored_readings_is_stored_whole(loaded: Store) -> None:
    ingest(loaded, batch(), now=NOW)
    earlier = [
        Reading("E01-main", T - dt.timedelta(minutes=15 * (i + 1)), 99.0 - i) for i in range(6)
    ]
    ack = ingest(loaded, earlier, now=NOW)
    assert (ack.accepted, ack.duplicates, ack.rejected) == (6, 0, 0)
    assert loaded.readings.count() == 14
