"""The GHG page (温室气体核算): an enterprise's account of a year by source and gas, the months
flagged missing, the national carbon market's covered-unit test with its threshold record, and
the downloads (annual report workbook, monthly evidence packages, CBAM communications of the
installations the document declares). Read through :mod:`lingtan.ghg.service` with the user's
principal, like ``/api/v1/ghg``: an enterprise's user sees its own enterprise only (another
enterprise's id answers 404, as an id that names nothing); park users pick an enterprise."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from lingtan.errors import NotFound
from lingtan.ghg import cbam, market, service
from lingtan.ghg.account import GhgResult
from lingtan.ghg.activity import MONTHS
from lingtan.ghg.labels import Words
from lingtan.identity.roles import Permission, Principal, require
from lingtan.web.routes import _page, _render, _store, _zone

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Year = Annotated[int | None, Query(ge=2005, le=2100)]
EnterpriseId = Annotated[int | None, Query(ge=1, le=2**53)]

#: the page's words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "title": ("温室气体核算", "Greenhouse-gas account"),
    "intro": (
        "按行业核算方法（GB/T 32151 系列）分排放源、分气体核算；缺失月份如实标注，不以零填补；"
        "全国碳市场边界与园区附件4口径分开",
        "By source and gas with the sector methods (GB/T 32151 series); missing months are "
        "flagged, never filled with zero; the national market boundary is kept apart from the "
        "park's Annex 4 total",
    ),
    "year": ("年度", "Year"),
    "enterprise": ("企业", "Enterprise"),
    "choose": ("请选择企业", "Choose an enterprise"),
    "show": ("查看", "Show"),
    "none": ("本年度尚无温室气体核算文件", "No GHG document for this year"),
    "park_units": ("园区重点排放单位判定", "Covered units of the park"),
    "coverage": ("全国碳市场纳入判定", "National carbon market: covered-unit test"),
    "status": ("判定", "Status"),
    "threshold": ("纳入门槛", "Threshold"),
    "record": ("记录", "Record"),
    "market_gases": ("覆盖气体", "Covered gases"),
    "summary": ("排放量汇总", "Emissions summary"),
    "market": ("全国碳市场边界排放量", "National market boundary"),
    "direct": ("直接排放量（全部气体）", "Direct emissions (all gases)"),
    "indirect": ("净购入电力、热力排放量", "Net purchased electricity and heat"),
    "annex4": (
        "园区附件4口径单独核算，不与本页数字相加",
        "The park's Annex 4 total is accounted separately and never added to these figures",
    ),
    "missing": ("缺失", "missing"),
    "partial": ("已有月份合计", "sum of the months present"),
    "per_gas": ("分气体排放量", "Emissions by gas"),
    "gas": ("气体", "Gas"),
    "tonnes": ("排放量 t", "Emissions t"),
    "gwp": ("全球变暖潜势", "GWP"),
    "tco2e": ("tCO2e", "tCO2e"),
    "per_gas_missing": (
        "有缺失月份，全年分气体排放量无法给出",
        "A month is missing: no annual figure by gas",
    ),
    "sources": ("分排放源（tCO2e，按月）", "By source (tCO2e, by month)"),
    "source": ("排放源", "Source"),
    "method": ("方法", "Method"),
    "category": ("类别", "Category"),
    "total": ("全年", "Year"),
    "missing_months": ("缺失月份", "Months flagged missing"),
    "month": ("月份", "Month"),
    "reason": ("原因", "Reason"),
    "no_missing": ("无缺失月份", "No month missing"),
    "downloads": ("下载", "Downloads"),
    "report": ("年度排放报告（Excel）", "Annual emissions report (Excel)"),
    "evidence": ("月度存证包（JSON）", "Monthly evidence packages (JSON)"),
    "cbam": ("CBAM 对欧盟进口商的排放信息通报", "CBAM communication to EU importers"),
    "unverified": ("使用了未经核实的缺省值", "Unverified default values used"),
    "document": ("文件", "Document"),
    "clause": ("标准条款", "Clause"),
    "gwp_report": ("GWP 取值", "GWP set"),
}


def tt(key: str, lang: str) -> str:
    """The page's text of ``key`` in ``lang``."""
    zh, en = TEXT.get(key, (key, key))
    return zh if lang == "zh-CN" else en


def _default_year(request: Request, principal: Principal) -> int:
    return dt.datetime.now(dt.UTC).astimezone(_zone(request, principal)).year - 1


