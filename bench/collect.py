"""Collector benchmark: Modbus round trips per device template, MQTT payloads end to end,
BACnet, OPC UA and IEC 104 against their simulators.

Part ``modbus`` — one poll cycle of 20 simulated devices (pymodbus servers on loopback in a
separate process, one TCP connection per device as the collector keeps them, all devices
polled concurrently), with block reads (≤125 registers per request, the gaps a template
allows spanned) against one request per register, measured in the same run:

- the contiguous best case: 50 float32 points = 100 consecutive registers per device;
- every shipped device template (``src/lingtan/connectors/modbus/templates``), all of its
  registers mapped to points, the simulated meter answering the registers a block spans.

For each it prints the requests (round trips) of one device's cycle, the median and best time
of a cycle of 20 devices on loopback, the ratio one-per-register / block reads, and the time
the same requests take on an RS-485 line at 9,600 baud: a read request is 8 bytes and its
answer 5 + 2 × registers bytes (MODBUS over Serial Line V1.02, RTU frame: address, function,
data, CRC16), each character 11 bits (§2.5.1: start, 8 data, parity or second stop, stop), and
a silence of 3.5 characters before each frame (§2.5.1.1, t3.5). The meter's own reply delay is
not counted, so the line time is a lower bound.

Part ``mqtt`` — batched payloads (one message = ``--readings`` readings of distinct points)
published at QoS 1 to the local Mosquitto by a separate publisher process:

- count-only: a subscriber that only counts the messages (QoS 1, acknowledged on receipt);
- direct pipeline → SQLite, → PostgreSQL: the same readings, already as columns (point ids,
  µs timestamps, values), written with ``lingtan.ingest.ingest_columns`` in commits of the
  collector's ``batch_max_readings`` into a fresh store — what the store takes without MQTT;
- collector → SQLite, → PostgreSQL: the MQTT connector decoding every payload into columns,
  batching, committing through the ingest pipeline and acknowledging after the commit
  (the collector's default settings: MQTT 5, a window of 1,000 messages, commits at 10,000
  readings or 1 s).

Each is timed from the first publish (or the first commit) to the last message counted / the
last reading committed (the collector commits what is pending as soon as the last message is
decoded, as a continuing stream would: the 1 s batch timer bounds latency, not throughput), and printed as readings/s, as a ratio to the count-only subscriber
and, for the collector, as a ratio to the direct pipeline of the same engine. All lines are
run ``--repeat`` times, interleaved, and the best time of each is kept (the machine may be
busy with other work; the best run is the least disturbed). At most 800 messages are
published by default, so that Mosquitto's default ``max_queued_messages`` (1000) never drops
a message for the slower subscriber.

Part ``single`` — ``--single-messages`` messages of one reading each (the single payload
form): count-only against the collector → SQLite under MQTT 5 (the window the collector asks
for) and under MQTT 3.1.1 (the broker's window, 20 on a default Mosquitto). With
acknowledgement after commit the window bounds how many messages one commit takes.

Part ``bacnet`` — ``--cycles`` poll cycles of the BACnet/IP connector against its simulator
(``lingtan.connectors.bacnet.sim``, device 1001: an analog input, an accumulator and a binary
input) on loopback, both bacpypes3 applications on one event loop of one process: one
ReadPropertyMultiple per cycle (present value, status flags and the accumulator's scale)
against one ReadProperty per property (7 requests), printed as cycles/s and readings/s.

Usage::

    .venv/bin/python bench/collect.py [--parts modbus,mqtt,single,bacnet] [--cycles 20]

Part ``opcua`` — the OPC UA connector against the simulated server (asyncua, in the same
process and event loop, on loopback), readings counted as the collector would receive them
(no store):

- history: ``--opcua-ticks`` ticks of the three simulated variables written with 20 ms
  between them (the server's history keeps every change), then one connection whose backfill
  reads them all back (HistoryRead raw) — readings/s from connect to the last reading;
- live: the server writing a tick every 10 ms (300 changes/s) for ``--opcua-seconds``; the
  subscription (sampling 5 ms, publishing 50 ms) — readings/s received, which the simulator
  bounds: the row shows the client keeps up, not the client's limit.

Part ``iec104`` — the IEC 60870-5-104 connector against the simulated RTU
(``lingtan.connectors.iec104.sim``) in the same process on loopback: ``--iec104-points``
M_ME_TF_1 objects (short float with CP56Time2a time tag), each changed ``--iec104-rounds``
times and sent spontaneously, one ASDU per change (as an RTU reports changes), paced by the
APCI's k window (12 I-frames unacknowledged, the client acknowledging every 8). The connector decodes them and the collector (default settings)
commits them into SQLite and PostgreSQL — timed from the first change sent to the last reading
committed — against the connector that only counts what it decodes (no store) and the
direct pipeline: the same readings as columns through
``ingest_columns`` in commits of ``batch_max_readings``. Printed as readings/s and the ratio
collector / direct.

Usage::

    .venv/bin/python bench/collect.py [--parts modbus,mqtt,single,opcua,iec104] [--cycles 20]
        [--messages 800] [--readings 500] [--single-messages 800]
        [--engines sqlite,postgresql] [--repeat 3] [--opcua-ticks 500] [--opcua-seconds 3]
        [--iec104-points 400] [--iec104-rounds 25]
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
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
#: commits of each collector run, by (payload form, protocol)
COMMITS: dict[tuple[str, str], list[int]] = {}


# --------------------------------------------------------------------------- modbus


#: MODBUS over Serial Line V1.02 §2.5.1: an RTU character is 11 bits; §2.5.1.1: frames are
#: separated by at least 3.5 character times
RTU_BITS_PER_CHAR = 11
RTU_SILENCE_CHARS = 3.5
RTU_BAUD = 9600


def _modbus_specs(case: str) -> tuple[list[Any], int]:
    """The registers of a device (every one mapped to a point) and the gap block reads span."""
    from lingtan.connectors.modbus.library import load_template
    from lingtan.connectors.modbus.registers import DataType, RegisterSpec

    if case == "contiguous":
        specs = [
            RegisterSpec(f"p{i}", 2 * i, DataType.FLOAT32, unit="kW")
            for i in range(POINTS_PER_DEVICE)
        ]
        return specs, 0
    template = load_template(case)
    return list(template.registers), template.max_gap


def _serve_modbus(cases: list[str], ready: Any, stop: Any) -> None:
    """Child process: for every case, 20 simulated devices, one server (port) each."""
    from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway

    async def main() -> None:
        gateways = []
        ports: dict[str, list[int]] = {}
        for case in cases:
            specs, _ = _modbus_specs(case)
            ports[case] = []
            for unit in range(1, DEVICES + 1):
                device = SimulatedDevice(1, specs)
                for i, spec in enumerate(specs):
                    device.set(spec.key, unit * 1000 + i)
                # the meter answers the unimplemented registers a block spans (what a
                # template's max_gap states); strict meters are split by the poller
                gateway = SimulatedGateway([device], strict=False)
                ports[case].append(await gateway.start())
                gateways.append(gateway)
        ready.put(ports)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for gateway in gateways:
            await gateway.stop()

    asyncio.run(main())


def _rtu_seconds(blocks: list[Any]) -> float:
    """Time of the requests of one device cycle on an RS-485 line (see the module docstring)."""
    chars = sum(8 + 5 + 2 * b.count + 2 * RTU_SILENCE_CHARS for b in blocks)
    return chars * RTU_BITS_PER_CHAR / RTU_BAUD


async def _poll_cycles(
    case: str, ports: list[int], *, block_reads: bool, cycles: int
) -> tuple[list[float], int, float]:
    from lingtan.connectors.modbus.poller import (
        DeviceConfig,
        ModbusReader,
        _DeviceState,
        poll_device,
    )

    specs, max_gap = _modbus_specs(case)
    readers = [ModbusReader("127.0.0.1", port, timeout_s=5) for port in ports]
    states = []
    for n, _ in enumerate(ports):
        device = DeviceConfig(
            f"d{n}",
            1,
            specs,
            {s.key: f"d{n}.{s.key}" for s in specs},
            max_gap=max_gap,
            block_reads=block_reads,
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
    finally:
        for r in readers:
            r.close()
    if readings != len(ports) * len(specs):
        raise SystemExit(f"{case}: a cycle returned {readings} readings, expected "
                         f"{len(ports) * len(specs)}")  # fmt: skip
    return times, len(states[0].blocks), _rtu_seconds(states[0].blocks)


def modbus_part(cycles: int) -> list[str]:
    from lingtan.connectors.modbus.library import template_ids

    cases = ["contiguous", *template_ids()]
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve_modbus, args=(cases, ready, stop), daemon=True)
    server.start()
    lines = [
        f"modbus: one poll cycle of {DEVICES} devices, {cycles} cycles each;"
        " per device: registers mapped (points), requests and RS-485 time at 9,600 baud;"
        f" cycle: {DEVICES} devices on loopback, median (best)",
        f"  {'device':22s} {'points':>6s} | {'block reads':^27s} | {'one per register':^27s}"
        " | ratio",
        f"  {'':22s} {'':6s} |{'req':>4s} {'line s':>7s} {'cycle ms':>14s} |"
        f"{'req':>4s} {'line s':>7s} {'cycle ms':>14s} | median (best)",
    ]
    try:
        ports = ready.get(timeout=120)
        for case in cases:
            n = len(_modbus_specs(case)[0])
            block, block_requests, block_line = asyncio.run(
                _poll_cycles(case, ports[case], block_reads=True, cycles=cycles)
            )
            single, single_requests, single_line = asyncio.run(
                _poll_cycles(case, ports[case], block_reads=False, cycles=cycles)
            )
            b, s = statistics.median(block), statistics.median(single)
            name = "contiguous (100 regs)" if case == "contiguous" else case
            lines.append(
                f"  {name:22s} {n:6d} |{block_requests:4d} {block_line:7.3f}"
                f" {b * 1000:6.1f} ({min(block) * 1000:5.1f}) |"
                f"{single_requests:4d} {single_line:7.3f}"
                f" {s * 1000:6.1f} ({min(single) * 1000:5.1f}) |"
                f" {s / b:5.1f}x ({min(single) / min(block):.1f}x)"
            )
    finally:
        stop.set()
        server.join(30)
    lines.append("  (ratio: cycle time with one request per register / with block reads)")
    return lines


# --------------------------------------------------------------------------- bacnet


async def _bacnet_cycles(cycles: int) -> list[str]:
    import socket

    from lingtan.connectors.bacnet.client import (
        BacnetConnector,
        BacnetDevice,
        _DeviceState,
        make_application,
    )
    from lingtan.connectors.bacnet.codec import ObjectPoint, decode_all
    from lingtan.connectors.bacnet.sim import SimulatedDevice

    def free_port() -> int:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    sim = SimulatedDevice(1001, port=free_port())
    sim.start()
    objects = [
        ObjectPoint("analog-input", 1, "B-power"),
        ObjectPoint("accumulator", 1, "B-energy"),
        ObjectPoint("binary-input", 1, "B-run"),
    ]
    port = free_port()
    app = make_application(f"127.0.0.1/8:{port}", 4_194_302)
    lines = []
    try:
        for rpm in (True, False):
            device = BacnetDevice("sim", 1001, objects, address=f"127.0.0.1:{sim.port}", rpm=rpm)
            connector = BacnetConnector("bench", [device], interface="127.0.0.1/8", port=port)
            state = _DeviceState(device)
            await connector._locate(app, state)
            readings = 0
            started = time.perf_counter()
            for _ in range(cycles):
                values = await connector._read(app, state)
                kept, _, _ = decode_all(objects, values, ts=T0, source="bench")
                readings += len(kept)
            elapsed = time.perf_counter() - started
            name = "ReadPropertyMultiple" if rpm else "ReadProperty × 7"
            lines.append(
                f"  {name:22s} {cycles / elapsed:8.1f} cycles/s {readings / elapsed:8.1f} readings/s"
            )
    finally:
        app.close()
        sim.stop()
    return lines


def bacnet_part(cycles: int) -> list[str]:
    header = f"bacnet: {cycles} poll cycles of one device (3 objects) on loopback, one process"
    return [header, *asyncio.run(_bacnet_cycles(cycles))]


# --------------------------------------------------------------------------- mqtt


def _message(i: int, readings: int) -> str:
    ts = (T0 + dt.timedelta(minutes=i)).isoformat()
    return json.dumps(
        {
            "ts": ts,
            "readings": [{"point": f"P{j}", "value": i * readings + j} for j in range(readings)],
        }
    )


def _single(i: int, points: int) -> str:
    ts = (T0 + dt.timedelta(minutes=i // points)).isoformat()
    return json.dumps({"ts": ts, "value": i})


def _publish(topics: list[str], bodies: list[str], go: Any, done: Any) -> None:
    """Child process: publish the messages (QoS 1) when ``go`` is set."""
    import aiomqtt

    async def main() -> None:
        async with aiomqtt.Client(*MQTT, identifier=f"bench-pub-{uuid.uuid4().hex[:6]}") as client:
            go.wait()
            for topic, body in zip(topics, bodies, strict=True):
                await client.publish(topic, body, qos=1)
        done.set()

    asyncio.run(main())


class _Publisher:
    def __init__(self, topics: list[str], bodies: list[str]) -> None:
        ctx = mp.get_context("spawn")
        self.go, self.done = ctx.Event(), ctx.Event()
        self.process = ctx.Process(target=_publish, args=(topics, bodies, self.go, self.done))
        self.process.start()

    def start(self) -> float:
        self.go.set()
        return time.perf_counter()

    def join(self) -> None:
        self.process.join(120)


def _feed(prefix: str, form: str, messages: int, readings: int) -> tuple[list[str], list[str]]:
    """Topics and bodies of a run: batch messages of one gateway, or single readings spread
    over ``readings`` meters."""
    if form == "batch":
        return [f"{prefix}/gw/g1/batch"] * messages, [
            _message(i, readings) for i in range(messages)
        ]
    topics = [f"{prefix}/m/P{i % readings}" for i in range(messages)]
    return topics, [_single(i, readings) for i in range(messages)]


async def _baseline(form: str, messages: int, readings: int) -> float:
    import aiomqtt

    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    count = 0
    async with aiomqtt.Client(*MQTT, identifier=f"bench-count-{uuid.uuid4().hex[:6]}") as client:
        await client.subscribe(f"{prefix}/#", qos=1)
        publisher = _Publisher(*_feed(prefix, form, messages, readings))
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


async def _collector_run(
    url: str, state: Path, form: str, messages: int, readings: int, protocol: str = "5"
) -> float:
    from lingtan.config import load_settings
    from lingtan.connectors.collector.runner import Collector
    from lingtan.connectors.collector.sink import StoreSink
    from lingtan.connectors.mqtt.payloads import TopicTemplate
    from lingtan.connectors.mqtt.subscriber import MqttConnector

    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    client_id = f"bench-col-{uuid.uuid4().hex[:6]}"
    sink = StoreSink(load_settings(database_url=url))
    sink.check()
    templates = [
        TopicTemplate(f"{prefix}/gw/{{gw}}/batch", "batch"),
        TopicTemplate(f"{prefix}/m/{{meter}}", "single", "{meter}"),
    ]
    conn = MqttConnector("mqtt", client_id=client_id, topics=templates, protocol=protocol)
    collector = Collector([conn], sink, state_dir=state)  # the default collector settings
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    await asyncio.wait_for(conn.connected.wait(), 30)
    publisher = _Publisher(*_feed(prefix, form, messages, readings))
    await asyncio.sleep(1.0)
    start = publisher.start()
    total = messages * readings if form == "batch" else messages
    while collector.stats["mqtt"].readings_total < total:  # every message decoded, submitted
        await asyncio.sleep(0.002)
        if task.done():
            raise SystemExit("collector stopped")
    # the stream ends here: what is pending is committed now, as a continuing stream would
    # have it committed by the readings that follow (the batch timer bounds latency only)
    await collector.batcher.flush()
    while collector.batcher.accepted_total + collector.batcher.duplicates_total < total:
        await asyncio.sleep(0.002)
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
    COMMITS.setdefault((form, protocol), []).append(collector.batcher.committed_batches)
    return elapsed


def _direct_run(url: str, messages: int, readings: int) -> float:
    """The same readings as columns through ``ingest_columns``, in commits of the collector's
    ``batch_max_readings``; timed from the first commit to the last."""
    import numpy as np

    from lingtan.connectors.collector.config import CollectorSettings
    from lingtan.ingest import ingest_columns
    from lingtan.store import open_store

    store = open_store(url)
    try:
        points = store.registry.points_by_code()
        pids = np.tile(np.array([points[f"P{j}"].id for j in range(readings)], np.int64), messages)
        t0 = int(T0.timestamp()) * 1_000_000
        ts = np.repeat(t0 + np.arange(messages, dtype=np.int64) * 60_000_000, readings)
        values = np.arange(messages * readings, dtype=np.float64)
        step = CollectorSettings().batch_max_readings
        start = time.perf_counter()
        accepted = 0
        for k in range(0, len(ts), step):
            accepted += ingest_columns(
                store, pids[k : k + step], ts[k : k + step], values[k : k + step]
            ).accepted
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    if accepted != len(ts):
        raise SystemExit(f"direct pipeline accepted {accepted} of {len(ts)}")
    return elapsed


def _pg_schema() -> tuple[str, Any] | None:
    return pg_schema("bench_collect") if pg_reachable() else None


def _engine_run(engine: str, what: str, form: str, messages: int, readings: int) -> float | None:
    """One run into a fresh database; ``None`` when the engine is not reachable.

    ``what``: ``direct`` (no MQTT), ``collector`` (MQTT 5) or ``collector-3.1.1``."""
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
            if what == "direct":
                return _direct_run(url, messages, readings)
            protocol = "3.1.1" if what.endswith("3.1.1") else "5"
            return asyncio.run(
                _collector_run(url, Path(tmp) / "state", form, messages, readings, protocol)
            )
        finally:
            if drop is not None:
                drop()


def _best_of(repeat: int, runs: dict[str, Any]) -> dict[str, list[float]]:
    """Each run ``repeat`` times, interleaved, so a busy spell of the machine hits every line."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            elapsed = run()
            if elapsed is not None:
                times[name].append(elapsed)
    return times


