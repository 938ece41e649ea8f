"""IEC 60870-5-104 APDUs → lingtan readings, and the ASDUs the client and the simulated RTU send
(pure: no sockets, no clocks; the transport is :mod:`lingtan.connectors.iec104.apci`).

Standards: IEC 60870-5-104:2006 (the transport profile: APCI and frame formats, §5), which
takes its ASDUs from IEC 60870-5-101:2003 (§7: type identification, cause of transmission,
information elements); DL/T 634.5104-2009 is the Chinese adoption of IEC 60870-5-104 (and
DL/T 634.5101-2002 of IEC 60870-5-101).

An APDU is ``68 L C1 C2 C3 C4`` (APCI, IEC 60870-5-104 §5.1) followed, in an I-format frame
(C1 bit 0 = 0), by one ASDU. In IEC 104 the ASDU fields have fixed sizes (IEC 60870-5-104
§9 [clause number not verified]):
type identification 1 octet, variable structure qualifier 1 (SQ bit 7, number of objects bits
0–6), cause of transmission 2 (cause bits 0–5, P/N bit 6, T bit 7; originator address),
common address 2, information object address 3 (little endian). With SQ = 1 only the first
object carries an address and the following ones are at consecutive addresses.

The monitored types read (IEC 60870-5-101 §7.3.1):

==========  ====  ==========================================================================
type        id    information elements
==========  ====  ==========================================================================
M_SP_NA_1      1  SIQ (single-point information with quality, §7.2.6.1)
M_ME_NC_1     13  R32 short float (IEEE 754, §7.2.6.8) + QDS (§7.2.6.3) (§7.3.1.13)
M_IT_NA_1     15  BCR binary counter reading (§7.2.6.9)
M_SP_TB_1     30  SIQ + CP56Time2a (§7.2.6.18)
M_ME_TF_1     36  R32 + QDS + CP56Time2a (§7.3.1.28)
M_IT_TB_1     37  BCR + CP56Time2a
==========  ====  ==========================================================================

A configured point accepts its type and the same information with or without the time tag
(an RTU answers a general interrogation with M_ME_NC_1 and sends changes as M_ME_TF_1).

* Timestamp: the CP56Time2a time tag (milliseconds 0–59999, minutes with the IV bit 7, hours
  with the SU summer-time bit 7, day of month, month, year 0–99 read as 2000–2099) read in the
  RTU's configured time zone; the standard carries no zone (the time is agreed between the
  stations). A value without a time tag, or whose tag has IV set or cannot be a date, takes the
  receive time and is marked: its source ends with ``:rx``.
* Quality: QDS/SIQ bits OV (overflow, bit 0 of QDS), BL (blocked, 4), SB (substituted, 5),
  NT (not topical, 6), IV (invalid, 7); BCR bits CY (carry, 5), CA (counter adjusted, 6),
  IV (invalid, 7). A value with any of them set is not a measured value: it is refused with
  the reason ``iec104_quality``, the bits named in the detail and the APDU in the raw payload,
  and is kept in the store's quarantine.
* Commands (control direction): C_IC_NA_1 general interrogation and C_CI_NA_1 counter
  interrogation (a qualifier at IOA 0), C_CS_NA_1 clock synchronisation (a CP56Time2a of the
  controlling station's time at IOA 0, written in the RTU's zone like the tags read); each
  with its confirmation decoder.
* Value: R32 is IEEE single precision; the reading is the shortest decimal that is the same
  single (44.471, not 44.47100067138672), times the point's ``scale``; a counter reading (a
  signed 32-bit integer) times ``scale`` (e.g. 0.01 kWh a count); a single point 0 or 1.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal
from zoneinfo import ZoneInfo

import numpy as np

from lingtan.readings import Reading

#: the reason a value with a quality bit set is refused with (``lingtan.ingest.REASONS``)
REFUSED_REASON: Final = "iec104_quality"

#: configured type → (type id, family); a family is what a point's values are
TYPE_IDS: Final[dict[str, int]] = {
    "M_SP_NA_1": 1,
    "M_ME_NC_1": 13,
    "M_IT_NA_1": 15,
    "M_SP_TB_1": 30,
    "M_ME_TF_1": 36,
    "M_IT_TB_1": 37,
}
Family = Literal["single", "float", "counter"]
#: type id → (family, whether it carries a CP56Time2a time tag, element size without the tag)
_LAYOUT: Final[dict[int, tuple[Family, bool, int]]] = {
    1: ("single", False, 1),
    30: ("single", True, 1),
    13: ("float", False, 5),
    36: ("float", True, 5),
    15: ("counter", False, 5),
    37: ("counter", True, 5),
}
#: QDS / SIQ quality bits (IEC 60870-5-101 §7.2.6.3, §7.2.6.1): bit → (name, meaning)
QDS_BITS: Final = {
    0x01: ("OV", "overflow"),
    0x10: ("BL", "blocked"),
    0x20: ("SB", "substituted"),
    0x40: ("NT", "not topical"),
    0x80: ("IV", "invalid"),
}
#: SIQ has no OV: its bit 0 is the single-point value SPI
SIQ_BITS: Final = {bit: v for bit, v in QDS_BITS.items() if bit != 0x01}
#: BCR sequence-octet bits (IEC 60870-5-101 §7.2.6.9); bits 0–4 are the sequence number
BCR_BITS: Final = {0x20: ("CY", "carry"), 0x40: ("CA", "adjusted"), 0x80: ("IV", "invalid")}
#: cause of transmission (IEC 60870-5-101 §7.2.3): causes whose objects are data
DATA_CAUSES: Final = {
    1,  # periodic / cyclic
    2,  # background scan
    3,  # spontaneous
    5,  # requested
    *range(20, 37),  # interrogated by station (20) or group 1–16 (21–36)
    *range(37, 42),  # requested by general counter interrogation (37) or group 1–4 (38–41)
}
_TIME_TAG: Final = 7


class ApduError(ValueError):
    """Bytes that are not an APDU of the supported kind."""


def family(type_name: str) -> Family:
    """The family of a configured type (``M_ME_TF_1`` → ``float``)."""
    return _LAYOUT[TYPE_IDS[type_name]][0]


@dataclass(frozen=True, slots=True)
class InfoObject:
    """One information object of an ASDU."""

    ioa: int
    #: the single-point value (0/1), the R32 float or the counter reading
    value: float | int
    #: the quality bits set, by name (``("IV", "NT")``), in bit order
    quality: tuple[str, ...]
    #: the CP56Time2a octets, when the type has a time tag
    time_tag: bytes | None = None


@dataclass(frozen=True, slots=True)
class Asdu:
    """A decoded monitoring ASDU of a supported type."""

    type_id: int
    cause: int
    negative: bool
    test: bool
    common_address: int
    objects: tuple[InfoObject, ...]

    @property
    def family(self) -> Family:
        """What its values are."""
        return _LAYOUT[self.type_id][0]


def is_i_frame(apdu: bytes) -> bool:
    """An I-format APDU (IEC 60870-5-104 §5.1: bit 0 of the first control octet is 0)."""
    return len(apdu) >= 6 and apdu[0] == 0x68 and apdu[2] & 0x01 == 0


def type_id_of(apdu: bytes) -> int | None:
    """The type identification of an I-format APDU, else ``None``."""
    return apdu[6] if is_i_frame(apdu) and len(apdu) > 6 else None


def single(value: float) -> float:
    """The shortest decimal that reads back as the same IEEE single (R32, §7.2.6.8)."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


