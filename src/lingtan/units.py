"""Canonical units and the only conversion table of lingtan.

Every quantity belongs to a *dimension*; each dimension has one canonical unit in which the
pure libraries compute (kWh for energy, GJ-based heat is converted to kWh only when a caller
asks, tCO2 for emissions, tce for standard coal ...). Conversion factors are exact rationals so
that a round trip is the identity; they are physical definitions (SI prefixes, 1 kWh = 3.6 MJ),
never data such as calorific values, which live in the factor library.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from lingtan.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit: its symbol, its dimension and its size in the dimension's canonical unit."""

    symbol: str
    dimension: str
    to_canonical: Fraction


def _u(symbol: str, dimension: str, to_canonical: Fraction | int | str) -> Unit:
    return Unit(symbol, dimension, Fraction(to_canonical))


_KWH_PER_GJ = Fraction(10**9, 3_600_000)  # 1 GJ = 1e9 J; 1 kWh = 3.6e6 J (SI definition)

#: The canonical unit of each dimension.
CANONICAL: Final[dict[str, str]] = {
    "energy": "kWh",
    "power": "kW",
    "reactive_energy": "kvarh",
    "reactive_power": "kvar",
    "apparent_power": "kVA",
    "volume": "m3",
    "mass": "t",
    "standard_coal": "tce",
    "emissions": "tCO2",
    "temperature": "degC",
    "pressure": "kPa",
    "voltage": "V",
    "current": "A",
    "frequency": "Hz",
    "ratio": "1",
    "volume_flow": "m3/h",
    "mass_flow": "t/h",
    "area": "m2",
    "mass_concentration": "µg/m3",
}

_TABLE: Final[tuple[Unit, ...]] = (
    _u("Wh", "energy", Fraction(1, 1000)),
    _u("kWh", "energy", 1),
    _u("MWh", "energy", 1000),
    _u("GWh", "energy", 1_000_000),
    _u("MJ", "energy", _KWH_PER_GJ / 1000),
    _u("GJ", "energy", _KWH_PER_GJ),
    _u("TJ", "energy", _KWH_PER_GJ * 1000),
    _u("W", "power", Fraction(1, 1000)),
    _u("kW", "power", 1),
    _u("MW", "power", 1000),
    _u("varh", "reactive_energy", Fraction(1, 1000)),
    _u("kvarh", "reactive_energy", 1),
    _u("Mvarh", "reactive_energy", 1000),
    _u("var", "reactive_power", Fraction(1, 1000)),
    _u("kvar", "reactive_power", 1),
    _u("VA", "apparent_power", Fraction(1, 1000)),
    _u("kVA", "apparent_power", 1),
    _u("MVA", "apparent_power", 1000),
    _u("L", "volume", Fraction(1, 1000)),
    _u("m3", "volume", 1),
    # Gas is metered in normal cubic metres; the activity-file format accepts m3 as an alias.
    _u("Nm3", "volume", 1),
    _u("10^4 m3", "volume", 10_000),
    _u("kg", "mass", Fraction(1, 1000)),
    _u("t", "mass", 1),
    _u("kt", "mass", 1000),
    _u("gce", "standard_coal", Fraction(1, 1_000_000)),
    _u("kgce", "standard_coal", Fraction(1, 1000)),
    _u("tce", "standard_coal", 1),
    _u("10^4 tce", "standard_coal", 10_000),
    _u("kgCO2", "emissions", Fraction(1, 1000)),
    _u("tCO2", "emissions", 1),
    _u("10^4 tCO2", "emissions", 10_000),
    _u("degC", "temperature", 1),
    _u("Pa", "pressure", Fraction(1, 1000)),
    _u("kPa", "pressure", 1),
    _u("MPa", "pressure", 1000),
    _u("V", "voltage", 1),
    _u("kV", "voltage", 1000),
    _u("A", "current", 1),
    _u("Hz", "frequency", 1),
    _u("1", "ratio", 1),
    _u("%", "ratio", Fraction(1, 100)),
    # volume fraction (CO2 indoors, GB/T 18883 states it in %): 1 ppm = 10^-6, 0.10 % = 1000 ppm
    _u("ppm", "ratio", Fraction(1, 1_000_000)),
    _u("m3/h", "volume_flow", 1),
    _u("Nm3/h", "volume_flow", 1),
    _u("kg/h", "mass_flow", Fraction(1, 1000)),
    _u("t/h", "mass_flow", 1),
    _u("m2", "area", 1),
    # ambient air (GB 3095) in µg/m³ and mg/m³, surface water (GB 3838) in mg/L
    _u("µg/m3", "mass_concentration", 1),
    _u("mg/m3", "mass_concentration", 1000),
    _u("mg/L", "mass_concentration", 1_000_000),
)

UNITS: Final[dict[str, Unit]] = {u.symbol: u for u in _TABLE}

#: Spellings seen on meters, gateways and spreadsheets, mapped to the symbols above.
ALIASES: Final[dict[str, str]] = {
    "kW·h": "kWh",
    "kW.h": "kWh",
    "kwh": "kWh",
    "千瓦时": "kWh",
    "度": "kWh",
    "MW·h": "MWh",
    "m³": "m3",
    "Nm³": "Nm3",
    "立方米": "m3",
    "吨": "t",
    "°C": "degC",
    "℃": "degC",
    "万m3": "10^4 m3",
    "万Nm3": "10^4 m3",
    "万tce": "10^4 tce",
    "万tCO2": "10^4 tCO2",
    "m²": "m2",
    "µg/m³": "µg/m3",
    "μg/m³": "µg/m3",  # Greek mu (U+03BC), as often typed instead of the micro sign
    "μg/m3": "µg/m3",
    "ug/m3": "µg/m3",
    "mg/m³": "mg/m3",
    "mg/l": "mg/L",
    "": "1",
}


def unit(symbol: str) -> Unit:
    """Return the :class:`Unit` for ``symbol`` (or a known alias); raise ``InvalidInput``."""
    found = UNITS.get(symbol) or UNITS.get(ALIASES.get(symbol.strip(), symbol.strip()))
    if found is None:
        raise InvalidInput(
            f"unknown unit {symbol!r}; known units: {', '.join(UNITS)}", field="unit"
        )
    return found


def canonical_symbol(symbol: str) -> str:
    """Return the table symbol for ``symbol`` (resolving aliases)."""
    return unit(symbol).symbol


def dimension(symbol: str) -> str:
    """Return the dimension of ``symbol`` (``energy``, ``volume`` ...)."""
    return unit(symbol).dimension


def compatible(a: str, b: str) -> bool:
    """True when a value in unit ``a`` can be converted to unit ``b``."""
    return unit(a).dimension == unit(b).dimension


def factor(from_unit: str, to_unit: str) -> float:
    """Multiplier taking a value in ``from_unit`` to ``to_unit``; ``InvalidInput`` if incompatible."""
    src, dst = unit(from_unit), unit(to_unit)
    if src.dimension != dst.dimension:
        raise InvalidInput(
            f"cannot convert {src.symbol} ({src.dimension}) to {dst.symbol} ({dst.dimension})",
            field="unit",
        )
    return float(src.to_canonical / dst.to_canonical)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` from ``from_unit`` to ``to_unit``."""
    if from_unit == to_unit:
        return value
    return value * factor(from_unit, to_unit)
