"""The dispatch LP on instances small enough to solve by hand.

Every expected value is worked out in the comment above it from the instance, not read from the
solver: the optimum of a two-price day with a battery, the flattened peak under a demand
charge, an EV session's deadline, a carbon price reversing the battery, and the named slack of
each constraint family when a plan cannot be met.
"""

from __future__ import annotations

import numpy as np
import pytest

from lingtan.dispatch.components import (
    Battery,
    Charger,
    DemandResponse,
    EvSession,
    FlexLoad,
    Generator,
    Grid,
    Objective,
    Pv,
    Site,
)
from lingtan.dispatch.explain import reason_text, violation_text
from lingtan.dispatch.plan import solve
from lingtan.errors import InvalidInput


def grid(price, *, factor=None, limit=10_000.0, export=0.0, export_price=None, **kw) -> Grid:
    n = len(price)
    return Grid(
        import_limit_kw=limit,
        export_limit_kw=export,
        import_price=np.asarray(price, dtype=float),
        export_price=np.zeros(n) if export_price is None else np.asarray(export_price, dtype=float),
        carbon_factor=np.full(n, 0.5) if factor is None else np.asarray(factor, dtype=float),
        **kw,
    )


def lossless(code="B", energy=100.0, power=60.0, initial=0.0, end=None, **kw) -> Battery:
    return Battery(code, energy_kwh=energy, charge_kw=power, discharge_kw=power,
                   charge_efficiency=1.0, discharge_efficiency=1.0, soc_min=0.0, soc_max=1.0,
                   soc_initial=initial, soc_end=end, **kw)  # fmt: skip


TWO_PRICE = [0.2, 0.2, 1.0, 1.0]
TWO_PRICE_LOAD = [50.0, 50.0, 150.0, 150.0]


def test_two_price_day_with_a_lossless_battery_shifts_its_whole_capacity() -> None:
    # valley 0.2, peak 1.0 元/kWh; 100 kWh / 60 kW battery, empty at both ends.
    # It fills in the valley (60 + 40 kWh, the energy limit stops it) and empties at the peak
    # (60 + 40 kWh). Cost = 0.2·(50+50+100) + 1.0·(150+150−100) = 40 + 200 = 240 元;
    # without it 0.2·100 + 1.0·300 = 320 元: the saving is 100 kWh × 0.8 元/kWh.
    site = Site(4, 1.0, np.array(TWO_PRICE_LOAD), grid(TWO_PRICE), batteries=(lossless(),))
    plan = solve(site)
    assert plan.status == "optimal" and plan.feasible
    assert plan.terms.energy_cost == pytest.approx(240.0)
    assert plan.charge_kw["B"][:2].sum() == pytest.approx(100.0)
    assert plan.discharge_kw["B"][2:].sum() == pytest.approx(100.0)
    assert plan.soc_kwh["B"][-1] == pytest.approx(0.0, abs=1e-6)
    # the marginal value of energy is the tariff of each step (no limit binds on the grid)
    np.testing.assert_allclose(plan.marginal_price, TWO_PRICE, atol=1e-9)


def test_two_price_day_with_losses_buys_the_losses_in_the_valley() -> None:
    # η_ch = η_dis = 0.9: filling 100 kWh takes 100 / 0.9 = 111.11 kWh from the grid (the
    # 60 kW rating would allow 120), emptying it delivers 100 × 0.9 = 90 kWh. Still worth it
    # (0.2 / 0.81 < 1.0). Cost = 0.2·(100 + 111.11) + 1.0·(300 − 90) = 42.222 + 210 = 252.222.
    bat = Battery("B", 100.0, 60.0, 60.0, 0.9, 0.9, 0.0, 1.0, 0.0, 0.0)
    plan = solve(Site(4, 1.0, np.array(TWO_PRICE_LOAD), grid(TWO_PRICE), batteries=(bat,)))
    assert plan.terms.energy_cost == pytest.approx(0.2 * (100 + 100 / 0.9) + 210.0)
    assert plan.charge_kw["B"].sum() == pytest.approx(100 / 0.9)
    assert plan.discharge_kw["B"].sum() == pytest.approx(90.0)


def test_a_flat_tariff_gives_the_battery_nothing_to_do() -> None:
    # a lossless battery on a flat tariff cannot lower the cost: 0.5 × 400 = 200 元; with a
    # degradation cost every discharged kWh only costs, so it stays idle
    bat = lossless(initial=0.5, degradation_cost=0.01)
    plan = solve(Site(4, 1.0, np.array(TWO_PRICE_LOAD), grid([0.5] * 4), batteries=(bat,)))
    assert plan.terms.energy_cost == pytest.approx(200.0)
    assert plan.discharge_kw["B"].sum() == pytest.approx(0.0, abs=1e-9)
    assert plan.terms.degradation_cost == pytest.approx(0.0, abs=1e-9)


