"""Environment monitoring pages (server-rendered): the park overview, the station list and a
station page, in both languages and in each user's scope."""

from __future__ import annotations

from tests.api.world import World
from tests.web.test_pages import log_in


def test_overview_lists_the_stations_and_water_sections_by_class(web_world: World) -> None:
    c = log_in(web_world, "admin")
    page = c.get("/environment").text
    for code in ("AQ-N", "AQ-S", "WS-1", "IN-ADM", "IN-E01", "E02-OUT1"):
        assert f'data-testid="env-station-{code}"' in page, code
    assert 'data-testid="env-section-class"' in page  # the demo section has a class
    assert "园区环境概览" in page
    # HJ 633-2012 AQI of the air stations (the demo's synthetic data give both kinds a value)
    assert 'data-testid="env-aqi"' in page and 'data-testid="env-aqi-AQ-N"' in page


def test_enterprise_sees_park_stations_and_its_own_only(web_world: World) -> None:
    c = log_in(web_world, "a_viewer")  # enterprise E01
    page = c.get("/environment/stations").text
    assert 'data-testid="env-station-AQ-N"' in page and 'data-testid="env-station-IN-E01"' in page
    assert "E02-OUT1" not in page
    assert c.get("/environment/stations/E02-OUT1").status_code == 404


def test_station_page_shows_latest_values_chart_data_and_log_in_english(
    web_world: World,
) -> None:
    c = log_in(web_world, "admin")
    c.get("/lang/en?next=/overview")
    page = c.get("/environment/stations/E02-OUT1").text
    assert "Latest hourly values" in page and 'id="env-data"' in page
    assert 'data-testid="env-chart"' in page
    # the permit limit of COD (50 mg/L, demo park file) is the chart's limit line and the table's
    assert '"limit": 50.0' in page
    assert "50.00" in page


def test_disclosure_page_and_file_in_the_callers_scope(web_world: World) -> None:
    c = log_in(web_world, "admin")
    page = c.get("/environment/disclosure?enterprise=E02&year=2025")
    assert page.status_code == 200
    assert 'data-testid="disclosure-report"' in page.text and "废水总排口" in page.text
    f = c.get("/environment/disclosure/file?enterprise=E02&year=2025&format=html")
    assert f.status_code == 200 and f.headers["content-type"].startswith("text/html")
    assert "E02-OUT1" in f.text
    # the kinds ticked: only 上市公司's items (第十五条（一）), and the files carry the choice
    listed = c.get("/environment/disclosure?enterprise=E02&year=2025&kind=listed")
    assert listed.status_code == 200 and "本企业属于：上市公司" in listed.text
    assert "实施强制性清洁生产审核的原因" not in listed.text
    assert "&amp;kind=listed&amp;format=xlsx" in listed.text
    f = c.get("/environment/disclosure/file?enterprise=E02&year=2025&kind=listed&format=html")
    assert f.status_code == 200 and "本企业属于：上市公司" in f.text
    # an enterprise's user: its own enterprise only (another's is 404, as in the API)
    v = log_in(web_world, "a_viewer")  # enterprise E01
    assert v.get("/environment/disclosure?enterprise=E02&year=2025").status_code == 404
    assert 'value="E02"' not in v.get("/environment/disclosure").text


def test_water_section_page_shows_the_monthly_trend(web_world: World) -> None:
    c = log_in(web_world, "admin")
    page = c.get("/environment/stations/WS-1").text
    assert 'data-testid="env-trend"' in page and "月度水质趋势" in page
    r = web_world.client.get(
        "/api/v1/environment/water-trend", params={"station": "WS-1"}, headers=web_world.h("admin")
    )
    assert r.status_code == 200, r.text
    months = r.json()["months"]
    assert months and all(m["water_class"] in ("I", "II", "III", "IV", "V", "劣V") for m in months)
    bad = web_world.client.get(
        "/api/v1/environment/water-trend", params={"station": "AQ-N"}, headers=web_world.h("admin")
    )
    # a station that is not a water section: no months, and the reason
    assert bad.status_code == 200 and bad.json()["months"] == []
    assert "not a water section" in bad.json()["note"]


def test_outlet_page_shows_the_monthly_permit_trend(web_world: World) -> None:
    c = log_in(web_world, "admin")
    page = c.get("/environment/stations/E02-OUT1").text
    assert 'data-testid="env-outlet-trend"' in page and "月度排放趋势" in page
    assert 'data-testid="env-trend"' not in page  # not the GB 3838 table
    r = web_world.client.get(
        "/api/v1/environment/water-trend",
        params={"station": "E02-OUT1"},
        headers=web_world.h("admin"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "outlet" and body["months"]
    for m in body["months"]:
        assert f'data-testid="env-outlet-month-{m["month"]}"' in page
        for p in m["parameters"]:
            # the counts hold together: meeting + above = valid ≤ hours; no rate without data
            assert p["attained_hours"] + p["exceeded_hours"] == p["valid_hours"] <= p["hours"]
            assert (p["attainment"] is None) == (p["valid_hours"] == 0)
        assert (m["attainment"] is None) == (m["valid_hours"] == 0)
    # an enterprise's user asking for another enterprise's outlet: as missing
    other = web_world.client.get(
        "/api/v1/environment/water-trend",
        params={"station": "E02-OUT1"},
        headers=web_world.h("a_viewer"),
    )
    assert other.status_code == 404
    c.get("/lang/en?next=/overview")
    assert (
        "Monthly discharge trend against the permit" in c.get("/environment/stations/E02-OUT1").text
    )
