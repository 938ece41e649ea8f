"""The waste pages (危险废物): the ledger — streams, the storage status with each batch's days
to the limit (one year, or an approved extension's last day with its 批准文号), the year's
balance —, the transfer manifests, and the exchange board.
Read through :mod:`lingtan.waste` with the user's principal, like ``/api/v1/waste``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from lingtan.errors import Conflict, InvalidInput
from lingtan.identity.roles import Principal
from lingtan.waste import exchange_service, service, transfers
from lingtan.waste import manifests as mf
from lingtan.waste.model import KIND_ZH
from lingtan.web.admin_pages import _check
from lingtan.web.routes import _page, _redirect, _render, _store

router = APIRouter(include_in_schema=False)

#: the pages' own words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "waste": ("危险废物台账", "Hazardous-waste ledger"),
    "intro": (
        "产生、贮存、转移、自行利用处置的台账（HJ 1259-2022）；贮存期限不得超过一年，经批准延期的"
        "以批准的期限为准（固废法第八十一条）",
        "Generation, storage, transfer and own use/disposal (HJ 1259-2022); storage at most one "
        "year, or until the day an approved extension permits (Solid Waste Law, art. 81)",
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
    "extension": ("延期批准", "Extension approved"),
    "statutory": ("法定期限", "Statutory limit"),
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
    "receive": ("确认接收", "Confirm the receipt"),
    "received_on": ("接收日期", "Received on"),
    "unit": ("单位", "Unit"),
    "line_received": ("实收量", "Received"),
    "approvals": ("跨省转移审批", "Cross-province transfer approvals"),
    "approval_no": ("批准文号", "Approval"),
    "enterprise": ("企业", "Enterprise"),
    "origin": ("移出地", "From"),
    "destination": ("接受地", "To"),
    "codes": ("废物类别/代码", "Categories / codes"),
    "valid": ("有效期", "Valid"),
    "errors": ("请更正以下错误", "Please correct the errors below"),
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


def _manifests(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    status_code: int = 200,
    errors: dict[int, str] | None = None,
    typed: dict[int, dict[str, str]] | None = None,
) -> Response:
    store = _store(request)
    items = transfers.list_manifests(store, principal=principal)
    codes = {
        e.id: e.code for e in store.registry.enterprises(service.ctx(store, principal).park_id)
    }
    return _render(
        request, "waste.html", lang, principal, status_code, tt=lambda k: tt(k, lang),
        tab="manifests", manifests=items, states=mf.STATE_ZH if lang == "zh-CN" else STATE_EN,
        receivable={m.id for m in items if transfers.may_receive(principal, m)},
        approvals=transfers.list_approvals(store, principal=principal), codes=codes,
        errors=errors or {}, typed=typed or {},
    )  # fmt: skip


@router.get("/waste/manifests")
def manifests_page(request: Request) -> Response:
    """The transfer manifests in the user's scope, the receipt form of those the user
    confirms (a receiver of the park, or the park office), and the cross-province approvals."""
    return _page(request, lambda p, lang: _manifests(request, p, lang))


@router.post("/waste/manifests/{manifest_id}/receive")
async def manifest_receive(request: Request, manifest_id: int) -> Response:
    """Record the receipt of a dispatched manifest: the quantity that arrived of each line
    (``received_0``, ``received_1``, … in ``unit``) and the day, as
    ``POST /api/v1/waste/manifests/{id}/transitions`` with ``action=receive`` does."""
    posted = await request.form(max_fields=200, max_files=0)
    form = {k: str(v)[:200] for k, v in posted.items()}

    def build(principal: Principal, lang: str) -> Response:
        _check(request, form.get("csrf", ""))
        store = _store(request)
        received: list[float] = []
        try:
            i = 0
            while f"received_{i}" in form:
                text = form[f"received_{i}"].strip()
                try:
                    received.append(float(text))
                except ValueError:
                    raise InvalidInput(
                        f"received_{i}: {text!r} is not a number", field=f"received_{i}"
                    ) from None
                i += 1
            transfers.transition(
                store, principal=principal, manifest_id=manifest_id, action="receive",
                at=form.get("at") or None, received=received, unit=form.get("unit", "t"),
            )  # fmt: skip
        except (InvalidInput, Conflict) as err:
            return _manifests(
                request, principal, lang, status_code=409 if isinstance(err, Conflict) else 422,
                errors={manifest_id: str(err)}, typed={manifest_id: form},
            )  # fmt: skip
        return _redirect(request, "/waste/manifests")

    return await run_in_threadpool(_page, request, build)


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
