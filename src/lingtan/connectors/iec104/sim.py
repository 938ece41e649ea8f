"""A simulated IEC 104 outstation (RTU) on loopback, for trying a configuration and the tests.

An asyncio TCP server speaking the same APCI as the client (:mod:`.apci`), with one station
(common address 1 by default) and, unless other objects are given, four objects whose values
the caller sets:

* IOA 1001 ``M_ME_TF_1`` — active power [kW], short float with a CP56Time2a time tag;
* IOA 1002 ``M_ME_NC_1`` — bus voltage [kV], short float without time tag;
* IOA 2001 ``M_IT_NA_1`` — active energy, integrated total in counts (0.01 kWh a count in the
  example configuration), answered to a counter interrogation;
* IOA 3001 ``M_SP_NA_1`` — breaker position (single point, 1 closed).

It answers STARTDT, STOPDT and TESTFR (the link does), a general interrogation (C_IC_NA_1,
QOI 20) with actcon, every monitored object in its type without time tag and cause 20
(inrogen), then actterm; a counter interrogation (C_CI_NA_1, RQT 5 general) with actcon, the
counters in their own type and cause 37 (reqcogen), then actterm. A command to another common
address is answered with cause 46 (unknown common address), another qualifier with a negative
actcon. Every change set with ``transmit=True`` is sent spontaneously (cause 3) in the object's
own type to every client that started data transfer. Time tags are written as the wall time
of ``time_zone`` (the RTU's clock; UTC unless told).

A clock synchronisation (C_CS_NA_1, cause act) sets the RTU's clock: it keeps the offset
between the time received (read in ``time_zone``) and the machine's clock, answers actcon with
the time echoed, and the time tags it writes afterwards (values set without an instant, the
ticks of :meth:`SimulatedRtu.run`) follow the synchronised clock. With
``refuse_clock_sync`` it answers a negative actcon and keeps its clock, as an RTU whose clock
another master owns does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from lingtan.connectors.iec104.apci import ApciLink, ApciParameters
from lingtan.connectors.iec104.codec import (
    C_CS_NA_1,
    C_IC_NA_1,
    COT_ACT,
    COT_ACTCON,
    COT_ACTTERM,
    COT_INROGEN,
    COT_REQCOGEN,
    COT_SPONTANEOUS,
    QCC_GENERAL_READ,
    QOI_STATION,
    TYPE_IDS,
    ApduError,
    InfoObject,
    clock_sync_of,
    command_asdu,
    cp56time2a,
    decode_clock_sync,
    decode_command,
    encode_asdu,
    encode_cp56time2a,
    has_time_tag,
    objects_per_asdu,
    type_family,
    zone_of,
)

log = logging.getLogger(__name__)

POWER: Final = 1001
VOLTAGE: Final = 1002
ENERGY: Final = 2001
BREAKER: Final = 3001
DEFAULT_OBJECTS: Final = {
    POWER: "M_ME_TF_1",
    VOLTAGE: "M_ME_NC_1",
    ENERGY: "M_IT_NA_1",
    BREAKER: "M_SP_NA_1",
}
#: type with time tag → the same information without (an interrogation's answer)
_UNTAGGED: Final = {30: 1, 36: 13, 37: 15}
#: cause 46: unknown common address of ASDU (IEC 60870-5-101 §7.2.3)
_UNKNOWN_CA: Final = 46


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class _Object:
    type_id: int
    value: float | int
    quality: tuple[str, ...]
    at: dt.datetime


class SimulatedRtu:
    """An RTU with the objects of the module docstring (or ``objects``: IOA → type name)."""

    def __init__(
        self,
        *,
        port: int = 2404,
        host: str = "127.0.0.1",
        common_address: int = 1,
        power_kw: float = 42.5,
        voltage_kv: float = 10.5,
        energy_counts: int = 123_450,
        time_zone: str = "UTC",
        objects: Mapping[int, str] | None = None,
        apci: ApciParameters | None = None,
        refuse_clock_sync: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.common_address = common_address
        self.zone = zone_of(time_zone)
        self.apci = apci or ApciParameters()
        self.refuse_clock_sync = refuse_clock_sync
        #: the RTU's clock minus the machine's: set by a clock synchronisation
        self.clock_offset = dt.timedelta(0)
        start = {POWER: power_kw, VOLTAGE: voltage_kv, ENERGY: energy_counts, BREAKER: 1}
        now = self.now()
        self._objects = {
            ioa: _Object(TYPE_IDS[name], start.get(ioa, 0), (), now)
            for ioa, name in (objects or DEFAULT_OBJECTS).items()
        }
        self.energy = energy_counts
        self.power = power_kw
        self._server: asyncio.Server | None = None
        self._links: dict[ApciLink, asyncio.Task[None]] = {}
        #: interrogations answered (tests)
        self.interrogations = 0
        self.counter_interrogations = 0
        #: clock synchronisations received (refused or not) and taken (tests)
        self.clock_sync_requests = 0
        self.clock_syncs = 0
        #: the type ids of the commands received with cause act, in order (tests)
        self.commands: list[int] = []

    def now(self) -> dt.datetime:
        """The RTU's clock: the machine's, moved by the last clock synchronisation."""
        return dt.datetime.now(tz=dt.UTC) + self.clock_offset

    async def start(self) -> None:
        """Listen on ``host:port``."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.close()
        tasks = list(self._links.values())
        # closing a link ends its handler; a handler task cancelled instead is reported as an
        # error by asyncio's stream server (Python 3.11)
        for link in list(self._links):
            await link.close()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=5)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    @property
    def connections(self) -> int:
        """Clients connected now."""
        return len(self._links)

    @property
    def links(self) -> list[ApciLink]:
        """The open connections' links."""
        return list(self._links)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        link = ApciLink(reader, writer, self.apci, name=f"RTU link to {peer}")
        task = asyncio.current_task()
        assert task is not None
        self._links[link] = task

        async def on_apdu(apdu: bytes) -> None:
            self._command(link, apdu)

        try:
            await link.run(on_apdu)
        except (ConnectionError, TimeoutError, OSError) as err:
            log.debug("%s ended: %s", link.name, err)
        finally:
            self._links.pop(link, None)

    # ------------------------------------------------------------------ commands

    def _command(self, link: ApciLink, apdu: bytes) -> None:
        if len(apdu) > 8 and apdu[8] & 0x3F == COT_ACT:
            self.commands.append(apdu[6])
        if len(apdu) > 6 and apdu[6] == C_CS_NA_1:
            self._clock_sync(link, apdu)
            return
        try:
            command = decode_command(apdu)
        except ApduError as err:
            log.info("%s: %s", link.name, err)
            return
        if command is None or command.cause != COT_ACT:
            return  # the monitor direction only: other commands are not simulated
        ca, qualifier = command.common_address, command.qualifier
        if ca != self.common_address:
            link.send_asdu(
                command_asdu(command.type_id, ca, qualifier, cause=_UNKNOWN_CA, negative=True)
            )
            return
        general = command.type_id == C_IC_NA_1
        if qualifier != (QOI_STATION if general else QCC_GENERAL_READ):
            link.send_asdu(
                command_asdu(command.type_id, ca, qualifier, cause=COT_ACTCON, negative=True)
            )
            return
        link.send_asdu(command_asdu(command.type_id, ca, qualifier, cause=COT_ACTCON))
        if general:
            self.interrogations += 1
            wanted = {i: o for i, o in self._objects.items() if type_family(o.type_id) != "counter"}
            self._send_all(link, wanted, COT_INROGEN, untagged=True)
        else:
            self.counter_interrogations += 1
            wanted = {i: o for i, o in self._objects.items() if type_family(o.type_id) == "counter"}
            self._send_all(link, wanted, COT_REQCOGEN, untagged=False)
        link.send_asdu(command_asdu(command.type_id, ca, qualifier, cause=COT_ACTTERM))

    def _clock_sync(self, link: ApciLink, apdu: bytes) -> None:
        try:
            sync = decode_clock_sync(apdu)
        except ApduError as err:
            log.info("%s: %s", link.name, err)
            return
        if sync is None or sync.cause != COT_ACT:
            return
        self.clock_sync_requests += 1
        asdu = apdu[6:]
        if sync.common_address != self.common_address:
            link.send_asdu(clock_sync_of(asdu, cause=_UNKNOWN_CA, negative=True))
            return
        received = cp56time2a(sync.time_tag, self.zone)
        if self.refuse_clock_sync or received is None:
            link.send_asdu(clock_sync_of(asdu, cause=COT_ACTCON, negative=True))
            return
        self.clock_offset = received - dt.datetime.now(tz=dt.UTC)
        self.clock_syncs += 1
        link.send_asdu(clock_sync_of(asdu, cause=COT_ACTCON))

    def _send_all(
        self, link: ApciLink, objects: Mapping[int, _Object], cause: int, *, untagged: bool
    ) -> None:
        """The objects in ASDUs of one type each, as many objects as fit one APDU."""
        by_type: dict[int, list[InfoObject]] = {}
        for ioa, obj in sorted(objects.items()):
            type_id = _UNTAGGED.get(obj.type_id, obj.type_id) if untagged else obj.type_id
            by_type.setdefault(type_id, []).append(self._info(ioa, obj, type_id))
        for type_id, infos in by_type.items():
            step = objects_per_asdu(type_id)
            for k in range(0, len(infos), step):
                chunk = infos[k : k + step]
                link.send_asdu(encode_asdu(type_id, cause, self.common_address, chunk))

    def _info(self, ioa: int, obj: _Object, type_id: int) -> InfoObject:
        tag = encode_cp56time2a(obj.at, self.zone) if has_time_tag(type_id) else None
        return InfoObject(ioa, obj.value, obj.quality, tag)

    # ------------------------------------------------------------------ values

    def set_value(
        self,
        ioa: int,
        value: float | int,
        *,
        at: dt.datetime | None = None,
        quality: tuple[str, ...] = (),
        transmit: bool = True,
    ) -> None:
        """Set an object's value, the instant of its time tag (default now) and its quality
        bits by name; with ``transmit`` send it spontaneously now."""
        obj = self._objects[ioa]
        obj.value, obj.quality = value, quality
        obj.at = at or self.now()
        if transmit:
            asdu = encode_asdu(
                obj.type_id,
                COT_SPONTANEOUS,
                self.common_address,
                [self._info(ioa, obj, obj.type_id)],
            )
            for link in self._links:
                if link.started.is_set():
                    link.send_asdu(asdu)

    def set_measured(
        self,
        ioa: int,
        value: float,
        *,
        at: dt.datetime | None = None,
        quality: tuple[str, ...] = (),
        transmit: bool = True,
    ) -> None:
        """Set a short float (quality ``IV``, ``NT``, ``SB``, ``BL``, ``OV``)."""
        self.set_value(ioa, value, at=at, quality=quality, transmit=transmit)

    def set_counter(
        self, ioa: int, counter: int, *, quality: tuple[str, ...] = (), transmit: bool = False
    ) -> None:
        """Set an integrated total (quality ``CY``, ``CA``, ``IV``), read by the next counter
        interrogation (or sent now)."""
        self.set_value(ioa, counter, quality=quality, transmit=transmit)

    def set_single(self, ioa: int, on: bool, *, transmit: bool = True) -> None:
        """Set a single point."""
        self.set_value(ioa, 1 if on else 0, transmit=transmit)

    async def run(self, tick_s: float = 1.0) -> None:
        """Every tick: the power moves on a slow sine (± 2 kW), the energy counter grows by
        power × time (counts of 0.01 kWh) and the power is sent spontaneously."""
        k = 0
        base = self.power
        counted = 0.0
        while True:
            await asyncio.sleep(tick_s)
            k += 1
            self.power = round(base + 2.0 * math.sin(k / 10.0), 3)
            # kW × s / 3600 = kWh; 100 counts a kWh; the counter shows the whole counts
            counted += self.power * tick_s / 36.0
            self.set_measured(POWER, self.power)
            self.set_counter(ENERGY, self.energy + math.floor(counted))


__all__ = [
    "BREAKER",
    "DEFAULT_OBJECTS",
    "ENERGY",
    "POWER",
    "VOLTAGE",
    "SimulatedRtu",
    "free_port",
]
