"""The equipment register's records (pure): an item of key energy-using or environmental
equipment with its rated data, validated per type, field by field.

Rated data per type (units in the field names):

=================  ==========================================================================
motor              rated_kw, poles (2/4/6/8), efficiency_pct (nameplate, GB 18613-2020)
pump               rated_kw, flow_m3h, head_m, efficiency_pct (optional)
fan                rated_kw, flow_m3h, pressure_pa, efficiency_pct (optional)
air_compressor     rated_kw, flow_m3min, pressure_mpa, cooling (air/liquid),
                   specific_power_kw_per_m3min (optional, nameplate; GB 19153-2019),
                   compressor_kind (optional; oil_injected_rotary, oil_injected_rotary_vsd,
                   reciprocating, oil_free_reciprocating: the GB 19153-2019 table)
transformer        capacity_kva, no_load_loss_w, load_loss_w; insulation, voltage_kv, core, connection (GB 20052-2024)
boiler             fuel, combustion (coal), condensing (gas), capacity_t_h or capacity_mw,
                   thermal_efficiency_pct (design, GB 24500-2020)
chiller            cooling_kw, cop (GB 19577-2015)
dust_collector     rated_kw, gas_flow_m3h
aerator            rated_kw, oxygen_kg_per_kwh (optional; GB 37485-2019)
other              rated_kw (optional)
=================  ==========================================================================
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lingtan.equipment.reference import EQUIPMENT_TYPES, MOTOR_POLES, CompressorKind
from lingtan.errors import InvalidInput

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
Pct = Field(gt=0, le=100, allow_inf_nan=False)
Pos = Field(gt=0, le=1e9, allow_inf_nan=False)
NonNeg = Field(ge=0, le=1e9, allow_inf_nan=False)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class MotorRated(_Strict):
    rated_kw: float = Pos
    poles: int
    efficiency_pct: float = Pct

    @model_validator(mode="after")
    def _poles(self) -> MotorRated:
        if self.poles not in MOTOR_POLES:
            raise ValueError("poles: must be 2, 4, 6 or 8")
        return self


class PumpRated(_Strict):
    rated_kw: float = Pos
    flow_m3h: float = Pos
    head_m: float = Pos
    efficiency_pct: float | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)


class FanRated(_Strict):
    rated_kw: float = Pos
    flow_m3h: float = Pos
    pressure_pa: float = Pos
    efficiency_pct: float | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)


class CompressorRated(_Strict):
    rated_kw: float = Pos
    flow_m3min: float = Pos
    pressure_mpa: float = Field(gt=0, le=100, allow_inf_nan=False)
    cooling: Literal["air", "liquid"]
    specific_power_kw_per_m3min: float | None = Field(
        default=None, gt=0, le=1000, allow_inf_nan=False
    )
    #: which GB 19153-2019 table grades it (without it, no grade): 一般用喷油回转 fixed speed
    #: (表1), variable speed (表2), 一般用往复活塞 (表3), 全无油润滑往复活塞 (表4)
    compressor_kind: CompressorKind | None = None


class TransformerRated(_Strict):
    capacity_kva: float = Pos
    no_load_loss_w: float = NonNeg
    load_loss_w: float = NonNeg
    #: what selects the row of GB 20052-2024 (optional; without them no grade)
    insulation: Literal["oil", "dry"] | None = None
    voltage_kv: float | None = Field(default=None, gt=0, le=1000, allow_inf_nan=False)
    core: Literal["electrical_steel", "amorphous"] | None = None
    connection: Literal["Dyn11", "Yzn11", "Yyn0"] | None = None


class BoilerRated(_Strict):
    fuel: Literal["coal", "oil", "gas", "biomass", "electric", "other"]
    #: coal: chamber (室燃, pulverised), grate (层状燃烧) or fluidised bed (流化床)
    combustion: Literal["chamber", "grate", "fluidised_bed"] | None = None
    condensing: bool = False
    capacity_t_h: float | None = Field(default=None, gt=0, le=1e5, allow_inf_nan=False)
    capacity_mw: float | None = Field(default=None, gt=0, le=1e5, allow_inf_nan=False)
    thermal_efficiency_pct: float = Pct

    @model_validator(mode="after")
    def _capacity(self) -> BoilerRated:
        if self.capacity_t_h is None and self.capacity_mw is None:
            raise ValueError("capacity_t_h: give capacity_t_h or capacity_mw")
        return self


class ChillerRated(_Strict):
    cooling_kw: float = Pos
    cop: float = Field(gt=0, le=50, allow_inf_nan=False)


class DustCollectorRated(_Strict):
    rated_kw: float = Pos
    gas_flow_m3h: float = Pos


class AeratorRated(_Strict):
    rated_kw: float = Pos
    oxygen_kg_per_kwh: float | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)


class OtherRated(_Strict):
    rated_kw: float | None = Field(default=None, gt=0, le=1e9, allow_inf_nan=False)


RATED: dict[str, type[_Strict]] = {
    "motor": MotorRated,
    "pump": PumpRated,
    "fan": FanRated,
    "air_compressor": CompressorRated,
    "transformer": TransformerRated,
    "boiler": BoilerRated,
    "chiller": ChillerRated,
    "dust_collector": DustCollectorRated,
    "aerator": AeratorRated,
    "other": OtherRated,
}
assert set(RATED) == set(EQUIPMENT_TYPES)


class EquipmentSpec(_Strict):
    """An item of the register as declared (the rated data checked by :func:`rated`)."""

    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1, max_length=200)
    type: str
    rated: dict[str, Any]
    #: the metering point that measures its input (electricity, fuel); must exist
    power_point: str | None = Field(default=None, pattern=_CODE)
    #: compressors: the air-flow point (a volume counter in m3 or a flow in m3/min)
    flow_point: str | None = Field(default=None, pattern=_CODE)
    environmental: bool = False
    operating_hours: float | None = Field(default=None, ge=0, le=8784, allow_inf_nan=False)
    load_factor: float | None = Field(default=None, gt=0, le=1.5, allow_inf_nan=False)
    installed_on: dt.date | None = None
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _type(self) -> EquipmentSpec:
        if self.type not in RATED:
            raise ValueError(f"type: must be one of {', '.join(RATED)}")
        return self


def _problem(err: ValidationError, prefix: str) -> tuple[str, str]:
    first = err.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    msg = str(first["msg"]).removeprefix("Value error, ")
    field = f"{prefix}{loc}" if loc else prefix.rstrip(".")
    if ":" in msg and not loc:  # a model validator that names its field
        name, _, rest = msg.partition(":")
        field = f"{prefix}{name.strip()}"
        msg = rest.strip()
    return field, msg


def parse_spec(data: dict[str, Any]) -> EquipmentSpec:
    """An item from a mapping, its rated data checked for its type; :class:`InvalidInput`
    naming the first failing field (``rated.poles``, ``type`` …)."""
    try:
        spec = EquipmentSpec.model_validate(data)
    except ValidationError as err:
        field, msg = _problem(err, "")
        raise InvalidInput(f"{field}: {msg}", field=field) from None
    rated(spec.type, spec.rated)
    return spec


def rated(equipment_type: str, data: dict[str, Any]) -> Any:
    """The rated data of ``equipment_type`` validated (errors name ``rated.<field>``)."""
    model = RATED.get(equipment_type)
    if model is None:
        raise InvalidInput(f"type: must be one of {', '.join(RATED)}", field="type")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        field, msg = _problem(err, "rated.")
        raise InvalidInput(f"{field}: {msg}", field=field) from None
