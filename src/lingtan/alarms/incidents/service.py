"""The register's operations (应急事件台账): open an incident (from alarms too), append to its
time line, attach files, link alarm evidence, set the responsible people and the level, start
the response, close it with a report. Every change runs in one transaction with its time line
entry and its audit entry (``store.audit``).

Who may do what: reading needs ``Permission.READ``, changing needs ``Permission.WRITE`` (park
administrators for every incident, an enterprise's administrator for its enterprise's); an
incident outside the caller's scope is ``NotFound``, as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from lingtan.alarms.incidents.catalog import catalog
from lingtan.alarms.incidents.model import (
    DEFAULT_ATTACHMENT_MAX,
    MAX_ALARMS,
    MAX_REPORT,
    MAX_TEXT,
    MAX_TITLE,
    AlarmEvidence,
    AttachmentMeta,
    Dossier,
    EntryKind,
    Incident,
    IncidentState,
    Location,
    NewEntry,
    Person,
    check_evidence,
    check_kind,
    check_level,
    check_location,
    check_open,
    check_people,
    check_text,
    check_transition,
    content_hash,
    evidence_scope,
)
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo, Tenant
from lingtan.timeutil import to_us, utcnow

#: resolves alarm ids into their evidence for a caller (the alarm engine provides it); it
#: raises ``NotFound`` for an alarm outside the caller's scope
AlarmResolver = Callable[[Principal, list[int]], list[AlarmEvidence]]
#: how far in the future an instant of an entry may be (clocks differ) [µs]
FUTURE_SKEW_US = 300 * 1_000_000
#: media types accepted as they are; anything else is stored as application/octet-stream
_MEDIA_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-/")


def _now(now: int | None) -> int:
    return to_us(utcnow()) if now is None else now


def _check_instant(value: int, *, field: str, now: int) -> int:
    if value > now + FUTURE_SKEW_US:
        raise InvalidInput(f"{field} is in the future", field=field)
    if value < 0:
        raise InvalidInput(f"{field} is before 1970", field=field)
    return value


def _audit(
    store: Store,
    conn: Any,
    *,
    principal: Principal,
    action: str,
    incident: Incident,
    at: int,
    before: Any = None,
    after: Any = None,
) -> None:
    store.audit.append(
        conn,
        at=at,
        actor=principal.actor,
        action=action,
        entity="incident",
        entity_id=str(incident.id),
        enterprise_id=incident.enterprise_id,
        before=before,
        after=after,
    )


def _location(store: Store, principal: Principal, park_id: int, location: Location) -> Location:
    """The location checked against the registry in the caller's scope: the enterprise (the
    caller's own for an enterprise user) and the building (of that enterprise, or any of the
    park for a park incident; an enterprise's building makes the incident that enterprise's)."""
    loc = check_location(location)
    q = QueryRepo(store)
    enterprise_id = loc.enterprise_id
    if principal.enterprise_id is not None:
        enterprise_id = principal.enterprise_id if enterprise_id is None else enterprise_id
    if enterprise_id is not None:
        ent = q.enterprise(tenant=principal.tenant, enterprise_id=enterprise_id)
        if ent.park_id != park_id:
            raise NotFound("enterprise not found")
    if loc.site_id is not None:
        site = q.site(tenant=principal.tenant, site_id=loc.site_id)
        if site.park_id != park_id or not Tenant(enterprise_id).owns(site.enterprise_id):
            raise NotFound("site not found")
        if enterprise_id is None:
            # an enterprise's building: the incident is that enterprise's (its users see it)
            enterprise_id = site.enterprise_id
    return replace(loc, enterprise_id=enterprise_id)


def _resolve(
    principal: Principal, alarm_ids: Sequence[int], resolve: AlarmResolver | None
) -> list[AlarmEvidence]:
    ids = list(dict.fromkeys(int(a) for a in alarm_ids))
    if not ids:
        return []
    if len(ids) > MAX_ALARMS:
        raise InvalidInput(f"at most {MAX_ALARMS} alarms at once", field="alarm_ids")
    if resolve is None:
        raise InvalidInput("alarm linking is not available", field="alarm_ids")
    found = resolve(principal, ids)
    if {e.alarm_id for e in found} != set(ids):
        raise NotFound("alarm not found")
    return found


def _evidence_entries(evidence: Sequence[AlarmEvidence], *, verb: str, now: int) -> list[NewEntry]:
    out = []
    for e in evidence:
        out.append(
            NewEntry(
                kind=EntryKind.ALARM,
                text="",
                # the alarm's first time: the time line starts when the alarm saw it first
                at=min(e.first_at, now),
                data={
                    "verb": verb,
                    "alarm_id": e.alarm_id,
                    "rule_code": e.rule_code,
                    "severity": e.severity,
                    "message": e.message,
                    "subject": e.subject,
                },
            )
        )
    return out


def open(
    store: Store,
    *,
    principal: Principal,
    title: str,
    kind: str,
    occurred_at: int | None = None,
    level: str | None = None,
    location: Location | None = None,
    summary: str = "",
    responsible: Sequence[Person] = (),
    evidence: Sequence[AlarmEvidence] = (),
    now: int | None = None,
) -> Dossier:
    """Open an incident (登记). ``evidence`` from alarms is copied into the incident, one time
    line entry per alarm ("由告警 #id 创建 …"); the incident then belongs to the alarms'
    enterprise when no location names one (and they share one). ``occurred_at`` defaults to the
    earliest alarm's first time, else now."""
    require(principal, Permission.WRITE)
    t = _now(now)
    cat = catalog()
    title = check_text(title, field="title", max_len=MAX_TITLE)
    check_kind(kind, cat)
    check_level(level, cat)
    summary = check_text(summary, field="summary", max_len=MAX_TEXT, required=False)
    people = check_people(responsible)
    evidence = [check_evidence(e) for e in evidence]
    if len({e.alarm_id for e in evidence}) != len(evidence):
        raise InvalidInput("an alarm is given twice", field="alarm_ids")
    loc = location or Location()
    owners = {e.enterprise_id for e in evidence}
    if loc.enterprise_id is None and len(owners) == 1 and principal.enterprise_id is None:
        loc = replace(loc, enterprise_id=next(iter(owners)))
    park = store.registry.park(principal.park_id)
    loc = _location(store, principal, park.id, loc)
    evidence_scope(loc.enterprise_id, evidence)
    if occurred_at is None:
        occurred_at = min([e.first_at for e in evidence], default=t)
    _check_instant(occurred_at, field="occurred_at", now=t)
    incident = Incident(
        id=0,
        park_id=park.id,
        title=title,
        kind=kind,
        category=cat.kinds[kind].category,
        level=level,
        state=IncidentState.OPEN,
        location=loc,
        occurred_at=min(occurred_at, t),
        summary=summary,
        responsible=people,
        closing_report=None,
        opened_by=principal.actor,
        opened_at=t,
        closed_by=None,
        closed_at=None,
        updated_at=t,
    )
    entries = _evidence_entries(evidence, verb="created", now=t)
    entries.append(NewEntry(kind=EntryKind.OPENED, text="", at=t, data={"title": title}))
    if people:
        names = [p.name for p in people]
        entries.append(NewEntry(kind=EntryKind.RESPONSIBLE, text="", at=t, data={"names": names}))
    repo = store.incidents
    with store.begin() as conn:
        incident = replace(incident, id=repo.insert(conn, incident))
        repo.link(conn, incident, evidence, linked_by=principal.actor, linked_at=t)
        repo.append(conn, incident, entries, actor=principal.actor, recorded_at=t)
        _audit(
            store, conn, principal=principal, action="open", incident=incident, at=t,
            after={**incident.as_dict(), "alarm_ids": [e.alarm_id for e in evidence]},
        )  # fmt: skip
    return get(store, principal=principal, incident_id=incident.id)


