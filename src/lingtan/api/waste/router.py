"""``/api/v1/waste``: streams, plans, facilities, movements (and their import), storage and
balance, the licence registry, transfer manifests and their transitions, the waste exchange.
Thin: the work is in :mod:`lingtan.waste`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from lingtan.api.common import MAX_ID, IdPath
from lingtan.api.deps import CurrentPrincipal, StoreDep
from lingtan.api.waste.schemas import (
    ApprovalIn,
    DealIn,
    ExtensionIn,
    FacilityIn,
    LicenceIn,
    ListingIn,
    ManifestIn,
    MovementIn,
    PlanIn,
    SettleIn,
    StreamIn,
    TransitionIn,
    out,
)
from lingtan.errors import InvalidInput
from lingtan.identity.roles import Permission, require, require_park_wide
from lingtan.waste import alarms, catalogue, exchange_service, importer, report, service, transfers

router = APIRouter(prefix="/waste", tags=["waste"])
EnterpriseQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="one enterprise")]
MAX_FILE = 5_000_000
J = dict[str, Any]


@router.get("/catalogue")
def get_catalogue(principal: CurrentPrincipal) -> J:
    """The National Hazardous Waste List editions shipped and the rule records (sources)."""
    service.require_read(principal)
    return {
        "editions": [e.model_dump(mode="json") for e in catalogue.editions()],
        "rules": [r.model_dump(mode="json") for r in catalogue.rules().values()],
    }


@router.get("/streams")
def list_streams(
    store: StoreDep, principal: CurrentPrincipal, enterprise_id: EnterpriseQuery = None
) -> list[J]:
    """The waste streams in the caller's scope."""
    return [
        out(x)
        for x in service.list_streams(store, principal=principal, enterprise_id=enterprise_id)
    ]


@router.post("/streams", status_code=status.HTTP_201_CREATED)
def add_stream(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[StreamIn, Body()]
) -> J:
    """Declare a waste stream (its code checked against the list)."""
    return out(service.add_stream(store, principal=principal, **body.model_dump()))


