"""The incident report: the workbook and the HTML page carry the whole time line in order, the
evidence readings and the attachments' hashes, in zh-CN (and English on request)."""

from __future__ import annotations

import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from lingtan.alarms.incidents import export, service
from lingtan.alarms.incidents.model import Dossier, Location, Person
from lingtan.store import Store
from tests.alarms.incidents.conftest import MINUTE, NOW, PARK_ADMIN, evidence
from tests.web.test_zh_wording import problems, visible, workbook_texts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _table(wb: Workbook, key: str) -> list[dict[str, Any]]:
    """Rows of the named table ``t_<key>`` as header → value."""
    dn = wb.defined_names[f"t_{key}"]
    ((sheet, ref),) = list(dn.destinations)
    cells = wb[sheet][ref.replace("$", "")]
    header = [c.value for c in cells[0]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in cells[1:]]


@pytest.fixture
def dossier(loaded: Store, ids: dict[str, int]) -> Dossier:
    a = ids["E01"]
    d = service.open(
        loaded,
        principal=PARK_ADMIN,
        title="一号厂房配电室冒烟",
        kind="production_safety_accident",
        level="ordinary",
        location=Location(enterprise_id=a, latitude=31.2304, longitude=121.4737, place="配电室"),
        responsible=[Person("张三", "现场指挥", "13800000000")],
        evidence=[evidence(7, a, first_at=NOW - 10 * MINUTE)],
        now=NOW,
    )
    i = d.incident.id
    service.add_entry(
        loaded, principal=PARK_ADMIN, incident_id=i, text="切断电源", now=NOW + MINUTE
    )
    service.attach(
        loaded,
        principal=PARK_ADMIN,
        incident_id=i,
        name="记录.txt",
        content=b"abc",
        now=NOW + MINUTE,
    )
    service.add_entry(
        loaded, principal=PARK_ADMIN, incident_id=i, text="明火扑灭", now=NOW + 2 * MINUTE
    )
    service.close(
        loaded,
        principal=PARK_ADMIN,
        incident_id=i,
        report="电缆老化，已更换。",
        now=NOW + 3 * MINUTE,
    )
    return service.get(loaded, principal=PARK_ADMIN, incident_id=i)


def test_workbook_has_the_time_line_in_order_in_chinese(dossier: Dossier) -> None:
    wb = load_workbook(io.BytesIO(export.export(dossier, fmt="xlsx", tz=SHANGHAI)))
    assert wb.worksheets[0]["A1"].value == "突发事件报告：一号厂房配电室冒烟"
    rows = _table(wb, "timeline")
    # NOW is 2025-07-01 10:00 in Shanghai; the alarm fired 10 minutes before
    assert [(r["序号"], r["时间"], r["类型"], r["内容"]) for r in rows] == [
        (1, "2025-07-01 09:50:00", "告警", "由告警 #7 创建（重要）：功率超过 400 kW"),
        (2, "2025-07-01 10:00:00", "登记", "登记事件：一号厂房配电室冒烟"),
        (3, "2025-07-01 10:00:00", "责任人", "责任人：张三"),
        (4, "2025-07-01 10:01:00", "记录", "切断电源"),
        (5, "2025-07-01 10:01:00", "附件", "上传附件 记录.txt（SHA-256 ba7816bf8f01…）"),
        (6, "2025-07-01 10:02:00", "记录", "明火扑灭"),
        (7, "2025-07-01 10:03:00", "结案", "结案"),
    ]
    assert {r["记录人"] for r in rows} == {"cli"}
    readings = _table(wb, "readings")
    assert [(r["计量点"], r["时间"], r["读数"]) for r in readings] == [
        ("E01-main", "2025-07-01 09:50:00", 480.0),
        ("E01-main", "2025-07-01 09:55:00", 512.5),
    ]
    (attachment,) = _table(wb, "attachments")
    # printf 'abc' | sha256sum
    assert (
        attachment["SHA-256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert _table(wb, "responsible") == [
        {"姓名": "张三", "职责": "现场指挥", "联系方式": "13800000000"}
    ]
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert "电缆老化，已更换。" in texts
    assert any(isinstance(t, str) and "事故灾难" in t for t in texts)  # the law's category
    assert any(
        isinstance(t, str) and t.startswith("依据：中华人民共和国突发事件应对法") for t in texts
    )


def test_html_report_lists_the_time_line_in_order_and_escapes_user_text(
    loaded: Store, dossier: Dossier
) -> None:
    page = export.export(dossier, fmt="html", tz=SHANGHAI).decode("utf-8")
    order = ["由告警 #7 创建", "登记事件", "切断电源", "上传附件", "明火扑灭", "结案报告"]
    positions = [page.index(s) for s in order]
    assert positions == sorted(positions)
    assert "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" in page
    assert 'lang="zh' in page
    marked = service.open(
        loaded, principal=PARK_ADMIN, title="<script>x</script>", kind="natural_disaster", now=NOW
    )
    other = export.export(marked, fmt="html").decode("utf-8")
    assert "<script>x</script>" not in other and "&lt;script&gt;x&lt;/script&gt;" in other


def test_english_report(dossier: Dossier) -> None:
    wb = load_workbook(io.BytesIO(export.export(dossier, fmt="xlsx", lang="en", tz=SHANGHAI)))
    rows = _table(wb, "timeline")
    assert rows[0]["What"] == "created from alarm #7 (major): 功率超过 400 kW"
    assert rows[-1]["Kind"] == "closed"


def test_unknown_format_is_refused(dossier: Dossier) -> None:
    with pytest.raises(ValueError, match="format"):
        export.export(dossier, fmt="pdf")


def test_chinese_report_shows_no_english_sentence_or_raw_code(dossier: Dossier) -> None:
    """The zh-CN check of every report (tests/web/test_zh_wording.py) on both formats; what the
    user typed (point and rule codes, the file name, the actor) is left out."""
    texts = workbook_texts(export.export(dossier, fmt="xlsx", tz=SHANGHAI))
    texts += visible(export.export(dossier, fmt="html", tz=SHANGHAI).decode("utf-8"))
    typed = frozenset({"E01-main-over", "E01-main", "记录.txt", "cli", "Asia/Shanghai"})
    found = sorted({p for text in texts for p in problems(text, typed)})
    assert not found, found
