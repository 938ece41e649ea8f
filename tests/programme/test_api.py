"""``/api/v1/programme`` over HTTP on the golden park: a validation error names the field in
the problem document; the plan workbook downloads; an enterprise's user reaches its own plan
and not another's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lingtan.api import create_app
from lingtan.config import Settings
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM
from lingtan.store import open_store
from tests.indicators.golden_park import load

PASSWORD = "programme-pass-1"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    path: Path = tmp_path_factory.mktemp("api") / "p.db"
    store = open_store(f"sqlite:///{path}")
    load(store)
    ents = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    for name, role, ent in (("admin", "park_admin", None), ("a_admin", "enterprise_admin", "A"),
                            ("b_viewer", "enterprise_viewer", "B")):  # fmt: skip
        identity.create_user(store, actor=SYSTEM, username=name, password=PASSWORD, role=role,
                             enterprise_id=None if ent is None else ents[ent])  # fmt: skip
    app = create_app(Settings(environment="test", database_url=store.url), store=store)
    with TestClient(app) as c:
        headers = {}
        for name in ("admin", "a_admin", "b_viewer"):
            r = c.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
            headers[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        yield c, headers
    store.close()


def test_validation_error_names_the_field(client: tuple[TestClient, dict]) -> None:
    c, h = client
    r = c.post("/api/v1/programme/plans", headers=h["a_admin"],
               json={"year": 2025, "title": "x", "targets": {"energy_tce_max": -5}})  # fmt: skip
    assert r.status_code == 422
    assert "energy_tce_max" in r.text
    r = c.post("/api/v1/programme/records", headers=h["a_admin"],
               json={"kind": "objective", "title": "x", "body": {"due": "2025-01-01"}})  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "body.statement"


def test_plan_progress_report_and_scope(client: tuple[TestClient, dict]) -> None:
    c, h = client
    r = c.post("/api/v1/programme/plans", headers=h["a_admin"],
               json={"year": 2025, "title": "甲计划", "targets": {"energy_tce_max": 240}})  # fmt: skip
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    prog = c.get(f"/api/v1/programme/plans/{plan_id}/progress", headers=h["a_admin"]).json()
    # A in January: 15.087204 tce (tests/indicators/data/README.md) ≤ 240 / 12 = 20
    (line,) = prog["targets"]
    assert line["actual"] == pytest.approx(15.087204) and line["status"] == "on_track"
    book = c.get(f"/api/v1/programme/plans/{plan_id}/report?lang=en", headers=h["a_admin"])
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert c.get(f"/api/v1/programme/plans/{plan_id}", headers=h["b_viewer"]).status_code == 404
    assert c.get("/api/v1/programme/plans", headers=h["b_viewer"]).json() == []
    assert c.get(f"/api/v1/programme/plans/{plan_id}", headers=h["admin"]).status_code == 200
    stds = c.get("/api/v1/programme/standards", headers=h["b_viewer"]).json()
    assert {"GB/T 28750-2012", "GB/T 24915-2020", "GB/T 34149-2017",
            "GB/T 23331-2020"} <= {s["number"] for s in stds}  # fmt: skip
