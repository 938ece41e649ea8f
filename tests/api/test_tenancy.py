"""Tenant isolation, generated from the OpenAPI schema: every operation is called as a caller of
enterprise A (E01) — its users and its API keys — against enterprise B's (E02) resources, and
anonymously; B's finished report job, single resource query parameters, ingest keys, and
interleaved callers on threads.

A new route fails these tests until its path parameters, and for writes its request body, are
described in ``tests/api/walk.py`` — so no route can be added without being walked.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.walk import (
    RESOURCE_QUERY,
    missing_ids,
    no_b_data,
    operations,
    request_for,
    single_query_calls,
    walk,
)
from tests.api.world import World

#: callers bound to enterprise A that may read: its users and a read key it created
A_READERS = ["a_admin", "a_viewer", "a_read_key"]


@pytest.mark.parametrize("caller", A_READERS)
def test_enterprise_a_cannot_reach_enterprise_b_through_any_route(
    world: World, caller: str
) -> None:
    reads_before = world.store.readings.count()
    walked = 0
    for call in walk(world, world.b):
        r = call.send(world, world.h(caller))
        where = call.where(caller)
        assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:300]}"
        if call.aimed:
            assert r.status_code in call.refused, f"{where}: {r.status_code} {r.text[:300]}"
        no_b_data(world, r.text, where)
        walked += 1
    assert walked >= 30
    # nothing A sent for B's points was stored
    assert world.store.readings.count() == reads_before


#: the status each resource query parameter answers when it alone names B's resource, decided
#: per route: 404 everywhere — none of these is a plain list filter that may come back as an
#: empty page; each names a resource that must be in the caller's scope and is looked up there
#: first (the detail is the same as for a missing one: test_existence)
SINGLE_QUERY: dict[tuple[str, str], int] = {
    # the boundary of stored results: an enterprise code the caller may see (router check)
    ("/api/v1/accounting/results", "boundary"): 404,
    # the enterprise a view is about (scoped_enterprise / overview scope_enterprise)
    ("/api/v1/indicators", "enterprise_id"): 404,
    ("/api/v1/indicators/profile-evaluation", "enterprise_id"): 404,
    ("/api/v1/indicators/profile-comparison", "enterprise_id"): 404,
    ("/api/v1/overview", "enterprise_id"): 404,
    ("/api/v1/overview/energy-flow", "enterprise_id"): 404,
    ("/api/v1/statistics/energy", "enterprise_id"): 404,
    # registry and record lists: the filter's enterprise, site or point is looked up in scope
    # before listing (QueryRepo.enterprise/site/point), so B's is absent, not an empty page
    ("/api/v1/points", "enterprise_id"): 404,
    ("/api/v1/points", "site_id"): 404,
    ("/api/v1/sites", "enterprise_id"): 404,
    ("/api/v1/records", "enterprise_id"): 404,
    ("/api/v1/quarantine", "point"): 404,
    # the alarm list's enterprise filter is looked up in scope the same way
    ("/api/v1/alarms", "enterprise_id"): 404,
    # the consumer whose matched hours are shown (greenpower.matching.service.owner_hours)
    ("/api/v1/matching/hourly", "enterprise_id"): 404,
    # the consumer whose stored hours are shown (greenpower.matching.stored.run_hours)
    ("/api/v1/matching/runs/{run_id}/hourly", "enterprise_id"): 404,
    # the enterprise or grid-import point a cost is asked for (tariffs.service.cost)
    ("/api/v1/costs", "enterprise_id"): 404,
    ("/api/v1/costs", "point"): 404,
    # the forecast list's point is looked up in scope (QueryRepo.point)
    ("/api/v1/forecasts", "point"): 404,
    # the point of a 15-minute forecast (forecast.quarter_service: QueryRepo.point in scope)
    ("/api/v1/forecasts/quarter-hour", "point"): 404,
    # the enterprise whose load forecasts are listed (forecast.service._owner_subject)
    ("/api/v1/forecasts", "enterprise"): 404,
    # the monitoring station assessed or whose exceedances are listed (environment.service
    # get_station: an enterprise sees the park-level stations and its own)
    ("/api/v1/environment/assessment", "station"): 404,
    ("/api/v1/environment/exceedances", "station"): 404,
    ("/api/v1/environment/water-trend", "station"): 404,
    # the enterprise whose disclosure draft is asked for (environment.disclosure._enterprise)
    ("/api/v1/environment/disclosure", "enterprise"): 404,
    # the enterprise whose waste ledger is asked for (waste.service.enterprise_for)
    ("/api/v1/waste/streams", "enterprise_id"): 404,
    ("/api/v1/waste/plans", "enterprise_id"): 404,
    ("/api/v1/waste/facilities", "enterprise_id"): 404,
    ("/api/v1/waste/movements", "enterprise_id"): 404,
    ("/api/v1/waste/storage", "enterprise_id"): 404,
    ("/api/v1/waste/balance", "enterprise_id"): 404,
    ("/api/v1/waste/manifests", "enterprise_id"): 404,
    ("/api/v1/waste/approvals", "enterprise_id"): 404,
    ("/api/v1/waste/storage-extensions", "enterprise_id"): 404,
    ("/api/v1/waste/report", "enterprise_id"): 404,
    # the enterprise whose products are graded (compliance.service._enterprise)
    ("/api/v1/compliance/grading", "enterprise_id"): 404,
    ("/api/v1/compliance/backward", "enterprise_id"): 404,
    ("/api/v1/compliance/audit", "enterprise_id"): 404,
    ("/api/v1/compliance/audit/workbook", "enterprise_id"): 404,
    # the enterprise whose GHG documents, account or report is asked for (ghg.service._enterprise)
    ("/api/v1/ghg/documents", "enterprise_id"): 404,
    ("/api/v1/ghg/account", "enterprise_id"): 404,
    ("/api/v1/ghg/report", "enterprise_id"): 404,
    ("/api/v1/ghg/evidence", "enterprise_id"): 404,
    # the enterprise whose equipment or inspection plans are asked for
    # (equipment.service._scope_enterprise)
    ("/api/v1/equipment", "enterprise_id"): 404,
    ("/api/v1/equipment/efficiency-list", "enterprise_id"): 404,
    ("/api/v1/equipment/efficiency-list/report", "enterprise_id"): 404,
    ("/api/v1/equipment/inspections/plans", "enterprise_id"): 404,
    # the enterprise whose programme plans or records are listed (programme.service._listed)
    ("/api/v1/programme/plans", "enterprise_id"): 404,
    ("/api/v1/programme/records", "enterprise_id"): 404,
}


@pytest.mark.parametrize("caller", ["a_viewer", "a_read_key"])
def test_each_resource_query_parameter_alone_is_refused(world: World, caller: str) -> None:
    """B's value as the only resource query parameter (the walk above sends them together, so
    one parameter's refusal could hide another's leak): each answers as decided in
    :data:`SINGLE_QUERY`, and a new one fails until it is decided there."""
    calls = single_query_calls(world, world.b)
    sent = {}
    for call in calls:
        (name,) = set(call.kwargs["params"]) & set(RESOURCE_QUERY)
        sent[(call.path, name)] = call
    assert set(sent) == set(SINGLE_QUERY), "decide the new ones in SINGLE_QUERY"
    for key, call in sent.items():
        r = call.send(world, world.h(caller))
        where = call.where(caller)
        assert r.status_code == SINGLE_QUERY[key], f"{where}: {r.status_code} {r.text[:300]}"
        no_b_data(world, r.text, where)


def test_single_resource_query_parameters_reach_b_for_the_park_admin(world: World) -> None:
    """The same single-parameter requests succeed for a park admin, so the 404s above come
    from the scope, not from the request."""
    for call in single_query_calls(world, world.b):
        r = call.send(world, world.h("admin"))
        assert r.status_code == 200, f"{call.where('admin')}: {r.status_code} {r.text[:300]}"


@pytest.mark.parametrize("caller", ["a_viewer", "a_read_key"])
def test_enterprise_a_lists_show_only_a(world: World, caller: str) -> None:
    a = world.h(caller)
    for path in (
        "/api/v1/enterprises",
        "/api/v1/sites",
        "/api/v1/points",
        "/api/v1/quarantine",
        "/api/v1/records",
        "/api/v1/jobs",
        "/api/v1/overview",
        "/api/v1/overview/meters",
        "/api/v1/certificates",
        "/api/v1/certificates/retirements",
        "/api/v1/alarms/channels",
        "/api/v1/alarms/deliveries",
        "/api/v1/forecasts",
        "/api/v1/environment/stations",
        "/api/v1/environment/exceedances",
        "/api/v1/programme/plans",
        "/api/v1/programme/records",
    ):
        r = world.client.get(path, headers=a)
        assert r.status_code == 200, (path, r.text)
        no_b_data(world, r.text, path)
    points = world.client.get("/api/v1/points", headers=a).json()["items"]
    assert points and {p["enterprise_id"] for p in points} == {world.enterprises["E01"]}
    overview = world.client.get("/api/v1/overview", headers=a).json()
    assert overview["scope"] == {
        "kind": "enterprise",
        "enterprise_id": world.enterprises["E01"],
        "code": "E01",
        "name": overview["scope"]["name"],
    }


def test_b_jobs_and_their_files_are_invisible_to_a(world: World) -> None:
    b_jobs = {world.b["job_id"], world.b["queued_job_id"]}
    for caller in A_READERS:
        h = world.h(caller)
        for job_id in sorted(b_jobs):
            for url in (f"/api/v1/jobs/{job_id}", f"/api/v1/jobs/{job_id}/file"):
                r = world.client.get(url, headers=h)
                assert r.status_code == 404, f"{caller} GET {url}: {r.status_code}"
                no_b_data(world, r.text, f"{caller} GET {url}")
        for kind in (None, "energy_report", "normalise", "account"):
            params: dict[str, Any] = {"limit": 1000}
            if kind is not None:
                params["kind"] = kind
            r = world.client.get("/api/v1/jobs", headers=h, params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            assert not b_jobs & {j["id"] for j in page["items"]}, (caller, kind)
            assert {j["enterprise_id"] for j in page["items"]} <= {world.enterprises["E01"]}
            assert page["total"] == len(page["items"])  # nothing hidden on another page
            no_b_data(world, r.text, f"{caller} GET /api/v1/jobs kind={kind}")
    # the walk is meaningful: B's report job is done and its file is there for B …
    done = world.client.get(f"/api/v1/jobs/{world.b['job_id']}", headers=world.h("b_viewer"))
    assert done.status_code == 200 and done.json()["status"] == "done"
    f = world.client.get(f"/api/v1/jobs/{world.b['job_id']}/file", headers=world.h("b_viewer"))
    assert f.status_code == 200 and len(f.content) > 0
    assert "E02" in f.headers["content-disposition"]
    # … and the park admin lists both of B's jobs
    listed = world.client.get("/api/v1/jobs", headers=world.h("admin"), params={"limit": 1000})
    assert b_jobs <= {j["id"] for j in listed.json()["items"]}


def test_park_admin_sees_b(world: World) -> None:
    """The walk above is meaningful: the same requests as a park admin do reach B."""
    admin = world.h("admin")
    r = world.client.get(f"/api/v1/points/{world.b['code']}", headers=admin)
    assert r.status_code == 200 and r.json()["code"] == "E02-grid"
    r = world.client.get("/api/v1/quarantine", headers=admin, params={"point": "E02-grid"})
    assert "B-SECRET-VALUE" in r.text
    r = world.client.get(f"/api/v1/jobs/{world.b['job_id']}", headers=admin)
    assert r.status_code == 200
    r = world.client.get(f"/api/v1/forecasts/{world.b['forecast_id']}", headers=admin)
    assert r.status_code == 200 and r.json()["point"] == "E02-grid"


# -- API keys -----------------------------------------------------------------------------------
def _a_ids(w: World) -> dict[str, Any]:
    """Identifiers of A's own resources where the world has them (the rest name nothing)."""
    sites = w.client.get("/api/v1/sites", headers=w.h("a_viewer")).json()["items"]
    return {
        **missing_ids(w),
        "enterprise_id": w.enterprises["E01"],
        "site_id": sites[0]["id"],
        "code": "E01-grid",
        "point": "E01-grid",
        "boundary": "E01",
        "enterprise_code": "E01",
        "user_id": w.users["a_viewer"],
    }


