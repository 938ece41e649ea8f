"""DL/T 645-2007 frame codec (多功能电能表通信协议), pure: bytes in, frames out.

Frame layout (DL/T 645-2007 §7.1, 帧格式)::

    FE FE FE FE   68   A0 A1 A2 A3 A4 A5   68   C   L   DATA (L bytes)   CS   16
    wake-up       start address (BCD,    start ctrl len  each byte +33H   sum  end
    (optional)          low byte first)

* The address is 12 BCD digits sent low byte first; ``AAAAAAAAAAAA`` is the wildcard used to
  read an unknown meter's address and ``999999999999`` the broadcast address.
* Control code ``C``: D7 direction (1 = from the meter), D6 abnormal response, D5 follow-up
  frame, D4…D0 function (``11H`` read data, ``13H`` read address …).
* Every data byte is sent with 33H added (mod 256); the checksum is the sum, mod 256, of all
  bytes from the first ``68H`` to the last data byte (as sent).
* A read request carries the 4-byte data identifier DI3…DI0, sent DI0 first; a normal
  response (``91H``, or ``B1H`` when a follow-up frame exists) repeats the identifier and
  appends the value; an abnormal response (``D1H``) carries one error byte.

Each way a frame can be wrong is a distinct error class, so callers and the
``lingtan dlt645 decode`` command can say exactly what is wrong with a capture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lingtan.errors import InvalidInput

START: Final = 0x68
END: Final = 0x16
WAKEUP: Final = 0xFE
OFFSET: Final = 0x33
#: address used to ask "who are you" (read communication address, function 13H)
WILDCARD_ADDRESS: Final = "AAAAAAAAAAAA"
#: broadcast address (e.g. broadcast time, function 08H)
BROADCAST_ADDRESS: Final = "999999999999"
#: bytes of a frame without data: 68 + 6 address + 68 + C + L + CS + 16
OVERHEAD: Final = 12

#: function codes (D4…D0 of the control code), DL/T 645-2007 §7.1.3
FUNCTIONS: Final[dict[int, str]] = {
    0x08: "broadcast_time",
    0x11: "read_data",
    0x12: "read_follow_up",
    0x13: "read_address",
    0x14: "write_data",
    0x15: "write_address",
    0x16: "freeze",
    0x17: "change_baud_rate",
    0x18: "change_password",
    0x19: "clear_max_demand",
    0x1A: "clear_meter",
    0x1B: "clear_events",
    0x1C: "control",
}

#: bits of the error byte of an abnormal response (错误信息字 ERR)
ERROR_BITS: Final[dict[int, str]] = {
    0x01: "other error (其他错误)",
    0x02: "no requested data (无请求数据)",
    0x04: "password error or unauthorised (密码错/未授权)",
    0x08: "baud rate cannot be changed (通信速率不能更改)",
    0x10: "too many annual time zones (年时区数超)",
    0x20: "too many daily time periods (日时段数超)",
    0x40: "too many tariffs (费率数超)",
}


class Dlt645Error(InvalidInput):
    """A DL/T 645 frame that cannot be used; subclasses say why."""

    code = "dlt645_error"


class NoFrame(Dlt645Error):
    """No start byte 68H where a frame should begin."""

    code = "dlt645_no_frame"


class TruncatedFrame(Dlt645Error):
    """The bytes end before the frame does (length field promises more)."""

    code = "dlt645_truncated"


class BadChecksum(Dlt645Error):
    """The checksum byte does not match the sum of the frame."""

    code = "dlt645_bad_checksum"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"bad checksum: frame says {actual:02X}, bytes sum to {expected:02X}")
        self.expected = expected
        self.actual = actual


class BadEndByte(Dlt645Error):
    """The byte after the checksum is not 16H."""

    code = "dlt645_bad_end_byte"


class BadFrame(Dlt645Error):
    """Structurally wrong: second 68H missing, address not BCD, data too short …"""

    code = "dlt645_bad_frame"


class MeterError(Dlt645Error):
    """The meter answered with an abnormal response (control D1H …)."""

    code = "dlt645_meter_error"

    def __init__(self, error_byte: int) -> None:
        self.error_byte = error_byte
        super().__init__(f"meter reported an error: {describe_error(error_byte)}")


def describe_error(error_byte: int) -> str:
    """Human-readable bits of an abnormal response's error byte."""
    parts = [text for bit, text in ERROR_BITS.items() if error_byte & bit]
    return "; ".join(parts) if parts else f"error byte {error_byte:02X}"


