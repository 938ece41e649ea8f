"""``/api/v1/equipment`` end to end in the API world: an item graded and listed with its
standard, the efficiency workbook, a plan and its work order through the API, a lighting zone's
schedule for the park and the refusals of an enterprise's user, and the rule kind
``inspection`` in the alarm API."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from tests.api.world import World


def test_register_list_and_workbook(world: World) -> None:
    a, c = world.h("a_admin"), world.client
    r = c.post("/api/v1/equipment", headers=a, json={
        "code": "A-M-API", "name": "空压站电机", "type": "motor", "power_point": "E01-grid",
        "rated": {"rated_kw": 22, "poles": 4, "efficiency_pct": 93.0}})  # fmt: skip
    assert r.status_code == 201, r.text
    # GB 18613-2020 22 kW 4 poles: grade 2 94.5, grade 3 93.0 — 93.0 reaches grade 3
    assert r.json()["grade"]["grade"] == "3"
    bad = c.post("/api/v1/equipment", headers=a, json={
        "code": "A-X", "name": "x", "type": "motor",
        "rated": {"rated_kw": 22, "poles": 4, "efficiency_pct": 130}})  # fmt: skip
    assert bad.status_code == 422 and "rated.efficiency_pct" in bad.text
    items = c.get("/api/v1/equipment", headers=a).json()
    assert {i["code"] for i in items} == {"A-M-API"}  # not B's motor
    xlsx = c.get("/api/v1/equipment/efficiency-list/report", headers=a, params={"year": 2025})
    assert xlsx.status_code == 200, xlsx.text
    wb = load_workbook(BytesIO(xlsx.content))
    text = " ".join(str(x.value) for ws in wb for row in ws.iter_rows() for x in row if x.value)
    assert "A-M-API" in text and "B-SECRET" not in text
    stds = c.get("/api/v1/equipment/standards", headers=a).json()["standards"]
    assert {s["standard"] for s in stds} >= {"GB 18613-2020", "GB 19153-2019", "GB 24500-2020"}


def test_plan_order_and_the_inspection_rule_kind(world: World) -> None:
    a, c = world.h("a_admin"), world.client
    plan = c.post("/api/v1/equipment/inspections/plans", headers=a, json={
        "code": "A-TRAP-1", "name": "疏水阀检查", "kind": "steam_trap", "interval_days": 90,
        "first_due": "2025-01-05"})  # fmt: skip
    assert plan.status_code == 201, plan.text
    order = c.post(f"/api/v1/equipment/inspections/plans/{plan.json()['id']}/orders", headers=a)
    assert order.status_code == 201 and order.json()["due"] == "2025-01-05"
    done = c.patch(f"/api/v1/equipment/inspections/orders/{order.json()['id']}", headers=a,
                   json={"status": "done", "done_on": "2025-01-07", "findings": "2 只失效"})  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "done"
    plans = c.get("/api/v1/equipment/inspections/plans", headers=a).json()
    # done 2025-01-07, every 90 days: 7 January + 90 days = 7 April
    assert next(p for p in plans if p["code"] == "A-TRAP-1")["next_due"] == "2025-04-07"
    rule = c.post("/api/v1/alarms/rules", headers=a, json={
        "id": "a-insp", "name": "巡检逾期", "kind": "inspection", "check": "overdue",
        "scope": {"enterprise": "E01"}})  # fmt: skip
    assert rule.status_code == 201, rule.text


def test_lighting_is_the_parks(world: World) -> None:
    admin, c = world.h("admin"), world.client
    body = {"name": "主干道", "kind": "road", "circuits": [world.park["point"]],
            "latitude": 31.3, "longitude": 120.6, "on_offset_min": 5,
            "dimming": [{"start": "23:00", "end": "05:00", "level_pct": 40}]}  # fmt: skip
    assert (
        c.put("/api/v1/equipment/lighting/zones/RD-API", headers=admin, json=body).status_code
        == 200
    )
    night = c.get("/api/v1/equipment/lighting/zones/RD-API/schedule", headers=admin,
                  params={"day": "2025-01-15"})  # fmt: skip
    assert night.status_code == 200, night.text
    assert [s["level_pct"] for s in night.json()["setpoints"]] == [100.0, 40.0, 100.0, 0.0]
    energy = c.get("/api/v1/equipment/lighting/zones/RD-API/energy", headers=admin,
                   params={"start": "2025-01-01", "end": "2025-01-08"})  # fmt: skip
    assert energy.status_code == 200 and energy.json()["lpd_limit"] is None
    # an enterprise's circuit is refused; an enterprise's user sees no zone
    refused = c.put("/api/v1/equipment/lighting/zones/RD-X", headers=admin,
                    json={**body, "circuits": ["E01-grid"]})  # fmt: skip
    assert refused.status_code == 422 and "circuits[0]" in refused.text
    assert c.get("/api/v1/equipment/lighting/zones", headers=world.h("a_viewer")).status_code == 403
    # a smart pole groups the zone's circuit; listed with the point's newest reading
    pole = {**body, "poles": [{"code": "P-1", "lighting": [world.park["point"]]}]}
    assert c.put("/api/v1/equipment/lighting/zones/RD-P", headers=admin, json=pole).is_success
    poles = c.get("/api/v1/equipment/lighting/zones/RD-P/poles", headers=admin)
    assert poles.status_code == 200, poles.text
    assert [(p["code"], [r["point"] for r in p["points"]]) for p in poles.json()] == [
        ("P-1", [world.park["point"]])
    ]
    path = "/api/v1/equipment/lighting/zones/RD-P/poles"
    assert c.get(path, headers=world.h("a_viewer")).status_code == 403
    bad = {**body, "poles": [{"code": "P-1", "lighting": [world.park["point"]],
                              "ev_charger": ["NOPE"]}]}  # fmt: skip
    refused = c.put("/api/v1/equipment/lighting/zones/RD-Q", headers=admin, json=bad)
    assert refused.status_code == 422 and "poles.0.ev_charger.0" in refused.text


def test_lighting_writes_through_the_api(world: World) -> None:
    admin, c = world.h("admin"), world.client
    point = world.park["point"]
    # a gateway nobody listens on: the write ends ``unavailable`` and is stored so
    body = {"name": "支路", "kind": "road", "circuits": [point], "latitude": 31.3,
            "longitude": 120.6,
            "control": {"gateways": [{"code": "GW", "host": "127.0.0.1", "port": 1,
                                      "timeout_s": 1}],
                        "devices": [{"device": point, "gateway": "GW", "unit": 1, "retries": 0,
                                     "setpoint": {"address": 40, "type": "uint16"}}]}}  # fmt: skip
    assert c.put("/api/v1/equipment/lighting/zones/RD-W", headers=admin, json=body).is_success
    path = "/api/v1/equipment/lighting/zones/RD-W"
    # noon: the lamps are off (0 %), the register would take 0
    dry = c.post(f"{path}/apply", headers=admin,
                 json={"at": "2025-01-16T12:00:00+08:00", "dry_run": True})  # fmt: skip
    assert dry.status_code == 200, dry.text
    assert dry.json()["level_pct"] == 0.0 and dry.json()["devices"][0]["registers"] == [0]
    assert c.get(f"{path}/writes", headers=admin).json() == []
    done = c.post(f"{path}/apply", headers=admin, json={"at": "2025-01-16T12:00:00+08:00"})
    assert done.status_code == 200 and done.json()["devices"][0]["status"] == "unavailable"
    (w,) = c.get(f"{path}/writes", headers=world.h("viewer")).json()
    assert (w["device"], w["level_pct"], w["status"]) == (point, 0.0, "unavailable")
    assert w["error"] and w["written_by"] == "user:admin"
    # a naive instant is refused naming the field
    bad = c.post(f"{path}/apply", headers=admin, json={"at": "2025-01-16T12:00:00"})
    assert bad.status_code == 422 and "at" in bad.text
    # an enterprise's user: no such zone to read, no right to write
    assert c.get(f"{path}/writes", headers=world.h("a_admin")).status_code == 404
    assert c.post(f"{path}/apply", headers=world.h("a_admin"), json={}).status_code == 403
    assert c.post(f"{path}/apply", headers=world.h("viewer"), json={}).status_code == 403
