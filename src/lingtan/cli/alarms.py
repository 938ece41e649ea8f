"""``lingtan alarms``: the alarm list, acknowledging and closing, rules, maintenance windows
and one evaluation run — the same service as ``/api/v1/alarms``, run as the system (the park
administrator) on the local store."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of
from lingtan.cli.data import open_configured
from lingtan.cli.notify import register_notify
from lingtan.errors import InvalidInput

alarms_app = typer.Typer(
    help="Alarms, rules and maintenance windows (告警、规则与维护窗口).", no_args_is_help=True
)


def _principal(store, park: str | None):  # type: ignore[no-untyped-def]
    from lingtan.identity.roles import SYSTEM

    return dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)


def _time(text: str, field: str) -> int:
    from lingtan.timeutil import parse_timestamp, to_us

    try:
        return to_us(parse_timestamp(text, field))
    except InvalidInput:
        raise
    except ValueError as err:
        raise InvalidInput(f"{field}: {err}") from None


def list_alarms(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="open, acknowledged, cleared, closed")
    ] = None,
    severity: Annotated[
        list[str] | None, typer.Option("--severity", help="hint, minor, major, critical")
    ] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="a rule id")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
    park: ParkOption = None,
) -> None:
    """The alarms, newest first (告警列表)."""
    from lingtan.alarms import service
    from lingtan.alarms.model import SEVERITY_ZH, STATE_ZH, Severity
    from lingtan.store.alarms_repo import AlarmFilter
    from lingtan.timeutil import from_us, zone
    from lingtan.wording import Wording

    with domain_errors(), open_configured() as store:
        principal = _principal(store, park)
        rows, total = service.list_alarms(
            store, principal=principal,
            filters=AlarmFilter(states=state, severities=severity, rule_code=rule),
            limit=limit, offset=0,
        )  # fmt: skip
        tz = zone(park_of(store, park).timezone)
    if as_json:
        for a in rows:
            console.print_json(json.dumps(service.record_json(a), ensure_ascii=False))
        return
    table = Table(title=f"告警 alarms: {len(rows)} / {total}")
    for col in ("id", "级别 severity", "状态 state", "规则 rule", "对象 subject", "次数 n",
                "开始 since", "说明 message"):  # fmt: skip
        table.add_column(col)
    for a in rows:
        table.add_row(
            str(a.id), SEVERITY_ZH[Severity(a.severity)], STATE_ZH[a.state], a.rule_code,
            a.subject_code, str(a.count), f"{from_us(a.first_at, tz):%Y-%m-%d %H:%M}",
            Wording("zh-CN").text(a.message),
        )  # fmt: skip
    console.print(table)


def show(alarm_id: Annotated[int, typer.Argument(min=1)], park: ParkOption = None) -> None:
    """One alarm and its transitions (告警详情)."""
    from lingtan.alarms import service

    with domain_errors(), open_configured() as store:
        record, events = service.get_alarm(
            store, principal=_principal(store, park), alarm_id=alarm_id
        )
    console.print_json(json.dumps(service.record_json(record), ensure_ascii=False))
    for e in events:
        console.print(f"{e.at}  {e.actor}  {e.action}  {e.detail or ''}", highlight=False)


def acknowledge(
    alarm_id: Annotated[int, typer.Argument(min=1)],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    park: ParkOption = None,
) -> None:
    """Acknowledge an open alarm (确认告警)."""
    from lingtan.alarms import service

    with domain_errors(), open_configured() as store:
        service.acknowledge(
            store, principal=_principal(store, park), alarm_id=alarm_id, comment=comment
        )
    console.print(f"alarm {alarm_id} acknowledged / 告警 {alarm_id} 已确认")


def close(
    alarm_id: Annotated[int, typer.Argument(min=1)],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    park: ParkOption = None,
) -> None:
    """Close an alarm (关闭告警)."""
    from lingtan.alarms import service

    with domain_errors(), open_configured() as store:
        service.close(store, principal=_principal(store, park), alarm_id=alarm_id, comment=comment)
    console.print(f"alarm {alarm_id} closed / 告警 {alarm_id} 已关闭")


def rules(park: ParkOption = None) -> None:
    """The alarm rules (告警规则)."""
    from lingtan.alarms import service

    with domain_errors(), open_configured() as store:
        rows = service.list_rules(store, principal=_principal(store, park))
    table = Table(title=f"告警规则 alarm rules: {len(rows)}")
    for col in ("id", "名称 name", "类型 kind", "级别 severity", "启用 enabled", "来源 source"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.code, r.name, r.kind, r.severity, "是" if r.enabled else "否", r.source)
    console.print(table)


def load_rules(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: a list of rules, or {rules: [...]}")],
    park: ParkOption = None,
) -> None:
    """Create or update rules from a file (the rules it does not name are kept)."""
    from lingtan.alarms import service
    from lingtan.alarms.rules import parse_rules

    with domain_errors():
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as err:
            raise InvalidInput(f"{file}: {err}") from None
        items = data.get("rules") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise InvalidInput(f"{file}: expected a list of rules or a mapping with 'rules'")
        parsed = parse_rules(items, where=str(file))
        with open_configured() as store:
            report = service.save_rules(
                store, park_id=park_of(store, park).id, rules=parsed, actor="cli",
                source=f"cli:{file.name}",
            )  # fmt: skip
    console.print(
        f"alarm rules: created {len(report.created)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}"
    )


def evaluate(
    at: Annotated[
        str | None, typer.Option("--at", help="evaluate as of this instant (ISO 8601 with offset)")
    ] = None,
) -> None:
    """Run the scheduled rules once (freshness, hourly statistics, budgets, escalation,
    automatic close), as ``serve`` does every LINGTAN_ALARM_TICK_S seconds."""
    import lingtan.dispatch.alarms  # registers the dispatch checks with the engine
    import lingtan.environment.alarms
    import lingtan.equipment.alarms
    import lingtan.programme.alarms
    import lingtan.waste.alarms  # noqa: F401  (registers the waste checks with the engine)
    from lingtan.alarms.engine import Engine

    with domain_errors(), open_configured() as store:
        report = Engine(store).tick(None if at is None else _time(at, "--at"))
    console.print(
        f"alarms: {report.raised} raised, {report.cleared} cleared, {report.escalated} "
        f"escalated, {report.closed} closed"
    )


def suppress(
    start: Annotated[str, typer.Option("--from", help="ISO 8601 with offset")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601 with offset")],
    reason: Annotated[str, typer.Option("--reason")],
    rule: Annotated[str | None, typer.Option("--rule")] = None,
    point: Annotated[str | None, typer.Option("--point")] = None,
    park: ParkOption = None,
) -> None:
    """A maintenance window: no alarm is raised in it (维护窗口)."""
    from lingtan.alarms import service

    with domain_errors(), open_configured() as store:
        w = service.add_suppression(
            store, principal=_principal(store, park), starts=_time(start, "--from"),
            ends=_time(end, "--to"), reason=reason, rule_code=rule, point_code=point,
        )  # fmt: skip
    console.print(f"maintenance window {w.id} recorded / 维护窗口 {w.id} 已登记")


def register(app: typer.Typer) -> None:
    """Add ``alarms list|show|ack|close|rules|load-rules|evaluate|suppress``."""
    alarms_app.command("list")(list_alarms)
    alarms_app.command("show")(show)
    alarms_app.command("ack")(acknowledge)
    alarms_app.command("close")(close)
    alarms_app.command("rules")(rules)
    alarms_app.command("load-rules")(load_rules)
    alarms_app.command("evaluate")(evaluate)
    alarms_app.command("suppress")(suppress)
    register_notify(alarms_app)
    app.add_typer(alarms_app, name="alarms")
