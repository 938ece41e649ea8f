"""Evaluation of the 1 + 5 indicators against targets, with evidence, trend and data quality.

:func:`evaluate` computes, for a period (year, month or year-to-date) and a scope (the park, or
one enterprise), each indicator's value, the target that applies (from a target set: national,
provincial, or the park's plan), the status — ``meets``, ``fails`` or ``not_assessable`` with the
reason —, the gap to the target, the change against the base year 2025, the data quality behind
the value (shares measured / estimated / entered, and completeness against the 90 %
online-monitoring threshold), and the evidence: every input, statistics record, factor record,
limit record and clause that made the number. The options used are printed with every result.

:func:`rank_enterprises` computes the core indicator per enterprise, for ranking.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from lingtan import units
from lingtan.carbon.factors import FactorLibrary, default_library
from lingtan.errors import InvalidInput, LingtanError, NotFound
from lingtan.indicators import formulas, product_meters
from lingtan.indicators.catalog import BY_ID, IDS, IndicatorSpec
from lingtan.indicators.core import StoreAccounting
from lingtan.indicators.energy import EnergyStatistics, Quality, energy_statistics
from lingtan.indicators.limits import LimitRecord, load_limits
from lingtan.indicators.options import IndicatorOptions
from lingtan.indicators.period import Period, overlap_days
from lingtan.indicators.result import AccountingHook, Computed, DataQuality, clause_evidence
from lingtan.indicators.targets import Target, TargetSet, load_target_set, select_target
from lingtan.options import service as park_options
from lingtan.store import Store
from lingtan.store.records_repo import RecordsRepo, StatRecord
from lingtan.timeutil import from_us

Status = Literal["meets", "fails", "not_assessable"]


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator evaluated against its target."""

    spec: IndicatorSpec
    value: float | None
    target: Target | None
    target_set: TargetSet | None
    target_note: tuple[str, str]
    status: Status
    reason_zh: str
    reason_en: str
    gap: float | None
    trend: Mapping[str, Any]
    quality: DataQuality
    inputs: Mapping[str, Any]
    evidence: Sequence[Mapping[str, Any]]
    details: Sequence[Mapping[str, Any]]
    options: Mapping[str, Any]

    @property
    def id(self) -> str:
        """Indicator id."""
        return self.spec.id

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The JSON object of ``lingtan indicators --json``."""
        t = self.target
        return {
            "id": self.spec.id,
            "name_zh": self.spec.name_zh,
            "name_en": self.spec.name_en,
            "kind": self.spec.kind,
            "value": self.value,
            "unit": self.spec.unit,
            "target_value": None if t is None else t.value,
            "target": None
            if t is None
            else {
                "id": t.id,
                "comparator": t.comparator,
                "value": t.value,
                "unit": t.unit,
                "year": t.year,
                "text": t.text(),
                "veto": t.veto,
                "confidence": t.confidence,
                "verified": t.verified,
                "note": t.note,
                "set": None if self.target_set is None else self.target_set.brief(),
                "source": t.source or (self.target_set.source if self.target_set else None),
            },
            "target_note": self.target_note[0] if lang == "zh" else self.target_note[1],
            "status": self.status,
            "reason": self.reason_zh if lang == "zh" else self.reason_en,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "gap": self.gap,
            "trend": dict(self.trend),
            "data_quality": self.quality.as_dict(),
            "inputs": dict(self.inputs),
            "options": dict(self.options),
            "evidence": [dict(e) for e in self.evidence],
            "details": [dict(d) for d in self.details],
        }


@dataclass(frozen=True)
class Evaluation:
    """All indicators of one scope and period."""

    period: Period
    park_code: str
    park_name: str
    province: str
    enterprise_id: int | None
    scope_code: str
    scope_name: str
    options: IndicatorOptions
    target_set: TargetSet
    energy_tce_annual: float | None
    indicators: tuple[IndicatorResult, ...]
    notes: tuple[str, ...] = field(default=())

    def indicator(self, indicator_id: str) -> IndicatorResult:
        """The result of one indicator."""
        for r in self.indicators:
            if r.id == indicator_id:
                return r
        raise NotFound(f"indicator {indicator_id!r} not evaluated")

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "park": {"code": self.park_code, "name": self.park_name, "province": self.province},
            "scope": {
                "enterprise_id": self.enterprise_id,
                "code": self.scope_code,
                "name": self.scope_name,
            },
            "period": self.period.as_dict(),
            "options": self.options.as_dict(),
            "options_text": self.options.describe(lang),
            "target_set": self.target_set.brief(),
            "energy_tce_annual": self.energy_tce_annual,
            "indicators": [r.as_dict(lang) for r in self.indicators],
            "notes": list(self.notes),
        }


# -- context ---------------------------------------------------------------------------------


class _Context:
    """What the indicator functions share: the store, the scope, caches per period."""

    def __init__(
        self,
        store: Store,
        *,
        enterprise_id: int | None,
        options: IndicatorOptions,
        library: FactorLibrary,
        limits: Sequence[LimitRecord],
        accounting: AccountingHook,
        target_set: TargetSet | None = None,
        park_id: int | None = None,
    ) -> None:
        self.store = store
        self.enterprise_id = enterprise_id
        self.options = options
        self.library = library
        self.limits = {r.product: r for r in limits}
        self.accounting = accounting
        self.target_set = target_set or load_target_set(options.target_set)
        self.park = store.registry.park(park_id)
        self.enterprises = {e.id: e for e in store.registry.enterprises(self.park.id)}
        if enterprise_id is not None and enterprise_id not in self.enterprises:
            raise NotFound(f"enterprise {enterprise_id} not found")
        self._energy: dict[Period, EnergyStatistics] = {}
        self._records: dict[Period, list[StatRecord]] = {}
        self._core: dict[Period, Computed] = {}
        #: the waste ledger's movements in scope (lingtan.waste), read on first use
        self.waste_moves: list[Any] | None = None
        self.waste_deals: list[Any] | None = None

    def owner_code(self, owner: int | None) -> str:
        return self.park.code if owner is None else self.enterprises[owner].code

    def energy(self, period: Period) -> EnergyStatistics:
        if period not in self._energy:
            self._energy[period] = energy_statistics(
                self.store,
                year=period.year,
                month=period.month,
                ytd=period.ytd,
                enterprise_id=self.enterprise_id,
                options=self.options,
                library=self.library,
                park_id=self.park.id,
            )
        return self._energy[period]

    def records(self, period: Period) -> list[StatRecord]:
        if period not in self._records:
            owners: list[int | None] | None = (
                None if self.enterprise_id is None else [self.enterprise_id]
            )
            self._records[period] = RecordsRepo(self.store).find(
                park_id=self.park.id,
                enterprise_ids=owners,
                overlapping=(period.first.isoformat(), period.last.isoformat()),
            )
        return self._records[period]


# -- statistics records over a period ---------------------------------------------------------


@dataclass(slots=True)
class _ItemSum:
    quantity: float = 0.0
    #: owner → covered local dates (as (first, last) ranges clipped to the period)
    ranges: dict[int | None, list[tuple[dt.date, dt.date]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_owner: dict[int | None, float] = field(default_factory=lambda: defaultdict(float))
    records: list[tuple[StatRecord, float, float]] = field(default_factory=list)


def _sum_items(
    records: Iterable[StatRecord], category: str, period: Period, unit: str
) -> dict[str, _ItemSum]:
    """Quantities per item in ``unit``, pro-rated by days where a record overlaps the period."""
    out: dict[str, _ItemSum] = defaultdict(_ItemSum)
    for r in records:
        if r.category != category:
            continue
        first, last = dt.date.fromisoformat(r.period_start), dt.date.fromisoformat(r.period_end)
        inside = overlap_days(first, last, period)
        if inside == 0:
            continue
        fraction = inside / ((last - first).days + 1)
        try:
            q = units.convert(r.quantity, r.unit, unit) * fraction
        except InvalidInput:
            continue  # product units are handled by the product indicator
        acc = out[r.item]
        acc.quantity += q
        acc.by_owner[r.enterprise_id] += q
        acc.ranges[r.enterprise_id].append((max(first, period.first), min(last, period.last)))
        acc.records.append((r, fraction, q))
    return out


def _covered_days(ranges: Sequence[tuple[dt.date, dt.date]]) -> int:
    days = 0
    end: dt.date | None = None
    for a, b in sorted(ranges):
        if end is not None and a <= end:
            if b > end:
                days += (b - end).days
                end = b
            continue
        days += (b - a).days + 1
        end = b
    return days


def _coverage(
    items: Mapping[str, _ItemSum],
    required: Sequence[str],
    period: Period,
    owners: Iterable[Any],
    name: Callable[[Any], str],
) -> tuple[float, str]:
    """Lowest share of the period covered by records, over owners × required items."""
    worst = 1.0
    detail = "统计记录覆盖 / records cover the period"
    for owner in owners:
        for item in required:
            acc = items.get(item)
            days = _covered_days(acc.ranges.get(owner, [])) if acc else 0
            share = days / period.days
            if share < worst:
                worst = share
                detail = f"{name(owner)} {item}: {days}/{period.days} d"
    return worst, detail


def _record_evidence(ctx: _Context, items: Mapping[str, _ItemSum]) -> list[dict[str, Any]]:
    out = []
    for item, acc in sorted(items.items()):
        for r, fraction, q in acc.records:
            out.append(
                {
                    "kind": "record",
                    "id": r.id,
                    "enterprise": ctx.owner_code(r.enterprise_id),
                    "category": r.category,
                    "item": item,
                    "period": f"{r.period_start}…{r.period_end}",
                    "quantity": r.quantity,
                    "unit": r.unit,
                    "fraction_in_period": fraction,
                    "counted": q,
                    "source_document": r.source_document,
                    "entered_by": r.entered_by,
                    "entered_at": from_us(r.entered_at).isoformat(),
                    "supersedes_id": r.supersedes_id,
                }
            )
    return out


def _entered_quality(coverage: float, detail: str, threshold: float) -> DataQuality:
    return DataQuality(0.0, 0.0, 1.0, 0.0, coverage, threshold, detail)


def _metered_quality(q: Quality, threshold: float, entered: float = 0.0) -> DataQuality:
    k = 1.0 - entered
    return DataQuality(
        q.measured * k,
        q.estimated * k,
        entered,
        q.missing * k,
        q.completeness,
        threshold,
        "计量完整率 / metered completeness",
    )


def _none(zh: str, en: str, quality: DataQuality, **kw: Any) -> Computed:
    return Computed(None, (zh, en), kw.pop("inputs", {}), kw.pop("evidence", []), quality, **kw)


_NO_QUALITY = DataQuality(0.0, 0.0, 0.0, 1.0, 0.0, 0.9)


# -- guiding indicators -------------------------------------------------------------------------


def _clean_energy(ctx: _Context, period: Period) -> Computed:
    st = ctx.energy(period)
    threshold = ctx.options.completeness_threshold
    clean = st.clean
    cert_tce = clean.parts.get("green_certified_electricity", 0.0)
    quality = _metered_quality(
        st.quality, threshold, (cert_tce / clean.total_tce) if clean.total_tce > 0 else 0.0
    )
    inputs = {
        "clean_tce": clean.clean_tce,
        "total_tce": clean.total_tce,
        "energy_net_receipt_tce": st.net_receipt_tce,
        "onsite_renewable_tce": st.onsite_renewable_tce,
        **{f"clean_{k}_tce": v for k, v in clean.parts.items()},
        "electricity_conversion": ctx.options.electricity_conversion,
        "natural_gas_clean": ctx.options.natural_gas_clean,
    }
    evidence: list[dict[str, Any]] = [
        {
            "kind": "metered",
            "carrier": c.carrier,
            "name_zh": c.name_zh,
            "value": c.value,
            "unit": c.unit,
            "tce": c.tce,
            "factor_id": c.factor_id,
            "quality": c.quality.as_dict(),
        }
        for c in st.carriers
    ]
    evidence += [{**f.brief(), "factor_kind": f.kind, "kind": "factor"} for f in st.factors]
    evidence.append(clause_evidence(formulas.clean_energy_share))
    evidence.append(
        {
            "kind": "electricity",
            **st.electricity.as_dict(),
        }
    )
    if clean.total_tce <= 0:
        return _none(
            "期间内无能源消费计量数据",
            "no metered energy consumption in the period",
            quality,
            inputs=inputs,
            evidence=evidence,
        )
    value = formulas.clean_energy_share(clean.clean_tce, clean.total_tce)
    return Computed(value, None, inputs, evidence, quality)


def _ledger_figures(ctx: _Context, period: Period) -> list[Any]:
    """The hazardous-waste ledger's figures per enterprise in scope that has records dated in
    the period (:func:`lingtan.waste.ledger.period_figures`)."""
    from zoneinfo import ZoneInfo

    from lingtan.store.query_repo import Tenant
    from lingtan.store.waste_repo import WasteRepo
    from lingtan.waste import ledger

    if ctx.waste_moves is None:  # read once per evaluation (the trend asks for other periods)
        ctx.waste_moves = WasteRepo(ctx.store).movements(
            tenant=Tenant.park_wide(), park_id=ctx.park.id, enterprise_id=ctx.enterprise_id
        )
    tz = ZoneInfo(ctx.park.timezone)
    return ledger.period_figures(ctx.waste_moves, tz, period.first, period.last)


def _exchange_sold(ctx: _Context, period: Period) -> dict[int, list[Any]]:
    """The exchange deals (固废交换, :mod:`lingtan.waste.exchange`) completed in the period,
    by seller in scope."""
    from lingtan.store.query_repo import Tenant
    from lingtan.store.waste_repo import WasteRepo
    from lingtan.waste import exchange

    if ctx.waste_deals is None:  # read once per evaluation
        ctx.waste_deals = WasteRepo(ctx.store).deals(tenant=Tenant.park_wide(), park_id=ctx.park.id)
    done = exchange.completed_between(
        ctx.waste_deals, period.first.isoformat(), period.last.isoformat()
    )
    out: dict[int, list[Any]] = {}
    for d in done:
        if ctx.enterprise_id is None or d.seller_id == ctx.enterprise_id:
            out.setdefault(d.seller_id, []).append(d)
    return out


def _exchange_checks(
    ctx: _Context, sold: Mapping[int, Sequence[Any]], recorded: Mapping[int | None, float]
) -> list[dict[str, Any]]:
    """Each seller's completed exchange deals set against its records' 综合利用量.

    The deals are general solid waste the seller generated and another enterprise used, so they
    belong in the seller's own 综合利用量 record (the records are the general-waste source of
    the indicator); adding them again would count them twice. They are therefore never added:
    a seller whose records hold less utilised waste than it exchanged (``records_below_deals``)
    or no 综合利用量 record at all (``no_records``) is named so its records can be corrected."""
    out = []
    for seller, deals in sorted(sold.items()):
        q = sum(d.quantity_t for d in deals)
        rec_u = recorded.get(seller)
        check = (
            "no_records"
            if rec_u is None
            else "records_below_deals"
            if rec_u + 1e-9 < q
            else "within_records"
        )
        out.append(
            {
                "kind": "waste_exchange",
                "enterprise": ctx.owner_code(seller),
                "deals": [d.id for d in deals],
                "deals_t": q,
                "records_utilised_t": rec_u,
                "check": check,
                "source": "固废交换成交记录 / completed waste-exchange deals",
            }
        )
    return out


def _solid_waste(ctx: _Context, period: Period) -> Computed:
    """工业固体废物综合利用率 over two disjoint parts, each from its own source:

    * 一般工业固体废物 — the statistics records (category ``solid_waste``);
    * 危险废物 — the waste ledger (:mod:`lingtan.waste`), for each enterprise whose ledger has
      records dated in the period.

    η = (U_g + U_h) / (G_g + G_h + U_s,g + U_s,h). Without ledger data the figure is the
    records' alone (the route before the ledger existed); ``inputs["basis"]`` names the
    source(s) and ``details`` each enterprise's."""
    threshold = ctx.options.completeness_threshold
    items = _sum_items(ctx.records(period), "solid_waste", period, "t")
    figures = _ledger_figures(ctx, period)
    evidence = _record_evidence(ctx, items)
    for f in figures:
        evidence.append(
            {
                "kind": "waste_ledger",
                "enterprise": ctx.owner_code(f.enterprise_id),
                "period": f"{period.first.isoformat()}…{period.last.isoformat()}",
                "generated_t": f.generated,
                "utilised_t": f.utilised,
                "utilised_from_storage_t": f.utilised_from_storage,
                "disposed_t": f.disposed,
                "transferred_t": f.transferred,
                "stored_t": f.stored,
                "records": f.records,
                "source": "危险废物管理台账 (HJ 1259-2022) / hazardous-waste ledger",
            }
        )
    sold = _exchange_sold(ctx, period)
    recorded = dict(items["utilised"].by_owner) if "utilised" in items else {}
    checks = _exchange_checks(ctx, sold, recorded)
    evidence += checks
    evidence.append(clause_evidence(formulas.solid_waste_utilisation_rate))
    if not items and not figures:
        return _none(
            "无一般工业固体废物统计记录（产生量、综合利用量），危险废物台账在期间内亦无记录",
            "no industrial solid waste records (generated, utilised) and no hazardous-waste "
            "ledger records in the period",
            replace(_NO_QUALITY, threshold=threshold),
            evidence=evidence,
        )
    if items:
        owners = {o for acc in items.values() for o in acc.ranges}
        coverage, detail = _coverage(
            items, ("generated", "utilised"), period, owners, ctx.owner_code
        )
    else:
        coverage, detail = 1.0, "危险废物台账 / hazardous-waste ledger"
    quality = _entered_quality(coverage, detail, threshold)

    def item(name: str) -> float:
        return items[name].quantity if name in items else 0.0

    g_g, u_g, us_g = item("generated"), item("utilised"), item("utilised_from_storage")
    g_h = sum(f.generated for f in figures)
    u_h = sum(f.utilised for f in figures)
    us_h = sum(f.utilised_from_storage for f in figures)
    basis = "+".join(b for b, on in (("records", bool(items)), ("ledger", bool(figures))) if on)
    g, u, us = g_g + g_h, u_g + u_h, us_g + us_h
    inputs = {
        "basis": basis,
        "generated_t": g,
        "utilised_t": u,
        "utilised_from_storage_t": us,
        "general_generated_t": g_g,
        "general_utilised_t": u_g,
        "general_utilised_from_storage_t": us_g,
        "hazardous_generated_t": g_h,
        "hazardous_utilised_t": u_h,
        "hazardous_utilised_from_storage_t": us_h,
        "hazardous_disposed_t": sum(f.disposed for f in figures),
        "hazardous_transferred_t": sum(f.transferred for f in figures),
        "hazardous_stored_t": sum(f.stored for f in figures),
    }
    if checks:  # exchanged waste: inside the sellers' records, shown, never added again
        inputs["exchange_deals_t"] = sum(c["deals_t"] for c in checks)
        inputs["exchange_sellers_to_check"] = [
            c["enterprise"] for c in checks if c["check"] != "within_records"
        ]
    rec_owners = {o for acc in items.values() for o in acc.by_owner}
    led_owners = {f.enterprise_id for f in figures}
    details = [
        {
            "enterprise": ctx.owner_code(o),
            "basis": "+".join(
                b for b, on in (("records", o in rec_owners), ("ledger", o in led_owners)) if on
            ),
        }
        for o in sorted(rec_owners | led_owners, key=lambda x: (x is not None, x or 0))
    ]
    by_code = {c["enterprise"]: c["check"] for c in checks}
    for d in details:
        if d["enterprise"] in by_code:
            d["exchange"] = by_code.pop(d["enterprise"])
    details += [{"enterprise": e, "basis": "", "exchange": c} for e, c in by_code.items()]
    if g + us <= 0:
        return _none(
            "期间内固体废物产生量为 0：利用率无定义",
            "no solid waste generated in the period: the rate is undefined",
            quality,
            inputs=inputs,
            evidence=evidence,
            details=details,
        )
    value = formulas.solid_waste_utilisation_rate(u, g, us)
    return Computed(value, None, inputs, evidence, quality, details=details)


