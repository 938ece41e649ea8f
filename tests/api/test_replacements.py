"""``/api/v1/points/{code}/replacements``: record and list meter replacements (SQLite and
PostgreSQL) — who may, what is refused and why, what the normaliser makes of it."""

from __future__ import annotations

from typing import Any

from tests.api.walk import no_b_data
from tests.api.world import World, wait_job

URL = "/api/v1/points/{}/replacements"


def _readings(w: World, code: str, start: str, end: str) -> list[dict[str, Any]]:
    r = w.client.get(
        f"/api/v1/points/{code}/readings",
        headers=w.h("admin"),
        params={"start": start, "end": end},
    )
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _hour(w: World, code: str, start: str) -> dict[str, Any]:
    r = w.client.get(
        f"/api/v1/points/{code}/statistics",
        headers=w.h("admin"),
        params={"period": "hour", "start": start, "end": start.replace(":00:00", ":59:59")},
    )
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    return dict(item)


def test_a_replacement_recorded_over_the_api_is_normalised(world: World) -> None:
    """A's main meter on 2025-01-20 reads v at 14:15 and w at 14:30 (local). A replacement at
    14:20 whose old meter ended at v + 3 and whose new meter started at v + 3 (the 14:30
    reading is the new meter's) gives that span (v + 3 − v) + (w − (v + 3)) = w − v: the hour
    keeps its value, now flagged ``replacement``, and stays measured (both parts are bounded
    by readings 15 minutes apart)."""
    a = world.h("a_admin")
    before = _hour(world, "E01-grid", "2025-01-20T14:00:00+08:00")
    assert before["quality"] == "measured" and "replacement" not in before["flags"]
    items = _readings(world, "E01-grid", "2025-01-20T14:15:00+08:00", "2025-01-20T14:31:00+08:00")
    v, w = items[0]["value"], items[1]["value"]
    assert w > v + 3
    body = {"at": "2025-01-20T14:20:00+08:00", "old_final": v + 3, "new_initial": v + 3}
    body["note"] = "换表工单 A-7"
    r = world.client.post(URL.format("E01-grid"), headers=a, json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["point"] == "E01-grid" and out["at"] == "2025-01-20T14:20:00+08:00"
    assert out["recorded_by"] == "user:a_admin" and out["source"] == "api:user:a_admin"
    # the same again changes nothing; a different one at the same instant is a conflict
    again = world.client.post(URL.format("E01-grid"), headers=a, json=body)
    assert again.status_code == 200 and again.json()["id"] == out["id"]
    clash = world.client.post(URL.format("E01-grid"), headers=a, json={**body, "old_final": 1e9})
    assert clash.status_code == 409, clash.text
    listed = world.client.get(URL.format("E01-grid"), headers=world.h("a_viewer"))
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [out["id"]]
    audit = world.client.get("/api/v1/audit", headers=world.h("auditor")).json()["items"]
    assert any(e["entity"] == "meter_replacement" and e["actor"] == "user:a_admin" for e in audit)
    normalise = world.client.post("/api/v1/jobs/normalise", headers=world.h("admin"))
    assert normalise.status_code in (200, 202), normalise.text
    wait_job(world, normalise.json()["id"], "admin")
    after = _hour(world, "E01-grid", "2025-01-20T14:00:00+08:00")
    assert abs(after["value"] - before["value"]) <= 1e-6 * before["value"]
    assert "replacement" in after["flags"] and after["quality"] == "measured"


def test_bad_replacements_get_a_clear_error(world: World) -> None:
    a = world.h("a_admin")
    items = _readings(world, "E01-grid", "2025-01-21T09:00:00+08:00", "2025-01-21T09:16:00+08:00")
    v0900 = items[0]["value"]
    at = "2025-01-21T09:05:00+08:00"
    cases = [
        ({"at": at, "old_final": v0900 - 1, "new_initial": 0}, "is below the last reading"),
        ({"at": "2025-01-21T09:05:00", "old_final": v0900, "new_initial": 0}, "no UTC offset"),
        ({"at": at, "old_final": v0900, "new_initial": -5}, "below zero"),
        ({"at": "2099-01-01T00:00:00+08:00", "old_final": 1, "new_initial": 0}, "in the future"),
    ]
    for body, expected in cases:
        r = world.client.post(URL.format("E01-grid"), headers=a, json=body)
        assert r.status_code == 422, (body, r.text)
        assert expected in r.json()["detail"], (body, r.text)
    r = world.client.post(
        URL.format("PARK-pv-power"),
        headers=world.h("admin"),
        json={"at": at, "old_final": 1, "new_initial": 0},
    )
    assert r.status_code == 422 and "measurement points have no register" in r.text, r.text
    r = world.client.post(
        URL.format("E99-grid"),
        headers=world.h("admin"),
        json={"at": at, "old_final": 1, "new_initial": 0},
    )
    assert r.status_code == 404, r.text
    listed = world.client.get(URL.format("E01-grid"), headers=world.h("admin")).json()
    assert not any(i["at"] == at for i in listed["items"])


def test_an_enterprise_cannot_record_on_another_enterprises_point(world: World) -> None:
    """A's admin and A's ingest key, on B's main meter: 403 and the same answer as for a point
    that does not exist; nothing recorded; B's admin may."""
    body = {"at": "2025-01-22T09:05:00+08:00", "old_final": 1e12, "new_initial": 0.0}
    for caller in ("a_admin", "a_ingest_key"):
        answers = [
            world.client.post(URL.format(code), headers=world.h(caller), json=body)
            for code in ("E02-grid", "E99-grid")
        ]
        assert [r.status_code for r in answers] == [403, 403], [r.text for r in answers]
        assert answers[0].json() == answers[1].json()
        no_b_data(world, answers[0].text, f"{caller} POST E02-grid replacement")
    listed = world.client.get(URL.format("E02-grid"), headers=world.h("admin")).json()
    assert not any(i["at"] == "2025-01-22T09:05:00+08:00" for i in listed["items"])
    # B lists its own; A cannot even see that B's point has any
    assert world.client.get(URL.format("E02-grid"), headers=world.h("a_viewer")).status_code == 404
    assert world.client.get(URL.format("E02-grid"), headers=world.h("b_viewer")).status_code == 200
    (first,) = _readings(
        world, "E02-grid", "2025-01-22T09:00:00+08:00", "2025-01-22T09:01:00+08:00"
    )
    own_body = {**body, "old_final": first["value"], "new_initial": first["value"]}
    ok = world.client.post(URL.format("E02-grid"), headers=world.h("b_admin"), json=own_body)
    assert ok.status_code == 201, ok.text
    # a viewer may not record, even for its own enterprise
    own = world.client.post(URL.format("E01-grid"), headers=world.h("a_viewer"), json=body)
    assert own.status_code == 403
