"""Alarm rules: declarative records (park file ``alarms.rules``, API, CLI).

A rule names what it watches (``kind`` and its parameters), whom it is about (``scope``: a
point, a group of points by carrier, enterprise, site or point kind, or an enterprise / the park
for budget rules), how urgent it is, and how the workflow treats it (hold, hysteresis, settle and
escalation times). Rules are validated here, field by field; that the points, enterprises and
sites they name exist is checked against the park (:func:`check_references`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from lingtan.alarms.model import RuleKind, Severity
from lingtan.errors import InvalidInput

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
Code = Annotated[str, Field(pattern=_CODE, description="letters, digits, _ . : - (max 64)")]
Minutes = Annotated[float, Field(ge=0, le=525_600, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]

#: quality conditions a rule can watch: the normalisation flags of an hour
#: (lingtan.normalize.quality.Flag), its label, and readings quarantined at ingest
QUALITY_CONDITIONS = (
    "missing",  # an hour with no information (label missing)
    "estimated",  # an hour with estimated seconds (label estimated or partial)
    "gap",
    "reset",
    "rollover",
    "spike",
    "jump",
    "replacement",
    "member_missing",
    "rejected",  # a reading of the point quarantined at ingest
)
QualityCondition = Literal[
    "missing", "estimated", "gap", "reset", "rollover", "spike", "jump", "replacement",
    "member_missing", "rejected",
]  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Scope(_Strict):
    """Whom a rule is about. Point rules match every point that meets all the criteria given;
    budget rules take ``enterprise`` (absent: the park)."""

    points: list[Code] | None = Field(default=None, min_length=1, description="point codes")
    enterprise: Code | None = Field(
        default=None, description="an enterprise code, or 'park' for the park's own points"
    )
    site: Code | None = Field(default=None, description="a site or building code")
    carriers: list[str] | None = Field(default=None, min_length=1)
    point_kinds: list[Literal["total_increasing", "total", "interval", "measurement"]] | None = (
        Field(default=None, min_length=1)
    )
    boundary: bool | None = Field(default=None, description="only boundary (or only inner) points")
    tags: list[Code] | None = Field(
        default=None, min_length=1, description="points carrying any of these tags (park file)"
    )


class _Rule(_Strict):
    code: Code = Field(alias="id", description="the rule's code, unique in the park")
    name: str = Field(min_length=1, max_length=200)
    severity: Severity = Severity.MINOR
    scope: Scope = Field(default_factory=Scope)
    enabled: bool = True
    description: str | None = Field(default=None, max_length=2000)
    #: a cleared alarm re-opens when the condition returns within this time, and is closed
    #: automatically after it (de-duplication of a flapping condition)
    settle_min: Minutes = 60.0
    #: an alarm of severity 重要 or 紧急 still unacknowledged after this is escalated
    escalate_after_min: Minutes | None = Field(default=30.0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ThresholdRule(_Rule):
    """A value above ``high``, below ``low`` or outside [low, high] for at least ``hold_min``;
    once raised it clears only ``hysteresis`` inside the limit."""

    kind: Literal[RuleKind.THRESHOLD] = RuleKind.THRESHOLD
    on: Literal["reading", "hour", "day"] = Field(
        default="reading",
        description="reading: each reading as received (measurements, registers); hour/day: "
        "the normalised hourly or daily statistic",
    )
    statistic: Literal["value", "mean", "min", "max"] = Field(
        default="value", description="for on=hour/day: consumption (value) or mean/min/max"
    )
    op: Literal["above", "below", "outside"]
    high: Finite | None = None
    low: Finite | None = None
    hold_min: Minutes = 0.0
    hysteresis: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0

    @model_validator(mode="after")
    def _band(self) -> ThresholdRule:
        if self.op in ("above", "outside") and self.high is None:
            raise ValueError(f"high: required for op={self.op}")
        if self.op in ("below", "outside") and self.low is None:
            raise ValueError(f"low: required for op={self.op}")
        if self.op == "outside" and self.low is not None and self.high is not None:
            if not self.low < self.high:
                raise ValueError(f"low: {self.low} must be below high {self.high}")
            if self.hysteresis * 2 >= self.high - self.low:
                raise ValueError("hysteresis: must be less than half the band (high - low)")
        return self


class RateOfChangeRule(_Rule):
    """A step larger than ``max_step`` within ``within_min`` (each reading as received)."""

    kind: Literal[RuleKind.RATE_OF_CHANGE] = RuleKind.RATE_OF_CHANGE
    max_step: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    within_min: Annotated[float, Field(gt=0, le=10_080, allow_inf_nan=False)]
    direction: Literal["rise", "fall", "either"] = "either"
    hold_min: Minutes = 0.0


class FreshnessRule(_Rule):
    """No reading for more than ``factor`` × the point's nominal interval (comms loss)."""

    kind: Literal[RuleKind.FRESHNESS] = RuleKind.FRESHNESS
    factor: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)] = 3.0