def normalise_address(address: str) -> str:
    """12 upper-case digits (left-padded with 0); ``A`` is allowed only as the wildcard."""
    text = address.strip().upper()
    if text == WILDCARD_ADDRESS:
        return text
    if not text.isdigit() or not 1 <= len(text) <= 12:
        raise InvalidInput(
            f"meter address {address!r} must be up to 12 decimal digits", field="address"
        )
    return text.zfill(12)


def encode_address(address: str) -> bytes:
    """The 6 address bytes as sent (BCD, low byte first)."""
    text = normalise_address(address)
    return bytes(int(text[i : i + 2], 16) for i in range(10, -1, -2))


def decode_address(raw: bytes) -> str:
    """The address digits of 6 address bytes (low byte first)."""
    text = "".join(f"{b:02X}" for b in reversed(raw))
    if text != WILDCARD_ADDRESS and not text.isdigit():
        raise BadFrame(f"address bytes {raw.hex(' ')} are not BCD")
    return text


def parse_di(text: str | int) -> int:
    """A data identifier from ``"00010000"`` (DI3…DI0, hex digits) or an int."""
    if isinstance(text, int):
        value = text
    else:
        cleaned = text.strip().replace(" ", "").removeprefix("0x").removeprefix("0X")
        if len(cleaned) != 8:
            raise InvalidInput(f"data identifier {text!r} must be 8 hex digits", field="di")
        try:
            value = int(cleaned, 16)
        except ValueError as err:
            raise InvalidInput(f"data identifier {text!r} is not hexadecimal", field="di") from err
    if not 0 <= value <= 0xFFFFFFFF:
        raise InvalidInput(f"data identifier {value} out of range", field="di")
    return value


def format_di(di: int) -> str:
    """``0x00010000`` → ``"00010000"``."""
    return f"{di:08X}"


def checksum(data: bytes) -> int:
    """Sum of ``data`` modulo 256."""
    return sum(data) & 0xFF


def scramble(data: bytes) -> bytes:
    """Add 33H to every byte (as sent)."""
    return bytes((b + OFFSET) & 0xFF for b in data)


def unscramble(data: bytes) -> bytes:
    """Subtract 33H from every byte (as meant)."""
    return bytes((b - OFFSET) & 0xFF for b in data)


@dataclass(frozen=True, slots=True)
class Frame:
    """One DL/T 645 frame; ``data`` is the data field with the 33H offset removed."""

    address: str
    control: int
    data: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", normalise_address(self.address))
        if not 0 <= self.control <= 0xFF:
            raise InvalidInput(f"control code {self.control} is not a byte", field="control")
        if len(self.data) > 0xFF:
            raise InvalidInput("data field longer than 255 bytes", field="data")

    @property
    def from_meter(self) -> bool:
        """D7: the frame is a response from the meter."""
        return bool(self.control & 0x80)

    @property
    def abnormal(self) -> bool:
        """D6: the meter answers with an error."""
        return bool(self.control & 0x40)

    @property
    def follow_up(self) -> bool:
        """D5: more data follows in another frame."""
        return bool(self.control & 0x20)

    @property
    def function(self) -> int:
        """D4…D0: the function code."""
        return self.control & 0x1F

    @property
    def function_name(self) -> str:
        """Name of the function code (``read_data`` …)."""
        return FUNCTIONS.get(self.function, f"function_{self.function:02X}")

    @property
    def di(self) -> int | None:
        """Data identifier of a read request or normal read response (else ``None``)."""
        if self.function in (0x11, 0x12) and not self.abnormal and len(self.data) >= 4:
            return int.from_bytes(self.data[:4], "little")
        return None

    @property
    def payload(self) -> bytes:
        """The value bytes of a normal read response (after the data identifier)."""
        if self.di is None:
            return self.data
        return self.data[4:]

    @property
    def error_byte(self) -> int | None:
        """The error byte of an abnormal response."""
        if self.abnormal and self.data:
            return self.data[0]
        return None

    def encode(self, *, wakeup: int = 4) -> bytes:
        """The bytes to send, with ``wakeup`` leading FEH bytes."""
        body = (
            bytes([START])
            + encode_address(self.address)
            + bytes([START, self.control, len(self.data)])
            + scramble(self.data)
        )
        return bytes([WAKEUP]) * wakeup + body + bytes([checksum(body), END])


