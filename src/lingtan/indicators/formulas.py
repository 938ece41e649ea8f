r"""Indicator formulas: one public function per definition, each citing where it comes from.

Inputs and outputs are plain floats in the units the docstrings name; a ratio is returned as a
fraction (0.9 = 90 %). Invalid input raises ``InvalidInput`` naming the parameter; an undefined
ratio (a zero denominator) raises it too — the caller turns that into "not assessable" with the
reason. The core indicator 单位能耗碳排放 is computed by the accounting library
(:func:`lingtan.carbon.methods.park_annex4.carbon_intensity_of_energy`); it is not repeated here.

References
----------
.. [1] 国家发展改革委 等, 《关于开展零碳园区建设的通知》（发改环资〔2025〕910号）附件3
       《国家级零碳园区建设指标体系（试行）》, 2025.
.. [2] 《综合能耗计算通则》, GB/T 2589-2020.
.. [3] 《节水型企业评价导则》, GB/T 7119-2018.
.. [4] 国家统计局 / 生态环境部, 环境统计指标解释（一般工业固体废物综合利用率）.
.. [5] 《用能单位能源计量器具配备和管理通则》, GB 17167-2006 (superseded by GB 17167-2025,
       in force 2026-02-01).
"""

from __future__ import annotations

import math
from typing import Final

from lingtan.carbon.citation import Clause, cites
from lingtan.errors import InvalidInput

ANNEX3: Final = "发改环资〔2025〕910号 附件3"


def _non_negative(name: str, value: float) -> float:
    if not isinstance(value, int | float) or math.isnan(value) or value < 0 or math.isinf(value):
        raise InvalidInput(f"{name} must be a finite number ≥ 0 (got {value!r})", field=name)
    return float(value)


def _positive(name: str, value: float) -> float:
    _non_negative(name, value)
    if value <= 0:
        raise InvalidInput(f"{name} must be > 0 to form the ratio (got {value!r})", field=name)
    return float(value)


@cites(Clause(ANNEX3, "引导性指标 清洁能源消费占比", "S = E_clean / E", verified=False))
def clean_energy_share(clean_energy: float, total_energy: float) -> float:
    r"""Share of clean energy in the park's energy consumption (清洁能源消费占比).

    Parameters
    ----------
    clean_energy : float
        Clean energy consumed, converted to standard coal the same way as the total. [tce]
    total_energy : float
        Comprehensive energy consumption (综合能源消费量), > 0. [tce]

    Returns
    -------
    float
        :math:`S`. [1]

    Notes
    -----
    .. math:: S = E_{clean} / E

    Guiding indicator of [1]_ (threshold ≥ 90 %). What counts as clean energy is an option
    (:class:`lingtan.indicators.options.IndicatorOptions`); the annex text defining it was not
    retrieved, so the clause reference is not verified.
    """
    clean = _non_negative("clean_energy", clean_energy)
    total = _positive("total_energy", total_energy)
    if clean > total * (1 + 1e-9):
        raise InvalidInput(
            f"clean_energy {clean} exceeds total_energy {total}", field="clean_energy"
        )
    return clean / total


@cites(Clause("GB/T 2589-2020", "单位产品综合能耗", "e = E_j / P_j", verified=False))
def product_unit_energy(energy: float, output: float) -> float:
    r"""Energy consumption per unit of product (单位产品综合能耗 / 单位产品能耗).

    Parameters
    ----------
    energy : float
        Energy attributed to the product in the unit of the applicable limit standard
        (kgce, kWh …). [unit]
    output : float
        Qualified product output, > 0, in the standard's product unit. [product unit]

    Returns
    -------
    float
        :math:`e`. [unit / product unit]

    Notes
    -----
    .. math:: e_j = E_j / P_j

    [2]_; the value is compared with the level-2 value of the applicable 能耗限额 standard, as
    the guiding indicator 园区企业产出产品单位能耗 of [1]_ requires.
    """
    return _non_negative("energy", energy) / _positive("output", output)


