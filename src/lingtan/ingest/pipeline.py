"""The ingest pipeline.

``ingest(store, readings)`` validates every reading at the boundary, persists the accepted
ones and the rejected ones (with their reason and raw payload) in one transaction, and only
then returns an :class:`IngestAck`. Re-sending a batch adds nothing; a different value for a
stored (point, timestamp) is quarantined as ``conflict`` and the stored value is kept.
Accepted readings are stored in the point's unit (a compatible unit is converted through
:mod:`lingtan.units`); nothing else about a reading is changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from lingtan import units
from lingtan.errors import InvalidInput
from lingtan.readings import Reading, ReadingColumns, epoch_us
from lingtan.store import PointRecord, RejectRow, Store
from lingtan.store.records import CommittedBatch
from lingtan.timeutil import to_us, utcnow

#: every reason a reading can be rejected for, with its explanation (docs/data-quality.md)
REASONS: Final[dict[str, str]] = {
    "malformed_row": "the record could not be read (a CSV line with an unbalanced quote, another delimiter or the wrong number of fields)",
    "missing_point": "the reading names no point",
    "unknown_point": "the point id is not declared in the park file",
    "virtual_point": "virtual points are computed from their members and take no readings",
    "naive_timestamp": "the timestamp has no UTC offset",
    "bad_timestamp": "the timestamp is not ISO 8601 or not a datetime",
    "future_timestamp": "the timestamp is further in the future than the allowed clock skew",
    "implausible_timestamp": "the timestamp is before 2000-01-01",
    "missing_value": "no value",
    "bad_value": "the value is not a number",
    "not_finite": "the value is NaN or infinite",
    "unknown_unit": "the unit is not in lingtan's unit table",
    "unit_mismatch": "the unit cannot be converted to the point's unit",
    "negative_register": "a total_increasing register cannot be negative",
    "negative_consumption": "interval consumption cannot be negative",
    "conflict": "a different value is already stored (or sent earlier in the batch) for this point and timestamp",
    "station_flag": "the monitoring station flagged the value as not valid (HJ 212 data flag other than N: maintenance, calibration, fault, out of range …)",
    "opcua_bad_status": "the OPC UA server reported the value with a Bad or Uncertain status code (OPC 10000-4 §7.39: sensor failure, not connected, last usable value …)",
    "iec104_quality": "the IEC 60870-5-104 outstation sent the value with a quality bit set (IEC 60870-5-101 §7.2.6.3–7.2.6.4: IV invalid, NT not topical, SB substituted, BL blocked, OV overflow)",
    "bacnet_status": "the BACnet object flagged the value fault or out-of-service in its Status_Flags (ANSI/ASHRAE 135 clause 12: the input is unreliable or decoupled from the physical input)",
}

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US: Final = dt.timedelta(microseconds=1)
_EARLIEST_US: Final = to_us(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
_POINT = operator.attrgetter("point")
_TS = operator.attrgetter("ts")
_VALUE = operator.attrgetter("value")
_UNIT = operator.attrgetter("unit")
_TZINFO = operator.attrgetter("tzinfo")
_ID = operator.attrgetter("id")
_PROBLEM = operator.attrgetter("problem")
_REASON = operator.attrgetter("reason")


@dataclass(frozen=True, slots=True)
class IngestAck:
    """What happened to a batch; returned only after the batch is committed."""

    batch_id: str
    accepted: int
    duplicates: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def received(self) -> int:
        """Readings in the batch."""
        return self.accepted + self.duplicates + self.rejected


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _reject(
    r: Reading, reason: str, detail: str, point: PointRecord | None, ts: int | None
) -> RejectRow:
    ts_text = r.ts.isoformat() if isinstance(r.ts, dt.datetime) else _text(r.ts)
    value_text = _text(r.value)
    # the payload as received; a connector that had none hands over the reading's own fields
    raw = r.raw
    if raw is None:
        fields = {"point": _text(r.point), "ts": ts_text, "value": value_text, "unit": r.unit}
        raw = json.dumps(fields, ensure_ascii=False)
    return RejectRow(
        point_code=_text(r.point),
        point_id=None if point is None else point.id,
        ts_text=ts_text,
        ts=ts,
        value_text=value_text,
        unit=r.unit,
        reason=reason,
        detail=detail,
        source=r.source,
        raw=raw,
    )


#: time zones whose ``utcoffset`` is never None: their datetimes convert exactly below
_FIXED_TZ_TYPES = (dt.timezone, ZoneInfo)


def _clean_columns(
    readings: Sequence[Reading], points: dict[str, PointRecord]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]] | None:
    """Columns of a batch that needs no per-reading care — known points, aware datetimes,
    numeric values in the points' own units — or None (then every reading is examined one by
    one). Gateways send such batches; the checks run at C speed (``map``/``set``) so that the
    pipeline stays close to the database's own speed."""
    if any(map(_PROBLEM, readings)) or any(map(_REASON, readings)):
        return None
    try:
        records = list(map(points.__getitem__, map(_POINT, readings)))
    except KeyError:
        return None
    stamps = list(map(_TS, readings))
    if set(map(type, stamps)) != {dt.datetime}:
        return None
    if not all(isinstance(tz, _FIXED_TZ_TYPES) for tz in set(map(_TZINFO, stamps))):
        return None
    values = list(map(_VALUE, readings))
    if not set(map(type, values)) <= {float, int}:
        return None
    if set(map(_UNIT, readings)) != {None} and any(
        r.unit is not None and r.unit != p.unit for r, p in zip(readings, records, strict=True)
    ):
        return None
    # datetime.timestamp() is correctly rounded and its error (< 0.25 µs for years before 2100)
    # is below half a microsecond, so rounding recovers the exact microsecond count.
    seconds = np.fromiter(map(dt.datetime.timestamp, stamps), np.float64, len(stamps))
    us = np.rint(seconds * 1e6).astype(np.int64)
    pids = np.fromiter(map(_ID, records), np.int64, len(records))
    try:
        return pids, us, np.array(values, np.float64)
    except OverflowError:  # an integer too large for a float: rejected one by one
        return None


