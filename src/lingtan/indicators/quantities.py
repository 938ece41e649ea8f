"""The named quantities an indicator profile's definitions may use (指标定义可用的量).

Each quantity has a unit and a provider that computes it for a scope and period from what
lingtan already has: the accounting (单位能耗碳排放's numerator and denominator), the energy
statistics (metered carriers, the electricity balance), and the statistics records
(:mod:`lingtan.indicators.records`: solid waste, waste heat, water, products; and, for the
provincial indicators, vehicles, buildings, freight, offsets and demand response).

The quantities of the national 1 + 5 are read from the same computations the indicator code
uses (:data:`lingtan.indicators.evaluate.COMPUTE`), so a profile that defines those indicators
from them reproduces their values exactly (tests/indicators/test_profiles.py).

A quantity whose data do not exist evaluates to *missing* with the reason and the input to
supply (a record category and item, a meter carrier); the profile's indicator then reports
"insufficient data" naming it.

The building counts are those of the sites in scope carrying an energy-performance label in the
park model (:data:`BUILDING_LABELS`), or, when no site in scope declares a label of the family,
the ``buildings`` records.

Stock quantities (vehicles, buildings: counts at a date) take, per owner, the latest record
overlapping the period; demand response takes, per owner, the largest value of the period; flows
(freight, offsets) are pro-rated by days like the other statistics records.

``demand_response_delivered_kw`` is not a record: it is the largest reduction the park's
demand-response calls delivered in the period, each judged from its dispatch plan against the
metered grid import (:func:`lingtan.dispatch.actual.calls_between`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from lingtan.indicators.evaluate import (
    _NO_QUALITY,
    COMPUTE,
    _Context,
    _coverage,
    _entered_quality,
    _metered_quality,
    _record_evidence,
    _sum_items,
)
from lingtan.indicators.period import Period, overlap_days
from lingtan.indicators.result import Computed, DataQuality
from lingtan.registry.building_labels import ENERGY_LABEL, GREEN_BUILDING_STAR, families, label_name


@dataclass(frozen=True, slots=True)
class QuantitySpec:
    """A named quantity: unit, names, and where its data come from."""

    name: str
    unit: str
    name_zh: str
    name_en: str
    #: what to supply when it is missing (a record category/item, a meter carrier …)
    input_zh: str
    input_en: str


@dataclass(frozen=True)
class Got:
    """A quantity's value for one scope and period, or why there is none."""

    value: float | None
    missing: tuple[str, str] | None
    quality: DataQuality
    evidence: Sequence[Mapping[str, Any]] = field(default=())


def _q(name: str, unit: str, zh: str, en: str, input_zh: str, input_en: str) -> QuantitySpec:
    return QuantitySpec(name, unit, zh, en, input_zh, input_en)


