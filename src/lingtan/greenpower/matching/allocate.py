"""Hourly green-power matching (绿电溯源): allocate green supply to consumers hour by hour.

The platform requirement is 零碳产业园区 standard clause 8.2.2 (the park platform traces green
power, 绿电交易、溯源) and 7.1.6 (generation and consumption data managed together so the source
of electricity can be proven). The method follows the hourly-matching (24/7 carbon-free
energy) accounting of the GHG Protocol Scope 2 market-based quality criteria and the
"carbon-free energy score" of hourly matching:

* every source kWh of every hour goes to at most one consumer, or stays unmatched
  (no double count);
* a consumer's matched energy in an hour never exceeds its load in that hour;
* Σ supply = Σ matched + unmatched (+ storage losses and what stays in storage) — energy is
  conserved, which the property tests check on random inputs.

Sources are taken in a fixed merit order, physical before contractual: on-site PV, direct
supply (绿电直连), storage discharge (its green share), contracted green-power trades
(绿电交易), then certificates (绿证). Within a kind, supply dedicated to one consumer (its own
PV, its own contract) comes before supply of the park pool (park PV, park storage, park-level
contracts), which is shared by an explicit rule: ``pro_rata`` (by each consumer's remaining
load in that hour) or ``priority`` (consumers served in a stated order until the supply runs
out).

Everything is arrays: loads ``[consumers × hours]``, dedicated supply ``[consumers × hours]``,
pooled supply ``[hours]``; each step is one vectorised pass. Only the storage's state of
green charge walks the hours one by one (:mod:`lingtan.greenpower.matching.storage`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput
from lingtan.greenpower.matching.storage import StorageFlows, StorageResult, track_green_share

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: source kinds in merit order (physical first, then contractual)
SOURCES: Final = ("pv", "direct", "storage", "trade", "certificate")
#: sources that reach the consumer physically (zero-emission in location-based accounting)
PHYSICAL: Final = frozenset({"pv", "direct", "storage"})

Rule = Literal["pro_rata", "priority"]
RULES: Final = ("pro_rata", "priority")


@dataclass(frozen=True)
class MatchingInput:
    """Hourly energy of one park for one period [kWh].

    ``load`` is each consumer's end-use consumption; ``dedicated[kind]`` is green supply that
    belongs to one consumer (its row); ``pooled[kind]`` is park-level green supply shared
    among all consumers by ``rule``. ``storage`` is park storage, whose discharge carries the
    green share it was charged with; it charges from the pooled PV left after the loads.
    """

    load: F64
    dedicated: Mapping[str, F64] = field(default_factory=dict)
    pooled: Mapping[str, F64] = field(default_factory=dict)
    storage: StorageFlows | None = None
    rule: Rule = "pro_rata"
    #: consumer rows in the order they are served under ``rule="priority"``
    priority: Sequence[int] | None = None


@dataclass(frozen=True)
class MatchingResult:
    """Hour-by-hour allocation; every array is [kWh]."""

    #: matched energy per source kind, [consumers × hours]
    matched: dict[str, F64]
    #: supply left without a consumer per source kind, [hours] (dedicated and pooled summed)
    unmatched: dict[str, F64]
    #: supply per source kind as offered, [hours] (dedicated and pooled summed)
    supply: dict[str, F64]
    #: load left after every source, [consumers × hours]
    residual: F64
    load: F64
    storage: StorageResult | None

    @property
    def matched_total(self) -> F64:
        """Green energy matched per consumer and hour, all sources [consumers × hours]."""
        out = np.zeros_like(self.load)
        for m in self.matched.values():
            out += m
        return out

    def cfe(self, axis: int | None = None) -> F64 | float:
        """Carbon-free-energy score: matched ÷ load (see :func:`cfe_score`)."""
        return cfe_score(self.matched_total, self.load, axis=axis)


def _check(name: str, a: F64, shape: tuple[int, ...]) -> F64:
    arr = np.asarray(a, dtype=np.float64)
    if arr.shape != shape:
        raise InvalidInput(f"{name} has shape {arr.shape}, expected {shape}", field=name)
    if not np.isfinite(arr).all():
        raise InvalidInput(f"{name} holds a value that is not finite", field=name)
    if (arr < 0).any():
        raise InvalidInput(f"{name} holds a negative energy", field=name)
    return arr


def _share_pooled(supply: F64, residual: F64, rule: Rule, order: I64 | None) -> tuple[F64, F64]:
    """Split pooled ``supply`` [hours] over consumers' ``residual`` [consumers × hours].

    Returns (matched [consumers × hours], unmatched [hours]).
    """
    total = residual.sum(axis=0)
    if rule == "pro_rata":
        served = np.minimum(supply, total)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, served / total, 0.0)
        matched = residual * share
    else:
        assert order is not None
        ranked = residual[order]
        # what the consumers ahead in the order take before each one
        before = np.cumsum(ranked, axis=0) - ranked
        taken = np.clip(supply - before, 0.0, ranked)
        matched = np.empty_like(residual)
        matched[order] = taken
        served = taken.sum(axis=0)
    # never more than each consumer's residual, whatever rounding did
    matched = np.minimum(matched, residual)
    # the sum can exceed the supply by a rounding ulp: never report a negative remainder
    return matched, np.maximum(supply - matched.sum(axis=0), 0.0)


def match_hourly(data: MatchingInput) -> MatchingResult:
    """Allocate every source kind to the consumers, hour by hour.

    Parameters
    ----------
    data : MatchingInput
        Loads [kWh] as ``[consumers × hours]``, dedicated supply per kind as
        ``[consumers × hours]``, pooled supply per kind as ``[hours]``.

    Returns
    -------
    MatchingResult

    Notes
    -----
    For each source kind k in merit order, with residual load r_c,h (initially the load):

    * dedicated: m_c,h = min(s_c,h, r_c,h); unmatched u_h += Σ_c (s_c,h − m_c,h)
    * pooled, pro rata: m_c,h = r_c,h · min(S_h, R_h) / R_h with R_h = Σ_c r_c,h
    * pooled, priority: m_c,h = clip(S_h − Σ_{c' before c} r_c',h, 0, r_c,h)
    * r_c,h ← r_c,h − m_c,h

    so Σ_c m_c,h ≤ S_h and m_c,h ≤ r_c,h (GHG Protocol Scope 2 Guidance, 2015, ch. 7
    quality criteria 1–2: each MWh of attribute counted once, by one consumer).
    """
    load = np.asarray(data.load, dtype=np.float64)
    if load.ndim != 2:
        raise InvalidInput(f"load has {load.ndim} dimensions, expected 2", field="load")
    consumers, hours = load.shape
    load = _check("load", load, (consumers, hours))
    if data.rule not in RULES:
        raise InvalidInput(f"rule must be one of {RULES}, got {data.rule!r}", field="rule")
    unknown = (set(data.dedicated) | set(data.pooled)) - set(SOURCES)
    if unknown:
        raise InvalidInput(
            f"unknown source kinds {sorted(unknown)}; known: {SOURCES}", field="source"
        )
    if data.storage is not None and ("storage" in data.pooled or "storage" in data.dedicated):
        raise InvalidInput(
            "storage discharge is given either as storage flows or as green supply, not both",
            field="storage",
        )
    order: I64 | None = None
    if data.rule == "priority":
        order = np.asarray(
            list(data.priority) if data.priority is not None else range(consumers), np.int64
        )
        if sorted(order.tolist()) != list(range(consumers)):
            raise InvalidInput(
                "priority must list every consumer row exactly once", field="priority"
            )
    dedicated = {
        k: _check(f"dedicated.{k}", v, (consumers, hours)) for k, v in data.dedicated.items()
    }
    pooled = {k: _check(f"pooled.{k}", v, (hours,)) for k, v in data.pooled.items()}

    residual = load.copy()
    matched: dict[str, F64] = {}
    unmatched: dict[str, F64] = {}
    supply: dict[str, F64] = {}
    storage_result: StorageResult | None = None
    #: pooled supply no consumer took, per kind (the park storage charges from pooled PV)
    pool_left: dict[str, F64] = {}
    for kind in SOURCES:
        m_kind = np.zeros_like(load)
        u_kind = np.zeros(hours)
        s_kind = np.zeros(hours)
        if kind == "storage" and data.storage is not None:
            # the storage charges from the pooled PV no consumer took; what it stores is green
            pv_left = pool_left.get("pv", np.zeros(hours))
            storage_result = track_green_share(data.storage, pv_left)
            if "pv" in unmatched:
                unmatched["pv"] = unmatched["pv"] - storage_result.green_in
            pool_kind: F64 | None = storage_result.green_out
            ded_kind = None
        else:
            ded_kind = dedicated.get(kind)
            pool_kind = pooled.get(kind)
            if ded_kind is None and pool_kind is None:
                continue
        if ded_kind is not None:
            m = np.minimum(ded_kind, residual)
            residual -= m
            m_kind += m
            u_kind += (ded_kind - m).sum(axis=0)
            s_kind += ded_kind.sum(axis=0)
        if pool_kind is not None:
            m, u = _share_pooled(pool_kind, residual, data.rule, order)
            pool_left[kind] = u
            residual -= m
            m_kind += m
            u_kind += u
            s_kind += pool_kind
        matched[kind] = m_kind
        unmatched[kind] = u_kind
        supply[kind] = s_kind
    return MatchingResult(
        matched, unmatched, supply, np.maximum(residual, 0.0), load, storage_result
    )


def cfe_score(matched: F64, load: F64, axis: int | None = None) -> F64 | float:
    """Carbon-free-energy score (CFE %) [fraction 0..1]: Σ matched ÷ Σ load.

    Parameters
    ----------
    matched : array [kWh]
        Green energy matched hour by hour.
    load : array [kWh]
        Consumption of the same hours.
    axis : int, optional
        Sum along this axis (None: everything).

    Notes
    -----
    CFE = Σ_h min(green_h, load_h) / Σ_h load_h — the hourly-matching score; the min is taken
    by :func:`match_hourly`. NaN where the load is zero (no consumption: no score).
    """
    m = np.sum(matched, axis=axis)
    d = np.sum(load, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(d > 0, m / np.where(d > 0, d, 1.0), np.nan)
    if np.ndim(out) == 0:
        return float(out)
    return np.asarray(out, dtype=np.float64)


def month_index(hours_us: I64, utc_offset_us: I64 | int) -> tuple[I64, I64]:
    """Local calendar month of each hour: (month keys ``year*12 + month - 1``, inverse index).

    ``utc_offset_us`` is the park's offset from UTC for each hour (or one value).
    """
    local = np.asarray(hours_us, np.int64) + np.asarray(utc_offset_us, np.int64)
    days = local // (86_400 * 1_000_000)
    dates = np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")
    months = dates.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    keys, inverse = np.unique(months, return_inverse=True)
    return keys.astype(np.int64), inverse.astype(np.int64)


def aggregate_months(values: F64, inverse: I64, months: int) -> F64:
    """Sum the last axis of ``values`` into ``months`` buckets given by ``inverse``."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        return np.bincount(inverse, weights=arr, minlength=months).astype(np.float64)
    # one weighted bincount over (row, month) pairs: a single vectorised pass
    rows = arr.shape[0]
    flat = (np.arange(rows)[:, None] * months + inverse[None, :]).ravel()
    summed = np.bincount(flat, weights=arr.ravel(), minlength=rows * months)
    return summed.reshape(rows, months).astype(np.float64)


def match_monthly(
    data: MatchingInput, result: MatchingResult, inverse: I64, months: int
) -> MatchingResult:
    """The same allocation on monthly totals (the monthly-matching basis).

    Storage enters as the green energy it actually discharged each month (from the hourly
    tracking in ``result``); the pooled PV that charged the storage is taken out of the
    month's pooled PV (it is offered once, as the storage's green discharge, not twice).
    Everything else is summed per month and matched by the same rule. The difference to the
    hourly result is the monthly-vs-hourly matching gap.
    """
    pooled_hours = dict(data.pooled)
    if result.storage is not None:
        if "pv" in pooled_hours:
            # green_in ≤ the pooled PV left in each hour: the difference is never negative
            pooled_hours["pv"] = np.maximum(pooled_hours["pv"] - result.storage.green_in, 0.0)
        pooled_hours["storage"] = result.storage.green_out
    pooled = {k: aggregate_months(v, inverse, months) for k, v in pooled_hours.items()}
    return match_hourly(
        MatchingInput(
            load=aggregate_months(data.load, inverse, months),
            dedicated={k: aggregate_months(v, inverse, months) for k, v in data.dedicated.items()},
            pooled=pooled,
            rule=data.rule,
            priority=data.priority,
        )
    )
