"""IEC 60870-5-104 transport: APDU framing, sequence numbers, acknowledgements, the timers.

Standard: IEC 60870-5-104:2006, §5 [clause number not verified] (APCI: the frame formats and
their control fields) and the interoperability list of §9 (the default parameters, "Definition
of time outs" and "Maximum number of outstanding I format APDUs k and latest acknowledge APDUs
(w)", §9.6 [clause number not verified]); DL/T 634.5104-2009 is its Chinese adoption. Used by the client
(:mod:`lingtan.connectors.iec104.client`) and by the simulated RTU (:mod:`.sim`) alike.

An APDU is the start octet ``68``, a length octet L (4 … 253: the octets that follow) and four
control octets, then in an I-format frame one ASDU:

* **I format** (information transfer, C1 bit 0 = 0): send sequence number N(S) in C1 bits 1–7
  and C2, receive sequence number N(R) in C3 bits 1–7 and C4; both 15 bits, counting modulo
  32,768. N(R) acknowledges every I-frame whose N(S) is below it.
* **S format** (supervisory, C1 = 01, C2 = 00): N(R) only — an acknowledgement when there is no
  I-frame to carry it.
* **U format** (unnumbered control, C1 bits 0–1 = 11): one function bit each of STARTDT act
  (bit 2) / con (3), STOPDT act (4) / con (5), TESTFR act (6) / con (7).

Procedures (IEC 60870-5-104:2006 §5.1–5.3 [clause numbers not verified]):

* a received N(S) other than the expected one, or an N(R) acknowledging a frame not sent, is a
  sequence error: the connection is closed (and the client opens a new one);
* at most ``k`` I-frames are sent unacknowledged; the sender waits for an acknowledgement;
* received I-frames are acknowledged at the latest after ``w`` of them, or ``t2`` after the
  first one not yet acknowledged when no I-frame of ours carries the acknowledgement;
* an I-frame or a STARTDT/STOPDT/TESTFR act not acknowledged / confirmed within ``t1`` closes
  the connection;
* a link on which nothing has been received for ``t3`` is tested with TESTFR act.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Literal

log = logging.getLogger(__name__)

START: Final = 0x68
#: the largest length octet: APDU at most 255 octets
MAX_LENGTH: Final = 253
#: sequence numbers count modulo 2¹⁵
MODULO: Final = 32_768

STARTDT_ACT: Final = 0x07
STARTDT_CON: Final = 0x0B
STOPDT_ACT: Final = 0x13
STOPDT_CON: Final = 0x23
TESTFR_ACT: Final = 0x43
TESTFR_CON: Final = 0x83
#: act → its con
CONFIRMATION: Final = {STARTDT_ACT: STARTDT_CON, STOPDT_ACT: STOPDT_CON, TESTFR_ACT: TESTFR_CON}
U_NAMES: Final = {
    STARTDT_ACT: "STARTDT act",
    STARTDT_CON: "STARTDT con",
    STOPDT_ACT: "STOPDT act",
    STOPDT_CON: "STOPDT con",
    TESTFR_ACT: "TESTFR act",
    TESTFR_CON: "TESTFR con",
}


class ApciError(ConnectionError):
    """A frame that breaks the APCI rules (bad start or length octet, unknown U function)."""


class SequenceError(ApciError):
    """A received N(S) that is not the expected one, or an N(R) acknowledging a frame not sent."""


@dataclass(frozen=True, slots=True)
class ApciParameters:
    """k, w and the timers t1–t3 (defaults: the values of IEC 60870-5-104:2006 §9.6
    [clause number not verified])."""

    #: I-frames sent and not yet acknowledged, at most
    k: int = 12
    #: acknowledge at the latest after this many received I-frames
    w: int = 8
    #: an I-frame or a U act not acknowledged / confirmed this long closes the connection [s]
    t1: float = 15.0
    #: acknowledge received I-frames at the latest this long after the first [s]
    t2: float = 10.0
    #: send TESTFR act after this long without receiving anything [s]
    t3: float = 20.0


@dataclass(frozen=True, slots=True)
class Frame:
    """A parsed APDU."""

    format: Literal["I", "S", "U"]
    #: N(S) of an I-frame
    send_seq: int = 0
    #: N(R) of an I- or S-frame
    recv_seq: int = 0
    #: the U function (``STARTDT_ACT`` …)
    function: int = 0
    #: the ASDU of an I-frame
    asdu: bytes = b""


def _seq(value: int) -> bytes:
    # a 15-bit number in bits 1–15 of two little-endian octets, bit 0 cleared
    return ((value % MODULO) << 1).to_bytes(2, "little")


def i_frame(send_seq: int, recv_seq: int, asdu: bytes) -> bytes:
    """An I-format APDU carrying ``asdu``."""
    if not 1 <= len(asdu) <= MAX_LENGTH - 4:
        raise ApciError(f"ASDU of {len(asdu)} octets does not fit an APDU (1 … 249)")
    return bytes((START, 4 + len(asdu))) + _seq(send_seq) + _seq(recv_seq) + asdu


def s_frame(recv_seq: int) -> bytes:
    """An S-format APDU acknowledging every I-frame below ``recv_seq``."""
    return bytes((START, 4, 0x01, 0x00)) + _seq(recv_seq)


def u_frame(function: int) -> bytes:
    """A U-format APDU (``STARTDT_ACT`` …)."""
    if function not in U_NAMES:
        raise ApciError(f"U function {function:#04x} is not one of the six")
    return bytes((START, 4, function, 0, 0, 0))


def parse_frame(apdu: bytes) -> Frame:
    """The frame of a whole APDU (start and length octets included)."""
    if len(apdu) < 6 or apdu[0] != START:
        raise ApciError(f"not an APDU: {apdu[:8].hex()}")
    if apdu[1] != len(apdu) - 2 or apdu[1] > MAX_LENGTH:
        raise ApciError(f"APDU length octet {apdu[1]} but {len(apdu) - 2} octets follow")
    c1, c2, c3, c4 = apdu[2:6]
    if c1 & 0x01 == 0:
        if len(apdu) == 6:
            raise ApciError("I-frame without an ASDU")
        return Frame(
            "I",
            send_seq=(c1 | c2 << 8) >> 1,
            recv_seq=(c3 | c4 << 8) >> 1,
            asdu=bytes(apdu[6:]),
        )
    if len(apdu) != 6:
        raise ApciError(f"{'S' if c1 & 0x03 == 0x01 else 'U'}-frame of {len(apdu)} octets")
    if c1 & 0x03 == 0x01:
        return Frame("S", recv_seq=(c3 | c4 << 8) >> 1)
    if c1 not in U_NAMES or c2 or c3 or c4:
        raise ApciError(f"unknown U-frame {apdu.hex()}")
    return Frame("U", function=c1)


async def read_apdu(reader: asyncio.StreamReader) -> bytes:
    """The next whole APDU from the stream (raises ``asyncio.IncompleteReadError`` at EOF)."""
    head = await reader.readexactly(2)
    if head[0] != START or not 4 <= head[1] <= MAX_LENGTH:
        raise ApciError(f"expected 68 and a length 4 … 253, got {head.hex()}")
    return head + await reader.readexactly(head[1])


def _distance(low: int, high: int) -> int:
    """How far ``high`` is ahead of ``low`` modulo 32,768."""
    return (high - low) % MODULO


class ApciLink:
    """One IEC 104 connection, either side: frames out with sequence numbers and the k window,
    acknowledgements in and out, U-frames, the t1–t3 timers.

    :meth:`run` reads until the connection ends and raises why (``SequenceError``,
    ``TimeoutError`` of t1, ``ConnectionError`` at EOF). Each received I-frame is handed, as
    the whole APDU, to ``on_apdu``, which is awaited: while it waits nothing more is read, so
    the peer's k window fills and it stops sending (the flow control of §5 [clause number not
    verified])."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        params: ApciParameters | None = None,
        *,
        name: str = "",
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.params = params or ApciParameters()
        self.name = name
        #: V(S), V(R): the next N(S) to send and the next N(S) expected
        self.send_seq = 0
        self.recv_seq = 0
        #: the N(R) last received: the peer has every I-frame below it
        self.acked = 0
        #: I-frames received since our last acknowledgement, and when the first of them came
        self.unacked_rx = 0
        self._first_unacked_rx = 0.0
        #: (N(S), sent at) of the I-frames sent and not yet acknowledged
        self._sent: collections.deque[tuple[int, float]] = collections.deque()
        #: U act sent → when, until its con comes
        self._pending_u: dict[int, float] = {}
        self._last_rx = 0.0
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._window = asyncio.Event()
        self._window.set()
        #: data transfer started: STARTDT con received (client) / STARTDT act answered (server)
        self.started = asyncio.Event()
        #: counters (status, tests)
        self.tests_sent = 0
        self.acks_sent = 0
        self.frames_received = 0
        self._loop = asyncio.get_running_loop()

    # ------------------------------------------------------------------ sending

    def send_asdu(self, asdu: bytes) -> None:
        """Queue an ASDU; it goes out in order as an I-frame when the k window allows."""
        self._outbox.put_nowait(asdu)

    @property
    def queued(self) -> int:
        """ASDUs queued and not yet sent."""
        return self._outbox.qsize()

    @property
    def outstanding(self) -> int:
        """I-frames sent and not yet acknowledged."""
        return _distance(self.acked, self.send_seq)

    def send_u(self, function: int) -> None:
        """Send a U-frame now (an act starts its t1)."""
        if function in CONFIRMATION:
            self._pending_u[function] = self._loop.time()
        self._write(u_frame(function))

    def _write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)

    def _acknowledge(self) -> None:
        self._write(s_frame(self.recv_seq))
        self.acks_sent += 1
        self.unacked_rx = 0

    async def _sender(self) -> None:
        while True:
            asdu = await self._outbox.get()
            while self.outstanding >= self.params.k:
                self._window.clear()
                await self._window.wait()
            self._write(i_frame(self.send_seq, self.recv_seq, asdu))
            # the I-frame carries our N(R): it acknowledges what we received
            self.unacked_rx = 0
            self._sent.append((self.send_seq, self._loop.time()))
            self.send_seq = (self.send_seq + 1) % MODULO
            await self.writer.drain()

    # ------------------------------------------------------------------ receiving

    def _peer_acknowledged(self, recv_seq: int) -> None:
        newly = _distance(self.acked, recv_seq)
        if newly > self.outstanding:
            raise SequenceError(
                f"{self.name}: N(R) {recv_seq} acknowledges frames not sent (acknowledged "
                f"{self.acked}, next to send {self.send_seq})"
            )
        # ``_sent`` holds the outstanding frames oldest first: the first ``newly`` are done
        for _ in range(newly):
            self._sent.popleft()
        self.acked = recv_seq
        if self.outstanding < self.params.k:
            self._window.set()

    async def _reader(self, on_apdu: Callable[[bytes], Awaitable[None]]) -> None:
        while True:
            try:
                apdu = await read_apdu(self.reader)
            except asyncio.IncompleteReadError:
                raise ConnectionError(f"{self.name}: connection closed by the peer") from None
            self._last_rx = self._loop.time()
            self.frames_received += 1
            frame = parse_frame(apdu)
            if frame.format == "U":
                self._on_u(frame.function)
                continue
            self._peer_acknowledged(frame.recv_seq)
            if frame.format == "S":
                continue
            if frame.send_seq != self.recv_seq:
                raise SequenceError(
                    f"{self.name}: received N(S) {frame.send_seq}, expected {self.recv_seq}"
                )
            self.recv_seq = (self.recv_seq + 1) % MODULO
            if self.unacked_rx == 0:
                self._first_unacked_rx = self._last_rx
            self.unacked_rx += 1
            if self.unacked_rx >= self.params.w:
                self._acknowledge()
            await on_apdu(apdu)

    def _on_u(self, function: int) -> None:
        if function == TESTFR_ACT:
            self._write(u_frame(TESTFR_CON))
        elif function == STARTDT_ACT:
            self._write(u_frame(STARTDT_CON))
            self.started.set()
        elif function == STOPDT_ACT:
            # the standard acknowledges outstanding I-frames before confirming STOPDT
            if self.unacked_rx:
                self._acknowledge()
            self._write(u_frame(STOPDT_CON))
            self.started.clear()
        else:  # a con
            act = next(a for a, c in CONFIRMATION.items() if c == function)
            if self._pending_u.pop(act, None) is None:
                log.info("%s: %s not asked for", self.name, U_NAMES[function])
            if function == STARTDT_CON:
                self.started.set()
            elif function == STOPDT_CON:
                self.started.clear()

    # ------------------------------------------------------------------ timers

    def _tick(self) -> float:
        p = self.params
        return min(0.5, p.t1 / 10, p.t2 / 4, p.t3 / 4)

    async def _timers(self) -> None:
        p = self.params
        while True:
            await asyncio.sleep(self._tick())
            now = self._loop.time()
            if self._sent and now - self._sent[0][1] >= p.t1:
                raise TimeoutError(
                    f"{self.name}: I-frame {self._sent[0][0]} not acknowledged within t1 "
                    f"= {p.t1:g} s"
                )
            for act, since in self._pending_u.items():
                if now - since >= p.t1:
                    raise TimeoutError(
                        f"{self.name}: {U_NAMES[act]} not confirmed within t1 = {p.t1:g} s"
                    )
            if self.unacked_rx and now - self._first_unacked_rx >= p.t2:
                self._acknowledge()
            if now - self._last_rx >= p.t3 and TESTFR_ACT not in self._pending_u:
                self.send_u(TESTFR_ACT)
                self.tests_sent += 1

    # ------------------------------------------------------------------ running

    async def run(self, on_apdu: Callable[[bytes], Awaitable[None]]) -> None:
        """Serve the connection until it ends; raises why it ended (class docstring). The
        connection is closed on the way out."""
        self._last_rx = self._loop.time()
        tasks = [
            asyncio.create_task(self._reader(on_apdu)),
            asyncio.create_task(self._sender()),
            asyncio.create_task(self._timers()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.close()

    async def close(self) -> None:
        """Close the TCP connection (idempotent)."""
        self.started.clear()
        self.writer.close()
        with contextlib.suppress(OSError, asyncio.CancelledError):
            await self.writer.wait_closed()


__all__ = [
    "CONFIRMATION",
    "MAX_LENGTH",
    "MODULO",
    "STARTDT_ACT",
    "STARTDT_CON",
    "STOPDT_ACT",
    "STOPDT_CON",
    "TESTFR_ACT",
    "TESTFR_CON",
    "ApciError",
    "ApciLink",
    "ApciParameters",
    "Frame",
    "SequenceError",
    "i_frame",
    "parse_frame",
    "read_apdu",
    "s_frame",
    "u_frame",
]
