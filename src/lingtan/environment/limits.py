"""Reference records of the environmental-quality standards (pure): GB 3095-2012 limits, its
data-validity minimums (表4), GB 3838-2002 surface-water class limits. The numbers live in
``environment/data/*.yaml`` with their standard, edition, table and confidence; this module only
loads and validates them (pydantic), and looks them up.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from lingtan import units
from lingtan.errors import InvalidInput, NotFound

Confidence = Literal["H", "M", "L", "U"]
Averaging = Literal["1h", "8h_daily_max", "24h", "quarterly", "annual"]
Direction = Literal["max", "min", "range"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_unit(value: str) -> str:
    units.unit(value)  # InvalidInput for an unknown symbol
    return value


class AirLimit(_Strict):
    """One GB 3095-2012 limit: pollutant, averaging time, class 1 and class 2 values."""

    pollutant: str
    averaging: Averaging
    class1: float
    class2: float
    unit: str
    table: str
    # filled from the file header
    standard: str = ""
    edition: str = ""
    confidence: Confidence = "U"

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        return _known_unit(value)

    def value(self, cls: int) -> float:
        """The limit for environmental-function class ``cls`` (1 or 2)."""
        if cls == 1:
            return self.class1
        if cls == 2:
            return self.class2
        raise InvalidInput(f"air class must be 1 or 2, not {cls}", field="class")

    @property
    def cite(self) -> str:
        return f"{self.standard} 表{self.table}"


class ValidityRule(_Strict):
    """One minimum of GB 3095-2012 表4 (data needed for a valid statistic)."""

    statistic: Literal["1h", "8h", "8h_daily_max", "24h", "annual"]
    min_count: int
    count_of: str
    applies_to: tuple[str, ...]
    confidence: Confidence
    text: str


class WaterParameter(_Strict):
    """One GB 3838-2002 parameter: its direction and class limits I…V."""

    parameter: str
    direction: Direction
    unit: str
    limits: tuple[float, ...] = ()
    low: float | None = None
    high: float | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> WaterParameter:
        if self.direction == "range":
            if self.low is None or self.high is None or self.low > self.high:
                raise ValueError(f"{self.parameter}: a range needs low ≤ high")
        elif len(self.limits) != 5:
            raise ValueError(f"{self.parameter}: needs 5 class limits (I…V)")
        elif self.direction == "max" and list(self.limits) != sorted(self.limits):
            raise ValueError(f"{self.parameter}: max limits must not decrease from I to V")
        elif self.direction == "min" and list(self.limits) != sorted(self.limits, reverse=True):
            raise ValueError(f"{self.parameter}: min limits must not increase from I to V")
        return self


class WaterStandard(_Strict):
    standard: str
    edition: str
    title: str
    table: str
    confidence: Confidence
    source: str
    classes: tuple[str, ...]
    parameters: tuple[WaterParameter, ...]


def _load(name: str) -> Any:
    text = resources.files("lingtan.environment").joinpath("data", name).read_text("utf-8")
    return yaml.safe_load(text)


def _invalid(name: str, err: ValidationError) -> InvalidInput:
    first = err.errors()[0]
    loc = ".".join(str(x) for x in first["loc"]) or "record"
    return InvalidInput(f"{name}: {loc}: {first['msg']}", field=loc)


@lru_cache(maxsize=1)
def air_limits() -> tuple[AirLimit, ...]:
    """Every GB 3095-2012 limit record."""
    doc = _load("gb3095_2012.yaml")
    head = {"standard": doc["standard"], "edition": doc["edition"], "confidence": doc["confidence"]}
    try:
        out = tuple(AirLimit.model_validate({**row, **head}) for row in doc["limits"])
    except ValidationError as err:
        raise _invalid("gb3095_2012.yaml", err) from err
    keys = [(r.pollutant, r.averaging) for r in out]
    if len(set(keys)) != len(keys):
        raise InvalidInput("gb3095_2012.yaml: a pollutant/averaging pair is listed twice")
    return out


def air_limit(pollutant: str, averaging: str) -> AirLimit | None:
    """The GB 3095-2012 record of ``pollutant`` for ``averaging``, or None if it has none."""
    for r in air_limits():
        if r.pollutant == pollutant and r.averaging == averaging:
            return r
    return None


def air_pollutants() -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.pollutant for r in air_limits()))


@lru_cache(maxsize=1)
def validity_rules() -> dict[str, ValidityRule]:
    """GB 3095-2012 表4 minimums by statistic (``1h``, ``8h``, ``8h_daily_max``, ``24h``,
    ``annual``)."""
    doc = _load("gb3095_validity.yaml")
    try:
        rules = [ValidityRule.model_validate(r) for r in doc["rules"]]
    except ValidationError as err:
        raise _invalid("gb3095_validity.yaml", err) from err
    return {r.statistic: r for r in rules}


def validity_cite() -> str:
    """Where the validity minimums come from, e.g. ``GB 3095-2012 表4``."""
    doc = _load("gb3095_validity.yaml")
    return f"{doc['standard']} 表{doc['table']}"


def min_count(statistic: str) -> int:
    """The minimum number of values of GB 3095-2012 表4 for ``statistic``."""
    rule = validity_rules().get(statistic)
    if rule is None:
        raise NotFound(f"no validity rule for {statistic}")
    return rule.min_count


@lru_cache(maxsize=1)
def water_standard() -> WaterStandard:
    """The GB 3838-2002 class table."""
    try:
        return WaterStandard.model_validate(_load("gb3838_2002.yaml"))
    except ValidationError as err:
        raise _invalid("gb3838_2002.yaml", err) from err


def water_parameter(name: str) -> WaterParameter:
    for p in water_standard().parameters:
        if p.parameter == name:
            return p
    known = ", ".join(p.parameter for p in water_standard().parameters)
    raise NotFound(f"GB 3838-2002 has no parameter {name!r} here; known: {known}")
