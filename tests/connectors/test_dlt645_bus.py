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
from lingtan.errors import InvalidInput, Unavailable

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


async def test_dlt645_poller_reads_a_block_in_one_request_and_maps_each_item(
    recorder: Recorder,
) -> None:
    meter = SimulatedMeter(
        ADDRESS,
        {
            0x02010100: "230.1",
            0x02010200: "229.8",
            0x02010300: "231.0",
            0x02030000: "3.0000",
            0x02030100: "1.2000",
            0x02030200: "-0.2000",
            0x02030300: "2.0000",
            0x00010000: "100.25",
        },
    )
    bus, port = await start_bus(meter)
    config = MeterConfig(
        ADDRESS,
        {
            0x02010100: "E01-ua",
            0x02010200: "E01-ub",
            0x02010300: "E01-uc",
            0x02030000: "E01-p",
            0x02030200: "E01-pb",  # phases A and C of the power block are not mapped
            0x00010000: "E01-main",
        },
        poll_interval_s=3600,  # one cycle
        blocks=(0x0201FF00, 0x0203FF00),
    )
    connector = Dlt645Connector("bus", lambda: TcpGatewayTransport("127.0.0.1", port), [config])
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: len(recorder.readings) >= 6, what="one poll cycle")
        got = {r.point: (r.value, r.unit) for r in recorder.readings}
        assert got == {
            "E01-ua": (230.1, "V"),
            "E01-ub": (229.8, "V"),
            "E01-uc": (231.0, "V"),
            "E01-p": (3.0, "kW"),
            "E01-pb": (-0.2, "kW"),
            "E01-main": (100.25, "kWh"),
        }
        # two block requests and one single request, not six
        assert bus.requests == 3
        # the items of one answer were measured together: one timestamp per block
        voltage_ts = {r.ts for r in recorder.readings if r.point.startswith("E01-u")}
        assert len(voltage_ts) == 1
        assert not recorder.rejects
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


async def test_dlt645_block_item_that_is_not_bcd_reaches_ingest_and_the_others_are_read(
    recorder: Recorder,
) -> None:
    # phase B voltage bytes FF FF are not BCD; A and C are fine
    meter = SimulatedMeter(
        ADDRESS, {0x02010100: "230.1", 0x02010200: "raw:ffff", 0x02010300: "231.0"}
    )
    bus, port = await start_bus(meter)
    config = MeterConfig(
        ADDRESS,
        {0x02010100: "UA", 0x02010200: "UB", 0x02010300: "UC"},
        poll_interval_s=3600,
        blocks=(0x0201FF00,),
    )
    connector = Dlt645Connector("bus", lambda: TcpGatewayTransport("127.0.0.1", port), [config])
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: len(recorder.readings) >= 3, what="one poll cycle")
        got = {r.point: r for r in recorder.readings}
        assert got["UA"].value == 230.1 and got["UC"].value == 231.0
        assert got["UB"].value == "bcd:ffff" and got["UB"].raw and "68" in got["UB"].raw
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


async def test_dlt645_block_answer_of_the_wrong_length_is_kept_as_a_rejected_payload(
    recorder: Recorder,
) -> None:
    # a voltage block answer with 5 value bytes instead of 3 × 2
    meter = SimulatedMeter(ADDRESS, {0x0201FF00: "raw:0122102298", 0x00010000: "1"})
    bus, port = await start_bus(meter)
    config = MeterConfig(
        ADDRESS,
        {0x02010100: "UA", 0x02010200: "UB", 0x00010000: "E"},
        poll_interval_s=3600,
        blocks=(0x0201FF00,),
    )
    connector = Dlt645Connector("bus", lambda: TcpGatewayTransport("127.0.0.1", port), [config])
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: bool(recorder.readings), what="the single reading")
        assert [r.point for r in recorder.readings] == ["E"]
        ((source, reason, raw),) = recorder.rejects
        assert reason == "dlt645_bad_value" and "needs 6 value bytes" in raw
        assert source == f"dlt645:bus/{ADDRESS}" and "68 78 56 34 12 00 00 68 91" in raw
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


async def test_dlt645_meter_without_the_block_answers_no_requested_data(
    recorder: Recorder,
) -> None:
    meter = SimulatedMeter(ADDRESS, {0x02010100: "230.1"})  # B and C are not held
    bus, port = await start_bus(meter)
    config = MeterConfig(ADDRESS, {0x02010100: "UA"}, poll_interval_s=3600, blocks=(0x0201FF00,))
    connector = Dlt645Connector("bus", lambda: TcpGatewayTransport("127.0.0.1", port), [config])
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: bool(recorder.rejects), what="the refused block")
        ((_, reason, raw),) = recorder.rejects
        assert reason == "dlt645_unexpected_answer" and "no requested data" in raw
        assert recorder.readings == []
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


def test_dlt645_block_without_a_mapped_item_is_a_configuration_error() -> None:
    with pytest.raises(InvalidInput, match="0203FF00"):
        MeterConfig(ADDRESS, {0x02010100: "UA"}, blocks=(0x0203FF00,))
    with pytest.raises(InvalidInput):
        MeterConfig(ADDRESS, {0x02010100: "UA"}, blocks=(0x02010100,))  # not a block