def _waste_heat(ctx: _Context, period: Period) -> Computed:
    threshold = ctx.options.completeness_threshold
    items = _sum_items(ctx.records(period), "waste_heat", period, "GJ")
    evidence = _record_evidence(ctx, items)
    evidence.append(clause_evidence(formulas.waste_heat_utilisation_rate))
    if not items:
        return _none(
            "无余热/余冷/余压统计记录（资源量、利用量）",
            "no waste heat/cold/pressure records (available, utilised)",
            replace(_NO_QUALITY, threshold=threshold),
            evidence=evidence,
        )
    owners = {o for acc in items.values() for o in acc.ranges}
    coverage, detail = _coverage(items, ("available", "utilised"), period, owners, ctx.owner_code)
    quality = _entered_quality(coverage, detail, threshold)
    a = items["available"].quantity if "available" in items else 0.0
    u = items["utilised"].quantity if "utilised" in items else 0.0
    inputs = {"available_gj": a, "utilised_gj": u}
    if a <= 0:
        return _none(
            "余热/余冷/余压可回收资源量为 0：利用率无定义",
            "no recoverable waste heat/cold/pressure: the rate is undefined",
            quality,
            inputs=inputs,
            evidence=evidence,
        )
    try:
        value = formulas.waste_heat_utilisation_rate(u, a)
    except InvalidInput as err:
        return _none(
            f"数据不一致：{err}",
            f"inconsistent data: {err}",
            quality,
            inputs=inputs,
            evidence=evidence,
        )
    return Computed(value, None, inputs, evidence, quality)


