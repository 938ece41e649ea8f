"""Green-power matching over the store: inputs from the hourly rollups and the 绿证 ledger,
the matching of a park-local year, its monthly summary and one owner's hours; hourly
grid-factor series imported with their provenance. No web framework here.

Consumers are the park's own load (owner key 0) and every enterprise. An owner's end-use
consumption in an hour is its energy balance at its boundary meters:

    L = grid import + direct supply + PV generation − export − storage charge + storage discharge

Green supply, in the merit order of :mod:`allocate`:

* an enterprise's own PV serves that enterprise (it is behind its meter); the park's PV less
  what the park exported in the hour is the park pool, shared among all consumers by the rule
  (园区内就近消纳);
* direct supply (绿电直连) metered at an owner's incoming line serves that owner;
* the park's storage discharges the green share it was charged with (from park PV left over);
* green-power trade settlements (绿电交易, monthly) and certificates retired without a trade
  (绿证, pro rata over the months of the claimed period, as the carbon accounting counts
  them) serve their buyer/claimant — spread evenly over the hours of each month, since
  neither carries an hourly profile; a park-level one joins the pool.

A trade settlement that carries certificates is counted once, as the trade (its certificates
are the trade's proof, not a second supply). A settlement whose buyer is no longer in the park
is not matched and is reported (``trades_outside_kwh``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from lingtan import units
from lingtan.accounting.scope import ParkScope, park_scope, require_enterprise, require_park_level
from lingtan.carbon.factors import FactorRecord, FactorSeries, default_library, normalise_province
from lingtan.errors import InvalidInput, NotFound
from lingtan.greenpower.counting import count_green
from lingtan.greenpower.ledger import Month, Period, Retirement
from lingtan.greenpower.matching.allocate import (
    PHYSICAL,
    SOURCES,
    MatchingInput,
    MatchingResult,
    Rule,
    aggregate_months,
    match_hourly,
    match_monthly,
)
from lingtan.greenpower.matching.intensity import (
    hourly_matched_emissions,
    intensity,
    location_emissions,
    market_emissions,
)
from lingtan.greenpower.matching.ratios import year_to_date_checks
from lingtan.greenpower.matching.rules import thresholds_in_force
from lingtan.greenpower.matching.spread import spread_over_month_hours
from lingtan.greenpower.matching.storage import StorageFlows
from lingtan.parsing import hourly_csv
from lingtan.store import Store
from lingtan.store.greenpower_repo import GreenpowerRepo
from lingtan.store.matching_repo import MatchingRepo, boundary_meters, is_energy
from lingtan.timeutil import HOUR_US, month_bounds_us, to_us, utcnow, year_bounds_us

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

GRID, DIRECT, PV = "electricity_grid_import", "direct_green_electricity", "pv_generation"
EXPORT, CHARGE, DISCHARGE = "electricity_export", "storage_charge", "storage_discharge"
CARRIERS = (GRID, DIRECT, PV, EXPORT, CHARGE, DISCHARGE)
#: the energy balance of an owner's boundary: carrier → sign
BALANCE = {GRID: 1.0, DIRECT: 1.0, PV: 1.0, EXPORT: -1.0, CHARGE: -1.0, DISCHARGE: 1.0}

Progress = Callable[[str, int, int], None]


# -- inputs --------------------------------------------------------------------------------------
@dataclass
class ParkHours:
    """A park's hourly energy for one local year [kWh], consumers in rows."""

    scope: ParkScope
    year: int
    hours: I64
    #: local month (0..11) of each hour
    month_of_hour: I64
    #: owner key of each row: 0 for the park, then enterprise ids by code
    owners: list[int]
    codes: list[str]
    flows: dict[str, F64]
    #: hours of each row without a complete grid-import value (no rollup, an unknown one, or
    #: one that misses some of the owner's boundary grid meters)
    missing_hours: I64
    #: per row: carrier → hours with a rollup that is incomplete (a boundary meter without a
    #: value, read as 0 kWh)
    unknown_hours: list[dict[str, int]]
    #: hours whose balance came out negative (meters disagree) and kWh set to zero there
    negative_hours: I64
    negative_kwh: F64
    trades: F64
    pooled_trades: F64
    certificates: F64
    pooled_certificates: F64
    #: certificate energy claimed for this year by a claimant no longer in the park [kWh]
    certificates_outside_kwh: float
    #: trade settlements of the year whose buyer is no longer in the park [kWh]
    trades_outside_kwh: float = 0.0
    #: per row: the available generation of its direct-supply projects (None: no direct line)
    generation: list[Generation | None] = field(default_factory=list)

    @property
    def load(self) -> F64:
        """End-use consumption per row and hour [kWh] (the balance, negatives at zero)."""
        out = np.zeros((len(self.owners), self.hours.size))
        for carrier, sign in BALANCE.items():
            out += sign * self.flows[carrier]
        return np.maximum(out, 0.0)


