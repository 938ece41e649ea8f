"""Split a TCP byte stream into HJ 212 packets, pure (no sockets).

TCP delivers bytes, not packets: one read may hold half a packet, two packets, or line noise
before the next ``##``. :class:`Splitter` buffers what it is fed and returns, in order, whole
candidate packets (``##`` + 4 digits + that many bytes + 4 CRC characters + CR LF) and the
bytes it had to skip, each with a reason, so that the server counts and keeps them — nothing
is dropped silently. A length field that is not 4 digits, or larger than the standard's 1024,
or a packet whose CR LF is not where its length puts it, makes the splitter resynchronise on
the next ``##``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lingtan.connectors.hj212.packet import HEADER, MAX_DATA_LENGTH, OVERHEAD, TRAILER

#: bytes kept at most while waiting for the rest of a packet (the largest packet)
MAX_PACKET: Final = MAX_DATA_LENGTH + OVERHEAD


@dataclass(frozen=True, slots=True)
class Skipped:
    """Bytes the splitter could not frame, with the reason (``garbage``, ``bad_length``,
    ``too_long``, ``length_mismatch``, ``truncated``)."""

    reason: str
    data: bytes


class Splitter:
    """Incremental framer: :meth:`feed` bytes, get packets and skipped chunks back."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the rest of a packet."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes | Skipped]:
        """Add ``data``; return the packets (``bytes``) and skipped chunks completed by it."""
        self._buf += data
        out: list[bytes | Skipped] = []
        buf = self._buf
        while buf:
            start = buf.find(HEADER)
            if start < 0:
                # keep a lone trailing '#': it may be the first half of the next header
                keep = 1 if buf.endswith(b"#") else 0
                if len(buf) > keep:
                    out.append(Skipped("garbage", bytes(buf[: len(buf) - keep])))
                    del buf[: len(buf) - keep]
                break
            if start > 0:
                out.append(Skipped("garbage", bytes(buf[:start])))
                del buf[:start]
            if len(buf) < 6:
                break
            digits = bytes(buf[2:6])
            if not digits.isdigit():
                out.append(self._resync("bad_length"))
                continue
            length = int(digits)
            if length > MAX_DATA_LENGTH:
                out.append(self._resync("too_long"))
                continue
            end = length + OVERHEAD
            # a packet cut short by a newer one (a data segment never holds "##"): resynchronise
            # on the new header now rather than waiting for bytes that will not complete it
            nxt = buf.find(HEADER, 2, min(end, len(buf)))
            if nxt > 0:
                out.append(Skipped("truncated", bytes(buf[:nxt])))
                del buf[:nxt]
                continue
            if len(buf) < end:
                break
            if buf[end - 2 : end] != TRAILER:
                out.append(self._resync("length_mismatch"))
                continue
            out.append(bytes(buf[:end]))
            del buf[:end]
        return out

    def _resync(self, reason: str) -> Skipped:
        """Skip from the current ``##`` to the next one (or all of the buffer)."""
        buf = self._buf
        nxt = buf.find(HEADER, 2)
        cut = nxt if nxt > 0 else len(buf)
        skipped = Skipped(reason, bytes(buf[:cut]))
        del buf[:cut]
        return skipped

    def close(self) -> list[Skipped]:
        """End of stream: whatever is buffered is an incomplete packet."""
        if not self._buf:
            return []
        rest = Skipped("truncated", bytes(self._buf))
        self._buf.clear()
        return [rest]
