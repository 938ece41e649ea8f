"""``/api/v1/compliance``: the grading carries the water-intake comparison (its category chosen
by ``water_category``) and the levels list the 取水定额 records."""

from __future__ import annotations

from tests.api.world import World


def test_grading_water_category_and_quota_records(world: World) -> None:
    a, c = world.h("admin"), world.client
    r = c.get("/api/v1/compliance/grading", headers=a,
              params={"year": 2025, "water_category": "new"})  # fmt: skip
    assert r.status_code == 200, r.text
    water = r.json()["water"]
    assert water["category"] == "new"
    assert all(x["category"] == "new" for x in water["results"])
    default = c.get("/api/v1/compliance/grading", headers=a, params={"year": 2025})
    assert default.json()["water"]["category"] == "existing"
    bad = c.get("/api/v1/compliance/grading", headers=a,
                params={"year": 2025, "water_category": "old"})  # fmt: skip
    assert bad.status_code == 422
    quotas = c.get("/api/v1/compliance/levels", headers=a).json()["water_quotas"]
    assert {q["id"] for q in quotas} >= {"gbt18916.62-2022.cement_clinker"}
    assert all(q["confidence"] == "L" and q["verified"] is False for q in quotas)
