"""The transport of uploads (``ecm`` channels): HTTPS JSON POST signed with HMAC-SHA256.

A **documented placeholder**: the national centre's access-side specification of the wire format
and signing is not public, so lingtan signs the way its webhooks do, with its own header names.
Each request carries::

    Content-Type: application/json; charset=utf-8
    X-ECM-Timestamp: <unix seconds>
    X-ECM-Nonce: <the outbox row's idempotency key — the same on every retry>
    X-ECM-Unit: <the unit's 统一社会信用代码>
    X-ECM-Signature: hmac-sha256=<hex HMAC-SHA256(secret, timestamp "." nonce "." body)>

A 2xx answer is the platform's acknowledgement; its body (first 500 characters) is kept on the
outbox row (``ack``). A 2xx answer whose JSON says ``"success": false`` or a non-zero ``"code"``
is a refusal and is retried like an error (the outbox never gives an upload up). SM2/SM3 signing
is not implemented (it needs a dependency lingtan does not carry): a platform that requires it
needs a transport written against its specification.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Final

import httpx

import lingtan
from lingtan.alarms.notify.model import Channel, Delivery
from lingtan.alarms.notify.service import DeliveryError
from lingtan.timeutil import SECOND_US

SCHEME: Final = "hmac-sha256"
_ACK_CHARS: Final = 500


def signed_message(timestamp: int, nonce: str, body: bytes) -> bytes:
    """What is signed: timestamp, a dot, the nonce, a dot, the raw body."""
    return f"{int(timestamp)}.{nonce}.".encode() + body


def sign(secret: bytes, timestamp: int, nonce: str, body: bytes) -> str:
    """The ``X-ECM-Signature`` value."""
    mac = hmac.new(secret, signed_message(timestamp, nonce, body), hashlib.sha256).hexdigest()
    return f"{SCHEME}={mac}"


def headers(secret: bytes, body: bytes, *, timestamp: int, nonce: str, unit: str) -> dict[str, str]:
    """The headers of an upload request."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-ECM-Timestamp": str(int(timestamp)),
        "X-ECM-Nonce": nonce,
        "X-ECM-Unit": unit,
        "X-ECM-Signature": sign(secret, timestamp, nonce, body),
        "User-Agent": f"lingtan/{lingtan.__version__}",
    }


def verify(
    secret: bytes, body: bytes, hdrs: Mapping[str, str], *, now_s: float, tolerance_s: float = 300
) -> bool:
    """A receiver's check (``hdrs`` with lower-case names): the signature and a recent timestamp."""
    try:
        timestamp = int(hdrs["x-ecm-timestamp"])
        nonce = hdrs["x-ecm-nonce"]
        given = hdrs["x-ecm-signature"]
    except (KeyError, ValueError):
        return False
    if abs(now_s - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(given, sign(secret, timestamp, nonce, body))


def _refusal(text: str) -> str | None:
    """The platform's refusal in a 2xx answer, if its JSON says so."""
    try:
        answer: Any = json.loads(text)
    except ValueError:
        return None
    if isinstance(answer, dict):
        if answer.get("success") is False:
            return str(answer.get("message") or "success: false")
        code = answer.get("code")
        if code not in (None, 0, "0", 200, "200"):
            return f"code {code}: {answer.get('message', '')}".strip()
    return None


def send_upload(
    client: httpx.Client, channel: Channel, secret: str | None, delivery: Delivery, *, now: int
) -> str:
    """POST the upload to the channel's URL; the platform's acknowledgement (its answer's
    first characters). :class:`DeliveryError` when it did not accept it."""
    body = delivery.payload.encode("utf-8")
    unit = str((json.loads(delivery.payload).get("unit") or {}).get("uscc", ""))
    hdrs = headers(
        (secret or "").encode("utf-8"),
        body,
        timestamp=now // SECOND_US,
        nonce=delivery.idempotency_key,
        unit=unit,
    )
    try:
        with client.stream(
            "POST", channel.url, content=body, headers=hdrs, follow_redirects=False
        ) as r:
            head = b""
            for chunk in r.iter_bytes():
                head += chunk
                if len(head) >= _ACK_CHARS:
                    break
            text = head[:_ACK_CHARS].decode("utf-8", "replace")
            status = r.status_code
    except httpx.TimeoutException as err:
        raise DeliveryError(f"timed out: {type(err).__name__}") from err
    except httpx.HTTPError as err:
        raise DeliveryError(f"{type(err).__name__}: {err}") from err
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}: {text[:200]}")
    refusal = _refusal(text)
    if refusal is not None:
        raise DeliveryError(f"refused by the platform: {refusal}"[:_ACK_CHARS])
    return text
