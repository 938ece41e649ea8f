"""``/api/v1/incidents``: the emergency-event register (应急事件台账, park standard 8.2.6)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lingtan.alarms.incidents import service as incidents
from lingtan.alarms.incidents.catalog import catalog
from lingtan.alarms.incidents.model import (
    MAX_ALARMS,
    MAX_PEOPLE,
    AttachmentMeta,
    Dossier,
    Entry,
    Incident,
    LinkedAlarm,
    Location,
    Person,
    entry_text,
    state_name,
)
from lingtan.api.common import MAX_ID, IdPath, Page, Paging, SafeText, ShortText, iso
from lingtan.api.deps import CurrentPrincipal, SettingsDep, StoreDep
from lingtan.api.incidents import service
from lingtan.api.readings.service import park_zone
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, Principal, require
from lingtan.timeutil import UTC

router = APIRouter(tags=["incidents"])
Code = Annotated[str, Field(pattern=r"^[a-z_]{1,64}$")]
CodeQuery = Annotated[str | None, Query(pattern=r"^[a-z_]{1,64}$")]
LongText = Annotated[str, Field(max_length=10_000)]
Degrees = Annotated[float, Field(allow_inf_nan=False)]


class PersonIn(BaseModel):
    """A responsible person (责任人)."""

    name: ShortText
    duty: SafeText = ""
    contact: SafeText = ""


class IncidentCreate(BaseModel):
    """A new incident. Kinds and levels are the codes of ``GET /incidents`` ``kinds``/``levels``
    (docs/incidents.md): the Emergency Response Law's grades 特别重大/重大/较大/一般."""

    title: ShortText
    kind: Code = Field(description="production_safety_accident, environmental_pollution …")
    level: Code | None = Field(default=None, description="especially_major … ordinary")
    occurred_at: dt.datetime | None = Field(
        default=None, description="when it happened, ISO 8601 with offset (default: now)"
    )
    enterprise_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="the enterprise (none: the park's own)"
    )
    site_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="the building")
    latitude: Degrees | None = Field(default=None, description="WGS 84, -90 … 90")
    longitude: Degrees | None = Field(default=None, description="WGS 84, -180 … 180")
    place: SafeText = ""
    summary: LongText = ""
    responsible: list[PersonIn] = Field(default_factory=list, max_length=MAX_PEOPLE)
    alarm_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list,
        max_length=MAX_ALARMS,
        description="alarms whose evidence the incident carries over (needs the alarm engine)",
    )


class EntryIn(BaseModel):
    """A time line entry: what happened and when (default: now); ``corrects_id`` makes it a
    correction of an earlier entry (entries are never edited)."""

    text: Annotated[str, Field(min_length=1, max_length=10_000)]
    at: dt.datetime | None = None
    corrects_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class IncidentChange(BaseModel):
    """Changes of an incident, each recorded on its time line: ``state: responding`` starts the
    response; ``responsible`` replaces the responsible people; ``level`` sets the level (null:
    not graded) with ``reason``. Closing has its own route (it needs the closing report)."""

    state: Literal["responding"] | None = None
    responsible: list[PersonIn] | None = Field(default=None, max_length=MAX_PEOPLE)
    level: Code | None = Field(default=None, description="especially_major … ordinary")
    reason: SafeText = ""


class CloseIn(BaseModel):
    """The closing report (结案报告), required to close."""

    report: Annotated[str, Field(min_length=1, max_length=50_000)]


class PersonOut(BaseModel):
    """A responsible person."""

    name: str
    duty: str
    contact: str


class IncidentOut(BaseModel):
    """An incident's header."""

    id: int
    title: str
    kind: str
    kind_name: str
    category: str
    category_name: str
    level: str | None
    level_name: str | None
    state: str
    state_name: str
    enterprise_id: int | None
    site_id: int | None
    latitude: float | None
    longitude: float | None
    place: str
    occurred_at: str
    summary: str
    responsible: list[PersonOut]
    closing_report: str | None
    opened_by: str
    opened_at: str
    closed_by: str | None
    closed_at: str | None


class EntryOut(BaseModel):
    """A time line entry."""

    id: int
    kind: str
    at: str
    recorded_at: str
    actor: str
    text: str = Field(description="what the entry says, in the caller's language")
    corrects_id: int | None


class AttachmentOut(BaseModel):
    """An attachment's metadata."""

    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: str
    url: str


class ReadingOut(BaseModel):
    """A reading of an alarm's evidence."""

    point: str
    ts: str
    value: float


class AlarmOut(BaseModel):
    """A linked alarm with the evidence copied when it was linked."""

    alarm_id: int
    rule_code: str
    kind: str
    severity: str
    subject: str
    first_at: str
    last_at: str
    value: float | None
    message: str
    readings: list[ReadingOut]
    linked_by: str
    linked_at: str


class IncidentDetail(IncidentOut):
    """An incident with its time line, attachments and linked alarms."""

    enterprise_name: str | None
    site_name: str | None
    entries: list[EntryOut]
    attachments: list[AttachmentOut]
    alarms: list[AlarmOut]


