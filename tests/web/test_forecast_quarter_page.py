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
