"""The equipment page (issue 23): the register with each item's efficiency grade and standard,
the items below grade 3 and the replacement candidates of the year, the inspection plans with
their due dates, and (park roles) the public-lighting zones with tonight's schedule.

The same service functions as ``/api/v1/equipment`` (:mod:`lingtan.equipment.service`, the
caller's principal): an enterprise user sees its own enterprise's equipment and plans only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lingtan.equipment import service
from lingtan.equipment.inspections import KIND_ZH as INSPECTION_ZH
from lingtan.equipment.lighting import KIND_ZH as ZONE_ZH
from lingtan.equipment.lighting import ROLE_ZH
from lingtan.equipment.report import STATUS_NAMES, TYPE_NAMES
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Principal
from lingtan.web.routes import _page, _render, _store, _zone

router = APIRouter(include_in_schema=False)

#: the page's own words (zh-CN, en)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "title": ("设备能效与巡检", "Equipment efficiency and inspections"),
    "intro": (
        "重点用能设备和环保设施按能效标准评级（GB 18613 等），低于3级的设备与更新改造候选，巡检与计量器具检定计划，公共照明分区与天文时钟（零碳园区 7.1.9、7.5.6、7.7）",
        "Key energy-using and environmental equipment graded by its efficiency standard "
        "(GB 18613 …), items below grade 3 and replacement candidates, inspection and meter "
        "calibration plans, public-lighting zones by an astronomical clock (7.1.9, 7.5.6, 7.7)",
    ),
    "register": ("设备台账", "Register"),
    "code": ("编号", "Code"),
    "name": ("名称", "Name"),
    "type": ("类型", "Type"),
    "standard": ("标准", "Standard"),
    "status": ("评级状态", "Grading"),
    "grade": ("能效等级", "Grade"),
    "value": ("能效值", "Value"),
    "below3": ("低于3级", "below grade 3"),
    "candidates": ("更新改造候选", "Replacement candidates"),
    "rank": ("排序", "Rank"),
    "annual": ("年耗电 kWh", "Annual input, kWh"),
    "savings": ("年节电量估算 kWh", "Estimated savings, kWh/a"),
    "formula": (
        "年节电量 ΔE = E ·（1 − η现 / η1级），E 为该年计量电量或申报值",
        "ΔE = E · (1 − η_now / η_grade1), E metered in the year or declared",
    ),
    "plans": ("巡检与检定计划", "Inspection and calibration plans"),
    "kind": ("类别", "Kind"),
    "last_done": ("上次完成", "Last done"),
    "next_due": ("下次到期", "Next due"),
    "overdue": ("逾期天数", "Days overdue"),
    "lighting": ("公共照明分区", "Public-lighting zones"),
    "circuits": ("回路", "Circuits"),
    "poles": ("智慧灯杆", "Smart poles"),
    "zone": ("分区", "Zone"),
    "pole": ("灯杆", "Pole"),
    "role": ("功能", "Role"),
    "point": ("计量点", "Point"),
    "latest": ("最新值", "Latest value"),
    "at": ("时刻", "At"),
    "sunset": ("今晚日落", "Sunset tonight"),
    "on_off": ("开灯 / 关灯", "On / off"),
    "none": ("暂无记录", "None yet"),
    "the_year": ("年份", "Year"),
    "show": ("显示", "Show"),
    "download": ("下载设备能效清单（Excel）", "Download the efficiency list (Excel)"),
}


def words(key: str, lang: str) -> str:
    """A word of this page in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


@router.get("/equipment")
def equipment_page(
    request: Request, year: Annotated[int | None, Query(ge=1990, le=2100)] = None
) -> Response:
    """The register, the efficiency list of the year, the plans and (park roles) lighting."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        tz = _zone(request, principal)
        chosen = year or dt.datetime.now(tz).year - 1
        zh = lang == "zh-CN"
        data = service.efficiency_list(store, principal=principal, year=chosen)
        plans = service.plans(store, principal=principal)
        nights = []
        poles: list[tuple[str, dict[str, Any]]] = []
        if principal.enterprise_id is None:
            today = service.today(store, principal=principal)
            for z in service.zones(store, principal=principal):
                try:
                    n = service.schedule(store, principal=principal, code=z["code"], day=today)
                except InvalidInput:
                    n = None
                nights.append((z, n))
                poles.extend((z["code"], pole) for pole in
                             service.poles(store, principal=principal, code=z["code"]))  # fmt: skip
        i = 0 if zh else 1
        return _render(
            request, "equipment.html", lang, principal, w=lambda k: words(k, lang),
            data=data, plans=plans, nights=nights, poles=poles, year=chosen,
            pole_role=lambda k: ROLE_ZH[k] if zh else k.replace("_", " "),
            type_name=lambda k: TYPE_NAMES[k][i], status_name=lambda k: STATUS_NAMES[k][i],
            inspection_name=lambda k: INSPECTION_ZH[k] if zh else k.replace("_", " "),
            zone_name=lambda k: ZONE_ZH[k] if zh else k.replace("_", " "),
        )  # fmt: skip

    return _page(request, build)
