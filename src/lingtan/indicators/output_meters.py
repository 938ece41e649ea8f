"""Product output from production counters (产量计量点 → 产品产量统计记录).

A point tagged ``output:<product>`` in the park file (docs/park-file.md) counts the output of
that product — an OPC UA node of a line's counter, a Modbus register, a weighbridge total. Any
connector's counter works the same way: this module reads only the normalised monthly
statistics of the point (register resets, gaps and the data quality come from the normaliser),
never the connector.

For each enterprise, product and month, :func:`records_from_meters` sums the monthly totals of
the enterprise's counters of the product (in the unit of the first counter by code) into one
``product_output`` statistics record (:mod:`lingtan.indicators.records`):

* a month whose completeness (measured + estimated share of the expected metering time) is
  below the park's ``completeness_threshold`` option is not turned into a record: it is reported
  with its completeness, so a half-metered month does not pass as the month's output;
* a current record of the same owner, product and month made from meters with the same
  quantity and unit writes nothing (re-runs are idempotent); with another quantity the new one
  is a correction superseding it (the history is kept);
* a current record entered by hand (its source document is not a meter's) whose period overlaps
  the month — the month's, or a quarter's or year's — is left alone and the month is reported:
  a statistician's figure is not overwritten by a counter, nor counted twice beside it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from lingtan import units
from lingtan.errors import InvalidInput
from lingtan.indicators.energy import _point_sums
from lingtan.indicators.options import IndicatorOptions
from lingtan.indicators.period import Period
from lingtan.indicators.records import _month_end, _now
from lingtan.options import service as park_options
from lingtan.registry.model import OUTPUT_TAG
from lingtan.store import Store
from lingtan.store.records import PointRecord
from lingtan.store.records_repo import NewRecord, RecordsRepo, StatRecord
from lingtan.timeutil import utcnow

#: how a record made from meters starts its source document (and how it is recognised)
METERED: Final = "metered by production counter"
#: two metered quantities closer than this (relative) are the same (sums of the same hours can
#: differ in the last bits between an incremental and a full normalisation)
_SAME: Final = 1e-9


@dataclass(frozen=True, slots=True)
class MonthOutput:
    """One enterprise's output of one product in one month, from its counters."""

    enterprise_id: int | None
    product: str
    month: str  # YYYY-MM
    points: tuple[str, ...]
    quantity: float | None
    unit: str
    completeness: float
    #: created · corrected · unchanged · incomplete · entered (a hand-entered record kept) ·
    #: invalid (counters in units of different dimensions)
    outcome: str
    record_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "enterprise_id": self.enterprise_id, "product": self.product, "month": self.month,
            "points": list(self.points), "quantity": self.quantity, "unit": self.unit,
            "completeness": self.completeness, "outcome": self.outcome,
            "record_id": self.record_id, "reason": self.reason,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class FromMetersReport:
    """What :func:`records_from_meters` did, month by month."""

    threshold: float
    months: list[MonthOutput] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        """How many months had ``outcome``."""
        return sum(1 for m in self.months if m.outcome == outcome)

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "threshold": self.threshold,
            **{k: self.count(k) for k in _OUTCOMES},
            "months": [m.as_dict() for m in self.months],
        }


_OUTCOMES: Final = ("created", "corrected", "unchanged", "incomplete", "entered", "invalid")


def output_product(point: PointRecord) -> str | None:
    """The product a production counter counts (its ``output:`` tag), None for other points."""
    for tag in point.tags:
        if tag.startswith(OUTPUT_TAG):
            return tag[len(OUTPUT_TAG) :]
    return None


def counters(store: Store, park_id: int, scope: int | None) -> list[PointRecord]:
    """The production counters of a park (``scope``: of that enterprise only), by code."""
    return sorted(
        (
            p
            for p in store.registry.points_by_id_current().values()
            if p.park_id == park_id
            and output_product(p) is not None
            and (scope is None or p.enterprise_id == scope)
        ),
        key=lambda p: p.code,
    )


def _source(codes: Sequence[str], month: str) -> str:
    s = "s" if len(codes) > 1 else ""
    return f"{METERED}{s} {', '.join(codes)} (monthly statistics {month})"


