r"""Iron and steel: GB/T 32151.5-2015 《温室气体排放核算与报告要求 第5部分：钢铁生产企业》.

The enterprise total is

.. math:: E = E_{燃烧} + E_{过程} + E_{电} + E_{热} - R_{固碳}

with :math:`E_{过程} = E_{熔剂} + E_{电极} + E_{原料}`. Fuels include those used as reductants
(coke, injected coal): they are fuels to this method, counted net of what the works exports
(exported gas is a negative fuel term), by :func:`fuel_combustion` which reuses
:mod:`lingtan.carbon.methods.gbt32150`. The carbon mass balance (IPCC 2006 Vol. 3 Eq. 4.9) is
:func:`carbon_balance` for works that account by carbon in and out.

Section names follow the standard's headings; the clause numbers were not checked against the
purchased text, hence ``verified=False``.
"""

from __future__ import annotations

from typing import Final

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import CO2_PER_C, ArrayLike, fraction, non_negative
from lingtan.errors import InvalidInput
from lingtan.ghg.methods._util import aligned, product_sum, share

GBT: Final[str] = "GB/T 32151.5-2015"


@cites(
    Clause(GBT, "化石燃料燃烧排放", "E燃烧 = Σ (FC_i − FX_i) × NCV_i × CC_i × OF_i × 44/12", False)
)
def fuel_combustion(
    consumed: ArrayLike,
    exported: ArrayLike,
    net_calorific_value: ArrayLike,
    carbon_content: ArrayLike,
    oxidation_rate: ArrayLike,
) -> float:
    r"""CO2 from fuels burned or used as reductants, net of fuel exported from the works.

    Parameters
    ----------
    consumed : float or sequence of float
        Fuel entering the works' boundary (coke, coal, natural gas ...). [t or 10^4 Nm3]
    exported : float or sequence of float
        The same fuel leaving it (BF/BOF/coke-oven gas sold, coke sold). [t or 10^4 Nm3]
    net_calorific_value : float or sequence of float
        [GJ/unit]
    carbon_content : float or sequence of float
        Carbon per heat. [tC/GJ]
    oxidation_rate : float or sequence of float
        In (0, 1]. [1]

    Returns
    -------
    float
        :math:`E_{燃烧}` [tCO2]; negative only if the works exports more carbon in fuel than it
        takes in, which is refused.

    Notes
    -----
    .. math:: E_{燃烧} = \sum_i (FC_i - FX_i) \times NCV_i \times CC_i \times OF_i \times 44/12
    """
    fc, fx, ncv, cc, of = aligned(
        consumed=non_negative("consumed", consumed),
        exported=non_negative("exported", exported),
        net_calorific_value=non_negative("net_calorific_value", net_calorific_value),
        carbon_content=non_negative("carbon_content", carbon_content),
        oxidation_rate=fraction("oxidation_rate", oxidation_rate),
    )
    carbon = float(((fc - fx) * ncv * cc * of).sum())
    if carbon < 0:
        raise InvalidInput(
            "exported: the works exports more fuel carbon than it consumes", field="exported"
        )
    return carbon * CO2_PER_C


