"""MQTT topic templates and payload forms (pure)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingtan.connectors.mqtt.payloads import PayloadError, TopicTemplate, decode_message
from lingtan.errors import InvalidInput

SINGLE = TopicTemplate("park/{site}/{meter}/{quantity}", "single", "{meter}-{quantity}")
BATCH = TopicTemplate("park/gw/{gateway}/batch", "batch")
T8 = dt.timezone(dt.timedelta(hours=8))


def test_mqtt_template_to_subscription_and_shared_subscription() -> None:
    assert SINGLE.subscription() == "park/+/+/+"
    assert BATCH.subscription("lingtan") == "$share/lingtan/park/gw/+/batch"
    assert SINGLE.match("park/A1/E01/energy") == {
        "site": "A1",
        "meter": "E01",
        "quantity": "energy",
    }
    assert SINGLE.match("park/A1/E01") is None
    assert BATCH.match("park/gw/g1/other") is None


def test_mqtt_template_rejects_partial_levels_and_unknown_variables() -> None:
    with pytest.raises(InvalidInput):
        TopicTemplate("park/meter-{id}", "single", "{id}")
    with pytest.raises(InvalidInput):
        TopicTemplate("park/{meter}", "single", "{nope}")
    with pytest.raises(InvalidInput):
        TopicTemplate("park/#", "batch")
    with pytest.raises(InvalidInput):
        TopicTemplate("park/{meter}", "single")  # a single reading needs a point pattern


def test_mqtt_single_form_object() -> None:
    body = {"ts": "2026-05-01T08:00:00+08:00", "value": 1234.5, "unit": "kWh"}
    got = decode_message(SINGLE, "park/A1/E01/energy", json.dumps(body).encode(), source="s")
    (r,) = got.readings
    assert (r.point, r.value, r.unit, r.raw) == ("E01-energy", 1234.5, "kWh", None)
    assert r.ts == dt.datetime(2026, 5, 1, 8, tzinfo=T8)


def test_mqtt_single_form_bare_number_uses_the_receive_time_only_when_given() -> None:
    received = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    (r,) = decode_message(SINGLE, "park/A/E/p", b"12.5", source="s", received_at=received).readings
    assert (r.value, r.ts) == (12.5, received)
    (r,) = decode_message(SINGLE, "park/A/E/p", b"12.5", source="s").readings
    assert r.ts == "" and r.raw == "12.5"  # no time invented: ingest rejects it, keeps the raw


def test_mqtt_batch_form_readings_list_with_per_item_time_and_unit() -> None:
    body = {
        "ts": 1_777_593_600_000,  # epoch milliseconds
        "unit": "kWh",
        "readings": [
            {"point": "E01-main", "value": 1.5},
            {"point": "E02-main", "value": 2.5, "ts": "2026-05-01T07:59:58+08:00", "unit": "MWh"},
        ],
    }
    got = decode_message(BATCH, "park/gw/g1/batch", json.dumps(body).encode(), source="s")
    assert got.errors == []
    first, second = got.readings
    assert first.ts == dt.datetime.fromtimestamp(1_777_593_600, tz=dt.UTC) and first.unit == "kWh"
    assert second.unit == "MWh" and second.ts == dt.datetime(2026, 5, 1, 7, 59, 58, tzinfo=T8)


def test_mqtt_batch_form_values_object_and_point_pattern() -> None:
    template = TopicTemplate("park/gw/{gateway}/batch", "batch", "{gateway}.{point}")
    body = {"ts": "2026-05-01T08:00:00Z", "values": {"ua": 230.1, "ia": 5}}
    got = decode_message(template, "park/gw/g7/batch", json.dumps(body).encode(), source="s")
    assert sorted((r.point, r.value) for r in got.readings) == [("g7.ia", 5), ("g7.ua", 230.1)]


def test_mqtt_batch_items_without_point_or_value_are_errors_the_rest_is_kept() -> None:
    body = {
        "ts": "2026-05-01T08:00:00Z",
        "readings": [{"value": 1}, {"point": "A"}, 3, {"point": "B", "value": 2}],
    }
    got = decode_message(BATCH, "park/gw/g/batch", json.dumps(body).encode(), source="s")
    assert [r.point for r in got.readings] == ["B"]
    assert len(got.errors) == 3


def test_mqtt_bad_values_pass_through_with_raw_for_ingest_to_reject() -> None:
    body = {
        "ts": "2026-05-01T08:00:00",
        "readings": [{"point": "A", "value": "n/a"}, {"point": "B", "value": 1}],
    }
    got = decode_message(BATCH, "park/gw/g/batch", json.dumps(body).encode(), source="s")
    a, b = got.readings
    assert a.value == "n/a" and a.raw is not None
    assert b.ts == "2026-05-01T08:00:00" and b.raw is not None  # naive: stays text, ingest rejects


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe",
        b"not json",
        b"[1, 2]",
        b'{"readings": 5}',
        b'{"values": [1]}',
        b"{}",
        b"true",
        b"null",
    ],
)
def test_mqtt_malformed_batch_payloads_raise_payload_error(payload: bytes) -> None:
    with pytest.raises(PayloadError):
        decode_message(BATCH, "park/gw/g/batch", payload, source="s")


def test_mqtt_topic_outside_the_template_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        decode_message(BATCH, "other/topic", b"{}", source="s")


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=300))
def test_mqtt_random_bytes_never_raise_anything_but_payload_error(payload: bytes) -> None:
    for template, topic in ((BATCH, "park/gw/g/batch"), (SINGLE, "park/a/b/c")):
        try:
            decode_message(template, topic, payload, source="s")
        except PayloadError:
            pass


@given(json_values)
def test_mqtt_any_json_document_gives_readings_or_a_payload_error(doc: object) -> None:
    payload = json.dumps(doc).encode()
    for template, topic in ((BATCH, "park/gw/g/batch"), (SINGLE, "park/a/b/c")):
        try:
            got = decode_message(template, topic, payload, source="s")
        except PayloadError:
            continue
        for r in got.readings:
            assert isinstance(r.point, str) and r.point
            assert r.value is None or isinstance(r.value, int | float | str)


def test_mqtt_an_integer_of_more_digits_than_python_converts_is_a_payload_error() -> None:
    # json.loads raises a plain ValueError past 4,300 digits (sys.get_int_max_str_digits);
    # escaping the decoder it would crash the subscriber on every redelivery of the message
    body = b'{"ts": 1, "readings": [{"point": "A", "value": ' + b"9" * 5000 + b"}]}"
    with pytest.raises(PayloadError, match="not JSON"):
        decode_message(BATCH, "park/gw/g/batch", body, source="s")


@pytest.mark.parametrize("form", ["batch", "single"])
def test_mqtt_a_timestamp_integer_beyond_a_float_is_kept_as_text_for_ingest_to_reject(
    form: str,
) -> None:
    big = 10**400  # JSON allows it; float(big) overflows
    if form == "batch":
        body = json.dumps({"ts": big, "readings": [{"point": "A", "value": 1.5}]}).encode()
        got = decode_message(BATCH, "park/gw/g/batch", body, source="s")
    else:
        body = json.dumps({"value": 1.5, "ts": big}).encode()
        got = decode_message(SINGLE, "park/a/b/c", body, source="s")
    assert [(r.ts, r.value) for r in got.readings] == [(str(big), 1.5)]
    assert got.readings[0].raw is not None  # kept whole: ingest rejects it with its payload
