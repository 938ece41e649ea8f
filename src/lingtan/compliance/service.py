"""Compliance operations on the store (keyword-only, explicit principal, no web framework).

Tenancy: an enterprise's user sees only its own enterprise's products (the indicator
evaluation and the records are read for that enterprise alone); park roles see the park.
Reading needs ``read``; storing an admission check needs ``write``.

Product unit energy per enterprise and product comes from the evaluation of the guiding
indicator 园区企业产出产品单位能耗 (:mod:`lingtan.indicators.evaluate`): the energy is the
declared allocation (``product_energy`` records), else the points tagged ``product:<code>``
in the park file (:mod:`lingtan.indicators.product_meters`), else, for an enterprise with a
single limited product, its metered energy; the output is its ``product_output`` records. A
product with a 标杆/基准 record but no limit record is graded from its declared
``product_energy`` records or its tagged points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from lingtan import units
from lingtan.accounting.scope import owner_in_scope
from lingtan.compliance import admission as adm
from lingtan.compliance import audit as au
from lingtan.compliance import reference
from lingtan.compliance import water_balance as wb
from lingtan.compliance import water_quota as wq
from lingtan.compliance.backward import BackwardEntry, backward_list
from lingtan.compliance.grading import ProductGrade, grade, unit_energy
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.indicators import product_meters
from lingtan.indicators.energy import energy_statistics
from lingtan.indicators.evaluate import _records_total, evaluate
from lingtan.indicators.limits import load_limits
from lingtan.indicators.period import Period
from lingtan.store import Store
from lingtan.store.compliance_repo import AdmissionRecord, ComplianceRepo
from lingtan.store.programme_repo import ProgrammeRepo
from lingtan.store.query_repo import QueryRepo
from lingtan.store.records_repo import RecordsRepo
from lingtan.timeutil import to_us, utcnow


@dataclass(frozen=True, slots=True)
class Grading:
    """The park's (or one enterprise's) products graded, with the indicator's coverage."""

    period: dict[str, Any]
    grades: tuple[ProductGrade, ...]
    not_graded: tuple[dict[str, Any], ...]
    coverage: dict[str, Any]
    indicator_status: str
    indicator_reason: tuple[str, str]
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    water: WaterAssessment | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "period": self.period,
            "water": None if self.water is None else self.water.as_dict(),
            "grades": [g.as_dict() for g in self.grades],
            "not_graded": list(self.not_graded),
            "coverage": self.coverage,
            "indicator": {
                "status": self.indicator_status,
                "reason_zh": self.indicator_reason[0],
                "reason_en": self.indicator_reason[1],
            },
            "sources": self.sources,
        }


@dataclass(frozen=True, slots=True)
class WaterAssessment:
    """The scope's products compared with their 取水定额 (7.9.7), with those not assessed."""

    category: str
    results: tuple[wq.WaterQuotaResult, ...]
    not_assessed: tuple[dict[str, Any], ...]
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "category": self.category,
            "results": [r.as_dict() for r in self.results],
            "not_assessed": list(self.not_assessed),
            "sources": self.sources,
        }


def _enterprise(
    store: Store, principal: Principal, park_id: int, enterprise_id: int | None
) -> int | None:
    return owner_in_scope(store, park_id, principal.enterprise_id, enterprise_id)


