"""The dispatch LP (调度模型): variables, constraints and objective built from a :class:`Site`.

Per step t (Δ = step length [h]), all powers in kW, energies in kWh (docs/dispatch.md):

* balance (exact at every step):
  imp_t − exp_t + Σ pv_t + Σ dis_b,t − Σ ch_b,t + Σ gen_g,t + short_t − surplus_t
  = load_t + Σ ev_s,t + Σ (up_f,t − down_f,t),  with load_t = fixed_t + Σ baseline_f,t;
* grid: 0 ≤ imp_t ≤ import limit, 0 ≤ exp_t ≤ export limit (0 where export is not allowed);
* PV: 0 ≤ pv_t ≤ forecast_t (= forecast_t when not curtailable);
* battery b: soc_b,t = soc_b,t−1 + Δ·(η_ch·ch_b,t − dis_b,t/η_dis), soc_min·E ≤ soc ≤ soc_max·E,
  soc_b,T−1 + endgap_b ≥ soc_end·E, 0 ≤ ch ≤ P_ch, 0 ≤ dis ≤ P_dis;
* EV session s: 0 ≤ ev_s,t ≤ P_s while present (no variable otherwise), Δ·Σ_t ev_s,t +
  unmet_s = E_s; per charger Σ_s ev_s,t ≤ P_charger;
* flexible load f: 0 ≤ up, down ≤ max shift, down ≤ baseline, only inside the window,
  Σ_t (up − down) = 0 (the window's energy is kept);
* demand charge: imp_t ≤ peak for all t, peak ≥ the month's peak so far;
* demand response: imp_t − dr_t ≤ (1 − r)·baseline_t in the call window.

``short``, ``surplus``, ``endgap``, ``unmet`` and ``dr`` are the named slacks: each costs
:data:`PENALTY` per kWh (the balance slacks ten times that), far above any price, so HiGHS uses
one only where the plan cannot be met otherwise; the plan then says which constraint family failed, where and by how much
(:mod:`lingtan.dispatch.explain`) instead of a bare "infeasible".

Objective (each term × its weight): Δ·Σ_t [price_t·imp_t − export_price_t·exp_t
+ Σ_g fuel_g·gen_g,t] + demand_price·peak + carbon_price·Δ·Σ_t (f_t·imp_t + Σ_g f_g·gen_g,t)/1000
+ green_price·Δ·Σ_t (1 − s_t)·imp_t + Σ_b c_b·Δ·Σ_t dis_b,t + PENALTY·Δ·Σ slacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from lingtan.dispatch.components import F64, Site
from lingtan.dispatch.lp import I64, INF, Lp, Solution

#: cost of one kWh of slack [元/kWh]: 1,000 times a typical tariff, so no price, carbon price
#: or reward can make breaking a constraint pay
PENALTY: Final = 1000.0
#: cost of one kWh of unserved load or unusable supply [元/kWh]: ten times :data:`PENALTY`, so
#: a plan misses a commitment (an EV's energy, the SoC target, a demand-response call) before
#: it sheds load or leaves the balance open
BALANCE_PENALTY: Final = 10 * PENALTY


@dataclass(frozen=True)
class Index:
    """Where each block of variables and rows sits in the LP."""

    imp: I64
    exp: I64
    short: I64
    surplus: I64
    pv: dict[str, I64]
    ch: dict[str, I64]
    dis: dict[str, I64]
    soc: dict[str, I64]
    endgap: dict[str, int]
    ev: dict[str, I64]  # columns of the steps the car is present
    ev_steps: dict[str, I64]
    unmet: dict[str, int]
    up: dict[str, I64]
    down: dict[str, I64]
    gen: dict[str, I64]
    peak: int | None
    dr: I64 | None
    balance_rows: I64


def export_value(site: Site, import_cost: F64) -> F64:
    """The objective's value of one kW exported per step, never above the cost of importing it.

    A boundary meter settles a step on its net flow, so importing and exporting in the same
    step is not real. Where the feed-in price exceeds the step's import cost (a valley tariff
    below the feed-in price), an LP would import and export at once to earn the difference;
    capping the export value at the import cost less 1e-6 元/kWh makes that never pay. The
    plan's figures (:func:`lingtan.dispatch.plan.terms_of`) still settle exports at the
    feed-in price; only the optimisation sees the cap, which undervalues an export of surplus
    in such steps against storing it (an exact model needs a binary per step).
    """
    value = site.step_hours * site.objective.energy * site.grid.export_price
    return np.asarray(np.minimum(value, import_cost - site.step_hours * 1e-6), dtype=np.float64)


def build(site: Site) -> tuple[Lp, Index]:
    """The LP of a checked site (call :meth:`Site.checked` first)."""
    n, dt = site.steps, site.step_hours
    w = site.objective
    g = site.grid
    lp = Lp()
    steps = np.arange(n, dtype=np.int64)
    green_share = g.green_share if g.green_share is not None else np.zeros(n)
    imp_cost = dt * (
        w.energy * g.import_price
        + w.carbon * w.carbon_price * g.carbon_factor / 1000.0
        + w.green * w.green_price * (1.0 - green_share)
    )
    imp = lp.variables(n, 0.0, g.import_limit_kw, imp_cost)
    exp = lp.variables(n, 0.0, g.export_limit_kw, -export_value(site, imp_cost))
    short = lp.variables(n, 0.0, INF, dt * BALANCE_PENALTY)
    surplus = lp.variables(n, 0.0, INF, dt * BALANCE_PENALTY)
    load = site.fixed_load_kw + sum((f.baseline_kw for f in site.flex), np.zeros(n))
    bal = lp.rows(n, load, load)
    lp.coef(bal, imp, 1.0)
    lp.coef(bal, exp, -1.0)
    lp.coef(bal, short, 1.0)
    lp.coef(bal, surplus, -1.0)

    pv: dict[str, I64] = {}
    for p in site.pv:
        lb = p.forecast_kw if not p.curtailable else 0.0
        pv[p.code] = cols = lp.variables(n, lb, p.forecast_kw, 0.0)
        lp.coef(bal, cols, 1.0)

    ch: dict[str, I64] = {}
    dis: dict[str, I64] = {}
    soc: dict[str, I64] = {}
    endgap: dict[str, int] = {}
    for b in site.batteries:
        ch[b.code] = c = lp.variables(n, 0.0, b.charge_kw, 0.0)
        dis[b.code] = d = lp.variables(
            n, 0.0, b.discharge_kw, dt * w.degradation * b.degradation_cost
        )
        soc[b.code] = s = lp.variables(n, b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh, 0.0)
        lp.coef(bal, c, -1.0)
        lp.coef(bal, d, 1.0)
        # soc_t − soc_t−1 − Δ·η_ch·ch_t + Δ/η_dis·dis_t = 0, soc_−1 = initial energy (to the rhs)
        rhs = np.zeros(n)
        rhs[0] = b.soc_initial * b.energy_kwh
        rows = lp.rows(n, rhs, rhs)
        lp.coef(rows, s, 1.0)
        lp.coef(rows[1:], s[:-1], -1.0)
        lp.coef(rows, c, -dt * b.charge_efficiency)
        lp.coef(rows, d, dt / b.discharge_efficiency)
        gap = int(lp.variables(1, 0.0, INF, PENALTY)[0])
        endgap[b.code] = gap
        end = lp.rows(1, b.end_target * b.energy_kwh, INF)
        lp.coef(end, s[-1], 1.0)
        lp.coef(end, gap, 1.0)

    ev: dict[str, I64] = {}
    ev_steps: dict[str, I64] = {}
    unmet: dict[str, int] = {}
    by_charger: dict[str, list[tuple[I64, I64]]] = {}
    for sess in site.sessions:
        present = steps[sess.arrival : sess.departure]
        ev_steps[sess.code] = present
        ev[sess.code] = cols = lp.variables(present.size, 0.0, sess.max_kw, 0.0)
        lp.coef(bal[present], cols, -1.0)
        unmet[sess.code] = u = int(lp.variables(1, 0.0, INF, PENALTY)[0])
        row = lp.rows(1, sess.energy_kwh, sess.energy_kwh)
        lp.coef(row, cols, dt)
        lp.coef(row, u, 1.0)
        by_charger.setdefault(sess.charger, []).append((present, cols))
    limits = {c.code: c.max_kw for c in site.chargers}
    for code, parts in by_charger.items():
        rows = lp.rows(n, -INF, limits[code])
        for present, cols in parts:
            lp.coef(rows[present], cols, 1.0)

    up: dict[str, I64] = {}
    down: dict[str, I64] = {}
    for f in site.flex:
        window = steps[f.window_start : f.window_end]
        ub = np.zeros(n)
        ub[window] = f.max_shift_kw
        up[f.code] = u_cols = lp.variables(n, 0.0, ub, 0.0)
        down[f.code] = d_cols = lp.variables(n, 0.0, np.minimum(ub, f.baseline_kw), 0.0)
        lp.coef(bal, u_cols, -1.0)
        lp.coef(bal, d_cols, 1.0)
        keep = lp.rows(1, 0.0, 0.0)
        lp.coef(keep, u_cols, 1.0)
        lp.coef(keep, d_cols, -1.0)

    gen: dict[str, I64] = {}
    for gn in site.generators:
        cost = dt * (w.energy * gn.fuel_cost + w.carbon * w.carbon_price * gn.factor / 1000.0)
        gen[gn.code] = cols = lp.variables(n, 0.0, gn.max_kw, cost)
        lp.coef(bal, cols, 1.0)

    peak = None
    if w.demand > 0 and g.demand_price > 0:
        peak = int(lp.variables(1, g.month_peak_kw, INF, w.demand * g.demand_price)[0])
        rows = lp.rows(n, -INF, 0.0)
        lp.coef(rows, imp, 1.0)
        lp.coef(rows, peak, -1.0)

    dr = None
    call = site.demand_response
    if call is not None:
        window = steps[call.start : call.end]
        dr = lp.variables(window.size, 0.0, INF, dt * PENALTY)
        rows = lp.rows(window.size, -INF, (1.0 - call.reduction) * call.baseline_kw[window])
        lp.coef(rows, imp[window], 1.0)
        lp.coef(rows, dr, -1.0)

    index = Index(
        imp=imp,
        exp=exp,
        short=short,
        surplus=surplus,
        pv=pv,
        ch=ch,
        dis=dis,
        soc=soc,
        endgap=endgap,
        ev=ev,
        ev_steps=ev_steps,
        unmet=unmet,
        up=up,
        down=down,
        gen=gen,
        peak=peak,
        dr=dr,
        balance_rows=bal,
    )
    return lp, index


def values(sol: Solution, cols: I64 | int) -> F64:
    """Primal values of some columns, with solver noise below 1e-9 kW cleared."""
    x = np.asarray(sol.x[cols], dtype=np.float64)
    return np.where(np.abs(x) < 1e-9, 0.0, x)
