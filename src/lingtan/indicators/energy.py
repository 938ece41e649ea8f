"""Energy statistics (能源统计) from the metered daily statistics, in physical units and tce.

For a period (year, month or year-to-date) and a scope (the park, or one enterprise):

* consumption by carrier, enterprise, building (site) and month, in physical units and in
  standard coal (GB/T 2589; electricity at its 当量值 by default, 等价值 as an option);
* the top consumers;
* electricity balance: grid, direct green supply, PV generated / exported / self-consumed,
  green-certified electricity, and the green-electricity and clean-energy shares;
* metering coverage by GB 17167 level: the share of each energy's consumption that the meters
  of level 1, 2 and 3 see, against required rates that are configurable data (the shipped
  2006 values are unverified and flagged in every result);
* data quality: the share of time measured, estimated (gaps bridged, spikes apportioned) and
  missing, and the completeness against the 90 % online-monitoring threshold.

What is counted (documented in docs/indicators.md): the boundary points of each owner, with the
same roles as the store-backed accounting (:mod:`lingtan.accounting.metered`), so that the
comprehensive energy consumption here is the denominator of the core indicator. Grid import,
direct green supply, fuels and heat received are consumption; electricity exported is
subtracted (net receipt, 附件4 二（二）3①); on-site PV generation is energy the park produces and
uses, so it is counted too — the accounting's default ``onsite_renewable=included`` — and is
also reported on its own (``onsite_renewable_tce``; ``net_receipt_tce`` is the total without it).
Fuels are converted by the accounting's rule (:class:`lingtan.carbon.resolver.FactorResolver`,
GB/T 2589: a measured NCV, a fuel metered as heat ÷ 29 307 kJ/kgce, else the annex reference
coefficient), so the total here equals the core indicator's denominator. Storage charge and discharge are
internal flows and EV charging is a load below a grid meter, so neither adds to consumption;
water is listed in m³ without tce.

Electricity used (``consumption_kwh``) is grid + direct green + PV generated − exported; PV
self-consumed is PV generated − exported (floored at 0), export beyond the owner's PV being
grid electricity sent back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from lingtan import units
from lingtan.accounting.metered import MeteringOptions
from lingtan.carbon.activity import DEFAULT_NATURAL_GAS_KIND
from lingtan.carbon.factors import FactorLibrary, FactorRecord, default_library
from lingtan.carbon.inventory import AccountingOptions
from lingtan.carbon.resolver import FactorResolver
from lingtan.errors import NotFound
from lingtan.greenpower.ledger import GreenElectricity, Month
from lingtan.greenpower.ledger import Period as LedgerPeriod
from lingtan.greenpower.service import green_electricity
from lingtan.indicators.formulas import metering_coverage
from lingtan.indicators.limits import CoverageRequirement, load_coverage_requirement
from lingtan.indicators.options import CONVERSION_NAMES, IndicatorOptions
from lingtan.indicators.period import Period
from lingtan.options import service as park_options
from lingtan.registry.model import CARRIER_NAMES_ZH, Carrier
from lingtan.store import Store
from lingtan.store.records import PointRecord

Role = Literal["supply", "generation", "export", "internal", "end_use", "water", "other"]
_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class CarrierRole:
    """How a carrier enters the energy balance."""

    role: Role
    #: energy family (GB 17167 table rows where one applies)
    family: str
    #: unit physical amounts of the family are reported in
    unit: str
    #: GB/T 2589 standard-coal record key, None when no coefficient applies
    tce_key: str | None
    #: True fossil, False non-fossil, None decided by an option (heat) or not energy
    fossil: bool | None


ROLES: Final[dict[str, CarrierRole]] = {
    Carrier.ELECTRICITY_GRID_IMPORT.value: CarrierRole(
        "supply", "electricity", "kWh", "electricity", True
    ),
    Carrier.DIRECT_GREEN.value: CarrierRole("supply", "electricity", "kWh", "electricity", False),
    Carrier.PV_GENERATION.value: CarrierRole(
        "generation", "electricity", "kWh", "electricity", False
    ),
    Carrier.ELECTRICITY_EXPORT.value: CarrierRole(
        "export", "electricity", "kWh", "electricity", None
    ),
    Carrier.STORAGE_CHARGE.value: CarrierRole("internal", "electricity", "kWh", None, None),
    Carrier.STORAGE_DISCHARGE.value: CarrierRole("internal", "electricity", "kWh", None, None),
    Carrier.EV_CHARGING.value: CarrierRole("end_use", "electricity", "kWh", None, None),
    Carrier.NATURAL_GAS.value: CarrierRole("supply", "natural_gas", "m3", "natural_gas", True),
    Carrier.DIESEL.value: CarrierRole("supply", "oil", "t", "diesel", True),
    Carrier.GASOLINE.value: CarrierRole("supply", "oil", "t", "gasoline", True),
    Carrier.COAL.value: CarrierRole("supply", "coal", "t", "raw_coal", True),
    Carrier.STEAM.value: CarrierRole("supply", "steam", "GJ", "heat", None),
    Carrier.HEAT.value: CarrierRole("supply", "heat", "GJ", "heat", None),
    Carrier.COOLING.value: CarrierRole("supply", "cooling", "GJ", None, None),
    Carrier.WATER.value: CarrierRole("water", "water", "m3", None, None),
    Carrier.OTHER.value: CarrierRole("other", "other", "", None, None),
}

CARRIER_NAMES_EN: Final[dict[str, str]] = {
    "electricity_grid_import": "grid electricity",
    "electricity_export": "electricity exported",
    "pv_generation": "PV generation",
    "direct_green_electricity": "direct green supply",
    "storage_charge": "storage charge",
    "storage_discharge": "storage discharge",
    "ev_charging": "EV charging",
    "natural_gas": "natural gas",
    "diesel": "diesel",
    "gasoline": "gasoline",
    "coal": "coal",
    "steam": "steam",
    "heat": "hot water / heat",
    "cooling": "cooling",
    "water": "water",
    "other": "other",
}
FAMILY_NAMES: Final[dict[str, tuple[str, str]]] = {
    "electricity": ("电力", "electricity"),
    "natural_gas": ("天然气", "natural gas"),
    "oil": ("成品油", "oil products"),
    "coal": ("煤炭", "coal"),
    "steam": ("蒸汽", "steam"),
    "heat": ("热水/热力", "heat"),
    "cooling": ("冷量", "cooling"),
    "water": ("水", "water"),
}
#: energy families GB 17167 tables name (heat as hot water and cooling have no row)
COVERAGE_FAMILIES: Final[tuple[str, ...]] = (
    "electricity",
    "natural_gas",
    "oil",
    "coal",
    "steam",
    "water",
)


def carrier_name(carrier: str, lang: str = "zh") -> str:
    """Display name of a carrier."""
    if lang == "zh":
        try:
            return CARRIER_NAMES_ZH[Carrier(carrier)]
        except ValueError:
            return carrier
    return CARRIER_NAMES_EN.get(carrier, carrier)


# -- standard-coal coefficients ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coefficient:
    """A standard-coal coefficient resolved to tce per unit of ``per``."""

    record: FactorRecord
    per: str
    tce_per_unit: float

    def tce(self, amount: float, unit: str) -> float:
        """``amount`` [unit] in tce."""
        return units.convert(amount, unit, self.per) * self.tce_per_unit


#: fuel of the activity format each fuel key of :data:`ROLES` stands for; a coal meter is the
#: accounting's default coal type, so both count the same coal
_FUEL_OF_KEY: Final[dict[str, str]] = {
    "natural_gas": "natural_gas",
    "diesel": "diesel",
    "gasoline": "gasoline",
    "raw_coal": MeteringOptions().coal_fuel,
}


class Coefficients:
    """Standard-coal coefficients of the factor library, per the conversion option.

    Every conversion goes through the accounting's :class:`~lingtan.carbon.resolver.FactorResolver`
    (GB/T 2589: a measured NCV, else the annex reference coefficient; electricity at 当量值 or the
    等价值 record of the year, else the latest earlier one), so that the comprehensive energy
    consumption here and the core indicator's denominator are one number.
    """

    def __init__(
        self,
        library: FactorLibrary,
        conversion: str,
        year: int,
        natural_gas_kind: str = DEFAULT_NATURAL_GAS_KIND,
    ) -> None:
        self.library = library
        self.conversion = conversion
        self.year = year
        options = AccountingOptions(
            electricity_conversion=conversion,  # type: ignore[arg-type]
            natural_gas_kind=natural_gas_kind,  # type: ignore[arg-type]
        )
        self.resolver = FactorResolver(library, options, year)

    @property
    def used(self) -> dict[str, FactorRecord]:
        """The records the conversions used, by id."""
        return {k: r for k, r in self.resolver.used.items() if isinstance(r, FactorRecord)}

    @property
    def notes(self) -> list[str]:
        """What the conversions had to say (a 等价值 of an earlier year …)."""
        return list(self.resolver.notes)

    def get(self, key: str) -> Coefficient | None:
        """Coefficient for a GB/T 2589 key (electricity per the option); None if none."""
        if key in _FUEL_OF_KEY:
            fuel = self.resolver.fuel_tce(_FUEL_OF_KEY[key])
            if fuel is None:
                return None
            return Coefficient(fuel.records[0], fuel.per, fuel.tce_per_unit)
        if key == "electricity":
            per_kwh, record = self.resolver.electricity_tce_per_kwh()
            return Coefficient(record, "kWh", per_kwh)
        if key == "heat":
            record = self.resolver.heat_tce()
        else:
            found = self.resolver.standard_coal(key)
            if found is None:
                return None
            record = found
        numerator, _, per = record.unit.partition("/")
        return Coefficient(record, per, units.convert(record.value, numerator, "tce"))

    def tce(self, key: str, value: float, unit: str) -> tuple[float, str] | None:
        """``value`` [unit] of the energy of ``key`` in tce and the record used; None if no
        coefficient fits. A fuel metered as heat (GJ, kWh) is a measured heat content and
        converts through the definition of 1 kgce, as in the accounting."""
        if key in _FUEL_OF_KEY and units.dimension(unit) == "energy":
            gj_per_tce, record = self.resolver.coal_heat_content_gj_per_tce()
            return units.convert(value, unit, "GJ") / gj_per_tce, record.id
        coef = self.get(key)
        if coef is None or not units.compatible(unit, coef.per):
            return None
        return coef.tce(value, unit), coef.record.id


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quality:
    """Shares of the expected metering time that were measured, estimated and missing."""

    measured: float
    estimated: float
    missing: float

    @property
    def completeness(self) -> float:
        """Measured plus estimated (data available, possibly bridged)."""
        return self.measured + self.estimated

    def as_dict(self) -> dict[str, float]:
        """Plain data."""
        return {
            "measured": self.measured,
            "estimated": self.estimated,
            "missing": self.missing,
            "completeness": self.completeness,
        }


@dataclass(frozen=True, slots=True)
class CarrierLine:
    """Consumption of one carrier (one unit) in the scope and period."""

    carrier: str
    name_zh: str
    name_en: str
    role: str
    family: str
    value: float
    unit: str
    tce: float | None
    factor_id: str | None
    quality: Quality
    points: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "carrier": self.carrier,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "role": self.role,
            "family": self.family,
            "value": self.value,
            "unit": self.unit,
            "tce": self.tce,
            "factor_id": self.factor_id,
            "quality": self.quality.as_dict(),
            "points": self.points,
        }


@dataclass(frozen=True, slots=True)
class OwnerLine:
    """Consumption of one owner (an enterprise, or the park's own assets)."""

    enterprise_id: int | None
    code: str
    name: str
    tce: float
    electricity_kwh: float
    share: float | None
    tce_by_carrier: Mapping[str, float]
    #: on-site PV generation of the owner, of which in ``tce`` [tce]
    onsite_renewable_tce: float = 0.0
    quality: Quality = Quality(0.0, 0.0, 1.0)
    #: metered water intake of the owner's boundary water meters [m³] (None: no water meter)
    water_m3: float | None = None
    water_quality: Quality | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "enterprise_id": self.enterprise_id,
            "code": self.code,
            "name": self.name,
            "tce": self.tce,
            "electricity_kwh": self.electricity_kwh,
            "share": self.share,
            "tce_by_carrier": dict(self.tce_by_carrier),
            "onsite_renewable_tce": self.onsite_renewable_tce,
            "quality": self.quality.as_dict(),
            "water_m3": self.water_m3,
        }


