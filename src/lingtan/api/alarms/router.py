"""``/api/v1/alarms``: the alarm list and one alarm's page (acknowledge, close, comment), the
alarm rules, and maintenance windows. Thin: the work is in :mod:`lingtan.alarms.service`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response, status
from pydantic import BaseModel, Field

from lingtan.alarms import service
from lingtan.alarms.model import SEVERITY_ZH, AlarmEvent, AlarmRecord, RuleKind, Severity
from lingtan.alarms.rules import Rule
from lingtan.api.common import (
    CODE_PATTERN,
    IdPath,
    Page,
    Paging,
    SafeText,
    ShortText,
    TimeQuery,
    iso,
    parse_instant,
)
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.readings.service import park_zone
from lingtan.errors import InvalidInput
from lingtan.store.alarms_repo import AlarmFilter, RuleRow, SuppressionRow
from lingtan.timeutil import UTC

router = APIRouter(prefix="/alarms", tags=["alarms"])

RuleCodePath = Path(pattern=CODE_PATTERN, max_length=64, description="alarm rule id")
StateName = Literal["open", "acknowledged", "cleared", "closed"]


class AlarmEventOut(BaseModel):
    """One transition of an alarm."""

    at: str
    actor: str
    action: str = Field(
        description="raised, repeated, reopened, acknowledged, comment, escalated, cleared, closed"
    )
    detail: str | None


class AlarmOut(BaseModel):
    """An alarm: one episode of a rule × subject (de-duplicated: ``count`` occurrences)."""

    id: int
    rule: str
    rule_name: str
    kind: RuleKind
    severity: Severity
    severity_zh: str
    state: StateName
    subject_kind: Literal["point", "enterprise", "park", "measure", "plan"]
    subject: str = Field(description="the point, enterprise, park, measure or plan code")
    enterprise_id: int | None
    first_at: str = Field(description="when the condition began (data time)")
    last_at: str = Field(description="when it was last seen (data time)")
    raised_at: str = Field(description="when the alarm was stored")
    count: int
    value: float | None
    peak: float | None
    message: str
    evidence: dict[str, Any]
    acked_by: str | None
    acked_at: str | None
    ack_comment: str | None
    cleared_at: str | None
    closed_by: str | None
    closed_at: str | None
    escalated_at: str | None


class ReadingOut(BaseModel):
    """A reading of the alarm's point."""

    ts: str
    value: float


class AlarmDetailOut(AlarmOut):
    """An alarm with its transitions and the readings of its point around it."""

    events: list[AlarmEventOut]
    readings: list[ReadingOut]


class AlarmSummaryOut(BaseModel):
    """Active alarms (open or acknowledged) by severity, and the unacknowledged ones."""

    hint: int
    minor: int
    major: int
    critical: int
    unacknowledged: int


class CommentIn(BaseModel):
    """A comment on an acknowledgement or a close."""

    comment: SafeText | None = None


class TextIn(BaseModel):
    """A comment on an alarm's time line."""

    text: ShortText


class RuleOut(BaseModel):
    """A stored alarm rule."""

    id: str
    name: str
    kind: RuleKind
    severity: Severity
    enabled: bool
    rule: dict[str, Any] = Field(description="the rule record (docs/alarms.md)")
    enterprise_id: int | None = Field(description="the enterprise that wrote it; null: the park")
    source: str
    created_at: str
    updated_at: str


class SuppressionIn(BaseModel):
    """A maintenance window."""

    starts: dt.datetime = Field(description="ISO 8601 with offset")
    ends: dt.datetime = Field(description="ISO 8601 with offset")
    reason: ShortText
    rule: str | None = Field(default=None, pattern=CODE_PATTERN, max_length=64)
    point: str | None = Field(default=None, pattern=CODE_PATTERN, max_length=64)


class SuppressionOut(BaseModel):
    """A stored maintenance window."""

    id: int
    starts: str
    ends: str
    reason: str
    rule_id: int | None
    point_id: int | None
    enterprise_id: int | None
    created_by: str
    created_at: str


