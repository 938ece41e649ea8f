"""The park model: what a park file declares and what the store keeps.

Metering points follow GB 17167 metering levels (1: entry/exit of the energy-using unit,
2: main sub-unit, 3: main equipment) and form a tree through ``parent``. A point's ``kind``
follows the recorder-statistics model: ``total_increasing`` (a cumulative register whose drops
are resets), ``total`` (a bidirectional register whose drops are valid), ``interval`` (each
reading is the consumption of the interval ending at its timestamp) and ``measurement``
(instantaneous values: kW, °C ...).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lingtan import units
from lingtan.alarms.rules import AlarmSection, check_references
from lingtan.environment.stations import STATION_TAG, EnvironmentSection, station_points
from lingtan.errors import InvalidInput
from lingtan.options.model import ParkOptions
from lingtan.registry.building_labels import ENERGY_LABEL, GREEN_BUILDING_STAR, label_problem
from lingtan.registry.formula import Formula, parse_formula
from lingtan.registry.industry import industry_problem
from lingtan.registry.uscc import uscc_problem
from lingtan.timeutil import DEFAULT_TIMEZONE, require_whole_hour_offset, to_us


class Carrier(StrEnum):
    """Energy carrier (能源品种) or flow a metering point measures."""

    ELECTRICITY_GRID_IMPORT = "electricity_grid_import"
    ELECTRICITY_EXPORT = "electricity_export"
    PV_GENERATION = "pv_generation"
    DIRECT_GREEN = "direct_green_electricity"
    STORAGE_CHARGE = "storage_charge"
    STORAGE_DISCHARGE = "storage_discharge"
    EV_CHARGING = "ev_charging"
    NATURAL_GAS = "natural_gas"
    DIESEL = "diesel"
    GASOLINE = "gasoline"
    COAL = "coal"
    STEAM = "steam"
    HEAT = "heat"
    COOLING = "cooling"
    WATER = "water"
    OTHER = "other"


#: dimensions (see :mod:`lingtan.units`) a point of each carrier may be metered in
CARRIER_DIMENSIONS: Final[dict[Carrier, frozenset[str]]] = {
    Carrier.ELECTRICITY_GRID_IMPORT: frozenset({"energy", "power"}),
    Carrier.ELECTRICITY_EXPORT: frozenset({"energy", "power"}),
    Carrier.PV_GENERATION: frozenset({"energy", "power"}),
    Carrier.DIRECT_GREEN: frozenset({"energy", "power"}),
    Carrier.STORAGE_CHARGE: frozenset({"energy", "power"}),
    Carrier.STORAGE_DISCHARGE: frozenset({"energy", "power"}),
    Carrier.EV_CHARGING: frozenset({"energy", "power"}),
    Carrier.NATURAL_GAS: frozenset({"volume", "volume_flow", "energy"}),
    Carrier.DIESEL: frozenset({"mass", "volume", "mass_flow"}),
    Carrier.GASOLINE: frozenset({"mass", "volume", "mass_flow"}),
    Carrier.COAL: frozenset({"mass", "mass_flow"}),
    Carrier.STEAM: frozenset({"mass", "energy", "mass_flow", "power", "pressure", "temperature"}),
    Carrier.HEAT: frozenset({"energy", "power", "temperature"}),
    Carrier.COOLING: frozenset({"energy", "power", "temperature"}),
    Carrier.WATER: frozenset({"volume", "volume_flow", "mass", "pressure"}),
    Carrier.OTHER: frozenset(units.CANONICAL),
}

CARRIER_NAMES_ZH: Final[dict[Carrier, str]] = {
    Carrier.ELECTRICITY_GRID_IMPORT: "电网购入电",
    Carrier.ELECTRICITY_EXPORT: "上网/送出电",
    Carrier.PV_GENERATION: "光伏发电",
    Carrier.DIRECT_GREEN: "绿电直连",
    Carrier.STORAGE_CHARGE: "储能充电",
    Carrier.STORAGE_DISCHARGE: "储能放电",
    Carrier.EV_CHARGING: "电动汽车充电",
    Carrier.NATURAL_GAS: "天然气",
    Carrier.DIESEL: "柴油",
    Carrier.GASOLINE: "汽油",
    Carrier.COAL: "煤炭",
    Carrier.STEAM: "蒸汽",
    Carrier.HEAT: "热水/热力",
    Carrier.COOLING: "冷量",
    Carrier.WATER: "水",
    Carrier.OTHER: "其他",
}


#: electricity flows; a sub-meter of an electricity meter may meter any of them (an EV charger
#: under a building's grid meter)
ELECTRICITY: Final = frozenset(
    {
        Carrier.ELECTRICITY_GRID_IMPORT,
        Carrier.ELECTRICITY_EXPORT,
        Carrier.PV_GENERATION,
        Carrier.DIRECT_GREEN,
        Carrier.STORAGE_CHARGE,
        Carrier.STORAGE_DISCHARGE,
        Carrier.EV_CHARGING,
    }
)


def carrier_family(carrier: Carrier) -> str:
    """``electricity`` for every electricity flow, else the carrier itself."""
    return "electricity" if carrier in ELECTRICITY else carrier.value


class PointKind(StrEnum):
    """How a point's readings relate to consumption (see module docstring)."""

    TOTAL_INCREASING = "total_increasing"
    TOTAL = "total"
    INTERVAL = "interval"
    MEASUREMENT = "measurement"


