"""The equipment efficiency list (设备能效清单) as an Excel workbook or HTML page, zh-CN by
default with English available: every item with its standard, grade and annual input, the
items below grade 3, the replacement candidates ranked by estimated annual savings, and the
standards on record with their editions and provenance."""

from __future__ import annotations

from typing import Any, Final

from lingtan.equipment import service
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Principal
from lingtan.reports.html import write_html
from lingtan.reports.model import Column, Paragraph, Report, Section, Table
from lingtan.reports.xlsx import write_xlsx
from lingtan.store import Store

TYPE_NAMES: Final = {
    "motor": ("电动机", "Motor"),
    "pump": ("水泵", "Pump"),
    "fan": ("风机", "Fan"),
    "air_compressor": ("空气压缩机", "Air compressor"),
    "transformer": ("变压器", "Transformer"),
    "boiler": ("工业锅炉", "Industrial boiler"),
    "chiller": ("冷水机组", "Chiller"),
    "dust_collector": ("除尘器", "Dust collector"),
    "aerator": ("曝气器", "Aerator"),
    "other": ("其他", "Other"),
}
STATUS_NAMES: Final = {
    "graded": ("已评级", "graded"),
    "no_grade_table": ("无能效等级表", "no grade table"),
    "not_tabulated": ("不在表内", "not tabulated"),
    "no_value": ("无可评数值", "no value"),
    "no_standard": ("无适用标准", "no standard"),
}
T: Final = {
    "zh-CN": {
        "title": "设备能效清单", "items": "设备清单", "code": "设备编号", "name": "名称",
        "type": "类型", "enterprise": "企业", "standard": "适用标准", "status": "评级状态",
        "grade": "能效等级", "value": "能效值", "unit": "单位", "annual": "年耗电 (kWh)",
        "basis": "年耗电依据", "below": "低于3级（能效限定值）", "candidates": "更新改造候选（按年节电量排序）",
        "rank": "排序", "savings": "年节电量估算 (kWh)", "target": "目标",
        "standards": "能效标准记录", "edition": "版本", "table": "表", "confidence": "可信度",
        "source": "来源", "year": "年度", "park": "园区",
        "note": "年节电量 ΔE = E ·（1 − η现 / η1级）；E 为该年计量电量，无计量时为额定功率 × 负载率 × "
        "年运行小时（申报）。无能效等级表的标准不评级（不推测）。",
        "below_grade": "低于3级",
    },
    "en": {
        "title": "Equipment efficiency list", "items": "Equipment", "code": "Code",
        "name": "Name", "type": "Type", "enterprise": "Enterprise", "standard": "Standard",
        "status": "Grading", "grade": "Grade", "value": "Value", "unit": "Unit",
        "annual": "Annual input (kWh)", "basis": "Basis of the annual input",
        "below": "Below grade 3 (minimum allowed)",
        "candidates": "Replacement candidates (by estimated annual savings)", "rank": "Rank",
        "savings": "Estimated savings (kWh/a)", "target": "Target",
        "standards": "Efficiency standards on record", "edition": "Edition", "table": "Table",
        "confidence": "Confidence", "source": "Source", "year": "Year", "park": "park",
        "note": "Annual savings ΔE = E · (1 − η_now / η_grade1); E is the year's metered input, "
        "else rated kW × load factor × operating hours (declared). Standards without a grade "
        "table grade nothing (no guessing).",
        "below_grade": "below grade 3",
    },
}  # fmt: skip


_SOURCE_ZH: Final = {
    True: "标准表格的第三方转录（未与正式文本核对）",
    False: "未取得标准文本，未录入数值",
}


def _basis(b: dict[str, Any], en: bool) -> str:
    if b["kind"] == "metered":
        return (
            f"metered {b['year']} ({b['point']}, {b['hours']} h)"
            if en
            else f"{b['year']}年计量（{b['point']}，{b['hours']} 小时）"
        )
    if b["kind"] == "declared":
        return (
            "declared: rated kW × load factor × hours"
            if en
            else "申报：额定功率 × 负载率 × 年运行小时"
        )
    return "no metered year, no declared use" if en else "无计量数据，无申报运行参数"