def records_from_meters(
    store: Store,
    *,
    year: int,
    month: int | None = None,
    entered_by: str,
    scope: int | None = None,
    park_id: int | None = None,
    now: dt.datetime | None = None,
) -> FromMetersReport:
    """Turn the production counters' monthly totals of ``year`` (or one ``month``) into
    ``product_output`` records; one write for the whole run.

    ``scope`` is the enterprise the caller is limited to: only its own counters are read and
    only its records written (None = every counter of the park). Months that have not begun
    are skipped.
    """
    if not entered_by.strip():
        raise InvalidInput("entered_by is required", field="entered_by")
    park = store.registry.park(park_id)
    threshold = IndicatorOptions.of(
        park_options.used(store, park_id=park.id)
    ).completeness_threshold
    report = FromMetersReport(threshold)
    points = counters(store, park.id, scope)
    today = (now or utcnow()).astimezone(ZoneInfo(park.timezone)).date()
    months = [month] if month is not None else list(range(1, 13))
    months = [m for m in months if dt.date(year, m, 1) <= today]
    if not points or not months:
        return report
    groups: dict[tuple[int | None, str], list[PointRecord]] = defaultdict(list)
    for p in points:
        groups[(p.enterprise_id, output_product(p) or "")].append(p)
    repo = RecordsRepo(store)
    owners = sorted({k[0] for k in groups}, key=lambda o: -1 if o is None else o)
    found = repo.find(
        park_id=park.id, enterprise_ids=owners, categories=["product_output"],
        overlapping=(dt.date(year, min(months), 1).isoformat(),
                     _month_end(dt.date(year, max(months), 1)).isoformat()),
    )  # fmt: skip
    current = {
        (r.enterprise_id, r.item, r.period_start, r.period_end): r
        for r in found
        if r.source_document.startswith(METERED)
    }
    # records entered by hand, of any period (a year's, a quarter's): the output they state
    # would be counted twice next to a metered month inside them
    entered: dict[tuple[int | None, str], list[StatRecord]] = defaultdict(list)
    for r in found:
        if not r.source_document.startswith(METERED):
            entered[(r.enterprise_id, r.item)].append(r)
    tz = ZoneInfo(park.timezone)
    pending: list[tuple[NewRecord, MonthOutput]] = []
    for m in months:
        label = f"{year:04d}-{m:02d}"
        first = dt.date(year, m, 1)
        last = _month_end(first)
        sums = _point_sums(store, points, Period(year, m), tz)
        for (owner, product), members in sorted(
            groups.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])
        ):
            codes = tuple(p.code for p in members)
            unit = members[0].unit
            completeness = min(sums[p.id].quality().completeness for p in members)

            def out(
                outcome: str,
                quantity: float | None,
                record_id: int | None = None,
                reason: str = "",
            ) -> MonthOutput:
                return MonthOutput(
                    owner, product, label, codes, quantity, unit, completeness,  # noqa: B023
                    outcome, record_id, reason,
                )  # fmt: skip

            if any(not units.compatible(p.unit, unit) for p in members):
                bad = ", ".join(f"{p.code} [{p.unit}]" for p in members)
                report.months.append(
                    out("invalid", None, reason=f"counters of one product in units of "
                                                f"different dimensions: {bad}")
                )  # fmt: skip
                continue
            quantity = sum(units.convert(sums[p.id].value, p.unit, unit) for p in members)
            if completeness < threshold:
                report.months.append(
                    out("incomplete", quantity, reason=f"completeness {completeness:.1%} below "
                                                       f"the threshold {threshold:.0%}")
                )  # fmt: skip
                continue
            hand = [
                r for r in entered[(owner, product)]
                if r.period_start <= last.isoformat() and r.period_end >= first.isoformat()
            ]  # fmt: skip
            if hand:
                r = hand[0]
                report.months.append(
                    out("entered", quantity, r.id, f"record {r.id} ({r.period_start}…"
                        f"{r.period_end}) was entered from {r.source_document!r}; left as it is")
                )  # fmt: skip
                continue
            old = current.get((owner, product, first.isoformat(), last.isoformat()))
            if (
                old is not None
                and old.unit == unit
                and math.isclose(old.quantity, quantity, rel_tol=_SAME, abs_tol=1e-12)
            ):
                report.months.append(out("unchanged", quantity, old.id))
                continue
            rec = NewRecord(
                park.id, owner, "product_output", product, first.isoformat(), last.isoformat(),
                quantity, unit, _source(codes, label),
                f"completeness {completeness:.1%}",
                supersedes_id=None if old is None else old.id,
            )  # fmt: skip
            pending.append((rec, out("created" if old is None else "corrected", quantity)))
    ids = repo.add_many([r for r, _ in pending], entered_by=entered_by, entered_at=_now(now))
    for new_id, (_, done) in zip(ids, pending, strict=True):
        report.months.append(dataclasses.replace(done, record_id=new_id))
    report.months.sort(key=lambda o: (o.month, o.enterprise_id or 0, o.product))
    return report
