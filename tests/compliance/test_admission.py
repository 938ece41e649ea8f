"""Admission verdicts for a compliant and a non-compliant project; core indicator by hand."""

from __future__ import annotations

from typing import Any

import pytest

from lingtan.compliance.admission import GuidingNow, check, parse_project, parse_rules
from lingtan.compliance.reference import catalogue, efficiency_levels
from lingtan.errors import InvalidInput
from lingtan.indicators.limits import load_limits

RULES = parse_rules({"core_max": 0.20, "core_source": "national target (20–100万 tce parks)"})
#: the park now: 36 000 tCO2 over 200 000 tce = 0.18 tCO2/tce
PARK: dict[str, Any] = {"park_emissions_tco2": 36000.0, "park_energy_tce": 200000.0}


def _project(**kw: Any) -> Any:
    base = {
        "name": "熟料余热项目",
        "investment_cny": 5e8,
        "catalogue_entry": "encouraged.energy_saving.waste_heat",
        "products": [{"product": "blast_furnace_iron", "capacity": 1e6, "unit_energy": 360}],
        "energy_tce": 10000,
        "electricity_kwh": 20e6,
        "green_power_share": 1.0,
        "combustion_tco2": 500,
        "process_tco2": 0,
    }
    base.update(kw)
    return parse_project(base)


def _run(project: Any) -> Any:
    return check(project, RULES, catalogue=catalogue(), levels=efficiency_levels(), **PARK)


def test_compliant_project_is_admitted() -> None:
    r = _run(_project())
    # e = 500 + 20e6 × (1 − 1.0) × 0.8325/1000 = 500 tCO2
    # after = (36 000 + 500) / (200 000 + 10 000) = 36 500 / 210 000 = 0.173 81
    assert r.extra["core_after"] == pytest.approx(36500 / 210000)
    assert r.extra["project_intensity"] == pytest.approx(0.05)
    assert {c.id: c.verdict for c in r.criteria} == {
        "catalogue": "pass",
        "benchmark.blast_furnace_iron": "pass",  # 360 ≤ 723号 标杆 361
        "core_after": "pass",
        "no_worsening": "pass",
    }
    assert r.verdict == "admit"


def test_non_compliant_project_is_refused() -> None:
    p = _project(
        catalogue_entry="restricted.cement.small_clinker_line",
        products=[{"product": "blast_furnace_iron", "capacity": 1e6, "unit_energy": 370}],
        green_power_share=0.0,
    )
    r = _run(p)
    # e = 500 + 20e6 × 0.8325/1000 = 500 + 16 650 = 17 150 tCO2
    # after = 53 150 / 210 000 = 0.253 10 > 0.20; own 17 150/10 000 = 1.715 > 0.18
    assert r.extra["project_emissions_tco2"] == pytest.approx(17150.0)
    assert r.extra["core_after"] == pytest.approx(53150 / 210000)
    verdicts = {c.id: c.verdict for c in r.criteria}
    assert verdicts == {
        "catalogue": "fail",
        "benchmark.blast_furnace_iron": "fail",  # 370 > 723号 标杆 361
        "core_after": "fail",
        "no_worsening": "fail",
    }
    assert r.verdict == "refuse"


def test_restricted_to_review_and_bad_input_named() -> None:
    rules = parse_rules({**RULES.model_dump(), "restricted": "review"})
    p = _project(catalogue_entry="restricted.cement.small_clinker_line")
    r = check(p, rules, catalogue=catalogue(), levels=efficiency_levels(), **PARK)
    assert r.verdict == "review"
    with pytest.raises(InvalidInput, match="green_power_share"):
        _project(green_power_share=1.5)


def test_rules_and_notes_speak_the_report_language() -> None:
    from lingtan.compliance.admission import report_from_dict, report_html

    rules = parse_rules({**RULES.model_dump(), "restricted": "review"})
    p = _project(catalogue_entry="restricted.cement.small_clinker_line")
    r = check(p, rules, catalogue=catalogue(), levels=efficiency_levels(), **PARK)
    by_id = {c.id: c for c in r.criteria}
    cat, core = by_id["catalogue"], by_id["core_after"]
    assert cat.value.startswith("限制类（restricted）")
    assert cat.rule_in("zh-CN") == "淘汰类 → 不予准入；限制类 → 复核"
    assert cat.rule_in("en") == "eliminated → refuse; restricted → review"
    # after = (36 000 + 500) / (200 000 + 10 000); before = 36 000 / 200 000 = 0.18
    assert core.note_in("zh-CN").endswith("准入前 0.1800")
    assert core.note_in("en").endswith("before 0.1800")
    zh, en = report_html(r, "zh-CN"), report_html(r, "en")
    assert "eliminated → refuse" not in zh and "淘汰类 → 不予准入" in zh
    assert "eliminated → refuse" in en
    # a report stored before the English texts existed still loads, showing its own text
    old = r.as_dict()
    for c in old["criteria"]:
        del c["rule_en"], c["note_en"]
    again = report_from_dict(old)
    assert again.criteria[0].rule_in("en") == again.criteria[0].rule


