"""A demo park with users of every role and resources of two enterprises (A = E01, B = E02),
served by the app — shared by the API and dashboard tests."""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from lingtan.api import create_app
from lingtan.config import Settings
from lingtan.demo.park import build_park
from lingtan.demo.run import run
from lingtan.identity import service as identity
from lingtan.identity import tokens
from lingtan.identity.roles import SYSTEM
from lingtan.registry import ParkModel
from lingtan.store import Store, open_store
from lingtan.store.identity_repo import IdentityRepo
from lingtan.store.jobs_repo import JobsRepo
from lingtan.timeutil import to_us, utcnow
from tests.conftest import PG_SESSION, PG_URL, fresh_store, need_service

PASSWORD = "correct horse battery"
#: username → (role, enterprise code or None)
USERS: dict[str, tuple[str, str | None]] = {
    "admin": ("park_admin", None),
    "viewer": ("park_viewer", None),
    "auditor": ("auditor", None),
    "integrator": ("integrator", None),
    "a_admin": ("enterprise_admin", "E01"),
    "a_viewer": ("enterprise_viewer", "E01"),
    "b_admin": ("enterprise_admin", "E02"),
    "b_viewer": ("enterprise_viewer", "E02"),
}


class RecordingPublisher:
    """Keeps the dispatch messages it is given and acknowledges each."""

    broker = "memory://"

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def send(self, messages: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
        self.sent.extend(messages)
        return [
            {"topic": t, "mid": k, "rc": 0, "acknowledged": True}
            for k, (t, _p) in enumerate(messages, start=1)
        ]


@dataclass
class World:
    """Everything a test needs to call the app as anyone."""

    store: Store
    client: TestClient
    settings: Settings
    enterprises: dict[str, int]
    users: dict[str, int]
    headers: dict[str, dict[str, str]]
    #: ids of enterprise B's resources, by path-parameter name
    b: dict[str, Any] = field(default_factory=dict)
    #: strings that only B's data contains
    b_markers: list[str] = field(default_factory=list)
    #: the park's own resources (no enterprise's): a site, its code and a point
    park: dict[str, Any] = field(default_factory=dict)

    def h(self, user: str) -> dict[str, str]:
        """Authorization headers of ``user``."""
        return self.headers[user]


@contextmanager
def store_for(kind: str, tmp_dir: str) -> Iterator[Store]:
    """A fresh store on SQLite or in a fresh PostgreSQL schema."""
    with fresh_store(kind, Path(tmp_dir)) as store:
        yield store


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers from the OAuth2 password flow."""
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@contextmanager
def build_world(
    store: Store, *, months: int = 1, enterprises: int = 3, queued_job: bool = True
) -> Iterator[World]:
    """Load the shrunk demo, create the users and B's resources, start the app."""
    run(store, months=months, enterprises=enterprises)
    _e01_plant_left_to_the_api(store, enterprises)
    park = store.registry.park()
    ents = {e.code: e.id for e in store.registry.enterprises(park.id)}
    users = {}
    for name, (role, ent) in USERS.items():
        info = identity.create_user(
            store,
            actor=SYSTEM,
            username=name,
            password=PASSWORD,
            role=role,
            enterprise_id=None if ent is None else ents[ent],
        )
        users[name] = info.id
    settings = Settings(environment="test", database_url=store.url)
    app = create_app(settings, store=store)
    # dispatch setpoints go to a recorder, not a broker (tests/dispatch publish to Mosquitto)
    app.state.dispatch_publisher = RecordingPublisher()
    with TestClient(app) as client:
        headers = {name: login(client, name) for name in USERS}
        world = World(store, client, settings, ents, users, headers)
        _b_resources(world)
        _a_keys(world)
        if queued_job:
            _b_queued_job(world)
        yield world


#: the PV point whose plant the world leaves undeclared in the park file
API_PLANT_POINT = "E01-pv"


def _e01_plant_left_to_the_api(store: Store, enterprises: int) -> None:
    """The demo's park file declares every PV meter's plant (demo/park.py), and a plant the
    park file declares cannot be declared over the API (409). So that the API's declaration
    (``PUT /api/v1/forecasts/pv-plants/{code}``) has a point to write in these tests, the
    world loads the demo park again without E01-pv's plant (E02's and E03's stay)."""
    data = build_park(enterprises).model_dump(mode="json", exclude_none=True)
    for p in data["points"]:
        if p["id"] == API_PLANT_POINT:
            del p["pv_plant"]
    store.registry.save_park(ParkModel.model_validate(data), actor="demo")


def _b_resources(w: World) -> None:
    """Resources of enterprise B (E02), made by B's own admin through the API."""
    b = w.h("b_admin")
    key = w.client.post(
        "/api/v1/keys",
        headers=b,
        json={"name": "B gateway", "scope": "ingest", "points": ["E02-grid"]},
    )
    assert key.status_code == 201, key.text
    record = w.client.post(
        "/api/v1/records",
        headers=b,
        json={
            "category": "water",
            "item": "intake",
            "period_start": "2025-01-01",
            "period_end": "2025-01-31",
            "quantity": 1234.5,
            "unit": "m3",
            "source_document": "B-SECRET-DOC 取水台账",
        },
    )
    assert record.status_code == 201, record.text
    bad = w.client.post(
        "/api/v1/readings",
        headers=b,
        json=[{"point": "E02-grid", "ts": "2025-01-20T10:00:00+08:00", "value": "B-SECRET-VALUE"}],
    )
    assert bad.status_code == 200 and bad.json()["rejected"] == 1, bad.text
    cert_id = "9" * 20 + "202501000001"
    imported = w.client.post(
        "/api/v1/certificates/import",
        headers=b,
        files={"file": ("b.csv", certificate_csv([cert_id], "B-SECRET-PROJECT"), "text/csv")},
    )
    assert imported.status_code == 201, imported.text
    retired = w.client.post(
        "/api/v1/certificates/retire",
        headers=b,
        json={"cert_ids": [cert_id], "period_start": "2025-01", "period_end": "2025-01"},
    )
    assert retired.status_code == 201, retired.text
    account = w.client.post(
        "/api/v1/accounting/recompute",
        headers=b,
        json={
            "basis": "enterprise",
            "year": 2025,
            "month": 1,
            "enterprise_id": w.enterprises["E02"],
        },
    )
    assert account.status_code == 202, account.text
    result_id = wait_job(w, account.json()["id"], "b_admin")["result"]["result_id"]
    report = w.client.post(
        "/api/v1/reports/energy_report", headers=b, json={"year": 2025, "month": 1}
    )
    assert report.status_code == 202, report.text
    report_job = wait_job(w, report.json()["id"], "b_admin")
    assert report_job["file_url"], report_job
    # an alarm rule of B's, an alarm it raised (a January reading of B's meter sent again),
    # and a maintenance window of B's
    rule = w.client.post(
        "/api/v1/alarms/rules",
        headers=b,
        json={"id": "B-SECRET-RULE", "name": "B-SECRET 进线", "kind": "threshold",
              "scope": {"points": ["E02-grid"]}, "op": "below", "low": 1e15},
    )  # fmt: skip
    assert rule.status_code == 201, rule.text
    first = w.client.get("/api/v1/points/E02-grid/readings", headers=b, params={"limit": 1}).json()[
        "items"
    ][0]
    resent = w.client.post("/api/v1/readings", headers=b, json=[{"point": "E02-grid", **first}])
    assert resent.status_code == 200, resent.text
    alarm = w.client.get("/api/v1/alarms", headers=b, params={"rule": "B-SECRET-RULE"}).json()
    assert alarm["total"] == 1, alarm
    window = w.client.post(
        "/api/v1/alarms/suppressions",
        headers=b,
        json={"starts": "2025-03-01T00:00:00+08:00", "ends": "2025-03-02T00:00:00+08:00",
              "reason": "B-SECRET 检修", "point": "E02-grid"},
    )  # fmt: skip
    assert window.status_code == 201, window.text
    channel = w.client.post(
        "/api/v1/alarms/channels",
        headers=b,
        json={
            "code": "b-hook",
            "name": "B-SECRET-CHANNEL 值班群",
            "kind": "webhook",
            # nothing listens there: the test message stays pending (retried) in the outbox
            "target": "http://127.0.0.1:9/B-SECRET-HOOK",
        },
    )
    assert channel.status_code == 201, channel.text
    delivery = w.client.post(f"/api/v1/alarms/channels/{channel.json()['id']}/test", headers=b)
    assert delivery.status_code == 202, delivery.text
    incident = w.client.post(
        "/api/v1/incidents",
        headers=b,
        json={
            "title": "B-SECRET-INCIDENT 液氨泄漏",
            "kind": "production_safety_accident",
            "level": "ordinary",
            "place": "B-SECRET-PLACE",
        },
    )
    assert incident.status_code == 201, incident.text
    attachment = w.client.post(
        f"/api/v1/incidents/{incident.json()['id']}/attachments",
        headers=b,
        files={"file": ("b-secret.txt", b"B-SECRET-ATTACHMENT", "text/plain")},
    )
    assert attachment.status_code == 201, attachment.text
    bill = w.client.post(
        "/api/v1/bills",
        headers=b,
        json={
            "month": "2025-01",
            "energy_kwh": {"高峰": 1234.5, "低谷": 678.9},
            "total_amount": 999.99,
            "reference": "B-SECRET-BILL",
        },
    )
    assert bill.status_code == 201, bill.text
    sites = w.client.get(
        "/api/v1/sites", headers=w.h("admin"), params={"enterprise_id": w.enterprises["E02"]}
    )
    ent = w.client.get(f"/api/v1/enterprises/{w.enterprises['E02']}", headers=w.h("admin")).json()
    # a forecast of B's grid import (B's own admin issues it)
    forecast = w.client.post(
        "/api/v1/forecasts", headers=b, json={"point": "E02-grid", "history_days": 28}
    )
    assert forecast.status_code == 201, forecast.text
    # and a forecast of B's own electricity load (its energy balance)
    load_forecast = w.client.post(
        "/api/v1/forecasts", headers=b, json={"enterprise": "E02", "history_days": 28}
    )
    assert load_forecast.status_code == 201, load_forecast.text
    # a dispatch plan of the park's microgrid (the demo stores its declaration): no enterprise
    # has one, so the park's stands in for B's — enterprise users reach no plan at all. It
    # carries a demand-response call, so GET /plans/{plan_id}/demand-response names something
    plan = w.client.post(
        "/api/v1/dispatch/plans", headers=w.h("admin"),
        json={"day": "2025-01-20",
              "demand_response": {"from": "18:00", "to": "20:00", "reduction_pct": 10}},
    )  # fmt: skip
    assert plan.status_code == 201, plan.text
    # a stored matching run of the park (the park's: an enterprise user reads its own part)
    matching_run = w.client.post("/api/v1/matching/runs", headers=w.h("admin"), json={"year": 2025})
    assert matching_run.status_code == 201 and matching_run.json()["id"] == 1, matching_run.text
    waste = _b_waste(w, b)
    equipment = _b_equipment(w, b)
    programme = _b_programme(w, b)
    # B's GHG document for 2025 (lingtan.ghg): its account, report and covered-unit test
    ghg = w.client.post(
        "/api/v1/ghg/documents", headers=b,
        json={"document": {**ghg_document_body(), "enterprise": "B-SECRET 钢铁"}},
    )  # fmt: skip
    assert ghg.status_code == 201, ghg.text
    w.b = {
        **waste,
        **equipment,
        **programme,
        "enterprise_id": w.enterprises["E02"],
        "site_id": sites.json()["items"][0]["id"],
        "code": "E02-grid",
        "point": "E02-grid",
        "user_id": w.users["b_viewer"],
        "key_id": key.json()["id"],
        "key_prefix": key.json()["prefix"],
        "key": key.json()["key"],
        # a report job of B's that ran to completion and produced a file
        "job_id": report_job["id"],
        "record_id": record.json()["id"],
        "cert_id": cert_id,
        "boundary": "E02",
        "enterprise_code": "E02",
        "enterprise": "E02",
        "site_code": sites.json()["items"][0]["code"],
        "result_id": result_id,
        "alarm_id": alarm["items"][0]["id"],
        "rule_code": "B-SECRET-RULE",
        "suppression_id": window.json()["id"],
        "channel_id": channel.json()["id"],
        "delivery_id": delivery.json()["id"],
        "incident_id": incident.json()["id"],
        "attachment_id": attachment.json()["id"],
        "bill_id": bill.json()["id"],
        "forecast_id": forecast.json()["id"],
        "plan_id": plan.json()["id"],
        # B's wastewater outlet (demo park, environment.stations)
        "station_code": "E02-OUT1",
        "station": "E02-OUT1",
    }
    all_sites = w.client.get("/api/v1/sites", headers=w.h("admin")).json()["items"]
    park_site = next(s for s in all_sites if s["enterprise_id"] is None)
    park_points = w.client.get(
        "/api/v1/points", headers=w.h("admin"), params={"site_id": park_site["id"]}
    ).json()["items"]
    park_point = next(p for p in park_points if p["enterprise_id"] is None)
    w.park = {
        "site_id": park_site["id"],
        "site_code": park_site["code"],
        "point": park_point["code"],
    }
    w.b_markers = [
        "E02-",
        '"E02"',
        ent["name"],
        ent["uscc"],
        "b_admin",
        "b_viewer",
        key.json()["prefix"],
        report_job["id"],
        "B-SECRET",
        cert_id,
        "b-hook",
        delivery.json()["delivery_id"],
    ]


def _b_queued_job(w: World) -> None:
    """A job of B's still queued: inserted directly once the app runs, so no runner picks it
    up (a runner takes the queued jobs it finds when it starts)."""
    queued_job_id = str(uuid.uuid4())
    with w.store.begin() as conn:
        JobsRepo(w.store).insert(
            conn,
            job_id=queued_job_id,
            kind="normalise",
            params={"note": "B-SECRET-JOB"},
            created_by="user:b_admin",
            enterprise_id=w.enterprises["E02"],
            now=to_us(utcnow()),
        )
    w.b["queued_job_id"] = queued_job_id
    w.b_markers.append(queued_job_id)


def ghg_document_body() -> dict[str, Any]:
    """A one-source GHG document (one month of natural gas, measured)."""
    return {
        "enterprise": "probe",
        "year": 2025,
        "sector": "other",
        "sources": [
            {
                "id": "gas",
                "method": "fuel",
                "key": "natural_gas",
                "series": {
                    "consumed": {
                        "unit": "10^4 m3",
                        "months": [
                            {"month": 1, "value": 1.0,
                             "evidence": {"kind": "measured", "reference": "probe"}}
                        ],
                    }
                },
            }
        ],
    }  # fmt: skip


def _b_waste(w: World, b: dict[str, str]) -> dict[str, Any]:
    """B's waste ledger: a stream, a manifest to a licensed receiver (the park registers the
    licence), an offer on the exchange and a deal with E03 (A is party to neither)."""
    stream = w.client.post(
        "/api/v1/waste/streams", headers=b,
        json={"code": "900-041-49", "name": "B-SECRET 废包装桶", "form": "固态",
              "process": "B-SECRET 涂装"},
    )  # fmt: skip
    assert stream.status_code == 201, stream.text
    licence = w.client.post(
        "/api/v1/waste/licences", headers=w.h("admin"),
        json={"holder": "某危废处置公司（合成）", "number": "JS-WALK-0001", "codes": ["HW49"],
              "capacity": 1000, "valid_from": "2020-01-01", "valid_to": "2099-12-31"},
    )  # fmt: skip
    assert licence.status_code == 201, licence.text
    manifest = w.client.post(
        "/api/v1/waste/manifests", headers=b,
        json={"number": "B-SECRET-MANIFEST", "licence_id": licence.json()["id"],
              "transporter": "B-SECRET 运输", "transporter_licence": "B-SECRET-T",
              "lines": [{"stream_id": stream.json()["id"], "quantity": 0.5}]},
    )  # fmt: skip
    assert manifest.status_code == 201, manifest.text
    offer = w.client.post(
        "/api/v1/waste/exchange/listings", headers=b,
        json={"side": "offer", "material": "钢渣", "quantity": 20, "period_from": "2025-01-01",
              "period_to": "2025-12-31"},
    )  # fmt: skip
    assert offer.status_code == 201, offer.text
    deal = w.client.post(
        "/api/v1/waste/exchange/deals", headers=b,
        json={"offer_id": offer.json()["id"], "buyer_id": w.enterprises["E03"], "quantity": 5,
              "agreed_on": "2025-06-01", "note": "B-SECRET-DEAL"},
    )  # fmt: skip
    assert deal.status_code == 201, deal.text
    return {
        "stream_id": stream.json()["id"],
        "licence_id": licence.json()["id"],
        "manifest_id": manifest.json()["id"],
        "offer_id": offer.json()["id"],
        "deal_id": deal.json()["id"],
    }


def _b_equipment(w: World, b: dict[str, str]) -> dict[str, Any]:
    """B's equipment register: a motor on B's meter, a calibration plan of that meter and a
    work order of it."""
    item = w.client.post(
        "/api/v1/equipment", headers=b,
        json={"code": "B-SECRET-M1", "name": "B-SECRET 电机", "type": "motor",
              "rated": {"rated_kw": 15, "poles": 4, "efficiency_pct": 91.0},
              "power_point": "E02-grid"},
    )  # fmt: skip
    assert item.status_code == 201, item.text
    plan = w.client.post(
        "/api/v1/equipment/inspections/plans", headers=b,
        json={"code": "B-SECRET-CAL", "name": "B-SECRET 检定", "kind": "meter_calibration",
              "point": "E02-grid", "interval_months": 12, "first_due": "2025-01-10"},
    )  # fmt: skip
    assert plan.status_code == 201, plan.text
    order = w.client.post(
        f"/api/v1/equipment/inspections/plans/{plan.json()['id']}/orders", headers=b
    )
    assert order.status_code == 201, order.text
    return {
        "equipment_id": item.json()["id"],
        "inspection_plan_id": plan.json()["id"],
        "work_order_id": order.json()["id"],
    }


def programme_measure_body(plan_id: int, code: str = "M1", marker: str = "") -> dict[str, Any]:
    """A measure with a verification plan on declared energies (energy = 100 + 2 × output;
    the reporting month saves 10 %) and a shared-savings contract; ``marker`` prefixes its
    names (B's: ``B-SECRET``)."""
    base = [
        {"period": f"2024-{k:02d}", "energy": 100 + 2 * o, "drivers": {"output": o}}
        for k, o in enumerate((10, 20, 30, 40), 1)
    ]
    return {
        "plan_id": plan_id, "code": code, "name": f"{marker}余热回收", "owner": f"{marker}王工",
        "schedule": {"start": "2024-06-01", "end": "2024-12-31"}, "status": "completed",
        "verification": {
            "drivers": ["output"], "unit": "kWh", "baseline": base,
            "reporting": [{"period": "2025-01", "energy": 126, "drivers": {"output": 20}}],
        },
        "contract": {"type": "shared_savings", "service_company": f"{marker}节能服务公司", "price": 1,
                     "shares": {"esco": 0.6, "client": 0.4}},
    }  # fmt: skip


def _b_programme(w: World, b: dict[str, str]) -> dict[str, Any]:
    """B's energy-saving plan, a measure of it and a programme record."""
    plan = w.client.post(
        "/api/v1/programme/plans", headers=b,
        json={"year": 2025, "title": "B-SECRET 节能计划", "targets": {"energy_tce_max": 1000}},
    )  # fmt: skip
    assert plan.status_code == 201, plan.text
    measure = w.client.post(
        "/api/v1/programme/measures",
        headers=b,
        json=programme_measure_body(plan.json()["id"], marker="B-SECRET "),
    )
    assert measure.status_code == 201, measure.text
    record = w.client.post(
        "/api/v1/programme/records", headers=b,
        json={"kind": "significant_use", "title": "B-SECRET 空压站",
              "body": {"name": "B-SECRET 空压站"}, "cites": {"points": ["E02-grid"]}},
    )  # fmt: skip
    assert record.status_code == 201, record.text
    return {
        "saving_plan_id": plan.json()["id"],
        "measure_id": measure.json()["id"],
        "programme_record_id": record.json()["id"],
    }


def _a_keys(w: World) -> None:
    """API keys as further callers of A (headers ``a_read_key``, ``a_ingest_key``) and a
    park-wide ingest key restricted to one point of A and one of the park
    (``park_points_key``)."""
    bodies = {
        "a_read_key": ("a_admin", {"name": "A dashboard", "scope": "read"}),
        "a_ingest_key": ("a_admin", {"name": "A gateway", "scope": "ingest"}),
        "park_points_key": (
            "admin",
            {"name": "park gateway", "scope": "ingest", "points": ["E01-grid", w.park["point"]]},
        ),
    }
    for name, (creator, body) in bodies.items():
        r = w.client.post("/api/v1/keys", headers=w.h(creator), json=body)
        assert r.status_code == 201, r.text
        w.headers[name] = {"X-API-Key": r.json()["key"]}


def certificate_csv(cert_ids: list[str], project: str = "屋顶光伏（合成）") -> bytes:
    """A certificate file (docs/certificates.md) of certificates produced in January 2025."""
    rows = "".join(f"{c},{project},2025-01,true\n" for c in cert_ids)
    return f"cert_id,project,production_month,tradable\n{rows}".encode()


def wait_job(w: World, job_id: str, user: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll a job until it is done (fails the test if it failed or timed out)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = w.client.get(f"/api/v1/jobs/{job_id}", headers=w.h(user)).json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            return dict(job)
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running after {timeout_s} s")


@dataclass
class _Snapshot:
    """A built world kept as a database to copy: a SQLite file or a PostgreSQL template
    database, with what the world knew of it."""

    kind: str
    source: str
    enterprises: dict[str, int]
    users: dict[str, int]
    key_headers: dict[str, dict[str, str]]
    b: dict[str, Any]
    b_markers: list[str]
    park: dict[str, Any]


#: one snapshot per database kind and test process (pytest-xdist worker)
_SNAPSHOTS: dict[str, _Snapshot] = {}


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(sql)  # type: ignore[arg-type]


#: the PostgreSQL databases this process made (the snapshots and their copies), dropped when it
#: exits: a DROP DATABASE makes the server run a checkpoint (PostgreSQL 15: CHECKPOINT_WAIT),
#: which writes out and fsyncs whatever every session dirtied since the last one. Alone that is
#: a tenth of a second; with the other worker's tests writing it held a module's teardown for
#: 14-33 s. Dropped together at the end (tests/conftest.py's pytest_sessionfinish; at exit
#: when no pytest session runs), the first drop pays that and the others little.
_DATABASES: list[str] = []


def _drop_databases() -> None:
    if not _DATABASES:
        return
    import psycopg

    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as c:
        while _DATABASES:
            c.execute(f"DROP DATABASE IF EXISTS {_DATABASES.pop()} WITH (FORCE)")  # type: ignore[arg-type]


atexit.register(_drop_databases)


def _pg_database_url(name: str) -> str:
    return f"{PG_URL.split('?')[0].rsplit('/', 1)[0]}/{name}?options={PG_SESSION}"


def _snapshot(kind: str) -> _Snapshot:
    """The world of ``kind``, built once per process: the demo load, the users and B's
    resources cost seconds, a copy of the database a fraction of that."""
    if kind in _SNAPSHOTS:
        return _SNAPSHOTS[kind]
    if kind == "sqlite":
        directory = tempfile.mkdtemp(prefix="lingtan-world-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        source = str(Path(directory) / "world.db")
        url = f"sqlite:///{source}"
    else:
        need_service("PostgreSQL", "127.0.0.1", 5432)
        source = f"lt_world_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        _pg_admin(f"CREATE DATABASE {source}")
        _DATABASES.insert(0, source)  # after its copies (the list is dropped from its end)
        url = _pg_database_url(source)
    store = open_store(url)
    try:
        with build_world(store, queued_job=False) as w:
            snap = _Snapshot(
                kind=kind,
                source=source,
                enterprises=w.enterprises,
                users=w.users,
                key_headers={k: v for k, v in w.headers.items() if k not in USERS},
                b=w.b,
                b_markers=w.b_markers,
                park=w.park,
            )
    finally:
        store.close()  # no connection may stay open on a template database
    _SNAPSHOTS[kind] = snap
    return snap


@contextmanager
def _copy_of(snap: _Snapshot, tmp_dir: str) -> Iterator[Store]:
    """A store on a fresh copy of the snapshot's database, removed afterwards (a PostgreSQL
    copy when the process exits: ``_DATABASES``)."""
    if snap.kind == "sqlite":
        target = Path(tmp_dir) / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(snap.source, target)
        store = open_store(f"sqlite:///{target}")
        try:
            yield store
        finally:
            store.close()
        return
    name = f"lt_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {snap.source}")
    _DATABASES.append(name)
    store = open_store(_pg_database_url(name))
    try:
        yield store
    finally:
        store.close()  # its connections closed: nothing of the copy stays in use


def _signed_in(store: Store, settings: Settings, username: str) -> dict[str, str]:
    """Bearer headers of ``username`` as a login would issue them, without its argon2 check
    (eight of those per world cost a second; the login itself is tested over HTTP)."""
    with store.begin() as conn:
        user = IdentityRepo(store).user_by_username(conn, username)
    assert user is not None, username
    token = tokens.issue_access_token(
        secret=settings.secret_key,
        user_id=user.id,
        username=user.username,
        role=user.role,
        version=user.token_version,
        now_s=int(time.time()),
        ttl_s=settings.access_token_minutes * 60,
    )
    return {"Authorization": f"Bearer {token}"}


def _served_copy(snap: _Snapshot, store: Store) -> Iterator[World]:
    settings = Settings(environment="test", database_url=store.url)
    app = create_app(settings, store=store)
    app.state.dispatch_publisher = RecordingPublisher()
    with TestClient(app) as client:
        headers = {name: _signed_in(store, settings, name) for name in USERS}
        headers.update(copy.deepcopy(snap.key_headers))
        world = World(
            store,
            client,
            settings,
            dict(snap.enterprises),
            dict(snap.users),
            headers,
            b=copy.deepcopy(snap.b),
            b_markers=list(snap.b_markers),
            park=dict(snap.park),
        )
        _b_queued_job(world)
        yield world


def fresh_world(kind: str, tmp_dir: str, **kw: Any) -> Iterator[World]:
    """A world on a fresh store (generator for fixtures). The default world is a copy of one
    built once per process; other sizes (``months``, ``enterprises``) are built anew."""
    if kw:
        with store_for(kind, tmp_dir) as store, build_world(store, **kw) as world:
            yield world
        return
    snap = _snapshot(kind)
    with _copy_of(snap, tmp_dir) as store:
        yield from _served_copy(snap, store)


__all__ = ["PASSWORD", "USERS", "World", "build_world", "fresh_world", "login", "store_for"]
