"""The normaliser: drains the dirty-interval queue into hourly and daily statistics.

For each point with new readings in [a, b] it recomputes the hours those readings can affect
— from the hour of the last reading before ``a`` to the hour of the first reading after ``b``
— from the raw readings in the store (plus a few readings of context on each side for spike
detection), so late and out-of-order data give the same statistics as in-order data. Changed
hours keep their previous version in ``stat_hour_history``. Daily statistics (park local
time), owner × carrier rollups and virtual points are refreshed for the same hours.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from lingtan.normalize.hourly import HourlyStats, consumption_hourly, measurement_hourly
from lingtan.normalize.incremental import (
    Continued,
    RegisterParams,
    continue_registers,
    settled_state,
)
from lingtan.normalize.intervals import (
    SPIKE_LOOKAHEAD,
    Intervals,
    Replacement,
    interval_intervals,
    register_intervals,
)
from lingtan.normalize.quality import Flag
from lingtan.normalize.virtual import combine
from lingtan.registry.formula import parse_formula
from lingtan.store import PointRecord, ReplacementRecord, Store
from lingtan.store.core import LOCK_NORMALISE
from lingtan.store.norm_state_repo import NormStates, empty_states
from lingtan.store.stats_repo import CarrierGroup, DayGrowth
from lingtan.timeutil import (
    DAY_US,
    HOUR_US,
    SECOND_US,
    floor_hour,
    local_day_start_us,
    to_us,
    utcnow,
)

#: nominal reading intervals of context loaded on each side of a register window (spike
#: look-ahead plus the bridging reading)
CONTEXT = SPIKE_LOOKAHEAD + 1
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class NormaliseReport:
    """What a normalisation run did."""

    points: int = 0
    hours: int = 0
    changed_hours: int = 0
    virtual_points: int = 0
    #: points continued from their state (:mod:`lingtan.normalize.incremental`), not recomputed
    continued: int = 0
    seconds: float = 0.0
    flags: dict[str, int] = field(default_factory=dict)


def compute_hours(
    point: PointRecord,
    ts: np.ndarray,
    values: np.ndarray,
    h0: int,
    h1: int,
    replacements: Sequence[Replacement] = (),
) -> HourlyStats:
    """Hourly statistics of ``point`` for [h0, h1) from its readings and, for registers, its
    documented meter replacements (pure)."""
    return _compute(point, ts, values, h0, h1, replacements)[0]


def _compute(
    point: PointRecord,
    ts: np.ndarray,
    values: np.ndarray,
    h0: int,
    h1: int,
    replacements: Sequence[Replacement] = (),
) -> tuple[HourlyStats, Intervals | None]:
    """:func:`compute_hours` and, for consumption points, the intervals behind the hours."""
    if point.kind == "measurement":
        hs = measurement_hourly(
            ts, values, h0, h1, multiplier=point.multiplier, interval_s=point.interval_s
        )
        return hs, None
    if point.kind == "interval":
        iv = interval_intervals(
            ts, values, multiplier=point.multiplier, interval_s=point.interval_s
        )
    else:
        iv = register_intervals(
            ts,
            values,
            bidirectional=point.kind == "total",
            multiplier=point.multiplier,
            register_max=point.register_max,
            max_rate=point.max_rate,
            interval_s=point.interval_s,
            replacements=replacements,
        )
    return consumption_hourly(iv, h0, h1), iv


def as_replacements(records: Sequence[ReplacementRecord]) -> list[Replacement]:
    """The normaliser's view of stored meter replacements."""
    return [Replacement(r.at, r.old_final, r.new_initial, r.multiplier) for r in records]


def _intervals(
    point: PointRecord, ts: np.ndarray, raw: np.ndarray, replacements: list[Replacement]
) -> Intervals:
    """A consumption point's intervals from its readings (``ts`` in time order)."""
    if point.kind == "interval":
        return interval_intervals(ts, raw, multiplier=point.multiplier, interval_s=point.interval_s)
    return register_intervals(
        ts, raw, bidirectional=point.kind == "total", multiplier=point.multiplier,
        register_max=point.register_max, max_rate=point.max_rate,
        interval_s=point.interval_s, replacements=replacements,
    )  # fmt: skip


