"""The programme's input documents, validated strictly (unknown fields refused; an error names
the field).

* :class:`PlanIn` — an annual energy-saving or water-saving plan (节能计划 / 节水计划) of an
  enterprise or of the park, with its targets;
* :class:`MeasureIn` — a measure (节能措施) of a plan: owner, budget, expected savings,
  schedule, status, its meters and, optionally, its savings-verification plan (GB/T 28750) and
  its energy performance contract (GB/T 24915);
* record kinds (:data:`RECORD_KINDS`) — the energy management system's records (GB/T 23331-2020),
  cleaner-production audits, circular-economy projects, building energy-saving reviews; each is
  a document validated by its model and linked to the data it cites (point codes, a period,
  reference records).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lingtan.errors import InvalidInput

#: the largest id a request may name (the API's bound)
MAX_ID = 2**53
Confidence = Literal["H", "M", "L"]
MeasureStatus = Literal["planned", "in_progress", "completed", "verified", "cancelled"]
PlanKind = Literal["energy", "water"]


#: the largest magnitude a number of a programme document may have (keeps every derived figure
#: finite: squares and sums of such numbers stay far inside the float range)
LIMIT = 1e15


def _bounded(value: Any, name: str) -> None:
    if isinstance(value, float | int) and not isinstance(value, bool) and abs(value) > LIMIT:
        raise ValueError(f"{name}: magnitude above {LIMIT:g}")
    if isinstance(value, dict):
        for k, v in value.items():
            _bounded(v, f"{name}.{k}")
    elif isinstance(value, list):
        for k, v in enumerate(value):
            _bounded(v, f"{name}[{k}]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _limit(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, BaseModel):
            _bounded(value, str(info.field_name))
        return value


def validated(model: type[BaseModel], data: Any, *, prefix: str = "") -> Any:
    """``model`` validated from ``data``; InvalidInput naming the first failing field."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        name = f"{prefix}{loc}" if loc else prefix.rstrip(".") or "body"
        raise InvalidInput(f"{name}: {first['msg']}", field=name) from None


# -- plans and measures ------------------------------------------------------------------------


class Intensity(_Strict):
    """An intensity target: energy [tce] per unit of a statistics record's item (e.g. the
    enterprise's ``output_value`` in 万元), at most ``value``."""

    value: float = Field(gt=0)
    unit: str = Field(min_length=1, max_length=32, description="e.g. tce/万元")
    category: str = Field(min_length=1, max_length=64, description="statistics record category")
    item: str = Field(min_length=1, max_length=64, description="statistics record item")
    denominator_unit: str = Field(min_length=1, max_length=16)


class Targets(_Strict):
    """Targets of the plan's year. ``energy_tce_max``/``carbon_tco2_max``: ceilings of the
    year's consumption and emissions; ``savings_tce``/``savings_tco2``: the savings the measures
    are to achieve; ``water_m3_max``/``water_savings_m3`` for a water plan."""

    energy_tce_max: float | None = Field(default=None, gt=0)
    carbon_tco2_max: float | None = Field(default=None, gt=0)
    savings_tce: float | None = Field(default=None, ge=0)
    savings_tco2: float | None = Field(default=None, ge=0)
    intensity: Intensity | None = None
    water_m3_max: float | None = Field(default=None, gt=0)
    water_savings_m3: float | None = Field(default=None, ge=0)


class PlanIn(_Strict):
    """An annual plan of an enterprise (``enterprise_id``) or of the park (None)."""

    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    year: int = Field(ge=2000, le=2100)
    kind: PlanKind = "energy"
    title: str = Field(min_length=1, max_length=200)
    targets: Targets
    approved_by: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=2000)


