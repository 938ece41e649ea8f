"""The annual hazardous-waste management report (危险废物年度管理报告), zh-CN or English, as an
Excel workbook or an HTML page through the shared report model (:mod:`lingtan.reports.xlsx`,
:mod:`lingtan.reports.html`): by category,
generation / transfer / own utilisation-disposal, the storage balance at year end, the
deviations (mass balance, plan), the manifests of the year and the exchange's utilisation."""

from __future__ import annotations

from typing import Any, Final

from lingtan.errors import InvalidInput
from lingtan.identity.roles import Principal
from lingtan.reports.html import write_html
from lingtan.reports.model import Column, KeyValues, Paragraph, Report, Section, Table
from lingtan.reports.xlsx import write_xlsx
from lingtan.store import Store
from lingtan.timeutil import from_us
from lingtan.waste import exchange_service, service, transfers
from lingtan.waste import manifests as mf

T = {
    "zh-CN": {
        "title": "危险废物年度管理报告", "cat": "按类别汇总", "category": "类别", "code": "废物代码",
        "stream": "废物名称", "generated": "产生量 (t)", "transferred": "转移量 (t)",
        "own": "自行利用处置量 (t)", "delta": "库存变化 (t)", "residual": "物料平衡差额 (t)",
        "planned": "计划量 (t)", "deviation": "偏离度 (%)", "storage": "年末贮存",
        "facility": "贮存设施", "capacity": "容量 (t)", "stock": "库存 (t)",
        "manifests": "转移联单", "number": "联单号", "receiver": "接收单位", "state": "状态",
        "sent": "发运量 (t)", "received": "接收量 (t)", "difference": "差额 (t)",
        "confirmed": "接收确认", "approval": "跨省转移审批", "exchange": "固废交换利用",
        "utilised": "交换利用量 (t)", "deviations": "偏差", "year": "年度",
        "deal": "交易", "material": "物料", "seller": "供方", "buyer": "需方",
        "quantity": "数量 (t)", "completed_on": "完成日期",
        "ex_note": "已完成的固废交换计入供方“综合利用量”统计记录（由产生单位统计），"
                   "利用率指标不重复相加；记录少于交换量的企业在指标证据中列出。",
        "note": "物料平衡：产生 − 转移 − 自行利用处置 − 库存变化；偏离度阈值无公开标准，可配置。",
    },
    "en": {
        "title": "Annual hazardous-waste management report", "cat": "By category",
        "category": "Category", "code": "Waste code", "stream": "Waste", "generated":
        "Generated (t)", "transferred": "Transferred (t)", "own": "Own use/disposal (t)",
        "delta": "Δ storage (t)", "residual": "Mass-balance residual (t)", "planned":
        "Planned (t)", "deviation": "Deviation (%)", "storage": "Storage at year end",
        "facility": "Facility", "capacity": "Capacity (t)", "stock": "Stock (t)",
        "manifests": "Transfer manifests", "number": "Manifest", "receiver": "Receiver",
        "state": "State", "sent": "Sent (t)", "received": "Received (t)",
        "difference": "Difference (t)", "confirmed": "Receipt confirmed by",
        "approval": "Cross-province approval", "exchange":
        "Waste exchange", "utilised": "Utilised through exchange (t)", "deviations":
        "Deviations", "year": "Year", "deal": "Deal", "material": "Material",
        "seller": "Seller", "buyer": "Buyer", "quantity": "Quantity (t)",
        "completed_on": "Completed on",
        "ex_note": "Completed exchanges belong in the seller's records of utilised waste (counted "
        "by the generating enterprise); the utilisation indicator does not add them again and "
        "names any enterprise whose records hold less than it exchanged.",
        "note": "Mass balance: generated − transferred − own − Δ storage; the deviation "
        "threshold has no published value and is configurable.",
    },
}  # fmt: skip


