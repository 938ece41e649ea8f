"""End to end into the real store (SQLite and PostgreSQL): no reading lost, none stored twice.

* the store fails while MQTT traffic flows (PostgreSQL: its connections are cut by a TCP
  proxy; SQLite: the sink is switched off), then comes back — every published reading is
  stored exactly once (count and checksum of values);
* the collector process is killed (SIGKILL) mid-stream and restarted — same result;
* Hypothesis-generated malformed payloads and corrupted DL/T 645 frames are rejected,
  counted and visible, and the collector keeps running;
* a pymodbus server and the simulated DL/T 645 meter feed the store through the collector.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lingtan.config import load_settings
from lingtan.connectors.collector.buffer import read_state
from lingtan.connectors.collector.config import CollectorSettings, build_connector, parse_config
from lingtan.connectors.collector.runner import Collector, read_status
from lingtan.connectors.collector.sink import StoreSink
from lingtan.connectors.dlt645.sim import SimulatedBus, SimulatedMeter
from lingtan.connectors.modbus.library import load_template
from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway
from lingtan.connectors.mqtt.payloads import TopicTemplate
from lingtan.connectors.mqtt.subscriber import MqttConnector
from lingtan.errors import Unavailable
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store

from .conftest import MQTT_HOST, MQTT_PORT, TcpProxy, forget_session, wait_until

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
POINTS = 20


def park_text(extra: str = "") -> str:
    points = "".join(
        f"  - id: P{j}\n    carrier: electricity_grid_import\n    kind: measurement\n    unit: kW\n"
        for j in range(POINTS)
    )
    return (
        "park:\n  id: e2e\n  name: 端到端测试园区\n  province: 江苏\n"
        "enterprises:\n  - id: E01\n    name: 测试企业\n"
        "points:\n" + points + extra
    )


ENERGY_POINTS = """\
  - id: M-energy
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
  - id: M-power
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
  - id: D-energy
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
  - id: D-power
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
"""


def prepare_store(url: str, extra: str = "") -> None:
    store = open_store(url)
    try:
        store.registry.save_park(parse_park_text(park_text(extra)))
    finally:
        store.close()


def message(i: int) -> str:
    """Batch message i: one reading per point at T0 + i minutes, value i*POINTS + j."""
    return json.dumps(
        {
            "ts": (T0 + dt.timedelta(minutes=i)).isoformat(),
            "readings": [{"point": f"P{j}", "value": float(i * POINTS + j)} for j in range(POINTS)],
        }
    )


def expected(messages: Sequence[int]) -> tuple[int, float]:
    values = [float(i * POINTS + j) for i in messages for j in range(POINTS)]
    return len(values), sum(values)


def stored(url: str) -> tuple[int, float, int]:
    """(count, checksum of values, rejected) in the store."""
    store = open_store(url, migrate=False)
    try:
        total = 0.0
        for code, point in store.registry.points_by_code().items():
            if code.startswith("P"):
                _, values = store.readings.fetch(point.id)
                total += float(values.sum())
        return store.readings.count(), total, store.readings.rejected_count()
    finally:
        store.close()


async def in_thread(func: Any, *args: Any) -> Any:
    """Run blocking store access off the event loop, so a slow database cannot freeze the
    test's own time limits (other processes may hold PostgreSQL locks for a while)."""
    return await asyncio.wait_for(asyncio.to_thread(func, *args), 120)


async def count_is(url: str, n: int, *, at_least: bool = False) -> bool:
    count = (await in_thread(stored, url))[0]
    return count >= n if at_least else count == n


async def publish(topic: str, bodies: Sequence[str | bytes], *, pause_s: float = 0.0) -> None:
    async with aiomqtt.Client(
        MQTT_HOST, MQTT_PORT, identifier=f"pub-{uuid.uuid4().hex[:8]}"
    ) as client:
        for body in bodies:
            await client.publish(topic, body, qos=1)
            if pause_s:
                await asyncio.sleep(pause_s)


class SwitchableSink:
    """The real store sink, with a switch that makes the store fail (SQLite)."""

    def __init__(self, inner: StoreSink) -> None:
        self.inner = inner
        self.down = False

    def __call__(self, readings: Sequence[Reading]) -> Any:
        if self.down:
            raise Unavailable("store switched off by the test")
        return self.inner(readings)


@pytest.fixture
def e2e_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lingtan.db'}"
    else:
        yield str(request.getfixturevalue("pg_url"))


