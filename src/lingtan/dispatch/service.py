"""Microgrid dispatch in the caller's scope (keyword-only, explicit principal, no web framework).

Dispatch plans the park's own microgrid (the park's battery, PV, chargers, flexible loads and
generators behind its grid connection), so every operation is park-level: park-wide roles may
read, park administrators may write, enterprise users are refused (``PermissionDenied``).

* :func:`set_spec` / :func:`get_spec`: the declaration (:mod:`lingtan.dispatch.config`), every
  point checked against the park's registry and its carrier;
* :func:`import_sessions`: the EV sessions of a day;
* :func:`site_for_day`: the component tables of a day with the inputs they came from
  (:mod:`lingtan.dispatch.inputs`, :mod:`lingtan.dispatch.prices`);
* :func:`plan_day` / :func:`replan_intraday`: solve (:func:`lingtan.dispatch.plan.solve`) and
  store; :func:`plans` / :func:`plan` read them back;
* :func:`compare_actual` and :func:`demand_response_delivered` (:mod:`lingtan.dispatch.actual`),
  :func:`setpoints` and :func:`publish` (:mod:`lingtan.dispatch.publish`);
* :func:`apply_setpoints` / :func:`track` / :func:`writes`: setpoints written to devices over
  Modbus TCP, read back and checked against the measured power (:mod:`lingtan.dispatch.control`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import ValidationError

from lingtan.dispatch import dr as dr_rules
from lingtan.dispatch import inputs as inp
from lingtan.dispatch.components import (
    Battery,
    Charger,
    DemandResponse,
    EvSession,
    FlexLoad,
    Generator,
    Grid,
    Objective,
    Pv,
    Site,
)
from lingtan.dispatch.config import MicrogridSpec, parse
from lingtan.dispatch.plan import solve
from lingtan.dispatch.prices import carbon_factors, import_prices
from lingtan.dispatch.steps import balance_residual as balance_residual  # re-exported
from lingtan.dispatch.steps import steps_of
from lingtan.errors import InvalidInput, NotFound
from lingtan.forecast.features import day_type
from lingtan.identity.roles import Permission, Principal, require, require_park_wide
from lingtan.registry.model import Carrier
from lingtan.store import Store
from lingtan.store.dispatch_repo import DispatchRepo, PlanRow, SessionRow, SpecRow
from lingtan.timeutil import to_us, utcnow

KINDS: Final = ("day_ahead", "intraday")
_OBJECTIVE_FIELDS: Final = (
    "energy", "demand", "carbon", "green", "degradation", "carbon_price", "green_price"
)  # fmt: skip


# -- access ------------------------------------------------------------------------------------
def require_read(principal: Principal) -> None:
    """Park-wide readers only: the microgrid is the park's."""
    require(principal, Permission.READ)
    require_park_wide(principal, "microgrid dispatch")


def require_admin(principal: Principal) -> None:
    """Park administrators only."""
    require(principal, Permission.ADMIN_PARK)
    require_park_wide(principal, "microgrid dispatch")


def _park_id(store: Store, principal: Principal) -> int:
    return store.registry.park(principal.park_id).id


def _zone(store: Store, park_id: int) -> ZoneInfo:
    return ZoneInfo(store.registry.park(park_id).timezone)


# -- the declaration ---------------------------------------------------------------------------
#: (field, expected carrier) of every point a declaration names
def _points(spec: MicrogridSpec) -> list[tuple[str, str, Carrier]]:
    out = [("grid.import_point", spec.grid.import_point, Carrier.ELECTRICITY_GRID_IMPORT)]
    if spec.grid.export_point is not None:
        out.append(("grid.export_point", spec.grid.export_point, Carrier.ELECTRICITY_EXPORT))
    out += [(f"pv[{i}].point", p.point, Carrier.PV_GENERATION) for i, p in enumerate(spec.pv)]
    for i, b in enumerate(spec.batteries):
        if b.charge_point is not None:
            out.append((f"batteries[{i}].charge_point", b.charge_point, Carrier.STORAGE_CHARGE))
        if b.discharge_point is not None:
            out.append(
                (f"batteries[{i}].discharge_point", b.discharge_point, Carrier.STORAGE_DISCHARGE)
            )
    out += [
        (f"chargers[{i}].point", c.point, Carrier.EV_CHARGING)
        for i, c in enumerate(spec.chargers)
        if c.point is not None
    ]
    out += [
        (f"flex[{i}].point", f.point, Carrier.ELECTRICITY_GRID_IMPORT)
        for i, f in enumerate(spec.flex)
    ]
    return out


