"""The region upload document (``lingtan-region/1``): the pure layer — no I/O, no SQL.

One document = one park × one kind (``month``: a calendar month) × one revision. It carries the
park's aggregates (never raw readings), its accounting result with the factor ids, its indicator
evaluation with the evidence and its alarms of the chosen severities (docs/region.md lists every
field). The idempotency key is derived from (park, kind, period, revision); the content hash is
the SHA-256 of the canonical JSON of ``content``, so the same data gives the same hash and a
correction (new data for the same period) a new revision with a new hash.

The region checks a document's completeness (:func:`completeness`) from the document alone:
hours missing per carrier, the declared row counts against those received.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lingtan.errors import InvalidInput

SCHEMA: Final = "lingtan-region/1"
#: kinds of documents: a calendar month of the park
KINDS: Final = ("month",)
#: the parts of ``content`` whose rows are declared and counted
COUNTED: Final = ("hourly_series", "hourly_values", "monthly", "indicators", "alarms")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_HOUR_US: Final = 3_600_000_000


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a document's ``content``."""
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def idempotency_key(park: str, kind: str, year: int, month: int, revision: int) -> str:
    """The key of a document: ``region-<park>-<kind>-<yyyymm>-r<revision>``."""
    return f"region-{park}-{kind}-{year:04d}{month:02d}-r{revision}"


def key_prefix(park: str, kind: str, year: int, month: int) -> str:
    """What every revision's key of a period starts with."""
    return f"region-{park}-{kind}-{year:04d}{month:02d}-r"


def month_span(year: int, month: int, tz: str) -> tuple[int, int]:
    """[h0, h1): the local calendar month in epoch hours (UTC hours since 1970)."""
    zone = ZoneInfo(tz)
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return int(start.timestamp()) // 3600, int(end.timestamp()) // 3600


def deadline_us(year: int, month: int, tz: str, days: float) -> int:
    """When an upload of the month is due: ``days`` after the month's end (local time) [µs]."""
    _, h1 = month_span(year, month, tz)
    return h1 * _HOUR_US + int(days * 86_400 * 1_000_000)


def declared(content: Mapping[str, Any]) -> dict[str, int]:
    """The row counts of ``content`` (what a park declares and the region recounts)."""
    hourly = content.get("hourly") or []
    return {
        "hourly_series": len(hourly),
        "hourly_values": sum(1 for s in hourly for v in (s.get("values") or []) if v is not None),
        "monthly": len(content.get("monthly") or []),
        "indicators": len(content.get("indicators") or []),
        "alarms": len(content.get("alarms") or []),
    }