def grading(
    store: Store,
    *,
    principal: Principal,
    year: int,
    month: int | None = None,
    enterprise_id: int | None = None,
    levels_file: str | Path | None = None,
    water_category: str = "existing",
    quotas_file: str | Path | None = None,
) -> Grading:
    """Every product of the scope graded against its limit record and 标杆/基准, and compared
    with its water-intake quota for ``water_category`` (:func:`water_quotas`)."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    ent = _enterprise(store, principal, park.id, enterprise_id)
    period = Period(year, month)
    ev = evaluate(
        store, year=year, month=month, enterprise_id=ent, park_id=park.id,
        indicators=["product_unit_energy"],
    )  # fmt: skip
    ind = ev.indicator("product_unit_energy")
    limits = {r.id: r for r in load_limits()}
    levels = reference.efficiency_levels(levels_file)
    codes = {e.code: e.id for e in store.registry.enterprises(park.id)}
    grades: list[ProductGrade] = []
    not_graded: list[dict[str, Any]] = []
    sources: dict[str, dict[str, Any]] = {}
    level_needed = int(ind.inputs.get("level_needed", 2) or 2)
    for d in ind.details:
        product = str(d["product"])
        lvl = levels.get(product)
        if d.get("status") in ("meets", "fails"):
            limit = limits[str(d["limit_id"])]
            use_lvl = lvl if lvl is not None and lvl.unit == limit.unit else None
            g = grade(
                enterprise=str(d["enterprise"]), product=product, value=float(d["value"]),
                unit=limit.unit, output=float(d["output"]), output_unit=str(d["output_unit"]),
                limit=limit, level=use_lvl, level_needed=level_needed,
                energy_source=str(d.get("energy_source", "")),
            )  # fmt: skip
            grades.append(g)
            sources[limit.id] = limit.brief()
            if use_lvl is not None:
                sources[use_lvl.id] = use_lvl.brief()
            continue
        if lvl is not None:
            owner = codes.get(str(d["enterprise"]))
            got = _declared(store, park.id, owner, product, period, lvl)
            if got is not None:
                value, output, source = got
                grades.append(grade(
                    enterprise=str(d["enterprise"]), product=product, value=value,
                    unit=lvl.unit, output=output, output_unit=lvl.unit.split("/", 1)[1],
                    limit=None, level=lvl, level_needed=level_needed,
                    energy_source=source,
                ))  # fmt: skip
                sources[lvl.id] = lvl.brief()
                continue
        not_graded.append({**dict(d), "benchmark_record": None if lvl is None else lvl.id})
    coverage = {
        k: ind.inputs.get(k)
        for k in ("products_present", "products_assessed", "coverage", "coverage_min")
    }
    return Grading(
        period=period.as_dict(),
        grades=tuple(grades),
        not_graded=tuple(not_graded),
        coverage=coverage,
        indicator_status=ind.status,
        indicator_reason=(ind.reason_zh, ind.reason_en),
        sources=sources,
        water=water_quotas(
            store, principal=principal, year=year, month=month, enterprise_id=enterprise_id,
            category=water_category, quotas_file=quotas_file,
        ),
    )  # fmt: skip


def _declared(
    store: Store, park_id: int, owner: int | None, product: str, period: Period, lvl: Any
) -> tuple[float, float, str] | None:
    """Unit energy (in the record's unit), output and energy source from the declared
    product_energy records or, without them, the points tagged ``product:<code>``
    (:mod:`lingtan.indicators.product_meters`), over the product_output records; None when
    either is missing or in a unit that does not convert."""
    out_unit = lvl.unit.split("/", 1)[1] if "/" in lvl.unit else None
    if out_unit is None:
        return None
    recs = RecordsRepo(store).find(
        park_id=park_id, enterprise_ids=[owner], item=product,
        categories=["product_output", "product_energy"],
        overlapping=(period.first.isoformat(), period.last.isoformat()),
    )  # fmt: skip
    by: dict[str, list[Any]] = defaultdict(list)
    for r in recs:
        by[r.category].append(r)
    if not by["product_output"]:
        return None
    output, _ = _records_total(by["product_output"], period, out_unit)
    if by["product_energy"]:
        energy, _ = _records_total(by["product_energy"], period, lvl.numerator_unit)
        source = "entered"
    elif owner is not None:
        metered = product_meters.product_energy(
            store, park_id=park_id, owner=owner, product=product, period=period,
            numerator=lvl.numerator, numerator_unit=lvl.numerator_unit,
        )  # fmt: skip
        if metered is None or not metered.points:
            return None
        energy, source = metered.energy, metered.source
    else:
        return None
    if output is None or energy is None or output <= 0:
        return None
    return unit_energy(energy, output), output, source


def backward(
    store: Store,
    *,
    principal: Principal,
    year: int,
    enterprise_id: int | None = None,
    deadline_year: int | None = None,
    levels_file: str | Path | None = None,
) -> list[BackwardEntry]:
    """The backward-capacity list (8.3.4) of the year (标杆/基准 of ``levels_file`` if given)."""
    g = grading(
        store, principal=principal, year=year, enterprise_id=enterprise_id,
        levels_file=levels_file,
    )  # fmt: skip
    return backward_list(
        g.grades, year=year, deadline_year=deadline_year or reference.deadline_year()
    )


# -- energy audit ------------------------------------------------------------------------------


def audit_file(
    store: Store,
    *,
    principal: Principal,
    year: int,
    month: int | None = None,
    enterprise_id: int | None = None,
    levels_file: str | Path | None = None,
) -> au.AuditFile:
    """The energy audit (GB/T 17166-2019) of an enterprise (or, for a park role without
    ``enterprise_id``, of the whole park) from the store, with the same figures the rest of
    lingtan shows:

    * 能源消费 by carrier and use: the boundary meters' energy of the period per site (用能单元:
      the site a meter is located in) and carrier, in tce by the GB/T 2589 coefficients of
      :func:`lingtan.indicators.energy.energy_statistics` (its total is the audit's total);
      a carrier without a coefficient is listed apart (``uncounted``), not summed;
    * 单位产品能耗: the products as :func:`grading` grades them (limit and 标杆/基准 records,
      the level the park requires, where the energy comes from); those it cannot grade are
      listed (``not_graded``) with the reason;
    * 节能潜力: the measures of the year's energy plans (expected savings [tce] and budget);
      cancelled measures are left out and named (``cancelled``);
    * the coefficient records used (``factors``) and the statistics' notes.
    """
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    ent = _enterprise(store, principal, park.id, enterprise_id)
    period = Period(year, month)
    stats = energy_statistics(store, year=year, month=month, enterprise_id=ent, park_id=park.id)
    carriers: list[au.CarrierUse] = []
    uncounted: list[au.Uncounted] = []
    for site in stats.sites:
        use = site.name if site.site_id is None else f"{site.name}（{site.code}）"
        for key, (value, unit, tce) in site.by_carrier.items():
            carrier = key.split("[", 1)[0]
            if tce is None:
                uncounted.append(au.Uncounted(use=use, carrier=carrier, quantity=value, unit=unit))
            else:
                carriers.append(au.CarrierUse(carrier=carrier, use=use, quantity=value, unit=unit,
                                              tce=tce))  # fmt: skip
    if not any(c.quantity for c in carriers):  # meters, but not a reading in the period
        raise InvalidInput(
            f"{stats.scope_name} has no metered energy in {period.label}: nothing to audit",
            field="year",
        )
    g = grading(
        store, principal=principal, year=year, month=month, enterprise_id=ent,
        levels_file=levels_file,
    )  # fmt: skip
    repo = ProgrammeRepo(store)
    plans = [
        p
        for p in repo.plans(tenant=principal.tenant, park_id=park.id, year=year, enterprise_id=ent)
        if p.kind == "energy"
    ]
    savings: list[au.Saving] = []
    cancelled: list[str] = []
    for m in repo.measures(tenant=principal.tenant, park_id=park.id,
                           plan_ids=[p.id for p in plans]):  # fmt: skip
        label = f"{m.code} {m.name}"
        if m.status == "cancelled":
            cancelled.append(label)
            continue
        savings.append(au.Saving(
            measure=label, saving_tce=m.document.get("expected_tce"),
            investment_cny=m.document.get("budget_cny"), status=m.status,
        ))  # fmt: skip
    return au.AuditFile(
        enterprise=stats.scope_name,
        period=period.label,
        carriers=tuple(carriers),
        products=tuple(_audit_product(x) for x in g.grades),
        savings=tuple(savings),
        not_graded=tuple(
            au.NotGraded(
                enterprise=str(d.get("enterprise", "")),
                product=str(d["product"]),
                reason=str(d.get("reason", "")),
            )
            for d in g.not_graded
        ),
        uncounted=tuple(uncounted),
        cancelled=tuple(cancelled),
        factors=tuple(f.brief() for f in stats.factors),
        notes=stats.notes,
    )


def _audit_product(g: ProductGrade) -> au.AuditProduct:
    """A graded product as the audit lists it (energy = unit energy × output)."""
    return au.AuditProduct(
        product=g.product, output=g.output, energy=g.value * g.output, unit=g.unit,
        limit_id=g.limit_id, efficiency_id=g.efficiency_id, level_needed=g.level_needed,
        energy_source=g.energy_source,
    )  # fmt: skip


# -- admission ---------------------------------------------------------------------------------


def park_totals(store: Store, *, park_id: int, year: int) -> tuple[float, float]:
    """The park's current emissions [tCO2] and energy [tce] of ``year`` (the core indicator's
    inputs); InvalidInput when the year has no energy."""
    ev = evaluate(store, year=year, park_id=park_id, indicators=["carbon_per_energy"])
    inputs = ev.indicator("carbon_per_energy").inputs
    emissions, energy = inputs.get("emissions_tco2"), inputs.get("energy_tce")
    if emissions is None or not energy:
        raise InvalidInput(f"the park has no emissions and energy totals for {year}", field="year")
    return float(emissions), float(energy)


def park_guiding(
    store: Store, *, park_id: int, year: int
) -> tuple[list[adm.GuidingNow], float | None]:
    """The guiding indicators an admission moves, as the park's evaluation of ``year`` has
    them (figures, target), and the tce of one kWh by the park's conversion option (the
    coefficient the clean-energy share counts green power with)."""
    from lingtan.carbon import default_library
    from lingtan.indicators.energy import Coefficients
    from lingtan.indicators.options import IndicatorOptions
    from lingtan.options import service as park_options

    ev = evaluate(
        store, year=year, park_id=park_id, indicators=["clean_energy_share", "water_reuse"]
    )
    out: list[adm.GuidingNow] = []
    for ind, part_key, whole_key in (
        ("clean_energy_share", "clean_tce", "total_tce"),
        ("water_reuse", "reused_m3", "intake_m3"),
    ):
        r = ev.indicator(ind)
        part, whole = r.inputs.get(part_key), r.inputs.get(whole_key)
        missing = part is None or whole is None
        out.append(adm.GuidingNow(
            indicator=ind,  # type: ignore[arg-type]
            part=None if part is None or missing else float(part),
            whole=None if whole is None or missing else float(whole),
            target=None if r.target is None else float(r.target.value),
            target_source="" if r.target is None else r.target.id,
            reason=(r.reason_zh, r.reason_en) if missing else ("", ""),
        ))  # fmt: skip
    opts = IndicatorOptions.of(park_options.used(store, park_id=park_id))
    elec = Coefficients(
        default_library(), opts.electricity_conversion, year, opts.natural_gas_kind
    ).get("electricity")
    return out, None if elec is None else elec.tce(1.0, "kWh")


def default_rules(store: Store, *, park_id: int, year: int) -> adm.Rules:
    """Rules with the core threshold of the park's target set for its size class."""
    from lingtan.indicators.targets import load_target_set, select_target
    from lingtan.options import service as park_options

    used = park_options.used(store, park_id=park_id)
    ts = load_target_set(used.options.target_set)
    _, energy = park_totals(store, park_id=park_id, year=year)
    target, _ts, _note = select_target(
        ts, "carbon_per_energy", year=year, energy_tce=energy,
        target_year=used.options.target_year,
    )  # fmt: skip
    if target is None:
        raise InvalidInput("no core-indicator target applies to the park", field="core_max")
    return adm.Rules(core_max=target.value, core_source=f"{ts.id} {target.id}")


