"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

A park admin logs in and the overview shows the API's numbers; an enterprise viewer sees its
own enterprise only, in the UI and by direct URL; the language switches. Screenshots of the
overview and the Sankey are saved (to ``LINGTAN_SCREENSHOT_DIR`` when set, e.g. docs/img).
The demo is shrunk unless LINGTAN_DEMO_MONTHS / LINGTAN_DEMO_ENTERPRISES say otherwise.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lingtan.web.i18n import number, percent
from tests.api.live import serve
from tests.api.world import PASSWORD, World, fresh_world
from tests.conftest import REQUIRE_SERVICES

CHROMIUM = "/usr/bin/chromium"
#: flags for Chromium as root on a machine with a closed network (no background connections)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message} and LINGTAN_REQUIRE_SERVICES=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str]]:
    months = int(os.environ.get("LINGTAN_DEMO_MONTHS", "2"))
    enterprises = int(os.environ.get("LINGTAN_DEMO_ENTERPRISES", "3"))
    for world in fresh_world(
        "sqlite", str(tmp_path_factory.mktemp("browser")), months=months, enterprises=enterprises
    ):
        with serve(world.client.app) as url:  # type: ignore[arg-type]
            yield world, url


def _login(browser: Any, url: str, user: str) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    # every page must work under the service's Content-Security-Policy
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.csp_violations = violations
    page.goto(f"{url}/login")
    page.fill("[data-testid=username]", user)
    page.fill("[data-testid=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{url}/overview")
    return page


