"""Carbon accounting reports from the store-backed accounting results.

* :func:`park_report` — the park annual carbon accounting report in the structure of 910号
  附件4: energy activity (fuels by fuel and activity type, energy conversion, net electricity
  and heat by kind), industrial processes by product, international bunker fuels listed
  separately, offsets beside (never deducted), the total and the core indicator, the factor
  records and the sources of every activity amount.
* :func:`enterprise_report` — the enterprise GHG inventory in the GB/T 32150-2015 reporting
  structure: reporting entity, boundary, emission sources, activity data, factors with sources,
  emissions with location- and market-based scope 2 and the total under each, data quality.

Figures are the accounting's own (:class:`lingtan.accounting.AccountingResult`); the builders
only arrange them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lingtan.accounting import AccountingResult
from lingtan.carbon.activity import FUELS, USE_NAMES_ZH, Activity
from lingtan.carbon.inventory import TERM_NAMES, ExplainLine, Inventory
from lingtan.ghg.account import GhgResult
from lingtan.indicators.evaluate import IndicatorResult
from lingtan.reports.common import (
    factor_table,
    footer,
    status_word,
    synthetic_park,
    translator,
)
from lingtan.reports.localise import localise
from lingtan.reports.model import Chart, Column, KeyValues, Paragraph, Report, Section, Table
from lingtan.timeutil import from_us

USE_NAMES_EN = {
    "terminal": "terminal use",
    "power": "power generation",
    "heat": "heat supply",
    "conversion": "conversion",
    "feedstock": "feedstock",
    "bunker": "international bunkers",
}
KIND_NAMES = {
    "grid": ("电网电力（含绿证绿电部分）", "grid electricity (incl. certificate-backed)"),
    "direct_non_fossil": ("直供非化石能源电力", "direct non-fossil supply"),
    "green_certified": ("其中：绿证/绿电交易电力", "of which 绿证/green-power traded"),
    "fossil": ("送出化石能源电力", "sent: fossil"),
    "non_fossil": ("送出非化石能源电力", "sent: non-fossil"),
}
HEAT_NAMES = {
    "fossil": ("化石能源热力", "fossil heat"),
    "non_fossil": ("非化石能源热力", "non-fossil heat"),
}


def _term(term: str, lang: str) -> str:
    zh, en = TERM_NAMES.get(term, (term, term))
    return zh if lang == "zh" else en


def _lines(inv: Inventory, term: str) -> list[ExplainLine]:
    return [line for line in inv.explain if line.term == term]


def _explain_table(
    key: str, inv: Inventory, lang: str, terms: Sequence[str] | None = None
) -> Table:
    tr = translator(lang)
    rows = [
        {
            "term": _term(line.term, lang),
            "text": line.text(lang),
            "result": line.result,
            "unit": line.unit,
            "clause": line.clause,
            "factors": ", ".join(line.factor_ids),
        }
        for line in inv.explain
        if terms is None or line.term in terms
    ]
    return Table(
        key,
        [
            Column("term", tr("项目", "Term")),
            Column("text", tr("计算过程", "Computation")),
            Column("result", tr("结果", "Result"), "num2"),
            Column("unit", tr("单位", "Unit")),
            Column("clause", tr("依据条款", "Clause")),
            Column("factors", tr("因子记录", "Factor records")),
        ],
        rows,
        title=tr(
            "计算过程（输入 × 因子 = 结果，含条款）",
            "Computation (inputs × factor = result, with clause)",
        ),
    )


def _fuel_rows(
    activity: Activity, inv: Inventory, uses: Sequence[str], term: str, lang: str
) -> list[dict[str, Any]]:
    items = [f for f in activity.fuels if f.use in uses]
    # item lines read "[<activity type>] …"; feedstock lines ("fuels[i] … 用作原料") are not items
    lines = [ln for ln in _lines(inv, term) if ln.expression.startswith("[")]
    paired = len(lines) == len(items)
    rows = []
    for k, item in enumerate(items):
        spec = FUELS[item.fuel]
        rows.append(
            {
                "fuel": spec.name_zh if lang == "zh" else spec.name_en,
                "group": {"coal": "煤品", "oil": "油品", "gas": "天然气"}[spec.group]
                if lang == "zh"
                else spec.group,
                "use": USE_NAMES_ZH[item.use] if lang == "zh" else USE_NAMES_EN[item.use],
                "amount": item.amount,
                "unit": item.unit,
                "tco2": lines[k].result if paired else None,
            }
        )
    return rows


def _fuel_table(key: str, rows: list[dict[str, Any]], lang: str, title: str, total: float) -> Table:
    tr = translator(lang)
    return Table(
        key,
        [
            Column("fuel", tr("能源品种", "Fuel")),
            Column("group", tr("类别", "Group")),
            Column("use", tr("活动类型", "Activity type")),
            Column("amount", tr("消费量", "Amount"), "num2"),
            Column("unit", tr("单位", "Unit")),
            Column("tco2", tr("排放量 tCO2", "Emissions tCO2"), "num2"),
        ],
        rows,
        title=title,
        total={"fuel": tr("合计", "Total"), "tco2": total},
    )


def _electricity_table(key: str, activity: Activity, lang: str) -> Table:
    tr = translator(lang)
    e = activity.electricity
    rows = [
        {
            "side": tr("受入", "received"),
            "kind": KIND_NAMES[r.kind][0 if lang == "zh" else 1],
            "kwh": r.kwh,
        }
        for r in e.received
    ]
    rows += [
        {
            "side": tr("送出", "sent"),
            "kind": KIND_NAMES[s.kind][0 if lang == "zh" else 1],
            "kwh": s.kwh,
        }
        for s in e.sent
    ]
    return Table(
        key,
        [
            Column("side", tr("方向", "Direction")),
            Column("kind", tr("电力类别", "Kind")),
            Column("kwh", tr("电量 kWh", "Electricity kWh"), "num0"),
        ],
        rows,
        title=tr("电力受入与送出（按类别）", "Electricity received and sent, by kind"),
    )


def _heat_table(key: str, activity: Activity, lang: str) -> Table:
    tr = translator(lang)
    rows = [
        {
            "side": tr("受入", "received"),
            "kind": HEAT_NAMES[h.kind][0 if lang == "zh" else 1],
            "gj": h.gj,
            "factor": h.factor,
        }
        for h in activity.heat.received
    ] + [
        {
            "side": tr("送出", "sent"),
            "kind": HEAT_NAMES[h.kind][0 if lang == "zh" else 1],
            "gj": h.gj,
            "factor": h.factor,
        }
        for h in activity.heat.sent
    ]
    return Table(
        key,
        [
            Column("side", tr("方向", "Direction")),
            Column("kind", tr("热力类别", "Kind")),
            Column("gj", tr("热量 GJ", "Heat GJ"), "num1"),
            Column("factor", tr("实测因子 tCO2/GJ", "Measured factor tCO2/GJ"), "num4"),
        ],
        rows,
        title=tr("热力受入与送出（按类别）", "Heat received and sent, by kind"),
        note=tr(
            "未给实测因子的化石能源热力按缺省值 0.11 tCO2/GJ（附件4 二（二）3②）；非化石能源热力为 0。",
            "Fossil heat without a measured factor takes the default 0.11 tCO2/GJ (Annex 4 "
            "二（二）3②); non-fossil heat is 0.",
        ),
    )


def _process_table(key: str, activity: Activity, inv: Inventory, lang: str) -> Table:
    tr = translator(lang)
    lines = _lines(inv, "process")
    paired = len(lines) == len(activity.process)
    rows = [
        {
            "product": p.product,
            "amount": p.amount,
            "unit": p.unit,
            "factor": p.factor if p.factor is not None else p.factor_id,
            "tco2": lines[k].result if paired else None,
        }
        for k, p in enumerate(activity.process)
    ]
    return Table(
        key,
        [
            Column("product", tr("产品", "Product")),
            Column("amount", tr("产量", "Output"), "num2"),
            Column("unit", tr("单位", "Unit")),
            Column("factor", tr("排放因子 tCO2/单位", "Factor tCO2/unit"), "num4"),
            Column("tco2", tr("排放量 tCO2", "Emissions tCO2"), "num2"),
        ],
        rows,
        title=tr("工业生产过程（按产品）", "Industrial processes, by product"),
        total={"product": tr("合计", "Total"), "tco2": inv.emissions.get("process", 0.0)},
    )


def _sources_table(key: str, result: AccountingResult, lang: str) -> Table:
    tr = translator(lang)
    return Table(
        key,
        [
            Column("owner", tr("所属", "Owner")),
            Column("name", tr("计量品种", "Carrier")),
            Column("value", tr("计量值", "Metered"), "num1"),
            Column("unit", tr("单位", "Unit")),
            Column("becomes", tr("计入", "Becomes")),
            Column("measured", tr("实测", "Measured"), "pct1"),
            Column("estimated", tr("估算", "Estimated"), "pct1"),
            Column("missing", tr("缺失", "Missing"), "pct1"),
            Column("note", tr("说明", "Note")),
        ],
        [
            {
                "owner": s.owner,
                "name": s.name_zh if lang == "zh" else s.carrier,
                "value": s.value,
                "unit": s.unit,
                "becomes": s.becomes,
                "measured": s.measured_share,
                "estimated": s.estimated_share,
                "missing": s.missing_share,
                "note": s.note,
            }
            for s in result.sources
        ],
        title=tr("活动数据来源（计量）与数据质量", "Activity sources (metering) and data quality"),
    )


def _supplement_rows(result: AccountingResult) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "document": s.source_document,
            "by": s.entered_by,
            "at": from_us(s.entered_at).isoformat(timespec="seconds"),
        }
        for s in result.supplements
    ]


def _month_table(key: str, months: Sequence[AccountingResult], lang: str) -> Table:
    tr = translator(lang)
    rows = []
    for r in months:
        inv = r.inventory
        rows.append(
            {
                "month": f"{inv.year}-{r.month:02d}",
                "fuel": inv.emissions["fuel"] + inv.emissions["bunker"],
                "electricity": inv.emissions["electricity"],
                "heat": inv.emissions["heat"],
                "process": inv.emissions["process"] + inv.emissions["conversion"],
                "total": inv.emissions["total"],
                "energy": inv.energy_tce,
                "intensity": inv.intensity_tco2_per_tce,
            }
        )
    return Table(
        key,
        [
            Column("month", tr("月份", "Month")),
            Column("fuel", tr("燃料燃烧 tCO2", "Fuels tCO2"), "num1"),
            Column("electricity", tr("电力 tCO2", "Electricity tCO2"), "num1"),
            Column("heat", tr("热力 tCO2", "Heat tCO2"), "num1"),
            Column("process", tr("加工转换与过程 tCO2", "Conversion & process tCO2"), "num1"),
            Column("total", tr("合计 tCO2", "Total tCO2"), "num1"),
            Column("energy", tr("综合能源消费量 tce", "Energy tce"), "num1"),
            Column("intensity", tr("单位能耗碳排放 tCO2/tce", "tCO2/tce"), "num4"),
        ],
        rows,
        title=tr("分月核算（各月按当年因子）", "By month (factors of the year)"),
        note=tr(
            "附件4 规定按年核算；分月结果用于跟踪，年度结果以上表为准。",
            "Annex 4 defines an annual account; the months are for tracking.",
        ),
    )


def options_text(result: AccountingResult, lang: str) -> str:
    """Which version of the park's options a result used, and what it overrode."""
    used = result.used
    if used is None:
        return "调用方直接给定" if lang == "zh" else "given by the caller"
    changed = ", ".join(f"{k}={v}" for k, v in used.overrides.items())
    if lang == "zh":
        return f"园区选项第 {used.base.version} 版" + (f"；本次改用 {changed}" if changed else "")
    return f"park options version {used.base.version}" + (
        f"; overridden: {changed}" if changed else ""
    )