class AttachmentCreated(AttachmentOut):
    """An attachment stored, or found already stored with the same content."""

    created: bool


def _lang(principal: Principal) -> str:
    return service.report_lang(None, principal)


def _incident(i: Incident, lang: str, tz: dt.tzinfo) -> dict[str, Any]:
    cat = catalog()
    kind, category = cat.kinds.get(i.kind), cat.categories.get(i.category)
    grade = cat.grades.get(i.level) if i.level else None
    loc = i.location
    return {
        "id": i.id,
        "title": i.title,
        "kind": i.kind,
        "kind_name": kind.name(lang) if kind else i.kind,
        "category": i.category,
        "category_name": category.name(lang) if category else i.category,
        "level": i.level,
        "level_name": grade.name(lang) if grade else None,
        "state": i.state.value,
        "state_name": state_name(i.state.value, lang),
        "enterprise_id": loc.enterprise_id,
        "site_id": loc.site_id,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "place": loc.place,
        "occurred_at": iso(i.occurred_at, tz) or "",
        "summary": i.summary,
        "responsible": [PersonOut(**p.as_dict()) for p in i.responsible],
        "closing_report": i.closing_report,
        "opened_by": i.opened_by,
        "opened_at": iso(i.opened_at, tz) or "",
        "closed_by": i.closed_by,
        "closed_at": iso(i.closed_at, tz),
    }


def _entry(e: Entry, lang: str, tz: dt.tzinfo) -> EntryOut:
    return EntryOut(
        id=e.id,
        kind=e.kind.value,
        at=iso(e.at, tz) or "",
        recorded_at=iso(e.recorded_at, UTC) or "",
        actor=e.actor,
        text=entry_text(e, lang),
        corrects_id=e.corrects_id,
    )


def _attachment(a: AttachmentMeta, tz: dt.tzinfo) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "media_type": a.media_type,
        "size": a.size,
        "sha256": a.sha256,
        "uploaded_by": a.uploaded_by,
        "uploaded_at": iso(a.uploaded_at, tz) or "",
        "url": f"/api/v1/incidents/{a.incident_id}/attachments/{a.id}",
    }


def _alarm(a: LinkedAlarm, tz: dt.tzinfo) -> AlarmOut:
    e = a.evidence
    return AlarmOut(
        alarm_id=a.alarm_id,
        rule_code=e.rule_code,
        kind=e.kind,
        severity=e.severity,
        subject=e.subject,
        first_at=iso(e.first_at, tz) or "",
        last_at=iso(e.last_at, tz) or "",
        value=e.value,
        message=e.message,
        readings=[ReadingOut(point=p, ts=iso(t, tz) or "", value=v) for p, t, v in e.readings],
        linked_by=a.linked_by,
        linked_at=iso(a.linked_at, tz) or "",
    )


def detail(d: Dossier, lang: str, tz: dt.tzinfo) -> IncidentDetail:
    """The API's form of an incident with everything recorded about it."""
    return IncidentDetail(
        **_incident(d.incident, lang, tz),
        enterprise_name=d.enterprise_name,
        site_name=d.site_name,
        entries=[_entry(e, lang, tz) for e in d.entries],
        attachments=[AttachmentOut(**_attachment(a, tz)) for a in d.attachments],
        alarms=[_alarm(a, tz) for a in d.alarms],
    )


