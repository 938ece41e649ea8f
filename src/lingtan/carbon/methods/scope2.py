r"""Scope 2 electricity, location-based and market-based, with Chinese factors and certificates.

Location-based scope 2 multiplies purchased electricity by the average factor of the grid where
it is consumed (provincial, else regional, else national: MEE/NBS 电力平均二氧化碳排放因子).
Market-based scope 2 gives certificate-backed (绿证) or contracted green electricity a factor of 0
and prices the rest at the factor that excludes market-traded non-fossil electricity
(全国电力平均二氧化碳排放因子（不包括市场化交易的非化石能源电量）), which the MEE/NBS notices
publish for this purpose; using it avoids counting the traded green electricity twice. Electricity received over a direct supply
line from a non-fossil plant takes 0 on both bases.

References
----------
.. [1] 生态环境部, 国家统计局, 公告2024年第12号《关于发布2021年电力二氧化碳排放因子的公告》, 2024.
.. [2] 国家发展改革委 等, 发改能源〔2023〕1044号: 绿证是可再生能源电力环境属性的唯一证明.
"""

from __future__ import annotations

from typing import Final

from lingtan.carbon.citation import Clause, cites
from lingtan.carbon.methods._checks import scalar_non_negative
from lingtan.errors import InvalidInput

MEE_NOTICE: Final[str] = "生态环境部 国家统计局 电力二氧化碳排放因子公告 (公告2024年第12号起)"


@cites(Clause(MEE_NOTICE, "电力平均二氧化碳排放因子 (location-based)", "E = AD × EF_平均"))
def emissions_scope2_location_based(
    electricity_grid: float, average_emission_factor: float
) -> float:
    r"""Location-based scope 2 CO2 of grid electricity.

    Parameters
    ----------
    electricity_grid : float
        Electricity taken from the public grid (certificate-backed part included). [kWh]
    average_emission_factor : float
        Provincial, regional or national average grid factor of the data year. [tCO2/kWh]

    Returns
    -------
    float
        Location-based scope 2. [tCO2]

    Notes
    -----
    .. math:: E_{loc} = AD_{grid} \times EF_{avg}

    Factor basis as defined by the MEE/NBS notices (全国、区域和省级电力平均二氧化碳排放因子).
    """
    ad = scalar_non_negative("electricity_grid", electricity_grid)
    return ad * scalar_non_negative("average_emission_factor", average_emission_factor)


@cites(
    Clause(
        MEE_NOTICE,
        "全国电力平均二氧化碳排放因子（不包括市场化交易的非化石能源电量） (market-based)",
        "E = (AD − AD_绿) × EF_剩余 + AD_绿 × 0",
    )
)
def emissions_scope2_market_based(
    electricity_grid: float, electricity_green: float, residual_emission_factor: float
) -> float:
    r"""Market-based scope 2 CO2 of grid electricity.

    Parameters
    ----------
    electricity_grid : float
        Electricity taken from the public grid. [kWh]
    electricity_green : float
        The part of it backed by retired 绿证 or green-power trade settlements;
        ≤ ``electricity_grid``. [kWh]
    residual_emission_factor : float
        National average factor excluding market-traded non-fossil electricity. [tCO2/kWh]

    Returns
    -------
    float
        Market-based scope 2. [tCO2]

    Raises
    ------
    InvalidInput
        If ``electricity_green`` exceeds ``electricity_grid``.

    Notes
    -----
    .. math:: E_{mkt} = (AD_{grid} - AD_{green}) \times EF_{residual}
    """
    grid = scalar_non_negative("electricity_grid", electricity_grid)
    green = scalar_non_negative("electricity_green", electricity_green)
    if green > grid:
        raise InvalidInput(
            f"electricity_green ({green} kWh) cannot exceed electricity_grid ({grid} kWh)",
            field="electricity_green",
        )
    return (grid - green) * scalar_non_negative(
        "residual_emission_factor", residual_emission_factor
    )
