"""OPC UA DataValues → readings (pure: no sockets, no clocks).

A monitored or historical value arrives as a ``DataValue`` (OPC 10000-4 §7.11): the value, a
status code, the source timestamp (when the device sampled it) and the server timestamp (when
the server received it). It becomes one :class:`~lingtan.readings.Reading` of the node's point:

* timestamp: the source timestamp, else the server timestamp (OPC 10000-4 §7.11: the source
  timestamp "reflects the time that the source … applied to the value"); OPC UA DateTime is
  UTC (OPC 10000-6 §5.2.2.5), so a naive datetime from the library is read as UTC; a value
  with neither timestamp keeps ``None`` and is rejected by the pipeline as ``bad_timestamp``;
* value: a number multiplied by the mapping's ``scale``; anything else is handed over as
  received (the pipeline rejects it as ``bad_value`` and keeps it);
* status code severity (OPC 10000-4 §7.39, the two most significant bits: 00 Good,
  01 Uncertain, 10 Bad, 11 reserved): a Good value is a reading; an Uncertain or Bad one is
  refused as ``opcua_bad_status`` with the status name in the detail and the DataValue in the
  raw payload — kept in the quarantine, never turned into a measured value.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any, Final, Literal

from asyncua import ua
from asyncua.ua.status_codes import get_name_and_doc

from lingtan.readings import Reading

#: OPC 10000-4 §7.39: severity bits 30–31 of a StatusCode
SEVERITY_MASK: Final = 0xC000_0000
_GOOD: Final = 0x0000_0000
_UNCERTAIN: Final = 0x4000_0000

Severity = Literal["good", "uncertain", "bad"]


@dataclass(frozen=True, slots=True)
class NodePoint:
    """One mapped node: its id (``"ns=2;s=Line1.Energy"``), the point it feeds, a scale
    (value × scale is stored) and the unit of the scaled value (``None``: the point's)."""

    node: str
    point: str
    scale: float = 1.0
    unit: str | None = None


def severity(code: int) -> Severity:
    """The severity of a StatusCode (OPC 10000-4 §7.39); the reserved pattern 11 counts as
    Bad (a value whose quality cannot be known is not a measured value)."""
    bits = code & SEVERITY_MASK
    if bits == _GOOD:
        return "good"
    if bits == _UNCERTAIN:
        return "uncertain"
    return "bad"


def status_name(code: int) -> str:
    """The symbolic name of a status code (``BadSensorFailure``), or its hex form."""
    try:
        name, _ = get_name_and_doc(code)
    except Exception:  # an unknown code: the library raises rather than answering
        name = ""
    return name or f"0x{code:08X}"


def _utc(value: Any) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:  # OPC UA DateTime is UTC (OPC 10000-6 §5.2.2.5)
        return value.replace(tzinfo=dt.UTC)
    return value


def _scaled(value: Any, scale: float) -> Any:
    if isinstance(value, bool):
        return value  # a Boolean is not a measurement: the pipeline decides
    if isinstance(value, int | float):
        if scale == 1.0:
            return value
        if isinstance(value, float) and not math.isfinite(value):
            return value
        return value * scale
    return value


def _text(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def raw_of(node: str, dv: ua.DataValue) -> str:
    """The DataValue as JSON text (kept with a refused reading)."""
    code = _code(dv)
    src, srv = _utc(dv.SourceTimestamp), _utc(dv.ServerTimestamp)
    return json.dumps(
        {
            "node": node,
            "value": _text(dv.Value.Value if dv.Value is not None else None),
            "status": f"0x{code:08X}",
            "status_name": status_name(code),
            "source_timestamp": src.isoformat() if src else None,
            "server_timestamp": srv.isoformat() if srv else None,
        },
        ensure_ascii=False,
    )


def _code(dv: ua.DataValue) -> int:
    return int(dv.StatusCode.value) if dv.StatusCode is not None else 0


def to_reading(mapping: NodePoint, dv: ua.DataValue, *, source: str = "") -> Reading:
    """The reading of one DataValue of ``mapping``'s node (module docstring)."""
    code = _code(dv)
    ts = _utc(dv.SourceTimestamp) or _utc(dv.ServerTimestamp)
    value = dv.Value.Value if dv.Value is not None else None
    level = severity(code)
    if level != "good":
        return Reading(
            point=mapping.point,
            ts=ts,  # type: ignore[arg-type]  # None is rejected by the pipeline, kept
            value=_text(value),
            unit=mapping.unit,
            source=source,
            raw=raw_of(mapping.node, dv),
            problem=f"OPC UA status {status_name(code)} (0x{code:08X}, {level})",
            reason="opcua_bad_status",
        )
    return Reading(
        point=mapping.point,
        ts=ts,  # type: ignore[arg-type]
        value=_text(_scaled(value, mapping.scale)),
        unit=mapping.unit,
        source=source,
        raw=None if ts is not None else raw_of(mapping.node, dv),
    )


__all__ = ["NodePoint", "raw_of", "severity", "status_name", "to_reading"]
