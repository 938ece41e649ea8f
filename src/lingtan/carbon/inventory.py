"""The one place that chooses which formulas and factors combine for a boundary and year.

:func:`account` takes activity data (an :class:`~lingtan.carbon.activity.Activity`, parsed from
an activity file or built by the store-backed path from aggregated hourly statistics), a
:class:`~lingtan.carbon.factors.FactorLibrary` and :class:`AccountingOptions`, and returns an
immutable :class:`Inventory`: emissions by term, energy in tce, the park intensity or the
enterprise's location- and market-based scope 2, offsets reported beside (never deducted), the
factor records used, and one explain line per term (inputs × factor = result, with the clause).

Choices made here, each a named option printed with the result:

* ``electricity_conversion`` — ``equivalent`` (当量值, default) or ``equal_value`` (等价值) when
  converting electricity to tce;
* ``park_fossil_factor`` — ``annex4`` (the 0.8325 kgCO2/kWh the annex prescribes, default) or
  ``mee_data_year`` (the MEE national fossil-power factor of the data year);
* ``grid_factor_year`` — ``same_or_latest_before`` (default: the data year's grid factor, else the
  latest earlier one published) or ``same_year``;
* ``fuel_editions`` — the order in which guideline editions of fuel defaults are tried (a
  ``measured`` record of the data year, supplied with ``--factors``, comes first);
* ``onsite_renewable`` — ``included`` (default) or ``excluded``: whether renewable electricity
  generated inside the boundary (``electricity.generated``, e.g. rooftop PV) counts in
  综合能源消费量. The park consumes what it generates, so by default electricity in tce is
  received + generated − sent, never below zero; ``excluded`` counts net receipt only
  (received − sent, never below zero);
* ``natural_gas_kind`` — the GB/T 2589 kind of natural gas that does not name one: ``oil_field``
  (油田天然气, 1.3300 kgce/m³, default: its heat value is the guideline default NCV used for the
  gas's emissions) or ``gas_field`` (气田天然气, 1.2143 kgce/m³).

Energy in tce follows GB/T 2589-2020 (折算为标准煤的要求; the rule lives in
:class:`~lingtan.carbon.resolver.FactorResolver`, which the energy statistics use too): a fuel with
a measured net calorific value — an activity-file ``ncv`` (unless ``ncv_measured: false``), a
``measured`` fuel_ncv record of the data year, or an amount metered as heat — converts through it,
NCV ÷ 29 307 kJ/kgce; every other fuel converts at the annex's reference coefficient (原煤 0.7143
kgce/kg, 柴油 1.4571 kgce/kg …), and a fuel the annex does not list through its default NCV, with a
note. Emissions always use the NCV × carbon content × oxidation path of the guidelines.

Location-based grid factors fall back from province to grid region to national; the explain line
says which level was used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from lingtan import units
from lingtan.carbon.activity import (
    DEFAULT_NATURAL_GAS_KIND,
    FUELS,
    KIND_NAMES,
    USE_NAMES_ZH,
    Activity,
    FuelAmount,
    NaturalGasKind,
    default_kind,
)
from lingtan.carbon.factors.loader import FactorLibrary, FactorRecord, FactorSeries
from lingtan.carbon.methods import gbt2589, gbt32150, gbt51366, park_annex4, scope2
from lingtan.carbon.resolver import FactorResolver, StandardCoalCoefficient
from lingtan.carbon.resolver import fmt as _fmt
from lingtan.carbon.resolver import label as _label
from lingtan.carbon.resolver import split_unit as _split_unit
from lingtan.errors import InvalidInput, NotFound

Basis = Literal["park", "enterprise", "building"]
ElectricityConversion = Literal["equivalent", "equal_value"]

#: emission terms every inventory reports, in this order; ``total`` is the sum of the others
TERMS: Final[tuple[str, ...]] = (
    "fuel",
    "conversion",
    "electricity",
    "heat",
    "process",
    "bunker",
    "total",
)
TERM_NAMES: Final[dict[str, tuple[str, str]]] = {
    "fuel": ("化石能源用作燃料", "fuel combustion"),
    "conversion": ("能源加工转换", "energy conversion"),
    "electricity": ("电力净受入", "net electricity"),
    "heat": ("热力净受入", "net heat"),
    "process": ("工业生产过程", "industrial processes"),
    "bunker": (
        "国际航空航海燃料（单列，计入总量）",
        "international bunker fuels (listed, included)",
    ),
    "carbon_sink": ("绿地碳汇", "green-space carbon sink"),
    "total": ("合计", "total"),
    "energy": ("综合能源消费量", "energy consumption"),
    "intensity": ("单位能耗碳排放", "carbon intensity of energy"),
    "scope2_location": ("范围二（基于位置）", "scope 2 (location-based)"),
    "scope2_market": ("范围二（基于市场）", "scope 2 (market-based)"),
    "total_market": (
        "排放总量（范围二基于市场）",
        "total with market-based scope 2",
    ),
    "building": ("建筑运行碳排放强度", "building operation intensity"),
}
CONVERSION_NAMES: Final[dict[str, tuple[str, str]]] = {
    "equivalent": ("当量值", "equivalent value (heat content)"),
    "equal_value": ("等价值", "equal value (thermal-power coal use)"),
}
OnsiteRenewable = Literal["included", "excluded"]
ONSITE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "included": (
        "厂区自发可再生电力计入综合能源消费量",
        "on-site renewable generation counted in energy consumption",
    ),
    "excluded": (
        "厂区自发可再生电力不计入综合能源消费量（仅计净受入）",
        "on-site renewable generation not counted (net receipt only)",
    ),
}


@dataclass(frozen=True, slots=True)
class AccountingOptions:
    """Named choices where the public text leaves room; printed with every result."""

    electricity_conversion: ElectricityConversion = "equivalent"
    park_fossil_factor: Literal["annex4", "mee_data_year"] = "annex4"
    grid_factor_year: Literal["same_or_latest_before", "same_year"] = "same_or_latest_before"
    fuel_editions: tuple[str, ...] = ("gbt32151.5-2015", "ndrc-2013-2015", "secondary-coal-table")
    #: id of an hourly or time-of-day grid factor series for location-based scope 2
    grid_series_id: str | None = None
    #: whether on-site renewable generation counts in 综合能源消费量 (module docstring)
    onsite_renewable: OnsiteRenewable = "included"
    #: GB/T 2589 kind of natural gas that names none (module docstring)
    natural_gas_kind: NaturalGasKind = DEFAULT_NATURAL_GAS_KIND

    def __post_init__(self) -> None:
        if self.natural_gas_kind not in FUELS["natural_gas"].kinds:
            raise InvalidInput(
                f"natural_gas_kind must be one of {', '.join(FUELS['natural_gas'].kinds)}",
                field="natural_gas_kind",
            )
        if self.electricity_conversion not in CONVERSION_NAMES:
            raise InvalidInput(
                f"electricity_conversion must be one of {', '.join(CONVERSION_NAMES)}",
                field="electricity_conversion",
            )
        if self.onsite_renewable not in ONSITE_NAMES:
            raise InvalidInput(
                f"onsite_renewable must be one of {', '.join(ONSITE_NAMES)}",
                field="onsite_renewable",
            )

    def as_dict(self) -> dict[str, Any]:
        """The options as plain data."""
        return {
            "electricity_conversion": self.electricity_conversion,
            "electricity_conversion_zh": CONVERSION_NAMES[self.electricity_conversion][0],
            "park_fossil_factor": self.park_fossil_factor,
            "grid_factor_year": self.grid_factor_year,
            "fuel_editions": list(self.fuel_editions),
            "grid_series_id": self.grid_series_id,
            "onsite_renewable": self.onsite_renewable,
            "onsite_renewable_zh": ONSITE_NAMES[self.onsite_renewable][0],
            "natural_gas_kind": self.natural_gas_kind,
            "natural_gas_kind_zh": KIND_NAMES[self.natural_gas_kind][0],
        }


@dataclass(frozen=True, slots=True)
class ExplainLine:
    """One line of an explanation: inputs × factor = result, with the clause."""

    term: str
    label_zh: str
    label_en: str
    expression: str
    result: float
    unit: str
    clause: str
    factor_ids: tuple[str, ...] = ()

    def text(self, lang: str = "zh") -> str:
        """The line as text in ``zh`` or ``en``."""
        label = self.label_zh if lang == "zh" else self.label_en
        ids = f" {{{', '.join(self.factor_ids)}}}" if self.factor_ids else ""
        return f"{label}: {self.expression} = {_fmt(self.result)} {self.unit} [{self.clause}]{ids}"

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The line as plain data."""
        return {
            "term": self.term,
            "text": self.text(lang),
            "result": self.result,
            "unit": self.unit,
            "clause": self.clause,
            "factor_ids": list(self.factor_ids),
        }


