"""``lingtan dispatch``: the park microgrid's declaration, day-ahead and intraday plans, showing
and publishing a plan, and importing a day's EV sessions — the same service as
``/api/v1/dispatch``, run as the system (the park administrator) on the local store.

Human output is in Chinese by default; ``--lang en`` switches to English.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of, settings
from lingtan.cli.data import open_configured
from lingtan.errors import InvalidInput

dispatch_app = typer.Typer(help="Microgrid dispatch plans (微电网调度计划).", no_args_is_help=True)
site_app = typer.Typer(help="The park's microgrid declaration (微电网配置).", no_args_is_help=True)
LangOption = Annotated[str, typer.Option("--lang", help="zh (默认) | en")]


def _principal(store: Any, park: str | None) -> Any:
    from lingtan.identity.roles import SYSTEM

    return dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)


def _lang(text: str) -> str:
    if text not in ("zh", "en"):
        raise InvalidInput("--lang must be zh or en", field="lang")
    return text


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _num(x: Any, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def site_set(
    file: Annotated[Path, typer.Argument(help="YAML or JSON declaration", exists=True)],
    park: ParkOption = None,
) -> None:
    """Set the park's microgrid declaration from a file (设置微电网配置)."""
    from lingtan.dispatch import service

    data = yaml.safe_load(file.read_text("utf-8"))
    with domain_errors(), open_configured() as store:
        if not isinstance(data, dict):
            raise InvalidInput(f"{file.name} must hold a mapping", field="file")
        row = service.set_spec(store, principal=_principal(store, park), data=data)
    spec = row.spec
    console.print(
        f"微电网配置已保存 declaration stored: {len(spec.get('batteries', []))} battery, "
        f"{len(spec.get('pv', []))} PV, {len(spec.get('chargers', []))} chargers "
        f"— {row.source}"
    )


def site_show(
    park: ParkOption = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Show the park's microgrid declaration (查看微电网配置)."""
    from lingtan.dispatch import service

    with domain_errors(), open_configured() as store:
        row = service.get_spec(store, principal=_principal(store, park))
    if as_json:
        console.print_json(json.dumps(row.spec, ensure_ascii=False))
        return
    console.print(yaml.safe_dump(row.spec, allow_unicode=True, sort_keys=False))


def _weights(text: str | None, carbon_price: float | None) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        try:
            out[key.strip()] = value.strip() if key.strip() == "factor_basis" else float(value)
        except ValueError:
            raise InvalidInput(f"--weights: {part!r} is not name=number", field="weights") from None
        if not sep:
            raise InvalidInput(f"--weights: {part!r} is not name=number", field="weights")
    if carbon_price is not None:
        out["carbon_price"] = carbon_price
        out.setdefault("carbon", 1.0)
    return out or None


def _dr(window: str | None, reduction: float | None, baseline: str) -> dict[str, Any] | None:
    if window is None and reduction is None:
        return None
    if window is None or reduction is None:
        raise InvalidInput("--dr-window and --dr-reduction go together", field="dr_window")
    start, sep, end = window.partition("-")
    if not sep:
        raise InvalidInput("--dr-window must be HH:MM-HH:MM", field="dr_window")
    return {
        "from": start.strip(),
        "to": end.strip(),
        "reduction_pct": reduction,
        "baseline": baseline,
    }


def plan(
    day: Annotated[str, typer.Option("--day", help="park-local day (YYYY-MM-DD)")],
    intraday: Annotated[
        bool, typer.Option("--intraday", help="re-plan from now with the metered SoC")
    ] = False,
    at: Annotated[
        str | None, typer.Option("--at", help="intraday: plan from this local time (HH:MM)")
    ] = None,
    carbon_price: Annotated[
        float | None, typer.Option("--carbon-price", help="元/tCO2 (switches the carbon term on)")
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="e.g. energy=1,demand=1,carbon=0.5,factor_basis=hourly"),
    ] = None,
    dr_window: Annotated[str | None, typer.Option("--dr-window", help="HH:MM-HH:MM")] = None,
    dr_reduction: Annotated[
        float | None, typer.Option("--dr-reduction", help="% below the baseline")
    ] = None,
    dr_baseline: Annotated[
        str,
        typer.Option(
            "--dr-baseline", help="forecast | history (mean import of the last 5 working days)"
        ),
    ] = "forecast",
    lang: LangOption = "zh",
    park: ParkOption = None,
) -> None:
    """Plan a day and store the plan (制定调度计划)."""
    from lingtan.dispatch import service

    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        d = service.parse_day(day)
        principal = _principal(store, park)
        objective = _weights(weights, carbon_price)
        dr = _dr(dr_window, dr_reduction, dr_baseline)
        if intraday:
            tz = service.zone_of(store, principal)
            if at is None:
                now = dt.datetime.now(tz)
            else:
                hh, _, mm = at.partition(":")
                now = dt.datetime(d.year, d.month, d.day, int(hh), int(mm or 0), tzinfo=tz)
            row = service.replan_intraday(
                store, principal=principal, day=d, now=now, objective=objective,
                demand_response=dr,
            )  # fmt: skip
        else:
            row = service.plan_day(
                store, principal=principal, day=d, objective=objective, demand_response=dr
            )
    _summary(row, lang)


