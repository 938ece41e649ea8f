"""The alarm engine: evaluates the rules as readings are committed and on a schedule, and
turns conditions into alarms (raise, repeat, re-open, clear), one per rule and subject.

Streaming (``on_batch``, subscribed to ``Store.batch_listeners``): threshold rules on readings,
rate-of-change rules, freshness rules (a silence found inside the data, e.g. a gateway
replaying its buffer) and quarantined readings (quality rule ``rejected``) are evaluated on
each committed batch, only for the points the rules watch, so an alarm is stored before the
ingest call returns. Scheduled (``tick``): freshness (silence up to now), hourly/daily
statistics (threshold on hour/day, quality flags, deviation) from a per-rule × subject
watermark — never the whole history —, budgets, escalation and the automatic close of cleared
alarms after their settle time.

The evaluation state of each rule × subject lives in memory and in ``alarm_condition``: a
change that matters (a hold starting, an alarm raised or cleared) is written with the alarm in
one transaction; the rest (the last reading seen) at most every ``FLUSH_S``. Several processes
may run engines on one store (the collector streams, ``serve`` ticks): the stored state is the
shared one, re-read by each tick.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from lingtan.alarms import conditions as cond
from lingtan.alarms.model import (
    AlarmRecord,
    AlarmState,
    Finding,
    Occurrence,
    RuleKind,
    Severity,
    Subject,
    SubjectKind,
)
from lingtan.alarms.rules import POINT_KINDS, parse_rule
from lingtan.normalize.quality import Flag, Label, label
from lingtan.store import PointRecord, Store
from lingtan.store.alarms_repo import RuleRow, open_key
from lingtan.store.core import LOCK_ALARM_TICK
from lingtan.store.query_repo import Tenant
from lingtan.store.records import CommittedBatch
from lingtan.timeutil import floor_hour, to_us, utcnow

_log = logging.getLogger(__name__)

SECOND_US: Final = 1_000_000
MINUTE_US: Final = 60 * SECOND_US
HOUR_US: Final = 3600 * SECOND_US
#: how often the in-memory evaluation state is written when nothing important changed [s]
FLUSH_S: Final = 5.0
#: how often the engine checks whether the rules or the registry changed [s]
REFRESH_S: Final = 1.0
#: hourly rules look at most this far back the first time they run [µs]; later runs start
#: at their watermark
FIRST_LOOKBACK_US: Final = 7 * 24 * HOUR_US
#: an hour is evaluated once it ended this long ago, so that its readings have arrived and
#: been normalised [µs]
HOUR_SETTLE_US: Final = 1 * HOUR_US
#: budget rules are evaluated at most this often [µs]
BUDGET_EVERY_US: Final = 15 * MINUTE_US

_QUALITY_FLAGS: Final = {
    "gap": Flag.GAP,
    "reset": Flag.RESET,
    "rollover": Flag.ROLLOVER,
    "spike": Flag.SPIKE,
    "jump": Flag.JUMP,
    "replacement": Flag.REPLACEMENT,
    "member_missing": Flag.MEMBER_MISSING,
}
_OP_TEXT: Final = {
    "above": "above the limit",
    "below": "below the limit",
    "outside": "outside the band",
}

#: a module's check of a rule kind it owns: (store, the parsed rule, the subject, now µs) → a
#: finding while the condition is on, None otherwise (lingtan.waste.alarms registers one)
Assessor = Callable[[Store, Any, Subject, int], Finding | None]
#: rule kind → the module check evaluating it (:func:`register_assessor`)
ASSESSORS: dict[RuleKind, Assessor] = {}
#: a module's records a rule is about, listed for one of the rule's subjects (its enterprise
#: or the park) at each evaluation: (store, the parsed rule, the subject, now µs) → the
#: records as subjects, keyed by their id (lingtan.programme.alarms: one alarm per measure,
#: one per plan, rather than one per enterprise)
Lister = Callable[[Store, Any, Subject, int], list[Subject]]
#: rule kind → the module's lister (:func:`register_assessor`)
LISTERS: dict[RuleKind, Lister] = {}
#: rule kind → how often a rule's subjects are checked by a tick at most [µs] (a costly check,
#: like a budget's projection); :meth:`Engine.evaluate` checks at once
EVERY: dict[RuleKind, Callable[[Any], int]] = {}


def register_assessor(
    kind: RuleKind,
    assess: Assessor,
    *,
    subjects: Lister | None = None,
    every_us: Callable[[Any], int] | None = None,
) -> None:
    """Have the engine evaluate rules of ``kind`` with a module's check (on each tick and on
    :meth:`Engine.evaluate`). ``subjects``: the records the rule is about, listed afresh at
    each evaluation (an alarm per record; a record listed no more is no longer evaluated);
    ``every_us``: the least time between two checks of a subject by a tick, by rule."""
    ASSESSORS[kind] = assess
    if subjects is not None:
        LISTERS[kind] = subjects
    if every_us is not None:
        EVERY[kind] = every_us


#: called with (conn, alarm, event) for each alarm event to notify (raised, reopened,
#: escalated, cleared); set by the notification outbox
Notifier = Callable[[Any, AlarmRecord, str], None]


@dataclass(slots=True)
class CompiledRule:
    """A stored rule with its parsed record and the subjects its scope resolves to."""

    row: RuleRow
    rule: Any
    subjects: dict[int, Subject]
    #: for deviation rules: the expected points' ids
    expected_ids: tuple[int, ...] = ()
    #: for a kind with a lister (:data:`LISTERS`): the records listed at the last evaluation
    items: dict[int, Subject] = field(default_factory=dict)

    @property
    def kind(self) -> RuleKind:
        return RuleKind(self.row.kind)


@dataclass(slots=True)
class Compiled:
    """The rules of the store, resolved against its registry."""

    rules: list[CompiledRule]
    points: dict[int, PointRecord]
    #: point id → the streaming rules (threshold on readings, rate of change, freshness,
    #: quality ``rejected``) that watch it
    by_point: dict[int, list[CompiledRule]]
    watched: NDArray[np.int64]
    zones: dict[int, ZoneInfo]
    #: threshold-on-reading and freshness rules as column tables (see :class:`_Slots`)
    thresholds: _Slots | None = None
    freshness: _Slots | None = None
    rates: _Slots | None = None


@dataclass(slots=True)
class _Slots:
    """Rules × subjects of one streaming kind as columns, so that a batch is screened for all
    of them with a few numpy operations and only the rule × subjects that may change state
    (a reading past a limit, a silence longer than the limit, or a condition already pending
    or active) go through the exact per-subject evaluation. A quiet rule × subject costs no
    Python per batch."""

    items: list[tuple[CompiledRule, Subject]]
    pid: NDArray[np.int64]
    #: threshold: 0 above, 1 below, 2 outside; the limits (±inf where none)
    op: NDArray[np.int8]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    #: freshness: the silence allowed [µs], the newest reading seen (-1: none)
    limit: NDArray[np.int64]
    last_ts: NDArray[np.int64]
    #: the condition is pending or active: every batch of the subject is evaluated exactly
    hot: NDArray[np.bool_]
    #: freshness: last_ts moved in the columns and is not yet in the state dict
    touched: NDArray[np.bool_]
    #: rate of change: the window [µs] and the largest step allowed
    within: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    step: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    #: rate of change: the recent samples of every subject (the exact window), by slot and time
    w_slot: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    w_ts: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    w_v: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


@dataclass(slots=True)
class TickReport:
    """What one scheduled evaluation did."""

    raised: int = 0
    cleared: int = 0
    escalated: int = 0
    closed: int = 0
    evaluated: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Changes:
    """Transitions found in one evaluation, applied in one transaction."""

    items: list[tuple[CompiledRule, Subject, Occurrence]] = field(default_factory=list)
    states: set[tuple[int, int]] = field(default_factory=set)


#: raised by every rule change made in this process, so that the engines here see it at once
#: (other processes' changes are seen within ``REFRESH_S``)
_generation = [0]


def rules_changed() -> None:
    """Tell this process's engines that rules changed (the service calls it)."""
    _generation[0] += 1