@dataclass(frozen=True, slots=True, eq=False)
class HourlyGrid:
    """Hourly public-grid electricity of the boundary, for an hourly factor series.

    Give the hours either as aware datetimes (``hour_starts``) or, for long arrays such as a
    year of store statistics, as epoch microseconds (``hours_us``, see :meth:`from_arrays`).
    """

    #: aware start of each hour (empty when ``hours_us`` is given)
    hour_starts: tuple[dt.datetime, ...]
    #: grid electricity in each hour [kWh]
    kwh: tuple[float, ...] | NDArray[np.float64]
    #: start of each hour as epoch microseconds (UTC); used instead of ``hour_starts`` if given
    hours_us: NDArray[np.int64] | None = None

    @classmethod
    def from_arrays(cls, hours_us: NDArray[np.int64], kwh: NDArray[np.float64]) -> HourlyGrid:
        """Hourly grid electricity from parallel arrays (hour starts in epoch µs, kWh)."""
        hours = np.asarray(hours_us, dtype=np.int64)
        values = np.asarray(kwh, dtype=np.float64)
        if hours.shape != values.shape or hours.ndim != 1:
            raise InvalidInput("hours_us and kwh need one entry per hour", field="hourly_grid")
        return cls(hour_starts=(), kwh=values, hours_us=hours)

    def factor_values(self, series: FactorSeries) -> NDArray[np.float64]:
        """The series' value in each hour [series unit]."""
        if self.hours_us is not None:
            return series.values_at_us(self.hours_us)
        values: NDArray[np.float64] = np.asarray(
            series.hourly_values(self.hour_starts), dtype=np.float64
        )
        return values


@dataclass(frozen=True, slots=True)
class EnergyParts:
    """综合能源消费量 by part, as accounted: what the clean-energy share is built from."""

    #: fuel id → tce (fuels of every use, plus conversion inputs minus outputs)
    fuels_tce: Mapping[str, float]
    #: electricity flows [kWh]: ``grid`` (green_certified included), ``green_certified``,
    #: ``direct_non_fossil``, ``generated``, ``sent_fossil``, ``sent_non_fossil``
    electricity_kwh: Mapping[str, float]
    #: electricity counted in the total [kWh], after the floor at zero
    electricity_counted_kwh: float
    #: standard-coal coefficient of electricity [tce/kWh] (当量值 or 等价值)
    electricity_tce_per_kwh: float
    #: heat received minus sent by kind (``fossil``, ``non_fossil``) [GJ]
    heat_gj: Mapping[str, float]
    #: standard-coal coefficient of heat [tce/GJ] (0 when there is no heat)
    heat_tce_per_gj: float
    #: the option the electricity term follows
    onsite_renewable: OnsiteRenewable
    total_tce: float

    @property
    def electricity_tce(self) -> float:
        """Electricity counted in the total [tce]."""
        return self.electricity_counted_kwh * self.electricity_tce_per_kwh

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "fuels_tce": dict(self.fuels_tce),
            "electricity_kwh": dict(self.electricity_kwh),
            "electricity_counted_kwh": self.electricity_counted_kwh,
            "electricity_tce_per_kwh": self.electricity_tce_per_kwh,
            "electricity_tce": self.electricity_tce,
            "heat_gj": dict(self.heat_gj),
            "heat_tce_per_gj": self.heat_tce_per_gj,
            "onsite_renewable": self.onsite_renewable,
            "total_tce": self.total_tce,
        }