def test_demand_charge_flattens_the_peak() -> None:
    # load 100 then 300 kW, flat price 1 元/kWh (energy cost 400 whatever the battery does,
    # lossless), demand price 10 元/kW. A 200 kWh battery at 100 kWh, ending at ≥ 100 kWh,
    # charges 100 in step 0 and gives it back in step 1: imports 200/200, peak 200 kW.
    # Demand cost 10 × 200 = 2,000 元 instead of 3,000.
    site = Site(2, 1.0, np.array([100.0, 300.0]), grid([1.0, 1.0], demand_price=10.0),
                batteries=(lossless(energy=200.0, power=200.0, initial=0.5),))  # fmt: skip
    plan = solve(site)
    np.testing.assert_allclose(plan.import_kw, [200.0, 200.0], atol=1e-6)
    assert plan.terms.peak_import_kw == pytest.approx(200.0)
    assert plan.terms.demand_cost == pytest.approx(2000.0)
    assert plan.terms.energy_cost == pytest.approx(400.0)
    # a flat tariff is neither low nor high: the discharge is there for the peak alone
    assert [r.because for r in plan.reasons[1]] == [("peak_shaving",)]


def test_only_a_rise_above_the_months_peak_costs_demand_charge() -> None:
    # the month already peaked at 350 kW: the day's 300 kW costs nothing more
    site = Site(2, 1.0, np.array([100.0, 300.0]),
                grid([1.0, 1.0], demand_price=10.0, month_peak_kw=350.0),
                batteries=(lossless(energy=200.0, power=200.0, initial=0.5),))  # fmt: skip
    plan = solve(site)
    assert plan.terms.demand_cost == pytest.approx(0.0)
    assert plan.terms.energy_cost == pytest.approx(400.0)


def test_carbon_price_reverses_the_battery() -> None:
    # tariff 0.5 then 0.6 元/kWh, grid factor 0.9 then 0.1 kgCO2/kWh, load 100 kW both hours,
    # battery 100 kWh holding 50, ending at ≥ 50.
    # * cost only: charge 50 in the cheap hour, discharge 50 in the dear one → imports 150/50,
    #   emissions 150·0.9 + 50·0.1 = 140 kg.
    # * with 200 元/tCO2: hour costs become 0.5 + 0.18 = 0.68 and 0.6 + 0.02 = 0.62 元/kWh, so
    #   it discharges first and recharges in hour 2 → imports 50/150, 45 + 15 = 60 kg.
    base = dict(steps=2, step_hours=1.0, fixed_load_kw=np.array([100.0, 100.0]),
                grid=grid([0.5, 0.6], factor=[0.9, 0.1]),
                batteries=(lossless(power=100.0, initial=0.5),))  # fmt: skip
    cost_only = solve(Site(**base))  # type: ignore[arg-type]
    np.testing.assert_allclose(cost_only.import_kw, [150.0, 50.0], atol=1e-6)
    assert cost_only.terms.carbon_t == pytest.approx(0.140)
    priced = solve(Site(**base, objective=Objective(carbon=1.0, carbon_price=200.0)))  # type: ignore[arg-type]
    np.testing.assert_allclose(priced.import_kw, [50.0, 150.0], atol=1e-6)
    assert priced.terms.carbon_t == pytest.approx(0.060)
    assert priced.terms.carbon_cost == pytest.approx(200.0 * 0.060)
    assert "high_carbon" in priced.reasons[0][0].because


def test_green_price_prefers_the_hours_the_grid_is_green() -> None:
    # same tariff both hours; the grid is 80 % carbon-free in hour 2 and 0 % in hour 1:
    # pricing the non-green kWh moves the battery's energy to hour 1 (discharge) and refills it
    # in hour 2. Non-green energy: 100·1.0 − 50 (discharge) + (100 + 50)·0.2 = 50 + 30 = 80 kWh
    # of 200 consumed: CFE score 0.6.
    site = Site(2, 1.0, np.array([100.0, 100.0]),
                grid([0.5, 0.5], green_share=np.array([0.0, 0.8])),
                batteries=(lossless(power=100.0, initial=0.5),),
                objective=Objective(green=1.0, green_price=0.1))  # fmt: skip
    plan = solve(site)
    np.testing.assert_allclose(plan.import_kw, [50.0, 150.0], atol=1e-6)
    assert plan.terms.non_green_kwh == pytest.approx(80.0)
    assert plan.terms.cfe_score == pytest.approx(0.6)


