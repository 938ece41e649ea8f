"""Station checks of the alarm engine (rule kind ``environment``, registered on import).

A rule (lingtan.alarms.rules.EnvironmentRule) names one station and one check; the engine runs
it on each tick for the station's owner (the park, or the outlet's / building's enterprise):

* ``comms_loss`` (通信中断) — the newest stored value of any of the station's parameters is more
  than ``silence_min`` minutes before now (a station that never sent anything: counted from
  when it was declared). Values are stamped with their HJ 212 ``DataTime`` (the start of the
  hour for hourly data), so the silence is measured on data time, not arrival time;
* ``o3_8h`` — the O3 daily maximum 8-h mean (臭氧日最大8小时平均, GB 3095-2012 表1, validity of
  表4) of the last whole local day strictly above the station's class limit;
* ``indoor_range`` — the hourly mean of the last settled hour (ended at least an hour ago, as the
  engine's hourly rules) of ``parameter`` outside its GB/T 18883 range for the station's season
  (temperature and relative humidity; the bound itself complies);
* ``invalid_day`` (数据无效日) — an air station's parameter with fewer valid hourly means in
  the last whole local day than GB 3095-2012 表4 asks for a daily statistic (20): its daily
  value of that day is not valid, and the assessment leaves it out.

The threshold rules from the limits (lingtan.environment.rules) cover the rest.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any, Final

import numpy as np

from lingtan.alarms.engine import register_assessor
from lingtan.alarms.model import Finding, RuleKind, Subject, SubjectKind
from lingtan.environment import air
from lingtan.environment.indoor import limit_for, season_of, within
from lingtan.environment.limits import air_limit, min_count, validity_cite, validity_rules
from lingtan.environment.stations import Station, StationKind
from lingtan.store import Store
from lingtan.store.environment_repo import EnvironmentRepo, StationRow
from lingtan.store.query_repo import Tenant
from lingtan.timeutil import zone

_log = logging.getLogger(__name__)
MINUTE_US: Final = 60_000_000
HOUR_US: Final = 3_600_000_000


#: the stations as of one tick: (store, now) → {(park id, code): (row, station)}; every rule of
#: a tick reads the same snapshot (one query per tick instead of one per rule)
_SNAPSHOT: dict[str, Any] = {"key": None, "parks": {}, "stations": {}}


def _snapshot(store: Store, now: int) -> dict[str, Any]:
    from lingtan.environment.service import station_of

    key = (id(store), now)
    if _SNAPSHOT["key"] != key:
        parks: dict[str, int] = {}
        owners: dict[int, int] = {}
        stations: dict[tuple[int, str], tuple[StationRow, Station]] = {}
        repo = EnvironmentRepo(store)
        for park in store.registry.parks():
            parks[park.code] = park.id
            owners.update({e.id: park.id for e in store.registry.enterprises(park.id)})
            for row in repo.stations(tenant=Tenant(None), park_id=park.id):
                stations[(park.id, row.code)] = (row, station_of(row))
        _SNAPSHOT.update(key=key, parks=parks, owners=owners, stations=stations)
    return _SNAPSHOT


def _station(store: Store, rule: Any, subject: Subject, now: int) -> tuple[StationRow, Station] | None:  # fmt: skip
    snap = _snapshot(store, now)
    if subject.kind is SubjectKind.PARK:
        park_id = snap["parks"].get(subject.code)
    else:
        park_id = snap["owners"].get(subject.enterprise_id)
    found = snap["stations"].get((park_id, rule.station))
    if found is None:
        _log.warning("alarm rule %s: station %s not found (retired?)", rule.code, rule.station)
        return None
    row, st = found
    # an enterprise's rule checks only its own station
    if subject.enterprise_id is not None and row.enterprise_id != subject.enterprise_id:
        return None
    return row, st


def _point_ids(store: Store, st: Station) -> dict[str, int]:
    points = store.registry.points_current()
    return {
        p.parameter: points[st.point_code(p.parameter)].id
        for p in st.parameters
        if st.point_code(p.parameter) in points
    }


def _comms(store: Store, rule: Any, row: StationRow, st: Station, now: int) -> Finding | None:
    found = EnvironmentRepo(store).newest_readings(list(_point_ids(store, st).values()))
    newest = max(found.values(), default=None)
    since = newest if newest is not None else row.updated_at
    silent_min = (now - since) / MINUTE_US
    if silent_min <= rule.silence_min:
        return None
    what = (
        f"nothing received since {dt.datetime.fromtimestamp(since / 1e6, dt.UTC).isoformat()}"
        if newest is not None
        else "nothing received since the station was declared"
    )
    return Finding(
        round(silent_min, 1),
        f"{st.code} {st.name}: {what} ({silent_min:.0f} min, limit {rule.silence_min} min) "
        "— 通信中断",
        {"station": st.code, "newest_us": newest, "silence_min": rule.silence_min},
    )


def _o3_8h(store: Store, rule: Any, row: StationRow, st: Station, now: int) -> Finding | None:
    from lingtan.environment.service import hourly_series

    rec = air_limit("O3", "8h_daily_max")
    p = st.parameter("O3")
    if rec is None or p is None:
        return None
    tz = zone(store.registry.park(row.park_id).timezone)
    local = dt.datetime.fromtimestamp(now / 1e6, dt.UTC).astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight - dt.timedelta(days=1)
    series = [s for s in hourly_series(store, row, start, midnight) if s.parameter == "O3"]
    if not series:
        return None
    s = series[0]
    daily = air.daily_max_8h_mean(
        s.start_s, s.value, tz, min_count("8h"), min_count("8h_daily_max")
    )
    cls = st.air_class or 2
    from lingtan import units

    limit = rec.value(cls) * units.factor(rec.unit, p.unit)
    for d, v, ok in zip(daily.day.tolist(), daily.value.tolist(), daily.valid.tolist(), strict=True):  # fmt: skip
        if air.day_date(d) != start.date() or not ok or math.isnan(v) or v <= limit:
            continue
        multiple = air.exceedance_multiple(v, limit)
        return Finding(
            v,
            f"{st.code} {st.name}: O3 daily max 8-h mean {v:.1f} {p.unit} on {start.date()} "
            f"above {limit:g} (超标倍数 {multiple:.2f}) — {rec.cite} class {cls}",
            {"station": st.code, "day": start.date().isoformat(), "limit": limit,
             "multiple": multiple, "source": f"{rec.cite} 8h_daily_max"},
        )  # fmt: skip
    return None


def _indoor(store: Store, rule: Any, row: StationRow, st: Station, now: int) -> Finding | None:
    p = st.parameter(rule.parameter)
    pid = _point_ids(store, st).get(rule.parameter)
    if p is None or pid is None:
        return None
    h = now // HOUR_US * HOUR_US - 2 * HOUR_US  # the hour that ended at least an hour ago
    rows = store.stats.hours(None, [pid], h, h + HOUR_US).get(pid)
    if rows is None or not len(rows["mean"]) or math.isnan(float(rows["mean"][0])):
        return None
    value = float(np.asarray(rows["mean"])[0])
    tz = zone(store.registry.park(row.park_id).timezone)
    when = dt.datetime.fromtimestamp(h / 1e6, dt.UTC).astimezone(tz)
    rec = limit_for(rule.parameter, season_of(when.month, st.cooling_months, st.heating_months))
    if rec is None or rec.averaging != "1h":
        return None
    low, high = rec.bounds_in(p.unit)
    if within(value, low, high):
        return None
    band = f"{low:g}–{high:g}" if low is not None else f"≤ {high:g}"
    return Finding(
        value,
        f"{st.code} {st.name}: {rule.parameter} {value:.1f} {p.unit} at {when.isoformat()} "
        f"outside {band} ({rec.note}) — {rec.cite} (confidence {rec.confidence})",
        {"station": st.code, "hour": when.isoformat(), "low": low, "high": high,
         "source": rec.cite},
    )  # fmt: skip


def _invalid_day(store: Store, rule: Any, row: StationRow, st: Station, now: int) -> Finding | None:  # fmt: skip
    from lingtan.environment.service import hourly_series

    daily = validity_rules().get("24h")
    if daily is None:
        return None
    tz = zone(store.registry.park(row.park_id).timezone)
    local = dt.datetime.fromtimestamp(now / 1e6, dt.UTC).astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight - dt.timedelta(days=1)
    short = [
        (s.parameter, int(np.count_nonzero(~np.isnan(s.value))))
        for s in hourly_series(store, row, start, midnight)
        if s.parameter in daily.applies_to
    ]
    short = [(p, n) for p, n in short if n < daily.min_count]
    if not short:
        return None
    counts = ", ".join(f"{p} {n} h" for p, n in short)
    return Finding(
        float(min(n for _, n in short)),
        f"{st.code} {st.name}: invalid day {start.date()}: {counts} (fewer than "
        f"{daily.min_count} hourly values) — {validity_cite()}",
        {"station": st.code, "day": start.date().isoformat(), "min_count": daily.min_count,
         "hours": dict(short), "source": f"{validity_cite()} 24h"},
    )  # fmt: skip


def assess(store: Store, rule: Any, subject: Subject, now: int) -> Finding | None:
    """The engine's check of an ``environment`` rule for its subject (the station's owner)."""
    found = _station(store, rule, subject, now)
    if found is None:
        return None
    row, st = found
    if rule.check == "comms_loss":
        return _comms(store, rule, row, st, now)
    if rule.check == "o3_8h" and st.kind is StationKind.AIR:
        return _o3_8h(store, rule, row, st, now)
    if rule.check == "indoor_range" and st.kind is StationKind.INDOOR:
        return _indoor(store, rule, row, st, now)
    if rule.check == "invalid_day" and st.kind is StationKind.AIR:
        return _invalid_day(store, rule, row, st, now)
    return None


register_assessor(RuleKind.ENVIRONMENT, assess)

__all__ = ["assess"]
