"""Environment monitoring service: stations from the park file, their latest values, and the
GB 3095 / GB 3838 / permit / GB/T 18883 assessment computed from the store's hourly means.

Service functions take keyword arguments and an explicit principal; the repository filters by
tenant (an enterprise sees the park-level stations and its own outlets and indoor monitors).
The assessment of a station from the store gives the same results as ``lingtan environment
assess`` on a CSV of the same hourly values: both call :func:`lingtan.environment.assess.assess`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lingtan import units
from lingtan.alarms import service as alarm_service
from lingtan.alarms.rules import parse_rule
from lingtan.environment import air
from lingtan.environment import alarms as _station_checks  # noqa: F401  (registers the checks)
from lingtan.environment import aqi as hj633
from lingtan.environment.assess import Assessment, Series, assess
from lingtan.environment.indoor import IndoorHour, hourly_compliance, limit_for, season_of
from lingtan.environment.limits import air_limit, min_count, water_standard
from lingtan.environment.rules import RULE_SOURCE, limit_rules
from lingtan.environment.stations import EnvironmentSection, Station, StationKind, station_owner
from lingtan.environment.water import parameter_class
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require
from lingtan.registry.model import ParkModel
from lingtan.store import Store
from lingtan.store.environment_repo import EnvironmentRepo, SaveOutcome, StationInput, StationRow
from lingtan.timeutil import to_us, utcnow, zone

HOUR_US = 3_600_000_000
#: the longest period one assessment request may cover
MAX_DAYS = 400


def _park_id(store: Store, principal: Principal) -> int:
    return store.registry.park(principal.park_id).id


# -- the park file ------------------------------------------------------------------------


@dataclass
class ApplyReport:
    stations: SaveOutcome
    rules_created: list[str] = field(default_factory=list)


def apply_park_file(
    store: Store, *, park_id: int, model: ParkModel, actor: str
) -> ApplyReport | None:
    """The ``environment:`` section of a loaded park file: its stations are the park's
    (stations it no longer names are retired, their data kept), and each station parameter
    with a limit gets its alarm rule — created when absent, never overwritten: a rule edited
    or retired by a user stays as the user left it. Absent section: nothing changes."""
    section: EnvironmentSection | None = model.environment
    if section is None:
        return None
    ent_ids = {e.code: e.id for e in store.registry.enterprises(park_id)}
    owners = {s.id: s.enterprise for s in model.sites}
    inputs = []
    for st in section.stations:
        owner = station_owner(st, owners)
        inputs.append(
            StationInput(
                code=st.code,
                kind=st.kind.value,
                name=st.name,
                enterprise_id=None if owner is None else ent_ids[owner],
                mn=st.mn,
                pw=st.pw,
                spec=st.model_dump(mode="json"),
            )
        )
    now = to_us(utcnow())
    outcome = EnvironmentRepo(store).save_stations(
        park_id=park_id, stations=inputs, source=f"park file ({actor})", now=now
    )
    report = ApplyReport(outcome)
    for st, inp in zip(section.stations, inputs, strict=True):
        fresh = []
        for data in limit_rules(st):
            with store.begin() as conn:
                known = store.alarms.rule_by_code(conn, park_id=park_id, code=data["id"])
            if known is None:
                fresh.append(parse_rule(data, where=f"environment.stations[{st.code}]"))
        if fresh:
            alarm_service.save_rules(
                store, park_id=park_id, rules=fresh, actor=actor, source=RULE_SOURCE,
                enterprise_id=inp.enterprise_id,
            )  # fmt: skip
            report.rules_created += [r.code for r in fresh]
    return report


# -- stations -----------------------------------------------------------------------------


def station_of(row: StationRow) -> Station:
    """The station record of a stored row."""
    return Station.model_validate(row.spec)


def list_stations(
    store: Store, *, principal: Principal, kind: str | None = None
) -> list[StationRow]:
    """The stations in the caller's scope."""
    require(principal, Permission.READ)
    if kind is not None and kind not in {k.value for k in StationKind}:
        raise InvalidInput(
            f"kind must be one of air, water, outlet, indoor, not {kind!r}", field="kind"
        )
    return EnvironmentRepo(store).stations(
        tenant=principal.tenant, park_id=_park_id(store, principal), kind=kind
    )


