"""Water-balance test (水平衡测试, GB/T 12452-2022《水平衡测试通则》) of an enterprise for a
period, and its workbook.

Balance (GB/T 12452, 用水单元水量平衡): fresh intake V_f = consumption V_co + discharge V_d +
leakage V_l; reused water V_r circulates inside and is not an intake. The closure error is
(V_f − (V_co + V_d + V_l)) / V_f. Indicators (GB/T 12452 / GB/T 21534 definitions):

* 重复利用率 R = V_r / (V_r + V_f);
* 漏失率 = V_l / V_f;
* 排水率 = V_d / V_f;
* 耗水率 = V_co / V_f.

The closure tolerance (default 5 %) is lingtan's recollection of the standard's
"水量平衡相对误差" requirement, not verified from the standard's text; it is a parameter.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lingtan.errors import InvalidInput

#: closure tolerance: recalled, not verified from GB/T 12452's text (a parameter)
DEFAULT_TOLERANCE = 0.05


@dataclass(frozen=True, slots=True)
class WaterUnit:
    """One 用水单元 (a use of the water metering tree) in the period [m³]."""

    name: str
    fresh_m3: float
    reused_m3: float
    consumed_m3: float
    discharged_m3: float


@dataclass(frozen=True, slots=True)
class WaterBalance:
    """The enterprise's balance for the period."""

    intake_m3: float
    reused_m3: float
    consumed_m3: float
    discharged_m3: float
    leakage_m3: float
    units: tuple[WaterUnit, ...]
    tolerance: float

    @property
    def closure_error(self) -> float:
        """(V_f − (V_co + V_d + V_l)) / V_f."""
        return (
            self.intake_m3 - (self.consumed_m3 + self.discharged_m3 + self.leakage_m3)
        ) / self.intake_m3

    @property
    def closes(self) -> bool:
        """Whether |closure error| is within the tolerance."""
        return abs(self.closure_error) <= self.tolerance + 1e-12

    @property
    def reuse_rate(self) -> float:
        """重复利用率 V_r / (V_r + V_f)."""
        return self.reused_m3 / (self.reused_m3 + self.intake_m3)

    @property
    def leakage_rate(self) -> float:
        """漏失率 V_l / V_f."""
        return self.leakage_m3 / self.intake_m3

    @property
    def discharge_rate(self) -> float:
        """排水率 V_d / V_f."""
        return self.discharged_m3 / self.intake_m3

    @property
    def consumption_rate(self) -> float:
        """耗水率 V_co / V_f."""
        return self.consumed_m3 / self.intake_m3

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "intake_m3": self.intake_m3,
            "reused_m3": self.reused_m3,
            "consumed_m3": self.consumed_m3,
            "discharged_m3": self.discharged_m3,
            "leakage_m3": self.leakage_m3,
            "closure_error": self.closure_error,
            "closes": self.closes,
            "tolerance": self.tolerance,
            "reuse_rate": self.reuse_rate,
            "leakage_rate": self.leakage_rate,
            "discharge_rate": self.discharge_rate,
            "consumption_rate": self.consumption_rate,
            "units": [_unit(u) for u in self.units],
        }


def _unit(u: WaterUnit) -> dict[str, Any]:
    return {
        "name": u.name,
        "fresh_m3": u.fresh_m3,
        "reused_m3": u.reused_m3,
        "consumed_m3": u.consumed_m3,
        "discharged_m3": u.discharged_m3,
    }


def balance(
    *,
    intake_m3: float,
    leakage_m3: float,
    units: Sequence[WaterUnit],
    tolerance: float = DEFAULT_TOLERANCE,
) -> WaterBalance:
    """The balance from the boundary intake (取水表), the tested leakage and the units."""
    if not intake_m3 > 0:
        raise InvalidInput("intake_m3 must be > 0", field="intake_m3")
    if leakage_m3 < 0:
        raise InvalidInput("leakage_m3 must be ≥ 0", field="leakage_m3")
    if not units:
        raise InvalidInput("a water balance needs at least one 用水单元", field="units")
    for i, u in enumerate(units):
        for name in ("fresh_m3", "reused_m3", "consumed_m3", "discharged_m3"):
            if getattr(u, name) < 0:
                raise InvalidInput(f"units[{i}] ({u.name}): {name} < 0", field=name)
    return WaterBalance(
        intake_m3=intake_m3,
        reused_m3=sum(u.reused_m3 for u in units),
        consumed_m3=sum(u.consumed_m3 for u in units),
        discharged_m3=sum(u.discharged_m3 for u in units),
        leakage_m3=leakage_m3,
        units=tuple(units),
        tolerance=tolerance,
    )


def workbook(wb_balance: WaterBalance, *, title: str, period: str) -> bytes:
    """The water-balance test workbook (openpyxl): the units' table and the indicators."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "水平衡测试"
    ws.append([f"{title} 水平衡测试（GB/T 12452-2022）", period])
    ws.append(["用水单元", "新鲜水量 m³", "重复利用水量 m³", "耗水量 m³", "排水量 m³"])
    for u in wb_balance.units:
        ws.append([u.name, u.fresh_m3, u.reused_m3, u.consumed_m3, u.discharged_m3])
    ws.append([])
    ind = book.create_sheet("指标")
    ind.append(["指标", "数值", "公式"])
    rows = [
        ("取水量 V_f m³", wb_balance.intake_m3, "取水计量"),
        ("耗水量 V_co m³", wb_balance.consumed_m3, "Σ 用水单元"),
        ("排水量 V_d m³", wb_balance.discharged_m3, "Σ 用水单元"),
        ("漏失水量 V_l m³", wb_balance.leakage_m3, "测试"),
        ("重复利用水量 V_r m³", wb_balance.reused_m3, "Σ 用水单元"),
        ("平衡相对误差", wb_balance.closure_error, "(V_f−V_co−V_d−V_l)/V_f"),
        ("平衡闭合", "是" if wb_balance.closes else "否", f"|误差| ≤ {wb_balance.tolerance:.0%}"),
        ("重复利用率", wb_balance.reuse_rate, "V_r/(V_r+V_f)"),
        ("漏失率", wb_balance.leakage_rate, "V_l/V_f"),
        ("排水率", wb_balance.discharge_rate, "V_d/V_f"),
        ("耗水率", wb_balance.consumption_rate, "V_co/V_f"),
    ]
    for r in rows:
        ind.append(list(r))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
