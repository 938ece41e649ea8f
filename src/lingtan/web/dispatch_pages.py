"""Dashboard pages of microgrid dispatch: the park's latest plans and one plan's chart —
import, PV, load and battery state of charge per step — with its terms, the constraints it
could not meet and the reason for every action, in the page's language.

Dispatch is the park's own microgrid: an enterprise user sees a note instead of plans, and a
plan's page answers 404 as the page of a plan that does not exist."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from fastapi import APIRouter, Request, Response

from lingtan.dispatch import service
from lingtan.dispatch.actual import compare_actual
from lingtan.dispatch.explain import Reason, Violation, reason_text, violation_text
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Principal
from lingtan.store.dispatch_repo import PlanRow
from lingtan.web import i18n, palette
from lingtan.web.routes import _page, _render, _store, _zone

router = APIRouter(include_in_schema=False)

#: key → (中文, English), looked up before the dashboard's common texts
TEXT: Final[dict[str, tuple[str, str]]] = {
    "dispatch": ("调度计划", "Dispatch"),
    "dp_plan": ("计划", "Plan"),
    "dp_day": ("日期", "Day"),
    "dp_kind": ("类型", "Kind"),
    "dp_day_ahead": ("日前计划", "Day-ahead"),
    "dp_intraday": ("日内滚动", "Intraday"),
    "dp_status": ("状态", "Status"),
    "dp_optimal": ("全部约束满足", "All constraints met"),
    "dp_relaxed": ("部分约束未满足", "Some constraints not met"),
    "dp_created": ("制定", "Planned"),
    "dp_published": ("已下发", "Published"),
    "dp_not_published": ("未下发", "Not published"),
    "dp_none_yet": (
        "尚无调度计划：园区管理员可在命令行或 API 中制定计划",
        "No plans yet (lingtan dispatch plan --day YYYY-MM-DD)",
    ),
    "dp_park_only": (
        "调度计划属于园区微电网，仅园区级用户可见",
        "Dispatch plans the park's own microgrid; only park-wide users see them",
    ),
    "dp_terms": ("计划指标", "Plan figures"),
    "dp_energy_cost": ("电费（元）", "Energy cost (CNY)"),
    "dp_demand_cost": ("需量电费增加（元）", "Demand charge increase (CNY)"),
    "dp_carbon_t": ("排放（tCO2）", "Emissions (tCO2)"),
    "dp_carbon_cost": ("碳成本（元）", "Carbon cost (CNY)"),
    "dp_degradation_cost": ("储能损耗成本（元）", "Battery wear (CNY)"),
    "dp_import_kwh": ("购电量（kWh）", "Import (kWh)"),
    "dp_export_kwh": ("上网电量（kWh）", "Export (kWh)"),
    "dp_peak_import_kw": ("最大购电功率（kW）", "Peak import (kW)"),
    "dp_cfe_score": ("逐时无碳电力占比", "Hourly carbon-free share"),
    "dp_total": ("合计（元）", "Total (CNY)"),
    "dp_violations": ("未满足的约束", "Constraints not met"),
    "dp_no_violations": ("所有约束均已满足", "Every constraint is met"),
    "dp_reasons": ("各时段动作及原因", "Actions per step and why"),
    "dp_step": ("时段", "Step"),
    "dp_actions": ("动作", "Actions"),
    "dp_import": ("电网购电", "Grid import"),
    "dp_pv": ("光伏出力", "PV"),
    "dp_load": ("负荷", "Load"),
    "dp_soc": ("储能电量（kWh）", "Battery energy (kWh)"),
    "dp_power": ("功率（kW）", "Power (kW)"),
    "dp_pv_forecast": ("光伏预测", "PV forecast"),
    "dp_metered_import": ("实际购电（计量）", "Metered import"),
    "dp_metered_pv": ("实际光伏（计量）", "Metered PV"),
    "dp_vs_metered": ("计划与实际对比", "Planned against metered"),
    "dp_planned": ("计划", "Planned"),
    "dp_metered": ("实际", "Metered"),
    "dp_missing_hours": ("缺少计量数据的小时", "Hours without metered data"),
    "dp_not_over": ("当日结束后可与实际计量对比", "Compared with the meters once the day is over"),
    "dp_writes": ("设定值下发与回读", "Setpoints written and read back"),
    "dp_no_writes": (
        "尚未向设备写入设定值：园区管理员可在命令行中下发当前时段的设定值",
        "No setpoint written to a device yet (lingtan dispatch apply)",
    ),
    "dp_device": ("设备", "Device"),
    "dp_setpoint": ("设定值（kW）", "Setpoint (kW)"),
    "dp_written": ("写入值", "Written"),
    "dp_readback": ("回读值", "Read back"),
    "dp_outcome": ("结果", "Outcome"),
    "dp_attempts": ("尝试次数及原因", "Attempts and reason"),
    "dp_measured": ("实测功率（kW）", "Measured (kW)"),
    "dp_tracking": ("跟踪", "Tracking"),
    "dp_w_ok": ("已确认", "confirmed"),
    "dp_w_mismatch": ("回读不符", "read-back mismatch"),
    "dp_w_timeout": ("超时", "timeout"),
    "dp_w_unavailable": ("网关不可达", "gateway unreachable"),
    "dp_w_device_error": ("设备异常响应", "device exception"),
    "dp_w_refused": ("超出设备限值，未写入", "outside the device's limits, not written"),
    "dp_t_ok": ("跟踪正常", "following"),
    "dp_t_off": ("偏离设定值", "off the setpoint"),
    "dp_t_no_data": ("无实测数据", "no measurement"),
}

#: the figures compared between the plan and what was metered
COMPARED: Final = (
    ("energy_cost", 2), ("carbon_t", 3), ("import_kwh", 0), ("export_kwh", 0),
    ("peak_import_kw", 0), ("total", 2),
)  # fmt: skip

TERMS: Final = (
    ("energy_cost", 2), ("demand_cost", 2), ("carbon_t", 3), ("carbon_cost", 2),
    ("degradation_cost", 2), ("import_kwh", 0), ("export_kwh", 0), ("peak_import_kw", 0),
    ("total", 2),
)  # fmt: skip


def _t(lang: str) -> Any:
    def t(key: str) -> str:
        if key in TEXT:
            zh, en = TEXT[key]
            return zh if lang == "zh-CN" else en
        return i18n.t(key, lang)

    return t


def _detail(row: PlanRow, lang: str, tz: Any, actual: dict[str, Any] | None) -> dict[str, Any]:
    """The chart's series (the plan, the PV forecast it used and, after the day, the metered
    import and PV per hour), the violations and the reasons of one plan, worded in ``lang``."""
    t = _t(lang)
    short = "en" if lang == "en" else "zh"
    s = row.steps
    n = len(s["import_kw"])
    x = [service.step_start(row, tz, k).isoformat() for k in range(n)]
    pv = sum((np.asarray(v) for v in s["pv_kw"].values()), np.zeros(n))
    forecast = sum((np.asarray(v) for v in s.get("pv_forecast_kw", {}).values()), np.zeros(n))
    chart: dict[str, Any] = {
        "x": x,
        "import": s["import_kw"],
        "pv": [round(float(v), 3) for v in pv],
        "pv_forecast": [round(float(v), 3) for v in forecast] if s.get("pv_forecast_kw") else None,
        "load": s["load_kw"],
        "soc": {code: v for code, v in s["soc_kwh"].items()},
        # carrier colours from the dashboard's one palette
        "colours": {
            "import": palette.colour("electricity_grid_import"),
            "pv": palette.colour("pv_generation"),
            "soc": palette.colour("storage_discharge"),
        },
        "labels": {
            k: t(f"dp_{k}")
            for k in (
                "import",
                "pv",
                "load",
                "soc",
                "power",
                "pv_forecast",
                "metered_import",
                "metered_pv",
            )
        },
        "metered": None,
    }
    if actual is not None:
        # hourly kWh = mean kW over the hour, drawn as a step over the hour
        chart["metered"] = {
            "x": [h["hour"] for h in actual["hours"]],
            "import": [h["actual"]["import"] for h in actual["hours"]],
            "pv": [h["actual"]["pv"] for h in actual["hours"]],
        }
    hours = row.step_minutes / 60.0
    violations = [violation_text(Violation(**v), hours, short) for v in row.violations]
    reasons = [
        (
            f"{service.step_start(row, tz, k):%H:%M}",
            [
                f"{r['asset']} {reason_text(Reason(**{**r, 'because': tuple(r['because'])}), short)}"
                for r in step
            ],
        )
        for k, step in enumerate(s["reasons"])
        if step
    ]
    return {"chart": chart, "violations": violations, "reasons": reasons, "actual": actual}


def _build(request: Request, principal: Principal, lang: str, plan_id: int | None) -> Response:
    t = _t(lang)
    if principal.enterprise_id is not None:
        if plan_id is not None:  # no enterprise has a plan: as for any page of nothing
            raise NotFound("dispatch plan not found")
        return _render(request, "dispatch.html", lang, principal, park_only=True, t=t)
    store = _store(request)
    rows = service.plans(store, principal=principal, limit=30)
    chosen = None
    if plan_id is not None:
        chosen = service.plan(store, principal=principal, plan_id=plan_id)
    elif rows:
        chosen = service.plan(store, principal=principal, plan_id=rows[0].id)
    tz = _zone(request, principal)
    actual = None
    if chosen is not None:
        try:
            actual = compare_actual(store, principal=principal, plan_id=chosen.id)
        except InvalidInput:  # the day is not over yet
            actual = None
    detail = None if chosen is None else _detail(chosen, lang, tz, actual)
    writes = [] if chosen is None else service.writes(store, principal=principal, plan_id=chosen.id)
    return _render(
        request, "dispatch.html", lang, principal, park_only=False, rows=rows, plan=chosen,
        detail=detail, terms=TERMS, compared=COMPARED, t=t, writes=writes,
    )  # fmt: skip


@router.get("/dispatch")
def dispatch_page(request: Request) -> Response:
    """The park's latest plans and the newest one's chart, terms, violations and reasons."""
    return _page(request, lambda principal, lang: _build(request, principal, lang, None))


@router.get("/dispatch/{plan_id}")
def plan_page(request: Request, plan_id: int) -> Response:
    """One plan: its chart, terms, violations and reasons."""
    return _page(request, lambda principal, lang: _build(request, principal, lang, plan_id))
