"""Schemas of the registry endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ParkOut(BaseModel):
    """The park."""

    id: int
    code: str
    name: str
    province: str
    timezone: str


class EnterpriseOut(BaseModel):
    """An enterprise (tenant) of the park."""

    id: int
    code: str
    name: str
    uscc: str | None = Field(description="统一社会信用代码")
    industry: str | None = Field(description="GB/T 4754-2017 code")


class SiteOut(BaseModel):
    """A site or building."""

    id: int
    code: str
    name: str
    enterprise_id: int | None
    floor_area_m2: float | None
    use: str | None
    energy_label: str | None = Field(
        default=None,
        description="GB/T 51350-2019 class: ultra_low_energy, near_zero_energy, zero_energy",
    )
    energy_label_name: str | None = Field(
        default=None, description="the class's name, e.g. 超低能耗建筑"
    )
    energy_label_certificate: str | None = None
    energy_label_date: str | None = Field(default=None, description="ISO date granted")
    green_building_star: str | None = Field(
        default=None, description="GB/T 50378-2019 grade: basic, 1, 2, 3"
    )
    green_building_star_name: str | None = Field(default=None, description="e.g. 二星级")
    green_building_certificate: str | None = None
    green_building_date: str | None = Field(default=None, description="ISO date granted")


class PointOut(BaseModel):
    """A metering point (physical or virtual)."""

    id: int
    code: str
    name: str
    enterprise_id: int | None
    site_id: int | None
    carrier: str
    kind: str
    unit: str
    level: int | None = Field(description="GB 17167 metering level (1–3)")
    parent: str | None = Field(description="code of the parent point")
    multiplier: float
    register_max: float | None
    max_rate: float | None
    interval_s: int
    virtual: bool
    formula: str | None = Field(description="virtual points: the formula over member points")
    boundary: bool = Field(description="counts in its owner's totals by carrier")
    tags: list[str] = Field(default_factory=list, description="the point's tags (park file)")


class ParkLoadResult(BaseModel):
    """What loading a park file changed (unchanged loads change nothing)."""

    park_id: int
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    retained: list[str] = Field(description="stored points the file no longer declares (kept)")
    renormalise: list[str] = Field(description="points whose statistics are recomputed")