class QualityRule(_Rule):
    """An hour of the point with one of ``conditions`` (normalisation flags and labels), or a
    reading of it quarantined at ingest."""

    kind: Literal[RuleKind.QUALITY] = RuleKind.QUALITY
    conditions: list[QualityCondition] = Field(min_length=1)


class BudgetRule(_Rule):
    """An enterprise's (or the park's) month projected above ``target``: ``consumption`` of a
    carrier in its unit, or ``emissions`` in tCO2 (the inventory's total)."""

    kind: Literal[RuleKind.BUDGET] = RuleKind.BUDGET
    metric: Literal["consumption", "emissions"]
    carrier: str | None = None
    unit: str | None = None
    target: Annotated[float, Field(gt=0, allow_inf_nan=False, le=1e15)]
    warn_pct: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = 100.0
    hysteresis_pct: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.0
    #: no projection before this share of the month has passed (the first hours project wildly)
    min_elapsed_h: Annotated[float, Field(ge=0, le=744, allow_inf_nan=False)] = 24.0

    @model_validator(mode="after")
    def _metric(self) -> BudgetRule:
        if self.metric == "consumption" and (self.carrier is None or self.unit is None):
            raise ValueError("carrier: consumption budgets name the carrier and its unit")
        if self.hysteresis_pct >= self.warn_pct:
            raise ValueError("hysteresis_pct: must be below warn_pct")
        s = self.scope
        if s.points or s.site or s.carriers or s.point_kinds or s.tags:
            raise ValueError("scope: a budget rule is about an enterprise or the park only")
        return self


class Expected(_Strict):
    """What a value is expected to be: a constant, or the sum of other points' statistics."""

    value: Finite | None = None
    points: list[Code] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> Expected:
        if (self.value is None) == (self.points is None):
            raise ValueError("expected: give exactly one of value or points")
        return self


class DeviationRule(_Rule):
    """The point's hourly (or daily) statistic departing from ``expected`` by more than
    ``max_pct`` % (and ``min_abs``), e.g. a main meter against the sum of its sub-meters."""

    kind: Literal[RuleKind.DEVIATION] = RuleKind.DEVIATION
    on: Literal["hour", "day"] = "hour"
    statistic: Literal["value", "mean", "min", "max"] = "value"
    expected: Expected
    max_pct: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]
    min_abs: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    hold_min: Minutes = 0.0
    hysteresis_pct: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0

    @model_validator(mode="after")
    def _band(self) -> DeviationRule:
        if self.hysteresis_pct >= self.max_pct:
            raise ValueError("hysteresis_pct: must be below max_pct")
        return self


#: the checks of the hazardous-waste ledger (lingtan.waste.alarms; docs/waste.md)
WasteCheck = Literal[
    "mass_balance", "plan_deviation", "storage_time", "storage_capacity", "receipt_difference",
    "manifest_open",
]  # fmt: skip


