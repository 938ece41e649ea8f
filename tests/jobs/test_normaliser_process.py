"""``serve``'s background normaliser with its runs in a child process
(:mod:`lingtan.jobs.normaliser_process`): the statistics it writes are those worked out by
hand, the serving process holds no rows for it, and a child that died is started again."""

from __future__ import annotations

import datetime as dt
import os
import signal

from lingtan.ingest import ingest
from lingtan.jobs.runner import BackgroundNormaliser
from lingtan.readings import Reading
from lingtan.registry import ParkModel
from lingtan.store import Store
from tests.jobs.test_normaliser_coalescing import until
from tests.normalize.test_incremental import hours_of

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
T0 = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
HOUR_US = 3_600_000_000


def hours(store: Store) -> dict[int, float | None]:
    """E01-main's hourly values by hour since T0."""
    t0 = int(T0.timestamp()) * 1_000_000
    return {(h - t0) // HOUR_US: row[0] for h, row in hours_of(store, "E01-main").items()}


def feed(store: Store, first: int, last: int) -> int:
    """E01-main (a total_increasing register) read every 15 min: 100 kWh at T0, +1 kWh a
    reading, readings ``first``..``last``."""
    readings = [
        Reading("E01-main", T0 + dt.timedelta(minutes=15 * k), 100.0 + k)
        for k in range(first, last + 1)
    ]
    return ingest(store, readings, now=NOW).accepted


def test_runs_in_a_child_process_and_survive_its_death(store: Store, small_park: ParkModel) -> None:
    store.registry.save_park(small_park)
    normaliser = BackgroundNormaliser(
        store, interval_s=60.0, min_interval_s=0.0, database_url=store.url
    )
    normaliser.start()
    try:
        # 00:00 … 02:00, nine readings: each of hours 0 and 1 holds four 15-minute steps of
        # 1 kWh (the interval ending on the hour belongs to the hour before); hour 2 has the
        # reading at 02:00 and no interval yet (no value)
        normaliser.poke(feed(store, 0, 8))
        assert until(lambda: store.stats.pending_dirty() == 0 and normaliser.runs == 1)
        assert normaliser.wait_idle(20)
        assert hours(store) == {0: 4.0, 1: 4.0, 2: None}
        # the serving process kept none of the committed rows: the child read them back
        assert store.readings.recent_columns([]) is None and not store.readings._recent

        child = normaliser._child
        assert child is not None and child._process is not None
        pid = child._process.pid
        assert pid is not None and pid != os.getpid()
        os.kill(pid, signal.SIGKILL)
        child._process.join(10)
        # 02:15 … 04:00: a new child does the next run; hours 2 and 3 add 4 kWh each
        normaliser.poke(feed(store, 9, 16))
        assert until(lambda: store.stats.pending_dirty() == 0, timeout=60)
        assert normaliser.wait_idle(20)
        assert hours(store) == {0: 4.0, 1: 4.0, 2: 4.0, 3: 4.0, 4: None}
        assert child._process is not None and child._process.pid != pid
    finally:
        normaliser.stop()
    assert normaliser._child is not None and normaliser._child._process is None
