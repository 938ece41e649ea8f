"""Captured ReadProperty-ACK / ReadPropertyMultiple-ACK APDUs → property values (pure).

The bytes are decoded by bacpypes3 (ANSI/ASHRAE 135 clause 20: APDU encoding, clause 15.5
and 15.7: ReadProperty and ReadPropertyMultiple); each value is cast to the datatype the
standard gives the property of that object type (bacpypes3's standard object classes), as the
client does with a live answer. The result feeds :func:`~lingtan.connectors.bacnet.codec
.decode_all`, so a capture from a site can be replayed through the same decoding.
"""

from __future__ import annotations

from typing import Any

from lingtan.connectors.bacnet.codec import PropertyError


class ApduError(ValueError):
    """Bytes that are not a ReadProperty(-Multiple) acknowledgement."""


def _cast(object_identifier: Any, property_identifier: Any, value: Any) -> Any:
    from bacpypes3.vendor import get_vendor_info

    object_class = get_vendor_info(0).get_object_class(object_identifier[0])
    if object_class is None:
        return PropertyError(f"object type {object_identifier[0]} not known")
    property_type = object_class.get_property_type(property_identifier)
    if property_type is None:
        return PropertyError(f"property {property_identifier} not known")
    return value.cast_out(property_type)


def decode_ack(data: bytes) -> dict[str, dict[str, Any]]:
    """Object key (``"analog-input,1"``) → property name → value of an acknowledgement."""
    from bacpypes3.apdu import (
        APDU,
        ComplexAckPDU,
        ReadPropertyACK,
        ReadPropertyMultipleACK,
        complex_ack_types,
    )
    from bacpypes3.pdu import PDU

    try:
        apdu = APDU.decode(PDU(data))
        if not isinstance(apdu, ComplexAckPDU):
            raise ApduError(f"not a complex acknowledgement: {type(apdu).__name__}")
        ack = complex_ack_types[apdu.apduService].decode(apdu)
    except ApduError:
        raise
    except Exception as err:  # bacpypes3 raises assorted errors on bad bytes
        raise ApduError(f"cannot decode the APDU: {type(err).__name__}: {err}") from err
    out: dict[str, dict[str, Any]] = {}
    if isinstance(ack, ReadPropertyACK):
        oid = ack.objectIdentifier
        key = f"{oid[0]},{int(oid[1])}"
        prop = ack.propertyIdentifier
        out[key] = {str(prop): _cast(oid, prop, ack.propertyValue)}
        return out
    if isinstance(ack, ReadPropertyMultipleACK):
        for result in ack.listOfReadAccessResults:
            oid = result.objectIdentifier
            key = f"{oid[0]},{int(oid[1])}"
            props = out.setdefault(key, {})
            for element in result.listOfResults:
                prop = element.propertyIdentifier
                read = element.readResult
                if read.propertyAccessError is not None:
                    error = read.propertyAccessError
                    props[str(prop)] = PropertyError(f"{error.errorClass}: {error.errorCode}")
                else:
                    props[str(prop)] = _cast(oid, prop, read.propertyValue)
        return out
    raise ApduError(f"not a ReadProperty(-Multiple) acknowledgement: {type(ack).__name__}")
