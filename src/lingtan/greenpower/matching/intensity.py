"""Hourly carbon intensity of consumption under three accounting bases [kgCO2/kWh].

* **location-based** (GB/T 32150 / GHG Protocol Scope 2 location-based): electricity from the
  grid at the grid factor of each hour — the imported hourly series of the grid where one is
  available (中电联《零碳园区碳核算技术规范》 allows time- and zone-specific dynamic factors,
  updates-2026-12 §1.2.2), the annual average factor otherwise; energy that reached the consumer
  physically from on-site PV, direct supply or the green part of storage is zero;
* **market-based** (Scope 2 market-based): contractual instruments (trades, certificates) are
  claimed per month, so each month's residual after monthly matching is priced at the residual
  factor that excludes market-traded non-fossil power (MEE/NBS 不包括市场化交易的非化石能源电量),
  and every hour of a month carries that month's intensity;
* **hourly-matched**: only green energy matched in the same hour counts; the hourly residual
  is priced at the hourly grid factor (location series or annual).

I_h = f_h · r_h / L_h, with r_h the consumption left unmatched on the basis and L_h the
consumption; NaN where L_h = 0. Emissions are f_h · r_h [kgCO2].
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lingtan.errors import InvalidInput

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def _ratio(num: F64, den: F64) -> F64:
    with np.errstate(invalid="ignore", divide="ignore"):
        out: F64 = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


def _factor(name: str, f: F64 | float, hours: int) -> F64:
    arr = np.broadcast_to(np.asarray(f, np.float64), (hours,))
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise InvalidInput(f"{name} must be finite and ≥ 0 kgCO2/kWh", field=name)
    return arr


def location_emissions(load: F64, physical_matched: F64, grid_factor: F64 | float) -> F64:
    """Location-based emissions [kgCO2] per consumer and hour: f_h · (L − physical)."""
    f = _factor("grid_factor", grid_factor, load.shape[-1])
    out: F64 = np.maximum(load - physical_matched, 0.0) * f
    return out


def hourly_matched_emissions(residual: F64, grid_factor: F64 | float) -> F64:
    """Hourly-matched emissions [kgCO2]: f_h · (load left after hourly matching)."""
    f = _factor("grid_factor", grid_factor, residual.shape[-1])
    out: F64 = residual * f
    return out


def market_emissions(
    load: F64,
    monthly_load: F64,
    monthly_residual: F64,
    month_of_hour: I64,
    residual_mix_factor: float,
) -> F64:
    """Market-based emissions [kgCO2] per consumer and hour.

    Each hour of month m carries the month's unmatched share: f_rm · L_h · R_m / L_m, so the
    month's emissions are f_rm · R_m exactly.
    """
    f = float(_factor("residual_mix_factor", residual_mix_factor, 1)[0])
    share = np.nan_to_num(_ratio(monthly_residual, monthly_load), nan=0.0)
    out: F64 = load * share[..., month_of_hour] * f
    return out


def intensity(emissions: F64, load: F64) -> F64:
    """Carbon intensity of consumption [kgCO2/kWh]: emissions ÷ load (NaN without load)."""
    return _ratio(emissions, load)
