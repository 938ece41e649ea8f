"""Energy statistics of the golden park, every figure worked out by hand (data/README.md)."""

from __future__ import annotations

import pytest

from lingtan.errors import NotFound
from lingtan.indicators.energy import energy_statistics
from lingtan.indicators.options import IndicatorOptions
from lingtan.store import Store
from tests.indicators.golden_park import load

KGCE_PER_KWH = 0.1229  # GB/T 2589 电力 当量值
#: natural gas without a measured NCV: GB/T 2589-2020 附录A 油田天然气 (the default kind) 1.3300 kgce/m³
KGCE_PER_M3_GAS = 1.3300
TCE_PER_GJ_HEAT = 0.03412
# January 2025: 744 hours
GRID = (100 + 200) * 744  # 223 200 kWh
GREEN = 50 * 744  # 37 200 kWh
PV = 20 * 744  # 14 880 kWh
EXPORT = 5 * 744  # 3 720 kWh
GAS = 30 * 744  # 22 320 m³
STEAM = 2 * 744  # 1 488 GJ
ELEC_TCE = (GRID + GREEN - EXPORT) * KGCE_PER_KWH / 1000  # 31.545972
GAS_TCE = GAS * KGCE_PER_M3_GAS / 1000  # 29.6856
STEAM_TCE = STEAM * TCE_PER_GJ_HEAT  # 50.77056
NET_TCE = ELEC_TCE + GAS_TCE + STEAM_TCE  # 112.002132 (net receipt)
PV_TCE = PV * KGCE_PER_KWH / 1000  # 1.828752
TOTAL_TCE = NET_TCE + PV_TCE  # 113.830884 综合能源消费量, on-site PV included


@pytest.fixture
def golden(store: Store) -> Store:
    return load(store)


def test_totals_by_carrier_in_physical_units_and_tce(golden: Store) -> None:
    st = energy_statistics(golden, year=2025, month=1)
    assert st.total_tce == pytest.approx(TOTAL_TCE)
    assert st.net_receipt_tce == pytest.approx(NET_TCE)
    assert st.onsite_renewable_tce == pytest.approx(PV_TCE)
    by = {c.carrier: c for c in st.carriers}
    assert by["electricity_grid_import"].value == pytest.approx(GRID)
    assert by["electricity_grid_import"].tce == pytest.approx(GRID * KGCE_PER_KWH / 1000)
    assert by["electricity_export"].tce == pytest.approx(-EXPORT * KGCE_PER_KWH / 1000)
    assert by["natural_gas"].tce == pytest.approx(GAS_TCE)
    assert by["steam"].tce == pytest.approx(STEAM_TCE)
    assert by["pv_generation"].tce == pytest.approx(PV_TCE)  # generated and used on site
    assert by["water"].value == pytest.approx(10 * 744) and by["water"].tce is None
    assert st.quality.measured == pytest.approx(1.0)
    assert {f.id for f in st.factors} >= {
        "tce.gbt2589-2020.electricity",
        "tce.gbt2589-2020.natural_gas.oil_field",
    }
    assert "fuel.ndrc-2013-2015.natural_gas.ncv" not in {f.id for f in st.factors}


def test_electricity_balance_clean_and_green_shares(golden: Store) -> None:
    st = energy_statistics(golden, year=2025, month=1)
    e = st.electricity
    assert e.consumption == pytest.approx(GRID + GREEN + PV - EXPORT)  # 271 560 kWh
    assert e.pv_self_consumed == pytest.approx(PV - EXPORT)  # 11 160 kWh
    assert e.green_share == pytest.approx((GREEN + PV - EXPORT) / (GRID + GREEN + PV - EXPORT))
    clean_tce = (GREEN + PV - EXPORT) * KGCE_PER_KWH / 1000  # 5.943444
    assert st.clean.share == pytest.approx(clean_tce / TOTAL_TCE)
    with_gas = energy_statistics(
        golden, year=2025, month=1, options=IndicatorOptions(natural_gas_clean=True)
    )
    assert with_gas.clean.share == pytest.approx((clean_tce + GAS_TCE) / TOTAL_TCE)


