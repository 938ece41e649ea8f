"""Notification channels and deliveries through the API: who may manage which channels,
secrets shown once, tenancy of channels and deliveries, validation naming the field, auditing,
and a test message delivered by the service's worker to a receiver on loopback."""

from __future__ import annotations

import hashlib
import time

from lingtan.alarms.notify.model import verify
from tests.alarms.notify.conftest import Hook, hook  # noqa: F401 - the receiver fixture
from tests.api.world import World

CHANNELS = "/api/v1/alarms/channels"
DELIVERIES = "/api/v1/alarms/deliveries"


def _create(w: World, user: str, **body: object) -> dict[str, object]:
    payload = {"name": "值班群", "kind": "webhook", "target": "http://127.0.0.1:9/x", **body}
    r = w.client.post(CHANNELS, headers=w.h(user), json=payload)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_webhook_secret_is_shown_once_and_lists_show_its_fingerprint(world: World) -> None:
    made = _create(world, "admin", code="park-ops")
    secret = str(made["secret"])
    assert len(secret) >= 40  # token_urlsafe(32): 43 characters
    # the fingerprint is the first 12 hex digits of SHA-256 of the secret
    assert made["secret_fingerprint"] == hashlib.sha256(secret.encode()).hexdigest()[:12]
    assert made["enterprise_id"] is None  # a park channel
    for user in ("admin", "viewer", "auditor"):
        listed = world.client.get(CHANNELS, headers=world.h(user))
        assert listed.status_code == 200
        assert secret not in listed.text
        assert made["id"] in {c["id"] for c in listed.json()["items"]}
    audit = world.client.get("/api/v1/audit", headers=world.h("admin")).text
    assert secret not in audit and "notify_channel" in audit


def test_an_enterprise_admin_manages_only_its_enterprise_channels(world: World) -> None:
    made = _create(world, "a_admin", code="a-ops", min_severity="critical")
    assert made["enterprise_id"] == world.enterprises["E01"]
    # visible to A's viewer, not to B's
    a_list = world.client.get(CHANNELS, headers=world.h("a_viewer")).json()["items"]
    assert made["id"] in {c["id"] for c in a_list}
    assert {c["enterprise_id"] for c in a_list} == {world.enterprises["E01"]}
    b_list = world.client.get(CHANNELS, headers=world.h("b_viewer")).json()["items"]
    assert made["id"] not in {c["id"] for c in b_list}
    # B's admin cannot test or delete it: it does not exist for B
    for method, url in (
        ("POST", f"{CHANNELS}/{made['id']}/test"),
        ("DELETE", f"{CHANNELS}/{made['id']}"),
    ):
        assert world.client.request(method, url, headers=world.h("b_admin")).status_code == 404
    # a viewer may not create one, and naming B's enterprise is answered as a missing one
    r = world.client.post(
        CHANNELS,
        headers=world.h("a_viewer"),
        json={"code": "x", "name": "x", "kind": "webhook", "target": "https://e.example.cn/"},
    )
    assert r.status_code == 403
    r = world.client.post(
        CHANNELS,
        headers=world.h("a_admin"),
        json={
            "code": "x",
            "name": "x",
            "kind": "webhook",
            "target": "https://e.example.cn/",
            "enterprise_id": world.enterprises["E02"],
        },
    )
    assert r.status_code == 404
    deleted = world.client.delete(f"{CHANNELS}/{made['id']}", headers=world.h("a_admin"))
    assert deleted.status_code == 200
    assert (
        world.client.delete(f"{CHANNELS}/{made['id']}", headers=world.h("a_admin")).status_code
        == 404
    )
    a_list = world.client.get(CHANNELS, headers=world.h("a_viewer")).json()["items"]
    assert made["id"] not in {c["id"] for c in a_list}


def test_an_invalid_channel_is_refused_naming_the_field(world: World) -> None:
    for body, field in (
        ({"kind": "email", "target": ["ops@example.cn", "nobody"]}, "target[1]"),
        ({"kind": "email", "target": []}, "target"),
        ({"kind": "webhook", "target": "ftp://example.cn/x"}, "target"),
        (
            {"kind": "webhook", "target": "https://e.example.cn/", "min_severity": "x"},
            "min_severity",
        ),
        ({"kind": "pager", "target": "https://e.example.cn/"}, "kind"),
    ):
        r = world.client.post(
            CHANNELS, headers=world.h("admin"), json={"code": "bad", "name": "坏", **body}
        )
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field, r.text
    r = world.client.get(DELIVERIES, headers=world.h("admin"), params={"state": "lost"})
    assert r.status_code == 422 and r.json()["field"] == "state"


def test_deliveries_are_scoped_to_the_channel_owner_and_retried_within_scope(
    world: World,
) -> None:
    made = _create(world, "a_admin", code="a-test")
    queued = world.client.post(f"{CHANNELS}/{made['id']}/test", headers=world.h("a_admin"))
    assert queued.status_code == 202, queued.text
    delivery = queued.json()
    assert delivery["event"] == "test" and delivery["channel_code"] == "a-test"
    a_rows = world.client.get(DELIVERIES, headers=world.h("a_viewer")).json()["items"]
    assert delivery["id"] in {d["id"] for d in a_rows}
    assert {d["enterprise_id"] for d in a_rows} == {world.enterprises["E01"]}
    assert world.b["delivery_id"] not in {d["id"] for d in a_rows}
    b_rows = world.client.get(DELIVERIES, headers=world.h("b_viewer")).json()["items"]
    assert delivery["id"] not in {d["id"] for d in b_rows}
    assert world.b["delivery_id"] in {d["id"] for d in b_rows}
    retry = f"{DELIVERIES}/{delivery['id']}/retry"
    assert world.client.post(retry, headers=world.h("b_admin")).status_code == 404
    assert world.client.post(retry, headers=world.h("a_viewer")).status_code == 403
    r = world.client.post(retry, headers=world.h("a_admin"))
    assert r.status_code == 200 and r.json()["state"] == "pending", r.text


def test_a_test_message_is_delivered_by_the_service_worker_signed(world: World, hook: Hook) -> None:  # noqa: F811
    made = _create(world, "a_admin", code="a-live", target=hook.url)
    queued = world.client.post(f"{CHANNELS}/{made['id']}/test", headers=world.h("a_admin"))
    assert queued.status_code == 202
    key = queued.json()["delivery_id"]
    deadline = time.monotonic() + 30
    state = "pending"
    while time.monotonic() < deadline:
        rows = world.client.get(
            DELIVERIES, headers=world.h("a_admin"), params={"state": "delivered"}
        ).json()["items"]
        if key in {d["delivery_id"] for d in rows}:
            state = "delivered"
            break
        time.sleep(0.05)
    assert state == "delivered"
    (got,) = hook.received
    assert got.headers["x-lingtan-delivery"] == key
    assert verify(str(made["secret"]).encode(), got.body, got.headers, now_s=time.time())
