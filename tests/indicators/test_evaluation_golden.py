"""Golden evaluation: each indicator's value worked out by hand (data/README.md), and each
status — meets, fails, not assessable with its reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from lingtan.errors import InvalidInput
from lingtan.indicators import records as rec
from lingtan.indicators.evaluate import Evaluation, evaluate, rank_enterprises
from lingtan.indicators.options import IndicatorOptions
from lingtan.store import Store, open_store
from tests.indicators.golden_park import load

DATA = Path(__file__).parent / "data"
PLAN = str(DATA / "park_plan_golden.yaml")
LIMITS = str(DATA / "limits_golden.yaml")

KGCE_PER_KWH = 0.1229
GRID_A, GRID_B = 100 * 744, 200 * 744
GREEN, PV, EXPORT = 50 * 744, 20 * 744, 5 * 744
GAS, STEAM = 30 * 744, 2 * 744
# natural gas without a measured NCV in tce: GB/T 2589-2020 附录A 油田天然气 1.3300 kgce/m³
GAS_TCE = GAS * 1.3300 / 1000
# 综合能源消费量: net receipt plus on-site PV generation (the park consumes what it generates)
ENERGY_TCE = (
    (GRID_A + GRID_B + GREEN + PV - EXPORT) * KGCE_PER_KWH / 1000 + GAS_TCE + STEAM * 0.03412
)
# 附件4: grid 0.8325 kgCO2/kWh, direct green 0, exported non-fossil 0; fossil heat 0.11 tCO2/GJ;
# natural gas NCV 389.31 GJ/10^4 m³, carbon content 0.0153 tC/GJ, oxidation 0.99, × 44/12
EMISSIONS = (
    (GRID_A + GRID_B) * 0.8325 / 1000 + STEAM * 0.11 + GAS * 389.31e-4 * 0.0153 * 0.99 * 44 / 12
)
CLEAN = (GREEN + PV - EXPORT) * KGCE_PER_KWH / 1000 / ENERGY_TCE
JAN = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))


def _add(
    store: Store,
    code: str | None,
    category: str,
    item: str,
    quantity: float,
    unit: str,
    period: tuple[dt.date, dt.date] = JAN,
) -> None:
    ids = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    rec.add_record(
        store,
        enterprise_id=None if code is None else ids[code],
        category=category,
        item=item,
        period_start=period[0],
        period_end=period[1],
        quantity=quantity,
        unit=unit,
        source_document="金标测试记录",
        entered_by="test",
    )


def _base_records(store: Store) -> None:
    _add(store, "A", "solid_waste", "generated", 100, "t")
    _add(store, "A", "solid_waste", "utilised", 85, "t")
    _add(store, "B", "solid_waste", "generated", 50, "t")
    _add(store, "B", "solid_waste", "utilised", 30, "t")
    _add(store, "B", "solid_waste", "utilised_from_storage", 10, "t")
    _add(store, "B", "waste_heat", "available", 400, "GJ")
    _add(store, "B", "waste_heat", "utilised", 220, "GJ")
    _add(store, "A", "water", "reused", 66_960, "m3")
    _add(store, "B", "product_output", "widget", 320, "t")
    _add(store, "A", "product_output", "gadget", 10, "t")
    feb26 = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    _add(store, "A", "solid_waste", "generated", 100, "t", feb26)
    _add(store, "A", "solid_waste", "utilised", 95, "t", feb26)
    _add(store, "B", "solid_waste", "generated", 50, "t", feb26)
    _add(store, "B", "solid_waste", "utilised", 45, "t", feb26)


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('golden') / 'g.db'}")
    load(store)
    _base_records(store)
    yield store
    store.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'g.db'}")
    load(store)
    yield store
    store.close()


def _jan(store: Store, **kw: object) -> Evaluation:
    return evaluate(store, year=2025, month=1, **kw)  # type: ignore[arg-type]


# -- core indicator -------------------------------------------------------------------------


def test_core_value_is_emissions_over_energy_by_hand(golden: Store) -> None:
    r = _jan(golden, options=IndicatorOptions(target_set=PLAN)).indicator("carbon_per_energy")
    assert r.inputs["emissions_tco2"] == pytest.approx(EMISSIONS)
    assert r.inputs["energy_tce"] == pytest.approx(ENERGY_TCE)
    assert r.value == pytest.approx(EMISSIONS / ENERGY_TCE)  # 3.4954…
    assert r.status == "meets" and r.target is not None and r.target.value == 4.0
    assert r.gap == pytest.approx(EMISSIONS / ENERGY_TCE - 4.0)
    kinds = {e["kind"] for e in r.evidence}
    assert {"explain", "factor", "source", "clause", "target"} <= kinds
    assert "annex4.electricity.fossil" in {e.get("id") for e in r.evidence}
    assert r.options["electricity_conversion"] == "equivalent"


def test_core_fails_the_next_milestone_and_says_it_is_a_veto(golden: Store) -> None:
    r = _jan(golden, options=IndicatorOptions(target_set=PLAN, target_year=2026)).indicator(
        "carbon_per_energy"
    )
    assert r.status == "fails" and r.target is not None and r.target.value == 3.0
    assert "否决" in r.reason_zh and "veto" in r.reason_en


def test_core_has_no_national_threshold_for_a_small_park(golden: Store) -> None:
    ev = _jan(golden)
    r = ev.indicator("carbon_per_energy")
    assert r.value == pytest.approx(EMISSIONS / ENERGY_TCE)
    assert r.status == "not_assessable" and r.target is None
    # January scaled to a year: 113.83 tce × 365 / 31 = 1 340.3 tce, below the 20万 tce class
    assert ev.energy_tce_annual == pytest.approx(ENERGY_TCE * 365 / 31)
    assert "20–100万 tce" in r.reason_zh


def test_core_per_enterprise_ranking_on_the_annex4_basis(golden: Store) -> None:
    rows = rank_enterprises(golden, year=2025, month=1)
    by = {r["code"]: r for r in rows}
    a_emissions = GRID_A * 0.8325 / 1000  # green and exported PV at 0
    a_energy = (GRID_A + GREEN + PV - EXPORT) * KGCE_PER_KWH / 1000
    assert by["A"]["value"] == pytest.approx(a_emissions / a_energy)
    b_emissions = EMISSIONS - a_emissions
    b_energy = ENERGY_TCE - a_energy
    assert by["B"]["value"] == pytest.approx(b_emissions / b_energy)
    # A: 61.94 tCO2 / 15.09 tce = 4.11; B: 335.82 / 98.74 = 3.40 — B ranks first
    assert [r["code"] for r in rows] == ["B", "A"] and by["B"]["rank"] == 1


# -- clean energy share ---------------------------------------------------------------------


def test_clean_energy_share_fails_national_and_meets_the_plan(golden: Store) -> None:
    national = _jan(golden).indicator("clean_energy_share")
    assert national.value == pytest.approx(CLEAN)  # 5.22 %
    assert national.status == "fails" and national.gap == pytest.approx(CLEAN - 0.90)
    plan = _jan(golden, options=IndicatorOptions(target_set=PLAN)).indicator("clean_energy_share")
    assert plan.status == "meets" and plan.target is not None and plan.target.value == 0.05
    assert plan.quality.measured == pytest.approx(1.0) and plan.quality.entered == 0.0


def test_a_year_with_one_metered_month_is_not_assessable(golden: Store) -> None:
    r = evaluate(golden, year=2025).indicator("clean_energy_share")
    assert r.status == "not_assessable"
    assert r.quality.completeness == pytest.approx(31 / 365)
    assert "90%" in r.reason_zh
    flagged = evaluate(golden, year=2025, options=IndicatorOptions(on_incomplete="flag"))
    assert flagged.indicator("clean_energy_share").status == "fails"
    assert "note" in flagged.indicator("clean_energy_share").reason_en


# -- product unit energy ---------------------------------------------------------------------


def test_product_at_level_2_meets(golden: Store) -> None:
    options = IndicatorOptions(limits_file=LIMITS, product_coverage_min=0.5)
    r = _jan(golden, options=options).indicator("product_unit_energy")
    widget = next(d for d in r.details if d["product"] == "widget")
    assert widget["value"] == pytest.approx(GRID_B / 320)  # 465 kWh/t: level 2 (≤ 500)
    assert widget["level"] == 2 and widget["status"] == "meets"
    gadget = next(d for d in r.details if d["product"] == "gadget")
    assert gadget["status"] == "not_assessed"  # no limit record
    assert r.value == pytest.approx(1.0) and r.status == "meets"
    assert r.inputs["coverage"] == pytest.approx(1 / 2)  # widget of widget and gadget


def test_product_indicator_below_coverage_is_insufficient_data(golden: Store) -> None:
    # 1 of 2 products assessed = 50 % < the default 80 %: no value, never "100 % 达标"
    r = _jan(golden, options=IndicatorOptions(limits_file=LIMITS)).indicator("product_unit_energy")
    assert r.status == "not_assessable" and r.value is None
    assert r.inputs["products_present"] == 2 and r.inputs["products_assessed"] == 1
    assert "1/2" in r.reason_zh and "insufficient data" in r.reason_en


def test_product_worse_than_the_limit_fails(fresh: Store) -> None:
    _add(fresh, "B", "product_output", "widget", 200, "t")  # 148 800 / 200 = 744 kWh/t > 600
    r = _jan(fresh, options=IndicatorOptions(limits_file=LIMITS)).indicator("product_unit_energy")
    assert r.details[0]["level"] is None and r.value == 0.0 and r.status == "fails"


def test_product_without_a_limit_standard_is_not_assessable(golden: Store) -> None:
    r = _jan(golden).indicator("product_unit_energy")
    assert r.status == "not_assessable" and r.value is None
    assert "限额" in r.reason_zh


# -- solid waste ---------------------------------------------------------------------------------


def test_solid_waste_rate_by_hand_fails(golden: Store) -> None:
    r = _jan(golden).indicator("solid_waste_utilisation")
    assert r.value == pytest.approx((85 + 30) / (150 + 10))  # 0.71875
    assert r.status == "fails" and r.quality.entered == 1.0
    records = [e for e in r.evidence if e["kind"] == "record"]
    assert len(records) == 5 and all(e["source_document"] == "金标测试记录" for e in records)


def test_solid_waste_meets_in_2026_with_its_trend_against_2025(golden: Store) -> None:
    r = evaluate(golden, year=2026, month=1, indicators=["solid_waste_utilisation"]).indicators[0]
    assert r.value == pytest.approx(140 / 150) and r.status == "meets"
    assert r.trend["base_year"] == 2025
    assert r.trend["base_value"] == pytest.approx(115 / 160)
    assert r.trend["relative_change"] == pytest.approx((140 / 150 - 115 / 160) / (115 / 160))


def test_records_covering_part_of_the_period_are_not_enough(golden: Store) -> None:
    # January records for a January–February year-to-date: 31 of 59 days
    r = evaluate(
        golden, year=2025, month=2, ytd=True, indicators=["solid_waste_utilisation"]
    ).indicators[0]
    assert r.value == pytest.approx(115 / 160)
    assert r.status == "not_assessable" and r.quality.completeness == pytest.approx(31 / 59)


# -- waste heat -----------------------------------------------------------------------------------


def test_waste_heat_meets(golden: Store) -> None:
    r = _jan(golden).indicator("waste_heat_utilisation")
    assert r.value == pytest.approx(220 / 400) and r.status == "meets"


def test_waste_heat_fails(fresh: Store) -> None:
    _add(fresh, "B", "waste_heat", "available", 400, "GJ")
    _add(fresh, "B", "waste_heat", "utilised", 150, "GJ")
    r = _jan(fresh).indicator("waste_heat_utilisation")
    assert r.value == pytest.approx(150 / 400) and r.status == "fails"


def test_waste_heat_without_records_is_not_assessable(fresh: Store) -> None:
    r = _jan(fresh).indicator("waste_heat_utilisation")
    assert r.status == "not_assessable" and r.value is None and "余热" in r.reason_zh


def test_a_guiding_indicator_excluded_by_the_park(golden: Store) -> None:
    r = _jan(golden, exclusions={"waste_heat_utilisation": "无余热资源"}).indicator(
        "waste_heat_utilisation"
    )
    assert r.status == "not_assessable" and "无余热资源" in r.reason_zh
    with pytest.raises(InvalidInput):
        _jan(golden, exclusions={"carbon_per_energy": "no"})


# -- water reuse ----------------------------------------------------------------------------------


def test_water_reuse_with_metered_intake_meets(golden: Store) -> None:
    r = _jan(golden).indicator("water_reuse")
    assert r.value == pytest.approx(66_960 / (7_440 + 66_960))  # 0.9
    assert r.status == "meets"
    assert r.quality.measured == pytest.approx(7_440 / 74_400)
    assert r.quality.entered == pytest.approx(66_960 / 74_400)


def test_water_reuse_fails_and_an_entered_intake_wins(fresh: Store) -> None:
    _add(fresh, "A", "water", "reused", 20_000, "m3")
    assert _jan(fresh).indicator("water_reuse").value == pytest.approx(20_000 / 27_440)
    _add(fresh, "A", "water", "intake", 5_000, "m3")
    r = _jan(fresh).indicator("water_reuse")
    assert r.value == pytest.approx(20_000 / 25_000) and r.status == "meets"
    metered = _jan(fresh, options=IndicatorOptions(water_intake="metered")).indicator("water_reuse")
    assert metered.value == pytest.approx(20_000 / 27_440) and metered.status == "fails"


def test_water_reuse_without_records_is_not_assessable(fresh: Store) -> None:
    r = _jan(fresh).indicator("water_reuse")
    assert r.status == "not_assessable" and "重复利用" in r.reason_zh


# -- the whole evaluation ---------------------------------------------------------------------------


def test_the_json_object_carries_the_fields_the_issue_names(golden: Store) -> None:
    data = _jan(golden).as_dict()
    ids = [i["id"] for i in data["indicators"]]
    assert ids == [
        "carbon_per_energy",
        "clean_energy_share",
        "product_unit_energy",
        "solid_waste_utilisation",
        "waste_heat_utilisation",
        "water_reuse",
    ]
    for item in data["indicators"]:
        assert {
            "id",
            "name_zh",
            "value",
            "unit",
            "target",
            "status",
            "reason",
            "options",
            "evidence",
        } <= set(item)
        assert item["status"] in ("meets", "fails", "not_assessable")
    assert data["options"]["electricity_conversion"] == "equivalent"
    assert data["target_set"]["id"] == "national"


def test_an_enterprise_is_evaluated_against_the_park_targets(golden: Store) -> None:
    ids = {e.code: e.id for e in golden.registry.enterprises(golden.registry.park().id)}
    ev = evaluate(
        golden,
        year=2025,
        month=1,
        enterprise_id=ids["B"],
        options=IndicatorOptions(target_set=PLAN),
    )
    r = ev.indicator("carbon_per_energy")
    b_emissions = EMISSIONS - GRID_A * 0.8325 / 1000
    b_energy = ENERGY_TCE - (GRID_A + GREEN + PV - EXPORT) * KGCE_PER_KWH / 1000
    assert r.value == pytest.approx(b_emissions / b_energy)
    assert ev.indicator("waste_heat_utilisation").value == pytest.approx(220 / 400)
    assert ev.indicator("water_reuse").status == "not_assessable"  # B reports no reuse


def test_the_same_values_on_sqlite_and_postgresql(store: Store) -> None:
    load(store)
    _add(store, "B", "waste_heat", "available", 400, "GJ")
    _add(store, "B", "waste_heat", "utilised", 220, "GJ")
    ev = _jan(store)
    assert ev.indicator("carbon_per_energy").value == pytest.approx(EMISSIONS / ENERGY_TCE)
    assert ev.indicator("clean_energy_share").value == pytest.approx(CLEAN)
    assert ev.indicator("waste_heat_utilisation").value == pytest.approx(0.55)
    assert ev.as_dict()["indicators"][4]["target_value"] == 0.50
