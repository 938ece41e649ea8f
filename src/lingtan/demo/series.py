"""Synthetic 15-minute energy profiles for the demo park (numpy; PV from pvlib clear sky).

Every profile is a deterministic function of a seed: load shapes by industry (shift patterns,
weekends, seasonal cooling/heating), PV from pvlib's clear-sky model on a tilted roof times a
daily cloudiness drawn from a beta distribution. Nothing is downloaded: pvlib's clear-sky
model uses the Linke turbidity table bundled with pvlib.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pvlib
from numpy.typing import NDArray

F64 = NDArray[np.float64]

STEP_H = 0.25  # 15-minute intervals

#: the generated PV arrays (every one of the park): module tilt [°] and azimuth [° clockwise
#: from north, 180 = south] of the roofs, and the performance ratio applied to the clear-sky
#: plane-of-array energy (no temperature model: the ratio is flat). The demo park declares its
#: PV plants from these same values (demo/park.py ``pv_plant``), so the forecast's declared
#: parameters are the generator's: losses = 1 − performance ratio.
PV_TILT_DEG = 25.0
PV_AZIMUTH_DEG = 180.0
PV_LOSSES_PCT = 20.0
PV_PERFORMANCE_RATIO = 1 - PV_LOSSES_PCT / 100  # 0.8


def site_altitude(lat: float, lon: float) -> float:
    """The altitude [m] pvlib gives the site when none is named (``location.lookup_altitude``,
    its bundled elevation map; −2 m at the demo's 31.30° N 120.60° E): the altitude the clear-sky
    model of the generator uses, declared with the plants."""
    return float(pvlib.location.lookup_altitude(lat, lon))


def timeline(year: int, tz: str) -> pd.DatetimeIndex:
    """Interval *ends* of a local calendar year at 15-minute resolution (00:15 … 24:00)."""
    start = pd.Timestamp(year=year, month=1, day=1, tz=tz)
    return pd.date_range(
        start + pd.Timedelta(minutes=15), start + pd.DateOffset(years=1), freq="15min"
    )


def _shape(index: pd.DatetimeIndex, profile: str, rng: np.random.Generator) -> F64:
    mid = index - pd.Timedelta(minutes=7.5)  # the middle of each interval
    hour = mid.hour.to_numpy() + mid.minute.to_numpy() / 60
    weekday = mid.day_of_week.to_numpy()
    doy = mid.day_of_year.to_numpy()
    weekend = weekday >= 5
    summer = np.clip(np.cos((doy - 200) / 365 * 2 * np.pi), 0, None)  # peaks mid-July
    winter = np.clip(np.cos((doy - 15) / 365 * 2 * np.pi), 0, None)  # peaks mid-January
    day = (hour >= 8) & (hour < 18)
    if profile == "electronics":  # three shifts, lighter at weekends, cleanroom HVAC in summer
        s = 1.0 - 0.15 * weekend + 0.15 * summer + 0.05 * np.sin((hour - 6) / 24 * 2 * np.pi)
    elif profile == "process":  # continuous process
        s = 1.0 + 0.05 * summer + 0.0 * hour
    elif profile == "food":  # two shifts, summer cooling
        s = np.where((hour >= 6) & (hour < 22), 1.3, 0.5) * (1 - 0.3 * weekend) + 0.3 * summer
    elif profile == "logistics":  # daytime operations
        s = np.where(day, 1.6, 0.4) * (1 - 0.4 * weekend)
    elif profile == "cold_chain":  # refrigeration dominates, strongly seasonal
        s = 0.8 + 0.6 * summer + 0.2 * day
    elif profile == "data_centre":  # flat IT load, cooling in summer
        s = 1.0 + 0.12 * summer + 0.0 * hour
    elif profile == "office":  # weekday office hours, HVAC in summer and winter
        s = (np.where(day, 1.8, 0.45) * (1 - 0.6 * weekend)) * (1 + 0.5 * summer + 0.3 * winter)
    elif profile == "heating":  # gas boilers: process heat plus space heating
        s = 1.0 + 0.8 * winter + 0.0 * hour
    else:
        raise ValueError(f"unknown profile {profile!r}")
    noise = rng.normal(1.0, 0.04, len(index))
    return np.asarray(np.clip(s * noise, 0.05, None), np.float64)


def consumption(index: pd.DatetimeIndex, annual: float, profile: str, seed: int) -> F64:
    """15-minute consumption summing to ``annual`` over the index [unit of ``annual``]."""
    rng = np.random.default_rng(seed)
    shape = _shape(index, profile, rng)
    return np.asarray(annual * shape / shape.sum(), np.float64)


@functools.lru_cache(maxsize=4)
def _plane_of_array(start: str, periods: int, tz: str, lat: float, lon: float) -> F64:
    """Clear-sky plane-of-array irradiance [W/m²] at the middle of each 15-minute interval on a
    25° south-facing roof (pvlib Ineichen clear sky, isotropic sky transposition); computed
    once per timeline and shared by every PV array of the park."""
    first = pd.Timestamp(start).tz_convert(tz)  # ISO 8601 with its offset
    mid = pd.date_range(first, periods=periods, freq="15min")
    loc = pvlib.location.Location(lat, lon, tz=tz, altitude=site_altitude(lat, lon))
    clear = loc.get_clearsky(mid)
    sun = loc.get_solarposition(mid)
    poa = pvlib.irradiance.get_total_irradiance(
        PV_TILT_DEG,
        PV_AZIMUTH_DEG,
        sun["apparent_zenith"],
        sun["azimuth"],
        clear["dni"],
        clear["ghi"],
        clear["dhi"],
    )["poa_global"].to_numpy()
    return np.asarray(np.nan_to_num(poa), np.float64)


def pv_generation(index: pd.DatetimeIndex, kwp: float, lat: float, lon: float, seed: int) -> F64:
    """15-minute PV energy [kWh] of ``kwp`` on a 25° south-facing roof.

    Clear-sky plane-of-array irradiance (:func:`_plane_of_array`) times a daily clearness
    drawn from Beta(4, 3) (mean 0.57, a humid east-China climate), times a performance ratio
    of 0.8 (``PV_PERFORMANCE_RATIO``: PVWatts with 20 % losses and the cell at 25 °C).
    """
    mid = index - pd.Timedelta(minutes=7.5)
    poa = _plane_of_array(mid[0].isoformat(), len(mid), str(index.tz), lat, lon)
    rng = np.random.default_rng(seed)
    days = mid.normalize()
    _, day_index = np.unique(days.asi8, return_inverse=True)
    clearness = rng.beta(4, 3, day_index.max() + 1)[day_index]
    return np.asarray(poa / 1000 * kwp * PV_PERFORMANCE_RATIO * clearness * STEP_H, np.float64)


def battery(index: pd.DatetimeIndex, capacity_kwh: float) -> tuple[F64, F64]:
    """Charge and discharge energy [kWh]: charge 10:00–14:00 from PV, discharge 18:00–22:00,
    one cycle per day at 90 % round-trip efficiency."""
    mid = index - pd.Timedelta(minutes=7.5)
    hour = mid.hour.to_numpy()
    charge = np.where((hour >= 10) & (hour < 14), capacity_kwh / 16, 0.0)
    discharge = np.where((hour >= 18) & (hour < 22), capacity_kwh * 0.9 / 16, 0.0)
    return charge.astype(np.float64), discharge.astype(np.float64)


def ev_charging(index: pd.DatetimeIndex, daily_kwh: float, seed: int) -> F64:
    """EV charging hub: morning and evening peaks."""
    mid = index - pd.Timedelta(minutes=7.5)
    hour = mid.hour.to_numpy() + mid.minute.to_numpy() / 60
    shape = np.exp(-((hour - 9) ** 2) / 3) + 0.8 * np.exp(-((hour - 19) ** 2) / 4) + 0.05
    rng = np.random.default_rng(seed)
    shape = shape * rng.normal(1.0, 0.1, len(index)).clip(0.5)
    days = len(index) / 96
    return np.asarray(daily_kwh * days * shape / shape.sum(), np.float64)


def register(start: float, energy: F64, resolution: float = 0.01) -> F64:
    """Cumulative register readings (at each interval end) for interval energies, rounded to
    the register resolution; differences of the rounded values telescope, so nothing is lost."""
    return np.asarray(np.round((start + np.cumsum(energy)) / resolution) * resolution, np.float64)
