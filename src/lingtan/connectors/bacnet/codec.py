"""BACnet property values and status flags → lingtan readings (pure: no I/O, no clock).

What is read from each mapped object (ANSI/ASHRAE 135, clause 12 object types):

* ``analog-input`` (12.2) and ``analog-value`` (12.4): Present_Value is a REAL.
* ``binary-input`` (12.6): Present_Value is the enumeration BACnetBinaryPV
  (``inactive`` = 0, ``active`` = 1); it becomes the number 0 or 1.
* ``accumulator`` (12.1): Present_Value is an Unsigned count. Its Scale property
  (BACnetScale: ``float-scale`` REAL, or ``integer-scale`` INTEGER meaning 10^n) converts it to
  the object's Units: value = Present_Value × scale. Prescale (multiplier/modulo-divide) says
  how input pulses were counted into Present_Value; it is already applied by the device and is
  not applied again. A ``scale`` given in the mapping replaces the device's Scale.
* Status_Flags (BACnetStatusFlags, a BIT STRING: in-alarm, fault, overridden,
  out-of-service). A value flagged ``fault`` (the object's Reliability is not
  no-fault-detected) or ``out-of-service`` (Present_Value is decoupled from the physical input
  and may be written by anyone) is refused with the reason ``bacnet_status``: the reading
  carries the reason and the detail (``Reading.reason``/``problem``), so the ingest pipeline
  files it in the quarantine with its point, instant, value and raw text; ``in-alarm`` and
  ``overridden`` values are real measurements and are kept, the flags noted in ``raw``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import numpy as np

from lingtan.errors import InvalidInput
from lingtan.readings import Reading

#: the object types the connector maps to points
OBJECT_TYPES: Final = ("analog-input", "analog-value", "binary-input", "accumulator")
#: the reason a flagged value is refused with (a key of ``lingtan.ingest.REASONS``: the value
#: is kept in the store's quarantine)
REFUSED_REASON: Final = "bacnet_status"
#: BACnetStatusFlags bit order (ANSI/ASHRAE 135 clause 21, BACnetStatusFlags)
FLAG_NAMES: Final = ("in-alarm", "fault", "overridden", "out-of-service")
_BINARY: Final = {"inactive": 0, "active": 1}


class CodecError(ValueError):
    """A property value that cannot become a reading."""


@dataclass(frozen=True, slots=True)
class StatusFlags:
    """BACnetStatusFlags."""

    in_alarm: bool = False
    fault: bool = False
    overridden: bool = False
    out_of_service: bool = False

    @classmethod
    def from_bits(cls, bits: Any) -> StatusFlags:
        """From a bit sequence in BACnet order (a bacpypes3 ``StatusFlags`` is a list of 0/1);
        missing trailing bits are 0, as a BIT STRING may be shorter; ``None`` is all clear."""
        if bits is None:
            return cls()
        if isinstance(bits, StatusFlags):
            return bits
        try:
            values = [bool(int(b)) for b in bits]
        except (TypeError, ValueError) as err:
            raise CodecError(f"status flags {bits!r} are not a bit string") from err
        values = (values + [False] * 4)[:4]
        return cls(*values)

    def names(self) -> list[str]:
        """The flags that are set, by their BACnet names."""
        bits = (self.in_alarm, self.fault, self.overridden, self.out_of_service)
        return [name for name, on in zip(FLAG_NAMES, bits, strict=True) if on]

    @property
    def refused(self) -> bool:
        """Whether a value with these flags is not a valid measurement."""
        return self.fault or self.out_of_service


@dataclass(frozen=True, slots=True)
class ObjectPoint:
    """One BACnet object property mapped to one metering point."""

    object_type: str
    instance: int
    point: str
    property_id: str = "present-value"
    #: multiplier applied to the value (replaces an accumulator's own Scale)
    scale: float | None = None
    #: unit of the value after scaling; ``None`` means the point's own unit
    unit: str | None = None
    #: subscribe to COV notifications of this object (when the device's COV is enabled)
    cov: bool = True

    def __post_init__(self) -> None:
        if self.object_type not in OBJECT_TYPES:
            raise InvalidInput(
                f"object type {self.object_type!r} is not one of {', '.join(OBJECT_TYPES)}",
                field="object_type",
            )
        if not 0 <= self.instance <= 4_194_302:
            raise InvalidInput(
                f"object instance {self.instance} outside 0..4194302", field="instance"
            )
        if not self.point:
            raise InvalidInput("an object needs a point", field="point")
        if self.scale is not None and (not math.isfinite(self.scale) or self.scale == 0):
            raise InvalidInput(
                f"scale {self.scale} must be a finite non-zero number", field="scale"
            )

    @property
    def key(self) -> str:
        """``"analog-input,1"``: the object identifier as bacpypes3 writes it."""
        return f"{self.object_type},{self.instance}"


@dataclass(frozen=True, slots=True)
class Decoded:
    """A reading, and whether (and why) it is refused."""

    reading: Reading
    reason: str | None = None
    detail: str = ""


def _choice_name(value: Any) -> str | None:
    """The name of an enumeration value (a bacpypes3 ``Enumerated`` prints its name)."""
    text = str(value)
    return text if text in _BINARY else None


def real(value: float) -> float:
    """A BACnet REAL (IEEE 754 single precision, clause 20.2.6) as the shortest decimal that
    is the same single: 44.471 rather than 44.47100067138672, its double widening."""
    return float(str(np.float32(value)))


def numeric_value(object_type: str, value: Any) -> float | int:
    """Present_Value as a number: REAL → float, Unsigned → int, BACnetBinaryPV → 0/1."""
    if value is None:
        raise CodecError("no value")
    if object_type == "binary-input":
        if isinstance(value, bool):
            return int(value)
        name = value if isinstance(value, str) else _choice_name(value)
        if name in _BINARY:
            return _BINARY[name]
        if isinstance(value, int) and int(value) in (0, 1):
            return int(value)
        raise CodecError(f"binary present-value {value!r} is not active/inactive")
    if isinstance(value, bool) or isinstance(value, str):
        raise CodecError(f"present-value {value!r} of {object_type} is not a number")
    if object_type == "accumulator":
        if not isinstance(value, int) or value < 0:
            raise CodecError(f"accumulator present-value {value!r} is not an Unsigned")
        return int(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CodecError(f"present-value {value!r} is not finite")
        return real(value)
    raise CodecError(f"present-value {value!r} of {object_type} is not a number")


def scale_factor(scale: Any) -> float | None:
    """A BACnetScale as a multiplier: float-scale as it is, integer-scale n as 10^n.

    Accepts a bacpypes3 ``Scale`` choice, a ``{"float-scale": x}``/``{"integer-scale": n}``
    mapping, a plain number (a float scale), or ``None`` (no Scale property: 1)."""
    if scale is None:
        return None
    if isinstance(scale, bool):
        raise CodecError(f"scale {scale!r} is not a BACnetScale")
    if isinstance(scale, int):
        return float(scale)
    if isinstance(scale, float):
        return real(scale)
    if isinstance(scale, dict):
        items = {k.replace("_", "-").lower(): v for k, v in scale.items()}
        if "float-scale" in items:
            return real(float(items["float-scale"]))
        if "integer-scale" in items:
            return float(10.0 ** int(items["integer-scale"]))
        raise CodecError(f"scale {scale!r} is neither float-scale nor integer-scale")
    float_scale = getattr(scale, "floatScale", None)
    if float_scale is not None:
        return real(float(float_scale))
    integer_scale = getattr(scale, "integerScale", None)
    if integer_scale is not None:
        return float(10.0 ** int(integer_scale))
    raise CodecError(f"scale {scale!r} is not a BACnetScale")


def decode(
    mapping: ObjectPoint,
    value: Any,
    flags: Any,
    *,
    ts: dt.datetime,
    source: str,
    device_scale: Any = None,
) -> Decoded:
    """The reading of one object's present value and status flags.

    A value that is not a number raises :class:`CodecError`; a value whose flags say fault
    or out-of-service comes back refused (``reason`` = ``bacnet_status``, on the reading too,
    so that the ingest pipeline quarantines it).
    """
    status = StatusFlags.from_bits(flags)
    number = numeric_value(mapping.object_type, value)
    factor = mapping.scale
    if factor is None and mapping.object_type == "accumulator":
        factor = scale_factor(device_scale)
    result: float | int = number
    if factor is not None and factor != 1.0:
        # decimal product: 123457 counts × 0.1 is 12345.7, not 12345.700000000001
        result = float(Decimal(repr(number)) * Decimal(repr(factor)))
    set_flags = status.names()
    raw = f"{mapping.key} {mapping.property_id}={value}"
    if set_flags:
        raw += f" status-flags={'|'.join(set_flags)}"
    if status.refused:
        bad = [n for n in set_flags if n in ("fault", "out-of-service")]
        detail = f"{mapping.key} → {mapping.point}: status flag {', '.join(bad)} set ({raw})"
        refused = Reading(
            mapping.point, ts, result, mapping.unit, source, raw,
            problem=detail, reason=REFUSED_REASON,
        )  # fmt: skip
        return Decoded(refused, REFUSED_REASON, detail)
    return Decoded(Reading(mapping.point, ts, result, mapping.unit, source, raw))


def decode_all(
    mappings: Sequence[ObjectPoint],
    values: dict[str, dict[str, Any]],
    *,
    ts: dt.datetime,
    source: str,
) -> tuple[list[Reading], list[Decoded], list[str]]:
    """Readings of one poll: ``values`` is object key → property name → value (as read).

    Returns the kept readings, the refused ones and a problem per object that could not be
    read or decoded (a property error, a value that is not a number)."""
    kept: list[Reading] = []
    refused: list[Decoded] = []
    problems: list[str] = []
    for mapping in mappings:
        props = values.get(mapping.key)
        if props is None or mapping.property_id not in props:
            problems.append(f"{mapping.key}: {mapping.property_id} not read")
            continue
        value = props[mapping.property_id]
        if isinstance(value, PropertyError):
            problems.append(f"{mapping.key}: {mapping.property_id}: {value.text}")
            continue
        flags = props.get("status-flags")
        if isinstance(flags, PropertyError):
            flags = None  # an object without Status_Flags: nothing flagged
        scale = props.get("scale")
        if isinstance(scale, PropertyError):
            scale = None
        try:
            decoded = decode(mapping, value, flags, ts=ts, source=source, device_scale=scale)
        except CodecError as err:
            problems.append(f"{mapping.key}: {err}")
            continue
        if decoded.reason is None:
            kept.append(decoded.reading)
        else:
            refused.append(decoded)
    return kept, refused, problems


@dataclass(frozen=True, slots=True)
class PropertyError:
    """A property the device answered with an error (unknown object, unknown property …)."""

    text: str
