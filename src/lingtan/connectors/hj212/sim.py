"""HJ 212 station simulator (a data logger, 数采仪): connects to a server and uploads minute
(2051) and hourly (2061) packets of its pollutants, with values from a deterministic generator,
so that tests and the benchmark know exactly what was sent.

The values are synthetic (a daily cycle plus seeded noise, rounded to 3 decimals so that the
text sent parses back to the very same float); they are not measurements of anything.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from lingtan.connectors.hj212.packet import (
    BEIJING,
    FLAG_ANSWER,
    VERSION_2017,
    Pollutant,
    build,
    format_cp,
    qn_of,
)
from lingtan.connectors.hj212.stream import Splitter

#: synthetic level and daily swing of each simulated pollutant (µg/m³; CO in mg/m³)
SIM_LEVELS: dict[str, tuple[float, float]] = {
    "a21026": (12.0, 6.0),  # SO2
    "a21004": (35.0, 15.0),  # NO2
    "a21005": (0.8, 0.3),  # CO
    "a05024": (90.0, 60.0),  # O3
    "a34002": (70.0, 25.0),  # PM10
    "a34004": (40.0, 15.0),  # PM2.5
}


@dataclass(frozen=True, slots=True)
class StationSpec:
    """A simulated station: MN, password, system code and pollutant codes."""

    mn: str
    pw: str = "123456"
    st: str = "22"
    pollutants: tuple[str, ...] = tuple(SIM_LEVELS)


@dataclass(frozen=True, slots=True)
class Sent:
    """One pollutant value the simulator sent."""

    mn: str
    cn: str
    data_time: dt.datetime
    pollutant: str
    values: dict[str, float]


def minute_value(mn: str, code: str, ts: dt.datetime, seed: int = 0) -> float:
    """The deterministic synthetic concentration of ``code`` at ``ts`` for station ``mn``."""
    level, swing = SIM_LEVELS.get(code, (10.0, 5.0))
    # seeded noise in [-swing/4, swing/4): a hash, so any value is reproducible on its own
    noise = zlib.crc32(f"{seed}:{mn}:{code}:{int(ts.timestamp())}".encode()) / 2**32 - 0.5
    hour = ts.astimezone(BEIJING).hour + ts.minute / 60
    value = level + swing * math.sin((hour - 9) / 24 * 2 * math.pi) + noise * swing / 2
    return round(max(value, 0.0), 3)


def station_packets(
    spec: StationSpec,
    start: dt.datetime,
    minutes: int,
    *,
    hourly: bool = True,
    answer: bool = True,
    seed: int = 0,
) -> Iterator[tuple[bytes, list[Sent]]]:
    """The packets a station sends for ``minutes`` minutes from ``start`` (aware, whole
    minute): one 2051 per minute, and one 2061 after each full local hour when ``hourly``."""
    flag = VERSION_2017 | (FLAG_ANSWER if answer else 0)
    hour_values: dict[str, list[float]] = {c: [] for c in spec.pollutants}
    for k in range(minutes):
        ts = (start + dt.timedelta(minutes=k)).astimezone(BEIJING)
        pollutants = []
        sent = []
        for code in spec.pollutants:
            v = minute_value(spec.mn, code, ts, seed)
            hour_values[code].append(v)
            values = {"Avg": v, "Min": v, "Max": v}
            pollutants.append(Pollutant(code, values, "N"))
            sent.append(Sent(spec.mn, "2051", ts, code, values))
        cp = format_cp(ts, pollutants)
        yield (
            build(st=spec.st, cn="2051", pw=spec.pw, mn=spec.mn, qn=qn_of(ts), flag=flag, cp=cp),
            sent,
        )
        if hourly and ts.minute == 59:
            hour = ts.replace(minute=0)
            pollutants = []
            sent = []
            for code in spec.pollutants:
                vs = hour_values[code]
                values = {
                    "Avg": round(sum(vs) / len(vs), 3),
                    "Min": min(vs),
                    "Max": max(vs),
                }
                pollutants.append(Pollutant(code, values, "N"))
                sent.append(Sent(spec.mn, "2061", hour, code, values))
                vs.clear()
            cp = format_cp(hour, pollutants)
            qn = qn_of(ts + dt.timedelta(seconds=59))
            yield (
                build(st=spec.st, cn="2061", pw=spec.pw, mn=spec.mn, qn=qn, flag=flag, cp=cp),
                sent,
            )


@dataclass
class SimResult:
    """What one simulated station did."""

    mn: str
    packets_sent: int = 0
    answers: int = 0
    #: the answers did not all arrive within the timeout
    timed_out: bool = False
    sent: list[Sent] = field(default_factory=list)


async def run_station(
    spec: StationSpec,
    host: str,
    port: int,
    *,
    start: dt.datetime,
    minutes: int,
    hourly: bool = True,
    answer: bool = True,
    seed: int = 0,
    answer_timeout_s: float = 5.0,
    packets: list[tuple[bytes, list[Sent]]] | None = None,
) -> SimResult:
    """Connect, send every packet (pipelined), then wait for the 9014 answers when asked for."""
    result = SimResult(spec.mn)
    todo = (
        packets
        if packets is not None
        else list(station_packets(spec, start, minutes, hourly=hourly, answer=answer, seed=seed))
    )
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for frame, sent in todo:
            writer.write(frame)
            result.packets_sent += 1
            result.sent.extend(sent)
            if result.packets_sent % 64 == 0:
                await writer.drain()
        await writer.drain()
        if answer:
            splitter = Splitter()
            # a rejected packet gets no answer: stop waiting after the timeout, counting what came
            try:
                async with asyncio.timeout(answer_timeout_s):
                    while result.answers < result.packets_sent:
                        data = await reader.read(65536)
                        if not data:
                            break
                        result.answers += sum(
                            1
                            for x in splitter.feed(data)
                            if isinstance(x, bytes) and b"CN=9014" in x
                        )
            except TimeoutError:
                result.timed_out = True
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass
    return result


async def run_stations(
    specs: list[StationSpec],
    host: str,
    port: int,
    *,
    start: dt.datetime,
    minutes: int,
    hourly: bool = True,
    answer: bool = True,
    seed: int = 0,
    answer_timeout_s: float = 5.0,
) -> list[SimResult]:
    """Run several stations concurrently."""
    return list(
        await asyncio.gather(
            *(
                run_station(
                    s,
                    host,
                    port,
                    start=start,
                    minutes=minutes,
                    hourly=hourly,
                    answer=answer,
                    seed=seed,
                    answer_timeout_s=answer_timeout_s,
                )
                for s in specs
            )
        )
    )


def station_specs(n: int, *, pw: str = "123456") -> list[StationSpec]:
    """``n`` simulated stations with MNs ``SIM0000000000001`` …"""
    return [StationSpec(mn=f"SIM{k:013d}", pw=pw) for k in range(1, n + 1)]
