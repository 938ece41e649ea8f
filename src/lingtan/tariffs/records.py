"""Tariff records (分时电价): the data files under ``tariffs/data/`` and their validation (pure).

A record is one version of one tariff of a province, user class and voltage level: its
seasonal calendar (which months follow which day schedule), the periods of each day schedule in
local time at minute resolution, and what the notice fixes about prices — either energy prices
per period (``pricing: prices``, 元/kWh), or ratios to the 平段 price (``pricing: ratios``; since
2023 most provinces publish the energy price monthly as the 代理购电 price list and the notice
fixes only the ratios), or nothing verified (``pricing: unpriced``). 基本电费 is per kVA·month of
contract capacity (``capacity_charge``) or per kW·month of maximum demand (``demand_charge``),
read from the provincial 输配电价 table (``charges_source``); ``fixed_components`` are the parts
of the energy price that table fixes and the time-of-use notice keeps out of the float.

Records are appended, never edited: a new version is a new file (or a new document in a file)
with the same id and a higher version, and loads without code changes.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from lingtan.errors import InvalidInput, NotFound

#: the period names the notices use (尖峰, 高峰, 平段, 低谷, 深谷), in price order
PERIODS: Final[tuple[str, ...]] = ("尖峰", "高峰", "平段", "低谷", "深谷")
PERIOD_EN: Final[dict[str, str]] = {
    "尖峰": "critical peak",
    "高峰": "peak",
    "平段": "flat",
    "低谷": "valley",
    "深谷": "deep valley",
}
DAY_MINUTES: Final = 24 * 60
Confidence = Literal["H", "M", "L"]
Pricing = Literal["prices", "ratios", "unpriced"]


def _minutes(text: str, field: str) -> int:
    """Minutes after midnight of ``HH:MM`` (``24:00`` allowed as the end of a day)."""
    try:
        hh, mm = text.split(":")
        h, m = int(hh), int(mm)
    except ValueError as err:
        raise ValueError(f"{field} must be HH:MM, not {text!r}") from err
    if not (0 <= m < 60 and 0 <= h <= 24) or (h == 24 and m != 0):
        raise ValueError(f"{field} {text!r} is not a time of day between 00:00 and 24:00")
    return h * 60 + m


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HourRange(_Strict):
    """One period of a day schedule: [from, to) in local time."""

    period: str
    start: int = Field(alias="from", description="minutes after local midnight")
    end: int = Field(alias="to", description="minutes after local midnight, exclusive")

    @field_validator("period")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in PERIODS:
            raise ValueError(f"unknown period {value!r}; the periods are {', '.join(PERIODS)}")
        return value

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time(cls, value: Any, info: Any) -> int:
        name = "from" if info.field_name == "start" else "to"
        if isinstance(value, str):
            return _minutes(value, name)
        raise ValueError(f"{name} must be an HH:MM string")

    @field_serializer("start", "end")
    def _hhmm(self, value: int) -> str:
        return _hhmm(value)

    @model_validator(mode="after")
    def _ordered(self) -> HourRange:
        if self.end <= self.start:
            raise ValueError(f"{self.period}: 'to' must be after 'from' (a range ends by 24:00)")
        return self


class DaySchedule(_Strict):
    """The periods of the days of some months (a season of the calendar)."""

    name: str
    months: list[int] = Field(min_length=1)
    hours: list[HourRange] = Field(min_length=1)

    @field_validator("months")
    @classmethod
    def _months(cls, value: list[int]) -> list[int]:
        bad = [m for m in value if not 1 <= m <= 12]
        if bad:
            raise ValueError(f"months must be 1-12, not {bad}")
        if len(set(value)) != len(value):
            raise ValueError("a month is listed twice")
        return value

    @model_validator(mode="after")
    def _covers_day(self) -> DaySchedule:
        # the ranges must tile the day: sorted, each starting where the previous one ended
        ranges = sorted(self.hours, key=lambda r: r.start)
        at = 0
        for r in ranges:
            if r.start < at:
                raise ValueError(f"schedule {self.name}: periods overlap at {_hhmm(r.start)}")
            if r.start > at:
                raise ValueError(
                    f"schedule {self.name}: {_hhmm(at)}-{_hhmm(r.start)} has no period"
                )
            at = r.end
        if at != DAY_MINUTES:
            raise ValueError(f"schedule {self.name}: {_hhmm(at)}-24:00 has no period")
        return self


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class MonthPrice(_Strict):
    """The 平段 energy price of one month (a 代理购电 or market price list entry)."""

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    price: float = Field(gt=0, description="元/kWh")
    #: the part of the energy price the notice keeps out of the time-of-use float (输配电价,
    #: 系统运行费, 政府性基金及附加 …, e.g. 苏发改价格发〔2025〕426号 floats the user's purchase
    #: price only): added to every period unchanged [元/kWh]
    fixed: float = Field(default=0.0, ge=0, description="元/kWh, not floated")
    source: str


class FixedComponent(_Strict):
    """A part of the energy price the notice keeps out of the time-of-use float and that is the
    same every month (the 输配电价 of the voltage class …): a month's ``fixed`` includes it."""

    name: str = Field(min_length=1)
    price: float = Field(gt=0, description="元/kWh")
    source: str = Field(min_length=1)


