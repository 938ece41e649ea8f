"""``/api/v1/waste`` end to end in the API world: a ledger written and balanced, a manifest run
through its states with a refused receiver, an import with bad rows, the exchange's visibility
(the deal of B with E03 is invisible to A), and the rule kind ``waste`` in the alarm API."""

from __future__ import annotations

from tests.api.world import World


def test_ledger_manifest_and_balance_through_the_api(world: World) -> None:
    a = world.h("a_admin")
    c = world.client
    stream = c.post("/api/v1/waste/streams", headers=a, json={
        "code": "900-039-49", "name": "废活性炭 API", "form": "固态", "process": "VOCs 治理"})  # fmt: skip
    assert stream.status_code == 201, stream.text
    sid = stream.json()["id"]
    fac = c.post("/api/v1/waste/facilities", headers=a, json={
        "code": "WH-API", "name": "暂存间", "capacity": 2000, "unit": "kg"})  # fmt: skip
    assert fac.status_code == 201 and fac.json()["capacity_t"] == 2.0, fac.text
    for body in (
        {"kind": "generated", "quantity": 1500, "unit": "kg", "at": "2025-02-01"},
        {"kind": "stored", "quantity": 1.5, "at": "2025-02-01", "facility_id": fac.json()["id"]},
        {"kind": "retrieved", "quantity": 1.0, "at": "2025-02-10", "facility_id": fac.json()["id"]},
    ):
        r = c.post(
            "/api/v1/waste/movements", headers=a, json={"stream_id": sid, "batch": "A1", **body}
        )
        assert r.status_code == 201, r.text
    licences = c.get("/api/v1/waste/licences", headers=a).json()
    hw49 = next(x for x in licences if "HW49" in x["codes"])
    draft = c.post("/api/v1/waste/manifests", headers=a, json={
        "number": "A-API-0001", "licence_id": hw49["id"], "transporter": "运输",
        "transporter_licence": "T-1", "lines": [{"stream_id": sid, "quantity": 1.0}]})  # fmt: skip
    assert draft.status_code == 201, draft.text
    mid = draft.json()["id"]
    path = f"/api/v1/waste/manifests/{mid}/transitions"
    assert c.post(path, headers=a, json={"action": "close"}).status_code == 409
    assert c.post(path, headers=a, json={"action": "dispatch", "at": "2025-02-10 14:00",
                                         "batches": ["A1"]}).status_code == 200  # fmt: skip
    got = c.post(path, headers=a, json={"action": "receive", "received": [0.98]})
    assert got.status_code == 200 and got.json()["state"] == "received", got.text
    # 0.98 t received of 1.0 t sent: −0.02 t
    assert abs(got.json()["history"][-1]["difference_t"] + 0.02) < 1e-9
    # February: generated 1.5, stored 1.5, retrieved 1.0, transferred 1.0:
    # Δstorage 0.5, residual 1.5 − 1.0 − 0 − 0.5 = 0
    bal = c.get("/api/v1/waste/balance", headers=a, params={"year": 2025}).json()
    (month,) = [m for m in bal["months"] if m["stream_id"] == sid]
    assert abs(month["residual"]) < 1e-9 and month["delta_storage"] == 0.5
    # a receiver not licensed for the code: 422 naming it
    oil = c.post("/api/v1/waste/streams", headers=a, json={
        "code": "900-214-08", "name": "废润滑油 API", "form": "液态", "process": "维修"}).json()  # fmt: skip
    refused = c.post("/api/v1/waste/manifests", headers=a, json={
        "number": "A-API-0002", "licence_id": hw49["id"], "transporter": "运输",
        "transporter_licence": "T-1", "lines": [{"stream_id": oil["id"], "quantity": 1.0}]})  # fmt: skip
    assert refused.status_code == 422 and "900-214-08" in refused.text
    # the import: one good row, one bad, answered with its line
    csv = "stream,kind,batch,quantity,at\n废活性炭 API,generated,A2,0.3,2025-03-01\n废活性炭 API,generated,A3,x,2025-03-01\n"
    imp = c.post("/api/v1/waste/movements/import", headers=a,
                 files={"file": ("l.csv", csv.encode(), "text/csv")})  # fmt: skip
    assert imp.status_code == 200 and imp.json()["stored"] == 1, imp.text
    assert [x["line"] for x in imp.json()["rejected"]] == [3]


