"""DL/T 645 transports and poller against the simulated meter over TCP."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from lingtan.connectors.dlt645.data_ids import decode_value
from lingtan.connectors.dlt645.frame import (
    BadChecksum,
    BadEndByte,
    read_address_request,
    read_request,
)
from lingtan.connectors.dlt645.poller import Dlt645Connector, MeterConfig
from lingtan.connectors.dlt645.sim import SimulatedBus, SimulatedMeter
from lingtan.connectors.dlt645.transport import SerialTransport, TcpGatewayTransport
from lingtan.errors import Unavailable

from .conftest import Recorder, wait_until

ADDRESS = "000012345678"


async def start_bus(*meters: SimulatedMeter) -> tuple[SimulatedBus, int]:
    bus = SimulatedBus(list(meters))
    port = await bus.start()
    return bus, port


async def test_dlt645_tcp_gateway_reads_the_simulated_meter() -> None:
    bus, port = await start_bus(SimulatedMeter(ADDRESS, {0x00010000: "12345.67"}))
    transport = TcpGatewayTransport("127.0.0.1", port)
    try:
        answer = await transport.exchange(read_request(ADDRESS, "00010000").encode(), timeout=2)
        assert answer.address == ADDRESS and answer.control == 0x91
        assert decode_value(0x00010000, answer.payload) == Decimal("12345.67")
        who = await transport.exchange(read_address_request().encode(), timeout=2)
        assert who.control == 0x93 and who.address == ADDRESS
    finally:
        await transport.close()
        await bus.stop()


async def test_dlt645_serial_transport_through_a_pyserial_url() -> None:
    bus, port = await start_bus(SimulatedMeter(ADDRESS, {0x02010100: "230.1"}))
    transport = SerialTransport(f"socket://127.0.0.1:{port}")
    try:
        answer = await transport.exchange(read_request(ADDRESS, "02010100").encode(), timeout=3)
        assert decode_value(0x02010100, answer.payload) == Decimal("230.1")
    finally:
        await transport.close()
        await bus.stop()


async def test_dlt645_gateway_that_dropped_an_idle_connection_is_reconnected_once() -> None:
    bus, port = await start_bus(SimulatedMeter(ADDRESS, {0x00010000: "1.5"}))
    transport = TcpGatewayTransport("127.0.0.1", port)
    request = read_request(ADDRESS, "00010000").encode()
    try:
        await transport.exchange(request, timeout=2)
        bus.drop_clients()
        await asyncio.sleep(0.05)
        answer = await transport.exchange(request, timeout=2)
        assert decode_value(0x00010000, answer.payload) == Decimal("1.5")
    finally:
        await transport.close()
        await bus.stop()


async def test_dlt645_silent_meter_is_unavailable() -> None:
    bus, port = await start_bus(SimulatedMeter(ADDRESS, {0x00010000: 1}, silent=True))
    transport = TcpGatewayTransport("127.0.0.1", port)
    try:
        with pytest.raises(Unavailable):
            await transport.exchange(read_request(ADDRESS, "00010000").encode(), timeout=0.3)
    finally:
        await transport.close()
        await bus.stop()


async def test_dlt645_broken_answers_raise_their_own_error_and_the_next_exchange_works() -> None:
    bus, port = await start_bus(SimulatedMeter(ADDRESS, {0x00010000: 5}))
    bus.faults = ["checksum", "end_byte"]
    transport = TcpGatewayTransport("127.0.0.1", port)
    request = read_request(ADDRESS, "00010000").encode()
    try:
        with pytest.raises(BadChecksum):
            await transport.exchange(request, timeout=2)
        with pytest.raises(BadEndByte):
            await transport.exchange(request, timeout=2)
        answer = await transport.exchange(request, timeout=2)
        assert decode_value(0x00010000, answer.payload) == 5
    finally:
        await transport.close()
        await bus.stop()


async def test_dlt645_poller_turns_answers_into_readings_with_units(recorder: Recorder) -> None:
    meter = SimulatedMeter(ADDRESS, {0x00010000: "100.25", 0x02030000: "-1.5", 0x02010100: "231.0"})
    bus, port = await start_bus(meter)
    config = MeterConfig(
        ADDRESS,
        {0x00010000: "E01-main", 0x02030000: "E01-power", 0x02010100: "E01-ua"},
        poll_interval_s=0.05,
    )
    connector = Dlt645Connector("bus", lambda: TcpGatewayTransport("127.0.0.1", port), [config])
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: len(recorder.readings) >= 6, what="two poll cycles")
        first = {r.point: r for r in recorder.readings[:3]}
        assert first["E01-main"].value == 100.25 and first["E01-main"].unit == "kWh"
        assert first["E01-power"].value == -1.5 and first["E01-power"].unit == "kW"
        assert first["E01-ua"].value == 231.0 and first["E01-ua"].unit == "V"
        assert all(r.raw is None and r.source == f"dlt645:bus/{ADDRESS}" for r in first.values())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


async def test_dlt645_poller_counts_bad_frames_and_meter_errors_and_keeps_polling(
    recorder: Recorder,
) -> None:
    meter = SimulatedMeter(ADDRESS, {0x00010000: "7"})  # 02010100 is not held: abnormal answer
    bus, port = await start_bus(meter)
    bus.faults = ["checksum", "truncate"]
    config = MeterConfig(ADDRESS, {0x00010000: "E", 0x02010100: "U"}, poll_interval_s=0.05)
    connector = Dlt645Connector(
        "bus",
        lambda: TcpGatewayTransport("127.0.0.1", port),
        [config],
        timeout_s=0.3,
        retry_initial_s=0.1,
    )
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(
            lambda: sum(r.point == "E" for r in recorder.readings) >= 3, what="readings"
        )
        reasons = {reason for _, reason, _ in recorder.rejects}
        assert "dlt645_bad_checksum" in reasons
        assert "dlt645_unexpected_answer" in reasons  # the meter has no 02010100
        assert recorder.ctx.stats.errors_total >= 2
        assert {r.point for r in recorder.readings} == {"E"}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


async def test_dlt645_invalid_bcd_from_the_meter_reaches_ingest_as_a_bad_value(
    recorder: Recorder,
) -> None:
    meter = SimulatedMeter(ADDRESS, {0x00010000: "raw:ffffffff"})
    bus, port = await start_bus(meter)
    config = MeterConfig(ADDRESS, {0x00010000: "E"}, poll_interval_s=0.05)
    connector = Dlt645Connector("bus", lambda: TcpGatewayTransport("127.0.0.1", port), [config])
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: bool(recorder.readings), what="a reading")
        reading = recorder.readings[0]
        assert reading.value == "bcd:ffffffff" and reading.raw and "68" in reading.raw
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


async def test_dlt645_silent_meter_raises_comms_lost_once_then_restored(recorder: Recorder) -> None:
    meter = SimulatedMeter(ADDRESS, {0x00010000: "1"})
    bus, port = await start_bus(meter)
    config = MeterConfig(ADDRESS, {0x00010000: "E"}, poll_interval_s=0.05)
    connector = Dlt645Connector(
        "bus",
        lambda: TcpGatewayTransport("127.0.0.1", port),
        [config],
        timeout_s=0.2,
        lost_after=2,
        retry_initial_s=0.1,
    )
    connector_task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: bool(recorder.readings), what="first reading")
        meter.silent = True
        await wait_until(lambda: any(e.kind == "comms_lost" for e in recorder.events), what="lost")
        count = len(recorder.readings)
        meter.silent = False
        meter.values[0x00010000] = "2"
        await wait_until(
            lambda: any(e.kind == "comms_restored" for e in recorder.events), what="restored"
        )
        assert [e.kind for e in recorder.events] == ["comms_lost", "comms_restored"]
        assert {r.value for r in recorder.readings[count:]} <= {2.0}
        assert {r.value for r in recorder.readings[:count]} == {1.0}
    finally:
        connector_task.cancel()
        await asyncio.gather(connector_task, return_exceptions=True)
        await bus.stop()
