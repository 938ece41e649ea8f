"""MQTT payloads decoded straight into columns, and the columnar ingest path they feed.

The columnar decoder must give, for every payload, the readings, item errors and payload
errors of the per-reading decoder (``mqtt_reference.py``, the payload rules written out one
reading at a time), and ingesting the columns must leave the store exactly as ingesting the
same readings as a list does: the same accepted readings, the same rejects with the same
reason, detail, raw text and source.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lingtan.connectors.collector.buffer import decode_readings, encode_readings
from lingtan.connectors.mqtt.payloads import (
    PayloadError,
    TopicTemplate,
    decode_columns,
    decode_message,
)
from lingtan.ingest import ingest
from lingtan.readings import Reading, ReadingColumns
from lingtan.registry import parse_park_text
from lingtan.store import Store
from tests.conftest import fresh_store

from . import mqtt_reference

FIXTURES = json.loads(
    (Path(__file__).parent / "data" / "mqtt_payloads.json").read_text(encoding="utf-8")
)
NOW = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _template(spec: dict[str, Any]) -> TopicTemplate:
    return TopicTemplate(spec["template"], spec["form"], spec.get("point", ""), spec.get("unit"))


def _payload(fixture: dict[str, Any]) -> bytes:
    if "payload_hex" in fixture:
        return bytes.fromhex(fixture["payload_hex"])
    return str(fixture["payload"]).encode("utf-8")


def _received(fixture: dict[str, Any]) -> dt.datetime | None:
    at = fixture.get("received_at")
    return None if at is None else dt.datetime.fromisoformat(at)


def strict(r: Reading) -> tuple[Any, ...]:
    """Every field of a reading, with what ``==`` would let through told apart: the offset of
    a timestamp (08:00+08:00 == 00:00Z) and the type of a value (5 == 5.0, nan != nan)."""
    ts = r.ts
    offset = ts.utcoffset() if isinstance(ts, dt.datetime) else None
    return (
        r.point,
        type(ts).__name__,
        ts.isoformat() if isinstance(ts, dt.datetime) else ts,
        offset,
        type(r.value).__name__,
        repr(r.value),
        r.unit,
        r.source,
        r.raw,
        r.problem,
    )


def outcome(decoder: Any, template: TopicTemplate, topic: str, payload: bytes, **kw: Any) -> Any:
    """What a decoder makes of a message: its readings and item errors, or its payload error."""
    try:
        got = decoder(template, topic, payload, source=f"mqtt:test:{topic}", **kw)
    except PayloadError as err:
        return ("payload error", str(err))
    if hasattr(got, "columns"):
        return [strict(r) for r in got.columns], got.errors
    return [strict(r) for r in got.readings], got.errors


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_columns_decode_every_fixture_as_the_per_reading_decoder_does(
    fixture: dict[str, Any],
) -> None:
    template, topic, payload = _template(fixture["template"]), fixture["topic"], _payload(fixture)
    expected = outcome(
        mqtt_reference.decode_message, template, topic, payload, received_at=_received(fixture)
    )
    got = outcome(decode_columns, template, topic, payload, received_at=_received(fixture))
    assert got == expected
    # decode_message is the same decoder, one Reading per row
    assert outcome(decode_message, template, topic, payload, received_at=_received(fixture)) == (
        expected
    )


def test_the_fixtures_cover_clean_rows_kept_rows_item_errors_and_payload_errors() -> None:
    """The fixtures exercise every branch: rows in the columns, rows kept whole, item errors
    and whole-message errors (a fixture file that lost its bad payloads would pass above)."""
    clean = odd = errors = payload_errors = 0
    for f in FIXTURES:
        try:
            got = decode_columns(
                _template(f["template"]), f["topic"], _payload(f), source="s",
                received_at=_received(f),
            )  # fmt: skip
        except PayloadError:
            payload_errors += 1
            continue
        odd += len(got.columns.odd)
        clean += len(got.columns) - len(got.columns.odd)
        errors += len(got.errors)
    assert clean >= 20 and odd >= 20 and errors >= 5 and payload_errors >= 8


def test_an_integer_of_more_digits_than_python_converts_is_a_payload_error() -> None:
    """Python refuses to convert an integer literal of more than 4,300 digits with a plain
    ValueError (not a JSONDecodeError). Such a message must be a rejected payload; an
    exception escaping the decoder would crash the subscriber, and the unacknowledged message
    would come back after every restart."""
    body = b'{"ts": 1, "readings": [{"point": "P0", "value": ' + b"9" * 5000 + b"}]}"
    with pytest.raises(PayloadError, match="not JSON"):
        decode_columns(_template({"template": "g/{gw}", "form": "batch"}), "g/1", body, source="")


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from(["point", "p", "id", "value", "v", "ts", "t", "time", "unit", "u", "x"])
item_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["P0", "P1", "", "n/a", "2026-03-01T00:00:00+08:00", "2026-03-01 00:00", "kWh"]
    ),
    st.just(1_772_323_200),
)
items = st.one_of(
    st.fixed_dictionaries({"point": st.sampled_from(["P0", "P1", "P2", ""]), "value": item_values}),
    st.dictionaries(keys, item_values, max_size=5),
    item_values,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "ts": item_values,
        "unit": item_values,
        "readings": st.lists(items, max_size=8),
        "values": st.dictionaries(st.sampled_from(["P0", "P1", ""]), item_values, max_size=3),
    },
)
BATCH = TopicTemplate("park/gw/{gateway}/batch", "batch")
PATTERN = TopicTemplate("park/gw/{gateway}/batch", "batch", "{gateway}.{point}", "kWh")
SINGLE = TopicTemplate("park/{site}/{meter}/{quantity}", "single", "{meter}-{quantity}")


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(bodies, json_values), st.booleans())
def test_columns_decode_any_json_document_as_the_per_reading_decoder_does(
    doc: object, receive_time: bool
) -> None:
    payload = json.dumps(doc).encode()
    received = dt.datetime(2026, 3, 1, tzinfo=dt.UTC) if receive_time else None
    for template, topic in ((BATCH, "park/gw/g/batch"), (PATTERN, "park/gw/g/batch"),
                            (SINGLE, "park/a/b/c")):  # fmt: skip
        expected = outcome(
            mqtt_reference.decode_message, template, topic, payload, received_at=received
        )
        assert outcome(decode_columns, template, topic, payload, received_at=received) == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_columns_decode_any_bytes_as_the_per_reading_decoder_does(payload: bytes) -> None:
    for template, topic in ((BATCH, "park/gw/g/batch"), (SINGLE, "park/a/b/c")):
        expected = outcome(mqtt_reference.decode_message, template, topic, payload)
        assert outcome(decode_columns, template, topic, payload) == expected


# --------------------------------------------------------------------------- the batch type

T8 = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 1, 8, tzinfo=T8)


def mixed_readings() -> list[Reading]:
    return [
        Reading("P0", T0, 1.5, None, "a"),
        Reading("P1", "2026-03-01T08:00:00+08:00", "2.5", "kWh", "b", '{"p": 1}'),
        Reading("P2", T0, 3, "kWh", "a"),
        Reading("P3", T0.replace(tzinfo=None), 4.0, None, "a"),
        Reading("P4", T0, True, None, "a"),
        Reading("P5", T0, float("nan"), None, "a"),
        Reading("P6", T0, 10**400, None, "a"),
        Reading("P7", T0, 7.0, None, "c", None, "line 7: 2 fields"),
    ]


def test_reading_columns_give_back_every_reading_in_order() -> None:
    readings = mixed_readings()
    batch = ReadingColumns.of(readings[:3])
    tail = ReadingColumns.of(readings[3:])
    batch.extend(tail)
    assert [strict(r) for r in batch] == [strict(r) for r in readings]
    assert len(batch) == 8
    # the rows needing care are kept whole at their positions, the others are columns
    assert sorted(batch.odd) == [1, 3, 4, 5, 6, 7]
    assert batch.us[0] == batch.us[2] == int(T0.timestamp()) * 1_000_000
    assert strict(batch[-1]) == strict(readings[-1])
    assert [strict(r) for r in batch[2:5]] == [strict(r) for r in readings[2:5]]
    with pytest.raises(IndexError):
        batch[8]


def test_reading_columns_survive_the_spill_buffer_encoding() -> None:
    readings = [r for r in mixed_readings() if not isinstance(r.value, int) or r.value < 10**300]
    batch = ReadingColumns.of(readings)
    back = decode_readings(encode_readings(batch))
    assert [strict(r) for r in back] == [strict(r) for r in readings]


# --------------------------------------------------------------------------- ingest

PARK = """\
park: {id: cols, name: 列式写入测试园区, province: 江苏}
enterprises:
  - {id: E01, name: 测试企业}
