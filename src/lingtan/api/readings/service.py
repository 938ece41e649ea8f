"""HTTP ingest in the caller's scope; raw readings, statistics and quarantine reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from lingtan.api.common import PageParams, parse_instant
from lingtan.errors import InvalidInput, PermissionDenied
from lingtan.identity.roles import Permission, Principal, require
from lingtan.ingest import IngestAck, ingest
from lingtan.normalize.quality import flag_names, label
from lingtan.readings import Reading
from lingtan.store import PointRecord, Store
from lingtan.store.query_repo import QueryRepo
from lingtan.timeutil import (
    DAY_US,
    DEFAULT_TIMEZONE,
    HOUR_US,
    ceil_hour,
    floor_hour,
    from_us,
    local_day_start_us,
    next_month,
    to_us,
    utcnow,
)

_EPOCH_DAY = dt.date(1970, 1, 1)
#: rejected readings returned with an ingest answer
REJECT_SAMPLES = 50


def day_number(d: dt.date) -> int:
    """Local day number (days since 1970-01-01) of a date."""
    return (d - _EPOCH_DAY).days


def day_date(n: int) -> dt.date:
    """The date of a local day number."""
    return _EPOCH_DAY + dt.timedelta(days=int(n))


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """The acknowledgement of one HTTP ingest and its first rejects."""

    ack: IngestAck
    rejects: list[dict[str, Any]]


def allowed_points(store: Store, principal: Principal) -> set[str] | None:
    """Codes the caller may send readings for; None when every point (park-wide callers)."""
    if principal.enterprise_id is None and principal.points is None:
        return None
    codes = set(QueryRepo(store).point_codes(tenant=principal.tenant).values())
    return codes if principal.points is None else codes & set(principal.points)


def ingest_readings(
    store: Store, *, principal: Principal, readings: list[Reading], future_skew_s: float
) -> IngestOutcome:
    """Validate and persist readings sent over HTTP, then audit the batch.

    A caller bound to an enterprise (or a key bound to points) may only send readings of its
    own points: a request naming any other point — existing or not — is refused as a whole
    (403) and nothing is stored; positions are reported, not the names, which tell nothing.
    """
    require(principal, Permission.INGEST)
    if not readings:
        raise InvalidInput("no readings in the body", field="body")
    allowed = allowed_points(store, principal)
    if allowed is not None:
        outside = [i for i, r in enumerate(readings) if r.point not in allowed]
        unreadable = [readings[i].problem for i in outside if readings[i].problem is not None]
        if unreadable:
            # a line that is not a record and names none of the caller's points could only be
            # quarantined out of the caller's sight: refused, naming the line and its fault
            shown = "; ".join(str(p) for p in unreadable[:5])
            more = "" if len(unreadable) <= 5 else f"; and {len(unreadable) - 5} more"
            raise InvalidInput(
                f"{len(unreadable)} lines are not records and name none of your points: "
                f"{shown}{more}; nothing was stored",
                field="body",
            )
        if outside:
            shown = ", ".join(str(i) for i in outside[:10])
            more = "" if len(outside) <= 10 else ", …"
            raise PermissionDenied(
                f"{len(outside)} readings name points outside your scope (positions {shown}{more}); nothing was stored"
            )
    ack = ingest(store, readings, source=f"http:{principal.actor}", future_skew_s=future_skew_s)
    t = to_us(utcnow())
    with store.begin() as conn:
        store.audit.append(
            conn,
            at=t,
            actor=principal.actor,
            action="ingest",
            entity="ingest_batch",
            entity_id=ack.batch_id,
            enterprise_id=principal.enterprise_id,
            after={
                "received": ack.received,
                "accepted": ack.accepted,
                "duplicates": ack.duplicates,
                "rejected": ack.rejected,
                "reasons": ack.reasons,
            },
        )
    rejects: list[dict[str, Any]] = []
    if ack.rejected and ack.batch_id.isdigit():
        rejects = QueryRepo(store).rejected_of_batch(
            tenant=principal.tenant, batch_id=int(ack.batch_id), limit=REJECT_SAMPLES
        )
    return IngestOutcome(ack, rejects)


def park_zone(store: Store, park_id: int | None = None) -> ZoneInfo:
    """The time zone of the park (of the only park, without one); with several parks and none
    named, the default zone — a listing across parks (the quarantine) shows instants in it."""
    parks = store.registry.parks()
    if park_id is None and len(parks) != 1:
        return ZoneInfo(DEFAULT_TIMEZONE)
    return ZoneInfo(store.registry.park(park_id).timezone)


def point_zone(store: Store, principal: Principal, code: str) -> ZoneInfo:
    """The time zone of the park of a point in the caller's scope (``NotFound`` otherwise)."""
    point = QueryRepo(store).point(tenant=principal.tenant, code=code)
    return park_zone(store, point.park_id)