def build(
    store: Store,
    *,
    principal: Principal,
    year: int,
    enterprise_id: int | None = None,
    lang: str = "zh-CN",
    fmt: str = "xlsx",
) -> bytes:
    """The report as ``.xlsx`` (``fmt="xlsx"``) or ``.html`` (``fmt="html"``) bytes."""  # fmt: skip
    if fmt not in ("xlsx", "html"):
        raise InvalidInput(f"format: {fmt!r} is not xlsx or html", field="format")
    t = T["en" if lang == "en" else "zh-CN"]
    tz = service.ctx(store, principal).tz
    bal = service.balance(store, principal=principal, year=year, enterprise_id=enterprise_id)
    by_cat: dict[str, dict[str, Any]] = {}
    for s in bal["streams"]:
        row = by_cat.setdefault(s["category"], {"category": s["category"], "generated": 0.0,
                                                "transferred": 0.0, "own": 0.0, "delta": 0.0})  # fmt: skip
        row["generated"] += s["generated"]
        row["transferred"] += s["transferred"]
        row["own"] += s["own"]
        row["delta"] += s["delta_storage"]
    num: Final = "num2"
    cat_table = Table(
        key="by_category",
        columns=[Column("category", t["category"]), Column("generated", t["generated"], num),
                 Column("transferred", t["transferred"], num), Column("own", t["own"], num),
                 Column("delta", t["delta"], num)],
        rows=[by_cat[k] for k in sorted(by_cat)],
    )  # fmt: skip
    dev_rows = [
        {"stream": s["stream"], "code": s["code"], "generated": s["generated"],
         "planned": s["planned"], "deviation": s["deviation_pct"], "residual": s["residual"]}
        for s in bal["streams"]
    ]  # fmt: skip
    dev_table = Table(
        key="deviations",
        columns=[Column("stream", t["stream"]), Column("code", t["code"]),
                 Column("generated", t["generated"], num), Column("planned", t["planned"], num),
                 Column("deviation", t["deviation"], "num1"),
                 Column("residual", t["residual"], "num4")],
        rows=dev_rows,
        note=t["note"],
    )  # fmt: skip
    storage_table = Table(
        key="storage",
        columns=[Column("code", t["facility"]), Column("capacity_t", t["capacity"], num),
                 Column("stock_t", t["stock"], num)],
        rows=bal["facilities"],
    )  # fmt: skip
    # the manifests the scope generated (not those it received as a receiver of the park)
    own = enterprise_id or principal.enterprise_id
    manifests = [
        m
        for m in transfers.list_manifests(store, principal=principal, enterprise_id=enterprise_id)
        if from_us(m.dispatched_at or m.created_at, tz).year == year
        and (own is None or m.enterprise_id == own)
    ]
    approvals = {a.id: a.number for a in transfers.list_approvals(store, principal=principal)}
    man_table = Table(
        key="manifests",
        columns=[Column("number", t["number"]), Column("receiver", t["receiver"]),
                 Column("state", t["state"]), Column("sent", t["sent"], num),
                 Column("received", t["received"], num),
                 Column("difference", t["difference"], "num4"),
                 Column("confirmed", t["confirmed"]), Column("approval", t["approval"])],
        rows=[{"number": m.number, "receiver": m.receiver,
               "state": mf.STATE_ZH[m.state] if lang != "en" else m.state,
               "sent": m.quantity_t, "received": m.received_t, "difference": m.difference_t,
               "confirmed": _confirmed(m, lang), "approval": approvals.get(m.approval_id or 0)}
              for m in manifests],
    )  # fmt: skip
    ex = exchange_service.utilisation(store, principal=principal, year=year,
                                      enterprise_id=enterprise_id)  # fmt: skip
    ex_table = _exchange_table(store, principal, year, enterprise_id, t)
    report = Report(
        title=t["title"], subtitle=f"{year}", lang=lang, meta=[(t["year"], str(year))],
        sections=[
            Section(t["cat"], [cat_table]),
            Section(t["deviations"], [dev_table, Paragraph(t["note"], "note")]),
            Section(t["storage"], [storage_table]),
            Section(t["manifests"], [man_table]),
            Section(t["exchange"], [KeyValues([(t["utilised"], ex["utilised_t"], num)]),
                                    ex_table, Paragraph(t["ex_note"], "note")]),
        ],
    )  # fmt: skip
    return write_xlsx(report) if fmt == "xlsx" else write_html(report)


def _exchange_table(
    store: Store, principal: Principal, year: int, enterprise_id: int | None, t: dict[str, str]
) -> Table:
    """The exchange deals completed in ``year`` that the scope sold (the park: every deal)."""
    from lingtan.waste import exchange as exm

    seller = enterprise_id or principal.enterprise_id
    deals = exm.completed_between(
        exchange_service.list_deals(store, principal=principal), f"{year:04d}-01-01",
        f"{year:04d}-12-31",
    )  # fmt: skip
    code = {e.id: e.code for e in store.registry.enterprises(service.ctx(store, principal).park_id)}
    rows = [
        {"deal": d.id, "material": d.material, "seller": code.get(d.seller_id),
         "buyer": code.get(d.buyer_id), "quantity": d.quantity_t, "completed_on": d.completed_on}
        for d in sorted(deals, key=lambda d: (d.completed_on or "", d.id))
        if seller is None or d.seller_id == seller
    ]  # fmt: skip
    return Table(
        key="exchange_deals",
        columns=[Column("deal", t["deal"]), Column("material", t["material"]),
                 Column("seller", t["seller"]), Column("buyer", t["buyer"]),
                 Column("quantity", t["quantity"], "num2"),
                 Column("completed_on", t["completed_on"])],
        rows=rows,
    )  # fmt: skip


_BY_ZH: Final = {"receiver": "接收单位", "generator": "产生单位", "park": "园区（据国家系统联单）"}


def _confirmed(m: Any, lang: str) -> str | None:
    """Who recorded the receipt (the history's ``by`` of the ``receive`` step)."""
    by = next((h.get("by") for h in m.history if h.get("action") == "receive"), None)
    if by is None:
        return None
    return str(by) if lang == "en" else _BY_ZH.get(str(by), str(by))
