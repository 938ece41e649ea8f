"""BACnet/IP over loopback: the simulator answers Who-Is, ReadPropertyMultiple and
SubscribeCOV; the collector polls it (and receives COV notifications) into a SQLite store;
a faulty object's values are refused with ``bacnet_status``; a silent device is reported
lost. Two bacpypes3 applications bind 127.0.0.1 on two UDP ports."""

from __future__ import annotations

import asyncio
import socket
from decimal import Decimal
from pathlib import Path

import pytest

from lingtan.config import load_settings
from lingtan.connectors.bacnet import client
from lingtan.connectors.bacnet.client import discover
from lingtan.connectors.bacnet.sim import STATUS, SimulatedDevice
from lingtan.connectors.collector.buffer import read_state
from lingtan.connectors.collector.config import CollectorSettings, build_connector, parse_config
from lingtan.connectors.collector.runner import STATE_FILE, Collector
from lingtan.connectors.collector.sink import StoreSink
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import open_store
from tests.connectors.conftest import Recorder, wait_until

PARK = """\
park:
  id: bac
  name: 楼宇自控测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 测试企业
points:
  - id: B-power
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
  - id: B-energy
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
  - id: B-run
    carrier: other
    kind: measurement
    unit: "1"
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(sim_port: int, client_port: int, *, cov: bool = True) -> dict[str, object]:
    return {
        "connectors": [
            {
                "kind": "bacnet",
                "name": "bms",
                "interface": "127.0.0.1/8",
                "port": client_port,
                "timeout_s": 0.5,
                "retry_initial_s": 0.2,
                "retry_max_s": 0.5,
                "devices": [
                    {
                        "name": "sim",
                        "instance": 1001,
                        "address": f"127.0.0.1:{sim_port}",
                        "poll_interval_s": 0.3,
                        "cov": cov,
                        "cov_lifetime_s": 60,
                        "objects": [
                            {"type": "analog-input", "instance": 1, "point": "B-power"},
                            {
                                "type": "accumulator",
                                "instance": 1,
                                "point": "B-energy",
                                "unit": "kWh",
                            },
                            {"type": "binary-input", "instance": 1, "point": "B-run"},
                        ],
                    }
                ],
            }
        ]
    }


async def test_discover_finds_the_simulator() -> None:
    sim = SimulatedDevice(1001, port=free_udp_port())
    sim.start()
    try:
        found = await discover(
            "127.0.0.1/8", free_udp_port(), target=f"127.0.0.1:{sim.port}", wait_s=1.0
        )
    finally:
        sim.stop()
    assert [(f.instance, f.address, f.vendor) for f in found] == [
        (1001, f"127.0.0.1:{sim.port}", 999)
    ]


async def test_poll_and_cov_into_a_sqlite_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    store = open_store(url)
    try:
        store.registry.save_park(parse_park_text(PARK))
    finally:
        store.close()
    # 123450 counts of 0.1 kWh: 12345.0 kWh at start
    sim = SimulatedDevice(1001, port=free_udp_port(), power_kw=42.5, energy_counts=123_450)
    sim.start()
    updates = asyncio.create_task(sim.run(0.1))
    parsed = parse_config(config(sim.port, free_udp_port()))
    connector = build_connector(parsed.connectors[0])
    sink = StoreSink(load_settings(database_url=url))
    collector = Collector(
        [connector], sink, state_dir=tmp_path / "state",
        settings=CollectorSettings(batch_max_delay_s=0.1),
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        await wait_until(
            lambda: collector.batcher.accepted_total >= 12 and connector.cov_readings >= 2,  # type: ignore[attr-defined]
            limit_s=15, what="polled and COV readings stored",
        )  # fmt: skip
        sim.set_flags(STATUS, fault=True)
        await wait_until(
            lambda: collector.batcher.rejected_total >= 1,
            limit_s=10, what="the faulty binary input refused",
        )  # fmt: skip
    finally:
        stop.set()
        await task
        sink.close()
        updates.cancel()
        sim.stop()
    store = open_store(url, migrate=False)
    try:
        points = store.registry.points_by_code()
        _, energy = store.readings.fetch(points["B-energy"].id)
        _, power = store.readings.fetch(points["B-power"].id)
        _, run = store.readings.fetch(points["B-run"].id)
        quarantined = store.readings.rejected()
    finally:
        store.close()
    energy_values = energy.tolist()
    # the counter only grows, from 12345.0 kWh, in whole counts of 0.1 kWh
    assert energy_values == sorted(energy_values)
    assert energy_values[0] >= 12345.0
    assert all(Decimal(repr(v)) % Decimal("0.1") == 0 for v in energy_values)
    # the power varies within 42.5 ± 2 kW (the simulator's sine)
    assert len(power) >= 2
    assert all(40.5 <= v <= 44.5 for v in power.tolist())
    # active = 1, and nothing after the fault flag
    assert set(run.tolist()) == {1.0}
    # the faulted values are in the store's quarantine, filed under the point at their instant
    # with the value the device sent (active = 1) and the flags; nothing else was refused
    assert quarantined
    assert {r["reason"] for r in quarantined} == {"bacnet_status"}
    assert {r["point_code"] for r in quarantined} == {"B-run"}
    assert all(r["ts"] is not None and r["value_text"] == "1" for r in quarantined)
    assert all("status flag fault set" in r["detail"] for r in quarantined)
    assert all("status-flags=fault" in r["raw"] for r in quarantined)
    # and no longer among the collector's rejected payloads (those are for undecodable frames)
    state = read_state(tmp_path / "state" / STATE_FILE)
    assert state["rejected_payloads"] == []


async def test_a_silent_device_is_reported_lost() -> None:
    # nothing listens on the device's port: every poll times out
    parsed = parse_config(config(free_udp_port(), free_udp_port(), cov=False))
    connector = build_connector(parsed.connectors[0])
    recording = Recorder("bms", "bacnet")
    task = asyncio.create_task(connector.run(recording.ctx))
    try:
        await wait_until(
            lambda: any(e.kind == "comms_lost" for e in recording.events),
            limit_s=10, what="comms lost",
        )  # fmt: skip
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    lost = next(e for e in recording.events if e.kind == "comms_lost")
    assert lost.device == "sim"
    assert lost.points == ("B-power", "B-energy", "B-run")
    assert recording.readings == []


async def test_read_property_fallback_reads_each_property() -> None:
    # a device that does not take ReadPropertyMultiple: the connector reads property by property
    sim = SimulatedDevice(1001, port=free_udp_port(), energy_counts=500)
    sim.start()
    parsed = parse_config(config(sim.port, free_udp_port(), cov=False))
    connector = build_connector(parsed.connectors[0])
    connector.devices[0].rpm = False  # type: ignore[attr-defined]
    recording = Recorder("bms", "bacnet")
    task = asyncio.create_task(connector.run(recording.ctx))
    try:
        await wait_until(lambda: len(recording.readings) >= 3, limit_s=10, what="three readings")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        sim.stop()
    first = {r.point: r.value for r in recording.readings[:3]}
    # 500 counts × 0.1 kWh = 50.0 kWh; the power as set; the binary input active
    assert first == {"B-power": 42.5, "B-energy": 50.0, "B-run": 1}


async def test_read_property_multiple_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # two objects per request: the three objects take two requests, all read in one poll
    monkeypatch.setattr(client, "RPM_OBJECTS", 2)
    sim = SimulatedDevice(1001, port=free_udp_port(), energy_counts=500)
    sim.start()
    parsed = parse_config(config(sim.port, free_udp_port(), cov=False))
    connector = build_connector(parsed.connectors[0])
    recording = Recorder("bms", "bacnet")
    task = asyncio.create_task(connector.run(recording.ctx))
    try:
        await wait_until(lambda: len(recording.readings) >= 3, limit_s=10, what="three readings")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        sim.stop()
    assert connector.devices[0].rpm  # type: ignore[attr-defined]
    first = {r.point: r.value for r in recording.readings[:3]}
    assert first == {"B-power": 42.5, "B-energy": 50.0, "B-run": 1}


async def test_cov_is_subscribed_again_after_the_device_was_away() -> None:
    # a 1 s lifetime: the library renews it after 1 s; while the device is away the renewal
    # fails and the connector subscribes again once it is back
    port = free_udp_port()
    sim = SimulatedDevice(1001, port=port)
    sim.start()
    updates = asyncio.create_task(sim.run(0.1))
    raw = config(port, free_udp_port())
    raw["connectors"][0]["devices"][0]["cov_lifetime_s"] = 1  # type: ignore[index]
    raw["connectors"][0]["devices"][0]["poll_interval_s"] = 30  # type: ignore[index]
    connector = build_connector(parse_config(raw).connectors[0])
    recording = Recorder("bms", "bacnet")
    task = asyncio.create_task(connector.run(recording.ctx))
    try:
        await wait_until(lambda: connector.cov_readings >= 2, limit_s=10, what="COV readings")  # type: ignore[attr-defined]
        updates.cancel()
        sim.stop()
        await wait_until(lambda: connector.resubscriptions >= 1, limit_s=10, what="renewal failed")  # type: ignore[attr-defined]
        before = connector.cov_readings  # type: ignore[attr-defined]
        sim.start()
        updates = asyncio.create_task(sim.run(0.1))
        await wait_until(
            lambda: connector.cov_readings >= before + 2,  # type: ignore[attr-defined]
            limit_s=10, what="COV readings again",
        )  # fmt: skip
    finally:
        task.cancel()
        updates.cancel()
        await asyncio.gather(task, updates, return_exceptions=True)
        sim.stop()
