"""Savings verification (节能量测量和验证) by the adjusted-baseline method, and the shared-savings
settlement of an energy performance contract (合同能源管理).

Standards:

* GB/T 28750-2012 节能量测量和验证技术通则 — the measurement boundary, the baseline period
  (基期) and the reporting period (统计报告期), the baseline model relating energy to its
  relevant variables, and the avoided-energy (基期能耗调整) approach: savings are the
  baseline's energy adjusted to the reporting period's conditions minus the reporting period's
  measured energy, plus or minus non-routine adjustments (其他调整量)::

      S = Σ_r (Ê_r − E_r) ± A,    Ê_r = b0 + Σ_j b_j · x_{j,r}

  where Ê_r is the adjusted baseline of reporting period r (the baseline model evaluated at the
  period's drivers x: output, degree-days, working days …), E_r the measured energy and A the
  sum of the declared non-routine adjustments (positive: energy the baseline should have had).
* GB/T 24915-2020 合同能源管理技术通则 — the contract types (节能效益分享型, 节能量保证型,
  能源费用托管型); the settlement here covers the first two from verified savings.
* GB/T 34149-2017 合同节水管理技术通则 — contract water management: the same method applies
  to water savings in m³.

The baseline model is the ordinary least squares fit of :func:`lingtan.compliance.enpi.fit_baseline`
(GB/T 23331-2020 6.5 energy baseline; GB/T 36713-2018 statistical-model EnPI).

Uncertainty. The standard error of the summed savings is the standard error of the sum of the
m predictions of the reporting period from the OLS model (standard linear-regression
prediction variance; EVO 10100-1:2014 *Statistics and Uncertainty for IPMVP* applies it to
avoided-energy savings):

    Var(S) = s² · (m + 1ᵀ X_r (XᵀX)⁻¹ X_rᵀ 1)

with s² = SS_res / (n − p) the baseline's residual variance, X the n × p baseline design matrix
(1 column + drivers), X_r the m × p reporting design matrix and 1 a vector of ones; the m term
is the random error of the reporting period's metered values about the model, the second the
model's coefficient uncertainty. The interval is ± t_{1−α/2, n−p} · √Var(S) (Student's t at
the chosen confidence, 90 % by default as in ASHRAE Guideline 14 and IPMVP). The
metering error of the reporting period is not included (GB/T 28750 asks it to be stated; it is
left to the measure's metering description). Residual autocorrelation is not corrected for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from lingtan.compliance.enpi import Baseline, fit_baseline
from lingtan.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class PeriodValues:
    """One period of a baseline or reporting series: its label (e.g. ``2025-03``), its
    measured energy (None for a baseline period with no measurement: refused) and drivers."""

    label: str
    energy: float
    drivers: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A non-routine adjustment (其他调整量) with its reason, in the energy unit."""

    amount: float
    reason: str


@dataclass(frozen=True, slots=True)
class ReportingLine:
    """One reporting period: adjusted baseline, measured energy, savings."""

    label: str
    adjusted_baseline: float
    measured: float
    savings: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "period": self.label,
            "adjusted_baseline": self.adjusted_baseline,
            "measured": self.measured,
            "savings": self.savings,
        }