def check_admission(
    store: Store,
    *,
    principal: Principal,
    project: dict[str, Any],
    rules: dict[str, Any] | None = None,
    year: int,
    catalogue_file: str | Path | None = None,
    levels_file: str | Path | None = None,
    store_it: bool = True,
) -> tuple[adm.AdmissionReport, int | None]:
    """Check a project against the park's rules; stored with its inputs when ``store_it``."""
    require(principal, Permission.WRITE if store_it else Permission.READ)
    require_park_wide(principal, "project admission")
    park = store.registry.park(principal.park_id)
    proj = adm.parse_project(project)
    parsed = (
        adm.parse_rules(rules) if rules is not None
        else default_rules(store, park_id=park.id, year=year)
    )  # fmt: skip
    emissions, energy = park_totals(store, park_id=park.id, year=year)
    guiding, kwh_tce = park_guiding(store, park_id=park.id, year=year)
    report = adm.check(
        proj, parsed, park_emissions_tco2=emissions, park_energy_tce=energy,
        catalogue=reference.catalogue(catalogue_file),
        levels=reference.efficiency_levels(levels_file),
        limits={r.product: r for r in load_limits()}, guiding=guiding,
        electricity_tce_per_kwh=kwh_tce,
    )  # fmt: skip
    if not store_it:
        return report, None
    rec_id = ComplianceRepo(store).add_admission(
        park_id=park.id, project_name=proj.name, year=year, verdict=report.verdict,
        inputs={"project": project, "rules": parsed.model_dump(), "year": year},
        report=report.as_dict(), created_by=principal.actor, created_at=to_us(utcnow()),
    )  # fmt: skip
    return report, rec_id


