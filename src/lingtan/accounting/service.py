"""Store-backed accounting services: park, enterprises and buildings for a year or a month.

Each service builds the activity of its boundary from the store — metered statistics (the owner ×
carrier hourly rollups of boundary points; daily statistics for a building), certificate-backed
electricity from the 绿证 ledger, and the activity supplements of the boundary for what metering
cannot give — accounts it with :func:`lingtan.carbon.account` and appends the result to
``inventory_result`` with the options, the factor records it used and the sources of its
activity.

A result covers a year, a month, or January through a month (year-to-date, computed as **one**
activity over those months, not as a sum of monthly results). Whatever the period, the same rules
decide what it counts: the metered hours inside it; each 绿证 retirement pro rata by the months of
its consumption period inside it (:func:`lingtan.greenpower.counting.count_green`); the latest
monthly supplement of each of its months in full, and the latest annual supplement pro rata by
months (``MeteringOptions.supplement_allocation``). Every partial count is named in the result's
notes. A year is the sum of its months in each of these, so no month, supplement or certificate
is lost between monthly, year-to-date and annual results. A factor revision (a record appended to the library) changes the next result; the
earlier one stays retrievable with the records it used (:func:`history`).

Carbon is computed on aggregates (DESIGN §2): the store keeps the hourly sums per owner and
carrier as data arrives, accounting reads those sums — Σ over the period for constant factors,
hour by hour where the factor varies by hour (an hourly grid factor series) — and multiplies
only them. The park's activity is the sum of its owners' (the enterprises' and the park's own
points): each boundary point belongs to exactly one owner, so nothing is counted twice.

Every function takes keyword-only arguments and the caller's ``enterprise_scope`` (None = a
park-level caller); none imports a web framework.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from lingtan import units
from lingtan.accounting.metered import (
    HourlySeries,
    Metered,
    MeteredActivity,
    MeteringOptions,
    SourceLine,
    SupplementAllocation,
    activity_document,
    build_metered,
    scale_supplement,
)
from lingtan.accounting.scope import (
    ParkScope,
    Span,
    local_day_numbers,
    park_scope,
    period_bounds_us,
    require_enterprise,
    require_park_level,
    require_site,
    span_of,
)
from lingtan.carbon.activity import Activity, parse_activity
from lingtan.carbon.factors import FactorLibrary, default_library, normalise_province
from lingtan.carbon.inventory import AccountingOptions, HourlyGrid, Inventory, account
from lingtan.errors import InvalidInput, NotFound
from lingtan.greenpower.counting import count_green
from lingtan.greenpower.ledger import GreenElectricity
from lingtan.options import UsedOptions
from lingtan.options import service as park_options
from lingtan.registry.model import Carrier
from lingtan.store import Store
from lingtan.store.accounting_repo import (
    AccountingRepo,
    CarrierTotal,
    InventoryRecord,
    SiteTotal,
    SupplementRecord,
)
from lingtan.store.greenpower_repo import GreenpowerRepo
from lingtan.timeutil import from_us, to_us, utcnow

Basis = Literal["park", "enterprise", "building"]
GRID = Carrier.ELECTRICITY_GRID_IMPORT.value
EXPORT = Carrier.ELECTRICITY_EXPORT.value
PV = Carrier.PV_GENERATION.value


@dataclass(frozen=True, slots=True)
class CountedSupplement:
    """A supplement and the share of it a period counts (1 for a monthly supplement of one of
    its months or an annual one in an annual result; months ÷ 12 for an annual one otherwise)."""

    record: SupplementRecord
    share: float


@dataclass(frozen=True)
class AccountingResult:
    """An inventory computed from the store, with what it was computed from and its stored row."""

    inventory: Inventory
    #: the stored result (None when not persisted)
    record: InventoryRecord | None
    activity: Activity
    sources: tuple[SourceLine, ...]
    green: GreenElectricity | None
    supplements: tuple[SupplementRecord, ...]
    boundary: str
    month: int | None
    enterprise_id: int | None
    period_start_us: int
    period_end_us: int
    #: the months covered (None for a building result, which is a year or a month)
    span: Span | None = None
    #: the share of each of ``supplements`` counted
    supplement_shares: tuple[float, ...] = ()
    #: the park's options version the result used, and any overrides (None: options passed
    #: in directly by a library caller)
    used: UsedOptions | None = None

    def as_dict(self, *, explain: bool = False, lang: str = "zh") -> dict[str, Any]:
        """The ``lingtan account --park --json`` object: the inventory's keys (as for an activity
        file) plus the period, the stored result id and the sources of the activity."""
        data = self.inventory.as_dict(explain=explain, lang=lang)
        data.update(self._extras())
        data["result_id"] = None if self.record is None else self.record.id
        data["computed_at"] = None if self.record is None else self.record.computed_at
        return data

    def _extras(self) -> dict[str, Any]:
        green = self.green
        shares = self.supplement_shares or (1.0,) * len(self.supplements)
        return {
            "boundary": self.boundary,
            "month": self.month,
            "enterprise_id": self.enterprise_id,
            "park_options": None if self.used is None else self.used.as_dict(),
            "period": {
                "kind": None if self.span is None else self.span.kind,
                "label": None if self.span is None else self.span.label,
                "start": from_us(self.period_start_us).isoformat(),
                "end": from_us(self.period_end_us).isoformat(),
            },
            "activity": self.activity.model_dump(mode="json", exclude_none=True),
            "sources": [line.as_dict() for line in self.sources],
            "green_electricity": None
            if green is None
            else {
                "certified_kwh": green.certified_kwh,
                "contracted_uncertified_kwh": green.contracted_uncertified_kwh,
                "counted_kwh": self.activity.electricity.received_kwh("green_certified"),
                "cert_ids": list(green.cert_ids),
                "allocations": [a.as_dict() for a in green.allocations],
            },
            "supplements": [
                {
                    "id": sup.id,
                    "enterprise_id": sup.enterprise_id,
                    "month": sup.month,
                    "share": share,
                    "source_document": sup.source_document,
                    "entered_by": sup.entered_by,
                    "entered_at": sup.entered_at,
                }
                for sup, share in zip(self.supplements, shares, strict=True)
            ],
        }


# -- loading ---------------------------------------------------------------------------------
def _metered(scope: ParkScope, totals: Sequence[CarrierTotal]) -> list[Metered]:
    return [
        Metered(
            owner=scope.owner_code(t.enterprise_key),
            carrier=t.carrier,
            unit=t.unit,
            value=t.value,
            measured_s=t.measured_s,
            estimated_s=t.estimated_s,
            missing_s=t.missing_s,
            periods=t.hours,
        )
        for t in totals
    ]


@dataclass
class _PeriodData:
    """What one read of the store gives for a period: totals, hourly arrays, supplements."""

    totals: list[CarrierTotal]
    hourly: dict[tuple[int, str], list[tuple[str, NDArray[np.int64], NDArray[np.float64]]]]
    supplements: list[CountedSupplement]


def _counted_supplements(
    scope: ParkScope,
    records: Sequence[SupplementRecord],
    span: Span,
    allocation: SupplementAllocation,
) -> list[CountedSupplement]:
    """What of each supplement slot of the year ``span`` counts (the module docstring)."""
    out: list[CountedSupplement] = []
    for r in records:
        if r.month is None:
            if span.kind == "year":
                share = 1.0
            elif allocation == "refuse":
                owner = scope.owner_code(r.enterprise_id or 0)
                raise InvalidInput(
                    f"{owner} has an annual supplement for {span.year} (#{r.id}, "
                    f"{r.source_document}); with supplement_allocation=refuse a {span.label} "
                    "result that would need part of it is refused — enter monthly supplements, "
                    "or allocate it pro rata by months (pro_rata_months)",
                    field="supplement_allocation",
                )
            else:
                share = span.months / 12
        elif span.first <= r.month <= span.last:
            share = 1.0
        else:
            continue
        out.append(CountedSupplement(r, share))
    return out


def _load(
    store: Store,
    conn: Connection,
    scope: ParkScope,
    *,
    span: Span,
    owner: int | None,
    hourly_carriers: Sequence[str],
    allocation: SupplementAllocation,
) -> _PeriodData:
    repo = AccountingRepo(store)
    h0, h1 = span.bounds_us(scope.tz)
    totals = repo.carrier_totals(conn, park_id=scope.park.id, h0=h0, h1=h1, enterprise_key=owner)
    present = {t.carrier for t in totals}
    wanted = [c for c in hourly_carriers if c in present and c != PV]
    # PV generation is split hour by hour only against the same owner's export (pv_first):
    # read it for the owners that export, not for every owner with PV
    reads: list[tuple[list[str], int | None]] = [(wanted, owner)] if wanted else []
    if PV in hourly_carriers and PV in present:
        exporters = sorted({t.enterprise_key for t in totals if t.carrier == EXPORT})
        reads += [([PV], key) for key in exporters]
    hourly: dict[tuple[int, str], list[tuple[str, NDArray[np.int64], NDArray[np.float64]]]] = {}
    for carriers, key in reads:
        for series in repo.carrier_hours(
            conn, park_id=scope.park.id, h0=h0, h1=h1, carriers=carriers, enterprise_key=key
        ):
            hourly.setdefault((series.enterprise_key, series.carrier), []).append(
                (series.unit, series.hours, series.values)
            )
    # where grid electricity is multiplied hour by hour, its total is the sum of those very
    # hours (one source for both, whatever commits between the two reads)
    for i, t in enumerate(totals):
        parts = hourly.get((t.enterprise_key, t.carrier))
        if t.carrier == GRID and parts:
            value = sum(float(v.sum()) for u, _, v in parts if u == t.unit)
            totals[i] = dataclasses.replace(t, value=value)
    records = repo.year_supplements(
        conn,
        park_id=scope.park.id,
        year=span.year,
        enterprise_id=None if owner in (None, 0) else owner,
        every_owner=owner is None,
    )
    return _PeriodData(totals, hourly, _counted_supplements(scope, records, span, allocation))


def _hourly_in(
    parts: Sequence[tuple[str, NDArray[np.int64], NDArray[np.float64]]], unit: str
) -> HourlySeries:
    """One hourly series in ``unit`` from rollups of possibly several metering units."""
    if len(parts) == 1:
        u, hours, values = parts[0]
        return HourlySeries(hours, values * units.factor(u, unit))
    hours = np.concatenate([h for _, h, _ in parts])
    values = np.concatenate([v * units.factor(u, unit) for u, _, v in parts])
    unique, inverse = np.unique(hours, return_inverse=True)
    summed = np.bincount(inverse, weights=values).astype(np.float64)
    return HourlySeries(unique.astype(np.int64), summed)


def _export_hourly(
    scope: ParkScope, data: _PeriodData, metering: MeteringOptions
) -> dict[tuple[str, str], HourlySeries]:
    """Hourly export and PV generation per owner [kWh], for ``export_kind="pv_first"``."""
    if metering.export_kind != "pv_first":
        return {}
    return {
        (scope.owner_code(key), carrier): _hourly_in(parts, "kWh")
        for (key, carrier), parts in data.hourly.items()
        if carrier in (EXPORT, PV)
    }


def _hourly_carriers(
    options: AccountingOptions, metering: MeteringOptions, basis: Basis
) -> list[str]:
    wanted: list[str] = []
    if metering.export_kind == "pv_first":
        wanted += [EXPORT, PV]
    if basis == "enterprise" and options.grid_series_id is not None:
        wanted.append(GRID)
    return wanted


def _green(
    store: Store, scope: ParkScope, claimants: Sequence[tuple[str, str]], span: Span
) -> GreenElectricity:
    repo = GreenpowerRepo(store)
    return count_green(
        repo.retirements(park=scope.park.code, claimants=claimants),
        repo.settlements(park=scope.park.code, buyers=claimants),
        span.ledger_period,
    )


# -- accounting ------------------------------------------------------------------------------
def _notes(inventory: Inventory, extra: Sequence[str]) -> Inventory:
    if not extra:
        return inventory
    notes = tuple(dict.fromkeys((*inventory.notes, *extra)))
    return dataclasses.replace(inventory, notes=notes)


def _period_note(span: Span | None) -> list[str]:
    if span is None or span.kind == "year":
        return []
    what = "a monthly" if span.kind == "month" else "a year-to-date"
    return [
        f"{what} inventory ({span.label}): 附件4 defines the annual account; the period uses the "
        "factors of its year, counts 绿证 retirements pro rata by the months of their "
        "consumption period inside it and annual supplements pro rata by months"
    ]


def _allocation_notes(
    span: Span, supplements: Sequence[CountedSupplement], green: GreenElectricity
) -> list[str]:
    """What the period counts in part, named."""
    notes = [
        f"annual supplement #{c.record.id} ({c.record.source_document}) of "
        f"{_owner_label(c.record)} counted {span.months}/12 in {span.label} "
        "(supplement_allocation=pro_rata_months)"
        for c in supplements
        if c.share < 1.0
    ]
    if green.allocations:
        counted = sum(a.kwh for a in green.allocations)
        notes.append(
            f"{len(green.allocations)} 绿证 retired for consumption periods reaching beyond "
            f"{span.label} counted pro rata by months: {counted:.6g} kWh of "
            f"{1000 * len(green.allocations):,} kWh "
            + ", ".join(
                f"{a.cert_id} ({a.retired_for}: {a.months_inside}/{a.months_total})"
                for a in green.allocations[:5]
            )
            + (" …" if len(green.allocations) > 5 else "")
        )
    return notes


def _owner_label(record: SupplementRecord) -> str:
    """``enterprise #id`` or ``the park`` for a supplement's owner."""
    return "the park" if record.enterprise_id is None else f"enterprise #{record.enterprise_id}"


