"""Notification channels and messages (告警通知渠道): the pure layer — no I/O, no SQL.

A channel (通知渠道) is a webhook URL or a list of e-mail addresses with a minimum severity,
an optional filter of alarm kinds and an owner: the park (``enterprise_id`` None, receives
every alarm of the park) or one enterprise (receives only that enterprise's alarms).

Webhook signature (what a receiver checks)
------------------------------------------
Each request carries::

    X-Lingtan-Timestamp: <unix seconds>
    X-Lingtan-Delivery: <idempotency key, also "delivery_id" in the JSON body>
    X-Lingtan-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

The receiver recomputes the HMAC over the timestamp text, a dot and the raw request body
bytes with the channel's secret, compares it in constant time, refuses a timestamp older than
a few minutes (replay), and ignores a ``delivery_id`` it has already processed (a delivery is
sent again when the previous answer was lost). :func:`verify` does exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from lingtan.errors import InvalidInput
from lingtan.timeutil import from_us
from lingtan.wording import Wording

#: alarm severities, least to most severe (告警级别: 提示 < 一般 < 重要 < 紧急)
SEVERITIES: Final = ("hint", "minor", "major", "critical")
SEVERITY_LABELS: Final = {
    "zh-CN": {"hint": "提示", "minor": "一般", "major": "重要", "critical": "紧急"},
    "en": {"hint": "Hint", "minor": "Minor", "major": "Major", "critical": "Critical"},
}
#: channel kinds (destinations of the outbox): a webhook, e-mail, or the provincial key
#: energy-user online-monitoring platform (``ecm``, 用能单位能耗在线监测; lingtan.exchange.ecm),
#: or a regional lingtan instance (``region``, 园区与省市区平台互联; lingtan.region)
KINDS: Final = ("webhook", "email", "ecm", "region")
#: kinds whose target is a URL
URL_KINDS: Final = ("webhook", "ecm", "region")
#: kinds of uploads: delivered in the order queued, signed by lingtan.exchange.transport, and
#: never given up (nothing queued for a platform may be lost)
UPLOAD_KINDS: Final = ("ecm", "region")
#: the events a channel may take (topics); a channel without topics takes alarms only
TOPICS: Final = ("alarm", "report", "accounting")
#: languages a channel's messages are written in
LANGS: Final = ("zh-CN", "en")
#: what happened to the alarm (告警事件); "test" is a channel test message
EVENTS: Final = ("opened", "escalated", "acknowledged", "cleared", "closed", "test")
EVENT_LABELS: Final = {
    "zh-CN": {
        "opened": "告警",
        "escalated": "告警升级",
        "acknowledged": "告警已确认",
        "cleared": "告警恢复",
        "closed": "告警关闭",
        "test": "测试消息",
    },
    "en": {
        "opened": "Alarm",
        "escalated": "Alarm escalated",
        "acknowledged": "Alarm acknowledged",
        "cleared": "Alarm cleared",
        "closed": "Alarm closed",
        "test": "Test message",
    },
}
#: the signature scheme named in ``X-Lingtan-Signature``
SIGNATURE_SCHEME: Final = "sha256"
#: most recipients one e-mail channel may have
MAX_RECIPIENTS: Final = 50
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
#: a syntactically plain address: local part without spaces or separators, a dotted domain
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}))+$"
)
_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def severity_rank(severity: str, *, field: str = "severity") -> int:
    """The position of ``severity`` in :data:`SEVERITIES` (0 = hint … 3 = critical)."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise InvalidInput(
            f"{field} must be one of {', '.join(SEVERITIES)}, not {severity!r}", field=field
        ) from None


