"""DL/T 645-2007 poller: reads the configured data identifiers of every meter on one bus.

One bus (one gateway or serial port) is polled sequentially, because RS485 is half-duplex.
Each meter has its own interval. A meter that does not answer is reported (comms lost after
``lost_after`` failed cycles) and retried with back-off; nothing is produced for it. A frame
that arrives broken (checksum, end byte …) is counted and kept as a rejected payload; a
value whose bytes are not BCD is passed on with its raw frame so ingest rejects and keeps it.

A meter may be read in blocks (数据块, e.g. ``0201FF00`` = the three phase voltages in one
answer): each block listed in ``blocks`` is requested once per cycle and its answer becomes one
reading per item mapped in ``points``; the other mapped identifiers are read one by one. An
item of a block whose bytes are not BCD is passed on like a single value; a block answer of the
wrong length cannot be split into items and is kept as a rejected payload.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from lingtan.connectors.base import Backoff, ConnectorContext, raise_if_cancelled, utcnow
from lingtan.connectors.dlt645.data_ids import (
    BadValue,
    DataId,
    decode_value,
    lookup,
    lookup_block,
    split_block,
)
from lingtan.connectors.dlt645.frame import (
    Dlt645Error,
    Frame,
    describe_error,
    format_di,
    normalise_address,
    read_request,
)
from lingtan.connectors.dlt645.transport import Transport
from lingtan.errors import InvalidInput, Unavailable
from lingtan.readings import Reading

log = logging.getLogger(__name__)


@dataclass
class MeterConfig:
    """One meter on the bus: its address and which identifiers feed which points."""

    address: str
    #: data identifier → metering point id (the items of a block are mapped one by one)
    points: dict[int, str]
    poll_interval_s: float = 60.0
    name: str = ""
    #: block identifiers (``0x0201FF00`` …) to request as one answer each
    blocks: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.address = normalise_address(self.address)
        self.name = self.name or self.address
        for di in self.points:
            lookup(di)  # fail at configuration time on an unknown identifier
        self.blocks = tuple(dict.fromkeys(self.blocks))
        for di in self.blocks:
            block = lookup_block(di)
            if not any(e.di in self.points for e in block.elements):
                items = ", ".join(e.code for e in block.elements)
                raise InvalidInput(
                    f"meter {self.name}: block {block.code} is read but none of its items "
                    f"({items}) is mapped to a point",
                    field="blocks",
                )

    def single_points(self) -> dict[int, str]:
        """The mapped identifiers that no listed block covers (read one request each)."""
        covered = {e.di for di in self.blocks for e in lookup_block(di).elements}
        return {di: point for di, point in self.points.items() if di not in covered}


@dataclass
class _MeterState:
    meter: MeterConfig
    backoff: Backoff
    due: float = 0.0


class Dlt645Connector:
    """Polls the meters of one DL/T 645 bus."""

    kind = "dlt645"

    def __init__(
        self,
        name: str,
        transport_factory: Callable[[], Transport],
        meters: list[MeterConfig],
        *,
        timeout_s: float = 2.0,
        lost_after: int = 2,
        retry_initial_s: float = 5.0,
        retry_max_s: float = 300.0,
    ) -> None:
        self.name = name
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._transport_factory = transport_factory
        self.meters = meters
        self.timeout_s = timeout_s
        self.lost_after = lost_after

    async def run(self, ctx: ConnectorContext) -> None:
        """Poll until cancelled."""
        transport = self._transport_factory()
        states = [
            _MeterState(m, Backoff(initial=self.retry_initial_s, maximum=self.retry_max_s))
            for m in self.meters
        ]
        ctx.stats.state = "running"
        try:
            while True:
                raise_if_cancelled()
                now = time.monotonic()
                due = [s for s in states if s.due <= now]
                for state in due:
                    await self._poll(ctx, transport, state)
                    raise_if_cancelled()
                next_due = min(s.due for s in states) if states else now + 60.0
                await asyncio.sleep(max(0.0, next_due - time.monotonic()))
        finally:
            await transport.close()

    async def _poll(self, ctx: ConnectorContext, transport: Transport, state: _MeterState) -> None:
        meter = state.meter
        readings: list[Reading] = []
        source = f"dlt645:{self.name}/{meter.address}"
        try:
            for block in meter.blocks:
                readings += await self._read_block(ctx, transport, meter, block, source)
            for di, point in meter.single_points().items():
                reading = await self._read_one(ctx, transport, meter, di, point, source)
                if reading is not None:
                    readings.append(reading)
        except Unavailable as err:
            ctx.device_failed(
                meter.name, str(err), lost_after=self.lost_after,
                points=tuple(meter.points.values()),
            )  # fmt: skip
            state.due = time.monotonic() + state.backoff.next_delay()
            if readings:
                await self._submit(ctx, readings)
            return
        ctx.device_ok(meter.name, points=tuple(meter.points.values()))
        state.backoff.reset()
        state.due = time.monotonic() + meter.poll_interval_s
        if readings:
            await self._submit(ctx, readings)

    async def _submit(self, ctx: ConnectorContext, readings: list[Reading]) -> None:
        ctx.stats.record_readings(len(readings))
        await ctx.submit(readings)

    async def _ask(
        self,
        ctx: ConnectorContext,
        transport: Transport,
        meter: MeterConfig,
        di: int,
        source: str,
    ) -> tuple[Frame, str] | None:
        """The meter's normal answer to a read of ``di`` and its raw hex, or None (counted and
        kept as a rejected payload)."""
        request = read_request(meter.address, di).encode()
        try:
            frame = await transport.exchange(request, timeout=self.timeout_s)
        except Dlt645Error as err:
            ctx.stats.record_error(f"{meter.name} {format_di(di)}: {err}")
            ctx.reject_payload(source, err.code, str(err))
            return None
        raw = frame.encode(wakeup=0).hex(" ")
        problem = ""
        if frame.address != meter.address:
            problem = f"answer from meter {frame.address}, expected {meter.address}"
        elif frame.abnormal:
            error_byte = frame.error_byte if frame.error_byte is not None else 0
            problem = f"meter error for {format_di(di)}: {describe_error(error_byte)}"
        elif frame.di != di:
            got = "none" if frame.di is None else format_di(frame.di)
            problem = f"asked for {format_di(di)}, answer carries {got}"
        if problem:
            ctx.stats.record_error(f"{meter.name}: {problem}")
            ctx.reject_payload(source, "dlt645_unexpected_answer", f"{problem} | {raw}")
            return None
        return frame, raw

    def _reading(
        self,
        ctx: ConnectorContext,
        meter: MeterConfig,
        row: DataId,
        payload: bytes,
        point: str,
        source: str,
        raw: str,
        ts: dt.datetime,
    ) -> Reading:
        try:
            value = decode_value(row.di, payload)
        except BadValue as err:
            ctx.stats.record_error(f"{meter.name}: {err}")
            # not a number: passed on so the ingest pipeline rejects it with its reason and keeps it
            return Reading(point, ts, f"bcd:{payload.hex()}", row.unit, source, raw)
        if isinstance(value, str):
            return Reading(point, ts, value, row.unit, source, raw)
        return Reading(point, ts, float(value), row.unit, source)

    async def _read_one(
        self,
        ctx: ConnectorContext,
        transport: Transport,
        meter: MeterConfig,
        di: int,
        point: str,
        source: str,
    ) -> Reading | None:
        answer = await self._ask(ctx, transport, meter, di, source)
        if answer is None:
            return None
        frame, raw = answer
        return self._reading(ctx, meter, lookup(di), frame.payload, point, source, raw, utcnow())

    async def _read_block(
        self,
        ctx: ConnectorContext,
        transport: Transport,
        meter: MeterConfig,
        di: int,
        source: str,
    ) -> list[Reading]:
        """One request for a block; one reading per item mapped to a point."""
        answer = await self._ask(ctx, transport, meter, di, source)
        if answer is None:
            return []
        frame, raw = answer
        try:
            parts = split_block(di, frame.payload)
        except BadValue as err:
            # the items cannot be told apart: the frame is kept whole with the reason
            ctx.stats.record_error(f"{meter.name}: {err}")
            ctx.reject_payload(source, err.code, f"{err} | {raw}")
            return []
        ts = utcnow()  # one answer: every item was read at the same instant
        return [
            self._reading(ctx, meter, row, part, meter.points[row.di], source, raw, ts)
            for row, part in parts
            if row.di in meter.points
        ]
