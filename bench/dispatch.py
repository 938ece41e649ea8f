"""Dispatch benchmark: one day-ahead plan of the demo park (ours against cvxpy), then a year's
replay without look-ahead against the self-consumption and no-battery baselines.

The demo park (src/lingtan/demo/park.py): the office load (4 GWh/yr, profile ``office``,
seed 7) and the 8,000 kWp park PV (seed 77) from the demo's own generator (demo/series.py,
15-minute values, used as they are), the 10,000 kWh / 5,000 kW battery, 3 EV hubs of 600 kW
with synthetic sessions (about EV_DAILY_KWH = 1,200 kWh per hub per day), 5 flexible loads
(shares of the office load). Prices: the shipped synthetic tariff demo-js-synthetic (periods
by ``tariffs.periods.period_at``, prices by ``tariffs.cost.period_price``, demand charge
40 元/kW·month); the feed-in price 0.391 元/kWh and the limits (12,000 kW import, 8,000 kW
export) of the declaration example in dispatch/config.py (synthetic). Grid factor: the rule
of greenpower.matching (``_latest_record``): the province's latest average factor up to the
year, else the national one — for 江苏 2025 the record grid.2023.province.320000.average.

1. One 96-step (15-min) plan: ``plan.solve`` (check, build, HiGHS, read-back, reasons) and
   the LP alone (build = matrix assembly + passModel; solve = HiGHS run), medians over
   ``--runs`` runs (target: ≤ 50 ms build + solve).
2. The same LP in cvxpy (if installed): build = problem construction + ``get_problem_data``
   (compile), solve with HIGHS; both objectives must agree within 1e-6 relative.
3. The replay (dispatch/replay.py) of ``--days`` days of 2025 (history from 2024-12-25),
   target ≤ 60 s for 365 plans; annual figures of the three cases and the savings, for the
   plan executed as a schedule (the brief's rule) and with tracking, and — as a reference
   that looks ahead, not a replay — the plans made on perfect forecasts.

Usage::

    python bench/dispatch.py [--runs 30] [--days 365] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

TZ = "Asia/Shanghai"
STEPS = 96
STEP_H = 0.25
IMPORT_LIMIT_KW = 12_000.0
EXPORT_LIMIT_KW = 8_000.0
#: feed-in price [元/kWh]: synthetic, like the tariff; no provincial 燃煤基准价 notice was
#: available to cite, so it is not a real price
EXPORT_PRICE = 0.391
DEGRADATION = 0.05  # 元/kWh discharged (synthetic)
SESSION_KW = 120.0  # DC chargers (synthetic)
FLEX = (  # code, share of the office load, window (steps), max shift [kW]
    ("HVAC-A", 0.08, 32, 72, 80.0),
    ("HVAC-B", 0.06, 32, 72, 60.0),
    ("WATER-HEAT", 0.03, 0, 96, 40.0),
    ("PUMPS", 0.03, 0, 96, 30.0),
    ("LAB", 0.02, 36, 68, 20.0),
)


def park_series(first_day: str, days: int) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Office load and park PV [kW] per 15-min step, shape (days, 96), from demo/series.py."""
    from lingtan.demo import park
    from lingtan.demo import series as demo_series

    start = pd.Timestamp(first_day, tz=TZ)
    index = pd.date_range(
        start + pd.Timedelta(minutes=15), start + pd.Timedelta(days=days), freq="15min"
    )
    office = demo_series.consumption(index, park.PARK_OFFICE_GWH * 1e6 * days / 365, "office", 7)
    pv = demo_series.pv_generation(index, park.PARK_PV_KWP, park.LATITUDE, park.LONGITUDE, 77)
    # kWh per 15 minutes → mean kW
    return index, (office / STEP_H).reshape(days, STEPS), (pv / STEP_H).reshape(days, STEPS)


def prices(index: pd.DatetimeIndex) -> tuple[np.ndarray, Any]:
    """Import price per step [元/kWh] from the synthetic demo tariff, and the record."""
    from lingtan.tariffs.cost import period_price
    from lingtan.tariffs.periods import period_at
    from lingtan.tariffs.records import find

    tariff = find("demo-js-synthetic")
    starts = (index - pd.Timedelta(minutes=15)).tz_localize(None)
    cache: dict[tuple[int, int, int], float] = {}
    out = np.empty(len(starts))
    for i, ts in enumerate(starts):
        key = (ts.month, ts.hour, ts.minute)
        if key not in cache:
            period = period_at(tariff, ts.to_pydatetime())
            price = period_price(tariff, period, f"{ts.year:04d}-{ts.month:02d}")
            assert price is not None
            cache[key] = price
        out[i] = cache[key]
    return out, tariff


