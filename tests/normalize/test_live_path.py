"""The live path: what ingest and the normaliser keep in memory between batches.

- Each point's last stored timestamp as this process has seen it: rows after it are inserted
  without being looked up. Another writer may have stored some of them meanwhile; the insert
  then meets them and the batch is staged — duplicates and conflicts are found as before.
- The rows of committed batches: a run whose every queued range came from this process
  continues its points from memory; a range from another writer sends it to the store.
- An hour that only grows (continued by readings after the point's last normalised one) keeps
  no history of its partial values; a late reading that revises an hour does.

One register point, one reading a minute, +1 kWh per minute: an hour's energy is the number
of one-minute steps inside it, counted by hand below.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from lingtan.ingest import ingest_columns
from lingtan.normalize.service import normalise_pending
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from lingtan.store import schema as s

T0 = 1_748_736_000_000_000  # 2025-06-01T00:00Z
MIN = 60_000_000
H = 60 * MIN
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
PARK = """\
park: {id: live, name: 实时园区, province: 江苏}
points:
  - {id: M1, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, interval_s: 60}
"""


@pytest.fixture
def two_writers(store_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on one database: this process's and another writer's."""
    a = open_store(store_url)
    a.registry.save_park(parse_park_text(PARK))
    b = open_store(store_url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def send(store: Store, minutes: range, *, offset: float = 0.0) -> tuple[int, int, int]:
    """Readings of M1 at T0 + m minutes with value 1000 + m (+ offset); (accepted,
    duplicates, rejected)."""
    pid = store.registry.points_by_code()["M1"].id
    ts = np.array([T0 + m * MIN for m in minutes], np.int64)
    values = np.array([1000.0 + m + offset for m in minutes])
    ack = ingest_columns(store, np.full(len(ts), pid, np.int64), ts, values, now=NOW)
    return ack.accepted, ack.duplicates, ack.rejected


def hour_value(store: Store, hour: int) -> float:
    with store.begin() as conn:
        return float(
            conn.execute(
                select(s.stat_hour.c.value).where(s.stat_hour.c.hour == T0 + hour * H)
            ).scalar_one()
        )


def history_rows(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(s.stat_hour_history)).scalar_one())


def queued(store: Store) -> list[tuple[int, int, str]]:
    """The queued dirty rows' tags (id, created_at, ranges)."""
    with store.begin() as conn:
        return store.stats.take_dirty_tagged(conn)[2]


def test_rows_another_writer_stored_meanwhile_are_found_and_not_stored_twice(
    two_writers: tuple[Store, Store],
) -> None:
    a, b = two_writers
    assert send(a, range(0, 5)) == (5, 0, 0)  # a has now seen minute 4 as M1's last
    assert send(b, range(5, 10)) == (5, 0, 0)  # stored behind a's back
    # minutes 5–9 again (equal values: duplicates), 10–12 new: a believes 5–12 all new
    assert send(a, range(5, 13)) == (3, 5, 0)
    # minute 11 with another value: a conflict, the stored value kept
    assert send(a, range(11, 12), offset=0.5) == (0, 0, 1)
    assert a.readings.count() == 13
    with a.begin() as conn:
        batches = conn.execute(
            select(s.ingest_batch.c.accepted, s.ingest_batch.c.duplicates).order_by(
                s.ingest_batch.c.id
            )
        ).all()
    # one record per batch: the insert that met b's rows left nothing behind
    assert [tuple(b) for b in batches] == [(5, 0), (5, 0), (3, 5), (0, 0)]
    # the re-sent minutes queued nothing: only 10–12 of a's third batch
    ranges = [json.loads(tag[2]) for tag in queued(a)]
    pid = a.registry.points_by_code()["M1"].id
    assert ranges == [[[pid, T0, T0 + 4 * MIN]], [[pid, T0 + 5 * MIN, T0 + 9 * MIN]],
                      [[pid, T0 + 10 * MIN, T0 + 12 * MIN]]]  # fmt: skip


