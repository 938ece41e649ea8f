"""The emergency-event register (应急事件台账): incidents, their append-only time lines,
attachments and linked alarms. Every read that serves a user filters by the caller's
:class:`~lingtan.store.query_repo.Tenant`: an incident of another enterprise is absent
(``NotFound``), exactly like one that does not exist. The time line has an insert and no update
or delete: an entry is never edited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from lingtan.alarms.incidents.model import (
    AlarmEvidence,
    AttachmentMeta,
    Entry,
    EntryKind,
    Incident,
    IncidentState,
    LinkedAlarm,
    Location,
    NewEntry,
    Person,
)
from lingtan.errors import NotFound
from lingtan.store import schema as s
from lingtan.store.query_repo import Tenant, _owner, _page

if TYPE_CHECKING:
    from lingtan.store.core import Store

#: advisory-lock key of the register's writes (used on SQLite only: ``BEGIN IMMEDIATE``)
LOCK_INCIDENTS = 0x6C696E67_0014
#: the message of an incident (or its attachment) outside the caller's scope or missing
NOT_FOUND = "incident not found"
ATTACHMENT_NOT_FOUND = "attachment not found"


def _incident(r: Any) -> Incident:
    people = tuple(
        Person(str(p["name"]), str(p.get("duty", "")), str(p.get("contact", "")))
        for p in json.loads(r.responsible)
    )
    return Incident(
        id=int(r.id),
        park_id=int(r.park_id),
        title=r.title,
        kind=r.kind,
        category=r.category,
        level=r.level,
        state=IncidentState(r.state),
        location=Location(
            enterprise_id=None if r.enterprise_id is None else int(r.enterprise_id),
            site_id=None if r.site_id is None else int(r.site_id),
            latitude=None if r.latitude is None else float(r.latitude),
            longitude=None if r.longitude is None else float(r.longitude),
            place=r.place,
        ),
        occurred_at=int(r.occurred_at),
        summary=r.summary,
        responsible=people,
        closing_report=r.closing_report,
        opened_by=r.opened_by,
        opened_at=int(r.opened_at),
        closed_by=r.closed_by,
        closed_at=None if r.closed_at is None else int(r.closed_at),
        updated_at=int(r.updated_at),
    )


def _entry(r: Any) -> Entry:
    return Entry(
        id=int(r.id),
        incident_id=int(r.incident_id),
        kind=EntryKind(r.kind),
        at=int(r.at),
        recorded_at=int(r.recorded_at),
        actor=r.actor,
        text=r.text,
        data=json.loads(r.data),
        corrects_id=None if r.corrects_id is None else int(r.corrects_id),
    )


def _attachment(r: Any) -> AttachmentMeta:
    return AttachmentMeta(
        id=int(r.id),
        incident_id=int(r.incident_id),
        name=r.name,
        media_type=r.media_type,
        size=int(r.size),
        sha256=r.sha256,
        uploaded_by=r.uploaded_by,
        uploaded_at=int(r.uploaded_at),
    )


_META = (
    s.incident_attachment.c.id,
    s.incident_attachment.c.incident_id,
    s.incident_attachment.c.name,
    s.incident_attachment.c.media_type,
    s.incident_attachment.c.size,
    s.incident_attachment.c.sha256,
    s.incident_attachment.c.uploaded_by,
    s.incident_attachment.c.uploaded_at,
)


def incident_row(incident: Incident) -> dict[str, Any]:
    """The ``incident`` columns of an incident (but ``id``)."""
    loc = incident.location
    return {
        "park_id": incident.park_id,
        "enterprise_id": loc.enterprise_id,
        "site_id": loc.site_id,
        "title": incident.title,
        "kind": incident.kind,
        "category": incident.category,
        "level": incident.level,
        "state": incident.state.value,
        "occurred_at": incident.occurred_at,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "place": loc.place,
        "summary": incident.summary,
        "responsible": json.dumps([p.as_dict() for p in incident.responsible], ensure_ascii=False),
        "closing_report": incident.closing_report,
        "opened_by": incident.opened_by,
        "opened_at": incident.opened_at,
        "closed_by": incident.closed_by,
        "closed_at": incident.closed_at,
        "updated_at": incident.updated_at,
    }


class IncidentRepo:
    """Repository of the emergency-event register."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- incidents ----------------------------------------------------------------------------
    def insert(self, conn: Connection, incident: Incident) -> int:
        """Insert an incident (its ``id`` is ignored); the new id."""
        t = s.incident
        return int(
            conn.execute(insert(t).values(**incident_row(incident)).returning(t.c.id)).scalar_one()
        )

    def save(self, conn: Connection, incident: Incident) -> None:
        """Write an incident's header as it now is (the time line records why it changed)."""
        t = s.incident
        row = incident_row(incident)
        row.pop("park_id")
        row.pop("opened_by")
        row.pop("opened_at")
        conn.execute(update(t).where(t.c.id == incident.id).values(**row))

    def get(
        self,
        *,
        tenant: Tenant,
        incident_id: int,
        conn: Connection | None = None,
        for_update: bool = False,
    ) -> Incident:
        """One incident in the tenant's scope; ``NotFound`` otherwise. Inside ``conn`` with
        ``for_update`` (call it first in the transaction), the incident is locked until the
        transaction ends: its row on PostgreSQL, the database's write lock on SQLite."""
        t = s.incident
        q = select(t).where(t.c.id == incident_id, _owner(t.c.enterprise_id, tenant))
        if for_update and conn is not None:
            if self._store.capabilities.concurrent_writers:
                q = q.with_for_update()
            else:
                # SQLite: take the write lock up front (a read that later writes could fail
                # with "database is locked" under a concurrent writer); first in the transaction
                self._store.serialise(conn, LOCK_INCIDENTS)
        if conn is None:
            with self._store.begin() as own:
                r = own.execute(q).first()
        else:
            r = conn.execute(q).first()
        if r is None:
            raise NotFound(NOT_FOUND)
        return _incident(r)

    def find(
        self,
        *,
        tenant: Tenant,
        park_id: int,
        state: str | None = None,
        kind: str | None = None,
        level: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[Incident], int]:
        """Incidents of the park in the tenant's scope, newest first (by when they occurred)."""
        t = s.incident
        cond = (t.c.park_id == park_id) & _owner(t.c.enterprise_id, tenant)
        if state is not None:
            cond = cond & (t.c.state == state)
        if kind is not None:
            cond = cond & (t.c.kind == kind)
        if level is not None:
            cond = cond & (t.c.level == level)
        with self._store.begin() as conn:
            rows = conn.execute(
                _page(
                    select(t).where(cond).order_by(t.c.occurred_at.desc(), t.c.id.desc()),
                    limit,
                    offset,
                )
            ).all()
            total = int(conn.execute(select(func.count()).select_from(t).where(cond)).scalar_one())
        return [_incident(r) for r in rows], total

    # -- time line ------------------------------------------------------------------------------
    def append(
        self,
        conn: Connection,
        incident: Incident,
        entries: Sequence[NewEntry],
        *,
        actor: str,
        recorded_at: int,
    ) -> list[int]:
        """Append entries to an incident's time line (inside the caller's transaction); their
        ids. There is no way to change or remove an entry."""
        t = s.incident_entry
        ids = []
        for e in entries:
            ids.append(
                int(
                    conn.execute(
                        insert(t)
                        .values(
                            incident_id=incident.id,
                            enterprise_id=incident.enterprise_id,
                            kind=e.kind.value,
                            at=e.at,
                            recorded_at=recorded_at,
                            actor=actor,
                            text=e.text,
                            data=json.dumps(dict(e.data), ensure_ascii=False, sort_keys=True),
                            corrects_id=e.corrects_id,
                        )
                        .returning(t.c.id)
                    ).scalar_one()
                )
            )
        return ids

    def entries(
        self, *, tenant: Tenant, incident_id: int, conn: Connection | None = None
    ) -> list[Entry]:
        """An incident's time line in order: by when each thing happened, then as recorded."""
        t = s.incident_entry
        q = (
            select(t)
            .where(t.c.incident_id == incident_id, _owner(t.c.enterprise_id, tenant))
            .order_by(t.c.at, t.c.id)
        )
        if conn is None:
            with self._store.begin() as own:
                return [_entry(r) for r in own.execute(q).all()]
        return [_entry(r) for r in conn.execute(q).all()]

    # -- attachments ----------------------------------------------------------------------------
    def attachment_by_hash(
        self, conn: Connection, incident_id: int, sha256: str
    ) -> AttachmentMeta | None:
        """The incident's attachment with this content, if it has one."""
        t = s.incident_attachment
        r = conn.execute(
            select(*_META).where(t.c.incident_id == incident_id, t.c.sha256 == sha256)
        ).first()
        return None if r is None else _attachment(r)

    def insert_attachment(
        self,
        conn: Connection,
        incident: Incident,
        *,
        name: str,
        media_type: str,
        content: bytes,
        sha256: str,
        uploaded_by: str,
        uploaded_at: int,
    ) -> AttachmentMeta:
        """Store an attachment's bytes and metadata."""
        t = s.incident_attachment
        new_id = conn.execute(
            insert(t)
            .values(
                incident_id=incident.id,
                enterprise_id=incident.enterprise_id,
                name=name,
                media_type=media_type,
                size=len(content),
                sha256=sha256,
                content=content,
                uploaded_by=uploaded_by,
                uploaded_at=uploaded_at,
            )
            .returning(t.c.id)
        ).scalar_one()
        return AttachmentMeta(
            int(new_id), incident.id, name, media_type, len(content), sha256, uploaded_by,
            uploaded_at,
        )  # fmt: skip

    def attachments(
        self, *, tenant: Tenant, incident_id: int, conn: Connection | None = None
    ) -> list[AttachmentMeta]:
        """An incident's attachments (without content), in upload order."""
        t = s.incident_attachment
        q = (
            select(*_META)
            .where(t.c.incident_id == incident_id, _owner(t.c.enterprise_id, tenant))
            .order_by(t.c.id)
        )
        if conn is None:
            with self._store.begin() as own:
                return [_attachment(r) for r in own.execute(q).all()]
        return [_attachment(r) for r in conn.execute(q).all()]

    def attachment(
        self, *, tenant: Tenant, incident_id: int, attachment_id: int
    ) -> tuple[AttachmentMeta, bytes]:
        """One attachment with its bytes, in the tenant's scope; ``NotFound`` otherwise."""
        t = s.incident_attachment
        with self._store.begin() as conn:
            r = conn.execute(
                select(*_META, t.c.content).where(
                    t.c.id == attachment_id,
                    t.c.incident_id == incident_id,
                    _owner(t.c.enterprise_id, tenant),
                )
            ).first()
        if r is None:
            raise NotFound(ATTACHMENT_NOT_FOUND)
        return _attachment(r), bytes(r.content)

    # -- linked alarms --------------------------------------------------------------------------
    def linked_alarm_ids(self, conn: Connection, incident_id: int) -> set[int]:
        """The ids of the alarms already linked to an incident."""
        t = s.incident_alarm
        return {
            int(a)
            for (a,) in conn.execute(select(t.c.alarm_id).where(t.c.incident_id == incident_id))
        }

    def link(
        self,
        conn: Connection,
        incident: Incident,
        evidence: Sequence[AlarmEvidence],
        *,
        linked_by: str,
        linked_at: int,
    ) -> None:
        """Link alarms to an incident with a snapshot of their evidence."""
        if not evidence:
            return
        conn.execute(
            insert(s.incident_alarm),
            [
                {
                    "incident_id": incident.id,
                    "alarm_id": e.alarm_id,
                    "enterprise_id": incident.enterprise_id,
                    "evidence": e.to_json(),
                    "linked_by": linked_by,
                    "linked_at": linked_at,
                }
                for e in evidence
            ],
        )

    def alarms(
        self, *, tenant: Tenant, incident_id: int, conn: Connection | None = None
    ) -> list[LinkedAlarm]:
        """The alarms linked to an incident, in the order they were linked."""
        t = s.incident_alarm
        q = (
            select(t)
            .where(t.c.incident_id == incident_id, _owner(t.c.enterprise_id, tenant))
            .order_by(t.c.linked_at, t.c.alarm_id)
        )

        def rows(c: Connection) -> list[LinkedAlarm]:
            return [
                LinkedAlarm(
                    incident_id=int(r.incident_id),
                    alarm_id=int(r.alarm_id),
                    evidence=AlarmEvidence.from_dict(json.loads(r.evidence)),
                    linked_by=r.linked_by,
                    linked_at=int(r.linked_at),
                )
                for r in c.execute(q).all()
            ]

        if conn is None:
            with self._store.begin() as own:
                return rows(own)
        return rows(conn)
