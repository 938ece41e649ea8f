"""Programme operations on the store (keyword-only, explicit principal, no web framework).

Tenancy: an enterprise's caller sees and writes only its own enterprise's plans, measures and
records (the repository filters by tenant; another's id is "not found"); park roles see the
park and write the park's own plans (``enterprise_id`` null) and anyone's. Reading needs
``read``; writing needs ``write``. Building reviews are the park's (7.3.11): an enterprise's
caller may not write them.

Plan progress (:func:`progress`) reads each month's comprehensive energy consumption [tce] and
emissions [tCO2] of the plan's owner from the indicator evaluation's core inputs
(:func:`lingtan.indicators.evaluate.evaluate`, ``carbon_per_energy``: the metered statistics
converted by GB/T 2589 coefficients, the accounting by the park's methods) — the same figures
the compliance admission check uses — and, for a water plan, the metered water of the owner's
boundary water meters.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from lingtan import units
from lingtan.accounting.scope import owner_in_scope
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators.evaluate import _records_total, evaluate
from lingtan.indicators.period import Period
from lingtan.programme import models as m
from lingtan.programme import mv
from lingtan.programme.progress import MonthValue, PlanProgress, plan_progress
from lingtan.store import Store
from lingtan.store.programme_repo import MeasureRow, PlanRow, ProgrammeRepo, RecordRow
from lingtan.store.query_repo import Tenant
from lingtan.store.records_repo import RecordsRepo
from lingtan.timeutil import to_us, utcnow

ENERGY_UNITS = ("tce", "kgce")


def _now() -> int:
    return to_us(utcnow())


def finite(value: Any) -> Any:
    """``value`` with every non-finite number replaced by None (a t-statistic of an exact fit
    is infinite; JSON has no infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _owner_for_write(store: Store, principal: Principal, enterprise_id: int | None) -> int | None:
    """The owner a write names: an enterprise caller's own enterprise (another's: not found);
    a park caller's choice (an unknown enterprise: not found; None: the park's)."""
    require(principal, Permission.WRITE)
    park_id = store.registry.park(principal.park_id).id
    return owner_in_scope(store, park_id, principal.enterprise_id, enterprise_id)


def _check_points(
    store: Store, park_id: int, owner: int | None, codes: Sequence[str], field: str
) -> None:
    """Every code a metering point of the park, and of ``owner`` when it is an enterprise (an
    enterprise's record cannot cite another's meters)."""
    points = store.registry.points_by_code(refresh=True)
    for code in codes:
        p = points.get(code)
        if p is None or p.park_id != park_id or (owner is not None and p.enterprise_id != owner):
            raise InvalidInput(f"{field}: no metering point {code} in scope", field=field)


def _listed(store: Store, principal: Principal, park_id: int, enterprise_id: int | None) -> None:
    """A list's enterprise filter names an enterprise in the caller's scope (else not found,
    the same for another's and for none)."""
    if enterprise_id is None:
        return
    if principal.enterprise_id is not None:
        if enterprise_id != principal.enterprise_id:
            raise NotFound("enterprise not found")
    elif not any(e.id == enterprise_id for e in store.registry.enterprises(park_id)):
        raise NotFound("enterprise not found")


# -- plans -------------------------------------------------------------------------------------


def add_plan(store: Store, *, principal: Principal, data: Any) -> PlanRow:
    """Store a plan (validated :class:`~lingtan.programme.models.PlanIn`)."""
    require(principal, Permission.WRITE)
    plan = m.validated(m.PlanIn, data)
    owner = _owner_for_write(store, principal, plan.enterprise_id)
    park = store.registry.park(principal.park_id)
    repo = ProgrammeRepo(store)
    new_id = repo.add_plan(
        actor=principal.actor, at=_now(), park_id=park.id, enterprise_id=owner, year=plan.year,
        kind=plan.kind, title=plan.title, targets=plan.targets.model_dump(mode="json"),
        approved_by=plan.approved_by, note=plan.note,
    )  # fmt: skip
    return repo.plan(new_id, tenant=principal.tenant, park_id=park.id)


def plans(
    store: Store, *, principal: Principal, year: int | None = None,
    enterprise_id: int | None = None,
) -> list[PlanRow]:  # fmt: skip
    """Plans in scope."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    _listed(store, principal, park.id, enterprise_id)
    return ProgrammeRepo(store).plans(
        tenant=principal.tenant, park_id=park.id, year=year, enterprise_id=enterprise_id
    )


def plan(store: Store, *, principal: Principal, plan_id: int) -> PlanRow:
    """One plan in scope."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    return ProgrammeRepo(store).plan(plan_id, tenant=principal.tenant, park_id=park.id)


# -- measures ----------------------------------------------------------------------------------


def add_measure(store: Store, *, principal: Principal, data: Any) -> MeasureRow:
    """Store a measure of a plan in scope (its owner is the plan's)."""
    require(principal, Permission.WRITE)
    meas = m.validated(m.MeasureIn, data)
    park = store.registry.park(principal.park_id)
    repo = ProgrammeRepo(store)
    p = repo.plan(meas.plan_id, tenant=principal.tenant, park_id=park.id)
    _check_points(store, park.id, p.enterprise_id, meas.points, "points")
    _check_contract(meas.contract)
    if any(x.code == meas.code for x in repo.measures(
        tenant=principal.tenant, park_id=park.id, plan_id=p.id
    )):  # fmt: skip
        raise InvalidInput(f"code: the plan already has a measure {meas.code}", field="code")
    new_id = repo.add_measure(
        actor=principal.actor, at=_now(), park_id=park.id, enterprise_id=p.enterprise_id,
        plan_id=p.id, code=meas.code, name=meas.name, status=meas.status,
        document=meas.model_dump(mode="json"),
    )  # fmt: skip
    return repo.measure(new_id, tenant=principal.tenant, park_id=park.id)


def _check_contract(contract: m.Contract | None) -> None:
    if contract is None:
        return
    if contract.type == "shared_savings":
        # validated by a zero settlement: shares present, fractions, sum to 1
        try:
            mv.settle(contract_type=contract.type, savings=0.0, unit="-", price=contract.price,
                      shares=contract.shares)  # fmt: skip
        except InvalidInput as err:
            raise InvalidInput(f"contract.{err}", field=f"contract.{err.field}") from None
    elif contract.guaranteed is None:
        raise InvalidInput(
            "contract.guaranteed: a guaranteed-savings contract needs its guaranteed savings",
            field="contract.guaranteed",
        )


def measures(store: Store, *, principal: Principal, plan_id: int) -> list[MeasureRow]:
    """The measures of a plan in scope."""
    p = plan(store, principal=principal, plan_id=plan_id)
    return ProgrammeRepo(store).measures(tenant=principal.tenant, park_id=p.park_id, plan_id=p.id)


def measure(store: Store, *, principal: Principal, measure_id: int) -> MeasureRow:
    """One measure in scope."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    return ProgrammeRepo(store).measure(measure_id, tenant=principal.tenant, park_id=park.id)


def update_measure(store: Store, *, principal: Principal, measure_id: int, data: Any) -> MeasureRow:
    """Change a measure's status, owner, budget, schedule, verification plan or contract."""
    require(principal, Permission.WRITE)
    upd = m.validated(m.MeasureUpdate, data)
    park = store.registry.park(principal.park_id)
    repo = ProgrammeRepo(store)
    row = repo.measure(measure_id, tenant=principal.tenant, park_id=park.id)
    doc = dict(row.document)
    for k, v in upd.model_dump(mode="json", exclude_unset=True).items():
        doc[k] = v
    meas = m.validated(m.MeasureIn, doc)
    _check_contract(meas.contract)
    verified = row.verified if "verification" not in upd.model_fields_set else None
    repo.update_measure(
        row, actor=principal.actor, at=_now(), document=meas.model_dump(mode="json"),
        verified=verified,
    )  # fmt: skip
    return repo.measure(measure_id, tenant=principal.tenant, park_id=park.id)


def _month_of(label: str, field: str) -> Period:
    try:
        d = dt.date.fromisoformat(label + "-01")
    except ValueError:
        raise InvalidInput(
            f"{field}: period {label!r} is not YYYY-MM (needed to read the meters)", field=field
        ) from None
    return Period(d.year, d.month)


def metered_total(
    store: Store, *, park_id: int, codes: Sequence[str], period: Period, unit: str
) -> float | None:
    """Σ of the points' statistics over ``period`` in ``unit``; None when no point has a
    value in it (no data is not zero)."""
    points = store.registry.points_by_code(refresh=True)
    found = [points[c] for c in codes]
    d0, d1 = period.day_numbers
    by_id = {p.id: p for p in found}
    total, seen = 0.0, False
    for row in store.stats.point_periods(list(by_id), d0, d1):
        if row.value is None:
            continue
        p = by_id[row.point_id]
        try:
            total += units.convert(float(row.value), p.unit, unit)
        except InvalidInput:
            raise InvalidInput(
                f"unit: point {p.code} in {p.unit} does not convert to {unit}", field="unit"
            ) from None
        seen = True
    return total if seen else None


def _series(
    store: Store, park_id: int, row: MeasureRow, spec: m.Verification, which: str
) -> list[mv.PeriodValues]:
    out = []
    for k, per in enumerate(getattr(spec, which)):
        energy = per.energy
        if energy is None:
            field = f"verification.{which}[{k}].energy"
            codes = row.document.get("points") or []
            if not codes:
                raise InvalidInput(f"{field}: no energy given and the measure has no meters",
                                   field=field)  # fmt: skip
            energy = metered_total(
                store, park_id=park_id, codes=codes, period=_month_of(per.period, field),
                unit=spec.unit,
            )  # fmt: skip
            if energy is None:
                raise InvalidInput(f"{field}: the meters have no data for {per.period}",
                                   field=field)  # fmt: skip
        drivers = dict(per.drivers)
        dd = spec.degree_days
        if dd is not None and dd.driver not in drivers:
            field = f"verification.{which}[{k}].drivers.{dd.driver}"
            drivers[dd.driver] = monthly_degree_days(
                store, park_id=park_id, spec=dd, period=_month_of(per.period, field), field=field
            )
        wd = spec.working_days
        if wd is not None and wd not in drivers:
            field = f"verification.{which}[{k}].drivers.{wd}"
            drivers[wd] = float(monthly_working_days(_month_of(per.period, field)))
        out.append(mv.PeriodValues(per.period, float(energy), drivers))
    return out


def monthly_working_days(period: Period) -> int:
    """Working days (工作日) of a month by the State Council's holiday arrangements, through
    ``chinesecalendar`` (:func:`lingtan.forecast.features.day_type`): weekdays and 调休 working
    weekends, statutory holidays excluded. A year the calendar does not know is refused."""
    from lingtan.forecast.features import day_type

    count, day = 0, period.first
    while day <= period.last:
        count += day_type(day).workday
        day += dt.timedelta(days=1)
    return count


def monthly_degree_days(
    store: Store, *, park_id: int, spec: m.DegreeDays, period: Period, field: str
) -> float:
    """Degree-days of a month from a stored hourly temperature series (see
    :class:`~lingtan.programme.models.DegreeDays`); every hour of the month is needed."""
    from lingtan.compliance.enpi import degree_days
    from lingtan.store.forecast_repo import ForecastRepo
    from lingtan.timeutil import HOUR_US, local_day_start_us

    repo = ForecastRepo(store)
    found = repo.weather_series(park_id=park_id, code=spec.series)
    if not found or found[0].quantity != "temperature":
        raise InvalidInput(
            f"{field}: no temperature weather series {spec.series}", field="degree_days.series"
        )
    tz = ZoneInfo(store.registry.park(park_id).timezone)
    h0, h1 = period.bounds_us(tz)
    values = repo.weather_values(series_id=found[0].id, h0=h0, h1=h1)
    means = []
    day = period.first
    while day <= period.last:
        a = local_day_start_us(day, tz)
        b = local_day_start_us(day + dt.timedelta(days=1), tz)
        hours = [values.get(h) for h in range(a, b, HOUR_US)]
        if any(v is None for v in hours):
            raise InvalidInput(
                f"{field}: series {spec.series} misses hours on {day.isoformat()}",
                field="degree_days.series",
            )
        means.append(sum(v for v in hours if v is not None) / len(hours))
        day += dt.timedelta(days=1)
    return degree_days(means, base=spec.base_c, kind=spec.kind)


def verify_measure(
    store: Store, *, principal: Principal, measure_id: int, save: bool = True
) -> dict[str, Any]:
    """Verify a measure's savings by its verification plan (GB/T 28750-2012), settle its
    contract (GB/T 24915-2020) when it has one, and keep the result on the measure."""
    require(principal, Permission.WRITE if save else Permission.READ)
    park = store.registry.park(principal.park_id)
    repo = ProgrammeRepo(store)
    row = repo.measure(measure_id, tenant=principal.tenant, park_id=park.id)
    meas = m.validated(m.MeasureIn, row.document)
    spec = meas.verification
    if spec is None:
        raise InvalidInput("verification: the measure has no verification plan",
                           field="verification")  # fmt: skip
    ver = mv.verify(
        _series(store, park.id, row, spec, "baseline"),
        _series(store, park.id, row, spec, "reporting"),
        drivers=spec.drivers, unit=spec.unit,
        adjustments=[mv.Adjustment(a.amount, a.reason) for a in spec.adjustments],
        confidence=spec.confidence,
    )  # fmt: skip
    result: dict[str, Any] = {"verification": ver.as_dict(), "standard": "GB/T 28750-2012"}
    result["savings_tce"] = _converted(ver.savings, spec.unit, spec.tce_factor, "tce")
    result["savings_tco2"] = _converted(ver.savings, spec.unit, spec.co2_factor, "tCO2")
    result["factors"] = {
        "tce": None if spec.tce_factor is None else spec.tce_factor.model_dump(),
        "tco2": None if spec.co2_factor is None else spec.co2_factor.model_dump(),
    }
    if meas.contract is not None:
        c = meas.contract
        result["settlement"] = mv.settle(
            contract_type=c.type, savings=ver.savings, unit=spec.unit, price=c.price,
            currency=c.currency, shares=c.shares, guaranteed=c.guaranteed,
        ).as_dict()  # fmt: skip
        result["settlement"]["service_company"] = c.service_company
    result["verified_at"] = _now()
    result = finite(result)
    if save:
        repo.update_measure(
            row, actor=principal.actor, at=result["verified_at"], document=row.document,
            verified=result,
        )  # fmt: skip
    return result


def _converted(value: float, unit: str, factor: m.Factor | None, target: str) -> float | None:
    """``value`` in ``target`` units: directly when the unit converts (kgce → tce), else by the
    cited factor (value × factor); None without one."""
    if target == "tce" and unit in ENERGY_UNITS:
        return units.convert(value, unit, "tce")
    if factor is None:
        return None
    return value * factor.value


# -- plan progress -----------------------------------------------------------------------------


def _monthly(store: Store, *, park_id: int, owner: int | None, year: int, kind: str
) -> list[MonthValue]:  # fmt: skip
    out = []
    if kind == "water":
        points = [
            p.code for p in store.registry.points_by_code(refresh=True).values()
            if p.park_id == park_id and p.carrier == "water" and p.boundary
            and (owner is None or p.enterprise_id == owner) and p.kind != "measurement"
        ]  # fmt: skip
        for month in range(1, 13):
            v = metered_total(store, park_id=park_id, codes=points, period=Period(year, month),
                              unit="m3") if points else None  # fmt: skip
            out.append(MonthValue(month, water_m3=v,
                                  reason=None if v is not None else "no metered water"))  # fmt: skip
        return out
    for month in range(1, 13):
        ev = evaluate(store, year=year, month=month, enterprise_id=owner, park_id=park_id,
                      indicators=["carbon_per_energy"])  # fmt: skip
        ind = ev.indicator("carbon_per_energy")
        e, c = ind.inputs.get("energy_tce"), ind.inputs.get("emissions_tco2")
        out.append(MonthValue(
            month, energy_tce=None if e is None else float(e),
            carbon_tco2=None if c is None else float(c),
            reason=None if e is not None else ind.reason_en,
        ))  # fmt: skip
    return out


def progress(store: Store, *, principal: Principal, plan_id: int) -> PlanProgress:
    """A plan's progress against its targets, month by month from metered data, with the
    measures' expected and verified savings."""
    return plan_progress_of(store, plan(store, principal=principal, plan_id=plan_id))


def plan_progress_of(store: Store, p: PlanRow) -> PlanProgress:
    """The progress of a plan already read in scope (:func:`progress`; the plan-behind alarm
    check, :mod:`lingtan.programme.alarms`, reads the same numbers). Its measures are all the
    plan's: a measure belongs to its plan's owner."""
    targets = m.Targets.model_validate(p.targets)
    months = _monthly(store, park_id=p.park_id, owner=p.enterprise_id, year=p.year, kind=p.kind)
    rows = ProgrammeRepo(store).measures(
        tenant=Tenant(p.enterprise_id), park_id=p.park_id, plan_id=p.id
    )
    denominator = None
    last = max((x.month for x in months if x.has_data), default=None)
    if targets.intensity is not None and last is not None:
        t = targets.intensity
        recs = RecordsRepo(store).find(
            park_id=p.park_id, enterprise_ids=[p.enterprise_id], item=t.item,
            categories=[t.category],
            overlapping=(dt.date(p.year, 1, 1).isoformat(), dt.date(p.year, last, 28).isoformat()),
        )  # fmt: skip
        if recs:
            denominator, _ = _records_total(recs, Period(p.year, last, True), t.denominator_unit)
    return plan_progress(
        plan=p.as_dict(), targets=targets, months=months,
        measures=[r.as_dict() for r in rows], intensity_denominator=denominator,
    )  # fmt: skip


# -- records -----------------------------------------------------------------------------------


def _validate_record(
    store: Store, principal: Principal, park_id: int, owner: int | None, rec: m.RecordIn
) -> dict[str, Any]:
    model = m.RECORD_KINDS[rec.kind]
    body = m.validated(model, rec.body, prefix="body.")
    _check_points(store, park_id, owner, rec.cites.points, "cites.points")
    repo = ProgrammeRepo(store)
    for mid in rec.cites.measures:
        try:
            repo.measure(mid, tenant=principal.tenant, park_id=park_id)
        except NotFound:
            raise InvalidInput("cites.measures: a measure not in scope",
                               field="cites.measures") from None  # fmt: skip
    for rid in rec.cites.records:
        try:
            repo.record(rid, tenant=principal.tenant, park_id=park_id)
        except NotFound:
            raise InvalidInput("cites.records: a record not in scope",
                               field="cites.records") from None  # fmt: skip
    if isinstance(body, m.CircularProject):
        ents = {e.id for e in store.registry.enterprises(park_id)}
        for k, f in enumerate(body.flows):
            for side in ("supplier_id", "receiver_id"):
                if getattr(f, side) not in ents:
                    raise InvalidInput(f"body.flows.{k}.{side}: no such enterprise",
                                       field=f"body.flows.{k}.{side}")  # fmt: skip
            if owner is not None and owner not in (f.supplier_id, f.receiver_id):
                raise InvalidInput(f"body.flows.{k}: the enterprise is party to no side",
                                   field=f"body.flows.{k}")  # fmt: skip
            if f.point is not None:
                # an enterprise's record meters a flow only by its own meters (another's would
                # read that enterprise's consumption); the park's records use any
                _check_points(store, park_id, owner, [f.point], f"body.flows.{k}.point")
    if isinstance(body, m.CleanerProductionAudit):
        for k, o in enumerate(body.options):
            if o.measure_id is not None:
                try:
                    repo.measure(o.measure_id, tenant=principal.tenant, park_id=park_id)
                except NotFound:
                    raise InvalidInput(f"body.options.{k}.measure_id: no measure in scope",
                                       field=f"body.options.{k}.measure_id") from None  # fmt: skip
    if isinstance(body, m.BuildingReview) and body.site_code is not None:
        # an enterprise's review names one of its own sites (its users read the site's EUI)
        if not any(
            s.code == body.site_code and (owner is None or s.enterprise_id == owner)
            for s in store.registry.sites(park_id)
        ):
            raise InvalidInput(f"body.site_code: no site {body.site_code} in scope",
                               field="body.site_code")  # fmt: skip
    return dict(body.model_dump(mode="json"))


def add_record(store: Store, *, principal: Principal, data: Any) -> RecordRow:
    """Store a programme record (its body validated by its kind's model)."""
    require(principal, Permission.WRITE)
    rec = m.validated(m.RecordIn, data)
    if rec.kind in m.PARK_KINDS and principal.enterprise_id is not None:
        raise PermissionDenied(f"{rec.kind} records are kept by the park")
    owner = _owner_for_write(store, principal, rec.enterprise_id)
    park = store.registry.park(principal.park_id)
    body = _validate_record(store, principal, park.id, owner, rec)
    repo = ProgrammeRepo(store)
    new_id = repo.add_record(
        actor=principal.actor, at=_now(), park_id=park.id, enterprise_id=owner, kind=rec.kind,
        title=rec.title, status=rec.status, body=body, cites=rec.cites.model_dump(mode="json"),
    )  # fmt: skip
    return repo.record(new_id, tenant=principal.tenant, park_id=park.id)


def update_record(store: Store, *, principal: Principal, record_id: int, data: Any) -> RecordRow:
    """Replace a record's title, status, body and citations (kind and owner stay)."""
    require(principal, Permission.WRITE)
    park = store.registry.park(principal.park_id)
    repo = ProgrammeRepo(store)
    row = repo.record(record_id, tenant=principal.tenant, park_id=park.id)
    if row.kind in m.PARK_KINDS and principal.enterprise_id is not None:
        raise PermissionDenied(f"{row.kind} records are kept by the park")
    if not isinstance(data, dict):
        raise InvalidInput("body: an object", field="body")
    merged = {"kind": row.kind, "enterprise_id": row.enterprise_id, "title": row.title,
              "status": row.status, "body": row.body, "cites": row.cites, **data}  # fmt: skip
    if merged["kind"] != row.kind or merged["enterprise_id"] != row.enterprise_id:
        raise InvalidInput("kind and enterprise_id of a record do not change", field="kind")
    rec = m.validated(m.RecordIn, merged)
    body = _validate_record(store, principal, park.id, row.enterprise_id, rec)
    repo.update_record(
        row, actor=principal.actor, at=_now(), title=rec.title, status=rec.status, body=body,
        cites=rec.cites.model_dump(mode="json"),
    )  # fmt: skip
    return repo.record(record_id, tenant=principal.tenant, park_id=park.id)


def records(
    store: Store, *, principal: Principal, kinds: list[str] | None = None,
    enterprise_id: int | None = None,
) -> list[RecordRow]:  # fmt: skip
    """Records in scope."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    for k in kinds or []:
        if k not in m.RECORD_KINDS:
            raise InvalidInput(f"kind: unknown {k!r}; known: {', '.join(m.RECORD_KINDS)}",
                               field="kind")  # fmt: skip
    _listed(store, principal, park.id, enterprise_id)
    return ProgrammeRepo(store).records(
        tenant=principal.tenant, park_id=park.id, kinds=kinds, enterprise_id=enterprise_id
    )


def record(store: Store, *, principal: Principal, record_id: int) -> RecordRow:
    """One record in scope."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    return ProgrammeRepo(store).record(record_id, tenant=principal.tenant, park_id=park.id)


def evaluate_record(store: Store, *, principal: Principal, record_id: int) -> dict[str, Any]:
    """What a record computes from the data it cites: a circular project's flows and avoided
    energy and carbon; a building review's checks against its limits and the post-occupancy
    EUI; a cleaner-production audit's options by cost class with their measures' verified
    savings. Other kinds return the record as is."""
    row = record(store, principal=principal, record_id=record_id)
    out: dict[str, Any] = {"record": row.as_dict()}
    cites = m.Cites.model_validate(row.cites)
    park = store.registry.park(principal.park_id)
    if row.kind == "circular_project":
        from lingtan.programme.records import circular

        out["result"] = circular(store, park.id, m.CircularProject.model_validate(row.body), cites)
    elif row.kind == "building_review":
        from lingtan.programme.records import building

        out["result"] = building(
            store, park.id, ZoneInfo(park.timezone),
            m.BuildingReview.model_validate(row.body), cites,
        )  # fmt: skip
    elif row.kind == "significant_use":
        from lingtan.programme.records import significant_use

        out["result"] = significant_use(store, park.id, row.enterprise_id, cites)
    elif row.kind == "cleaner_production_audit":
        from lingtan.programme.records import cleaner_production

        cp = m.CleanerProductionAudit.model_validate(row.body)
        verified = {}
        for o in cp.options:
            if o.measure_id is not None:
                try:
                    ms = measure(store, principal=principal, measure_id=o.measure_id)
                except NotFound:
                    continue
                verified[o.measure_id] = ms.verified
        out["result"] = cleaner_production(cp, verified)
    safe: dict[str, Any] = finite(out)
    return safe


def plan_workbook(
    store: Store, *, principal: Principal, plan_id: int, lang: str = "zh-CN"
) -> bytes:
    """The annual plan, its progress and its measures' verified savings as a workbook."""
    from lingtan.programme.report import workbook

    require(principal, Permission.REPORTS)
    prog = progress(store, principal=principal, plan_id=plan_id)
    park = store.registry.park(principal.park_id)
    owner_id = prog.plan["enterprise_id"]
    owner = park.name if owner_id is None else next(
        e.name for e in store.registry.enterprises(park.id) if e.id == owner_id
    )  # fmt: skip
    return workbook(prog, owner=owner, lang=lang)
