r"""Comprehensive energy consumption in standard coal: GB/T 2589-2020 《综合能耗计算通则》.

.. math:: E = \sum_i e_i \times p_i

where :math:`e_i` is the consumption of energy *i* in its physical unit and :math:`p_i` its
standard-coal coefficient (折标准煤系数). Electricity may be converted at its 当量值 (the heat
equivalent of 1 kWh, 0.1229 kgce/kWh) or its 等价值 (the year's coal consumption of thermal
power); which one a result used is printed with it. A fuel whose net calorific value is measured
is converted through the definition of standard coal (1 kgce = fuel of net calorific value
29 307 kJ): p = NCV / 29.307 GJ/tce; every other fuel at the reference coefficient of the annex
(the choice is made in :mod:`lingtan.carbon.resolver`). Clause numbers were not checked against
the purchased text.

References
----------
.. [1] 《综合能耗计算通则》, GB/T 2589-2020, Beijing, China: SAMR/SAC, 2020.
"""

from __future__ import annotations

from typing import Final

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import ArrayLike, scalar_non_negative, scalar_positive, vector
from lingtan.errors import InvalidInput

GBT2589: Final[str] = "GB/T 2589-2020"


@cites(Clause(GBT2589, "综合能耗计算", "E = Σ e_i × p_i", verified=False))
def energy_consumption_standard_coal(consumption: ArrayLike, coefficient: ArrayLike) -> float:
    r"""Comprehensive energy consumption in standard coal (综合能源消费量).

    Parameters
    ----------
    consumption : float or sequence of float
        Net consumption of each energy *i* (received minus sent for electricity and heat; input
        minus output for conversion), in the unit its coefficient is given per. May be negative
        for a net sender of one carrier. [unit]
    coefficient : float or sequence of float
        Standard-coal coefficient of each, ≥ 0. [tce/unit]

    Returns
    -------
    float
        :math:`E`. [tce]

    Notes
    -----
    .. math:: E = \sum_i e_i \times p_i

    GB/T 2589-2020, comprehensive energy consumption.
    """
    e = vector("consumption", consumption)
    p = vector("coefficient", coefficient)
    if p.size != e.size:
        raise InvalidInput(
            f"consumption and coefficient must have the same length ({e.size} ≠ {p.size})",
            field="coefficient",
        )
    if (p < 0).any():
        raise InvalidInput("coefficient must be ≥ 0 (allowed range [0, inf))", field="coefficient")
    return float(e @ p)


@cites(
    Clause(
        GBT2589, "标准煤定义；按低位发热量折标准煤", "p = NCV / Q_ce, Q_ce = 29 307 kJ/kgce", False
    )
)
def standard_coal_coefficient_from_ncv(
    net_calorific_value: float, standard_coal_calorific_value: float
) -> float:
    r"""Standard-coal coefficient of a fuel from its net calorific value.

    Used for a fuel whose NCV is measured (GB/T 2589: 折算为标准煤 on the measured net calorific
    value), and for a fuel the annex gives no reference coefficient for.

    Parameters
    ----------
    net_calorific_value : float
        Net calorific value of the fuel. [GJ/unit]
    standard_coal_calorific_value : float
        Heat content of 1 tce (29 307 kJ/kgce = 29.307 GJ/tce, from the factor library). [GJ/tce]

    Returns
    -------
    float
        Coefficient. [tce/unit]

    Notes
    -----
    .. math:: p_i = NCV_i / Q_{ce}

    GB/T 2589-2020, definition of standard coal (1 kgce: net calorific value 29 307 kJ).
    """
    ncv = scalar_non_negative("net_calorific_value", net_calorific_value)
    return ncv / scalar_positive("standard_coal_calorific_value", standard_coal_calorific_value)
