r"""Cement: GB/T 32151.8-2015 《温室气体排放核算与报告要求 第8部分：水泥生产企业》.

Process emissions by the clinker route: the CaO and MgO in clinker (and in the kiln dust that
leaves the system — 窑头粉尘, 旁路放风粉尘) came from carbonates unless they entered as oxides
(non-carbonate CaO/MgO, e.g. from slag or fly ash in the raw meal):

.. math:: E_{原料} = (Q_{熟料} + Q_{窑头粉尘} + Q_{旁路粉尘})
          \left[(FR_1 - FR_{10})\frac{44}{56} + (FR_2 - FR_{20})\frac{44}{40}\right]

plus the organic (non-fuel) carbon of the raw meal burned in the kiln:

.. math:: E_{非燃料碳} = Q_{生料} \times FR_0 \times \frac{44}{12}

44/56 and 44/40 are the CO2/CaO and CO2/MgO molar-mass ratios (formula constants, not factors).
Clause numbers were not checked against the purchased text (``verified=False``).
"""

from __future__ import annotations

from typing import Final

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import CO2_PER_C, scalar_non_negative
from lingtan.errors import InvalidInput
from lingtan.ghg.methods._util import share

GBT: Final[str] = "GB/T 32151.8-2015"
#: CO2/CaO and CO2/MgO molar-mass ratios as the standard writes them (44/56, 44/40)
CO2_PER_CAO: Final[float] = 44.0 / 56.0
CO2_PER_MGO: Final[float] = 44.0 / 40.0


def _fraction(name: str, value: float) -> float:
    return float(share(name, value)[0])


@cites(
    Clause(
        GBT,
        "工业生产过程排放 原料碳酸盐分解",
        "E = (Q熟料 + Q窑头粉尘 + Q旁路粉尘) × [(FR1 − FR10) × 44/56 + (FR2 − FR20) × 44/40]",
        False,
    )
)
def clinker_process(
    clinker: float,
    kiln_head_dust: float,
    bypass_dust: float,
    cao: float,
    cao_non_carbonate: float,
    mgo: float,
    mgo_non_carbonate: float,
) -> float:
    r"""CO2 from the calcination of raw-meal carbonates, by the clinker (output) route.

    Parameters
    ----------
    clinker : float
        Clinker produced. [t]
    kiln_head_dust : float
        Kiln-head (窑头) dust leaving the system. [t]
    bypass_dust : float
        Bypass (旁路放风) dust leaving the system. [t]
    cao : float
        CaO content of clinker, FR1, mass fraction. [1]
    cao_non_carbonate : float
        CaO entering as non-carbonate (FR10), mass fraction of clinker, ≤ ``cao``. [1]
    mgo : float
        MgO content of clinker, FR2. [1]
    mgo_non_carbonate : float
        MgO from non-carbonate sources (FR20), ≤ ``mgo``. [1]

    Returns
    -------
    float
        [tCO2]

    Notes
    -----
    .. math:: E = (Q + Q_{ckd} + Q_{bpd})[(FR_1-FR_{10})\tfrac{44}{56} + (FR_2-FR_{20})\tfrac{44}{40}]
    """
    q = (
        scalar_non_negative("clinker", clinker)
        + scalar_non_negative("kiln_head_dust", kiln_head_dust)
        + scalar_non_negative("bypass_dust", bypass_dust)
    )
    fr1, fr10 = _fraction("cao", cao), _fraction("cao_non_carbonate", cao_non_carbonate)
    fr2, fr20 = _fraction("mgo", mgo), _fraction("mgo_non_carbonate", mgo_non_carbonate)
    if fr10 > fr1:
        raise InvalidInput("cao_non_carbonate must not exceed cao", field="cao_non_carbonate")
    if fr20 > fr2:
        raise InvalidInput("mgo_non_carbonate must not exceed mgo", field="mgo_non_carbonate")
    return q * ((fr1 - fr10) * CO2_PER_CAO + (fr2 - fr20) * CO2_PER_MGO)


@cites(Clause(GBT, "工业生产过程排放 生料中非燃料碳煅烧", "E = Q生料 × FR0 × 44/12", False))
def raw_meal_organic_carbon(raw_meal: float, non_fuel_carbon: float) -> float:
    r"""CO2 from the non-fuel (organic) carbon of the raw meal.

    Parameters
    ----------
    raw_meal : float
        Raw meal consumed (dry). [t]
    non_fuel_carbon : float
        Non-fuel carbon content of the raw meal, FR0, mass fraction (dry). [1]

    Returns
    -------
    float
        [tCO2]

    Notes
    -----
    .. math:: E = Q_{生料} \times FR_0 \times 44/12
    """
    q = scalar_non_negative("raw_meal", raw_meal)
    return q * _fraction("non_fuel_carbon", non_fuel_carbon) * CO2_PER_C
