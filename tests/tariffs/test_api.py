"""``/api/v1/tariffs``, ``/api/v1/costs`` and ``/api/v1/bills`` over HTTP on the small test park
(SQLite and PostgreSQL): figures computed by hand, refusals naming the field, and the tenant
scope of each route."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient

from lingtan.api.app import create_app
from lingtan.config import Settings
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM
from lingtan.normalize.hourly import HourlyStats
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.store.stats_repo import StatsRepo
from tests.api.world import PASSWORD, login

SH = ZoneInfo("Asia/Shanghai")


def _write(store: Store, code: str, kwh: float) -> None:
    """``kwh`` in every hour of 1 August 2025 (local)."""
    start = int(dt.datetime(2025, 8, 1, tzinfo=SH).timestamp()) * 1_000_000
    hours = start + np.arange(24, dtype=np.int64) * 3_600_000_000
    nan = np.full(24, np.nan)
    stats = HourlyStats(
        hours=hours, value=np.full(24, kwh), mean=nan, min=nan, max=nan,
        measured_s=np.full(24, 3600.0), estimated_s=np.zeros(24), missing_s=np.zeros(24),
        flags=np.zeros(24, np.int64), n=np.ones(24, np.int64),
    )  # fmt: skip
    point = QueryRepo(store).point(tenant=Tenant.park_wide(), code=code)
    with store.begin() as conn:
        StatsRepo(store).write_hours(conn, point.id, stats, now=0)


@pytest.fixture
def api(loaded: Store) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], dict[str, int]]]:
    park = loaded.registry.park()
    ents = {e.code: e.id for e in loaded.registry.enterprises(park.id)}
    for name, role, ent in (
        ("admin", "park_admin", None),
        ("e01", "enterprise_admin", "E01"),
        ("e02", "enterprise_viewer", "E02"),
    ):
        identity.create_user(
            loaded, actor=SYSTEM, username=name, password=PASSWORD, role=role,
            enterprise_id=None if ent is None else ents[ent],
        )  # fmt: skip
    _write(loaded, "E01-main", 10.0)
    _write(loaded, "E02-main", 20.0)
    app = create_app(Settings(environment="test", database_url=loaded.url), store=loaded)
    with TestClient(app) as client:
        yield client, {n: login(client, n) for n in ("admin", "e01", "e02")}, ents


def test_costs_bills_and_their_scope(
    api: tuple[TestClient, dict[str, dict[str, str]], dict[str, int]],
) -> None:
    c, h, ents = api
    listed = c.get("/api/v1/tariffs", headers=h["e02"]).json()
    assert {t["record"]["province"] for t in listed} >= {"江苏", "浙江", "广东"}
    one = c.get("/api/v1/tariffs/cn-gd-industry-commerce", headers=h["e02"]).json()
    assert one["record"]["schedules"][0]["hours"][0] == {
        "period": "低谷",
        "from": "00:00",
        "to": "08:00",
    }
    assert (
        c.get("/api/v1/costs", headers=h["admin"], params={"start": "2025-08"}).json()["status"]
        == "no_tariff"
    )
    # an enterprise's admin may not assign tariffs
    body = {"tariff_id": "demo-js-synthetic", "basic_basis": "demand", "effective_from": "2025-01"}
    assert c.put("/api/v1/tariffs/assignment", headers=h["e01"], json=body).status_code == 403
    r = c.put("/api/v1/tariffs/assignment", headers=h["admin"], json={**body, "basic_basis": "x"})
    assert r.status_code == 422
    assert c.put("/api/v1/tariffs/assignment", headers=h["admin"], json=body).status_code == 200

    # 1 August (尖峰 month): 低谷 8 h, 高峰 7 h, 尖峰 1 h, 平段 8 h per day
    # E01 (10 kWh/h): 80×0.3 + 70×1.0 + 10×1.25 + 80×0.6 = 24 + 70 + 12.5 + 48 = 154.5 元
    r = c.get("/api/v1/costs", headers=h["admin"],
              params={"enterprise_id": ents["E01"], "start": "2025-08"})  # fmt: skip
    assert r.status_code == 200, r.text
    (m,) = r.json()["months"]
    assert m["energy_cost"] == pytest.approx(154.5)
    assert m["energy_kwh"]["尖峰"] == pytest.approx(10.0)
    assert m["missing_hours"] == 31 * 24 - 24
    assert r.json()["tariff_confidence"] == "L" and r.json()["assigned_to"] == "park"
    # park = E01 + E02 = 30 kWh/h → 3 × 154.5 = 463.5 元; demand 30 kW × 40 = 1200 元
    park = c.get("/api/v1/costs", headers=h["admin"], params={"start": "2025-08"}).json()
    assert park["months"][0]["energy_cost"] == pytest.approx(463.5)
    assert park["months"][0]["basic"]["amount"] == pytest.approx(1200.0)
    # hourly: local 10:00 on 1 August is 尖峰, 10 kWh × 1.25 = 12.5 元
    hours = c.get("/api/v1/costs", headers=h["admin"], params={
        "point": "E01-main", "start": "2025-08", "resolution": "hour"}).json()["hours"]  # fmt: skip
    assert len(hours) == 31 * 24
    assert hours[10]["local"].startswith("2025-08-01T10:00") and hours[10]["periods"] == {
        "尖峰": 1.0
    }
    assert hours[10]["cost"] == pytest.approx(12.5)
    assert hours[24]["energy_kwh"] is None and hours[24]["cost"] is None  # 2 August: missing
    # refusals name the field
    bad = c.get(
        "/api/v1/costs", headers=h["admin"], params={"point": "E02-gas", "start": "2025-08"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "id"
    bad = c.get("/api/v1/costs", headers=h["admin"],
                params={"start": "2025-08", "months": 2, "resolution": "hour"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "months"

    # E02's viewer: E01's cost and point are missing; the park is E02's own points only
    for params in ({"enterprise_id": ents["E01"]}, {"point": "E01-main"}):
        r = c.get("/api/v1/costs", headers=h["e02"], params={**params, "start": "2025-08"})
        assert r.status_code == 404, params
    own = c.get("/api/v1/costs", headers=h["e02"], params={"start": "2025-08"}).json()
    assert own["points"] == ["E02-main"] and "E01" not in str(own)

    # E01's admin files its bill; E02 sees nothing of it
    bill = {"month": "2025-08", "energy_kwh": {"尖峰": 10, "高峰": 70, "平段": 80, "低谷": 80},
            "energy_amount": 154.5, "total_amount": 200, "reference": "E01-2025-08"}  # fmt: skip
    r = c.post("/api/v1/bills", headers=h["e01"], json=bill)
    assert r.status_code == 201, r.text
    bill_id = r.json()["id"]
    assert r.json()["enterprise_id"] == ents["E01"]
    assert c.post("/api/v1/bills", headers=h["e01"], json=bill).status_code == 409
    assert (
        c.post("/api/v1/bills", headers=h["e02"], json={**bill, "reference": "x"}).status_code
        == 403
    )
    bad = c.post("/api/v1/bills", headers=h["e01"], json={**bill, "month": "2025-8"})
    assert bad.status_code == 422 and bad.json()["field"] == "month"
    assert c.get("/api/v1/bills", headers=h["e02"]).json() == []
    assert c.get(f"/api/v1/bills/{bill_id}", headers=h["e02"]).status_code == 404
    assert c.get(f"/api/v1/bills/{bill_id}/check", headers=h["e02"]).status_code == 404
    # the month has 720 missing hours: the energy lines are not_metered, the check incomplete
    check = c.get(f"/api/v1/bills/{bill_id}/check", headers=h["e01"]).json()
    assert check["status"] == "incomplete"
    assert {line["status"] for line in check["lines"]} == {"not_metered"}


def test_month_prices_over_http(
    api: tuple[TestClient, dict[str, dict[str, str]], dict[str, int]],
) -> None:
    c, h, _ = api
    url = "/api/v1/tariffs/cn-js-large-industry/month-prices"
    entry = {"month": "2025-08", "price": 0.40, "fixed": 0.20, "source": "test list 2025-08"}
    # an enterprise's admin may not enter prices; bad fields are named
    assert c.post(url, headers=h["e01"], json=entry).status_code == 403
    bad = c.post(url, headers=h["admin"], json={**entry, "fixed": 0.1})
    assert bad.status_code == 422 and bad.json()["field"] == "fixed"
    r = c.post(url, headers=h["admin"], json=entry)
    assert r.status_code == 201, r.text
    assert (
        r.json()["entered_by"] == "user:admin" and r.json()["tariff_id"] == "cn-js-large-industry"
    )
    assert [e["price"] for e in c.get(url, headers=h["e02"]).json()] == [0.40]
    put = c.put(
        "/api/v1/tariffs/assignment", headers=h["admin"],
        json={"tariff_id": "cn-js-large-industry", "effective_from": "2025-08"},
    )  # fmt: skip
    assert put.status_code == 200, put.text
    month = c.get("/api/v1/costs", headers=h["admin"], params={"start": "2025-08"}).json()
    (m,) = month["months"]
    # 1 August (夏冬 calendar) known: E01 10 + E02 20 = 30 kWh/h, 8 h in each period → 240 kWh;
    #   prices 0.40 × 1.8 + 0.20 = 0.92, 0.60, 0.40 × 0.35 + 0.20 = 0.34
    #   → 240 × (0.92 + 0.60 + 0.34) = 446.4 元 over the known hours (the month incomplete)
    assert m["status"] == "incomplete"
    assert sum(v for v in m["cost"].values()) == pytest.approx(446.4)
