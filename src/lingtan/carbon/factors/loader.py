"""Strict loader and append-only library of factor records.

A factor is data, never a constant in code (DESIGN §5): every record carries its value exactly
as published, its unit, data year (or, for a series, its start), region, basis, the notice or
standard it comes from, a URL, and a confidence grade:

* ``H``   official text seen, or two independent sources agree;
* ``M-H`` / ``M`` one credible secondary source, or one that matches prior knowledge;
* ``L``   one weak source;
* ``U``   recalled, not verified.

``L`` and ``U`` records must say ``verified: false``; every result that uses one lists it as
unverified. Records are appended, never edited: a later record with the same *slot* (kind, key,
scope, region, basis, year, edition) supersedes the earlier one for new computations, and the
earlier one stays retrievable by its id so that an old result can still be explained.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.shipped import load_yaml

Kind = Literal[
    "grid_electricity",
    "heat",
    "fuel_ncv",
    "fuel_carbon_content",
    "fuel_oxidation",
    "standard_coal",
    "process",
]
SeriesKind = Literal["grid_electricity_hourly"]
Scope = Literal["national", "grid_region", "province", "park", "enterprise", "site"]
Confidence = Literal["H", "M-H", "M", "L", "U"]

#: grades that may be shown as verified; anything else is flagged in every result using it
VERIFIABLE_GRADES: frozenset[str] = frozenset({"H", "M-H", "M"})

#: units each kind of record may carry (the formula modules expect exactly these)
KIND_UNITS: dict[str, frozenset[str]] = {
    "grid_electricity": frozenset({"kgCO2/kWh", "tCO2/MWh"}),
    "grid_electricity_hourly": frozenset({"kgCO2/kWh", "tCO2/MWh"}),
    "heat": frozenset({"tCO2/GJ"}),
    "fuel_ncv": frozenset({"GJ/t", "GJ/10^4 m3", "GJ/m3"}),
    "fuel_carbon_content": frozenset({"tC/GJ"}),
    "fuel_oxidation": frozenset({"1"}),
    "standard_coal": frozenset({"kgce/kWh", "gce/kWh", "tce/GJ", "kgce/kg", "kgce/m3", "kJ/kgce"}),
}


class _Provenance(BaseModel):
    """Fields every record and series share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:\-]+$")
    unit: str
    scope: Scope
    region: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    source: str = Field(min_length=1)
    url: str | None
    url_note: str | None = None
    confidence: Confidence
    verified: bool
    edition: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _provenance_rules(self) -> _Provenance:
        if self.url is None and not self.url_note:
            raise ValueError("a record without url must say why in url_note")
        if self.url is not None and not self.url.startswith(("https://", "http://")):
            raise ValueError("url must be an http(s) address")
        if self.verified and self.confidence not in VERIFIABLE_GRADES:
            raise ValueError(f"confidence {self.confidence} records must say verified: false")
        return self


class FactorRecord(_Provenance):
    """One published (or user-supplied) factor value."""

    kind: Kind
    key: str = Field(min_length=1)
    value: float
    year: int = Field(ge=1990, le=2100)

    @model_validator(mode="after")
    def _unit_fits_kind(self) -> FactorRecord:
        allowed = KIND_UNITS.get(self.kind)
        if allowed is not None and self.unit not in allowed:
            raise ValueError(
                f"unit {self.unit!r} does not fit kind {self.kind}; allowed: {sorted(allowed)}"
            )
        if self.kind == "process" and "/" not in self.unit:
            raise ValueError("a process factor unit reads 'tCO2/<product unit>'")
        if self.value < 0:
            raise ValueError("factor values are non-negative")
        if self.kind == "fuel_oxidation" and not 0 < self.value <= 1:
            raise ValueError("an oxidation rate lies in (0, 1]")
        return self

    @property
    def slot(self) -> tuple[str, str, str, str, str, int, str | None]:
        """What a later record must share to supersede this one."""
        return (self.kind, self.key, self.scope, self.region, self.basis, self.year, self.edition)

    def brief(self) -> dict[str, Any]:
        """The fields a result prints for each record it used."""
        return {
            "id": self.id,
            "kind": self.kind,
            "key": self.key,
            "value": self.value,
            "unit": self.unit,
            "year": self.year,
            "region": self.region,
            "basis": self.basis,
            "source": self.source,
            "url": self.url,
            "confidence": self.confidence,
            "verified": self.verified,
        }