class WasteRule(_Rule):
    """A check of an enterprise's hazardous-waste ledger (every enterprise of the park for a
    park rule): the mass balance per stream and month beyond ``tolerance_t`` and
    ``tolerance_pct`` of the generation; generation projected beyond ``max_pct`` of the
    year's plan (偏离度, once ``min_elapsed_days`` of the year have passed); stored waste within
    ``warn_days`` of, or past, the storage-time limit; storage above a facility's capacity; a
    manifest received with a quantity differing by more than ``tolerance_t`` (or
    ``tolerance_pct`` of what was sent, the larger); a manifest open
    (dispatched, not closed) longer than ``open_days``. ``source``: the rule's source, named
    in each alarm (default: the source of the check's reference record)."""

    kind: Literal[RuleKind.WASTE] = RuleKind.WASTE
    check: WasteCheck
    tolerance_t: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = 0.001
    tolerance_pct: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.0
    max_pct: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)] = 20.0
    min_elapsed_days: Annotated[int, Field(ge=0, le=366)] = 90
    warn_days: Annotated[int, Field(ge=0, le=365)] = 30
    open_days: Annotated[int, Field(ge=1, le=3650)] = 30
    #: storage_time: only waste past the limit (not the warning before it)
    over_only: bool = False
    source: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _scope(self) -> WasteRule:
        s = self.scope
        if s.points or s.site or s.carriers or s.point_kinds or s.tags or s.boundary is not None:
            raise ValueError("scope: a waste rule is about an enterprise or the park only")
        return self


class DispatchRule(_Rule):
    """A dispatch setpoint the park's devices did not confirm (lingtan.dispatch.alarms):
    ``check: setpoint`` — the newest write of a device within ``within_min`` failed (read-back
    mismatch, timeout, device exception, or refused outside the device's limits);
    ``check: tracking`` — the newest tracked step of a device within ``within_min`` has a
    measured power outside its tolerance of the setpoint; ``check: lighting`` — the newest
    level written to a public-lighting circuit within ``within_min`` failed
    (lingtan.equipment.lighting_apply). About the park only."""

    kind: Literal[RuleKind.DISPATCH] = RuleKind.DISPATCH
    check: Literal["setpoint", "tracking", "lighting"] = "setpoint"
    within_min: Annotated[float, Field(gt=0, le=10_080, allow_inf_nan=False)] = 60.0

    @model_validator(mode="after")
    def _scope(self) -> DispatchRule:
        s = self.scope
        if s.points or s.site or s.carriers or s.point_kinds or s.tags or s.boundary is not None:
            raise ValueError("scope: a dispatch rule is about the park only")
        if s.enterprise not in (None, "park"):
            raise ValueError("scope: a dispatch rule is about the park only")
        return self


#: the checks of a monitoring station (lingtan.environment.alarms; docs/environment.md)
EnvironmentCheck = Literal["comms_loss", "o3_8h", "indoor_range", "invalid_day"]


class EnvironmentRule(_Rule):
    """A check of one monitoring station (lingtan.environment): ``comms_loss`` — nothing
    received from the station for more than ``silence_min`` minutes (通信中断); ``o3_8h`` —
    the O3 daily maximum 8-h mean of the last whole local day above the station's GB 3095-2012
    class limit; ``indoor_range`` — the last settled hourly mean of ``parameter`` outside its
    GB/T 18883 range for the season; ``invalid_day`` — a parameter of an air station with
    fewer valid hourly values in the last whole local day than GB 3095-2012 表4 asks for a
    daily statistic (数据无效日)."""

    kind: Literal[RuleKind.ENVIRONMENT] = RuleKind.ENVIRONMENT
    check: EnvironmentCheck
    station: Code
    parameter: str | None = Field(default=None, max_length=31)
    silence_min: Annotated[int, Field(ge=1, le=10_080)] = 180

    @model_validator(mode="after")
    def _shape(self) -> EnvironmentRule:
        s = self.scope
        if s.points or s.site or s.carriers or s.point_kinds or s.tags or s.boundary is not None:
            raise ValueError("scope: a station rule is about the station's owner only")
        if self.check == "indoor_range" and not self.parameter:
            raise ValueError("parameter: required for indoor_range")
        return self


