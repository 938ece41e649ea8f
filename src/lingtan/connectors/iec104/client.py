"""IEC 60870-5-104 client: connect, STARTDT, interrogations, spontaneous data, reconnection.

Standards: IEC 60870-5-104:2006 (transport: TCP, APCI, STARTDT/STOPDT/TESTFR U-frames and the
t0–t3 timers, §5–6), IEC 60870-5-101:2003 (ASDUs; C_IC_NA_1 interrogation §7.3.4.1,
C_CI_NA_1 counter interrogation §7.3.4.2), IEC 60870-5-5 (the general interrogation and
integrated-totals procedures); DL/T 634.5104-2009 is the Chinese adoption of IEC 104.

The transport (APCI, sequence numbers, acknowledgements, the k/w windows and the t1–t3 timers)
is :mod:`lingtan.connectors.iec104.apci` on asyncio streams; every received APDU is decoded by
:mod:`lingtan.connectors.iec104.codec`, which reads the time tags in the RTU's configured zone.

One connection per configured outstation. After STARTDT confirmation the client sends a
general interrogation (C_IC_NA_1, QOI 20: station) to every common address it reads, and a
counter interrogation (C_CI_NA_1, QCC 5: general request counter, read without freeze) where
integrated totals are mapped, each with cause act (6); both are repeated every
``interrogation_interval_s`` / ``counter_interrogation_interval_s``. A command must be
confirmed (actcon, 7) within ``timeout_s``; a negative confirmation or none sends it again, and
the third failure ends the session. The RTU's actterm (10) ends the procedure; it is counted. Spontaneous (COT 3) and periodic data are read as they
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
from typing import Final

from lingtan.connectors.base import (
    Backoff,
    ConnectorContext,
    raise_if_cancelled,
    run_sessions,
    utcnow,
)
from lingtan.connectors.iec104.apci import STARTDT_ACT, ApciLink
from lingtan.connectors.iec104.codec import (
    C_CI_NA_1,
    C_IC_NA_1,
    COT_ACTCON,
    COT_ACTTERM,
    DATA_CAUSES,
    QCC_GENERAL_READ,
    QOI_STATION,
    ApduError,
    Command,
    command_asdu,
    decode_apdu,
    decode_command,
    to_readings,
    zone_of,
)
from lingtan.connectors.iec104.config import Iec104Config
from lingtan.errors import Unavailable
from lingtan.readings import Reading

log = logging.getLogger(__name__)

#: the errors of a connection that a reconnection may cure (the APCI's sequence and framing
#: errors are ``ConnectionError``\ s, t1 expiring a ``TimeoutError``)
SESSION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    ConnectionError,
    Unavailable,
)
#: received APDUs waiting to be decoded before the link stops reading: the RTU's k window
#: then fills and it holds its changes (apci.ApciLink)
INBOX_MAX: Final = 1000
#: negative replies to a command: unknown type, cause, common address, IOA (IEC 60870-5-101
#: §7.2.3: causes 44–47)
_UNKNOWN_CAUSES: Final = range(44, 48)
_NAMES: Final = {C_IC_NA_1: "general interrogation", C_CI_NA_1: "counter interrogation"}


class _Closed:
    """The inbox's last item: the link ended."""


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
        #: connections opened, interrogations confirmed and terminated (status and tests)
        self.sessions = 0
        self.interrogations = 0
        self.counter_interrogations = 0
        self.terminations = 0
        #: readings that carried no usable time tag and took the receive time
        self.receive_time_readings = 0
        self.connected = asyncio.Event()
        #: the link of the open session
        self.link: ApciLink | None = None
        #: (type id, common address) of a command sent → its confirmation
        self._waiting: dict[tuple[int, int], asyncio.Future[Command]] = {}

    async def run(self, ctx: ConnectorContext) -> None:
        """Collect until cancelled; reconnect with back-off."""
        await run_sessions(
            ctx,
            lambda backoff: self._session(ctx, backoff),
            device=self.device,
            errors=SESSION_ERRORS,
            backoff=Backoff(initial=self.cfg.retry_initial_s, maximum=self.cfg.retry_max_s),
            lost_after=self.cfg.lost_after,
            points=self.points,
            on_error=self.connected.clear,
        )

    async def _session(self, ctx: ConnectorContext, backoff: Backoff) -> None:
        cfg = self.cfg
        try:
            async with asyncio.timeout(cfg.timeout_s):
                reader, writer = await asyncio.open_connection(cfg.host, cfg.port)
        except TimeoutError:
            raise ConnectionError(
                f"no connection to {self.device} within {cfg.timeout_s:g} s"
            ) from None
        link = ApciLink(reader, writer, cfg.apci(), name=self.device)
        inbox: asyncio.Queue[tuple[bytes, dt.datetime] | _Closed] = asyncio.Queue()
        room = asyncio.Event()
        room.set()

        async def on_apdu(apdu: bytes) -> None:
            try:
                command = decode_command(apdu)
            except ApduError:
                command = None  # decoded (and refused) with the data
            if command is not None:
                self._reply(command)
                return
            inbox.put_nowait((apdu, utcnow()))
            if inbox.qsize() >= INBOX_MAX:
                room.clear()
                await room.wait()

        serving = asyncio.create_task(link.run(on_apdu))
        serving.add_done_callback(lambda _: inbox.put_nowait(_Closed()))
        self.link = link
        try:
            await self._start(link, serving)
            self.sessions += 1
            ctx.stats.state = "running"
            ctx.device_ok(self.device, points=self.points)
            backoff.reset()
            self.connected.set()
            await self._receive(ctx, link, serving, inbox, room)
        finally:
            self.connected.clear()
            self.link = None
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            await link.close()
            for future in self._waiting.values():
                future.cancel()
            self._waiting.clear()

    async def _start(self, link: ApciLink, serving: asyncio.Task[None]) -> None:
        """STARTDT act until its confirmation (IEC 60870-5-104 §5.3 [clause number not
        verified]), within ``timeout_s``."""
        link.send_u(STARTDT_ACT)
        started = asyncio.create_task(link.started.wait())
        try:
            done, _ = await asyncio.wait(
                {started, serving}, timeout=self.cfg.timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            started.cancel()
        if serving in done:
            serving.result()  # raises why the link ended
            raise ConnectionError(f"{self.device} closed the connection before STARTDT con")
        if started not in done:
            raise ConnectionError(
                f"STARTDT not confirmed by {self.device} within {self.cfg.timeout_s:g} s"
            )

    def _reply(self, command: Command) -> None:
        """A confirmation or termination of one of our commands (read on the link's task)."""
        what = f"{_NAMES[command.type_id]} of {command.common_address}"
        if command.cause == COT_ACTCON or command.cause in _UNKNOWN_CAUSES:
            future = self._waiting.get((command.type_id, command.common_address))
            if future is not None and not future.done():
                future.set_result(command)
            else:
                log.info("%s: %s confirmed, not asked for", self.device, what)
        elif command.cause == COT_ACTTERM:
            self.terminations += 1
            log.debug("%s: %s terminated", self.device, what)
        else:
            log.info("%s: %s with cause %d ignored", self.device, what, command.cause)

    async def _interrogate(self, link: ApciLink, *, general: bool, counters: bool) -> None:
        """Send the interrogations, each waiting for its confirmation."""
        if general:
            for address in self.addresses:
                await self._ask(link, C_IC_NA_1, address, QOI_STATION)
                self.interrogations += 1
        if counters:
            for address in self.counter_addresses:
                await self._ask(link, C_CI_NA_1, address, QCC_GENERAL_READ)
                self.counter_interrogations += 1

    async def _ask(self, link: ApciLink, type_id: int, address: int, qualifier: int) -> None:
        """One command (cause act) until it is confirmed, three times at most; then the
        session ends."""
        what = f"{_NAMES[type_id]} of {address}"
        loop = asyncio.get_running_loop()
        for attempt in range(3):
            future: asyncio.Future[Command] = loop.create_future()
            self._waiting[(type_id, address)] = future
            link.send_asdu(command_asdu(type_id, address, qualifier))
            try:
                async with asyncio.timeout(self.cfg.timeout_s):
                    reply = await future
            except TimeoutError:
                log.info("%s: %s not confirmed (attempt %d)", self.device, what, attempt + 1)
                continue
            finally:
                self._waiting.pop((type_id, address), None)
            if not reply.negative and reply.cause == COT_ACTCON:
                return
            log.info(
                "%s: %s refused (cause %d, attempt %d)", self.device, what, reply.cause,
                attempt + 1,
            )  # fmt: skip
            await asyncio.sleep(0.2 * (attempt + 1))
        raise ConnectionError(f"{what} not confirmed by {self.device}")

    async def _receive(
        self,
        ctx: ConnectorContext,
        link: ApciLink,
        serving: asyncio.Task[None],
        inbox: asyncio.Queue[tuple[bytes, dt.datetime] | _Closed],
        room: asyncio.Event,
    ) -> None:
        cfg = self.cfg
        # the interrogations run beside the reading of what they bring
        asks: asyncio.Task[None] = asyncio.create_task(
            self._interrogate(link, general=True, counters=bool(self.counter_addresses))
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
                            self._interrogate(link, general=general, counters=bool(counters))
                        )
                try:
                    async with asyncio.timeout(0.5):
                        first = await inbox.get()
                except TimeoutError:
                    continue
                items = [first]
                while not inbox.empty():
                    items.append(inbox.get_nowait())
                room.set()
                readings: list[Reading] = []
                closed = False
                for item in items:
                    if isinstance(item, _Closed):
                        closed = True
                        continue
                    readings.extend(self._decode(ctx, *item))
                if readings:
                    ctx.stats.record_readings(len(readings))
                    await ctx.submit(readings)
                if closed:
                    if not serving.cancelled():
                        serving.result()  # raises why the link ended
                    raise ConnectionError(f"connection to {self.device} closed")
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


__all__ = ["SESSION_ERRORS", "Iec104Connector"]
