"""``lingtan incidents``: the emergency-event register (应急事件台账) on the local store, as the
park administrator — list, show, open, add a time line entry, close, export the report.

Output is Chinese by default (``--lang en`` for English); kinds and levels are the codes of
``lingtan/alarms/incidents/data/emergency_law.yaml`` (docs/incidents.md).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lingtan.cli._common import console, domain_errors, enterprise_id_of
from lingtan.cli.data import open_configured
from lingtan.errors import InvalidInput, NotFound
from lingtan.timeutil import from_us, parse_timestamp, to_us, zone

if TYPE_CHECKING:
    from lingtan.alarms.incidents.model import Dossier, Incident
    from lingtan.store import Store


class _Lazy:
    """A module imported at its first use: the register, its exports and the report helpers
    are not loaded when ``lingtan`` starts for another command (docs/performance.md, CLI
    start-up)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


service = _Lazy("lingtan.alarms.incidents.service")
incident_export = _Lazy("lingtan.alarms.incidents.export")
_catalog = _Lazy("lingtan.alarms.incidents.catalog")
_model = _Lazy("lingtan.alarms.incidents.model")
_reports = _Lazy("lingtan.reports.common")
_roles = _Lazy("lingtan.identity.roles")

incidents_app = typer.Typer(
    help="Emergency-event register (应急事件台账): incidents, time lines, reports.",
    no_args_is_help=True,
)
Lang = Annotated[str, typer.Option("--lang", help="zh or en / 输出语言")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]
IncidentId = Annotated[int, typer.Argument(help="the incident's number / 事件编号", min=1)]


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise InvalidInput("--lang must be zh or en", field="lang")
    return lang


def _tz(store: Store) -> dt.tzinfo:
    return zone(store.registry.park().timezone)


def _when(us: int | None, tz: dt.tzinfo) -> str:
    return "" if us is None else from_us(us, tz).strftime("%Y-%m-%d %H:%M")


def _instant(text: str | None, field: str) -> int | None:
    return None if text is None else to_us(parse_timestamp(text, field))


def _names(i: Incident, lang: str) -> dict[str, str]:
    cat = _catalog.catalog()
    kind = cat.kinds.get(i.kind)
    grade = cat.grades.get(i.level) if i.level else None
    tr = _reports.translator(lang)
    return {
        "kind": kind.name(lang) if kind else i.kind,
        "category": cat.categories[i.category].name(lang)
        if i.category in cat.categories
        else i.category,
        "level": grade.name(lang) if grade else tr("未定级", "not graded"),
        "state": _model.state_name(i.state.value, lang),
    }


def _as_dict(d: Dossier, lang: str, tz: dt.tzinfo) -> dict[str, Any]:
    i = d.incident
    return {
        **i.as_dict(),
        "names": _names(i, lang),
        "occurred_at": _when(i.occurred_at, tz),
        "entries": [
            {
                "id": e.id,
                "at": _when(e.at, tz),
                "actor": e.actor,
                "text": _model.entry_text(e, lang),
            }
            for e in d.entries
        ],
        "attachments": [
            {"id": a.id, "name": a.name, "size": a.size, "sha256": a.sha256} for a in d.attachments
        ],
        "alarms": [a.evidence.as_dict() for a in d.alarms],
    }


def list_incidents(
    state: Annotated[str | None, typer.Option("--state", help="open, responding, closed")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="kind code / 事件类型")] = None,
    level: Annotated[str | None, typer.Option("--level", help="level code / 事件级别")] = None,
    lang: Lang = "zh",
    as_json: AsJson = False,
) -> None:
    """List incidents, newest first."""
    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        rows, total = service.list_incidents(
            store, principal=_roles.SYSTEM, state=state, kind=kind, level=level, limit=None
        )
        tz = _tz(store)
    if as_json:
        out = [{**i.as_dict(), "names": _names(i, lang)} for i in rows]
        console.print_json(json.dumps(out, ensure_ascii=False, default=str))
        return
    tr = _reports.translator(lang)
    table = Table(title=tr(f"应急事件台账（共 {total} 起）", f"Incidents ({total})"))
    for col in (
        tr("编号", "No."),
        tr("发生时间", "Occurred"),
        tr("事件名称", "Title"),
        tr("类型", "Kind"),
        tr("级别", "Level"),
        tr("状态", "State"),
    ):
        table.add_column(col)
    for i in rows:
        names = _names(i, lang)
        table.add_row(
            f"#{i.id}",
            _when(i.occurred_at, tz),
            i.title,
            names["kind"],
            names["level"],
            names["state"],
        )
    console.print(table)


def show(incident_id: IncidentId, lang: Lang = "zh", as_json: AsJson = False) -> None:
    """Show an incident with its time line."""
    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        d = service.get(store, principal=_roles.SYSTEM, incident_id=incident_id)
        tz = _tz(store)
    if as_json:
        console.print_json(json.dumps(_as_dict(d, lang, tz), ensure_ascii=False, default=str))
        return
    tr = _reports.translator(lang)
    i, names = d.incident, _names(d.incident, lang)
    console.print(f"[bold]#{i.id} {i.title}[/]", highlight=False)
    for label, value in (
        (tr("类别", "Category"), names["category"]),
        (tr("类型", "Kind"), names["kind"]),
        (tr("级别", "Level"), names["level"]),
        (tr("状态", "State"), names["state"]),
        (tr("发生时间", "Occurred"), _when(i.occurred_at, tz)),
        (tr("企业", "Enterprise"), d.enterprise_name or tr("园区", "the park")),
        (tr("责任人", "Responsible"), "、".join(p.name for p in i.responsible)),
    ):
        console.print(f"{label}：{value}" if lang == "zh" else f"{label}: {value}", highlight=False)
    table = Table(title=tr("时间线", "Time line"))
    for col in (tr("时间", "Time"), tr("记录人", "By"), tr("内容", "What")):
        table.add_column(col)
    for e in d.entries:
        table.add_row(_when(e.at, tz), e.actor, _model.entry_text(e, lang))
    console.print(table)
    if i.closing_report:
        console.print(tr("结案报告：", "Closing report: ") + i.closing_report, highlight=False)


