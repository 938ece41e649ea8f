"""Modbus TCP poller: block reads of the configured registers of every device on a gateway.

One connection per gateway (host:port); each device (unit id) is polled on its own interval
and its registers are read in blocks of at most 125 registers (``registers.plan_blocks``).
pymodbus errors become :class:`~lingtan.errors.Unavailable`; a device that stops answering
raises a comms-loss event after ``lost_after`` failed cycles and is retried with back-off. A
gateway answering exception 0x0A/0x0B (path unavailable, target failed to respond) is
treated the same way: the meter behind it is silent. A block refused with exception 0x02
(illegal address) is split into one read per register, once, and remembered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from lingtan.connectors.base import Backoff, ConnectorContext, raise_if_cancelled, utcnow
from lingtan.connectors.modbus.registers import (
    Block,
    RegisterSpec,
    decode_block,
    plan_blocks,
)
from lingtan.errors import InvalidInput, Unavailable
from lingtan.readings import Reading

log = logging.getLogger(__name__)

_GATEWAY_SILENT = {0x0A, 0x0B}
_ILLEGAL_ADDRESS = 0x02


class ModbusDeviceError(Exception):
    """The device answered with a Modbus exception code."""

    def __init__(self, code: int, block: Block) -> None:
        what = "writing" if block.function == 16 else "reading"
        super().__init__(f"exception {code:#04x} {what} {block.count} registers at {block.start}")
        self.code = code


@dataclass
class DeviceConfig:
    """One Modbus device (unit id) and the registers to read from it."""

    name: str
    unit: int
    #: register rows to read, each mapped to a point
    specs: list[RegisterSpec]
    #: register key → metering point id
    points: dict[str, str]
    poll_interval_s: float = 60.0
    max_gap: int = 0
    block_reads: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.unit <= 255:
            raise InvalidInput(
                f"device {self.name}: unit id {self.unit} outside 0..255", field="unit"
            )
        missing = set(self.points) - {s.key for s in self.specs}
        if missing:
            raise InvalidInput(
                f"device {self.name}: no register for {sorted(missing)}", field="points"
            )
        self.specs = [s for s in self.specs if s.key in self.points]
        if not self.specs:
            raise InvalidInput(f"device {self.name}: no register mapped to a point", field="points")
        if self.poll_interval_s <= 0:
            raise InvalidInput("poll_interval_s must be positive", field="poll_interval_s")

    def blocks(self) -> list[Block]:
        """The reads of one poll cycle."""
        if not self.block_reads:
            return [Block(s.function, s.address, s.count, (s,)) for s in self.specs]
        return plan_blocks(self.specs, max_gap=self.max_gap)


@dataclass
class _DeviceState:
    device: DeviceConfig
    blocks: list[Block]
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=2.0, maximum=300.0))


class ModbusReader:
    """Reads blocks from one gateway; one request at a time on one TCP connection."""

    def __init__(self, host: str, port: int = 502, *, timeout_s: float = 3.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.requests = 0
        self._client = AsyncModbusTcpClient(
            host, port=port, timeout=timeout_s, retries=0, reconnect_delay=0
        )
        self._lock = asyncio.Lock()

    async def _connect(self) -> None:
        if not self._client.connected:
            try:
                ok = await self._client.connect()
            except (OSError, ModbusException) as err:
                raise Unavailable(f"cannot connect to {self.host}:{self.port}: {err}") from err
            if not ok:
                raise Unavailable(f"cannot connect to {self.host}:{self.port}")

    async def write(self, unit: int, address: int, registers: Sequence[int]) -> None:
        """Write ``registers`` from ``address`` of device ``unit`` (function 16, write multiple
        registers). ``Unavailable`` when the device does not answer in time;
        :class:`ModbusDeviceError` when it answers with an exception."""
        async with self._lock:
            await self._connect()
            self.requests += 1
            try:
                response = await self._client.write_registers(
                    address, list(registers), device_id=unit
                )
            except (ModbusException, OSError, TimeoutError) as err:
                self._client.close()
                raise Unavailable(f"{self.host}:{self.port} unit {unit}: {err}") from err
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            if code in _GATEWAY_SILENT:
                raise Unavailable(f"gateway reports unit {unit} silent (exception {code:#04x})")
            raise ModbusDeviceError(code, Block(16, address, len(registers)))

    async def read(self, unit: int, block: Block) -> list[int]:
        """The registers of ``block`` from device ``unit``."""
        async with self._lock:
            await self._connect()
            self.requests += 1
            try:
                if block.function == 4:
                    response = await self._client.read_input_registers(
                        block.start, count=block.count, device_id=unit
                    )
                else:
                    response = await self._client.read_holding_registers(
                        block.start, count=block.count, device_id=unit
                    )
            except (ModbusException, OSError, TimeoutError) as err:
                self._client.close()
                raise Unavailable(f"{self.host}:{self.port} unit {unit}: {err}") from err
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            if code in _GATEWAY_SILENT:
                raise Unavailable(f"gateway reports unit {unit} silent (exception {code:#04x})")
            raise ModbusDeviceError(code, block)
        registers = list(response.registers)
        if len(registers) < block.count:
            raise ModbusDeviceError(0, block)
        return registers

    def close(self) -> None:
        """Close the connection."""
        self._client.close()


class ModbusConnector:
    """Polls the devices behind one Modbus TCP gateway (or one meter with Ethernet)."""

    kind = "modbus"

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        devices: list[DeviceConfig],
        *,
        timeout_s: float = 3.0,
        lost_after: int = 2,
        retry_initial_s: float = 2.0,
        retry_max_s: float = 300.0,
    ) -> None:
        self.name = name
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.host = host
        self.port = port
        self.devices = devices
        self.timeout_s = timeout_s
        self.lost_after = lost_after

    async def run(self, ctx: ConnectorContext) -> None:
        """Poll every device until cancelled."""
        reader = ModbusReader(self.host, self.port, timeout_s=self.timeout_s)
        ctx.stats.state = "running"
        try:
            async with asyncio.TaskGroup() as group:
                for device in self.devices:
                    group.create_task(self._device_loop(ctx, reader, device))
        finally:
            reader.close()

    async def _device_loop(
        self, ctx: ConnectorContext, reader: ModbusReader, device: DeviceConfig
    ) -> None:
        state = _DeviceState(
            device, device.blocks(), Backoff(initial=self.retry_initial_s, maximum=self.retry_max_s)
        )
        while True:
            raise_if_cancelled()
            started = time.monotonic()
            try:
                readings = await poll_device(
                    reader, state, source=f"modbus:{self.name}/{device.name}", ctx=ctx
                )
            except Unavailable as err:
                raise_if_cancelled()  # before a back-off of up to retry_max_s
                ctx.device_failed(
                    device.name, str(err), lost_after=self.lost_after,
                    points=tuple(device.points.values()),
                )  # fmt: skip
                await asyncio.sleep(state.backoff.next_delay())
                continue
            # the request is where a lost cancellation happens: check before the next wait
            raise_if_cancelled()
            ctx.device_ok(device.name, points=tuple(device.points.values()))
            state.backoff.reset()
            if readings:
                ctx.stats.record_readings(len(readings))
                await ctx.submit(readings)
            elapsed = time.monotonic() - started
            await asyncio.sleep(max(0.0, device.poll_interval_s - elapsed))


async def poll_device(
    reader: ModbusReader,
    state: _DeviceState,
    *,
    source: str,
    ctx: ConnectorContext | None = None,
) -> list[Reading]:
    """One poll cycle of one device: every block, decoded into readings."""
    device = state.device
    readings: list[Reading] = []
    for block in list(state.blocks):
        try:
            registers = await reader.read(device.unit, block)
        except ModbusDeviceError as err:
            if err.code == _ILLEGAL_ADDRESS and len(block.specs) > 1:
                # the device refuses reads across registers it does not implement
                index = state.blocks.index(block)
                singles = [Block(s.function, s.address, s.count, (s,)) for s in block.specs]
                state.blocks[index : index + 1] = singles
                log.info(
                    "%s: splitting block at %s into %s reads", source, block.start, len(singles)
                )
                for single in singles:
                    readings.extend(await _read_single(reader, device, single, source, ctx))
                continue
            if ctx is not None:
                ctx.stats.record_error(f"{device.name}: {err}")
            continue
        readings.extend(_to_readings(device, block, registers, source))
    return readings


async def _read_single(
    reader: ModbusReader,
    device: DeviceConfig,
    block: Block,
    source: str,
    ctx: ConnectorContext | None,
) -> list[Reading]:
    try:
        registers = await reader.read(device.unit, block)
    except ModbusDeviceError as err:
        if ctx is not None:
            ctx.stats.record_error(f"{device.name} {block.specs[0].key}: {err}")
        return []
    return _to_readings(device, block, registers, source)


def _to_readings(
    device: DeviceConfig, block: Block, registers: Sequence[int], source: str
) -> list[Reading]:
    ts = utcnow()
    out: list[Reading] = []
    for decoded in decode_block(block, registers):
        spec = decoded.spec
        point = device.points[spec.key]
        if decoded.error is None:
            out.append(Reading(point, ts, decoded.value, spec.unit, source))
        else:
            # kept: a NaN or a broken BCD goes to ingest with its registers and is rejected there
            value: float | str | None = (
                decoded.value if decoded.value is not None else f"registers:{decoded.raw}"
            )
            out.append(
                Reading(
                    point, ts, value, spec.unit, source, f"{spec.key}@{spec.address}={decoded.raw}"
                )
            )
    return out
