"""The GHG page: an enterprise's user sees its own account, and B's account (or its downloads)
by URL is the same 404 as an enterprise that does not exist."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.api.walk import no_b_data
from tests.api.world import World
from tests.web.test_pages import log_in

EV = {"kind": "measured", "reference": "LAB-1", "tier": 3}


def _doc(name: str) -> dict[str, Any]:
    """1 t a month of a fuel with 50 % measured carbon, months 1–11 (December missing):
    1 × 0.5 × 44/12 = 1.8333… tCO2 a month; eleven months 20.1667 tCO2, the year missing, so
    the covered-unit test of a cement unit is undetermined."""
    return {
        "enterprise": name,
        "year": 2025,
        "sector": "cement",
        "sources": [
            {
                "id": "boiler",
                "method": "measured_carbon",
                "series": {
                    "mass": {
                        "unit": "t",
                        "months": [{"month": m, "value": 1, "evidence": EV} for m in range(1, 12)],
                    }
                },
                "params": {"carbon_content": {"value": 0.5, "evidence": EV}},
            }
        ],
    }


def _blank(text: str, url: str) -> str:
    """The page without its own address (the language switch repeats it, quoted)."""
    return text.replace(quote(url), "URL").replace(url.replace("&", "&amp;"), "URL")


def test_ghg_page_is_scoped_to_the_callers_enterprise(web_world: World) -> None:
    w = web_world
    a_id, b_id = w.enterprises["E01"], w.enterprises["E02"]
    # A exports hot-rolled coil: 20 tCO2e over 100 t → SEE 0.2 tCO2e/t, actual data
    mill = {"name": "轧钢车间", "year": 2026, "processes": [
        {"id": "hsm", "cn_code": "7208 51 20", "output": 100, "direct_emissions": 20}]}  # fmt: skip
    for user, ent, name in (("a_admin", None, "甲"), ("admin", b_id, "乙")):
        doc = {**_doc(name), "cbam_installations": [mill] if ent is None else []}
        r = w.client.post(
            "/api/v1/ghg/documents", headers=w.h(user), json={"enterprise_id": ent, "document": doc}
        )
        assert r.status_code == 201, r.text
    c = log_in(w, "a_viewer")
    c.get("/lang/zh-CN")
    own = c.get("/ghg?year=2025")
    assert own.status_code == 200
    # the market boundary of the eleven months present, December flagged
    assert "20.167" in own.text and 'data-status="undetermined"' in own.text
    assert f"/ghg/report?year=2025&amp;enterprise_id={a_id}" in own.text
    no_b_data(w, own.text, "GET /ghg")
    cbam = c.get(f"/ghg/cbam?year=2025&enterprise_id={a_id}&installation=0&format=json")
    assert cbam.status_code == 200
    good = cbam.json()["goods"][0]
    assert (good["see_direct"], good["basis"]) == (pytest.approx(0.2), "actual")
    for path in ("/ghg?year=2025&enterprise_id={}", "/ghg/report?year=2025&enterprise_id={}",
                 "/ghg/evidence?year=2025&enterprise_id={}"):  # fmt: skip
        at_b, at_nothing = c.get(path.format(b_id)), c.get(path.format(987_654))
        assert at_b.status_code == at_nothing.status_code == 404, path
        b_url, none_url = path.format(b_id), path.format(987_654)
        assert _blank(at_b.text, b_url) == _blank(at_nothing.text, none_url), path
    # the park's admin picks B and gets its evidence
    park = log_in(w, "admin")
    ev = park.get(f"/ghg/evidence?year=2025&enterprise_id={b_id}")
    assert ev.status_code == 200 and len(ev.json()) == 12