class Schedule(_Strict):
    """When the measure is implemented."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _order(self) -> Schedule:
        if self.end < self.start:
            raise ValueError("end before start")
        return self


class PeriodIn(_Strict):
    """One period of a verification series: its label (``YYYY-MM`` for metered energy), its
    energy (omit it to read the measure's meters) and its drivers."""

    period: str = Field(min_length=1, max_length=32)
    energy: float | None = None
    drivers: dict[str, float] = Field(default_factory=dict)


class AdjustmentIn(_Strict):
    """A non-routine adjustment (GB/T 28750 其他调整量)."""

    amount: float
    reason: str = Field(min_length=1, max_length=500)


class Factor(_Strict):
    """A conversion factor of the avoided energy or carbon, with the record it comes from."""

    value: float = Field(ge=0)
    unit: str = Field(min_length=1, max_length=32, description="e.g. tce/GJ or tCO2/GJ")
    record: str = Field(min_length=1, max_length=200, description="factor record id / source")


class DegreeDays(_Strict):
    """A degree-day driver computed from a stored hourly temperature weather series for each
    ``YYYY-MM`` period that does not give it: the daily mean of the local day's hours, then
    Σ max(0, base − T̄) (heating) or Σ max(0, T̄ − base) (cooling) over the month's days
    (:func:`lingtan.compliance.enpi.degree_days`). The base temperature is the plan's choice."""

    driver: str = Field(min_length=1, max_length=64, description="the driver it fills")
    series: str = Field(min_length=1, max_length=64, description="weather series code")
    base_c: float = Field(ge=-50, le=50)
    kind: Literal["heating", "cooling"] = "heating"


class Verification(_Strict):
    """The savings-verification plan of a measure (GB/T 28750-2012): its drivers, the baseline
    and reporting periods, adjustments, the confidence of the interval."""

    drivers: list[str] = Field(default_factory=list, max_length=6)
    unit: str = Field(default="kWh", min_length=1, max_length=16)
    baseline: list[PeriodIn] = Field(min_length=2, max_length=120)
    reporting: list[PeriodIn] = Field(default_factory=list, max_length=120)
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=50)
    confidence: float = Field(default=0.9, ge=0.5, lt=1.0)
    degree_days: DegreeDays | None = None
    #: the driver filled with the month's working days (工作日: Monday–Friday and 调休 working
    #: weekends, less statutory holidays, from ``chinesecalendar``) for each ``YYYY-MM`` period
    #: that does not give it
    working_days: str | None = Field(default=None, min_length=1, max_length=64)
    #: converts the savings' unit to tce / tCO2 (each citing its factor record)
    tce_factor: Factor | None = None
    co2_factor: Factor | None = None


class Contract(_Strict):
    """An energy performance contract (GB/T 24915-2020) of the measure."""

    type: Literal["shared_savings", "guaranteed_savings"]
    service_company: str = Field(min_length=1, max_length=200)
    price: float = Field(ge=0, description="value of one unit of savings")
    currency: str = Field(default="CNY", max_length=8)
    shares: dict[str, float] | None = None
    guaranteed: float | None = Field(default=None, ge=0)
    term_years: float | None = Field(default=None, gt=0, le=30)


class MeasureIn(_Strict):
    """A measure of a plan."""

    plan_id: int = Field(ge=1, le=MAX_ID)
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=200, description="the person responsible")
    budget_cny: float | None = Field(default=None, ge=0)
    expected_tce: float | None = Field(default=None, ge=0)
    expected_tco2: float | None = Field(default=None, ge=0)
    expected_m3: float | None = Field(default=None, ge=0)
    schedule: Schedule
    status: MeasureStatus = "planned"
    points: list[str] = Field(default_factory=list, max_length=50)
    verification: Verification | None = None
    contract: Contract | None = None


class MeasureUpdate(_Strict):
    """The fields of a measure that change during its life."""

    status: MeasureStatus | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    budget_cny: float | None = Field(default=None, ge=0)
    schedule: Schedule | None = None
    verification: Verification | None = None
    contract: Contract | None = None


# -- records -----------------------------------------------------------------------------------


class Cites(_Strict):
    """The data a record cites: metering points, a period, reference records, other programme
    records."""

    points: list[str] = Field(default_factory=list, max_length=200)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    references: list[str] = Field(default_factory=list, max_length=50)
    records: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=50
    )
    measures: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _order(self) -> Cites:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("period_end before period_start")
        return self