def open_incident(
    title: Annotated[str, typer.Option("--title", help="what happened / 事件名称")],
    kind: Annotated[str, typer.Option("--kind", help="kind code / 事件类型")],
    level: Annotated[str | None, typer.Option("--level", help="level code / 事件级别")] = None,
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="enterprise code or id / 企业")
    ] = None,
    site: Annotated[str | None, typer.Option("--site", help="building code / 建筑")] = None,
    latitude: Annotated[float | None, typer.Option("--lat", help="latitude / 纬度")] = None,
    longitude: Annotated[float | None, typer.Option("--lon", help="longitude / 经度")] = None,
    place: Annotated[str, typer.Option("--place", help="where / 地点")] = "",
    summary: Annotated[str, typer.Option("--summary", help="summary / 概要")] = "",
    occurred_at: Annotated[
        str | None, typer.Option("--occurred-at", help="ISO 8601 with offset (default: now)")
    ] = None,
    person: Annotated[
        list[str] | None,
        typer.Option("--person", help="responsible person: name[|duty[|contact]] / 责任人"),
    ] = None,
    lang: Lang = "zh",
) -> None:
    """Open an incident (登记)."""
    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        park = store.registry.park()
        site_id = None
        if site is not None:
            found = [s for s in store.registry.sites(park.id) if s.code == site]
            if not found:
                raise NotFound(f"no building {site!r}")
            site_id = found[0].id
        people = [_model.Person(*[*p.split("|", 2), "", ""][:3]) for p in person or []]
        d = service.open(
            store,
            principal=_roles.SYSTEM,
            title=title,
            kind=kind,
            level=level,
            occurred_at=_instant(occurred_at, "occurred_at"),
            location=_model.Location(
                enterprise_id=enterprise_id_of(store, enterprise, park.id),
                site_id=site_id,
                latitude=latitude,
                longitude=longitude,
                place=place,
            ),
            summary=summary,
            responsible=people,
        )
    tr = _reports.translator(lang)
    console.print(tr(f"已登记事件 #{d.incident.id}", f"opened incident #{d.incident.id}"))


def entry(
    incident_id: IncidentId,
    text: Annotated[str, typer.Argument(help="what happened / 内容")],
    at: Annotated[
        str | None, typer.Option("--at", help="when, ISO 8601 with offset (default: now)")
    ] = None,
    corrects: Annotated[
        int | None, typer.Option("--corrects", help="the entry this one corrects / 更正的记录")
    ] = None,
    lang: Lang = "zh",
) -> None:
    """Add an entry to an incident's time line (entries are never edited: correct with
    --corrects)."""
    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        entry_id = service.add_entry(
            store,
            principal=_roles.SYSTEM,
            incident_id=incident_id,
            text=text,
            at=_instant(at, "at"),
            corrects_id=corrects,
        )
    tr = _reports.translator(lang)
    console.print(tr(f"已记录 #{entry_id}", f"recorded entry #{entry_id}"))


def close(
    incident_id: IncidentId,
    report: Annotated[
        str | None, typer.Option("--report", help="the closing report / 结案报告")
    ] = None,
    report_file: Annotated[
        Path | None, typer.Option("--report-file", help="the closing report from a UTF-8 file")
    ] = None,
    lang: Lang = "zh",
) -> None:
    """Close an incident with its closing report (结案)."""
    with domain_errors():
        lang = _lang(lang)
        if report_file is not None:
            try:
                report = report_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise InvalidInput(f"cannot read {report_file}", field="report") from err
        with open_configured() as store:
            service.close(
                store, principal=_roles.SYSTEM, incident_id=incident_id, report=report or ""
            )
    tr = _reports.translator(lang)
    console.print(tr(f"事件 #{incident_id} 已结案", f"incident #{incident_id} closed"))


def export(
    incident_id: IncidentId,
    out: Annotated[Path, typer.Option("--out", help="file to write (.xlsx or .html)")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="xlsx or html (default: from --out)")
    ] = None,
    lang: Lang = "zh",
) -> None:
    """Write an incident's report with its full time line (Excel or HTML)."""
    with domain_errors(), open_configured() as store:
        lang = _lang(lang)
        chosen = fmt or out.suffix.lstrip(".").lower()
        d = service.get(store, principal=_roles.SYSTEM, incident_id=incident_id)
        content = incident_export.export(d, fmt=chosen, lang=lang, tz=_tz(store))
        try:
            out.write_bytes(content)
        except OSError as err:
            raise InvalidInput(f"cannot write {out}: {err.strerror}", field="out") from err
    tr = _reports.translator(lang)
    console.print(tr(f"已导出 {out}", f"wrote {out}"), highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``incidents list|show|open|entry|close|export``."""
    incidents_app.command("list")(list_incidents)
    incidents_app.command("show")(show)
    incidents_app.command("open")(open_incident)
    incidents_app.command("entry")(entry)
    incidents_app.command("close")(close)
    incidents_app.command("export")(export)
    app.add_typer(incidents_app, name="incidents")