def _water(ctx: _Context, period: Period) -> Computed:
    threshold = ctx.options.completeness_threshold
    mode = ctx.options.water_intake
    items = _sum_items(ctx.records(period), "water", period, "m3")
    evidence = _record_evidence(ctx, items)
    evidence.append(clause_evidence(formulas.water_reuse_rate))
    reused = items.get("reused")
    if reused is None:
        return _none(
            "无工业用水重复利用水量统计记录",
            "no records of water reused",
            replace(_NO_QUALITY, threshold=threshold),
            evidence=evidence,
        )
    entered_intake = items.get("intake")
    metered_by_owner: dict[int | None, tuple[float, Quality]] = {}
    if mode != "entered":
        for line in ctx.energy(period).owners:
            if line.water_m3 is not None and line.water_quality is not None:
                metered_by_owner[line.enterprise_id] = (line.water_m3, line.water_quality)
    owners = set(reused.by_owner) | set(metered_by_owner)
    if entered_intake is not None:
        owners |= set(entered_intake.by_owner)
    intake_total = 0.0
    metered_total = 0.0
    metered_q: list[tuple[float, Quality]] = []
    rows = []
    for owner in sorted(owners, key=lambda o: (o is None, o or 0)):
        entered = entered_intake.by_owner.get(owner) if entered_intake is not None else None
        if entered is not None and mode != "metered":
            intake, source = entered, "entered"
        elif owner in metered_by_owner and mode != "entered":
            intake, q = metered_by_owner[owner]
            source = "metered"
            metered_total += intake
            metered_q.append((intake, q))
        else:
            intake, source = 0.0, "none"
        intake_total += intake
        r = reused.by_owner.get(owner, 0.0)
        rows.append(
            {
                "enterprise": ctx.owner_code(owner),
                "intake_m3": intake,
                "intake_source": source,
                "reused_m3": r,
            }
        )
    for row in rows:
        if row["reused_m3"] == 0 and row["intake_source"] == "metered":
            evidence.append(
                {"kind": "note", "text": f"{row['enterprise']}: no reuse record; counted as 0 m³"}
            )
    total = intake_total + reused.quantity
    record_owners = set(reused.by_owner)
    coverage, detail = _coverage(items, ("reused",), period, record_owners, ctx.owner_code)
    metered_share = metered_total / total if total > 0 else 0.0
    weight = sum(w for w, _ in metered_q)
    mq = (
        Quality(
            sum(w * q.measured for w, q in metered_q) / weight,
            sum(w * q.estimated for w, q in metered_q) / weight,
            sum(w * q.missing for w, q in metered_q) / weight,
        )
        if weight > 0
        else Quality(0.0, 0.0, 0.0)
    )
    completeness = min(coverage, mq.completeness) if weight > 0 else coverage
    quality = DataQuality(
        mq.measured * metered_share,
        mq.estimated * metered_share,
        1.0 - metered_share,
        mq.missing * metered_share,
        completeness,
        threshold,
        detail,
    )
    inputs = {
        "intake_m3": intake_total,
        "intake_metered_m3": metered_total,
        "reused_m3": reused.quantity,
        "water_intake_option": mode,
    }
    if total <= 0:
        return _none(
            "取水量与重复利用水量均为 0",
            "no water used in the period",
            quality,
            inputs=inputs,
            evidence=evidence,
            details=rows,
        )
    value = formulas.water_reuse_rate(reused.quantity, intake_total)
    return Computed(value, None, inputs, evidence, quality, details=rows)