@dataclass(frozen=True, slots=True)
class SiteLine:
    """Consumption of one site or building (boundary points located in it)."""

    site_id: int | None
    code: str
    name: str
    enterprise_code: str | None
    floor_area_m2: float | None
    tce: float
    electricity_kwh: float
    #: carrier (``carrier[unit]`` when not in its family unit) → (quantity, unit, tce or None
    #: where no standard-coal coefficient applies), as :class:`MonthLine` lists them
    by_carrier: Mapping[str, tuple[float, str, float | None]] = field(default_factory=dict)

    @property
    def kgce_per_m2(self) -> float | None:
        """Energy per floor area [kgce/m²]."""
        if not self.floor_area_m2:
            return None
        return self.tce * 1000 / self.floor_area_m2

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "site_id": self.site_id,
            "code": self.code,
            "name": self.name,
            "enterprise_code": self.enterprise_code,
            "floor_area_m2": self.floor_area_m2,
            "tce": self.tce,
            "electricity_kwh": self.electricity_kwh,
            "kgce_per_m2": self.kgce_per_m2,
            "by_carrier": {
                k: {"value": v, "unit": u, "tce": t} for k, (v, u, t) in self.by_carrier.items()
            },
        }


@dataclass(frozen=True, slots=True)
class MonthLine:
    """One calendar month of the period."""

    month: int
    tce: float
    #: carrier → (value, unit, tce or None)
    carriers: Mapping[str, tuple[float, str, float | None]]
    electricity_kwh: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "month": self.month,
            "tce": self.tce,
            "electricity_kwh": self.electricity_kwh,
            "carriers": {
                c: {"value": v, "unit": u, "tce": t} for c, (v, u, t) in self.carriers.items()
            },
        }


