"""The inputs of one day's plan, read from the store: the park's load and PV (forecast or
seasonal-naive), the tariff's import prices per step, the grid factor per step, the EV sessions
and the batteries' initial state of charge — each with a line in ``inputs`` saying where it
came from.

The load the plan serves (``fixed_load_kw``) is the park microgrid's consumption without the
assets the plan moves, from the declaration's meters:
grid import + PV − export − (battery charge − discharge) − EV charging − flexible baselines,
so neither the battery nor the EVs are counted twice. Hourly values [kWh per hour = mean kW]
are repeated over the steps of the hour.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np

from lingtan.dispatch.components import F64
from lingtan.dispatch.config import MicrogridSpec
from lingtan.errors import InvalidInput
from lingtan.forecast.service import day_matrix
from lingtan.store import Store
from lingtan.store.dispatch_repo import DispatchRepo, SessionRow
from lingtan.store.forecast_repo import ForecastRepo
from lingtan.store.query_repo import Tenant
from lingtan.store.records import PointRecord
from lingtan.timeutil import to_us

HOURS: Final = 24
HOUR_US: Final = 3_600_000_000
#: an hour counts as a charging hour of a derived session when its mean energy reaches this
#: share of the busiest hour's
CHARGING_HOUR_SHARE: Final = 0.05
#: weeks of a charger's history a derived session is averaged over
SESSION_WEEKS: Final = 4


@dataclass(frozen=True)
class Day:
    """A park-local day cut into the declaration's steps."""

    day: dt.date
    tz: ZoneInfo
    step_minutes: int

    @property
    def steps(self) -> int:
        return HOURS * 60 // self.step_minutes

    @property
    def per_hour(self) -> int:
        return 60 // self.step_minutes

    @property
    def step_hours(self) -> float:
        return self.step_minutes / 60.0

    def start(self) -> dt.datetime:
        return dt.datetime(self.day.year, self.day.month, self.day.day, tzinfo=self.tz)

    def step_start(self, k: int) -> dt.datetime:
        return self.start() + dt.timedelta(minutes=k * self.step_minutes)

    def hour_us(self) -> int:
        return to_us(self.start())

    def to_steps(self, hourly: F64) -> F64:
        """Hourly values repeated over the steps of each hour."""
        return np.repeat(np.asarray(hourly, np.float64), self.per_hour)

    def step_of(self, hhmm: str, *, up: bool = False) -> int:
        """The step an HH:MM local time falls in (``up``: the first step starting at or after
        it, for a departure)."""
        hh, _, mm = hhmm.partition(":")
        minutes = int(hh) * 60 + int(mm)
        q, r = divmod(minutes, self.step_minutes)
        return q + (1 if up and r else 0)


def points_of(store: Store, spec: MicrogridSpec) -> dict[str, PointRecord]:
    """The declaration's points by code (the caller validated they exist)."""
    every = store.registry.points_by_code()
    codes = [spec.grid.import_point, spec.grid.export_point]
    codes += [p.point for p in spec.pv] + [f.point for f in spec.flex]
    codes += [b.charge_point for b in spec.batteries] + [b.discharge_point for b in spec.batteries]
    codes += [c.point for c in spec.chargers]
    return {c: every[c] for c in codes if c is not None and c in every}


class History:
    """Hourly metered values of the declaration's points, read once per (point, day)."""

    def __init__(self, store: Store, points: dict[str, PointRecord], tz: ZoneInfo) -> None:
        self._store, self._points, self._tz = store, points, tz
        self._cache: dict[tuple[str, dt.date], F64] = {}

    def day(self, code: str | None, day: dt.date) -> F64:
        """The point's 24 hourly values of a day (NaN unknown); zeros without a point."""
        if code is None:
            return np.zeros(HOURS)
        key = (code, day)
        if key not in self._cache:
            self._cache[key] = day_matrix(self._store, self._points[code], day, 1, self._tz)[0]
        return self._cache[key]

    def load(self, spec: MicrogridSpec, day: dt.date) -> F64:
        """The microgrid's load of a day without battery and EV charging [kWh per hour]."""
        out = self.day(spec.grid.import_point, day) - self.day(spec.grid.export_point, day)
        for p in spec.pv:
            out = out + self.day(p.point, day)
        for b in spec.batteries:
            out = out - self.day(b.charge_point, day) + self.day(b.discharge_point, day)
        for c in spec.chargers:
            out = out - self.day(c.point, day)
        return np.asarray(out, np.float64)