def create(
    store: Store,
    *,
    principal: Principal,
    title: str,
    kind: str,
    occurred_at: int | None = None,
    level: str | None = None,
    location: Location | None = None,
    summary: str = "",
    responsible: Sequence[Person] = (),
    alarm_ids: Sequence[int] = (),
    resolve_alarms: AlarmResolver | None = None,
    now: int | None = None,
) -> Dossier:
    """:func:`open` with alarms named by id, resolved into evidence by ``resolve_alarms`` (the
    alarm engine's; ``InvalidInput`` "alarm linking is not available" when there is none and
    ids are given)."""
    require(principal, Permission.WRITE)
    evidence = _resolve(principal, alarm_ids, resolve_alarms)
    return open(
        store,
        principal=principal,
        title=title,
        kind=kind,
        occurred_at=occurred_at,
        level=level,
        location=location,
        summary=summary,
        responsible=responsible,
        evidence=evidence,
        now=now,
    )


def get(store: Store, *, principal: Principal, incident_id: int) -> Dossier:
    """An incident with its time line, attachments and linked alarms."""
    require(principal, Permission.READ)
    tenant = principal.tenant
    repo = store.incidents
    with store.begin() as conn:
        incident = repo.get(tenant=tenant, incident_id=incident_id, conn=conn)
        entries = repo.entries(tenant=tenant, incident_id=incident.id, conn=conn)
        attachments = repo.attachments(tenant=tenant, incident_id=incident.id, conn=conn)
        alarms = repo.alarms(tenant=tenant, incident_id=incident.id, conn=conn)
    q = QueryRepo(store)
    ent_name = site_name = None
    if incident.enterprise_id is not None:
        ent_name = q.enterprise(tenant=tenant, enterprise_id=incident.enterprise_id).name
    if incident.location.site_id is not None:
        site_name = q.site(tenant=Tenant.park_wide(), site_id=incident.location.site_id).name
    return Dossier(incident, tuple(entries), tuple(attachments), tuple(alarms), ent_name, site_name)


