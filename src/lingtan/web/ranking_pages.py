"""The ranking of enterprises (企业排名): energy [tce], emissions [tCO2] and carbon intensity
[tCO2/tce] of each enterprise for a month or a year, sorted on the server by any column, and
exported to Excel.

The figures are the GB/T 32150 enterprise inventories of :func:`lingtan.accounting
.account_enterprises` (the same function ``/api/v1/accounting/enterprises/{id}`` reads, one
read of the store for every enterprise): ``energy_tce`` is the enterprise's comprehensive
energy consumption (GB/T 2589-2020 §3.7), ``total_tco2`` its emissions, and the carbon
intensity of energy ``total_tco2 / energy_tce`` [tCO2/tce] — 单位能耗碳排放, the core indicator
of 发改环资〔2024〕910号 附件4, computed for the enterprise with the same function
(:func:`lingtan.carbon.methods.park_annex4.carbon_intensity_of_energy`; no intensity without
energy). An enterprise user sees its own row only; an enterprise without data in the period
shows — (never 0).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lingtan import accounting
from lingtan.api.overview import service as overview_service
from lingtan.carbon.methods import park_annex4
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store.query_repo import QueryRepo
from lingtan.web import period as periods
from lingtan.web.routes import _cache, _page, _render, _store

router = APIRouter(include_in_schema=False)

#: the columns a ranking sorts by (the query's ``sort``), in the table's order
SORTS: Final = ("code", "name", "tce", "tco2", "intensity")
#: the periods a ranking covers (the accounting's months and years)
KINDS: Final = ("month", "year")

#: the page's own words (zh-CN, en)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "ranking": ("企业排名", "Enterprise ranking"),
    "intro": (
        "各企业在所选期间的综合能源消费量、碳排放量和碳排放强度（按 GB/T 32150 核算）；点击表头排序",
        "Each enterprise's energy consumption, emissions and carbon intensity in the period "
        "(GB/T 32150 inventories); select a column heading to sort",
    ),
    "rank": ("排名", "Rank"),
    "code": ("代码", "Code"),
    "name": ("企业名称", "Enterprise"),
    "tce": ("综合能源消费量 (tce)", "Energy (tce)"),
    "tco2": ("碳排放量 (tCO2)", "Emissions (tCO2)"),
    "intensity": ("碳排放强度 (tCO2/tce)", "Carbon intensity (tCO2/tce)"),
    "period": ("期间", "Period"),
    "export": ("导出 Excel", "Export to Excel"),
    "none": ("暂无企业", "No enterprises"),
    "asc": ("升序", "ascending"),
    "desc": ("降序", "descending"),
    "sort_by": ("按此列排序", "sort by this column"),
    "kinds": ("排名按月或按年", "rankings are by month or by year"),
}


def words(key: str, lang: str) -> str:
    """A word of this page in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


def _span(request: Request, principal: Principal, lang: str, period: str | None,
          start: str | None) -> periods.Span:  # fmt: skip
    """The ranked month or year (default: the month of the last day with data)."""
    kind = (period or "month").strip()
    if kind not in KINDS:
        raise InvalidInput(
            f"period: a ranking covers a month or a year, got {kind[:40]!r}", field="period"
        )
    as_of = overview_service.overview(
        _store(request), principal=principal, lang=lang, cache=_cache(request)
    )["as_of"]
    return periods.parse(kind, start, None, default_day=dt.date.fromisoformat(as_of))