def _ingest_clean(
    store: Store,
    readings: Sequence[Reading],
    columns: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
    latest: int,
    future_skew_s: float,
    *,
    source: str,
    received_at: int,
) -> IngestAck:
    pids, ts, values = columns
    by_id = store.registry.points_by_id()

    def make(k: int, reason: str, detail: str) -> RejectRow:
        r = readings[k]
        return _reject(r, reason, detail, by_id.get(int(pids[k])), int(ts[k]))

    good, rejects = _apply_checks(
        _vector_checks(by_id, pids, ts, values, latest, future_skew_s), len(ts), make
    )
    kept = np.flatnonzero(good)
    return _persist(
        store,
        pids[good],
        ts[good],
        values[good],
        rejects,
        lambda k, reason, detail: make(int(kept[k]), reason, detail),
        source=source,
        received_at=received_at,
    )


def ingest(
    store: Store,
    readings: Sequence[Reading],
    *,
    source: str = "",
    future_skew_s: float = 300.0,
    now: dt.datetime | None = None,
    refused: Sequence[tuple[Reading, str, str]] = (),
) -> IngestAck:
    """Validate and persist a batch of readings (see module docstring).

    A :class:`~lingtan.readings.ReadingColumns` batch (the collector's) takes the columnar
    path: its clean rows are checked as columns, its other rows one by one, with the same rules
    and the same outcome as the same readings in a list.

    ``refused`` holds readings the connector itself refuses, each with a reason of
    :data:`REASONS` and a detail (an HJ 212 value its station flagged as not valid): they are
    kept in the quarantine in the same transaction as the batch.
    """
    points = store.registry.points_by_code()
    now_us = to_us(now or utcnow())
    latest = now_us + int(future_skew_s * 1_000_000)
    if refused:
        if any(r.point not in points for r in [*readings, *(x[0] for x in refused)]):
            points = store.registry.points_current()
        pre = [
            _reject(r, reason, detail, points.get(r.point), epoch_us(r.ts))
            for r, reason, detail in refused
        ]
        return _ingest_one_by_one(
            store, readings, points, latest, future_skew_s, now_us, pre, source=source
        )
    if isinstance(readings, ReadingColumns):
        return _ingest_reading_columns(
            store, readings, points, latest, future_skew_s, source=source, received_at=now_us
        )
    fast = _clean_columns(readings, points)
    if fast is None and any(r.point not in points for r in readings):
        points = store.registry.points_current()  # a point declared since
        fast = _clean_columns(readings, points)
    if fast is not None:
        return _ingest_clean(
            store, readings, fast, latest, future_skew_s, source=source, received_at=now_us
        )
    return _ingest_one_by_one(
        store, readings, points, latest, future_skew_s, now_us, [], source=source
    )