def readings(
    store: Store,
    *,
    principal: Principal,
    code: str,
    start: str | None,
    end: str | None,
    page: PageParams,
) -> tuple[PointRecord, list[tuple[int, float]], int, ZoneInfo]:
    """Raw readings of one point in scope."""
    require(principal, Permission.READ)
    tz = point_zone(store, principal, code)
    s0 = None if start is None else parse_instant(start, tz, field="start")
    s1 = None if end is None else parse_instant(end, tz, field="end")
    point, rows, total = QueryRepo(store).readings(
        tenant=principal.tenant, code=code, start=s0, end=s1, limit=page.limit, offset=page.offset
    )
    return point, rows, total, tz


def _stat_row(r: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    return {
        "start": start,
        "end": end,
        "value": r["value"],
        "mean": r["mean"],
        "min": r["min"],
        "max": r["max"],
        "quality": label(r["measured_s"], r["estimated_s"], r["missing_s"]).value,
        "measured_s": r["measured_s"],
        "estimated_s": r["estimated_s"],
        "missing_s": r["missing_s"],
        "flags": flag_names(int(r["flags"])),
        "n": int(r["n"]),
    }


def _days_range(
    q: QueryRepo,
    principal: Principal,
    code: str,
    start: str | None,
    end: str | None,
    tz: ZoneInfo,
    span_days: int,
) -> tuple[int, int]:
    """[first, end) local day numbers from the request, defaulting to the last ``span_days``
    days with statistics."""
    if start is not None or end is not None:
        d0 = d1 = None
        if start is not None:
            d0 = day_number(from_us(parse_instant(start, tz, field="start"), tz).date())
        if end is not None:
            d1 = day_number(from_us(parse_instant(end, tz, field="end") - 1, tz).date()) + 1
        if d0 is None:
            d0 = (d1 or 0) - span_days
        if d1 is None:
            d1 = d0 + span_days
        return d0, d1
    extent = q.day_extent(tenant=principal.tenant, code=code)
    if extent is None:
        today = day_number(dt.datetime.now(tz).date())
        return today - span_days + 1, today + 1
    return max(extent[0], extent[1] - span_days + 1), extent[1] + 1


def statistics(
    store: Store,
    *,
    principal: Principal,
    code: str,
    period: str,
    start: str | None,
    end: str | None,
    page: PageParams,
) -> tuple[PointRecord, list[dict[str, Any]], int]:
    """Statistics of one point in scope: hourly (UTC hours), daily or monthly (park local
    time), each with its quality label and flags. Without ``start``/``end``: the last 7 days
    of hours, 31 days, or 12 months that have data."""
    require(principal, Permission.READ)
    tz = point_zone(store, principal, code)
    q = QueryRepo(store)
    if period == "hour":
        if start is None and end is None:
            d0, d1 = _days_range(q, principal, code, None, None, tz, 7)
            h0, h1 = local_day_start_us(day_date(d0), tz), local_day_start_us(day_date(d1), tz)
        else:
            e1 = None if end is None else ceil_hour(parse_instant(end, tz, field="end"))
            e0 = None if start is None else floor_hour(parse_instant(start, tz, field="start"))
            if e0 is None:
                assert e1 is not None
                e0 = e1 - 7 * DAY_US
            h0, h1 = e0, (e1 if e1 is not None else e0 + 7 * DAY_US)
        if h1 <= h0:
            raise InvalidInput("end must be after start", field="end")
        point, rows, total = q.hours(
            tenant=principal.tenant,
            code=code,
            start=h0,
            end=h1,
            limit=page.limit,
            offset=page.offset,
        )
        return point, [_stat_row(r, r["hour"], r["hour"] + HOUR_US) for r in rows], total
    if period == "day":
        d0, d1 = _days_range(q, principal, code, start, end, tz, 31)
        if d1 <= d0:
            raise InvalidInput("end must be after start", field="end")
        point, rows, total = q.days(
            tenant=principal.tenant,
            code=code,
            first_day=d0,
            end_day=d1,
            limit=page.limit,
            offset=page.offset,
        )
        return (
            point,
            [
                _stat_row(
                    r,
                    local_day_start_us(day_date(r["day"]), tz),
                    local_day_start_us(day_date(r["day"] + 1), tz),
                )
                for r in rows
            ],
            total,
        )
    if period != "month":
        raise InvalidInput("period must be hour, day or month", field="period")
    d0, d1 = _days_range(q, principal, code, start, end, tz, 366)
    first = day_date(d0).replace(day=1)
    last = day_date(d1 - 1)
    months: list[tuple[dt.date, dt.date]] = []
    m = first
    while m <= last:
        months.append((m, next_month(m)))
        m = next_month(m)
    point, rows, _ = q.days(
        tenant=principal.tenant,
        code=code,
        first_day=day_number(first),
        end_day=day_number(months[-1][1]) if months else d1,
    )
    out = [r for r in (_month(rows, a, b, tz) for a, b in months) if r is not None]
    return point, out[page.offset : page.offset + page.limit], len(out)


def _month(
    rows: list[dict[str, Any]], a: dt.date, b: dt.date, tz: ZoneInfo
) -> dict[str, Any] | None:
    """A month's statistic from its daily rows (days without a row count as missing)."""
    lo, hi = day_number(a), day_number(b)
    days = [r for r in rows if lo <= r["day"] < hi]
    if not days:
        return None
    s0, s1 = local_day_start_us(a, tz), local_day_start_us(b, tz)
    values = [r["value"] for r in days if r["value"] is not None]
    means = [(r["mean"], r["n"]) for r in days if r["mean"] is not None and r["n"]]
    mins = [r["min"] for r in days if r["min"] is not None]
    maxs = [r["max"] for r in days if r["max"] is not None]
    measured = sum(r["measured_s"] for r in days)
    estimated = sum(r["estimated_s"] for r in days)
    flags = 0
    for r in days:
        flags |= int(r["flags"])
    n = sum(int(r["n"]) for r in days)
    weight = sum(w for _, w in means)
    row = {
        "value": sum(values) if values else None,
        "mean": sum(m * w for m, w in means) / weight if weight else None,
        "min": min(mins) if mins else None,
        "max": max(maxs) if maxs else None,
        "measured_s": measured,
        "estimated_s": estimated,
        "missing_s": max(0.0, (s1 - s0) / 1e6 - measured - estimated),
        "flags": flags,
        "n": n,
    }
    return _stat_row(row, s0, s1)


def quarantine(
    store: Store,
    *,
    principal: Principal,
    reason: str | None,
    point: str | None,
    page: PageParams,
) -> tuple[list[dict[str, Any]], int, dict[int, str], ZoneInfo]:
    """Rejected readings in the caller's scope, newest first, and point codes by id."""
    require(principal, Permission.READ)
    q = QueryRepo(store)
    rows, total = q.rejected(
        tenant=principal.tenant,
        reason=reason,
        point_code=point,
        limit=page.limit,
        offset=page.offset,
    )
    return rows, total, q.point_codes(tenant=principal.tenant), park_zone(store, principal.park_id)
