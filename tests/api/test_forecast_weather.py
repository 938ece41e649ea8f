"""``POST /api/v1/forecasts/weather-series``: a park's weather series imported over the API
with its provenance, refused whole on one bad row, and by nobody but a park-wide admin."""

from __future__ import annotations

from tests.api.walk import weather_body
from tests.api.world import World

URL = "/api/v1/forecasts/weather-series"


def test_a_weather_series_is_imported_refused_on_a_bad_row_and_kept_to_park_admins(
    world: World,
) -> None:
    # the body holds two rows (08:00 and 09:00): two hours stored
    ok = world.client.post(URL, headers=world.h("admin"), json=weather_body("api-weather"))
    assert ok.status_code == 201, ok.text
    assert ok.json()["hours"] == 2 and ok.json()["quantity"] == "temperature"

    # line 3 (the header is line 1) has no UTC offset: the whole series is refused
    bad = weather_body("api-weather-bad")
    bad["csv"] = "hour,value\n2025-01-15T08:00:00+08:00,3.5\n2025-01-15T09:00:00,4.0\n"
    refused = world.client.post(URL, headers=world.h("admin"), json=bad)
    assert refused.status_code == 422 and "line 3" in refused.text, refused.text

    # an enterprise's administrator may not write the park's weather
    other = world.client.post(URL, headers=world.h("a_admin"), json=weather_body("api-w-a"))
    assert other.status_code == 403, other.text
