"""Indicator profiles: the formula language, validation with line numbers, the national profile
reproducing the indicator code, Jiangxi's park types, and "insufficient data" naming inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from lingtan.errors import InvalidInput
from lingtan.indicators.evaluate import evaluate
from lingtan.indicators.formula_lang import FormulaError, Undefined, parse_formula, same_unit
from lingtan.indicators.options import IndicatorOptions
from lingtan.indicators.profile_eval import (
    compare_profiles,
    evaluate_profile,
    select_profile_target,
)
from lingtan.indicators.profiles import load_profile, parse_profile
from lingtan.indicators.targets import load_target_set
from lingtan.options.model import ParkOptions
from lingtan.store import Store, open_store
from tests.indicators.golden_park import load
from tests.indicators.test_evaluation_golden import (
    EMISSIONS,
    ENERGY_TCE,
    LIMITS,
    _add,
    _base_records,
)

UNITS = {"a_t": "t", "b_t": "t", "e_tco2": "tCO2", "x_tce": "tce"}


# -- the formula language ------------------------------------------------------------------------


def test_a_formula_is_parsed_with_its_unit_and_evaluated() -> None:
    f = parse_formula("e_tco2 / x_tce", UNITS)
    assert f.names == ("e_tco2", "x_tce") and same_unit("tCO2/tce", "tCO2/tce")
    assert f.unit == {"tCO2": 1, "tce": -1}
    # 30 / 12 = 2.5
    assert f.evaluate({"e_tco2": 30.0, "x_tce": 12.0}) == 2.5
    g = parse_formula("ratio(a_t, sum(a_t, b_t))", UNITS)
    assert g.unit == {} and g.evaluate({"a_t": 1.0, "b_t": 3.0}) == 0.25  # 1 / (1 + 3)
    with pytest.raises(Undefined, match="denominator"):
        g.evaluate({"a_t": 0.0, "b_t": 0.0})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a_t / c_t", "unknown quantity 'c_t'"),
        ("a_t * 0.9", "numbers may not be typed"),
        ("a_t + e_tco2", "unit mismatch"),
        ("sum(a_t, x_tce)", "unit mismatch in sum"),
        ("__import__('os')", "unknown function"),
        ("a_t.real", "not allowed"),
        ("a_t ** b_t", "not allowed"),
        ("a_t if b_t else a_t", "not allowed"),
        ("a_t /", "not a formula"),
    ],
)
def test_a_formula_outside_the_whitelist_is_refused(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        parse_formula(text, UNITS)


# -- validation with line numbers --------------------------------------------------------------

GOOD = """\
id: my-park
version: 1
name_zh: 测试园区指标
name_en: test park indicators
level: park
issuer: 园区管委会
document: 园区零碳建设方案
url_note: park document, not published
confidence: H
park_types:
- {id: chemical, name_zh: 化工园区, name_en: chemical}
- {id: non_chemical, name_zh: 非化工园区, name_en: non-chemical}
indicators:
- id: core
  name_zh: 单位能耗碳排放
  name_en: carbon per energy
  definition: emissions_tco2 / energy_tce
  unit: tCO2/tce
  direction: le
  binding: true
  targets:
  - {value: 4.0, park_types: [chemical], confidence: H, verified: true}
  - {value: 0.2, park_types: [non_chemical], confidence: H, verified: true}