def test_ev_sessions_charge_in_the_cheapest_steps_they_are_present() -> None:
    # present in steps 1–3 of 1 h (prices 0.9, 0.3, 0.4), 50 kWh at ≤ 30 kW: 30 kWh in the
    # 0.3 step, the other 20 in the 0.4 step, nothing at 0.9 (and nothing at 0.1: not present)
    site = Site(4, 1.0, np.zeros(4), grid([0.1, 0.9, 0.3, 0.4]),
                chargers=(Charger("C1", 100.0),),
                sessions=(EvSession("S1", "C1", 1, 4, 50.0, 30.0),))  # fmt: skip
    plan = solve(site)
    np.testing.assert_allclose(plan.ev_kw["S1"], [0.0, 0.0, 30.0, 20.0], atol=1e-6)
    assert plan.terms.energy_cost == pytest.approx(30 * 0.3 + 20 * 0.4)
    assert plan.feasible


def test_ev_deadline_that_cannot_be_met_is_explained() -> None:
    # two sessions share a 50 kW charger for two 1-hour steps: 100 kWh at most together.
    # S1 needs 80 kWh (≤ 40 kW: 80 deliverable alone), S2 needs 60 (≤ 40 kW). 140 needed,
    # 100 possible: 40 kWh unmet in all, each session's own limit is 2 × 40 = 80 kWh.
    site = Site(2, 1.0, np.zeros(2), grid([0.5, 0.5]), chargers=(Charger("C1", 50.0),),
                sessions=(EvSession("S1", "C1", 0, 2, 80.0, 40.0),
                          EvSession("S2", "C1", 0, 2, 60.0, 40.0)))  # fmt: skip
    plan = solve(site)
    assert plan.status == "relaxed" and not plan.feasible
    ev = [v for v in plan.violations if v.family == "ev_energy"]
    assert sum(v.kwh for v in ev) == pytest.approx(40.0)
    assert plan.ev_kw["S1"].sum() + plan.ev_kw["S2"].sum() == pytest.approx(100.0)
    # a session its own rating cannot serve: 100 kWh at 40 kW over 2 h → 80 deliverable
    alone = solve(Site(2, 1.0, np.zeros(2), grid([0.5, 0.5]), chargers=(Charger("C1", 100.0),),
                       sessions=(EvSession("S3", "C1", 0, 2, 100.0, 40.0),)))  # fmt: skip
    (v,) = alone.violations
    assert (v.family, v.asset, v.kwh) == ("ev_energy", "S3", pytest.approx(20.0))
    assert v.figures["deliverable_kwh"] == pytest.approx(80.0)
    assert "80.0 kWh" in violation_text(v, 1.0, "en") and "S3" in violation_text(v, 1.0, "zh")


def test_import_limit_below_the_load_is_a_named_shortfall() -> None:
    # limit 100 kW, load 150 kW for two hours, nothing else: 2 × 50 = 100 kWh short
    site = Site(2, 1.0, np.array([150.0, 150.0]), grid([0.5, 0.5], limit=100.0))
    plan = solve(site)
    (v,) = plan.violations
    assert v.family == "supply_shortfall" and v.kwh == pytest.approx(100.0)
    assert (v.first_step, v.last_step) == (0, 1)
    np.testing.assert_allclose(plan.balance_residual(site.checked()), 0.0, atol=1e-9)
    # a battery holding 60 kWh covers 60 of it (lossless, rating 100 kW); 40 kWh stay short
    plan = solve(Site(2, 1.0, np.array([150.0, 150.0]), grid([0.5, 0.5], limit=100.0),
                      batteries=(lossless(energy=100.0, power=100.0, initial=0.6, end=0.0),)))  # fmt: skip
    (v,) = plan.violations
    assert v.kwh == pytest.approx(40.0)


def test_unreachable_end_of_day_soc_is_a_named_gap() -> None:
    # 100 kWh battery at 10 %, asked to end at 90 %: 80 kWh needed, 2 h × 20 kW × η 1 = 40
    # possible → 40 kWh gap
    bat = lossless(energy=100.0, power=20.0, initial=0.1, end=0.9)
    plan = solve(Site(2, 1.0, np.zeros(2), grid([0.5, 0.5]), batteries=(bat,)))
    (v,) = plan.violations
    assert (v.family, v.asset, v.kwh) == ("battery_end_soc", "B", pytest.approx(40.0))


