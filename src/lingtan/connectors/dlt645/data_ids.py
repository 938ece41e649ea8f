"""DL/T 645-2007 data identifiers (数据标识) as a declarative table, and their BCD codec.

Each row gives the identifier DI3 DI2 DI1 DI0, the data format of DL/T 645-2007 Appendix A
(``XXXXXX.XX`` = 4 bytes, 2 decimals), whether the highest bit of the highest byte is a sign
bit (quantities with a direction: combined energy, current, power, power factor), the unit
and the statistics kind. Values are BCD, sent low byte first. Adding a quantity is one row.

Block identifiers (数据块, DL/T 645-2007 Appendix A: a DI byte of FFH stands for the whole
group of items that differ only in that byte) are declared in :data:`BLOCKS` by the items they
hold, in the order of the items' identifiers; a block answer is those items' values
concatenated, each in its own format (a voltage block ``0201FF00`` is three ``XXX.X`` values,
A then B then C; an active power block ``0203FF00`` is four ``XX.XXXX`` values, total then A,
B, C).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from lingtan.connectors.dlt645.frame import Dlt645Error, format_di, parse_di


class UnknownDataIdentifier(Dlt645Error):
    """A data identifier that is not in :data:`TABLE`."""

    code = "dlt645_unknown_data_identifier"


class BadValue(Dlt645Error):
    """Value bytes that are not valid BCD for their identifier (wrong length, nibble > 9)."""

    code = "dlt645_bad_value"


@dataclass(frozen=True, slots=True)
class DataId:
    """One data identifier and how its value is encoded."""

    di: int
    name_zh: str
    name_en: str
    #: data format as printed in the standard (X = one BCD digit, N = digit of an id)
    fmt: str
    unit: str | None
    kind: str = "measurement"
    signed: bool = False
    #: identifiers (address, meter number) are digit strings, not quantities
    text: bool = False

    @property
    def length(self) -> int:
        """Bytes of the value."""
        digits = sum(1 for c in self.fmt if c in "XN")
        return digits // 2

    @property
    def decimals(self) -> int:
        """Digits after the decimal point."""
        return len(self.fmt.split(".")[1]) if "." in self.fmt else 0

    @property
    def code(self) -> str:
        """``"00010000"``."""
        return format_di(self.di)


def _row(
    di: str,
    name_zh: str,
    name_en: str,
    fmt: str,
    unit: str | None,
    kind: str = "measurement",
    *,
    signed: bool = False,
    text: bool = False,
) -> DataId:
    return DataId(parse_di(di), name_zh, name_en, fmt, unit, kind, signed, text)


_ENERGY = "XXXXXX.XX"
_TARIFFS = ((1, "费率1"), (2, "费率2"), (3, "费率3"), (4, "费率4"))

_ROWS: list[DataId] = [
    # 电能量 — energy (DL/T 645-2007 Appendix A, Table A.1)
    _row(
        "00000000",
        "(当前)组合有功总电能",
        "combined active energy, total",
        _ENERGY,
        "kWh",
        "total",
        signed=True,
    ),
    _row(
        "00010000",
        "(当前)正向有功总电能",
        "forward active energy, total",
        _ENERGY,
        "kWh",
        "total_increasing",
    ),
    _row(
        "00020000",
        "(当前)反向有功总电能",
        "reverse active energy, total",
        _ENERGY,
        "kWh",
        "total_increasing",
    ),
    _row(
        "00030000",
        "(当前)组合无功1总电能",
        "combined reactive energy 1, total",
        _ENERGY,
        "kvarh",
        "total",
        signed=True,
    ),
    _row(
        "00040000",
        "(当前)组合无功2总电能",
        "combined reactive energy 2, total",
        _ENERGY,
        "kvarh",
        "total",
        signed=True,
    ),
    _row(
        "00050000",
        "(当前)第一象限无功总电能",
        "reactive energy quadrant I, total",
        _ENERGY,
        "kvarh",
        "total_increasing",
    ),
    _row(
        "00060000",
        "(当前)第二象限无功总电能",
        "reactive energy quadrant II, total",
        _ENERGY,
        "kvarh",
        "total_increasing",
    ),
    _row(
        "00070000",
        "(当前)第三象限无功总电能",
        "reactive energy quadrant III, total",
        _ENERGY,
        "kvarh",
        "total_increasing",
    ),
    _row(
        "00080000",
        "(当前)第四象限无功总电能",
        "reactive energy quadrant IV, total",
        _ENERGY,
        "kvarh",
        "total_increasing",
    ),
]
for _n, _zh in _TARIFFS:
    _ROWS += [
        _row(
            f"0000{_n:02d}00",
            f"(当前)组合有功{_zh}电能",
            f"combined active energy, tariff {_n}",
            _ENERGY,
            "kWh",
            "total",
            signed=True,
        ),
        _row(
            f"0001{_n:02d}00",
            f"(当前)正向有功{_zh}电能",
            f"forward active energy, tariff {_n}",
            _ENERGY,
            "kWh",
            "total_increasing",
        ),
        _row(
            f"0002{_n:02d}00",
            f"(当前)反向有功{_zh}电能",
            f"reverse active energy, tariff {_n}",
            _ENERGY,
            "kWh",
            "total_increasing",
        ),
    ]
_ROWS += [
    # 变量 — instantaneous quantities (Appendix A, Table A.3)
    _row("02010100", "A相电压", "voltage, phase A", "XXX.X", "V"),
    _row("02010200", "B相电压", "voltage, phase B", "XXX.X", "V"),
    _row("02010300", "C相电压", "voltage, phase C", "XXX.X", "V"),
    _row("02020100", "A相电流", "current, phase A", "XXX.XXX", "A", signed=True),
    _row("02020200", "B相电流", "current, phase B", "XXX.XXX", "A", signed=True),
    _row("02020300", "C相电流", "current, phase C", "XXX.XXX", "A", signed=True),
    _row("02030000", "瞬时总有功功率", "active power, total", "XX.XXXX", "kW", signed=True),
    _row("02030100", "瞬时A相有功功率", "active power, phase A", "XX.XXXX", "kW", signed=True),
    _row("02030200", "瞬时B相有功功率", "active power, phase B", "XX.XXXX", "kW", signed=True),
    _row("02030300", "瞬时C相有功功率", "active power, phase C", "XX.XXXX", "kW", signed=True),
    _row("02040000", "瞬时总无功功率", "reactive power, total", "XX.XXXX", "kvar", signed=True),
    _row("02040100", "瞬时A相无功功率", "reactive power, phase A", "XX.XXXX", "kvar", signed=True),
    _row("02040200", "瞬时B相无功功率", "reactive power, phase B", "XX.XXXX", "kvar", signed=True),
    _row("02040300", "瞬时C相无功功率", "reactive power, phase C", "XX.XXXX", "kvar", signed=True),
    _row("02050000", "瞬时总视在功率", "apparent power, total", "XX.XXXX", "kVA", signed=True),
    _row("02050100", "瞬时A相视在功率", "apparent power, phase A", "XX.XXXX", "kVA", signed=True),
    _row("02050200", "瞬时B相视在功率", "apparent power, phase B", "XX.XXXX", "kVA", signed=True),
    _row("02050300", "瞬时C相视在功率", "apparent power, phase C", "XX.XXXX", "kVA", signed=True),
    _row("02060000", "总功率因数", "power factor, total", "X.XXX", "1", signed=True),
    _row("02060100", "A相功率因数", "power factor, phase A", "X.XXX", "1", signed=True),
    _row("02060200", "B相功率因数", "power factor, phase B", "X.XXX", "1", signed=True),
    _row("02060300", "C相功率因数", "power factor, phase C", "X.XXX", "1", signed=True),
    _row("02800001", "零线电流", "neutral current", "XXX.XXX", "A", signed=True),
    _row("02800002", "电网频率", "grid frequency", "XX.XX", "Hz"),
    # 参变量 — parameters (Appendix A, Table A.5)
    _row("04000401", "通信地址", "communication address", "NNNNNNNNNNNN", None, text=True),
    _row("04000402", "表号", "meter number", "NNNNNNNNNNNN", None, text=True),
]

#: every supported data identifier, by its 32-bit value
TABLE: Final[dict[int, DataId]] = {row.di: row for row in _ROWS}


@dataclass(frozen=True, slots=True)
class DataBlock:
    """A block identifier (数据块) and the items its answer holds, in order."""

    di: int
    name_zh: str
    name_en: str
    elements: tuple[DataId, ...]

    @property
    def length(self) -> int:
        """Bytes of the block's value: the items' lengths added."""
        return sum(e.length for e in self.elements)

    @property
    def code(self) -> str:
        """``"0201FF00"``."""
        return format_di(self.di)

    @property
    def unit(self) -> str | None:
        """The unit of the block's items (every block holds one quantity)."""
        return self.elements[0].unit