def _ingest_one_by_one(
    store: Store,
    readings: Sequence[Reading],
    points: dict[str, PointRecord],
    latest: int,
    future_skew_s: float,
    now_us: int,
    rejects: list[RejectRow],
    *,
    source: str = "",
) -> IngestAck:
    """Every reading checked on its own (see :func:`_check_one`), then persisted with
    ``rejects`` (refused before the checks) in one transaction."""
    pids: list[int] = []
    stamps: list[int] = []
    values: list[float] = []
    kept: list[int] = []
    for i, r in enumerate(readings):
        checked = _check_one(r, points, latest, future_skew_s)
        if isinstance(checked, RejectRow):
            rejects.append(checked)
            continue
        pids.append(checked[0])
        stamps.append(checked[1])
        values.append(checked[2])
        kept.append(i)
    return _persist(
        store,
        np.array(pids, np.int64),
        np.array(stamps, np.int64),
        np.array(values, np.float64),
        rejects,
        lambda k, reason, detail: _reject(
            readings[kept[k]], reason, detail, points.get(readings[kept[k]].point), stamps[k]
        ),
        source=source,
        received_at=now_us,
    )


def _ingest_reading_columns(
    store: Store,
    batch: ReadingColumns,
    points: dict[str, PointRecord],
    latest: int,
    future_skew_s: float,
    *,
    source: str,
    received_at: int,
) -> IngestAck:
    """``ingest`` of a columnar batch.

    Clean rows of a known point, without a unit or in the point's own unit, are checked as
    columns (the rules of :func:`_vector_checks`); every other row — one kept whole by the
    connector, an unknown point, a unit to convert — goes through :func:`_check_one`, as in a
    list of readings. The accepted rows of both are handed to :func:`_persist` in arrival
    order, so repeats inside the batch resolve as they would in a list (the first wins).
    """
    n = len(batch)
    odd = batch.odd
    odd_rows = np.fromiter(odd, np.int64, len(odd))
    records = list(map(points.get, batch.point))
    # the rows of unknown points, found at C speed: ``all`` and ``operator.not_`` test the
    # records' truth (a record is true, None is not); ``None in records`` would call the
    # dataclass's __eq__ on every record
    unknown = _unknown_rows(records, odd_rows)
    if (unknown is not None and unknown.any()) or any(
        not isinstance(r.point, str) or r.point not in points for r in odd.values()
    ):
        points = store.registry.points_current()  # a point declared since
        records = list(map(points.get, batch.point))
        unknown = _unknown_rows(records, odd_rows)
    slow_rows = np.zeros(n, bool)
    slow_rows[odd_rows] = True
    if unknown is not None:
        slow_rows |= unknown
    if batch.unit.count(None) != n:
        for k, (u, p) in enumerate(zip(batch.unit, records, strict=True)):
            if u is not None and p is not None and u != p.unit:
                slow_rows[k] = True
    slow = np.flatnonzero(slow_rows).tolist()  # sorted
    if slow:
        rows = np.flatnonzero(~slow_rows)
        clean_records = list(map(records.__getitem__, rows.tolist()))
        us = np.array(batch.us, np.int64)[rows]
        values = np.array(batch.value, np.float64)[rows]
    else:
        rows = np.arange(n, dtype=np.int64)
        clean_records = records  # no None: every row is clean
        us = np.array(batch.us, np.int64)
        values = np.array(batch.value, np.float64)
    pids = np.fromiter(map(_ID, clean_records), np.int64, len(clean_records))
    by_id = store.registry.points_by_id()
    # (row, reject) of every row refused, sorted by row below: quarantined in arrival order
    rejected: list[tuple[int, RejectRow]] = []

    def make(k: int, reason: str, detail: str) -> RejectRow:
        row = int(rows[k])
        reject = _reject(batch[row], reason, detail, by_id.get(int(pids[k])), int(us[k]))
        rejected.append((row, reject))
        return reject

    good, _ = _apply_checks(
        _vector_checks(by_id, pids, us, values, latest, future_skew_s), len(rows), make
    )
    acc_rows, acc_pids, acc_us, acc_values = rows[good], pids[good], us[good], values[good]
    extra: list[tuple[int, int, int, float]] = []
    for k in slow:
        checked = _check_one(batch[k], points, latest, future_skew_s)
        if isinstance(checked, RejectRow):
            rejected.append((k, checked))
        else:
            extra.append((k, *checked))
    if extra:
        e_rows, e_pids, e_us, e_values = zip(*extra, strict=True)
        all_rows = np.r_[acc_rows, np.array(e_rows, np.int64)]
        order = np.argsort(all_rows, kind="stable")
        acc_rows = all_rows[order]
        acc_pids = np.r_[acc_pids, np.array(e_pids, np.int64)][order]
        acc_us = np.r_[acc_us, np.array(e_us, np.int64)][order]
        acc_values = np.r_[acc_values, np.array(e_values, np.float64)][order]
    rejected.sort(key=operator.itemgetter(0))

    def make_kept(k: int, reason: str, detail: str) -> RejectRow:
        row = int(acc_rows[k])
        return _reject(batch[row], reason, detail, by_id.get(int(acc_pids[k])), int(acc_us[k]))

    return _persist(
        store,
        acc_pids,
        acc_us,
        acc_values,
        [r for _, r in rejected],
        make_kept,
        source=source,
        received_at=received_at,
    )