def test_non_curtailable_pv_without_export_is_a_named_surplus() -> None:
    # 100 kW of PV that must run, 30 kW load, no export, no storage: 70 kWh with nowhere to go
    site = Site(
        1, 1.0, np.array([30.0]), grid([0.5]), pv=(Pv("PV", np.array([100.0]), curtailable=False),)
    )
    (v,) = solve(site).violations
    assert (v.family, v.kwh) == ("surplus", pytest.approx(70.0))
    # curtailable, it is simply curtailed; with export allowed at a price it is exported
    curtailed = solve(
        Site(1, 1.0, np.array([30.0]), grid([0.5]), pv=(Pv("PV", np.array([100.0])),))
    )
    assert curtailed.feasible and curtailed.curtailed_kw["PV"][0] == pytest.approx(70.0)
    exported = solve(Site(1, 1.0, np.array([30.0]), grid([0.5], export=50.0, export_price=[0.39]),
                          pv=(Pv("PV", np.array([100.0])),)))  # fmt: skip
    assert exported.export_kw[0] == pytest.approx(50.0)
    assert exported.curtailed_kw["PV"][0] == pytest.approx(20.0)
    assert exported.terms.energy_cost == pytest.approx(-50 * 0.39)


def test_demand_response_call_is_met_by_the_battery_or_explained() -> None:
    # baseline 100 kW, 20 % reduction in step 1: import ≤ 80 kW there. A lossless battery with
    # 20 kWh covers it; flat tariff so nothing else moves.
    call = DemandResponse(1, 2, 0.2, np.array([100.0, 100.0, 100.0]))
    site = Site(3, 1.0, np.full(3, 100.0), grid([0.5] * 3), demand_response=call,
                batteries=(lossless(energy=100.0, power=50.0, initial=0.2, end=0.0),))  # fmt: skip
    plan = solve(site)
    assert plan.feasible and plan.import_kw[1] <= 80.0 + 1e-6
    assert any("demand_response" in r.because for r in plan.reasons[1])
    # without storage the call cannot be met: 20 kWh over it, named
    plan = solve(Site(3, 1.0, np.full(3, 100.0), grid([0.5] * 3), demand_response=call))
    (v,) = plan.violations
    assert (v.family, v.kwh, v.first_step) == ("demand_response", pytest.approx(20.0), 1)


def test_flexible_load_moves_within_its_window_and_keeps_its_energy() -> None:
    # 40 kW baseline, window steps 0–2, shift ≤ 30 kW; prices 1.0, 0.2, 0.6, 0.1 (step 3 is
    # outside the window and cannot receive load). Best: move 30 kW out of step 0 into step 1
    # (the cheapest in the window): 10, 70, 40, 40 kW.
    flex = FlexLoad("F", np.full(4, 40.0), 0, 3, 30.0)
    plan = solve(Site(4, 1.0, np.zeros(4), grid([1.0, 0.2, 0.6, 0.1]), flex=(flex,)))
    np.testing.assert_allclose(plan.flex_kw["F"], [10.0, 70.0, 40.0, 40.0], atol=1e-6)
    assert plan.flex_kw["F"].sum() == pytest.approx(160.0)


