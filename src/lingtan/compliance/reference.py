"""Reference records of the compliance layer, validated strictly (like the factor files).

* ``data/efficiency_levels.yaml`` — 工业重点领域能效标杆水平和基准水平（2023年版）
  (发改产业〔2023〕723号; first edition 发改产业〔2021〕1609号): per product 标杆 and 基准;
* ``data/energy_limits.yaml`` — 单位产品能源消耗限额 levels (read by
  :func:`lingtan.indicators.limits.load_limits` together with the GB 40879 PUE record);
* ``data/industry_catalogue.yaml`` — 产业结构调整指导目录（2024年本）, an illustrative selection;
* ``data/water_quotas.yaml`` — 取水定额 (GB/T 18916 parts): per product the largest water intake
  per unit of product for existing and new enterprises.

Every record carries its document, edition, table, unit, confidence and source; values not
verified from the standard's text say so (confidence L, ``verified: false``).
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from lingtan.errors import InvalidInput
from lingtan.indicators.limits import Sourced, Strict, read_data, validate_yaml

Confidence = Literal["H", "M", "L", "U"]


class _Provenance(Sourced):
    confidence: Confidence  # this layer's records: H, M, L or U


class EfficiencyLevel(_Provenance):
    """标杆 and 基准 of one product (lower is better)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.:\-]+$")
    document: str
    edition: str
    predecessor: str | None = None
    predecessor_same: Literal["yes", "no", "unknown"] = "unknown"
    table: str
    product: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
    product_zh: str
    product_en: str
    numerator: Literal["energy", "electricity"]
    numerator_unit: str
    unit: str
    benchmark: float
    baseline: float
    note: str | None = None

    @model_validator(mode="after")
    def _order(self) -> EfficiencyLevel:
        if self.benchmark > self.baseline:
            raise ValueError(
                f"{self.id}: 标杆 {self.benchmark} must not exceed 基准 {self.baseline}"
            )
        return self

    def brief(self) -> dict[str, Any]:
        """Identification printed with results."""
        return {
            "id": self.id,
            "document": self.document,
            "edition": self.edition,
            "table": self.table,
            "benchmark": self.benchmark,
            "baseline": self.baseline,
            "unit": self.unit,
            "confidence": self.confidence,
            "verified": self.verified,
            "url": self.url,
            "url_note": self.url_note,
        }


class _LevelFile(Strict):
    deadline_year: int
    deadline_note: str
    records: tuple[EfficiencyLevel, ...]


class CatalogueEntry(Strict):
    """One entry of the industry catalogue."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.:\-]+$")
    cls: Literal["encouraged", "restricted", "eliminated"] = Field(alias="class")
    sector: str
    text: str


class Catalogue(_Provenance):
    """An industry catalogue (产业结构调整指导目录) as records."""

    document: str
    edition: str
    entries: tuple[CatalogueEntry, ...]

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        ids = [e.id for e in self.entries]
        if len(ids) != len(set(ids)):
            raise ValueError("catalogue entry ids must be unique")
        return self

    def entry(self, entry_id: str) -> CatalogueEntry:
        """The entry ``entry_id`` (NotFound names it)."""
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise InvalidInput(
            f"catalogue_entry: {entry_id!r} is not an entry of {self.document}",
            field="catalogue_entry",
        )


WaterCategory = Literal["existing", "new", "leading"]

#: names of the quota categories (现有企业 / 新建企业 / 先进值)
WATER_CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    "existing": ("现有企业", "existing enterprises"),
    "new": ("新建企业", "new enterprises"),
    "leading": ("先进值", "leading value"),
}


class WaterQuota(Sourced):
    """The water-intake quotas (取水定额) of one product in one GB/T 18916 part: the largest
    单位产品取水量 [m³ per unit of product] per enterprise category (lower is stricter)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.:\-]+$")
    standard: str = Field(min_length=1)
    part: int = Field(ge=1)
    #: the edition year; None when the source does not name it (said in ``note``)
    edition: str | None
    #: the table; None when the source does not name it (said in ``url_note``)
    table: str | None
    title: str
    product: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
    product_zh: str
    product_en: str
    #: further product_output items the quota applies to (a mapping of lingtan's, in ``note``)
    applies_to: tuple[str, ...] = ()
    output_unit: str = Field(min_length=1)
    unit: str
    #: ``general_advanced``: 通用值 held as existing, 先进值 as new (the newer editions);
    #: ``existing_new``: the 现有企业/新建企业 columns of older editions
    scheme: Literal["general_advanced", "existing_new"]
    values: dict[WaterCategory, float]
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> WaterQuota:
        if self.unit != f"m3/{self.output_unit}":
            raise ValueError(f"{self.id}: unit must be m3/{self.output_unit}, got {self.unit}")
        if "existing" not in self.values and "new" not in self.values:
            raise ValueError(f"{self.id}: a quota for existing or new enterprises is needed")
        if any(not v > 0 for v in self.values.values()):
            raise ValueError(f"{self.id}: quota values must be > 0")
        order = [self.values[k] for k in ("leading", "new", "existing") if k in self.values]
        if any(a > b for a, b in itertools.pairwise(order)):
            raise ValueError(
                f"{self.id}: quotas must not loosen from leading to new to existing: {order}"
            )
        if self.product in self.applies_to:
            raise ValueError(f"{self.id}: applies_to repeats the product itself")
        return self

    def brief(self) -> dict[str, Any]:
        """Identification printed with results."""
        return {
            "id": self.id,
            "standard": self.standard,
            "edition": self.edition,
            "table": self.table,
            "title": self.title,
            "product": self.product,
            "values": dict(self.values),
            "scheme": self.scheme,
            "unit": self.unit,
            "source": self.source,
            "url": self.url,
            "url_note": self.url_note,
            "confidence": self.confidence,
            "verified": self.verified,
        }


