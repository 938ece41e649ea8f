"""Modbus register maps as data, and the pure decoding of register blocks.

A register map is a list of :class:`RegisterSpec` rows (function code, address, data type,
word/byte order, scale, offset, unit). :func:`plan_blocks` groups the rows into reads of at
most 125 registers (the limit of function codes 03/04 in the Modbus Application Protocol
v1.1b, §6.3/§6.4: quantity of registers 1 to 125), and :func:`decode_block` turns the
registers of one block back into values. Nothing here touches a socket or a clock.

Orders are named after the position of the bytes of a 32-bit value ``0xAABBCCDD`` on the wire:

========  ===========================================  ==========================
order     meaning                                      example registers
========  ===========================================  ==========================
ABCD      big-endian words, big-endian bytes (Modbus)  ``0xAABB 0xCCDD``
CDAB      word-swapped                                 ``0xCCDD 0xAABB``
BADC      byte-swapped within each word                ``0xBBAA 0xDDCC``
DCBA      little-endian                                ``0xDDCC 0xBBAA``
========  ===========================================  ==========================

For 64-bit types "word-swapped" reverses the order of all four words; for 16-bit types only
the byte order matters.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from lingtan import units
from lingtan.errors import InvalidInput

#: Maximum quantity of registers in one read (Modbus Application Protocol v1.1b, FC 03/04).
MAX_READ_REGISTERS: Final = 125

ORDERS: Final = ("ABCD", "CDAB", "BADC", "DCBA")
KINDS: Final = ("measurement", "total_increasing", "total")


class DataType(StrEnum):
    """How the registers of one value are encoded."""

    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    #: one register holding four BCD digits (0x1234 → 1234)
    BCD16 = "bcd16"
    #: two registers holding eight BCD digits
    BCD32 = "bcd32"


#: registers per value
WIDTH: Final[dict[DataType, int]] = {
    DataType.INT16: 1,
    DataType.UINT16: 1,
    DataType.INT32: 2,
    DataType.UINT32: 2,
    DataType.INT64: 4,
    DataType.UINT64: 4,
    DataType.FLOAT32: 2,
    DataType.FLOAT64: 4,
    DataType.BCD16: 1,
    DataType.BCD32: 2,
}

_STRUCT: Final[dict[DataType, str]] = {
    DataType.INT16: ">h",
    DataType.UINT16: ">H",
    DataType.INT32: ">i",
    DataType.UINT32: ">I",
    DataType.INT64: ">q",
    DataType.UINT64: ">Q",
    DataType.FLOAT32: ">f",
    DataType.FLOAT64: ">d",
}


class BadRegisterValue(InvalidInput):
    """Registers that cannot encode a value of the declared type (e.g. a BCD nibble > 9)."""

    code = "modbus_bad_register_value"


def data_type(name: str) -> DataType:
    """The :class:`DataType` called ``name``; ``InvalidInput`` naming the allowed ones."""
    try:
        return DataType(name.strip().lower())
    except ValueError as err:
        allowed = ", ".join(t.value for t in DataType)
        raise InvalidInput(
            f"unknown data type {name!r}; use one of {allowed}", field="type"
        ) from err


def check_order(order: str) -> str:
    """Normalise and check a word/byte order name."""
    upper = order.strip().upper()
    if upper not in ORDERS:
        raise InvalidInput(
            f"unknown order {order!r}; use one of {', '.join(ORDERS)}", field="order"
        )
    return upper


@dataclass(frozen=True, slots=True)
class RegisterSpec:
    """One quantity in a register map.

    ``address`` is the 0-based address sent on the wire (PDU address). Vendor manuals that
    number registers from 1 (``40001``, ``3204``) need ``register - 1``; templates record
    which convention their manual uses.
    """

    key: str
    address: int
    type: DataType = DataType.UINT16
    function: int = 3
    order: str = "ABCD"
    scale: float = 1.0
    offset: float = 0.0
    unit: str | None = None
    kind: str = "measurement"
    name: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            raise InvalidInput("a register needs a key", field="key")
        if self.function not in (3, 4):
            raise InvalidInput(
                f"{self.key}: function code {self.function} is not 3 (holding) or 4 (input)",
                field="function",
            )
        if not 0 <= self.address <= 0xFFFF or self.address + self.count > 0x10000:
            raise InvalidInput(
                f"{self.key}: address {self.address} outside 0..65535 for {self.count} registers",
                field="address",
            )
        object.__setattr__(self, "order", check_order(self.order))
        if not math.isfinite(self.scale) or self.scale == 0.0:
            raise InvalidInput(f"{self.key}: scale must be finite and non-zero", field="scale")
        if not math.isfinite(self.offset):
            raise InvalidInput(f"{self.key}: offset must be finite", field="offset")
        if self.unit is not None:
            units.unit(self.unit)
        if self.kind not in KINDS:
            raise InvalidInput(
                f"{self.key}: kind {self.kind!r} is not one of {', '.join(KINDS)}", field="kind"
            )

    @property
    def count(self) -> int:
        """Registers this value occupies."""
        return WIDTH[self.type]

    @property
    def end(self) -> int:
        """One past the last register."""
        return self.address + self.count


@dataclass(frozen=True, slots=True)
class Block:
    """One read request: ``count`` registers from ``start`` with function ``function``."""

    function: int
    start: int
    count: int
    specs: tuple[RegisterSpec, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded value with the registers it came from (hex, for rejects and audits)."""

    spec: RegisterSpec
    value: float | None
    raw: str
    error: str | None = None


