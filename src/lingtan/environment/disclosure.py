"""An enterprise's annual environmental-information disclosure report (企业环境信息依法披露).

Structure: the eight parts of 《企业环境信息依法披露管理办法》(生态环境部令第24号) 第十二条, which
《企业环境信息依法披露格式准则》(环办综合〔2021〕32号) details — preceded by the 关键环境信息提要
the 准则 asks for. lingtan fills what it holds, each figure with its source (the station and
point, the permit record, the accounting result, the incident register); what it does not hold
(environmental tax, liability insurance, credit rating, penalties …) is stated as "not recorded
in lingtan", never guessed. The parts and their order were checked against the 办法's text
(第十二条, transcribed at jianbiaoku.com) and a summary of the 准则; the 准则's item-by-item
tables were not read, so the report is a draft for the enterprise to complete, and says so.

Written with the report writers (:mod:`lingtan.reports.xlsx`, :mod:`lingtan.reports.html`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from lingtan.accounting.service import account_enterprise
from lingtan.alarms.incidents import service as incidents
from lingtan.environment import service
from lingtan.errors import NotFound
from lingtan.identity.roles import Permission, Principal, require
from lingtan.reports.model import Column, KeyValues, Paragraph, Report, Section, Table
from lingtan.store import Store
from lingtan.timeutil import zone

NOT_RECORDED = "lingtan 未记录，由企业补充"
BASIS = "《企业环境信息依法披露管理办法》第十二条；《企业环境信息依法披露格式准则》"


def _enterprise(store: Store, principal: Principal, code: str) -> Any:
    park = store.registry.park(principal.park_id)
    for e in store.registry.enterprises(park.id):
        if e.code == code and principal.tenant.owns(e.id):
            return e
    raise NotFound("no such enterprise in your scope")


def _monitoring_rows(
    store: Store, principal: Principal, enterprise_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per outlet parameter: hours, valid hours, mean, max, permit limit, hours above it."""
    rows: list[dict[str, Any]] = []
    permits: list[dict[str, Any]] = []
    for r in service.list_stations(store, principal=principal, kind="outlet"):
        if r.enterprise_id != enterprise_id:
            continue
        st = service.station_of(r)
        for lim in st.limits:
            permits.append({"station": f"{r.code} {r.name}", "parameter": lim.parameter,
                            "limit": lim.limit, "unit": lim.unit, "source": lim.source})  # fmt: skip
        result = service.assess_row(store, r, start, end)
        above: dict[str, int] = {}
        for e in result.permit_exceedances:
            above[e["parameter"]] = above.get(e["parameter"], 0) + 1
        for s in service.hourly_series(store, r, start, end):
            ok = ~np.isnan(s.value)
            lim_rec = next((x for x in st.limits if x.parameter == s.parameter), None)
            rows.append(
                {
                    "station": f"{r.code} {r.name}",
                    "parameter": s.parameter,
                    "unit": s.unit,
                    "hours": len(s.value),
                    "valid": int(ok.sum()),
                    "mean": float(s.value[ok].mean()) if ok.any() else None,
                    "max": float(s.value[ok].max()) if ok.any() else None,
                    "limit": None if lim_rec is None else lim_rec.limit,
                    "above": above.get(s.parameter, 0),
                    "source": f"在线监测 {st.point_code(s.parameter)} 小时均值（HJ 212 数采仪 {r.mn}）",
                }
            )
    return rows, permits