def document(
    *,
    park: Mapping[str, Any],
    kind: str,
    year: int,
    month: int,
    revision: int,
    content: Mapping[str, Any],
) -> dict[str, Any]:
    """The envelope around ``content``: schema, park, period, revision, key, hash, counts."""
    tz = str(park["timezone"])
    h0, h1 = month_span(year, month, tz)
    return {
        "schema": SCHEMA,
        "park": dict(park),
        "kind": kind,
        "period": {
            "year": year,
            "month": month,
            "start": dt.datetime.fromtimestamp(h0 * 3600, ZoneInfo(tz)).isoformat(),
            "end": dt.datetime.fromtimestamp(h1 * 3600, ZoneInfo(tz)).isoformat(),
            "hours": h1 - h0,
        },
        "revision": revision,
        "idempotency_key": idempotency_key(str(park["code"]), kind, year, month, revision),
        "content_sha256": content_hash(content),
        "declared": declared(content),
        "content": dict(content),
    }


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed, checked upload document."""

    park_code: str
    park_name: str
    timezone: str
    kind: str
    year: int
    month: int
    revision: int
    idempotency_key: str
    content_sha256: str
    declared: Mapping[str, int]
    content: Mapping[str, Any]

    @property
    def span(self) -> tuple[int, int]:
        """[h0, h1) of the period in epoch hours."""
        return month_span(self.year, self.month, self.timezone)


def _int(doc: Mapping[str, Any], key: str, lo: int, hi: int, where: str) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise InvalidInput(f"{where}{key} must be an integer in {lo}–{hi}", field=f"{where}{key}")
    return value


def parse(body: bytes) -> Document:
    """Parse and check a received document; :class:`InvalidInput` names the field that is
    wrong (the schema, the key or the hash not matching what the document says, …)."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidInput(f"the body is not UTF-8 JSON: {err}", field="body") from None
    if not isinstance(doc, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    if doc.get("schema") != SCHEMA:
        raise InvalidInput(f"schema must be {SCHEMA!r}", field="schema")
    park = doc.get("park")
    if not isinstance(park, dict) or not isinstance(park.get("code"), str):
        raise InvalidInput("park.code is missing", field="park.code")
    code = park["code"]
    if not _CODE.match(code):
        raise InvalidInput("park.code is not a valid code", field="park.code")
    tz = park.get("timezone")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"park.timezone {tz!r} is not a time zone", field="park.timezone"
        ) from None
    kind = doc.get("kind")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    period = doc.get("period")
    if not isinstance(period, dict):
        raise InvalidInput("period is missing", field="period")
    year = _int(period, "year", 1990, 2100, "period.")
    month = _int(period, "month", 1, 12, "period.")
    revision = _int(doc, "revision", 1, 1_000_000, "")
    key = idempotency_key(code, kind, year, month, revision)
    if doc.get("idempotency_key") != key:
        raise InvalidInput(f"idempotency_key must be {key!r}", field="idempotency_key")
    content = doc.get("content")
    if not isinstance(content, dict):
        raise InvalidInput("content is missing", field="content")
    digest = content_hash(content)
    if doc.get("content_sha256") != digest:
        raise InvalidInput("content_sha256 does not match the content", field="content_sha256")
    counts = doc.get("declared")
    if not isinstance(counts, dict) or any(
        not isinstance(counts.get(k), int) or isinstance(counts.get(k), bool) for k in COUNTED
    ):
        raise InvalidInput(
            f"declared must give an integer count of each of {', '.join(COUNTED)}",
            field="declared",
        )
    h0, h1 = month_span(year, month, str(tz))
    for i, series in enumerate(content.get("hourly") or []):
        values = series.get("values") if isinstance(series, dict) else None
        if not isinstance(values, list) or len(values) > h1 - h0:
            raise InvalidInput(
                f"content.hourly[{i}].values must be a list of at most {h1 - h0} hourly values",
                field=f"content.hourly[{i}].values",
            )
        for k in ("carrier", "unit"):
            if not isinstance(series.get(k), str) or not series[k]:
                raise InvalidInput(
                    f"content.hourly[{i}].{k} is missing", field=f"content.hourly[{i}].{k}"
                )
        for j, v in enumerate(values):
            if v is not None and (not isinstance(v, int | float) or isinstance(v, bool)):
                raise InvalidInput(
                    f"content.hourly[{i}].values[{j}] is not a number or null",
                    field=f"content.hourly[{i}].values[{j}]",
                )
    _unique(content.get("hourly") or [], "content.hourly")
    for i, row in enumerate(content.get("monthly") or []):
        if not isinstance(row, dict) or not isinstance(row.get("carrier"), str):
            raise InvalidInput(
                f"content.monthly[{i}].carrier is missing", field=f"content.monthly[{i}]"
            )
        for k in ("value", "completeness"):
            v = row.get(k)
            if v is not None and (not isinstance(v, int | float) or isinstance(v, bool)):
                raise InvalidInput(
                    f"content.monthly[{i}].{k} is not a number or null",
                    field=f"content.monthly[{i}].{k}",
                )
    _unique(content.get("monthly") or [], "content.monthly")
    return Document(
        park_code=code,
        park_name=str(park.get("name") or code),
        timezone=str(tz),
        kind=kind,
        year=year,
        month=month,
        revision=revision,
        idempotency_key=key,
        content_sha256=digest,
        declared={k: int(counts[k]) for k in COUNTED},
        content=content,
    )


