"""PV forecasts on pvlib's bundled TMY3 file (Greensboro, NC; NREL data shipped in pvlib)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pvlib
import pytest

from lingtan.errors import InvalidInput
from lingtan.forecast import pv
from lingtan.forecast.backtest import metrics
from lingtan.forecast.models import QuantileForecast

TZ = "Etc/GMT+5"  # the TMY3 file's fixed UTC−5


@pytest.fixture(scope="module")
def tmy() -> tuple[pd.DatetimeIndex, np.ndarray, pv.PvPlant]:
    path = os.path.join(os.path.dirname(pvlib.__file__), "data", "723170TYA.CSV")
    df, meta = pvlib.iotools.read_tmy3(path, coerce_year=2021)
    # TMY3 stamps the end of each hour; lingtan keys hours by their start
    hours = pd.DatetimeIndex(df.index - pd.Timedelta(hours=1)).tz_convert(TZ)
    plant = pv.PvPlant(
        kwp=100.0,
        tilt_deg=30.0,
        azimuth_deg=180.0,
        losses_pct=14.0,
        latitude=meta["latitude"],
        longitude=meta["longitude"],
        altitude_m=meta["altitude"],
    )
    return hours, df["ghi"].to_numpy(dtype=float), plant


def test_pvwatts_energy_by_hand() -> None:
    plant = pv.PvPlant(100, 30, 180, 14, 31.3, 120.6)
    # 100 kWp × G/1000 × (1 − 0.14): 0, 43, 86 kWh
    got = pv.energy_from_poa(np.array([0.0, 500.0, 1000.0]), plant)
    assert got == pytest.approx([0.0, 43.0, 86.0])


def test_declared_parameters_are_checked() -> None:
    with pytest.raises(InvalidInput) as err:
        pv.PvPlant(100, 95, 180, 14, 31.3, 120.6)
    assert err.value.field == "tilt_deg"
    with pytest.raises(InvalidInput) as err:
        pv.PvPlant(0, 30, 180, 14, 31.3, 120.6)
    assert err.value.field == "kwp"


def test_clear_sky_is_zero_at_night_and_near_rated_at_summer_noon() -> None:
    plant = pv.PvPlant(100, 30, 180, 0, 36.1, -79.95, 273)
    hours = pd.date_range("2021-06-21 00:00", periods=24, freq="h", tz=TZ)
    e = pv.clear_sky_energy(plant, hours)
    assert e[0] == 0 and e[23] == 0
    # solar noon at 79.95° W in UTC−5 is about 12:20; a clear June sky gives roughly
    # 900–1050 W/m² on a 30° south plane, so 90–105 kWh from 100 kWp without losses
    assert 90 <= e[12] <= 105
    assert e.argmax() in (11, 12)


def test_bias_correction_recovers_a_known_meter_bias(tmy) -> None:
    hours, ghi, plant = tmy
    model = pv.irradiance_energy(plant, hours, ghi)
    meter = model * 0.9  # a plant that delivers 10 % less than modelled
    meter[100:130] = np.nan  # a meter gap is skipped, not zeroed
    assert pv.bias_factor(meter, model) == pytest.approx(0.9)


def test_missing_irradiance_is_refused(tmy) -> None:
    hours, ghi, plant = tmy
    broken = ghi[:48].copy()
    broken[12] = np.nan
    with pytest.raises(InvalidInput) as err:
        pv.irradiance_energy(plant, hours[:48], broken)
    assert err.value.field == "ghi"


def test_cloud_factor_beats_plain_clear_sky(tmy) -> None:
    hours, ghi, plant = tmy
    actual = pv.irradiance_energy(plant, hours, ghi)
    clear = pv.clear_sky_energy(plant, hours)
    # learn on the odd days, score on the even days (out of sample)
    doy = np.asarray(hours.day_of_year)
    learn, score = doy % 2 == 1, doy % 2 == 0
    factors = pv.learn_cloud_factors(plant, hours[learn], actual[learn], clear[learn], tz=TZ)
    fc = pv.forecast_with_cloud_factors(factors, hours[score], clear[score], tz=TZ)
    assert np.all(fc.p10 <= fc.p50 + 1e-9) and np.all(fc.p50 <= fc.p90 + 1e-9)
    # clear-sky is an upper envelope of cloudy weather, so the factor must lower the error
    plain = QuantileForecast(clear[score], clear[score], clear[score])
    m_cloud = metrics(actual[score], fc)
    m_plain = metrics(actual[score], plain)
    assert m_cloud.mae is not None and m_plain.mae is not None
    assert m_cloud.mae < 0.9 * m_plain.mae
    # a P10–P90 band from per-cell quantiles holds about 80 % of unseen days' sunny hours
    sunny = clear[score] >= pv.MIN_CLEAR_SHARE * plant.kwp
    a, lo, hi = actual[score][sunny], fc.p10[sunny], fc.p90[sunny]
    assert 0.7 <= float(np.mean((a >= lo) & (a <= hi))) <= 0.9
