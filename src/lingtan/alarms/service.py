"""Alarm rules, alarms and maintenance windows in the caller's scope (keyword-only, explicit
principal, no web framework).

Who may do what: every reading role sees the alarms of its scope (an enterprise its own
enterprise's, the park all); acknowledging, closing, commenting and maintenance windows need
the write permission (park admins, enterprise admins); rules are written by park admins, and by
enterprise admins for their own enterprise's points (such a rule never reaches another
enterprise's points). Every change is audited; every alarm transition is kept in
``alarm_event``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lingtan.alarms.engine import rules_changed
from lingtan.alarms.incidents.model import AlarmEvidence
from lingtan.alarms.model import AlarmEvent, AlarmRecord, AlarmState, RuleKind
from lingtan.alarms.rules import AlarmSection, check_references, parse_rule, rule_spec
from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import Permission, Principal, require
from lingtan.registry.model import Carrier
from lingtan.store import Store
from lingtan.store.alarms_repo import AlarmFilter, RuleRow, SuppressionRow
from lingtan.store.core import LOCK_ALARM_CHANGE
from lingtan.store.environment_repo import EnvironmentRepo
from lingtan.store.query_repo import Tenant
from lingtan.timeutil import to_us, utcnow

#: readings shown around an alarm (its evidence chart): this long before and after [µs]
EVIDENCE_MARGIN_US = 6 * 3600 * 1_000_000
#: at most this many readings in an alarm's evidence
EVIDENCE_MAX = 2000


@dataclass(frozen=True, slots=True)
class RulesReport:
    """What loading rules did (by rule code)."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]
    retired: list[str]


def _now() -> int:
    return to_us(utcnow())


def _park_id(store: Store, principal: Principal) -> int:
    return store.registry.park(principal.park_id).id


def _references(store: Store, park_id: int, rule: Any, where: str) -> None:
    points = {p.code: p for p in store.registry.points_by_code().values() if p.park_id == park_id}
    stations = None
    if rule.kind is RuleKind.ENVIRONMENT:
        stations = {
            row.code: (row.kind, {str(p["parameter"]) for p in row.spec.get("parameters", [])})
            for row in EnvironmentRepo(store).stations(tenant=Tenant(None), park_id=park_id)
        }
    check_references(
        rule,
        points=points,
        enterprises=[e.code for e in store.registry.enterprises(park_id)],
        sites=[x.code for x in store.registry.sites(park_id)],
        carriers=[c.value for c in Carrier],
        stations=stations,
        where=where,
    )


def _enterprise_code(store: Store, park_id: int, enterprise_id: int) -> str:
    for e in store.registry.enterprises(park_id):
        if e.id == enterprise_id:
            return e.code
    raise NotFound("enterprise not found")


def _bind_to_enterprise(store: Store, park_id: int, rule: Any, principal: Principal) -> Any:
    """An enterprise's rule: its scope is its own enterprise (refused if it names another)."""
    if principal.enterprise_id is None:
        return rule
    code = _enterprise_code(store, park_id, principal.enterprise_id)
    scope = rule.scope
    if scope.enterprise not in (None, code):
        raise InvalidInput(f"rule.scope.enterprise: an enterprise's rule covers {code} only")
    points = store.registry.points_by_code()
    for p in scope.points or []:
        point = points.get(p)
        if point is None or point.enterprise_id != principal.enterprise_id:
            # the same answer whether the point is another enterprise's or nobody's
            raise PermissionDenied("rule.scope.points: a point is outside your scope")
    data = rule_spec(rule)
    data["scope"] = {**data["scope"], "enterprise": code}
    return parse_rule(data)


