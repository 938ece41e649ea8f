"""The common batch message decoded by msgspec gives what the json.loads path gives.

``decode_columns`` takes a batch body of exactly ``{"ts": …, "readings": [{"point": …,
"value": <number>}, …]}`` (optional time and unit keys) through a typed msgspec decoder, and
everything else through ``_decode_columns_json``. For every payload here both must give the
same columns cell by cell (point, timestamp object, epoch µs, value with its type, unit,
source, the rows kept whole) and the same item and payload errors; the cases listed as
common must really take the msgspec path, the others must not.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lingtan.connectors.mqtt import payloads
from lingtan.connectors.mqtt.payloads import PayloadError, TopicTemplate, decode_columns

from . import mqtt_reference

BATCH = TopicTemplate("park/gw/{gateway}/batch", "batch")
PATTERN = TopicTemplate("park/gw/{gateway}/batch", "batch", "{gateway}.{point}", "kWh")
TOPIC = "park/gw/g7/batch"
RECEIVED = dt.datetime(2026, 3, 2, 1, 2, 3, tzinfo=dt.UTC)
#: 2026-03-01T00:00:00Z in epoch seconds (calendar.timegm((2026, 3, 1, 0, 0, 0)))
MAR1 = 1_772_323_200


def cell_ts(ts: Any) -> tuple[Any, ...]:
    """A timestamp with what ``==`` lets through told apart (type, offset, zone object)."""
    if isinstance(ts, dt.datetime):
        return ("datetime", ts.isoformat(), ts.utcoffset(), repr(ts.tzinfo))
    return (type(ts).__name__, ts)


def cell_value(value: Any) -> tuple[str, str]:
    return type(value).__name__, repr(value)


def columns_of(decoder: Any, template: TopicTemplate, payload: bytes, **kw: Any) -> Any:
    """Every cell of the decoded columns and the item errors, or the payload error."""
    try:
        got = decoder(template, TOPIC, payload, source="mqtt:gw:g7", **kw)
    except PayloadError as err:
        return ("payload error", str(err))
    cols = got.columns
    odd = {
        k: (r.point, cell_ts(r.ts), cell_value(r.value), r.unit, r.source, r.raw, r.problem)
        for k, r in cols.odd.items()
    }
    return (
        list(cols.point),
        [cell_ts(t) for t in cols.ts],
        list(cols.us),
        [cell_value(v) for v in cols.value],
        list(cols.unit),
        list(cols.source),
        odd,
        got.errors,
    )


def took_common_path(template: TopicTemplate, payload: bytes, received: Any = None) -> bool:
    captured = template.match(TOPIC)
    assert captured is not None
    fallback = received if received is not None else ""
    return payloads._common_batch(template, captured, payload, "s", fallback) is not None


def assert_same(template: TopicTemplate, payload: bytes, received: Any = None) -> Any:
    got = columns_of(decode_columns, template, payload, received_at=received)
    assert got == columns_of(payloads._decode_columns_json, template, payload, received_at=received)
    return got


ISO = '"2026-03-01T08:00:00+08:00"'
ITEMS = '[{"point": "P0", "value": 1}, {"point": "P1", "value": -2.5}]'

#: (name, body text, receive time): bodies of the common shape, each taking the msgspec path
COMMON: list[tuple[str, str, dt.datetime | None]] = [
    ("iso ts, int and negative float", f'{{"ts": {ISO}, "readings": {ITEMS}}}', None),
    ("iso ts in UTC with Z", f'{{"ts": "2026-03-01T00:00:00Z", "readings": {ITEMS}}}', None),
    ("iso ts with spaces", f'{{"ts": " 2026-03-01T08:00:00+08:00 ", "readings": {ITEMS}}}', None),
    ("epoch seconds", f'{{"ts": {MAR1}, "readings": {ITEMS}}}', None),
    ("epoch seconds float", f'{{"ts": {MAR1}.25, "readings": {ITEMS}}}', None),
    ("epoch milliseconds", f'{{"ts": {MAR1}000, "readings": {ITEMS}}}', None),
    ("key t", f'{{"t": {ISO}, "readings": {ITEMS}}}', None),
    ("key time", f'{{"time": {MAR1}, "readings": {ITEMS}}}', None),
    ("ts before t", f'{{"t": 5, "ts": {ISO}, "readings": {ITEMS}}}', None),
    ("null ts: the receive time", f'{{"ts": null, "t": {MAR1}, "readings": {ITEMS}}}', RECEIVED),
    ("no ts: the receive time", f'{{"readings": {ITEMS}}}', RECEIVED),
    ("readings first", f'{{"readings": {ITEMS}, "ts": {ISO}}}', None),
    ("unit", f'{{"ts": {ISO}, "unit": "MWh", "readings": {ITEMS}}}', None),
    ("u", f'{{"ts": {ISO}, "u": "Wh", "readings": {ITEMS}}}', None),
    ("unit before u", f'{{"ts": {ISO}, "u": "Wh", "unit": "MWh", "readings": {ITEMS}}}', None),
    ("null unit before u", f'{{"ts": {ISO}, "unit": null, "u": "Wh", "readings": {ITEMS}}}', None),
    ("empty unit", f'{{"ts": {ISO}, "unit": "", "readings": {ITEMS}}}', None),
    ("no readings", f'{{"ts": {ISO}, "readings": []}}', None),
    (
        "numbers",
        f'{{"ts": {ISO}, "readings": ['
        '{"point": "a", "value": 0}, {"point": "b", "value": -0}, {"point": "c", "value": -0.0},'
        '{"point": "d", "value": 1e3}, {"point": "e", "value": -2.5E-3},'
        '{"point": "f", "value": 1.0e+2}, {"point": "g", "value": 9223372036854775807},'
        '{"point": "h", "value": -9223372036854775808}, {"point": "i", "value": 5e-324},'
        '{"point": "j", "value": 1.7976931348623157e308}, {"point": "k", "value": 1e-400},'
        '{"point": "l", "value": 0.1000000000000000055511151231257827}]}',
        None,
    ),
    (
        "unicode and escaped point names",
        f'{{"ts": {ISO}, "readings": [{{"point": "电表-01", "value": 1}},'
        r'{"point": "\u7535\u8868-02", "value": 2}, {"point": "\ud83d\ude00", "value": 3},'
        r'{"point": "a\"b\\c\/d\u0000", "value": 4}, {"point": "\u00e9", "value": 5}]}',
        None,
    ),
    ("escaped key", f'{{"ts": {ISO}, "readings": [{{"po\\u0069nt": "P0", "value": 1}}]}}', None),
    (
        "repeated key: the last",
        f'{{"ts": {ISO}, "readings": [{{"point": "X", "point": "P0", "value": 1}}]}}',
        None,
    ),
    ("whitespace", f' \r\n\t{{ "ts" : {ISO} ,\n "readings" : {ITEMS} }}\n ', None),
    ("repeated ts: the last", f'{{"ts": 5, "ts": {ISO}, "readings": {ITEMS}}}', None),
    (
        "repeated readings: the last",
        f'{{"ts": {ISO}, "readings": [{{"point": "X", "value": 9}}], "readings": {ITEMS}}}',
        None,
    ),
]


@pytest.mark.parametrize("template", [BATCH, PATTERN], ids=["plain", "pattern"])
@pytest.mark.parametrize("case", COMMON, ids=[c[0] for c in COMMON])
def test_common_batches_take_msgspec_and_decode_as_json_loads_does(
    case: tuple[str, str, dt.datetime | None], template: TopicTemplate
) -> None:
    _, body, received = case
    payload = body.encode("utf-8")
    assert took_common_path(template, payload, received)
    got = assert_same(template, payload, received)
    # and as the per-reading oracle does
    expected = mqtt_reference.decode_message(
        template, TOPIC, payload, source="mqtt:gw:g7", received_at=received
    )
    assert len(got[0]) == len(expected.readings) and got[7] == expected.errors == []
    for k, r in enumerate(expected.readings):
        assert (got[0][k], got[1][k], got[3][k], got[4][k]) == (
            r.point,
            cell_ts(r.ts),
            cell_value(r.value),
            r.unit,
        )


def test_common_batch_cells_worked_out_by_hand() -> None:
    body = (
        '{"ts": "2026-03-01T08:00:00+08:00", "unit": "MWh", "readings": ['
        '{"point": "P0", "value": 12}, {"point": "\\u7535\\u8868", "value": -1.5e2}]}'
    )
    got = decode_columns(BATCH, TOPIC, body.encode(), source="mqtt:gw:g7")
    cols = got.columns
    assert got.errors == [] and cols.odd == {}
    assert cols.point == ["P0", "电表"]
    # 08:00+08:00 is 00:00Z: the instant in µs, and the offset the message gave kept
    assert cols.us == [MAR1 * 1_000_000] * 2
    assert cols.ts[0] is cols.ts[1]
    assert cols.ts[0].utcoffset() == dt.timedelta(hours=8) and cols.ts[0].hour == 8
    assert [(type(v), v) for v in cols.value] == [(int, 12), (float, -150.0)]
    assert cols.unit == ["MWh", "MWh"] and cols.source == ["mqtt:gw:g7"] * 2
    # epoch milliseconds and the pattern template's point and unit
    body = f'{{"ts": {MAR1 * 1000 + 250}, "readings": [{{"point": "ua", "value": 3}}]}}'
    cols = decode_columns(PATTERN, TOPIC, body.encode(), source="s").columns
    assert cols.point == ["g7.ua"] and cols.unit == ["kWh"]
    assert cols.us == [MAR1 * 1_000_000 + 250_000]
    assert cols.ts[0] == dt.datetime(2026, 3, 1, 0, 0, 0, 250_000, tzinfo=dt.UTC)
    # a null ts is the receive time, not the "t" after it
    body = f'{{"ts": null, "t": {MAR1}, "readings": [{{"point": "P0", "value": 1}}]}}'
    cols = decode_columns(BATCH, TOPIC, body.encode(), source="s", received_at=RECEIVED).columns
    assert cols.ts == [RECEIVED]


def item_payload(value_or_item: str, head: str = f'"ts": {ISO}') -> str:
    item = value_or_item
    if not item.startswith("{"):
        item = f'{{"point": "P0", "value": {value_or_item}}}'
    return f'{{{head}, "readings": [{{"point": "P1", "value": 1}}, {item}]}}'


#: (name, payload): messages the msgspec path must leave to the json.loads path
FALLBACK: list[tuple[str, bytes | str]] = [
    ("values key", f'{{"ts": {ISO}, "values": {{"P0": 1}}}}'),
    ("values and readings", f'{{"ts": {ISO}, "values": {{"P0": 1}}, "readings": {ITEMS}}}'),
    ("another key", f'{{"ts": {ISO}, "gw": "x", "readings": {ITEMS}}}'),
    ("no readings key", f'{{"ts": {ISO}}}'),
    ("null readings", f'{{"ts": {ISO}, "readings": null}}'),
    ("readings an object", f'{{"ts": {ISO}, "readings": {{"point": "P0", "value": 1}}}}'),
    ("body a list", f"[{ITEMS}]"),
    ("body a number", "5"),
    ("item with ts", item_payload(f'{{"point": "P0", "value": 1, "ts": {MAR1}}}')),
    ("item with unit", item_payload('{"point": "P0", "value": 1, "unit": "Wh"}')),
    ("item with p", item_payload('{"p": "P0", "value": 1}')),
    ("item with v", item_payload('{"point": "P0", "v": 1}')),
    ("item without value", item_payload('{"point": "P0"}')),
    ("item a list", item_payload('["P0", 1]')),
    ("item a number", f'{{"ts": {ISO}, "readings": [1, {{"point": "P0", "value": 1}}]}}'),
    ("empty point", item_payload('{"point": "", "value": 1}')),
    ("point a number", item_payload('{"point": 5, "value": 1}')),
    ("null point", item_payload('{"point": null, "value": 1}')),
    ("repeated key, the first bad", item_payload('{"point": 5, "point": "P0", "value": 1}')),
    ("repeated key, the last empty", item_payload('{"point": "P0", "point": "", "value": 1}')),
    ("NaN", item_payload("NaN")),
    ("Infinity", item_payload("Infinity")),
    ("-Infinity", item_payload("-Infinity")),
    ("beyond a float: inf", item_payload("1e400")),
    ("beyond a float by rounding", item_payload("1.7976931348623159e308")),
    ("true", item_payload("true")),
    ("false", item_payload("false")),
    ("null value", item_payload("null")),
    ("text value", item_payload('"12.5"')),
    ("list value", item_payload("[1]")),
    ("2**63", item_payload(str(2**63))),
    ("-2**63-1", item_payload(str(-(2**63) - 1))),
    ("10**30", item_payload(str(10**30))),
    ("10**400", item_payload(str(10**400))),
    ("5,000 digits", item_payload("9" * 5000)),
    ("lone surrogate", item_payload(r'{"point": "\ud800", "value": 1}')),
    ("not UTF-8", item_payload('{"point": "P\xff", "value": 1}').encode("latin-1")),
    (
        "encoded surrogate",
        item_payload('{"point": "PX", "value": 1}').encode().replace(b"X", b"\xed\xa0\x80"),
    ),
    ("UTF-8 BOM", "\ufeff" + item_payload("1")),
    ("control character", item_payload('{"point": "P\tX", "value": 1}')),
    ("trailing text", item_payload("1") + " x"),
    ("trailing comma", item_payload("1")[:-1] + ",}"),
    ("not JSON", "{"),
    ("naive ts", item_payload("1", '"ts": "2026-03-01T08:00:00"')),
    ("ts not a time", item_payload("1", '"ts": "yesterday"')),
    ("ts true", item_payload("1", '"ts": true')),
    ("ts a list", item_payload("1", f'"ts": [{MAR1}]')),
    ("ts an object", item_payload("1", f'"ts": {{"s": {MAR1}}}')),
    ("ts NaN", item_payload("1", '"ts": NaN')),
    ("ts out of range", item_payload("1", '"ts": 1e300')),
    ("ts beyond int64", item_payload("1", f'"ts": {10**20}')),
    ("null ts, no receive time", item_payload("1", '"ts": null')),
    ("no ts, no receive time", item_payload("1", '"unit": "kWh"')),
    ("unit a number", item_payload("1", f'"ts": {ISO}, "unit": 5')),
    ("unit an object", item_payload("1", f'"ts": {ISO}, "unit": {{"a": 1}}')),
    ("unit false", item_payload("1", f'"ts": {ISO}, "unit": false')),
]


@pytest.mark.parametrize("template", [BATCH, PATTERN], ids=["plain", "pattern"])
@pytest.mark.parametrize("case", FALLBACK, ids=[c[0] for c in FALLBACK])
def test_other_messages_fall_back_to_json_loads(
    case: tuple[str, bytes | str], template: TopicTemplate
) -> None:
    _, body = case
    payload = body if isinstance(body, bytes) else body.encode("utf-8")
    assert not took_common_path(template, payload)
    got = assert_same(template, payload)
    if got[0] != "payload error":
        expected = mqtt_reference.decode_message(template, TOPIC, payload, source="mqtt:gw:g7")
        assert len(got[0]) == len(expected.readings) and got[7] == expected.errors


def test_fallback_cases_are_what_the_json_path_makes_of_them() -> None:
    """Some fallbacks worked out by hand: a bool (as its JSON text), NaN and an integer beyond
    a float are kept whole for ingest to judge, 10**30 is a clean int, bad bytes and an
    integer of more digits than Python converts are payload errors."""

    def one(value: str) -> tuple[dict[int, Any], Any]:
        cols = decode_columns(BATCH, TOPIC, item_payload(value).encode(), source="s").columns
        return cols.odd, cols.value[1]

    odd, _ = one("true")
    assert odd[1].value == "true" and odd[1].raw == '{"point": "P0", "value": true}'
    odd, _ = one("NaN")
    assert math.isnan(odd[1].value)  # type: ignore[arg-type]
    odd, _ = one(str(10**400))
    assert odd[1].value == 10**400
    odd, value = one(str(10**30))
    assert odd == {} and type(value) is int and value == 10**30
    with pytest.raises(PayloadError, match="not UTF-8"):
        decode_columns(BATCH, TOPIC, b'{"readings": [{"point": "\xff", "value": 1}]}', source="s")
    with pytest.raises(PayloadError, match="not JSON"):
        decode_columns(BATCH, TOPIC, item_payload("9" * 5000).encode(), source="s")
    # a naive batch time stays text and every row is kept whole
    naive = decode_columns(
        BATCH, TOPIC, item_payload("1", '"ts": "2026-03-01T08:00:00"').encode(), source="s"
    )
    assert sorted(naive.columns.odd) == [0, 1]
    assert naive.columns[0].ts == "2026-03-01T08:00:00"


def test_a_benchmark_shaped_message_takes_the_msgspec_path() -> None:
    body = {
        "ts": "2026-03-01T00:10:00+00:00",
        "readings": [{"point": f"P{k:05d}", "value": k * 1.25} for k in range(100)],
    }
    payload = json.dumps(body).encode()
    assert took_common_path(BATCH, payload)
    got = assert_same(BATCH, payload)
    assert got[0] == [f"P{k:05d}" for k in range(100)]
    assert got[3] == [("float", repr(k * 1.25)) for k in range(100)]


# ----------------------------------------------------------------- generated common batches

numbers = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.builds(
        lambda sign, whole, frac, exp: f"{sign}{whole}{frac}{exp}",
        st.sampled_from(["", "-"]),
        st.integers(0, 10**25).map(str),
        st.one_of(st.just(""), st.integers(0, 10**30).map(lambda f: f".{f}")),
        st.one_of(
            st.just(""),
            st.builds(
                lambda e, sign, n: f"{e}{sign}{n}",
                st.sampled_from("eE"),
                st.sampled_from(["", "+", "-"]),
                st.integers(0, 400),
            ),
        ),
    ),
)
points = st.text(min_size=0, max_size=8)
items = st.tuples(points, numbers, st.booleans())
batch_ts = st.sampled_from(
    ["", f'"ts": {ISO}, ', f'"t": {MAR1}, ', f'"time": {MAR1}123, ', '"ts": null, ']
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch_ts, st.sampled_from(["", '"unit": "Wh", ', '"u": "", ']), st.lists(items, max_size=6))
def test_generated_common_batches_decode_as_json_loads_does(
    ts: str, unit: str, rows: list[tuple[str, str, bool]]
) -> None:
    listed = ", ".join(
        f'{{"point": {json.dumps(p, ensure_ascii=ascii)}, "value": {n}}}' for p, n, ascii in rows
    )
    payload = f'{{{ts}{unit}"readings": [{listed}]}}'.encode()
    for template in (BATCH, PATTERN):
        for received in (None, RECEIVED):
            assert_same(template, payload, received)
