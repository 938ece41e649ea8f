"""Conservation of energy through normalisation (Hypothesis).

For any register series — with gaps, resets, rollovers, duplicates and any arrival order — the
hourly consumption sums to the register's advance adjusted for resets and rollovers, computed
here by a deliberately simple reference walk over the sorted, de-duplicated readings. Across
documented meter replacements it sums to each meter's advance from its initial to its final
value, accumulated while the series is drawn.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lingtan.normalize.hourly import consumption_hourly
from lingtan.normalize.intervals import Replacement, register_intervals
from lingtan.readings import Reading
from lingtan.timeutil import HOUR_US, floor_hour

T0 = 1_735_689_600_000_000
MIN = 60_000_000
REGISTER_MAX = 100_000.0


@st.composite
def register_series(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float]:
    """A meter's readings: steps of 1–240 min, consumption 0–50 per step, occasional resets
    to a small value (a replaced meter), and a register that wraps at 100000 (the series may
    start just below the top)."""
    n = draw(st.integers(min_value=2, max_value=60))
    multiplier = draw(st.sampled_from([1.0, 40.0, 0.5]))
    t = T0 + draw(st.integers(0, 59)) * MIN
    v = draw(
        st.one_of(
            st.floats(0, 90_000, allow_nan=False),
            st.floats(REGISTER_MAX - 300, REGISTER_MAX - 0.5, allow_nan=False),
        )
    )
    stamps, values = [], []
    for _ in range(n):
        stamps.append(t)
        values.append(v)
        t += draw(st.integers(1, 240)) * MIN
        if draw(st.integers(0, 9)) == 0 and v > 1000:
            v = draw(st.floats(0, 50, allow_nan=False))  # replaced meter starts low
        else:
            v = (v + draw(st.floats(0, 50, allow_nan=False))) % REGISTER_MAX
    return np.array(stamps, np.int64), np.array(values, np.float64), multiplier


def reference_advance(ts: np.ndarray, raw: np.ndarray, multiplier: float) -> float:
    """Register advance adjusted for rollovers; the span across a reset counts nothing."""
    order = np.argsort(ts)
    v = raw[order]
    total = 0.0
    for a, b in itertools.pairwise(v.tolist()):
        d = b - a
        if d >= 0:
            total += d
        elif d + REGISTER_MAX <= 0.1 * REGISTER_MAX:
            total += d + REGISTER_MAX
    return total * multiplier


def hours_covering(ts: np.ndarray) -> tuple[int, int]:
    return floor_hour(int(ts.min())), floor_hour(int(ts.max())) + HOUR_US


@settings(max_examples=300, deadline=None)
@given(register_series(), st.randoms(use_true_random=False), st.integers(0, 10))
def test_hourly_sum_equals_adjusted_advance(series, rnd, n_dupes) -> None:  # type: ignore[no-untyped-def]
    ts, raw, multiplier = series
    expected = reference_advance(ts, raw, multiplier)
    # duplicates and arrival order: the store keeps one row per (point, ts); emulate it
    idx = list(range(len(ts))) + [rnd.randrange(len(ts)) for _ in range(n_dupes)]
    rnd.shuffle(idx)
    shuffled_ts, shuffled_raw = ts[idx], raw[idx]
    uniq_ts, first = np.unique(shuffled_ts, return_index=True)
    iv = register_intervals(
        uniq_ts, shuffled_raw[first], multiplier=multiplier, register_max=REGISTER_MAX
    )
    h0, h1 = hours_covering(ts)
    hs = consumption_hourly(iv, h0, h1)
    got = float(np.nansum(hs.value))
    assert abs(got - expected) <= 1e-9 * max(1.0, abs(expected)) * len(ts) + 1e-6
    assert (np.nan_to_num(hs.value) >= -1e-9).all()
    shares = hs.measured_s + hs.estimated_s + hs.missing_s
    assert np.allclose(shares, 3600.0)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(register_series(), st.randoms(use_true_random=False))
def test_conservation_through_the_store(tmp_path_factory, series, rnd) -> None:  # type: ignore[no-untyped-def]
    """The same property end to end: shuffled chunks through ingest, then the normaliser."""
    from lingtan.ingest import ingest
    from lingtan.normalize.service import normalise_pending
    from lingtan.registry import parse_park_text
    from lingtan.store import open_store

    ts, raw, multiplier = series
    expected = reference_advance(ts, raw, multiplier)
    db = tmp_path_factory.mktemp("prop") / "p.db"
    store = open_store(f"sqlite:///{db}")
    store.registry.save_park(
        parse_park_text(
            "park: {id: p, name: P, province: 江苏}\npoints:\n"
            "  - {id: m, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, "
            f"register_max: {REGISTER_MAX}, multiplier: {multiplier}}}\n"
        )
    )
    readings = [
        Reading("m", dt.datetime.fromtimestamp(int(t) / 1e6, dt.UTC), float(v))
        for t, v in zip(ts, raw, strict=True)
    ]
    readings += rnd.sample(readings, min(3, len(readings)))  # re-sent duplicates
    rnd.shuffle(readings)
    cut = rnd.randrange(1, len(readings))
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    ingest(store, readings[:cut], now=now)
    normalise_pending(store)  # a first pass on partial data, then the late rest
    ingest(store, readings[cut:], now=now)
    normalise_pending(store)
    pid = store.registry.points_by_code()["m"].id
    h0, h1 = hours_covering(ts)
    rows = store.stats.hours(None, [pid], h0, h1)[pid]
    got = float(np.nansum(rows["value"]))
    store.close()
    assert abs(got - expected) <= 1e-9 * max(1.0, abs(expected)) * len(ts) + 1e-6


@st.composite
def replaced_series(
    draw: st.DrawFn,
) -> tuple[np.ndarray, np.ndarray, float, list[Replacement], float]:
    """A register whose meter is replaced now and then between two readings (or at the
    instant of the next one), the new meter starting from any value and with any ratio; and
    the energy the meters counted: Σ advance × ratio, and at each replacement (final − last
    old reading) × old ratio + (first new reading − initial) × new ratio."""
    n = draw(st.integers(min_value=2, max_value=40))
    first_ratio = ratio = draw(st.sampled_from([1.0, 40.0, 0.5]))
    t = T0 + draw(st.integers(0, 59)) * MIN
    v = draw(st.floats(0, 90_000, allow_nan=False))
    stamps, values, events = [], [], []
    energy = 0.0
    for k in range(n):
        stamps.append(t)
        values.append(v)
        if k == n - 1:
            break
        step = draw(st.integers(1, 240))
        if draw(st.integers(0, 4)) == 0:
            old_final = v + draw(st.floats(0, 50, allow_nan=False))
            new_initial = draw(st.floats(0, 5_000, allow_nan=False))
            new_ratio = draw(st.sampled_from([None, 1.0, 80.0]))
            at = t + draw(st.integers(1, step)) * MIN  # == next reading: read at the swap
            events.append(Replacement(at, old_final, new_initial, new_ratio))
            energy += (old_final - v) * ratio
            ratio = ratio if new_ratio is None else new_ratio
            nxt = new_initial + draw(st.floats(0, 50, allow_nan=False))
            energy += (nxt - new_initial) * ratio
        else:
            nxt = v + draw(st.floats(0, 50, allow_nan=False))
            energy += (nxt - v) * ratio
        v = nxt
        t += step * MIN
    return np.array(stamps, np.int64), np.array(values, np.float64), first_ratio, events, energy


@settings(max_examples=300, deadline=None)
@given(replaced_series(), st.randoms(use_true_random=False))
def test_hourly_sum_across_replacements_is_what_the_meters_counted(series, rnd) -> None:  # type: ignore[no-untyped-def]
    ts, raw, multiplier, events, expected = series
    idx = list(range(len(ts)))
    rnd.shuffle(idx)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    iv = register_intervals(ts[idx], raw[idx], multiplier=multiplier, replacements=shuffled)
    h0, h1 = hours_covering(ts)
    hs = consumption_hourly(iv, h0, h1)
    got = float(np.nansum(hs.value))
    assert abs(got - expected) <= 1e-9 * max(1.0, abs(expected)) * len(ts) + 1e-6
    assert (np.nan_to_num(hs.value) >= -1e-9).all()
    assert np.allclose(hs.measured_s + hs.estimated_s + hs.missing_s, 3600.0)
    # every reading is counted once, whichever meter it belongs to
    assert int(hs.n.sum()) == len(ts)
