"""Greenhouse gases, their GWPs as records, and amounts kept per gas.

GB/T 32150-2015 counts CO2, CH4, N2O, HFCs, PFCs, SF6 and NF3 (domain reference §3.1). A result
is a :class:`GasAmounts`: tonnes of each gas, never only the CO2e sum, so that a report can show
the per-gas table and a different assessment report's GWPs can be applied later. The GWPs are
records (:mod:`lingtan.ghg.records`, ``data/gwp.yaml``), chosen by report: ``AR5`` by default
(the GWP set used for the national market's steel/cement/aluminium PFC accounting is recalled as
AR5 — not verified, see docs/ghg.md), ``AR6`` available, ``SAR`` kept for the 2013–2015 guidelines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lingtan.errors import InvalidInput, NotFound
from lingtan.ghg.records import GwpRecord, Report, gwp_records

#: gas names as the records spell them (HFC names after the IPCC tables)
KYOTO_GROUPS: dict[str, str] = {
    "CO2": "CO2",
    "CH4": "CH4",
    "CH4-fossil": "CH4",
    "CH4-non-fossil": "CH4",
    "N2O": "N2O",
    "SF6": "SF6",
    "NF3": "NF3",
    "CF4": "PFCs",
    "C2F6": "PFCs",
}
DEFAULT_REPORT: Report = "AR5"


def group_of(gas: str) -> str:
    """The GB/T 32150 gas group of a gas (HFC-xx → HFCs)."""
    if gas.startswith("HFC-"):
        return "HFCs"
    try:
        return KYOTO_GROUPS[gas]
    except KeyError:
        raise InvalidInput(f"gas: unknown gas {gas!r}", field="gas") from None


def gases(report: Report = DEFAULT_REPORT) -> tuple[str, ...]:
    """The gases that have a GWP record in ``report``."""
    return tuple(r.gas for r in gwp_records() if r.report == report)


def gwp(gas: str, report: Report = DEFAULT_REPORT) -> GwpRecord:
    """The GWP record of ``gas`` in ``report``; ``NotFound`` if the report has none for it."""
    group_of(gas)
    found = [r for r in gwp_records() if r.gas == gas and r.report == report]
    if not found:
        raise NotFound(f"no {report} GWP record for {gas}")
    return found[-1]


@dataclass(frozen=True)
class GasAmounts:
    """Tonnes of each gas emitted (a negative amount is a removal, e.g. sequestered carbon)."""

    tonnes: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for gas, t in self.tonnes.items():
            group_of(gas)
            if not math.isfinite(t):
                raise InvalidInput(f"{gas}: amount must be finite", field=gas)

    @classmethod
    def co2(cls, tonnes: float) -> GasAmounts:
        """Only CO2."""
        return cls({"CO2": tonnes})

    def __add__(self, other: GasAmounts) -> GasAmounts:
        out = dict(self.tonnes)
        for gas, t in other.tonnes.items():
            out[gas] = out.get(gas, 0.0) + t
        return GasAmounts(out)

    def scaled(self, k: float) -> GasAmounts:
        """Every amount times ``k``."""
        return GasAmounts({g: t * k for g, t in self.tonnes.items()})

    def only(self, allowed: Iterable[str]) -> GasAmounts:
        """The amounts of the ``allowed`` gases only (a market boundary: CO2, CF4, C2F6)."""
        keep = set(allowed)
        return GasAmounts({g: t for g, t in self.tonnes.items() if g in keep})

    def co2e(self, report: Report = DEFAULT_REPORT) -> float:
        """Σ tonnes × GWP [tCO2e]."""
        return sum(t * gwp(g, report).value for g, t in self.tonnes.items())

    def breakdown(self, report: Report = DEFAULT_REPORT) -> list[dict[str, Any]]:
        """One row per gas: tonnes, GWP, its record id and confidence, tCO2e."""
        rows = []
        for g in sorted(self.tonnes, key=lambda x: (x != "CO2", x)):
            rec = gwp(g, report)
            rows.append(
                {
                    "gas": g,
                    "group": group_of(g),
                    "tonnes": self.tonnes[g],
                    "gwp": rec.value,
                    "gwp_record": rec.id,
                    "confidence": rec.confidence,
                    "tco2e": self.tonnes[g] * rec.value,
                }
            )
        return rows