def list_incidents(
    store: Store,
    *,
    principal: Principal,
    state: str | None = None,
    kind: str | None = None,
    level: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[Incident], int]:
    """Incidents in the caller's scope, newest first, filtered by state, kind and level."""
    require(principal, Permission.READ)
    if state is not None and state not in {s.value for s in IncidentState}:
        raise InvalidInput(
            f"state must be one of {', '.join(s.value for s in IncidentState)}", field="state"
        )
    if kind is not None:
        check_kind(kind)
    check_level(level)
    park = store.registry.park(principal.park_id)
    return store.incidents.find(
        tenant=principal.tenant,
        park_id=park.id,
        state=state,
        kind=kind,
        level=level,
        limit=limit,
        offset=offset,
    )


def _change(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    action: str,
    build: Callable[[Incident, int, Any], tuple[Incident | None, list[NewEntry], Any]],
    now: int | None,
) -> list[int]:
    """One change of an incident: lock it, check it is not closed, let ``build`` give the new
    header (None: unchanged), the entries to append and what to audit; write all three."""
    require(principal, Permission.WRITE)
    t = _now(now)
    repo = store.incidents
    with store.begin() as conn:
        incident = repo.get(
            tenant=principal.tenant, incident_id=incident_id, conn=conn, for_update=True
        )
        check_open(incident)
        changed, entries, audit_after = build(incident, t, conn)
        if changed is not None:
            repo.save(conn, replace(changed, updated_at=t))
        ids = repo.append(conn, incident, entries, actor=principal.actor, recorded_at=t)
        _audit(
            store, conn, principal=principal, action=action, incident=incident, at=t,
            before=incident.as_dict() if changed is not None else None,
            after={**(audit_after or {}), "entry_ids": ids},
        )  # fmt: skip
    return ids


