"""Sites' energy-performance labels in the API's site listing, in the caller's scope."""

from __future__ import annotations

from sqlalchemy import update

from lingtan.store import schema as s
from tests.api.world import World


def test_sites_show_their_labels_to_their_own_enterprise_only(sqlite_world: World) -> None:
    w = sqlite_world
    everything = w.client.get("/api/v1/sites", headers=w.h("admin")).json()["items"]
    a_site = next(x for x in everything if x["enterprise_id"] == w.enterprises["E01"])
    b_site = next(x for x in everything if x["enterprise_id"] == w.enterprises["E02"])
    with w.store.begin() as conn:
        conn.execute(
            update(s.site)
            .where(s.site.c.id == a_site["id"])
            .values(
                energy_label="near_zero_energy",
                energy_label_certificate="NZEB-7",
                energy_label_date="2024-05-20",
                green_building_star="3",
            )
        )
        conn.execute(update(s.site).where(s.site.c.id == b_site["id"]).values(
            green_building_star="basic"))  # fmt: skip
    got = w.client.get(f"/api/v1/sites/{a_site['id']}", headers=w.h("a_viewer")).json()
    assert (got["energy_label"], got["energy_label_name"], got["energy_label_certificate"]) == (
        "near_zero_energy", "近零能耗建筑", "NZEB-7",
    )  # fmt: skip
    assert (got["energy_label_date"], got["green_building_star"], got["green_building_star_name"]) == (
        "2024-05-20", "3", "三星级",
    )  # fmt: skip
    mine = w.client.get("/api/v1/sites", headers=w.h("a_viewer")).json()["items"]
    assert {x["enterprise_id"] for x in mine} == {w.enterprises["E01"]}
    assert not [x for x in mine if x["green_building_star"] == "basic"]
    assert w.client.get(f"/api/v1/sites/{b_site['id']}", headers=w.h("a_viewer")).status_code == 404
    theirs = w.client.get(f"/api/v1/sites/{b_site['id']}", headers=w.h("b_viewer")).json()
    assert (theirs["green_building_star"], theirs["energy_label"]) == ("basic", None)