def admissions(store: Store, *, principal: Principal) -> list[AdmissionRecord]:
    """The park's stored admission checks, newest first."""
    require(principal, Permission.READ)
    if principal.enterprise_id is not None:
        return []
    park = store.registry.park(principal.park_id)
    return ComplianceRepo(store).admissions(park_id=park.id)


# -- water balance from the metering tree ------------------------------------------------------


def water_balance(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    year: int,
    month: int | None = None,
    tests: Mapping[str, Mapping[str, float]],
    leakage_m3: float,
    tolerance: float = wb.DEFAULT_TOLERANCE,
) -> wb.WaterBalance:
    """The GB/T 12452 balance of an enterprise for a period: the intake is the metered total of
    its boundary water meters; the 用水单元 are the meters directly below them (a boundary meter
    without children is its own unit), each with its metered fresh water. ``tests`` gives, per
    unit's point code, what the test measured: ``consumed_m3``, ``discharged_m3``,
    ``reused_m3``; every unit needs an entry and no entry may name another point."""
    require(principal, Permission.READ)
    park = store.registry.park(principal.park_id)
    ent = _enterprise(store, principal, park.id, enterprise_id)
    if ent is None:
        raise InvalidInput("enterprise_id: required for park-wide callers", field="enterprise_id")
    points, _ = QueryRepo(store).points(
        tenant=principal.tenant, park_id=park.id, enterprise_id=ent, carrier="water",
        virtual=False,
    )  # fmt: skip
    boundary = [p for p in points if p.boundary]
    if not boundary:
        raise InvalidInput("the enterprise has no boundary water meter", field="enterprise_id")
    ids = {p.id for p in boundary}
    children = [p for p in points if p.parent_id in ids]
    units_pts = children + [b for b in boundary if not any(c.parent_id == b.id for c in children)]
    h0, h1 = Period(year, month).bounds_us(ZoneInfo(park.timezone))
    rows = store.stats.hours(None, [p.id for p in points], h0, h1)

    def total(p: Any) -> float:
        r = rows.get(p.id)
        value = 0.0 if r is None else float(np.nansum(r["value"]))
        try:
            return units.convert(value, p.unit, "m3")
        except InvalidInput:
            raise InvalidInput(
                f"water meter {p.code}: unit {p.unit} is not a volume", field="unit"
            ) from None

    unknown = sorted(set(tests) - {p.code for p in units_pts})
    if unknown:
        raise InvalidInput(f"tests: {', '.join(unknown)} is not a 用水单元 meter", field="tests")
    out = []
    for p in units_pts:
        t = tests.get(p.code)
        if t is None:
            raise InvalidInput(f"tests: no test volumes for {p.code}", field="tests")
        try:
            out.append(wb.WaterUnit(
                name=p.code, fresh_m3=total(p), reused_m3=float(t.get("reused_m3", 0.0)),
                consumed_m3=float(t["consumed_m3"]), discharged_m3=float(t["discharged_m3"]),
            ))  # fmt: skip
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInput(f"tests.{p.code}: {err}", field="tests") from None
    return wb.balance(
        intake_m3=sum(total(b) for b in boundary), leakage_m3=leakage_m3, units=out,
        tolerance=tolerance,
    )  # fmt: skip