def mqtt_part(messages: int, readings: int, engines: list[str], repeat: int) -> list[str]:
    if not reachable(*MQTT):
        return ["mqtt: skipped (Mosquitto not reachable on 127.0.0.1:1883)"]
    total = messages * readings
    runs: dict[str, Any] = {
        "count-only": lambda: asyncio.run(_baseline("batch", messages, readings))
    }
    for engine in engines:
        runs[f"direct {engine}"] = lambda e=engine: _engine_run(
            e, "direct", "batch", messages, readings
        )
        runs[f"collector {engine}"] = lambda e=engine: _engine_run(
            e, "collector", "batch", messages, readings
        )
    times = _best_of(repeat, runs)
    base = min(times["count-only"])
    lines = [
        f"mqtt: {messages} batch messages x {readings} readings = {total} readings, QoS 1 "
        f"(best of {repeat})",
        f"  {'':28s} {'s':>7s} {'readings/s':>11s}  {'/count':>6s}  {'/direct':>7s}",
        f"  {'count-only subscriber':28s} {base:7.2f} {total / base:11.0f}  {1:6.3f}",
    ]
    for engine in engines:
        if not times[f"direct {engine}"]:
            lines.append(f"  {engine}: skipped (not reachable)")
            continue
        direct = min(times[f"direct {engine}"])
        best = min(times[f"collector {engine}"])
        lines += [
            f"  {'direct pipeline -> ' + engine:28s} {direct:7.2f} {total / direct:11.0f}"
            f"  {base / direct:6.3f}",
            f"  {'collector -> ' + engine:28s} {best:7.2f} {total / best:11.0f}"
            f"  {base / best:6.3f}  {direct / best:7.3f}",
        ]
    commits = COMMITS.get(("batch", "5"), [])
    if commits:
        lines.append(f"  collector commits per run: {min(commits)}-{max(commits)}")
    lines.append(
        "  (/count, /direct: readings/s as a ratio to the count-only subscriber and to the direct"
        " pipeline of the same engine)"
    )
    return lines


