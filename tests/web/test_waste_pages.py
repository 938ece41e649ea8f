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


def test_a_receipt_is_confirmed_on_screen_and_approvals_are_listed(web_world: World) -> None:
    from tests.web.test_pages import csrf

    w, a = web_world, web_world.h("a_admin")
    c = w.client
    sid = c.post("/api/v1/waste/streams", headers=a, json={
        "code": "900-041-49", "name": "废包装桶 网页", "form": "固态", "process": "包装"}).json()["id"]  # fmt: skip
    c.post("/api/v1/waste/movements", headers=a, json={
        "stream_id": sid, "batch": "W1", "kind": "generated", "quantity": 2, "at": "2025-05-01"})  # fmt: skip
    hw49 = next(
        x for x in c.get("/api/v1/waste/licences", headers=a).json() if "HW49" in x["codes"]
    )
    mid = c.post("/api/v1/waste/manifests", headers=a, json={
        "number": "A-WEB-0001", "licence_id": hw49["id"], "transporter": "运输",
        "transporter_licence": "T-1", "lines": [{"stream_id": sid, "quantity": 2}]}).json()["id"]  # fmt: skip
    path = f"/api/v1/waste/manifests/{mid}/transitions"
    assert c.post(path, headers=a, json={"action": "dispatch", "at": "2025-05-02",
                                         "batches": ["W1"]}).status_code == 200  # fmt: skip
    # the receiver is outside the park: the generator (enterprise A) records the receipt; A's
    # viewer may not write and gets no form
    viewer = log_in(w, "a_viewer").get("/waste/manifests").text
    assert f'data-testid="receive-form-{mid}"' not in viewer
    page = (admin := log_in(w, "a_admin")).get("/waste/manifests")
    assert f'data-testid="receive-form-{mid}"' in page.text
    token = csrf(page.text)
    bad = admin.post(f"/waste/manifests/{mid}/receive",
                     data={"csrf": token, "received_0": "zwei", "unit": "t"})  # fmt: skip
    assert bad.status_code == 422 and f'data-testid="receive-error-{mid}"' in bad.text
    assert "zwei" in bad.text
    forged = admin.post(f"/waste/manifests/{mid}/receive",
                        data={"csrf": "forged", "received_0": "1950", "unit": "kg"})  # fmt: skip
    assert forged.status_code == 403
    done = admin.post(f"/waste/manifests/{mid}/receive", follow_redirects=False,
                      data={"csrf": token, "received_0": "1950", "unit": "kg", "at": "2025-05-03"})  # fmt: skip
    assert done.status_code == 303
    got = c.get(f"/api/v1/waste/manifests/{mid}", headers=a).json()
    # 1950 kg = 1.95 t received of 2 t: −0.05 t
    assert got["state"] == "received" and abs(got["history"][-1]["difference_t"] + 0.05) < 1e-9
    assert f'data-testid="receive-form-{mid}"' not in admin.get("/waste/manifests").text
    # B's user cannot record A's receipt (the same answer as a manifest that does not exist)
    b = log_in(w, "b_admin")
    b_token = csrf(b.get("/waste/manifests").text)
    assert b.post(f"/waste/manifests/{mid}/receive",
                  data={"csrf": b_token, "received_0": "1"}).status_code == 404  # fmt: skip
    # a cross-province approval of A is listed on the manifests page
    made = c.post("/api/v1/waste/approvals", headers=a, json={
        "number": "苏固移〔2025〕88号", "destination": "浙江省", "codes": ["HW49"], "quantity": 5,
        "unit": "t", "valid_from": "2025-01-01", "valid_to": "2025-12-31"})  # fmt: skip
    assert made.status_code == 201, made.text
    listed = admin.get("/waste/manifests").text
    assert 'data-testid="waste-approvals"' in listed and "苏固移〔2025〕88号" in listed


def test_the_storage_status_shows_the_extension_with_its_limit(web_world: World) -> None:
    w, a = web_world, web_world.h("a_admin")
    c = w.client
    sid = c.post("/api/v1/waste/streams", headers=a, json={
        "code": "900-039-49", "name": "废活性炭 延期", "form": "固态", "process": "废气治理"}).json()["id"]  # fmt: skip
    fid = c.post("/api/v1/waste/facilities", headers=a, json={
        "code": "WH-AX", "name": "危废暂存间二", "capacity": 5}).json()["id"]  # fmt: skip
    for body in ({"kind": "generated", "quantity": 1, "at": "2025-04-01"},
                 {"kind": "stored", "quantity": 1, "at": "2025-04-01", "facility_id": fid}):  # fmt: skip
        assert c.post("/api/v1/waste/movements", headers=a,
                      json={"stream_id": sid, "batch": "AX-1", **body}).status_code == 201  # fmt: skip
    # stored 2025-04-01: statutory limit 2026-04-01; extended until 2026-09-30
    made = c.post("/api/v1/waste/storage-extensions", headers=a, json={
        "stream_id": sid, "batch": "AX-1", "authority": "苏州市生态环境局",
        "number": "苏环危贮延〔2026〕21号", "approved_on": "2026-03-20", "until": "2026-09-30"})  # fmt: skip
    assert made.status_code == 201, made.text
    allowed = user_data(w) | {"WH-A", "WH-AX", "A-2025-01", "AX-1"}
    for lang in ("zh-CN", "en"):
        v = log_in(w, "a_viewer")
        v.get(f"/lang/{lang}")
        page = v.get("/waste?year=2025").text
        cell = page.split('data-testid="extension-AX-1">', 1)[1].split("</td>", 1)[0]
        assert "苏环危贮延〔2026〕21号" in cell and "2026-04-01" in cell  # number, statutory limit
        row = page.split('<td class="code">AX-1</td>', 1)[1].split("</tr>", 1)[0]
        assert "<td>2026-09-30</td>" in row  # the deadline in force is the extension's
        if lang == "zh-CN":
            assert "延期批准" in page and "法定期限" in cell
            found = [p for t in visible(page) for p in problems(t, allowed)]
            assert found == [], found
    # B's users see neither the batch nor its extension
    assert "苏环危贮延〔2026〕21号" not in log_in(w, "b_admin").get("/waste").text
