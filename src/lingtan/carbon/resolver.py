"""Which factor record serves a computation: the one place lingtan chooses among records.

The inventory (:mod:`lingtan.carbon.inventory`) and the energy statistics
(:mod:`lingtan.indicators.energy`) both convert through a :class:`FactorResolver`, so that one
综合能源消费量 is the same number wherever it is printed. A resolver serves one data year, remembers
every record it used (``used``) and says in ``notes`` where it had to take a record of another
year or fall back.

Rules it applies (each is documented in docs/standards.md):

* fuel parameters (NCV, carbon content, oxidation) — a ``measured`` record of the data year (a
  lab record supplied with ``--factors``), else the guideline editions in the order of the option
  ``fuel_editions``;
* a fuel in tce (GB/T 2589-2020 折算为标准煤的要求) — a measured NCV ÷ the heat content of 1 kgce
  (29 307 kJ); without one, the reference coefficient of the annex (原煤 0.7143 kgce/kg, 柴油
  1.4571 kgce/kg, 天然气 by kind: 油田天然气 1.3300, 气田天然气 1.2143 kgce/m³ …); a fuel the annex
  does not list converts through its default NCV, with a note;
* electricity in tce — 当量值 (0.1229 kgce/kWh), or 等价值: the record of the data year, else the
  latest earlier one, with a note;
* grid factors — the data year, else the latest earlier one (``grid_factor_year``), with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from lingtan import units
from lingtan.carbon.activity import FUELS, default_kind
from lingtan.carbon.citation import clause_of
from lingtan.carbon.factors.loader import FactorLibrary, FactorRecord, FactorSeries, grid_region_of
from lingtan.carbon.methods import gbt2589
from lingtan.errors import InvalidInput, NotFound

# 1 kJ/kgce = 1 MJ/tce: lingtan.units has no kJ, so standard-coal heat content is read as MJ/tce.
_KJ_PER_KGCE_AS: Final[str] = "MJ"

#: how a fuel's standard-coal coefficient was obtained
CoefficientBasis = Literal["measured_ncv", "reference", "default_ncv"]
BASIS_NAMES: Final[dict[str, tuple[str, str]]] = {
    "measured_ncv": ("实测低位发热量", "measured net calorific value"),
    "reference": ("GB/T 2589 附录A 参考系数", "GB/T 2589 annex reference coefficient"),
    "default_ncv": ("缺省低位发热量（附录A 无此能源）", "default NCV (not in the annex)"),
}


class ResolverOptions(Protocol):
    """The accounting options a resolver reads (:class:`lingtan.carbon.AccountingOptions`)."""

    @property
    def electricity_conversion(self) -> str: ...

    @property
    def park_fossil_factor(self) -> str: ...

    @property
    def grid_factor_year(self) -> str: ...

    @property
    def fuel_editions(self) -> tuple[str, ...]: ...

    @property
    def natural_gas_kind(self) -> str: ...


def fmt(x: float) -> str:
    """A number as the explain lines print it."""
    return f"{x:.10g}"


def label(func: Any) -> str:
    """The clause a formula cites, as one line."""
    return clause_of(func).label()


def split_unit(unit: str) -> tuple[str, str]:
    """``'kgce/kg'`` → ``('kgce', 'kg')``."""
    numerator, _, denominator = unit.partition("/")
    return numerator, denominator


@dataclass(frozen=True, slots=True)
class StandardCoalCoefficient:
    """A fuel's standard-coal coefficient and how it was obtained."""

    #: tce per unit of ``per``
    tce_per_unit: float
    #: the physical unit the coefficient is per (t, kg, m3, 10^4 m3 …)
    per: str
    #: records it rests on (the NCV and the standard-coal definition, or the reference record)
    records: tuple[FactorRecord, ...]
    #: the coefficient as text, e.g. ``1.4571 kgce/kg`` or ``42.9 GJ/t ÷ 29.307 GJ/tce``
    expression: str
    #: the clause that gives it
    clause: str
    #: measured NCV, the annex's reference coefficient, or a default NCV (fuel not in the annex)
    basis: CoefficientBasis

    def tce(self, amount: float, unit: str) -> float:
        """``amount`` [unit] in tce."""
        return units.convert(amount, unit, self.per) * self.tce_per_unit


