"""``/api/v1/alarms`` over HTTP (SQLite and PostgreSQL): rules written, refused and retired;
an alarm raised by a reading, found by the filters, acknowledged once, commented and closed;
the summary; maintenance windows; an enterprise's rule bound to its own points."""

from __future__ import annotations

import itertools
from typing import Any

from tests.api.world import World

URL = "/api/v1/alarms"
_n = itertools.count(1)


def _rule(code: str, point: str = "E01-line", **extra: Any) -> dict[str, Any]:
    # raised by any reading: every register value is below 10^15
    return {"id": code, "name": "接口测试", "kind": "threshold", "severity": "major",
            "scope": {"points": [point]}, "op": "below", "low": 1e15, **extra}  # fmt: skip


def _raise(w: World, user: str, point: str) -> tuple[str, dict[str, Any]]:
    """A new rule of ``user``'s on ``point`` and the alarm one of its stored readings raises
    when sent again (the rule has not seen it; the store keeps the reading as it is)."""
    code = f"api-{next(_n)}"
    h = w.h(user)
    assert w.client.post(f"{URL}/rules", headers=h, json=_rule(code, point)).status_code == 201
    first = w.client.get(f"/api/v1/points/{point}/readings", headers=h, params={"limit": 1})
    item = first.json()["items"][0]
    assert (
        w.client.post("/api/v1/readings", headers=h, json=[{"point": point, **item}]).status_code
        == 200
    )
    found = w.client.get(URL, headers=h, params={"rule": code}).json()
    assert found["total"] == 1, found
    return code, found["items"][0]


def test_a_rule_is_created_refused_changed_and_retired(world: World) -> None:
    h = world.h("admin")
    code = f"api-{next(_n)}"
    r = world.client.post(f"{URL}/rules", headers=h, json=_rule(code))
    assert r.status_code == 201 and r.json()["rule"]["hold_min"] == 0.0
    assert world.client.post(f"{URL}/rules", headers=h, json=_rule(code)).status_code == 409
    # the body is validated field by field: a negative hold, and an unknown point
    bad = world.client.post(f"{URL}/rules", headers=h, json=_rule(f"x{code}", hold_min=-1))
    assert bad.status_code == 422 and "hold_min" in bad.text
    unknown = world.client.post(f"{URL}/rules", headers=h, json=_rule(f"y{code}", "E99-none"))
    assert unknown.status_code == 422 and "unknown point" in unknown.text
    changed = world.client.put(
        f"{URL}/rules/{code}", headers=h, json=_rule(code, severity="critical")
    )
    assert changed.status_code == 200 and changed.json()["severity"] == "critical"
    other = world.client.put(f"{URL}/rules/{code}", headers=h, json=_rule("another"))
    assert other.status_code == 422
    assert world.client.delete(f"{URL}/rules/{code}", headers=h).status_code == 204
    assert world.client.get(f"{URL}/rules/{code}", headers=h).status_code == 404
    assert code not in {r["id"] for r in world.client.get(f"{URL}/rules", headers=h).json()}


def test_an_alarm_is_found_acknowledged_once_commented_and_closed(world: World) -> None:
    code, alarm = _raise(world, "a_admin", "E01-line")
    h = world.h("a_admin")
    assert alarm["state"] == "open" and alarm["severity_zh"] == "重要" and alarm["count"] == 1
    listed = world.client.get(URL, headers=h, params={"state": "open", "severity": "major"})
    assert alarm["id"] in {a["id"] for a in listed.json()["items"]}
    none = world.client.get(URL, headers=h, params={"rule": code, "severity": "hint"})
    assert none.json()["total"] == 0
    before = world.client.get(f"{URL}/summary", headers=h).json()
    assert before["unacknowledged"] >= 1 and before["major"] >= 1
    url = f"{URL}/{alarm['id']}"
    acked = world.client.post(f"{url}/acknowledge", headers=h, json={"comment": "已派人"})
    assert acked.status_code == 200 and acked.json()["acked_by"] == "user:a_admin"
    again = world.client.post(f"{url}/acknowledge", headers=h, json={})
    assert again.status_code == 409
    after = world.client.get(f"{URL}/summary", headers=h).json()
    assert after["unacknowledged"] == before["unacknowledged"] - 1
    assert (
        world.client.post(f"{url}/comments", headers=h, json={"text": "备件已到"}).status_code
        == 200
    )
    assert (
        world.client.post(f"{url}/close", headers=h, json={"comment": "处理完毕"}).status_code
        == 200
    )
    assert world.client.post(f"{url}/close", headers=h, json={}).status_code == 409
    detail = world.client.get(url, headers=h).json()
    assert [e["action"] for e in detail["events"]] == [
        "raised",
        "acknowledged",
        "comment",
        "closed",
    ]
    # the evidence: the readings of the point around the alarm, the one that raised it among them
    assert detail["readings"] and detail["state"] == "closed"


def test_an_enterprise_rule_is_bound_to_its_own_points(world: World) -> None:
    h = world.h("a_admin")
    code = f"api-{next(_n)}"
    r = world.client.post(f"{URL}/rules", headers=h, json=_rule(code))
    assert r.status_code == 201
    assert r.json()["enterprise_id"] == world.enterprises["E01"]
    assert r.json()["rule"]["scope"]["enterprise"] == "E01"
    # a point of B's is outside the scope, whatever the body says
    theirs = world.client.post(f"{URL}/rules", headers=h, json=_rule(f"b{code}", "E02-line"))
    assert theirs.status_code == 403
    # a park rule about A is shown to A, and stays the park's to change
    park_code = f"park-{next(_n)}"
    park_rule = {
        **_rule(park_code),
        "scope": {"enterprise": "E01", "point_kinds": ["total_increasing"]},
    }
    assert (
        world.client.post(f"{URL}/rules", headers=world.h("admin"), json=park_rule).status_code
        == 201
    )
    assert world.client.get(f"{URL}/rules/{park_code}", headers=h).status_code == 200
    assert (
        world.client.put(f"{URL}/rules/{park_code}", headers=h, json=park_rule).status_code == 403
    )
    assert world.client.delete(f"{URL}/rules/{park_code}", headers=h).status_code == 403
    # B does not see it
    assert (
        world.client.get(f"{URL}/rules/{park_code}", headers=world.h("b_admin")).status_code == 404
    )


def test_a_maintenance_window_is_added_listed_and_cancelled(world: World) -> None:
    h = world.h("a_admin")
    body = {"starts": "2031-01-01T00:00:00+08:00", "ends": "2031-01-02T00:00:00+08:00",
            "reason": "年度检修", "point": "E01-line"}  # fmt: skip
    r = world.client.post(f"{URL}/suppressions", headers=h, json=body)
    assert r.status_code == 201 and r.json()["starts"] == "2031-01-01T00:00:00+08:00"
    wid = r.json()["id"]
    assert wid in {w["id"] for w in world.client.get(f"{URL}/suppressions", headers=h).json()}
    backwards = world.client.post(
        f"{URL}/suppressions", headers=h, json={**body, "ends": "2030-12-31T00:00:00+08:00"}
    )
    assert backwards.status_code == 422 and "ends" in backwards.text
    naive = world.client.post(
        f"{URL}/suppressions", headers=h, json={**body, "starts": "2031-01-01T00:00:00"}
    )
    assert naive.status_code == 422
    assert world.client.delete(f"{URL}/suppressions/{wid}", headers=h).status_code == 204
    assert wid not in {w["id"] for w in world.client.get(f"{URL}/suppressions", headers=h).json()}
