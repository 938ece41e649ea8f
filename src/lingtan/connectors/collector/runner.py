"""The collector: every configured connector in one asyncio process.

``Collector.run`` starts one supervised task per connector, the batcher (timer + replay),
and a status writer that refreshes ``status.json`` every second for ``lingtan collect
status``. A connector that crashes on a bug is logged, counted and restarted with back-off:
one bad device or payload never stops the others. On stop, connectors are cancelled first,
then pending readings are committed or spilled.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from lingtan.connectors.base import (
    Backoff,
    CommsEvent,
    Connector,
    ConnectorContext,
    ConnectorStats,
    Sink,
)
from lingtan.connectors.collector.batcher import Batcher
from lingtan.connectors.collector.buffer import SpillBuffer
from lingtan.connectors.collector.config import CollectorSettings

log = logging.getLogger(__name__)

STATUS_FILE = "status.json"
STATE_FILE = "state.sqlite"
#: how long stopping waits for the connectors before it commits what they handed over anyway;
#: a device poll times out within a few seconds, so a connector still running after this will
#: not stop by itself (a cancellation lost inside a library)
STOP_GRACE_S = 10.0


class Collector:
    """Runs connectors, batches their readings into a sink, reports status."""

    def __init__(
        self,
        connectors: list[Connector],
        sink: Sink,
        *,
        state_dir: Path,
        settings: CollectorSettings | None = None,
        status_interval_s: float = 1.0,
    ) -> None:
        self.settings = settings or CollectorSettings()
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.connectors = connectors
        self.buffer = SpillBuffer(
            self.state_dir / STATE_FILE, max_readings=self.settings.buffer_max_readings
        )
        self.batcher = Batcher(
            sink,
            self.buffer,
            max_readings=self.settings.batch_max_readings,
            max_delay_s=self.settings.batch_max_delay_s,
            replay_readings=self.settings.replay_readings,
        )
        self.status_interval_s = status_interval_s
        self.stats = {c.name: ConnectorStats(c.name, c.kind) for c in connectors}
        self.contexts = {c.name: self._context(c) for c in connectors}
        self.started_at = dt.datetime.now(tz=dt.UTC)
        self.stopped_at: dt.datetime | None = None
        self.events: list[CommsEvent] = []
        #: told of every comms event (the collector command hands them to the alarm engine,
        #: in a worker thread: it writes to the store)
        self.on_comms: Callable[[CommsEvent], None] | None = None

    def _context(self, connector: Connector) -> ConnectorContext:
        return ConnectorContext(
            name=connector.name,
            submit=self.batcher.submit,
            stats=self.stats[connector.name],
            emit=self._emit,
            reject_payload=self.buffer.add_reject,
            flush=self.batcher.flush,
        )

    def _emit(self, event: CommsEvent) -> None:
        self.events.append(event)
        del self.events[:-100]
        self.buffer.add_event(event.to_dict())
        log.warning("%s %s/%s %s", event.kind, event.connector, event.device, event.detail)
        if self.on_comms is not None and event.points:
            on_comms = self.on_comms

            def tell() -> None:
                try:
                    on_comms(event)
                except Exception:  # an alarm that cannot be stored must not stop collecting
                    log.exception("comms event not handed to the alarm engine")

            threading.Thread(target=tell, name="lingtan-comms-alarm", daemon=True).start()

    async def _supervise(self, connector: Connector) -> None:
        ctx = self.contexts[connector.name]
        backoff = Backoff(initial=1.0, maximum=60.0)
        while True:
            try:
                await connector.run(ctx)
                return
            except asyncio.CancelledError:
                raise
            except Exception as err:
                ctx.stats.state = "crashed"
                ctx.stats.record_error(f"connector crashed: {type(err).__name__}: {err}")
                log.exception("connector %s crashed; restarting", connector.name)
                await asyncio.sleep(backoff.next_delay())

    def status(self) -> dict[str, Any]:
        """The snapshot written to ``status.json``."""
        return {
            "pid": os.getpid(),
            "started_at": self.started_at.isoformat(),
            "updated_at": dt.datetime.now(tz=dt.UTC).isoformat(),
            "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
            "status_interval_s": self.status_interval_s,
            "store": self.batcher.to_dict(),
            "connectors": {name: s.to_dict() for name, s in self.stats.items()},
            "events": [e.to_dict() for e in self.events[-20:]],
        }

    def write_status(self) -> None:
        """Write ``status.json`` atomically."""
        path = self.state_dir / STATUS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status(), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    async def _status_loop(self) -> None:
        while True:
            try:
                self.write_status()
            except OSError:
                log.exception("cannot write the status file")
            await asyncio.sleep(self.status_interval_s)

    async def _stop_connectors(self, tasks: list[asyncio.Task[None]]) -> None:
        """Cancel the connector tasks and wait for them, at most ``STOP_GRACE_S``.

        A task still running a second later is cancelled again, as a library may have lost
        the first request (see ``raise_if_cancelled``). One that outlives the grace period is
        reported and left behind: what the others handed over is still committed.
        """
        for task in tasks:
            task.cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_GRACE_S
        pending = {t for t in tasks if not t.done()}
        while pending:
            _, pending = await asyncio.wait(
                pending, timeout=min(1.0, max(0.0, deadline - loop.time()))
            )
            if pending and loop.time() >= deadline:
                names = sorted(t.get_name() for t in pending)
                log.error("connectors did not stop within %g s: %s", STOP_GRACE_S, names)
                for task in pending:
                    name = task.get_name().removeprefix("connector-")
                    if name in self.stats:
                        self.stats[name].record_error(
                            f"did not stop within {STOP_GRACE_S:g} s of being asked"
                        )
                break
            for task in pending:
                task.cancel()
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()  # _supervise handles errors; mark the outcome as seen

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        self.batcher.start()
        tasks = [
            asyncio.create_task(self._supervise(c), name=f"connector-{c.name}")
            for c in self.connectors
        ]
        status_task = asyncio.create_task(self._status_loop(), name="collector-status")
        try:
            await stop.wait()
        finally:
            await self._stop_connectors(tasks)
            await self.batcher.close()
            status_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await status_task
            self.stopped_at = dt.datetime.now(tz=dt.UTC)
            with contextlib.suppress(OSError):
                self.write_status()
            self.buffer.close()


def run_to_completion(main: Coroutine[Any, Any, None], *, grace_s: float = 2.0) -> None:
    """Run ``main`` on a new event loop, as ``asyncio.run`` does, but do not wait for ever
    for tasks still running after it: a connector that would not stop (reported by
    :meth:`Collector._stop_connectors`) is cancelled once more and abandoned after
    ``grace_s``, so ``lingtan collect`` exits once what it collected is committed."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main)
    finally:
        leftover = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in leftover:
            task.cancel()
        if leftover:
            loop.run_until_complete(asyncio.wait(leftover, timeout=grace_s))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def is_running(status: dict[str, Any], *, pid_alive: bool) -> bool:
    """Whether the collector that wrote ``status`` is still running.

    It is not when it wrote its stop time, when its process is gone, or when the file has
    not been refreshed for ten status intervals (a hung or killed process).
    """
    if status.get("stopped_at") or not pid_alive:
        return False
    updated = dt.datetime.fromisoformat(status["updated_at"])
    age = (dt.datetime.now(tz=dt.UTC) - updated).total_seconds()
    return age <= 10 * float(status.get("status_interval_s") or 1.0) + 5.0


def read_status(state_dir: Path) -> dict[str, Any] | None:
    """The last ``status.json`` written by a collector in ``state_dir``."""
    path = Path(state_dir) / STATUS_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data
