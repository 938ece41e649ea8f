"""Schemas of the readings, statistics and quarantine endpoints."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Period(StrEnum):
    """Statistics period: UTC hours, park-local days or park-local months."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


class RejectSample(BaseModel):
    """A rejected reading of the request (with its reason)."""

    point: str | None
    ts: str | None
    value: str | None
    reason: str
    detail: str
    source: str


class IngestResult(BaseModel):
    """What happened to the readings of one request (all committed before this answer)."""

    batch_id: str
    received: int
    accepted: int
    duplicates: int = Field(description="readings already stored with the same value (ignored)")
    rejected: int = Field(description="readings quarantined, with their reasons")
    reasons: dict[str, int]
    reason_texts: dict[str, str] = Field(description="what each reason means")
    rejects: list[RejectSample] = Field(description="the first rejected readings (at most 50)")


class ReadingOut(BaseModel):
    """One raw reading, as received (in the point's unit)."""

    ts: str
    value: float


class ReadingsPage(BaseModel):
    """A page of raw readings of one point."""

    point: str
    unit: str
    items: list[ReadingOut]
    total: int
    limit: int
    offset: int


class StatisticOut(BaseModel):
    """One period's statistic of a point, with its quality."""

    start: str
    end: str
    value: float | None = Field(
        description="consumption in the period; null when unknown (never 0)"
    )
    mean: float | None
    min: float | None
    max: float | None
    quality: str = Field(description="measured | estimated | partial | missing")
    measured_s: float
    estimated_s: float
    missing_s: float
    flags: list[str] = Field(
        description="events: gap, reset, rollover, spike, jump, member_missing, replacement"
    )
    n: int = Field(description="trusted readings in the period")


class StatisticsPage(BaseModel):
    """A page of statistics of one point."""

    point: str
    unit: str
    period: Period
    items: list[StatisticOut]
    total: int
    limit: int
    offset: int


class RejectedOut(BaseModel):
    """A rejected reading kept in quarantine."""

    id: int
    batch_id: int | None
    received_at: str
    point: str | None
    ts: str | None
    ts_text: str | None
    value_text: str | None
    unit: str | None
    reason: str
    reason_text: str
    detail: str
    source: str
    raw: str | None
