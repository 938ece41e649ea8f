"""The outbox page: the rows in the user's scope with a retry button; another enterprise's
row cannot be retried (404, like one that does not exist)."""

from __future__ import annotations

from tests.api.walk import no_b_data
from tests.api.world import World
from tests.web.test_pages import csrf, log_in


def test_outbox_page_shows_the_scope_and_retries_within_it(web_world: World) -> None:
    w = web_world
    a = log_in(w, "a_admin")
    for lang in ("zh-CN", "en"):
        a.get(f"/lang/{lang}")
        page = a.get("/exchange")
        assert page.status_code == 200
        no_b_data(w, page.text, f"/exchange as a_admin ({lang})")
    token = csrf(a.get("/exchange").text)
    r = a.post(f"/exchange/deliveries/{w.b['delivery_id']}/retry", data={"csrf": token})
    assert r.status_code == 404
    admin = log_in(w, "admin")
    park_page = admin.get("/exchange")
    assert "b-hook" in park_page.text and 'data-testid="outbox"' in park_page.text
    token = csrf(park_page.text)
    r = admin.post(f"/exchange/deliveries/{w.b['delivery_id']}/retry", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/exchange"
    # a form without its token changes nothing
    r = admin.post(f"/exchange/deliveries/{w.b['delivery_id']}/retry", data={"csrf": "x"})
    assert r.status_code == 403
