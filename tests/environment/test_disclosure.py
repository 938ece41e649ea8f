"""The disclosure report draft: its parts, the outlet's figures with their sources, tenancy."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from lingtan.environment.disclosure import build_disclosure, disclosure_bytes
from lingtan.errors import NotFound
from lingtan.identity.roles import Principal, Role
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.store import Store
from tests.environment.test_stations_store import BJ, admin, load


def test_outlet_figures_with_sources_and_the_eight_parts(store: Store) -> None:
    load(store)
    t0 = dt.datetime(2026, 2, 1, 9, tzinfo=BJ)
    # COD hourly means 40, 60, 50 mg/L: mean 50, max 60, one hour above the permit's 50
    ingest(store, [Reading("OUT-E01:COD", t0 + dt.timedelta(hours=k), v)
                   for k, v in enumerate([40.0, 60.0, 50.0])],
           now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))  # fmt: skip
    normalise_pending(store)
    report = build_disclosure(store, principal=admin(), enterprise="E01", year=2026)
    titles = [s.title for s in report.sections]
    assert titles[1:] == [
        "一、企业基本信息", "二、企业环境管理信息", "三、污染物产生、治理与排放信息",
        "四、碳排放信息", "五、生态环境应急信息", "六、生态环境违法信息",
        "七、本年度临时环境信息依法披露情况", "八、法律法规规定的其他环境信息",
    ]  # fmt: skip
    (row,) = report.table("monitoring").rows
    assert (
        row["parameter"],
        row["valid"],
        row["mean"],
        row["max"],
        row["limit"],
        row["above"],
    ) == ("COD", 3, 50.0, 60.0, 50.0, 1)
    assert row["hours"] == 365 * 24  # the whole year 2026
    assert "OUT-E01:COD" in row["source"]
    (permit,) = report.table("permits").rows
    assert permit["source"] == "排污许可证 914403001922038216001P"
    book = openpyxl.load_workbook(io.BytesIO(disclosure_bytes(report, "xlsx")))
    assert len(book.sheetnames) == 9
    assert "排污许可证" in disclosure_bytes(report, "html").decode()


def test_another_enterprise_cannot_draft_it(store: Store) -> None:
    load(store)
    ents = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    e02 = Principal("e2", Role.ENTERPRISE_ADMIN, ents["E02"])
    with pytest.raises(NotFound):
        build_disclosure(store, principal=e02, enterprise="E01", year=2026)
    # its own report has no outlet (E02 has none)
    assert (
        build_disclosure(store, principal=e02, enterprise="E02", year=2026).table("monitoring").rows
        == []
    )
