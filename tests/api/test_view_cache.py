"""The cache of computed views (park overview, energy flow) never answers for someone else:
the caller's permission and scope are checked before every lookup, and an entry is keyed by
the caller's tenant and the view's scope."""

from __future__ import annotations

import sys

from fastapi.testclient import TestClient

from lingtan.api.app import SWITCH_INTERVAL_S, create_app
from lingtan.api.overview.cache import VersionedCache
from lingtan.api.overview.service import MIN_REFRESH_S, VERSION_TTL_S
from lingtan.store.query_repo import QueryRepo
from tests.api.world import World


def test_a_cached_view_is_checked_against_every_caller(world: World) -> None:
    c = world.client
    cache = c.app.state.view_cache  # type: ignore[attr-defined]
    a = c.get("/api/v1/overview", headers=world.h("a_viewer"))
    assert a.status_code == 200
    hits = cache.hits
    assert c.get("/api/v1/overview", headers=world.h("a_viewer")).json() == a.json()
    assert cache.hits == hits + 1  # the entry is warm: what follows is asked of a warm cache
    # a caller bound to the same enterprise without the right to read: refused, not served
    assert c.get("/api/v1/overview", headers=world.h("integrator")).status_code == 403
    key = c.post(
        "/api/v1/keys",
        headers=world.h("a_admin"),
        json={"name": "A gateway", "scope": "ingest"},
    ).json()["key"]
    assert c.get("/api/v1/overview", headers={"X-API-Key": key}).status_code == 403
    # B sees B, and asking for A's view is the same 404 as asking for a missing enterprise
    b = c.get("/api/v1/overview", headers=world.h("b_viewer")).json()
    assert b["scope"]["enterprise_id"] == world.enterprises["E02"]
    assert a.json()["scope"]["enterprise_id"] == world.enterprises["E01"]
    aimed = c.get(
        "/api/v1/overview",
        headers=world.h("b_viewer"),
        params={"enterprise_id": world.enterprises["E01"]},
    )
    missing = c.get(
        "/api/v1/overview", headers=world.h("b_viewer"), params={"enterprise_id": 999_999}
    )
    assert aimed.status_code == missing.status_code == 404
    assert aimed.json()["detail"] == missing.json()["detail"]
    # a park-wide caller asking for A's view gets A's numbers (a separate entry, same data)
    park_a = c.get(
        "/api/v1/overview",
        headers=world.h("viewer"),
        params={"enterprise_id": world.enterprises["E01"]},
    ).json()
    assert park_a["month"]["total_tce"] == a.json()["month"]["total_tce"]
    assert park_a["scope"] == a.json()["scope"]


def test_the_data_version_is_read_at_most_once_per_interval() -> None:
    now = [100.0]
    reads: list[int] = []

    def read() -> int:
        reads.append(len(reads))
        return len(reads)

    cache = VersionedCache(version_ttl_s=1.0, clock=lambda: now[0])
    assert cache.data_version(read) == 1
    now[0] = 100.9
    assert cache.data_version(read) == 1 and len(reads) == 1  # within the second: reused
    now[0] = 101.0
    assert cache.data_version(read) == 2  # a second later: read again
    cache.clear()
    assert cache.data_version(read) == 3  # cleared: read again at once
    always = VersionedCache(clock=lambda: now[0])  # no interval: every call reads
    assert [always.data_version(read) for _ in range(2)] == [4, 5]


def test_both_versions_read_in_one_statement_equal_the_separate_reads(world: World) -> None:
    q = QueryRepo(world.store)
    assert q.versions() == (q.options_version(), q.data_version())
    assert q.versions(["park"]) == (q.options_version(), q.data_version(["park"]))


def test_an_options_change_made_here_shows_at_once_though_versions_are_reused(
    world: World,
) -> None:
    """The stored versions are read at most once a second; a change of the park's options
    through this process must still never be answered with a view of the old options."""
    c = world.client
    app_state = c.app.state  # type: ignore[attr-defined]
    kept = app_state.view_cache
    # a frozen clock: every read below falls within one version interval
    app_state.view_cache = VersionedCache(
        version_ttl_s=VERSION_TTL_S, min_refresh_s=MIN_REFRESH_S, clock=lambda: 100.0
    )
    try:
        h = world.h("admin")
        first = c.get("/api/v1/overview", headers=h)
        assert first.status_code == 200
        changed = c.put(
            "/api/v1/options",
            json={"changes": {"export_kind": "non_fossil"}, "reason": "test"},
            headers=h,
        )
        assert changed.status_code == 200, changed.text
        version = changed.json()["version"]
        assert first.json()["carbon"]["year"]["park_options_version"] != version
        after = c.get("/api/v1/overview", headers=h).json()
        assert after["carbon"]["year"]["park_options_version"] == version
        assert after["carbon"]["month"]["park_options_version"] == version
    finally:
        app_state.view_cache = kept


def test_the_service_shortens_the_thread_switch_interval_while_it_runs(
    sqlite_world: World,
) -> None:
    """CPU-bound threads of the serving process (the normaliser, a view's recomputation)
    hold the GIL for at most this long against a request coming back from the database."""
    kept = sys.getswitchinterval()  # the world's own service may be running already
    sys.setswitchinterval(0.005)  # CPython's default
    try:
        app = create_app(sqlite_world.settings, store=sqlite_world.store, background=False)
        with TestClient(app):
            assert sys.getswitchinterval() == SWITCH_INTERVAL_S < 0.005
        assert sys.getswitchinterval() == 0.005
    finally:
        sys.setswitchinterval(kept)
