"""An enterprise's GHG account for a year: sources by sector method, month by month.

The input is a document (:class:`GhgDocument`, YAML/JSON): the enterprise's sector, the GWP
report, and its emission sources, each naming a method of :mod:`lingtan.ghg.methods` with monthly
activity data and parameters (:mod:`lingtan.ghg.activity`). Defaults are looked up here, by record
id, from the GHG records (``lingtan/ghg/data``) or the carbon factor library (fuels, grid, heat —
reused, not copied); formulas never look anything up.

The result (:class:`GhgResult`) keeps, for every source and month, the tonnes of each gas, the
clause of the formula, and every record used with its confidence. Months without activity are
``missing`` — the source's annual figure is then ``None``, never a zero-filled sum. Boundaries:

* ``direct`` — fuel combustion + process − sequestered carbon (+ SF6, PFCs ...), all gases;
* ``market`` — the national carbon market's: direct emissions of the gases its sector covers
  (CO2; CO2/CF4/C2F6 for aluminium);
* ``indirect`` — net purchased electricity and heat (GB/T 32150), kept apart from both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lingtan.carbon.citation import clause_of
from lingtan.carbon.factors import FactorLibrary, default_library
from lingtan.errors import InvalidInput, NotFound
from lingtan.ghg import cbam, records
from lingtan.ghg.activity import MONTHS, AnnualFigure, Evidence, Param, Series, annual
from lingtan.ghg.gases import GasAmounts
from lingtan.ghg.methods import aluminium, carbonates, cement, measurement, sf6, steel
from lingtan.ghg.records import Report

Sector = Literal["steel", "cement", "aluminium", "power", "other"]
Category = Literal["fuel_combustion", "process", "sequestered", "indirect"]
Method = Literal[
    "fuel",
    "steel_flux",
    "steel_electrode",
    "steel_purchased",
    "steel_sequestered",
    "cement_clinker",
    "cement_raw_meal",
    "al_anode",
    "al_pfc_default",
    "al_pfc_slope",
    "al_pfc_overvoltage",
    "carbonate",
    "cems",
    "measured_carbon",
    "sf6",
    "electricity",
    "heat",
]
METHODS: tuple[str, ...] = get_args(Method)


class Source(BaseModel):
    """One emission source: its method, monthly series and parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(default="", max_length=200)
    method: Method
    #: material/fuel/product key the method needs (fuel key, flux, product, carbonate, technology)
    key: str | None = Field(default=None, max_length=64)
    series: dict[str, Series] = Field(default_factory=dict)
    params: dict[str, Param] = Field(default_factory=dict)
    #: carbon factor library edition for fuel defaults (e.g. gbt32151.5-2015)
    edition: str | None = None


class GhgDocument(BaseModel):
    """An enterprise's GHG inputs for one year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enterprise: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=2005, le=2100)
    sector: Sector
    gwp_report: Report = "AR5"
    #: product output by month (the intensity denominator), e.g. crude steel, clinker, aluminium
    product: str | None = Field(default=None, max_length=64)
    output: Series | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    #: the enterprise's CBAM installations (docs/cbam.md), for the communication to importers
    cbam_installations: tuple[dict[str, Any], ...] = ()


def parse_document(data: Mapping[str, Any]) -> GhgDocument:
    """Validate a document; ``InvalidInput`` naming the first bad field's path."""
    try:
        doc = GhgDocument.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from err
    for src in doc.sources:
        for name, ser in src.series.items():
            where = f"sources.{src.id}.series.{name}"
            if ser.flags:
                raise InvalidInput(
                    f"{where}.flags: set when months are read from metering, not given",
                    field=f"{where}.flags",
                )
            if ser.metered and ser.months:
                raise InvalidInput(
                    f"{where}: a series naming a meter or carrier takes its months from the "
                    "statistics; give months or the meter, not both",
                    field=where,
                )
        for name, p in src.params.items():
            if p.monthly is not None and (p.monthly.metered or p.monthly.flags):
                where = f"sources.{src.id}.params.{name}.monthly"
                raise InvalidInput(
                    f"{where}: a parameter's months are typed (meters give activity series)",
                    field=where,
                )
    for i, inst in enumerate(doc.cbam_installations):
        try:
            cbam.parse_installation(dict(inst))
        except InvalidInput as err:
            where = f"cbam_installations.{i}.{err.field or ''}".rstrip(".")
            raise InvalidInput(f"cbam_installations.{i}.{err}", field=where) from err
    ids = [s.id for s in doc.sources]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise InvalidInput(f"sources: id {sorted(dupes)[0]!r} given twice", field="sources")
    return doc


