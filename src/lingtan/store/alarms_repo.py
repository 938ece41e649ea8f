"""Alarm rules, alarms and their transitions, evaluation state and suppression windows
(``lingtan.alarms``).

The engine calls the ``conn``-taking methods inside one transaction per evaluation, so an
alarm, its transition and its notifications commit together. Every read that serves a user
takes the caller's :class:`Tenant`: an enterprise sees its own enterprise's alarms only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update

from lingtan.alarms.model import (
    AlarmEvent,
    AlarmRecord,
    AlarmState,
    RuleKind,
    Severity,
    SubjectKind,
)
from lingtan.errors import NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A stored alarm rule; ``spec`` is the rule record (lingtan.alarms.rules) as a dict."""

    id: int
    park_id: int
    code: str
    name: str
    kind: str
    severity: str
    enabled: bool
    spec: dict[str, Any]
    enterprise_id: int | None
    source: str
    created_at: int
    updated_at: int
    deleted_at: int | None


@dataclass(frozen=True, slots=True)
class SuppressionRow:
    """A maintenance window."""

    id: int
    park_id: int
    rule_id: int | None
    point_id: int | None
    enterprise_id: int | None
    starts: int
    ends: int
    reason: str
    created_by: str
    created_at: int
    cancelled_at: int | None


def _rule(r: Any) -> RuleRow:
    return RuleRow(
        id=r.id,
        park_id=r.park_id,
        code=r.code,
        name=r.name,
        kind=r.kind,
        severity=r.severity,
        enabled=bool(r.enabled),
        spec=json.loads(r.spec),
        enterprise_id=r.enterprise_id,
        source=r.source,
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
    )


_ALARM_COLS = [
    *s.alarm.c,
    s.alarm_rule.c.code.label("rule_code"),
    s.alarm_rule.c.name.label("rule_name"),
]


def _alarm(r: Any) -> AlarmRecord:
    return AlarmRecord(
        id=r.id,
        park_id=r.park_id,
        rule_id=r.rule_id,
        rule_code=r.rule_code,
        rule_name=r.rule_name,
        kind=RuleKind(r.kind),
        severity=Severity(r.severity),
        state=AlarmState(r.state),
        subject_kind=SubjectKind(r.subject_kind),
        subject_code=r.subject_code,
        point_id=r.point_id,
        enterprise_id=r.enterprise_id,
        first_at=r.first_at,
        last_at=r.last_at,
        raised_at=r.raised_at,
        count=r.count,
        value=r.value,
        peak=r.peak,
        message=r.message,
        evidence=json.loads(r.evidence),
        acked_by=r.acked_by,
        acked_at=r.acked_at,
        ack_comment=r.ack_comment,
        cleared_at=r.cleared_at,
        closed_by=r.closed_by,
        closed_at=r.closed_at,
        escalated_at=r.escalated_at,
    )


def _suppression(r: Any) -> SuppressionRow:
    return SuppressionRow(
        id=r.id,
        park_id=r.park_id,
        rule_id=r.rule_id,
        point_id=r.point_id,
        enterprise_id=r.enterprise_id,
        starts=r.starts,
        ends=r.ends,
        reason=r.reason,
        created_by=r.created_by,
        created_at=r.created_at,
        cancelled_at=r.cancelled_at,
    )


def open_key(rule_id: int, subject_key: int) -> str:
    """The de-duplication key of a rule × subject."""
    return f"{rule_id}:{subject_key}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True, slots=True)
class AlarmFilter:
    """What an alarm list asks for (each None: any)."""

    states: Sequence[str] | None = None
    severities: Sequence[str] | None = None
    kinds: Sequence[str] | None = None
    enterprise_id: int | None = None
    rule_code: str | None = None
    subject_code: str | None = None
    since: int | None = None  # raised at or after (µs)
    until: int | None = None  # raised before (µs)