def _word_bytes(registers: Sequence[int]) -> bytes:
    for reg in registers:
        if not 0 <= reg <= 0xFFFF:
            raise BadRegisterValue(f"register value {reg} is not a 16-bit word")
    return b"".join(reg.to_bytes(2, "big") for reg in registers)


def to_canonical_bytes(registers: Sequence[int], order: str) -> bytes:
    """Big-endian bytes (most significant first) of ``registers`` read in ``order``."""
    order = check_order(order)
    words = list(registers)
    if order in ("CDAB", "DCBA"):
        words.reverse()
    data = _word_bytes(words)
    if order in ("BADC", "DCBA"):
        data = b"".join(data[i + 1 : i + 2] + data[i : i + 1] for i in range(0, len(data), 2))
    return data


def from_canonical_bytes(data: bytes, order: str) -> list[int]:
    """Inverse of :func:`to_canonical_bytes`: registers that encode ``data`` in ``order``."""
    order = check_order(order)
    if order in ("BADC", "DCBA"):
        data = b"".join(data[i + 1 : i + 2] + data[i : i + 1] for i in range(0, len(data), 2))
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    if order in ("CDAB", "DCBA"):
        words.reverse()
    return words


def _bcd(data: bytes) -> int:
    value = 0
    for byte in data:
        high, low = byte >> 4, byte & 0x0F
        if high > 9 or low > 9:
            raise BadRegisterValue(f"0x{data.hex()} is not BCD (nibble > 9)")
        value = value * 100 + high * 10 + low
    return value


def decode_raw(registers: Sequence[int], dtype: DataType, order: str = "ABCD") -> float:
    """The unscaled number that ``registers`` encode as ``dtype`` in ``order``."""
    if len(registers) != WIDTH[dtype]:
        raise BadRegisterValue(
            f"{dtype.value} needs {WIDTH[dtype]} registers, got {len(registers)}"
        )
    data = to_canonical_bytes(registers, order)
    if dtype in (DataType.BCD16, DataType.BCD32):
        return float(_bcd(data))
    (number,) = struct.unpack(_STRUCT[dtype], data)
    return float(number)