def _summary(row: Any, lang: str) -> None:
    from lingtan.dispatch.explain import Violation, violation_text

    t = row.terms
    table = Table(title=_t(lang, f"调度计划 #{row.id}（{row.day}）", f"Plan #{row.id} ({row.day})"))
    table.add_column(_t(lang, "项目", "item"))
    table.add_column(_t(lang, "数值", "value"), justify="right")
    for zh, en, value in (
        ("类型", "kind", row.kind),
        ("状态", "status", row.status),
        ("电费（元）", "energy cost (元)", _num(t.get("energy_cost"), 2)),
        ("需量电费（元）", "demand cost (元)", _num(t.get("demand_cost"), 2)),
        ("排放（tCO2）", "emissions (tCO2)", _num(t.get("carbon_t"), 3)),
        ("购电量（kWh）", "import (kWh)", _num(t.get("import_kwh"))),
        ("上网电量（kWh）", "export (kWh)", _num(t.get("export_kwh"))),
        ("最大购电功率（kW）", "peak import (kW)", _num(t.get("peak_import_kw"))),
        ("合计（元）", "total (元)", _num(t.get("total"), 2)),
    ):
        table.add_row(_t(lang, zh, en), str(value))
    console.print(table)
    step_hours = row.step_minutes / 60.0
    for v in row.violations:
        console.print("[yellow]" + violation_text(Violation(**v), step_hours, lang) + "[/yellow]")
    for key in ("load", "sessions"):
        if key in row.inputs:
            console.print(f"{key}: {row.inputs[key]}")


def show(
    plan_id: Annotated[int, typer.Argument(help="plan id")],
    steps: Annotated[bool, typer.Option("--steps", help="every step with its reasons")] = False,
    lang: LangOption = "zh",
    park: ParkOption = None,
) -> None:
    """Show a stored plan: its terms, violations and (with --steps) each step (查看计划)."""
    from lingtan.dispatch import service
    from lingtan.dispatch.explain import Reason, reason_text

    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        principal = _principal(store, park)
        row = service.plan(store, principal=principal, plan_id=plan_id)
        tz = service.zone_of(store, principal)
    _summary(row, lang)
    if not steps:
        return
    s = row.steps
    table = Table()
    for col in (_t(lang, "时段", "step"), _t(lang, "购电 kW", "import kW"),
                _t(lang, "负荷 kW", "load kW"), _t(lang, "原因", "reasons")):  # fmt: skip
        table.add_column(col)
    for k, imp in enumerate(s["import_kw"]):
        reasons = "；".join(
            reason_text(Reason(**{**r, "because": tuple(r["because"])}), lang)
            for r in s["reasons"][k]
        )
        start = service.step_start(row, tz, k)
        table.add_row(f"{start:%H:%M}", _num(imp), _num(s["load_kw"][k]), reasons)
    console.print(table)