class AlarmRepo:
    """Rules, alarms, transitions, conditions, suppressions and last readings."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- rules --------------------------------------------------------------------------------
    def rules(
        self,
        *,
        park_id: int | None = None,
        include_retired: bool = False,
        conn: Connection | None = None,
    ) -> list[RuleRow]:
        """The rules (of one park), by code."""
        t = s.alarm_rule
        q = select(t).order_by(t.c.park_id, t.c.code)
        if park_id is not None:
            q = q.where(t.c.park_id == park_id)
        if not include_retired:
            q = q.where(t.c.deleted_at.is_(None))
        if conn is not None:
            return [_rule(r) for r in conn.execute(q)]
        with self._store.begin() as c:
            return [_rule(r) for r in c.execute(q)]

    def rules_version(self) -> tuple[int, int]:
        """(rule rows, newest change): changes whenever a rule is written or retired."""
        t = s.alarm_rule
        with self._store.begin() as conn:
            n, newest = conn.execute(select(func.count(), func.max(t.c.updated_at))).one()
        return int(n), int(newest or 0)

    def rule_by_code(self, conn: Connection, *, park_id: int, code: str) -> RuleRow | None:
        """A rule (retired ones included) by its code."""
        t = s.alarm_rule
        r = conn.execute(select(t).where(t.c.park_id == park_id, t.c.code == code)).first()
        return None if r is None else _rule(r)

    def save_rule(
        self,
        conn: Connection,
        *,
        park_id: int,
        spec: dict[str, Any],
        kind: str,
        severity: str,
        enabled: bool,
        enterprise_id: int | None,
        source: str,
        now: int,
    ) -> tuple[RuleRow, str, RuleRow | None]:
        """Create or update (or revive) the rule ``spec['id']``: (row, 'created' | 'updated' |
        'unchanged', the row before)."""
        t = s.alarm_rule
        code = spec["id"]
        before = self.rule_by_code(conn, park_id=park_id, code=code)
        values = {
            "name": spec["name"],
            "kind": kind,
            "severity": severity,
            "enabled": enabled,
            "spec": _json(spec),
            "enterprise_id": enterprise_id,
        }
        if before is None:
            conn.execute(
                insert(t).values(
                    park_id=park_id, code=code, source=source, created_at=now, updated_at=now,
                    **values,
                )
            )  # fmt: skip
            outcome = "created"
        elif (
            before.deleted_at is None
            and before.spec == spec
            and before.enterprise_id == enterprise_id
        ):
            return before, "unchanged", before
        else:
            conn.execute(
                update(t)
                .where(t.c.id == before.id)
                .values(source=source, updated_at=now, deleted_at=None, **values)
            )
            outcome = "updated"
        row = self.rule_by_code(conn, park_id=park_id, code=code)
        assert row is not None
        return row, outcome, before

    def retire_rule(self, conn: Connection, *, rule_id: int, now: int, actor: str) -> int:
        """Retire a rule: it is no longer evaluated; its alarms stay in history, and those still
        holding their key are closed (nothing would clear them any more). How many were closed."""
        t = s.alarm_rule
        conn.execute(update(t).where(t.c.id == rule_id).values(deleted_at=now, updated_at=now))
        a = s.alarm
        held = [
            r.id
            for r in conn.execute(
                select(a.c.id).where(a.c.rule_id == rule_id, a.c.open_key.is_not(None))
            )
        ]
        for alarm_id in held:
            conn.execute(
                update(a)
                .where(a.c.id == alarm_id)
                .values(state="closed", open_key=None, closed_by=actor, closed_at=now,
                        updated_at=now)
            )  # fmt: skip
            self.add_event(conn, alarm_id=alarm_id, at=now, actor=actor, action="closed",
                           detail="rule retired")  # fmt: skip
        return len(held)

    # -- evaluation state ---------------------------------------------------------------------
    def all_conditions(
        self, conn: Connection, rule_ids: Sequence[int]
    ) -> dict[tuple[int, int], dict[str, Any]]:
        """Every stored state of the given rules."""
        t = s.alarm_condition
        if not rule_ids:
            return {}
        rows = conn.execute(
            select(t.c.rule_id, t.c.subject_key, t.c.state).where(
                t.c.rule_id.in_(bindparam("r", expanding=True))
            ),
            {"r": list(rule_ids)},
        )
        return {(r.rule_id, r.subject_key): json.loads(r.state) for r in rows}

    def save_conditions(
        self, conn: Connection, states: dict[tuple[int, int], dict[str, Any]], *, now: int
    ) -> None:
        """Upsert evaluation states."""
        if not states:
            return
        t = s.alarm_condition
        stmt = self._store.dialect_insert(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.rule_id, t.c.subject_key],
            set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
        )
        conn.execute(
            stmt,
            [
                {"rule_id": r, "subject_key": k, "state": _json(v), "updated_at": now}
                for (r, k), v in states.items()
            ],
        )

    def newest_reading(self, conn: Connection, point_id: int) -> int | None:
        """The newest stored reading's timestamp of a point (one probe of the readings key)."""
        t = s.reading
        ts = conn.execute(select(func.max(t.c.ts)).where(t.c.point_id == point_id)).scalar()
        return None if ts is None else int(ts)

    def hour_columns(self, point_ids: Sequence[int], h0: int, h1: int) -> dict[int, dict[str, Any]]:
        """Hourly statistics of points in [h0, h1) as numpy columns per point (``hours``,
        value, mean, min, max, measured_s, estimated_s, missing_s, flags; NULL = NaN): one
        query, converted in bulk (the scheduler reads every watched point's new hours)."""
        import numpy as np

        t = s.stat_hour
        if not point_ids:
            return {}
        cols = (t.c.value, t.c.mean, t.c.min, t.c.max, t.c.measured_s, t.c.estimated_s,
                t.c.missing_s, t.c.flags)  # fmt: skip
        q = (
            select(t.c.point_id, t.c.hour, *cols)
            .where(t.c.point_id.in_(bindparam("ids", expanding=True)), t.c.hour >= h0,
                   t.c.hour < h1)
            .order_by(t.c.point_id, t.c.hour)
        )  # fmt: skip
        with self._store.begin() as conn:
            rows = conn.execute(q, {"ids": list(point_ids)}).all()
        if not rows:
            return {}
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        hours = np.fromiter((r[1] for r in rows), np.int64, len(rows))
        data = np.array([r[2:] for r in rows], dtype=np.float64)  # None → nan
        names = ("value", "mean", "min", "max", "measured_s", "estimated_s", "missing_s", "flags")
        out: dict[int, dict[str, Any]] = {}
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        ends = np.r_[starts[1:], len(ids)]
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            block: dict[str, Any] = {"hours": hours[a:b]}
            for j, name in enumerate(names):
                block[name] = data[a:b, j]
            block["flags"] = block["flags"].astype(np.int64)
            out[int(ids[a])] = block
        return out

    # -- alarms -------------------------------------------------------------------------------
    def holders(self, conn: Connection, keys: Sequence[str]) -> dict[str, AlarmRecord]:
        """The alarms holding any of the keys, by key (one query)."""
        if not keys:
            return {}
        a, r = s.alarm, s.alarm_rule
        rows = conn.execute(
            select(*_ALARM_COLS)
            .join(r, r.c.id == a.c.rule_id)
            .where(a.c.open_key.in_(bindparam("k", expanding=True))),
            {"k": sorted(set(keys))},
        ).all()
        return {x.open_key: _alarm(x) for x in rows}

    def insert_alarm(self, conn: Connection, **values: Any) -> int:
        """A new alarm row; returns its id."""
        values["evidence"] = _json(values.get("evidence") or {})
        result = conn.execute(insert(s.alarm).values(**values).returning(s.alarm.c.id))
        return int(result.scalar_one())

    def update_alarm(self, conn: Connection, alarm_id: int, **values: Any) -> None:
        """Change columns of an alarm."""
        if "evidence" in values:
            values["evidence"] = _json(values["evidence"])
        conn.execute(update(s.alarm).where(s.alarm.c.id == alarm_id).values(**values))

    def add_event(
        self,
        conn: Connection,
        *,
        alarm_id: int,
        at: int,
        actor: str,
        action: str,
        detail: str | None,
    ) -> None:
        """Append a transition."""
        conn.execute(
            insert(s.alarm_event).values(
                alarm_id=alarm_id, at=at, actor=actor, action=action, detail=detail
            )
        )

    def get(
        self,
        *,
        tenant: Tenant,
        alarm_id: int,
        park_id: int | None = None,
        conn: Connection | None = None,
    ) -> AlarmRecord:
        """One alarm in the caller's scope (``NotFound`` otherwise)."""
        a, r = s.alarm, s.alarm_rule
        q = select(*_ALARM_COLS).join(r, r.c.id == a.c.rule_id).where(a.c.id == alarm_id)
        q = q.where(*self._scope(tenant, park_id))
        if conn is not None:
            row = conn.execute(q).first()
        else:
            with self._store.begin() as c:
                row = c.execute(q).first()
        if row is None:
            raise NotFound("alarm not found")
        return _alarm(row)

    def events(self, *, alarm_id: int) -> list[AlarmEvent]:
        """The transitions of an alarm, oldest first (the caller checked the scope)."""
        t = s.alarm_event
        with self._store.begin() as conn:
            rows = conn.execute(
                select(t).where(t.c.alarm_id == alarm_id).order_by(t.c.at, t.c.id)
            ).all()
        return [AlarmEvent(r.id, r.alarm_id, r.at, r.actor, r.action, r.detail) for r in rows]

    @staticmethod
    def _scope(tenant: Tenant, park_id: int | None) -> list[Any]:
        a = s.alarm
        where: list[Any] = []
        if park_id is not None:
            where.append(a.c.park_id == park_id)
        if tenant.enterprise_id is not None:
            where.append(
                and_(a.c.enterprise_id.is_not(None), a.c.enterprise_id == tenant.enterprise_id)
            )
        return where

    def search(
        self,
        *,
        tenant: Tenant,
        park_id: int | None,
        filters: AlarmFilter,
        limit: int,
        offset: int,
    ) -> tuple[list[AlarmRecord], int]:
        """Alarms in the caller's scope matching ``filters``, newest first, and their total."""
        a, r = s.alarm, s.alarm_rule
        where = self._scope(tenant, park_id)
        f = filters
        if f.states:
            where.append(a.c.state.in_(list(f.states)))
        if f.severities:
            where.append(a.c.severity.in_(list(f.severities)))
        if f.kinds:
            where.append(a.c.kind.in_(list(f.kinds)))
        if f.enterprise_id is not None:
            where.append(a.c.enterprise_id == f.enterprise_id)
        if f.rule_code is not None:
            where.append(r.c.code == f.rule_code)
        if f.subject_code is not None:
            where.append(a.c.subject_code == f.subject_code)
        if f.since is not None:
            where.append(a.c.raised_at >= f.since)
        if f.until is not None:
            where.append(a.c.raised_at < f.until)
        base = select(*_ALARM_COLS).join(r, r.c.id == a.c.rule_id).where(*where)
        with self._store.begin() as conn:
            total = conn.execute(
                select(func.count()).select_from(a).join(r, r.c.id == a.c.rule_id).where(*where)
            ).scalar_one()
            rows = conn.execute(
                base.order_by(a.c.raised_at.desc(), a.c.id.desc()).limit(limit).offset(offset)
            ).all()
        return [_alarm(x) for x in rows], int(total)

    def counts(self, *, tenant: Tenant, park_id: int | None) -> dict[str, int]:
        """Active alarms (open or acknowledged) by severity, and the unacknowledged total."""
        a = s.alarm
        where = [*self._scope(tenant, park_id), a.c.state.in_(["open", "acknowledged"])]
        with self._store.begin() as conn:
            rows = conn.execute(
                select(a.c.severity, a.c.state, func.count())
                .where(*where)
                .group_by(a.c.severity, a.c.state)
            ).all()
        out = {sev.value: 0 for sev in Severity}
        out["unacknowledged"] = 0
        for sev, state, n in rows:
            out[sev] = out.get(sev, 0) + int(n)
            if state == "open":
                out["unacknowledged"] += int(n)
        return out

    def due_for_close(self, conn: Connection, *, now: int) -> list[tuple[int, int, float]]:
        """Cleared alarms with their clearance time and rule settle minutes: (id, cleared_at,
        settle_min)."""
        a, r = s.alarm, s.alarm_rule
        rows = conn.execute(
            select(a.c.id, a.c.cleared_at, r.c.spec)
            .join(r, r.c.id == a.c.rule_id)
            .where(a.c.state == "cleared", a.c.cleared_at <= now)
        ).all()
        return [
            (x.id, x.cleared_at, float(json.loads(x.spec).get("settle_min", 60.0))) for x in rows
        ]

    def unacknowledged(
        self, conn: Connection, *, severities: Sequence[str]
    ) -> list[tuple[AlarmRecord, dict[str, Any]]]:
        """Open (unacknowledged), not yet escalated alarms of the given severities, with their
        rule's spec."""
        a, r = s.alarm, s.alarm_rule
        rows = conn.execute(
            select(*_ALARM_COLS, r.c.spec.label("rule_spec"))
            .join(r, r.c.id == a.c.rule_id)
            .where(
                a.c.state == "open",
                a.c.escalated_at.is_(None),
                a.c.severity.in_(list(severities)),
            )
        ).all()
        return [(_alarm(x), json.loads(x.rule_spec)) for x in rows]

    # -- suppression windows ------------------------------------------------------------------
    def add_suppression(self, conn: Connection, **values: Any) -> int:
        """A new maintenance window; returns its id."""
        result = conn.execute(
            insert(s.alarm_suppression).values(**values).returning(s.alarm_suppression.c.id)
        )
        return int(result.scalar_one())

    def suppressions(
        self,
        *,
        tenant: Tenant,
        park_id: int | None,
        active_at: int | None = None,
        conn: Connection | None = None,
    ) -> list[SuppressionRow]:
        """Windows in scope (not cancelled; covering ``active_at`` when given), newest first."""
        t = s.alarm_suppression
        where: list[Any] = [t.c.cancelled_at.is_(None)]
        if park_id is not None:
            where.append(t.c.park_id == park_id)
        if tenant.enterprise_id is not None:
            where.append(
                and_(t.c.enterprise_id.is_not(None), t.c.enterprise_id == tenant.enterprise_id)
            )
        if active_at is not None:
            where.append(and_(t.c.starts <= active_at, t.c.ends > active_at))
        q = select(t).where(*where).order_by(t.c.starts.desc(), t.c.id.desc())
        if conn is not None:
            return [_suppression(r) for r in conn.execute(q)]
        with self._store.begin() as c:
            return [_suppression(r) for r in c.execute(q)]

    def suppression(self, *, tenant: Tenant, suppression_id: int) -> SuppressionRow:
        """One window in scope (``NotFound`` otherwise)."""
        t = s.alarm_suppression
        q = select(t).where(t.c.id == suppression_id)
        if tenant.enterprise_id is not None:
            q = q.where(
                or_(t.c.enterprise_id == tenant.enterprise_id), t.c.enterprise_id.is_not(None)
            )
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound("maintenance window not found")
        return _suppression(row)

    def cancel_suppression(self, conn: Connection, *, suppression_id: int, now: int) -> None:
        """End a window early (kept, marked cancelled)."""
        t = s.alarm_suppression
        conn.execute(update(t).where(t.c.id == suppression_id).values(cancelled_at=now))
