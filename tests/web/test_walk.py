"""Every dashboard route, walked as the API's routes are (tests/api/walk.py): the dashboard is
left out of the OpenAPI schema, so its routes are read from its router.

A new page fails here until its path parameters are described, so no page can be added
without being walked: anonymously (a redirect to the login page, nothing else), and as
enterprise A's viewer aimed at B's resources and at made-up ones, which must get the same
answer and none of B's data.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from lingtan.web import session
from lingtan.web.pages import ROUTERS
from tests.api.walk import missing_ids, no_b_data
from tests.api.world import World
from tests.web.test_pages import browser, csrf, log_in

#: pages open without a session, by design: the login form, the language switch (a cookie
#: and a redirect) and the local Plotly bundle
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/lang/{code}"),
    ("GET", "/static/plotly.min.js"),
}
#: pages of a region instance only (LINGTAN_MODE=region, docs/region.md): on the park instance
#: walked here they answer 404, as a page that does not exist (tests/region walks them)
REGION_ONLY = {("GET", "/region")}
#: path parameters that name no resource, and those of the park's own resources (an
#: admission check: an enterprise user gets 404 for any id, as for one that does not exist)
FIXED_PATH = {"code": "en", "fmt": "xlsx", "check_id": "1"}
#: form fields of the dashboard's writes (none of them names a resource: the caller's scope
#: comes from the session)
FORMS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/logout"): {},
    ("POST", "/reports"): {"kind": "energy_report", "year": "2025", "month": "1", "format": "html"},
    ("POST", "/records"): {
        "category": "water", "item": "intake", "period_start": "2025-01-01",
        "period_end": "2025-01-31", "quantity": "10", "unit": "m3", "source_document": "walk",
    },
    ("POST", "/records/{record_id}/corrections"): {"quantity": "1", "source_document": "walk"},
    ("POST", "/compliance/admission"): {
        "name": "walk", "investment_cny": "1", "energy_tce": "1", "electricity_kwh": "0",
        "green_power_share": "0", "combustion_tco2": "0", "process_tco2": "0", "year": "2025",
        "core_max": "1", "core_source": "walk",
    },
    ("POST", "/certificates/import"): {},
    ("POST", "/certificates/retire"): {
        "cert_ids": "1" * 32, "period_start": "2025-01", "period_end": "2025-01",
    },
    ("POST", "/certificates/settle"): {
        "settlement_id": "walk", "month": "2025-01", "kwh": "1", "seller_project": "walk",
    },
    ("POST", "/users"): {
        "username": "walk_user", "password": "a-long-password", "role": "enterprise_viewer",
    },
    ("POST", "/users/{user_id}"): {"active": "false"},
    ("POST", "/keys"): {"name": "walk", "scope": "read"},
    ("POST", "/keys/{key_id}/revoke"): {},
    ("POST", "/options"): {"target_year": "2031"},
    ("POST", "/park-file"): {"text": "park: {}", "action": "validate"},
    ("POST", "/indicators/profiles"): {"text": "id: walk", "profile_id": "walk"},
    ("POST", "/waste/manifests/{manifest_id}/receive"): {"received_0": "1", "unit": "t"},
}  # fmt: skip
#: forms that need the write permission: a viewer is refused (403), nothing else
WRITE_FORMS = {
    ("POST", "/records"),
    ("POST", "/compliance/admission"),
    ("POST", "/certificates/import"),
    ("POST", "/certificates/retire"),
    ("POST", "/certificates/settle"),
    ("POST", "/users"),
    ("POST", "/keys"),
    ("POST", "/options"),
    ("POST", "/park-file"),
    ("POST", "/indicators/profiles"),
}


def web_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the dashboard's router."""
    found = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods - {"HEAD"}
    }
    assert ("GET", "/enterprises/{enterprise_id}") in found, "the dashboard's routes moved"
    return sorted(found)


def fill(path: str, ids: dict[str, Any]) -> str:
    """``path`` with its parameters taken from ``ids`` (or the fixed ones)."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        assert name in FIXED_PATH or name in ids, f"describe path parameter {name!r} of {path}"
        return str(FIXED_PATH.get(name, ids.get(name)))

    return re.sub(r"\{(\w+)\}", value, path)


def test_every_page_but_the_public_ones_needs_a_session(web_world: World) -> None:
    c = browser(web_world)
    for method, path in web_routes():
        if (method, path) in PUBLIC:
            continue
        url = fill(path, web_world.b)
        r = c.request(method, url, data=FORMS.get((method, path)))
        assert r.status_code in (303, 403), (method, url, r.status_code)
        if r.status_code == 303:  # to the login page; the home page sends on to the overview
            home = (method, path) == ("GET", "/")
            assert r.headers["location"].startswith("/overview" if home else "/login"), url
        no_b_data(web_world, r.text, f"anonymous {method} {url}")
    assert not c.cookies.get(session.ACCESS_COOKIE) and not c.cookies.get(session.REFRESH_COOKIE)


def test_b_resources_answer_as_missing_ones_on_every_page(web_world: World) -> None:
    c = log_in(web_world, "a_viewer")
    missing = missing_ids(web_world)
    walked = 0
    for method, path in web_routes():
        if method != "GET" or "{" not in path or (method, path) in PUBLIC:
            continue
        b_url, nothing_url = fill(path, web_world.b), fill(path, missing)
        at_b, at_nothing = c.get(b_url), c.get(nothing_url)
        assert at_b.status_code == at_nothing.status_code == 404, (path, at_b.status_code)
        assert at_b.text.replace(b_url, "URL") == at_nothing.text.replace(nothing_url, "URL"), path
        # the page repeats its own address (the language switch): the caller's words, not B's
        no_b_data(web_world, at_b.text.replace(b_url, "URL"), f"GET {b_url}")
        walked += 1
    assert walked >= 2  # the enterprise page and a job's file at least


def test_pages_without_a_resource_show_none_of_b(web_world: World) -> None:
    c = log_in(web_world, "a_viewer")
    for method, path in web_routes():
        if "{" in path or (method, path) in PUBLIC or (method, path) == ("POST", "/logout"):
            continue
        if method == "GET":
            r = c.get(path)
        else:
            form = FORMS.get((method, path))
            assert form is not None, f"describe the form of {method} {path}"
            r = c.request(method, path, data={**form, "csrf": csrf(c.get("/reports").text)})
        allowed = (200, 303, 403) if (method, path) in WRITE_FORMS else (200, 303)
        if (method, path) in REGION_ONLY:
            allowed = (404,)
        assert r.status_code in allowed, (method, path, r.status_code)
        no_b_data(web_world, r.text, f"{method} {path}")
        if r.status_code == 303:
            no_b_data(web_world, c.get(r.headers["location"]).text, f"after {method} {path}")
