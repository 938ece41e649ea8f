"""IEC 104 over loopback: the simulated RTU and the connector in one process, both on lingtan's
own APCI. A time-tagged float is stored at the RTU's time, integrated totals arrive by
counter interrogation, an invalid value ends in the quarantine, and a restarted RTU is
reconnected and read again."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from lingtan.config import load_settings
from lingtan.connectors.collector.config import CollectorSettings, build_connector, parse_config
from lingtan.connectors.collector.runner import Collector
from lingtan.connectors.collector.sink import StoreSink
from lingtan.connectors.iec104.sim import ENERGY, POWER, SimulatedRtu, free_port
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import open_store
from tests.connectors.conftest import Recorder, connector_running, wait_until

PARK = """\
park:
  id: rtu
  name: 变电站测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 测试企业
points:
  - id: S-power
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
  - id: S-energy
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
  - id: S-breaker
    carrier: other
    kind: measurement
    unit: "1"
"""


def config(port: int, **over: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "iec104",
        "name": "rtu",
        "host": "127.0.0.1",
        "port": port,
        "common_address": 1,
        "time_zone": "UTC",  # the simulator writes its time tags in UTC
        "timeout_s": 2,
        "retry_initial_s": 0.2,
        "retry_max_s": 0.5,
        "interrogation_interval_s": 0,
        "counter_interrogation_interval_s": 0.3,
        "points": [
            {"ioa": POWER, "type": "M_ME_TF_1", "point": "S-power", "unit": "kW"},
            # counts of 0.01 kWh
            {"ioa": ENERGY, "type": "M_IT_NA_1", "point": "S-energy", "scale": 0.01, "unit": "kWh"},
            {"ioa": 3001, "type": "M_SP_NA_1", "point": "S-breaker"},
        ],
    }
    entry.update(over)
    return {"connectors": [entry]}


async def test_values_counters_and_quality_into_a_sqlite_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    store = open_store(url)
    try:
        store.registry.save_park(parse_park_text(PARK))
    finally:
        store.close()
    port = free_port()
    sim = SimulatedRtu(port=port, power_kw=42.5, energy_counts=123_450)
    await sim.start()
    # a generous connection timeout: a loaded machine must not make a reconnection here
    connector = build_connector(parse_config(config(port, timeout_s=5)).connectors[0])
    sink = StoreSink(load_settings(database_url=url))
    collector = Collector(
        [connector], sink, state_dir=tmp_path / "state",
        settings=CollectorSettings(batch_max_delay_s=0.1),
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    at = dt.datetime(2026, 3, 1, 8, 0, 0, 250_000, tzinfo=dt.UTC)
    try:
        await wait_until(lambda: collector.batcher.accepted_total >= 3, limit_s=10,
                         what="the interrogations' answers stored")  # fmt: skip
        sim.set_measured(POWER, 43.25, at=at)
        sim.set_measured(POWER, 44.0, at=at + dt.timedelta(seconds=1), quality=("IV",))
        sim.set_counter(ENERGY, 123_456)  # read by the next counter interrogation
        await wait_until(
            lambda: collector.batcher.rejected_total >= 1
            and connector.counter_interrogations >= 3,  # type: ignore[attr-defined]
            limit_s=10, what="the invalid value refused and the counter read again",
        )  # fmt: skip
        # actcon of the third counter interrogation follows, on the one ordered link, the
        # actterm of the general and of the first two counter interrogations
        assert connector.terminations >= 3  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)  # the batch of the last counter reading
    finally:
        stop.set()
        await task
        sink.close()
        await sim.stop()
    store = open_store(url, migrate=False)
    try:
        points = store.registry.points_by_code()
        power_ts, power = store.readings.fetch(points["S-power"].id)
        _, energy = store.readings.fetch(points["S-energy"].id)
        _, breaker = store.readings.fetch(points["S-breaker"].id)
        quarantined = store.readings.rejected()
    finally:
        store.close()
    # the time-tagged value at the RTU's time: 2026-03-01 08:00:00.25 UTC in µs
    at_us = 1_772_352_000 * 1_000_000 + 250_000
    stored = dict(zip(power_ts.tolist(), power.tolist(), strict=True))
    assert stored[at_us] == 43.25
    # 123450 counts × 0.01 = 1234.5 kWh at connect; 123456 × 0.01 = 1234.56 after the change
    assert energy.tolist()[0] == 1234.5
    assert 1234.56 in energy.tolist()
    assert set(breaker.tolist()) == {1.0}
    # the invalid value: not stored, in the quarantine at its instant with its value
    assert at_us + 1_000_000 not in stored
    (kept,) = quarantined
    assert (kept["reason"], kept["point_code"], kept["value_text"]) == (
        "iec104_quality",
        "S-power",
        "44.0",
    )
    assert kept["ts_text"] == (at + dt.timedelta(seconds=1)).isoformat()
    assert kept["detail"] == "IEC 104 quality IV (invalid)"


async def test_a_restarted_rtu_is_reconnected_and_read_again() -> None:
    port = free_port()
    sim = SimulatedRtu(port=port, energy_counts=123_450)
    await sim.start()
    connector = build_connector(
        parse_config(config(port, counter_interrogation_interval_s=0, timeout_s=5)).connectors[0]
    )
    recording = Recorder("rtu", "iec104")
    task = asyncio.create_task(connector.run(recording.ctx))

    def energies() -> list[object]:
        return [r.value for r in recording.readings if r.point == "S-energy"]

    try:
        await wait_until(lambda: 1234.5 in energies(), limit_s=10, what="first counter")
        await sim.stop()
        await wait_until(lambda: any(e.kind == "comms_lost" for e in recording.events),
                         limit_s=10, what="comms lost")  # fmt: skip
        # the RTU comes back having counted 50 more (0.5 kWh): the counter interrogation after
        # the reconnection brings them, nothing of the outage is lost
        sim = SimulatedRtu(port=port, energy_counts=123_500)
        await sim.start()
        await wait_until(lambda: 1235.0 in energies(), limit_s=15,
                         what="the counter after the reconnection")  # fmt: skip
        sim.set_measured(POWER, 41.0)
        await wait_until(
            lambda: any(r.point == "S-power" and r.value == 41.0 for r in recording.readings),
            limit_s=10, what="spontaneous values again",
        )  # fmt: skip
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sim.stop()
    # the counter before the outage, then the one the RTU counted meanwhile: nothing else
    assert energies()[0] == 1234.5 and energies()[-1] == 1235.0
    assert set(energies()) == {1234.5, 1235.0}
    kinds = [e.kind for e in recording.events]
    assert (kinds[0], kinds[-1]) == ("comms_lost", "comms_restored")
    assert recording.events[0].points == ("S-power", "S-energy", "S-breaker")
    assert connector.sessions >= 2  # type: ignore[attr-defined]


async def test_an_rtu_that_is_not_there_is_reported_lost() -> None:
    connector = build_connector(parse_config(config(free_port())).connectors[0])
    async with connector_running(connector, "rtu", "iec104") as recording:
        await wait_until(lambda: any(e.kind == "comms_lost" for e in recording.events),
                         limit_s=10, what="comms lost")  # fmt: skip
    assert recording.readings == []
    assert recording.ctx.stats.state == "reconnecting"


async def test_a_sequence_error_closes_the_link_and_the_connector_reconnects() -> None:
    port = free_port()
    sim = SimulatedRtu(port=port)
    await sim.start()
    connector = build_connector(
        parse_config(config(port, counter_interrogation_interval_s=0, timeout_s=5)).connectors[0]
    )
    recording = Recorder("rtu", "iec104")
    task = asyncio.create_task(connector.run(recording.ctx))

    def powers() -> list[object]:
        return [r.value for r in recording.readings if r.point == "S-power"]

    try:
        await wait_until(lambda: 42.5 in powers() and sim.connections == 1, limit_s=10,
                         what="the general interrogation's answer")  # fmt: skip
        (link,) = sim.links
        # the RTU skips five sequence numbers: the next I-frame's N(S) is not the expected one
        link.send_seq = link.acked = (link.send_seq + 5) % 32_768
        sim.set_measured(POWER, 40.0)
        await wait_until(lambda: any(e.kind == "comms_lost" for e in recording.events),
                         limit_s=10, what="the link closed")  # fmt: skip
        await wait_until(lambda: connector.sessions >= 2 and sim.connections == 1,  # type: ignore[attr-defined]
                         limit_s=10, what="a new connection")  # fmt: skip
        sim.set_measured(POWER, 41.0)
        await wait_until(lambda: 41.0 in powers(), limit_s=10, what="spontaneous values again")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sim.stop()
    lost = next(e for e in recording.events if e.kind == "comms_lost")
    assert "SequenceError" in lost.detail and "expected" in lost.detail
    # the frame out of sequence (time-tagged, spontaneous) is not taken: the standard closes
    # the connection instead; the value comes with the interrogation after the reconnection,
    # untagged (M_ME_NC_1), at the receive time
    forty = [r for r in recording.readings if r.point == "S-power" and r.value == 40.0]
    assert forty and all(r.source.endswith(":rx") for r in forty)
    assert [e.kind for e in recording.events] == ["comms_lost", "comms_restored"]


async def test_an_interrogation_refused_by_the_rtu_ends_the_session() -> None:
    port = free_port()
    sim = SimulatedRtu(port=port, common_address=1)
    await sim.start()
    # the entry reads common address 2, which the RTU answers with cause 46 (unknown address)
    connector = build_connector(parse_config(config(port, common_address=2)).connectors[0])
    async with connector_running(connector, "rtu", "iec104", sim=sim) as recording:
        await wait_until(lambda: any(e.kind == "comms_lost" for e in recording.events),
                         limit_s=10, what="comms lost")  # fmt: skip
    lost = next(e for e in recording.events if e.kind == "comms_lost")
    assert "general interrogation of 2 not confirmed" in lost.detail
    # sent three times, each refused: the RTU saw no interrogation of its own address
    assert sim.interrogations == 0
    assert recording.readings == []
