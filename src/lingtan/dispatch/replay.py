"""Replay a period day by day without look-ahead: plan on forecasts, execute on actuals (pure).

For each day d (from ``start_day``, which needs 7 days of history):

1. **Forecast** from the days before d only (:func:`forecast_day` receives the arrays sliced
   ``[:d]``, so it cannot read day d or later):

   * load — seasonal naive: the same step of the same weekday one week earlier (day d − 7);
   * PV — the mean profile of the last 3 days (d − 3 … d − 1), step by step;
   * EV sessions — the sessions of the same weekday one week earlier (day d − 7).

2. **Plan**: :func:`lingtan.dispatch.plan.solve` on the forecasts of day d (with
   ``plan_days=2`` also of d + 1, a rolling horizon; that forecast too is made from the
   history before d), with their prices and factors (known day-ahead: the ToU tariff, the
   grid factor), the battery starting at the SoC the previous day's execution left and the
   month's peak import so far. Only day d is executed.
   The model values an export at most at the step's import cost (a net meter settles the
   net flow, :func:`lingtan.dispatch.model.export_value`); the evaluation settles exports at
   the feed-in price.
3. **Execute** against day d's actual load, PV and EV sessions: the plan's battery setpoints
   are clipped to what the SoC and ratings allow and grid import/export absorb the forecast
   error (export capped, surplus curtailed) — :func:`lingtan.dispatch.baseline.run`; each
   charger gets the plan's power for it, shared by the actual sessions present
   (earliest departure first) and raised where a session would otherwise miss its energy;
   flexible loads move by the plan's shift on top of their actual baseline (not below 0 kW;
   the energy that clipping adds is reported as ``flex_shift_kwh``).
   The SoC is carried to day d + 1. ``execution="tracking"`` (not the default) lets the
   battery absorb the errors that would take import or export beyond the plan's.
4. **Evaluate** each day with the same prices and factors via
   :func:`lingtan.dispatch.plan.terms_of` — cost [元] (energy + demand charge on the rise of
   the month's peak + degradation), emissions [tCO2], CFE score — for (a) the optimised plan
   executed, (b) the self-consumption baseline (:func:`baseline.self_consumption`), (c) no
   battery; both baselines charge EVs uncontrolled (at full power from arrival, earliest
   departure first) and leave flexible loads at their baseline, so every case serves the same
   energy. Each case carries its own SoC and month peak.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import numpy as np

from lingtan.dispatch import baseline
from lingtan.dispatch.components import (
    F64,
    Battery,
    Charger,
    EvSession,
    FlexLoad,
    Grid,
    Objective,
    Pv,
    Site,
)
from lingtan.dispatch.plan import Plan, Terms, solve, terms_of
from lingtan.errors import InvalidInput

CASES: Final = ("optimised", "self_consumption", "no_battery")
#: days of history the forecasts need (the seasonal-naive load and the EV sessions: d − 7)
HISTORY_DAYS: Final = 7
PV_DAYS: Final = 3
#: days each plan covers by default: one, as the day-ahead plans the service issues. With
#: ``plan_days=2`` day d is planned with day d + 1 behind it and only day d is executed (a
#: rolling horizon): energy in store at midnight keeps its value for the next morning. On the
#: demo year that gains with perfect forecasts and loses with the seasonal-naive ones
#: (docs/dispatch.md §Evaluation), so it stays an option
PLAN_DAYS: Final = 1


@dataclass(frozen=True)
class FlexShare:
    """A shiftable share of the park's load: baseline = ``share`` × load [kW], movable by up to
    ``max_shift_kw`` within steps ``[window_start, window_end)`` of each day."""

    code: str
    share: float
    window_start: int
    window_end: int
    max_shift_kw: float


@dataclass(frozen=True)
class ReplayInput:
    """Actual series of ``days`` days × ``steps_per_day`` steps (kW; prices 元/kWh; factors
    kgCO2/kWh), the assets, and the day-by-day EV sessions (steps within their day)."""

    step_hours: float
    load_kw: F64  # (days, steps): the park's load without EVs and storage, flex included
    pv_kw: F64  # (days, steps)
    import_price: F64  # (days, steps)
    export_price: F64  # (days, steps)
    carbon_factor: F64  # (days, steps)
    battery: Battery
    import_limit_kw: float
    export_limit_kw: float
    demand_price: float = 0.0  # 元/kW per month
    month: tuple[int, ...] = ()  # a month key per day (the demand charge restarts on a change)
    sessions: tuple[tuple[EvSession, ...], ...] = ()  # per day
    chargers: tuple[Charger, ...] = ()
    flex: tuple[FlexShare, ...] = ()
    objective: Objective = field(default_factory=Objective)

    @property
    def days(self) -> int:
        return int(self.load_kw.shape[0])

    @property
    def steps(self) -> int:
        return int(self.load_kw.shape[1])


@dataclass(frozen=True)
class Forecast:
    load_kw: F64
    pv_kw: F64
    sessions: tuple[EvSession, ...]


#: (load history, PV history, sessions history, lead in days) → the forecast of that day
Forecaster = Callable[[F64, F64, Sequence[Sequence[EvSession]], int], Forecast]


@dataclass(frozen=True)
class Execution:
    """One case of one day: the settled flows and EV/flex power actually drawn."""

    flows: baseline.Flows
    ev_kw: F64  # all chargers together
    flex_kw: F64  # all flexible loads together
    consumption_kw: F64  # load + EVs (what the park used, storage excluded)
    ev_unmet_kwh: float
    flex_shift_kwh: float  # flexible loads' energy − their actual baseline (clipping at 0 kW)
    terms: Terms


@dataclass(frozen=True)
class Day:
    day: int
    plan_status: str
    planned_charge_kw: F64
    planned_discharge_kw: F64
    planned_import_kw: F64
    planned_export_kw: F64
    planned_ev_kw: F64
    planned_cost: float  # 元: the plan's own figure on the forecasts
    load_mae_kw: float
    pv_mae_kw: float
    cases: dict[str, Execution]


@dataclass(frozen=True)
class Totals:
    cost: float  # 元
    carbon_t: float  # tCO2
    cfe_score: float  # 0–1: 1 − Σ non-green ÷ Σ consumption
    import_kwh: float
    export_kwh: float
    curtailed_kwh: float
    ev_unmet_kwh: float
    short_kwh: float  # load not served because the import limit was reached (not priced)


@dataclass(frozen=True)
class ReplayResult:
    days: list[Day]
    totals: dict[str, Totals]

    def savings(self, against: str) -> dict[str, float]:
        """What the executed plan saves against a baseline: 元, tCO2, CFE points (× 100)."""
        a, b = self.totals["optimised"], self.totals[against]
        return {
            "cost_yuan": b.cost - a.cost,
            "carbon_t": b.carbon_t - a.carbon_t,
            "cfe_points": 100.0 * (a.cfe_score - b.cfe_score),
        }


def forecast_day(
    load_hist: F64, pv_hist: F64, sessions_hist: Sequence[Sequence[EvSession]], lead: int = 1
) -> Forecast:
    """Forecast of the day ``lead`` days after the history (1: the next day) from history only
    (arrays of the days before the plan's first day).

    Load: seasonal naive, the same weekday one week earlier (``load_hist[lead - 8]``). PV: mean
    of the last 3 days, step by step. EV sessions: those of the same weekday one week earlier
    (empty when the history holds no sessions).
    """
    if not 1 <= lead <= HISTORY_DAYS:
        raise InvalidInput(f"lead must lie in [1, {HISTORY_DAYS}] days", field="lead")
    if load_hist.shape[0] < HISTORY_DAYS or pv_hist.shape[0] < PV_DAYS:
        raise InvalidInput(f"a forecast needs {HISTORY_DAYS} days of history", field="history")
    week_before = lead - 1 - HISTORY_DAYS
    sessions = tuple(sessions_hist[week_before]) if len(sessions_hist) >= HISTORY_DAYS else ()
    return Forecast(
        load_kw=np.array(load_hist[week_before], dtype=np.float64),
        pv_kw=np.asarray(pv_hist[-PV_DAYS:].mean(axis=0), dtype=np.float64),
        sessions=sessions,
    )


def day_site(
    inp: ReplayInput,
    d: int,
    load_kw: F64,
    pv_kw: F64,
    sessions: Sequence[EvSession],
    *,
    soc_kwh: float,
    month_peak_kw: float,
) -> Site:
    """The site of day d for given load, PV and sessions (a forecast, or the actuals)."""
    share = sum(f.share for f in inp.flex)
    b = inp.battery
    soc = min(max(soc_kwh / b.energy_kwh, b.soc_min), b.soc_max)
    return Site(
        steps=inp.steps,
        step_hours=inp.step_hours,
        fixed_load_kw=(1.0 - share) * load_kw,
        grid=Grid(
            import_limit_kw=inp.import_limit_kw,
            export_limit_kw=inp.export_limit_kw,
            import_price=inp.import_price[d],
            export_price=inp.export_price[d],
            carbon_factor=inp.carbon_factor[d],
            demand_price=inp.demand_price,
            month_peak_kw=month_peak_kw,
        ),
        pv=(Pv("pv", pv_kw),),
        batteries=(replace(b, soc_initial=soc, soc_end=None),),
        chargers=inp.chargers,
        sessions=tuple(sessions),
        flex=tuple(
            FlexLoad(f.code, f.share * load_kw, f.window_start, f.window_end, f.max_shift_kw)
            for f in inp.flex
        ),
        objective=inp.objective,
    )


def plan_site(
    inp: ReplayInput,
    d: int,
    forecasts: Sequence[Forecast],
    *,
    soc_kwh: float,
    month_peak_kw: float,
) -> Site:
    """The site a plan made before day d sees: days d … d + len(forecasts) − 1 on forecasts.

    Later days' sessions and flexible-load windows are shifted by whole days and renamed
    ``code+k``; each day's flexible load carries its baseline in its own day only, so the
    baselines add up to the load once. The month's peak so far applies to the whole horizon.
    """
    n, days = inp.steps, len(forecasts)
    load = np.concatenate([fc.load_kw for fc in forecasts])
    pv = np.concatenate([fc.pv_kw for fc in forecasts])
    share = sum(f.share for f in inp.flex)
    b = inp.battery
    soc = min(max(soc_kwh / b.energy_kwh, b.soc_min), b.soc_max)
    sessions = [
        s
        if k == 0
        else replace(
            s, code=f"{s.code}+{k}", arrival=s.arrival + k * n, departure=s.departure + k * n
        )
        for k, fc in enumerate(forecasts)
        for s in fc.sessions
    ]
    flex = []
    for k in range(days):
        own = np.zeros(days * n)
        own[k * n : (k + 1) * n] = 1.0
        for f in inp.flex:
            flex.append(FlexLoad(f.code if k == 0 else f"{f.code}+{k}", f.share * load * own,
                                 f.window_start + k * n, f.window_end + k * n, f.max_shift_kw))  # fmt: skip
    return Site(
        steps=days * n,
        step_hours=inp.step_hours,
        fixed_load_kw=(1.0 - share) * load,
        grid=Grid(
            import_limit_kw=inp.import_limit_kw,
            export_limit_kw=inp.export_limit_kw,
            import_price=inp.import_price[d : d + days].ravel(),
            export_price=inp.export_price[d : d + days].ravel(),
            carbon_factor=inp.carbon_factor[d : d + days].ravel(),
            demand_price=inp.demand_price,
            month_peak_kw=month_peak_kw,
        ),
        pv=(Pv("pv", pv),),
        batteries=(replace(b, soc_initial=soc, soc_end=None),),
        chargers=inp.chargers,
        sessions=tuple(sessions),
        flex=tuple(flex),
        objective=inp.objective,
    )


def charge_evs(
    sessions: Sequence[EvSession],
    chargers: Sequence[Charger],
    budget_kw: dict[str, F64] | None,
    *,
    steps: int,
    step_hours: float,
) -> tuple[F64, float]:
    """EV power per step [kW] (all chargers) and the energy left unmet [kWh].

    Method: per charger and step, the sessions present share ``budget_kw[charger]`` (None:
    the charger's rating — uncontrolled charging) earliest departure first, each up to its
    rating and remaining energy; a session that could no longer finish at full power in the
    steps left first gets that must-run power. The charger's rating caps the total.
    """
    dt = step_hours
    total = np.zeros(steps)
    unmet = 0.0
    for c in chargers:
        mine = sorted((s for s in sessions if s.charger == c.code), key=lambda s: s.departure)
        if not mine:
            continue
        left = {s.code: s.energy_kwh for s in mine}
        budget = np.full(steps, c.max_kw) if budget_kw is None else budget_kw[c.code]
        for t in range(steps):
            present = [s for s in mine if s.arrival <= t < s.departure and left[s.code] > 1e-9]
            if not present:
                continue
            give: dict[str, float] = {}
            room = c.max_kw
            for s in present:  # must-run first
                rate = min(s.max_kw, c.max_kw)
                must = max(left[s.code] / dt - rate * (s.departure - t - 1), 0.0)
                give[s.code] = g = min(must, rate, room)
                room -= g
            extra = max(min(float(budget[t]), c.max_kw) - sum(give.values()), 0.0)
            for s in present:
                rate = min(s.max_kw, c.max_kw)
                g = min(extra, rate - give[s.code], left[s.code] / dt - give[s.code])
                g = max(g, 0.0)
                give[s.code] += g
                extra -= g
            for s in present:
                left[s.code] -= dt * give[s.code]
                total[t] += give[s.code]
        unmet += sum(max(v, 0.0) for v in left.values())
    return total, unmet


def _evaluate(
    inp: ReplayInput,
    d: int,
    *,
    load: F64,
    pv: F64,
    sessions: Sequence[EvSession],
    month_peak_kw: float,
    soc_kwh: float,
    flows: baseline.Flows,
    ev_kw: F64,
    flex_kw: F64,
    ev_unmet: float,
) -> Execution:
    site = day_site(inp, d, load, pv, sessions, soc_kwh=soc_kwh, month_peak_kw=month_peak_kw)
    consumption = load - sum((f.share * load for f in inp.flex), np.zeros(inp.steps))
    consumption = consumption + flex_kw + ev_kw
    terms = terms_of(
        site,
        import_kw=flows.import_kw,
        export_kw=flows.export_kw,
        discharge_kw={inp.battery.code: flows.discharge_kw},
        generator_kw={},
        consumption_kw=consumption,
    )
    shift = inp.step_hours * float(flex_kw.sum() - sum(f.share for f in inp.flex) * load.sum())
    return Execution(flows, ev_kw, flex_kw, consumption, ev_unmet, shift, terms)


def replay(
    inp: ReplayInput,
    *,
    start_day: int = HISTORY_DAYS,
    end_day: int | None = None,
    on_day: Callable[[int], Any] | None = None,
    execution: Literal["schedule", "tracking"] = "schedule",
    forecaster: Forecaster | None = None,
    plan_days: int = PLAN_DAYS,
) -> ReplayResult:
    """Replay days ``[start_day, end_day)`` (see the module doc); ``on_day(d)`` after each.

    ``execution``: ``schedule`` executes the plan's battery setpoints (clipped by the SoC) and
    the grid absorbs the forecast error; ``tracking`` also lets the battery absorb what would
    take import or export beyond the plan's (:func:`baseline.run` with tracked grid flows).
    ``forecaster`` replaces :func:`forecast_day`; it is called with the same slices of the
    days before d (a reference that looks ahead must take the actuals from elsewhere, and
    then is no replay without look-ahead). ``plan_days``: days each plan covers (only the
    first is executed; the last day of the input is planned alone).
    """
    if execution not in ("schedule", "tracking"):
        raise InvalidInput(f"unknown execution {execution!r}", field="execution")
    n, dt = inp.steps, inp.step_hours
    end = inp.days if end_day is None else end_day
    if start_day < HISTORY_DAYS or end > inp.days or start_day >= end:
        raise InvalidInput(
            f"days must lie in [{HISTORY_DAYS}, {inp.days}) and start before they end",
            field="start_day",
        )
    if inp.month and len(inp.month) != inp.days:
        raise InvalidInput("month must give one key per day (or none)", field="month")
    if inp.sessions and len(inp.sessions) != inp.days:
        raise InvalidInput("sessions must be given for every day (or none)", field="sessions")
    b = inp.battery.checked()
    soc0 = b.soc_initial * b.energy_kwh
    soc = {case: soc0 for case in CASES}
    peak = {case: 0.0 for case in CASES}
    months = inp.month or tuple(0 for _ in range(inp.days))
    rows: list[Day] = []
    zero = np.zeros(n)
    for d in range(start_day, end):
        if d > start_day and months[d] != months[d - 1]:
            peak = {case: 0.0 for case in CASES}
        history = inp.sessions[:d] if inp.sessions else ()
        forecasts = [
            (forecaster or forecast_day)(inp.load_kw[:d], inp.pv_kw[:d], history, lead)
            for lead in range(1, min(plan_days, inp.days - d) + 1)
        ]
        fc = forecasts[0]
        site = plan_site(
            inp, d, forecasts, soc_kwh=soc["optimised"], month_peak_kw=peak["optimised"]
        )
        full = solve(site)
        plan = _first_day(full, n)
        soc_before, peak_before = soc["optimised"], peak["optimised"]
        load, pv = inp.load_kw[d], inp.pv_kw[d]
        actual = inp.sessions[d] if inp.sessions else ()
        code = b.code
        # (a) the plan executed on the actuals
        budget = {
            c.code: sum(
                (plan.ev_kw[s.code] for s in fc.sessions if s.charger == c.code), zero.copy()
            )
            for c in inp.chargers
        }
        ev_a, unmet_a = charge_evs(actual, inp.chargers, budget, steps=n, step_hours=dt)
        flex_a = zero.copy()
        for f, spec in zip(site.flex[: len(inp.flex)], inp.flex, strict=True):
            flex_a += np.maximum(spec.share * load + plan.flex_kw[f.code] - f.baseline_kw[:n], 0.0)
        fixed = load - sum((f.share * load for f in inp.flex), zero.copy())
        flows_a = baseline.run(
            fixed + flex_a + ev_a,
            pv,
            step_hours=dt,
            export_limit_kw=inp.export_limit_kw,
            import_limit_kw=inp.import_limit_kw,
            battery=b,
            charge_kw=plan.charge_kw[code],
            discharge_kw=plan.discharge_kw[code],
            soc_initial_kwh=soc["optimised"],
            track_import_kw=plan.import_kw if execution == "tracking" else None,
            track_export_kw=plan.export_kw if execution == "tracking" else None,
        )
        # (b), (c): uncontrolled EVs, flexible loads at their baseline
        ev_u, unmet_u = charge_evs(actual, inp.chargers, None, steps=n, step_hours=dt)
        flex_u = load - fixed
        demand_u = load + ev_u
        flows_b = baseline.self_consumption(
            demand_u,
            pv,
            b,
            step_hours=dt,
            export_limit_kw=inp.export_limit_kw,
            import_limit_kw=inp.import_limit_kw,
            soc_initial_kwh=soc["self_consumption"],
        )
        flows_c = baseline.no_battery(
            demand_u,
            pv,
            step_hours=dt,
            export_limit_kw=inp.export_limit_kw,
            import_limit_kw=inp.import_limit_kw,
        )
        cases: dict[str, Execution] = {}
        for case, flows, ev, flex, unmet in (
            ("optimised", flows_a, ev_a, flex_a, unmet_a),
            ("self_consumption", flows_b, ev_u, flex_u, unmet_u),
            ("no_battery", flows_c, ev_u, flex_u, unmet_u),
        ):
            cases[case] = _evaluate(
                inp,
                d,
                load=load,
                pv=pv,
                sessions=actual,
                month_peak_kw=peak[case],
                soc_kwh=soc[case],
                flows=flows,
                ev_kw=ev,
                flex_kw=flex,
                ev_unmet=unmet,
            )
            if case != "no_battery":
                soc[case] = flows.end_soc_kwh
            peak[case] = max(peak[case], float(flows.import_kw.max()))
        rows.append(
            Day(
                day=d,
                plan_status=plan.status,
                planned_charge_kw=plan.charge_kw[code],
                planned_discharge_kw=plan.discharge_kw[code],
                planned_import_kw=plan.import_kw,
                planned_export_kw=plan.export_kw,
                planned_ev_kw=sum(plan.ev_kw.values(), zero.copy()),
                planned_cost=_first_day_cost(inp, d, fc, plan, soc_before, peak_before),
                load_mae_kw=float(np.abs(fc.load_kw - load).mean()),
                pv_mae_kw=float(np.abs(fc.pv_kw - pv).mean()),
                cases=cases,
            )
        )
        if on_day is not None:
            on_day(d)
    return ReplayResult(rows, {case: _totals(rows, case, dt) for case in CASES})


def _first_day_cost(
    inp: ReplayInput, d: int, fc: Forecast, plan: Plan, soc_kwh: float, peak_kw: float
) -> float:
    """The plan's own figure [元] for the day it executes, on its forecasts."""
    site = day_site(
        inp, d, fc.load_kw, fc.pv_kw, fc.sessions, soc_kwh=soc_kwh, month_peak_kw=peak_kw
    )
    fixed = (1.0 - sum(f.share for f in inp.flex)) * fc.load_kw
    consumption = fixed + sum(plan.flex_kw.values(), np.zeros(inp.steps))
    consumption = consumption + sum(plan.ev_kw.values(), np.zeros(inp.steps))
    terms = terms_of(site, import_kw=plan.import_kw, export_kw=plan.export_kw,
                     discharge_kw=plan.discharge_kw, generator_kw={}, consumption_kw=consumption)  # fmt: skip
    return terms.total


def _first_day(plan: Plan, n: int) -> Plan:
    """The executed part of a plan: its first ``n`` steps (the sessions of later days, renamed
    ``code+k``, are left out)."""

    def cut(flows: dict[str, F64]) -> dict[str, F64]:
        return {code: kw[:n] for code, kw in flows.items() if "+" not in code}

    return replace(
        plan,
        steps=n,
        load_kw=plan.load_kw[:n],
        import_kw=plan.import_kw[:n],
        export_kw=plan.export_kw[:n],
        pv_kw=cut(plan.pv_kw),
        curtailed_kw=cut(plan.curtailed_kw),
        charge_kw=cut(plan.charge_kw),
        discharge_kw=cut(plan.discharge_kw),
        soc_kwh=cut(plan.soc_kwh),
        ev_kw=cut(plan.ev_kw),
        flex_kw=cut(plan.flex_kw),
        generator_kw=cut(plan.generator_kw),
        short_kw=plan.short_kw[:n],
        surplus_kw=plan.surplus_kw[:n],
        marginal_price=plan.marginal_price[:n],
        reasons=plan.reasons[:n],
    )


def _totals(rows: list[Day], case: str, dt: float) -> Totals:
    ex = [r.cases[case] for r in rows]
    consumption = sum(e.terms.consumption_kwh for e in ex)
    non_green = sum(e.terms.non_green_kwh for e in ex)
    return Totals(
        cost=sum(e.terms.total for e in ex),
        carbon_t=sum(e.terms.carbon_t for e in ex),
        cfe_score=math.nan if consumption <= 0 else 1.0 - non_green / consumption,
        import_kwh=sum(e.terms.import_kwh for e in ex),
        export_kwh=sum(e.terms.export_kwh for e in ex),
        curtailed_kwh=sum(dt * float(e.flows.curtailed_kw.sum()) for e in ex),
        ev_unmet_kwh=sum(e.ev_unmet_kwh for e in ex),
        short_kwh=sum(dt * float(e.flows.short_kw.sum()) for e in ex),
    )