def _block(di: str, name_zh: str, name_en: str, elements: tuple[str, ...]) -> DataBlock:
    return DataBlock(parse_di(di), name_zh, name_en, tuple(TABLE[parse_di(e)] for e in elements))


_PHASES = ("0100", "0200", "0300")
_TOTAL_AND_PHASES = ("0000", *_PHASES)
_BLOCKS: list[DataBlock] = [
    # 变量 — DL/T 645-2007 Appendix A, Table A.3: DI1 = FFH is the block of DI1 = 00…03
    # (01…03 where the group has no total); the items follow in that order.
    _block("0201FF00", "电压数据块", "voltage block", tuple(f"0201{p}" for p in _PHASES)),
    _block("0202FF00", "电流数据块", "current block", tuple(f"0202{p}" for p in _PHASES)),
    _block(
        "0203FF00",
        "瞬时有功功率数据块",
        "active power block",
        tuple(f"0203{p}" for p in _TOTAL_AND_PHASES),
    ),
    _block(
        "0204FF00",
        "瞬时无功功率数据块",
        "reactive power block",
        tuple(f"0204{p}" for p in _TOTAL_AND_PHASES),
    ),
    _block(
        "0205FF00",
        "瞬时视在功率数据块",
        "apparent power block",
        tuple(f"0205{p}" for p in _TOTAL_AND_PHASES),
    ),
    _block(
        "0206FF00",
        "功率因数数据块",
        "power factor block",
        tuple(f"0206{p}" for p in _TOTAL_AND_PHASES),
    ),
]

