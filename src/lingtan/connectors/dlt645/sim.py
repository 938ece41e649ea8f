"""A small simulated DL/T 645-2007 bus: meters behind a serial-over-TCP gateway.

Used by the tests, the benchmark and ``lingtan dlt645 simulate`` (to try a configuration
before the real gateway is on site). Each meter answers read-data requests (11H) for the
identifiers it holds (a block, e.g. ``0201FF00``, when it holds every item of the block),
read-address requests (13H) when it is alone on the bus, and an abnormal response "no
requested data" for anything else. Faults can be switched on: a meter
that stays silent, a corrupted checksum, a wrong end byte or a truncated answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from decimal import Decimal

from lingtan.connectors.dlt645.data_ids import BLOCKS, TABLE, encode_value
from lingtan.connectors.dlt645.frame import (
    WILDCARD_ADDRESS,
    Dlt645Error,
    Frame,
    abnormal_response,
    address_response,
    extract_frame,
    normalise_address,
    read_response,
)


@dataclass
class SimulatedMeter:
    """One meter: its address and current values by data identifier."""

    address: str
    #: data identifier → value; ``"raw:<hex>"`` sends those value bytes unchanged
    values: dict[int, Decimal | float | int | str] = field(default_factory=dict)
    silent: bool = False

    def __post_init__(self) -> None:
        self.address = normalise_address(self.address)


class SimulatedBus:
    """A TCP server that behaves like an RS485 gateway with meters on its bus."""

    def __init__(self, meters: list[SimulatedMeter] | None = None, *, wakeup: int = 4) -> None:
        self.meters: dict[str, SimulatedMeter] = {m.address: m for m in meters or []}
        self.wakeup = wakeup
        #: faults applied to the next answers: "checksum", "end_byte", "truncate"
        self.faults: list[str] = []
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    def add(self, meter: SimulatedMeter) -> SimulatedMeter:
        """Put ``meter`` on the bus."""
        self.meters[meter.address] = meter
        return meter

    def answer(self, request: Frame) -> bytes | None:
        """The bytes the bus sends back for ``request`` (``None``: nobody answers)."""
        self.requests += 1
        if request.from_meter:
            return None
        if request.function == 0x13 and request.address == WILDCARD_ADDRESS:
            live = [m for m in self.meters.values() if not m.silent]
            if len(live) != 1:
                return None  # several meters would collide on the bus
            return self._finish(address_response(live[0].address))
        meter = self.meters.get(request.address)
        if meter is None or meter.silent:
            return None
        if request.function != 0x11 or request.di is None:
            return self._finish(abnormal_response(meter.address, request.function, 0x01))
        di = request.di
        value = meter.values.get(di)
        if isinstance(value, str) and value.startswith("raw:"):
            payload = bytes.fromhex(value[4:])  # value bytes exactly as given (broken BCD …)
        elif di in TABLE and value is not None:
            payload = encode_value(di, value)
        elif di in BLOCKS and all(e.di in meter.values for e in BLOCKS[di].elements):
            payload = b"".join(self._item(meter, e.di) for e in BLOCKS[di].elements)
        else:
            return self._finish(abnormal_response(meter.address, 0x11, 0x02))
        return self._finish(read_response(meter.address, di, payload))

    @staticmethod
    def _item(meter: SimulatedMeter, di: int) -> bytes:
        value = meter.values[di]
        if isinstance(value, str) and value.startswith("raw:"):
            return bytes.fromhex(value[4:])
        return encode_value(di, value)

    def _finish(self, frame: Frame) -> bytes:
        data = bytearray(frame.encode(wakeup=self.wakeup))
        if self.faults:
            fault = self.faults.pop(0)
            if fault == "checksum":
                data[-2] = (data[-2] + 1) & 0xFF
            elif fault == "end_byte":
                data[-1] = 0x17
            elif fault == "truncate":
                del data[-3:]
        return bytes(data)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        buf = b""
        try:
            while True:
                chunk = await reader.read(512)
                if not chunk:
                    break
                buf += chunk
                while True:
                    try:
                        frame, consumed = extract_frame(buf)
                    except Dlt645Error:
                        buf = b""  # a real meter ignores a frame it cannot parse
                        break
                    buf = buf[consumed:]
                    if frame is None:
                        break
                    reply = self.answer(frame)
                    if reply is not None:
                        writer.write(reply)
                        await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (0 picks a free port); returns the port."""
        self._server = await asyncio.start_server(self._handle, host, port)
        sock = self._server.sockets[0]
        return int(sock.getsockname()[1])

    def drop_clients(self) -> None:
        """Close every open connection (a gateway that drops idle clients); keep listening."""
        for writer in list(self._clients):
            writer.close()

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()
