"""The IEC 104 transport (APCI): frames against octets written from IEC 60870-5-104 §5, and
the procedures between a link and a peer that writes and reads raw octets: sequence numbers
and their wrap, the w acknowledgement, the k window, t3 testing, t1 and sequence errors
closing the connection."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from lingtan.connectors.iec104.apci import (
    STARTDT_ACT,
    STARTDT_CON,
    STOPDT_ACT,
    STOPDT_CON,
    TESTFR_ACT,
    TESTFR_CON,
    ApciError,
    ApciLink,
    ApciParameters,
    SequenceError,
    i_frame,
    parse_frame,
    read_apdu,
    s_frame,
    u_frame,
)


def octets(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


#: C_IC_NA_1 (0x64), VSQ 01, COT 06 00 (act, originator 0), CA 01 00, IOA 00 00 00, QOI 14 (20)
GI = octets("64 01 06 00 01 00 00 00 00 14")


def test_u_frames() -> None:
    # C1 = function bit | 11: STARTDT act bit 2 (04 | 03 = 07), con bit 3 (08 | 03 = 0B),
    # STOPDT act bit 4 (13), con bit 5 (23), TESTFR act bit 6 (43), con bit 7 (83)
    assert u_frame(STARTDT_ACT) == octets("68 04 07 00 00 00")
    assert u_frame(STARTDT_CON) == octets("68 04 0B 00 00 00")
    assert u_frame(STOPDT_ACT) == octets("68 04 13 00 00 00")
    assert u_frame(STOPDT_CON) == octets("68 04 23 00 00 00")
    assert u_frame(TESTFR_ACT) == octets("68 04 43 00 00 00")
    assert u_frame(TESTFR_CON) == octets("68 04 83 00 00 00")
    assert parse_frame(octets("68 04 43 00 00 00")).function == TESTFR_ACT


def test_s_frame() -> None:
    # C1 01, C2 00, N(R) 5 in bits 1–15 of C3/C4: 5 << 1 = 0x000A → 0A 00
    assert s_frame(5) == octets("68 04 01 00 0A 00")
    frame = parse_frame(octets("68 04 01 00 0A 00"))
    assert (frame.format, frame.recv_seq) == ("S", 5)


def test_i_frame() -> None:
    # N(S) 3 → 3 << 1 = 06 00, N(R) 5 → 0A 00; length 4 + 10 octets of ASDU = 0E
    assert i_frame(3, 5, GI) == octets("68 0E 06 00 0A 00") + GI
    frame = parse_frame(octets("68 0E 06 00 0A 00") + GI)
    assert (frame.format, frame.send_seq, frame.recv_seq, frame.asdu) == ("I", 3, 5, GI)
    # the largest number, 32767 → 0xFFFE → FE FF; 32768 is 0 again
    assert i_frame(32_767, 32_768, GI)[2:6] == octets("FE FF 00 00")
    assert parse_frame(octets("68 0E FE FF FE FF") + GI).send_seq == 32_767


def test_bad_frames_are_refused() -> None:
    with pytest.raises(ApciError, match="not an APDU"):
        parse_frame(octets("69 04 07 00 00 00"))
    with pytest.raises(ApciError, match="length octet 5"):
        parse_frame(octets("68 05 07 00 00 00"))
    with pytest.raises(ApciError, match="unknown U-frame"):
        parse_frame(octets("68 04 0F 00 00 00"))  # two functions at once
    with pytest.raises(ApciError, match="does not fit"):
        i_frame(0, 0, bytes(250))  # an APDU is at most 255 octets: ASDU at most 249


@dataclass
class Pair:
    link: ApciLink
    served: asyncio.Task[None]
    received: asyncio.Queue[bytes]
    peer_r: asyncio.StreamReader
    peer_w: asyncio.StreamWriter

    async def next_frame(self) -> bytes:
        async with asyncio.timeout(10):
            return await read_apdu(self.peer_r)

    def send(self, data: bytes) -> None:
        self.peer_w.write(data)


@contextlib.asynccontextmanager
async def linked(params: ApciParameters) -> AsyncIterator[Pair]:
    """An ApciLink on one end of a socket pair and raw streams on the other."""
    a, b = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=a)
    peer_r, peer_w = await asyncio.open_connection(sock=b)
    link = ApciLink(reader, writer, params, name="test")
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def keep(apdu: bytes) -> None:
        received.put_nowait(apdu)

    served = asyncio.create_task(link.run(keep))
    try:
        yield Pair(link, served, received, peer_r, peer_w)
    finally:
        served.cancel()
        await asyncio.gather(served, return_exceptions=True)
        peer_w.close()


#: timers that do not interfere unless a test shortens one
QUIET = ApciParameters(t1=30, t2=20, t3=60)


async def test_startdt_and_testfr_are_answered() -> None:
    async with linked(QUIET) as p:
        p.send(u_frame(STARTDT_ACT))
        assert await p.next_frame() == u_frame(STARTDT_CON)
        assert p.link.started.is_set()
        p.send(u_frame(TESTFR_ACT))
        assert await p.next_frame() == u_frame(TESTFR_CON)


async def test_acknowledged_after_w_i_frames() -> None:
    async with linked(QUIET) as p:  # w = 8
        for n in range(7):
            p.send(i_frame(n, 0, GI))
        # frames are handled in order: an acknowledgement of the first 7 would come first
        p.send(u_frame(TESTFR_ACT))
        assert await p.next_frame() == u_frame(TESTFR_CON)
        p.send(i_frame(7, 0, GI))
        # the 8th: S-frame with N(R) 8 → 8 << 1 = 0x10
        assert await p.next_frame() == octets("68 04 01 00 10 00")
        assert [(await p.received.get())[2:4] for _ in range(8)][-1] == octets("0E 00")


async def test_sequence_numbers_wrap_at_32767() -> None:
    async with linked(QUIET) as p:
        p.link.recv_seq = 32_766
        p.link.send_seq = p.link.acked = 32_765
        for n in (32_766, 32_767, 0):
            p.send(i_frame(n, 32_765, GI))
        p.send(u_frame(TESTFR_ACT))  # answered once the three are read
        assert await p.next_frame() == u_frame(TESTFR_CON)
        assert p.link.recv_seq == 1
        p.link.send_asdu(GI)
        # our I-frame carries N(S) 32765 (<< 1 = 0xFFFA: FA FF) and N(R) 1 (02 00)
        assert (await p.next_frame())[2:6] == octets("FA FF 02 00")
        p.send(s_frame(32_766))  # acknowledges it
        for _ in range(3):
            p.link.send_asdu(GI)
        # N(S) 32766 (FC FF), 32767 (FE FF), then 0 again
        sent = [(await p.next_frame())[2:4] for _ in range(3)]
        assert sent == [octets("FC FF"), octets("FE FF"), octets("00 00")]
        assert p.link.send_seq == 1
        assert not p.served.done()


async def test_k_window_holds_frames_until_acknowledged() -> None:
    async with linked(ApciParameters(k=2, w=1, t1=30, t2=20, t3=60)) as p:
        for _ in range(3):
            p.link.send_asdu(GI)
        first, second = await p.next_frame(), await p.next_frame()
        assert (first[2], second[2]) == (0x00, 0x02)  # N(S) 0 and 1
        p.send(u_frame(TESTFR_ACT))
        # a third I-frame, were it sent, would be written before this answer
        assert await p.next_frame() == u_frame(TESTFR_CON)
        assert p.link.outstanding == 2
        p.send(s_frame(2))
        assert (await p.next_frame())[2] == 0x04  # N(S) 2


async def test_idle_link_is_tested_after_t3_and_closed_after_t1() -> None:
    async with linked(ApciParameters(t1=0.6, t2=0.2, t3=0.3)) as p:
        assert await p.next_frame() == u_frame(TESTFR_ACT)
        p.send(u_frame(TESTFR_CON))
        # tested again after the next idle t3; this time unanswered: t1 ends the link
        assert await p.next_frame() == u_frame(TESTFR_ACT)
        with pytest.raises(TimeoutError, match="TESTFR act not confirmed within t1"):
            await p.served
        assert p.link.tests_sent == 2


async def test_unacknowledged_received_frames_are_acknowledged_after_t2() -> None:
    async with linked(ApciParameters(t1=5, t2=0.2, t3=30)) as p:
        p.send(i_frame(0, 0, GI))
        # no other frame follows: after t2 the S-frame with N(R) 1 (02 00)
        assert await p.next_frame() == octets("68 04 01 00 02 00")


async def test_a_sequence_error_closes_the_connection() -> None:
    async with linked(QUIET) as p:
        p.send(i_frame(0, 0, GI))
        p.send(i_frame(2, 0, GI))  # N(S) 1 expected
        with pytest.raises(SequenceError, match="received N\\(S\\) 2, expected 1"):
            await p.served
        async with asyncio.timeout(10):
            assert await p.peer_r.read() == b""  # closed: end of stream


async def test_an_acknowledgement_of_frames_not_sent_closes_the_connection() -> None:
    async with linked(QUIET) as p:
        p.send(s_frame(3))  # nothing was sent
        with pytest.raises(SequenceError, match="N\\(R\\) 3 acknowledges frames not sent"):
            await p.served
