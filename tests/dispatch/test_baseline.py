"""The rule-based comparisons: self-consumption and no battery, checked against hand figures."""

from __future__ import annotations

import numpy as np
import pytest

from lingtan.dispatch.baseline import Flows, no_battery, run, self_consumption
from lingtan.dispatch.components import Battery
from lingtan.errors import InvalidInput

# E = 100 kWh, SoC in [20, 60] kWh, starting at 50 kWh; η_ch = 0.8, η_dis = 0.5 (unequal on
# purpose, so a swapped efficiency shows); ratings 30 kW charge, 25 kW discharge; Δ = 1 h.
BATTERY = Battery(
    "B",
    energy_kwh=100.0,
    charge_kw=30.0,
    discharge_kw=25.0,
    charge_efficiency=0.8,
    discharge_efficiency=0.5,
    soc_min=0.2,
    soc_max=0.6,
    soc_initial=0.5,
)
LOAD = np.array([10.0, 40.0, 30.0, 5.0])
PV = np.array([50.0, 10.0, 0.0, 25.0])


def test_self_consumption_four_steps_by_hand() -> None:
    f = self_consumption(LOAD, PV, BATTERY, step_hours=1.0, export_limit_kw=5.0)
    # t0: surplus 40; charge = min(40, 30, (60 − 50)/(1·0.8) = 12.5) = 12.5 → SoC 50 + 0.8·12.5
    #     = 60; net = 10 + 12.5 − 50 = −27.5: export 5 (the limit), 22.5 curtailed.
    # t1: deficit 30; discharge = min(30, 25, (60 − 20)·0.5 = 20) = 20 → SoC 60 − 20/0.5 = 20;
    #     import 40 − 20 − 10 = 10.
    # t2: deficit 30; SoC at its minimum: discharge 0, import 30.
    # t3: surplus 20; charge = min(20, 30, (60 − 20)/0.8 = 50) = 20 → SoC 20 + 16 = 36; net 0.
    np.testing.assert_allclose(f.charge_kw, [12.5, 0, 0, 20])
    np.testing.assert_allclose(f.discharge_kw, [0, 20, 0, 0])
    np.testing.assert_allclose(f.soc_kwh, [60, 20, 20, 36])
    np.testing.assert_allclose(f.import_kw, [0, 10, 30, 0])
    np.testing.assert_allclose(f.export_kw, [5, 0, 0, 0])
    np.testing.assert_allclose(f.curtailed_kw, [22.5, 0, 0, 0])
    np.testing.assert_allclose(f.short_kw, 0)
    np.testing.assert_allclose(f.residual(LOAD, PV), 0, atol=1e-12)
    assert f.end_soc_kwh == pytest.approx(36)


def test_no_battery_imports_load_minus_pv() -> None:
    f = no_battery(LOAD, PV, step_hours=1.0, export_limit_kw=5.0)
    # import = (load − PV)⁺ = [0, 30, 30, 0]; surplus [40, 0, 0, 20]: 5 exported, rest curtailed
    np.testing.assert_allclose(f.import_kw, [0, 30, 30, 0])
    np.testing.assert_allclose(f.import_kw, np.maximum(LOAD - PV, 0))
    np.testing.assert_allclose(f.export_kw, [5, 0, 0, 5])
    np.testing.assert_allclose(f.curtailed_kw, [35, 0, 0, 15])
    np.testing.assert_allclose(f.charge_kw + f.discharge_kw + f.soc_kwh, 0)
    np.testing.assert_allclose(f.residual(LOAD, PV), 0, atol=1e-12)


def test_import_limit_leaves_load_short() -> None:
    f = no_battery(np.array([50.0]), np.array([0.0]), step_hours=1.0, export_limit_kw=0.0,
                   import_limit_kw=35.0)  # fmt: skip
    # 50 kW of load, 35 kW may come in: 15 kW short
    np.testing.assert_allclose(f.import_kw, [35])
    np.testing.assert_allclose(f.short_kw, [15])
    np.testing.assert_allclose(f.residual(np.array([50.0]), np.array([0.0])), 0)