def _names(bits: int, table: Mapping[int, tuple[str, str]]) -> tuple[str, ...]:
    return tuple(name for bit, (name, _) in table.items() if bits & bit)


def quality_text(names: tuple[str, ...], kind: Family) -> str:
    """``IV, NT (invalid, not topical)``."""
    table = BCR_BITS if kind == "counter" else QDS_BITS
    meaning = dict(table.values())
    return f"{', '.join(names)} ({', '.join(meaning[n] for n in names)})"


def decode_apdu(apdu: bytes) -> Asdu | None:
    """The monitoring ASDU of an I-format APDU of a supported type, else ``None`` (S- and
    U-format frames, commands and their confirmations, types not read). Raises
    :class:`ApduError` when a supported ASDU is truncated or its length is wrong."""
    if not is_i_frame(apdu):
        return None
    if apdu[1] != len(apdu) - 2:
        raise ApduError(f"APDU length octet {apdu[1]} but {len(apdu) - 2} octets follow")
    asdu = apdu[6:]
    if len(asdu) < 6:
        raise ApduError(f"ASDU of {len(asdu)} octets is shorter than its header")
    type_id = asdu[0]
    layout = _LAYOUT.get(type_id)
    if layout is None:
        return None
    kind, tagged, size = layout
    vsq, cot, ca = asdu[1], asdu[2], asdu[4] | asdu[5] << 8
    sequence, count = bool(vsq & 0x80), vsq & 0x7F
    element = size + (_TIME_TAG if tagged else 0)
    need = 6 + (3 + count * element if sequence else count * (3 + element))
    if len(asdu) != need:
        raise ApduError(
            f"type {type_id} with {count} objects (SQ={int(sequence)}) needs {need} octets, "
            f"got {len(asdu)}"
        )
    objects: list[InfoObject] = []
    at = 6
    base = 0
    if sequence:
        base = int.from_bytes(asdu[6:9], "little")
        at = 9
    for k in range(count):
        if sequence:
            ioa = base + k
        else:
            ioa = int.from_bytes(asdu[at : at + 3], "little")
            at += 3
        body = asdu[at : at + element]
        at += element
        objects.append(_element(kind, ioa, body, tagged, size))
    return Asdu(
        type_id=type_id,
        cause=cot & 0x3F,
        negative=bool(cot & 0x40),
        test=bool(cot & 0x80),
        common_address=ca,
        objects=tuple(objects),
    )