def _alarm(a: AlarmRecord, tz: dt.tzinfo) -> dict[str, Any]:
    return {
        "id": a.id,
        "rule": a.rule_code,
        "rule_name": a.rule_name,
        "kind": a.kind,
        "severity": a.severity,
        "severity_zh": SEVERITY_ZH[a.severity],
        "state": a.state.value,
        "subject_kind": a.subject_kind.value,
        "subject": a.subject_code,
        "enterprise_id": a.enterprise_id,
        "first_at": iso(a.first_at, tz),
        "last_at": iso(a.last_at, tz),
        "raised_at": iso(a.raised_at, UTC),
        "count": a.count,
        "value": a.value,
        "peak": a.peak,
        "message": a.message,
        "evidence": a.evidence,
        "acked_by": a.acked_by,
        "acked_at": iso(a.acked_at, UTC),
        "ack_comment": a.ack_comment,
        "cleared_at": iso(a.cleared_at, UTC),
        "closed_by": a.closed_by,
        "closed_at": iso(a.closed_at, UTC),
        "escalated_at": iso(a.escalated_at, UTC),
    }


def _event(e: AlarmEvent) -> AlarmEventOut:
    return AlarmEventOut(at=iso(e.at, UTC) or "", actor=e.actor, action=e.action, detail=e.detail)


def _rule(r: RuleRow) -> RuleOut:
    return RuleOut(
        id=r.code, name=r.name, kind=RuleKind(r.kind), severity=Severity(r.severity),
        enabled=r.enabled, rule=r.spec, enterprise_id=r.enterprise_id, source=r.source,
        created_at=iso(r.created_at, UTC) or "", updated_at=iso(r.updated_at, UTC) or "",
    )  # fmt: skip


def _suppression(w: SuppressionRow, tz: dt.tzinfo) -> SuppressionOut:
    return SuppressionOut(
        id=w.id, starts=iso(w.starts, tz) or "", ends=iso(w.ends, tz) or "", reason=w.reason,
        rule_id=w.rule_id, point_id=w.point_id, enterprise_id=w.enterprise_id,
        created_by=w.created_by, created_at=iso(w.created_at, UTC) or "",
    )  # fmt: skip


@router.get("", response_model=Page[AlarmOut])
def list_alarms(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    state: Annotated[list[StateName] | None, Query(description="states (repeatable)")] = None,
    severity: Annotated[list[Severity] | None, Query(description="severities (repeatable)")] = None,
    kind: Annotated[list[RuleKind] | None, Query(description="rule kinds (repeatable)")] = None,
    enterprise_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    rule: Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=64)] = None,
    subject: Annotated[str | None, Query(pattern=CODE_PATTERN, max_length=64)] = None,
    since: TimeQuery = None,
    until: TimeQuery = None,
) -> Page[AlarmOut]:
    """Alarms in the caller's scope (an enterprise sees its own), newest first, filtered by
    state, severity, kind, enterprise, rule, subject and when they were raised."""
    tz = park_zone(store, principal.park_id)
    filters = AlarmFilter(
        states=state, severities=[s.value for s in severity] if severity else None,
        kinds=[k.value for k in kind] if kind else None, enterprise_id=enterprise_id,
        rule_code=rule, subject_code=subject,
        since=None if since is None else parse_instant(since, tz, field="since"),
        until=None if until is None else parse_instant(until, tz, field="until"),
    )  # fmt: skip
    rows, total = service.list_alarms(
        store, principal=principal, filters=filters, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[AlarmOut(**_alarm(a, tz)) for a in rows], total=total, limit=page.limit,
        offset=page.offset,
    )  # fmt: skip


@router.get("/summary", response_model=AlarmSummaryOut)
def alarm_summary(principal: CurrentPrincipal, store: StoreDep) -> AlarmSummaryOut:
    """Active alarms by severity and the unacknowledged total (the dashboard's badge)."""
    return AlarmSummaryOut(**service.counts(store, principal=principal))


@router.get("/rules", response_model=list[RuleOut])
def list_rules(principal: CurrentPrincipal, store: StoreDep) -> list[RuleOut]:
    """The alarm rules in the caller's scope, by id."""
    return [_rule(r) for r in service.list_rules(store, principal=principal)]


