"""Every dashboard form filled and submitted in Chromium: first an invalid input, whose error
is shown at its field (or at its line of an uploaded file) with what was typed kept, then a
valid one that is saved — with no script error, no console error other than the status line
of the refused form, and no Content-Security-Policy violation.

The settlement and user forms are in test_browser.py; the same served demo world is used
(the ``live`` and ``chromium`` fixtures).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.walk import PARK_FILE
from tests.api.world import World, certificate_csv
from tests.web.test_admin_pages import BAD_PARK_FILE
from tests.web.test_browser import _login, chromium, live  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _watched(browser: Any, url: str, user: str) -> Any:
    """A logged-in page that records script errors and console errors; the status line of a
    form refused by design (4xx) is the only console error allowed."""
    page = _login(browser, url, user)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "the server responded with a status of 4" not in m.text
            else None
        ),
    )
    page.errors = errors
    return page


def _clean(page: Any) -> None:
    assert page.errors == []
    assert page.csp_violations == []


def _valid(locator: Any) -> bool:
    """The browser's own check of a field (required, min/max, type)."""
    return bool(locator.evaluate("e => e.checkValidity()"))


def test_admin_forms_keys_options_park_file_and_profile(
    chromium: Any,  # noqa: F811
    live: tuple[World, str],  # noqa: F811
) -> None:
    world, url = live
    page = _watched(chromium, url, "admin")

    # API key: an expiry in the past is refused at its field, the name kept; then shown once
    page.goto(f"{url}/keys")
    page.fill("[data-testid=key-name]", "浏览器密钥")
    page.select_option("[name=scope]", "read")
    page.fill("[name=expires_on]", "2001-01-01")
    page.click("[data-testid=key-save]")
    page.wait_for_selector("[data-testid=error-expires_on]")
    assert page.input_value("[data-testid=key-name]") == "浏览器密钥"
    page.fill("[name=expires_on]", "")
    page.click("[data-testid=key-save]")
    secret = page.locator("[data-testid=key-secret]").inner_text().strip()
    assert len(secret) > 20
    ok = world.client.get("/api/v1/park", headers={"X-API-Key": secret})
    assert ok.status_code == 200
    page.goto(f"{url}/keys")
    assert secret not in page.content()  # shown once
    # revoked from its row: it stops working at once
    page.click("tr:has-text('浏览器密钥') [data-testid^=revoke-]")
    page.wait_for_selector("tr:has-text('浏览器密钥') [data-testid^=revoke-]", state="detached")
    gone = world.client.get("/api/v1/park", headers={"X-API-Key": secret})
    assert gone.status_code == 401

    # a user changed: a new password too short is refused at its field, the role chosen kept
    # (the password never is); then the role is saved
    page.goto(f"{url}/users")
    page.click("tr[data-user=viewer] summary")
    change = page.locator("[data-testid=user-viewer]")
    change.locator("[name=role]").select_option("auditor")
    change.locator("[name=password]").fill("short")
    change.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=user-viewer] [data-testid=error-password]")
    change = page.locator("[data-testid=user-viewer]")
    assert change.locator("[name=role]").input_value() == "auditor"
    assert change.locator("[name=active]").is_checked()
    assert change.locator("[name=password]").input_value() == ""
    change.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=saved]")
    user = world.client.get(f"/api/v1/users/{world.users['viewer']}", headers=world.h("admin"))
    assert user.json()["role"] == "auditor" and user.json()["active"] is True

    # the outbox: B's failed delivery sent again from its row (audited)
    page.goto(f"{url}/exchange")
    page.click(f"form[action='/exchange/deliveries/{world.b['delivery_id']}/retry'] button")
    page.wait_for_url(f"{url}/exchange")
    audit = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": "retry"}
    ).json()
    assert str(world.b["delivery_id"]) in {e["entity_id"] for e in audit["items"]}

    # options: a share above 1 is refused at its field and kept; then a target year is saved
    page.goto(f"{url}/options")
    version = int(page.locator("[data-testid=options-version]").inner_text())
    page.fill("[data-testid=opt-completeness_threshold]", "1.5")
    page.click("[data-testid=options-save]")
    page.wait_for_selector("[data-testid=error-completeness_threshold]")
    assert page.input_value("[data-testid=opt-completeness_threshold]") == "1.5"
    page.fill("[data-testid=opt-completeness_threshold]", "0.9")
    page.fill("[data-testid=opt-target_year]", "2031")
    page.fill("[data-testid=options-reason]", "浏览器测试")
    page.click("[data-testid=options-save]")
    page.wait_for_selector("[data-testid=saved]")
    api = world.client.get("/api/v1/options", headers=world.h("admin")).json()
    assert api["version"] == version + 1
    assert api["options"]["target_year"] == 2031
    assert api["options"]["completeness_threshold"] == pytest.approx(0.9)
    assert api["reason"] == "浏览器测试"

    # the park file: an uploaded file with a bad 统一社会信用代码 (line 8) and an unknown
    # field (line 9) shows both lines; the text pasted is validated, then applied
    page.goto(f"{url}/park-file")
    page.set_input_files(
        "[data-testid=park-file]",
        files=[{"name": "park.yaml", "mimeType": "application/yaml",
                "buffer": BAD_PARK_FILE.encode()}],
    )  # fmt: skip
    page.click("[data-testid=park-validate]")
    page.wait_for_selector("[data-testid=form-errors]")
    shown = page.locator("[data-testid^=error-line-]")
    lines = {shown.nth(i).get_attribute("data-testid") for i in range(shown.count())}
    assert lines == {"error-line-8", "error-line-9"}
    assert "not-a-code" in page.locator("[data-testid=error-line-8]").inner_text()
    assert page.locator("[data-testid=park-apply]").count() == 0
    page.fill("[data-testid=park-text]", PARK_FILE)
    page.click("[data-testid=park-validate]")
    page.wait_for_selector("[data-testid=valid]")
    assert page.input_value("[data-testid=park-text]").strip() == PARK_FILE.strip()
    page.click("[data-testid=park-apply]")
    page.wait_for_selector("[data-testid=applied]")

    # the park's own indicator profile: an unknown quantity at line 17 of the file, nothing
    # stored; then the profile is stored as version 1
    from tests.indicators.test_profiles import GOOD

    page.goto(f"{url}/indicators/profiles")
    page.set_input_files(
        "[data-testid=profile-file]",
        files=[{"name": "web-park.yaml", "mimeType": "application/yaml",
                "buffer": GOOD.replace("my-park", "web-park")
                .replace("energy_tce\n", "fuel_tce\n").encode()}],
    )  # fmt: skip
    page.click("[data-testid=profile-save]")
    page.wait_for_selector("[data-testid=error-line-17]")
    assert page.locator("[data-testid^=error-line-]").count() == 1
    assert "fuel_tce" in page.locator("[data-testid=error-line-17]").inner_text()
    assert page.locator("[data-testid=profile-version-web-park-1]").count() == 0
    page.fill("[data-testid=profile-text]", GOOD.replace("my-park", "web-park"))
    page.fill("[data-testid=profile-reason]", "浏览器 v1")
    page.click("[data-testid=profile-save]")
    page.wait_for_selector("[data-testid=saved]")
    assert page.locator("[data-testid=profile-version-web-park-1]").count() == 1
    _clean(page)
    page.close()