@pytest.mark.mqtt
@pytest.mark.parametrize("e2e_url", ENGINES, indirect=True)
async def test_e2e_store_fails_while_mqtt_flows_every_reading_stored_once(
    mosquitto: tuple[str, int], e2e_url: str, tmp_path: Path, topic_prefix: str
) -> None:
    await in_thread(prepare_store, e2e_url)
    proxy: TcpProxy | None = None
    url = e2e_url
    if e2e_url.startswith("postgresql"):
        proxy = TcpProxy("127.0.0.1", 5432)
        url = e2e_url.replace("127.0.0.1:5432", f"127.0.0.1:{await proxy.start()}")
    sink = SwitchableSink(StoreSink(load_settings(database_url=url)))

    def fail() -> None:
        if proxy is not None:
            proxy.cut()
        else:
            sink.down = True

    def recover() -> None:
        if proxy is not None:
            proxy.restore()
        else:
            sink.down = False

    client_id = f"e2e-{uuid.uuid4().hex[:10]}"
    conn = MqttConnector(
        "mqtt",
        client_id=client_id,
        topics=[TopicTemplate(f"{topic_prefix}/gw/{{gw}}/batch", "batch")],
    )
    collector = Collector([conn], sink, state_dir=tmp_path / "state", settings=CollectorSettings())
    collector.batcher.retry.initial = 0.1
    collector.batcher.retry.maximum = 1.0
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    topic = f"{topic_prefix}/gw/g1/batch"
    try:
        await asyncio.wait_for(conn.connected.wait(), 20)
        await publish(topic, [message(i) for i in range(50)])
        await wait_until(lambda: count_is(e2e_url, 50 * POINTS), limit_s=120, what="first part")
        fail()
        await publish(topic, [message(i) for i in range(50, 150)])
        await wait_until(
            lambda: collector.buffer.readings == 100 * POINTS, what="second part spilled"
        )
        assert collector.batcher.sink_state != "ok"
        assert await count_is(e2e_url, 50 * POINTS)
        recover()
        await publish(topic, [message(i) for i in range(150, 200)])
        await wait_until(lambda: count_is(e2e_url, 200 * POINTS), limit_s=120, what="all stored")
        await wait_until(lambda: collector.buffer.readings == 0, what="buffer drained")
        count, checksum, rejected = await in_thread(stored, e2e_url)
        assert (count, checksum) == expected(range(200))
        assert rejected == 0
    finally:
        stop.set()
        await task
        sink.inner.close()
        if proxy is not None:
            await proxy.stop()
        await forget_session(client_id)


def _collector_process(
    config: Path, state: Path, url: str, data_dir: Path
) -> subprocess.Popen[bytes]:
    """``lingtan collect`` as a separate process (so it can be killed); its log goes to a file."""
    env = dict(os.environ, LINGTAN_DATABASE_URL=url, LINGTAN_DATA_DIR=str(data_dir))
    command = [sys.executable, "-c", "from lingtan.cli import main; main()", "collect"]
    command += ["--config", str(config), "--state-dir", str(state)]
    with (data_dir / f"collector-{time.monotonic_ns()}.log").open("wb") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.mqtt
@pytest.mark.parametrize("e2e_url", ENGINES, indirect=True)
async def test_e2e_collector_killed_mid_stream_and_restarted_loses_and_duplicates_nothing(
    mosquitto: tuple[str, int], e2e_url: str, tmp_path: Path, topic_prefix: str
) -> None:
    await in_thread(prepare_store, e2e_url)
    client_id = f"e2e-kill-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "connectors.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "connectors": [
                    {
                        "kind": "mqtt",
                        "name": "mqtt",
                        "client_id": client_id,
                        "topics": [
                            {"template": f"{topic_prefix}/gw/{{gw}}/batch", "form": "batch"}
                        ],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    state = tmp_path / "state"
    topic = f"{topic_prefix}/gw/g1/batch"

    def running_and_connected() -> bool:
        status = read_status(state)
        return bool(status) and status["connectors"]["mqtt"]["state"] == "running"  # type: ignore[index]

    process = _collector_process(config, state, e2e_url, tmp_path)
    try:
        await wait_until(running_and_connected, what="collector connected")
        await publish(topic, [message(i) for i in range(100)], pause_s=0.002)
        await wait_until(
            lambda: count_is(e2e_url, 20 * POINTS, at_least=True),
            limit_s=120,
            what="stream flowing",
        )
        publishing = asyncio.ensure_future(
            publish(topic, [message(i) for i in range(100, 250)], pause_s=0.002)
        )
        await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # mid-stream, no chance to flush or acknowledge
        await asyncio.to_thread(process.wait)
        await publishing  # the rest waits at the broker (persistent session, QoS 1)
        (state / "status.json").unlink()
        process = _collector_process(config, state, e2e_url, tmp_path)
        await wait_until(running_and_connected, what="collector back")
        await publish(topic, [message(i) for i in range(250, 300)])
        await wait_until(lambda: count_is(e2e_url, 300 * POINTS), limit_s=180, what="all stored")
        count, checksum, rejected = await in_thread(stored, e2e_url)
        assert (count, checksum) == expected(range(300))
        assert rejected == 0
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
        await forget_session(client_id)


malformed = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60).map(str.encode),
    st.sampled_from([b"{}", b"[]", b"null", b'{"readings": 1}', b'{"values": []}', b"{bad"]),
    st.dictionaries(
        st.sampled_from(["ts", "readings", "values", "x"]),
        st.integers() | st.text(max_size=5),
        max_size=3,
    ).map(lambda d: json.dumps(d).encode()),
)


