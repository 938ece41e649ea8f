"""The park's options: one stored, versioned set of the choices behind every number (pure).

Where the public texts leave room (docs/standards.md, "Options"), lingtan makes a named choice and
prints it with every result. Those choices used to be made separately by each caller (the CLI,
the library, the dashboard, the reports), so the same data could give different numbers. They are
now **one park setting**: :class:`ParkOptions`, stored per park as numbered versions (never
edited in place), read by the accounting, the indicators, the reports, the API and the dashboard
alike. A caller may override an option for one computation (a what-if); the result then names the
version it started from and the options it changed.

This module is pure (no store, no SQL): the store keeps the options as plain data and the
consumers derive their own option objects from a :class:`ParkOptions`
(:meth:`ParkOptions.accounting`, ``MeteringOptions.of``, ``IndicatorOptions.of``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from lingtan.carbon.activity import FUELS
from lingtan.carbon.inventory import CONVERSION_NAMES, ONSITE_NAMES, AccountingOptions
from lingtan.errors import InvalidInput

ElectricityConversion = Literal["equivalent", "equal_value"]
NaturalGasKind = Literal["oil_field", "gas_field"]
OnsiteRenewable = Literal["included", "excluded"]
ParkFossilFactor = Literal["annex4", "mee_data_year"]
GridFactorYear = Literal["same_or_latest_before", "same_year"]
MeteredFuelUse = Literal["terminal", "power", "heat"]
HeatKind = Literal["fossil", "non_fossil"]
ExportKind = Literal["pv_first", "non_fossil", "fossil"]
SupplementAllocation = Literal["pro_rata_months", "refuse"]
OnIncomplete = Literal["not_assessable", "flag"]
WaterIntake = Literal["entered_then_metered", "entered", "metered"]

#: the allowed values of each option with a closed set of choices
CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "electricity_conversion": get_args(ElectricityConversion),
    "natural_gas_kind": get_args(NaturalGasKind),
    "onsite_renewable": get_args(OnsiteRenewable),
    "park_fossil_factor": get_args(ParkFossilFactor),
    "grid_factor_year": get_args(GridFactorYear),
    "fuel_use": get_args(MeteredFuelUse),
    "heat_kind": get_args(HeatKind),
    "export_kind": get_args(ExportKind),
    "supplement_allocation": get_args(SupplementAllocation),
    "on_incomplete": get_args(OnIncomplete),
    "water_intake": get_args(WaterIntake),
}

#: fuels a ``coal`` meter may stand for (coal group, metered by mass)
COAL_FUELS: Final[tuple[str, ...]] = tuple(
    f for f, spec in FUELS.items() if spec.group == "coal" and spec.dimension == "mass"
)

#: Chinese and English name of each option, for listings and the dashboard
OPTION_NAMES: Final[dict[str, tuple[str, str]]] = {
    "electricity_conversion": ("电力折标准煤方法", "electricity to standard coal"),
    "natural_gas_kind": ("天然气折标准煤（GB/T 2589）", "natural gas to standard coal (GB/T 2589)"),
    "onsite_renewable": ("厂区自发可再生电力", "on-site renewable generation"),
    "park_fossil_factor": ("园区化石电力排放因子", "park fossil-power factor"),
    "grid_factor_year": ("电网排放因子年份", "grid factor year"),
    "fuel_editions": ("燃料缺省值版本顺序", "fuel default editions, in order"),
    "grid_series_id": ("逐时电网因子序列", "hourly grid factor series"),
    "coal_fuel": ("煤炭计量点煤种", "coal type of coal meters"),
    "fuel_use": ("计量燃料用途", "use of metered fuels"),
    "heat_kind": ("外购热力/蒸汽", "purchased heat and steam"),
    "export_kind": ("上网/送出电量", "exported electricity"),
    "supplement_allocation": ("年度补充数据分摊", "annual supplements in shorter periods"),
    "natural_gas_clean": ("天然气计入清洁能源", "natural gas counts as clean"),
    "green_certificates_clean": ("绿证/绿电交易电量计入清洁能源", "certified green power is clean"),
    "completeness_threshold": ("数据完整率阈值", "completeness threshold"),
    "on_incomplete": ("数据不完整时", "when data are incomplete"),
    "target_set": ("目标值", "target set"),
    "target_year": ("目标年", "target year"),
    "base_year": ("基准年", "base year"),
    "water_intake": ("取水量来源", "water intake from"),
    "product_coverage_min": (
        "产品单位能耗达标评价最低覆盖率",
        "minimum coverage of the product unit-energy indicator",
    ),
    "indicator_profiles": ("指标体系配置", "indicator profiles"),
    "park_type": ("园区类型（指标体系）", "park type (for profiles)"),
    "metering_remainder_max": (
        "计量树未计量差额告警阈值",
        "metering-tree unmetered remainder threshold",
    ),
}

#: Chinese and English wording of each choice
CHOICE_NAMES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "electricity_conversion": dict(CONVERSION_NAMES),
    "natural_gas_kind": {
        "oil_field": ("油田天然气参考系数 1.3300 kgce/m³", "oil-field gas, 1.3300 kgce/m³"),
        "gas_field": ("气田天然气参考系数 1.2143 kgce/m³", "gas-field gas, 1.2143 kgce/m³"),
    },
    "onsite_renewable": dict(ONSITE_NAMES),
    "park_fossil_factor": {
        "annex4": ("附件4 规定的 0.8325 kgCO2/kWh", "0.8325 kgCO2/kWh as 附件4 prescribes"),
        "mee_data_year": ("数据年份的全国化石电力因子", "national fossil factor of the data year"),
    },
    "grid_factor_year": {
        "same_or_latest_before": ("数据年份，无则此前最近年份", "data year, else latest before"),
        "same_year": ("仅数据年份", "data year only"),
    },
    "coal_fuel": {f: (s.name_zh, s.name_en) for f, s in FUELS.items()},
    "fuel_use": {
        "terminal": ("终端消费", "final use"),
        "power": ("发电", "power generation"),
        "heat": ("供热", "heat supply"),
    },
    "heat_kind": {
        "fossil": ("化石能源热力（0.11 tCO2/GJ）", "fossil heat (0.11 tCO2/GJ)"),
        "non_fossil": ("非化石能源热力（因子为 0）", "non-fossil heat (factor 0)"),
    },
    "export_kind": {
        "pv_first": (
            "同一小时内先计为本主体光伏电量（非化石），超出部分计为化石电力",
            "non-fossil up to the owner's PV generation of the hour, fossil beyond",
        ),
        "non_fossil": ("全部计为非化石电力（不扣减）", "all non-fossil (nothing deducted)"),
        "fossil": ("全部计为化石电力（按 0.8325 扣减）", "all fossil (deducted at 0.8325)"),
    },
    "supplement_allocation": {
        "pro_rata_months": ("按月份比例计入", "pro rata by months"),
        "refuse": ("不予计入（拒绝短于一年的期间）", "refused for periods shorter than a year"),
    },
    "on_incomplete": {
        "not_assessable": ("不予评价", "not assessable"),
        "flag": ("照常评价并提示", "judged, with a warning"),
    },
    "water_intake": {
        "entered_then_metered": ("优先填报记录，否则取水表", "entered records, else water meters"),
        "entered": ("仅填报记录", "entered records only"),
        "metered": ("仅取水表", "water meters only"),
    },
}


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "yes", "1")
    raise InvalidInput(f"{name} must be true or false, got {value!r}", field=name)


def _int(name: str, value: Any, *, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a year, got {value!r}", field=name) from None
    if isinstance(value, float) and value != number:
        raise InvalidInput(f"{name} must be a whole year, got {value!r}", field=name)
    if not low <= number <= high:
        raise InvalidInput(f"{name} must lie in {low}..{high}, got {number}", field=name)
    return number


@dataclass(frozen=True, slots=True)
class ParkOptions:
    """The park's options (see the module docstring; docs/standards.md explains each default)."""

    # -- accounting (910号 附件4, GB/T 32150, GB/T 2589) -----------------------------------------
    #: 当量值 (default) or 等价值 when converting electricity to tce
    electricity_conversion: ElectricityConversion = "equivalent"
    #: GB/T 2589-2020 annex A kind of natural gas that names none (without a measured NCV)
    natural_gas_kind: NaturalGasKind = "oil_field"
    #: whether on-site renewable generation counts in 综合能源消费量
    onsite_renewable: OnsiteRenewable = "included"
    #: the park basis's fossil-power factor: 附件4's 0.8325 or the data year's MEE value
    park_fossil_factor: ParkFossilFactor = "annex4"
    #: which year's location-based grid factor
    grid_factor_year: GridFactorYear = "same_or_latest_before"
    #: guideline editions of fuel defaults, tried in this order
    fuel_editions: tuple[str, ...] = AccountingOptions().fuel_editions
    #: an hourly grid factor series for location-based scope 2 (None: the annual factor)
    grid_series_id: str | None = None
    # -- metered activity (how the store's carriers become activity) ---------------------------
    #: the fuel a ``coal`` meter stands for: a coal-group fuel of the activity format, by mass
    coal_fuel: str = "bituminous_coal"
    fuel_use: MeteredFuelUse = "terminal"
    heat_kind: HeatKind = "fossil"
    export_kind: ExportKind = "pv_first"
    supplement_allocation: SupplementAllocation = "pro_rata_months"
    # -- indicators ------------------------------------------------------------------------------
    natural_gas_clean: bool = False
    green_certificates_clean: bool = True
    completeness_threshold: float = 0.90
    on_incomplete: OnIncomplete = "not_assessable"
    target_set: str = "national"
    target_year: int | None = None
    base_year: int = 2025

    water_intake: WaterIntake = "entered_then_metered"
    #: share of the park's products (product output records) that must be assessed against a
    #: limit standard before 园区企业产出产品单位能耗达标 is judged (lingtan's default, no
    #: standard sets it: below it the indicator is "insufficient data", never 100 % of 1 of 19)
    product_coverage_min: float = 0.80
    #: indicator profiles the park is evaluated against, the first the main one
    #: (:mod:`lingtan.indicators.profiles`: a shipped name or a profile file)
    indicator_profiles: tuple[str, ...] = ("national",)
    #: the park's type in profiles that distinguish types (e.g. chemical / non_chemical)
    park_type: str | None = None
    #: the dashboard's metering tree highlights a parent whose unmetered remainder (parent −
    #: Σ children, 未计量差额) exceeds this share of the parent either way (lingtan's default,
    #: no standard sets it: meter error plus losses of the park's own network stay below it)
    metering_remainder_max: float = 0.05

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise InvalidInput(
                    f"{name} must be one of {', '.join(allowed)}, got {value!r}", field=name
                )
        coal = COAL_FUELS
        if self.coal_fuel not in coal:
            raise InvalidInput(
                f"coal_fuel must be one of {', '.join(coal)}, got {self.coal_fuel!r}",
                field="coal_fuel",
            )
        if not isinstance(self.fuel_editions, tuple) or not all(
            isinstance(e, str) and e for e in self.fuel_editions
        ):
            raise InvalidInput("fuel_editions is a list of edition ids", field="fuel_editions")
        if not 0 < self.completeness_threshold <= 1:
            raise InvalidInput(
                "completeness_threshold lies in (0, 1]", field="completeness_threshold"
            )
        if not self.target_set:
            raise InvalidInput("target_set names a target set", field="target_set")
        if not 0 < self.product_coverage_min <= 1:
            raise InvalidInput("product_coverage_min lies in (0, 1]", field="product_coverage_min")
        if (
            not isinstance(self.indicator_profiles, tuple)
            or not self.indicator_profiles
            or not all(isinstance(p, str) and p for p in self.indicator_profiles)
        ):
            raise InvalidInput(
                "indicator_profiles is a non-empty list of profile names",
                field="indicator_profiles",
            )
        if not 0 < self.metering_remainder_max < 1:
            raise InvalidInput(
                "metering_remainder_max lies in (0, 1)", field="metering_remainder_max"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParkOptions:
        """Options from plain data (a stored version, a park file, an API body); options not
        named keep their default, unknown names are refused."""
        return cls().replace(data)

    def replace(self, changes: Mapping[str, Any]) -> ParkOptions:
        """These options with ``changes`` (names → values, as plain data) applied."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise InvalidInput(
                f"unknown option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                field=unknown[0],
            )
        values: dict[str, Any] = {}
        for name, value in changes.items():
            values[name] = _coerce(name, value)
        return dataclasses.replace(self, **values)

    def as_dict(self) -> dict[str, Any]:
        """The options as plain data (JSON-ready)."""
        data = dataclasses.asdict(self)
        data["fuel_editions"] = list(self.fuel_editions)
        data["indicator_profiles"] = list(self.indicator_profiles)
        return data

    def changed(self, other: ParkOptions) -> dict[str, Any]:
        """The options whose value differs in ``other``, with ``other``'s value."""
        mine, theirs = self.as_dict(), other.as_dict()
        return {k: v for k, v in theirs.items() if mine[k] != v}

    def accounting(self) -> AccountingOptions:
        """The options of :func:`lingtan.carbon.account`."""
        return AccountingOptions(
            electricity_conversion=self.electricity_conversion,
            natural_gas_kind=self.natural_gas_kind,
            park_fossil_factor=self.park_fossil_factor,
            grid_factor_year=self.grid_factor_year,
            fuel_editions=self.fuel_editions,
            grid_series_id=self.grid_series_id,
            onsite_renewable=self.onsite_renewable,
        )

    def describe(self, lang: str = "zh") -> list[str]:
        """One readable line per option: its name and its value's wording."""
        i = 0 if lang == "zh" else 1
        lines = []
        for name, value in self.as_dict().items():
            shown = CHOICE_NAMES.get(name, {}).get(str(value))
            text = shown[i] if shown else _plain(value, lang)
            lines.append(f"{OPTION_NAMES[name][i]}：{text}" if i == 0 else
                         f"{OPTION_NAMES[name][i]}: {text}")  # fmt: skip
        return lines


def _plain(value: Any, lang: str) -> str:
    if value is None:
        return "无" if lang == "zh" else "none"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, list | tuple):
        return "、".join(map(str, value)) if lang == "zh" else ", ".join(map(str, value))
    return str(value)