@dataclass
class UsedRecord:
    """A record a source used."""

    id: str
    value: float
    unit: str
    document: str
    confidence: str
    verified: bool


@dataclass
class SourceResult:
    """A source's monthly and annual amounts."""

    id: str
    name: str
    method: str
    category: Category
    clause: str
    months: dict[int, GasAmounts | None]
    records: list[UsedRecord] = field(default_factory=list)
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def annual_gas(self) -> GasAmounts | None:
        """The year per gas, None while a month is missing."""
        if any(v is None for v in self.months.values()):
            return None
        total = GasAmounts()
        for v in self.months.values():
            assert v is not None
            total = total + v
        return total

    def figure(self, report: Report, gases: tuple[str, ...] | None = None) -> AnnualFigure:
        """tCO2e by month → the year (None while a month is missing)."""
        return annual(
            {
                m: None if v is None else (v if gases is None else v.only(gases)).co2e(report)
                for m, v in self.months.items()
            }
        )


SIGN: dict[str, float] = {"fuel_combustion": 1.0, "process": 1.0, "sequestered": -1.0}


@dataclass
class GhgResult:
    """The account of a document."""

    document: GhgDocument
    sources: list[SourceResult]
    market_gases: tuple[str, ...]

    @property
    def report(self) -> Report:
        """The GWP report used."""
        return self.document.gwp_report

    def _boundary(
        self, categories: tuple[str, ...], gases: tuple[str, ...] | None
    ) -> dict[int, float | None]:
        out: dict[int, float | None] = {}
        for m in MONTHS:
            total: float | None = 0.0
            for s in self.sources:
                if s.category not in categories:
                    continue
                v = s.months.get(m)
                if v is None:
                    total = None
                    break
                amount = (v if gases is None else v.only(gases)).co2e(self.report)
                assert total is not None
                total += SIGN.get(s.category, 1.0) * amount
            out[m] = total
        return out

    def direct(self) -> AnnualFigure:
        """Direct emissions, all gases [tCO2e] (fuel + process − sequestered)."""
        return annual(self._boundary(("fuel_combustion", "process", "sequestered"), None))

    def market(self) -> AnnualFigure:
        """The national market's boundary: direct emissions of the covered gases [tCO2e]."""
        return annual(
            self._boundary(("fuel_combustion", "process", "sequestered"), self.market_gases)
        )

    def indirect(self) -> AnnualFigure:
        """Net purchased electricity and heat [tCO2] (kept apart)."""
        return annual(self._boundary(("indirect",), None))

    def per_gas(self) -> GasAmounts | None:
        """Direct emissions per gas for the year (sequestered subtracted), None if incomplete."""
        total = GasAmounts()
        for s in self.sources:
            if s.category == "indirect":
                continue
            a = s.annual_gas()
            if a is None:
                return None
            total = total + a.scaled(SIGN[s.category])
        return total

    def output(self) -> AnnualFigure | None:
        """Product output by month → the year, if the document gives it."""
        if self.document.output is None:
            return None
        return annual({m: _month_value(self.document.output, m) for m in MONTHS})

    def intensity(self) -> dict[int, float | None]:
        """Market-boundary emissions per unit of product, by month [tCO2e/unit] (None where the
        month's emissions or output is missing or the output is zero)."""
        if self.document.output is None:
            return {}
        em = self._boundary(("fuel_combustion", "process", "sequestered"), self.market_gases)
        out: dict[int, float | None] = {}
        for m in MONTHS:
            p = _month_value(self.document.output, m)
            e = em[m]
            out[m] = None if e is None or not p else e / p
            if out[m] is not None and not math.isfinite(out[m]):  # type: ignore[arg-type]
                raise InvalidInput(
                    f"output.months.{m}: too small for the month's emissions", field="output"
                )
        return out

    def intensity_trend(self) -> dict[str, Any]:
        """The monthly intensity's least-squares slope [tCO2e/unit per month] over the months
        that have one (a descriptive trend, not a regulatory figure); None with fewer than 2."""
        points = [(m, v) for m, v in self.intensity().items() if v is not None]
        if len(points) < 2:
            return {"slope_per_month": None, "months": [m for m, _ in points]}
        n = len(points)
        mx = sum(m for m, _ in points) / n
        my = sum(v for _, v in points) / n
        sxx = sum((m - mx) ** 2 for m, _ in points)
        sxy = sum((m - mx) * (v - my) for m, v in points)
        return {"slope_per_month": sxy / sxx, "months": [m for m, _ in points]}

    def unverified(self) -> list[str]:
        """Ids of records used whose confidence is not verified."""
        return sorted({r.id for s in self.sources for r in s.records if not r.verified})

    def missing(self) -> list[dict[str, Any]]:
        """(source, month) pairs flagged missing."""
        out = []
        for src, s in zip(self.document.sources, self.sources, strict=True):
            for m, v in s.months.items():
                if v is None:
                    reasons = [ser.flags[m] for ser in src.series.values() if m in ser.flags]
                    item: dict[str, Any] = {"source": s.id, "month": m, "status": "missing"}
                    if reasons:
                        item["reason"] = "; ".join(reasons)
                    out.append(item)
        return out


