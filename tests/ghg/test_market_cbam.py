"""Covered units at the threshold, the annual report, CBAM attribution and default values."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from lingtan.errors import InvalidInput
from lingtan.ghg import cbam, market
from lingtan.ghg.account import account, parse_document


@pytest.mark.parametrize(
    ("emissions", "status"),
    [(26_000.0, "covered"), (25_999.9, "not_covered"), (None, "undetermined")],
)
def test_covered_unit_at_the_threshold(emissions: float | None, status: str) -> None:
    t = market.covered_test(enterprise="e", year=2025, sector="cement", market_emissions=emissions)
    assert t.status == status and t.threshold_record == "cets.threshold.2025"


def test_sector_outside_the_market_is_not_covered() -> None:
    t = market.covered_test(enterprise="e", year=2025, sector="other", market_emissions=1e6)
    assert t.status == "sector_not_covered"
    t = market.covered_test(enterprise="e", year=2024, sector="steel", market_emissions=1e6)
    assert t.status == "sector_not_covered"


def test_annual_report_workbook(smelter: dict[str, Any]) -> None:
    r = account(parse_document(smelter))
    wb = load_workbook(io.BytesIO(market.report_xlsx(r)))
    assert wb.sheetnames[:2] == ["表1 基本信息", "表2 排放量汇总"]
    summary = wb["表2 排放量汇总"]
    assert summary["B1"].value == pytest.approx(173_107.066)
    assert summary["C1"].value == "CO2, CF4, C2F6"
    # the covered-unit test in the report's language, its threshold record with its name
    basic = wb["表1 基本信息"]["B5"].value
    assert basic.startswith("纳入（重点排放单位） — ") and "covered" not in basic
    assert "cets.threshold.2025 全国碳市场重点排放单位纳入门槛" in basic
    assert wb["表1 基本信息"]["B3"].value == "铝冶炼"
    en = load_workbook(io.BytesIO(market.report_xlsx(r, lang="en")))
    assert en.sheetnames[0] == "Table 1 Basic information"
    assert en["Table 1 Basic information"]["B5"].value.startswith("covered (key emitting unit)")
    assert en["Table 1 Basic information"]["B3"].value == "aluminium"


def test_monthly_evidence_package_lists_values_evidence_and_missing(
    smelter: dict[str, Any],
) -> None:
    import copy

    from tests.ghg.conftest import series

    doc = copy.deepcopy(smelter)
    doc["sources"][1]["series"]["anode_effect_minutes"] = series(
        "AE-min/cell-day", [0.2] * 6 + [None] + [0.2] * 5
    )
    r = account(parse_document(doc))
    july = market.evidence_package(r, month=7, document_id=1, sha256="0" * 64)
    pfc = next(s for s in july["sources"] if s["source"] == "pfc")
    assert {
        "series": "anode_effect_minutes",
        "unit": "AE-min/cell-day",
        "status": "missing",
    } in pfc["values"]
    assert pfc["tco2e"] is None
    june = market.evidence_package(r, month=6)
    anode = next(s for s in june["sources"] if s["source"] == "anode")
    assert anode["values"][0]["evidence"]["reference"] == "LAB-2025-001"
    # the anode's month: 150 304 / 12 = 12 525.333 tCO2
    assert anode["tco2e"] == pytest.approx(150_304 / 12)
    assert len(june["package_sha256"]) == 64 and june["package_sha256"] != july["package_sha256"]
    with pytest.raises(InvalidInput) as err:
        market.evidence_package(r, month=13)
    assert err.value.field == "month"


def _mill(direct: float | None, precursor: dict[str, Any], year: int = 2026) -> cbam.Installation:
    return cbam.parse_installation(
        {
            "name": "示例轧钢厂",
            "year": year,
            "processes": [
                {
                    "id": "hot_rolling",
                    "cn_code": "7208 51 20",
                    "output": 100_000,
                    "direct_emissions": direct,
                    "electricity": 50_000,
                    "electricity_factor": 0.5306,
                    "precursors": [precursor],
                }
            ],
            "carbon_price": {"hot_rolling": {"instrument": "全国碳市场", "amount_per_t": 0.0}},
        }
    )


def test_cbam_attribution_with_an_actual_precursor() -> None:
    inst = _mill(20_000, {"cn_code": "7207 11 14", "quantity": 105_000, "see_direct": 2.0,
                          "see_indirect": 0.3})  # fmt: skip
    (g,) = cbam.embedded(inst)
    # direct (20 000 + 105 000 × 2.0) / 100 000 = 2.3; indirect (50 000 × 0.5306 + 105 000 × 0.3)
    # / 100 000 = (26 530 + 31 500) / 100 000 = 0.5803
    assert g.see_direct == pytest.approx(2.3) and g.see_indirect == pytest.approx(0.5803)
    assert g.default_share == 0 and g.basis == "actual" and g.indirect_counted is False


def test_cbam_default_precursor_with_the_2026_markup() -> None:
    inst = _mill(20_000, {"cn_code": "7207 11 14", "quantity": 105_000})
    (g,) = cbam.embedded(inst)
    # China default 7207 11 14 = 3.169 × 1.10 = 3.4859; direct (20 000 + 105 000 × 3.4859)
    # / 100 000 = (20 000 + 366 019.5) / 100 000 = 3.860195; indirect 26 530 / 100 000 = 0.2653
    assert g.see_direct == pytest.approx(3.860195)
    assert g.see_indirect == pytest.approx(0.2653)
    # default share = 366 019.5 / ((3.860195 + 0.2653) × 100 000) = 366 019.5 / 412 549.5
    assert g.default_share == pytest.approx(366_019.5 / 412_549.5)
    assert "cbam.markup.2026" in g.records


@pytest.mark.parametrize(
    ("year", "expected"), [(2026, 3.187 * 1.1), (2027, 3.187 * 1.2), (2030, 3.187 * 1.3)]
)
def test_goods_without_actual_data_take_the_default_with_the_years_markup(
    year: int, expected: float
) -> None:
    inst = _mill(None, {"cn_code": "7207 11 14", "quantity": 1, "see_direct": 2.0}, year=year)
    (g,) = cbam.embedded(inst)
    assert g.basis == "default" and g.default_share == 1.0
    assert g.see_direct == pytest.approx(expected)  # CN 7208 China default 3.187 tCO2e/t


def test_clinker_default_needs_its_variant() -> None:
    with pytest.raises(InvalidInput) as err:
        cbam.default_see("2523 10 00", 2026)
    assert "Grey clinker" in str(err.value)
    grey = cbam.default_see("2523 10 00", 2026, variant="Grey clinker")
    # 1.35 direct × 1.1 = 1.485; 0.04 indirect × 1.1 = 0.044; total 1.529 (= the table's 1.529)
    assert grey.total == pytest.approx(1.529)


def test_unknown_cn_code_is_refused_with_its_field() -> None:
    with pytest.raises(InvalidInput) as err:
        _mill(1.0, {"cn_code": "8501 10 00", "quantity": 1})
    assert err.value.field == "processes.0.precursors.0.cn_code"
    with pytest.raises(InvalidInput) as err:
        cbam.good_of("72AB")
    assert err.value.field == "cn_code"


def test_communication_workbook_and_json() -> None:
    inst = _mill(20_000, {"cn_code": "7207 11 14", "quantity": 105_000})
    data = cbam.communication(inst, lang="en")
    assert data["goods"][0]["cn_code"] == "7208 51 20"
    assert any(r["id"] == "eu.ir.2025.2621" for r in data["regulations"])
    wb = load_workbook(io.BytesIO(cbam.communication_xlsx(inst)))
    ws = wb["CBAM 通报"]
    assert ws["B6"].value == "7208 51 20" and ws["F6"].value == pytest.approx(3.860195)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_enterprise_report_section_with_gases_and_sector_annex(
    smelter: dict[str, Any], lang: str
) -> None:
    from lingtan.reports.carbon import ghg_section
    from lingtan.reports.html import write_html
    from lingtan.reports.model import Report
    from lingtan.reports.xlsx import write_xlsx

    section = ghg_section(account(parse_document(smelter)), lang)
    report = Report(title="t", subtitle="s", lang=lang, meta=[], sections=[section])
    gases = report.table("ghg_gases")
    assert [r["gas"] for r in gases.rows] == ["CO2", "C2F6", "CF4"]
    assert sum(r["tco2e"] for r in gases.rows) == pytest.approx(173_107.066)
    assert report.table("ghg_sector_annex").rows[1]["method"] == "al_pfc_slope"
    wb = load_workbook(io.BytesIO(write_xlsx(report)))
    assert len(wb.sheetnames) == 1
    assert "C2F6" in write_html(report).decode()