@dataclass(frozen=True, slots=True)
class Verification:
    """Verified savings of a measure over a reporting period."""

    unit: str
    baseline: Baseline
    lines: tuple[ReportingLine, ...]
    adjustments: tuple[Adjustment, ...]
    #: Σ adjusted baseline over the reporting periods
    adjusted_baseline: float
    #: Σ measured energy over the reporting periods
    measured: float
    #: S = Σ(Ê − E) ± A
    savings: float
    #: savings / adjusted baseline (None when the adjusted baseline is 0)
    savings_fraction: float | None
    #: standard error of S [unit]
    std_error: float
    confidence: float
    t_value: float
    #: half-width of the interval: t · std_error [unit]
    uncertainty: float
    #: uncertainty / |savings| (None when savings are 0)
    relative_uncertainty: float | None
    method: str = "GB/T 28750-2012 adjusted baseline (avoided energy); OLS prediction variance"
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "unit": self.unit,
            "method": self.method,
            "baseline": self.baseline.as_dict(),
            "reporting": [x.as_dict() for x in self.lines],
            "adjustments": [{"amount": a.amount, "reason": a.reason} for a in self.adjustments],
            "adjusted_baseline": self.adjusted_baseline,
            "measured": self.measured,
            "savings": self.savings,
            "savings_fraction": self.savings_fraction,
            "std_error": self.std_error,
            "confidence": self.confidence,
            "t_value": self.t_value,
            "uncertainty": self.uncertainty,
            "relative_uncertainty": self.relative_uncertainty,
            "notes": list(self.notes),
        }


def _design(periods: Sequence[PeriodValues], drivers: Sequence[str], what: str) -> np.ndarray:
    rows = []
    for k, p in enumerate(periods):
        row = [1.0]
        for d in drivers:
            if d not in p.drivers:
                raise InvalidInput(f"{what}[{k}] ({p.label}): driver {d} missing", field=d)
            v = float(p.drivers[d])
            if not np.isfinite(v):
                raise InvalidInput(f"{what}[{k}] ({p.label}): driver {d} not finite", field=d)
            row.append(v)
        rows.append(row)
    return np.asarray(rows, dtype=float)


def verify(
    baseline: Sequence[PeriodValues],
    reporting: Sequence[PeriodValues],
    *,
    drivers: Sequence[str],
    unit: str,
    adjustments: Sequence[Adjustment] = (),
    confidence: float = 0.90,
) -> Verification:
    """Savings of the reporting periods against the baseline periods (GB/T 28750-2012, the
    adjusted-baseline method; uncertainty as in the module docstring)."""
    if not reporting:
        raise InvalidInput("reporting: at least one reporting period is needed", field="reporting")
    if not 0.5 <= confidence < 1.0:
        raise InvalidInput("confidence: between 0.5 and 1 (e.g. 0.9)", field="confidence")
    labels = [p.label for p in baseline] + [p.label for p in reporting]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise InvalidInput(f"periods: {', '.join(dup)} appear twice", field="periods")
    for what, series in (("baseline", baseline), ("reporting", reporting)):
        for k, p in enumerate(series):
            if not np.isfinite(p.energy):
                raise InvalidInput(f"{what}[{k}] ({p.label}): energy not finite", field="energy")
    names = tuple(drivers)
    x = _design(baseline, names, "baseline")
    model = fit_baseline(
        [p.energy for p in baseline], {d: list(x[:, j + 1]) for j, d in enumerate(names)}
    )
    xr = _design(reporting, names, "reporting")
    beta = np.asarray(model.coefficients)
    predicted = xr @ beta
    measured = np.asarray([p.energy for p in reporting], dtype=float)
    lines = tuple(
        ReportingLine(p.label, float(e_hat), float(e), float(e_hat - e))
        for p, e_hat, e in zip(reporting, predicted, measured, strict=True)
    )
    adj = float(sum(a.amount for a in adjustments))
    total_base = float(predicted.sum())
    total_meas = float(measured.sum())
    savings = total_base - total_meas + adj
    n, p = x.shape
    resid = np.asarray([b.energy for b in baseline]) - x @ beta
    s2 = float(resid @ resid) / (n - p)
    ones = xr.sum(axis=0)  # 1ᵀ X_r
    var = s2 * (len(reporting) + float(ones @ np.linalg.inv(x.T @ x) @ ones))
    se = float(np.sqrt(max(var, 0.0)))
    t_value = float(stats.t.ppf(0.5 + confidence / 2.0, n - p))
    half = t_value * se
    notes: list[str] = []
    for k, p_ in enumerate(reporting):
        for j, d in enumerate(names):
            lo, hi = float(x[:, j + 1].min()), float(x[:, j + 1].max())
            v = float(xr[k, j + 1])
            if v < lo or v > hi:
                notes.append(
                    f"{p_.label}: {d} = {v:g} outside the baseline range [{lo:g}, {hi:g}] "
                    "(extrapolated baseline)"
                )
    return Verification(
        unit=unit,
        baseline=model,
        lines=lines,
        adjustments=tuple(adjustments),
        adjusted_baseline=total_base,
        measured=total_meas,
        savings=savings,
        savings_fraction=None if total_base == 0 else savings / total_base,
        std_error=se,
        confidence=confidence,
        t_value=t_value,
        uncertainty=half,
        relative_uncertainty=None if savings == 0 else half / abs(savings),
        notes=tuple(notes),
    )


