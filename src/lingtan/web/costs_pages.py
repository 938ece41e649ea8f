"""The energy-cost page (电费): a month's energy and cost by time-of-use period for the park (the
user's scope) or one enterprise, the months of its year as a chart, and the tariff with its
source and confidence. Read through :mod:`lingtan.tariffs.service` with the user's principal,
like ``/api/v1/costs``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lingtan.api.overview import service as overview_service
from lingtan.identity.roles import Principal
from lingtan.store.query_repo import QueryRepo
from lingtan.tariffs import service
from lingtan.tariffs.records import PERIOD_EN, PERIODS
from lingtan.web.routes import _cache, _page, _render, _store

router = APIRouter(include_in_schema=False)
#: one colour per period, whichever periods a month has
COLORS = {
    "尖峰": "#8e1b10",
    "高峰": "#c0392b",
    "平段": "#e0a526",
    "低谷": "#2f9e77",
    "深谷": "#3a6ea5",
}

#: the page's own words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "costs": ("电费", "Energy cost"),
    "costs_intro": (
        "按分时电价计算的电网购电电费（计量点的逐时电量 × 时段电价）",
        "Grid electricity cost under the time-of-use tariff (hourly metered energy × the "
        "period's price)",
    ),
    "scope_park": ("全园区", "Whole park"),
    "month": ("月份", "Month"),
    "enterprise": ("企业", "Enterprise"),
    "show": ("查看", "Show"),
    "period": ("时段", "Period"),
    "energy_kwh": ("电量 kWh", "Energy kWh"),
    "price": ("电价 元/kWh", "Price CNY/kWh"),
    "cost_yuan": ("电费 元", "Cost CNY"),
    "total": ("合计", "Total"),
    "basic": ("基本电费", "Capacity/demand charge"),
    "basic_demand_15min": (
        "按最大需量（15 分钟平均功率）",
        "on maximum demand (15-min mean power)",
    ),
    "basic_demand_hourly": (
        "按最大需量（小时平均功率，低于 15 分钟需量）",
        "on maximum demand (hourly mean, a lower bound of the 15-min demand)",
    ),
    "basic_capacity": ("按合同容量", "on contract capacity"),
    "basic_none": ("未指定计费方式", "basis not assigned"),
    "basic_per_account": (
        "各户按各自电价和需量/容量之和",
        "sum over the accounts, each on its own tariff and demand or capacity",
    ),
    "missing_hours": ("缺测小时", "Missing hours"),
    "year_chart": ("全年各月电费（按时段）", "Cost by month and period"),
    "tariff": ("电价", "Tariff"),
    "source": ("来源", "Source"),
    "notice": ("文号", "Notice"),
    "issuer": ("发布机关", "Issued by"),
    "confidence": ("可信度", "Confidence"),
    "unverified": ("未核实", "Not verified"),
    "synthetic": ("合成电价，仅供演示", "Synthetic tariff, for the demonstration only"),
    "assigned_to_park": ("园区指定", "assigned to the park"),
    "assigned_to_enterprise": ("企业指定", "assigned to the enterprise"),
    "no_tariff": (
        "尚未指定电价（lingtan tariff assign）",
        "No tariff assigned (lingtan tariff assign)",
    ),
    "no_price": ("该电价记录未给出电价，无法计算电费", "The tariff record gives no price; no cost"),
    "no_points": ("没有电网购电计量点", "No grid-import meters"),
    "no_data": ("该月没有计量数据，无法计算电费", "No metered data in the month; no cost"),
    "incomplete": (
        "部分小时缺测：电费只含有数据的小时（偏低，为下限）",
        "Some hours are missing: the cost covers the known hours only (a lower bound)",
    ),
    "tariff_not_valid": (
        "所指定的电价记录在该月不在有效期内",
        "The assigned tariff record is not valid in this month",
    ),
    "month_tariff": ("本月电价记录", "Tariff record of the month"),
    "points": ("计量点", "Meters"),
    "green": ("绿电交易", "Green-power trades"),
    "green_unpriced": ("未标价", "without a price"),
}


def tt(key: str, lang: str) -> str:
    """The page's text of ``key`` in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


def _chart(result: service.CostResult, lang: str) -> dict[str, Any]:
    """Stacked monthly cost per period; a month without a cost (no known hour, no price, no
    tariff) is a gap (null), never 0; ``missing_hours`` marks the months whose bars are lower
    bounds."""
    months = [m.month for m in result.months]
    traces = []
    for p in PERIODS:
        if any(p in m.cost for m in result.months):
            traces.append(
                {
                    "name": p if lang == "zh-CN" else PERIOD_EN[p],
                    "color": COLORS[p],
                    "x": months,
                    "y": [
                        None if m.total_cost is None else round(m.cost.get(p, 0.0), 2)
                        for m in result.months
                    ],
                }
            )
    return {
        "traces": traces,
        "missing_hours": [m.missing_hours for m in result.months],
        "missing_label": tt("missing_hours", lang),
    }


@router.get("/costs")
def costs_page(
    request: Request,
    month: Annotated[str, Query(max_length=7)] = "",
    enterprise: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """A month's cost by period and the year's months as a chart."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        chosen = month or service.latest_month(store, principal)
        year, _ = service.parse_month(chosen, "month")
        ent_id = int(enterprise) if enterprise.isdigit() else None
        park = store.registry.park(principal.park_id)
        ents = (
            QueryRepo(store).enterprises(tenant=principal.tenant, park_id=park.id)[0]
            if principal.enterprise_id is None
            else []
        )
        if ent_id is not None:
            code = service.enterprise_code(store, principal=principal, enterprise_id=ent_id)
            scope: service.Scope = "enterprise"
        elif principal.enterprise_id is not None:
            code = service.enterprise_code(
                store, principal=principal, enterprise_id=principal.enterprise_id
            )
            scope = "enterprise"
        else:
            code, scope = None, "park"
        # the year's cost reads every grid meter's hours of the year (seconds on the demo
        # park): through the view cache, keyed by the caller's scope and the tariff
        # assignments, recomputed when the data or the options move on
        key = (
            "costs", park.id, principal.tenant.enterprise_id, scope, code, year,
            service.assignments_version(store, principal),
        )  # fmt: skip
        # the year's energy cost for the chart; the chosen month's 基本电费 on its 15-minute
        # maximum demand apart (reading a whole year's readings for it cost a cold page about
        # a second on the demo park)
        result = overview_service.cached(
            store, _cache(request), key,
            lambda: service.cost(
                store, principal=principal, scope=scope, subject=code, start=f"{year:04d}-01",
                months=12, quarter_demand=False,
            ),
        )  # fmt: skip
        one = overview_service.cached(
            store, _cache(request), (*key, chosen),
            lambda: service.cost(
                store, principal=principal, scope=scope, subject=code, start=chosen, months=1
            ),
        )  # fmt: skip
        current = next((m for m in result.months if m.month == chosen), None)
        rows = []
        if current is not None:
            rows = [
                {
                    "period": p, "name": p if lang == "zh-CN" else PERIOD_EN[p],
                    "kwh": current.energy_kwh[p], "price": current.prices.get(p),
                    "cost": current.cost.get(p),
                }
                for p in PERIODS
                if p in current.energy_kwh
            ]  # fmt: skip
        return _render(
            request, "costs.html", lang, principal, tt=lambda k: tt(k, lang), result=result,
            current=current, rows=rows, basic=one.basic.get(chosen, {}), chosen=chosen,
            green=result.green.get(chosen),
            enterprises=ents, chosen_enterprise=ent_id, chart=_chart(result, lang),
        )  # fmt: skip

    return _page(request, build)