@dataclass(frozen=True)
class Generation:
    """The available generation of an owner's direct-supply projects, from the generation
    meters its lines declare (``generation_point``): kWh per hour, NaN where a meter has no
    complete reading; ``hourly`` None with ``missing`` saying why when it cannot be metered."""

    hourly: F64 | None
    missing: str | None
    points: tuple[str, ...] = ()


def read_generation(
    store: Store, scope: ParkScope, owners: Sequence[int], h0: int, h1: int
) -> list[Generation | None]:
    """Per owner: the hourly energy of the generation meters its direct-supply lines declare.

    An owner without a direct-supply energy line gets None; one with a line that declares no
    generation meter gets no series (``missing`` names the lines): the available generation is
    then not known, never taken from a stand-in. An hour is known only when every generation
    meter of the owner has a complete reading (a value, nothing missing).
    """
    points = store.registry.points_current()
    n = (h1 - h0) // HOUR_US
    lines: dict[int, list[Any]] = {}
    for p in points.values():
        if p.park_id == scope.park.id and p.carrier == DIRECT and p.boundary and is_energy(p.unit):
            lines.setdefault(p.enterprise_key, []).append(p)
    out: list[Generation | None] = []
    for key in owners:
        own = sorted(lines.get(key, []), key=lambda p: p.code)
        if not own:
            out.append(None)
            continue
        undeclared = [p.code for p in own if p.generation_point is None]
        if undeclared:
            out.append(
                Generation(
                    None,
                    "available_generation: no generation meter declared for "
                    + ", ".join(undeclared)
                    + " (generation_point in the park file)",
                )
            )
            continue
        gens = sorted({p.generation_point for p in own if p.generation_point in points})
        got = store.stats.hours(None, [points[g].id for g in gens], h0, h1)
        total = np.zeros(n)
        known = np.ones(n, dtype=bool)
        for g in gens:
            pt = points[g]
            rows = got.get(pt.id)
            mask = np.zeros(n, dtype=bool)
            if rows is not None:
                idx = ((rows["hours"] - h0) // HOUR_US).astype(np.int64)
                value = np.asarray(rows["value"], np.float64)
                ok = np.isfinite(value) & (np.asarray(rows["missing_s"], np.float64) <= 1e-6)
                mask[idx[ok]] = True
                np.add.at(total, idx[ok], value[ok] * units.factor(pt.unit, "kWh"))
            known &= mask
        out.append(Generation(np.where(known, total, np.nan), None, tuple(gens)))
    return out


def _months(scope: ParkScope, year: int, hours: I64) -> I64:
    starts = np.array([month_bounds_us(year, m, scope.tz)[0] for m in range(1, 13)], np.int64)
    return (np.searchsorted(starts, hours, side="right") - 1).astype(np.int64)


def read_park_hours(store: Store, scope: ParkScope, year: int) -> ParkHours:
    """Everything matching needs of one park-local year, from the rollups and the ledger."""
    h0, h1 = year_bounds_us(year, scope.tz)
    hours = np.arange(h0, h1, HOUR_US, dtype=np.int64)
    month_of_hour = _months(scope, year, hours)
    enterprises = sorted(scope.enterprises.values(), key=lambda e: e.code)
    owners = [0, *(e.id for e in enterprises)]
    codes = [scope.park.code, *(e.code for e in enterprises)]
    row = {k: i for i, k in enumerate(owners)}
    n = len(owners)
    flows = {c: np.zeros((n, hours.size)) for c in CARRIERS}
    for series in MatchingRepo(store).carrier_hours(
        park_id=scope.park.id, h0=h0, h1=h1, carriers=CARRIERS
    ):
        if units.dimension(series.unit) != "energy" or series.enterprise_key not in row:
            continue  # power (kW) points are measurements, not energy
        idx = ((series.hours - h0) // HOUR_US).astype(np.int64)
        r = row[series.enterprise_key]
        np.add.at(flows[series.carrier][r], idx, series.values * units.factor(series.unit, "kWh"))
    # boundary energy meters per owner × carrier × unit: an hour is known only when complete
    meters = boundary_meters(store, park_id=scope.park.id, carriers=CARRIERS, unit_ok=is_energy)
    known = MatchingRepo(store).known_hours(park_id=scope.park.id, h0=h0, h1=h1, meters=meters)
    unknown_hours: list[dict[str, int]] = [{} for _ in owners]
    missing = np.full(n, hours.size, dtype=np.int64)
    for (key, carrier), (rows_, complete) in known.items():
        if key not in row:
            continue
        if rows_ > complete:
            unknown_hours[row[key]][carrier] = rows_ - complete
        if carrier == GRID:
            missing[row[key]] = hours.size - complete
    balance = sum((sign * flows[c] for c, sign in BALANCE.items()), np.zeros((n, hours.size)))
    negative = balance < 0

    # ledger: trades by settlement month, certificates by claimed months (without a trade)
    code_row = {c: i for i, c in enumerate(codes)}
    repo = GreenpowerRepo(store)
    month_keys = year * 12 + month_of_hour
    trades, pooled_trades = np.zeros((n, hours.size)), np.zeros(hours.size)
    trades_outside = 0.0
    for st in repo.settlements(park=scope.park.code, buyers=None):
        if st.month.year != year:
            continue
        hourly, _ = spread_over_month_hours(
            [st.month.year * 12 + st.month.month - 1], [st.kwh], month_keys
        )
        if st.level == "park":
            pooled_trades += hourly
        elif st.buyer in code_row:
            trades[code_row[st.buyer]] += hourly
        else:
            trades_outside += st.kwh  # a buyer no longer in the park: reported, not matched
    certs, pooled_certs = np.zeros((n, hours.size)), np.zeros(hours.size)
    outside = 0.0
    # certificates counted as the carbon accounting counts them (greenpower.counting): each
    # retirement's 1 000 kWh pro rata over the months of its claimed period, so a retirement
    # crossing the year counts its months of this year here and the rest in the other year
    by_target: dict[int, list[Retirement]] = {}
    year_period = Period(Month(year, 1), Month(year, 12))
    for c in repo.certificates(
        park_id=scope.park.id, park=scope.park.code, enterprise_scope=None, claimant=None
    ):
        r_ = c.retirement
        if r_ is None or r_.settlement_id is not None:
            continue
        if r_.period.overlap_months(year_period) == 0:
            continue
        target = -1 if r_.level == "park" else code_row.get(r_.claimant)
        if target is None:
            # a claimant no longer in the park: its share of this year is reported
            outside += count_green([r_], [], year_period).certified_kwh
            continue
        by_target.setdefault(target, []).append(r_)
    for target, retirements in by_target.items():
        keys = [year * 12 + m - 1 for m in range(1, 13)]
        kwh = [
            count_green(retirements, [], Period(Month(year, m), Month(year, m))).certified_kwh
            for m in range(1, 13)
        ]
        hourly, _ = spread_over_month_hours(keys, kwh, month_keys)
        if target == -1:
            pooled_certs += hourly
        else:
            certs[target] += hourly
    return ParkHours(
        scope=scope,
        year=year,
        hours=hours,
        month_of_hour=month_of_hour,
        owners=owners,
        codes=codes,
        flows=flows,
        missing_hours=missing,
        unknown_hours=unknown_hours,
        negative_hours=negative.sum(axis=1).astype(np.int64),
        negative_kwh=np.where(negative, -balance, 0.0).sum(axis=1),
        trades=trades,
        pooled_trades=pooled_trades,
        certificates=certs,
        pooled_certificates=pooled_certs,
        certificates_outside_kwh=outside,
        trades_outside_kwh=trades_outside,
        generation=read_generation(store, scope, owners, h0, h1),
    )


def matching_input(
    data: ParkHours,
    *,
    rule: Rule = "pro_rata",
    priority: Sequence[str] | None = None,
    storage_efficiency: float | None = None,
) -> tuple[MatchingInput, dict[str, Any]]:
    """The arrays of :func:`match_hourly` and how the storage efficiency was chosen."""
    f = data.flows
    own = np.ones(len(data.owners), dtype=bool)
    own[0] = False  # row 0 is the park: its PV is the pool
    dedicated = {
        "pv": np.where(own[:, None], f[PV], 0.0),
        "direct": f[DIRECT],
        "trade": data.trades,
        "certificate": data.certificates,
    }
    pooled = {
        # the park's PV that left through its export meter is no longer in the park: only
        # generation minus export is offered (each kWh counted once)
        "pv": np.maximum(f[PV][0] - f[EXPORT][0], 0.0),
        "trade": data.pooled_trades,
        "certificate": data.pooled_certificates,
    }
    charge, discharge = f[CHARGE][0], f[DISCHARGE][0]
    storage = None
    basis: dict[str, Any] = {"present": bool(charge.sum() > 0 or discharge.sum() > 0)}
    if basis["present"]:
        if storage_efficiency is None:
            if charge.sum() <= 0 or discharge.sum() > charge.sum():
                raise InvalidInput(
                    "the park storage's round-trip efficiency cannot be measured from its meters "
                    f"(charged {charge.sum():.0f} kWh, discharged {discharge.sum():.0f} kWh); "
                    "give storage_efficiency",
                    field="storage_efficiency",
                )
            storage_efficiency = float(discharge.sum() / charge.sum())
            basis["efficiency_source"] = "measured: Σ discharge ÷ Σ charge over the year"
        else:
            basis["efficiency_source"] = "given"
        basis["efficiency"] = storage_efficiency
        storage = StorageFlows(charge=charge, discharge=discharge, efficiency=storage_efficiency)
    order = None
    if rule == "priority":
        if not priority:
            raise InvalidInput(
                "rule priority needs the consumers in order (codes)", field="priority"
            )
        index = {c: i for i, c in enumerate(data.codes)}
        unknown = [c for c in priority if c not in index]
        if unknown:
            raise InvalidInput(f"unknown consumers in priority: {unknown}", field="priority")
        listed = [index[c] for c in priority]
        if len(set(listed)) != len(listed):
            raise InvalidInput("a consumer is listed twice in priority", field="priority")
        # consumers not listed follow in code order
        order = listed + [i for i in range(len(data.codes)) if i not in set(listed)]
    return (
        MatchingInput(
            load=data.load,
            dedicated=dedicated,
            pooled=pooled,
            storage=storage,
            rule=rule,
            priority=order,
        ),
        basis,
    )


# -- factors -------------------------------------------------------------------------------------
def _latest_record(year: int, *, scope: str, region: str, basis: str) -> FactorRecord | None:
    lib = default_library()
    years = [
        y
        for y in lib.years(
            "grid_electricity", "electricity", scope=scope, region=region, basis=basis
        )
        if y <= year
    ]
    if not years:
        return None
    return lib.lookup(
        "grid_electricity", "electricity", scope=scope, region=region, basis=basis, year=years[-1]
    )


def grid_factors(
    store: Store, scope: ParkScope, year: int, hours: I64
) -> tuple[F64, dict[str, Any], float, dict[str, Any]]:
    """Hourly location factor [kgCO2/kWh] with its basis, and the residual-mix factor.

    An hourly series the park imported for its province and the year, on the average basis,
    covers the hours it has — of several, the one covering most hours of the year (the latest
    import on a tie), named in the basis with the others it was chosen from; the other hours
    take the latest published annual average factor of the province (or, where the province
    has none, the national one) — each labelled.
    """
    province = normalise_province(scope.park.province)
    annual = _latest_record(year, scope="province", region=province, basis="average")
    if annual is None:
        annual = _latest_record(year, scope="national", region="全国", basis="average")
    if annual is None:
        raise NotFound(f"no annual grid factor up to {year}")
    factor = np.full(hours.size, annual.value)
    covered = np.zeros(hours.size, dtype=bool)
    used_series: dict[str, Any] | None = None
    candidates: list[str] = []
    best: tuple[int, int, FactorSeries, I64, NDArray[np.bool_]] | None = None
    stored = MatchingRepo(store).series(
        park_id=scope.park.id, region=province, year=year, basis="average"
    )
    for order, row in enumerate(stored):
        series = FactorSeries.model_validate(row.payload)
        assert series.start is not None
        candidates.append(series.id)
        offset = hours - to_us(series.start)
        index = offset // HOUR_US
        mask = (index >= 0) & (index < len(series.values)) & (offset % HOUR_US == 0)
        # most hours of the year covered; on a tie the later import
        if best is None or (int(mask.sum()), order) > best[:2]:
            best = (int(mask.sum()), order, series, index, mask)
    if best is not None and best[0] > 0:
        _, _, series, index, covered = best
        factor[covered] = np.asarray(series.values)[index[covered]]
        used_series = series.brief()
    basis = {
        "label": "hourly" if covered.all() else ("hourly+annual" if covered.any() else "annual"),
        "hours_hourly": int(covered.sum()),
        "hours_annual": int((~covered).sum()),
        "series": used_series,
        "series_candidates": candidates,
        "series_rule": "the park's series for its province and year on the average basis "
        "covering most hours (latest import on a tie)",
        "annual": annual.brief(),
        "annual_note": None
        if annual.year == year
        else f"no {year} factor published; the latest ({annual.year}) is used",
    }
    residual = _latest_record(
        year, scope="national", region="全国", basis="excluding_market_non_fossil"
    )
    if residual is None:
        raise NotFound(f"no residual-mix grid factor up to {year}")
    return factor, basis, residual.value, residual.brief()


# -- the run -------------------------------------------------------------------------------------
@dataclass
class MatchingRun:
    """A park-local year matched, with what a caller in ``enterprise_scope`` may see."""

    data: ParkHours
    inp: MatchingInput
    hourly: MatchingResult
    monthly: MatchingResult
    factor: F64
    factor_basis: dict[str, Any]
    residual_factor: float
    residual_basis: dict[str, Any]
    storage_basis: dict[str, Any]
    enterprise_scope: int | None
    emissions: dict[str, F64] = field(default_factory=dict)

    def rows_in_scope(self) -> list[int]:
        """Consumer rows the caller may see."""
        if self.enterprise_scope is None:
            return list(range(len(self.data.owners)))
        return [i for i, k in enumerate(self.data.owners) if k == self.enterprise_scope]


def _carry_storage_state(
    store: Store,
    scope: ParkScope,
    year: int,
    inp: MatchingInput,
    *,
    rule: Rule,
    priority: Sequence[str] | None,
    basis: dict[str, Any],
) -> MatchingInput:
    """Start the park storage with the energy and green part it held at the end of the
    previous year, from that year's matching (which itself starts empty, with this year's
    efficiency); recorded in ``basis``."""
    assert inp.storage is not None
    energy = green = 0.0
    source = "empty: no storage flows in the previous year"
    prev = read_park_hours(store, scope, year - 1)
    if prev.flows[CHARGE][0].sum() > 0 or prev.flows[DISCHARGE][0].sum() > 0:
        prev_inp, _ = matching_input(
            prev, rule=rule, priority=priority, storage_efficiency=inp.storage.efficiency
        )
        prev_storage = match_hourly(prev_inp).storage
        assert prev_storage is not None
        energy = max(prev_storage.end_energy, 0.0)
        green = min(max(prev_storage.end_green, 0.0), energy)  # rounding never breaks G ≤ E
        source = (
            f"the end of {year - 1} from its matching (which starts empty, with this "
            "year's efficiency)"
        )
    basis["initial_energy_kwh"] = energy
    basis["initial_green_kwh"] = green
    basis["initial_state_source"] = source
    storage = dataclasses.replace(inp.storage, initial_energy=energy, initial_green=green)
    return dataclasses.replace(inp, storage=storage)


def run_matching(
    store: Store,
    *,
    year: int,
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    rule: Rule = "pro_rata",
    priority: Sequence[str] | None = None,
    storage_efficiency: float | None = None,
    progress: Progress | None = None,
) -> MatchingRun:
    """Match a park-local year hour by hour (and month by month, for the gap)."""
    if not 1990 <= year <= 2100:
        raise InvalidInput(f"year {year} is outside 1990..2100", field="year")
    if priority and enterprise_scope is not None:
        # the order names other consumers: a park-level choice (and no probe of their codes)
        require_park_level(enterprise_scope, "choosing a priority order among consumers")
    scope = park_scope(store, park_id)
    step = progress or (lambda _what, _i, _n: None)
    step("read", 0, 4)
    data = read_park_hours(store, scope, year)
    step("match", 1, 4)
    inp, storage_basis = matching_input(
        data, rule=rule, priority=priority, storage_efficiency=storage_efficiency
    )
    if inp.storage is not None:
        inp = _carry_storage_state(
            store, scope, year, inp, rule=rule, priority=priority, basis=storage_basis
        )
    hourly = match_hourly(inp)
    monthly = match_monthly(inp, hourly, data.month_of_hour, 12)
    step("factors", 2, 4)
    factor, basis, residual_factor, residual_basis = grid_factors(store, scope, year, data.hours)
    physical = sum(
        (hourly.matched[k] for k in PHYSICAL if k in hourly.matched), np.zeros_like(hourly.load)
    )
    emissions = {
        "location": location_emissions(hourly.load, physical, factor),
        "market": market_emissions(
            hourly.load,
            monthly.load,
            monthly.residual,
            data.month_of_hour,
            residual_factor,
        ),
        "hourly_matched": hourly_matched_emissions(hourly.residual, factor),
    }
    step("done", 4, 4)
    return MatchingRun(
        data,
        inp,
        hourly,
        monthly,
        factor,
        basis,
        residual_factor,
        residual_basis,
        storage_basis,
        enterprise_scope,
        emissions,
    )


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _months_of(run: MatchingRun, rows: list[int]) -> list[dict[str, Any]]:
    """Monthly figures of the sum of ``rows``."""
    inv = run.data.month_of_hour

    def month_sum(a: F64) -> F64:
        return aggregate_months(a[rows].sum(axis=0), inv, 12)

    load = month_sum(run.hourly.load)
    by_source = {k: month_sum(m) for k, m in run.hourly.matched.items()}
    matched = sum(by_source.values(), np.zeros(12))
    monthly_matched = run.monthly.matched_total[rows].sum(axis=0)
    em = {b: month_sum(e) for b, e in run.emissions.items()}
    out = []
    for m in range(12):
        denominator = load[m]
        out.append(
            {
                "month": f"{run.data.year}-{m + 1:02d}",
                "load_kwh": float(load[m]),
                "matched_kwh": {k: float(v[m]) for k, v in by_source.items()},
                "hourly_matched_kwh": float(matched[m]),
                "monthly_matched_kwh": float(monthly_matched[m]),
                "gap_kwh": float(monthly_matched[m] - matched[m]),
                "cfe_hourly": _num(matched[m] / denominator) if denominator > 0 else None,
                "cfe_monthly": _num(monthly_matched[m] / denominator) if denominator > 0 else None,
                "intensity_kg_per_kwh": {
                    b: (_num(e[m] / denominator) if denominator > 0 else None)
                    for b, e in em.items()
                },
            }
        )
    return out


def _direct_supply(run: MatchingRun, row: int) -> list[dict[str, Any]] | None:
    direct = run.inp.dedicated["direct"][row]
    if direct.sum() <= 0:
        return None
    inv = run.data.month_of_hour
    matched = run.hourly.matched["direct"][row]
    self_consumed = aggregate_months(matched, inv, 12)
    consumption = aggregate_months(run.hourly.load[row], inv, 12)
    gen = run.data.generation[row] if run.data.generation else None
    extra: dict[str, Any] = {}
    if gen is None or gen.hourly is None:
        # no generation meter declared: say so, never guess the available generation
        available = None
        extra["generation_missing"] = "available_generation" if gen is None else gen.missing
    else:
        # ρ_gen over the hours the generation meters cover: both sums on the same hours
        known = np.isfinite(gen.hourly)
        available = aggregate_months(np.where(known, gen.hourly, 0.0), inv, 12)
        extra["generation_self_consumed"] = aggregate_months(np.where(known, matched, 0.0), inv, 12)
        extra["generation_unmetered_hours"] = np.rint(
            aggregate_months((~known).astype(np.float64), inv, 12)
        ).astype(np.int64)
    checks = year_to_date_checks(
        months=[f"{run.data.year}-{m:02d}" for m in range(1, 13)],
        self_consumed=self_consumed,
        consumption=consumption,
        available_generation=available,
        # before the rule applies there is no threshold: the ratios say no_rule
        thresholds=thresholds_in_force(run.data.year),
        **extra,
    )
    return [c.as_dict() for c in checks]


def summary(run: MatchingRun) -> dict[str, Any]:
    """The monthly report of what the caller may see: per consumer (and, for park-wide
    callers, the park total and the supply no consumer took)."""
    d = run.data
    consumers = []
    for i in run.rows_in_scope():
        consumers.append(
            {
                "code": d.codes[i],
                "level": "park" if d.owners[i] == 0 else "enterprise",
                "enterprise_id": None if d.owners[i] == 0 else d.owners[i],
                "load_kwh": float(run.hourly.load[i].sum()),
                "cfe_hourly": _num(float(run.hourly.cfe(axis=1)[i])),  # type: ignore[index]
                "cfe_monthly": _num(float(run.monthly.cfe(axis=1)[i])),  # type: ignore[index]
                "months": _months_of(run, [i]),
                "direct_supply": _direct_supply(run, i),
                "data_status": {
                    # the load of an incomplete hour lacks what its missing meters measured
                    "status": "complete"
                    if d.missing_hours[i] == 0 and not d.unknown_hours[i]
                    else "incomplete",
                    "hours": int(d.hours.size),
                    "missing_grid_hours": int(d.missing_hours[i]),
                    "unknown_hours_by_carrier": d.unknown_hours[i],
                    "negative_balance_hours": int(d.negative_hours[i]),
                    "negative_balance_kwh": float(d.negative_kwh[i]),
                },
            }
        )
    out: dict[str, Any] = {
        "year": d.year,
        "park": d.scope.park.code,
        "rule": run.inp.rule,
        "priority": None if run.inp.priority is None else [d.codes[i] for i in run.inp.priority],
        "sources": list(SOURCES),
        "consumers": consumers,
        "factors": {
            "location_and_hourly": run.factor_basis,
            "market_residual": run.residual_basis,
        },
        "park_total": None,
    }
    if run.enterprise_scope is None:
        all_rows = list(range(len(d.owners)))
        st = run.hourly.storage
        out["park_total"] = {
            "load_kwh": float(run.hourly.load.sum()),
            "cfe_hourly": _num(float(run.hourly.cfe())),
            "cfe_monthly": _num(float(run.monthly.cfe())),
            "months": _months_of(run, all_rows),
            "supply_kwh": {k: float(v.sum()) for k, v in run.hourly.supply.items()},
            "unmatched_kwh": {k: float(v.sum()) for k, v in run.hourly.unmatched.items()},
            "storage": None
            if st is None
            else {
                **run.storage_basis,
                "green_in_kwh": float(st.green_in.sum()),
                "green_out_kwh": float(st.green_out.sum()),
                "green_loss_kwh": float(st.green_loss.sum()),
                "unexplained_discharge_kwh": float(st.unexplained.sum()),
                "end_energy_kwh": st.end_energy,
                "end_green_kwh": st.end_green,
            },
            "certificates_outside_kwh": d.certificates_outside_kwh,
            "trades_outside_kwh": d.trades_outside_kwh,
        }
    return out


def check_owner(
    store: Store, *, enterprise_id: int | None, enterprise_scope: int | None, park_id: int | None
) -> None:
    """``NotFound`` for an enterprise outside the caller's scope (or missing), before any work."""
    if enterprise_id is not None:
        require_enterprise(park_scope(store, park_id), enterprise_id, enterprise_scope)


def owner_hours(run: MatchingRun, *, enterprise_id: int | None) -> dict[str, Any]:
    """One consumer's hours (an enterprise, or with None the park total for park-wide callers;
    an enterprise caller's own enterprise)."""
    d = run.data
    if enterprise_id is None:
        if run.enterprise_scope is not None:
            enterprise_id = run.enterprise_scope
    if enterprise_id is None:
        rows = list(range(len(d.owners)))
        code = d.scope.park.code
    else:
        require_enterprise(d.scope, enterprise_id, run.enterprise_scope)
        rows = [d.owners.index(enterprise_id)]
        code = d.codes[rows[0]]
    load = run.hourly.load[rows].sum(axis=0)
    matched = run.hourly.matched_total[rows].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cfe = np.where(load > 0, matched / np.where(load > 0, load, 1.0), np.nan)

    def listed(a: F64) -> list[float | None]:
        return [None if not np.isfinite(x) else round(float(x), 6) for x in a]

    return {
        "year": d.year,
        "code": code,
        "start_us": int(d.hours[0]),
        "hours": int(d.hours.size),
        "load_kwh": listed(load),
        "matched_kwh": listed(matched),
        "cfe": listed(cfe),
        "intensity_kg_per_kwh": {
            b: listed(intensity(e[rows].sum(axis=0), load)) for b, e in run.emissions.items()
        },
        "grid_factor_kg_per_kwh": listed(run.factor),
        "factor_basis": run.factor_basis["label"],
    }


# -- grid-factor import --------------------------------------------------------------------------
def parse_factor_csv(text: str) -> tuple[dt.datetime, list[float]]:
    """``hour,value`` rows (ISO 8601 hour starts with offset, kgCO2/kWh), consecutive hours.

    Returns the first hour and the values; ``InvalidInput`` naming the line otherwise.
    """
    start: dt.datetime | None = None
    values: list[float] = []
    for line, ts, value in hourly_csv(text):
        if start is None:
            start = ts
        elif ts != start + dt.timedelta(hours=len(values)):
            raise InvalidInput(
                f"line {line}: hour {ts.isoformat()} does not follow the previous one", field="file"
            )
        if value < 0:
            raise InvalidInput(f"line {line}: the factor must be ≥ 0", field="file")
        values.append(value)
    if start is None:
        raise InvalidInput("the CSV holds no hours", field="file")
    return start, values


def import_grid_series(
    store: Store,
    *,
    series_id: str,
    region: str,
    year: int,
    start: dt.datetime,
    values: Sequence[float],
    source: str,
    url: str | None,
    url_note: str | None = None,
    confidence: str,
    verified: bool,
    edition: str | None = None,
    note: str | None = None,
    basis: str = "average",
    enterprise_scope: int | None = None,
    park_id: int | None = None,
    actor: str = "system",
) -> tuple[FactorSeries, bool]:
    """Store an hourly grid-factor series with its provenance for one park (a park-level
    action: the series belongs to the park and serves only its matching).

    Returns the series and whether it was new (False: the same series was already stored).
    """
    require_park_level(enterprise_scope, "importing grid factors")
    park = park_scope(store, park_id).park
    try:
        province = normalise_province(region)
    except InvalidInput:
        province = region
    try:
        series = FactorSeries(
            id=series_id,
            kind="grid_electricity_hourly",
            unit="kgCO2/kWh",
            scope="province",
            region=province,
            basis=basis,
            source=source,
            url=url,
            url_note=url_note,
            confidence=confidence,  # type: ignore[arg-type]
            verified=verified,
            edition=edition,
            note=note,
            year=year,
            resolution="hour",
            start=start,
            values=tuple(values),
        )
    except ValidationError as err:
        first = err.errors()[0]
        # a rule across fields (url or url_note; verified and confidence) has no location:
        # name the field its message names
        named = ("url_note", "url", "verified", "confidence", "start", "values")
        where = ".".join(str(x) for x in first["loc"]) or next(
            (f for f in named if f in str(first["msg"])), "series"
        )
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from err
    new = MatchingRepo(store).add_series(
        park_id=park.id,
        series_id=series.id,
        region=series.region,
        year=series.year,
        basis=series.basis,
        payload=series.model_dump(mode="json"),
        now=to_us(utcnow()),
        actor=actor,
    )
    return series, new


def list_grid_series(store: Store, *, park_id: int | None = None) -> list[dict[str, Any]]:
    """The park's stored series (provenance, no values)."""
    park = park_scope(store, park_id).park
    out = []
    for s in MatchingRepo(store).series(park_id=park.id):
        brief = FactorSeries.model_validate(s.payload).brief()
        out.append({**brief, "imported_at_us": s.imported_at, "imported_by": s.imported_by})
    return out