QUANTITIES: Final[dict[str, QuantitySpec]] = {
    q.name: q
    for q in (
        _q("emissions_tco2", "tCO2", "园区二氧化碳排放量 E园区", "park CO2 emissions",
           "碳排放核算（附件4）：计量数据与补充数据", "carbon accounting (Annex 4): metered data, supplements"),
        _q("energy_tce", "tce", "综合能源消费量", "energy consumption",
           "碳排放核算（附件4）的综合能源消费量", "energy consumption of the accounting (Annex 4)"),
        _q("clean_energy_tce", "tce", "清洁能源消费量", "clean energy consumed",
           "各能源品种计量数据、绿电直连、光伏、绿证", "metered carriers, direct green supply, PV, certificates"),
        _q("metered_energy_tce", "tce", "计量能源消费量（清洁能源占比分母）",
           "metered energy consumption (clean-share denominator)",
           "各能源品种计量数据", "metered energy carriers"),
        _q("products_assessed", "count", "参评产品数", "products assessed",
           "产品产量统计记录与能耗限额记录", "product_output records and limit records"),
        _q("products_at_level_1", "count", "达到能耗限额 1 级的产品数", "products at limit level 1",
           "产品产量统计记录与能耗限额记录", "product_output records and limit records"),
        _q("products_at_level_2", "count", "达到能耗限额 2 级及以上的产品数",
           "products at limit level 2 or better",
           "产品产量统计记录与能耗限额记录", "product_output records and limit records"),
        _q("products_at_level_3", "count", "达到能耗限额 3 级及以上的产品数",
           "products at limit level 3 or better",
           "产品产量统计记录与能耗限额记录", "product_output records and limit records"),
        _q("solid_waste_generated_t", "t", "一般工业固体废物产生量", "solid waste generated",
           "固体废物统计记录（产生量）", "solid_waste.generated records"),
        _q("solid_waste_utilised_t", "t", "一般工业固体废物综合利用量", "solid waste utilised",
           "固体废物统计记录（综合利用量）", "solid_waste.utilised records"),
        _q("solid_waste_utilised_from_storage_t", "t", "综合利用往年贮存量",
           "utilised from previous years' storage",
           "固体废物统计记录（综合利用往年贮存量）", "solid_waste.utilised_from_storage records"),
        _q("waste_heat_available_gj", "GJ", "余热/余冷/余压可回收资源量", "recoverable waste heat",
           "余热余冷余压统计记录（可回收资源量）", "waste_heat.available records"),
        _q("waste_heat_utilised_gj", "GJ", "余热/余冷/余压回收利用量", "waste heat utilised",
           "余热余冷余压统计记录（回收利用量）", "waste_heat.utilised records"),
        _q("water_intake_m3", "m3", "取水量", "water intake",
           "用水统计记录（取水量）或取水表", "water.intake records or water meters"),
        _q("water_reused_m3", "m3", "重复利用水量", "water reused",
           "用水统计记录（重复利用水量）", "water.reused records"),
        _q("electricity_consumption_kwh", "kWh", "用电量（电网＋直连绿电＋光伏－上网）",
           "electricity used (grid + direct green + PV − export)",
           "电力计量数据", "metered electricity"),
        _q("direct_green_electricity_kwh", "kWh", "绿色电力直接供应电量", "direct green supply",
           "绿电直连计量点", "direct_green_electricity meter points"),
        _q("offsets_tco2", "tCO2", "碳排放抵销量（CCER、核算外使用的绿证等）",
           "offsets retired (CCER, certificates beyond accounting use …)",
           "碳排放抵销统计记录", "offsets records"),
        _q("freight_total_t", "t", "大宗货物运输量", "bulk freight moved",
           "货物运输统计记录（大宗货物运输量）", "transport.freight_total records"),
        _q("freight_clean_t", "t", "清洁方式运输量（铁路、水路、管道、新能源车辆）",
           "freight moved by clean modes (rail, water, pipeline, new-energy trucks)",
           "货物运输统计记录（清洁方式运输量）", "transport.freight_clean records"),
        _q("public_vehicles_total", "count", "公共服务车辆数", "public-service vehicles",
           "车辆统计记录（公共服务车辆数）", "vehicles.public_service_total records"),
        _q("public_vehicles_new_energy", "count", "公共服务新能源汽车数",
           "new-energy public-service vehicles",
           "车辆统计记录（公共服务新能源汽车数）",
           "vehicles.public_service_new_energy records"),
        _q("buildings_ultra_low_energy", "count", "超低能耗建筑数量", "ultra-low-energy buildings",
           "园区模型中厂区/建筑的超低/近零/零能耗建筑标识或建筑能效标识记录（超低能耗建筑）",
           "sites' energy_label in the park model, or buildings.ultra_low_energy records"),
        _q("buildings_near_zero_energy", "count", "近零能耗建筑数量（含零能耗建筑）",
           "near-zero-energy buildings (zero-energy included)",
           "园区模型中厂区/建筑的超低/近零/零能耗建筑标识或建筑能效标识记录（近零能耗建筑）",
           "sites' energy_label in the park model, or buildings.near_zero_energy records"),
        _q("buildings_green_high_star", "count", "高星级（二星级及以上）绿色建筑数量",
           "high-star (two stars or more) green buildings",
           "园区模型中厂区/建筑的绿色建筑星级或建筑能效标识记录（二星级、三星级绿色建筑）",
           "sites' green_building_star in the park model, or buildings.green_star_2 / "
           "green_star_3 records"),
        _q("peak_load_kw", "kW", "最大用电负荷", "peak load",
           "需求响应统计记录（最大用电负荷）", "demand_response.peak_load records"),
        _q("demand_response_kw", "kW", "需求响应能力（削减负荷）", "demand-response capability",
           "需求响应统计记录（需求响应能力）", "demand_response.capability records"),
        _q("demand_response_delivered_kw", "kW", "需求响应实际削减负荷",
           "demand-response reduction delivered",
           "调度计划中的需求响应调用与电网购电计量数据", "dispatch plans' calls vs metered import"),
    )
}  # fmt: skip

