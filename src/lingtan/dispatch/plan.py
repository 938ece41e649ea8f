"""Solve a site and read the plan back: per-step actions, the objective terms, violations.

:func:`solve` is the one entry point: check the site, build the LP
(:mod:`lingtan.dispatch.model`), solve it with HiGHS and turn the column values into a
:class:`Plan`. The objective terms are recomputed from the plan's own flows (not read from the
solver's objective) so a term reads the same whether or not its weight put it in the objective.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lingtan.dispatch import explain
from lingtan.dispatch.components import F64, Site
from lingtan.dispatch.model import BALANCE_PENALTY, PENALTY, build, values
from lingtan.errors import Unavailable

#: violations of the energy balance itself (priced at BALANCE_PENALTY)
BALANCE_FAMILIES = frozenset({"supply_shortfall", "surplus"})


@dataclass(frozen=True)
class Terms:
    """The plan's figures over the horizon, in the units named."""

    energy_cost: float  # 元: imports − export revenue + generator fuel
    demand_cost: float  # 元: demand charge on the rise of the month's peak
    carbon_t: float  # tCO2: grid import × factor + generators
    carbon_cost: float  # 元: carbon_t × carbon price
    non_green_kwh: float  # kWh of consumption not met carbon-free in its step
    cfe_score: float | None  # 0–1: 1 − non_green ÷ consumption (None without consumption)
    degradation_cost: float  # 元
    penalty: float  # 元: slack × its penalty (0 for a plan that meets every constraint)
    consumption_kwh: float
    import_kwh: float
    export_kwh: float
    peak_import_kw: float

    @property
    def total(self) -> float:
        """Everything that costs money [元] (without the penalty of slacks)."""
        return self.energy_cost + self.demand_cost + self.carbon_cost + self.degradation_cost

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["total"] = self.total
        return d


@dataclass(frozen=True)
class Plan:
    """A solved plan: per-step flows [kW], SoC [kWh], terms, violations and reasons."""

    status: str  # optimal | relaxed (met only with named slacks) | the solver's status
    steps: int
    step_hours: float
    load_kw: F64  # fixed load + flexible loads' baselines
    import_kw: F64
    export_kw: F64
    pv_kw: dict[str, F64]
    curtailed_kw: dict[str, F64]
    charge_kw: dict[str, F64]
    discharge_kw: dict[str, F64]
    soc_kwh: dict[str, F64]
    ev_kw: dict[str, F64]
    flex_kw: dict[str, F64]  # the shifted load (baseline + up − down)
    generator_kw: dict[str, F64]
    short_kw: F64
    surplus_kw: F64
    marginal_price: F64  # 元/kWh: the balance row's dual ÷ Δ
    terms: Terms
    violations: list[explain.Violation]
    reasons: list[list[explain.Reason]]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """Met every constraint without a slack."""
        return self.status == "optimal"

    def balance_residual(self, site: Site) -> F64:
        """Supply − demand per step [kW]; zero at every step for a solved plan."""
        supply = self.import_kw - self.export_kw + self.short_kw - self.surplus_kw
        supply = supply + sum(self.pv_kw.values(), np.zeros(self.steps))
        supply = supply + sum(self.discharge_kw.values(), np.zeros(self.steps))
        supply = supply + sum(self.generator_kw.values(), np.zeros(self.steps))
        demand = site.fixed_load_kw + sum(self.charge_kw.values(), np.zeros(self.steps))
        demand = demand + sum(self.ev_kw.values(), np.zeros(self.steps))
        demand = demand + sum(self.flex_kw.values(), np.zeros(self.steps))
        return np.asarray(supply - demand, dtype=np.float64)