#: every supported block identifier, by its 32-bit value
BLOCKS: Final[dict[int, DataBlock]] = {block.di: block for block in _BLOCKS}


def lookup(di: int | str) -> DataId:
    """The table row of ``di``; :class:`UnknownDataIdentifier` if it is not supported."""
    value = parse_di(di)
    try:
        return TABLE[value]
    except KeyError:
        if value in BLOCKS:
            block = BLOCKS[value]
            items = ", ".join(e.code for e in block.elements)
            raise UnknownDataIdentifier(
                f"data identifier {format_di(value)} is a block ({block.name_en}); "
                f"its items are {items}"
            ) from None
        raise UnknownDataIdentifier(
            f"data identifier {format_di(value)} is not in lingtan's DL/T 645 table"
        ) from None


def lookup_block(di: int | str) -> DataBlock:
    """The block of ``di``; :class:`UnknownDataIdentifier` if it is not a supported block."""
    value = parse_di(di)
    try:
        return BLOCKS[value]
    except KeyError:
        raise UnknownDataIdentifier(
            f"data identifier {format_di(value)} is not a block in lingtan's DL/T 645 table"
        ) from None


def split_block(di: int | str, payload: bytes) -> list[tuple[DataId, bytes]]:
    """The value bytes of each item of a block answer, in the block's order.

    :class:`BadValue` when ``payload`` is not exactly as long as the block's items together
    (then no item can be told from the next).
    """
    block = lookup_block(di)
    if len(payload) != block.length:
        sizes = " + ".join(str(e.length) for e in block.elements)
        raise BadValue(
            f"{block.code} ({block.name_en}) needs {block.length} value bytes ({sizes}), "
            f"got {len(payload)}"
        )
    out: list[tuple[DataId, bytes]] = []
    start = 0
    for element in block.elements:
        out.append((element, payload[start : start + element.length]))
        start += element.length
    return out


def decode_block(di: int | str, payload: bytes) -> list[tuple[DataId, Decimal | str]]:
    """Every item of a block answer with its value (:class:`BadValue` if any is not BCD)."""
    return [(element, decode_value(element.di, part)) for element, part in split_block(di, payload)]


def encode_block(di: int | str, values: dict[int, Decimal | float | int | str]) -> bytes:
    """The value bytes of a block answer from the items' values (the simulator's side)."""
    block = lookup_block(di)
    missing = [e.code for e in block.elements if e.di not in values]
    if missing:
        raise BadValue(f"{block.code}: no value for {', '.join(missing)}")
    return b"".join(encode_value(e.di, values[e.di]) for e in block.elements)


def _digits(payload: bytes) -> str:
    return "".join(f"{b:02X}" for b in reversed(payload))


def decode_value(di: int | str, payload: bytes) -> Decimal | str:
    """The value ``payload`` (as meant, low byte first) encodes for ``di``.

    Quantities come back as :class:`~decimal.Decimal` (exact decimal digits); identifiers
    marked ``text`` (the address) as a digit string.
    """
    row = lookup(di)
    if len(payload) != row.length:
        raise BadValue(
            f"{row.code} ({row.name_en}) needs {row.length} value bytes, got {len(payload)}"
        )
    negative = False
    data = bytearray(payload)
    if row.signed and data[-1] & 0x80:
        negative = True
        data[-1] &= 0x7F
    digits = _digits(bytes(data))
    if not digits.isdigit():
        raise BadValue(f"{row.code} ({row.name_en}): value bytes {payload.hex(' ')} are not BCD")
    if row.text:
        return digits
    value = Decimal(int(digits)).scaleb(-row.decimals)
    return -value if negative else value


def encode_value(di: int | str, value: Decimal | float | int | str) -> bytes:
    """The value bytes (as meant, low byte first) for ``value`` (the simulator's side)."""
    row = lookup(di)
    if row.text:
        text = str(value).zfill(row.length * 2)
        if not text.isdigit() or len(text) != row.length * 2:
            raise BadValue(f"{row.code}: {value!r} is not {row.length * 2} digits")
        return bytes(int(text[i : i + 2], 16) for i in range(len(text) - 2, -1, -2))
    number = Decimal(str(value))
    negative = number < 0
    if negative and not row.signed:
        raise BadValue(f"{row.code} ({row.name_en}) cannot be negative")
    scaled = abs(number).scaleb(row.decimals).to_integral_value()
    digits = f"{int(scaled):0{row.length * 2}d}"
    if len(digits) > row.length * 2 or (row.signed and digits[0] > "7"):
        raise BadValue(f"{row.code}: {value} does not fit {row.fmt}")
    data = bytearray(int(digits[i : i + 2], 16) for i in range(len(digits) - 2, -1, -2))
    if negative:
        data[-1] |= 0x80
    return bytes(data)