#: quantity name → unit text, what :func:`lingtan.indicators.formula_lang.parse_formula` needs
UNITS: Final[dict[str, str]] = {n: q.unit for n, q in QUANTITIES.items()}


class QuantitySource:
    """Quantities of one scope, computed on demand and cached per period."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self._computed: dict[tuple[str, Period], Computed] = {}
        self._got: dict[tuple[str, Period], Got] = {}

    def computed(self, indicator: str, period: Period) -> Computed:
        """The national indicator code's computation (cached)."""
        key = (indicator, period)
        if key not in self._computed:
            self._computed[key] = COMPUTE[indicator](self.ctx, period)
        return self._computed[key]

    def get(self, name: str, period: Period) -> Got:
        """The quantity ``name`` for ``period``."""
        key = (name, period)
        if key not in self._got:
            self._got[key] = _PROVIDERS[name](self, period)
        return self._got[key]

    @property
    def threshold(self) -> float:
        return self.ctx.options.completeness_threshold

    def no_data(self, name: str) -> Got:
        spec = QUANTITIES[name]
        return Got(
            None,
            (
                f"缺少{spec.name_zh}：需要{spec.input_zh}",
                f"no {spec.name_en}: needs {spec.input_en}",
            ),
            replace(_NO_QUALITY, threshold=self.threshold),
        )


Provider = Callable[[QuantitySource, Period], Got]


def _from(indicator: str, key: str, *, positive: bool = False) -> Provider:
    def provide(src: QuantitySource, period: Period) -> Got:
        c = src.computed(indicator, period)
        v = c.inputs.get(key)
        if v is None or (positive and v <= 0):
            reason = c.reason or ("无数据", "no data")
            return Got(None, reason, c.quality, c.evidence)
        return Got(float(v), None, c.quality, c.evidence)

    return provide


def _products(level: int | None) -> Provider:
    def provide(src: QuantitySource, period: Period) -> Got:
        c = src.computed("product_unit_energy", period)
        rows = [d for d in c.details if d.get("status") in ("meets", "fails")]
        if not rows:
            return Got(None, c.reason or ("无可评价产品", "no product assessed"), c.quality)
        if c.value is None:
            # too few of the products present were assessed (the park option
            # product_coverage_min): the counts say nothing about the park
            return Got(None, c.reason, c.quality)
        if level is None:
            n = len(rows)
        else:
            n = sum(1 for d in rows if d.get("level") is not None and d["level"] <= level)
        return Got(float(n), None, c.quality, c.evidence)

    return provide


