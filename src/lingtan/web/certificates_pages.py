"""The certificates page (绿证与绿电交易): the 绿证 in the user's scope and their retirements,
with the forms to import a certificate file, retire certificates (核销) and record a green-power
trade settlement (绿电交易结算).

The same functions as ``/api/v1/certificates`` (:mod:`lingtan.greenpower.service`: the caller's
scope, the ledger's rules, the audited writes) and the API's request model for a retirement;
every form carries the session's CSRF token and is refused without it. Invalid input shows the
form again with the error at its field (422; a conflict with the ledger, 409).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from lingtan.api.certificates.router import MAX_FILE, MonthText, RetireRequest
from lingtan.api.common import MAX_ID
from lingtan.errors import Conflict, InvalidInput, PermissionDenied
from lingtan.greenpower import service as greenpower
from lingtan.greenpower.ledger import Month, Period
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo
from lingtan.web import session
from lingtan.web.records_pages import field_errors, form_enterprise
from lingtan.web.routes import _page, _redirect, _render, _store

router = APIRouter(include_in_schema=False)

#: the page's own words (zh-CN, en)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "certificates": ("绿证与绿电交易", "Certificates and trades"),
    "intro": (
        "本范围持有或为本范围核销的绿证（1 张 = 1000 kWh）；导入证书文件、核销绿证、登记绿电交易结算均记入审计日志",
        "Green certificates held by or retired for your scope (1 certificate = 1,000 kWh); "
        "imports, retirements and settlements are written to the audit log",
    ),
    "import": ("导入证书文件", "Import a certificate file"),
    "file": ("文件（CSV、Excel 或 JSON）", "File (CSV, Excel or JSON)"),
    "holder": ("持有方", "Holder"),
    "claimant": ("核销对象", "Claimant"),
    "buyer": ("购电方", "Buyer"),
    "park": ("园区", "Park"),
    "retire": ("核销绿证", "Retire certificates"),
    "cert_ids": ("证书编号（每行一个，或在下表勾选）", "Certificate numbers (one a line, or tick below)"),
    "period_start": ("起始月份", "First month"),
    "period_end": ("截止月份", "Last month"),
    "retired_on": ("核销日期", "Retired on"),
    "settle": ("登记绿电交易结算", "Record a green-power trade settlement"),
    "settlement_id": ("结算单号", "Settlement number"),
    "month": ("结算月份", "Month"),
    "kwh": ("结算电量 (kWh)", "Electricity settled (kWh)"),
    "seller": ("售电项目", "Seller project"),
    "price": ("结算电价（元/kWh，可选）", "Price (CNY/kWh, optional)"),
    "settle_certs": ("随交易划转的证书编号（可选）", "Certificates carried (optional)"),
    "save": ("提交", "Submit"),
    "list": ("绿证", "Certificates"),
    "cert_id": ("证书编号", "Number"),
    "project": ("项目", "Project"),
    "production_month": ("生产年月", "Produced"),
    "valid_until": ("有效期至", "Valid until"),
    "status": ("状态", "Status"),
    "available": ("可用", "available"),
    "retired": ("已核销", "retired"),
    "expired": ("已过期", "expired"),
    "retirements": ("核销记录", "Retirements"),
    "period": ("消费期间", "Consumption period"),
    "settlement": ("结算单", "Settlement"),
    "none": ("暂无", "None"),
    "errors": ("请更正以下错误", "Please correct the errors below"),
    "imported": ("已导入：新增 {added} 张，已有 {unchanged} 张", "Imported: {added} added, {unchanged} already held"),
    "retired_n": ("已核销 {n} 张绿证", "{n} certificates retired"),
    "settled": ("已登记结算 {id}", "Settlement {id} recorded"),
    "select": ("选择", "Select"),
    "settlements": ("{year} 年绿电交易结算", "Green-power trade settlements of {year}"),
    "year": ("年份", "Year"),
    "show": ("查看", "Show"),
    "price_col": ("结算电价 元/kWh", "Price CNY/kWh"),
    "amount": ("金额 元", "Amount CNY"),
    "certs_n": ("随附绿证（张）", "Certificates carried"),
    "unpriced": ("未标价", "no price"),
    "total": ("合计", "Total"),
    "unpriced_note": ("合计金额不含未标价的结算", "the total amount leaves out settlements without a price"),
}  # fmt: skip


def words(key: str, lang: str) -> str:
    """A word of this page in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


class SettleForm(BaseModel):
    """A green-power trade settlement as the form gives it (the CLI's ``settle`` options)."""

    settlement_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.\-/]+$")
    month: MonthText
    kwh: float = Field(ge=0, le=1e12)
    seller_project: str = Field(min_length=1, max_length=200)
    cert_ids: list[Annotated[str, Field(pattern=r"^\d{32}$")]] = Field(
        default=[], max_length=10_000
    )
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    price: float | None = Field(default=None, ge=0)


