"""``lingtan programme`` — energy- and water-saving plans, measures and their verified savings,
the programme records (:mod:`lingtan.programme`), run as the system (the park administrator)
on the local store. Documents are YAML or JSON files in the API's shapes
(docs/energy-management.md)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from lingtan.cli._common import ParkOption, console, domain_errors, park_of
from lingtan.cli.data import open_configured
from lingtan.errors import InvalidInput, NotFound
from lingtan.programme.models import RECORD_NAMES

programme_app = typer.Typer(
    help="Energy-management programme (节能计划、节能措施与节能量核定、能源管理体系记录).",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
STATUS = {"on_track": "符合进度", "off_track": "未达进度", "no_data": "无数据"}
TARGETS = {
    "energy_tce_max": "能源消费总量上限", "carbon_tco2_max": "碳排放总量上限",
    "savings_tce": "节能量目标", "savings_tco2": "减碳量目标", "intensity": "能耗强度上限",
    "water_m3_max": "取水总量上限", "water_savings_m3": "节水量目标",
}  # fmt: skip


def _principal(store: Any, park: str | None) -> Any:
    from lingtan.identity.roles import SYSTEM

    return dataclasses.replace(SYSTEM, park_id=park_of(store, park).id)


def _load(path: Path) -> Any:
    if not path.is_file():
        raise NotFound(f"{path} not found")
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as err:
        raise InvalidInput(f"{path.name}: not YAML/JSON: {err}", field=str(path)) from err


def _enterprise_ids(store: Any, park: str | None, data: Any) -> Any:
    """``enterprise: <code>`` in a document becomes ``enterprise_id``."""
    if isinstance(data, dict) and "enterprise" in data:
        code = data.pop("enterprise")
        for e in store.registry.enterprises(park_of(store, park).id):
            if e.code == code:
                data["enterprise_id"] = e.id
                break
        else:
            raise InvalidInput(f"enterprise: unknown enterprise {code!r}", field="enterprise")
    return data


def _dump(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def add_plan(
    file: Annotated[Path, typer.Argument(help="the plan (YAML/JSON): year, title, targets …")],
    park: ParkOption = None,
) -> None:
    """Store an annual energy- or water-saving plan (enterprise: <code> for an enterprise's)."""
    from lingtan.programme import service

    with domain_errors(), open_configured() as store:
        data = _enterprise_ids(store, park, _load(file))
        row = service.add_plan(store, principal=_principal(store, park), data=data)
        console.print(f"计划 {row.id}：{row.title}（{row.year}）")


def plans(
    year: Annotated[int | None, typer.Option("--year")] = None,
    as_json: JsonOpt = False,
    park: ParkOption = None,
) -> None:
    """The plans of the park and its enterprises."""
    from lingtan.programme import service

    with domain_errors(), open_configured() as store:
        rows = service.plans(store, principal=_principal(store, park), year=year)
        if as_json:
            _dump([r.as_dict() for r in rows])
            return
        names = {e.id: e.name for e in store.registry.enterprises(park_of(store, park).id)}
        t = Table("编号", "年度", "主体", "类别", "计划")
        for r in rows:
            owner = "园区" if r.enterprise_id is None else names.get(r.enterprise_id, "")
            t.add_row(str(r.id), str(r.year), owner, "节水" if r.kind == "water" else "节能",
                      r.title)  # fmt: skip
        console.print(t)


def add_measure(
    file: Annotated[Path, typer.Argument(help="the measure (YAML/JSON) with its plan_id")],
    park: ParkOption = None,
) -> None:
    """Store a measure of a plan."""
    from lingtan.programme import service

    with domain_errors(), open_configured() as store:
        row = service.add_measure(store, principal=_principal(store, park), data=_load(file))
        console.print(f"措施 {row.id}：{row.name}")


def verify(
    measure_id: Annotated[int, typer.Argument(help="the measure's id")],
    no_save: Annotated[bool, typer.Option("--no-save", help="do not keep the result")] = False,
    as_json: JsonOpt = False,
    park: ParkOption = None,
) -> None:
    """Verify a measure's savings (GB/T 28750-2012) and settle its contract (GB/T 24915-2020)."""
    from lingtan.programme import service

    with domain_errors(), open_configured() as store:
        res = service.verify_measure(
            store, principal=_principal(store, park), measure_id=measure_id, save=not no_save
        )
        if as_json:
            _dump(res)
            return
        v = res["verification"]
        u = v["unit"]
        console.print(f"调整后基期能耗 {v['adjusted_baseline']:.6g} {u}；报告期能耗 "
                      f"{v['measured']:.6g} {u}")  # fmt: skip
        console.print(f"节能量 {v['savings']:.6g} ± {v['uncertainty']:.3g} {u}"
                      f"（置信度 {v['confidence']:.0%}）")  # fmt: skip
        if res.get("settlement"):
            s = res["settlement"]
            console.print(f"节能效益 {s['value']:.2f} {s['currency']}")


def progress(
    plan_id: Annotated[int, typer.Argument(help="the plan's id")],
    out: Annotated[Path | None, typer.Option("--out", help="the .xlsx to write")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh-CN or en")] = "zh-CN",
    as_json: JsonOpt = False,
    park: ParkOption = None,
) -> None:
    """A plan's progress against its targets from metered data (and its workbook)."""
    from lingtan.programme import service

    with domain_errors(), open_configured() as store:
        principal = _principal(store, park)
        prog = service.progress(store, principal=principal, plan_id=plan_id)
        if as_json:
            _dump(prog.as_dict())
        else:
            t = Table("目标", "单位", "目标值", "完成值", "进度目标", "状态")
            for x in prog.lines:
                t.add_row(TARGETS.get(x.target, x.target), x.unit, f"{x.value:g}",
                          "—" if x.actual is None else f"{x.actual:.6g}",
                          "—" if x.to_date is None else f"{x.to_date:.6g}",
                          STATUS.get(x.status, x.status))  # fmt: skip
            console.print(t)
        if out is not None:
            out.write_bytes(service.plan_workbook(store, principal=principal, plan_id=plan_id,
                                                  lang=lang))  # fmt: skip
            console.print(f"wrote {out}")


def add_record(
    file: Annotated[Path, typer.Argument(help="the record (YAML/JSON): kind, title, body …")],
    park: ParkOption = None,
) -> None:
    """Store a programme record (EnMS, cleaner production, circular project, building review)."""
    from lingtan.programme import service

    with domain_errors(), open_configured() as store:
        data = _enterprise_ids(store, park, _load(file))
        row = service.add_record(store, principal=_principal(store, park), data=data)
        console.print(f"记录 {row.id}：{row.title}")


def records(
    kind: Annotated[str | None, typer.Option("--kind", help="one kind of record")] = None,
    as_json: JsonOpt = False,
    park: ParkOption = None,
) -> None:
    """The programme records."""
    from lingtan.programme import service

    with domain_errors(), open_configured() as store:
        rows = service.records(store, principal=_principal(store, park),
                               kinds=None if kind is None else [kind])  # fmt: skip
        if as_json:
            _dump([r.as_dict() for r in rows])
            return
        t = Table("编号", "类别", "标题", "状态")
        for r in rows:
            kind_name = RECORD_NAMES.get(r.kind, (r.kind, r.kind))[0]
            t.add_row(str(r.id), kind_name, r.title, "已关闭" if r.status == "closed" else "进行中")
        console.print(t)


def record(
    record_id: Annotated[int, typer.Argument(help="the record's id")],
    park: ParkOption = None,
) -> None:
    """A record and what it computes from the data it cites (JSON)."""
    from lingtan.programme import service

    with domain_errors(), open_configured() as store:
        _dump(service.evaluate_record(store, principal=_principal(store, park),
                                      record_id=record_id))  # fmt: skip


def standards(as_json: JsonOpt = False) -> None:
    """The standards the programme implements or cites, with editions."""
    from lingtan.programme.reference import standards as load

    rows = load()
    if as_json:
        _dump([r.model_dump() for r in rows])
        return
    t = Table("标准", "名称", "可信度")
    for r in rows:
        t.add_row(r.number or "（编号未确认）", r.title_zh, r.confidence)
    console.print(t)


def alarm_rules(park: ParkOption = None) -> None:
    """Install the default measure-overdue and plan-behind alarm rules the park lacks
    (docs/energy-management.md)."""
    from lingtan.programme import alarms

    with domain_errors(), open_configured() as store:
        made = alarms.install_rules(store, principal=_principal(store, park))
        console.print(f"created {len(made)} rule(s): {', '.join(made) or '—'}")


def register(app: typer.Typer) -> None:
    """Add ``lingtan programme``."""
    programme_app.command("add-plan")(add_plan)
    programme_app.command("plans")(plans)
    programme_app.command("add-measure")(add_measure)
    programme_app.command("verify")(verify)
    programme_app.command("progress")(progress)
    programme_app.command("add-record")(add_record)
    programme_app.command("records")(records)
    programme_app.command("record")(record)
    programme_app.command("standards")(standards)
    programme_app.command("alarm-rules")(alarm_rules)
    app.add_typer(programme_app, name="programme")
