"""OPC UA over loopback: the simulated server, the client subscribing through the collector
into a SQLite store (normalised hours follow), and a history read of values written before the
client connected.

The simulator's clock is driven by the test (``advance`` + ``write``): each tick moves it 15
minutes, so a few seconds of test give hours of data; it never runs past the wall clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from lingtan.config import load_settings
from lingtan.connectors.collector.config import CollectorSettings, build_connector, parse_config
from lingtan.connectors.collector.runner import Collector
from lingtan.connectors.collector.sink import StoreSink
from lingtan.connectors.opcua.client import OpcuaConnector, browse
from lingtan.connectors.opcua.config import OpcuaEndpoint
from lingtan.connectors.opcua.sim import SimulatedServer
from lingtan.normalize.service import normalise_pending
from lingtan.registry import parse_park_text
from lingtan.store import open_store
from lingtan.timeutil import to_us
from tests.connectors.conftest import Recorder, wait_until

PARK = """\
park:
  id: opcua
  name: OPC UA 测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 测试企业
points:
  - id: E-line1
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
  - id: P-line1
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
  - id: N-line1
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
"""
NODES = [
    {"node": "ns=2;s=Line1.Energy", "point": "E-line1", "unit": "kWh"},
    {"node": "ns=2;s=Line1.Power", "point": "P-line1", "unit": "kW"},
]


def hours_ago(n: int) -> dt.datetime:
    now = dt.datetime.now(tz=dt.UTC).replace(minute=0, second=0, microsecond=0)
    return now - dt.timedelta(hours=n)


@pytest.fixture
async def sim() -> AsyncIterator[SimulatedServer]:
    # ticks only when the test says so (tick_s of an hour); 15 simulated minutes per tick
    server = SimulatedServer(tick_s=3600.0, start=hours_ago(4), step_s=900.0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def ticks(sim: SimulatedServer, n: int, *, pause_s: float = 0.12) -> None:
    for _ in range(n):
        sim.advance()
        await sim.write()
        await asyncio.sleep(pause_s)  # longer than the sampling and publishing intervals


async def test_browse_shows_the_simulated_line(sim: SimulatedServer) -> None:
    nodes = await browse(OpcuaEndpoint(endpoint=sim.endpoint))
    by_id = {n.node_id: n for n in nodes}
    assert by_id["ns=2;s=Line1"].node_class == "Object"
    energy = by_id["ns=2;s=Line1.Energy"]
    assert (energy.depth, energy.browse_name, energy.node_class) == (1, "2:Energy", "Variable")
    assert energy.value == "1000.0"
    assert not any(n.node_id.startswith("i=") for n in nodes)  # namespace 0 left out


async def test_subscription_feeds_the_store_and_hours_follow(
    sim: SimulatedServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'opcua.db'}"
    store = open_store(url)
    store.registry.save_park(parse_park_text(PARK))
    store.close()
    config = parse_config(
        {
            "connectors": [
                {
                    "kind": "opcua",
                    "name": "line1",
                    "endpoint": sim.endpoint,
                    "sampling_interval_ms": 20,
                    "publishing_interval_ms": 50,
                    "nodes": NODES,
                }
            ]
        }
    )
    (connector,) = [build_connector(c) for c in config.connectors]
    assert isinstance(connector, OpcuaConnector)
    sink = StoreSink(load_settings(database_url=url))
    collector = Collector(
        [connector],
        sink,
        state_dir=tmp_path / "state",
        settings=CollectorSettings(batch_max_delay_s=0.1),
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    written: list[tuple[dt.datetime, float]] = [(sim.clock, sim.energy)]  # type: ignore[list-item]
    try:
        await asyncio.wait_for(connector.connected.wait(), 15)
        for _ in range(16):  # 16 × 15 min = 4 h
            await ticks(sim, 1)
            written.append((sim.clock, sim.energy))  # type: ignore[arg-type]
        await wait_until(
            lambda: collector.batcher.accepted_total >= 2 * len(written), limit_s=10,
            what="every written value stored",
        )  # fmt: skip
    finally:
        stop.set()
        await task
        sink.close()
    store = open_store(url, migrate=False)
    try:
        points = store.registry.points_by_code()
        ts, values = store.readings.fetch(points["E-line1"].id)
        assert ts.tolist() == [to_us(t) for t, _ in written]
        assert values.tolist() == pytest.approx([v for _, v in written])
        assert store.readings.rejected_count() == 0
        normalise_pending(store)
        t0 = hours_ago(4)
        hours = store.stats.hours(
            None, [points["E-line1"].id], to_us(t0), to_us(t0 + dt.timedelta(hours=5))
        )[points["E-line1"].id]
        # the register ran from hours_ago(4) to hours_ago(0): four whole measured hours, whose
        # consumption adds up to the register's advance (last − first written value); the
        # current hour, after the last reading, is not measured (yet)
        whole = [to_us(t0 + dt.timedelta(hours=k)) for k in range(4)]
        assert hours["hours"].tolist()[:4] == whole
        assert hours["measured_s"].tolist()[:4] == [3600.0] * 4
        advance = written[-1][1] - written[0][1]
        assert float(np.sum(hours["value"][:4])) == pytest.approx(advance)
    finally:
        store.close()


async def test_history_read_backfills_values_written_before_the_client(
    sim: SimulatedServer,
) -> None:
    await ticks(sim, 8, pause_s=0.03)  # 2 h of values, historized by the server
    written = sim.clock
    config = parse_config(
        {
            "connectors": [
                {
                    "kind": "opcua",
                    "name": "line1",
                    "endpoint": sim.endpoint,
                    "backfill_h": 6,
                    "nodes": NODES,
                }
            ]
        }
    )
    connector = build_connector(config.connectors[0])
    assert isinstance(connector, OpcuaConnector)
    recorder = Recorder("line1", "opcua")
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        # the initial write and 8 ticks: 9 values per node; the subscription's first value
        # repeats the newest one
        await wait_until(
            lambda: len({(r.point, r.ts) for r in recorder.readings}) >= 18, limit_s=10,
            what="history read back",
        )  # fmt: skip
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    energy = sorted({r.ts for r in recorder.readings if r.point == "E-line1"})
    assert len(energy) == 9
    assert energy[0] == hours_ago(4) and energy[-1] == written
    assert connector.history is True
    assert connector.committed["ns=2;s=Line1.Energy"] == written


async def test_a_bad_status_is_refused_not_stored_as_a_value(sim: SimulatedServer) -> None:
    config = parse_config(
        {"connectors": [{"kind": "opcua", "name": "line1", "endpoint": sim.endpoint,
                         "sampling_interval_ms": 20, "publishing_interval_ms": 50,
                         "nodes": NODES}]}
    )  # fmt: skip
    connector = build_connector(config.connectors[0])
    assert isinstance(connector, OpcuaConnector)
    recorder = Recorder("line1", "opcua")
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await asyncio.wait_for(connector.connected.wait(), 15)
        sim.status["Line1.Power"] = 0x808C_0000  # BadSensorFailure
        await ticks(sim, 1)
        bad_at = sim.clock
        await wait_until(
            lambda: any(r.reason == "opcua_bad_status" for r in recorder.readings),
            limit_s=10, what="refused power value",
        )  # fmt: skip
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    refused = [r for r in recorder.readings if r.reason is not None]
    assert {r.point for r in refused} == {"P-line1"}
    assert all("BadSensorFailure" in (r.problem or "") for r in refused)
    assert [r.ts for r in refused] == [bad_at]
    # the last committed value of the power node is the last good one, not a refused one
    assert connector.committed["ns=2;s=Line1.Power"] < max(r.ts for r in refused)  # type: ignore[operator]