def publish(
    plan_id: Annotated[int, typer.Argument(help="plan id")],
    park: ParkOption = None,
) -> None:
    """Publish a plan's setpoints to the configured MQTT broker (下发调度设定值)."""
    from lingtan.dispatch import service
    from lingtan.dispatch.publish import MqttPublisher

    cfg = settings()
    with domain_errors(), open_configured() as store:
        if not cfg.dispatch_mqtt_host:
            raise InvalidInput(
                "set LINGTAN_DISPATCH_MQTT_HOST to the broker to publish to", field="broker"
            )
        publisher = MqttPublisher(
            cfg.dispatch_mqtt_host, cfg.dispatch_mqtt_port,
            username=cfg.dispatch_mqtt_username or None,
            password=cfg.dispatch_mqtt_password or None,
        )  # fmt: skip
        row = service.publish(
            store, principal=_principal(store, park), plan_id=plan_id, publisher=publisher
        )
    record = row.publish or {}
    console.print(
        f"已下发 published: {record.get('acknowledged')}/{record.get('messages')} "
        f"messages acknowledged by {record.get('broker')}"
    )


_STATUS_ZH = {
    "ok": "已确认", "mismatch": "回读不符", "timeout": "超时", "unavailable": "网关不可达",
    "device_error": "设备异常响应", "refused": "超出限值未写入",
}  # fmt: skip


def apply(
    at: Annotated[
        str | None,
        typer.Option("--at", help="as of this instant (ISO 8601 with offset; default now)"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show what would be written; write nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    lang: LangOption = "zh",
    park: ParkOption = None,
) -> None:
    """Write the current step's setpoints to the devices over Modbus TCP and read them back
    (写入当前时段设定值并回读). Exits 1 when a device did not confirm its setpoint."""
    from lingtan.dispatch import service

    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        principal = _principal(store, park)
        now = None
        if at is not None:
            try:
                now = dt.datetime.fromisoformat(at)
            except ValueError:
                raise InvalidInput("--at must be ISO 8601", field="at") from None
            if now.tzinfo is None:
                raise InvalidInput("--at needs a UTC offset (e.g. +08:00)", field="at")
        out = service.apply_setpoints(store, principal=principal, now=now, dry_run=dry_run)
    if as_json:
        console.print_json(json.dumps(out, ensure_ascii=False))
    else:
        title = _t(
            lang,
            f"计划 #{out['plan_id']} 第 {out['step']} 时段（{out['step_start']}）"
            + ("（试运行，未写入）" if dry_run else ""),
            f"Plan #{out['plan_id']} step {out['step']} ({out['step_start']})"
            + (" (dry run: nothing written)" if dry_run else ""),
        )
        table = Table(title=title)
        for zh, en in (("设备", "device"), ("设定值 kW", "setpoint kW"), ("写入", "value"),
                       ("结果", "outcome"), ("说明", "detail")):  # fmt: skip
            table.add_column(_t(lang, zh, en))
        for d in out["devices"]:
            if dry_run:
                outcome = "refused" if d["refused"] else "—"
                detail = d["refused"] or f"unit {d['unit']} @{d['address']} ← {d['registers']}"
                value = d["value"]
            else:
                outcome = d["status"]
                last = d["attempts"][-1] if d["attempts"] else {}
                detail = f"{len(d['attempts'])} × " + str(
                    last.get("reason") or f"read back {d['readback']}"
                )
                value = d["written"]
            table.add_row(
                d["device"], _num(d["setpoint_kw"]), _num(value, 3),
                _t(lang, _STATUS_ZH.get(outcome, outcome), outcome), detail,
            )  # fmt: skip
        console.print(table)
        if out["not_planned"]:
            console.print(
                _t(lang, "计划未覆盖、未写入：", "not in the plan, not written: ")
                + ", ".join(out["not_planned"])
            )
    if not dry_run and any(d["status"] != "ok" for d in out["devices"]):
        raise typer.Exit(1)


def alarm_rules(park: ParkOption = None) -> None:
    """Create the default dispatch alarm rules (setpoint not confirmed, not tracked)."""
    from lingtan.dispatch.alarms import install_rules

    with domain_errors(), open_configured() as store:
        made = install_rules(store, principal=_principal(store, park))
    console.print(f"已创建 created: {', '.join(made) or '—'}")


def sessions_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: day,code,charger,arrival,departure,energy_kwh[,max_kw]", exists=True
        ),
    ],
    park: ParkOption = None,
) -> None:
    """Import EV sessions from a CSV (each day's rows replace that day's) (导入充电会话)."""
    from lingtan.dispatch import service

    rows = list(csv.DictReader(io.StringIO(file.read_text("utf-8-sig"))))
    by_day: dict[str, list[dict[str, Any]]] = {}
    with domain_errors(), open_configured() as store:
        for i, r in enumerate(rows, start=2):
            if not r.get("day"):
                raise InvalidInput(f"line {i}: day is empty", field="day")
            by_day.setdefault(r["day"], []).append(r)
        principal = _principal(store, park)
        for day, day_rows in sorted(by_day.items()):
            service.import_sessions(
                store, principal=principal, day=service.parse_day(day), rows=day_rows
            )
    console.print(f"已导入 imported: {len(rows)} sessions on {len(by_day)} days")


