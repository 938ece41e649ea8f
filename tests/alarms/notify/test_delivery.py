"""Delivery against real receivers on loopback: a webhook server answering 500 then 200, one
that hangs, an SMTP server; back-off on an injected clock; a restart in the middle of a
delivery (SQLite and PostgreSQL)."""

from __future__ import annotations

import email
import email.policy
import json
from typing import Any

from lingtan.alarms.notify.model import Delivery, verify
from lingtan.alarms.notify.service import DeliveryWorker, deliver_due, enqueue
from lingtan.store import Store
from lingtan.store.query_repo import Tenant
from tests.alarms.notify.conftest import (
    T0,
    Hook,
    Mailbox,
    S,
    add_channel,
    enterprise_id,
    settings,
)

SECRET = b"whsec-test-0123456789"
ALARM = {"id": 9, "count": 1, "subject": "E01-main", "message": "1号变压器负载率超限"}


def _alarm(
    store: Store, *, now: int = T0, severity: str = "major", alarm: dict[str, Any] | None = None
) -> int:
    return enqueue(
        store,
        park_id=store.registry.park().id,
        enterprise_id=enterprise_id(store, "E01"),
        severity=severity,
        kind="threshold",
        event="opened",
        alarm=alarm or ALARM,
        now=now,
    )


def _only(store: Store) -> Delivery:
    (row,) = store.outbox.deliveries(tenant=Tenant.park_wide())[0]
    return row


