"""The provincial online-monitoring upload (用能单位能耗在线监测上传) from the store: build a
unit's month of data items from lingtan's daily and monthly statistics (and 15-minute items
from the readings of points read at least every 15 minutes), with the month's production
records, check it
(:func:`lingtan.exchange.ecm.check`), and queue it in the outbox for an ``ecm`` channel — or
refuse it with the reasons.

The message's idempotency key is derived from the channel, the unit, the month and the SHA-256
of the body: queueing the same data twice gives one message; corrected data (a late reading,
a repair) gives a new one, which the platform receives after the first (rows of a channel are
claimed oldest first).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from lingtan import units
from lingtan.errors import InvalidInput, NotFound
from lingtan.exchange import ecm
from lingtan.indicators.energy import ROLES, carrier_name
from lingtan.indicators.output_meters import METERED
from lingtan.normalize import slots
from lingtan.normalize.service import point_intervals
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.store.records import PointRecord
from lingtan.store.records_repo import RecordsRepo
from lingtan.timeutil import from_us, local_day_start_us, to_us, utcnow

#: carriers that are not energy (not uploaded)
NOT_ENERGY = frozenset({"water"})
#: what an upload carries when the request does not say (15-minute items where a series has
#: them, always the daily and monthly items)
DEFAULT_GRANULARITIES = ecm.GRANULARITIES
#: granularities every upload carries (the platform's completeness and consistency rules are
#: on daily and monthly data)
REQUIRED_GRANULARITIES = ("day", "month")
_EPOCH = dt.date(1970, 1, 1)


def _day_number(day: dt.date) -> int:
    return (day - _EPOCH).days


def _iso(day: dt.date, tz: ZoneInfo) -> str:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz).isoformat()


def family_unit(carrier: str, unit: str) -> tuple[str, float]:
    """The unit a carrier is reported in (its family unit) and the factor from ``unit``."""
    role = ROLES.get(carrier, ROLES["other"])
    if role.unit and units.compatible(unit, role.unit):
        return role.unit, units.factor(unit, role.unit)
    return unit, 1.0


@dataclass
class _Acc:
    value: float = 0.0
    known: bool = False
    measured: float = 0.0
    total: float = 0.0
    estimated: bool = False

    def add(
        self, value: float | None, measured: float, estimated: float, missing: float, f: float
    ) -> None:
        if value is not None:
            self.value += value * f
            self.known = True
        self.measured += measured
        self.total += measured + estimated + missing
        self.estimated = self.estimated or estimated > 0


def granularities_of(value: Sequence[str] | None) -> tuple[str, ...]:
    """The granularities an upload carries (None: :data:`DEFAULT_GRANULARITIES`), in the
    model's order; ``day`` and ``month`` are required."""
    if value is None:
        return DEFAULT_GRANULARITIES
    if isinstance(value, str):
        raise InvalidInput("granularities must be a list", field="granularities")
    unknown = [g for g in value if g not in ecm.GRANULARITIES]
    if unknown:
        raise InvalidInput(
            f"granularities: {unknown[0]!r} is not one of {', '.join(ecm.GRANULARITIES)}",
            field="granularities",
        )
    missing = [g for g in REQUIRED_GRANULARITIES if g not in value]
    if missing:
        raise InvalidInput(
            f"granularities must include {' and '.join(REQUIRED_GRANULARITIES)} (the "
            f"platform's daily and monthly rules); {', '.join(missing)} missing",
            field="granularities",
        )
    return tuple(g for g in ecm.GRANULARITIES if g in value)


