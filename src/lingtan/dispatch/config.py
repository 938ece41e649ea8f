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
    control:                       # optional: setpoints written over Modbus TCP (docs/dispatch.md)
      gateways: [{code: GW-1, host: 192.0.2.10, port: 502}]
      devices:
        - {device: BESS-1, gateway: GW-1, unit: 1,
           setpoint: {address: 100, type: int32, scale: 0.1},
           measured_point: PARK-bess-power, tolerance_kw: 50}
"""

from __future__ import annotations

import math
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


class SetpointRegister(_Strict):
    """Where a device takes its setpoint: holding register(s) written with function 16 and
    read back with function 3, encoded by the Modbus connector's register code
    (:mod:`lingtan.connectors.modbus.registers`): engineering value = raw × ``scale`` +
    ``offset``, in kW for ``mode: power``, 0/1 for ``mode: enable``."""

    address: int = Field(ge=0, le=0xFFFF, description="0-based PDU address")
    type: str = "int16"
    order: str = "ABCD"
    scale: float = 1.0
    offset: float = 0.0
    #: a status register echoing the setpoint, read back instead of the written one
    readback_address: int | None = Field(default=None, ge=0, le=0xFFFF)

    @model_validator(mode="after")
    def _encodable(self) -> SetpointRegister:
        from lingtan.connectors.modbus.registers import RegisterSpec, data_type

        dtype = data_type(self.type)
        for address in (self.address, self.readback_address):
            if address is not None:
                RegisterSpec("setpoint", address, dtype, 3, self.order, self.scale, self.offset)
        return self


class ModbusGatewaySpec(_Strict):
    """A Modbus TCP endpoint (a device with Ethernet or a serial gateway)."""

    code: str = Field(min_length=1, max_length=64)
    host: str = Field(min_length=1)
    port: int = Field(default=502, ge=1, le=65535)
    timeout_s: float = Field(default=2.0, gt=0, le=60)


class DeviceControlSpec(_Strict):
    """How one controllable asset (a battery, charger, flexible load or generator by its code)
    takes its planned setpoint, within which limits, and which power meter shows it follows.

    ``min_kw``/``max_kw``: the device's declared limits; they default to the nameplate of the
    asset (battery −charge_kw…+discharge_kw, charger and generator 0…max_kw) and may only narrow
    it; a flexible load in ``power`` mode must declare ``max_kw``. ``mode: enable`` (flexible
    loads) writes 1 when the planned consumption exceeds ``enable_above_kw``, else 0.
    ``measured_point``: a ``measurement`` point in a power unit (same sign as the setpoint,
    or ``measured_sign: -1``); the step's mean reading must lie within ``tolerance_kw`` of the
    setpoint. ``retries``: further attempts after a failed write or read-back of a step, each
    recorded with its reason; nothing is retried beyond them."""

    device: str = Field(min_length=1, max_length=64)
    gateway: str
    unit: int = Field(ge=0, le=255)
    setpoint: SetpointRegister
    mode: Literal["power", "enable"] = "power"
    enable_above_kw: float = Field(default=0.0, ge=0)
    min_kw: float | None = None
    max_kw: float | None = None
    measured_point: str | None = None
    measured_sign: Literal[1, -1] = 1
    tolerance_kw: float | None = Field(default=None, gt=0)
    retries: int = Field(default=2, ge=0, le=5)
    retry_delay_s: float = Field(default=1.0, ge=0, le=30)

    @model_validator(mode="after")
    def _check(self) -> DeviceControlSpec:
        if (self.measured_point is None) != (self.tolerance_kw is None):
            raise ValueError(f"{self.device}: measured_point and tolerance_kw go together")
        if self.min_kw is not None and self.max_kw is not None and self.min_kw > self.max_kw:
            raise ValueError(f"{self.device}: min_kw exceeds max_kw")
        return self


class ControlSpec(_Strict):
    """Setpoints written to devices (absent: lingtan writes to no device)."""

    gateways: list[ModbusGatewaySpec] = Field(min_length=1)
    devices: list[DeviceControlSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _refs(self) -> ControlSpec:
        codes = [g.code for g in self.gateways]
        if len(set(codes)) < len(codes):
            raise ValueError("gateway codes must be unique")
        seen: set[str] = set()
        for d in self.devices:
            if d.gateway not in codes:
                raise ValueError(f"{d.device}: gateway {d.gateway!r} is not declared")
            if d.device in seen:
                raise ValueError(f"{d.device}: declared twice")
            seen.add(d.device)
        return self


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
    control: ControlSpec | None = None

    @model_validator(mode="after")
    def _unique(self) -> MicrogridSpec:
        codes = [b.code for b in self.batteries] + [c.code for c in self.chargers]
        codes += [f.code for f in self.flex] + [g.code for g in self.generators]
        codes += [p.point for p in self.pv]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"asset codes must be unique; repeated: {', '.join(dupes)}")
        if self.control is not None:
            for d in self.control.devices:
                limits(self, d)
        return self


def limits(spec: MicrogridSpec, d: DeviceControlSpec) -> tuple[str, float, float]:
    """(kind, lowest, highest setpoint [kW]) a device accepts: its nameplate narrowed by the
    declared ``min_kw``/``max_kw``; ``ValueError`` naming the device otherwise."""
    nameplate: dict[str, tuple[str, float, float | None]] = {}
    for b in spec.batteries:
        nameplate[b.code] = ("battery", -b.charge_kw, b.discharge_kw)
    for c in spec.chargers:
        nameplate[c.code] = ("ev", 0.0, c.max_kw)
    for g in spec.generators:
        nameplate[g.code] = ("generator", 0.0, g.max_kw)
    for f in spec.flex:
        nameplate[f.code] = ("flex", 0.0, None)
    if d.device not in nameplate:
        raise ValueError(
            f"control: {d.device!r} is not a declared battery, charger, flexible load or generator"
        )
    kind, lo, hi = nameplate[d.device]
    if d.mode == "enable" and kind != "flex":
        raise ValueError(f"control: {d.device}: mode enable is for flexible loads only")
    if hi is None and d.max_kw is None and d.mode == "power":
        raise ValueError(f"control: {d.device}: a flexible load needs max_kw")
    low = float(lo if d.min_kw is None else d.min_kw)
    high = hi if d.max_kw is None else d.max_kw
    high = math.inf if high is None else float(high)  # an enable-only load without max_kw
    if low < lo - 1e-9 or (hi is not None and high > hi + 1e-9):
        raise ValueError(
            f"control: {d.device}: limits {low:g}…{high:g} kW exceed the nameplate {lo:g}…"
            f"{'∞' if hi is None else f'{hi:g}'} kW"
        )
    return kind, low, high


def parse(data: dict[str, Any]) -> MicrogridSpec:
    """A declaration from its parsed YAML/JSON (pydantic errors name the field)."""
    return MicrogridSpec.model_validate(data)
