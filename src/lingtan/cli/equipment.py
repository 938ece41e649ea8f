"""``lingtan equipment`` — the equipment register with efficiency grades, measured efficiency,
the efficiency list and its workbook, inspection plans and work orders, public-lighting zones
and their astronomical schedules, levels written to the circuits and the stored writes
(:mod:`lingtan.equipment`), run as the system (the park administrator) on the local store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of
from lingtan.cli.data import open_configured
from lingtan.errors import InvalidInput, NotFound

equipment_app = typer.Typer(
    help="Equipment register, efficiency grades, inspections and public lighting "
    "(重点用能设备台账、能效等级、巡检与检定、公共照明).",
    no_args_is_help=True,
)
EnterpriseOpt = Annotated[str | None, typer.Option("--enterprise", help="enterprise code")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _principal(store: Any, park: str | None) -> Any:
    from lingtan.identity.roles import SYSTEM

    return dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)


def _enterprise_id(store: Any, park: str | None, code: str | None) -> int | None:
    if code is None:
        return None
    for e in store.registry.enterprises(park_of(store, park).id):
        if e.code == code:
            return int(e.id)
    raise InvalidInput(f"--enterprise: unknown enterprise {code!r}", field="enterprise")


def _load(path: Path) -> Any:
    if not path.is_file():
        raise NotFound(f"{path} not found")
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as err:
        raise InvalidInput(f"{path.name}: not YAML/JSON: {err}", field=str(path)) from err


def _items(doc: Any, key: str, path: Path) -> list[dict[str, Any]]:
    items = doc.get(key) if isinstance(doc, dict) and key in doc else doc
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise InvalidInput(f"{path.name}: a list of records (or {key}: [...])", field=key)
    return items


def _dump(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _date(text: str, opt: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{opt}: not a date (YYYY-MM-DD)", field=opt.lstrip("-")) from None


def standards(as_json: JsonOpt = False) -> None:
    """The efficiency standards on record: edition, table (or none), confidence."""
    from lingtan.equipment.reference import grade_standards

    with domain_errors():
        stds = list(grade_standards().values())
        if as_json:
            _dump([s.model_dump(mode="json") for s in stds])
            return
        t = Table("标准", "名称", "设备", "能效等级表", "可信度")
        for s in stds:
            t.add_row(s.standard, s.title_zh, s.equipment_type,
                      s.table if s.has_table else "—（无）", s.confidence)  # fmt: skip
        console.print(t)


def add(
    file: Annotated[Path, typer.Argument(help="YAML/JSON: an item or a list (equipment: [...])")],
    enterprise: EnterpriseOpt = None,
    park: ParkOption = None,
) -> None:
    """Create or replace items of the register (rated data validated per type)."""
    from lingtan.equipment import service

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        ent = _enterprise_id(store, park, enterprise)
        for n, item in enumerate(_items(_load(file), "equipment", file)):
            try:
                out = service.register(store, principal=p, data=item, enterprise_id=ent)
            except InvalidInput as err:
                raise InvalidInput(f"equipment[{n}].{err}", field=err.field) from None
            g = out["grade"]
            console.print(f"{out['code']}: {g['status']} {g['grade'] or ''}".rstrip())


def list_(
    enterprise: EnterpriseOpt = None, park: ParkOption = None, as_json: JsonOpt = False
) -> None:
    """The register with each item's nameplate grade."""
    from lingtan.equipment import service

    with domain_errors(), open_configured() as store:
        rows = service.equipment_list(
            store, principal=_principal(store, park),
            enterprise_id=_enterprise_id(store, park, enterprise),
        )  # fmt: skip
        if as_json:
            _dump(rows)
            return
        t = Table("编号", "名称", "类型", "标准", "状态", "等级")
        for r in rows:
            g = r["grade"]
            t.add_row(r["code"], r["name"], r["type"],
                      (r["standard"] or {}).get("standard", "—"), g["status"],
                      g["grade"] or "—")  # fmt: skip
        console.print(t)