def _options_dict(
    options: AccountingOptions, metering: MeteringOptions | None, used: UsedOptions | None
) -> dict[str, Any]:
    data: dict[str, Any] = {"accounting": options.as_dict()}
    if metering is not None:
        data["metering"] = metering.as_dict()
    if used is not None:
        data["park_options"] = used.as_dict()
    return data


@dataclass(frozen=True, slots=True)
class _Options:
    """The options one computation uses, and the park's options version they came from."""

    accounting: AccountingOptions
    metering: MeteringOptions
    used: UsedOptions | None


def _resolve(
    store: Store,
    scope: ParkScope,
    options: AccountingOptions | None,
    metering: MeteringOptions | None,
    used: UsedOptions | None,
) -> _Options:
    """The park's options (current version) unless the caller passes its own: ``used`` (a
    version with overrides, as the CLI and the API resolve it), or option objects directly (a
    library caller; the result then names no version)."""
    if used is None and options is None and metering is None:
        used = park_options.used(store, park_id=scope.park.id)
    if used is not None:
        if used.base.park_id != scope.park.id:
            raise InvalidInput("the options belong to another park", field="park_id")
        return _Options(
            options or used.options.accounting(),
            metering or MeteringOptions.of(used.options),
            used,
        )
    return _Options(options or AccountingOptions(), metering or MeteringOptions(), None)


