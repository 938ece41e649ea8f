"""Product unit energy graded against the limit standards and 标杆/基准 (pure).

Boundary semantics (which side is inclusive):

* Limit standards (单位产品能源消耗限额, e.g. GB 16780-2021 表2, GB 21256-2025 表1–5): the
  tables give each level as "≤ value" (单位产品能耗 ≤ 限额值); a unit energy EQUAL to the level's
  value is in that level. :func:`limit_level` is therefore inclusive: ``value <= level``.
* 能效标杆水平和基准水平 (发改产业〔2023〕723号): projects are to "达到" (reach) 标杆, and
  capacity "低于基准水平" (worse than 基准) is to be upgraded or retired. Reaching 标杆 is
  inclusive (value ≤ 标杆), and being below 基准 is strict (value > 基准 for lower-is-better
  unit energy): a unit energy equal to 基准 is at 基准, not below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from lingtan.compliance.reference import EfficiencyLevel
from lingtan.errors import InvalidInput
from lingtan.indicators.energy import carrier_name
from lingtan.indicators.limits import LimitRecord

EfficiencyClass = Literal["benchmark", "between", "below_baseline"]

CLASS_NAMES: dict[str, tuple[str, str]] = {
    "benchmark": ("达到标杆水平", "at or better than the benchmark (标杆)"),
    "between": ("介于标杆与基准之间", "between benchmark and baseline"),
    "below_baseline": ("低于基准水平", "worse than the baseline (基准)"),
}


def unit_energy(energy: float, output: float) -> float:
    """单位产品能耗 = product energy / product output (GB/T 2589-2020 3.9, per product)."""
    if not output > 0:
        raise InvalidInput(f"product output must be > 0, got {output}", field="output")
    return energy / output


def limit_level(value: float, record: LimitRecord) -> int | None:
    """The best level ``value`` reaches (inclusive ``≤``); None: worse than every level given."""
    for level in sorted(record.levels):
        if value <= record.levels[level]:
            return level
    return None


def efficiency_class(value: float, level: EfficiencyLevel) -> EfficiencyClass:
    """标杆 reached (≤ 标杆), between, or below 基准 (> 基准) — see the module docstring."""
    if value <= level.benchmark:
        return "benchmark"
    if value <= level.baseline:
        return "between"
    return "below_baseline"


@dataclass(frozen=True, slots=True)
class ProductGrade:
    """One enterprise's product graded."""

    enterprise: str
    product: str
    value: float
    unit: str
    output: float
    output_unit: str
    limit_id: str | None = None
    level: int | None = None
    level_needed: int = 2
    efficiency_id: str | None = None
    efficiency: EfficiencyClass | None = None
    benchmark: float | None = None
    baseline: float | None = None
    energy_source: str = ""

    @property
    def meets_limit(self) -> bool | None:
        """Whether the level needed is reached (None: no limit record)."""
        if self.limit_id is None:
            return None
        return self.level is not None and self.level <= self.level_needed

    @property
    def gap_to_baseline(self) -> float:
        """Unit energy beyond 基准 (0 when at or better than 基准)."""
        if self.baseline is None:
            return 0.0
        return max(0.0, self.value - self.baseline)

    @property
    def gap_to_benchmark(self) -> float:
        """Unit energy beyond 标杆 (0 when 标杆 is reached)."""
        if self.benchmark is None:
            return 0.0
        return max(0.0, self.value - self.benchmark)

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "enterprise": self.enterprise,
            "product": self.product,
            "value": self.value,
            "unit": self.unit,
            "output": self.output,
            "output_unit": self.output_unit,
            "limit_id": self.limit_id,
            "level": self.level,
            "level_needed": self.level_needed,
            "meets_limit": self.meets_limit,
            "efficiency_id": self.efficiency_id,
            "efficiency": self.efficiency,
            "benchmark": self.benchmark,
            "baseline": self.baseline,
            "gap_to_benchmark": self.gap_to_benchmark,
            "gap_to_baseline": self.gap_to_baseline,
            "energy_source": self.energy_source,
        }


def grade(
    *,
    enterprise: str,
    product: str,
    value: float,
    unit: str,
    output: float,
    output_unit: str,
    limit: LimitRecord | None,
    level: EfficiencyLevel | None,
    level_needed: int = 2,
    energy_source: str = "",
) -> ProductGrade:
    """Grade ``value`` (in ``unit``) against the limit record and the 标杆/基准 record; a
    record whose unit differs from ``unit`` is refused (no silent conversion)."""
    for rec in (limit, level):
        if rec is not None and rec.unit != unit:
            raise InvalidInput(
                f"{rec.id}: unit {rec.unit} differs from the value's {unit}", field="unit"
            )
    return ProductGrade(
        enterprise=enterprise,
        product=product,
        value=value,
        unit=unit,
        output=output,
        output_unit=output_unit,
        limit_id=None if limit is None else limit.id,
        level=None if limit is None else limit_level(value, limit),
        level_needed=level_needed,
        efficiency_id=None if level is None else level.id,
        efficiency=None if level is None else efficiency_class(value, level),
        benchmark=None if level is None else level.benchmark,
        baseline=None if level is None else level.baseline,
        energy_source=energy_source,
    )


def energy_source_text(source: str, lang: str) -> str:
    """A grade's energy source in ``lang`` (``zh``/``zh-CN`` or ``en``): the grading says it in
    English (``entered``, ``metered``, ``metered: points X, Y minus Z (not counted: G
    (natural_gas))``)."""
    if not lang.startswith("zh"):
        return source
    if source == "entered":
        return "录入分产品能耗"
    if source == "metered":
        return "企业计量能耗（单一产品）"
    text = re.sub(r" \((\w+)\)", lambda m: f"（{carrier_name(m.group(1), 'zh')}）", source)
    text = text.replace("metered: boundary water meters ", "企业边界取水计量点 ")
    text = text.replace("metered: points ", "分产品计量点 ").replace(" minus ", "，扣除 ")
    text = text.replace(" (not counted: ", "（未计入：").replace(", ", "、")
    return text.replace(")", "）")
