"""The demo's closing summary: energy by carrier (physical and tce) and data quality.

The figures are the energy statistics service's (:func:`lingtan.indicators.energy.energy_statistics`):
GB/T 2589 standard coal with electricity at its 当量值 by default, net receipt (exported
electricity subtracted), on-site PV generation reported beside the total, storage flows and
water listed without tce — the same comprehensive energy consumption the core indicator divides
by.
"""

from __future__ import annotations

from lingtan.indicators.energy import EnergyStatistics, energy_statistics
from lingtan.store import Store


def carrier_summary(store: Store, *, year: int) -> EnergyStatistics:
    """Energy statistics of the park for its local ``year``."""
    return energy_statistics(store, year=year)