def _download(content: bytes, media_type: str, name: str, **headers: str) -> Response:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return Response(
        content=content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            **headers,
        },
    )


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get("/incidents", response_model=Page[IncidentOut])
def list_incidents(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    state: Annotated[Literal["open", "responding", "closed"] | None, Query()] = None,
    kind: CodeQuery = None,
    level: CodeQuery = None,
) -> Page[IncidentOut]:
    """Incidents in the caller's scope, newest first; filters by state, kind and level."""
    rows, total = incidents.list_incidents(
        store,
        principal=principal,
        state=state,
        kind=kind,
        level=level,
        limit=page.limit,
        offset=page.offset,
    )
    tz, lang = park_zone(store, principal.park_id), _lang(principal)
    return Page(
        items=[IncidentOut(**_incident(i, lang, tz)) for i in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/incidents", response_model=IncidentDetail, status_code=status.HTTP_201_CREATED)
def create_incident(
    body: IncidentCreate, request: Request, principal: CurrentPrincipal, store: StoreDep
) -> IncidentDetail:
    """Open an incident (park administrators; an enterprise's administrator for its
    enterprise; audited). With ``alarm_ids`` the alarms' evidence is copied into it, one
    time line entry per alarm."""
    require(principal, Permission.WRITE)
    resolver = getattr(request.app.state, "alarm_evidence", None)
    d = service.create(
        store,
        principal=principal,
        title=body.title,
        kind=body.kind,
        occurred_at=body.occurred_at,
        level=body.level,
        location=Location(
            enterprise_id=body.enterprise_id,
            site_id=body.site_id,
            latitude=body.latitude,
            longitude=body.longitude,
            place=body.place,
        ),
        summary=body.summary,
        responsible=[Person(p.name, p.duty, p.contact) for p in body.responsible],
        alarm_ids=body.alarm_ids,
        resolve_alarms=resolver,
    )
    return detail(d, _lang(principal), park_zone(store, d.incident.park_id))


@router.get("/incidents/{incident_id}", response_model=IncidentDetail)
def get_incident(
    incident_id: IdPath, principal: CurrentPrincipal, store: StoreDep
) -> IncidentDetail:
    """An incident with its time line (in order), attachments and linked alarms."""
    d = incidents.get(store, principal=principal, incident_id=incident_id)
    return detail(d, _lang(principal), park_zone(store, d.incident.park_id))


@router.post(
    "/incidents/{incident_id}/entries",
    response_model=IncidentDetail,
    status_code=status.HTTP_201_CREATED,
)
def post_entry(
    incident_id: IdPath, body: EntryIn, principal: CurrentPrincipal, store: StoreDep
) -> IncidentDetail:
    """Append an entry to the time line (audited); a correction names the entry it corrects."""
    d = service.add_entry(
        store,
        principal=principal,
        incident_id=incident_id,
        text=body.text,
        at=body.at,
        corrects_id=body.corrects_id,
    )
    return detail(d, _lang(principal), park_zone(store, d.incident.park_id))


@router.post(
    "/incidents/{incident_id}/attachments",
    response_model=AttachmentCreated,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": AttachmentCreated, "description": "the same content was already attached"}
    },
)
async def post_attachment(
    incident_id: IdPath,
    principal: CurrentPrincipal,
    store: StoreDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="the file (at most the configured size)")],
) -> Any:
    """Attach a file: kept in the database with its SHA-256; the same content attached again
    answers 200 with the attachment already stored."""
    require(principal, Permission.WRITE)  # before the file is read
    cap = settings.incident_attachment_max_bytes
    content = await file.read(cap + 1)
    if len(content) > cap:
        raise InvalidInput(f"the file is larger than {cap} bytes", field="file")
    meta, created = await run_in_threadpool(
        service.attach,
        store,
        principal=principal,
        incident_id=incident_id,
        name=file.filename or "attachment",
        content=content,
        media_type=file.content_type or "application/octet-stream",
        max_bytes=cap,
    )
    tz = await run_in_threadpool(park_zone, store, principal.park_id)
    out = AttachmentCreated(**_attachment(meta, tz), created=created)
    if created:
        return out
    return JSONResponse(out.model_dump(), status_code=200)


@router.get(
    "/incidents/{incident_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {
            "description": "the attachment's bytes",
            "content": {"application/octet-stream": _BINARY},
        }
    },
)
def get_attachment(
    incident_id: IdPath, attachment_id: IdPath, principal: CurrentPrincipal, store: StoreDep
) -> Response:
    """Download an attachment (its SHA-256 in ``X-Content-SHA256``)."""
    meta, content = incidents.attachment(
        store, principal=principal, incident_id=incident_id, attachment_id=attachment_id
    )
    # served as a download of opaque bytes: never rendered by the browser in our origin
    return _download(
        content, "application/octet-stream", meta.name, **{"X-Content-SHA256": meta.sha256}
    )


@router.patch("/incidents/{incident_id}", response_model=IncidentDetail)
def patch_incident(
    incident_id: IdPath, body: IncidentChange, principal: CurrentPrincipal, store: StoreDep
) -> IncidentDetail:
    """Start the response, set the responsible people or the level (audited; each change is a
    time line entry). Fields left out are not changed."""
    d = service.update(
        store,
        principal=principal,
        incident_id=incident_id,
        respond=body.state == "responding",
        responsible=None
        if body.responsible is None
        else [Person(p.name, p.duty, p.contact) for p in body.responsible],
        level=body.level,
        set_level="level" in body.model_fields_set,
        reason=body.reason,
    )
    return detail(d, _lang(principal), park_zone(store, d.incident.park_id))


@router.post("/incidents/{incident_id}/close", response_model=IncidentDetail)
def post_close(
    incident_id: IdPath, body: CloseIn, principal: CurrentPrincipal, store: StoreDep
) -> IncidentDetail:
    """Close the incident with its closing report (required); it takes no change afterwards."""
    d = service.close(store, principal=principal, incident_id=incident_id, report=body.report)
    return detail(d, _lang(principal), park_zone(store, d.incident.park_id))


@router.get(
    "/incidents/{incident_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "the incident's report (Excel workbook or HTML page)",
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _BINARY,
                "text/html": {"schema": {"type": "string"}},
            },
        }
    },
)
def export_incident(
    incident_id: IdPath,
    principal: CurrentPrincipal,
    store: StoreDep,
    format: Annotated[Literal["xlsx", "html"], Query()] = "xlsx",
    lang: Annotated[Literal["zh", "en"] | None, Query()] = None,
) -> Response:
    """The incident's report with its full time line, in zh-CN (or ``lang=en``)."""
    body, media, name = service.exported(
        store, principal=principal, incident_id=incident_id, fmt=format, lang=lang
    )
    return _download(body, media, name)