def _element(kind: Family, ioa: int, body: bytes, tagged: bool, size: int) -> InfoObject:
    tag = bytes(body[size : size + _TIME_TAG]) if tagged else None
    if kind == "single":
        siq = body[0]
        return InfoObject(ioa, siq & 0x01, _names(siq, SIQ_BITS), tag)
    if kind == "float":
        (number,) = struct.unpack("<f", body[:4])
        return InfoObject(ioa, number, _names(body[4], QDS_BITS), tag)
    (counter,) = struct.unpack("<i", body[:4])  # I32 (§7.2.6.9)
    return InfoObject(ioa, counter, _names(body[4], BCR_BITS), tag)


def cp56time2a(tag: bytes, zone: dt.tzinfo) -> dt.datetime | None:
    """The instant of a CP56Time2a time tag (IEC 60870-5-101 §7.2.6.18, IEC 60870-5-4 §6.8)
    read in ``zone``; ``None`` when its IV bit is set or its fields are not a date.

    The SU bit (summer time) settles a wall time that occurs twice when the clocks go back
    (the first, summer occurrence when set); zones without summer time ignore it."""
    if len(tag) != _TIME_TAG:
        return None
    ms = tag[0] | tag[1] << 8
    if tag[2] & 0x80 or ms > 59_999:
        return None
    minute, hour, day = tag[2] & 0x3F, tag[3] & 0x1F, tag[4] & 0x1F
    month, year = tag[5] & 0x0F, 2000 + (tag[6] & 0x7F)
    try:
        first = dt.datetime(
            year, month, day, hour, minute, ms // 1000, (ms % 1000) * 1000, tzinfo=zone
        )
    except ValueError:
        return None  # minute 60+, hour 24+, day 0, month 0 or 13+ …
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # a wall time the clocks pass twice (or skip): SU says which side of the change it is
    return first if tag[3] & 0x80 else second


@dataclass(frozen=True, slots=True)
class PointMap:
    """One configured information object: where it is, what it is and the point it feeds."""

    common_address: int
    ioa: int
    type: str
    point: str
    scale: float = 1.0
    unit: str | None = None

    @property
    def family(self) -> Family:
        """What its values are."""
        return family(self.type)

    @property
    def key(self) -> str:
        """``CA/IOA`` (as in sources and messages)."""
        return f"{self.common_address}/{self.ioa}"


