"""The pure layer of the emergency-event register (应急事件台账): incidents (突发事件), their
time line entries (时间线), attachment metadata (附件), the evidence of linked alarms
(关联告警证据) and the rules every change obeys. No I/O: the store persists these types and the
service applies the rules.

States: ``open`` (已登记) → ``responding`` (处置中) → ``closed`` (已关闭). Closing needs a closing
report (结案报告); a closed incident takes no further change. The time line is append-only: an
entry is never edited, a correction is a new entry that names the one it corrects.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from lingtan.alarms.incidents.catalog import Catalog, catalog
from lingtan.errors import Conflict, InvalidInput
from lingtan.wording import Wording, table

#: longest title, place, person field, entry text and closing report [characters]
MAX_TITLE: Final = 200
MAX_PLACE: Final = 200
MAX_PERSON_FIELD: Final = 100
MAX_TEXT: Final = 10_000
MAX_REPORT: Final = 50_000
#: most responsible people on one incident
MAX_PEOPLE: Final = 50
#: most alarms linked in one request, and readings kept per alarm's evidence
MAX_ALARMS: Final = 100
MAX_READINGS: Final = 1_000
#: default cap of one attachment [bytes] (Settings.incident_attachment_max_bytes overrides it)
DEFAULT_ATTACHMENT_MAX: Final = 10 * 1024 * 1024


class IncidentState(StrEnum):
    """Where an incident is in its handling."""

    OPEN = "open"  # 已登记
    RESPONDING = "responding"  # 处置中
    CLOSED = "closed"  # 已关闭


#: allowed state changes: closing is allowed from open too (a false alarm is closed with a
#: report saying so, without a response)
TRANSITIONS: Final[dict[IncidentState, frozenset[IncidentState]]] = {
    IncidentState.OPEN: frozenset({IncidentState.RESPONDING, IncidentState.CLOSED}),
    IncidentState.RESPONDING: frozenset({IncidentState.CLOSED}),
    IncidentState.CLOSED: frozenset(),
}


class EntryKind(StrEnum):
    """What a time line entry records (``note`` is a person's entry; the others are written by
    the register when something changes)."""

    OPENED = "opened"  # 登记
    ALARM = "alarm"  # 由告警创建 / 关联告警
    NOTE = "note"  # 记录
    CORRECTION = "correction"  # 更正
    LEVEL = "level"  # 级别调整
    RESPONSIBLE = "responsible"  # 责任人变更
    ATTACHMENT = "attachment"  # 附件
    STATE = "state"  # 状态变更
    CLOSED = "closed"  # 结案


@dataclass(frozen=True, slots=True)
class AlarmEvidence:
    """What an alarm knew when an incident was made from it (or linked to it): built by the alarm
    engine, copied into the incident as it was (a snapshot: the alarm may change later).

    ``readings`` are (point code, instant [epoch µs UTC], value) in the alarm's own units."""

    alarm_id: int
    rule_code: str
    kind: str
    severity: str
    subject: str
    enterprise_id: int | None
    first_at: int
    last_at: int
    value: float | None
    message: str
    readings: tuple[tuple[str, int, float], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the stored snapshot)."""
        return {
            "alarm_id": self.alarm_id,
            "rule_code": self.rule_code,
            "kind": self.kind,
            "severity": self.severity,
            "subject": self.subject,
            "enterprise_id": self.enterprise_id,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "value": self.value,
            "message": self.message,
            "readings": [list(r) for r in self.readings],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AlarmEvidence:
        """The evidence back from :meth:`as_dict`."""
        return cls(
            alarm_id=int(d["alarm_id"]),
            rule_code=str(d["rule_code"]),
            kind=str(d["kind"]),
            severity=str(d["severity"]),
            subject=str(d["subject"]),
            enterprise_id=None if d.get("enterprise_id") is None else int(d["enterprise_id"]),
            first_at=int(d["first_at"]),
            last_at=int(d["last_at"]),
            value=None if d.get("value") is None else float(d["value"]),
            message=str(d["message"]),
            readings=tuple((str(p), int(t), float(v)) for p, t, v in d.get("readings", ())),
        )

    def to_json(self) -> str:
        """The snapshot as JSON text."""
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class Person:
    """A responsible person (责任人): name, duty (职责) and how to reach them."""

    name: str
    duty: str = ""
    contact: str = ""

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready form."""
        return {"name": self.name, "duty": self.duty, "contact": self.contact}


