"""Alarm notifications (告警通知): the outbox written with each alarm change, and its delivery.

:func:`enqueue` inserts one outbox row per matching channel — inside the alarm engine's own
transaction when it passes its connection, so a committed alarm change is always notified and
a rolled-back one never is. :func:`deliver_due` sends the due rows (webhook with an HMAC
signature, or e-mail over SMTP) and records each outcome: delivered, retried later with
exponential back-off, or failed after ``notify_max_attempts``. :class:`DeliveryWorker` runs it
on a daemon thread of the serving process, so a slow or failing receiver delays only its own
rows — never ingest or the API.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import secrets
import smtplib
import ssl
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx
from sqlalchemy import Connection

import lingtan
from lingtan.alarms.notify.model import (
    UPLOAD_KINDS,
    URL_KINDS,
    Channel,
    ChannelSpec,
    Delivery,
    NotifyEvent,
    backoff_s,
    delivery_key,
    email_body,
    email_subject,
    matches,
    payload_for,
    severity_rank,
    webhook_headers,
)
from lingtan.config import Settings
from lingtan.errors import InvalidInput
from lingtan.store import Store
from lingtan.store.outbox_repo import Outcome
from lingtan.timeutil import SECOND_US, to_us, utcnow

log = logging.getLogger(__name__)

#: longest error text kept on an outbox row
_ERROR_CHARS = 500
#: batches one :func:`deliver_due` call claims at most (a backlog is drained by later calls)
_MAX_BATCHES = 1000


class DeliveryError(Exception):
    """An attempt that did not deliver (the receiver's answer or the transport's error)."""


@dataclass
class DeliveryCounts:
    """What one :func:`deliver_due` call did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    #: attempts whose lease had expired and been taken by another worker (nothing recorded)
    lost: int = 0

    @property
    def attempted(self) -> int:
        """Rows attempted."""
        return self.delivered + self.retried + self.failed + self.lost


def _now() -> int:
    return to_us(utcnow())


@contextlib.contextmanager
def _transaction(store: Store, conn: Connection | None) -> Iterator[Connection]:
    if conn is not None:
        yield conn
        return
    with store.begin() as own:
        yield own


def _event_name(event: str) -> str:
    if not isinstance(event, str) or not event or len(event) > 32:
        raise InvalidInput("event must be a name of 1-32 characters", field="event")
    return event


def enqueue(
    store: Store,
    *,
    park_id: int,
    enterprise_id: int | None,
    severity: str,
    kind: str,
    event: str,
    alarm: Mapping[str, Any],
    conn: Connection | None = None,
    now: int | None = None,
) -> int:
    """Queue ``event`` ('opened', 'escalated', 'cleared' …) of ``alarm`` (a JSON-able dict with
    at least ``id``; ``count``, ``message``, ``subject``, ``value`` … are shown when present)
    for every enabled channel that takes it: the park's channels, and the alarm's enterprise's,
    whose minimum severity and kinds filter admit it. With ``conn`` the rows are written in
    that transaction (no commit here). The number of rows queued (a change queued before —
    same alarm, event, count and channel — is not queued again)."""
    severity_rank(severity)
    _event_name(event)
    if "id" not in alarm:
        raise InvalidInput("alarm must carry its id", field="alarm")
    at = _now() if now is None else now
    with _transaction(store, conn) as c:
        channels = [
            ch
            for ch in store.outbox.matching_channels(
                c, park_id=park_id, enterprise_id=enterprise_id
            )
            if matches(ch, enterprise_id=enterprise_id, severity=severity, kind=kind)
        ]
        rows = []
        for ch in channels:
            key = delivery_key(alarm, event, ch.id)
            payload = payload_for(
                NotifyEvent(
                    delivery_id=key,
                    event=event,
                    park_id=park_id,
                    enterprise_id=enterprise_id,
                    severity=severity,
                    kind=kind,
                    alarm=alarm,
                    at=at,
                )
            )
            rows.append(_row(ch, key, event, severity, kind, payload, at))
        return store.outbox.insert_many(c, rows)


