"""The activity file: lingtan's public interchange format for offline/statistical activity data.

One file describes one boundary (park, enterprise or building) for one year: fuels by use,
energy conversion inputs and outputs, electricity received, generated on site and sent by kind,
heat received and sent by kind, industrial process output, offsets reported beside the result,
and — for buildings — floor area and energy by system. The format is documented in ``docs/activity-file.md``. Parsing is strict: an unknown field,
an unknown fuel, a negative amount, a unit that does not fit the fuel, or ``green_certified``
electricity larger than ``grid`` is an ``InvalidInput`` naming the field (``fuels[2].unit``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from lingtan import units
from lingtan.carbon.factors.loader import normalise_province
from lingtan.errors import InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class FuelSpec:
    """What the format knows about a fuel id."""

    name_zh: str
    name_en: str
    #: physical dimension it is metered in (``mass`` or ``volume``); energy units always fit
    dimension: Literal["mass", "volume"]
    #: key of its GB/T 2589 standard-coal coefficient record
    tce_key: str
    #: Annex 4 group (煤品 / 油品 / 天然气)
    group: Literal["coal", "oil", "gas"]
    #: kinds GB/T 2589 gives separate reference coefficients for (record key ``tce_key.kind``)
    kinds: tuple[str, ...] = ()


#: Fuel ids of the format (snake_case English), with their Chinese names.
FUELS: Final[dict[str, FuelSpec]] = {
    "natural_gas": FuelSpec(
        "天然气", "natural gas", "volume", "natural_gas", "gas", ("oil_field", "gas_field")
    ),
    "lng": FuelSpec("液化天然气", "LNG", "mass", "lng", "gas"),
    "diesel": FuelSpec("柴油", "diesel", "mass", "diesel", "oil"),
    "gasoline": FuelSpec("汽油", "gasoline", "mass", "gasoline", "oil"),
    "kerosene": FuelSpec("煤油", "kerosene", "mass", "kerosene", "oil"),
    "fuel_oil": FuelSpec("燃料油", "fuel oil", "mass", "fuel_oil", "oil"),
    "lpg": FuelSpec("液化石油气", "LPG", "mass", "lpg", "oil"),
    "crude_oil": FuelSpec("原油", "crude oil", "mass", "crude_oil", "oil"),
    "naphtha": FuelSpec("石脑油", "naphtha", "mass", "naphtha", "oil"),
    "petroleum_coke": FuelSpec("石油焦", "petroleum coke", "mass", "petroleum_coke", "oil"),
    "refinery_gas": FuelSpec("炼厂干气", "refinery dry gas", "mass", "refinery_gas", "oil"),
    "coke": FuelSpec("焦炭", "coke", "mass", "coke", "coal"),
    "anthracite": FuelSpec("无烟煤", "anthracite", "mass", "raw_coal", "coal"),
    "coking_bituminous": FuelSpec("炼焦烟煤", "coking bituminous coal", "mass", "raw_coal", "coal"),
    "bituminous_coal": FuelSpec("一般烟煤", "bituminous coal", "mass", "raw_coal", "coal"),
    "lignite": FuelSpec("褐煤", "lignite", "mass", "raw_coal", "coal"),
    "washed_coal": FuelSpec("洗精煤", "washed coal", "mass", "washed_coal", "coal"),
    "coke_oven_gas": FuelSpec("焦炉煤气", "coke oven gas", "volume", "coke_oven_gas", "coal"),
    "blast_furnace_gas": FuelSpec(
        "高炉煤气", "blast furnace gas", "volume", "blast_furnace_gas", "coal"
    ),
    "converter_gas": FuelSpec("转炉煤气", "converter gas", "volume", "converter_gas", "coal"),
}

#: Kinds of a fuel that GB/T 2589-2020 附录A converts with different reference coefficients.
KIND_NAMES: Final[dict[str, tuple[str, str]]] = {
    "oil_field": ("油田天然气", "oil-field natural gas"),
    "gas_field": ("气田天然气", "gas-field natural gas"),
}
#: The kind a natural gas amount without one is taken to be (AccountingOptions.natural_gas_kind):
#: 油田天然气, whose annex heat value (9 310 kcal/m³ = 38 931 kJ/m³) is the guideline default NCV
#: of natural gas (389.31 GJ/10⁴ m³), so that energy and emissions rest on one heat content.
NaturalGasKind = Literal["oil_field", "gas_field"]
DEFAULT_NATURAL_GAS_KIND: Final[NaturalGasKind] = "oil_field"


def default_kind(fuel: str, natural_gas_kind: str = DEFAULT_NATURAL_GAS_KIND) -> str | None:
    """The kind an amount of ``fuel`` without a ``kind`` is taken to be (None: the fuel has none)."""
    spec = FUELS[fuel]
    if not spec.kinds:
        return None
    return natural_gas_kind if natural_gas_kind in spec.kinds else spec.kinds[0]


#: Units the format accepts for fuels (``m3`` is an alias of ``Nm3``).
FUEL_UNITS: Final[frozenset[str]] = frozenset({"t", "Nm3", "m3", "kWh", "GJ"})

FuelUse = Literal["terminal", "power", "heat", "conversion", "feedstock", "bunker"]
USE_NAMES_ZH: Final[dict[str, str]] = {
    "terminal": "终端消费",
    "power": "火力发电",
    "heat": "供热",
    "conversion": "加工转换",
    "feedstock": "用作原料",
    "bunker": "国际航空航海",
}

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FuelAmount(_Strict):
    fuel: str
    amount: NonNegative
    unit: str
    #: measured net calorific value [GJ per unit of ``unit``]; only with t, Nm3, m3
    ncv: Positive | None = None
    #: whether ``ncv`` is measured (default): a measured NCV also converts the fuel to tce
    #: (GB/T 2589 折算为标准煤的要求); ``false`` keeps it for the emissions only (a supplier's
    #: typical value …) and the fuel converts at the GB/T 2589 reference coefficient
    ncv_measured: bool | None = None
    #: measured carbon content per heat [tC/GJ]
    carbon_content: Positive | None = None
    #: kind of the fuel where GB/T 2589 tells kinds apart (natural gas: ``oil_field`` 油田天然气,
    #: ``gas_field`` 气田天然气); default: the accounting option ``natural_gas_kind``
    kind: str | None = None

    @field_validator("fuel")
    @classmethod
    def _known_fuel(cls, v: str) -> str:
        if v not in FUELS:
            raise ValueError(f"unknown fuel {v!r}; known fuels: {', '.join(FUELS)}")
        return v

    @model_validator(mode="after")
    def _unit_fits(self) -> FuelAmount:
        spec = FUELS[self.fuel]
        if self.kind is not None and self.kind not in spec.kinds:
            allowed = ", ".join(spec.kinds) if spec.kinds else f"none for {self.fuel}"
            raise ValueError(f"@kind:kind {self.kind!r} is not a kind of {self.fuel} ({allowed})")
        if self.ncv_measured is not None and self.ncv is None:
            raise ValueError("@ncv_measured:ncv_measured says whether ncv is measured; give ncv")
        if self.unit not in FUEL_UNITS:
            raise ValueError(f"@unit:unit {self.unit!r} is not one of {sorted(FUEL_UNITS)}")
        dim = units.dimension(self.unit)
        if dim == "energy":
            if self.ncv is not None:
                raise ValueError("@ncv:ncv applies only to amounts in t, Nm3 or m3, not in GJ/kWh")
        elif dim != spec.dimension:
            fits = "t" if spec.dimension == "mass" else "Nm3 (or m3)"
            raise ValueError(
                f"@unit:unit {self.unit!r} does not fit {self.fuel} (metered by {spec.dimension}); "
                f"use {fits}, GJ or kWh"
            )
        return self

    @property
    def physical(self) -> bool:
        """True when ``amount`` is a physical quantity (t, Nm3), not heat."""
        return units.dimension(self.unit) != "energy"

    @property
    def measured_ncv(self) -> float | None:
        """The NCV that converts this amount to tce: ``ncv`` unless marked not measured."""
        return None if self.ncv is None or self.ncv_measured is False else self.ncv

    def heat_gj(self, ncv: float) -> float:
        """Heat content [GJ], given the NCV [GJ per ``ncv_unit`` amount] already converted."""
        return self.amount * ncv


class FuelItem(FuelAmount):
    """One fuel consumption entry of ``fuels``."""

    use: FuelUse
    #: measured oxidation rate (0, 1]
    oxidation: Annotated[float, Field(gt=0, le=1)] | None = None


class ConversionItem(FuelAmount):
    """One input or output of energy conversion (oxidation is 100 % by the method)."""

    use: Literal["conversion"] = "conversion"


class Conversion(_Strict):
    """Energy processing and conversion: inputs and carbon-bearing outputs."""

    inputs: list[ConversionItem] = Field(default_factory=list)
    outputs: list[ConversionItem] = Field(default_factory=list)


class ElectricityIn(_Strict):
    """Electricity received, by kind."""

    kind: Literal["grid", "direct_non_fossil", "green_certified"]
    kwh: NonNegative


class ElectricityOut(_Strict):
    """Electricity sent out, by kind."""

    kind: Literal["fossil", "non_fossil"]
    kwh: NonNegative


class ElectricityGenerated(_Strict):
    """On-site renewable generation of the boundary (behind its grid meters), by source."""

    kind: Literal["pv", "wind", "other_renewable"]
    kwh: NonNegative


class Electricity(_Strict):
    """Electricity received, generated on site and sent.

    ``green_certified`` is the part of ``grid`` backed by 绿证/绿电. ``generated`` is renewable
    electricity produced inside the boundary (rooftop PV …): it is not received, so it has no
    emission factor, and it counts in 综合能源消费量 by the ``onsite_renewable`` option.
    """

    received: list[ElectricityIn] = Field(default_factory=list)
    generated: list[ElectricityGenerated] = Field(default_factory=list)
    sent: list[ElectricityOut] = Field(default_factory=list)

    def received_kwh(self, kind: str) -> float:
        """Total received of ``kind`` [kWh]."""
        return float(sum(r.kwh for r in self.received if r.kind == kind))

    def sent_kwh(self, kind: str) -> float:
        """Total sent of ``kind`` [kWh]."""
        return float(sum(s.kwh for s in self.sent if s.kind == kind))

    def generated_kwh(self) -> float:
        """Total generated on site [kWh]."""
        return float(sum(g.kwh for g in self.generated))

    @model_validator(mode="after")
    def _green_within_grid(self) -> Electricity:
        grid, green = self.received_kwh("grid"), self.received_kwh("green_certified")
        if green > grid:
            raise ValueError(
                f"@received:green_certified ({green} kWh) cannot exceed grid ({grid} kWh): it is the part "
                "of grid electricity covered by 绿证 or green-power trading"
            )
        return self


class HeatFlow(_Strict):
    """Heat received or sent, by kind; ``factor`` is a measured factor [tCO2/GJ]."""

    kind: Literal["fossil", "non_fossil"]
    gj: NonNegative
    factor: NonNegative | None = None

    @model_validator(mode="after")
    def _non_fossil_is_zero(self) -> HeatFlow:
        if self.kind == "non_fossil" and self.factor not in (None, 0):
            raise ValueError("@factor:non-fossil heat has factor 0 (附件4 二（二）3②); omit factor")
        return self


class Heat(_Strict):
    """Heat received and sent."""

    received: list[HeatFlow] = Field(default_factory=list)
    sent: list[HeatFlow] = Field(default_factory=list)


class ProcessItem(_Strict):
    """Industrial process output with its factor (inline, or a factor record id)."""

    product: str = Field(min_length=1)
    amount: NonNegative
    unit: str = Field(min_length=1)
    factor: NonNegative | None = None
    factor_id: str | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> ProcessItem:
        if (self.factor is None) == (self.factor_id is None):
            raise ValueError("@factor:give exactly one of factor [tCO2 per unit] or factor_id")
        return self


class Offsets(_Strict):
    """Offsets reported beside the result, never deducted."""

    ccus_tco2: NonNegative = 0.0
    ccer_tco2: NonNegative = 0.0


class BuildingFuel(FuelAmount):
    """A fuel burned by a building system."""

    oxidation: Annotated[float, Field(gt=0, le=1)] | None = None


class BuildingSystem(_Strict):
    """Annual energy of one building system (GB/T 51366 operation stage)."""

    system: Literal["hvac", "domestic_hot_water", "lighting", "elevator", "other"]
    electricity_kwh: NonNegative = 0.0
    #: on-site renewable electricity supplied to this system; ≤ ``electricity_kwh``
    renewable_kwh: NonNegative = 0.0
    heat_gj: NonNegative = 0.0
    fuels: list[BuildingFuel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _renewable_within_use(self) -> BuildingSystem:
        if self.renewable_kwh > self.electricity_kwh:
            raise ValueError(
                f"@renewable_kwh:renewable_kwh ({self.renewable_kwh}) cannot exceed electricity_kwh "
                f"({self.electricity_kwh})"
            )
        return self


class Building(_Strict):
    """Building data for the GB/T 51366 operation-stage basis."""

    floor_area_m2: Positive
    design_life_years: Positive | None = None
    #: annual carbon sink of the site's green space [tCO2/a]
    carbon_sink_tco2: NonNegative = 0.0
    systems: list[BuildingSystem] = Field(min_length=1)


class Activity(_Strict):
    """One activity file: a boundary, a year and its activity data."""

    boundary: Literal["park", "enterprise", "building"]
    name: str = Field(min_length=1)
    year: int = Field(ge=1990, le=2100)
    province: str
    fuels: list[FuelItem] = Field(default_factory=list)
    conversion: Conversion = Field(default_factory=Conversion)
    electricity: Electricity = Field(default_factory=Electricity)
    heat: Heat = Field(default_factory=Heat)
    process: list[ProcessItem] = Field(default_factory=list)
    offsets: Offsets = Field(default_factory=Offsets)
    building: Building | None = None

    @field_validator("province")
    @classmethod
    def _province(cls, v: str) -> str:
        try:
            return normalise_province(v)
        except InvalidInput as err:
            raise ValueError(str(err)) from err

    def scaled(self, k: float) -> Activity:
        """This activity with every amount multiplied by ``k`` ≥ 0 (offsets and areas unchanged)."""
        if not k >= 0:
            raise InvalidInput("scale factor must be ≥ 0", field="k")
        data = self.model_dump()
        for item in data["fuels"] + data["conversion"]["inputs"] + data["conversion"]["outputs"]:
            item["amount"] *= k
        for side in ("received", "generated", "sent"):
            for e in data["electricity"][side]:
                e["kwh"] *= k
        for side in ("received", "sent"):
            for h in data["heat"][side]:
                h["gj"] *= k
        for p in data["process"]:
            p["amount"] *= k
        if data["building"] is not None:
            data["building"]["carbon_sink_tco2"] *= k
            for s in data["building"]["systems"]:
                for key in ("electricity_kwh", "renewable_kwh", "heat_gj"):
                    s[key] *= k
                for f in s["fuels"]:
                    f["amount"] *= k
        return Activity.model_validate(data, strict=False)


def _field_path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith(("function-", "tagged-union", "literal[", "str", "float", "int")):
            continue
        else:
            text += f".{part}" if text else part
    return text or "activity"


def parse_activity(document: Mapping[str, Any] | Any) -> Activity:
    """Validate a parsed activity document; ``InvalidInput`` naming the first bad field."""
    if not isinstance(document, Mapping):
        raise InvalidInput("an activity file is a mapping (YAML or JSON object)", field="activity")
    try:
        return Activity.model_validate(dict(document))
    except ValidationError as err:
        first = err.errors()[0]
        where = _field_path(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if message.startswith("@"):
            name, _, message = message[1:].partition(":")
            where = f"{where}.{name}" if where != "activity" else name
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        raise InvalidInput(f"{where}: {message}", field=where) from err


def load_activity(path: str | Path) -> Activity:
    """Read and validate an activity file (``.yaml``/``.yml`` or ``.json``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise NotFound(f"cannot read activity file {p}: {err.strerror}") from err
    try:
        document = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise InvalidInput(f"{p}: not valid YAML/JSON: {err}", field="file") from err
    return parse_activity(document)