@dataclass(frozen=True, slots=True)
class Location:
    """Where an incident happened: an enterprise (None: the park), a building (site), a point
    on the map (WGS 84 degrees) and a description of the place."""

    enterprise_id: int | None = None
    site_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: str = ""


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident of the register (its current header; the history is the time line)."""

    id: int
    park_id: int
    title: str
    kind: str
    category: str
    level: str | None
    state: IncidentState
    location: Location
    occurred_at: int
    summary: str
    responsible: tuple[Person, ...]
    closing_report: str | None
    opened_by: str
    opened_at: int
    closed_by: str | None
    closed_at: int | None
    updated_at: int

    @property
    def enterprise_id(self) -> int | None:
        """The tenant key: the enterprise the incident belongs to (None: the park's own)."""
        return self.location.enterprise_id

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (audit snapshots)."""
        loc = self.location
        return {
            "id": self.id,
            "park_id": self.park_id,
            "title": self.title,
            "kind": self.kind,
            "category": self.category,
            "level": self.level,
            "state": self.state.value,
            "enterprise_id": loc.enterprise_id,
            "site_id": loc.site_id,
            "latitude": loc.latitude,
            "longitude": loc.longitude,
            "place": loc.place,
            "occurred_at": self.occurred_at,
            "summary": self.summary,
            "responsible": [p.as_dict() for p in self.responsible],
            "closing_report": self.closing_report,
            "closed_by": self.closed_by,
            "closed_at": self.closed_at,
        }


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A time line entry to append."""

    kind: EntryKind
    text: str
    at: int
    data: Mapping[str, Any] = field(default_factory=dict)
    corrects_id: int | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored time line entry: who (``actor``), when it happened (``at``), when it was
    recorded, what (``text``; ``data`` for the entries the register writes)."""

    id: int
    incident_id: int
    kind: EntryKind
    at: int
    recorded_at: int
    actor: str
    text: str
    data: Mapping[str, Any]
    corrects_id: int | None = None


@dataclass(frozen=True, slots=True)
class AttachmentMeta:
    """An attachment without its content: the content is identified by its SHA-256."""

    id: int
    incident_id: int
    name: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: int


@dataclass(frozen=True, slots=True)
class LinkedAlarm:
    """An alarm linked to an incident, with the evidence copied when it was linked."""

    incident_id: int
    alarm_id: int
    evidence: AlarmEvidence
    linked_by: str
    linked_at: int


@dataclass(frozen=True, slots=True)
class Dossier:
    """An incident with everything recorded about it (the detail view and the report)."""

    incident: Incident
    entries: tuple[Entry, ...]
    attachments: tuple[AttachmentMeta, ...]
    alarms: tuple[LinkedAlarm, ...]
    #: names of the enterprise and building, when the incident has them
    enterprise_name: str | None = None
    site_name: str | None = None


# -- rules ------------------------------------------------------------------------------------


def content_hash(content: bytes) -> str:
    """SHA-256 of an attachment's bytes, lower-case hex."""
    return hashlib.sha256(content).hexdigest()


def check_text(value: str | None, *, field: str, max_len: int, required: bool = True) -> str:
    """``value`` stripped; ``InvalidInput`` naming ``field`` when it is empty (if required),
    too long, or holds control characters."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(text) > max_len:
        raise InvalidInput(f"{field} is longer than {max_len} characters", field=field)
    for ch in text:
        o = ord(ch)
        if (o < 32 and ch not in "\t\n\r") or o == 0x7F or 0xD800 <= o <= 0xDFFF:
            raise InvalidInput(f"{field} holds control characters", field=field)
    return text


def check_kind(kind: str, cat: Catalog | None = None) -> str:
    """A kind of the catalogue (``InvalidInput`` naming ``kind`` otherwise)."""
    cat = cat or catalog()
    if kind not in cat.kinds:
        raise InvalidInput(f"kind must be one of {', '.join(cat.kinds)}", field="kind")
    return kind


def check_level(level: str | None, cat: Catalog | None = None) -> str | None:
    """A grade of the catalogue, or None (not yet graded)."""
    cat = cat or catalog()
    if level is not None and level not in cat.grades:
        raise InvalidInput(f"level must be one of {', '.join(cat.grades)}", field="level")
    return level


def _coordinate(value: float | None, *, field: str, limit: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{field} must be a number", field=field)
    v = float(value)
    if not math.isfinite(v) or not -limit <= v <= limit:
        raise InvalidInput(f"{field} must be between -{limit:g} and {limit:g}", field=field)
    return v


def check_location(location: Location) -> Location:
    """The location with its coordinates checked: latitude in −90…90, longitude in −180…180,
    both or neither; the place text bounded. (The enterprise and building are checked against
    the registry by the service.)"""
    lat = _coordinate(location.latitude, field="latitude", limit=90)
    lon = _coordinate(location.longitude, field="longitude", limit=180)
    if (lat is None) != (lon is None):
        missing = "longitude" if lon is None else "latitude"
        raise InvalidInput(f"{missing} is needed with the other coordinate", field=missing)
    place = check_text(location.place, field="place", max_len=MAX_PLACE, required=False)
    return Location(location.enterprise_id, location.site_id, lat, lon, place)


def check_people(people: Sequence[Person]) -> tuple[Person, ...]:
    """Responsible people with their fields checked (a name each, no one twice)."""
    if len(people) > MAX_PEOPLE:
        raise InvalidInput(f"at most {MAX_PEOPLE} responsible people", field="responsible")
    out: list[Person] = []
    for p in people:
        person = Person(
            name=check_text(p.name, field="responsible.name", max_len=MAX_PERSON_FIELD),
            duty=check_text(
                p.duty, field="responsible.duty", max_len=MAX_PERSON_FIELD, required=False
            ),
            contact=check_text(
                p.contact, field="responsible.contact", max_len=MAX_PERSON_FIELD, required=False
            ),
        )
        if person in out:
            raise InvalidInput(f"{person.name} is listed twice", field="responsible")
        out.append(person)
    return tuple(out)


def check_evidence(evidence: AlarmEvidence) -> AlarmEvidence:
    """An alarm's evidence as the register keeps it: bounded readings, finite values."""
    if evidence.alarm_id < 1:
        raise InvalidInput("alarm id must be positive", field="alarm_ids")
    if len(evidence.readings) > MAX_READINGS:
        raise InvalidInput(
            f"alarm #{evidence.alarm_id}: more than {MAX_READINGS} readings", field="alarm_ids"
        )
    values = [v for _, _, v in evidence.readings]
    if evidence.value is not None:
        values.append(evidence.value)
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput(f"alarm #{evidence.alarm_id}: a value is not finite", field="alarm_ids")
    return evidence


def check_transition(state: IncidentState, to: IncidentState) -> None:
    """``Conflict`` unless ``state`` may become ``to``."""
    if state is IncidentState.CLOSED:
        raise Conflict("the incident is closed; nothing more can be recorded on it")
    if to not in TRANSITIONS[state]:
        raise Conflict(f"an incident that is {state.value} cannot become {to.value}")


def check_open(incident: Incident) -> None:
    """``Conflict`` when the incident is closed (its record is final)."""
    if incident.state is IncidentState.CLOSED:
        raise Conflict("the incident is closed; nothing more can be recorded on it")


def evidence_scope(incident_enterprise: int | None, evidence: Sequence[AlarmEvidence]) -> None:
    """An enterprise's incident links only that enterprise's alarms (its users read the
    evidence); a park incident may link any alarm of the park."""
    if incident_enterprise is None:
        return
    for e in evidence:
        if e.enterprise_id != incident_enterprise:
            raise InvalidInput(
                f"alarm #{e.alarm_id} is not of the incident's enterprise", field="alarm_ids"
            )


# -- wording of the register's own entries -----------------------------------------------------

STATE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "open": ("已登记", "open"),
    "responding": ("处置中", "responding"),
    "closed": ("已关闭", "closed"),
}


