"""Quarter-hour slots (15 分钟) of a point read every 15 minutes or more often (pure: numpy, no
store, no I/O).

Hourly statistics cannot give a 15-minute series, so it is built from the point's intervals
(:mod:`lingtan.normalize.intervals`: registers' advances or interval readings, with resets,
spikes and meter replacements resolved), spread over 15-minute slots the way
:mod:`lingtan.normalize.hourly` spreads them over hours — the cumulative energy of the trusted
readings is piecewise linear in time and a slot's energy is its rise over the slot. A slot any
part of which lies in a missing span is unknown (NaN), never 0.

One computation serves every 15-minute consumer: the 15-minute forecasts
(:mod:`lingtan.forecast.quarter`) and the 15-minute items of the online-monitoring upload
(:mod:`lingtan.exchange.upload`).
"""

from __future__ import annotations

from typing import Final

import numpy as np

from lingtan.errors import InvalidInput
from lingtan.normalize.intervals import ESTIMATED, F64, I64, MEASURED, MISSING, Intervals
from lingtan.timeutil import SECOND_US

#: 15-minute slots of a day (a zone with a whole-hour offset and no daylight saving)
SLOTS: Final = 96
SLOT_US: Final = 15 * 60 * 1_000_000
#: the longest reading interval that gives a 15-minute series [s]
MAX_INTERVAL_S: Final = 900


def _edges(t0: int, t1: int, slot_us: int) -> I64:
    if (t1 - t0) % slot_us or t1 < t0:
        raise InvalidInput("the range must be whole slots", field="range")
    n = (t1 - t0) // slot_us
    return t0 + np.arange(n + 1, dtype=np.int64) * slot_us


def slot_energy(iv: Intervals, t0: int, t1: int, slot_us: int = SLOT_US) -> F64:
    """Energy of each slot of [t0, t1) [point unit]; NaN for a slot not wholly covered by
    known spans (measured or estimated)."""
    edges = _edges(t0, t1, slot_us)
    n = len(edges) - 1
    out = np.full(n, np.nan)
    if iv.knots.size < 2:
        return out
    cum = np.concatenate([[0.0], np.cumsum(iv.energy)])
    rise = np.diff(np.interp(edges, iv.knots, cum))
    # a slot is known when it lies inside the intervals and overlaps no missing span
    known = (edges[:-1] >= iv.knots[0]) & (edges[1:] <= iv.knots[-1])
    for k in np.flatnonzero(iv.cls == MISSING):
        a, b = int(iv.knots[k]), int(iv.knots[k + 1])
        known &= ~((edges[:-1] < b) & (edges[1:] > a))
    out[known] = rise[known]
    return out


def slot_coverage(iv: Intervals, t0: int, t1: int, slot_us: int = SLOT_US) -> tuple[F64, F64]:
    """Measured and estimated seconds of each slot of [t0, t1), as
    :func:`lingtan.normalize.hourly.consumption_hourly` counts them for an hour (the rest of
    the slot is missing: outside the intervals or in a MISSING span)."""
    edges = _edges(t0, t1, slot_us)
    n = len(edges) - 1
    length = slot_us / SECOND_US
    if iv.knots.size < 2:
        return np.zeros(n), np.zeros(n)
    span_s = np.diff(iv.knots) / SECOND_US

    def rise(per_span: F64) -> F64:
        cumulative = np.concatenate(([0.0], np.cumsum(per_span)))
        return np.diff(np.interp(edges, iv.knots, cumulative))

    measured = np.clip(rise(np.where(iv.cls == MEASURED, span_s, 0.0)), 0.0, length)
    estimated = np.clip(rise(np.where(iv.cls == ESTIMATED, span_s, 0.0)), 0.0, length - measured)
    return measured, estimated
