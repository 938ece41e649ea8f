"""Measured efficiency and replacement savings (pure formulas).

Every function names its equation; inputs in canonical units (kWh, m3, %).
"""

from __future__ import annotations

from lingtan.errors import InvalidInput


def specific_power(energy_kwh: float, air_m3: float) -> float:
    """A compressor's mean specific power over a period [kW/(m3/min)].

    Parameters
    ----------
    energy_kwh : electricity into the compressor over the period [kWh], ≥ 0
    air_m3 : free air delivered over the period [m3], > 0

    Notes
    -----
    GB 19153-2019 (比功率, its terms and definitions): input power per unit volume flow. Over a period of T hours,
    mean power P = E / T [kW] and mean flow Q = V / (60 T) [m3/min], so

        SP = P / Q = 60 · E / V

    (T cancels). The flow is the metered free-air delivery; the standard's test conditions
    (GB/T 3853) are not reproduced, so a measured value is an operating indicator, not a
    type-test result.
    """
    if not energy_kwh >= 0:
        raise InvalidInput("energy_kwh: must be ≥ 0", field="energy_kwh")
    if not air_m3 > 0:
        raise InvalidInput("air_m3: must be > 0 (no air delivered in the period)", field="air_m3")
    return 60.0 * energy_kwh / air_m3


def efficiency_savings_kwh(energy_kwh: float, eta_now_pct: float, eta_new_pct: float) -> float:
    """Annual electricity saved by replacing a machine of efficiency η_now with one of η_new
    delivering the same output [kWh/a].

    Notes
    -----
    Output W = E · η_now; the new machine takes W / η_new; the saving is

        ΔE = E · (1 − η_now / η_new)

    with E the annual input of the present machine (metered, or rated kW × load factor ×
    operating hours where declared): an energy balance at equal output, the ranking key of
    the replacement list. It ignores part-load efficiency (the nameplate values are at rated
    load).
    """
    for name, v in (("eta_now_pct", eta_now_pct), ("eta_new_pct", eta_new_pct)):
        if not 0 < v <= 100:
            raise InvalidInput(f"{name}: must be in (0, 100]", field=name)
    if not energy_kwh >= 0:
        raise InvalidInput("energy_kwh: must be ≥ 0", field="energy_kwh")
    return energy_kwh * (1.0 - eta_now_pct / eta_new_pct)


def specific_power_savings_kwh(energy_kwh: float, sp_now: float, sp_new: float) -> float:
    """Annual electricity saved by a compressor of specific power sp_new instead of sp_now at
    the same air delivery [kWh/a]: ΔE = E · (1 − sp_new / sp_now)."""
    if not (sp_now > 0 and sp_new > 0):
        raise InvalidInput("specific power: must be > 0", field="specific_power")
    return energy_kwh * (1.0 - sp_new / sp_now)


def annual_input_kwh(rated_kw: float, load_factor: float, hours: float) -> float:
    """Declared annual input [kWh/a] = rated kW × load factor × operating hours (the estimate
    used when no metered year exists)."""
    return rated_kw * load_factor * hours
