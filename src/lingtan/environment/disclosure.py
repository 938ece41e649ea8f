"""An enterprise's annual environmental-information disclosure report (企业环境信息依法披露).

The report's parts and items are data: ``environment/data/disclosure_parts.yaml`` records the
parts of 《企业环境信息依法披露管理办法》(生态环境部令第24号) 第十二条 with the items each names, the
关键环境信息提要 that 《企业环境信息依法披露格式准则》(环办综合〔2021〕32号) puts first, the cover the
准则's 第一节 asks for, and the items 第十四、十五条 add for some kinds of enterprise — each with
its source and confidence. This module lays the report out from that record and maps each item to
the figure lingtan holds (with its source: the station and point, the permit record, the waste
ledger, the accounting result, the incident register) or states that lingtan does not hold it;
nothing is guessed. The 准则's own item-by-item articles were not read, so the items are the
办法's and the report stays a draft (the record says so in ``zhunze_items_read``).

Written with the report writers (:mod:`lingtan.reports.xlsx`, :mod:`lingtan.reports.html`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from lingtan.accounting.service import account_enterprise
from lingtan.alarms.incidents import service as incidents
from lingtan.environment import service
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Permission, Principal, require
from lingtan.reports.model import Block, Column, KeyValues, Paragraph, Report, Section, Table
from lingtan.store import Store
from lingtan.timeutil import zone
from lingtan.waste import service as waste

NOT_RECORDED = "lingtan 未记录，由企业补充"
BASIS = "《企业环境信息依法披露管理办法》第十二条至第十五条；《企业环境信息依法披露格式准则》"
RECORD = "disclosure_parts.yaml"

Confidence = Literal["H", "M", "L"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    """One item a part names (its words as read), with the source it was read in."""

    id: str
    label: str
    source: str
    confidence: Confidence


class Part(_Strict):
    """One part of the annual report, in the report's order."""

    id: str
    title: str
    sheet: str
    basis: str
    source: str
    confidence: Confidence
    items: tuple[Item, ...]


class Kind(_Strict):
    """A kind of enterprise that must disclose (第十三条 to 第十五条) and the items it adds."""

    id: str
    name: str
    basis: str
    source: str
    confidence: Confidence
    extra: tuple[Item, ...]


class Cover(_Strict):
    items: tuple[str, ...]
    basis: str
    source: str
    confidence: Confidence


class Basis(_Strict):
    name: str
    number: str
    issued: str
    effective: str | None = None
    read: str


class DisclosureParts(_Strict):
    """The record ``disclosure_parts.yaml``."""

    document: str
    basis: tuple[Basis, ...]
    confidence: Confidence
    zhunze_items_read: bool
    sources: dict[str, str]
    cover: Cover
    parts: tuple[Part, ...]
    kinds: tuple[Kind, ...]

    @model_validator(mode="after")
    def _shape(self) -> DisclosureParts:
        ids = [i.id for p in self.parts for i in p.items] + [
            i.id for k in self.kinds for i in k.extra
        ]
        if len(set(ids)) != len(ids):
            raise ValueError("an item id is listed twice")
        if len({p.id for p in self.parts}) != len(self.parts):
            raise ValueError("a part id is listed twice")
        named = [
            self.cover.source,
            *(p.source for p in self.parts),
            *(k.source for k in self.kinds),
        ]
        named += [i.source for p in self.parts for i in p.items]
        named += [i.source for k in self.kinds for i in k.extra]
        for text in named:
            for key in text.split():
                if key not in self.sources:
                    raise ValueError(f"source {key} is not among the sources")
        for p in self.parts:
            if len(p.sheet) > 31 or any(c in p.sheet for c in "[]:*?/\\"):
                raise ValueError(f"{p.id}: sheet name {p.sheet!r} is not a worksheet name")
        return self


@lru_cache(maxsize=1)
def parts() -> DisclosureParts:
    """The disclosure record (parts, items, kinds, sources, confidence)."""
    text = resources.files("lingtan.environment").joinpath("data", RECORD)
    doc: Any = yaml.safe_load(text.read_text("utf-8"))
    try:
        return DisclosureParts.model_validate(doc)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "record"
        raise InvalidInput(f"{RECORD}: {loc}: {first['msg']}", field=loc) from err


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


