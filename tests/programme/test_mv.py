"""Savings verification (GB/T 28750-2012 adjusted baseline) and the GB/T 24915 settlement on
constructed data whose answers are worked out by hand."""

from __future__ import annotations

import pytest

from lingtan.errors import InvalidInput
from lingtan.programme import mv


def _p(label: str, energy: float, **drivers: float) -> mv.PeriodValues:
    return mv.PeriodValues(label, energy, drivers)


# baseline: energy = 100 + 2 × output exactly, output 10 … 60 (6 months)
BASE = [_p(f"2024-{k:02d}", 100 + 2 * x, output=x) for k, x in enumerate(range(10, 70, 10), 1)]


def test_exact_baseline_measure_saves_ten_percent() -> None:
    # reporting: output 20, 40, 80 → adjusted baseline 140, 180, 260 (Σ 580); the measure
    # saves 10 %: measured 126, 162, 234 (Σ 522); savings 580 − 522 = 58 = 10 % of 580.
    rep = [_p("2025-01", 126, output=20), _p("2025-02", 162, output=40),
           _p("2025-03", 234, output=80)]  # fmt: skip
    v = mv.verify(BASE, rep, drivers=["output"], unit="kWh")
    assert v.baseline.coefficients == pytest.approx((100.0, 2.0))
    assert [x.adjusted_baseline for x in v.lines] == pytest.approx([140, 180, 260])
    assert [x.savings for x in v.lines] == pytest.approx([14, 18, 26])
    assert v.adjusted_baseline == pytest.approx(580)
    assert v.measured == pytest.approx(522)
    assert v.savings == pytest.approx(58)
    assert v.savings_fraction == pytest.approx(0.10)
    # an exact fit has no residual: zero standard error, zero uncertainty
    assert v.std_error == pytest.approx(0.0, abs=1e-9)
    assert v.uncertainty == pytest.approx(0.0, abs=1e-8)
    # output 80 lies outside the baseline's 10 … 60: flagged as extrapolated
    assert len(v.notes) == 1 and "2025-03" in v.notes[0]


def test_adjustments_add_to_savings() -> None:
    rep = [_p("2025-01", 126, output=20)]
    # 140 − 126 = 14; a non-routine adjustment of +5 (a line added after the baseline, its
    # energy metered inside the boundary) → 19; a −3 adjustment besides → 16
    v = mv.verify(
        BASE,
        rep,
        drivers=["output"],
        unit="kWh",
        adjustments=[mv.Adjustment(5, "new line"), mv.Adjustment(-3, "closure")],
    )
    assert v.savings == pytest.approx(16)


def test_uncertainty_of_a_mean_model_by_hand() -> None:
    # intercept-only baseline 9, 11, 9, 11: mean 10, SS_res = 4 × 1 = 4, n − p = 3, s² = 4/3
    base = [_p(f"2024-{k:02d}", e) for k, e in enumerate([9, 11, 9, 11], 1)]
    rep = [_p("2025-01", 8), _p("2025-02", 8)]
    v = mv.verify(base, rep, drivers=[], unit="MWh", confidence=0.9)
    # savings = 2 × 10 − 16 = 4
    assert v.savings == pytest.approx(4)
    # Var(S) = s² (m + 1ᵀX_r (XᵀX)⁻¹ X_rᵀ1) = 4/3 × (2 + 2 × (1/4) × 2) = 4/3 × 3 = 4 → SE 2
    assert v.std_error == pytest.approx(2.0)
    # t(0.95, 3 dof) = 2.353363 (Student's t table) → ± 4.706726
    assert v.t_value == pytest.approx(2.353363, abs=1e-6)
    assert v.uncertainty == pytest.approx(4.706726, abs=1e-5)
    assert v.relative_uncertainty == pytest.approx(4.706726 / 4, abs=1e-5)


def test_two_drivers_recovered() -> None:
    # energy = 50 + 3 × output + 4 × hdd on six periods with varied drivers (exact)
    pairs = [(10, 5), (20, 1), (15, 8), (30, 2), (25, 10), (5, 3)]
    base = [_p(f"b{k}", 50 + 3 * o + 4 * h, output=o, hdd=h) for k, (o, h) in enumerate(pairs)]
    # reporting output 20, hdd 5 → baseline 50 + 60 + 20 = 130; measured 117 → 13
    v = mv.verify(base, [_p("r1", 117, output=20, hdd=5)], drivers=["output", "hdd"], unit="GJ")
    assert v.baseline.coefficients == pytest.approx((50, 3, 4))
    assert v.savings == pytest.approx(13)


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InvalidInput) as e:
        mv.verify(BASE, [_p("2025-01", 1)], drivers=["output"], unit="kWh")
    assert e.value.field == "output"
    with pytest.raises(InvalidInput) as e:
        mv.verify(BASE, [], drivers=["output"], unit="kWh")
    assert e.value.field == "reporting"
    with pytest.raises(InvalidInput) as e:
        mv.verify(BASE, [_p("2024-01", 1, output=1)], drivers=["output"], unit="kWh")
    assert e.value.field == "periods"
    with pytest.raises(InvalidInput) as e:
        mv.verify(BASE[:2], [_p("r", 1, output=1)], drivers=["output"], unit="kWh")
    assert e.value.field == "energy"  # 2 periods cannot fit 2 coefficients


def test_shared_savings_settlement() -> None:
    # 58 000 kWh × 0.8 CNY/kWh = 46 400 CNY; ESCO 70 % = 32 480, client 30 % = 13 920
    s = mv.settle(contract_type="shared_savings", savings=58_000, unit="kWh", price=0.8,
                  shares={"esco": 0.7, "client": 0.3})  # fmt: skip
    assert s.value == pytest.approx(46_400)
    assert s.shares == pytest.approx({"esco": 32_480, "client": 13_920})
    with pytest.raises(InvalidInput) as e:
        mv.settle(contract_type="shared_savings", savings=1, unit="kWh", price=1,
                  shares={"esco": 0.7, "client": 0.2})  # fmt: skip
    assert e.value.field == "shares"


def test_guaranteed_savings_shortfall() -> None:
    # guaranteed 60 000 kWh, verified 58 000 → shortfall 2 000 × 0.8 = 1 600 CNY owed
    s = mv.settle(contract_type="guaranteed_savings", savings=58_000, unit="kWh", price=0.8,
                  guaranteed=60_000)  # fmt: skip
    assert s.shortfall == pytest.approx(2_000)
    assert s.shortfall_payment == pytest.approx(1_600)
    # negative savings share nothing
    s2 = mv.settle(contract_type="shared_savings", savings=-5, unit="kWh", price=1,
                   shares={"esco": 1.0})  # fmt: skip
    assert s2.value == 0 and s2.shares == {"esco": 0.0}
