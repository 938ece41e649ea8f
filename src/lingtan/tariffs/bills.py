"""Utility bills (电费账单) as records, tariff assignments, and the bill check (pure).

The bill check compares, per period, the energy the park's own grid-import meters recorded for
the bill's month with the energy the bill charges, and the metered energy cost (metered kWh ×
the tariff's prices) with the bill's energy amount. A line differs when
|metered − billed| > tolerance × |billed|; the tolerance is the caller's (lingtan's default
0.02 is a choice, not a published threshold, and is printed with every check).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lingtan.errors import InvalidInput
from lingtan.tariffs.records import PERIODS

BasicBasis = Literal["none", "capacity", "demand"]
BASIC_BASES: tuple[str, ...] = ("none", "capacity", "demand")
DEFAULT_TOLERANCE = 0.02
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
LineStatus = Literal["ok", "differs", "not_metered", "not_billed", "no_price"]


@dataclass(frozen=True, slots=True)
class MonthPriceEntry:
    """A park's entry of a ``ratios`` record's base price for one local month: the 平段 price
    the notice floats (the 代理购电 or market price) and the part it does not (``fixed``), read
    from the list named in ``source``."""

    id: int
    park_id: int
    tariff_id: str
    month: str
    price: float
    fixed: float
    source: str
    entered_by: str
    entered_at: int


@dataclass(frozen=True, slots=True)
class Assignment:
    """The tariff that applies to a park (``enterprise_id`` None) or an enterprise."""

    id: int
    park_id: int
    enterprise_id: int | None
    tariff_id: str
    tariff_version: int | None
    basic_basis: BasicBasis
    capacity_kva: float | None
    assigned_by: str
    assigned_at: int
    #: the first local month (``YYYY-MM``) it applies to; a later one of the slot replaces it
    effective_from: str


@dataclass(frozen=True, slots=True)
class Bill:
    """One month's utility bill of a park or an enterprise, as imported."""

    id: int
    park_id: int
    enterprise_id: int | None
    month: str
    energy_kwh: dict[str, float]
    max_demand_kw: float | None
    energy_amount: float | None
    basic_amount: float | None
    total_amount: float
    reference: str
    imported_by: str
    imported_at: int


def _number(data: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"{name} must be a number, not {value!r}", field=name) from err
    if not math.isfinite(number) or number < 0:
        raise InvalidInput(f"{name} must be finite and ≥ 0", field=name)
    return number


def parse_bill(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a bill from a mapping (API body, a YAML document, a CSV row where
    ``kwh_<period>`` columns give the energy per period); ``InvalidInput`` naming the field."""
    allowed = {
        "month", "enterprise", "energy_kwh", "max_demand_kw", "energy_amount", "basic_amount",
        "total_amount", "reference", *(f"kwh_{p}" for p in PERIODS),
    }  # fmt: skip
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(f"unknown bill fields {unknown}", field=unknown[0])
    month = str(data.get("month") or "")
    if not MONTH_RE.match(month) or not 1970 <= int(month[:4]) <= 2100:
        raise InvalidInput("month must be YYYY-MM, 1970-2100", field="month")
    energy = dict(data.get("energy_kwh") or {})
    for p in PERIODS:
        if data.get(f"kwh_{p}") not in (None, ""):
            energy[p] = data[f"kwh_{p}"]
    if not energy:
        raise InvalidInput("energy_kwh needs the energy of at least one period", field="energy_kwh")
    kwh: dict[str, float] = {}
    for p, v in energy.items():
        if p not in PERIODS:
            raise InvalidInput(f"unknown period {p!r} in energy_kwh", field="energy_kwh")
        number = _number({"energy_kwh": v}, "energy_kwh", required=True)
        assert number is not None
        kwh[p] = number
    reference = str(data.get("reference") or "").strip()
    if not reference or len(reference) > 200:
        raise InvalidInput(
            "reference (the bill's number) is required, ≤ 200 characters", field="reference"
        )
    enterprise = data.get("enterprise")
    return {
        "month": month,
        "enterprise": str(enterprise) if enterprise not in (None, "") else None,
        "energy_kwh": kwh,
        "max_demand_kw": _number(data, "max_demand_kw", required=False),
        "energy_amount": _number(data, "energy_amount", required=False),
        "basic_amount": _number(data, "basic_amount", required=False),
        "total_amount": _number(data, "total_amount", required=True),
        "reference": reference,
    }


@dataclass(frozen=True, slots=True)
class CheckLine:
    """One compared quantity of a bill check."""

    item: str
    metered: float | None
    billed: float | None
    difference: float | None
    relative: float | None
    status: LineStatus


def compare(item: str, metered: float | None, billed: float | None, tolerance: float) -> CheckLine:
    """One line: difference = metered − billed, relative = difference / billed.

    A missing side gives ``not_metered`` / ``not_billed`` (never a zero); a billed zero with a
    metered zero is ``ok``.
    """
    if not 0 <= tolerance < 1:
        raise InvalidInput("tolerance must be in [0, 1)", field="tolerance")
    if metered is None:
        return CheckLine(item, None, billed, None, None, "not_metered")
    if billed is None:
        return CheckLine(item, metered, None, None, None, "not_billed")
    diff = metered - billed
    rel = diff / billed if billed else (0.0 if diff == 0 else math.inf)
    status: LineStatus = "ok" if abs(diff) <= tolerance * abs(billed) else "differs"
    return CheckLine(item, metered, billed, diff, None if math.isinf(rel) else rel, status)