def test_generator_runs_only_when_it_is_cheaper_than_the_grid() -> None:
    # fuel 0.8 元/kWh against 0.5 then 1.2: it runs in step 1 only, at its 60 kW rating
    gen = Generator("G", 60.0, 0.8, 0.7)
    plan = solve(Site(2, 1.0, np.array([100.0, 100.0]), grid([0.5, 1.2]), generators=(gen,)))
    np.testing.assert_allclose(plan.generator_kw["G"], [0.0, 60.0], atol=1e-6)
    # emissions: grid 100·0.5 + 40·0.5 = 70 kg, generator 60·0.7 = 42 kg
    assert plan.terms.carbon_t == pytest.approx(0.112)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_energy_is_conserved_at_every_step_of_a_full_day(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 96
    hour = np.arange(n) / 4
    price = np.where((hour >= 8) & (hour < 22), 1.05, 0.32) + rng.uniform(0, 0.05, n)
    pv = np.maximum(0.0, np.sin((hour - 6) / 12 * np.pi)) * 800
    sessions = tuple(
        EvSession(
            f"S{i}",
            f"C{i % 2}",
            a,
            min(n, a + int(rng.integers(4, 32))),
            float(rng.uniform(5, 60)),
            40.0,
        )
        for i, a in enumerate(rng.integers(20, 80, size=8).tolist())
    )
    site = Site(
        n, 0.25, rng.uniform(200, 600, n),
        grid(price, factor=rng.uniform(0.3, 0.9, n), limit=900.0, export=300.0,
             export_price=np.full(n, 0.39), demand_price=30.0),
        pv=(Pv("PV", pv),),
        batteries=(Battery("B", 1000.0, 400.0, 400.0, degradation_cost=0.03),),
        chargers=(Charger("C0", 80.0), Charger("C1", 80.0)),
        sessions=sessions,
        flex=(FlexLoad("F", np.full(n, 50.0), 40, 70, 25.0),),
        objective=Objective(carbon=1.0, carbon_price=100.0),
    )  # fmt: skip
    plan = solve(site)
    np.testing.assert_allclose(plan.balance_residual(site.checked()), 0.0, atol=1e-6)
    bat = site.batteries[0]
    soc = np.concatenate([[bat.soc_initial * bat.energy_kwh], plan.soc_kwh["B"]])
    # SoC dynamics, step by step, from the plan's own flows
    expect = soc[:-1] + 0.25 * (0.95 * plan.charge_kw["B"] - plan.discharge_kw["B"] / 0.95)
    np.testing.assert_allclose(soc[1:], expect, atol=1e-6)
    assert (plan.soc_kwh["B"] >= 100.0 - 1e-6).all() and (plan.soc_kwh["B"] <= 900.0 + 1e-6).all()
    assert plan.soc_kwh["B"][-1] >= 500.0 - 1e-6
    assert (plan.import_kw <= 900.0 + 1e-6).all() and (plan.export_kw <= 300.0 + 1e-6).all()
    for s in sessions:
        if plan.feasible:
            assert plan.ev_kw[s.code].sum() * 0.25 == pytest.approx(s.energy_kwh)
        outside = np.r_[0 : s.arrival, s.departure : n]
        assert (plan.ev_kw[s.code][outside] == 0.0).all()


def test_every_action_has_a_reason_in_both_languages() -> None:
    site = Site(4, 1.0, np.array(TWO_PRICE_LOAD), grid(TWO_PRICE), batteries=(lossless(),))
    plan = solve(site)
    assert [r.action for r in plan.reasons[0]] == ["charge"]
    assert "low_price" in plan.reasons[0][0].because
    assert "high_price" in plan.reasons[2][0].because
    assert reason_text(plan.reasons[0][0]).startswith("充电 60 kW：低谷电价")
    assert reason_text(plan.reasons[2][0], "en").startswith("discharge 60 kW: peak tariff")


@pytest.mark.parametrize(
    ("site", "field"),
    [
        (Site(2, 1.0, np.zeros(2), grid([0.5, 0.5]), batteries=(Battery("B", 100, 50, 50, 1.2),)),
         "battery[B].charge_efficiency"),
        (Site(2, 1.0, np.zeros(2), grid([0.5, 0.5]), chargers=(Charger("C", 10),),
              sessions=(EvSession("S", "C", 1, 1, 10, 10),)), "ev[S].arrival"),
        (Site(2, 1.0, np.zeros(2), grid([0.5, 0.5]), sessions=(EvSession("S", "X", 0, 1, 10, 10),)),
         "ev[S].charger"),
        (Site(2, 1.0, np.zeros(3), grid([0.5, 0.5])), "fixed_load_kw"),
        (Site(2, 1.0, np.zeros(2), grid([0.5, np.nan])), "grid.import_price"),
        (Site(2, 1.0, np.zeros(2), grid([0.5, 0.5]), batteries=(Battery("B", 100, 50, 50, soc_max=0.9, soc_initial=0.95),)),
         "battery[B].soc_initial"),
    ],
)  # fmt: skip
def test_malformed_sites_are_refused_naming_the_field(site: Site, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        solve(site)
    assert err.value.field == field


def test_no_import_and_export_in_one_step_when_feed_in_pays_more_than_the_valley() -> None:
    # valley import 0.30 元/kWh, feed-in 0.391: importing 1,000 kW to export it would "earn"
    # 91 元 an hour on a net meter that only settles the net flow. The plan imports its 100 kW
    # load and exports nothing.
    site = Site(
        1, 1.0, np.array([100.0]), grid([0.30], limit=2000.0, export=1000.0, export_price=[0.391])
    )
    plan = solve(site)
    assert (plan.import_kw[0], plan.export_kw[0]) == (pytest.approx(100.0), pytest.approx(0.0))
    # with 150 kW of PV the 50 kW surplus is exported and settled at the feed-in price
    site = Site(1, 1.0, np.array([100.0]), grid([0.30], limit=2000.0, export=1000.0, export_price=[0.391]),
                pv=(Pv("PV", np.array([150.0])),))  # fmt: skip
    plan = solve(site)
    assert (plan.import_kw[0], plan.export_kw[0]) == (pytest.approx(0.0), pytest.approx(50.0))
    assert plan.terms.energy_cost == pytest.approx(-50 * 0.391)