def _month_value(series: Series, month: int) -> float | None:
    mv = series.get(month)
    return None if mv is None else mv.value


#: the units a series must be given in (the methods' parameters are per these units)
UNITS: dict[str, frozenset[str]] = {
    **{
        n: frozenset({"t"})
        for n in (
            "quantity",
            "output",
            "clinker",
            "kiln_head_dust",
            "bypass_dust",
            "raw_meal",
            "mass",
            "nameplate",
            "recovered",
        )
    },
    "volume": frozenset({"Nm3"}),
    "concentration": frozenset({"mg/Nm3"}),
    "anode_effect_minutes": frozenset({"AE-min/cell-day"}),
    "overvoltage": frozenset({"mV/cell-day"}),
}


class _Ctx:
    """Resolves parameters for one source, keeping the records used."""

    def __init__(self, source: Source, library: FactorLibrary, year: int) -> None:
        self.source = source
        self.library = library
        self.year = year
        self.used: dict[str, UsedRecord] = {}

    def series(self, name: str, *, required: bool = True) -> Series | None:
        s = self.source.series.get(name)
        if s is None and required:
            raise InvalidInput(
                f"sources.{self.source.id}.series.{name}: required by method {self.source.method}",
                field=f"sources.{self.source.id}.series.{name}",
            )
        want = UNITS.get(name)
        if s is not None and want is not None and s.unit not in want:
            raise InvalidInput(
                f"sources.{self.source.id}.series.{name}.unit: {s.unit!r} is not "
                f"{' or '.join(sorted(want))}",
                field=f"sources.{self.source.id}.series.{name}.unit",
            )
        return s

    def _record(self, record_id: str) -> float:
        try:
            rec = records.param(record_id)
            self.used[rec.id] = UsedRecord(
                rec.id, rec.value, rec.unit, rec.document, rec.confidence, rec.verified
            )
            return rec.value
        except NotFound:
            pass
        try:
            f = self.library.get(record_id)
        except NotFound:
            raise InvalidInput(
                f"sources.{self.source.id}: unknown record {record_id!r}",
                field=f"sources.{self.source.id}.params",
            ) from None
        value = f.value
        if f.unit == "kgCO2/kWh":
            value = f.value  # numerically equal to tCO2/MWh
        self.used[f.id] = UsedRecord(f.id, value, f.unit, f.source, f.confidence, f.verified)
        return value

    def param(self, name: str, month: int, default: str | None = None) -> float | None:
        """The parameter's value for ``month`` (None when a monthly parameter misses it)."""
        p = self.source.params.get(name)
        if p is None:
            if default is None:
                raise InvalidInput(
                    f"sources.{self.source.id}.params.{name}: required by method "
                    f"{self.source.method} (no default record)",
                    field=f"sources.{self.source.id}.params.{name}",
                )
            return self._record(default)
        if p.record is not None:
            return self._record(p.record)
        if p.monthly is not None:
            return _month_value(p.monthly, month)
        assert p.value is not None
        if p.value < 0:
            raise InvalidInput(
                f"sources.{self.source.id}.params.{name}: must be ≥ 0, got {p.value}",
                field=f"sources.{self.source.id}.params.{name}",
            )
        return p.value

    def fuel_default(self, kind: str) -> str:
        """The carbon library record id of a fuel's default ``kind`` (fuel_ncv ...)."""
        key = self.source.key
        if not key:
            raise InvalidInput(
                f"sources.{self.source.id}.key: the fuel key (coke, natural_gas ...)",
                field=f"sources.{self.source.id}.key",
            )
        found = [
            r
            for r in self.library.history(
                kind, key, scope="national", region="全国", basis="default"
            )
            if self.source.edition is None or r.edition == self.source.edition
        ]
        if not found:
            raise InvalidInput(
                f"sources.{self.source.id}.key: no default {kind} for fuel {key!r}"
                + (f" in edition {self.source.edition}" if self.source.edition else ""),
                field=f"sources.{self.source.id}.key",
            )
        return found[-1].id