"""


def test_a_park_profile_loads() -> None:
    p = parse_profile(GOOD, where="mine.yaml")
    assert p.indicator("core").binding and set(p.park_types) == {"chemical", "non_chemical"}


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        # line 17 is the definition
        ("emissions_tco2 / energy_tce", "emissions_tco2 / fuel_tce", "mine.yaml:17:"),
        # line 18 is the unit
        ("unit: tCO2/tce", "unit: '1'", "mine.yaml:18:"),
        # line 22: a target in another unit
        ("{value: 4.0, park_types", "{value: 4.0, unit: kgCO2/tce, park_types", "mine.yaml:22:"),
        # the non-chemical target removed: line 21 is `targets:`
        ("  - {value: 0.2, park_types: [non_chemical], confidence: H, verified: true}\n", "",
         "mine.yaml:21:"),
        # line 22: a park type the profile does not declare
        ("park_types: [chemical]", "park_types: [steel]", "mine.yaml:22:"),
    ],
)  # fmt: skip
def test_a_malformed_profile_is_refused_with_its_line(old: str, new: str, where: str) -> None:
    assert old in GOOD
    with pytest.raises(InvalidInput) as err:
        parse_profile(GOOD.replace(old, new), where="mine.yaml")
    assert str(err.value).startswith(where), str(err.value)


def test_the_error_names_what_is_wrong() -> None:
    bad = GOOD.replace("emissions_tco2 / energy_tce", "emissions_tco2 / fuel_tce")
    with pytest.raises(InvalidInput, match="unknown quantity 'fuel_tce'"):
        parse_profile(bad, where="mine.yaml")
    missing = GOOD.replace(
        "  - {value: 0.2, park_types: [non_chemical], confidence: H, verified: true}\n", ""
    )
    with pytest.raises(InvalidInput, match="missing target for park type 'non_chemical'"):
        parse_profile(missing, where="mine.yaml")


def test_every_shipped_profile_loads_and_marks_unverified_values() -> None:
    for name in ("national", "hunan", "jiangxi", "zhejiang-draft", "cec-evaluation"):
        p = load_profile(name)
        for i in p.indicators:
            for t in i.targets:
                if not t.verified:
                    assert t.confidence in ("L", "U"), (name, i.id)
                    assert "not verified from the published text" in (t.note or ""), (name, i.id)
    assert load_profile("zhejiang-draft").draft
    # Hunan takes the national guiding indicators it does not list
    assert load_profile("hunan").indicator("water_reuse").origin == "national"


# -- Jiangxi: chemical vs non-chemical ---------------------------------------------------------


def test_jiangxi_core_targets_by_park_type() -> None:
    core = load_profile("jiangxi").indicator("carbon_per_energy")
    non, _ = select_profile_target(core, park_type="non_chemical", year=2027, energy_tce=5e5)
    assert non is not None and non.value == 0.20 and not non.verified and non.confidence == "L"
    big, _ = select_profile_target(core, park_type="non_chemical", year=2027, energy_tce=2e6)
    assert big is not None and big.value == 0.30
    chem, _ = select_profile_target(core, park_type="chemical", year=2027, energy_tce=5e5)
    assert chem is not None and chem.value is None and "not verified" in (chem.note or "")


# -- on the golden park ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('prof') / 'g.db'}")
    load(store)
    _base_records(store)
    yield store
    store.close()


@pytest.mark.parametrize("kw", [{"year": 2025, "month": 1}, {"year": 2025}])
def test_the_national_profile_reproduces_the_indicator_code(golden: Store, kw: dict) -> None:
    # the golden park's limit records cover 1 of its 2 products: with the default minimum
    # coverage (0.80) the product indicator has no value either way, which would prove little
    opts = IndicatorOptions(limits_file=LIMITS, product_coverage_min=0.5)
    ev = evaluate(golden, options=opts, target_set=load_target_set("national"), **kw)
    pe = evaluate_profile(golden, load_profile("national"), options=opts, **kw)
    assert [r.indicator.id for r in pe.results] == [r.id for r in ev.indicators]
    for r in ev.indicators:
        p = pe.result(r.id)
        assert p.value == r.value, r.id
        assert (p.target and p.target.value) == (r.target and r.target.value), r.id
        # insufficient_data is the profile engine's name for "not assessable: no data"
        status = "not_assessable" if p.status == "insufficient_data" else p.status
        assert status == r.status, (r.id, p.reason_en, r.reason_en)
    assert pe.energy_tce_annual == ev.energy_tce_annual
    if "month" in kw:  # something is assessed both ways, or the comparison proves little
        assert {r.status for r in ev.indicators} >= {"meets", "fails"}
        assert pe.result("product_unit_energy").value is not None
    else:  # one metered month in a year: incomplete, not assessable both ways
        assert {r.status for r in ev.indicators} == {"not_assessable"}
    # below the default minimum coverage neither gives the product indicator a value
    default = IndicatorOptions(limits_file=LIMITS)
    ev = evaluate(golden, options=default, target_set=load_target_set("national"), **kw)
    pe = evaluate_profile(golden, load_profile("national"), options=default, **kw)
    assert pe.result("product_unit_energy").value is None
    assert ev.indicator("product_unit_energy").value is None


def test_a_park_profile_judges_chemical_and_non_chemical_parks(golden: Store) -> None:
    prof = parse_profile(GOOD, where="mine.yaml")
    # core = EMISSIONS / ENERGY_TCE ≈ 3.49 tCO2/tce (by hand in test_evaluation_golden)
    chem, non = (
        evaluate_profile(golden, prof, year=2025, month=1, park_type=t).result("core")
        for t in ("chemical", "non_chemical")
    )
    assert chem.value == pytest.approx(EMISSIONS / ENERGY_TCE, rel=1e-9)
    assert chem.status == "meets" and chem.target is not None and chem.target.value == 4.0
    assert non.status == "fails" and "binding" in non.reason_en
    with pytest.raises(InvalidInput, match="park_type"):
        evaluate_profile(golden, prof, year=2025, month=1)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'g.db'}")
    load(store)
    yield store
    store.close()


def test_insufficient_data_names_the_input_until_it_is_recorded(fresh: Store) -> None:
    jx = load_profile("jiangxi")
    ev = evaluate_profile(fresh, jx, year=2025, month=1, park_type="non_chemical")
    off = ev.result("offset_share")
    assert off.status == "insufficient_data" and off.missing == ("offsets_tco2",)
    assert "offsets records" in off.reason_en
    nev = ev.result("public_nev_share")
    assert set(nev.missing) == {"public_vehicles_new_energy", "public_vehicles_total"}
    _add(fresh, None, "offsets", "ccer", 100, "tCO2")
    jan_end = (dt.date(2025, 1, 31), dt.date(2025, 1, 31))
    _add(fresh, None, "vehicles", "public_service_total", 40, "1", jan_end)
    _add(fresh, None, "vehicles", "public_service_new_energy", 30, "1", jan_end)
    (ev,) = compare_profiles(fresh, [jx], year=2025, month=1, park_type="non_chemical")
    # 100 tCO2 offset over the month's emissions (by hand); 30 of 40 vehicles = 75 %
    assert ev.result("offset_share").value == pytest.approx(100 / EMISSIONS, rel=1e-9)
    assert ev.result("public_nev_share").value == 0.75
    # counts are entered in unit 1
    with pytest.raises(InvalidInput, match="unit 1"):
        _add(fresh, None, "vehicles", "public_service_total", 40, "%")


def test_the_park_chooses_its_profiles_in_its_options() -> None:
    o = ParkOptions.from_dict({"indicator_profiles": "jiangxi, national", "park_type": "chemical"})
    assert o.indicator_profiles == ("jiangxi", "national") and o.park_type == "chemical"
    assert o.as_dict()["indicator_profiles"] == ["jiangxi", "national"]
    assert ParkOptions().indicator_profiles == ("national",)
    with pytest.raises(InvalidInput, match="indicator_profiles"):
        ParkOptions.from_dict({"indicator_profiles": []})


def test_the_cli_evaluates_a_profile_file_and_refuses_a_bad_one(
    fresh: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from lingtan.cli import indicators as cli_indicators

    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    cli_indicators.register(app)
    monkeypatch.setenv("LINGTAN_DATABASE_URL", fresh.url)
    mine = tmp_path / "mine.yaml"
    mine.write_text(GOOD, "utf-8")
    run = ["indicators", "--year", "2025", "--month", "1", "--profile", str(mine)]
    ok = CliRunner().invoke(app, [*run, "--park-type", "chemical", "--json"])
    assert ok.exit_code == 0, ok.output
    (ev,) = json.loads(ok.output)["evaluations"]
    assert ev["profile"]["id"] == "my-park" and ev["indicators"][0]["status"] == "meets"
    mine.write_text(GOOD.replace("energy_tce\n", "fuel_tce\n"), "utf-8")
    bad = CliRunner().invoke(app, [*run, "--park-type", "chemical"])
    assert bad.exit_code != 0 and "mine.yaml:17" in bad.output, bad.output
