"""What every connector shares: the sink it feeds, back-off, statistics and comms events.

A connector runs as one asyncio task. It hands readings to ``ctx.submit``; the collector
batches them into the ingest pipeline (or the local spill buffer) and calls the optional
``on_committed`` callback once they are durable, which is when an MQTT message is
acknowledged. A device that stops answering is reported once as a ``comms_lost`` event and
once as ``comms_restored`` when it answers again; no reading is produced in between.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from lingtan.readings import Reading

log = logging.getLogger(__name__)


class SinkAck(Protocol):
    """What a sink reports about a committed batch (``lingtan.ingest.IngestAck`` fits)."""

    @property
    def accepted(self) -> int: ...

    @property
    def duplicates(self) -> int: ...

    @property
    def rejected(self) -> int: ...


#: A sink commits a batch in one transaction and returns its ack; it raises
#: :class:`lingtan.errors.Unavailable` when the store cannot be reached. It is synchronous
#: (the ingest pipeline is) and is called from a worker thread.
Sink = Callable[[Sequence[Reading]], SinkAck]

#: Called (on the event loop) once the readings of a submission are durable.
OnCommitted = Callable[[], None]


class Submit(Protocol):
    """How a connector hands readings to the collector."""

    def __call__(
        self, readings: Sequence[Reading], *, on_committed: OnCommitted | None = None
    ) -> Awaitable[None]: ...


def raise_if_cancelled() -> None:
    """Stop a poll loop whose cancellation a library swallowed.

    On Python 3.11 ``asyncio.wait_for`` loses a cancellation that arrives just as the awaited
    result does (CPython gh-86296, fixed in 3.12 by rewriting it on ``asyncio.timeout``);
    pymodbus and aiomqtt await through it. The task still counts the request
    (``Task.cancelling()``), so each loop checks it once per round: a collector asked to stop
    then stops instead of polling for ever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def utcnow() -> dt.datetime:
    """The current instant (UTC, aware); only I/O code calls this, never a codec."""
    return dt.datetime.now(tz=dt.UTC)