Handler = Callable[[_Ctx, int], GasAmounts | None]


def _v(ctx: _Ctx, name: str, month: int, *, required: bool = True) -> float | None:
    s = ctx.series(name, required=required)
    if s is None:
        return 0.0  # an optional series that is not given at all (no kiln dust, no export)
    return _month_value(s, month)


def _all(*values: float | None) -> bool:
    return all(v is not None for v in values)


def _fuel_unit(ctx: _Ctx) -> None:
    """The fuel's series unit must be the one its NCV is per (t, 10^4 m3 …)."""
    p = ctx.source.params.get("ncv")
    if p is None or p.record is not None:
        rec = ctx.library.get(
            p.record if p is not None and p.record else ctx.fuel_default("fuel_ncv")
        )
        want = rec.unit.split("/", 1)[1]
    else:
        return  # a measured NCV: its unit is the caller's
    for name in ("consumed", "exported"):
        s = ctx.source.series.get(name)
        if s is not None and s.unit != want:
            raise InvalidInput(
                f"sources.{ctx.source.id}.series.{name}.unit: {s.unit!r}, but the NCV record "
                f"{rec.id} is per {want}",
                field=f"sources.{ctx.source.id}.series.{name}.unit",
            )


def _mass(ctx: _Ctx, name: str) -> None:
    s = ctx.source.series.get(name)
    if s is not None and s.unit != "t":
        raise InvalidInput(
            f"sources.{ctx.source.id}.series.{name}.unit: must be t",
            field=f"sources.{ctx.source.id}.series.{name}.unit",
        )


def _fuel(ctx: _Ctx, m: int) -> GasAmounts | None:
    if m == 1:
        _fuel_unit(ctx)
    fc, fx = _v(ctx, "consumed", m), _v(ctx, "exported", m, required=False)
    ncv = ctx.param("ncv", m, None if "ncv" in ctx.source.params else ctx.fuel_default("fuel_ncv"))
    cc = ctx.param(
        "carbon_content",
        m,
        None if "carbon_content" in ctx.source.params else ctx.fuel_default("fuel_carbon_content"),
    )
    of = ctx.param(
        "oxidation",
        m,
        None if "oxidation" in ctx.source.params else ctx.fuel_default("fuel_oxidation"),
    )
    if not _all(fc, fx, ncv, cc, of):
        return None
    return GasAmounts.co2(steel.fuel_combustion(fc, fx, ncv, cc, of))  # type: ignore[arg-type]


def _key(ctx: _Ctx, allowed: tuple[str, ...]) -> str:
    if ctx.source.key not in allowed:
        raise InvalidInput(
            f"sources.{ctx.source.id}.key: {ctx.source.key!r} is not one of {', '.join(allowed)}",
            field=f"sources.{ctx.source.id}.key",
        )
    return ctx.source.key


def _flux(ctx: _Ctx, m: int) -> GasAmounts | None:
    _mass(ctx, "consumed")
    k = _key(ctx, ("limestone", "dolomite"))
    p, dx = _v(ctx, "consumed", m), ctx.param("purity", m)
    ef = ctx.param("emission_factor", m, f"steel.flux.{k}.ef")
    if not _all(p, dx, ef):
        return None
    return GasAmounts.co2(steel.flux(p, dx, ef))  # type: ignore[arg-type]


def _electrode(ctx: _Ctx, m: int) -> GasAmounts | None:
    _mass(ctx, "consumed")
    p, ef = _v(ctx, "consumed", m), ctx.param("emission_factor", m, "steel.electrode.ef")
    if not _all(p, ef):
        return None
    return GasAmounts.co2(steel.electrode(p, ef))  # type: ignore[arg-type]


