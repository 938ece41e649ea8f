"""The pure condition evaluators of the alarm engine: hold, hysteresis, late data, batches."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lingtan.alarms.conditions import (
    WINDOW_CAP,
    ConditionState,
    Deviation,
    RateOfChange,
    Threshold,
    Transition,
    budget,
    deviation,
    projected_month_total,
    rate_of_change,
    stale,
    threshold,
)

S = 1_000_000  # µs per second
T0 = 1_700_000_000 * S
DAY_S = 86_400.0


def at(*seconds: float) -> list[int]:
    """Instants T0 + seconds [µs]."""
    return [T0 + round(s * S) for s in seconds]


def kinds(transitions: list[Transition]) -> list[tuple[str, int]]:
    return [(t.what, (t.at - T0)) for t in transitions]


# ------------------------------------------------------------------------------------ threshold


def test_threshold_above_raises_at_first_violation_and_clears_when_back_inside() -> None:
    rule = Threshold("above", high=10.0)
    # 12 > 10 is the first violation (index 2); 9 <= 10 - 0 clears (index 4)
    state, out = threshold(
        rule, ConditionState(), at(0, 60, 120, 180, 240, 300), [1, 5, 12, 13, 9, 8]
    )
    assert out == [
        Transition("raise", T0 + 120 * S, 12.0, T0 + 120 * S, 12.0),
        # peak of the episode: max(12, 13) = 13
        Transition("clear", T0 + 240 * S, 9.0, T0 + 120 * S, 13.0),
    ]
    assert not state.active
    assert state.pending_since is None
    assert state.last_ts == T0 + 300 * S
    assert state.last_value == 8.0


def test_hold_raises_exactly_at_hold_seconds() -> None:
    rule = Threshold("above", high=10.0, hold_s=60)
    # violating from 0 s; at 60 s: 60 - 0 >= 60 -> raise, episode since 0 s, peak max(11,12,11)=12
    state, out = threshold(rule, ConditionState(), at(0, 30, 60), [11, 12, 11])
    assert out == [Transition("raise", T0 + 60 * S, 11.0, T0, 12.0)]
    assert state.active
    assert state.since == T0


def test_hold_one_microsecond_short_does_not_raise() -> None:
    rule = Threshold("above", high=10.0, hold_s=60)
    # last sample at 60 s - 1 µs: 59.999999 s < 60 s -> still pending since 0 s
    ts = [T0, T0 + 30 * S, T0 + 60 * S - 1]
    state, out = threshold(rule, ConditionState(), ts, [11, 12, 11])
    assert out == []
    assert not state.active
    assert state.pending_since == T0
    assert state.peak == 12.0


def test_non_violating_sample_resets_the_hold() -> None:
    rule = Threshold("above", high=10.0, hold_s=60)
    # 9 at 30 s resets; the new run starts at 40 s and completes at 100 s (100 - 40 = 60)
    _, out = threshold(rule, ConditionState(), at(0, 30, 40, 90, 100), [11, 9, 11, 11, 11])
    assert kinds(out) == [("raise", 100 * S)]
    assert out[0].since == T0 + 40 * S


def test_hysteresis_band_keeps_the_alarm_active_until_below_it() -> None:
    rule = Threshold("above", high=10.0, hysteresis=2.0)
    # clear needs value <= 10 - 2 = 8: 9.9 and 8.5 stay in the band, 8.0 clears
    state, out = threshold(rule, ConditionState(), at(0, 60, 120, 180), [11, 9.9, 8.5, 8.0])
    assert kinds(out) == [("raise", 0), ("clear", 180 * S)]
    state, out = threshold(rule, ConditionState(), at(0, 60, 120), [11, 9.9, 8.5])
    assert kinds(out) == [("raise", 0)]
    assert state.active


def test_oscillation_around_the_limit_inside_the_band_does_not_flap() -> None:
    values = [9.5, 10.5] * 20  # around high = 10, never below 10 - 1 = 9 once raised
    ts = at(*range(0, 40 * 60, 60))
    _, out = threshold(Threshold("above", high=10.0, hysteresis=1.0), ConditionState(), ts, values)
    assert kinds(out) == [("raise", 60 * S)]
    # without hysteresis every 10.5 raises and every 9.5 after it clears: 20 raises, 19 clears
    _, flappy = threshold(Threshold("above", high=10.0), ConditionState(), ts, values)
    assert len(flappy) == 39


def test_below_and_outside() -> None:
    _, out = threshold(
        Threshold("below", low=5.0, hysteresis=1.0),
        ConditionState(),
        at(0, 1, 2, 3),
        [6, 4, 5.5, 6],
    )
    # 4 < 5 raises; 5.5 < 5 + 1 keeps; 6 >= 6 clears; peak is the lowest value, 4
    assert kinds(out) == [("raise", 1 * S), ("clear", 3 * S)]
    assert out[1].peak == 4.0
    rule = Threshold("outside", low=0.0, high=10.0, hysteresis=1.0)
    values = [5, 11, 9.5, -3, 0.5, 1.0, 12]
    _, out = threshold(rule, ConditionState(), at(0, 1, 2, 3, 4, 5, 6), values)
    # 11 raises; 9.5 (> 9) and -3, 0.5 (< 1) keep; 1.0 is inside [1, 9] and clears; 12 raises
    assert kinds(out) == [("raise", 1 * S), ("clear", 5 * S), ("raise", 6 * S)]
    # worst of the first episode: 11 is 1 above high, -3 is 3 below low -> -3
    assert out[1].peak == -3.0


def test_resent_and_late_samples_are_ignored() -> None:
    rule = Threshold("above", high=10.0)
    state, out = threshold(rule, ConditionState(), at(0, 60), [1, 2])
    assert out == []
    # 0 s and 30 s are not newer than last_ts = 60 s: their violations are not live
    state, out = threshold(rule, state, at(0, 30, 60, 120), [50, 50, 50, 3])
    assert out == []
    assert state.last_ts == T0 + 120 * S
    # a repeated timestamp inside a batch: the first occurrence counts
    _, out = threshold(rule, ConditionState(), at(0, 0, 60), [1, 50, 2])
    assert out == []


def test_nan_samples_give_no_judgement() -> None:
    rule = Threshold("above", high=10.0, hold_s=60)
    # NaN at 30 s neither resets the hold nor clears; 60 - 0 >= 60 raises
    state, out = threshold(rule, ConditionState(), at(0, 30, 60), [11, math.nan, 11])
    assert kinds(out) == [("raise", 60 * S)]
    state, out = threshold(rule, state, at(90), [math.inf])
    assert out == []
    assert state.active
    assert state.last_ts == T0 + 90 * S
    assert state.last_value == 11.0


def test_several_transitions_in_one_batch() -> None:
    rule = Threshold("above", high=10.0, hold_s=10)
    values = [11, 11, 1, 11, 11, 1, 11, 11]
    # raise at 10 s (10-0), clear at 20 s, raise at 40 s (40-30), clear at 50 s, raise at 70 s
    _, out = threshold(rule, ConditionState(), at(0, 10, 20, 30, 40, 50, 60, 70), values)
    assert kinds(out) == [
        ("raise", 10 * S),
        ("clear", 20 * S),
        ("raise", 40 * S),
        ("clear", 50 * S),
        ("raise", 70 * S),
    ]
    assert [t.since - T0 for t in out] == [0, 0, 30 * S, 30 * S, 60 * S]


def test_state_round_trip_through_json_mid_episode_matches_one_batch() -> None:
    rule = Threshold("above", high=10.0, hold_s=60, hysteresis=1.0)
    ts = at(0, 20, 40, 60, 80, 100, 120)
    values = [11, 14, 12, 11, 9.5, 8.9, 20]
    whole_state, whole = threshold(rule, ConditionState(), ts, values)
    # split inside the pending hold (after 20 s) and again inside the active episode (after 80 s)
    state = ConditionState()
    parts: list[Transition] = []
    for lo, hi in ((0, 2), (2, 5), (5, 7)):
        state, out = threshold(rule, state, ts[lo:hi], values[lo:hi])
        parts += out
        state = ConditionState.from_json(json.loads(json.dumps(state.to_json())))
    assert parts == whole
    # raise at 60 s (hold since 0 s) with peak 14; 8.9 <= 9 clears at 100 s; 20 starts a hold
    assert whole == [
        Transition("raise", T0 + 60 * S, 11.0, T0, 14.0),
        Transition("clear", T0 + 100 * S, 8.9, T0, 14.0),
    ]
    assert state == whole_state
    assert state.pending_since == T0 + 120 * S


def test_json_is_compact_and_round_trips() -> None:
    assert ConditionState().to_json() == {}
    full = ConditionState(True, 1, None, 5, 2.5, 9.0, [(3, 1.0), (5, 2.5)])
    data = full.to_json()
    assert "pending_since" not in data
    assert ConditionState.from_json(json.loads(json.dumps(data))) == full
    assert ConditionState.from_json(None) == ConditionState()


# ------------------------------------------------------------------------------- rate of change


def test_rate_of_change_rise_within_window() -> None:
    rule = RateOfChange(max_step=5.0, within_s=60, direction="rise")
    ts = at(0, 30, 60, 90, 120)
    values = [10, 12, 18, 19, 20]
    state, out = rate_of_change(rule, ConditionState(), ts, values)
    # 60 s: window [0, 60) = {10, 12}: 18 - 10 = 8 > 5 raises
    # 90 s: window [30, 90) = {12, 18}: 19 - 12 = 7 > 5 keeps
    # 120 s: window [60, 120) = {18, 19}: 20 - 18 = 2 clears; peak = max(8, 7) = 8
    assert out == [
        Transition("raise", T0 + 60 * S, 18.0, T0 + 60 * S, 8.0),
        Transition("clear", T0 + 120 * S, 20.0, T0 + 60 * S, 8.0),
    ]
    assert not state.active


def test_rate_of_change_window_includes_its_left_edge_and_direction_matters() -> None:
    ts = at(0, 60)
    # 60 s - 60 s = 0 s is inside [ts - within, ts): 0 -> 10 is a rise of 10 > 5
    _, out = rate_of_change(RateOfChange(5.0, 60, "rise"), ConditionState(), ts, [0, 10])
    assert kinds(out) == [("raise", 60 * S)]
    _, out = rate_of_change(RateOfChange(5.0, 60, "fall"), ConditionState(), ts, [0, 10])
    assert out == []
    _, out = rate_of_change(RateOfChange(5.0, 60, "either"), ConditionState(), ts, [10, 0])
    assert kinds(out) == [("raise", 60 * S)]
    # 1 µs later the 0 s sample has left the window
    _, out = rate_of_change(
        RateOfChange(5.0, 60, "rise"), ConditionState(), [T0, T0 + 60 * S + 1], [0, 10]
    )
    assert out == []


def test_rate_of_change_window_carries_across_batches_and_stays_bounded() -> None:
    rule = RateOfChange(max_step=5.0, within_s=60, direction="fall")
    state, out = rate_of_change(rule, ConditionState(), at(0, 30), [100, 90])
    # 30 s: 100 - 90 = 10 > 5 raises
    assert kinds(out) == [("raise", 30 * S)]
    # window kept for the next batch: (0 s, 100) and (30 s, 90) are both newer than 30 - 60 s
    assert state.window == [(T0, 100.0), (T0 + 30 * S, 90.0)]
    state, out = rate_of_change(rule, state, at(50, 100), [96, 95])
    # 50 s: window {100, 90}: 100 - 96 = 4 <= 5 clears
    # 100 s: window [40, 100) = {96}: 96 - 95 = 1, no violation
    assert kinds(out) == [("clear", 50 * S)]
    # a rising series is kept whole (each sample is a later minimum), bounded by the window
    ts = at(*range(2000))
    state, _ = rate_of_change(rule, ConditionState(), ts, np.arange(2000.0))
    # kept: samples newer than 1999 + 1 µs - 60 s -> 1940 s .. 1999 s, 60 samples
    assert len(state.window) == 60
    # with a window longer than the series, only the newest WINDOW_CAP samples are kept
    long_rule = RateOfChange(max_step=5.0, within_s=10_000, direction="fall")
    state, _ = rate_of_change(long_rule, ConditionState(), ts, np.arange(2000.0))
    assert len(state.window) == WINDOW_CAP
    assert state.window[0] == (T0 + (2000 - WINDOW_CAP) * S, float(2000 - WINDOW_CAP))


def test_rate_of_change_hold() -> None:
    rule = RateOfChange(max_step=5.0, within_s=100, direction="rise", hold_s=20)
    # 10 s violates (10 - 0), 20 s violates (12 - 0) but only 10 s held, 30 s (14 - 0): 20 s held
    _, out = rate_of_change(rule, ConditionState(), at(0, 10, 20, 30), [0, 10, 12, 14])
    assert kinds(out) == [("raise", 30 * S)]
    assert out[0].since == T0 + 10 * S
    assert out[0].peak == 14.0


# ------------------------------------------------------------------------------------ deviation


def test_deviation_with_zero_expected_uses_min_abs() -> None:
    rule = Deviation(max_pct=10.0, min_abs=2.0)
    # e = 0: limit = max(2, 10% of 0) = 2; |1.5| <= 2 no, |3| > 2 raises, |2| <= 2 clears
    _, out = deviation(rule, ConditionState(), at(0, 1, 2), [1.5, 3.0, 2.0], [0, 0, 0])
    assert kinds(out) == [("raise", 1 * S), ("clear", 2 * S)]
    assert out[0].peak == 3.0


def test_deviation_percent_and_hysteresis() -> None:
    rule = Deviation(max_pct=10.0, min_abs=2.0, hysteresis_pct=5.0)
    # e = 100: violate when |a - e| > max(2, 10) = 10, clear when <= max(2, 5) = 5
    actual = [110, 111, 106, 105]
    _, out = deviation(rule, ConditionState(), at(0, 1, 2, 3), actual, [100] * 4)
    # 10 is not > 10; 11 raises; 6 > 5 keeps; 5 clears; peak 11
    assert kinds(out) == [("raise", 1 * S), ("clear", 3 * S)]
    assert out[1] == Transition("clear", T0 + 3 * S, 105.0, T0 + 1 * S, 11.0)


def test_deviation_nan_on_either_side_is_no_judgement() -> None:
    rule = Deviation(max_pct=10.0)
    state, out = deviation(
        rule, ConditionState(), at(0, 1, 2), [200, math.nan, 100], [100, 100, math.nan]
    )
    # only 0 s is judged: |200 - 100| = 100 > 10 raises; 1 s and 2 s change nothing
    assert kinds(out) == [("raise", 0)]
    assert state.active
    assert state.last_ts == T0 + 2 * S
    assert state.last_value == 200.0


# ----------------------------------------------------------------------------- stale and budget


def test_stale_after_factor_times_interval() -> None:
    # interval 60 s x factor 3 = 180 s
    assert not stale(T0, T0 + 180 * S, 60, 3)
    assert stale(T0, T0 + 180 * S + 1, 60, 3)
    assert stale(None, T0, 60, 3)


def test_projected_month_total_is_linear() -> None:
    # 400 MWh in 10 of 30 days -> 400 x 30 / 10 = 1200 MWh
    assert projected_month_total(400.0, 10 * DAY_S, 30 * DAY_S) == pytest.approx(1200.0)
    assert projected_month_total(50.0, 30 * DAY_S, 30 * DAY_S) == 50.0
    with pytest.raises(ValueError, match="elapsed_s"):
        projected_month_total(1.0, 0.0, 30 * DAY_S)
    with pytest.raises(ValueError, match="elapsed_s"):
        projected_month_total(1.0, 31 * DAY_S, 30 * DAY_S)


def test_budget_raises_on_projection_and_clears_below_hysteresis() -> None:
    month = 30 * DAY_S
    # day 10: 400 x 30 / 10 = 1200 > 1000 x 100% raises
    state, out = budget(ConditionState(), T0, 400.0, 10 * DAY_S, month, 1000.0, hysteresis_pct=10)
    assert kinds(out) == [("raise", 0)]
    assert out[0].since == T0
    assert out[0].value == pytest.approx(1200.0)
    assert out[0].peak == pytest.approx(1200.0)
    # day 15: 480 x 30 / 15 = 960 > 900 (= 1000 x 90%) keeps it active
    state, out = budget(state, T0 + 1, 480.0, 15 * DAY_S, month, 1000.0, hysteresis_pct=10)
    assert out == []
    assert state.active
    # day 20: 590 x 30 / 20 = 885 <= 900 clears; peak 1200
    state, out = budget(state, T0 + 2, 590.0, 20 * DAY_S, month, 1000.0, hysteresis_pct=10)
    assert kinds(out) == [("clear", 2)]
    assert out[0].value == pytest.approx(885.0)
    assert out[0].peak == pytest.approx(1200.0)
    assert not state.active


def test_budget_waits_for_min_elapsed_unless_target_already_exceeded() -> None:
    month = 30 * DAY_S
    # 12 h in: 100 would project to 100 x 60 = 6000, but the month is too young to judge
    state, out = budget(ConditionState(), T0, 100.0, DAY_S / 2, month, 1000.0)
    assert out == []
    assert not state.active
    # 1001 > 1000 used already: raise at once
    state, out = budget(state, T0 + 1, 1001.0, DAY_S / 2, month, 1000.0)
    assert kinds(out) == [("raise", 1)]
    # a call for an instant already judged changes nothing
    again, out = budget(state, T0 + 1, 0.0, DAY_S / 2, month, 1000.0)
    assert out == []
    assert again == state


# ----------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Threshold("above"), "high"),
        (lambda: Threshold("below", high=1.0), "low"),
        (lambda: Threshold("outside", high=1.0), "low"),
        (lambda: Threshold("outside", high=1.0, low=1.0), "low"),
        (lambda: Threshold("above", high=1.0, hold_s=-1), "hold_s"),
        (lambda: Threshold("above", high=1.0, hysteresis=-0.5), "hysteresis"),
        (lambda: Threshold("outside", low=0.0, high=4.0, hysteresis=2.0), "hysteresis"),
        (lambda: Threshold("above", high=math.nan), "high"),
        (lambda: Threshold("over", high=1.0), "op"),  # type: ignore[arg-type]
        (lambda: RateOfChange(0.0, 60), "max_step"),
        (lambda: RateOfChange(1.0, 0), "within_s"),
        (lambda: RateOfChange(1.0, 60, "up"), "direction"),  # type: ignore[arg-type]
        (lambda: RateOfChange(1.0, 60, hold_s=-1), "hold_s"),
        (lambda: Deviation(0.0), "max_pct"),
        (lambda: Deviation(10.0, min_abs=-1), "min_abs"),
        (lambda: Deviation(10.0, hysteresis_pct=10.0), "hysteresis_pct"),
        (lambda: stale(T0, T0, 0, 3), "interval_s"),
        (lambda: stale(T0, T0, 60, 0), "factor"),
        (lambda: budget(ConditionState(), T0, 1.0, DAY_S, 30 * DAY_S, 0.0), "target"),
        (lambda: budget(ConditionState(), T0, 1.0, -1.0, 30 * DAY_S, 10.0), "elapsed_s"),
        (
            lambda: budget(ConditionState(), T0, 1.0, DAY_S, 30 * DAY_S, 10.0, hysteresis_pct=100),
            "hysteresis_pct",
        ),
    ],
)
def test_invalid_parameters_name_the_field(make: object, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make()  # type: ignore[operator]


def test_unsorted_or_mismatched_series_are_rejected() -> None:
    rule = Threshold("above", high=1.0)
    with pytest.raises(ValueError, match="sorted"):
        threshold(rule, ConditionState(), at(1, 0), [0, 0])
    with pytest.raises(ValueError, match="same length"):
        threshold(rule, ConditionState(), at(0, 1), [0])


# ------------------------------------------------------------------------- batching invariance


def _split_run(
    evaluate: object, ts: list[int], columns: list[list[float]], cuts: list[int]
) -> tuple[ConditionState, list[Transition]]:
    state = ConditionState()
    out: list[Transition] = []
    bounds = [0, *sorted(set(cuts)), len(ts)]
    for lo, hi in itertools.pairwise(bounds):
        args = [col[lo:hi] for col in columns]
        state, part = evaluate(state, ts[lo:hi], *args)  # type: ignore[operator]
        out += part
        state = ConditionState.from_json(json.loads(json.dumps(state.to_json())))
    return state, out


series = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=15),  # gap to the previous sample [s], 0 = repeat
        st.one_of(st.integers(min_value=-5, max_value=25).map(float), st.just(math.nan)),
        st.integers(min_value=-5, max_value=25).map(float),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(series, st.lists(st.integers(min_value=0, max_value=60), max_size=6), st.data())
def test_splitting_into_batches_gives_the_same_transitions(
    rows: list[tuple[int, float, float]], cuts: list[int], data: st.DataObject
) -> None:
    ts = list(np.cumsum([g for g, _, _ in rows]) * S + T0)
    ts = [int(t) for t in ts]
    values = [v for _, v, _ in rows]
    expected = [e for _, _, e in rows]
    cuts = [c for c in cuts if c <= len(ts)]
    hold = data.draw(st.sampled_from([0, 10, 25]))
    rules = [
        lambda s, t, v: threshold(
            Threshold("above", high=10.0, hold_s=hold, hysteresis=2), s, t, v
        ),
        lambda s, t, v: threshold(Threshold("outside", low=0, high=20, hold_s=hold), s, t, v),
        lambda s, t, v: rate_of_change(RateOfChange(6.0, 45, "either", hold_s=hold), s, t, v),
        lambda s, t, v, e: deviation(Deviation(20.0, min_abs=3, hold_s=hold), s, t, v, e),
    ]
    for i, rule in enumerate(rules):
        columns = [values, expected] if i == 3 else [values]
        whole_state, whole = _split_run(rule, ts, columns, [])
        split_state, split = _split_run(rule, ts, columns, cuts)
        assert split == whole
        assert split_state == whole_state


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([1, 2, 5, 8, 10, 20]), st.integers(min_value=-20, max_value=20)),
        min_size=1,
        max_size=200,
    ),
    st.sampled_from(["rise", "fall", "either"]),
)
def test_rate_of_change_matches_a_sample_by_sample_reference(
    rows: list[tuple[int, int]], direction: str
) -> None:
    ts = [T0 + int(t) * S for t in np.cumsum([g for g, _ in rows])]
    values = [float(v) for _, v in rows]
    within_us = 40 * S
    # reference: compare each sample with every earlier one in [ts - 40 s, ts), then hold 0
    # means raise on the first violating sample and clear on the first non-violating one
    expected: list[tuple[str, int]] = []
    active = False
    for k, (t, v) in enumerate(zip(ts, values, strict=True)):
        olds = [values[j] for j in range(k) if t - within_us <= ts[j] < t]
        rise = any(v - o > 7 for o in olds)
        fall = any(o - v > 7 for o in olds)
        bad = {"rise": rise, "fall": fall, "either": rise or fall}[direction]
        if bad != active:
            expected.append(("raise" if bad else "clear", t - T0))
            active = bad
    rule = RateOfChange(max_step=7.0, within_s=40, direction=direction)  # type: ignore[arg-type]
    _, out = rate_of_change(rule, ConditionState(), ts, values)
    assert kinds(out) == expected