def save_rules(
    store: Store,
    *,
    park_id: int,
    rules: Sequence[Any],
    actor: str,
    source: str,
    enterprise_id: int | None = None,
    retire_others: bool = False,
) -> RulesReport:
    """Create or update parsed rules of a park (audited); with ``retire_others`` the park's
    rules not among them are retired (a park file states its rule set in full)."""
    for i, rule in enumerate(rules):
        _references(store, park_id, rule, f"alarms.rules[{i}]")
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    retired: list[str] = []
    now = _now()
    repo = store.alarms
    with store.begin() as conn:
        for rule in rules:
            spec = rule_spec(rule)
            row, outcome, before = repo.save_rule(
                conn, park_id=park_id, spec=spec, kind=rule.kind.value,
                severity=rule.severity.value, enabled=rule.enabled, enterprise_id=enterprise_id,
                source=source, now=now,
            )  # fmt: skip
            {"created": created, "updated": updated, "unchanged": unchanged}[outcome].append(
                row.code
            )
            if outcome != "unchanged":
                store.audit.append(
                    conn, at=now, actor=actor, action=f"alarm_rule.{outcome}",
                    entity="alarm_rule", entity_id=row.code, enterprise_id=enterprise_id,
                    before=None if before is None else before.spec, after=spec,
                )  # fmt: skip
        if retire_others:
            keep = {r.code for r in rules}
            for row in repo.rules(park_id=park_id, conn=conn):
                # rules generated from the environment limits are kept: the park file's
                # stations state them (lingtan.environment.rules)
                generated = row.source == "environment limits"
                if row.code not in keep and row.enterprise_id is None and not generated:
                    repo.retire_rule(conn, rule_id=row.id, now=now, actor=actor)
                    store.audit.append(
                        conn, at=now, actor=actor, action="alarm_rule.retired",
                        entity="alarm_rule", entity_id=row.code, before=row.spec,
                    )  # fmt: skip
                    retired.append(row.code)
    rules_changed()
    return RulesReport(created, updated, unchanged, retired)


def apply_park_file(
    store: Store, *, park_id: int, section: AlarmSection | None, actor: str
) -> RulesReport | None:
    """The ``alarms:`` section of a park file: its rules are the park's rule set (rules it no
    longer names are retired; enterprises' own rules are kept). Absent: nothing changes."""
    if section is None:
        return None
    rules = list(section.rules)
    return save_rules(
        store, park_id=park_id, rules=rules, actor=actor, source="park file", retire_others=True
    )


def create_rule(store: Store, *, principal: Principal, data: Mapping[str, Any]) -> RuleRow:
    """Create a rule (409 if its code exists); an enterprise admin's rule is bound to its
    enterprise."""
    require(principal, Permission.WRITE)
    park_id = _park_id(store, principal)
    rule = _bind_to_enterprise(store, park_id, parse_rule(data), principal)
    with store.begin() as conn:
        existing = store.alarms.rule_by_code(conn, park_id=park_id, code=rule.code)
    if existing is not None and existing.deleted_at is None:
        raise Conflict(f"alarm rule {rule.code!r} exists; change it with PUT")
    save_rules(
        store, park_id=park_id, rules=[rule], actor=principal.actor,
        source=f"api:{principal.actor}", enterprise_id=principal.enterprise_id,
    )  # fmt: skip
    return get_rule(store, principal=principal, code=rule.code)


