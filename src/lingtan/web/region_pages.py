"""The region dashboard (区域平台): the parks registered with this region instance ranked by
the core indicator 单位能耗碳排放 and the five guiding indicators of their latest uploads, their
progress against their targets, completeness per park and the late uploads. Read through
:func:`lingtan.region.service.dashboard`, scoped as the API is (a park's user sees its park)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lingtan.identity.roles import Principal
from lingtan.region import service
from lingtan.web.routes import _page, _render, _settings, _store

router = APIRouter(include_in_schema=False)

#: the page's words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "title": ("区域平台 · 园区总览", "Region · parks"),
    "intro": (
        "各园区按月上传汇总数据（原始读数留在园区）；更正的上传以新版本重述区域数据并保留历史",
        "Parks upload monthly aggregates (raw readings stay in the parks); a corrected upload "
        "restates the region's figures as a new revision and keeps the history",
    ),
    "parks": ("园区", "Parks"),
    "park": ("园区", "Park"),
    "latest": ("最新期", "Latest period"),
    "periods": ("已收期数", "Periods"),
    "complete": ("完整期数", "Complete"),
    "missing_hours": ("缺失小时", "Missing hours"),
    "missing_months": ("缺失月份", "Missing months"),
    "late": ("迟报", "Late"),
    "ranking": ("排名", "Ranking"),
    "rank": ("名次", "Rank"),
    "value": ("数值", "Value"),
    "target": ("目标", "Target"),
    "progress": ("目标进展", "Progress against targets"),
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "late_uploads": ("迟报的上传", "Late uploads"),
    "period": ("期间", "Period"),
    "revision": ("版本", "Revision"),
    "received": ("接收时间", "Received"),
    "deadline": ("截止时间", "Deadline"),
    "none": ("暂无", "None"),
    "lower": ("越低越好", "lower is better"),
    "higher": ("越高越好", "higher is better"),
}


def tt(key: str, lang: str) -> str:
    """The page's text of ``key`` in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


@router.get("/region")
def region_page(request: Request) -> Response:
    """The region's overview in the user's scope."""

    def build(principal: Principal, lang: str) -> Response:
        service.require_region(_settings(request))
        board = service.dashboard(_store(request), principal=principal)
        return _render(
            request, "region.html", lang, principal, tt=lambda k: tt(k, lang), board=board,
        )  # fmt: skip

    return _page(request, build)