@cites(Clause(GBT, "工业生产过程排放 熔剂消耗", "E熔剂 = Σ P_i × DX_i × EF_i", False))
def flux(consumption: ArrayLike, purity: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 from fluxes (limestone, dolomite) decomposed in sintering, ironmaking, steelmaking.

    Parameters
    ----------
    consumption : float or sequence of float
        Flux consumed. [t]
    purity : float or sequence of float
        Mass fraction of the carbonate in the flux (DX), in [0, 1]. [1]
    emission_factor : float or sequence of float
        CO2 per t of pure carbonate. [tCO2/t]

    Returns
    -------
    float
        :math:`E_{熔剂}` [tCO2].

    Notes
    -----
    .. math:: E_{熔剂} = \sum_i P_i \times DX_i \times EF_i
    """
    return product_sum(
        consumption=non_negative("consumption", consumption),
        purity=share("purity", purity),
        emission_factor=non_negative("emission_factor", emission_factor),
    )


@cites(Clause(GBT, "工业生产过程排放 电极消耗", "E电极 = P电极 × EF电极", False))
def electrode(consumption: float, emission_factor: float) -> float:
    r"""CO2 from electrodes consumed in electric-arc and ladle furnaces.

    Parameters
    ----------
    consumption : float
        Electrodes consumed. [t]
    emission_factor : float
        [tCO2/t]

    Returns
    -------
    float
        :math:`E_{电极}` [tCO2].

    Notes
    -----
    .. math:: E_{电极} = P_{电极} \times EF_{电极}
    """
    return product_sum(
        consumption=non_negative("consumption", consumption),
        emission_factor=non_negative("emission_factor", emission_factor),
    )


@cites(Clause(GBT, "工业生产过程排放 外购含碳原料", "E原料 = Σ M_i × EF_i", False))
def purchased_carbon_materials(quantity: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 attributed to purchased carbon-bearing materials (pig iron, DRI, ferroalloys).

    Parameters
    ----------
    quantity : float or sequence of float
        Material purchased and consumed. [t]
    emission_factor : float or sequence of float
        [tCO2/t]

    Returns
    -------
    float
        :math:`E_{原料}` [tCO2].

    Notes
    -----
    .. math:: E_{原料} = \sum_i M_i \times EF_i
    """
    return product_sum(
        quantity=non_negative("quantity", quantity),
        emission_factor=non_negative("emission_factor", emission_factor),
    )


@cites(Clause(GBT, "固碳产品隐含的排放", "R固碳 = Σ AD_i × EF_i", False))
def sequestered(output: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 held in carbon-bearing products leaving the works (crude steel, methanol ...).

    Parameters
    ----------
    output : float or sequence of float
        Product made and sent out. [t]
    emission_factor : float or sequence of float
        CO2 equivalent of the product's carbon. [tCO2/t]

    Returns
    -------
    float
        :math:`R_{固碳}` [tCO2], subtracted from the total.

    Notes
    -----
    .. math:: R_{固碳} = \sum_i AD_i \times EF_i
    """
    return product_sum(
        output=non_negative("output", output),
        emission_factor=non_negative("emission_factor", emission_factor),
    )


@cites(Clause(GBT, "排放总量", "E = E燃烧 + E过程 + E电 + E热 − R固碳", False))
def total(
    fuel: float, process: float, electricity: float, heat: float, sequestered: float
) -> float:
    r"""The works' total CO2.

    Parameters
    ----------
    fuel, process : float
        :math:`E_{燃烧}`, :math:`E_{过程}` [tCO2], non-negative.
    electricity, heat : float
        Net purchased electricity and heat emissions [tCO2]; negative when the works exports more
        than it buys.
    sequestered : float
        :math:`R_{固碳}` [tCO2], non-negative.

    Returns
    -------
    float
        :math:`E` [tCO2].

    Notes
    -----
    .. math:: E = E_{燃烧} + E_{过程} + E_{电} + E_{热} - R_{固碳}
    """
    non_negative("fuel", fuel)
    non_negative("process", process)
    non_negative("sequestered", sequestered)
    return float(fuel + process + electricity + heat - sequestered)


@cites(
    Clause(
        "2006 IPCC Guidelines Vol. 3 Ch. 4",
        "4.2.2.3 Tier 2 (iron and steel carbon mass balance)",
        "E = (Σ M_in × C_in − Σ M_out × C_out) × 44/12",
        False,
    )
)
def carbon_balance(
    inputs: ArrayLike, input_carbon: ArrayLike, outputs: ArrayLike, output_carbon: ArrayLike
) -> float:
    r"""CO2 of a works or process by carbon in minus carbon out (the mass-balance route).

    Parameters
    ----------
    inputs : float or sequence of float
        Carbon-bearing inputs (coke, coal, limestone, purchased pig iron, electrodes ...). [t]
    input_carbon : float or sequence of float
        Their carbon content, mass fraction in [0, 1]. [tC/t]
    outputs : float or sequence of float
        Carbon-bearing outputs (steel, exported gas as mass, by-products, sequestered carbon). [t]
    output_carbon : float or sequence of float
        Their carbon content, mass fraction in [0, 1]. [tC/t]

    Returns
    -------
    float
        [tCO2]; carbon out exceeding carbon in is refused.

    Notes
    -----
    .. math:: E = \left(\sum M_{in} C_{in} - \sum M_{out} C_{out}\right) \times 44/12
    """
    c_in = product_sum(
        inputs=non_negative("inputs", inputs), input_carbon=share("input_carbon", input_carbon)
    )
    c_out = product_sum(
        outputs=non_negative("outputs", outputs),
        output_carbon=share("output_carbon", output_carbon),
    )
    if c_out > c_in:
        raise InvalidInput("outputs: more carbon leaves than enters", field="outputs")
    return (c_in - c_out) * CO2_PER_C