def _electricity(attr: str) -> Provider:
    def provide(src: QuantitySource, period: Period) -> Got:
        st = src.ctx.energy(period)
        quality = _metered_quality(st.quality, src.threshold)
        if st.total_tce <= 0:
            return Got(
                None,
                ("期间内无能源消费计量数据", "no metered energy consumption in the period"),
                quality,
            )
        return Got(float(getattr(st.electricity, attr)), None, quality)

    return provide


def _flow(category: str, items: Sequence[str] | None, unit: str, name: str) -> Provider:
    """Sum of ``items`` (None: every item) of a flow category, pro-rated into the period."""

    def provide(src: QuantitySource, period: Period) -> Got:
        summed = _sum_items(src.ctx.records(period), category, period, unit)
        if not summed:
            return src.no_data(name)
        wanted = list(summed) if items is None else [i for i in items if i in summed]
        owners = {o for acc in summed.values() for o in acc.ranges}
        coverage, detail = _coverage(
            summed, wanted or list(summed), period, owners, src.ctx.owner_code
        )
        value = sum(summed[i].quantity for i in wanted)
        return Got(
            value,
            None,
            _entered_quality(coverage, detail, src.threshold),
            _record_evidence(src.ctx, {i: summed[i] for i in wanted}),
        )

    return provide


def _stock(category: str, items: Sequence[str], name: str, *, peak: bool = False) -> Provider:
    """Per owner and item the latest record overlapping the period (``peak``: the largest),
    summed over owners and items. Counts are entered in unit 1; loads in kW."""

    def provide(src: QuantitySource, period: Period) -> Got:
        from lingtan import units

        recs = [
            r
            for r in src.ctx.records(period)
            if r.category == category
            and overlap_days(
                dt.date.fromisoformat(r.period_start), dt.date.fromisoformat(r.period_end), period
            )
        ]
        if not recs:
            return src.no_data(name)
        chosen: dict[tuple[int | None, str], float] = {}
        latest: dict[tuple[int | None, str], str] = {}
        target_unit = "kW" if peak else "1"
        for r in recs:
            if r.item not in items:
                continue
            q = units.convert(r.quantity, r.unit, target_unit)
            k = (r.enterprise_id, r.item)
            if peak:
                chosen[k] = max(chosen.get(k, q), q)
            elif k not in latest or r.period_end >= latest[k]:
                latest[k] = r.period_end
                chosen[k] = q
        evidence = [
            {
                "kind": "record",
                "id": r.id,
                "enterprise": src.ctx.owner_code(r.enterprise_id),
                "category": r.category,
                "item": r.item,
                "period": f"{r.period_start}…{r.period_end}",
                "quantity": r.quantity,
                "unit": r.unit,
                "source_document": r.source_document,
            }
            for r in recs
            if r.item in items
        ]
        quality = _entered_quality(
            1.0, "登记数据（时点量）/ registered stock at a date", src.threshold
        )
        return Got(float(sum(chosen.values())), None, quality, evidence)

    return provide


#: the declared classes each building count counts. GB/T 51350-2019 (2.0.1–2.0.3) defines
#: 超低能耗建筑 as the primary form of 近零能耗建筑 (its efficiency indicators slightly below) and
#: 零能耗建筑 as its advanced form (near-zero indicators met, and the renewable generation of the
#: building and its surroundings at least its yearly use): a zero-energy building is counted as
#: near-zero; a near-zero or zero-energy building is not counted again as ultra-low, so that
#: "ultra-low + near-zero" (the Jiangxi profile) counts each building once. GB/T 50378-2019
#: 3.2.7: high-star = 二星级 and 三星级.
BUILDING_LABELS: Final[dict[str, tuple[str, frozenset[str]]]] = {
    "buildings_ultra_low_energy": (ENERGY_LABEL, frozenset({"ultra_low_energy"})),
    "buildings_near_zero_energy": (ENERGY_LABEL, frozenset({"near_zero_energy", "zero_energy"})),
    "buildings_green_high_star": (GREEN_BUILDING_STAR, frozenset({"2", "3"})),
}


