"""The cache of computed views (park overview, energy flow) never answers for someone else:
the caller's permission and scope are checked before every lookup, and an entry is keyed by
the caller's tenant and the view's scope."""

from __future__ import annotations

from lingtan.api.overview.cache import VersionedCache
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
