"""The day-by-day replay: conservation, no look-ahead, perfect forecasts, hand figures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lingtan.dispatch.components import Battery, Charger, EvSession, Objective
from lingtan.dispatch.replay import (
    CASES,
    FlexShare,
    Forecast,
    ReplayInput,
    charge_evs,
    forecast_day,
    replay,
)
from lingtan.errors import InvalidInput

DAYS, STEPS = 9, 24  # hourly steps; days 0–6 are history, days 7 and 8 are replayed
HOURS = np.arange(STEPS)
LOAD = np.full(STEPS, 100.0)  # kW, flat
PV = np.where((HOURS >= 10) & (HOURS < 14), 300.0, 0.0)  # kW, 10:00–14:00
PRICE = np.where(HOURS < 8, 0.3, 1.0)  # 元/kWh: valley 00–08, peak 08–24
BATTERY = Battery("B", energy_kwh=400.0, charge_kw=200.0, discharge_kw=200.0,
                  charge_efficiency=1.0, discharge_efficiency=1.0, soc_min=0.1, soc_max=0.9,
                  soc_initial=0.5)  # fmt: skip
CHARGER = Charger("C1", max_kw=20.0)
SESSION = EvSession("S1", "C1", arrival=8, departure=12, energy_kwh=40.0, max_kw=20.0)


def same_days(**changes: object) -> ReplayInput:
    """Nine identical days: every forecast is perfect."""
    inp = ReplayInput(
        step_hours=1.0,
        load_kw=np.tile(LOAD, (DAYS, 1)),
        pv_kw=np.tile(PV, (DAYS, 1)),
        import_price=np.tile(PRICE, (DAYS, 1)),
        export_price=np.full((DAYS, STEPS), 0.4),
        carbon_factor=np.full((DAYS, STEPS), 0.5),
        battery=BATTERY,
        import_limit_kw=1000.0,
        export_limit_kw=150.0,
        sessions=tuple((SESSION,) for _ in range(DAYS)),
        chargers=(CHARGER,),
        objective=Objective(degradation=0.0),
    )
    return dataclasses.replace(inp, **changes)


def noisy_days(seed: int = 3) -> ReplayInput:
    rng = np.random.default_rng(seed)
    load = np.tile(LOAD, (DAYS, 1)) * rng.uniform(0.6, 1.4, (DAYS, STEPS))
    pv = np.tile(PV, (DAYS, 1)) * rng.uniform(0.2, 1.0, (DAYS, 1))
    sessions = tuple(
        (
            EvSession(f"S{d}", "C1", arrival=int(rng.integers(6, 10)), departure=int(rng.integers(14, 20)),
                      energy_kwh=float(rng.uniform(20, 90)), max_kw=20.0),
        )
        for d in range(DAYS)
    )  # fmt: skip
    return same_days(
        load_kw=load,
        pv_kw=pv,
        sessions=sessions,
        demand_price=5.0,
        flex=(FlexShare("HVAC", share=0.2, window_start=8, window_end=20, max_shift_kw=15.0),),
    )


def test_forecasts_use_the_stated_history() -> None:
    load = np.arange(7 * 2, dtype=float).reshape(7, 2)  # day k = [2k, 2k + 1]
    pv = load + 100
    fc = forecast_day(load, pv, [(SESSION,)] + [()] * 6)
    # load: the same weekday one week earlier = day 0 = [0, 1]; PV: mean of days 4–6 of
    # pv = [108, 109], [110, 111], [112, 113] → [110, 111]; sessions: day 0's
    np.testing.assert_allclose(fc.load_kw, [0, 1])
    np.testing.assert_allclose(fc.pv_kw, [110, 111])
    assert fc.sessions == (SESSION,)
    with pytest.raises(InvalidInput):
        forecast_day(load[:6], pv[:6], [])


def test_every_step_of_every_case_conserves_energy() -> None:
    inp = noisy_days()
    result = replay(inp)
    assert [r.day for r in result.days] == [7, 8]
    for row in result.days:
        for case in CASES:
            ex = row.cases[case]
            np.testing.assert_allclose(
                ex.flows.residual(ex.consumption_kw, inp.pv_kw[row.day]), 0, atol=1e-6
            )
            assert (ex.flows.export_kw <= inp.export_limit_kw + 1e-9).all()
            assert (ex.flows.curtailed_kw <= inp.pv_kw[row.day] + 1e-9).all()
            soc = ex.flows.soc_kwh
            if case != "no_battery":
                assert (soc >= 40 - 1e-6).all() and (soc <= 360 + 1e-6).all()
            # every case serves the same energy: the load plus the EVs' sessions (and what
            # clipping a planned shift at 0 kW adds; the baselines do not shift)
            if case != "optimised":
                assert ex.flex_shift_kwh == pytest.approx(0, abs=1e-9)
            assert ex.terms.consumption_kwh == pytest.approx(
                inp.load_kw[row.day].sum() + sum(s.energy_kwh for s in inp.sessions[row.day])
                - ex.ev_unmet_kwh + ex.flex_shift_kwh, rel=1e-9
            )  # fmt: skip


@pytest.mark.parametrize("plan_days", [1, 2])
def test_the_plan_of_a_day_never_reads_that_day_or_later(plan_days: int) -> None:
    # with two-day plans, day 7's plan covers day 8 too, from forecasts made before day 7
    inp = noisy_days()
    before = replay(inp, plan_days=plan_days)
    # perturb the actuals of day 8 (and later): load, PV and EV sessions
    load, pv = inp.load_kw.copy(), inp.pv_kw.copy()
    load[8:] *= 1.7
    pv[8:] *= 0.1
    sessions = (*inp.sessions[:8], (dataclasses.replace(inp.sessions[8][0], energy_kwh=5.0),))
    after = replay(
        dataclasses.replace(inp, load_kw=load, pv_kw=pv, sessions=sessions), plan_days=plan_days
    )
    d7a, d8a = before.days
    d7b, d8b = after.days
    for a, b in ((d7a, d7b), (d8a, d8b)):  # both days' plans unchanged
        np.testing.assert_array_equal(a.planned_charge_kw, b.planned_charge_kw)
        np.testing.assert_array_equal(a.planned_discharge_kw, b.planned_discharge_kw)
        np.testing.assert_array_equal(a.planned_import_kw, b.planned_import_kw)
        np.testing.assert_array_equal(a.planned_ev_kw, b.planned_ev_kw)
    # day 7 is executed on unchanged actuals; day 8's execution sees the new actuals
    np.testing.assert_array_equal(d7a.cases["optimised"].flows.import_kw,
                                  d7b.cases["optimised"].flows.import_kw)  # fmt: skip
    assert not np.allclose(d8a.cases["optimised"].flows.import_kw,
                           d8b.cases["optimised"].flows.import_kw)  # fmt: skip


@pytest.mark.parametrize("plan_days", [1, 2])
def test_perfect_forecasts_execute_the_plan_as_planned(plan_days: int) -> None:
    inp = same_days(
        flex=(FlexShare("HVAC", share=0.2, window_start=8, window_end=20, max_shift_kw=15.0),)
    )
    result = replay(inp, plan_days=plan_days)
    for row in result.days:
        assert row.load_mae_kw == 0 and row.pv_mae_kw == 0
        ex = row.cases["optimised"]
        np.testing.assert_allclose(ex.flows.charge_kw, row.planned_charge_kw, atol=1e-6)
        np.testing.assert_allclose(ex.flows.discharge_kw, row.planned_discharge_kw, atol=1e-6)
        # the net grid flow (the plan never imports and exports in one step; the execution
        # settles the same net flow)
        np.testing.assert_allclose(
            ex.flows.import_kw - ex.flows.export_kw,
            row.planned_import_kw - row.planned_export_kw,
            atol=1e-6,
        )
        np.testing.assert_allclose(ex.ev_kw, row.planned_ev_kw, atol=1e-6)
        assert ex.ev_unmet_kwh == pytest.approx(0, abs=1e-6)
        assert ex.terms.total == pytest.approx(row.planned_cost, abs=1e-4)


def test_first_day_figures_by_hand() -> None:
    result = replay(same_days(), end_day=8)
    day = result.days[0]
    # No battery: load 100 kW every hour, PV 300 kW 10–14, the EV uncontrolled at 20 kW in
    # hours 8 and 9 (40 kWh). Import: 8 × 100 at 0.3 = 240 元; hours 8–9 at 120 and hours
    # 14–23 at 100 = 1,240 kWh at 1.0 = 1,240 元 → 2,040 kWh, 1,480 元. Export: 4 × min(200,
    # 150) = 600 kWh at 0.4 = 240 元 → energy cost 1,240 元; 2,040 × 0.5 kg = 1.02 tCO2;
    # CFE = 1 − 2,040 / (2,400 + 40) = 0.163934…
    nb = day.cases["no_battery"].terms
    assert nb.energy_cost == pytest.approx(1240.0)
    assert nb.import_kwh == pytest.approx(2040.0)
    assert nb.carbon_t == pytest.approx(1.02)
    assert nb.cfe_score == pytest.approx(1 - 2040 / 2440)
    # Self-consumption, η = 1, SoC 200 kWh in [40, 360]: hour 0 discharges 100 (SoC 100), hour
    # 1 60 (SoC 40, import 40), hours 2–7 import 100 each; hours 8–9 import 120 each; hour 10
    # charges 200 (SoC 240), hour 11 charges 120 (SoC 360) and exports 80; hours 12–13 export
    # 150 and curtail 50; hours 14–16 discharge 100 (SoC 60), hour 17 20 (SoC 40, import 80),
    # hours 18–23 import 100. Import 40 + 600 at 0.3 = 192 元, 240 + 80 + 600 at 1.0 = 920 元;
    # export 380 kWh × 0.4 = 152 元 → 960 元; import 1,560 kWh → 0.78 tCO2; SoC left 40 kWh.
    sc = day.cases["self_consumption"]
    assert sc.terms.energy_cost == pytest.approx(960.0)
    assert sc.terms.import_kwh == pytest.approx(1560.0)
    assert sc.terms.carbon_t == pytest.approx(0.78)
    assert sc.flows.end_soc_kwh == pytest.approx(40.0)
    assert sc.flows.curtailed_kw.sum() == pytest.approx(100.0)
    # the optimised plan (perfect forecast) cannot cost more than no battery on the same day
    assert day.cases["optimised"].terms.total <= nb.total + 1e-6
    savings = result.savings("no_battery")
    assert savings["cost_yuan"] == pytest.approx(nb.total - day.cases["optimised"].terms.total)


def test_uncontrolled_ev_charging_and_must_run() -> None:
    # uncontrolled: 20 kW from arrival (hour 8) until 40 kWh are in: hours 8 and 9
    kw, unmet = charge_evs([SESSION], [CHARGER], None, steps=STEPS, step_hours=1.0)
    assert kw[8] == kw[9] == 20.0 and kw.sum() == 40.0 and unmet == 0.0
    # a zero budget still charges what the session needs by departure (hour 12): it must
    # run at 20 kW in the last two hours (10 and 11)
    kw, unmet = charge_evs([SESSION], [CHARGER], {"C1": np.zeros(STEPS)}, steps=STEPS,
                           step_hours=1.0)  # fmt: skip
    np.testing.assert_allclose(kw[8:12], [0, 0, 20, 20])
    assert unmet == 0.0


def test_replay_rejects_too_little_history() -> None:
    with pytest.raises(InvalidInput):
        replay(same_days(), start_day=3)


def test_tracking_execution_conserves_energy_and_keeps_perfect_days() -> None:
    inp = noisy_days()
    result = replay(inp, execution="tracking")
    for row in result.days:
        ex = row.cases["optimised"]
        np.testing.assert_allclose(
            ex.flows.residual(ex.consumption_kw, inp.pv_kw[row.day]), 0, atol=1e-6
        )
    # with perfect forecasts nothing leaves the planned grid flows: the plan as planned
    perfect = replay(same_days(), execution="tracking")
    for row in perfect.days:
        ex = row.cases["optimised"]
        np.testing.assert_allclose(ex.flows.charge_kw, row.planned_charge_kw, atol=1e-6)
        np.testing.assert_allclose(ex.flows.discharge_kw, row.planned_discharge_kw, atol=1e-6)
    with pytest.raises(InvalidInput):
        replay(inp, execution="open-loop")  # type: ignore[arg-type]


def test_demand_charge_counts_the_rise_of_the_month_peak() -> None:
    # no battery: the peak import is 100 kW of load + 20 kW of EV = 120 kW (hours 8–9) every
    # day; at 10 元/kW the first day of a month pays 1,200 元, a later day with the same peak 0
    same_month = replay(same_days(demand_price=10.0, month=(1,) * DAYS))
    assert [r.cases["no_battery"].terms.demand_cost for r in same_month.days] == pytest.approx(
        [1200.0, 0.0]
    )
    # a new month on day 8: its peak starts again from 0
    new_month = replay(same_days(demand_price=10.0, month=(1,) * 8 + (2,)))
    assert [r.cases["no_battery"].terms.demand_cost for r in new_month.days] == pytest.approx(
        [1200.0, 1200.0]
    )
    with pytest.raises(InvalidInput):
        replay(same_days(month=(1, 2)))


def test_a_forecaster_that_looks_ahead_is_executed_as_planned() -> None:
    inp = noisy_days()

    def oracle(load_hist: np.ndarray, _pv: np.ndarray, _sessions: object, lead: int) -> Forecast:
        # the history ends the day before the plan's first day: take the actuals of the day asked
        d = load_hist.shape[0] + lead - 1
        return Forecast(inp.load_kw[d], inp.pv_kw[d], inp.sessions[d])

    result = replay(inp, forecaster=oracle)
    for row in result.days:
        assert row.load_mae_kw == 0 and row.pv_mae_kw == 0
        ex = row.cases["optimised"]
        np.testing.assert_allclose(ex.flows.charge_kw, row.planned_charge_kw, atol=1e-6)
        np.testing.assert_allclose(ex.flows.discharge_kw, row.planned_discharge_kw, atol=1e-6)
        assert ex.terms.total == pytest.approx(row.planned_cost, abs=1e-3)
