"""Meter replacements (换表): recording them, checking them against the readings, listing them,
and reading them from a CSV file.

A replacement is a documented event on a register point: at ``at`` the old meter, whose
register read ``old_final``, was replaced by a new one whose register read ``new_initial``
(and whose CT/PT ratio may differ). Normalisation counts the old meter up to its final value
and the new one from its initial value (docs/data-quality.md), so a replacement recorded after
the readings were normalised queues the hours around it for recomputation; the previous
statistics stay in history.

Every path — the park file, the API, the command line and a CSV file — goes through
:func:`record_in`: a batch is checked as a whole and either recorded whole or refused with one
line per problem; nothing is half-recorded. Replacements are appended, never edited: recording
the same one again changes nothing, a different one at the same point and instant is a
conflict.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import Connection

from lingtan.errors import Conflict, InvalidInput, PermissionDenied
from lingtan.registry.model import MeterReplacement, ParkModel, replacement_problems
from lingtan.store import PointRecord, ReplacementRecord, SaveReport, Store
from lingtan.timeutil import SECOND_US, from_us, parse_timestamp, to_us, utcnow

#: default allowance for a replacement stamped in the future (clock skew), as for readings
FUTURE_SKEW_S: Final = 300.0
#: columns of a CSV file of replacements (``multiplier`` and ``note`` optional)
CSV_COLUMNS: Final = ("point", "at", "old_final", "new_initial", "multiplier", "note")
_REQUIRED: Final = ("point", "at", "old_final", "new_initial")
#: problems listed in one refusal at most
_SHOWN: Final = 20


@dataclass(slots=True)
class RecordReport:
    """What recording a batch of replacements did."""

    created: list[ReplacementRecord] = field(default_factory=list)
    #: identical replacements that were already recorded (nothing changed)
    unchanged: list[ReplacementRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Known:
    """A register value known at an instant: a reading, or a replacement's value."""

    at: int
    value: float
    what: str


def _iso(us: int) -> str:
    return from_us(us).isoformat()


def _refuse(problems: list[str], *, field: str | None = None) -> None:
    if not problems:
        return
    more = f"\n… and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
    raise InvalidInput(
        f"{len(problems)} problem(s), nothing recorded:\n" + "\n".join(problems[:_SHOWN]) + more,
        field=field,
    )


def record_replacements(
    store: Store,
    events: Sequence[MeterReplacement],
    *,
    actor: str,
    source: str | Sequence[str],
    allowed: set[str] | None = None,
    now: dt.datetime | None = None,
    future_skew_s: float = FUTURE_SKEW_S,
) -> RecordReport:
    """Record ``events`` in one transaction (see :func:`record_in`)."""
    with store.begin() as conn:
        return record_in(
            store,
            conn,
            events,
            actor=actor,
            source=source,
            allowed=allowed,
            now=now,
            future_skew_s=future_skew_s,
        )