def grid_factor(year: int) -> Any:
    """The location-based factor record as greenpower.matching picks it (province, average,
    latest year ≤ ``year``; else national)."""
    from lingtan.carbon.factors.loader import default_library

    lib = default_library()
    for scope, region in (("province", "江苏"), ("national", "全国")):
        years = [
            y
            for y in lib.years(
                "grid_electricity", "electricity", scope=scope, region=region, basis="average"
            )
            if y <= year
        ]
        if years:
            return lib.lookup(
                "grid_electricity",
                "electricity",
                scope=scope,
                region=region,
                basis="average",
                year=years[-1],
            )
    raise SystemExit(f"no grid factor up to {year}")


def sessions_of_day(rng: np.random.Generator, per_charger: tuple[int, ...]) -> tuple[Any, ...]:
    """Synthetic EV sessions of one day: morning (≈ 08:30) and evening (≈ 17:30) arrivals,
    2–6 h stays, about 1,200 kWh per hub (EV_DAILY_KWH)."""
    from lingtan.demo import park
    from lingtan.dispatch.components import EvSession

    out = []
    for k, count in enumerate(per_charger, start=1):
        energy = rng.dirichlet(np.full(count, 4.0)) * park.EV_DAILY_KWH
        for j in range(count):
            hour = rng.normal(8.5, 1.0) if rng.random() < 0.55 else rng.normal(17.5, 1.0)
            arrival = int(np.clip(round(hour * 4), 0, STEPS - 9))
            departure = int(min(arrival + rng.integers(8, 25), STEPS))
            reach = SESSION_KW * STEP_H * (departure - arrival)
            out.append(
                EvSession(
                    f"EV{k}-{j + 1}",
                    f"EV-{k}",
                    arrival,
                    departure,
                    float(min(energy[j], 0.9 * reach)),
                    SESSION_KW,
                )
            )
    return tuple(out)


def assets() -> dict[str, Any]:
    from lingtan.demo import park
    from lingtan.dispatch.components import Battery, Charger

    battery = Battery(
        "BESS-1",
        energy_kwh=park.BATTERY_KWH,
        charge_kw=park.BATTERY_KWH / 2,
        discharge_kw=park.BATTERY_KWH / 2,
        degradation_cost=DEGRADATION,
    )
    chargers = tuple(Charger(f"EV-{k}", 600.0) for k in range(1, park.EV_CHARGERS + 1))
    return {"battery": battery, "chargers": chargers}


def day_site(office: np.ndarray, pv: np.ndarray, price: np.ndarray, factor: float,
             sessions: tuple[Any, ...], demand_price: float) -> Any:  # fmt: skip
    from lingtan.dispatch.components import FlexLoad, Grid, Pv, Site

    share = sum(f[1] for f in FLEX)
    a = assets()
    return Site(
        steps=STEPS,
        step_hours=STEP_H,
        fixed_load_kw=(1 - share) * office,
        grid=Grid(
            import_limit_kw=IMPORT_LIMIT_KW,
            export_limit_kw=EXPORT_LIMIT_KW,
            import_price=price,
            export_price=np.full(STEPS, EXPORT_PRICE),
            carbon_factor=np.full(STEPS, factor),
            demand_price=demand_price,
        ),
        pv=(Pv("PARK-pv", pv),),
        batteries=(a["battery"],),
        chargers=a["chargers"],
        sessions=sessions,
        flex=tuple(FlexLoad(c, s * office, lo, hi, m) for c, s, lo, hi, m in FLEX),
    )


