"""Indicator evaluation report with evidence (指标评价报告): every input, record, factor, limit,
target and clause behind each number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lingtan.carbon.inventory import TERM_NAMES
from lingtan.indicators.evaluate import Evaluation, IndicatorResult
from lingtan.indicators.profile_eval import ProfileEvaluation
from lingtan.reports.common import footer, status_word, synthetic_park, translator
from lingtan.reports.localise import localise, wording
from lingtan.reports.model import Chart, Column, KeyValues, Paragraph, Report, Section, Table


def _value_fmt(unit: str) -> str:
    return "pct2" if unit == "1" else "num4"


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.2f} %" if unit == "1" else f"{value:.4f} {unit}"


def _evidence_row(e: Mapping[str, Any], lang: str) -> dict[str, Any]:
    tr = translator(lang)
    w = wording(lang)
    kind = str(e.get("kind", ""))
    if kind == "record":
        category, item = str(e.get("category")), str(e.get("item"))
        return {
            "kind": tr("统计记录", "record"),
            "ref": f"#{e.get('id')}",
            "what": f"{e.get('enterprise')} {e.get('category')}/{e.get('item')} {e.get('period')}"
            if lang == "en"
            else f"{e.get('enterprise')} {w.code(category, 'record')}·"
            f"{w.code(item, 'record') if w.known(item) else item} {e.get('period')}",
            "value": e.get("quantity"),
            "unit": e.get("unit"),
            "source": f"{e.get('source_document')} · {e.get('entered_by')} · {e.get('entered_at')}",
        }
    if kind == "metered":
        q = e.get("quality") or {}
        tce = e.get("tce")
        return {
            "kind": tr("计量数据", "metered"),
            "ref": e.get("carrier") if lang == "en" else "",
            "what": e.get("name_zh"),
            "value": e.get("value"),
            "unit": e.get("unit"),
            "source": tr("实测", "measured")
            + f" {q.get('measured', 0):.1%}"
            + tr("，估算", ", estimated")
            + f" {q.get('estimated', 0):.1%}"
            + ("" if tce is None else tr(f"；折标准煤 {tce:,.4g} tce", f"; tce={tce}")),
        }
    if kind == "factor":
        return {
            "kind": tr("因子记录", "factor"),
            "ref": e.get("id") if lang == "en" else "",
            "what": f"{e.get('factor_kind')} {e.get('key')} ({e.get('basis')}, {e.get('year')})"
            if lang == "en"
            else w.code(str(e.get("id"))),
            "value": e.get("value"),
            "unit": e.get("unit"),
            "source": f"{e.get('source')} [{e.get('confidence')}"
            + ("" if e.get("verified") else tr("，待核实", ", to verify"))
            + "]",
        }
    if kind == "clause":
        return {
            "kind": tr("公式条款", "clause"),
            "ref": e.get("formula"),
            "what": e.get("text"),
            "value": None,
            "unit": "",
            "source": ""
            if e.get("verified")
            else tr("条款编号未核实", "clause number not verified"),
        }
    if kind == "target":
        return {
            "kind": tr("目标值", "target"),
            "ref": e.get("id") if lang == "en" else w.code(str(e.get("id"))),
            "what": e.get("text"),
            "value": None,
            "unit": "",
            "source": f"{e.get('source')} [{e.get('confidence')}]",
        }
    if kind == "limit":
        levels = e.get("levels") or {}
        return {
            "kind": tr("能耗限额", "limit"),
            "ref": e.get("id") if lang == "en" else "",
            "what": f"{e.get('standard')} {e.get('product')} {levels}"
            if lang == "en"
            else f"{e.get('standard')} {e.get('product_zh') or e.get('product')} "
            + "，".join(f"{k} 级 {v:g}" for k, v in levels.items()),
            "value": None,
            "unit": e.get("unit"),
            "source": f"{e.get('source')} [{e.get('confidence')}]",
        }
    if kind == "explain":
        return {
            "kind": tr("核算说明", "accounting"),
            "ref": e.get("term")
            if lang == "en"
            else TERM_NAMES.get(str(e.get("term")), (str(e.get("term")), ""))[0],
            "what": e.get("text"),
            "value": e.get("result"),
            "unit": e.get("unit"),
            "source": e.get("clause"),
        }
    if kind == "source":
        carrier = str(e.get("carrier"))
        return {
            "kind": tr("活动数据来源", "activity source"),
            "ref": f"{e.get('owner')}/{carrier if lang == 'en' else w.code(carrier)}",
            "what": e.get("becomes"),
            "value": e.get("amount"),
            "unit": e.get("amount_unit"),
            "source": tr("实测", "measured") + f" {float(e.get('measured_share') or 0):.1%}",
        }
    if "text" in e and len(e) == 2:  # a note
        return {
            "kind": tr("说明", "note"),
            "ref": "",
            "what": e["text"],
            "value": None,
            "unit": "",
            "source": "",
        }
    if lang != "en":  # a block of figures (the electricity balance): one line per figure
        text = "；".join(
            f"{w.code(k)} {v:,.6g}" if isinstance(v, int | float) else f"{w.code(k)} {v}"
            for k, v in e.items()
            if k != "kind"
        )
        return {
            "kind": w.code(kind, "evidence"),
            "ref": "",
            "what": text,
            "value": None,
            "unit": "",
            "source": "",
        }
    text = "; ".join(f"{k}={v}" for k, v in e.items() if k != "kind")
    return {"kind": kind, "ref": "", "what": text, "value": None, "unit": "", "source": ""}


_EVIDENCE_COLUMNS = (
    ("kind", ("类别", "Kind"), "text"),
    ("ref", ("编号", "Ref"), "text"),
    ("what", ("内容", "What"), "text"),
    ("value", ("数值", "Value"), "num2"),
    ("unit", ("单位", "Unit"), "text"),
    ("source", ("来源 / 说明", "Source / note"), "text"),
)


def _indicator_section(r: IndicatorResult, lang: str) -> Section:
    tr = translator(lang)
    name = r.spec.name_zh if lang == "zh" else r.spec.name_en
    trend = r.trend
    q = r.quality
    kv = KeyValues(
        [
            (tr("指标值", "Value"), _shown(r.value, r.spec.unit), "text"),
            (tr("目标值", "Target"), r.target.text() if r.target else "—", "text"),
            (
                tr("目标来源", "Target source"),
                (
                    r.target.source
                    if r.target and r.target.source
                    else (r.target_set.source if r.target_set else "—")
                ),
                "text",
            ),
            (tr("评价结论", "Status"), status_word(r.status, lang), "text"),
            (tr("说明", "Reason"), r.reason_zh if lang == "zh" else r.reason_en, "text"),
            (
                tr("差距（指标值−目标值）", "Gap (value − target)"),
                _shown(r.gap, r.spec.unit),
                "text",
            ),
            (
                tr(f"基准年 {trend.get('base_year')} 值", f"Base year {trend.get('base_year')}"),
                _shown(trend.get("base_value"), r.spec.unit),
                "text",
            ),
            (
                tr("较基准年变化", "Change vs base year"),
                "—" if trend.get("relative_change") is None else f"{trend['relative_change']:+.1%}",
                "text",
            ),
            (
                tr(
                    "数据质量：实测 / 估算 / 录入 / 缺失",
                    "Quality: measured / estimated / entered / missing",
                ),
                f"{q.measured:.1%} / {q.estimated:.1%} / {q.entered:.1%} / {q.missing:.1%}",
                "text",
            ),
            (
                tr("数据完整率（阈值）", "Completeness (threshold)"),
                f"{q.completeness:.1%} ({q.threshold:.0%})",
                "text",
            ),
        ],
        title=tr("评价结果", "Result"),
    )
    blocks: list[Any] = [kv]
    if trend.get("note"):
        blocks.append(Paragraph(str(trend["note"]), "note"))
    options = Table(
        f"options_{r.id}",
        [Column("option", tr("选项", "Option")), Column("value", tr("取值", "Value"))],
        [{"option": k, "value": str(v)} for k, v in r.options.items()],
        title=tr("评价选项", "Options"),
    )
    inputs = Table(
        f"inputs_{r.id}",
        [Column("name", tr("输入", "Input")), Column("value", tr("数值", "Value"), "num2")],
        [
            {"name": k, "value": v if isinstance(v, int | float) else str(v)}
            for k, v in r.inputs.items()
        ],
        title=tr("输入数据", "Inputs"),
    )
    blocks += [inputs, options]
    if r.details:
        keys: list[str] = []
        for d in r.details:
            keys += [k for k in d if k not in keys]
        blocks.append(
            Table(
                f"details_{r.id}",
                [Column(k, k, "num4" if k in ("value",) else "num2") for k in keys],
                [
                    {
                        k: (v if isinstance(v, int | float | str) or v is None else str(v))
                        for k, v in d.items()
                    }
                    for d in r.details
                ],
                title=tr("明细", "Details"),
            )
        )
    blocks.append(
        Table(
            f"evidence_{r.id}",
            [Column(k, tr(*label), fmt) for k, label, fmt in _EVIDENCE_COLUMNS],  # type: ignore[arg-type]
            [_evidence_row(e, lang) for e in r.evidence],
            title=tr(
                "证据：输入、记录、因子、目标与条款",
                "Evidence: inputs, records, factors, targets, clauses",
            ),
        )
    )
    return Section(f"{name}", blocks, sheet=name[:31])


def _profile_sections(profiles: Sequence[ProfileEvaluation], lang: str) -> list[Section]:
    """One section per chosen indicator profile: definition, value, target, status, source."""
    tr = translator(lang)
    out = []
    for pe in profiles:
        d = pe.as_dict(lang)
        p = d["profile"]
        rows = [
            {
                "name": i["name"] + (tr("（否决项）", " (binding)") if i["binding"] else ""),
                "definition": f"{i['definition']} [{i['unit']}]",
                "value": "—" if i["value"] is None else (
                    f"{i['value']:g}" if i["unit"] == "count" else _shown(i["value"], i["unit"])
                ),
                "target": i["target"]["text"] if i["target"] else "—",
                "confidence": "" if not i["target"] else i["target"]["confidence"]
                + ("" if i["target"]["verified"] else tr("（未经原文核实）", " (not verified)")),
                "status": status_word(i["status"], lang),
                "reason": i["reason"],
            }
            for i in d["indicators"]
        ]  # fmt: skip
        source = " ".join(x for x in (p["issuer"], p["number"], p["document"], p["date"]) if x)
        blocks: list[Any] = [
            KeyValues(
                [
                    (
                        tr("指标体系", "Profile"),
                        p["name_zh"] if lang == "zh" else p["name_en"],
                        "text",
                    ),
                    (tr("来源", "Source"), source + f" [{p['confidence']}]", "text"),
                    (tr("网址", "URL"), p["url"] or (p["url_note"] or "—"), "text"),
                    (tr("园区类型", "Park type"), pe.park_type or "—", "text"),
                ],
                title=tr("指标体系与来源", "Profile and source"),
            ),
            Table(
                f"profile_{pe.profile.id}",
                [
                    Column("name", tr("指标", "Indicator")),
                    Column("definition", tr("定义", "Definition")),
                    Column("value", tr("指标值", "Value")),
                    Column("target", tr("目标值", "Target")),
                    Column("confidence", tr("可信度", "Confidence")),
                    Column("status", tr("结论", "Status")),
                    Column("reason", tr("说明", "Reason")),
                ],
                rows,
            ),
        ]
        if p["draft"]:
            blocks.insert(
                0, Paragraph(tr("征求意见稿，非正式文本。", "A draft for comment."), "warn")
            )
        name = tr("指标体系 ", "Profile ") + pe.profile.id
        out.append(Section(name, blocks, sheet=name[:31]))
    return out


def indicators_report(
    evaluation: Evaluation,
    *,
    lang: str = "zh",
    profiles: Sequence[ProfileEvaluation] = (),
) -> Report:
    """The evaluation as a report: a summary and one section per indicator with its evidence;
    then one section per chosen indicator profile (``profiles``), if any."""
    tr = translator(lang)
    ev = evaluation
    rows = []
    for r in ev.indicators:
        rows.append(
            {
                "name": r.spec.name_zh if lang == "zh" else r.spec.name_en,
                "kind": tr("核心", "core") if r.spec.kind == "core" else tr("引导性", "guiding"),
                "value": _shown(r.value, r.spec.unit),
                "target": r.target.text() if r.target else "—",
                "status": status_word(r.status, lang),
                "gap": _shown(r.gap, r.spec.unit),
                "base": _shown(r.trend.get("base_value"), r.spec.unit),
                "change": None
                if r.trend.get("relative_change") is None
                else r.trend["relative_change"],
                "measured": r.quality.measured,
                "entered": r.quality.entered,
                "completeness": r.quality.completeness,
                "reason": r.reason_zh if lang == "zh" else r.reason_en,
            }
        )
    summary = Table(
        "summary",
        [
            Column("name", tr("指标", "Indicator")),
            Column("kind", tr("类型", "Type")),
            Column("value", tr("指标值", "Value")),
            Column("target", tr("目标值", "Target")),
            Column("status", tr("结论", "Status")),
            Column("gap", tr("差距", "Gap")),
            Column("base", tr("基准年值", "Base year")),
            Column("change", tr("较基准年", "Change"), "pct1"),
            Column("measured", tr("实测占比", "Measured"), "pct1"),
            Column("entered", tr("录入占比", "Entered"), "pct1"),
            Column("completeness", tr("完整率", "Completeness"), "pct1"),
            Column("reason", tr("说明", "Reason")),
        ],
        rows,
        title=tr("“1+5”指标评价汇总", "The 1+5 indicators"),
    )
    shares = [r for r in ev.indicators if r.spec.unit == "1" and r.value is not None]
    chart_rows = [
        {
            "name": (r.spec.name_zh if lang == "zh" else r.spec.name_en),
            "value": r.value,
            "target": r.target.value if r.target else None,
        }
        for r in shares
    ]
    ts = ev.target_set
    head: list[Any] = [
        KeyValues(
            [
                (
                    tr("目标体系", "Target set"),
                    ts.name_zh if lang == "zh" else f"{ts.name_en} ({ts.id})",
                    "text",
                ),
                (tr("目标来源", "Source"), ts.source, "text"),
                (tr("网址", "URL"), ts.url or (ts.url_note or "—"), "text"),
                (
                    tr("年综合能源消费量（规模档，折算全年）", "Annual energy (size class)"),
                    ev.energy_tce_annual,
                    "num0",
                ),
            ],
            title=tr("目标与规模", "Targets and size class"),
        ),
        summary,
    ]
    if chart_rows:
        head += [
            Table(
                "shares",
                [
                    Column("name", tr("指标", "Indicator")),
                    Column("value", tr("指标值", "Value"), "pct1"),
                    Column("target", tr("目标值", "Target"), "pct1"),
                ],
                chart_rows,
                title=tr("比例类指标与目标", "Share indicators and targets"),
            ),
            Chart(
                "shares",
                "name",
                ["value", "target"],
                tr("比例类指标与目标值", "Share indicators vs targets"),
            ),
        ]
    if ts.synthetic:
        head.insert(
            0,
            Paragraph(
                tr("目标为合成示例数据。", "The targets are synthetic example data."), "warn"
            ),
        )
    core = next((r for r in ev.indicators if r.id == "carbon_per_energy"), None)
    if core is not None and core.status == "fails" and core.target is not None and core.target.veto:
        head.append(
            Paragraph(
                tr(
                    "核心指标未达标：按通知要求，原则上不得申请验收。",
                    "The core indicator is not met: a park that misses it may not, in principle, "
                    "apply for acceptance.",
                ),
                "warn",
            )
        )
    head += [Paragraph(line, "note") for line in ev.options.describe(lang)]
    head += [Paragraph(n, "note") for n in ev.notes]
    sections = [Section(tr("汇总", "Summary"), head, sheet=tr("汇总", "Summary"))]
    sections += [_indicator_section(r, lang) for r in ev.indicators]
    sections += _profile_sections(profiles, lang)
    return localise(
        Report(
            title=tr(
                f"{ev.scope_name} 零碳园区指标评价报告",
                f"{ev.scope_name} zero-carbon park indicators",
            ),
            subtitle=tr(f"评价期：{ev.period.label}", f"Period: {ev.period.label}"),
            lang=lang,
            meta=[
                (tr("园区", "Park"), f"{ev.park_name} ({ev.park_code})"),
                (tr("省份", "Province"), ev.province),
                (tr("评价范围", "Scope"), f"{ev.scope_name} ({ev.scope_code})"),
                (tr("评价期", "Period"), f"{ev.period.first} – {ev.period.last}"),
                (tr("依据", "Basis"), "发改环资〔2025〕910号 附件3、附件4"),
            ],
            sections=sections,
            footer=footer(lang),
            synthetic=synthetic_park(ev.park_name),
        )
    )
