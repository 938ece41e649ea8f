"""Region mode: the upload document (build, key, hash), queueing and corrections, the region's
ingress (signature, idempotency, completeness, restatement with history, lateness) and its
scope (a park's user sees only its park)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest

from lingtan.config import Settings
from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.exchange import gm
from lingtan.identity import service as identity
from lingtan.identity.errors import NotAuthenticated
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.region import build, service
from lingtan.region import document as d
from lingtan.store import Store, open_store
from lingtan.store.query_repo import Tenant
from lingtan.store.region_repo import RegionRepo
from tests.region.conftest import SECRET, TZ, load_park, region_channel, signed

URL = "http://127.0.0.1:9/api/v1/region/uploads"
SETTINGS = Settings(environment="test", mode="region", region_deadline_days=15)
#: 2025-02-10T00:00:00Z [s]: before the 15-day deadline of January (2025-02-15T16:00Z)
ON_TIME_S = 1_739_145_600
#: 2025-03-01T00:00:00Z [s]: after it
LATE_S = 1_740_787_200
S = 1_000_000


def _queue(store: Store, channel_id: int, year: int, month: int) -> build.Queued:
    return build.queue(
        store, tenant=Tenant.park_wide(), channel_id=channel_id, year=year, month=month
    )


def _payload(store: Store, key: str, channel_id: int) -> bytes:
    row = store.outbox.by_key(f"{key}-ch{channel_id}")
    assert row is not None
    return row.payload.encode()


def _send(region: Store, body: bytes, park: str = "P1", *, at_s: int = ON_TIME_S) -> dict:
    key = json.loads(body)["idempotency_key"]
    return service.receive(
        region,
        SETTINGS,
        body=body,
        headers=signed(body, park, now_s=at_s, nonce=key),
        now=at_s * S,
    )


def test_document_of_a_month(park_store: Store) -> None:
    channel = region_channel(park_store, URL)
    doc = build.build(park_store, channel=channel, year=2025, month=1)
    assert doc["schema"] == "lingtan-region/1"
    assert doc["idempotency_key"] == "region-P1-month-202501-r1"
    # January in Asia/Shanghai: 31 × 24 = 744 hours from 2025-01-01T00:00+08:00
    assert doc["period"] == {
        "year": 2025, "month": 1, "hours": 744,
        "start": "2025-01-01T00:00:00+08:00", "end": "2025-02-01T00:00:00+08:00",
    }  # fmt: skip
    content = doc["content"]
    # the hash is SHA-256 of the content's JSON with sorted keys and no spaces
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert doc["content_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    series = {(s["carrier"], s["enterprise"], s["building"]): s for s in content["hourly"]}
    # the sub-meter A-sub is not a series of its own (its parent A-grid counts it)
    assert set(series) == {
        ("electricity_grid_import", "E01", "B1"),
        ("electricity_grid_import", "E02", None),
    }
    a = series[("electricity_grid_import", "E01", "B1")]["values"]
    # readings 01:00 on the 1st … 00:00 on the 3rd: the first 48 hours, 10 kWh each
    assert len(a) == 744 and a[:48] == [10.0] * 48 and a[48:] == [None] * 696
    monthly = {(m["carrier"], m["enterprise"]): m for m in content["monthly"]}
    assert monthly[("electricity_grid_import", "E01")]["value"] == pytest.approx(480.0)  # 48 × 10
    assert monthly[("electricity_grid_import", "E02")]["value"] == pytest.approx(240.0)  # 48 × 5
    assert monthly[("electricity_grid_import", "E01")]["completeness"] == pytest.approx(48 / 744)
    # 48 + 48 values in 2 series; 2 monthly rows; 1 + 5 indicators; no alarms
    assert doc["declared"] == {
        "hourly_series": 2, "hourly_values": 96, "monthly": 2, "indicators": 6, "alarms": 0,
    }  # fmt: skip
    assert content["accounting"]["factor_ids"], "the factor ids of the inventory"
    assert content["accounting"]["total_tco2"] > 0
    ids = [i["id"] for i in content["indicators"]]
    assert ids[0] == "carbon_per_energy" and len(ids) == 6
    assert all("evidence" in i for i in content["indicators"])
    # raw readings never leave the park: no reading timestamps or point codes in the document
    assert "A-grid" not in json.dumps(doc) and "A-sub" not in json.dumps(doc)


def test_queue_is_idempotent_and_a_correction_is_a_new_revision(park_store: Store) -> None:
    channel = region_channel(park_store, URL)
    first = _queue(park_store, channel.id, 2025, 1)
    again = _queue(park_store, channel.id, 2025, 1)
    assert first.new and not again.new
    assert (again.revision, again.idempotency_key) == (1, "region-P1-month-202501-r1")
    # a late reading of the 3rd of January changes the month: revision 2
    late = Reading("A-grid", dt.datetime(2025, 1, 3, 1, tzinfo=TZ), 7.0, source="test")
    assert ingest(park_store, [late], source="test").rejected == 0
    normalise_pending(park_store)
    fixed = _queue(park_store, channel.id, 2025, 1)
    assert (fixed.new, fixed.revision) == (True, 2)
    assert fixed.idempotency_key == "region-P1-month-202501-r2"
    assert fixed.content_sha256 != first.content_sha256
    body = json.loads(_payload(park_store, fixed.idempotency_key, channel.id))
    a = next(s for s in body["content"]["hourly"] if s["enterprise"] == "E01")["values"]
    assert a[48] == 7.0  # hour 48 = 00:00–01:00 on the 3rd
    # both revisions are in the outbox, in order
    rows, _ = park_store.outbox.deliveries(tenant=Tenant.park_wide())
    assert sorted(r.idempotency_key for r in rows) == [
        f"region-P1-month-202501-r1-ch{channel.id}",
        f"region-P1-month-202501-r2-ch{channel.id}",
    ]


def test_queue_refuses_other_channels_and_enterprise_callers(park_store: Store) -> None:
    channel = region_channel(park_store, URL)
    with pytest.raises(PermissionDenied, match="park-wide"):
        build.queue(
            park_store, tenant=Tenant.of_enterprise(1), channel_id=channel.id, year=2025, month=1
        )
    with pytest.raises(InvalidInput, match="month"):
        _queue(park_store, channel.id, 2025, 13)


def test_ingress_signature(park_store: Store, region_store: Store) -> None:
    channel = region_channel(park_store, URL)
    q = _queue(park_store, channel.id, 2025, 1)
    body = _payload(park_store, q.idempotency_key, channel.id)
    hdrs = signed(body, "P1", now_s=ON_TIME_S, nonce=q.idempotency_key)
    with pytest.raises(NotAuthenticated):
        service.receive(region_store, SETTINGS, body=body, headers={}, now=ON_TIME_S * S)
    with pytest.raises(PermissionDenied, match="unknown park"):
        service.receive(region_store, SETTINGS, body=body, headers={**hdrs, "x-ecm-unit": "P9"},
                        now=ON_TIME_S * S)  # fmt: skip
    wrong = signed(body, "P1", secret="another-secret-0123456789", now_s=ON_TIME_S, nonce="n")
    with pytest.raises(PermissionDenied, match="signature"):
        service.receive(region_store, SETTINGS, body=body, headers=wrong, now=ON_TIME_S * S)
    tampered = body.replace(b'"revision":1', b'"revision":2')
    with pytest.raises(PermissionDenied, match="signature"):
        service.receive(region_store, SETTINGS, body=tampered, headers=hdrs, now=ON_TIME_S * S)
    # P2's key signs P1's document: refused (the document is another park's)
    as_p2 = signed(body, "P2", now_s=ON_TIME_S, nonce=q.idempotency_key)
    with pytest.raises(PermissionDenied, match="another park"):
        service.receive(region_store, SETTINGS, body=body, headers=as_p2, now=ON_TIME_S * S)
    # a signature older than the tolerance (300 s) is a replay
    with pytest.raises(PermissionDenied):
        service.receive(region_store, SETTINGS, body=body, headers=hdrs, now=(ON_TIME_S + 301) * S)
    assert RegionRepo(region_store).uploads(parks=None) == []


def test_ingress_sm2(park_store: Store, region_store: Store) -> None:
    private = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
    service.register_park(
        region_store, principal=SYSTEM, code="P3", name="园区P3",
        public_key=gm.sm2_public_key(private),
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="never its private key"):
        service.register_park(
            region_store, principal=SYSTEM, code="P4", name="x", secret=f"sm2:{private}"
        )
    channel = region_channel(park_store, URL, secret=f"sm2:{private}")
    # the park's code is P1: its document is re-made as P3's below
    doc = build.build(park_store, channel=channel, year=2025, month=1)
    doc = d.document(park={**doc["park"], "code": "P3"}, kind="month", year=2025, month=1,
                     revision=1, content=doc["content"])  # fmt: skip
    body = d.canonical(doc).encode()
    hdrs = signed(body, "P3", secret=f"sm2:{private}", now_s=ON_TIME_S, nonce="k")
    got = service.receive(region_store, SETTINGS, body=body, headers=hdrs, now=ON_TIME_S * S)
    assert got["code"] == 0 and got["revision"] == 1
    # an HMAC signature for an SM2 park does not verify
    forged = signed(body, "P3", secret="x" * 20, now_s=ON_TIME_S, nonce="k")
    with pytest.raises(PermissionDenied):
        service.receive(region_store, SETTINGS, body=body, headers=forged, now=ON_TIME_S * S)


def test_replay_returns_the_original_receipt(park_store: Store, region_store: Store) -> None:
    channel = region_channel(park_store, URL)
    q = _queue(park_store, channel.id, 2025, 1)
    body = _payload(park_store, q.idempotency_key, channel.id)
    first = _send(region_store, body)
    again = _send(region_store, body, at_s=ON_TIME_S + 60)
    assert first["duplicate"] is False and again["duplicate"] is True
    assert {k: v for k, v in again.items() if k != "duplicate"} == {
        k: v for k, v in first.items() if k != "duplicate"
    }
    assert len(RegionRepo(region_store).uploads(parks=None)) == 1
    # the same revision with other content is refused: a correction is a new revision
    doc = json.loads(body)
    doc["content"]["alarms"] = [{"id": 1}]
    doc["content_sha256"] = d.content_hash(doc["content"])
    doc["declared"] = d.declared(doc["content"])
    with pytest.raises(Conflict, match="new revision"):
        _send(region_store, d.canonical(doc).encode())


def test_completeness_of_a_document() -> None:
    # a hand-made February 2025 (28 × 24 = 672 hours): electricity in two series covering
    # hours 0–1 and 1–2 (3 distinct hours → 669 missing), water hour 0 only (671 missing);
    # the declared values count says 5 but 4 are sent; the water series has no monthly row
    content = {
        "hourly": [
            {"carrier": "electricity_grid_import", "enterprise": "E01", "unit": "kWh",
             "values": [1.0, 2.0]},
            {"carrier": "electricity_grid_import", "enterprise": "E02", "unit": "kWh",
             "values": [None, 3.0, 4.0]},
            {"carrier": "water", "enterprise": "E01", "unit": "m3", "values": [1.0]},
        ],
        "monthly": [
            {"carrier": "electricity_grid_import", "enterprise": "E01", "unit": "kWh", "value": 3.0},
            {"carrier": "electricity_grid_import", "enterprise": "E02", "unit": "kWh", "value": 7.0},
        ],
    }  # fmt: skip
    doc = d.document(park={"code": "P1", "name": "x", "timezone": "Asia/Shanghai"},
                     kind="month", year=2025, month=2, revision=1, content=content)  # fmt: skip
    doc["declared"]["hourly_values"] = 6
    parsed = d.parse(d.canonical(doc).encode())
    check = d.completeness(parsed)
    assert check["hours"] == 672
    assert check["missing_hours"] == {"electricity_grid_import": 669, "water": 671}
    assert check["received"]["hourly_values"] == 5  # 2 + 2 + 1
    rules = sorted(f["rule"] for f in check["findings"])
    assert rules == ["count", "hours", "hours", "monthly"]
    assert check["complete"] is False


def test_parse_names_the_wrong_field() -> None:
    doc = d.document(park={"code": "P1", "name": "x", "timezone": "Asia/Shanghai"},
                     kind="month", year=2025, month=1, revision=1, content={"hourly": []})  # fmt: skip
    for change, field in (
        ({"schema": "x/0"}, "schema"),
        ({"idempotency_key": "region-P1-month-202501-r9"}, "idempotency_key"),
        ({"content_sha256": "0" * 64}, "content_sha256"),
        ({"revision": 0}, "revision"),
    ):
        with pytest.raises(InvalidInput) as err:
            d.parse(d.canonical({**doc, **change}).encode())
        assert err.value.field == field
    bad = {**doc, "content": {"hourly": [{"carrier": "x", "unit": "kWh", "values": ["a"]}]}}
    bad["content_sha256"] = d.content_hash(bad["content"])
    with pytest.raises(InvalidInput) as err:
        d.parse(d.canonical(bad).encode())
    assert err.value.field == "content.hourly[0].values[0]"
    with pytest.raises(InvalidInput, match="JSON"):
        d.parse(b"\xff")
    twice = {"carrier": "x", "enterprise": "E01", "unit": "kWh", "values": [1.0]}
    dup = {**doc, "content": {"hourly": [twice, dict(twice)]}}
    dup["content_sha256"] = d.content_hash(dup["content"])
    with pytest.raises(InvalidInput) as err:
        d.parse(d.canonical(dup).encode())
    assert err.value.field == "content.hourly[1]"


def test_restatement_keeps_history(park_store: Store, region_store: Store) -> None:
    channel = region_channel(park_store, URL)
    r1 = _queue(park_store, channel.id, 2025, 1)
    body1 = _payload(park_store, r1.idempotency_key, channel.id)
    got1 = _send(region_store, body1)
    assert got1["restated"] is False and got1["late"] is False and got1["complete"] is False
    extra = Reading("A-grid", dt.datetime(2025, 1, 3, 1, tzinfo=TZ), 7.0, source="test")
    ingest(park_store, [extra], source="test")
    normalise_pending(park_store)
    r2 = _queue(park_store, channel.id, 2025, 1)
    got2 = _send(region_store, _payload(park_store, r2.idempotency_key, channel.id), at_s=LATE_S)
    assert got2["restated"] is True and got2["late"] is True and got2["revision"] == 2
    repo = RegionRepo(region_store)
    ups = repo.uploads(parks=None)
    assert [(u.revision, u.current, u.superseded_by) for u in ups] == [
        (2, True, None), (1, False, got2["upload_id"])
    ]  # fmt: skip
    park = repo.park_by_code("P1")
    h0, h1 = d.month_span(2025, 1, "Asia/Shanghai")
    rows = repo.hourly(park_id=park.id, h0=h0, h1=h1)
    a = [r for r in rows if r[1] == "E01" and r[5] is not None]
    # the region's figures are revision 2's: 48 hours of 10 kWh and hour 48 with 7 kWh
    assert len(a) == 49 and a[48][4] == h0 + 48 and a[48][5] == 7.0
    assert all(r[0:4] == ("electricity_grid_import", "E01", "B1", "kWh") for r in a)
    # revision 1 arriving again (a retry) changes nothing: the original receipt
    assert _send(region_store, body1, at_s=LATE_S)["duplicate"] is True
    assert len(repo.uploads(parks=None)) == 2
    # the late list names revision 2 only
    assert [u["revision"] for u in service.uploads(region_store, principal=SYSTEM, late=True)] == [
        2
    ]


def test_an_older_revision_arriving_after_a_newer_one_is_history(
    park_store: Store, region_store: Store
) -> None:
    channel = region_channel(park_store, URL)
    body1 = _payload(
        park_store, _queue(park_store, channel.id, 2025, 1).idempotency_key, channel.id
    )
    ingest(
        park_store,
        [Reading("B-grid", dt.datetime(2025, 1, 3, 1, tzinfo=TZ), 1.0, source="t")],
        source="t",
    )
    normalise_pending(park_store)
    body2 = _payload(
        park_store, _queue(park_store, channel.id, 2025, 1).idempotency_key, channel.id
    )
    _send(region_store, body2)
    got = _send(region_store, body1)
    assert got["restated"] is False
    ups = {u.revision: u for u in RegionRepo(region_store).uploads(parks=None)}
    assert ups[2].current and not ups[1].current and ups[1].superseded_by == ups[2].id


def _member(store: Store, name: str, role: str, park: str | None) -> Principal:
    info = identity.create_user(store, actor=SYSTEM, username=name, password="x" * 16, role=role)
    if park is not None:
        service.bind_member(store, principal=SYSTEM, username=name, park_code=park)
    return Principal(subject=name, role=Role(role), enterprise_id=None, user_id=info.id)


def test_scope_a_park_user_sees_only_its_park(
    tmp_path: Path, park_store: Store, region_store: Store
) -> None:
    channel = region_channel(park_store, URL)
    _send(
        region_store,
        _payload(park_store, _queue(park_store, channel.id, 2025, 1).idempotency_key, channel.id),
    )
    p2 = open_store(f"sqlite:///{tmp_path / 'p2.db'}")
    load_park(p2, "P2", [(2025, 1)], a_kwh=20.0)
    ch2 = region_channel(p2, URL)
    q2 = _queue(p2, ch2.id, 2025, 1)
    _send(region_store, _payload(p2, q2.idempotency_key, ch2.id), park="P2")
    p2.close()
    admin = _member(region_store, "region_admin", "park_admin", None)
    viewer = _member(region_store, "region_viewer", "park_viewer", None)
    p1_user = _member(region_store, "p1_user", "park_viewer", "P1")
    for who in (admin, viewer):
        assert [p["code"] for p in service.parks(region_store, principal=who)] == ["P1", "P2"]
        assert {r["park"] for r in service.uploads(region_store, principal=who)} == {"P1", "P2"}
    assert [p["code"] for p in service.parks(region_store, principal=p1_user)] == ["P1"]
    assert {r["park"] for r in service.uploads(region_store, principal=p1_user)} == {"P1"}
    board = service.dashboard(region_store, principal=p1_user)
    assert [p["code"] for p in board["parks"]] == ["P1"]
    assert all(r["code"] == "P1" for rows in board["ranking"].values() for r in rows)
    with pytest.raises(NotFound):
        service.hourly(region_store, principal=p1_user, park_code="P2", h0=0, h1=10**7)
    p2_id = RegionRepo(region_store).park_by_code("P2").id
    p2_upload = next(u for u in RegionRepo(region_store).uploads(parks=None) if u.park_id == p2_id)
    with pytest.raises(NotFound):
        RegionRepo(region_store).document(
            p2_upload.id, parks=service.scope_of(region_store, p1_user)
        )
    # a park user may not register parks, nor a viewer
    for who in (p1_user, viewer):
        with pytest.raises(PermissionDenied):
            service.register_park(region_store, principal=who, code="P9", name="x", secret=SECRET)
    # registrations and bindings are audited, never with the key
    from sqlalchemy import select

    from lingtan.store import schema

    with region_store.begin() as conn:
        audit = conn.execute(
            select(schema.audit_log.c.entity, schema.audit_log.c.after).where(
                schema.audit_log.c.entity.in_(["region_park", "region_member"])
            )
        ).all()
    assert sorted(e for e, _ in audit) == ["region_member", "region_park", "region_park"]
    assert all(SECRET not in str(after) for _, after in audit)
    # an enterprise-bound user of the region instance sees no park
    ent = Principal(subject="e", role=Role.ENTERPRISE_VIEWER, enterprise_id=1)
    assert service.parks(region_store, principal=ent) == []


def test_dashboard_ranks_and_measures_progress(
    tmp_path: Path, park_store: Store, region_store: Store
) -> None:
    channel = region_channel(park_store, URL)
    for month in (1, 2):
        q = _queue(park_store, channel.id, 2025, month)
        _send(region_store, _payload(park_store, q.idempotency_key, channel.id), at_s=LATE_S)
    board = service.dashboard(region_store, principal=SYSTEM)
    p1 = next(p for p in board["parks"] if p["code"] == "P1")
    p2 = next(p for p in board["parks"] if p["code"] == "P2")
    assert p1["latest"] == "2025-02" and p1["periods"] == 2 and p1["missing_months"] == []
    # January is late (received 2025-03-01, due 2025-02-15T16:00Z); February is not (due
    # 2025-03-15T16:00Z)
    assert p1["late"] == 1
    # 2 days of 28 and of 31: (744 − 48) + (672 − 48) = 1320 hours missing
    assert p1["missing_hours"] == 1320
    assert p2["latest"] is None and p2["indicators"] == {}
    core = p1["indicators"]["carbon_per_energy"]
    assert core["target"] == 6.0
    assert core["met"] == (core["value"] <= 6.0)  # at most: 单位能耗碳排放 (910号)
    assert [r["code"] for r in board["ranking"]["carbon_per_energy"]] == ["P1"]
    assert board["indicators"][0]["id"] == "carbon_per_energy"


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lingtan.cli import app

    runner = CliRunner()
    park_url = f"sqlite:///{tmp_path / 'p.db'}"
    store = open_store(park_url)
    load_park(store, "P1", [(2025, 1)])
    store.close()
    monkeypatch.setenv("LINGTAN_DATABASE_URL", park_url)
    monkeypatch.setenv("LINGTAN_ENVIRONMENT", "test")
    r = runner.invoke(app, ["region", "channel", "add", "--url", URL, "--secret", SECRET])
    assert r.exit_code == 0, r.output
    out = tmp_path / "jan.json"
    r = runner.invoke(app, ["region", "upload", "build", "--year", "2025", "--month", "1",
                            "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "region-P1-month-202501-r1" in r.output
    assert json.loads(out.read_text())["idempotency_key"] == "region-P1-month-202501-r1"
    r = runner.invoke(app, ["region", "upload", "build", "--year", "2025", "--month", "1"])
    assert "already queued" in r.output
    region_url = f"sqlite:///{tmp_path / 'r.db'}"
    open_store(region_url).close()
    monkeypatch.setenv("LINGTAN_DATABASE_URL", region_url)
    r = runner.invoke(app, ["region", "park", "add", "P1", "--name", "园区P1", "--secret",
                            SECRET, "--target", "carbon_per_energy=0.3"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["region", "park", "add", "P2", "--name", "x", "--secret", SECRET,
                            "--target", "carbon_per_energy"])  # fmt: skip
    assert r.exit_code != 0 and "indicator=value" in r.output
    region = open_store(region_url)
    body = out.read_bytes()
    _send(region, body)
    region.close()
    r = runner.invoke(app, ["region", "status"])
    assert r.exit_code == 0 and "P1" in r.output and "latest 2025-01" in r.output, r.output


def test_api_and_page(park_store: Store, region_store: Store) -> None:
    """The ingress over HTTP (401 unsigned, 403 unknown park or bad signature, 200 and the
    original receipt on a replay), the views by role, and the dashboard page."""
    from fastapi.testclient import TestClient

    from lingtan.api import create_app
    from tests.api.world import login

    channel = region_channel(park_store, URL)
    q = _queue(park_store, channel.id, 2025, 1)
    body = _payload(park_store, q.idempotency_key, channel.id)
    _member(region_store, "region_admin", "park_admin", None)
    _member(region_store, "p2_user", "park_viewer", "P2")
    settings = Settings(environment="test", mode="region", database_url=region_store.url)
    app = create_app(settings, store=region_store, background=False)
    with TestClient(app) as client:
        path = "/api/v1/region/uploads"
        now_s = int(dt.datetime.now(dt.UTC).timestamp())
        hdrs = signed(body, "P1", now_s=now_s, nonce=q.idempotency_key)
        assert client.post(path, content=body).status_code == 401
        assert (
            client.post(path, content=body, headers={**hdrs, "x-ecm-unit": "P9"}).status_code == 403
        )
        bad = signed(body, "P1", secret="wrong-secret-0123456789", now_s=now_s, nonce="n")
        assert client.post(path, content=body, headers=bad).status_code == 403
        first = client.post(path, content=body, headers=hdrs)
        assert first.status_code == 200, first.text
        again = client.post(path, content=body, headers=hdrs)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert again.json()["receipt"] == first.json()["receipt"]
        admin, p2_user = login(client, "region_admin", "x" * 16), login(client, "p2_user", "x" * 16)
        assert client.get("/api/v1/region/dashboard").status_code == 401
        got = client.get("/api/v1/region/uploads", headers=admin).json()
        assert [u["park"] for u in got] == ["P1"]
        assert client.get("/api/v1/region/uploads", headers=p2_user).json() == []
        uid = got[0]["id"]
        doc = client.get(f"/api/v1/region/uploads/{uid}/document", headers=admin)
        assert doc.status_code == 200 and doc.content == body
        assert (
            client.get(f"/api/v1/region/uploads/{uid}/document", headers=p2_user).status_code == 404
        )
        h0, h1 = d.month_span(2025, 1, "Asia/Shanghai")
        hourly = client.get(f"/api/v1/region/parks/P1/hourly?start={h0}&end={h1}", headers=admin)
        # two series with values in the first two days of January (48 hours each); the hours
        # without a value are not stored (the kept document and its completeness say so)
        assert len(hourly.json()) == 2 * 48
        assert client.get(f"/api/v1/region/parks/P1/hourly?start={h0}&end={h1}",
                          headers=p2_user).status_code == 404  # fmt: skip
        made = client.post("/api/v1/region/parks", headers=p2_user,
                           json={"code": "P9", "name": "x", "secret": SECRET})  # fmt: skip
        assert made.status_code == 403
        client.cookies.clear()
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        r = client.post("/login", data={"username": "region_admin", "password": "x" * 16,
                                         "csrf": token.group(1), "next": "/region"})  # fmt: skip
        assert r.status_code in (200, 303), r.text
        page = client.get("/region")
        assert page.status_code == 200 and "单位能耗碳排放" in page.text and "P1" in page.text
        # zh-CN throughout, but what the users typed (park codes and names, usernames)
        from tests.web.test_zh_wording import problems, visible

        typed = frozenset({"P1", "P2", "园区P1", "园区P2", "region_admin"})
        assert not [p for text in visible(page.text) for p in problems(text, typed)]
    # on a park instance the region endpoints do not exist
    park_app = create_app(Settings(environment="test", database_url=park_store.url),
                          store=park_store, background=False)  # fmt: skip
    with TestClient(park_app) as client:
        assert client.post("/api/v1/region/uploads", content=body, headers=hdrs).status_code == 404


def test_receive_and_restate_on_both_engines(park_store: Store, store: Store) -> None:
    """The ingress's transaction (the advisory lock on PostgreSQL, SQLite's write lock) and
    its supersession on each engine."""
    service.register_park(store, principal=SYSTEM, code="P1", name="园区P1", secret=SECRET)
    channel = region_channel(park_store, URL)
    b1 = _payload(park_store, _queue(park_store, channel.id, 2025, 2).idempotency_key, channel.id)
    extra = Reading("B-grid", dt.datetime(2025, 2, 3, 1, tzinfo=TZ), 2.0, source="test")
    ingest(park_store, [extra], source="test")
    normalise_pending(park_store)
    b2 = _payload(park_store, _queue(park_store, channel.id, 2025, 2).idempotency_key, channel.id)
    first, second = _send(store, b1), _send(store, b2)
    assert _send(store, b2)["duplicate"] is True
    ups = {u.revision: u for u in RegionRepo(store).uploads(parks=None)}
    assert set(ups) == {1, 2} and ups[1].superseded_by == second["upload_id"]
    assert ups[2].current and first["upload_id"] == ups[1].id
    # revision 2 of February: the first two days of both series (2 × 48 hours) and E02's
    # reading of hour 48 (3 February 00:00–01:00); hours without a value are not stored
    park = RegionRepo(store).park_by_code("P1")
    h0, h1 = d.month_span(2025, 2, "Asia/Shanghai")
    rows = RegionRepo(store).hourly(park_id=park.id, h0=h0, h1=h1)
    assert len(rows) == 2 * 48 + 1
    b = [r for r in rows if r[1] == "E02"]
    assert b[48][5] == 2.0 and b[48][4] == h0 + 48 and b[47][5] == 5.0 and len(b) == 49