def test_run_reduces_a_discharge_nothing_can_take() -> None:
    # SoC 60 kWh, request 25 kW: allowed min(25, 25, (60 − 20)·0.5 = 20) = 20 kW; load 10, no
    # PV: 10 kW surplus, 5 exported, nothing to curtail, so the discharge drops by 5 to 15 kW;
    # SoC 60 − 15/0.5 = 30 kWh.
    f = run(np.array([10.0]), np.array([0.0]), step_hours=1.0, export_limit_kw=5.0,
            battery=BATTERY, discharge_kw=np.array([25.0]), soc_initial_kwh=60.0)  # fmt: skip
    np.testing.assert_allclose(f.discharge_kw, [15])
    np.testing.assert_allclose(f.export_kw, [5])
    np.testing.assert_allclose(f.import_kw, [0])
    np.testing.assert_allclose(f.soc_kwh, [30])


def test_half_hour_steps_scale_energy() -> None:
    # Δ = 0.5 h, SoC 50 kWh: the 60 − 50 = 10 kWh of headroom take 10/(0.5·0.8) = 25 kW
    # (below the 30 kW rating): SoC 50 + 0.5·0.8·25 = 60; of the 40 kW of PV, 15 kW exported.
    f = self_consumption(np.array([0.0]), np.array([40.0]), BATTERY, step_hours=0.5,
                         export_limit_kw=100.0)  # fmt: skip
    np.testing.assert_allclose(f.charge_kw, [25])
    np.testing.assert_allclose(f.soc_kwh, [60])
    np.testing.assert_allclose(f.export_kw, [15])


def test_rejects_bad_series_and_soc() -> None:
    with pytest.raises(InvalidInput):
        no_battery(np.array([1.0, -1.0]), np.zeros(2), step_hours=1.0, export_limit_kw=0.0)
    with pytest.raises(InvalidInput):
        no_battery(np.ones(2), np.zeros(3), step_hours=1.0, export_limit_kw=0.0)
    with pytest.raises(InvalidInput):
        self_consumption(LOAD, PV, BATTERY, step_hours=1.0, export_limit_kw=0.0,
                         soc_initial_kwh=90.0)  # fmt: skip


def _one(load: float, pv: float, ch: float, dis: float, cap_imp: float, cap_exp: float) -> Flows:
    return run(np.array([load]), np.array([pv]), step_hours=1.0, export_limit_kw=100.0,
               battery=BATTERY, charge_kw=np.array([ch]), discharge_kw=np.array([dis]),
               soc_initial_kwh=30.0, track_import_kw=np.array([cap_imp]),
               track_export_kw=np.array([cap_exp]))  # fmt: skip


def test_tracking_absorbs_what_would_leave_the_planned_grid_flows() -> None:
    # less PV than planned: charge 20 asked, load 10, PV 15 → net 15 above the planned import
    # of 0: the charge drops by 15 to 5 kW; SoC 30 + 0.8·5 = 34
    f = _one(10, 15, 20, 0, 0, 0)
    np.testing.assert_allclose([f.charge_kw[0], f.import_kw[0], f.soc_kwh[0]], [5, 0, 34])
    # more load than planned: 30 kW, planned import 10: 20 kW to cover, but from 30 kWh the
    # battery can give (30 − 20)·0.5 = 5 kW: import 25, SoC 30 − 5/0.5 = 20
    f = _one(30, 0, 0, 0, 10, 0)
    np.testing.assert_allclose([f.discharge_kw[0], f.import_kw[0], f.soc_kwh[0]], [5, 25, 20])
    # more PV than planned: discharge 10 asked (5 allowed by the SoC), load 10, PV 30 → export
    # 25 above the planned 0: the discharge drops to 0, the charge rises by the 20 left (room
    # min(30, (60 − 30)/0.8)): net 0; SoC 30 + 0.8·20 = 46
    f = _one(10, 30, 0, 10, 0, 0)
    np.testing.assert_allclose(
        [f.discharge_kw[0], f.charge_kw[0], f.export_kw[0], f.soc_kwh[0]], [0, 20, 0, 46]
    )