def test_a_run_continues_from_memory_only_when_this_process_stored_every_queued_row(
    two_writers: tuple[Store, Store],
) -> None:
    a, b = two_writers
    send(a, range(0, 10))
    normalise_pending(a)
    # minutes 0–9: 9 one-minute steps of 1 kWh in hour 0
    assert hour_value(a, 0) == pytest.approx(9.0)
    send(a, range(10, 20))
    assert a.readings.recent_columns(queued(a)) is not None
    send(b, range(20, 30))
    send(a, range(30, 40))
    ids = queued(a)
    assert a.readings.recent_columns(ids) is None  # b's range is not held: read the store
    report = normalise_pending(a)
    assert report.continued == 1
    # minutes 0–39 without a gap: 39 steps, b's ten readings included
    assert hour_value(a, 0) == pytest.approx(39.0)
    assert a.readings.recent_columns(ids) is None  # the held rows were dropped after the run


def test_growing_hours_keep_no_history_and_a_revised_hour_does(
    two_writers: tuple[Store, Store],
) -> None:
    a, _ = two_writers
    send(a, range(0, 10))
    normalise_pending(a)
    before = history_rows(a)
    for start in range(10, 70, 10):  # six batches continue hours 0 and 1
        send(a, range(start, start + 10))
        assert normalise_pending(a).continued == 1
    assert history_rows(a) == before
    # minutes 0–69: 60 steps in hour 0, 9 in hour 1
    assert hour_value(a, 0) == pytest.approx(60.0)
    assert hour_value(a, 1) == pytest.approx(9.0)
    # a late reading at 00:30:30, between minutes 30 and 31, on their line (1030.5): the
    # energy stays, but hour 0 is recomputed and its content (one reading more) changes
    pid = a.registry.points_by_code()["M1"].id
    ack = ingest_columns(
        a,
        np.array([pid], np.int64),
        np.array([T0 + 30 * MIN + 30_000_000], np.int64),
        np.array([1030.5]),
        now=NOW,
    )
    assert ack.accepted == 1
    report = normalise_pending(a)
    assert report.continued == 0
    assert hour_value(a, 0) == pytest.approx(60.0)
    with a.begin() as conn:
        revised = conn.execute(
            select(s.stat_hour_history.c.hour, s.stat_hour_history.c.n).where(
                s.stat_hour_history.c.hour == T0
            )
        ).all()
    # hour 0 held 60 readings (minutes 0–59) before, 61 now: the old row is history
    assert [(int(h), int(n)) for h, n in revised][-1] == (T0, 60)


def test_held_rows_are_bounded(tmp_path: Path) -> None:
    from lingtan.store import readings_repo

    store = open_store(f"sqlite:///{tmp_path / 'bound.db'}")
    try:
        store.registry.save_park(parse_park_text(PARK))
        old = readings_repo.RECENT_MAX_ROWS
        readings_repo.RECENT_MAX_ROWS = 15
        try:
            send(store, range(0, 10))
            first = queued(store)
            send(store, range(10, 20))  # 20 rows held > 15: the first batch is let go
        finally:
            readings_repo.RECENT_MAX_ROWS = old
        assert store.readings.recent_columns(first) is None
        assert store.readings.recent_columns(queued(store)) is None
        assert store.readings.recent_columns(queued(store)[1:]) is not None
        report = normalise_pending(store)  # from the store: the same hours
        assert report.points == 1
        assert hour_value(store, 0) == pytest.approx(19.0)
    finally:
        store.close()


def test_a_reused_queue_id_does_not_pick_up_rows_held_for_another_batch(
    two_writers: tuple[Store, Store],
) -> None:
    a, b = two_writers
    send(a, range(0, 10))
    (held,) = queued(a)
    normalise_pending(b)  # b drains the queue: a's rows stay held in a
    send(b, range(10, 20))
    (new,) = queued(a)
    if a.capabilities.concurrent_writers:
        assert new[0] != held[0]  # PostgreSQL: a sequence, never reused
    else:
        assert new[0] == held[0]  # SQLite gives the new row the deleted row's id
    assert a.readings.recent_columns([new]) is None
    normalise_pending(a)
    # minutes 0–19: 19 steps in hour 0
    assert hour_value(a, 0) == pytest.approx(19.0)