def point_intervals(store: Store, point: PointRecord) -> Intervals | None:
    """The normaliser's intervals of a consumption point's readings (all of them, with its
    documented meter replacements); None without readings. What 15-minute series are built
    from (:mod:`lingtan.normalize.slots`)."""
    ts, raw = store.readings.fetch(point.id)
    if ts.size == 0:
        return None
    with store.begin() as conn:
        events = store.replacements.for_points(conn, [point.id]).get(point.id, [])
    return _intervals(point, ts, raw, as_replacements(events))


#: readings read on each side of a window by :func:`window_intervals` [µs]: a day, many
#: times the longest reading interval that can give a 15-minute series, so that the first and
#: last slots of the window have their neighbours and a reset or spike at the edge is judged
#: with the readings around it as over the whole history
WINDOW_MARGIN_US = 86_400 * SECOND_US


def window_intervals(
    store: Store, points: Sequence[PointRecord], t0: int, t1: int
) -> dict[int, Intervals | None]:
    """:func:`point_intervals` of many consumption points over [t0, t1) only (with
    :data:`WINDOW_MARGIN_US` read on each side), the readings in one query; None for a point
    without readings there."""
    with store.begin() as conn:
        data = store.stats.windows_many(
            conn, [(p.id, t0 - WINDOW_MARGIN_US, t1 + WINDOW_MARGIN_US) for p in points]
        )
        events = store.replacements.for_points(conn, [p.id for p in points])
    out: dict[int, Intervals | None] = {}
    for p in points:
        ts, raw = data[p.id]
        out[p.id] = (
            None if ts.size == 0 else _intervals(p, ts, raw, as_replacements(events.get(p.id, [])))
        )
    return out