points:
  - {id: P0, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}
  - {id: P1, carrier: electricity_grid_import, kind: measurement, unit: kW}
  - {id: P2, carrier: electricity_grid_import, kind: interval, unit: kWh}
  - {id: P3, carrier: electricity_grid_import, kind: total, unit: kWh}
  - {id: P4, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}
  - {id: E01-main, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}
  - {id: E02-main, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}
  - {id: B, carrier: electricity_grid_import, kind: measurement, unit: kW}
  - {id: g7.ua, carrier: electricity_grid_import, kind: measurement, unit: kW}
  - {id: P5, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, formula: P0 + P4}
"""
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    with fresh_store(request.param, tmp_path) as a, fresh_store(request.param, tmp_path) as b:
        for s in (a, b):
            s.registry.save_park(parse_park_text(PARK))
        yield a, b


def contents(store: Store) -> tuple[list[Any], list[Any]]:
    """Stored readings and rejects, in a form two stores can be compared by."""
    codes = {p.id: code for code, p in store.registry.points_by_code().items()}
    readings = []
    for pid, code in sorted(codes.items()):
        ts, values = store.readings.fetch(pid)
        readings += [(code, int(t), float(v)) for t, v in zip(ts, values, strict=True)]
    fields = ("point_code", "ts_text", "ts", "value_text", "unit", "reason", "detail", "source")
    rejects = sorted(
        (repr(codes.get(r["point_id"])), *(repr(r[f]) for f in fields), repr(r["raw"]))
        for r in store.readings.rejected(limit=10_000)
    )
    return readings, rejects


def ack_of(ack: Any) -> tuple[int, int, int, dict[str, int]]:
    return ack.accepted, ack.duplicates, ack.rejected, ack.reasons


def fixture_batch(value_shift: float = 0.0) -> tuple[list[Reading], ReadingColumns]:
    """Every fixture that decodes, as one batch: the reference readings as a list and the
    columnar decoder's rows (values shifted, for a second batch that conflicts)."""
    listed: list[Reading] = []
    batch = ReadingColumns()
    for f in FIXTURES:
        payload = _payload(f)
        if value_shift:
            payload = payload.replace(b'"value": 1', b'"value": 9').replace(b"1234.5", b"1234.75")
        args = (_template(f["template"]), f["topic"], payload)
        kw = {"source": f"mqtt:test:{f['name']}", "received_at": _received(f)}
        try:
            listed += mqtt_reference.decode_message(*args, **kw).readings
        except PayloadError:
            continue
        batch.extend(decode_columns(*args, **kw).columns)
    return listed, batch


