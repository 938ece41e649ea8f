"""The dispatch page: the park's plans with the chosen plan's chart data, terms, violations and
reasons in the page's language; enterprise users see a note, not plans."""

from __future__ import annotations

import json
import re

from tests.api.world import World
from tests.web.test_pages import log_in


def test_the_admin_sees_the_plan_with_its_chart_and_reasons(web_world: World) -> None:
    plan_id = web_world.b["plan_id"]
    api = web_world.client.get(
        f"/api/v1/dispatch/plans/{plan_id}", headers=web_world.h("admin")
    ).json()
    c = log_in(web_world, "admin")
    page = c.get("/dispatch").text
    assert 'data-testid="nav-dispatch"' in page
    assert f'href="/dispatch/{plan_id}"' in page
    one = c.get(f"/dispatch/{plan_id}").text
    data = json.loads(re.search(r'id="dispatch-data">(.*?)</script>', one, re.S).group(1))  # type: ignore[union-attr]
    assert data["import"] == api["steps"]["import_kw"]
    assert data["x"][0] == api["step_starts"][0]
    assert len(data["soc"]) == len(api["steps"]["soc_kwh"])
    # the plan's day (2025-01-20) is over and metered: the chart carries the metered hours and
    # the page the planned-against-metered figures of GET /plans/{id}/actual
    actual = web_world.client.get(
        f"/api/v1/dispatch/plans/{plan_id}/actual", headers=web_world.h("admin")
    ).json()
    assert data["metered"]["import"] == [h["actual"]["import"] for h in actual["hours"]]
    assert data["pv_forecast"] is not None and len(data["pv_forecast"]) == len(data["x"])
    assert 'data-testid="dispatch-vs-metered"' in one and "计划与实际对比" in one
    # zh by default: the actions are worded in Chinese
    reasons = [r for step in api["steps"]["reasons"] for r in step]
    if reasons:
        assert "元/kWh" in one and "CNY/kWh" not in one
    c.get("/lang/en")
    en = c.get(f"/dispatch/{plan_id}").text
    assert "Plan figures" in en
    if reasons:
        assert "CNY/kWh" in en


def test_enterprise_users_see_no_plans(web_world: World) -> None:
    c = log_in(web_world, "a_viewer")
    page = c.get("/dispatch")
    assert page.status_code == 200
    assert 'data-testid="dispatch-park-only"' in page.text
    assert 'data-testid="nav-dispatch"' not in page.text
    assert c.get(f"/dispatch/{web_world.b['plan_id']}").status_code == 404


def test_the_plan_page_and_the_api_show_setpoint_writes(web_world: World) -> None:
    from lingtan.store.dispatch_repo import DispatchRepo

    plan_id = web_world.b["plan_id"]
    park_id = web_world.store.registry.park().id
    start = 1_737_302_400_000_000  # 2025-01-20T00:00+08:00
    DispatchRepo(web_world.store).add_writes([{
        "park_id": park_id, "plan_id": plan_id, "step": 0, "step_start": start,
        "step_end": start + 900_000_000, "device": "PARK-bess", "kind": "battery",
        "setpoint_kw": -2500.0, "written": -2500.0, "readback": 0.0, "status": "mismatch",
        "attempts": [{"attempt": 1, "status": "mismatch", "reason": "wrote -2500, read back 0"}],
        "written_at": start, "written_by": "admin", "measured_kw": None, "tracking": None,
        "tracked_at": None,
    }])  # fmt: skip
    api = web_world.client.get(
        f"/api/v1/dispatch/plans/{plan_id}/writes", headers=web_world.h("viewer")
    ).json()
    assert [(w["device"], w["status"], w["readback"]) for w in api] == [
        ("PARK-bess", "mismatch", 0.0)
    ]
    assert api[0]["step_start"] == "2025-01-20T00:00:00+08:00"
    one = log_in(web_world, "admin").get(f"/dispatch/{plan_id}").text
    assert 'data-testid="dispatch-writes"' in one
    assert "回读不符" in one and "wrote -2500, read back 0" in one