def validate_spec(store: Store, park_id: int, data: dict[str, Any]) -> MicrogridSpec:
    """A declaration checked against the park: ``InvalidInput`` naming the field of a
    malformed value, an unknown point or a point of the wrong carrier."""
    try:
        spec = parse(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "spec"
        raise InvalidInput(f"{loc}: {first['msg']}", field=loc) from err
    points = store.registry.points_by_code()
    for field, code, carrier in _points(spec):
        point = points.get(code)
        if point is None or point.park_id != park_id:
            raise InvalidInput(f"{field}: point {code!r} not found in the park", field=field)
        if point.carrier != carrier.value:
            raise InvalidInput(
                f"{field}: point {code} measures {point.carrier}, not {carrier.value}", field=field
            )
    _check_control(store, park_id, spec)
    return spec


def set_spec(store: Store, *, principal: Principal, data: dict[str, Any]) -> SpecRow:
    """Store the park's microgrid declaration (park administrators)."""
    require_admin(principal)
    park_id = _park_id(store, principal)
    spec = validate_spec(store, park_id, data)
    return DispatchRepo(store).save_spec(
        park_id=park_id, spec=spec.model_dump(mode="json"), actor=principal.actor,
        now=to_us(utcnow()),
    )  # fmt: skip


def get_spec(store: Store, *, principal: Principal) -> SpecRow:
    """The park's declaration; ``NotFound`` when none is stored."""
    require_read(principal)
    row = DispatchRepo(store).spec(park_id=_park_id(store, principal))
    if row is None:
        raise NotFound("the park has no microgrid declaration (PUT /api/v1/dispatch/site)")
    return row


def _spec(store: Store, park_id: int) -> MicrogridSpec:
    row = DispatchRepo(store).spec(park_id=park_id)
    if row is None:
        raise InvalidInput(
            "the park has no microgrid declaration: set one first (lingtan dispatch site set)",
            field="site",
        )
    return parse(row.spec)


# -- EV sessions -------------------------------------------------------------------------------
def _hhmm(text: Any, field: str) -> str:
    value = str(text).strip()
    hh, sep, mm = value.partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and int(mm) < 60):
        raise InvalidInput(f"{field} must be HH:MM, got {value!r}", field=field)
    if not 0 <= int(hh) * 60 + int(mm) <= 24 * 60:
        raise InvalidInput(f"{field} must lie in 00:00–24:00", field=field)
    return f"{int(hh):02d}:{mm}"


def parse_day(text: str, field: str = "day") -> dt.date:
    try:
        day = dt.date.fromisoformat(str(text))
    except ValueError as err:
        raise InvalidInput(f"{field} must be YYYY-MM-DD", field=field) from err
    if not 2000 <= day.year <= 2100:
        raise InvalidInput(f"{field}: the year must be 2000-2100", field=field)
    return day