def _row(
    ch: Channel,
    key: str,
    event: str,
    severity: str,
    kind: str,
    payload: dict[str, Any],
    at: int,
) -> dict[str, Any]:
    return {
        "channel_id": ch.id,
        "park_id": ch.park_id,
        "enterprise_id": ch.enterprise_id,
        "idempotency_key": key,
        "event": event,
        "severity": severity,
        "kind": kind,
        "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str),
        "next_attempt_at": at,
        "created_at": at,
    }


#: the entity of channel rows in the audit log
ENTITY_CHANNEL = "notify_channel"


def public_channel(channel: Channel) -> dict[str, Any]:
    """A channel as the audit log and the command line show it (never its secret)."""
    return {
        "id": channel.id,
        "code": channel.code,
        "name": channel.name,
        "kind": channel.kind,
        "target": channel.target if isinstance(channel.target, str) else list(channel.target),
        "min_severity": channel.min_severity,
        "enterprise_id": channel.enterprise_id,
        "kinds": None if channel.kinds is None else sorted(channel.kinds),
        "enabled": channel.enabled,
        "lang": channel.lang,
        "secret_fingerprint": channel.secret_fingerprint,
        "topics": None if channel.topics is None else sorted(channel.topics),
    }


def create_channel(
    store: Store,
    *,
    park_id: int,
    spec: ChannelSpec,
    actor: str,
    secret: str | None = None,
) -> tuple[Channel, str | None]:
    """Store a validated channel (audited) and return it with its webhook secret — given, or
    generated with :func:`secrets.token_urlsafe` (32 bytes) — which is shown to the caller
    this once and never listed."""
    if spec.kind in URL_KINDS:
        if secret is not None and len(secret) < 16:
            raise InvalidInput("secret must have at least 16 characters", field="secret")
        if secret is not None and spec.kind in UPLOAD_KINDS:
            from lingtan.exchange.transport import check_secret

            check_secret(secret)  # an SM2 key must be one
        secret = secret or secrets.token_urlsafe(32)
    elif secret is not None:
        raise InvalidInput("only a webhook or ecm channel has a secret", field="secret")
    now = _now()
    with store.begin() as conn:
        channel = store.outbox.create_channel(
            conn, park_id=park_id, spec=spec, secret=secret, created_by=actor, now=now
        )
        store.audit.append(
            conn,
            at=now,
            actor=actor,
            action="create",
            entity=ENTITY_CHANNEL,
            entity_id=str(channel.id),
            enterprise_id=channel.enterprise_id,
            after=public_channel(channel),
        )
    return channel, secret


def queue_test(store: Store, conn: Connection, channel: Channel, *, now: int) -> str:
    """Queue a test message (测试消息) for ``channel`` whatever its filters; its idempotency
    key."""
    key = f"test-ch{channel.id}-{uuid.uuid4().hex}"
    alarm = {
        "id": key,
        "subject": channel.code,
        "message": "通知渠道测试消息 (test message of a notification channel)",
    }
    payload = payload_for(
        NotifyEvent(
            delivery_id=key,
            event="test",
            park_id=channel.park_id,
            enterprise_id=channel.enterprise_id,
            severity="hint",
            kind="test",
            alarm=alarm,
            at=now,
        )
    )
    store.outbox.insert_many(conn, [_row(channel, key, "test", "hint", "test", payload, now)])
    return key


# -- sending ----------------------------------------------------------------------------------


def send_webhook(
    client: httpx.Client, channel: Channel, secret: str | None, delivery: Delivery, *, now: int
) -> None:
    """POST the delivery's payload to the channel's URL, signed with its secret; a 2xx answer
    delivers it, anything else raises :class:`DeliveryError`. Redirects are not followed."""
    body = delivery.payload.encode("utf-8")
    headers = webhook_headers(
        (secret or "").encode("utf-8"),
        body,
        timestamp=now // SECOND_US,
        delivery_id=delivery.idempotency_key,
    )
    headers["User-Agent"] = f"lingtan/{lingtan.__version__}"
    headers["X-Lingtan-Event"] = delivery.event
    try:
        # streamed: only the status and the first bytes of an error answer are read, however
        # much a receiver sends back
        with client.stream(
            "POST", channel.url, content=body, headers=headers, follow_redirects=False
        ) as r:
            if 200 <= r.status_code < 300:
                _drain(r)
                return
            head = next(r.iter_bytes(), b"")[:200].decode("utf-8", "replace")
    except httpx.TimeoutException as err:
        raise DeliveryError(f"timed out: {type(err).__name__}") from err
    except httpx.HTTPError as err:
        raise DeliveryError(f"{type(err).__name__}: {err}") from err
    raise DeliveryError(f"HTTP {r.status_code}: {head}")


