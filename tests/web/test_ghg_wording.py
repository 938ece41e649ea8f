"""The GHG page (/ghg) and its downloads speak the user's language: in zh-CN the statuses,
reasons, methods, categories, evidence kinds and tiers are Chinese and every record id carries
its Chinese name; in English the same places are English."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from tests.api.world import World
from tests.web.test_pages import log_in
from tests.web.test_zh_wording import problems, user_data, visible, workbook_texts

EV = {"kind": "measured", "reference": "LAB-7", "tier": 3}
#: record ids the page shows beside their names (ids may stay, with the name)
IDS = frozenset(
    {
        "gwp.ar5.co2",
        "steel.flux.limestone.ef",
        "ipcc2006.carbonate.calcite.ef",
        "cets.threshold.2025",
        "grid.2022.national.average",
    }
)
#: A's hot-rolled coil for the CBAM communication: 20 tCO2e over 100 t, actual data
MILL = {"name": "轧钢车间", "year": 2026, "processes": [
    {"id": "hsm", "cn_code": "7208 51 20", "output": 100, "direct_emissions": 20}]}  # fmt: skip


def _months(value: float, months: range) -> list[dict[str, Any]]:
    return [{"month": m, "value": value, "evidence": EV} for m in months]


def _steel() -> dict[str, Any]:
    """A steel plant: 100 t of limestone a month at purity 0.9 with the default EF record
    steel.flux.limestone.ef (0.44 tCO2/t): 100 × 0.9 × 0.44 = 39.6 tCO2 a month, 475.2 a
    year, below the 26 000 tCO2e threshold; a calcite line with 0 t a month on the unverified
    default ipcc2006.carbonate.calcite.ef (0 tCO2, so the page lists an unverified default);
    its grid electricity read from meter E01-grid, which has statistics for January 2025 only
    (the demo's month), so December is missing with the meter's reason."""
    return {
        "enterprise": "甲钢铁",
        "year": 2025,
        "sector": "steel",
        "sources": [
            {
                "id": "flux",
                "name": "烧结熔剂",
                "method": "steel_flux",
                "key": "limestone",
                "series": {"consumed": {"unit": "t", "months": _months(100, range(1, 13))}},
                "params": {"purity": {"value": 0.9, "evidence": EV}},
            },
            {
                "id": "calcite",
                "name": "脱硫碳酸盐",
                "method": "carbonate",
                "key": "calcite",
                "series": {"consumed": {"unit": "t", "months": _months(0, range(1, 13))}},
            },
            {
                "id": "grid",
                "name": "外购电力",
                "method": "electricity",
                "series": {"purchased": {"unit": "MWh", "meter": "E01-grid"}},
                "params": {"emission_factor": {"record": "grid.2022.national.average"}},
            },
        ],
        "cbam_installations": [MILL],
    }


def _cement() -> dict[str, Any]:
    """A cement plant with December missing: the covered-unit test is undetermined."""
    return {
        "enterprise": "乙水泥",
        "year": 2025,
        "sector": "cement",
        "sources": [
            {
                "id": "kiln",
                "name": "回转窑",
                "method": "measured_carbon",
                "series": {"mass": {"unit": "t", "months": _months(1, range(1, 12))}},
                "params": {"carbon_content": {"value": 0.5, "evidence": EV}},
            }
        ],
    }


@pytest.fixture(scope="module")
def ghg_world(web_world: World) -> World:
    w = web_world
    for code, doc in (("E01", _steel()), ("E02", _cement())):
        r = w.client.post(
            "/api/v1/ghg/documents",
            headers=w.h("admin"),
            json={"enterprise_id": w.enterprises[code], "document": doc},
        )
        assert r.status_code == 201, r.text
    return w


def _allowed(world: World) -> frozenset[str]:
    return user_data(world) | IDS | {"flux", "calcite", "grid", "kiln", "hsm", "LAB-7"}


def _bad(texts: list[str], world: World) -> list[str]:
    allowed = _allowed(world)
    return sorted({p for t in texts for p in problems(t, allowed)})


def test_ghg_page_in_zh_is_chinese(ghg_world: World) -> None:
    w = ghg_world
    c = log_in(w, "admin")
    c.get("/lang/zh-CN")
    park = c.get("/ghg?year=2025")
    assert park.status_code == 200
    shown = " ".join(visible(park.text))
    # the park's covered units: status and reason of each unit in Chinese
    assert "未达纳入门槛" in shown and "无法判定（有缺失月份）" in shown
    assert "有缺失月份，本年度无法判定" in shown and "475.2 < 26000 tCO2e" in shown
    assert "a month is missing" not in shown and "undetermined" not in shown
    assert not _bad(visible(park.text), w), _bad(visible(park.text), w)

    page = c.get(f"/ghg?year=2025&enterprise_id={w.enterprises['E01']}")
    assert page.status_code == 200
    texts = visible(page.text)
    shown = " ".join(texts)
    for zh in (
        "未达纳入门槛",  # the status
        "钢铁",  # the sector
        "熔剂消耗",  # the method
        "工业生产过程",  # the category
        "净购入电力",
        "计量点 E01-grid：2025-12 无月度统计数据",  # why December is missing
        "IPCC 第五次评估报告（AR5） CO2 全球变暖潜势（100 年）",  # the GWP record's name
        "全国碳市场重点排放单位纳入门槛",  # the threshold record's name
        "碳酸盐排放因子（CaCO3 方解石/石灰石）",  # the unverified default's name
        "《温室气体排放核算与报告要求 第5部分：钢铁生产企业》",  # the method's standard
        "［条款编号未核实］",
    ):
        assert zh in shown, zh
    for en in ("no statistics for", "steel_flux", "not_covered", "process", "below the threshold"):
        assert en not in shown, en
    assert not _bad(texts, w), _bad(texts, w)


def test_ghg_downloads_in_zh_are_chinese(ghg_world: World) -> None:
    w = ghg_world
    c = log_in(w, "admin")
    c.get("/lang/zh-CN")
    qs = f"year=2025&enterprise_id={w.enterprises['E01']}"
    report = c.get(f"/ghg/report?{qs}")
    assert report.status_code == 200
    texts = workbook_texts(report.content)
    joined = " ".join(texts)
    for zh in (
        "熔剂消耗",
        "实测",
        "缺省值",
        "3 级（企业实测）",
        "1 级（缺省值或估算）",
        "参数: 纯度",
    ):
        assert zh in joined, zh
    for en in ("measured", "default", "steel_flux", "verified", "kind"):
        assert en not in joined, en
    assert not _bad(texts, w), _bad(texts, w)

    cbam = c.get(f"/ghg/cbam?{qs}&installation=0&format=xlsx")
    assert cbam.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(cbam.content))
    row = [cell.value for cell in wb["CBAM 通报"][6]]
    # 7208 51 20 is an iron or steel product, made here with actual data; indirect emissions
    # do not count for iron and steel (cbam.yaml sectors)
    assert row[2] == "钢铁制品" and row[10] == "实际数据" and row[7] == "否"
    texts = workbook_texts(cbam.content)
    assert any("欧盟委员会实施条例 (EU) 2025/2621" in t for t in texts)
    # the regulations' numbers and the CBAM record ids stay; nothing else English
    ids = {"eu.2023.956", "eu.2025.2083", "eu.ir.2025.2547", "eu.ir.2025.2621"}
    ids |= {f"cbam.markup.{s}{y}" for s in ("", "fertilisers.") for y in (2026, 2027, 2028)}
    bad = sorted({p for t in texts for p in problems(t, _allowed(w) | ids)})
    assert not bad, bad


def test_ghg_page_and_report_in_english_stay_english(ghg_world: World) -> None:
    w = ghg_world
    c = log_in(w, "admin")
    c.get("/lang/en")
    park = " ".join(visible(c.get("/ghg?year=2025").text))
    assert "undetermined (a month is missing)" in park
    assert "a month is missing: the year cannot be tested" in park
    assert "无法判定" not in park
    qs = f"year=2025&enterprise_id={w.enterprises['E01']}"
    shown = " ".join(visible(c.get(f"/ghg?{qs}").text))
    for en in ("below the threshold", "flux consumption", "process", "iron and steel",
               "meter E01-grid: no statistics for 2025-12", "gwp.ar5.co2"):  # fmt: skip
        assert en in shown, en
    # (the clauses keep the standards' Chinese names: 工业生产过程排放 熔剂消耗)
    for zh in ("无月度统计数据", "全球变暖潜势（100 年）", "未达纳入门槛"):
        assert zh not in shown, zh
    joined = " ".join(workbook_texts(c.get(f"/ghg/report?{qs}").content))
    assert "flux consumption" in joined and "tier 3 (plant-specific measurement)" in joined
    assert "实测" not in joined and "3 级" not in joined
    cbam = openpyxl.load_workbook(io.BytesIO(c.get(f"/ghg/cbam?{qs}&format=xlsx").content))
    row = [cell.value for cell in cbam["CBAM communication"][6]]
    assert row[2] == "Iron or steel products" and row[10] == "actual data"
