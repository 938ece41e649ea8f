"""Indoor air quality (室内空气质量) against GB/T 18883 (pure): the limit records of
``data/gbt18883_2022.yaml`` and hour-by-hour compliance of a building's hourly means.

Temperature and relative humidity have a range per season (夏季空调 cooling, 冬季采暖 heating);
which months are which is the station's setting (``cooling_months``/``heating_months``), not the
standard's — an hour in neither season is not assessed for them. A record averaged over 24 h
(CO2 in the transcription found) is judged on the local day's mean of the valid hours, and that
verdict is given to each hour of the day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from lingtan import units
from lingtan.environment.limits import Confidence
from lingtan.errors import InvalidInput

Season = Literal["cooling", "heating"]


class IndoorLimit(BaseModel):
    """One GB/T 18883 limit: a range (``low``–``high``) or a maximum (``high``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parameter: str
    unit: str
    high: float | None = None
    low: float | None = None
    season: Season | None = None
    averaging: Literal["1h", "24h"] = "1h"
    confidence: Confidence
    note: str = ""
    #: which of the file's sources the record rests on
    source: str = ""
    standard: str = ""
    edition: str = ""
    table: str = ""

    @property
    def cite(self) -> str:
        return f"{self.standard}-{self.edition} 表{self.table}"

    def bounds_in(self, unit: str) -> tuple[float | None, float | None]:
        """(low, high) converted to ``unit``."""
        f = units.factor(self.unit, unit)
        return (
            None if self.low is None else self.low * f,
            None if self.high is None else self.high * f,
        )


@lru_cache(maxsize=1)
def indoor_limits() -> tuple[IndoorLimit, ...]:
    """Every GB/T 18883 record lingtan holds."""
    text = resources.files("lingtan.environment").joinpath("data", "gbt18883_2022.yaml")
    doc = yaml.safe_load(text.read_text("utf-8"))
    head = {"standard": doc["standard"], "edition": doc["edition"], "table": doc["table"]}
    try:
        out = tuple(IndoorLimit.model_validate({**row, **head}) for row in doc["limits"])
    except ValidationError as err:
        first = err.errors()[0]
        raise InvalidInput(f"gbt18883_2022.yaml: {first['loc']}: {first['msg']}") from err
    for r in out:
        units.unit(r.unit)
    return out


def indoor_sources() -> list[str]:
    text = resources.files("lingtan.environment").joinpath("data", "gbt18883_2022.yaml")
    return list(yaml.safe_load(text.read_text("utf-8")).get("sources", []))


def season_of(month: int, cooling: Iterable[int], heating: Iterable[int]) -> Season | None:
    """The season a month belongs to for the station (None: neither)."""
    if month in set(cooling):
        return "cooling"
    if month in set(heating):
        return "heating"
    return None


def limit_for(parameter: str, season: Season | None) -> IndoorLimit | None:
    """The record that applies to ``parameter`` in ``season``."""
    for r in indoor_limits():
        if r.parameter == parameter and r.season in (None, season):
            if r.season is None or season is not None:
                return r
    return None


@dataclass(frozen=True, slots=True)
class IndoorHour:
    """The verdict on one hour of one parameter."""

    hour: str  # local ISO 8601
    value: float | None
    low: float | None
    high: float | None
    #: True compliant, False not, None not assessed (no value, no limit in this season)
    compliant: bool | None
    basis: str  # "1h", "24h" (the day's mean) or "" when not assessed


def within(value: float, low: float | None, high: float | None) -> bool:
    """A value equal to a bound complies (the standard's ranges are inclusive)."""
    return (low is None or value >= low) and (high is None or value <= high)


def hourly_compliance(
    parameter: str,
    unit: str,
    hours_s: list[int],
    values: list[float],
    tz: dt.tzinfo,
    *,
    cooling_months: Iterable[int],
    heating_months: Iterable[int],
) -> list[IndoorHour]:
    """Hour-by-hour compliance of one parameter's hourly means (NaN = no valid value)."""
    local = [dt.datetime.fromtimestamp(h, dt.UTC).astimezone(tz) for h in hours_s]
    cooling, heating = list(cooling_months), list(heating_months)
    day_means: dict[dt.date, float] = {}
    by_day: dict[dt.date, list[float]] = {}
    for t, v in zip(local, values, strict=True):
        if not math.isnan(v):
            by_day.setdefault(t.date(), []).append(v)
    for d, vs in by_day.items():
        day_means[d] = sum(vs) / len(vs)
    out: list[IndoorHour] = []
    for t, v in zip(local, values, strict=True):
        rec = limit_for(parameter, season_of(t.month, cooling, heating))
        value = None if math.isnan(v) else v
        if rec is None or value is None:
            out.append(IndoorHour(t.isoformat(), value, None, None, None, ""))
            continue
        low, high = rec.bounds_in(unit)
        judged = day_means[t.date()] if rec.averaging == "24h" else value
        out.append(
            IndoorHour(t.isoformat(), value, low, high, within(judged, low, high), rec.averaging)
        )
    return out


__all__ = [
    "IndoorHour",
    "IndoorLimit",
    "hourly_compliance",
    "indoor_limits",
    "indoor_sources",
    "limit_for",
    "season_of",
    "within",
]
