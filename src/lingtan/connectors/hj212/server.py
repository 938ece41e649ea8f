"""HJ 212 receiving server (上位机): stations connect over TCP and upload data packets.

For each connection the bytes go through :class:`~lingtan.connectors.hj212.stream.Splitter`,
each packet through :func:`~lingtan.connectors.hj212.packet.parse`; the station's ``MN`` must
be configured and its ``PW`` must match. Accepted data uploads (2011/2051/2061/2031) become
:class:`DataRecord` values handed to the async ``sink``; when the packet's Flag asks for an
answer the server replies with 9014 数据应答 (HJ 212-2017 §6.6), only *after* the sink took the
records, so a station whose packet was not stored resends it. A rejected packet (bad CRC, wrong
length, unknown MN, wrong PW, malformed CP …) gets no answer; it is counted by reason and handed
to the ``on_reject`` callback with its raw bytes — never dropped silently. Acknowledgements the
stations send (9011 请求应答, 9012 执行结果) are counted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from lingtan.connectors.hj212.packet import (
    BEIJING,
    DATA_COMMANDS,
    Packet,
    PacketError,
    data_answer,
    parse,
    pollutant_codes,
)
from lingtan.connectors.hj212.stream import Skipped, Splitter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DataRecord:
    """One pollutant of one accepted data upload."""

    mn: str
    cn: str
    #: ``realtime``, ``minute``, ``hour`` or ``day``
    period: str
    data_time: dt.datetime
    pollutant: str
    values: dict[str, float]
    flag: str | None
    quality: str
    valid: bool
    qn: str | None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A packet (or unframed bytes) the server did not accept."""

    reason: str
    detail: str
    raw: bytes
    peer: str
    mn: str | None = None


Sink = Callable[[list[DataRecord]], Awaitable[None]]
RejectSink = Callable[[Rejected], Awaitable[None]]


@dataclass
class Counters:
    """What the server has seen since it started."""

    connections: int = 0
    packets: int = 0
    accepted: Counter[str] = field(default_factory=Counter)  # by CN
    rejected: Counter[str] = field(default_factory=Counter)  # by reason
    answers_sent: Counter[str] = field(default_factory=Counter)  # by CN of the answer
    records: int = 0
    #: accepted data packets by station MN, and when each station was last accepted
    by_station: Counter[str] = field(default_factory=Counter)
    last_seen: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "connections": self.connections,
            "packets": self.packets,
            "accepted": dict(self.accepted),
            "rejected": dict(self.rejected),
            "answers_sent": dict(self.answers_sent),
            "records": self.records,
            "stations": len(self.by_station),
        }


def records_of(packet: Packet) -> list[DataRecord]:
    """The data records of an accepted data upload."""
    assert packet.data_time is not None  # parse() requires DataTime for data commands
    return [
        DataRecord(
            mn=packet.mn,
            cn=packet.cn,
            period=packet.command,
            data_time=packet.data_time,
            pollutant=p.code,
            values=p.values,
            flag=p.flag,
            quality=p.quality,
            valid=p.valid,
            qn=packet.qn,
        )
        for p in packet.pollutants
    ]


def assessment_rows(records: list[DataRecord], cn: str = "2061") -> list[tuple[str, ...]]:
    """Rows ``station,parameter,ts,value,unit`` of ``lingtan environment assess`` for the
    hourly (2061) averages among ``records``: the parameter and unit of the pollutant code
    (``data/codes.yaml``, the code itself when unknown), the hour's start with its offset, and
    an empty value when the data flag makes the value invalid (kept as a missing hour)."""
    codes = pollutant_codes()
    rows: list[tuple[str, ...]] = []
    for r in records:
        if r.cn != cn or "Avg" not in r.values:
            continue
        info = codes.get(r.pollutant, {})
        value = repr(r.values["Avg"]) if r.valid else ""
        rows.append(
            (
                r.mn,
                info.get("parameter", r.pollutant),
                r.data_time.isoformat(),
                value,
                info.get("unit", ""),
            )
        )
    return rows


class Hj212Server:
    """Accepts station connections; ``stations`` maps each MN to its access password (PW)."""

    def __init__(
        self,
        stations: Mapping[str, str],
        sink: Sink,
        *,
        on_reject: RejectSink | None = None,
        tz: dt.tzinfo = BEIJING,
    ) -> None:
        self.stations = dict(stations)
        self.sink = sink
        self.on_reject = on_reject
        self.tz = tz
        self.counters = Counters()
        self._server: asyncio.Server | None = None
        self._conns: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0 = an ephemeral port); return the port."""
        self._server = await asyncio.start_server(self._handle, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening, close the open connections and wait for their handlers."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._conns.values()):
            writer.close()
        if self._conns:
            await asyncio.gather(*self._conns, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def _reject(
        self, reason: str, detail: str, raw: bytes, peer: str, mn: str | None
    ) -> None:
        self.counters.rejected[reason] += 1
        if self.on_reject is not None:
            await self.on_reject(Rejected(reason, detail, raw, peer, mn))
        else:
            log.warning("hj212 reject from %s: %s %s", peer, reason, detail)

    async def handle_frame(self, frame: bytes, peer: str) -> bytes | None:
        """Check one framed packet; return the answer to send, if any."""
        self.counters.packets += 1
        try:
            packet = parse(frame, self.tz)
        except PacketError as err:
            await self._reject(err.reason, str(err), frame, peer, None)
            return None
        expected_pw = self.stations.get(packet.mn)
        if expected_pw is None:
            await self._reject(
                "unknown_mn", f"MN {packet.mn} is not configured", frame, peer, packet.mn
            )
            return None
        if packet.pw != expected_pw:
            await self._reject(
                "bad_password", f"wrong PW for MN {packet.mn}", frame, peer, packet.mn
            )
            return None
        if packet.cn in DATA_COMMANDS:
            records = records_of(packet)
            try:
                await self.sink(records)
            except Exception as err:  # the sink's failure must not end the connection
                # not stored → not answered: the station resends it (HJ 212-2017 §6.6 重发)
                await self._reject("sink_failed", repr(err), frame, peer, packet.mn)
                return None
            self.counters.records += len(records)
            self.counters.accepted[packet.cn] += 1
            self.counters.by_station[packet.mn] += 1
            self.counters.last_seen[packet.mn] = dt.datetime.now(dt.UTC).isoformat(
                timespec="seconds"
            )
            if packet.wants_answer:
                self.counters.answers_sent["9014"] += 1
                return data_answer(packet)
            return None
        if packet.cn in ("9011", "9012", "9013", "9014"):
            self.counters.accepted[packet.cn] += 1
            return None
        await self._reject(
            "unsupported_command", f"CN {packet.cn} is not handled", frame, peer, packet.mn
        )
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counters.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._conns[task] = writer
        addr = writer.get_extra_info("peername")
        peer = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) else str(addr)
        splitter = Splitter()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for item in splitter.feed(data):
                    if isinstance(item, Skipped):
                        await self._reject(
                            item.reason, f"{len(item.data)} bytes", item.data, peer, None
                        )
                        continue
                    answer = await self.handle_frame(item, peer)
                    if answer is not None:
                        writer.write(answer)
                await writer.drain()
            for rest in splitter.close():
                await self._reject(
                    rest.reason, f"{len(rest.data)} bytes at close", rest.data, peer, None
                )
        except (ConnectionError, asyncio.IncompleteReadError) as err:
            log.info("hj212 connection %s ended: %s", peer, err)
        finally:
            if task is not None:
                self._conns.pop(task, None)
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass
