"""The outbox: which channels an alarm change is queued for, idempotency, the caller's
transaction, and leases (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading

import pytest

from lingtan.alarms.notify.service import enqueue
from lingtan.errors import Conflict, InvalidInput
from lingtan.store import Store
from lingtan.store.query_repo import Tenant
from tests.alarms.notify.conftest import T0, S, add_channel, enterprise_id

ALARM = {"id": 41, "count": 1, "subject": "E01-main", "message": "负载率超限", "value": 98.5}


def _keys(store: Store) -> set[str]:
    rows, _ = store.outbox.deliveries(tenant=Tenant.park_wide())
    return {d.idempotency_key for d in rows}


def test_an_alarm_is_queued_for_the_park_and_its_enterprise_channels_that_take_it(
    loaded: Store,
) -> None:
    park = add_channel(loaded, code="park", target="https://p.example.cn/h")
    e1 = add_channel(loaded, code="e1", target="https://e1.example.cn/h", enterprise="E01")
    add_channel(loaded, code="e2", target="https://e2.example.cn/h", enterprise="E02")
    add_channel(loaded, code="crit", target="https://c.example.cn/h", min_severity="critical")
    add_channel(loaded, code="fresh", target="https://f.example.cn/h", kinds=["freshness"])
    add_channel(loaded, code="off", target="https://o.example.cn/h", enabled=False)
    e01 = enterprise_id(loaded, "E01")
    n = enqueue(
        loaded,
        park_id=loaded.registry.park().id,
        enterprise_id=e01,
        severity="major",
        kind="threshold",
        event="opened",
        alarm=ALARM,
        now=T0,
    )
    # park (every alarm) and E01's own; not E02's, not critical-only, not freshness-only, not off
    assert n == 2
    assert _keys(loaded) == {f"alarm-41-opened-1-ch{park.id}", f"alarm-41-opened-1-ch{e1.id}"}
    rows, _ = loaded.outbox.deliveries(tenant=Tenant.park_wide())
    by_channel = {d.channel_id: d for d in rows}
    # a delivery belongs to its channel's owner
    assert by_channel[park.id].enterprise_id is None
    assert by_channel[e1.id].enterprise_id == e01
    body = json.loads(by_channel[e1.id].payload)
    assert body["delivery_id"] == by_channel[e1.id].idempotency_key
    assert body["alarm"] == ALARM and body["enterprise_id"] == e01
    assert {d.state for d in rows} == {"pending"} and {d.next_attempt_at for d in rows} == {T0}


def test_the_same_change_queued_twice_is_one_delivery_and_a_new_count_is_another(
    loaded: Store,
) -> None:
    add_channel(loaded, code="park", target="https://p.example.cn/h")
    args = {
        "park_id": loaded.registry.park().id,
        "enterprise_id": None,
        "severity": "critical",
        "kind": "threshold",
        "event": "opened",
        "now": T0,
    }
    assert enqueue(loaded, alarm=ALARM, **args) == 1  # type: ignore[arg-type]
    assert enqueue(loaded, alarm=ALARM, **args) == 0  # type: ignore[arg-type]
    assert enqueue(loaded, alarm={**ALARM, "count": 2}, **args) == 1  # type: ignore[arg-type]
    assert len(_keys(loaded)) == 2


def test_enqueue_in_the_callers_transaction_rolls_back_with_it(loaded: Store) -> None:
    add_channel(loaded, code="park", target="https://p.example.cn/h")

    class Boom(Exception):
        pass

    def change_that_fails() -> None:
        with loaded.begin() as conn:
            queued = enqueue(
                loaded,
                park_id=loaded.registry.park().id,
                enterprise_id=None,
                severity="major",
                kind="threshold",
                event="opened",
                alarm=ALARM,
                conn=conn,
                now=T0,
            )
            assert queued == 1
            raise Boom  # the alarm change fails after its notification was queued

    with pytest.raises(Boom):
        change_that_fails()
    assert _keys(loaded) == set()


def test_enqueue_refuses_an_unknown_severity(loaded: Store) -> None:
    with pytest.raises(InvalidInput) as err:
        enqueue(
            loaded,
            park_id=loaded.registry.park().id,
            enterprise_id=None,
            severity="urgent",
            kind="threshold",
            event="opened",
            alarm=ALARM,
        )
    assert err.value.field == "severity"


def test_a_code_names_one_live_channel_per_owner(loaded: Store) -> None:
    add_channel(loaded, code="ops", target="https://p.example.cn/h")
    with pytest.raises(Conflict):
        add_channel(loaded, code="ops", target="https://q.example.cn/h")
    # another owner may use the code
    add_channel(loaded, code="ops", target="https://e.example.cn/h", enterprise="E01")
    with pytest.raises(Conflict):
        add_channel(loaded, code="ops", target="https://e.example.cn/h2", enterprise="E01")


def test_a_leased_row_is_not_claimed_again_until_its_lease_expires(loaded: Store) -> None:
    add_channel(loaded, code="park", target="https://p.example.cn/h")
    enqueue(
        loaded,
        park_id=loaded.registry.park().id,
        enterprise_id=None,
        severity="major",
        kind="threshold",
        event="opened",
        alarm=ALARM,
        now=T0,
    )
    lease = 60 * S
    (first,) = loaded.outbox.claim(now=T0, limit=10, lease_us=lease)
    assert loaded.outbox.claim(now=T0 + 59 * S, limit=10, lease_us=lease) == []
    (again,) = loaded.outbox.claim(now=T0 + 60 * S, limit=10, lease_us=lease)
    assert again[0].id == first[0].id and again[0].lease != first[0].lease
    # the first holder lost its lease: its outcome is not recorded
    assert not loaded.outbox.finish(first[0], now=T0 + 61 * S, ok=True)
    assert loaded.outbox.finish(again[0], now=T0 + 61 * S, ok=True)
    (row,) = loaded.outbox.deliveries(tenant=Tenant.park_wide())[0]
    assert (row.state, row.attempts, row.delivered_at) == ("delivered", 1, T0 + 61 * S)


def test_an_enterprise_tenant_sees_only_its_own_channels_and_deliveries(loaded: Store) -> None:
    add_channel(loaded, code="park", target="https://p.example.cn/h")
    e1 = add_channel(loaded, code="e1", target="https://e1.example.cn/h", enterprise="E01")
    e2 = add_channel(loaded, code="e2", target="https://e2.example.cn/h", enterprise="E02")
    for ent in ("E01", "E02"):
        enqueue(
            loaded,
            park_id=loaded.registry.park().id,
            enterprise_id=enterprise_id(loaded, ent),
            severity="major",
            kind="threshold",
            event="opened",
            alarm={"id": ent},
            now=T0,
        )
    a = Tenant.of_enterprise(enterprise_id(loaded, "E01"))
    assert [c.code for c in loaded.outbox.channels(tenant=a)] == ["e1"]
    rows, total = loaded.outbox.deliveries(tenant=a)
    assert total == 1 and [d.channel_id for d in rows] == [e1.id]
    from lingtan.errors import NotFound

    with pytest.raises(NotFound):
        loaded.outbox.channel(tenant=a, channel_id=e2.id)
    assert len(loaded.outbox.channels(tenant=Tenant.park_wide())) == 3
    assert loaded.outbox.deliveries(tenant=Tenant.park_wide())[1] == 4  # park ×2, e1, e2


def test_two_workers_claiming_at_once_never_take_the_same_row(loaded: Store) -> None:
    add_channel(loaded, code="park", target="https://p.example.cn/h")
    for n in range(20):
        enqueue(
            loaded,
            park_id=loaded.registry.park().id,
            enterprise_id=None,
            severity="major",
            kind="threshold",
            event="opened",
            alarm={"id": n},
            now=T0,
        )
    start = threading.Barrier(2)
    claimed: list[list[int]] = []

    def worker() -> None:
        start.wait()
        rows = loaded.outbox.claim(now=T0, limit=15, lease_us=60 * S)
        claimed.append([d.id for d, _, _ in rows])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    first, second = claimed
    # disjoint, and together every row once: 15 to one worker, the other 5 to the other
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(
        d.id for d in loaded.outbox.deliveries(tenant=Tenant.park_wide())[0]
    )
    assert sorted(map(len, claimed)) == [5, 15]


def test_a_batch_is_claimed_oldest_first_and_its_outcomes_recorded_at_once(loaded: Store) -> None:
    from lingtan.store.outbox_repo import Outcome

    add_channel(loaded, code="park", target="https://p.example.cn/h")
    park = loaded.registry.park().id
    for k in range(5):  # queued at once: one next_attempt_at, the order is the id
        enqueue(loaded, park_id=park, enterprise_id=None, severity="major", kind="threshold",
                event="opened", alarm={**ALARM, "id": 100 + k}, now=T0)  # fmt: skip
    lease = 60 * S
    first = loaded.outbox.claim(now=T0, limit=3, lease_us=10 * lease)
    rest = loaded.outbox.claim(now=T0, limit=3, lease_us=lease)  # expires at T0 + 60 s
    ids = [d.id for d, _, _ in first + rest]
    assert ids == sorted(ids) and len(set(ids)) == 5  # oldest first, nothing claimed twice
    a, b, c = (d for d, _, _ in first)
    stale = rest[0][0]
    # another worker takes the stale row after its lease expired: that outcome is not kept
    (retaken,) = [d for d, _, _ in loaded.outbox.claim(now=T0 + 61 * S, limit=1, lease_us=lease)]
    assert retaken.id == stale.id
    kept = loaded.outbox.finish_many(
        [
            Outcome(a, ok=True, ack="ok"),
            Outcome(b, ok=False, error="HTTP 500", retry_at=T0 + 70 * S),
            Outcome(c, ok=False, error="HTTP 404"),
            Outcome(stale, ok=True),
        ],
        now=T0 + 62 * S,
    )
    assert kept == [True, True, True, False]
    rows = {d.id: d for d in loaded.outbox.deliveries(tenant=Tenant.park_wide())[0]}
    assert (rows[a.id].state, rows[a.id].ack, rows[a.id].delivered_at) == ("delivered", "ok",
                                                                           T0 + 62 * S)  # fmt: skip
    assert (rows[b.id].state, rows[b.id].next_attempt_at, rows[b.id].last_error) == (
        "pending", T0 + 70 * S, "HTTP 500")  # fmt: skip
    assert (rows[c.id].state, rows[c.id].last_error) == ("failed", "HTTP 404")
    assert rows[stale.id].state == "pending" and rows[stale.id].lease == retaken.lease