# -- contract energy management (GB/T 24915-2020) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Settlement:
    """The settlement of one contract period from verified savings."""

    contract_type: str
    savings: float
    unit: str
    price: float
    currency: str
    #: value of the verified savings: savings × price
    value: float
    #: party → amount
    shares: dict[str, float]
    #: guaranteed-savings contracts: the shortfall (guaranteed − verified, ≥ 0) and what the
    #: service company owes for it
    shortfall: float | None = None
    shortfall_payment: float | None = None
    basis: str = "GB/T 24915-2020"

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "contract_type": self.contract_type,
            "savings": self.savings,
            "unit": self.unit,
            "price": self.price,
            "currency": self.currency,
            "value": self.value,
            "shares": dict(self.shares),
            "shortfall": self.shortfall,
            "shortfall_payment": self.shortfall_payment,
            "basis": self.basis,
        }


def settle(
    *,
    contract_type: str,
    savings: float,
    unit: str,
    price: float,
    currency: str = "CNY",
    shares: Mapping[str, float] | None = None,
    guaranteed: float | None = None,
) -> Settlement:
    """Settle a contract period from verified ``savings`` (GB/T 24915-2020).

    * ``shared_savings`` (节能效益分享型): value = savings × price, split by the contract's
      shares (fractions summing to 1); negative savings share nothing (value 0 and a zero share
      each — the contract decides any penalty).
    * ``guaranteed_savings`` (节能量保证型): the service company owes (guaranteed − savings) ×
      price when the verified savings fall short; the value of the savings is the client's.
    """
    if not np.isfinite(savings):
        raise InvalidInput("savings: not finite", field="savings")
    if not price >= 0 or not np.isfinite(price):
        raise InvalidInput("price: a finite value ≥ 0 per unit of savings", field="price")
    value = max(savings, 0.0) * price
    if contract_type == "shared_savings":
        if not shares:
            raise InvalidInput("shares: the contract's shares by party are needed", field="shares")
        for party, f in shares.items():
            if not 0.0 <= float(f) <= 1.0:
                raise InvalidInput(f"shares.{party}: a fraction between 0 and 1", field="shares")
        total = float(sum(shares.values()))
        if abs(total - 1.0) > 1e-9:
            raise InvalidInput(f"shares: sum to {total:g}, not 1", field="shares")
        return Settlement(
            contract_type, savings, unit, price, currency, value,
            {k: value * float(f) for k, f in shares.items()},
        )  # fmt: skip
    if contract_type == "guaranteed_savings":
        if guaranteed is None or not np.isfinite(guaranteed) or guaranteed < 0:
            raise InvalidInput(
                "guaranteed: the contract's guaranteed savings (≥ 0) are needed",
                field="guaranteed",
            )
        short = max(guaranteed - savings, 0.0)
        return Settlement(
            contract_type, savings, unit, price, currency, value, {"client": value},
            shortfall=short, shortfall_payment=short * price,
        )  # fmt: skip
    raise InvalidInput("contract_type: shared_savings or guaranteed_savings", field="contract_type")