class FactorResolver:
    """Picks factor records for the computations of one data year and remembers which it used."""

    def __init__(self, library: FactorLibrary, options: ResolverOptions, year: int) -> None:
        self.library = library
        self.options = options
        self.year = year
        self.used: dict[str, FactorRecord | FactorSeries] = {}
        self.notes: list[str] = []

    def use(self, record: FactorRecord) -> FactorRecord:
        """Mark ``record`` as used and return it."""
        self.used.setdefault(record.id, record)
        return record

    def note(self, text: str) -> None:
        """Add a note once."""
        if text not in self.notes:
            self.notes.append(text)

    # -- grid, heat -------------------------------------------------------------------------
    def _year_for(self, kind: str, key: str, scope: str, region: str, basis: str) -> int | None:
        years = self.library.years(kind, key, scope=scope, region=region, basis=basis)
        if self.year in years:
            return self.year
        if self.options.grid_factor_year == "same_year":
            return None
        earlier = [y for y in years if y < self.year]
        return earlier[-1] if earlier else None

    def grid(self, scope: str, region: str, basis: str, key: str = "electricity") -> FactorRecord:
        """The grid factor of the data year (else the latest earlier one, with a note)."""
        year = self._year_for("grid_electricity", key, scope, region, basis)
        if year is None:
            raise NotFound(
                f"no {basis} grid factor for {region} in {self.year} "
                f"({self.options.grid_factor_year}); add a record for it"
            )
        record = self.library.lookup(
            "grid_electricity", key, scope=scope, region=region, basis=basis, year=year
        )
        if year != self.year:
            self.note(
                f"grid factor {record.id}: data year {year} used for {self.year} "
                "(latest published before it)"
            )
        return self.use(record)

    def grid_average(self, province: str) -> tuple[FactorRecord, str]:
        """Provincial, else regional, else national average factor; and the level used."""
        region = grid_region_of(province)
        attempts: list[tuple[str, str, str]] = [("province", province, "省级")]
        if region is not None:
            attempts.append(("grid_region", region, "区域"))
        attempts.append(("national", "全国", "全国"))
        for scope, name, level in attempts:
            try:
                return self.grid(scope, name, "average"), level
            except NotFound:
                continue
        raise NotFound(f"no average grid factor for {province} in {self.year}")

    def park_fossil(self) -> FactorRecord:
        """The fossil electricity factor of the park method (附件4 0.8325, or MEE's)."""
        if self.options.park_fossil_factor == "annex4":
            found = self.library.history("grid_electricity", "annex4_fossil_electricity")
            if not found:
                raise NotFound("the Annex 4 fossil electricity factor record is missing")
            return self.use(found[-1])
        return self.grid("national", "全国", "fossil")

    def heat_default(self) -> FactorRecord:
        """The default factor of fossil heat (附件4 0.11 tCO2/GJ)."""
        found = self.library.history("heat", "fossil_heat")
        if not found:
            raise NotFound("no default fossil heat factor record")
        return self.use(found[-1])

    # -- fuel parameters --------------------------------------------------------------------
    def measured(self, kind: str, key: str) -> FactorRecord | None:
        """A ``measured`` record of exactly the data year (a lab record), if any; a lab analysis
        describes the fuel of its year, so no other year is taken."""
        found = [
            r for r in self.library.history(kind, key, year=self.year) if r.basis == "measured"
        ]
        return self.use(found[-1]) if found else None

    def edition_record(self, kind: str, key: str) -> FactorRecord | None:
        """The default of the first guideline edition (option ``fuel_editions``) that has one."""
        for edition in self.options.fuel_editions:
            found = self.library.history(kind, key, edition=edition)
            if found:
                return self.use(found[-1])
        found = [r for r in self.library.history(kind, key) if r.basis != "measured"]
        return self.use(found[-1]) if found else None

    def parameter(self, kind: str, key: str) -> FactorRecord | None:
        """A fuel parameter: the measured record of the data year, else the edition default."""
        return self.measured(kind, key) or self.edition_record(kind, key)

    # -- standard coal (GB/T 2589) ------------------------------------------------------------
    def standard_coal(self, key: str, basis: str = "equivalent") -> FactorRecord | None:
        """The latest-appended standard-coal record of ``key`` and ``basis``."""
        found = [r for r in self.library.history("standard_coal", key) if r.basis == basis]
        return self.use(found[-1]) if found else None

    def coal_heat_content_gj_per_tce(self) -> tuple[float, FactorRecord]:
        """Heat content of 1 tce [GJ/tce] (GB/T 2589: 1 kgce = 29 307 kJ) and its record."""
        record = self.standard_coal("standard_coal_calorific_value", "definition")
        if record is None:
            raise NotFound("no standard-coal calorific value record")
        return units.convert(record.value, _KJ_PER_KGCE_AS, "GJ"), record

    def electricity_tce(self) -> FactorRecord:
        """The electricity coefficient of the option ``electricity_conversion``.

        当量值: the GB/T 2589 record. 等价值: the record of the data year, else the latest
        earlier one (with a note); ``NotFound`` when there is none up to the data year.
        """
        if self.options.electricity_conversion == "equivalent":
            record = self.standard_coal("electricity", "equivalent")
            if record is None:
                raise NotFound("no 当量值 electricity standard-coal coefficient record")
            return record
        found = [
            r
            for r in self.library.history("standard_coal", "electricity")
            if r.basis == "equal_value" and r.year <= self.year
        ]
        if not found:
            raise NotFound(
                "electricity_conversion=equal_value needs a standard_coal record with key "
                f"'electricity', basis 'equal_value' for {self.year} or earlier (GB/T 2589: the "
                "year's coal consumption of thermal power); the shipped series starts in "
                f"{min((r.year for r in self._equal_value()), default=self.year)}; add a record "
                "with its source in a factor file (--factors)"
            )
        best = max(r.year for r in found)
        record = [r for r in found if r.year == best][-1]
        if best != self.year:
            self.note(
                f"electricity 等价值 {record.id}: data year {best} used for {self.year} "
                "(latest published before it)"
            )
        return self.use(record)

    def _equal_value(self) -> list[FactorRecord]:
        return [
            r
            for r in self.library.history("standard_coal", "electricity")
            if r.basis == "equal_value"
        ]

    def electricity_tce_per_kwh(self) -> tuple[float, FactorRecord]:
        """The electricity coefficient in tce/kWh, and its record."""
        record = self.electricity_tce()
        numerator, per = split_unit(record.unit)
        tce = units.convert(record.value, numerator, "tce")
        return tce / units.convert(1.0, per, "kWh"), record

    def heat_tce(self) -> FactorRecord:
        """The heat coefficient (热力 当量值, tce/GJ)."""
        record = self.standard_coal("heat")
        if record is None:
            raise NotFound("no heat standard-coal coefficient record")
        return record

    def fuel_tce(self, fuel: str, kind: str | None = None) -> StandardCoalCoefficient | None:
        """tce per physical unit of a fuel of the activity format; None if nothing converts it.

        A measured NCV record of the data year converts through NCV ÷ 29 307 kJ/kgce; otherwise
        the GB/T 2589 annex reference coefficient of the fuel (of its ``kind`` for natural gas:
        ``oil_field`` or ``gas_field``, default the option ``natural_gas_kind``); a fuel the
        annex does not list converts through its default NCV, and a note says so.
        """
        spec = FUELS.get(fuel)
        if spec is None:
            raise InvalidInput(f"unknown fuel {fuel!r}", field="fuel")
        chosen = kind or default_kind(fuel, self.options.natural_gas_kind)
        if chosen is not None and chosen not in spec.kinds:
            raise InvalidInput(
                f"{fuel} has no kind {chosen!r}; kinds: {', '.join(spec.kinds) or 'none'}",
                field="kind",
            )
        measured = self.measured("fuel_ncv", fuel)
        if measured is not None:
            return self._through_ncv(measured, "measured_ncv", "(实测)")
        key = spec.tce_key if chosen is None else f"{spec.tce_key}.{chosen}"
        record = self.standard_coal(key)
        if record is not None:
            numerator, per = split_unit(record.unit)
            return StandardCoalCoefficient(
                units.convert(record.value, numerator, "tce"),
                per,
                (record,),
                f"{fmt(record.value)} {record.unit}",
                label(gbt2589.energy_consumption_standard_coal),
                "reference",
            )
        default = self.edition_record("fuel_ncv", fuel)
        if default is None:
            return None
        self.note(
            f"{fuel}: GB/T 2589 annex A gives no reference coefficient; converted to tce through "
            f"its default net calorific value {default.id} ({fmt(default.value)} {default.unit}) "
            "÷ 29 307 kJ/kgce"
        )
        return self._through_ncv(default, "default_ncv", "(缺省值)")

    def _through_ncv(
        self, ncv: FactorRecord, basis: CoefficientBasis, tag: str
    ) -> StandardCoalCoefficient:
        gj_per_tce, cv = self.coal_heat_content_gj_per_tce()
        _, per = split_unit(ncv.unit)
        return StandardCoalCoefficient(
            gbt2589.standard_coal_coefficient_from_ncv(ncv.value, gj_per_tce),
            per,
            (ncv, cv),
            f"{fmt(ncv.value)} {ncv.unit} {tag} ÷ {fmt(gj_per_tce)} GJ/tce",
            label(gbt2589.standard_coal_coefficient_from_ncv),
            basis,
        )