def build_dataset(
    store: Store,
    *,
    enterprise_id: int,
    year: int,
    month: int,
    park_id: int | None = None,
    granularities: Sequence[str] | None = None,
) -> ecm.Dataset:
    """The month of data items of one enterprise: per energy carrier (its boundary meters,
    sub-meters and virtual meters left out, values in the carrier's family unit), one daily
    item per day and one monthly item (``use`` = ``total``); with ``15min`` in
    ``granularities`` (the default), 96 items a day for each carrier whose meters are all read
    at least every 15 minutes (:func:`_quarter_items`); and the month's production records
    (:func:`production_of`)."""
    grans = granularities_of(granularities)
    if not 1990 <= year <= 2100:
        raise InvalidInput("year must lie in 1990–2100", field="year")
    if not 1 <= month <= 12:
        raise InvalidInput("month must lie in 1–12", field="month")
    park = store.registry.park(park_id)
    tz = ZoneInfo(park.timezone)
    enterprise = next(
        (e for e in store.registry.enterprises(park.id) if e.id == enterprise_id), None
    )
    if enterprise is None:
        raise NotFound("enterprise not found")
    points = [
        p
        for p in store.registry.points_by_id().values()
        if p.enterprise_id == enterprise_id
        and p.boundary
        and p.parent_id is None
        and not p.is_virtual
        and p.kind != "measurement"
        and p.carrier not in NOT_ENERGY
    ]
    first = dt.date(year, month, 1)
    days = ecm.month_days(year, month)
    d0, d1 = _day_number(first), _day_number(first) + days
    by_id = {p.id: p for p in points}
    daily: dict[tuple[str, str, int], _Acc] = defaultdict(_Acc)
    monthly: dict[tuple[str, str], _Acc] = defaultdict(_Acc)
    series: set[tuple[str, str]] = set()
    for p in points:
        series.add((p.carrier, family_unit(p.carrier, p.unit)[0]))
    ids = sorted(by_id)
    for row in store.stats.point_days(ids, d0, d1):
        p = by_id[row.point_id]
        unit, f = family_unit(p.carrier, p.unit)
        daily[(p.carrier, unit, row.day)].add(
            row.value, row.measured_s, row.estimated_s, row.missing_s, f
        )
    for prow in store.stats.point_periods(ids, d0, d1):
        if prow.first_day != d0 or prow.end_day != d1:
            continue  # only a whole-month row is the monthly value (no Σ of days: that is the check)
        p = by_id[prow.point_id]
        unit, f = family_unit(p.carrier, p.unit)
        monthly[(p.carrier, unit)].add(
            prow.value, prow.measured_s, prow.estimated_s, prow.missing_s, f
        )
    items: list[ecm.Item] = []
    notes: list[ecm.Finding] = []
    for carrier, unit in sorted(series):
        name = carrier_name(carrier, "zh")
        if "15min" in grans:
            members = sorted(
                (p for p in points if (p.carrier, family_unit(p.carrier, p.unit)[0])
                 == (carrier, unit)),
                key=lambda p: p.code,
            )  # fmt: skip
            got, note = _quarter_items(store, members, carrier, name, unit, first, days, tz)
            items.extend(got)
            notes.extend(note)
        for k in range(days):
            acc = daily.get((carrier, unit, d0 + k))
            if acc is None:
                continue  # a missing day is reported by the completeness check
            items.append(
                _item(carrier, name, unit, "day", _iso(first + dt.timedelta(days=k), tz), acc)
            )
        macc = monthly.get((carrier, unit))
        if macc is not None:
            items.append(_item(carrier, name, unit, "month", _iso(first, tz), macc))
    production, pnotes = production_of(
        store, park_id=park.id, enterprise_id=enterprise_id, year=year, month=month
    )
    return ecm.Dataset(
        unit=ecm.Unit(
            uscc=enterprise.uscc or "",
            name=enterprise.name,
            industry=enterprise.industry,
            code=enterprise.code,
        ),
        year=year,
        month=month,
        items=tuple(items),
        days=days,
        production=production,
        notes=(*notes, *pnotes),
    )


