"""Schemas of the overview, energy-flow and meter-quality endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class QualityShares(BaseModel):
    """Shares of the expected metering time."""

    measured: float
    estimated: float
    missing: float
    completeness: float | None = None


class CarrierAmount(BaseModel):
    """Consumption of one carrier in a period."""

    carrier: str
    name: str
    role: str = Field(
        description="supply | generation | export | internal | end_use | water | other"
    )
    value: float
    unit: str
    tce: float | None = Field(description="standard coal (GB/T 2589); null where none applies")
    quality: QualityShares
    points: int


class DayBlock(BaseModel):
    """The day's energy by carrier (physical units)."""

    date: str
    carriers: list[CarrierAmount]


class MonthAmount(BaseModel):
    """Energy of one calendar month of a period."""

    month: int
    tce: float
    electricity_kwh: float


class PeriodBlock(BaseModel):
    """A month or the year to date."""

    label: str
    first: str
    last: str
    total_tce: float = Field(
        description="comprehensive energy consumption 综合能源消费量, on-site PV included [tce]"
    )
    onsite_renewable_tce: float
    carriers: list[CarrierAmount]
    electricity: dict[str, Any]
    clean_energy_share: float | None
    green_electricity_share: float | None
    quality: QualityShares
    months: list[MonthAmount]
    notes: list[str]


class ScopeOut(BaseModel):
    """What the overview is about."""

    kind: str = Field(description="park | enterprise")
    enterprise_id: int | None
    code: str
    name: str


class QuarantineSummary(BaseModel):
    """Rejected readings in scope by reason."""

    total: int
    by_reason: dict[str, int]
    reason_texts: dict[str, str]


class CarbonBlock(BaseModel):
    """Emissions of a year or a month [tCO2]."""

    basis: str
    year: int
    month: int | None
    total_tco2: float | None = Field(description="None when the period has no energy data")
    by_source_tco2: dict[str, float]
    intensity_tco2_per_tce: float | None
    scope2_location_tco2: float | None = Field(description="enterprises: location-based scope 2")
    scope2_market_tco2: float | None = Field(description="enterprises: market-based scope 2")
    energy_tce: float | None
    factor_ids: list[str]
    park_options_version: int | None = Field(
        default=None, description="the version of the park's options used (/api/v1/options)"
    )
    note: str | None = Field(default=None, description="why there is no value")


class IndicatorBrief(BaseModel):
    """One indicator against its target."""

    id: str
    name: str
    kind: str = Field(description="core | guiding")
    value: float | None
    unit: str
    comparator: str | None = Field(description="le | ge | lt | gt")
    target: float | None
    status: str
    reason: str


class Overview(BaseModel):
    """The park (or enterprise) overview for a day, its month and its year to date."""

    scope: ScopeOut
    park: dict[str, str]
    as_of: str
    day: DayBlock
    month: PeriodBlock
    year: PeriodBlock
    quarantine: QuarantineSummary
    carbon: dict[str, CarbonBlock] = Field(
        description="emissions of the year and of the month (store-backed accounting, computed now)"
    )
    indicators: list[IndicatorBrief] = Field(
        description="the 1+5 indicators of the year to date against their targets"
    )


class FlowNode(BaseModel):
    """A node of the energy-flow diagram."""

    key: str
    name: str
    kind: str = Field(description="source | owner | sink")


class FlowLink(BaseModel):
    """A flow between two nodes [tce]."""

    source: int
    target: int
    value: float
    carrier: str


class CircularLink(BaseModel):
    """A flow of a circular-economy or carbon-complementarity project (循环经济 / 碳互补)
    between two enterprises, with its basis and the avoided energy and carbon."""

    record_id: int = Field(description="the programme record of the project")
    project: str
    kind: str = Field(description="waste_heat | steam | by_product | green_power | water | other")
    owner_id: int | None = Field(description="the record's keeper (null: the park)")
    flow: int = Field(description="the flow's index in the project")
    source: int = Field(description="node of the supplier")
    target: int = Field(description="node of the receiver")
    supplier_id: int
    receiver_id: int
    supplier: str
    receiver: str
    carrier: str
    unit: str
    quantity: float | None = Field(description="declared, or metered over the cited period")
    basis: str = Field(description="declared | metered")
    point: str | None = Field(description="the metering point of a metered flow")
    period_start: str | None
    period_end: str | None
    avoided_tce: float | None = Field(description="quantity × the cited energy factor")
    avoided_tco2: float | None = Field(description="quantity × the cited carbon factor")
    energy_factor: dict[str, Any] | None
    carbon_factor: dict[str, Any] | None
    error: str | None = Field(description="why the quantity could not be computed")


class EnergyFlow(BaseModel):
    """Energy flows of a period in tce (for a Sankey diagram)."""

    period: dict[str, Any]
    unit: str
    conversion: str
    nodes: list[FlowNode]
    links: list[FlowLink]
    circular: list[CircularLink] = Field(
        default_factory=list,
        description="circular-project flows between enterprises (not part of total_tce)",
    )
    total_tce: float


class MeterQuality(BaseModel):
    """Data quality of one metering point over a period."""

    code: str
    name: str
    enterprise_id: int | None
    carrier: str
    kind: str
    unit: str
    virtual: bool
    days: int
    quality: str
    measured_share: float
    estimated_share: float
    missing_share: float
    estimated_hours: float
    flagged_days: int
    flags: list[str]
    last_reading: str | None
