"""Decoding HTTP ingest bodies into readings: a JSON array, NDJSON or long-format CSV.

Each reading is ``{"point": "E01-grid", "ts": "2025-03-01T08:15:00+08:00", "value": 1234.5,
"unit": "kWh"}`` (``point_id``/``timestamp`` are accepted as the CSV header names them).
A body that cannot be decoded at all — invalid JSON, JSON nested deeper than the decoder
reads, an integer of more than 4,300 digits, an element that is not an object, a reading
without a point, a CSV body without the header — is refused as a whole (422, naming the
problem and the position); readings that decode but break a rule (bad time, bad value,
unknown point …) go through the ingest pipeline and are quarantined with their reason, and so
does a CSV line that is not a record (``malformed_row``, with its line number).
"""

from __future__ import annotations

import json
import re
from typing import Any

from lingtan.errors import InvalidInput
from lingtan.parsing import guarded, json_loads
from lingtan.readings import Reading

MEDIA_JSON = "application/json"
MEDIA_NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl")
MEDIA_CSV = ("text/csv", "application/csv")
#: readings in one request
MAX_READINGS = 500_000


def _text(body: bytes) -> str:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"the body is not UTF-8 (byte {err.start})", field="body") from err
    if "\x00" in text:
        raise InvalidInput("the body contains NUL characters", field="body")
    return text


def _value(v: Any) -> float | int | str | None:
    if v is None or isinstance(v, str) or (isinstance(v, (int, float)) and not isinstance(v, bool)):
        return v
    return json.dumps(v)  # true/false, objects, lists: kept as text, rejected as bad_value


def _reading(obj: Any, where: str, source: str, raw: str | None) -> Reading:
    if not isinstance(obj, dict):
        raise InvalidInput(f"{where}: a reading must be an object", field="body")
    point = obj.get("point", obj.get("point_id"))
    if not isinstance(point, str) or not point:
        raise InvalidInput(f"{where}: a reading needs a point (string)", field="body")
    ts = obj.get("ts", obj.get("timestamp"))
    unit = obj.get("unit")
    return Reading(
        point,
        ts if isinstance(ts, str) else json.dumps(ts),
        _value(obj.get("value")),
        unit if isinstance(unit, str) or unit is None else json.dumps(unit),
        source,
        raw,
    )


#: a JSON escape of a surrogate code unit; only then can decoded strings hold lone surrogates
#: (UTF-8 decoding of the body itself never yields them)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_json(body: bytes, *, source: str) -> list[Reading]:
    """A JSON array of readings."""
    text = _text(body)
    data = json_loads(text, what="the body")
    if not isinstance(data, list):
        raise InvalidInput("the body must be a JSON array of readings", field="body")
    if len(data) > MAX_READINGS:
        raise InvalidInput(f"at most {MAX_READINGS} readings per request", field="body")
    out = [_reading(obj, f"element {i}", source, None) for i, obj in enumerate(data)]
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(out)
    return out


def parse_ndjson(body: bytes, *, source: str) -> list[Reading]:
    """One JSON object per line (blank lines ignored). Lines end at LF (CR LF allowed), as
    NDJSON says; JSON text may hold U+2028 and other characters that ``str.splitlines`` would
    take for line ends."""
    out: list[Reading] = []
    text = _text(body)
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        obj = json_loads(line, what=f"line {n}")
        out.append(_reading(obj, f"line {n}", f"{source}:{n}", line))
        if len(out) > MAX_READINGS:
            raise InvalidInput(f"at most {MAX_READINGS} readings per request", field="body")
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(out)
    return out


def parse_csv(body: bytes, *, source: str) -> list[Reading]:
    """Long-format CSV with a header ``point_id,timestamp,value[,unit]`` (any order), read by
    the same converter as files (a malformed row becomes a reading the pipeline quarantines)."""
    from lingtan.connectors.files.tabular import ColumnMapping, convert, read_csv_bytes

    _text(body)  # the body checks: UTF-8, no NUL
    mapping = ColumnMapping()
    out = convert(read_csv_bytes(body, mapping), mapping, source=source).readings
    if len(out) > MAX_READINGS:
        raise InvalidInput(f"at most {MAX_READINGS} readings per request", field="body")
    return out


def _check_strings(readings: list[Reading]) -> None:
    for i, r in enumerate(readings):
        for v in (r.point, r.ts, r.value, r.unit, r.raw):
            if isinstance(v, str) and any(0xD800 <= ord(ch) <= 0xDFFF for ch in v):
                raise InvalidInput(
                    f"reading {i}: invalid characters (lone surrogates)", field="body"
                )


def parse(body: bytes, media_type: str, *, source: str) -> list[Reading]:
    """Readings from a body of ``media_type`` (415 for other types is the router's job)."""
    if media_type in MEDIA_NDJSON:
        return guarded(lambda: parse_ndjson(body, source=source), what="the body")
    if media_type in MEDIA_CSV:
        return parse_csv(body, source=source)
    # a value nested just within the decoder's depth is turned back into text (_value)
    return guarded(lambda: parse_json(body, source=source), what="the body")