def _scaled(value: float | int, scale: float) -> float | int:
    if scale == 1.0:
        return value
    # decimal product: 123457 counts × 0.01 is 1234.57, not 1234.5700000000002
    return float(Decimal(repr(value)) * Decimal(repr(scale)))


def to_readings(
    asdu: Asdu,
    points: Mapping[tuple[int, int], PointMap],
    *,
    received_at: dt.datetime,
    zone: dt.tzinfo,
    source: str,
    raw: str,
) -> tuple[list[Reading], list[str]]:
    """The readings of the mapped objects of ``asdu``, and a problem for each object of a
    mapped address whose type belongs to another family (module docstring).

    Objects at addresses not mapped are ignored: an RTU answers a general interrogation with
    everything it has. ``raw`` (the APDU in hex) is kept with a refused reading."""
    readings: list[Reading] = []
    problems: list[str] = []
    for obj in asdu.objects:
        mapping = points.get((asdu.common_address, obj.ioa))
        if mapping is None:
            continue
        if mapping.family != asdu.family:
            problems.append(
                f"{mapping.key}: type {asdu.type_id} is not {mapping.type} ({mapping.point})"
            )
            continue
        when = cp56time2a(obj.time_tag, zone) if obj.time_tag is not None else None
        where = f"{source}:{mapping.key}"
        if when is None:
            when, where = received_at, f"{where}:rx"
        value = obj.value
        if asdu.family == "float":
            value = single(value)
        value = _scaled(value, mapping.scale)
        if obj.quality:
            detail = f"IEC 104 quality {quality_text(obj.quality, asdu.family)}"
            refused = Reading(
                mapping.point, when, value, mapping.unit, where,
                raw=f"IOA {obj.ioa} of {raw}", problem=detail, reason=REFUSED_REASON,
            )  # fmt: skip
            readings.append(refused)
            continue
        readings.append(Reading(mapping.point, when, value, mapping.unit, where))
    return readings, problems


# --------------------------------------------------------------------------- commands

#: C_IC_NA_1 interrogation command, C_CI_NA_1 counter interrogation command
#: (IEC 60870-5-101 §7.3.4.1, §7.3.4.2)
C_IC_NA_1: Final = 100
C_CI_NA_1: Final = 101
#: C_CS_NA_1 clock synchronisation command (IEC 60870-5-101 §7.3.4.4 [clause number not
#: verified]): IOA 0 and the CP56Time2a time of the controlling station
C_CS_NA_1: Final = 103
#: causes of transmission of the command procedure (IEC 60870-5-101 §7.2.3)
COT_ACT: Final = 6
COT_ACTCON: Final = 7
COT_ACTTERM: Final = 10
COT_SPONTANEOUS: Final = 3
COT_INROGEN: Final = 20
COT_REQCOGEN: Final = 37
#: QOI 20: station interrogation (global) (§7.2.6.22 [clause number not verified])
QOI_STATION: Final = 20
#: QCC RQT 5 (bits 0–5): general request counter; FRZ 0 (bits 6–7): read, no freeze
#: (§7.2.6.23 [clause number not verified])
QCC_GENERAL_READ: Final = 5


@dataclass(frozen=True, slots=True)
class Command:
    """An interrogation or counter interrogation ASDU (the command or its confirmation)."""

    type_id: int
    cause: int
    negative: bool
    common_address: int
    #: QOI of C_IC_NA_1, QCC of C_CI_NA_1
    qualifier: int


def _header(type_id: int, count: int, cause: int, common_address: int, negative: bool) -> bytes:
    if not 0 <= count <= 0x7F:
        raise ValueError(f"{count} objects do not fit one ASDU (at most 127)")
    cot = cause | (0x40 if negative else 0)
    # originator address 0: "default", no originator (IEC 60870-5-101 §7.2.3)
    return bytes((type_id, count, cot, 0)) + common_address.to_bytes(2, "little")