# -- the limit level (7.9.3) and the guiding indicators (910号 附件3) with the project --------

#: the electricity coefficient at 当量值: 0.1229 kgce/kWh = 0.0001229 tce/kWh (GB/T 2589-2020)
KWH_TCE = 0.1229 / 1000
CLEAN = GuidingNow("clean_energy_share", 100.0, 1000.0, 0.90, "national.clean_energy_share")
WATER = GuidingNow("water_reuse", 800.0, 200.0, 0.80, "national.water_reuse")


#: the park's rules without the project-intensity rule (these small projects would fail it)
GUIDED = parse_rules({**RULES.model_dump(), "no_worsening": False})


def _guided(project: Any, rules: Any = GUIDED) -> Any:
    return check(
        project, rules, catalogue=catalogue(), levels=efficiency_levels(), **PARK,
        limits={r.product: r for r in load_limits()}, guiding=[CLEAN, WATER],
        electricity_tce_per_kwh=KWH_TCE,
    )  # fmt: skip


def test_the_guiding_indicators_before_and_after_by_hand() -> None:
    # the park now: clean 100 of 1 000 tce (10 %), water reused 800 of 800 + 200 m³ (80 %)
    p = _project(energy_tce=200, electricity_kwh=1e6, green_power_share=0.5, water_m3=100,
                 products=[])  # fmt: skip
    r = _guided(p)
    by = {c.id: c for c in r.criteria}
    # clean: 1e6 kWh × 0.5 × 0.0001229 = 61.45 tce; (100 + 61.45) / (1 000 + 200) = 0.134 54:
    # below the 90 % target but not lower than the 10 % before → pass
    assert r.extra["guiding"]["clean_energy_share"]["project_clean_tce"] == pytest.approx(61.45)
    assert by["guiding.clean_energy_share"].value == pytest.approx(161.45 / 1200)
    assert by["guiding.clean_energy_share"].verdict == "pass"
    # water: 800 / (800 + 200 + 100) = 0.727 27: below the 80 % target and lower than 80 % before
    assert by["guiding.water_reuse"].value == pytest.approx(800 / 1100)
    assert by["guiding.water_reuse"].verdict == "review" and r.verdict == "review"
    # reusing 400 m³ of its own: (800 + 400) / (800 + 400 + 200 + 100) = 0.8 → meets the target
    r = _guided(_project(energy_tce=200, electricity_kwh=1e6, green_power_share=0.5,
                         water_m3=100, water_reused_m3=400, products=[]))  # fmt: skip
    water = next(c for c in r.criteria if c.id == "guiding.water_reuse")
    assert water.value == pytest.approx(0.8) and water.verdict == "pass"
    # no green power: 100 / 1 200 = 0.083 33 < 0.10 before; the park's rules may refuse it
    strict = parse_rules({**GUIDED.model_dump(), "guiding_worse": "refuse"})
    r = _guided(_project(energy_tce=200, electricity_kwh=1e6, green_power_share=0.0,
                         products=[]), strict)  # fmt: skip
    clean = next(c for c in r.criteria if c.id == "guiding.clean_energy_share")
    assert clean.value == pytest.approx(100 / 1200) and clean.verdict == "fail"
    assert r.verdict == "refuse"
    # a declared clean energy replaces the green-power estimate; no water declared: not applicable
    r = _guided(_project(energy_tce=200, clean_energy_tce=200, products=[]))
    by = {c.id: c for c in r.criteria}
    assert by["guiding.clean_energy_share"].value == pytest.approx(300 / 1200)
    assert by["guiding.water_reuse"].verdict == "not_applicable"
    assert by["guiding.water_reuse"].note == "项目未申报取水量"


def test_a_product_is_designed_within_the_limit_level_the_park_requires() -> None:
    # GB 21346-2022 表1 铝液交流电耗: 1级 12 950, 2级 13 000, 3级 13 350 kWh/t (inclusive)
    def verdict(unit_energy: float) -> str:
        product = {"product": "electrolytic_aluminium", "capacity": 1e5, "unit_energy": unit_energy,
                   "unit": "kWh/t"}  # fmt: skip
        r = _guided(_project(products=[product]))
        return str(next(c.verdict for c in r.criteria if c.id == "limit.electrolytic_aluminium"))

    assert verdict(13_000) == "pass"
    assert verdict(13_000.5) == "fail"
    r = _guided(_project(products=[{"product": "widget", "capacity": 1.0}]))
    assert next(c.verdict for c in r.criteria if c.id == "limit.widget") == "not_applicable"
