"""Demand-response calls (需求响应): the window, the required reduction and the baseline.

A call asks the park to keep its grid import at or below ``(1 − r) × baseline`` during a
window. The baseline is what the utility judges the response against. Where the call states
it, it is used as given. Otherwise :func:`customer_baseline` computes the usual customer
baseline load: the mean, step by step, of the same steps on the most recent eligible days
(working days without an earlier call) before the call day. Provincial rules differ in the
number of days and the exclusions, and none was verified for this code (confidence L), so
the number of days is a parameter and the plan records which baseline it used.

After the call, :func:`delivered` judges what was delivered: the mean baseline over the window
less the mean metered import, against the required ``r × mean baseline``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from lingtan.carbon.citation import Clause, cites
from lingtan.dispatch.components import F64, DemandResponse
from lingtan.errors import InvalidInput

#: the default number of eligible days averaged (configurable; not a verified provincial rule)
BASELINE_DAYS = 5
#: slack [kW] within which a delivered reduction counts as meeting the required one (float
#: noise of the means, not a tolerance of any rule)
MET_TOLERANCE_KW: Final = 1e-6


def customer_baseline(
    history_kw: F64, eligible: NDArray[np.bool_], days: int = BASELINE_DAYS
) -> F64:
    """The customer baseline load per step [kW].

    Parameters
    ----------
    history_kw : array [days × steps]
        Grid import per step of the days before the call, oldest first [kW].
    eligible : array [days] of bool
        Whether each day may serve (a working day without an earlier call).
    days : int
        How many of the most recent eligible days are averaged.
    """
    history = np.asarray(history_kw, dtype=np.float64)
    mask = np.asarray(eligible, dtype=bool)
    if history.ndim != 2 or mask.shape != (history.shape[0],):
        raise InvalidInput("baseline history must be days × steps with one eligibility flag per day",
                           field="history_kw")  # fmt: skip
    if days < 1:
        raise InvalidInput("the baseline needs at least one day", field="days")
    rows = np.flatnonzero(mask & np.isfinite(history).all(axis=1))
    if rows.size < days:
        raise InvalidInput(
            f"the baseline needs {days} complete eligible days before the call; found {rows.size}",
            field="history_kw",
        )
    return np.asarray(history[rows[-days:]].mean(axis=0), dtype=np.float64)


def call(*, start_minute: int, end_minute: int, reduction: float, step_minutes: int,
         baseline_kw: F64) -> DemandResponse:  # fmt: skip
    """A call over local minutes ``[start, end)`` of the day as steps of the plan."""
    if start_minute % step_minutes or end_minute % step_minutes:
        raise InvalidInput(
            f"the call window must start and end on a {step_minutes}-minute step",
            field="demand_response",
        )
    return DemandResponse(
        start_minute // step_minutes, end_minute // step_minutes, reduction, baseline_kw
    )


@dataclass(frozen=True, slots=True)
class Delivered:
    """What a call delivered over its window [kW]."""

    #: mean baseline over the window
    baseline_kw: float
    #: mean metered grid import over the window
    actual_kw: float
    #: baseline − actual (negative: more was imported than the baseline)
    delivered_kw: float
    #: reduction × baseline
    required_kw: float
    #: delivered / required; None when nothing was required (a zero baseline)
    ratio: float | None
    met: bool


@cites(
    Clause(
        "江苏省电力需求响应实施细则（试行）(2015)",
        "需求减少的认定",
        "ΔP = (E_baseline − E_metered) / T over the response window",
        verified=False,
    )
)
def delivered(baseline_kw: F64, actual_kw: F64, reduction: float) -> Delivered:
    """The reduction a call delivered: the baseline energy less the metered energy over the
    window, divided by its length — with equal steps, mean(baseline) − mean(actual) [kW] —
    against the required ``reduction × mean(baseline)``; met when delivered ≥ required.

    The form is the Jiangsu rule's as quoted second-hand (the 2015 document itself was not
    read for this code); provincial rules may judge the ratio against a lower share (e.g. 80 %),
    so the ratio is returned beside ``met``.

    Parameters
    ----------
    baseline_kw, actual_kw : arrays [steps of the window]
        Baseline and metered grid import per step [kW], every value known.
    reduction : float
        The required reduction as a fraction of the baseline, in (0, 1].
    """
    base = np.asarray(baseline_kw, dtype=np.float64)
    act = np.asarray(actual_kw, dtype=np.float64)
    if base.ndim != 1 or base.size == 0 or act.shape != base.shape:
        raise InvalidInput(
            "baseline and metered import need one value per step of the window",
            field="actual_kw",
        )
    for name, arr in (("baseline_kw", base), ("actual_kw", act)):
        if not np.isfinite(arr).all():
            raise InvalidInput(f"{name} must be known at every step of the window", field=name)
    if not (np.isfinite(reduction) and 0.0 < reduction <= 1.0):
        raise InvalidInput(f"reduction must lie in (0, 1], got {reduction}", field="reduction")
    mean_base, mean_act = float(base.mean()), float(act.mean())
    got = mean_base - mean_act
    required = reduction * mean_base
    return Delivered(
        baseline_kw=mean_base,
        actual_kw=mean_act,
        delivered_kw=got,
        required_kw=required,
        ratio=got / required if required > 0 else None,
        met=got >= required - MET_TOLERANCE_KW,
    )
