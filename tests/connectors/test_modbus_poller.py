"""Modbus poller against a pymodbus server on loopback: block reads, faults, comms events."""

from __future__ import annotations

import asyncio
import math

import pytest

from lingtan.connectors.modbus.library import load_template
from lingtan.connectors.modbus.poller import (
    DeviceConfig,
    ModbusConnector,
    ModbusReader,
    _DeviceState,
    poll_device,
)
from lingtan.connectors.modbus.probe import probe
from lingtan.connectors.modbus.registers import Block, DataType, RegisterSpec
from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway
from lingtan.errors import InvalidInput, Unavailable

from .conftest import Recorder, wait_until


def device_for(template_id: str, unit: int = 1, **kwargs: object) -> DeviceConfig:
    template = load_template(template_id)
    return DeviceConfig(
        name=f"{template_id}-{unit}",
        unit=unit,
        specs=list(template.registers),
        points={k: f"{template_id}.{k}" for k in template.keys},
        max_gap=template.max_gap,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_modbus_poll_reads_the_schneider_template_in_blocks() -> None:
    template = load_template("schneider_iem3255")
    sim = SimulatedDevice(1, template.registers)
    sim.set("energy_import_total", 987_654_321.0)
    sim.set("voltage_a", 230.5)
    gateway = SimulatedGateway([sim], strict=False)
    port = await gateway.start()
    reader = ModbusReader("127.0.0.1", port, timeout_s=2)
    try:
        device = device_for("schneider_iem3255")
        state = _DeviceState(device, device.blocks())
        readings = await poll_device(reader, state, source="t")
        assert reader.requests == len(device.blocks()) < len(template.registers)
        by_point = {r.point: r for r in readings}
        assert len(by_point) == len(template.registers)
        assert by_point["schneider_iem3255.energy_import_total"].value == 987_654_321.0
        assert by_point["schneider_iem3255.energy_import_total"].unit == "Wh"
        assert by_point["schneider_iem3255.voltage_a"].value == pytest.approx(230.5)
        assert all(r.ts.tzinfo is not None for r in readings)  # type: ignore[union-attr]
    finally:
        reader.close()
        await gateway.stop()


async def test_modbus_one_request_per_point_when_block_reads_are_off() -> None:
    template = load_template("acrel_adl3000e")
    sim = SimulatedDevice(3, template.registers)
    gateway = SimulatedGateway([sim])
    port = await gateway.start()
    reader = ModbusReader("127.0.0.1", port)
    try:
        device = device_for("acrel_adl3000e", unit=3, block_reads=False)
        readings = await poll_device(reader, _DeviceState(device, device.blocks()), source="t")
        assert reader.requests == len(template.registers) == len(readings)
        block_device = device_for("acrel_adl3000e", unit=3)
        before = reader.requests
        await poll_device(reader, _DeviceState(block_device, block_device.blocks()), source="t")
        assert reader.requests - before == 1
    finally:
        reader.close()
        await gateway.stop()


async def test_modbus_block_refused_as_illegal_address_is_split_once() -> None:
    specs = [RegisterSpec("a", 0, DataType.UINT16), RegisterSpec("b", 10, DataType.UINT16)]
    sim = SimulatedDevice(1, specs)
    sim.set("a", 1)
    sim.set("b", 2)
    gateway = SimulatedGateway([sim], strict=True)  # the hole 1..9 is an illegal address
    port = await gateway.start()
    reader = ModbusReader("127.0.0.1", port)
    try:
        device = DeviceConfig("d", 1, specs, {"a": "A", "b": "B"}, max_gap=16)
        state = _DeviceState(device, device.blocks())
        assert len(state.blocks) == 1
        first = await poll_device(reader, state, source="t")
        assert sorted((r.point, r.value) for r in first) == [("A", 1.0), ("B", 2.0)]
        assert len(state.blocks) == 2
        before = reader.requests
        await poll_device(reader, state, source="t")
        assert reader.requests - before == 2
    finally:
        reader.close()
        await gateway.stop()


async def test_modbus_nan_register_is_passed_on_with_its_raw_registers() -> None:
    specs = [RegisterSpec("p", 0, DataType.FLOAT32, unit="kW")]
    sim = SimulatedDevice(1, specs)
    sim.set_registers(0, [0x7FC0, 0x0000])
    gateway = SimulatedGateway([sim])
    port = await gateway.start()
    reader = ModbusReader("127.0.0.1", port)
    try:
        device = DeviceConfig("d", 1, specs, {"p": "P"})
        (reading,) = await poll_device(reader, _DeviceState(device, device.blocks()), source="t")
        assert isinstance(reading.value, float) and math.isnan(reading.value)
        assert reading.raw == "p@0=7fc00000"
    finally:
        reader.close()
        await gateway.stop()


async def test_modbus_gateway_exception_0b_means_the_meter_is_silent() -> None:
    specs = [RegisterSpec("e", 0, DataType.UINT32, unit="kWh")]
    sim = SimulatedDevice(1, specs)
    sim.exception = 0x0B
    gateway = SimulatedGateway([sim])
    port = await gateway.start()
    reader = ModbusReader("127.0.0.1", port)
    try:
        device = DeviceConfig("d", 1, specs, {"e": "E"})
        with pytest.raises(Unavailable):
            await poll_device(reader, _DeviceState(device, device.blocks()), source="t")
    finally:
        reader.close()
        await gateway.stop()


async def test_modbus_unreachable_gateway_is_unavailable() -> None:
    gateway = SimulatedGateway([SimulatedDevice(1, [RegisterSpec("a", 0)])])
    port = await gateway.start()
    await gateway.stop()
    reader = ModbusReader("127.0.0.1", port, timeout_s=1)
    device = DeviceConfig("d", 1, [RegisterSpec("a", 0)], {"a": "A"})
    with pytest.raises(Unavailable):
        await poll_device(reader, _DeviceState(device, device.blocks()), source="t")
    reader.close()


async def test_modbus_comms_loss_is_an_event_and_no_reading_is_invented(recorder: Recorder) -> None:
    specs = [RegisterSpec("e", 0, DataType.UINT32, unit="kWh", kind="total_increasing")]
    sim = SimulatedDevice(1, specs)
    sim.set("e", 100)
    gateway = SimulatedGateway([sim])
    port = await gateway.start()
    device = DeviceConfig("meter-1", 1, specs, {"e": "E"}, poll_interval_s=0.05)
    connector = ModbusConnector(
        "gw", "127.0.0.1", port, [device], timeout_s=1, lost_after=2, retry_initial_s=0.1
    )
    task = asyncio.ensure_future(connector.run(recorder.ctx))
    try:
        await wait_until(lambda: len(recorder.readings) >= 3, what="first readings")
        sim.exception = 0x0B  # the meter behind the gateway stops answering
        await wait_until(
            lambda: any(e.kind == "comms_lost" for e in recorder.events), what="comms lost"
        )
        silent_count = len(recorder.readings)
        assert recorder.ctx.stats.devices["meter-1"].lost
        sim.exception = None
        sim.set("e", 101)
        await wait_until(
            lambda: any(e.kind == "comms_restored" for e in recorder.events), what="comms restored"
        )
        await wait_until(lambda: len(recorder.readings) > silent_count, what="readings again")
        # every reading is a value the meter returned; none was made up for the silent period
        assert {r.value for r in recorder.readings} <= {100.0, 101.0}
        assert [e.kind for e in recorder.events] == ["comms_lost", "comms_restored"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await gateway.stop()


async def test_modbus_probe_reads_one_value_in_every_order() -> None:
    spec = RegisterSpec("v", 0x2006, DataType.FLOAT32, scale=0.1, unit="V")
    sim = SimulatedDevice(5, [spec])
    sim.set("v", 231.4)
    gateway = SimulatedGateway([sim])
    port = await gateway.start()
    try:
        result = await probe(
            "127.0.0.1", port=port, unit=5, address=0x2006, dtype=DataType.FLOAT32, order="abcd"
        )
        assert result.registers == [0x4510, 0xA000]
        assert result.values["ABCD"] == 2314.0
        assert result.chosen_order == "ABCD"
        with pytest.raises(InvalidInput):
            await probe("127.0.0.1", port=port, unit=5, address=0x3000, dtype=DataType.FLOAT32)
    finally:
        await gateway.stop()


def test_modbus_device_config_checks_points_against_registers() -> None:
    with pytest.raises(InvalidInput):
        DeviceConfig("d", 1, [RegisterSpec("a", 0)], {"b": "B"})
    with pytest.raises(InvalidInput):
        DeviceConfig("d", 300, [RegisterSpec("a", 0)], {"a": "A"})


async def test_device_loop_stops_when_a_library_loses_the_cancellation(
    recorder: Recorder,
) -> None:
    class LosingReader:
        """Answers like pymodbus when Python 3.11's wait_for loses a cancellation
        (CPython gh-86296): the request is swallowed and the registers are returned."""

        def __init__(self) -> None:
            self.inside = asyncio.Event()
            self.lost = 0

        async def read(self, unit: int, block: Block) -> list[int]:
            if not self.inside.is_set():
                self.inside.set()
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    self.lost += 1
            return [0] * block.count

    device = device_for(
        "schneider_iem3255", poll_interval_s=60.0
    )  # the default: no next round soon
    connector = ModbusConnector("gw", "127.0.0.1", 1, [device])
    reader = LosingReader()
    task = asyncio.create_task(connector._device_loop(recorder.ctx, reader, device))  # type: ignore[arg-type]
    try:
        await reader.inside.wait()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=5)
        assert reader.lost == 1
        assert task in done and task.cancelled(), "the loop went on polling after cancel()"
    finally:
        task.cancel()
