"""Waste ledger types shared by the pure rules, the store and the service (pure).

The ledger follows HJ 1259-2022 (危险废物管理计划和管理台账制定技术导则): per enterprise the
waste streams it generates, a management plan per year, its storage facilities, and the
movements of each batch from generation (产生) through storage (入库/出库) to transfer (转移),
own utilisation/treatment/disposal (自行利用/处置) and receipt (接收). Movements are appended,
never edited: a correction is a new movement naming the one it replaces (``corrects_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final


class MovementKind(StrEnum):
    """What a movement records."""

    GENERATED = "generated"  # 产生
    STORED = "stored"  # 入库 (into a storage facility)
    RETRIEVED = "retrieved"  # 出库 (out of a storage facility)
    TRANSFERRED = "transferred"  # 转移 (by manifest)
    UTILISED = "utilised"  # 自行利用
    TREATED = "treated"  # 自行处理
    DISPOSED = "disposed"  # 自行处置
    RECEIVED = "received"  # 接收 (by the receiver, quantity of the manifest's receipt)


#: own utilisation, treatment and disposal (the "own-disposed" term of the mass balance)
OWN: Final = frozenset({MovementKind.UTILISED, MovementKind.TREATED, MovementKind.DISPOSED})
#: kinds that need a storage facility
STORAGE_KINDS: Final = frozenset({MovementKind.STORED, MovementKind.RETRIEVED})
KIND_ZH: Final = {
    MovementKind.GENERATED: "产生",
    MovementKind.STORED: "入库",
    MovementKind.RETRIEVED: "出库",
    MovementKind.TRANSFERRED: "转移",
    MovementKind.UTILISED: "自行利用",
    MovementKind.TREATED: "自行处理",
    MovementKind.DISPOSED: "自行处置",
    MovementKind.RECEIVED: "接收",
}


@dataclass(frozen=True, slots=True)
class Stream:
    """A waste stream of an enterprise (one code, one generating process)."""

    id: int
    park_id: int
    enterprise_id: int
    code: str
    category: str
    name: str
    form: str  # 固态, 液态, 半固态 ...
    hazard: list[str]
    process: str
    listed: bool
    edition: str
    created_by: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Plan:
    """The expected quantity of a stream in a year (管理计划)."""

    id: int
    enterprise_id: int
    stream_id: int
    year: int
    quantity_t: float
    created_by: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Facility:
    """A storage facility (贮存设施) with its declared capacity."""

    id: int
    park_id: int
    enterprise_id: int
    code: str
    name: str
    location: str
    capacity: float
    unit: str
    capacity_t: float
    created_by: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Movement:
    """One ledger record: a quantity of a batch of a stream moved at ``at`` (µs)."""

    id: int
    enterprise_id: int
    stream_id: int
    kind: MovementKind
    batch: str
    quantity: float
    unit: str
    quantity_t: float
    at: int
    facility_id: int | None = None
    container: str | None = None
    manifest_id: int | None = None
    corrects_id: int | None = None
    note: str | None = None
    created_by: str = ""
    created_at: int = 0


@dataclass(frozen=True, slots=True)
class StorageExtension:
    """An approved extension of the storage time of one batch of a stream (固废法 (2020) 第八十一条
    第三款: "确需延长期限的，应当报经颁发许可证的生态环境主管部门批准").

    Keyed like the storage-time check (:func:`lingtan.waste.ledger.stock` ages each batch of a
    stream): the stream and the batch. ``until`` is the last day storage is permitted
    (YYYY-MM-DD, inclusive, like the statutory deadline)."""

    id: int
    park_id: int
    enterprise_id: int
    stream_id: int
    batch: str
    authority: str  # 审批部门
    number: str  # 批准文号
    approved_on: str  # YYYY-MM-DD
    until: str  # YYYY-MM-DD
    created_by: str
    created_at: int
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Licence:
    """A receiver's hazardous-waste business licence (危险废物经营许可证), entered by the park."""

    id: int
    park_id: int
    holder: str
    number: str
    codes: list[str]  # codes or whole categories (HWnn)
    capacity_t: float  # annual
    valid_from: str  # YYYY-MM-DD
    valid_to: str
    created_by: str
    created_at: int
    #: the park enterprise holding the licence: its users confirm the receipts; None: a
    #: receiver outside the park (the generator or the park records the receipt)
    enterprise_id: int | None = None
    #: the receiver's province (跨省转移 check); None: not stated, not checked
    province: str | None = None

    def covers(self, code: str, category: str) -> bool:
        """Whether the licence names the code or its whole category."""
        return code in self.codes or category in self.codes


@dataclass(frozen=True, slots=True)
class TransferApproval:
    """A cross-province transfer approval (跨省转移审批, 固废法 第八十二条) granted to a
    generating enterprise: the codes (or categories HWnn), the quantity, the destination
    province and the validity."""

    id: int
    park_id: int
    enterprise_id: int
    number: str
    origin: str
    destination: str
    codes: list[str]
    quantity_t: float
    valid_from: str  # YYYY-MM-DD
    valid_to: str
    created_by: str
    created_at: int

    def covers(self, code: str, category: str) -> bool:
        """Whether the approval names the code or its whole category."""
        return code in self.codes or category in self.codes


@dataclass(frozen=True, slots=True)
class ManifestLine:
    """One waste of a manifest: the stream, its code, the quantity sent and received [t]."""

    stream_id: int
    code: str
    quantity_t: float
    received_t: float | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """An electronic transfer manifest (电子转移联单)."""

    id: int
    park_id: int
    enterprise_id: int
    number: str
    licence_id: int
    receiver: str
    receiver_licence: str
    transporter: str
    transporter_licence: str
    state: str
    lines: list[ManifestLine]
    created_by: str
    created_at: int
    dispatched_at: int | None = None
    received_at: int | None = None
    closed_at: int | None = None
    cancelled_at: int | None = None
    note: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    #: the enterprise that confirms the receipt (the licence's, at creation)
    receiver_enterprise_id: int | None = None
    #: the cross-province transfer approval the manifest runs under
    approval_id: int | None = None

    @property
    def quantity_t(self) -> float:
        """The quantity sent [t]."""
        return sum(line.quantity_t for line in self.lines)

    @property
    def received_t(self) -> float | None:
        """The quantity received [t] (None before the receipt)."""
        if any(line.received_t is None for line in self.lines):
            return None
        return sum(line.received_t or 0.0 for line in self.lines)

    @property
    def difference_t(self) -> float | None:
        """received − sent [t] (None before the receipt)."""
        r = self.received_t
        return None if r is None else r - self.quantity_t
