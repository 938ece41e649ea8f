"""The 1 + 5 indicators of the national zero-carbon park indicator system (附件3), by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """Name, unit and kind of one indicator."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: Literal["core", "guiding"]
    #: where the data come from, for the report's "data needed" line
    data_zh: str
    data_en: str


INDICATORS: Final[tuple[IndicatorSpec, ...]] = (
    IndicatorSpec(
        "carbon_per_energy",
        "单位能耗碳排放",
        "carbon emissions per unit of energy",
        "tCO2/tce",
        "core",
        "园区碳排放核算（附件4，计量数据＋统计补充）与综合能源消费量",
        "park carbon accounting (Annex 4, metered data plus supplements) and energy consumption",
    ),
    IndicatorSpec(
        "clean_energy_share",
        "清洁能源消费占比",
        "clean energy share of consumption",
        "1",
        "guiding",
        "各能源品种计量数据、绿电直连、光伏自发自用、绿证/绿电交易",
        "metered energy by carrier, direct green supply, self-consumed PV, 绿证/green trades",
    ),
    IndicatorSpec(
        "product_unit_energy",
        "园区企业产出产品单位能耗",
        "unit energy consumption of products",
        "1",
        "guiding",
        "企业产品产量统计记录、企业能耗（计量）、能耗限额标准 2 级值",
        "product output records, enterprise energy (metered), level-2 values of limit standards",
    ),
    IndicatorSpec(
        "solid_waste_utilisation",
        "工业固体废物综合利用率",
        "industrial solid waste utilisation rate",
        "1",
        "guiding",
        "固体废物产生量、综合利用量统计记录（台账、转移联单）",
        "solid waste generated and utilised records (ledgers, manifests)",
    ),
    IndicatorSpec(
        "waste_heat_utilisation",
        "余热/余冷/余压综合利用率",
        "waste heat, cold and pressure utilisation rate",
        "1",
        "guiding",
        "余热余冷余压资源量与回收利用量统计记录",
        "records of recoverable waste heat/cold/pressure and of what was used",
    ),
    IndicatorSpec(
        "water_reuse",
        "工业用水重复利用率",
        "industrial water reuse rate",
        "1",
        "guiding",
        "重复利用水量统计记录、取水量（统计记录或水表计量）",
        "records of water reused; intake from records or the water meters",
    ),
)
BY_ID: Final[dict[str, IndicatorSpec]] = {s.id: s for s in INDICATORS}
IDS: Final[tuple[str, ...]] = tuple(s.id for s in INDICATORS)
