"""From metered carrier totals to an activity document (pure: no store, no SQL).

The store keeps, as data arrives, the hourly consumption of every *boundary* metering point summed
per owner (an enterprise, or the park itself) and carrier. This module says what each carrier
contributes to the activity of a boundary (docs/activity-file.md, "From the store"):

========================  ====================================================================
carrier                   becomes
========================  ====================================================================
electricity_grid_import   ``electricity.received`` kind ``grid``
direct_green_electricity  ``electricity.received`` kind ``direct_non_fossil`` (绿电直连)
electricity_export        ``electricity.sent``, split by ``export_kind``: ``pv_first`` (default)
                          non-fossil up to the owner's PV generation of the same hour and fossil
                          beyond it (all fossil for an owner without PV meters); or all
                          ``non_fossil``; or all ``fossil``
natural_gas               ``fuels`` natural_gas (volume as Nm3, or energy as GJ)
diesel, gasoline          ``fuels`` diesel / gasoline (mass in t, or energy as GJ)
coal                      ``fuels`` of the type named by ``coal_fuel`` (default 一般烟煤)
steam, heat               ``heat.received`` of kind ``heat_kind`` (default fossil, 0.11 tCO2/GJ)
pv_generation             ``electricity.generated`` kind ``pv``: on-site renewable generation,
                          not received electricity (factor 0), counted in 综合能源消费量 by the
                          accounting option ``onsite_renewable``
storage_charge/discharge  flows behind the grid meters: not received electricity
ev_charging               a load behind the grid meters: already inside grid import
cooling, water, other     not energy activity of the methods: reported, not accounted
========================  ====================================================================

Everything the metering cannot give — process output, fuels bought by invoice or used as
feedstock, conversion, heat sent out, offsets — comes from an activity supplement, and
certificate-backed electricity (``green_certified``) only from the 绿证 ledger.

A supplement holds one month or a whole year. A period of accounting counts the monthly
supplements of its months in full and an annual supplement pro rata by months
(``supplement_allocation="pro_rata_months"``, default: a month counts 1/12 of it, January–March
3/12) — or refuses a period shorter than the year that would need one (``"refuse"``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from lingtan import units
from lingtan.carbon.activity import FUELS, FuelUse
from lingtan.errors import InvalidInput
from lingtan.options.model import (
    CHOICES,
    COAL_FUELS,
    ExportKind,
    HeatKind,
    ParkOptions,
    SupplementAllocation,
)
from lingtan.registry.model import CARRIER_NAMES_ZH, Carrier

Role = Literal[
    "grid",
    "direct_non_fossil",
    "export",
    "fuel",
    "heat",
    "generation",
    "storage",
    "behind_meter_load",
    "not_accounted",
]

#: what each carrier becomes in the activity (see the module docstring)
CARRIER_ROLES: Final[dict[str, Role]] = {
    Carrier.ELECTRICITY_GRID_IMPORT.value: "grid",
    Carrier.DIRECT_GREEN.value: "direct_non_fossil",
    Carrier.ELECTRICITY_EXPORT.value: "export",
    Carrier.NATURAL_GAS.value: "fuel",
    Carrier.DIESEL.value: "fuel",
    Carrier.GASOLINE.value: "fuel",
    Carrier.COAL.value: "fuel",
    Carrier.STEAM.value: "heat",
    Carrier.HEAT.value: "heat",
    Carrier.PV_GENERATION.value: "generation",
    Carrier.STORAGE_CHARGE.value: "storage",
    Carrier.STORAGE_DISCHARGE.value: "storage",
    Carrier.EV_CHARGING.value: "behind_meter_load",
    Carrier.COOLING.value: "not_accounted",
    Carrier.WATER.value: "not_accounted",
    Carrier.OTHER.value: "not_accounted",
}

ROLE_NOTES: Final[dict[str, str]] = {
    "generation": "on-site renewable generation behind the grid meters: not received "
    "electricity (no emission, 附件4 二（二）3① counts receipts), counted in 综合能源消费量 by the "
    "option onsite_renewable",
    "storage": "storage flow behind the grid meters (not received electricity)",
    "behind_meter_load": "a load behind the grid meters (already inside grid import)",
    "not_accounted": "not energy activity of the accounting methods; reported only",
}

#: fuel id of each fuel carrier (coal: the ``coal_fuel`` option)
_FUEL_OF_CARRIER: Final[dict[str, str]] = {
    Carrier.NATURAL_GAS.value: "natural_gas",
    Carrier.DIESEL.value: "diesel",
    Carrier.GASOLINE.value: "gasoline",
}


@dataclass(frozen=True, slots=True)
class MeteringOptions:
    """Named choices of the store path, printed with every result beside the accounting options."""

    #: fuel id a ``coal`` meter stands for (one of the coal types of the activity format)
    coal_fuel: str = "bituminous_coal"
    #: activity type of metered fuels (附件4 二（一）2); fuels for other uses go in a supplement
    fuel_use: FuelUse = "terminal"
    #: kind of metered purchased steam and heat (附件4 二（二）3②)
    heat_kind: HeatKind = "fossil"
    #: how exported electricity is split into non-fossil and fossil (附件4 二（二）3①)
    export_kind: ExportKind = "pv_first"
    #: how an annual supplement enters a period shorter than the year
    supplement_allocation: SupplementAllocation = "pro_rata_months"

    def __post_init__(self) -> None:
        # the same choices as the park's options (lingtan.options.model), which they come from
        if self.coal_fuel not in COAL_FUELS:
            raise InvalidInput(
                f"coal_fuel must be one of {', '.join(COAL_FUELS)}, got {self.coal_fuel!r}",
                field="coal_fuel",
            )
        for name in ("fuel_use", "heat_kind", "export_kind", "supplement_allocation"):
            value = getattr(self, name)
            if value not in CHOICES[name]:
                extra = (
                    "; feedstock, conversion and bunker fuels go in an activity supplement"
                    if name == "fuel_use"
                    else ""
                )
                raise InvalidInput(
                    f"{name} must be one of {', '.join(CHOICES[name])}, got {value!r}{extra}",
                    field=name,
                )

    @classmethod
    def of(cls, options: ParkOptions) -> MeteringOptions:
        """The metering options of the park's options."""
        return cls(
            coal_fuel=options.coal_fuel,
            fuel_use=options.fuel_use,
            heat_kind=options.heat_kind,
            export_kind=options.export_kind,
            supplement_allocation=options.supplement_allocation,
        )

    def as_dict(self) -> dict[str, Any]:
        """The options as plain data."""
        return {
            "coal_fuel": self.coal_fuel,
            "fuel_use": self.fuel_use,
            "heat_kind": self.heat_kind,
            "export_kind": self.export_kind,
            "supplement_allocation": self.supplement_allocation,
        }


