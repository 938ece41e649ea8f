"""The certificates page (/certificates): import a file, retire, record a settlement — on
screen, with the ledger's rules and the API's scope, each error at its field, CSRF-checked."""

from __future__ import annotations

from tests.api.walk import no_b_data
from tests.api.world import World, certificate_csv
from tests.web.test_pages import csrf, log_in

#: two certificates of A's (E01), produced in January 2025
A_CERTS = ["7" * 20 + "202501000001", "7" * 20 + "202501000002"]


def test_certificates_are_imported_retired_and_settled_on_screen(web_world: World) -> None:
    c = log_in(web_world, "a_admin")
    token = csrf(c.get("/certificates").text)
    files = {"file": ("a.csv", certificate_csv(A_CERTS), "text/csv")}
    done = c.post("/certificates/import", data={"csrf": token}, files=files)
    assert done.status_code == 303, done.text
    page = c.get(done.headers["location"])
    assert 'data-testid="saved"' in page.text and "新增 2 张" in page.text
    assert all(f'data-cert="{x}"' in page.text for x in A_CERTS)
    # no file, and a file whose number is short: the form again, the error at the file
    empty = c.post("/certificates/import", data={"csrf": token})
    assert empty.status_code == 422 and 'data-testid="error-file"' in empty.text
    short = {"file": ("a.csv", b"cert_id,project,production_month\n123,x,2025-01\n", "text/csv")}
    bad = c.post("/certificates/import", data={"csrf": token}, files=short)
    assert bad.status_code == 422 and 'data-testid="form-errors"' in bad.text
    # retire the first (ticked) for January; a second time is a conflict with the ledger
    retire = {"csrf": token, "cert_id": A_CERTS[0], "period_start": "2025-01",
              "period_end": "2025-01"}  # fmt: skip
    assert c.post("/certificates/retire", data=retire).status_code == 303
    again = c.post("/certificates/retire", data=retire)
    assert again.status_code == 409 and 'data-testid="form-errors"' in again.text
    month = c.post("/certificates/retire", data={**retire, "period_start": "2025-13"})
    assert month.status_code == 422 and 'data-testid="error-period_start"' in month.text
    nothing = c.post("/certificates/retire", data={**retire, "cert_id": ""})
    assert nothing.status_code == 422 and 'data-testid="error-cert_ids"' in nothing.text
    listing = web_world.client.get(
        "/api/v1/certificates/retirements", headers=web_world.h("a_admin")
    )
    assert A_CERTS[0] in {r["cert_id"] for r in listing.json()["items"]}
    # a settlement: a negative quantity is refused at its field; then one of 100 kWh
    settle = {"csrf": token, "settlement_id": "GT-2025-01-A", "month": "2025-01", "kwh": "100",
              "seller_project": "风电（合成）"}  # fmt: skip
    neg = c.post("/certificates/settle", data={**settle, "kwh": "-1"})
    assert neg.status_code == 422 and 'data-testid="error-kwh"' in neg.text
    ok = c.post("/certificates/settle", data=settle)
    assert ok.status_code == 303 and "settled=GT-2025-01-A" in ok.headers["location"]
    twice = c.post("/certificates/settle", data=settle)
    assert twice.status_code == 409
    # the year's settlements, read-only: one without a price (no amount, not 0), one of
    # 20 kWh at 0.45 元/kWh = 9.00 元; totals 120 kWh and 9.00 元 (the priced one only)
    priced = {**settle, "settlement_id": "GT-2025-01-B", "kwh": "20", "price": "0.45"}
    r = c.post("/certificates/settle", data=priced)
    assert r.status_code == 303, r.text.split("form-errors")[1][:600]
    page = c.get("/certificates").text
    table = page.split('data-testid="settlements-table"')[1].split("</table>")[0]
    assert table.index('data-settlement="GT-2025-01-A"') < table.index("GT-2025-01-B")
    row = table.split('data-settlement="GT-2025-01-A"')[1].split("</tr>")[0]
    assert "风电（合成）" in row and "未标价" in row and ">100<" in row
    row = table.split('data-settlement="GT-2025-01-B"')[1].split("</tr>")[0]
    assert ">0.4500<" in row and ">9.00<" in row
    assert 'data-testid="settlements-kwh">120<' in table
    assert 'data-testid="settlements-amount">9.00<' in table
    assert "2025 年绿电交易结算" in page
    assert (
        "GT-2025-01-A"
        not in c.get("/certificates", params={"year": 2024}).text.split(
            'data-testid="settlements-table"'
        )[1]
    )
    # the park's administrator sees them; the other enterprise does not
    assert "GT-2025-01-B" in log_in(web_world, "admin").get("/certificates").text
    assert "GT-2025-01-B" not in log_in(web_world, "b_admin").get("/certificates").text
    # every write is in the audit log under the user
    audit = web_world.client.get("/api/v1/audit", headers=web_world.h("admin"),
                                 params={"actor": "user:a_admin", "limit": 200}).json()  # fmt: skip
    assert any(A_CERTS[0] in str(e) for e in audit["items"])
    assert any("GT-2025-01-A" in str(e) for e in audit["items"])


def test_certificate_forms_need_the_form_token(web_world: World) -> None:
    c = log_in(web_world, "admin")
    files = {"file": ("a.csv", certificate_csv(["6" * 20 + "202501000001"]), "text/csv")}
    assert c.post("/certificates/import", data={"csrf": "forged"}, files=files).status_code == 403
    for path in ("/certificates/retire", "/certificates/settle"):
        assert c.post(path, data={"csrf": "forged"}).status_code == 403, path


def test_an_enterprise_user_acts_for_its_own_enterprise_only(web_world: World) -> None:
    c = log_in(web_world, "a_admin")
    page = c.get("/certificates")
    assert page.status_code == 200
    no_b_data(web_world, page.text, "certificates")
    token = csrf(page.text)
    b = str(web_world.enterprises["E02"])
    files = {"file": ("a.csv", certificate_csv(["5" * 20 + "202501000001"]), "text/csv")}
    r = c.post("/certificates/import", data={"csrf": token, "enterprise_id": b}, files=files)
    assert r.status_code == 404
    r = c.post("/certificates/retire", data={"csrf": token, "cert_ids": web_world.b["cert_id"],
                                             "period_start": "2025-01", "period_end": "2025-01"})  # fmt: skip
    assert r.status_code in (404, 409) and web_world.b["cert_id"] not in r.text
    viewer = log_in(web_world, "a_viewer")
    page = viewer.get("/certificates")
    assert page.status_code == 200 and 'data-testid="retire-form"' not in page.text
    r = viewer.post("/certificates/settle", data={"csrf": csrf(page.text), "kwh": "1"})
    assert r.status_code == 403
