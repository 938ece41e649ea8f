"""Water intake per unit of product against the 取水定额 of GB/T 18916 (7.9.7) (pure).

单位产品取水量 = the water taken in for the product in the period [m³] ÷ its output. A quota
(取水定额) is the largest intake per unit an enterprise of its category may take, so a value
*equal* to the quota is within it (inclusive ``≤``, like the limit standards' tables; the parts'
own wording was not read). The margin is quota − value: positive is headroom, negative the
excess per unit, and ``excess_m3`` the excess over the whole output.

Which category applies (现有企业 ``existing`` or 新建、改建、扩建企业 ``new``) is the caller's
choice: lingtan does not know when a plant was built. The default is ``existing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lingtan.compliance.reference import WATER_CATEGORY_NAMES, WaterQuota
from lingtan.errors import InvalidInput

Verdict = Literal["within", "exceeds"]

VERDICT_NAMES: dict[str, tuple[str, str]] = {
    "within": ("符合取水定额", "within the quota"),
    "exceeds": ("超过取水定额", "exceeds the quota"),
}


def unit_intake(intake_m3: float, output: float) -> float:
    """单位产品取水量 = water intake [m³] / output (per the product's unit)."""
    if not output > 0:
        raise InvalidInput(f"product output must be > 0, got {output}", field="output")
    if intake_m3 < 0:
        raise InvalidInput(f"water intake must be ≥ 0, got {intake_m3}", field="intake_m3")
    return intake_m3 / output


@dataclass(frozen=True, slots=True)
class WaterQuotaResult:
    """One enterprise's product compared with its quota."""

    enterprise: str
    product: str
    intake_m3: float
    output: float
    output_unit: str
    value: float
    unit: str
    quota_id: str
    category: str
    quota: float
    intake_source: str = ""

    @property
    def verdict(self) -> Verdict:
        """``within`` when value ≤ quota (inclusive), else ``exceeds``."""
        return "within" if self.value <= self.quota else "exceeds"

    @property
    def margin(self) -> float:
        """quota − value, per unit of product (negative: the excess per unit)."""
        return self.quota - self.value

    @property
    def margin_pct(self) -> float:
        """The margin as a share of the quota."""
        return self.margin / self.quota

    @property
    def excess_m3(self) -> float:
        """Intake beyond the quota over the whole output (0 when within)."""
        return max(0.0, -self.margin) * self.output

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "enterprise": self.enterprise,
            "product": self.product,
            "intake_m3": self.intake_m3,
            "output": self.output,
            "output_unit": self.output_unit,
            "value": self.value,
            "unit": self.unit,
            "quota_id": self.quota_id,
            "category": self.category,
            "category_zh": WATER_CATEGORY_NAMES[self.category][0],
            "quota": self.quota,
            "verdict": self.verdict,
            "margin": self.margin,
            "margin_pct": self.margin_pct,
            "excess_m3": self.excess_m3,
            "intake_source": self.intake_source,
        }


def compare(
    *,
    enterprise: str,
    product: str,
    intake_m3: float,
    output: float,
    output_unit: str,
    quota: WaterQuota,
    category: str = "existing",
    intake_source: str = "",
) -> WaterQuotaResult:
    """Compare the product's intake per unit with ``quota`` for ``category``. InvalidInput when
    the output is not in the quota's unit or the record has no value for the category."""
    if output_unit != quota.output_unit:
        raise InvalidInput(
            f"{quota.id}: output unit {output_unit} differs from the quota's {quota.output_unit}",
            field="output_unit",
        )
    if category not in WATER_CATEGORY_NAMES:
        raise InvalidInput(
            f"water category {category!r}: one of {', '.join(WATER_CATEGORY_NAMES)}",
            field="water_category",
        )
    limit = quota.values.get(category)  # type: ignore[call-overload]
    if limit is None:
        raise InvalidInput(f"{quota.id}: no quota for {category} enterprises", field="category")
    return WaterQuotaResult(
        enterprise=enterprise,
        product=product,
        intake_m3=intake_m3,
        output=output,
        output_unit=output_unit,
        value=unit_intake(intake_m3, output),
        unit=quota.unit,
        quota_id=quota.id,
        category=category,
        quota=float(limit),
        intake_source=intake_source,
    )
