"""The outbox page (对外交换 · 发件箱): every message the park sends out — alarm notifications,
event webhooks, uploads to the provincial online-monitoring platform — with its destination,
state, attempts, last error and the destination's acknowledgement, and a retry button.
Read and retried through the same service functions as ``/api/v1/alarms/deliveries``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from lingtan.alarms.notify.model import EVENT_LABELS
from lingtan.api.common import PageParams
from lingtan.api.notify import service
from lingtan.errors import PermissionDenied
from lingtan.identity.roles import Permission, Principal
from lingtan.web import session
from lingtan.web.routes import _page, _redirect, _render, _store

router = APIRouter(include_in_schema=False)

#: the page's words (zh-CN, en)
TEXT: dict[str, tuple[str, str]] = {
    "title": ("对外交换 · 发件箱", "Outbound exchange · outbox"),
    "intro": (
        "告警通知、事件推送和省级能耗在线监测上传都经同一发件箱投递：失败自动退避重试，上传在平台恢复前不会放弃",
        "Alarm notifications, event webhooks and provincial online-monitoring uploads all leave "
        "through one outbox: failures are retried with back-off; uploads are never given up",
    ),
    "all": ("全部", "All"),
    "pending": ("待投递", "Pending"),
    "delivered": ("已送达", "Delivered"),
    "failed": ("失败", "Failed"),
    "channel": ("目的地", "Destination"),
    "event": ("事件", "Event"),
    "kind": ("类型", "Kind"),
    "state": ("状态", "State"),
    "attempts": ("尝试次数", "Attempts"),
    "created": ("生成时间", "Created"),
    "error": ("最近错误", "Last error"),
    "ack": ("对方回执", "Acknowledgement"),
    "retry": ("重试", "Retry"),
    "none": ("暂无消息", "No messages"),
    "see": ("查看", "see"),
    "acked": ("已回执", "acknowledged"),
    "total": ("共 {n} 条", "{n} in all"),
}
KIND_ZH = {
    "ecm": "能耗在线监测上传",
    "region": "区域平台上传",
    "report": "报告事件",
    "accounting": "核算事件",
    "test": "测试消息",
}
#: events that are not alarm events (alarm events are worded by the notification model)
EVENT_ZH = {
    "report.ready": "报告已生成",
    "accounting.ready": "核算结果已生成",
    "upload": "数据上传",
}


def event_name(event: str, lang: str) -> str:
    """An outbox row's event in ``lang`` (zh-CN: its Chinese name)."""
    if lang != "zh-CN":
        return event
    return EVENT_ZH.get(event) or EVENT_LABELS["zh-CN"].get(event, event)


PAGE_SIZE = 100


def tt(key: str, lang: str) -> str:
    """The page's text of ``key`` in ``lang``."""
    zh, en = TEXT[key]
    return zh if lang == "zh-CN" else en


@router.get("/exchange")
def outbox_page(
    request: Request,
    state: Annotated[str | None, Query(pattern=r"^(pending|delivered|failed)$")] = None,
) -> Response:
    """The outbox rows in the user's scope, newest first (the latest hundred)."""

    def build(principal: Principal, lang: str) -> Response:
        rows, total = service.list_deliveries(
            _store(request),
            principal=principal,
            state=state,
            page=PageParams(limit=PAGE_SIZE, offset=0),
        )
        return _render(
            request, "exchange.html", lang, principal, tt=lambda k: tt(k, lang), rows=rows,
            total=total, state=state, can_write=principal.can(Permission.WRITE),
            kind_name=lambda k: KIND_ZH.get(k, "告警通知") if lang == "zh-CN" else k,
            event_name=lambda e: event_name(e, lang),
        )  # fmt: skip

    return _page(request, build)


@router.post("/exchange/deliveries/{delivery_id}/retry")
def outbox_retry(
    request: Request, delivery_id: int, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Send a failed or pending message again now (audited), as the API's retry does."""

    def build(principal: Principal, lang: str) -> Response:
        if not session.csrf_ok(request, csrf):
            raise PermissionDenied("invalid form token")
        service.retry_delivery(_store(request), principal=principal, delivery_id=delivery_id)
        notifier = getattr(request.app.state, "notifier", None)
        if notifier is not None:
            notifier.poke()
        return _redirect(request, "/exchange")

    return _page(request, build)