#: the most of an accepting answer read so that its connection is kept for the next message
_DRAIN_BYTES = 65_536


def _drain(response: httpx.Response) -> None:
    """Read a short answer to its end: a connection whose answer was left unread is closed
    instead of kept alive, and every message would open a new one (and a new TLS session). A
    longer answer is left, and its connection closed, so a receiver cannot make the worker
    read without end."""
    read = 0
    for chunk in response.iter_raw():
        read += len(chunk)
        if read > _DRAIN_BYTES:
            return


def email_message(settings: Settings, channel: Channel, delivery: Delivery) -> EmailMessage:
    """The e-mail of a delivery (UTF-8 plain text, in the channel's language)."""
    payload = json.loads(delivery.payload)
    msg = EmailMessage()
    msg["Subject"] = email_subject(payload, channel.lang)
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(channel.recipients)
    msg["Date"] = formatdate(usegmt=True)
    # the idempotency key as Message-ID: a mail sent again after a lost answer is the same mail
    msg["Message-ID"] = f"<{delivery.idempotency_key}@lingtan>"
    msg["X-Lingtan-Delivery"] = delivery.idempotency_key
    msg.set_content(email_body(payload, channel.lang), charset="utf-8")
    return msg


def send_email(settings: Settings, channel: Channel, delivery: Delivery) -> None:
    """Send the delivery by SMTP to the channel's recipients (``LINGTAN_SMTP_*``)."""
    if not settings.smtp_host:
        raise DeliveryError("e-mail is not configured (LINGTAN_SMTP_HOST is empty)")
    msg = email_message(settings, channel, delivery)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.notify_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as err:
        raise DeliveryError(f"SMTP: {type(err).__name__}: {err}") from err
    if refused:
        log.warning("delivery %s: recipients refused: %s", delivery.idempotency_key, refused)


def _attempt(
    settings: Settings,
    client: httpx.Client,
    delivery: Delivery,
    channel: Channel,
    secret: str | None,
    now: int,
) -> tuple[str | None, str | None]:
    """One attempt: (None, the destination's acknowledgement) when delivered, else
    (the error, None)."""
    ack: str | None = None
    try:
        if channel.kind == "webhook":
            send_webhook(client, channel, secret, delivery, now=now)
        elif channel.kind in UPLOAD_KINDS:
            # imported here: lingtan.exchange builds on this package (no import cycle)
            from lingtan.exchange.transport import send_upload

            ack = send_upload(client, channel, secret, delivery, now=now)
        else:
            send_email(settings, channel, delivery)
    except DeliveryError as err:
        return str(err)[:_ERROR_CHARS], None
    except Exception as err:  # a bug must not stop the worker: record it on the row
        log.exception("delivery %s failed unexpectedly", delivery.idempotency_key)
        return f"{type(err).__name__}: {err}"[:_ERROR_CHARS], None
    return None, ack


def _attempt_job(
    settings: Settings,
    client: httpx.Client,
    now: int,
    job: tuple[Delivery, Channel, str | None],
) -> tuple[str | None, str | None]:
    return _attempt(settings, client, job[0], job[1], job[2], now)


def _client(settings: Settings) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(settings.notify_timeout_s), trust_env=False)