@dataclass(frozen=True)
class Inventory:
    """An accounting result with everything needed to explain it later."""

    basis: Basis
    name: str
    year: int
    province: str
    #: tCO2 by term; ``total`` equals the sum of the other entries
    emissions: Mapping[str, float]
    energy_tce: float | None
    intensity_tco2_per_tce: float | None
    scope2_location_tco2: float | None
    scope2_market_tco2: float | None
    offsets: Mapping[str, float]
    factors: tuple[FactorRecord | FactorSeries, ...]
    explain: tuple[ExplainLine, ...]
    options: AccountingOptions
    building: Mapping[str, float] | None = None
    notes: tuple[str, ...] = ()
    #: the parts of ``energy_tce`` (None when energy was not computed)
    energy_parts: EnergyParts | None = None
    #: enterprise basis: the total with market-based instead of location-based purchased
    #: electricity (``emissions['total']`` is the location-based total)
    total_market_tco2: float | None = None

    @property
    def factor_ids(self) -> tuple[str, ...]:
        """Ids of every factor record and series used."""
        return tuple(f.id for f in self.factors)

    @property
    def unverified_factor_ids(self) -> tuple[str, ...]:
        """Ids of the records used that are not verified (confidence L or U, or flagged)."""
        return tuple(f.id for f in self.factors if not f.verified)

    def as_dict(self, *, explain: bool = False, lang: str = "zh") -> dict[str, Any]:
        """The inventory as plain JSON-ready data (the ``lingtan account --json`` object)."""
        data: dict[str, Any] = {
            "basis": self.basis,
            "name": self.name,
            "year": self.year,
            "province": self.province,
            "emissions_tco2": dict(self.emissions),
            "energy_tce": self.energy_tce,
            "electricity_conversion": self.options.electricity_conversion,
            "intensity_tco2_per_tce": self.intensity_tco2_per_tce,
            "scope2_location_tco2": self.scope2_location_tco2,
            "scope2_market_tco2": self.scope2_market_tco2,
            "total_location_tco2": None
            if self.total_market_tco2 is None
            else self.emissions["total"],
            "total_market_tco2": self.total_market_tco2,
            "offsets_tco2": dict(self.offsets),
            "factors": [f.brief() for f in self.factors],
            "unverified_factors": list(self.unverified_factor_ids),
            "options": self.options.as_dict(),
            "notes": list(self.notes),
            "energy_parts": None if self.energy_parts is None else self.energy_parts.as_dict(),
        }
        if self.building is not None:
            data["building"] = dict(self.building)
        if explain:
            data["explain"] = [line.as_dict(lang) for line in self.explain]
        return data


class _Resolver(FactorResolver):
    """The resolver of one inventory: a :class:`FactorResolver` with the full options."""

    options: AccountingOptions

    def __init__(self, library: FactorLibrary, options: AccountingOptions, year: int) -> None:
        super().__init__(library, options, year)


def fuel_standard_coal_coefficient(
    library: FactorLibrary,
    fuel: str,
    *,
    year: int,
    options: AccountingOptions | None = None,
    kind: str | None = None,
) -> StandardCoalCoefficient | None:
    """tce per unit of a fuel of the activity format by the rule the inventory uses (GB/T 2589:
    a measured NCV record of ``year`` ÷ 29 307 kJ/kgce, else the annex reference coefficient,
    else the default NCV of a fuel the annex does not list); None when nothing converts it."""
    return FactorResolver(library, options or AccountingOptions(), year).fuel_tce(fuel, kind)


@dataclass
class _FuelLine:
    """A fuel amount resolved to heat and factor."""

    heat_gj: float
    ef_tco2_per_gj: float
    expression: str
    factor_ids: tuple[str, ...]


def _resolve_fuel(
    item: FuelAmount,
    oxidation: float | None,
    resolver: _Resolver,
    where: str,
    *,
    full_oxidation: bool = False,
) -> _FuelLine:
    spec = FUELS[item.fuel]
    ids: list[str] = []
    if item.physical:
        if item.ncv is not None:
            heat = item.amount * item.ncv
            ncv_text = f"{_fmt(item.amount)} {item.unit} × {_fmt(item.ncv)} GJ/{item.unit} (实测)"
        else:
            record = resolver.parameter("fuel_ncv", item.fuel)
            if record is None:
                raise InvalidInput(
                    f"{where}: no default net calorific value for {item.fuel}; give a measured "
                    "ncv (and carbon_content, oxidation) or add a fuel_ncv record",
                    field=f"{where}.ncv",
                )
            ids.append(record.id)
            _, per = _split_unit(record.unit)
            amount = units.convert(item.amount, item.unit, per)
            heat = gbt32150.activity_data_fuel(amount, record.value)
            ncv_text = f"{_fmt(item.amount)} {item.unit} × {_fmt(record.value)} {record.unit}"
    else:
        heat = units.convert(item.amount, item.unit, "GJ")
        ncv_text = f"{_fmt(item.amount)} {item.unit}"
    if item.carbon_content is not None:
        cc = item.carbon_content
        cc_text = f"{_fmt(cc)} tC/GJ (实测)"
    else:
        record = resolver.parameter("fuel_carbon_content", item.fuel)
        if record is None:
            raise InvalidInput(
                f"{where}: no default carbon content for {item.fuel}; give a measured "
                "carbon_content or add a fuel_carbon_content record",
                field=f"{where}.carbon_content",
            )
        ids.append(record.id)
        cc = record.value
        cc_text = f"{_fmt(cc)} tC/GJ"
    if full_oxidation:
        of = 1.0
        of_text = "1 (附件4 二（二）2: 碳氧化率100%)"
    elif oxidation is not None:
        of = oxidation
        of_text = f"{_fmt(of)} (实测)"
    else:
        record = resolver.parameter("fuel_oxidation", item.fuel)
        if record is None:
            raise InvalidInput(
                f"{where}: no default oxidation rate for {item.fuel}; give a measured oxidation",
                field=f"{where}.oxidation",
            )
        ids.append(record.id)
        of = record.value
        of_text = _fmt(of)
    ef = gbt32150.emission_factor_fuel(cc, of)
    expression = f"{spec.name_zh} {ncv_text} × {cc_text} × {of_text} × 44/12"
    return _FuelLine(heat, ef, expression, tuple(ids))


