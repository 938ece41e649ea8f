"""The National Hazardous Waste List (国家危险废物名录) and the rules that drive the ledger, as
records loaded from ``waste/data/*.yaml`` (pure: no store, no I/O beyond the package data).

Each edition is one file (``hw_list_<edition>.yaml``) with its date in force; the edition used
for a date is the newest in force on it, so a newer edition is a data file, not a code change.
A code is ``NNN-NNN-NN``: industry (GB/T 4754-2017), sequence, category (名录第五条).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lingtan.errors import InvalidInput, NotFound

Confidence = Literal["H", "M", "L", "U"]
Hazard = Literal["T", "C", "I", "R", "In"]
CODE_RE = re.compile(r"^(\d{3})-(\d{3})-(\d{2})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    """One category (废物类别) HWnn."""

    category: str = Field(pattern=r"^HW\d{2}$")
    name: str
    confidence: Confidence


class WasteCode(_Strict):
    """One code (废物代码) with its industry source and hazard characteristics."""

    code: str = Field(pattern=CODE_RE.pattern)
    category: str = Field(pattern=r"^HW\d{2}$")
    industry: str
    description: str
    hazard: list[Hazard] = Field(min_length=1)
    confidence: Confidence
    note: str | None = None


class Count(_Strict):
    """A count the edition's publisher gives (e.g. how many kinds of waste it lists), with its
    source and confidence."""

    value: int = Field(ge=1)
    source: str
    confidence: Confidence


class Edition(_Strict):
    """One edition of the list."""

    edition: str
    title: str
    in_force: dt.date
    source: str
    partial: bool
    #: how the records were obtained (e.g. carried over from an earlier edition, unread)
    note: str | None = None
    #: how many kinds of hazardous waste (codes) the edition lists, per its publisher
    kinds_total: Count | None = None
    categories: list[Category]
    codes: list[WasteCode]

    @model_validator(mode="after")
    def _consistent(self) -> Edition:
        seen: set[str] = set()
        for rec in self.codes:
            if rec.code in seen:
                raise ValueError(f"code {rec.code} is listed twice")
            seen.add(rec.code)
            if rec.category != f"HW{rec.code[-2:]}" or self.category(rec.category) is None:
                raise ValueError(f"code {rec.code}: category {rec.category} does not fit")
        if self.kinds_total is not None:
            total = self.kinds_total.value
            if len(self.codes) > total:
                raise ValueError(f"{len(self.codes)} codes, more than the {total} kinds listed")
            if not self.partial and len(self.codes) != total:
                raise ValueError(f"complete edition with {len(self.codes)} of {total} codes")
        return self

    def category(self, category: str) -> Category | None:
        """The category record, or None."""
        return next((c for c in self.categories if c.category == category), None)

    def code(self, code: str) -> WasteCode | None:
        """The code record, or None."""
        return next((c for c in self.codes if c.code == code), None)


class RuleRecord(_Strict):
    """A rule that drives behaviour (storage time, manifests, thresholds), with its source."""

    id: str
    source: str
    text: str = ""
    value: float | None = None
    unit: str | None = None
    confidence: Confidence
    verified: bool
    note: str | None = None


class CodeCheck(_Strict):
    """What the list says of a code: its category, its record when listed, the edition."""

    code: str
    category: str
    category_name: str
    listed: bool
    hazard: list[str]
    description: str | None
    edition: str


def _load(name: str) -> Any:
    text = resources.files("lingtan.waste").joinpath("data", name).read_text("utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def editions() -> tuple[Edition, ...]:
    """Every edition shipped, oldest first."""
    found = []
    for entry in resources.files("lingtan.waste").joinpath("data").iterdir():
        if entry.name.startswith("hw_list_") and entry.name.endswith(".yaml"):
            try:
                found.append(Edition.model_validate(_load(entry.name)))
            except ValidationError as err:
                raise InvalidInput(f"waste/data/{entry.name}: {err}") from None
    if not found:
        raise NotFound("no edition of the National Hazardous Waste List is installed")
    return tuple(sorted(found, key=lambda e: e.in_force))


def edition_for(day: dt.date | None = None) -> Edition:
    """The newest edition in force on ``day`` (default: today); the oldest before any."""
    all_ = editions()
    if day is None:
        return all_[-1]
    chosen = [e for e in all_ if e.in_force <= day]
    return chosen[-1] if chosen else all_[0]


def check_code(code: str, *, day: dt.date | None = None, field: str = "code") -> CodeCheck:
    """Validate a waste code against the edition in force on ``day``. A malformed code, an
    unknown category, or (in a complete edition) an unlisted code is :class:`InvalidInput`
    naming the code; a partial edition accepts a well-formed code of a known category and says
    it is not listed."""
    code = code.strip()
    m = CODE_RE.match(code)
    if m is None:
        raise InvalidInput(f"{field}: {code!r} is not a waste code NNN-NNN-NN", field=field)
    ed = edition_for(day)
    category = f"HW{m.group(3)}"
    cat = ed.category(category)
    if cat is None:
        raise InvalidInput(
            f"{field}: {code!r}: category {category} is not in {ed.title}", field=field
        )
    rec = ed.code(code)
    if rec is None and not ed.partial:
        raise InvalidInput(f"{field}: {code!r} is not in {ed.title}", field=field)
    return CodeCheck(
        code=code, category=category, category_name=cat.name, listed=rec is not None,
        hazard=list(rec.hazard) if rec else [], description=rec.description if rec else None,
        edition=ed.edition,
    )  # fmt: skip


@lru_cache(maxsize=1)
def rules() -> dict[str, RuleRecord]:
    """The rule records of ``storage_rules.yaml`` by id."""
    data = _load("storage_rules.yaml")
    return {r["id"]: RuleRecord.model_validate(r) for r in data["rules"]}


def rule(rule_id: str) -> RuleRecord:
    """One rule record (NotFound for an unknown id)."""
    found = rules().get(rule_id)
    if found is None:
        raise NotFound(f"waste rule {rule_id!r} is not defined")
    return found