def encode_raw(value: float, dtype: DataType, order: str = "ABCD") -> list[int]:
    """Registers encoding the unscaled ``value`` (the inverse of :func:`decode_raw`)."""
    if dtype in (DataType.BCD16, DataType.BCD32):
        digits = 4 * WIDTH[dtype]
        number = int(value)
        if number != value or not 0 <= number < 10**digits:
            raise InvalidInput(f"{value} does not fit {digits} BCD digits", field="value")
        text = f"{number:0{digits}d}"
        data = bytes(int(text[i : i + 2], 16) for i in range(0, digits, 2))
    elif dtype in (DataType.FLOAT32, DataType.FLOAT64):
        data = struct.pack(_STRUCT[dtype], value)
    else:
        number = round(value)
        try:
            data = struct.pack(_STRUCT[dtype], number)
        except struct.error as err:
            raise InvalidInput(f"{value} does not fit {dtype.value}", field="value") from err
    return from_canonical_bytes(data, order)


def encode(spec: RegisterSpec, value: float) -> list[int]:
    """Registers holding the engineering ``value`` of ``spec`` (the inverse of :func:`decode`:
    raw = (value − offset) ÷ scale, rounded for integer types)."""
    if not math.isfinite(value):
        raise InvalidInput(f"{spec.key}: {value} is not a finite value", field="value")
    return encode_raw((value - spec.offset) / spec.scale, spec.type, spec.order)


def decode(spec: RegisterSpec, registers: Sequence[int]) -> Decoded:
    """Decode one value; a bad encoding is returned with ``error`` set, never dropped."""
    raw = "".join(f"{reg & 0xFFFF:04x}" for reg in registers)
    try:
        number = decode_raw(registers, spec.type, spec.order)
    except BadRegisterValue as err:
        return Decoded(spec, None, raw, str(err))
    if not math.isfinite(number):
        # NaN/inf is how many meters say "not available"; ingest rejects it as not_finite
        return Decoded(spec, number, raw, "not finite")
    return Decoded(spec, number * spec.scale + spec.offset, raw)


def decode_all_orders(registers: Sequence[int], dtype: DataType) -> dict[str, float | str]:
    """``registers`` decoded as ``dtype`` in every order (what ``modbus probe`` shows)."""
    result: dict[str, float | str] = {}
    orders = ("ABCD", "BADC") if WIDTH[dtype] == 1 else ORDERS
    for order in orders:
        try:
            result[order] = decode_raw(registers, dtype, order)
        except BadRegisterValue as err:
            result[order] = str(err)
    return result


def plan_blocks(
    specs: Iterable[RegisterSpec],
    *,
    max_registers: int = MAX_READ_REGISTERS,
    max_gap: int = 0,
) -> list[Block]:
    """Group ``specs`` into as few reads as possible.

    Specs with the same function code whose registers are contiguous (or separated by at
    most ``max_gap`` unread registers) share one read of at most ``max_registers``
    registers. Overlapping specs (two keys on the same registers) share the read too.
    """
    if not 1 <= max_registers <= MAX_READ_REGISTERS:
        raise InvalidInput(
            f"max_registers {max_registers} outside 1..{MAX_READ_REGISTERS}", field="max_registers"
        )
    if max_gap < 0:
        raise InvalidInput("max_gap cannot be negative", field="max_gap")
    blocks: list[Block] = []
    ordered = sorted(specs, key=lambda s: (s.function, s.address, s.count))
    current: list[RegisterSpec] = []
    start = end = function = -1
    for spec in ordered:
        fits = (
            current
            and spec.function == function
            and spec.address <= end + max_gap
            and max(end, spec.end) - start <= max_registers
        )
        if fits:
            current.append(spec)
            end = max(end, spec.end)
            continue
        if current:
            blocks.append(Block(function, start, end - start, tuple(current)))
        current, start, end, function = [spec], spec.address, spec.end, spec.function
    if current:
        blocks.append(Block(function, start, end - start, tuple(current)))
    return blocks


def decode_block(block: Block, registers: Sequence[int]) -> list[Decoded]:
    """Decode every spec of ``block`` from the ``registers`` the device returned."""
    if len(registers) < block.count:
        raise BadRegisterValue(
            f"block at {block.start} needs {block.count} registers, device returned {len(registers)}"
        )
    out: list[Decoded] = []
    for spec in block.specs:
        lo = spec.address - block.start
        out.append(decode(spec, registers[lo : lo + spec.count]))
    return out
