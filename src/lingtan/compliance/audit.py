"""Energy-audit workbook (企业能源审计, GB/T 17166-2019《能源审计技术通则》) for an enterprise
and period: energy consumption by carrier and use (能源消费结构), the energy flow's totals,
unit product energy compared with the limit levels and 标杆/基准, and the savings-potential
list. The figures come either from an audit file (YAML) the auditor fills, or from the store
(:func:`lingtan.compliance.service.audit_file`: the metered energy by site, the graded
products, the programme's measures). lingtan computes the totals, the unit energies and their
grades, and the savings total, and writes the workbook. Nothing in the file is changed: every
input row is shown."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lingtan.compliance.grading import CLASS_NAMES, energy_source_text, grade, unit_energy
from lingtan.compliance.reference import efficiency_levels
from lingtan.errors import InvalidInput
from lingtan.indicators.limits import load_limits
from lingtan.programme.report import STATUS as MEASURE_STATUS
from lingtan.reports.common import factor_table, footer, translator
from lingtan.reports.html import write_html
from lingtan.reports.localise import localise
from lingtan.reports.model import Column, Paragraph, Report, Section, Table
from lingtan.reports.xlsx import write_xlsx


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CarrierUse(_Strict):
    """Consumption of one carrier by one use (用能单元), already converted to tce."""

    carrier: str = Field(min_length=1)
    use: str = Field(min_length=1)
    quantity: float = Field(ge=0, allow_inf_nan=False)
    unit: str = Field(min_length=1)
    #: negative for energy sent out (输出的能源, deducted from 综合能耗: GB/T 2589-2020 4.2)
    tce: float = Field(allow_inf_nan=False)


class AuditProduct(_Strict):
    """A product: output and the energy allocated to it (in the limit record's units)."""

    product: str = Field(min_length=1)
    output: float = Field(gt=0, allow_inf_nan=False)
    energy: float = Field(ge=0, allow_inf_nan=False)
    unit: str = Field(min_length=1)
    #: the limit and 标杆/基准 records to grade against (default: the product's, if any)
    limit_id: str | None = None
    efficiency_id: str | None = None
    #: the limit level the park requires (7.9.3: 2级)
    level_needed: int = Field(default=2, ge=1, le=5)
    #: where the energy comes from (``entered``, ``metered: points …``)
    energy_source: str = ""


class Saving(_Strict):
    """One energy-saving measure (节能潜力)."""

    measure: str = Field(min_length=1)
    #: None: not estimated (listed, not summed)
    saving_tce: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    investment_cny: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    status: str = ""


class NotGraded(_Strict):
    """A product the grading could not grade, with its reason ("中文 / English")."""

    enterprise: str
    product: str
    reason: str = ""


class Uncounted(_Strict):
    """Metered energy of a carrier without a standard-coal coefficient (not in the total)."""

    use: str
    carrier: str
    quantity: float = Field(allow_inf_nan=False)
    unit: str


class AuditFile(_Strict):
    """The audit file (or the audit the store gives: :func:`lingtan.compliance.service.
    audit_file`, which also fills the provenance fields below)."""

    enterprise: str = Field(min_length=1)
    period: str = Field(min_length=1)
    carriers: tuple[CarrierUse, ...] = Field(min_length=1)
    products: tuple[AuditProduct, ...] = ()
    savings: tuple[Saving, ...] = ()
    #: products present but not graded, energy not converted, measures left out (cancelled)
    not_graded: tuple[NotGraded, ...] = ()
    uncounted: tuple[Uncounted, ...] = ()
    cancelled: tuple[str, ...] = ()
    #: the standard-coal coefficient records used (their ``brief()``)
    factors: tuple[dict[str, Any], ...] = ()
    #: the statistics' own notes (English; the zh report words them through lingtan.wording)
    notes: tuple[str, ...] = ()


def parse_audit(data: Any) -> AuditFile:
    """The audit file from plain data; errors name the field."""
    try:
        return AuditFile.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InvalidInput(f"audit: {loc}: {first['msg']}", field=loc) from err


def _record(records: list[Any], wanted: str | None, product: str, unit: str) -> Any:
    """The record named ``wanted`` (InvalidInput if there is none), else the product's own
    (the last listed) when its unit is ``unit``."""
    if wanted is not None:
        for r in records:
            if r.id == wanted:
                return r
        raise InvalidInput(f"audit: no record {wanted!r}", field="products")
    found = {r.product: r for r in records}.get(product)
    return found if found is not None and found.unit == unit else None


def summary(audit: AuditFile, *, levels_file: str | Path | None = None) -> dict[str, Any]:
    """Totals by carrier and use, unit energies graded, savings total (plain data).

    ``total_tce`` is 综合能耗 (GB/T 2589-2020 4.2): the sum of every line, energy sent out
    counted negative."""
    by_carrier: dict[str, float] = defaultdict(float)
    by_use: dict[str, float] = defaultdict(float)
    for c in audit.carriers:
        by_carrier[c.carrier] += c.tce
        by_use[c.use] += c.tce
    total = sum(by_carrier.values())
    limits = list(load_limits())
    levels = list(efficiency_levels(levels_file).values())
    graded = []
    for p in audit.products:
        g = grade(
            enterprise=audit.enterprise, product=p.product,
            value=unit_energy(p.energy, p.output), unit=p.unit, output=p.output,
            output_unit=p.unit.split("/", 1)[-1],
            limit=_record(limits, p.limit_id, p.product, p.unit),
            level=_record(levels, p.efficiency_id, p.product, p.unit),
            level_needed=p.level_needed, energy_source=p.energy_source,
        )  # fmt: skip
        graded.append(g.as_dict())
    estimated = [s.saving_tce for s in audit.savings if s.saving_tce is not None]
    savings = sum(estimated)
    return {
        "enterprise": audit.enterprise,
        "period": audit.period,
        "total_tce": total,
        "by_carrier": dict(by_carrier),
        "by_use": dict(by_use),
        "products": graded,
        "savings_tce": savings,
        "savings_share": (savings / total) if total > 0 else None,
        "savings_not_estimated": sum(1 for s in audit.savings if s.saving_tce is None),
    }


def report(audit: AuditFile, *, levels_file: str | Path | None = None, lang: str = "zh") -> Report:
    """The audit as a report (zh-CN by default, English with ``lang="en"``): sheets 能源消费,
    能源消费结构, 单位产品能耗, 节能潜力 and 说明 (the records used, what was left out)."""
    tr = translator(lang)
    s = summary(audit, levels_file=levels_file)
    total = s["total_tce"]

    def share(v: float) -> float | None:
        return v / total if total else None

    consumption = Table(
        "consumption",
        [Column("carrier", tr("能源品种", "Carrier")), Column("use", tr("用能单元", "Use")),
         Column("quantity", tr("实物量", "Quantity"), "num2"), Column("unit", tr("单位", "Unit")),
         Column("tce", tr("折标准煤 tce", "tce"), "num4")],
        [c.model_dump() for c in audit.carriers],
        total={"carrier": tr("合计（综合能耗）", "Total (综合能耗)"), "tce": total},
    )  # fmt: skip
    by_carrier = Table(
        "by_carrier",
        [Column("carrier", tr("能源品种", "Carrier")), Column("tce", "tce", "num4"),
         Column("share", tr("占比", "Share"), "pct1")],
        [{"carrier": k, "tce": v, "share": share(v)} for k, v in s["by_carrier"].items()],
    )  # fmt: skip
    by_use = Table(
        "by_use",
        [Column("use", tr("用能单元", "Use")), Column("tce", "tce", "num4"),
         Column("share", tr("占比", "Share"), "pct1")],
        [{"use": k, "tce": v, "share": share(v)} for k, v in s["by_use"].items()],
    )  # fmt: skip
    k = 0 if lang == "zh" else 1
    products = Table(
        "products",
        [Column("product", tr("产品", "Product")), Column("output", tr("产量", "Output"), "num2"),
         Column("value", tr("单位产品能耗", "Unit energy"), "num2"),
         Column("unit", tr("单位", "Unit")), Column("level", tr("限额等级", "Limit grade")),
         Column("meets", tr("达到要求等级", "Meets the grade needed")),
         Column("benchmark", tr("标杆", "Benchmark"), "num2"),
         Column("baseline", tr("基准", "Baseline"), "num2"),
         Column("efficiency", tr("能效水平", "Benchmark/baseline")),
         Column("limit_id", tr("限额标准", "Limit standard")),
         Column("energy_source", tr("能耗来源", "Energy source"))],
        [{**g, "level": "—" if g["level"] is None else g["level"],
          "meets": "—" if g["meets_limit"] is None else tr("是", "yes") if g["meets_limit"]
          else tr("否", "no"),
          "efficiency": CLASS_NAMES[g["efficiency"]][k] if g["efficiency"] else "—",
          "limit_id": g["limit_id"] or "—",
          "energy_source": energy_source_text(g["energy_source"], lang) or "—"}
         for g in s["products"]],
    )  # fmt: skip
    savings = Table(
        "savings",
        [Column("measure", tr("措施", "Measure")),
         Column("saving_tce", tr("节能量 tce", "Savings, tce"), "num4"),
         Column("investment_cny", tr("投资 元", "Investment, CNY"), "num0"),
         Column("status", tr("状态", "Status"))],
        [{"measure": m.measure,
          "saving_tce": m.saving_tce if m.saving_tce is not None else tr("未估算", "not estimated"),
          "investment_cny": m.investment_cny, "status": MEASURE_STATUS["zh-CN" if lang == "zh" else "en"].get(m.status, m.status)}
         for m in audit.savings],
        total={"measure": tr("合计", "Total"), "saving_tce": s["savings_tce"],
               "investment_cny": sum(m.investment_cny or 0.0 for m in audit.savings)},
    )  # fmt: skip
    notes: list[Any] = []
    if audit.factors:
        notes.append(factor_table("factors", audit.factors, lang))
    if audit.not_graded:
        notes.append(Table(
            "not_graded",
            [Column("enterprise", tr("企业", "Enterprise")), Column("product", tr("产品", "Product")),
             Column("reason", tr("原因", "Reason"))],
            [{**x.model_dump(), "reason": _half(x.reason, lang)} for x in audit.not_graded],
            title=tr("未评级产品", "Products not graded"),
        ))  # fmt: skip
    if audit.uncounted:
        notes.append(Table(
            "uncounted",
            [Column("use", tr("用能单元", "Use")), Column("carrier", tr("能源品种", "Carrier")),
             Column("quantity", tr("实物量", "Quantity"), "num2"), Column("unit", tr("单位", "Unit"))],
            [x.model_dump() for x in audit.uncounted],
            title=tr("无折标准煤系数、未计入综合能耗的能源", "Energy without a standard-coal "
                     "coefficient, not in the total"),
        ))  # fmt: skip
    if audit.cancelled:
        notes.append(Paragraph(tr("已取消、未列入节能潜力的措施：", "Cancelled measures, not listed: ")
                               + "、".join(audit.cancelled), "note"))  # fmt: skip
    notes += [Paragraph(n, "note") for n in audit.notes]
    sections = [
        Section(tr("能源消费", "Energy consumption"), [consumption], sheet=tr("能源消费", "Energy")),
        Section(tr("能源消费结构", "Consumption structure"), [by_carrier, by_use],
                sheet=tr("能源消费结构", "Structure")),
        Section(tr("单位产品能耗", "Unit product energy"), [products],
                sheet=tr("单位产品能耗", "Products")),
        Section(tr("节能潜力", "Savings potential"), [savings], sheet=tr("节能潜力", "Savings")),
    ]  # fmt: skip
    if notes:
        sections.append(Section(tr("说明", "Notes"), notes, sheet=tr("说明", "Notes")))
    out = Report(
        title=tr(f"{audit.enterprise} 能源审计（GB/T 17166-2019）",
                 f"{audit.enterprise} energy audit (GB/T 17166-2019)"),
        subtitle=audit.period, lang=lang, meta=[], sections=sections, footer=footer(lang),
    )  # fmt: skip
    return localise(out, _level_labels(levels_file))


def _half(text: str, lang: str) -> str:
    """One side of a "中文 / English" text."""
    zh, sep, en = text.partition(" / ")
    return zh if lang == "zh" or not sep else en


def _level_labels(levels_file: str | Path | None) -> dict[str, str]:
    """Names of the 标杆/基准 records' products and ids (the limit records' are shipped)."""
    out: dict[str, str] = {}
    for lvl in efficiency_levels(levels_file).values():
        out[lvl.product] = lvl.product_zh
        out[lvl.id] = f"{lvl.document} {lvl.product_zh}"
    return out


def workbook(audit: AuditFile, *, levels_file: str | Path | None = None, lang: str = "zh") -> bytes:
    """The audit workbook (.xlsx)."""
    return write_xlsx(report(audit, levels_file=levels_file, lang=lang))


def html(audit: AuditFile, *, levels_file: str | Path | None = None, lang: str = "zh") -> bytes:
    """The audit as an HTML page."""
    return write_html(report(audit, levels_file=levels_file, lang=lang))
