"""Monthly activity data from the metered statistics (计量数据 → 活动数据).

A series of a GHG document may name, instead of typed months, a metering point of the
enterprise (``meter: E02-gas``) or one of its carriers (``carrier: natural_gas``: every boundary
point of that carrier, summed). The months are then read from the store's monthly statistics
(``stat_month``, the park's local calendar months) and converted to the series' unit
(:mod:`lingtan.units`, exact factors; a unit of another dimension is refused naming the field).

Quality (each point's month row carries the seconds covered by measured, estimated and missing
intervals):

* **complete** — no missing seconds and measured + estimated seconds cover the whole local month
  (± 0.5 s): the value is taken, evidence ``measured`` (tier 3) when nothing was estimated,
  else ``calculated`` (tier 2) with the estimated share in the reference;
* **incomplete** — a point without a row for the month, a row without a value, missing seconds, or
  a month not yet covered to its end: the month stays **missing**, with the reason in the
  series' ``flags`` — never a zero, never a partial sum.

Every filled value's evidence reference reads ``meter <code>, stat_month <YYYY-MM>`` (several
points: ``meter A + meter B, stat_month …``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from lingtan import units
from lingtan.errors import InvalidInput
from lingtan.ghg.account import GhgDocument, Source
from lingtan.ghg.activity import MONTHS, Evidence, MonthValue, Series
from lingtan.store import Store
from lingtan.store.records import PointPeriodRow, PointRecord
from lingtan.timeutil import month_bounds_us

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
#: tolerance on the seconds of a month's coverage
SLACK_S = 0.5


def _points(
    store: Store, park_id: int, enterprise_id: int, series: Series, where: str
) -> list[PointRecord]:
    """The enterprise's points a metered series names (another owner's point: not found)."""
    mine = [
        p
        for p in store.registry.points_by_id(refresh=True).values()
        if p.park_id == park_id and p.enterprise_id == enterprise_id
    ]
    if series.meter is not None:
        found = [p for p in mine if p.code == series.meter]
        if not found:
            raise InvalidInput(
                f"{where}.meter: no metering point {series.meter!r} of this enterprise",
                field=f"{where}.meter",
            )
        if found[0].kind == "measurement":
            raise InvalidInput(
                f"{where}.meter: {series.meter!r} measures a rate ({found[0].unit}), not an amount",
                field=f"{where}.meter",
            )
        return found
    found = [
        p for p in mine if p.carrier == series.carrier and p.boundary and p.kind != "measurement"
    ]
    if not found:
        raise InvalidInput(
            f"{where}.carrier: the enterprise has no boundary meter of {series.carrier!r}",
            field=f"{where}.carrier",
        )
    return sorted(found, key=lambda p: p.code)


def _month_of(row: PointPeriodRow) -> int:
    return dt.date.fromordinal(row.first_day + _EPOCH_ORDINAL).month


def fill_series(
    series: Series,
    points: Sequence[PointRecord],
    rows: Sequence[PointPeriodRow],
    *,
    year: int,
    tz: ZoneInfo,
    where: str,
) -> Series:
    """The series with its months from the points' monthly statistics (pure)."""
    for p in points:
        if not units.compatible(p.unit, series.unit):
            raise InvalidInput(
                f"{where}.unit: {series.unit!r}, but meter {p.code} reads {p.unit!r}",
                field=f"{where}.unit",
            )
    by_point: dict[tuple[int, int], PointPeriodRow] = {}
    for row in rows:
        if row.end_day > row.first_day + 1:  # whole-month rows only (stat_month)
            by_point[(row.point_id, _month_of(row))] = row
    names = " + ".join(f"meter {p.code}" for p in points)
    months: list[MonthValue] = []
    flags: dict[int, str] = {}
    for m in MONTHS:
        a, b = month_bounds_us(year, m, tz)
        expected = (b - a) / 1e6
        label = f"{year}-{m:02d}"
        total, estimated = 0.0, 0.0
        problem: str | None = None
        for p in points:
            r = by_point.get((p.id, m))
            if r is None or r.value is None:
                problem = f"meter {p.code}: no statistics for {label}"
                break
            covered = r.measured_s + r.estimated_s
            if r.missing_s > SLACK_S or covered < expected - SLACK_S:
                gap = max(r.missing_s, expected - covered)
                problem = (
                    f"meter {p.code}: stat_month {label} incomplete "
                    f"({gap / expected:.1%} of the month without data)"
                )
                break
            total += units.convert(r.value, p.unit, series.unit)
            estimated += r.estimated_s
        if problem is not None:
            flags[m] = problem
            continue
        share = estimated / (expected * len(points))
        reference = f"{names}, stat_month {label}"
        evidence = (
            Evidence(kind="measured", reference=reference, tier=3)
            if estimated <= SLACK_S
            else Evidence(
                kind="calculated", reference=f"{reference} (estimated {share:.1%})", tier=2
            )
        )
        months.append(MonthValue(month=m, value=total, evidence=evidence))
    return series.model_copy(update={"months": tuple(months), "flags": flags})


def fill(store: Store, doc: GhgDocument, *, park_id: int, enterprise_id: int) -> GhgDocument:
    """``doc`` with every metered series filled from the enterprise's monthly statistics (the
    enterprise is the caller's, already checked against the principal's scope)."""
    if not any(s.metered for src in doc.sources for s in src.series.values()):
        return doc
    tz = ZoneInfo(store.registry.park(park_id).timezone)
    day0 = dt.date(doc.year, 1, 1).toordinal() - _EPOCH_ORDINAL
    day1 = dt.date(doc.year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL
    sources: list[Source] = []
    for src in doc.sources:
        filled: dict[str, Series] = {}
        for name, ser in src.series.items():
            if not ser.metered:
                filled[name] = ser
                continue
            where = f"sources.{src.id}.series.{name}"
            points = _points(store, park_id, enterprise_id, ser, where)
            rows = store.stats.point_periods([p.id for p in points], day0, day1)
            filled[name] = fill_series(ser, points, rows, year=doc.year, tz=tz, where=where)
        sources.append(src.model_copy(update={"series": filled}))
    return doc.model_copy(update={"sources": tuple(sources)})


def year_total(
    store: Store, *, park_id: int, enterprise_id: int, meter: str, unit: str, year: int, where: str
) -> tuple[float, str]:
    """The twelve months of ``year`` of one of the enterprise's metering points, in ``unit``,
    and the evidence text (``meter X, stat_month 2026-01…12``, measured or with the estimated
    share); InvalidInput naming ``where`` and every incomplete month when any is missing (a
    year total is never a partial sum)."""
    series = Series(unit=unit, meter=meter)
    points = _points(store, park_id, enterprise_id, series, where)
    tz = ZoneInfo(store.registry.park(park_id).timezone)
    day0 = dt.date(year, 1, 1).toordinal() - _EPOCH_ORDINAL
    day1 = dt.date(year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL
    rows = store.stats.point_periods([p.id for p in points], day0, day1)
    filled = fill_series(series, points, rows, year=year, tz=tz, where=where)
    if filled.flags:
        missing = "; ".join(f"{year}-{m:02d}: {why}" for m, why in sorted(filled.flags.items()))
        raise InvalidInput(f"{where}: the year is incomplete ({missing})", field=where)
    estimated = [m for m in filled.months if m.evidence.kind != "measured"]
    quality = (
        "measured"
        if not estimated
        else "estimated in " + ", ".join(f"{year}-{m.month:02d}" for m in estimated)
    )
    total = sum(m.value for m in filled.months)
    return total, f"meter {meter}, stat_month {year}-01…{year}-12 ({quality})"
