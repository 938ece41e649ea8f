"""``/api/v1/dispatch`` on the served demo park (both engines): the declaration the demo
stores, plans with their steps, setpoints, publication (to the world's recording publisher;
tests/dispatch/test_publish.py publishes to Mosquitto), the comparison with what was metered
and EV sessions; enterprise users are refused everything."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lingtan.dispatch.service import balance_residual
from tests.api.walk import DISPATCH_DAY, dispatch_site_body
from tests.api.world import World

PLANS = "/api/v1/dispatch/plans"


def test_the_demo_declares_its_microgrid(world: World) -> None:
    r = world.client.get("/api/v1/dispatch/site", headers=world.h("viewer"))
    assert r.status_code == 200, r.text
    spec = r.json()["spec"]
    # demo/park.py: a 10,000 kWh battery of 5,000 kW, 8,000 kWp PV, three 600 kW hubs
    (battery,) = spec["batteries"]
    assert (battery["energy_kwh"], battery["charge_kw"], battery["discharge_kw"]) == (
        10000.0, 5000.0, 5000.0,
    )  # fmt: skip
    assert [p["point"] for p in spec["pv"]] == ["PARK-pv"]
    assert [c["max_kw"] for c in spec["chargers"]] == [600.0] * 3
    assert "合成" in r.json()["source"]


def test_a_plan_is_stored_with_steps_that_conserve_energy(world: World) -> None:
    admin = world.h("admin")
    made = world.client.post(
        PLANS, headers=admin,
        json={"day": DISPATCH_DAY, "objective": {"carbon": 1, "carbon_price": 80},
              "demand_response": {"from": "18:00", "to": "20:00", "reduction_pct": 10}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["day"] == DISPATCH_DAY and plan["kind"] == "day_ahead"
    assert len(plan["step_starts"]) == len(plan["steps"]["import_kw"]) == 96
    assert plan["step_starts"][0] == f"{DISPATCH_DAY}T00:00:00+08:00"
    assert plan["objective"]["carbon_price"] == 80
    assert plan["inputs"]["tariff"]["id"] == "demo-js-synthetic"
    assert np.abs(balance_residual(plan["steps"])).max() < 1e-6
    got = world.client.get(f"{PLANS}/{plan['id']}", headers=world.h("viewer")).json()
    assert got["steps"] == plan["steps"]
    listed = world.client.get(PLANS, headers=admin, params={"day": DISPATCH_DAY}).json()
    assert plan["id"] in {p["id"] for p in listed["items"]}
    assert "steps" not in listed["items"][0]
    # what the call delivered (tests/dispatch/test_dr_delivered.py has the values by hand)
    r = world.client.get(f"{PLANS}/{plan['id']}/demand-response", headers=world.h("viewer"))
    assert r.status_code == 200, r.text
    dr = r.json()
    # 18:00–20:00 is steps 72–80 of the 15-minute plan; a forecast baseline without flexible
    # loads is rebuilt from the stored steps; delivered = baseline − import, required = 10 %
    assert dr["window"]["steps"] == [72, 80] and dr["baseline"]["kind"] == "forecast"
    assert dr["baseline"]["reproducible"] and dr["status"] in ("met", "not_met")
    assert dr["delivered_kw"] == pytest.approx(dr["baseline_kw"] - dr["actual_kw"], abs=1e-3)
    assert dr["required_kw"] == pytest.approx(0.1 * dr["baseline_kw"], abs=1e-3)
    # every stored plan of the world conserves energy
    for item in world.client.get(PLANS, headers=admin).json()["items"]:
        steps = world.client.get(f"{PLANS}/{item['id']}", headers=admin).json()["steps"]
        assert np.abs(balance_residual(steps)).max() < 1e-6


def test_setpoints_and_publication(world: World) -> None:
    admin = world.h("admin")
    plan = world.client.post(PLANS, headers=admin, json={"day": DISPATCH_DAY}).json()
    points = world.client.get(f"{PLANS}/{plan['id']}/setpoints", headers=admin).json()
    devices = sorted({p["device"] for p in points})
    assert len(points) == 96 * len(devices)
    publisher = world.client.app.state.dispatch_publisher  # type: ignore[attr-defined]
    before = len(publisher.sent)
    r = world.client.post(f"{PLANS}/{plan['id']}/publish", headers=admin)
    assert r.status_code == 200, r.text
    record = r.json()["publish"]
    assert r.json()["published_at"] is not None
    assert record["messages"] == record["acknowledged"] == len(devices)
    sent = publisher.sent[before:]
    park = world.store.registry.park().code
    assert [t for t, _ in sent] == [f"lingtan/{park}/dispatch/{d}/setpoint" for d in devices]
    first = json.loads(sent[0][1])
    assert first["plan_id"] == plan["id"] and len(first["setpoints"]) == 96


def test_the_actual_day_against_the_plan(world: World) -> None:
    admin = world.h("admin")
    plan = world.client.post(PLANS, headers=admin, json={"day": DISPATCH_DAY}).json()
    r = world.client.get(f"{PLANS}/{plan['id']}/actual", headers=admin)
    assert r.status_code == 200, r.text
    got = r.json()
    assert len(got["hours"]) == 24
    assert got["planned_terms"]["energy_cost"] == pytest.approx(plan["terms"]["energy_cost"])
    if not got["missing_hours"]:
        metered = sum(h["actual"]["import"] for h in got["hours"])
        assert got["actual_terms"]["import_kwh"] == pytest.approx(metered, abs=0.05)


def test_a_bad_declaration_and_enterprise_users_are_refused(world: World) -> None:
    bad = dispatch_site_body()
    bad["batteries"][0]["charge_point"] = "E01-grid"
    r = world.client.put("/api/v1/dispatch/site", headers=world.h("admin"), json=bad)
    assert r.status_code == 422 and r.json()["field"] == "batteries[0].charge_point", r.text
    plan_id = world.b["plan_id"]
    for user in ("a_admin", "a_viewer", "b_admin"):
        h = world.h(user)
        for method, url, body in (
            ("GET", "/api/v1/dispatch/site", None),
            ("PUT", "/api/v1/dispatch/site", dispatch_site_body()),
            ("GET", PLANS, None),
            ("POST", PLANS, {"day": DISPATCH_DAY}),
            ("GET", f"{PLANS}/{plan_id}", None),
            ("GET", f"{PLANS}/{plan_id}/setpoints", None),
            ("GET", f"{PLANS}/{plan_id}/actual", None),
            ("GET", f"{PLANS}/{plan_id}/demand-response", None),
            ("POST", f"{PLANS}/{plan_id}/publish", None),
            ("POST", "/api/v1/dispatch/ev-sessions", {"day": DISPATCH_DAY, "sessions": []}),
        ):
            r = world.client.request(method, url, headers=h, json=body)
            assert r.status_code == 403, (user, method, url, r.status_code)


def test_ev_sessions_of_a_day(world: World) -> None:
    admin = world.h("admin")
    body = {
        "day": "2025-01-21",
        "sessions": [{"code": "bus-7", "charger": "EV-1", "arrival": "07:00",
                      "departure": "09:30", "energy_kwh": 120, "max_kw": 60}],
    }  # fmt: skip
    r = world.client.post("/api/v1/dispatch/ev-sessions", headers=admin, json=body)
    assert r.status_code == 201, r.text
    plan = world.client.post(PLANS, headers=admin, json={"day": "2025-01-21"}).json()
    assert plan["inputs"]["sessions"] == "imported: 1 sessions"
    bus = np.asarray(plan["steps"]["ev_kw"]["bus-7"])
    assert bus.sum() * 0.25 == pytest.approx(120.0, abs=1e-3)
    assert bus[:28].max() == 0 and bus[38:].max() == 0 and bus.max() <= 60 + 1e-6
    unknown = {**body, "sessions": [{**body["sessions"][0], "charger": "EV-9"}]}
    r = world.client.post("/api/v1/dispatch/ev-sessions", headers=admin, json=unknown)
    assert r.status_code == 422 and r.json()["field"] == "sessions[1].charger"


def test_an_intraday_plan_covers_the_rest_of_the_day(world: World) -> None:
    admin = world.h("admin")
    r = world.client.post(
        PLANS, headers=admin,
        json={"day": DISPATCH_DAY, "kind": "intraday", "now": f"{DISPATCH_DAY}T14:20:00+08:00"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    plan = r.json()
    # 14:20 falls in the step 14:15–14:30: step 57 of 96
    assert plan["kind"] == "intraday" and plan["from_step"] == 57
    assert len(plan["steps"]["import_kw"]) == 96 - 57
    assert plan["step_starts"][0] == f"{DISPATCH_DAY}T14:15:00+08:00"
    assert np.abs(balance_residual(plan["steps"])).max() < 1e-6