def rows(request: Request, principal: Principal, span: periods.Span) -> list[dict[str, Any]]:
    """One row per enterprise in the caller's scope: code, name, tce, tCO2, intensity (None
    where the enterprise has no data in the period)."""
    require(principal, Permission.READ)
    store = _store(request)
    park = store.registry.park(principal.park_id)
    enterprises, _ = QueryRepo(store).enterprises(tenant=principal.tenant, park_id=park.id)
    year, month = span.first.year, (span.first.month if span.kind == "month" else None)

    def compute() -> dict[int, dict[str, Any]]:
        results = accounting.account_enterprises(
            store, year=year, month=month, enterprise_scope=principal.enterprise_id,
            park_id=park.id, persist=False,
        )  # fmt: skip
        out = {}
        for r in results:
            if r.enterprise_id is None:
                continue
            d = r.as_dict()
            tce, tco2 = d["energy_tce"], d["emissions_tco2"]["total"]
            intensity = d["intensity_tco2_per_tce"]
            if intensity is None and tce is not None and tce > 0 and tco2 is not None:
                intensity = park_annex4.carbon_intensity_of_energy(tco2, tce)
            out[r.enterprise_id] = {"tce": tce, "tco2": tco2, "intensity": intensity}
        return out

    key = ("ranking", park.id, principal.tenant.enterprise_id, year, month)
    figures = overview_service.cached(store, _cache(request), key, compute)
    empty = {"tce": None, "tco2": None, "intensity": None}
    return [
        {"id": e.id, "code": e.code, "name": e.name, **figures.get(e.id, empty)}
        for e in enterprises
    ]


def ordered(found: list[dict[str, Any]], sort: str, order: str) -> list[dict[str, Any]]:
    """``found`` sorted by ``sort`` (``asc``/``desc``); rows without the figure last, in
    either order."""
    known = [r for r in found if r[sort] is not None]
    unknown = [r for r in found if r[sort] is None]
    known.sort(key=lambda r: (r[sort], r["code"]), reverse=order == "desc")
    return known + sorted(unknown, key=lambda r: r["code"])


def _choice(sort: str, order: str) -> tuple[str, str]:
    if sort not in SORTS:
        raise InvalidInput(f"sort: expected one of {', '.join(SORTS)}, got {sort[:40]!r}",
                           field="sort")  # fmt: skip
    if order not in ("asc", "desc"):
        raise InvalidInput(f"order: expected asc or desc, got {order[:40]!r}", field="order")
    return sort, order


@router.get("/ranking")
def ranking_page(
    request: Request,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    sort: Annotated[str, Query(max_length=16)] = "tce",
    order: Annotated[str, Query(max_length=4)] = "desc",
) -> Response:
    """The ranking of the enterprises in scope for a month or a year, sorted by ``sort``."""

    def build(principal: Principal, lang: str) -> Response:
        chosen = _choice(sort, order)
        span = _span(request, principal, lang, period, start)
        table = ordered(rows(request, principal, span), *chosen)
        return _render(
            request, "ranking.html", lang, principal, rows=table, span=span,
            sort=chosen[0], order=chosen[1], columns=SORTS, period_kinds=KINDS,
            period_extra={"sort": chosen[0], "order": chosen[1]},
            w=lambda k: words(k, lang),
        )  # fmt: skip

    return _page(request, build)


def workbook(table: list[dict[str, Any]], span: periods.Span, lang: str) -> bytes:
    """The ranking as an .xlsx workbook (headers in ``lang``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "ranking" if lang == "en" else "企业排名"
    ws.append([words("ranking", lang), span.label(lang)])
    ws.append([words(k, lang) for k in ("rank", "code", "name", "tce", "tco2", "intensity")])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for i, r in enumerate(table, start=1):
        ws.append([i, r["code"], r["name"], r["tce"], r["tco2"], r["intensity"]])
    for col, width in zip("ABCDEF", (6, 12, 30, 22, 20, 24), strict=True):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@router.get("/ranking/export")
def ranking_export(
    request: Request,
    period: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    sort: Annotated[str, Query(max_length=16)] = "tce",
    order: Annotated[str, Query(max_length=4)] = "desc",
    lang: Annotated[str, Query(pattern="^(zh-CN|en)$")] = "zh-CN",
) -> Response:
    """The ranking as an Excel workbook, headers in Chinese (``lang=en``: English)."""

    def build(principal: Principal, page_lang: str) -> Response:
        chosen = _choice(sort, order)
        span = _span(request, principal, page_lang, period, start)
        table = ordered(rows(request, principal, span), *chosen)
        name = f"{'ranking' if lang == 'en' else '企业排名'}-{span.start_text}.xlsx"
        return Response(
            workbook(table, span, lang),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "no-store",
            },
        )

    return _page(request, build)
