"""MQTT topic templates and JSON payloads → readings (pure: no broker, no clock).

Two payload forms are accepted:

* **single** — one reading per message, the point taken from the topic::

      topic  park/A1/E01/energy          template park/{site}/{meter}/{quantity}
      body   {"ts": "2026-05-01T08:00:00+08:00", "value": 1234.5, "unit": "kWh"}
             (or a bare number: 1234.5)

* **batch** — one message per gateway per interval carrying many readings (recommended:
  one MQTT round trip for hundreds of readings)::

      topic  park/gw/gw-03/batch         template park/gw/{gateway}/batch
      body   {"ts": "2026-05-01T08:00:00+08:00",
              "readings": [{"point": "E01-main", "value": 1234.5, "unit": "kWh"},
                           {"point": "E02-main", "value": 88.1, "ts": "2026-05-01T07:59:58+08:00"}]}
             or {"ts": "…", "values": {"E01-main": 1234.5, "E02-main": 88.1}}

Timestamps are ISO 8601 strings with an offset or epoch numbers (seconds; values of 1e11 and
more are taken as milliseconds). A reading without any timestamp keeps ``ts = ""`` (so the
ingest pipeline rejects and keeps it) unless the subscriber supplies the receive time.
Values are passed through as sent: a ``"n/a"`` reaches ingest and is rejected with its
reason there. A message that is not JSON, or has no value at all, is a payload error.

The batch shape gateways send — ``{"ts": …, "readings": [{"point": …, "value": <number>}, …]}``
with nothing else — is decoded by a typed msgspec decoder straight into columns; anything that
decoder does not take exactly as :func:`json.loads` would is decoded by the general path.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import numpy as np

from lingtan.errors import InvalidInput
from lingtan.readings import Reading, ReadingColumns, epoch_us, plain_number

_VAR = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_MS_THRESHOLD = 1e11


class PayloadError(InvalidInput):
    """A message that cannot be turned into readings."""

    code = "mqtt_bad_payload"


@dataclass(frozen=True)
class TopicTemplate:
    """A topic pattern whose ``{name}`` levels capture variables for the point id."""

    template: str
    form: str = "single"
    #: point id as a format string over the captured variables (batch: also ``{point}``)
    point: str = ""
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.form not in ("single", "batch"):
            raise InvalidInput(f"payload form {self.form!r} is not single or batch", field="form")
        levels = self.template.split("/")
        for level in levels:
            if ("{" in level or "}" in level) and not _VAR.match(level):
                raise InvalidInput(
                    f"topic template level {level!r}: a variable must fill a whole level",
                    field="template",
                )
            if level in ("+", "#"):
                raise InvalidInput("use {name} levels instead of MQTT wildcards", field="template")
        if not self.point:
            default = "{point}" if self.form == "batch" else ""
            if not default:
                raise InvalidInput("a single-form template needs a point pattern", field="point")
            object.__setattr__(self, "point", default)
        names = set(self.variables) | ({"point"} if self.form == "batch" else set())
        for name in re.findall(r"\{([^}]*)\}", self.point):
            if name not in names:
                raise InvalidInput(
                    f"point pattern uses {{{name}}}, not captured by {self.template}", field="point"
                )

    @property
    def variables(self) -> list[str]:
        """Names captured by the template."""
        return [m.group(1) for lvl in self.template.split("/") if (m := _VAR.match(lvl))]

    def subscription(self, shared_group: str | None = None) -> str:
        """The MQTT topic filter (``{x}`` → ``+``), optionally as a shared subscription."""
        levels = ["+" if _VAR.match(lvl) else lvl for lvl in self.template.split("/")]
        topic = "/".join(levels)
        return f"$share/{shared_group}/{topic}" if shared_group else topic

    def match(self, topic: str) -> dict[str, str] | None:
        """Captured variables if ``topic`` fits the template, else ``None``."""
        levels = self.template.split("/")
        parts = topic.split("/")
        if len(levels) != len(parts):
            return None
        found: dict[str, str] = {}
        for level, part in zip(levels, parts, strict=True):
            var = _VAR.match(level)
            if var:
                if not part:
                    return None
                found[var.group(1)] = part
            elif level != part:
                return None
        return found


@dataclass
class DecodedMessage:
    """Readings of one message, and what could not be turned into a reading."""

    readings: list[Reading]
    errors: list[str]


def _ts(value: Any, fallback: dt.datetime | str) -> dt.datetime | str:
    if value is None:
        return fallback
    if isinstance(value, bool):
        return f"{value!r}"
    if isinstance(value, int | float):
        try:  # an integer beyond a float (JSON allows any number of digits) overflows here too
            if not math.isfinite(value):
                return str(value)
            seconds = value / 1000.0 if abs(value) >= _MS_THRESHOLD else float(value)
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return str(value)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
        # a naive timestamp stays text: ingest rejects it as naive and keeps it
        return parsed if parsed.utcoffset() is not None else value
    return json.dumps(value)


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PayloadError(f"payload is not UTF-8: {err}") from err


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        # ValueError: JSONDecodeError, and an integer of more digits than Python converts
        # (``sys.get_int_max_str_digits``, 4,300) — a message that must be rejected, not
        # one that crashes the subscriber and comes back for ever unacknowledged
        raise PayloadError(f"payload is not JSON: {err}") from err


def _dump(obj: Any) -> Callable[[], str]:
    return lambda: json.dumps(obj, ensure_ascii=False)


def _first(obj: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in obj:
            return obj[key]
    return None


def decode_message(
    template: TopicTemplate,
    topic: str,
    payload: bytes,
    *,
    source: str,
    received_at: dt.datetime | None = None,
) -> DecodedMessage:
    """Turn one message into readings (:func:`decode_columns`, one :class:`Reading` each).

    Raises :class:`PayloadError` when nothing in the message can be used (not JSON, wrong
    shape, topic does not fit the template); problems with single items of a batch are
    returned in ``errors`` while the good items become readings.
    """
    decoded = decode_columns(template, topic, payload, source=source, received_at=received_at)
    return DecodedMessage(list(decoded.columns), decoded.errors)


def _single(
    template: TopicTemplate,
    captured: dict[str, str],
    body: Any,
    text: str,
    source: str,
    fallback: dt.datetime | str,
) -> Reading:
    point = template.point.format(**captured)
    if isinstance(body, dict):
        if not any(k in body for k in ("value", "v")):
            raise PayloadError("single payload has no value")
        value = _first(body, "value", "v")
        ts = _ts(_first(body, "ts", "t", "time"), fallback)
        unit = _first(body, "unit", "u") or template.unit
    elif isinstance(body, int | float | str) and not isinstance(body, bool):
        value, ts, unit = body, fallback, template.unit
    else:
        raise PayloadError(
            f"single payload must be an object or a number, not {type(body).__name__}"
        )
    return _reading(point, ts, value, unit, source, lambda: text)


def _reading(
    point: str, ts: Any, value: Any, unit: Any, source: str, raw: Callable[[], str]
) -> Reading:
    clean_value: float | int | str | None
    if value is None or (isinstance(value, int | float | str) and not isinstance(value, bool)):
        clean_value = value
    else:
        clean_value = json.dumps(value)
    suspicious = (
        not isinstance(ts, dt.datetime)
        or not isinstance(clean_value, int | float)
        or (isinstance(clean_value, float) and not math.isfinite(clean_value))
    )
    unit_text = None if unit is None else str(unit)
    # the raw text is kept only where ingest will need it (a reading it may reject)
    return Reading(point, ts, clean_value, unit_text, source, raw() if suspicious else None)


@dataclass
class DecodedColumns:
    """Readings of one message as columns, and what could not be turned into a reading."""

    columns: ReadingColumns
    errors: list[str]


def decode_columns(
    template: TopicTemplate,
    topic: str,
    payload: bytes,
    *,
    source: str,
    received_at: dt.datetime | None = None,
) -> DecodedColumns:
    """Turn one message into readings held as columns.

    Raises :class:`PayloadError` when nothing in the message can be used (not JSON, wrong
    shape, topic does not fit the template); problems with single items of a batch are
    returned in ``errors`` while the good items become readings.

    A batch item with a plain number and a timestamp that converts exactly becomes a column
    row (the batch timestamp is converted once per message, and a list of items that are all
    ``{"point": …, "value": <number>}`` is taken in C-speed passes); any other item becomes a
    :class:`Reading` kept whole, with its raw text when ingest may reject it. A batch message of
    that common shape alone is decoded by :func:`_common_batch` without :func:`json.loads`.
    """
    if template.form == "batch":
        captured = template.match(topic)
        if captured is not None:
            fallback = received_at if received_at is not None else ""
            common = _common_batch(template, captured, payload, source, fallback)
            if common is not None:
                return common
    return _decode_columns_json(template, topic, payload, source=source, received_at=received_at)


def _decode_columns_json(
    template: TopicTemplate,
    topic: str,
    payload: bytes,
    *,
    source: str,
    received_at: dt.datetime | None = None,
) -> DecodedColumns:
    """:func:`decode_columns` through :func:`json.loads`, for every payload and form."""
    captured = template.match(topic)
    if captured is None:
        raise PayloadError(f"topic {topic!r} does not fit template {template.template!r}")
    text = _text(payload)
    body = _load(text)
    fallback: dt.datetime | str = received_at if received_at is not None else ""
    out = ReadingColumns()
    if template.form == "single":
        out.append(_single(template, captured, body, text, source, fallback))
        return DecodedColumns(out, [])
    return DecodedColumns(out, _batch_columns(template, captured, body, source, fallback, out))


_POINT_OF = operator.itemgetter("point")
_VALUE_OF = operator.itemgetter("value")


def _common_items(items: list[Any]) -> tuple[list[str], list[float | int]] | None:
    """Points and values when every item is exactly ``{"point": <text>, "value": <number>}``
    (what gateways send), checked with C-speed passes over the list; else ``None`` and the
    items are taken one by one."""
    try:
        names = list(map(_POINT_OF, items))
        numbers = list(map(_VALUE_OF, items))
    except (TypeError, KeyError, IndexError):  # an item that is not such an object
        return None
    if set(map(len, items)) != {2} or set(map(type, names)) != {str} or "" in names:
        return None
    if not set(map(type, numbers)) <= {int, float}:
        return None  # text, null, bool, list …: kept whole for ingest to judge
    try:
        finite = bool(np.isfinite(np.array(numbers, np.float64)).all())
    except OverflowError:  # an integer beyond a 64-bit float
        return None
    return (names, numbers) if finite else None


def _batch_columns(
    template: TopicTemplate,
    captured: dict[str, str],
    body: Any,
    source: str,
    fallback: dt.datetime | str,
    out: ReadingColumns,
) -> list[str]:
    """A batch body row by row into ``out`` (in the order of ``values``, then ``readings``);
    returns the errors of items that are not readings."""
    if not isinstance(body, dict):
        raise PayloadError(f"batch payload must be an object, not {type(body).__name__}")
    batch_ts = _ts(_first(body, "ts", "t", "time"), fallback)
    batch_us = epoch_us(batch_ts)
    batch_unit = _first(body, "unit", "u") or template.unit
    batch_unit_text = None if batch_unit is None else str(batch_unit)
    errors: list[str] = []
    plain = template.point == "{point}"
    items = body.get("readings")
    values = body.get("values")
    if items is None and values is None:
        raise PayloadError("batch payload has neither readings nor values")
    append = out.append_clean
    if values is not None:
        if not isinstance(values, dict):
            raise PayloadError("batch values must be an object {point: value}")
        for name, value in values.items():
            point = name if plain else template.point.format(**captured, point=name)
            if batch_us is not None and plain_number(value):
                append(point, batch_ts, batch_us, value, batch_unit_text, source)  # type: ignore[arg-type]
            else:
                out.append_odd(
                    _reading(point, batch_ts, value, batch_unit, source, _dump({str(name): value}))
                )
    if items is not None:
        if not isinstance(items, list):
            raise PayloadError("batch readings must be a list")
        common = _common_items(items) if batch_us is not None else None
        if common is not None:
            names, numbers = common
            points = names if plain else [template.point.format(**captured, point=n) for n in names]
            out.extend_clean(points, batch_ts, batch_us, numbers, batch_unit_text, source)  # type: ignore[arg-type]
            items = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                errors.append(f"item {index} is not an object: {_dump(item)()[:200]}")
                continue
            # the keys are looked up as _first does: the first one present wins, even if null
            if "point" in item:
                name = item["point"]
            else:
                name = _first(item, "p", "id")
            if not isinstance(name, str) or not name:
                errors.append(f"item {index} has no point: {_dump(item)()[:200]}")
                continue
            if "value" in item:
                value = item["value"]
            elif "v" in item:
                value = item["v"]
            else:
                errors.append(f"item {index} ({name}) has no value: {_dump(item)()[:200]}")
                continue
            point = name if plain else template.point.format(**captured, point=name)
            if len(item) == 2 and "point" in item and "value" in item:
                # the common item {"point": …, "value": …}: no time, no unit of its own
                ts, us, unit, unit_text = batch_ts, batch_us, batch_unit, batch_unit_text
            else:
                item_ts = _first(item, "ts", "t", "time")
                if item_ts is None:
                    ts, us = batch_ts, batch_us
                else:
                    ts = _ts(item_ts, batch_ts)
                    us = epoch_us(ts)
                unit = _first(item, "unit", "u") or batch_unit
                unit_text = None if unit is None else str(unit)
            if us is not None and plain_number(value):
                append(point, ts, us, value, unit_text, source)  # type: ignore[arg-type]
            else:
                out.append_odd(_reading(point, ts, value, unit, source, _dump(item)))
    return errors


# ----------------------------------------------------------------- the common batch, by msgspec

#: 64-bit integers, which a 64-bit float holds without overflow; a larger one is left to the
#: general path, which tells one a float holds from one it does not, and from one of more
#: digits than Python converts
_Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_TsValue = _Int64 | float | str | msgspec.UnsetType | None


class _CommonItem(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """An item of exactly ``{"point": <non-empty text>, "value": <number>}``; msgspec takes no
    bool for a number, and refuses the ``NaN``/``Infinity`` literals and a float beyond range
    (which json.loads reads as NaN or infinity). No cycles: ``gc=False``."""

    point: Annotated[str, msgspec.Meta(min_length=1)]
    value: _Int64 | float


class _CommonBody(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A batch body with items of :class:`_CommonItem` only and no key but those below (an
    absent key stays ``UNSET``, told apart from ``null`` as :func:`_first` tells them apart)."""

    readings: list[_CommonItem]
    ts: _TsValue = msgspec.UNSET
    t: _TsValue = msgspec.UNSET
    time: _TsValue = msgspec.UNSET
    unit: str | msgspec.UnsetType | None = msgspec.UNSET
    u: str | msgspec.UnsetType | None = msgspec.UNSET