def import_sessions(
    store: Store, *, principal: Principal, day: dt.date, rows: list[dict[str, Any]]
) -> list[SessionRow]:
    """Replace the EV sessions of a day (park administrators). Each row: ``code``,
    ``charger`` (a declared charger), ``arrival``/``departure`` (HH:MM local), ``energy_kwh``,
    optionally ``max_kw``. ``InvalidInput`` naming the row and field otherwise."""
    require_admin(principal)
    park_id = _park_id(store, principal)
    spec = _spec(store, park_id)
    chargers = {c.code for c in spec.chargers}
    out: list[SessionRow] = []
    seen: set[str] = set()
    for i, r in enumerate(rows, start=1):
        f = f"sessions[{i}]"
        code = str(r.get("code") or "").strip()
        if not code or len(code) > 64 or code in seen:
            raise InvalidInput(f"{f}.code must be a unique non-empty code", field=f"{f}.code")
        seen.add(code)
        charger = str(r.get("charger") or "").strip()
        if charger not in chargers:
            raise InvalidInput(
                f"{f}.charger {charger!r} is not a declared charger", field=f"{f}.charger"
            )
        arrival = _hhmm(r.get("arrival"), f"{f}.arrival")
        departure = _hhmm(r.get("departure"), f"{f}.departure")
        if departure <= arrival:
            raise InvalidInput(f"{f}: departure must follow arrival", field=f"{f}.departure")
        try:
            energy = float(r.get("energy_kwh"))  # type: ignore[arg-type]
            raw_max = r.get("max_kw")
            max_kw = None if raw_max in (None, "") else float(raw_max)
        except (TypeError, ValueError) as err:
            raise InvalidInput(f"{f}: energy_kwh and max_kw must be numbers", field=f) from err
        if not (0 <= energy < 1e6) or (max_kw is not None and not 0 < max_kw < 1e5):
            raise InvalidInput(f"{f}: energy_kwh ≥ 0 and max_kw > 0 required", field=f)
        out.append(SessionRow(code, charger, arrival, departure, energy, max_kw))
    DispatchRepo(store).replace_sessions(
        park_id=park_id, day=day.isoformat(), rows=out, actor=principal.actor,
        now=to_us(utcnow()),
    )  # fmt: skip
    return out


# -- the site of a day -------------------------------------------------------------------------
def _objective(spec: MicrogridSpec, overrides: dict[str, Any] | None) -> tuple[Objective, str]:
    base = spec.objective.model_dump()
    basis = str(base.pop("factor_basis"))
    for k, v in (overrides or {}).items():
        if v is None:
            continue
        if k == "factor_basis":
            if v not in ("location", "market", "hourly"):
                raise InvalidInput("factor_basis must be location, market or hourly", field=k)
            basis = str(v)
        elif k in _OBJECTIVE_FIELDS:
            base[k] = float(v)
        else:
            raise InvalidInput(f"unknown objective field {k!r}", field=f"objective.{k}")
    return Objective(**base).checked(), basis


def _previous_soc(
    repo: DispatchRepo, park_id: int, d: inp.Day, from_step: int
) -> tuple[dict[str, float], str] | None:
    """SoC [kWh] per battery at the start of ``from_step`` from the newest plan covering the
    step before (the previous day's last step for a day-ahead plan)."""
    if from_step == 0:
        day, step = d.day - dt.timedelta(days=1), d.steps - 1
    else:
        day, step = d.day, from_step - 1
    for p in repo.plans(park_id=park_id, day=day.isoformat(), limit=20, with_steps=True):
        if p.from_step <= step and p.step_minutes == d.step_minutes:
            soc = p.steps.get("soc_kwh", {})
            return {c: float(v[step - p.from_step]) for c, v in soc.items()}, (
                f"plan #{p.id} ({p.kind} of {p.day}) at step {step}"
            )
    return None


def _sessions(
    rows: list[SessionRow], spec: MicrogridSpec, d: inp.Day, from_step: int
) -> list[EvSession]:
    per = {c.code: c for c in spec.chargers}
    out = []
    for r in rows:
        a, b = d.step_of(r.arrival), min(d.step_of(r.departure, up=True), d.steps)
        if b <= from_step or r.charger not in per:
            continue
        energy = r.energy_kwh
        if a < from_step:  # an intraday plan: the part of the stay still to come
            energy *= (b - from_step) / (b - a)
            a = from_step
        max_kw = r.max_kw if r.max_kw is not None else per[r.charger].session_kw
        out.append(EvSession(r.code, r.charger, a - from_step, b - from_step, energy, max_kw))
    return out


