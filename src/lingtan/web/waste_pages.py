"""The waste pages (危险废物): the ledger — streams, the storage status with each batch's days
to the one-year limit, the year's balance —, the transfer manifests, and the exchange board.
Read through :mod:`lingtan.waste` with the user's principal, like ``/api/v1/waste``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lingtan.identity.roles import Principal
from lingtan.waste import exchange_service, service, transfers
from lingtan.waste import manifests as mf
from lingtan.waste.model import KIND_ZH
from lingtan.web.routes import _page, _render, _store

router = APIRouter(include_in_schema=False)

#: the pages' own words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "waste": ("危险废物台账", "Hazardous-waste ledger"),
    "intro": (
        "产生、贮存、转移、自行利用处置的台账（HJ 1259-2022）；贮存期限不得超过一年（固废法第八十一条）",
        "Generation, storage, transfer and own use/disposal (HJ 1259-2022); storage at most one "
        "year (Solid Waste Law, art. 81)",
    ),
    "tab_ledger": ("台账", "Ledger"),
    "tab_manifests": ("转移联单", "Manifests"),
    "tab_exchange": ("固废交换", "Waste exchange"),
    "streams": ("废物", "Waste streams"),
    "name": ("名称", "Name"),
    "code": ("废物代码", "Waste code"),
    "category": ("类别", "Category"),
    "form": ("形态", "Form"),
    "hazard": ("危险特性", "Hazard"),
    "process": ("产生工序", "Process"),
    "storage": ("贮存状态", "Storage status"),
    "batch": ("批次", "Batch"),
    "facility": ("贮存设施", "Facility"),
    "quantity_t": ("数量 t", "Quantity t"),
    "stored_on": ("入库日期", "Stored on"),
    "deadline": ("贮存期限", "Deadline"),
    "days_left": ("剩余天数", "Days left"),
    "status": ("状态", "Status"),
    "ok": ("正常", "Within the limit"),
    "approaching": ("即将超期", "Approaching the limit"),
    "over": ("已超期", "Over the limit"),
    "balance": ("物料平衡", "Mass balance"),
    "year": ("年度", "Year"),
    "month": ("月份", "Month"),
    "generated": ("产生 t", "Generated t"),
    "transferred": ("转移 t", "Transferred t"),
    "own": ("自行利用处置 t", "Own use/disposal t"),
    "delta": ("库存变化 t", "Δ storage t"),
    "residual": ("差额 t", "Residual t"),
    "planned": ("计划 t", "Planned t"),
    "deviation": ("偏离度 %", "Deviation %"),
    "none": ("暂无记录", "Nothing recorded"),
    "manifests": ("转移联单", "Transfer manifests"),
    "number": ("联单号", "Manifest"),
    "receiver": ("接收单位", "Receiver"),
    "licence": ("许可证编号", "Licence"),
    "sent": ("发运量 t", "Sent t"),
    "received": ("接收量 t", "Received t"),
    "difference": ("差值 t", "Difference t"),
    "exchange": ("固废交换", "Waste exchange"),
    "listings": ("挂牌信息", "Listings"),
    "side": ("供需", "Side"),
    "offer": ("供", "Offer"),
    "want": ("需", "Want"),
    "material": ("物料", "Material"),
    "quantity": ("数量", "Quantity"),
    "period": ("期间", "Period"),
    "location": ("地点", "Location"),
    "matches": ("供需匹配", "Matches"),
    "deals": ("我的交易", "Deals"),
    "agreed_on": ("约定日", "Agreed"),
    "completed_on": ("完成日", "Completed"),
    "utilised": ("本年交换利用量 t", "Utilised through the exchange this year, t"),
    "deal_agreed": ("已约定", "Agreed"),
    "deal_completed": ("已完成", "Completed"),
    "deal_cancelled": ("已取消", "Cancelled"),
}
STATE_EN = {"draft": "Draft", "dispatched": "Dispatched", "received": "Received",
            "closed": "Closed", "cancelled": "Cancelled"}  # fmt: skip


def tt(key: str, lang: str) -> str:
    """The pages' text of ``key`` in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


@router.get("/waste")
def ledger_page(
    request: Request, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> Response:
    """Streams, storage with time to the limit, and the year's balance."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        chosen = year or dt.datetime.now(service.ctx(store, principal).tz).year
        return _render(
            request, "waste.html", lang, principal, tt=lambda k: tt(k, lang), tab="ledger",
            streams=service.list_streams(store, principal=principal),
            storage=service.storage_status(store, principal=principal),
            balance=service.balance(store, principal=principal, year=chosen), year=chosen,
            kinds=KIND_ZH,
        )  # fmt: skip

    return _page(request, build)


@router.get("/waste/manifests")
def manifests_page(request: Request) -> Response:
    """The transfer manifests in the user's scope."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        items = transfers.list_manifests(store, principal=principal)
        states = mf.STATE_ZH if lang == "zh-CN" else STATE_EN
        return _render(
            request, "waste.html", lang, principal, tt=lambda k: tt(k, lang), tab="manifests",
            manifests=items, states=states,
        )  # fmt: skip

    return _page(request, build)


@router.get("/waste/exchange")
def exchange_page(request: Request) -> Response:
    """The park's exchange board: open listings, matches and the user's deals."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        this_year = dt.datetime.now(service.ctx(store, principal).tz).year
        return _render(
            request, "waste.html", lang, principal, tt=lambda k: tt(k, lang), tab="exchange",
            listings=exchange_service.list_listings(store, principal=principal),
            matches=exchange_service.list_matches(store, principal=principal),
            deals=exchange_service.list_deals(store, principal=principal),
            utilised=exchange_service.utilisation(store, principal=principal, year=this_year),
        )  # fmt: skip

    return _page(request, build)
