"""An alarm raised by the engine reaches a webhook through the outbox: the notification is
queued in the alarm's transaction and delivered, signed, by the delivery worker's pass."""

from __future__ import annotations

import json

from lingtan.alarms.engine import Engine
from lingtan.alarms.notify.model import channel_spec, verify
from lingtan.alarms.notify.service import create_channel, deliver_due
from lingtan.config import Settings
from lingtan.ingest import ingest
from lingtan.readings import Reading
from lingtan.store import Store
from tests.alarms.notify.conftest import Hook
from tests.alarms.test_engine import THRESHOLD, _rules, _t, _us


def test_a_raised_alarm_is_delivered_to_the_park_webhook(loaded: Store, hook: Hook) -> None:
    park_id = loaded.registry.park().id
    _, secret = create_channel(
        loaded,
        park_id=park_id,
        spec=channel_spec(code="duty", name="值班群", kind="webhook", target=hook.url,
                          min_severity="major"),
        actor="test",
    )  # fmt: skip
    assert secret is not None
    _rules(loaded, {**THRESHOLD, "hold_min": 0})  # severity 重要 (major)
    woken: list[int] = []
    engine = Engine(loaded, clock=lambda: _us(0)).attach()
    engine.on_notified = lambda: woken.append(1)
    ingest(loaded, [Reading("E01-power", _t(0), 150.0)], now=_t(10_000))
    assert woken == [1]
    counts = deliver_due(loaded, settings=Settings(environment="test"))
    assert counts.delivered == 1
    (got,) = hook.received
    body = json.loads(got.body)
    assert body["event"] == "opened" and body["severity"] == "major"
    assert "E01-power" in json.dumps(body, ensure_ascii=False)
    assert verify(
        secret.encode(), got.body, got.headers, now_s=int(got.headers["x-lingtan-timestamp"])
    )
    # the same alarm cleared: its own delivery
    ingest(loaded, [Reading("E01-power", _t(5), 50.0)], now=_t(10_000))
    deliver_due(loaded, settings=Settings(environment="test"))
    assert [json.loads(r.body)["event"] for r in hook.received] == ["opened", "cleared"]