def _unknown_rows(
    records: list[PointRecord | None], odd_rows: NDArray[np.int64]
) -> NDArray[np.bool_] | None:
    """The rows of ``records`` without a point record, the rows kept whole (``odd_rows``)
    left out; None when every row has one."""
    if all(records):
        return None
    unknown = np.fromiter(map(operator.not_, records), bool, len(records))
    unknown[odd_rows] = False
    return unknown


def _check_one(
    r: Reading, points: dict[str, PointRecord], latest: int, future_skew_s: float
) -> tuple[int, int, float] | RejectRow:
    """The boundary rules on one reading, in order of precedence: (point id, µs, value in the
    point's unit), or the reject for the first rule it breaks."""
    if r.problem is not None or r.reason is not None:
        # the connector could not read the record: kept whole, filed under its point when
        # the point could still be made out
        known = points.get(r.point) if isinstance(r.point, str) else None
        if r.reason is not None and r.reason in REASONS and r.reason != "malformed_row":
            # refused by the connector (a status it reports): filed at its instant too
            return _reject(r, r.reason, r.problem or REASONS[r.reason], known, epoch_us(r.ts))
        detail = r.problem or f"refused by the connector with an unknown reason {r.reason!r}"
        return _reject(r, "malformed_row", detail, known, None)
    if not isinstance(r.point, str) or not r.point.strip():
        return _reject(r, "missing_point", REASONS["missing_point"], None, None)
    point = points.get(r.point)
    if point is None:
        return _reject(r, "unknown_point", f"point {r.point!r} is not declared", None, None)
    if point.formula is not None:
        # the instant is filed when the connector gave an exact one (as the columnar checks do)
        return _reject(r, "virtual_point", REASONS["virtual_point"], point, epoch_us(r.ts))
    ts = r.ts
    if isinstance(ts, str):
        try:
            ts = dt.datetime.fromisoformat(ts.strip())
        except ValueError:
            return _reject(r, "bad_timestamp", f"{r.ts!r} is not ISO 8601", point, None)
    if not isinstance(ts, dt.datetime):
        return _reject(r, "bad_timestamp", f"{type(r.ts).__name__} is not a timestamp", point, None)
    if ts.tzinfo is None or ts.utcoffset() is None:
        return _reject(r, "naive_timestamp", f"{ts.isoformat()} has no UTC offset", point, None)
    us = (ts - _EPOCH) // _ONE_US
    if us > latest:
        return _reject(r, "future_timestamp", _future_detail(future_skew_s), point, us)
    if us < _EARLIEST_US:
        return _reject(r, "implausible_timestamp", REASONS["implausible_timestamp"], point, us)
    v = r.value
    if v is None:
        return _reject(r, "missing_value", REASONS["missing_value"], point, us)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        try:
            v = float(v)  # numeric text from CSV/JSON gateways
        except (TypeError, ValueError):
            return _reject(r, "bad_value", f"{r.value!r} is not a number", point, us)
    try:
        v = float(v)
    except OverflowError:  # an integer beyond ±1.8e308 (JSON allows any number of digits)
        detail = f"an integer of {len(str(abs(int(v))))} digits does not fit a 64-bit float"
        return _reject(r, "bad_value", detail, point, us)
    if not math.isfinite(v):
        return _reject(r, "not_finite", REASONS["not_finite"], point, us)
    if r.unit is not None and r.unit != point.unit:
        try:
            v = units.convert(v, r.unit, point.unit)
        except InvalidInput as err:
            reason = "unknown_unit" if "unknown unit" in str(err) else "unit_mismatch"
            return _reject(r, reason, str(err), point, us)
    if v < 0 and point.kind == "total_increasing":
        return _reject(r, "negative_register", REASONS["negative_register"], point, us)
    if v < 0 and point.kind == "interval":
        return _reject(r, "negative_consumption", REASONS["negative_consumption"], point, us)
    return point.id, us, v