@router.post("/rules", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(
    principal: CurrentPrincipal, store: StoreDep, body: Annotated[Rule, Body()]
) -> RuleOut:
    """Create an alarm rule (park admins; enterprise admins for their own points — the rule is
    then bound to their enterprise). An invalid rule is refused with the field named; an
    existing id is 409."""
    data = body.model_dump(mode="json", by_alias=True)
    return _rule(service.create_rule(store, principal=principal, data=data))


@router.get("/rules/{rule_code}", response_model=RuleOut)
def get_rule(
    rule_code: Annotated[str, RuleCodePath], principal: CurrentPrincipal, store: StoreDep
) -> RuleOut:
    """One alarm rule."""
    return _rule(service.get_rule(store, principal=principal, code=rule_code))


@router.put("/rules/{rule_code}", response_model=RuleOut)
def update_rule(
    rule_code: Annotated[str, RuleCodePath],
    principal: CurrentPrincipal,
    store: StoreDep,
    body: Annotated[Rule, Body()],
) -> RuleOut:
    """Replace an alarm rule (its id stays; the body's id must be the same)."""
    if body.code != rule_code:
        raise InvalidInput(f"id: the body names {body.code!r}, the path {rule_code!r}", field="id")
    data = body.model_dump(mode="json", by_alias=True)
    return _rule(service.update_rule(store, principal=principal, code=rule_code, data=data))


@router.delete("/rules/{rule_code}", status_code=status.HTTP_204_NO_CONTENT)
def retire_rule(
    rule_code: Annotated[str, RuleCodePath], principal: CurrentPrincipal, store: StoreDep
) -> Response:
    """Retire a rule: no longer evaluated; its alarms stay in history."""
    service.retire_rule(store, principal=principal, code=rule_code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/suppressions", response_model=list[SuppressionOut])
def list_suppressions(principal: CurrentPrincipal, store: StoreDep) -> list[SuppressionOut]:
    """Maintenance windows in the caller's scope (not cancelled), newest first."""
    tz = park_zone(store, principal.park_id)
    return [_suppression(w, tz) for w in service.list_suppressions(store, principal=principal)]


@router.post("/suppressions", response_model=SuppressionOut, status_code=status.HTTP_201_CREATED)
def add_suppression(
    body: SuppressionIn, principal: CurrentPrincipal, store: StoreDep
) -> SuppressionOut:
    """A maintenance window: no alarm is raised in [starts, ends) for the rule, the point, or
    (neither named) the caller's scope. A condition still on when it ends raises then."""
    for name in ("starts", "ends"):
        value = getattr(body, name)
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(f"{name}: the time needs an offset (Z or +08:00)", field=name)
    from lingtan.timeutil import to_us

    w = service.add_suppression(
        store, principal=principal, starts=to_us(body.starts), ends=to_us(body.ends),
        reason=body.reason, rule_code=body.rule, point_code=body.point,
    )  # fmt: skip
    return _suppression(w, park_zone(store, principal.park_id))


@router.delete("/suppressions/{suppression_id}", status_code=status.HTTP_204_NO_CONTENT)
def cancel_suppression(
    suppression_id: IdPath, principal: CurrentPrincipal, store: StoreDep
) -> Response:
    """End a maintenance window now (kept in history)."""
    service.cancel_suppression(store, principal=principal, suppression_id=suppression_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{alarm_id}", response_model=AlarmDetailOut)
def get_alarm(alarm_id: IdPath, principal: CurrentPrincipal, store: StoreDep) -> AlarmDetailOut:
    """One alarm with its transitions and the readings of its point around it."""
    record, events = service.get_alarm(store, principal=principal, alarm_id=alarm_id)
    tz = park_zone(store, principal.park_id)
    readings = service.readings_around(store, principal=principal, record=record)
    return AlarmDetailOut(
        **_alarm(record, tz),
        events=[_event(e) for e in events],
        readings=[ReadingOut(ts=iso(t, tz) or "", value=v) for t, v in readings],
    )


@router.post("/{alarm_id}/acknowledge", response_model=AlarmOut)
def acknowledge(
    alarm_id: IdPath, body: CommentIn, principal: CurrentPrincipal, store: StoreDep
) -> AlarmOut:
    """Acknowledge an open alarm (who, when, comment); it is then no longer escalated. 409
    when it is not open."""
    record = service.acknowledge(
        store, principal=principal, alarm_id=alarm_id, comment=body.comment
    )
    return AlarmOut(**_alarm(record, park_zone(store, principal.park_id)))


@router.post("/{alarm_id}/close", response_model=AlarmOut)
def close(
    alarm_id: IdPath, body: CommentIn, principal: CurrentPrincipal, store: StoreDep
) -> AlarmOut:
    """Close an alarm (409 when closed already); the rule may raise a new one later."""
    record = service.close(store, principal=principal, alarm_id=alarm_id, comment=body.comment)
    return AlarmOut(**_alarm(record, park_zone(store, principal.park_id)))


@router.post("/{alarm_id}/comments", response_model=AlarmOut)
def add_comment(
    alarm_id: IdPath, body: TextIn, principal: CurrentPrincipal, store: StoreDep
) -> AlarmOut:
    """Add a comment to an alarm's time line."""
    record = service.comment(store, principal=principal, alarm_id=alarm_id, text=body.text)
    return AlarmOut(**_alarm(record, park_zone(store, principal.park_id)))