def park_report(
    result: AccountingResult,
    *,
    months: Sequence[AccountingResult] = (),
    core: IndicatorResult | None = None,
    lang: str = "zh",
) -> Report:
    """The park annual carbon accounting report (附件4 structure)."""
    tr = translator(lang)
    inv = result.inventory
    act = result.activity
    em = inv.emissions
    total = em["total"]
    summary = KeyValues(
        [
            (tr("园区", "Park"), inv.name, "text"),
            (tr("省份", "Province"), inv.province, "text"),
            (
                tr("核算年度", "Year"),
                str(inv.year) + ("" if result.month is None else f"-{result.month:02d}"),
                "text",
            ),
            (
                tr("核算边界", "Boundary"),
                tr(
                    "园区范围内能源活动与工业生产过程的二氧化碳排放（仅 CO2）",
                    "CO2 from energy activities and industrial processes inside the park",
                ),
                "text",
            ),
            (
                tr("核算方法", "Method"),
                "发改环资〔2025〕910号 附件4《零碳园区碳排放核算方法（试行）》",
                "text",
            ),
            (tr("E园区 tCO2", "E_park tCO2"), total, "num1"),
            (tr("E园区 万tCO2", "E_park 10^4 tCO2"), total / 1e4, "num4"),
            (tr("E能源活动 tCO2", "E_energy tCO2"), total - em["process"], "num1"),
            (tr("E工业过程 tCO2", "E_process tCO2"), em["process"], "num1"),
            (tr("综合能源消费量 tce", "Energy consumption tce"), inv.energy_tce, "num1"),
            (
                tr("电力折标准煤", "Electricity conversion"),
                inv.options.as_dict()["electricity_conversion_zh"]
                if lang == "zh"
                else inv.options.electricity_conversion,
                "text",
            ),
            (
                tr("单位能耗碳排放 tCO2/tce", "Carbon per energy tCO2/tce"),
                inv.intensity_tco2_per_tce,
                "num4",
            ),
            (tr("核算选项", "Options"), options_text(result, lang), "text"),
            (
                tr("核算结果编号", "Result id"),
                "—" if result.record is None else f"#{result.record.id}",
                "text",
            ),
        ],
        title=tr("核算结果汇总", "Summary"),
    )
    head: list[Any] = [summary]
    if core is not None:
        head.append(
            KeyValues(
                [
                    (
                        tr("核心指标目标值", "Core target"),
                        core.target.text() if core.target else "—",
                        "text",
                    ),
                    (tr("评价结论", "Status"), status_word(core.status, lang), "text"),
                    (
                        tr("说明", "Reason"),
                        core.reason_zh if lang == "zh" else core.reason_en,
                        "text",
                    ),
                ],
                title=tr("核心指标评价", "Core indicator"),
            )
        )
    term_rows = [
        {
            "term": _term(t, lang),
            "key": t,
            "tco2": em.get(t, 0.0),
            "share": (em.get(t, 0.0) / total) if total else None,
        }
        for t in ("fuel", "conversion", "electricity", "heat", "process", "bunker")
    ]
    head += [
        Table(
            "terms",
            [
                Column("term", tr("排放项", "Term")),
                # the code of each term, for readers of the English edition and of the API
                *([Column("key", "Code")] if lang == "en" else []),
                Column("tco2", "tCO2", "num1"),
                Column("share", tr("占比", "Share"), "pct1"),
            ],
            term_rows,
            title=tr("排放构成", "Emissions by term"),
            total={"term": tr("E园区 合计", "E_park total"), "tco2": total},
            note=tr(
                "国际航空航海燃料单列并计入总量（附件4 二（一））；碳捕集与碳信用不在核算方法之内，单列不扣减。",
                "International bunker fuels are listed separately and included (Annex 4 二（一）); "
                "CCUS and credits are outside the method: listed, never deducted.",
            ),
        ),
        Chart(
            "terms",
            "term",
            ["tco2"],
            tr("排放构成（tCO2）", "Emissions by term (tCO2)"),
            y_title="tCO2",
        ),
    ]
    head += [Paragraph(n, "note") for n in inv.notes]
    sections = [Section(tr("汇总", "Summary"), head, sheet=tr("汇总", "Summary"))]
    if months:
        sections.append(
            Section(
                tr("分月核算", "By month"),
                [
                    _month_table("months", months, lang),
                    Chart(
                        "months",
                        "month",
                        ["fuel", "electricity", "heat", "process"],
                        tr("分月排放（tCO2）", "Emissions by month (tCO2)"),
                        stacked=True,
                        y_title="tCO2",
                    ),
                ],
                sheet=tr("分月", "By month"),
            )
        )
    fuel_rows = _fuel_rows(act, inv, ("terminal", "power", "heat"), "fuel", lang)
    feedstock = [f for f in act.fuels if f.use == "feedstock"]
    energy_blocks: list[Any] = [
        Paragraph(
            tr(
                "1. 化石能源用作燃料（按能源品种与活动类型，附件4 二（二）1）",
                "1. Fossil fuels used as fuel, by fuel and activity type (Annex 4 二（二）1)",
            )
        ),
        _fuel_table("fuels", fuel_rows, lang, tr("化石能源用作燃料", "Fuels burned"), em["fuel"]),
    ]
    if feedstock:
        energy_blocks.append(
            Paragraph(
                tr(
                    f"用作原料的能源 {len(feedstock)} 项，不计入燃料燃烧排放。",
                    f"{len(feedstock)} fuel item(s) used as feedstock: not combustion.",
                ),
                "note",
            )
        )
    conv_rows = [
        {
            "side": tr("投入", "input"),
            "fuel": FUELS[i.fuel].name_zh if lang == "zh" else FUELS[i.fuel].name_en,
            "amount": i.amount,
            "unit": i.unit,
        }
        for i in act.conversion.inputs
    ] + [
        {
            "side": tr("产出", "output"),
            "fuel": FUELS[i.fuel].name_zh if lang == "zh" else FUELS[i.fuel].name_en,
            "amount": i.amount,
            "unit": i.unit,
        }
        for i in act.conversion.outputs
    ]
    energy_blocks += [
        Paragraph(
            tr(
                "2. 能源加工转换（碳平衡，氧化率 100%，附件4 二（二）2）",
                "2. Energy conversion (carbon balance, 100 % oxidation, Annex 4 二（二）2)",
            )
        ),
        Table(
            "conversion",
            [
                Column("side", tr("投入/产出", "Side")),
                Column("fuel", tr("能源品种", "Fuel")),
                Column("amount", tr("数量", "Amount"), "num2"),
                Column("unit", tr("单位", "Unit")),
            ],
            conv_rows,
            total={"side": tr("E加工转换 tCO2", "E_conversion tCO2"), "amount": em["conversion"]},
        ),
        Paragraph(
            tr(
                "3. 间接排放：电力、热力净受入（附件4 二（二）3）",
                "3. Indirect emissions: net electricity and heat (Annex 4 二（二）3)",
            )
        ),
        _electricity_table("electricity", act, lang),
        KeyValues([(tr("E电 tCO2", "E_electricity tCO2"), em["electricity"], "num1")]),
        _heat_table("heat", act, lang),
        KeyValues([(tr("E热 tCO2", "E_heat tCO2"), em["heat"], "num1")]),
    ]
    sections.append(
        Section(
            tr("一、能源活动排放", "1. Energy activities"),
            energy_blocks,
            sheet=tr("能源活动", "Energy activities"),
        )
    )
    sections.append(
        Section(
            tr("二、工业生产过程排放", "2. Industrial processes"),
            [
                _process_table("process", act, inv, lang),
                Paragraph(
                    tr(
                        "E工业过程 = Σ 产品产量 × 排放因子（附件4 三（二））",
                        "E_process = Σ output × factor (Annex 4 三（二）)",
                    ),
                    "note",
                ),
            ],
            sheet=tr("工业过程", "Processes"),
        )
    )
    bunker_rows = _fuel_rows(act, inv, ("bunker",), "bunker", lang)
    offsets = act.offsets
    sections.append(
        Section(
            tr(
                "三、国际航空航海燃料（单列）与碳抵消（单列，不扣减）",
                "3. Bunker fuels (listed) and offsets (beside, not deducted)",
            ),
            [
                _fuel_table(
                    "bunker",
                    bunker_rows,
                    lang,
                    tr("国际航空航海燃料", "International bunker fuels"),
                    em["bunker"],
                ),
                Table(
                    "offsets",
                    [Column("item", tr("项目", "Item")), Column("tco2", "tCO2", "num1")],
                    [
                        {"item": tr("碳捕集利用与封存（CCUS）", "CCUS"), "tco2": offsets.ccus_tco2},
                        {"item": tr("核证自愿减排量（CCER）", "CCER"), "tco2": offsets.ccer_tco2},
                    ],
                    title=tr("碳抵消（不从 E园区 中扣减）", "Offsets (not deducted from E_park)"),
                ),
            ],
            sheet=tr("单列项", "Listed separately"),
        )
    )
    green = result.green
    src_blocks: list[Any] = [_sources_table("sources", result, lang)]
    if green is not None:
        src_blocks.append(
            KeyValues(
                [
                    (tr("绿证核销电量 kWh", "Certificate-backed kWh"), green.certified_kwh, "num0"),
                    (
                        tr("无证绿电交易电量 kWh", "Uncertified green trades kWh"),
                        green.contracted_uncertified_kwh,
                        "num0",
                    ),
                    (
                        tr("计入的绿证绿电 kWh", "Counted kWh"),
                        act.electricity.received_kwh("green_certified"),
                        "num0",
                    ),
                    (tr("绿证数量", "Certificates"), len(green.cert_ids), "int"),
                ],
                title=tr("绿证与绿电交易", "绿证 and green-power trades"),
            )
        )
    sup = _supplement_rows(result)
    if sup:
        src_blocks.append(
            Table(
                "supplements",
                [
                    Column("id", "#", "int"),
                    Column("document", tr("来源文件", "Source document")),
                    Column("by", tr("录入人", "Entered by")),
                    Column("at", tr("录入时间", "Entered at")),
                ],
                sup,
                title=tr("统计补充数据", "Activity supplements"),
            )
        )
    sections.append(
        Section(
            tr("四、活动数据来源与数据质量", "4. Activity data sources and quality"),
            src_blocks,
            sheet=tr("数据来源", "Sources"),
        )
    )
    sections.append(
        Section(
            tr("五、计算过程", "5. Computation"),
            [_explain_table("explain", inv, lang)],
            sheet=tr("计算过程", "Computation"),
        )
    )
    sections.append(
        Section(
            tr("六、排放因子与折标系数", "6. Factors"),
            [factor_table("factors", [f.brief() for f in inv.factors], lang)],
            sheet=tr("因子", "Factors"),
        )
    )
    title_year = str(inv.year) + ("" if result.month is None else f"-{result.month:02d}")
    return localise(
        Report(
            title=tr(
                f"{inv.name} {title_year} 年度碳排放核算报告",
                f"{inv.name} carbon accounting report {title_year}",
            ),
            subtitle=tr(
                "依据：发改环资〔2025〕910号 附件4《零碳园区碳排放核算方法（试行）》",
                "Method: 910号 Annex 4, zero-carbon park carbon accounting (trial)",
            ),
            lang=lang,
            meta=[
                (tr("园区", "Park"), inv.name),
                (tr("省份", "Province"), inv.province),
                (tr("核算期", "Period"), title_year),
                (
                    tr("核算结果编号", "Result id"),
                    "—" if result.record is None else f"#{result.record.id}",
                ),
            ],
            sections=sections,
            footer=footer(lang),
            synthetic=synthetic_park(inv.name),
        )
    )