def build_disclosure(store: Store, *, principal: Principal, enterprise: str, year: int) -> Report:
    """The disclosure report of ``enterprise`` (its code) for ``year`` (zh-CN)."""
    require(principal, Permission.REPORTS)
    ent = _enterprise(store, principal, enterprise)
    park = store.registry.park(principal.park_id)
    tz = zone(park.timezone)
    start = dt.datetime(year, 1, 1, tzinfo=tz)
    end = dt.datetime(year + 1, 1, 1, tzinfo=tz)
    monitoring, permits = _monitoring_rows(store, principal, ent.id, start, end)
    carbon = account_enterprise(
        store, enterprise_id=ent.id, year=year, park_id=park.id, persist=False,
        enterprise_scope=principal.enterprise_id, actor=principal.actor,
    ).as_dict()  # fmt: skip
    found, _ = incidents.list_incidents(store, principal=principal, limit=None)
    t0, t1 = int(start.timestamp() * 1e6), int(end.timestamp() * 1e6)
    mine = [i for i in found if i.enterprise_id == ent.id and t0 <= i.occurred_at < t1]
    src_carbon = f"lingtan 核算（GB/T 32150，{carbon.get('period') or year}）"
    exceed_hours = sum(r["above"] for r in monitoring)

    def num(v: Any) -> Any:
        return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v

    src = Column("source", "数据来源", width=48)
    summary = KeyValues(
        [
            ("排放口在线监测参数", len(monitoring), "int"),
            ("超过许可限值的小时数", exceed_hours, "int"),
            ("温室气体排放量 tCO2（基于位置）", num(carbon.get("total_location_tco2")), "num1"),
            ("综合能源消费量 tce", num(carbon.get("energy_tce")), "num1"),
            ("突发环境事件（应急事件登记）", len(mine), "int"),
        ]
    )
    sections = [
        Section(
            "关键环境信息提要",
            [
                summary,
                Paragraph(
                    f"依据：{BASIS}。本报告为草稿：lingtan 只填写其记录的数据，每个数字注明来源；其余内容由企业补充。",
                    "note",
                ),
            ],
            "提要",
        ),
        Section(
            "一、企业基本信息",
            [
                KeyValues(
                    [
                        ("企业名称", ent.name, "text"),
                        ("统一社会信用代码", ent.uscc or NOT_RECORDED, "text"),
                        ("行业（GB/T 4754-2017）", ent.industry or NOT_RECORDED, "text"),
                        ("所在园区", park.name, "text"),
                        ("报告年度", str(year), "text"),
                    ]
                )
            ],
            "基本信息",
        ),
        Section(
            "二、企业环境管理信息",
            [
                Table(
                    "permits",
                    [
                        Column("station", "排放口"),
                        Column("parameter", "污染物"),
                        Column("limit", "许可限值", "num2"),
                        Column("unit", "单位"),
                        src,
                    ],
                    permits,
                    title="生态环境行政许可（排污许可限值，园区文件登记）",
                ),
                KeyValues(
                    [
                        ("环境保护税", NOT_RECORDED, "text"),
                        ("环境污染责任保险", NOT_RECORDED, "text"),
                        ("环保信用评价", NOT_RECORDED, "text"),
                    ]
                ),
            ],
            "环境管理",
        ),
        Section(
            "三、污染物产生、治理与排放信息",
            [
                Table(
                    "monitoring",
                    [
                        Column("station", "排放口"),
                        Column("parameter", "污染物"),
                        Column("unit", "单位"),
                        Column("hours", "小时数", "int"),
                        Column("valid", "有效小时", "int"),
                        Column("mean", "年均浓度", "num2"),
                        Column("max", "最大小时浓度", "num2"),
                        Column("limit", "许可限值", "num2"),
                        Column("above", "超限小时", "int"),
                        src,
                    ],
                    monitoring,
                    title="自行监测（在线监测小时均值）",
                ),
                Paragraph(
                    "排放量需要排放口流量数据；lingtan 未记录流量，故只披露浓度。污染防治设施、有毒有害物质、工业固体废物和危险废物："
                    + NOT_RECORDED
                    + "。",
                    "note",
                ),
            ],
            "污染物排放",
        ),
        Section(
            "四、碳排放信息",
            [
                Table(
                    "carbon",
                    [
                        Column("item", "项目"),
                        Column("value", "数值", "num2"),
                        Column("unit", "单位"),
                        src,
                    ],
                    [
                        {
                            "item": "温室气体排放总量（基于位置）",
                            "value": num(carbon.get("total_location_tco2")),
                            "unit": "tCO2",
                            "source": src_carbon,
                        },
                        {
                            "item": "温室气体排放总量（基于市场）",
                            "value": num(carbon.get("total_market_tco2")),
                            "unit": "tCO2",
                            "source": src_carbon,
                        },
                        {
                            "item": "外购电力间接排放（基于位置）",
                            "value": num(carbon.get("scope2_location_tco2")),
                            "unit": "tCO2",
                            "source": src_carbon,
                        },
                        {
                            "item": "综合能源消费量",
                            "value": num(carbon.get("energy_tce")),
                            "unit": "tce",
                            "source": src_carbon,
                        },
                    ],
                    title="排放量（排放设施：见 lingtan 计量点清单）",
                )
            ],
            "碳排放",
        ),
        Section(
            "五、生态环境应急信息",
            [
                Table(
                    "incidents",
                    [
                        Column("title", "事件"),
                        Column("kind", "类别"),
                        Column("level", "级别"),
                        Column("occurred", "发生时间"),
                        Column("state", "状态"),
                        src,
                    ],
                    [
                        {
                            "title": i.title,
                            "kind": i.kind,
                            "level": i.level or "—",
                            "occurred": dt.datetime.fromtimestamp(i.occurred_at / 1e6, tz).strftime(
                                "%Y-%m-%d %H:%M"
                            ),
                            "state": i.state.value,
                            "source": f"应急事件登记 #{i.id}",
                        }
                        for i in mine
                    ],
                    title="突发环境事件",
                ),
                Paragraph(
                    "突发环境事件应急预案、重污染天气应急响应：" + NOT_RECORDED + "。", "note"
                ),
            ],
            "应急信息",
        ),
        Section("六、生态环境违法信息", [Paragraph(NOT_RECORDED + "。")], "违法信息"),
        Section("七、本年度临时环境信息依法披露情况", [Paragraph(NOT_RECORDED + "。")], "临时披露"),
        Section("八、法律法规规定的其他环境信息", [Paragraph(NOT_RECORDED + "。")], "其他"),
    ]
    return Report(
        title=f"{ent.name} {year} 年度环境信息依法披露报告（草稿）",
        subtitle=BASIS,
        lang="zh",
        meta=[("企业", ent.name), ("年度", str(year)), ("生成", "lingtan")],
        sections=sections,
        footer="lingtan 生成的草稿；每个数字注明来源。",
        synthetic="合成" in park.name or "SYNTHETIC" in park.name,
    )


def disclosure_bytes(report: Report, fmt: str) -> bytes:
    """The report as ``xlsx`` or ``html`` bytes."""
    from lingtan.reports.html import write_html
    from lingtan.reports.xlsx import write_xlsx

    return write_xlsx(report) if fmt == "xlsx" else write_html(report)


__all__ = ["build_disclosure", "disclosure_bytes"]
