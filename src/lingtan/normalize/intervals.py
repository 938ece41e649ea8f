"""From raw readings to *intervals*: spans of time with a known (or unknown) energy.

Pure numpy, no I/O. Three point kinds produce intervals here:

- registers (``total_increasing`` and ``total``): consecutive trusted readings bound an
  interval whose energy is the register advance × multiplier. Resets, rollovers, spikes and
  implausible jumps are resolved as described in docs/data-quality.md;
- ``interval`` points: each reading is the consumption of the nominal interval ending at its
  timestamp.

:mod:`lingtan.normalize.hourly` then spreads intervals over clock hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from lingtan.normalize.quality import Flag
from lingtan.timeutil import HOUR_US, SECOND_US

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

#: interval classes
MEASURED: Final = 0
ESTIMATED: Final = 1
MISSING: Final = 2

#: readings examined past an implausible one before calling the step persistent
SPIKE_LOOKAHEAD: Final = 3
#: without a rated maximum, a drop is a rollover only if the unwrapped advance is below this
#: share of the register range (a full wrap between two readings is implausible)
ROLLOVER_SHARE_WITHOUT_RATE: Final = 0.1


@dataclass(frozen=True, slots=True)
class Intervals:
    """Contiguous spans: ``knots[k]`` to ``knots[k+1]`` carries ``energy[k]`` of class ``cls[k]``."""

    knots: I64  # µs, strictly increasing, len = n + 1 (or 0 when there is nothing)
    energy: F64  # point unit (multiplier applied); 0 where the class is MISSING
    cls: NDArray[np.int8]
    flags: I64
    trusted: I64  # timestamps of the readings used
    spikes: I64  # timestamps of readings excluded as spikes

    @property
    def total(self) -> float:
        """Sum of the known energy of all spans."""
        return math.fsum(self.energy.tolist())


def _empty(trusted: I64) -> Intervals:
    return Intervals(
        knots=trusted[:1] if len(trusted) else np.empty(0, np.int64),
        energy=np.empty(0, np.float64),
        cls=np.empty(0, np.int8),
        flags=np.empty(0, np.int64),
        trusted=trusted,
        spikes=np.empty(0, np.int64),
    )


def base_class(start: I64, end: I64, gap_us: int) -> NDArray[np.int8]:
    """MEASURED when a span lies in one clock hour or is short, else ESTIMATED.

    A span inside one hour gives that hour its exact energy. A span that crosses hour
    boundaries is split by time; for a short span (no longer than the gap threshold and an
    hour) that split is the usual metering convention, for a longer one it is an estimate.
    """
    same_hour = (start // HOUR_US) == ((end - 1) // HOUR_US)
    short = (end - start) <= min(gap_us, HOUR_US)
    return np.where(same_hour | short, MEASURED, ESTIMATED).astype(np.int8)


def register_intervals(
    ts: I64,
    raw: F64,
    *,
    bidirectional: bool = False,
    multiplier: float = 1.0,
    register_max: float | None = None,
    max_rate: float | None = None,
    interval_s: int = 900,
) -> Intervals:
    """Intervals of a cumulative register (``total_increasing``) or a ``total`` register.

    Parameters
    ----------
    ts : epoch microseconds of the readings (any order, unique)
    raw : register values as read [raw register unit]
    bidirectional : True for ``total`` points, whose drops are valid negative advances
    multiplier : CT/PT ratio; energy = advance × multiplier [point unit / raw unit]
    register_max : value at which the register wraps to zero [raw unit]
    max_rate : rated maximum rate [point unit / h]; steps above rate × elapsed time are
        implausible (spikes or jumps). None disables the rate test.
    interval_s : nominal seconds between readings; spans longer than twice this are gaps
    """
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    raw = raw[order]
    n = len(ts)
    if n < 2:
        return _empty(ts)
    gap_us = 2 * interval_s * SECOND_US
    rate_raw = math.inf if max_rate is None else max_rate / multiplier  # raw units per hour
    dt_h = np.diff(ts) / HOUR_US
    delta = np.diff(raw)
    limit = dt_h * rate_raw if max_rate is not None else np.full(n - 1, math.inf)
    good = np.abs(delta) <= limit if bidirectional else (delta >= 0) & (delta <= limit)
    if bool(good.all()):
        start, end = ts[:-1], ts[1:]
        return Intervals(
            knots=ts,
            energy=delta * multiplier,
            cls=base_class(start, end, gap_us),
            flags=np.where(end - start > gap_us, int(Flag.GAP), 0).astype(np.int64),
            trusted=ts,
            spikes=np.empty(0, np.int64),
        )
    return _register_slow(
        ts, raw, bidirectional, multiplier, register_max, max_rate, rate_raw, gap_us
    )


def _register_slow(
    ts: I64,
    raw: F64,
    bidirectional: bool,
    multiplier: float,
    register_max: float | None,
    max_rate: float | None,
    rate_raw: float,
    gap_us: int,
) -> Intervals:
    """Sequential resolution of resets, rollovers, spikes and jumps (see docs/data-quality.md)."""
    t = ts.tolist()
    v = raw.tolist()
    n = len(t)

    def limit(a: int, b: int) -> float:
        return (t[b] - t[a]) / HOUR_US * rate_raw if max_rate is not None else math.inf

    def plausible(a: int, b: int) -> tuple[float, int] | None:
        """Raw advance from reading a to b and its flag, if physically plausible."""
        d = v[b] - v[a]
        lim = limit(a, b)
        if bidirectional:
            return (d, 0) if abs(d) <= lim else None
        if 0 <= d <= lim:
            return d, 0
        if register_max is not None and d < 0:
            unwrapped = d + register_max
            cap = lim if max_rate is not None else ROLLOVER_SHARE_WITHOUT_RATE * register_max
            if 0 <= unwrapped <= cap:
                return unwrapped, int(Flag.ROLLOVER)
        return None

    trusted = [0]
    knots = [t[0]]
    energy: list[float] = []
    cls: list[int] = []
    flags: list[int] = []
    spikes: list[int] = []

    def add(a: int, b: int, advance: float, c: int, f: int) -> None:
        knots.append(t[b])
        energy.append(advance * multiplier)
        span = t[b] - t[a]
        if c == MEASURED:
            same_hour = t[a] // HOUR_US == (t[b] - 1) // HOUR_US
            c = MEASURED if same_hour or span <= min(gap_us, HOUR_US) else ESTIMATED
        cls.append(c)
        flags.append(f | (int(Flag.GAP) if span > gap_us else 0))
        trusted.append(b)

    i = 1
    while i < n:
        last = trusted[-1]
        step = plausible(last, i)
        if step is not None:
            add(last, i, step[0], MEASURED, step[1])
            i += 1
            continue
        # A drop back to the earlier level: the previous trusted reading was an upward spike.
        if not bidirectional and v[i] < v[last] and len(trusted) >= 2 and flags[-1] == 0:
            before = trusted[-2]
            bridged = plausible(before, i)
            if bridged is not None:
                spikes.append(t[last])
                trusted.pop()
                knots.pop()
                energy.pop()
                cls.pop()
                flags.pop()
                # the excluded reading was the only one between: how the bridged energy
                # splits across the span (and its hours) is an estimate
                add(before, i, bridged[0], ESTIMATED, bridged[1] | int(Flag.SPIKE))
                i += 1
                continue
        # Look ahead: if a later reading continues plausibly, the readings between are spikes.
        found = None
        for j in range(i + 1, min(n, i + 1 + SPIKE_LOOKAHEAD)):
            step = plausible(last, j)
            if step is not None:
                found = j, step
                break
        if found is not None:
            j, step = found
            spikes.extend(t[i:j])
            add(last, j, step[0], ESTIMATED, step[1] | int(Flag.SPIKE))
            i = j + 1
            continue
        # Persistent implausible step.
        if not bidirectional and v[i] < v[last]:
            # Reset or meter replacement. If the new value could have been consumed since a
            # restart at zero, count it (estimated); otherwise the energy is unknown.
            if max_rate is not None and 0 <= v[i] <= limit(last, i):
                add(last, i, v[i], ESTIMATED, int(Flag.RESET))
            else:
                add(last, i, 0.0, MISSING, int(Flag.RESET))
        else:
            add(last, i, 0.0, MISSING, int(Flag.JUMP))
        i += 1

    return Intervals(
        knots=np.asarray(knots, np.int64),
        energy=np.asarray(energy, np.float64),
        cls=np.asarray(cls, np.int8),
        flags=np.asarray(flags, np.int64),
        trusted=np.asarray([t[k] for k in trusted], np.int64),
        spikes=np.asarray(spikes, np.int64),
    )


def interval_intervals(
    ts: I64, values: F64, *, multiplier: float = 1.0, interval_s: int = 900
) -> Intervals:
    """Intervals of an ``interval`` point: reading k is the consumption of (ts_k − I, ts_k].

    Spans not covered by any reading are MISSING. A reading whose interval overlaps the
    previous one (irregular logging) is assigned to the span since the previous reading, so
    energy is never counted twice.
    """
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    values = values[order]
    n = len(ts)
    if n == 0:
        return _empty(ts)
    width = interval_s * SECOND_US
    starts = ts - width
    starts[1:] = np.maximum(starts[1:], ts[:-1])
    gaps = np.zeros(n, bool)
    gaps[1:] = starts[1:] > ts[:-1]
    count = n + int(gaps.sum())
    knots = np.empty(count + 1, np.int64)
    energy = np.zeros(count, np.float64)
    cls = np.full(count, MISSING, np.int8)
    # position of reading k's span among all spans (gaps insert a MISSING span before it)
    pos = np.arange(n) + np.cumsum(gaps)
    knots[0] = starts[0]
    knots[pos + 1] = ts
    knots[pos[gaps]] = starts[gaps]
    energy[pos] = values * multiplier
    gap_us = 2 * interval_s * SECOND_US
    cls[pos] = base_class(starts, ts, gap_us)
    return Intervals(
        knots=knots,
        energy=energy,
        cls=cls,
        flags=np.zeros(count, np.int64),
        trusted=ts,
        spikes=np.empty(0, np.int64),
    )