class _Builder:
    """Collects terms and explain lines for one inventory."""

    def __init__(self) -> None:
        self.terms: dict[str, float] = {}
        self.lines: list[ExplainLine] = []

    def line(
        self,
        term: str,
        expression: str,
        result: float,
        clause: str,
        ids: Sequence[str] = (),
        unit: str = "tCO2",
        label: tuple[str, str] | None = None,
    ) -> None:
        zh, en = label or TERM_NAMES[term]
        self.lines.append(ExplainLine(term, zh, en, expression, result, unit, clause, tuple(ids)))


def _fuel_terms(activity: Activity, resolver: _Resolver, b: _Builder, clause: str) -> None:
    """fuel (terminal, power, heat) and bunker terms, with one line per item."""
    for term, uses in (("fuel", ("terminal", "power", "heat")), ("bunker", ("bunker",))):
        heats: list[float] = []
        efs: list[float] = []
        for i, item in enumerate(activity.fuels):
            if item.use not in uses:
                continue
            resolved = _resolve_fuel(item, item.oxidation, resolver, f"fuels[{i}]")
            heats.append(resolved.heat_gj)
            efs.append(resolved.ef_tco2_per_gj)
            b.line(
                term,
                f"[{USE_NAMES_ZH[item.use]}] {resolved.expression}",
                resolved.heat_gj * resolved.ef_tco2_per_gj,
                clause,
                resolved.factor_ids,
            )
        total = park_annex4.emissions_fuel_use(heats, efs) if heats else 0.0
        b.terms[term] = total
    for i, item in enumerate(activity.fuels):
        if item.use == "feedstock":
            b.line(
                "fuel",
                f"fuels[{i}] {FUELS[item.fuel].name_zh} {_fmt(item.amount)} {item.unit} 用作原料，"
                "不计入燃料燃烧",
                0.0,
                clause,
            )


def _conversion_term(activity: Activity, resolver: _Resolver, b: _Builder) -> None:
    clause = _label(park_annex4.emissions_energy_conversion)
    sides: dict[str, tuple[list[float], list[float]]] = {"in": ([], []), "out": ([], [])}
    items: list[tuple[str, str, FuelAmount]] = [
        ("in", f"conversion.inputs[{i}]", it) for i, it in enumerate(activity.conversion.inputs)
    ]
    items += [
        ("in", f"fuels[{i}]", it) for i, it in enumerate(activity.fuels) if it.use == "conversion"
    ]
    items += [
        ("out", f"conversion.outputs[{i}]", it) for i, it in enumerate(activity.conversion.outputs)
    ]
    for side, where, item in items:
        resolved = _resolve_fuel(item, None, resolver, where, full_oxidation=True)
        sides[side][0].append(resolved.heat_gj)
        sides[side][1].append(resolved.ef_tco2_per_gj)
        sign = "投入" if side == "in" else "产出 −"
        b.line(
            "conversion",
            f"{sign} {resolved.expression}",
            resolved.heat_gj * resolved.ef_tco2_per_gj * (1 if side == "in" else -1),
            clause,
            resolved.factor_ids,
        )
    if items:
        b.terms["conversion"] = park_annex4.emissions_energy_conversion(
            sides["in"][0], sides["in"][1], sides["out"][0], sides["out"][1]
        )
    else:
        b.terms["conversion"] = 0.0


def _process_term(
    activity: Activity, library: FactorLibrary, resolver: _Resolver, b: _Builder
) -> None:
    clause = _label(park_annex4.emissions_industrial_process)
    amounts: list[float] = []
    factors: list[float] = []
    for i, item in enumerate(activity.process):
        ids: tuple[str, ...] = ()
        if item.factor_id is not None:
            try:
                record = library.get(item.factor_id)
            except NotFound as err:
                raise InvalidInput(str(err), field=f"process[{i}].factor_id") from err
            if record.kind != "process" or _split_unit(record.unit)[1] != item.unit:
                raise InvalidInput(
                    f"process[{i}]: record {record.id} ({record.kind}, {record.unit}) is not a "
                    f"process factor per {item.unit}",
                    field=f"process[{i}].factor_id",
                )
            resolver.use(record)
            factor, ids = record.value, (record.id,)
        else:
            assert item.factor is not None
            factor = item.factor
        amounts.append(item.amount)
        factors.append(factor)
        b.line(
            "process",
            f"{item.product} {_fmt(item.amount)} {item.unit} × {_fmt(factor)} tCO2/{item.unit}",
            item.amount * factor,
            clause,
            ids,
        )
    b.terms["process"] = (
        park_annex4.emissions_industrial_process(amounts, factors) if amounts else 0.0
    )


def _heat_factors(
    flows: Sequence[Any], resolver: _Resolver, side: str
) -> tuple[list[float], list[float], list[str], list[str]]:
    gj: list[float] = []
    factors: list[float] = []
    texts: list[str] = []
    ids: list[str] = []
    for flow in flows:
        if flow.kind == "non_fossil":
            f, text = 0.0, "0 (非化石能源热力)"
        elif flow.factor is not None:
            f, text = flow.factor, f"{_fmt(flow.factor)} tCO2/GJ (实测)"
        else:
            record = resolver.heat_default()
            f, text = record.value, f"{_fmt(record.value)} tCO2/GJ (缺省值)"
            ids.append(record.id)
        gj.append(flow.gj)
        factors.append(f)
        texts.append(f"{side} {_fmt(flow.gj)} GJ × {text}")
    return gj, factors, texts, ids


def _kg_per_kwh_to_t(record: FactorRecord | FactorSeries, value: float) -> float:
    numerator, denominator = _split_unit(record.unit)
    # kgCO2/kWh → tCO2/kWh; tCO2/MWh → tCO2/kWh
    return units.convert(value, numerator, "tCO2") / units.convert(1.0, denominator, "kWh")


