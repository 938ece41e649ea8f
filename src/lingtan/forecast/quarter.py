"""15-minute load forecasts of points read every 15 minutes (pure: numpy, no store, no I/O).

Hourly statistics cannot give a 15-minute series, so it is built from the point's readings by
:func:`lingtan.normalize.slots.slot_energy` (re-exported here): the normaliser's intervals
spread over 15-minute slots the way hours are; a slot any part of which lies in a missing span
is unknown (NaN), never 0.

A series is a day matrix: consecutive local days × 96 slots (the park's zone has a whole-hour
offset and no daylight saving).

Three models, chosen per series by a rolling-origin backtest (Tashman 2000; Hyndman &
Athanasopoulos, *FPP3* §5.10) on MAE, errors pooled over the origins (*FPP3* §5.8) and scored
on the slots every candidate forecast:

* **seasonal-naive**: each slot of the *comparable day* (:func:`features.comparable_day_index`,
  the calendar rule of the hourly forecasts: same weekday a week earlier when of the same class,
  else the latest day of that class at least the lead time earlier);
* **seasonal mean**: the mean, slot by slot, of the last ``K = 4`` comparable days (the
  comparable day, its comparable day, …) over the slots known in them — a multi-season
  average that smooths the noise a single day carries;
* **gbm**: the hourly forecasts' quantile gradient boosting
  (:func:`lingtan.forecast.models.fit_gbm`, scikit-learn's ``HistGradientBoostingRegressor``,
  same settings, fixed seed) on the same features with the slot of the day (0–95) in place of
  the hour: it learns each slot's departure from the comparable day from the calendar, the
  week-ago slot and the level of the last known day, so it follows patterns the two
  calendar-lag models cannot (a level that changes from one day to the next, a shape that the
  comparable day carries with its noise). It needs 14 days of known slots with a comparable
  day; without them it is left out of the choice (``gbm_error`` in the backtest). In the
  backtest it is fitted once on the days before the first origin (the median model only),
  as the hourly backtest does within ``REFIT_DAYS``.

P10/P90 of the calendar models add the 10 %/90 % quantiles of the model's own errors over the ``band_days`` before the
first target; the boosting model's come from its own 10 %/90 % quantile models. Skill =
1 − MAE_model / MAE_naive (None when MAE_naive is 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from lingtan.errors import InvalidInput
from lingtan.forecast.backtest import metrics, skill
from lingtan.forecast.features import BASE_FEATURES, F64, comparable_day_index, day_types
from lingtan.forecast.models import QUANTILES, GbmFit, QuantileForecast, fit_gbm, predict_gbm
from lingtan.normalize.slots import SLOT_US as SLOT_US  # re-exported: the forecasts' slots
from lingtan.normalize.slots import SLOTS as SLOTS
from lingtan.normalize.slots import slot_energy as slot_energy

#: comparable days averaged by the seasonal mean
MEAN_DAYS: Final = 4
MODELS: Final = ("seasonal_naive", "seasonal_mean", "gbm")
#: the boosting model's features (those of the hourly model, the slot in place of the hour)
GBM_FEATURES: Final = ("slot", *BASE_FEATURES[1:])
#: the boosting model of a backtest is refitted after this many days (as the hourly backtest)
REFIT_DAYS: Final = 91


def _check(values: F64, days: Sequence[dt.date], lead_days: int) -> None:
    if values.ndim != 2 or values.shape != (len(days), SLOTS):
        raise InvalidInput("values must be a (days, 96) matrix matching days", field="values")
    if lead_days < 1:
        raise InvalidInput("lead_days must be at least 1", field="lead_days")


def _point(values: F64, types: Sequence[Any], d: int, lead_days: int, model: str) -> F64:
    """P50 of day ``d`` from what was known ``lead_days`` before it."""
    comp = comparable_day_index(types, d, lead_days)
    if model == "seasonal_naive":
        return values[comp] if comp is not None else np.full(SLOTS, np.nan)
    rows: list[F64] = []
    while comp is not None and len(rows) < MEAN_DAYS:
        rows.append(values[comp])
        # the next comparable day back, of the same class (a week, or the latest before)
        comp = comparable_day_index(types, comp, 1) if comp > 0 else None
    if not rows:
        return np.full(SLOTS, np.nan)
    stack = np.vstack(rows)
    known = np.isfinite(stack)
    count = known.sum(axis=0)
    total = np.where(known, stack, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def forecast(
    values: F64,
    days: Sequence[dt.date],
    *,
    targets: Sequence[int],
    lead_days: int,
    model: str,
    band_days: int = 56,
    seed: int = 0,
) -> QuantileForecast:
    """P10/P50/P90 of the ``targets`` days, (len(targets), 96), by ``model``.

    ``gbm`` is trained on the days before the first target (``InvalidInput`` naming
    ``history`` with fewer than 14 known days)."""
    _check(values, days, lead_days)
    if model not in MODELS:
        raise InvalidInput(f"model must be one of {MODELS}", field="model")
    if model == "gbm":
        if not targets:
            empty = np.empty((0, SLOTS))
            return QuantileForecast(empty, empty, empty)
        fit = fit_gbm(values, days, train_until=min(targets), lead_days=lead_days, seed=seed,
                      width=SLOTS)  # fmt: skip
        return predict_gbm(fit, values, days, targets=targets)
    types = day_types(days)
    p50 = (
        np.vstack([_point(values, types, d, lead_days, model) for d in targets])
        if targets
        else np.empty((0, SLOTS))
    )
    first = min(targets) if targets else len(days)
    history = range(max(0, first - lead_days + 1 - band_days), first - lead_days + 1)
    errors = (
        np.concatenate([values[d] - _point(values, types, d, lead_days, model) for d in history])
        if len(history)
        else np.empty(0)
    )
    errors = errors[np.isfinite(errors)]
    if errors.size == 0:
        nan = np.full_like(p50, np.nan)
        return QuantileForecast(nan, p50, nan.copy())
    lo, hi = np.quantile(errors, [QUANTILES[0], QUANTILES[2]])
    return QuantileForecast(p50 + lo, p50, p50 + hi)


def backtest(
    values: F64,
    days: Sequence[dt.date],
    *,
    origins: Sequence[int],
    horizon_days: int,
    models: Sequence[str] = MODELS,
    seed: int = 0,
) -> dict[str, Any]:
    """Rolling origin: at each origin the ``models`` forecast the next ``horizon_days`` days
    from the days before it; errors pooled per model over the slots every model forecast; the
    model with the lowest MAE is chosen (the seasonal-naive on a tie or without scored slots,
    then the mean before the boosting model), with its skill against seasonal-naive."""
    _check(values, days, horizon_days)
    unknown = [m for m in models if m not in MODELS]
    if unknown or "seasonal_naive" not in models:
        raise InvalidInput(f"models must be among {MODELS}, with seasonal_naive", field="models")
    actual: list[F64] = []
    fcs: dict[str, list[QuantileForecast]] = {m: [] for m in models}
    used = []
    fit: GbmFit | None = None
    fitted_at = -(10**9)
    gbm_error: str | None = None
    not_fitted = "too little history for the boosting model at every origin"
    for o in origins:
        tg = [d for d in range(o, o + horizon_days) if d < len(days)]
        if not tg:
            continue
        used.append(days[o].isoformat())
        actual.append(values[tg].reshape(-1))
        for m in models:
            if m == "gbm":
                if gbm_error is None and (fit is None or o - fitted_at >= REFIT_DAYS):
                    try:
                        fit = fit_gbm(values, days, train_until=o, lead_days=horizon_days,
                                      seed=seed, quantiles=(0.5,), width=SLOTS)  # fmt: skip
                        fitted_at = o
                    except InvalidInput as err:
                        # too little history yet: later origins may train (a NaN forecast
                        # here); after a fit, keep it and stop refitting (as hourly)
                        not_fitted = str(err)
                        if fit is not None:
                            gbm_error = not_fitted
                f = (
                    predict_gbm(fit, values[: tg[-1] + 1], days[: tg[-1] + 1], targets=tg)
                    if fit is not None
                    else _nan(len(tg))
                )
            else:
                f = forecast(values[: tg[-1] + 1], days[: tg[-1] + 1], targets=tg,
                             lead_days=horizon_days, model=m)  # fmt: skip
            fcs[m].append(f)
    if not actual:
        return {"origins": [], "models": {}, "chosen": "seasonal_naive", "skill": None}
    act = np.concatenate(actual)

    def cat(fs: list[QuantileForecast]) -> QuantileForecast:
        return QuantileForecast(
            np.concatenate([f.p10.reshape(-1) for f in fs]),
            np.concatenate([f.p50.reshape(-1) for f in fs]),
            np.concatenate([f.p90.reshape(-1) for f in fs]),
        )

    stacked = {m: cat(fcs[m]) for m in models}
    if "gbm" in stacked and fit is None:
        # never trained (too little history at every origin): out of the choice
        del stacked["gbm"]
        gbm_error = not_fitted
    # every candidate is scored on the same slots: those each of them forecast
    both = np.logical_and.reduce([np.isfinite(f.p50) for f in stacked.values()])
    act = np.where(both, act, np.nan)
    scored = {m: metrics(act, f) for m, f in stacked.items()}
    naive = scored["seasonal_naive"]
    chosen = "seasonal_naive"
    for m in ("seasonal_mean", "gbm"):
        s, best = scored.get(m), scored[chosen].mae
        if s is not None and s.mae is not None and best is not None and s.mae < best:
            chosen = m
    out: dict[str, Any] = {
        "resolution_s": SLOT_US // 1_000_000,
        "horizon_days": horizon_days,
        "origins": used,
        "models": {m: s.as_dict() for m, s in scored.items()},
        "chosen": chosen,
        "skill": skill(scored[chosen], naive),
    }
    if "gbm" in models:
        out["gbm_error"] = gbm_error
    return out


def _nan(n_days: int) -> QuantileForecast:
    nan = np.full((n_days, SLOTS), np.nan)
    return QuantileForecast(nan, nan.copy(), nan.copy())