def test_exchange_listings_hide_other_owners_and_deals_their_parties(world: World) -> None:
    a = world.h("a_viewer")
    listings = world.client.get("/api/v1/waste/exchange/listings", headers=a).json()
    b_offer = next(x for x in listings if x["id"] == world.b["offer_id"])
    assert b_offer["enterprise_id"] is None and b_offer["created_by"] is None
    assert world.client.get("/api/v1/waste/exchange/deals", headers=a).json() == []
    admin = world.client.get("/api/v1/waste/exchange/deals", headers=world.h("admin")).json()
    assert world.b["deal_id"] in {d["id"] for d in admin}


def test_waste_rules_are_alarm_rules(world: World) -> None:
    admin = world.h("admin")
    r = world.client.post("/api/v1/waste/alarm-rules", headers=admin)
    assert r.status_code == 201, r.text
    rules = world.client.get("/api/v1/alarms/rules", headers=admin).json()
    items = rules["items"] if isinstance(rules, dict) else rules
    waste = {x["id"] if "id" in x else x["code"] for x in items if x["kind"] == "waste"}
    assert {"waste-storage-over", "waste-receipt-difference"} <= waste
    bad = world.client.post("/api/v1/alarms/rules", headers=admin, json={
        "id": "w-bad", "name": "x", "kind": "waste", "check": "mass_balance",
        "scope": {"points": ["E01-grid"]}})  # fmt: skip
    assert bad.status_code == 422


def test_storage_extension_through_the_api(world: World) -> None:
    a, b, c = world.h("a_admin"), world.h("b_admin"), world.client
    sid = c.post("/api/v1/waste/streams", headers=a, json={
        "code": "900-039-49", "name": "废活性炭 延期", "form": "固态", "process": "VOCs 治理"}).json()["id"]  # fmt: skip
    fac = c.post("/api/v1/waste/facilities", headers=a, json={
        "code": "WH-EXT", "name": "暂存间", "capacity": 5}).json()["id"]  # fmt: skip
    for body in ({"kind": "generated", "quantity": 1, "at": "2025-03-01"},
                 {"kind": "stored", "quantity": 1, "at": "2025-03-01", "facility_id": fac}):  # fmt: skip
        r = c.post("/api/v1/waste/movements", headers=a,
                   json={"stream_id": sid, "batch": "E1", **body})  # fmt: skip
        assert r.status_code == 201, r.text
    body = {"stream_id": sid, "batch": "E1", "authority": "苏州市生态环境局",
            "number": "苏环危贮延〔2026〕7号", "approved_on": "2026-02-10", "until": "2026-06-30"}  # fmt: skip
    # until before the approval date: 422 naming the field
    bad = c.post(
        "/api/v1/waste/storage-extensions", headers=a, json={**body, "until": "2026-01-31"}
    )
    assert bad.status_code == 422 and "until" in bad.text
    # another enterprise's user may not extend A's batch (404, as for a stream that is not there)
    assert c.post("/api/v1/waste/storage-extensions", headers=b, json=body).status_code == 404
    made = c.post("/api/v1/waste/storage-extensions", headers=a, json=body)
    assert made.status_code == 201 and made.json()["until"] == "2026-06-30", made.text
    listed = c.get("/api/v1/waste/storage-extensions", headers=a).json()
    assert [x["number"] for x in listed] == ["苏环危贮延〔2026〕7号"]
    assert c.get("/api/v1/waste/storage-extensions", headers=b).json() == []
    (row,) = [x for x in c.get("/api/v1/waste/storage", headers=a).json() if x["batch"] == "E1"]
    # the deadline is the extension's last day; the statutory one (2025-03-01 + 1 year) kept
    assert (row["deadline"], row["statutory_deadline"], row["extension_number"]) == (
        "2026-06-30", "2026-03-01", "苏环危贮延〔2026〕7号")  # fmt: skip