def get_station(store: Store, *, principal: Principal, code: str) -> StationRow:
    """One station in the caller's scope (NotFound for another enterprise's)."""
    require(principal, Permission.READ)
    return EnvironmentRepo(store).station(
        tenant=principal.tenant, park_id=_park_id(store, principal), code=code
    )


@dataclass(frozen=True, slots=True)
class Latest:
    """A parameter's latest hourly mean and its judgement."""

    parameter: str
    unit: str
    point: str
    hour: str | None
    value: float | None
    limit: float | None
    low: float | None
    #: ok | exceeded | unknown; water: the value's class
    status: str
    water_class: str | None
    basis: str


def _judge(st: Station, parameter: str, unit: str, value: float, when: dt.datetime) -> tuple[str, float | None, float | None, str | None, str]:  # fmt: skip
    """Status of one hourly value against the parameter's limit (hourly view)."""
    if st.kind is StationKind.AIR:
        rec = air_limit(parameter, "1h") or air_limit(parameter, "24h")
        if rec is None:
            return "unknown", None, None, None, ""
        lim = rec.value(st.air_class or 2) * units.factor(rec.unit, unit)
        return ("exceeded" if value > lim else "ok"), lim, None, None, f"{rec.cite} {rec.averaging}"
    if st.kind is StationKind.WATER:
        std = water_standard()
        wrec = next((w for w in std.parameters if w.parameter == parameter), None)
        if wrec is None:
            return "unknown", None, None, None, ""
        f = 1.0 if wrec.unit == "1" else units.factor(unit, wrec.unit)
        cls = parameter_class(value * f, wrec)
        target = std.classes.index(st.water_class or "III")
        worse = cls not in std.classes or std.classes.index(cls) > target
        wlim = None if not wrec.limits else wrec.limits[target] / f
        return ("exceeded" if worse else "ok"), wlim, None, cls, f"{std.standard} 表{std.table}"
    if st.kind is StationKind.OUTLET:
        plim = st.permit(parameter)
        if plim is None:
            return "unknown", None, None, None, ""
        lim = plim.in_unit(unit)
        over = bool(air.above(np.array([value]), lim)[0])
        return ("exceeded" if over else "ok"), lim, None, None, plim.source
    irec = limit_for(parameter, season_of(when.month, st.cooling_months, st.heating_months))
    if irec is None:
        return "unknown", None, None, None, ""
    low, high = irec.bounds_in(unit)
    inside = (low is None or value >= low) and (high is None or value <= high)
    return ("ok" if inside else "exceeded"), high, low, None, irec.cite


def latest_values(store: Store, *, principal: Principal, row: StationRow) -> list[Latest]:
    """Each parameter's latest hourly mean with its status against the limit."""
    require(principal, Permission.READ)
    st = station_of(row)
    tz = zone(store.registry.park(row.park_id).timezone)
    points = store.registry.points_current()
    pids = {p.parameter: points[st.point_code(p.parameter)].id for p in st.parameters
            if st.point_code(p.parameter) in points}  # fmt: skip
    last = EnvironmentRepo(store).last_hours(list(pids.values()))
    out = []
    for p in st.parameters:
        pid = pids.get(p.parameter)
        h = last.get(pid) if pid is not None else None
        value = None
        if pid is not None and h is not None:
            rows = store.stats.hours(None, [pid], h, h + HOUR_US).get(pid)
            if rows is not None and len(rows["mean"]) and not math.isnan(rows["mean"][0]):
                value = float(rows["mean"][0])
        if value is None or h is None:
            out.append(Latest(p.parameter, p.unit, st.point_code(p.parameter), None, None,
                              None, None, "unknown", None, ""))  # fmt: skip
            continue
        when = dt.datetime.fromtimestamp(h / 1e6, dt.UTC).astimezone(tz)
        status, lim, low, cls, basis = _judge(st, p.parameter, p.unit, value, when)
        out.append(Latest(p.parameter, p.unit, st.point_code(p.parameter), when.isoformat(),
                          value, lim, low, status, cls, basis))  # fmt: skip
    return out