def single_part(messages: int, meters: int, repeat: int) -> list[str]:
    if not reachable(*MQTT):
        return ["single: skipped (Mosquitto not reachable on 127.0.0.1:1883)"]
    runs: dict[str, Any] = {
        "count-only": lambda: asyncio.run(_baseline("single", messages, meters)),
        "collector 5": lambda: _engine_run("sqlite", "collector", "single", messages, meters),
        "collector 3.1.1": lambda: _engine_run(
            "sqlite", "collector-3.1.1", "single", messages, meters
        ),
    }
    times = _best_of(repeat, runs)
    base = min(times["count-only"])
    lines = [
        f"single: {messages} messages of one reading ({meters} meters), QoS 1 (best of {repeat})",
        f"  {'count-only subscriber':32s} {base:7.2f} s {messages / base:9.0f} readings/s  1.000",
    ]
    for name, label in (("collector 5", "MQTT 5, window 1000"),
                        ("collector 3.1.1", "MQTT 3.1.1, broker window")):  # fmt: skip
        best = min(times[name])
        commits = COMMITS.get(("single", name.split()[1]), [])
        lines.append(
            f"  {'collector -> sqlite, ' + label:32s} {best:7.2f} s {messages / best:9.0f}"
            f" readings/s  {base / best:.3f}  commits per run {min(commits)}-{max(commits)}"
        )
    lines.append(
        "  (the publisher, one QoS 1 publish at a time, bounds the rate here; what the window"
        " changes is how many commits the same messages take)"
    )
    return lines


