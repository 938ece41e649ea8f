"""The waste pages (ledger with storage status, manifests, exchange board) in zh-CN and
English, within the user's scope; the annual report speaks Chinese."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from lingtan.identity.roles import SYSTEM
from lingtan.waste import report, service
from tests.api.walk import no_b_data
from tests.api.world import World
from tests.web.test_pages import log_in
from tests.web.test_zh_wording import problems, user_data, visible


def _a_ledger(w: World) -> None:
    a = w.h("a_admin")
    c = w.client
    sid = c.post("/api/v1/waste/streams", headers=a, json={
        "code": "900-039-49", "name": "废活性炭", "form": "固态", "process": "废气治理"}).json()["id"]  # fmt: skip
    fid = c.post("/api/v1/waste/facilities", headers=a, json={
        "code": "WH-A", "name": "危废暂存间", "capacity": 5}).json()["id"]  # fmt: skip
    for body in (
        {"kind": "generated", "quantity": 2, "at": "2025-03-01"},
        {"kind": "stored", "quantity": 2, "at": "2025-03-01", "facility_id": fid},
    ):
        r = c.post("/api/v1/waste/movements", headers=a,
                   json={"stream_id": sid, "batch": "A-2025-01", **body})  # fmt: skip
        assert r.status_code == 201, r.text


def test_waste_pages_in_both_languages_show_only_the_scope(web_world: World) -> None:
    _a_ledger(web_world)
    allowed = user_data(web_world) | {"WH-A", "A-2025-01"}
    for lang in ("zh-CN", "en"):
        c = log_in(web_world, "a_viewer")
        c.get(f"/lang/{lang}")
        for path in ("/waste?year=2025", "/waste/manifests", "/waste/exchange"):
            r = c.get(path)
            assert r.status_code == 200, (path, r.text[:300])
            no_b_data(web_world, r.text, path)
            if lang == "zh-CN":
                found = [p for t in visible(r.text) for p in problems(t, allowed)]
                assert found == [], (path, found)
        ledger = c.get("/waste?year=2025").text
        assert "A-2025-01" in ledger and "2026-03-01" in ledger  # the storage deadline
        assert 'data-status="over"' in ledger  # stored 2025-03-01: today is past the year
    admin = log_in(web_world, "admin")
    assert "B-SECRET-MANIFEST" in admin.get("/waste/manifests").text


def test_annual_report_in_chinese(web_world: World) -> None:
    data = report.build(web_world.store, principal=SYSTEM, year=2025, lang="zh-CN")
    wb = load_workbook(io.BytesIO(data))
    texts = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
             if isinstance(v, str)] + [ws.title for ws in wb.worksheets]  # fmt: skip
    assert "危险废物年度管理报告" in texts
    allowed = user_data(web_world) | {s.name for s in service.list_streams(
        web_world.store, principal=SYSTEM)} | {"HW49", "B-SECRET-MANIFEST"}  # fmt: skip
    found = [p for t in texts for p in problems(t, allowed)]
    assert found == [], found
