"""Admission verdicts for a compliant and a non-compliant project; core indicator by hand."""

from __future__ import annotations

from typing import Any

import pytest

from lingtan.compliance.admission import check, parse_project, parse_rules
from lingtan.compliance.reference import catalogue, efficiency_levels
from lingtan.errors import InvalidInput

RULES = parse_rules({"core_max": 0.20, "core_source": "national target (20–100万 tce parks)"})
PARK = {"park_emissions_tco2": 36000.0, "park_energy_tce": 200000.0}  # 0.18 tCO2/tce now


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
