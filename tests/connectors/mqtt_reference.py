"""The per-reading MQTT decoder: one :class:`Reading` built for every item, the payload rules
written out one by one. It is the oracle of the columnar decoder
(:func:`lingtan.connectors.mqtt.payloads.decode_columns`), which must give the same readings,
item errors and payload errors for every payload.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lingtan.connectors.mqtt.payloads import PayloadError, TopicTemplate
from lingtan.readings import Reading

_MS_THRESHOLD = 1e11


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
        if not math.isfinite(value):
            return str(value)
        seconds = value / 1000.0 if abs(value) >= _MS_THRESHOLD else float(value)
        try:
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
    """Turn one message into readings.

    Raises :class:`PayloadError` when nothing in the message can be used (not JSON, wrong
    shape, topic does not fit the template); problems with single items of a batch are
    returned in ``errors`` while the good items become readings.
    """
    captured = template.match(topic)
    if captured is None:
        raise PayloadError(f"topic {topic!r} does not fit template {template.template!r}")
    text = _text(payload)
    body = _load(text)
    fallback: dt.datetime | str = received_at if received_at is not None else ""
    if template.form == "single":
        return DecodedMessage([_single(template, captured, body, text, source, fallback)], [])
    return _batch(template, captured, body, source, fallback)


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


def _batch(
    template: TopicTemplate,
    captured: dict[str, str],
    body: Any,
    source: str,
    fallback: dt.datetime | str,
) -> DecodedMessage:
    if not isinstance(body, dict):
        raise PayloadError(f"batch payload must be an object, not {type(body).__name__}")
    batch_ts = _ts(_first(body, "ts", "t", "time"), fallback)
    batch_unit = _first(body, "unit", "u") or template.unit
    readings: list[Reading] = []
    errors: list[str] = []
    plain = template.point == "{point}"
    items = body.get("readings")
    values = body.get("values")
    if items is None and values is None:
        raise PayloadError("batch payload has neither readings nor values")
    if values is not None:
        if not isinstance(values, dict):
            raise PayloadError("batch values must be an object {point: value}")
        for name, value in values.items():
            point = name if plain else template.point.format(**captured, point=name)
            readings.append(
                _reading(point, batch_ts, value, batch_unit, source, _dump({str(name): value}))
            )
    if items is not None:
        if not isinstance(items, list):
            raise PayloadError("batch readings must be a list")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                errors.append(f"item {index} is not an object: {_dump(item)()[:200]}")
                continue
            name = _first(item, "point", "p", "id")
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
            item_ts = _first(item, "ts", "t", "time")
            ts = batch_ts if item_ts is None else _ts(item_ts, batch_ts)
            unit = _first(item, "unit", "u") or batch_unit
            readings.append(_reading(point, ts, value, unit, source, _dump(item)))
    return DecodedMessage(readings, errors)