# -- cvxpy: the same LP as dispatch/model.py, written as a modelling-layer user would ----------
def cvxpy_problem(site: Any) -> Any:
    import cvxpy as cp
    import scipy.sparse as sp

    from lingtan.dispatch.model import BALANCE_PENALTY, PENALTY, export_value

    n, dt, g, w = site.steps, site.step_hours, site.grid, site.objective
    share = g.green_share if g.green_share is not None else np.zeros(n)
    imp_cost = dt * (
        w.energy * g.import_price
        + w.carbon * w.carbon_price * g.carbon_factor / 1000.0
        + w.green * w.green_price * (1.0 - share)
    )
    imp, exp = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
    short, surplus = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
    cons = [imp <= g.import_limit_kw, exp <= g.export_limit_kw]
    cost = imp_cost @ imp - export_value(site, imp_cost) @ exp
    cost += dt * BALANCE_PENALTY * (cp.sum(short) + cp.sum(surplus))
    supply = imp - exp + short - surplus
    demand: Any = site.fixed_load_kw + sum((f.baseline_kw for f in site.flex), np.zeros(n))
    for p in site.pv:
        v = cp.Variable(n, nonneg=True)
        cons += [v <= p.forecast_kw] + ([] if p.curtailable else [v >= p.forecast_kw])
        supply += v
    for b in site.batteries:
        ch, dis = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
        soc, gap = cp.Variable(n), cp.Variable(nonneg=True)
        e = b.energy_kwh
        prev = cp.hstack([np.array([b.soc_initial * e]), soc[:-1]])
        cons += [
            ch <= b.charge_kw,
            dis <= b.discharge_kw,
            soc >= b.soc_min * e,
            soc <= b.soc_max * e,
            soc == prev + dt * b.charge_efficiency * ch - dt / b.discharge_efficiency * dis,
            soc[n - 1] + gap >= b.end_target * e,
        ]
        cost += dt * w.degradation * b.degradation_cost * cp.sum(dis) + PENALTY * gap
        supply += dis - ch
    by_charger: dict[str, Any] = {}
    for s in site.sessions:
        m = s.departure - s.arrival
        v, unmet = cp.Variable(m, nonneg=True), cp.Variable(nonneg=True)
        place = sp.csr_matrix((np.ones(m), (np.arange(s.arrival, s.departure), np.arange(m))),
                              shape=(n, m))  # fmt: skip
        cons += [v <= s.max_kw, dt * cp.sum(v) + unmet == s.energy_kwh]
        cost += PENALTY * unmet
        demand = demand + place @ v
        by_charger[s.charger] = by_charger.get(s.charger, 0) + place @ v
    limits = {c.code: c.max_kw for c in site.chargers}
    cons += [expr <= limits[code] for code, expr in by_charger.items()]
    for f in site.flex:
        ub = np.zeros(n)
        ub[f.window_start : f.window_end] = f.max_shift_kw
        up, down = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True)
        cons += [up <= ub, down <= np.minimum(ub, f.baseline_kw), cp.sum(up - down) == 0]
        demand = demand + up - down
    for gn in site.generators:
        v = cp.Variable(n, nonneg=True)
        cons += [v <= gn.max_kw]
        cost += (
            dt
            * (w.energy * gn.fuel_cost + w.carbon * w.carbon_price * gn.factor / 1000)
            * cp.sum(v)
        )
        supply += v
    if w.demand > 0 and g.demand_price > 0:
        peak = cp.Variable()
        cons += [peak >= g.month_peak_kw, imp <= peak]
        cost += w.demand * g.demand_price * peak
    cons.append(supply == demand)
    return cp.Problem(cp.Minimize(cost), cons)


