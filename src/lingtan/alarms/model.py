"""Alarm types shared by the engine, the store and the API (pure: no store, no I/O).

Severity grades follow the four-level practice of Chinese operations platforms (提示/一般/重要/
紧急); they are ordered, so a channel or an escalation can say "this grade and above".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final


class Severity(StrEnum):
    """How urgent an alarm is, lowest first."""

    HINT = "hint"  # 提示
    MINOR = "minor"  # 一般
    MAJOR = "major"  # 重要
    CRITICAL = "critical"  # 紧急

    @property
    def rank(self) -> int:
        """0 for 提示 … 3 for 紧急."""
        return _RANK[self]

    @property
    def zh(self) -> str:
        """The Chinese name."""
        return SEVERITY_ZH[self]


_RANK: Final = {s: i for i, s in enumerate(Severity)}
SEVERITY_ZH: Final = {
    Severity.HINT: "提示",
    Severity.MINOR: "一般",
    Severity.MAJOR: "重要",
    Severity.CRITICAL: "紧急",
}


class RuleKind(StrEnum):
    """What a rule watches."""

    THRESHOLD = "threshold"  # a value above/below/outside a band, with hold time and hysteresis
    RATE_OF_CHANGE = "rate_of_change"  # a step larger than X within Y
    FRESHNESS = "freshness"  # no reading for N × the point's interval (comms loss)
    QUALITY = "quality"  # hours labelled missing/estimated, resets, rollovers, spikes, rejects
    BUDGET = "budget"  # month consumption/emissions projected above a target
    DEVIATION = "deviation"  # a value departing from an expected one by more than X %
    WASTE = "waste"  # a hazardous-waste ledger check (lingtan.waste.alarms)
    DISPATCH = "dispatch"  # a setpoint not confirmed by its device (lingtan.dispatch.alarms)
    ENVIRONMENT = "environment"  # a monitoring-station check (lingtan.environment.alarms)
    INSPECTION = "inspection"  # an inspection plan past its due date (lingtan.equipment.alarms)
    PROGRAMME = "programme"  # a measure overdue, a plan behind (lingtan.programme.alarms)


class AlarmState(StrEnum):
    """Where an alarm is in its workflow.

    ``open`` (raised, nobody has acknowledged it) → ``acknowledged`` (someone took it, with a
    comment) → ``cleared`` (the condition ended by itself; the alarm stays in history and is
    re-opened if the condition returns within the rule's settle time) → ``closed`` (closed by a
    person, or automatically once cleared for the settle time). The states before ``cleared``
    are *active*.
    """

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"
    CLOSED = "closed"


STATE_ZH: Final = {
    AlarmState.OPEN: "未确认",
    AlarmState.ACKNOWLEDGED: "已确认",
    AlarmState.CLEARED: "已恢复",
    AlarmState.CLOSED: "已关闭",
}

#: states that hold the rule × subject de-duplication key
HOLDING_STATES: Final = frozenset({AlarmState.OPEN, AlarmState.ACKNOWLEDGED, AlarmState.CLEARED})
ACTIVE_STATES: Final = frozenset({AlarmState.OPEN, AlarmState.ACKNOWLEDGED})


class SubjectKind(StrEnum):
    """What an alarm is about."""

    POINT = "point"
    ENTERPRISE = "enterprise"
    PARK = "park"
    #: a record of a module's own (lingtan.programme.alarms): a measure, a plan
    MEASURE = "measure"
    PLAN = "plan"


@dataclass(frozen=True, slots=True)
class Subject:
    """The thing an alarm is about: a metering point, an enterprise, the park, or a record a
    module lists (a measure, a plan). ``key`` is unique within a rule (the point, enterprise
    or record id, 0 for the park)."""

    kind: SubjectKind
    key: int
    code: str
    #: the tenant the subject belongs to (None: the park)
    enterprise_id: int | None
    point_id: int | None = None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A condition found by the engine: ``raise`` or ``clear`` of a rule for a subject."""

    what: str  # "raise" | "clear"
    at: int  # µs of the sample that completed the hold / ended the condition
    value: float | None
    since: int  # µs the episode began
    message: str
    peak: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    """One stored alarm."""

    id: int
    park_id: int
    rule_id: int
    rule_code: str
    rule_name: str
    kind: RuleKind
    severity: Severity
    state: AlarmState
    subject_kind: SubjectKind
    subject_code: str
    point_id: int | None
    enterprise_id: int | None
    first_at: int
    last_at: int
    raised_at: int
    count: int
    value: float | None
    peak: float | None
    message: str
    evidence: dict[str, Any]
    acked_by: str | None
    acked_at: int | None
    ack_comment: str | None
    cleared_at: int | None
    closed_by: str | None
    closed_at: int | None
    escalated_at: int | None

    @property
    def active(self) -> bool:
        """Whether the condition is still on (open or acknowledged)."""
        return self.state in ACTIVE_STATES


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One transition of an alarm (its audit trail)."""

    id: int
    alarm_id: int
    at: int
    actor: str
    action: str  # raised, repeated, reopened, acknowledged, cleared, closed, escalated, comment
    detail: str | None


@dataclass(frozen=True, slots=True)
class Finding:
    """What a module's check found for a subject (an alarm's condition is on while a check
    returns one): the value that breaks the rule, the message naming the rule's source, and
    the evidence (records, figures)."""

    value: float | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