@dataclass(frozen=True, slots=True)
class CoverageLine:
    """Metering coverage of one energy family at one GB 17167 level."""

    family: str
    name_zh: str
    name_en: str
    level: int
    metered: float
    reference: float
    unit: str
    share: float | None
    required: float | None
    meets: bool | None
    points: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "family": self.family,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "level": self.level,
            "metered": self.metered,
            "reference": self.reference,
            "unit": self.unit,
            "share": self.share,
            "required": self.required,
            "meets": self.meets,
            "points": self.points,
        }


@dataclass(frozen=True, slots=True)
class ElectricityBalance:
    """Electricity of the scope [kWh]."""

    grid: float
    direct_green: float
    pv_generated: float
    exported: float
    pv_self_consumed: float
    green_certified: float
    consumption: float

    @property
    def green(self) -> float:
        """Green electricity: direct supply + self-consumed PV + certified grid electricity."""
        return self.direct_green + self.pv_self_consumed + self.green_certified

    @property
    def green_share(self) -> float | None:
        """Green electricity over electricity consumption."""
        return self.green / self.consumption if self.consumption > 0 else None

    @property
    def pv_self_consumption_rate(self) -> float | None:
        """Self-consumed over generated PV."""
        return self.pv_self_consumed / self.pv_generated if self.pv_generated > 0 else None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "grid_kwh": self.grid,
            "direct_green_kwh": self.direct_green,
            "pv_generated_kwh": self.pv_generated,
            "exported_kwh": self.exported,
            "pv_self_consumed_kwh": self.pv_self_consumed,
            "green_certified_kwh": self.green_certified,
            "consumption_kwh": self.consumption,
            "green_kwh": self.green,
            "green_share": self.green_share,
            "pv_self_consumption_rate": self.pv_self_consumption_rate,
        }