def _num(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


@dataclass(frozen=True, slots=True)
class Fill:
    """What lingtan puts against one item: a line for the items table, its source, and the
    blocks (tables) that carry the figures."""

    text: str
    source: str
    blocks: tuple[Block, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class _Data:
    """Everything lingtan holds for the enterprise's year, gathered once."""

    ent: Any
    park: Any
    year: int
    tz: Any
    monitoring: list[dict[str, Any]]
    permits: list[dict[str, Any]]
    waste: list[dict[str, Any]]
    carbon: dict[str, Any]
    incidents: list[Any]


SRC = Column("source", "数据来源", width=48)


def _basic(d: _Data) -> Fill:
    kv = KeyValues(
        [
            ("企业名称", d.ent.name, "text"),
            ("统一社会信用代码", d.ent.uscc or NOT_RECORDED, "text"),
            ("行业（GB/T 4754-2017）", d.ent.industry or NOT_RECORDED, "text"),
            ("所在园区", d.park.name, "text"),
            ("报告年度", str(d.year), "text"),
        ]
    )
    return Fill(
        "企业名称、统一社会信用代码、行业、所在园区（见下）；生产情况 " + NOT_RECORDED,
        "lingtan 园区登记",
        (kv,),
    )


def _permit(d: _Data) -> Fill:
    table = Table(
        "permits",
        [Column("station", "排放口"), Column("parameter", "污染物"),
         Column("limit", "许可限值", "num2"), Column("unit", "单位"), SRC],
        d.permits,
        title="排污许可限值（园区文件登记）",
    )  # fmt: skip
    if not d.permits:
        return Fill(NOT_RECORDED, "—", (table,))
    text = f"排污许可限值 {len(d.permits)} 项（见下表）；环境影响评价等其他许可 {NOT_RECORDED}"
    return Fill(text, "园区文件登记的排污许可证", (table,))


def _emissions(d: _Data) -> Fill:
    table = Table(
        "monitoring",
        [Column("station", "排放口"), Column("parameter", "污染物"), Column("unit", "单位"),
         Column("hours", "小时数", "int"), Column("valid", "有效小时", "int"),
         Column("mean", "年均浓度", "num2"), Column("max", "最大小时浓度", "num2"),
         Column("limit", "许可限值", "num2"), Column("above", "超限小时", "int"), SRC],
        d.monitoring,
        title="排放口在线监测（小时均值）",
        note="排放量需要排放口流量数据；lingtan 未记录流量，故只披露浓度。",
    )  # fmt: skip
    if not d.monitoring:
        return Fill(NOT_RECORDED, "—", (table,))
    above = sum(r["above"] for r in d.monitoring)
    text = (
        f"排放口在线监测参数 {len(d.monitoring)} 项的年均与最大小时浓度，超过许可限值 {above} 小时"
        f"（见下表）；排放量 {NOT_RECORDED}（lingtan 未记录流量）"
    )
    return Fill(text, "在线监测（HJ 212 数采仪）", (table,))


def _waste(d: _Data) -> Fill:
    table = Table(
        "waste",
        [Column("stream", "危险废物"), Column("code", "废物代码"),
         Column("generated", "产生量 t", "num2"), Column("transferred", "转移量 t", "num2"),
         Column("own", "自行利用处置量 t", "num2"), Column("delta_storage", "贮存增量 t", "num2"),
         SRC],
        d.waste,
        title="危险废物（管理台账）",
    )  # fmt: skip
    if not d.waste:
        return Fill(NOT_RECORDED, "—", (table,))
    text = (
        f"危险废物 {len(d.waste)} 种的产生、转移、自行利用处置与贮存增量（见下表）；"
        f"一般工业固体废物与转移去向 {NOT_RECORDED}"
    )
    return Fill(text, "lingtan 危险废物管理台账（HJ 1259-2022）", (table,))


def _monitoring(d: _Data) -> Fill:
    if not d.monitoring:
        return Fill(NOT_RECORDED, "—")
    return Fill(
        f"在线监测结果见“污染物排放”表；自行监测方案与手工监测 {NOT_RECORDED}",
        "在线监测（HJ 212 数采仪）",
    )


def _carbon(d: _Data) -> Fill:
    period = d.carbon.get("period")
    label = period.get("label") if isinstance(period, dict) else period
    src = f"lingtan 核算（GB/T 32150，{label or d.year}）"
    rows = [
        ("温室气体排放总量（基于位置）", "total_location_tco2", "tCO2"),
        ("温室气体排放总量（基于市场）", "total_market_tco2", "tCO2"),
        ("外购电力间接排放（基于位置）", "scope2_location_tco2", "tCO2"),
        ("综合能源消费量", "energy_tce", "tce"),
    ]
    table = Table(
        "carbon",
        [Column("item", "项目"), Column("value", "数值", "num2"), Column("unit", "单位"), SRC],
        [{"item": label, "value": _num(d.carbon.get(key)), "unit": unit, "source": src}
         for label, key, unit in rows],
        title="排放量",
    )  # fmt: skip
    return Fill("温室气体排放量（基于位置、基于市场）与综合能源消费量（见下表）", src, (table,))


def _incidents(d: _Data) -> Table:
    return Table(
        "incidents",
        [Column("title", "事件"), Column("kind", "类别"), Column("level", "级别"),
         Column("occurred", "发生时间"), Column("state", "状态"), SRC],
        [
            {
                "title": i.title,
                "kind": i.kind,
                "level": i.level or "—",
                "occurred": dt.datetime.fromtimestamp(i.occurred_at / 1e6, d.tz).strftime(
                    "%Y-%m-%d %H:%M"
                ),
                "state": i.state.value,
                "source": f"应急事件登记 #{i.id}",
            }
            for i in d.incidents
        ],
        title="本年度应急事件（lingtan 应急事件登记；不是《办法》列举的条目）",
    )  # fmt: skip


#: the items lingtan holds a figure for; every other item of the record is "not recorded"
FILLS: dict[str, Callable[[_Data], Fill]] = {
    "basic.info": _basic,
    "management.permit": _permit,
    "pollution.emissions": _emissions,
    "pollution.waste": _waste,
    "pollution.monitoring": _monitoring,
    "carbon.amount": _carbon,
}


def _hosts(rec: DisclosureParts, keys: str) -> str:
    """The sites a record's source keys name (``S1 S2`` → ``jianbiaoku.com、cyjjw.net``)."""
    return "、".join(urlsplit(rec.sources[k]).hostname or k for k in keys.split())


def _items_table(part: str, rows: list[dict[str, Any]]) -> Table:
    return Table(
        f"items.{part}",
        [Column("label", "条目"), Column("basis", "依据"), Column("lingtan", "lingtan 的数据", width=60),
         SRC],
        rows,
        title="条目",
    )  # fmt: skip


def _summary(d: _Data, rec: DisclosureParts) -> list[Block]:
    exceed_hours = sum(r["above"] for r in d.monitoring)
    cover = KeyValues(
        [
            ("企业中文名称", d.ent.name, "text"),
            ("统一社会信用代码", d.ent.uscc or NOT_RECORDED, "text"),
            ("报告年度", str(d.year), "text"),
            ("编制日期", "由企业填写（lingtan 生成的是草稿）", "text"),
        ],
        title=f"封面（{rec.cover.basis}）",
    )
    figures = KeyValues(
        [
            ("排放口在线监测参数", len(d.monitoring), "int"),
            ("超过许可限值的小时数", exceed_hours, "int"),
            ("危险废物产生量 t", sum(r["generated"] for r in d.waste), "num2"),
            ("温室气体排放量 tCO2（基于位置）", _num(d.carbon.get("total_location_tco2")), "num1"),
            ("综合能源消费量 tce", _num(d.carbon.get("energy_tce")), "num1"),
            ("本年度应急事件（应急事件登记）", len(d.incidents), "int"),
        ],
        title="lingtan 摘录的数字",
    )
    return [
        cover,
        figures,
        Paragraph(
            "《格式准则》把关键环境信息提要置于年度报告之首；其条目未读，上列为 lingtan 摘录的数字，"
            "不是准则的提要条目。扉页承诺由企业负责人签署。",
            "note",
        ),
    ]


def _gather(store: Store, principal: Principal, ent: Any, year: int) -> _Data:
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
    balance = waste.balance(store, principal=principal, year=year, enterprise_id=ent.id)
    src_waste = "危险废物管理台账"
    waste_rows = [
        {"stream": s["stream"], "code": s["code"], "generated": s["generated"],
         "transferred": s["transferred"], "own": s["own"], "delta_storage": s["delta_storage"],
         "source": f"{src_waste}（废物流 #{s['stream_id']}）"}
        for s in balance["streams"]
    ]  # fmt: skip
    return _Data(ent, park, year, tz, monitoring, permits, waste_rows, carbon, mine)


#: the stages of a cleaner-production audit (programme record ``cleaner_production_audit``)
CP_STAGE_ZH: Final = {
    "planning": "筹划和组织", "pre_assessment": "预审核", "assessment": "审核",
    "options": "方案的产生和筛选", "feasibility": "可行性分析", "implementation": "方案实施",
    "continuation": "持续清洁生产",
}  # fmt: skip
CP_OPTION_ZH: Final = {"proposed": "提出", "implemented": "已实施", "rejected": "未采纳"}


def _cleaner_production(store: Store, principal: Principal, ent: Any, year: int) -> Fill:
    """强制性清洁生产审核的实施情况 (《办法》第十四条) from the enterprise's cleaner-production
    audit records of the programme started in or before ``year``: stage reached, options and
    their investment."""
    from lingtan.store.programme_repo import ProgrammeRepo

    park = store.registry.park(principal.park_id)
    audits = ProgrammeRepo(store).records(
        tenant=principal.tenant, park_id=park.id, kinds=["cleaner_production_audit"],
        enterprise_id=ent.id,
    )  # fmt: skip
    found = [r for r in audits if str(r.body.get("started_on", ""))[:4] <= str(year)]
    if not found:
        return Fill(f"{NOT_RECORDED}（lingtan 无该企业的清洁生产审核记录）", "—")
    rows = []
    for r in found:
        options = r.body.get("options", [])
        done = [o for o in options if o.get("status") == "implemented"]
        invest = sum(float(o.get("investment_cny") or 0.0) for o in done)
        rows.append({
            "title": r.title, "started_on": r.body.get("started_on"),
            "stage": CP_STAGE_ZH.get(str(r.body.get("stage")), str(r.body.get("stage"))),
            "options": len(options), "implemented": len(done), "investment": invest,
            "source": f"节能管理记录 #{r.id}",
        })  # fmt: skip
    table = Table(
        "cleaner_production",
        [Column("title", "审核"), Column("started_on", "开始日期"), Column("stage", "所处阶段"),
         Column("options", "方案数", "int"), Column("implemented", "已实施方案", "int"),
         Column("investment", "已实施方案投资（元）", "num0"), SRC],
        rows, title="强制性清洁生产审核",
    )  # fmt: skip
    latest = rows[-1]
    text = (
        f"{latest['title']}：{latest['stage']}阶段，方案 {latest['options']} 项、已实施 "
        f"{latest['implemented']} 项（评估与验收结果由企业补充）"
    )
    return Fill(text, f"节能管理记录 #{found[-1].id}", (table,))


def build_disclosure(
    store: Store,
    *,
    principal: Principal,
    enterprise: str,
    year: int,
    kinds: Sequence[str] | None = None,
) -> Report:
    """The disclosure report of ``enterprise`` (its code) for ``year`` (zh-CN), laid out from
    ``disclosure_parts.yaml``. ``kinds``: the kinds of enterprise (第十三条至第十五条, the record's
    ``kinds`` ids) it belongs to — the report then adds only their items; None: the kinds are
    not known and every kind's items are listed for the enterprise to check."""
    require(principal, Permission.REPORTS)
    rec = parts()
    known = {k.id for k in rec.kinds}
    if kinds is not None:
        unknown = sorted(set(kinds) - known)
        if unknown:
            raise InvalidInput(
                f"kinds: {', '.join(unknown)} unknown; one of {', '.join(sorted(known))}",
                field="kinds",
            )
    ent = _enterprise(store, principal, enterprise)
    d = _gather(store, principal, ent, year)
    sections: list[Section] = []
    for part in rec.parts:
        if part.id == "summary":
            blocks = _summary(d, rec)
        else:
            rows: list[dict[str, Any]] = []
            details: list[Block] = []
            for item in part.items:
                fill = FILLS[item.id](d) if item.id in FILLS else Fill(NOT_RECORDED, "—")
                rows.append({"label": item.label, "basis": part.basis, "lingtan": fill.text,
                             "source": fill.source})  # fmt: skip
                details.extend(fill.blocks)
            if part.id == "emergency":
                details.append(_incidents(d))
            blocks = [_items_table(part.id, rows), *details]
        note = f"依据：{part.basis}（可信度 {part.confidence}；来源 {_hosts(rec, part.source)}）"
        sections.append(Section(part.title, [*blocks, Paragraph(note, "note")], part.sheet))
    chosen = [k for k in rec.kinds if kinds is None or k.id in kinds]
    extra_rows: list[dict[str, Any]] = []
    extra_blocks: list[Block] = []
    for k in chosen:
        for i in k.extra:
            if kinds is None:
                fill = Fill(f"{NOT_RECORDED}（lingtan 未记录企业是否属于此类）", "—")
            elif i.id == "cleaner_production.result":
                fill = _cleaner_production(store, principal, ent, year)
            else:
                fill = Fill(NOT_RECORDED, "—")
            extra_rows.append({"kind": k.name, "label": i.label, "basis": k.basis,
                               "lingtan": fill.text, "source": fill.source})  # fmt: skip
            extra_blocks.extend(fill.blocks)
    kinds_text = "、".join(f"{k.name}（{k.basis}）" for k in rec.kinds)
    if kinds is None:
        said = f"{kinds_text}均披露第一至八部分；下列企业另披露所列条目。"
    elif chosen:
        said = (
            "本企业属于："
            + "、".join(f"{k.name}（{k.basis}）" for k in chosen)
            + "，另披露下列条目。"
        )
    else:
        said = "本企业不属于另需增加条目的企业类别（第十四条、第十五条），只披露第一至八部分。"
    sections.append(
        Section(
            "附、按企业类别增加的内容",
            [
                Paragraph(said, "body"),
                Table(
                    "items.kinds",
                    [
                        Column("kind", "企业类别"),
                        Column("label", "条目"),
                        Column("basis", "依据"),
                        Column("lingtan", "lingtan 的数据", width=60),
                        SRC,
                    ],
                    extra_rows,
                    title="条目",
                ),
                *extra_blocks,
            ],
            "按类别增加",
        )
    )
    draft = "" if rec.zhunze_items_read else "（草稿）"
    why = (
        ""
        if rec.zhunze_items_read
        else "草稿：条目取自《办法》第十二条至第十五条，《格式准则》的逐条内容尚未核对。"
    )
    return Report(
        title=f"{ent.name} {year} 年度环境信息依法披露报告{draft}",
        subtitle=BASIS,
        lang="zh",
        meta=[("企业", ent.name), ("年度", str(year)), ("生成", "lingtan")],
        sections=sections,
        footer=f"lingtan 生成；每个数字注明来源，lingtan 未记录的条目由企业补充。{why}",
        synthetic="合成" in d.park.name or "SYNTHETIC" in d.park.name,
    )


def disclosure_bytes(report: Report, fmt: str) -> bytes:
    """The report as ``xlsx`` or ``html`` bytes."""
    from lingtan.reports.html import write_html
    from lingtan.reports.xlsx import write_xlsx

    return write_xlsx(report) if fmt == "xlsx" else write_html(report)


__all__ = ["FILLS", "NOT_RECORDED", "build_disclosure", "disclosure_bytes", "parts"]
