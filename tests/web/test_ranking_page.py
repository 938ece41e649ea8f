"""The ranking of enterprises (/ranking): the accounting API's figures, sorted on the server
by any column, exported to Excel in Chinese or English; an enterprise user sees its own row."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.api.walk import no_b_data
from tests.api.world import World
from tests.web.test_pages import log_in


def _codes(html: str) -> list[str]:
    body = html.split('data-testid="ranking-table"', 1)[1]
    return re.findall(r"<tr data-enterprise=\"\d+\"><td>\d+</td><td>([^<]+)</td>", body)


def test_the_ranking_shows_the_accounting_figures_sorted_by_any_column(web_world: World) -> None:
    c = log_in(web_world, "admin")
    r = c.get("/ranking", params={"period": "year", "start": "2025", "sort": "tco2"})
    assert r.status_code == 200, r.text
    assert 'aria-sort="descending"' in r.text
    api = {
        code: web_world.client.get(
            f"/api/v1/accounting/enterprises/{eid}", headers=web_world.h("admin"),
            params={"year": 2025},
        ).json()
        for code, eid in web_world.enterprises.items()
    }  # fmt: skip
    tco2 = {code: a["emissions_tco2"]["total"] for code, a in api.items()}
    codes = _codes(r.text)
    assert set(codes) == set(web_world.enterprises)
    # the order the API's figures give, largest first (every demo enterprise has data)
    assert codes == sorted(tco2, key=lambda k: (-tco2[k], k))
    ascending = _codes(
        c.get("/ranking", params={"period": "year", "start": "2025", "sort": "tco2",
                                  "order": "asc"}).text
    )  # fmt: skip
    assert ascending == list(reversed(codes))
    by_code = c.get("/ranking", params={"period": "year", "start": "2025", "sort": "code",
                                        "order": "asc"})  # fmt: skip
    assert _codes(by_code.text) == sorted(web_world.enterprises)
    assert 'data-testid="sort-intensity"' in by_code.text
    # carbon intensity = tCO2 / tce of each enterprise (单位能耗碳排放, 910号 附件4)
    intensity = {code: a["emissions_tco2"]["total"] / a["energy_tce"] for code, a in api.items()}
    by_intensity = c.get("/ranking", params={"period": "year", "start": "2025",
                                             "sort": "intensity", "order": "asc"})  # fmt: skip
    assert _codes(by_intensity.text) == sorted(intensity, key=lambda k: (intensity[k], k))


def test_a_bad_sort_or_period_is_refused_naming_the_field(web_world: World) -> None:
    c = log_in(web_world, "admin")
    bad = c.get("/ranking", params={"sort": "profit"})
    assert bad.status_code == 422 and "sort" in bad.text
    week = c.get("/ranking", params={"period": "week"})
    assert week.status_code == 422 and "period" in week.text


def test_the_export_has_chinese_headers_by_default_and_english_on_request(
    web_world: World,
) -> None:
    c = log_in(web_world, "admin")
    params = {"period": "year", "start": "2025", "sort": "code", "order": "asc"}
    zh = c.get("/ranking/export", params=params)
    assert zh.status_code == 200
    assert zh.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(zh.content)).active
    assert [cell.value for cell in ws[2]][:3] == ["排名", "代码", "企业名称"]
    assert [ws.cell(row=3 + i, column=2).value for i in range(len(web_world.enterprises))] == (
        sorted(web_world.enterprises)
    )
    en = c.get("/ranking/export", params={**params, "lang": "en"})
    ws = load_workbook(io.BytesIO(en.content)).active
    assert [cell.value for cell in ws[2]] == [
        "Rank", "Code", "Enterprise", "Energy (tce)", "Emissions (tCO2)",
        "Carbon intensity (tCO2/tce)",
    ]  # fmt: skip


def test_an_enterprise_user_sees_its_own_row_only(web_world: World) -> None:
    c = log_in(web_world, "a_viewer")
    r = c.get("/ranking", params={"period": "year", "start": "2025"})
    assert r.status_code == 200 and _codes(r.text) == ["E01"]
    no_b_data(web_world, r.text, "ranking")
    x = c.get("/ranking/export", params={"period": "year", "start": "2025"})
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.max_row == 3 and ws.cell(row=3, column=2).value == "E01"
