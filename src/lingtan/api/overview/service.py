"""The overview of a scope (the park, or the caller's enterprise) for a day, its month and
its year to date; the energy flow (Sankey) in tce; per-meter data quality.

Figures come from the domain services — :func:`lingtan.indicators.energy.energy_statistics`
for months and years (physical units, tce, electricity balance, clean-energy and
green-electricity shares, quality), :mod:`lingtan.accounting` for emissions,
:func:`lingtan.indicators.evaluate.evaluate` for the 1+5 indicators — and from the daily
statistics of boundary points for the day. Nothing here computes a figure of its own beyond
sums of those. Views are cached by data version (see :mod:`lingtan.api.overview.cache`): one
computation per view at a time, the previous answer served meanwhile, so after new data a
view lags by the time of one recomputation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from lingtan import accounting
from lingtan.api.overview.cache import VersionedCache
from lingtan.carbon.factors import default_library
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators.energy import (
    ROLES,
    Coefficients,
    EnergyStatistics,
    carrier_name,
    energy_statistics,
)
from lingtan.indicators.evaluate import evaluate
from lingtan.ingest import REASONS
from lingtan.normalize.quality import flag_names, label
from lingtan.options import service as park_options
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant

T = TypeVar("T")
_EPOCH = dt.date(1970, 1, 1)
#: how long a read of the store's data version is reused by the view cache [s]
VERSION_TTL_S = 1.0
#: a stale view is recomputed at most this often [s]: with readings arriving every second
#: back-to-back recomputations would keep a core of a 2-core machine busy (bench/api.py --live)
MIN_REFRESH_S = 5.0
#: carriers of the Sankey's source side, in display order
FLOW_SOURCES = (
    "electricity_grid_import",
    "direct_green_electricity",
    "pv_generation",
    "storage_discharge",
    "natural_gas",
    "steam",
    "heat",
    "diesel",
    "gasoline",
    "coal",
)


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def scope_enterprise(store: Store, principal: Principal, enterprise_id: int | None) -> int | None:
    """The enterprise a view is about: the caller's own for enterprise users (asking for
    another is 404), any or none (the park) for park-wide callers."""
    require(principal, Permission.READ)
    q = QueryRepo(store)
    if enterprise_id is not None:
        q.enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)
        return enterprise_id
    return principal.enterprise_id


def _shares(value_s: float, measured: float, estimated: float, missing: float) -> dict[str, float]:
    total = measured + estimated + missing
    if total <= 0:
        return {"measured": 0.0, "estimated": 0.0, "missing": 1.0}
    return {
        "measured": measured / total,
        "estimated": estimated / total,
        "missing": missing / total,
    }


def _day_carriers(
    store: Store, tenant: Tenant, park_id: int, enterprise_id: int | None, day: int, lang: str
) -> list[dict[str, Any]]:
    rows = QueryRepo(store).carrier_days(
        tenant=tenant, park_id=park_id, first_day=day, end_day=day + 1, enterprise_id=enterprise_id
    )
    merged: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        acc = merged.setdefault((r["carrier"], r["unit"]), [0.0, 0.0, 0.0, 0.0, 0.0])
        acc[0] += r["value"] or 0.0
        acc[1] += r["measured_s"]
        acc[2] += r["estimated_s"]
        acc[3] += r["missing_s"]
        acc[4] += r["points"]
    out = []
    for (carrier, unit), (value, meas, est, miss, points) in sorted(merged.items()):
        out.append(
            {
                "carrier": carrier,
                "name": carrier_name(carrier, "zh" if lang == "zh-CN" else "en"),
                "role": ROLES.get(carrier, ROLES["other"]).role,
                "value": value,
                "unit": unit,
                "tce": None,
                "quality": _shares(0, meas, est, miss),
                "points": int(points),
            }
        )
    return out


def _carbon(
    store: Store, park_id: int, scope: int | None, year: int, month: int | None
) -> dict[str, Any]:
    """Emissions of the scope for a year or a month, computed from the store (not stored); a
    period without energy data (a park just loaded, a month not begun) has no value."""
    if scope is None:
        try:
            result = accounting.account_park(
                store, year=year, month=month, persist=False, park_id=park_id
            )
        except InvalidInput as err:
            if err.field != "energy_consumption":
                raise
            return {
                "basis": "park",
                "year": year,
                "month": month,
                "total_tco2": None,
                "by_source_tco2": {},
                "intensity_tco2_per_tce": None,
                "scope2_location_tco2": None,
                "scope2_market_tco2": None,
                "energy_tce": None,
                "factor_ids": [],
                "note": "期间无能源数据 / no energy data in the period",
            }
    else:
        result = accounting.account_enterprise(
            store,
            enterprise_id=scope,
            year=year,
            month=month,
            enterprise_scope=scope,
            persist=False,
            park_id=park_id,
        )
    d = result.as_dict()
    emissions = d["emissions_tco2"]
    return {
        "basis": d["basis"],
        "year": year,
        "month": month,
        "total_tco2": emissions["total"],
        "by_source_tco2": {k: v for k, v in emissions.items() if k != "total"},
        "intensity_tco2_per_tce": d["intensity_tco2_per_tce"],
        "scope2_location_tco2": d["scope2_location_tco2"],
        "scope2_market_tco2": d["scope2_market_tco2"],
        "energy_tce": d["energy_tce"],
        "factor_ids": list(result.inventory.factor_ids),
        "park_options_version": None if result.used is None else result.used.base.version,
    }


def _period(stats: EnergyStatistics, lang: str) -> dict[str, Any]:
    zh = lang == "zh-CN"
    return {
        "label": stats.period.label,
        "first": stats.period.first.isoformat(),
        "last": stats.period.last.isoformat(),
        "total_tce": stats.total_tce,
        "onsite_renewable_tce": stats.onsite_renewable_tce,
        "carriers": [
            {
                "carrier": c.carrier,
                "name": c.name_zh if zh else c.name_en,
                "role": c.role,
                "value": c.value,
                "unit": c.unit,
                "tce": c.tce,
                "quality": {
                    "measured": c.quality.measured,
                    "estimated": c.quality.estimated,
                    "missing": c.quality.missing,
                },
                "points": c.points,
            }
            for c in stats.carriers
        ],
        "electricity": stats.electricity.as_dict(),
        "clean_energy_share": stats.clean.share,
        "green_electricity_share": stats.electricity.green_share,
        "quality": stats.quality.as_dict(),
        "months": [
            {"month": m.month, "tce": m.tce, "electricity_kwh": m.electricity_kwh}
            for m in stats.months
        ],
        "notes": list(stats.notes),
    }


def overview(
    store: Store,
    *,
    principal: Principal,
    as_of: dt.date | None = None,
    enterprise_id: int | None = None,
    lang: str = "zh-CN",
    cache: VersionedCache | None = None,
) -> dict[str, Any]:
    """The overview of the caller's scope (or, for park-wide callers, of one enterprise)."""
    scope = scope_enterprise(store, principal, enterprise_id)
    park_id = store.registry.park(principal.park_id).id
    return cached(
        store,
        cache,
        ("overview", park_id, principal.tenant.enterprise_id, scope, as_of, lang),
        lambda: _compute_overview(store, principal.tenant, park_id, scope, as_of, lang),
        reads=True,
    )