_COMMON_BODY = msgspec.json.Decoder(_CommonBody)
_POINT_ATTR = operator.attrgetter("point")
_VALUE_ATTR = operator.attrgetter("value")


def _set_first(*values: Any) -> Any:
    """The first value that was present in the message (``None`` when none was): _first."""
    for value in values:
        if value is not msgspec.UNSET:
            return value
    return None


def _common_batch(
    template: TopicTemplate,
    captured: dict[str, str],
    payload: bytes,
    source: str,
    fallback: dt.datetime | str,
) -> DecodedColumns | None:
    """A batch message of the common shape straight into columns, else ``None`` (anything
    else: another key or item shape, a value that is no plain number, JSON that msgspec reads
    otherwise than json.loads or not at all, a batch time without epoch microseconds), and the
    message goes through :func:`_decode_columns_json`, which gives the very same result for
    the messages this function takes and its errors for bad ones."""
    if not payload.isascii():
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            return None  # a payload error: json.loads never sees it
    try:
        body = _COMMON_BODY.decode(payload)
    except msgspec.DecodeError:  # a ValidationError is one too
        return None
    batch_ts = _ts(_set_first(body.ts, body.t, body.time), fallback)
    batch_us = epoch_us(batch_ts)
    if batch_us is None:
        return None  # every item then needs care of its own
    batch_unit = _set_first(body.unit, body.u) or template.unit
    items = body.readings
    names: list[str] = list(map(_POINT_ATTR, items))
    if template.point != "{point}":
        names = [template.point.format(**captured, point=n) for n in names]
    out = ReadingColumns()
    out.extend_clean(
        names,
        batch_ts,  # type: ignore[arg-type]  # epoch_us checked it is a datetime
        batch_us,
        list(map(_VALUE_ATTR, items)),
        None if batch_unit is None else str(batch_unit),
        source,
    )
    return DecodedColumns(out, [])
