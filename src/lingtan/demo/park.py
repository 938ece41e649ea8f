"""The demo park's model: 20 enterprises of mixed industries, park buildings, PV, storage, EV.

Everything here is synthetic. Enterprise names say so, and their 统一社会信用代码 are made-up
codes (organisation part ``LTDEMnn``) that carry a correct GB 32100 check character so that
they pass validation like real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lingtan.demo import environment as demo_environment
from lingtan.demo import series
from lingtan.registry import ParkModel
from lingtan.registry.uscc import check_character

PARK_ID = "demo-park"
PARK_NAME = "示范零碳产业园（合成数据 SYNTHETIC）"
PROVINCE = "江苏"
LATITUDE, LONGITUDE = 31.30, 120.60  # a park near Suzhou (solar geometry only)


@dataclass(frozen=True, slots=True)
class DemoEnterprise:
    """One synthetic enterprise and the size of its energy use."""

    code: str
    name: str
    industry: str  # GB/T 4754-2017
    profile: str  # load shape, see series.py
    electricity_gwh: float  # annual site electricity use
    gas_10k_m3: float = 0.0  # annual natural gas [10^4 m3]
    steam_tj: float = 0.0  # annual purchased steam [TJ]
    water_10k_m3: float = 1.0
    pv_kwp: float = 0.0  # rooftop PV, self-consumed
    direct_green_share: float = 0.0  # share of use supplied over a direct green line
    floor_area_m2: float = 20_000.0


ENTERPRISES: tuple[DemoEnterprise, ...] = (
    DemoEnterprise(
        "E01",
        "芯源电子元件（合成）",
        "C3971",
        "electronics",
        120,
        water_10k_m3=45,
        pv_kwp=3000,
        direct_green_share=0.35,
    ),
    DemoEnterprise(
        "E02",
        "华辰电路板（合成）",
        "C3982",
        "electronics",
        95,
        water_10k_m3=60,
        pv_kwp=2500,
        direct_green_share=0.3,
    ),
    DemoEnterprise(
        "E03",
        "光耀光电子（合成）",
        "C3976",
        "electronics",
        80,
        water_10k_m3=30,
        pv_kwp=2000,
        direct_green_share=0.3,
    ),
    DemoEnterprise(
        "E04", "精测仪器（合成）", "C4011", "electronics", 25, water_10k_m3=5, pv_kwp=1200
    ),
    DemoEnterprise(
        "E05", "云帆智能终端（合成）", "C3921", "electronics", 40, water_10k_m3=8, pv_kwp=1500
    ),
    DemoEnterprise(
        "E06",
        "蓝海精细化工（合成）",
        "C2614",
        "process",
        70,
        gas_10k_m3=1800,
        steam_tj=900,
        water_10k_m3=120,
    ),
    DemoEnterprise(
        "E07",
        "恒泰新材料（合成）",
        "C2651",
        "process",
        60,
        gas_10k_m3=1200,
        steam_tj=700,
        water_10k_m3=90,
    ),
    DemoEnterprise(
        "E08",
        "安和化学试剂（合成）",
        "C2661",
        "process",
        30,
        gas_10k_m3=500,
        steam_tj=300,
        water_10k_m3=40,
    ),
    DemoEnterprise(
        "E09",
        "禾丰食品（合成）",
        "C1431",
        "food",
        22,
        gas_10k_m3=400,
        steam_tj=200,
        water_10k_m3=35,
        pv_kwp=1800,
    ),
    DemoEnterprise(
        "E10",
        "清泉饮料（合成）",
        "C1525",
        "food",
        18,
        gas_10k_m3=250,
        steam_tj=150,
        water_10k_m3=80,
        pv_kwp=1500,
    ),
    DemoEnterprise(
        "E11", "麦香烘焙（合成）", "C1411", "food", 12, gas_10k_m3=300, water_10k_m3=10, pv_kwp=900
    ),
    DemoEnterprise(
        "E12",
        "通达仓储物流（合成）",
        "G5941",
        "logistics",
        9,
        water_10k_m3=2,
        pv_kwp=2500,
        floor_area_m2=60_000,
    ),
    DemoEnterprise(
        "E13",
        "迅捷冷链（合成）",
        "G5960",
        "cold_chain",
        16,
        water_10k_m3=3,
        pv_kwp=2000,
        floor_area_m2=40_000,
    ),
    DemoEnterprise(
        "E14",
        "顺风供应链（合成）",
        "G5941",
        "logistics",
        6,
        water_10k_m3=2,
        pv_kwp=1800,
        floor_area_m2=50_000,
    ),
    DemoEnterprise(
        "E15",
        "算力云数据中心（合成）",
        "I6450",
        "data_centre",
        220,
        water_10k_m3=50,
        direct_green_share=0.5,
        floor_area_m2=30_000,
    ),
    DemoEnterprise(
        "E16",
        "重工装备（合成）",
        "C3441",
        "electronics",
        55,
        gas_10k_m3=150,
        water_10k_m3=12,
        pv_kwp=2500,
    ),
    DemoEnterprise(
        "E17", "精锐机床（合成）", "C3421", "electronics", 30, water_10k_m3=6, pv_kwp=1500
    ),
    DemoEnterprise(
        "E18",
        "驰远汽车零部件（合成）",
        "C3670",
        "electronics",
        50,
        gas_10k_m3=100,
        water_10k_m3=15,
        pv_kwp=2200,
    ),
    DemoEnterprise(
        "E19", "锦绣纺织（合成）", "C1712", "process", 35, steam_tj=400, water_10k_m3=150
    ),
    DemoEnterprise(
        "E20",
        "康宁制药（合成）",
        "C2720",
        "process",
        28,
        gas_10k_m3=200,
        steam_tj=250,
        water_10k_m3=40,
        pv_kwp=800,
    ),
)

#: park-owned assets
PARK_OFFICE_GWH = 4.0
PARK_PV_KWP = 8_000.0
BATTERY_KWH = 10_000.0
EV_CHARGERS = 3
#: the park's contract capacity with the grid (合同容量, synthetic): the hourly energy drawn
#: by the enterprises together above it is an alarm
CONTRACT_KW = 105_000.0
#: monthly electricity budgets of the first enterprises: their grid purchase of an average
#: month plus this margin (synthetic targets)
BUDGET_MARGIN = 1.03
BUDGET_ENTERPRISES = 3
EV_DAILY_KWH = 1_200.0  # per charging hub


def synthetic_uscc(n: int) -> str:
    """A made-up 统一社会信用代码 with a valid check character (organisation part LTDEMnn)."""
    first17 = f"91320500MALTDEM{n:02d}"
    return first17 + check_character(first17)


def _point(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def pv_plant(kwp: float) -> dict[str, Any]:
    """The declared PV plant (``pv_plant``) of a PV meter of ``kwp``: exactly the parameters
    the generator uses (demo/series.py ``pv_generation``): its tilt, azimuth and performance
    ratio (losses = 1 − 0.8), no temperature coefficient (the generator has no temperature
    model), the park's site and the altitude pvlib's clear-sky model takes for it. What the
    generator does that no plant parameter expresses is in docs/forecasting.md (the daily
    clearness is the weather; an enterprise's PV is capped at 95 % of its own load)."""
    return {
        "kwp": kwp,
        "tilt_deg": series.PV_TILT_DEG,
        "azimuth_deg": series.PV_AZIMUTH_DEG,
        "losses_pct": series.PV_LOSSES_PCT,
        "latitude": LATITUDE,
        "longitude": LONGITUDE,
        "altitude_m": series.site_altitude(LATITUDE, LONGITUDE),
    }


def rated_kw(annual_kwh: float) -> float:
    """A rated maximum power comfortably above the profile's peak (spike limit)."""
    return round(annual_kwh / 8760 * 3, 0) + 50


def build_park(enterprise_count: int | None = None) -> ParkModel:
    """The demo park as a validated :class:`ParkModel` (the first ``enterprise_count``
    enterprises only, for quick tests)."""
    chosen = ENTERPRISES[:enterprise_count]
    enterprises, sites, points = [], [], []
    for i, e in enumerate(chosen, start=1):
        enterprises.append(
            {"id": e.code, "name": e.name, "uscc": synthetic_uscc(i), "industry": e.industry}
        )
        site = f"{e.code}-B1"
        sites.append({"id": site, "name": f"{e.name} 厂区", "enterprise": e.code, "floor_area_m2": e.floor_area_m2,
                      "use": "data_centre" if e.profile == "data_centre" else ("warehouse" if "logistics" in e.profile else "factory")})  # fmt: skip
        kwh = e.electricity_gwh * 1e6
        grid = kwh * (1 - e.direct_green_share)
        common = {"enterprise": e.code, "site": site}
        points.append(_point(id=f"{e.code}-grid", name=f"{e.name} 电网进线总表", carrier="electricity_grid_import",
                             kind="total_increasing", unit="kWh", level=1, max_rate=rated_kw(grid), **common))  # fmt: skip
        points.append(_point(id=f"{e.code}-line", name="主要生产线", carrier="electricity_grid_import",
                             kind="total_increasing", unit="kWh", level=2, parent=f"{e.code}-grid", **common))  # fmt: skip
        points.append(_point(id=f"{e.code}-hvac", name="暖通空调", carrier="electricity_grid_import",
                             kind="total_increasing", unit="kWh", level=2, parent=f"{e.code}-grid", **common))  # fmt: skip
        points.append(_point(id=f"{e.code}-water", name="自来水总表", carrier="water", kind="total_increasing",
                             unit="m3", level=1, register_max=100_000 if e.code == "E14" else None, **common))  # fmt: skip
        if e.direct_green_share:
            points.append(_point(id=f"{e.code}-green", name="绿电直连进线", carrier="direct_green_electricity",
                                 kind="total_increasing", unit="kWh", level=1, max_rate=rated_kw(kwh * e.direct_green_share), **common))  # fmt: skip
        if e.gas_10k_m3:
            points.append(_point(id=f"{e.code}-gas", name="天然气总表", carrier="natural_gas", kind="total_increasing",
                                 unit="m3", level=1, max_rate=rated_kw(e.gas_10k_m3 * 1e4), **common))  # fmt: skip
        if e.steam_tj:
            points.append(_point(id=f"{e.code}-steam", name="外购蒸汽（热量表）", carrier="steam", kind="total_increasing",
                                 unit="GJ", level=1, max_rate=rated_kw(e.steam_tj * 1e3), **common))  # fmt: skip
        if e.pv_kwp:
            points.append(_point(id=f"{e.code}-pv", name=f"屋顶光伏 {e.pv_kwp:.0f} kWp", carrier="pv_generation",
                                 kind="total_increasing", unit="kWh", level=1, max_rate=e.pv_kwp * 1.1,
                                 pv_plant=pv_plant(e.pv_kwp), **common))  # fmt: skip
        if e.profile == "data_centre":
            points.append(_point(id=f"{e.code}-power", name="IT 负载功率", carrier="electricity_grid_import",
                                 kind="measurement", unit="kW", **common))  # fmt: skip
    sites.append(
        {"id": "PARK-ADM", "name": "园区管委会综合楼", "floor_area_m2": 18_000, "use": "office"}
    )
    park = {"site": "PARK-ADM"}
    points += [
        _point(id="PARK-grid", name="园区综合楼电网进线", carrier="electricity_grid_import", kind="total_increasing",
               unit="kWh", level=1, max_rate=rated_kw(PARK_OFFICE_GWH * 1e6) + 2 * BATTERY_KWH / 4 + 1500, **park),
        _point(id="PARK-export", name="园区光伏上网关口", carrier="electricity_export", kind="total_increasing",
               unit="kWh", level=1, max_rate=PARK_PV_KWP * 1.1, **park),
        _point(id="PARK-pv", name=f"园区公共屋顶光伏 {PARK_PV_KWP:.0f} kWp", carrier="pv_generation",
               kind="total_increasing", unit="kWh", level=1, max_rate=PARK_PV_KWP * 1.1,
               pv_plant=pv_plant(PARK_PV_KWP), **park),
        _point(id="PARK-pv-power", name="园区光伏逆变器总功率", carrier="pv_generation", kind="measurement",
               unit="kW", **park),
        _point(id="PARK-bess-charge", name="储能充电电量", carrier="storage_charge", kind="total_increasing",
               unit="kWh", level=1, max_rate=BATTERY_KWH / 2 * 1.1, **park),
        _point(id="PARK-bess-discharge", name="储能放电电量", carrier="storage_discharge", kind="total_increasing",
               unit="kWh", level=1, max_rate=BATTERY_KWH / 2 * 1.1, **park),
        _point(id="PARK-water", name="园区综合楼水表", carrier="water", kind="total_increasing", unit="m3", level=1, **park),
        _point(id="PARK-grid-enterprises", name="企业电网购电合计（虚拟）", carrier="electricity_grid_import",
               kind="total_increasing", unit="kWh", boundary=False,
               formula=" + ".join(f"{e.code}-grid" for e in chosen)),
    ]  # fmt: skip
    for k in range(1, EV_CHARGERS + 1):
        points.append(_point(id=f"PARK-ev{k}", name=f"充电站 {k}", carrier="ev_charging", kind="total_increasing",
                             unit="kWh", level=2, parent="PARK-grid", max_rate=600.0, **park))  # fmt: skip
    return ParkModel.model_validate(
        {
            "alarms": {"rules": demo_rules(chosen)},
            "environment": {"stations": demo_environment.stations([e.code for e in chosen])},
            "park": {
                "id": PARK_ID,
                "name": PARK_NAME,
                "province": PROVINCE,
                "timezone": "Asia/Shanghai",
            },
            "enterprises": enterprises,
            "sites": sites,
            "points": points,
        }
    )


def demo_rules(chosen: Sequence[Any]) -> list[dict[str, Any]]:
    """The demo park's alarm rules (docs/alarms.md): comms loss on every boundary meter,
    the contract capacity of the park's grid connection, data quality of the boundary meters,
    and monthly electricity budgets of the first enterprises (synthetic targets)."""
    rules: list[dict[str, Any]] = [
        {
            "id": "comms-loss",
            "name": "关口表通信中断",
            "kind": "freshness",
            "severity": "major",
            "scope": {"boundary": True, "point_kinds": ["total_increasing"]},
            "factor": 4,  # four 15-minute readings missed: one hour of silence
        },
        {
            "id": "contract-capacity",
            "name": "园区电网合同容量越限（合成）",
            "kind": "threshold",
            "severity": "critical",
            "on": "hour",
            "scope": {"points": ["PARK-grid-enterprises"]},
            "op": "above",
            "high": CONTRACT_KW,  # kWh in one hour = mean kW over the hour
            "hysteresis": CONTRACT_KW * 0.02,
            "settle_min": 24 * 60,  # one alarm per day of peaks
        },
        {
            "id": "data-quality",
            "name": "关口表数据质量",
            "kind": "quality",
            "severity": "hint",
            "scope": {"boundary": True, "point_kinds": ["total_increasing"]},
            "conditions": ["reset", "rollover", "spike", "jump", "rejected"],
            "escalate_after_min": None,
        },
    ]
    for e in chosen[:BUDGET_ENTERPRISES]:
        monthly_kwh = e.electricity_gwh * 1e6 * (1 - e.direct_green_share) / 12
        rules.append(
            {
                "id": f"budget-{e.code}",
                "name": f"{e.name} 月度购电预算（合成）",
                "kind": "budget",
                "severity": "minor",
                "scope": {"enterprise": e.code},
                "metric": "consumption",
                "carrier": "electricity_grid_import",
                "unit": "kWh",
                "target": round(monthly_kwh * BUDGET_MARGIN, -3),
                "warn_pct": 100,
                "hysteresis_pct": 2,
                "min_elapsed_h": 72,  # a month is projected from its first three days on
            }
        )
    return rules