def _lagged(read: Any, day: dt.date, what: str, field: str) -> tuple[F64, str]:
    """Seasonal-naive: the same weekday a week earlier; hours it lacks from two weeks earlier;
    ``InvalidInput`` naming ``field`` if hours are still unknown."""
    week = read(day - dt.timedelta(days=7))
    label = f"seasonal-naive: {what} of {day - dt.timedelta(days=7)} (same weekday a week earlier)"
    missing = ~np.isfinite(week)
    if missing.any():
        two = read(day - dt.timedelta(days=14))
        week = np.where(missing, two, week)
        label += f"; {int(missing.sum())} hours from {day - dt.timedelta(days=14)}"
    if not np.isfinite(week).all():
        hours = ", ".join(f"{h:02d}" for h in np.flatnonzero(~np.isfinite(week)))
        raise InvalidInput(
            f"no history for the {what} of {day} in the two weeks before (hours {hours}): "
            "import the meters' readings or issue a forecast",
            field=field,
        )
    return np.maximum(week, 0.0) if field == "pv" else week, label


def _forecast_run(
    store: Store, tenant: Tenant, park_id: int, point: PointRecord, day: dt.date
) -> tuple[int, F64] | None:
    """The newest hourly forecast of a point with values for ``day``: (run id, 24 P50 values)
    (dispatch plans by the hour: a 15-minute forecast is not read here)."""
    repo = ForecastRepo(store)
    runs = repo.runs(tenant=tenant, park_id=park_id, point_id=point.id, step_s=3600, limit=200)
    for run in runs:
        first = dt.date.fromisoformat(run.first_day)
        if run.status != "ok" or not first <= day < first + dt.timedelta(days=run.days):
            continue
        values = {h: p50 for h, _a, p50, _c in repo.run_values(run.id)}
        tz = ZoneInfo(store.registry.park(park_id).timezone)
        h0 = to_us(dt.datetime(day.year, day.month, day.day, tzinfo=tz))
        got = [values.get(h0 + k * HOUR_US) for k in range(HOURS)]
        if all(v is not None and math.isfinite(v) for v in got):
            return run.id, np.asarray(got, np.float64)
    return None


#: days of a PV meter's history its cloud factors are learned from
CLOUD_DAYS: Final = 28


def _pv_from_plant(
    store: Store, tenant: Tenant, point: PointRecord, d: Day, hist: History
) -> tuple[F64, str] | None:
    """The forecast module's PV path for a point with a declared plant: clear-sky energy of
    the day × the meter/clear-sky factors (P50) learned from the last 28 days; None without a
    plant, or when a sunny hour's factor could not be learned."""
    import pandas as pd

    from lingtan.forecast import pv as pvmod

    row = ForecastRepo(store).pv_plant(tenant=tenant, point_id=point.id)
    if row is None:
        return None
    plant = pvmod.PvPlant(
        row.kwp, row.tilt_deg, row.azimuth_deg, row.losses_pct, row.latitude, row.longitude,
        row.altitude_m,
    )  # fmt: skip
    first = d.day - dt.timedelta(days=CLOUD_DAYS)
    start = pd.Timestamp(dt.datetime(first.year, first.month, first.day, tzinfo=d.tz))
    past = pd.date_range(start, periods=CLOUD_DAYS * HOURS, freq="h")
    meter = np.concatenate([hist.day(point.code, first + dt.timedelta(days=k))
                            for k in range(CLOUD_DAYS)])  # fmt: skip
    if not np.isfinite(meter).any():
        return None
    tz = str(d.tz)
    factors = pvmod.learn_cloud_factors(
        plant, past, meter, pvmod.clear_sky_energy(plant, past), tz=tz
    )
    today = pd.date_range(pd.Timestamp(d.start()), periods=HOURS, freq="h")
    got = pvmod.forecast_with_cloud_factors(
        factors, today, pvmod.clear_sky_energy(plant, today), tz=tz
    ).p50
    if not np.isfinite(got).all():
        return None
    return np.maximum(np.asarray(got, np.float64), 0.0), (
        f"clear-sky × cloud factors (P50) of {point.code}'s declared plant, learned from "
        f"{first}–{d.day - dt.timedelta(days=1)}"
    )


