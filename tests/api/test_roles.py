"""Roles, generated from the OpenAPI schema: read-only roles write nothing, the integrator
only ingests (readings and meter replacements), and the same (valid) requests succeed for the
park administrator."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from lingtan.api.limits import BodyLimit
from tests.api.walk import (
    DISPATCH_DAY,
    FIXED_PATH,
    OPEN,
    PARK_FILE,
    WRITE_METHODS,
    dispatch_site_body,
    ghg_document_body,
    grid_series_body,
    profile_yaml,
    weather_body,
)
from tests.api.world import API_PLANT_POINT, World, certificate_csv, programme_measure_body

#: writes a read-only role may still make: its own password
OWN_ACCOUNT = {("post", "/api/v1/me/password")}
#: requests for report documents (built from data the caller may read; change no park data)
DOCUMENTS = {("post", "/api/v1/reports/{kind}")}
_n = itertools.count(1)


def _record_body(w: World) -> dict[str, Any]:
    return {
        "enterprise_id": w.enterprises["E01"],
        "category": "solid_waste",
        "item": "generated",
        "period_start": f"2024-{next(_n) % 12 + 1:02d}-01",
        "period_end": "2024-12-31",
        "quantity": 10.0,
        "unit": "t",
        "source_document": "固废台账 2024",
    }


def _new_record(w: World) -> int:
    r = w.client.post("/api/v1/records", headers=w.h("admin"), json=_record_body(w))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _new_key(w: World) -> int:
    r = w.client.post(
        "/api/v1/keys",
        headers=w.h("admin"),
        json={"name": f"k{next(_n)}", "scope": "read", "enterprise_id": w.enterprises["E01"]},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


#: (method, path) → (path parameters, request arguments) of a request that is valid for an admin
VALID: dict[tuple[str, str], Callable[[World], tuple[dict[str, Any], dict[str, Any]]]] = {
    ("post", "/api/v1/readings"): lambda w: (
        {},
        {
            "json": [
                {
                    "point": "E01-grid",
                    "ts": f"2025-01-{next(_n) % 28 + 1:02d}T00:00:{next(_n) % 60:02d}+08:00",
                    "value": 1e9,
                }
            ]
        },
    ),
    ("put", "/api/v1/park"): lambda w: (
        {},
        {"content": PARK_FILE.encode(), "headers": {"Content-Type": "application/yaml"}},
    ),
    ("post", "/api/v1/users"): lambda w: (
        {},
        {
            "json": {
                "username": f"new_user_{next(_n)}",
                "password": "a-long-password",
                "role": "enterprise_viewer",
                "enterprise_id": w.enterprises["E01"],
            }
        },
    ),
    ("patch", "/api/v1/users/{user_id}"): lambda w: (
        {"user_id": w.users["a_viewer"]},
        {"json": {"display_name": f"甲查看者 {next(_n)}"}},
    ),
    ("post", "/api/v1/keys"): lambda w: (
        {},
        {"json": {"name": f"key {next(_n)}", "scope": "read"}},
    ),
    ("delete", "/api/v1/keys/{key_id}"): lambda w: ({"key_id": _new_key(w)}, {}),
    ("post", "/api/v1/records"): lambda w: ({}, {"json": _record_body(w)}),
    ("post", "/api/v1/records/{record_id}/corrections"): lambda w: (
        {"record_id": _new_record(w)},
        {"json": {"quantity": 11.0, "source_document": "更正：固废台账 2024 修订版"}},
    ),
    ("post", "/api/v1/records/import"): lambda w: (
        {},
        {
            "files": {
                "file": (
                    "records.csv",
                    f"enterprise,category,item,period,quantity,unit,source_document\n"
                    f"E01,water,reused,2023-{next(_n) % 12 + 1:02d},5,m3,台账\n".encode(),
                    "text/csv",
                )
            }
        },
    ),
    ("post", "/api/v1/records/from-meters"): lambda w: ({}, {"json": {"year": 2025, "month": 1}}),
    ("post", "/api/v1/jobs/normalise"): lambda w: ({}, {}),
    ("post", "/api/v1/me/password"): lambda w: (
        {},
        {"json": {"current_password": "wrong-password", "new_password": "a-new-password"}},
    ),
}


def _replacement(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A replacement of A's line meter between two of its January readings (10:00 and 10:15
    local) whose old final and new initial values both equal the 10:00 reading: valid however
    often it is sent, and it moves no energy between hours."""
    n = next(_n)
    day = f"2025-01-{n % 28 + 1:02d}"
    around = w.client.get(
        "/api/v1/points/E01-line/readings",
        headers=w.h("admin"),
        params={"start": f"{day}T10:00:00+08:00", "end": f"{day}T10:15:00+08:00"},
    )
    assert around.status_code == 200 and around.json()["items"], around.text
    value = around.json()["items"][0]["value"]
    body = {
        "at": f"{day}T10:05:{n % 60:02d}+08:00",
        "old_final": value,
        "new_initial": value,
        "note": "换表工单（测试）",
    }
    return {"code": "E01-line"}, {"json": body}


