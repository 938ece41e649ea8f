"""The background normaliser of ``serve`` coalesces runs: a burst of pokes within the minimum
interval gives no new run until the interval has passed, and announced readings past the
threshold start one at once."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import pytest

from lingtan.ingest import ingest
from lingtan.jobs.runner import BackgroundNormaliser
from lingtan.readings import Reading
from lingtan.registry import ParkModel
from lingtan.store import Store, open_store

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
T0 = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def sqlite_store(sqlite_url: str, small_park: ParkModel) -> Iterator[Store]:
    store = open_store(sqlite_url)
    store.registry.save_park(small_park)
    try:
        yield store
    finally:
        store.close()


def until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def feed(store: Store, k: int) -> int:
    at = T0 + dt.timedelta(minutes=15 * k)
    return ingest(store, [Reading("E01-main", at, 100.0 + k)], now=NOW).accepted


def test_a_burst_of_pokes_waits_for_the_minimum_interval(sqlite_store: Store) -> None:
    normaliser = BackgroundNormaliser(
        sqlite_store, interval_s=60.0, min_interval_s=60.0, pending_readings=1_000
    )
    normaliser.start()
    try:
        normaliser.poke(feed(sqlite_store, 0))
        assert until(lambda: normaliser.runs == 1 and sqlite_store.stats.pending_dirty() == 0)
        for k in range(1, 6):
            normaliser.poke(feed(sqlite_store, k))
        time.sleep(0.5)
        # five batches wait in the queue: within the minimum interval no run starts
        assert normaliser.runs == 1
        assert sqlite_store.stats.pending_dirty() == 5
        # announced readings past the threshold start a run without waiting
        normaliser.poke(1_000)
        assert until(lambda: sqlite_store.stats.pending_dirty() == 0)
        assert normaliser.runs == 2
    finally:
        normaliser.stop()
