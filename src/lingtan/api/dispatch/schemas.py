"""Request and response bodies of ``/api/v1/dispatch``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lingtan.api.common import iso
from lingtan.dispatch.config import MicrogridSpec
from lingtan.store.dispatch_repo import PlanRow, SetpointWriteRow, SpecRow

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


class SiteOut(BaseModel):
    """The park's microgrid declaration and who set it when."""

    spec: MicrogridSpec
    source: str
    updated_by: str
    updated_at: str | None

    @classmethod
    def of(cls, row: SpecRow, tz: dt.tzinfo) -> SiteOut:
        return cls(
            spec=MicrogridSpec.model_validate(row.spec),
            source=row.source,
            updated_by=row.updated_by,
            updated_at=iso(row.updated_at, tz),
        )


class ObjectiveIn(BaseModel):
    """Weights of the objective's terms and prices, over the declaration's defaults."""

    model_config = ConfigDict(extra="forbid")

    energy: float | None = Field(default=None, ge=0, le=1e6)
    demand: float | None = Field(default=None, ge=0, le=1e6)
    carbon: float | None = Field(default=None, ge=0, le=1e6)
    green: float | None = Field(default=None, ge=0, le=1e6)
    degradation: float | None = Field(default=None, ge=0, le=1e6)
    carbon_price: float | None = Field(default=None, ge=0, le=1e5, description="元/tCO2")
    green_price: float | None = Field(default=None, ge=0, le=1e3, description="元/kWh")
    factor_basis: Literal["location", "market", "hourly"] | None = None


class DemandResponseIn(BaseModel):
    """A demand-response call: import in the window at most (1 − reduction) × the baseline."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: str = Field(alias="from", pattern=HHMM, description="HH:MM local time")
    to: str = Field(pattern=HHMM, description="HH:MM local time")
    reduction_pct: float = Field(gt=0, le=100)
    baseline: Literal["forecast", "history"] = Field(
        default="forecast",
        description="forecast: the import without dispatch; history: the mean metered import "
        "of the most recent working days (customer baseline load)",
    )
    days: int = Field(default=5, ge=1, le=20, description="history: working days averaged")


class PlanIn(BaseModel):
    """A plan to make: a day-ahead plan of the whole day, or an intraday re-plan from the step
    ``now`` falls in (default: the current time)."""

    model_config = ConfigDict(extra="forbid")

    day: dt.date = Field(description="park-local day")
    kind: Literal["day_ahead", "intraday"] = "day_ahead"
    now: dt.datetime | None = Field(
        default=None, description="intraday: the time to plan from (timezone-aware)"
    )
    objective: ObjectiveIn | None = None
    demand_response: DemandResponseIn | None = None


class PlanOut(BaseModel):
    """A stored plan without its per-step values."""

    id: int
    day: str
    kind: str
    from_step: int
    step_minutes: int
    status: str = Field(description="optimal, or relaxed: met only with the violations listed")
    created_at: str | None
    created_by: str
    objective: dict[str, Any]
    inputs: dict[str, Any] = Field(
        description="where every input came from: forecasts, tariff, factor, sessions, SoC"
    )
    terms: dict[str, Any] = Field(description="元, tCO2, kWh, kW over the planned steps")
    violations: list[dict[str, Any]]
    published_at: str | None
    publish: dict[str, Any] | None

    @classmethod
    def of(cls, row: PlanRow, tz: dt.tzinfo) -> PlanOut:
        return cls(
            id=row.id, day=row.day, kind=row.kind, from_step=row.from_step,
            step_minutes=row.step_minutes, status=row.status,
            created_at=iso(row.created_at, tz), created_by=row.created_by,
            objective=row.objective, inputs=row.inputs, terms=row.terms,
            violations=row.violations, published_at=iso(row.published_at, tz),
            publish=row.publish,
        )  # fmt: skip


class PlanDetailOut(PlanOut):
    """A stored plan with its per-step values (kW; SoC in kWh; prices 元/kWh; factors
    kgCO2/kWh) and the local start of each step."""

    step_starts: list[str]
    steps: dict[str, Any]


class SetpointOut(BaseModel):
    """One device's setpoint for one step (battery: + discharge, − charge)."""

    device: str
    kind: Literal["battery", "ev", "flex", "pv_curtail", "generator"]
    step_start: str
    step_minutes: int
    setpoint_kw: float


class SetpointWriteOut(BaseModel):
    """A setpoint written to a device for one step: the value written and read back, the
    outcome with every attempt and its reason, and the tracking evidence."""

    id: int
    plan_id: int
    step: int
    step_start: str | None
    step_end: str | None
    device: str
    kind: str
    setpoint_kw: float
    written: float | None
    readback: float | None
    status: Literal["ok", "mismatch", "timeout", "unavailable", "device_error", "refused"]
    attempts: list[dict[str, Any]]
    written_at: str | None
    written_by: str
    measured_kw: float | None
    tracking: Literal["ok", "off", "no_data"] | None

    @classmethod
    def of(cls, w: SetpointWriteRow, tz: dt.tzinfo) -> SetpointWriteOut:
        return cls(
            id=w.id, plan_id=w.plan_id, step=w.step, step_start=iso(w.step_start, tz),
            step_end=iso(w.step_end, tz), device=w.device, kind=w.kind,
            setpoint_kw=w.setpoint_kw, written=w.written, readback=w.readback, status=w.status,  # type: ignore[arg-type]
            attempts=w.attempts, written_at=iso(w.written_at, tz), written_by=w.written_by,
            measured_kw=w.measured_kw, tracking=w.tracking,  # type: ignore[arg-type]
        )  # fmt: skip


class SessionIn(BaseModel):
    """One EV charging session expected on the day."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    charger: str = Field(min_length=1, max_length=64)
    arrival: str = Field(pattern=HHMM)
    departure: str = Field(pattern=HHMM)
    energy_kwh: float = Field(ge=0, lt=1e6)
    max_kw: float | None = Field(default=None, gt=0, lt=1e5)


class SessionsIn(BaseModel):
    """The EV sessions of one day (they replace the day's earlier ones)."""

    model_config = ConfigDict(extra="forbid")

    day: dt.date
    sessions: list[SessionIn] = Field(max_length=5000)


class SessionsOut(BaseModel):
    """The sessions stored for the day."""

    day: str
    sessions: list[SessionIn]