def read_request(address: str, di: int | str) -> Frame:
    """A read-data request (11H) for data identifier ``di`` from meter ``address``."""
    return Frame(address, 0x11, parse_di(di).to_bytes(4, "little"))


def read_address_request() -> Frame:
    """The read-address request (13H) to the wildcard address (one meter on the bus)."""
    return Frame(WILDCARD_ADDRESS, 0x13)


def read_response(address: str, di: int | str, payload: bytes, *, follow_up: bool = False) -> Frame:
    """A normal read response (91H, or B1H with a follow-up frame)."""
    control = 0xB1 if follow_up else 0x91
    return Frame(address, control, parse_di(di).to_bytes(4, "little") + payload)


def address_response(address: str) -> Frame:
    """The normal response (93H) to a read-address request."""
    return Frame(address, 0x93, encode_address(address))


def abnormal_response(address: str, function: int, error_byte: int) -> Frame:
    """An abnormal response (D1H for a read) carrying ``error_byte``."""
    return Frame(address, 0xC0 | (function & 0x1F), bytes([error_byte & 0xFF]))


def _skip_noise(buf: bytes) -> int:
    """Index of the first 68H (wake-up bytes FEH and line noise before it are skipped)."""
    index = buf.find(bytes([START]))
    return len(buf) if index < 0 else index


def _parse_at(buf: bytes, start: int) -> tuple[Frame, int]:
    """Parse the frame beginning at ``buf[start] == 68H``; returns it and its end index."""
    if len(buf) - start < 10:
        raise TruncatedFrame(f"{len(buf) - start} bytes after the start byte; a header needs 10")
    if buf[start + 7] != START:
        raise BadFrame(f"byte 8 of the frame is {buf[start + 7]:02X}, expected the second 68H")
    length = buf[start + 9]
    end = start + OVERHEAD + length
    if len(buf) < end:
        raise TruncatedFrame(
            f"length field says {length} data bytes; frame needs {OVERHEAD + length} bytes, "
            f"got {len(buf) - start}"
        )
    body = buf[start : start + 10 + length]
    expected, actual = checksum(body), buf[start + 10 + length]
    if expected != actual:
        raise BadChecksum(expected, actual)
    if buf[end - 1] != END:
        raise BadEndByte(f"end byte is {buf[end - 1]:02X}, expected 16H")
    address = decode_address(buf[start + 1 : start + 7])
    frame = Frame(address, buf[start + 8], unscramble(buf[start + 10 : start + 10 + length]))
    return frame, end


def decode_frame(buf: bytes) -> Frame:
    """Decode one complete frame (leading FEH wake-up bytes allowed, nothing after 16H)."""
    leading = 0
    while leading < len(buf) and buf[leading] == WAKEUP:
        leading += 1
    if leading >= len(buf):
        raise NoFrame("no bytes after the wake-up bytes" if buf else "empty input")
    if buf[leading] != START:
        raise NoFrame(f"frame starts with {buf[leading]:02X}, expected 68H")
    frame, end = _parse_at(buf, leading)
    if end != len(buf):
        raise BadFrame(f"{len(buf) - end} unexpected bytes after the end byte 16H")
    return frame


def extract_frame(buf: bytes) -> tuple[Frame | None, int]:
    """Find the first complete frame in a received byte stream.

    Returns ``(frame, consumed)``; ``(None, skipped)`` when more bytes are needed (``skipped``
    bytes of noise before a start byte may be dropped). A frame that is complete but wrong
    (checksum, end byte, missing second 68H) raises, so a transport can count it.
    """
    start = _skip_noise(buf)
    if start >= len(buf):
        return None, len(buf)
    try:
        frame, end = _parse_at(buf, start)
    except TruncatedFrame:
        return None, start
    return frame, end


def hex_to_bytes(text: str) -> bytes:
    """Bytes of a hex capture such as ``"FE FE 68 11 …"`` or ``"fefe6811…"``."""
    cleaned = "".join(text.split()).replace("0x", "").replace("0X", "").replace(",", "")
    if len(cleaned) % 2:
        raise InvalidInput("hex input has an odd number of digits", field="hex")
    try:
        return bytes.fromhex(cleaned)
    except ValueError as err:
        raise InvalidInput(f"not hexadecimal: {err}", field="hex") from err
