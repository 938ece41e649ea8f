"""An incident's report (突发事件报告) as Excel or HTML, in zh-CN (default) or English: the
header, responsible people, linked alarms with their evidence readings, the full time line in
order, the attachments with their SHA-256 and the closing report.

Built in the reports' document model and written by their writers
(:func:`lingtan.reports.xlsx.write_xlsx`, :func:`lingtan.reports.html.write_html`), so it has
their look, their print set-up and their protection against formula injection and markup in
user text. Tables have the keys ``responsible``, ``alarms``, ``readings``, ``timeline`` and
``attachments`` (defined names ``t_<key>`` in the workbook).
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

from lingtan.alarms.incidents.catalog import catalog
from lingtan.alarms.incidents.model import (
    Dossier,
    EntryKind,
    alarm_term,
    entry_text,
    state_name,
)
from lingtan.errors import InvalidInput
from lingtan.reports.common import footer, translator
from lingtan.reports.html import write_html
from lingtan.reports.model import Column, KeyValues, Paragraph, Report, Section, Table
from lingtan.reports.xlsx import write_xlsx
from lingtan.timeutil import from_us

Fmt = Literal["xlsx", "html"]
FORMATS: Final = ("xlsx", "html")
MEDIA_TYPES: Final[dict[str, str]] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
ENTRY_KINDS: Final[dict[EntryKind, tuple[str, str]]] = {
    EntryKind.OPENED: ("登记", "opened"),
    EntryKind.ALARM: ("告警", "alarm"),
    EntryKind.NOTE: ("记录", "note"),
    EntryKind.CORRECTION: ("更正", "correction"),
    EntryKind.LEVEL: ("级别", "level"),
    EntryKind.RESPONSIBLE: ("责任人", "responsible"),
    EntryKind.ATTACHMENT: ("附件", "attachment"),
    EntryKind.STATE: ("状态", "state"),
    EntryKind.CLOSED: ("结案", "closed"),
}


def _when(us: int | None, tz: dt.tzinfo) -> str:
    return "" if us is None else from_us(us, tz).strftime("%Y-%m-%d %H:%M:%S")


def report(dossier: Dossier, *, lang: str = "zh", tz: dt.tzinfo = dt.UTC) -> Report:
    """The incident's report in the document model (``lang``: ``zh`` or ``en``; instants in
    ``tz``, the park's time zone)."""
    tr = translator(lang)
    cat = catalog()
    inc = dossier.incident
    loc = inc.location
    kind = cat.kinds[inc.kind] if inc.kind in cat.kinds else None
    category = cat.categories.get(inc.category)
    grade = cat.grades.get(inc.level) if inc.level else None
    coords = (
        ""
        if loc.latitude is None or loc.longitude is None
        else f"{loc.latitude:.6f}, {loc.longitude:.6f}"
    )
    header = KeyValues(
        [
            (tr("编号", "Number"), f"#{inc.id}", "text"),
            (tr("事件名称", "Title"), inc.title, "text"),
            (
                tr("事件类别（突发事件应对法第二条）", "Category (Emergency Response Law Art. 2)"),
                category.name(lang) if category else inc.category,
                "text",
            ),
            (tr("事件类型", "Kind"), kind.name(lang) if kind else inc.kind, "text"),
            (
                tr("事件级别（第三条）", "Level (Art. 3)"),
                grade.name(lang) if grade else tr("未定级", "not graded"),
                "text",
            ),
            (tr("状态", "State"), state_name(inc.state.value, lang), "text"),
            (tr("发生时间", "Occurred at"), _when(inc.occurred_at, tz), "text"),
            (tr("企业", "Enterprise"), dossier.enterprise_name or tr("园区", "the park"), "text"),
            (tr("建筑", "Building"), dossier.site_name or "", "text"),
            (tr("地点", "Place"), loc.place, "text"),
            (tr("坐标（纬度, 经度）", "Coordinates (lat, lon)"), coords, "text"),
            (tr("登记人", "Opened by"), inc.opened_by, "text"),
            (tr("登记时间", "Opened at"), _when(inc.opened_at, tz), "text"),
            (tr("关闭人", "Closed by"), inc.closed_by or "", "text"),
            (tr("关闭时间", "Closed at"), _when(inc.closed_at, tz), "text"),
            (tr("概要", "Summary"), inc.summary, "text"),
        ]
    )
    people = Table(
        key="responsible",
        title=tr("责任人", "Responsible people"),
        columns=[
            Column("name", tr("姓名", "Name")),
            Column("duty", tr("职责", "Duty")),
            Column("contact", tr("联系方式", "Contact")),
        ],
        rows=[p.as_dict() for p in inc.responsible],
    )
    alarms = Table(
        key="alarms",
        title=tr("关联告警", "Linked alarms"),
        columns=[
            Column("alarm_id", tr("告警编号", "Alarm"), "int"),
            Column("rule_code", tr("规则", "Rule")),
            Column("kind", tr("类型", "Kind")),
            Column("severity", tr("严重程度", "Severity")),
            Column("subject", tr("对象", "Subject")),
            Column("first_at", tr("首次时间", "First at")),
            Column("last_at", tr("最近时间", "Last at")),
            Column("value", tr("数值", "Value"), "num2"),
            Column("message", tr("说明", "Message")),
        ],
        rows=[
            {
                "alarm_id": a.alarm_id,
                "rule_code": a.evidence.rule_code,
                "kind": alarm_term(a.evidence.kind, "alarm_rule_kind", lang),
                "severity": alarm_term(a.evidence.severity, "alarm_severity", lang),
                "subject": a.evidence.subject,
                "first_at": _when(a.evidence.first_at, tz),
                "last_at": _when(a.evidence.last_at, tz),
                "value": a.evidence.value,
                "message": a.evidence.message,
            }
            for a in dossier.alarms
        ],
    )
    readings = Table(
        key="readings",
        title=tr("告警证据读数", "Evidence readings"),
        columns=[
            Column("alarm_id", tr("告警编号", "Alarm"), "int"),
            Column("point", tr("计量点", "Point")),
            Column("ts", tr("时间", "Time")),
            Column("value", tr("读数", "Value"), "num2"),
        ],
        rows=[
            {"alarm_id": a.alarm_id, "point": p, "ts": _when(ts, tz), "value": v}
            for a in dossier.alarms
            for p, ts, v in a.evidence.readings
        ],
    )
    timeline = Table(
        key="timeline",
        title=tr("时间线", "Time line"),
        columns=[
            Column("n", tr("序号", "No."), "int"),
            Column("at", tr("时间", "Time")),
            Column("actor", tr("记录人", "By")),
            Column("kind", tr("类型", "Kind")),
            Column("text", tr("内容", "What")),
            Column("recorded_at", tr("记录时间", "Recorded at")),
        ],
        rows=[
            {
                "n": n,
                "at": _when(e.at, tz),
                "actor": e.actor,
                "kind": tr(*ENTRY_KINDS.get(e.kind, (e.kind.value, e.kind.value))),
                "text": entry_text(e, lang),
                "recorded_at": _when(e.recorded_at, tz),
            }
            for n, e in enumerate(dossier.entries, start=1)
        ],
    )
    attachments = Table(
        key="attachments",
        title=tr("附件", "Attachments"),
        columns=[
            Column("name", tr("文件名", "File")),
            Column("size", tr("大小（字节）", "Size (bytes)"), "int"),
            Column("sha256", "SHA-256"),
            Column("uploaded_by", tr("上传人", "Uploaded by")),
            Column("uploaded_at", tr("上传时间", "Uploaded at")),
        ],
        rows=[
            {
                "name": a.name,
                "size": a.size,
                "sha256": a.sha256,
                "uploaded_by": a.uploaded_by,
                "uploaded_at": _when(a.uploaded_at, tz),
            }
            for a in dossier.attachments
        ],
    )
    closing = inc.closing_report or tr("（尚未结案）", "(not closed yet)")
    sections = [
        Section(tr("事件概况", "Incident"), [header, people], sheet=tr("概况", "Incident")),
        Section(tr("关联告警", "Linked alarms"), [alarms, readings], sheet=tr("告警", "Alarms")),
        Section(tr("时间线", "Time line"), [timeline], sheet=tr("时间线", "Time line")),
        Section(tr("附件", "Attachments"), [attachments], sheet=tr("附件", "Attachments")),
        Section(
            tr("结案报告", "Closing report"),
            [Paragraph(closing)],
            sheet=tr("结案报告", "Closing report"),
        ),
    ]
    tz_name = str(getattr(tz, "key", tz))
    return Report(
        title=tr(f"突发事件报告：{inc.title}", f"Incident report: {inc.title}"),
        subtitle=tr("应急事件台账", "Emergency-event register"),
        lang=lang,
        meta=[
            (tr("依据", "Basis"), cat.citation(lang)),
            (tr("时区", "Time zone"), tz_name),
        ],
        sections=sections,
        footer=footer(lang),
    )


def export(
    dossier: Dossier, *, fmt: str = "xlsx", lang: str = "zh", tz: dt.tzinfo = dt.UTC
) -> bytes:
    """The incident's report as ``.xlsx`` or HTML bytes."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    doc = report(dossier, lang=lang, tz=tz)
    return write_xlsx(doc) if fmt == "xlsx" else write_html(doc)


def filename(dossier: Dossier, fmt: str) -> str:
    """The report's file name: ``incident-<id>.<fmt>``."""
    return f"incident-{dossier.incident.id}.{fmt}"
