"""The statistics records page (统计台账): the non-metered records four of the 1+5 indicators
depend on (solid waste, waste heat, water, product output), listed with their history, entered
and corrected on screen.

The same functions as ``/api/v1/records`` (:mod:`lingtan.api.records.router`: the caller's
scope, the request models' validation, the audited store writes); every form carries the
session's CSRF token and is refused without it. A correction is a new record superseding the
old one, which stays visible in the history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from lingtan.api.records.router import (
    RecordCorrection,
    RecordCreate,
    add_in_scope,
    count_in_scope,
    list_in_scope,
)
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators import records
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo
from lingtan.web import session
from lingtan.web.routes import _page, _redirect, _render, _store

router = APIRouter(include_in_schema=False)

#: the page's own words (zh-CN, en)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "records": ("统计台账", "Statistics records"),
    "intro": (
        "非计量的统计数据（固废、余热、用水、产品产量）及其来源凭证；更正即新增一条记录取代原记录，原记录保留可查",
        "Statistics not metered (solid waste, waste heat, water, product output) with their "
        "source documents; a correction is a new record superseding the old one, which is kept",
    ),
    "new": ("新增记录", "New record"),
    "owner": ("所属", "Owner"),
    "park": ("园区", "Park"),
    "category": ("类别", "Category"),
    "item": ("项目", "Item"),
    "from": ("起始日期", "From"),
    "to": ("截止日期", "To"),
    "quantity": ("数量", "Quantity"),
    "unit": ("单位", "Unit"),
    "document": ("来源凭证", "Source document"),
    "note": ("备注", "Note"),
    "save": ("保存", "Save"),
    "correct": ("更正", "Correct"),
    "entered": ("录入", "Entered"),
    "status": ("状态", "Status"),
    "current": ("现行", "current"),
    "superseded": ("已被 #{id} 取代", "superseded by #{id}"),
    "corrects": ("更正 #{id}", "corrects #{id}"),
    "history": ("显示历史版本", "Show history"),
    "all": ("全部", "All"),
    "year": ("年份", "Year"),
    "filter": ("筛选", "Filter"),
    "none": ("暂无记录", "No records"),
    "errors": ("请更正以下错误", "Please correct the errors below"),
    "saved": ("已保存记录 #{id}", "Record #{id} saved"),
    "shown": (
        "第 {first}–{last} 条，共 {total} 条（最新在前）",
        "{first}–{last} of {total}, newest first",
    ),
    "newer": ("较新", "Newer"),
    "older": ("较早", "Older"),
}

#: records shown per page (the demo park has over a thousand: all of them made a 1.4 MB page
#: that took 150–370 ms to render)
PAGE_SIZE: Final = 100


def words(key: str, lang: str) -> str:
    """A word of this page in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


#: the request models' error kinds in Chinese (pydantic's own messages are English)
_ZH_ERRORS: Final[dict[str, str]] = {
    "missing": "必填",
    "float_parsing": "请输入数字",
    "float_type": "请输入数字",
    "int_parsing": "请输入整数",
    "greater_than": "须大于 {gt}",
    "less_than": "须小于 {lt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "date_parsing": "请输入日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "请输入日期（YYYY-MM-DD）",
    "string_pattern_mismatch": "格式不符",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
}


def field_errors(
    err: ValidationError,
    lang: str,
    name_of: Callable[[list[str]], str | None] | None = None,
) -> dict[str, str]:
    """The request model's errors by field (the first message of each), in ``lang``;
    ``name_of`` maps an error's location to the form's field name where the form does not
    name its fields after the model (None: the location's first part)."""
    out: dict[str, str] = {}
    for e in err.errors():
        loc = [str(x) for x in e["loc"]]
        name = (name_of(loc) if name_of else None) or (loc[0] if loc else "body")
        zh = _ZH_ERRORS.get(e["type"]) if lang == "zh-CN" else None
        ctx = {k: str(v) for k, v in (e.get("ctx") or {}).items()}
        try:
            text = zh.format(**ctx) if zh else e["msg"]
        except KeyError:
            text = e["msg"]
        out.setdefault(name, text)
    return out


def form_enterprise(text: str) -> int | str | None:
    """An enterprise id chosen in a form's select (``""``: the park); a non-number stays text
    for the request model to refuse with its field named."""
    text = text.strip()
    return None if not text else int(text) if text.isdigit() else text


def _blank(text: str) -> str | None:
    return text.strip() or None


def _listing(
    request: Request,
    principal: Principal,
    lang: str,
    *,
    category: str | None,
    year: int | None,
    history: bool,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    correcting: int | None = None,
    saved: int | None = None,
    page: int = 1,
) -> Response:
    store = _store(request)
    rows, paging = _page_of(
        store, principal, category=category, year=year, history=history, page=page,
        focus=correcting or saved,
    )  # fmt: skip
    enterprises = (
        QueryRepo(store).enterprises(
            tenant=principal.tenant, park_id=store.registry.park(principal.park_id).id
        )[0]
        if principal.enterprise_id is None
        else []
    )
    names = {e.id: e.name for e in enterprises}
    if principal.enterprise_id is not None:
        names[principal.enterprise_id] = (
            QueryRepo(store)
            .enterprise(tenant=principal.tenant, enterprise_id=principal.enterprise_id)
            .name
        )
    short = "zh" if lang == "zh-CN" else "en"
    return _render(
        request, "records.html", lang, principal, status_code,
        rows=rows, enterprises=enterprises, names=names, categories=records.CATEGORIES,
        short=short, chosen={"category": category or "", "year": year, "history": history},
        can_write=principal.can(Permission.WRITE), errors=errors or {}, form=form or {},
        correcting=correcting, saved=saved, w=lambda k: words(k, lang), paging=paging,
    )  # fmt: skip


