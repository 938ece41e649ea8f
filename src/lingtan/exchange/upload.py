"""The provincial online-monitoring upload (用能单位能耗在线监测上传) from the store: build a
unit's month of data items from lingtan's daily and monthly statistics, check it
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
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from lingtan import units
from lingtan.errors import InvalidInput, NotFound
from lingtan.exchange import ecm
from lingtan.indicators.energy import ROLES, carrier_name
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.timeutil import to_us, utcnow

#: carriers that are not energy (not uploaded)
NOT_ENERGY = frozenset({"water"})
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


def build_dataset(
    store: Store, *, enterprise_id: int, year: int, month: int, park_id: int | None = None
) -> ecm.Dataset:
    """The month of data items of one enterprise: per energy carrier (its boundary meters,
    sub-meters and virtual meters left out, values in the carrier's family unit), one daily
    item per day and one monthly item (``use`` = ``total``)."""
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
    for carrier, unit in sorted(series):
        name = carrier_name(carrier, "zh")
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
    )


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
) -> UploadResult:
    """Check one enterprise's month and queue it for the ``ecm`` channel ``channel_id`` (both
    in the tenant's scope, else :class:`NotFound`); refused (nothing queued) when a check
    finds an error. The outbox row belongs to the enterprise (an enterprise sees its own
    uploads only)."""
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
        store, enterprise_id=enterprise_id, year=year, month=month, park_id=channel.park_id
    )
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