def install_defaults(
    store: Store, *, principal: Principal, specs: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Create the rules of ``specs`` (a module's default rules) that the caller's scope does not
    have yet, without escalation; returns the codes created (the modules' ``install_rules``)."""
    have = {r.code for r in list_rules(store, principal=principal)}
    made = []
    for spec in specs:
        if spec["id"] not in have:
            create_rule(store, principal=principal, data={**spec, "escalate_after_min": None})
            made.append(str(spec["id"]))
    return made


def update_rule(
    store: Store, *, principal: Principal, code: str, data: Mapping[str, Any]
) -> RuleRow:
    """Replace a rule in the caller's scope (its code stays)."""
    require(principal, Permission.WRITE)
    _writable(get_rule(store, principal=principal, code=code), principal)
    park_id = _park_id(store, principal)
    rule = _bind_to_enterprise(store, park_id, parse_rule({**data, "id": code}), principal)
    save_rules(
        store, park_id=park_id, rules=[rule], actor=principal.actor,
        source=f"api:{principal.actor}", enterprise_id=principal.enterprise_id,
    )  # fmt: skip
    return get_rule(store, principal=principal, code=code)


def retire_rule(store: Store, *, principal: Principal, code: str) -> None:
    """Retire a rule in the caller's scope: no longer evaluated; its alarms stay."""
    require(principal, Permission.WRITE)
    row = _writable(get_rule(store, principal=principal, code=code), principal)
    now = _now()
    with store.begin() as conn:
        store.alarms.retire_rule(conn, rule_id=row.id, now=now, actor=principal.actor)
        store.audit.append(
            conn, at=now, actor=principal.actor, action="alarm_rule.retired",
            entity="alarm_rule", entity_id=code, enterprise_id=row.enterprise_id, before=row.spec,
        )  # fmt: skip
    rules_changed()


def _writable(row: RuleRow, principal: Principal) -> RuleRow:
    """An enterprise admin changes its own enterprise's rules, not the park's about it."""
    if principal.enterprise_id is not None and row.enterprise_id != principal.enterprise_id:
        raise PermissionDenied(f"alarm rule {row.code!r} is the park's: the park changes it")
    return row


def _visible_rule(row: RuleRow, principal: Principal, enterprise_code: str | None) -> bool:
    if principal.enterprise_id is None:
        return True
    if row.enterprise_id == principal.enterprise_id:
        return True
    if row.enterprise_id is not None:
        return False
    # a park rule is shown to an enterprise when it is about that enterprise, or a policy of
    # the whole park that names no enterprise, site or point (names would tell of others)
    scope = row.spec.get("scope") or {}
    if scope.get("enterprise") == enterprise_code:
        return True
    return scope.get("enterprise") is None and not scope.get("points") and not scope.get("site")


def list_rules(store: Store, *, principal: Principal) -> list[RuleRow]:
    """The rules in the caller's scope, by code."""
    require(principal, Permission.READ)
    park_id = _park_id(store, principal)
    code = (
        None
        if principal.enterprise_id is None
        else _enterprise_code(store, park_id, principal.enterprise_id)
    )
    return [r for r in store.alarms.rules(park_id=park_id) if _visible_rule(r, principal, code)]


def get_rule(store: Store, *, principal: Principal, code: str) -> RuleRow:
    """One rule in the caller's scope (``NotFound`` otherwise). Enterprise admins change only
    their own enterprise's rules."""
    for row in list_rules(store, principal=principal):
        if row.code == code:
            return row
    raise NotFound("alarm rule not found")


# -- alarms ----------------------------------------------------------------------------------


def list_alarms(
    store: Store, *, principal: Principal, filters: AlarmFilter, limit: int, offset: int
) -> tuple[list[AlarmRecord], int]:
    """Alarms in the caller's scope, newest first, and their total. An enterprise filter
    outside the scope is ``NotFound``, like one that does not exist."""
    require(principal, Permission.READ)
    if filters.enterprise_id is not None:
        from lingtan.store.query_repo import QueryRepo

        QueryRepo(store).enterprise(tenant=principal.tenant, enterprise_id=filters.enterprise_id)
    return store.alarms.search(
        tenant=principal.tenant, park_id=_park_id(store, principal), filters=filters,
        limit=limit, offset=offset,
    )  # fmt: skip


def get_alarm(
    store: Store, *, principal: Principal, alarm_id: int
) -> tuple[AlarmRecord, list[AlarmEvent]]:
    """One alarm in the caller's scope and its transitions."""
    require(principal, Permission.READ)
    record = store.alarms.get(
        tenant=principal.tenant, alarm_id=alarm_id, park_id=_park_id(store, principal)
    )
    return record, store.alarms.events(alarm_id=alarm_id)


def counts(store: Store, *, principal: Principal) -> dict[str, int]:
    """Active alarms by severity and the unacknowledged total (the header badge)."""
    require(principal, Permission.READ)
    return store.alarms.counts(tenant=principal.tenant, park_id=_park_id(store, principal))


def _change(
    store: Store,
    *,
    principal: Principal,
    alarm_id: int,
    action: str,
    comment: str | None,
    allowed: frozenset[AlarmState],
    values: Mapping[str, Any],
) -> AlarmRecord:
    require(principal, Permission.WRITE)
    park_id = _park_id(store, principal)
    now = _now()
    with store.begin() as conn:
        store.serialise(conn, LOCK_ALARM_CHANGE)
        record = store.alarms.get(
            tenant=principal.tenant, alarm_id=alarm_id, park_id=park_id, conn=conn
        )
        if record.state not in allowed:
            raise Conflict(f"alarm {alarm_id} is {record.state.value}: it cannot be {action}")
        changes = {k: (now if v is _NOW else v) for k, v in values.items()}
        store.alarms.update_alarm(conn, alarm_id, updated_at=now, **changes)
        store.alarms.add_event(
            conn, alarm_id=alarm_id, at=now, actor=principal.actor, action=action, detail=comment
        )
        store.audit.append(
            conn, at=now, actor=principal.actor, action=f"alarm.{action}", entity="alarm",
            entity_id=str(alarm_id), enterprise_id=record.enterprise_id,
            before={"state": record.state.value}, after={**changes, "comment": comment},
        )  # fmt: skip
        after = store.alarms.get(tenant=principal.tenant, alarm_id=alarm_id, conn=conn)
        if action in ("acknowledged", "closed") and store.outbox.any_live(conn):
            from lingtan.alarms.notify.service import enqueue

            enqueue(
                store, park_id=after.park_id, enterprise_id=after.enterprise_id,
                severity=after.severity.value, kind=after.kind.value, event=action,
                alarm={**record_json(after), "comment": comment}, conn=conn, now=now,
            )  # fmt: skip
        return after


_NOW = object()


def acknowledge(
    store: Store, *, principal: Principal, alarm_id: int, comment: str | None
) -> AlarmRecord:
    """Acknowledge an open alarm (who, when, comment); acknowledging stops its escalation."""
    return _change(
        store, principal=principal, alarm_id=alarm_id, action="acknowledged", comment=comment,
        allowed=frozenset({AlarmState.OPEN}),
        values={"state": AlarmState.ACKNOWLEDGED.value, "acked_by": principal.actor,
                "acked_at": _NOW, "ack_comment": comment},
    )  # fmt: skip


def close(store: Store, *, principal: Principal, alarm_id: int, comment: str | None) -> AlarmRecord:
    """Close an alarm (any state but closed); the rule and subject may raise a new one."""
    return _change(
        store, principal=principal, alarm_id=alarm_id, action="closed", comment=comment,
        allowed=frozenset({AlarmState.OPEN, AlarmState.ACKNOWLEDGED, AlarmState.CLEARED}),
        values={"state": AlarmState.CLOSED.value, "open_key": None, "closed_by": principal.actor,
                "closed_at": _NOW},
    )  # fmt: skip


def comment(store: Store, *, principal: Principal, alarm_id: int, text: str) -> AlarmRecord:
    """Add a comment to an alarm's time line."""
    return _change(
        store, principal=principal, alarm_id=alarm_id, action="comment", comment=text,
        allowed=frozenset(AlarmState), values={},
    )  # fmt: skip


def readings_around(
    store: Store, *, principal: Principal, record: AlarmRecord
) -> list[tuple[int, float]]:
    """The readings of the alarm's point around the time it covers (its evidence chart)."""
    require(principal, Permission.READ)
    if record.point_id is None:
        return []
    from lingtan.store.query_repo import QueryRepo

    end = (record.cleared_at or record.last_at) + EVIDENCE_MARGIN_US
    _, rows, _ = QueryRepo(store).readings(
        tenant=principal.tenant,
        code=record.subject_code,
        start=record.first_at - EVIDENCE_MARGIN_US,
        end=max(end, record.last_at + EVIDENCE_MARGIN_US),
        limit=EVIDENCE_MAX,
        offset=0,
    )
    return rows


def evidence(
    store: Store, *, principal: Principal, alarm_ids: Sequence[int]
) -> list[AlarmEvidence]:
    """What alarms carry into an incident made from them (应急事件): each alarm as it is now
    and the readings of its point around it. An alarm outside the caller's scope is
    ``NotFound``, like one that does not exist."""
    out = []
    for alarm_id in alarm_ids:
        record, _ = get_alarm(store, principal=principal, alarm_id=alarm_id)
        readings = readings_around(store, principal=principal, record=record)
        out.append(
            AlarmEvidence(
                alarm_id=record.id,
                rule_code=record.rule_code,
                kind=record.kind.value,
                severity=record.severity.value,
                subject=record.subject_code,
                enterprise_id=record.enterprise_id,
                first_at=record.first_at,
                last_at=record.last_at,
                value=record.value,
                message=record.message,
                readings=tuple((record.subject_code, t, v) for t, v in readings),
            )
        )
    return out


def evidence_resolver(store: Store) -> Callable[[Principal, list[int]], list[AlarmEvidence]]:
    """The resolver the incident register uses to turn alarm ids into evidence."""
    return lambda principal, alarm_ids: evidence(store, principal=principal, alarm_ids=alarm_ids)


# -- maintenance windows ---------------------------------------------------------------------


def add_suppression(
    store: Store,
    *,
    principal: Principal,
    starts: int,
    ends: int,
    reason: str,
    rule_code: str | None = None,
    point_code: str | None = None,
) -> SuppressionRow:
    """A maintenance window: no alarm is raised in [starts, ends) for the rule, the point, or
    (neither named) the caller's scope — an enterprise its own points, the park all."""
    require(principal, Permission.WRITE)
    if ends <= starts:
        raise InvalidInput("ends: must be after starts")
    if not reason.strip():
        raise InvalidInput("reason: required")
    park_id = _park_id(store, principal)
    rule_id = point_id = None
    enterprise_id = principal.enterprise_id
    if rule_code is not None:
        rule_id = get_rule(store, principal=principal, code=rule_code).id
    if point_code is not None:
        from lingtan.store.query_repo import QueryRepo

        point = QueryRepo(store).point(tenant=principal.tenant, code=point_code)
        point_id = point.id
        enterprise_id = point.enterprise_id if enterprise_id is None else enterprise_id
    now = _now()
    with store.begin() as conn:
        sid = store.alarms.add_suppression(
            conn, park_id=park_id, rule_id=rule_id, point_id=point_id,
            enterprise_id=enterprise_id, starts=starts, ends=ends, reason=reason,
            created_by=principal.actor, created_at=now,
        )  # fmt: skip
        store.audit.append(
            conn, at=now, actor=principal.actor, action="alarm_suppression.created",
            entity="alarm_suppression", entity_id=str(sid), enterprise_id=enterprise_id,
            after={"starts": starts, "ends": ends, "reason": reason, "rule": rule_code,
                   "point": point_code},
        )  # fmt: skip
    return store.alarms.suppression(tenant=principal.tenant, suppression_id=sid)


def list_suppressions(store: Store, *, principal: Principal) -> list[SuppressionRow]:
    """Maintenance windows in the caller's scope (not cancelled), newest first."""
    require(principal, Permission.READ)
    return store.alarms.suppressions(tenant=principal.tenant, park_id=_park_id(store, principal))


def cancel_suppression(store: Store, *, principal: Principal, suppression_id: int) -> None:
    """End a maintenance window now (kept, marked cancelled)."""
    require(principal, Permission.WRITE)
    row = store.alarms.suppression(tenant=principal.tenant, suppression_id=suppression_id)
    now = _now()
    with store.begin() as conn:
        store.alarms.cancel_suppression(conn, suppression_id=row.id, now=now)
        store.audit.append(
            conn, at=now, actor=principal.actor, action="alarm_suppression.cancelled",
            entity="alarm_suppression", entity_id=str(row.id), enterprise_id=row.enterprise_id,
        )  # fmt: skip


def record_json(record: AlarmRecord) -> dict[str, Any]:
    """An alarm as plain JSON values (notifications, exports)."""
    data = dataclasses.asdict(record)
    data["kind"] = record.kind.value
    data["severity"] = record.severity.value
    data["state"] = record.state.value
    data["subject_kind"] = record.subject_kind.value
    out: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return out


__all__ = [
    "RuleKind",
    "RulesReport",
    "acknowledge",
    "add_suppression",
    "apply_park_file",
    "cancel_suppression",
    "close",
    "comment",
    "counts",
    "create_rule",
    "evidence",
    "get_alarm",
    "get_rule",
    "list_alarms",
    "list_rules",
    "list_suppressions",
    "readings_around",
    "record_json",
    "retire_rule",
    "save_rules",
    "update_rule",
]