@dataclass(frozen=True, slots=True)
class CleanEnergy:
    """Clean energy consumed [tce] and its parts, per the options."""

    clean_tce: float
    total_tce: float
    parts: Mapping[str, float]

    @property
    def share(self) -> float | None:
        """Clean over total (None when nothing was consumed)."""
        return self.clean_tce / self.total_tce if self.total_tce > 0 else None

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "clean_tce": self.clean_tce,
            "total_tce": self.total_tce,
            "share": self.share,
            "parts_tce": dict(self.parts),
        }


@dataclass(frozen=True)
class EnergyStatistics:
    """Energy statistics of one scope and period (see the module docstring)."""

    period: Period
    park_code: str
    park_name: str
    enterprise_id: int | None
    scope_code: str
    scope_name: str
    options: IndicatorOptions
    carriers: tuple[CarrierLine, ...]
    #: comprehensive energy consumption 综合能源消费量, on-site generation included (the core
    #: indicator's denominator) [tce]
    total_tce: float
    #: on-site renewable generation behind the meters (PV), of which in ``total_tce`` [tce]
    onsite_renewable_tce: float
    owners: tuple[OwnerLine, ...]
    sites: tuple[SiteLine, ...]
    months: tuple[MonthLine, ...]
    electricity: ElectricityBalance
    clean: CleanEnergy
    coverage: tuple[CoverageLine, ...]
    coverage_requirement: CoverageRequirement
    quality: Quality
    factors: tuple[FactorRecord, ...]
    notes: tuple[str, ...] = field(default=())
    #: ids of the 绿证 counted (from the ledger)
    cert_ids: tuple[str, ...] = field(default=())

    @property
    def net_receipt_tce(self) -> float:
        """Energy received minus sent, without on-site generation [tce]."""
        return self.total_tce - self.onsite_renewable_tce

    def top_consumers(self, n: int = 10) -> list[OwnerLine]:
        """The ``n`` largest owners by tce."""
        return sorted(self.owners, key=lambda o: o.tce, reverse=True)[:n]

    def carrier(self, carrier: str) -> CarrierLine | None:
        """The line of a carrier (in its family unit) if any."""
        for line in self.carriers:
            if line.carrier == carrier and line.unit == ROLES[carrier].unit:
                return line
        return None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "period": self.period.as_dict(),
            "park": {"code": self.park_code, "name": self.park_name},
            "scope": {
                "enterprise_id": self.enterprise_id,
                "code": self.scope_code,
                "name": self.scope_name,
            },
            "options": self.options.as_dict(),
            "electricity_conversion": self.options.electricity_conversion,
            "total_tce": self.total_tce,
            "net_receipt_tce": self.net_receipt_tce,
            "onsite_renewable_tce": self.onsite_renewable_tce,
            "carriers": [c.as_dict() for c in self.carriers],
            "owners": [o.as_dict() for o in self.owners],
            "top_consumers": [o.code for o in self.top_consumers()],
            "sites": [s.as_dict() for s in self.sites],
            "months": [m.as_dict() for m in self.months],
            "electricity": self.electricity.as_dict(),
            "clean_energy": self.clean.as_dict(),
            "coverage": [c.as_dict() for c in self.coverage],
            "coverage_requirement": self.coverage_requirement.brief(),
            "quality": self.quality.as_dict(),
            "factors": [f.brief() for f in self.factors],
            "notes": list(self.notes),
            "cert_ids": list(self.cert_ids),
        }