def _is_rejected_message(body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return True
    if not isinstance(doc, dict):
        return True
    readings, values = doc.get("readings"), doc.get("values")
    if readings is None and values is None:
        return True
    return (readings is not None and not isinstance(readings, list)) or (
        values is not None and not isinstance(values, dict)
    )


@pytest.mark.mqtt
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(malformed, min_size=3, max_size=15))
def test_e2e_malformed_payloads_are_rejected_counted_visible_and_the_collector_keeps_running(
    mosquitto: tuple[str, int], bad: list[bytes]
) -> None:
    bad = [b for b in bad if _is_rejected_message(b)]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'lingtan.db'}"
        prepare_store(url)
        asyncio.run(_malformed_run(url, Path(tmp), bad))


async def _malformed_run(url: str, tmp: Path, bad: list[bytes]) -> None:
    prefix = f"lingtan-test/{uuid.uuid4().hex[:10]}"
    client_id = f"e2e-bad-{uuid.uuid4().hex[:8]}"
    sink = StoreSink(load_settings(database_url=url))
    conn = MqttConnector(
        "mqtt", client_id=client_id, topics=[TopicTemplate(f"{prefix}/gw/{{gw}}/batch", "batch")]
    )
    collector = Collector([conn], sink, state_dir=tmp / "state")
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        await asyncio.wait_for(conn.connected.wait(), 20)
        bodies: list[str | bytes] = []
        for i, body in enumerate(bad):
            bodies += [body, message(i)]
        bodies.append(
            json.dumps({"ts": T0.isoformat(), "readings": [{"point": "nope", "value": 1}]})
        )
        await publish(f"{prefix}/gw/g1/batch", bodies)
        await wait_until(
            lambda: stored(url)[0] == len(bad) * POINTS and stored(url)[2] == 1, what="stored"
        )
        assert collector.stats["mqtt"].rejected_payloads == len(bad)
        visible = read_state(tmp / "state" / "state.sqlite", limit=1000)
        assert visible["rejected_total"] == len(bad)
        assert all(r["reason"] == "mqtt_bad_payload" for r in visible["rejected_payloads"])
        store = open_store(url, migrate=False)
        try:
            (unknown,) = store.readings.rejected(reason="unknown_point")
            assert unknown["point_code"] == "nope"
        finally:
            store.close()
        assert not task.done()
    finally:
        stop.set()
        await task
        sink.close()
        await forget_session(client_id)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 255)), min_size=1, max_size=8))