def measured(
    code: Annotated[str, typer.Argument(help="equipment code")],
    start: Annotated[str, typer.Option("--from", help="first local day YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="day after the last YYYY-MM-DD")],
    park: ParkOption = None,
) -> None:
    """Metered input and a compressor's measured specific power over [from, to)."""
    from lingtan.equipment import service
    from lingtan.store.equipment_repo import EquipmentRepo
    from lingtan.store.query_repo import Tenant

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        item = EquipmentRepo(store).item_by_code(
            tenant=Tenant.park_wide(), park_id=park_of(store, park).id, code=code
        )
        _dump(service.measured(store, principal=p, equipment_id=item.id,
                               start=_date(start, "--from"), end=_date(end, "--to")))  # fmt: skip


def efficiency(
    year: Annotated[int, typer.Argument(help="year")],
    enterprise: EnterpriseOpt = None,
    park: ParkOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the .xlsx workbook")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh-CN or en")] = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """The efficiency list: grades, items below grade 3, replacement candidates ranked by
    estimated annual savings; ``--out`` writes the workbook."""
    from lingtan.equipment import report, service

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        ent = _enterprise_id(store, park, enterprise)
        if out is not None:
            out.write_bytes(
                report.build(store, principal=p, year=year, enterprise_id=ent, lang=lang)
            )
            console.print(f"wrote {out}")
            return
        data = service.efficiency_list(store, principal=p, year=year, enterprise_id=ent)
        if as_json:
            _dump(data)
            return
        console.print(f"低于3级 / below grade 3: {', '.join(data['below_minimum']) or '—'}")
        t = Table("排序", "编号", "名称", "等级", "年耗电 kWh", "年节电 kWh")
        for c in data["candidates"]:
            t.add_row(str(c["rank"]), c["code"], c["name"], c["grade"] or "—",
                      f"{c['annual_kwh']:.0f}", f"{c['savings_kwh']:.0f}")  # fmt: skip
        console.print(t)
        console.print(data["savings_formula"])


def plan(
    file: Annotated[Path, typer.Argument(help="YAML/JSON: a plan or a list (plans: [...])")],
    enterprise: EnterpriseOpt = None,
    park: ParkOption = None,
) -> None:
    """Add inspection plans (pipe leaks, insulation, steam traps, meter calibration)."""
    from lingtan.equipment import service

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        ent = _enterprise_id(store, park, enterprise)
        for item in _items(_load(file), "plans", file):
            v = service.add_plan(store, principal=p, data=item, enterprise_id=ent)
            console.print(f"{v['code']}: next due {v['next_due']}")


def plans(
    enterprise: EnterpriseOpt = None,
    park: ParkOption = None,
    on: Annotated[str | None, typer.Option("--on", help="as of this local day")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The inspection plans with their next due date; overdue ones marked."""
    from lingtan.equipment import service

    with domain_errors(), open_configured() as store:
        rows = service.plans(
            store, principal=_principal(store, park),
            enterprise_id=_enterprise_id(store, park, enterprise),
            today=None if on is None else _date(on, "--on"),
        )  # fmt: skip
        if as_json:
            _dump(rows)
            return
        t = Table("编号", "名称", "类型", "上次完成", "下次到期", "逾期天数")
        for r in rows:
            late = str(r["days_overdue"]) if r["overdue"] else ""
            t.add_row(r["code"], r["name"], r["kind_zh"], r["last_done"] or "—",
                      r["next_due"], late)  # fmt: skip
        console.print(t)


def order(
    plan_code: Annotated[str, typer.Argument(help="inspection plan code")],
    done_on: Annotated[str | None, typer.Option("--done", help="completed on YYYY-MM-DD")] = None,
    findings: Annotated[str | None, typer.Option("--findings")] = None,
    action: Annotated[str | None, typer.Option("--action", help="corrective action")] = None,
    park: ParkOption = None,
) -> None:
    """Open a work order of a plan; with ``--done`` record it completed at once."""
    from lingtan.equipment import service

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        match = [r for r in service.plans(store, principal=p) if r["code"] == plan_code]
        if not match:
            raise NotFound(f"inspection plan {plan_code!r} not found")
        o = service.add_order(store, principal=p, plan_id=match[0]["id"])
        if done_on is not None or findings is not None or action is not None:
            changes: dict[str, Any] = {"findings": findings, "corrective_action": action}
            if done_on is not None:
                changes.update(status="done", done_on=_date(done_on, "--done"))
            o = service.update_order(store, principal=p, order_id=o["id"], changes=changes)
        console.print(f"work order {o['id']}: {o['status']} (due {o['due']})")


def zone(
    file: Annotated[Path, typer.Argument(help="YAML/JSON: a zone or a list (zones: [...])")],
    park: ParkOption = None,
) -> None:
    """Create or replace public-lighting zones (circuits are the park's metering points)."""
    from lingtan.equipment import service

    with domain_errors(), open_configured() as store:
        p = _principal(store, park)
        doc, lines = _load_with_lines(file)
        listed = isinstance(doc, dict) and "zones" in doc
        for k, item in enumerate(_items(doc, "zones", file)):
            try:
                z = service.put_zone(store, principal=p, data=item)
            except InvalidInput as err:
                # name the file's line of the failing field (zones[k].poles[i].ev_charger[j])
                raise _at_line(err, file, lines, ("zones", k) if listed else ()) from None
            console.print(
                f"{z['code']}: {len(z['circuits'])} circuit(s), {len(z['poles'])} pole(s)"
            )


def _load_with_lines(path: Path) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """The YAML document and its fields' lines (JSON is YAML)."""
    from lingtan.registry.parkfile import _yaml_with_lines

    if not path.is_file():
        raise NotFound(f"{path} not found")
    try:
        return _yaml_with_lines(path.read_text("utf-8"))
    except InvalidInput as err:
        raise InvalidInput(f"{path.name}: not YAML/JSON: {err}", field=str(path)) from err


def _at_line(
    err: InvalidInput, path: Path, lines: dict[tuple[str | int, ...], int],
    prefix: tuple[str | int, ...],
) -> InvalidInput:  # fmt: skip
    """``err`` with the file name and the line of its field (the nearest enclosing field that
    has one)."""
    field = err.field or ""
    parts = [int(x) if x.isdigit() else x for x in re.split(r"[.\[\]]+", field) if x]
    loc = (*prefix, *parts)
    line = None
    for cut in range(len(loc), -1, -1):
        line = lines.get(loc[:cut])
        if line is not None:
            break
    where = f"{path.name}:{line}" if line is not None else path.name
    return InvalidInput(f"{where} {err}", field=err.field)


def poles(
    code: Annotated[str, typer.Argument(help="lighting zone code")],
    park: ParkOption = None,
    as_json: JsonOpt = False,
) -> None:
    """The zone's smart poles (智慧灯杆): each pole's points by role with their newest values."""
    from lingtan.equipment import service
    from lingtan.equipment.lighting import ROLE_ZH

    with domain_errors(), open_configured() as store:
        rows = service.poles(store, principal=_principal(store, park), code=code)
        if as_json:
            _dump(rows)
            return
        t = Table("灯杆", "功能", "计量点", "最新值", "单位", "时刻")
        for pole in rows:
            for r in pole["points"]:
                value = "—" if r["value"] is None else f"{r['value']:g}"
                t.add_row(pole["code"], ROLE_ZH[r["role"]], r["point"], value,
                          r["unit"] or "", r["at"] or "—")  # fmt: skip
        console.print(t)


def schedule(
    code: Annotated[str, typer.Argument(help="lighting zone code")],
    day: Annotated[str, typer.Argument(help="the evening's local date YYYY-MM-DD")],
    park: ParkOption = None,
    as_json: JsonOpt = False,
) -> None:
    """The night's schedule: sunset, sunrise (NREL SPA), switching and dimming setpoints."""
    from lingtan.equipment import service

    with domain_errors(), open_configured() as store:
        n = service.schedule(store, principal=_principal(store, park), code=code,
                             day=_date(day, "day"))  # fmt: skip
        if as_json:
            _dump(n)
            return
        console.print(f"日落 sunset {n['sunset']}  日出 sunrise {n['sunrise']}  "
                      f"亮灯 {n['hours_on']:.2f} h")  # fmt: skip
        t = Table("回路", "时刻", "亮度 %", "原因")
        for s in n["setpoints"]:
            t.add_row(s["device"], s["at"], f"{s['level_pct']:g}", s["reason"])
        console.print(t)


def light(
    code: Annotated[str, typer.Argument(help="lighting zone code")],
    at: Annotated[
        str | None, typer.Option("--at", help="the instant (ISO 8601 with offset; default now)")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the registers only")] = False,
    park: ParkOption = None,
) -> None:
    """Write the zone's level now (or ``--at``) to its controlled circuits over Modbus, read
    back, as dispatch setpoints are written; every outcome is stored (``light-writes``)."""
    from lingtan.equipment import lighting_apply
    from lingtan.timeutil import parse_timestamp, utcnow

    with domain_errors(), open_configured() as store:
        now = utcnow() if at is None else parse_timestamp(at, "at")
        out = lighting_apply.apply_lighting_now(
            store, principal=_principal(store, park), code=code, now=now, dry_run=dry_run
        )
        _dump(out)


def light_writes(
    code: Annotated[str, typer.Argument(help="lighting zone code")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=5000)] = 50,
    park: ParkOption = None,
    as_json: JsonOpt = False,
) -> None:
    """The levels written to the zone's circuits and their outcomes, newest first."""
    from lingtan.equipment import lighting_apply

    with domain_errors(), open_configured() as store:
        rows = lighting_apply.lighting_writes(
            store, principal=_principal(store, park), code=code, limit=limit
        )
        if as_json:
            _dump(rows)
            return
        t = Table("写入时间", "回路", "生效时刻", "亮度 %", "原因", "结果", "回读", "错误")
        for w in rows:
            t.add_row(
                w["written_at"], w["device"], w["at"], f"{w['level_pct']:g}", w["reason"],
                w["status"], "" if w["readback"] is None else f"{w['readback']:g}",
                w["error"] or "",
            )  # fmt: skip
        console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``lingtan equipment``."""
    equipment_app.command("standards")(standards)
    equipment_app.command("add")(add)
    equipment_app.command("list")(list_)
    equipment_app.command("measured")(measured)
    equipment_app.command("efficiency")(efficiency)
    equipment_app.command("plan")(plan)
    equipment_app.command("plans")(plans)
    equipment_app.command("order")(order)
    equipment_app.command("zone")(zone)
    equipment_app.command("poles")(poles)
    equipment_app.command("schedule")(schedule)
    equipment_app.command("light")(light)
    equipment_app.command("light-writes")(light_writes)
    app.add_typer(equipment_app, name="equipment")
