"""Rolling-origin backtests, error metrics and model choice per series (pure).

Rolling origin (Tashman, "Out-of-sample tests of forecasting accuracy", International Journal of
Forecasting 16 (2000) 437–450; Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, 3rd ed., §5.10 "time series cross-validation"): the forecast origin steps through
the history; at each origin the models see only what was known then and forecast the next
``horizon_days`` days; errors are pooled over all origins.

Metrics (FPP3 §5.8): MAE = mean|e|, RMSE = √mean(e²), MAPE = 100 · mean|e / y| over the hours
whose actual y ≠ 0 only (undefined — None — when there are none), skill = 1 − MAE_model /
MAE_naive against the calendar seasonal-naive forecast (None when MAE_naive = 0). Hours where the
actual or either forecast is missing are not scored, for both models; their count is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lingtan.errors import InvalidInput
from lingtan.forecast.features import F64, HOURS
from lingtan.forecast.models import (
    QUANTILES,
    GbmFit,
    ModelKind,
    QuantileForecast,
    fit_gbm,
    predict_gbm,
    seasonal_naive,
)


@dataclass(frozen=True, slots=True)
class Metrics:
    """Errors of one model over the scored hours."""

    mae: float | None
    rmse: float | None
    mape: float | None
    #: share of actuals inside [P10, P90] (0.8 for a calibrated band)
    coverage: float | None
    scored: int
    unscored: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def metrics(actual: F64, forecast: QuantileForecast) -> Metrics:
    """MAE, RMSE, MAPE and band coverage of P50 against ``actual`` (same shapes)."""
    a = np.asarray(actual, np.float64).reshape(-1)
    p = forecast.p50.reshape(-1)
    if a.shape != p.shape:
        raise InvalidInput("actual and forecast differ in shape", field="actual")
    ok = np.isfinite(a) & np.isfinite(p)
    n = int(ok.sum())
    if n == 0:
        return Metrics(None, None, None, None, 0, int(a.size))
    e = a[ok] - p[ok]
    nz = a[ok] != 0
    mape = float(100 * np.mean(np.abs(e[nz] / a[ok][nz]))) if nz.any() else None
    lo, hi = forecast.p10.reshape(-1)[ok], forecast.p90.reshape(-1)[ok]
    banded = np.isfinite(lo) & np.isfinite(hi)
    inside = (a[ok] >= lo) & (a[ok] <= hi)
    coverage = float(inside[banded].mean()) if banded.any() else None
    return Metrics(
        mae=float(np.mean(np.abs(e))),
        rmse=float(np.sqrt(np.mean(e * e))),
        mape=mape,
        coverage=coverage,
        scored=n,
        unscored=int(a.size) - n,
    )


def skill(model: Metrics, naive: Metrics) -> float | None:
    """1 − MAE_model / MAE_naive; None when either is undefined or MAE_naive is 0."""
    if model.mae is None or naive.mae is None or naive.mae == 0:
        return None
    return 1.0 - model.mae / naive.mae


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Pooled errors of both models over a rolling-origin backtest."""

    horizon_days: int
    origins: tuple[dt.date, ...]
    naive: Metrics
    gbm: Metrics | None
    #: why the boosting model could not be backtested (too little history ...)
    gbm_error: str | None
    chosen: ModelKind

    @property
    def skill(self) -> float | None:
        """Skill of the chosen model against seasonal-naive (0 when naive is chosen)."""
        if self.chosen is ModelKind.SEASONAL_NAIVE:
            return 0.0 if self.naive.mae else None
        return skill(self.gbm, self.naive) if self.gbm else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "horizon_days": self.horizon_days,
            "origins": [d.isoformat() for d in self.origins],
            "first_origin": self.origins[0].isoformat() if self.origins else None,
            "last_origin": self.origins[-1].isoformat() if self.origins else None,
            "naive": self.naive.as_dict(),
            "gbm": None if self.gbm is None else self.gbm.as_dict(),
            "gbm_error": self.gbm_error,
            "chosen": self.chosen.value,
            "skill": self.skill,
        }