def _store_results(
    store: Store,
    conn: Connection,
    *,
    results: Sequence[AccountingResult],
    scope: ParkScope,
    actor: str,
    now: int,
    metering: MeteringOptions | None,
) -> list[AccountingResult]:
    """Append the results and their audit entries, each set in one statement (a park and its
    enterprises are two round trips, not one insert, read-back and audit entry per result)."""
    rows: list[dict[str, Any]] = []
    for result in results:
        inv = result.inventory
        payload = inv.as_dict(explain=True)
        payload.update(result._extras())
        payload["park"] = scope.park.code
        rows.append(
            {
                "basis": inv.basis,
                "boundary": result.boundary,
                "year": inv.year,
                "month": result.month,
                "enterprise_id": result.enterprise_id,
                "computed_at": now,
                "computed_by": actor,
                "options": _options_dict(inv.options, metering, result.used),
                "factor_ids": inv.factor_ids,
                "result": payload,
            }
        )
    records = AccountingRepo(store).add_results(conn, rows)
    store.audit.append_many(
        conn,
        [
            {
                "at": now,
                "actor": actor,
                "action": "account",
                "entity": "inventory_result",
                "entity_id": str(record.id),
                "enterprise_id": result.enterprise_id,
                "after": {
                    "basis": result.inventory.basis,
                    "boundary": result.boundary,
                    "year": result.inventory.year,
                    "month": result.month,
                    "total_tco2": result.inventory.emissions["total"],
                    "factor_ids": list(result.inventory.factor_ids),
                },
            }
            for result, record in zip(results, records, strict=True)
        ],
    )
    _announce(store, conn, scope=scope, results=results, records=records, now=now)
    return [
        dataclasses.replace(result, record=record)
        for result, record in zip(results, records, strict=True)
    ]


