"""IEC 60870-5-104 client: connect, STARTDT, interrogations, spontaneous data, reconnection.

Standards: IEC 60870-5-104:2006 (transport: TCP, APCI, STARTDT/STOPDT/TESTFR U-frames and the
t0–t3 timers, §5–6), IEC 60870-5-101:2003 (ASDUs; C_IC_NA_1 interrogation §7.3.4.1,
C_CI_NA_1 counter interrogation §7.3.4.2), IEC 60870-5-5 (the general interrogation and
integrated-totals procedures); DL/T 634.5104-2009 is the Chinese adoption of IEC 104.

The transport (APCI, sequence numbers, acknowledgements, the timers) is the library ``c104``
(lib60870-C). Every received APDU is handed over as bytes (its raw-message callback) and
decoded by :mod:`lingtan.connectors.iec104.codec`, so the time tags are read from the octets
in the RTU's configured zone rather than through the library's conversion to local time.

One connection per configured outstation. After STARTDT confirmation the client sends a
general interrogation (C_IC_NA_1, QOI 20: station) to every common address it reads, and a
counter interrogation (C_CI_NA_1, QCC: general request, read without freeze) where integrated
totals are mapped; both are repeated every ``interrogation_interval_s`` /
``counter_interrogation_interval_s``. Spontaneous (COT 3) and periodic data are read as they
come. Every decoded value becomes a reading handed to the collector.

No loss across outages: IEC 104 keeps no history in the outstation, so a connection that drops
is retried with back-off (``retry_initial_s`` doubling to ``retry_max_s``) and, once it is up,
a general interrogation and a counter interrogation bring the current state: counters are
cumulative, so the energy of the outage is in the next counter reading, and the normaliser
spreads it over the gap (docs/data-quality.md). Measured values of the outage are not
recoverable. A lost connection is a ``comms_lost`` event for the outstation's points (after
``lost_after`` failed attempts) and ``comms_restored`` follows when it is open again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from lingtan.connectors.base import Backoff, ConnectorContext, raise_if_cancelled, utcnow
from lingtan.connectors.iec104.codec import (
    DATA_CAUSES,
    ApduError,
    decode_apdu,
    to_readings,
    zone_of,
)
from lingtan.connectors.iec104.config import Iec104Config
from lingtan.errors import Unavailable
from lingtan.readings import Reading

log = logging.getLogger(__name__)

#: the errors of a connection that a reconnection may cure
SESSION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    ConnectionError,
    Unavailable,
)


@dataclass(frozen=True, slots=True)
class _State:
    """A connection state change reported by the library (``OPEN``, ``CLOSED`` …)."""

    name: str


def typed(fn: Callable[..., None], **annotations: Any) -> Callable[..., None]:
    """``fn`` with the exact annotations ``c104`` checks a callback's signature against
    (postponed annotations would be strings, which it refuses)."""
    fn.__annotations__ = {**annotations, "return": None}
    return fn


class Iec104Connector:
    """Reads the mapped information objects of one IEC 104 outstation (module docstring)."""

    kind = "iec104"

    def __init__(self, cfg: Iec104Config) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.mappings = {(m.common_address, m.ioa): m for m in cfg.mappings()}
        self.points = tuple(m.point for m in self.mappings.values())
        self.zone = zone_of(cfg.time_zone)
        self.device = f"{cfg.host}:{cfg.port}"
        self.source = f"iec104:{cfg.name}"
        self.addresses = sorted({m.common_address for m in self.mappings.values()})
        self.counter_addresses = sorted(
            {m.common_address for m in self.mappings.values() if m.family == "counter"}
        )
        #: connections opened, interrogations sent (for the status and the tests)
        self.sessions = 0
        self.interrogations = 0
        self.counter_interrogations = 0
        #: readings that carried no usable time tag and took the receive time
        self.receive_time_readings = 0
        self.connected = asyncio.Event()

    async def run(self, ctx: ConnectorContext) -> None:
        """Collect until cancelled; reconnect with back-off."""
        backoff = Backoff(initial=self.cfg.retry_initial_s, maximum=self.cfg.retry_max_s)
        while True:
            raise_if_cancelled()
            try:
                await self._session(ctx, backoff)
            except SESSION_ERRORS as err:
                self.connected.clear()
                ctx.stats.state = "reconnecting"
                ctx.device_failed(
                    self.device,
                    f"{type(err).__name__}: {err}",
                    lost_after=self.cfg.lost_after,
                    points=self.points,
                )
            await asyncio.sleep(backoff.next_delay())

    async def _session(self, ctx: ConnectorContext, backoff: Backoff) -> None:
        import c104

        cfg = self.cfg
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[tuple[bytes, dt.datetime] | _State] = asyncio.Queue()

        def put(item: tuple[bytes, dt.datetime] | _State) -> None:
            # called on the library's thread
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(inbox.put_nowait, item)

        def on_raw(connection: Any, data: Any) -> None:
            put((bytes(data), utcnow()))

        def on_state(connection: Any, state: Any) -> None:
            put(_State(state.name))

        client = c104.Client(tick_rate_ms=50, command_timeout_ms=int(cfg.timeout_s * 1000))
        # Init.MUTED: the TCP connection only; STARTDT is sent here once it is up (with
        # Init.NONE the library at times never sent it when the connection opened at once)
        # and the interrogations after its confirmation
        connection = client.add_connection(ip=cfg.host, port=cfg.port, init=c104.Init.MUTED)
        if connection is None:
            raise Unavailable(f"c104 refused the connection to {self.device}")
        for address in self.addresses:
            connection.add_station(common_address=address)
        connection.on_receive_raw(callable=typed(on_raw, connection=c104.Connection, data=bytes))
        connection.on_state_change(
            callable=typed(on_state, connection=c104.Connection, state=c104.ConnectionState)
        )
        try:
            client.start()
            connection.connect()
            await self._wait_open(inbox, connection)
            self.sessions += 1
            ctx.stats.state = "running"
            ctx.device_ok(self.device, points=self.points)
            backoff.reset()
            self.connected.set()
            await self._receive(ctx, connection, inbox)
        finally:
            self.connected.clear()
            # stopping joins the library's threads: not on the event loop
            await asyncio.to_thread(_stop, client)

    async def _wait_open(
        self, inbox: asyncio.Queue[tuple[bytes, dt.datetime] | _State], connection: Any
    ) -> None:
        """TCP up (``OPEN_MUTED``), then STARTDT act until its confirmation (``OPEN``,
        IEC 60870-5-104 §5.3); data that came first is kept."""
        early: list[tuple[bytes, dt.datetime]] = []
        try:
            async with asyncio.timeout(self.cfg.timeout_s):
                while True:
                    item = await inbox.get()
                    if not isinstance(item, _State):
                        early.append(item)
                    elif item.name == "OPEN":
                        break
                    elif item.name == "OPEN_MUTED":
                        if not await asyncio.to_thread(connection.unmute):
                            raise ConnectionError(f"STARTDT to {self.device} not sent")
        except TimeoutError:
            raise ConnectionError(
                f"no connection to {self.device} within {self.cfg.timeout_s:g} s"
            ) from None
        for frame in early:
            inbox.put_nowait(frame)

    async def _interrogate(self, connection: Any, *, general: bool, counters: bool) -> None:
        """Send the interrogations (each waits for its confirmation on a worker thread)."""
        import c104

        if general:
            for address in self.addresses:
                await self._ask(
                    f"general interrogation of {address}",
                    partial(
                        connection.interrogation,
                        common_address=address,
                        cause=c104.Cot.ACTIVATION,
                        qualifier=c104.Qoi.STATION,
                        wait_for_response=True,
                    ),
                )
                self.interrogations += 1
        if counters:
            for address in self.counter_addresses:
                await self._ask(
                    f"counter interrogation of {address}",
                    partial(
                        connection.counter_interrogation,
                        common_address=address,
                        cause=c104.Cot.ACTIVATION,
                        qualifier=c104.Rqt.GENERAL,
                        freeze=c104.Frz.READ,
                        wait_for_response=True,
                    ),
                )
                self.counter_interrogations += 1

    async def _ask(self, what: str, command: Callable[[], bool]) -> None:
        """One command until it is confirmed, three times at most: an RTU may refuse one sent
        the instant after STARTDT (seen on loopback under load); then the session ends."""
        for attempt in range(3):
            if await asyncio.to_thread(command):
                return
            log.info("%s: %s not confirmed (attempt %d)", self.device, what, attempt + 1)
            await asyncio.sleep(0.2 * (attempt + 1))
        raise ConnectionError(f"{what} not confirmed")

    async def _receive(
        self,
        ctx: ConnectorContext,
        connection: Any,
        inbox: asyncio.Queue[tuple[bytes, dt.datetime] | _State],
    ) -> None:
        cfg = self.cfg
        # the interrogations run beside the reading of what they bring
        asks: asyncio.Task[None] = asyncio.create_task(
            self._interrogate(connection, general=True, counters=bool(self.counter_addresses))
        )
        clock = asyncio.get_running_loop().time
        next_gi = _next(clock(), cfg.interrogation_interval_s)
        next_ci = _next(clock(), cfg.counter_interrogation_interval_s)
        try:
            while True:
                raise_if_cancelled()
                if asks.done():
                    asks.result()  # an interrogation not confirmed ends the session
                    now = clock()
                    general, counters = now >= next_gi, now >= next_ci and self.counter_addresses
                    if general or counters:
                        if general:
                            next_gi = _next(now, cfg.interrogation_interval_s)
                        if counters:
                            next_ci = _next(now, cfg.counter_interrogation_interval_s)
                        asks = asyncio.create_task(
                            self._interrogate(connection, general=general, counters=bool(counters))
                        )
                try:
                    first = await asyncio.wait_for(inbox.get(), timeout=0.5)
                except TimeoutError:
                    continue
                items = [first]
                while not inbox.empty():
                    items.append(inbox.get_nowait())
                readings: list[Reading] = []
                lost: str | None = None
                for item in items:
                    if isinstance(item, _State):
                        if item.name != "OPEN":
                            lost = lost or item.name
                        continue
                    readings.extend(self._decode(ctx, *item))
                if readings:
                    ctx.stats.record_readings(len(readings))
                    await ctx.submit(readings)
                if lost is not None:
                    raise ConnectionError(f"connection to {self.device} lost ({lost})")
        finally:
            asks.cancel()
            with contextlib.suppress(asyncio.CancelledError, *SESSION_ERRORS):
                await asks

    def _decode(
        self, ctx: ConnectorContext, apdu: bytes, received_at: dt.datetime
    ) -> list[Reading]:
        try:
            asdu = decode_apdu(apdu)
        except ApduError as err:
            ctx.stats.rejected_payloads += 1
            ctx.stats.record_error(f"{self.device}: {err}")
            ctx.reject_payload(self.source, "iec104_apdu", f"{err}: {apdu.hex()}")
            return []
        if asdu is None or asdu.negative or asdu.test or asdu.cause not in DATA_CAUSES:
            return []  # not data: a test frame, a negative confirmation, an unknown cause
        readings, problems = to_readings(
            asdu,
            self.mappings,
            received_at=received_at,
            zone=self.zone,
            source=self.source,
            raw=apdu.hex(),
        )
        for problem in problems:
            ctx.stats.rejected_payloads += 1
            ctx.stats.record_error(problem)
            ctx.reject_payload(self.source, "iec104_type", f"{problem}: {apdu.hex()}")
        self.receive_time_readings += sum(1 for r in readings if r.source.endswith(":rx"))
        return readings


def _next(now: float, interval: float) -> float:
    return now + interval if interval > 0 else float("inf")


def _stop(client: Any) -> None:
    try:
        client.stop()
    except Exception:  # a client that never started, or whose connection already failed
        log.debug("stopping the c104 client failed", exc_info=True)


__all__ = ["SESSION_ERRORS", "Iec104Connector"]