def command_asdu(
    type_id: int, common_address: int, qualifier: int, *, cause: int = COT_ACT,
    negative: bool = False,
) -> bytes:  # fmt: skip
    """C_IC_NA_1 (QOI) or C_CI_NA_1 (QCC) at IOA 0: type, VSQ 01, COT, originator 0, CA,
    IOA 00 00 00, qualifier — 10 octets."""
    if type_id not in (C_IC_NA_1, C_CI_NA_1):
        raise ValueError(f"type {type_id} is not an interrogation command")
    return _header(type_id, 1, cause, common_address, negative) + bytes((0, 0, 0, qualifier))


def decode_command(apdu: bytes) -> Command | None:
    """The interrogation command (or its confirmation / termination) of an I-format APDU,
    else ``None``."""
    if not is_i_frame(apdu) or len(apdu) < 7 or apdu[6] not in (C_IC_NA_1, C_CI_NA_1):
        return None
    asdu = apdu[6:]
    if len(asdu) != 10 or asdu[1] != 1:
        raise ApduError(f"interrogation ASDU of {len(asdu)} octets, VSQ {asdu[1]:02x}")
    return Command(
        type_id=asdu[0],
        cause=asdu[2] & 0x3F,
        negative=bool(asdu[2] & 0x40),
        common_address=asdu[4] | asdu[5] << 8,
        qualifier=asdu[9],
    )


@dataclass(frozen=True, slots=True)
class ClockSync:
    """A clock synchronisation ASDU (C_CS_NA_1: the command or its confirmation)."""

    cause: int
    negative: bool
    common_address: int
    #: the CP56Time2a octets (read them with :func:`cp56time2a` in the RTU's zone)
    time_tag: bytes

    @property
    def type_id(self) -> int:
        """C_CS_NA_1 (the key its confirmation is awaited under, beside the commands')."""
        return C_CS_NA_1


def clock_sync_asdu(
    common_address: int, instant: dt.datetime, zone: dt.tzinfo, *, cause: int = COT_ACT,
    negative: bool = False,
) -> bytes:  # fmt: skip
    """C_CS_NA_1 at IOA 0 carrying ``instant`` as the wall time of ``zone`` (the RTU's clock;
    SU set when the zone keeps summer time then, as :func:`cp56time2a` reads it): type 67,
    VSQ 01, COT, originator 0, CA, IOA 00 00 00, CP56Time2a — 16 octets."""
    tag = encode_cp56time2a(instant, zone)
    return _header(C_CS_NA_1, 1, cause, common_address, negative) + bytes(3) + tag


def clock_sync_of(asdu: bytes, *, cause: int, negative: bool = False) -> bytes:
    """The answer to a C_CS_NA_1 ASDU with its time echoed (an RTU's confirmation)."""
    if len(asdu) != 16 or asdu[0] != C_CS_NA_1:
        raise ApduError(f"not a clock synchronisation ASDU: {asdu.hex()}")
    cot = cause | (0x40 if negative else 0)
    return bytes((C_CS_NA_1, 1, cot)) + asdu[3:]


def decode_clock_sync(apdu: bytes) -> ClockSync | None:
    """The clock synchronisation command (or its confirmation) of an I-format APDU, else
    ``None``. Raises :class:`ApduError` when it is not one object at IOA 0 with a time tag."""
    if not is_i_frame(apdu) or len(apdu) < 7 or apdu[6] != C_CS_NA_1:
        return None
    asdu = apdu[6:]
    if len(asdu) != 16 or asdu[1] != 1 or asdu[6:9] != bytes(3):
        raise ApduError(f"clock synchronisation ASDU of {len(asdu)} octets: {asdu.hex()}")
    return ClockSync(
        cause=asdu[2] & 0x3F,
        negative=bool(asdu[2] & 0x40),
        common_address=asdu[4] | asdu[5] << 8,
        time_tag=bytes(asdu[9:16]),
    )


# --------------------------------------------------------------------------- encoding
# the other direction of the decoder, for the simulated RTU and the tests


