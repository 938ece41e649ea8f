r"""Electrolytic aluminium: GB/T 32151.4-2015 《温室气体排放核算与报告要求 第4部分：电解铝生产企业》
and the IPCC 2006 Guidelines (Vol. 3 Ch. 4.4) for PFCs from anode effects.

Anode consumption (prebake anodes):

.. math:: EF_{阳极} = NC_{阳极} \times (1 - S_{阳极} - A_{阳极}) \times 44/12, \quad
          E_{阳极} = EF_{阳极} \times P_{铝}

PFCs (CF4, C2F6) from anode effects, three routes: the guideline's default factors
(:func:`pfc_default`), the slope method (:func:`pfc_slope`, IPCC 2006 Eq. 4.26 / 4.27:
:math:`E_{CF4} = S_{CF4} \times AEM \times MP`, :math:`E_{C2F6} = E_{CF4} \times F_{C2F6/CF4}`) and the
overvoltage method (:func:`pfc_overvoltage`, :math:`E_{CF4} = OVC \times AEO / CE \times MP`).
Results are tonnes per gas (:class:`~lingtan.ghg.gases.GasAmounts`), converted to CO2e by the
chosen GWP records. Equation numbers were not checked against the texts (``verified=False``).
"""

from __future__ import annotations

from typing import Final

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import CO2_PER_C, scalar_non_negative, scalar_positive
from lingtan.errors import InvalidInput
from lingtan.ghg.gases import GasAmounts
from lingtan.ghg.methods._util import share

GBT: Final[str] = "GB/T 32151.4-2015"
IPCC: Final[str] = "2006 IPCC Guidelines Vol. 3 Ch. 4.4"
KG_PER_T: Final[float] = 1000.0


@cites(Clause(GBT, "阳极消耗 排放因子", "EF阳极 = NC阳极 × (1 − S阳极 − A阳极) × 44/12", False))
def anode_emission_factor(net_consumption: float, sulphur: float, ash: float) -> float:
    r"""CO2 per t of aluminium from the consumption of prebaked carbon anodes.

    Parameters
    ----------
    net_consumption : float
        Net anode consumption per t of aluminium, NC. [t/t]
    sulphur : float
        Sulphur content of the anode, S, mass fraction. [1]
    ash : float
        Ash content of the anode, A, mass fraction. [1]

    Returns
    -------
    float
        :math:`EF_{阳极}` [tCO2/t Al]

    Notes
    -----
    .. math:: EF_{阳极} = NC \times (1 - S - A) \times 44/12
    """
    nc = scalar_non_negative("net_consumption", net_consumption)
    s = float(share("sulphur", sulphur)[0])
    a = float(share("ash", ash)[0])
    if s + a >= 1:
        raise InvalidInput("sulphur + ash must be below 1", field="ash")
    return nc * (1 - s - a) * CO2_PER_C


@cites(Clause(GBT, "阳极消耗排放", "E阳极 = EF阳极 × P铝", False))
def anode(output: float, emission_factor: float) -> float:
    r"""CO2 from anode consumption.

    Parameters
    ----------
    output : float
        Primary aluminium produced (液态铝). [t]
    emission_factor : float
        From :func:`anode_emission_factor`. [tCO2/t]

    Returns
    -------
    float
        [tCO2]

    Notes
    -----
    .. math:: E_{阳极} = EF_{阳极} \times P_{铝}
    """
    return scalar_non_negative("output", output) * scalar_non_negative(
        "emission_factor", emission_factor
    )


@cites(
    Clause(
        GBT, "阳极效应排放 (缺省排放因子)", "E_CF4 = EF_CF4 × P铝; E_C2F6 = EF_C2F6 × P铝", False
    )
)
def pfc_default(output: float, cf4_factor: float, c2f6_factor: float) -> GasAmounts:
    r"""CF4 and C2F6 from anode effects by per-tonne emission factors.

    Parameters
    ----------
    output : float
        Aluminium produced. [t]
    cf4_factor, c2f6_factor : float
        [kg gas / t Al]

    Returns
    -------
    GasAmounts
        Tonnes of CF4 and C2F6.

    Notes
    -----
    .. math:: E_{CF4} = EF_{CF4} \times P / 1000, \quad E_{C2F6} = EF_{C2F6} \times P / 1000
    """
    p = scalar_non_negative("output", output)
    cf4 = scalar_non_negative("cf4_factor", cf4_factor)
    c2f6 = scalar_non_negative("c2f6_factor", c2f6_factor)
    return GasAmounts({"CF4": p * cf4 / KG_PER_T, "C2F6": p * c2f6 / KG_PER_T})