def _announce(
    store: Store,
    conn: Connection,
    *,
    scope: ParkScope,
    results: Sequence[AccountingResult],
    records: Sequence[InventoryRecord],
    now: int,
) -> None:
    """Queue the ``accounting.ready`` webhook event of each stored result in the transaction
    that stores it (docs/outbound.md): committed results are announced, rolled-back ones never."""
    if not store.outbox.any_live(conn):
        return
    # imported here: the exchange builds on accounting (the acceptance pack)
    from lingtan.exchange.events import publish

    for result, record in zip(results, records, strict=True):
        publish(
            store,
            park_id=scope.park.id,
            enterprise_id=result.enterprise_id,
            topic="accounting",
            event="accounting.ready",
            key=f"result-{record.id}",
            data={
                "result_id": record.id,
                "basis": result.inventory.basis,
                "boundary": result.boundary,
                "year": result.inventory.year,
                "month": result.month,
                "enterprise_id": result.enterprise_id,
                "total_tco2": result.inventory.emissions["total"],
                "factor_ids": list(result.inventory.factor_ids),
            },
            conn=conn,
            now=now,
        )


def _account_owner(
    scope: ParkScope,
    *,
    basis: Literal["park", "enterprise"],
    name: str,
    boundary: str,
    enterprise_id: int | None,
    span: Span,
    h0: int,
    h1: int,
    totals: Sequence[CarrierTotal],
    data: _PeriodData,
    supplements: Sequence[CountedSupplement],
    green: GreenElectricity,
    options: AccountingOptions,
    metering: MeteringOptions,
    library: FactorLibrary,
) -> AccountingResult:
    metered: MeteredActivity = build_metered(
        _metered(scope, totals), options=metering, hourly=_export_hourly(scope, data, metering)
    )
    document, notes = activity_document(
        boundary=basis,
        name=name,
        year=span.year,
        province=scope.park.province,
        metered=metered,
        green_kwh=green.total_kwh,
        supplements=[
            c.record.document if c.share == 1.0 else scale_supplement(c.record.document, c.share)
            for c in supplements
        ],
    )
    activity = parse_activity(document)
    hourly_grid = None
    if basis == "enterprise" and options.grid_series_id is not None:
        parts = data.hourly.get((enterprise_id or 0, GRID), [])
        series = _hourly_in(parts, "kWh") if parts else None
        if series is None:
            hourly_grid = HourlyGrid.from_arrays(np.empty(0, np.int64), np.empty(0))
        else:
            hourly_grid = HourlyGrid.from_arrays(series.hours, series.values)
        if any(
            item.get("kind") == "grid"
            for sup in supplements
            for item in sup.record.document.get("electricity", {}).get("received", [])
        ):
            raise InvalidInput(
                "hourly grid factors (grid_series_id) need all grid electricity metered; an "
                "activity supplement adds grid electricity that has no hours",
                field="grid_series_id",
            )
    if green.contracted_uncertified_kwh:
        notes.append(
            f"green-power trades without certificates {green.contracted_uncertified_kwh:.6g} kWh "
            "are counted with certificate-backed electricity (绿证/绿电, factor 0)"
        )
    inventory = account(
        activity, library=library, basis=basis, options=options, hourly_grid=hourly_grid
    )
    inventory = _notes(
        inventory,
        [*notes, *_period_note(span), *_allocation_notes(span, supplements, green)],
    )
    return AccountingResult(
        inventory=inventory,
        record=None,
        activity=activity,
        sources=tuple(metered.sources),
        green=green,
        supplements=tuple(c.record for c in supplements),
        boundary=boundary,
        month=span.month,
        enterprise_id=enterprise_id,
        period_start_us=h0,
        period_end_us=h1,
        span=span,
        supplement_shares=tuple(c.share for c in supplements),
    )


