"""PV generation forecasts from a plant's declared parameters (pure: pvlib and numpy, no I/O).

The chain, all from pvlib:

1. Sun position (``Location.get_solarposition``, NREL SPA) at the middle of each hour.
2. Irradiance on the horizontal: the Ineichen–Perez clear-sky model with the Linke turbidity
   climatology shipped with pvlib (``Location.get_clearsky(model="ineichen")``), or an imported
   GHI series split into DNI/DHI with the Erbs decomposition (``irradiance.erbs``).
3. Plane of array (POA) irradiance for the declared tilt and azimuth, isotropic sky
   (``irradiance.get_total_irradiance``).
4. DC power with PVWatts (``pvsystem.pvwatts_dc``, Dobos 2014, NREL/TP-6A20-62641): with the cell
   at the 25 °C reference, P = P_dc0 · G_poa / 1000 W/m²; then the declared system losses:
   P_ac = P · (1 − losses/100). When the plant declares its temperature coefficient γ [%/°C]
   and an ambient temperature series is given, the cell temperature comes from the PVsyst
   model (``temperature.pvsyst_cell``, freestanding u_c = 29 W/(m²·K), wind 1 m/s) and
   P = P_dc0 · G_poa / 1000 · (1 + γ/100 · (T_cell − 25 °C)); otherwise the cell stays at the
   25 °C reference (put the temperature loss in the declared losses).

Hourly energy [kWh] = mean power over the hour [kW] × 1 h, with the power taken at the middle of
the hour.

Without an irradiance forecast, the forecast is clear-sky energy × a learned cloud factor: the
ratio meter / clear-sky, by season and hour of day, over the history (its 10/50/90 % quantiles
give P10/P50/P90). Because it is learned from the PV meter, the factor also absorbs the plant's
own bias (soiling, shading, inverter limits). With an irradiance series, the modelled energy is
bias-corrected by one factor Σ meter / Σ model over the history (hours with sun only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pvlib
from numpy.typing import NDArray

from lingtan.errors import InvalidInput
from lingtan.forecast.features import F64
from lingtan.forecast.models import QuantileForecast

#: hours whose clear-sky energy is below this share of the rated hourly energy carry no ratio:
#: dawn and dusk ratios are noise over near-zero denominators
MIN_CLEAR_SHARE: Final = 0.05
#: meteorological seasons by month (Dec–Feb, Mar–May, Jun–Aug, Sep–Nov)
SEASON_OF_MONTH: Final = (0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0)


@dataclass(frozen=True, slots=True)
class PvPlant:
    """The declared parameters of one PV plant."""

    kwp: float
    tilt_deg: float
    #: degrees clockwise from north (180 = facing south), pvlib's convention
    azimuth_deg: float
    #: total system losses [%] (PVWatts default 14.08)
    losses_pct: float
    latitude: float
    longitude: float
    altitude_m: float = 0.0
    #: temperature coefficient of power [%/°C] (negative); None: no temperature derating
    temp_coeff_pct: float | None = None

    def __post_init__(self) -> None:
        checks = (
            ("kwp", self.kwp > 0, "> 0"),
            ("tilt_deg", 0 <= self.tilt_deg <= 90, "in [0, 90]"),
            ("azimuth_deg", 0 <= self.azimuth_deg < 360, "in [0, 360)"),
            ("losses_pct", 0 <= self.losses_pct < 100, "in [0, 100)"),
            ("latitude", -90 <= self.latitude <= 90, "in [-90, 90]"),
            ("longitude", -180 <= self.longitude <= 180, "in [-180, 180]"),
            (
                "temp_coeff_pct",
                self.temp_coeff_pct is None or -2 <= self.temp_coeff_pct <= 0,
                "in [-2, 0] %/°C",
            ),
        )
        for name, ok, rule in checks:
            if not ok:
                raise InvalidInput(f"{name} must be {rule}", field=name)


def _mid_hours(hours: pd.DatetimeIndex) -> pd.DatetimeIndex:
    if hours.tz is None:
        raise InvalidInput("hour starts must carry a time zone", field="hours")
    return hours + pd.Timedelta(minutes=30)


def derates(plant: PvPlant, temp_air: F64 | None) -> bool:
    """Whether the cell temperature is modelled: a declared coefficient and a temperature."""
    return plant.temp_coeff_pct is not None and temp_air is not None


def energy_from_poa(poa_wm2: F64, plant: PvPlant, temp_air: F64 | None = None) -> F64:
    """Hourly AC energy [kWh] from the mean POA irradiance [W/m²] of each hour (PVWatts);
    with the plant's temperature coefficient and the ambient temperature [°C] of each hour,
    derated at the PVsyst cell temperature, else at the 25 °C reference."""
    poa = np.asarray(poa_wm2, np.float64)
    if plant.temp_coeff_pct is not None and temp_air is not None:
        air = np.asarray(temp_air, np.float64)
        if air.shape != poa.shape or not np.isfinite(air).all():
            raise InvalidInput("temperature must have one value per hour", field="temperature")
        cell = np.asarray(pvlib.temperature.pvsyst_cell(poa, air), np.float64)
        gamma = plant.temp_coeff_pct / 100
    else:
        cell = np.full_like(poa, 25.0)
        gamma = 0.0
    dc = pvlib.pvsystem.pvwatts_dc(
        effective_irradiance=poa, temp_cell=cell, pdc0=plant.kwp, gamma_pdc=gamma
    )
    return np.asarray(dc, np.float64) * (1 - plant.losses_pct / 100)


def _poa(plant: PvPlant, mid: pd.DatetimeIndex, ghi: F64, dni: F64, dhi: F64) -> F64:
    loc = pvlib.location.Location(plant.latitude, plant.longitude, altitude=plant.altitude_m)
    sun = loc.get_solarposition(mid)
    total = pvlib.irradiance.get_total_irradiance(
        surface_tilt=plant.tilt_deg,
        surface_azimuth=plant.azimuth_deg,
        solar_zenith=sun["apparent_zenith"],
        solar_azimuth=sun["azimuth"],
        dni=dni,
        ghi=ghi,
        dhi=dhi,
    )
    poa = np.nan_to_num(np.asarray(total["poa_global"], np.float64), nan=0.0)
    return np.where(np.asarray(sun["apparent_zenith"]) < 90, poa, 0.0)


def clear_sky_energy(plant: PvPlant, hours: pd.DatetimeIndex, temp_air: F64 | None = None) -> F64:
    """Clear-sky AC energy [kWh] of each hour starting at ``hours`` (Ineichen–Perez)."""
    mid = _mid_hours(hours)
    loc = pvlib.location.Location(plant.latitude, plant.longitude, altitude=plant.altitude_m)
    cs = loc.get_clearsky(mid, model="ineichen")
    return energy_from_poa(
        _poa(plant, mid, cs["ghi"].to_numpy(), cs["dni"].to_numpy(), cs["dhi"].to_numpy()),
        plant,
        temp_air,
    )


def irradiance_energy(
    plant: PvPlant, hours: pd.DatetimeIndex, ghi_wm2: F64, temp_air: F64 | None = None
) -> F64:
    """AC energy [kWh] of each hour from its mean GHI [W/m²] (Erbs split, then POA)."""
    ghi = np.asarray(ghi_wm2, np.float64)
    if ghi.shape != (len(hours),):
        raise InvalidInput("ghi must have one value per hour", field="ghi")
    if np.isnan(ghi).any():
        raise InvalidInput("the irradiance series has missing hours", field="ghi")
    if (ghi < 0).any():
        raise InvalidInput("ghi must not be negative", field="ghi")
    mid = _mid_hours(hours)
    loc = pvlib.location.Location(plant.latitude, plant.longitude, altitude=plant.altitude_m)
    sun = loc.get_solarposition(mid)
    split = pvlib.irradiance.erbs(ghi, sun["zenith"].to_numpy(), mid)
    return energy_from_poa(
        _poa(plant, mid, ghi, np.asarray(split["dni"]), np.asarray(split["dhi"])), plant, temp_air
    )


@dataclass(frozen=True, slots=True)
class CloudFactors:
    """Quantiles of meter / clear-sky by (season, hour): arrays (4, 24, 3), NaN where unknown."""

    table: F64
    #: number of history hours behind each (season, hour) cell
    counts: NDArray[np.int64]


def _bins(hours: pd.DatetimeIndex, tz: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    local = hours.tz_convert(tz)
    season = np.array([SEASON_OF_MONTH[m - 1] for m in local.month], np.int64)
    return season, np.asarray(local.hour, np.int64)


def learn_cloud_factors(
    plant: PvPlant,
    hours: pd.DatetimeIndex,
    meter_kwh: F64,
    clear_kwh: F64,
    *,
    tz: str,
    min_count: int = 10,
) -> CloudFactors:
    """Learn the meter / clear-sky ratio's P10/P50/P90 per season and local hour.

    Hours with a missing meter value or a clear-sky energy below ``MIN_CLEAR_SHARE`` of the
    rated hourly energy are left out; a cell with fewer than ``min_count`` such hours takes the
    nearest learned hour of its season, and a season with none stays NaN (no forecast).
    """
    meter = np.asarray(meter_kwh, np.float64)
    clear = np.asarray(clear_kwh, np.float64)
    if meter.shape != clear.shape or meter.shape != (len(hours),):
        raise InvalidInput("meter and clear-sky series must have one value per hour", field="meter")
    season, hour = _bins(hours, tz)
    ok = np.isfinite(meter) & (clear >= MIN_CLEAR_SHARE * plant.kwp)
    ratio = np.where(ok, meter / np.where(ok, clear, 1.0), np.nan)
    table = np.full((4, 24, 3), np.nan)
    counts = np.zeros((4, 24), np.int64)
    for s in range(4):
        for h in range(24):
            cell = ratio[(season == s) & (hour == h) & ok]
            counts[s, h] = cell.size
            if cell.size >= min_count:
                table[s, h] = np.quantile(cell, [0.1, 0.5, 0.9])
        # twilight hours (below MIN_CLEAR_SHARE) take the factors of the nearest learned hour
        # of the same season: their ratios are noise, their energy is small but not zero
        learned = np.flatnonzero(counts[s] >= min_count)
        if learned.size:
            for h in range(24):
                if counts[s, h] < min_count:
                    table[s, h] = table[s, learned[np.argmin(np.abs(learned - h))]]
    return CloudFactors(table, counts)


def forecast_with_cloud_factors(
    factors: CloudFactors, hours: pd.DatetimeIndex, clear_kwh: F64, *, tz: str
) -> QuantileForecast:
    """P10/P50/P90 energy [kWh] = clear-sky × the learned factor of each hour's cell.

    Hours without sun are 0; a sunny hour whose cell was never learned stays NaN.
    """
    season, hour = _bins(hours, tz)
    clear = np.asarray(clear_kwh, np.float64)
    out = []
    for q in range(3):
        f = factors.table[season, hour, q]
        out.append(np.where(clear > 0, clear * f, 0.0))
    return QuantileForecast(out[0], out[1], out[2])


def bias_factor(meter_kwh: F64, model_kwh: F64) -> float:
    """Σ meter / Σ model over the hours where both are known and the model has sun."""
    meter = np.asarray(meter_kwh, np.float64)
    model = np.asarray(model_kwh, np.float64)
    ok = np.isfinite(meter) & np.isfinite(model) & (model > 0)
    if not ok.any() or model[ok].sum() == 0:
        raise InvalidInput("no sunny hour with both meter and model values", field="meter")
    return float(meter[ok].sum() / model[ok].sum())
