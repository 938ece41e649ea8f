"""Forecast models of hourly series: calendar seasonal-naive and quantile gradient boosting.

Both return P10/P50/P90 for whole days of a day matrix (see :mod:`lingtan.forecast.features`).

- ``seasonal_naive``: P50 is the same hour of the comparable day
  (:func:`~lingtan.forecast.features.comparable_day_index`); P10/P90 add the 10 % and 90 %
  quantiles of the naive errors over the last ``band_days`` days of history, so the baseline
  has an honest band too.
- ``gbm``: scikit-learn's ``HistGradientBoostingRegressor`` with the pinball (quantile) loss,
  one model per quantile, a fixed ``random_state`` and a small number of boosting iterations
  so that a park of a few hundred series trains in seconds. Missing feature values are
  handled by the trees' native missing-value branch (scikit-learn user guide, "Missing values
  support"); missing targets are left out of training, never filled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import ThreadpoolController

from lingtan.errors import InvalidInput
from lingtan.forecast.features import (
    F64,
    HOURS,
    comparable_day_index,
    day_types,
    design,
)

QUANTILES: Final = (0.1, 0.5, 0.9)
#: boosting settings: small on purpose (see the module docstring); part of a model's version
GBM_PARAMS: Final[dict[str, Any]] = {
    "max_iter": 40,
    "max_bins": 63,
    "learning_rate": 0.1,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "early_stopping": False,
}
#: the boosting models train on at most this many days before the forecast: the recent load
#: level matters most a day ahead, the season is carried by the lags, and training time grows
#: with the rows (part of the model version)
TRAIN_DAYS: Final = 120
MODEL_VERSION: Final = "2026.12-1"
#: found once: looking the BLAS/OpenMP libraries up again costs ~13 ms per use
_THREADS: Final = ThreadpoolController()


class ModelKind(StrEnum):
    """The forecast models a series can be given."""

    SEASONAL_NAIVE = "seasonal_naive"
    GBM = "gbm"


@dataclass(frozen=True, slots=True)
class QuantileForecast:
    """P10/P50/P90 of target days, each (n_days, 24); NaN where an input was missing."""

    p10: F64
    p50: F64
    p90: F64


def _check(
    values: F64,
    days: Sequence[dt.date],
    targets: Sequence[int],
    lead_days: int,
    width: int = HOURS,
) -> None:
    if values.ndim != 2 or values.shape[1] != width or values.shape[0] != len(days):
        raise InvalidInput(f"values must be a (days, {width}) matrix matching days", field="values")
    if lead_days < 1:
        raise InvalidInput("lead_days must be at least 1", field="lead_days")
    for t in targets:
        if not 0 <= t < len(days):
            raise InvalidInput(f"target day index {t} is outside the series", field="targets")


def seasonal_naive(
    values: F64,
    days: Sequence[dt.date],
    *,
    targets: Sequence[int],
    lead_days: int,
    band_days: int = 56,
) -> QuantileForecast:
    """The calendar seasonal-naive forecast of the ``targets`` days."""
    _check(values, days, targets, lead_days)
    types = day_types(days)

    def point(d: int) -> F64:
        comp = comparable_day_index(types, d, lead_days)
        return values[comp] if comp is not None else np.full(HOURS, np.nan)

    p50 = np.vstack([point(d) for d in targets]) if targets else np.empty((0, HOURS))
    # the band: naive errors of the days before the first target whose value was known then
    first = min(targets) if targets else len(days)
    history = range(max(0, first - lead_days + 1 - band_days), first - lead_days + 1)
    errors = np.concatenate([values[d] - point(d) for d in history]) if history else np.empty(0)
    errors = errors[np.isfinite(errors)]
    if errors.size == 0:
        nan = np.full_like(p50, np.nan)
        return QuantileForecast(nan, p50, nan.copy())
    lo, hi = np.quantile(errors, [QUANTILES[0], QUANTILES[2]])
    return QuantileForecast(p50 + lo, p50, p50 + hi)


@dataclass(frozen=True, slots=True)
class GbmFit:
    """Trained quantile models of one series."""

    models: tuple[HistGradientBoostingRegressor, ...]
    feature_names: tuple[str, ...]
    lead_days: int
    train_rows: int
    #: the quantile each model estimates (all three, or the median alone in a backtest)
    quantiles: tuple[float, ...] = QUANTILES
    #: values per day: 24 hours, or 96 quarter-hour slots
    width: int = HOURS


def fit_gbm(
    values: F64,
    days: Sequence[dt.date],
    *,
    train_until: int,
    lead_days: int,
    temperature: F64 | None = None,
    seed: int = 0,
    train_days: int = TRAIN_DAYS,
    quantiles: tuple[float, ...] = QUANTILES,
    width: int = HOURS,
) -> GbmFit:
    """Train the P10/P50/P90 models on days before ``train_until`` (at most ``train_days``).

    The models learn the departure of each hour from its seasonal-naive value (the
    ``lag_comparable`` feature): trees approximate a step function, so learning the level
    itself would cost the precision the lag already carries. Rows without a comparable value
    are left out of training, and their forecasts are missing. Raises ``InvalidInput`` when
    fewer than 14 days of known targets remain. ``width`` is the number of values a day (24
    hours; 96 slots for the 15-minute forecasts, whose features have the slot of the day in
    place of the hour).
    """
    start = max(0, train_until - train_days)
    m = design(
        values[:train_until],
        days[:train_until],
        lead_days=lead_days,
        rows_from=start,
        temperature=None if temperature is None else temperature[:train_until],
        width=width,
    )
    lag = m.x[:, m.names.index("lag_comparable")]
    keep = np.isfinite(m.y) & np.isfinite(lag)
    if int(keep.sum()) < 14 * width:
        unit = "hours" if width == HOURS else "slots"
        raise InvalidInput(
            f"{int(keep.sum())} known {unit} before the forecast; the model needs 14 days",
            field="history",
        )
    models = []
    # one thread: on a few thousand rows OpenMP's start-up and contention with other work
    # cost more than they save (measured 0.25 s vs 3–20 s per series on 2 busy cores)
    with _THREADS.limit(limits=1):
        for q in quantiles:
            model = HistGradientBoostingRegressor(loss="quantile", quantile=q, random_state=seed)
            model.set_params(**GBM_PARAMS)
            model.fit(m.x[keep], m.y[keep] - lag[keep])
            models.append(model)
    return GbmFit(tuple(models), m.names, lead_days, int(keep.sum()), tuple(quantiles), width)


def predict_gbm(
    fit: GbmFit,
    values: F64,
    days: Sequence[dt.date],
    *,
    targets: Sequence[int],
    temperature: F64 | None = None,
) -> QuantileForecast:
    """P10/P50/P90 of the ``targets`` days from a trained :class:`GbmFit`.

    Quantiles are sorted per hour, so P10 ≤ P50 ≤ P90 even where separately trained models
    cross (the rearrangement of Chernozhukov, Fernández-Val & Galichon, Econometrica 2010).
    """
    w = fit.width
    _check(values, days, targets, fit.lead_days, w)
    if (temperature is None) != ("temperature" not in fit.feature_names):
        raise InvalidInput(
            "temperature must be given exactly when the model uses it", field="temperature"
        )
    if not targets:
        empty = np.empty((0, w))
        return QuantileForecast(empty, empty, empty)
    # every lag looks at least ``lead_days`` back (features.design), so one matrix over the
    # whole span is free of look-ahead for each target row
    first, last = min(targets), max(targets)
    m = design(
        values[: last + 1],
        days[: last + 1],
        lead_days=fit.lead_days,
        rows_from=first,
        temperature=None if temperature is None else temperature[: last + 1],
        width=w,
    )
    rows = [m.x[(d - first) * w : (d - first + 1) * w] for d in targets]
    x = np.vstack(rows)
    lag = x[:, fit.feature_names.index("lag_comparable")]
    with _THREADS.limit(limits=1):
        cols = [lag + model.predict(x) for model in fit.models]
    if fit.quantiles != QUANTILES:  # a median-only fit (backtests): no band
        p50 = cols[fit.quantiles.index(0.5)]
        nan = np.full_like(p50, np.nan)
        cols = [nan, p50, nan.copy()]
    preds = np.column_stack(cols)
    if fit.quantiles == QUANTILES:
        preds = np.sort(preds, axis=1)
    shape = (len(targets), w)
    return QuantileForecast(
        preds[:, 0].reshape(shape), preds[:, 1].reshape(shape), preds[:, 2].reshape(shape)
    )