def _ids(text: str, ticked: list[str]) -> list[str]:
    """Certificate numbers from a text (lines, commas, spaces) and the ticked boxes."""
    found = [p for p in re.split(r"[\s,，;；]+", text) if p]
    return list(dict.fromkeys([*ticked, *found]))


def _list_name(loc: list[str]) -> str | None:
    return "cert_ids" if loc and loc[0] == "cert_ids" else None


def _listing(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    status_code: int = 200,
    which: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    done: str | None = None,
    year: int | None = None,
) -> Response:
    require(principal, Permission.READ)
    store = _store(request)
    certificates = greenpower.list_certificates(
        store, enterprise_scope=principal.enterprise_id, park_id=principal.park_id
    )
    retirements = greenpower.list_retirements(
        store, enterprise_scope=principal.enterprise_id, park_id=principal.park_id
    )
    settlements = _settlements(store, principal, year)
    enterprises = (
        QueryRepo(store).enterprises(
            tenant=principal.tenant, park_id=store.registry.park(principal.park_id).id
        )[0]
        if principal.enterprise_id is None
        else []
    )
    return _render(
        request, "certificates.html", lang, principal, status_code,
        certificates=[c.as_dict() for c in certificates],
        retirements=[greenpower.retirement_dict(r) for r in retirements],
        settlements=settlements, enterprises=enterprises, can_write=principal.can(Permission.WRITE), which=which,
        errors=errors or {}, form=form or {}, done=done, w=lambda k: words(k, lang),
    )  # fmt: skip


def _settlements(store: Store, principal: Principal, year: int | None) -> dict[str, Any]:
    """The year's green-power trade settlements in the user's scope (read-only): ``year``, else
    the year of the latest settlement, else the park's current year; each with its amount
    (kWh × settled price; none without a price, never 0) and the year's totals."""
    every = greenpower.list_settlements(
        store, enterprise_scope=principal.enterprise_id, park_id=principal.park_id
    )
    if year is None:
        year = max((t.month.year for t in every), default=None)
    if year is None:
        park = store.registry.park(principal.park_id)
        year = dt.datetime.now(ZoneInfo(park.timezone)).year
    rows = [
        {
            "settlement_id": t.settlement_id, "month": str(t.month), "buyer": t.buyer,
            "seller_project": t.seller_project, "kwh": t.kwh, "price": t.price,
            "amount": None if t.price is None else t.kwh * t.price, "certs": len(t.cert_ids),
        }
        for t in every
        if t.month.year == year
    ]  # fmt: skip
    return {
        "year": year, "rows": rows, "kwh": sum(r["kwh"] for r in rows),
        "amount": sum(r["amount"] for r in rows if r["amount"] is not None),
        "unpriced": any(r["amount"] is None for r in rows),
    }  # fmt: skip


def _failed(
    request: Request, principal: Principal, lang: str, which: str, err: Exception,
    form: dict[str, Any], name_of: Any = None,
) -> Response:  # fmt: skip
    """The page again with ``err`` at its field (422; 409 for a conflict with the ledger)."""
    if isinstance(err, ValidationError):
        errors, code = field_errors(err, lang, name_of), 422
    elif isinstance(err, Conflict):
        errors, code = {"body": str(err)}, 409
    else:
        assert isinstance(err, InvalidInput)
        errors, code = {err.field or "body": str(err)}, 422
    return _listing(
        request, principal, lang, status_code=code, which=which, errors=errors, form=form
    )


@router.get("/certificates")
def certificates_page(
    request: Request,
    added: Annotated[int | None, Query(ge=0, le=10**6)] = None,
    unchanged: Annotated[int, Query(ge=0, le=10**6)] = 0,
    retired: Annotated[int | None, Query(ge=0, le=10**6)] = None,
    settled: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.\-/]+$")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    """The certificates and retirements in the user's scope, and the forms (with what the
    last write did)."""

    def build(principal: Principal, lang: str) -> Response:
        done = None
        if added is not None:
            done = words("imported", lang).format(added=added, unchanged=unchanged)
        elif retired is not None:
            done = words("retired_n", lang).format(n=retired)
        elif settled is not None:
            done = words("settled", lang).format(id=settled)
        return _listing(request, principal, lang, done=done, year=year)

    return _page(request, build)


@router.post("/certificates/import")
async def certificates_import(
    request: Request,
    file: Annotated[UploadFile | None, File()] = None,
    enterprise_id: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Import a certificate file for the park or an enterprise (write permission; an
    enterprise user for itself only): all or nothing, idempotent."""
    content = b"" if file is None else await file.read(MAX_FILE + 1)
    name = (file.filename if file is not None else None) or ""

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        require(principal, Permission.WRITE)
        form = {"enterprise_id": enterprise_id}
        try:
            if not content or not name:
                raise InvalidInput("choose a certificate file", field="file")
            if len(content) > MAX_FILE:
                raise InvalidInput(f"the file is larger than {MAX_FILE} bytes", field="file")
            chosen = form_enterprise(enterprise_id)
            if isinstance(chosen, str):
                raise InvalidInput(
                    "holder: choose the park or an enterprise", field="enterprise_id"
                )
            report = greenpower.import_certificate_file(
                _store(request), content=content, filename=name,
                enterprise_id=chosen if chosen is not None else principal.enterprise_id,
                enterprise_scope=principal.enterprise_id, actor=principal.actor,
                park_id=principal.park_id,
            )  # fmt: skip
        except (InvalidInput, Conflict) as err:
            return _failed(request, principal, lang, "import", err, form)
        return _redirect(
            request, f"/certificates?added={len(report.added)}&unchanged={len(report.unchanged)}"
        )

    return await run_in_threadpool(_page, request, build)