def test_an_enterprise_ingest_key_reads_nothing(world: World) -> None:
    """An ingest key of A (the integrator role, bound to A) gets 403 on every read route,
    whether the request names A's resources or B's; only ``/me`` tells it who it is."""
    key = world.h("a_ingest_key")
    reads = 0
    for ids in (world.b, _a_ids(world)):
        for method, path, op in operations(world):
            if method != "get":
                continue
            call = request_for(method, path, op, ids)
            r = call.send(world, key)
            where = call.where("a_ingest_key")
            if path == "/api/v1/me":
                assert r.status_code == 200, where
                assert r.json()["enterprise_id"] == world.enterprises["E01"]
                assert r.json()["permissions"] == ["ingest"]
            else:
                assert r.status_code == 403, f"{where}: {r.status_code} {r.text[:200]}"
            no_b_data(world, r.text, where)
            reads += 1
    assert reads >= 60


def _reading(point: str, minute: int) -> dict[str, Any]:
    return {"point": point, "ts": f"2025-01-31T23:{minute:02d}:00+08:00", "value": 10.0 + minute}


def test_an_enterprise_ingest_key_ingests_only_a_points(world: World) -> None:
    key = world.h("a_ingest_key")
    c = world.client
    before = world.store.readings.count()
    for point in ("E02-grid", "E99-grid", world.park["point"]):
        r = c.post("/api/v1/readings", headers=key, json=[_reading(point, 1)])
        assert r.status_code == 403, (point, r.text)
        no_b_data(world, r.text, f"ingest {point}")
    assert world.store.readings.count() == before
    r = c.post("/api/v1/readings", headers=key, json=[_reading("E01-line", 2)])
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    assert world.store.readings.count() == before + 1


