"""Views under load: one computation per view and key at a time, the previous value served
while it is recomputed, the new number once the recomputation is done, and waits that end in
a 503 instead of a hang (issue 13: every client froze for a minute while late data flowed)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from lingtan.api.overview.cache import VersionedCache
from lingtan.errors import Unavailable
from lingtan.store import Store
from lingtan.store.core import serving_request
from tests.api.world import World
from tests.conftest import fresh_store


def test_concurrent_callers_share_one_computation() -> None:
    cache = VersionedCache()
    release = threading.Event()
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        release.wait(10)
        return "figures"

    answers: list[str] = []
    callers = [
        threading.Thread(target=lambda: answers.append(cache.get_or_compute("k", 1, compute)))
        for _ in range(12)
    ]
    for t in callers:
        t.start()
    release.set()
    for t in callers:
        t.join(10)
    assert answers == ["figures"] * 12
    assert len(calls) == 1 and cache.computations == 1


def test_the_previous_value_is_served_while_it_is_recomputed() -> None:
    cache = VersionedCache()
    assert cache.get_or_compute("k", 1, lambda: "old", stale_ok=True) == "old"
    release = threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        release.wait(10)
        return "new"

    # the data moved on: every caller gets the old answer at once, one recomputation runs
    assert [cache.get_or_compute("k", 2, slow, stale_ok=True) for _ in range(5)] == ["old"] * 5
    assert len(calls) == 1
    release.set()
    assert cache.settle(10)
    assert cache.get_or_compute("k", 2, slow, stale_ok=True) == "new"
    assert len(calls) == 1  # the recomputed value is a hit at its version


def test_a_failed_recomputation_keeps_the_previous_value() -> None:
    cache = VersionedCache()
    cache.get_or_compute("k", 1, lambda: "old", stale_ok=True)

    def broken() -> str:
        raise RuntimeError("database went away")

    assert cache.get_or_compute("k", 2, broken, stale_ok=True) == "old"
    assert cache.settle(10)
    # still there (not a cold miss for every following caller), and recomputed next time
    assert cache.get_or_compute("k", 2, lambda: "new", stale_ok=True) == "old"
    assert cache.settle(10)
    assert cache.get_or_compute("k", 2, lambda: "unused", stale_ok=True) == "new"


def test_a_caller_without_a_previous_value_gets_an_error_of_the_computation() -> None:
    cache = VersionedCache()

    def broken() -> str:
        raise ValueError("date: years 2000-2100")

    with pytest.raises(ValueError, match="years"):
        cache.get_or_compute("k", 1, broken, stale_ok=True)


def test_waiting_for_a_computation_too_long_is_unavailable_not_a_hang() -> None:
    cache = VersionedCache(wait_s=0.05)
    release = threading.Event()
    with pytest.raises(Unavailable, match="being computed"):
        cache.get_or_compute("k", 1, lambda: release.wait(10) and "late")
    release.set()
    assert cache.settle(10)
    assert cache.get_or_compute("k", 1, lambda: "unused") == "late"  # the work was not lost


def test_the_overview_shows_new_data_after_its_recomputation(sqlite_world: World) -> None:
    w = sqlite_world
    cache = VersionedCache()  # no reuse of the data version: a change is seen at once
    w.client.app.state.view_cache = cache  # type: ignore[attr-defined]
    before = w.client.get("/api/v1/overview", headers=w.h("admin")).json()
    total = before["quarantine"]["total"]
    # two readings the pipeline must reject (not a number; a point that does not exist)
    bad = [
        {"point": "E01-grid", "ts": "2025-01-21T10:00:00+08:00", "value": "n/a"},
        {"point": "NO-SUCH-POINT", "ts": "2025-01-21T10:00:00+08:00", "value": 1.0},
    ]
    r = w.client.post("/api/v1/readings", headers=w.h("admin"), json=bad)
    assert r.status_code == 200 and r.json()["rejected"] == 2, r.text
    stale = w.client.get("/api/v1/overview", headers=w.h("admin")).json()
    assert stale["quarantine"]["total"] == total  # served while the new one is computed
    assert cache.settle(30)
    fresh = w.client.get("/api/v1/overview", headers=w.h("admin")).json()
    assert fresh["quarantine"]["total"] == total + 2


def test_a_request_blocked_by_the_write_lock_is_answered_503(
    sqlite_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lingtan.store import core

    w = sqlite_world
    limited: list[bool] = []
    real = core.request_limits  # type: ignore[attr-defined]

    def recording(conn: Any, *, sqlite: bool) -> None:
        limited.append(sqlite)
        real(conn, sqlite=sqlite)

    # the request's mark follows it into the thread pool that runs the ingest
    monkeypatch.setattr(core, "request_limits", recording)
    path = w.store.engine.url.database
    assert path is not None
    holder = sqlite3.connect(path, timeout=1, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock
        r = w.client.post(
            "/api/v1/readings",
            headers=w.h("admin"),
            json=[{"point": "E01-grid", "ts": "2025-01-31T10:00:00+08:00", "value": 1.0}],
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"]
    assert "unavailable" in r.json()["detail"]
    assert limited and all(limited)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_request_transactions_wait_for_locks_only_briefly(engine: str, tmp_path: Path) -> None:
    from lingtan.store import engine as limits

    with fresh_store(engine, tmp_path) as store:
        sqlite = engine == "sqlite"

        def waits(s: Store) -> list[str]:
            with s.begin() as conn:
                if sqlite:
                    return [str(conn.exec_driver_sql("PRAGMA busy_timeout").scalar())]
                return [
                    str(conn.exec_driver_sql(f"SHOW {name}").scalar())
                    for name in ("lock_timeout", "statement_timeout")
                ]

        background = waits(store)
        with serving_request():
            request = waits(store)
        after = waits(store)
        if sqlite:
            assert background == after == [str(limits.SQLITE_BUSY_TIMEOUT_MS)]
            assert request == [str(limits.REQUEST_SQLITE_BUSY_TIMEOUT_MS)]
        else:
            assert background == after == ["0", "0"]  # PostgreSQL's defaults: no limit
            assert request == [
                f"{limits.REQUEST_PG_LOCK_TIMEOUT_MS // 1000}s",
                f"{limits.REQUEST_PG_STATEMENT_TIMEOUT_MS // 1000}s",
            ]


def test_a_stale_view_is_recomputed_at_most_once_per_interval() -> None:
    now = [100.0]
    cache = VersionedCache(min_refresh_s=5.0, clock=lambda: now[0])
    cache.get_or_compute("k", 1, lambda: "v1", stale_ok=True)  # computed at 100
    now[0] = 103.0  # new data 3 s later: the previous value, no recomputation yet
    assert cache.get_or_compute("k", 2, lambda: "v2", stale_ok=True) == "v1"
    assert cache.settle(10) and cache.computations == 1
    now[0] = 105.0  # 5 s after the last computation began: recomputed
    assert cache.get_or_compute("k", 2, lambda: "v2", stale_ok=True) == "v1"
    assert cache.settle(10) and cache.computations == 2
    assert cache.get_or_compute("k", 2, lambda: "unused", stale_ok=True) == "v2"
    # a caller that may not be served stale is never held back by the interval
    now[0] = 106.0
    assert cache.get_or_compute("k", 3, lambda: "v3") == "v3"
