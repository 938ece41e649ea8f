"""The annual energy-saving plan workbook (openpyxl): the plan and its targets with their
progress, the monthly metered values, the measures with their verified savings (GB/T
28750-2012) and settlements (GB/T 24915-2020). zh-CN by default, English available."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from lingtan.programme.progress import PlanProgress

TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "plan": "计划", "months": "月度进度", "measures": "节能措施",
        "title": "年度节能计划及完成情况", "water_title": "年度节水计划及完成情况",
        "owner": "主体", "park": "园区", "year": "年度", "approved_by": "批准人",
        "target": "目标", "unit": "单位", "value": "目标值", "actual": "完成值",
        "to_date": "进度目标", "projected": "全年预计", "status": "状态", "expected": "预期节能量",
        "month": "月份", "energy": "综合能源消费量 tce", "carbon": "碳排放量 tCO2",
        "water": "取水量 m3", "no_data": "无数据",
        "code": "编号", "name": "措施", "person": "负责人", "budget": "预算 元",
        "schedule": "实施期", "m_status": "措施状态", "expected_tce": "预期节能量 tce",
        "savings": "核定节能量", "s_unit": "单位", "uncertainty": "不确定度（±）",
        "confidence": "置信度", "savings_tce": "核定节能量 tce", "settlement": "节能效益 元",
        "shares": "分享", "basis": "依据：GB/T 28750-2012 节能量测量和验证技术通则；"
        "GB/T 24915-2020 合同能源管理技术通则",
        "schedule_note": "进度目标 = 全年目标 × 已有数据月数 / 12；全年预计 = 已有数据月份合计 "
        "× 12 / 有数据月数",
    },
    "en": {
        "plan": "Plan", "months": "Monthly progress", "measures": "Measures",
        "title": "Annual energy-saving plan and progress",
        "water_title": "Annual water-saving plan and progress",
        "owner": "Owner", "park": "Park", "year": "Year", "approved_by": "Approved by",
        "target": "Target", "unit": "Unit", "value": "Target value", "actual": "Actual",
        "to_date": "Target to date", "projected": "Projected year", "status": "Status",
        "expected": "Expected savings",
        "month": "Month", "energy": "Energy consumption tce", "carbon": "Emissions tCO2",
        "water": "Water intake m3", "no_data": "no data",
        "code": "Code", "name": "Measure", "person": "Responsible", "budget": "Budget CNY",
        "schedule": "Schedule", "m_status": "Measure status", "expected_tce": "Expected tce",
        "savings": "Verified savings", "s_unit": "Unit", "uncertainty": "Uncertainty (±)",
        "confidence": "Confidence", "savings_tce": "Verified savings tce",
        "settlement": "Savings value CNY", "shares": "Shares",
        "basis": "Basis: GB/T 28750-2012 (measurement and verification of energy savings); "
        "GB/T 24915-2020 (energy performance contracting)",
        "schedule_note": "target to date = annual target × months with data / 12; projection = "
        "sum of months with data × 12 / months with data",
    },
}  # fmt: skip
TARGETS = {
    "zh-CN": {
        "energy_tce_max": "能源消费总量上限", "carbon_tco2_max": "碳排放总量上限",
        "savings_tce": "节能量目标", "savings_tco2": "减碳量目标", "intensity": "能耗强度上限",
        "water_m3_max": "取水总量上限", "water_savings_m3": "节水量目标",
    },
    "en": {
        "energy_tce_max": "Energy ceiling", "carbon_tco2_max": "Emissions ceiling",
        "savings_tce": "Energy savings", "savings_tco2": "Carbon savings",
        "intensity": "Intensity ceiling", "water_m3_max": "Water ceiling",
        "water_savings_m3": "Water savings",
    },
}  # fmt: skip
STATUS = {
    "zh-CN": {
        "on_track": "符合进度", "off_track": "未达进度", "no_data": "无数据",
        "planned": "计划", "in_progress": "实施中", "completed": "已完成", "verified": "已核定",
        "cancelled": "已取消",
    },
    "en": {
        "on_track": "on track", "off_track": "off track", "no_data": "no data",
        "planned": "planned", "in_progress": "in progress", "completed": "completed",
        "verified": "verified", "cancelled": "cancelled",
    },
}  # fmt: skip
PARTIES = {"zh-CN": {"esco": "节能服务公司", "client": "用能单位"}, "en": {}}


def workbook(progress: PlanProgress, *, owner: str, lang: str = "zh-CN") -> bytes:
    """The plan workbook."""
    if lang not in TEXT:
        lang = "zh-CN"
    t, st = TEXT[lang], STATUS[lang]
    plan = progress.plan
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = t["plan"]
    ws.append([t["water_title"] if plan["kind"] == "water" else t["title"]])
    ws.append([t["owner"], owner])
    ws.append([t["year"], plan["year"]])
    ws.append([t["plan"], plan["title"]])
    ws.append([t["approved_by"], plan.get("approved_by") or ""])
    ws.append([])
    ws.append([t["target"], t["unit"], t["value"], t["actual"], t["to_date"], t["projected"],
               t["expected"], t["status"]])  # fmt: skip
    for line in progress.lines:
        ws.append([
            TARGETS[lang].get(line.target, line.target), line.unit, line.value, line.actual,
            line.to_date, line.projected, line.expected, st.get(line.status, line.status),
        ])  # fmt: skip
    ws.append([])
    ws.append([t["schedule_note"]])
    ws.append([t["basis"]])
    mo = book.create_sheet(t["months"])
    water = plan["kind"] == "water"
    mo.append([t["month"], *([t["water"]] if water else [t["energy"], t["carbon"]])])
    for x in progress.months:
        vals = [x.water_m3] if water else [x.energy_tce, x.carbon_tco2]
        mo.append([x.month, *[t["no_data"] if v is None else v for v in vals]])
    me = book.create_sheet(t["measures"])
    me.append([t["code"], t["name"], t["person"], t["budget"], t["schedule"], t["m_status"],
               t["expected_tce"], t["savings"], t["s_unit"], t["uncertainty"], t["confidence"],
               t["savings_tce"], t["settlement"], t["shares"]])  # fmt: skip
    for m in progress.measures:
        v: dict[str, Any] | None = m.get("verified")
        ver = None if v is None else v["verification"]
        sett = None if v is None else v.get("settlement")
        sched = m.get("schedule") or {}
        shares = ""
        if sett:
            shares = "；".join(
                f"{PARTIES[lang].get(k, k)} {a:.2f}" for k, a in sett["shares"].items()
            )
        me.append([
            m["code"], m["name"], m.get("owner"), m.get("budget_cny"),
            f"{sched.get('start', '')} – {sched.get('end', '')}", st.get(m["status"], m["status"]),
            m.get("expected_tce"),
            None if ver is None else ver["savings"], None if ver is None else ver["unit"],
            None if ver is None else ver["uncertainty"],
            None if ver is None else ver["confidence"],
            None if v is None else v.get("savings_tce"),
            None if not sett else sett["value"], shares,
        ])  # fmt: skip
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
