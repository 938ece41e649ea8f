"""The park's microgrid declaration (微电网配置): which assets the dispatch plans, their
ratings and the metering points that measure them.

Ratings come from the nameplate or the grid-connection agreement, so the declaration names
its ``source``. It is stored per park (``PUT /api/v1/dispatch/site``, ``lingtan dispatch
site set FILE``) and turned into the component tables of :mod:`lingtan.dispatch.components`
day by day, with the forecasts, tariffs and factors of that day.

Example (YAML; the figures are synthetic, not a real connection agreement or price)::

    source: 储能电站铭牌与并网协议（合成示例）
    grid: {import_point: PARK-grid, export_point: PARK-export, import_limit_kw: 12000,
           export_limit_kw: 8000, export_price: 0.391, demand_price: 0}
    pv: [{point: PARK-pv, curtailable: true}]
    batteries:
      - {code: BESS-1, charge_point: PARK-bess-charge, discharge_point: PARK-bess-discharge,
         energy_kwh: 10000, charge_kw: 5000, discharge_kw: 5000}
    chargers: [{code: EV-1, point: PARK-ev1, max_kw: 600}]
    flex: [{code: HVAC-1, point: E01-hvac, window: "10:00-16:00", max_shift_kw: 300, share: 0.3}]
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _minutes(text: str) -> int:
    hh, _, mm = text.partition(":")
    if not (hh.isdigit() and mm.isdigit() and len(mm) == 2):
        raise ValueError(f"{text!r} is not an HH:MM time")
    value = int(hh) * 60 + int(mm)
    if not 0 <= value <= 24 * 60 or int(mm) >= 60:
        raise ValueError(f"{text!r} lies outside 00:00–24:00")
    return value


class GridSpec(_Strict):
    """The grid connection: its meters, limits and the prices the tariff does not carry."""

    import_point: str
    export_point: str | None = None
    import_limit_kw: float = Field(gt=0)
    #: 0: export not allowed (余电不上网)
    export_limit_kw: float = Field(default=0.0, ge=0)
    #: feed-in price [元/kWh] (燃煤基准价 or the agreement's price); 0 where export earns nothing
    export_price: float = Field(default=0.0, ge=0)
    #: demand charge [元/kW per month] on the month's peak import; 0 where the tariff has none
    demand_price: float = Field(default=0.0, ge=0)


class PvSpec(_Strict):
    """A PV plant by its generation meter (its forecast is the point's forecast)."""

    point: str
    curtailable: bool = True


class BatterySpec(_Strict):
    """A battery's nameplate and its charge/discharge meters."""

    code: str = Field(min_length=1, max_length=64)
    charge_point: str | None = None
    discharge_point: str | None = None
    energy_kwh: float = Field(gt=0)
    charge_kw: float = Field(ge=0)
    discharge_kw: float = Field(ge=0)
    charge_efficiency: float = Field(default=0.95, gt=0, le=1)
    discharge_efficiency: float = Field(default=0.95, gt=0, le=1)
    soc_min: float = Field(default=0.1, ge=0, le=1)
    soc_max: float = Field(default=0.9, ge=0, le=1)
    #: least SoC at the end of the day; None: at least the SoC the day started with
    soc_end: float | None = Field(default=None, ge=0, le=1)
    #: 元 per kWh discharged (cell replacement cost ÷ lifetime throughput)
    degradation_cost: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _soc(self) -> BatterySpec:
        if self.soc_min > self.soc_max:
            raise ValueError(f"battery {self.code}: soc_min exceeds soc_max")
        return self


class ChargerSpec(_Strict):
    """An EV charger (or charging hub) by its meter and the power all its sessions share."""

    code: str = Field(min_length=1, max_length=64)
    point: str | None = None
    max_kw: float = Field(gt=0)
    #: per-session power when a session does not state one [kW]
    session_kw: float = Field(default=60.0, gt=0)


class FlexSpec(_Strict):
    """A shiftable share of a metered load within a daily window (local time)."""

    code: str = Field(min_length=1, max_length=64)
    point: str
    window: str = Field(description="HH:MM-HH:MM, local time")
    max_shift_kw: float = Field(ge=0)
    #: share of the point's load that may move (the rest is fixed) [0–1]
    share: float = Field(default=1.0, gt=0, le=1)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        start, sep, end = value.partition("-")
        if not sep or _minutes(start.strip()) >= _minutes(end.strip()):
            raise ValueError(f"window {value!r} must be HH:MM-HH:MM with the start before the end")
        return value

    def window_minutes(self) -> tuple[int, int]:
        start, _, end = self.window.partition("-")
        return _minutes(start.strip()), _minutes(end.strip())


class GeneratorSpec(_Strict):
    """A diesel or gas generator: rating, fuel cost and emission factor (with its source)."""

    code: str = Field(min_length=1, max_length=64)
    max_kw: float = Field(gt=0)
    fuel_cost: float = Field(ge=0, description="元/kWh electricity")
    factor: float = Field(ge=0, description="kgCO2/kWh electricity")
    factor_source: str = Field(min_length=1)


class ObjectiveSpec(_Strict):
    """The default weights of the objective terms and the carbon price."""

    energy: float = Field(default=1.0, ge=0)
    demand: float = Field(default=1.0, ge=0)
    carbon: float = Field(default=0.0, ge=0)
    green: float = Field(default=0.0, ge=0)
    degradation: float = Field(default=1.0, ge=0)
    #: 元/tCO2 (e.g. the national carbon market's price, with its date in ``source``)
    carbon_price: float = Field(default=0.0, ge=0)
    green_price: float = Field(default=0.0, ge=0)
    factor_basis: Literal["location", "market", "hourly"] = "location"


class MicrogridSpec(_Strict):
    """The whole declaration."""

    source: str = Field(min_length=1, description="where the ratings come from")
    grid: GridSpec
    pv: list[PvSpec] = Field(default_factory=list)
    batteries: list[BatterySpec] = Field(default_factory=list)
    chargers: list[ChargerSpec] = Field(default_factory=list)
    flex: list[FlexSpec] = Field(default_factory=list)
    generators: list[GeneratorSpec] = Field(default_factory=list)
    objective: ObjectiveSpec = Field(default_factory=ObjectiveSpec)
    step_minutes: Literal[15, 30, 60] = 15

    @model_validator(mode="after")
    def _unique(self) -> MicrogridSpec:
        codes = [b.code for b in self.batteries] + [c.code for c in self.chargers]
        codes += [f.code for f in self.flex] + [g.code for g in self.generators]
        codes += [p.point for p in self.pv]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"asset codes must be unique; repeated: {', '.join(dupes)}")
        return self


def parse(data: dict[str, Any]) -> MicrogridSpec:
    """A declaration from its parsed YAML/JSON (pydantic errors name the field)."""
    return MicrogridSpec.model_validate(data)