# -- water intake per unit of product against the 取水定额 (7.9.7) ---------------------------------


#: the reason of a product of a several-product enterprise without tagged water meters
SEVERAL = (
    "多种产品：请为各产品的取水计量点加标签 product:<code> / "
    "several products: tag each product's water meters product:<code>"
)
#: the reason of a product without a quota record
NO_QUOTA = "无取水定额记录 / no water-intake quota record"


def _m3(store: Store, points: list[Any], h0: int, h1: int) -> dict[int, float]:
    """Each water point's period total in m³ (InvalidInput for a unit that is not a volume)."""
    rows = store.stats.hours(None, [p.id for p in points], h0, h1)
    out: dict[int, float] = {}
    for p in points:
        r = rows.get(p.id)
        value = 0.0 if r is None else float(np.nansum(r["value"]))
        try:
            out[p.id] = units.convert(value, p.unit, "m3")
        except InvalidInput:
            raise InvalidInput(
                f"water meter {p.code}: unit {p.unit} is not a volume", field="unit"
            ) from None
    return out


def _product_intake(
    points: list[Any], totals: dict[int, float], product: str, single: bool
) -> tuple[float, str] | str:
    """The product's water intake [m³] and its source, or why there is none: the water points
    tagged ``product:<code>`` (top-most, minus other products' tagged points below them, as for
    product energy); else, for an enterprise with a single product, its boundary water meters."""
    counted = product_meters.plan(points, product)
    if counted:
        total = 0.0
        minus: list[str] = []
        for p, below in counted:
            total += totals[p.id]
            for q in below:
                total -= totals[q.id]
                minus.append(q.code)
        source = "metered: points " + ", ".join(p.code for p, _ in counted)
        return total, source + (" minus " + ", ".join(minus) if minus else "")
    if not single:
        return SEVERAL
    boundary = [p for p in points if p.boundary]
    if not boundary:
        return "无边界取水计量点 / no boundary water meter"
    return (
        sum(totals[p.id] for p in boundary),
        "metered: boundary water meters " + ", ".join(sorted(p.code for p in boundary)),
    )