def deliver_due(
    store: Store,
    now: int | None = None,
    *,
    settings: Settings | None = None,
    client: httpx.Client | None = None,
    stop: threading.Event | None = None,
) -> DeliveryCounts:
    """Send every delivery due at ``now`` (epoch µs; default: the clock), a batch at a time,
    the rows of a batch in parallel; record each outcome. Returns what was done."""
    settings = settings or Settings()
    own_client = client is None
    http = client or _client(settings)
    counts = DeliveryCounts()
    lease_us = int(settings.notify_lease_s * SECOND_US)
    try:
        with ThreadPoolExecutor(settings.notify_batch, thread_name_prefix="lingtan-notify") as pool:
            for _ in range(_MAX_BATCHES):
                if stop is not None and stop.is_set():
                    break
                at = _now() if now is None else now
                claimed = store.outbox.claim(now=at, limit=settings.notify_batch, lease_us=lease_us)
                if not claimed:
                    break
                errors = list(
                    pool.map(functools.partial(_attempt_job, settings, http, at), claimed)
                )
                _record(store, settings, counts, [
                    (delivery, channel, error, ack)
                    for (delivery, channel, _secret), (error, ack) in zip(claimed, errors, strict=True)
                ], now)  # fmt: skip
    finally:
        if own_client:
            http.close()
    return counts


def _record(
    store: Store,
    settings: Settings,
    counts: DeliveryCounts,
    attempts: Sequence[tuple[Delivery, Channel | None, str | None, str | None]],
    now: int | None,
) -> None:
    """Record the outcomes (delivery, channel, error or None, acknowledgement) of a batch's
    attempts in one transaction."""
    at = _now() if now is None else now
    outcomes: list[Outcome] = []
    for delivery, channel, error, ack in attempts:
        if error is None:
            outcomes.append(Outcome(delivery, ok=True, ack=ack))
            continue
        retry_at = None
        # an upload (ecm, region) is never given up: the platform may be down for days, and
        # nothing is lost — it is retried at the longest back-off until delivered
        if delivery.attempts + 1 < settings.notify_max_attempts or (
            channel is not None and channel.kind in UPLOAD_KINDS
        ):
            wait = backoff_s(
                delivery.attempts + 1,
                base_s=settings.notify_backoff_s,
                max_s=settings.notify_backoff_max_s,
            )
            retry_at = at + int(wait * SECOND_US)
        outcomes.append(Outcome(delivery, ok=False, error=error, retry_at=retry_at))
    for out, kept in zip(outcomes, store.outbox.finish_many(outcomes, now=at), strict=True):
        if not kept:
            counts.lost += 1
        elif out.ok:
            counts.delivered += 1
        elif out.retry_at is None:
            counts.failed += 1
            log.warning("delivery %s failed for good: %s", out.delivery.idempotency_key, out.error)
        else:
            counts.retried += 1


class DeliveryWorker:
    """Sends due notifications on a daemon thread: woken by :meth:`poke` (after an alarm
    change or a test message) and every ``notify_poll_s`` seconds (rows queued by other
    processes, retries coming due). Rows persist: after a restart, pending rows are sent and
    the lease of a row a dead worker held expires, so it is sent again."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        #: rounds run (tests, logs)
        self.rounds = 0

    def start(self) -> None:
        """Start the thread (a first round runs at once: rows left by the previous process)."""
        self._stop.clear()
        self._idle.clear()
        self._wake.set()
        self._thread = threading.Thread(target=self._loop, name="lingtan-notify", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Ask for a round soon."""
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no round is pending (tests, graceful shutdown)."""
        return self._idle.wait(timeout)

    def _loop(self) -> None:
        with _client(self._settings) as client:
            while not self._stop.is_set():
                self._wake.wait(self._settings.notify_poll_s)
                if self._stop.is_set():
                    break
                self._wake.clear()
                try:
                    self.rounds += 1
                    counts = deliver_due(
                        self._store, settings=self._settings, client=client, stop=self._stop
                    )
                    if counts.attempted:
                        log.info(
                            "notifications: %d delivered, %d to retry, %d failed",
                            counts.delivered,
                            counts.retried,
                            counts.failed,
                        )
                except Exception:
                    log.exception("notification delivery failed; retrying at the next wake-up")
                finally:
                    if not self._wake.is_set():
                        self._idle.set()

    def stop(self) -> None:
        """Stop the thread after the attempts under way (each ends within the timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.notify_timeout_s * 4 + 10)
            self._thread = None