def record_in(
    store: Store,
    conn: Connection,
    events: Sequence[MeterReplacement],
    *,
    actor: str,
    source: str | Sequence[str],
    allowed: set[str] | None = None,
    now: dt.datetime | None = None,
    future_skew_s: float = FUTURE_SKEW_S,
) -> RecordReport:
    """Check and record meter replacements inside the caller's transaction.

    ``source`` names where they come from (one text, or one per event: a file and line);
    ``allowed`` limits the points the caller may record for (None: every point) — a batch
    naming any other point is refused as a whole (:class:`PermissionDenied`) without saying
    whether that point exists.

    Checks (every problem is reported, nothing is recorded if there is one): the point is
    known and is a physical register; the values fit its kind (a ``total_increasing``
    register is never negative); the instant is not in the future beyond ``future_skew_s``;
    on a ``total_increasing`` register the old meter's final value is not below the last
    value known before the replacement (a reading, or the initial value of an earlier
    replacement with no reading between) and the new meter's initial value is not above the
    first value known after it; the batch names each (point, instant) once; a replacement
    already recorded at that point and instant is identical (else :class:`Conflict`).
    Recorded replacements are audited and queue the hours around them for recomputation.
    """
    if not events:
        raise InvalidInput("no meter replacements given", field="body")
    sources = [source] * len(events) if isinstance(source, str) else list(source)
    if len(sources) != len(events):
        raise ValueError("one source per replacement")
    if allowed is not None and any(e.point not in allowed for e in events):
        raise PermissionDenied(
            "a replacement names a point outside your scope; nothing was recorded"
        )
    now_us = to_us(now or utcnow())
    points = store.registry.points_in(conn)
    problems: list[str] = []
    valid: list[tuple[MeterReplacement, PointRecord, int, str]] = []
    seen: dict[tuple[int, int], int] = {}
    for k, e in enumerate(events):
        where = f"{sources[k]}: {e.point} at {e.at.isoformat()}"
        p = points.get(e.point)
        if p is None:
            problems.append(f"{where}: unknown point {e.point!r}")
            continue
        found = replacement_problems(
            kind=p.kind,
            virtual=p.is_virtual,
            old_final=e.old_final,
            new_initial=e.new_initial,
        )
        at = to_us(e.at)
        if at > now_us + int(future_skew_s * SECOND_US):
            found.append(f"the instant is in the future (now {_iso(now_us)})")
        key = (p.id, at)
        if key in seen:
            found.append(f"the same point and instant as replacement {seen[key] + 1} of the batch")
        seen.setdefault(key, k)
        problems += [f"{where}: {x}" for x in found]
        if not found:
            valid.append((e, p, at, sources[k]))
    stored = store.replacements.existing(conn, [(p.id, at) for _, p, at, _ in valid])
    new: list[tuple[MeterReplacement, PointRecord, int, str]] = []
    report = RecordReport()
    for e, p, at, src in valid:
        old = stored.get((p.id, at))
        if old is None:
            new.append((e, p, at, src))
        elif (old.old_final, old.new_initial, old.multiplier, old.note) == (
            e.old_final,
            e.new_initial,
            e.multiplier,
            e.note,
        ):
            report.unchanged.append(old)
        else:
            raise Conflict(
                f"{src}: a different replacement of {e.point} at {e.at.isoformat()} is already "
                f"recorded (old_final {old.old_final:g}, new_initial {old.new_initial:g}); "
                "replacements are never edited"
            )
    problems += _register_problems(store, conn, new)
    _refuse(problems)
    rows: list[dict[str, Any]] = [
        {
            "point_id": p.id,
            "enterprise_id": p.enterprise_id,
            "at": at,
            "old_final": e.old_final,
            "new_initial": e.new_initial,
            "multiplier": e.multiplier,
            "note": e.note,
            "source": src,
            "recorded_by": actor,
            "recorded_at": now_us,
        }
        for e, p, at, src in new
    ]
    ids = store.replacements.insert_many(conn, rows)
    for rid, row, (e, _, _, _) in zip(ids, rows, new, strict=True):
        store.audit.append(
            conn,
            at=now_us,
            actor=actor,
            action="create",
            entity="meter_replacement",
            entity_id=f"{e.point}@{e.at.isoformat()}",
            enterprise_id=row["enterprise_id"],
            after={
                k: row[k]
                for k in ("at", "old_final", "new_initial", "multiplier", "note", "source")
            },
        )
        report.created.append(ReplacementRecord(id=rid, **row))
    # the hours from the last reading before each replacement to the first after it change
    store.stats.mark_dirty(conn, [[r["point_id"], r["at"], r["at"]] for r in rows], now=now_us)
    return report


def _register_problems(
    store: Store, conn: Connection, new: list[tuple[MeterReplacement, PointRecord, int, str]]
) -> list[str]:
    """A ``total_increasing`` register only counts up: each meter's values must not drop
    between what is known before a replacement and after it (readings and the values of other
    replacements of the point, recorded or in the batch)."""
    increasing = [x for x in new if x[1].kind == "total_increasing"]
    if not increasing:
        return []
    recorded = store.replacements.for_points(conn, [p.id for _, p, _, _ in increasing])
    # every replacement of each point, recorded and new, in time order: (at, old_final, new_initial)
    by_point: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for pid, records in recorded.items():
        by_point[pid] += [(r.at, r.old_final, r.new_initial) for r in records]
    for e, p, at, _ in increasing:
        by_point[p.id].append((at, e.old_final, e.new_initial))
    for events in by_point.values():
        events.sort()
    problems = []
    for e, p, at, src in increasing:
        where = f"{src}: {e.point} at {e.at.isoformat()}"
        before, after = store.replacements.readings_around(conn, p.id, at)
        last = None if before is None else _Known(before[0], before[1], "the last reading")
        first = None if after is None else _Known(after[0], after[1], "the first reading")
        for t, old_final, new_initial in by_point[p.id]:
            if t < at and (last is None or t > last.at):
                last = _Known(t, new_initial, "the initial value of the replacement")
            if t > at and (first is None or t < first.at):
                first = _Known(t, old_final, "the final value of the replacement")
        if last is not None and e.old_final < last.value:
            problems.append(
                f"{where}: old_final {e.old_final:g} is below {last.what} before it "
                f"({last.value:g} at {_iso(last.at)}); the old register cannot count down"
            )
        if first is not None and e.new_initial > first.value:
            problems.append(
                f"{where}: new_initial {e.new_initial:g} is above {first.what} after it "
                f"({first.value:g} at {_iso(first.at)}); the new register cannot count down"
            )
    return problems