class EnergyReview(_Strict):
    """能源评审 (GB/T 23331-2020 6.3): energy uses and consumption analysed, findings."""

    summary: str = Field(min_length=1, max_length=5000)
    findings: list[str] = Field(default_factory=list, max_length=100)


class SignificantUse(_Strict):
    """主要能源使用 (GB/T 23331-2020 6.3 b): a use of substantial consumption or potential,
    with its reference metering points (in ``cites.points``)."""

    name: str = Field(min_length=1, max_length=200)
    share: float | None = Field(default=None, ge=0, le=1, description="share of consumption")
    relevant_variables: list[str] = Field(default_factory=list, max_length=20)
    persons: list[str] = Field(default_factory=list, max_length=20)


class Enpi(_Strict):
    """能源绩效参数 and 能源基准 (GB/T 23331-2020 6.4, 6.5): the indicator, its baseline
    period and value; ``model`` the fitted baseline (``lingtan compliance enpi``) if any."""

    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=32)
    baseline_value: float | None = None
    baseline_period: str | None = Field(default=None, max_length=32)
    drivers: list[str] = Field(default_factory=list, max_length=6)
    model: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _model(self) -> Enpi:
        """A model is the output of ``lingtan compliance enpi`` (lingtan.compliance.enpi):
        its coefficients name the intercept and this record's drivers."""
        if self.model is not None:
            coef = self.model.get("coefficients")
            if not isinstance(coef, dict) or set(coef) != {"intercept", *self.drivers}:
                raise ValueError(
                    "model.coefficients: the intercept and exactly the record's drivers"
                )
        return self


class Objective(_Strict):
    """能源目标 and 能源指标 (GB/T 23331-2020 6.2) with the action plan's measures."""

    statement: str = Field(min_length=1, max_length=1000)
    target_value: float | None = None
    unit: str | None = Field(default=None, max_length=32)
    due: dt.date | None = None


class AuditFinding(_Strict):
    """内部审核 finding (GB/T 23331-2020 9.2) and its corrective action (10.1)."""

    clause: str = Field(min_length=1, max_length=32, description="clause of GB/T 23331")
    finding: str = Field(min_length=1, max_length=2000)
    nonconformity: bool = True
    corrective_action: str | None = Field(default=None, max_length=2000)
    due: dt.date | None = None
    closed_on: dt.date | None = None


class ManagementReview(_Strict):
    """管理评审 (GB/T 23331-2020 9.3): inputs considered and decisions."""

    held_on: dt.date
    inputs: list[str] = Field(min_length=1, max_length=50)
    decisions: list[str] = Field(default_factory=list, max_length=50)


class CpOption(_Strict):
    """A cleaner-production option (清洁生产方案)."""

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    cost_class: Literal["no_low", "medium_high"]
    investment_cny: float | None = Field(default=None, ge=0)
    status: Literal["proposed", "implemented", "rejected"] = "proposed"
    measure_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="the verified measure"
    )


CP_STAGES = (
    "planning", "pre_assessment", "assessment", "options", "feasibility", "implementation",
    "continuation",
)  # fmt: skip


class CleanerProductionAudit(_Strict):
    """清洁生产审核 (《清洁生产审核办法》, the seven stages of the audit guidelines): stage
    reached, options, results."""

    stage: Literal[
        "planning", "pre_assessment", "assessment", "options", "feasibility",
        "implementation", "continuation",
    ]  # fmt: skip
    started_on: dt.date
    auditor: str | None = Field(default=None, max_length=200)
    options: list[CpOption] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _codes(self) -> CleanerProductionAudit:
        codes = [o.code for o in self.options]
        if len(codes) != len(set(codes)):
            raise ValueError("option codes repeat")
        return self