# -- computation -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Sum:
    value: float = 0.0
    measured_s: float = 0.0
    estimated_s: float = 0.0
    expected_s: float = 0.0
    points: int = 0
    by_month: dict[int, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, other: _Sum, scale: float = 1.0) -> None:
        self.value += other.value * scale
        self.measured_s += other.measured_s
        self.estimated_s += other.estimated_s
        self.expected_s += other.expected_s
        self.points += other.points
        for m, v in other.by_month.items():
            self.by_month[m] += v * scale

    def quality(self) -> Quality:
        if self.expected_s <= 0:
            return Quality(0.0, 0.0, 1.0)
        measured = min(1.0, self.measured_s / self.expected_s)
        estimated = min(1.0 - measured, self.estimated_s / self.expected_s)
        return Quality(measured, estimated, max(0.0, 1.0 - measured - estimated))


def _point_sums(
    store: Store, points: Sequence[PointRecord], period: Period, tz: ZoneInfo
) -> dict[int, _Sum]:
    d0, d1 = period.day_numbers
    expected = period.seconds(tz)
    sums = {p.id: _Sum(expected_s=expected, points=1) for p in points}
    # whole months from the monthly statistics, any other day from the daily ones
    for row in store.stats.point_periods([p.id for p in points], d0, d1):
        acc = sums[row.point_id]
        if row.value is not None:
            acc.value += row.value
            month = dt.date.fromordinal(row.first_day + _EPOCH_ORDINAL).month
            acc.by_month[month] += row.value
        acc.measured_s += row.measured_s
        acc.estimated_s += row.estimated_s
    return sums


def _carrier_key(carrier: str, unit: str) -> str:
    """The key of a carrier's line: its code, or ``code[unit]`` when its points' unit does not
    convert to the family unit."""
    return carrier if unit == ROLES.get(carrier, ROLES["other"]).unit else f"{carrier}[{unit}]"


def _unit_for(point: PointRecord) -> tuple[str, float]:
    """Unit a point's amounts are reported in, and the multiplier from its own unit."""
    role = ROLES.get(point.carrier, ROLES["other"])
    if role.unit and units.compatible(point.unit, role.unit):
        return role.unit, units.factor(point.unit, role.unit)
    return point.unit, 1.0