@dataclass(frozen=True, slots=True)
class Channel:
    """A notification channel (通知渠道) as stored."""

    id: int
    park_id: int
    code: str
    name: str
    kind: str  # webhook | email
    #: the webhook URL, or the e-mail recipients
    target: str | tuple[str, ...]
    min_severity: str
    #: None: a park channel (every alarm of the park); set: that enterprise's alarms only
    enterprise_id: int | None
    #: alarm kinds (rule kinds) the channel receives; None = all
    kinds: frozenset[str] | None
    enabled: bool
    lang: str = "zh-CN"
    #: first hex digits of SHA-256 of the webhook secret (lists show this, never the secret)
    secret_fingerprint: str | None = None
    created_at: int = 0
    #: the events it takes (:data:`TOPICS`); None = alarms only
    topics: frozenset[str] | None = None

    def takes(self, topic: str) -> bool:
        """Whether the channel takes events of ``topic`` (an ``ecm`` channel takes only the
        uploads addressed to it, and so does a ``region`` channel)."""
        if self.kind in UPLOAD_KINDS:
            return False
        return topic == "alarm" if self.topics is None else topic in self.topics

    @property
    def url(self) -> str:
        """The URL (webhook and ecm channels)."""
        if not isinstance(self.target, str):
            raise TypeError("an e-mail channel has no URL")
        return self.target

    @property
    def recipients(self) -> tuple[str, ...]:
        """The e-mail recipients (e-mail channels)."""
        if isinstance(self.target, str):
            raise TypeError("a webhook channel has no recipients")
        return self.target


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A validated new channel (before it has an id)."""

    code: str
    name: str
    kind: str
    target: str | tuple[str, ...]
    min_severity: str
    enterprise_id: int | None
    kinds: frozenset[str] | None
    enabled: bool
    lang: str
    topics: frozenset[str] | None = None


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("target must be an http or https URL for a webhook", field="target")
    url = value.strip()
    if len(url) > 2000:
        raise InvalidInput("target URL is longer than 2000 characters", field="target")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError as err:
        raise InvalidInput(f"target is not a valid URL: {err}", field="target") from None
    del port
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("target URL must use http or https", field="target")
    if not parts.hostname:
        raise InvalidInput("target URL names no host", field="target")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise InvalidInput("target URL contains spaces or control characters", field="target")
    return url


def _recipients(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;\s]+", value) if v]
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput(
            "target must list at least one e-mail address for an e-mail channel", field="target"
        )
    if len(value) > MAX_RECIPIENTS:
        raise InvalidInput(f"target lists more than {MAX_RECIPIENTS} addresses", field="target")
    out: list[str] = []
    for i, address in enumerate(value):
        if not isinstance(address, str) or not _EMAIL.match(address.strip()):
            raise InvalidInput(f"target[{i}] is not a valid e-mail address", field=f"target[{i}]")
        a = address.strip()
        if a.lower() not in {o.lower() for o in out}:
            out.append(a)
    return tuple(out)


def channel_spec(
    *,
    code: str,
    name: str,
    kind: str,
    target: Any,
    min_severity: str = "major",
    enterprise_id: int | None = None,
    kinds: Iterable[str] | None = None,
    enabled: bool = True,
    lang: str = "zh-CN",
    topics: Iterable[str] | None = None,
) -> ChannelSpec:
    """Validate a new channel; :class:`InvalidInput` names the field that is wrong."""
    if not isinstance(code, str) or not _CODE.match(code):
        raise InvalidInput(
            "code must be 1-64 letters, digits or _ . : - (starting with a letter or digit)",
            field="code",
        )
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInput("name must be 1-200 characters", field="name")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    checked: str | tuple[str, ...] = _url(target) if kind in URL_KINDS else _recipients(target)
    severity_rank(min_severity, field="min_severity")
    if lang not in LANGS:
        raise InvalidInput(f"lang must be one of {', '.join(LANGS)}", field="lang")
    kind_set: frozenset[str] | None = None
    if kinds is not None:
        listed = list(kinds)
        if not listed:
            raise InvalidInput(
                "kinds must name at least one alarm kind, or be omitted", field="kinds"
            )
        for k in listed:
            if not isinstance(k, str) or not _KIND_NAME.match(k):
                raise InvalidInput(f"kinds contains an invalid kind {k!r}", field="kinds")
        kind_set = frozenset(listed)
    topic_set: frozenset[str] | None = None
    if topics is not None:
        listed_topics = list(topics)
        if kind in UPLOAD_KINDS:
            raise InvalidInput(
                f"an {kind} channel takes uploads only: give no topics", field="topics"
            )
        if not listed_topics:
            raise InvalidInput("topics must name at least one topic, or be omitted", field="topics")
        for tp in listed_topics:
            if tp not in TOPICS:
                raise InvalidInput(
                    f"topics must be among {', '.join(TOPICS)}, not {tp!r}", field="topics"
                )
        if kind == "email" and set(listed_topics) != {"alarm"}:
            raise InvalidInput(
                "an e-mail channel takes alarms only; use a webhook for other events",
                field="topics",
            )
        topic_set = frozenset(listed_topics)
    return ChannelSpec(
        topics=topic_set,
        code=code,
        name=name.strip(),
        kind=kind,
        target=checked,
        min_severity=min_severity,
        enterprise_id=enterprise_id,
        kinds=kind_set,
        enabled=bool(enabled),
        lang=lang,
    )


def matches(channel: Channel, *, enterprise_id: int | None, severity: str, kind: str) -> bool:
    """Whether ``channel`` receives an alarm of ``enterprise_id`` (None = the park's own),
    ``severity`` and rule ``kind``."""
    if not channel.enabled or not channel.takes("alarm"):
        return False
    if channel.enterprise_id is not None and channel.enterprise_id != enterprise_id:
        return False
    if severity_rank(severity) < severity_rank(channel.min_severity):
        return False
    return channel.kinds is None or kind in channel.kinds


def fingerprint(secret: str) -> str:
    """The part of a secret's SHA-256 that lists show (enough to tell two secrets apart)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class NotifyEvent:
    """One thing to tell a channel about an alarm."""

    #: the idempotency key of the delivery (``X-Lingtan-Delivery``)
    delivery_id: str
    event: str  # one of EVENTS
    park_id: int
    enterprise_id: int | None
    severity: str
    kind: str
    #: the alarm as the engine describes it (id, subject, value, message, first/last time …)
    alarm: Mapping[str, Any]
    #: when it happened [epoch µs UTC]
    at: int


def delivery_key(alarm: Mapping[str, Any], event: str, channel_id: int) -> str:
    """The idempotency key of telling ``channel_id`` about ``event`` of ``alarm``: the same
    alarm change enqueued twice (a retried transaction) gives one delivery."""
    return f"alarm-{alarm['id']}-{event}-{alarm.get('count', 1)}-ch{channel_id}"


def payload_for(event: NotifyEvent) -> dict[str, Any]:
    """The JSON document a webhook receives (and an e-mail is written from)."""
    return {
        "delivery_id": event.delivery_id,
        "event": event.event,
        "occurred_at": from_us(event.at).isoformat().replace("+00:00", "Z"),
        "park_id": event.park_id,
        "enterprise_id": event.enterprise_id,
        "severity": event.severity,
        "kind": event.kind,
        "alarm": dict(event.alarm),
    }


def signature(secret: bytes, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``body`` under ``secret`` (``body`` is the signed message:
    :func:`signed_message` of the timestamp and the request body)."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def signed_message(timestamp: int, body: bytes) -> bytes:
    """What is signed: the timestamp in decimal, a dot, the raw body."""
    return str(int(timestamp)).encode("ascii") + b"." + body


def webhook_headers(
    secret: bytes, body: bytes, *, timestamp: int, delivery_id: str
) -> dict[str, str]:
    """The headers of a webhook request carrying ``body``."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Lingtan-Timestamp": str(int(timestamp)),
        "X-Lingtan-Delivery": delivery_id,
        "X-Lingtan-Signature": f"{SIGNATURE_SCHEME}={signature(secret, signed_message(timestamp, body))}",
    }


def verify(
    secret: bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now_s: float,
    tolerance_s: float = 300.0,
) -> bool:
    """A receiver's check of a webhook request (``headers`` with lower-case names):
    a valid signature over timestamp + "." + body, and a timestamp within ``tolerance_s``."""
    try:
        timestamp = int(headers["x-lingtan-timestamp"])
        scheme, _, given = headers["x-lingtan-signature"].partition("=")
    except (KeyError, ValueError):
        return False
    if scheme != SIGNATURE_SCHEME or abs(now_s - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(given, signature(secret, signed_message(timestamp, body)))


def _describe(alarm: Mapping[str, Any], lang: str = "en") -> str:
    """What the alarm says, in ``lang`` (the engine writes English; zh-CN is worded by
    lingtan.wording, the dashboard's table)."""
    for key in ("message", "subject", "rule", "id"):
        value = alarm.get(key)
        if value not in (None, ""):
            return str(Wording(lang).text(str(value))) if key == "message" else str(value)
    return ""


def email_subject(payload: Mapping[str, Any], lang: str = "zh-CN") -> str:
    """The subject of an e-mail about ``payload`` (:func:`payload_for`), e.g.
    ``【重要】告警：1号变压器负载率超限``."""
    labels = SEVERITY_LABELS.get(lang, SEVERITY_LABELS["zh-CN"])
    events = EVENT_LABELS.get(lang, EVENT_LABELS["zh-CN"])
    severity = labels.get(str(payload.get("severity")), str(payload.get("severity")))
    event = events.get(str(payload.get("event")), str(payload.get("event")))
    text = _describe(payload.get("alarm") or {}, lang)
    if lang == "en":
        return f"[{severity}] {event}: {text}".rstrip(": ")
    return f"【{severity}】{event}：{text}".rstrip("：")


def email_body(payload: Mapping[str, Any], lang: str = "zh-CN") -> str:
    """The plain-text body of an e-mail about ``payload``."""
    alarm: Mapping[str, Any] = payload.get("alarm") or {}
    labels = SEVERITY_LABELS.get(lang, SEVERITY_LABELS["zh-CN"])
    en = lang == "en"
    names: Sequence[tuple[str, str, str]] = (
        ("message", "Message", "内容"),
        ("subject", "Subject", "对象"),
        ("value", "Value", "数值"),
        ("count", "Occurrences", "次数"),
        ("first_at", "First", "首次发生"),
        ("last_at", "Last", "最近发生"),
        ("id", "Alarm id", "告警编号"),
    )
    lines = [email_subject(payload, lang), ""]
    lines.append(
        f"{'Severity' if en else '级别'}: "
        f"{labels.get(str(payload.get('severity')), payload.get('severity'))}"
    )
    lines.append(f"{'Kind' if en else '类型'}: {payload.get('kind')}")
    lines.append(f"{'Occurred at' if en else '时间'}: {payload.get('occurred_at')}")
    for key, en_name, zh_name in names:
        if alarm.get(key) not in (None, ""):
            value = _describe(alarm, lang) if key == "message" else alarm[key]
            lines.append(f"{en_name if en else zh_name}: {value}")
    lines.append("")
    lines.append(
        f"Delivery: {payload.get('delivery_id')}"
        if en
        else f"投递编号：{payload.get('delivery_id')}"
    )
    lines.append(
        "— lingtan park energy-carbon platform" if en else "—— 零碳园区能碳管理平台（lingtan）"
    )
    return "\n".join(lines) + "\n"


#: states of an outbox row
DELIVERY_STATES: Final = ("pending", "delivered", "failed")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row (投递): a message for one channel, sent until delivered or given up."""

    id: int
    channel_id: int
    park_id: int
    #: the owner of the channel (tenant key; None = a park channel)
    enterprise_id: int | None
    idempotency_key: str
    event: str
    severity: str
    kind: str
    #: the JSON body, exactly as sent
    payload: str
    state: str
    attempts: int
    next_attempt_at: int
    locked_until: int | None
    last_error: str | None
    created_at: int
    delivered_at: int | None
    #: the claim token of the worker holding the lease (None when free)
    lease: str | None = None
    channel_code: str | None = None
    #: the destination's acknowledgement (its answer to the delivering request)
    ack: str | None = None


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """The wait before the next attempt after ``attempts`` failed ones (1, 2, …): ``base_s``
    doubling each time, at most ``max_s``."""
    if attempts < 1:
        return 0.0
    return float(min(max_s, base_s * 2 ** min(attempts - 1, 62)))
