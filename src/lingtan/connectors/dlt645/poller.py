"""DL/T 645-2007 poller: reads the configured data identifiers of every meter on one bus.

One bus (one gateway or serial port) is polled sequentially, because RS485 is half-duplex.
Each meter has its own interval. A meter that does not answer is reported (comms lost after
``lost_after`` failed cycles) and retried with back-off; nothing is produced for it. A frame
that arrives broken (checksum, end byte …) is counted and kept as a rejected payload; a
value whose bytes are not BCD is passed on with its raw frame so ingest rejects and keeps it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from lingtan.connectors.base import Backoff, ConnectorContext, raise_if_cancelled, utcnow
from lingtan.connectors.dlt645.data_ids import BadValue, decode_value, lookup
from lingtan.connectors.dlt645.frame import (
    Dlt645Error,
    describe_error,
    format_di,
    normalise_address,
    read_request,
)
from lingtan.connectors.dlt645.transport import Transport
from lingtan.errors import Unavailable
from lingtan.readings import Reading

log = logging.getLogger(__name__)


@dataclass
class MeterConfig:
    """One meter on the bus: its address and which identifiers feed which points."""

    address: str
    #: data identifier → metering point id
    points: dict[int, str]
    poll_interval_s: float = 60.0
    name: str = ""

    def __post_init__(self) -> None:
        self.address = normalise_address(self.address)
        self.name = self.name or self.address
        for di in self.points:
            lookup(di)  # fail at configuration time on an unknown identifier


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
            for di, point in meter.points.items():
                reading = await self._read_one(ctx, transport, meter, di, point, source)
                if reading is not None:
                    readings.append(reading)
        except Unavailable as err:
            ctx.device_failed(meter.name, str(err), lost_after=self.lost_after)
            state.due = time.monotonic() + state.backoff.next_delay()
            if readings:
                await self._submit(ctx, readings)
            return
        ctx.device_ok(meter.name)
        state.backoff.reset()
        state.due = time.monotonic() + meter.poll_interval_s
        if readings:
            await self._submit(ctx, readings)

    async def _submit(self, ctx: ConnectorContext, readings: list[Reading]) -> None:
        ctx.stats.record_readings(len(readings))
        await ctx.submit(readings)

    async def _read_one(
        self,
        ctx: ConnectorContext,
        transport: Transport,
        meter: MeterConfig,
        di: int,
        point: str,
        source: str,
    ) -> Reading | None:
        request = read_request(meter.address, di).encode()
        try:
            frame = await transport.exchange(request, timeout=self.timeout_s)
        except Dlt645Error as err:
            ctx.stats.record_error(f"{meter.name} {format_di(di)}: {err}")
            ctx.reject_payload(source, err.code, str(err))
            return None
        raw = frame.encode(wakeup=0).hex(" ")
        row = lookup(di)
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
        ts = utcnow()
        try:
            value = decode_value(di, frame.payload)
        except BadValue as err:
            ctx.stats.record_error(f"{meter.name}: {err}")
            # not a number: passed on so the ingest pipeline rejects it with its reason and keeps it
            return Reading(point, ts, f"bcd:{frame.payload.hex()}", row.unit, source, raw)
        if isinstance(value, str):
            return Reading(point, ts, value, row.unit, source, raw)
        return Reading(point, ts, float(value), row.unit, source)
