"""What happened against what was planned: metered battery state for an intraday re-plan;
after the day the planned and metered hourly flows with the cost and emissions of both under
the plan's own prices and factors (:func:`lingtan.dispatch.plan.terms_of`), and what a
demand-response call delivered against its baseline (:func:`delivered_of`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import numpy as np

from lingtan.dispatch import inputs as inp
from lingtan.dispatch.components import Battery, Generator, Grid, Objective, Site
from lingtan.dispatch.config import MicrogridSpec, parse
from lingtan.dispatch.plan import terms_of
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Principal
from lingtan.store import Store
from lingtan.store.dispatch_repo import DispatchRepo, PlanRow
from lingtan.timeutil import utcnow


def _spec(store: Store, park_id: int) -> MicrogridSpec:
    row = DispatchRepo(store).spec(park_id=park_id)
    if row is None:
        raise InvalidInput("the park has no microgrid declaration", field="site")
    return parse(row.spec)


def _tz(store: Store, park_id: int) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(store.registry.park(park_id).timezone)


def metered_soc(store: Store, park_id: int, day: dt.date, k: int) -> tuple[dict[str, float], str]:
    """SoC fractions per battery at the start of step ``k``: the newest plan of the day
    covering the step before, from its initial SoC through each step — the metered charge and
    discharge where the step's hour is over and metered, the planned flows otherwise. Empty
    when no plan of the day covers the step."""
    if k == 0:
        return {}, ""
    spec = _spec(store, park_id)
    tz = _tz(store, park_id)
    d = inp.Day(day, tz, spec.step_minutes)
    prev = next(
        (
            p
            for p in DispatchRepo(store).plans(
                park_id=park_id, day=day.isoformat(), limit=20, with_steps=True
            )
            if p.from_step <= k - 1 and p.step_minutes == spec.step_minutes
        ),
        None,
    )
    if prev is None:
        return {}, ""
    hist = inp.History(store, inp.points_of(store, spec), tz)
    out: dict[str, float] = {}
    metered_hours: set[int] = set()
    for b in spec.batteries:
        start = prev.inputs.get("batteries", {}).get(b.code, {}).get("soc_initial")
        if start is None:
            continue
        kwh = float(start) * b.energy_kwh
        ch_m = hist.day(b.charge_point, day) if b.charge_point else None
        dis_m = hist.day(b.discharge_point, day) if b.discharge_point else None
        ch_p = prev.steps["charge_kw"][b.code]
        dis_p = prev.steps["discharge_kw"][b.code]
        for j in range(prev.from_step, k):
            h = j // d.per_hour
            hour_over = (h + 1) * d.per_hour <= k
            if (
                hour_over
                and ch_m is not None
                and dis_m is not None
                and np.isfinite([ch_m[h], dis_m[h]]).all()
            ):
                ch, dis = ch_m[h] / d.per_hour, dis_m[h] / d.per_hour  # kWh in the step
                metered_hours.add(h)
            else:
                ch = ch_p[j - prev.from_step] * d.step_hours
                dis = dis_p[j - prev.from_step] * d.step_hours
            kwh += b.charge_efficiency * ch - dis / b.discharge_efficiency
        out[b.code] = kwh / b.energy_kwh
    return out, (
        f"plan #{prev.id} from step {prev.from_step}, corrected by the metered charge and "
        f"discharge of {len(metered_hours)} hours (planned flows elsewhere) up to step {k}"
    )


def compare_actual(store: Store, *, principal: Principal, plan_id: int) -> dict[str, Any]:
    """Planned against metered hourly import, export, PV and battery flows of a plan's day
    (once the day is over), and the cost and emissions of both under the plan's prices and
    factors over the hours the plan covers whole."""
    from lingtan.dispatch import service

    row = service.plan(store, principal=principal, plan_id=plan_id)
    park_id = row.park_id
    tz = _tz(store, park_id)
    day = dt.date.fromisoformat(row.day)
    d = inp.Day(day, tz, row.step_minutes)
    if utcnow() < d.start() + dt.timedelta(days=1):
        raise InvalidInput(f"{row.day} is not over yet: compare after the day", field="plan_id")
    spec = _spec(store, park_id)
    hist = inp.History(store, inp.points_of(store, spec), tz)
    first_hour = -(-row.from_step // d.per_hour)
    hours = list(range(first_hour, inp.HOURS))
    s = row.steps

    def planned(values: list[float]) -> np.ndarray:
        arr = np.asarray(values, np.float64)
        full = np.concatenate([np.full(row.from_step, np.nan), arr])
        return np.asarray(full.reshape(inp.HOURS, d.per_hour).mean(axis=1), np.float64)

    def total(key: str) -> list[float]:
        n = len(s["import_kw"])
        return list(sum((np.asarray(v) for v in s[key].values()), np.zeros(n)))

    plan_h = {
        "import": planned(s["import_kw"]),
        "export": planned(s["export_kw"]),
        "pv": planned(total("pv_kw")),
        "charge": planned(total("charge_kw")),
        "discharge": planned(total("discharge_kw")),
        "ev": planned(total("ev_kw")),
    }
    zero = np.zeros(inp.HOURS)
    act_h = {
        "import": hist.day(spec.grid.import_point, day),
        "export": hist.day(spec.grid.export_point, day),
        "pv": sum((hist.day(p.point, day) for p in spec.pv), zero),
        "charge": sum((hist.day(b.charge_point, day) for b in spec.batteries), zero),
        "discharge": sum((hist.day(b.discharge_point, day) for b in spec.batteries), zero),
        "ev": sum((hist.day(c.point, day) for c in spec.chargers), zero),
    }
    rows = []
    for h in hours:
        at = d.start() + dt.timedelta(hours=h)
        rows.append(
            {
                "hour": at.isoformat(),
                "planned": {k: _num(v[h]) for k, v in plan_h.items()},
                "actual": {k: _num(v[h]) for k, v in act_h.items()},
            }
        )
    missing = [h for h in hours if not all(np.isfinite(v[h]) for v in act_h.values())]
    # the steps of the whole hours compared
    off = first_hour * d.per_hour - row.from_step
    cut = slice(off, None)
    n = (inp.HOURS - first_hour) * d.per_hour
    site = _site(row, spec, cut, n)

    def steps(hourly: Any) -> Any:
        return np.repeat(np.asarray(hourly, np.float64)[first_hour:], d.per_hour)

    def cut_of(values: list[float]) -> Any:
        return np.asarray(values, np.float64)[cut]

    plan_terms = terms_of(
        site, import_kw=cut_of(s["import_kw"]), export_kw=cut_of(s["export_kw"]),
        discharge_kw={c: cut_of(v) for c, v in s["discharge_kw"].items()},
        generator_kw={c: cut_of(v) for c, v in s["generator_kw"].items()},
        consumption_kw=cut_of(s["fixed_load_kw"]) + cut_of(total("ev_kw"))
        + cut_of(total("flex_kw")),
    ).as_dict()  # fmt: skip
    actual_terms = None
    if not missing:
        consumption = (act_h["import"] + act_h["pv"] - act_h["export"] - act_h["charge"]
                       + act_h["discharge"])  # fmt: skip
        actual_terms = terms_of(
            site, import_kw=steps(act_h["import"]), export_kw=steps(act_h["export"]),
            discharge_kw={
                b.code: steps(hist.day(b.discharge_point, day))
                for b in spec.batteries if b.discharge_point
            },
            generator_kw={},
            consumption_kw=steps(np.maximum(consumption, 0.0)),
        ).as_dict()  # fmt: skip
    return {
        "plan_id": row.id,
        "day": row.day,
        "hours": rows,
        "missing_hours": [f"{h:02d}:00" for h in missing],
        "planned_terms": plan_terms,
        "actual_terms": actual_terms,
        "basis": "the plan's import and export prices and grid factors per step; hours the "
        "plan covers whole; actual terms only when every hour is metered",
    }


def _num(v: float) -> float | None:
    return None if not np.isfinite(v) else round(float(v), 3)


def _site(row: PlanRow, spec: MicrogridSpec, cut: slice, n: int) -> Site:
    s = row.steps
    weights = {k: v for k, v in row.objective.items() if k != "factor_basis"}
    return Site(
        steps=n,
        step_hours=row.step_minutes / 60.0,
        fixed_load_kw=np.zeros(n),
        grid=Grid(
            import_limit_kw=spec.grid.import_limit_kw,
            export_limit_kw=spec.grid.export_limit_kw,
            import_price=np.asarray(s["import_price"], np.float64)[cut],
            export_price=np.asarray(s["export_price"], np.float64)[cut],
            carbon_factor=np.asarray(s["carbon_factor"], np.float64)[cut],
            demand_price=spec.grid.demand_price,
            month_peak_kw=float(row.inputs.get("month_peak_kw", 0.0)),
        ),
        batteries=tuple(
            Battery(
                b.code,
                b.energy_kwh,
                b.charge_kw,
                b.discharge_kw,
                degradation_cost=b.degradation_cost,
            )
            for b in spec.batteries
        ),
        generators=tuple(
            Generator(g.code, g.max_kw, g.fuel_cost, g.factor) for g in spec.generators
        ),
        objective=Objective(**weights),
    )


# -- what a demand-response call delivered -----------------------------------------------------
def _call_of(row: PlanRow) -> dict[str, Any] | None:
    call = row.inputs.get("demand_response")
    return call if isinstance(call, dict) else None


def _baseline_kind(call: dict[str, Any]) -> str:
    """``forecast`` or ``history``. The stored call's ``baseline`` holds the description the
    plan wrote over the requested kind ("history: mean metered import …")."""
    return str(call.get("baseline") or "forecast").partition(":")[0].strip()


def _not_reproducible(zh: str, en: str) -> tuple[None, dict[str, str]]:
    return None, {"zh": zh, "en": en}


def _forecast_baseline(
    row: PlanRow, a: int, b: int
) -> tuple[np.ndarray | None, dict[str, str] | None]:
    """The plan's forecast baseline over day steps ``[a, b)`` from its stored steps: the load
    the plan served less its PV forecast (``fixed_load_kw − Σ pv_forecast_kw``, at least 0),
    as :func:`lingtan.dispatch.service._demand_response` built it. Not reproducible when the
    plan had flexible loads (their baselines are not stored, only the shifted load) or when the
    window starts before the plan's first step."""
    s = row.steps
    if a < row.from_step:
        return _not_reproducible(
            f"计划自第 {row.from_step} 时段起编制，晚于响应开始（第 {a} 时段）：此前时段的预测基线未随计划保存",
            f"the plan starts at step {row.from_step}, after the call began (step {a}): the "
            "forecast baseline of the earlier steps is not stored with it",
        )
    if s.get("flex_kw"):
        codes = ", ".join(sorted(s["flex_kw"]))
        return _not_reproducible(
            f"预测基线含可调负荷（{codes}）的基线，计划只保存了调整后的负荷：无法重现",
            f"the forecast baseline includes the flexible loads' baselines ({codes}), which the "
            "plan does not store (only their shifted load): not reproducible",
        )
    cut = slice(a - row.from_step, b - row.from_step)
    fixed = np.asarray(s["fixed_load_kw"], np.float64)
    pv = sum((np.asarray(v, np.float64) for v in s.get("pv_forecast_kw", {}).values()),
             np.zeros(fixed.size))  # fmt: skip
    return np.maximum(fixed - pv, 0.0)[cut], None