def _park_result(
    store: Store,
    scope: ParkScope,
    data: _PeriodData,
    *,
    span: Span,
    h0: int,
    h1: int,
    options: AccountingOptions,
    metering: MeteringOptions,
    library: FactorLibrary,
) -> AccountingResult:
    claimants = [("park", scope.park.code)] + [
        ("enterprise", e.code) for e in scope.enterprises.values()
    ]
    return _account_owner(
        scope,
        basis="park",
        name=scope.park.name,
        boundary=scope.park.code,
        enterprise_id=None,
        span=span,
        h0=h0,
        h1=h1,
        totals=data.totals,
        data=data,
        supplements=data.supplements,
        green=_green(store, scope, claimants, span),
        options=options,
        metering=metering,
        library=library,
    )


def _enterprise_results(
    store: Store,
    scope: ParkScope,
    data: _PeriodData,
    wanted: Sequence[int],
    *,
    span: Span,
    h0: int,
    h1: int,
    options: AccountingOptions,
    metering: MeteringOptions,
    library: FactorLibrary,
) -> list[AccountingResult]:
    by_owner: dict[int, list[CarrierTotal]] = {}
    for t in data.totals:
        by_owner.setdefault(t.enterprise_key, []).append(t)
    sups: dict[int | None, list[CountedSupplement]] = {}
    for c in data.supplements:
        sups.setdefault(c.record.enterprise_id, []).append(c)
    repo = GreenpowerRepo(store)
    retirements = repo.retirements(park=scope.park.code, claimants=None)
    settlements = repo.settlements(park=scope.park.code, buyers=None)
    period = span.ledger_period
    results: list[AccountingResult] = []
    for eid in wanted:
        enterprise = scope.enterprise(eid)
        green = count_green(
            [r for r in retirements if r.level == "enterprise" and r.claimant == enterprise.code],
            [x for x in settlements if x.level == "enterprise" and x.buyer == enterprise.code],
            period,
        )
        results.append(
            _account_owner(
                scope,
                basis="enterprise",
                name=enterprise.name,
                boundary=enterprise.code,
                enterprise_id=eid,
                span=span,
                h0=h0,
                h1=h1,
                totals=by_owner.get(eid, []),
                data=data,
                supplements=sups.get(eid, []),
                green=green,
                options=options,
                metering=metering,
                library=library,
            )
        )
    return results


def _enterprises_with_data(data: _PeriodData) -> list[int]:
    return sorted(
        {t.enterprise_key for t in data.totals if t.enterprise_key}
        | {c.record.enterprise_id for c in data.supplements if c.record.enterprise_id is not None}
    )


def _persist(
    store: Store,
    scope: ParkScope,
    results: Sequence[AccountingResult],
    *,
    actor: str,
    metering: MeteringOptions | None,
) -> list[AccountingResult]:
    now = to_us(utcnow())
    with store.begin() as conn:
        return _store_results(
            store, conn, results=results, scope=scope, actor=actor, now=now, metering=metering
        )


def _span(year: int, month: int | None, ytd: bool, persist: bool) -> Span:
    span = span_of(year, month, ytd)
    if span.kind == "ytd" and persist:
        raise InvalidInput(
            "a year-to-date result is computed, not stored: pass persist=False", field="persist"
        )
    return span


def account_park(
    store: Store,
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    options: AccountingOptions | None = None,
    metering: MeteringOptions | None = None,
    library: FactorLibrary | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
    persist: bool = True,
    used: UsedOptions | None = None,
) -> AccountingResult:
    """The park inventory (910号 附件4) of a year, a month, or (``ytd``) January through
    ``month`` from the store.

    Activity: the metered totals of every owner of the park (its enterprises and the park's own
    points) in the period, the green electricity retired by the park and by its enterprises
    counted pro rata by months, and the supplements of the park and of each enterprise (the
    module docstring). A year-to-date result is one activity over its months and is not stored
    (``persist=False``). A park-level action: an enterprise-scoped caller gets
    ``PermissionDenied``.
    """
    require_park_level(enterprise_scope, "the park inventory")
    library = library or default_library()
    scope = park_scope(store, park_id)
    o = _resolve(store, scope, options, metering, used)
    options, metering = o.accounting, o.metering
    span = _span(year, month, ytd, persist)
    h0, h1 = span.bounds_us(scope.tz)
    with store.begin() as conn:
        data = _load(
            store,
            conn,
            scope,
            span=span,
            owner=None,
            hourly_carriers=_hourly_carriers(options, metering, "park"),
            allocation=metering.supplement_allocation,
        )
    result = _park_result(
        store, scope, data, span=span, h0=h0, h1=h1, options=options, metering=metering,
        library=library,
    )  # fmt: skip
    result = dataclasses.replace(result, used=o.used)
    if not persist:
        return result
    (stored,) = _persist(store, scope, [result], actor=actor, metering=metering)
    return stored