def water_quotas(
    store: Store,
    *,
    principal: Principal,
    year: int,
    month: int | None = None,
    enterprise_id: int | None = None,
    category: str = "existing",
    quotas_file: str | Path | None = None,
) -> WaterAssessment:
    """Every enterprise × product with output records in the period compared with its 取水定额
    for ``category`` (``existing`` by default, ``new`` for new, rebuilt or expanded plants).

    The intake is metered: the enterprise's water points tagged ``product:<code>``, else — for
    an enterprise with a single product in the period — its boundary water meters. A product
    without a quota record, without metered intake, or whose output is not in the quota's unit
    is *not assessed*, with the reason."""
    require(principal, Permission.READ)
    if category not in ("existing", "new", "leading"):
        raise InvalidInput(
            f"water category {category!r}: existing, new or leading", field="water_category"
        )
    park = store.registry.park(principal.park_id)
    ent = _enterprise(store, principal, park.id, enterprise_id)
    period = Period(year, month)
    quotas = reference.water_quotas(quotas_file)
    enterprises = {e.id: e.code for e in store.registry.enterprises(park.id)}
    recs = RecordsRepo(store).find(
        park_id=park.id, enterprise_ids=None if ent is None else [ent],
        categories=["product_output"],
        overlapping=(period.first.isoformat(), period.last.isoformat()),
    )  # fmt: skip
    outputs: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in recs:
        if r.enterprise_id is not None:
            outputs[r.enterprise_id][r.item].append(r)
    h0, h1 = period.bounds_us(ZoneInfo(park.timezone))
    results: list[wq.WaterQuotaResult] = []
    not_assessed: list[dict[str, Any]] = []
    sources: dict[str, dict[str, Any]] = {}
    for owner in sorted(outputs, key=lambda o: enterprises.get(o, "")):
        code = enterprises.get(owner, str(owner))
        products = outputs[owner]
        points: list[Any] | None = None
        totals: dict[int, float] = {}
        for product in sorted(products):
            quota = quotas.get(product)
            row = {"enterprise": code, "product": product}
            if quota is None:
                not_assessed.append({**row, "reason": NO_QUOTA})
                continue
            if category not in quota.values:
                not_assessed.append({**row, "quota_id": quota.id,
                                     "reason": f"定额记录无 {category} 值 / the quota record has no {category} value"})  # fmt: skip
                continue
            output, _ = _records_total(products[product], period, quota.output_unit)
            if output is None or output <= 0:
                not_assessed.append({**row, "quota_id": quota.id,
                                     "reason": f"无以 {quota.output_unit} 计的产量 / no output in {quota.output_unit}"})  # fmt: skip
                continue
            if points is None:
                points, _n = QueryRepo(store).points(
                    tenant=principal.tenant, park_id=park.id, enterprise_id=owner,
                    carrier="water", virtual=False,
                )  # fmt: skip
                totals = _m3(store, points, h0, h1)
            got = _product_intake(points, totals, product, single=len(products) == 1)
            if isinstance(got, str):
                not_assessed.append({**row, "quota_id": quota.id, "reason": got})
                continue
            intake, source = got
            results.append(wq.compare(
                enterprise=code, product=product, intake_m3=intake, output=output,
                output_unit=quota.output_unit, quota=quota, category=category,
                intake_source=source,
            ))  # fmt: skip
            sources[quota.id] = quota.brief()
    return WaterAssessment(
        category=category, results=tuple(results), not_assessed=tuple(not_assessed),
        sources=sources,
    )  # fmt: skip