@dataclass(frozen=True, slots=True)
class Metered:
    """One owner × carrier total of the period, as read from the store."""

    owner: str
    carrier: str
    unit: str
    value: float
    measured_s: float = 0.0
    estimated_s: float = 0.0
    missing_s: float = 0.0
    #: hours (or days, for buildings) with statistics
    periods: int = 0


@dataclass(frozen=True, slots=True)
class HourlySeries:
    """Hourly values of one owner × carrier (hour starts in epoch µs, ascending)."""

    hours: NDArray[np.int64]
    values: NDArray[np.float64]


@dataclass(slots=True)
class SourceLine:
    """Where one amount of the activity came from, for the result's ``sources``."""

    owner: str
    carrier: str
    name_zh: str
    unit: str
    value: float
    role: str
    #: what it became: e.g. ``electricity.received.grid``, ``fuels.natural_gas``
    becomes: str
    amount: float | None
    amount_unit: str | None
    measured_share: float
    estimated_share: float
    missing_share: float
    periods: int
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "owner": self.owner,
            "carrier": self.carrier,
            "name_zh": self.name_zh,
            "unit": self.unit,
            "value": self.value,
            "role": self.role,
            "becomes": self.becomes,
            "amount": self.amount,
            "amount_unit": self.amount_unit,
            "measured_share": self.measured_share,
            "estimated_share": self.estimated_share,
            "missing_share": self.missing_share,
            "periods": self.periods,
            "note": self.note,
        }