def one_day(runs: int, factor: float) -> None:
    from lingtan.dispatch.model import build
    from lingtan.dispatch.plan import solve

    index, office, pv = park_series("2025-07-16", 1)  # a Wednesday with the 尖峰 hour
    price, _ = prices(index)
    sessions = sessions_of_day(np.random.default_rng(16), (7, 7, 6))
    site = day_site(office[0], pv[0], price, factor, sessions, demand_price=40.0)
    checked = site.checked()
    full, builds, solves = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        plan = solve(site)
        full.append(time.perf_counter() - t0)
        lp, _ix = build(checked)
        sol = lp.solve()
        builds.append(sol.build_s)
        solves.append(sol.solve_s)
    b, s, f = (statistics.median(x) * 1e3 for x in (builds, solves, full))
    print(f"\n1. one day-ahead plan, 96 × 15 min, 2025-07-16: {len(sessions)} EV sessions on "
          f"3 chargers, {len(FLEX)} flexible loads, 1 battery; {sol.columns} columns, "
          f"{sol.rows} rows, {sol.nonzeros} non-zeros; median of {runs} runs")  # fmt: skip
    print(f"   {'our build (assembly + passModel)':<40} {b:8.2f} ms")
    print(f"   {'HiGHS solve':<40} {s:8.2f} ms")
    print(f"   {'build / solve':<40} {b / s:8.2f}")
    print(f"   {'plan.solve (check+build+solve+read)':<40} {f:8.2f} ms  (target ≤ 50 ms: "
          f"{'met' if f <= 50 else 'NOT met'})")  # fmt: skip
    print(f"   plan: {plan.status}, cost {plan.terms.total:,.0f} 元, "
          f"{plan.terms.carbon_t:.2f} tCO2, objective {sol.objective:,.4f}")  # fmt: skip
    try:
        import cvxpy as cp
    except ImportError:
        print("2. cvxpy comparison skipped: cvxpy is not installed (pip install -e '.[bench]')")
        return
    constructs, compiles, cv_solves, cv_inner = [], [], [], []
    value = float("nan")
    for _ in range(max(runs // 3, 10)):
        t0 = time.perf_counter()
        prob = cvxpy_problem(checked)
        t1 = time.perf_counter()
        prob.get_problem_data(cp.HIGHS)
        t2 = time.perf_counter()
        prob.solve(solver=cp.HIGHS)
        t3 = time.perf_counter()
        constructs.append(t1 - t0)
        compiles.append(t2 - t1)
        cv_solves.append(t3 - t2)
        cv_inner.append(prob.solver_stats.solve_time or float("nan"))
        value = float(prob.value)
    c1, c2, c3, c4 = (
        statistics.median(x) * 1e3 for x in (constructs, compiles, cv_solves, cv_inner)
    )
    rel = abs(value - sol.objective) / max(abs(sol.objective), 1e-9)
    print(f"\n2. the same LP in cvxpy {cp.__version__} (HIGHS), median of {len(constructs)} runs")
    print(f"   {'cvxpy construction':<40} {c1:8.2f} ms")
    print(f"   {'cvxpy get_problem_data (compile)':<40} {c2:8.2f} ms")
    print(f"   {'cvxpy build (construction + compile)':<40} {c1 + c2:8.2f} ms")
    print(f"   {'cvxpy prob.solve (HIGHS), wall':<40} {c3:8.2f} ms  (solver time {c4:.2f} ms)")
    print(f"   {'our build / cvxpy build':<40} {b / (c1 + c2):8.4f}  "
          f"(cvxpy build is {(c1 + c2) / b:,.0f}× ours)")  # fmt: skip
    print(f"   objectives: ours {sol.objective:,.6f}, cvxpy {value:,.6f}, relative difference "
          f"{rel:.2e} ({'same within 1e-6' if rel <= 1e-6 else 'DIFFERENT'})")  # fmt: skip


def year_replay(days: int, factor_record: Any) -> None:
    from rich.progress import Progress

    from lingtan.dispatch.components import Objective
    from lingtan.dispatch.replay import CASES, HISTORY_DAYS, FlexShare, ReplayInput, replay

    total_days = days + HISTORY_DAYS
    index, office, pv = park_series("2024-12-25", total_days)
    price, tariff = prices(index)
    price = price.reshape(total_days, STEPS)
    rng = np.random.default_rng(2025)
    sessions = tuple(sessions_of_day(rng, (7, 7, 6)) for _ in range(total_days))
    starts = (index[::STEPS] - pd.Timedelta(minutes=15)).tz_localize(None)
    a = assets()
    inp = ReplayInput(
        step_hours=STEP_H,
        load_kw=office,
        pv_kw=pv,
        import_price=price,
        export_price=np.full_like(price, EXPORT_PRICE),
        carbon_factor=np.full_like(price, factor_record.value),
        battery=a["battery"],
        import_limit_kw=IMPORT_LIMIT_KW,
        export_limit_kw=EXPORT_LIMIT_KW,
        demand_price=float(tariff.demand_charge or 0.0),
        month=tuple(ts.year * 12 + ts.month for ts in starts),
        sessions=sessions,
        chargers=a["chargers"],
        flex=tuple(FlexShare(c, s, lo, hi, m) for c, s, lo, hi, m in FLEX),
        objective=Objective(),
    )

    def oracle(load_hist: Any, _pv: Any, _sessions: Any, lead: int) -> Any:
        """Perfect foresight (a reference that LOOKS AHEAD): the actuals of the day asked."""
        from lingtan.dispatch.replay import Forecast

        d = load_hist.shape[0] + lead - 1
        return Forecast(office[d].copy(), pv[d].copy(), sessions[d])

    results = {}
    # (label, forecaster, execution, days each plan covers); the perfect-foresight rows LOOK
    # AHEAD and only bound what a plan could gain; the others are replays without look-ahead
    variants = [
        ("perfect foresight, 1 day", oracle, "schedule", 1),
        ("perfect foresight, 2 days", oracle, "schedule", 2),
        ("schedule, 1 day", None, "schedule", 1),
        ("tracking, 1 day", None, "tracking", 1),
        ("tracking, 2 days", None, "tracking", 2),
    ]
    for label, forecaster, execution, plan_days in variants:
        t0 = time.perf_counter()
        with Progress() as bar:
            task = bar.add_task(f"replay: {label}", total=days)
            results[label] = replay(inp, on_day=lambda _d, task=task: bar.advance(task),
                                    forecaster=forecaster, execution=execution, plan_days=plan_days)  # fmt: skip
        took = time.perf_counter() - t0
        first, last = starts[HISTORY_DAYS].date(), starts[-1].date()
        print(f"\n3. replay {first} … {last}, {label}: {days} plans of {plan_days * STEPS} steps in "
              f"{took:.1f} s ({took / days * 1e3:.0f} ms/day; target ≤ 60 s for 365: "
              f"{'met' if took <= 60 * days / 365 else 'NOT met'})")  # fmt: skip
    result = results["schedule, 1 day"]
    statuses: dict[str, int] = {}
    print(f"   load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for r in result.days:
        statuses[r.plan_status] = statuses.get(r.plan_status, 0) + 1
    print(f"   plan statuses {statuses}; forecast MAE: load "
          f"{np.mean([r.load_mae_kw for r in result.days]):.0f} kW (mean load "
          f"{office[HISTORY_DAYS:].mean():.0f} kW), PV {np.mean([r.pv_mae_kw for r in result.days]):.0f} kW "
          f"(mean PV {pv[HISTORY_DAYS:].mean():.0f} kW)")  # fmt: skip
    print(f"   tariff {tariff.key} (synthetic), demand charge {inp.demand_price:g} 元/kW·month, "
          f"feed-in {EXPORT_PRICE} 元/kWh (synthetic); grid factor {factor_record.id} = "
          f"{factor_record.value} kgCO2/kWh")  # fmt: skip
    head = (f"   {'case':<31} {'cost 元':>12} {'energy 元':>12} {'demand 元':>10} {'tCO2':>8} "
            f"{'CFE %':>6} {'import MWh':>10} {'export MWh':>10} {'curt. MWh':>9} {'EV unmet':>8}")  # fmt: skip
    print(head)
    rows = [(f"optimised ({e})", results[e], "optimised") for e in results]
    rows += [(c, result, c) for c in CASES[1:]]
    for label, res, case in rows:
        t = res.totals[case]
        energy = sum(r.cases[case].terms.energy_cost for r in res.days)
        demand = sum(r.cases[case].terms.demand_cost for r in res.days)
        print(f"   {label:<31} {t.cost:>12,.0f} {energy:>12,.0f} {demand:>10,.0f} "
              f"{t.carbon_t:>8,.1f} {100 * t.cfe_score:>6.2f} {t.import_kwh / 1e3:>10,.1f} "
              f"{t.export_kwh / 1e3:>10,.1f} {t.curtailed_kwh / 1e3:>9,.1f} "
              f"{t.ev_unmet_kwh:>8,.1f}")  # fmt: skip
    for execution, res in results.items():
        for against in ("self_consumption", "no_battery"):
            s = res.savings(against)
            base = res.totals[against]
            print(f"   optimised ({execution}) vs {against:<16} saves {s['cost_yuan']:>12,.0f} 元 "
                  f"(cost ratio {res.totals['optimised'].cost:,.0f} / {base.cost:,.0f}), "
                  f"{s['carbon_t']:>8,.1f} tCO2, {s['cfe_points']:+.2f} CFE points")  # fmt: skip
        short = max(res.totals[c].short_kwh for c in CASES)
        print(
            f"   ({execution}) load short of the import limit, largest of the cases: {short:,.1f} kWh"
        )
        flex = round(sum(r.cases["optimised"].flex_shift_kwh for r in res.days), 1) + 0.0
        print(f"   ({execution}) flexible-load energy added by clipping planned shifts at 0 kW: "
              f"{flex:,.1f} kWh")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="runs of the one-day plan (≥ 30)")
    ap.add_argument("--days", type=int, default=365, help="days replayed (2025 from 1 January)")
    ap.add_argument("--quick", action="store_true", help="10 runs, 14 days: to check it runs")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.days = 10, 14
    record = grid_factor(2025)
    print(f"grid factor: {record.id} = {record.value} {record.unit} ({record.year}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    one_day(args.runs, record.value)
    year_replay(args.days, record)


if __name__ == "__main__":
    sys.exit(main())
