"""Monitoring stations in the park model (pure): the park file's ``environment:`` section.

A station (监测站点) is an ambient-air station (GB 3095 function-zone class, park-level), a
surface-water section (GB 3838 target class, park-level), an enterprise's outlet (排放口, with
its discharge-permit limits as records) or an indoor monitor of a building (GB/T 18883). Each
has the HJ 212 MN of its data logger (数采仪), its access password and its parameters.

Every station parameter becomes a metering point of kind ``measurement`` (carrier ``other``)
named ``<station>:<parameter>``, so the ingest pipeline, the quarantine of rejects, the hourly
statistics and the alarm engine handle station data as they handle any other measurement
(docs/environment.md). The point belongs to the station's owner: park-level for air and water,
the enterprise for outlets, the building's owner for indoor monitors.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lingtan import units
from lingtan.errors import InvalidInput

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,30}$"
StationCode = Annotated[str, Field(pattern=_CODE, description="letters, digits, _ . - (max 31)")]
ParamCode = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$", description="parameter name")
]
#: the tag every generated point carries (alarm rules and the dashboard select by it)
STATION_TAG: Final = "env-station"


class StationKind(StrEnum):
    """What a station watches."""

    AIR = "air"  # 环境空气质量监测站 (GB 3095-2012)
    WATER = "water"  # 地表水监测断面 (GB 3838-2002)
    OUTLET = "outlet"  # 企业排放口 (排污许可证限值)
    INDOOR = "indoor"  # 室内空气质量监测 (GB/T 18883-2022)


#: kinds visible to every user of the park and written by park admins only
PARK_LEVEL_KINDS: Final = frozenset({StationKind.AIR, StationKind.WATER})

WATER_CLASSES: Final = ("I", "II", "III", "IV", "V")


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


def _unit(value: str) -> str:
    try:
        return units.canonical_symbol(value)
    except InvalidInput as err:
        raise ValueError(str(err)) from err


class StationParameter(_Strict):
    """One measured parameter: its name (as in the limit records: ``PM2.5``, ``COD``,
    ``temperature`` …), its unit and the HJ 212 pollutant code the data logger sends."""

    parameter: ParamCode
    unit: str
    #: HJ 212-2017 pollutant code (a34004 …); absent: the parameter is not received over HJ 212
    hj212: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,12}$")

    @field_validator("unit")
    @classmethod
    def _u(cls, value: str) -> str:
        return _unit(value)


class PermitLimit(_Strict):
    """A discharge limit of an outlet, as the permit (or discharge standard) states it."""

    parameter: ParamCode
    limit: float = Field(gt=0, allow_inf_nan=False)
    unit: str
    #: where the number comes from: permit number, discharge standard and table …
    source: str = Field(min_length=1, max_length=300)

    @field_validator("unit")
    @classmethod
    def _u(cls, value: str) -> str:
        return _unit(value)

    def in_unit(self, unit: str) -> float:
        """The limit converted to ``unit`` (the measured parameter's)."""
        return self.limit * units.factor(self.unit, unit)


class Station(_Strict):
    """A monitoring station or outlet of the park file's ``environment.stations``."""

    code: StationCode
    name: str = Field(min_length=1, max_length=200)
    kind: StationKind
    #: HJ 212 data-logger code (MN, 设备唯一标识)
    mn: str = Field(pattern=r"^[A-Za-z0-9]{1,24}$")
    #: HJ 212 access password (PW)
    pw: str = Field(default="123456", min_length=1, max_length=32)
    #: air: GB 3095-2012 environmental-function zone class (1 or 2)
    air_class: Literal[1, 2] | None = None
    #: water: the section's GB 3838-2002 target class
    water_class: Literal["I", "II", "III", "IV", "V"] | None = None
    #: outlet: the owning enterprise (indoor monitors take their building's owner)
    enterprise: str | None = None
    #: indoor: the building (site) it monitors; outlets may name their site
    site: str | None = None
    #: HJ 212 upload stored as readings: hourly data (2061 Avg) or minute data (2051 Avg)
    resolution: Literal["hour", "minute"] = "hour"
    parameters: list[StationParameter] = Field(min_length=1, max_length=40)
    #: outlet: the discharge-permit limits
    limits: list[PermitLimit] = Field(default_factory=list, max_length=40)
    #: indoor: the months of the cooling (夏季空调) and heating (冬季采暖) seasons whose
    #: temperature and humidity ranges apply (lingtan's default, not the standard's)
    cooling_months: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=lambda: [6, 7, 8, 9]
    )
    heating_months: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=lambda: [12, 1, 2]
    )
    #: minutes without data before the comms-loss alarm (通信中断); default 180 for hourly
    #: stations, 30 for minute stations (lingtan's defaults, not a standard's)
    comms_loss_min: Annotated[int, Field(ge=1, le=10_080)] | None = None

    @property
    def silence_min(self) -> int:
        if self.comms_loss_min is not None:
            return self.comms_loss_min
        return 180 if self.resolution == "hour" else 30

    @model_validator(mode="after")
    def _by_kind(self) -> Station:
        k = self.kind
        if k is StationKind.AIR and self.air_class is None:
            raise ValueError("air_class: an air station needs its GB 3095 zone class (1 or 2)")
        if k is StationKind.WATER and self.water_class is None:
            raise ValueError("water_class: a water section needs its GB 3838 target class")
        if k in PARK_LEVEL_KINDS and self.enterprise is not None:
            raise ValueError(f"enterprise: a {k.value} station is park-level")
        if k is StationKind.OUTLET and self.enterprise is None:
            raise ValueError("enterprise: an outlet belongs to an enterprise")
        if k is StationKind.INDOOR and self.site is None:
            raise ValueError("site: an indoor monitor names its building")
        if set(self.cooling_months) & set(self.heating_months):
            raise ValueError("heating_months: a month cannot be in both seasons")
        if self.limits and k is not StationKind.OUTLET:
            raise ValueError("limits: permit limits apply to outlets only")
        names = [p.parameter for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError("parameters: a parameter is declared twice")
        limited = [lim.parameter for lim in self.limits]
        if len(set(limited)) != len(limited):
            raise ValueError("limits: a parameter has two permit limits")
        for i, lim in enumerate(self.limits):
            if lim.parameter not in names:
                raise ValueError(f"limits[{i}].parameter: {lim.parameter!r} is not measured")
            unit = next(p.unit for p in self.parameters if p.parameter == lim.parameter)
            if not units.compatible(unit, lim.unit):
                raise ValueError(f"limits[{i}].unit: {lim.unit} does not fit {unit}")
        return self

    def point_code(self, parameter: str) -> str:
        """The metering point of one parameter."""
        return f"{self.code}:{parameter}"

    def parameter(self, name: str) -> StationParameter | None:
        return next((p for p in self.parameters if p.parameter == name), None)

    def permit(self, name: str) -> PermitLimit | None:
        """An outlet's permit limit of one parameter (None: the permit does not limit it)."""
        return next((x for x in self.limits if x.parameter == name), None)


class EnvironmentSection(_Strict):
    """The park file's ``environment:`` section: the park's stations, stated in full."""

    stations: list[Station] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> EnvironmentSection:
        for what, values in (
            ("code", [s.code for s in self.stations]),
            ("mn", [s.mn for s in self.stations]),
        ):
            seen: set[str] = set()
            for v in values:
                if v in seen:
                    raise ValueError(f"stations: {what} {v!r} is declared twice")
                seen.add(v)
        return self


def station_points(station: Station, site_owner: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """The metering points (park-file dicts) of a station's parameters."""
    owner = station.enterprise
    if station.kind is StationKind.INDOOR and station.site is not None:
        owner = site_owner.get(station.site)
    interval = 3600 if station.resolution == "hour" else 60
    return [
        {
            "id": station.point_code(p.parameter),
            "name": f"{station.name} {p.parameter}",
            "carrier": "other",
            "kind": "measurement",
            "unit": p.unit,
            "enterprise": owner,
            "site": station.site,
            "interval_s": interval,
            "tags": [STATION_TAG, f"env-{station.kind.value}"],
        }
        for p in station.parameters
    ]


def station_owner(station: Station, site_owner: Mapping[str, str | None]) -> str | None:
    """The enterprise that owns a station (None: the park)."""
    if station.kind is StationKind.INDOOR and station.site is not None:
        return site_owner.get(station.site)
    return station.enterprise


__all__ = [
    "PARK_LEVEL_KINDS",
    "STATION_TAG",
    "EnvironmentSection",
    "PermitLimit",
    "Station",
    "StationKind",
    "StationParameter",
    "station_owner",
    "station_points",
]
