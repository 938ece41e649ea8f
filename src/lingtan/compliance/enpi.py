"""Energy performance indicators and an energy baseline by regression (能源绩效参数、能源基准;
GB/T 23331-2020 6.4–6.5 ask for EnPIs and an EnB normalised for relevant variables;
GB/T 36713-2018 describes the statistical-model EnPI). The model is ordinary least squares of
energy on drivers (output, degree-days …) with an intercept:

    E = b0 + b1·x1 + … + bk·xk + ε

Statistics of the fit (standard OLS): R² = 1 − SS_res/SS_tot; the standard error of the
regression s = √(SS_res/(n − p)), p = k + 1; CV(RMSE) = s / ȳ (the n − p form of ASHRAE
Guideline 14, used by lingtan because GB/T 36713 names no formula — no acceptance threshold is
asserted); each coefficient's t = b_j / se_j with se_j = √(s² (XᵀX)⁻¹_jj).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lingtan.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Baseline:
    """A fitted energy baseline."""

    drivers: tuple[str, ...]
    #: intercept first, then one per driver
    coefficients: tuple[float, ...]
    std_errors: tuple[float, ...]
    t_stats: tuple[float, ...]
    r2: float
    cv_rmse: float
    n: int

    def predict(self, values: Mapping[str, float]) -> float:
        """Energy the baseline expects for the drivers' ``values`` (normalised consumption)."""
        missing = [d for d in self.drivers if d not in values]
        if missing:
            raise InvalidInput(f"driver(s) missing: {', '.join(missing)}", field=missing[0])
        return self.coefficients[0] + sum(
            c * float(values[d]) for c, d in zip(self.coefficients[1:], self.drivers, strict=True)
        )

    def savings(self, actual: float, values: Mapping[str, float]) -> float:
        """Avoided energy of a reporting period: baseline-predicted − actual."""
        return self.predict(values) - actual

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        names = ("intercept", *self.drivers)
        return {
            "drivers": list(self.drivers),
            "coefficients": dict(zip(names, self.coefficients, strict=True)),
            "std_errors": dict(zip(names, self.std_errors, strict=True)),
            "t_stats": dict(zip(names, self.t_stats, strict=True)),
            "r2": self.r2,
            "cv_rmse": self.cv_rmse,
            "n": self.n,
        }


def fit_baseline(energy: Sequence[float], drivers: Mapping[str, Sequence[float]]) -> Baseline:
    """OLS of ``energy`` on ``drivers`` (each a series as long as ``energy``)."""
    y = np.asarray(energy, dtype=float)
    n = y.size
    names = tuple(drivers)
    for name in names:
        if len(drivers[name]) != n:
            raise InvalidInput(
                f"driver {name} has {len(drivers[name])} values, energy has {n}", field=name
            )
    p = len(names) + 1
    if n <= p:
        raise InvalidInput(f"{n} periods cannot fit {p} coefficients (need n > p)", field="energy")
    if not np.all(np.isfinite(y)):
        raise InvalidInput("energy has a non-finite value", field="energy")
    x = np.column_stack([np.ones(n), *[np.asarray(drivers[d], dtype=float) for d in names]])
    if np.linalg.matrix_rank(x) < p:
        raise InvalidInput("drivers are collinear (or constant): no unique fit", field="drivers")
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    ss_res = float(resid @ resid)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    s2 = ss_res / (n - p)
    cov = s2 * np.linalg.inv(x.T @ x)
    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, beta / se, np.inf)
    return Baseline(
        drivers=names,
        coefficients=tuple(float(b) for b in beta),
        std_errors=tuple(float(v) for v in se),
        t_stats=tuple(float(v) for v in t),
        r2=1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0,
        cv_rmse=float(np.sqrt(s2) / y.mean()) if y.mean() != 0 else float("nan"),
        n=n,
    )


def degree_days(daily_mean_temps: Sequence[float], *, base: float, kind: str = "heating") -> float:
    """Heating (Σ max(0, base − T)) or cooling (Σ max(0, T − base)) degree-days [K·d]."""
    t = np.asarray(daily_mean_temps, dtype=float)
    if kind == "heating":
        return float(np.clip(base - t, 0, None).sum())
    if kind == "cooling":
        return float(np.clip(t - base, 0, None).sum())
    raise InvalidInput("kind is heating or cooling", field="kind")
