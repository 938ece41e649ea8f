"""The reading a connector hands to the ingest pipeline.

A reading is what a meter said, untouched: connectors fill it as faithfully as they can and the
ingest pipeline validates it at the boundary (known point, aware timestamp, finite value,
compatible unit). Fields are typed loosely on purpose: a gateway that sends ``"value": "n/a"``
produces a reading that is *rejected with its reason and kept*, not an exception in the codec
that would lose it.

:class:`ReadingColumns` holds a batch of readings as columns (what the MQTT connector decodes
into and the collector commits), so that a batch of clean readings reaches the database
without one Python object per reading.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, overload
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of one metering point at one instant."""

    #: metering point id as declared in the park file (e.g. ``"E01-main"``)
    point: str
    #: aware datetime, or an ISO 8601 string with an offset; anything else is rejected
    ts: dt.datetime | str
    #: the meter's value (register state, interval consumption or instantaneous measurement)
    value: float | int | str | None
    #: unit of ``value``; ``None`` means the point's own unit
    unit: str | None = None
    #: where it came from (``"mqtt:gw-3"``, ``"file:backfill.csv:17"``); kept with rejects
    source: str = ""
    #: the original payload (frame hex, JSON text, CSV line), kept verbatim for rejects
    raw: str | None = None
    #: why the connector could not read the record at all (a CSV line with an unbalanced
    #: quote or the wrong number of fields …); the pipeline rejects such a reading as
    #: ``malformed_row`` with this text and keeps ``raw``
    problem: str | None = None
    #: the reason (a key of ``lingtan.ingest.REASONS``) under which the connector itself
    #: refuses the reading, with ``problem`` as the detail (an OPC UA value whose status code
    #: is Bad or Uncertain: ``opcua_bad_status``; a BACnet value flagged fault:
    #: ``bacnet_status``; an IEC 104 value with a quality bit set: ``iec104_quality``); the
    #: pipeline quarantines it at its point and instant; with no reason a ``problem`` means
    #: ``malformed_row``
    reason: str | None = None


#: time zones whose ``utcoffset`` never depends on anything but the instant: a datetime in one
#: of them converts to epoch microseconds exactly, once, when its row is added
FIXED_TZ_TYPES: Final = (dt.timezone, ZoneInfo)
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US: Final = dt.timedelta(microseconds=1)
#: integers a 64-bit float holds without overflowing (``float(2**1024)`` raises)
_FLOAT_INT_MAX: Final = 2**1023


def epoch_us(ts: object) -> int | None:
    """Epoch microseconds of ``ts`` when it is an aware datetime in a fixed-offset or IANA zone
    (computed exactly, in integers), else ``None`` (the reading then needs per-reading care)."""
    if type(ts) is not dt.datetime or not isinstance(ts.tzinfo, FIXED_TZ_TYPES):
        return None
    if ts.utcoffset() is None:
        return None
    return (ts - _EPOCH) // _ONE_US


def plain_number(value: object) -> bool:
    """True for an ``int`` or ``float`` (not a bool) that converts to a finite 64-bit float."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    return kind is int and -_FLOAT_INT_MAX < value < _FLOAT_INT_MAX  # type: ignore[operator]


class ReadingColumns(Sequence[Reading]):
    """A batch of readings held as columns, in arrival order.

    What a high-rate connector decodes straight into (an MQTT gateway message of hundreds of
    readings) and what the collector commits: rows whose fields need no per-reading care — the
    point as text, an aware timestamp (with its epoch microseconds, computed once), a finite
    ``int``/``float`` value, no raw payload, no problem — are kept as parallel lists; any other
    reading is kept whole in ``odd`` at its position (its column cells are placeholders), so
    that the ingest pipeline examines it one by one and keeps its raw text if it rejects it.

    It is a ``Sequence[Reading]``: ``batch[k]`` is the very reading the connector would have
    built (same point, timestamp object, value object, unit and source), so a sink that
    iterates readings, the spill buffer and the equivalence tests see no difference.
    """

    __slots__ = ("odd", "point", "source", "ts", "unit", "us", "value")

    def __init__(self) -> None:
        self.point: list[str] = []
        self.ts: list[dt.datetime] = []
        self.us: list[int] = []
        self.value: list[float | int] = []
        self.unit: list[str | None] = []
        self.source: list[str] = []
        #: row → the reading kept whole (its column cells are placeholders)
        self.odd: dict[int, Reading] = {}

    def __len__(self) -> int:
        return len(self.point)

    @overload
    def __getitem__(self, index: int) -> Reading: ...

    @overload
    def __getitem__(self, index: slice) -> list[Reading]: ...

    def __getitem__(self, index: int | slice) -> Reading | list[Reading]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("reading index out of range")
        odd = self.odd.get(index)
        if odd is not None:
            return odd
        return Reading(
            self.point[index],
            self.ts[index],
            self.value[index],
            self.unit[index],
            self.source[index],
        )

    def __iter__(self) -> Iterator[Reading]:
        for k in range(len(self)):
            yield self[k]

    def append_clean(
        self,
        point: str,
        ts: dt.datetime,
        us: int,
        value: float | int,
        unit: str | None,
        source: str,
    ) -> None:
        """Add a row the caller has checked: ``us == epoch_us(ts)``, ``plain_number(value)``."""
        self.point.append(point)
        self.ts.append(ts)
        self.us.append(us)
        self.value.append(value)
        self.unit.append(unit)
        self.source.append(source)

    def extend_clean(
        self,
        points: list[str],
        ts: dt.datetime,
        us: int,
        values: list[float | int],
        unit: str | None,
        source: str,
    ) -> None:
        """Add rows of one instant, unit and source (a gateway message), checked by the caller
        as for :meth:`append_clean`."""
        k = len(points)
        self.point += points
        self.ts += [ts] * k
        self.us += [us] * k
        self.value += values
        self.unit += [unit] * k
        self.source += [source] * k

    def append_odd(self, reading: Reading) -> None:
        """Add a reading that the ingest pipeline must examine on its own."""
        self.odd[len(self.point)] = reading
        self.point.append("")
        self.ts.append(_EPOCH)
        self.us.append(0)
        self.value.append(0.0)
        self.unit.append(None)
        self.source.append(reading.source)

    def append(self, reading: Reading) -> None:
        """Add any reading: into the columns when it needs no per-reading care."""
        us = epoch_us(reading.ts)
        if (
            us is None
            or type(reading.point) is not str
            or reading.raw is not None
            or reading.problem is not None
            or reading.reason is not None
            or not plain_number(reading.value)
        ):
            self.append_odd(reading)
            return
        self.append_clean(
            reading.point,
            reading.ts,  # type: ignore[arg-type]  # epoch_us checked it is a datetime
            us,
            reading.value,  # type: ignore[arg-type]  # plain_number checked it
            reading.unit,
            reading.source,
        )

    def extend(self, readings: Iterable[Reading]) -> None:
        """Add readings in order (columns are concatenated, not re-examined)."""
        if isinstance(readings, ReadingColumns):
            offset = len(self.point)
            self.point += readings.point
            self.ts += readings.ts
            self.us += readings.us
            self.value += readings.value
            self.unit += readings.unit
            self.source += readings.source
            self.odd.update((offset + k, r) for k, r in readings.odd.items())
            return
        for reading in readings:
            self.append(reading)

    @classmethod
    def of(cls, readings: Iterable[Reading]) -> ReadingColumns:
        """The columns of ``readings``."""
        batch = cls()
        batch.extend(readings)
        return batch