def _api(url: str, user: str, path: str, **params: Any) -> Any:
    token = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": user, "password": PASSWORD}
    ).json()["access_token"]
    r = httpx.get(f"{url}{path}", params=params, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def _save(page: Any, tmp: Path, name: str) -> None:
    path = tmp / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    target = os.environ.get("LINGTAN_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / name)


def test_park_admin_overview_shows_the_api_numbers(
    chromium: Any, live: tuple[World, str], tmp_path: Path
) -> None:
    _, url = live
    page = _login(chromium, url, "admin")
    page.wait_for_selector('#chart-months[data-rendered="1"]')
    page.wait_for_selector('#gauge-clean[data-rendered="1"]')
    api = _api(url, "admin", "/api/v1/overview")
    shown = {
        "year-total-tce": api["year"]["total_tce"],
        "month-total-tce": api["month"]["total_tce"],
        "year-onsite-tce": api["year"]["onsite_renewable_tce"],
        "carbon-year-total": api["carbon"]["year"]["total_tco2"],
        "carbon-month-total": api["carbon"]["month"]["total_tco2"],
        "quarantine-total": api["quarantine"]["total"],
    }
    for testid, value in shown.items():
        cell = page.locator(f"[data-testid={testid}]")
        assert cell.inner_text().strip() == number(value), testid
        assert float(cell.get_attribute("data-value")) == pytest.approx(value), testid
    assert page.locator("[data-testid=clean-share]").inner_text().strip() == percent(
        api["year"]["clean_energy_share"]
    )
    assert page.locator("[data-testid=as-of]").inner_text() == api["as_of"]
    for line in api["year"]["carriers"]:
        cell = page.locator(f"[data-testid=year-{line['carrier']}]")
        assert cell.inner_text().strip() == number(line["value"]), line["carrier"]
    rows = page.locator("[data-testid^=indicator-row-]")
    assert rows.count() == len(api["indicators"])
    _save(page, tmp_path, "dashboard-overview.png")

    page.goto(f"{url}/flow")
    page.wait_for_selector('#chart-sankey[data-rendered="1"]')
    flow = _api(url, "admin", "/api/v1/overview/energy-flow", year=int(api["as_of"][:4]))
    assert page.locator("[data-testid=flow-total]").inner_text() == number(flow["total_tce"])
    assert page.locator("#chart-sankey .sankey-node").count() == len(flow["nodes"])
    _save(page, tmp_path, "dashboard-sankey.png")
    assert page.csp_violations == []
    page.close()


def test_enterprise_viewer_cannot_see_other_enterprises(
    chromium: Any, live: tuple[World, str]
) -> None:
    world, url = live
    page = _login(chromium, url, "a_viewer")
    page.wait_for_selector('#chart-months[data-rendered="1"]')
    a_name = _api(url, "admin", f"/api/v1/enterprises/{world.enterprises['E01']}")["name"]
    assert page.locator("[data-testid=scope-name]").inner_text() == a_name
    for path in ("/overview", "/flow", "/meters", "/reports"):
        page.goto(f"{url}{path}")
        text = page.content()
        for marker in world.b_markers:
            assert marker not in text, (path, marker)
    page.click("[data-testid=nav-enterprises]")
    page.wait_for_url(f"{url}/enterprises/{world.enterprises['E01']}")
    assert page.locator("[data-testid=enterprise-name]").inner_text() == a_name
    response = page.goto(f"{url}/enterprises/{world.enterprises['E02']}")
    assert response is not None and response.status == 404
    assert page.locator("[data-testid=error-title]").inner_text() == "未找到"
    for marker in world.b_markers:
        assert marker not in page.content()
    page.close()


def test_language_switch(chromium: Any, live: tuple[World, str]) -> None:
    _, url = live
    page = _login(chromium, url, "viewer")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "能流图" in page.locator("[data-testid=nav]").inner_text()
    page.click("[data-testid=lang-switch]")
    page.wait_for_url(f"{url}/overview")
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.locator("[data-testid=nav]").inner_text()
    assert "Energy flow" in nav and "Park overview" in nav
    page.click("[data-testid=lang-switch]")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.close()


def _operations(url: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation the OpenAPI document lists."""
    doc = httpx.get(f"{url}/openapi.json").json()
    assert doc["openapi"].startswith("3.1"), doc["openapi"]
    methods = {"get", "post", "put", "patch", "delete"}
    return [
        (m.upper(), path, op)
        for path, item in doc["paths"].items()
        for m, op in item.items()
        if m in methods
    ]


def _page_watching_csp(browser: Any) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: violations.append(f"page error: {e}"))
    page.csp_violations = violations
    return page


def test_swagger_ui_lists_every_operation_of_the_openapi_3_1_document(
    chromium: Any, live: tuple[World, str]
) -> None:
    _, url = live
    operations = _operations(url)
    page = _page_watching_csp(chromium)
    page.goto(f"{url}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert "Unable to render this definition" not in page.content()
    blocks = page.locator(".opblock")
    assert blocks.count() == len(operations)
    shown = {
        (
            blocks.nth(i).locator(".opblock-summary-method").inner_text().strip(),
            blocks.nth(i).locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for i in range(blocks.count())
    }
    assert shown == {(m, p) for m, p, _ in operations}
    assert page.csp_violations == []
    page.close()


def test_redoc_lists_the_operations(chromium: Any, live: tuple[World, str]) -> None:
    _, url = live
    operations = _operations(url)
    page = _page_watching_csp(chromium)
    page.goto(f"{url}/redoc")
    page.wait_for_selector("[data-section-id^='operation/']", state="attached", timeout=60_000)
    sections = page.locator("[data-section-id^='operation/']")
    ids = {sections.nth(i).get_attribute("data-section-id") for i in range(sections.count())}
    assert ids == {f"operation/{op['operationId']}" for _, _, op in operations}
    assert page.csp_violations == []
    page.close()


def pages(world: World) -> list[str]:
    """Every dashboard page the walks visit (the park admin's view of the demo world)."""
    one = world.enterprises["E01"]
    alarms = world.client.get("/api/v1/alarms", headers=world.h("admin")).json()["items"]
    return [
        "/overview",
        "/flow",
        "/enterprises",
        f"/enterprises/{one}",
        "/meters",
        "/reports",
        "/alarms",
        *(f"/alarms/{a['id']}" for a in alarms[:1]),
        "/incidents",
        f"/incidents/{world.b['incident_id']}",
        "/costs",
        "/forecasts",
        f"/forecasts/{world.b['forecast_id']}",
        "/dispatch",
        f"/dispatch/{world.b['plan_id']}",
        "/environment",
        "/environment/stations",
        "/environment/stations/AQ-N",
        f"/environment/stations/{world.b['station_code']}",
        "/environment/disclosure",
        "/waste",
        "/waste/manifests",
        "/waste/exchange",
        "/ghg",
        f"/ghg?year=2025&enterprise_id={one}",
        "/programme?year=2025",
        f"/programme?plan={world.b['saving_plan_id']}",
        "/points/E01-grid",
        "/points/E01-grid?period=week&res=native&compare=E01-line",
        "/tree",
        "/tree?period=week&start=2025-01-08",
        f"/enterprises/{one}?period=month&start=2025-01",
        "/overview?period=year&start=2025",
        "/records",
        "/records?history=true&category=water",
        "/compliance?year=2025",
        "/compliance/admission",
        "/indicators",
        "/exchange",
        "/ranking",
        "/certificates",
        "/users",
        "/keys",
        "/options",
        "/park-file",
        "/indicators/profiles",
        "/ranking?period=year&start=2025&sort=intensity&order=asc",
        "/equipment?year=2025",
    ]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_renders_in_both_languages(
    chromium: Any, live: tuple[World, str], lang: str
) -> None:
    """Every dashboard page (the computed ones go through the view cache) answers, in the
    language chosen, without a script error or a CSP violation, and keeps its figures on a
    second visit (served from the cache)."""
    world, url = live
    page = _login(chromium, url, "admin")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/lang/{lang}")
    for path in pages(world):
        first = page.goto(f"{url}{path}")
        assert first is not None and first.status == 200, path
        assert page.locator("html").get_attribute("lang") == lang, path
        body = page.locator("main").inner_text()
        again = page.goto(f"{url}{path}")
        assert again is not None and again.status == 200, path
        assert page.locator("main").inner_text() == body, path
    assert errors == []
    assert page.csp_violations == []
    page.close()


def test_every_page_as_an_enterprise_user(chromium: Any, live: tuple[World, str]) -> None:
    """Every page an enterprise's admin can reach, walked in Chromium: its own enterprise's
    pages answer 200 (a park-level page answers with its notice or 403, never B's data), other
    enterprises' resources 404 — no script error or CSP violation, and none of B's data."""
    world, url = live
    page = _login(chromium, url, "a_admin")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # refused pages answer 403/404 by design, which Chromium logs; any other console error fails
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "the server responded with a status of 40" not in m.text
            else None
        ),
    )
    # the pages of the walk that name one of B's resources
    b_paths = {
        f"/incidents/{world.b['incident_id']}",
        f"/forecasts/{world.b['forecast_id']}",
        f"/dispatch/{world.b['plan_id']}",
        f"/environment/stations/{world.b['station_code']}",
        f"/programme?plan={world.b['saving_plan_id']}",
    }
    statuses: dict[str, int] = {}
    for path in pages(world):
        response = page.goto(f"{url}{path}")
        assert response is not None, path
        statuses[path] = response.status
        # a page repeats its own address (the language switch): the caller's words, not B's
        text = page.content().replace(path, "URL")
        for marker in world.b_markers:
            assert marker not in text, (path, marker)
        if path in b_paths:
            assert response.status == 404, path  # B's resource: as one that does not exist
        elif path.startswith("/alarms/"):  # the admin's first alarm: A's, or 404 as another's
            assert response.status in (200, 404), (path, response.status)
        else:
            assert response.status in (200, 403), (path, response.status)
    # the enterprise's own pages are there, not refused
    assert all(statuses[p] == 200 for p in ("/overview", "/records", "/waste", "/costs", "/users"))
    assert errors == []
    assert page.csp_violations == []
    page.close()


def test_matching_page_shows_the_api_numbers_and_only_the_callers_scope(
    chromium: Any, live: tuple[World, str], tmp_path: Path
) -> None:
    """The park admin's /matching draws both charts and shows the API's park CFE; enterprise
    A's viewer gets its own enterprise only, and B's enterprise by URL is 404."""
    world, url = live
    page = _login(chromium, url, "admin")
    page.goto(f"{url}/matching?year=2025")
    page.wait_for_selector('#chart-cfe-months[data-rendered="1"]')
    page.wait_for_selector('#chart-cfe-heatmap[data-rendered="1"]')
    api = _api(url, "admin", "/api/v1/matching", year=2025)
    shown = page.locator("[data-testid=park-cfe]").inner_text().strip()
    assert shown == percent(api["park_total"]["cfe_hourly"])
    assert page.locator("[data-testid=matching-months] tbody tr").count() == 12
    assert page.csp_violations == []
    _save(page, tmp_path, "dashboard-matching.png")
    page.close()

    page = _login(chromium, url, "a_viewer")
    page.click("[data-testid=nav-matching]")
    page.wait_for_selector('#chart-cfe-months[data-rendered="1"]')
    rows = page.locator("[data-testid=matching-consumers] tbody tr")
    assert rows.count() == 1 and rows.first.inner_text().startswith("E01")
    for marker in world.b_markers:
        assert marker not in page.content()
    response = page.goto(f"{url}/matching?year=2025&enterprise_id={world.enterprises['E02']}")
    assert response is not None and response.status == 404
    page.close()


def test_cost_page_shows_the_api_figures_and_the_tariff_source(
    chromium: Any, live: tuple[World, str], tmp_path: Path
) -> None:
    """The energy-cost page: the month's cost by period equals ``/api/v1/costs``, the chart is
    drawn, and the tariff is shown with its confidence and the synthetic warning."""
    world, url = live
    page = _login(chromium, url, "admin")
    page.goto(f"{url}/costs?month=2025-01")
    page.wait_for_selector('#chart-costs[data-rendered="1"]')
    api = _api(url, "admin", "/api/v1/costs", start="2025-01")
    (month,) = api["months"]
    assert page.locator("[data-testid=cost-total]").inner_text().strip() == number(
        month["energy_cost"], 2
    )
    assert page.locator("[data-testid=basic-amount]").inner_text().strip() == number(
        month["basic"]["amount"], 2
    )
    for period, kwh in month["energy_kwh"].items():
        row = page.locator(f"[data-testid=cost-table] tr[data-period={period}] td").nth(1)
        assert row.inner_text().strip() == number(kwh), period
    assert page.locator("[data-testid=tariff-confidence]").inner_text() == "L"
    assert page.locator("[data-testid=tariff-synthetic]").is_visible()
    _save(page, tmp_path, "dashboard-costs.png")
    # an enterprise viewer sees its own enterprise's cost, and B's by URL is missing
    a = _login(chromium, url, "a_viewer")
    a.goto(f"{url}/costs?month=2025-01")
    a.wait_for_selector("[data-testid=cost-total]")
    own = _api(url, "a_viewer", "/api/v1/costs", start="2025-01")
    assert a.locator("[data-testid=cost-total]").inner_text().strip() == number(
        own["months"][0]["energy_cost"], 2
    )
    assert own["points"] and all(p.startswith("E01-") for p in own["points"])
    r = a.goto(f"{url}/costs?month=2025-01&enterprise={world.enterprises['E02']}")
    assert r is not None and r.status == 404
    assert page.csp_violations == [] and a.csp_violations == []
    page.close()
    a.close()


def test_forecast_chart_shows_the_band_and_the_backtest_beside_it(
    chromium: Any, live: tuple[World, str]
) -> None:
    """A forecast issued through the API is drawn (actuals, P50, the P10–P90 band) with the
    backtest's skill beside it as the API gives it; another enterprise cannot open it."""
    world, url = live
    made = world.client.post(
        "/api/v1/forecasts", headers=world.h("admin"), json={"point": "E01-grid"}
    )
    assert made.status_code == 201, made.text
    api = made.json()
    assert api["status"] == "ok", api["detail"]
    page = _login(chromium, url, "admin")
    page.goto(f"{url}/forecasts")
    page.click(f"a[href='/forecasts/{api['id']}']")
    page.wait_for_selector('#chart-forecast[data-rendered="1"]')
    # four traces: P10 (the band's lower edge), P90 filled to it, P50, the actuals
    assert page.locator("#chart-forecast .scatterlayer .trace").count() == 4
    skill = api["backtest"]["skill"]
    assert page.locator("[data-testid=forecast-skill]").inner_text() == number(skill, 3)
    assert page.csp_violations == []
    page.close()
    other = _login(chromium, url, "b_viewer")
    r = other.goto(f"{url}/forecasts/{api['id']}")
    assert r is not None and r.status == 404
    other.close()


def test_forms_show_their_errors_and_save(
    chromium: Any, live: tuple[World, str], tmp_path: Path
) -> None:
    """Forms filled in Chromium: an invalid certificate settlement shows its error at the field
    and keeps what was typed, a valid one is saved; a new user is created; an enterprise admin
    sees its own enterprise only — no script error, console error or CSP violation."""
    world, url = live
    page = _login(chromium, url, "admin")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the invalid forms answer 422 by design, which Chromium logs; any other console error fails
    expected = "the server responded with a status of 422"
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and expected not in m.text else None,
    )
    page.goto(f"{url}/certificates")
    form = page.locator("[data-testid=settle-form]")
    form.locator("[name=settlement_id]").fill("GT-BROWSER-1")
    form.locator("[name=month]").fill("2025-01")
    form.locator("[name=kwh]").fill("abc")
    form.locator("[name=seller_project]").fill("风电（合成）")
    form.locator("[data-testid=settle-save]").click()
    page.wait_for_selector("[data-testid=error-kwh]")
    assert page.locator("[data-testid=settle-form] [name=settlement_id]").input_value() == (
        "GT-BROWSER-1"
    )
    page.locator("[data-testid=settle-form] [name=kwh]").fill("100")
    page.locator("[data-testid=settle-save]").click()
    page.wait_for_selector("[data-testid=saved]")
    assert "GT-BROWSER-1" in page.locator("[data-testid=saved]").inner_text()
    _save(page, tmp_path, "dashboard-certificates.png")
    page.goto(f"{url}/ranking?period=year&start=2025")
    page.click("[data-testid=sort-intensity]")
    page.wait_for_selector("th[aria-sort] [data-testid=sort-intensity]")
    _save(page, tmp_path, "dashboard-ranking.png")
    page.goto(f"{url}/users")
    page.fill("[data-testid=user-username]", "x")
    page.fill("[data-testid=user-password]", "a-long-password")
    page.select_option("[data-testid=user-role]", "park_viewer")
    page.click("[data-testid=user-save]")
    page.wait_for_selector("[data-testid=error-username]")
    page.fill("[data-testid=user-username]", "browser_user")
    page.fill("[data-testid=user-password]", "a-long-password")
    page.select_option("[data-testid=user-role]", "park_viewer")
    page.click("[data-testid=user-save]")
    page.wait_for_selector("[data-testid=saved]")
    assert page.locator("tr[data-user=browser_user]").count() == 1
    a = _login(chromium, url, "a_admin")
    a.on("pageerror", lambda e: errors.append(str(e)))
    a.goto(f"{url}/ranking?period=year&start=2025")
    assert a.locator("[data-testid=ranking-table] tbody tr").count() == 1
    a.goto(f"{url}/certificates")
    for marker in world.b_markers:
        assert marker not in a.content()
    assert errors == []
    assert page.csp_violations == [] and a.csp_violations == []
    page.close()
    a.close()