def _energy_tce(
    activity: Activity, resolver: _Resolver, b: _Builder, *, required: bool
) -> tuple[float, EnergyParts] | None:
    """GB/T 2589 comprehensive energy consumption and its parts; ``None`` (with a note) if a
    coefficient lacks and the result does not require it."""
    clause = _label(gbt2589.energy_consumption_standard_coal)
    ncv_clause = _label(gbt2589.standard_coal_coefficient_from_ncv)
    amounts: list[float] = []
    coefs: list[float] = []
    fuels_tce: dict[str, float] = {}
    items: list[tuple[str, FuelAmount, float]] = [
        (f"fuels[{i}]", it, 1.0) for i, it in enumerate(activity.fuels)
    ]
    items += [
        (f"conversion.inputs[{i}]", it, 1.0) for i, it in enumerate(activity.conversion.inputs)
    ]
    items += [
        (f"conversion.outputs[{i}]", it, -1.0) for i, it in enumerate(activity.conversion.outputs)
    ]
    for where, item, sign in items:
        spec = FUELS[item.fuel]
        line_clause = ncv_clause
        measured = item.measured_ncv
        if not item.physical:
            # an amount in GJ or kWh is a heat reading: measured heat ÷ 29 307 kJ/kgce
            gj_per_tce, cv_record = resolver.coal_heat_content_gj_per_tce()
            amount, coef = units.convert(item.amount, item.unit, "GJ"), 1.0 / gj_per_tce
            text = f"{spec.name_zh} {_fmt(amount)} GJ (实测热量) ÷ {_fmt(gj_per_tce)} GJ/tce"
            ids: tuple[str, ...] = (cv_record.id,)
        elif measured is not None:
            # GB/T 2589: a fuel with a measured NCV converts through it
            gj_per_tce, cv_record = resolver.coal_heat_content_gj_per_tce()
            amount = item.amount
            coef = gbt2589.standard_coal_coefficient_from_ncv(measured, gj_per_tce)
            text = (
                f"{spec.name_zh} {_fmt(amount)} {item.unit} × {_fmt(measured)} GJ/{item.unit} (实测)"
                f" ÷ {_fmt(gj_per_tce)} GJ/tce"
            )
            ids = (cv_record.id,)
        else:
            kind = item.kind or default_kind(item.fuel, resolver.options.natural_gas_kind)
            coefficient = resolver.fuel_tce(item.fuel, kind)
            if coefficient is None:
                message = (
                    f"{where}: no measured net calorific value, no GB/T 2589 reference "
                    f"coefficient and no default NCV for {item.fuel}; give a measured ncv or add a "
                    "fuel_ncv or standard_coal record"
                )
                if required:
                    raise InvalidInput(message, field=f"{where}.ncv")
                resolver.note(message + "; energy_tce not computed")
                return None
            amount = units.convert(item.amount, item.unit, coefficient.per)
            coef = coefficient.tce_per_unit
            name = spec.name_zh if kind is None else KIND_NAMES[kind][0]
            text = f"{name} {_fmt(item.amount)} {item.unit} × {coefficient.expression}"
            ids = tuple(r.id for r in coefficient.records)
            line_clause = coefficient.clause
        amounts.append(sign * amount)
        coefs.append(coef)
        fuels_tce[item.fuel] = fuels_tce.get(item.fuel, 0.0) + sign * amount * coef
        b.line(
            "energy",
            ("− " if sign < 0 else "") + text,
            sign * amount * coef,
            line_clause,
            ids,
            "tce",
        )
    e = activity.electricity
    flows = {
        "grid": e.received_kwh("grid"),
        "green_certified": e.received_kwh("green_certified"),
        "direct_non_fossil": e.received_kwh("direct_non_fossil"),
        "generated": e.generated_kwh(),
        "sent_fossil": e.sent_kwh("fossil"),
        "sent_non_fossil": e.sent_kwh("non_fossil"),
    }
    include = resolver.options.onsite_renewable == "included"
    sent = flows["sent_fossil"] + flows["sent_non_fossil"]
    raw = flows["grid"] + flows["direct_non_fossil"] + (flows["generated"] if include else 0.0)
    raw -= sent
    counted = max(raw, 0.0)
    elec_coef = 0.0
    if e.received or e.sent or e.generated:
        elec_coef, record = resolver.electricity_tce_per_kwh()
        amounts.append(counted)
        coefs.append(elec_coef)
        name = CONVERSION_NAMES[resolver.options.electricity_conversion][0]
        generated = f" + 厂区自发可再生 {_fmt(flows['generated'])}" if include else ""
        text = (
            f"电力 (电网 {_fmt(flows['grid'])} + 直供非化石 {_fmt(flows['direct_non_fossil'])}"
            f"{generated} − 送出 {_fmt(sent)}) kWh"
        )
        if raw < 0:
            text += f" = {_fmt(raw)} kWh, 计 0（不为负）"
            resolver.note(
                f"electricity sent ({_fmt(sent)} kWh) exceeds electricity "
                f"{'received and generated' if include else 'received'} ({_fmt(raw + sent)} kWh): "
                "electricity counts 0 tce in 综合能源消费量, never a negative amount"
            )
        text += f" × {_fmt(record.value)} {record.unit} ({name})"
        if not include and flows["generated"]:
            text += f"; 厂区自发可再生 {_fmt(flows['generated'])} kWh 不计入 (onsite_renewable=excluded)"
        b.line("energy", text, counted * elec_coef, clause, (record.id,), "tce")
    h = activity.heat
    heat_gj = {
        kind: sum(f.gj for f in h.received if f.kind == kind)
        - sum(f.gj for f in h.sent if f.kind == kind)
        for kind in ("fossil", "non_fossil")
    }
    heat_coef = 0.0
    if h.received or h.sent:
        heat_record = resolver.heat_tce()
        net_gj = sum(heat_gj.values())
        heat_coef = heat_record.value
        amounts.append(net_gj)
        coefs.append(heat_record.value)
        b.line(
            "energy",
            f"热力净受入 {_fmt(net_gj)} GJ × {_fmt(heat_record.value)} {heat_record.unit}",
            net_gj * heat_record.value,
            clause,
            (heat_record.id,),
            "tce",
        )
    total = gbt2589.energy_consumption_standard_coal(amounts, coefs) if amounts else 0.0
    parts = EnergyParts(
        fuels_tce=fuels_tce,
        electricity_kwh=flows,
        electricity_counted_kwh=counted,
        electricity_tce_per_kwh=elec_coef,
        heat_gj=heat_gj,
        heat_tce_per_gj=heat_coef,
        onsite_renewable=resolver.options.onsite_renewable,
        total_tce=total,
    )
    return total, parts


