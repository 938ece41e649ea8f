"""``/api/v1/incidents``: the emergency-event register over HTTP (SQLite and PostgreSQL) — the
time line, attachments and their hashes, closing, alarm evidence through the injected
resolver, the export, and the enterprise scope."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from openpyxl import load_workbook

from tests.api.walk import no_b_data
from tests.api.world import World

URL = "/api/v1/incidents"


def _open(w: World, user: str = "admin", **body: Any) -> dict[str, Any]:
    payload = {
        "title": "一号厂房配电室冒烟",
        "kind": "production_safety_accident",
        "enterprise_id": w.enterprises["E01"],
        **body,
    }
    r = w.client.post(URL, headers=w.h(user), json=payload)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_an_incident_is_opened_recorded_and_closed_over_the_api(world: World) -> None:
    inc = _open(world, "a_admin", level="ordinary", latitude=31.2304, longitude=121.4737)
    assert inc["state"] == "open" and inc["state_name"] == "已登记"
    assert inc["category"] == "accident_disaster" and inc["category_name"] == "事故灾难"
    assert inc["level_name"] == "一般"
    url = f"{URL}/{inc['id']}"
    r = world.client.post(
        f"{url}/entries",
        headers=world.h("a_admin"),
        json={"text": "切断电源", "at": "2025-01-20T10:05:00+08:00"},
    )
    assert r.status_code == 201, r.text
    # the entry happened before the incident was opened (now): it comes first
    texts = [e["text"] for e in r.json()["entries"]]
    assert texts == ["切断电源", "登记事件：一号厂房配电室冒烟"]
    r = world.client.post(f"{url}/close", headers=world.h("a_admin"), json={"report": " "})
    assert r.status_code == 422 and r.json()["field"] == "report"
    r = world.client.post(
        f"{url}/close", headers=world.h("a_admin"), json={"report": "电缆老化，已更换。"}
    )
    assert r.status_code == 200 and r.json()["state"] == "closed"
    late = world.client.post(f"{url}/entries", headers=world.h("a_admin"), json={"text": "x"})
    assert late.status_code == 409


def test_attachments_are_kept_with_their_hash_once_per_content(world: World) -> None:
    inc = _open(world)
    url = f"{URL}/{inc['id']}/attachments"
    content = "现场照片".encode()
    first = world.client.post(
        url, headers=world.h("a_admin"), files={"file": ("照片.txt", content, "text/plain")}
    )
    assert first.status_code == 201, first.text
    # printf '现场照片' | sha256sum
    digest = "3c7d2903439dc4d647230dd3cf76a7126546532c9f134f62078c1f46c5ba78f7"
    assert first.json()["sha256"] == digest and first.json()["created"] is True
    again = world.client.post(
        url, headers=world.h("admin"), files={"file": ("copy.txt", content, "text/plain")}
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    got = world.client.get(first.json()["url"], headers=world.h("a_viewer"))
    assert got.status_code == 200 and got.content == content
    assert got.headers["x-content-sha256"] == hashlib.sha256(got.content).hexdigest() == digest
    assert got.headers["content-type"] == "application/octet-stream"
    assert "attachment" in got.headers["content-disposition"]


def test_export_carries_the_time_line_in_zh_cn(world: World) -> None:
    inc = _open(world)
    for text in ("消防到场", "明火扑灭"):
        world.client.post(
            f"{URL}/{inc['id']}/entries", headers=world.h("admin"), json={"text": text}
        )
    r = world.client.get(f"{URL}/{inc['id']}/export", headers=world.h("a_viewer"))
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))
    dn = wb.defined_names["t_timeline"]
    ((sheet, ref),) = list(dn.destinations)
    rows = wb[sheet][ref.replace("$", "")]
    assert [c.value for c in rows[0]][:5] == ["序号", "时间", "记录人", "类型", "内容"]
    assert [row[4].value for row in rows[1:]] == [
        "登记事件：一号厂房配电室冒烟",
        "消防到场",
        "明火扑灭",
    ]
    html = world.client.get(
        f"{URL}/{inc['id']}/export",
        headers=world.h("admin"),
        params={"format": "html", "lang": "en"},
    )
    assert html.status_code == 200 and "Incident report" in html.text


def test_an_incident_made_from_an_alarm_carries_its_evidence(world: World) -> None:
    """The service's resolver turns alarm ids into evidence: the alarm and the readings of its
    point around it; another enterprise's alarm is absent (404); without a resolver, 422."""
    a_admin = world.h("a_admin")
    rule = {"id": "inc-evidence", "name": "进线越限", "kind": "threshold", "severity": "major",
            "scope": {"points": ["E01-grid"]}, "op": "below", "low": 1e15}  # fmt: skip
    assert world.client.post("/api/v1/alarms/rules", headers=a_admin, json=rule).status_code == 201
    first = world.client.get(
        "/api/v1/points/E01-grid/readings", headers=a_admin, params={"limit": 1}
    ).json()["items"][0]
    # the rule has not seen this stored reading: sent again, it raises the alarm
    sent = world.client.post(
        "/api/v1/readings", headers=a_admin, json=[{"point": "E01-grid", **first}]
    )
    assert sent.status_code == 200, sent.text
    (alarm,) = world.client.get(
        "/api/v1/alarms", headers=a_admin, params={"rule": "inc-evidence"}
    ).json()["items"]
    r = world.client.post(
        URL,
        headers=a_admin,
        json={
            "title": "进线异常",
            "kind": "production_safety_accident",
            "alarm_ids": [alarm["id"]],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["enterprise_id"] == world.enterprises["E01"]
    (linked,) = body["alarms"]
    # the reading that raised it is among the evidence, at its own time and value
    assert {"point": "E01-grid", "ts": first["ts"], "value": first["value"]} in linked["readings"]
    assert body["entries"][0]["text"].startswith(f"由告警 #{alarm['id']} 创建（重要）")
    denied = world.client.post(
        URL,
        headers=world.h("b_admin"),
        json={"title": "t", "kind": "natural_disaster", "alarm_ids": [alarm["id"]]},
    )
    assert denied.status_code == 404
    resolver = world.client.app.state.alarm_evidence  # type: ignore[attr-defined]
    world.client.app.state.alarm_evidence = None  # type: ignore[attr-defined]
    try:
        r = world.client.post(
            URL,
            headers=world.h("admin"),
            json={"title": "t", "kind": "natural_disaster", "alarm_ids": [alarm["id"]]},
        )
        assert r.status_code == 422 and "alarm linking is not available" in r.text
    finally:
        world.client.app.state.alarm_evidence = resolver  # type: ignore[attr-defined]


def test_lists_and_filters_stay_in_scope(world: World) -> None:
    mine = _open(world, "a_admin", level="major", title="甲企业洪水", kind="natural_disaster")
    for user in ("a_viewer", "a_admin"):
        r = world.client.get(URL, headers=world.h(user), params={"limit": 1000})
        assert r.status_code == 200
        assert {i["enterprise_id"] for i in r.json()["items"]} == {world.enterprises["E01"]}
        no_b_data(world, r.text, f"{user} GET {URL}")
        r = world.client.get(f"{URL}/{world.b['incident_id']}", headers=world.h(user))
        assert r.status_code == 404
    r = world.client.get(
        URL, headers=world.h("a_viewer"), params={"kind": "natural_disaster", "level": "major"}
    )
    assert [i["id"] for i in r.json()["items"]] == [mine["id"]]
    everyone = world.client.get(URL, headers=world.h("admin"), params={"limit": 1000})
    assert world.b["incident_id"] in {i["id"] for i in everyone.json()["items"]}
    bad = world.client.get(URL, headers=world.h("admin"), params={"kind": "meteor"})
    assert bad.status_code == 422 and bad.json()["field"] == "kind"


def test_a_patch_starts_the_response_and_sets_people_and_level(world: World) -> None:
    inc = _open(world, "a_admin")
    url = f"{URL}/{inc['id']}"
    r = world.client.patch(
        url,
        headers=world.h("a_admin"),
        json={
            "state": "responding",
            "responsible": [{"name": "张三", "duty": "现场指挥"}],
            "level": "major",
            "reason": "波及相邻企业",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "responding" and body["level_name"] == "重大"
    assert body["responsible"] == [{"name": "张三", "duty": "现场指挥", "contact": ""}]
    assert [e["text"] for e in body["entries"]][-3:] == [
        "状态变为处置中：波及相邻企业",
        "责任人：张三",
        "级别由未定级调整为重大：波及相邻企业",
    ]
    # leaving the level out keeps it; null clears it
    kept = world.client.patch(url, headers=world.h("a_admin"), json={"reason": "x"})
    assert kept.status_code == 200 and kept.json()["level"] == "major"
    cleared = world.client.patch(url, headers=world.h("a_admin"), json={"level": None})
    assert cleared.status_code == 200 and cleared.json()["level"] is None
    # a second start of the response is refused and changes nothing
    again = world.client.patch(
        url, headers=world.h("a_admin"), json={"state": "responding", "level": "ordinary"}
    )
    assert again.status_code == 409
    after = world.client.get(url, headers=world.h("a_admin")).json()
    assert after["level"] is None and len(after["entries"]) == len(cleared.json()["entries"])