class MeteringLevel(IntEnum):
    """GB 17167 metering levels (能源计量器具配备级别)."""

    UNIT = 1  # 进出用能单位
    SUB_UNIT = 2  # 主要次级用能单位
    EQUIPMENT = 3  # 主要用能设备


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
Identifier = Annotated[str, Field(pattern=_ID.pattern, description="letters, digits, _ . : -")]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


class ParkInfo(_Strict):
    """The park itself."""

    id: Identifier
    name: str = Field(min_length=1)
    province: str = Field(min_length=2, description="Chinese province name, e.g. 江苏")
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            require_whole_hour_offset(value)
        except InvalidInput as err:
            raise ValueError(str(err)) from err
        return value


class Enterprise(_Strict):
    """An enterprise in the park (a tenant)."""

    id: Identifier
    name: str = Field(min_length=1)
    uscc: str | None = Field(default=None, description="统一社会信用代码 (GB 32100)")
    industry: str | None = Field(default=None, description="GB/T 4754-2017 code, e.g. C3971")

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        if value is not None and (problem := uscc_problem(value)):
            raise ValueError(f"统一社会信用代码 {value}: {problem}")
        return value

    @field_validator("industry")
    @classmethod
    def _industry(cls, value: str | None) -> str | None:
        if value is not None and (problem := industry_problem(value)):
            raise ValueError(f"GB/T 4754 code {value}: {problem}")
        return value


#: a label's certificate number (证书编号 / 标识编号) as printed
_Certificate = Annotated[str, Field(min_length=1, max_length=64)]


