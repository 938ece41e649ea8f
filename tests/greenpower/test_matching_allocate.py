"""Hourly matching core: hand-solved allocations, storage carry-over, certificates spread over
their month, and the invariants (conservation, no double count) on random inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lingtan.errors import InvalidInput
from lingtan.greenpower.matching import (
    MatchingInput,
    StorageFlows,
    cfe_score,
    match_hourly,
    match_monthly,
    track_green_share,
)
from lingtan.greenpower.matching.allocate import month_index
from lingtan.greenpower.matching.spread import spread_over_month_hours


def a(*rows: list[float]) -> np.ndarray:
    return np.array(rows, dtype=float)


def test_pooled_supply_pro_rata_by_load() -> None:
    """Loads A=30, B=10 kWh, park PV 20 kWh: A takes 20·30/40 = 15, B 20·10/40 = 5."""
    r = match_hourly(MatchingInput(load=a([30.0], [10.0]), pooled={"pv": np.array([20.0])}))
    assert r.matched["pv"][:, 0].tolist() == [15.0, 5.0]
    assert r.unmatched["pv"].tolist() == [0.0]
    assert cfe_score(r.matched_total, r.load) == pytest.approx(20 / 40)


def test_pooled_supply_by_priority() -> None:
    """Same hour, B served first: B takes its 10, A the remaining 10 of 20."""
    r = match_hourly(
        MatchingInput(
            load=a([30.0], [10.0]),
            pooled={"pv": np.array([20.0])},
            rule="priority",
            priority=[1, 0],
        )
    )
    assert r.matched["pv"][:, 0].tolist() == [10.0, 10.0]


def test_surplus_stays_unmatched() -> None:
    """PV 50 against loads 30 + 10: both fully covered, 10 kWh unmatched."""
    r = match_hourly(MatchingInput(load=a([30.0], [10.0]), pooled={"pv": np.array([50.0])}))
    assert r.matched["pv"][:, 0].tolist() == [30.0, 10.0]
    assert r.unmatched["pv"].tolist() == [10.0]


def test_dedicated_supply_serves_only_its_owner() -> None:
    """A's own PV 40 against A's load 30: 30 matched, 10 unmatched, nothing to B."""
    r = match_hourly(MatchingInput(load=a([30.0], [10.0]), dedicated={"pv": a([40.0], [0.0])}))
    assert r.matched["pv"][:, 0].tolist() == [30.0, 0.0]
    assert r.unmatched["pv"].tolist() == [10.0]


def test_a_kwh_is_never_counted_twice_across_sources() -> None:
    """A's load 30 kWh, own PV 20, a trade of 20: PV first (20), the trade covers the
    remaining 10, the other 10 of the trade is unmatched; CFE 100 %, not 133 %."""
    r = match_hourly(MatchingInput(load=a([30.0]), dedicated={"pv": a([20.0]), "trade": a([20.0])}))
    assert r.matched["pv"][0, 0] == 20.0
    assert r.matched["trade"][0, 0] == 10.0
    assert r.unmatched["trade"][0] == 10.0
    assert r.cfe() == 1.0


def test_storage_carries_green_energy_to_a_later_hour() -> None:
    """η = 0.9. Hour 0: park PV 100, load 40 → 60 left; the storage charges 50, all green:
    stored 45, loss 5, PV unmatched 10. Hour 2: discharge 30 of a fully green store against a
    load of 50 → 30 matched; 15 kWh stay stored, all green."""
    flows = StorageFlows(
        charge=np.array([50.0, 0.0, 0.0]), discharge=np.array([0.0, 0.0, 30.0]), efficiency=0.9
    )
    r = match_hourly(
        MatchingInput(
            load=a([40.0, 0.0, 50.0]), pooled={"pv": np.array([100.0, 0.0, 0.0])}, storage=flows
        )
    )
    assert r.matched["pv"][0].tolist() == [40.0, 0.0, 0.0]
    assert r.unmatched["pv"].tolist() == [10.0, 0.0, 0.0]
    assert r.matched["storage"][0].tolist() == pytest.approx([0.0, 0.0, 30.0])
    assert r.storage is not None
    assert r.storage.green_loss.sum() == pytest.approx(5.0)
    assert (r.storage.end_energy, r.storage.end_green) == pytest.approx((15.0, 15.0))
    assert r.residual[0].tolist() == pytest.approx([0.0, 0.0, 20.0])


def test_storage_charged_partly_from_the_grid_discharges_its_green_share() -> None:
    """Charge 50 with only 20 green available, η = 0.9: stored 45 of which 18 green (40 %).
    A discharge of 30 carries 30 × 0.4 = 12 green; 6 green remain of 15 stored."""
    result = track_green_share(
        StorageFlows(charge=np.array([50.0, 0.0]), discharge=np.array([0.0, 30.0]), efficiency=0.9),
        np.array([20.0, 0.0]),
    )
    assert result.green_out.tolist() == pytest.approx([0.0, 12.0])
    assert (result.end_energy, result.end_green) == pytest.approx((15.0, 6.0))


def test_storage_discharge_beyond_its_content_is_not_green_and_is_reported() -> None:
    """Empty store discharging 10: nothing green, 10 kWh reported unexplained."""
    result = track_green_share(
        StorageFlows(charge=np.zeros(1), discharge=np.array([10.0]), efficiency=0.9),
        np.zeros(1),
    )
    assert result.green_out.tolist() == [0.0]
    assert result.unexplained.tolist() == [10.0]


def test_certificates_spread_over_the_hours_of_their_production_month() -> None:
    """1 000 kWh produced in February 2026 (672 hours) and 744 kWh in December 2025 (outside
    the matched hours): each February hour gets 1000/672, March none, 744 kWh are reported."""
    feb, mar, dec = 2026 * 12 + 1, 2026 * 12 + 2, 2025 * 12 + 11
    hour_months = np.array([feb] * 672 + [mar] * 744)
    hourly, outside = spread_over_month_hours([feb, dec], [1000.0, 744.0], hour_months)
    assert hourly[:672] == pytest.approx(np.full(672, 1000 / 672))
    assert hourly[672:].tolist() == [0.0] * 744
    assert outside == 744.0


def test_local_months_of_utc_hours() -> None:
    """2026-01-31T16:00Z is 2026-02-01 00:00 in Asia/Shanghai (UTC+8): February."""
    hour = 1_769_875_200_000_000  # 2026-01-31T16:00:00Z
    keys, inverse = month_index(np.array([hour - 3_600_000_000, hour]), 8 * 3_600_000_000)
    assert keys.tolist() == [2026 * 12 + 0, 2026 * 12 + 1]
    assert inverse.tolist() == [0, 1]


def test_monthly_matching_shows_the_gap_hourly_matching_closes() -> None:
    """Two hours of one month: PV 20 at noon with load 10, none at night with load 10.
    Hourly: 10 matched (CFE 50 %); monthly: 20 against 20 (CFE 100 %); gap 10 kWh."""
    data = MatchingInput(load=a([10.0, 10.0]), pooled={"pv": np.array([20.0, 0.0])})
    hourly = match_hourly(data)
    monthly = match_monthly(data, hourly, np.array([0, 0]), 1)
    assert hourly.matched_total.sum() == 10.0
    assert monthly.matched_total.sum() == 20.0


def test_monthly_matching_offers_stored_pv_once() -> None:
    """Load [0, 20], park PV [10, 0]; the storage charges 10 in hour 0 and discharges 10 in
    hour 1 (η = 1). Hourly: hour 0 has no load, the 10 kWh of PV go into the store; hour 1
    takes the 10 green kWh discharged → 10 of 20 matched, CFE 0.5. Monthly: the PV that went
    into the store is offered only as the discharge, so 10 of 20 again, CFE 0.5 (not 20/20)."""
    data = MatchingInput(
        load=a([0.0, 20.0]),
        pooled={"pv": np.array([10.0, 0.0])},
        storage=StorageFlows(np.array([10.0, 0.0]), np.array([0.0, 10.0]), efficiency=1.0),
    )
    hourly = match_hourly(data)
    monthly = match_monthly(data, hourly, np.array([0, 0]), 1)
    assert hourly.cfe() == pytest.approx(0.5)
    assert monthly.cfe() == pytest.approx(0.5)
    assert monthly.supply["pv"].sum() + monthly.supply["storage"].sum() == pytest.approx(10.0)


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        match_hourly(MatchingInput(load=a([-1.0])))
    assert err.value.field == "load"
    with pytest.raises(InvalidInput) as err:
        match_hourly(MatchingInput(load=a([1.0]), pooled={"pv": np.array([1.0, 2.0])}))
    assert err.value.field == "pooled.pv"
    with pytest.raises(InvalidInput) as err:
        match_hourly(MatchingInput(load=a([1.0]), rule="priority", priority=[0, 0]))
    assert err.value.field == "priority"
    with pytest.raises(InvalidInput) as err:
        track_green_share(StorageFlows(np.zeros(1), np.zeros(1), efficiency=1.2), np.zeros(1))
    assert err.value.field == "efficiency"


energy = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def inputs(draw: st.DrawFn) -> MatchingInput:
    c = draw(st.integers(1, 4))
    h = draw(st.integers(1, 12))
    load = draw(arrays(np.float64, (c, h), elements=energy))
    dedicated = {
        k: draw(arrays(np.float64, (c, h), elements=energy))
        for k in draw(st.sets(st.sampled_from(["pv", "direct", "trade", "certificate"])))
    }
    pooled = {
        k: draw(arrays(np.float64, (h,), elements=energy))
        for k in draw(st.sets(st.sampled_from(["pv", "trade", "certificate"])))
    }
    storage = None
    if draw(st.booleans()):
        storage = StorageFlows(
            charge=draw(arrays(np.float64, (h,), elements=energy)),
            discharge=draw(arrays(np.float64, (h,), elements=energy)),
            efficiency=draw(st.floats(0.5, 1.0)),
        )
    rule = draw(st.sampled_from(["pro_rata", "priority"]))
    priority = draw(st.permutations(range(c))) if rule == "priority" else None
    return MatchingInput(load, dedicated, pooled, storage, rule, priority)


@settings(max_examples=150, deadline=None)
@given(inputs())
def test_matching_conserves_energy_and_never_double_counts(data: MatchingInput) -> None:
    r = match_hourly(data)
    tol = 1e-9 * (1 + float(data.load.sum()) + sum(float(v.sum()) for v in data.pooled.values()))
    total = np.zeros_like(data.load)
    for kind, m in r.matched.items():
        assert (m >= -tol).all()
        # no kWh of a source goes to two consumers: Σ_c matched ≤ supply, every hour
        assert (m.sum(axis=0) <= r.supply[kind] + tol).all()
        stored = (
            r.storage.green_in
            if (kind == "pv" and r.storage is not None and "pv" in data.pooled)
            else 0.0
        )
        # conservation: supply = matched + unmatched (+ what went into the storage)
        np.testing.assert_allclose(
            m.sum(axis=0) + r.unmatched[kind] + stored, r.supply[kind], atol=tol, rtol=1e-9
        )
        assert (r.unmatched[kind] >= -tol).all()
        total += m
    # a consumer never gets more green than it consumed
    assert (total <= data.load + tol).all()
    np.testing.assert_allclose(total + r.residual, data.load, atol=tol, rtol=1e-9)
    # the monthly basis offers no more green than the hours had: the PV that charged the
    # storage is offered once, as the storage's green discharge
    months = min(2, data.load.shape[1])
    inverse = np.arange(data.load.shape[1]) % months
    mo = match_monthly(data, r, inverse, months)
    offered = sum(float(v.sum()) for v in mo.supply.values())
    hourly_green = sum(float(v.sum()) for k, v in r.supply.items() if k != "storage")
    assert offered <= hourly_green + tol
    assert (mo.matched_total <= mo.load + tol).all()
    for kind, m in mo.matched.items():
        np.testing.assert_allclose(
            m.sum(axis=0) + mo.unmatched[kind], mo.supply[kind], atol=tol, rtol=1e-9
        )
    if r.storage is not None:
        s = r.storage
        np.testing.assert_allclose(
            s.initial_green + s.green_in.sum(),
            s.green_out.sum() + s.green_loss.sum() + s.end_green,
            atol=tol,
            rtol=1e-9,
        )
