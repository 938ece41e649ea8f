"""Collector benchmark: Modbus block reads and MQTT batched payloads end to end.

Part ``modbus`` — one poll cycle of 1,000 points over 20 simulated devices (50 float32
points = 100 registers each, pymodbus servers on loopback in a separate process, one TCP
connection per device as the collector keeps them, all devices polled concurrently):
the time of a cycle with block reads (≤125 registers per request) against one request per
point, measured in the same run. The ratio is the speed-up of block reads.

Part ``mqtt`` — batched payloads (one message = ``--readings`` readings of distinct
points) published at QoS 1 to the local Mosquitto by a separate publisher process:

- baseline: a subscriber that only counts the messages (QoS 1, acknowledged on receipt);
- collector → SQLite, collector → PostgreSQL: the MQTT connector decoding every payload,
  batching, committing through the ingest pipeline and acknowledging after the commit.

Each is timed from the first publish to the last message counted / the last reading
committed, and printed as readings/s and as a ratio to the baseline of the same run. The
three are run ``--repeat`` times, interleaved, and the best time of each is kept (the
machine may be busy with other work; the best run is the least disturbed). At most 800
messages are published by default, so that Mosquitto's default ``max_queued_messages``
(1000) never drops a message for the slower subscriber.

Usage::

    .venv/bin/python bench/collect.py [--parts modbus,mqtt] [--cycles 20]
        [--messages 800] [--readings 500] [--engines sqlite,postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from _common import pg_reachable, pg_schema, reachable

POINTS_PER_DEVICE = 50
DEVICES = 20
MQTT = ("127.0.0.1", 1883)


# --------------------------------------------------------------------------- modbus


def _modbus_specs() -> list[Any]:
    from lingtan.connectors.modbus.registers import DataType, RegisterSpec

    return [
        RegisterSpec(f"p{i}", 2 * i, DataType.FLOAT32, unit="kW") for i in range(POINTS_PER_DEVICE)
    ]


def _serve_modbus(ready: Any, stop: Any) -> None:
    """Child process: 20 simulated devices, one server (port) each."""
    from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway

    async def main() -> None:
        gateways = []
        ports = []
        for unit in range(1, DEVICES + 1):
            device = SimulatedDevice(1, _modbus_specs())
            for i in range(POINTS_PER_DEVICE):
                device.set(f"p{i}", unit * 1000 + i)
            gateway = SimulatedGateway([device])
            ports.append(await gateway.start())
            gateways.append(gateway)
        ready.put(ports)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for gateway in gateways:
            await gateway.stop()

    asyncio.run(main())


async def _poll_cycles(
    ports: list[int], *, block_reads: bool, cycles: int
) -> tuple[list[float], int, int]:
    from lingtan.connectors.modbus.poller import (
        DeviceConfig,
        ModbusReader,
        _DeviceState,
        poll_device,
    )

    specs = _modbus_specs()
    readers = [ModbusReader("127.0.0.1", port, timeout_s=5) for port in ports]
    states = []
    for n, _ in enumerate(ports):
        device = DeviceConfig(
            f"d{n}", 1, specs, {s.key: f"d{n}.{s.key}" for s in specs}, block_reads=block_reads
        )
        states.append(_DeviceState(device, device.blocks()))
    times: list[float] = []
    readings = 0
    try:
        for cycle in range(cycles + 1):  # the first cycle connects: not timed
            start = time.perf_counter()
            results = await asyncio.gather(
                *(poll_device(r, s, source="bench") for r, s in zip(readers, states, strict=True))
            )
            elapsed = time.perf_counter() - start
            readings = sum(len(x) for x in results)
            if cycle:
                times.append(elapsed)
        requests = sum(r.requests for r in readers) // (cycles + 1)
    finally:
        for r in readers:
            r.close()
    if readings != DEVICES * POINTS_PER_DEVICE:
        raise SystemExit(
            f"a cycle returned {readings} readings, expected {DEVICES * POINTS_PER_DEVICE}"
        )
    return times, requests, readings


def modbus_part(cycles: int) -> list[str]:
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve_modbus, args=(ready, stop), daemon=True)
    server.start()
    try:
        ports = ready.get(timeout=60)
        block, block_requests, n = asyncio.run(_poll_cycles(ports, block_reads=True, cycles=cycles))
        single, single_requests, _ = asyncio.run(
            _poll_cycles(ports, block_reads=False, cycles=cycles)
        )
    finally:
        stop.set()
        server.join(30)
    b, s = statistics.median(block), statistics.median(single)
    return [
        f"modbus: one poll cycle of {n} points over {DEVICES} devices ({cycles} cycles each)",
        f"  block reads    {block_requests:5d} requests"
        f"  median {b * 1000:7.1f} ms  best {min(block) * 1000:7.1f} ms",
        f"  one per point  {single_requests:5d} requests"
        f"  median {s * 1000:7.1f} ms  best {min(single) * 1000:7.1f} ms",
        f"  ratio (one per point / block reads): median {s / b:.1f}x,"
        f" best {min(single) / min(block):.1f}x",
    ]


# --------------------------------------------------------------------------- mqtt


def _message(i: int, readings: int) -> str:
    ts = (dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i)).isoformat()
    return json.dumps(
        {
            "ts": ts,
            "readings": [{"point": f"P{j}", "value": i * readings + j} for j in range(readings)],
        }
    )


def _publish(topic: str, messages: int, readings: int, go: Any, done: Any) -> None:
    """Child process: publish the messages (QoS 1) when ``go`` is set."""
    import aiomqtt

    bodies = [_message(i, readings) for i in range(messages)]

    async def main() -> None:
        async with aiomqtt.Client(*MQTT, identifier=f"bench-pub-{uuid.uuid4().hex[:6]}") as client:
            go.wait()
            for body in bodies:
                await client.publish(topic, body, qos=1)
        done.set()

    asyncio.run(main())


class _Publisher:
    def __init__(self, topic: str, messages: int, readings: int) -> None:
        ctx = mp.get_context("spawn")
        self.go, self.done = ctx.Event(), ctx.Event()
        self.process = ctx.Process(
            target=_publish, args=(topic, messages, readings, self.go, self.done)
        )
        self.process.start()

    def start(self) -> float:
        self.go.set()
        return time.perf_counter()

    def join(self) -> None:
        self.process.join(120)


async def _baseline(messages: int, readings: int) -> float:
    import aiomqtt

    topic = f"bench/{uuid.uuid4().hex[:8]}/gw/g1/batch"
    count = 0
    async with aiomqtt.Client(*MQTT, identifier=f"bench-count-{uuid.uuid4().hex[:6]}") as client:
        await client.subscribe(topic, qos=1)
        publisher = _Publisher(topic, messages, readings)
        await asyncio.sleep(1.0)  # the publisher process connects
        start = publisher.start()
        async for _ in client.messages:
            count += 1
            if count == messages:
                break
        elapsed = time.perf_counter() - start
    publisher.join()
    return elapsed


def _park(readings: int) -> Any:
    from lingtan.registry import parse_park_text

    points = "".join(
        f"  - id: P{j}\n    carrier: electricity_grid_import\n    kind: measurement\n    unit: kW\n"
        for j in range(readings)
    )
    return parse_park_text(
        "park:\n  id: bench\n  name: bench\n  province: 江苏\npoints:\n" + points
    )


async def _collector_run(url: str, state: Path, messages: int, readings: int) -> float:
    from lingtan.config import load_settings
    from lingtan.connectors.collector.runner import Collector
    from lingtan.connectors.collector.sink import StoreSink
    from lingtan.connectors.mqtt.payloads import TopicTemplate
    from lingtan.connectors.mqtt.subscriber import MqttConnector

    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    client_id = f"bench-col-{uuid.uuid4().hex[:6]}"
    sink = StoreSink(load_settings(database_url=url))
    sink.check()
    conn = MqttConnector(
        "mqtt", client_id=client_id, topics=[TopicTemplate(f"{prefix}/gw/{{gw}}/batch", "batch")]
    )
    collector = Collector([conn], sink, state_dir=state)
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    await asyncio.wait_for(conn.connected.wait(), 30)
    publisher = _Publisher(f"{prefix}/gw/g1/batch", messages, readings)
    await asyncio.sleep(1.0)
    start = publisher.start()
    total = messages * readings
    while collector.batcher.accepted_total + collector.batcher.duplicates_total < total:
        await asyncio.sleep(0.005)
        if task.done():
            raise SystemExit("collector stopped")
    elapsed = time.perf_counter() - start
    publisher.join()
    stop.set()
    await task
    sink.close()
    import aiomqtt

    async with aiomqtt.Client(*MQTT, identifier=client_id, clean_session=True):
        pass
    if collector.batcher.rejected_total:
        raise SystemExit(f"{collector.batcher.rejected_total} readings rejected")
    return elapsed


def _pg_schema() -> tuple[str, Any] | None:
    return pg_schema("bench_collect") if pg_reachable() else None


def _engine_run(engine: str, messages: int, readings: int) -> float | None:
    """One collector run into a fresh database; ``None`` when the engine is not reachable."""
    from lingtan.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        drop = None
        if engine == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'lingtan.db'}"
        else:
            made = _pg_schema()
            if made is None:
                return None
            url, drop = made
        try:
            store = open_store(url)
            store.registry.save_park(_park(readings))
            store.close()
            return asyncio.run(_collector_run(url, Path(tmp) / "state", messages, readings))
        finally:
            if drop is not None:
                drop()


def mqtt_part(messages: int, readings: int, engines: list[str], repeat: int) -> list[str]:
    if not reachable(*MQTT):
        return ["mqtt: skipped (Mosquitto not reachable on 127.0.0.1:1883)"]
    total = messages * readings
    times: dict[str, list[float]] = {"baseline": [], **{e: [] for e in engines}}
    for _ in range(repeat):  # interleaved, so a busy spell of the machine hits every line
        times["baseline"].append(asyncio.run(_baseline(messages, readings)))
        for engine in engines:
            elapsed = _engine_run(engine, messages, readings)
            if elapsed is not None:
                times[engine].append(elapsed)
    base = min(times["baseline"])
    lines = [
        f"mqtt: {messages} batch messages x {readings} readings = {total} readings, QoS 1 "
        f"(best of {repeat})",
        f"  count-only subscriber     {base:7.2f} s  {total / base:10.0f} readings/s  1.000",
    ]
    for engine in engines:
        if not times[engine]:
            lines.append(f"  collector -> {engine}: skipped (not reachable)")
            continue
        best = min(times[engine])
        lines.append(
            f"  collector -> {engine:10s} {best:7.2f} s  {total / best:10.0f} readings/s  "
            f"{base / best:.3f}"
        )
    lines.append("  (last column: readings/s as a ratio to the count-only subscriber)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="modbus,mqtt")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--messages", type=int, default=800)
    parser.add_argument("--readings", type=int, default=500)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"bench/collect.py on {os.cpu_count()} CPU(s), {dt.datetime.now(tz=dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    parts = args.parts.split(",")
    if "modbus" in parts:
        print("\n".join(modbus_part(args.cycles)))
    if "mqtt" in parts:
        print(
            "\n".join(mqtt_part(args.messages, args.readings, args.engines.split(","), args.repeat))
        )


if __name__ == "__main__":
    main()