def _product_energy(ctx: _Context, period: Period) -> Computed:
    threshold = ctx.options.completeness_threshold
    records = ctx.records(period)
    outputs: dict[tuple[int | None, str], list[StatRecord]] = defaultdict(list)
    attributed: dict[tuple[int | None, str], list[StatRecord]] = defaultdict(list)
    for r in records:
        if r.category == "product_output":
            outputs[(r.enterprise_id, r.item)].append(r)
        elif r.category == "product_energy":
            attributed[(r.enterprise_id, r.item)].append(r)
    evidence: list[dict[str, Any]] = []
    evidence.append(clause_evidence(formulas.product_unit_energy))
    if not outputs:
        return _none(
            "无企业产品产量统计记录",
            "no product output records",
            replace(_NO_QUALITY, threshold=threshold),
            evidence=evidence,
        )
    per_owner_products: dict[int | None, list[str]] = defaultdict(list)
    for owner, item in outputs:
        per_owner_products[owner].append(item)
    details: list[dict[str, Any]] = []
    assessed = met = 0
    weights: list[tuple[float, DataQuality]] = []
    level_needed: int | None = None
    target, _tset, _note = select_target(
        ctx.target_set,
        "product_unit_energy",
        year=period.year,
        energy_tce=None,
        target_year=ctx.options.target_year,
    )
    level_needed = target.limit_level if target is not None and target.limit_level else 2
    for (owner, item), recs in sorted(outputs.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        limit = ctx.limits.get(item)
        row: dict[str, Any] = {"enterprise": ctx.owner_code(owner), "product": item}
        if limit is None:
            row.update(
                status="not_assessed",
                reason="无适用的能耗限额标准记录 / no applicable limit record",
            )
            details.append(row)
            continue
        row.update(
            product_zh=limit.product_zh,
            standard=limit.standard,
            limit_id=limit.id,
            indicator_zh=limit.indicator_zh,
            unit=limit.unit,
            levels={str(k): v for k, v in sorted(limit.levels.items())},
        )
        output, out_cov = _records_total(recs, period, limit.output_unit)
        if output is None:
            row.update(
                status="not_assessed",
                reason=f"产量单位与 {limit.output_unit} 不一致 / output unit mismatch",
            )
            details.append(row)
            continue
        energy_recs = attributed.get((owner, item), [])
        metered = (
            None
            if energy_recs or owner is None
            else product_meters.product_energy(
                ctx.store, park_id=ctx.park.id, owner=owner, product=item, period=period,
                numerator=limit.numerator, numerator_unit=limit.numerator_unit,
                options=ctx.options, library=ctx.library,
            )
        )  # fmt: skip
        if energy_recs:
            energy, en_cov = _records_total(energy_recs, period, limit.numerator_unit)
            energy_source = "entered"
            e_quality = _entered_quality(
                min(out_cov, en_cov), "分产品能耗记录 / product energy records", threshold
            )
        elif metered is not None:
            if not metered.points:
                row.update(
                    status="not_assessed",
                    reason="产品计量点均不可用于该能耗口径 / no product meter fits the limit's "
                    f"numerator ({limit.numerator}): {', '.join(metered.not_counted)}",
                )
                details.append(row)
                continue
            energy, q = metered.energy, metered.quality
            energy_source = metered.source
            e_quality = DataQuality(
                q.measured / 2,
                q.estimated / 2,
                0.5,
                q.missing / 2,
                min(q.completeness, out_cov),
                threshold,
                "分产品计量能耗、录入产量 / product-metered energy, entered output",
            )
        else:
            limited = [p for p in per_owner_products[owner] if p in ctx.limits]
            if len(limited) > 1:
                row.update(
                    status="not_assessed",
                    reason="企业有多种限额产品，需录入分产品能耗记录或在园区文件中标记产品计量点 / "
                    "several products: enter product_energy or tag the product's meters "
                    "product:<code>",
                )
                details.append(row)
                continue
            got = _owner_numerator(ctx, period, owner, limit)
            if got is None:
                row.update(status="not_assessed", reason="企业无能耗计量数据 / no metered energy")
                details.append(row)
                continue
            energy, q = got
            energy_source = "metered"
            e_quality = DataQuality(
                q.measured / 2,
                q.estimated / 2,
                0.5,
                q.missing / 2,
                min(q.completeness, out_cov),
                threshold,
                "计量能耗、录入产量 / metered energy, entered output",
            )
        if energy is None or output <= 0:
            row.update(
                status="not_assessed", reason="产量为 0 或能耗单位不符 / no output or unit mismatch"
            )
            details.append(row)
            continue
        if level_needed not in limit.levels:
            row.update(
                status="not_assessed",
                reason=f"限额记录无 {level_needed} 级值 / the limit record has no level "
                f"{level_needed} value",
            )
            details.append(row)
            continue
        value = formulas.product_unit_energy(energy, output)
        level = limit.level_of(value)
        ok = level is not None and level <= level_needed
        assessed += 1
        met += int(ok)
        weights.append((1.0, e_quality))
        row.update(
            status="meets" if ok else "fails",
            energy=energy,
            energy_unit=limit.numerator_unit,
            energy_source=energy_source,
            output=output,
            output_unit=limit.output_unit,
            value=value,
            level=level,
            level_needed=level_needed,
            records=[r.id for r in recs + energy_recs],
        )
        details.append(row)
        evidence.append({"kind": "limit", **limit.brief()})
        evidence.extend(
            {
                "kind": "record",
                "id": r.id,
                "enterprise": ctx.owner_code(r.enterprise_id),
                "category": r.category,
                "item": r.item,
                "period": f"{r.period_start}…{r.period_end}",
                "quantity": r.quantity,
                "unit": r.unit,
                "source_document": r.source_document,
                "entered_by": r.entered_by,
                "entered_at": from_us(r.entered_at).isoformat(),
            }
            for r in recs + energy_recs
        )
    present = len(outputs)
    coverage = assessed / present
    coverage_min = ctx.options.product_coverage_min
    inputs = {
        "products_present": present,
        "products_assessed": assessed,
        "products_meeting_level": met,
        "level_needed": level_needed,
        "products_not_assessed": sum(1 for d in details if d["status"] == "not_assessed"),
        "coverage": coverage,
        "coverage_min": coverage_min,
    }
    if assessed and coverage < coverage_min - 1e-12:
        # products assessed / products present below the park's minimum: a share of 1 of 19
        # products says nothing about the park (the option product_coverage_min)
        return _none(
            f"数据不足：仅评价 {assessed}/{present} 种产品（覆盖率 {coverage:.0%}，"
            f"低于 {coverage_min:.0%}）",
            f"insufficient data: {assessed} of {present} products assessed (coverage "
            f"{coverage:.0%}, below {coverage_min:.0%})",
            replace(_NO_QUALITY, threshold=threshold),
            inputs=inputs,
            evidence=evidence,
            details=details,
        )
    if not assessed:
        return _none(
            "没有可评价的产品：产品无适用的能耗限额记录或缺少能耗数据",
            "no product could be assessed: no applicable limit record or no energy data",
            replace(_NO_QUALITY, threshold=threshold),
            inputs=inputs,
            evidence=evidence,
            details=details,
        )
    n = len(weights)
    quality = DataQuality(
        sum(q.measured for _, q in weights) / n,
        sum(q.estimated for _, q in weights) / n,
        sum(q.entered for _, q in weights) / n,
        sum(q.missing for _, q in weights) / n,
        min(q.completeness for _, q in weights),
        threshold,
        "参评产品 / products assessed",
    )
    return Computed(met / assessed, None, inputs, evidence, quality, details=details)


def _records_total(
    records: Sequence[StatRecord], period: Period, unit: str
) -> tuple[float | None, float]:
    """Sum of records in ``unit`` (pro-rated into the period) and their time coverage."""
    total = 0.0
    ranges = []
    for r in records:
        first, last = dt.date.fromisoformat(r.period_start), dt.date.fromisoformat(r.period_end)
        inside = overlap_days(first, last, period)
        if inside == 0:
            continue
        if r.unit == unit:
            q = r.quantity
        else:
            try:
                q = units.convert(r.quantity, r.unit, unit)
            except InvalidInput:
                return None, 0.0
        total += q * inside / ((last - first).days + 1)
        ranges.append((max(first, period.first), min(last, period.last)))
    return total, _covered_days(ranges) / period.days


def _owner_numerator(
    ctx: _Context, period: Period, owner: int | None, limit: LimitRecord
) -> tuple[float, Quality] | None:
    if owner is None:
        return None
    st = (
        ctx.energy(period)
        if ctx.enterprise_id == owner
        else energy_statistics(
            ctx.store,
            year=period.year,
            month=period.month,
            ytd=period.ytd,
            enterprise_id=owner,
            options=ctx.options,
            library=ctx.library,
        )
    )
    line = next((o for o in st.owners if o.enterprise_id == owner), None)
    if line is None:
        return None
    if limit.numerator == "electricity":
        return units.convert(line.electricity_kwh, "kWh", limit.numerator_unit), line.quality
    tce = line.tce
    return units.convert(tce, "tce", limit.numerator_unit), line.quality


# -- the core indicator ------------------------------------------------------------------------


def _core(ctx: _Context, period: Period) -> Computed:
    threshold = ctx.options.completeness_threshold
    try:
        return ctx.accounting.core(
            ctx.store, period, ctx.enterprise_id, ctx.options, park_id=ctx.park.id
        )
    except LingtanError as err:
        return _none(
            f"碳排放核算未能完成：{err}",
            f"carbon accounting could not be completed: {err}",
            replace(_NO_QUALITY, threshold=threshold),
        )


COMPUTE: dict[str, Callable[[_Context, Period], Computed]] = {
    "carbon_per_energy": _core,
    "clean_energy_share": _clean_energy,
    "product_unit_energy": _product_energy,
    "solid_waste_utilisation": _solid_waste,
    "waste_heat_utilisation": _waste_heat,
    "water_reuse": _water,
}


# -- evaluation ----------------------------------------------------------------------------------


def _fmt(value: float, unit: str) -> str:
    if unit == "1":
        return f"{value * 100:.2f} %"
    return f"{value:.4g} {unit}"


def _judge(
    spec: IndicatorSpec,
    computed: Computed,
    target: Target | None,
    target_note: tuple[str, str],
    options: IndicatorOptions,
    excluded: str | None,
) -> tuple[Status, str, str, float | None]:
    value = computed.value
    if excluded is not None:
        return (
            "not_assessable",
            f"园区说明不具备条件，不予评价：{excluded}",
            f"excluded by the park: {excluded}",
            None,
        )
    if value is None:
        zh, en = computed.reason or ("无数据", "no data")
        return "not_assessable", zh, en, None
    gap = value - target.value if target is not None else None
    q = computed.quality
    if not q.complete and options.on_incomplete == "not_assessable":
        return (
            "not_assessable",
            f"数据完整率 {q.completeness:.1%} 低于 {q.threshold:.0%} 的在线监测完整率要求（{q.detail}）",
            f"data completeness {q.completeness:.1%} is below the {q.threshold:.0%} online-"
            f"monitoring requirement ({q.detail})",
            gap,
        )
    if target is None:
        return (
            "not_assessable",
            f"无适用目标值：{target_note[0]}",
            f"no applicable target: {target_note[1]}",
            None,
        )
    ok = target.met(value)
    sign = ("≤" if ok else ">") if target.comparator == "le" else ("≥" if ok else "<")
    shown = _fmt(value, spec.unit)
    tval = _fmt(target.value, target.unit)
    warn_zh = warn_en = ""
    if not q.complete:
        warn_zh = f"；注意：数据完整率 {q.completeness:.1%} 低于 {q.threshold:.0%}"
        warn_en = f"; note: data completeness {q.completeness:.1%} below {q.threshold:.0%}"
    status: Status = "meets" if ok else "fails"
    if spec.id == "product_unit_energy":
        n_ok = computed.inputs.get("products_meeting_level", 0)
        n = computed.inputs.get("products_assessed", 0)
        lvl = computed.inputs.get("level_needed", 2)
        present = computed.inputs.get("products_present", n)
        return (
            status,
            f"{n} 个产品中 {n_ok} 个达到能耗限额 {lvl} 级及以上（{shown} {sign} {tval}；"
            f"覆盖率 {n}/{present}）{warn_zh}",
            f"{n_ok} of {n} products at level {lvl} or better ({shown} {sign} {tval}; "
            f"coverage {n} of {present} products){warn_en}",
            gap,
        )
    veto = "（核心指标，否决项）" if target.veto and not ok else ""
    return (
        status,
        f"{shown} {sign} {tval}（{target.id}）{veto}{warn_zh}",
        f"{shown} {sign} {tval} ({target.id}){' — core indicator, veto' if veto else ''}{warn_en}",
        gap,
    )


def evaluate(
    store: Store,
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    enterprise_id: int | None = None,
    options: IndicatorOptions | None = None,
    target_set: TargetSet | None = None,
    library: FactorLibrary | None = None,
    accounting: AccountingHook | None = None,
    indicators: Sequence[str] = IDS,
    exclusions: Mapping[str, str] | None = None,
    park_id: int | None = None,
) -> Evaluation:
    """Evaluate the indicators of the park (``enterprise_id=None``) or one enterprise.

    ``target_set`` overrides ``options.target_set``; ``exclusions`` maps a guiding indicator to
    the park's explanation why it is not assessed (a guiding indicator may be excluded where
    objective conditions are missing). ``accounting`` defaults to the store-backed accounting;
    ``options`` to the park's stored options (:mod:`lingtan.options`).
    """
    park_id = store.registry.park(park_id).id
    opts = options or IndicatorOptions.of(park_options.used(store, park_id=park_id))
    for i in indicators:
        if i not in BY_ID:
            raise InvalidInput(
                f"unknown indicator {i!r}; known: {', '.join(IDS)}", field="indicators"
            )
    for i in exclusions or {}:
        if i not in BY_ID or BY_ID[i].kind == "core":
            raise InvalidInput(
                f"only a guiding indicator may be excluded, not {i!r}", field="exclusions"
            )
    tset = target_set or load_target_set(opts.target_set)
    lib = library or default_library()
    hook = accounting if accounting is not None else default_accounting()
    ctx = _Context(
        store,
        enterprise_id=enterprise_id,
        options=opts,
        library=lib,
        limits=load_limits(opts.limits_file),
        accounting=hook,
        target_set=tset,
        park_id=park_id,
    )
    period = Period(year, month, ytd)
    base_period = period.with_year(opts.base_year)
    notes: list[str] = []
    computed: dict[str, Computed] = {i: COMPUTE[i](ctx, period) for i in indicators}
    core = computed.get("carbon_per_energy") or (
        _core(ctx, period) if "carbon_per_energy" not in indicators else None
    )
    energy_annual = None
    if core is not None and core.energy_tce is not None:
        energy_annual = core.energy_tce * period.annualisation()
    elif enterprise_id is None:
        st = ctx.energy(period)
        energy_annual = st.total_tce * period.annualisation() if st.total_tce > 0 else None
    if enterprise_id is not None:
        # the size class is the park's: an enterprise is measured against the park's target
        park_ctx = _Context(
            store,
            enterprise_id=None,
            options=opts,
            library=lib,
            limits=load_limits(opts.limits_file),
            accounting=hook,
            park_id=park_id,
        )
        energy_annual = park_ctx.energy(period).total_tce * period.annualisation()
        notes.append("enterprise scope: targets are the park's, for reference")
    if period.kind != "year":
        notes.append(
            f"{period.label}: the park's size class uses the period's energy scaled to a year "
            f"(×{period.annualisation():.3f})"
        )
    results: list[IndicatorResult] = []
    for i in indicators:
        spec = BY_ID[i]
        c = computed[i]
        target, from_set, tnote = select_target(
            tset, i, year=year, energy_tce=energy_annual, target_year=opts.target_year
        )
        excluded = (exclusions or {}).get(i)
        status, reason_zh, reason_en, gap = _judge(spec, c, target, tnote, opts, excluded)
        trend = _trend(ctx, i, period, base_period, c)
        evidence = list(c.evidence)
        if target is not None:
            evidence.append(
                {
                    "kind": "target",
                    "id": target.id,
                    "text": target.text(),
                    "source": target.source or (from_set.source if from_set else None),
                    "url": from_set.url if from_set else None,
                    "confidence": target.confidence,
                    "verified": target.verified,
                }
            )
        results.append(
            IndicatorResult(
                spec=spec,
                value=c.value,
                target=target,
                target_set=from_set,
                target_note=tnote,
                status=status,
                reason_zh=reason_zh,
                reason_en=reason_en,
                gap=gap,
                trend=trend,
                quality=c.quality,
                inputs=c.inputs,
                evidence=evidence,
                details=c.details,
                options=_relevant_options(i, opts),
            )
        )
    ent = ctx.enterprises.get(enterprise_id) if enterprise_id is not None else None
    return Evaluation(
        period=period,
        park_code=ctx.park.code,
        park_name=ctx.park.name,
        province=ctx.park.province,
        enterprise_id=enterprise_id,
        scope_code=ent.code if ent else ctx.park.code,
        scope_name=ent.name if ent else ctx.park.name,
        options=opts,
        target_set=tset,
        energy_tce_annual=energy_annual,
        indicators=tuple(results),
        notes=tuple(notes),
    )


def _trend(
    ctx: _Context, indicator: str, period: Period, base: Period, current: Computed
) -> dict[str, Any]:
    if period.year == base.year:
        return {
            "base_year": base.year,
            "base_value": current.value,
            "change": 0.0 if current.value is not None else None,
            "relative_change": 0.0 if current.value else None,
            "note": "基准年 / base year",
        }
    if period.year < base.year:
        return {
            "base_year": base.year,
            "base_value": None,
            "change": None,
            "relative_change": None,
            "note": "早于基准年 / before the base year",
        }
    try:
        past = COMPUTE[indicator](ctx, base)
    except LingtanError as err:
        return {
            "base_year": base.year,
            "base_value": None,
            "change": None,
            "relative_change": None,
            "note": f"基准年无法计算 / base year not computable: {err}",
        }
    if past.value is None or current.value is None:
        why = past.reason[1] if past.reason else "no value"
        return {
            "base_year": base.year,
            "base_value": past.value,
            "change": None,
            "relative_change": None,
            "note": f"基准年或本期无值 / no value: {why}",
        }
    rel = formulas.relative_change(current.value, past.value) if past.value else None
    return {
        "base_year": base.year,
        "base_value": past.value,
        "change": current.value - past.value,
        "relative_change": rel,
        "note": "",
    }


_OPTION_KEYS: dict[str, tuple[str, ...]] = {
    "carbon_per_energy": (
        "electricity_conversion",
        "completeness_threshold",
        "on_incomplete",
        "target_set",
        "target_year",
        "base_year",
    ),
    "clean_energy_share": (
        "electricity_conversion",
        "natural_gas_clean",
        "green_certificates_clean",
        "purchased_heat_fossil",
        "completeness_threshold",
        "on_incomplete",
        "target_set",
        "target_year",
        "base_year",
    ),
    "product_unit_energy": (
        "electricity_conversion",
        "limits_file",
        "completeness_threshold",
        "on_incomplete",
        "target_set",
        "base_year",
    ),
    "solid_waste_utilisation": (
        "completeness_threshold",
        "on_incomplete",
        "target_set",
        "base_year",
    ),
    "waste_heat_utilisation": (
        "completeness_threshold",
        "on_incomplete",
        "target_set",
        "base_year",
    ),
    "water_reuse": (
        "water_intake",
        "completeness_threshold",
        "on_incomplete",
        "target_set",
        "base_year",
    ),
}


def _relevant_options(indicator: str, options: IndicatorOptions) -> dict[str, Any]:
    data = options.as_dict()
    out = {k: data[k] for k in _OPTION_KEYS[indicator]}
    if "electricity_conversion" in out:
        out["electricity_conversion_zh"] = data["electricity_conversion_zh"]
    if options.used is not None:
        out["park_options_version"] = options.used.base.version
        if options.used.overrides:
            out["park_options_overrides"] = options.used.overrides
    return out


def default_accounting() -> AccountingHook:
    """The store-backed accounting (:class:`lingtan.indicators.core.StoreAccounting`)."""
    return StoreAccounting()


def rank_enterprises(
    store: Store,
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    options: IndicatorOptions | None = None,
    accounting: AccountingHook | None = None,
    park_id: int | None = None,
) -> list[dict[str, Any]]:
    """The core indicator per enterprise (附件4 method on each enterprise's activity), lowest
    first; enterprises without a value last, with the reason."""
    park = store.registry.park(park_id)
    opts = options or IndicatorOptions.of(park_options.used(store, park_id=park.id))
    hook = accounting if accounting is not None else default_accounting()
    period = Period(year, month, ytd)
    cores = hook.enterprise_cores(store, period, opts, park_id=park.id)
    rows: list[dict[str, Any]] = []
    for e in store.registry.enterprises(park.id):
        c = cores.get(e.id)
        reason = None
        if c is None:
            reason = "无计量或补充数据 / no metered or supplementary data"
        elif c.reason is not None:
            reason = c.reason[0]
        rows.append(
            {
                "enterprise_id": e.id,
                "code": e.code,
                "name": e.name,
                "value": None if c is None else c.value,
                "emissions_tco2": None if c is None else c.inputs.get("emissions_tco2"),
                "energy_tce": None if c is None else c.inputs.get("energy_tce"),
                "reason": reason,
            }
        )
    ranked = sorted((r for r in rows if r["value"] is not None), key=lambda r: r["value"])
    for n, r in enumerate(ranked, start=1):
        r["rank"] = n
    return ranked + [r | {"rank": None} for r in rows if r["value"] is None]
