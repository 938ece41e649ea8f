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
the third failure ends the session. The RTU's actterm (10) ends the procedure; it is counted.
Spontaneous (COT 3) and periodic data are read as they come. Every decoded value becomes a
reading handed to the collector.

Clock synchronisation (``clock_sync``, off by default: setting an RTU's clock is the
operator's decision): after STARTDT con and before the interrogations, and then every
``clock_sync_interval_s``, a C_CS_NA_1 (IEC 60870-5-101 §7.3.4.4 [clause number not
verified]) with cause act (6) at IOA 0 to every common address read, carrying the client's
time (``clock``) as CP56Time2a wall time of the RTU's ``time_zone``. Its actcon (7) confirms
it; a negative confirmation is logged and counted (``clock_syncs_refused``), not retried and
not fatal; no answer within ``timeout_s`` sends it again with the time of then, and the third
silence ends the session as for the other commands. Sent, confirmed and refused syncs are
counted in the connector's stats.

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
from functools import partial
from typing import Final

from lingtan.connectors.base import (
    Backoff,
    ConnectorContext,
    ConnectorStats,
    raise_if_cancelled,
    run_sessions,
    utcnow,
)
from lingtan.connectors.iec104.apci import STARTDT_ACT, ApciLink
from lingtan.connectors.iec104.codec import (
    C_CI_NA_1,
    C_CS_NA_1,
    C_IC_NA_1,
    COT_ACTCON,
    COT_ACTTERM,
    DATA_CAUSES,
    QCC_GENERAL_READ,
    QOI_STATION,
    ApduError,
    ClockSync,
    Command,
    clock_sync_asdu,
    command_asdu,
    decode_apdu,
    decode_clock_sync,
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
_NAMES: Final = {
    C_IC_NA_1: "general interrogation",
    C_CI_NA_1: "counter interrogation",
    C_CS_NA_1: "clock synchronisation",
}
#: a command's reply: an interrogation's or a clock synchronisation's
Reply = Command | ClockSync


class _Closed:
    """The inbox's last item: the link ended."""


class Iec104Connector:
    """Reads the mapped information objects of one IEC 104 outstation (module docstring)."""

    kind = "iec104"

    def __init__(
        self, cfg: Iec104Config, *, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.cfg = cfg
        #: the controlling station's time a clock synchronisation carries (aware; tests fix it)
        self.clock = clock or utcnow
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
        #: clock synchronisations sent (each attempt), confirmed and refused by the RTU
        self.clock_syncs_sent = 0
        self.clock_syncs_confirmed = 0
        self.clock_syncs_refused = 0
        #: readings that carried no usable time tag and took the receive time
        self.receive_time_readings = 0
        self.connected = asyncio.Event()
        #: the link of the open session
        self.link: ApciLink | None = None
        #: (type id, common address) of a command sent → its confirmation
        self._waiting: dict[tuple[int, int], asyncio.Future[Reply]] = {}

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
                reply: Reply | None = decode_command(apdu) or decode_clock_sync(apdu)
            except ApduError as err:
                log.info("%s: %s", self.device, err)
                reply = None  # no confirmation: the command is sent again
            if reply is not None:
                self._reply(reply)
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

    def _reply(self, command: Reply) -> None:
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

    async def _interrogate(
        self,
        link: ApciLink,
        stats: ConnectorStats,
        *,
        general: bool,
        counters: bool,
        sync: bool = False,
    ) -> None:
        """Send the clock synchronisations, then the interrogations, each waiting for its
        confirmation (the RTU's time tags in the answers then follow the synchronised
        clock)."""
        if sync:
            for address in self.addresses:
                await self._synchronise(link, stats, address)
        if general:
            for address in self.addresses:
                await self._ask(
                    link, C_IC_NA_1, address, partial(command_asdu, C_IC_NA_1, address, QOI_STATION)
                )
                self.interrogations += 1
        if counters:
            for address in self.counter_addresses:
                asdu = partial(command_asdu, C_CI_NA_1, address, QCC_GENERAL_READ)
                await self._ask(link, C_CI_NA_1, address, asdu)
                self.counter_interrogations += 1

    async def _synchronise(self, link: ApciLink, stats: ConnectorStats, address: int) -> None:
        """One clock synchronisation: confirmed or refused, both counted; a refusal is the
        RTU's choice (its clock kept by another master, a locked setting) and the session goes
        on."""

        def asdu() -> bytes:
            # the time of each attempt, read when it is sent
            self.clock_syncs_sent += 1
            stats.count("clock_syncs_sent")
            return clock_sync_asdu(address, self.clock(), self.zone)

        reply = await self._ask(link, C_CS_NA_1, address, asdu, retry_refused=False)
        if _confirmed(reply):
            self.clock_syncs_confirmed += 1
            stats.count("clock_syncs_confirmed")
            log.info("%s: clock of %d synchronised", self.device, address)
            return
        self.clock_syncs_refused += 1
        stats.count("clock_syncs_refused")
        message = f"{self.device}: clock synchronisation of {address} refused (cause {reply.cause})"
        stats.record_error(message)
        log.warning("%s", message)

    async def _ask(
        self,
        link: ApciLink,
        type_id: int,
        address: int,
        asdu: Callable[[], bytes],
        *,
        retry_refused: bool = True,
    ) -> Reply:
        """One command (cause act, its ASDU made by ``asdu`` at each attempt) until it is
        confirmed, three times at most; then the session ends. With ``retry_refused`` false a
        negative confirmation is returned rather than sent again."""
        what = f"{_NAMES[type_id]} of {address}"
        loop = asyncio.get_running_loop()
        for attempt in range(3):
            future: asyncio.Future[Reply] = loop.create_future()
            self._waiting[(type_id, address)] = future
            link.send_asdu(asdu())
            try:
                async with asyncio.timeout(self.cfg.timeout_s):
                    reply = await future
            except TimeoutError:
                log.info("%s: %s not confirmed (attempt %d)", self.device, what, attempt + 1)
                continue
            finally:
                self._waiting.pop((type_id, address), None)
            if _confirmed(reply) or not retry_refused:
                return reply
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
            self._interrogate(
                link,
                ctx.stats,
                general=True,
                counters=bool(self.counter_addresses),
                sync=cfg.clock_sync,
            )
        )
        clock = asyncio.get_running_loop().time
        next_gi = _next(clock(), cfg.interrogation_interval_s)
        next_ci = _next(clock(), cfg.counter_interrogation_interval_s)
        next_cs = _next(clock(), cfg.clock_sync_interval_s) if cfg.clock_sync else float("inf")
        try:
            while True:
                raise_if_cancelled()
                if asks.done():
                    asks.result()  # an interrogation not confirmed ends the session
                    now = clock()
                    general, counters = now >= next_gi, now >= next_ci and self.counter_addresses
                    sync = now >= next_cs
                    if general or counters or sync:
                        if general:
                            next_gi = _next(now, cfg.interrogation_interval_s)
                        if counters:
                            next_ci = _next(now, cfg.counter_interrogation_interval_s)
                        if sync:
                            next_cs = _next(now, cfg.clock_sync_interval_s)
                        asks = asyncio.create_task(
                            self._interrogate(
                                link,
                                ctx.stats,
                                general=general,
                                counters=bool(counters),
                                sync=sync,
                            )
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


def _confirmed(reply: Reply) -> bool:
    """A positive activation confirmation."""
    return not reply.negative and reply.cause == COT_ACTCON


def _next(now: float, interval: float) -> float:
    return now + interval if interval > 0 else float("inf")


__all__ = ["SESSION_ERRORS", "Iec104Connector"]