async def _opcua_runs(ticks: int, seconds: float) -> tuple[int, float, int, float]:
    from lingtan.connectors.base import ConnectorContext, ConnectorStats
    from lingtan.connectors.collector.config import parse_config
    from lingtan.connectors.opcua.client import OpcuaConnector
    from lingtan.connectors.opcua.sim import VARIABLES, SimulatedServer

    loop = asyncio.get_running_loop()
    received: list[int] = [0]
    last: list[float] = [0.0]

    async def submit(readings: Any, *, on_committed: Any = None) -> None:
        received[0] += len(readings)
        last[0] = loop.time()
        if on_committed is not None:
            on_committed()

    def context() -> ConnectorContext:
        return ConnectorContext("bench", submit, ConnectorStats("bench", "opcua"), lambda e: None)

    def connector(endpoint: str, **extra: Any) -> OpcuaConnector:
        nodes = [{"node": f"ns=2;s={v}", "point": v} for v in VARIABLES]
        entry = {"kind": "opcua", "name": "bench", "endpoint": endpoint, "nodes": nodes, **extra}
        cfg = parse_config({"connectors": [entry]}).connectors[0]
        return OpcuaConnector(cfg)  # type: ignore[arg-type]

    start = dt.datetime.now(tz=dt.UTC) - dt.timedelta(seconds=ticks + 60)
    sim = SimulatedServer(tick_s=3600.0, start=start, step_s=1.0)
    await sim.start()
    try:
        for _ in range(ticks):
            sim.advance()
            await sim.write()
            await asyncio.sleep(0.02)
        history = connector(sim.endpoint, backfill_h=(ticks + 120) / 3600)
        expected = 3 * (ticks + 1)
        t0 = loop.time()
        task = asyncio.ensure_future(history.run(context()))
        while received[0] < expected and loop.time() - t0 < 60:
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        history_n, history_s = received[0], last[0] - t0
    finally:
        await sim.stop()
    received[0] = 0
    sim = SimulatedServer(tick_s=0.01)
    await sim.start()
    try:
        live = connector(sim.endpoint, sampling_interval_ms=5, publishing_interval_ms=50)
        task = asyncio.ensure_future(live.run(context()))
        await asyncio.wait_for(live.connected.wait(), 30)
        received[0] = 0
        t0 = loop.time()
        await asyncio.sleep(seconds)
        live_n, live_s = received[0], loop.time() - t0
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        await sim.stop()
    return history_n, history_s, live_n, live_s


