"""Plain records the store hands to services (no SQLAlchemy objects leave ``store/``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ParkRecord:
    """A stored park."""

    id: int
    code: str
    name: str
    province: str
    timezone: str


@dataclass(frozen=True, slots=True)
class EnterpriseRecord:
    """A stored enterprise (tenant)."""

    id: int
    park_id: int
    code: str
    name: str
    uscc: str | None
    industry: str | None


@dataclass(frozen=True, slots=True)
class SiteRecord:
    """A stored site or building."""

    id: int
    park_id: int
    enterprise_id: int | None
    code: str
    name: str
    floor_area_m2: float | None
    use: str | None
    #: GB/T 51350-2019 class code (ultra_low_energy, near_zero_energy, zero_energy)
    energy_label: str | None = None
    energy_label_certificate: str | None = None
    #: ISO date the label was granted
    energy_label_date: str | None = None
    #: GB/T 50378-2019 grade code (basic, 1, 2, 3)
    green_building_star: str | None = None
    green_building_certificate: str | None = None
    green_building_date: str | None = None


@dataclass(frozen=True, slots=True)
class PointRecord:
    """A stored metering point with what ingest and normalisation need."""

    id: int
    park_id: int
    enterprise_id: int | None
    site_id: int | None
    code: str
    name: str
    carrier: str
    kind: str
    unit: str
    level: int | None
    parent_id: int | None
    multiplier: float
    register_max: float | None
    max_rate: float | None
    interval_s: int
    formula: str | None
    boundary: bool
    #: the point's tags (park file), sorted
    tags: tuple[str, ...] = ()
    #: a direct-supply line's generation meter (code), None when none is declared
    generation_point: str | None = None

    @property
    def is_virtual(self) -> bool:
        """True for a point computed from other points."""
        return self.formula is not None

    @property
    def enterprise_key(self) -> int:
        """Owner key of rollups: the enterprise id, 0 for park-owned points."""
        return self.enterprise_id or 0


@dataclass(slots=True)
class SaveReport:
    """What loading a park file changed."""

    park_id: int = 0
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    #: points in the store that the file no longer declares (kept: they have readings)
    retained: list[str] = field(default_factory=list)
    #: points whose normalisation settings changed; their statistics are recomputed
    renormalise: list[str] = field(default_factory=list)

    def count(self, bucket: dict[str, int], entity: str) -> None:
        """Increment ``bucket[entity]``."""
        bucket[entity] = bucket.get(entity, 0) + 1


@dataclass(frozen=True, slots=True)
class RejectRow:
    """A rejected reading as stored in quarantine."""

    point_code: str | None
    point_id: int | None
    ts_text: str | None
    ts: int | None
    value_text: str | None
    unit: str | None
    reason: str
    detail: str
    source: str
    raw: str | None


@dataclass(frozen=True, slots=True)
class PersistOutcome:
    """Result of persisting one validated batch."""

    batch_id: int
    inserted: int
    duplicates: int
    conflicts: int


@dataclass(frozen=True, slots=True)
class CommittedBatch:
    """A committed ingest batch as its listeners see it (``Store.batch_listeners``): the
    accepted readings in (point, time) order — re-sends of stored readings included, repeats
    inside the batch not — and the points and times of the readings quarantined."""

    batch_id: int
    received_at: int
    point_ids: Any  # NDArray[int64]
    ts: Any  # NDArray[int64], µs
    values: Any  # NDArray[float64], in the points' units
    rejected: tuple[tuple[int, int | None, str], ...] = ()  # (point id, ts, reason)


@dataclass(frozen=True, slots=True)
class PointDayRow:
    """Daily statistics of one point on one local day (see ``stat_day``)."""

    point_id: int
    day: int
    value: float | None
    measured_s: float
    estimated_s: float
    missing_s: float


@dataclass(frozen=True, slots=True)
class ReplacementRecord:
    """A stored meter replacement (换表) of a register point (see ``meter_replacement``)."""

    id: int
    point_id: int
    enterprise_id: int | None
    at: int
    old_final: float
    new_initial: float
    multiplier: float | None
    note: str | None
    source: str
    recorded_by: str
    recorded_at: int


@dataclass(frozen=True, slots=True)
class PointPeriodRow:
    """Statistics of one point over local days [first_day, end_day) within one calendar month:
    a whole month (``stat_month``) or one day (``stat_day``)."""

    point_id: int
    first_day: int
    end_day: int
    value: float | None
    measured_s: float
    estimated_s: float
    missing_s: float
