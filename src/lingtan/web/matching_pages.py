"""The green-power matching page (绿电溯源, ``/matching``): CFE by month on the hourly and the
monthly basis, a day × hour heat map of one consumer's hourly CFE, the consumers in the
caller's scope and the direct-supply ratios with their source notice.

It reads through :mod:`lingtan.greenpower.matching.service` with the logged-in user's
principal, like the REST API: an enterprise user sees its own enterprise, and another
enterprise's id gives 404.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lingtan.greenpower.matching import service
from lingtan.identity.roles import Permission, Principal, require
from lingtan.timeutil import utcnow
from lingtan.web import routes

router = APIRouter(include_in_schema=False)

TEXT: dict[str, tuple[str, str]] = {
    "title": ("绿电溯源匹配", "Green-power matching"),
    "consumer": ("用户", "Consumer"),
    "park": ("园区合计", "Park total"),
    "cfe_months": ("逐月无碳电力比例（CFE）", "Carbon-free energy (CFE) by month"),
    "cfe_hourly": ("小时匹配 CFE", "Hourly CFE"),
    "cfe_monthly": ("月度匹配 CFE", "Monthly CFE"),
    "heatmap": ("逐时 CFE 热力图（日 × 时）", "Hourly CFE heat map (day × hour)"),
    "load": ("用电量 kWh", "Consumption kWh"),
    "gap": ("月度−小时差额 kWh", "Monthly − hourly gap kWh"),
    "missing": ("缺测小时", "Missing hours"),
    "direct": ("绿电直连比例（年初至今）", "Direct-supply ratios (year to date)"),
    "quantity": ("指标", "Ratio"),
    "value": ("数值", "Value"),
    "threshold": ("门槛", "Threshold"),
    "status": ("状态", "Status"),
    "source": ("来源", "Source"),
    "factor": ("电网因子口径", "Grid factor basis"),
    "basis_hourly": ("逐时因子", "hourly factors"),
    "basis_annual": ("年度因子", "annual factor"),
    "basis_hourly+annual": ("逐时因子（缺时段用年度因子）", "hourly factors, annual where missing"),
    "intensity": ("用电碳强度 kgCO2/kWh", "Carbon intensity kgCO2/kWh"),
    "location": ("基于位置", "Location-based"),
    "market": ("基于市场", "Market-based"),
    "hourly_matched": ("小时匹配", "Hourly-matched"),
    "self_consumed_share_of_available_generation": (
        "自发自用 / 可用发电量",
        "Self-consumed / available generation",
    ),
    "self_consumed_share_of_total_consumption": (
        "自发自用 / 总用电量",
        "Self-consumed / total consumption",
    ),
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "missing_input": ("缺少输入", "missing input"),
    "no_rule": ("当年无适用阈值", "no threshold in force"),
    "no_data": ("无数据", "no data"),
    "unverified": ("文号未经核实", "notice number not verified"),
}


def _t(key: str, lang: str) -> str:
    zh, en = TEXT.get(key, (key, key))
    return zh if lang == "zh-CN" else en


@router.get("/matching")
def matching_page(
    request: Request,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    enterprise_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> Response:
    """CFE by month, the hourly heat map, consumers and direct-supply ratios of a year
    (default: the last complete calendar year)."""

    def build(principal: Principal, lang: str) -> Response:
        require(principal, Permission.READ)
        store = routes._store(request)
        chosen = year if year is not None else utcnow().year - 1
        service.check_owner(
            store,
            enterprise_id=enterprise_id,
            enterprise_scope=principal.enterprise_id,
            park_id=principal.park_id,
        )
        run = service.run_matching(
            store, year=chosen, enterprise_scope=principal.enterprise_id, park_id=principal.park_id
        )
        report = service.summary(run)
        hours = service.owner_hours(run, enterprise_id=enterprise_id)
        if enterprise_id is None and principal.enterprise_id is None:
            months = report["park_total"]["months"]
            selected: dict[str, Any] | None = None
        else:
            selected = next(c for c in report["consumers"] if c["code"] == hours["code"])
            months = selected["months"]
        cfe = np.array([np.nan if v is None else v for v in hours["cfe"]], dtype=float)
        days = cfe.size // 24
        grid = cfe[: days * 24].reshape(days, 24)
        chart = {
            "months": [m["month"] for m in months],
            "hourly": [m["cfe_hourly"] for m in months],
            "monthly": [m["cfe_monthly"] for m in months],
            "heat": [
                [None if np.isnan(x) else round(float(x) * 100, 1) for x in row] for row in grid
            ],
            "labels": {k: _t(k, lang) for k in ("cfe_hourly", "cfe_monthly")},
        }
        direct = None
        if selected and selected["direct_supply"]:
            last = max(
                (m["month"] for m in months if m["load_kwh"] > 0), default=months[-1]["month"]
            )
            direct = [d for d in selected["direct_supply"] if d["month"] == last]
        return routes._render(
            request,
            "matching.html",
            lang,
            principal,
            tm=lambda key: _t(key, lang),
            year=chosen,
            report=report,
            months=months,
            code=hours["code"],
            enterprise_id=enterprise_id,
            chart=chart,
            direct=direct,
        )

    return routes._page(request, build)
