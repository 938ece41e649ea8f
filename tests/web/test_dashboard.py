"""The energy manager's pages of issue 22: the period in the URL, the meter page's scope, the
metering tree's unmetered remainder, the 同比/环比 figures (TestClient and pure functions)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from lingtan.errors import InvalidInput
from lingtan.store import PointRecord
from lingtan.web import comparison, tree_pages
from lingtan.web import period as periods
from tests.api.walk import no_b_data
from tests.api.world import World
from tests.web.test_pages import csrf, log_in

D = dt.date


def test_periods_parse_from_the_url() -> None:
    today = D(2025, 3, 19)  # a Wednesday
    p = periods.parse("month", "2025-01", None, default_day=today)
    assert (p.first, p.end, p.days) == (D(2025, 1, 1), D(2025, 2, 1), 31)
    assert p.previous().first == D(2024, 12, 1) and p.year_before().first == D(2024, 1, 1)
    w = periods.parse("week", None, None, default_day=today)
    assert (w.first, w.last) == (D(2025, 3, 17), D(2025, 3, 23))  # Monday to Sunday
    assert periods.parse("year", "2024", None, default_day=today).days == 366  # leap year
    c = periods.parse("custom", "2025-01-30", "2025-02-02", default_day=today)
    assert c.days == 4 and c.previous().first == D(2025, 1, 26)
    assert c.params() == {"period": "custom", "start": "2025-01-30", "end": "2025-02-02"}
    # 2024-02-29 a year back is 2023-02-28
    assert periods.parse("day", "2024-02-29", None, default_day=today).year_before().first == D(
        2023, 2, 28
    )


@pytest.mark.parametrize(
    ("period", "start", "end", "field", "words"),
    [
        ("fortnight", None, None, "period", "expected one of day, week"),
        ("month", "2025-1", None, "start", "expected YYYY-MM"),
        ("month", "2025-13", None, "start", "expected YYYY-MM"),
        ("year", "25", None, "start", "expected YYYY"),
        ("day", "2025-02-30", None, "start", "expected YYYY-MM-DD"),
        ("month", "2025-01", "2025-02-01", "end", "only a custom period"),
        ("custom", "2025-01-01", None, "end", "needs both days"),
        ("custom", "2025-02-01", "2025-01-01", "end", "before start"),
        ("custom", "2020-01-01", "2025-01-01", "end", "at most 1098 days"),
        ("day", "1999-12-31", None, "start", "outside 2000"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(
    period: str, start: str | None, end: str | None, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as err:
        periods.parse(period, start, end, default_day=D(2025, 3, 1))
    assert err.value.field == field


def _point(pid: int, code: str, parent: int | None, unit: str = "kWh") -> PointRecord:
    return PointRecord(
        id=pid, park_id=1, enterprise_id=None, site_id=None, code=code, name=code,
        carrier="electricity_grid_import", kind="total_increasing", unit=unit,
        level=1 if parent is None else 2, parent_id=parent, multiplier=1.0,
        register_max=None, max_rate=None, interval_s=900, formula=None, boundary=parent is None,
    )  # fmt: skip


def test_the_unmetered_remainder_of_a_tiny_park_by_hand() -> None:
    """Three parents, figures chosen by hand (threshold 5 %):
    A = 1000 kWh, children 600 + 330 → remainder 70 = 7.0 % → abnormal;
    B = 500 kWh, children 260 + 230 → 10 = 2.0 % → within;
    C = 200 kWh, child 215 → −15 = −7.5 % (children above the parent) → abnormal;
    D = 100 kWh (a day missing: 30/31 known), child 40 → 60, not judged (incomplete);
    E = 80 kWh, child in m3 → not computed."""
    pts = [
        _point(1, "A", None), _point(2, "A1", 1), _point(3, "A2", 1),
        _point(4, "B", None), _point(5, "B1", 4), _point(6, "B2", 4),
        _point(7, "C", None), _point(8, "C1", 7),
        _point(9, "D", None), _point(10, "D1", 9),
        _point(11, "E", None), _point(12, "E1", 11, unit="m3"),
    ]  # fmt: skip
    whole, part = 1.0, 30 / 31
    figures = {1: (1000.0, whole), 2: (600.0, whole), 3: (330.0, whole),
               4: (500.0, whole), 5: (260.0, whole), 6: (230.0, whole),
               7: (200.0, whole), 8: (215.0, whole),
               9: (100.0, part), 10: (40.0, whole),
               11: (80.0, whole), 12: (5.0, whole)}  # fmt: skip
    nodes = {n.point.code: n for n in tree_pages.build(pts, figures, 0.05)}
    a, b, c, d, e = (nodes[k] for k in "ABCDE")
    assert a.remainder == pytest.approx(70.0) and a.share == pytest.approx(0.07)
    assert a.children_sum == pytest.approx(930.0) and a.status == "abnormal"
    assert b.remainder == pytest.approx(10.0) and b.share == pytest.approx(0.02)
    assert b.status == "ok"
    assert c.remainder == pytest.approx(-15.0) and c.share == pytest.approx(-0.075)
    assert c.status == "abnormal"
    assert d.remainder == pytest.approx(60.0) and d.status == "incomplete"
    assert e.remainder is None and e.status == "other_units"
    assert nodes["A1"].depth == 1 and nodes["A1"].status == ""  # a leaf is not judged
    # an unknown child makes the remainder unknown, never parent − 0
    assert tree_pages.unmetered(100.0, [None, 20.0]) == (None, None)


def test_year_on_year_and_month_on_month_by_hand() -> None:
    """March 2025 as of the 31st: 120 tce against 100 in February (环比 +20 %) and 150 in
    March 2024 (同比 −20 %); year to date 90 + 100 + 120 = 310 against 70 + 80 + 150 = 300
    (+3.33 %). A period without any data is unknown, not 0."""

    def view(as_of: str, *tce: float, missing: float = 0.0) -> dict[str, Any]:
        q = {"quality": {"missing": missing}}
        months = [{"month": i + 1, "tce": t, "electricity_kwh": 0.0} for i, t in enumerate(tce)]
        return {"as_of": as_of, "month": q, "year": {**q, "months": months}}

    now, feb = view("2025-03-31", 90, 100, 120), view("2025-02-28", 90, 100)
    tce, kwh = comparison.figures(now, feb, view("2024-03-31", 70, 80, 150))
    assert tce["mom"] == pytest.approx(0.20) and tce["yoy"] == pytest.approx(-0.20)
    assert tce["ytd"] == 310 and tce["ytd_yoy"] == pytest.approx(10 / 300)
    assert kwh["mom"] is None and kwh["yoy"] is None  # a reference of 0: no rate
    # last year had no data at all: its 0 is unknown, so no 同比 either
    empty = comparison.figures(now, feb, view("2024-03-31", 0, 0, 0, missing=1.0))[0]
    assert empty["month_last_year"] is None and empty["yoy"] is None and empty["ytd_yoy"] is None
    # January: the previous month is December of the year before
    jan, dec = view("2025-01-31", 110), view("2024-12-31", *([1.0] * 11), 100)
    assert comparison.figures(jan, dec, None)[0]["mom"] == pytest.approx(0.10)


def test_an_enterprise_user_reaches_its_own_points_only(web_world: World) -> None:
    a = log_in(web_world, "a_viewer")
    own = a.get("/points/E01-grid", params={"period": "month", "start": "2025-01"})
    assert own.status_code == 200 and 'data-testid="chart-point"' in own.text
    no_b_data(web_world, own.text, "a_viewer GET /points/E01-grid")
    at_b, missing = a.get("/points/E02-grid"), a.get("/points/E99-grid")
    assert at_b.status_code == missing.status_code == 404
    assert at_b.text.replace("E02-grid", "X") == missing.text.replace("E99-grid", "X")
    # B's point named in the comparison is as missing as the page's own
    assert a.get("/points/E01-grid", params={"compare": "E02-grid"}).status_code == 404
    tree = a.get("/tree", params={"period": "month", "start": "2025-01"})
    assert tree.status_code == 200 and 'data-point="E01-grid"' in tree.text
    no_b_data(web_world, tree.text, "a_viewer GET /tree")
    bad = a.get("/points/E01-grid", params={"period": "month", "start": "2025-13"})
    assert bad.status_code == 422 and "start: expected YYYY-MM for this period" in bad.text
    assert a.get("/tree", params={"period": "quarter"}).status_code == 422
    coarse = a.get("/points/E01-grid", params={"period": "year", "res": "native"})
    assert coarse.status_code == 422 and "at most 31 days" in coarse.text


def test_the_tree_remainder_matches_the_api_statistics(web_world: World) -> None:
    """E01-grid's remainder on /tree is its January total less its children's, each read
    from ``/api/v1/points/{code}/statistics?period=month`` (a separate path to the figures)."""
    h = web_world.h("admin")

    def january(code: str) -> float:
        r = web_world.client.get(
            f"/api/v1/points/{code}/statistics", headers=h,
            params={"period": "month", "start": "2025-01-01", "end": "2025-02-01"},
        )  # fmt: skip
        return float(sum(i["value"] for i in r.json()["items"]))

    children = web_world.client.get("/api/v1/points", headers=h, params={"limit": 500}).json()
    parent = next(p for p in children["items"] if p["code"] == "E01-grid")
    kids = [p["code"] for p in children["items"] if p.get("parent") == parent["code"]]
    assert kids, "the demo's E01-grid has sub-meters"
    expected = january("E01-grid") - sum(january(k) for k in kids)
    page = log_in(web_world, "admin").get("/tree", params={"period": "month", "start": "2025-01"})
    row = re.search(r'data-point="E01-grid".*?data-testid="remainder" data-value="([^"]*)"',
                    page.text, re.S)  # fmt: skip
    assert row is not None and float(row.group(1)) == pytest.approx(expected, rel=1e-9)


def test_records_are_entered_and_corrected_on_screen_within_scope(web_world: World) -> None:
    c = log_in(web_world, "a_admin")
    token = csrf(c.get("/records").text)
    good = {"category": "water", "item": "intake", "period_start": "2025-01-01",
            "period_end": "2025-01-31", "quantity": "120.5", "unit": "m3",
            "source_document": "水费单 2025-01", "csrf": token}  # fmt: skip
    # invalid input: the form again (422) with the error at its field, nothing stored
    bad = c.post("/records", data={**good, "quantity": "-3"})
    assert bad.status_code == 422 and 'data-testid="error-quantity"' in bad.text
    assert "不能小于 0" in bad.text
    wrong_unit = c.post("/records", data={**good, "unit": "kg"})
    assert wrong_unit.status_code == 422 and 'data-testid="error-unit"' in wrong_unit.text
    assert c.post("/records", data={**good, "csrf": "forged"}).status_code == 403
    saved = c.post("/records", data=good)
    assert saved.status_code == 303
    rid = int(saved.headers["location"].split("saved=")[1])
    fixed = c.post(
        f"/records/{rid}/corrections",
        data={"quantity": "121", "source_document": "更正单", "csrf": token},
    )
    assert fixed.status_code == 303
    history = c.get("/records", params={"history": "true", "category": "water"}).text
    # the corrected record stays, superseded by the new one which names it
    new_id = int(fixed.headers["location"].split("saved=")[1].split("&")[0])
    assert f"已被 #{new_id} 取代" in history and f"更正 #{rid}" in history
    # B's enterprise and B's record are not reachable; a viewer may not write
    b = web_world.enterprises["E02"]
    assert c.post("/records", data={**good, "enterprise_id": str(b)}).status_code == 404
    at_b = c.post(
        f"/records/{web_world.b['record_id']}/corrections",
        data={"quantity": "1", "source_document": "x", "csrf": token},
    )
    assert at_b.status_code == 404
    viewer = log_in(web_world, "a_viewer")
    page = viewer.get("/records")
    assert 'data-testid="record-form"' not in page.text
    assert viewer.post("/records", data={**good, "csrf": csrf(page.text)}).status_code == 403


def test_records_come_a_hundred_a_page_newest_first(web_world: World) -> None:
    from lingtan.web.records_pages import PAGE_SIZE

    c = log_in(web_world, "admin")
    token = csrf(c.get("/records").text)
    # enough records for two pages more than the world has: the count is read from the page
    for k in range(PAGE_SIZE + 5):
        r = c.post("/records", data={
            "category": "water", "item": "intake", "period_start": "2024-01-01",
            "period_end": "2024-01-31", "quantity": str(k + 1), "unit": "m3",
            "source_document": f"水费单 {k}", "csrf": token})  # fmt: skip
        assert r.status_code == 303
    last = int(r.headers["location"].split("saved=")[1])
    first_page = c.get("/records").text
    shown = [int(x) for x in re.findall(r'<tr data-record="(\d+)"', first_page)]
    total = int(re.search(r"共 (\d+) 条", first_page).group(1))  # type: ignore[union-attr]
    pages = -(-total // PAGE_SIZE)
    assert len(shown) == PAGE_SIZE and shown[0] == last and shown == sorted(shown, reverse=True)
    assert f"第 1–{PAGE_SIZE} 条，共 {total} 条" in first_page and 'rel="next"' in first_page
    end = c.get("/records", params={"page": pages}).text
    rest = [int(x) for x in re.findall(r'<tr data-record="(\d+)"', end)]
    assert len(rest) == total - (pages - 1) * PAGE_SIZE and 'rel="prev"' in end
    assert 'rel="next"' not in end
    # a page past the end shows the last; a saved record's page is the one holding it
    assert c.get("/records", params={"page": pages + 5}).text.count("<tr data-record=") == len(rest)
    oldest_saved = shown[-1]
    on_it = c.get("/records", params={"saved": rest[0]}).text
    assert (
        f'<tr data-record="{rest[0]}"' in on_it and f'<tr data-record="{oldest_saved}"' not in on_it
    )