def _account_park(
    activity: Activity, library: FactorLibrary, resolver: _Resolver, b: _Builder
) -> dict[str, Any]:
    _fuel_terms(activity, resolver, b, _label(park_annex4.emissions_fuel_use))
    _conversion_term(activity, resolver, b)
    # electricity: 附件4 二（二）3①
    fossil_record = resolver.park_fossil()
    fossil = _kg_per_kwh_to_t(fossil_record, fossil_record.value)
    e = activity.electricity
    grid, green = e.received_kwh("grid"), e.received_kwh("green_certified")
    direct = e.received_kwh("direct_non_fossil")
    received = [
        ("grid", grid - green, "电网电力（非绿证绿电）"),
        ("green_certified", green, "绿证绿电"),
        ("direct_non_fossil", direct, "直供非化石能源电力"),
    ]
    sent = [
        ("fossil", e.sent_kwh("fossil"), "送出化石能源电力"),
        ("non_fossil", e.sent_kwh("non_fossil"), "送出非化石能源电力"),
    ]
    rf = [park_annex4.electricity_emission_factor(k, fossil) for k, _, _ in received]  # type: ignore[arg-type]
    sf = [park_annex4.electricity_emission_factor(k, fossil) for k, _, _ in sent]  # type: ignore[arg-type]
    clause = _label(park_annex4.emissions_electricity_net)
    parts = []
    for (kind, kwh, name), f in zip(received + sent, rf + sf, strict=True):
        sign = "−" if kind in ("fossil", "non_fossil") else "+"
        shown = fossil_record.value if f else 0.0
        parts.append(f"{sign} {name} {_fmt(kwh)} kWh × {_fmt(shown)} kgCO2/kWh")
    b.terms["electricity"] = park_annex4.emissions_electricity_net(
        [k for _, k, _ in received], rf, [k for _, k, _ in sent], sf
    )
    b.line(
        "electricity",
        " ".join(parts).lstrip("+ "),
        b.terms["electricity"],
        clause,
        (fossil_record.id,),
    )
    # heat: 附件4 二（二）3②
    rg, rfac, rtext, rids = _heat_factors(activity.heat.received, resolver, "受入")
    sg, sfac, stext, sids = _heat_factors(activity.heat.sent, resolver, "送出 −")
    b.terms["heat"] = park_annex4.emissions_heat_net(
        rg or [0.0], rfac or [0.0], sg or [0.0], sfac or [0.0]
    )
    if rtext or stext:
        b.line(
            "heat",
            "; ".join(rtext + stext),
            b.terms["heat"],
            _label(park_annex4.emissions_heat_net),
            sorted(set(rids + sids)),
        )
    _process_term(activity, library, resolver, b)
    indirect = park_annex4.emissions_indirect(b.terms["electricity"], b.terms["heat"])
    energy_activity = park_annex4.emissions_energy_activity(
        b.terms["fuel"] + b.terms["bunker"], b.terms["conversion"], indirect
    )
    total = park_annex4.emissions_park(energy_activity, b.terms["process"])
    b.terms["total"] = total
    b.line(
        "total",
        f"E能源活动 {_fmt(energy_activity)} (燃料 {_fmt(b.terms['fuel'])} + 国际航空航海 "
        f"{_fmt(b.terms['bunker'])} + 加工转换 {_fmt(b.terms['conversion'])} + 间接 {_fmt(indirect)})"
        f" + E工业过程 {_fmt(b.terms['process'])}",
        total,
        _label(park_annex4.emissions_park),
    )
    computed = _energy_tce(activity, resolver, b, required=True)
    assert computed is not None
    energy, energy_parts = computed
    intensity = park_annex4.carbon_intensity_of_energy(total, energy)
    name = CONVERSION_NAMES[resolver.options.electricity_conversion][0]
    onsite = ONSITE_NAMES[resolver.options.onsite_renewable][0]
    b.line(
        "intensity",
        f"{_fmt(total)} tCO2 ÷ {_fmt(energy)} tce (电力折标: {name}; {onsite})",
        intensity,
        _label(park_annex4.carbon_intensity_of_energy),
        unit="tCO2/tce",
    )
    return {"energy_tce": energy, "intensity": intensity, "energy_parts": energy_parts}


def _scope2_location(
    activity: Activity, resolver: _Resolver, hourly: HourlyGrid | None, b: _Builder
) -> tuple[float, FactorRecord | FactorSeries, float]:
    """Location-based scope 2 of grid electricity; returns (tCO2, factor used, tCO2/kWh average)."""
    grid_kwh = activity.electricity.received_kwh("grid")
    series_id = resolver.options.grid_series_id
    if series_id is not None:
        series = resolver.library.get_series(series_id)
        resolver.used.setdefault(series.id, series)
        if hourly is None:
            raise InvalidInput(
                "grid_series_id needs hourly grid electricity (HourlyGrid) to multiply",
                field="grid_series_id",
            )
        kwh = np.asarray(hourly.kwh, dtype=float)
        if not np.isclose(kwh.sum(), grid_kwh, rtol=1e-9, atol=1e-6):
            raise InvalidInput(
                f"hourly grid electricity sums to {kwh.sum()} kWh, the activity says {grid_kwh} kWh",
                field="electricity.received",
            )
        # one unit conversion for the whole series, then an array product per hour
        factors = hourly.factor_values(series) * _kg_per_kwh_to_t(series, 1.0)
        tco2 = gbt32150.emissions_electricity(kwh, factors)
        b.line(
            "scope2_location",
            f"Σ_h 电网电力_h × {series.id}_h ({len(kwh)} h, {_fmt(grid_kwh)} kWh)",
            tco2,
            _label(gbt32150.emissions_electricity),
            (series.id,),
        )
        return tco2, series, (tco2 / grid_kwh if grid_kwh else 0.0)
    record, level = resolver.grid_average(activity.province)
    f = _kg_per_kwh_to_t(record, record.value)
    tco2 = scope2.emissions_scope2_location_based(grid_kwh, f)
    b.line(
        "scope2_location",
        f"电网电力 {_fmt(grid_kwh)} kWh × {_fmt(record.value)} {record.unit} ({level} {record.region} "
        f"{record.year}) + 直供非化石 {_fmt(activity.electricity.received_kwh('direct_non_fossil'))}"
        " kWh × 0",
        tco2,
        _label(scope2.emissions_scope2_location_based),
        (record.id,),
    )
    return tco2, record, f


