"""Features, models and backtests of hourly forecasts on hand-checked series."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from lingtan.errors import InvalidInput
from lingtan.forecast import backtest as bt
from lingtan.forecast import features as ft
from lingtan.forecast import models as md


def _days(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def test_day_type_knows_holidays_and_adjusted_workdays() -> None:
    # 国务院办公厅 2025 holiday notice: 国庆 1–8 October off, Sunday 28 September and
    # Saturday 11 October are working days (调休)
    assert ft.day_type(dt.date(2025, 10, 1)) == ft.DayType(False, True, False)
    assert ft.day_type(dt.date(2025, 9, 28)) == ft.DayType(True, False, True)
    assert ft.day_type(dt.date(2025, 10, 11)) == ft.DayType(True, False, True)
    # an ordinary Saturday and an ordinary Wednesday
    assert ft.day_type(dt.date(2025, 3, 1)) == ft.DayType(False, False, False)
    assert ft.day_type(dt.date(2025, 3, 5)) == ft.DayType(True, False, False)
    # 2026 notice: Spring Festival 15–23 February off, Saturday 14 February works
    assert ft.day_type(dt.date(2026, 2, 14)).adjusted_workday
    assert ft.day_type(dt.date(2026, 2, 17)).holiday


def test_a_year_the_calendar_does_not_know_is_refused() -> None:
    first, last = ft.calendar_coverage()
    assert first <= 2025 <= last
    with pytest.raises(ft.CalendarNotCovered, match=str(last)):
        ft.day_type(dt.date(last + 1, 3, 3))


def test_comparable_day_follows_the_calendar() -> None:
    days = _days(dt.date(2025, 9, 20), 40)
    types = ft.day_types(days)
    ix = {d: i for i, d in enumerate(days)}

    def comp(day: dt.date) -> dt.date:
        i = ft.comparable_day_index(types, ix[day], 1)
        assert i is not None
        return days[i]

    # ordinary Wednesday, week before also a workday
    assert comp(dt.date(2025, 10, 22)) == dt.date(2025, 10, 15)
    # Wednesday 15 Oct: 8 Oct was a holiday, so the last workday before it (Tue 14 Oct)
    assert comp(dt.date(2025, 10, 15)) == dt.date(2025, 10, 14)
    # 调休 Saturday 11 Oct: Saturday 4 Oct was a holiday; last workday Friday 10 Oct
    assert comp(dt.date(2025, 10, 11)) == dt.date(2025, 10, 10)
    # Thursday 9 Oct, first workday after the holiday: last workday was Tue 30 Sep
    assert comp(dt.date(2025, 10, 9)) == dt.date(2025, 9, 30)
    # holiday Friday 3 Oct: Friday 26 Sep worked, so the last rest day (Thu 2 Oct)
    assert comp(dt.date(2025, 10, 3)) == dt.date(2025, 10, 2)


def test_seasonal_naive_value_and_band_by_hand() -> None:
    # March 2025 has no holidays; each day's 24 values equal its index
    days = _days(dt.date(2025, 3, 1), 31)
    values = np.repeat(np.arange(31, dtype=float)[:, None], 24, axis=1)
    fc = md.seasonal_naive(values, days, targets=[28], lead_days=1)
    # day 28 = Saturday 29 March; Saturday 22 March (day 21) is a rest day too
    assert np.all(fc.p50 == 21)
    # history errors: days 7..27 use d-7 (error 7, 21 days); days 1,3,4,5,6 use the day
    # before (error 1); days 0 and 2 have no comparable day. 120 ones and 504 sevens:
    # the 10 % quantile (position 62.3) is 1, the 90 % (position 560.7) is 7
    assert np.all(fc.p10 == 22)
    assert np.all(fc.p90 == 28)


def test_metrics_by_hand() -> None:
    actual = np.array([1.0, 2.0, 0.0, 4.0, np.nan])
    p50 = np.array([2.0, 2.0, 1.0, 2.0, 3.0])
    fc = md.QuantileForecast(p50 - 1.5, p50, p50 + 1.5)
    m = bt.metrics(actual, fc)
    # errors -1, 0, -1, 2; the NaN hour is not scored
    assert m.mae == pytest.approx(1.0)
    assert m.rmse == pytest.approx(math.sqrt(1.5))
    # MAPE over the nonzero actuals only: (1/1 + 0/2 + 2/4) / 3
    assert m.mape == pytest.approx(50.0)
    # inside [p50 - 1.5, p50 + 1.5]: 1, 2, 0 yes; 4 vs [0.5, 3.5] no
    assert m.coverage == pytest.approx(0.75)
    assert (m.scored, m.unscored) == (4, 1)
    naive = bt.Metrics(4.0, None, None, None, 4, 0)
    assert bt.skill(m, naive) == pytest.approx(0.75)
    assert bt.skill(m, bt.Metrics(0.0, 0.0, None, None, 4, 0)) is None


def test_mape_is_undefined_when_every_actual_is_zero() -> None:
    zeros = np.zeros(24)
    m = bt.metrics(zeros, md.QuantileForecast(zeros, zeros + 1, zeros + 2))
    assert m.mape is None
    assert m.mae == 1.0


def _calendar_series(seed: int) -> tuple[np.ndarray, list[dt.date]]:
    days = _days(dt.date(2025, 1, 1), 365)
    rng = np.random.default_rng(seed)
    shape = 50 + 50 * np.sin(np.pi * np.arange(24) / 24)
    rows = [shape * (1.0 if t.workday else 0.3) for t in ft.day_types(days)]
    return np.vstack(rows) + rng.normal(0, 3.0, (365, 24)), days


def test_gbm_beats_seasonal_naive_on_a_calendar_series() -> None:
    values, days = _calendar_series(seed=7)
    origins = bt.origins_every(365, first=60, step_days=14)
    result = bt.rolling_origin(values, days, origins=origins, horizon_days=1)
    # naive error = difference of two N(0, 3²) noises: MAE = 3·√2·√(2/π) ≈ 3.39 (a little
    # more where holidays break the weekly pattern); a model that learned the mean shape
    # has MAE ≈ 3·√(2/π) ≈ 2.39, so skill tends to 1 − 1/√2 ≈ 0.29
    assert result.naive.mae == pytest.approx(3.39, rel=0.1)
    assert result.chosen is md.ModelKind.GBM
    assert result.skill is not None and 0.1 < result.skill < 0.35
    # the P10–P90 band of the naive forecast should hold about 80 % of the actuals
    assert result.naive.coverage == pytest.approx(0.8, abs=0.08)


def test_gbm_is_deterministic_and_quantiles_are_ordered() -> None:
    values, days = _calendar_series(seed=1)
    a = md.fit_gbm(values, days, train_until=200, lead_days=1, seed=3)
    b = md.fit_gbm(values, days, train_until=200, lead_days=1, seed=3)
    fa = md.predict_gbm(a, values, days, targets=[200, 201])
    fb = md.predict_gbm(b, values, days, targets=[200, 201])
    assert np.array_equal(fa.p50, fb.p50)
    assert np.all(fa.p10 <= fa.p50) and np.all(fa.p50 <= fa.p90)
    assert fa.p50.shape == (2, 24)


def test_gbm_refuses_too_short_history() -> None:
    values, days = _calendar_series(seed=1)
    with pytest.raises(InvalidInput) as err:
        md.fit_gbm(values, days, train_until=10, lead_days=1)
    assert err.value.field == "history"


def test_missing_history_is_not_filled() -> None:
    days = _days(dt.date(2025, 3, 1), 31)
    values = np.ones((31, 24))
    values[21] = np.nan  # the comparable day of day 28 is missing
    fc = md.seasonal_naive(values, days, targets=[28], lead_days=1)
    assert np.isnan(fc.p50).all()
    m = ft.design(values[:29], days[:29], lead_days=1, rows_from=28)
    assert np.isnan(m.x[:, ft.BASE_FEATURES.index("lag_comparable")]).all()


def test_temperature_feature_explains_weather_driven_load() -> None:
    # load = 50 + 2·T + small noise with an hourly temperature T ~ N(20, 5²) drawn at random:
    # without T the best forecast misses 2·T's spread (MAE ≈ 2·5·√(2/π) ≈ 8); with T the
    # error is close to the noise (σ = 1)
    days = _days(dt.date(2025, 3, 1), 120)
    rng = np.random.default_rng(11)
    temp = rng.normal(20, 5, (120, 24))
    values = 50 + 2 * temp + rng.normal(0, 1, (120, 24))
    targets = list(range(100, 120))
    actual = values[targets]
    with_t = md.fit_gbm(values, days, train_until=100, lead_days=1, temperature=temp)
    without = md.fit_gbm(values, days, train_until=100, lead_days=1)
    m_with = bt.metrics(
        actual, md.predict_gbm(with_t, values, days, targets=targets, temperature=temp)
    )
    m_without = bt.metrics(actual, md.predict_gbm(without, values, days, targets=targets))
    assert "temperature" in with_t.feature_names
    assert m_without.mae is not None and m_without.mae > 6
    assert m_with.mae is not None and m_with.mae < 0.5 * m_without.mae
    with pytest.raises(InvalidInput) as err:
        md.predict_gbm(with_t, values, days, targets=targets)
    assert err.value.field == "temperature"