STEEL_PRODUCTS = ("pig_iron", "crude_steel", "dri", "ferronickel", "ferrochrome", "ferromolybdenum")


def _purchased(ctx: _Ctx, m: int) -> GasAmounts | None:
    k = _key(ctx, STEEL_PRODUCTS)
    q, ef = _v(ctx, "quantity", m), ctx.param("emission_factor", m, f"steel.product.{k}.ef")
    if not _all(q, ef):
        return None
    return GasAmounts.co2(steel.purchased_carbon_materials(q, ef))  # type: ignore[arg-type]


def _sequestered(ctx: _Ctx, m: int) -> GasAmounts | None:
    k = _key(ctx, (*STEEL_PRODUCTS, "methanol"))
    default = "steel.sequestered.methanol.ef" if k == "methanol" else f"steel.product.{k}.ef"
    q, ef = _v(ctx, "output", m), ctx.param("emission_factor", m, default)
    if not _all(q, ef):
        return None
    return GasAmounts.co2(steel.sequestered(q, ef))  # type: ignore[arg-type]


def _clinker(ctx: _Ctx, m: int) -> GasAmounts | None:
    q = _v(ctx, "clinker", m)
    ckd, bpd = (
        _v(ctx, "kiln_head_dust", m, required=False),
        _v(ctx, "bypass_dust", m, required=False),
    )
    vals = [ctx.param(n, m) for n in ("cao", "cao_non_carbonate", "mgo", "mgo_non_carbonate")]
    if not _all(q, ckd, bpd, *vals):
        return None
    return GasAmounts.co2(cement.clinker_process(q, ckd, bpd, *vals))  # type: ignore[arg-type]


def _raw_meal(ctx: _Ctx, m: int) -> GasAmounts | None:
    q, fr0 = _v(ctx, "raw_meal", m), ctx.param("non_fuel_carbon", m)
    if not _all(q, fr0):
        return None
    return GasAmounts.co2(cement.raw_meal_organic_carbon(q, fr0))  # type: ignore[arg-type]


def _anode(ctx: _Ctx, m: int) -> GasAmounts | None:
    p = _v(ctx, "output", m)
    if "emission_factor" in ctx.source.params:
        ef = ctx.param("emission_factor", m)
    else:
        nc = ctx.param("net_consumption", m, "aluminium.anode.net_consumption")
        s = ctx.param("sulphur", m, "aluminium.anode.sulphur")
        a = ctx.param("ash", m, "aluminium.anode.ash")
        ef = None if not _all(nc, s, a) else aluminium.anode_emission_factor(nc, s, a)  # type: ignore[arg-type]
    if not _all(p, ef):
        return None
    return GasAmounts.co2(aluminium.anode(p, ef))  # type: ignore[arg-type]


def _pfc_default(ctx: _Ctx, m: int) -> GasAmounts | None:
    p = _v(ctx, "output", m)
    cf4 = ctx.param("cf4_factor", m, "aluminium.pfc.cf4.ef")
    c2f6 = ctx.param("c2f6_factor", m, "aluminium.pfc.c2f6.ef")
    if not _all(p, cf4, c2f6):
        return None
    return aluminium.pfc_default(p, cf4, c2f6)  # type: ignore[arg-type]


def _pfc_slope(ctx: _Ctx, m: int) -> GasAmounts | None:
    tech = _key(ctx, ("cwpb", "swpb", "vss", "hss"))
    p, aem = _v(ctx, "output", m), _v(ctx, "anode_effect_minutes", m)
    s = ctx.param("slope_cf4", m, f"ipcc2006.al.slope_cf4.{tech}")
    f = ctx.param("c2f6_cf4_ratio", m, f"ipcc2006.al.c2f6_cf4_ratio.{tech}")
    if not _all(p, aem, s, f):
        return None
    return aluminium.pfc_slope(p, aem, s, f)  # type: ignore[arg-type]


def _pfc_overvoltage(ctx: _Ctx, m: int) -> GasAmounts | None:
    p, aeo = _v(ctx, "output", m), _v(ctx, "overvoltage", m)
    ce = ctx.param("current_efficiency", m)
    ovc = ctx.param("overvoltage_coefficient", m)
    f = ctx.param("c2f6_cf4_ratio", m)
    if not _all(p, aeo, ce, ovc, f):
        return None
    return aluminium.pfc_overvoltage(p, aeo, ce, ovc, f)  # type: ignore[arg-type]


