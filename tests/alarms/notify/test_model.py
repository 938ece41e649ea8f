"""The pure layer: signatures, channel validation, matching, payloads, e-mail text, back-off."""

from __future__ import annotations

import json

import pytest

from lingtan.alarms.notify.model import (
    Channel,
    NotifyEvent,
    backoff_s,
    channel_spec,
    email_body,
    email_subject,
    matches,
    payload_for,
    signature,
    signed_message,
    verify,
    webhook_headers,
)
from lingtan.errors import InvalidInput
from tests.alarms.notify.conftest import T0


def test_signature_is_rfc4231_hmac_sha256_test_case_2() -> None:
    # RFC 4231 §4.3, test case 2: key "Jefe", data "what do ya want for nothing?"
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert signature(b"Jefe", b"what do ya want for nothing?") == expected


def test_webhook_signature_covers_timestamp_dot_body() -> None:
    body = b'{"delivery_id":"alarm-7-opened-1-ch3","event":"opened"}'
    # printf '%s' '1767225600.{"delivery_id":"alarm-7-opened-1-ch3","event":"opened"}' \
    #   | openssl dgst -sha256 -hmac 'whsec-test-0123456789'
    expected = "4475b01c5c5ffbbec1f1b4ba89800f1d0532d1108cd3feb908cca99f0ada17e4"
    assert signed_message(1767225600, body) == b"1767225600." + body
    headers = webhook_headers(
        b"whsec-test-0123456789", body, timestamp=1767225600, delivery_id="alarm-7-opened-1-ch3"
    )
    assert headers["X-Lingtan-Signature"] == f"sha256={expected}"
    assert headers["X-Lingtan-Timestamp"] == "1767225600"
    assert headers["X-Lingtan-Delivery"] == "alarm-7-opened-1-ch3"


