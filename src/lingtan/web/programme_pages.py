"""The programme page (节能管理): the year's energy- and water-saving plans in scope, a chosen
plan's progress against its targets month by month from metered data, its measures with their
verified savings (GB/T 28750-2012) and settlements (GB/T 24915-2020), the plan workbook, and the
programme records (EnMS, cleaner production, circular projects, building reviews). Read through
:mod:`lingtan.programme.service` with the user's principal, like ``/api/v1/programme``: an
enterprise's user sees its own enterprise's plans only (another's plan answers 404, as an id
that names nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from lingtan.identity.roles import Permission, Principal, require
from lingtan.programme import service
from lingtan.programme.models import RECORD_NAMES
from lingtan.web.routes import _page, _render, _store, _zone

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Year = Annotated[int | None, Query(ge=2000, le=2100)]
PlanId = Annotated[int | None, Query(ge=1, le=2**53)]

#: the page's words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "title": ("节能管理", "Energy management"),
    "intro": (
        "年度节能（节水）计划的目标、按月计量数据的完成进度、节能措施及其按 GB/T 28750-2012 "
        "核定的节能量和合同能源管理效益分享；无数据的月份如实标注，不以零填补",
        "Annual energy- (water-) saving plans: targets, progress month by month from metered "
        "data, measures with savings verified by GB/T 28750-2012 and their contract settlement; "
        "months without data are shown as such, never as zero",
    ),
    "year": ("年度", "Year"),
    "show": ("查看", "Show"),
    "plans": ("计划", "Plans"),
    "none": ("本年度尚无计划", "No plan for this year"),
    "owner": ("主体", "Owner"),
    "park": ("园区", "Park"),
    "kind": ("类别", "Kind"),
    "energy": ("节能", "energy"),
    "water": ("节水", "water"),
    "plan": ("计划", "Plan"),
    "progress": ("目标完成进度", "Progress against the targets"),
    "target": ("目标", "Target"),
    "unit": ("单位", "Unit"),
    "value": ("目标值", "Target value"),
    "actual": ("完成值", "Actual"),
    "to_date": ("进度目标", "Target to date"),
    "projected": ("全年预计", "Projected year"),
    "expected": ("预期节能量", "Expected savings"),
    "status": ("状态", "Status"),
    "on_track": ("符合进度", "on track"),
    "off_track": ("未达进度", "off track"),
    "no_data": ("无数据", "no data"),
    "months": ("月度计量数据", "Metered months"),
    "month": ("月份", "Month"),
    "energy_tce": ("综合能源消费量 tce", "Energy tce"),
    "carbon_tco2": ("碳排放量 tCO2", "Emissions tCO2"),
    "water_m3": ("取水量 m3", "Water m3"),
    "measures": ("节能措施", "Measures"),
    "code": ("编号", "Code"),
    "name": ("措施", "Measure"),
    "person": ("负责人", "Responsible"),
    "m_status": ("措施状态", "Status"),
    "savings": ("核定节能量", "Verified savings"),
    "uncertainty": ("不确定度（±）", "Uncertainty (±)"),
    "settlement": ("节能效益", "Savings value"),
    "not_verified": ("未核定", "not verified"),
    "no_measures": ("尚无措施", "No measure yet"),
    "download": ("下载计划及完成情况（Excel）", "Download the plan and its progress (Excel)"),
    "records": ("管理记录", "Programme records"),
    "no_records": ("尚无记录", "No record yet"),
    "record_title": ("标题", "Title"),
    "open": ("进行中", "open"),
    "closed": ("已关闭", "closed"),
    "energy_tce_max": ("能源消费总量上限", "Energy ceiling"),
    "carbon_tco2_max": ("碳排放总量上限", "Emissions ceiling"),
    "savings_tce": ("节能量目标", "Energy savings"),
    "savings_tco2": ("减碳量目标", "Carbon savings"),
    "intensity": ("能耗强度上限", "Intensity ceiling"),
    "water_m3_max": ("取水总量上限", "Water ceiling"),
    "water_savings_m3": ("节水量目标", "Water savings"),
    "planned": ("计划", "planned"),
    "in_progress": ("实施中", "in progress"),
    "completed": ("已完成", "completed"),
    "verified": ("已核定", "verified"),
    "cancelled": ("已取消", "cancelled"),
}


def tt(key: str, lang: str) -> str:
    """The page's text of ``key`` in ``lang``."""
    zh, en = TEXT.get(key) or RECORD_NAMES.get(key) or (key, key)
    return zh if lang == "zh-CN" else en


def _default_year(request: Request, principal: Principal) -> int:
    return dt.datetime.now(dt.UTC).astimezone(_zone(request, principal)).year


@router.get("/programme")
def programme_page(request: Request, year: Year = None, plan: PlanId = None) -> Response:
    """The year's plans in scope; a chosen plan's progress and measures; the records."""

    def build(principal: Principal, lang: str) -> Response:
        require(principal, Permission.READ)
        store = _store(request)
        park = store.registry.park(principal.park_id)
        names = {e.id: e.name for e in store.registry.enterprises(park.id)}
        ctx: dict[str, Any] = {"plan_id": plan, "progress": None}
        if plan is not None:
            prog = service.progress(store, principal=principal, plan_id=plan)
            chosen = int(prog.plan["year"])
            ctx["progress"] = prog
        else:
            chosen = year or _default_year(request, principal)
        ctx["year"] = chosen
        ctx["plans"] = service.plans(store, principal=principal, year=chosen)
        ctx["records"] = service.records(store, principal=principal)
        ctx["owner"] = lambda ent: tt("park", lang) if ent is None else names.get(ent, "")
        ctx["can_report"] = principal.can(Permission.REPORTS)
        return _render(request, "programme.html", lang, principal, tt=lambda k: tt(k, lang), **ctx)

    return _page(request, build)


@router.get("/programme/report")
def programme_report_file(request: Request, plan: PlanId = None) -> Response:
    """The plan workbook (the API's report) in the user's language."""

    def build(principal: Principal, lang: str) -> Response:
        if plan is None:
            return RedirectResponse("/programme", status_code=303)
        data = service.plan_workbook(_store(request), principal=principal, plan_id=plan, lang=lang)
        return Response(
            content=data, media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="plan-{plan}.xlsx"',
                     "Cache-Control": "no-store"},
        )  # fmt: skip

    return _page(request, build)