class Engine:
    """The alarm engine of one store (see module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], int] | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        #: µs now; the demo replays its year with a clock that follows the data
        self.clock: Callable[[], int] = clock or (lambda: to_us(utcnow()))
        #: queues the notifications of an alarm change in its transaction (the outbox)
        self.notifier: Notifier = notifier or self._enqueue
        #: called after a transaction that queued notifications (``serve`` wakes its
        #: delivery worker; elsewhere the worker finds them at its next poll)
        self.on_notified: Callable[[], None] | None = None
        self._lock = threading.RLock()
        self._compiled: Compiled | None = None
        self._version: tuple[Any, ...] | None = None
        self._checked = 0.0
        #: (rule id, subject key) → the evaluation state (see lingtan.alarms.conditions)
        self._states: dict[tuple[int, int], dict[str, Any]] = {}
        self._dirty: set[tuple[int, int]] = set()
        self._flushed = time.monotonic()
        self._suppressions: tuple[float, list[Any]] = (0.0, [])
        # the outbox's module (and its HTTP client) loaded now, not at the first alarm
        import lingtan.alarms.notify.service  # noqa: F401

    def _enqueue(self, conn: Any, record: AlarmRecord, event: str) -> None:
        from lingtan.alarms.notify.service import enqueue

        payload = {
            "id": record.id, "rule": record.rule_code, "rule_name": record.rule_name,
            "kind": record.kind.value, "severity": record.severity.value,
            "state": record.state.value, "subject": record.subject_code,
            "count": record.count, "value": record.value, "message": record.message,
            "first_at": record.first_at, "last_at": record.last_at,
        }  # fmt: skip
        enqueue(
            self.store, park_id=record.park_id, enterprise_id=record.enterprise_id,
            severity=record.severity.value, kind=record.kind.value,
            event="opened" if event in ("raised", "reopened") else event,
            alarm=payload, conn=conn, now=self.clock(),
        )  # fmt: skip

    # -- lifecycle ------------------------------------------------------------------------
    def attach(self) -> Engine:
        """Evaluate every batch committed through this store's ingest pipeline."""
        if self.on_batch not in self.store.batch_listeners:
            self.store.batch_listeners.append(self.on_batch)
        return self

    def detach(self) -> None:
        """Stop streaming evaluation and write the pending state."""
        if self.on_batch in self.store.batch_listeners:
            self.store.batch_listeners.remove(self.on_batch)
        self.flush()

    def invalidate(self) -> None:
        """Forget the compiled rules (after a rule or registry change in this process)."""
        with self._lock:
            self._compiled = None
            self._version = None
            self._checked = 0.0

    # -- rules ----------------------------------------------------------------------------
    def compiled(self) -> Compiled:
        """The rules resolved against the registry, rebuilt when either changed."""
        with self._lock:
            now = time.monotonic()
            fresh = self._version is not None and self._version[0] == _generation[0]
            if self._compiled is not None and fresh and now - self._checked < REFRESH_S:
                return self._compiled
            self._checked = now
            # the registry's cached mapping: the same object until the points change (here or
            # in another process)
            by_code = self.store.registry.points_current()
            version = (_generation[0], self.store.alarms.rules_version(), id(by_code), len(by_code))
            if self._compiled is not None and version == self._version:
                return self._compiled
            if self._compiled is not None:
                self._sync_slots()
            self._compiled = self._compile({p.id: p for p in by_code.values()})
            self._version = version
            with self.store.begin() as conn:
                stored = self.store.alarms.all_conditions(
                    conn, [c.row.id for c in self._compiled.rules]
                )
            # the stored state is the shared one; ours may hold newer unflushed changes
            for key, value in stored.items():
                if key not in self._dirty:
                    self._states[key] = value
            self._load_slots()
            return self._compiled

    def _compile(self, points: dict[int, PointRecord]) -> Compiled:
        rows = [r for r in self.store.alarms.rules() if r.enabled]
        zones: dict[int, ZoneInfo] = {}
        enterprises: dict[int, dict[str, int]] = {}
        ent_codes: dict[int, str] = {}
        sites: dict[int, dict[str, int]] = {}
        for park in self.store.registry.parks():
            zones[park.id] = ZoneInfo(park.timezone)
            ents = self.store.registry.enterprises(park.id)
            enterprises[park.id] = {e.code: e.id for e in ents}
            ent_codes.update({e.id: e.code for e in ents})
            sites[park.id] = {x.code: x.id for x in self.store.registry.sites(park.id)}
        by_code = {p.code: p for p in points.values()}
        compiled: list[CompiledRule] = []
        by_point: dict[int, list[CompiledRule]] = {}
        thr_items: list[tuple[CompiledRule, Subject]] = []
        fresh_items: list[tuple[CompiledRule, Subject]] = []
        rate_items: list[tuple[CompiledRule, Subject]] = []
        for row in rows:
            try:
                rule = parse_rule({**row.spec, "id": row.code})
            except Exception as err:  # a stored rule the code no longer accepts
                _log.warning("alarm rule %s skipped: %s", row.code, err)
                continue
            kind = RuleKind(row.kind)
            subjects: dict[int, Subject] = {}
            if kind in POINT_KINDS:
                for p in _scope_points(rule.scope, row, points, enterprises, sites):
                    subjects[p.id] = Subject(
                        SubjectKind.POINT, p.id, p.code, p.enterprise_id, point_id=p.id
                    )
            else:
                code = rule.scope.enterprise
                if kind is RuleKind.WASTE and code is None and row.enterprise_id is None:
                    # a park's waste rule checks every enterprise's ledger
                    for e_code, ent_id in enterprises.get(row.park_id, {}).items():
                        subjects[ent_id] = Subject(SubjectKind.ENTERPRISE, ent_id, e_code, ent_id)
                elif code is None or code == "park":
                    if row.enterprise_id is None:
                        park = self.store.registry.park(row.park_id)
                        subjects[0] = Subject(SubjectKind.PARK, 0, park.code, None)
                    else:
                        e = row.enterprise_id
                        subjects[e] = Subject(SubjectKind.ENTERPRISE, e, ent_codes[e], e)
                else:
                    e_id = enterprises.get(row.park_id, {}).get(code)
                    if e_id is not None and row.enterprise_id in (None, e_id):
                        subjects[e_id] = Subject(SubjectKind.ENTERPRISE, e_id, code, e_id)
            expected: tuple[int, ...] = ()
            if kind is RuleKind.DEVIATION and rule.expected.points:
                expected = tuple(by_code[c].id for c in rule.expected.points if c in by_code)
            c = CompiledRule(row=row, rule=rule, subjects=subjects, expected_ids=expected)
            compiled.append(c)
            if kind is RuleKind.THRESHOLD and rule.on == "reading":
                thr_items += [(c, sub) for sub in subjects.values()]
            elif kind is RuleKind.FRESHNESS:
                fresh_items += [(c, sub) for sub in subjects.values()]
            elif kind is RuleKind.RATE_OF_CHANGE:
                rate_items += [(c, sub) for sub in subjects.values()]
            elif _streams(c):
                for key in subjects:
                    by_point.setdefault(key, []).append(c)
        thresholds = _slots(thr_items, points) if thr_items else None
        freshness = _slots(fresh_items, points) if fresh_items else None
        rates = _slots(rate_items, points) if rate_items else None
        ids = set(by_point)
        for table in (thresholds, freshness, rates):
            if table is not None:
                ids.update(table.pid.tolist())
        watched = np.array(sorted(ids), np.int64)
        return Compiled(compiled, points, by_point, watched, zones, thresholds, freshness, rates)

    # -- streaming ------------------------------------------------------------------------
    def on_batch(self, batch: CommittedBatch) -> None:
        """Evaluate the streaming rules on a committed batch (``Store.batch_listeners``)."""
        c = self.compiled()
        if not len(c.watched):
            return
        with self._lock:
            changes = _Changes()
            pids = batch.point_ids
            if len(pids):
                hit = np.isin(pids, c.watched)
                if bool(hit.any()):
                    p, t, v = pids[hit], batch.ts[hit], batch.values[hit]
                    segments = _segments(p)
                    if c.thresholds is not None:
                        self._screen_thresholds(c.thresholds, p, t, v, segments, changes)
                    if c.freshness is not None:
                        self._screen_freshness(c, c.freshness, p, t, segments, changes)
                    if c.rates is not None:
                        self._screen_rates(c.rates, t, v, segments, changes)
                    if c.by_point:
                        self._stream(c, p, t, v, changes)
            for pid, ts, reason in batch.rejected:
                for rule in c.by_point.get(pid, ()):
                    if rule.kind is RuleKind.QUALITY and "rejected" in rule.rule.conditions:
                        self._rejected(rule, rule.subjects[pid], ts, reason, changes)
            self._commit(changes)

    def _stream(
        self,
        c: Compiled,
        pids: NDArray[np.int64],
        ts: NDArray[np.int64],
        values: NDArray[np.float64],
        changes: _Changes,
    ) -> None:
        # the pipeline hands rows in (point, time) order: one slice per point
        starts = np.flatnonzero(np.r_[True, pids[1:] != pids[:-1]])
        ends = np.r_[starts[1:], len(pids)]
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            pid = int(pids[a])
            t = ts[a:b]
            for rule in c.by_point.get(pid, ()):
                subject = rule.subjects[pid]
                kind = rule.kind
                if kind is RuleKind.QUALITY:
                    self._quarantine_cleared(rule, subject, t, changes)

    def _screen_thresholds(
        self,
        slots: _Slots,
        p: NDArray[np.int64],
        t: NDArray[np.int64],
        v: NDArray[np.float64],
        segments: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
        changes: _Changes,
    ) -> None:
        """Threshold rules on readings: only a subject with a reading past a limit, or one
        already pending or active, is evaluated exactly."""
        up, starts, ends = segments
        pos = np.searchsorted(up, slots.pid)
        pos_c = np.minimum(pos, len(up) - 1)
        present = up[pos_c] == slots.pid
        vmax = np.maximum.reduceat(v, starts)[pos_c]
        vmin = np.minimum.reduceat(v, starts)[pos_c]
        above = vmax > slots.high
        below = vmin < slots.low
        violates = np.where(slots.op == 0, above, np.where(slots.op == 1, below, above | below))
        for k in np.flatnonzero(present & (violates | slots.hot)).tolist():
            rule, subject = slots.items[k]
            a, b = int(starts[pos_c[k]]), int(ends[pos_c[k]])
            self._threshold(rule, subject, t[a:b], v[a:b], changes)
            st = self._states.get((rule.row.id, subject.key), {}).get("c") or {}
            slots.hot[k] = bool(st.get("active")) or st.get("pending_since") is not None

    def _screen_freshness(
        self,
        c: Compiled,
        slots: _Slots,
        p: NDArray[np.int64],
        t: NDArray[np.int64],
        segments: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
        changes: _Changes,
    ) -> None:
        """Freshness rules: only a subject with a silence longer than its limit inside the
        data (or one raised by a tick) is evaluated exactly; the others just move their last
        reading forward."""
        up, starts, ends = segments
        pos = np.searchsorted(up, slots.pid)
        pos_c = np.minimum(pos, len(up) - 1)
        present = up[pos_c] == slots.pid
        gaps = np.diff(t, prepend=t[0])
        gaps[starts] = 0  # a point's first reading is compared with its last one below
        max_gap = np.maximum.reduceat(gaps, starts)[pos_c]
        first = t[starts][pos_c]
        last = t[ends - 1][pos_c]
        known = slots.last_ts >= 0
        silent = (max_gap > slots.limit) | (known & (first - slots.last_ts > slots.limit))
        exact = present & (silent | slots.hot)
        for k in np.flatnonzero(exact).tolist():
            rule, subject = slots.items[k]
            self._slot_to_state(slots, k)
            a, b = int(starts[pos_c[k]]), int(ends[pos_c[k]])
            self._fresh_stream(rule, subject, c.points[subject.key], t[a:b], changes)
            st = self._states.get((rule.row.id, subject.key), {})
            slots.last_ts[k] = int(st.get("last_ts", -1))
            slots.hot[k] = bool(st.get("active"))
            slots.touched[k] = False
        quiet = present & ~exact & (last > slots.last_ts)
        slots.last_ts[quiet] = last[quiet]
        slots.touched[quiet] = True

    def _screen_rates(
        self,
        slots: _Slots,
        t: NDArray[np.int64],
        v: NDArray[np.float64],
        segments: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
        changes: _Changes,
    ) -> None:
        """Rate-of-change rules: a subject whose new samples and window stay within one step
        of each other (max − min <= the step) cannot violate; only the others, and those
        pending or active, are evaluated exactly. The windows are kept here as columns."""
        up, starts, ends = segments
        n = len(slots.items)
        pos = np.searchsorted(up, slots.pid)
        pos_c = np.minimum(pos, len(up) - 1)
        present = up[pos_c] == slots.pid
        ks = np.flatnonzero(present)
        if not len(ks):
            return
        seg_start, seg_len = starts[pos_c[ks]], (ends - starts)[pos_c[ks]]
        total = int(seg_len.sum())
        rows = np.repeat(seg_start - np.r_[0, np.cumsum(seg_len)[:-1]], seg_len) + np.arange(total)
        b_slot = np.repeat(ks, seg_len).astype(np.int64)
        b_ts, b_v = t[rows], v[rows]
        live = (b_ts > slots.last_ts[b_slot]) & np.isfinite(b_v)
        b_slot, b_ts, b_v = b_slot[live], b_ts[live], b_v[live]
        if not len(b_slot):
            return
        first = np.full(n, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(first, b_slot, b_ts)
        u_slot = np.r_[slots.w_slot, b_slot]
        u_ts = np.r_[slots.w_ts, b_ts]
        u_v = np.r_[slots.w_v, b_v]
        near = u_ts >= first[u_slot] - slots.within[u_slot]
        umax = np.full(n, -np.inf)
        umin = np.full(n, np.inf)
        np.maximum.at(umax, u_slot[near], u_v[near])
        np.minimum.at(umin, u_slot[near], u_v[near])
        has_new = first < np.iinfo(np.int64).max
        exact = has_new & ((umax - umin > slots.step) | slots.hot)
        newest = slots.last_ts.copy()
        np.maximum.at(newest, b_slot, b_ts)
        keep = u_ts > newest[u_slot] - slots.within[u_slot]
        exact_rows = exact[u_slot]
        # the quiet subjects' windows move forward here; the others' come from the evaluation
        parts_slot = [u_slot[keep & ~exact_rows]]
        parts_ts = [u_ts[keep & ~exact_rows]]
        parts_v = [u_v[keep & ~exact_rows]]
        old = exact[slots.w_slot]
        for k in np.flatnonzero(exact).tolist():
            rule, subject = slots.items[k]
            key = (rule.row.id, subject.key)
            mine = old & (slots.w_slot == k)
            state = cond.ConditionState.from_json(self._states.get(key, {}).get("c"))
            state.window = list(zip(slots.w_ts[mine].tolist(), slots.w_v[mine].tolist(),
                                    strict=True))  # fmt: skip
            if slots.last_ts[k] >= 0:
                state.last_ts = max(state.last_ts or 0, int(slots.last_ts[k]))
            self._states[key] = {**self._states.get(key, {}), "c": state.to_json()}
            here = b_slot == k
            self._rate(rule, subject, b_ts[here], b_v[here], changes)
            after = cond.ConditionState.from_json(self._states[key].get("c"))
            slots.hot[k] = after.active or after.pending_since is not None
            if after.window:
                wt, wv = zip(*after.window, strict=True)
                parts_slot.append(np.full(len(wt), k, np.int64))
                parts_ts.append(np.array(wt, np.int64))
                parts_v.append(np.array(wv, np.float64))
        slots.last_ts = newest
        w_slot, w_ts, w_v = (
            np.concatenate(parts_slot),
            np.concatenate(parts_ts),
            np.concatenate(parts_v),
        )
        order = np.lexsort((w_ts, w_slot))
        slots.w_slot, slots.w_ts, slots.w_v = w_slot[order], w_ts[order], w_v[order]
        slots.touched[has_new & ~exact] = True

    def report_comms(
        self, point_codes: Sequence[str], *, lost: bool, at: int, detail: str = ""
    ) -> int:
        """A collector's device stopped answering (``lost``) or answers again: the freshness
        rules of its points raise at once (their alarm's silence begins at the point's last
        reading). A device answering again clears nothing by itself: its readings do, as they
        arrive. Returns the alarms raised."""
        if not lost:
            return 0
        c = self.compiled()
        slots = c.freshness
        if slots is None:
            return 0
        by_code = {p.code: p.id for p in c.points.values()}
        ids = {by_code[code] for code in point_codes if code in by_code}
        with self._lock:
            changes = _Changes()
            for k in np.flatnonzero(np.isin(slots.pid, list(ids))).tolist():
                if slots.hot[k]:
                    continue
                rule, subject = slots.items[k]
                self._slot_to_state(slots, k)
                key = (rule.row.id, subject.key)
                stored = dict(self._states.get(key, {}))
                last = stored.get("last_ts")
                since = int(last) if last is not None else at
                occ = self._silence("raise", at, since, c.points[subject.key], rule)
                message = f"{subject.code}: the collector reports comms lost ({detail or 'device'})"
                changes.items.append((rule, subject, dataclasses.replace(occ, message=message)))
                stored.update(active=True, since=since)
                self._states[key] = stored
                self._dirty.add(key)
                changes.states.add(key)
                slots.hot[k] = True
            self._commit(changes, at)
        return sum(1 for _, _, o in changes.items if o.what == "raise")

    def _slot_to_state(self, slots: _Slots, k: int) -> None:
        """Write a freshness slot's last reading into its state dict (marked dirty)."""
        if not slots.touched[k]:
            return
        rule, subject = slots.items[k]
        key = (rule.row.id, subject.key)
        self._states[key] = {**self._states.get(key, {}), "last_ts": int(slots.last_ts[k])}
        self._dirty.add(key)
        slots.touched[k] = False

    def _sync_slots(self) -> None:
        """Move what the columns learnt into the state dicts (before a flush, a tick or a
        recompile)."""
        c = self._compiled
        if c is None:
            return
        if c.freshness is not None:
            for k in np.flatnonzero(c.freshness.touched).tolist():
                self._slot_to_state(c.freshness, k)
        r = c.rates
        if r is not None:
            for k in np.flatnonzero(r.touched).tolist():
                rule, subject = r.items[k]
                key = (rule.row.id, subject.key)
                state = cond.ConditionState.from_json(self._states.get(key, {}).get("c"))
                mine = r.w_slot == k
                state.window = list(zip(r.w_ts[mine].tolist(), r.w_v[mine].tolist(), strict=True))
                state.last_ts = int(r.last_ts[k]) if r.last_ts[k] >= 0 else state.last_ts
                self._states[key] = {**self._states.get(key, {}), "c": state.to_json()}
                self._dirty.add(key)
                r.touched[k] = False

    def _load_slots(self) -> None:
        """Set the columns from the state dicts (after a recompile or a tick)."""
        c = self._compiled
        if c is None:
            return
        if c.thresholds is not None:
            for k, (rule, subject) in enumerate(c.thresholds.items):
                st = self._states.get((rule.row.id, subject.key), {}).get("c") or {}
                c.thresholds.hot[k] = bool(st.get("active")) or st.get("pending_since") is not None
        if c.freshness is not None:
            for k, (rule, subject) in enumerate(c.freshness.items):
                st = self._states.get((rule.row.id, subject.key), {})
                c.freshness.last_ts[k] = int(st.get("last_ts", -1))
                c.freshness.hot[k] = bool(st.get("active"))
                c.freshness.touched[k] = False
        r = c.rates
        if r is not None:
            ws: list[int] = []
            wt: list[int] = []
            wv: list[float] = []
            for k, (rule, subject) in enumerate(r.items):
                state = cond.ConditionState.from_json(
                    self._states.get((rule.row.id, subject.key), {}).get("c")
                )
                r.last_ts[k] = -1 if state.last_ts is None else state.last_ts
                r.hot[k] = state.active or state.pending_since is not None
                r.touched[k] = False
                for a, b in state.window:
                    ws.append(k)
                    wt.append(a)
                    wv.append(b)
            r.w_slot = np.array(ws, np.int64)
            r.w_ts = np.array(wt, np.int64)
            r.w_v = np.array(wv, np.float64)

    def _state(self, rule: CompiledRule, subject: Subject) -> dict[str, Any]:
        return self._states.setdefault((rule.row.id, subject.key), {})

    def _threshold(
        self,
        rule: CompiledRule,
        subject: Subject,
        t: NDArray[np.int64],
        v: NDArray[np.float64],
        changes: _Changes,
        *,
        unit: str | None = None,
    ) -> None:
        r = rule.rule
        params = cond.Threshold(
            op=r.op, high=r.high, low=r.low, hold_s=r.hold_min * 60.0, hysteresis=r.hysteresis
        )
        self._run(rule, subject, changes, lambda st: cond.threshold(params, st, t, v),
                  describe=lambda tr: _threshold_message(r, subject, tr, unit))  # fmt: skip

    def _rate(
        self,
        rule: CompiledRule,
        subject: Subject,
        t: NDArray[np.int64],
        v: NDArray[np.float64],
        changes: _Changes,
    ) -> None:
        r = rule.rule
        params = cond.RateOfChange(
            max_step=r.max_step,
            within_s=r.within_min * 60.0,
            direction=r.direction,
            hold_s=r.hold_min * 60.0,
        )
        self._run(
            rule,
            subject,
            changes,
            lambda st: cond.rate_of_change(params, st, t, v),
            describe=lambda tr: (
                f"{subject.code}: back to normal ({tr.value:g})"
                if tr.what == "clear"
                else f"{subject.code}: changed by more than {r.max_step:g} within "
                f"{r.within_min:g} min ({tr.value:g})"
            ),
        )

    def _run(
        self,
        rule: CompiledRule,
        subject: Subject,
        changes: _Changes,
        step: Callable[[cond.ConditionState], tuple[cond.ConditionState, list[cond.Transition]]],
        *,
        describe: Callable[[cond.Transition], str],
        evidence: Callable[[cond.Transition], dict[str, Any]] | None = None,
        key: str = "c",
    ) -> None:
        """Run one condition on a subject's state (kept under ``key`` in the stored state)."""
        stored = self._state(rule, subject)
        before = stored.get(key)
        state = cond.ConditionState.from_json(before) if before else cond.ConditionState()
        was = (state.active, state.pending_since)
        state, transitions = step(state)
        after = state.to_json()
        if after == before:
            return
        stored = {**stored, key: after}
        k = (rule.row.id, subject.key)
        self._states[k] = stored
        self._dirty.add(k)
        if (state.active, state.pending_since) != was or transitions:
            changes.states.add(k)
        for tr in transitions:
            changes.items.append(
                (
                    rule,
                    subject,
                    Occurrence(
                        what=tr.what,
                        at=tr.at,
                        value=tr.value,
                        since=tr.since,
                        message=describe(tr),
                        peak=tr.peak,
                        evidence=evidence(tr) if evidence else {},
                    ),
                )
            )

    def _fresh_stream(
        self,
        rule: CompiledRule,
        subject: Subject,
        point: PointRecord,
        t: NDArray[np.int64],
        changes: _Changes,
    ) -> None:
        """A silence longer than the limit inside the data (or ended by it)."""
        limit = int(rule.rule.factor * point.interval_s * SECOND_US)
        k = (rule.row.id, subject.key)
        stored = dict(self._state(rule, subject))
        last = stored.get("last_ts")
        new = t if last is None else t[t > last]
        if not len(new):
            return
        prev = np.r_[last if last is not None else new[0], new[:-1]]
        gaps = np.flatnonzero(new - prev > limit)
        active = bool(stored.get("active"))
        for i in gaps.tolist():
            silent_from = int(prev[i])
            if not active:
                changes.items.append((rule, subject, self._silence(
                    "raise", silent_from + limit, silent_from, point, rule)))  # fmt: skip
            changes.items.append((rule, subject, self._silence(
                "clear", int(new[i]), silent_from, point, rule)))  # fmt: skip
            active = False
        if active:  # raised by a tick; the point reports again
            changes.items.append((rule, subject, self._silence(
                "clear", int(new[0]), int(stored.get("since") or new[0]), point, rule)))  # fmt: skip
            active = False
        if gaps.size or stored.get("active"):
            changes.states.add(k)
        stored.update(last_ts=int(new[-1]), active=active)
        if not active:
            stored.pop("since", None)
        self._states[k] = stored
        self._dirty.add(k)

    @staticmethod
    def _silence(
        what: str, at: int, since: int, point: PointRecord, rule: CompiledRule
    ) -> Occurrence:
        minutes = (at - since) / MINUTE_US
        if what == "raise":
            msg = (
                f"{point.code}: no reading for {minutes:.0f} min (more than "
                f"{rule.rule.factor:g} × {point.interval_s / 60:g} min)"
            )
        else:
            msg = f"{point.code}: reporting again after {minutes:.0f} min"
        return Occurrence(
            what=what, at=at, value=minutes, since=since, message=msg,
            evidence={"last_reading_before": since, "interval_s": point.interval_s},
        )  # fmt: skip

    def _rejected(
        self, rule: CompiledRule, subject: Subject, ts: int | None, reason: str, changes: _Changes
    ) -> None:
        now = self.clock()
        at = ts if ts is not None else now
        k = (rule.row.id, subject.key)
        stored = dict(self._state(rule, subject))
        q = dict(stored.get("rejected") or {})
        q["n"] = int(q.get("n", 0)) + 1
        if not q.get("active"):
            q.update(active=True, since=at)
            changes.items.append((rule, subject, Occurrence(
                what="raise", at=at, value=1.0, since=at,
                message=f"{subject.code}: a reading was quarantined ({reason})",
                evidence={"reason": reason, "ts": ts},
            )))  # fmt: skip
        q["last_reason"] = reason
        stored["rejected"] = q
        self._states[k] = stored
        self._dirty.add(k)
        changes.states.add(k)

    def _quarantine_cleared(
        self, rule: CompiledRule, subject: Subject, t: NDArray[np.int64], changes: _Changes
    ) -> None:
        if "rejected" not in rule.rule.conditions:
            return
        k = (rule.row.id, subject.key)
        stored = dict(self._state(rule, subject))
        q = dict(stored.get("rejected") or {})
        if not q.get("active"):
            return
        # an accepted reading after the quarantined one ends the condition
        after = t[t >= int(q.get("since", 0))]
        if not len(after):
            return
        at = int(after[0])
        changes.items.append((rule, subject, Occurrence(
            what="clear", at=at, value=0.0, since=int(q["since"]),
            message=f"{subject.code}: readings accepted again ({q.get('n', 1)} quarantined)",
        )))  # fmt: skip
        q.update(active=False, n=0)
        q.pop("since", None)
        stored["rejected"] = q
        self._states[k] = stored
        self._dirty.add(k)
        changes.states.add(k)

    # -- applying transitions -------------------------------------------------------------
    def _suppressed(self, rule: CompiledRule, subject: Subject, at: int) -> bool:
        now = time.monotonic()
        if now - self._suppressions[0] > REFRESH_S:
            rows = self.store.alarms.suppressions(tenant=Tenant(None), park_id=None)
            self._suppressions = (now, rows)
        for w in self._suppressions[1]:
            if w.park_id != rule.row.park_id or not (w.starts <= at < w.ends):
                continue
            if w.rule_id is not None and w.rule_id != rule.row.id:
                continue
            if w.point_id is not None and w.point_id != subject.point_id:
                continue
            if w.enterprise_id is not None and w.enterprise_id != subject.enterprise_id:
                continue
            return True
        return False

    def _commit(self, changes: _Changes, now: int | None = None) -> None:
        """Apply transitions and write the states that changed, in one transaction; the other
        dirty states at most every ``FLUSH_S``."""
        flush_all = time.monotonic() - self._flushed >= FLUSH_S
        if not changes.items and not changes.states and not flush_all:
            return
        if flush_all:
            self._sync_slots()
        keys = set(self._dirty) if flush_all else set(changes.states)
        if not changes.items and not keys:
            return
        now = self.clock() if now is None else now
        notes: list[tuple[AlarmRecord, str]] = []
        with self.store.begin() as conn:
            holders = self.store.alarms.holders(
                conn, [open_key(r.row.id, sub.key) for r, sub, _ in changes.items]
            )
            for rule, subject, occ in changes.items:
                notes.extend(self._apply(conn, rule, subject, occ, now, holders))
            self.store.alarms.save_conditions(
                conn, {k: self._states[k] for k in keys if k in self._states}, now=now
            )
            if notes and self.store.outbox.any_live(conn):
                for record, event in notes:
                    self.notifier(conn, record, event)
        if notes and self.on_notified is not None:
            self.on_notified()
        self._dirty -= keys
        if flush_all:
            self._flushed = time.monotonic()

    def flush(self) -> None:
        """Write every evaluation state not written yet."""
        with self._lock:
            self._sync_slots()
            if not self._dirty:
                return
            keys = set(self._dirty)
            with self.store.begin() as conn:
                self.store.alarms.save_conditions(
                    conn, {k: self._states[k] for k in keys if k in self._states}, now=self.clock()
                )
            self._dirty -= keys
            self._flushed = time.monotonic()

    def _apply(
        self,
        conn: Any,
        rule: CompiledRule,
        subject: Subject,
        occ: Occurrence,
        now: int,
        holders: dict[str, AlarmRecord],
    ) -> list[tuple[AlarmRecord, str]]:
        """One transition on the alarm holding the rule × subject key (``holders``: the
        holders read for this transaction, kept current here)."""
        repo = self.store.alarms
        key = open_key(rule.row.id, subject.key)
        holder = holders.get(key)
        if occ.what == "clear":
            if holder is None or holder.state not in (AlarmState.OPEN, AlarmState.ACKNOWLEDGED):
                return []
            repo.update_alarm(
                conn, holder.id, state=AlarmState.CLEARED.value, cleared_at=now,
                last_at=max(holder.last_at, occ.at), updated_at=now,
            )  # fmt: skip
            repo.add_event(conn, alarm_id=holder.id, at=now, actor="system", action="cleared",
                           detail=occ.message)  # fmt: skip
            cleared = dataclasses.replace(
                holder,
                state=AlarmState.CLEARED,
                cleared_at=now,
                last_at=max(holder.last_at, occ.at),
            )
            holders[key] = cleared
            return [(cleared, "cleared")]
        if self._suppressed(rule, subject, occ.at):
            k = (rule.row.id, subject.key)
            st = dict(self._states.get(k, {}))
            st["suppressed"] = {"at": occ.at, "since": occ.since, "message": occ.message,
                                "value": occ.value}  # fmt: skip
            self._states[k] = st
            self._dirty.add(k)
            return []
        peak = occ.peak if occ.peak is not None else occ.value
        if holder is None:
            severity = rule.row.severity
            alarm_id = repo.insert_alarm(
                conn,
                park_id=rule.row.park_id,
                rule_id=rule.row.id,
                kind=rule.row.kind,
                severity=severity,
                state=AlarmState.OPEN.value,
                open_key=key,
                subject_kind=subject.kind.value,
                subject_key=subject.key,
                subject_code=subject.code,
                point_id=subject.point_id,
                enterprise_id=subject.enterprise_id,
                first_at=occ.since,
                last_at=occ.at,
                raised_at=now,
                count=1,
                value=occ.value,
                peak=peak,
                message=occ.message,
                evidence=occ.evidence,
                updated_at=now,
            )
            repo.add_event(conn, alarm_id=alarm_id, at=now, actor="system", action="raised",
                           detail=occ.message)  # fmt: skip
            record = AlarmRecord(
                id=alarm_id, park_id=rule.row.park_id, rule_id=rule.row.id,
                rule_code=rule.row.code, rule_name=rule.row.name, kind=RuleKind(rule.row.kind),
                severity=Severity(severity), state=AlarmState.OPEN,
                subject_kind=subject.kind, subject_code=subject.code, point_id=subject.point_id,
                enterprise_id=subject.enterprise_id, first_at=occ.since, last_at=occ.at,
                raised_at=now, count=1, value=occ.value, peak=peak, message=occ.message,
                evidence=dict(occ.evidence), acked_by=None, acked_at=None, ack_comment=None,
                cleared_at=None, closed_by=None, closed_at=None, escalated_at=None,
            )  # fmt: skip
            holders[key] = record
            return [(record, "raised")]
        reopened = holder.state is AlarmState.CLEARED
        state = AlarmState.OPEN if reopened else holder.state
        worse = _worse(rule.rule, holder.peak, peak)
        repo.update_alarm(
            conn,
            holder.id,
            state=state.value,
            count=holder.count + 1,
            last_at=max(holder.last_at, occ.at),
            value=occ.value,
            peak=worse,
            message=occ.message,
            cleared_at=None,
            updated_at=now,
        )
        action = "reopened" if reopened else "repeated"
        repo.add_event(conn, alarm_id=holder.id, at=now, actor="system", action=action,
                       detail=occ.message)  # fmt: skip
        record = dataclasses.replace(
            holder, state=state, count=holder.count + 1, value=occ.value, peak=worse,
            message=occ.message, cleared_at=None, last_at=max(holder.last_at, occ.at),
        )  # fmt: skip
        holders[key] = record
        return [(record, "reopened")] if reopened else []

    # -- scheduled ------------------------------------------------------------------------
    def tick(self, now: int | None = None, *, shared: bool = True) -> TickReport:
        """Evaluate the scheduled rules at ``now`` (µs; default the clock), escalate and
        close what is due. ``shared``: first re-read the evaluation state other processes'
        engines wrote (a replay that alone writes the store passes False)."""
        report = TickReport()
        c = self.compiled()
        # one scheduler at a time over a store (``serve --workers`` runs one per process):
        # the next one re-reads what this one wrote and finds the alarms already raised
        # the store-wide lock first: waiting for another process's run must not hold up this
        # process's streaming evaluation (which takes only the engine's lock)
        with self.store.exclusive(LOCK_ALARM_TICK), self._lock:
            now = self.clock() if now is None else now
            self._sync_slots()
            if shared:
                with self.store.begin() as conn:
                    stored = self.store.alarms.all_conditions(conn, [r.row.id for r in c.rules])
                for key, value in stored.items():
                    if key not in self._dirty:
                        self._states[key] = value
            changes = _Changes()
            shared_hours = self._prefetch_hours(c, now)
            for rule in c.rules:
                kind = rule.kind
                n = 0
                if kind is RuleKind.FRESHNESS:
                    n = self._fresh_tick(c, rule, now, changes)
                elif (
                    kind is RuleKind.QUALITY
                    or kind is RuleKind.DEVIATION
                    or (kind is RuleKind.THRESHOLD and rule.rule.on != "reading")
                ):
                    n = self._hours_tick(c, rule, now, changes, shared_hours)
                elif kind is RuleKind.BUDGET:
                    n = self._budget_tick(c, rule, now, changes)
                elif kind in ASSESSORS:
                    n = self._assess(rule, ASSESSORS[kind], now, changes, throttle=True)
                if n:
                    report.evaluated[kind.value] = report.evaluated.get(kind.value, 0) + n
            self._release_suppressed(c, now, changes)
            report.raised = sum(1 for _, _, o in changes.items if o.what == "raise")
            report.cleared = sum(1 for _, _, o in changes.items if o.what == "clear")
            self._flushed = 0.0  # write every state
            self._commit(changes, now)
            self._load_slots()
            report.escalated, report.closed = self._housekeeping(now)
        return report

    def _subjects(self, rule: CompiledRule, now: int) -> list[Subject]:
        """The subjects a module's check runs on: the rule's own, or the records its module
        lists for them (:data:`LISTERS`)."""
        lister = LISTERS.get(rule.kind)
        if lister is None:
            return list(rule.subjects.values())
        items: dict[int, Subject] = {}
        for scope in rule.subjects.values():
            try:
                listed = lister(self.store, rule.rule, scope, now)
            except Exception:
                _log.exception("alarm rule %s: listing its subjects failed", rule.row.code)
                return list(rule.items.values())  # the last list stands
            items.update((s.key, s) for s in listed)
        rule.items = items
        return list(items.values())

    def _assess(
        self,
        rule: CompiledRule,
        assess: Assessor,
        now: int,
        changes: _Changes,
        *,
        throttle: bool = False,
    ) -> int:
        """Run a module's check on each subject of a rule: raise when it finds something and
        the alarm is not on (or the finding changed), clear when it finds nothing. With
        ``throttle`` (a tick), a subject checked less than the kind's :data:`EVERY` ago is
        left as it is."""
        n = 0
        every = EVERY.get(rule.kind)
        interval = every(rule.rule) if throttle and every is not None else 0
        for subject in self._subjects(rule, now):
            k = (rule.row.id, subject.key)
            stored = dict(self._state(rule, subject))
            checked = stored.get("checked_at")
            if interval and checked is not None and now - int(checked) < interval:
                continue
            n += 1
            try:
                finding = assess(self.store, rule.rule, subject, now)
            except Exception:
                _log.exception("alarm rule %s: the check failed", rule.row.code)
                continue
            if interval:
                stored["checked_at"] = now
                self._states[k] = stored
                self._dirty.add(k)
            active = bool(stored.get("active"))
            if finding is None:
                if not active:
                    continue
                since = int(stored.get("since", now))
                stored.update(active=False, message=None)
                occ = Occurrence("clear", now, None, since, f"{subject.code}: back within the rule")
            else:
                if active and stored.get("message") == finding.message:
                    continue
                since = int(stored["since"]) if active else now
                stored.update(active=True, since=since, message=finding.message)
                occ = Occurrence("raise", now, finding.value, since, finding.message,
                                 evidence=dict(finding.evidence))  # fmt: skip
            self._states[k] = stored
            self._dirty.add(k)
            changes.states.add(k)
            changes.items.append((rule, subject, occ))
        return n

    def evaluate(self, kind: RuleKind, now: int | None = None) -> TickReport:
        """Evaluate the rules of a module-checked ``kind`` now (a module calls it after a
        change that may raise or clear, e.g. a manifest received)."""
        report = TickReport()
        assess = ASSESSORS.get(kind)
        if assess is None:
            return report
        c = self.compiled()
        with self.store.exclusive(LOCK_ALARM_TICK), self._lock:
            now = self.clock() if now is None else now
            with self.store.begin() as conn:
                stored = self.store.alarms.all_conditions(conn, [r.row.id for r in c.rules])
            for key, value in stored.items():
                if key not in self._dirty:
                    self._states[key] = value
            changes = _Changes()
            for rule in c.rules:
                if rule.kind is kind:
                    report.evaluated[kind.value] = report.evaluated.get(kind.value, 0) + (
                        self._assess(rule, assess, now, changes)
                    )
            report.raised = sum(1 for _, _, o in changes.items if o.what == "raise")
            report.cleared = sum(1 for _, _, o in changes.items if o.what == "clear")
            self._commit(changes, now)
        return report

    def _fresh_tick(self, c: Compiled, rule: CompiledRule, now: int, changes: _Changes) -> int:
        n = 0
        for subject in rule.subjects.values():
            point = c.points.get(subject.key)
            if point is None:
                continue
            k = (rule.row.id, subject.key)
            stored = dict(self._state(rule, subject))
            if stored.get("active"):
                continue
            last = stored.get("last_ts")
            changed = last is None
            if last is None:
                # never seen by a stream: the newest stored reading, else the rule's creation
                with self.store.begin() as conn:
                    newest = self.store.alarms.newest_reading(conn, subject.key)
                last = newest if newest is not None else rule.row.created_at
                stored["last_ts"] = last
            n += 1
            if cond.stale(last, now, point.interval_s, rule.rule.factor):
                limit = int(rule.rule.factor * point.interval_s * SECOND_US)
                changes.items.append((rule, subject, self._silence(
                    "raise", max(now, last + limit), last, point, rule)))  # fmt: skip
                stored.update(active=True, since=last)
                changes.states.add(k)
                changed = True
            if changed:
                self._states[k] = stored
                self._dirty.add(k)
        return n

    def _prefetch_hours(self, c: Compiled, now: int) -> dict[int, dict[str, Any]] | None:
        """The hourly statistics every threshold and quality rule of this tick needs, read in
        one query (each rule slices its own window from them): many rules over few points —
        a park's station limits — would otherwise cost a query per rule per tick. None when
        no such rule has subjects."""
        end = floor_hour(now - HOUR_SETTLE_US)
        ids: set[int] = set()
        h0 = end
        for rule in c.rules:
            r = rule.rule
            if not (rule.kind is RuleKind.QUALITY or (
                rule.kind is RuleKind.THRESHOLD and getattr(r, "on", "reading") != "reading"
            )):  # fmt: skip
                continue
            for subject in rule.subjects.values():
                ids.add(subject.key)
                mark = self._state(rule, subject).get("hour_done")
                h0 = min(h0, end - FIRST_LOOKBACK_US if mark is None else int(mark))
        if not ids or h0 >= end:
            return None
        return self.store.alarms.hour_columns(sorted(ids), max(h0, 0), end)

    def _hours_tick(
        self,
        c: Compiled,
        rule: CompiledRule,
        now: int,
        changes: _Changes,
        shared_hours: dict[int, dict[str, Any]] | None = None,
    ) -> int:
        """Hourly (or daily) statistics of the rule's points from each subject's watermark up
        to the last settled hour (from ``shared_hours`` when the tick read them for every
        threshold and quality rule at once)."""
        r = rule.rule
        end = floor_hour(now - HOUR_SETTLE_US)
        day = getattr(r, "on", "hour") == "day"
        if day:
            # a daily statistic needs whole local days: the window ends at the last local
            # midnight, so that a day is judged (and marked done) once, with all its hours
            tz = c.zones[rule.row.park_id]
            local = dt.datetime.fromtimestamp(end / SECOND_US, tz)
            end = to_us(dt.datetime.combine(local.date(), dt.time(), tz))
        subjects = list(rule.subjects.values())
        if not subjects:
            return 0
        marks = {s.key: self._state(rule, s).get("hour_done") for s in subjects}
        starts = [m if m is not None else end - FIRST_LOOKBACK_US for m in marks.values()]
        h0 = max(min(starts), 0)
        if h0 >= end:
            return 0
        ids = [s.key for s in subjects] + list(rule.expected_ids)
        if shared_hours is not None and rule.kind is not RuleKind.DEVIATION:
            # the shared read covers [min watermark, last settled hour) of every such rule;
            # the subjects' windows are cut below, as for a read of their own
            hours = shared_hours
        else:
            hours = self.store.alarms.hour_columns(ids, h0, end)
        expected = _expected_series(rule, hours) if rule.kind is RuleKind.DEVIATION else None
        for subject in subjects:
            k = (rule.row.id, subject.key)
            start = marks[subject.key]
            start = end - FIRST_LOOKBACK_US if start is None else start
            data = hours.get(subject.key)
            if data is not None:
                keep = (data["hours"] >= start) & (data["hours"] < end)
                t = data["hours"][keep]
                if day:
                    t, cols = _days(t, {f: data[f][keep] for f in _COLS}, c.zones[rule.row.park_id])
                else:
                    cols = {f: data[f][keep] for f in _COLS}
                if len(t):
                    self._hour_rule(rule, subject, t, cols, expected, changes)
            stored = dict(self._state(rule, subject))
            stored["hour_done"] = int(end)
            self._states[k] = stored
            self._dirty.add(k)
        return len(subjects)

    def _hour_rule(
        self,
        rule: CompiledRule,
        subject: Subject,
        t: NDArray[np.int64],
        cols: dict[str, NDArray[Any]],
        expected: tuple[NDArray[np.int64], NDArray[np.float64]] | None,
        changes: _Changes,
    ) -> None:
        r = rule.rule
        point = self._compiled.points.get(subject.key) if self._compiled else None
        unit = point.unit if point else None
        # the condition is judged at the end of the period the statistic covers
        step = 86_400 if getattr(r, "on", "hour") == "day" else 3600
        t_end = t + step * SECOND_US
        if rule.kind is RuleKind.THRESHOLD:
            v = np.asarray(cols[r.statistic], np.float64)
            known = ~np.isnan(v)
            self._threshold(rule, subject, t_end[known], v[known], changes, unit=unit)
        elif rule.kind is RuleKind.QUALITY:
            bad = np.zeros(len(t), bool)
            names = set(r.conditions) - {"rejected"}
            if not names:
                return
            mask = 0
            for name in names & set(_QUALITY_FLAGS):
                mask |= int(_QUALITY_FLAGS[name])
            if mask:
                bad |= (np.asarray(cols["flags"], np.int64) & mask) != 0
            if "missing" in names or "estimated" in names:
                labels = [
                    label(m, e, x)
                    for m, e, x in zip(
                        cols["measured_s"].tolist(), cols["estimated_s"].tolist(),
                        cols["missing_s"].tolist(), strict=True,
                    )
                ]  # fmt: skip
                if "missing" in names:
                    bad |= np.array([lb is Label.MISSING for lb in labels], bool)
                if "estimated" in names:
                    bad |= np.array([lb in (Label.ESTIMATED, Label.PARTIAL) for lb in labels], bool)
            flags = np.asarray(cols["flags"], np.int64)
            params = cond.Threshold(op="above", high=0.5, low=None, hold_s=0.0, hysteresis=0.0)
            found = names

            def describe(tr: cond.Transition) -> str:
                if tr.what == "clear":
                    return f"{subject.code}: data quality restored"
                i = int(np.searchsorted(t_end, tr.at))
                seen = [n for n in sorted(found) if n in _QUALITY_FLAGS
                        and i < len(flags) and flags[i] & _QUALITY_FLAGS[n]]  # fmt: skip
                return f"{subject.code}: data quality: {(seen or sorted(found))[0]}"

            self._run(rule, subject, changes,
                      lambda st: cond.threshold(params, st, t_end, bad.astype(np.float64)),
                      describe=describe, key="q")  # fmt: skip
        elif rule.kind is RuleKind.DEVIATION:
            a = np.asarray(cols[r.statistic], np.float64)
            if expected is None:
                e = np.full(len(t), float(r.expected.value))
            else:
                e_t, e_v = expected
                idx = np.searchsorted(e_t, t)
                ok = (idx < len(e_t)) & (e_t[np.minimum(idx, len(e_t) - 1)] == t)
                e = np.where(ok, e_v[np.minimum(idx, len(e_t) - 1)], np.nan)
            params_d = cond.Deviation(
                max_pct=r.max_pct, min_abs=r.min_abs, hold_s=r.hold_min * 60.0,
                hysteresis_pct=r.hysteresis_pct,
            )  # fmt: skip

            def describe_d(tr: cond.Transition) -> str:
                if tr.what == "clear":
                    return f"{subject.code}: within {r.max_pct:g} % of the expected value again"
                i = int(np.searchsorted(t_end, tr.at))
                exp = float(e[i]) if i < len(e) else float("nan")
                return (
                    f"{subject.code}: {tr.value:g}{(' ' + unit) if unit else ''} against {exp:g} "
                    f"expected, more than {r.max_pct:g} % apart"
                )

            self._run(rule, subject, changes,
                      lambda st: cond.deviation(params_d, st, t_end, a, e), describe=describe_d)  # fmt: skip

    def _budget_tick(self, c: Compiled, rule: CompiledRule, now: int, changes: _Changes) -> int:
        tz = c.zones[rule.row.park_id]
        local = dt.datetime.fromtimestamp(now / SECOND_US, tz)
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        m0, m1 = to_us(first), to_us(nxt)
        n = 0
        for subject in rule.subjects.values():
            k = (rule.row.id, subject.key)
            stored = dict(self._state(rule, subject))
            if stored.get("budget_at") is not None and now - stored["budget_at"] < BUDGET_EVERY_US:
                continue
            if stored.get("month") != m0:
                stored.pop("c", None)  # a new month starts with a fresh condition
                stored["month"] = m0
            used = self._used(rule, subject, first, m0, now)
            stored["budget_at"] = now
            stored["used"] = used
            self._states[k] = stored
            self._dirty.add(k)
            n += 1
            if used is not None:
                self._budget_subject(rule, subject, now, used, (m0, m1), changes)
        return n

    def _budget_subject(
        self,
        rule: CompiledRule,
        subject: Subject,
        now: int,
        used: float,
        month: tuple[int, int],
        changes: _Changes,
    ) -> None:
        r = rule.rule
        m0, m1 = month
        elapsed_s = (now - m0) / SECOND_US
        month_s = (m1 - m0) / SECOND_US
        unit = r.unit if r.metric == "consumption" else "tCO2"
        what = "energy use" if r.metric == "consumption" else "emissions"

        def step(st: cond.ConditionState) -> Any:
            return cond.budget(
                st, now, used, elapsed_s, month_s, r.target, warn_pct=r.warn_pct,
                hysteresis_pct=r.hysteresis_pct, min_elapsed_s=r.min_elapsed_h * 3600.0,
            )  # fmt: skip

        def describe(tr: cond.Transition) -> str:
            if tr.what == "clear":
                return f"{subject.code}: this month's {what} projected within the budget again"
            return (
                f"{subject.code}: this month's {what} projected at {tr.value:,.1f} {unit}, above "
                f"the budget of {r.target:,.1f} {unit} ({used:,.1f} used)"
            )

        self._run(rule, subject, changes, step, describe=describe,
                  evidence=lambda tr: {"used": used, "target": r.target, "month_start": m0,
                                       "unit": unit})  # fmt: skip

    def _used(
        self, rule: CompiledRule, subject: Subject, first: dt.datetime, m0: int, now: int
    ) -> float | None:
        """This month's consumption of the carrier, or emissions, of the subject so far."""
        r = rule.rule
        owner = 0 if subject.kind is SubjectKind.PARK else subject.key
        if r.metric == "consumption":
            rows = self.store.stats.carrier_totals(
                park_id=rule.row.park_id, h0=m0, h1=floor_hour(now), enterprise_key=owner
            )
            values = [
                x["value"] for x in rows
                if x["carrier"] == r.carrier and x["unit"] == r.unit and x["value"] is not None
            ]  # fmt: skip
            if subject.kind is SubjectKind.PARK:
                # the park's budget covers every owner: sum them all
                rows = self.store.stats.carrier_totals(
                    park_id=rule.row.park_id, h0=m0, h1=floor_hour(now)
                )
                values = [
                    x["value"] for x in rows
                    if x["carrier"] == r.carrier and x["unit"] == r.unit and x["value"] is not None
                ]  # fmt: skip
            return float(sum(values)) if values else None
        from lingtan.accounting import service as accounting

        if subject.kind is SubjectKind.PARK:
            res = accounting.account_park(
                self.store, year=first.year, month=first.month, park_id=rule.row.park_id,
                persist=False,
            )  # fmt: skip
        else:
            res = accounting.account_enterprise(
                self.store, year=first.year, month=first.month, enterprise_id=subject.key,
                park_id=rule.row.park_id, persist=False,
            )  # fmt: skip
        total = res.inventory.emissions.get("total")
        return None if total is None else float(total)

    def _release_suppressed(self, c: Compiled, now: int, changes: _Changes) -> None:
        """A condition raised during a maintenance window that is still on when the window
        ends raises then."""
        by_id = {r.row.id: r for r in c.rules}
        for (rule_id, key), st in list(self._states.items()):
            pending = st.get("suppressed")
            rule = by_id.get(rule_id)
            if not pending or rule is None:
                continue
            # a kind whose module lists its records: the subjects are those records
            subjects = rule.items if rule.kind in LISTERS else rule.subjects
            if key not in subjects:
                continue
            subject = subjects[key]
            still = any(bool((v or {}).get("active")) for k2, v in st.items()
                        if k2 in ("c", "q", "rejected") and isinstance(v, dict)) or bool(
                st.get("active"))  # fmt: skip
            st = dict(st)
            if not still:
                st.pop("suppressed")
            elif not self._suppressed(rule, subject, now):
                st.pop("suppressed")
                changes.items.append((rule, subject, Occurrence(
                    what="raise", at=now, value=pending.get("value"), since=pending["since"],
                    message=pending["message"],
                )))  # fmt: skip
            else:
                continue
            self._states[(rule_id, key)] = st
            self._dirty.add((rule_id, key))
            changes.states.add((rule_id, key))

    def _housekeeping(self, now: int) -> tuple[int, int]:
        """Escalate unacknowledged 重要/紧急 alarms past their rule's time; close alarms
        cleared for longer than their rule's settle time."""
        repo = self.store.alarms
        escalated = closed = 0
        notes: list[tuple[AlarmRecord, str]] = []
        with self.store.begin() as conn:
            major = [s.value for s in Severity if s.rank >= Severity.MAJOR.rank]
            for record, spec in repo.unacknowledged(conn, severities=major):
                after = spec.get("escalate_after_min")
                if after is None or record.raised_at + after * MINUTE_US > now:
                    continue
                repo.update_alarm(conn, record.id, escalated_at=now, updated_at=now)
                repo.add_event(
                    conn, alarm_id=record.id, at=now, actor="system", action="escalated",
                    detail=f"unacknowledged for {after:g} min: escalated",
                )  # fmt: skip
                notes.append((dataclasses.replace(record, escalated_at=now), "escalated"))
                escalated += 1
            for alarm_id, cleared_at, settle_min in repo.due_for_close(conn, now=now):
                if cleared_at + settle_min * MINUTE_US > now:
                    continue
                repo.update_alarm(
                    conn, alarm_id, state=AlarmState.CLOSED.value, open_key=None,
                    closed_by="system", closed_at=now, updated_at=now,
                )  # fmt: skip
                repo.add_event(
                    conn, alarm_id=alarm_id, at=now, actor="system", action="closed",
                    detail=f"cleared for {settle_min:g} min: closed automatically",
                )  # fmt: skip
                closed += 1
            for record, event in notes:
                self.notifier(conn, record, event)
        if notes and self.on_notified is not None:
            self.on_notified()
        return escalated, closed


_COLS: Final = ("value", "mean", "min", "max", "measured_s", "estimated_s", "missing_s", "flags")


def _days(
    hours: NDArray[np.int64], cols: dict[str, NDArray[Any]], tz: ZoneInfo
) -> tuple[NDArray[np.int64], dict[str, NDArray[Any]]]:
    """Hourly columns summed into whole local days (days with all their hours only)."""
    if not len(hours):
        return hours, cols
    starts: list[int] = []
    out: dict[str, list[float]] = {f: [] for f in _COLS}
    local_days = [dt.datetime.fromtimestamp(h / SECOND_US, tz).date() for h in hours.tolist()]
    i = 0
    while i < len(hours):
        j = i
        while j < len(hours) and local_days[j] == local_days[i]:
            j += 1
        d = local_days[i]
        d0 = to_us(dt.datetime(d.year, d.month, d.day, tzinfo=tz))
        d1 = to_us(dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), tz))
        if j - i == (d1 - d0) // HOUR_US:
            starts.append(d0)
            v = cols["value"][i:j]
            out["value"].append(float(np.sum(v)) if not np.isnan(v).any() else float("nan"))
            out["mean"].append(
                float(np.nanmean(cols["mean"][i:j]))
                if np.isfinite(cols["mean"][i:j]).any()
                else float("nan")
            )
            out["min"].append(
                float(np.nanmin(cols["min"][i:j]))
                if np.isfinite(cols["min"][i:j]).any()
                else float("nan")
            )
            out["max"].append(
                float(np.nanmax(cols["max"][i:j]))
                if np.isfinite(cols["max"][i:j]).any()
                else float("nan")
            )
            for f in ("measured_s", "estimated_s", "missing_s"):
                out[f].append(float(np.sum(cols[f][i:j])))
            out["flags"].append(
                float(np.bitwise_or.reduce(np.asarray(cols["flags"][i:j], np.int64)))
            )
        i = j
    arrays: dict[str, NDArray[Any]] = {f: np.array(v, np.float64) for f, v in out.items()}
    arrays["flags"] = arrays["flags"].astype(np.int64)
    return np.array(starts, np.int64), arrays