@router.post("/certificates/retire")
def certificates_retire(
    request: Request,
    cert_ids: Annotated[str, Form(max_length=400_000)] = "",
    cert_id: Annotated[list[str] | None, Form()] = None,
    period_start: Annotated[str, Form(max_length=10)] = "",
    period_end: Annotated[str, Form(max_length=10)] = "",
    enterprise_id: Annotated[str, Form(max_length=20)] = "",
    retired_on: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Retire certificates for a claimant's consumption in a period of whole months (all or
    none; never twice, never expired, never beyond the claimant's grid electricity)."""
    # the certificates ticked in the list are kept too: a refused form shows them ticked
    form = {
        "cert_ids": cert_ids, "period_start": period_start, "period_end": period_end,
        "enterprise_id": enterprise_id, "retired_on": retired_on, "ticked": cert_id or [],
    }  # fmt: skip

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        require(principal, Permission.WRITE)
        data: dict[str, Any] = {
            "cert_ids": _ids(cert_ids, cert_id or []),
            "period_start": period_start.strip(),
            "period_end": period_end.strip(),
            "enterprise_id": form_enterprise(enterprise_id),
        }
        if retired_on.strip():
            data["retired_on"] = retired_on.strip()
        try:
            body = RetireRequest(**data)
            claimant = (
                body.enterprise_id if body.enterprise_id is not None else principal.enterprise_id
            )
            done = greenpower.retire_certificates(
                _store(request), cert_ids=body.cert_ids,
                period=Period(Month.parse(body.period_start), Month.parse(body.period_end)),
                enterprise_id=claimant, enterprise_scope=principal.enterprise_id,
                retired_on=body.retired_on, actor=principal.actor, park_id=principal.park_id,
            )  # fmt: skip
        except (ValidationError, InvalidInput, Conflict) as err:
            return _failed(request, principal, lang, "retire", err, form, _list_name)
        return _redirect(request, f"/certificates?retired={len(done)}")

    return _page(request, build)


@router.post("/certificates/settle")
def certificates_settle(
    request: Request,
    settlement_id: Annotated[str, Form(max_length=100)] = "",
    month: Annotated[str, Form(max_length=10)] = "",
    kwh: Annotated[str, Form(max_length=40)] = "",
    seller_project: Annotated[str, Form(max_length=400)] = "",
    cert_ids: Annotated[str, Form(max_length=400_000)] = "",
    enterprise_id: Annotated[str, Form(max_length=20)] = "",
    price: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record a green-power trade settlement of the buyer for one month; its certificates
    (imported first, held by the buyer) are retired for the buyer and the month."""
    form = {
        "settlement_id": settlement_id, "month": month, "kwh": kwh,
        "seller_project": seller_project, "cert_ids": cert_ids, "enterprise_id": enterprise_id,
        "price": price,
    }  # fmt: skip

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        require(principal, Permission.WRITE)
        data: dict[str, Any] = {
            k: v.strip() for k, v in form.items() if v.strip() and k not in ("cert_ids",)
        }
        data["cert_ids"] = _ids(cert_ids, [])
        data["enterprise_id"] = form_enterprise(enterprise_id)
        try:
            body = SettleForm(**data)
            buyer = (
                body.enterprise_id if body.enterprise_id is not None else principal.enterprise_id
            )
            greenpower.record_settlement(
                _store(request), settlement_id=body.settlement_id, month=Month.parse(body.month),
                kwh=body.kwh, seller_project=body.seller_project, cert_ids=body.cert_ids,
                enterprise_id=buyer, enterprise_scope=principal.enterprise_id,
                actor=principal.actor, park_id=principal.park_id, price=body.price,
            )  # fmt: skip
        except (ValidationError, InvalidInput, Conflict) as err:
            return _failed(request, principal, lang, "settle", err, form, _list_name)
        return _redirect(request, f"/certificates?settled={quote(body.settlement_id)}")

    return _page(request, build)