def add_entry(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    text: str,
    at: int | None = None,
    corrects_id: int | None = None,
    now: int | None = None,
) -> int:
    """Append a person's entry to the time line (``at``: when it happened, default now); with
    ``corrects_id`` it is a correction of that entry of the same incident (the corrected entry
    stays as it was). The new entry's id."""
    text = check_text(text, field="text", max_len=MAX_TEXT)

    def build(incident: Incident, t: int, conn: Any) -> tuple[None, list[NewEntry], Any]:
        when = t if at is None else _check_instant(at, field="at", now=t)
        if corrects_id is not None:
            entries = store.incidents.entries(
                tenant=principal.tenant, incident_id=incident.id, conn=conn
            )
            ids = {e.id for e in entries}
            if corrects_id not in ids:
                raise InvalidInput(
                    "corrects_id is not an entry of this incident", field="corrects_id"
                )
        kind = EntryKind.NOTE if corrects_id is None else EntryKind.CORRECTION
        entry = NewEntry(kind=kind, text=text, at=when, corrects_id=corrects_id)
        return None, [entry], {"text": text, "at": when, "corrects_id": corrects_id}

    (entry_id,) = _change(
        store, principal=principal, incident_id=incident_id, action="entry", build=build, now=now
    )
    return entry_id


def link_evidence(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    evidence: Sequence[AlarmEvidence],
    now: int | None = None,
) -> list[int]:
    """Link alarms' evidence to an incident (an alarm already linked is left as it is); the ids
    of the alarms newly linked."""
    evidence = [check_evidence(e) for e in evidence]
    linked: list[int] = []

    def build(incident: Incident, t: int, conn: Any) -> tuple[None, list[NewEntry], Any]:
        evidence_scope(incident.enterprise_id, evidence)
        repo = store.incidents
        have = repo.linked_alarm_ids(conn, incident.id)
        unique = {e.alarm_id: e for e in evidence}
        new = [e for a, e in unique.items() if a not in have]
        repo.link(conn, incident, new, linked_by=principal.actor, linked_at=t)
        linked.extend(e.alarm_id for e in new)
        return None, _evidence_entries(new, verb="linked", now=t), {"alarm_ids": linked}

    _change(
        store, principal=principal, incident_id=incident_id, action="link", build=build, now=now
    )
    return linked


def attach(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    name: str,
    content: bytes,
    media_type: str = "application/octet-stream",
    max_bytes: int = DEFAULT_ATTACHMENT_MAX,
    now: int | None = None,
) -> tuple[AttachmentMeta, bool]:
    """Attach a file (its bytes kept with their SHA-256). The same content attached to the
    same incident again is stored once: the existing attachment comes back with ``False``."""
    require(principal, Permission.WRITE)
    name = check_text(name.replace("/", "_").replace("\\", "_"), field="name", max_len=200)
    if not content:
        raise InvalidInput("the file is empty", field="file")
    if len(content) > max_bytes:
        raise InvalidInput(f"the file is larger than {max_bytes} bytes", field="file")
    media = media_type.split(";")[0].strip().lower()
    if not media or len(media) > 128 or not set(media) <= _MEDIA_TYPE_CHARS or "/" not in media:
        media = "application/octet-stream"
    digest = content_hash(content)
    t = _now(now)
    repo = store.incidents
    with store.begin() as conn:
        incident = repo.get(
            tenant=principal.tenant, incident_id=incident_id, conn=conn, for_update=True
        )
        check_open(incident)
        existing = repo.attachment_by_hash(conn, incident.id, digest)
        if existing is not None:
            return existing, False
        meta = repo.insert_attachment(
            conn, incident, name=name, media_type=media, content=content, sha256=digest,
            uploaded_by=principal.actor, uploaded_at=t,
        )  # fmt: skip
        entry = NewEntry(
            kind=EntryKind.ATTACHMENT,
            text="",
            at=t,
            data={"attachment_id": meta.id, "name": name, "sha256": digest},
        )
        repo.append(conn, incident, [entry], actor=principal.actor, recorded_at=t)
        _audit(
            store, conn, principal=principal, action="attach", incident=incident, at=t,
            after={"attachment_id": meta.id, "name": name, "sha256": digest, "size": meta.size},
        )  # fmt: skip
    return meta, True