def account_enterprises(
    store: Store,
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    enterprise_ids: Sequence[int] | None = None,
    options: AccountingOptions | None = None,
    metering: MeteringOptions | None = None,
    library: FactorLibrary | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
    persist: bool = True,
    used: UsedOptions | None = None,
) -> list[AccountingResult]:
    """GB/T 32150 inventories of several enterprises (default: all with metered data or a
    supplement) from one read of the store; see :func:`account_enterprise`.

    An enterprise-scoped caller gets its own enterprise only.
    """
    library = library or default_library()
    scope = park_scope(store, park_id)
    o = _resolve(store, scope, options, metering, used)
    options, metering = o.accounting, o.metering
    if enterprise_scope is not None:
        require_enterprise(scope, enterprise_scope, enterprise_scope)
        if enterprise_ids is not None and any(e != enterprise_scope for e in enterprise_ids):
            raise NotFound("enterprise not found")
        enterprise_ids = [enterprise_scope]
    for eid in enterprise_ids or ():
        scope.enterprise(eid)
    span = _span(year, month, ytd, persist)
    h0, h1 = span.bounds_us(scope.tz)
    with store.begin() as conn:
        data = _load(
            store,
            conn,
            scope,
            span=span,
            owner=None if enterprise_ids is None or len(enterprise_ids) != 1 else enterprise_ids[0],
            hourly_carriers=_hourly_carriers(options, metering, "enterprise"),
            allocation=metering.supplement_allocation,
        )
    wanted = _enterprises_with_data(data) if enterprise_ids is None else list(enterprise_ids)
    results = _enterprise_results(
        store, scope, data, wanted, span=span, h0=h0, h1=h1, options=options,
        metering=metering, library=library,
    )  # fmt: skip
    results = [dataclasses.replace(r, used=o.used) for r in results]
    if not persist:
        return results
    return _persist(store, scope, results, actor=actor, metering=metering)


def account_park_and_enterprises(
    store: Store,
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    options: AccountingOptions | None = None,
    metering: MeteringOptions | None = None,
    library: FactorLibrary | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
    persist: bool = True,
    used: UsedOptions | None = None,
) -> tuple[AccountingResult, list[AccountingResult]]:
    """The park inventory and every enterprise's, from **one** read of the rollups.

    The same results as :func:`account_park` followed by :func:`account_enterprises` (the park
    is the sum of its owners, so one read serves both), for reports and indicators that need
    both; all results are stored in one transaction. ``options.grid_series_id`` applies to the
    enterprises' location-based scope 2 (the park basis has its own fixed factor).
    """
    require_park_level(enterprise_scope, "the park inventory")
    library = library or default_library()
    scope = park_scope(store, park_id)
    o = _resolve(store, scope, options, metering, used)
    options, metering = o.accounting, o.metering
    span = _span(year, month, ytd, persist)
    h0, h1 = span.bounds_us(scope.tz)
    hourly = list(
        dict.fromkeys(
            _hourly_carriers(options, metering, "park")
            + _hourly_carriers(options, metering, "enterprise")
        )
    )
    with store.begin() as conn:
        data = _load(
            store, conn, scope, span=span, owner=None, hourly_carriers=hourly,
            allocation=metering.supplement_allocation,
        )  # fmt: skip
    common: dict[str, Any] = {
        "span": span,
        "h0": h0,
        "h1": h1,
        "options": options,
        "metering": metering,
        "library": library,
    }
    park = dataclasses.replace(_park_result(store, scope, data, **common), used=o.used)
    enterprises = [
        dataclasses.replace(r, used=o.used)
        for r in _enterprise_results(store, scope, data, _enterprises_with_data(data), **common)
    ]
    if not persist:
        return park, enterprises
    stored = _persist(store, scope, [park, *enterprises], actor=actor, metering=metering)
    return stored[0], stored[1:]


def account_enterprise(
    store: Store,
    *,
    enterprise_id: int,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    options: AccountingOptions | None = None,
    metering: MeteringOptions | None = None,
    library: FactorLibrary | None = None,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
    persist: bool = True,
    used: UsedOptions | None = None,
) -> AccountingResult:
    """The GB/T 32150 inventory (location- and market-based scope 2) of one enterprise.

    Activity: the metered totals of the enterprise's boundary points, its own retired
    certificates (and trades) counted pro rata by months, and its supplements (the module
    docstring). With ``options.grid_series_id`` the location-based scope 2 multiplies the
    enterprise's hourly grid electricity by the hourly factor series.
    """
    scope = park_scope(store, park_id)
    require_enterprise(scope, enterprise_id, enterprise_scope)
    (result,) = account_enterprises(
        store,
        year=year,
        month=month,
        ytd=ytd,
        enterprise_ids=[enterprise_id],
        options=options,
        metering=metering,
        library=library,
        enterprise_scope=enterprise_scope,
        park_id=scope.park.id,
        actor=actor,
        persist=persist,
        used=used,
    )
    return result