def _expected_series(
    rule: CompiledRule, hours: dict[int, dict[str, Any]]
) -> tuple[NDArray[np.int64], NDArray[np.float64]] | None:
    """The sum of the expected points' hourly statistic; an hour missing from any is NaN."""
    if not rule.expected_ids:
        return None
    stat = rule.rule.statistic
    series = [hours.get(pid) for pid in rule.expected_ids]
    if any(x is None for x in series):
        return np.array([], np.int64), np.array([], np.float64)
    common = series[0]["hours"]  # type: ignore[index]
    for x in series[1:]:
        common = np.intersect1d(common, x["hours"])  # type: ignore[index]
    total = np.zeros(len(common))
    for x in series:
        idx = np.searchsorted(x["hours"], common)  # type: ignore[index]
        total = total + np.asarray(x[stat], np.float64)[idx]  # type: ignore[index]
    return common, total


def _worse(rule: Any, old: float | None, new: float | None) -> float | None:
    if old is None or new is None:
        return new if old is None else old
    if getattr(rule, "op", "above") == "below":
        return min(old, new)
    return max(old, new)


def _threshold_message(rule: Any, subject: Subject, tr: cond.Transition, unit: str | None) -> str:
    u = f" {unit}" if unit else ""
    if tr.what == "clear":
        return f"{subject.code}: back to normal ({tr.value:g}{u})"
    limit = rule.high if rule.op == "above" else rule.low
    if rule.op == "outside":
        limit_text = f"[{rule.low:g}, {rule.high:g}]"
    else:
        limit_text = f"{limit:g}"
    hold = f", held {rule.hold_min:g} min" if rule.hold_min else ""
    return f"{subject.code}: {tr.value:g}{u} {_OP_TEXT[rule.op]} {limit_text}{u}{hold}"