@dataclass
class Backoff:
    """Exponential back-off with jitter: 1 s, 2 s, 4 s … capped at ``maximum``."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    jitter: float = 0.1
    _current: float = field(default=0.0, init=False)

    def next_delay(self) -> float:
        """The delay before the next attempt [s]; grows on every call until :meth:`reset`."""
        self._current = (
            self.initial if self._current == 0.0 else min(self.maximum, self._current * self.factor)
        )
        # jitter spreads reconnects of many devices behind one gateway; not security relevant
        spread = self._current * self.jitter * (2 * random.random() - 1)  # noqa: S311
        return max(0.0, self._current + spread)

    def reset(self) -> None:
        """Back to the initial delay (after a success)."""
        self._current = 0.0


@dataclass(frozen=True, slots=True)
class CommsEvent:
    """A device stopped or resumed answering."""

    at: dt.datetime
    connector: str
    device: str
    kind: Literal["comms_lost", "comms_restored"]
    detail: str = ""
    #: the metering points the device feeds (their comms-loss alarms are raised at once)
    points: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, str]:
        """JSON-friendly form (status file, event log)."""
        return {
            "at": self.at.isoformat(),
            "connector": self.connector,
            "device": self.device,
            "kind": self.kind,
            "detail": self.detail,
        }


@dataclass
class DeviceHealth:
    """Comms state of one device: failures in a row, and whether loss was reported."""

    lost_after: int = 2
    failures: int = 0
    lost: bool = False
    since: dt.datetime | None = None
    last_error: str = ""


class ConnectorStats:
    """Counters one connector keeps for the status command."""

    WINDOW_S = 60.0

    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind
        self.readings_total = 0
        self.errors_total = 0
        self.rejected_payloads = 0
        self.last_reading_at: dt.datetime | None = None
        self.last_error: str = ""
        self.last_error_at: dt.datetime | None = None
        self.state = "starting"
        self.devices: dict[str, DeviceHealth] = {}
        #: what one kind of connector counts besides readings (``clock_syncs_sent`` …)
        self.counters: dict[str, int] = {}
        self._window: deque[tuple[float, int]] = deque()

    def record_readings(self, n: int, at: dt.datetime | None = None) -> None:
        """Count ``n`` readings produced now."""
        if n <= 0:
            return
        now = time.monotonic()
        self.readings_total += n
        self.last_reading_at = at or utcnow()
        self._window.append((now, n))
        self._trim(now)

    def record_error(self, message: str) -> None:
        """Count one error and keep its message."""
        self.errors_total += 1
        self.last_error = message
        self.last_error_at = utcnow()

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the connector's own counter ``name``."""
        self.counters[name] = self.counters.get(name, 0) + n

    def readings_per_min(self) -> float:
        """Readings produced in the last 60 s."""
        self._trim(time.monotonic())
        return float(sum(n for _, n in self._window)) * 60.0 / self.WINDOW_S

    def _trim(self, now: float) -> None:
        while self._window and now - self._window[0][0] > self.WINDOW_S:
            self._window.popleft()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly snapshot for the status file."""
        return {
            "name": self.name,
            "kind": self.kind,
            "state": self.state,
            "readings_total": self.readings_total,
            "readings_per_min": round(self.readings_per_min(), 1),
            "last_reading_at": self.last_reading_at.isoformat() if self.last_reading_at else None,
            "errors_total": self.errors_total,
            "rejected_payloads": self.rejected_payloads,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
            "counters": dict(sorted(self.counters.items())),
            "devices": {
                name: {
                    "comms": "lost" if h.lost else "ok",
                    "since": h.since.isoformat() if h.since else None,
                    "failures": h.failures,
                    "last_error": h.last_error,
                }
                for name, h in sorted(self.devices.items())
            },
        }


async def _no_flush() -> None:
    return None


@dataclass
class ConnectorContext:
    """What the collector gives a running connector."""

    name: str
    submit: Submit
    stats: ConnectorStats
    emit: Callable[[CommsEvent], None]
    #: keep a payload that could not become readings: (source, reason, raw)
    reject_payload: Callable[[str, str, str], None] = field(
        default=lambda _source, _reason, _raw: None
    )
    #: commit what is pending now (an MQTT subscriber at its in-flight window)
    flush: Callable[[], Awaitable[None]] = field(default=_no_flush)

    def device_ok(self, device: str, *, points: tuple[str, ...] = ()) -> None:
        """Record a successful exchange with ``device`` (emits ``comms_restored`` once)."""
        health = self.stats.devices.setdefault(device, DeviceHealth())
        if health.lost:
            health.lost = False
            health.since = utcnow()
            self.emit(CommsEvent(health.since, self.name, device, "comms_restored", points=points))
        elif health.since is None:
            health.since = utcnow()
        health.failures = 0
        health.last_error = ""

    def device_failed(
        self, device: str, error: str, *, lost_after: int = 2, points: tuple[str, ...] = ()
    ) -> None:
        """Record a failed exchange; after ``lost_after`` in a row emit ``comms_lost`` once."""
        health = self.stats.devices.setdefault(device, DeviceHealth(lost_after=lost_after))
        health.lost_after = lost_after
        health.failures += 1
        health.last_error = error
        self.stats.record_error(f"{device}: {error}")
        if not health.lost and health.failures >= health.lost_after:
            health.lost = True
            health.since = utcnow()
            log.warning("comms lost: %s/%s (%s)", self.name, device, error)
            self.emit(CommsEvent(health.since, self.name, device, "comms_lost", error, points))


async def run_sessions(
    ctx: ConnectorContext,
    session: Callable[[Backoff], Awaitable[None]],
    *,
    device: str,
    errors: tuple[type[BaseException], ...],
    backoff: Backoff,
    lost_after: int,
    points: tuple[str, ...] = (),
    on_error: Callable[[], None] | None = None,
) -> None:
    """A session-oriented connector's main loop (OPC UA, IEC 104): run ``session`` until
    cancelled; when it ends on one of ``errors``, record the failure against ``device`` (after
    ``lost_after`` in a row: ``comms_lost``), then reconnect after the next back-off delay. The
    session resets ``backoff`` once it is established."""
    while True:
        raise_if_cancelled()
        try:
            await session(backoff)
        except errors as err:
            if on_error is not None:
                on_error()
            ctx.stats.state = "reconnecting"
            ctx.device_failed(
                device, f"{type(err).__name__}: {err}", lost_after=lost_after, points=points
            )
        await asyncio.sleep(backoff.next_delay())


class Connector(Protocol):
    """A configured connector instance."""

    name: str
    kind: str

    async def run(self, ctx: ConnectorContext) -> None:
        """Run until cancelled; never return on a device error (back off and retry)."""
        ...
