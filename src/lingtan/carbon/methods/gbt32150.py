r"""Enterprise GHG accounting: GB/T 32150-2015 《工业企业温室气体排放核算和报告通则》.

The general rule counts fuel combustion, process emissions, purchased electricity and heat, minus
exported electricity and heat, over the legal reporting entity's production system:

.. math:: E = E_{燃烧} + E_{过程} + E_{购入电} + E_{购入热} - E_{输出电} - E_{输出热}

with :math:`E_{燃烧} = \sum_i AD_i \times EF_i`, :math:`AD_i = FC_i \times NCV_i` and
:math:`EF_i = CC_i \times OF_i \times 44/12`. The equation forms are the standard ones (domain
reference §3.1); their clause and equation numbers were not checked against the purchased text,
so the citations say so rather than guess. Biomass combustion (reported separately, outside the
total) and the measurement route (实测法) are not implemented.

References
----------
.. [1] 《工业企业温室气体排放核算和报告通则》, GB/T 32150-2015, Beijing, China: SAC, 2015.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import (
    CO2_PER_C,
    ArrayLike,
    fraction,
    non_negative,
    paired,
    scalar_non_negative,
    weighted_sum,
)

GBT32150: Final[str] = "GB/T 32150-2015"


@cites(Clause(GBT32150, "化石燃料燃烧 活动数据", "AD = FC × NCV", verified=False))
def activity_data_fuel(fuel_consumption: ArrayLike, net_calorific_value: ArrayLike) -> float:
    r"""Activity data of fuel combustion: heat released by the fuel consumed.

    Parameters
    ----------
    fuel_consumption : float or sequence of float
        Fuel consumed, in the unit its NCV is given per (t, 10^4 Nm3 ...). [unit]
    net_calorific_value : float or sequence of float
        Net (low) calorific value, measured or the guideline default. [GJ/unit]

    Returns
    -------
    float
        :math:`AD`, summed over the entries. [GJ]

    Notes
    -----
    .. math:: AD_i = FC_i \times NCV_i

    GB/T 32150-2015, fuel-combustion activity data.
    """
    return weighted_sum(
        "fuel_consumption", fuel_consumption, "net_calorific_value", net_calorific_value
    )


@cites(Clause(GBT32150, "化石燃料燃烧 排放因子", "EF = CC × OF × 44/12", verified=False))
def emission_factor_fuel(carbon_content: float, oxidation_rate: float) -> float:
    r"""CO2 emission factor of a fuel per unit of heat.

    Parameters
    ----------
    carbon_content : float
        Carbon content per unit of heat (单位热值含碳量). [tC/GJ]
    oxidation_rate : float
        Carbon oxidation rate (碳氧化率), in (0, 1]; 1 for the park method's conversion term. [1]

    Returns
    -------
    float
        :math:`EF`. [tCO2/GJ]

    Notes
    -----
    .. math:: EF_i = CC_i \times OF_i \times \frac{44}{12}

    GB/T 32150-2015, fuel-combustion emission factor; 44/12 is the CO2/C molar-mass ratio.
    """
    cc = scalar_non_negative("carbon_content", carbon_content)
    of = float(fraction("oxidation_rate", oxidation_rate)[0])
    return cc * of * CO2_PER_C


@cites(Clause(GBT32150, "化石燃料燃烧排放", "E燃烧 = Σ AD_i × EF_i", verified=False))
def emissions_fuel_combustion(activity_data: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 from fuel combustion.

    Parameters
    ----------
    activity_data : float or sequence of float
        Heat of each fuel burned, from :func:`activity_data_fuel`. [GJ]
    emission_factor : float or sequence of float
        Factor of each fuel, from :func:`emission_factor_fuel`. [tCO2/GJ]

    Returns
    -------
    float
        :math:`E_{燃烧}`. [tCO2]

    Notes
    -----
    .. math:: E_{燃烧} = \sum_i AD_i \times EF_i

    GB/T 32150-2015, fuel-combustion emissions.
    """
    return weighted_sum("activity_data", activity_data, "emission_factor", emission_factor)