class ChargesSource(_Strict):
    """Where a record's 基本电费 (``capacity_charge``, ``demand_charge``) and its fixed components
    come from: the provincial 输配电价 table (not the time-of-use notice of ``source``)."""

    notice: str
    title: str
    issuer: str
    #: the table and row read (province, user class, two-part, voltage class)
    table: str
    url: str | None
    confidence: Confidence


class Source(_Strict):
    """Where the record's values come from."""

    notice: str | None
    title: str
    issuer: str
    date: str | None
    url: str | None

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value


class Tariff(_Strict):
    """One version of one time-of-use tariff."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    version: int = Field(ge=1)
    province: str
    user_class: str
    voltage: str
    valid_from: dt.date
    valid_to: dt.date | None
    pricing: Pricing
    synthetic: bool = False
    schedules: list[DaySchedule] = Field(min_length=1)
    prices: dict[str, float] = Field(default_factory=dict, description="元/kWh per period")
    ratios: dict[str, float] = Field(default_factory=dict, description="to the 平段 price")
    base_prices: list[MonthPrice] = Field(default_factory=list)
    capacity_charge: float | None = Field(default=None, gt=0, description="元/(kVA·月)")
    demand_charge: float | None = Field(default=None, gt=0, description="元/(kW·月)")
    #: the parts of every month's ``fixed`` the notices set (a month's entry gives the whole
    #: non-floating part, these included: 系统运行费 and 上网环节线损 change monthly)
    fixed_components: list[FixedComponent] = Field(default_factory=list)
    charges_source: ChargesSource | None = None
    source: Source
    confidence: Confidence
    unverified: list[str] = Field(default_factory=list)
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Tariff:
        seen: dict[int, str] = {}
        for s in self.schedules:
            for m in s.months:
                if m in seen:
                    raise ValueError(f"schedules: month {m} is in {seen[m]} and {s.name}")
                seen[m] = s.name
        missing = sorted(set(range(1, 13)) - set(seen))
        if missing:
            raise ValueError(f"schedules: months {missing} have no schedule")
        used = {r.period for s in self.schedules for r in s.hours}
        for name, table in (("prices", self.prices), ("ratios", self.ratios)):
            unknown = sorted(set(table) - set(PERIODS))
            if unknown:
                raise ValueError(f"{name}: unknown periods {unknown}")
            if any(v <= 0 for v in table.values()):
                raise ValueError(f"{name} must be positive")
        if self.pricing == "prices" and not used <= set(self.prices):
            raise ValueError(f"prices: no price for {sorted(used - set(self.prices))}")
        if self.pricing == "ratios":
            if not used <= set(self.ratios):
                raise ValueError(f"ratios: no ratio for {sorted(used - set(self.ratios))}")
            if self.ratios.get("平段") != 1.0:
                raise ValueError("ratios: 平段 must be 1.0 (the ratios are to the 平段 price)")
        if self.pricing != "prices" and self.prices:
            raise ValueError(f"prices given but pricing is {self.pricing}")
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        charged = self.capacity_charge is not None or self.demand_charge is not None
        if charged and not self.synthetic and self.charges_source is None:
            raise ValueError(
                "charges_source: a record with 基本电费 names the 输配电价 table it is read from"
            )
        self._check_fixed()
        return self

    def _check_fixed(self) -> None:
        """Fixed components only float-free parts of a ``ratios`` price; every month's ``fixed``
        holds at least their sum."""
        if not self.fixed_components:
            return
        if self.pricing != "ratios":
            raise ValueError("fixed_components: only a ratios record has a fixed part")
        names = [c.name for c in self.fixed_components]
        if len(set(names)) != len(names):
            raise ValueError("fixed_components: a component is listed twice")
        known = self.fixed_floor
        for b in self.base_prices:
            if b.fixed < known - 1e-9:
                raise ValueError(
                    f"base_prices {b.month}: fixed {b.fixed} is below the fixed components "
                    f"({', '.join(names)}: {known:g} 元/kWh)"
                )

    @property
    def fixed_floor(self) -> float:
        """The least ``fixed`` part of a month's base price [元/kWh]: the sum of the fixed
        components (0 without any)."""
        return sum(c.price for c in self.fixed_components)

    @property
    def key(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    def schedule(self, month: int) -> DaySchedule:
        """The day schedule of a month (1-12)."""
        for s in self.schedules:
            if month in s.months:
                return s
        raise InvalidInput(f"month {month} must be 1-12", field="month")  # pragma: no cover


def parse_tariffs(text: str, origin: str) -> list[Tariff]:
    """The records of one YAML text (one or several documents); ``InvalidInput`` naming the
    origin and the field otherwise."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as err:
        raise InvalidInput(f"{origin}: not YAML: {err}", field="tariff") from err
    out = []
    for doc in docs:
        try:
            out.append(Tariff.model_validate(doc))
        except ValidationError as err:
            first = err.errors()[0]
            loc = ".".join(str(x) for x in first["loc"]) or "record"
            raise InvalidInput(f"{origin}: {loc}: {first['msg']}", field=loc) from err
    return out


