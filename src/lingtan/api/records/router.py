"""``/api/v1/records``: non-metered statistics records. Service functions live in
:mod:`lingtan.indicators.records`; this router adds the caller's scope and the audit actor."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from lingtan.api.common import MAX_ID, IdPath, Page, Paging, SafeText, ShortText, iso
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Permission, Principal, require
from lingtan.indicators import output_meters, records
from lingtan.store import Store
from lingtan.store.records_repo import StatRecord
from lingtan.timeutil import UTC

router = APIRouter(tags=["records"])
Category = Annotated[str, Field(pattern="^(" + "|".join(records.CATEGORIES) + ")$")]
#: largest import file [bytes]
MAX_FILE = 20 * 1024 * 1024


class RecordOut(BaseModel):
    """A statistics record (a correction is a new record superseding the old one)."""

    id: int
    enterprise_id: int | None
    category: str
    item: str
    period_start: str
    period_end: str
    quantity: float
    unit: str
    source_document: str
    entered_by: str
    entered_at: str
    supersedes_id: int | None
    superseded_by: int | None
    current: bool
    note: str | None


class RecordCreate(BaseModel):
    """A new statistics record."""

    enterprise_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="owner; none for a park-level record"
    )
    category: Category
    item: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")]
    period_start: dt.date
    period_end: dt.date
    quantity: float = Field(ge=0, le=1e15)
    unit: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9/³²_.\-]+$")]
    source_document: ShortText
    note: SafeText | None = None


class RecordCorrection(BaseModel):
    """A corrected quantity for a current record."""

    quantity: float = Field(ge=0, le=1e15)
    unit: (
        Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9/³²_.\-]+$")] | None
    ) = None
    source_document: ShortText
    note: SafeText | None = None


class CategoryOut(BaseModel):
    """A statistics category and its items."""

    category: str
    name_zh: str
    name_en: str
    items: dict[str, list[str]]


def _out(r: StatRecord) -> RecordOut:
    return RecordOut(
        id=r.id,
        enterprise_id=r.enterprise_id,
        category=r.category,
        item=r.item,
        period_start=r.period_start,
        period_end=r.period_end,
        quantity=r.quantity,
        unit=r.unit,
        source_document=r.source_document,
        entered_by=r.entered_by,
        entered_at=iso(r.entered_at, UTC) or "",
        supersedes_id=r.supersedes_id,
        superseded_by=r.superseded_by,
        current=r.current,
        note=r.note,
    )


def list_in_scope(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    category: str | None,
    year: int | None,
    include_history: bool,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[StatRecord]:
    """Records the caller may see (an enterprise user: its own; asking for another → 404),
    ``limit`` of them from ``offset`` (all without a limit)."""
    return records.list_records(
        store,
        **_scope(principal, enterprise_id, category, year, include_history),
        newest_first=newest_first, limit=limit, offset=offset,
    )  # fmt: skip


def count_in_scope(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    category: str | None,
    year: int | None,
    include_history: bool,
    newer_than: int | None = None,
    record_id: int | None = None,
) -> int:
    """How many records :func:`list_in_scope` lists (see :func:`records.count_records`)."""
    return records.count_records(
        store,
        **_scope(principal, enterprise_id, category, year, include_history),
        newer_than=newer_than, record_id=record_id,
    )  # fmt: skip


def _scope(
    principal: Principal,
    enterprise_id: int | None,
    category: str | None,
    year: int | None,
    include_history: bool,
) -> dict[str, Any]:
    """The filters of the caller's scope (an enterprise user: its own enterprise only)."""
    require(principal, Permission.READ)
    if principal.enterprise_id is not None:
        if enterprise_id is not None and enterprise_id != principal.enterprise_id:
            raise NotFound("enterprise not found")
        enterprise_id = principal.enterprise_id
    return {
        "enterprise_id": enterprise_id, "category": category, "year": year,
        "include_history": include_history, "park_id": principal.park_id,
    }  # fmt: skip


def history_in_scope(store: Store, *, principal: Principal, record_id: int) -> list[StatRecord]:
    """Every version of a record in the caller's scope."""
    require(principal, Permission.READ)
    return records.record_history(store, record_id=record_id, scope=principal.enterprise_id)


def add_in_scope(store: Store, *, principal: Principal, body: RecordCreate) -> StatRecord:
    """Enter a record as the caller (enterprise admins: for their enterprise only)."""
    require(principal, Permission.WRITE)
    owner = body.enterprise_id
    if principal.enterprise_id is not None:
        if owner is not None and owner != principal.enterprise_id:
            raise NotFound("enterprise not found")
        owner = principal.enterprise_id
    return records.add_record(
        store,
        enterprise_id=owner,
        category=body.category,
        item=body.item,
        period_start=body.period_start,
        period_end=body.period_end,
        quantity=body.quantity,
        unit=body.unit,
        source_document=body.source_document,
        entered_by=principal.actor,
        note=body.note,
        scope=principal.enterprise_id,
        park_id=principal.park_id,
    )


