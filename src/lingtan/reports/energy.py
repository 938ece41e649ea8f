"""Monthly energy statistics report (能源统计月报 / 年报) from :func:`energy_statistics`."""

from __future__ import annotations

from typing import Any

from lingtan.indicators.energy import EnergyStatistics, conversion_label
from lingtan.reports.common import factor_table, footer, synthetic_park, translator
from lingtan.reports.localise import localise
from lingtan.reports.model import Chart, Column, KeyValues, Paragraph, Report, Section, Table


def energy_report(stats: EnergyStatistics, *, lang: str = "zh") -> Report:
    """The energy statistics of one scope and period as a report."""
    tr = translator(lang)
    conv = conversion_label(stats.options, lang)
    e = stats.electricity
    q = stats.quality
    summary = KeyValues(
        [
            (
                tr("综合能源消费量", "Comprehensive energy consumption"),
                stats.total_tce,
                "num1",
            ),
            (tr("单位", "Unit"), "tce", "text"),
            (tr("电力折标准煤", "Electricity to standard coal"), conv, "text"),
            (
                tr("其中：净受入（受入−输出）", "of which net receipt (received − sent)"),
                stats.net_receipt_tce,
                "num1",
            ),
            (
                tr("其中：厂区光伏发电", "of which on-site PV generation"),
                stats.onsite_renewable_tce,
                "num1",
            ),
            (
                tr(
                    "用电量 kWh（电网＋直供＋光伏−上网）",
                    "Electricity used kWh (grid + direct + PV − export)",
                ),
                e.consumption,
                "num0",
            ),
            (tr("电网购电 kWh", "Grid electricity kWh"), e.grid, "num0"),
            (tr("绿电直连 kWh", "Direct green supply kWh"), e.direct_green, "num0"),
            (
                tr("光伏发电 / 上网 / 自发自用 kWh", "PV generated / exported / self-consumed kWh"),
                f"{e.pv_generated:,.0f} / {e.exported:,.0f} / {e.pv_self_consumed:,.0f}",
                "text",
            ),
            (
                tr("绿证/绿电交易电量 kWh", "Certificate-backed electricity kWh"),
                e.green_certified,
                "num0",
            ),
            (tr("绿色电力占比", "Green electricity share"), e.green_share, "pct1"),
            (tr("清洁能源消费占比", "Clean energy share"), stats.clean.share, "pct1"),
            (
                tr("数据质量：实测 / 估算 / 缺失", "Data quality: measured / estimated / missing"),
                f"{q.measured:.1%} / {q.estimated:.1%} / {q.missing:.1%}",
                "text",
            ),
        ],
        title=tr("概要", "Summary"),
    )
    blocks: list[Any] = [summary]
    blocks += [Paragraph(line, "note") for line in stats.options.describe(lang)]
    blocks += [Paragraph(n, "note") for n in stats.notes]

    carrier_rows = [
        {
            "name": c.name_zh if lang == "zh" else c.name_en,
            "carrier": c.carrier,
            "value": c.value,
            "unit": c.unit,
            "tce": c.tce,
            "factor": c.factor_id or "",
            "measured": c.quality.measured,
            "estimated": c.quality.estimated,
            "missing": c.quality.missing,
            "points": c.points,
        }
        for c in stats.carriers
    ]
    carriers = Table(
        "carriers",
        [
            Column("name", tr("能源品种", "Carrier")),
            # the carrier's code, for readers of the English edition and of the API
            *([Column("carrier", "Code")] if lang == "en" else []),
            Column("value", tr("实物量", "Amount"), "num1"),
            Column("unit", tr("单位", "Unit")),
            Column("tce", tr("折标准煤 tce", "Standard coal tce"), "num2"),
            Column("factor", tr("折标系数记录", "Coefficient record")),
            Column("measured", tr("实测", "Measured"), "pct1"),
            Column("estimated", tr("估算", "Estimated"), "pct1"),
            Column("missing", tr("缺失", "Missing"), "pct1"),
            Column("points", tr("计量点数", "Points"), "int"),
        ],
        carrier_rows,
        total={"name": tr("合计", "Total"), "tce": stats.total_tce},
        note=tr(
            "上网电量折标为负（附件4 二（二）3①）；厂区光伏发电计入综合能源消费量（园区自产自用）；"
            "储能充放电、电动汽车充电、水不计入。",
            "Exported electricity counts negative (Annex 4 二（二）3①); on-site PV generation is "
            "counted (energy the park produces and uses); storage, EV charging and water are not.",
        ),
    )

    # months × carriers (tce, and physical)
    keys = [c.carrier for c in stats.carriers if c.tce is not None]
    names = {c.carrier: (c.name_zh if lang == "zh" else c.name_en) for c in stats.carriers}
    month_rows = []
    phys_rows = []
    for m in stats.months:
        row: dict[str, Any] = {
            "month": f"{stats.period.year}-{m.month:02d}",
            "tce": m.tce,
            "kwh": m.electricity_kwh,
        }
        prow: dict[str, Any] = {"month": row["month"]}
        for carrier, (value, _unit, tce) in m.carriers.items():
            if carrier in keys:
                row[f"t_{carrier}"] = tce
            prow[f"p_{carrier}"] = value
        month_rows.append(row)
        phys_rows.append(prow)
    by_month = Table(
        "months_tce",
        [Column("month", tr("月份", "Month"))]
        + [Column(f"t_{k}", f"{names[k]} tce", "num1") for k in keys]
        + [
            Column("tce", tr("合计 tce", "Total tce"), "num1"),
            Column("kwh", tr("用电量 kWh", "Electricity used kWh"), "num0"),
        ],
        month_rows,
        title=tr("分月综合能源消费（折标准煤）", "Energy consumption by month (standard coal)"),
        total={
            "month": tr("合计", "Total"),
            "tce": stats.total_tce,
            "kwh": stats.electricity.consumption,
        }
        | {f"t_{c.carrier}": c.tce for c in stats.carriers if c.tce is not None},
    )
    phys_keys = [
        c.carrier if c.unit == _family_unit(c.carrier) else f"{c.carrier}[{c.unit}]"
        for c in stats.carriers
    ]
    units_by_key = dict(zip(phys_keys, (c.unit for c in stats.carriers), strict=True))
    names_by_key = dict(zip(phys_keys, (names[c.carrier] for c in stats.carriers), strict=True))
    physical = Table(
        "months_physical",
        [Column("month", tr("月份", "Month"))]
        + [Column(f"p_{k}", f"{names_by_key[k]} ({units_by_key[k]})", "num0") for k in phys_keys],
        phys_rows,
        title=tr("分月实物量", "Physical amounts by month"),
    )
    month_section = Section(
        tr("分月统计", "By month"),
        [
            by_month,
            Chart(
                "months_tce",
                "month",
                [f"t_{k}" for k in keys],
                tr("分月综合能源消费（tce）", "Energy by month (tce)"),
                stacked=True,
                y_title="tce",
            ),
            physical,
        ],
        sheet=tr("分月", "By month"),
    )

    owners = sorted(stats.owners, key=lambda o: o.tce, reverse=True)
    owner_rows = [
        {
            "rank": n,
            "code": o.code,
            "name": o.name,
            "tce": o.tce,
            "share": o.share,
            "kwh": o.electricity_kwh,
            "pv_tce": o.onsite_renewable_tce,
            "measured": o.quality.measured,
            "water": o.water_m3,
        }
        for n, o in enumerate(owners, start=1)
    ]
    owner_table = Table(
        "owners",
        [
            Column("rank", tr("排名", "Rank"), "int"),
            Column("code", tr("企业代码", "Code")),
            Column("name", tr("企业名称", "Name")),
            Column("tce", tr("综合能源消费量 tce", "Energy tce"), "num1"),
            Column("share", tr("占比", "Share"), "pct1"),
            Column("kwh", tr("用电量 kWh", "Electricity used kWh"), "num0"),
            Column("pv_tce", tr("其中光伏发电 tce", "of which on-site PV tce"), "num1"),
            Column("measured", tr("实测占比", "Measured"), "pct1"),
            Column("water", tr("取水量 m³", "Water m³"), "num0"),
        ],
        owner_rows,
        total={"name": tr("合计", "Total"), "tce": stats.total_tce},
    )
    top = Table(
        "top_consumers",
        [Column("code", tr("企业", "Enterprise")), Column("tce", "tce", "num1")],
        [{"code": o.code, "tce": o.tce} for o in stats.top_consumers(10)],
        title=tr("重点用能单位（前 10）", "Top consumers (10)"),
    )
    owner_section = Section(
        tr("按企业统计与重点用能单位", "By enterprise and top consumers"),
        [
            owner_table,
            top,
            Chart(
                "top_consumers",
                "code",
                ["tce"],
                tr("前 10 用能企业（tce）", "Top 10 consumers (tce)"),
                y_title="tce",
            ),
        ],
        sheet=tr("按企业", "By enterprise"),
    )

    site_table = Table(
        "sites",
        [
            Column("code", tr("建筑代码", "Code")),
            Column("name", tr("建筑名称", "Name")),
            Column("enterprise", tr("所属企业", "Enterprise")),
            Column("area", tr("建筑面积 m²", "Floor area m²"), "num0"),
            Column("tce", "tce", "num1"),
            Column("kwh", tr("用电量 kWh", "Electricity used kWh"), "num0"),
            Column("intensity", tr("单位面积能耗 kgce/m²", "kgce/m²"), "num2"),
        ],
        [
            {
                "code": s.code,
                "name": s.name,
                "enterprise": s.enterprise_code or "—",
                "area": s.floor_area_m2,
                "tce": s.tce,
                "kwh": s.electricity_kwh,
                "intensity": s.kgce_per_m2,
            }
            for s in stats.sites
        ],
    )

    req = stats.coverage_requirement
    coverage = Table(
        "coverage",
        [
            Column("family", tr("能源种类", "Energy")),
            Column("level", tr("计量级别", "Level"), "int"),
            Column("metered", tr("该级计量量", "Metered at level"), "num0"),
            Column("reference", tr("参照量", "Reference"), "num0"),
            Column("unit", tr("单位", "Unit")),
            Column("share", tr("覆盖率", "Coverage"), "pct1"),
            Column("required", tr("要求", "Required"), "pct1"),
            Column("meets", tr("符合", "Meets")),
            Column("points", tr("计量器具数", "Meters"), "int"),
        ],
        [
            {
                "family": c.name_zh if lang == "zh" else c.name_en,
                "level": c.level,
                "metered": c.metered,
                "reference": c.reference,
                "unit": c.unit,
                "share": c.share,
                "required": c.required,
                "meets": "—"
                if c.meets is None
                else (tr("是", "yes") if c.meets else tr("否", "no")),
                "points": c.points,
            }
            for c in stats.coverage
        ],
        note=tr(
            "级别：1 进出用能单位，2 主要次级用能单位，3 主要用能设备。1 级覆盖率 = 1 级计量量 / 边界消费量；"
            "2、3 级 = 该级计量量 / 1 级计量量（按消费量计，GB 17167 以器具数量定义配备率）。",
            "Levels: 1 entry/exit of the unit, 2 main sub-units, 3 main equipment. Level 1 = level-1 "
            "metered / boundary consumption; levels 2, 3 = metered at the level / level-1 metered (by "
            "consumption; GB 17167 defines the rate by number of instruments).",
        ),
    )
    cov_blocks: list[Any] = [coverage]
    if not req.verified:
        cov_blocks.insert(
            0,
            Paragraph(
                tr(
                    f"要求值来自 {req.edition}（可信度 {req.confidence}，未核实）：{req.url_note or req.source}。"
                    "GB 17167-2025 自 2026-02-01 起实施，其表格尚未取得。",
                    f"Required rates from {req.edition} (confidence {req.confidence}, unverified): "
                    f"{req.url_note or req.source}. GB 17167-2025 is in force from 2026-02-01; its "
                    "tables were not retrieved.",
                ),
                "warn",
            ),
        )

    scope = stats.scope_name
    period = stats.period.label
    return localise(
        Report(
            title=tr(f"{scope} 能源统计报表", f"{scope} energy statistics"),
            subtitle=tr(f"统计期：{period}", f"Period: {period}"),
            lang=lang,
            meta=[
                (tr("园区", "Park"), f"{stats.park_name} ({stats.park_code})"),
                (tr("范围", "Scope"), f"{stats.scope_name} ({stats.scope_code})"),
                (tr("统计期", "Period"), f"{stats.period.first} – {stats.period.last}"),
                (tr("折标方法", "Conversion"), f"GB/T 2589-2020, {conv}"),
            ],
            sections=[
                Section(
                    tr("概要与按能源品种", "Summary and by carrier"),
                    [*blocks, carriers],
                    sheet=tr("概要", "Summary"),
                ),
                month_section,
                owner_section,
                Section(
                    tr("按建筑统计", "By building"), [site_table], sheet=tr("按建筑", "By building")
                ),
                Section(
                    tr("能源计量器具配备（GB 17167）", "Metering coverage (GB 17167)"),
                    cov_blocks,
                    sheet=tr("计量覆盖", "Coverage"),
                ),
                Section(
                    tr("折标准煤系数", "Standard-coal coefficients"),
                    [factor_table("factors", [f.brief() for f in stats.factors], lang)],
                    sheet=tr("折标系数", "Coefficients"),
                ),
            ],
            footer=footer(lang),
            synthetic=synthetic_park(stats.park_name),
        )
    )


def _family_unit(carrier: str) -> str:
    from lingtan.indicators.energy import ROLES

    role = ROLES.get(carrier)
    return role.unit if role is not None else ""
