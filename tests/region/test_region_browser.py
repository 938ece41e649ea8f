"""The region dashboard (/region) in Chromium, zh-CN and English: a region admin sees every
registered park, a park's user its own only; no script error or CSP violation."""

from __future__ import annotations

from typing import Any

import pytest

from lingtan.api import create_app
from lingtan.config import Settings
from lingtan.store import Store
from tests.api.live import serve
from tests.region.conftest import region_channel
from tests.region.test_region import URL, _member, _payload, _queue, _send
from tests.web.test_browser import chromium  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.browser


def _open(browser: Any, url: str, user: str) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    csp: list[str] = []
    page.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.csp_violations = csp
    page.on("pageerror", lambda e: problems.append(str(e)))
    # every resource the page loads answers (Chromium's own favicon request is not one of them)
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.problems = problems
    page.goto(f"{url}/login")
    page.fill("[data-testid=username]", user)
    page.fill("[data-testid=password]", "x" * 16)
    page.click("[data-testid=login-submit]")
    page.wait_for_load_state()
    return page


def test_region_page_in_both_languages(
    chromium: Any,  # noqa: F811
    park_store: Store,
    region_store: Store,
) -> None:
    channel = region_channel(park_store, URL)
    for month in (1, 2):
        q = _queue(park_store, channel.id, 2025, month)
        _send(region_store, _payload(park_store, q.idempotency_key, channel.id))
    _member(region_store, "region_admin", "park_admin", None)
    _member(region_store, "p2_user", "park_viewer", "P2")
    settings = Settings(environment="test", mode="region", database_url=region_store.url)
    app = create_app(settings, store=region_store, background=False)
    with serve(app) as url:
        admin = _open(chromium, url, "region_admin")
        for lang in ("zh-CN", "en"):
            admin.goto(f"{url}/lang/{lang}")
            r = admin.goto(f"{url}/region")
            assert r is not None and r.status == 200
            assert admin.locator("html").get_attribute("lang") == lang
            parks = admin.locator("[data-testid=region-parks]").inner_text()
            # both registered parks are listed; P1 uploaded January and February
            assert "P1" in parks and "P2" in parks
        p2 = _open(chromium, url, "p2_user")
        r = p2.goto(f"{url}/region")
        assert r is not None and r.status == 200
        own = p2.locator("main").inner_text()
        assert "P2" in own and "P1" not in own  # a park's user sees its park only
        assert admin.problems == [], admin.problems
        assert p2.problems == [], p2.problems
        assert admin.csp_violations == [] and p2.csp_violations == []
        admin.close()
        p2.close()