def cached(
    store: Store,
    cache: VersionedCache | None,
    key: tuple[Any, ...],
    compute: Callable[[], T],
    *,
    reads: bool = False,
) -> T:
    """``compute()`` through the view cache (computed directly without one): one computation
    of ``key`` at a time, the previous value served while the data version has moved on.
    The park options' version is part of the key: a view computed under other options is
    never served, not even stale. Callers check permission and scope before, and ``key``
    names the caller's tenant and the view's scope.

    ``reads``: the view only reads; it is computed in one read transaction
    (:meth:`Store.reads`). The overview makes a few hundred small reads (registry, rollups,
    factors, certificates): each in a transaction of its own cost three round trips and as
    many GIL hand-overs on PostgreSQL, and while a view was recomputed every 5 s under a live
    feed the requests served meanwhile waited — p95 0.7–0.8 s at 200 overview requests/s
    (bench/api.py --live), 25 ms in one transaction, 15 ms with no recomputation. On SQLite
    the same row varied between 18 and 262 ms either way from run to run."""
    if reads:
        compute = _in_one_read(store, compute)
    if cache is None:
        return compute()
    q = QueryRepo(store)
    # both stored versions in one statement, reused for VERSION_TTL_S by every request:
    # a cached answer then costs no database round trip of its own (20 closed-loop clients
    # wait for each other's round trips: latency = clients / throughput)
    options_version, data_version = cache.data_version(q.versions)
    return cache.get_or_compute(
        (*key, park_options.local_changes(), options_version),
        data_version,
        compute,
        stale_ok=True,
        current_version=q.data_version,
    )