def opcua_part(ticks: int, seconds: float) -> list[str]:
    history_n, history_s, live_n, live_s = asyncio.run(_opcua_runs(ticks, seconds))
    return [
        f"opcua: simulated server on loopback, 3 variables ({ticks} ticks of history)",
        f"  {'history read (backfill)':32s} {history_s:7.2f} s {history_n / history_s:9.0f}"
        f" readings/s  ({history_n} readings: the {3 * (ticks + 1)} historized values and the"
        " subscription's current ones)",
        f"  {'live subscription':32s} {live_s:7.2f} s {live_n / live_s:9.0f} readings/s"
        "  (the simulator writes 300 changes/s)",
    ]


# --------------------------------------------------------------------------- iec104


def _iec104_readings(points: int, rounds: int) -> tuple[Any, Any, Any]:
    """The readings the RTU sends, as columns (point ids are filled by the caller): round r,
    point j has the time tag T0 + r s and the value r × 1000 + j (exact in single precision)."""
    import numpy as np

    t0 = int(T0.timestamp()) * 1_000_000
    ts = np.repeat(t0 + np.arange(1, rounds + 1, dtype=np.int64) * 1_000_000, points)
    values = np.repeat(np.arange(1, rounds + 1), points) * 1000 + np.tile(np.arange(points), rounds)
    return np.tile(np.arange(points), rounds), ts, values.astype(np.float64)