def test_a_point_restricted_key_refuses_and_reports_readings_outside_its_list(
    world: World,
) -> None:
    """A park-wide ingest key listing E01-grid and a park point: a reading of another point —
    of A, of B or of none — refuses the request as a whole (403), nothing is stored (the
    readings are not dropped silently, nor stored in part), and the answer names the positions
    of the refused readings."""
    key = world.h("park_points_key")
    c = world.client
    me = c.get("/api/v1/me", headers=key).json()
    assert me["enterprise_id"] is None and me["points"] == sorted(["E01-grid", world.park["point"]])
    before = world.store.readings.count()
    quarantined = c.get("/api/v1/quarantine", headers=world.h("admin")).json()["total"]
    batch = [
        _reading("E01-grid", 3),
        _reading("E01-line", 3),  # A's, but not listed
        _reading(world.park["point"], 3),
        _reading("E02-grid", 3),  # B's
        _reading("E99-grid", 3),  # nobody's
    ]
    r = c.post("/api/v1/readings", headers=key, json=batch)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    assert "3 readings" in detail and "positions 1, 3, 4" in detail, detail
    no_b_data(world, r.text, "park_points_key mixed batch")
    assert world.store.readings.count() == before
    assert c.get("/api/v1/quarantine", headers=world.h("admin")).json()["total"] == quarantined
    # B's point and a point that does not exist get the same answer
    answers = [
        c.post("/api/v1/readings", headers=key, json=[_reading(p, 4)])
        for p in ("E02-grid", "E99-grid")
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()
    # the listed points are accepted
    ok = c.post(
        "/api/v1/readings",
        headers=key,
        json=[_reading("E01-grid", 5), _reading(world.park["point"], 5)],
    )
    assert ok.status_code == 200 and ok.json()["received"] == 2, ok.text
    assert ok.json()["rejected"] == 0
    assert world.store.readings.count() == before + ok.json()["accepted"]


# -- concurrency --------------------------------------------------------------------------------
def test_interleaved_callers_on_threads_see_only_their_own_data(world: World) -> None:
    """8 threads × 20 requests, A's and B's users and keys interleaved on the cached overview,
    the energy flow, points and readings: every answer is its caller's."""
    a_id, b_id = world.enterprises["E01"], world.enterprises["E02"]
    a_name = world.client.get(f"/api/v1/enterprises/{a_id}", headers=world.h("admin")).json()
    a_markers = ["E01-", '"E01"', a_name["name"], a_name["uscc"]]
    callers = {
        "a_viewer": ("E01", a_id, world.b_markers),
        "a_read_key": ("E01", a_id, world.b_markers),
        "b_viewer": ("E02", b_id, a_markers),
        "b_admin": ("E02", b_id, a_markers),
    }
    requests: list[tuple[str, dict[str, Any]]] = [
        ("/api/v1/overview", {}),
        ("/api/v1/overview", {"date": "2025-01-20"}),
        ("/api/v1/overview/energy-flow", {"year": 2025, "month": 1}),
        ("/api/v1/points", {}),
        ("/api/v1/points/{code}-grid/readings", {"limit": 20}),
    ]
    cache = world.client.app.state.view_cache  # type: ignore[attr-defined]
    hits = cache.hits + cache.stale_hits
    names = sorted(callers)
    failures: list[str] = []
    lock = threading.Lock()

    def check(caller: str, path: str, r: Any) -> None:
        code, eid, foreign = callers[caller]
        where = f"{caller} {path}"
        problems = []
        if r.status_code != 200:
            problems.append(f"{where}: {r.status_code}")
        else:
            body = r.json()
            problems += [f"{where}: contains {m!r}" for m in foreign if m in r.text]
            if path.startswith("/api/v1/overview") and "scope" in body:
                if body["scope"].get("enterprise_id") != eid:
                    problems.append(f"{where}: scope {body['scope']}")
            if path == "/api/v1/points":
                owners = {p["enterprise_id"] for p in body["items"]}
                if owners != {eid}:
                    problems.append(f"{where}: points of {owners}")
            if path.endswith("/readings") and body["point"] != f"{code}-grid":
                problems.append(f"{where}: readings of {body['point']}")
        if problems:
            with lock:
                failures.extend(problems)

    def worker(n: int) -> None:
        for i in range(20):
            caller = names[(n + i) % len(names)]
            path, params = requests[(n * 7 + i) % len(requests)]
            url = path.replace("{code}", callers[caller][0])
            r = world.client.get(url, headers=world.h(caller), params=params)
            check(caller, path, r)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(worker, range(8)))
    assert not failures, failures[:10]
    # the views were served from the cache shared by both tenants, so cross-talk could show
    assert cache.hits + cache.stale_hits > hits