def test_by_enterprise_building_and_month(golden: Store) -> None:
    st = energy_statistics(golden, year=2025, month=1)
    owners = {o.code: o for o in st.owners}
    assert owners["A"].tce == pytest.approx((100 * 744 + GREEN + PV - EXPORT) * KGCE_PER_KWH / 1000)
    assert owners["B"].tce == pytest.approx(200 * 744 * KGCE_PER_KWH / 1000 + GAS_TCE + STEAM_TCE)
    assert [o.code for o in st.top_consumers(2)] == ["B", "A"]
    assert owners["A"].water_m3 == pytest.approx(7440) and owners["B"].water_m3 is None
    sites = {s.code: s for s in st.sites}
    # A-B1 holds A's grid, green and PV meters; export and water meters have no site
    assert sites["A-B1"].tce == pytest.approx((100 * 744 + GREEN + PV) * KGCE_PER_KWH / 1000)
    assert sites["A-B1"].kgce_per_m2 == pytest.approx(
        (100 * 744 + GREEN + PV) * KGCE_PER_KWH / 10_000
    )
    assert sites["B-B1"].electricity_kwh == pytest.approx(200 * 744)
    assert len(st.months) == 1 and st.months[0].tce == pytest.approx(TOTAL_TCE)


def test_metering_coverage_by_level_against_unverified_requirements(golden: Store) -> None:
    st = energy_statistics(golden, year=2025, month=1)
    cov = {(c.family, c.level): c for c in st.coverage}
    level1 = GRID + GREEN + PV  # every level-1 electricity meter that is consumption or generation
    assert cov[("electricity", 1)].share == pytest.approx(1.0)
    assert cov[("electricity", 2)].share == pytest.approx(60 * 744 / level1)
    assert cov[("electricity", 2)].required == 1.0 and cov[("electricity", 2)].meets is False
    assert cov[("electricity", 3)].share == 0.0 and cov[("electricity", 3)].required == 0.95
    assert cov[("natural_gas", 1)].share == pytest.approx(1.0)
    assert not st.coverage_requirement.verified
    assert any("unverified" in n for n in st.notes)


def test_an_enterprise_scope_sees_only_its_own(golden: Store) -> None:
    park = golden.registry.park()
    b = {e.code: e.id for e in golden.registry.enterprises(park.id)}["B"]
    st = energy_statistics(golden, year=2025, month=1, enterprise_id=b)
    assert [o.code for o in st.owners] == ["B"]
    assert st.total_tce == pytest.approx(200 * 744 * KGCE_PER_KWH / 1000 + GAS_TCE + STEAM_TCE)
    with pytest.raises(NotFound):
        energy_statistics(golden, year=2025, month=1, enterprise_id=9999)


def test_equal_value_uses_the_shipped_series(golden: Store) -> None:
    """等价值 without a factor file: 2025 takes the latest shipped year, 2022's 300.7 gce/kWh
    (中电联), and says so. Electricity (223 200 + 37 200 + 14 880 − 3 720) kWh × 300.7 g
    = 81.658092 tce (271 560 × 300 = 81 468 000 g, + 271 560 × 0.7 = 190 092 g); total
    81.658092 + 29.6856 + 50.77056 = 162.114252 tce."""
    st = energy_statistics(
        golden,
        year=2025,
        month=1,
        options=IndicatorOptions(electricity_conversion="equal_value"),
    )
    assert st.total_tce == pytest.approx(162.114252)
    assert "tce.cec.power_supply_coal.2022" in {f.id for f in st.factors}
    assert any("data year 2022 used for 2025" in n for n in st.notes)


def test_natural_gas_kind_option(golden: Store) -> None:
    """气田天然气 1.2143 kgce/m³: 22 320 m³ → 27.103176 tce in place of 29.6856."""
    st = energy_statistics(
        golden, year=2025, month=1, options=IndicatorOptions(natural_gas_kind="gas_field")
    )
    by = {c.carrier: c for c in st.carriers}
    assert by["natural_gas"].tce == pytest.approx(27.103176)
    assert st.total_tce == pytest.approx(TOTAL_TCE - GAS_TCE + 27.103176)


