"""Direct-supply (绿电直连) compliance ratios of one project, computed continuously.

The 2025 national rules on direct supply (updates-2026-12 §1.5.3; document number not
confirmed) require of a grid-connected project, over a year:

* ρ_gen = E_self / E_avail ≥ 60 %: self-consumed new-energy electricity over the project's
  available generation;
* ρ_use = E_self / E_cons ≥ 30 % (35 % from the year the rule names): self-consumed over the
  user's total consumption.

"Continuously" here means year to date: at the end of each month m, the sums run from the
first matched month of the year through m. The thresholds are data records
(:mod:`lingtan.greenpower.matching.rules`). A missing input gives the status
``missing_input`` naming it, never a ratio computed from a stand-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput
from lingtan.greenpower.matching.rules import DirectSupplyThreshold

F64 = NDArray[np.float64]

Status = Literal["met", "not_met", "missing_input", "no_data", "no_rule"]


def self_consumed_share(self_consumed_kwh: float, denominator_kwh: float) -> float | None:
    """ρ = E_self / E [fraction]; None when E = 0 (no ratio exists).

    Parameters
    ----------
    self_consumed_kwh : float
        Self-consumed direct-supply electricity [kWh], ≥ 0.
    denominator_kwh : float
        Available generation, or total consumption [kWh], ≥ 0.
    """
    for name, v in (("self_consumed_kwh", self_consumed_kwh), ("denominator_kwh", denominator_kwh)):
        if not np.isfinite(v) or v < 0:
            raise InvalidInput(f"{name} must be finite and ≥ 0, got {v}", field=name)
    if denominator_kwh == 0:
        return None
    return self_consumed_kwh / denominator_kwh


@dataclass(frozen=True, slots=True)
class RatioCheck:
    """One ratio of one project at the end of one month, year to date."""

    quantity: str
    month: str
    numerator_kwh: float
    denominator_kwh: float | None
    value: float | None
    #: None when no threshold is in force for the month's year (status ``no_rule``)
    threshold: float | None
    status: Status
    rule: dict[str, Any] | None
    missing: str | None = None
    #: how the ratio was computed when that needs saying (the generation meter's hours)
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "quantity": self.quantity,
            "month": self.month,
            "numerator_kwh": self.numerator_kwh,
            "denominator_kwh": self.denominator_kwh,
            "value": self.value,
            "threshold": self.threshold,
            "status": self.status,
            "missing": self.missing,
            "note": self.note,
            "rule": self.rule,
        }


def year_to_date_checks(
    *,
    months: list[str],
    self_consumed: F64,
    consumption: F64,
    available_generation: F64 | None,
    thresholds: dict[str, DirectSupplyThreshold],
    generation_self_consumed: F64 | None = None,
    generation_unmetered_hours: NDArray[np.int64] | None = None,
    generation_missing: str = "available_generation",
) -> list[RatioCheck]:
    """Both ratios at the end of each month, over the months so far.

    Parameters
    ----------
    months : list of str
        ``YYYY-MM`` labels of the months, in order, all of one year.
    self_consumed, consumption : arrays [kWh]
        Monthly self-consumed direct-supply electricity and the user's total consumption.
    available_generation : array [kWh] or None
        Monthly available generation of the project; None when it is not metered (the
        generation ratio is then ``missing_input``).
    thresholds : dict
        The records in force, by quantity (:func:`rules.thresholds_in_force`); a quantity
        without one gets the status ``no_rule`` (its ratio is still given where computable).
    generation_self_consumed : array [kWh] or None
        The numerator of ρ_gen when the generation meter does not cover every hour: the
        self-consumed direct supply of the hours it covers (default ``self_consumed``).
    generation_unmetered_hours : int array or None
        Hours of each month the generation meter did not cover (left out of both sums of ρ_gen).
    generation_missing : str
        What ``missing`` names when ``available_generation`` is None.
    """
    e_self = np.cumsum(np.asarray(self_consumed, np.float64))
    e_self_gen = (
        e_self
        if generation_self_consumed is None
        else np.cumsum(np.asarray(generation_self_consumed, np.float64))
    )
    unmetered = (
        None
        if generation_unmetered_hours is None
        else np.cumsum(np.asarray(generation_unmetered_hours, np.int64))
    )
    e_cons = np.cumsum(np.asarray(consumption, np.float64))
    e_gen = (
        None
        if available_generation is None
        else np.cumsum(np.asarray(available_generation, np.float64))
    )
    if not (len(months) == e_self.size == e_cons.size) or (
        e_gen is not None and e_gen.size != e_self.size
    ):
        raise InvalidInput("one value per month for every monthly series", field="months")
    out: list[RatioCheck] = []

    def check(
        quantity: str,
        i: int,
        den: float | None,
        missing: str | None,
        num_series: F64 = e_self,
        note: str | None = None,
    ) -> RatioCheck:
        num = float(num_series[i])
        rule = thresholds.get(quantity)
        if rule is None:
            value_ = None if den is None else self_consumed_share(num, den)
            return RatioCheck(
                quantity, months[i], num, den, value_, None, "no_rule", None, missing, note
            )
        if den is None:
            return RatioCheck(
                quantity,
                months[i],
                num,
                None,
                None,
                rule.value,
                "missing_input",
                rule.provenance(),
                missing,
                note,
            )
        value = self_consumed_share(num, den)
        if value is None:
            return RatioCheck(
                quantity,
                months[i],
                num,
                den,
                None,
                rule.value,
                "no_data",
                rule.provenance(),
                note=note,
            )
        status: Status = "met" if value >= rule.value else "not_met"
        return RatioCheck(
            quantity, months[i], num, den, value, rule.value, status, rule.provenance(), note=note
        )

    for i in range(len(months)):
        note = None
        if e_gen is not None and unmetered is not None and unmetered[i] > 0:
            note = (
                f"{int(unmetered[i])} hours without a complete generation reading are left "
                "out of both sums"
            )
        out.append(
            check(
                "self_consumed_share_of_available_generation",
                i,
                None if e_gen is None else float(e_gen[i]),
                generation_missing if e_gen is None else None,
                e_self_gen,
                note,
            )
        )
        out.append(check("self_consumed_share_of_total_consumption", i, float(e_cons[i]), None))
    return out