@router.get("/records/categories", response_model=list[CategoryOut])
def list_categories(principal: CurrentPrincipal) -> list[CategoryOut]:
    """Categories and items of statistics records."""
    require(principal, Permission.READ)
    return [
        CategoryOut(
            category=k,
            name_zh=c.name_zh,
            name_en=c.name_en,
            items={i: list(n) for i, n in c.items.items()},
        )
        for k, c in records.CATEGORIES.items()
    ]


@router.get("/records", response_model=Page[RecordOut])
def list_records(
    principal: CurrentPrincipal,
    store: StoreDep,
    page: Paging,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    category: Annotated[
        str | None, Query(pattern="^(" + "|".join(records.CATEGORIES) + ")$")
    ] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    include_history: bool = False,
) -> Page[RecordOut]:
    """Statistics records (current versions; ``include_history`` adds superseded ones)."""
    args: dict[str, Any] = {
        "principal": principal, "enterprise_id": enterprise_id, "category": category,
        "year": year, "include_history": include_history,
    }  # fmt: skip
    # the page read in the database (not all records cut here), and their number
    chunk = list_in_scope(store, **args, limit=page.limit, offset=page.offset)
    total = count_in_scope(store, **args)
    return Page(items=[_out(r) for r in chunk], total=total, limit=page.limit, offset=page.offset)


@router.post("/records", response_model=RecordOut, status_code=status.HTTP_201_CREATED)
def create_record(body: RecordCreate, principal: CurrentPrincipal, store: StoreDep) -> RecordOut:
    """Enter a statistics record with its source document (audited)."""
    return _out(add_in_scope(store, principal=principal, body=body))


@router.get("/records/{record_id}", response_model=list[RecordOut])
def get_record_history(
    record_id: IdPath, principal: CurrentPrincipal, store: StoreDep
) -> list[RecordOut]:
    """A record and every version of it (oldest first)."""
    return [_out(r) for r in history_in_scope(store, principal=principal, record_id=record_id)]


@router.post(
    "/records/{record_id}/corrections",
    response_model=RecordOut,
    status_code=status.HTTP_201_CREATED,
)
def correct_record(
    record_id: IdPath, body: RecordCorrection, principal: CurrentPrincipal, store: StoreDep
) -> RecordOut:
    """Correct a current record: a new record supersedes it; the old one is kept."""
    require(principal, Permission.WRITE)
    return _out(
        records.correct_record(
            store,
            record_id=record_id,
            quantity=body.quantity,
            unit=body.unit,
            source_document=body.source_document,
            entered_by=principal.actor,
            note=body.note,
            scope=principal.enterprise_id,
        )
    )


class ImportResult(BaseModel):
    """What an import did."""

    rows: int
    created: int
    corrected: int
    unchanged: int
    created_ids: list[int]
    corrected_ids: list[int]


@router.post("/records/import", response_model=ImportResult)
async def import_records(
    principal: CurrentPrincipal, store: StoreDep, file: Annotated[UploadFile, File()]
) -> ImportResult:
    """Import a CSV (UTF-8) or .xlsx file of records: all-or-nothing and idempotent."""
    require(principal, Permission.WRITE)  # before the file is read
    content = await file.read(MAX_FILE + 1)
    if len(content) > MAX_FILE:
        raise InvalidInput(f"the file is larger than {MAX_FILE} bytes", field="file")
    name = file.filename or "upload.csv"

    def run() -> dict[str, Any]:
        return records.import_records(
            store,
            content=content,
            filename=name,
            entered_by=principal.actor,
            scope=principal.enterprise_id,
            park_id=principal.park_id,
        ).as_dict()

    return ImportResult(**await run_in_threadpool(run))


class FromMeters(BaseModel):
    """A run of the production counters into product-output records."""

    year: int = Field(ge=2000, le=2100)
    month: int | None = Field(default=None, ge=1, le=12)


class MonthOutputOut(BaseModel):
    """One enterprise's output of one product in one month, and what the run did with it."""

    enterprise_id: int | None
    product: str
    month: str
    points: list[str]
    quantity: float | None
    unit: str
    completeness: float
    outcome: str
    record_id: int | None
    reason: str


class FromMetersResult(BaseModel):
    """What a run did (``incomplete`` months are below the park's completeness threshold)."""

    threshold: float
    created: int
    corrected: int
    unchanged: int
    incomplete: int
    entered: int
    invalid: int
    months: list[MonthOutputOut]


@router.post("/records/from-meters", response_model=FromMetersResult)
def records_from_meters(
    body: FromMeters, principal: CurrentPrincipal, store: StoreDep
) -> FromMetersResult:
    """产品产量 from the production counters (points tagged ``output:<product>``) of the caller's
    scope: an enterprise admin runs its own counters only."""
    require(principal, Permission.WRITE)
    report = output_meters.records_from_meters(
        store,
        year=body.year,
        month=body.month,
        entered_by=principal.actor,
        scope=principal.enterprise_id,
        park_id=principal.park_id,
    )
    return FromMetersResult(**report.as_dict())