class FactorSeries(_Provenance):
    """A time-varying factor: an hourly series, or a 24-value time-of-day profile for a year."""

    kind: SeriesKind
    year: int = Field(ge=1990, le=2100)
    resolution: Literal["hour", "time_of_day"]
    #: first hour of an hourly series; aware (naive datetimes are rejected)
    start: dt.datetime | None = None
    #: IANA zone whose local hours index a time-of-day profile
    timezone: str = "Asia/Shanghai"
    values: tuple[float, ...] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _non_negative(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(not np.isfinite(x) or x < 0 for x in v):
            raise ValueError("series values are finite and non-negative")
        return v

    @model_validator(mode="after")
    def _shape(self) -> FactorSeries:
        if self.unit not in KIND_UNITS[self.kind]:
            raise ValueError(f"unit {self.unit!r} does not fit kind {self.kind}")
        if self.resolution == "time_of_day" and len(self.values) != 24:
            raise ValueError("a time_of_day profile has exactly 24 values (local hours 0..23)")
        if self.resolution == "hour":
            if self.start is None or self.start.tzinfo is None:
                raise ValueError("an hourly series needs an aware start datetime")
        return self

    @property
    def slot(self) -> tuple[str, str, str, str, int, str | None]:
        """What a later series must share to supersede this one."""
        return (self.kind, self.scope, self.region, self.basis, self.year, self.edition)

    def hourly_values(self, hour_starts: Sequence[dt.datetime]) -> np.ndarray:
        """The factor for each hour in ``hour_starts`` (aware datetimes) [series unit].

        Raises ``NotFound`` if an hour lies outside an hourly series.
        """
        out = np.empty(len(hour_starts), dtype=float)
        if self.resolution == "time_of_day":
            from zoneinfo import ZoneInfo

            zone = ZoneInfo(self.timezone)
            for i, ts in enumerate(hour_starts):
                _require_aware(ts)
                out[i] = self.values[ts.astimezone(zone).hour]
            return out
        assert self.start is not None
        for i, ts in enumerate(hour_starts):
            _require_aware(ts)
            offset = (ts - self.start) / dt.timedelta(hours=1)
            index = int(offset)
            if offset != index or not 0 <= index < len(self.values):
                raise NotFound(f"hour {ts.isoformat()} is not covered by factor series {self.id}")
            out[i] = self.values[index]
        return out

    def values_at_us(self, hours_us: NDArray[np.int64]) -> NDArray[np.float64]:
        """The factor for each hour start given as epoch microseconds (UTC) [series unit].

        The vectorised form of :meth:`hourly_values` for long hourly arrays (a year of
        store statistics): no datetime is built per hour. Raises ``NotFound`` if an hour lies
        outside an hourly series or does not start on a whole hour of it.
        """
        hours = np.asarray(hours_us, dtype=np.int64)
        values = np.asarray(self.values, dtype=np.float64)
        if self.resolution == "time_of_day":
            local = (hours + _utc_offsets_us(hours, self.timezone)) // _HOUR_US
            out: NDArray[np.float64] = values[np.mod(local, 24)]
            return out
        assert self.start is not None
        offset = hours - _epoch_us(self.start)
        index = offset // _HOUR_US
        bad = (offset % _HOUR_US != 0) | (index < 0) | (index >= len(values))
        if bad.any():
            first = int(hours[np.flatnonzero(bad)[0]])
            when = (_EPOCH + dt.timedelta(microseconds=first)).isoformat()
            raise NotFound(f"hour {when} is not covered by factor series {self.id}")
        found: NDArray[np.float64] = values[index]
        return found

    def brief(self) -> dict[str, Any]:
        """The fields a result prints for each series it used."""
        return {
            "id": self.id,
            "kind": self.kind,
            "resolution": self.resolution,
            "values": len(self.values),
            "unit": self.unit,
            "year": self.year,
            "region": self.region,
            "basis": self.basis,
            "source": self.source,
            "url": self.url,
            "confidence": self.confidence,
            "verified": self.verified,
        }


_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _epoch_us(ts: dt.datetime) -> int:
    delta = ts - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@functools.lru_cache(maxsize=4096)
def _day_offsets_us(zone_name: str, day: int) -> tuple[int, int]:
    """UTC offset [µs] of ``zone_name`` at the start and at the last hour of UTC day ``day``."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    first = _EPOCH + dt.timedelta(days=day)
    last = first + dt.timedelta(hours=23)
    a, b = first.astimezone(zone).utcoffset(), last.astimezone(zone).utcoffset()
    assert a is not None
    assert b is not None
    return int(a / dt.timedelta(microseconds=1)), int(b / dt.timedelta(microseconds=1))


def _utc_offsets_us(hours_us: NDArray[np.int64], zone_name: str) -> NDArray[np.int64]:
    """UTC offset of ``zone_name`` at each instant [µs]; exact across offset changes."""
    from zoneinfo import ZoneInfo

    out = np.empty(len(hours_us), dtype=np.int64)
    if not len(hours_us):
        return out
    days = hours_us // _DAY_US
    unique, inverse = np.unique(days, return_inverse=True)
    for k, day in enumerate(unique.tolist()):
        a, b = _day_offsets_us(zone_name, day)
        members = inverse == k
        if a == b:
            out[members] = a
            continue
        zone = ZoneInfo(zone_name)  # an offset change inside this day: resolve hour by hour
        for i in np.flatnonzero(members).tolist():
            ts = _EPOCH + dt.timedelta(microseconds=int(hours_us[i]))
            offset = ts.astimezone(zone).utcoffset()
            assert offset is not None
            out[i] = int(offset / dt.timedelta(microseconds=1))
    return out


def _require_aware(ts: dt.datetime) -> None:
    if ts.tzinfo is None:
        raise InvalidInput("naive datetimes are rejected; give an offset", field="timestamp")


class _FactorFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[FactorRecord] = Field(default_factory=list)
    series: list[FactorSeries] = Field(default_factory=list)


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_factor_document(
    document: Mapping[str, Any], *, origin: str = "<data>"
) -> tuple[list[FactorRecord], list[FactorSeries]]:
    """Validate a parsed factor document (``records``/``series``); raise ``InvalidInput``."""
    try:
        parsed = _FactorFile.model_validate(document)
    except ValidationError as err:
        first = err.errors()[0]
        where = _location(first["loc"])
        raise InvalidInput(f"{origin}: {where}: {first['msg']}", field=where) from err
    return parsed.records, parsed.series


def load_factor_file(path: str | Path) -> tuple[list[FactorRecord], list[FactorSeries]]:
    """Read a YAML or JSON factor file (a user's measured NCV, provincial factors, series ...)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise NotFound(f"cannot read factor file {p}: {err.strerror}") from err
    try:
        document = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise InvalidInput(f"{p}: not valid YAML/JSON: {err}", field="file") from err
    if not isinstance(document, Mapping):
        raise InvalidInput(
            f"{p}: a factor file is a mapping with 'records' and/or 'series'", field="file"
        )
    return parse_factor_document(document, origin=str(p))


#: the factor files shipped with lingtan, in load order
SHIPPED_FILES: tuple[str, ...] = (
    "grid_electricity.yaml",
    "heat.yaml",
    "fuels.yaml",
    "standard_coal.yaml",
)


@functools.cache
def _shipped() -> tuple[tuple[FactorRecord, ...], tuple[FactorSeries, ...]]:
    records: list[FactorRecord] = []
    series: list[FactorSeries] = []
    package = resources.files("lingtan.carbon.factors")
    for name in SHIPPED_FILES:
        document = load_yaml(package.joinpath(name).read_text(encoding="utf-8"))
        r, s = parse_factor_document(document, origin=name)
        records.extend(r)
        series.extend(s)
    return tuple(records), tuple(series)


class FactorLibrary:
    """An append-only set of factor records and series with exact lookup.

    Lookup never interpolates or falls back: it returns the latest-appended record of exactly the
    slot asked for, or raises ``NotFound``. Choosing *which* slot to ask for (province, then grid
    region, then national; the data year) is the inventory's job.
    """

    def __init__(
        self, records: Iterable[FactorRecord] = (), series: Iterable[FactorSeries] = ()
    ) -> None:
        self._records: dict[str, FactorRecord] = {}
        self._order: list[str] = []
        self._series: dict[str, FactorSeries] = {}
        for r in records:
            self.append(r)
        for s in series:
            self.append_series(s)

    # -- building -------------------------------------------------------------------------
    def append(self, record: FactorRecord) -> FactorRecord:
        """Add a record; an id already present with different content is a ``Conflict``."""
        existing = self._records.get(record.id)
        if existing is not None:
            if existing == record:
                return existing
            raise Conflict(
                f"factor id {record.id!r} already exists with other content; records are never "
                "edited — append a revision under a new id"
            )
        self._records[record.id] = record
        self._order.append(record.id)
        return record

    def append_series(self, series: FactorSeries) -> FactorSeries:
        """Add a series; an id already present with different content is a ``Conflict``."""
        existing = self._series.get(series.id)
        if existing is not None:
            if existing == series:
                return existing
            raise Conflict(f"factor series id {series.id!r} already exists with other content")
        self._series[series.id] = series
        return series

    def extend_from_file(self, path: str | Path) -> list[str]:
        """Append every record and series of a user file; return the ids added."""
        records, series = load_factor_file(path)
        for r in records:
            self.append(r)
        for s in series:
            self.append_series(s)
        return [r.id for r in records] + [s.id for s in series]

    # -- reading --------------------------------------------------------------------------
    def __iter__(self) -> Iterator[FactorRecord]:
        return (self._records[i] for i in self._order)

    def __len__(self) -> int:
        return len(self._order)

    def get(self, record_id: str) -> FactorRecord:
        """The record with this id, superseded or not."""
        try:
            return self._records[record_id]
        except KeyError:
            raise NotFound(f"no factor record {record_id!r}") from None

    def get_series(self, series_id: str) -> FactorSeries:
        """The series with this id, superseded or not."""
        try:
            return self._series[series_id]
        except KeyError:
            raise NotFound(f"no factor series {series_id!r}") from None

    def history(
        self,
        kind: str,
        key: str,
        *,
        scope: str | None = None,
        region: str | None = None,
        basis: str | None = None,
        year: int | None = None,
        edition: str | None = None,
    ) -> list[FactorRecord]:
        """All records matching the filters, oldest first (superseded ones included)."""
        return [
            r
            for r in self
            if r.kind == kind
            and r.key == key
            and (scope is None or r.scope == scope)
            and (region is None or r.region == region)
            and (basis is None or r.basis == basis)
            and (year is None or r.year == year)
            and (edition is None or r.edition == edition)
        ]

    def lookup(
        self,
        kind: str,
        key: str,
        *,
        scope: str,
        region: str,
        basis: str,
        year: int,
        edition: str | None = None,
    ) -> FactorRecord:
        """The current record of exactly this slot (the last one appended); ``NotFound`` otherwise.

        With ``edition=None`` any edition matches, the latest appended winning.
        """
        found = self.history(
            kind, key, scope=scope, region=region, basis=basis, year=year, edition=edition
        )
        if not found:
            raise NotFound(
                f"no {kind} factor for {key!r} (scope={scope}, region={region}, basis={basis}, "
                f"year={year}{'' if edition is None else f', edition={edition}'})"
            )
        return found[-1]

    def years(self, kind: str, key: str, *, scope: str, region: str, basis: str) -> list[int]:
        """Data years for which a record of this slot exists, ascending."""
        return sorted(
            {r.year for r in self.history(kind, key, scope=scope, region=region, basis=basis)}
        )

    def series(self, kind: str, *, scope: str, region: str, basis: str, year: int) -> FactorSeries:
        """The current series of exactly this slot (the last one appended)."""
        found = [
            s
            for s in self._series.values()
            if s.kind == kind
            and s.scope == scope
            and s.region == region
            and s.basis == basis
            and s.year == year
        ]
        if not found:
            raise NotFound(
                f"no {kind} series (scope={scope}, region={region}, basis={basis}, year={year})"
            )
        return found[-1]

    def copy(self) -> FactorLibrary:
        """A new library with the same records (appending to it leaves this one unchanged)."""
        return FactorLibrary(list(self), list(self._series.values()))


def default_library() -> FactorLibrary:
    """A fresh library holding the shipped records (each call returns an independent copy)."""
    records, series = _shipped()
    return FactorLibrary(records, series)


@functools.cache
def _regions() -> dict[str, dict[str, Any]]:
    package = resources.files("lingtan.carbon.factors")
    document = yaml.safe_load(package.joinpath("regions.yaml").read_text(encoding="utf-8"))
    provinces: dict[str, dict[str, Any]] = document["provinces"]
    return provinces


def provinces() -> tuple[str, ...]:
    """Short Chinese names of the provincial-level divisions (江苏, 内蒙古 ...)."""
    return tuple(_regions())


_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def normalise_province(name: str) -> str:
    """Return the short name of a province (``江苏省`` → ``江苏``); ``InvalidInput`` if unknown."""
    text = name.strip()
    if text in _regions():
        return text
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and text[: -len(suffix)] in _regions():
            return text[: -len(suffix)]
    raise InvalidInput(
        f"unknown province {name!r}; use the Chinese short name, e.g. 江苏, 内蒙古",
        field="province",
    )


def grid_region_of(province: str) -> str | None:
    """The MEE grid region of a province, or ``None`` where it has none (内蒙古 is split)."""
    region: str | None = _regions()[normalise_province(province)]["grid_region"]
    return region
