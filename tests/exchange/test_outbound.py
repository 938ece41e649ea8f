"""Uploads and event webhooks through the one outbox: built from the store, checked, signed,
delivered to a platform on loopback, retried while it is down, never given up, acknowledged;
an enterprise sees its own uploads only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.accounting import account_park
from lingtan.alarms.notify.model import channel_spec, verify
from lingtan.alarms.notify.service import deliver_due, enqueue
from lingtan.cli import app
from lingtan.config import Settings
from lingtan.errors import InvalidInput, NotFound
from lingtan.exchange import ecm, transport
from lingtan.exchange.events import publish
from lingtan.exchange.upload import build_dataset, queue_upload
from lingtan.indicators.output_meters import METERED
from lingtan.indicators.records import add_record
from lingtan.store import Store
from lingtan.store.query_repo import Tenant
from tests.exchange.conftest import T0, Receiver, S

SECRET = "ecm-secret-0123456789"


def _ids(store: Store) -> dict[str, int]:
    return {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}


def _channel(store: Store, url: str, *, kind: str = "ecm", code: str = "prov", **kw: object) -> int:
    spec = channel_spec(code=code, name=code, kind=kind, target=url, **kw)  # type: ignore[arg-type]
    with store.begin() as conn:
        ch = store.outbox.create_channel(
            conn,
            park_id=store.registry.park().id,
            spec=spec,
            secret=SECRET,
            created_by="test",
            now=T0,
        )
    return ch.id


def _settings(**kw: object) -> Settings:
    base: dict[str, object] = {"environment": "test", "notify_timeout_s": 2.0}
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def test_month_of_items_comes_from_the_daily_and_monthly_statistics(park: Store) -> None:
    ds = build_dataset(park, enterprise_id=_ids(park)["E01"], year=2025, month=1)
    # by hand: A-grid 10 kWh × 24 h = 240 kWh a day, × 31 days = 7 440 kWh in January;
    # A-sub (a sub-meter) and A-water (not energy) are not uploaded
    days = [i for i in ds.items if i.granularity == "day"]
    months = [i for i in ds.items if i.granularity == "month"]
    assert {i.carrier for i in ds.items} == {"electricity_grid_import"}
    assert len(days) == 31 and all(i.value == pytest.approx(240.0) for i in days)
    assert days[0].start == "2025-01-01T00:00:00+08:00"
    assert [(m.value, m.unit) for m in months] == [(pytest.approx(7440.0), "kWh")]
    assert all(i.completeness == pytest.approx(1.0) for i in ds.items)


def test_incomplete_month_is_refused_and_nothing_is_queued(park: Store, receiver: Receiver) -> None:
    ch = _channel(park, receiver.url)
    res = queue_upload(
        park,
        tenant=Tenant.park_wide(),
        channel_id=ch,
        enterprise_id=_ids(park)["E02"],
        year=2025,
        month=1,
    )
    assert not res.queued and res.delivery_id is None
    # E02 has no 统一社会信用代码 and two hours of January (the errors); B-grid is read hourly
    # (no 15-minute items) and E02 has no production record (the warnings)
    assert {f.rule for f in res.findings if f.level == "error"} == {"unit.uscc", "completeness"}
    assert {f.rule for f in res.findings if f.level == "warning"} == {
        "quarter.unavailable",
        "production",
    }
    assert park.outbox.deliveries(tenant=Tenant.park_wide())[1] == 0


def test_upload_is_signed_retried_while_the_platform_is_down_and_acknowledged(
    park: Store, receiver: Receiver
) -> None:
    ch = _channel(park, receiver.url)
    e01 = _ids(park)["E01"]
    res = queue_upload(
        park,
        tenant=Tenant.park_wide(),
        channel_id=ch,
        enterprise_id=e01,
        year=2025,
        month=1,
        now=T0,
    )
    # sent with two warnings: A-grid is read hourly (no 15-minute items), no production record
    assert res.queued and res.new
    assert [(f.rule, f.level) for f in res.findings] == [
        ("quarter.unavailable", "warning"),
        ("production", "warning"),
    ]
    assert "A-grid (every 3600 s)" in res.findings[0].message
    again = queue_upload(
        park,
        tenant=Tenant.park_wide(),
        channel_id=ch,
        enterprise_id=e01,
        year=2025,
        month=1,
        now=T0,
    )
    assert again.delivery_id == res.delivery_id and not again.new  # same data: one message
    # down (500), then a refusal in a 200 answer, then accepted; max attempts 1 would fail an
    # alarm notification for good after the first error — an upload is never given up
    receiver.script = [(500, b"down"), (200, b'{"code":3,"message":"busy"}')]
    cfg = _settings(notify_max_attempts=1, notify_backoff_s=10)
    first = deliver_due(park, T0, settings=cfg)
    assert (first.retried, first.failed) == (1, 0)
    assert deliver_due(park, T0 + 5 * S, settings=cfg).attempted == 0  # backing off (10 s)
    second = deliver_due(park, T0 + 10 * S, settings=cfg)
    assert second.retried == 1
    row = park.outbox.by_key(res.delivery_id or "")
    assert row is not None and row.last_error is not None and "refused" in row.last_error
    # back-off doubles: 20 s after the second attempt
    assert deliver_due(park, T0 + 30 * S, settings=cfg).delivered == 1
    row = park.outbox.by_key(res.delivery_id or "")
    assert row is not None and row.state == "delivered" and row.attempts == 3
    assert json.loads(row.ack or "") == {"code": 0, "receipt": "R3"}
    got = receiver.received[-1]
    assert got.headers["x-ecm-nonce"] == res.delivery_id
    assert got.headers["x-ecm-unit"] == "914403001922038216"
    assert transport.verify(SECRET.encode(), got.body, got.headers, now_s=T0 / S + 30)
    body = json.loads(got.body)
    assert body["unit"]["uscc"] == "914403001922038216" and len(body["items"]) == 32


def test_an_enterprise_sees_its_own_uploads_only(park: Store, receiver: Receiver) -> None:
    ids = _ids(park)
    ch = _channel(park, receiver.url)
    queue_upload(
        park,
        tenant=Tenant.park_wide(),
        channel_id=ch,
        enterprise_id=ids["E01"],
        year=2025,
        month=1,
        now=T0,
    )
    assert park.outbox.deliveries(tenant=Tenant(ids["E01"]))[1] == 1
    assert park.outbox.deliveries(tenant=Tenant(ids["E02"]))[1] == 0
    # nor may it upload through the park's channel or for another enterprise
    with pytest.raises(NotFound):
        queue_upload(
            park,
            tenant=Tenant(ids["E02"]),
            channel_id=ch,
            enterprise_id=ids["E01"],
            year=2025,
            month=1,
        )


def test_report_events_reach_only_the_webhooks_that_take_them(
    park: Store, receiver: Receiver
) -> None:
    park_id = park.registry.park().id
    reports = _channel(park, receiver.url, kind="webhook", code="rep", topics=["report"])
    _channel(park, receiver.url, kind="webhook", code="alarms")  # alarms only (no topics)
    _channel(park, receiver.url, code="prov")  # an upload destination takes no events
    n = publish(
        park,
        park_id=park_id,
        enterprise_id=None,
        topic="report",
        event="report.ready",
        key="job-1",
        data={"job_id": "1"},
        now=T0,
    )
    assert n == 1
    # an alarm goes to the alarm channel only (not the report webhook, not the platform)
    queued = enqueue(
        park,
        park_id=park_id,
        enterprise_id=None,
        severity="critical",
        kind="threshold",
        event="opened",
        alarm={"id": 1},
        now=T0,
    )
    assert queued == 1
    assert deliver_due(park, T0, settings=_settings()).delivered == 2
    event = next(g for g in receiver.received if g.headers.get("x-lingtan-event") == "report.ready")
    assert verify(SECRET.encode(), event.body, event.headers, now_s=T0 / S)
    body = json.loads(event.body)
    assert (body["topic"], body["data"], body["delivery_id"]) == (
        "report",
        {"job_id": "1"},
        f"report-job-1-ch{reports}",
    )


def test_cli_refuses_an_incomplete_month_and_queues_a_complete_one(
    park: Store, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _channel(park, receiver.url, code="prov")
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'park.db'}")
    args = ["exchange", "upload", "--channel", "prov", "--year", "2025", "--month", "1"]
    bad = CliRunner().invoke(app, [*args, "--enterprise", "E02", "--check-only"])
    assert bad.exit_code == 1 and "unit.uscc" in bad.output and "completeness" in bad.output
    wrong = CliRunner().invoke(app, [*args, "--enterprise", "E01", "--granularities", "15min"])
    assert wrong.exit_code != 0 and "granularities" in wrong.output
    good = CliRunner().invoke(app, [*args, "--enterprise", "E01"])
    assert good.exit_code == 0, good.output
    assert park.outbox.deliveries(tenant=Tenant.park_wide())[1] == 1


def test_uploads_reach_the_platform_in_the_order_queued(park: Store, receiver: Receiver) -> None:
    ch = _channel(park, receiver.url)
    park_id, e01 = park.registry.park().id, _ids(park)["E01"]
    rows = [
        {
            "channel_id": ch,
            "park_id": park_id,
            "enterprise_id": e01,
            "idempotency_key": key,
            "event": "upload",
            "severity": "hint",
            "kind": "ecm",
            "payload": json.dumps({"unit": {"uscc": "914403001922038216"}, "n": n}),
            "next_attempt_at": T0,
            "created_at": T0,
        }
        for n, key in enumerate(("first", "second"))
    ]
    with park.begin() as conn:
        assert park.outbox.insert_many(conn, rows) == 2
    receiver.script = [(503, b"busy")]
    cfg = _settings(notify_backoff_s=10)
    # the first fails; the second, though due, waits behind it
    assert deliver_due(park, T0, settings=cfg).attempted == 1
    assert [json.loads(g.body)["n"] for g in receiver.received] == [0]
    assert deliver_due(park, T0 + 5 * S, settings=cfg).attempted == 0
    # back: the first, then the second
    assert deliver_due(park, T0 + 10 * S, settings=cfg).delivered == 2
    assert [json.loads(g.body)["n"] for g in receiver.received] == [0, 0, 1]


def test_a_stored_accounting_result_is_announced_to_the_webhooks_that_take_it(
    park: Store, receiver: Receiver
) -> None:
    hook = _channel(park, receiver.url, kind="webhook", code="acc", topics=["accounting"])
    result = account_park(park, year=2025, month=1, actor="test")
    assert result.record is not None
    (row,) = park.outbox.deliveries(tenant=Tenant.park_wide())[0]
    body = json.loads(row.payload)
    assert (row.channel_id, row.event, body["data"]["result_id"]) == (
        hook,
        "accounting.ready",
        result.record.id,
    )
    # an inventory computed and not stored is not announced
    account_park(park, year=2025, month=1, persist=False)
    assert park.outbox.deliveries(tenant=Tenant.park_wide())[1] == 1


# -- 15-minute items and production data (the park of conftest.load_quarter) -------------------


def _quarters(ds: ecm.Dataset) -> list[ecm.Item]:
    return [i for i in ds.items if i.granularity == "15min"]


def test_quarter_items_of_a_register_read_every_15_minutes(quarter_park: Store) -> None:
    ds = build_dataset(quarter_park, enterprise_id=_ids(quarter_park)["E01"], year=2025, month=2)
    q = _quarters(ds)
    # 28 days × 96 = 2 688 items, electricity only: H-gas is read hourly
    assert len(q) == 2688 and {i.carrier for i in q} == {"electricity_grid_import"}
    assert [(i.start, i.value, i.completeness, i.estimated) for i in q[:5]] == [
        ("2025-02-01T00:00:00+08:00", 1.0, 1.0, False),
        ("2025-02-01T00:15:00+08:00", 1.5, 1.0, False),
        ("2025-02-01T00:30:00+08:00", 2.0, 1.0, False),
        ("2025-02-01T00:45:00+08:00", 2.5, 1.0, False),
        ("2025-02-01T01:00:00+08:00", 1.0, 1.0, False),
    ]
    # Σ of 1 February's quarters: 24 h × (1.0 + 1.5 + 2.0 + 2.5) = 168 kWh = the daily item
    day1 = next(i for i in ds.items if i.granularity == "day")
    assert sum(i.value or 0.0 for i in q[:96]) == pytest.approx(168.0) == day1.value
    # 10 February (day index 9), readings 12:15–13:15 missing: the register advanced over
    # 12:00–13:30 by the six quarters' 1.0 + 1.5 + 2.0 + 2.5 + 1.0 + 1.5 = 9.5 kWh, spread by
    # time (an estimated span, 90 min > the 30 min gap threshold): 9.5 / 6 = 1.583333 each,
    # nothing measured in them; 13:30 is measured again (2.0 kWh)
    gap = q[9 * 96 + 48 : 9 * 96 + 55]
    assert gap[0].start == "2025-02-10T12:00:00+08:00"
    assert [i.value for i in gap[:6]] == [pytest.approx(9.5 / 6, abs=1e-6)] * 6
    assert all(i.estimated and i.completeness == 0.0 for i in gap[:6])
    assert (gap[6].value, gap[6].completeness, gap[6].estimated) == (2.0, 1.0, False)
    findings = ecm.check(ds)
    assert not ecm.refused(findings)
    # the hourly gas meter: no 15-minute items, a warning naming it (not an error, no zeros)
    unavailable = next(f for f in findings if f.rule == "quarter.unavailable")
    assert unavailable.level == "warning" and "H-gas (every 3600 s)" in unavailable.message
    assert unavailable.carrier == "natural_gas"
    # one warning for the day's estimated quarters (its start: the day's first quarter), and
    # one each for the daily and the monthly item holding the estimated span
    estimated = [(f.start, f.message) for f in findings if f.rule == "estimated"]
    assert [s for s, m in estimated if "15-minute" in m] == ["2025-02-10T00:00:00+08:00"]
    assert any("6 of 96 15-minute values partly estimated" in m for _, m in estimated)
    assert len(estimated) == 3
    assert not any(f.rule.startswith("quarter.c") for f in findings)


def test_a_gap_in_an_interval_meter_gives_unknown_quarters_not_zeros(quarter_park: Store) -> None:
    ds = build_dataset(quarter_park, enterprise_id=_ids(quarter_park)["E02"], year=2025, month=2)
    q = _quarters(ds)
    # 3 February (day index 2), readings of 08:15 and 08:30 missing: (08:00, 08:30] unknown
    slot = 2 * 96 + 32  # 08:00
    assert [(i.start, i.value, i.completeness) for i in q[slot - 1 : slot + 3]] == [
        ("2025-02-03T07:45:00+08:00", 1.0, 1.0),
        ("2025-02-03T08:00:00+08:00", None, 0.0),
        ("2025-02-03T08:15:00+08:00", None, 0.0),
        ("2025-02-03T08:30:00+08:00", 1.0, 1.0),
    ]
    # the daily item: 96 − 2 = 94 kWh; its 94 known quarters (97.9 % ≥ 90 %) pass completeness;
    # a day with unknown quarters is not summed against the daily value
    day3 = [i for i in ds.items if i.granularity == "day"][2]
    assert day3.value == pytest.approx(94.0)
    findings = ecm.check(ds)
    assert not any(f.rule.startswith("quarter.") for f in findings)
    body = ecm.payload(ds, findings)
    sent = [i for i in body["items"] if i["start"] == "2025-02-03T08:00:00+08:00"]
    assert [(i["granularity"], i["value"]) for i in sent] == [("15min", None)]


def test_granularities_are_a_choice_of_the_request(quarter_park: Store, receiver: Receiver) -> None:
    e01 = _ids(quarter_park)["E01"]
    ds = build_dataset(
        quarter_park, enterprise_id=e01, year=2025, month=2, granularities=["day", "month"]
    )
    assert not _quarters(ds)
    assert not any(f.rule == "quarter.unavailable" for f in ds.notes)
    with pytest.raises(InvalidInput, match="day") as err:
        build_dataset(quarter_park, enterprise_id=e01, year=2025, month=2,
                      granularities=["15min", "month"])  # fmt: skip
    assert err.value.field == "granularities"
    with pytest.raises(InvalidInput, match="hour"):
        build_dataset(quarter_park, enterprise_id=e01, year=2025, month=2,
                      granularities=["hour", "day", "month"])  # fmt: skip
    # the default carries the 15-minute items; the same data give the same message
    ch = _channel(quarter_park, receiver.url)
    args = {"tenant": Tenant.park_wide(), "channel_id": ch, "enterprise_id": e01,
            "year": 2025, "month": 2, "now": T0}  # fmt: skip
    first = queue_upload(quarter_park, **args)  # type: ignore[arg-type]
    again = queue_upload(quarter_park, **args)  # type: ignore[arg-type]
    assert first.queued and first.delivery_id == again.delivery_id and not again.new
    row = quarter_park.outbox.by_key(first.delivery_id or "")
    assert row is not None
    # electricity: 2 688 quarters + 28 days + 1 month; gas: 28 days + 1 month
    assert len(json.loads(row.payload)["items"]) == 2688 + 29 + 29


def test_production_records_of_the_month_are_sent_and_their_absence_flagged(
    quarter_park: Store,
) -> None:
    e01 = _ids(quarter_park)["E01"]

    def build() -> ecm.Dataset:
        return build_dataset(quarter_park, enterprise_id=e01, year=2025, month=2,
                             granularities=["day", "month"])  # fmt: skip

    ds = build()
    assert ds.production == ()
    assert [(f.rule, f.level) for f in ds.notes] == [("production", "warning")]
    feb = (dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    common = {"enterprise_id": e01, "category": "product_output", "entered_by": "test"}
    chip = add_record(quarter_park, item="chip", period_start=feb[0], period_end=feb[1],
                      quantity=1200.0, unit="t", source_document="2025年2月产量统计表",
                      **common)  # type: ignore[arg-type]  # fmt: skip
    board = add_record(quarter_park, item="board", period_start=feb[0], period_end=feb[1],
                       quantity=35.5, unit="t", source_document=f"{METERED} P-1 (2025-02)",
                       **common)  # type: ignore[arg-type]  # fmt: skip
    year = add_record(quarter_park, item="chip", period_start=dt.date(2025, 1, 1),
                      period_end=dt.date(2025, 12, 31), quantity=9000.0, unit="t",
                      source_document="年报", **common)  # type: ignore[arg-type]  # fmt: skip
    ds = build()
    # one entry per product of the month (by product key), the year's record not sent
    assert [(p["product"], p["quantity"], p["unit"], p["source"], p["record_id"])
            for p in ds.production] == [
        ("board", 35.5, "t", "meters", board.id),
        ("chip", 1200.0, "t", "entered", chip.id),
    ]  # fmt: skip
    assert ds.production[0]["period"] == {"start": "2025-02-01", "end": "2025-02-28"}
    (note,) = ds.notes
    assert note.rule == "production" and f"{year.id} (chip, 2025-01-01…2025-12-31)" in note.message
    assert ecm.payload(ds, ecm.check(ds))["production"] == [dict(p) for p in ds.production]


def test_the_api_body_takes_granularities_and_defaults_to_all() -> None:
    from pydantic import ValidationError

    from lingtan.api.exchange.router import UploadIn

    base = {"channel_id": 1, "enterprise_id": 1, "year": 2025, "month": 2}
    assert UploadIn.model_validate(base).granularities is None  # None: all three
    got = UploadIn.model_validate({**base, "granularities": ["day", "month"]})
    assert got.granularities == ["day", "month"]
    with pytest.raises(ValidationError, match="granularities"):
        UploadIn.model_validate({**base, "granularities": ["hour", "day", "month"]})
