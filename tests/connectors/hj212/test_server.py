"""The HJ 212 receiving server on loopback: simulator → server → sink, answers, rejects."""

from __future__ import annotations

import asyncio
import datetime as dt

from lingtan.connectors.hj212 import packet as p
from lingtan.connectors.hj212.server import DataRecord, Hj212Server, Rejected
from lingtan.connectors.hj212.sim import run_stations, station_packets, station_specs
from lingtan.connectors.hj212.stream import Splitter

START = dt.datetime(2026, 1, 1, 0, 0, tzinfo=p.BEIJING)


class Recorder:
    def __init__(self) -> None:
        self.records: list[DataRecord] = []
        self.rejects: list[Rejected] = []

    async def sink(self, records: list[DataRecord]) -> None:
        self.records.extend(records)

    async def reject(self, rej: Rejected) -> None:
        self.rejects.append(rej)


async def test_simulated_stations_deliver_exactly_what_they_sent_with_answers() -> None:
    specs = station_specs(4)
    rec = Recorder()
    server = Hj212Server({s.mn: s.pw for s in specs}, rec.sink, on_reject=rec.reject)
    port = await server.start("127.0.0.1", 0)
    try:
        # every packet is answered, so the wait ends at the last answer; the long timeout only
        # keeps a loaded machine (a full test run) from cutting a station's answers short
        results = await run_stations(
            specs, "127.0.0.1", port, start=START, minutes=125, answer_timeout_s=60.0
        )
    finally:
        await server.close()
    # 125 minute packets + 2 hourly packets (after 00:59 and 01:59) per station
    assert [r.packets_sent for r in results] == [127] * 4
    assert [r.answers for r in results] == [127] * 4  # one 9014 per packet (Flag=5)
    sent = sorted(
        (s.mn, s.cn, s.data_time, s.pollutant, tuple(sorted(s.values.items())))
        for r in results
        for s in r.sent
    )
    got = sorted(
        (g.mn, g.cn, g.data_time, g.pollutant, tuple(sorted(g.values.items()))) for g in rec.records
    )
    assert got == sent
    assert len(got) == 4 * 127 * 6
    assert all(g.quality == "measured" and g.valid for g in rec.records)
    assert server.counters.accepted == {"2051": 500, "2061": 8}
    assert server.counters.answers_sent == {"9014": 508}
    assert not server.counters.rejected and not rec.rejects


async def _send(port: int, data: bytes, expect_answers: int) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers: list[bytes] = []
    try:
        writer.write(data)
        await writer.drain()
        writer.write_eof()
        splitter = Splitter()
        async with asyncio.timeout(5):
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    break
                answers += [x for x in splitter.feed(chunk) if isinstance(x, bytes)]
    finally:
        writer.close()
    assert len(answers) == expect_answers
    return answers


async def test_rejected_packets_are_counted_kept_and_not_answered() -> None:
    (spec,) = station_specs(1)
    rec = Recorder()
    server = Hj212Server({spec.mn: spec.pw}, rec.sink, on_reject=rec.reject)
    port = await server.start("127.0.0.1", 0)
    good, _ = next(station_packets(spec, START, 1))
    wrong_pw = p.build(
        st="22",
        cn="2051",
        pw="bad",
        mn=spec.mn,
        qn="20260101000000000",
        flag=5,
        cp="DataTime=20260101000000",
    )
    unknown = p.build(
        st="22",
        cn="2051",
        pw=spec.pw,
        mn="NOBODY",
        qn="20260101000000000",
        flag=5,
        cp="DataTime=20260101000000",
    )
    bad_crc = good[:-6] + b"0000\r\n"
    stream = b"noise" + good + wrong_pw + unknown + bad_crc + good[:30]
    try:
        answers = await _send(port, stream, expect_answers=1)
    finally:
        await server.close()
    assert p.parse(answers[0]).cn == "9014"
    assert server.counters.rejected == {
        "garbage": 1,
        "bad_password": 1,
        "unknown_mn": 1,
        "bad_crc": 1,
        "truncated": 1,
    }
    assert sorted(r.reason for r in rec.rejects) == sorted(server.counters.rejected)
    assert next(r for r in rec.rejects if r.reason == "bad_crc").raw == bad_crc
    assert server.counters.accepted == {"2051": 1}


async def test_no_answer_when_the_flag_does_not_ask_for_one() -> None:
    (spec,) = station_specs(1)
    rec = Recorder()
    server = Hj212Server({spec.mn: spec.pw}, rec.sink)
    port = await server.start("127.0.0.1", 0)
    frames = b"".join(f for f, _ in station_packets(spec, START, 3, answer=False))
    try:
        await _send(port, frames, expect_answers=0)
    finally:
        await server.close()
    assert server.counters.accepted == {"2051": 3}
    assert len(rec.records) == 3 * 6


async def test_a_failing_sink_leaves_the_packet_unanswered_and_counted() -> None:
    (spec,) = station_specs(1)
    rec = Recorder()
    calls = 0

    async def flaky(records: list[DataRecord]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("store down")
        rec.records.extend(records)

    server = Hj212Server({spec.mn: spec.pw}, flaky, on_reject=rec.reject)
    port = await server.start("127.0.0.1", 0)
    frames = b"".join(f for f, _ in station_packets(spec, START, 2))
    try:
        answers = await _send(port, frames, expect_answers=1)
    finally:
        await server.close()
    # only the second minute (00:01, stored) is answered; the first is kept as a reject
    assert p.parse(answers[0]).qn == "20260101000100000"
    assert server.counters.rejected == {"sink_failed": 1}
    assert server.counters.accepted == {"2051": 1}
    assert len(rec.records) == 6