def test_webhook_500_then_200_is_retried_after_the_backoff_and_signed(
    loaded: Store, hook: Hook
) -> None:
    ch = add_channel(loaded, code="ops", target=hook.url)
    hook.script = [500]
    assert _alarm(loaded) == 1
    cfg = settings()
    first = deliver_due(loaded, T0, settings=cfg)
    assert (first.delivered, first.retried, first.failed) == (0, 1, 0)
    row = _only(loaded)
    # first failure: next attempt 10 s later (notify_backoff_s)
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 1, T0 + 10 * S)
    assert row.last_error is not None and "HTTP 500" in row.last_error
    # not due before then
    assert deliver_due(loaded, T0 + 9 * S, settings=cfg).attempted == 0
    second = deliver_due(loaded, T0 + 10 * S, settings=cfg)
    assert (second.delivered, second.retried) == (1, 0)
    row = _only(loaded)
    assert (row.state, row.attempts, row.delivered_at, row.last_error) == (
        "delivered",
        2,
        T0 + 10 * S,
        None,
    )
    assert len(hook.received) == 2
    got = hook.received[1]
    key = f"alarm-9-opened-1-ch{ch.id}"
    assert got.headers["x-lingtan-delivery"] == key
    assert got.headers["x-lingtan-timestamp"] == str((T0 + 10 * S) // S)
    assert got.headers["content-type"].startswith("application/json")
    assert verify(SECRET, got.body, got.headers, now_s=(T0 + 10 * S) / S)
    body = json.loads(got.body)
    assert body["delivery_id"] == key and body["alarm"] == ALARM and body["severity"] == "major"
    # both attempts carried the same idempotency key and body (the receiver drops repeats)
    assert hook.received[0].body == got.body


def test_a_hanging_receiver_gives_a_failed_attempt_and_a_retry_not_a_blocked_caller(
    loaded: Store, hook: Hook
) -> None:
    add_channel(loaded, code="slow", target=hook.url + "/slow")
    other = add_channel(loaded, code="fine", target=hook.url + "/fine")
    hook.hang = {"/hook/slow"}  # answers nothing until the test ends
    _alarm(loaded)
    counts = deliver_due(loaded, T0, settings=settings(notify_timeout_s=0.5))
    # the hanging request timed out and is retried later; the other channel's was delivered
    assert (counts.delivered, counts.retried) == (1, 1)
    rows = {d.channel_id: d for d in loaded.outbox.deliveries(tenant=Tenant.park_wide())[0]}
    slow = next(d for c, d in rows.items() if c != other.id)
    assert slow.state == "pending" and slow.attempts == 1
    assert slow.last_error is not None and "timed out" in slow.last_error
    assert slow.next_attempt_at == T0 + 10 * S


def test_a_delivery_fails_after_the_last_attempt_and_can_be_retried(
    loaded: Store, hook: Hook
) -> None:
    add_channel(loaded, code="ops", target=hook.url)
    hook.script = [503, 503, 503]
    _alarm(loaded)
    cfg = settings(notify_max_attempts=3)
    # attempts at T0, T0 + 10 s, then T0 + 10 s + 20 s: the third is the last
    for at, expected in ((T0, "pending"), (T0 + 10 * S, "pending"), (T0 + 30 * S, "failed")):
        deliver_due(loaded, at, settings=cfg)
        assert _only(loaded).state == expected
    assert _only(loaded).attempts == 3
    assert deliver_due(loaded, T0 + 10_000 * S, settings=cfg).attempted == 0  # given up
    with loaded.begin() as conn:
        loaded.outbox.retry(conn, _only(loaded).id, now=T0 + 100 * S)
    assert deliver_due(loaded, T0 + 100 * S, settings=cfg).delivered == 1
    assert len(hook.received) == 4


def test_email_is_sent_to_every_recipient_with_a_chinese_subject_and_utf8_body(
    loaded: Store, smtp: Mailbox
) -> None:
    add_channel(
        loaded,
        code="mail",
        kind="email",
        target=["ops@park.example.cn", "energy@e01.example.cn"],
        enterprise="E01",
    )
    add_channel(loaded, code="mail-en", kind="email", target=["intl@park.example.cn"], lang="en")
    _alarm(loaded)
    cfg = settings(smtp_host=smtp.host, smtp_port=smtp.port, smtp_from="lingtan@park.example.cn")
    counts = deliver_due(loaded, T0, settings=cfg)
    assert counts.delivered == 2
    by_rcpt = {tuple(rcpt): (sender, raw) for sender, rcpt, raw in smtp.mails}
    assert set(by_rcpt) == {
        ("ops@park.example.cn", "energy@e01.example.cn"),
        ("intl@park.example.cn",),
    }
    sender, raw = by_rcpt[("ops@park.example.cn", "energy@e01.example.cn")]
    assert sender == "lingtan@park.example.cn"
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "【重要】告警：1号变压器负载率超限"
    text = msg.get_content()
    assert msg.get_content_charset() == "utf-8"
    assert "级别: 重要" in text and "内容: 1号变压器负载率超限" in text
    assert msg["X-Lingtan-Delivery"].startswith("alarm-9-opened-1-ch")
    en = email.message_from_bytes(
        by_rcpt[("intl@park.example.cn",)][1], policy=email.policy.default
    )
    assert en["Subject"] == "[Major] Alarm: 1号变压器负载率超限"


def test_email_without_an_smtp_host_is_retried_not_lost(loaded: Store) -> None:
    add_channel(loaded, code="mail", kind="email", target=["ops@park.example.cn"])
    _alarm(loaded)
    counts = deliver_due(loaded, T0, settings=settings(smtp_host=""))
    assert counts.retried == 1
    assert "LINGTAN_SMTP_HOST" in (_only(loaded).last_error or "")


def test_a_restart_during_a_delivery_delivers_it_once_afterwards(loaded: Store, hook: Hook) -> None:
    ch = add_channel(loaded, code="ops", target=hook.url)
    _alarm(loaded)
    cfg = settings()
    lease = int(cfg.notify_lease_s * S)
    # the old worker claims the row and "crashes" before sending or recording anything
    (crashed,) = loaded.outbox.claim(now=T0, limit=10, lease_us=lease)
    # a new worker right after the restart: the lease is still held, nothing is sent twice
    assert deliver_due(loaded, T0 + S, settings=cfg).attempted == 0
    assert hook.received == []
    # once the lease expired, the new worker delivers it, with the same idempotency key
    assert deliver_due(loaded, T0 + lease, settings=cfg).delivered == 1
    assert deliver_due(loaded, T0 + 2 * lease, settings=cfg).attempted == 0
    assert len(hook.received) == 1
    assert hook.received[0].headers["x-lingtan-delivery"] == f"alarm-9-opened-1-ch{ch.id}"
    assert crashed[0].idempotency_key == f"alarm-9-opened-1-ch{ch.id}"
    # had the old worker come back, its outcome would not be recorded over the new one's
    assert not loaded.outbox.finish(crashed[0], now=T0 + lease, ok=False, error="late")
    assert _only(loaded).state == "delivered"


def test_the_worker_thread_delivers_rows_left_by_a_dead_process_and_new_ones(
    loaded: Store, hook: Hook
) -> None:
    add_channel(loaded, code="ops", target=hook.url)
    cfg = settings(notify_poll_s=60.0)
    lease = int(cfg.notify_lease_s * S)
    # a row a dead process claimed long ago (its lease expired before this worker started)
    from lingtan.timeutil import to_us, utcnow

    past = to_us(utcnow()) - 2 * lease
    _alarm(loaded, now=past)
    loaded.outbox.claim(now=past, limit=10, lease_us=lease)
    worker = DeliveryWorker(loaded, cfg)
    worker.start()
    try:
        assert worker.wait_idle(30)
        assert len(hook.received) == 1
        _alarm(loaded, alarm={**ALARM, "id": 10})
        worker.poke()
        assert worker.wait_idle(30)
        assert len(hook.received) == 2
    finally:
        worker.stop()
    rows = loaded.outbox.deliveries(tenant=Tenant.park_wide())[0]
    assert {d.state for d in rows} == {"delivered"}
