"""The dashboard's emergency-event register: the list with its filters, the detail page with
its time line and evidence, the downloads, in zh-CN and English, within the user's scope."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from lingtan.alarms.incidents import service
from lingtan.alarms.incidents.model import AlarmEvidence, Location, Person
from lingtan.identity.roles import SYSTEM
from tests.api.walk import no_b_data
from tests.api.world import World
from tests.web.test_pages import log_in
from tests.web.test_zh_wording import problems, user_data, visible


def _a_incident(w: World) -> int:
    """An incident of A opened from an alarm, with a person, an entry and an attachment."""
    a = w.enterprises["E01"]
    ev = AlarmEvidence(
        alarm_id=77,
        rule_code="E01-grid-over",
        kind="threshold",
        severity="critical",
        subject="E01-grid",
        enterprise_id=a,
        first_at=1_737_338_400_000_000,  # 2025-01-20 10:00 +08:00
        last_at=1_737_338_700_000_000,
        value=612.0,
        message="功率超过限值",
        readings=(("E01-grid", 1_737_338_400_000_000, 612.0),),
    )
    d = service.open(
        w.store,
        principal=SYSTEM,
        title="甲企业配电室冒烟",
        kind="production_safety_accident",
        level="relatively_major",
        location=Location(enterprise_id=a, latitude=31.2, longitude=121.5, place="配电室"),
        responsible=[Person("张三", "现场指挥", "13800000000")],
        evidence=[ev],
    )
    service.add_entry(w.store, principal=SYSTEM, incident_id=d.incident.id, text="切断电源")
    service.attach(
        w.store, principal=SYSTEM, incident_id=d.incident.id, name="记录.txt", content=b"abc"
    )
    return d.incident.id


def test_the_register_pages_show_an_incident_of_the_users_scope(web_world: World) -> None:
    incident_id = _a_incident(web_world)
    c = log_in(web_world, "a_viewer")
    listed = c.get("/incidents")
    assert listed.status_code == 200 and "甲企业配电室冒烟" in listed.text
    assert 'data-testid="nav-incidents"' in listed.text
    no_b_data(web_world, listed.text, "a_viewer GET /incidents")
    filtered = c.get("/incidents", params={"level": "ordinary"})
    assert "甲企业配电室冒烟" not in filtered.text  # its level is 较大
    page = c.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    text = "\n".join(visible(page.text))
    # the alarm's entry came first (10:00 on 2025-01-20), then the opening, then the note
    assert text.index("由告警 #77 创建（紧急）") < text.index("登记事件") < text.index("切断电源")
    assert "事故灾难" in text and "较大" in text and "越限" in text
    # printf 'abc' | sha256sum
    assert "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" in page.text
    allowed = user_data(web_world) | {"张三", "记录.txt", "E01-grid-over", "cli", "13800000000"}
    found = [p for t in visible(page.text) for p in problems(t, allowed)]
    assert not found, found
    xlsx = c.get(f"/incidents/{incident_id}/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0]["A1"].value == (
        "突发事件报告：甲企业配电室冒烟"
    )
    files = [
        a
        for a in service.get(web_world.store, principal=SYSTEM, incident_id=incident_id).attachments
    ]
    got = c.get(f"/incidents/{incident_id}/attachments/{files[0].id}")
    assert got.status_code == 200 and got.content == b"abc"
    # B's incident is absent for A, as one that does not exist
    assert c.get(f"/incidents/{web_world.b['incident_id']}").status_code == 404
    c.get("/lang/en")
    english = c.get(f"/incidents/{incident_id}")
    assert "created from alarm #77 (critical)" in english.text and "Time line" in english.text
