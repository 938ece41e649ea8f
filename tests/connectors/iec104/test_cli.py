"""``lingtan iec104 simulate`` in a subprocess, read by the connector of the worked example
configuration (its port and zone changed for the test)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from lingtan.connectors.collector.config import build_connector, load_config, parse_config
from lingtan.connectors.iec104.sim import free_port
from tests.connectors.conftest import Recorder, wait_until

EXAMPLE = Path(__file__).parents[3] / "docs" / "examples" / "connectors" / "iec104.yaml"


async def test_the_simulator_is_read_with_the_worked_example() -> None:
    port = free_port()
    cmd = [
        sys.executable, "-c", "from lingtan.cli import main; main()",
        "iec104", "simulate", "--port", str(port), "--tick", "0.2",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    raw = load_config(EXAMPLE).model_dump(mode="json")
    raw["connectors"][0]["port"] = port
    connector = build_connector(parse_config(raw).connectors[0])
    recording = Recorder("substation-110kv", "iec104")
    task: asyncio.Task[None] | None = None
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        assert f"127.0.0.1:{port}" in line, proc.stderr.read() if proc.stderr else ""
        task = asyncio.create_task(connector.run(recording.ctx))
        await wait_until(
            lambda: {r.point for r in recording.readings} >= {"S110-P", "S110-U", "S110-E",
                                                               "S110-QF1"},
            limit_s=15, what="every mapped object read",
        )  # fmt: skip
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    first = {r.point: r.value for r in reversed(recording.readings)}
    # the simulator's start values: 10.5 kV, 123450 counts × 0.01 = 1234.5 kWh, breaker closed
    assert (first["S110-U"], first["S110-E"], first["S110-QF1"]) == (10.5, 1234.5, 1)
    assert all(r.reason is None for r in recording.readings)
