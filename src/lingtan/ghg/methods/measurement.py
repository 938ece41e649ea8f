r"""The measurement route (实测法) beside the calculation route (计算法), GB/T 32150-2015.

Two forms:

* CEMS (continuous emission monitoring, HJ 75-2017 for the system): the mass emitted is the sum
  over intervals of dry standard flow × CO2 mass concentration × interval length,
  :math:`E = \sum_h Q_h \times C_h \times \Delta t_h \times 10^{-9}` [t] (mg → t);
  a concentration given as a volume fraction converts by :math:`C = \varphi \times M_{CO2} / V_m`.
* Measured carbon content: :math:`E = \sum_i M_i \times C_i \times OF_i \times 44/12`, the fuel's
  or material's own element carbon (lab report) instead of a default per-heat content.

:math:`M_{CO2} = 44.01` g/mol and :math:`V_m = 22.414` L/mol (0 °C, 101.325 kPa, the standard
state of Chinese CEMS data) are physical constants of the formula, not published factors.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import CO2_PER_C, ArrayLike, fraction, non_negative
from lingtan.ghg.methods._util import aligned, product_sum, share

#: g/mol, and L/mol at 273.15 K and 101.325 kPa
MOLAR_MASS_CO2: Final[float] = 44.01
MOLAR_VOLUME: Final[float] = 22.414
MG_PER_T: Final[float] = 1e9


@cites(
    Clause(
        "GB/T 32150-2015 实测法 / HJ 75-2017", "CEMS 排放量", "E = Σ Q_h × C_h × Δt_h × 10⁻⁹", False
    )
)
def cems_mass(flow: ArrayLike, concentration: ArrayLike, hours: ArrayLike = 1.0) -> float:
    r"""CO2 emitted, from CEMS flow and concentration per interval.

    Parameters
    ----------
    flow : float or sequence of float
        Dry flue-gas flow at standard state. [Nm3/h]
    concentration : float or sequence of float
        CO2 mass concentration, dry standard. [mg/Nm3]
    hours : float or sequence of float
        Length of each interval. [h]

    Returns
    -------
    float
        [tCO2]

    Notes
    -----
    .. math:: E = \sum_h Q_h C_h \Delta t_h \times 10^{-9}
    """
    return (
        product_sum(
            flow=non_negative("flow", flow),
            concentration=non_negative("concentration", concentration),
            hours=non_negative("hours", hours),
        )
        / MG_PER_T
    )


@cites(Clause("HJ 75-2017", "体积浓度换算为质量浓度", "C = φ × M_CO2 / V_m", False))
def mass_concentration(volume_fraction: ArrayLike) -> np.ndarray:
    r"""CO2 mass concentration from its volume fraction in dry flue gas.

    Parameters
    ----------
    volume_fraction : float or sequence of float
        CO2 volume fraction, in [0, 1] (12 % → 0.12). [1]

    Returns
    -------
    numpy.ndarray
        [mg/Nm3]

    Notes
    -----
    .. math:: C = \varphi \times \frac{M_{CO2}}{V_m} \times 10^6 \;[\text{mg/m}^3]
    """
    phi = share("volume_fraction", volume_fraction)
    return phi * MOLAR_MASS_CO2 / MOLAR_VOLUME * 1e6


@cites(Clause("GB/T 32150-2015 实测法", "实测元素碳含量", "E = Σ M_i × C_i × OF_i × 44/12", False))
def measured_carbon(
    mass: ArrayLike, carbon_content: ArrayLike, oxidation_rate: ArrayLike = 1.0
) -> float:
    r"""CO2 from a fuel or material by its measured element carbon content.

    Parameters
    ----------
    mass : float or sequence of float
        Quantity consumed. [t]
    carbon_content : float or sequence of float
        Measured carbon content, mass fraction (as received). [tC/t]
    oxidation_rate : float or sequence of float
        In (0, 1]. [1]

    Returns
    -------
    float
        [tCO2]

    Notes
    -----
    .. math:: E = \sum_i M_i \times C_i \times OF_i \times 44/12
    """
    m, c, of = aligned(
        mass=non_negative("mass", mass),
        carbon_content=share("carbon_content", carbon_content),
        oxidation_rate=fraction("oxidation_rate", oxidation_rate),
    )
    return float((m * c * of).sum()) * CO2_PER_C