def _labelled(name: str, records: Provider) -> Provider:
    """The sites in scope (the enterprise's, or all the park's) whose declared label is one the
    quantity counts (:data:`BUILDING_LABELS`) and was granted by the period's last day. When no
    site in scope declares a label of the family, the ``records`` provider's count instead —
    never both; the evidence's first entry (``kind: basis``) names the source used."""
    family, codes = BUILDING_LABELS[name]
    date_field = "energy_label_date" if family == ENERGY_LABEL else "green_building_date"
    cert_field = (
        "energy_label_certificate" if family == ENERGY_LABEL else "green_building_certificate"
    )

    def provide(src: QuantitySource, period: Period) -> Got:
        ctx = src.ctx
        fam = families()[family]
        sites = [
            s
            for s in ctx.store.registry.sites(ctx.park.id)
            if ctx.enterprise_id is None or s.enterprise_id == ctx.enterprise_id
        ]
        declared = [s for s in sites if getattr(s, family) is not None]
        if not declared:
            got = records(src, period)
            basis = {
                "kind": "basis",
                "quantity": name,
                "source": "records",
                "text": f"范围内无厂区/建筑声明{fam.citation()}的标识，取建筑能效标识记录 / no "
                f"site in scope declares {family}: buildings records",
            }
            return replace(got, evidence=[basis, *got.evidence])
        last = period.last.isoformat()
        counted = [s for s in declared if getattr(s, family) in codes]
        later = [s for s in counted if (getattr(s, date_field) or "") > last]
        evidence: list[Mapping[str, Any]] = [
            {
                "kind": "basis",
                "quantity": name,
                "source": "park_model",
                "text": f"园区模型中厂区/建筑声明的{fam.citation()}标识，不计记录 / "
                f"{family} declared by the park model's sites; records not counted",
                "counts": sorted(codes),
            }
        ]
        evidence += [
            {
                "kind": "site",
                "site": s.code,
                "name": s.name,
                "enterprise": ctx.owner_code(s.enterprise_id),
                family: getattr(s, family),
                "label": label_name(family, getattr(s, family)),
                "certificate": getattr(s, cert_field),
                "date": getattr(s, date_field),
                "counted": s not in later,
            }
            for s in counted
        ]
        quality = _entered_quality(
            1.0, "园区模型声明的建筑能效标识 / labels declared in the park model", src.threshold
        )
        return Got(float(len(counted) - len(later)), None, quality, evidence)

    return provide


def _dr_delivered(src: QuantitySource, period: Period) -> Got:
    """The largest reduction a demand-response call of the period delivered [kW]: each call of
    the park's dispatch plans on a day of the period that is over, its mean baseline less its
    mean metered grid import over the window (:func:`lingtan.dispatch.dr.delivered`).
    Completeness is the share of the calls that could be assessed (a call whose baseline
    cannot be reproduced or whose window lacks metered hours is not), so a maximum over part of
    the calls is flagged incomplete. Dispatch is the park's microgrid: an enterprise scope has
    none."""
    from lingtan.dispatch.actual import calls_between
    from lingtan.timeutil import utcnow

    name = "demand_response_delivered_kw"
    none = replace(_NO_QUALITY, threshold=src.threshold)
    if src.ctx.enterprise_id is not None:
        return Got(
            None,
            ("需求响应调度属于园区微电网，不计入企业", "dispatch is the park microgrid's: no "
             "demand-response call belongs to an enterprise"),
            none,
        )  # fmt: skip
    calls = calls_between(
        src.ctx.store, park_id=src.ctx.park.id, first=period.first, last=period.last,
        now=utcnow(),
    )  # fmt: skip
    if not calls:
        return src.no_data(name)
    evidence = [
        {
            "kind": "demand_response_call",
            "plan_id": c["plan_id"],
            "day": c["day"],
            "window": f"{c['call'].get('from')}–{c['call'].get('to')}",
            "reduction_pct": c["call"].get("reduction_pct"),
            "baseline": c["baseline"]["kind"],
            "status": c["status"],
            "delivered_kw": c["delivered_kw"],
            "required_kw": c["required_kw"],
            "reason": c["reason"],
        }
        for c in calls
    ]
    assessed = [c for c in calls if c["delivered_kw"] is not None]
    if not assessed:
        first = calls[0]["reason"] or {"zh": "", "en": ""}
        return Got(
            None,
            (
                f"期间内 {len(calls)} 次需求响应均无法评价（如：{first['zh']}）",
                f"none of the {len(calls)} demand-response calls of the period could be "
                f"assessed (e.g. {first['en']})",
            ),
            none,
            evidence,
        )
    share = len(assessed) / len(calls)
    quality = DataQuality(
        1.0, 0.0, 0.0, 0.0, share, src.threshold,
        f"已评价的需求响应 {len(assessed)}/{len(calls)} / calls assessed",
    )  # fmt: skip
    return Got(max(float(c["delivered_kw"]) for c in assessed), None, quality, evidence)