def hourly_series(
    store: Store, row: StationRow, start: dt.datetime, end: dt.datetime
) -> list[Series]:
    """The station's hourly means in [start, end) as assessment series (one value per hour,
    NaN where no valid mean: with minute data an hour needs the GB 3095 1-h minimum of
    sampled minutes)."""
    st = station_of(row)
    h0 = to_us(start) // HOUR_US * HOUR_US
    h1 = -(-to_us(end) // HOUR_US) * HOUR_US
    grid = np.arange(h0, h1, HOUR_US, dtype=np.int64)
    points = store.registry.points_current()
    codes = {st.point_code(p.parameter): p for p in st.parameters}
    pids = {points[c].id: c for c in codes if c in points}
    rows = store.stats.hours(None, list(pids), h0, h1) if pids else {}
    min_measured = min_count("1h") * 60 if st.resolution == "minute" else 1
    out = []
    for pid, c in pids.items():
        p = codes[c]
        values = np.full(len(grid), np.nan)
        r = rows.get(pid)
        if r is not None:
            idx = (r["hours"] - h0) // HOUR_US
            ok = ~np.isnan(r["mean"]) & (np.nan_to_num(r["measured_s"]) >= min_measured)
            values[idx[ok]] = r["mean"][ok]
        out.append(Series(row.code, p.parameter, p.unit, grid // 1_000_000, values))
    return out


# -- assessment ---------------------------------------------------------------------------


@dataclass
class StationAssessment:
    """A station's assessment over a period."""

    station: str
    kind: str
    start: str
    end: str
    tz: str
    #: air and water: the GB 3095 / GB 3838 results (as ``lingtan environment assess``)
    quality: Assessment | None = None
    #: outlets: hourly means above a permit limit
    permit_exceedances: list[dict[str, Any]] = field(default_factory=list)
    #: indoor: hour-by-hour compliance per parameter
    indoor: dict[str, list[IndoorHour]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: water sections: the GB 3838 target class
    water_class: str | None = None
    #: air stations: HJ 633-2012 daily AQI (日报) of each local day of the period
    aqi_daily: list[dict[str, Any]] = field(default_factory=list)


def _period(start: dt.datetime, end: dt.datetime) -> None:
    for name, t in (("from", start), ("to", end)):
        if t.tzinfo is None or t.utcoffset() is None:
            raise InvalidInput(f"{name} needs a UTC offset (e.g. +08:00)", field=name)
    if end <= start:
        raise InvalidInput("to must be after from", field="to")
    if end - start > dt.timedelta(days=MAX_DAYS):
        raise InvalidInput(f"the period is limited to {MAX_DAYS} days", field="to")


def assess_row(
    store: Store, row: StationRow, start: dt.datetime, end: dt.datetime
) -> StationAssessment:
    """The assessment of one station (no scope check: callers have one)."""
    _period(start, end)
    st = station_of(row)
    tz_name = store.registry.park(row.park_id).timezone
    tz = zone(tz_name)
    series = hourly_series(store, row, start, end)
    res = StationAssessment(row.code, row.kind, start.isoformat(), end.isoformat(), tz_name)
    if st.kind in (StationKind.AIR, StationKind.WATER):
        res.quality = assess(series, st.air_class or 2, tz, tz_name)
        if st.kind is StationKind.WATER:
            res.water_class = st.water_class
        else:
            res.aqi_daily = [
                {"day": d.day.isoformat(), **hj633.aqi_jsonable(d.result)}
                for d in hj633.daily_aqi_series(_aqi_input(series), tz)
            ]
    elif st.kind is StationKind.OUTLET:
        for s in series:
            plim = st.permit(s.parameter)
            if plim is None:
                res.notes.append(f"{s.parameter}: no permit limit declared")
                continue
            lim = plim.in_unit(s.unit)
            hit = air.above(s.value, lim)
            labels = [dt.datetime.fromtimestamp(x, dt.UTC).astimezone(tz).isoformat()
                      for x in s.start_s[hit].tolist()]  # fmt: skip
            for e in air.exceedances(labels, s.value[hit], np.ones(int(hit.sum()), bool), lim):
                res.permit_exceedances.append(
                    {"parameter": s.parameter, "unit": s.unit, "source": plim.source,
                     **dataclasses.asdict(e)}
                )  # fmt: skip
    else:
        for s in series:
            res.indoor[s.parameter] = hourly_compliance(
                s.parameter, s.unit, s.start_s.tolist(), s.value.tolist(), tz,
                cooling_months=st.cooling_months, heating_months=st.heating_months,
            )  # fmt: skip
        res.notes.append("GB/T 18883 records: confidence L (docs/environment.md)")
    return res


def _aqi_input(series: Sequence[Series]) -> dict[str, hj633.HourSeries]:
    return {
        s.parameter: hj633.HourSeries(s.start_s, s.value, s.unit)
        for s in series
        if s.parameter in hj633.POLLUTANTS
    }


@dataclass
class StationAqi:
    """An air station's latest real-time AQI (实时报, the latest hour with data) and the daily
    AQI (日报) of the last local day with one, by HJ 633-2012."""

    station: str
    hour: str | None = None
    hourly: hj633.Aqi | None = None
    day: str | None = None
    daily: hj633.Aqi | None = None


def station_aqi(store: Store, *, principal: Principal, row: StationRow) -> StationAqi:
    """HJ 633-2012 AQI of an air station from the 2 local days up to its latest data."""
    require(principal, Permission.READ)
    out = StationAqi(row.code)
    if row.kind != StationKind.AIR.value:
        return out
    tz = zone(store.registry.park(row.park_id).timezone)
    _start, end = default_period(store, [row], days=2)
    start = end - dt.timedelta(days=2)
    series = _aqi_input(hourly_series(store, row, start, end))
    hours = [h for h in hj633.hourly_aqi_series(series, tz) if h.result.aqi is not None]
    if hours:
        out.hour, out.hourly = hours[-1].start.isoformat(), hours[-1].result
    days = [d for d in hj633.daily_aqi_series(series, tz) if d.result.aqi is not None]
    if days:
        out.day, out.daily = days[-1].day.isoformat(), days[-1].result
    return out


def water_trend(
    store: Store,
    *,
    principal: Principal,
    code: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> dict[str, Any]:
    """A water station's monthly trend over [start, end) (default: the 365 days up to its
    latest data), ``kind`` saying which:

    * ``section`` (a surface-water section): per parameter and local month the mean of the
      daily means, its GB 3838-2002 class and the attainment rate against the target class;
      per month the section's class by its worst parameter
      (:func:`lingtan.environment.trend.monthly_trend`);
    * ``outlet``: per permit-limited parameter and local month the valid hours, mean and
      maximum hourly mean, hours above the permit limit, the largest 超标倍数 and the attainment
      rate over hours; per month the outlet's attainment and the parameters that failed
      (:func:`lingtan.environment.trend.outlet_monthly_trend`).

    Another kind of station in scope answers no months and says why."""
    from lingtan.environment.trend import monthly_trend, outlet_monthly_trend

    row = get_station(store, principal=principal, code=code)
    if row.kind not in (StationKind.WATER.value, StationKind.OUTLET.value):
        # a station in scope with no water trend: said, not refused
        return {"station": row.code, "kind": None, "target_class": None, "months": [],
                "note": f"{row.code} is a {row.kind} station, not a water section or an "
                        "outlet: no monthly water trend"}  # fmt: skip
    if end is None:
        end = default_period(store, [row])[1]
    if start is None:
        start = end - dt.timedelta(days=365)
    _period(start, end)
    st = station_of(row)
    tz_name = store.registry.park(row.park_id).timezone
    series = hourly_series(store, row, start, end)
    head = {"station": row.code, "start": start.isoformat(), "end": end.isoformat(), "tz": tz_name}
    if st.kind is StationKind.OUTLET:
        unlimited = sorted(p.parameter for p in st.parameters if st.permit(p.parameter) is None)
        return {
            **head, "kind": "outlet", "target_class": None,
            "limits": [x.model_dump(mode="json") for x in st.limits],
            "months": jsonable(outlet_monthly_trend(series, st.limits, zone(tz_name))),
            "notes": [f"{p}: no permit limit declared" for p in unlimited],
            "basis": "permit limits on the hourly means; strictly above exceeds, "
                     "multiple = value / limit - 1 (docs/environment.md)",
        }  # fmt: skip
    target = st.water_class or "III"
    months = monthly_trend(series, target, zone(tz_name))
    return {
        **head, "kind": "section", "target_class": target, "months": jsonable(months),
        "basis": "GB 3838-2002 表1; monthly mean of daily means, 单因子 (docs/environment.md)",
    }  # fmt: skip


def assess_station(
    store: Store, *, principal: Principal, code: str, start: dt.datetime, end: dt.datetime
) -> StationAssessment:
    """The assessment of a station in the caller's scope over [start, end)."""
    row = get_station(store, principal=principal, code=code)
    return assess_row(store, row, start, end)


@dataclass(frozen=True, slots=True)
class ExceedanceEntry:
    """One exceedance (超标) of a station parameter."""

    station: str
    kind: str
    parameter: str
    statistic: str  # 1h | 24h | 8h_daily_max | 24h_water | indoor_1h | indoor_24h
    when: str
    value: float
    limit: float | None
    multiple: float | None
    unit: str
    basis: str


def exceedances_of(result: StationAssessment) -> list[ExceedanceEntry]:
    """Every exceedance in a station's assessment, in time order."""
    out: list[ExceedanceEntry] = []
    k = result.kind
    if result.quality is not None:
        for r in result.quality.series:
            basis = "; ".join(r.sources)
            for e in r.hourly_exceedances:
                out.append(ExceedanceEntry(result.station, k, r.parameter, "1h", e.when,
                                           e.value, e.limit, e.multiple, r.unit, basis))  # fmt: skip
            for d in r.days:
                if d.exceeded and d.value is not None:
                    out.append(ExceedanceEntry(result.station, k, r.parameter, d.statistic,
                                               d.day.isoformat(), d.value, d.limit, d.multiple,
                                               r.unit, basis))  # fmt: skip
                elif d.water_class is not None and k == "water":
                    out += _water_exceedance(result, r.parameter, r.unit, d)
    for pe in result.permit_exceedances:
        out.append(ExceedanceEntry(result.station, k, pe["parameter"], "1h", pe["when"],
                                   pe["value"], pe["limit"], pe["multiple"], pe["unit"],
                                   pe["source"]))  # fmt: skip
    for parameter, hours in result.indoor.items():
        for h in hours:
            if h.compliant is False and h.value is not None:
                out.append(ExceedanceEntry(result.station, k, parameter, f"indoor_{h.basis}",
                                           h.hour, h.value, h.high, None, "", "GB/T 18883"))  # fmt: skip
    return sorted(out, key=lambda e: (e.when, e.parameter))


def _water_exceedance(result: StationAssessment, parameter: str, unit: str, d: Any) -> list[ExceedanceEntry]:  # fmt: skip
    target = result.water_class or "III"
    order = [*water_standard().classes, "劣V"]
    if d.water_class in order and order.index(d.water_class) > order.index(target):
        return [ExceedanceEntry(result.station, "water", parameter, "24h_water",
                                d.day.isoformat(), d.value, None, None, unit,
                                f"GB 3838-2002 class {d.water_class} worse than {target}")]  # fmt: skip
    return []


def list_exceedances(
    store: Store, *, principal: Principal, start: dt.datetime, end: dt.datetime,
    station: str | None = None,
) -> list[ExceedanceEntry]:  # fmt: skip
    """Exceedances of the stations in the caller's scope over [start, end)."""
    _period(start, end)
    rows = (
        [get_station(store, principal=principal, code=station)]
        if station is not None
        else list_stations(store, principal=principal)
    )
    out: list[ExceedanceEntry] = []
    for row in rows:
        out += exceedances_of(assess_row(store, row, start, end))
    return out


def default_period(store: Store, rows: Sequence[StationRow], days: int = 7) -> tuple[dt.datetime, dt.datetime]:  # fmt: skip
    """The last ``days`` local days up to the latest hour any of the stations has data for
    (today's when none)."""
    points = store.registry.points_current()
    pids = [points[f"{r.code}:{p['parameter']}"].id for r in rows for p in r.spec["parameters"]
            if f"{r.code}:{p['parameter']}" in points]  # fmt: skip
    last = EnvironmentRepo(store).last_hours(pids)
    end_us = (max(last.values()) + HOUR_US) if last else to_us(utcnow())
    end = dt.datetime.fromtimestamp(end_us / 1e6, dt.UTC)
    return end - dt.timedelta(days=days), end


def jsonable(obj: Any) -> Any:
    """Dataclasses, dates and NaN as JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, dt.date | dt.datetime):
        return obj.isoformat()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


__all__ = [
    "ApplyReport",
    "ExceedanceEntry",
    "Latest",
    "StationAqi",
    "StationAssessment",
    "apply_park_file",
    "assess_row",
    "assess_station",
    "default_period",
    "exceedances_of",
    "get_station",
    "hourly_series",
    "jsonable",
    "latest_values",
    "list_exceedances",
    "list_stations",
    "station_aqi",
    "station_of",
    "water_trend",
]