def _in_one_read(store: Store, compute: Callable[[], T]) -> Callable[[], T]:
    def run() -> T:
        with store.reads():
            return compute()

    return run


def _compute_overview(
    store: Store,
    tenant: Tenant,
    park_id: int,
    scope: int | None,
    as_of: dt.date | None,
    lang: str,
) -> dict[str, Any]:
    park = store.registry.park(park_id)
    tz = ZoneInfo(park.timezone)
    q = QueryRepo(store)
    if as_of is None:
        last = q.latest_day(tenant=tenant if scope is None else Tenant(scope), park_id=park.id)
        as_of = _EPOCH + dt.timedelta(days=last) if last is not None else dt.datetime.now(tz).date()
    if not 2000 <= as_of.year <= 2100:
        raise InvalidInput("date: years 2000–2100", field="date")
    month = energy_statistics(
        store, year=as_of.year, month=as_of.month, enterprise_id=scope, park_id=park.id
    )
    ytd = energy_statistics(
        store, year=as_of.year, month=as_of.month, ytd=True, enterprise_id=scope, park_id=park.id
    )
    ent = None if scope is None else q.enterprise(tenant=tenant, enterprise_id=scope)
    carbon = {
        "year": _carbon(store, park.id, scope, as_of.year, None),
        "month": _carbon(store, park.id, scope, as_of.year, as_of.month),
    }
    evaluation = evaluate(
        store, year=as_of.year, month=as_of.month, ytd=True, enterprise_id=scope, park_id=park.id
    )
    indicators = [
        {
            "id": r.spec.id,
            "name": r.spec.name_zh if lang == "zh-CN" else r.spec.name_en,
            "kind": r.spec.kind,
            "value": r.value,
            "unit": r.spec.unit,
            "comparator": None if r.target is None else r.target.comparator,
            "target": None if r.target is None else r.target.value,
            "status": r.status,
            "reason": r.reason_zh if lang == "zh-CN" else r.reason_en,
        }
        for r in evaluation.indicators
    ]
    rejected = q.rejected_by_reason(tenant=tenant if scope is None else Tenant(scope))
    return {
        "scope": {
            "kind": "park" if scope is None else "enterprise",
            "enterprise_id": scope,
            "code": park.code if ent is None else ent.code,
            "name": park.name if ent is None else ent.name,
        },
        "park": {"code": park.code, "name": park.name, "timezone": park.timezone},
        "as_of": as_of.isoformat(),
        "day": {
            "date": as_of.isoformat(),
            "carriers": _day_carriers(store, tenant, park.id, scope, _day(as_of), lang),
        },
        "month": _period(month, lang),
        "year": _period(ytd, lang),
        "carbon": carbon,
        "indicators": indicators,
        "quarantine": {
            "total": sum(rejected.values()),
            "by_reason": rejected,
            "reason_texts": {k: REASONS.get(k, k) for k in rejected},
        },
    }


