"""Energy-audit workbook (企业能源审计, GB/T 17166-2019《能源审计技术通则》) for an enterprise
and period: energy consumption by carrier and use (能源消费结构), the energy flow's totals,
unit product energy compared with the limit levels and 标杆/基准, and the savings-potential
list. The figures come from an audit file (YAML) the auditor fills from the metering and the
statistics; lingtan computes the totals, the unit energies and their grades, and the savings
total, and writes the workbook. Nothing in the file is changed: every input row is shown."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lingtan.compliance.grading import grade, unit_energy
from lingtan.compliance.reference import efficiency_levels
from lingtan.errors import InvalidInput
from lingtan.indicators.limits import load_limits


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CarrierUse(_Strict):
    """Consumption of one carrier by one use (用能单元), already converted to tce."""

    carrier: str = Field(min_length=1)
    use: str = Field(min_length=1)
    quantity: float = Field(ge=0)
    unit: str = Field(min_length=1)
    tce: float = Field(ge=0)


class AuditProduct(_Strict):
    """A product: output and the energy allocated to it (in the limit record's units)."""

    product: str = Field(min_length=1)
    output: float = Field(gt=0)
    energy: float = Field(ge=0)
    unit: str = Field(min_length=1)


class Saving(_Strict):
    """One energy-saving measure (节能潜力)."""

    measure: str = Field(min_length=1)
    saving_tce: float = Field(ge=0)
    investment_cny: float = Field(ge=0)


class AuditFile(_Strict):
    """The audit file."""

    enterprise: str = Field(min_length=1)
    period: str = Field(min_length=1)
    carriers: tuple[CarrierUse, ...] = Field(min_length=1)
    products: tuple[AuditProduct, ...] = ()
    savings: tuple[Saving, ...] = ()


def parse_audit(data: Any) -> AuditFile:
    """The audit file from plain data; errors name the field."""
    try:
        return AuditFile.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InvalidInput(f"audit: {loc}: {first['msg']}", field=loc) from err


def summary(audit: AuditFile) -> dict[str, Any]:
    """Totals by carrier and use, unit energies graded, savings total (plain data)."""
    by_carrier: dict[str, float] = defaultdict(float)
    by_use: dict[str, float] = defaultdict(float)
    for c in audit.carriers:
        by_carrier[c.carrier] += c.tce
        by_use[c.use] += c.tce
    total = sum(by_carrier.values())
    limits = {r.product: r for r in load_limits()}
    levels = efficiency_levels()
    graded = []
    for p in audit.products:
        lim = limits.get(p.product)
        lvl = levels.get(p.product)
        g = grade(
            enterprise=audit.enterprise, product=p.product,
            value=unit_energy(p.energy, p.output), unit=p.unit, output=p.output,
            output_unit=p.unit.split("/", 1)[-1],
            limit=lim if lim is not None and lim.unit == p.unit else None,
            level=lvl if lvl is not None and lvl.unit == p.unit else None,
        )  # fmt: skip
        graded.append(g.as_dict())
    return {
        "enterprise": audit.enterprise,
        "period": audit.period,
        "total_tce": total,
        "by_carrier": dict(by_carrier),
        "by_use": dict(by_use),
        "products": graded,
        "savings_tce": sum(s.saving_tce for s in audit.savings),
        "savings_share": (sum(s.saving_tce for s in audit.savings) / total) if total else None,
    }


def workbook(audit: AuditFile) -> bytes:
    """The audit workbook (openpyxl)."""
    from openpyxl import Workbook

    s = summary(audit)
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "能源消费"
    ws.append([f"{audit.enterprise} 能源审计（GB/T 17166-2019）", audit.period])
    ws.append(["能源品种", "用能单元", "实物量", "单位", "折标准煤 tce"])
    for c in audit.carriers:
        ws.append([c.carrier, c.use, c.quantity, c.unit, c.tce])
    ws.append(["合计", "", "", "", s["total_tce"]])
    st = book.create_sheet("能源消费结构")
    st.append(["能源品种", "tce", "占比"])
    for k, v in s["by_carrier"].items():
        st.append([k, v, v / s["total_tce"] if s["total_tce"] else None])
    st.append([])
    st.append(["用能单元", "tce", "占比"])
    for k, v in s["by_use"].items():
        st.append([k, v, v / s["total_tce"] if s["total_tce"] else None])
    pr = book.create_sheet("单位产品能耗")
    pr.append(["产品", "产量", "单位产品能耗", "单位", "限额等级", "标杆", "基准", "能效水平"])
    for g in s["products"]:
        pr.append([g["product"], g["output"], g["value"], g["unit"], g["level"],
                   g["benchmark"], g["baseline"], g["efficiency"]])  # fmt: skip
    sv = book.create_sheet("节能潜力")
    sv.append(["措施", "节能量 tce", "投资 元"])
    for m in audit.savings:
        sv.append([m.measure, m.saving_tce, m.investment_cny])
    sv.append(["合计", s["savings_tce"], sum(m.investment_cny for m in audit.savings)])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