@pytest.mark.parametrize("two_stores", ENGINES, indirect=True)
def test_ingesting_decoded_columns_stores_what_the_listed_readings_store(
    two_stores: tuple[Store, Store],
) -> None:
    by_list, by_columns = two_stores
    listed, batch = fixture_batch()
    assert len(batch.odd) and len(batch) > len(batch.odd)  # a mixed batch
    first = ingest(by_list, listed, now=NOW, source="list")
    assert ack_of(ingest(by_columns, batch, now=NOW, source="list")) == ack_of(first)
    assert first.accepted > 10 and first.rejected > 10
    assert contents(by_columns) == contents(by_list)
    # the same again: duplicates; then changed values: conflicts with the stored ones
    for shift in (0.0, 1.0):
        listed, batch = fixture_batch(shift)
        expected = ack_of(ingest(by_list, listed, now=NOW))
        assert ack_of(ingest(by_columns, batch, now=NOW)) == expected
    assert contents(by_columns) == contents(by_list)


def clean_rows(n: int, start: int = 0) -> list[Reading]:
    return [
        Reading(f"P{k % 2}", T0 + dt.timedelta(minutes=start + k), float(100 + k), None, "gw")
        for k in range(n)
    ]


@pytest.mark.parametrize("two_stores", ENGINES, indirect=True)
def test_an_all_clean_batch_and_its_rules_on_columns(two_stores: tuple[Store, Store]) -> None:
    """Rows that only the columnar checks see (all clean): a virtual point, a future time, a
    time before 2000, a negative register and a negative interval, a repeat in the batch."""
    by_list, by_columns = two_stores
    readings = [
        *clean_rows(6),
        Reading("P5", T0, 1.0, None, "gw"),
        Reading("P0", NOW + dt.timedelta(hours=1), 1.0, None, "gw"),
        Reading("P0", dt.datetime(1999, 12, 31, tzinfo=dt.UTC), 1.0, None, "gw"),
        Reading("P0", T0 + dt.timedelta(days=1), -1.0, None, "gw"),
        Reading("P2", T0 + dt.timedelta(days=1), -1, None, "gw"),
        Reading("P1", T0 + dt.timedelta(minutes=1), 555.0, None, "gw"),  # repeat of row 1
        Reading("P1", T0 + dt.timedelta(minutes=3), 103.0, None, "gw"),  # same value: dup
    ]
    batch = ReadingColumns.of(readings)
    assert not batch.odd
    ack = ingest(by_columns, batch, now=NOW)
    assert ack_of(ack) == ack_of(ingest(by_list, readings, now=NOW))
    # by hand: 6 accepted; 1 duplicate; rejects: one per rule and the conflicting repeat
    assert (ack.accepted, ack.duplicates, ack.rejected) == (6, 1, 6)
    assert ack.reasons == {
        "virtual_point": 1, "future_timestamp": 1, "implausible_timestamp": 1,
        "negative_register": 1, "negative_consumption": 1, "conflict": 1,
    }  # fmt: skip
    assert contents(by_columns) == contents(by_list)