CARBONATES = ("calcite", "magnesite", "dolomite", "siderite", "rhodochrosite", "sodium_carbonate")


def _carbonate(ctx: _Ctx, m: int) -> GasAmounts | None:
    _mass(ctx, "consumed")
    k = _key(ctx, CARBONATES)
    q = _v(ctx, "consumed", m)
    ef = ctx.param("emission_factor", m, f"ipcc2006.carbonate.{k}.ef")
    f = ctx.param("calcined", m) if "calcined" in ctx.source.params else 1.0
    if not _all(q, ef, f):
        return None
    return GasAmounts.co2(carbonates.carbonates(q, ef, f))  # type: ignore[arg-type]


def _cems(ctx: _Ctx, m: int) -> GasAmounts | None:
    vol, conc = _v(ctx, "volume", m), _v(ctx, "concentration", m)
    if not _all(vol, conc):
        return None
    # a month's dry standard volume [Nm3] × its flow-weighted mean concentration [mg/Nm3]
    return GasAmounts.co2(measurement.cems_mass(vol, conc, 1.0))  # type: ignore[arg-type]


def _measured_carbon(ctx: _Ctx, m: int) -> GasAmounts | None:
    q, c = _v(ctx, "mass", m), ctx.param("carbon_content", m)
    of = ctx.param("oxidation", m) if "oxidation" in ctx.source.params else 1.0
    if not _all(q, c, of):
        return None
    return GasAmounts.co2(measurement.measured_carbon(q, c, of))  # type: ignore[arg-type]


def _sf6(ctx: _Ctx, m: int) -> GasAmounts | None:
    cap, rec = _v(ctx, "nameplate", m), _v(ctx, "recovered", m)
    if not _all(cap, rec):
        return None
    return sf6.switchgear(cap, rec)  # type: ignore[arg-type]


def _net_indirect(ctx: _Ctx, m: int) -> GasAmounts | None:
    want = "MWh" if ctx.source.method == "electricity" else "GJ"
    for name in ("purchased", "exported"):
        s = ctx.source.series.get(name)
        if s is not None and s.unit != want:
            raise InvalidInput(
                f"sources.{ctx.source.id}.series.{name}.unit: must be {want}",
                field=f"sources.{ctx.source.id}.series.{name}.unit",
            )
    bought, sold = _v(ctx, "purchased", m), _v(ctx, "exported", m, required=False)
    ef = ctx.param("emission_factor", m)
    if not _all(bought, sold, ef):
        return None
    return GasAmounts.co2((bought - sold) * ef)  # type: ignore[operator]


HANDLERS: dict[str, tuple[Handler, Category, Callable[..., Any]]] = {
    "fuel": (_fuel, "fuel_combustion", steel.fuel_combustion),
    "steel_flux": (_flux, "process", steel.flux),
    "steel_electrode": (_electrode, "process", steel.electrode),
    "steel_purchased": (_purchased, "process", steel.purchased_carbon_materials),
    "steel_sequestered": (_sequestered, "sequestered", steel.sequestered),
    "cement_clinker": (_clinker, "process", cement.clinker_process),
    "cement_raw_meal": (_raw_meal, "process", cement.raw_meal_organic_carbon),
    "al_anode": (_anode, "process", aluminium.anode),
    "al_pfc_default": (_pfc_default, "process", aluminium.pfc_default),
    "al_pfc_slope": (_pfc_slope, "process", aluminium.pfc_slope),
    "al_pfc_overvoltage": (_pfc_overvoltage, "process", aluminium.pfc_overvoltage),
    "carbonate": (_carbonate, "process", carbonates.carbonates),
    "cems": (_cems, "fuel_combustion", measurement.cems_mass),
    "measured_carbon": (_measured_carbon, "fuel_combustion", measurement.measured_carbon),
    "sf6": (_sf6, "process", sf6.switchgear),
    "electricity": (_net_indirect, "indirect", steel.total),
    "heat": (_net_indirect, "indirect", steel.total),
}