class InspectionRule(_Rule):
    """Inspection plans past their due date (lingtan.equipment.alarms): ``check: overdue`` —
    some plan of the enterprise (of the park, every enterprise's included, for a park rule)
    is more than ``grace_days`` past its next due date (pipe leaks, insulation, steam traps,
    a meter's calibration). Clears once each plan's work order is done."""

    kind: Literal[RuleKind.INSPECTION] = RuleKind.INSPECTION
    check: Literal["overdue"] = "overdue"
    grace_days: Annotated[int, Field(ge=0, le=365)] = 0

    @model_validator(mode="after")
    def _scope(self) -> InspectionRule:
        s = self.scope
        if s.points or s.site or s.carriers or s.point_kinds or s.tags or s.boundary is not None:
            raise ValueError("scope: an inspection rule is about an enterprise or the park only")
        return self


class ProgrammeRule(_Rule):
    """The energy-management programme (lingtan.programme.alarms), one alarm per record:
    ``check: measure_overdue`` — a measure of the enterprise (of the park, every enterprise's
    included, for a park rule) more than ``grace_days`` past its scheduled end (park local
    date) and neither completed, verified nor cancelled; clears when its status becomes one
    of those or its end moves later. ``check: plan_behind`` — a plan of the current year whose
    progress (lingtan.programme.progress, as the /programme page shows it) has a target
    off track; clears when every target is back on track."""

    kind: Literal[RuleKind.PROGRAMME] = RuleKind.PROGRAMME
    check: Literal["measure_overdue", "plan_behind"]
    grace_days: Annotated[int, Field(ge=0, le=365)] = 0

    @model_validator(mode="after")
    def _scope(self) -> ProgrammeRule:
        s = self.scope
        if s.points or s.site or s.carriers or s.point_kinds or s.tags or s.boundary is not None:
            raise ValueError("scope: a programme rule is about an enterprise or the park only")
        return self


Rule = Annotated[
    ThresholdRule
    | RateOfChangeRule
    | FreshnessRule
    | QualityRule
    | BudgetRule
    | DeviationRule
    | WasteRule
    | DispatchRule
    | EnvironmentRule
    | InspectionRule
    | ProgrammeRule,
    Field(discriminator="kind"),
]


class AlarmSection(_Strict):
    """The ``alarms:`` section of a park file: the park's rule set, stated in full."""

    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> AlarmSection:
        seen: set[str] = set()
        for i, r in enumerate(self.rules):
            if r.code in seen:
                raise ValueError(f"rules[{i}].id: {r.code!r} is declared twice")
            seen.add(r.code)
        return self


_RULE: TypeAdapter[Any] = TypeAdapter(Rule)
_RULES: TypeAdapter[Any] = TypeAdapter(list[Rule])

#: the kinds evaluated on each committed batch of readings
STREAMING = frozenset({RuleKind.THRESHOLD, RuleKind.RATE_OF_CHANGE})
#: the kinds whose subjects are points
POINT_KINDS = frozenset(
    {
        RuleKind.THRESHOLD,
        RuleKind.RATE_OF_CHANGE,
        RuleKind.FRESHNESS,
        RuleKind.QUALITY,
        RuleKind.DEVIATION,
    }
)