def origins_every(n_days: int, *, first: int, step_days: int) -> list[int]:
    """Origin day indices ``first, first + step, …`` below ``n_days``."""
    if step_days < 1:
        raise InvalidInput("step_days must be at least 1", field="step_days")
    if first < 1:
        raise InvalidInput("the first origin needs history before it", field="first")
    return list(range(first, n_days, step_days))


def rolling_origin(
    values: F64,
    days: Sequence[dt.date],
    *,
    origins: Sequence[int],
    horizon_days: int,
    refit_every_days: int = 91,
    temperature: F64 | None = None,
    seed: int = 0,
    band: bool = True,
) -> BacktestResult:
    """Backtest seasonal-naive and the boosting model from each origin day index.

    At origin ``o`` the forecast is issued at the end of day ``o − 1``: models see days
    before ``o`` and forecast days ``o … o + horizon_days − 1`` with lead ``horizon_days``.
    The boosting model is refitted when ``refit_every_days`` have passed since its last fit
    (always on data before the current origin), which keeps a year's backtest affordable.
    Without ``band`` only the median model is trained (a third of the work; no coverage).
    """
    if horizon_days < 1:
        raise InvalidInput("horizon_days must be at least 1", field="horizon_days")
    n = len(days)
    actual: list[F64] = []
    naive: list[QuantileForecast] = []
    gbm: list[QuantileForecast] = []
    gbm_error: str | None = None
    fit: GbmFit | None = None
    fitted_at = -(10**9)
    used: list[dt.date] = []
    for o in origins:
        targets = list(range(o, min(o + horizon_days, n)))
        if not targets:
            continue
        used.append(days[o])
        actual.append(values[targets])
        naive.append(seasonal_naive(values, days, targets=targets, lead_days=horizon_days))
        if gbm_error is None and (fit is None or o - fitted_at >= refit_every_days):
            try:
                fit = fit_gbm(
                    values, days, train_until=o, lead_days=horizon_days,
                    temperature=temperature, seed=seed,
                    quantiles=QUANTILES if band else (0.5,),
                )  # fmt: skip
                fitted_at = o
            except InvalidInput as err:
                if fit is None:
                    # not enough history yet at this origin: score the later origins only
                    gbm.append(_nan_like(naive[-1]))
                    continue
                gbm_error = str(err)
        if fit is not None:
            gbm.append(predict_gbm(fit, values, days, targets=targets, temperature=temperature))
        else:
            gbm.append(_nan_like(naive[-1]))
    if not actual:
        raise InvalidInput("no backtest origin lies inside the series", field="origins")
    a = np.vstack(actual)
    f_naive, f_gbm = _stack(naive), _stack(gbm)
    if fit is None and gbm_error is None:
        gbm_error = "too little history for the boosting model at every origin"
    m_gbm = None
    if fit is not None:
        # both models are scored on the same hours: the early origins before the boosting
        # model had enough history to train are left out of both
        both = np.isfinite(f_gbm.p50) & np.isfinite(f_naive.p50)
        a = np.where(both, a, np.nan)
        m_gbm = metrics(a, f_gbm)
    m_naive = metrics(a, f_naive)
    chosen = ModelKind.SEASONAL_NAIVE
    if m_gbm is not None and m_gbm.mae is not None and m_naive.mae is not None:
        if m_gbm.mae < m_naive.mae:
            chosen = ModelKind.GBM
    return BacktestResult(horizon_days, tuple(used), m_naive, m_gbm, gbm_error, chosen)


def _nan_like(f: QuantileForecast) -> QuantileForecast:
    nan = np.full_like(f.p50, np.nan)
    return QuantileForecast(nan, nan.copy(), nan.copy())


def _stack(fs: Sequence[QuantileForecast]) -> QuantileForecast:
    return QuantileForecast(
        np.vstack([f.p10 for f in fs]).reshape(-1, HOURS),
        np.vstack([f.p50 for f in fs]).reshape(-1, HOURS),
        np.vstack([f.p90 for f in fs]).reshape(-1, HOURS),
    )