def energy_flow(
    store: Store,
    *,
    principal: Principal,
    year: int,
    month: int | None = None,
    enterprise_id: int | None = None,
    lang: str = "zh-CN",
    cache: VersionedCache | None = None,
) -> dict[str, Any]:
    """Energy flows of the period in tce, from supplies (grid, direct green, PV, storage,
    gas, steam …) to owners (enterprises, the park's own assets) and out (export, storage
    charge), for a Sankey diagram."""
    scope = scope_enterprise(store, principal, enterprise_id)
    park_id = store.registry.park(principal.park_id).id
    return cached(
        store,
        cache,
        ("flow", park_id, principal.tenant.enterprise_id, scope, year, month, lang),
        lambda: _compute_flow(store, principal.tenant, park_id, scope, year, month, lang),
        reads=True,
    )


def _compute_flow(
    store: Store,
    tenant: Tenant,
    park_id: int,
    scope: int | None,
    year: int,
    month: int | None,
    lang: str,
) -> dict[str, Any]:
    zh = lang == "zh-CN"
    stats = energy_statistics(store, year=year, month=month, enterprise_id=scope, park_id=park_id)
    park = store.registry.park(park_id)
    options = stats.options  # the park's options, as the statistics used them
    elec = Coefficients(default_library(), options.electricity_conversion, year).get("electricity")
    nodes: list[dict[str, Any]] = []
    index: dict[str, int] = {}

    def node(key: str, name: str, kind: str) -> int:
        if key not in index:
            index[key] = len(nodes)
            nodes.append({"key": key, "name": name, "kind": kind})
        return index[key]

    links: list[dict[str, Any]] = []
    d0, d1 = stats.period.day_numbers
    storage = QueryRepo(store).carrier_days(
        tenant=tenant, park_id=park.id, first_day=d0, end_day=d1, enterprise_id=scope
    )
    storage_kwh: dict[tuple[int, str], float] = {}
    for r in storage:
        if r["carrier"] in ("storage_charge", "storage_discharge") and r["unit"] == "kWh":
            key = (int(r["enterprise_key"]), r["carrier"])
            storage_kwh[key] = storage_kwh.get(key, 0.0) + (r["value"] or 0.0)
    for owner in stats.owners:
        okey = f"owner:{owner.enterprise_id or 0}"
        # on-site PV is one of the owner's carriers (in its tce)
        flows: list[tuple[str, float]] = [(c, t) for c, t in owner.tce_by_carrier.items()]
        if elec is not None:
            for carrier in ("storage_discharge", "storage_charge"):
                kwh = storage_kwh.get((owner.enterprise_id or 0, carrier), 0.0)
                if kwh > 0:
                    flows.append(
                        (
                            carrier,
                            elec.tce(kwh, "kWh") * (1 if carrier == "storage_discharge" else -1),
                        )
                    )
        for carrier, t in sorted(
            flows, key=lambda f: FLOW_SOURCES.index(f[0]) if f[0] in FLOW_SOURCES else 99
        ):
            if abs(t) < 1e-9:
                continue
            o = node(okey, owner.name, "owner")
            c = node(
                f"carrier:{carrier}",
                carrier_name(carrier, "zh" if zh else "en"),
                "sink" if t < 0 else "source",
            )
            links.append(
                {"source": c, "target": o, "value": t, "carrier": carrier}
                if t > 0
                else {"source": o, "target": c, "value": -t, "carrier": carrier}
            )
    circular = _circular_links(store, park_id, scope, year, month, node)
    return {
        "period": {
            "year": year,
            "month": month,
            "first": stats.period.first.isoformat(),
            "last": stats.period.last.isoformat(),
        },
        "unit": "tce",
        "conversion": options.electricity_conversion,
        "nodes": nodes,
        "links": links,
        "circular": circular,
        "total_tce": stats.total_tce,
    }


