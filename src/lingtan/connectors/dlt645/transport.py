"""DL/T 645 transports: a serial-over-TCP gateway (the common case in parks) and a serial port.

Both send one request and wait for one response frame; the RS485 bus is half-duplex, so a
transport serialises exchanges. Socket and serial errors become
:class:`lingtan.errors.Unavailable`; a frame that arrives broken raises its
:class:`~lingtan.connectors.dlt645.frame.Dlt645Error` (and the connection is reset so the
next exchange starts clean).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Protocol

from lingtan.connectors.dlt645.frame import Dlt645Error, Frame, extract_frame
from lingtan.errors import Unavailable


class Transport(Protocol):
    """Sends a request frame and returns the meter's response frame."""

    label: str

    async def exchange(self, request: bytes, *, timeout: float) -> Frame:
        """Send ``request``; return the first frame from a meter (raises ``Unavailable``)."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...


class _ClosedByPeer(Exception):
    """The connection broke (reset, EOF) while exchanging a frame."""


class TcpGatewayTransport:
    """An RS485-to-Ethernet gateway in transparent (TCP server) mode."""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.label = f"tcp://{host}:{port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is not None and self._writer is not None and not self._writer.is_closing():
            return self._reader, self._writer
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as err:
            raise Unavailable(f"cannot connect to gateway {self.label}: {err}") from err
        self._reader, self._writer = reader, writer
        return reader, writer

    async def _reset(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    async def exchange(self, request: bytes, *, timeout: float) -> Frame:
        """Send ``request`` and wait up to ``timeout`` seconds for a meter's frame."""
        async with self._lock:
            reused = self._writer is not None and not self._writer.is_closing()
            try:
                return await self._exchange(request, timeout)
            except _ClosedByPeer as err:
                if not reused:
                    raise Unavailable(f"gateway {self.label}: {err}") from err
            # gateways drop idle connections: one fresh connection before calling it a failure
            try:
                return await self._exchange(request, timeout)
            except _ClosedByPeer as err:
                raise Unavailable(f"gateway {self.label}: {err}") from err

    async def _exchange(self, request: bytes, timeout: float) -> Frame:
        reader, writer = await self._connect()
        try:
            writer.write(request)
            await writer.drain()
            async with asyncio.timeout(timeout):
                return await _read_frame(reader)
        except TimeoutError as err:
            await self._reset()
            raise Unavailable(f"no answer within {timeout:g} s via {self.label}") from err
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as err:
            await self._reset()
            raise _ClosedByPeer(str(err) or type(err).__name__) from err
        except Dlt645Error:
            await self._reset()
            raise

    async def close(self) -> None:
        """Close the TCP connection."""
        async with self._lock:
            await self._reset()


async def _read_frame(reader: asyncio.StreamReader) -> Frame:
    buf = b""
    while True:
        chunk = await reader.read(512)
        if not chunk:
            raise ConnectionError("connection closed by the gateway")
        buf += chunk
        while True:
            frame, consumed = extract_frame(buf)
            buf = buf[consumed:]
            if frame is None:
                break
            if frame.from_meter:
                return frame
            # some gateways echo the request on the bus; skip our own frame


class SerialTransport:
    """A local serial port (pyserial), e.g. a USB-RS485 adapter on the collector host.

    ``url`` is anything ``serial.serial_for_url`` accepts: ``/dev/ttyUSB0``, ``COM3``,
    ``rfc2217://host:port`` or ``socket://host:port``. DL/T 645-2007 meters default to
    2400 baud, 8 data bits, even parity, 1 stop bit.
    """

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 2400,
        parity: str = "E",
        bytesize: int = 8,
        stopbits: float = 1,
    ) -> None:
        self.url = url
        self.label = f"serial:{url}"
        self._settings: dict[str, Any] = {
            "baudrate": baudrate,
            "parity": parity,
            "bytesize": bytesize,
            "stopbits": stopbits,
        }
        self._port: Any = None
        self._lock = asyncio.Lock()

    def _open(self) -> Any:
        import serial

        if self._port is None:
            try:
                self._port = serial.serial_for_url(self.url, timeout=0.05, **self._settings)
            except (serial.SerialException, OSError, ValueError) as err:
                raise Unavailable(f"cannot open {self.label}: {err}") from err
        return self._port

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()

    def _exchange_blocking(self, request: bytes, timeout: float) -> Frame:
        import serial

        port = self._open()
        try:
            port.reset_input_buffer()
            port.write(request)
            port.flush()
            deadline = time.monotonic() + timeout
            buf = b""
            while time.monotonic() < deadline:
                chunk = port.read(256)
                if not chunk:
                    continue
                buf += chunk
                while True:
                    frame, consumed = extract_frame(buf)
                    buf = buf[consumed:]
                    if frame is None:
                        break
                    if frame.from_meter:
                        return frame
        except (serial.SerialException, OSError) as err:
            self._close_port()
            raise Unavailable(f"{self.label}: {err}") from err
        except Dlt645Error:
            self._close_port()
            raise
        self._close_port()
        raise Unavailable(f"no answer within {timeout:g} s on {self.label}")

    async def exchange(self, request: bytes, *, timeout: float) -> Frame:
        """Send ``request`` on the port and wait for a meter's frame (in a worker thread)."""
        async with self._lock:
            return await asyncio.to_thread(self._exchange_blocking, request, timeout)

    async def close(self) -> None:
        """Close the port."""
        async with self._lock:
            await asyncio.to_thread(self._close_port)