def test_e2e_corrupted_dlt645_frames_are_counted_and_never_stored_as_values(
    flips: list[tuple[int, int]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'lingtan.db'}"
        prepare_store(url, ENERGY_POINTS)
        asyncio.run(_corrupted_run(url, Path(tmp), flips))


async def _corrupted_run(url: str, tmp: Path, flips: list[tuple[int, int]]) -> None:
    meter = SimulatedMeter("000000000161", {0x00010000: "1234.56"})
    bus = SimulatedBus([meter])
    pending = list(flips)
    original = bus._finish

    def corrupt(frame: Any) -> bytes:
        data = bytearray(original(frame))
        if pending:
            position, xor = pending.pop(0)
            data[position % len(data)] ^= xor
        return bytes(data)

    bus._finish = corrupt  # type: ignore[method-assign]
    port = await bus.start()
    config = parse_config(
        {
            "connectors": [
                {
                    "kind": "dlt645",
                    "name": "bus",
                    "host": "127.0.0.1",
                    "port": port,
                    "timeout_s": 0.3,
                    "retry_initial_s": 0.05,
                    "meters": [
                        {
                            "address": "000000000161",
                            "poll_interval_s": 0.02,
                            "points": {"00010000": "D-energy"},
                        }
                    ],
                }
            ]
        }
    )
    sink = StoreSink(load_settings(database_url=url))
    collector = Collector(
        [build_connector(c) for c in config.connectors],
        sink,
        state_dir=tmp / "state",
        settings=CollectorSettings(batch_max_delay_s=0.05),
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        stats = collector.stats["bus"]
        # the simulator has sent every corrupted answer (``pending`` empty) before the
        # connector has judged the last of them: wait for its count, not only for the send
        # (every corrupted answer is counted, as a reading or an error; if one never were,
        # this wait fails by its limit)
        await wait_until(
            lambda: (
                not pending
                and stats.readings_total >= 3
                and stats.readings_total + stats.errors_total >= len(flips)
            ),
            what="past the faults, each counted",
        )
        await wait_until(lambda: collector.batcher.accepted_total >= 3, what="stored")
        store = open_store(url, migrate=False)
        try:
            point = store.registry.points_by_code()["D-energy"].id
            _, values = store.readings.fetch(point)
            assert set(values.tolist()) == {1234.56}  # a corrupted frame never became a value
        finally:
            store.close()
        assert not task.done()
    finally:
        stop.set()
        await task
        sink.close()
        await bus.stop()


@pytest.mark.parametrize("e2e_url", ENGINES, indirect=True)
async def test_e2e_modbus_and_dlt645_simulators_feed_the_store(
    e2e_url: str, tmp_path: Path
) -> None:
    await in_thread(prepare_store, e2e_url, ENERGY_POINTS)
    template = load_template("schneider_iem3255")
    device = SimulatedDevice(7, template.registers)
    device.set("energy_import_total", 1_234_567.0)  # Wh
    device.set("power_total", 42.5)  # kW
    gateway = SimulatedGateway([device], strict=False)
    modbus_port = await gateway.start()
    bus = SimulatedBus(
        [SimulatedMeter("000012345678", {0x00010000: "8765.43", 0x02030000: "-3.2100"})]
    )
    dlt_port = await bus.start()
    config = parse_config(
        {
            "connectors": [
                {
                    "kind": "modbus",
                    "name": "gw",
                    "host": "127.0.0.1",
                    "port": modbus_port,
                    "devices": [
                        {
                            "name": "iem",
                            "unit": 7,
                            "template": "schneider_iem3255",
                            "poll_interval_s": 0.1,
                            "points": {"energy_import_total": "M-energy", "power_total": "M-power"},
                        }
                    ],
                },
                {
                    "kind": "dlt645",
                    "name": "bus",
                    "host": "127.0.0.1",
                    "port": dlt_port,
                    "meters": [
                        {
                            "address": "000012345678",
                            "poll_interval_s": 0.1,
                            "points": {"00010000": "D-energy", "02030000": "D-power"},
                        }
                    ],
                },
            ]
        }
    )
    sink = StoreSink(load_settings(database_url=e2e_url))
    collector = Collector(
        [build_connector(c) for c in config.connectors],
        sink,
        state_dir=tmp_path / "state",
        settings=CollectorSettings(batch_max_delay_s=0.1),
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        await wait_until(
            lambda: collector.batcher.accepted_total >= 8, what="both connectors stored"
        )
    finally:
        stop.set()
        await task
        sink.close()
        await gateway.stop()
        await bus.stop()
    store: Store = open_store(e2e_url, migrate=False)
    try:
        points = store.registry.points_by_code()
        got = {
            code: set(store.readings.fetch(points[code].id)[1].tolist())
            for code in ("M-energy", "M-power", "D-energy", "D-power")
        }
        assert got["M-energy"] == {1234.567}  # Wh from the meter, kWh in the store
        assert got["M-power"] == {42.5}
        assert got["D-energy"] == {float(Decimal("8765.43"))}
        assert got["D-power"] == {-3.21}
        assert store.readings.rejected_count() == 0
    finally:
        store.close()
