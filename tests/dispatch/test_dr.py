"""The customer baseline of a demand-response call, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from lingtan.dispatch import dr
from lingtan.dispatch.components import Grid, Site
from lingtan.dispatch.plan import solve
from lingtan.errors import InvalidInput


def test_baseline_is_the_mean_of_the_most_recent_eligible_days() -> None:
    # seven days, oldest first, two steps each; days 5 and 6 (index 4, 5) are a weekend, the
    # last three eligible days are index 2, 3, 6: mean of (30, 40, 70) and (3, 4, 7)
    history = np.array(
        [[10, 1], [20, 2], [30, 3], [40, 4], [500, 50], [600, 60], [70, 7]], dtype=float
    )
    eligible = np.array([True, True, True, True, False, False, True])
    np.testing.assert_allclose(dr.customer_baseline(history, eligible, days=3), [140 / 3, 14 / 3])


def test_a_day_with_a_gap_does_not_count_and_too_few_days_is_an_error() -> None:
    history = np.array([[10, 1], [np.nan, 2], [30, 3]], dtype=float)
    np.testing.assert_allclose(dr.customer_baseline(history, np.ones(3, bool), days=2), [20, 2])
    with pytest.raises(InvalidInput, match="needs 3 complete eligible days"):
        dr.customer_baseline(history, np.ones(3, bool), days=3)


def test_a_call_on_quarter_hours_limits_the_import_of_its_steps() -> None:
    # 18:00–19:00 at 15-minute steps is steps 72–75; baseline 400 kW, 10 %: import ≤ 360 kW
    n = 96
    call = dr.call(start_minute=18 * 60, end_minute=19 * 60, reduction=0.1, step_minutes=15,
                   baseline_kw=np.full(n, 400.0))  # fmt: skip
    assert (call.start, call.end) == (72, 76)
    site = Site(n, 0.25, np.full(n, 400.0),
                Grid(1000.0, 0.0, np.full(n, 0.5), np.zeros(n), np.full(n, 0.5)),
                demand_response=call)  # fmt: skip
    plan = solve(site)
    # nothing can lower the import: 4 steps × 40 kW × 0.25 h = 40 kWh over the call
    (v,) = plan.violations
    assert (v.family, v.kwh, v.first_step, v.last_step) == (
        "demand_response",
        pytest.approx(40.0),
        72,
        75,
    )
    with pytest.raises(InvalidInput, match="15-minute step"):
        dr.call(start_minute=18 * 60 + 5, end_minute=19 * 60, reduction=0.1, step_minutes=15,
                baseline_kw=np.full(n, 400.0))  # fmt: skip
