"""The disclosure report: its parts and items laid out from the record, the figures lingtan holds
(outlet, permit, hazardous waste) with their sources, the items it does not hold, tenancy."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from lingtan.environment.disclosure import (
    FILLS,
    NOT_RECORDED,
    build_disclosure,
    disclosure_bytes,
    parts,
)
from lingtan.errors import NotFound
from lingtan.identity.roles import Principal, Role
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.store import Store
from lingtan.waste import service as waste
from tests.environment.test_stations_store import BJ, admin, load
from tests.waste.conftest import enterprise_admin

# 关键环境信息提要 first (准则, per the summary read), then 《办法》第十二条 (一)–(八), then the
# items 第十四、十五条 add for some kinds of enterprise
PARTS = [
    "关键环境信息提要",
    "一、企业基本信息", "二、企业环境管理信息", "三、污染物产生、治理与排放信息",
    "四、碳排放信息", "五、生态环境应急信息", "六、生态环境违法信息",
    "七、本年度临时环境信息依法披露情况", "八、法律法规规定的其他环境信息",
    "附、按企业类别增加的内容",
]  # fmt: skip


def test_the_record_names_every_item_lingtan_fills_and_says_the_zhunze_was_not_read() -> None:
    rec = parts()
    assert [p.title for p in rec.parts] == PARTS[:-1]
    items = {i.id for p in rec.parts for i in p.items}
    assert set(FILLS) <= items  # a renamed item would leave its figure unplaced
    # 第十二条（三）names five items; 第十四条 two for 清洁生产审核 enterprises
    (pollution,) = [p for p in rec.parts if p.id == "pollution"]
    assert len(pollution.items) == 5
    (cp,) = [k for k in rec.kinds if k.id == "cleaner_production"]
    assert [i.label for i in cp.extra] == [
        "实施强制性清洁生产审核的原因", "强制性清洁生产审核的实施情况、评估与验收结果",
    ]  # fmt: skip
    assert rec.zhunze_items_read is False and rec.confidence == "L"


def test_parts_in_order_with_the_figures_lingtan_holds_and_the_rest_marked(store: Store) -> None:
    load(store)
    t0 = dt.datetime(2026, 2, 1, 9, tzinfo=BJ)
    # COD hourly means 40, 60, 50 mg/L: mean 50, max 60, one hour above the permit's 50
    ingest(store, [Reading("OUT-E01:COD", t0 + dt.timedelta(hours=k), v)
                   for k, v in enumerate([40.0, 60.0, 50.0])],
           now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))  # fmt: skip
    normalise_pending(store)
    # hazardous waste: 2 t generated in March, 0.5 t used on site; nothing stored or sent
    e01 = enterprise_admin(store, "E01")
    stream = waste.add_stream(store, principal=e01, enterprise_id=None, code="900-039-49",
                              name="废活性炭", form="固态", process="VOCs 治理")  # fmt: skip
    for kind, q in (("generated", 2.0), ("utilised", 0.5)):
        waste.record_movement(store, principal=e01, stream_id=stream.id, kind=kind, batch="B1",
                              quantity=q, unit="t", at="2026-03-01")  # fmt: skip

    report = build_disclosure(store, principal=admin(), enterprise="E01", year=2026)
    assert [s.title for s in report.sections] == PARTS
    assert "草稿" in report.title

    (row,) = report.table("monitoring").rows
    assert (row["parameter"], row["valid"], row["mean"], row["max"], row["limit"],
            row["above"]) == ("COD", 3, 50.0, 60.0, 50.0, 1)  # fmt: skip
    assert row["hours"] == 365 * 24  # the whole year 2026
    assert "OUT-E01:COD" in row["source"]
    (permit,) = report.table("permits").rows
    assert permit["source"] == "排污许可证 914403001922038216001P"
    (w,) = report.table("waste").rows
    assert (w["code"], w["generated"], w["own"], w["transferred"], w["delta_storage"]) == (
        "900-039-49", 2.0, 0.5, 0.0, 0.0,
    )  # fmt: skip

    management = {r["label"]: r for r in report.table("items.management").rows}
    assert list(management) == [
        "生态环境行政许可",
        "环境保护税",
        "环境污染责任保险",
        "环保信用评价",
    ]
    assert management["生态环境行政许可"]["lingtan"].startswith("排污许可限值 1 项")
    assert management["生态环境行政许可"]["basis"] == "《办法》第十二条（二）"
    for label in ("环境保护税", "环境污染责任保险", "环保信用评价"):
        assert management[label]["lingtan"] == NOT_RECORDED
    pollution = {r["label"]: r["lingtan"] for r in report.table("items.pollution").rows}
    assert pollution["污染防治设施"] == NOT_RECORDED
    assert pollution["有毒有害物质排放"] == NOT_RECORDED
    assert "超过许可限值 1 小时" in pollution["污染物排放"]
    assert pollution["工业固体废物和危险废物产生、贮存、流向、利用、处置"].startswith(
        "危险废物 1 种"
    )
    # the accounting period of the year 2026 is labelled "2026"
    assert report.table("carbon").rows[0]["source"] == "lingtan 核算（GB/T 32150，2026）"
    carbon = {r["label"]: r["lingtan"] for r in report.table("items.carbon").rows}
    assert carbon["排放设施"] == NOT_RECORDED
    for part in ("violation", "temporary", "other"):
        (only,) = report.table(f"items.{part}").rows
        assert only["lingtan"] == NOT_RECORDED
    # 2 items for 清洁生产审核, 2 for 上市公司, 1 for 发债企业: none held by lingtan
    extra = report.table("items.kinds").rows
    assert len(extra) == 5 and all(r["lingtan"].startswith(NOT_RECORDED) for r in extra)

    book = openpyxl.load_workbook(io.BytesIO(disclosure_bytes(report, "xlsx")))
    assert len(book.sheetnames) == len(PARTS)
    html = disclosure_bytes(report, "html").decode()
    assert "排污许可证" in html and "废活性炭" in html


def test_another_enterprise_cannot_draft_it(store: Store) -> None:
    load(store)
    ents = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    e02 = Principal("e2", Role.ENTERPRISE_ADMIN, ents["E02"])
    with pytest.raises(NotFound):
        build_disclosure(store, principal=e02, enterprise="E01", year=2026)
    # its own report has no outlet (E02 has none): the item says so
    own = build_disclosure(store, principal=e02, enterprise="E02", year=2026)
    assert own.table("monitoring").rows == []
    pollution = {r["label"]: r["lingtan"] for r in own.table("items.pollution").rows}
    assert pollution["污染物排放"] == NOT_RECORDED


def test_the_enterprises_kinds_choose_the_extra_items_and_its_audit_fills_one(
    store: Store,
) -> None:
    from lingtan.errors import InvalidInput
    from lingtan.programme import service as programme

    load(store)
    e01 = enterprise_admin(store, "E01")
    # a cleaner-production audit of E01 begun in 2026: at 方案实施, three options, two
    # implemented for 120 000 + 30 000 = 150 000 元
    programme.add_record(store, principal=e01, data={
        "kind": "cleaner_production_audit", "title": "2026 清洁生产审核",
        "body": {"stage": "implementation", "started_on": "2026-03-01", "options": [
            {"code": "F1", "name": "余热回收", "cost_class": "medium_high",
             "investment_cny": 120000, "status": "implemented"},
            {"code": "F2", "name": "照明改造", "cost_class": "no_low", "investment_cny": 30000,
             "status": "implemented"},
            {"code": "F3", "name": "电机变频", "cost_class": "medium_high", "status": "proposed"},
        ]},
    })  # fmt: skip
    report = build_disclosure(
        store, principal=admin(), enterprise="E01", year=2026, kinds=["cleaner_production"]
    )
    rows = {r["label"]: r for r in report.table("items.kinds").rows}
    # only the two items of 第十四条, none of 第十五条's
    assert list(rows) == [
        "实施强制性清洁生产审核的原因",
        "强制性清洁生产审核的实施情况、评估与验收结果",
    ]
    assert rows["实施强制性清洁生产审核的原因"]["lingtan"] == NOT_RECORDED
    result = rows["强制性清洁生产审核的实施情况、评估与验收结果"]
    assert result["lingtan"].startswith("2026 清洁生产审核：方案实施阶段，方案 3 项、已实施 2 项")
    assert result["source"].startswith("节能管理记录 #")
    (audit,) = report.table("cleaner_production").rows
    assert audit["investment"] == pytest.approx(150_000.0)
    # a year before the audit began: not recorded
    before = build_disclosure(
        store, principal=admin(), enterprise="E01", year=2025, kinds=["cleaner_production"]
    )
    late = {r["label"]: r["lingtan"] for r in before.table("items.kinds").rows}
    assert late["强制性清洁生产审核的实施情况、评估与验收结果"].startswith(NOT_RECORDED)
    # a key polluter only: no extra item; an unknown kind is refused naming the known ones
    plain = build_disclosure(store, principal=admin(), enterprise="E01", year=2026,
                             kinds=["key_polluter"])  # fmt: skip
    assert plain.table("items.kinds").rows == []
    with pytest.raises(InvalidInput, match="bank unknown; one of bond_issuer, cleaner_production"):
        build_disclosure(store, principal=admin(), enterprise="E01", year=2026, kinds=["bank"])
