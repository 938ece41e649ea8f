"""Tenant isolation, generated from the OpenAPI schema: every operation is called as a user of
enterprise A (E01) against enterprise B's (E02) resources, and anonymously.

A new route fails these tests until its path parameters, and for writes its request body, are
described below — so no route can be added without being walked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.world import World, certificate_csv

OPEN = {"/health", "/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
#: query parameters that name a resource, filled with B's
B_QUERY = ("enterprise_id", "site_id", "point", "boundary")
#: other required query parameters
REQUIRED = {"year": 2025, "basis": "enterprise"}

PARK_FILE = """\
park:
  id: demo-park
  name: 示范零碳产业园（合成数据 SYNTHETIC）
  province: 江苏
enterprises: []
sites: []
points: []
"""


def _readings(w: World) -> dict[str, Any]:
    return {"json": [{"point": "E02-grid", "ts": "2025-01-15T08:00:00+08:00", "value": 1.0}]}


#: (method, path) → request arguments that aim at B (every write operation must be listed)
B_BODIES: dict[tuple[str, str], Callable[[World], dict[str, Any]]] = {
    ("post", "/api/v1/readings"): _readings,
    ("put", "/api/v1/park"): lambda w: {
        "content": PARK_FILE.encode(),
        "headers": {"Content-Type": "application/yaml"},
    },
    ("post", "/api/v1/users"): lambda w: {
        "json": {
            "username": "intruder",
            "password": "intruder-pass-1",
            "role": "enterprise_viewer",
            "enterprise_id": w.b["enterprise_id"],
        }
    },
    ("patch", "/api/v1/users/{user_id}"): lambda w: {"json": {"display_name": "hijacked"}},
    ("post", "/api/v1/keys"): lambda w: {
        "json": {"name": "intruder", "scope": "read", "enterprise_id": w.b["enterprise_id"]}
    },
    ("delete", "/api/v1/keys/{key_id}"): lambda w: {},
    ("post", "/api/v1/records"): lambda w: {
        "json": {
            "enterprise_id": w.b["enterprise_id"],
            "category": "water",
            "item": "intake",
            "period_start": "2025-02-01",
            "period_end": "2025-02-28",
            "quantity": 1.0,
            "unit": "m3",
            "source_document": "forged",
        }
    },
    ("post", "/api/v1/records/{record_id}/corrections"): lambda w: {
        "json": {"quantity": 0.0, "source_document": "forged"}
    },
    ("post", "/api/v1/records/import"): lambda w: {
        "files": {
            "file": (
                "records.csv",
                b"enterprise,category,item,period,quantity,unit,source_document\n"
                b"E02,water,intake,2025-03,1,m3,forged\n",
                "text/csv",
            )
        }
    },
    ("post", "/api/v1/jobs/normalise"): lambda w: {},
    # the caller's own account: names no resource of B
    ("post", "/api/v1/me/password"): lambda w: {
        "json": {"current_password": "not-the-password", "new_password": "another-pass-1"}
    },
}
B_BODIES.update(
    {
        ("post", "/api/v1/accounting/recompute"): lambda w: {
            "json": {"basis": "enterprise", "year": 2025, "enterprise_id": w.b["enterprise_id"]}
        },
        ("post", "/api/v1/certificates/import"): lambda w: {
            "files": {"file": ("c.csv", certificate_csv(["1" * 32]), "text/csv")},
            "data": {"enterprise_id": str(w.b["enterprise_id"])},
        },
        ("post", "/api/v1/certificates/retire"): lambda w: {
            "json": {
                "cert_ids": [w.b["cert_id"]],
                "period_start": "2025-01",
                "period_end": "2025-01",
                "enterprise_id": w.b["enterprise_id"],
            }
        },
        ("post", "/api/v1/reports/{kind}"): lambda w: {
            "json": {"year": 2025, "enterprise_id": w.b["enterprise_id"]}
        },
    }
)
#: path parameters that name no resource (a kind of report)
FIXED_PATH = {"kind": "energy_report"}
#: write operations whose request does not name a resource of B
NOT_AIMED_AT_B = {("post", "/api/v1/me/password"), ("post", "/api/v1/jobs/normalise")}


def operations(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the OpenAPI schema."""
    schema = w.client.get("/openapi.json").json()
    return [
        (method, path, op)
        for path, item in sorted(schema["paths"].items())
        for method, op in item.items()
        if method in {"get", *WRITE_METHODS}
    ]