def test_records_admission_and_certificate_forms(
    chromium: Any,  # noqa: F811
    live: tuple[World, str],  # noqa: F811
) -> None:
    """As enterprise A's admin: a statistics record of its own enterprise (added, then
    corrected), certificates imported and retired; the park's admission check refused with its
    notice. As the park admin: the admission check."""
    world, url = live
    a = _watched(chromium, url, "a_admin")

    # a record: a negative quantity refused at its field, the rest kept; then saved
    a.goto(f"{url}/records")
    form = a.locator("[data-testid=record-form]")
    assert form.locator("[name=enterprise_id]").count() == 0  # its own enterprise only
    form.locator("[name=category]").select_option("water")
    form.locator("[name=item]").fill("intake")
    form.locator("[name=period_start]").fill("2025-02-01")
    form.locator("[name=period_end]").fill("2025-02-28")
    form.locator("[name=quantity]").fill("-3")
    form.locator("[name=unit]").fill("m3")
    form.locator("[name=source_document]").fill("水费单 浏览器")
    a.click("[data-testid=record-save]")
    a.wait_for_selector("[data-testid=record-form] [data-testid=error-quantity]")
    form = a.locator("[data-testid=record-form]")
    assert form.locator("[name=source_document]").input_value() == "水费单 浏览器"
    assert form.locator("[name=quantity]").input_value() == "-3"
    form.locator("[name=quantity]").fill("88.5")
    a.click("[data-testid=record-save]")
    a.wait_for_selector("[data-testid=saved]")
    rows = world.client.get(
        "/api/v1/records", headers=world.h("a_admin"), params={"category": "water"}
    ).json()["items"]
    mine = [r for r in rows if r["source_document"] == "水费单 浏览器"]
    assert len(mine) == 1 and mine[0]["quantity"] == pytest.approx(88.5)
    assert mine[0]["enterprise_id"] == world.enterprises["E01"]
    rid = mine[0]["id"]

    # its correction: a quantity that is not a number, then 90
    correct = a.locator(f"[data-testid=correct-{rid}]")
    a.locator(f"tr[data-record='{rid}'] summary").click()
    correct.locator("[name=quantity]").fill("neunzig")
    correct.locator("[name=source_document]").fill("更正单 浏览器")
    correct.locator("button[type=submit]").click()
    a.wait_for_selector(f"[data-testid=correct-{rid}] [data-testid=error-quantity]")
    correct = a.locator(f"[data-testid=correct-{rid}]")
    assert correct.locator("[name=quantity]").input_value() == "neunzig"
    assert correct.locator("[name=source_document]").input_value() == "更正单 浏览器"
    correct.locator("[name=quantity]").fill("90")
    correct.locator("button[type=submit]").click()
    a.wait_for_selector("[data-testid=saved]")
    rows = world.client.get(
        "/api/v1/records", headers=world.h("a_admin"), params={"category": "water"}
    ).json()["items"]
    fixed = [r for r in rows if r["source_document"] == "更正单 浏览器"]
    assert len(fixed) == 1 and fixed[0]["quantity"] == pytest.approx(90)

    # certificates: a file whose number is short is refused; two of A's are imported, the
    # first retired (a month 13 refused first, the ticked certificate kept)
    certs = ["6" * 20 + "202501000001", "6" * 20 + "202501000002"]
    a.goto(f"{url}/certificates")
    short = b"cert_id,project,production_month\n123,x,2025-01\n"
    a.set_input_files(
        "[data-testid=import-file]",
        files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": short}],
    )
    a.click("[data-testid=import-save]")
    a.wait_for_selector("[data-testid=form-errors]")
    a.set_input_files(
        "[data-testid=import-file]",
        files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": certificate_csv(certs)}],
    )
    a.click("[data-testid=import-save]")
    a.wait_for_selector("[data-testid=saved]")
    assert "新增 2 张" in a.locator("[data-testid=saved]").inner_text()
    a.check(f"tr[data-cert='{certs[0]}'] input[name=cert_id]")
    retire = a.locator("[data-testid=retire-form]")
    # a type=month field takes only a valid month; the browser refuses the rest before
    # sending, so the server's check is reached with a period that ends before it starts
    retire.locator("[name=period_start]").fill("2025-02")
    retire.locator("[name=period_end]").fill("2025-01")
    a.click("[data-testid=retire-save]")
    a.wait_for_selector("[data-testid=retire-form] .error")
    assert a.locator("[data-testid=retire-form] [name=period_start]").input_value() == "2025-02"
    assert a.locator(f"tr[data-cert='{certs[0]}'] input[name=cert_id]").is_checked()
    a.locator("[data-testid=retire-form] [name=period_start]").fill("2025-01")
    a.click("[data-testid=retire-save]")
    a.wait_for_selector("[data-testid=saved]")
    retired = world.client.get(
        "/api/v1/certificates/retirements", headers=world.h("a_admin")
    ).json()["items"]
    assert certs[0] in {r["cert_id"] for r in retired}
    assert certs[1] not in {r["cert_id"] for r in retired}

    # the admission check is the park's: a notice, no form
    a.goto(f"{url}/compliance/admission")
    assert a.locator("[data-testid=admission-park-only]").is_visible()
    assert a.locator("[data-testid=admission-form]").count() == 0
    _clean(a)
    a.close()

    # the park admin's admission check: a required figure left blank, then checked
    page = _watched(chromium, url, "admin")
    page.goto(f"{url}/compliance/admission")
    form = page.locator("[data-testid=admission-form]")
    values = {"name": "浏览器项目", "investment_cny": "1000000", "energy_tce": "100",
              "electricity_kwh": "0", "green_power_share": "0", "combustion_tco2": "0",
              "process_tco2": "0", "year": "2025", "core_max": "1.0",
              "core_source": "页面规则"}  # fmt: skip
    for name, value in values.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=energy_tce]").fill("abc")
    page.click("[data-testid=admission-check]")
    page.wait_for_selector("[data-testid=error-energy_tce]")
    form = page.locator("[data-testid=admission-form]")
    assert form.locator("[name=name]").input_value() == "浏览器项目"
    assert form.locator("[name=energy_tce]").input_value() == "abc"
    form.locator("[name=energy_tce]").fill("100")
    page.click("[data-testid=admission-check]")
    page.wait_for_selector("[data-testid=admission-verdict]")
    assert page.locator("tr[data-check] >> text=浏览器项目").count() == 1
    _clean(page)
    page.close()