class _Days:
    """Local-day numbering and bounds per time zone, cached."""

    def __init__(self) -> None:
        self._bounds: dict[tuple[str, int], int] = {}
        self._spans: dict[tuple[str, int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def start(self, tz: ZoneInfo, day: int) -> int:
        key = (tz.key, day)
        found = self._bounds.get(key)
        if found is None:
            found = local_day_start_us(dt.date.fromordinal(day + _EPOCH_ORDINAL), tz)
            self._bounds[key] = found
        return found

    def number(self, tz: ZoneInfo, us: int) -> int:
        local = dt.datetime.fromtimestamp(us / SECOND_US, tz)
        return local.date().toordinal() - _EPOCH_ORDINAL

    def covering(self, tz: ZoneInfo, h0: int, h1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # most points of a run share their span of hours
        key = (tz.key, h0, h1)
        found = self._spans.get(key)
        if found is None:
            found = self._spans[key] = self._covering(tz, h0, h1)
        return found

    def _covering(
        self, tz: ZoneInfo, h0: int, h1: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        first, last = self.number(tz, h0), self.number(tz, h1 - 1)
        days = np.arange(first, last + 1, dtype=np.int64)
        starts = np.array([self.start(tz, d) for d in days.tolist()], np.int64)
        ends = np.array([self.start(tz, d + 1) for d in days.tolist()], np.int64)
        return days, starts, ends


REGISTER_KINDS = ("total_increasing", "total")


def normalise_pending(
    store: Store,
    *,
    progress: Progress | None = None,
    chunk: int = 2000,
    incremental: bool = True,
) -> NormaliseReport:
    """Drain the dirty queue (see module docstring).

    Register points whose new readings all follow their settled state are continued
    incrementally (:mod:`lingtan.normalize.incremental`); every other point — late or
    out-of-order readings, implausible steps, other kinds — is recomputed from its readings.
    ``incremental=False`` recomputes every queued point (the states are still kept).
    """
    started = time.perf_counter()
    report = NormaliseReport()
    with store.exclusive(LOCK_NORMALISE):
        with store.begin() as conn:
            dirty_ids, ranges, tags = store.stats.take_dirty_tagged(conn)
        if not dirty_ids:
            return report
        points = store.registry.points_by_id_current()
        run = _Run(store, points, now=to_us(utcnow()))
        physical = [
            (pid, r)
            for pid, r in sorted(ranges.items())
            if pid in points and not points[pid].is_virtual
        ]
        virtual_dirty: dict[int, tuple[int, int]] = {
            pid: r for pid, r in ranges.items() if pid in points and points[pid].is_virtual
        }
        total = len(physical)
        # the new readings as this process committed them, when it committed all of them
        held = store.readings.recent_columns(tags)
        # a run that only continues points (a live feed's usual run) drains the queue in the
        # transaction that writes them; with virtual points the queue waits for them
        drain = dirty_ids if not virtual_dirty and not any(
            p.is_virtual for p in points.values()
        ) else None  # fmt: skip
        continued = _continue(run, physical, report, held, drain) if incremental else set()
        physical = [(pid, r) for pid, r in physical if pid not in continued]
        done = len(continued)
        if progress is not None and done:
            progress(done, total)
        if drain is not None and not physical and continued:
            store.readings.forget_recent(tags)
            report.flags = dict(run.flag_counts)
            report.seconds = time.perf_counter() - started
            return report
        plans: list[tuple[int, int, int, int, int]] = []
        ends: set[int] = set()
        if physical:
            with store.begin() as conn:
                plans, ends = _plan_windows(store, conn, points, physical)
        for part in _chunks(plans, points, max_points=chunk):
            _recompute(run, part, ends, report)
            done += len(part)
            report.points += len(part)
            if progress is not None:
                progress(done, total)
        report.virtual_points = _normalise_virtual(
            store, points, run.zones, run.days, run.touched, virtual_dirty, run.now
        )
        with store.begin() as conn:
            store.stats.delete_dirty(conn, dirty_ids)
        store.readings.forget_recent(tags)
        report.flags = dict(run.flag_counts)
    report.seconds = time.perf_counter() - started
    return report


class _Run:
    """What one normalisation run shares between its steps."""

    def __init__(self, store: Store, points: dict[int, PointRecord], *, now: int) -> None:
        self.store = store
        self.points = points
        self.zones = {p.id: ZoneInfo(p.timezone) for p in store.registry.parks()}
        self.days = _Days()
        self.now = now
        self.touched: dict[int, tuple[int, int]] = {}
        self.flag_counts: dict[str, int] = defaultdict(int)
        self.group_keys: dict[int, tuple[int, int, str, str]] | None = None

    def count_flags(self, flags: np.ndarray) -> None:
        for f in Flag:
            if f and f.name:
                hit = int(((flags & f) != 0).sum())
                if hit:
                    self.flag_counts[f.name.lower()] += hit

    def write(self, conn: Any, results: list[tuple[int, HourlyStats]]) -> int:
        """Write recomputed hours with their days and owner × carrier rollups; returns the
        number of revised hours."""
        day_items = []
        spans = []
        for pid, hs in results:
            if not len(hs):
                continue
            p = self.points[pid]
            h0, h1 = int(hs.hours[0]), int(hs.hours[-1]) + HOUR_US
            day_items.append((pid, *self.days.covering(self.zones[p.park_id], h0, h1)))
            spans.append((pid, h0, h1))
        changed = self.store.stats.write_hours_many(conn, results, now=self.now)
        self.store.stats.refresh_days_many(conn, day_items, now=self.now)
        self._refresh_groups(conn, spans)
        return changed

    def write_continued(self, conn: Any, out: Continued, old: NormStates) -> None:
        """Write the hours of continued points (``out``; ``old``: their states before) and add
        what they grew by to their days and months (see ``StatsRepo.grow_days_many``)."""
        flat, sizes = out.flat, out.sizes
        if flat is None or sizes is None or not len(flat):
            return
        pids = out.states.point_id
        owner = np.repeat(np.arange(len(pids), dtype=np.int64), sizes)
        first = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
        self.store.stats.write_growing_hours(conn, pids[owner], flat, now=self.now)
        # what each hour adds: all of a new hour, the open hour's gain over its state
        known = ~np.isnan(flat.value)
        value = np.where(known, flat.value, 0.0)
        value[first] -= old.value
        measured = flat.measured_s.copy()
        measured[first] -= old.measured_s
        estimated = flat.estimated_s.copy()
        estimated[first] -= old.estimated_s
        n = flat.n.copy()
        n[first] -= old.n
        day = np.empty(len(flat), np.int64)
        seconds = np.empty(len(flat), np.float64)
        zone_of = [self.zones[self.points[pid].park_id] for pid in pids.tolist()]
        by_zone: dict[str, list[int]] = defaultdict(list)
        for k, tz in enumerate(zone_of):
            by_zone[tz.key].append(k)
        for rows_of in by_zone.values():
            tz = zone_of[rows_of[0]]
            rows = (
                np.arange(len(flat))
                if len(rows_of) == len(pids)
                else np.flatnonzero(np.isin(owner, rows_of))
            )
            hours, inverse = np.unique(flat.hours[rows], return_inverse=True)
            numbers = [self.days.number(tz, h) for h in hours.tolist()]
            day[rows] = np.array(numbers, np.int64)[inverse]
            lengths = [self.days.start(tz, d + 1) - self.days.start(tz, d) for d in numbers]
            seconds[rows] = (np.array(lengths, np.float64) / SECOND_US)[inverse]
        # one growth row per (point, day): hours are sorted by point and time
        starts = np.flatnonzero(np.r_[True, (owner[1:] != owner[:-1]) | (day[1:] != day[:-1])])
        grown = np.add.reduceat(value, starts)
        grown[~np.logical_or.reduceat(known, starts)] = np.nan
        growth = DayGrowth(
            point_id=pids[owner[starts]],
            day=day[starts],
            seconds=seconds[starts],
            value=grown,
            measured_s=np.add.reduceat(measured, starts),
            estimated_s=np.add.reduceat(estimated, starts),
            flags=np.bitwise_or.reduceat(flat.flags, starts),
            n=np.add.reduceat(n, starts),
            zones={pid: tz.key for pid, tz in zip(pids.tolist(), zone_of, strict=True)},
        )
        self.store.stats.grow_days_many(conn, growth, now=self.now)
        h0 = flat.hours[first].tolist()
        h1 = (flat.hours[first + sizes - 1] + HOUR_US).tolist()
        ids = pids.tolist()
        self.touched.update(zip(ids, zip(h0, h1, strict=True), strict=True))
        groups: dict[tuple[int, int, str, str], tuple[int, int]] = {}
        for key, members in self.boundary_keys(ids).items():
            groups[key] = (min(h0[k] for k in members), max(h1[k] for k in members))
        _refresh_groups(self.store, conn, self.points, groups)

    def boundary_keys(self, ids: list[int]) -> dict[tuple[int, int, str, str], list[int]]:
        """The owner × carrier series of the boundary points among ``ids`` (positions in
        ``ids`` per series)."""
        keys = self.group_keys
        if keys is None:
            keys = self.group_keys = {
                p.id: (p.park_id, p.enterprise_key, p.carrier, p.unit)
                for p in self.points.values()
                if p.boundary
            }
        out: dict[tuple[int, int, str, str], list[int]] = defaultdict(list)
        for k, pid in enumerate(ids):
            key = keys.get(pid)
            if key is not None:
                out[key].append(k)
        return out

    def _refresh_groups(self, conn: Any, spans: list[tuple[int, int, int]]) -> None:
        """Note the hours (point, h0, h1) written and refresh the owner × carrier rollups of
        the boundary points among them."""
        groups: dict[tuple[int, int, str, str], tuple[int, int]] = {}
        for pid, h0, h1 in spans:
            self.touched[pid] = (h0, h1)
            p = self.points[pid]
            if p.boundary:
                key = (p.park_id, p.enterprise_key, p.carrier, p.unit)
                old = groups.get(key)
                groups[key] = (h0, h1) if old is None else (min(old[0], h0), max(old[1], h1))
        _refresh_groups(self.store, conn, self.points, groups)


def _held_rows(
    held: tuple[np.ndarray, np.ndarray, np.ndarray],
    point_ids: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What ``windows_many`` would read, from the rows held in memory (sorted by point and
    time): (owner, ts, value) of the readings with ``lo[k] <= ts < hi[k]`` of point
    ``point_ids[k]`` (sorted), ordered by owner and time — in one pass, no loop per point."""
    pids, ts, values = held
    at = np.minimum(np.searchsorted(point_ids, pids), len(point_ids) - 1)
    mine = point_ids[at] == pids
    keep = mine & (ts >= lo[at]) & (ts < hi[at])
    return at[keep], ts[keep], values[keep]


def _window_rows(
    store: Store,
    conn: Any,
    held: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    point_ids: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner, ts, value) of the readings with ``lo[k] <= ts < hi[k]`` of point
    ``point_ids[k]`` (sorted), ordered by owner and time: from the rows held in memory
    (:func:`_held_rows`) when there are, else read from the store."""
    if held is not None:
        return _held_rows(held, point_ids, lo, hi)
    pids = point_ids.tolist()
    data = store.stats.windows_many(conn, list(zip(pids, lo.tolist(), hi.tolist(), strict=True)))
    sizes = np.array([len(data[pid][0]) for pid in pids], np.int64)
    owner = np.repeat(np.arange(len(pids), dtype=np.int64), sizes)
    ts = np.concatenate([data[pid][0] for pid in pids])
    raw = np.concatenate([data[pid][1] for pid in pids])
    return owner, ts, raw


def _continue(
    run: _Run,
    physical: list[tuple[int, tuple[int, int]]],
    report: NormaliseReport,
    held: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    drain: list[int] | None = None,
) -> set[int]:
    """Continue the register points whose new readings all follow their settled state, in
    one transaction; returns the points done. ``drain``: the queued rows of the run, deleted
    in the same transaction when every point of ``physical`` continued.

    ``held``: every reading queued for this run, committed by this process (see
    :meth:`~lingtan.store.readings_repo.ReadingRepo.recent_columns`). A settled state's
    reading is the last one normalised, so the readings after it are exactly the queued ones
    — they are taken from memory instead of being read back. A reading another process
    stored meanwhile comes with a range of its own, not held, and the run reads the store."""
    store, points = run.store, run.points
    registers = [(pid, a) for pid, (a, _) in physical if points[pid].kind in REGISTER_KINDS]
    if not registers:
        return set()
    upper = dict(physical)
    with store.begin() as conn:
        states = store.norm_state.load(conn, [pid for pid, _ in registers])
        first_new = dict(registers)
        after = np.array(
            [first_new[pid] > last for pid, last in zip(states.point_id.tolist(),
                                                         states.last_ts.tolist(), strict=True)],
            bool,
        )  # fmt: skip
        stated = set(states.point_id.tolist())
        states = states.take(after)
        new = _first_states(
            store, conn, [(pid, *upper[pid]) for pid, _ in registers if pid not in stated], held
        )
        if len(new):
            states = NormStates.concat([states, new])
            states = states.take(np.argsort(states.point_id, kind="stable"))
        if not len(states):
            return set()
        # a documented replacement after the state's reading changes how the register counts;
        # a point seen for the first time continues only without any replacement
        events = store.replacements.for_points(conn, states.point_id.tolist())
        fresh = set(new.point_id.tolist())
        clear = np.array(
            [all(e.at <= last for e in events.get(pid, ()))
             and not (pid in fresh and events.get(pid))
             for pid, last in zip(states.point_id.tolist(), states.last_ts.tolist(), strict=True)],
            bool,
        )  # fmt: skip
        states = states.take(clear)
        if not len(states):
            return set()
        pids = states.point_id.tolist()
        his = np.array([upper[pid][1] + 1 for pid in pids], np.int64)
        owner, ts, raw = _window_rows(store, conn, held, states.point_id, states.last_ts + 1, his)
        chosen = [points[pid] for pid in pids]
        multiplier = np.array([p.multiplier for p in chosen], np.float64)
        params = RegisterParams(
            multiplier=multiplier,
            rate_raw=np.array(
                [math.inf if p.max_rate is None else p.max_rate for p in chosen], np.float64
            )
            / multiplier,
            bidirectional=np.array([p.kind == "total" for p in chosen], bool),
            gap_us=np.array([2 * p.interval_s * SECOND_US for p in chosen], np.int64),
        )
        out = continue_registers(states, params, owner, ts, raw)
        done = out.states.point_id.tolist()
        if not done:
            return set()
        assert out.flat is not None  # set whenever a point continued
        report.hours += len(out.flat)
        run.count_flags(out.flat.flags)
        # what the hours of the continued points held before: a first-seen point's state
        # counts its first reading, which no stored hour holds yet
        written = states.take(out.done)
        unwritten = np.isin(written.point_id, new.point_id)
        if unwritten.any():
            written = dataclasses.replace(written, n=np.where(unwritten, 0, written.n))
        run.write_continued(conn, out, written)
        store.norm_state.save(conn, out.states, now=run.now)
        if drain is not None and len(done) == len(physical):
            store.stats.delete_dirty(conn, drain)
    report.points += len(done)
    report.continued += len(done)
    return set(done)


def _first_states(
    store: Store,
    conn: Any,
    candidates: list[tuple[int, int, int]],
    held: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> NormStates:
    """Starting states of register points seen for the first time: (point, a, b) without a
    state whose every stored reading lies in the queued range [a, b] and that have no hourly
    statistics. Its readings are then exactly the queued ones: with ``held`` (every queued
    batch committed by this process) they are the held rows of the range. Their first
    reading opens the state (nothing known of its hour yet, the reading counted), and the
    readings after it continue from there — what the exact recomputation gives when every
    step is plausible, as :func:`continue_registers` checks. A point with fewer than
    ``SPIKE_LOOKAHEAD + 1`` readings is left to the recomputation, which keeps a state only
    when the end of the data is settled."""
    if not candidates:
        return empty_states()
    seen = store.stats.first_seen(conn, candidates)
    chosen = sorted(c for c in candidates if c[0] in seen)
    if not chosen:
        return empty_states()
    ids = np.array([c[0] for c in chosen], np.int64)
    lo = np.array([c[1] for c in chosen], np.int64)
    hi = np.array([c[2] + 1 for c in chosen], np.int64)
    owner, ts, raw = _window_rows(store, conn, held, ids, lo, hi)
    whole = np.bincount(owner, minlength=len(ids)) >= SPIKE_LOOKAHEAD + 1
    # rows are sorted by owner, then time: each owner's first row is its first reading
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else owner
    first_ts = np.full(len(ids), -1, np.int64)
    first_value = np.zeros(len(ids), np.float64)
    first_ts[owner[starts]] = ts[starts]
    first_value[owner[starts]] = raw[starts]
    keep = whole & (first_ts >= 0)
    zeros_f = np.zeros(int(keep.sum()), np.float64)
    return NormStates(
        point_id=ids[keep],
        last_ts=first_ts[keep],
        last_value=first_value[keep],
        hour=first_ts[keep] - first_ts[keep] % HOUR_US,
        value=zeros_f,
        measured_s=zeros_f.copy(),
        estimated_s=zeros_f.copy(),
        flags=np.zeros(len(zeros_f), np.int64),
        n=np.ones(len(zeros_f), np.int64),
    )


def _recompute(
    run: _Run,
    part: list[tuple[int, int, int, int, int]],
    ends: set[int],
    report: NormaliseReport,
) -> None:
    """The exact path: recompute the planned hours of ``part`` from the raw readings, and keep
    the state of register points whose window reaches their last reading."""
    store, points = run.store, run.points
    with store.begin() as conn:
        data = store.stats.windows_many(conn, [(pid, lo, hi) for pid, _, _, lo, hi in part])
        # every replacement of the points: those outside a window only shape spans
        # outside the hours it recomputes (see docs/data-quality.md)
        events = store.replacements.for_points(conn, [pid for pid, *_ in part])
        results = []
        settled: list[NormStates] = []
        unsettled: list[int] = []
        for pid, h0, h1, _, _ in part:
            p = points[pid]
            ts, vals = data[pid]
            hs, iv = _compute(p, ts, vals, h0, h1, as_replacements(events.get(pid, [])))
            results.append((pid, hs))
            report.hours += len(hs)
            if p.kind in REGISTER_KINDS:
                state = None
                if pid in ends and iv is not None:
                    order = np.argsort(ts, kind="stable")
                    state = settled_state(pid, ts[order], vals[order], iv, hs)
                if state is None:
                    unsettled.append(pid)
                else:
                    settled.append(state)
        if results:  # counted once for the chunk: a pass per flag costs the same at any size
            run.count_flags(np.concatenate([hs.flags for _, hs in results]))
        report.changed_hours += run.write(conn, results)
        store.norm_state.forget(conn, unsettled)
        store.norm_state.save(conn, NormStates.concat(settled), now=run.now)


def _plan_windows(
    store: Store,
    conn: object,
    points: dict[int, PointRecord],
    part: list[tuple[int, tuple[int, int]]],
) -> tuple[list[tuple[int, int, int, int, int]], set[int]]:
    """(point, h0, h1, lo, hi): the hours to recompute for new readings in [a, b] and the
    reading window [lo, hi) that determines them; and the register points whose window holds
    their last reading (no reading after the hours recomputed).

    Registers: from the hour of the ``2 × CONTEXT``-th reading before ``a`` to the hour of
    the ``2 × CONTEXT``-th reading after ``b`` (the readings whose spike look-ahead decisions the new
    ones can change, and those bounding their intervals), plus a margin of a few nominal
    intervals on each side for spike detection. Interval points: the hours their intervals
    overlap. Measurements: the hours of the samples.
    """
    registers = [
        (pid, a, b) for pid, (a, b) in part if points[pid].kind in ("total_increasing", "total")
    ]
    stats = store.stats
    # a spike look-ahead decision about any of the SPIKE_LOOKAHEAD readings on either side of
    # the new ones may change with them (a step that looked persistent at the end of a batch
    # is a spike once a later reading continues plausibly), and so may the intervals from the
    # trusted reading before those; decisions chain (each is taken against the last trusted
    # reading, itself the outcome of the one before), so go back twice that far — one
    # context was found too short by the property test in tests/normalize/test_incremental.py
    around = stats.neighbours_many(conn, registers, depth=2 * CONTEXT)  # type: ignore[arg-type]
    hours: dict[int, tuple[int, int]] = {}
    for pid, a, b in registers:
        prev, nxt = around[pid]
        h0 = floor_hour(prev if prev is not None else a)
        hours[pid] = (h0, floor_hour(nxt if nxt is not None else b) + HOUR_US)
    # The first and last hour also hold parts of intervals that reach outside them: load the
    # readings that bound those intervals as well.
    outer = stats.neighbours_many(
        conn,  # type: ignore[arg-type]
        [(pid, h0, h1) for pid, (h0, h1) in hours.items()],
        upper_inclusive=True,
    )
    plans = []
    ends: set[int] = set()
    for pid, (a, b) in part:
        p = points[pid]
        width = p.interval_s * SECOND_US
        if p.kind == "measurement":
            h0, h1 = floor_hour(a), floor_hour(b) + HOUR_US
            plans.append((pid, h0, h1, h0, h1))
        elif p.kind == "interval":
            h0, h1 = floor_hour(a - width), floor_hour(b) + HOUR_US
            plans.append((pid, h0, h1, h0, h1 + width))
        else:
            h0, h1 = hours[pid]
            before, after = outer[pid]
            if after is None:
                ends.add(pid)
            margin = CONTEXT * width  # spike look-ahead context
            lo = (before if before is not None else h0) - margin
            hi = (after if after is not None else h1) + margin + 1
            plans.append((pid, h0, h1, lo, hi))
    return plans, ends


#: readings loaded per transaction at most (bounds memory: ~24 bytes per reading in numpy)
MAX_CHUNK_READINGS = 4_000_000


def _chunks(
    plans: list[tuple[int, int, int, int, int]],
    points: dict[int, PointRecord],
    *,
    max_points: int,
) -> list[list[tuple[int, int, int, int, int]]]:
    """Group windows so that each transaction loads about MAX_CHUNK_READINGS readings at most
    (estimated from each point's nominal interval) and names at most ``max_points`` points."""
    chunks: list[list[tuple[int, int, int, int, int]]] = []
    current: list[tuple[int, int, int, int, int]] = []
    load = 0
    for plan in plans:
        pid, _, _, lo, hi = plan
        estimate = (hi - lo) // (points[pid].interval_s * SECOND_US) + 1
        if current and (load + estimate > MAX_CHUNK_READINGS or len(current) >= max_points):
            chunks.append(current)
            current, load = [], 0
        current.append(plan)
        load += estimate
    if current:
        chunks.append(current)
    return chunks


def _refresh_groups(
    store: Store,
    conn: object,
    points: dict[int, PointRecord],
    groups: dict[tuple[int, int, str, str], tuple[int, int]],
) -> None:
    """Refresh the owner × carrier series ``groups`` (key → hours [h0, h1)) from all their
    boundary points, every series in the same few statements (``StatsRepo.refresh_carriers``)."""
    if not groups:
        return
    members: dict[tuple[int, int, str, str], list[int]] = defaultdict(list)
    for p in points.values():
        if p.boundary:
            members[(p.park_id, p.enterprise_key, p.carrier, p.unit)].append(p.id)
    store.stats.refresh_carriers(
        conn,  # type: ignore[arg-type]
        [CarrierGroup(*key, members[key], h0, h1) for key, (h0, h1) in groups.items()],
    )


def _virtual_order(points: dict[int, PointRecord]) -> list[tuple[int, dict[int, float]]]:
    """Virtual points with their member weights, members before dependants."""
    by_code = {p.code: p.id for p in points.values()}
    weights: dict[int, dict[int, float]] = {}
    for p in points.values():
        if p.formula is not None:
            w: dict[int, float] = defaultdict(float)
            for term in parse_formula(p.formula).terms:
                w[by_code[term.point]] += term.coefficient
            weights[p.id] = dict(w)
    ordered: list[tuple[int, dict[int, float]]] = []
    placed: set[int] = set()

    def place(vid: int) -> None:
        if vid in placed:
            return
        placed.add(vid)  # the park-file loader already refused cycles
        for member in weights[vid]:
            if member in weights:
                place(member)
        ordered.append((vid, weights[vid]))

    for vid in sorted(weights):
        place(vid)
    return ordered


def _normalise_virtual(
    store: Store,
    points: dict[int, PointRecord],
    zones: dict[int, ZoneInfo],
    days: _Days,
    touched: dict[int, tuple[int, int]],
    dirty: dict[int, tuple[int, int]],
    now: int,
) -> int:
    """Recompute virtual points whose members (or themselves) were marked dirty."""
    done = 0
    for vid, weights in _virtual_order(points):
        spans = [touched[m] for m in weights if m in touched]
        if vid in dirty:
            a, b = dirty[vid]
            spans.append((floor_hour(a), floor_hour(b) + HOUR_US))
        if not spans:
            continue
        h0, h1 = min(sp[0] for sp in spans), max(sp[1] for sp in spans)
        hs = combine(weights, store.stats.hours(None, list(weights), h0, h1), h0, h1)
        p = points[vid]
        with store.begin() as conn:
            store.stats.write_hours(conn, vid, hs, now=now)
            store.stats.refresh_days(conn, vid, *days.covering(zones[p.park_id], h0, h1), now=now)
            if p.boundary:
                _refresh_groups(
                    store,
                    conn,
                    points,
                    {(p.park_id, p.enterprise_key, p.carrier, p.unit): (h0, h1)},
                )
        touched[vid] = (h0, h1)
        done += 1
    return done


def rebuild(store: Store, *, progress: Progress | None = None) -> NormaliseReport:
    """Recompute every statistic from the raw readings (after a registry change, a repair)."""
    points = store.registry.points_by_id(refresh=True)
    now = to_us(utcnow())
    with store.begin() as conn:
        store.stats.delete_carrier_rollups(conn)
        store.norm_state.forget_all(conn)
        store.stats.mark_full_range_dirty(conn, sorted(points), now=now)
    return normalise_pending(store, progress=progress)


__all__ = ["DAY_US", "NormaliseReport", "compute_hours", "normalise_pending", "rebuild"]
