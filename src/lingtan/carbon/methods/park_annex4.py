r"""Zero-carbon park CO2 accounting: 发改环资〔2025〕910号 附件4《零碳园区碳排放核算方法（试行）》.

The method counts CO2 only, for one calendar year, from energy activities and industrial processes
inside the park (附件4 一). Its equations, each implemented by one function here:

.. math::

    E_{园区} &= E_{能源活动} + E_{工业过程} \\
    E_{能源活动} &= E_{用作燃料} + E_{加工转换} + E_{间接排放} \\
    E_{间接排放} &= E_{电} + E_{热}

The annex states results in 万吨 (10^4 t); these functions return tCO2 and the caller converts for
display. International aviation and shipping bunker fuels are not deducted from the total but are
listed separately (附件4 二（一）); CCUS and offsets do not appear in the method at all, so nothing
here deducts them.

References
----------
.. [1] 国家发展改革委, 工业和信息化部, 国家能源局,
   《关于开展零碳园区建设的通知》(发改环资〔2025〕910号), 附件4《零碳园区碳排放核算方法（试行）》, 2025.
   https://www.ndrc.gov.cn/xxgk/zcfb/tz/202507/P020250708509043380772.pdf
"""

from __future__ import annotations

from typing import Final, Literal

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import (
    ArrayLike,
    scalar_non_negative,
    vector,
    weighted_sum,
)
from lingtan.errors import InvalidInput

ANNEX4: Final[str] = "发改环资〔2025〕910号 附件4"
ANNEX3: Final[str] = "发改环资〔2025〕910号 附件3"

#: Kinds of electricity a park receives or sends (附件4 二（二）3①).
ElectricityKind = Literal["grid", "direct_non_fossil", "green_certified", "fossil", "non_fossil"]

#: Kinds whose emission factor the annex sets to 0: directly supplied non-fossil electricity and
#: renewable electricity obtained through 绿证/绿电 trading; ``non_fossil`` is the sending side.
ZERO_FACTOR_KINDS: Final[frozenset[str]] = frozenset(
    {"direct_non_fossil", "green_certified", "non_fossil"}
)


@cites(Clause(ANNEX4, "二（二）3①", "Ef_i = 0 or 0.8325 kgCO2/kWh"))
def electricity_emission_factor(kind: ElectricityKind, fossil_factor: float) -> float:
    r"""Emission factor the park method assigns to one kind of electricity.

    Parameters
    ----------
    kind : str
        ``grid`` (public-grid electricity not backed by 绿证/绿电), ``direct_non_fossil``
        (直供非化石能源电力), ``green_certified`` (绿证/绿电交易获取的可再生能源电力),
        ``fossil`` or ``non_fossil`` (electricity sent out of the park).
    fossil_factor : float
        The national fossil-power factor the annex prescribes (0.8325 kgCO2/kWh as a record of
        the factor library, converted by the caller). [tCO2/kWh]

    Returns
    -------
    float
        Emission factor of that kind of electricity. [tCO2/kWh]

    Notes
    -----
    .. math:: Ef_i = \begin{cases} 0 & i \in \{直供非化石, 绿证绿电\} \\
              Ef_{化石} & \text{otherwise} \end{cases}

    附件4 二（二）3①: directly supplied non-fossil electricity and renewable electricity from
    绿证/绿电 trading take 0; all other electricity takes the national fossil-power factor
    (0.8325 kgCO2/kWh). Electricity sent out as ``non_fossil`` takes the same zero factor (a
    documented reading: the annex assigns factors by kind of electricity, not by direction).
    """
    factor = scalar_non_negative("fossil_factor", fossil_factor)
    if kind in ZERO_FACTOR_KINDS:
        return 0.0
    if kind in ("grid", "fossil"):
        return factor
    raise InvalidInput(
        "kind must be one of grid, direct_non_fossil, green_certified, fossil, non_fossil; "
        f"got {kind!r}",
        field="kind",
    )


