"""The reading a connector hands to the ingest pipeline.

A reading is what a meter said, untouched: connectors fill it as faithfully as they can and the
ingest pipeline validates it at the boundary (known point, aware timestamp, finite value,
compatible unit). Fields are typed loosely on purpose: a gateway that sends ``"value": "n/a"``
produces a reading that is *rejected with its reason and kept*, not an exception in the codec
that would lose it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


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