def test_verify_accepts_the_signed_request_and_refuses_tampering_and_old_timestamps() -> None:
    secret, body = b"whsec-test-0123456789", b'{"a":1}'
    headers = {
        k.lower(): v
        for k, v in webhook_headers(secret, body, timestamp=1_000_000, delivery_id="d").items()
    }
    assert verify(secret, body, headers, now_s=1_000_010)
    assert not verify(secret, b'{"a":2}', headers, now_s=1_000_010)  # body changed
    assert not verify(b"another-secret-000", body, headers, now_s=1_000_010)
    assert not verify(secret, body, headers, now_s=1_000_000 + 301)  # older than 5 min
    forged = {**headers, "x-lingtan-timestamp": "1000005"}  # timestamp changed
    assert not verify(secret, body, forged, now_s=1_000_010)
    assert not verify(secret, body, {}, now_s=1_000_010)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "webhook", "target": "ftp://example.com/x"}, "target"),
        ({"kind": "webhook", "target": "https://"}, "target"),
        ({"kind": "webhook", "target": "http://exa mple.com/"}, "target"),
        ({"kind": "webhook", "target": ["https://example.com/"]}, "target"),
        ({"kind": "email", "target": []}, "target"),
        ({"kind": "email", "target": ["ops@example.com", "not-an-address"]}, "target[1]"),
        ({"kind": "email", "target": ["ops@localhost"]}, "target[0]"),
        ({"kind": "sms", "target": "13800000000"}, "kind"),
        ({"kind": "email", "target": ["a@b.cn"], "min_severity": "urgent"}, "min_severity"),
        ({"kind": "email", "target": ["a@b.cn"], "lang": "fr"}, "lang"),
        ({"kind": "email", "target": ["a@b.cn"], "kinds": []}, "kinds"),
        ({"kind": "email", "target": ["a@b.cn"], "code": "has space"}, "code"),
    ],
)
def test_an_invalid_channel_is_refused_naming_the_field(
    fields: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {"code": "ops", "name": "值班", **fields}
    with pytest.raises(InvalidInput) as err:
        channel_spec(**args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_valid_channels_are_normalised() -> None:
    web = channel_spec(code="ops", name=" 值班群 ", kind="webhook", target="https://h.example.cn/x")
    assert (web.target, web.name, web.min_severity, web.kinds) == (
        "https://h.example.cn/x",
        "值班群",
        "major",
        None,
    )
    mail = channel_spec(
        code="mail",
        name="邮件",
        kind="email",
        target="ops@example.cn; Boss@example.cn, ops@EXAMPLE.cn",
        kinds=["threshold"],
    )
    # split on separators, a repeated address (case-insensitively) kept once
    assert mail.target == ("ops@example.cn", "Boss@example.cn")
    assert mail.kinds == frozenset({"threshold"})


def _channel(**kw: object) -> Channel:
    base: dict[str, object] = {
        "id": 1,
        "park_id": 1,
        "code": "c",
        "name": "c",
        "kind": "webhook",
        "target": "https://example.com/",
        "min_severity": "major",
        "enterprise_id": None,
        "kinds": None,
        "enabled": True,
    }
    base.update(kw)
    return Channel(**base)  # type: ignore[arg-type]


def test_a_park_channel_takes_every_owner_and_an_enterprise_channel_only_its_own() -> None:
    park, e1 = _channel(), _channel(enterprise_id=1)
    for owner in (None, 1, 2):
        assert matches(park, enterprise_id=owner, severity="major", kind="threshold")
    assert matches(e1, enterprise_id=1, severity="major", kind="threshold")
    assert not matches(e1, enterprise_id=2, severity="major", kind="threshold")
    assert not matches(e1, enterprise_id=None, severity="major", kind="threshold")


def test_severity_is_ordered_hint_minor_major_critical() -> None:
    ch = _channel(min_severity="major")
    assert [
        matches(ch, enterprise_id=None, severity=s, kind="k")
        for s in ("hint", "minor", "major", "critical")
    ] == [False, False, True, True]


def test_kinds_filter_and_disabled_channels() -> None:
    ch = _channel(kinds=frozenset({"freshness"}))
    assert matches(ch, enterprise_id=None, severity="critical", kind="freshness")
    assert not matches(ch, enterprise_id=None, severity="critical", kind="threshold")
    assert not matches(_channel(enabled=False), enterprise_id=None, severity="critical", kind="k")


def _payload(event: str = "opened", severity: str = "major") -> dict[str, object]:
    return payload_for(
        NotifyEvent(
            delivery_id="alarm-7-opened-2-ch3",
            event=event,
            park_id=1,
            enterprise_id=5,
            severity=severity,
            kind="threshold",
            alarm={"id": 7, "count": 2, "subject": "E01-main", "message": "1号变压器负载率超限"},
            at=T0,
        )
    )


def test_payload_carries_the_delivery_id_and_the_alarm() -> None:
    p = _payload()
    assert p["delivery_id"] == "alarm-7-opened-2-ch3"
    assert p["occurred_at"] == "2026-01-01T00:00:00Z"  # T0
    assert p["alarm"] == {
        "id": 7,
        "count": 2,
        "subject": "E01-main",
        "message": "1号变压器负载率超限",
    }
    json.dumps(p)  # JSON as it is


def test_email_subject_and_body_in_chinese_by_default_and_english_on_request() -> None:
    p = _payload()
    assert email_subject(p) == "【重要】告警：1号变压器负载率超限"
    assert email_subject(_payload("cleared", "critical")) == "【紧急】告警恢复：1号变压器负载率超限"
    assert email_subject(p, "en") == "[Major] Alarm: 1号变压器负载率超限"
    body = email_body(p)
    assert "级别: 重要" in body and "对象: E01-main" in body and "次数: 2" in body
    assert "投递编号：alarm-7-opened-2-ch3" in body
    assert "Severity: Major" in email_body(p, "en")


def test_backoff_doubles_from_10_s_up_to_the_cap() -> None:
    # 10 · 2^(n-1): 10, 20, 40, 80, 160, 320, 640, 1280, 2560, then 5120 capped at 3600
    waits = [backoff_s(n, base_s=10, max_s=3600) for n in range(1, 11)]
    assert waits == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]
    assert backoff_s(200, base_s=10, max_s=3600) == 3600
