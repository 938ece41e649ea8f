"""Incremental normalisation of register points: continue from the state, all points at once.

A register point whose last reading L is trusted and *settled* — none of the last
``SPIKE_LOOKAHEAD`` steps before it is a spike, reset, rollover, jump or replacement, so no
look-ahead decision waits on later readings — continues exactly as the sequential resolution
of :func:`lingtan.normalize.intervals.register_intervals` would: if every new reading (all
after L) is a plausible step from the one before it, each step becomes one interval, measured
or estimated by :func:`~lingtan.normalize.intervals.base_class`, flagged ``GAP`` when long,
and L stays trusted. The hours from L's hour to the last new reading's are the state's sums
for L's hour plus the new intervals' shares by time — what :func:`consumption_hourly` gives by
interpolating the cumulative energy, up to float rounding.

A point whose new readings include an implausible step (spike, reset, rollover, jump) is left
to the exact recompute path; so are late readings (before L), documented replacements after L,
and points without a settled state. Pure numpy, no I/O: the cost is proportional to the new
readings, whatever the number of points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lingtan.normalize.hourly import HourlyStats
from lingtan.normalize.intervals import (
    F64,
    I64,
    MISSING,
    SPIKE_LOOKAHEAD,
    Intervals,
)
from lingtan.normalize.quality import Flag
from lingtan.store.norm_state_repo import NormStates
from lingtan.timeutil import HOUR_US, SECOND_US

HOUR_S = HOUR_US / SECOND_US
_GAP = int(Flag.GAP)


@dataclass(frozen=True, slots=True)
class RegisterParams:
    """Per-point parameters of the register resolution, one entry per point (aligned with the
    states): ``rate_raw`` is ``max_rate / multiplier`` [raw unit / h] (inf without a rate)."""

    multiplier: F64
    rate_raw: F64
    bidirectional: NDArray[np.bool_]
    gap_us: I64


@dataclass(frozen=True, slots=True)
class Continued:
    """Result of :func:`continue_registers`: ``done`` marks the points continued (indexes into
    the states); ``hours`` their hourly statistics from their state's hour on, and
    ``states`` their new states, both in the order of ``done``'s true entries; ``flat`` the
    hours of every point one after the other (``sizes`` rows each), for writers that take
    them all at once."""

    done: NDArray[np.bool_]
    hours: list[HourlyStats]
    states: NormStates
    flat: HourlyStats | None = None
    sizes: I64 | None = None


def continue_registers(
    states: NormStates, params: RegisterParams, owner: I64, ts: I64, raw: F64
) -> Continued:
    """Continue register points from their states with new readings.

    ``owner[i]`` is the index (into ``states``) of reading i's point; readings are sorted by
    owner, then time, every ``ts`` after its point's ``last_ts``.
    """
    npts = len(states)
    if npts == 0 or len(ts) == 0:
        return Continued(np.zeros(npts, bool), [], states.take(np.zeros(npts, bool)))
    first = np.ones(len(ts), bool)
    first[1:] = owner[1:] != owner[:-1]
    prev_ts = np.empty_like(ts)
    prev_ts[1:] = ts[:-1]
    prev_ts[first] = states.last_ts[owner[first]]
    prev_raw = np.empty_like(raw)
    prev_raw[1:] = raw[:-1]
    prev_raw[first] = states.last_value[owner[first]]
    # the plausibility test of register_intervals, with the same float operations
    delta = raw - prev_raw
    limit = (ts - prev_ts) / HOUR_US * params.rate_raw[owner]
    good = np.where(
        params.bidirectional[owner], np.abs(delta) <= limit, (delta >= 0) & (delta <= limit)
    )
    bad = np.bincount(owner[~good], minlength=npts) > 0
    late = first & (ts <= states.last_ts[owner])  # sorted: only a first reading can be late
    bad |= np.bincount(owner[late], minlength=npts) > 0
    done = (np.bincount(owner, minlength=npts) > 0) & ~bad
    keep = done[owner]
    if not keep.any():
        return Continued(done, [], states.take(done))
    owner, ts, start = owner[keep], ts[keep], prev_ts[keep]
    energy = delta[keep] * params.multiplier[owner]
    span = ts - start
    gap = params.gap_us[owner]
    same_hour = (start // HOUR_US) == ((ts - 1) // HOUR_US)
    measured_cls = same_hour | (span <= np.minimum(gap, HOUR_US))
    flag = np.where(span > gap, _GAP, 0).astype(np.int64)

    # output rows: every hour from the state's hour to the last new reading's, per point
    index = np.flatnonzero(done)
    slot = np.full(npts, -1, np.int64)
    slot[index] = np.arange(len(index))
    own = slot[owner]
    h_first = states.hour[index] // HOUR_US
    last_ts = np.full(len(index), -1, np.int64)
    np.maximum.at(last_ts, own, ts)
    h_last = last_ts // HOUR_US
    nh = h_last - h_first + 1
    offset = np.concatenate(([0], np.cumsum(nh)[:-1]))
    rows = int(nh.sum())

    # each interval's share of each hour it overlaps
    i0, i1 = start // HOUR_US, (ts - 1) // HOUR_US
    count = i1 - i0 + 1
    rep = np.repeat(np.arange(len(ts)), count)
    before = np.concatenate(([0], np.cumsum(count)[:-1]))
    j = i0[rep] + np.arange(len(rep)) - np.repeat(before, count)
    bound = j * HOUR_US
    overlap = np.minimum(ts[rep], bound + HOUR_US) - np.maximum(start[rep], bound)
    row = offset[own[rep]] + j - h_first[own[rep]]
    seconds = overlap / SECOND_US
    value: F64 = _sums(row, energy[rep] * (overlap / span[rep]), rows)
    meas = _sums(row, np.where(measured_cls[rep], seconds, 0.0), rows)
    est = _sums(row, np.where(measured_cls[rep], 0.0, seconds), rows)
    flags = np.zeros(rows, np.int64)
    np.bitwise_or.at(flags, row, flag[rep])
    n = np.bincount(offset[own] + ts // HOUR_US - h_first[own], minlength=rows).astype(np.int64)

    # the state's hour: what is known of it so far
    value[offset] += states.value[index]
    meas[offset] += states.measured_s[index]
    est[offset] += states.estimated_s[index]
    flags[offset] |= states.flags[index]
    n[offset] += states.n[index]
    meas = np.clip(meas, 0.0, HOUR_S)
    est = np.clip(est, 0.0, HOUR_S - meas)
    known = meas + est > 0
    hours_us = np.repeat(h_first - offset, nh) * HOUR_US + np.arange(rows) * HOUR_US
    shown = np.where(known, value, np.nan)
    nan = np.full(rows, np.nan)
    missing: F64 = HOUR_S - meas - est
    out = []
    for k in range(len(index)):
        a, b = int(offset[k]), int(offset[k] + nh[k])
        out.append(
            HourlyStats(
                hours_us[a:b], shown[a:b], nan[a:b], nan[a:b], nan[a:b],
                meas[a:b], est[a:b], missing[a:b], flags[a:b], n[a:b],
            )
        )  # fmt: skip
    end = offset + nh - 1
    new_states = NormStates(
        point_id=states.point_id[index],
        last_ts=last_ts,
        last_value=_last_per_slot(own, raw[keep], len(index)),
        hour=h_last * HOUR_US,
        value=np.where(known[end], value[end], 0.0),
        measured_s=meas[end],
        estimated_s=est[end],
        flags=flags[end],
        n=n[end],
    )
    flat = HourlyStats(hours_us, shown, nan, nan, nan, meas, est, missing, flags, n)
    return Continued(done, out, new_states, flat, nh)


def _sums(row: I64, weights: F64, rows: int) -> F64:
    """Sums of ``weights`` per row index."""
    return np.asarray(np.bincount(row, weights=weights, minlength=rows), np.float64)


def _last_per_slot(own: I64, values: F64, slots: int) -> F64:
    """The last of ``values`` per slot (values sorted by slot, then time)."""
    last = np.empty(slots, np.float64)
    last[own] = values  # later assignments win: numpy writes in order
    return last


def settled_state(
    point_id: int, ts: I64, raw: F64, iv: Intervals, hs: HourlyStats
) -> NormStates | None:
    """The state after the exact recompute of a register point whose readings end with
    ``ts[-1]`` (``ts``, ``raw``: the sorted readings of the window, ``iv`` its intervals, ``hs`` the
    recomputed hours, which hold ``ts[-1]``'s hour), or None when the end is not settled.

    Settled: the last ``SPIKE_LOOKAHEAD + 1`` readings are all trusted knots of consecutive
    intervals without flags other than ``GAP`` (no spike excluded, no reset, rollover, jump or
    replacement among them), so no decision of the resolution can change with later readings.
    """
    k = SPIKE_LOOKAHEAD + 1
    if len(ts) < k or len(iv.knots) < k or len(iv.flags) < k - 1:
        return None
    if not np.array_equal(iv.knots[-k:], ts[-k:]):
        return None
    tail_flags = iv.flags[-(k - 1) :]
    if bool((tail_flags & ~_GAP).any()) or bool((iv.cls[-(k - 1) :] == MISSING).any()):
        return None
    last = int(ts[-1])
    hour = last - last % HOUR_US
    at = (hour - int(hs.hours[0])) // HOUR_US if len(hs) else -1
    if at < 0 or at >= len(hs):
        return None
    value = float(hs.value[at])
    return NormStates(
        point_id=np.array([point_id], np.int64),
        last_ts=np.array([last], np.int64),
        last_value=np.array([float(raw[-1])], np.float64),
        hour=np.array([hour], np.int64),
        value=np.array([0.0 if value != value else value], np.float64),
        measured_s=np.array([float(hs.measured_s[at])], np.float64),
        estimated_s=np.array([float(hs.estimated_s[at])], np.float64),
        flags=np.array([int(hs.flags[at])], np.int64),
        n=np.array([int(hs.n[at])], np.int64),
    )


__all__ = [
    "Continued",
    "RegisterParams",
    "continue_registers",
    "settled_state",
]