def site_for_day(
    store: Store,
    *,
    principal: Principal,
    day: dt.date,
    objective: dict[str, Any] | None = None,
    demand_response: dict[str, Any] | None = None,
    from_step: int = 0,
    soc_initial: dict[str, float] | None = None,
    soc_source: str | None = None,
) -> tuple[Site, dict[str, Any]]:
    """The component tables of the steps ``from_step…`` of a park-local day and the inputs
    they were built from (see :mod:`lingtan.dispatch.inputs`). ``soc_initial``: SoC fractions
    per battery; else the newest plan's planned SoC at that step; else the midpoint of the
    battery's SoC range."""
    require_read(principal)
    park_id = _park_id(store, principal)
    spec = _spec(store, park_id)
    tz = _zone(store, park_id)
    d = inp.Day(day, tz, spec.step_minutes)
    if not 0 <= from_step < d.steps:
        raise InvalidInput(f"from_step must lie in 0–{d.steps - 1}", field="from_step")
    hist = inp.History(store, inp.points_of(store, spec), tz)
    load_h, pv_h, info = inp.load_and_pv(store, principal.tenant, park_id, spec, d, hist)
    flex_h, flex_info = inp.flex_baselines(spec, d, hist)
    fixed_h = np.maximum(load_h - sum(flex_h.values(), np.zeros(inp.HOURS)), 0.0)
    prices, tariff = import_prices(store, park_id, d)
    weights, basis = _objective(spec, objective)
    factors, factor_info = carbon_factors(store, park_id, d, basis)
    rows, session_info = inp.sessions_for(store, park_id, spec, d, hist)
    k = from_step
    n = d.steps - k
    cut = slice(k, d.steps)
    grid = Grid(
        import_limit_kw=spec.grid.import_limit_kw,
        export_limit_kw=spec.grid.export_limit_kw if spec.grid.export_point else 0.0,
        import_price=prices[cut],
        export_price=np.full(n, spec.grid.export_price),
        carbon_factor=factors[cut],
        demand_price=spec.grid.demand_price,
        month_peak_kw=inp.month_peak_kw(store, spec, d, hist) if spec.grid.demand_price else 0.0,
    )
    given = soc_initial or {}
    previous = None if given else _previous_soc(DispatchRepo(store), park_id, d, k)
    batteries, soc_info = [], {}
    for b in spec.batteries:
        lo, hi = b.soc_min, b.soc_max
        if b.code in given:
            soc, src = float(given[b.code]), soc_source or "given"
        elif previous is not None and b.code in previous[0]:
            soc, src = previous[0][b.code] / b.energy_kwh, previous[1]
        else:
            soc, src = (lo + hi) / 2, "midpoint of the SoC range (no earlier plan)"
        soc = min(max(soc, lo), hi)
        soc_info[b.code] = {"soc_initial": soc, "source": src}
        batteries.append(
            Battery(
                b.code,
                b.energy_kwh,
                b.charge_kw,
                b.discharge_kw,
                b.charge_efficiency,
                b.discharge_efficiency,
                lo,
                hi,
                soc,
                b.soc_end,
                b.degradation_cost,
            )
        )
    flex = []
    for f in spec.flex:
        w0, w1 = f.window_minutes()
        lo_step = max(w0 // spec.step_minutes - k, 0)
        hi_step = -(-w1 // spec.step_minutes) - k
        if hi_step > lo_step:
            flex.append(
                FlexLoad(f.code, d.to_steps(flex_h[f.code])[cut], lo_step, hi_step, f.max_shift_kw)
            )
    fixed = d.to_steps(fixed_h)[cut]
    pv = tuple(Pv(p.point, d.to_steps(pv_h[p.point])[cut], p.curtailable) for p in spec.pv)
    dr, dr_record = None, None
    if demand_response:
        dr, dr_info = _demand_response(demand_response, spec, d, k, fixed, pv, flex, hist)
        dr_record = {**demand_response, **dr_info}
    site = Site(
        steps=n, step_hours=d.step_hours, fixed_load_kw=fixed, grid=grid, pv=pv,
        batteries=tuple(batteries),
        chargers=tuple(Charger(c.code, c.max_kw) for c in spec.chargers),
        sessions=tuple(_sessions(rows, spec, d, k)), flex=tuple(flex),
        generators=tuple(Generator(g.code, g.max_kw, g.fuel_cost, g.factor)
                         for g in spec.generators),
        demand_response=dr, objective=weights,
    )  # fmt: skip
    spec_json = json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()
    inputs = {
        **info,
        "flex": flex_info,
        "tariff": tariff,
        "factor": factor_info,
        "spec_sha256": hashlib.sha256(spec_json).hexdigest(),
        "sessions": session_info,
        "ev_sessions": [_row(r) for r in rows],
        "batteries": soc_info,
        "month_peak_kw": grid.month_peak_kw,
        "demand_response": dr_record,
    }
    return site.checked(), inputs


def _row(r: SessionRow) -> dict[str, Any]:
    return {
        "code": r.code, "charger": r.charger, "arrival": r.arrival, "departure": r.departure,
        "energy_kwh": r.energy_kwh, "max_kw": r.max_kw,
    }  # fmt: skip


def _demand_response(
    call: dict[str, Any],
    spec: MicrogridSpec,
    d: inp.Day,
    k: int,
    fixed: Any,
    pv: tuple[Pv, ...],
    flex: list[FlexLoad],
    hist: inp.History,
) -> tuple[DemandResponse, dict[str, Any]]:
    """A call ``{from, to, reduction_pct, baseline?}``: grid import in the window at most
    (1 − reduction) × the baseline. ``baseline``: ``forecast`` (default) — the import without
    dispatch (the load and flexible baselines less PV); ``history`` — the customer baseline
    load, the mean metered import of the most recent working days before the day
    (:func:`lingtan.dispatch.dr.customer_baseline`, ``days`` of them, default 5)."""
    start = d.step_of(_hhmm(call.get("from"), "demand_response.from")) - k
    end = d.step_of(_hhmm(call.get("to"), "demand_response.to"), up=True) - k
    try:
        pct = float(call.get("reduction_pct"))  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise InvalidInput(
            "demand_response.reduction_pct must be a number", field="demand_response"
        ) from err
    if not 0 < pct <= 100:
        raise InvalidInput("reduction_pct must lie in (0, 100]", field="demand_response")
    if end <= 0 or start >= end:
        raise InvalidInput(
            "demand_response window must lie in the planned steps", field="demand_response"
        )
    kind = call.get("baseline", "forecast")
    if kind == "forecast":
        base = fixed + sum((f.baseline_kw for f in flex), np.zeros(fixed.size))
        base = np.maximum(base - sum((p.forecast_kw for p in pv), np.zeros(fixed.size)), 0.0)
        info: dict[str, Any] = {"baseline": "forecast: load and flexible baselines less PV"}
    elif kind == "history":
        base, info = history_baseline(call, spec, d, k, hist)
    else:
        raise InvalidInput(
            "demand_response.baseline must be forecast or history", field="demand_response"
        )
    return DemandResponse(max(start, 0), end, pct / 100.0, base), info


#: how far back the customer baseline looks for its working days [days]
BASELINE_LOOKBACK_DAYS = 30


def history_baseline(
    call: dict[str, Any], spec: MicrogridSpec, d: inp.Day, k: int, hist: inp.History
) -> tuple[Any, dict[str, Any]]:
    """The metered import of the most recent working days (chinesecalendar: 调休 counted,
    holidays not) before the day, averaged hour by hour and spread over the steps."""
    try:
        days = int(call.get("days", dr_rules.BASELINE_DAYS))
    except (TypeError, ValueError) as err:
        raise InvalidInput(
            "demand_response.days must be a whole number", field="demand_response"
        ) from err
    before = [d.day - dt.timedelta(days=i) for i in range(BASELINE_LOOKBACK_DAYS, 0, -1)]
    history = np.vstack([hist.day(spec.grid.import_point, day) for day in before])
    working = np.array([day_type(day).workday for day in before])
    base = dr_rules.customer_baseline(history, working, days)
    used = [
        day.isoformat()
        for day, ok in zip(before, working & np.isfinite(history).all(axis=1), strict=True)
        if ok
    ]
    return d.to_steps(base)[k:], {
        "baseline": f"history: mean metered import of the {days} most recent working days",
        "baseline_days": used[-days:],
    }


# -- plans -------------------------------------------------------------------------------------
def plan_day(
    store: Store,
    *,
    principal: Principal,
    day: dt.date,
    kind: str = "day_ahead",
    from_step: int = 0,
    objective: dict[str, Any] | None = None,
    demand_response: dict[str, Any] | None = None,
    soc_initial: dict[str, float] | None = None,
    soc_source: str | None = None,
) -> PlanRow:
    """Plan the day (from ``from_step``), store the plan and return it (park administrators)."""
    require_admin(principal)
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    site, inputs = site_for_day(
        store, principal=principal, day=day, objective=objective,
        demand_response=demand_response, from_step=from_step, soc_initial=soc_initial,
        soc_source=soc_source,
    )  # fmt: skip
    solved = solve(site)
    park_id = _park_id(store, principal)
    weights = {k: getattr(site.objective, k) for k in _OBJECTIVE_FIELDS}
    weights["factor_basis"] = inputs["factor"]["basis"]
    plan_id = DispatchRepo(store).save_plan(
        {
            "park_id": park_id,
            "day": day.isoformat(),
            "kind": kind,
            "from_step": from_step,
            "step_minutes": round(site.step_hours * 60),
            "status": solved.status,
            "created_at": to_us(utcnow()),
            "created_by": principal.actor,
            "objective": weights,
            "inputs": {**inputs, "stats": solved.stats},
            "terms": solved.terms.as_dict(),
            "violations": [v.as_dict() for v in solved.violations],
            "steps": steps_of(site, solved),
            "published_at": None,
            "publish": None,
        }
    )
    return DispatchRepo(store).plan(park_id=park_id, plan_id=plan_id)


def current_step(store: Store, principal: Principal, day: dt.date, now: dt.datetime) -> int:
    """The step of ``day`` that ``now`` falls in (0 before the day)."""
    park_id = _park_id(store, principal)
    d = inp.Day(day, _zone(store, park_id), _spec(store, park_id).step_minutes)
    minutes = (now - d.start()).total_seconds() / 60.0
    if minutes >= 24 * 60:
        raise InvalidInput(f"{day} is over: an intraday plan needs a time within it", field="now")
    return max(int(minutes // d.step_minutes), 0)


def replan_intraday(
    store: Store, *, principal: Principal, day: dt.date, now: dt.datetime,
    objective: dict[str, Any] | None = None, demand_response: dict[str, Any] | None = None,
) -> PlanRow:  # fmt: skip
    """Plan the rest of the day from the step ``now`` falls in. Each battery starts from the
    newest plan's SoC, corrected for the metered charge and discharge of the hours already
    metered (planned flows where no meter value is known yet)."""
    from lingtan.dispatch.actual import metered_soc

    require_admin(principal)
    k = current_step(store, principal, day, now)
    soc, source = metered_soc(store, _park_id(store, principal), day, k)
    return plan_day(
        store, principal=principal, day=day, kind="intraday", from_step=k,
        objective=objective, demand_response=demand_response, soc_initial=soc or None,
        soc_source=source,
    )  # fmt: skip


def plans(
    store: Store, *, principal: Principal, day: dt.date | None = None, limit: int = 50
) -> list[PlanRow]:
    """Stored plans of the park (of one day if asked), newest first, without their steps."""
    require_read(principal)
    return DispatchRepo(store).plans(
        park_id=_park_id(store, principal), day=None if day is None else day.isoformat(),
        limit=limit,
    )  # fmt: skip


def plan(store: Store, *, principal: Principal, plan_id: int) -> PlanRow:
    """One stored plan with its steps."""
    require_read(principal)
    return DispatchRepo(store).plan(park_id=_park_id(store, principal), plan_id=plan_id)


def step_start(row: PlanRow, tz: ZoneInfo, k: int) -> dt.datetime:
    """The local start of the plan's ``k``-th stored step."""
    day = dt.date.fromisoformat(row.day)
    d = inp.Day(day, tz, row.step_minutes)
    return d.step_start(row.from_step + k)


def zone_of(store: Store, principal: Principal) -> ZoneInfo:
    return _zone(store, _park_id(store, principal))


def spec_of(row: SpecRow) -> MicrogridSpec:
    return parse(row.spec)


# -- setpoints and publication -----------------------------------------------------------------
def setpoints(store: Store, *, principal: Principal, plan_id: int) -> list[dict[str, Any]]:
    """The plan's setpoints per device per step (:func:`lingtan.dispatch.publish.setpoints`)."""
    from lingtan.dispatch.publish import setpoints as of

    row = plan(store, principal=principal, plan_id=plan_id)
    return of(row, _zone(store, row.park_id))


def publish(store: Store, *, principal: Principal, plan_id: int, publisher: Any) -> PlanRow:
    """Send one retained message per device (park administrators) and record the time and the
    broker's acknowledgements with the plan. ``Unavailable`` when a message was not
    acknowledged (recorded all the same)."""
    from lingtan.dispatch.publish import messages
    from lingtan.errors import Unavailable

    require_admin(principal)
    park = store.registry.park(principal.park_id)
    row = DispatchRepo(store).plan(park_id=park.id, plan_id=plan_id)
    msgs = messages(row, ZoneInfo(park.timezone), park.code)
    acks = publisher.send(msgs)
    at = to_us(utcnow())
    record = {
        "broker": publisher.broker,
        "by": principal.actor,
        "messages": len(msgs),
        "acknowledged": sum(1 for a in acks if a.get("acknowledged")),
        "acks": acks,
    }
    DispatchRepo(store).mark_published(plan_id=row.id, at=at, publish=record)
    if record["acknowledged"] < len(msgs):
        missing = [a["topic"] for a in acks if not a.get("acknowledged")]
        raise Unavailable(f"the broker did not acknowledge {', '.join(missing)}")
    return DispatchRepo(store).plan(park_id=park.id, plan_id=plan_id)


# -- setpoints written to devices (lingtan.dispatch.control) -----------------------------------
def _check_control(store: Store, park_id: int, spec: MicrogridSpec) -> None:
    """Every ``measured_point`` of the control section is a power measurement of the park."""
    from lingtan import units

    if spec.control is None:
        return
    points = store.registry.points_by_code()
    for i, d in enumerate(spec.control.devices):
        if d.measured_point is None:
            continue
        field = f"control.devices[{i}].measured_point"
        point = points.get(d.measured_point)
        if point is None or point.park_id != park_id:
            raise InvalidInput(
                f"{field}: point {d.measured_point!r} not found in the park", field=field
            )
        if point.kind != "measurement" or units.dimension(point.unit) != "power":
            raise InvalidInput(
                f"{field}: point {point.code} is a {point.kind} in {point.unit}, not a power "
                "measurement (kW, W, MW)",
                field=field,
            )


def _control_plan(repo: DispatchRepo, park_id: int, day: dt.date, k: int, minutes: int) -> PlanRow:
    """The newest plan of ``day`` covering step ``k``."""
    for p in repo.plans(park_id=park_id, day=day.isoformat(), limit=50, with_steps=True):
        if p.from_step <= k and p.step_minutes == minutes:
            return p
    raise NotFound(f"no plan of {day} covers step {k}: plan the day first (lingtan dispatch plan)")


async def apply_setpoints_async(
    store: Store,
    *,
    principal: Principal,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    client_factory: Any = None,
    delay_s: float | None = None,
) -> dict[str, Any]:
    """Write the setpoints of the step ``now`` falls in (park administrators): the newest plan
    of the day covering the step, each controlled device written and read back
    (:mod:`lingtan.dispatch.control`), every outcome stored, the tracking of the steps already
    over recorded, and the ``dispatch`` alarm rules evaluated. ``dry_run``: what would be
    written (values, registers, refusals), nothing written or stored."""
    from lingtan.connectors.modbus.registers import encode
    from lingtan.dispatch import control
    from lingtan.dispatch.publish import devices

    require_admin(principal)
    park_id = _park_id(store, principal)
    spec = _spec(store, park_id)
    tz = _zone(store, park_id)
    at = now or utcnow()
    day = at.astimezone(tz).date()
    d = inp.Day(day, tz, spec.step_minutes)
    k = current_step(store, principal, day, at)
    repo = DispatchRepo(store)
    row = _control_plan(repo, park_id, day, k, spec.step_minutes)
    items, absent = control.targets(spec, devices(row), k - row.from_step)
    start = d.step_start(k)
    head = {
        "plan_id": row.id, "day": row.day, "step": k, "step_start": start.isoformat(),
        "step_minutes": spec.step_minutes, "not_planned": absent, "dry_run": dry_run,
    }  # fmt: skip
    if dry_run:
        out = []
        for t in items:
            refused = control.refusal(t)
            out.append({
                "device": t.control.device, "kind": t.kind, "setpoint_kw": t.setpoint_kw,
                "value": t.value, "gateway": t.control.gateway, "unit": t.control.unit,
                "address": t.register.address,
                "registers": None if refused else encode(t.register, t.value),
                "limits_kw": [t.low_kw, t.high_kw], "refused": refused,
            })  # fmt: skip
        return {**head, "devices": out}
    tracked = track(store, principal=principal, now=at)
    results = await control.apply(
        spec, items, client_factory=client_factory or control.modbus_client, delay_s=delay_s
    )
    written_at = to_us(utcnow())
    step_us = to_us(start)
    records = []
    for t, r in zip(items, results, strict=True):
        records.append({
            "park_id": park_id, "plan_id": row.id, "step": k, "step_start": step_us,
            "step_end": step_us + spec.step_minutes * 60_000_000, "device": t.control.device,
            "kind": t.kind, "setpoint_kw": t.setpoint_kw, "written": r["written"],
            "readback": r["readback"], "status": r["status"], "attempts": r["attempts"],
            "written_at": written_at, "written_by": principal.actor,
        })  # fmt: skip
    repo.add_writes(records)
    from lingtan.dispatch.alarms import check_now

    alarms = check_now(store, to_us(at))
    out = [
        {"device": x["device"], "kind": x["kind"], "setpoint_kw": x["setpoint_kw"],
         "written": x["written"], "readback": x["readback"], "status": x["status"],
         "attempts": x["attempts"]}
        for x in records
    ]  # fmt: skip
    return {**head, "devices": out, "tracked": tracked, "alarms": alarms}


def apply_setpoints(store: Store, **kwargs: Any) -> dict[str, Any]:
    """:func:`apply_setpoints_async` from synchronous code (the CLI)."""
    import asyncio

    return asyncio.run(apply_setpoints_async(store, **kwargs))


def track(store: Store, *, principal: Principal, now: dt.datetime | None = None) -> int:
    """Record the tracking evidence of every write whose step is over and not yet tracked:
    the mean of its device's ``measured_point`` readings within the step against the setpoint
    (:func:`lingtan.dispatch.control.tracking_of`). Returns how many writes were tracked."""
    from lingtan.dispatch import control
    from lingtan.store.query_repo import QueryRepo, Tenant

    require_admin(principal)
    park_id = _park_id(store, principal)
    spec = _spec(store, park_id)
    if spec.control is None:
        return 0
    at = to_us(now or utcnow())
    by_device = {d.device: d for d in spec.control.devices if d.measured_point}
    repo = DispatchRepo(store)
    q = QueryRepo(store)
    n = 0
    for w in repo.writes(park_id=park_id, since=at - 2 * 86_400_000_000, limit=5000):
        d = by_device.get(w.device)
        if d is None or w.tracking is not None or w.step_end > at or w.status == "refused":
            continue
        assert d.measured_point is not None
        assert d.tolerance_kw is not None
        point, readings, _ = q.readings(
            tenant=Tenant.park_wide(), code=d.measured_point, start=w.step_start,
            end=w.step_end, limit=100_000, offset=0,
        )  # fmt: skip
        finite = [(t, v) for t, v in readings if np.isfinite(v)]
        measured = (
            control.mean_kw(finite, point.unit, point.multiplier, d.measured_sign)
            if finite
            else None
        )
        tracking = control.tracking_of(w.setpoint_kw, measured, d.tolerance_kw)
        repo.set_tracking(write_id=w.id, measured_kw=measured, tracking=tracking, at=at)
        n += 1
    return n


def writes(store: Store, *, principal: Principal, plan_id: int) -> list[Any]:
    """The setpoint writes of a plan, newest first (park-wide readers)."""
    row = plan(store, principal=principal, plan_id=plan_id)
    return DispatchRepo(store).writes(park_id=row.park_id, plan_id=row.id)