class Site(_Strict):
    """A site or building (floor area for per-m² indicators; energy-performance labels for the
    building counts of the indicator profiles, :mod:`lingtan.registry.building_labels`)."""

    id: Identifier
    name: str = Field(min_length=1)
    enterprise: str | None = None
    floor_area_m2: float | None = Field(default=None, gt=0)
    use: str | None = Field(default=None, description="office, factory, warehouse, data_centre …")
    #: GB/T 51350-2019 class: ultra_low_energy, near_zero_energy, zero_energy
    energy_label: str | None = None
    energy_label_certificate: _Certificate | None = None
    #: the day the label was granted; the building counts from that day
    energy_label_date: dt.date | None = None
    #: GB/T 50378-2019 grade: basic, 1, 2, 3 (基本级, 一星级, 二星级, 三星级)
    green_building_star: str | None = None
    green_building_certificate: _Certificate | None = None
    green_building_date: dt.date | None = None

    @field_validator("energy_label", "green_building_star")
    @classmethod
    def _label(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and (problem := label_problem(str(info.field_name), value)):
            raise ValueError(problem)
        return value

    @field_validator("energy_label_date", "green_building_date")
    @classmethod
    def _granted(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not dt.date(1990, 1, 1) <= value <= dt.date(2100, 12, 31):
            raise ValueError(f"{value.isoformat()} is not a date between 1990 and 2100")
        return value

    @model_validator(mode="after")
    def _label_details(self) -> Site:
        for label, details in (
            (ENERGY_LABEL, ("energy_label_certificate", "energy_label_date")),
            (GREEN_BUILDING_STAR, ("green_building_certificate", "green_building_date")),
        ):
            if getattr(self, label) is None:
                for name in details:
                    if getattr(self, name) is not None:
                        raise ValueError(f"{name} is given without {label}")
        return self


#: register values and multipliers of a replacement are finite numbers
_Value = Annotated[float, Field(allow_inf_nan=False)]
#: the earliest instant accepted for a replacement (as for readings)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: point kinds whose readings are registers, the only ones a meter replacement applies to
REGISTER_KINDS: Final = frozenset({"total_increasing", "total"})


class PointReplacement(_Strict):
    """A meter replacement (换表) of a register point, declared under the point.

    Readings stamped before ``at`` are the old meter's, readings at or after it the new
    meter's. Normalisation counts the old meter up to ``old_final`` and the new one from
    ``new_initial`` (docs/data-quality.md): the new register's starting value is never
    consumption.
    """

    at: dt.datetime = Field(description="the instant of the replacement, with its UTC offset")
    old_final: _Value = Field(description="the old register's final value (raw register unit)")
    new_initial: _Value = Field(description="the new register's initial value (raw unit)")
    #: the new meter's CT/PT ratio; omitted: the ratio in force before stays
    multiplier: _Value | None = Field(default=None, gt=0)
    note: str | None = Field(default=None, max_length=500)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"{value.isoformat()} has no UTC offset (naive); write e.g. +08:00")
        if value < EARLIEST:
            raise ValueError(f"{value.isoformat()} is before 2000-01-01")
        return value


class MeterReplacement(PointReplacement):
    """A meter replacement in the park file's ``meter_replacements`` section (or recorded
    through the API, the command line or a CSV file)."""

    point: Identifier


def replacement_problems(
    *, kind: str, virtual: bool, old_final: float, new_initial: float
) -> list[str]:
    """What makes a replacement impossible on a point of ``kind``, from its values alone.

    A replacement swaps the meter of a physical register; a ``total_increasing`` register is
    never negative (the rule readings follow: reason ``negative_register``)."""
    if virtual:
        return ["a virtual point has no meter to replace"]
    if kind not in REGISTER_KINDS:
        return [
            f"{kind} points have no register; replacements apply to total_increasing and total points"
        ]
    problems = []
    if kind == "total_increasing":
        if new_initial < 0:
            problems.append(
                f"new_initial {new_initial:g} is below zero: a total_increasing register cannot be negative"
            )
        if old_final < 0:
            problems.append(
                f"old_final {old_final:g} is below zero: a total_increasing register cannot be negative"
            )
    for name, v in (("old_final", old_final), ("new_initial", new_initial)):
        if not math.isfinite(v):
            problems.append(f"{name} must be a finite number")
    return problems


class PvPlantSpec(_Strict):
    """The PV plant behind a ``pv_generation`` point, declared under the point (``pv_plant``):
    what the PV forecast models with pvlib (PVWatts, Dobos 2014, NREL/TP-6A20-62641)."""

    #: rated DC power at standard test conditions [kWp]
    kwp: float = Field(gt=0, le=10_000_000)
    #: module tilt from the horizontal [°]
    tilt_deg: float = Field(ge=0, le=90)
    #: degrees clockwise from north (180 = facing south), pvlib's convention
    azimuth_deg: float = Field(ge=0, lt=360)
    #: total system losses [%] (soiling, wiring, inverter …; PVWatts' default is 14.08)
    losses_pct: float = Field(ge=0, lt=100)
    #: temperature coefficient of power [%/°C] from the module datasheet (negative, e.g.
    #: -0.35); absent: no temperature derating (the cell at the 25 °C reference)
    temp_coeff_pct: float | None = Field(default=None, ge=-2, le=0)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    altitude_m: float = Field(default=0.0, ge=-500, le=9000)


#: a point's tag declaring it a production counter of a product (``output:<product code>``)
OUTPUT_TAG: Final = "output:"
#: dimensions a production counter may count in (product-output records of mass or volume)
OUTPUT_DIMENSIONS: Final = frozenset({"mass", "volume"})


class Point(_Strict):
    """A metering point (计量点), physical or virtual."""

    id: Identifier
    name: str = ""
    carrier: Carrier
    kind: PointKind
    unit: str
    enterprise: str | None = Field(default=None, description="owning enterprise; none = park")
    site: str | None = None
    level: MeteringLevel | None = None
    parent: str | None = None
    #: CT/PT ratio or pulse weight: consumption = register advance × multiplier
    multiplier: float = Field(default=1.0, gt=0)
    #: value at which the register wraps to zero (e.g. 1000000 for six kWh digits) [raw]
    register_max: float | None = Field(default=None, gt=0)
    #: rated maximum rate, in the point's unit per hour (kW for a kWh meter) — spike limit
    max_rate: float | None = Field(default=None, gt=0)
    #: nominal seconds between readings; a longer interval is a gap
    interval_s: int = Field(default=900, gt=0, le=86_400)
    #: sum/difference of other points, e.g. "E01-main + E02-main - PV-export"
    formula: str | None = None
    #: counted in boundary totals (default: physical points without a parent)
    boundary: bool | None = None
    #: documented meter replacements of this point (also possible in ``meter_replacements``)
    replacements: list[PointReplacement] = Field(default_factory=list)
    #: free labels that group points across carriers, sites and owners (``chiller``,
    #: ``critical-load``, ``line-3``): alarm rules can be scoped by them
    tags: list[Identifier] = Field(default_factory=list, max_length=20)
    #: the PV plant behind a ``pv_generation`` energy point (the PV forecast's parameters)
    pv_plant: PvPlantSpec | None = None
    #: on a direct-supply (绿电直连) line: the point metering the project's generation, the
    #: available generation of the direct-supply ratio ρ_gen (not counted in any total)
    generation_point: Identifier | None = None

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        try:
            return units.canonical_symbol(value)
        except InvalidInput as err:
            raise ValueError(str(err)) from err

    @model_validator(mode="after")
    def _consistent(self) -> Point:
        dim = units.dimension(self.unit)
        if dim not in CARRIER_DIMENSIONS[self.carrier]:
            raise ValueError(
                f"unit {self.unit} ({dim}) does not fit carrier {self.carrier.value}; "
                f"allowed: {', '.join(sorted(CARRIER_DIMENSIONS[self.carrier]))}"
            )
        if self.kind is not PointKind.MEASUREMENT and dim in {
            "power",
            "volume_flow",
            "mass_flow",
            "temperature",
            "pressure",
            "voltage",
            "current",
            "frequency",
            "ratio",
        }:
            raise ValueError(f"a {self.kind.value} point needs a quantity unit, not {self.unit}")
        if self.formula is not None:
            parse_formula(self.formula)  # raises ValueError with the position
            if self.kind is PointKind.MEASUREMENT:
                raise ValueError("a virtual point sums consumption; it cannot be a measurement")
        if self.pv_plant is not None and (
            self.carrier is not Carrier.PV_GENERATION or dim != "energy"
        ):
            raise ValueError(
                "pv_plant is declared on pv_generation points metered in energy (kWh) only"
            )
        if self.generation_point is not None and self.carrier is not Carrier.DIRECT_GREEN:
            raise ValueError("generation_point is declared on direct_green_electricity lines only")
        if self.register_max is not None and self.kind is not PointKind.TOTAL_INCREASING:
            raise ValueError("register_max applies to total_increasing registers only")
        self._check_output_tag(dim)
        return self

    def _check_output_tag(self, dim: str) -> None:
        """A tag ``output:<product>`` declares a production counter (产量计量点) of the
        product: its readings are the product's output, not energy, so it must be a quantity
        register of carrier ``other`` in a mass or volume unit (the product-output records are
        made from it, docs/indicators.md)."""
        outputs = [t for t in self.tags if t.startswith(OUTPUT_TAG)]
        if not outputs:
            return
        where = f"point {self.id}: tags {outputs[0]}"
        if len(outputs) > 1:
            raise ValueError(
                f"point {self.id}: tags {', '.join(outputs)}: one output:<product> tag per point"
            )
        if not outputs[0][len(OUTPUT_TAG) :]:
            raise ValueError(f"{where} names no product (output:<product code>)")
        if any(t.startswith("product:") for t in self.tags):
            raise ValueError(
                f"{where}: a production counter does not meter a product's energy "
                "(drop the product:<code> tag)"
            )
        if self.carrier is not Carrier.OTHER:
            raise ValueError(
                f"{where}: carrier must be other for a production counter, not {self.carrier.value}"
            )
        if dim not in OUTPUT_DIMENSIONS:
            raise ValueError(
                f"{where}: unit {self.unit} ({dim}) is not a production unit; "
                f"use a {' or '.join(sorted(OUTPUT_DIMENSIONS))} unit (t, kg, m3 …)"
            )
        if self.kind is PointKind.MEASUREMENT or self.formula is not None:
            raise ValueError(
                f"{where}: kind must be a physical quantity register (total_increasing or "
                "interval), not a measurement or a virtual point"
            )

    @property
    def is_virtual(self) -> bool:
        """True for a point computed from other points."""
        return self.formula is not None

    @property
    def parsed_formula(self) -> Formula | None:
        """The parsed formula of a virtual point."""
        return None if self.formula is None else parse_formula(self.formula)

    @property
    def is_boundary(self) -> bool:
        """Whether the point's consumption counts in its owner's totals by carrier."""
        if self.kind is PointKind.MEASUREMENT:
            return False
        if self.boundary is not None:
            return self.boundary
        return self.parent is None and not self.is_virtual


#: carriers a direct-supply project's generation meter may have
GENERATION_CARRIERS: Final = frozenset({Carrier.PV_GENERATION, Carrier.DIRECT_GREEN})


def _check_generation_point(line: Point, gen: Point | None) -> None:
    """The generation meter of a direct-supply line: an energy meter of the project's
    generation, of the line's owner or the park, counted in no total (its energy reaches the
    user through the line, which is counted)."""
    where = f"point {line.id}: generation_point {line.generation_point!r}"
    if gen is None:
        raise ValueError(f"{where} is not a point of the file")
    if gen.id == line.id:
        raise ValueError(f"{where} is the line itself, not the project's generation meter")
    if gen.carrier not in GENERATION_CARRIERS or units.dimension(gen.unit) != "energy":
        raise ValueError(
            f"{where} must meter generation in energy (pv_generation or "
            f"direct_green_electricity, kWh), not {gen.carrier.value} in {gen.unit}"
        )
    if gen.is_boundary:
        raise ValueError(
            f"{where} counts in boundary totals: declare it with boundary: false (the project's "
            "generation is not the user's consumption or on-site generation)"
        )
    if gen.enterprise is not None and gen.enterprise != line.enterprise:
        raise ValueError(
            f"{where} belongs to enterprise {gen.enterprise}, not {line.enterprise or 'the park'}"
        )


class ParkModel(_Strict):
    """A whole park file."""

    park: ParkInfo
    enterprises: list[Enterprise] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    points: list[Point] = Field(default_factory=list)
    #: documented meter replacements (换表), also possible under each point
    meter_replacements: list[MeterReplacement] = Field(default_factory=list)

    def all_replacements(self) -> list[MeterReplacement]:
        """Every replacement the file declares: the section's, then each point's."""
        under_points = [
            MeterReplacement(point=p.id, **r.model_dump())
            for p in self.points
            for r in p.replacements
        ]
        return [*self.meter_replacements, *under_points]

    #: the park's options (docs/options.md), stated in full: options not named take their
    #: default; absent, loading the file leaves the stored options as they are
    options: dict[str, Any] | None = None

    #: alarm rules (docs/alarms.md): the park's rule set, stated in full; absent, loading the
    #: file leaves the stored rules as they are
    alarms: AlarmSection | None = None

    #: monitoring stations and outlets (docs/environment.md): each parameter becomes a
    #: ``measurement`` point ``<station>:<parameter>``; absent, the stored stations stay
    environment: EnvironmentSection | None = None

    @field_validator("options")
    @classmethod
    def _options(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                ParkOptions.from_dict(value)
            except InvalidInput as err:
                raise ValueError(str(err)) from None
        return value

    @model_validator(mode="after")
    def _references(self) -> ParkModel:
        if self.environment is not None:
            _add_station_points(self)
        _unique("enterprises", [e.id for e in self.enterprises])
        _unique("sites", [s.id for s in self.sites])
        _unique("points", [p.id for p in self.points])
        enterprises = {e.id for e in self.enterprises}
        sites = {s.id: s for s in self.sites}
        points = {p.id: p for p in self.points}
        for s in self.sites:
            if s.enterprise is not None and s.enterprise not in enterprises:
                raise ValueError(f"site {s.id}: unknown enterprise {s.enterprise!r}")
        for p in self.points:
            if p.enterprise is not None and p.enterprise not in enterprises:
                raise ValueError(f"point {p.id}: unknown enterprise {p.enterprise!r}")
            if p.site is not None:
                site = sites.get(p.site)
                if site is None:
                    raise ValueError(f"point {p.id}: unknown site {p.site!r}")
                if site.enterprise is not None and site.enterprise != p.enterprise:
                    raise ValueError(
                        f"point {p.id}: site {p.site} belongs to enterprise {site.enterprise}, "
                        f"not {p.enterprise}"
                    )
            if p.parent is not None:
                parent = points.get(p.parent)
                if parent is None:
                    raise ValueError(f"point {p.id}: unknown parent {p.parent!r}")
                if carrier_family(parent.carrier) != carrier_family(p.carrier):
                    raise ValueError(
                        f"point {p.id}: parent {p.parent} meters {parent.carrier.value}, "
                        f"not the same energy as {p.carrier.value}"
                    )
                # an enterprise's meter hangs below its own meters or the park's, never below
                # another enterprise's (tenants' trees do not cross)
                if parent.enterprise is not None and parent.enterprise != p.enterprise:
                    raise ValueError(
                        f"point {p.id}: parent {p.parent} belongs to enterprise "
                        f"{parent.enterprise}, not {p.enterprise or 'the park'}"
                    )
            if p.generation_point is not None:
                _check_generation_point(p, points.get(p.generation_point))
            formula = p.parsed_formula
            if formula is not None:
                for term in formula.terms:
                    member = points.get(term.point)
                    if member is None:
                        raise ValueError(
                            f"point {p.id}: formula names unknown point {term.point!r}"
                        )
                    if member.kind is PointKind.MEASUREMENT:
                        raise ValueError(
                            f"point {p.id}: formula member {term.point} is a measurement"
                        )
                    if not units.compatible(member.unit, p.unit):
                        raise ValueError(
                            f"point {p.id}: member {term.point} has unit {member.unit}"
                        )
                    # an enterprise sees its virtual points: they may only read its own meters
                    if p.enterprise is not None and member.enterprise != p.enterprise:
                        raise ValueError(
                            f"point {p.id} of enterprise {p.enterprise}: formula member "
                            f"{term.point} belongs to {member.enterprise or 'the park'}; an "
                            "enterprise's virtual point reads only that enterprise's points"
                        )
        _check_acyclic(self.points)
        _check_counted_once(points)
        _check_replacements(points, self.all_replacements())
        if self.alarms is not None:
            stations = {
                st.code: (st.kind.value, {p.parameter for p in st.parameters})
                for st in (self.environment.stations if self.environment is not None else [])
            }
            for i, rule in enumerate(self.alarms.rules):
                try:
                    check_references(
                        rule, points=points, enterprises=enterprises, sites=sites,
                        carriers=[c.value for c in Carrier], stations=stations,
                        where=f"alarms.rules[{i}]",
                    )  # fmt: skip
                except InvalidInput as err:
                    raise ValueError(str(err)) from None
        return self


def _add_station_points(model: ParkModel) -> None:
    """Check the stations' enterprises and sites, then add their parameters' points (a model
    dumped and read again already holds them: those are kept, not added twice)."""
    assert model.environment is not None
    enterprises = {e.id for e in model.enterprises}
    sites = {s.id: s for s in model.sites}
    owners = {s.id: s.enterprise for s in model.sites}
    declared = {p.id: p for p in model.points}
    added: list[Point] = []
    for i, st in enumerate(model.environment.stations):
        where = f"environment.stations[{i}] ({st.code})"
        if st.enterprise is not None and st.enterprise not in enterprises:
            raise ValueError(f"{where}.enterprise: unknown enterprise {st.enterprise!r}")
        if st.site is not None:
            site = sites.get(st.site)
            if site is None:
                raise ValueError(f"{where}.site: unknown site {st.site!r}")
            if st.enterprise is not None and site.enterprise not in (None, st.enterprise):
                raise ValueError(
                    f"{where}.site: {st.site} belongs to enterprise {site.enterprise}, "
                    f"not {st.enterprise}"
                )
        for data in station_points(st, owners):
            have = declared.get(data["id"])
            if have is not None:
                if STATION_TAG in have.tags:
                    continue
                raise ValueError(
                    f"{where}: point {data['id']} of the station is also declared in points"
                )
            try:
                added.append(Point.model_validate(data))
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
    if added:
        # the model is frozen: the generated points join the declared ones once, here
        object.__setattr__(model, "points", [*model.points, *added])


def _check_replacements(points: dict[str, Point], events: list[MeterReplacement]) -> None:
    """Each replacement names a known physical register, with values it can hold, once."""
    seen: set[tuple[str, int]] = set()
    for e in events:
        where = f"meter replacement of {e.point} at {e.at.isoformat()}"
        p = points.get(e.point)
        if p is None:
            raise ValueError(f"{where}: unknown point {e.point!r}")
        problems = replacement_problems(
            kind=p.kind.value,
            virtual=p.is_virtual,
            old_final=e.old_final,
            new_initial=e.new_initial,
        )
        if problems:
            raise ValueError(f"{where}: {'; '.join(problems)}")
        key = (e.point, to_us(e.at))  # the instant, whatever its offset
        if key in seen:
            raise ValueError(f"{where}: declared twice")
        seen.add(key)


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what}: id {i!r} is declared twice")
        seen.add(i)


def _check_counted_once(points: dict[str, Point]) -> None:
    """A boundary point must not sit below, or be computed from, another boundary point of the
    same carrier: its consumption would be counted twice in its owner's totals."""
    for p in points.values():
        if not p.is_boundary:
            continue
        seen: set[str] = set()
        todo = [p.parent] if p.parent else []
        formula = p.parsed_formula
        if formula is not None:
            todo += [t.point for t in formula.terms]
        while todo:
            other_id = todo.pop()
            if other_id in seen or other_id not in points:
                continue
            seen.add(other_id)
            other = points[other_id]
            if other.is_boundary and other.carrier == p.carrier:
                raise ValueError(
                    f"point {p.id}: boundary point below or computed from boundary point "
                    f"{other.id} — its consumption would be counted twice; set boundary: false "
                    f"on one of them"
                )
            if other.parent:
                todo.append(other.parent)
            f = other.parsed_formula
            if f is not None:
                todo += [t.point for t in f.terms]


def _check_acyclic(points: list[Point]) -> None:
    """Parent links and virtual formulas must not form a cycle."""
    edges: dict[str, list[str]] = {}
    for p in points:
        targets = [p.parent] if p.parent else []
        formula = p.parsed_formula
        if formula is not None:
            targets += [t.point for t in formula.terms]
        edges[p.id] = targets
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = " → ".join([*path[path.index(node) :], node])
            raise ValueError(f"points form a cycle: {cycle}")
        state[node] = 1
        for nxt in edges.get(node, []):
            visit(nxt, [*path, node])
        state[node] = 2

    for p in points:
        visit(p.id, [])