def _circular_links(
    store: Store,
    park_id: int,
    scope: int | None,
    year: int,
    month: int | None,
    node: Callable[[str, str, str], int],
) -> list[dict[str, Any]]:
    """The circular-economy and carbon-complementarity projects' flows between enterprises
    (:func:`lingtan.programme.records.circular_flows`) as links between owner nodes: the
    quantity and its basis, the avoided energy and carbon. They are not part of
    ``total_tce`` (the flows are inside the park: each is already in its receiver's or its
    supplier's metered energy, or declared)."""
    from lingtan.programme.records import circular_flows

    if month is None:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    else:
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    names = {e.id: e.name for e in store.registry.enterprises(park_id)}
    out = []
    for f in circular_flows(store, park_id, scope=scope, first=first, last=last):
        s, r = f["supplier_id"], f["receiver_id"]
        out.append(
            {
                **f,
                "source": node(f"owner:{s}", names.get(s, str(s)), "owner"),
                "target": node(f"owner:{r}", names.get(r, str(r)), "owner"),
                "supplier": names.get(s, str(s)),
                "receiver": names.get(r, str(r)),
            }
        )
    return out


def meter_quality(
    store: Store,
    *,
    principal: Principal,
    first: dt.date | None,
    last: dt.date | None,
    cache: VersionedCache | None = None,
) -> list[dict[str, Any]]:
    """Per metering point in scope over [first, last]: quality shares, days flagged, the
    events seen (gap, reset, spike …), and the time of the last reading. Default: the year
    to date of the last day with data."""
    require(principal, Permission.READ)
    return cached(
        store,
        cache,
        ("meters", principal.park_id, principal.tenant.enterprise_id, first, last),
        lambda: _compute_meter_quality(store, principal=principal, first=first, last=last),
        reads=True,
    )


def _compute_meter_quality(
    store: Store,
    *,
    principal: Principal,
    first: dt.date | None,
    last: dt.date | None,
) -> list[dict[str, Any]]:
    park = store.registry.park(principal.park_id)
    if last is None:
        n = QueryRepo(store).latest_day(tenant=principal.tenant, park_id=park.id)
        last = (
            _EPOCH + dt.timedelta(days=n)
            if n is not None
            else dt.datetime.now(ZoneInfo(park.timezone)).date()
        )
    if first is None:
        first = last.replace(month=1, day=1)
    if last < first:
        raise InvalidInput("end is before start", field="end")
    if (last - first).days > 400:
        raise InvalidInput("at most 400 days", field="end")
    rows = QueryRepo(store).point_quality(
        tenant=principal.tenant, park_id=park.id, first_day=_day(first), end_day=_day(last) + 1
    )
    expected = ((last - first).days + 1) * 86_400.0
    out = []
    for r in rows:
        meas = float(r["measured_s"] or 0.0)
        est = float(r["estimated_s"] or 0.0)
        known_miss = float(r["missing_s"] or 0.0)
        miss = max(known_miss, expected - meas - est)
        out.append(
            {
                "code": r["code"],
                "name": r["name"],
                "enterprise_id": r["enterprise_id"],
                "carrier": r["carrier"],
                "kind": r["kind"],
                "unit": r["unit"],
                "virtual": r["formula"] is not None,
                "days": int(r["days"] or 0),
                "quality": label(meas, est, miss).value,
                "measured_share": meas / expected,
                "estimated_share": est / expected,
                "missing_share": miss / expected,
                "estimated_hours": est / 3600.0,
                "flagged_days": int(r["flagged_days"] or 0),
                "flags": flag_names(int(r["flags"])),
                "last_reading_us": r["last_ts"],
            }
        )
    return out