@cites(
    Clause(
        IPCC,
        "4.4.2.2 slope method",
        "Eq. 4.26 E_CF4 = S_CF4 × AEM × MP; Eq. 4.27 E_C2F6 = E_CF4 × F",
        False,
    )
)
def pfc_slope(
    output: float, anode_effect_minutes: float, slope_cf4: float, c2f6_cf4_ratio: float
) -> GasAmounts:
    r"""CF4 and C2F6 from anode effects by the slope method.

    Parameters
    ----------
    output : float
        Aluminium produced, MP. [t]
    anode_effect_minutes : float
        Anode effect minutes per cell-day, AEM. [AE-min/cell-day]
    slope_cf4 : float
        Slope coefficient, S_CF4 (measured, or the IPCC technology default).
        [(kg CF4/t Al)/(AE-min/cell-day)]
    c2f6_cf4_ratio : float
        Weight fraction C2F6/CF4, F. [kg/kg]

    Returns
    -------
    GasAmounts
        Tonnes of CF4 and C2F6.

    Notes
    -----
    .. math:: E_{CF4} = S_{CF4} \times AEM \times MP, \quad E_{C2F6} = E_{CF4} \times F_{C2F6/CF4}

    (kg, divided by 1000 for tonnes)
    """
    p = scalar_non_negative("output", output)
    aem = scalar_non_negative("anode_effect_minutes", anode_effect_minutes)
    s = scalar_non_negative("slope_cf4", slope_cf4)
    f = scalar_non_negative("c2f6_cf4_ratio", c2f6_cf4_ratio)
    cf4 = s * aem * p / KG_PER_T
    return GasAmounts({"CF4": cf4, "C2F6": cf4 * f})


@cites(
    Clause(
        IPCC, "4.4.2.2 overvoltage method", "E_CF4 = OVC × AEO / CE × MP; E_C2F6 = E_CF4 × F", False
    )
)
def pfc_overvoltage(
    output: float,
    overvoltage: float,
    current_efficiency: float,
    overvoltage_coefficient: float,
    c2f6_cf4_ratio: float,
) -> GasAmounts:
    r"""CF4 and C2F6 from anode effects by the overvoltage method (for cells that log the
    anode-effect overvoltage instead of minutes).

    Parameters
    ----------
    output : float
        Aluminium produced, MP. [t]
    overvoltage : float
        Anode effect overvoltage, AEO. [mV/cell-day]
    current_efficiency : float
        Current efficiency, CE, as a fraction in (0, 1]. [1]
    overvoltage_coefficient : float
        OVC (measured). [(kg CF4/t Al)/(mV/cell-day)]
    c2f6_cf4_ratio : float
        Weight fraction C2F6/CF4. [kg/kg]

    Returns
    -------
    GasAmounts
        Tonnes of CF4 and C2F6.

    Notes
    -----
    .. math:: E_{CF4} = OVC \times \frac{AEO}{CE} \times MP

    CE is taken as a fraction; the IPCC text's convention for it was not checked.
    """
    p = scalar_non_negative("output", output)
    aeo = scalar_non_negative("overvoltage", overvoltage)
    ce = scalar_positive("current_efficiency", current_efficiency)
    if ce > 1:
        raise InvalidInput("current_efficiency must lie in (0, 1]", field="current_efficiency")
    ovc = scalar_non_negative("overvoltage_coefficient", overvoltage_coefficient)
    f = scalar_non_negative("c2f6_cf4_ratio", c2f6_cf4_ratio)
    cf4 = ovc * aeo / ce * p / KG_PER_T
    return GasAmounts({"CF4": cf4, "C2F6": cf4 * f})