def _check_versions(records: list[Tariff]) -> None:
    seen: set[str] = set()
    for r in records:
        if r.key in seen:
            raise InvalidInput(f"tariff {r.key} is defined twice", field="version")
        seen.add(r.key)


@lru_cache(maxsize=1)
def shipped() -> tuple[Tariff, ...]:
    """Every record shipped in ``tariffs/data/``, by id then version."""
    records: list[Tariff] = []
    for f in sorted(resources.files("lingtan.tariffs").joinpath("data").iterdir(), key=str):
        if f.name.endswith((".yaml", ".yml")):
            records.extend(parse_tariffs(f.read_text("utf-8"), f.name))
    _check_versions(records)
    return tuple(sorted(records, key=lambda r: (r.id, r.version)))


def load_file(path: Path) -> list[Tariff]:
    """Records of a YAML file outside the package (a newer version, a park's own tariff)."""
    return parse_tariffs(path.read_text("utf-8"), path.name)


def latest(records: tuple[Tariff, ...] | list[Tariff]) -> list[Tariff]:
    """The newest version of each id."""
    out: dict[str, Tariff] = {}
    for r in records:
        if r.id not in out or r.version > out[r.id].version:
            out[r.id] = r
    return sorted(out.values(), key=lambda r: r.id)


def in_force(tariff_id: str, version: int | None, month: str) -> Tariff | None:
    """The version of a shipped record in force in the local month ``month`` (``YYYY-MM``):
    ``valid_from`` ≤ the month's first day < ``valid_to`` (open when null), the newest such
    version (only ``version`` when given); None when the month is outside every version's
    validity. ``NotFound`` for an unknown id or version."""
    find(tariff_id, version)
    day = dt.date(int(month[:4]), int(month[5:7]), 1)
    valid = [
        r
        for r in shipped()
        if r.id == tariff_id
        and (version is None or r.version == version)
        and r.valid_from <= day
        and (r.valid_to is None or day < r.valid_to)
    ]
    return max(valid, key=lambda r: r.version) if valid else None


def find(tariff_id: str, version: int | None = None) -> Tariff:
    """A shipped record by id (newest version unless ``version``); ``NotFound`` otherwise."""
    candidates = [r for r in shipped() if r.id == tariff_id]
    if version is not None:
        candidates = [r for r in candidates if r.version == version]
    if not candidates:
        raise NotFound(
            f"tariff {tariff_id}" + (f" version {version}" if version else "") + " not found"
        )
    return max(candidates, key=lambda r: r.version)