@pytest.mark.parametrize("two_stores", ENGINES, indirect=True)
def test_a_repeat_resolves_by_arrival_across_clean_and_kept_rows(
    two_stores: tuple[Store, Store],
) -> None:
    """A reading kept whole (text value) and a clean one for the same point and instant: the
    first to arrive is stored and the second is a conflict, whichever path each took."""
    by_list, by_columns = two_stores
    at = T0 + dt.timedelta(hours=2)
    readings = [
        Reading("P1", at, "5", None, "gw", '{"value": "5"}'),
        Reading("P1", at, 6.0, None, "gw"),
        Reading("P3", at, 7.0, None, "gw"),
        Reading("P3", at.isoformat(), "8", None, "gw", '{"value": "8"}'),
    ]
    batch = ReadingColumns.of(readings)
    assert sorted(batch.odd) == [0, 3]
    ack = ingest(by_columns, batch, now=NOW)
    assert (ack.accepted, ack.rejected, ack.reasons) == (2, 2, {"conflict": 2})
    stored, _ = contents(by_columns)
    assert [(code, v) for code, _, v in stored] == [("P1", 5.0), ("P3", 7.0)]
    assert sorted(r["value_text"] for r in by_columns.readings.rejected()) == ["6.0", "8"]
    assert contents(by_list) == ([], [])  # untouched so far
    ingest(by_list, readings, now=NOW)
    assert contents(by_columns) == contents(by_list)


@pytest.mark.parametrize("two_stores", ENGINES, indirect=True)
def test_columns_convert_units_and_learn_points_declared_since(
    two_stores: tuple[Store, Store],
) -> None:
    """A clean row in another unit of the same dimension is converted (2,500 Wh = 2.5 kWh);
    a point declared after the store cached the registry is found, as in a list."""
    by_list, by_columns = two_stores
    for s in (by_list, by_columns):
        s.registry.points_by_code()  # cached before the new point exists
        park = parse_park_text(
            PARK + "  - {id: P9, carrier: electricity_grid_import, kind: measurement, unit: kW}\n"
        )
        s.registry.save_park(park)
    readings = [
        Reading("P0", T0, 2500, "Wh", "gw"),
        Reading("P0", T0 + dt.timedelta(minutes=1), 1.0, "MWh", "gw"),
        Reading("P1", T0, 1.0, "kWh", "gw"),  # energy for a power point: refused
        Reading("P9", T0, 4.0, None, "gw"),
        Reading("nope", T0, 4.0, None, "gw"),
    ]
    ack = ingest(by_columns, ReadingColumns.of(readings), now=NOW)
    assert (ack.accepted, ack.rejected) == (3, 2)
    assert ack.reasons == {"unit_mismatch": 1, "unknown_point": 1}
    stored, _ = contents(by_columns)
    assert [(code, v) for code, _, v in stored] == [("P0", 2.5), ("P0", 1000.0), ("P9", 4.0)]
    ingest(by_list, readings, now=NOW)
    assert contents(by_columns) == contents(by_list)


@pytest.mark.parametrize("two_stores", ENGINES, indirect=True)
def test_an_integer_beyond_a_float_is_rejected_not_a_crash(two_stores: tuple[Store, Store]) -> None:
    """JSON allows an integer of any length; 10**400 has no 64-bit float. It is rejected as
    bad_value and kept; the rest of the batch is stored (a crash would fail the batch, spill it
    and fail its replay for ever)."""
    by_list, by_columns = two_stores
    readings = [*clean_rows(2), Reading("P0", T0 + dt.timedelta(hours=5), 10**400, None, "gw")]
    for store, batch in ((by_list, readings), (by_columns, ReadingColumns.of(readings))):
        ack = ingest(store, batch, now=NOW)
        assert (ack.accepted, ack.rejected, ack.reasons) == (2, 1, {"bad_value": 1})
        (row,) = store.readings.rejected(reason="bad_value")
        assert row["detail"] == "an integer of 401 digits does not fit a 64-bit float"
        assert row["value_text"] == "1" + "0" * 400
    assert contents(by_columns) == contents(by_list)


def test_numbers_in_the_columns_are_finite() -> None:
    batch = ReadingColumns.of(mixed_readings())
    clean = [batch.value[k] for k in range(len(batch)) if k not in batch.odd]
    assert clean and all(math.isfinite(v) for v in clean)