def _account_enterprise(
    activity: Activity,
    library: FactorLibrary,
    resolver: _Resolver,
    hourly: HourlyGrid | None,
    b: _Builder,
) -> dict[str, Any]:
    _fuel_terms(activity, resolver, b, _label(gbt32150.emissions_fuel_combustion))
    _conversion_term(activity, resolver, b)
    _process_term(activity, library, resolver, b)
    e = activity.electricity
    grid, green = e.received_kwh("grid"), e.received_kwh("green_certified")
    loc, _factor, avg = _scope2_location(activity, resolver, hourly, b)
    sent_kwh = e.sent_kwh("fossil") + e.sent_kwh("non_fossil")
    exported = gbt32150.emissions_electricity(sent_kwh, avg)
    b.terms["electricity"] = loc - exported
    b.line(
        "electricity",
        f"购入 {_fmt(loc)} tCO2 − 输出 {_fmt(sent_kwh)} kWh × {_fmt(avg * 1000)} kgCO2/kWh",
        b.terms["electricity"],
        _label(gbt32150.emissions_electricity),
    )
    rg, rfac, rtext, rids = _heat_factors(activity.heat.received, resolver, "购入")
    sg, sfac, stext, sids = _heat_factors(activity.heat.sent, resolver, "输出 −")
    purchased_heat = gbt32150.emissions_heat(rg, rfac) if rg else 0.0
    exported_heat = gbt32150.emissions_heat(sg, sfac) if sg else 0.0
    b.terms["heat"] = purchased_heat - exported_heat
    if rtext or stext:
        b.line(
            "heat",
            "; ".join(rtext + stext),
            b.terms["heat"],
            _label(gbt32150.emissions_heat),
            sorted(set(rids + sids)),
        )
    total = (
        gbt32150.emissions_total(
            b.terms["fuel"] + b.terms["bunker"],
            b.terms["process"],
            loc,
            purchased_heat,
            exported,
            exported_heat,
        )
        + b.terms["conversion"]
    )
    b.terms["total"] = total
    b.line(
        "total",
        f"燃烧 {_fmt(b.terms['fuel'] + b.terms['bunker'])} + 加工转换 {_fmt(b.terms['conversion'])} + "
        f"过程 {_fmt(b.terms['process'])} + 购入电 {_fmt(loc)} + 购入热 {_fmt(purchased_heat)} − "
        f"输出电 {_fmt(exported)} − 输出热 {_fmt(exported_heat)}",
        total,
        _label(gbt32150.emissions_total),
    )
    residual = resolver.grid("national", "全国", "excluding_market_non_fossil")
    market = scope2.emissions_scope2_market_based(
        grid, green, _kg_per_kwh_to_t(residual, residual.value)
    )
    b.line(
        "scope2_market",
        f"(电网电力 {_fmt(grid)} − 绿证绿电 {_fmt(green)}) kWh × {_fmt(residual.value)} {residual.unit}"
        f" + 直供非化石 {_fmt(e.received_kwh('direct_non_fossil'))} kWh × 0",
        market,
        _label(scope2.emissions_scope2_market_based),
        (residual.id,),
    )
    # GB/T 32150 total with the market-based purchased electricity: combustion + conversion +
    # process + market scope 2 electricity + purchased heat − exported electricity − exported
    # heat; exports are the same terms as in the location-based total
    total_market = (
        gbt32150.emissions_total(
            b.terms["fuel"] + b.terms["bunker"],
            b.terms["process"],
            market,
            purchased_heat,
            exported,
            exported_heat,
        )
        + b.terms["conversion"]
    )
    b.line(
        "total_market",
        f"燃烧 {_fmt(b.terms['fuel'] + b.terms['bunker'])} + 加工转换 {_fmt(b.terms['conversion'])} + "
        f"过程 {_fmt(b.terms['process'])} + 购入电（市场法） {_fmt(market)} + 购入热 "
        f"{_fmt(purchased_heat)} − 输出电 {_fmt(exported)} − 输出热 {_fmt(exported_heat)}",
        total_market,
        _label(gbt32150.emissions_total),
    )
    computed = _energy_tce(activity, resolver, b, required=False)
    energy, parts = (None, None) if computed is None else computed
    return {
        "energy_tce": energy,
        "energy_parts": parts,
        "scope2_location": loc + purchased_heat,
        "scope2_market": market + purchased_heat,
        "total_market": total_market,
    }


