"""Request and response models of ``/api/v1/waste``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from pydantic import BaseModel, Field

from lingtan.api.common import MAX_ID, SafeText, ShortText
from lingtan.waste.exchange import Deal, Listing
from lingtan.waste.model import (
    Facility,
    Licence,
    Manifest,
    Movement,
    Plan,
    StorageExtension,
    Stream,
    TransferApproval,
)

Id = Field(ge=1, le=MAX_ID)
Unit = Field(default="t", pattern=r"^(t|kg|吨|公斤)$", description="t or kg")
Day = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
Quantity = Field(ge=0, le=1e9, allow_inf_nan=False)


class StreamIn(BaseModel):
    """A waste stream: a code of the National Hazardous Waste List and its process."""

    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    code: str = Field(pattern=r"^\d{3}-\d{3}-\d{2}$", description="waste code NNN-NNN-NN")
    name: ShortText
    form: Literal["固态", "半固态", "液态", "气态"]
    process: ShortText
    hazard: list[Literal["T", "C", "I", "R", "In"]] | None = None


class PlanIn(BaseModel):
    """The management plan's expected quantity of a stream in a year."""

    stream_id: int = Id
    year: int = Field(ge=2000, le=2100)
    quantity: float = Quantity
    unit: str = Unit


class FacilityIn(BaseModel):
    """A storage facility and its capacity."""

    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
    name: ShortText
    location: SafeText = ""
    capacity: float = Field(gt=0, le=1e9, allow_inf_nan=False)
    unit: str = Unit


class MovementIn(BaseModel):
    """One ledger record (a correction names the record it replaces)."""

    stream_id: int = Id
    kind: Literal["generated", "stored", "retrieved", "utilised", "treated", "disposed"]
    batch: str = Field(min_length=1, max_length=64)
    quantity: float = Quantity
    unit: str = Unit
    at: str = Field(max_length=40, description="YYYY-MM-DD[ HH:MM] (park local) or ISO 8601")
    facility_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    container: SafeText | None = None
    corrects_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    note: SafeText | None = None


class LicenceIn(BaseModel):
    """A receiver's business licence (park administrators)."""

    holder: ShortText
    number: str = Field(min_length=1, max_length=64)
    codes: list[str] = Field(min_length=1, max_length=500)
    capacity: float = Field(gt=0, le=1e9, allow_inf_nan=False)
    unit: str = Unit
    valid_from: str = Day
    valid_to: str = Day
    enterprise_id: int | None = Field(
        default=None, ge=1, le=MAX_ID,
        description="the park enterprise holding the licence (it confirms its receipts)",
    )  # fmt: skip
    province: ShortText | None = Field(default=None, description="the receiver's province")


class ApprovalIn(BaseModel):
    """A cross-province transfer approval (跨省转移审批) the generating enterprise holds."""

    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    number: str = Field(min_length=1, max_length=64, description="批复文号")
    destination: ShortText
    codes: list[str] = Field(min_length=1, max_length=500)
    quantity: float = Field(gt=0, le=1e9, allow_inf_nan=False)
    unit: str = Unit
    valid_from: str = Day
    valid_to: str = Day


class ExtensionIn(BaseModel):
    """An approved extension of the storage time of a batch (固废法 第八十一条第三款)."""

    stream_id: int = Id
    batch: str = Field(min_length=1, max_length=64)
    authority: ShortText = Field(description="审批部门")
    number: str = Field(min_length=1, max_length=64, description="批准文号")
    approved_on: str = Day
    until: str = Field(
        pattern=r"^\d{4}-\d{2}-\d{2}$", description="last day storage is permitted, YYYY-MM-DD"
    )
    note: SafeText | None = None


class LineIn(BaseModel):
    """One waste of a manifest."""

    stream_id: int = Id
    quantity: float = Field(gt=0, le=1e9, allow_inf_nan=False)
    unit: str = Unit


class ManifestIn(BaseModel):
    """A draft transfer manifest."""

    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    number: str = Field(min_length=1, max_length=64, description="联单编号")
    licence_id: int = Id
    transporter: ShortText
    transporter_licence: str = Field(min_length=1, max_length=64)
    lines: list[LineIn] = Field(min_length=1, max_length=50)
    note: SafeText | None = None
    approval_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="跨省转移审批")


class TransitionIn(BaseModel):
    """A manifest's next step."""

    action: Literal["dispatch", "receive", "close", "cancel"]
    at: str | None = Field(default=None, max_length=40)
    received: list[float] | None = Field(default=None, max_length=50)
    unit: str = Unit
    batches: list[str] | None = Field(default=None, max_length=50)
    comment: SafeText | None = None


class ListingIn(BaseModel):
    """An offer or a want on the exchange."""

    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    side: Literal["offer", "want"]
    material: ShortText
    code: str | None = Field(default=None, max_length=32)
    quantity: float = Field(gt=0, le=1e9, allow_inf_nan=False)
    unit: str = Unit
    period_from: str = Day
    period_to: str = Day
    quality: SafeText | None = None
    location: SafeText | None = None


class DealIn(BaseModel):
    """A deal on an offer (the buyer: the want's enterprise, or ``buyer_id``)."""

    offer_id: int = Id
    want_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    buyer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    quantity: float = Field(gt=0, le=1e9, allow_inf_nan=False)
    unit: str = Unit
    agreed_on: str = Day
    note: SafeText | None = None


class SettleIn(BaseModel):
    """Complete or cancel a deal."""

    action: Literal["complete", "cancel"]
    on: str = Day


def out(
    obj: Stream
    | Plan
    | Facility
    | Movement
    | Licence
    | Manifest
    | Listing
    | Deal
    | TransferApproval
    | StorageExtension,
) -> dict[str, Any]:
    """A record as JSON (dataclass fields; a manifest with its totals)."""
    data = asdict(obj)
    if isinstance(obj, Movement):
        data["kind"] = obj.kind.value
    if isinstance(obj, Manifest):
        data["quantity_t"] = obj.quantity_t
        data["received_t"] = obj.received_t
        data["difference_t"] = obj.difference_t
    if isinstance(obj, Listing) and obj.enterprise_id == 0:
        data["enterprise_id"] = None
        data["created_by"] = None
    return data