def _quarter_items(
    store: Store,
    members: Sequence[PointRecord],
    carrier: str,
    name: str,
    unit: str,
    first: dt.date,
    days: int,
    tz: ZoneInfo,
) -> tuple[list[ecm.Item], list[ecm.Finding]]:
    """The 15-minute items of one series (the carrier's boundary meters ``members``) over the
    month: per slot, the sum of the meters' slot energies (:func:`slots.slot_energy`, the
    computation of the 15-minute forecasts) in the family unit — unknown (None) when any
    meter's slot is unknown, never a partial sum; completeness = measured seconds / the slot's
    seconds over the meters (:func:`slots.slot_coverage`); estimated when any meter's slot is
    partly estimated. A series with a meter read less often than every 15 minutes has no
    15-minute series: no items and a warning naming the meter(s)."""
    slow = [p for p in members if p.interval_s > slots.MAX_INTERVAL_S]
    if slow:
        named = ", ".join(f"{p.code} (every {p.interval_s} s)" for p in slow)
        return [], [
            ecm.Finding(
                "quarter.unavailable",
                "warning",
                f"{carrier} [{unit}]: no 15-minute items — read less often than every "
                f"{slots.MAX_INTERVAL_S} s: {named}",
                carrier,
            )
        ]
    t0 = local_day_start_us(first, tz)
    t1 = local_day_start_us(first + dt.timedelta(days=days), tz)
    n = (t1 - t0) // slots.SLOT_US
    energy = np.zeros(n)
    measured = np.zeros(n)
    estimated = np.zeros(n)
    for p in members:
        f = family_unit(p.carrier, p.unit)[1]
        iv = point_intervals(store, p)
        if iv is None:
            energy[:] = np.nan
            continue
        energy += slots.slot_energy(iv, t0, t1) * f
        m, e = slots.slot_coverage(iv, t0, t1)
        measured += m
        estimated += e
    length = slots.SLOT_US / 1_000_000 * len(members)
    items = [
        ecm.Item(
            carrier=carrier,
            name=name,
            use="total",
            granularity="15min",
            start=from_us(t0 + k * slots.SLOT_US, tz).isoformat(),
            # rounded to 6 decimals: a shorter body, and the same data give the same text
            value=round(float(energy[k]), 6) if np.isfinite(energy[k]) else None,
            unit=unit,
            completeness=min(1.0, float(measured[k]) / length),
            estimated=bool(estimated[k] > 0),
        )
        for k in range(n)
    ]
    return items, []


def production_of(
    store: Store, *, park_id: int, enterprise_id: int, year: int, month: int
) -> tuple[tuple[dict[str, Any], ...], list[ecm.Finding]]:
    """The month's production data of an enterprise: its current 产品产量 records
    (``product_output``) whose period is the calendar month, one entry per product (by product
    key), with the quantity and unit as recorded, the source (``meters`` for a record made
    from production counters by ``lingtan records from-meters``, else ``entered``) and the
    record id. A record of a longer period (a quarter, a year) is not a month's figure: not
    sent, and named in a warning. No record for the month is a warning, not an error.

    工业总产值 (gross industrial output value) is not sent: lingtan's statistics records have
    no category for it (:data:`lingtan.indicators.records.CATEGORIES`)."""
    first = dt.date(year, month, 1)
    last = first + dt.timedelta(days=ecm.month_days(year, month) - 1)
    found = RecordsRepo(store).find(
        park_id=park_id,
        enterprise_ids=[enterprise_id],
        categories=["product_output"],
        overlapping=(first.isoformat(), last.isoformat()),
    )
    label = f"{year:04d}-{month:02d}"
    monthly = [
        r for r in found
        if r.period_start == first.isoformat() and r.period_end == last.isoformat()
    ]  # fmt: skip
    notes: list[ecm.Finding] = []
    by_product: dict[str, list[Any]] = defaultdict(list)
    for r in monthly:
        by_product[r.item].append(r)
    entries: list[dict[str, Any]] = []
    for product, recs in sorted(by_product.items()):
        r = recs[0]  # oldest current record (ids ascend)
        if len(recs) > 1:
            others = ", ".join(str(x.id) for x in recs[1:])
            notes.append(
                ecm.Finding(
                    "production",
                    "warning",
                    f"product {product!r} {label}: {len(recs)} current records; record {r.id} "
                    f"sent, not {others} (correct or supersede the duplicates)",
                )
            )
        entries.append(
            {
                "category": "product_output",
                "product": product,
                "quantity": r.quantity,
                "unit": r.unit,
                "period": {"start": r.period_start, "end": r.period_end},
                "source": "meters" if r.source_document.startswith(METERED) else "entered",
                "record_id": r.id,
            }
        )
    longer = [r for r in found if r not in monthly]
    if longer:
        named = ", ".join(f"{r.id} ({r.item}, {r.period_start}…{r.period_end})" for r in longer)
        notes.append(
            ecm.Finding(
                "production",
                "warning",
                f"{label}: product output records of other periods are not sent as the "
                f"month's: {named}",
            )
        )
    if not entries:
        notes.append(
            ecm.Finding(
                "production",
                "warning",
                f"no product output record (产品产量, category product_output) for {label}: "
                "the upload carries no production data",
            )
        )
    return tuple(entries), notes


