"""The forecast pages show a stored 15-minute forecast: its resolution in the list and on the
page, and a chart of 96 slots for its day."""

from __future__ import annotations

import html
import json
import re

from tests.api.world import World
from tests.web.test_pages import log_in


def test_a_stored_quarter_hour_forecast_is_listed_and_drawn(web_world: World) -> None:
    made = web_world.client.post(
        "/api/v1/forecasts", headers=web_world.h("b_admin"),
        json={"point": "E02-grid", "resolution_s": 900, "history_days": 28},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    fid = made.json()["id"]
    b = log_in(web_world, "b_viewer")
    listed = b.get("/forecasts").text
    row = re.search(rf'href="/forecasts/{fid}".*?</tr>', listed, re.S)
    assert row is not None
    assert 'data-testid="forecast-resolution">15 分钟<' in row.group(0)  # 15-minute
    page = b.get(f"/forecasts/{fid}")
    assert page.status_code == 200
    assert 'data-testid="forecast-resolution">15 分钟<' in page.text
    data = re.search(r'id="forecast-data">(.*?)</script>', page.text, re.S)
    assert data is not None
    chart = json.loads(html.unescape(data.group(1)))
    # a day ahead at 15 minutes: 24 × 4 = 96 slots, from midnight to 23:45
    assert len(chart["x"]) == 96 == len(chart["p50"])
    assert chart["x"][0].endswith("T00:00:00+08:00") and chart["x"][-1].endswith("T23:45:00+08:00")
    # A's viewer cannot open it
    assert log_in(web_world, "a_viewer").get(f"/forecasts/{fid}").status_code == 404


def test_a_pv_forecast_page_names_the_declared_plant(web_world: World) -> None:
    """E02-pv's plant is declared by the demo park file (demo/park.py: 2 500 kWp, the
    generator's 25° south roof with 20 % losses): the page shows the model and the plant."""
    made = web_world.client.post(
        "/api/v1/forecasts", headers=web_world.h("b_admin"),
        json={"point": "E02-pv", "history_days": 28},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["model"] == "pv_clear_sky", made.json()
    page = log_in(web_world, "b_viewer").get(f"/forecasts/{made.json()['id']}")
    assert page.status_code == 200
    assert "晴空 × 云量系数" in page.text  # the clear-sky × cloud factor model
    plant = re.search(r'data-testid="forecast-plant">(.*?)</td>', page.text, re.S)
    assert plant is not None
    assert plant.group(1).startswith("2,500 kWp · 倾角 25° · 方位角 180° · 系统损失 20.0 %")
    assert "park file" in plant.group(1)
