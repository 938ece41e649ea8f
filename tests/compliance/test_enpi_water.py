"""EnPI baseline regression on constructed data; water balance with hand-derived numbers."""

from __future__ import annotations

import io
import math

import pytest
from openpyxl import load_workbook

from lingtan.compliance.enpi import degree_days, fit_baseline
from lingtan.compliance.water_balance import WaterUnit, balance, workbook
from lingtan.errors import InvalidInput


def test_simple_regression_by_hand() -> None:
    # x = 0..3, y = 1,3,3,5: x̄ 1.5, ȳ 3, Sxy 6, Sxx 5 → b1 1.2, b0 1.2; residuals
    # −0.2, 0.6, −0.6, 0.2 → SS_res 0.8, SS_tot 8 → R² 0.9; s² = 0.8/2 = 0.4;
    # se(b1) = √(0.4/5) → t1 = 1.2/√0.08 = 3√2; se(b0) = √(0.4·(1/4 + 2.25/5)) = √0.28;
    # CV(RMSE) = √0.4 / 3
    b = fit_baseline([1, 3, 3, 5], {"output": [0, 1, 2, 3]})
    assert b.coefficients == pytest.approx((1.2, 1.2))
    assert b.r2 == pytest.approx(0.9)
    assert b.t_stats[1] == pytest.approx(3 * math.sqrt(2))
    assert b.t_stats[0] == pytest.approx(1.2 / math.sqrt(0.28))
    assert b.cv_rmse == pytest.approx(math.sqrt(0.4) / 3)


def test_two_drivers_recovered_exactly_and_savings() -> None:
    output = [10, 20, 15, 30, 25, 12]
    hdd = [300, 100, 250, 0, 50, 400]
    energy = [100 + 2 * o + 0.5 * h for o, h in zip(output, hdd, strict=True)]
    b = fit_baseline(energy, {"output": output, "hdd": hdd})
    assert b.coefficients == pytest.approx((100.0, 2.0, 0.5))
    assert b.r2 == pytest.approx(1.0)
    # reporting period: output 20, HDD 200 → baseline 100 + 40 + 100 = 240; actual 230
    assert b.savings(230.0, {"output": 20, "hdd": 200}) == pytest.approx(10.0)


def test_regression_refuses_too_few_points_and_collinear_drivers() -> None:
    with pytest.raises(InvalidInput, match="n > p"):
        fit_baseline([1, 2], {"output": [1, 2]})
    with pytest.raises(InvalidInput, match="collinear"):
        fit_baseline([1, 2, 3, 4], {"a": [1, 2, 3, 4], "b": [2, 4, 6, 8]})


def test_degree_days() -> None:
    # base 18: 10 → 8, 20 → 0, 17 → 1 heating; cooling: 20 → 2
    assert degree_days([10, 20, 17], base=18) == pytest.approx(9.0)
    assert degree_days([10, 20, 17], base=18, kind="cooling") == pytest.approx(2.0)


UNITS = [
    WaterUnit("生产车间", fresh_m3=600, reused_m3=2000, consumed_m3=100, discharged_m3=480),
    WaterUnit("生活区", fresh_m3=350, reused_m3=0, consumed_m3=50, discharged_m3=290),
]


def test_water_balance_closure_and_rates_by_hand() -> None:
    # V_f 1000; V_co 150, V_d 770, V_l 40 → error (1000 − 960)/1000 = 4 % ≤ 5 %
    b = balance(intake_m3=1000, leakage_m3=40, units=UNITS)
    assert b.closure_error == pytest.approx(0.04) and b.closes
    assert b.reuse_rate == pytest.approx(2000 / 3000)  # V_r/(V_r+V_f)
    assert b.leakage_rate == pytest.approx(0.04)
    assert b.discharge_rate == pytest.approx(0.77)
    # without the tested leakage the error is 8 %: the balance does not close
    assert not balance(intake_m3=1000, leakage_m3=0, units=UNITS).closes


def test_water_workbook_and_bad_input() -> None:
    data = workbook(balance(intake_m3=1000, leakage_m3=40, units=UNITS), title="E1", period="2025")
    ws = load_workbook(io.BytesIO(data))["指标"]
    values = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert values["平衡相对误差"] == pytest.approx(0.04)
    with pytest.raises(InvalidInput, match="consumed_m3"):
        balance(intake_m3=10, leakage_m3=0, units=[WaterUnit("x", 1, 0, -1, 0)])
