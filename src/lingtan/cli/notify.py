"""``lingtan alarms channels|channel-add|deliver``: notification channels (通知渠道) and
delivering due notifications now (docs/alarms-notifications.md).

The commands run as the system on the local store (``LINGTAN_DATABASE_URL``), with the SMTP
and retry settings of the environment (``LINGTAN_SMTP_*``, ``LINGTAN_NOTIFY_*``).
:func:`register_notify` adds them to the ``alarms`` group the alarm engine owns.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from lingtan.cli._common import (
    ParkOption,
    console,
    domain_errors,
    enterprise_id_of,
    park_of,
    settings,
)
from lingtan.cli.data import open_configured
from lingtan.store.query_repo import Tenant

Lang = Annotated[str, typer.Option("--lang", help="zh | en (output language / 输出语言)")]

_COLUMNS = {
    "zh": ("编码", "名称", "类型", "目标", "最低级别", "所属企业", "告警类型", "启用"),
    "en": (
        "code",
        "name",
        "kind",
        "target",
        "min severity",
        "enterprise",
        "alarm kinds",
        "enabled",
    ),
}
_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "通知渠道",
        "all": "全部",
        "park": "园区",
        "yes": "是",
        "no": "否",
        "created": "已创建通知渠道 {code}（编号 {id}）",
        "secret": "Webhook 签名密钥（只显示这一次，请妥善保存）：{secret}",
        "delivered": "已送达 {delivered} 条，待重试 {retried} 条，失败 {failed} 条",
        "lost": "另有 {lost} 条的租约已被其他进程接管",
    },
    "en": {
        "title": "notification channels",
        "all": "all",
        "park": "park",
        "yes": "yes",
        "no": "no",
        "created": "created channel {code} (id {id})",
        "secret": "webhook signing secret (shown this once only; keep it safe): {secret}",
        "delivered": "{delivered} delivered, {retried} to retry, {failed} failed",
        "lost": "{lost} more were taken over by another process (lease expired)",
    },
}
_KINDS = {"zh": {"webhook": "Webhook", "email": "电子邮件"}, "en": {}}
_SEVERITY = {
    "zh": {"hint": "提示", "minor": "一般", "major": "重要", "critical": "紧急"},
    "en": {},
}


def _lang(lang: str) -> str:
    return "en" if lang.lower().startswith("en") else "zh"


def channels(
    park: ParkOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
    lang: Lang = "zh",
) -> None:
    """List the notification channels (secrets are never shown)."""
    from lingtan.alarms.notify.service import public_channel

    lg = _lang(lang)
    t = _TEXT[lg]
    with domain_errors(), open_configured() as store:
        p = park_of(store, park)
        rows = store.outbox.channels(tenant=Tenant.park_wide(), park_id=p.id)
        names = {e.id: e.name for e in store.registry.enterprises(p.id)}
    if as_json:
        console.print_json(json.dumps([public_channel(c) for c in rows], ensure_ascii=False))
        return
    table = Table(title=t["title"])
    for col in _COLUMNS[lg]:
        table.add_column(col)
    for c in rows:
        table.add_row(
            c.code,
            c.name,
            _KINDS[lg].get(c.kind, c.kind),
            c.target if isinstance(c.target, str) else ", ".join(c.target),
            _SEVERITY[lg].get(c.min_severity, c.min_severity),
            t["park"] if c.enterprise_id is None else names.get(c.enterprise_id, ""),
            t["all"] if c.kinds is None else ", ".join(sorted(c.kinds)),
            t["yes"] if c.enabled else t["no"],
        )
    console.print(table)


def channel_add(
    code: Annotated[str, typer.Argument(help="channel code / 渠道编码")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="webhook | email | ecm (provincial online monitoring) | region (a regional lingtan)",
        ),
    ],
    target: Annotated[
        list[str],
        typer.Option("--target", help="the webhook URL, or an e-mail address (repeatable)"),
    ],
    name: Annotated[str | None, typer.Option("--name", help="name (default: the code)")] = None,
    min_severity: Annotated[
        str, typer.Option("--min-severity", help="hint | minor | major | critical")
    ] = "major",
    enterprise: Annotated[
        str | None,
        typer.Option("--enterprise", help="code or id: only that enterprise's alarms"),
    ] = None,
    alarm_kind: Annotated[
        list[str] | None,
        typer.Option("--alarm-kind", help="only alarms of this rule kind (repeatable)"),
    ] = None,
    channel_lang: Annotated[
        str, typer.Option("--channel-lang", help="zh-CN | en: the language of its e-mails")
    ] = "zh-CN",
    secret: Annotated[
        str | None, typer.Option("--secret", help="webhook secret (default: generated)")
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="alarm | report | accounting (repeatable; default: alarm)"),
    ] = None,
    park: ParkOption = None,
    lang: Lang = "zh",
) -> None:
    """Create a notification channel; a webhook's signing secret is printed this once."""
    from lingtan.alarms.notify.model import URL_KINDS, channel_spec
    from lingtan.alarms.notify.service import create_channel

    t = _TEXT[_lang(lang)]
    with domain_errors(), open_configured() as store:
        p = park_of(store, park)
        spec = channel_spec(
            code=code,
            name=name or code,
            kind=kind,
            target=target[0] if kind in URL_KINDS and len(target) == 1 else target,
            min_severity=min_severity,
            enterprise_id=enterprise_id_of(store, enterprise, p.id),
            kinds=alarm_kind or None,
            lang=channel_lang,
            topics=topic or None,
        )
        channel, shown = create_channel(store, park_id=p.id, spec=spec, actor="cli", secret=secret)
    console.print(t["created"].format(code=channel.code, id=channel.id), highlight=False)
    if shown is not None and secret is None:
        console.print(t["secret"].format(secret=shown), highlight=False, soft_wrap=True)


def deliver(lang: Lang = "zh") -> None:
    """Send every notification that is due now (the service's worker does this by itself)."""
    from lingtan.alarms.notify.service import deliver_due

    t = _TEXT[_lang(lang)]
    with domain_errors(), open_configured() as store:
        counts = deliver_due(store, settings=settings())
    console.print(
        t["delivered"].format(
            delivered=counts.delivered, retried=counts.retried, failed=counts.failed
        ),
        highlight=False,
    )
    if counts.lost:
        console.print(t["lost"].format(lost=counts.lost), highlight=False)


def register_notify(alarms_app: typer.Typer) -> None:
    """Add ``channels``, ``channel-add`` and ``deliver`` to the ``alarms`` group."""
    alarms_app.command("channels")(channels)
    alarms_app.command("channel-add")(channel_add)
    alarms_app.command("deliver")(deliver)