# -- anonymous and forged credentials -----------------------------------------------------------
def test_anonymous_callers_get_401_everywhere_but_the_open_routes(world: World) -> None:
    for call in walk(world, world.b):
        r = call.send(world, {})
        where = call.where("anonymous")
        assert r.status_code == 401, f"{where}: {r.status_code}"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers.get("www-authenticate") == "Bearer"
        no_b_data(world, r.text, where)
    assert world.client.get("/health").status_code == 200
    r = world.client.post(
        "/api/v1/auth/token", data={"username": "b_admin", "password": "wrong-password"}
    )
    assert r.status_code == 401
    no_b_data(world, r.text, "anonymous login")
    r = world.client.post("/api/v1/auth/refresh", json={"refresh_token": "not-a-token"})
    assert r.status_code == 401
    assert world.client.post("/api/v1/auth/logout", json={"refresh_token": "x"}).status_code == 204


def test_forged_and_revoked_credentials_get_401(world: World) -> None:
    token = world.h("a_viewer")["Authorization"].split()[1]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    for auth in (f"Bearer {forged}", "Bearer not-a-token", "Bearer lt_000000000000_nope"):
        r = world.client.get("/api/v1/points", headers={"Authorization": auth})
        assert r.status_code == 401, auth
    r = world.client.get("/api/v1/points", headers={"X-API-Key": "lt_abcdefabcdef_wrong"})
    assert r.status_code == 401