_DR_STATUS = {"met": ("已达标", "met"), "not_met": ("未达标", "not met"),
              "not_assessed": ("不评价", "not assessed")}  # fmt: skip


def demand_response(
    plan_id: Annotated[int, typer.Argument(help="plan id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    lang: LangOption = "zh",
    park: ParkOption = None,
) -> None:
    """What a plan's demand-response call delivered, after its day (需求响应实际削减负荷)."""
    from lingtan.dispatch.actual import demand_response_delivered

    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        out = demand_response_delivered(store, principal=_principal(store, park), plan_id=plan_id)
    if as_json:
        console.print_json(json.dumps(out, ensure_ascii=False))
        return
    w, call = out["window"], out["call"]
    table = Table(
        title=_t(
            lang,
            f"计划 #{out['plan_id']}（{out['day']}）需求响应 {call.get('from')}–{call.get('to')}，"
            f"削减 {call.get('reduction_pct')} %",
            f"Plan #{out['plan_id']} ({out['day']}) demand response "
            f"{call.get('from')}–{call.get('to')}, {call.get('reduction_pct')} % reduction",
        )
    )
    table.add_column(_t(lang, "项目", "item"))
    table.add_column(_t(lang, "数值", "value"), justify="right")
    zh, en = _DR_STATUS[out["status"]]
    for row_zh, row_en, value in (
        ("基线", "baseline", out["baseline"]["kind"]),
        ("基线平均负荷（kW）", "mean baseline (kW)", _num(out["baseline_kw"])),
        ("实际平均购电（kW）", "mean metered import (kW)", _num(out["actual_kw"])),
        ("实际削减负荷（kW）", "delivered reduction (kW)", _num(out["delivered_kw"])),
        ("要求削减负荷（kW）", "required reduction (kW)", _num(out["required_kw"])),
        ("完成率", "delivered / required", _num(out["ratio"], 3)),
        ("结论", "outcome", _t(lang, zh, en)),
    ):
        table.add_row(_t(lang, row_zh, row_en), str(value))
    console.print(table)
    console.print(f"{w['from']} – {w['to']}")
    if out["reason"]:
        console.print("[yellow]" + out["reason"][lang] + "[/yellow]")


def register(app: typer.Typer) -> None:
    """Add ``dispatch site set|show``, ``plan``, ``show``, ``publish``, ``apply``,
    ``alarm-rules``, ``sessions-import``, ``demand-response``."""
    site_app.command("set")(site_set)
    site_app.command("show")(site_show)
    dispatch_app.add_typer(site_app, name="site")
    dispatch_app.command("plan")(plan)
    dispatch_app.command("show")(show)
    dispatch_app.command("publish")(publish)
    dispatch_app.command("apply")(apply)
    dispatch_app.command("alarm-rules")(alarm_rules)
    dispatch_app.command("sessions-import")(sessions_import)
    dispatch_app.command("demand-response")(demand_response)
    app.add_typer(dispatch_app, name="dispatch")
