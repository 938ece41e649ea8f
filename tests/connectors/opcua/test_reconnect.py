"""OPC UA reconnection: the server goes away and comes back on the same port; the connector
reports the loss, reconnects with back-off, and reads back (HistoryRead from its last committed
value) what the server sampled before the subscription was up again — nothing is lost."""

from __future__ import annotations

import asyncio
import datetime as dt

from lingtan.connectors.collector.config import build_connector, parse_config
from lingtan.connectors.opcua.client import OpcuaConnector
from lingtan.connectors.opcua.sim import SimulatedServer
from tests.connectors.conftest import Recorder, wait_until


async def test_reconnects_and_backfills_the_gap() -> None:
    start = dt.datetime.now(tz=dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    first = SimulatedServer(tick_s=3600.0, start=start, step_s=600.0)
    port = await first.start()
    config = parse_config(
        {
            "connectors": [
                {
                    "kind": "opcua",
                    "name": "line1",
                    "endpoint": first.endpoint,
                    "sampling_interval_ms": 20,
                    "publishing_interval_ms": 50,
                    "retry_initial_s": 0.2,
                    "retry_max_s": 0.5,
                    "nodes": [{"node": "ns=2;s=Line1.Energy", "point": "E-line1"}],
                }
            ]
        }
    )
    connector = build_connector(config.connectors[0])
    assert isinstance(connector, OpcuaConnector)
    recorder = Recorder("line1", "opcua")
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    second: SimulatedServer | None = None
    try:
        await asyncio.wait_for(connector.connected.wait(), 15)
        written = [first.clock]
        for _ in range(2):
            first.advance()
            await first.write()
            written.append(first.clock)
            await asyncio.sleep(0.12)
        await wait_until(
            lambda: connector.committed.get("ns=2;s=Line1.Energy") == written[-1], limit_s=10,
            what="first values committed",
        )  # fmt: skip
        await first.stop()
        await wait_until(
            lambda: any(e.kind == "comms_lost" for e in recorder.events), limit_s=10,
            what="loss reported",
        )  # fmt: skip
        # the server comes back where it stopped and samples at once, before the client is in
        second = SimulatedServer(
            tick_s=3600.0, start=first.clock, step_s=600.0, energy_kwh=first.energy
        )
        second.ticks = first.ticks
        await second.start(port=port)
        for _ in range(4):
            second.advance()
            await second.write()
            written.append(second.clock)
            await asyncio.sleep(0.02)
        await wait_until(
            lambda: set(written) <= {r.ts for r in recorder.readings}, limit_s=15,
            what="every sampled value read, live or from the history",
        )  # fmt: skip
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if second is not None:
            await second.stop()
    kinds = [e.kind for e in recorder.events]
    assert kinds == ["comms_lost", "comms_restored"]
    assert recorder.events[0].points == ("E-line1",)
    assert connector.sessions == 2
    assert connector.history is True  # the gap was asked of the server's history
    assert connector.committed["ns=2;s=Line1.Energy"] == written[-1]
