"""Batching into the ingest pipeline, with a durable spill while the store is unavailable.

Readings from every connector are collected and committed together when ``max_readings``
are pending (the collector's ``batch_max_readings``, 10,000) or the oldest pending one is
``max_delay_s`` (1 s) old. A commit runs in a worker thread while connectors keep producing;
readings that arrive meanwhile form the next, larger batch, committed as soon as the running
commit ends if it has reached ``max_readings`` (group commit), and producers wait only when
``max_pending`` readings are queued. After a commit
(or a durable spill) the ``on_committed`` callbacks run in submission order: that is when
MQTT messages are acknowledged.

When the sink raises :class:`~lingtan.errors.Unavailable`, the batch goes to the spill
buffer, and so does every later batch until the buffer is empty again: order is kept. A
replay task sends the oldest spilled batches to the store with back-off and deletes them
only after the store committed them. When the buffer is full, producers wait (MQTT messages
stay unacknowledged at the broker, pollers pause) — nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Sequence
from typing import Any

from lingtan.connectors.base import Backoff, OnCommitted, Sink, SinkAck
from lingtan.connectors.collector.buffer import BufferFull, SpillBuffer
from lingtan.errors import Unavailable
from lingtan.readings import Reading, ReadingColumns

log = logging.getLogger(__name__)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background commit failed", exc_info=task.exception())


class Batcher:
    """Collects readings and commits them in batches."""

    def __init__(
        self,
        sink: Sink,
        buffer: SpillBuffer,
        *,
        max_readings: int = 1000,
        max_delay_s: float = 1.0,
        replay_readings: int = 10_000,
        retry: Backoff | None = None,
        max_pending: int | None = None,
    ) -> None:
        self.sink = sink
        self.buffer = buffer
        self.max_readings = max_readings
        self.max_delay_s = max_delay_s
        self.replay_readings = replay_readings
        self.retry = retry or Backoff(initial=0.5, factor=2.0, maximum=30.0)
        #: what is pending, as columns (a connector that decodes into columns adds them as
        #: they are; readings of other connectors are added row by row)
        self._pending = ReadingColumns()
        self._callbacks: list[OnCommitted] = []
        self._first_at: float | None = None
        self._lock = asyncio.Lock()
        self._room = asyncio.Event()
        self._room.set()
        #: set (and replaced) each time a commit takes the pending readings
        self._taken = asyncio.Event()
        self._replay_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: asyncio.Task[None] | None = None
        self._closed = False
        #: producers wait for a commit when this many readings are pending
        self.max_pending = max_pending if max_pending is not None else 10 * max_readings
        # statistics for the status command
        self.sink_state = "ok"
        self.last_sink_error = ""
        self.committed_batches = 0
        self.accepted_total = 0
        self.duplicates_total = 0
        self.rejected_total = 0
        self.spilled_total = 0
        self.replayed_total = 0
        self.last_commit_at: dt.datetime | None = None

    # -- producers -------------------------------------------------------------------------

    async def submit(
        self, readings: Sequence[Reading], *, on_committed: OnCommitted | None = None
    ) -> None:
        """Queue ``readings``; ``on_committed`` runs once they are durable.

        Refused once the batcher is closed: nothing would commit them (a connector that went on
        after the collector stopped); their source keeps them (an MQTT message stays unacked).
        """
        while not self._room.is_set():
            await self._room.wait()
        if self._closed:
            raise Unavailable("the collector has stopped; readings not taken")
        if not readings and on_committed is None:
            return
        self._pending.extend(readings)
        if on_committed is not None:
            self._callbacks.append(on_committed)
        if self._first_at is None:
            self._first_at = time.monotonic()
        if len(self._pending) >= self.max_readings:
            if self._background is None or self._background.done():
                # commit in the background while producers keep decoding; a commit that
                # starts while another runs takes everything pending by then (bigger batch)
                self._background = asyncio.ensure_future(self._drain())
                self._background.add_done_callback(_log_failure)
            while len(self._pending) >= self.max_pending and not self._closed:
                # back-pressure: the store is slower than the producers; wait until the next
                # commit takes what is pending (and decode the next batch while it runs)
                await self._taken.wait()

    async def _drain(self) -> None:
        """Commit while at least ``max_readings`` are pending: what arrived during one commit
        is committed as soon as it ends (group commit), not when the timer next looks."""
        while len(self._pending) >= self.max_readings and not self._closed:
            await self.flush()
            if not self._room.is_set():
                return  # the store is down and the buffer full: the replayer takes over

    @property
    def pending(self) -> int:
        """Readings not yet committed nor spilled."""
        return len(self._pending)

    # -- committing ------------------------------------------------------------------------

    async def flush(self) -> None:
        """Commit (or spill) everything pending now."""
        async with self._lock:
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        if not self._pending and not self._callbacks:
            self._first_at = None
            return
        readings, callbacks = self._pending, self._callbacks
        self._pending, self._callbacks, self._first_at = ReadingColumns(), [], None
        self._taken.set()  # producers held back by max_pending may go on
        self._taken = asyncio.Event()
        if readings:
            if self.buffer.readings > 0:
                # the store is (or was just) down: keep the order, queue behind the buffer
                durable = self._spill(readings, callbacks)
            else:
                durable = await self._commit_or_spill(readings, callbacks)
            if not durable:
                return
        for callback in callbacks:
            try:
                callback()
            except Exception:  # an ack on a closed connection must not stop the others
                log.exception("on_committed callback failed")

    async def _commit_or_spill(
        self, readings: ReadingColumns, callbacks: list[OnCommitted]
    ) -> bool:
        try:
            ack = await asyncio.to_thread(self.sink, readings)
        except Unavailable as err:
            self._sink_down(str(err))
            return self._spill(readings, callbacks)
        except Exception as err:
            log.exception("sink failed; spilling %s readings", len(readings))
            self._sink_down(f"{type(err).__name__}: {err}", state="error")
            return self._spill(readings, callbacks)
        self._count(ack)
        self.sink_state = "ok"
        return True

    def _spill(self, readings: ReadingColumns, callbacks: list[OnCommitted]) -> bool:
        try:
            self.buffer.append(readings)
        except BufferFull as err:
            if self._room.is_set():
                log.error("%s; producers wait until the store takes the backlog", err)
            # put everything back, in front of anything submitted meanwhile
            readings.extend(self._pending)
            self._pending = readings
            self._callbacks = callbacks + self._callbacks
            self._first_at = self._first_at or time.monotonic()
            self._room.clear()
            self._replay_wake.set()
            return False
        self.spilled_total += len(readings)
        self._replay_wake.set()
        return True

    def _sink_down(self, message: str, *, state: str = "unavailable") -> None:
        if self.sink_state == "ok":
            log.warning("store unavailable (%s); spilling to %s", message, self.buffer.path)
        self.sink_state = state
        self.last_sink_error = message

    def _count(self, ack: SinkAck) -> None:
        self.committed_batches += 1
        self.accepted_total += int(ack.accepted)
        self.duplicates_total += int(ack.duplicates)
        self.rejected_total += int(ack.rejected)
        self.last_commit_at = dt.datetime.now(tz=dt.UTC)

    # -- background tasks ------------------------------------------------------------------

    def start(self) -> None:
        """Start the timer and the replay task."""
        self._tasks = [
            asyncio.create_task(self._timer(), name="batcher-timer"),
            asyncio.create_task(self._replayer(), name="batcher-replay"),
        ]
        if self.buffer.readings:
            self._replay_wake.set()

    async def _timer(self) -> None:
        tick = min(0.05, self.max_delay_s / 4)
        while True:
            await asyncio.sleep(tick)
            first = self._first_at
            if first is not None and time.monotonic() - first >= self.max_delay_s:
                await self.flush()

    async def replay_once(self) -> bool:
        """Send the oldest spilled batches to the store; ``True`` if something was replayed."""
        async with self._lock:
            if self.buffer.readings == 0:
                return False
            seqs, readings = self.buffer.peek(self.replay_readings)
            try:
                ack = await asyncio.to_thread(self.sink, readings)
            except Unavailable as err:
                self._sink_down(str(err))
                return False
            except Exception as err:
                log.exception("sink failed during replay")
                self._sink_down(f"{type(err).__name__}: {err}", state="error")
                return False
            self.buffer.delete(seqs)
            self._count(ack)
            self.replayed_total += len(readings)
            if self.buffer.readings == 0:
                self.sink_state = "ok"
                log.info("spill buffer drained; store back")
            if not self._room.is_set() and self.buffer.room() >= len(self._pending):
                self._room.set()
                await self._flush_locked()
            return True

    async def _replayer(self) -> None:
        while True:
            await self._replay_wake.wait()
            if self.buffer.readings == 0:
                self._replay_wake.clear()
                if not self._room.is_set():
                    self._room.set()
                continue
            if await self.replay_once():
                self.retry.reset()
                continue
            await asyncio.sleep(self.retry.next_delay())

    async def close(self) -> None:
        """Stop the background tasks and commit (or spill) what is pending."""
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._background is not None:
            with contextlib.suppress(Exception):
                await self._background
        self._room.set()
        await self.flush()

    def to_dict(self) -> dict[str, Any]:
        """Snapshot for the status file."""
        return {
            "state": self.sink_state,
            "last_error": self.last_sink_error,
            "pending": len(self._pending),
            "committed_batches": self.committed_batches,
            "accepted_total": self.accepted_total,
            "duplicates_total": self.duplicates_total,
            "rejected_total": self.rejected_total,
            "spilled_total": self.spilled_total,
            "replayed_total": self.replayed_total,
            "buffered_readings": self.buffer.readings,
            "buffer_capacity": self.buffer.max_readings,
            "blocked": not self._room.is_set(),
            "last_commit_at": self.last_commit_at.isoformat() if self.last_commit_at else None,
        }