def _grade(g: str | None, t: dict[str, str]) -> str:
    if g is None:
        return "—"
    return t["below_grade"] if g == "below_3" else g


def build(
    store: Store,
    *,
    principal: Principal,
    year: int,
    enterprise_id: int | None = None,
    lang: str = "zh-CN",
    fmt: str = "xlsx",
) -> bytes:
    """The list as ``.xlsx`` or ``.html`` bytes."""
    if fmt not in ("xlsx", "html"):
        raise InvalidInput(f"format: {fmt!r} is not xlsx or html", field="format")
    en = lang == "en"
    t = T["en" if en else "zh-CN"]
    data = service.efficiency_list(
        store, principal=principal, year=year, enterprise_id=enterprise_id
    )
    i18n = 1 if en else 0
    rows: list[dict[str, Any]] = []
    for i in data["items"]:
        g = i["grade"]
        std = g["standard"] or {}
        rows.append({
            "code": i["code"], "name": i["name"], "type": TYPE_NAMES[i["type"]][i18n],
            "enterprise": i["enterprise"] or t["park"], "standard": std.get("standard") or "—",
            "status": STATUS_NAMES[g["status"]][i18n], "grade": _grade(g["grade"], t),
            "value": g["value"], "unit": g["unit"] or "", "annual": i["annual_kwh"],
            "basis": _basis(i["annual_basis"], en),
        })  # fmt: skip
    items = Table(
        key="items",
        columns=[Column("code", t["code"]), Column("name", t["name"]), Column("type", t["type"]),
                 Column("enterprise", t["enterprise"]), Column("standard", t["standard"]),
                 Column("status", t["status"]), Column("grade", t["grade"]),
                 Column("value", t["value"], "num2"), Column("unit", t["unit"]),
                 Column("annual", t["annual"], "num0"), Column("basis", t["basis"])],
        rows=rows,
    )  # fmt: skip
    below = Table(
        key="below",
        columns=[Column("code", t["code"]), Column("name", t["name"]), Column("grade", t["grade"])],
        rows=[r for r in rows if r["code"] in set(data["below_minimum"])],
    )  # fmt: skip
    cands = Table(
        key="candidates",
        columns=[Column("rank", t["rank"], "num0"), Column("code", t["code"]),
                 Column("name", t["name"]), Column("grade", t["grade"]),
                 Column("annual", t["annual"], "num0"), Column("savings", t["savings"], "num0"),
                 Column("target", t["target"])],
        rows=[{**c, "grade": _grade(c["grade"], t), "annual": c["annual_kwh"],
               "savings": c["savings_kwh"], "target": c["target"] if en else "1级"}
              for c in data["candidates"]],
        note=t["note"],
    )  # fmt: skip
    stds = Table(
        key="standards",
        columns=[Column("standard", t["standard"]), Column("edition", t["edition"]),
                 Column("table", t["table"]), Column("confidence", t["confidence"]),
                 Column("source", t["source"])],
        rows=[{"standard": s["standard"], "edition": s["edition"],
               "table": s["table"] or ("— (no grade table)" if en else "—（无能效等级表）"),
               "confidence": s["confidence"],
               "source": s["source"] if en else _SOURCE_ZH[bool(s["table"])]}
              for s in data["standards"]],
    )  # fmt: skip
    report = Report(
        title=t["title"], subtitle=str(year), lang=lang, meta=[(t["year"], str(year))],
        sections=[
            Section(t["items"], [items]),
            Section(t["below"], [below]),
            Section(t["candidates"], [cands, Paragraph(t["note"], "note")]),
            Section(t["standards"], [stds]),
        ],
    )  # fmt: skip
    return write_xlsx(report) if fmt == "xlsx" else write_html(report)
