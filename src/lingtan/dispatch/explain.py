"""Why a plan does what it does, and what it could not do.

* :func:`violations` reads the named slacks of a solved LP: each positive slack is a
  constraint family that could not be met (supply shortfall, unusable surplus, battery end
  target, EV energy, demand response), with the asset, the steps, the energy [kWh] and the
  figures that show why (e.g. the most an EV session can take between arrival and departure).
* :func:`with_reasons` gives every action of every step a one-line reason built from the
  inputs that drive it (tariff, PV surplus, grid factor, the demand-charge peak, a
  demand-response call) and the step's marginal price (the balance row's dual).

Reasons and violations are codes with figures; :func:`reason_text` and
:func:`violation_text` render them in zh-CN (default) or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from lingtan.dispatch.components import F64, Site
from lingtan.dispatch.lp import Solution
from lingtan.dispatch.model import Index, values

if TYPE_CHECKING:
    from lingtan.dispatch.plan import Plan

#: a flow below this is no action [kW]
ACTIVE_KW = 1e-6
#: a slack below this is solver noise [kWh]
SLACK_KWH = 1e-6


@dataclass(frozen=True)
class Violation:
    """A constraint family the plan could only meet with its slack."""

    family: str  # supply_shortfall | surplus | battery_end_soc | ev_energy | demand_response
    asset: str | None
    kwh: float
    first_step: int | None
    last_step: int | None
    figures: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "asset": self.asset,
            "kwh": self.kwh,
            "first_step": self.first_step,
            "last_step": self.last_step,
            "figures": dict(self.figures),
        }


@dataclass(frozen=True)
class Reason:
    """One action of one step and the inputs behind it."""

    asset: str
    action: str  # charge | discharge | ev_charge | shift_in | shift_out | curtail | generate
    kw: float
    because: tuple[str, ...]
    price: float  # the step's import price [元/kWh]
    marginal: float  # the step's marginal value of energy [元/kWh]

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "action": self.action,
            "kw": self.kw,
            "because": list(self.because),
            "price": self.price,
            "marginal": self.marginal,
        }


def _span(mask: np.ndarray) -> tuple[int | None, int | None]:
    where = np.flatnonzero(mask)
    return (int(where[0]), int(where[-1])) if where.size else (None, None)


def violations(site: Site, sol: Solution, ix: Index) -> list[Violation]:
    """The constraint families whose slack the optimum had to use, largest first."""
    dt = site.step_hours
    out: list[Violation] = []
    for family, cols, figures in (
        ("supply_shortfall", ix.short, {"import_limit_kw": site.grid.import_limit_kw}),
        ("surplus", ix.surplus, {"export_limit_kw": site.grid.export_limit_kw}),
    ):
        kw = values(sol, cols)
        if dt * kw.sum() > SLACK_KWH:
            first, last = _span(kw > ACTIVE_KW)
            out.append(
                Violation(
                    family,
                    None,
                    dt * float(kw.sum()),
                    first,
                    last,
                    {**figures, "max_kw": float(kw.max())},
                )
            )
    for b in site.batteries:
        gap = float(values(sol, ix.endgap[b.code]))
        if gap > SLACK_KWH:
            out.append(
                Violation(
                    "battery_end_soc",
                    b.code,
                    gap,
                    site.steps - 1,
                    site.steps - 1,
                    {
                        "target_kwh": b.end_target * b.energy_kwh,
                        "initial_kwh": b.soc_initial * b.energy_kwh,
                        "charge_kw": b.charge_kw,
                    },
                )
            )
    limits = {c.code: c.max_kw for c in site.chargers}
    for s in site.sessions:
        unmet = float(values(sol, ix.unmet[s.code]))
        if unmet > SLACK_KWH:
            reach = dt * (s.departure - s.arrival) * min(s.max_kw, limits[s.charger])
            out.append(
                Violation(
                    "ev_energy",
                    s.code,
                    unmet,
                    s.arrival,
                    s.departure - 1,
                    {
                        "needed_kwh": s.energy_kwh,
                        "deliverable_kwh": reach,
                        "max_kw": min(s.max_kw, limits[s.charger]),
                    },
                )
            )
    call = site.demand_response
    if call is not None and ix.dr is not None:
        kw = values(sol, ix.dr)
        if dt * kw.sum() > SLACK_KWH:
            first, last = _span(kw > ACTIVE_KW)
            out.append(
                Violation(
                    "demand_response",
                    None,
                    dt * float(kw.sum()),
                    None if first is None else call.start + first,
                    None if last is None else call.start + last,
                    {"reduction": call.reduction, "max_kw_over": float(kw.max())},
                )
            )
    return sorted(out, key=lambda v: -v.kwh)


def with_reasons(site: Site, plan: Plan) -> Plan:
    """The plan with a reason for every action of every step."""
    g = site.grid
    price = g.import_price
    # the lowest and highest 40 % of the day's price range; a flat tariff is neither
    pmin, spread = float(price.min()), float(price.max() - price.min())
    low_price = (price <= pmin + 0.4 * spread + 1e-12) & (spread > 1e-9)
    high_price = (price >= pmin + 0.6 * spread - 1e-12) & (spread > 1e-9)
    factor = g.carbon_factor
    carbon_on = site.objective.carbon > 0 and site.objective.carbon_price > 0
    low_carbon = carbon_on & (factor < factor.mean() - 1e-12)
    high_carbon = carbon_on & (factor > factor.mean() + 1e-12)
    pv_total = sum(plan.pv_kw.values(), np.zeros(plan.steps)) + sum(
        plan.curtailed_kw.values(), np.zeros(plan.steps)
    )
    demand = plan.load_kw + sum(plan.ev_kw.values(), np.zeros(plan.steps))
    pv_surplus = pv_total > demand + ACTIVE_KW
    at_peak = np.zeros(plan.steps, dtype=bool)
    if site.objective.demand > 0 and g.demand_price > 0 and plan.import_kw.size:
        at_peak = plan.import_kw >= plan.terms.peak_import_kw - 1e-6
    in_call = np.zeros(plan.steps, dtype=bool)
    if site.demand_response is not None:
        in_call[site.demand_response.start : site.demand_response.end] = True
    reasons: list[list[Reason]] = [[] for _ in range(plan.steps)]

    def add(t: int, asset: str, action: str, kw: float, because: list[str]) -> None:
        reasons[t].append(
            Reason(
                asset, action, kw, tuple(because), float(price[t]), float(plan.marginal_price[t])
            )
        )

    # what makes taking energy in a step worth it, and what makes giving it (or cutting load)
    taking = {"pv_surplus": pv_surplus, "low_price": low_price, "low_carbon": low_carbon}
    giving = {"demand_response": in_call, "peak_shaving": at_peak, "high_price": high_price,
              "high_carbon": high_carbon}  # fmt: skip
    # a generator emits: a high grid factor is no reason to run it
    generating = {k: v for k, v in giving.items() if k != "high_carbon"}

    def actions(asset: str, action: str, kw: F64, causes: dict[str, Any], otherwise: str) -> None:
        for t in np.flatnonzero(kw > ACTIVE_KW):
            why = [c for c, on in causes.items() if on[t]]
            add(int(t), asset, action, float(kw[t]), why or [otherwise])

    for b in site.batteries:
        actions(b.code, "charge", plan.charge_kw[b.code], taking, "end_target")
        actions(b.code, "discharge", plan.discharge_kw[b.code], giving, "self_consumption")
    for s in site.sessions:
        actions(s.code, "ev_charge", plan.ev_kw[s.code], taking, "departure")
    for f in site.flex:
        delta = plan.flex_kw[f.code] - f.baseline_kw
        actions(f.code, "shift_in", np.maximum(delta, 0.0), taking, "window_energy")
        actions(f.code, "shift_out", np.maximum(-delta, 0.0), giving, "window_energy")
    for code, kw in plan.curtailed_kw.items():
        actions(code, "curtail", kw, {}, "no_outlet")
    for code, kw in plan.generator_kw.items():
        actions(code, "generate", kw, generating, "supply_shortfall")
    return replace(plan, reasons=reasons)


_ACTIONS = {
    "zh": {
        "charge": "充电",
        "discharge": "放电",
        "ev_charge": "电动汽车充电",
        "shift_in": "负荷移入",
        "shift_out": "负荷移出",
        "curtail": "弃光",
        "generate": "发电机出力",
    },
    "en": {
        "charge": "charge",
        "discharge": "discharge",
        "ev_charge": "EV charging",
        "shift_in": "load shifted in",
        "shift_out": "load shifted out",
        "curtail": "PV curtailed",
        "generate": "generator on",
    },
}
_BECAUSE = {
    "zh": {
        "pv_surplus": "光伏富余",
        "low_price": "低谷电价",
        "high_price": "高峰电价",
        "low_carbon": "电网碳排放因子低",
        "high_carbon": "电网碳排放因子高",
        "peak_shaving": "削减需量峰值",
        "demand_response": "需求响应时段",
        "end_target": "满足日末荷电目标",
        "self_consumption": "自发自用",
        "departure": "离站前充满",
        "window_energy": "保持时段内电量不变",
        "no_outlet": "无负荷、储能已满且不能上网",
        "supply_shortfall": "供电不足",
    },
    "en": {
        "pv_surplus": "PV surplus",
        "low_price": "low tariff",
        "high_price": "peak tariff",
        "low_carbon": "low grid carbon factor",
        "high_carbon": "high grid carbon factor",
        "peak_shaving": "caps the demand peak",
        "demand_response": "demand-response call",
        "end_target": "end-of-day SoC target",
        "self_consumption": "self-consumption",
        "departure": "charged before departure",
        "window_energy": "keeps the window's energy",
        "no_outlet": "no load, storage full and no export",
        "supply_shortfall": "supply shortfall",
    },
}


def reason_text(reason: Reason, lang: str = "zh") -> str:
    """One line: action, power, causes and prices."""
    lang = "en" if lang == "en" else "zh"
    action = _ACTIONS[lang][reason.action]
    causes = ("、" if lang == "zh" else ", ").join(_BECAUSE[lang][c] for c in reason.because)
    if lang == "zh":
        return f"{action} {reason.kw:,.0f} kW：{causes}（电价 {reason.price:.3f} 元/kWh，边际价值 {reason.marginal:.3f} 元/kWh）"
    return f"{action} {reason.kw:,.0f} kW: {causes} (tariff {reason.price:.3f} CNY/kWh, marginal value {reason.marginal:.3f} CNY/kWh)"


def violation_text(v: Violation, step_hours: float, lang: str = "zh") -> str:
    """What could not be met, where and by how much."""
    f = v.figures
    zh = lang != "en"
    if v.family == "supply_shortfall":
        return (
            f"负荷超过电网进线上限 {f['import_limit_kw']:,.0f} kW 与光伏、储能、发电机之和：缺电 {v.kwh:,.1f} kWh（最大 {f['max_kw']:,.0f} kW）"
            if zh
            else f"load exceeds the import limit of {f['import_limit_kw']:,.0f} kW plus PV, storage and generators: "
            f"{v.kwh:,.1f} kWh short (at most {f['max_kw']:,.0f} kW)"
        )
    if v.family == "surplus":
        return (
            f"不可弃的光伏超过负荷、储能与上网上限 {f['export_limit_kw']:,.0f} kW：多余 {v.kwh:,.1f} kWh"
            if zh
            else f"non-curtailable PV exceeds load, storage and the export limit of "
            f"{f['export_limit_kw']:,.0f} kW: {v.kwh:,.1f} kWh surplus"
        )
    if v.family == "battery_end_soc":
        return (
            f"储能 {v.asset} 日末电量目标 {f['target_kwh']:,.0f} kWh 差 {v.kwh:,.1f} kWh（充电功率 {f['charge_kw']:,.0f} kW）"
            if zh
            else f"battery {v.asset} misses its end-of-horizon energy of {f['target_kwh']:,.0f} kWh by "
            f"{v.kwh:,.1f} kWh (charge rating {f['charge_kw']:,.0f} kW)"
        )
    if v.family == "ev_energy":
        return (
            f"充电会话 {v.asset} 需要 {f['needed_kwh']:,.1f} kWh，但在停留时段内最多可充 {f['deliverable_kwh']:,.1f} kWh"
            f"（{f['max_kw']:,.0f} kW）：缺 {v.kwh:,.1f} kWh"
            if zh
            else f"EV session {v.asset} needs {f['needed_kwh']:,.1f} kWh but at most "
            f"{f['deliverable_kwh']:,.1f} kWh can be delivered while it is present ({f['max_kw']:,.0f} kW): "
            f"{v.kwh:,.1f} kWh unmet"
        )
    return (
        f"需求响应要求削减 {f['reduction']:.0%}，进线功率最多仍超出 {f['max_kw_over']:,.0f} kW（{v.kwh:,.1f} kWh）"
        if zh
        else f"the demand-response call asks for a {f['reduction']:.0%} reduction; import stays up to "
        f"{f['max_kw_over']:,.0f} kW above it ({v.kwh:,.1f} kWh)"
    )
