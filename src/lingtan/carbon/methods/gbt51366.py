r"""Building operation-stage carbon emissions: GB/T 51366-2019 《建筑碳排放计算标准》.

Operation stage (运行阶段): energy used by each system (HVAC, domestic hot water, lighting and lifts
...) minus the renewable energy supplied to it on site, times the factor of each energy type,
minus the green-space carbon sink, over the design life and per unit floor area:

.. math::

    C_M &= \frac{\left[\sum_i E_i EF_i - C_p\right] y}{A} \\
    E_i &= \sum_j \left(E_{i,j} - ER_{i,j}\right)

The equation form is recalled (domain reference §3.3, grade U): its clause numbering was not
checked against the standard text and the standard's own factor tables are not shipped; the
caller passes factors from the factor library. These functions return tCO2 (the standard prints
kgCO2/m²; multiply by 1000 for display).

References
----------
.. [1] 《建筑碳排放计算标准》, GB/T 51366-2019, Beijing, China: MOHURD, 2019.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import (
    ArrayLike,
    non_negative,
    paired,
    scalar_non_negative,
    scalar_positive,
    weighted_sum,
)
from lingtan.errors import InvalidInput

GBT51366: Final[str] = "GB/T 51366-2019"


@cites(Clause(GBT51366, "运行阶段 能源消耗量", "E_i = Σ_j (E_ij − ER_ij)", verified=False))
def energy_consumption_by_type(
    energy_by_system: ArrayLike, renewable_by_system: ArrayLike
) -> float:
    r"""Annual consumption of one energy type net of on-site renewable supply.

    Parameters
    ----------
    energy_by_system : float or sequence of float
        Consumption of energy type *i* by each system *j*. [unit/a]
    renewable_by_system : float or sequence of float
        Renewable energy of type *i* supplied on site to each system *j*; each ≤ its system's
        consumption. [unit/a]

    Returns
    -------
    float
        :math:`E_i`. [unit/a]

    Raises
    ------
    InvalidInput
        If a system's renewable supply exceeds its consumption.

    Notes
    -----
    .. math:: E_i = \sum_j (E_{i,j} - ER_{i,j})

    GB/T 51366-2019, operation stage.
    """
    e, er = paired(
        "energy_by_system",
        non_negative("energy_by_system", energy_by_system),
        "renewable_by_system",
        non_negative("renewable_by_system", renewable_by_system),
    )
    if np.any(er > e):
        raise InvalidInput(
            "renewable_by_system cannot exceed energy_by_system for any system "
            "(allowed range [0, energy of that system])",
            field="renewable_by_system",
        )
    return float(np.sum(e - er))


@cites(Clause(GBT51366, "运行阶段 年碳排放", "Σ_i E_i × EF_i − C_p", verified=False))
def emissions_operation_annual(
    energy_by_type: ArrayLike, emission_factor: ArrayLike, carbon_sink: float = 0.0
) -> float:
    r"""Annual operation-stage CO2 of a building.

    Parameters
    ----------
    energy_by_type : float or sequence of float
        :math:`E_i` of each energy type. [unit/a]
    emission_factor : float or sequence of float
        :math:`EF_i` of each type. [tCO2/unit]
    carbon_sink : float, default 0
        Annual carbon sink of the site's green space :math:`C_p`. [tCO2/a]

    Returns
    -------
    float
        :math:`\sum_i E_i EF_i - C_p`. [tCO2/a]

    Notes
    -----
    .. math:: C_{a} = \sum_i E_i EF_i - C_p

    GB/T 51366-2019, operation stage (the bracket of :math:`C_M`).
    """
    gross = weighted_sum("energy_by_type", energy_by_type, "emission_factor", emission_factor)
    return gross - scalar_non_negative("carbon_sink", carbon_sink)


@cites(
    Clause(GBT51366, "运行阶段 单位面积碳排放", "C_M = [Σ E_i EF_i − C_p] · y / A", verified=False)
)
def emissions_operation_per_area(
    annual_emissions: float, floor_area: float, design_life: float = 1.0
) -> float:
    r"""Operation-stage CO2 per unit floor area over ``design_life`` years.

    Parameters
    ----------
    annual_emissions : float
        :math:`\sum_i E_i EF_i - C_p` from :func:`emissions_operation_annual`. [tCO2/a]
    floor_area : float
        Building floor area :math:`A`, > 0. [m2]
    design_life : float, default 1
        Years :math:`y`; 1 gives the annual intensity, the design life gives :math:`C_M`. [a]

    Returns
    -------
    float
        :math:`C_M`. [tCO2/m2]

    Notes
    -----
    .. math:: C_M = \frac{C_a \, y}{A}

    GB/T 51366-2019, operation stage.
    """
    area = scalar_positive("floor_area", floor_area)
    years = scalar_positive("design_life", design_life)
    if not np.isfinite(annual_emissions):
        raise InvalidInput("annual_emissions must be finite", field="annual_emissions")
    return float(annual_emissions) * years / area