def ghg_section(ghg: GhgResult, lang: str) -> Section:
    """Section 8 of the enterprise report: every gas (tonnes, GWP record, tCO2e) and the sector
    annex (each source by its sector method and clause, the year and its missing months), with
    the national market's boundary apart (lingtan.ghg, docs/ghg.md)."""
    tr = translator(lang)
    per_gas = ghg.per_gas()
    gas_rows = [] if per_gas is None else per_gas.breakdown(ghg.report)
    blocks: list[Any] = [
        KeyValues(
            [
                (tr("GWP 取值", "GWP set"), ghg.report, "text"),
                (
                    tr("全国碳市场边界排放量 (tCO2e)", "National market boundary (tCO2e)"),
                    ghg.market().value,
                    "num1",
                ),
                (tr("覆盖气体", "Gases covered"), ", ".join(ghg.market_gases), "text"),
                (
                    tr("直接排放量，全部气体 (tCO2e)", "Direct, all gases (tCO2e)"),
                    ghg.direct().value,
                    "num1",
                ),
            ]
        ),
        Table(
            "ghg_gases",
            [
                Column("gas", tr("气体", "Gas")),
                Column("tonnes", tr("排放量 (t)", "Emissions (t)"), "num4"),
                Column("gwp", "GWP", "num0"),
                Column("gwp_record", tr("GWP 记录", "GWP record")),
                Column("tco2e", "tCO2e", "num1"),
            ],
            gas_rows,
            title=tr("分气体排放量", "Emissions by gas"),
            note=""
            if per_gas is not None
            else tr("有缺失月份，全年未计", "months missing: no year"),
        ),
        Table(
            "ghg_sector_annex",
            [
                Column("id", tr("排放源", "Source")),
                Column("method", tr("方法", "Method")),
                Column("clause", tr("标准条款", "Clause")),
                Column("year", tr("全年 (tCO2e)", "Year (tCO2e)"), "num1"),
                Column("missing", tr("缺失月份", "Missing months")),
            ],
            [
                {
                    "id": s.id,
                    "method": s.method,
                    "clause": s.clause,
                    "year": s.figure(ghg.report).value,
                    "missing": ",".join(map(str, s.figure(ghg.report).missing)) or "—",
                }
                for s in ghg.sources
            ],
            title=tr("行业附表", "Sector annex"),
        ),
    ]
    if ghg.unverified():
        blocks.append(
            Paragraph(
                tr("使用了待核实的缺省值：", "Unverified defaults used: ")
                + ", ".join(ghg.unverified()),
                "warn",
            )
        )
    return Section(
        tr("8 全部温室气体与行业附表", "8 All gases and sector annex"),
        blocks,
        sheet=tr("温室气体与行业附表", "Gases and sector annex"),
    )