def _site_amount(totals: Sequence[SiteTotal], carrier: str, unit: str) -> float:
    out = 0.0
    for t in totals:
        if t.carrier != carrier:
            continue
        if units.dimension(t.unit) != units.dimension(unit):
            raise InvalidInput(
                f"{carrier} is metered in {t.unit}; the building basis needs {units.dimension(unit)}",
                field=carrier,
            )
        out += units.convert(t.value, t.unit, unit)
    return out


def account_building(
    store: Store,
    *,
    site_id: int,
    year: int,
    month: int | None = None,
    options: AccountingOptions | None = None,
    library: FactorLibrary | None = None,
    design_life_years: float | None = None,
    carbon_sink_tco2: float = 0.0,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
    persist: bool = True,
    used: UsedOptions | None = None,
) -> AccountingResult:
    """The GB/T 51366 operation-stage inventory of a site or building from its daily statistics.

    Energy of the building = Σ of the daily statistics of the site's boundary points: electricity
    used = grid + direct green + PV + storage discharge − storage charge − export; on-site
    renewable supply = PV − export (PV consumed on site); heat = steam + heat [GJ]; fuels as
    metered. Systems (HVAC, lighting …) are not metered apart, so the building is one system
    ``other``. The site needs a floor area.
    """
    library = library or default_library()
    scope = park_scope(store, park_id)
    o = _resolve(store, scope, options, None, used)
    options = o.accounting
    # an enterprise-scoped caller sees its own sites only: another enterprise's site, a park
    # building and a missing site are the same NotFound (it may not learn which ids exist)
    site = require_site(scope, site_id, enterprise_scope)
    if site.floor_area_m2 is None:
        raise InvalidInput(
            f"site {site.code} has no floor_area_m2; the building basis is per m²",
            field="floor_area_m2",
        )
    d0, d1 = local_day_numbers(year, month)
    h0, h1 = period_bounds_us(scope.tz, year, month)
    with store.begin() as conn:
        totals = AccountingRepo(store).site_totals(conn, site_id=site.id, d0=d0, d1=d1)
    metered = [
        Metered(
            owner=site.code,
            carrier=t.carrier,
            unit=t.unit,
            value=t.value,
            measured_s=t.measured_s,
            estimated_s=t.estimated_s,
            missing_s=t.missing_s,
            periods=t.days,
        )
        for t in totals
    ]
    # the fuels and heat of the building as the park/enterprise path maps them; its electricity
    # is balanced below from the daily totals, so how export splits does not enter it
    sections = build_metered(
        metered, options=dataclasses.replace(o.metering, export_kind="non_fossil")
    )
    grid = _site_amount(totals, GRID, "kWh")
    direct = _site_amount(totals, Carrier.DIRECT_GREEN.value, "kWh")
    pv = _site_amount(totals, PV, "kWh")
    export = _site_amount(totals, EXPORT, "kWh")
    charge = _site_amount(totals, Carrier.STORAGE_CHARGE.value, "kWh")
    discharge = _site_amount(totals, Carrier.STORAGE_DISCHARGE.value, "kWh")
    used_kwh = grid + direct + pv + discharge - charge - export
    notes = [
        "energy by system (HVAC, lighting, hot water, lifts) is not metered apart: the whole "
        "building is reported as system 'other' (GB/T 51366 operation stage)"
    ]
    if used_kwh < 0:
        raise InvalidInput(
            f"site {site.code}: metered electricity balance is negative ({used_kwh:.6g} kWh = grid "
            f"{grid:.6g} + direct green {direct:.6g} + PV {pv:.6g} + discharge {discharge:.6g} − "
            f"charge {charge:.6g} − export {export:.6g})",
            field="electricity",
        )
    renewable = min(max(pv - export, 0.0), used_kwh)
    heat = sum(h["gj"] for h in sections.heat_received)
    document: dict[str, Any] = {
        "boundary": "building",
        "name": site.name,
        "year": year,
        "province": scope.park.province,
        "building": {
            "floor_area_m2": site.floor_area_m2,
            "carbon_sink_tco2": carbon_sink_tco2,
            "systems": [
                {
                    "system": "other",
                    "electricity_kwh": used_kwh,
                    "renewable_kwh": renewable,
                    "heat_gj": heat,
                    "fuels": [{k: v for k, v in f.items() if k != "use"} for f in sections.fuels],
                }
            ],
        },
    }
    if design_life_years is not None:
        document["building"]["design_life_years"] = design_life_years
    activity = parse_activity(document)
    inventory = account(activity, library=library, basis="building", options=options)
    inventory = _notes(inventory, [*notes, *sections.notes, *_period_note(span_of(year, month))])
    result = AccountingResult(
        inventory=inventory,
        record=None,
        activity=activity,
        sources=tuple(sections.sources),
        green=None,
        supplements=(),
        boundary=site.code,
        month=month,
        enterprise_id=site.enterprise_id,
        period_start_us=h0,
        period_end_us=h1,
        used=o.used,
    )
    if not persist:
        return result
    now = to_us(utcnow())
    with store.begin() as conn:
        (stored,) = _store_results(
            store, conn, results=[result], scope=scope, actor=actor, now=now, metering=None
        )
    return stored