class Flow(_Strict):
    """A flow between enterprises (waste heat, steam, by-product, green power), declared as a
    quantity or metered through ``point``."""

    supplier_id: int = Field(ge=1, le=MAX_ID)
    receiver_id: int = Field(ge=1, le=MAX_ID)
    carrier: str = Field(min_length=1, max_length=64)
    unit: str = Field(min_length=1, max_length=16)
    quantity: float | None = Field(default=None, ge=0, description="declared quantity")
    point: str | None = Field(default=None, max_length=64, description="metering point code")

    @model_validator(mode="after")
    def _source(self) -> Flow:
        if (self.quantity is None) == (self.point is None):
            raise ValueError("give either a declared quantity or a metering point")
        if self.supplier_id == self.receiver_id:
            raise ValueError("supplier and receiver are the same enterprise")
        return self


class CircularProject(_Strict):
    """循环经济 / 碳互补 project between enterprises: the flows, and the factors turning a
    flow's quantity into avoided energy and carbon (each citing its record)."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["waste_heat", "steam", "by_product", "green_power", "water", "other"]
    flows: list[Flow] = Field(min_length=1, max_length=20)
    energy_factor: Factor | None = None
    carbon_factor: Factor | None = None


class SubmittedValue(_Strict):
    """A value the building's plan declares and the design standard's limit it is checked
    against (the limit a reference record; null with confidence L when not known)."""

    name: str = Field(min_length=1, max_length=100)
    value: float
    unit: str = Field(min_length=1, max_length=32)
    limit: float | None = None
    limit_kind: Literal["max", "min"] = "max"
    limit_record: str | None = Field(default=None, max_length=200)
    limit_confidence: Confidence = "L"


class BuildingReview(_Strict):
    """建筑节能审查 of a new or retrofitted building (7.3.11): submitted values against the
    applicable design standard, the decision, the post-occupancy comparison with metered
    energy use intensity (EUI) of the site's boundary points."""

    building: str = Field(min_length=1, max_length=200)
    site_code: str | None = Field(default=None, max_length=64)
    floor_area_m2: float = Field(gt=0)
    design_standard: str = Field(min_length=1, max_length=200)
    submitted: list[SubmittedValue] = Field(default_factory=list, max_length=50)
    design_eui_kwh_m2: float | None = Field(default=None, gt=0)
    decision: Literal["pending", "approved", "approved_with_conditions", "rejected"] = "pending"
    decided_on: dt.date | None = None


RECORD_KINDS: dict[str, type[BaseModel]] = {
    "energy_review": EnergyReview,
    "significant_use": SignificantUse,
    "enpi": Enpi,
    "objective": Objective,
    "audit_finding": AuditFinding,
    "management_review": ManagementReview,
    "cleaner_production_audit": CleanerProductionAudit,
    "circular_project": CircularProject,
    "building_review": BuildingReview,
}
#: the kinds' names (zh-CN, en)
RECORD_NAMES: dict[str, tuple[str, str]] = {
    "energy_review": ("能源评审", "Energy review"),
    "significant_use": ("主要能源使用", "Significant energy use"),
    "enpi": ("能源绩效参数与基准", "EnPI and baseline"),
    "objective": ("能源目标", "Objective"),
    "audit_finding": ("内部审核发现与纠正措施", "Internal audit finding"),
    "management_review": ("管理评审", "Management review"),
    "cleaner_production_audit": ("清洁生产审核", "Cleaner-production audit"),
    "circular_project": ("循环经济与碳互补项目", "Circular project"),
    "building_review": ("建筑节能审查", "Building review"),
}
#: kinds that belong to the energy management system (GB/T 23331)
ENMS_KINDS = frozenset(
    {"energy_review", "significant_use", "enpi", "objective", "audit_finding", "management_review"}
)
#: kinds the park alone keeps (an enterprise user may read its own, not write them)
PARK_KINDS = frozenset({"building_review"})
RecordKind = Literal[
    "energy_review", "significant_use", "enpi", "objective", "audit_finding",
    "management_review", "cleaner_production_audit", "circular_project", "building_review",
]  # fmt: skip


class RecordIn(_Strict):
    """A programme record: its kind, owner (None: the park's), title, status, document, the
    data it cites."""

    kind: RecordKind
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    title: str = Field(min_length=1, max_length=200)
    status: Literal["open", "closed"] = "open"
    body: dict[str, Any]
    cites: Cites = Field(default_factory=Cites)