def _item(carrier: str, name: str, unit: str, granularity: str, start: str, acc: _Acc) -> ecm.Item:
    return ecm.Item(
        carrier=carrier,
        name=name,
        use="total",
        granularity=granularity,
        start=start,
        value=acc.value if acc.known else None,
        unit=unit,
        completeness=0.0 if acc.total <= 0 else min(1.0, acc.measured / acc.total),
        estimated=acc.estimated,
    )


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What queueing an upload did."""

    queued: bool
    #: the message's idempotency key (None when refused)
    delivery_id: str | None
    findings: tuple[ecm.Finding, ...]
    #: False when the same message was already in the outbox
    new: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "queued": self.queued,
            "delivery_id": self.delivery_id,
            "new": self.new,
            "refused": ecm.refused(self.findings),
            "findings": [f.as_dict() for f in self.findings],
        }


def queue_upload(
    store: Store,
    *,
    tenant: Tenant,
    channel_id: int,
    enterprise_id: int,
    year: int,
    month: int,
    park_id: int | None = None,
    now: int | None = None,
    granularities: Sequence[str] | None = None,
) -> UploadResult:
    """Check one enterprise's month and queue it for the ``ecm`` channel ``channel_id`` (both
    in the tenant's scope, else :class:`NotFound`); refused (nothing queued) when a check
    finds an error. The outbox row belongs to the enterprise (an enterprise sees its own
    uploads only). ``granularities``: as :func:`build_dataset` (default: all)."""
    channel = store.outbox.channel(tenant=tenant, channel_id=channel_id)
    if channel.kind != "ecm":
        raise InvalidInput(
            "the channel is not an ecm (online-monitoring) channel", field="channel_id"
        )
    if not channel.enabled:
        raise InvalidInput("the channel is disabled", field="channel_id")
    QueryRepo(store).enterprise(tenant=tenant, enterprise_id=enterprise_id)
    if channel.enterprise_id is not None and channel.enterprise_id != enterprise_id:
        raise InvalidInput("the channel belongs to another enterprise", field="enterprise_id")
    if park_id is not None and channel.park_id != park_id:
        raise NotFound("channel not found")
    dataset = build_dataset(
        store, enterprise_id=enterprise_id, year=year, month=month, park_id=channel.park_id,
        granularities=granularities,
    )  # fmt: skip
    findings = tuple(ecm.check(dataset))
    if ecm.refused(findings):
        return UploadResult(queued=False, delivery_id=None, findings=findings)
    body = ecm.payload(dataset, findings)
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    key = f"ecm-ch{channel.id}-{dataset.unit.uscc}-{year}{month:02d}-{digest}"
    at = to_us(utcnow()) if now is None else now
    with store.begin() as conn:
        inserted = store.outbox.insert_many(
            conn,
            [
                {
                    "channel_id": channel.id,
                    "park_id": channel.park_id,
                    "enterprise_id": enterprise_id,
                    "idempotency_key": key,
                    "event": "upload",
                    "severity": "hint",
                    "kind": "ecm",
                    "payload": text,
                    "next_attempt_at": at,
                    "created_at": at,
                }
            ],
        )
    return UploadResult(queued=True, delivery_id=key, findings=findings, new=bool(inserted))