def attachment(
    store: Store, *, principal: Principal, incident_id: int, attachment_id: int
) -> tuple[AttachmentMeta, bytes]:
    """One attachment with its bytes."""
    require(principal, Permission.READ)
    store.incidents.get(tenant=principal.tenant, incident_id=incident_id)
    return store.incidents.attachment(
        tenant=principal.tenant, incident_id=incident_id, attachment_id=attachment_id
    )


def set_responsible(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    people: Sequence[Person],
    now: int | None = None,
) -> None:
    """Set the responsible people (责任人); the time line records the new list."""
    checked = check_people(people)

    def build(incident: Incident, t: int, conn: Any) -> tuple[Incident, list[NewEntry], Any]:
        entry = NewEntry(
            kind=EntryKind.RESPONSIBLE, text="", at=t, data={"names": [p.name for p in checked]}
        )
        after = {"responsible": [p.as_dict() for p in checked]}
        return replace(incident, responsible=checked), [entry], after

    _change(
        store, principal=principal, incident_id=incident_id, action="responsible", build=build,
        now=now,
    )  # fmt: skip


def set_level(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    level: str | None,
    reason: str = "",
    now: int | None = None,
) -> None:
    """Set the level (级别, the law's four grades; None: not graded); an entry records the
    change and its reason."""
    check_level(level)
    reason = check_text(reason, field="reason", max_len=MAX_TEXT, required=False)

    def build(incident: Incident, t: int, conn: Any) -> tuple[Incident | None, list[NewEntry], Any]:
        if incident.level == level:
            return None, [], None
        entry = NewEntry(
            kind=EntryKind.LEVEL, text=reason, at=t, data={"from": incident.level, "to": level}
        )
        return replace(incident, level=level), [entry], {"level": level, "reason": reason}

    _change(
        store, principal=principal, incident_id=incident_id, action="level", build=build, now=now
    )


def respond(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    note: str = "",
    now: int | None = None,
) -> None:
    """Start the response (处置): ``open`` → ``responding``."""
    note = check_text(note, field="note", max_len=MAX_TEXT, required=False)

    def build(incident: Incident, t: int, conn: Any) -> tuple[Incident, list[NewEntry], Any]:
        check_transition(incident.state, IncidentState.RESPONDING)
        entry = NewEntry(kind=EntryKind.STATE, text=note, at=t, data={"to": "responding"})
        return replace(incident, state=IncidentState.RESPONDING), [entry], {"state": "responding"}

    _change(
        store, principal=principal, incident_id=incident_id, action="respond", build=build, now=now
    )


def close(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    report: str,
    now: int | None = None,
) -> None:
    """Close the incident with its closing report (结案报告, required); nothing more can be
    recorded on it afterwards."""
    report = check_text(report, field="report", max_len=MAX_REPORT)

    def build(incident: Incident, t: int, conn: Any) -> tuple[Incident, list[NewEntry], Any]:
        check_transition(incident.state, IncidentState.CLOSED)
        closed = replace(
            incident,
            state=IncidentState.CLOSED,
            closing_report=report,
            closed_by=principal.actor,
            closed_at=t,
        )
        entry = NewEntry(kind=EntryKind.CLOSED, text="", at=t, data={})
        return closed, [entry], {"state": "closed", "closing_report": report}

    _change(
        store, principal=principal, incident_id=incident_id, action="close", build=build, now=now
    )
