"""Every report of the (shrunk) demo park: Excel and HTML, zh and en; the workbook's figures
checked against the accounting and energy-statistics APIs; rendered to PDF by LibreOffice and
to PNG by pdftoppm."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from lingtan.accounting import account_enterprise, account_park
from lingtan.demo.run import run
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.indicators.energy import energy_statistics
from lingtan.indicators.evaluate import evaluate
from lingtan.reports import KINDS, build_document, build_report, filename
from lingtan.reports.html import write_html
from lingtan.reports.model import Report, Section, Table
from lingtan.store import Store, open_store

REQUIRE = os.environ.get("LINGTAN_REQUIRE_SERVICES") == "1"
YEAR, MONTH = 2025, 1


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo park shrunk to its first three enterprises and January."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    run(store, months=1, enterprises=3)
    yield store
    store.close()


def _e01(store: Store) -> int:
    return {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}["E01"]


def _table(wb: Workbook, key: str) -> list[dict[str, Any]]:
    """Rows of the named table ``t_<key>`` as header → value."""
    dn = wb.defined_names[f"t_{key}"]
    ((sheet, ref),) = list(dn.destinations)
    cells = wb[sheet][ref.replace("$", "")]
    header = [c.value for c in cells[0]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in cells[1:]]


def _build(store: Store, kind: str, fmt: str = "xlsx", lang: str = "zh", **kw: Any) -> bytes:
    if kind == "enterprise":
        kw.setdefault("enterprise_id", _e01(store))
    return build_report(store, kind=kind, year=YEAR, month=MONTH, fmt=fmt, lang=lang, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_report_builds_in_excel_and_html(demo: Store, kind: str, lang: str) -> None:
    wb = load_workbook(io.BytesIO(_build(demo, kind, "xlsx", lang)))
    assert len(wb.sheetnames) >= 2
    first = wb.worksheets[0]["A1"].value
    assert isinstance(first, str) and (
        "报告" in first or "报表" in first if lang == "zh" else first
    )
    html = _build(demo, kind, "html", lang).decode("utf-8")
    assert (
        html.startswith("<!DOCTYPE html>") and "合成数据" in html
    )  # the demo says it is synthetic
    assert ('lang="zh-CN"' if lang == "zh" else 'lang="en"') in html


def test_park_workbook_matches_the_park_accounting(demo: Store) -> None:
    wb = load_workbook(io.BytesIO(_build(demo, "park")))
    english = load_workbook(io.BytesIO(_build(demo, "park", lang="en")))
    inv = account_park(demo, year=YEAR, month=MONTH, persist=False).inventory
    # the Chinese edition names each term; the English one also gives its code
    terms = {row["Code"]: row["tCO2"] for row in _table(english, "terms")}
    for term in ("fuel", "conversion", "electricity", "heat", "process", "bunker"):
        assert terms[term] == pytest.approx(inv.emissions[term])
    named = {row["排放项"]: row["tCO2"] for row in _table(wb, "terms")}
    assert named["化石能源用作燃料"] == pytest.approx(inv.emissions["fuel"])
    assert sorted(named.values()) == pytest.approx(sorted(terms.values()))
    assert sum(terms.values()) == pytest.approx(inv.emissions["total"])
    electricity = {row["电力类别"]: row["电量 kWh"] for row in _table(wb, "electricity")}
    assert electricity["电网电力（含绿证绿电部分）"] == pytest.approx(inv_grid(inv_activity(demo)))
    explain = _table(wb, "explain")
    assert any(r["结果"] == pytest.approx(inv.intensity_tco2_per_tce) for r in explain)
    # record ids in the English edition; the Chinese one names the records instead
    assert {r["record id"] for r in _table(english, "factors")} == set(inv.factor_ids)
    assert len(_table(wb, "factors")) == len(inv.factor_ids)


def inv_activity(store: Store) -> Any:
    return account_park(store, year=YEAR, month=MONTH, persist=False).activity


def inv_grid(activity: Any) -> float:
    return float(activity.electricity.received_kwh("grid"))


def test_enterprise_workbook_matches_the_enterprise_accounting(demo: Store) -> None:
    eid = _e01(demo)
    wb = load_workbook(io.BytesIO(_build(demo, "enterprise")))
    inv = account_enterprise(
        demo, enterprise_id=eid, year=YEAR, month=MONTH, persist=False
    ).inventory
    scope2 = {r["项目"]: r["数值"] for r in _table(wb, "scope2")}
    assert scope2["范围二（基于位置）"] == pytest.approx(inv.scope2_location_tco2)
    assert scope2["范围二（基于市场）"] == pytest.approx(inv.scope2_market_tco2)
    assert scope2["综合能源消费量"] == pytest.approx(inv.energy_tce)
    emissions = _table(wb, "emissions")
    assert sum(r["tCO2"] for r in emissions) == pytest.approx(inv.emissions["total"])
    uscc = next(e.uscc for e in demo.registry.enterprises(demo.registry.park().id) if e.id == eid)
    entity_cells = {c.value for row in wb["报告主体"].iter_rows() for c in row}
    assert (
        uscc in entity_cells
        and "GB/T 32150-2015《工业企业温室气体排放核算和报告通则》" in entity_cells
    )


def test_energy_workbook_total_is_the_core_denominator(demo: Store) -> None:
    wb = load_workbook(io.BytesIO(_build(demo, "energy")))
    carriers = _table(wb, "carriers")
    total = sum(r["折标准煤 tce"] or 0.0 for r in carriers)
    inv = account_park(demo, year=YEAR, month=MONTH, persist=False).inventory
    assert total == pytest.approx(inv.energy_tce)
    st = energy_statistics(demo, year=YEAR, month=MONTH)
    english = _table(load_workbook(io.BytesIO(_build(demo, "energy", lang="en"))), "carriers")
    assert {r["Code"]: r["Amount"] for r in english} == pytest.approx(
        {c.carrier: c.value for c in st.carriers}
    )
    assert {r["能源品种"]: r["实物量"] for r in carriers} == pytest.approx(
        {c.name_zh: c.value for c in st.carriers}
    )
    owners = _table(wb, "owners")
    assert [r["企业代码"] for r in owners] == [o.code for o in st.top_consumers(len(st.owners))]
    coverage = _table(wb, "coverage")
    assert any(r["要求"] is not None for r in coverage)


def test_indicator_workbook_matches_the_evaluation(demo: Store) -> None:
    wb = load_workbook(io.BytesIO(_build(demo, "indicators")))
    ev = evaluate(demo, year=YEAR, month=MONTH)
    summary = _table(wb, "summary")
    assert [r["结论"] for r in summary] == [
        {"meets": "达标", "fails": "未达标", "not_assessable": "不予评价"}[r.status]
        for r in ev.indicators
    ]
    evidence = _table(wb, "evidence_carbon_per_energy")
    # the Chinese edition names the record (附件4 二（二）3① fossil electricity factor) ...
    assert any(
        r["类别"] == "因子记录" and r["内容"].startswith("附件4 化石能源电力排放因子")
        for r in evidence
    )
    # ... the English one gives its id
    english = load_workbook(io.BytesIO(_build(demo, "indicators", lang="en")))
    assert any(
        r["Kind"] == "factor" and r["Ref"] == "annex4.electricity.fossil"
        for r in _table(english, "evidence_carbon_per_energy")
    )


def test_tenancy_of_reports(demo: Store) -> None:
    e01 = _e01(demo)
    with pytest.raises(PermissionDenied):
        build_document(demo, kind="park", year=YEAR, month=MONTH, scope=e01)
    with pytest.raises(NotFound):
        build_document(
            demo, kind="enterprise", year=YEAR, month=MONTH, enterprise_id=e01 + 1, scope=e01
        )
    own = build_document(demo, kind="energy", year=YEAR, month=MONTH, scope=e01)
    assert "E01" in own.meta[1][1]
    with pytest.raises(InvalidInput):
        build_document(demo, kind="enterprise", year=YEAR, month=MONTH)
    with pytest.raises(InvalidInput):
        build_report(demo, kind="energy", year=YEAR, fmt="pdf")  # type: ignore[arg-type]
    assert (
        filename("energy", 2025, "xlsx", month=3, code="E01") == "lingtan-energy-E01-2025-03.xlsx"
    )


def test_html_escapes_what_it_shows() -> None:
    doc = Report(
        title="<script>alert(1)</script>",
        subtitle="",
        lang="zh",
        meta=[("a", "<b>")],
        sections=[Section("s", [Table("t", [], [])])],
    )
    page = write_html(doc).decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "&lt;b&gt;" in page


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (apt-get install libreoffice-calc poppler-utils)"
        if REQUIRE:
            pytest.fail(f"{message} and LINGTAN_REQUIRE_SERVICES=1")
        pytest.skip(message)
    return found


def test_every_workbook_renders_to_pdf_and_png(demo: Store, tmp_path: Path) -> None:
    soffice = _tool("soffice")
    pdftoppm = _tool("pdftoppm")
    books = []
    for kind in KINDS:
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(_build(demo, kind))
        books.append(str(path))
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *books,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for kind in KINDS:
        pdf = tmp_path / f"{kind}.pdf"
        assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), f"{kind}: {done.stdout}"
        subprocess.run(
            [pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / kind)],
            check=True,
            timeout=120,
        )
        (png,) = tmp_path.glob(f"{kind}-*.png")
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5_000


def test_enterprise_report_prints_both_totals() -> None:
    """GB/T 32150 enterprise report: the total under market-based scope 2 beside the location
    total, in the workbook and the HTML, zh and en. Hand-worked enterprise (江苏 2023, 400 000 kWh
    under retired 绿证): combustion 10 ×10⁴ m³ × 389.31 × 0.0153 × 0.99 × 44/12 = 216.2188809;
    location electricity 1 000 000 × 0.5827 kg = 582.7; market electricity (1 000 000 − 400 000)
    × 0.6096 kg = 365.76; heat 1000 × 0.11 = 110; exported 100 000 × 0.5827 kg = 58.27;
    totals 216.2188809 + 582.7 + 110 − 58.27 = 850.6488809 and 216.2188809 + 365.76 + 110 − 58.27
    = 633.7088809 tCO2."""
    from lingtan.accounting import AccountingResult
    from lingtan.carbon import account, default_library, parse_activity
    from lingtan.reports.carbon import enterprise_report
    from lingtan.reports.xlsx import write_xlsx

    activity = parse_activity(
        {
            "boundary": "enterprise",
            "name": "测试企业",
            "year": 2023,
            "province": "江苏",
            "fuels": [{"fuel": "natural_gas", "use": "terminal", "amount": 100_000, "unit": "m3"}],
            "electricity": {
                "received": [
                    {"kind": "grid", "kwh": 1_000_000},
                    {"kind": "green_certified", "kwh": 400_000},
                    {"kind": "direct_non_fossil", "kwh": 200_000},
                ],
                "sent": [{"kind": "fossil", "kwh": 100_000}],
            },
            "heat": {"received": [{"kind": "fossil", "gj": 1000}]},
        }
    )
    result = AccountingResult(
        inventory=account(activity, library=default_library()),
        record=None,
        activity=activity,
        sources=(),
        green=None,
        supplements=(),
        boundary="enterprise",
        month=None,
        enterprise_id=None,
        period_start_us=1_672_502_400_000_000,
        period_end_us=1_704_038_400_000_000,
    )
    entity = {"name": "测试企业", "code": "E", "park": "测试园区"}
    names = {
        "zh": ("排放总量（范围二基于位置）", "排放总量（范围二基于市场）", "项目", "数值"),
        "en": (
            "Total with location-based scope 2",
            "Total with market-based scope 2",
            "Item",
            "Value",
        ),
    }
    for lang, (location, market, item, value) in names.items():
        report = enterprise_report(result, entity=entity, boundary_points=[], sites=[], lang=lang)
        wb = load_workbook(io.BytesIO(write_xlsx(report)))
        rows = {r[item]: r[value] for r in _table(wb, "scope2")}
        assert rows[location] == pytest.approx(850.6488809)
        assert rows[market] == pytest.approx(633.7088809)
        html = write_html(report).decode("utf-8")
        assert market in html and "633.71" in html