def delivered_of(store: Store, row: PlanRow, *, now: dt.datetime) -> dict[str, Any]:
    """What the demand-response call of a stored plan delivered (the plan's park; the caller
    checked access). ``InvalidInput`` when the plan carries no call or its day is not over.

    Over the call's window ``[from, to)`` (the plan's steps): the baseline — ``history``:
    recomputed from the meters as the plan computed it
    (:func:`lingtan.dispatch.service.history_baseline`); ``forecast``: from the plan's stored
    steps where they determine it — and the metered hourly grid import repeated over the steps
    of each hour (as :func:`compare_actual`), judged by :func:`lingtan.dispatch.dr.delivered`.
    A baseline that cannot be reproduced, or an hour of the window not metered, leaves the call
    ``not_assessed`` with the reason (never zero-filled)."""
    from lingtan.dispatch import dr as dr_rules
    from lingtan.dispatch import service

    call = _call_of(row)
    if call is None:
        raise InvalidInput(f"plan #{row.id} carries no demand-response call", field="plan_id")
    tz = _tz(store, row.park_id)
    day = dt.date.fromisoformat(row.day)
    d = inp.Day(day, tz, row.step_minutes)
    if now < d.start() + dt.timedelta(days=1):
        raise InvalidInput(
            f"{row.day} is not over yet: assess the call after the day", field="plan_id"
        )
    a = d.step_of(str(call["from"]))
    b = d.step_of(str(call["to"]), up=True)
    kind = _baseline_kind(call)
    pct = float(call["reduction_pct"])
    spec = _spec(store, row.park_id)
    hist = inp.History(store, inp.points_of(store, spec), tz)
    base: np.ndarray | None
    reason: dict[str, str] | None
    baseline: dict[str, Any] = {"kind": kind, "source": call.get("baseline")}
    if kind == "history":
        try:
            full, info = service.history_baseline(call, spec, d, 0, hist)
        except InvalidInput as err:
            base, reason = _not_reproducible(
                f"历史基线无法重现：{err}", f"the history baseline cannot be recomputed: {err}"
            )
        else:
            base, reason = np.asarray(full, np.float64)[a:b], None
            baseline["days"] = info["baseline_days"]
            baseline["plan_days"] = call.get("baseline_days")
            baseline["same_days_as_plan"] = info["baseline_days"] == call.get("baseline_days")
    else:
        base, reason = _forecast_baseline(row, a, b)
    baseline["reproducible"] = base is not None
    hourly = hist.day(spec.grid.import_point, day)
    actual = d.to_steps(hourly)[a:b]
    hours = sorted({(a + j) // d.per_hour for j in range(b - a)})
    missing = [h for h in hours if not np.isfinite(hourly[h])]
    if reason is None and missing:
        listed = ", ".join(f"{h:02d}:00" for h in missing)
        reason = {
            "zh": f"响应时段内 {listed} 无电网购电计量数据：不评价（不以 0 补齐）",
            "en": f"no metered grid import for {listed} in the window: not assessed "
            "(not zero-filled)",
        }
    got = (
        None if reason is not None or base is None else dr_rules.delivered(base, actual, pct / 100)
    )
    declared = json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()
    return {
        "plan_id": row.id,
        "day": row.day,
        "kind": row.kind,
        "call": {k: call.get(k) for k in ("from", "to", "reduction_pct", "days") if k in call},
        "window": {
            "from": d.step_start(a).isoformat(),
            "to": d.step_start(b).isoformat(),
            "steps": [a, b],
            "step_minutes": row.step_minutes,
        },
        "baseline": baseline,
        "steps": [
            {
                "step_start": d.step_start(a + j).isoformat(),
                "baseline_kw": None if base is None else _num(base[j]),
                "actual_kw": _num(actual[j]),
            }
            for j in range(b - a)
        ],
        "missing_hours": [f"{h:02d}:00" for h in missing],
        "status": "not_assessed" if got is None else ("met" if got.met else "not_met"),
        "reason": reason,
        "baseline_kw": None if got is None else round(got.baseline_kw, 3),
        "actual_kw": None if got is None else round(got.actual_kw, 3),
        "delivered_kw": None if got is None else round(got.delivered_kw, 3),
        "required_kw": None if got is None else round(got.required_kw, 3),
        "ratio": None if got is None or got.ratio is None else round(got.ratio, 4),
        "met": None if got is None else got.met,
        "declaration_changed": hashlib.sha256(declared).hexdigest()
        != row.inputs.get("spec_sha256"),
        "basis": "delivered = mean baseline − mean metered grid import over the window [kW] "
        "(江苏省电力需求响应实施细则（试行）2015 的需求减少认定, not verified); required = "
        "reduction × mean baseline; metered hourly import repeated over the steps of each hour",
    }


def demand_response_delivered(
    store: Store, *, principal: Principal, plan_id: int
) -> dict[str, Any]:
    """What the demand-response call of a plan delivered (park-wide readers; after the day):
    :func:`delivered_of`."""
    from lingtan.dispatch import service

    row = service.plan(store, principal=principal, plan_id=plan_id)
    return delivered_of(store, row, now=utcnow())


def calls_between(
    store: Store, *, park_id: int, first: dt.date, last: dt.date, now: dt.datetime
) -> list[dict[str, Any]]:
    """:func:`delivered_of` for every demand-response call of the park on the days
    ``first…last`` that are over (park-level; the caller checked access). A call is the window
    of a day: where several plans of the day carry the same window (a day-ahead plan and its
    re-plans) the newest one is the call in force."""
    repo = DispatchRepo(store)
    if repo.spec(park_id=park_id) is None:
        return []
    tz = _tz(store, park_id)
    seen: set[tuple[str, str, str]] = set()
    out = []
    for p in repo.plans_between(park_id=park_id, first=first.isoformat(), last=last.isoformat()):
        call = _call_of(p)
        if call is None:
            continue
        key = (p.day, str(call.get("from")), str(call.get("to")))
        end = inp.Day(dt.date.fromisoformat(p.day), tz, p.step_minutes).start()
        if key in seen or now < end + dt.timedelta(days=1):
            continue
        seen.add(key)
        out.append(delivered_of(store, repo.plan(park_id=park_id, plan_id=p.id), now=now))
    return sorted(out, key=lambda r: (r["day"], r["window"]["from"]))