@cites(Clause(GBT32150, "工业生产过程排放", "E过程 = Σ AD_i × EF_i", verified=False))
def emissions_process(activity_data: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 from industrial processes (product output or raw material × factor).

    Parameters
    ----------
    activity_data : float or sequence of float
        Product output or raw material consumed. [unit]
    emission_factor : float or sequence of float
        Process factor of each. [tCO2/unit]

    Returns
    -------
    float
        :math:`E_{过程}`. [tCO2]

    Notes
    -----
    .. math:: E_{过程} = \sum_i AD_i \times EF_i

    GB/T 32150-2015, process emissions.
    """
    return weighted_sum("activity_data", activity_data, "emission_factor", emission_factor)


@cites(Clause(GBT32150, "购入/输出电力", "E电 = AD电 × EF电", verified=False))
def emissions_electricity(electricity: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 attributed to purchased (or exported) electricity.

    Parameters
    ----------
    electricity : float or sequence of float
        Electricity purchased (or exported) in the period. [kWh]
    emission_factor : float or sequence of float
        Grid emission factor of the period (or per hour, with ``electricity`` per hour). [tCO2/kWh]

    Returns
    -------
    float
        :math:`E_{电}`. [tCO2]

    Notes
    -----
    .. math:: E_{电} = AD_{电} \times EF_{电}

    GB/T 32150-2015, purchased and exported electricity; with hourly series this is
    :math:`\sum_h AD_h EF_h`, exact because the factor is constant within an hour.
    """
    return weighted_sum("electricity", electricity, "emission_factor", emission_factor)


@cites(Clause(GBT32150, "购入/输出热力", "E热 = AD热 × EF热", verified=False))
def emissions_heat(heat: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 attributed to purchased (or exported) heat.

    Parameters
    ----------
    heat : float or sequence of float
        Heat purchased (or exported). [GJ]
    emission_factor : float or sequence of float
        Heat emission factor. [tCO2/GJ]

    Returns
    -------
    float
        :math:`E_{热}`. [tCO2]

    Notes
    -----
    .. math:: E_{热} = AD_{热} \times EF_{热}

    GB/T 32150-2015, purchased and exported heat.
    """
    return weighted_sum("heat", heat, "emission_factor", emission_factor)


@cites(
    Clause(
        GBT32150,
        "排放总量",
        "E = E燃烧 + E过程 + E购入电 + E购入热 − E输出电 − E输出热",
        verified=False,
    )
)
def emissions_total(
    fuel_combustion: float,
    process: float,
    purchased_electricity: float,
    purchased_heat: float,
    exported_electricity: float,
    exported_heat: float,
) -> float:
    r"""Total emissions of the reporting entity.

    Parameters
    ----------
    fuel_combustion : float
        :math:`E_{燃烧}`. [tCO2]
    process : float
        :math:`E_{过程}`. [tCO2]
    purchased_electricity : float
        :math:`E_{购入电}`. [tCO2]
    purchased_heat : float
        :math:`E_{购入热}`. [tCO2]
    exported_electricity : float
        :math:`E_{输出电}`. [tCO2]
    exported_heat : float
        :math:`E_{输出热}`. [tCO2]

    Returns
    -------
    float
        :math:`E`. [tCO2]

    Notes
    -----
    .. math:: E = E_{燃烧} + E_{过程} + E_{购入电} + E_{购入热} - E_{输出电} - E_{输出热}

    GB/T 32150-2015, total emissions (CO2 only in this implementation).
    """
    parts = non_negative(
        "emission terms",
        [
            fuel_combustion,
            process,
            purchased_electricity,
            purchased_heat,
            exported_electricity,
            exported_heat,
        ],
    )
    signs = np.array([1.0, 1.0, 1.0, 1.0, -1.0, -1.0])
    a, b = paired("emission terms", parts, "signs", signs)
    return float(np.dot(a, b))
