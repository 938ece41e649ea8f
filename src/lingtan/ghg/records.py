"""Reference records of the GHG layer: GWPs, sector default parameters, market coverage, CBAM.

Every reference value is a record in ``lingtan/ghg/data`` with its document, table, unit,
confidence and source URL (or why there is none), the same provenance grades as the carbon factor
library (:mod:`lingtan.carbon.factors.loader`): ``H``, ``M-H``, ``M``, ``L``, ``U``; ``L`` and ``U``
records say ``verified: false`` and every result using one lists it as unverified. Fuel parameters
are **not** here: they come from the carbon factor library, which already holds them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lingtan.carbon.factors.loader import VERIFIABLE_GRADES, Confidence
from lingtan.errors import InvalidInput, NotFound

Report = Literal["SAR", "AR5", "AR6"]

#: a note that opens by saying the value was recalled (typed from memory, the files' convention):
#: such a record cannot be graded as verified
_RECALLED = re.compile(r"^\s*recalled\b", re.IGNORECASE)


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _grades(self) -> Any:
        conf = getattr(self, "confidence", None)
        verified = getattr(self, "verified", None)
        if verified is True and conf not in VERIFIABLE_GRADES:
            raise ValueError(f"confidence {conf} records must say verified: false")
        note = getattr(self, "note", None)
        value_record = "verified" in type(self).model_fields  # GWPs and sector parameters
        if value_record and conf in VERIFIABLE_GRADES and note and _RECALLED.search(note):
            raise ValueError(f"a confidence {conf} record's note says recalled: recalled is L or U")
        url = getattr(self, "url", None)
        if "url" in type(self).model_fields and url is None and not getattr(self, "url_note", None):
            raise ValueError("a record without url must say why in url_note")
        return self


class GwpRecord(_Base):
    """One 100-year GWP of one gas in one IPCC assessment report."""

    id: str
    gas: str
    report: Report
    horizon: Literal[100]
    value: float = Field(gt=0)
    unit: Literal["tCO2e/t"]
    document: str
    table: str
    url: str | None
    url_note: str | None = None
    confidence: Confidence
    verified: bool
    note: str | None = None


class ParamRecord(_Base):
    """A default parameter of a sector method (a factor, a content, a slope)."""

    id: str
    key: str
    value: float = Field(ge=0)
    unit: str
    document: str
    table: str
    url: str | None
    url_note: str | None = None
    confidence: Confidence
    verified: bool
    note: str | None = None

    def brief(self) -> dict[str, Any]:
        """What a result lists for each record it used."""
        return {
            "id": self.id,
            "value": self.value,
            "unit": self.unit,
            "document": self.document,
            "table": self.table,
            "confidence": self.confidence,
            "verified": self.verified,
        }


class MarketSector(_Base):
    """A sector of the national carbon market and the gases it covers."""

    key: str
    name_zh: str
    gases: tuple[str, ...]
    since: int
    document: str
    confidence: Confidence
    note: str | None = None


class Markup(_Base):
    """The mark-up on CBAM default values for a year and sectors."""

    id: str
    year: int
    sectors: tuple[str, ...]
    value: float = Field(ge=0, lt=1)
    document: str
    confidence: Confidence
    note: str | None = None


class CbamSector(_Base):
    """Whether indirect emissions count toward a sector's CBAM obligation."""

    key: str
    indirect_counted: bool
    confidence: Confidence
    note: str | None = None


class DefaultValue(_Base):
    """An EU default value (specific embedded emissions) of a CN code, for one country."""

    cn_code: str
    description: str
    sector: str
    route: str
    direct: float | None
    indirect: float | None
    total: float
    confidence: Confidence
    markup_check: Literal["ok", "mismatch"]

    @property
    def cn8(self) -> str:
        """The code without spaces (4, 6 or 8 digits)."""
        return self.cn_code.replace(" ", "")


class Good(BaseModel):
    """A CBAM-covered CN code (Annex I of Regulation (EU) 2023/956)."""

    model_config = ConfigDict(frozen=True)

    cn: str
    sector: str
    category: str
    description: str


def _text(name: str) -> str:
    return resources.files("lingtan.ghg.data").joinpath(name).read_text(encoding="utf-8")


def _validate(model: type[BaseModel], items: list[Any], origin: str) -> list[Any]:
    out = []
    for i, item in enumerate(items):
        try:
            out.append(model.model_validate(item))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"{origin}[{i}].{where}: {first['msg']}", field=where) from err
    return out


@functools.cache
def gwp_records() -> tuple[GwpRecord, ...]:
    """Every shipped GWP record."""
    doc = yaml.safe_load(_text("gwp.yaml"))
    return tuple(_validate(GwpRecord, doc["records"], "gwp.yaml"))


@functools.cache
def param_records() -> dict[str, ParamRecord]:
    """Every shipped sector default parameter, by id."""
    doc = yaml.safe_load(_text("sector_params.yaml"))
    recs = _validate(ParamRecord, doc["records"], "sector_params.yaml")
    return {r.id: r for r in recs}


def param(record_id: str) -> ParamRecord:
    """A sector default parameter by id; ``NotFound`` if none."""
    try:
        return param_records()[record_id]
    except KeyError:
        raise NotFound(f"no GHG parameter record {record_id!r}") from None


@functools.cache
def market() -> tuple[ParamRecord, tuple[MarketSector, ...]]:
    """The covered-unit threshold record and the market's sectors."""
    doc = yaml.safe_load(_text("market.yaml"))
    threshold = _validate(ParamRecord, doc["records"], "market.yaml")[0]
    sectors = tuple(_validate(MarketSector, doc["sectors"], "market.yaml sectors"))
    return threshold, sectors


@functools.cache
def cbam_meta() -> dict[str, Any]:
    """The CBAM documents, mark-ups, sector scope and file metadata."""
    doc = yaml.safe_load(_text("cbam.yaml"))
    return {
        "documents": {d["id"]: d for d in doc["documents"]},
        "markups": tuple(_validate(Markup, doc["markups"], "cbam.yaml markups")),
        "sectors": {s.key: s for s in _validate(CbamSector, doc["sectors"], "cbam.yaml sectors")},
        "default_values": doc["default_values"],
        "goods": doc["goods"],
    }


def _csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_text(name))))


@functools.cache
def default_values() -> tuple[DefaultValue, ...]:
    """The shipped EU default values (China rows of IR 2025/2621)."""
    rows = []
    for row in _csv(cbam_meta()["default_values"]["file"]):
        rows.append(
            {
                **row,
                "direct": float(row["direct"]) if row["direct"] else None,
                "indirect": float(row["indirect"]) if row["indirect"] else None,
                "total": float(row["total"]),
            }
        )
    return tuple(_validate(DefaultValue, rows, "cbam_default_values_cn.csv"))


@functools.cache
def goods() -> dict[str, Good]:
    """The CBAM-covered CN codes (4 to 8 digits, no spaces) → good."""
    return {r["cn"]: Good(**r) for r in _csv(cbam_meta()["goods"]["file"])}
