"""The register's operations for the API: the caller's scope and permissions are checked by
:mod:`lingtan.alarms.incidents.service`; this adds the park's time zone and the report's
language. Never imports FastAPI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lingtan.alarms.incidents import export as incident_export
from lingtan.alarms.incidents import service as incidents
from lingtan.alarms.incidents.model import (
    MAX_TEXT,
    AttachmentMeta,
    Dossier,
    Location,
    Person,
    check_level,
    check_people,
    check_text,
)
from lingtan.alarms.incidents.service import AlarmResolver
from lingtan.api.readings.service import park_zone
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store import Store
from lingtan.timeutil import to_us


def report_lang(lang: str | None, principal: Principal) -> str:
    """``zh`` or ``en``: the one asked for, else the caller's language."""
    chosen = lang or principal.lang
    return "en" if chosen.lower().startswith("en") else "zh"


def create(
    store: Store,
    *,
    principal: Principal,
    title: str,
    kind: str,
    occurred_at: dt.datetime | None,
    level: str | None,
    location: Location,
    summary: str,
    responsible: Sequence[Person],
    alarm_ids: Sequence[int],
    resolve_alarms: AlarmResolver | None,
) -> Dossier:
    """Open an incident, from alarms when ids are given (``resolve_alarms`` turns them into
    evidence; without one they are refused: "alarm linking is not available")."""
    return incidents.create(
        store,
        principal=principal,
        title=title,
        kind=kind,
        occurred_at=None if occurred_at is None else to_us(occurred_at),
        level=level,
        location=location,
        summary=summary,
        responsible=responsible,
        alarm_ids=alarm_ids,
        resolve_alarms=resolve_alarms,
    )


def add_entry(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    text: str,
    at: dt.datetime | None,
    corrects_id: int | None,
) -> Dossier:
    """Append an entry; the incident as it now is."""
    incidents.add_entry(
        store,
        principal=principal,
        incident_id=incident_id,
        text=text,
        at=None if at is None else to_us(at),
        corrects_id=corrects_id,
    )
    return incidents.get(store, principal=principal, incident_id=incident_id)


def update(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    respond: bool = False,
    responsible: Sequence[Person] | None = None,
    level: str | None = None,
    set_level: bool = False,
    reason: str = "",
) -> Dossier:
    """Change an incident: start the response (``open`` → ``responding``), set the responsible
    people, set the level (with ``set_level``; None clears it) — each recorded on the time
    line. Every input is checked before anything is written, and the state change goes first,
    so a closed incident or a refused state change leaves everything as it was."""
    require(principal, Permission.WRITE)
    if responsible is not None:
        check_people(responsible)
    if set_level:
        check_level(level)
    check_text(reason, field="reason", max_len=MAX_TEXT, required=False)
    if respond:
        incidents.respond(store, principal=principal, incident_id=incident_id, note=reason)
    if responsible is not None:
        incidents.set_responsible(
            store, principal=principal, incident_id=incident_id, people=responsible
        )
    if set_level:
        incidents.set_level(
            store, principal=principal, incident_id=incident_id, level=level, reason=reason
        )
    return incidents.get(store, principal=principal, incident_id=incident_id)


def close(store: Store, *, principal: Principal, incident_id: int, report: str) -> Dossier:
    """Close with the closing report; the incident as it now is."""
    incidents.close(store, principal=principal, incident_id=incident_id, report=report)
    return incidents.get(store, principal=principal, incident_id=incident_id)


def attach(
    store: Store,
    *,
    principal: Principal,
    incident_id: int,
    name: str,
    content: bytes,
    media_type: str,
    max_bytes: int,
) -> tuple[AttachmentMeta, bool]:
    """Attach a file (stored once per incident by its SHA-256)."""
    return incidents.attach(
        store,
        principal=principal,
        incident_id=incident_id,
        name=name,
        content=content,
        media_type=media_type,
        max_bytes=max_bytes,
    )


def exported(
    store: Store, *, principal: Principal, incident_id: int, fmt: str, lang: str | None
) -> tuple[bytes, str, str]:
    """The incident's report: (bytes, media type, file name)."""
    require(principal, Permission.REPORTS)
    dossier = incidents.get(store, principal=principal, incident_id=incident_id)
    tz = park_zone(store, dossier.incident.park_id)
    body = incident_export.export(dossier, fmt=fmt, lang=report_lang(lang, principal), tz=tz)
    return body, incident_export.MEDIA_TYPES[fmt], incident_export.filename(dossier, fmt)