def _problem(err: ValidationError, where: str) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if x not in RuleKind._value2member_map_)
        msg = str(e["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}{'.' + loc if loc else ''}: {msg}")
    return "; ".join(lines)


def parse_rule(data: Mapping[str, Any], *, where: str = "rule") -> Any:
    """One rule from a mapping; :class:`InvalidInput` naming the field when it is invalid."""
    try:
        return _RULE.validate_python(dict(data))
    except ValidationError as err:
        raise InvalidInput(_problem(err, where)) from None


def parse_rules(items: Iterable[Mapping[str, Any]], *, where: str = "alarms.rules") -> list[Any]:
    """Rules from mappings (a park file's ``alarms.rules``); codes must be unique."""
    rules = [parse_rule(item, where=f"{where}[{i}]") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, r in enumerate(rules):
        if r.code in seen:
            raise InvalidInput(f"{where}[{i}].id: {r.code!r} is declared twice")
        seen.add(r.code)
    return rules


def rule_spec(rule: Any) -> dict[str, Any]:
    """The rule as stored and shown: its fields by their public names, defaults included."""
    return dict(rule.model_dump(mode="json", by_alias=True))


def check_references(
    rule: Any,
    *,
    points: Mapping[str, Any],
    enterprises: Iterable[str],
    sites: Iterable[str],
    carriers: Iterable[str],
    stations: Mapping[str, tuple[str, set[str]]] | None = None,
    where: str = "rule",
) -> None:
    """Refuse a rule that names a point, enterprise, site or carrier the park does not have;
    with ``stations`` (code → (kind, parameters)), a station rule whose station is unknown or
    cannot run its check (O3 8-h on a station without O3, an indoor range on an outdoor
    station or a parameter the station does not measure)."""
    if stations is not None and rule.kind is RuleKind.ENVIRONMENT:
        _check_station(rule, stations, where)
    scope = rule.scope
    enterprise_codes = set(enterprises)
    for code in scope.points or []:
        if code not in points:
            raise InvalidInput(f"{where}.scope.points: unknown point {code!r}")
    if scope.enterprise is not None and scope.enterprise != "park":
        if scope.enterprise not in enterprise_codes:
            raise InvalidInput(f"{where}.scope.enterprise: unknown enterprise {scope.enterprise!r}")
    if scope.site is not None and scope.site not in set(sites):
        raise InvalidInput(f"{where}.scope.site: unknown site {scope.site!r}")
    known_carriers = set(carriers)
    for c in scope.carriers or []:
        if c not in known_carriers:
            raise InvalidInput(f"{where}.scope.carriers: unknown carrier {c!r}")
    if rule.kind is RuleKind.BUDGET and rule.carrier is not None:
        if rule.carrier not in known_carriers:
            raise InvalidInput(f"{where}.carrier: unknown carrier {rule.carrier!r}")
    if rule.kind is RuleKind.DEVIATION and rule.expected.points:
        for code in rule.expected.points:
            if code not in points:
                raise InvalidInput(f"{where}.expected.points: unknown point {code!r}")


def _check_station(rule: Any, stations: Mapping[str, tuple[str, set[str]]], where: str) -> None:
    found = stations.get(rule.station)
    if found is None:
        raise InvalidInput(f"{where}.station: unknown station {rule.station!r}")
    kind, parameters = found
    if rule.check == "o3_8h" and (kind != "air" or "O3" not in parameters):
        raise InvalidInput(
            f"{where}.check: o3_8h needs an air station measuring O3; {rule.station} is "
            f"{kind} measuring {', '.join(sorted(parameters)) or 'nothing'}"
        )
    if rule.check == "invalid_day" and kind != "air":
        raise InvalidInput(
            f"{where}.check: invalid_day needs an air station; {rule.station} is {kind}"
        )
    if rule.check == "indoor_range":
        if kind != "indoor":
            raise InvalidInput(
                f"{where}.check: indoor_range needs an indoor station; {rule.station} is {kind}"
            )
        if rule.parameter not in parameters:
            raise InvalidInput(
                f"{where}.parameter: {rule.station} does not measure {rule.parameter!r}"
            )
