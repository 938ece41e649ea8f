"""Pure condition evaluators of the alarm engine (告警条件判定).

The engine calls one evaluator per (rule, subject) with the new readings of one committed
ingest batch — timestamps as int64 epoch microseconds UTC sorted ascending, values as float64 —
and the :class:`ConditionState` it persisted after the previous batch. The evaluator returns the
new state and the :class:`Transition` list (raise / clear) the batch produced, several if the
condition came and went within the batch. Nothing here touches the store or does I/O.

Common rules of the streaming evaluators (:func:`threshold`, :func:`rate_of_change`,
:func:`deviation`):

- A sample with ``ts <= state.last_ts`` (a re-send or late data) is not live and is ignored; so
  is a repeated timestamp inside a batch (the first occurrence counts).
- A sample whose value is NaN or ±inf gives no judgement (it is skipped; only ``last_ts``
  advances).
- Hold (持续时间): a violating sample starts a pending episode; the alarm raises at the first
  violating sample with ``ts - pending_since >= hold_s``; a non-violating sample resets it.
- Evaluating a series in one batch or split into batches at any points gives the same
  transitions (the state carries everything needed; the rate-of-change window is exact up to
  :data:`WINDOW_CAP` samples kept).

The vectorised part finds the candidate indices with numpy; Python only loops over transitions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

SECOND_US: Final = 1_000_000
WINDOW_CAP: Final = 512
"""Most samples the rate-of-change window keeps after pruning (the newest are kept)."""


# --------------------------------------------------------------------------------------------
# State and transitions


@dataclass(slots=True)
class ConditionState:
    """What an evaluator remembers between batches for one (rule, subject).

    ``active``: the alarm condition holds (raised, not yet cleared). ``since`` [µs]: first
    violating sample of the active episode (the one that started the hold). ``pending_since``
    [µs]: first violating sample of a hold not yet complete. ``last_ts`` [µs]: newest sample
    seen (live or skipped). ``last_value``: value of the newest judged sample. ``peak``: worst
    value of the current episode (pending or active) — the reading for thresholds, the step
    size for rate of change, |actual − expected| for deviation, the projection for budgets.
    ``window``: recent (ts [µs], value) samples, only for rate of change.
    """

    active: bool = False
    since: int | None = None
    pending_since: int | None = None
    last_ts: int | None = None
    last_value: float | None = None
    peak: float | None = None
    window: list[tuple[int, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A compact JSON-able dict: keys with a None/empty/False value are left out."""
        out: dict[str, Any] = {}
        if self.active:
            out["active"] = True
        for key in ("since", "pending_since", "last_ts", "last_value", "peak"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.window:
            out["window"] = [[t, v] for t, v in self.window]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ConditionState:
        """Inverse of :meth:`to_json` (None or ``{}`` gives a fresh state)."""
        if not data:
            return cls()

        def _int(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        def _float(key: str) -> float | None:
            value = data.get(key)
            return None if value is None else float(value)

        return cls(
            active=bool(data.get("active", False)),
            since=_int("since"),
            pending_since=_int("pending_since"),
            last_ts=_int("last_ts"),
            last_value=_float("last_value"),
            peak=_float("peak"),
            window=[(int(t), float(v)) for t, v in data.get("window", [])],
        )


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of the condition: ``raise`` or ``clear``.

    ``at`` [µs]: the sample that completed the hold (raise) or ended the condition (clear);
    ``value``: that sample's value; ``since`` [µs]: start of the episode; ``peak``: worst value
    of the episode up to ``at`` (same meaning as :attr:`ConditionState.peak`).
    """

    what: Literal["raise", "clear"]
    at: int
    value: float
    since: int
    peak: float


# --------------------------------------------------------------------------------------------
# Parameters


def _finite(name: str, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def _hold_us(hold_s: float) -> int:
    return round(hold_s * SECOND_US)


@dataclass(frozen=True, slots=True)
class Threshold:
    """Limit rule (越限): ``above`` a high limit, ``below`` a low limit or ``outside`` both.

    ``high``/``low`` in the subject's unit; ``hold_s`` [s] the violation must last before the
    alarm raises; ``hysteresis`` (回差) [subject unit] the value must come back inside by before
    it clears.
    """

    op: Literal["above", "below", "outside"]
    high: float | None = None
    low: float | None = None
    hold_s: float = 0.0
    hysteresis: float = 0.0

    def __post_init__(self) -> None:
        if self.op not in ("above", "below", "outside"):
            raise ValueError(f"op must be 'above', 'below' or 'outside', got {self.op!r}")
        for name in ("high", "low", "hold_s", "hysteresis"):
            _finite(name, getattr(self, name))
        if self.op in ("above", "outside") and self.high is None:
            raise ValueError(f"high is required for op {self.op!r}")
        if self.op in ("below", "outside") and self.low is None:
            raise ValueError(f"low is required for op {self.op!r}")
        if self.hold_s < 0:
            raise ValueError(f"hold_s must be >= 0, got {self.hold_s}")
        if self.hysteresis < 0:
            raise ValueError(f"hysteresis must be >= 0, got {self.hysteresis}")
        if self.op == "outside":
            assert self.high is not None
            assert self.low is not None
            if not self.low < self.high:
                raise ValueError(f"low ({self.low}) must be < high ({self.high}) for 'outside'")
            if not self.hysteresis < (self.high - self.low) / 2:
                raise ValueError(
                    f"hysteresis ({self.hysteresis}) must be < (high - low) / 2 "
                    f"({(self.high - self.low) / 2}) for 'outside'"
                )


@dataclass(frozen=True, slots=True)
class RateOfChange:
    """Step rule (突变): a change of more than ``max_step`` within ``within_s`` [s].

    ``direction``: ``rise`` (v − v_old > max_step), ``fall`` (v_old − v > max_step) or
    ``either``. ``hold_s`` [s] as for thresholds.
    """

    max_step: float
    within_s: float
    direction: Literal["rise", "fall", "either"] = "either"
    hold_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("max_step", "within_s", "hold_s"):
            _finite(name, getattr(self, name))
        if not self.max_step > 0:
            raise ValueError(f"max_step must be > 0, got {self.max_step}")
        if not self.within_s > 0:
            raise ValueError(f"within_s must be > 0, got {self.within_s}")
        if self.direction not in ("rise", "fall", "either"):
            raise ValueError(
                f"direction must be 'rise', 'fall' or 'either', got {self.direction!r}"
            )
        if self.hold_s < 0:
            raise ValueError(f"hold_s must be >= 0, got {self.hold_s}")


@dataclass(frozen=True, slots=True)
class Deviation:
    """Deviation rule (偏差): actual vs expected differ by more than ``max_pct`` [%] of |expected|.

    ``min_abs`` [subject unit] is the smallest difference that counts (so an expected value of 0
    does not make every difference a violation); ``hysteresis_pct`` [%] the difference must come
    back under ``max_pct - hysteresis_pct`` before it clears; ``hold_s`` [s] as for thresholds.
    """

    max_pct: float
    min_abs: float = 0.0
    hold_s: float = 0.0
    hysteresis_pct: float = 0.0

    def __post_init__(self) -> None:
        for name in ("max_pct", "min_abs", "hold_s", "hysteresis_pct"):
            _finite(name, getattr(self, name))
        if not self.max_pct > 0:
            raise ValueError(f"max_pct must be > 0, got {self.max_pct}")
        if self.min_abs < 0:
            raise ValueError(f"min_abs must be >= 0, got {self.min_abs}")
        if self.hold_s < 0:
            raise ValueError(f"hold_s must be >= 0, got {self.hold_s}")
        if not 0 <= self.hysteresis_pct < self.max_pct:
            raise ValueError(
                f"hysteresis_pct must be >= 0 and < max_pct ({self.max_pct}), "
                f"got {self.hysteresis_pct}"
            )


# --------------------------------------------------------------------------------------------
# Shared machinery


def _series(ts: ArrayLike, values: ArrayLike, name: str = "values") -> tuple[I64, F64]:
    t = np.asarray(ts, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if t.ndim != 1 or v.ndim != 1 or len(t) != len(v):
        raise ValueError(f"ts and {name} must be 1-D arrays of the same length")
    if len(t) > 1 and bool(np.any(t[1:] < t[:-1])):
        raise ValueError("ts must be sorted ascending")
    return t, v


def _live(last_ts: int | None, t: I64) -> B:
    """Samples newer than ``last_ts`` and not a repeat of the previous timestamp."""
    mask = np.ones(len(t), dtype=np.bool_)
    if len(t) > 1:
        mask[1:] = t[1:] != t[:-1]
    if last_ts is not None:
        mask &= t > last_ts
    return mask


def _newest(last_ts: int | None, t: I64) -> int | None:
    if len(t) == 0:
        return last_ts
    newest = int(t[-1])
    return newest if last_ts is None else max(last_ts, newest)


def _worst(
    bad: F64,
    peakv: F64,
    start: int,
    stop: int,
    carry: float | None,
    bad_of: Callable[[float], float],
) -> float | None:
    """Worst peak value over samples [start, stop), compared with a carried peak."""
    if stop <= start:
        return carry
    j = start + int(np.argmax(bad[start:stop]))
    if carry is not None and bad_of(carry) >= bad[j]:
        return carry
    return float(peakv[j])


def _episodes(
    state: ConditionState,
    ts: I64,
    values: F64,
    viol: B,
    clear_ok: B,
    bad: F64,
    peakv: F64,
    bad_of: Callable[[float], float],
    hold_us: int,
) -> tuple[ConditionState, list[Transition]]:
    """Run the hold / raise / clear state machine over judged samples.

    ``viol``: the sample violates; ``clear_ok``: the sample ends an active episode (every such
    sample must also be non-violating, so a run of violations never spans a clear). ``bad``
    orders samples by how bad they are, ``peakv`` is what is reported as the peak.
    """
    n = len(ts)
    active, since = state.active, state.since
    pending, peak = state.pending_since, state.peak
    transitions: list[Transition] = []
    if n == 0:
        return ConditionState(active, since, pending, state.last_ts, state.last_value, peak), []

    idx = np.arange(n)
    run_start = np.maximum.accumulate(np.where(viol, -1, idx)) + 1  # first index of each run
    start_ts = ts[np.minimum(run_start, n - 1)]
    carried = False  # the batch continues a pending hold
    if not active and pending is not None:
        carried = True
        start_ts = np.where(run_start == 0, np.int64(pending), start_ts)
    ok_idx = np.flatnonzero(viol & (ts - start_ts >= hold_us))
    clear_idx = np.flatnonzero(clear_ok)

    pos = 0
    while pos < n:
        if not active:
            k = int(np.searchsorted(ok_idx, pos))
            if k == len(ok_idx):
                break
            r = int(ok_idx[k])
            s = int(run_start[r])
            carry = peak if (s == 0 and carried) else None
            pk = _worst(bad, peakv, s, r + 1, carry, bad_of)
            since = int(start_ts[r])
            peak = float(values[r]) if pk is None else pk
            transitions.append(Transition("raise", int(ts[r]), float(values[r]), since, peak))
            active, pending = True, None
            pos = r + 1
        else:
            k = int(np.searchsorted(clear_idx, pos))
            if k == len(clear_idx):
                peak = _worst(bad, peakv, pos, n, peak, bad_of)
                pos = n
                break
            c = int(clear_idx[k])
            pk = _worst(bad, peakv, pos, c, peak, bad_of)
            assert since is not None
            transitions.append(
                Transition(
                    "clear",
                    int(ts[c]),
                    float(values[c]),
                    since,
                    float(values[c]) if pk is None else pk,
                )
            )
            active, since, peak, pending = False, None, None, None
            carried = False
            pos = c + 1

    if not active:
        if viol[n - 1]:
            s = int(run_start[n - 1])
            carry = peak if (s == 0 and carried) else None
            pending = int(start_ts[n - 1])
            peak = _worst(bad, peakv, s, n, carry, bad_of)
        else:
            pending, peak = None, None
    new = ConditionState(
        active=active,
        since=since,
        pending_since=pending,
        last_ts=state.last_ts,
        last_value=float(values[-1]),
        peak=peak,
    )
    return new, transitions


# --------------------------------------------------------------------------------------------
# Threshold


def threshold(
    params: Threshold, state: ConditionState, ts: ArrayLike, values: ArrayLike
) -> tuple[ConditionState, list[Transition]]:
    """Evaluate a limit rule (越限) over one batch.

    ``ts`` [µs epoch UTC, ascending], ``values`` [subject unit]. A sample violates when
    value > high (``above``), value < low (``below``) or either (``outside``). An active alarm
    clears at the first sample back inside by more than the hysteresis: value <= high −
    hysteresis (above), value >= low + hysteresis (below), both (outside); samples between the
    limit and the hysteresis band keep it active. Returns the new state and the transitions.
    """
    t, v = _series(ts, values)
    live = _live(state.last_ts, t)
    judged = live & np.isfinite(v)
    tj, vj = t[judged], v[judged]
    high = math.inf if params.high is None else params.high
    low = -math.inf if params.low is None else params.low
    h = params.hysteresis
    if params.op == "above":
        viol = vj > high
        clear_ok = vj <= high - h
        bad = vj

        def bad_of(p: float) -> float:
            return p

    elif params.op == "below":
        viol = vj < low
        clear_ok = vj >= low + h
        bad = -vj

        def bad_of(p: float) -> float:
            return -p

    else:
        viol = (vj > high) | (vj < low)
        clear_ok = (vj <= high - h) & (vj >= low + h)
        bad = np.maximum(vj - high, low - vj)

        def bad_of(p: float) -> float:
            return max(p - high, low - p)

    base = _with_last_ts(state, _newest(state.last_ts, t))
    return _episodes(base, tj, vj, viol, clear_ok, bad, vj, bad_of, _hold_us(params.hold_s))


def _with_last_ts(state: ConditionState, last_ts: int | None) -> ConditionState:
    return ConditionState(
        state.active,
        state.since,
        state.pending_since,
        last_ts,
        state.last_value,
        state.peak,
        list(state.window),
    )


# --------------------------------------------------------------------------------------------
# Rate of change


def _range_extrema(a: F64, lo: I64, hi: I64) -> tuple[F64, F64]:
    """Min and max of ``a[lo[k]:hi[k]]`` for every k (sparse table; empty ranges give ±inf)."""
    m = len(lo)
    out_min = np.full(m, np.inf)
    out_max = np.full(m, -np.inf)
    if len(a) == 0 or m == 0:
        return out_min, out_max
    mins, maxs = [a], [a]
    width = 1
    while 2 * width <= len(a):
        prev_min, prev_max = mins[-1], maxs[-1]
        mins.append(np.minimum(prev_min[:-width], prev_min[width:]))
        maxs.append(np.maximum(prev_max[:-width], prev_max[width:]))
        width *= 2
    length = hi - lo
    nonempty = length > 0
    lo_n, hi_n, len_n = lo[nonempty], hi[nonempty], length[nonempty]
    level = (np.frexp(len_n)[1] - 1).astype(np.int64)  # floor(log2(length)), exact
    res_min = np.empty(len(lo_n))
    res_max = np.empty(len(lo_n))
    for lv in np.unique(level):
        sel = level == lv
        w = 1 << int(lv)
        left, right = lo_n[sel], hi_n[sel] - w
        res_min[sel] = np.minimum(mins[lv][left], mins[lv][right])
        res_max[sel] = np.maximum(maxs[lv][left], maxs[lv][right])
    out_min[nonempty] = res_min
    out_max[nonempty] = res_max
    return out_min, out_max


def _prune_window(wt: I64, wv: F64, keep_from: int) -> list[tuple[int, float]]:
    """Samples a later query can still need: newer than ``keep_from`` [µs] and not dominated.

    A future window is always a suffix of the kept samples, so a sample with a later sample at
    least as low can never be the window minimum, nor one with a later sample at least as high
    the maximum; keeping the rest is exact. Beyond :data:`WINDOW_CAP` the newest are kept.
    """
    sel = wt >= keep_from
    wt, wv = wt[sel], wv[sel]
    if len(wt) == 0:
        return []
    rev = wv[::-1]
    later_min = np.concatenate([np.minimum.accumulate(rev)[::-1][1:], [np.inf]])
    later_max = np.concatenate([np.maximum.accumulate(rev)[::-1][1:], [-np.inf]])
    keep = (wv < later_min) | (wv > later_max)
    wt, wv = wt[keep][-WINDOW_CAP:], wv[keep][-WINDOW_CAP:]
    return [(int(a), float(b)) for a, b in zip(wt, wv, strict=True)]


def rate_of_change(
    params: RateOfChange, state: ConditionState, ts: ArrayLike, values: ArrayLike
) -> tuple[ConditionState, list[Transition]]:
    """Evaluate a step rule (突变) over one batch.

    ``ts`` [µs epoch UTC, ascending], ``values`` [subject unit]. A sample at ``ts`` violates
    when it differs from any earlier judged sample in [ts − within_s, ts) by more than
    ``max_step`` in the given direction (rise: v − v_old > max_step; fall: v_old − v >
    max_step). The alarm raises on violation (after ``hold_s`` [s]) and clears at the first
    later sample that does not violate. The peak is the largest step seen [subject unit].
    """
    t, v = _series(ts, values)
    live = _live(state.last_ts, t)
    judged = live & np.isfinite(v)
    tj, vj = t[judged], v[judged]
    within_us = round(params.within_s * SECOND_US)
    if state.window:
        wt = np.array([a for a, _ in state.window], dtype=np.int64)
        wv = np.array([b for _, b in state.window], dtype=np.float64)
    else:
        wt, wv = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    all_t = np.concatenate([wt, tj])
    all_v = np.concatenate([wv, vj])
    here = np.arange(len(wt), len(all_t), dtype=np.int64)
    lo = np.searchsorted(all_t, tj - within_us, side="left").astype(np.int64)
    wmin, wmax = _range_extrema(all_v, lo, here)
    rise = vj - wmin  # -inf when the window is empty
    fall = wmax - vj
    if params.direction == "rise":
        step = rise
    elif params.direction == "fall":
        step = fall
    else:
        step = np.maximum(rise, fall)
    viol = step > params.max_step
    base = _with_last_ts(state, _newest(state.last_ts, t))
    new, transitions = _episodes(
        base, tj, vj, viol, ~viol, step, step, lambda p: p, _hold_us(params.hold_s)
    )
    if new.last_ts is not None:
        new.window = _prune_window(all_t, all_v, new.last_ts + 1 - within_us)
    return new, transitions


# --------------------------------------------------------------------------------------------
# Deviation


def deviation(
    params: Deviation,
    state: ConditionState,
    ts: ArrayLike,
    actual: ArrayLike,
    expected: ArrayLike,
) -> tuple[ConditionState, list[Transition]]:
    """Evaluate a deviation rule (偏差) of ``actual`` vs ``expected`` [same unit] over one batch.

    A sample violates when |a − e| > max(min_abs, max_pct/100 × |e|) and ends an active alarm
    when |a − e| <= max(min_abs, (max_pct − hysteresis_pct)/100 × |e|). NaN (or ±inf) on either
    side gives no judgement. Transitions carry the actual value; the peak is the largest
    |a − e| of the episode.
    """
    t, a = _series(ts, actual, "actual")
    _, e = _series(ts, expected, "expected")
    live = _live(state.last_ts, t)
    judged = live & np.isfinite(a) & np.isfinite(e)
    tj, aj, ej = t[judged], a[judged], e[judged]
    diff = np.abs(aj - ej)
    limit = np.maximum(params.min_abs, params.max_pct / 100 * np.abs(ej))
    clear_limit = np.maximum(
        params.min_abs, (params.max_pct - params.hysteresis_pct) / 100 * np.abs(ej)
    )
    viol = diff > limit
    clear_ok = diff <= clear_limit
    base = _with_last_ts(state, _newest(state.last_ts, t))
    return _episodes(base, tj, aj, viol, clear_ok, diff, diff, lambda p: p, _hold_us(params.hold_s))


# --------------------------------------------------------------------------------------------
# Freshness and budget (scheduled)


def stale(last_ts: int | None, now: int, interval_s: float, factor: float) -> bool:
    """True when nothing arrived for more than ``factor × interval_s`` [s] before ``now`` [µs].

    ``last_ts`` [µs] is the newest reading; for a point that never reported pass the instant it
    was declared (so it becomes stale once declared for that long). ``None`` (nothing known at
    all) counts as stale.
    """
    _finite("interval_s", interval_s)
    _finite("factor", factor)
    if not interval_s > 0:
        raise ValueError(f"interval_s must be > 0, got {interval_s}")
    if not factor > 0:
        raise ValueError(f"factor must be > 0, got {factor}")
    if last_ts is None:
        return True
    return now - last_ts > factor * interval_s * SECOND_US


def projected_month_total(used: float, elapsed_s: float, month_s: float) -> float:
    """Linear projection of a month's total: used × month_s / elapsed_s [unit of ``used``].

    ``elapsed_s`` [s] of the month so far, ``month_s`` [s] its length. It assumes the rest of
    the month runs at the average rate so far (a plain linear projection, no seasonality).
    """
    _finite("used", used)
    _finite("elapsed_s", elapsed_s)
    _finite("month_s", month_s)
    if not month_s > 0:
        raise ValueError(f"month_s must be > 0, got {month_s}")
    if not 0 < elapsed_s <= month_s:
        raise ValueError(f"elapsed_s must be > 0 and <= month_s ({month_s}), got {elapsed_s}")
    return used * month_s / elapsed_s


def budget(
    state: ConditionState,
    now: int,
    used: float,
    elapsed_s: float,
    month_s: float,
    target: float,
    warn_pct: float = 100.0,
    hysteresis_pct: float = 0.0,
    min_elapsed_s: float = 86400.0,
) -> tuple[ConditionState, list[Transition]]:
    """Evaluate a monthly budget rule (预算) at ``now`` [µs].

    ``used`` [budget unit] so far, ``elapsed_s``/``month_s`` [s], ``target`` [budget unit] of
    the month, ``warn_pct`` [%] of the target the projection may reach. Raises when the
    projection (:func:`projected_month_total`) exceeds target × warn_pct/100 — judged only once
    ``min_elapsed_s`` [s] of the month have passed — or at once when ``used`` alone exceeds
    the target. Clears when ``used <= target`` and the projection is <= target × (warn_pct −
    hysteresis_pct)/100 (before ``min_elapsed_s``: when ``used <= target``). A new month is a
    fresh state (the engine passes one). Calls with ``now <= state.last_ts`` change nothing.
    Transitions carry the projection (or ``used`` before ``min_elapsed_s``); the peak is the
    highest of them in the episode.
    """
    for name, value in (
        ("used", used),
        ("elapsed_s", elapsed_s),
        ("month_s", month_s),
        ("target", target),
        ("warn_pct", warn_pct),
        ("hysteresis_pct", hysteresis_pct),
        ("min_elapsed_s", min_elapsed_s),
    ):
        _finite(name, value)
    if not month_s > 0:
        raise ValueError(f"month_s must be > 0, got {month_s}")
    if not 0 <= elapsed_s <= month_s:
        raise ValueError(f"elapsed_s must be >= 0 and <= month_s ({month_s}), got {elapsed_s}")
    if not target > 0:
        raise ValueError(f"target must be > 0, got {target}")
    if not warn_pct > 0:
        raise ValueError(f"warn_pct must be > 0, got {warn_pct}")
    if not 0 <= hysteresis_pct < warn_pct:
        raise ValueError(
            f"hysteresis_pct must be >= 0 and < warn_pct ({warn_pct}), got {hysteresis_pct}"
        )
    if not min_elapsed_s > 0:
        raise ValueError(f"min_elapsed_s must be > 0, got {min_elapsed_s}")
    if state.last_ts is not None and now <= state.last_ts:
        return state, []

    new = _with_last_ts(state, now)
    if elapsed_s >= min_elapsed_s:
        judged = projected_month_total(used, elapsed_s, month_s)
        violates = judged > target * warn_pct / 100 or used > target
        clears = used <= target and judged <= target * (warn_pct - hysteresis_pct) / 100
    else:
        judged = used
        violates = used > target
        clears = not violates
    new.last_value = judged
    transitions: list[Transition] = []
    if not state.active:
        if violates:
            new.active, new.since, new.peak = True, now, judged
            transitions.append(Transition("raise", now, judged, now, judged))
    else:
        assert state.since is not None
        if clears:
            peak = judged if state.peak is None else state.peak
            transitions.append(Transition("clear", now, judged, state.since, peak))
            new.active, new.since, new.peak = False, None, None
        else:
            new.peak = judged if state.peak is None else max(state.peak, judged)
    return new, transitions


__all__ = [
    "WINDOW_CAP",
    "ConditionState",
    "Deviation",
    "RateOfChange",
    "Threshold",
    "Transition",
    "budget",
    "deviation",
    "projected_month_total",
    "rate_of_change",
    "stale",
    "threshold",
]
