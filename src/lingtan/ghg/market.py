"""National carbon market (全国碳排放权交易市场): covered units and the annual emissions report.

A unit is covered (重点排放单位) when its sector is one the market covers and its direct
emissions in the market's boundary reach the threshold record (2.6 万 tCO2e, the 2025 work plan
for steel, cement and aluminium). A year with a missing month cannot be tested: the unit is then
``undetermined``, not "below".

The annual report keeps the market's boundary (direct; CO2, plus CF4/C2F6 for aluminium) apart
from the enterprise's other emissions (non-covered gases, purchased electricity and heat) and from
the park's Annex 4 total (CO2 only, with net electricity at 0.8325): the report states all three
side by side and never adds one into another. Its sheets follow the structure of the sector
guidelines' reporting template (basic information; emissions summary; activity data and
parameters by source and month; product output and intensity) — the template's table numbers
were not checked against the guideline text.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font

from lingtan.errors import InvalidInput
from lingtan.ghg import records
from lingtan.ghg.account import GhgResult
from lingtan.ghg.activity import MONTHS
from lingtan.ghg.labels import Words

Coverage = Literal["covered", "not_covered", "undetermined", "sector_not_covered"]


@dataclass(frozen=True)
class CoveredTest:
    """The covered-unit test of one enterprise and year."""

    enterprise: str
    year: int
    sector: str
    market_emissions: float | None
    threshold: float
    threshold_record: str
    status: Coverage
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def covered_test(
    *, enterprise: str, year: int, sector: str, market_emissions: float | None
) -> CoveredTest:
    """Whether a unit is a key emitting unit: sector covered and emissions ≥ the threshold.

    ``market_emissions`` is the year's direct emissions in the market boundary [tCO2e], None when
    a month is missing.
    """
    rec, sectors = records.market()
    covered = {s.key: s for s in sectors}
    if sector not in covered:
        status: Coverage = "sector_not_covered"
        reason = f"sector {sector} is not in the market"
    elif year < covered[sector].since:
        status, reason = "sector_not_covered", f"{sector} is covered from {covered[sector].since}"
    elif market_emissions is None:
        status, reason = "undetermined", "a month is missing: the year cannot be tested"
    elif market_emissions >= rec.value:
        status, reason = "covered", f"{market_emissions:.1f} ≥ {rec.value:g} tCO2e"
    else:
        status, reason = "not_covered", f"{market_emissions:.1f} < {rec.value:g} tCO2e"
    return CoveredTest(
        enterprise=enterprise,
        year=year,
        sector=sector,
        market_emissions=market_emissions,
        threshold=rec.value,
        threshold_record=rec.id,
        status=status,
        reason=reason,
    )


def covered_for(result: GhgResult) -> CoveredTest:
    """The covered-unit test from an account."""
    d = result.document
    return covered_test(
        enterprise=d.enterprise,
        year=d.year,
        sector=d.sector,
        market_emissions=result.market().value,
    )


LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "basic": "表1 基本信息",
        "summary": "表2 排放量汇总",
        "sources": "表3 活动数据和排放参数",
        "intensity": "表4 产品产量与排放强度",
        "records": "表5 缺省值与来源",
        "enterprise": "重点排放单位",
        "year": "核算年度",
        "sector": "行业",
        "gwp": "GWP 取值",
        "coverage": "纳入判定",
        "market": "全国碳市场边界排放量 (直接排放; 覆盖气体)",
        "direct": "直接排放量 (全部气体)",
        "indirect": "净购入电力、热力排放量 (不计入碳市场边界)",
        "annex4": "园区附件4 口径 (单独核算, 不与本表相加)",
        "gas": "气体",
        "tonnes": "排放量 (t)",
        "tco2e": "tCO2e",
        "source": "排放源",
        "method": "方法",
        "clause": "标准条款",
        "month": "月份",
        "missing": "缺失",
        "total": "全年",
        "output": "产品产量",
        "intensity_row": "排放强度 (tCO2e/单位产品)",
        "trend": "强度趋势 (最小二乘斜率, 每月)",
        "record": "记录",
        "value": "数值",
        "unit": "单位",
        "document": "文件",
        "confidence": "置信度",
        "evidence": "证据",
        "gwp_value": "GWP",
        "kind": "证据类型",
        "reference": "依据",
        "tier": "数据质量等级",
        "sha256": "SHA-256",
        "verified": "已核实",
        "param": "参数",
        "yes": "是",
        "no": "否",
    },
    "en": {
        "basic": "Table 1 Basic information",
        "summary": "Table 2 Emissions summary",
        "sources": "Table 3 Activity data and parameters",
        "intensity": "Table 4 Output and intensity",
        "records": "Table 5 Default values and sources",
        "enterprise": "Unit",
        "year": "Year",
        "sector": "Sector",
        "gwp": "GWP set",
        "coverage": "Covered-unit test",
        "market": "National market boundary (direct; covered gases)",
        "direct": "Direct emissions (all gases)",
        "indirect": "Net purchased electricity and heat (outside the market boundary)",
        "annex4": "Park Annex 4 basis (accounted separately, never added here)",
        "gas": "Gas",
        "tonnes": "Emissions (t)",
        "tco2e": "tCO2e",
        "source": "Source",
        "method": "Method",
        "clause": "Clause",
        "month": "Month",
        "missing": "missing",
        "total": "Year",
        "output": "Output",
        "intensity_row": "Intensity (tCO2e/unit)",
        "trend": "Intensity trend (least-squares slope per month)",
        "record": "Record",
        "value": "Value",
        "unit": "Unit",
        "document": "Document",
        "confidence": "Confidence",
        "evidence": "Evidence",
        "gwp_value": "GWP",
        "kind": "Kind",
        "reference": "Reference",
        "tier": "Tier",
        "sha256": "SHA-256",
        "verified": "Verified",
        "param": "parameter",
        "yes": "yes",
        "no": "no",
    },
}


def _fig(value: float | None, missing: str) -> float | str:
    return missing if value is None else round(value, 6)


def report_document(result: GhgResult, *, lang: str = "zh-CN") -> dict[str, Any]:
    """The annual report as JSON-ready tables (the same content as the workbook). The codes,
    reasons and record ids stay as the account gives them; each has its wording in ``lang``
    beside it (``*_text``, ``record_names``: lingtan.ghg.labels)."""
    t = LABELS["en" if lang == "en" else "zh-CN"]
    words = Words(lang)
    d = result.document
    test = covered_for(result)
    per_gas = result.per_gas()
    market_gases = result.market_gases
    sources = []
    for s in result.sources:
        fig = s.figure(result.report)
        sources.append(
            {
                "id": s.id,
                "name": s.name,
                "method": s.method,
                "method_text": words.code(s.method, "ghg_method"),
                "category": s.category,
                "category_text": words.code(s.category, "ghg_category"),
                "clause": s.clause,
                "clause_text": words.text(s.clause),
                "standard_title": words.standard(s.clause),
                "months": {
                    m: None if v is None else v.co2e(result.report) for m, v in s.months.items()
                },
                "gases": None if s.annual_gas() is None else dict(s.annual_gas().tonnes),  # type: ignore[union-attr]
                "year": fig.value,
                "missing": list(fig.missing),
                "records": [r.__dict__ for r in s.records],
                "evidence": s.evidence,
            }
        )
    gases = None if per_gas is None else per_gas.breakdown(result.report)
    missing = [
        {**m, "reason_text": words.text(m["reason"])} if m.get("reason") else m
        for m in result.missing()
    ]
    used = {r.id for s in result.sources for r in s.records} | {test.threshold_record}
    used |= {g["gwp_record"] for g in gases or []}
    return {
        "labels": t,
        "enterprise": d.enterprise,
        "year": d.year,
        "sector": d.sector,
        "sector_text": words.code(d.sector, "ghg_sector"),
        "gwp_report": d.gwp_report,
        "gwp_report_text": words.code(d.gwp_report, "gwp_report"),
        "coverage": {
            **test.as_dict(),
            "status_text": words.code(test.status, "ghg_coverage"),
            "reason_text": words.text(test.reason),
        },
        "market_gases": list(market_gases),
        "market": result.market().model_dump(),
        "direct": result.direct().model_dump(),
        "indirect": result.indirect().model_dump(),
        "per_gas": gases,
        "sources": sources,
        "output": None if result.output() is None else result.output().model_dump(),  # type: ignore[union-attr]
        "intensity": result.intensity(),
        "intensity_trend": result.intensity_trend(),
        "unverified_records": result.unverified(),
        "missing": missing,
        "record_names": {i: words.record(i) for i in sorted(used) if words.record(i)},
        "annex4_note": t["annex4"],
    }


def report_xlsx(result: GhgResult, *, lang: str = "zh-CN") -> bytes:
    """The annual emissions report as an Excel workbook."""
    doc = report_document(result, lang=lang)
    words = Words(lang)
    t = doc["labels"]
    miss = t["missing"]
    cov = doc["coverage"]

    def yes(value: bool) -> str:
        return str(t["yes"] if value else t["no"])

    def field_name(name: str) -> str:
        if name.startswith("param:"):
            return f"{t['param']}: {words.code(name[6:], 'ghg_field')}"
        return words.code(name, "ghg_field")

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = t["basic"][:31]
    for row in (
        (t["enterprise"], doc["enterprise"]),
        (t["year"], doc["year"]),
        (t["sector"], doc["sector_text"]),
        (t["gwp"], doc["gwp_report_text"]),
        (
            t["coverage"],
            f"{cov['status_text']} — {cov['reason_text']}"
            + (f"（{t['record']}：" if words.zh else f" ({t['record']}: ")
            + f"{words.record_line(cov['threshold_record'])}{'）' if words.zh else ')'}",
        ),
    ):
        ws.append(list(row))
    for c in ws["A"]:
        c.font = bold

    ws = wb.create_sheet(t["summary"][:31])
    ws.append([t["market"], _fig(doc["market"]["value"], miss), ", ".join(doc["market_gases"])])
    ws.append([t["direct"], _fig(doc["direct"]["value"], miss)])
    ws.append([t["indirect"], _fig(doc["indirect"]["value"], miss)])
    ws.append([t["annex4"], ""])
    ws.append([])
    ws.append([t["gas"], t["tonnes"], t["gwp_value"], t["record"], t["tco2e"]])
    for r in doc["per_gas"] or []:
        ws.append([r["gas"], r["tonnes"], r["gwp"], words.record_line(r["gwp_record"]), r["tco2e"]])
    if doc["per_gas"] is None:
        ws.append([miss])

    ws = wb.create_sheet(t["sources"][:31])
    ws.append([t["source"], t["method"], t["clause"], *[f"{m}" for m in MONTHS], t["total"]])
    for c in ws[1]:
        c.font = bold
    for s in doc["sources"]:
        ws.append(
            [s["name"] or s["id"], s["method_text"], s["clause_text"],
             *[_fig(s["months"][m], miss) for m in MONTHS], _fig(s["year"], miss)]
        )  # fmt: skip
    ws.append([])
    ws.append([t["source"], t["evidence"], t["month"], t["kind"], t["reference"], t["tier"],
               t["sha256"]])  # fmt: skip
    for s in doc["sources"]:
        for name, items in s["evidence"].items():
            for e in items:
                ref = e.get("reference") or ""
                ref = words.record_line(ref) if e["kind"] == "default" else words.text(ref)
                ws.append([s["id"], field_name(name), e.get("month", ""),
                           words.code(e["kind"], "ghg_evidence_kind"), ref,
                           words.code(f"tier_{e.get('tier')}", "ghg_tier"), e.get("sha256") or ""])  # fmt: skip

    ws = wb.create_sheet(t["intensity"][:31])
    ws.append([t["month"], *MONTHS])
    out = result.document.output
    ws.append([t["output"], *[_fig(None if out is None or out.get(m) is None else out.get(m).value, miss)  # type: ignore[union-attr]
                              for m in MONTHS]])  # fmt: skip
    ws.append([t["intensity_row"], *[_fig(doc["intensity"].get(m), miss) for m in MONTHS]])
    slope = doc["intensity_trend"]["slope_per_month"]
    ws.append([t["trend"], miss if slope is None else slope])

    ws = wb.create_sheet(t["records"][:31])
    ws.append([t["record"], t["value"], t["unit"], t["document"], t["confidence"], t["verified"]])
    seen: set[str] = set()
    for s in result.sources:
        for r in s.records:
            if r.id in seen:
                continue
            seen.add(r.id)
            ws.append([words.record_line(r.id), r.value, r.unit, words.text(r.document),
                       r.confidence, yes(r.verified)])  # fmt: skip
    for r in doc["per_gas"] or []:
        if r["gwp_record"] not in seen:
            seen.add(r["gwp_record"])
            ws.append(
                [
                    words.record_line(r["gwp_record"]),
                    r["gwp"],
                    "tCO2e/t",
                    "IPCC",
                    r["confidence"],
                    yes(r["confidence"] != "L"),
                ]
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def evidence_package(
    result: GhgResult, *, month: int, document_id: int | None = None, sha256: str | None = None
) -> dict[str, Any]:
    """One month's evidence package: every activity value and parameter of the month with its
    evidence (lab report, meter, ledger reference, tier, document hash), the month's emissions per
    source and gas, and the SHA-256 of the package itself (canonical JSON) so that a copy handed
    to a verifier can be checked. Missing values are listed as missing."""
    if not 1 <= month <= 12:
        raise InvalidInput("month: must be 1..12", field="month")
    doc = result.document
    items = []
    for src, res in zip(doc.sources, result.sources, strict=True):
        values: list[dict[str, Any]] = []
        for name, series in src.series.items():
            mv = series.get(month)
            values.append(
                {"series": name, "unit": series.unit, "status": "missing"}
                if mv is None
                else {"series": name, "unit": series.unit, "value": mv.value,
                      "evidence": mv.evidence.model_dump()}
            )  # fmt: skip
        params: list[dict[str, Any]] = []
        for name, p in src.params.items():
            if p.record is not None:
                params.append({"param": name, "record": p.record})
            elif p.monthly is not None:
                mv = p.monthly.get(month)
                params.append(
                    {"param": name, "status": "missing"}
                    if mv is None
                    else {"param": name, "value": mv.value, "evidence": mv.evidence.model_dump()}
                )
            else:
                assert p.evidence is not None
                params.append(
                    {"param": name, "value": p.value, "evidence": p.evidence.model_dump()}
                )
        amounts = res.months.get(month)
        items.append(
            {
                "source": src.id,
                "method": src.method,
                "clause": res.clause,
                "values": values,
                "params": params,
                "defaults": [r.__dict__ for r in res.records],
                "emissions": None if amounts is None else dict(amounts.tonnes),
                "tco2e": None if amounts is None else amounts.co2e(result.report),
            }
        )
    package = {
        "enterprise": doc.enterprise,
        "year": doc.year,
        "month": month,
        "document_id": document_id,
        "document_sha256": sha256,
        "gwp_report": doc.gwp_report,
        "sources": items,
    }
    text = json.dumps(package, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return {**package, "package_sha256": hashlib.sha256(text.encode()).hexdigest()}
