"""The transport of uploads (``ecm`` channels): HTTPS JSON POST, signed.

A **documented placeholder** for the wire format: the national centre's access-side
specification is not public, so lingtan uses its own header names. Each request carries::

    Content-Type: application/json; charset=utf-8
    X-ECM-Timestamp: <unix seconds>
    X-ECM-Nonce: <the outbox row's idempotency key — the same on every retry>
    X-ECM-Unit: <the unit's 统一社会信用代码>
    X-ECM-Signature: <scheme>=<hex signature of timestamp "." nonce "." body>

The channel's secret chooses the scheme (:func:`signer_of`):

- a plain secret: ``hmac-sha256`` (HMAC-SHA256, as lingtan's webhooks);
- ``hmac-sm3:<key>``: ``hmac-sm3`` (HMAC with SM3, GB/T 32905-2016);
- ``sm2:<private key, 64 hex digits>``: ``sm2-sm3`` (an SM2 signature r‖s, GB/T 32918.2-2016,
  with SM3 and the default user ID; :mod:`lingtan.exchange.gm`); the platform verifies it with
  the public key (:func:`lingtan.exchange.gm.sm2_public_key`).

A 2xx answer is the platform's acknowledgement; its body (first 500 characters) is kept on the
outbox row (``ack``). A 2xx answer whose JSON says ``"success": false`` or a non-zero ``"code"``
is a refusal and is retried like an error (the outbox never gives an upload up).
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
from lingtan.errors import InvalidInput
from lingtan.exchange import gm
from lingtan.timeutil import SECOND_US

SCHEME: Final = "hmac-sha256"
HMAC_SM3: Final = "hmac-sm3"
SM2_SM3: Final = "sm2-sm3"
#: secret prefixes choosing a 国密 scheme (a secret without one is an HMAC-SHA256 key)
_PREFIXES: Final = {"hmac-sm3:": HMAC_SM3, "sm2:": SM2_SM3}
_ACK_CHARS: Final = 500


def signed_message(timestamp: int, nonce: str, body: bytes) -> bytes:
    """What is signed: timestamp, a dot, the nonce, a dot, the raw body."""
    return f"{int(timestamp)}.{nonce}.".encode() + body


def signer_of(secret: bytes) -> tuple[str, bytes]:
    """(scheme, key) of a channel secret (see the module docstring); ValueError for an SM2
    key that is not one."""
    text = secret.decode("utf-8", "replace")
    for prefix, scheme in _PREFIXES.items():
        if text.startswith(prefix):
            key = secret[len(prefix) :]
            if scheme == SM2_SM3:
                gm.sm2_public_key(key.decode("ascii", "replace"))  # refuses a malformed key
            return scheme, key
    return SCHEME, secret


def check_secret(secret: str) -> None:
    """Refuse an ``ecm`` channel secret whose scheme cannot sign (InvalidInput naming it)."""
    try:
        signer_of(secret.encode("utf-8"))
    except ValueError as err:
        raise InvalidInput(f"secret: {err}", field="secret") from None


def sign(secret: bytes, timestamp: int, nonce: str, body: bytes) -> str:
    """The ``X-ECM-Signature`` value."""
    scheme, key = signer_of(secret)
    message = signed_message(timestamp, nonce, body)
    if scheme == HMAC_SM3:
        return f"{scheme}={gm.hmac_sm3_hex(key, message)}"
    if scheme == SM2_SM3:
        return f"{scheme}={gm.sm2_sign_hex(key.decode('ascii'), message)}"
    return f"{scheme}={hmac.new(key, message, hashlib.sha256).hexdigest()}"


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
    secret: bytes,
    body: bytes,
    hdrs: Mapping[str, str],
    *,
    now_s: float,
    tolerance_s: float = 300,
    sm2_public: str | None = None,
) -> bool:
    """A receiver's check (``hdrs`` with lower-case names): the signature and a recent
    timestamp. ``secret`` is the shared key of the HMAC schemes (with its prefix, as the
    channel holds it); an ``sm2-sm3`` signature is checked with ``sm2_public`` (x‖y hex)."""
    try:
        timestamp = int(hdrs["x-ecm-timestamp"])
        nonce = hdrs["x-ecm-nonce"]
        given = hdrs["x-ecm-signature"]
    except (KeyError, ValueError):
        return False
    if abs(now_s - timestamp) > tolerance_s:
        return False
    scheme, _, value = given.partition("=")
    if scheme == SM2_SM3:
        message = signed_message(timestamp, nonce, body)
        return sm2_public is not None and gm.sm2_verify(sm2_public, value, message)
    try:
        if signer_of(secret)[0] != scheme:
            return False
    except ValueError:
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


def _sender(payload: Any) -> str:
    """``X-ECM-Unit``: the unit's 统一社会信用代码 (an ecm message) or the park's code (a
    region upload, lingtan.region.document)."""
    if not isinstance(payload, dict):
        return ""
    if isinstance(payload.get("unit"), dict):
        return str(payload["unit"].get("uscc", ""))
    if isinstance(payload.get("park"), dict):
        return str(payload["park"].get("code", ""))
    return ""


def send_upload(
    client: httpx.Client, channel: Channel, secret: str | None, delivery: Delivery, *, now: int
) -> str:
    """POST the upload to the channel's URL; the platform's acknowledgement (its answer's
    first characters). :class:`DeliveryError` when it did not accept it."""
    body = delivery.payload.encode("utf-8")
    unit = _sender(json.loads(delivery.payload))
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