@router.get("/plans")
def list_plans(
    store: StoreDep,
    principal: CurrentPrincipal,
    enterprise_id: EnterpriseQuery = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[J]:
    """The management plans in force."""  # fmt: skip
    return [
        out(x)
        for x in service.list_plans(
            store, principal=principal, year=year, enterprise_id=enterprise_id
        )
    ]


@router.post("/plans", status_code=status.HTTP_201_CREATED)
def set_plan(store: StoreDep, principal: CurrentPrincipal, body: Annotated[PlanIn, Body()]) -> J:
    """Set a stream's planned quantity for a year (a new row supersedes the previous)."""
    return out(service.set_plan(store, principal=principal, **body.model_dump()))


@router.get("/facilities")
def list_facilities(
    store: StoreDep, principal: CurrentPrincipal, enterprise_id: EnterpriseQuery = None
) -> list[J]:
    """The storage facilities in scope."""
    return [
        out(x)
        for x in service.list_facilities(store, principal=principal, enterprise_id=enterprise_id)
    ]


@router.post("/facilities", status_code=status.HTTP_201_CREATED)
def add_facility(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[FacilityIn, Body()]
) -> J:
    """Declare a storage facility and its capacity."""
    return out(service.add_facility(store, principal=principal, **body.model_dump()))


@router.get("/movements")
def list_movements(
    store: StoreDep,
    principal: CurrentPrincipal,
    enterprise_id: EnterpriseQuery = None,
    stream_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    batch: Annotated[str | None, Query(max_length=64)] = None,
) -> list[J]:
    """The ledger records in scope (corrected ones included), in time order."""  # fmt: skip
    items = service.list_movements(
        store, principal=principal, enterprise_id=enterprise_id, stream_id=stream_id, batch=batch
    )
    return [out(x) for x in items]


@router.post("/movements", status_code=status.HTTP_201_CREATED)
def add_movement(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[MovementIn, Body()]
) -> J:
    """Append a ledger record."""
    return out(service.record_movement(store, principal=principal, **body.model_dump()))


@router.post("/movements/import")
async def import_movements(
    store: StoreDep, principal: CurrentPrincipal, file: Annotated[UploadFile, File()]
) -> J:
    """Import ledger rows from CSV (UTF-8) or .xlsx: bad rows are rejected with their line and
    reason, the good ones stored in one transaction."""
    require(principal, Permission.WRITE)  # before the file is read
    content = await file.read(MAX_FILE + 1)
    if len(content) > MAX_FILE:
        raise InvalidInput(f"file: larger than {MAX_FILE} bytes", field="file")
    name = file.filename or "upload.csv"

    def run() -> J:
        r = importer.import_movements(store, principal=principal, data=content, filename=name)
        return {"stored": r.stored, "ids": r.ids, "rejected": r.rejected}

    return await run_in_threadpool(run)


@router.get("/storage")
def storage(
    store: StoreDep, principal: CurrentPrincipal, enterprise_id: EnterpriseQuery = None
) -> list[J]:
    """The batches in storage with their days to the limit (one year, or an approved
    extension's last day, named by its number)."""
    return service.storage_status(store, principal=principal, enterprise_id=enterprise_id)


@router.get("/storage-extensions")
def list_extensions(
    store: StoreDep,
    principal: CurrentPrincipal,
    enterprise_id: EnterpriseQuery = None,
    stream_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[J]:
    """The approved storage-time extensions in scope (an enterprise: its own)."""
    items = service.list_extensions(
        store, principal=principal, enterprise_id=enterprise_id, stream_id=stream_id
    )
    return [out(x) for x in items]


@router.post("/storage-extensions", status_code=status.HTTP_201_CREATED)
def add_extension(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[ExtensionIn, Body()]
) -> J:
    """Record an approved extension of a batch's storage time (固废法 第八十一条第三款)."""
    return out(service.add_extension(store, principal=principal, **body.model_dump()))


@router.get("/balance")
def balance(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=2000, le=2100)],
    enterprise_id: EnterpriseQuery = None,
) -> J:
    """The year's mass balance per stream and month, plan vs actual, facility stock."""  # fmt: skip
    data = service.balance(store, principal=principal, year=year, enterprise_id=enterprise_id)
    data["exchange"] = exchange_service.utilisation(
        store, principal=principal, year=year, enterprise_id=enterprise_id
    )
    return data


@router.get("/report", response_class=Response)
def annual_report(
    store: StoreDep,
    principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=2000, le=2100)],
    enterprise_id: EnterpriseQuery = None,
    lang: Annotated[str, Query(pattern=r"^(zh-CN|en)$")] = "zh-CN",
    format: Annotated[str, Query(pattern=r"^(xlsx|html)$")] = "xlsx",
) -> Response:
    """The annual hazardous-waste management report as an Excel workbook or an HTML page."""  # fmt: skip
    require(principal, Permission.REPORTS)
    data = report.build(store, principal=principal, year=year, enterprise_id=enterprise_id,
                        lang=lang, fmt=format)  # fmt: skip
    if format == "html":
        return Response(content=data, media_type="text/html; charset=utf-8")
    return Response(
        content=data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="waste-{year}.xlsx"'},
    )


@router.get("/licences")
def list_licences(store: StoreDep, principal: CurrentPrincipal) -> list[J]:
    """The park's registry of receivers' licences."""
    return [out(x) for x in transfers.list_licences(store, principal=principal)]


@router.post("/licences", status_code=status.HTTP_201_CREATED)
def add_licence(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[LicenceIn, Body()]
) -> J:
    """Register a receiver's licence (park administrators)."""
    return out(transfers.add_licence(store, principal=principal, **body.model_dump()))


@router.get("/approvals")
def list_approvals(
    store: StoreDep, principal: CurrentPrincipal, enterprise_id: EnterpriseQuery = None
) -> list[J]:
    """The cross-province transfer approvals in scope (an enterprise: its own)."""
    items = transfers.list_approvals(store, principal=principal, enterprise_id=enterprise_id)
    return [out(x) for x in items]


@router.post("/approvals", status_code=status.HTTP_201_CREATED)
def add_approval(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[ApprovalIn, Body()]
) -> J:
    """Record a cross-province transfer approval (跨省转移审批) of a generating enterprise."""
    return out(transfers.add_approval(store, principal=principal, **body.model_dump()))


