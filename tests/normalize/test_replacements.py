"""Normalisation across documented meter replacements (换表), with hourly values worked out by
hand in each docstring.

Times are minutes after 2025-01-01T00:00Z; ``H`` is one hour in µs. A replacement at ``t`` with
``old_final`` F and ``new_initial`` I: readings before ``t`` are the old meter's, readings at or
after it the new meter's; the span across it carries (F − last old reading) × old ratio over
[last old reading, t) and (first new reading − I) × new ratio over [t, first new reading).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lingtan.normalize.hourly import consumption_hourly
from lingtan.normalize.intervals import (
    ESTIMATED,
    MEASURED,
    MISSING,
    Replacement,
    register_intervals,
)
from lingtan.normalize.quality import Flag, Label, label
from tests.normalize.test_intervals_hourly import MIN, T0, H, ts, vals


def at(minutes: float) -> int:
    return T0 + int(minutes * MIN)


def labels(hs) -> list[Label]:  # type: ignore[no-untyped-def]
    return [label(*s) for s in zip(hs.measured_s, hs.estimated_s, hs.missing_s, strict=True)]


def test_energy_conserved_across_a_replacement_with_a_new_initial_value() -> None:
    """Old meter (CT 40): 10.0, 10.5, 11.0 at 00:00, 00:15, 00:30; removed at 00:40 reading
    11.25. New meter (CT 80) installed reading 3.0: 3.125, 3.375, 3.625 at 00:45, 01:00, 01:15.

    Spans: 0.5 × 40 = 20, 20; old part 00:30–00:40 (11.25 − 11.0) × 40 = 10; new part
    00:40–00:45 (3.125 − 3.0) × 80 = 10; then 0.25 × 80 = 20, 20.
    Hour 0 = 20 + 20 + 10 + 10 + 20 = 80, all measured; hour 1 = 20 (01:00–01:15), the rest
    after the last reading missing. Total 100 = (11.25 − 10.0) × 40 + (3.625 − 3.0) × 80.
    The new register's starting value 3.0 (240 kWh at CT 80) is never counted.
    """
    iv = register_intervals(
        ts(0, 15, 30, 45, 60, 75),
        vals(10.0, 10.5, 11.0, 3.125, 3.375, 3.625),
        multiplier=40,
        replacements=[Replacement(at(40), old_final=11.25, new_initial=3.0, multiplier=80)],
    )
    assert iv.energy.tolist() == [20.0, 20.0, 10.0, 10.0, 20.0, 20.0]
    hs = consumption_hourly(iv, T0, T0 + 2 * H)
    assert hs.value.tolist() == [80.0, 20.0]
    assert hs.measured_s.tolist() == [3600.0, 900.0]
    assert hs.missing_s.tolist() == [0.0, 2700.0]
    assert labels(hs) == [Label.MEASURED, Label.PARTIAL]
    assert hs.flags[0] & Flag.REPLACEMENT and not hs.flags[0] & Flag.RESET
    assert math.fsum(hs.value.tolist()) == 100.0
    assert hs.n.tolist() == [4, 2]  # readings, not replacement values


def test_without_the_replacement_the_starting_value_would_count() -> None:
    """The same readings without the documented replacement, rated 400 kW: the drop 11.0 →
    3.125 looks like a restart from zero, so 3.125 × 40 = 125 kWh are counted as consumed
    since it (estimated) — the error the replacement record removes."""
    iv = register_intervals(
        ts(0, 15, 30, 45), vals(10.0, 10.5, 11.0, 3.125), multiplier=40, max_rate=800
    )
    assert iv.energy.tolist() == [20.0, 20.0, 125.0]
    assert iv.cls.tolist() == [MEASURED, MEASURED, ESTIMATED]


def test_a_reading_at_the_replacement_instant_is_the_new_meters() -> None:
    """Old: 100, 110 at 00:00, 00:15; replaced at 00:30 (old final 115, new initial 50); the
    reading at 00:30 is the new meter's, 52, then 62 at 00:45.

    Span 00:15–00:30 = (115 − 110) + (52 − 50) = 7; 00:30–00:45 = 10. Hour 0 = 10 + 7 + 10 = 27,
    measured 2700 s, 00:45–01:00 missing."""
    iv = register_intervals(
        ts(0, 15, 30, 45),
        vals(100, 110, 52, 62),
        replacements=[Replacement(at(30), old_final=115, new_initial=50)],
    )
    assert iv.energy.tolist() == [10.0, 7.0, 10.0]
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [27.0]
    assert hs.measured_s.tolist() == [2700.0]


def test_the_old_part_after_a_gap_is_estimated_the_new_part_measured() -> None:
    """Old: 90 at −00:15, 100 at 00:00; no reading until the meter is replaced at 02:30 (old
    final 130); new from 0: 5 at 02:45, 10 at 03:00.

    Old part 00:00–02:30: 30 kWh over 150 min (0.2 kWh/min), longer than the 30-min gap
    threshold: estimated, flags gap + replacement → hour 0: 12, hour 1: 12, hour 2: 6. New part
    02:30–02:45: 5, measured; 02:45–03:00: 5. Hour 2 = 6 + 5 + 5 = 16: 1800 s estimated, 1800 s
    measured. Sum of hours 0–2 = 40 = (130 − 100) + (10 − 0)."""
    iv = register_intervals(
        ts(-15, 0, 165, 180),
        vals(90, 100, 5, 10),
        replacements=[Replacement(at(150), old_final=130, new_initial=0)],
    )
    hs = consumption_hourly(iv, T0, T0 + 3 * H)
    assert hs.value.tolist() == pytest.approx([12.0, 12.0, 16.0], abs=1e-9)
    assert hs.estimated_s.tolist() == pytest.approx([3600.0, 3600.0, 1800.0])
    assert hs.measured_s.tolist() == pytest.approx([0.0, 0.0, 1800.0])
    assert all(f & Flag.GAP and f & Flag.REPLACEMENT for f in hs.flags.tolist())
    assert math.fsum(hs.value.tolist()) == pytest.approx(40.0, abs=1e-9)


def test_a_meter_that_sent_no_reading_between_two_replacements_is_estimated() -> None:
    """Meter 1: 10, 18 at 00:00, 00:15; replaced at 00:20 (final 20) by meter 2 (initial 5),
    itself replaced at 00:40 (final 8) by meter 3 (initial 0): 4, 10 at 00:45, 01:00.

    00:00–00:15: 8; 00:15–00:20: 2; 00:20–00:40: 8 − 5 = 3, bounded by replacement values only
    (estimated, 1200 s); 00:40–00:45: 4; 00:45–01:00: 6. Hour 0 = 23, 2400 s measured."""
    iv = register_intervals(
        ts(0, 15, 45, 60),
        vals(10, 18, 4, 10),
        replacements=[
            Replacement(at(40), old_final=8, new_initial=0),
            Replacement(at(20), old_final=20, new_initial=5),
        ],
    )
    assert iv.energy.tolist() == [8.0, 2.0, 3.0, 4.0, 6.0]
    assert iv.cls.tolist() == [MEASURED, MEASURED, ESTIMATED, MEASURED, MEASURED]
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [23.0]
    assert hs.estimated_s.tolist() == [1200.0]
    assert labels(hs) == [Label.ESTIMATED]


def test_a_final_value_below_the_last_reading_is_unknown_never_negative() -> None:
    """A replacement recorded with final 105 and a late reading of 110 at 00:15 before it
    (00:20): the old part would be −5, so its energy is unknown (missing 300 s), not negative.
    Hour 0 = 10 (00:00–00:15) + 5 (00:20–00:30, from 0 to 5) = 15; 00:30–01:00 missing."""
    iv = register_intervals(
        ts(0, 15, 30),
        vals(100, 110, 5),
        replacements=[Replacement(at(20), old_final=105, new_initial=0)],
    )
    assert iv.cls.tolist() == [MEASURED, MISSING, MEASURED]
    assert (iv.energy >= 0).all()
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [15.0]
    assert hs.missing_s.tolist() == [300.0 + 1800.0]
    assert labels(hs) == [Label.PARTIAL]


def test_a_part_above_the_rated_maximum_is_an_unknown_jump() -> None:
    """Rated 400 kW; final value 1110 after a reading of 110 at 00:15, replaced at 00:20: the
    old part would be 1000 kWh in 5 min (≤ 33.3 allowed), a typo rather than consumption —
    unknown (missing) and flagged jump. The new part 00:20–00:30 (0 → 5) counts 5."""
    iv = register_intervals(
        ts(0, 15, 30),
        vals(100, 110, 5),
        max_rate=400,
        replacements=[Replacement(at(20), old_final=1110, new_initial=0)],
    )
    assert iv.cls.tolist() == [MEASURED, MISSING, MEASURED]
    assert iv.flags[1] & Flag.JUMP
    assert consumption_hourly(iv, T0, T0 + H).value.tolist() == [15.0]


def test_replacements_only_the_new_meter_reads() -> None:
    """The point's readings start after its replacement (the old meter never sent any): the
    new part from the replacement at 00:10 (initial 1000) to 1004 at 00:15 counts 4 kWh;
    00:15–00:30 counts 6. Hour 0 = 10; before 00:10 and after 00:30 missing."""
    iv = register_intervals(
        ts(15, 30),
        vals(1004, 1010),
        replacements=[Replacement(at(10), old_final=77, new_initial=1000)],
    )
    hs = consumption_hourly(iv, T0, T0 + H)
    assert hs.value.tolist() == [10.0]
    assert hs.missing_s.tolist() == [600.0 + 1800.0]


def test_bidirectional_total_keeps_negative_parts() -> None:
    """A storage net register (``total``) replaced at 00:20: old 50 → 40 (00:15), final 35;
    new from 0 to −4 at 00:30. Parts −5 and −4 are valid drops: hour 0 = −10 − 5 − 4 = −19."""
    iv = register_intervals(
        ts(0, 15, 30),
        vals(50, 40, -4),
        bidirectional=True,
        replacements=[Replacement(at(20), old_final=35, new_initial=0)],
    )
    assert consumption_hourly(iv, T0, T0 + H).value.tolist() == [-19.0]


def test_order_of_readings_and_replacements_does_not_matter() -> None:
    t, v = ts(0, 15, 30, 45, 60), vals(1, 2, 40, 42, 47)
    events = [Replacement(at(20), 2.5, 39.0), Replacement(at(50), 43.0, 45.0)]
    order = np.array([4, 2, 0, 3, 1])
    a = consumption_hourly(register_intervals(t, v, replacements=events), T0, T0 + H)
    b = consumption_hourly(
        register_intervals(t[order], v[order], replacements=events[::-1]), T0, T0 + H
    )
    # 00:00–00:15: 1; 00:15–00:20: 2.5 − 2; 00:20–00:30: 40 − 39; 00:30–00:45: 2;
    # 00:45–00:50: 43 − 42; 00:50–01:00: 47 − 45 → 7.5
    assert a.value.tolist() == b.value.tolist() == [7.5]