#: the series and parameters each method reads; anything else in a source is refused
FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "fuel": (
        frozenset({"consumed", "exported"}),
        frozenset({"ncv", "carbon_content", "oxidation"}),
    ),
    "steel_flux": (frozenset({"consumed"}), frozenset({"purity", "emission_factor"})),
    "steel_electrode": (frozenset({"consumed"}), frozenset({"emission_factor"})),
    "steel_purchased": (frozenset({"quantity"}), frozenset({"emission_factor"})),
    "steel_sequestered": (frozenset({"output"}), frozenset({"emission_factor"})),
    "cement_clinker": (
        frozenset({"clinker", "kiln_head_dust", "bypass_dust"}),
        frozenset({"cao", "cao_non_carbonate", "mgo", "mgo_non_carbonate"}),
    ),
    "cement_raw_meal": (frozenset({"raw_meal"}), frozenset({"non_fuel_carbon"})),
    "al_anode": (
        frozenset({"output"}),
        frozenset({"emission_factor", "net_consumption", "sulphur", "ash"}),
    ),
    "al_pfc_default": (frozenset({"output"}), frozenset({"cf4_factor", "c2f6_factor"})),
    "al_pfc_slope": (
        frozenset({"output", "anode_effect_minutes"}),
        frozenset({"slope_cf4", "c2f6_cf4_ratio"}),
    ),
    "al_pfc_overvoltage": (
        frozenset({"output", "overvoltage"}),
        frozenset({"current_efficiency", "overvoltage_coefficient", "c2f6_cf4_ratio"}),
    ),
    "carbonate": (frozenset({"consumed"}), frozenset({"emission_factor", "calcined"})),
    "cems": (frozenset({"volume", "concentration"}), frozenset()),
    "measured_carbon": (frozenset({"mass"}), frozenset({"carbon_content", "oxidation"})),
    "sf6": (frozenset({"nameplate", "recovered"}), frozenset()),
    "electricity": (frozenset({"purchased", "exported"}), frozenset({"emission_factor"})),
    "heat": (frozenset({"purchased", "exported"}), frozenset({"emission_factor"})),
}


def _check_fields(source: Source) -> None:
    series, params = FIELDS[source.method]
    for name in source.series:
        if name not in series:
            raise InvalidInput(
                f"sources.{source.id}.series.{name}: not read by method {source.method} "
                f"(it reads {', '.join(sorted(series))})",
                field=f"sources.{source.id}.series.{name}",
            )
    for name in source.params:
        if name not in params:
            raise InvalidInput(
                f"sources.{source.id}.params.{name}: not read by method {source.method}"
                + (f" (it reads {', '.join(sorted(params))})" if params else ""),
                field=f"sources.{source.id}.params.{name}",
            )


def market_gases(sector: str) -> tuple[str, ...]:
    """The gases the national market covers for ``sector`` (CO2 where not covered)."""
    _, sectors = records.market()
    for s in sectors:
        if s.key == sector:
            return tuple(s.gases)
    return ("CO2",)


def _evidence(source: Source) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, s in source.series.items():
        out[name] = [{"month": v.month, **v.evidence.model_dump()} for v in s.months]
    for name, p in source.params.items():
        if p.evidence is not None:
            out[f"param:{name}"] = [p.evidence.model_dump()]
        elif p.monthly is not None:
            out[f"param:{name}"] = [
                {"month": v.month, **v.evidence.model_dump()} for v in p.monthly.months
            ]
        elif p.record is not None:
            out[f"param:{name}"] = [Evidence(kind="default", reference=p.record).model_dump()]
    return out


def account(doc: GhgDocument, *, library: FactorLibrary | None = None) -> GhgResult:
    """Account every source of ``doc`` month by month."""
    lib = library or default_library()
    results = []
    for source in doc.sources:
        handler, category, formula = HANDLERS[source.method]
        _check_fields(source)
        ctx = _Ctx(source, lib, doc.year)
        months: dict[int, GasAmounts | None] = {m: handler(ctx, m) for m in MONTHS}
        if source.method in ("electricity", "heat"):
            clause = "GB/T 32150-2015 购入/输出电力、热力 (E = (AD购入 − AD输出) × EF) [clause number not verified]"
        else:
            clause = clause_of(formula).label()
        results.append(
            SourceResult(
                id=source.id,
                name=source.name,
                method=source.method,
                category=category,
                clause=clause,
                months=months,
                records=list(ctx.used.values()),
                evidence=_evidence(source),
            )
        )
    return GhgResult(doc, results, market_gases(doc.sector))
