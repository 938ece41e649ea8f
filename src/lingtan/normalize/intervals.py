"""From raw readings to *intervals*: spans of time with a known (or unknown) energy.

Pure numpy, no I/O. Three point kinds produce intervals here:

- registers (``total_increasing`` and ``total``): consecutive trusted readings bound an
  interval whose energy is the register advance × multiplier. Resets, rollovers, spikes and
  implausible jumps are resolved as described in docs/data-quality.md; a documented meter
  replacement (换表) splits the series into one register per meter;
- ``interval`` points: each reading is the consumption of the nominal interval ending at its
  timestamp.

:mod:`lingtan.normalize.hourly` then spreads intervals over clock hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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


@dataclass(frozen=True, slots=True)
class Replacement:
    """A documented meter replacement (换表) on a register point.

    Readings stamped before ``at`` are the old meter's, readings at or after it the new
    meter's. The old meter counted up to ``old_final`` and the new one from ``new_initial``:
    the new register's starting value is never consumption.
    """

    at: int  # µs, the instant of the replacement
    old_final: float  # the old register at removal [raw register unit]
    new_initial: float  # the new register at installation [raw register unit]
    #: the new meter's CT/PT ratio; None keeps the ratio in force before the replacement
    multiplier: float | None = None


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
    replacements: Sequence[Replacement] = (),
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
    replacements : documented meter replacements of the point (any order); ``multiplier``
        is the ratio of the meter in place before the first of them
    """
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    raw = raw[order]
    n = len(ts)
    if replacements:
        return _across_replacements(
            ts,
            raw,
            sorted(replacements, key=lambda r: r.at),
            bidirectional=bidirectional,
            multiplier=multiplier,
            register_max=register_max,
            max_rate=max_rate,
            interval_s=interval_s,
        )
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


def _across_replacements(
    ts: I64,
    raw: F64,
    events: list[Replacement],
    *,
    bidirectional: bool,
    multiplier: float,
    register_max: float | None,
    max_rate: float | None,
    interval_s: int,
) -> Intervals:
    """Intervals of a register whose meter was replaced (sorted readings, sorted events).

    Each meter's readings (the segments between replacements) are resolved on their own with
    that meter's multiplier. Between the last trusted reading of the old meter (t_a, v_a) and
    the first of the new one (t_b, v_b) the energy is the old meter's advance up to its final
    value followed by the new meter's advance from its initial value:

        E = (old_final − v_a) × m_old  over [t_a, at)
          + (v_b − new_initial) × m_new  over [at, t_b)

    so no register value is ever counted as consumption by itself. A part that only replacement
    values bound (a meter that sent no reading between two replacements) is estimated; a part
    bounded by a reading follows the usual rule (measured when inside one hour or short). A
    part that is negative on a ``total_increasing`` register, or above ``max_rate`` × its
    duration, has unknown energy (missing), as a reading would.
    """
    gap_us = 2 * interval_s * SECOND_US
    cuts = np.searchsorted(ts, np.array([e.at for e in events], np.int64), side="left").tolist()
    bounds = [0, *cuts, len(ts)]
    ratios = [multiplier]
    for e in events:
        ratios.append(e.multiplier if e.multiplier is not None else ratios[-1])
    value_at = dict(zip(ts.tolist(), raw.tolist(), strict=True))

    knots: list[int] = []
    energy: list[float] = []
    cls: list[int] = []
    flags: list[int] = []
    trusted: list[I64] = []
    spikes: list[I64] = []

    def part(a: int, b: int, advance: float, ratio: float, *, read: bool) -> None:
        """Append the span [a, b) carrying a register ``advance`` at ``ratio``; ``read``: a
        reading bounds it (not only replacement values)."""
        if b == a:
            # The first reading of the new meter is stamped at the replacement itself: its
            # advance from the initial value joins the span that ends there.
            if energy:
                merged = energy[-1] + advance * ratio
                known = cls[-1] != MISSING and (bidirectional or advance >= 0)
                energy[-1] = merged if known else 0.0
                cls[-1] = cls[-1] if known else MISSING
            return
        if not knots:
            knots.append(a)
        span = b - a
        f = int(Flag.REPLACEMENT) | (int(Flag.GAP) if span > gap_us else 0)
        limit = span / HOUR_US * max_rate if max_rate is not None else math.inf
        e = advance * ratio
        if (not bidirectional and e < 0) or abs(e) > limit:
            c, e = MISSING, 0.0
            f |= int(Flag.JUMP) if abs(advance * ratio) > limit else 0
        elif not read:
            c = ESTIMATED
        else:
            c = int(base_class(np.array([a]), np.array([b]), gap_us)[0])
        knots.append(b)
        energy.append(e)
        cls.append(c)
        flags.append(f)

    for k in range(len(bounds) - 1):
        lo, hi = bounds[k], bounds[k + 1]
        ratio = ratios[k]
        entered = events[k - 1] if k > 0 else None  # the replacement that installed this meter
        left = events[k] if k < len(events) else None  # the one that removed it
        if hi > lo:
            iv = register_intervals(
                ts[lo:hi],
                raw[lo:hi],
                bidirectional=bidirectional,
                multiplier=ratio,
                register_max=register_max,
                max_rate=max_rate,
                interval_s=interval_s,
            )
            first, last = int(iv.trusted[0]), int(iv.trusted[-1])
            if entered is not None:
                part(entered.at, first, value_at[first] - entered.new_initial, ratio, read=True)
            if len(iv.energy):
                if knots and knots[-1] != first:
                    raise AssertionError("replacement spans must be contiguous")
                if not knots:
                    knots.append(first)
                knots.extend(iv.knots[1:].tolist())
                energy.extend(iv.energy.tolist())
                cls.extend(iv.cls.tolist())
                flags.extend(iv.flags.tolist())
            elif not knots:
                knots.append(first)
            trusted.append(iv.trusted)
            spikes.append(iv.spikes)
            if left is not None:
                part(last, left.at, left.old_final - value_at[last], ratio, read=True)
        elif entered is not None and left is not None:
            # a meter that sent no reading: only its installation and removal values bound it
            part(entered.at, left.at, left.old_final - entered.new_initial, ratio, read=False)
        elif entered is not None and not knots:
            knots.append(entered.at)

    return Intervals(
        knots=np.asarray(knots, np.int64),
        energy=np.asarray(energy, np.float64),
        cls=np.asarray(cls, np.int8),
        flags=np.asarray(flags, np.int64),
        trusted=np.concatenate(trusted) if trusted else np.empty(0, np.int64),
        spikes=np.concatenate(spikes) if spikes else np.empty(0, np.int64),
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