def load_and_pv(
    store: Store, tenant: Tenant, park_id: int, spec: MicrogridSpec, d: Day, hist: History
) -> tuple[F64, dict[str, F64], dict[str, Any]]:
    """Hourly load (without storage and EVs) and PV per plant for the day, with their
    sources. PV: the newest forecast run of its point covering the day, else the forecast
    module's clear-sky × cloud-factor path for a declared plant, else seasonal-naive. A forecast of the grid-import point covering the day gives the grid part of the
    load (the rest — PV, export, storage, EVs — from a week earlier); otherwise the whole load
    is seasonal-naive. (A park-scope load forecast covers every enterprise's load, not the
    microgrid behind the import meter, so it is not used.)"""
    points = points_of(store, spec)
    info: dict[str, Any] = {}
    pv: dict[str, F64] = {}
    for p in spec.pv:
        got = _forecast_run(store, tenant, park_id, points[p.point], d.day)
        plant = None if got is not None else _pv_from_plant(store, tenant, points[p.point], d, hist)
        if got is not None:
            pv[p.point] = np.maximum(got[1], 0.0)
            info[f"pv:{p.point}"] = f"forecast run #{got[0]} of {p.point} (P50)"
        elif plant is not None:
            pv[p.point], info[f"pv:{p.point}"] = plant
        else:
            pv[p.point], label = _lagged(lambda x, c=p.point: hist.day(c, x), d.day,
                                         f"PV of {p.point}", "pv")  # fmt: skip
            info[f"pv:{p.point}"] = label
    grid = _forecast_run(store, tenant, park_id, points[spec.grid.import_point], d.day)
    if grid is not None:
        behind, label = _lagged(
            lambda x: hist.load(spec, x) - hist.day(spec.grid.import_point, x), d.day,
            "behind-the-meter flows", "load",
        )  # fmt: skip
        load = grid[1] + behind
        info["load"] = (
            f"forecast run #{grid[0]} of {spec.grid.import_point} (P50) + PV, export, storage "
            f"and EV of a week earlier ({label})"
        )
    else:
        load, label = _lagged(lambda x: hist.load(spec, x), d.day, "load", "load")
        info["load"] = (
            label + f" — grid import {spec.grid.import_point} + PV − export − storage − EV"
        )
    return np.maximum(load, 0.0), pv, info


def flex_baselines(
    spec: MicrogridSpec, d: Day, hist: History
) -> tuple[dict[str, F64], dict[str, str]]:
    """Each flexible load's hourly baseline: its share of its point a week earlier."""
    out: dict[str, F64] = {}
    info: dict[str, str] = {}
    for f in spec.flex:
        values, label = _lagged(lambda x, c=f.point: hist.day(c, x), d.day, f"load of {f.point}",
                                f"flex[{f.code}]")  # fmt: skip
        out[f.code] = f.share * np.maximum(values, 0.0)
        info[f.code] = label
    return out, info


def sessions_for(
    store: Store, park_id: int, spec: MicrogridSpec, d: Day, hist: History
) -> tuple[list[SessionRow], str]:
    """The day's imported sessions, else one expected session per metered charger derived
    from its history, and which."""
    rows = DispatchRepo(store).sessions(park_id=park_id, day=d.day.isoformat())
    if rows:
        return rows, f"imported: {len(rows)} sessions"
    derived: list[SessionRow] = []
    notes: list[str] = []
    for c in spec.chargers:
        if c.point is None:
            continue
        weeks = [d.day - dt.timedelta(days=7 * k) for k in range(1, SESSION_WEEKS + 1)]
        m = np.vstack([hist.day(c.point, w) for w in weeks])
        whole = np.isfinite(m).all(axis=1)
        if not whole.any():
            notes.append(f"{c.point}: no complete day among {', '.join(map(str, weeks))}")
            continue
        mean = m[whole].mean(axis=0)
        energy = float(mean.sum())
        if energy <= 0:
            continue
        busy = np.flatnonzero(mean >= CHARGING_HOUR_SHARE * mean.max())
        first, last = int(busy[0]), int(busy[-1]) + 1
        derived.append(
            SessionRow(
                f"{c.code}-expected",
                c.code,
                f"{first:02d}:00",
                f"{last:02d}:00",
                round(energy, 3),
                c.max_kw,
            )
        )
        notes.append(
            f"derived from {c.point} history: mean of {int(whole.sum())} {d.day:%A}s "
            f"({energy:.0f} kWh, {first:02d}:00–{last:02d}:00)"
        )
    if not notes:
        return [], "none: no sessions imported and no charger meter"
    return derived, "; ".join(notes)


def month_peak_kw(store: Store, spec: MicrogridSpec, d: Day, hist: History) -> float:
    """The highest hourly import of the month before the day [kW] (the demand charge's peak
    so far)."""
    first = d.day.replace(day=1)
    if first == d.day:
        return 0.0
    code = spec.grid.import_point
    point = points_of(store, spec)[code]
    m = day_matrix(store, point, first, (d.day - first).days, d.tz)
    return float(np.nanmax(m)) if np.isfinite(m).any() else 0.0