def encode_cp56time2a(instant: dt.datetime, zone: dt.tzinfo) -> bytes:
    """The CP56Time2a time tag of an aware instant as the wall time of ``zone``
    (IEC 60870-5-101 §7.2.6.18): milliseconds, minute, hour with SU when ``zone`` keeps
    summer time then, day of month with the day of week (1 Monday … 7) in bits 5–7, month,
    year 0–99."""
    if instant.tzinfo is None:
        raise ValueError("the instant of a time tag must be aware")
    local = instant.astimezone(zone)
    if not 2000 <= local.year <= 2099:
        raise ValueError(f"year {local.year} is outside CP56Time2a's 2000–2099")
    ms = local.second * 1000 + local.microsecond // 1000
    summer = 0x80 if local.dst() else 0
    return bytes(
        (
            ms & 0xFF,
            ms >> 8,
            local.minute,
            local.hour | summer,
            local.day | local.isoweekday() << 5,
            local.month,
            local.year - 2000,
        )
    )


def _bits(names: tuple[str, ...], table: Mapping[int, tuple[str, str]]) -> int:
    by_name = {name: bit for bit, (name, _) in table.items()}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"quality bits {unknown} are not among {sorted(by_name)}")
    return sum(by_name[n] for n in set(names))


def encode_asdu(
    type_id: int,
    cause: int,
    common_address: int,
    objects: Sequence[InfoObject],
    *,
    negative: bool = False,
) -> bytes:
    """A monitoring ASDU of a supported type with each object addressed (SQ = 0): the inverse
    of :func:`decode_apdu` (module docstring for the layouts). A typed object without a
    ``time_tag`` is refused; the quality names are those the decoder gives."""
    layout = _LAYOUT.get(type_id)
    if layout is None:
        raise ValueError(f"type {type_id} is not one of {sorted(_LAYOUT)}")
    kind, tagged, _ = layout
    body = bytearray(_header(type_id, len(objects), cause, common_address, negative))
    for obj in objects:
        body += obj.ioa.to_bytes(3, "little")
        if kind == "single":
            body.append((1 if obj.value else 0) | _bits(obj.quality, SIQ_BITS))
        elif kind == "float":
            body += struct.pack("<f", obj.value) + bytes((_bits(obj.quality, QDS_BITS),))
        else:
            # BCR: I32, then the sequence octet (sequence number 0 and the flags)
            body += struct.pack("<i", int(obj.value)) + bytes((_bits(obj.quality, BCR_BITS),))
        if tagged:
            if obj.time_tag is None or len(obj.time_tag) != _TIME_TAG:
                raise ValueError(f"IOA {obj.ioa}: type {type_id} needs a 7-octet time tag")
            body += obj.time_tag
    return bytes(body)


def type_family(type_id: int) -> Family:
    """The family of a supported type id."""
    return _LAYOUT[type_id][0]


def has_time_tag(type_id: int) -> bool:
    """Whether the objects of a supported type id carry a CP56Time2a time tag."""
    return _LAYOUT[type_id][1]


def objects_per_asdu(type_id: int) -> int:
    """How many addressed objects of ``type_id`` fit one APDU (ASDU at most 249 octets)."""
    _, tagged, size = _LAYOUT[type_id]
    return min(0x7F, (249 - 6) // (3 + size + (_TIME_TAG if tagged else 0)))


def zone_of(name: str) -> dt.tzinfo:
    """The time zone of the RTU's clock (``UTC``, ``Asia/Shanghai`` …)."""
    return dt.UTC if name == "UTC" else ZoneInfo(name)


__all__ = [
    "COT_ACT",
    "COT_ACTCON",
    "COT_ACTTERM",
    "COT_INROGEN",
    "COT_REQCOGEN",
    "COT_SPONTANEOUS",
    "C_CI_NA_1",
    "C_CS_NA_1",
    "C_IC_NA_1",
    "QCC_GENERAL_READ",
    "QOI_STATION",
    "REFUSED_REASON",
    "TYPE_IDS",
    "ApduError",
    "Asdu",
    "ClockSync",
    "Command",
    "InfoObject",
    "PointMap",
    "clock_sync_asdu",
    "clock_sync_of",
    "command_asdu",
    "cp56time2a",
    "decode_apdu",
    "decode_clock_sync",
    "decode_command",
    "encode_asdu",
    "encode_cp56time2a",
    "family",
    "has_time_tag",
    "objects_per_asdu",
    "single",
    "to_readings",
    "type_family",
    "zone_of",
]