def test_equal_value_conversion_uses_the_record_given(golden: Store) -> None:
    from lingtan.carbon.factors import FactorRecord, default_library

    library = default_library().copy()
    library.append(
        FactorRecord(
            id="test.electricity.equal_value.2025",
            kind="standard_coal",
            key="electricity",
            value=0.3,
            unit="kgce/kWh",
            year=2025,
            scope="national",
            region="全国",
            basis="equal_value",
            source="test value, not a published figure",
            url=None,
            url_note="test data",
            confidence="H",
            verified=True,
        )
    )
    st = energy_statistics(
        golden,
        year=2025,
        month=1,
        library=library,
        options=IndicatorOptions(electricity_conversion="equal_value"),
    )
    assert st.total_tce == pytest.approx(
        (GRID + GREEN + PV - EXPORT) * 0.3 / 1000 + GAS_TCE + STEAM_TCE
    )
    assert "test.electricity.equal_value.2025" in {f.id for f in st.factors}


FUEL_PARK = """\
park:
  id: fuel-park
  name: 燃料测试园区
  province: 江苏
enterprises:
  - id: C
    name: 丙企业
points:
  - {id: C-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: C, level: 1, interval_s: 3600}
  - {id: C-gas, carrier: natural_gas, kind: interval, unit: GJ, enterprise: C, level: 1, interval_s: 3600}
  - {id: C-diesel, carrier: diesel, kind: interval, unit: t, enterprise: C, level: 1, interval_s: 3600}
  - {id: C-coal, carrier: coal, kind: interval, unit: t, enterprise: C, level: 1, interval_s: 3600}
"""


def test_one_energy_number_for_metered_fuels(store: Store) -> None:
    """Energy statistics, the park accounting and the core indicator's denominator are one
    number, also for fuels the accounting converts differently from electricity (January 2025,
    744 h):

    - natural gas metered as heat, 10 GJ/h: 7 440 GJ is a measured heat content,
      ÷ 29.307 GJ/tce (1 kgce = 29 307 kJ) = 253.8642645 tce;
    - diesel 0.01 t/h = 7.44 t × 1.4571 kgce/kg (GB/T 2589 annex) = 10.840824 tce;
    - coal (一般烟煤, the default coal type) 0.5 t/h = 372 t × 0.7143 kgce/kg (原煤) = 265.7196 tce;
    - grid electricity 100 kWh/h = 74 400 kWh × 0.1229 kgce = 9.14376 tce;
    - total 539.5684485 tce.
    Before, the statistics listed heat-metered gas without tce and converted coal through the
    coal table's default NCV (372 × 23.204 ÷ 29.307 = 294.5333 tce)."""
    import datetime as dt

    import numpy as np

    from lingtan.accounting import account_park
    from lingtan.indicators.evaluate import evaluate
    from lingtan.ingest import ingest_columns
    from lingtan.normalize.service import normalise_pending
    from lingtan.registry import parse_park_text
    from lingtan.timeutil import HOUR_US, to_us

    store.registry.save_park(parse_park_text(FUEL_PARK), actor="test")
    points = store.registry.points_by_code(refresh=True)
    hourly = {"C-grid": 100.0, "C-gas": 10.0, "C-diesel": 0.01, "C-coal": 0.5}
    start = to_us(dt.datetime(2025, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    ts = start + HOUR_US * np.arange(744, dtype=np.int64)
    ingest_columns(
        store,
        np.concatenate([np.full(744, points[c].id, np.int64) for c in hourly]),
        np.concatenate([ts for _ in hourly]),
        np.concatenate([np.full(744, v) for v in hourly.values()]),
        source="test",
    )
    normalise_pending(store)
    expected = 7440 / 29.307 + 7.44 * 1.4571 + 372 * 0.7143 + 74_400 * 0.1229 / 1000
    assert expected == pytest.approx(539.5684485)
    st = energy_statistics(store, year=2025, month=1)
    by = {c.carrier: c.tce for c in st.carriers}
    assert by["natural_gas"] == pytest.approx(253.8642645)
    assert by["diesel"] == pytest.approx(10.840824)
    assert by["coal"] == pytest.approx(265.7196)
    assert st.total_tce == pytest.approx(539.5684485)
    inv = account_park(store, year=2025, month=1, persist=False).inventory
    assert inv.energy_tce == pytest.approx(539.5684485)
    core = evaluate(store, year=2025, month=1).indicator("carbon_per_energy")
    assert core.inputs["energy_tce"] == pytest.approx(539.5684485)
