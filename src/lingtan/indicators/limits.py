"""Energy-consumption limit values (能耗限额 / 能效等级) and metering coverage requirements.

Both are data files with their source, validated strictly like the factor files:

* ``data/energy_limits.yaml`` — per product key, the standard, its level values (1 is best),
  what the numerator is (``electricity`` [kWh] or ``energy`` [kgce, 当量值 unless the record
  says otherwise]) and the product unit;
* ``data/metering_gb17167_2006.yaml`` — required coverage rates per energy and GB 17167 level.
  The shipped values are the 2006 edition's as recalled (confidence U, ``verified: false``);
  every result that uses them says so.
"""

from __future__ import annotations

import functools
import itertools
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lingtan.errors import InvalidInput, NotFound

Confidence = Literal["H", "M-H", "M", "L", "U"]


class Strict(BaseModel):
    """A reference record: unknown fields refused, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Strict):
    """A reference record with its source: a URL or why there is none, a confidence, and
    whether the value was verified against the text (an L or U record never is)."""

    source: str = Field(min_length=1)
    url: str | None
    url_note: str | None = None
    confidence: Confidence
    verified: bool

    @model_validator(mode="after")
    def _provenance(self) -> Sourced:
        if self.url is None and not self.url_note:
            raise ValueError("a record without url must say why in url_note")
        if self.verified and self.confidence in ("L", "U"):
            raise ValueError(f"confidence {self.confidence} records must say verified: false")
        return self


class LimitRecord(Sourced):
    """Level values of one product in one limit standard."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:\-]+$")
    standard: str
    title: str
    product: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
    product_zh: str
    product_en: str
    indicator_zh: str
    indicator_en: str
    #: ``electricity``: the enterprise's electricity use; ``energy``: comprehensive energy
    numerator: Literal["electricity", "energy"]
    numerator_unit: str
    output_unit: str
    unit: str
    comparator: Literal["le", "ge"] = "le"
    #: level → value (1 best); a standard with three levels has 3 as its limit value
    levels: dict[int, float]
    electricity_conversion: Literal["equivalent", "equal_value"] = "equivalent"
    clause: str | None = None
    synthetic: bool = False
    #: the standard's edition year and table (records of lingtan.compliance name both)
    edition: str | None = None
    table: str | None = None
    #: ``grades``: 1级/2级/3级 (3 = 限定值); ``limit_entry_advanced``: an older edition with
    #: 先进值/准入值/限定值, held as levels 1/2/3 (a mapping of lingtan's, said in ``note``)
    scheme: Literal["grades", "limit_entry_advanced"] = "grades"
    note: str | None = None

    @model_validator(mode="after")
    def _levels(self) -> LimitRecord:
        if not self.levels or min(self.levels) < 1 or max(self.levels) > 3:
            raise ValueError("levels are 1, 2 or 3 (a level the source does not give is left out)")
        ordered = [self.levels[k] for k in sorted(self.levels)]
        ascending = all(a <= b for a, b in itertools.pairwise(ordered))
        descending = all(a >= b for a, b in itertools.pairwise(ordered))
        if (self.comparator == "le" and not ascending) or (
            self.comparator == "ge" and not descending
        ):
            raise ValueError("level values must get less strict from level 1 on")
        return self

    def level_of(self, value: float) -> int | None:
        """The best level ``value`` reaches (None: worse than the last level)."""
        for level in sorted(self.levels):
            limit = self.levels[level]
            if (value <= limit) if self.comparator == "le" else (value >= limit):
                return level
        return None

    def brief(self) -> dict[str, Any]:
        """Identification printed with results."""
        return {
            "id": self.id,
            "standard": self.standard,
            "title": self.title,
            "product": self.product,
            "levels": {str(k): v for k, v in sorted(self.levels.items())},
            "edition": self.edition,
            "table": self.table,
            "scheme": self.scheme,
            "unit": self.unit,
            "source": self.source,
            "url": self.url,
            "confidence": self.confidence,
            "verified": self.verified,
        }


class _LimitFile(Strict):
    records: tuple[LimitRecord, ...]


class CoverageRequirement(Sourced):
    """Required coverage rates per energy family and GB 17167 level."""

    id: str
    edition: str
    rates: dict[str, dict[int, float]]

    @model_validator(mode="after")
    def _rates(self) -> CoverageRequirement:
        for family, levels in self.rates.items():
            for level, rate in levels.items():
                if level not in (1, 2, 3) or not 0 <= rate <= 1:
                    raise ValueError(f"{family}: level {level} rate {rate} (levels 1–3, rate 0–1)")
        return self

    def required(self, family: str, level: int) -> float | None:
        """The required rate, None when the edition sets none."""
        return self.rates.get(family, {}).get(level)

    def brief(self) -> dict[str, Any]:
        """Identification printed with results."""
        return {
            "id": self.id,
            "edition": self.edition,
            "source": self.source,
            "url": self.url,
            "url_note": self.url_note,
            "confidence": self.confidence,
            "verified": self.verified,
        }


def validate_yaml(model: type[BaseModel], text: str, where: str) -> Any:
    """``text`` (YAML) as ``model``; an error names ``where`` and the first failing field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InvalidInput(f"{where}: not YAML: {err}", field=where) from err
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InvalidInput(f"{where}: {loc}: {first['msg']}", field=loc) from err


def read_data(
    path: str | Path | None, shipped: str, package: str = "lingtan.indicators"
) -> tuple[str, str]:
    """(text, name) of the file ``path``, or of ``package``'s shipped ``data/shipped``."""
    if path is None:
        res = resources.files(package).joinpath("data", shipped)
        return res.read_text("utf-8"), shipped
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"{p} not found")
    return p.read_text("utf-8"), p.name


@functools.cache
def _shipped_limits() -> tuple[LimitRecord, ...]:
    text, where = read_data(None, "energy_limits.yaml")
    own = tuple(validate_yaml(_LimitFile, text, where).records)
    # the product energy-consumption limit standards of lingtan.compliance (单位产品能源消耗限额)
    res = resources.files("lingtan.compliance").joinpath("data", "energy_limits.yaml")
    theirs = tuple(
        validate_yaml(_LimitFile, res.read_text("utf-8"), "compliance/energy_limits.yaml").records
    )
    return own + theirs


def load_limits(extra: str | Path | None = None) -> tuple[LimitRecord, ...]:
    """The shipped limit records plus those of ``extra`` (which win for the same product)."""
    records = list(_shipped_limits())
    if extra is not None:
        text, where = read_data(extra, "")
        added: tuple[LimitRecord, ...] = validate_yaml(_LimitFile, text, where).records
        products = {r.product for r in added}
        records = [r for r in records if r.product not in products] + list(added)
    ids = [r.id for r in records]
    if len(ids) != len(set(ids)):
        raise InvalidInput("limit record ids must be unique", field="id")
    return tuple(records)


@functools.cache
def _shipped_coverage() -> CoverageRequirement:
    text, where = read_data(None, "metering_gb17167_2006.yaml")
    result: CoverageRequirement = validate_yaml(CoverageRequirement, text, where)
    return result


def load_coverage_requirement(path: str | Path | None = None) -> CoverageRequirement:
    """Required metering coverage rates (the shipped, unverified 2006 values by default)."""
    if path is None:
        return _shipped_coverage()
    text, where = read_data(path, "")
    result: CoverageRequirement = validate_yaml(CoverageRequirement, text, where)
    return result