def energy_statistics(
    store: Store,
    *,
    year: int,
    month: int | None = None,
    ytd: bool = False,
    enterprise_id: int | None = None,
    options: IndicatorOptions | None = None,
    library: FactorLibrary | None = None,
    green_certified_kwh: float | None = None,
    park_id: int | None = None,
) -> EnergyStatistics:
    """Energy statistics of the park (``enterprise_id=None``) or one enterprise.

    ``green_certified_kwh`` gives, per owner (enterprise id; None for the park), the grid
    electricity of the period covered by retired 绿证 or green-power trades [kWh].
    """
    period = Period(year, month, ytd)
    park = store.registry.park(park_id)
    opts = options or IndicatorOptions.of(park_options.used(store, park_id=park.id))
    lib = library or default_library()
    tz = ZoneInfo(park.timezone)
    enterprises = {e.id: e for e in store.registry.enterprises(park.id)}
    if enterprise_id is not None and enterprise_id not in enterprises:
        raise NotFound(f"enterprise {enterprise_id} not found")
    all_points = [
        p
        for p in store.registry.points_by_id(refresh=True).values()
        if p.park_id == park.id
        and p.kind != "measurement"
        and (enterprise_id is None or p.enterprise_id == enterprise_id)
        and (p.boundary or p.level is not None)
    ]
    sums = _point_sums(store, all_points, period, tz)
    coefs = Coefficients(lib, opts.electricity_conversion, year, opts.natural_gas_kind)
    notes: list[str] = []
    if green_certified_kwh is None:
        ledger = _ledger_green(store, period, enterprise_id, park.id)
        certified_in = ledger.total_kwh
        cert_ids: tuple[str, ...] = ledger.cert_ids
    else:
        certified_in, cert_ids = max(0.0, float(green_certified_kwh)), ()

    # per owner × carrier (boundary points), converted to the family unit
    by_owner: dict[int | None, dict[tuple[str, str], _Sum]] = defaultdict(dict)
    by_site: dict[int | None, dict[tuple[str, str], _Sum]] = defaultdict(dict)
    for p in all_points:
        if not p.boundary:
            continue
        unit, k = _unit_for(p)
        for target in (by_owner[p.enterprise_id], by_site[p.site_id]):
            acc = target.setdefault((p.carrier, unit), _Sum())
            acc.add(sums[p.id], k)

    def tce_of(carrier: str, value: float, unit: str) -> tuple[float | None, str | None]:
        role = ROLES.get(carrier, ROLES["other"])
        if role.tce_key is None or role.role not in ("supply", "generation", "export"):
            return None, None
        found = coefs.tce(role.tce_key, value, unit)
        if found is None:
            note = f"{carrier_name(carrier, 'en')} in {unit}: no standard-coal coefficient"
            if note + "; listed without tce" not in notes:
                notes.append(note + "; listed without tce")
            return None, None
        sign = -1.0 if role.role == "export" else 1.0
        return sign * found[0], found[1]

    def used_kwh(carrier: str, value: float, unit: str) -> float:
        """Contribution to electricity used (grid + direct + PV − export) [kWh]."""
        role = ROLES.get(carrier, ROLES["other"])
        if unit != "kWh" or role.family != "electricity":
            return 0.0
        if role.role == "export":
            return -value
        return value if role.role in ("supply", "generation") else 0.0

    elec = coefs.get("electricity")
    if elec is None:
        raise NotFound("no GB/T 2589 electricity standard-coal coefficient record")

    # electricity balance and tce per owner
    owner_lines: list[OwnerLine] = []
    balance = dict.fromkeys(("grid", "green", "pv", "export", "pv_self", "cert", "cons"), 0.0)
    clean_parts: dict[str, float] = defaultdict(float)
    total_tce = 0.0
    onsite_tce = 0.0
    carrier_acc: dict[tuple[str, str], _Sum] = {}
    carrier_tce: dict[tuple[str, str], tuple[float | None, str | None]] = {}
    for owner, lines in by_owner.items():
        kwh = {c: s.value for (c, u), s in lines.items() if u == "kWh"}
        grid = kwh.get("electricity_grid_import", 0.0)
        green = kwh.get("direct_green_electricity", 0.0)
        pv = kwh.get("pv_generation", 0.0)
        export = kwh.get("electricity_export", 0.0)
        pv_self = max(0.0, pv - export)
        consumption = grid + green + pv - export
        for key, v in (
            ("grid", grid),
            ("green", green),
            ("pv", pv),
            ("export", export),
            ("pv_self", pv_self),
            ("cons", consumption),
        ):
            balance[key] += v
        owner_tce = 0.0
        by_carrier: dict[str, float] = defaultdict(float)
        owner_q: list[tuple[float, Quality]] = []
        for (carrier, unit), acc in lines.items():
            t, _fid = tce_of(carrier, acc.value, unit)
            if t is not None:
                owner_tce += t
                by_carrier[carrier] += t
                owner_q.append((abs(t), acc.quality()))
            merged = carrier_acc.setdefault((carrier, unit), _Sum())
            merged.add(acc)
        total_tce += owner_tce
        onsite_tce += elec.tce(pv, "kWh")
        clean_parts["direct_green_electricity"] += elec.tce(green, "kWh")
        clean_parts["pv_self_consumed"] += elec.tce(pv_self, "kWh")
        for carrier, tce_v in by_carrier.items():
            role = ROLES[carrier]
            if carrier == "natural_gas" and opts.natural_gas_clean:
                clean_parts["natural_gas"] += tce_v
            if role.family in ("steam", "heat") and not opts.purchased_heat_fossil:
                clean_parts["non_fossil_heat"] += tce_v
        e = enterprises.get(owner) if owner is not None else None
        water = lines.get((Carrier.WATER.value, "m3"))
        owner_lines.append(
            OwnerLine(
                owner,
                e.code if e else park.code,
                e.name if e else f"{park.name}（园区自有）",
                owner_tce,
                consumption,
                None,
                dict(by_carrier),
                elec.tce(pv, "kWh"),
                _weighted(owner_q),
                water.value if water is not None else None,
                water.quality() if water is not None else None,
            )
        )
    owners = tuple(
        OwnerLine(
            o.enterprise_id,
            o.code,
            o.name,
            o.tce,
            o.electricity_kwh,
            (o.tce / total_tce) if total_tce > 0 else None,
            o.tce_by_carrier,
            o.onsite_renewable_tce,
            o.quality,
            o.water_m3,
            o.water_quality,
        )
        for o in sorted(owner_lines, key=lambda o: (o.enterprise_id is None, o.enterprise_id or 0))
    )

    carriers: list[CarrierLine] = []
    for (carrier, unit), acc in sorted(carrier_acc.items()):
        t, fid = tce_of(carrier, acc.value, unit)
        carrier_tce[(carrier, unit)] = (t, fid)
        role = ROLES.get(carrier, ROLES["other"])
        carriers.append(
            CarrierLine(
                carrier,
                carrier_name(carrier, "zh"),
                carrier_name(carrier, "en"),
                role.role,
                role.family,
                acc.value,
                unit,
                t,
                fid,
                acc.quality(),
                acc.points,
            )
        )

    months: list[MonthLine] = []
    for m in period.months():
        month_carriers: dict[str, tuple[float, str, float | None]] = {}
        m_tce = 0.0
        m_kwh = 0.0
        for (carrier, unit), acc in sorted(carrier_acc.items()):
            v = acc.by_month.get(m, 0.0)
            t, _ = tce_of(carrier, v, unit)
            month_carriers[_carrier_key(carrier, unit)] = (v, unit, t)
            if t is not None:
                m_tce += t
            m_kwh += used_kwh(carrier, v, unit)
        months.append(MonthLine(m, m_tce, month_carriers, m_kwh))

    sites_by_id = {s.id: s for s in store.registry.sites(park.id)}
    site_lines: list[SiteLine] = []
    for site_id, lines in by_site.items():
        s_tce = 0.0
        s_kwh = 0.0
        site_carriers: dict[str, tuple[float, str, float | None]] = {}
        for (carrier, unit), acc in sorted(lines.items()):
            t, _ = tce_of(carrier, acc.value, unit)
            if t is not None:
                s_tce += t
            s_kwh += used_kwh(carrier, acc.value, unit)
            site_carriers[_carrier_key(carrier, unit)] = (acc.value, unit, t)
        site = sites_by_id.get(site_id) if site_id is not None else None
        ent = enterprises.get(site.enterprise_id) if site and site.enterprise_id else None
        site_lines.append(
            SiteLine(
                site_id,
                site.code if site else "—",
                site.name if site else "（未指定建筑）",
                ent.code if ent else None,
                site.floor_area_m2 if site else None,
                s_tce,
                s_kwh,
                site_carriers,
            )
        )
    site_lines.sort(key=lambda s: (s.site_id is None, s.site_id or 0))

    # certificate-backed electricity is part of grid electricity and never more than it (the
    # accounting caps it the same way, 附件4 二（二）3①)
    balance["cert"] = min(certified_in, balance["grid"])
    if opts.green_certificates_clean:
        clean_parts["green_certified_electricity"] = elec.tce(balance["cert"], "kWh")
    if balance["cert"] < certified_in:
        notes.append(
            f"green electricity of the ledger {certified_in:.6g} kWh exceeds the grid electricity "
            f"{balance['grid']:.6g} kWh; {balance['cert']:.6g} kWh counted"
        )
    elec_balance = ElectricityBalance(
        balance["grid"],
        balance["green"],
        balance["pv"],
        balance["export"],
        balance["pv_self"],
        balance["cert"],
        balance["cons"],
    )
    # the share of all energy used, on-site generation included (it is in ``total_tce``)
    clean = CleanEnergy(sum(clean_parts.values()), total_tce, dict(clean_parts))

    requirement = load_coverage_requirement(opts.coverage_file)
    coverage = _coverage(all_points, sums, requirement)

    quality = _weighted(
        [
            (abs(t), acc.quality())
            for (key, acc) in carrier_acc.items()
            if (t := carrier_tce[key][0]) is not None
        ]
    )
    if not requirement.verified:
        notes.append(
            f"metering coverage requirements {requirement.id} are unverified "
            f"(confidence {requirement.confidence}): {requirement.url_note or requirement.source}"
        )
    if green_certified_kwh is None and not certified_in:
        notes.append("no 绿证 retired and no green-power trade for the period in the ledger")
    scope_ent = enterprises.get(enterprise_id) if enterprise_id is not None else None
    return EnergyStatistics(
        period=period,
        park_code=park.code,
        park_name=park.name,
        enterprise_id=enterprise_id,
        scope_code=scope_ent.code if scope_ent else park.code,
        scope_name=scope_ent.name if scope_ent else park.name,
        options=opts,
        carriers=tuple(carriers),
        total_tce=total_tce,
        onsite_renewable_tce=onsite_tce,
        owners=owners,
        sites=tuple(site_lines),
        months=tuple(months),
        electricity=elec_balance,
        clean=clean,
        coverage=coverage,
        coverage_requirement=requirement,
        quality=quality,
        factors=tuple(coefs.used.values()),
        notes=tuple(notes + [n for n in coefs.notes if n not in notes]),
        cert_ids=cert_ids,
    )