@cites(Clause(ANNEX4, "二（二）1", "E用作燃料 = Σ(能源消费量_ij × 排放因子_ij)"))
def emissions_fuel_use(energy_consumption: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 from fossil energy used as fuel (化石能源用作燃料产生的碳排放).

    Parameters
    ----------
    energy_consumption : float or sequence of float
        Consumption of each fossil energy *i* in each activity type *j* (terminal use excluding
        feedstock, power generation, heat supply ...), in the unit its factor is given per. [unit]
    emission_factor : float or sequence of float
        Emission factor of each (i, j), same order and unit basis. [tCO2/unit]

    Returns
    -------
    float
        :math:`E_{用作燃料}`. [tCO2]

    Notes
    -----
    .. math:: E_{用作燃料} = \sum_{i,j} AD_{ij} \times EF_{ij}

    附件4 二（二）1. Energy used as raw material (feedstock) is outside this term by definition.
    """
    return weighted_sum(
        "energy_consumption", energy_consumption, "emission_factor", emission_factor
    )


@cites(Clause(ANNEX4, "二（二）2", "E加工转换 = Σ(投入_ij × EF_ij) − Σ(产出_i'j × EF_i'j)"))
def emissions_energy_conversion(
    input_consumption: ArrayLike,
    input_emission_factor: ArrayLike,
    output_production: ArrayLike,
    output_emission_factor: ArrayLike,
) -> float:
    r"""CO2 from energy processing and conversion (能源加工转换), by carbon balance.

    Parameters
    ----------
    input_consumption : float or sequence of float
        Fossil energy *i* put into conversion (炼油及煤制油, 制气 ...). [unit]
    input_emission_factor : float or sequence of float
        Their emission factors computed with an oxidation rate of 100 %. [tCO2/unit]
    output_production : float or sequence of float
        Carbon-bearing secondary energy *i'* produced (高炉煤气, 汽油, 柴油 ...). [unit]
    output_emission_factor : float or sequence of float
        Their emission factors with an oxidation rate of 100 %. [tCO2/unit]

    Returns
    -------
    float
        :math:`E_{加工转换}`, the carbon lost in conversion. [tCO2]

    Raises
    ------
    InvalidInput
        If the outputs hold more carbon than the inputs (the balance would be negative, which a
        carbon balance cannot be; the activity data are inconsistent).

    Notes
    -----
    .. math:: E_{加工转换} = \sum_{i,j} AD^{in}_{ij} EF_{ij} - \sum_{i',j} AD^{out}_{i'j} EF_{i'j}

    附件4 二（二）2: “核算能源加工转换过程产生的碳排放时，排放因子中的碳氧化率取值为 100%”.
    """
    carbon_in = weighted_sum(
        "input_consumption", input_consumption, "input_emission_factor", input_emission_factor
    )
    carbon_out = weighted_sum(
        "output_production", output_production, "output_emission_factor", output_emission_factor
    )
    balance = carbon_in - carbon_out
    if balance < -1e-9 * max(carbon_in, carbon_out, 1.0):
        raise InvalidInput(
            f"conversion outputs hold more carbon ({carbon_out:.6g} tCO2) than inputs "
            f"({carbon_in:.6g} tCO2); check the conversion activity data",
            field="output_production",
        )
    return max(balance, 0.0)


@cites(Clause(ANNEX4, "二（二）3①", "E电 = Σ(El受入_i × Ef_i) − Σ(El送出_i × Ef_i)"))
def emissions_electricity_net(
    electricity_received: ArrayLike,
    received_emission_factor: ArrayLike,
    electricity_sent: ArrayLike,
    sent_emission_factor: ArrayLike,
) -> float:
    r"""Indirect CO2 of the park's net electricity receipt (电力净受入).

    Parameters
    ----------
    electricity_received : float or sequence of float
        Electricity received, by kind. [kWh]
    received_emission_factor : float or sequence of float
        Factor of each received kind, see :func:`electricity_emission_factor`. [tCO2/kWh]
    electricity_sent : float or sequence of float
        Electricity sent out of the park, by kind. [kWh]
    sent_emission_factor : float or sequence of float
        Factor of each sent kind. [tCO2/kWh]

    Returns
    -------
    float
        :math:`E_{电}`; negative when the park sends out more fossil-factor electricity than it
        receives. [tCO2]

    Notes
    -----
    .. math:: E_{电} = \sum_i El^{受入}_i Ef_i - \sum_i El^{送出}_i Ef_i

    附件4 二（二）3①.
    """
    received = weighted_sum(
        "electricity_received",
        electricity_received,
        "received_emission_factor",
        received_emission_factor,
    )
    sent = weighted_sum(
        "electricity_sent", electricity_sent, "sent_emission_factor", sent_emission_factor
    )
    return received - sent


@cites(Clause(ANNEX4, "二（二）3②", "E热 = Σ(H受入_i × Hf_i) − Σ(H送出_i × Hf_i)"))
def emissions_heat_net(
    heat_received: ArrayLike,
    received_emission_factor: ArrayLike,
    heat_sent: ArrayLike,
    sent_emission_factor: ArrayLike,
) -> float:
    r"""Indirect CO2 of the park's net heat receipt (热力净受入).

    Parameters
    ----------
    heat_received : float or sequence of float
        Heat received, by kind. [GJ]
    received_emission_factor : float or sequence of float
        Measured factor, or the default 0.11 tCO2/GJ for fossil heat; 0 for non-fossil heat.
        [tCO2/GJ]
    heat_sent : float or sequence of float
        Heat sent out, by kind. [GJ]
    sent_emission_factor : float or sequence of float
        Factor of each sent kind. [tCO2/GJ]

    Returns
    -------
    float
        :math:`E_{热}`. [tCO2]

    Notes
    -----
    .. math:: E_{热} = \sum_i H^{受入}_i Hf_i - \sum_i H^{送出}_i Hf_i

    附件4 二（二）3②: fossil heat at a measured factor or the default 0.11 tCO2/GJ;
    non-fossil heat 0.
    """
    received = weighted_sum(
        "heat_received", heat_received, "received_emission_factor", received_emission_factor
    )
    sent = weighted_sum("heat_sent", heat_sent, "sent_emission_factor", sent_emission_factor)
    return received - sent


@cites(Clause(ANNEX4, "二（二）3", "E间接排放 = E电 + E热"))
def emissions_indirect(electricity: float, heat: float) -> float:
    r"""Indirect CO2 of net electricity and heat receipt (间接排放).

    Parameters
    ----------
    electricity : float
        :math:`E_{电}` from :func:`emissions_electricity_net`. [tCO2]
    heat : float
        :math:`E_{热}` from :func:`emissions_heat_net`. [tCO2]

    Returns
    -------
    float
        :math:`E_{间接排放}`. [tCO2]

    Notes
    -----
    .. math:: E_{间接排放} = E_{电} + E_{热}

    附件4 二（二）3.
    """
    return float(vector("electricity", electricity)[0] + vector("heat", heat)[0])


@cites(Clause(ANNEX4, "二（二）", "E能源活动 = E用作燃料 + E加工转换 + E间接排放"))
def emissions_energy_activity(fuel_use: float, energy_conversion: float, indirect: float) -> float:
    r"""CO2 from the park's energy activities (能源活动碳排放).

    Parameters
    ----------
    fuel_use : float
        :math:`E_{用作燃料}`, bunker fuels included. [tCO2]
    energy_conversion : float
        :math:`E_{加工转换}`. [tCO2]
    indirect : float
        :math:`E_{间接排放}`. [tCO2]

    Returns
    -------
    float
        :math:`E_{能源活动}`. [tCO2]

    Notes
    -----
    .. math:: E_{能源活动} = E_{用作燃料} + E_{加工转换} + E_{间接排放}

    附件4 二（二）.
    """
    scalar_non_negative("fuel_use", fuel_use)
    scalar_non_negative("energy_conversion", energy_conversion)
    return float(fuel_use + energy_conversion + vector("indirect", indirect)[0])


@cites(Clause(ANNEX4, "三（二）", "E工业过程 = Σ(产品产量_i × 排放因子_i)"))
def emissions_industrial_process(product_output: ArrayLike, emission_factor: ArrayLike) -> float:
    r"""CO2 from industrial production processes (工业生产过程碳排放).

    Parameters
    ----------
    product_output : float or sequence of float
        Output of each product meeting quality requirements, sold and self-used. [product unit]
    emission_factor : float or sequence of float
        Process emission factor of each product (provincial inventory, verification data, or a
        mass balance). [tCO2/product unit]

    Returns
    -------
    float
        :math:`E_{工业过程}`. [tCO2]

    Notes
    -----
    .. math:: E_{工业过程} = \sum_i Q_i \times EF_i

    附件4 三（二）.
    """
    return weighted_sum("product_output", product_output, "emission_factor", emission_factor)


@cites(Clause(ANNEX4, "一", "E园区 = E能源活动 + E工业过程"))
def emissions_park(energy_activity: float, industrial_process: float) -> float:
    r"""Total CO2 of the park (园区碳排放量).

    Parameters
    ----------
    energy_activity : float
        :math:`E_{能源活动}`. [tCO2]
    industrial_process : float
        :math:`E_{工业过程}`. [tCO2]

    Returns
    -------
    float
        :math:`E_{园区}`. [tCO2] (the annex prints 万吨: divide by 10 000 for display)

    Notes
    -----
    .. math:: E_{园区} = E_{能源活动} + E_{工业过程}

    附件4 一. Offsets and CCUS are not part of the equation and are never deducted here.
    """
    scalar_non_negative("industrial_process", industrial_process)
    return float(vector("energy_activity", energy_activity)[0] + industrial_process)


@cites(Clause(ANNEX3, "核心指标 单位能耗碳排放", "E园区 / 能源消费量", verified=False))
def carbon_intensity_of_energy(emissions: float, energy_consumption: float) -> float:
    r"""The core indicator 单位能耗碳排放: park CO2 per unit of energy consumed.

    Parameters
    ----------
    emissions : float
        :math:`E_{园区}`. [tCO2]
    energy_consumption : float
        The park's 综合能源消费量 in standard coal; must be > 0. [tce]

    Returns
    -------
    float
        单位能耗碳排放. [tCO2/tce]

    Raises
    ------
    InvalidInput
        If ``energy_consumption`` is not > 0: an intensity of a park that consumed no energy is
        undefined, never a division by zero.

    Notes
    -----
    .. math:: I = E_{园区} / E_{tce}

    附件3 核心指标 (thresholds ≤0.20 for 20–100万 tce parks, ≤0.30 for ≥100万 tce). The annex text
    defining the tce denominator (当量值 or 等价值 for electricity) was not retrieved; the caller
    states which conversion it used beside every result.
    """
    e = vector("emissions", emissions)[0]
    if not energy_consumption > 0 or energy_consumption != energy_consumption:
        raise InvalidInput(
            f"energy_consumption must be > 0 tce to form an intensity, got {energy_consumption!r}",
            field="energy_consumption",
        )
    return float(e / energy_consumption)