def test_operations_forms_waste_reports_alarms_and_disclosure(
    chromium: Any,  # noqa: F811
    live: tuple[World, str],  # noqa: F811
) -> None:
    world, url = live
    c, h = world.client, world.h("a_admin")
    # a dispatched manifest of 2 t of A's, as the world's tests make one
    sid = c.post("/api/v1/waste/streams", headers=h, json={
        "code": "900-041-49", "name": "废包装桶 浏览器", "form": "固态", "process": "包装"}).json()["id"]  # fmt: skip
    c.post("/api/v1/waste/movements", headers=h, json={
        "stream_id": sid, "batch": "WB1", "kind": "generated", "quantity": 2, "at": "2025-05-01"})  # fmt: skip
    hw49 = next(
        x for x in c.get("/api/v1/waste/licences", headers=h).json() if "HW49" in x["codes"]
    )
    mid = c.post("/api/v1/waste/manifests", headers=h, json={
        "number": "A-BROWSER-1", "licence_id": hw49["id"], "transporter": "运输",
        "transporter_licence": "T-1", "lines": [{"stream_id": sid, "quantity": 2}]}).json()["id"]  # fmt: skip
    assert c.post(f"/api/v1/waste/manifests/{mid}/transitions", headers=h, json={
        "action": "dispatch", "at": "2025-05-02", "batches": ["WB1"]}).status_code == 200  # fmt: skip

    a = _watched(chromium, url, "a_admin")
    a.goto(f"{url}/waste/manifests")
    receive = a.locator(f"[data-testid=receive-form-{mid}]")
    receive.locator("[name=received_0]").fill("zwei")
    a.click(f"[data-testid=receive-{mid}]")
    a.wait_for_selector(f"[data-testid=receive-error-{mid}]")
    assert a.locator(f"[data-testid=receive-form-{mid}] [name=received_0]").input_value() == "zwei"
    receive = a.locator(f"[data-testid=receive-form-{mid}]")
    receive.locator("[name=received_0]").fill("1950")
    receive.locator("[name=unit]").select_option("kg")
    receive.locator("[name=at]").fill("2025-05-03")
    a.click(f"[data-testid=receive-{mid}]")
    a.wait_for_selector(f"[data-testid=receive-form-{mid}]", state="detached")
    got = c.get(f"/api/v1/waste/manifests/{mid}", headers=h).json()
    # 1950 kg = 1.95 t received of 2 t sent: a difference of −0.05 t
    assert got["state"] == "received"
    assert got["history"][-1]["difference_t"] == pytest.approx(-0.05)
    _clean(a)
    a.close()

    page = _watched(chromium, url, "admin")
    # a report: a year out of range is refused by the browser before sending; then queued
    page.goto(f"{url}/reports")
    form = page.locator("[data-testid=report-form]")
    form.locator("[name=year]").fill("1999")
    assert not _valid(form.locator("[name=year]"))
    page.click("[data-testid=report-submit]")
    assert page.locator("[data-testid=report-form] [name=year]").input_value() == "1999"
    jobs = page.locator("[data-testid=job-table] tbody tr").count()
    form.locator("[name=year]").fill("2025")
    form.locator("[name=format]").select_option("html")
    page.click("[data-testid=report-submit]")
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=job-table] tbody tr').length > {jobs}"
    )

    # an alarm: acknowledged, an incident opened from it (an empty title is refused by the
    # browser), then closed
    alarms = c.get("/api/v1/alarms", headers=world.h("admin"), params={"state": "open"}).json()
    alarm = alarms["items"][0]["id"]
    page.goto(f"{url}/alarms/{alarm}")
    page.locator("[data-testid=ack-form] [name=comment]").fill("已查看")
    page.click("[data-testid=ack]")
    page.wait_for_selector("[data-testid=ack-form]", state="detached")
    title = page.locator("[data-testid=incident-form] [name=title]")
    title.fill("")
    assert not _valid(title)
    title.fill("浏览器事件")
    page.click("[data-testid=open-incident]")
    page.wait_for_url(f"{url}/incidents/*")
    assert "浏览器事件" in page.locator("main").inner_text()
    page.goto(f"{url}/alarms/{alarm}")
    page.locator("[data-testid=close-form] [name=comment]").fill("已处理")
    page.click("[data-testid=close]")
    page.wait_for_selector("[data-testid=close-form]", state="detached")
    got = c.get(f"/api/v1/alarms/{alarm}", headers=world.h("admin")).json()
    assert got["state"] == "closed"

    # the environment disclosure: a year before 2000 is refused by the browser; then shown
    page.goto(f"{url}/environment/disclosure")
    year = page.locator("main form [name=year]")
    year.fill("1999")
    assert not _valid(year)
    year.fill("2025")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("[data-testid=disclosure-report]")
    _clean(page)
    page.close()