def test_region_a_park_user_cannot_reach_another_park(tmp_path: Any) -> None:
    """On a region instance (docs/region.md), every region route of the schema called by the
    user bound to park P1 and aimed at park P2 (its code, its upload) answers 404 or shows
    nothing of P2; the region admin reaches P2 through the same calls."""
    import datetime as dt
    import json

    from fastapi.testclient import TestClient

    from lingtan.api import create_app
    from lingtan.config import Settings
    from lingtan.identity import service as identity
    from lingtan.identity.roles import SYSTEM
    from lingtan.region import build, service
    from lingtan.store import open_store
    from lingtan.store.query_repo import Tenant
    from lingtan.store.region_repo import RegionRepo
    from tests.api.world import login
    from tests.region.conftest import SECRET, load_park, region_channel, signed

    region = open_store(f"sqlite:///{tmp_path / 'region.db'}")
    now_s = int(dt.datetime.now(dt.UTC).timestamp())
    for code in ("P1", "P2"):
        service.register_park(
            region, principal=SYSTEM, code=code, name=f"园区{code}", secret=SECRET
        )
        park = open_store(f"sqlite:///{tmp_path / f'{code}.db'}")
        load_park(park, code, [(2025, 1)])
        ch = region_channel(park, "http://127.0.0.1:9/x")
        q = build.queue(park, tenant=Tenant.park_wide(), channel_id=ch.id, year=2025, month=1)
        row = park.outbox.by_key(f"{q.idempotency_key}-ch{ch.id}")
        assert row is not None
        body = row.payload.encode()
        hdrs = signed(body, code, now_s=now_s, nonce=q.idempotency_key)
        service.receive(region, Settings(mode="region"), body=body, headers=hdrs)
        park.close()
    for name, park_code in (("region_admin", None), ("p1_user", "P1")):
        identity.create_user(region, actor=SYSTEM, username=name, password="x" * 16,
                             role="park_admin" if park_code is None else "park_viewer")  # fmt: skip
        if park_code is not None:
            service.bind_member(region, principal=SYSTEM, username=name, park_code=park_code)
    p2 = RegionRepo(region).park_by_code("P2")
    p2_upload = next(u for u in RegionRepo(region).uploads(parks=None) if u.park_id == p2.id)
    aim = {"code": "P2", "upload_id": p2_upload.id}
    app = create_app(Settings(environment="test", mode="region", database_url=region.url),
                     store=region, background=False)  # fmt: skip
    with TestClient(app) as client:
        schema = client.get("/openapi.json").json()
        gets = [p for p, item in schema["paths"].items() if p.startswith("/api/v1/region/")
                and "get" in item]  # fmt: skip
        assert len(gets) >= 5, gets
        p1_user, admin = login(client, "p1_user", "x" * 16), login(client, "region_admin", "x" * 16)
        for path in gets:
            url = path.format(**aim)
            # January 2025 in epoch hours (UTC): 2024-12-31T16:00Z = 482128 h, 744 hours
            params = {"start": 482128, "end": 482872} if "hourly" in path else {}
            mine = client.get(url, headers=p1_user, params=params)
            assert mine.status_code in (200, 404), (path, mine.status_code)
            assert mine.status_code == 404 or (
                "P2" not in mine.text and "园区P2" not in mine.text
            ), path
            theirs = client.get(url, headers=admin, params=params)
            assert theirs.status_code == 200, (path, theirs.text[:200])
            # hourly rows name no park: P2's are there for the admin
            assert ("P2" in theirs.text) or ("hourly" in path and theirs.json()), path
        assert (
            json.loads(client.get("/api/v1/region/parks", headers=p1_user).text)[0]["code"] == "P1"
        )
        # a park's user may not register parks
        r = client.post("/api/v1/region/parks", headers=p1_user,
                        json={"code": "P9", "name": "x", "secret": SECRET})  # fmt: skip
        assert r.status_code == 403
    region.close()
