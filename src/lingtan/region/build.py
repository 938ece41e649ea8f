"""The park side of region mode: build a month's upload document from the store and queue it
on a ``region`` channel of the outbox (docs/region.md).

Only aggregates leave the park: hourly statistics (``stat_hour``) and whole-month statistics
(``stat_month``) of its boundary meters summed by carrier × enterprise × building, the park
inventory of the month (computed, not stored), the indicator evaluation with its evidence and
the alarms of the channel's minimum severity and above. Raw readings stay in the park.

Queueing the same data again gives nothing new; different data for a period already queued
(a late reading, a repair, a changed factor) is a correction: the next revision.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from lingtan.accounting.service import account_park
from lingtan.alarms.notify.model import SEVERITIES, Channel, severity_rank
from lingtan.errors import InvalidInput, LingtanError, PermissionDenied
from lingtan.exchange.upload import family_unit
from lingtan.indicators.evaluate import evaluate
from lingtan.region import document as d
from lingtan.store import Store
from lingtan.store.query_repo import Tenant
from lingtan.store.region_repo import LOCK_REGION, RegionRepo
from lingtan.timeutil import HOUR_US, to_us, utcnow

#: what an indicator carries into the document (its full ``as_dict`` less presentation)
_INDICATOR_KEYS = (
    "id",
    "name_zh",
    "kind",
    "value",
    "unit",
    "target_value",
    "status",
    "gap",
    "data_quality",
    "evidence",
)


def _series_points(store: Store, park_id: int) -> dict[int, tuple[str, str, str, str, float]]:
    """The park's metered boundary points (no sub-meters, virtual meters or measurements):
    point id → (carrier, enterprise code, building code, family unit, factor to it)."""
    enterprises = {e.id: e.code for e in store.registry.enterprises(park_id)}
    sites = {s.id: s.code for s in store.registry.sites(park_id)}
    out: dict[int, tuple[str, str, str, str, float]] = {}
    for p in store.registry.points_by_id().values():
        if (
            p.park_id != park_id
            or not p.boundary
            or p.parent_id is not None
            or p.is_virtual
            or p.kind == "measurement"
        ):
            continue
        unit, factor = family_unit(p.carrier, p.unit)
        ent = "" if p.enterprise_id is None else enterprises.get(p.enterprise_id, "")
        site = "" if p.site_id is None else sites.get(p.site_id, "")
        out[p.id] = (p.carrier, ent, site, unit, factor)
    return out


def aggregates(
    store: Store, *, park_id: int, year: int, month: int, tz: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(hourly series, monthly rows) of the month by carrier × enterprise × building. A series'
    hour is the sum of its points' values that hour, null when none of them has one."""
    h0, h1 = d.month_span(year, month, tz)
    points = _series_points(store, park_id)
    values: dict[tuple[str, str, str, str], list[float | None]] = {}
    # stat_hour is keyed by the hour's start in epoch µs
    hourly_rows = store.stats.hours(None, sorted(points), h0 * HOUR_US, h1 * HOUR_US)
    for pid, cols in hourly_rows.items():
        carrier, ent, site, unit, factor = points[pid]
        row = values.setdefault((carrier, ent, site, unit), [None] * (h1 - h0))
        for start, value in zip(cols["hours"].tolist(), cols["value"].tolist(), strict=True):
            k = start // HOUR_US - h0
            if value == value and 0 <= k < h1 - h0:  # NaN: no value that hour
                prev = row[k]
                row[k] = (0.0 if prev is None else prev) + value * factor
    for key in {(c, e, s, u) for c, e, s, u, _ in points.values()}:
        values.setdefault(key, [None] * (h1 - h0))
    hourly = [
        {"carrier": c, "enterprise": e or None, "building": s or None, "unit": u, "values": v}
        for (c, e, s, u), v in sorted(values.items())
    ]
    # whole-month rows (stat_month) from the local days of the month
    day0 = (h0 * 3600 + _offset_s(tz, h0)) // 86_400
    day1 = (h1 * 3600 + _offset_s(tz, h1)) // 86_400
    acc: dict[tuple[str, str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    known: set[tuple[str, str, str, str]] = set()
    for r in store.stats.point_periods(sorted(points), day0, day1):
        if r.first_day != day0 or r.end_day != day1:
            continue  # a partial month has no monthly aggregate (the completeness check says so)
        carrier, ent, site, unit, factor = points[r.point_id]
        a = acc[(carrier, ent, site, unit)]
        if r.value is not None:
            a[0] += r.value * factor
            known.add((carrier, ent, site, unit))
        a[1] += r.measured_s
        a[2] += r.estimated_s
        a[3] += r.missing_s
    monthly = [
        {
            "carrier": c,
            "enterprise": e or None,
            "building": s or None,
            "unit": u,
            "value": a[0] if (c, e, s, u) in known else None,
            "completeness": 0.0 if sum(a[1:]) <= 0 else min(1.0, a[1] / sum(a[1:])),
        }
        for (c, e, s, u), a in sorted(acc.items())
    ]
    return hourly, monthly


def _offset_s(tz: str, hour: int) -> int:
    """The UTC offset of ``tz`` at epoch hour ``hour`` [s]."""
    offset = dt.datetime.fromtimestamp(hour * 3600, ZoneInfo(tz)).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def content(
    store: Store, *, park_id: int, year: int, month: int, severities: Sequence[str]
) -> dict[str, Any]:
    """The ``content`` of the park's document of a month."""
    park = store.registry.park(park_id)
    hourly, monthly = aggregates(store, park_id=park.id, year=year, month=month, tz=park.timezone)
    try:
        result = account_park(store, year=year, month=month, park_id=park.id, persist=False)
        inv = result.inventory
        accounting: dict[str, Any] = {
            "basis": inv.basis,
            "boundary": result.boundary,
            "year": inv.year,
            "month": result.month,
            "total_tco2": inv.emissions["total"],
            "emissions_tco2": dict(inv.emissions),
            "energy_tce": inv.energy_tce,
            "intensity_tco2_per_tce": inv.intensity_tco2_per_tce,
            "factor_ids": list(inv.factor_ids),
            "unverified_factor_ids": list(inv.unverified_factor_ids),
        }
    except LingtanError as err:  # no accounting for the month: said, not hidden
        accounting = {"error": str(err)}
    evaluation = evaluate(store, year=year, month=month, park_id=park.id)
    indicators = [
        {k: v for k, v in r.as_dict("zh").items() if k in _INDICATOR_KEYS}
        for r in evaluation.indicators
    ]
    h0, h1 = d.month_span(year, month, park.timezone)
    alarms = RegionRepo(store).park_alarms(
        park_id=park.id, t0=h0 * HOUR_US, t1=h1 * HOUR_US, severities=severities
    )
    # a round trip through JSON: what is hashed is exactly what is sent (floats, tuples)
    out: dict[str, Any] = json.loads(
        d.canonical(
            {
                "hourly": hourly,
                "monthly": monthly,
                "accounting": accounting,
                "indicators": indicators,
                "alarms": alarms,
            }
        )
    )
    return out


@dataclass(frozen=True, slots=True)
class Queued:
    """What queueing a month did."""

    idempotency_key: str
    revision: int
    content_sha256: str
    #: False when the same content was already queued (nothing new)
    new: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "idempotency_key": self.idempotency_key,
            "revision": self.revision,
            "content_sha256": self.content_sha256,
            "new": self.new,
        }


def severities_from(minimum: str) -> list[str]:
    """The severities at or above ``minimum``."""
    return list(SEVERITIES[severity_rank(minimum) :])


def build(
    store: Store, *, channel: Channel, year: int, month: int, revision: int = 1
) -> dict[str, Any]:
    """The document of the channel's park for a month at ``revision`` (not queued)."""
    if not 1990 <= year <= 2100:
        raise InvalidInput("year must lie in 1990–2100", field="year")
    if not 1 <= month <= 12:
        raise InvalidInput("month must lie in 1–12", field="month")
    park = store.registry.park(channel.park_id)
    body = content(
        store,
        park_id=park.id,
        year=year,
        month=month,
        severities=severities_from(channel.min_severity),
    )
    return d.document(
        park={
            "code": park.code,
            "name": park.name,
            "timezone": park.timezone,
            "province": park.province,
        },
        kind="month",
        year=year,
        month=month,
        revision=revision,
        content=body,
    )


def queue(
    store: Store,
    *,
    tenant: Tenant,
    channel_id: int,
    year: int,
    month: int,
    now: int | None = None,
) -> Queued:
    """Build the month's document and queue it on the ``region`` channel ``channel_id``: the
    revision already queued when its content is the same, else the next revision (a
    correction). Park-wide callers only (the document is the whole park's)."""
    if not tenant.is_park_wide:
        raise PermissionDenied("a region upload is the whole park's: park-wide roles only")
    channel = store.outbox.channel(tenant=tenant, channel_id=channel_id)
    if channel.kind != "region":
        raise InvalidInput("the channel is not a region channel", field="channel_id")
    if not channel.enabled:
        raise InvalidInput("the channel is disabled", field="channel_id")
    park = store.registry.park(channel.park_id)
    doc = build(store, channel=channel, year=year, month=month)
    digest = str(doc["content_sha256"])
    repo = RegionRepo(store)
    at = to_us(utcnow()) if now is None else now
    with store.begin() as conn:
        store.serialise(conn, LOCK_REGION)  # two builders never take the same revision
        queued = repo.queued_revisions(conn, d.key_prefix(park.code, "month", year, month))
        latest = max(queued, default=None)
        if latest is not None and latest[1] == digest:
            revision = latest[0]  # the same content: the revision it already has
        else:
            revision = (latest[0] + 1) if latest is not None else 1
        if revision != 1:
            doc = d.document(
                park=doc["park"],
                kind="month",
                year=year,
                month=month,
                revision=revision,
                content=doc["content"],
            )
        key = str(doc["idempotency_key"])
        inserted = store.outbox.insert_many(
            conn,
            [
                {
                    "channel_id": channel.id,
                    "park_id": channel.park_id,
                    "enterprise_id": None,
                    # one row per channel (two regions may take the same park's uploads)
                    "idempotency_key": f"{key}-ch{channel.id}",
                    "event": "upload",
                    "severity": "hint",
                    "kind": "region",
                    "payload": d.canonical(doc),
                    "next_attempt_at": at,
                    "created_at": at,
                }
            ],
        )
    return Queued(idempotency_key=key, revision=revision, content_sha256=digest, new=bool(inserted))