def _coerce(name: str, value: Any) -> Any:
    """A plain value (from JSON, YAML or a ``name=value`` argument) as the option's type."""
    if name in ("natural_gas_clean", "green_certificates_clean"):
        return _bool(name, value)
    if name == "base_year":
        return _int(name, value, low=2000, high=2100)
    if name == "target_year":
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        return _int(name, value, low=2000, high=2100)
    if name in ("completeness_threshold", "product_coverage_min", "metering_remainder_max"):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"{name} must be a number, got {value!r}", field=name) from None
    if name == "fuel_editions":
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        if isinstance(value, list | tuple):
            return tuple(value)
        raise InvalidInput("fuel_editions is a list of edition ids", field=name)
    if name == "indicator_profiles":
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        if isinstance(value, list | tuple):
            return tuple(value)
        raise InvalidInput("indicator_profiles is a list of profile names", field=name)
    if name in ("grid_series_id", "park_type"):
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        if not isinstance(value, str):
            raise InvalidInput(f"{name} is an id", field=name)
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, got {value!r}", field=name)
    return value


DEFAULTS: Final[ParkOptions] = ParkOptions()


@dataclass(frozen=True, slots=True)
class OptionsVersion:
    """One stored version of a park's options (version 0: the defaults, never stored)."""

    park_id: int
    version: int
    options: ParkOptions
    #: µs since the epoch (None for version 0)
    changed_at: int | None = None
    changed_by: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "version": self.version,
            "options": self.options.as_dict(),
            "changed_at": self.changed_at,
            "changed_by": self.changed_by,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class UsedOptions:
    """The options one computation used: a stored version, and any overrides of it."""

    base: OptionsVersion
    options: ParkOptions

    @classmethod
    def of(cls, base: OptionsVersion, overrides: Mapping[str, Any] | None = None) -> UsedOptions:
        """``base``'s options with ``overrides`` applied (None or empty: exactly the version)."""
        options = base.options.replace(overrides) if overrides else base.options
        return cls(base, options)

    @property
    def overrides(self) -> dict[str, Any]:
        """The options that differ from the stored version."""
        return self.base.options.changed(self.options)

    def as_dict(self) -> dict[str, Any]:
        """What every result carries: the version, its values and what was overridden."""
        return {
            "park_options_version": self.base.version,
            "values": self.options.as_dict(),
            "overrides": self.overrides,
        }