def _account_building(activity: Activity, resolver: _Resolver, b: _Builder) -> dict[str, Any]:
    building = activity.building
    if building is None:
        raise InvalidInput("the building basis needs a 'building' section", field="building")
    clause_energy = _label(gbt51366.energy_consumption_by_type)
    elec = gbt51366.energy_consumption_by_type(
        [s.electricity_kwh for s in building.systems], [s.renewable_kwh for s in building.systems]
    )
    record, level = resolver.grid_average(activity.province)
    ef_elec = _kg_per_kwh_to_t(record, record.value)
    b.line(
        "electricity",
        " + ".join(
            f"{s.system} ({_fmt(s.electricity_kwh)} − {_fmt(s.renewable_kwh)})"
            for s in building.systems
        )
        + f" kWh = {_fmt(elec)} kWh × {_fmt(record.value)} {record.unit} ({level} {record.region} {record.year})",
        elec * ef_elec,
        clause_energy,
        (record.id,),
    )
    heat_gj = sum(s.heat_gj for s in building.systems)
    types: list[float] = [elec]
    efs: list[float] = [ef_elec]
    b.terms["electricity"] = elec * ef_elec
    b.terms["heat"] = 0.0
    if heat_gj:
        heat_record = resolver.heat_default()
        types.append(heat_gj)
        efs.append(heat_record.value)
        b.terms["heat"] = heat_gj * heat_record.value
        b.line(
            "heat",
            f"{_fmt(heat_gj)} GJ × {_fmt(heat_record.value)} tCO2/GJ (外购热力缺省值)",
            b.terms["heat"],
            clause_energy,
            (heat_record.id,),
        )
    fuel_total = 0.0
    for j, system in enumerate(building.systems):
        for i, item in enumerate(system.fuels):
            resolved = _resolve_fuel(
                item, item.oxidation, resolver, f"building.systems[{j}].fuels[{i}]"
            )
            types.append(resolved.heat_gj)
            efs.append(resolved.ef_tco2_per_gj)
            fuel_total += resolved.heat_gj * resolved.ef_tco2_per_gj
            b.line(
                "fuel",
                f"[{system.system}] {resolved.expression}",
                resolved.heat_gj * resolved.ef_tco2_per_gj,
                clause_energy,
                resolved.factor_ids,
            )
    b.terms["fuel"] = fuel_total
    annual = gbt51366.emissions_operation_annual(types, efs, building.carbon_sink_tco2)
    b.terms["carbon_sink"] = -building.carbon_sink_tco2
    b.terms["total"] = annual
    b.line(
        "total",
        " + ".join(f"{_fmt(x)}×{_fmt(f)}" for x, f in zip(types, efs, strict=True))
        + f" − C_p {_fmt(building.carbon_sink_tco2)}",
        annual,
        _label(gbt51366.emissions_operation_annual),
    )
    per_m2_year = gbt51366.emissions_operation_per_area(annual, building.floor_area_m2, 1.0)
    result: dict[str, float] = {
        "floor_area_m2": building.floor_area_m2,
        "annual_tco2": annual,
        "per_m2_year_kgco2": per_m2_year * 1000.0,
    }
    b.line(
        "building",
        f"{_fmt(annual)} tCO2/a ÷ {_fmt(building.floor_area_m2)} m2 × 1000",
        per_m2_year * 1000.0,
        _label(gbt51366.emissions_operation_per_area),
        unit="kgCO2/(m2·a)",
    )
    if building.design_life_years is not None:
        c_m = gbt51366.emissions_operation_per_area(
            annual, building.floor_area_m2, building.design_life_years
        )
        result["design_life_years"] = building.design_life_years
        result["per_m2_life_kgco2"] = c_m * 1000.0
        b.line(
            "building",
            f"C_M = {_fmt(annual)} tCO2/a × {_fmt(building.design_life_years)} a ÷ {_fmt(building.floor_area_m2)} m2 × 1000",
            c_m * 1000.0,
            _label(gbt51366.emissions_operation_per_area),
            unit="kgCO2/m2",
        )
    return {"building": result}


def account(
    activity: Activity,
    *,
    library: FactorLibrary,
    basis: Basis | None = None,
    year: int | None = None,
    options: AccountingOptions | None = None,
    hourly_grid: HourlyGrid | None = None,
) -> Inventory:
    """Compute the inventory of ``activity`` on ``basis`` (default: its boundary).

    Parameters
    ----------
    activity : Activity
        Activity data of one boundary and year (activity file, or aggregated statistics).
    library : FactorLibrary
        Factor records to choose from; the records used are named in the result.
    basis : {"park", "enterprise", "building"}, optional
        Accounting basis; defaults to ``activity.boundary``.
    year : int, optional
        Data year whose factors apply; defaults to ``activity.year``.
    options : AccountingOptions, optional
        Named choices (electricity tce conversion, park fossil factor, grid-factor year ...).
    hourly_grid : HourlyGrid, optional
        Hourly grid electricity, used with ``options.grid_series_id`` for location-based scope 2.

    Returns
    -------
    Inventory
    """
    options = options or AccountingOptions()
    chosen: Basis = basis or activity.boundary
    if chosen == "building" and activity.building is None:
        raise InvalidInput("the building basis needs a 'building' section", field="building")
    data_year = activity.year if year is None else year
    resolver = _Resolver(library, options, data_year)
    b = _Builder()
    for term in TERMS:
        b.terms.setdefault(term, 0.0)
    extra: dict[str, Any]
    if chosen == "park":
        extra = _account_park(activity, library, resolver, b)
    elif chosen == "enterprise":
        extra = _account_enterprise(activity, library, resolver, hourly_grid, b)
    elif chosen == "building":
        extra = _account_building(activity, resolver, b)
    else:
        raise InvalidInput(
            f"basis must be park, enterprise or building; got {chosen!r}", field="basis"
        )
    for line in b.lines:
        for fid in line.factor_ids:
            record = resolver.used.get(fid)
            if record is not None and not record.verified:
                resolver.notes.append(
                    f"unverified factor used: {fid} (confidence {record.confidence})"
                )
    emissions = {term: b.terms.get(term, 0.0) for term in TERMS[:-1]}
    if "carbon_sink" in b.terms:
        emissions["carbon_sink"] = b.terms["carbon_sink"]
    emissions["total"] = b.terms["total"]
    offsets = {"ccus_tco2": activity.offsets.ccus_tco2, "ccer_tco2": activity.offsets.ccer_tco2}
    notes = list(dict.fromkeys(resolver.notes))
    if any(offsets.values()):
        notes.append("offsets (CCUS, CCER) are reported beside the total and not deducted (附件4)")
    return Inventory(
        basis=chosen,
        name=activity.name,
        year=data_year,
        province=activity.province,
        emissions=emissions,
        energy_tce=extra.get("energy_tce"),
        intensity_tco2_per_tce=extra.get("intensity"),
        scope2_location_tco2=extra.get("scope2_location"),
        scope2_market_tco2=extra.get("scope2_market"),
        total_market_tco2=extra.get("total_market"),
        offsets=offsets,
        factors=tuple(resolver.used.values()),
        explain=tuple(b.lines),
        options=options,
        building=extra.get("building"),
        notes=tuple(notes),
        energy_parts=extra.get("energy_parts"),
    )