@router.get("/manifests")
def list_manifests(
    store: StoreDep,
    principal: CurrentPrincipal,
    enterprise_id: EnterpriseQuery = None,
    state: Annotated[str | None, Query(max_length=16)] = None,
) -> list[J]:
    """The transfer manifests in scope, newest first."""  # fmt: skip
    items = transfers.list_manifests(
        store, principal=principal, state=state, enterprise_id=enterprise_id
    )
    return [out(x) for x in items]


@router.post("/manifests", status_code=status.HTTP_201_CREATED)
def create_manifest(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[ManifestIn, Body()]
) -> J:
    """A draft manifest to a licensed receiver (refused when the licence lacks a code)."""
    data = body.model_dump()
    return out(transfers.create_manifest(store, principal=principal, **data))


@router.get("/manifests/{manifest_id}")
def get_manifest(store: StoreDep, principal: CurrentPrincipal, manifest_id: IdPath) -> J:
    """One manifest with its history."""
    return out(transfers.get_manifest(store, principal=principal, manifest_id=manifest_id))


@router.post("/manifests/{manifest_id}/transitions")
def transition(
    store: StoreDep,
    principal: CurrentPrincipal,
    manifest_id: IdPath,
    body: Annotated[TransitionIn, Body()],
) -> J:
    """dispatch, receive (quantities per line), close, or cancel (a draft)."""  # fmt: skip
    return out(
        transfers.transition(
            store, principal=principal, manifest_id=manifest_id, **body.model_dump()
        )
    )


@router.get("/exchange/listings")
def list_listings(
    store: StoreDep,
    principal: CurrentPrincipal,
    side: Annotated[str | None, Query(pattern=r"^(offer|want)$")] = None,
    mine: Annotated[bool, Query(description="only the caller's own")] = False,
) -> list[J]:
    """The park's open listings (another enterprise's without its owner)."""  # fmt: skip
    return [
        out(x)
        for x in exchange_service.list_listings(store, principal=principal, side=side, mine=mine)
    ]


@router.post("/exchange/listings", status_code=status.HTTP_201_CREATED)
def add_listing(
    store: StoreDep, principal: CurrentPrincipal, body: Annotated[ListingIn, Body()]
) -> J:
    """Offer or ask for a material."""
    return out(exchange_service.add_listing(store, principal=principal, **body.model_dump()))


@router.get("/exchange/matches")
def list_matches(store: StoreDep, principal: CurrentPrincipal) -> list[J]:
    """Offers and wants of the same material (the caller's own, or all for the park)."""
    return [
        {"offer": out(m.offer), "want": out(m.want), "quantity_t": m.quantity_t}
        for m in exchange_service.list_matches(store, principal=principal)
    ]


@router.get("/exchange/deals")
def list_deals(store: StoreDep, principal: CurrentPrincipal) -> list[J]:
    """The deals the caller is party to."""
    return [out(x) for x in exchange_service.list_deals(store, principal=principal)]


@router.post("/exchange/deals", status_code=status.HTTP_201_CREATED)
def add_deal(store: StoreDep, principal: CurrentPrincipal, body: Annotated[DealIn, Body()]) -> J:
    """Record a deal on an offer."""
    return out(exchange_service.add_deal(store, principal=principal, **body.model_dump()))


@router.post("/exchange/deals/{deal_id}/settle")
def settle_deal(
    store: StoreDep, principal: CurrentPrincipal, deal_id: IdPath, body: Annotated[SettleIn, Body()]
) -> J:
    """Complete (the material changed hands) or cancel a deal."""
    return out(
        exchange_service.settle_deal(
            store, principal=principal, deal_id=deal_id, **body.model_dump()
        )
    )


@router.post("/alarm-rules", status_code=status.HTTP_201_CREATED)
def install_alarm_rules(store: StoreDep, principal: CurrentPrincipal) -> J:
    """Create the default waste alarm rules the park lacks (park administrators)."""
    require(principal, Permission.ADMIN_PARK)
    require_park_wide(principal, "the park's waste alarm rules")
    return {"created": alarms.install_rules(store, principal=principal)}
