"""Activity data and parameters by month, each value with its evidence.

A value is ``measured`` (a meter, a weighbridge, a lab report — its reference is required),
``calculated`` (from other measured values, e.g. a stock balance — reference required too) or
``default`` (a record id of :mod:`lingtan.ghg.records` or the carbon factor library). Each carries
the data-quality tier (1 = default/estimated, 2 = industry/supplier, 3 = plant-specific
measurement, following the tier idea of the IPCC guidelines).

A month that has no value is **missing**: it is listed, never filled with zero. An annual figure
over a series with a missing month is ``None`` (with the missing months named); the sum of the
months that are present is kept separately as a partial figure, labelled so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MONTHS = tuple(range(1, 13))
#: the largest value accepted (10¹² of any unit): beyond it a result would not be a number
MAX_VALUE = 1e12


class Evidence(BaseModel):
    """Where a value comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["measured", "calculated", "default"]
    #: lab report number, meter id, ledger page (measured/calculated), or the record id (default)
    reference: str | None = Field(default=None, max_length=256)
    tier: Literal[1, 2, 3] = 1
    #: SHA-256 of the document behind the value (lab report PDF, meter export), hex
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _reference(self) -> Evidence:
        if self.kind != "default" and not self.reference:
            raise ValueError(f"a {self.kind} value needs its reference (lab report, meter id)")
        return self


class MonthValue(BaseModel):
    """One month's value and its evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    month: int = Field(ge=1, le=12)
    value: float = Field(allow_inf_nan=False, le=MAX_VALUE)
    evidence: Evidence


class Series(BaseModel):
    """A monthly series of one quantity in one unit; absent months are missing.

    Instead of typed months a series may name a metering point (``meter``: its code) or one of
    the enterprise's carriers (``carrier``: every boundary point of it, e.g. ``natural_gas``);
    the store-backed service (:mod:`lingtan.ghg.metered`) then fills the months from the
    monthly statistics. A month whose statistics are incomplete stays missing, with the reason
    in ``flags`` (month → text); it is never filled with zero.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = Field(min_length=1, max_length=32)
    months: tuple[MonthValue, ...] = ()
    meter: str | None = Field(default=None, min_length=1, max_length=64)
    carrier: str | None = Field(default=None, min_length=1, max_length=32)
    #: why a month is missing (set when the months are filled from metering)
    flags: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> Series:
        if self.meter is not None and self.carrier is not None:
            raise ValueError("give a meter or a carrier, not both")
        seen: set[int] = set()
        for m in self.months:
            if m.month in seen:
                raise ValueError(f"month {m.month} given twice")
            if m.value < 0:
                raise ValueError(f"month {m.month}: value must be ≥ 0")
            seen.add(m.month)
        return self

    def get(self, month: int) -> MonthValue | None:
        """The month's value, or None when missing."""
        for m in self.months:
            if m.month == month:
                return m
        return None

    def missing(self, months: Sequence[int] = MONTHS) -> list[int]:
        """Months with no value."""
        have = {m.month for m in self.months}
        return [m for m in months if m not in have]

    @property
    def metered(self) -> bool:
        """Whether the months come from the store's statistics."""
        return self.meter is not None or self.carrier is not None


class Param(BaseModel):
    """A parameter: a value with evidence (annual), a monthly series, or a record by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float | None = Field(default=None, allow_inf_nan=False, le=MAX_VALUE)
    evidence: Evidence | None = None
    monthly: Series | None = None
    #: id of a default record (``lingtan.ghg`` parameter or carbon factor library record)
    record: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Param:
        given = [self.value is not None, self.monthly is not None, self.record is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of value (with evidence), monthly or record")
        if self.value is not None and self.evidence is None:
            raise ValueError("a value needs its evidence")
        return self


class AnnualFigure(BaseModel):
    """A year's figure from monthly ones: ``value`` None while any month is missing."""

    value: float | None
    partial: float
    months_counted: tuple[int, ...]
    missing: tuple[int, ...]

    @property
    def status(self) -> Literal["complete", "missing"]:
        """``missing`` when any month lacks a value."""
        return "missing" if self.missing else "complete"


def annual(monthly: dict[int, float | None]) -> AnnualFigure:
    """The year from twelve monthly figures (None = missing month)."""
    present = {m: v for m, v in monthly.items() if v is not None}
    missing = tuple(m for m in MONTHS if monthly.get(m) is None)
    partial = float(sum(present.values()))
    return AnnualFigure(
        value=None if missing else partial,
        partial=partial,
        months_counted=tuple(sorted(present)),
        missing=missing,
    )