def _page_of(
    store: Store,
    principal: Principal,
    *,
    category: str | None,
    year: int | None,
    history: bool,
    page: int,
    focus: int | None,
) -> tuple[list[Any], dict[str, int]]:
    """One page of the records (newest first): page ``page``, or the page holding the record
    ``focus`` (one being corrected or just saved). Only that page is read: counted and paged
    in the database."""
    args: dict[str, Any] = {
        "principal": principal, "enterprise_id": None, "category": category, "year": year,
        "include_history": history,
    }  # fmt: skip
    total = count_in_scope(store, **args)
    pages = max(1, -(-total // PAGE_SIZE))
    if focus is not None and count_in_scope(store, **args, record_id=focus):
        page = count_in_scope(store, **args, newer_than=focus) // PAGE_SIZE + 1
    page = min(max(page, 1), pages)
    first = (page - 1) * PAGE_SIZE
    rows = list_in_scope(store, **args, newest_first=True, limit=PAGE_SIZE, offset=first)
    return rows, {
        "page": page, "pages": pages, "total": total, "first": first + 1 if rows else 0,
        "last": first + len(rows),
    }  # fmt: skip


@router.get("/records")
def records_page(
    request: Request,
    category: Annotated[str, Query(max_length=32)] = "",
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    history: bool = False,
    saved: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The records in the user's scope, newest first, ``PAGE_SIZE`` a page, with filters, the
    entry form and corrections."""

    def build(principal: Principal, lang: str) -> Response:
        chosen = category if category in records.CATEGORIES else None
        return _listing(
            request,
            principal,
            lang,
            category=chosen,
            year=year,
            history=history,
            saved=saved,
            page=page,
        )

    return _page(request, build)


@router.post("/records")
def records_submit(
    request: Request,
    category: Annotated[str, Form(max_length=32)] = "",
    item: Annotated[str, Form(max_length=100)] = "",
    period_start: Annotated[str, Form(max_length=20)] = "",
    period_end: Annotated[str, Form(max_length=20)] = "",
    quantity: Annotated[str, Form(max_length=40)] = "",
    unit: Annotated[str, Form(max_length=40)] = "",
    source_document: Annotated[str, Form(max_length=400)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    enterprise_id: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Enter a record (write permission; an enterprise user for its own enterprise only).
    Invalid input shows the form again with each error at its field (422)."""
    form = {
        "category": category, "item": item, "period_start": period_start,
        "period_end": period_end, "quantity": quantity, "unit": unit,
        "source_document": source_document, "note": note, "enterprise_id": enterprise_id,
    }  # fmt: skip

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        require(principal, Permission.WRITE)
        data: dict[str, Any] = {k: v.strip() for k, v in form.items() if v.strip()}
        try:
            body = RecordCreate(**data)
            record = add_in_scope(_store(request), principal=principal, body=body)
        except ValidationError as err:
            errors = field_errors(err, lang)
        except InvalidInput as err:
            errors = {err.field or "body": str(err)}
        else:
            return _redirect(request, f"/records?saved={record.id}")
        return _listing(
            request, principal, lang, category=None, year=None, history=False,
            status_code=422, errors=errors, form=form,
        )  # fmt: skip

    return _page(request, build)


@router.post("/records/{record_id}/corrections")
def records_correct(
    request: Request,
    record_id: int,
    quantity: Annotated[str, Form(max_length=40)] = "",
    unit: Annotated[str, Form(max_length=40)] = "",
    source_document: Annotated[str, Form(max_length=400)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Correct a current record: a new record supersedes it (audited); errors shown at the
    record's row (422)."""
    form = {"quantity": quantity, "unit": unit, "source_document": source_document, "note": note}

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        require(principal, Permission.WRITE)
        if not 1 <= record_id <= 2**53:
            raise NotFound("record not found")
        store = _store(request)
        data: dict[str, Any] = {k: v.strip() for k, v in form.items() if v.strip()}
        try:
            body = RecordCorrection(**data)
            record = records.correct_record(
                store, record_id=record_id, quantity=body.quantity, unit=body.unit,
                source_document=body.source_document, entered_by=principal.actor,
                note=body.note, scope=principal.enterprise_id,
            )  # fmt: skip
        except ValidationError as err:
            errors = field_errors(err, lang)
        except InvalidInput as err:
            errors = {err.field or "body": str(err)}
        else:
            return _redirect(request, f"/records?saved={record.id}&history=true")
        return _listing(
            request, principal, lang, category=None, year=None, history=False,
            status_code=422, errors=errors, form=form, correcting=record_id,
        )  # fmt: skip

    return _page(request, build)