def _ledger_green(
    store: Store, period: Period, enterprise_id: int | None, park_id: int
) -> GreenElectricity:
    """Green electricity the 绿证 ledger counts for the scope and period (park: its own claims and
    its enterprises')."""
    ledger_period = LedgerPeriod(
        Month(period.year, period.first.month), Month(period.year, period.last.month)
    )
    return green_electricity(
        store,
        period=ledger_period,
        enterprise_id=enterprise_id,
        include_enterprises=True,
        park_id=park_id,
    )


def _weighted(parts: Sequence[tuple[float, Quality]]) -> Quality:
    """Quality weighted by energy (tce) of each part."""
    weight = sum(w for w, _ in parts)
    if weight <= 0:
        return Quality(0.0, 0.0, 1.0)
    return Quality(
        sum(w * q.measured for w, q in parts) / weight,
        sum(w * q.estimated for w, q in parts) / weight,
        sum(w * q.missing for w, q in parts) / weight,
    )


def _coverage(
    points: Sequence[PointRecord], sums: Mapping[int, _Sum], requirement: CoverageRequirement
) -> tuple[CoverageLine, ...]:
    """Share of each family's consumption seen at each GB 17167 level.

    Level 1: level-1 meters over the boundary consumption; levels 2 and 3: over what the level-1
    meters record. Exported and internal (storage) flows are not consumption and are left out.
    """
    boundary: dict[str, float] = defaultdict(float)
    level: dict[tuple[str, int], float] = defaultdict(float)
    count: dict[tuple[str, int], int] = defaultdict(int)
    for p in points:
        role = ROLES.get(p.carrier, ROLES["other"])
        if (
            role.role not in ("supply", "generation", "end_use", "water")
            or role.family not in COVERAGE_FAMILIES
        ):
            continue
        unit, k = _unit_for(p)
        if unit != role.unit:
            continue
        value = sums[p.id].value * k
        if p.boundary and role.role != "end_use":
            boundary[role.family] += value
        if p.level is not None:
            level[(role.family, p.level)] += value
            count[(role.family, p.level)] += 1
    out: list[CoverageLine] = []
    for family in COVERAGE_FAMILIES:
        if boundary.get(family, 0.0) <= 0:
            continue
        reference_1 = boundary[family]
        for lvl in (1, 2, 3):
            metered = level.get((family, lvl), 0.0)
            reference = reference_1 if lvl == 1 else level.get((family, 1), 0.0)
            share = metering_coverage(metered, reference) if reference > 0 else None
            required = requirement.required(family, lvl)
            meets = None if share is None or required is None else share >= required - 1e-9
            zh, en = FAMILY_NAMES[family]
            out.append(
                CoverageLine(
                    family,
                    zh,
                    en,
                    lvl,
                    metered,
                    reference,
                    ROLES_BY_FAMILY_UNIT[family],
                    share,
                    required,
                    meets,
                    count.get((family, lvl), 0),
                )
            )
    return tuple(out)


ROLES_BY_FAMILY_UNIT: Final[dict[str, str]] = {
    "electricity": "kWh",
    "natural_gas": "m3",
    "oil": "t",
    "coal": "t",
    "steam": "GJ",
    "water": "m3",
}


def conversion_label(options: IndicatorOptions, lang: str = "zh") -> str:
    """当量值 / 等价值 (or the English) of the options."""
    zh, en = CONVERSION_NAMES[options.electricity_conversion]
    return zh if lang == "zh" else en


def check_scope(store: Store, enterprise_id: int | None, park_id: int | None = None) -> None:
    """``NotFound`` for an enterprise id outside the park."""
    if enterprise_id is None:
        return
    park = store.registry.park(park_id)
    if enterprise_id not in {e.id for e in store.registry.enterprises(park.id)}:
        raise NotFound(f"enterprise {enterprise_id} not found")
