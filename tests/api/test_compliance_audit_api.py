"""``/api/v1/compliance/audit``: the store's energy audit over HTTP — its total is the energy
statistics' 综合能耗 of the same enterprise and period, an enterprise user gets its own, and the
workbook opens with its five sheets."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.api.world import World


def test_the_audit_total_is_the_energy_statistics_total(world: World) -> None:
    c, a = world.client, world.h("admin")
    e01 = world.enterprises["E01"]
    r = c.get("/api/v1/compliance/audit", headers=a,
              params={"year": 2025, "month": 1, "enterprise_id": e01})  # fmt: skip
    assert r.status_code == 200, r.text
    got = r.json()
    stats = c.get("/api/v1/statistics/energy", headers=a,
                  params={"year": 2025, "month": 1, "enterprise_id": e01})  # fmt: skip
    assert stats.status_code == 200, stats.text
    assert got["total_tce"] == pytest.approx(stats.json()["total_tce"])
    assert got["total_tce"] > 0
    assert sum(x["tce"] for x in got["carriers"]) == pytest.approx(got["total_tce"])
    # an enterprise user's audit without a parameter is its own enterprise's
    own = c.get("/api/v1/compliance/audit", headers=world.h("a_viewer"),
                params={"year": 2025, "month": 1})  # fmt: skip
    assert own.status_code == 200, own.text
    assert own.json()["enterprise"] == got["enterprise"]
    assert own.json()["total_tce"] == pytest.approx(got["total_tce"])


def test_the_audit_workbook(world: World) -> None:
    r = world.client.get("/api/v1/compliance/audit/workbook", headers=world.h("a_admin"),
                         params={"year": 2025, "month": 1})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].endswith('filename="audit-2025-01.xlsx"')
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[:4] == ["能源消费", "能源消费结构", "单位产品能耗", "节能潜力"]
    bad = world.client.get("/api/v1/compliance/audit", headers=world.h("admin"),
                           params={"year": 2025, "month": 13})  # fmt: skip
    assert bad.status_code == 422