@router.get("/ghg")
def ghg_page(request: Request, year: Year = None, enterprise_id: EnterpriseId = None) -> Response:
    """The account of the chosen enterprise and year (park users: the park's covered units and
    a choice of enterprise)."""

    def build(principal: Principal, lang: str) -> Response:
        require(principal, Permission.READ)
        store = _store(request)
        chosen = year or _default_year(request, principal)
        park = store.registry.park(principal.park_id)
        ents = [e for e in store.registry.enterprises(park.id) if principal.tenant.owns(e.id)]
        ctx: dict[str, Any] = {
            "year": chosen,
            "enterprises": ents,
            "months": MONTHS,
            # codes, reasons and record names in the page's language (lingtan.ghg.labels)
            "words": Words(lang),
        }
        ent: int | None = None
        if principal.enterprise_id is not None or enterprise_id is not None:
            ent = service.enterprise_in_scope(
                store, principal=principal, enterprise_id=enterprise_id
            )
        else:
            names = {e.id: e for e in ents}
            ctx["units"] = [
                {**u, "code": names[u["enterprise_id"]].code, "ent_name": names[u["enterprise_id"]].name}
                for u in service.covered_units(store, principal=principal, year=chosen)
                if u["enterprise_id"] in names
            ]  # fmt: skip
        ctx["enterprise_id"] = ent
        doc = None
        if ent is not None:
            found: tuple[service.Stored, GhgResult] | None
            try:
                found = service.result(store, principal=principal, enterprise_id=ent, year=chosen)
            except NotFound:  # the enterprise is in scope (checked above): no document yet
                found = None
            if found is not None:
                stored, result = found
                doc = market.report_document(result, lang=lang)
                ctx["stored"] = stored
                ctx["installations"] = [
                    str(i.get("name") or n)
                    for n, i in enumerate(result.document.cbam_installations)
                ]
        ctx["doc"] = doc
        ctx["qs"] = f"year={chosen}" + ("" if ent is None else f"&enterprise_id={ent}")
        ctx["can_report"] = principal.can(Permission.REPORTS)
        return _render(request, "ghg.html", lang, principal, tt=lambda k: tt(k, lang), **ctx)

    return _page(request, build)


def _file(content: bytes, media: str, name: str) -> Response:
    return Response(
        content=content, media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )  # fmt: skip


@router.get("/ghg/report")
def ghg_report_file(
    request: Request, year: Year = None, enterprise_id: EnterpriseId = None
) -> Response:
    """The annual emissions report workbook of the enterprise and year (the API's report)."""

    def build(principal: Principal, lang: str) -> Response:
        if year is None:  # nothing chosen: the page
            return RedirectResponse("/ghg", status_code=303)
        require(principal, Permission.REPORTS)
        _, r = service.result(
            _store(request), principal=principal, enterprise_id=enterprise_id, year=year
        )
        return _file(market.report_xlsx(r, lang=lang), XLSX, f"ghg-{year}.xlsx")

    return _page(request, build)


@router.get("/ghg/evidence")
def ghg_evidence_file(
    request: Request, year: Year = None, enterprise_id: EnterpriseId = None
) -> Response:
    """The twelve monthly evidence packages (each with its own SHA-256) as one JSON file."""

    def build(principal: Principal, lang: str) -> Response:
        if year is None:
            return RedirectResponse("/ghg", status_code=303)
        stored, r = service.result(
            _store(request), principal=principal, enterprise_id=enterprise_id, year=year
        )
        packages = [
            market.evidence_package(r, month=m, document_id=stored.id, sha256=stored.sha256)
            for m in MONTHS
        ]
        body = json.dumps(packages, ensure_ascii=False, indent=1).encode()
        return _file(body, "application/json", f"ghg-evidence-{year}.json")

    return _page(request, build)


@router.get("/ghg/cbam")
def ghg_cbam_file(
    request: Request,
    year: Year = None,
    enterprise_id: EnterpriseId = None,
    installation: Annotated[int, Query(ge=0, le=999)] = 0,
    format: Annotated[str, Query(pattern=r"^(xlsx|json)$")] = "xlsx",
) -> Response:
    """The CBAM communication of an installation the document in force declares."""

    def build(principal: Principal, lang: str) -> Response:
        if year is None:
            return RedirectResponse("/ghg", status_code=303)
        inst = service.installation(
            _store(request), principal=principal, enterprise_id=enterprise_id, year=year,
            index=installation,
        )  # fmt: skip
        if format == "json":
            body = json.dumps(cbam.communication(inst, lang=lang), ensure_ascii=False, indent=1)
            return _file(body.encode(), "application/json", f"cbam-{inst.year}.json")
        return _file(cbam.communication_xlsx(inst, lang=lang), XLSX, f"cbam-{inst.year}.xlsx")

    return _page(request, build)