async def _iec104_collector_run(url: str | None, state: Path, points: int, rounds: int) -> float:
    """The simulated RTU with ``points`` M_ME_TF_1 objects sends ``rounds`` spontaneous changes
    of each (one ASDU per change, as RTUs report changes; its k window paces them); the
    connector decodes them and the collector commits them into the store at ``url`` — or,
    without ``url``, only counts them (the count-only line: the transport and the decoding, no
    store). Timed from the first change sent to the last reading committed (counted); the
    general interrogation's answers at connect come before."""
    from lingtan.config import load_settings
    from lingtan.connectors.base import ConnectorContext, ConnectorStats
    from lingtan.connectors.collector.config import parse_config
    from lingtan.connectors.collector.runner import Collector
    from lingtan.connectors.collector.sink import StoreSink
    from lingtan.connectors.iec104.client import Iec104Connector
    from lingtan.connectors.iec104.sim import SimulatedRtu, free_port

    port = free_port()
    sim = SimulatedRtu(port=port, objects={1 + j: "M_ME_TF_1" for j in range(points)})
    for j in range(points):
        sim.set_value(1 + j, 0.0, at=T0, transmit=False)
    await sim.start()
    entry = {
        "kind": "iec104", "name": "bench", "host": "127.0.0.1", "port": port,
        "common_address": 1, "time_zone": "UTC", "counter_interrogation_interval_s": 0,
        "points": [{"ioa": 1 + j, "type": "M_ME_TF_1", "point": f"P{j}"} for j in range(points)],
    }  # fmt: skip
    connector = Iec104Connector(parse_config({"connectors": [entry]}).connectors[0])  # type: ignore[arg-type]
    stop = asyncio.Event()
    sink: StoreSink | None = None
    collector: Collector | None = None
    if url is not None:
        sink = StoreSink(load_settings(database_url=url))
        sink.check()
        collector = Collector([connector], sink, state_dir=state)  # the default settings
        stats = collector.stats["bench"]
        task = asyncio.ensure_future(collector.run(stop))
    else:
        stats = ConnectorStats("bench", "iec104")
        counted = [0]

        async def count(readings: Any, *, on_committed: Any = None) -> None:
            counted[0] += len(readings)

        context = ConnectorContext("bench", count, stats, lambda e: None)
        task = asyncio.ensure_future(connector.run(context))

    def done() -> int:
        if collector is None:
            return counted[0]
        return collector.batcher.accepted_total + collector.batcher.duplicates_total

    async def until(what: str, reached: Any) -> None:
        limit = time.perf_counter() + 120
        while not reached():
            await asyncio.sleep(0.002)
            if task.done():
                raise SystemExit("collector stopped")
            if time.perf_counter() > limit:
                raise SystemExit(f"{what}: not reached in 120 s")

    try:
        await asyncio.wait_for(connector.connected.wait(), 30)
        # the general interrogation's answers (values at T0)
        await until("interrogation stored", lambda: done() >= points)
        total = points + points * rounds
        start = time.perf_counter()
        for r in range(1, rounds + 1):
            at = T0 + dt.timedelta(seconds=r)
            for j in range(points):
                sim.set_value(1 + j, float(r * 1000 + j), at=at)
        await until("changes received", lambda: stats.readings_total >= total)
        if collector is not None:
            # the stream ends here: what is pending is committed now (as in the mqtt part)
            await collector.batcher.flush()
        await until("changes stored", lambda: done() >= total)
        elapsed = time.perf_counter() - start
    finally:
        if collector is not None:
            stop.set()
            await task
        else:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if sink is not None:
            sink.close()
        await sim.stop()
    if collector is not None and collector.batcher.rejected_total:
        raise SystemExit(f"{collector.batcher.rejected_total} readings rejected")
    return elapsed


