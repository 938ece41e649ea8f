"""MQTT subscriber against the real Mosquitto on 127.0.0.1:1883."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from lingtan.connectors.collector.config import CollectorSettings
from lingtan.connectors.collector.runner import Collector
from lingtan.connectors.mqtt.payloads import TopicTemplate
from lingtan.connectors.mqtt.subscriber import MqttConnector
from lingtan.readings import Reading

from .conftest import MemorySink, Recorder, TcpProxy, forget_session, wait_until

pytestmark = pytest.mark.mqtt
T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def batch_body(i: int, points: int = 5) -> str:
    return json.dumps(
        {
            "ts": (T0 + dt.timedelta(minutes=i)).isoformat(),
            "readings": [{"point": f"P{j}", "value": i * 100 + j} for j in range(points)],
        }
    )


async def publish(prefix: str, bodies: Sequence[str | bytes], topic: str = "gw/g1/batch") -> None:
    async with aiomqtt.Client(
        "127.0.0.1", 1883, identifier=f"{prefix}-pub".replace("/", "-")
    ) as client:
        for body in bodies:
            await client.publish(f"{prefix}/{topic}", body, qos=1)


def connector(prefix: str, client_id: str, **kwargs: Any) -> MqttConnector:
    return MqttConnector(
        "mqtt",
        client_id=client_id,
        topics=[
            TopicTemplate(f"{prefix}/gw/{{gateway}}/batch", "batch"),
            TopicTemplate(f"{prefix}/m/{{meter}}/{{quantity}}", "single", "{meter}-{quantity}"),
        ],
        **kwargs,
    )


async def test_mqtt_single_and_batch_messages_reach_the_store_once(
    mosquitto: tuple[str, int], topic_prefix: str, memory_sink: MemorySink, tmp_path: Path
) -> None:
    client_id = f"{topic_prefix}-c".replace("/", "-")
    conn = connector(topic_prefix, client_id)
    collector = Collector([conn], memory_sink, state_dir=tmp_path, settings=CollectorSettings())
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        await asyncio.wait_for(conn.connected.wait(), 20)
        await publish(topic_prefix, [batch_body(i) for i in range(30)])
        single = json.dumps({"ts": "2026-05-01T08:00:00+08:00", "value": 42.5, "unit": "kWh"})
        await publish(topic_prefix, [single], topic="m/E01/energy")
        await wait_until(lambda: len(memory_sink.data) == 151, what="151 readings stored")
        assert memory_sink.data[("E01-energy", dt.datetime(2026, 5, 1, tzinfo=dt.UTC))] == 42.5
        assert memory_sink.data[("P3", T0 + dt.timedelta(minutes=7))] == 703
        assert collector.stats["mqtt"].readings_total == 151
    finally:
        stop.set()
        await task
        await forget_session(client_id)


async def test_mqtt_message_not_committed_is_redelivered_after_a_crash(
    mosquitto: tuple[str, int], topic_prefix: str
) -> None:
    client_id = f"{topic_prefix}-crash".replace("/", "-")
    never_commits = Recorder("mqtt", "mqtt")

    async def hold(readings: Sequence[Reading], *, on_committed: Any = None) -> None:
        never_commits.readings.extend(readings)  # received, never committed, never acked

    never_commits.ctx.submit = hold
    first = connector(topic_prefix, client_id)
    task = asyncio.ensure_future(first.run(never_commits.ctx))
    try:
        await asyncio.wait_for(first.connected.wait(), 20)
        await publish(topic_prefix, [batch_body(i) for i in range(10)])
        await wait_until(lambda: len(never_commits.readings) == 50, what="first delivery")
    finally:
        task.cancel()  # the process dies: no PUBACK was ever sent
        await asyncio.gather(task, return_exceptions=True)
    commits = Recorder("mqtt", "mqtt")
    second = connector(topic_prefix, client_id)
    task = asyncio.ensure_future(second.run(commits.ctx))
    try:
        await wait_until(lambda: len(commits.readings) == 50, what="redelivery after restart")
        assert {(r.point, r.ts, r.value) for r in commits.readings} == {
            (r.point, r.ts, r.value) for r in never_commits.readings
        }
        # the commit is recorded before its PUBACKs leave: stop only once every message is
        # acknowledged and the acks had a moment to reach the socket (on a busy machine a
        # stop in between gets the committed messages redelivered, which is at-least-once
        # working, not what this test is about)
        await wait_until(lambda: second._unacked == 0, what="every redelivered message acked")
        await asyncio.sleep(0.5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    third = Recorder("mqtt", "mqtt")
    again = connector(topic_prefix, client_id)
    task = asyncio.ensure_future(again.run(third.ctx))
    try:
        await asyncio.wait_for(again.connected.wait(), 20)
        await publish(topic_prefix, [batch_body(99)])
        await wait_until(lambda: len(third.readings) == 5, what="new message only")
        assert {r.ts for r in third.readings} == {
            T0 + dt.timedelta(minutes=99)
        }  # acked ones stay acked
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await forget_session(client_id)


async def test_mqtt_shared_subscription_splits_one_stream_between_collectors(
    mosquitto: tuple[str, int], topic_prefix: str
) -> None:
    group = topic_prefix.rsplit("/", 1)[1]
    recorders = [Recorder("mqtt", "mqtt"), Recorder("mqtt", "mqtt")]
    conns = [connector(topic_prefix, f"{group}-{i}", shared_group=group) for i in range(2)]
    tasks = [asyncio.ensure_future(c.run(r.ctx)) for c, r in zip(conns, recorders, strict=True)]
    try:
        for c in conns:
            await asyncio.wait_for(c.connected.wait(), 20)
        await publish(topic_prefix, [batch_body(i, points=1) for i in range(60)])
        await wait_until(
            lambda: sum(len(r.readings) for r in recorders) == 60, what="all delivered"
        )
        got = [{r.ts for r in rec.readings} for rec in recorders]
        assert not (got[0] & got[1])
        assert len(got[0] | got[1]) == 60
        assert got[0] and got[1]  # both took part
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for i in range(2):
            await forget_session(f"{group}-{i}")


async def test_mqtt_reconnects_with_backoff_and_gets_what_was_published_meanwhile(
    mosquitto: tuple[str, int], topic_prefix: str
) -> None:
    proxy = TcpProxy(*mosquitto)
    port = await proxy.start()
    client_id = f"{topic_prefix}-rc".replace("/", "-")
    rec = Recorder("mqtt", "mqtt")
    conn = connector(topic_prefix, client_id, port=port)
    task = asyncio.ensure_future(conn.run(rec.ctx))
    try:
        await asyncio.wait_for(conn.connected.wait(), 20)
        await publish(topic_prefix, [batch_body(i) for i in range(3)])
        await wait_until(lambda: len(rec.readings) == 15, what="before the cut")
        proxy.cut()
        await wait_until(lambda: rec.ctx.stats.state == "reconnecting", what="disconnect noticed")
        await publish(topic_prefix, [batch_body(i) for i in range(3, 8)])  # queued by the broker
        assert any(e.kind == "comms_lost" for e in rec.events)
        proxy.restore()
        await wait_until(
            lambda: len({(r.point, r.ts) for r in rec.readings}) == 40, what="after reconnect"
        )
        assert any(e.kind == "comms_restored" for e in rec.events)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await proxy.stop()
        await forget_session(client_id)


async def test_mqtt_malformed_messages_are_counted_kept_and_do_not_stop_the_stream(
    mosquitto: tuple[str, int], topic_prefix: str, memory_sink: MemorySink, tmp_path: Path
) -> None:
    from lingtan.connectors.collector.buffer import read_state

    client_id = f"{topic_prefix}-bad".replace("/", "-")
    conn = connector(topic_prefix, client_id)
    collector = Collector([conn], memory_sink, state_dir=tmp_path)
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        await asyncio.wait_for(conn.connected.wait(), 20)
        bodies: list[str | bytes] = [
            b"\xff\x00binary",
            "{not json",
            json.dumps({"readings": "nope"}),
            batch_body(1),
            json.dumps(
                {
                    "ts": "2026-05-01T00:00:00Z",
                    "readings": [{"value": 1}, {"point": "Q", "value": "n/a"}],
                }
            ),
        ]
        await publish(topic_prefix, bodies)
        await wait_until(lambda: len(memory_sink.data) == 6, what="good readings stored")
        stats = collector.stats["mqtt"]
        assert stats.rejected_payloads == 4  # 3 whole messages + 1 item without point
        state = read_state(tmp_path / "state.sqlite")
        assert state["rejected_total"] == 4
        assert (
            memory_sink.data[("Q", dt.datetime(2026, 5, 1, tzinfo=dt.UTC))] == "n/a"
        )  # for ingest to reject
        assert not task.done()
    finally:
        stop.set()
        await task
        await forget_session(client_id)


async def test_mqtt_5_sets_the_in_flight_window_so_one_commit_takes_more_messages(
    mosquitto: tuple[str, int], topic_prefix: str
) -> None:
    """Acknowledged only after commit, the messages of one commit are bounded by the broker's
    window of unacknowledged messages. Under MQTT 5 the connector asks for ``max_unacked``
    (Receive Maximum, MQTT 5.0 §3.1.2.11.3): 60 messages arrive while none is acknowledged,
    where a 3.1.1 session on a default Mosquitto stops at its max_inflight_messages (20)."""
    client_id = f"{topic_prefix}-window".replace("/", "-")
    held = Recorder("mqtt", "mqtt")

    async def hold(readings: Sequence[Reading], *, on_committed: Any = None) -> None:
        held.readings.extend(readings)  # never committed, never acknowledged

    held.ctx.submit = hold
    conn = connector(topic_prefix, client_id, max_unacked=100)
    task = asyncio.ensure_future(conn.run(held.ctx))
    try:
        await asyncio.wait_for(conn.connected.wait(), 20)
        await publish(topic_prefix, [batch_body(i, points=1) for i in range(60)])
        await wait_until(lambda: len(held.readings) == 60, what="60 messages unacknowledged")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await forget_session(client_id)


async def test_mqtt_3_1_1_keeps_its_session_and_redelivers_what_was_not_acknowledged(
    mosquitto: tuple[str, int], topic_prefix: str
) -> None:
    """``protocol: "3.1.1"`` for brokers without MQTT 5: the window is the broker's (20 on a
    default Mosquitto), the session persists, and a message never acknowledged comes back."""
    client_id = f"{topic_prefix}-v311".replace("/", "-")
    held = Recorder("mqtt", "mqtt")

    async def hold(readings: Sequence[Reading], *, on_committed: Any = None) -> None:
        held.readings.extend(readings)

    held.ctx.submit = hold
    first = connector(topic_prefix, client_id, protocol="3.1.1")
    assert first.max_unacked == 20
    task = asyncio.ensure_future(first.run(held.ctx))
    try:
        await asyncio.wait_for(first.connected.wait(), 20)
        await publish(topic_prefix, [batch_body(i, points=1) for i in range(30)])
        await wait_until(lambda: len(held.readings) == 20, what="the broker's window")
        await asyncio.sleep(0.5)
        assert len(held.readings) == 20  # no more until something is acknowledged
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    commits = Recorder("mqtt", "mqtt")
    second = connector(topic_prefix, client_id, protocol="3.1.1")
    task = asyncio.ensure_future(second.run(commits.ctx))
    try:
        await wait_until(lambda: len(commits.readings) == 30, what="all 30 after the restart")
        assert {r.ts for r in commits.readings} == {T0 + dt.timedelta(minutes=i) for i in range(30)}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await forget_session(client_id)


def test_mqtt_protocol_and_window_in_the_configuration() -> None:
    from lingtan.connectors.collector.config import build_connector, parse_config
    from lingtan.errors import InvalidInput

    def mqtt(**extra: Any) -> MqttConnector:
        entry = {"kind": "mqtt", "name": "m", "client_id": "c", "topics": [{"template": "a/{b}",
                 "form": "batch"}], **extra}  # fmt: skip
        built = build_connector(parse_config({"connectors": [entry]}).connectors[0])
        assert isinstance(built, MqttConnector)
        return built

    assert (mqtt().protocol, mqtt().max_unacked) == ("5", 1000)
    assert (mqtt(protocol=5).protocol, mqtt(max_unacked=300).max_unacked) == ("5", 300)
    assert (mqtt(protocol="3.1.1").protocol, mqtt(protocol="3.1.1").max_unacked) == ("3.1.1", 20)
    with pytest.raises(InvalidInput):
        mqtt(protocol=4)
    with pytest.raises(InvalidInput):
        mqtt(max_unacked=70_000)  # Receive Maximum is a two-byte integer