@dataclass(slots=True)
class MeteredActivity:
    """Activity sections built from metering, with the sources of every amount."""

    fuels: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    generated: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    heat_received: list[dict[str, Any]] = field(default_factory=list)
    sources: list[SourceLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def grid_kwh(self) -> float:
        """Grid electricity received [kWh]."""
        return float(sum(r["kwh"] for r in self.received if r["kind"] == "grid"))


def _shares(m: Metered) -> tuple[float, float, float]:
    total = m.measured_s + m.estimated_s + m.missing_s
    if total <= 0:
        return 0.0, 0.0, 1.0
    return m.measured_s / total, m.estimated_s / total, m.missing_s / total


def _source(
    m: Metered, role: str, becomes: str, amount: float | None, unit: str | None
) -> SourceLine:
    measured, estimated, missing = _shares(m)
    try:
        name = CARRIER_NAMES_ZH[Carrier(m.carrier)]
    except ValueError:
        name = m.carrier
    return SourceLine(
        owner=m.owner,
        carrier=m.carrier,
        name_zh=name,
        unit=m.unit,
        value=m.value,
        role=role,
        becomes=becomes,
        amount=amount,
        amount_unit=unit,
        measured_share=measured,
        estimated_share=estimated,
        missing_share=missing,
        periods=m.periods,
        note=ROLE_NOTES.get(role, ""),
    )


def _require_non_negative(m: Metered) -> None:
    if m.value < 0:
        raise InvalidInput(
            f"{m.owner}: metered {m.carrier} sums to {m.value} {m.unit} (negative) in the period; "
            "check the boundary points of this carrier",
            field=m.carrier,
        )


def _kwh(m: Metered) -> float:
    if units.dimension(m.unit) != "energy":
        raise InvalidInput(
            f"{m.owner}: {m.carrier} is metered in {m.unit}; electricity needs an energy unit",
            field=m.carrier,
        )
    return units.convert(m.value, m.unit, "kWh")


def _fuel_amount(m: Metered, fuel: str) -> tuple[float, str]:
    """The amount in a unit of the activity format (Nm3, t or GJ)."""
    dim = units.dimension(m.unit)
    spec = FUELS[fuel]
    if dim == "energy":
        return units.convert(m.value, m.unit, "GJ"), "GJ"
    if dim == spec.dimension == "volume":
        # gas meters read normal cubic metres (lingtan.units: m3 and Nm3 are the same quantity)
        return units.convert(m.value, m.unit, "m3"), "Nm3"
    if dim == spec.dimension == "mass":
        return units.convert(m.value, m.unit, "t"), "t"
    raise InvalidInput(
        f"{m.owner}: {m.carrier} is metered in {m.unit} ({dim}); {fuel} is accounted by "
        f"{spec.dimension} or energy — converting needs a density that lingtan does not assume; "
        "meter it by mass or heat, or give the amount in an activity supplement",
        field=m.carrier,
    )


def _heat_gj(m: Metered) -> float:
    if units.dimension(m.unit) != "energy":
        raise InvalidInput(
            f"{m.owner}: {m.carrier} is metered in {m.unit}; heat is accounted in GJ and a steam "
            "mass needs its enthalpy, which lingtan does not assume — meter the heat (GJ) or give "
            "it in an activity supplement",
            field=m.carrier,
        )
    return units.convert(m.value, m.unit, "GJ")


def split_export(export: HourlySeries, generation: HourlySeries | None) -> tuple[float, float]:
    """Export split hour by hour into (non-fossil, fossil) [same unit as the series].

    Non-fossil in hour h is min(export_h, generation_h) — electricity sent out while the owner's
    own PV produced at least as much — and the rest is fossil.
    """
    if generation is None or not len(generation.hours):
        return 0.0, float(export.values.sum())
    at = np.searchsorted(generation.hours, export.hours)
    inside = at < len(generation.hours)
    matched = np.zeros(len(export.hours), dtype=bool)
    matched[inside] = generation.hours[at[inside]] == export.hours[inside]
    gen = np.zeros(len(export.hours))
    gen[matched] = generation.values[at[matched]]
    non_fossil = np.minimum(export.values, np.maximum(gen, 0.0))
    return float(non_fossil.sum()), float((export.values - non_fossil).sum())


def build_metered(
    metered: Iterable[Metered],
    *,
    options: MeteringOptions,
    hourly: Mapping[tuple[str, str], HourlySeries] | None = None,
) -> MeteredActivity:
    """Activity sections of the metered totals (one or several owners).

    ``hourly`` holds, per (owner, carrier), the hourly export and PV generation needed by
    ``export_kind="pv_first"``.
    """
    out = MeteredActivity()
    grid = direct = generated = 0.0
    sent_nf = sent_f = 0.0
    heat_gj = 0.0
    fuels: dict[tuple[str, str], float] = {}
    skipped: dict[tuple[str, str], float] = {}
    for m in metered:
        role = CARRIER_ROLES.get(m.carrier, "not_accounted")
        if role in ("grid", "direct_non_fossil", "export", "fuel", "heat", "generation"):
            _require_non_negative(m)
        if role == "grid":
            kwh = _kwh(m)
            grid += kwh
            out.sources.append(_source(m, role, "electricity.received.grid", kwh, "kWh"))
        elif role == "direct_non_fossil":
            kwh = _kwh(m)
            direct += kwh
            out.sources.append(
                _source(m, role, "electricity.received.direct_non_fossil", kwh, "kWh")
            )
        elif role == "export":
            kwh = _kwh(m)
            if options.export_kind == "non_fossil":
                nf, f = kwh, 0.0
            elif options.export_kind == "fossil":
                nf, f = 0.0, kwh
            else:
                series = (hourly or {}).get((m.owner, m.carrier))
                if series is None:
                    raise InvalidInput(
                        f"{m.owner}: export_kind=pv_first needs the hourly export", field="hourly"
                    )
                pv = (hourly or {}).get((m.owner, Carrier.PV_GENERATION.value))
                scale = units.convert(1.0, m.unit, "kWh")
                nf_raw, f_raw = split_export(series, pv)
                nf, f = nf_raw * scale, f_raw * scale
            sent_nf += nf
            sent_f += f
            line = _source(m, role, "electricity.sent", kwh, "kWh")
            line.note = (
                f"non_fossil {nf:.6g} kWh, fossil {f:.6g} kWh (export_kind={options.export_kind})"
            )
            out.sources.append(line)
        elif role == "fuel":
            fuel = _FUEL_OF_CARRIER.get(m.carrier, options.coal_fuel)
            amount, unit = _fuel_amount(m, fuel)
            fuels[(fuel, unit)] = fuels.get((fuel, unit), 0.0) + amount
            out.sources.append(_source(m, role, f"fuels.{fuel}.{options.fuel_use}", amount, unit))
        elif role == "generation":
            kwh = _kwh(m)
            generated += kwh
            out.sources.append(_source(m, role, "electricity.generated.pv", kwh, "kWh"))
        elif role == "heat":
            gj = _heat_gj(m)
            heat_gj += gj
            out.sources.append(_source(m, role, f"heat.received.{options.heat_kind}", gj, "GJ"))
        else:
            out.sources.append(_source(m, role, "—", None, None))
            if role == "not_accounted" and m.value:
                what = (m.carrier, m.unit)
                skipped[what] = skipped.get(what, 0.0) + m.value
    if grid or direct:
        out.received.append({"kind": "grid", "kwh": grid})
    if direct:
        out.received.append({"kind": "direct_non_fossil", "kwh": direct})
    if generated:
        out.generated.append({"kind": "pv", "kwh": generated})
    if sent_nf:
        out.sent.append({"kind": "non_fossil", "kwh": sent_nf})
    if sent_f:
        out.sent.append({"kind": "fossil", "kwh": sent_f})
    for (fuel, unit), amount in sorted(fuels.items()):
        out.fuels.append({"fuel": fuel, "use": options.fuel_use, "amount": amount, "unit": unit})
    if heat_gj:
        out.heat_received.append({"kind": options.heat_kind, "gj": heat_gj})
    for (carrier, unit), value in sorted(skipped.items()):
        out.notes.append(
            f"metered {carrier} {value:.6g} {unit} is reported but not accounted "
            "(not energy activity of the methods)"
        )
    return out


def merge_supplements(
    document: dict[str, Any], supplements: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Add the items of activity supplements (parsed activity documents) to ``document``.

    Supplements add to metered data: they hold what metering does not give. A supplement may
    not carry ``green_certified`` electricity — certificate-backed electricity comes from the
    绿证 ledger only (no second route to claim it).
    """
    for sup in supplements:
        for item in sup.get("electricity", {}).get("received", []):
            if item.get("kind") == "green_certified":
                raise InvalidInput(
                    "an activity supplement cannot carry green_certified electricity; retire the "
                    "certificates in the 绿证 ledger (lingtan certificates retire)",
                    field="electricity.received",
                )
        document["fuels"].extend(sup.get("fuels", []))
        conversion = sup.get("conversion", {})
        document["conversion"]["inputs"].extend(conversion.get("inputs", []))
        document["conversion"]["outputs"].extend(conversion.get("outputs", []))
        electricity = sup.get("electricity", {})
        document["electricity"]["received"].extend(electricity.get("received", []))
        document["electricity"]["generated"].extend(electricity.get("generated", []))
        document["electricity"]["sent"].extend(electricity.get("sent", []))
        heat = sup.get("heat", {})
        document["heat"]["received"].extend(heat.get("received", []))
        document["heat"]["sent"].extend(heat.get("sent", []))
        document["process"].extend(sup.get("process", []))
        offsets = sup.get("offsets", {})
        for key in ("ccus_tco2", "ccer_tco2"):
            document["offsets"][key] += float(offsets.get(key, 0.0))
    return document


def scale_supplement(document: Mapping[str, Any], share: float) -> dict[str, Any]:
    """A supplement document with every amount (fuels, conversion, electricity, heat, process,
    offsets) multiplied by ``share`` (0 < share ≤ 1): the part of an annual supplement a
    shorter period counts."""
    if not 0 < share <= 1:
        raise InvalidInput("a supplement share lies in (0, 1]", field="share")
    out: dict[str, Any] = json.loads(json.dumps(dict(document)))
    for item in out.get("fuels", []):
        item["amount"] *= share
    for side in ("inputs", "outputs"):
        for item in out.get("conversion", {}).get(side, []):
            item["amount"] *= share
    for side in ("received", "generated", "sent"):
        for item in out.get("electricity", {}).get(side, []):
            item["kwh"] *= share
    for side in ("received", "sent"):
        for item in out.get("heat", {}).get(side, []):
            item["gj"] *= share
    for item in out.get("process", []):
        item["amount"] *= share
    offsets = out.get("offsets", {})
    for key in ("ccus_tco2", "ccer_tco2"):
        if key in offsets:
            offsets[key] *= share
    return out


def activity_document(
    *,
    boundary: Literal["park", "enterprise"],
    name: str,
    year: int,
    province: str,
    metered: MeteredActivity,
    green_kwh: float,
    supplements: Sequence[Mapping[str, Any]] = (),
) -> tuple[dict[str, Any], list[str]]:
    """The activity document of a boundary and the notes it produced.

    ``green_kwh`` is the certificate-backed (or contracted) green electricity of the ledger; it
    is the part of grid electricity counted at factor 0 and is capped at the grid electricity of
    the period (with a note) — a certificate never covers more than was received.
    """
    notes = list(metered.notes)
    document: dict[str, Any] = {
        "boundary": boundary,
        "name": name,
        "year": year,
        "province": province,
        "fuels": list(metered.fuels),
        "conversion": {"inputs": [], "outputs": []},
        "electricity": {
            "received": list(metered.received),
            "generated": list(metered.generated),
            "sent": list(metered.sent),
        },
        "heat": {"received": list(metered.heat_received), "sent": []},
        "process": [],
        "offsets": {"ccus_tco2": 0.0, "ccer_tco2": 0.0},
    }
    merge_supplements(document, supplements)
    grid = float(sum(r["kwh"] for r in document["electricity"]["received"] if r["kind"] == "grid"))
    if green_kwh > 0:
        counted = min(green_kwh, grid)
        if counted < green_kwh:
            notes.append(
                f"green electricity of the ledger {green_kwh:.6g} kWh exceeds the grid electricity "
                f"of the period {grid:.6g} kWh; {counted:.6g} kWh counted"
            )
        if counted > 0:
            document["electricity"]["received"].append({"kind": "green_certified", "kwh": counted})
    return document, notes


__all__ = [
    "CARRIER_ROLES",
    "ExportKind",
    "HeatKind",
    "HourlySeries",
    "Metered",
    "MeteredActivity",
    "MeteringOptions",
    "SourceLine",
    "SupplementAllocation",
    "activity_document",
    "build_metered",
    "merge_supplements",
    "scale_supplement",
    "split_export",
]
