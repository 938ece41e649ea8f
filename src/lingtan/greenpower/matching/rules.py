"""Reference rules of green-power matching as data records: direct-supply thresholds and the
certificate vintage rule (``data/*.yaml``, each record with its source and confidence)."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from lingtan.errors import InvalidInput, NotFound


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    source: str = Field(min_length=1)
    url: str | None
    url_note: str | None = None
    edition: str | None = None
    confidence: Literal["H", "M", "L"]
    verified: bool

    def provenance(self) -> dict[str, Any]:
        """What a result shows of the record it used."""
        return {
            "id": self.id,
            "text": self.text,
            "source": self.source,
            "url": self.url,
            "url_note": self.url_note,
            "confidence": self.confidence,
            "verified": self.verified,
        }


class DirectSupplyThreshold(_Record):
    """One compliance threshold of a direct-supply (绿电直连) project."""

    quantity: Literal[
        "self_consumed_share_of_available_generation", "self_consumed_share_of_total_consumption"
    ]
    comparison: Literal[">="]
    value: float = Field(ge=0, le=1)
    unit: Literal["1"]
    applies_from_year: int
    applies_until_year: int | None
    basis: Literal["annual"]

    def applies_in(self, year: int) -> bool:
        """Whether the threshold is in force in ``year``."""
        return self.applies_from_year <= year and (
            self.applies_until_year is None or year <= self.applies_until_year
        )


class VintageRule(_Record):
    """Which production months may back a claim for a consumption period."""

    rule: Literal["production_not_after_period_end"]
    months_after_period_end: int = Field(ge=0)


def _load(name: str) -> list[dict[str, Any]]:
    text = resources.files("lingtan.greenpower.matching").joinpath("data", name).read_text("utf-8")
    doc = yaml.safe_load(text)
    records = doc.get("records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise InvalidInput(f"{name} has no records list", field="records")
    return records


@functools.cache
def direct_supply_thresholds() -> tuple[DirectSupplyThreshold, ...]:
    """The shipped direct-supply threshold records."""
    return tuple(DirectSupplyThreshold.model_validate(r) for r in _load("direct_supply.yaml"))


def thresholds_for(year: int) -> dict[str, DirectSupplyThreshold]:
    """The threshold of each quantity in force in ``year``; ``NotFound`` if one is missing."""
    out = thresholds_in_force(year)
    if len(out) != 2:
        raise NotFound(f"no complete set of direct-supply thresholds for {year}")
    return out


def thresholds_in_force(year: int) -> dict[str, DirectSupplyThreshold]:
    """The thresholds in force in ``year`` by quantity — none before the rule applies (a
    quantity without a record has no threshold: its ratio is reported as ``no_rule``)."""
    out: dict[str, DirectSupplyThreshold] = {}
    for record in direct_supply_thresholds():
        if record.applies_in(year):
            if record.quantity in out:
                raise InvalidInput(
                    f"two direct-supply thresholds for {record.quantity} in {year}", field="year"
                )
            out[record.quantity] = record
    return out


@functools.cache
def vintage_rule() -> VintageRule:
    """The shipped certificate vintage rule (the only record of its file)."""
    (record,) = (VintageRule.model_validate(r) for r in _load("certificate_vintage.yaml"))
    return record