def enterprise_report(
    result: AccountingResult,
    *,
    entity: dict[str, Any],
    boundary_points: Sequence[dict[str, Any]],
    sites: Sequence[dict[str, Any]],
    core: IndicatorResult | None = None,
    lang: str = "zh",
    ghg: GhgResult | None = None,
) -> Report:
    """The enterprise GHG inventory report (GB/T 32150-2015 reporting structure)."""
    tr = translator(lang)
    inv = result.inventory
    act = result.activity
    em = inv.emissions
    e = act.electricity
    period = str(inv.year) + ("" if result.month is None else f"-{result.month:02d}")
    entity_kv = KeyValues(
        [
            (tr("报告主体名称", "Reporting entity"), entity.get("name"), "text"),
            (
                tr("统一社会信用代码", "Unified social credit code"),
                entity.get("uscc") or "—",
                "text",
            ),
            (
                tr("行业代码（GB/T 4754）", "Industry (GB/T 4754)"),
                entity.get("industry") or "—",
                "text",
            ),
            (tr("企业代码", "Enterprise code"), entity.get("code"), "text"),
            (tr("所在园区", "Park"), entity.get("park"), "text"),
            (tr("报告年度", "Reporting period"), period, "text"),
            (
                tr("核算与报告依据", "Standard"),
                "GB/T 32150-2015《工业企业温室气体排放核算和报告通则》",
                "text",
            ),
            (tr("核算选项", "Options"), options_text(result, lang), "text"),
            (
                tr("核算结果编号", "Result id"),
                "—" if result.record is None else f"#{result.record.id}",
                "text",
            ),
        ],
        title=tr("报告主体基本信息", "Reporting entity"),
    )
    boundary: list[Any] = [
        Paragraph(
            tr(
                "核算边界为报告主体的生产系统（主要生产、辅助生产和附属生产系统），以其边界计量点计量的能源活动为准。",
                "The boundary is the entity's production system (main, auxiliary, attached), as metered "
                "by its boundary points.",
            )
        ),
        Table(
            "sites",
            [
                Column("code", tr("建筑/厂区代码", "Site")),
                Column("name", tr("名称", "Name")),
                Column("area", tr("建筑面积 m²", "Floor area m²"), "num0"),
                Column("use", tr("用途", "Use")),
                Column("labels", tr("建筑能效标识", "Energy-performance labels")),
            ],
            list(sites),
            title=tr("厂区与建筑", "Sites"),
        ),
        Table(
            "points",
            [
                Column("code", tr("计量点", "Point")),
                Column("name", tr("名称", "Name")),
                Column("carrier", tr("能源品种", "Carrier")),
                Column("unit", tr("单位", "Unit")),
                Column("level", tr("计量级别", "Level"), "int"),
            ],
            list(boundary_points),
            title=tr("边界计量点", "Boundary metering points"),
        ),
    ]
    source_rows = [
        {
            "source": tr("化石燃料燃烧", "fuel combustion"),
            "present": bool(act.fuels),
            "tco2": em["fuel"] + em["bunker"],
        },
        {
            "source": tr("能源加工转换", "energy conversion"),
            "present": bool(act.conversion.inputs),
            "tco2": em["conversion"],
        },
        {
            "source": tr("工业生产过程", "industrial processes"),
            "present": bool(act.process),
            "tco2": em["process"],
        },
        {
            "source": tr("购入电力", "purchased electricity"),
            "present": e.received_kwh("grid") > 0,
            "tco2": inv.scope2_location_tco2,
        },
        {
            "source": tr("购入热力", "purchased heat"),
            "present": bool(act.heat.received),
            "tco2": None,
        },
        {"source": tr("输出电力", "exported electricity"), "present": bool(e.sent), "tco2": None},
        {"source": tr("输出热力", "exported heat"), "present": bool(act.heat.sent), "tco2": None},
    ]
    for r in source_rows:
        r["present"] = tr("有", "yes") if r["present"] else tr("无", "no")
    sources = Table(
        "emission_sources",
        [
            Column("source", tr("排放源类别", "Source category")),
            Column("present", tr("是否存在", "Present")),
            Column("tco2", "tCO2", "num1"),
        ],
        source_rows,
        title=tr("排放源识别", "Emission sources identified"),
        note=tr(
            "温室气体种类：本报告核算 CO2；CH4、N2O 等其他气体与生物质燃烧排放暂未核算。",
            "Gases: CO2 is accounted; CH4, N2O and the other gases and biomass combustion are not yet.",
        ),
    )
    activity_blocks: list[Any] = [
        _fuel_table(
            "fuels",
            _fuel_rows(act, inv, ("terminal", "power", "heat"), "fuel", lang),
            lang,
            tr("化石燃料燃烧", "Fuel combustion"),
            em["fuel"],
        ),
        _electricity_table("electricity", act, lang),
        _heat_table("heat", act, lang),
        _process_table("process", act, inv, lang),
        _sources_table("sources", result, lang),
    ]
    emissions = Table(
        "emissions",
        [Column("item", tr("项目", "Item")), Column("tco2", "tCO2", "num2")],
        [
            {"item": tr("化石燃料燃烧排放", "Fuel combustion"), "tco2": em["fuel"] + em["bunker"]},
            {"item": tr("能源加工转换排放", "Energy conversion"), "tco2": em["conversion"]},
            {"item": tr("工业生产过程排放", "Industrial processes"), "tco2": em["process"]},
            {
                "item": tr("净购入电力排放（购入 − 输出）", "Net purchased electricity"),
                "tco2": em["electricity"],
            },
            {"item": tr("净购入热力排放（购入 − 输出）", "Net purchased heat"), "tco2": em["heat"]},
        ],
        title=tr("排放量汇总（CO2）", "Emissions (CO2)"),
        total={"item": tr("温室气体排放总量（CO2）", "Total (CO2)"), "tco2": em["total"]},
    )
    scope2 = Table(
        "scope2",
        [
            Column("item", tr("项目", "Item")),
            Column("value", tr("数值", "Value"), "num2"),
            Column("unit", tr("单位", "Unit")),
        ],
        [
            {
                "item": tr("范围二（基于位置）", "Scope 2 location-based"),
                "value": inv.scope2_location_tco2,
                "unit": "tCO2",
            },
            {
                "item": tr("范围二（基于市场）", "Scope 2 market-based"),
                "value": inv.scope2_market_tco2,
                "unit": "tCO2",
            },
            {
                "item": tr("排放总量（范围二基于位置）", "Total with location-based scope 2"),
                "value": em["total"],
                "unit": "tCO2",
            },
            {
                "item": tr("排放总量（范围二基于市场）", "Total with market-based scope 2"),
                "value": inv.total_market_tco2,
                "unit": "tCO2",
            },
            {
                "item": tr("综合能源消费量", "Energy consumption"),
                "value": inv.energy_tce,
                "unit": "tce",
            },
        ],
        title=tr(
            "范围二排放（位置法与市场法并列）", "Scope 2, location- and market-based side by side"
        ),
        note=tr(
            "位置法：省级（无则区域、全国）电网平均排放因子；市场法：绿证/绿电为 0，其余按全国不含市场化交易非化石能源电量的排放因子。"
            "排放总量 = 化石燃料燃烧 + 能源加工转换 + 工业生产过程 + 购入电力（位置法或市场法）+ 购入热力 − 输出电力 − 输出热力。",
            "Location-based: provincial (else regional, national) grid average; market-based: "
            "绿证/green trades at 0, the rest at the national factor excluding market-traded "
            "non-fossil electricity. Total = combustion + conversion + processes + purchased "
            "electricity (location- or market-based) + purchased heat − exported electricity − "
            "exported heat.",
        ),
    )
    em_blocks: list[Any] = [
        emissions,
        Chart(
            "emissions",
            "item",
            ["tco2"],
            tr("排放构成（tCO2）", "Emissions (tCO2)"),
            y_title="tCO2",
        ),
        scope2,
    ]
    if core is not None and core.value is not None:
        em_blocks.append(
            KeyValues(
                [
                    (
                        tr(
                            "附：按附件4 方法的单位能耗碳排放 tCO2/tce",
                            "Annex: carbon per energy on the Annex 4 basis",
                        ),
                        core.value,
                        "num4",
                    )
                ],
            )
        )
    q_rows = [
        {
            "name": s.name_zh if lang == "zh" else s.carrier,
            "measured": s.measured_share,
            "estimated": s.estimated_share,
            "missing": s.missing_share,
        }
        for s in result.sources
    ]
    quality_blocks: list[Any] = [
        Table(
            "quality",
            [
                Column("name", tr("活动数据", "Activity")),
                Column("measured", tr("实测", "Measured"), "pct1"),
                Column("estimated", tr("估算", "Estimated"), "pct1"),
                Column("missing", tr("缺失", "Missing"), "pct1"),
            ],
            q_rows,
            title=tr(
                "活动数据质量（实测/估算/缺失）",
                "Activity data quality (measured/estimated/missing)",
            ),
        ),
    ]
    if inv.unverified_factor_ids:
        quality_blocks.append(
            Paragraph(
                tr("使用了待核实的因子：", "Unverified factors used: ")
                + ", ".join(inv.unverified_factor_ids),
                "warn",
            )
        )
    quality_blocks += [Paragraph(n, "note") for n in inv.notes]
    sup = _supplement_rows(result)
    if sup:
        quality_blocks.append(
            Table(
                "supplements",
                [
                    Column("id", "#", "int"),
                    Column("document", tr("来源文件", "Source document")),
                    Column("by", tr("录入人", "Entered by")),
                    Column("at", tr("录入时间", "Entered at")),
                ],
                sup,
                title=tr("统计补充数据", "Activity supplements"),
            )
        )
    quality_blocks.append(_explain_table("explain", inv, lang))
    return localise(
        Report(
            title=tr(
                f"{entity.get('name')} {period} 年度温室气体排放报告",
                f"{entity.get('name')} greenhouse gas inventory {period}",
            ),
            subtitle=tr(
                "依据 GB/T 32150-2015《工业企业温室气体排放核算和报告通则》",
                "Following GB/T 32150-2015 (industrial enterprises: GHG accounting and reporting)",
            ),
            lang=lang,
            meta=[
                (tr("报告主体", "Entity"), str(entity.get("name"))),
                (tr("统一社会信用代码", "USCC"), str(entity.get("uscc") or "—")),
                (tr("报告年度", "Period"), period),
            ],
            sections=[
                Section(tr("1 报告主体", "1 Entity"), [entity_kv], sheet=tr("报告主体", "Entity")),
                Section(tr("2 核算边界", "2 Boundary"), boundary, sheet=tr("核算边界", "Boundary")),
                Section(tr("3 排放源", "3 Sources"), [sources], sheet=tr("排放源", "Sources")),
                Section(
                    tr("4 活动数据", "4 Activity data"),
                    activity_blocks,
                    sheet=tr("活动数据", "Activity data"),
                ),
                Section(
                    tr("5 排放因子", "5 Factors"),
                    [factor_table("factors", [f.brief() for f in inv.factors], lang)],
                    sheet=tr("排放因子", "Factors"),
                ),
                Section(tr("6 排放量", "6 Emissions"), em_blocks, sheet=tr("排放量", "Emissions")),
                Section(
                    tr("7 数据质量与计算过程", "7 Data quality and computation"),
                    quality_blocks,
                    sheet=tr("数据质量", "Data quality"),
                ),
                *([] if ghg is None else [ghg_section(ghg, lang)]),
            ],
            footer=footer(lang),
            synthetic=synthetic_park(str(entity.get("park", ""))),
        )
    )