def load_park(
    store: Store,
    model: ParkModel,
    *,
    actor: str,
    now: dt.datetime | None = None,
    future_skew_s: float = FUTURE_SKEW_S,
) -> SaveReport:
    """Save a park model and record the meter replacements it declares, in one transaction
    (a replacement that fails its checks refuses the whole file). Replacements count in the
    report as ``meter_replacement`` (created or unchanged)."""
    events = model.all_replacements()
    with store.begin() as conn:
        report = store.registry.save_park_in(conn, model, actor=actor)
        if events:
            done = record_in(
                store,
                conn,
                events,
                actor=actor,
                source="park file",
                now=now,
                future_skew_s=future_skew_s,
            )
            if done.created:
                report.created["meter_replacement"] = len(done.created)
            if done.unchanged:
                report.unchanged["meter_replacement"] = len(done.unchanged)
    store.registry.invalidate()
    return report


def replacement_of(values: dict[str, Any], *, where: str) -> MeterReplacement:
    """A replacement from loosely typed values (text from a form, a command line or a file
    row); ``at`` must be ISO 8601 with an offset. Problems become :class:`InvalidInput`
    naming ``where`` and the field."""
    data = {k: v for k, v in values.items() if v is not None and v != ""}
    prefix = f"{where} " if where else ""
    at = data.get("at")
    if isinstance(at, str):
        data["at"] = parse_timestamp(at, field=f"{prefix}at")
    for name in ("old_final", "new_initial", "multiplier"):
        v = data.get(name)
        if isinstance(v, str):
            try:
                data[name] = float(v.replace(",", ""))
            except ValueError as err:
                raise InvalidInput(f"{prefix}{name}: {v!r} is not a number", field=name) from err
    try:
        return MeterReplacement.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(x) for x in first["loc"]) or "value"
        messages = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in err.errors()
        )
        raise InvalidInput(f"{prefix}{messages}", field=name) from err


def parse_csv(content: bytes, filename: str) -> tuple[list[MeterReplacement], list[str]]:
    """Replacements of a CSV file (UTF-8, BOM allowed) with the columns of
    :data:`CSV_COLUMNS`, and the source of each (``csv:<file>:<line>``). Every bad row is
    reported at once; nothing is returned if there is one."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"{filename} is not UTF-8 text: {err}", field="file") from err
    rows = list(csv.reader(io.StringIO(text)))
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise InvalidInput(f"{filename} has no header row", field="file")
    header_line, header = numbered[0]
    names = [c.strip().lower() for c in header]
    unknown = [c for c in names if c not in CSV_COLUMNS]
    missing = [c for c in _REQUIRED if c not in names]
    if unknown or missing:
        raise InvalidInput(
            f"{filename}:{header_line}: the header must name {', '.join(_REQUIRED)} "
            f"(optional: multiplier, note)"
            + (f"; unknown column(s) {', '.join(map(repr, unknown))}" if unknown else "")
            + (f"; missing {', '.join(missing)}" if missing else ""),
            field="file",
        )
    events: list[MeterReplacement] = []
    sources: list[str] = []
    problems: list[str] = []
    for n, row in numbered[1:]:
        values = {k: (row[i].strip() if i < len(row) else "") for i, k in enumerate(names)}
        where = f"{filename}:{n}"
        try:
            events.append(replacement_of(values, where=where))
        except InvalidInput as err:
            problems.append(str(err))
            continue
        sources.append(f"csv:{filename}:{n}")
    if not events and not problems:
        raise InvalidInput(f"{filename} has no replacement rows", field="file")
    _refuse(problems, field="file")
    return events, sources


def as_dict(r: ReplacementRecord, code: str, tz: dt.tzinfo = dt.UTC) -> dict[str, Any]:
    """A stored replacement as plain values (instants as ISO 8601 in ``tz``)."""
    return {
        "id": r.id,
        "point": code,
        "at": from_us(r.at, tz).isoformat(),
        "old_final": r.old_final,
        "new_initial": r.new_initial,
        "multiplier": r.multiplier,
        "note": r.note,
        "source": r.source,
        "recorded_by": r.recorded_by,
        "recorded_at": from_us(r.recorded_at).isoformat(),
    }


__all__ = [
    "CSV_COLUMNS",
    "RecordReport",
    "as_dict",
    "load_park",
    "parse_csv",
    "record_in",
    "record_replacements",
    "replacement_of",
]
