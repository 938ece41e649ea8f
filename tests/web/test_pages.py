"""Dashboard pages through the app (server-rendered): sessions, CSRF, tenancy, language."""

from __future__ import annotations

import io
import json
import re
import time
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.api.walk import no_b_data
from tests.api.world import PASSWORD, World, programme_measure_body


def browser(world: World) -> TestClient:
    """A fresh cookie jar on the world's app."""
    return TestClient(world.client.app, follow_redirects=False)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def log_in(world: World, user: str) -> TestClient:
    c = browser(world)
    token = csrf(c.get("/login").text)
    r = c.post(
        "/login", data={"username": user, "password": PASSWORD, "csrf": token, "next": "/overview"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/overview", r.text
    return c


def test_pages_need_a_session(web_world: World) -> None:
    c = browser(web_world)
    for path in ("/", "/overview", "/flow", "/enterprises", "/meters", "/reports"):
        r = c.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith(("/login", "/overview"))
    assert c.get("/overview").headers["location"] == "/login?next=/overview"


def test_login_needs_the_form_token_and_sets_httponly_cookies(web_world: World) -> None:
    c = browser(web_world)
    c.get("/login")
    r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 400 and "lingtan_session" not in r.headers.get("set-cookie", "")
    c = browser(web_world)
    token = csrf(c.get("/login").text)
    r = c.post("/login", data={"username": "admin", "password": "wrong", "csrf": token})
    assert r.status_code == 401 and 'data-testid="login-error"' in r.text
    r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": token})
    cookies = r.headers.get_list("set-cookie")
    session = next(x for x in cookies if x.startswith("lingtan_session="))
    refresh = next(x for x in cookies if x.startswith("lingtan_refresh="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower()
    assert "HttpOnly" in refresh and "samesite=strict" in refresh.lower()


def test_login_redirects_only_to_local_paths(web_world: World) -> None:
    c = browser(web_world)
    token = csrf(c.get("/login").text)
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        r = c.post(
            "/login",
            data={"username": "viewer", "password": PASSWORD, "csrf": token, "next": target},
        )
        assert r.headers["location"] == "/overview"
    assert (
        c.get("/lang/en", params={"next": "https://evil.example"}).headers["location"]
        == "/overview"
    )


def test_park_admin_pages(web_world: World) -> None:
    c = log_in(web_world, "admin")
    for path in (
        "/overview",
        "/flow",
        "/enterprises",
        f"/enterprises/{web_world.enterprises['E02']}",
        "/meters",
        "/reports",
    ):
        r = c.get(path)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store"
    page = c.get("/overview").text
    assert 'data-testid="year-total-tce"' in page and "合成数据" in page


def test_enterprise_viewer_sees_only_its_enterprise(web_world: World) -> None:
    c = log_in(web_world, "a_viewer")
    assert (
        c.get("/enterprises").headers["location"] == f"/enterprises/{web_world.enterprises['E01']}"
    )
    for path in (
        "/overview",
        "/flow",
        f"/enterprises/{web_world.enterprises['E01']}",
        "/meters",
        "/reports",
    ):
        r = c.get(path)
        assert r.status_code == 200, path
        for marker in web_world.b_markers:
            assert marker not in r.text, (path, marker)
    r = c.get(f"/enterprises/{web_world.enterprises['E02']}")
    assert r.status_code == 404
    for marker in web_world.b_markers:
        assert marker not in r.text
    missing = c.get("/enterprises/99999999")
    # B's page is the very page a missing enterprise gets (apart from its own address, in the
    # language switch): nothing tells that B exists
    b_path = f"/enterprises/{web_world.enterprises['E02']}"
    assert missing.status_code == 404
    assert missing.text.replace("/enterprises/99999999", "/enterprises/ID") == r.text.replace(
        b_path, "/enterprises/ID"
    )
    overview = c.get("/overview").text
    assert "企业总览" in overview


def test_language_switch(web_world: World) -> None:
    c = log_in(web_world, "viewer")
    assert '<html lang="zh-CN">' in c.get("/overview").text
    r = c.get("/lang/en", params={"next": "/meters"})
    assert r.status_code == 303 and r.headers["location"] == "/meters"
    page = c.get("/overview").text
    assert '<html lang="en">' in page and "Park overview" in page and "Energy flow" in page
    c.get("/lang/zh-CN")
    assert "园区总览" in c.get("/overview").text


def test_charts_use_the_local_plotly_bundle(web_world: World) -> None:
    c = log_in(web_world, "viewer")
    page = c.get("/overview").text
    sources = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert "/static/plotly.min.js" in sources
    assert all(s.startswith("/static/") for s in sources), sources
    # nothing is loaded from elsewhere (the page's random CSRF token may spell "cdn")
    urls = re.findall(r'(?:src|href|action)="([^"]+)"', page)
    assert urls and not [u for u in urls if u.startswith(("http:", "https:", "//"))], urls
    js = c.get("/static/plotly.min.js")
    assert js.status_code == 200 and b"plotly.js" in js.content[:2000]


def test_logout_revokes_the_session(web_world: World) -> None:
    c = log_in(web_world, "viewer")
    token = csrf(c.get("/overview").text)
    refresh = c.cookies.get("lingtan_refresh")
    r = c.post("/logout", data={"csrf": token})
    assert r.status_code == 303
    assert c.get("/overview").status_code == 303
    r = web_world.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert r.status_code == 401


def test_expired_access_cookie_is_refreshed_silently(web_world: World) -> None:
    c = log_in(web_world, "viewer")
    old_refresh = c.cookies.get("lingtan_refresh")
    c.cookies.set("lingtan_session", "expired-or-garbage")
    r = c.get("/overview")
    assert r.status_code == 200
    assert c.cookies.get("lingtan_refresh") != old_refresh  # rotated


@pytest.mark.parametrize("fmt", ["html", "xlsx"])
def test_reports_page_builds_and_downloads_a_report(web_world: World, fmt: str) -> None:
    c = log_in(web_world, "a_viewer")
    token = csrf(c.get("/reports").text)
    r = c.post(
        "/reports",
        data={"kind": "energy_report", "year": "2025", "month": "1", "format": fmt, "csrf": token},
    )
    assert r.status_code == 303
    deadline = time.monotonic() + 60
    link = None
    while time.monotonic() < deadline and link is None:
        found = re.findall(r'href="(/jobs/[0-9a-f-]{36}/file)"', c.get("/reports").text)
        link = found[0] if found else None
        time.sleep(0.1)
    assert link, "the report was not built"
    f = c.get(link)
    assert f.status_code == 200 and "attachment" in f.headers["content-disposition"]
    other = log_in(web_world, "b_viewer")
    nothing = "/jobs/00000000-0000-4000-8000-000000000000/file"
    aimed, missing = other.get(link), other.get(nothing)
    assert aimed.status_code == missing.status_code == 404
    assert aimed.text.replace(link, "LINK") == missing.text.replace(nothing, "LINK")


def _alarm_of(world: World, user: str, point: str) -> int:
    """An open alarm on ``point``: a rule of ``user``'s raised by one of the point's stored
    readings sent again (the rule has not seen it; the store keeps it)."""
    h = world.h(user)
    code = f"web-{point}-{time.monotonic_ns()}"
    rule = {"id": code, "name": "网页测试", "kind": "threshold", "severity": "major",
            "scope": {"points": [point]}, "op": "below", "low": 1e15}  # fmt: skip
    assert world.client.post("/api/v1/alarms/rules", headers=h, json=rule).status_code == 201
    first = world.client.get(f"/api/v1/points/{point}/readings", headers=h, params={"limit": 1})
    sent = world.client.post(
        "/api/v1/readings", headers=h, json=[{"point": point, **first.json()["items"][0]}]
    )
    assert sent.status_code == 200, sent.text
    found = world.client.get("/api/v1/alarms", headers=h, params={"rule": code}).json()
    return int(found["items"][0]["id"])


def test_alarm_pages_list_show_acknowledge_and_close(web_world: World) -> None:
    alarm_id = _alarm_of(web_world, "a_admin", "E01-line")
    c = log_in(web_world, "a_admin")
    page = c.get("/overview").text
    assert 'data-testid="alarm-badge"' in page  # the header counts the open alarm
    listed = c.get("/alarms", params={"state": "open", "severity": "major"}).text
    assert f'data-alarm="{alarm_id}"' in listed
    shown = c.get(f"/alarms/{alarm_id}").text
    assert 'data-testid="alarm-chart"' in shown and 'data-testid="ack-form"' in shown
    r = c.post(f"/alarms/{alarm_id}/acknowledge", data={"csrf": csrf(shown), "comment": "已派人"})
    assert r.status_code == 303
    shown = c.get(f"/alarms/{alarm_id}").text
    assert "已派人" in shown and 'data-testid="ack-form"' not in shown
    r = c.post(f"/alarms/{alarm_id}/close", data={"csrf": "forged", "comment": ""})
    assert r.status_code == 403
    r = c.post(f"/alarms/{alarm_id}/close", data={"csrf": csrf(shown), "comment": "处理完毕"})
    assert r.status_code == 303
    events = web_world.client.get(
        f"/api/v1/alarms/{alarm_id}", headers=web_world.h("admin")
    ).json()["events"]
    assert [e["action"] for e in events] == ["raised", "acknowledged", "closed"]
    assert events[1]["actor"] == "user:a_admin"


def test_an_enterprise_cannot_open_another_enterprises_alarm_page(web_world: World) -> None:
    alarm_id = _alarm_of(web_world, "b_admin", "E02-line")
    c = log_in(web_world, "a_admin")
    assert c.get(f"/alarms/{alarm_id}").status_code == 404
    assert f'data-alarm="{alarm_id}"' not in c.get("/alarms").text
    token = csrf(c.get("/alarms").text)
    assert c.post(f"/alarms/{alarm_id}/acknowledge", data={"csrf": token}).status_code == 404


def test_an_incident_is_opened_from_an_alarm_page(web_world: World) -> None:
    alarm_id = _alarm_of(web_world, "a_admin", "E01-hvac")
    c = log_in(web_world, "a_admin")
    shown = c.get(f"/alarms/{alarm_id}").text
    assert 'data-testid="incident-form"' in shown
    r = c.post(
        f"/alarms/{alarm_id}/incident",
        data={"csrf": csrf(shown), "title": "暖通进线异常", "kind": "production_safety_accident"},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/incidents/")
    incident = c.get(r.headers["location"])
    assert incident.status_code == 200 and "暖通进线异常" in incident.text
    assert f"#{alarm_id}" in incident.text  # the linked alarm and its first time-line entry


def test_an_incident_form_without_a_title_is_refused(web_world: World) -> None:
    alarm_id = _alarm_of(web_world, "a_admin", "E01-water")
    c = log_in(web_world, "a_admin")
    token = csrf(c.get(f"/alarms/{alarm_id}").text)
    r = c.post(
        f"/alarms/{alarm_id}/incident",
        data={"csrf": token, "title": " ", "kind": "natural_disaster"},
    )
    assert r.status_code == 422


def test_forecast_list_shows_enterprise_and_park_load_forecasts(web_world: World) -> None:
    """The park admin's list names B's enterprise load forecast (issued by the world) and a
    park load forecast as such; A's viewer sees neither."""
    issued = web_world.client.post(
        "/api/v1/forecasts", headers=web_world.h("admin"), json={"scope": "park"}
    )
    assert issued.status_code == 201, issued.text
    page = log_in(web_world, "admin").get("/forecasts").text
    subjects = re.findall(r'data-testid="forecast-subject">([^<]+)<', page)
    assert "企业负荷" in subjects and "园区负荷" in subjects  # enterprise load, park load
    a = log_in(web_world, "a_viewer").get("/forecasts").text
    assert 'data-testid="forecast-subject"' not in a


# -- compliance: the admission form runs the API's service function and shows its report with
# the Excel/HTML downloads (park roles only); the grading page answers

ADMISSION_PROJECT = {
    "name": "页面测试项目", "investment_cny": "1000000", "energy_tce": "100",
    "electricity_kwh": "0", "green_power_share": "0", "combustion_tco2": "0",
    "process_tco2": "0", "water_m3": "50", "water_reused_m3": "20",
}  # fmt: skip


def test_admission_form_report_and_downloads(web_world: World) -> None:
    c = log_in(web_world, "admin")
    page = c.get("/compliance/admission")
    assert page.status_code == 200 and 'data-testid="admission-form"' in page.text
    form = {**ADMISSION_PROJECT, "year": "2025", "core_max": "1.0", "core_source": "页面规则",
            "no_worsening": "true", "csrf": csrf(page.text)}  # fmt: skip
    # a required field left blank: the form again, the error at its field
    bad = c.post("/compliance/admission", data={**form, "energy_tce": ""})
    assert bad.status_code == 422 and 'data-testid="error-energy_tce"' in bad.text
    r = c.post("/compliance/admission", data=form)
    assert r.status_code == 303, r.text[:500]
    check_id = int(r.headers["location"].rsplit("=", 1)[1])
    shown = c.get(r.headers["location"]).text
    # the same inputs through the API (not stored): the same verdict and park totals
    api = web_world.client.post(
        "/api/v1/compliance/admission", headers=web_world.h("admin"),
        json={"project": {k: float(v) if k != "name" else v for k, v in ADMISSION_PROJECT.items()},
              "rules": {"core_max": 1.0, "core_source": "页面规则"}, "year": 2025,
              "store": False},
    ).json()  # fmt: skip
    verdict = re.search(r'data-testid="admission-verdict" data-verdict="(\w+)"', shown)
    assert verdict is not None and verdict.group(1) == api["verdict"]
    # a zero-emission project of 100 tce: after = E / (T + 100)
    e, t = api["park_emissions_tco2"], api["park_energy_tce"]
    after = next(x for x in api["criteria"] if x["id"] == "core_after")["value"]
    assert abs(after - e / (t + 100)) < 1e-9
    assert 'data-criterion="core_after"' in shown and 'data-criterion="no_worsening"' in shown
    # the guiding indicators the project moves are on the page, as the API judged them
    for cid in ("guiding.clean_energy_share", "guiding.water_reuse"):
        assert f'data-criterion="{cid}"' in shown
    water = next(x for x in api["criteria"] if x["id"] == "guiding.water_reuse")
    assert water["note_en"].startswith("(")  # (R + 20) / (R + 20 + I + 50): both declared
    assert f'data-check="{check_id}"' in shown  # listed among the stored checks
    xlsx = c.get(f"/compliance/admission/{check_id}/report.xlsx")
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "页面测试项目" and len(rows) == 2 + len(api["criteria"])
    html = c.get(f"/compliance/admission/{check_id}/report.html")
    assert html.status_code == 200 and "页面测试项目" in html.text

    # an enterprise user: a notice on the page, the form refused, the download as for none
    a = log_in(web_world, "a_viewer")
    seen = a.get("/compliance/admission")
    assert seen.status_code == 200 and 'data-testid="admission-park-only"' in seen.text
    assert "页面测试项目" not in seen.text
    refused = a.post("/compliance/admission", data={**form, "csrf": csrf(seen.text)})
    assert refused.status_code == 403
    assert a.get(f"/compliance/admission/{check_id}/report.xlsx").status_code == 404
    grading = a.get("/compliance?year=2025")
    assert grading.status_code == 200 and 'data-testid="grading-table"' in grading.text
    # the water-intake comparison is shown under the energy grading, existing plants by default
    assert 'data-testid="water-quota"' in grading.text and "现有企业" in grading.text
    no_b_data(web_world, grading.text, "/compliance as a_viewer")
    # the energy audit of the page's year, the caller's own enterprise: its total is the API's
    link = re.search(r'href="(/compliance/audit\.xlsx[^"]*)" data-testid="audit-download"',
                     grading.text)  # fmt: skip
    assert link is not None and link.group(1) == "/compliance/audit.xlsx?year=2025"
    book = a.get(link.group(1))
    assert book.status_code == 200, book.text[:300]
    rows = list(load_workbook(io.BytesIO(book.content))["能源消费"].iter_rows(values_only=True))
    api = web_world.client.get("/api/v1/compliance/audit", headers=web_world.h("a_viewer"),
                               params={"year": 2025}).json()  # fmt: skip
    total = next(r for r in rows if r[0] == "合计（综合能耗）")
    assert total[4] == pytest.approx(api["total_tce"])
    no_b_data(web_world, " ".join(str(v) for r in rows for v in r if v), "the audit as a_viewer")


# -- the GHG page (/ghg): an enterprise's user sees its own account; B's account or its
# downloads by URL are the same 404 as an enterprise that does not exist (last in the module:
# it adds GHG documents to the shared world)

GHG_EV = {"kind": "measured", "reference": "LAB-1", "tier": 3}


def _ghg_doc(name: str) -> dict[str, Any]:
    """1 t a month of a fuel with 50 % measured carbon, months 1–11 (December missing):
    1 × 0.5 × 44/12 = 1.8333… tCO2 a month; eleven months 20.1667 tCO2, the year missing, so
    the covered-unit test of a cement unit is undetermined."""
    return {
        "enterprise": name,
        "year": 2025,
        "sector": "cement",
        "sources": [
            {
                "id": "boiler",
                "method": "measured_carbon",
                "series": {
                    "mass": {
                        "unit": "t",
                        "months": [
                            {"month": m, "value": 1, "evidence": GHG_EV} for m in range(1, 12)
                        ],
                    }
                },
                "params": {"carbon_content": {"value": 0.5, "evidence": GHG_EV}},
            }
        ],
    }


def _blank(text: str, url: str) -> str:
    """The page without its own address (the language switch repeats it, quoted)."""
    return text.replace(quote(url), "URL").replace(url.replace("&", "&amp;"), "URL")


def test_ghg_page_is_scoped_to_the_callers_enterprise(web_world: World) -> None:
    w = web_world
    a_id, b_id = w.enterprises["E01"], w.enterprises["E02"]
    # A exports hot-rolled coil: 20 tCO2e over 100 t → SEE 0.2 tCO2e/t, actual data
    mill = {"name": "轧钢车间", "year": 2026, "processes": [
        {"id": "hsm", "cn_code": "7208 51 20", "output": 100, "direct_emissions": 20}]}  # fmt: skip
    for user, ent, name in (("a_admin", None, "甲"), ("admin", b_id, "乙")):
        doc = {**_ghg_doc(name), "cbam_installations": [mill] if ent is None else []}
        r = w.client.post(
            "/api/v1/ghg/documents", headers=w.h(user), json={"enterprise_id": ent, "document": doc}
        )
        assert r.status_code == 201, r.text
    c = log_in(w, "a_viewer")
    c.get("/lang/zh-CN")
    own = c.get("/ghg?year=2025")
    assert own.status_code == 200
    # the market boundary of the eleven months present, December flagged
    assert "20.167" in own.text and 'data-status="undetermined"' in own.text
    assert f"/ghg/report?year=2025&amp;enterprise_id={a_id}" in own.text
    no_b_data(w, own.text, "GET /ghg")
    cbam = c.get(f"/ghg/cbam?year=2025&enterprise_id={a_id}&installation=0&format=json")
    assert cbam.status_code == 200
    good = cbam.json()["goods"][0]
    assert (good["see_direct"], good["basis"]) == (pytest.approx(0.2), "actual")
    for path in ("/ghg?year=2025&enterprise_id={}", "/ghg/report?year=2025&enterprise_id={}",
                 "/ghg/evidence?year=2025&enterprise_id={}"):  # fmt: skip
        at_b, at_nothing = c.get(path.format(b_id)), c.get(path.format(987_654))
        assert at_b.status_code == at_nothing.status_code == 404, path
        b_url, none_url = path.format(b_id), path.format(987_654)
        assert _blank(at_b.text, b_url) == _blank(at_nothing.text, none_url), path
    # the park's admin picks B and gets its evidence
    park = log_in(w, "admin")
    ev = park.get(f"/ghg/evidence?year=2025&enterprise_id={b_id}")
    assert ev.status_code == 200 and len(ev.json()) == 12


# -- the programme page (/programme): an enterprise's user sees its own plans; B's plan answers
# as one that does not exist


def test_programme_page_is_scoped_to_the_callers_enterprise(web_world: World) -> None:
    w = web_world
    a = w.h("a_admin")
    plan = w.client.post(
        "/api/v1/programme/plans", headers=a,
        json={"year": 2025, "title": "甲节能计划", "targets": {"energy_tce_max": 100000}},
    )  # fmt: skip
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    m = w.client.post(
        "/api/v1/programme/measures", headers=a, json=programme_measure_body(plan_id, "PG-1")
    )
    assert m.status_code == 201, m.text
    v = w.client.post(f"/api/v1/programme/measures/{m.json()['id']}/verify", headers=a,
                      json={"save": True})  # fmt: skip
    # baseline 100 + 2 × output; the reporting month at output 20 → 140, measured 126: 14 kWh
    assert v.status_code == 200 and v.json()["verification"]["savings"] == pytest.approx(14)
    c = log_in(w, "a_viewer")
    c.get("/lang/zh-CN")
    own = c.get(f"/programme?plan={plan_id}")
    assert own.status_code == 200
    assert "甲节能计划" in own.text and "PG-1" in own.text
    assert 'data-target="energy_tce_max"' in own.text and "符合进度" in own.text
    no_b_data(w, own.text, "GET /programme")
    listing = c.get("/programme?year=2025")
    assert "甲节能计划" in listing.text
    no_b_data(w, listing.text, "GET /programme?year=2025")
    book = c.get(f"/programme/report?plan={plan_id}")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    b_plan = w.b["saving_plan_id"]
    for path in ("/programme?plan={}", "/programme/report?plan={}"):
        at_b, at_nothing = c.get(path.format(b_plan)), c.get(path.format(987_654))
        assert at_b.status_code == at_nothing.status_code == 404, path
        assert _blank(at_b.text, path.format(b_plan)) == _blank(
            at_nothing.text, path.format(987_654)
        ), path
    c.get("/lang/en")
    en = c.get(f"/programme?plan={plan_id}")
    assert "Energy management" in en.text and "on track" in en.text


# -- circular projects on the energy-flow page (/flow): drawn between the two enterprises and
# listed with their basis and avoided energy; an enterprise party to none sees none


def test_flow_page_shows_circular_projects_to_their_parties(web_world: World) -> None:
    w = web_world
    e1, e2 = w.enterprises["E01"], w.enterprises["E03"]
    r = w.client.post("/api/v1/programme/records", headers=w.h("admin"), json={
        "kind": "circular_project", "title": "甲蒸汽供丙", "body": {
            "name": "余热蒸汽互供", "kind": "steam",
            "flows": [{"supplier_id": e1, "receiver_id": e2, "carrier": "steam", "unit": "GJ",
                       "quantity": 1200}],
            "energy_factor": {"value": 0.03412, "unit": "tce/GJ",
                              "record": "GB/T 2589-2020 heat 0.03412 tce/GJ"},
        },
        "cites": {"period_start": "2025-01-01", "period_end": "2025-12-31"},
    })  # fmt: skip
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    # the dashboard serves a view computed earlier (by another test of this module) while it
    # computes the newer one: this test reads the newer one
    w.client.app.state.view_cache.clear()  # type: ignore[attr-defined]
    page = log_in(w, "a_viewer").get("/flow?year=2025").text
    row = page.split(f'data-testid="circular-{rid}-0"', 1)[1].split("</tr>", 1)[0]
    # 1 200 GJ declared; 1 200 × 0.03412 = 40.944 tce avoided
    assert "余热蒸汽互供" in row and "1,200.0 GJ" in row and "40.94" in row and "申报" in row
    data = page.split('id="flow-data">', 1)[1].split("</script>", 1)[0]
    drawn = json.loads(data)["circular_drawn"]
    assert [round(d["value"], 3) for d in drawn] == [40.944]
    # E02's users are party to none of it
    other = log_in(w, "b_viewer").get("/flow?year=2025").text
    assert f"circular-{rid}-0" not in other and "余热蒸汽互供" not in other
    api = w.client.get("/api/v1/overview/energy-flow", headers=w.h("b_viewer"),
                       params={"year": 2025}).json()  # fmt: skip
    assert api["circular"] == []


def test_equipment_page_lists_smart_poles_with_latest_values(web_world: World) -> None:
    w = web_world
    point = w.park["point"]
    body = {
        "name": "主干道",
        "kind": "road",
        "circuits": [point],
        "latitude": 31.3,
        "longitude": 120.6,
        "poles": [{"code": "P-9", "name": "9号杆", "lighting": [point]}],
    }
    assert w.client.put("/api/v1/equipment/lighting/zones/RD-POLE", headers=w.h("admin"),
                        json=body).is_success  # fmt: skip
    api = w.client.get("/api/v1/equipment/lighting/zones/RD-POLE/poles", headers=w.h("admin"))
    latest = api.json()[0]["points"][0]
    page = log_in(w, "admin").get("/equipment").text
    row = page.split(f'data-pole="P-9" data-point="{point}"', 1)[1].split("</tr>", 1)[0]
    assert "9号杆" in row and "照明回路" in row
    assert f'data-value="{latest["value"]}"' in row