def _unique(rows: Sequence[Mapping[str, Any]], where: str) -> None:
    """Refuse two rows of one series (carrier × enterprise × building × unit)."""
    seen: set[tuple[str, str, str, str]] = set()
    for i, row in enumerate(rows):
        key = series_key(row)
        if key in seen:
            raise InvalidInput(
                f"{where}[{i}]: the series {'/'.join(key)} appears twice", field=f"{where}[{i}]"
            )
        seen.add(key)


def series_key(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(carrier, enterprise, building, unit) of a series ("" for no enterprise or building)."""
    return (
        str(row["carrier"]),
        str(row.get("enterprise") or ""),
        str(row.get("building") or ""),
        str(row.get("unit") or ""),
    )


def completeness(doc: Document) -> dict[str, Any]:
    """The completeness of a document: per carrier the hours of the period without a value in
    any of its series, every declared count against the count received, and whether each
    hourly series has its monthly row. ``complete`` when nothing is missing."""
    h0, h1 = doc.span
    hours = h1 - h0
    covered: dict[str, set[int]] = {}
    for series in doc.content.get("hourly") or []:
        got = covered.setdefault(str(series["carrier"]), set())
        got.update(i for i, v in enumerate(series["values"]) if v is not None)
    findings: list[dict[str, Any]] = []
    missing = {c: hours - len(got) for c, got in sorted(covered.items())}
    for carrier, n in missing.items():
        if n:
            findings.append(
                {
                    "rule": "hours",
                    "carrier": carrier,
                    "missing": n,
                    "message": f"{carrier}: {n} of {hours} hours have no value",
                }
            )
    received = declared(doc.content)
    for k in COUNTED:
        if received[k] != doc.declared[k]:
            findings.append(
                {
                    "rule": "count",
                    "part": k,
                    "declared": doc.declared[k],
                    "received": received[k],
                    "message": f"{k}: {doc.declared[k]} declared, {received[k]} received",
                }
            )
    monthly = {series_key(r) for r in doc.content.get("monthly") or []}
    for series in doc.content.get("hourly") or []:
        if series_key(series) not in monthly:
            findings.append(
                {
                    "rule": "monthly",
                    "series": list(series_key(series)),
                    "message": f"{'/'.join(series_key(series))}: no monthly aggregate",
                }
            )
    return {
        "complete": not findings,
        "hours": hours,
        "missing_hours": missing,
        "declared": dict(doc.declared),
        "received": received,
        "findings": findings,
    }


def summary(doc: Document) -> dict[str, Any]:
    """What the region's views read of a document: the indicators (value, status, target),
    the accounting total and its factor ids, the energy by carrier."""
    indicators = {
        str(r["id"]): {
            "value": r.get("value"),
            "unit": r.get("unit"),
            "status": r.get("status"),
            "kind": r.get("kind"),
        }
        for r in doc.content.get("indicators") or []
        if isinstance(r, dict) and "id" in r
    }
    accounting = doc.content.get("accounting") or {}
    return {
        "indicators": indicators,
        "total_tco2": accounting.get("total_tco2"),
        "energy_tce": accounting.get("energy_tce"),
        "factor_ids": list(accounting.get("factor_ids") or []),
        "alarms": len(doc.content.get("alarms") or []),
    }


def missing_months(periods: Sequence[tuple[int, int]], until: tuple[int, int]) -> list[str]:
    """The months (``YYYY-MM``) between the first of ``periods`` and ``until`` (inclusive) that
    none of ``periods`` is."""
    if not periods:
        return []
    have = set(periods)
    y, m = min(periods)
    out: list[str] = []
    while (y, m) <= until:
        if (y, m) not in have:
            out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