def _iec104_direct_run(url: str, points: int, rounds: int) -> float:
    """The same readings as columns through ``ingest_columns``, in commits of the collector's
    ``batch_max_readings``; timed from the first commit to the last."""
    import numpy as np

    from lingtan.connectors.collector.config import CollectorSettings
    from lingtan.ingest import ingest_columns
    from lingtan.store import open_store

    store = open_store(url)
    try:
        codes = store.registry.points_by_code()
        index, ts, values = _iec104_readings(points, rounds)
        pids = np.array([codes[f"P{j}"].id for j in range(points)], np.int64)[index]
        step = CollectorSettings().batch_max_readings
        start = time.perf_counter()
        accepted = 0
        for k in range(0, len(ts), step):
            accepted += ingest_columns(
                store, pids[k : k + step], ts[k : k + step], values[k : k + step]
            ).accepted
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    if accepted != len(ts):
        raise SystemExit(f"direct pipeline accepted {accepted} of {len(ts)}")
    return elapsed


def _iec104_engine_run(engine: str, what: str, points: int, rounds: int) -> float | None:
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
            store.registry.save_park(_park(points))
            store.close()
            if what == "direct":
                return _iec104_direct_run(url, points, rounds)
            return asyncio.run(_iec104_collector_run(url, Path(tmp) / "state", points, rounds))
        finally:
            if drop is not None:
                drop()