def _new_channel(w: World) -> int:
    """A webhook channel of A's (E01), made by the park admin; nothing listens at its URL."""
    r = w.client.post(
        "/api/v1/alarms/channels",
        headers=w.h("admin"),
        json={
            "code": f"a-hook-{next(_n)}",
            "name": "甲值班群",
            "kind": "webhook",
            "target": "http://127.0.0.1:9/hook",
            "enterprise_id": w.enterprises["E01"],
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _incident_body(w: World) -> dict[str, Any]:
    """An incident of A (E01), valid for park and A's administrators."""
    return {
        "title": f"一号厂房配电室冒烟 {next(_n)}",
        "kind": "production_safety_accident",
        "enterprise_id": w.enterprises["E01"],
        "latitude": 31.23,
        "longitude": 121.47,
    }


def _new_incident(w: World) -> int:
    r = w.client.post("/api/v1/incidents", headers=w.h("admin"), json=_incident_body(w))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _new_region_channel(w: World) -> int:
    """A region channel of the park; nothing listens at its URL."""
    r = w.client.post(
        "/api/v1/alarms/channels",
        headers=w.h("admin"),
        json={
            "code": f"region-{next(_n)}",
            "name": "区域平台",
            "kind": "region",
            "target": "http://127.0.0.1:9/api/v1/region/uploads",
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _new_ecm_channel(w: World) -> int:
    """An online-monitoring (ecm) channel of A's (E01); nothing listens at its URL."""
    r = w.client.post(
        "/api/v1/alarms/channels",
        headers=w.h("admin"),
        json={
            "code": f"a-ecm-{next(_n)}",
            "name": "省平台",
            "kind": "ecm",
            "target": "http://127.0.0.1:9/ecm",
            "enterprise_id": w.enterprises["E01"],
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _new_delivery(w: World) -> int:
    """A test message queued for a new channel of A's (pending: nothing listens)."""
    r = w.client.post(f"/api/v1/alarms/channels/{_new_channel(w)}/test", headers=w.h("admin"))
    assert r.status_code == 202, r.text
    return int(r.json()["id"])


def _cert_ids(n: int) -> list[str]:
    return [f"{next(_n):020d}202501{k:06d}" for k in range(n)]


def _available_cert(w: World) -> str:
    (cert,) = _cert_ids(1)
    r = w.client.post(
        "/api/v1/certificates/import",
        headers=w.h("admin"),
        files={"file": ("c.csv", certificate_csv([cert]), "text/csv")},
        data={"enterprise_id": str(w.enterprises["E01"])},
    )
    assert r.status_code == 201, r.text
    return cert


def _rule_body(code: str) -> dict[str, Any]:
    # on A's line meter, raised by any reading (all are below 10^15)
    return {"id": code, "name": "角色测试", "kind": "threshold", "severity": "major",
            "scope": {"points": ["E01-line"]}, "op": "below", "low": 1e15}  # fmt: skip


def _new_rule(w: World) -> str:
    code = f"role-rule-{next(_n)}"
    r = w.client.post("/api/v1/alarms/rules", headers=w.h("a_admin"), json=_rule_body(code))
    assert r.status_code == 201, r.text
    return code


def _new_alarm(w: World) -> int:
    """An open alarm of A's: a new rule, then one of A's stored readings sent again (the
    rule has not seen it; the store keeps it as it is)."""
    code = _new_rule(w)
    first = w.client.get(
        "/api/v1/points/E01-line/readings", headers=w.h("admin"), params={"limit": 1}
    ).json()["items"][0]
    r = w.client.post(
        "/api/v1/readings", headers=w.h("admin"), json=[{"point": "E01-line", **first}]
    )
    assert r.status_code == 200, r.text
    found = w.client.get("/api/v1/alarms", headers=w.h("admin"), params={"rule": code}).json()
    assert found["total"] == 1, found
    return int(found["items"][0]["id"])


def _new_window(w: World) -> int:
    r = w.client.post(
        "/api/v1/alarms/suppressions",
        headers=w.h("a_admin"),
        json={"starts": "2030-01-01T00:00:00+08:00", "ends": "2030-01-02T00:00:00+08:00",
              "reason": "检修（测试）", "point": "E01-line"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


VALID.update(
    {
        ("post", "/api/v1/alarms/rules"): lambda w: (
            {},
            {"json": _rule_body(f"role-rule-{next(_n)}")},
        ),
        ("put", "/api/v1/alarms/rules/{rule_code}"): lambda w: (
            (code := _new_rule(w)) and {"rule_code": code},
            {"json": {**_rule_body(code), "name": "角色测试（改）"}},
        ),
        ("delete", "/api/v1/alarms/rules/{rule_code}"): lambda w: (
            {"rule_code": _new_rule(w)},
            {},
        ),
        ("post", "/api/v1/alarms/suppressions"): lambda w: (
            {},
            {
                "json": {
                    "starts": "2030-02-01T00:00:00+08:00",
                    "ends": "2030-02-02T00:00:00+08:00",
                    "reason": "检修（测试）",
                }
            },
        ),
        ("delete", "/api/v1/alarms/suppressions/{suppression_id}"): lambda w: (
            {"suppression_id": _new_window(w)},
            {},
        ),
        ("post", "/api/v1/alarms/{alarm_id}/acknowledge"): lambda w: (
            {"alarm_id": _new_alarm(w)},
            {"json": {"comment": "已处理（测试）"}},
        ),
        ("post", "/api/v1/alarms/{alarm_id}/close"): lambda w: (
            {"alarm_id": _new_alarm(w)},
            {"json": {"comment": "关闭（测试）"}},
        ),
        ("post", "/api/v1/alarms/{alarm_id}/comments"): lambda w: (
            {"alarm_id": _new_alarm(w)},
            {"json": {"text": "备注（测试）"}},
        ),
    }
)


VALID.update(
    {
        ("post", "/api/v1/accounting/recompute"): lambda w: (
            {},
            {
                "json": {
                    "basis": "enterprise",
                    "year": 2025,
                    "month": 1,
                    "enterprise_id": w.enterprises["E01"],
                }
            },
        ),
        ("post", "/api/v1/certificates/import"): lambda w: (
            {},
            {
                "files": {"file": ("c.csv", certificate_csv(_cert_ids(2)), "text/csv")},
                "data": {"enterprise_id": str(w.enterprises["E01"])},
            },
        ),
        ("post", "/api/v1/certificates/retire"): lambda w: (
            {},
            {
                "json": {
                    "cert_ids": [_available_cert(w)],
                    "period_start": "2025-01",
                    "period_end": "2025-01",
                    "enterprise_id": w.enterprises["E01"],
                }
            },
        ),
        ("post", "/api/v1/reports/{kind}"): lambda w: (
            {"kind": "energy_report"},
            {"json": {"year": 2025, "month": 1, "format": "html"}},
        ),
        ("put", "/api/v1/options"): lambda w: (
            {},
            {"json": {"changes": {"natural_gas_clean": True}, "reason": "role test"}},
        ),
        ("post", "/api/v1/points/{code}/replacements"): _replacement,
        ("post", "/api/v1/grid-factors"): lambda w: (
            {},
            {"json": grid_series_body(f"role-series-{next(_n)}")},
        ),
        ("post", "/api/v1/matching/runs"): lambda w: ({}, {"json": {"year": 2025}}),
        ("post", "/api/v1/forecasts/weather-series"): lambda w: (
            {},
            {"json": weather_body(f"role-weather-{next(_n)}")},
        ),
        # the park admin's is a park channel, an enterprise admin's its enterprise's
        ("post", "/api/v1/alarms/channels"): lambda w: (
            {},
            {
                "json": {
                    "code": f"hook-{next(_n)}",
                    "name": "值班群",
                    "kind": "webhook",
                    "target": "http://127.0.0.1:9/hook",
                }
            },
        ),
        ("delete", "/api/v1/alarms/channels/{channel_id}"): lambda w: (
            {"channel_id": _new_channel(w)},
            {},
        ),
        ("post", "/api/v1/alarms/channels/{channel_id}/test"): lambda w: (
            {"channel_id": _new_channel(w)},
            {},
        ),
        ("post", "/api/v1/alarms/deliveries/{delivery_id}/retry"): lambda w: (
            {"delivery_id": _new_delivery(w)},
            {},
        ),
        ("post", "/api/v1/exchange/ecm/uploads"): lambda w: (
            {},
            {
                "json": {
                    "channel_id": _new_ecm_channel(w),
                    "enterprise_id": w.enterprises["E01"],
                    "year": 2025,
                    "month": 1,
                }
            },
        ),
        ("post", "/api/v1/exchange/region/uploads"): lambda w: (
            {},
            {"json": {"channel_id": _new_region_channel(w), "year": 2025, "month": 1}},
        ),
        ("post", "/api/v1/incidents"): lambda w: ({}, {"json": _incident_body(w)}),
        ("post", "/api/v1/incidents/{incident_id}/entries"): lambda w: (
            {"incident_id": _new_incident(w)},
            {"json": {"text": "现场已隔离"}},
        ),
        ("post", "/api/v1/incidents/{incident_id}/attachments"): lambda w: (
            {"incident_id": _new_incident(w)},
            {"files": {"file": ("现场.txt", f"现场记录 {next(_n)}".encode(), "text/plain")}},
        ),
        ("patch", "/api/v1/incidents/{incident_id}"): lambda w: (
            {"incident_id": _new_incident(w)},
            {
                "json": {
                    "state": "responding",
                    "responsible": [{"name": "张三", "duty": "现场指挥"}],
                    "level": "ordinary",
                    "reason": "初判",
                }
            },
        ),
        ("post", "/api/v1/incidents/{incident_id}/close"): lambda w: (
            {"incident_id": _new_incident(w)},
            {"json": {"report": "误报：传感器故障，已更换。"}},
        ),
    }
)


VALID.update(
    {
        ("post", "/api/v1/forecasts"): lambda w: (
            {},
            {"json": {"point": "E01-grid", "history_days": 28}},
        ),
        # E01-pv: the one demo PV meter whose plant the world leaves to the API (the park
        # file declares the others', and the API cannot overwrite those: 409)
        ("put", "/api/v1/forecasts/pv-plants/{code}"): lambda w: (
            {"code": API_PLANT_POINT},
            {
                "json": {
                    "kwp": 3000,
                    "tilt_deg": 20,
                    "azimuth_deg": 180,
                    "losses_pct": 14.08,
                    "latitude": 31.3,
                    "longitude": 120.6,
                }
            },
        ),
    }
)


def _new_plan(w: World) -> int:
    r = w.client.post("/api/v1/dispatch/plans", headers=w.h("admin"), json={"day": DISPATCH_DAY})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


# the park's microgrid dispatch (park administrators)
VALID.update(
    {
        ("put", "/api/v1/dispatch/site"): lambda w: ({}, {"json": dispatch_site_body()}),
        ("post", "/api/v1/dispatch/plans"): lambda w: ({}, {"json": {"day": DISPATCH_DAY}}),
        ("post", "/api/v1/dispatch/plans/{plan_id}/publish"): lambda w: (
            {"plan_id": _new_plan(w)},
            {},
        ),
        ("post", "/api/v1/dispatch/ev-sessions"): lambda w: (
            {},
            {
                "json": {
                    "day": DISPATCH_DAY,
                    "sessions": [
                        {
                            "code": "car-1",
                            "charger": "EV-1",
                            "arrival": "08:00",
                            "departure": "10:00",
                            "energy_kwh": 40,
                        }
                    ],
                }
            },
        ),
    }
)


def write_operations(w: World) -> list[tuple[str, str]]:
    """Every write operation of the schema (each must have a valid request above)."""
    schema = w.client.get("/openapi.json").json()
    ops = [
        (m, p)
        for p, item in sorted(schema["paths"].items())
        for m in item
        if m in WRITE_METHODS and p not in OPEN
    ]
    missing = [op for op in ops if op not in VALID]
    assert not missing, f"describe a valid request for {missing}"
    return ops


def call(w: World, user: str, method: str, path: str) -> Any:
    params, kwargs = VALID[(method, path)](w)
    url = path
    for name in re.findall(r"{(\w+)}", path):
        url = url.replace(f"{{{name}}}", str(params[name]))
    headers = {**w.h(user), **kwargs.pop("headers", {})}
    return w.client.request(method.upper(), url, headers=headers, **kwargs)


@pytest.mark.parametrize("user", ["auditor", "viewer", "a_viewer"])
def test_read_only_roles_write_nothing(world: World, user: str) -> None:
    audit_before = world.client.get("/api/v1/audit", headers=world.h("admin")).json()["total"]
    readings_before = world.store.readings.count()
    for method, path in write_operations(world):
        r = call(world, user, method, path)
        if (method, path) in OWN_ACCOUNT:
            assert r.status_code == 422, (path, r.text)  # wrong current password
            continue
        if (method, path) in DOCUMENTS:
            assert r.status_code == 202, (path, r.text)
            continue
        assert r.status_code == 403, (
            f"{user} {method.upper()} {path}: {r.status_code} {r.text[:200]}"
        )
        assert r.headers["content-type"].startswith("application/problem+json")
    assert world.store.readings.count() == readings_before
    entries = world.client.get("/api/v1/audit", headers=world.h("admin")).json()
    changes = {
        (e["actor"], e["entity"]) for e in entries["items"][: entries["total"] - audit_before]
    }
    # the only entries of the user: the report jobs it requested
    assert {entity for actor, entity in changes if actor == f"user:{user}"} <= {"job"}


def test_auditor_reads_everything_including_the_audit_log(world: World) -> None:
    auditor = world.h("auditor")
    for path in (
        "/api/v1/audit",
        "/api/v1/enterprises",
        f"/api/v1/points/{world.b['code']}",
        "/api/v1/quarantine",
        "/api/v1/records",
        "/api/v1/overview",
    ):
        assert world.client.get(path, headers=auditor).status_code == 200, path
    # who has access is part of an audit: users and keys are readable, never their secrets
    users = world.client.get("/api/v1/users", headers=auditor)
    assert users.status_code == 200 and users.json()["total"] >= 1
    assert "password" not in users.text
    keys = world.client.get("/api/v1/keys", headers=auditor)
    assert keys.status_code == 200
    first = users.json()["items"][0]["id"]
    assert world.client.get(f"/api/v1/users/{first}", headers=auditor).status_code == 200
    for role in ("viewer", "a_viewer"):
        assert world.client.get("/api/v1/users", headers=world.h(role)).status_code == 403
        assert world.client.get("/api/v1/keys", headers=world.h(role)).status_code == 403
    assert world.client.get("/api/v1/audit", headers=world.h("viewer")).status_code == 403
    assert world.client.get("/api/v1/audit", headers=world.h("a_admin")).status_code == 403


#: what the ingest permission allows besides sending readings: recording a meter replacement
#: (meter data, sent by whoever sends the point's readings)
INGEST_WRITES = {("post", "/api/v1/readings"), ("post", "/api/v1/points/{code}/replacements")}


def test_integrator_may_only_ingest(world: World) -> None:
    schema = world.client.get("/openapi.json").json()
    allowed = {*INGEST_WRITES, ("get", "/api/v1/me")}
    for path, item in sorted(schema["paths"].items()):
        if path in OPEN:
            continue
        for method in item:
            if (method, path) in allowed:
                continue
            if method in WRITE_METHODS:
                r = call(world, "integrator", method, path)
                if (method, path) in OWN_ACCOUNT:
                    assert r.status_code == 422
                    continue
            else:
                url = path
                for name in re.findall(r"{(\w+)}", path):
                    url = url.replace(f"{{{name}}}", str({**FIXED_PATH, **world.b}[name]))
                params = {"year": 2025, "basis": "park", "boundary": "demo-park", "station": "AQ-N"}
                r = world.client.get(url, headers=world.h("integrator"), params=params)
            assert r.status_code == 403, f"integrator {method.upper()} {path}: {r.status_code}"
    r = call(world, "integrator", "post", "/api/v1/readings")
    assert r.status_code == 200 and r.json()["received"] == 1
    r = call(world, "integrator", "post", "/api/v1/points/{code}/replacements")
    assert r.status_code in (200, 201), r.text
    assert world.client.get("/api/v1/me", headers=world.h("integrator")).json()["permissions"] == [
        "ingest"
    ]


def test_the_same_writes_succeed_for_the_park_admin(world: World) -> None:
    for method, path in write_operations(world):
        r = call(world, "admin", method, path)
        if (method, path) in OWN_ACCOUNT:
            assert r.status_code == 422
            continue
        assert 200 <= r.status_code < 300, (
            f"admin {method.upper()} {path}: {r.status_code} {r.text[:300]}"
        )


#: writes of the whole park: an enterprise's administrator may not make them
PARK_LEVEL_WRITES = {
    ("put", "/api/v1/park"),
    ("put", "/api/v1/tariffs/assignment"),
    ("post", "/api/v1/tariffs/{tariff_id}/month-prices"),
    ("post", "/api/v1/jobs/normalise"),
    ("put", "/api/v1/options"),
    ("post", "/api/v1/grid-factors"),
    ("post", "/api/v1/matching/runs"),
    ("post", "/api/v1/forecasts/weather-series"),
    # the park's microgrid: its declaration, plans, their publication, EV sessions
    ("put", "/api/v1/dispatch/site"),
    ("post", "/api/v1/dispatch/plans"),
    ("post", "/api/v1/dispatch/plans/{plan_id}/publish"),
    ("post", "/api/v1/dispatch/ev-sessions"),
    ("post", "/api/v1/waste/licences"),
    ("post", "/api/v1/waste/alarm-rules"),
    ("post", "/api/v1/compliance/admission"),
    ("put", "/api/v1/indicators/profiles/{profile_id}"),
    ("post", "/api/v1/equipment/alarm-rules"),
    ("post", "/api/v1/programme/alarm-rules"),
    ("put", "/api/v1/equipment/lighting/zones/{zone_code}"),
    # the park's upload to a region carries the whole park's figures
    ("post", "/api/v1/exchange/region/uploads"),
    ("post", "/api/v1/equipment/lighting/zones/{zone_code}/apply"),
}


def test_enterprise_admin_writes_within_its_enterprise(world: World) -> None:
    for method, path in write_operations(world):
        if (method, path) in PARK_LEVEL_WRITES or (method, path) in OWN_ACCOUNT:
            continue
        r = call(world, "a_admin", method, path)
        assert 200 <= r.status_code < 300, (
            f"a_admin {method.upper()} {path}: {r.status_code} {r.text[:300]}"
        )
    for method, path in PARK_LEVEL_WRITES:
        assert call(world, "a_admin", method, path).status_code == 403, path
    # it may not create park-wide roles, even for its own enterprise
    r = world.client.post(
        "/api/v1/users",
        headers=world.h("a_admin"),
        json={"username": "sneaky_admin", "password": "a-long-password", "role": "park_admin"},
    )
    assert r.status_code == 403


def test_a_role_without_ingest_is_refused_before_its_body_is_read(world: World) -> None:
    # a viewer streaming a body gets 403, and the stream is never consumed
    consumed = 0

    def body() -> Any:
        nonlocal consumed
        for _ in range(4):
            consumed += 1
            yield b'[{"point":"E01-main","ts":"2025-01-01T00:00:00+08:00","value":1}]'

    r = world.client.post(
        "/api/v1/readings",
        content=body(),
        headers={**world.h("viewer"), "Content-Type": "application/json"},
    )
    assert r.status_code == 403
    assert consumed <= 1  # at most the first chunk the transport sends before the answer


def test_bodies_over_the_service_limit_are_refused_before_any_route() -> None:
    """BodyLimit on a tiny app: a declared length over the limit is 413 before the route
    runs; a chunked body is stopped when it passes the limit."""
    app = FastAPI()
    calls: list[int] = []

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        calls.append(1)
        return {"size": len(await request.body())}

    app.add_middleware(BodyLimit, limit=100)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/echo", content=b"x" * 100).json() == {"size": 100}
    too_large = client.post("/echo", content=b"x" * 101)
    assert too_large.status_code == 413
    assert too_large.headers["content-type"].startswith("application/problem+json")
    assert len(calls) == 1

    def chunks() -> Any:
        for _ in range(5):
            yield b"x" * 40

    assert client.post("/echo", content=chunks()).status_code == 413


# the tariff assignment (park administrators) and a bill of A's enterprise E01
VALID.update(
    {
        ("put", "/api/v1/tariffs/assignment"): lambda w: (
            {},
            {"json": {"tariff_id": "demo-js-synthetic", "enterprise_id": w.enterprises["E01"]}},
        ),
        # a month's base price of a ratios record (江苏 from 2025-06: fixed ≥ 0.1298)
        ("post", "/api/v1/tariffs/{tariff_id}/month-prices"): lambda w: (
            {"tariff_id": "cn-js-large-industry"},
            {"json": {"month": "2025-06", "price": 0.4, "fixed": 0.2, "source": "roles test"}},
        ),
        ("post", "/api/v1/bills"): lambda w: (
            {},
            {
                "json": {
                    "month": "2025-01",
                    "enterprise_id": w.enterprises["E01"],
                    "energy_kwh": {"高峰": 100.0, "低谷": 50.0},
                    "total_amount": 115.0,
                    "reference": f"JS-2025-01-{next(_n):04d}",
                }
            },
        ),
    }
)


def test_load_forecasts_of_owners_follow_the_scope(world: World) -> None:
    """An enterprise admin forecasts its own enterprise's load; the park's load is park-level
    (403), another enterprise's is absent (404); the park admin may issue both."""
    a = world.h("a_admin")
    own = world.client.post("/api/v1/forecasts", headers=a, json={"enterprise": "E01"})
    assert own.status_code == 201, own.text
    assert (own.json()["subject"], own.json()["point"]) == ("enterprise", "E01")
    park = world.client.post("/api/v1/forecasts", headers=a, json={"scope": "park"})
    assert park.status_code == 403, park.text
    other = world.client.post("/api/v1/forecasts", headers=a, json={"enterprise": "E02"})
    assert other.status_code == 404, other.text
    assert world.client.get("/api/v1/forecasts?scope=park", headers=a).status_code == 403
    both = world.client.post(
        "/api/v1/forecasts", headers=world.h("admin"), json={"point": "E01-grid", "scope": "park"}
    )
    assert both.status_code == 422, both.text
    issued = world.client.post(
        "/api/v1/forecasts", headers=world.h("admin"), json={"scope": "park"}
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["subject"] == "park"
    listed = world.client.get("/api/v1/forecasts?scope=park", headers=world.h("admin")).json()
    assert [f["id"] for f in listed["items"]] == [issued.json()["id"]]


# the waste ledger of A's enterprise E01 (streams, plans, movements, manifests, exchange)
def _waste_stream(w: World) -> int:
    r = w.client.post(
        "/api/v1/waste/streams", headers=w.h("admin"),
        json={"enterprise_id": w.enterprises["E01"], "code": "900-041-49",
              "name": f"废包装物 {next(_n)}", "form": "固态", "process": "包装"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _waste_licence(w: World) -> int:
    r = w.client.post(
        "/api/v1/waste/licences", headers=w.h("admin"),
        json={"holder": "某处置公司（合成）", "number": f"JS-ROLE-{next(_n)}", "codes": ["HW49"],
              "capacity": 1000, "valid_from": "2020-01-01", "valid_to": "2099-12-31"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _manifest_body(w: World) -> dict[str, Any]:
    return {"enterprise_id": w.enterprises["E01"], "number": f"M-ROLE-{next(_n)}",
            "licence_id": _waste_licence(w), "transporter": "某运输公司",
            "transporter_licence": "苏交运 001",
            "lines": [{"stream_id": _waste_stream(w), "quantity": 1}]}  # fmt: skip


def _new_manifest(w: World) -> int:
    r = w.client.post("/api/v1/waste/manifests", headers=w.h("admin"), json=_manifest_body(w))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _listing_body(w: World) -> dict[str, Any]:
    return {"enterprise_id": w.enterprises["E01"], "side": "offer", "material": "粉煤灰",
            "quantity": 10, "period_from": "2025-01-01", "period_to": "2025-12-31"}  # fmt: skip


def _deal_body(w: World) -> dict[str, Any]:
    r = w.client.post(
        "/api/v1/waste/exchange/listings", headers=w.h("admin"), json=_listing_body(w)
    )
    assert r.status_code == 201, r.text
    return {"offer_id": r.json()["id"], "buyer_id": w.enterprises["E02"], "quantity": 2,
            "agreed_on": "2025-06-01"}  # fmt: skip


def _new_deal(w: World) -> int:
    r = w.client.post("/api/v1/waste/exchange/deals", headers=w.h("admin"), json=_deal_body(w))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _extension_body(w: World) -> dict[str, Any]:
    """A batch of a new E01 stream stored on 2025-03-01 (statutory limit 2026-03-01) and an
    extension of it approved 2026-02-10 until 2026-06-30."""
    stream = _waste_stream(w)
    fac = w.client.post(
        "/api/v1/waste/facilities", headers=w.h("admin"),
        json={"enterprise_id": w.enterprises["E01"], "code": f"WH-X{next(_n)}", "name": "暂存间",
              "capacity": 10},
    )  # fmt: skip
    assert fac.status_code == 201, fac.text
    for body in ({"kind": "generated", "quantity": 1, "at": "2025-03-01"},
                 {"kind": "stored", "quantity": 1, "at": "2025-03-01",
                  "facility_id": fac.json()["id"]}):  # fmt: skip
        r = w.client.post("/api/v1/waste/movements", headers=w.h("admin"),
                          json={"stream_id": stream, "batch": "X1", **body})  # fmt: skip
        assert r.status_code == 201, r.text
    return {"stream_id": stream, "batch": "X1", "authority": "某市生态环境局",
            "number": f"延期-{next(_n)}", "approved_on": "2026-02-10", "until": "2026-06-30"}  # fmt: skip


def _import_file(w: World) -> dict[str, Any]:
    stream = _waste_stream(w)
    name = next(
        x["name"]
        for x in w.client.get("/api/v1/waste/streams", headers=w.h("admin")).json()
        if x["id"] == stream
    )
    text = (
        f"enterprise,stream,kind,batch,quantity,unit,at\nE01,{name},generated,R1,1,t,2025-03-01\n"
    )
    return {"files": {"file": ("ledger.csv", text.encode(), "text/csv")}}


VALID.update(
    {
        ("post", "/api/v1/waste/streams"): lambda w: (
            {},
            {"json": {"enterprise_id": w.enterprises["E01"], "code": "900-249-08",
                      "name": f"废矿物油 {next(_n)}", "form": "液态", "process": "设备维护"}},
        ),
        ("post", "/api/v1/waste/plans"): lambda w: (
            {}, {"json": {"stream_id": _waste_stream(w), "year": 2025, "quantity": 12}},
        ),
        ("post", "/api/v1/waste/facilities"): lambda w: (
            {},
            {"json": {"enterprise_id": w.enterprises["E01"], "code": f"WH-{next(_n)}",
                      "name": "危废暂存间", "capacity": 10}},
        ),
        ("post", "/api/v1/waste/movements"): lambda w: (
            {},
            {"json": {"stream_id": _waste_stream(w), "kind": "generated", "batch": "R1",
                      "quantity": 0.5, "at": "2025-03-01"}},
        ),
        ("post", "/api/v1/waste/movements/import"): lambda w: ({}, _import_file(w)),
        ("post", "/api/v1/waste/licences"): lambda w: (
            {},
            {"json": {"holder": "某处置公司（合成）", "number": f"JS-V-{next(_n)}",
                      "codes": ["HW49", "900-249-08"], "capacity": 500,
                      "valid_from": "2025-01-01", "valid_to": "2027-12-31"}},
        ),
        ("post", "/api/v1/waste/approvals"): lambda w: (
            {},
            {"json": {"enterprise_id": w.enterprises["E01"], "number": f"ZJ-A-{next(_n)}",
                      "destination": "浙江省", "codes": ["HW49"], "quantity": 20,
                      "valid_from": "2025-01-01", "valid_to": "2027-12-31"}},
        ),
        ("post", "/api/v1/waste/storage-extensions"): lambda w: (
            {}, {"json": _extension_body(w)},
        ),
        ("post", "/api/v1/waste/manifests"): lambda w: ({}, {"json": _manifest_body(w)}),
        ("post", "/api/v1/waste/manifests/{manifest_id}/transitions"): lambda w: (
            {"manifest_id": _new_manifest(w)}, {"json": {"action": "dispatch"}},
        ),
        ("post", "/api/v1/waste/exchange/listings"): lambda w: ({}, {"json": _listing_body(w)}),
        ("post", "/api/v1/waste/exchange/deals"): lambda w: ({}, {"json": _deal_body(w)}),
        ("post", "/api/v1/waste/exchange/deals/{deal_id}/settle"): lambda w: (
            {"deal_id": _new_deal(w)}, {"json": {"action": "complete", "on": "2025-06-20"}},
        ),
        ("post", "/api/v1/waste/alarm-rules"): lambda w: ({}, {}),
    }
)  # fmt: skip


# project admission checks (park roles; the park's totals of 2025)
VALID.update(
    {
        ("post", "/api/v1/compliance/admission"): lambda w: (
            {},
            {"json": {
                "project": {"name": f"项目 {next(_n)}", "investment_cny": 1e6, "energy_tce": 10,
                            "electricity_kwh": 0, "green_power_share": 0, "combustion_tco2": 0,
                            "process_tco2": 0},
                "rules": {"core_max": 1.0, "core_source": "role test"}, "year": 2025}},
        ),
    }
)  # fmt: skip

VALID.update(
    {
        ("post", "/api/v1/ghg/documents"): lambda w: (
            {}, {"json": {"enterprise_id": w.enterprises["E01"], "document": ghg_document_body()}},
        ),
        ("post", "/api/v1/ghg/cbam/communication"): lambda w: (
            {},
            {"json": {"installation": {"name": "示例铝厂（合成）", "year": 2026, "processes": [
                {"id": "casting", "cn_code": "7601 10 10", "output": 100}]}}},
        ),
    }
)  # fmt: skip

# a park's own indicator profile (park administrators): each call a new version
VALID.update(
    {
        ("put", "/api/v1/indicators/profiles/{profile_id}"): lambda w: (
            {"profile_id": "role-probe"},
            {"content": profile_yaml("role-probe", next(_n)),
             "headers": {"Content-Type": "application/yaml"}},
        ),
    }
)  # fmt: skip


def _equipment_plan(w: World) -> int:
    r = w.client.post(
        "/api/v1/equipment/inspections/plans", headers=w.h("admin"),
        json={"code": f"CAL-{next(_n)}", "name": "主表检定", "kind": "meter_calibration",
              "point": "E01-grid", "interval_months": 12, "first_due": "2025-01-10",
              "enterprise_id": w.enterprises["E01"]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _work_order(w: World) -> int:
    r = w.client.post(
        f"/api/v1/equipment/inspections/plans/{_equipment_plan(w)}/orders", headers=w.h("admin")
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _controlled_zone(w: World) -> str:
    r = w.client.put(
        "/api/v1/equipment/lighting/zones/RD-CTL", headers=w.h("admin"),
        json={"name": "园区支路", "kind": "road", "circuits": [w.park["point"]],
              "latitude": 31.3, "longitude": 120.6,
              "control": {"gateways": [{"code": "GW", "host": "127.0.0.1", "port": 5020}],
                          "devices": [{"device": w.park["point"], "gateway": "GW", "unit": 1,
                                       "setpoint": {"address": 40, "type": "uint16"}}]}},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return "RD-CTL"


# the equipment register, inspections (E01's) and public lighting (the park's)
VALID.update(
    {
        ("post", "/api/v1/equipment"): lambda w: (
            {},
            {"json": {"code": f"M-{next(_n)}", "name": "循环泵电机", "type": "motor",
                      "rated": {"rated_kw": 15, "poles": 4, "efficiency_pct": 92.5},
                      "power_point": "E01-grid", "enterprise_id": w.enterprises["E01"]}},
        ),
        ("post", "/api/v1/equipment/inspections/plans"): lambda w: (
            {},
            {"json": {"code": f"INS-{next(_n)}", "name": "蒸汽管网巡检", "kind": "pipe_leak",
                      "interval_days": 30, "first_due": "2025-01-10",
                      "enterprise_id": w.enterprises["E01"]}},
        ),
        ("post", "/api/v1/equipment/inspections/plans/{inspection_plan_id}/orders"): lambda w: (
            {"inspection_plan_id": _equipment_plan(w)}, {},
        ),
        ("patch", "/api/v1/equipment/inspections/orders/{work_order_id}"): lambda w: (
            {"work_order_id": _work_order(w)},
            {"json": {"status": "done", "done_on": "2025-01-12", "findings": "无泄漏"}},
        ),
        ("post", "/api/v1/equipment/alarm-rules"): lambda w: ({}, {}),
        ("post", "/api/v1/programme/alarm-rules"): lambda w: ({}, {}),
        ("put", "/api/v1/equipment/lighting/zones/{zone_code}"): lambda w: (
            {"zone_code": "RD-1"},
            {"json": {"name": "园区主干道", "kind": "road", "circuits": [w.park["point"]],
                      "latitude": 31.3, "longitude": 120.6,
                      "dimming": [{"start": "23:00", "end": "05:00", "level_pct": 50}]}},
        ),
        # a dry run of a zone with a control section: the registers, nothing sent
        ("post", "/api/v1/equipment/lighting/zones/{zone_code}/apply"): lambda w: (
            {"zone_code": _controlled_zone(w)},
            {"json": {"at": "2025-01-16T00:30:00+08:00", "dry_run": True}},
        ),
    }
)  # fmt: skip


# the energy-management programme of A's enterprise E01 (plans, measures, records)
def _programme_plan(w: World) -> int:
    r = w.client.post(
        "/api/v1/programme/plans", headers=w.h("admin"),
        json={"enterprise_id": w.enterprises["E01"], "year": 2025,
              "title": f"节能计划 {next(_n)}", "targets": {"energy_tce_max": 100}},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _programme_measure(w: World) -> int:
    r = w.client.post(
        "/api/v1/programme/measures", headers=w.h("admin"),
        json=programme_measure_body(_programme_plan(w), f"M{next(_n)}"),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _programme_record(w: World) -> int:
    r = w.client.post(
        "/api/v1/programme/records", headers=w.h("admin"),
        json={"kind": "objective", "enterprise_id": w.enterprises["E01"], "title": "节能目标",
              "body": {"statement": "单位产品电耗下降 5 %"}},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


VALID.update(
    {
        ("post", "/api/v1/programme/plans"): lambda w: (
            {},
            {"json": {"enterprise_id": w.enterprises["E01"], "year": 2025,
                      "title": f"节能计划 {next(_n)}", "targets": {"savings_tce": 10}}},
        ),
        ("post", "/api/v1/programme/measures"): lambda w: (
            {}, {"json": programme_measure_body(_programme_plan(w), f"M{next(_n)}")},
        ),
        ("patch", "/api/v1/programme/measures/{measure_id}"): lambda w: (
            {"measure_id": _programme_measure(w)}, {"json": {"status": "in_progress"}},
        ),
        ("post", "/api/v1/programme/measures/{measure_id}/verify"): lambda w: (
            {"measure_id": _programme_measure(w)}, {"json": {"save": True}},
        ),
        ("post", "/api/v1/programme/records"): lambda w: (
            {},
            {"json": {"kind": "significant_use", "enterprise_id": w.enterprises["E01"],
                      "title": "空压站", "body": {"name": "空压站", "share": 0.3},
                      "cites": {"points": ["E01-grid"]}}},
        ),
        ("patch", "/api/v1/programme/records/{programme_record_id}"): lambda w: (
            {"programme_record_id": _programme_record(w)}, {"json": {"status": "closed"}},
        ),
    }
)  # fmt: skip
