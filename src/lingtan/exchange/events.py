"""Webhooks for events beyond alarms (事件推送): a new report, an accounting result — queued in
the same outbox as alarm notifications and uploads, to every enabled webhook channel whose
``topics`` take the event (a park channel: every event of the park; an enterprise's channel:
that enterprise's events only).

The body a receiver gets (signed like an alarm webhook, ``X-Lingtan-Event`` = ``event``)::

    {"delivery_id": "...", "topic": "report", "event": "report.ready",
     "occurred_at": "2026-12-07T04:30:00Z", "park_id": 1, "enterprise_id": null,
     "data": {...what happened: the job id and result, the inventory id ...}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from lingtan.alarms.notify.model import TOPICS
from lingtan.errors import InvalidInput
from lingtan.store import Store
from lingtan.timeutil import from_us, to_us, utcnow


def publish(
    store: Store,
    *,
    park_id: int,
    enterprise_id: int | None,
    topic: str,
    event: str,
    key: str,
    data: Mapping[str, Any],
    conn: Connection | None = None,
    now: int | None = None,
) -> int:
    """Queue ``event`` of ``topic`` for the webhook channels that take it; ``key`` names the
    occurrence (the same key published twice gives one delivery per channel). How many rows
    were queued."""
    if topic not in TOPICS or topic == "alarm":
        raise InvalidInput(
            "topic must be report or accounting (alarms queue themselves)", field="topic"
        )
    if not event or len(event) > 32:
        raise InvalidInput("event must be a name of 1-32 characters", field="event")
    at = to_us(utcnow()) if now is None else now

    def _queue(c: Connection) -> int:
        rows = []
        for ch in store.outbox.matching_channels(c, park_id=park_id, enterprise_id=enterprise_id):
            if ch.kind != "webhook" or not ch.takes(topic):
                continue
            delivery_id = f"{topic}-{key}-ch{ch.id}"[:200]
            body = {
                "delivery_id": delivery_id,
                "topic": topic,
                "event": event,
                "occurred_at": from_us(at).isoformat().replace("+00:00", "Z"),
                "park_id": park_id,
                "enterprise_id": enterprise_id,
                "data": dict(data),
            }
            rows.append(
                {
                    "channel_id": ch.id,
                    "park_id": ch.park_id,
                    "enterprise_id": ch.enterprise_id,
                    "idempotency_key": delivery_id,
                    "event": event,
                    "severity": "hint",
                    "kind": topic,
                    "payload": json.dumps(
                        body, ensure_ascii=False, separators=(",", ":"), default=str
                    ),
                    "next_attempt_at": at,
                    "created_at": at,
                }
            )
        return store.outbox.insert_many(c, rows)

    if conn is not None:
        return _queue(conn)
    with store.begin() as own:
        return _queue(own)