def iec104_part(points: int, rounds: int, engines: list[str], repeat: int) -> list[str]:
    total = points * rounds
    runs: dict[str, Any] = {
        "count-only": lambda: asyncio.run(_iec104_collector_run(None, Path(), points, rounds))
    }
    for engine in engines:
        runs[f"direct {engine}"] = lambda e=engine: _iec104_engine_run(e, "direct", points, rounds)
        runs[f"collector {engine}"] = lambda e=engine: _iec104_engine_run(
            e, "collector", points, rounds
        )
    times = _best_of(repeat, runs)
    lines = [
        f"iec104: {rounds} spontaneous changes x {points} M_ME_TF_1 objects = {total} readings,"
        f" simulated RTU on loopback (best of {repeat})",
        f"  {'':28s} {'s':>7s} {'readings/s':>11s}  {'/direct':>7s}",
        f"  {'connector, count-only':28s} {min(times['count-only']):7.2f}"
        f" {total / min(times['count-only']):11.0f}",
    ]
    for engine in engines:
        if not times[f"direct {engine}"]:
            lines.append(f"  {engine}: skipped (not reachable)")
            continue
        direct = min(times[f"direct {engine}"])
        best = min(times[f"collector {engine}"])
        lines += [
            f"  {'direct pipeline -> ' + engine:28s} {direct:7.2f} {total / direct:11.0f}",
            f"  {'collector -> ' + engine:28s} {best:7.2f} {total / best:11.0f}"
            f"  {direct / best:7.3f}",
        ]
    lines.append(
        "  (/direct: readings/s as a ratio to the direct pipeline of the same engine; the"
        " connector's lines include the RTU sending, one ASDU per change, k = 12, w = 8)"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="modbus,mqtt,single,opcua")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--messages", type=int, default=800)
    parser.add_argument("--readings", type=int, default=500)
    parser.add_argument("--single-messages", type=int, default=800)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--opcua-ticks", type=int, default=500)
    parser.add_argument("--opcua-seconds", type=float, default=3.0)
    parser.add_argument("--iec104-points", type=int, default=400)
    parser.add_argument("--iec104-rounds", type=int, default=25)
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"bench/collect.py on {os.cpu_count()} CPU(s), {dt.datetime.now(tz=dt.UTC):%Y-%m-%d %H:%M}"
        f" UTC, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    parts = args.parts.split(",")
    if "modbus" in parts:
        print("\n".join(modbus_part(args.cycles)))
    if "mqtt" in parts:
        print(
            "\n".join(mqtt_part(args.messages, args.readings, args.engines.split(","), args.repeat))
        )
    if "single" in parts:
        print("\n".join(single_part(args.single_messages, args.readings, args.repeat)))
    if "bacnet" in parts:
        print("\n".join(bacnet_part(args.cycles)))
    if "opcua" in parts:
        print("\n".join(opcua_part(args.opcua_ticks, args.opcua_seconds)))
    if "iec104" in parts:
        print(
            "\n".join(
                iec104_part(
                    args.iec104_points, args.iec104_rounds, args.engines.split(","), args.repeat
                )
            )
        )
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