def state_name(state: str, lang: str) -> str:
    """The state in ``lang``."""
    zh, en = STATE_NAMES.get(state, (state, state))
    return zh if lang.startswith("zh") else en


def alarm_term(code: str, group: str, lang: str) -> str:
    """An alarm engine's code (``alarm_severity``, ``alarm_rule_kind``) in ``lang``: its wording
    from lingtan/wording/zh-CN.yaml, the code itself when it has none."""
    words = table().groups.get(group, {}).get(code)
    if words is None:
        return code
    return words[0] if lang.startswith("zh") else words[1]


def _grade(code: str | None, lang: str) -> str:
    if code is None:
        return "未定级" if lang.startswith("zh") else "not graded"
    term = catalog().grades.get(code)
    return code if term is None else term.name(lang)


def entry_text(entry: Entry | NewEntry, lang: str = "zh") -> str:
    """What an entry says in ``lang``: a person's text as written, the register's own entries
    worded from their data."""
    zh = lang.startswith("zh")
    d = entry.data
    kind = entry.kind
    if kind in (EntryKind.NOTE, EntryKind.CORRECTION):
        if kind is EntryKind.CORRECTION and entry.corrects_id is not None:
            prefix = (
                f"更正记录 #{entry.corrects_id}："
                if zh
                else f"correction of #{entry.corrects_id}: "
            )
            return prefix + entry.text
        return entry.text
    if kind is EntryKind.OPENED:
        return f"登记事件：{d.get('title', '')}" if zh else f"incident opened: {d.get('title', '')}"
    if kind is EntryKind.ALARM:
        verb = d.get("verb", "created")
        sev = alarm_term(str(d.get("severity", "")), "alarm_severity", lang)
        aid = d.get("alarm_id")
        # the engine writes its messages in English; zh-CN words them (lingtan.wording)
        msg = Wording("zh-CN" if zh else "en").text(str(d.get("message", "")))
        if zh:
            head = f"由告警 #{aid} 创建" if verb == "created" else f"关联告警 #{aid}"
            return f"{head}（{sev}）：{msg}"
        head = f"created from alarm #{aid}" if verb == "created" else f"alarm #{aid} linked"
        return f"{head} ({sev}): {msg}"
    if kind is EntryKind.LEVEL:
        before, after = _grade(d.get("from"), lang), _grade(d.get("to"), lang)
        reason = entry.text
        if zh:
            return f"级别由{before}调整为{after}" + (f"：{reason}" if reason else "")
        return f"level changed from {before} to {after}" + (f": {reason}" if reason else "")
    if kind is EntryKind.RESPONSIBLE:
        names = (
            "、".join(str(n) for n in d.get("names", []))
            if zh
            else ", ".join(str(n) for n in d.get("names", []))
        )
        empty = "（无）" if zh else "(none)"
        return (f"责任人：{names or empty}") if zh else f"responsible people: {names or empty}"
    if kind is EntryKind.ATTACHMENT:
        name, digest = d.get("name", ""), str(d.get("sha256", ""))[:12]
        return (
            f"上传附件 {name}（SHA-256 {digest}…）"
            if zh
            else f"attachment {name} (SHA-256 {digest}…)"
        )
    if kind is EntryKind.STATE:
        to = state_name(str(d.get("to", "")), lang)
        reason = entry.text
        if zh:
            return f"状态变为{to}" + (f"：{reason}" if reason else "")
        return f"state changed to {to}" + (f": {reason}" if reason else "")
    if kind is EntryKind.CLOSED:
        return "结案" if zh else "incident closed"
    return entry.text