@cites(
    Clause(
        "环境统计指标解释",
        "一般工业固体废物综合利用率",
        "η = U / (G + U_s)",
        verified=False,
    )
)
def solid_waste_utilisation_rate(
    utilised: float, generated: float, utilised_from_storage: float = 0.0
) -> float:
    r"""Comprehensive utilisation rate of industrial solid waste (工业固体废物综合利用率).

    Parameters
    ----------
    utilised : float
        Waste utilised in the period, including waste taken from previous years' storage. [t]
    generated : float
        Waste generated in the period. [t]
    utilised_from_storage : float
        Part of ``utilised`` taken from previous years' storage (综合利用往年贮存量). [t]

    Returns
    -------
    float
        :math:`\eta`. [1]

    Notes
    -----
    .. math:: \eta = U / (G + U_s)

    Statistical definition [4]_ (read from secondary sources: the utilised quantity over the
    generated quantity plus what was utilised from earlier storage). Guiding indicator of [1]_
    (≥ 80 %).
    """
    u = _non_negative("utilised", utilised)
    g = _non_negative("generated", generated)
    us = _non_negative("utilised_from_storage", utilised_from_storage)
    if us > u:
        raise InvalidInput(
            f"utilised_from_storage {us} exceeds utilised {u}", field="utilised_from_storage"
        )
    return u / _positive("generated + utilised_from_storage", g + us)


@cites(Clause(ANNEX3, "引导性指标 余热/余冷/余压综合利用率", "η = Q_u / Q_a", verified=False))
def waste_heat_utilisation_rate(utilised: float, available: float) -> float:
    r"""Comprehensive utilisation rate of waste heat, cold and pressure (余热/余冷/余压综合利用率).

    Parameters
    ----------
    utilised : float
        Recovered and used energy. [GJ]
    available : float
        Recoverable waste heat, cold and pressure resource, > 0. [GJ]

    Returns
    -------
    float
        :math:`\eta`. [1]

    Notes
    -----
    .. math:: \eta = Q_u / Q_a

    Guiding indicator of [1]_ (≥ 50 %); the annex's definition of the resource quantity was not
    retrieved, so the clause reference is not verified.
    """
    u = _non_negative("utilised", utilised)
    a = _positive("available", available)
    if u > a * (1 + 1e-9):
        raise InvalidInput(f"utilised {u} exceeds available {a}", field="utilised")
    return u / a


@cites(Clause("GB/T 7119-2018", "重复利用率", "R = V_r / (V_i + V_r)", verified=False))
def water_reuse_rate(reused: float, intake: float) -> float:
    r"""Industrial water reuse rate (工业用水重复利用率).

    Parameters
    ----------
    reused : float
        Water reused (重复利用水量). [m³]
    intake : float
        Fresh water taken in (取水量). [m³]

    Returns
    -------
    float
        :math:`R`. [1]

    Notes
    -----
    .. math:: R = V_r / (V_i + V_r)

    [3]_: reused water over total water use, total use being intake plus reuse. Guiding
    indicator of [1]_ (≥ 80 %).
    """
    r = _non_negative("reused", reused)
    i = _non_negative("intake", intake)
    return r / _positive("intake + reused", i + r)


@cites(Clause("GB 17167-2006", "能源计量器具配备率", "r = M_k / M_1", verified=False))
def metering_coverage(metered: float, reference: float) -> float:
    r"""Share of an energy's consumption seen by the meters of one GB 17167 level.

    Parameters
    ----------
    metered : float
        Consumption recorded by the meters of the level. [unit]
    reference : float
        Consumption of the energy-using unit (level 1: the boundary total; levels 2 and 3: what
        the level-1 meters record), > 0. [unit]

    Returns
    -------
    float
        :math:`r`. [1]

    Notes
    -----
    .. math:: r_k = M_k / M_1

    [5]_ defines the 配备率 by the number of instruments installed over the number required; lingtan
    measures it by consumption (what the meters of a level actually see), the reading the
    platform can check continuously from data. The required rates are configurable data.
    """
    return _non_negative("metered", metered) / _positive("reference", reference)


@cites(Clause(ANNEX3, "基准年 2025", "Δ = (x − x_2025) / x_2025", verified=False))
def relative_change(value: float, base: float) -> float:
    r"""Change of an indicator against its base-year value.

    Parameters
    ----------
    value : float
        Indicator value in the reporting period. [unit]
    base : float
        Value in the base year (2025 for the national programme), ≠ 0. [unit]

    Returns
    -------
    float
        :math:`\Delta`. [1]

    Notes
    -----
    .. math:: \Delta = (x - x_{2025}) / x_{2025}

    The national programme takes 2025 as the base year of every park's indicators [1]_.
    """
    if not math.isfinite(value):
        raise InvalidInput("value must be finite", field="value")
    if not math.isfinite(base) or base == 0:
        raise InvalidInput("base must be finite and non-zero", field="base")
    return (value - base) / abs(base)