class _QuotaFile(Strict):
    records: tuple[WaterQuota, ...]


def _text(path: str | Path | None, shipped: str) -> tuple[str, str]:
    return read_data(path, shipped, "lingtan.compliance")


@functools.cache
def _shipped_levels() -> _LevelFile:
    text, where = _text(None, "efficiency_levels.yaml")
    result: _LevelFile = validate_yaml(_LevelFile, text, where)
    return result


def efficiency_levels(path: str | Path | None = None) -> dict[str, EfficiencyLevel]:
    """标杆/基准 records by product key (the shipped file, or ``path`` in its format)."""
    if path is None:
        doc = _shipped_levels()
    else:
        text, where = _text(path, "")
        doc = validate_yaml(_LevelFile, text, where)
    out: dict[str, EfficiencyLevel] = {}
    for r in doc.records:
        if r.product in out:
            raise InvalidInput(f"product {r.product} listed twice", field="product")
        out[r.product] = r
    return out


def deadline_year() -> int:
    """The year by which capacity below 基准 is to be upgraded or retired (shipped file)."""
    return _shipped_levels().deadline_year


@functools.cache
def _shipped_catalogue() -> Catalogue:
    text, where = _text(None, "industry_catalogue.yaml")
    result: Catalogue = validate_yaml(Catalogue, text, where)
    return result


def catalogue(path: str | Path | None = None) -> Catalogue:
    """The industry catalogue (shipped illustrative selection, or the park's ``path``)."""
    if path is None:
        return _shipped_catalogue()
    text, where = _text(path, "")
    result: Catalogue = validate_yaml(Catalogue, text, where)
    return result


@functools.cache
def _shipped_quotas() -> _QuotaFile:
    text, where = _text(None, "water_quotas.yaml")
    result: _QuotaFile = validate_yaml(_QuotaFile, text, where)
    return result


def water_quotas(path: str | Path | None = None) -> dict[str, WaterQuota]:
    """取水定额 records by product_output item (the product and its ``applies_to`` items): the
    shipped file, or ``path`` in its format. An item named by two records is refused."""
    if path is None:
        doc = _shipped_quotas()
    else:
        text, where = _text(path, "")
        doc = validate_yaml(_QuotaFile, text, where)
    ids = [r.id for r in doc.records]
    if len(ids) != len(set(ids)):
        raise InvalidInput("water quota ids must be unique", field="id")
    out: dict[str, WaterQuota] = {}
    for r in doc.records:
        for item in (r.product, *r.applies_to):
            if item in out:
                raise InvalidInput(
                    f"product {item} has two water quotas ({out[item].id}, {r.id})",
                    field="product",
                )
            out[item] = r
    return out
