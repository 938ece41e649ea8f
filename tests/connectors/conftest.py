"""Fixtures of the connector tests: service gates, an in-memory sink, waiting helpers.

Tests that need Mosquitto (127.0.0.1:1883) or PostgreSQL (127.0.0.1:5432) skip with the
reason when the service is not reachable, and fail instead when LINGTAN_REQUIRE_SERVICES=1
(the shared ``need_service`` helper of ``tests/conftest.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from lingtan.connectors.base import CommsEvent, ConnectorContext, ConnectorStats
from lingtan.errors import Unavailable
from lingtan.readings import Reading
from tests.conftest import need_service

MQTT_HOST = "127.0.0.1"
MQTT_PORT = 1883


@pytest.fixture
def mosquitto() -> tuple[str, int]:
    """The local Mosquitto broker (skip, or fail under LINGTAN_REQUIRE_SERVICES=1)."""
    need_service("Mosquitto", MQTT_HOST, MQTT_PORT)
    return MQTT_HOST, MQTT_PORT


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix no other test run uses."""
    return f"lingtan-test/{uuid.uuid4().hex[:10]}"


@dataclass
class MemoryAck:
    accepted: int
    duplicates: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)


class MemorySink:
    """An idempotent in-memory store: (point, ts) → value; can be switched off."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, Any], Any] = {}
        self.order: list[tuple[str, Any]] = []
        self.down = False
        self.calls = 0
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, readings: Sequence[Reading]) -> MemoryAck:
        with self._lock:
            self.calls += 1
            if self.down:
                raise Unavailable("memory sink switched off")
            accepted = duplicates = 0
            for r in readings:
                key = (r.point, r.ts)
                if key in self.data:
                    duplicates += 1
                    continue
                self.data[key] = r.value
                self.order.append(key)
                accepted += 1
            self.batches.append(len(readings))
            return MemoryAck(accepted, duplicates, 0)


@pytest.fixture
def memory_sink() -> MemorySink:
    return MemorySink()


class Recorder:
    """A connector context that records what a connector submits and reports."""

    def __init__(self, name: str = "test", kind: str = "test") -> None:
        self.readings: list[Reading] = []
        self.events: list[CommsEvent] = []
        self.rejects: list[tuple[str, str, str]] = []
        self.flushes = 0
        self.ctx = ConnectorContext(
            name=name,
            submit=self._submit,
            stats=ConnectorStats(name, kind),
            emit=self.events.append,
            reject_payload=lambda s, r, raw: self.rejects.append((s, r, raw)),
            flush=self._flush,
        )

    async def _submit(self, readings: Sequence[Reading], *, on_committed: Any = None) -> None:
        self.readings.extend(readings)
        if on_committed is not None:
            on_committed()

    async def _flush(self) -> None:
        self.flushes += 1


@contextlib.asynccontextmanager
async def connector_running(
    connector: Any, name: str, kind: str, *, sim: Any = None
) -> AsyncIterator[Recorder]:
    """``connector.run`` in a task recorded by a :class:`Recorder`, cancelled on leaving (and
    ``sim``, a simulator, stopped after it)."""
    recording = Recorder(name, kind)
    task = asyncio.create_task(connector.run(recording.ctx))
    try:
        yield recording
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if sim is not None:
            await sim.stop()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], *, limit_s: float = 60.0, what: str = ""
) -> None:
    """Wait for ``condition`` (polling); fail after ``limit_s`` so a hang is reported."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            pytest.fail(f"condition not reached: {what or condition}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def running() -> AsyncIterator[Callable[[Awaitable[Any]], asyncio.Task[Any]]]:
    """Start background tasks that are cancelled at the end of the test."""
    tasks: list[asyncio.Task[Any]] = []

    def start(coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        tasks.append(task)
        return task

    yield start
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass


class TcpProxy:
    """A loopback TCP proxy whose connections can be cut, to make a service "unreachable"."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.open = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers.difference_update({writer, up_writer})

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self.open = False
        for w in list(self._writers):
            w.close()

    def restore(self) -> None:
        """Accept connections again."""
        self.open = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def forget_session(client_id: str) -> None:
    """Remove a persistent MQTT session left by a test."""
    import aiomqtt

    async with aiomqtt.Client(MQTT_HOST, MQTT_PORT, identifier=client_id, clean_session=True):
        pass