_PROVIDERS: Final[dict[str, Provider]] = {
    "emissions_tco2": _from("carbon_per_energy", "emissions_tco2"),
    "energy_tce": _from("carbon_per_energy", "energy_tce"),
    "clean_energy_tce": _from("clean_energy_share", "clean_tce"),
    "metered_energy_tce": _from("clean_energy_share", "total_tce"),
    "products_assessed": _products(None),
    "products_at_level_1": _products(1),
    "products_at_level_2": _products(2),
    "products_at_level_3": _products(3),
    "solid_waste_generated_t": _from("solid_waste_utilisation", "generated_t"),
    "solid_waste_utilised_t": _from("solid_waste_utilisation", "utilised_t"),
    "solid_waste_utilised_from_storage_t": _from(
        "solid_waste_utilisation", "utilised_from_storage_t"
    ),
    "waste_heat_available_gj": _from("waste_heat_utilisation", "available_gj"),
    "waste_heat_utilised_gj": _from("waste_heat_utilisation", "utilised_gj"),
    "water_intake_m3": _from("water_reuse", "intake_m3"),
    "water_reused_m3": _from("water_reuse", "reused_m3"),
    "electricity_consumption_kwh": _electricity("consumption"),
    "direct_green_electricity_kwh": _electricity("direct_green"),
    "offsets_tco2": _flow("offsets", None, "tCO2", "offsets_tco2"),
    "freight_total_t": _flow("transport", ("freight_total",), "t", "freight_total_t"),
    "freight_clean_t": _flow("transport", ("freight_clean",), "t", "freight_clean_t"),
    "public_vehicles_total": _stock("vehicles", ("public_service_total",), "public_vehicles_total"),
    "public_vehicles_new_energy": _stock(
        "vehicles", ("public_service_new_energy",), "public_vehicles_new_energy"
    ),
    "buildings_ultra_low_energy": _labelled(
        "buildings_ultra_low_energy",
        _stock("buildings", ("ultra_low_energy",), "buildings_ultra_low_energy"),
    ),
    "buildings_near_zero_energy": _labelled(
        "buildings_near_zero_energy",
        _stock("buildings", ("near_zero_energy",), "buildings_near_zero_energy"),
    ),
    "buildings_green_high_star": _labelled(
        "buildings_green_high_star",
        _stock("buildings", ("green_star_2", "green_star_3"), "buildings_green_high_star"),
    ),
    "peak_load_kw": _stock("demand_response", ("peak_load",), "peak_load_kw", peak=True),
    "demand_response_kw": _stock(
        "demand_response", ("capability",), "demand_response_kw", peak=True
    ),
    "demand_response_delivered_kw": _dr_delivered,
}
assert set(_PROVIDERS) == set(QUANTITIES)