# -- supplements -----------------------------------------------------------------------------
def save_supplement(
    store: Store,
    *,
    document: Mapping[str, Any] | Activity,
    month: int | None = None,
    enterprise_id: int | None = None,
    source_document: str,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
) -> SupplementRecord:
    """Store the non-metered activity of the park (``enterprise_id`` None) or an enterprise for
    the document's year (or one ``month`` of it), with the document it comes from.

    The document is an activity file (docs/activity-file.md) whose ``boundary`` is ``park`` or
    ``enterprise`` to match, and whose items *add to* metered data — process output, fuels not
    metered (bought by invoice, feedstock, bunker), conversion, heat sent, offsets. It may not
    carry ``green_certified`` electricity (that comes from the 绿证 ledger) nor a ``building``
    section. The latest supplement of a slot applies; earlier ones stay in the store.
    """
    scope = park_scope(store, park_id)
    if enterprise_id is None:
        require_park_level(enterprise_scope, "the park's supplement")
    else:
        require_enterprise(scope, enterprise_id, enterprise_scope)
    activity = document if isinstance(document, Activity) else parse_activity(document)
    expected = "park" if enterprise_id is None else "enterprise"
    if activity.boundary != expected:
        raise InvalidInput(
            f"the supplement's boundary is {activity.boundary}; it must be {expected}",
            field="boundary",
        )
    if activity.building is not None:
        raise InvalidInput("a supplement has no building section", field="building")
    if activity.electricity.received_kwh("green_certified"):
        raise InvalidInput(
            "a supplement cannot carry green_certified electricity; retire certificates in the "
            "绿证 ledger",
            field="electricity.received",
        )
    if activity.province != normalise_province(scope.park.province):
        raise InvalidInput(
            f"the supplement's province {activity.province} is not the park's "
            f"({scope.park.province})",
            field="province",
        )
    if month is not None and not 1 <= month <= 12:
        raise InvalidInput(f"month {month} is outside 1..12", field="month")
    if not source_document.strip():
        raise InvalidInput("name the document the data comes from", field="source_document")
    data = activity.model_dump(mode="json", exclude_none=True)
    now = to_us(utcnow())
    repo = AccountingRepo(store)
    with store.begin() as conn:
        new_id = repo.add_supplement(
            conn,
            park_id=scope.park.id,
            enterprise_id=enterprise_id,
            boundary=expected,
            year=activity.year,
            month=month,
            document=data,
            source_document=source_document,
            entered_by=actor,
            entered_at=now,
        )
        store.audit.append(
            conn,
            at=now,
            actor=actor,
            action="create",
            entity="activity_supplement",
            entity_id=str(new_id),
            enterprise_id=enterprise_id,
            after={"year": activity.year, "month": month, "source_document": source_document},
        )
        found = repo.current_supplements(
            conn,
            park_id=scope.park.id,
            year=activity.year,
            month=month,
            enterprise_id=enterprise_id,
        )
    return next(s for s in found if s.id == new_id)


def list_supplements(
    store: Store, *, year: int, enterprise_scope: int | None = None, park_id: int | None = None
) -> list[SupplementRecord]:
    """Every supplement of a year the scope may see, oldest first (superseded ones included)."""
    scope = park_scope(store, park_id)
    if enterprise_scope is not None:
        require_enterprise(scope, enterprise_scope, enterprise_scope)
    return AccountingRepo(store).supplements(
        park_id=scope.park.id, year=year, enterprise_scope=enterprise_scope
    )


# -- history ---------------------------------------------------------------------------------
def history(
    store: Store,
    *,
    basis: Basis,
    boundary: str,
    year: int,
    enterprise_scope: int | None = None,
    month: int | Literal["all"] | None = "all",
    park_id: int | None = None,
) -> list[InventoryRecord]:
    """Stored results of a boundary (park, enterprise or site code) and year, newest first.

    Each record keeps its options, the ids of the factor records it used and the result with
    those records (value, source, URL), so a restated result and the one before it can both be
    explained. ``month``: ``"all"`` periods (default), None for annual results only, or one
    month. An enterprise-scoped caller sees only its own enterprise's results.
    """
    if basis not in ("park", "enterprise", "building"):
        raise InvalidInput("basis must be park, enterprise or building", field="basis")
    scope = park_scope(store, park_id)
    if enterprise_scope is not None:
        require_enterprise(scope, enterprise_scope, enterprise_scope)
    records = AccountingRepo(store).results(
        basis=basis, boundary=boundary, year=year, month=month, enterprise_scope=enterprise_scope
    )
    return [r for r in records if r.result.get("park", scope.park.code) == scope.park.code]


def get_result(
    store: Store, *, result_id: int, enterprise_scope: int | None = None
) -> InventoryRecord:
    """One stored result; ``NotFound`` if absent or outside the caller's scope."""
    return AccountingRepo(store).result(result_id, enterprise_scope=enterprise_scope)


__all__ = [
    "AccountingResult",
    "account_building",
    "account_enterprise",
    "account_enterprises",
    "account_park",
    "account_park_and_enterprises",
    "get_result",
    "history",
    "list_supplements",
    "save_supplement",
]
