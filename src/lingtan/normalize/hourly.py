"""Spread intervals over clock hours; summarise measurements per hour.

Energy is apportioned by time: the cumulative energy of the trusted readings is a piecewise
linear function of time, and an hour's consumption is that function's rise over the hour.
Evaluating it at the hour boundaries (``numpy.interp``) makes the hourly values telescope, so
their sum equals the sum of the interval energies exactly (up to float rounding) — the
conservation property that tests/normalize checks on random series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingtan.normalize.intervals import ESTIMATED, F64, I64, MEASURED, MISSING, Intervals
from lingtan.timeutil import HOUR_US, SECOND_US

HOUR_S = HOUR_US / SECOND_US


@dataclass(frozen=True, slots=True)
class HourlyStats:
    """Statistics of consecutive hours ``hours[0] … hours[-1]`` (epoch µs of hour starts).

    ``value`` is consumption [point unit], NaN where nothing is known; ``mean``/``min``/``max``
    summarise measurements (NaN for consumption points).
    """

    hours: I64
    value: F64
    mean: F64
    min: F64
    max: F64
    measured_s: F64
    estimated_s: F64
    missing_s: F64
    flags: I64
    n: I64

    def __len__(self) -> int:
        return len(self.hours)


def hour_starts(h0: int, h1: int) -> I64:
    """Hour starts in [h0, h1); both must be whole hours."""
    if h0 % HOUR_US or h1 % HOUR_US or h1 < h0:
        raise ValueError(f"hour range [{h0}, {h1}) must be whole hours in order")
    return np.arange(h0, h1, HOUR_US, dtype=np.int64)


def _nan(n: int) -> F64:
    return np.full(n, np.nan)


def _counts(ts: I64, bounds: I64) -> I64:
    idx = np.searchsorted(ts, bounds, side="left")
    return np.diff(idx).astype(np.int64)


def consumption_hourly(iv: Intervals, h0: int, h1: int) -> HourlyStats:
    """Consumption per hour in [h0, h1) from contiguous intervals."""
    hours = hour_starts(h0, h1)
    nh = len(hours)
    bounds = np.append(hours, h1).astype(np.float64)
    if len(iv.energy) == 0:
        return HourlyStats(
            hours,
            _nan(nh),
            _nan(nh),
            _nan(nh),
            _nan(nh),
            np.zeros(nh),
            np.zeros(nh),
            np.full(nh, HOUR_S),
            np.zeros(nh, np.int64),
            _counts(iv.trusted, bounds.astype(np.int64)),
        )
    knots = iv.knots.astype(np.float64)
    span_s = np.diff(iv.knots) / SECOND_US

    def rise(per_span: F64) -> F64:
        cumulative = np.concatenate(([0.0], np.cumsum(per_span)))
        return np.diff(np.interp(bounds, knots, cumulative))

    value = rise(iv.energy)
    measured = rise(np.where(iv.cls == MEASURED, span_s, 0.0))
    estimated = rise(np.where(iv.cls == ESTIMATED, span_s, 0.0))
    # clamp float noise; the rest of each hour is missing (outside the data or MISSING spans)
    measured = np.clip(measured, 0.0, HOUR_S)
    estimated = np.clip(estimated, 0.0, HOUR_S - measured)
    missing = HOUR_S - measured - estimated
    value = np.where(measured + estimated > 0, value, np.nan)

    flags = np.zeros(nh, np.int64)
    flagged = np.flatnonzero(iv.flags)
    for k in flagged.tolist():
        first = max(0, (int(iv.knots[k]) - h0) // HOUR_US)
        last = min(nh - 1, (int(iv.knots[k + 1]) - 1 - h0) // HOUR_US)
        if first <= last:
            flags[first : last + 1] |= int(iv.flags[k])
    counted = iv.trusted
    return HourlyStats(
        hours,
        value,
        _nan(nh),
        _nan(nh),
        _nan(nh),
        measured,
        estimated,
        missing,
        flags,
        _counts(counted, np.append(hours, h1)),
    )


def measurement_hourly(
    ts: I64, values: F64, h0: int, h1: int, *, multiplier: float = 1.0, interval_s: int = 900
) -> HourlyStats:
    """Mean, min and max of instantaneous samples per hour in [h0, h1).

    Coverage: each sample stands for one nominal interval, so an hour with ``n`` samples is
    measured for ``min(3600, n × interval_s)`` seconds and missing for the rest.
    """
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    values = values[order] * multiplier
    hours = hour_starts(h0, h1)
    nh = len(hours)
    idx = np.searchsorted(ts, np.append(hours, h1), side="left")
    counts = np.diff(idx).astype(np.int64)
    mean, lo, hi = _nan(nh), _nan(nh), _nan(nh)
    has = counts > 0
    if bool(has.any()):
        # Only samples inside [h0, h1); empty hours hold no samples, so each non-empty hour's
        # reduceat segment runs exactly to the next non-empty hour's first sample.
        inside = values[idx[0] : idx[-1]]
        starts = idx[:-1][has] - idx[0]
        mean[has] = np.add.reduceat(inside, starts) / counts[has]
        lo[has] = np.minimum.reduceat(inside, starts)
        hi[has] = np.maximum.reduceat(inside, starts)
    measured = np.minimum(HOUR_S, counts * float(interval_s))
    return HourlyStats(
        hours,
        _nan(nh),
        mean,
        lo,
        hi,
        measured,
        np.zeros(nh),
        HOUR_S - measured,
        np.zeros(nh, np.int64),
        counts,
    )


__all__ = [
    "ESTIMATED",
    "MEASURED",
    "MISSING",
    "HourlyStats",
    "consumption_hourly",
    "hour_starts",
    "measurement_hourly",
]