def _segments(
    p: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The points of rows in point order, and where each point's rows start and end."""
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    ends = np.r_[starts[1:], len(p)]
    return p[starts], starts, ends


_OPS: Final = {"above": 0, "below": 1, "outside": 2}


def _slots(items: list[tuple[CompiledRule, Subject]], points: dict[int, PointRecord]) -> _Slots:
    n = len(items)
    op = np.zeros(n, np.int8)
    high = np.full(n, np.inf)
    low = np.full(n, -np.inf)
    limit = np.zeros(n, np.int64)
    within = np.zeros(n, np.int64)
    step = np.zeros(n)
    for k, (c, subject) in enumerate(items):
        r = c.rule
        if c.kind is RuleKind.THRESHOLD:
            op[k] = _OPS[r.op]
            if r.high is not None:
                high[k] = r.high
            if r.low is not None:
                low[k] = r.low
        elif c.kind is RuleKind.FRESHNESS:
            limit[k] = int(r.factor * points[subject.key].interval_s * SECOND_US)
        else:
            within[k] = round(r.within_min * 60 * SECOND_US)
            step[k] = r.max_step
    return _Slots(
        items=items,
        pid=np.array([s.key for _, s in items], np.int64),
        op=op,
        high=high,
        low=low,
        limit=limit,
        last_ts=np.full(n, -1, np.int64),
        hot=np.zeros(n, bool),
        touched=np.zeros(n, bool),
        within=within,
        step=step,
    )


def _streams(rule: CompiledRule) -> bool:
    kind = rule.kind
    if kind is RuleKind.THRESHOLD:
        return bool(rule.rule.on == "reading")
    if kind in (RuleKind.RATE_OF_CHANGE, RuleKind.FRESHNESS):
        return True
    return kind is RuleKind.QUALITY and "rejected" in rule.rule.conditions


def _scope_points(
    scope: Any,
    row: RuleRow,
    points: dict[int, PointRecord],
    enterprises: dict[int, dict[str, int]],
    sites: dict[int, dict[str, int]],
) -> list[PointRecord]:
    """The points of the rule's park its scope matches (an enterprise's rule: only its own)."""
    chosen: list[PointRecord] = []
    codes = set(scope.points) if scope.points else None
    ent: int | str | None = "any"
    if scope.enterprise == "park":
        ent = None
    elif scope.enterprise is not None:
        ent = enterprises.get(row.park_id, {}).get(scope.enterprise, -1)
    site = sites.get(row.park_id, {}).get(scope.site, -1) if scope.site else None
    for p in points.values():
        if p.park_id != row.park_id:
            continue
        if row.enterprise_id is not None and p.enterprise_id != row.enterprise_id:
            continue
        if codes is not None and p.code not in codes:
            continue
        if ent != "any" and p.enterprise_id != ent:
            continue
        if site is not None and p.site_id != site:
            continue
        if scope.carriers and p.carrier not in scope.carriers:
            continue
        if scope.point_kinds and p.kind not in scope.point_kinds:
            continue
        if scope.boundary is not None and p.boundary != scope.boundary:
            continue
        if scope.tags and not set(scope.tags) & set(p.tags):
            continue
        chosen.append(p)
    return chosen


def attach_engine(store: Store) -> Engine:
    """The engine evaluating this store's ingest batches: the one attached, or a new one
    attached now (the collector, ``lingtan ingest`` and ``serve`` all stream through it)."""
    for fn in store.batch_listeners:
        owner = getattr(fn, "__self__", None)
        if isinstance(owner, Engine):
            return owner
    return Engine(store).attach()
