"""Demand-response calls (需求响应): the window, the required reduction and the baseline.

A call asks the park to keep its grid import at or below ``(1 − r) × baseline`` during a
window. The baseline is what the utility judges the response against. Where the call states
it, it is used as given. Otherwise :func:`customer_baseline` computes the usual customer
baseline load: the mean, step by step, of the same steps on the most recent eligible days
(working days without an earlier call) before the call day. Provincial rules differ in the
number of days and the exclusions, and none was verified for this code (confidence L), so
the number of days is a parameter and the plan records which baseline it used.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lingtan.dispatch.components import F64, DemandResponse
from lingtan.errors import InvalidInput

#: the default number of eligible days averaged (configurable; not a verified provincial rule)
BASELINE_DAYS = 5


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