def request_against_b(
    w: World, method: str, path: str, op: dict[str, Any]
) -> tuple[str, dict[str, Any], bool]:
    """The URL and request arguments that aim the operation at B; whether they do."""
    aimed = False
    url = path
    for name in re.findall(r"{(\w+)}", path):
        if name in FIXED_PATH:
            url = url.replace(f"{{{name}}}", FIXED_PATH[name])
            continue
        assert name in w.b, f"{method.upper()} {path}: no resource of B for path parameter {name!r}"
        url = url.replace(f"{{{name}}}", str(w.b[name]))
        aimed = True
    params: dict[str, Any] = {}
    for p in op.get("parameters", []):
        if p["in"] != "query":
            continue
        if p["name"] in B_QUERY:
            params[p["name"]] = w.b[p["name"]]
            aimed = True
        elif p.get("required"):
            assert p["name"] in REQUIRED, f"{path}: fill required query parameter {p['name']!r}"
            params[p["name"]] = REQUIRED[p["name"]]
    kwargs: dict[str, Any] = {"params": params}
    if method in WRITE_METHODS:
        key = (method, path)
        assert key in B_BODIES, (
            f"{method.upper()} {path}: describe a request aimed at B in B_BODIES"
        )
        kwargs.update(B_BODIES[key](w))
        aimed = aimed or key not in NOT_AIMED_AT_B
    return url, kwargs, aimed


def _no_b_data(w: World, text: str, where: str) -> None:
    for marker in w.b_markers:
        assert marker not in text, f"{where}: response contains B's data ({marker!r})"


@pytest.mark.parametrize("user", ["a_admin", "a_viewer"])
def test_enterprise_a_cannot_reach_enterprise_b_through_any_route(world: World, user: str) -> None:
    reads_before = world.store.readings.count()
    walked = 0
    for method, path, op in operations(world):
        if path in OPEN:
            continue
        url, kwargs, aimed = request_against_b(world, method, path, op)
        headers = {**world.h(user), **kwargs.pop("headers", {})}
        r = world.client.request(method.upper(), url, headers=headers, **kwargs)
        where = f"{user} {method.upper()} {url}"
        assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:300]}"
        if aimed:
            assert r.status_code in (401, 403, 404), f"{where}: {r.status_code} {r.text[:300]}"
        _no_b_data(world, r.text, where)
        walked += 1
    assert walked >= 30
    # nothing A sent for B's points was stored
    assert world.store.readings.count() == reads_before


def test_enterprise_a_lists_show_only_a(world: World) -> None:
    a = world.h("a_viewer")
    for path in (
        "/api/v1/enterprises",
        "/api/v1/sites",
        "/api/v1/points",
        "/api/v1/quarantine",
        "/api/v1/records",
        "/api/v1/jobs",
        "/api/v1/overview",
        "/api/v1/overview/meters",
    ):
        r = world.client.get(path, headers=a)
        assert r.status_code == 200, (path, r.text)
        _no_b_data(world, r.text, path)
    points = world.client.get("/api/v1/points", headers=a).json()["items"]
    assert points and {p["enterprise_id"] for p in points} == {world.enterprises["E01"]}
    overview = world.client.get("/api/v1/overview", headers=a).json()
    assert overview["scope"] == {
        "kind": "enterprise",
        "enterprise_id": world.enterprises["E01"],
        "code": "E01",
        "name": overview["scope"]["name"],
    }


def test_park_admin_sees_b(world: World) -> None:
    """The walk above is meaningful: the same requests as a park admin do reach B."""
    admin = world.h("admin")
    r = world.client.get(f"/api/v1/points/{world.b['code']}", headers=admin)
    assert r.status_code == 200 and r.json()["code"] == "E02-grid"
    r = world.client.get("/api/v1/quarantine", headers=admin, params={"point": "E02-grid"})
    assert "B-SECRET-VALUE" in r.text
    r = world.client.get(f"/api/v1/jobs/{world.b['job_id']}", headers=admin)
    assert r.status_code == 200


def test_anonymous_callers_get_401_everywhere_but_the_open_routes(world: World) -> None:
    for method, path, op in operations(world):
        if path in OPEN:
            continue
        url, kwargs, _ = request_against_b(world, method, path, op)
        kwargs.pop("headers", None)
        r = world.client.request(method.upper(), url, **kwargs)
        where = f"anonymous {method.upper()} {url}"
        assert r.status_code == 401, f"{where}: {r.status_code}"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers.get("www-authenticate") == "Bearer"
        _no_b_data(world, r.text, where)
    assert world.client.get("/health").status_code == 200
    r = world.client.post(
        "/api/v1/auth/token", data={"username": "b_admin", "password": "wrong-password"}
    )
    assert r.status_code == 401
    _no_b_data(world, r.text, "anonymous login")
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