def terms_of(
    site: Site,
    *,
    import_kw: F64,
    export_kw: F64,
    discharge_kw: dict[str, F64],
    generator_kw: dict[str, F64],
    consumption_kw: F64,
    penalty: float = 0.0,
) -> Terms:
    """The objective's figures for given flows (a plan, or a baseline it is compared with)."""
    g, w, dt = site.grid, site.objective, site.step_hours
    energy = dt * float(g.import_price @ import_kw - g.export_price @ export_kw)
    carbon_kg = dt * float(g.carbon_factor @ import_kw)
    for gn in site.generators:
        flow = generator_kw.get(gn.code, np.zeros(site.steps))
        energy += dt * gn.fuel_cost * float(flow.sum())
        carbon_kg += dt * gn.factor * float(flow.sum())
    peak = float(import_kw.max()) if import_kw.size else 0.0
    demand = g.demand_price * max(0.0, peak - g.month_peak_kw)
    share = g.green_share if g.green_share is not None else np.zeros(site.steps)
    non_green = dt * float((1.0 - share) @ import_kw)
    consumption = dt * float(consumption_kw.sum())
    cfe = None if consumption <= 0 else max(0.0, 1.0 - non_green / consumption)
    degradation = sum(
        dt * b.degradation_cost * float(discharge_kw.get(b.code, np.zeros(site.steps)).sum())
        for b in site.batteries
    )
    return Terms(
        energy_cost=energy,
        demand_cost=demand,
        carbon_t=carbon_kg / 1000.0,
        carbon_cost=w.carbon_price * carbon_kg / 1000.0,
        non_green_kwh=non_green,
        cfe_score=cfe,
        degradation_cost=degradation,
        penalty=penalty,
        consumption_kwh=consumption,
        import_kwh=dt * float(import_kw.sum()),
        export_kwh=dt * float(export_kw.sum()),
        peak_import_kw=peak,
    )


def solve(site: Site, *, time_limit_s: float = 30.0) -> Plan:
    """Plan a site: check it, build the LP, solve with HiGHS, read back a :class:`Plan`.

    Raises ``InvalidInput`` for a malformed site and ``Unavailable`` if HiGHS returns no
    optimum (with the named slacks every well-formed site has one, so this means a solver
    failure or the time limit, not an impossible plan).
    """
    site = site.checked()
    lp, ix = build(site)
    sol = lp.solve(time_limit_s=time_limit_s)
    if sol.status != "Optimal":
        raise Unavailable(f"HiGHS found no optimal dispatch plan: {sol.status}")
    n, dt = site.steps, site.step_hours
    zeros = np.zeros(n)

    def full(cols: Any, present: Any) -> F64:
        out = zeros.copy()
        out[present] = values(sol, cols)
        return out

    load = site.fixed_load_kw + sum((f.baseline_kw for f in site.flex), zeros)
    imp, exp = values(sol, ix.imp), values(sol, ix.exp)
    pv = {code: values(sol, cols) for code, cols in ix.pv.items()}
    curtailed = {p.code: np.maximum(p.forecast_kw - pv[p.code], 0.0) for p in site.pv}
    ch = {code: values(sol, cols) for code, cols in ix.ch.items()}
    dis = {code: values(sol, cols) for code, cols in ix.dis.items()}
    soc = {code: values(sol, cols) for code, cols in ix.soc.items()}
    ev = {code: full(cols, ix.ev_steps[code]) for code, cols in ix.ev.items()}
    flex = {
        f.code: f.baseline_kw + values(sol, ix.up[f.code]) - values(sol, ix.down[f.code])
        for f in site.flex
    }
    gen = {code: values(sol, cols) for code, cols in ix.gen.items()}
    short, surplus = values(sol, ix.short), values(sol, ix.surplus)
    violations = explain.violations(site, sol, ix)
    penalty = sum(
        v.kwh * (BALANCE_PENALTY if v.family in BALANCE_FAMILIES else PENALTY) for v in violations
    )
    consumption = site.fixed_load_kw + sum(ev.values(), zeros) + sum(flex.values(), zeros)
    terms = terms_of(
        site,
        import_kw=imp,
        export_kw=exp,
        discharge_kw=dis,
        generator_kw=gen,
        consumption_kw=consumption,
        penalty=penalty,
    )
    marginal = sol.row_dual[ix.balance_rows] / dt
    plan = Plan(
        status="optimal" if not violations else "relaxed",
        steps=n,
        step_hours=dt,
        load_kw=load,
        import_kw=imp,
        export_kw=exp,
        pv_kw=pv,
        curtailed_kw=curtailed,
        charge_kw=ch,
        discharge_kw=dis,
        soc_kwh=soc,
        ev_kw=ev,
        flex_kw=flex,
        generator_kw=gen,
        short_kw=short,
        surplus_kw=surplus,
        marginal_price=np.asarray(marginal, dtype=np.float64),
        terms=terms,
        violations=violations,
        reasons=[],
        stats={
            "build_ms": sol.build_s * 1e3,
            "solve_ms": sol.solve_s * 1e3,
            "columns": sol.columns,
            "rows": sol.rows,
            "nonzeros": sol.nonzeros,
            # the LP may charge and discharge in one step only where burning energy through
            # the losses pays (a negative price, a surplus with no outlet): named, not hidden
            "simultaneous_steps": {
                code: np.flatnonzero((ch[code] > 1e-6) & (dis[code] > 1e-6)).tolist() for code in ch
            },
        },
    )
    return explain.with_reasons(site, plan)
