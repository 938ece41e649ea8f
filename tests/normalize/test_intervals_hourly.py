"""Normalisation cases with hourly values worked out by hand in each docstring.

Times are minutes after 2025-01-01T00:00Z unless stated; ``H`` is one hour in µs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lingtan.normalize.hourly import consumption_hourly, measurement_hourly
from lingtan.normalize.intervals import (
    ESTIMATED,
    MEASURED,
    MISSING,
    interval_intervals,
    register_intervals,
)
from lingtan.normalize.quality import Flag, Label, label

T0 = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z in µs
MIN = 60_000_000
H = 60 * MIN


def ts(*minutes: float) -> np.ndarray:
    return np.array([T0 + int(m * MIN) for m in minutes], np.int64)


def vals(*v: float) -> np.ndarray:
    return np.array(v, np.float64)


def test_register_regular_quarter_hours_measured() -> None:
    """Readings 100, 110, 120, 130, 140 at :00 … :60 → hour 0 = 140 − 100 = 40 kWh, measured."""
    iv = register_intervals(ts(0, 15, 30, 45, 60), vals(100, 110, 120, 130, 140))
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [40.0]
    assert hs.measured_s.tolist() == [3600.0]
    assert hs.missing_s.tolist() == [0.0]
    assert hs.n.tolist() == [4]  # the reading at :60 belongs to the next hour


def test_register_multiplier_scales_advance() -> None:
    """CT ratio 40: register advance 2.5 over the hour → 100 kWh."""
    iv = register_intervals(ts(0, 60), vals(10.0, 12.5), multiplier=40)
    assert consumption_hourly(iv, T0, T0 + H).value.tolist() == [100.0]


def test_gap_apportioned_by_time_and_estimated() -> None:
    """Readings at 00:45 (100) and 03:15 (250): 150 kWh over 150 min = 1 kWh/min.

    Hour 0: 00:00–00:45 before the first reading is missing (2700 s); 00:45–01:00 → 15 kWh,
    estimated (the span crosses hours and is longer than the 30-min gap threshold).
    Hour 1: 60 kWh; hour 2: 60 kWh; hour 3: 03:00–03:15 → 15 kWh, rest missing.
    Sum 15 + 60 + 60 + 15 = 150 = the register advance.
    """
    iv = register_intervals(ts(45, 195), vals(100, 250))
    hs = consumption_hourly(iv, T0, T0 + 4 * H)
    assert hs.value.tolist() == pytest.approx([15, 60, 60, 15])
    assert hs.estimated_s.tolist() == pytest.approx([900, 3600, 3600, 900])
    assert hs.missing_s.tolist() == pytest.approx([2700, 0, 0, 2700])
    assert all(f & Flag.GAP for f in hs.flags.tolist())
    shares = zip(hs.measured_s, hs.estimated_s, hs.missing_s, strict=True)
    labels = [label(m, e, x) for m, e, x in shares]
    assert labels == [Label.PARTIAL, Label.ESTIMATED, Label.ESTIMATED, Label.PARTIAL]


def test_hour_without_information_is_missing_never_zero() -> None:
    """Readings only in hour 0; hour 1 of the range has no information → NULL, 3600 s missing."""
    iv = register_intervals(ts(0, 30), vals(5, 6))
    hs = consumption_hourly(iv, T0, T0 + 2 * H)
    assert hs.value[0] == 1.0
    assert np.isnan(hs.value[1])
    assert hs.missing_s[1] == 3600.0


def test_reset_without_rate_is_unknown_not_negative() -> None:
    """100, 110, 120 then 3, 13 (meter replaced at ~00:40, no rated power known).

    Segment 1: 110−100 + 120−110 = 20; the span 00:30–00:45 across the drop has unknown
    energy (missing, 900 s, flagged reset); segment 2: 13 − 3 = 10. Hour 0 = 30 kWh,
    measured 2700 s, missing 900 s. Never a negative value.
    """
    iv = register_intervals(ts(0, 15, 30, 45, 60), vals(100, 110, 120, 3, 13))
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [30.0]
    assert hs.missing_s.tolist() == [900.0]
    assert hs.flags[0] & Flag.RESET
    assert (iv.energy >= 0).all()
    assert iv.cls.tolist() == [MEASURED, MEASURED, MISSING, MEASURED]


def test_reset_with_rate_counts_restart_from_zero() -> None:
    """Rated 400 kW: 15 min allow ≤ 100 kWh. Drop 120 → 3 persists (3, 13), so the meter
    restarted from zero: the 3 kWh since the restart are counted (estimated).
    Hour 0 = 10 + 10 + 3 + 10 = 33 kWh; 900 s estimated.
    """
    iv = register_intervals(ts(0, 15, 30, 45, 60), vals(100, 110, 120, 3, 13), max_rate=400)
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [33.0]
    assert hs.estimated_s.tolist() == [900.0]
    assert iv.cls.tolist() == [MEASURED, MEASURED, ESTIMATED, MEASURED]


def test_rollover_is_unwrapped() -> None:
    """Register wraps at 100000: 99990 → 99995 → 5 → 15. Advance 5 + (5 + 100000 − 99995) + 10 = 25."""
    iv = register_intervals(
        ts(0, 15, 30, 45), vals(99990, 99995, 5, 15), register_max=100_000, max_rate=400
    )
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [25.0]
    assert hs.flags[0] & Flag.ROLLOVER
    assert hs.missing_s[0] == 900.0  # 00:45–01:00 lies after the last reading


def test_rollover_without_rate_needs_small_unwrapped_advance() -> None:
    """Without a rated power a drop is a rollover only if the unwrapped advance is < 10 % of
    the range: 99990 → 5 unwraps to 15 (a rollover); 50000 → 5 would unwrap to 50005 (a reset)."""
    iv = register_intervals(ts(0, 15), vals(99990, 5), register_max=100_000)
    assert iv.energy.tolist() == [15.0]
    iv = register_intervals(ts(0, 15), vals(50000, 5), register_max=100_000)
    assert iv.cls.tolist() == [MISSING]


def test_upward_spike_excluded_energy_conserved() -> None:
    """100, 110, 99999, 130, 140 with rated 400 kW (≤ 100 kWh per 15 min).

    99999 is implausible and 130 continues from 110, so 99999 is a spike: the span 00:15–00:45
    carries 130 − 110 = 20 kWh. Hour 0 = 10 + 20 + 10 = 40 = 140 − 100.
    """
    iv = register_intervals(ts(0, 15, 30, 45, 60), vals(100, 110, 99999, 130, 140), max_rate=400)
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [40.0]
    assert hs.flags[0] & Flag.SPIKE
    assert iv.spikes.tolist() == [T0 + 30 * MIN]


def test_upward_spike_detected_by_drop_back_without_rate() -> None:
    """No rated power: 100, 110, 5000, 130, 140. The drop back from 5000 to 130 ≥ 110 shows 5000
    was a spike; hour 0 = 40 as above."""
    iv = register_intervals(ts(0, 15, 30, 45, 60), vals(100, 110, 5000, 130, 140))
    assert consumption_hourly(iv, T0, T0 + H).value.tolist() == [40.0]
    assert iv.spikes.tolist() == [T0 + 30 * MIN]


def test_downward_spike_excluded() -> None:
    """100, 110, 0, 130, 140: the 0 is followed by 130 ≥ 110, so it is a spike, not a reset."""
    iv = register_intervals(ts(0, 15, 30, 45, 60), vals(100, 110, 0, 130, 140))
    assert consumption_hourly(iv, T0, T0 + H).value.tolist() == [40.0]
    assert not any(f & Flag.RESET for f in iv.flags.tolist())


def test_persistent_jump_is_unknown() -> None:
    """Rated 400 kW; 100, 110, 5000, 5010, 5020, 5030: the step to 5000 persists → JUMP, its
    energy unknown (missing 900 s); the rest: 10 + 10 + 10 + 10 = 40 kWh."""
    iv = register_intervals(
        ts(0, 15, 30, 45, 60, 75), vals(100, 110, 5000, 5010, 5020, 5030), max_rate=400
    )
    hs = consumption_hourly(iv, T0, T0 + 2 * H)
    assert hs.value.tolist() == [20.0 + 10.0, 10.0]
    assert hs.flags[0] & Flag.JUMP
    assert hs.missing_s[0] == 900.0


def test_bidirectional_total_keeps_drops() -> None:
    """A storage net register (total): 50, 40, 45, 30 → hour advance −20 (discharge), kept."""
    iv = register_intervals(ts(0, 15, 30, 60), vals(50, 40, 45, 30), bidirectional=True)
    assert consumption_hourly(iv, T0, T0 + H).value.tolist() == [-20.0]


def test_interval_points_sum_and_gaps() -> None:
    """15-min gas readings at :15, :30, :60 (m3 2, 3, 4): the :45 interval is missing.
    Hour 0 = 9 m3, measured 2700 s, missing 900 s."""
    iv = interval_intervals(ts(15, 30, 60), vals(2, 3, 4), interval_s=900)
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [9.0]
    assert hs.missing_s.tolist() == [900.0]


def test_measurement_mean_min_max() -> None:
    """kW samples 10, 20, 30, 40 in hour 0 and 50 in hour 1 (interval 900 s).
    Hour 0: mean 25, min 10, max 40, 3600 s measured; hour 1: 50, 900 s measured."""
    hs = measurement_hourly(ts(0, 15, 30, 45, 60), vals(10, 20, 30, 40, 50), T0, T0 + 2 * H)
    assert hs.mean.tolist() == [25.0, 50.0]
    assert hs.min.tolist() == [10.0, 50.0]
    assert hs.max.tolist() == [40.0, 50.0]
    assert hs.measured_s.tolist() == [3600.0, 900.0]


def test_out_of_order_input_gives_the_same_hours() -> None:
    """Normalisation sorts by time: a shuffled series gives identical statistics."""
    t, v = ts(0, 15, 30, 45, 60, 90), vals(1, 2, 4, 7, 11, 16)
    order = np.array([3, 0, 5, 1, 4, 2])
    a = consumption_hourly(register_intervals(t, v), T0, T0 + 2 * H)
    b = consumption_hourly(register_intervals(t[order], v[order]), T0, T0 + 2 * H)
    assert a.value.tolist() == b.value.tolist()


@pytest.mark.parametrize("max_rate", [None, 400.0])
def test_hours_bridged_across_a_spike_are_estimated(max_rate: float | None) -> None:
    """Readings every 15 min: 100, 110, 120, 130 (00:00–00:45), 9999 at 01:00, then 150, 160,
    170, 180 (01:15–02:00). 9999 is a spike (without a rated power: the drop back to 150 ≥ 130;
    rated 400 kW: 9869 kWh in 15 min is implausible and 150 continues from 130).

    The good readings either side of it, 00:45 (130) and 01:15 (150), are 30 minutes apart: the
    bridged span carries 150 − 130 = 20 kWh split by time, 10 to each hour — an estimate, as the
    reading between was thrown out. Hour 0 = 10 + 10 + 10 measured (2700 s) + 10 estimated
    (900 s) = 40; hour 1 = 10 estimated (900 s) + 10 + 10 + 10 measured (2700 s) = 40. Both
    hours are `estimated`; 40 + 40 = 80 = 180 − 100.
    """
    iv = register_intervals(
        ts(0, 15, 30, 45, 60, 75, 90, 105, 120),
        vals(100, 110, 120, 130, 9999, 150, 160, 170, 180),
        max_rate=max_rate,
    )
    assert iv.spikes.tolist() == [T0 + 60 * MIN]
    hs = consumption_hourly(iv, T0, T0 + 2 * H)
    assert hs.value.tolist() == [40.0, 40.0]
    assert hs.estimated_s.tolist() == [900.0, 900.0]
    assert hs.measured_s.tolist() == [2700.0, 2700.0]
    assert all(f & Flag.SPIKE for f in hs.flags.tolist())
    labels = [label(*s) for s in zip(hs.measured_s, hs.estimated_s, hs.missing_s, strict=True)]
    assert labels == [Label.ESTIMATED, Label.ESTIMATED]
    assert math.fsum(hs.value.tolist()) == 180 - 100
