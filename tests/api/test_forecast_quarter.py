"""``POST /api/v1/forecasts`` with ``resolution_s`` 900: a point's 15-minute forecast issued,
stored, listed and read back with its resolution (96 slots a day), by its enterprise only."""

from __future__ import annotations

from tests.api.world import World

URL = "/api/v1/forecasts"


def test_a_quarter_hour_forecast_is_stored_listed_and_kept_to_its_enterprise(
    sqlite_world: World,
) -> None:
    # on SQLite only: the PostgreSQL side of the store's scope is tested in
    # tests/forecast/test_quarter_store.py
    world = sqlite_world
    # B's grid meter is read every 15 minutes (the demo's default interval)
    body = {"point": "E02-grid", "resolution_s": 900, "history_days": 28}
    made = world.client.post(URL, headers=world.h("b_admin"), json=body)
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["resolution_s"] == 900 and out["status"] == "ok", out["detail"]
    # a day-ahead forecast at 15 minutes: 24 h × 4 = 96 slots, 15 minutes apart
    assert out["days"] == 1 and len(out["hours"]) == 96
    assert out["hours"][0]["hour"].endswith("T00:00:00+08:00")
    assert out["hours"][1]["hour"].endswith("T00:15:00+08:00")
    assert out["backtest"]["resolution_s"] == 900 and out["backtest"]["origins"]

    listed = world.client.get(URL, headers=world.h("b_viewer"), params={"resolution_s": 900})
    assert listed.status_code == 200, listed.text
    assert [(x["id"], x["resolution_s"]) for x in listed.json()["items"]] == [(out["id"], 900)]
    hourly = world.client.get(URL, headers=world.h("b_viewer"), params={"resolution_s": 3600})
    assert all(x["resolution_s"] == 3600 for x in hourly.json()["items"])
    assert out["id"] not in [x["id"] for x in hourly.json()["items"]]

    got = world.client.get(f"{URL}/{out['id']}", headers=world.h("b_viewer"))
    assert got.status_code == 200 and len(got.json()["hours"]) == 96
    # another enterprise neither reads nor lists it
    other = world.client.get(f"{URL}/{out['id']}", headers=world.h("a_admin"))
    assert other.status_code == 404, other.text
    mine = world.client.get(URL, headers=world.h("a_admin"), params={"resolution_s": 900})
    assert mine.json()["items"] == []
    # a 15-minute forecast is of a point
    refused = world.client.post(
        URL, headers=world.h("admin"), json={"enterprise": "E02", "resolution_s": 900}
    )
    assert refused.status_code == 422, refused.text