def _vector_checks(
    points: dict[int, PointRecord],
    point_ids: NDArray[np.int64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    latest: int,
    future_skew_s: float,
) -> list[tuple[str, NDArray[np.bool_], str]]:
    """The boundary rules on columns: (reason, rows that break it, detail), in order of
    precedence; the details are the ones :func:`_check_one` gives the same reading."""
    ids = np.fromiter(points, np.int64, len(points))
    virtual = np.array([p.id for p in points.values() if p.formula is not None], np.int64)
    increasing = np.array([p.id for p in points.values() if p.kind == "total_increasing"], np.int64)
    interval = np.array([p.id for p in points.values() if p.kind == "interval"], np.int64)
    checks = [
        ("unknown_point", ~np.isin(point_ids, ids)),
        ("virtual_point", np.isin(point_ids, virtual)),
        ("future_timestamp", ts > latest),
        ("implausible_timestamp", ts < _EARLIEST_US),
        ("not_finite", ~np.isfinite(values)),
        ("negative_register", (values < 0) & np.isin(point_ids, increasing)),
        ("negative_consumption", (values < 0) & np.isin(point_ids, interval)),
    ]
    future = _future_detail(future_skew_s)
    return [
        (reason, mask, future if reason == "future_timestamp" else REASONS[reason])
        for reason, mask in checks
    ]


def _future_detail(future_skew_s: float) -> str:
    return f"more than {future_skew_s:g} s ahead of the clock"


def _apply_checks(
    checks: list[tuple[str, NDArray[np.bool_], str]],
    n: int,
    make_reject: Callable[[int, str, str], RejectRow],
) -> tuple[NDArray[np.bool_], list[RejectRow]]:
    """Rows that pass every check, and a reject (first rule broken) for each row that fails."""
    bad = np.zeros(n, bool)
    rejects: list[RejectRow] = []
    for reason, mask, detail in checks:
        hit = mask & ~bad
        rejects.extend(make_reject(k, reason, detail) for k in np.flatnonzero(hit).tolist())
        bad |= hit
    return ~bad, rejects


def ingest_columns(
    store: Store,
    point_ids: NDArray[np.int64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    *,
    source: str = "",
    future_skew_s: float = 300.0,
    now: dt.datetime | None = None,
) -> IngestAck:
    """Columnar ingest for bulk sources that already hold point ids, µs stamps and values in
    the points' units (file backfills, benchmarks). The same rules apply, vectorised."""
    points = store.registry.points_by_id()
    now_us = to_us(now or utcnow())
    latest = now_us + int(future_skew_s * 1_000_000)

    def make(k: int, reason: str, detail: str, pids: NDArray[np.int64] = point_ids,
             stamps: NDArray[np.int64] = ts, vals: NDArray[np.float64] = values) -> RejectRow:  # fmt: skip
        p = points.get(int(pids[k]))
        return RejectRow(
            point_code=None if p is None else p.code,
            point_id=None if p is None else p.id,
            ts_text=None,
            ts=int(stamps[k]),
            value_text=repr(float(vals[k])),
            unit=None,
            reason=reason,
            detail=detail,
            source=source,
            raw=None,
        )

    good, rejects = _apply_checks(
        _vector_checks(points, point_ids, ts, values, latest, future_skew_s), len(ts), make
    )
    pid_g, ts_g, val_g = point_ids[good], ts[good], values[good]
    return _persist(
        store,
        pid_g,
        ts_g,
        val_g,
        rejects,
        lambda k, reason, detail: make(k, reason, detail, pid_g, ts_g, val_g),
        source=source,
        received_at=now_us,
    )


def _persist(
    store: Store,
    pids: NDArray[np.int64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    rejects: list[RejectRow],
    make_reject: Callable[[int, str, str], RejectRow],
    *,
    source: str,
    received_at: int,
) -> IngestAck:
    """Resolve repeats inside the batch, then persist in (point, time) order — the order of the
    readings table's key, which keeps the insert local in the B-tree; the first of repeated
    keys wins."""
    intra_dupes = 0
    positions = np.arange(len(ts))
    if len(ts) > 1:
        order = np.lexsort((positions, ts, pids))
        pids, ts, values, positions = pids[order], ts[order], values[order], positions[order]
        repeat = np.r_[False, (pids[1:] == pids[:-1]) & (ts[1:] == ts[:-1])]
        if bool(repeat.any()):
            # compare each repeat with the first reading of its key
            first_pos = np.maximum.accumulate(np.where(~repeat, np.arange(len(pids)), 0))
            same = values == values[first_pos]
            for j in np.flatnonzero(repeat & ~same).tolist():
                first = float(values[first_pos[j]])
                detail = f"differs from {first!r} sent earlier in the batch; first kept"
                rejects.append(make_reject(int(positions[j]), "conflict", detail))
            intra_dupes = int((repeat & same).sum())
            keep = ~repeat
            pids, ts, values, positions = pids[keep], ts[keep], values[keep], positions[keep]
    rejects = [r if r.source else dataclasses.replace(r, source=source) for r in rejects]

    def describe_conflict(i: int, stored: float) -> RejectRow:
        row = make_reject(
            int(positions[i]),
            "conflict",
            f"stored value {stored!r} differs from {float(values[i])!r}; stored value kept",
        )
        return row if row.source else dataclasses.replace(row, source=source)

    outcome = store.readings.persist(
        point_ids=pids,
        ts=ts,
        values=values,
        rejects=rejects,
        source=source,
        received_at=received_at,
        describe_conflict=describe_conflict,
    )
    if store.batch_listeners:
        _tell_listeners(store, outcome.batch_id, received_at, pids, ts, values, rejects)
    reasons = Counter(r.reason for r in rejects)
    if outcome.conflicts:
        reasons["conflict"] += outcome.conflicts
    return IngestAck(
        batch_id=str(outcome.batch_id),
        accepted=outcome.inserted,
        duplicates=outcome.duplicates + intra_dupes,
        rejected=len(rejects) + outcome.conflicts,
        reasons=dict(reasons),
    )


_log = logging.getLogger(__name__)


def _tell_listeners(
    store: Store,
    batch_id: int,
    received_at: int,
    pids: NDArray[np.int64],
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    rejects: list[RejectRow],
) -> None:
    """Hand the committed batch to its listeners (the alarm engine). The readings are already
    committed: a listener's failure is logged and never fails the acknowledgement."""
    batch = CommittedBatch(
        batch_id=batch_id,
        received_at=received_at,
        point_ids=pids,
        ts=ts,
        values=values,
        rejected=tuple((r.point_id, r.ts, r.reason) for r in rejects if r.point_id is not None),
    )
    for listener in list(store.batch_listeners):
        try:
            listener(batch)
        except Exception:  # a listener must never lose an acknowledged batch
            _log.exception("ingest listener %r failed on batch %s", listener, batch_id)
