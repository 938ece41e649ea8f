"""The REST API end to end: errors, docs, CORS, auth flows, ingest formats, statistics,
quarantine, audit, pagination, jobs and reports, overview, accounting (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from fastapi.testclient import TestClient

from lingtan.api import create_app
from lingtan.config import Settings
from lingtan.errors import InvalidInput
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM
from lingtan.indicators.energy import energy_statistics
from lingtan.normalize.service import normalise_pending
from lingtan.registry import ParkModel
from lingtan.store import Store
from lingtan.timeutil import utcnow
from tests.api.walk import profile_yaml
from tests.api.world import PASSWORD, World, login, wait_job

OPEN = {"/health", "/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout"}


def test_api_docs_are_served_from_the_service_not_a_cdn(world: World) -> None:
    for path in ("/docs", "/redoc"):
        page = world.client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'<script[^>]*src="([^"]+)"', page.text)
        assert sources and all(s.startswith("/docs-") for s in sources), (path, sources)
        # no inline script: the page works under script-src 'self'
        assert len(re.findall(r"<script", page.text)) == len(sources), path
        assert "script-src 'self';" in page.headers["content-security-policy"], path
        for src in sources:
            js = world.client.get(src)
            assert js.status_code == 200 and js.headers["content-type"].startswith(
                "text/javascript"
            )
    bundle = world.client.get("/docs-static/swagger-ui-bundle.js")
    # Swagger UI 5 reads OpenAPI 3.1 (4.x does not); its bundle states its version
    version = re.search(rb'PACKAGE_VERSION:"(\d+)\.', bundle.content)
    assert version and int(version.group(1)) >= 5
    assert b"cdn.redoc.ly" not in world.client.get("/docs-init/redoc.standalone.js").content


def test_every_response_carries_the_security_headers(world: World) -> None:
    for path in ("/health", "/login", "/api/v1/me"):
        headers = world.client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        csp = headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    docs_csp = world.client.get("/docs").headers["content-security-policy"]
    assert "script-src 'self';" in docs_csp and "frame-ancestors 'none'" in docs_csp


def test_openapi_documents_one_problem_schema_and_authentication(world: World) -> None:
    assert world.client.get("/docs").status_code == 200
    schema = world.client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    schemes = schema["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"
    for path, item in schema["paths"].items():
        assert path == "/health" or path.startswith("/api/v1/"), path
        for method, op in item.items():
            for status in ("403", "404", "422"):
                content = op["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (path, method, status)
            if path not in OPEN:
                assert "401" in op["responses"], (path, method)
                assert op.get("security"), (path, method)
    # the audit log can be read, never written
    assert set(schema["paths"]["/api/v1/audit"]) == {"get"}


def test_errors_are_problem_details(world: World) -> None:
    admin = world.h("admin")
    r = world.client.get("/api/v1/no-such-thing", headers=admin)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = world.client.get("/api/v1/points/NO-SUCH-POINT", headers=admin)
    assert r.status_code == 404
    assert r.json() == {
        "type": "urn:lingtan:problem:not_found",
        "title": "Not found",
        "status": 404,
        "detail": "point not found",
        "code": "not_found",
    }
    r = world.client.get("/api/v1/points", headers=admin, params={"limit": 5000})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_input" and body["field"] == "limit" and body["errors"]
    r = world.client.delete("/api/v1/audit", headers=admin)
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"


def test_health_is_open_and_names_the_database(world: World) -> None:
    r = world.client.get("/health")
    assert r.status_code == 200
    assert r.json()["database"] in ("SQLite", "PostgreSQL")


def test_cors_is_closed_by_default_and_opens_only_to_configured_origins(world: World) -> None:
    preflight = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization",
    }
    r = world.client.options("/api/v1/points", headers=preflight)
    assert "access-control-allow-origin" not in r.headers
    settings = Settings(
        environment="test", database_url=world.store.url, cors_origins=["https://ems.example"]
    )
    client = TestClient(create_app(settings, store=world.store, background=False))
    r = client.options("/api/v1/points", headers={**preflight, "Origin": "https://ems.example"})
    assert r.headers["access-control-allow-origin"] == "https://ems.example"
    r = client.options("/api/v1/points", headers=preflight)
    assert "access-control-allow-origin" not in r.headers


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(InvalidInput, match="LINGTAN_SECRET_KEY"):
        create_app(Settings(environment="production"))
    create_app(
        Settings(environment="production", secret_key="x" * 40, database_url="sqlite://"),
        background=False,
    )


def test_login_lockout_refresh_and_logout_over_http(world: World) -> None:
    c = world.client
    identity.create_user(
        world.store, actor=SYSTEM, username="lockme", password=PASSWORD, role="park_viewer"
    )
    for _ in range(world.settings.lockout_threshold):
        r = c.post("/api/v1/auth/token", data={"username": "lockme", "password": "nope"})
        assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    r = c.post("/api/v1/auth/token", data={"username": "lockme", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "account_locked"
    assert int(r.headers["retry-after"]) > 0
    # its own user: replaying the revoked token at the end ends every session of the user
    identity.create_user(
        world.store, actor=SYSTEM, username="rotator", password=PASSWORD, role="park_viewer"
    )
    r = c.post("/api/v1/auth/token", data={"username": "rotator", "password": PASSWORD})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["role"] == "park_viewer"
    r = c.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    rotated = r.json()["refresh_token"]
    assert c.post("/api/v1/auth/logout", json={"refresh_token": rotated}).status_code == 204
    r = c.post("/api/v1/auth/refresh", json={"refresh_token": rotated})
    assert r.status_code == 401
    r = c.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 401


def test_change_own_password(world: World) -> None:
    identity.create_user(
        world.store, actor=SYSTEM, username="changer", password=PASSWORD, role="auditor"
    )
    h = login(world.client, "changer")
    r = world.client.post(
        "/api/v1/me/password",
        headers=h,
        json={"current_password": PASSWORD, "new_password": "a-brand-new-password"},
    )
    assert r.status_code == 204
    # the token used for the change is over too: whoever else held it is out
    r = world.client.get("/api/v1/me", headers=h)
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]
    h = login(world.client, "changer", "a-brand-new-password")
    assert world.client.get("/api/v1/me", headers=h).status_code == 200


def _hvac(ts: str, value: float | str) -> dict[str, object]:
    return {"point": "E01-hvac", "ts": ts, "value": value}


def test_ingest_accepts_json_ndjson_and_csv(world: World) -> None:
    c, h = world.client, world.h("a_admin")
    r = c.post(
        "/api/v1/readings",
        headers=h,
        json=[_hvac("2024-06-01T00:00:00+08:00", 10.0), _hvac("2024-06-01T00:15:00+08:00", 12.5)],
    )
    assert r.status_code == 200 and r.json()["accepted"] == 2, r.text
    ndjson = (
        '{"point": "E01-hvac", "ts": "2024-06-01T00:30:00+08:00", "value": 14}\n'
        '\n{"point_id": "E01-hvac", "timestamp": "2024-06-01T00:45:00+08:00", "value": "16.5"}\n'
    )
    r = c.post(
        "/api/v1/readings",
        headers={**h, "Content-Type": "application/x-ndjson"},
        content=ndjson.encode(),
    )
    assert r.status_code == 200 and r.json()["accepted"] == 2, r.text
    csv = "point_id,timestamp,value,unit\nE01-hvac,2024-06-01T01:00:00+08:00,18,kWh\nE01-hvac,2024-06-01T01:15:00+08:00,20.5,MWh\n"
    r = c.post("/api/v1/readings", headers={**h, "Content-Type": "text/csv"}, content=csv.encode())
    body = r.json()
    # 20.5 MWh is 20 500 kWh: converted; accepted (unit of the point is kWh)
    assert r.status_code == 200 and body["accepted"] == 2, r.text
    # resending is idempotent; a different value for a stored time is a conflict, kept
    r = c.post(
        "/api/v1/readings",
        headers=h,
        json=[
            _hvac("2024-06-01T00:00:00+08:00", 10.0),
            _hvac("2024-06-01T00:15:00+08:00", 99.0),
            _hvac("2024-06-01T02:00:00", 1.0),
            _hvac("2024-06-01T02:15:00+08:00", "n/a"),
        ],
    )
    body = r.json()
    assert body["duplicates"] == 1 and body["accepted"] == 0 and body["rejected"] == 3
    assert body["reasons"] == {"conflict": 1, "naive_timestamp": 1, "bad_value": 1}
    assert {x["reason"] for x in body["rejects"]} == {"conflict", "naive_timestamp", "bad_value"}
    assert body["reason_texts"]["naive_timestamp"]


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", b"x", 415),
        ("application/json", b"{not json", 422),
        ("application/json", b'{"point": "E01-hvac"}', 422),
        ("application/json", b"[1, 2]", 422),
        ("application/json", b"[]", 422),
        ("application/json", b'[{"ts": "2024-06-01T00:00:00+08:00", "value": 1}]', 422),
        ("application/x-ndjson", b'{"point": "E01-hvac"}\nnot json\n', 422),
        ("text/csv", b"meter,time,v\nE01-hvac,2024-06-01T00:00:00+08:00,1\n", 422),
        ("application/json", b'[{"point": "E01-hvac\x00", "ts": "x", "value": 1}]', 422),
        ("application/json", b'[{"point": "\\ud800", "ts": "x", "value": 1}]', 422),
    ],
)
def test_ingest_refuses_bodies_it_cannot_decode(
    world: World, content_type: str, body: bytes, status: int
) -> None:
    before = world.store.readings.count()
    r = world.client.post(
        "/api/v1/readings",
        headers={**world.h("admin"), "Content-Type": content_type},
        content=body,
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert world.store.readings.count() == before


#: JSON nested 100,000 levels deep, and a reading whose value has 5,000 digits
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
HUGE_NUMBER = b'{"point": "E01-hvac", "ts": "2024-10-01T00:00:00+08:00", "value": %s}' % (
    b"1" * 5000
)


@pytest.mark.parametrize(
    ("content_type", "body", "named"),
    [
        ("application/json", DEEP_JSON, "nested too deeply"),
        ("application/x-ndjson", DEEP_JSON, "nested too deeply"),
        ("application/json", b"[" + HUGE_NUMBER + b"]", "a number has 5000 digits"),
        ("application/x-ndjson", HUGE_NUMBER, "a number has 5000 digits"),
        # bare carriage returns end lines; what is left has no timestamp column
        ("text/csv", b"point_id\rE01-hvac\r7\r", "no column 'timestamp'"),
    ],
)
def test_ingest_body_that_breaks_the_parser_is_a_422_naming_the_problem(
    world: World, content_type: str, body: bytes, named: str
) -> None:
    before = world.store.readings.count()
    r = world.client.post(
        "/api/v1/readings",
        headers={**world.h("admin"), "Content-Type": content_type},
        content=body,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert named in r.json()["detail"]
    assert world.store.readings.count() == before


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (DEEP_JSON, "nested too deeply"),
        (b'{"category": "water", "quantity": ' + b"9" * 5000 + b"}", "more than 4300 digits"),
        (b'{"category": "\xb2"}', "not UTF-8 text"),
    ],
)
def test_json_body_of_a_model_route_that_breaks_the_parser_is_named(
    world: World, body: bytes, named: str
) -> None:
    r = world.client.post(
        "/api/v1/records",
        headers={**world.h("admin"), "Content-Type": "application/json"},
        content=body,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert named in r.json()["detail"]


def test_csv_body_lines_end_at_any_line_break_and_bad_lines_are_kept_with_their_number(
    world: World,
) -> None:
    """Line 3 is cut in two by a bare CR (lines 3 and 4, two fields each), line 5 opens a
    quote it never closes; lines 2 and 6 are good and both are stored: the bad lines swallow
    nothing. 5 lines = 2 accepted + 3 rejected."""
    body = (
        "point_id,timestamp,value\r\n"
        "E01-hvac,2024-10-01T00:00:00+08:00,1\r\n"
        "E01-hvac,2024-10-01T00:15:00\r+08:00,2\n"
        'E01-hvac,"2024-10-01T00:30:00+08:00,3\n'
        "E01-hvac,2024-10-01T00:45:00+08:00,4\r"
    )
    r = world.client.post(
        "/api/v1/readings",
        headers={**world.h("admin"), "Content-Type": "text/csv"},
        content=body.encode(),
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["received"], out["accepted"], out["duplicates"], out["rejected"]) == (5, 2, 0, 3)
    assert out["reasons"] == {"malformed_row": 3}
    rejects = sorted(out["rejects"], key=lambda x: x["detail"])
    assert [x["detail"][:7] for x in rejects] == ["line 3:", "line 4:", "line 5:"]
    assert "2 fields where the header has 3" in rejects[0]["detail"]
    assert "unbalanced quote" in rejects[2]["detail"]
    assert all(x["source"].endswith(f":{n}") for x, n in zip(rejects, (3, 4, 5), strict=True))
    stored = world.client.get(
        "/api/v1/points/E01-hvac/readings",
        headers=world.h("admin"),
        params={"start": "2024-10-01T00:00:00+08:00", "end": "2024-10-01T01:00:00+08:00"},
    ).json()["items"]
    assert [x["value"] for x in stored] == [1.0, 4.0]


def test_ndjson_lines_end_at_line_feeds_only(world: World) -> None:
    # U+2028 may stand unescaped inside a JSON string; it does not end an NDJSON line
    body = '{"point": "E01-hvac", "ts": "2024-10-03T00:00:00+08:00", "value": "a\u2028b"}\n'
    r = world.client.post(
        "/api/v1/readings",
        headers={**world.h("admin"), "Content-Type": "application/x-ndjson"},
        content=body.encode(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["received"] == 1 and r.json()["reasons"] == {"bad_value": 1}


def test_enterprise_csv_line_that_names_none_of_its_points_is_refused(world: World) -> None:
    c, h = world.client, {**world.h("a_admin"), "Content-Type": "text/csv"}
    before = world.store.readings.count()
    # a malformed line whose point can still be made out is filed under that point
    body = "point_id,timestamp,value\nE01-hvac,2024-10-02T00:00:00+08:00,1,extra\n"
    r = c.post("/api/v1/readings", headers=h, content=body.encode())
    assert r.status_code == 200 and r.json()["reasons"] == {"malformed_row": 1}, r.text
    mine = c.get(
        "/api/v1/quarantine",
        headers=world.h("a_viewer"),
        params={"reason": "malformed_row", "point": "E01-hvac"},
    ).json()["items"]
    assert any(x["raw"] == "E01-hvac,2024-10-02T00:00:00+08:00,1,extra" for x in mine)
    # one that names no point of the caller's could only be filed out of its sight: refused
    body = "point_id,timestamp,value\nE01-hvac;2024-10-02T00:15:00+08:00;2\n"
    r = c.post("/api/v1/readings", headers=h, content=body.encode())
    assert r.status_code == 422, r.text
    assert "line 2: 1 field where the header has 3" in r.json()["detail"]
    assert world.store.readings.count() == before


def test_enterprise_and_key_ingest_is_limited_to_their_points(world: World) -> None:
    c = world.client
    before = world.store.readings.count()
    r = c.post(
        "/api/v1/readings",
        headers=world.h("a_admin"),
        json=[
            _hvac("2024-07-01T00:00:00+08:00", 1.0),
            {"point": "E02-grid", "ts": "2024-07-01T00:00:00+08:00", "value": 1.0},
        ],
    )
    assert r.status_code == 403 and "positions 1" in r.json()["detail"]
    assert "E02" not in r.text
    key = {"X-API-Key": world.b["key"]}  # B's ingest key, limited to E02-grid
    r = c.post(
        "/api/v1/readings",
        headers=key,
        json=[{"point": "E02-line", "ts": "2024-07-01T00:00:00+08:00", "value": 1.0}],
    )
    assert r.status_code == 403
    assert world.store.readings.count() == before
    r = c.post(
        "/api/v1/readings",
        headers={"Authorization": f"Bearer {world.b['key']}"},
        json=[{"point": "E02-grid", "ts": "2024-07-01T00:00:00+08:00", "value": 5.0}],
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1
    assert c.get("/api/v1/points", headers=key).status_code == 403


def test_read_only_key(world: World) -> None:
    r = world.client.post(
        "/api/v1/keys",
        headers=world.h("a_admin"),
        json={"name": "BI dashboard", "scope": "read"},
    )
    assert r.status_code == 201
    created = r.json()
    assert created["enterprise_id"] == world.enterprises["E01"] and created["key"]
    key = {"X-API-Key": created["key"]}
    points = world.client.get("/api/v1/points", headers=key).json()["items"]
    assert {p["enterprise_id"] for p in points} == {world.enterprises["E01"]}
    r = world.client.post(
        "/api/v1/readings", headers=key, json=[_hvac("2024-08-01T00:00:00+08:00", 1.0)]
    )
    assert r.status_code == 403
    listed = world.client.get("/api/v1/keys", headers=world.h("a_admin")).json()["items"]
    assert all("key" not in k for k in listed)
    assert created["expires_at"] is None  # until revoked unless asked


def test_a_key_with_an_expiry(world: World) -> None:
    h = world.h("a_admin")
    body = {"name": "pilot", "scope": "read", "expires_at": "2099-06-30T18:00:00+08:00"}
    r = world.client.post("/api/v1/keys", headers=h, json=body)
    # more than ten years ahead of today is refused; a date within a year is kept (in UTC)
    assert r.status_code == 422 and "expires_at" in r.text
    soon = (utcnow() + dt.timedelta(days=200)).replace(microsecond=0)
    r = world.client.post("/api/v1/keys", headers=h, json={**body, "expires_at": soon.isoformat()})
    assert r.status_code == 201, r.text
    assert dt.datetime.fromisoformat(r.json()["expires_at"]) == soon
    assert world.client.get("/api/v1/points", headers={"X-API-Key": r.json()["key"]}).is_success
    r = world.client.post(
        "/api/v1/keys", headers=h, json={**body, "expires_at": "2020-01-01T00:00:00Z"}
    )
    assert r.status_code == 422


def test_statistics_have_quality_labels_and_periods(world: World) -> None:
    c, h = world.client, world.h("a_viewer")
    hours = c.get(
        "/api/v1/points/E01-grid/statistics",
        headers=h,
        params={"period": "hour", "start": "2025-01-10", "end": "2025-01-11"},
    ).json()
    assert hours["total"] == 24 and hours["unit"] == "kWh"
    first = hours["items"][0]
    assert first["start"] == "2025-01-10T00:00:00+08:00" and first["quality"] == "measured"
    days = c.get(
        "/api/v1/points/E01-grid/statistics",
        headers=h,
        params={"period": "day", "start": "2025-01-10", "end": "2025-01-12"},
    ).json()
    assert [d["start"][:10] for d in days["items"]] == ["2025-01-10", "2025-01-11"]
    assert days["items"][0]["value"] == pytest.approx(sum(x["value"] for x in hours["items"]))
    months = c.get(
        "/api/v1/points/E01-grid/statistics",
        headers=h,
        params={"period": "month", "start": "2025-01-01", "end": "2025-02-01"},
    ).json()
    assert months["items"][0]["start"] == "2025-01-01T00:00:00+08:00"
    jan = c.get(
        "/api/v1/points/E01-grid/statistics",
        headers=h,
        params={"period": "day", "start": "2025-01-01", "end": "2025-02-01"},
    ).json()
    assert months["items"][0]["value"] == pytest.approx(sum(d["value"] for d in jan["items"]))
    readings = c.get(
        "/api/v1/points/E01-grid/readings",
        headers=h,
        params={"start": "2025-01-10T00:00:00+08:00", "limit": 3},
    ).json()
    assert [r["ts"] for r in readings["items"]] == [
        "2025-01-10T00:00:00+08:00",
        "2025-01-10T00:15:00+08:00",
        "2025-01-10T00:30:00+08:00",
    ]


def test_quarantine_is_scoped_and_explains_reasons(world: World) -> None:
    c = world.client
    admin = c.get("/api/v1/quarantine", headers=world.h("admin"), params={"limit": 1000}).json()
    reasons = {r["reason"] for r in admin["items"]}
    assert {"unknown_point", "bad_value"} <= reasons
    unknown = c.get(
        "/api/v1/quarantine", headers=world.h("admin"), params={"reason": "unknown_point"}
    ).json()["items"]
    assert unknown and all(r["reason_text"] for r in unknown)
    a = c.get("/api/v1/quarantine", headers=world.h("a_viewer"), params={"limit": 1000}).json()
    assert all(r["point"] and r["point"].startswith("E01-") for r in a["items"])


def test_audit_log_keeps_who_what_before_and_after(world: World) -> None:
    c = world.client
    r = c.patch(
        f"/api/v1/users/{world.users['a_viewer']}",
        headers=world.h("admin"),
        json={"display_name": "甲公司能源专员"},
    )
    assert r.status_code == 200
    entries = c.get(
        "/api/v1/audit",
        headers=world.h("auditor"),
        params={"entity": "user", "actor": "user:admin"},
    ).json()["items"]
    entry = next(e for e in entries if e["entity_id"] == str(world.users["a_viewer"]))
    assert entry["action"] == "update"
    assert entry["after"]["display_name"] == "甲公司能源专员"
    assert entry["before"]["display_name"] != "甲公司能源专员"
    assert entry["at"].endswith("+00:00")


def test_pagination(world: World) -> None:
    h = world.h("admin")
    everything = world.client.get("/api/v1/points", headers=h, params={"limit": 1000}).json()
    page = world.client.get("/api/v1/points", headers=h, params={"limit": 2, "offset": 1}).json()
    assert page["total"] == everything["total"] and page["limit"] == 2 and page["offset"] == 1
    assert [p["code"] for p in page["items"]] == [p["code"] for p in everything["items"][1:3]]


def test_reports_are_built_in_the_background_and_downloaded_in_scope(world: World) -> None:
    c = world.client
    r = c.post(
        "/api/v1/reports/energy_report",
        headers=world.h("a_viewer"),
        json={"year": 2025, "month": 1, "format": "html", "lang": "en"},
    )
    assert r.status_code == 202, r.text
    job = wait_job(world, r.json()["id"], "a_viewer")
    assert job["enterprise_id"] == world.enterprises["E01"] and job["file_url"]
    f = c.get(job["file_url"], headers=world.h("a_viewer"))
    assert f.status_code == 200 and f.headers["content-type"].startswith("text/html")
    assert "attachment" in f.headers["content-disposition"]
    for marker in world.b_markers:
        assert marker not in f.text
    assert c.get(job["file_url"], headers=world.h("b_viewer")).status_code == 404
    r = c.post(
        "/api/v1/reports/indicator_report",
        headers=world.h("auditor"),
        json={"year": 2025, "month": 1, "ytd": True},
    )
    job = wait_job(world, r.json()["id"], "auditor")
    xlsx = c.get(job["file_url"], headers=world.h("auditor")).content
    assert xlsx[:2] == b"PK"


def test_a_park_uploads_its_own_profile_and_enterprises_read_it(world: World) -> None:
    """``PUT /api/v1/indicators/profiles/{id}``: park admins store a validated version (the
    error names the line); every reader lists and evaluates it; enterprise users write none."""
    c, admin, a = world.client, world.h("admin"), world.h("a_admin")
    url = "/api/v1/indicators/profiles/api-park"
    yaml_ = {"Content-Type": "application/yaml"}
    assert (
        c.put(url, headers={**a, **yaml_}, content=profile_yaml("api-park", 1)).status_code == 403
    )
    bad = profile_yaml("api-park", 1).replace(b"energy_tce\n", b"fuel_tce\n")
    r = c.put(url, headers={**admin, **yaml_}, content=bad)
    # line 14 of profile_yaml is the definition
    assert r.status_code == 422 and "api-park.yaml:14:" in r.json()["detail"], r.text
    r = c.put(url, headers={**admin, **yaml_}, content=profile_yaml("api-park", 1),
              params={"reason": "园区方案"})  # fmt: skip
    assert r.status_code == 201 and r.json()["stored"]["version"] == 1, r.text
    again = c.put(url, headers={**admin, **yaml_}, content=profile_yaml("api-park", 1))
    assert again.status_code == 409
    listed = c.get("/api/v1/indicators/profiles", headers=a).json()["profiles"]
    assert {p["id"]: p["stored"] is not None for p in listed}["api-park"] is True
    one = c.get(url, headers=a).json()
    assert one["document"] == profile_yaml("api-park", 1).decode() and len(one["versions"]) == 1
    ev = c.get("/api/v1/indicators/profile-evaluation", headers=a,
               params={"year": 2025, "month": 1, "profile": "api-park"})  # fmt: skip
    assert ev.status_code == 200, ev.text
    assert ev.json()["profile"]["id"] == "api-park" and ev.json()["scope"]["code"] == "E01"


def test_overview_shows_the_energy_statistics_of_the_scope(world: World) -> None:
    c = world.client
    park = c.get("/api/v1/overview", headers=world.h("viewer")).json()
    assert park["scope"]["kind"] == "park" and park["as_of"] == "2025-01-31"
    stats = energy_statistics(world.store, year=2025, month=1)
    assert park["month"]["total_tce"] == pytest.approx(stats.total_tce)
    assert park["year"]["total_tce"] == pytest.approx(stats.total_tce)
    assert {i["id"] for i in park["indicators"]} >= {"carbon_per_energy", "clean_energy_share"}
    assert park["carbon"]["year"]["total_tco2"] > 0
    ent = c.get("/api/v1/overview", headers=world.h("a_viewer")).json()
    e_stats = energy_statistics(
        world.store, year=2025, month=1, enterprise_id=world.enterprises["E01"]
    )
    assert ent["month"]["total_tce"] == pytest.approx(e_stats.total_tce)
    assert ent["carbon"]["year"]["scope2_market_tco2"] is not None
    grid = next(x for x in ent["day"]["carriers"] if x["carrier"] == "electricity_grid_import")
    day = c.get(
        "/api/v1/points/E01-grid/statistics",
        headers=world.h("a_viewer"),
        params={"period": "day", "start": "2025-01-31", "end": "2025-02-01"},
    ).json()["items"][0]
    assert grid["value"] == pytest.approx(day["value"])


def test_energy_flow_conserves_the_owners_energy(world: World) -> None:
    flow = world.client.get(
        "/api/v1/overview/energy-flow", headers=world.h("viewer"), params={"year": 2025}
    ).json()
    nodes = flow["nodes"]
    assert {n["kind"] for n in nodes} <= {"source", "owner", "sink"}
    for link in flow["links"]:
        assert 0 <= link["source"] < len(nodes) and 0 <= link["target"] < len(nodes)
        assert link["value"] > 0
    # on-site PV is counted in 综合能源消费量; storage discharge is an internal flow
    into_owners = sum(
        link["value"]
        for link in flow["links"]
        if nodes[link["target"]]["kind"] == "owner" and link["carrier"] != "storage_discharge"
    )
    out_export = sum(
        link["value"] for link in flow["links"] if link["carrier"] == "electricity_export"
    )
    assert into_owners - out_export == pytest.approx(flow["total_tce"], rel=1e-9)


def test_accounting_explains_itself_and_keeps_history(world: World) -> None:
    c = world.client
    park = c.get(
        "/api/v1/accounting/park",
        headers=world.h("auditor"),
        params={"year": 2025, "month": 1, "explain": True, "lang": "en"},
    ).json()
    assert park["basis"] == "park" and park["emissions_tco2"]["total"] > 0
    assert park["explain"] and park["factors"]
    assert (
        c.get(
            "/api/v1/accounting/park", headers=world.h("a_viewer"), params={"year": 2025}
        ).status_code
        == 403
    )
    ent = c.get(
        f"/api/v1/accounting/enterprises/{world.enterprises['E01']}",
        headers=world.h("a_viewer"),
        params={"year": 2025, "month": 1},
    ).json()
    assert ent["scope2_location_tco2"] > 0 and ent["scope2_market_tco2"] > 0
    r = c.post(
        "/api/v1/accounting/recompute",
        headers=world.h("a_admin"),
        json={
            "basis": "enterprise",
            "year": 2025,
            "month": 1,
            "enterprise_id": world.enterprises["E01"],
        },
    )
    job = wait_job(world, r.json()["id"], "a_admin")
    history = c.get(
        "/api/v1/accounting/results",
        headers=world.h("a_viewer"),
        params={"basis": "enterprise", "boundary": "E01", "year": 2025},
    ).json()
    assert job["result"]["result_id"] in [x["id"] for x in history["items"]]
    stored = c.get(
        f"/api/v1/accounting/results/{job['result']['result_id']}", headers=world.h("a_viewer")
    ).json()
    assert stored["factor_ids"] and stored["result"]["emissions_tco2"]["total"] == pytest.approx(
        ent["emissions_tco2"]["total"]
    )


def test_indicators_are_evaluated_against_targets(world: World) -> None:
    r = world.client.get("/api/v1/indicators", headers=world.h("viewer"), params={"year": 2025})
    assert r.status_code == 200
    ids = {i["id"]: i for i in r.json()["indicators"]}
    assert ids["carbon_per_energy"]["status"] in ("meets", "fails", "not_assessable")
    assert ids["clean_energy_share"]["target"]["value"] == 0.9
    assert ids["carbon_per_energy"]["reason"]


def test_statistics_records_and_certificates_through_the_api(world: World) -> None:
    c = world.client
    cats = c.get("/api/v1/records/categories", headers=world.h("a_viewer")).json()
    assert {x["category"] for x in cats} >= {"solid_waste", "water"}
    certs = c.get("/api/v1/certificates", headers=world.h("b_viewer")).json()
    assert [x["cert_id"] for x in certs["items"]] == [world.b["cert_id"]]
    assert certs["items"][0]["status"] == "retired"
    retirements = c.get("/api/v1/certificates/retirements", headers=world.h("b_viewer")).json()
    assert retirements["items"][0]["claimant"] == "E02"
    again = c.post(
        "/api/v1/certificates/retire",
        headers=world.h("b_admin"),
        json={"cert_ids": [world.b["cert_id"]], "period_start": "2025-01", "period_end": "2025-01"},
    )
    assert again.status_code == 409


def test_ingested_gap_is_normalised_and_labelled(store: Store, small_park: ParkModel) -> None:
    store.registry.save_park(small_park)
    identity.create_user(
        store, actor=SYSTEM, username="admin", password=PASSWORD, role="park_admin"
    )
    app = create_app(
        Settings(environment="test", database_url=store.url), store=store, background=False
    )
    client = TestClient(app)
    h = login(client, "admin")
    t0 = dt.datetime(2025, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    readings = [
        {
            "point": "E01-main",
            "ts": (t0 + dt.timedelta(minutes=15 * k)).isoformat(),
            "value": 1000.0 + 25 * k,
        }
        for k in range(24 * 4 + 1)
        if not 20 <= k < 40  # five hours without data
    ]
    r = client.post("/api/v1/readings", headers=h, json=readings)
    assert r.status_code == 200 and r.json()["accepted"] == len(readings)
    normalise_pending(store)
    stats = client.get(
        "/api/v1/points/E01-main/statistics",
        headers=h,
        params={"period": "hour", "start": "2025-03-01", "end": "2025-03-02"},
    ).json()["items"]
    labels = {s["quality"] for s in stats}
    assert labels == {"measured", "estimated"}
    gap = [s for s in stats if "gap" in s["flags"]]
    assert gap and all(s["quality"] == "estimated" for s in gap)
    assert sum(s["value"] for s in stats) == pytest.approx(25 * 96)  # energy conserved


def test_ingested_readings_are_normalised_in_the_background(world: World) -> None:
    c, h = world.client, world.h("a_admin")
    last = c.get(
        "/api/v1/points/E01-line/readings",
        headers=h,
        params={"start": "2025-01-31T23:00:00+08:00", "limit": 1000},
    ).json()["items"][-1]["value"]
    start = last + 1000.0
    readings = [
        {
            "point": "E01-line",
            "ts": f"2026-01-01T{k // 4:02d}:{15 * (k % 4):02d}:00+08:00",
            "value": start + 2.0 * k,
        }
        for k in range(4 * 6 + 1)
    ]
    assert c.post("/api/v1/readings", headers=h, json=readings).json()["accepted"] == len(readings)
    deadline = time.monotonic() + 60
    items: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        items = c.get(
            "/api/v1/points/E01-line/statistics",
            headers=h,
            params={"period": "hour", "start": "2026-01-01", "end": "2026-01-01T06:00:00+08:00"},
        ).json()["items"]
        if len(items) == 6:
            break
        time.sleep(0.1)
    assert [x["value"] for x in items] == pytest.approx([8.0] * 6)
    assert {x["quality"] for x in items} == {"measured"}


def test_indicator_profiles_listed_evaluated_and_compared(world: World) -> None:
    """``/api/v1/indicators/profile*``: the shipped profiles; one evaluated for the caller's
    scope and a named park type; several side by side; a path is never read."""
    c, admin, a = world.client, world.h("admin"), world.h("a_admin")
    listed = c.get("/api/v1/indicators/profiles", headers=a).json()
    assert {p["id"] for p in listed["profiles"]} >= {"national", "hunan", "jiangxi"}
    assert listed["chosen"] == ["national"]
    path = "/api/v1/indicators/profile-evaluation"
    # Jiangxi distinguishes park types: without one the evaluation is refused, naming it
    r = c.get(path, headers=admin, params={"year": 2025, "profile": "jiangxi"})
    assert r.status_code == 422 and "park_type" in r.text
    ev = c.get(path, headers=a, params={"year": 2025, "profile": "jiangxi",
                                        "park_type": "chemical"})  # fmt: skip
    assert ev.status_code == 200, ev.text
    body = ev.json()
    assert body["profile"]["id"] == "jiangxi" and body["park_type"] == "chemical"
    assert body["scope"]["code"] == "E01"  # an enterprise user sees its enterprise
    offset = next(i for i in body["indicators"] if i["id"] == "offset_share")
    assert offset["status"] == "insufficient_data" and offset["missing"] == ["offsets_tco2"]
    cmp = c.get("/api/v1/indicators/profile-comparison", headers=admin,
                params={"year": 2025, "profiles": "national,hunan"})  # fmt: skip
    assert [p["id"] for p in cmp.json()["profiles"]] == ["national", "hunan"]
    bad = c.get(path, headers=admin, params={"year": 2025, "profile": "/etc/passwd"})
    assert bad.status_code == 422 and "root" not in bad.text
