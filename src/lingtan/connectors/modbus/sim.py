"""Simulated Modbus TCP meters built from a register map (pymodbus server on loopback).

For tests, the benchmark and ``lingtan modbus simulate``: each device holds a live register
image encoded from values through the same register map the poller decodes with, so a test
can set ``energy_import_total = 1234.5`` and expect exactly that reading back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from lingtan.connectors.modbus.registers import RegisterSpec, decode, encode


class SimulatedDevice:
    """One unit id with a register image."""

    def __init__(self, unit: int, specs: Sequence[RegisterSpec]) -> None:
        self.unit = unit
        self.specs = {s.key: s for s in specs}
        self.image: dict[int, int] = {}
        #: answer every read with this exception code (e.g. 0x0B "target failed to respond")
        self.exception: int | None = None
        #: acknowledge writes without applying them (a device that ignores a setpoint)
        self.ignore_writes = False
        #: every write received: (address, registers)
        self.writes: list[tuple[int, list[int]]] = []
        for spec in specs:
            self.set(spec.key, 0.0)

    def set(self, key: str, value: float) -> None:
        """Store ``value`` (in the register's unit) for ``key``."""
        spec = self.specs[key]
        for i, reg in enumerate(encode(spec, value)):
            self.image[spec.address + i] = reg

    def get(self, key: str) -> float | None:
        """The value the image holds for ``key`` (decoded as a reader would)."""
        spec = self.specs[key]
        regs = [self.image[spec.address + i] for i in range(spec.count)]
        return decode(spec, regs).value

    def set_registers(self, address: int, registers: Sequence[int]) -> None:
        """Store raw register words (to simulate a broken value)."""
        for i, reg in enumerate(registers):
            self.image[address + i] = reg & 0xFFFF

    def _span(self) -> tuple[int, int]:
        lo = min(self.image)
        hi = max(self.image) + 1
        return lo, hi

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if self.exception is not None:
            return ExcCodes(self.exception)
        if any(address + i not in self.image for i in range(count)):
            return ExcCodes.ILLEGAL_ADDRESS
        if set_values is not None:  # a write (function 6 or 16)
            self.writes.append((address, [int(v) for v in set_values]))
            if not self.ignore_writes:
                for i, v in enumerate(set_values):
                    self.image[address + i] = int(v) & 0xFFFF
        for i in range(count):
            current_registers[address - start_address + i] = self.image[address + i]
        if set_values is not None:  # the server stores set_values: keep the image's words
            lo = address - start_address
            set_values[:] = current_registers[lo : lo + count]  # type: ignore[assignment]
        return None

    def sim_device(self, *, strict: bool = True) -> SimDevice:
        """The pymodbus device serving the image (``strict``: holes are illegal addresses)."""
        lo, hi = self._span()
        blocks = [SimData(lo, values=[0] * (hi - lo), datatype=SimType.REGISTERS)]
        if not strict:
            return SimDevice(id=self.unit, simdata=blocks, action=self._lenient_action)
        return SimDevice(id=self.unit, simdata=blocks, action=self._action)

    async def _lenient_action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if self.exception is not None:
            return ExcCodes(self.exception)
        for i in range(count):
            current_registers[address + i - start_address] = self.image.get(address + i, 0)
        return None


class SimulatedGateway:
    """A Modbus TCP server on loopback with one or more simulated devices."""

    def __init__(self, devices: Sequence[SimulatedDevice], *, strict: bool = True) -> None:
        self.devices = {d.unit: d for d in devices}
        self.strict = strict
        self._server: ModbusTcpServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen (port 0 picks a free one); returns the port."""
        sims = [d.sim_device(strict=self.strict) for d in self.devices.values()]
        self._server = ModbusTcpServer(sims, address=(host, port))
        self._task = asyncio.create_task(self._server.serve_forever())
        for _ in range(500):
            transport = getattr(self._server, "transport", None)
            if transport is not None and getattr(transport, "sockets", None):
                self.port = int(transport.sockets[0].getsockname()[1])
                return self.port
            await asyncio.sleep(0.01)
        raise RuntimeError("simulated Modbus server did not start")

    async def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
