"""绿证 persistence and services on SQLite and PostgreSQL.

The park is ``tests/accounting/parks.py``: metered grid electricity in January 2025 is
E01 1 000 kWh, E02 2 000 kWh and the park's own 200 kWh — 3 200 kWh for the park. One
certificate stands for 1 000 kWh.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from openpyxl import Workbook

from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.greenpower.certfile import parse_certificate_bytes, parse_certificate_file
from lingtan.greenpower.ledger import Certificate, Month, Period, Retirement
from lingtan.greenpower.service import (
    green_electricity,
    import_certificate_file,
    import_certificates,
    list_certificates,
    list_retirements,
    metered_grid_kwh,
    record_settlement,
    retire_certificates,
)
from lingtan.store import Store
from lingtan.store.greenpower_repo import GreenpowerRepo
from tests.accounting.parks import ids, load_january
from tests.greenpower.clock import set_ledger_clock

JAN = Period(Month(2025, 1), Month(2025, 1))
ON = dt.date(2025, 2, 15)


def cid(n: int) -> str:
    return f"{n:032d}"


DECEMBER_2024 = Month(2024, 12)


def certs(*numbers: int, month: Month = DECEMBER_2024) -> list[Certificate]:
    return [Certificate(cid(n), "光伏电站甲", month) for n in numbers]


@pytest.fixture
def park(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The park, with the ledger's clock on 15 February 2025 (park time): certificates are
    imported and retired that day."""
    set_ledger_clock(monkeypatch, ON)
    load_january(store)
    return store


def test_metered_consumption_is_the_grid_electricity_of_the_claimant(park: Store) -> None:
    e01 = ids(park)["E01"]
    assert metered_grid_kwh(park, period=JAN, enterprise_id=e01) == pytest.approx(1000)
    assert metered_grid_kwh(park, period=JAN) == pytest.approx(3200)
    assert metered_grid_kwh(park, period=Period(Month(2025, 2), Month(2025, 2))) == 0


def test_import_csv_xlsx_json_idempotent_and_audited(park: Store, tmp_path: Path) -> None:
    e01 = ids(park)["E01"]
    csv_file = tmp_path / "gec.csv"
    csv_file.write_text(
        "证书编号,项目名称,生产年月,是否可交易\n"
        f"{cid(1)},光伏电站甲,2024年12月,是\n"
        f"{cid(2)},风电场乙,2025/01,否\n",
        encoding="utf-8",
    )
    report = import_certificate_file(park, path=csv_file, enterprise_id=e01, actor="tester")
    assert report.added == (cid(1), cid(2)) and report.holder == "E01"
    again = import_certificate_file(park, path=csv_file, enterprise_id=e01)
    assert again.added == () and again.unchanged == (cid(1), cid(2))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["cert_id", "project", "production_month", "tradable"])
    ws.append([cid(3), "光伏电站甲", "2025-01", "false"])
    xlsx = tmp_path / "gec.xlsx"
    wb.save(xlsx)
    import_certificate_file(park, path=xlsx)
    json_file = tmp_path / "gec.json"
    json_file.write_text(
        f'{{"certificates": [{{"cert_id": "{cid(4)}", "project": "风电场乙", '
        '"production_month": "2025-01"}]}',
        encoding="utf-8",
    )
    import_certificate_file(park, content=json_file.read_bytes(), filename="gec.json")
    views = {v.certificate.cert_id: v for v in list_certificates(park, as_of=ON)}
    assert views[cid(2)].certificate.tradable is False
    assert views[cid(3)].holder == "acc-park" and views[cid(3)].holder_enterprise_id is None
    assert views[cid(1)].holder == "E01" and views[cid(1)].status == "available"
    audit = park.audit.list(entity="gec_certificate")
    assert len(audit) == 4 and {a["actor"] for a in audit} >= {"tester", "system"}
    with pytest.raises(Conflict, match="another holder"):
        import_certificates(park, certificates=certs(1))  # held by E01, not the park


def test_certificate_file_refusals(tmp_path: Path) -> None:
    header = "cert_id,project,production_month\n"
    with pytest.raises(InvalidInput, match="32 digits"):
        parse_certificate_bytes((header + "123,甲,2025-01\n").encode(), filename="a.csv")
    with pytest.raises(InvalidInput, match="listed twice"):
        parse_certificate_bytes(
            (header + f"{cid(1)},甲,2025-01\n{cid(1)},甲,2025-01\n").encode(), filename="a.csv"
        )
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        parse_certificate_bytes((header + f"{cid(1)},甲,2025\n").encode(), filename="a.csv")
    with pytest.raises(InvalidInput, match=r"\.csv, \.xlsx or \.json"):
        parse_certificate_bytes(b"", filename="a.txt")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["证书编号", "项目名称", "生产年月"])
    ws.append([int(cid(12345678)), "甲", "2025-01"])  # a number cell: digits are not text
    path = tmp_path / "n.xlsx"
    wb.save(path)
    with pytest.raises(InvalidInput, match="must be text"):
        parse_certificate_file(path)
    with pytest.raises(NotFound):
        parse_certificate_file(tmp_path / "missing.csv")


def test_unknown_column_is_refused(tmp_path: Path) -> None:
    text = f"cert_id,project,production_month,kwh\n{cid(1)},甲,2025-01,1000\n"
    with pytest.raises(InvalidInput, match="unknown column 'kwh'"):
        parse_certificate_bytes(text.encode(), filename="a.csv")


def test_retire_against_metered_consumption(park: Store) -> None:
    """E01 used 1 000 kWh in January: one certificate fits, a second is refused; the refusal
    retires nothing (all or none)."""
    e01 = ids(park)["E01"]
    import_certificates(park, certificates=certs(1, 2, 3), enterprise_id=e01)
    done = retire_certificates(
        park, cert_ids=[cid(1)], period=JAN, enterprise_id=e01, retired_on=ON, actor="能源经理"
    )
    assert done == [Retirement(cid(1), "E01", "enterprise", JAN, ON, "acc-park", None, ON)]
    with pytest.raises(InvalidInput, match="consumed 1000"):
        retire_certificates(park, cert_ids=[cid(2)], period=JAN, enterprise_id=e01, retired_on=ON)
    with pytest.raises(Conflict, match="retired once"):
        retire_certificates(
            park, cert_ids=[cid(1)], period=Period(Month(2025, 1), Month(2025, 12)),
            enterprise_id=e01, retired_on=ON,
        )  # fmt: skip
    assert [r.cert_id for r in list_retirements(park)] == [cid(1)]
    entry = park.audit.list(entity="gec_retirement")[0]
    assert entry["actor"] == "能源经理" and entry["enterprise_id"] == e01
    after = json.loads(entry["after"])
    assert (after["retired_on"], after["recorded_on"]) == ("2025-02-15", "2025-02-15")
    status = {v.certificate.cert_id: v.status for v in list_certificates(park, as_of=ON)}
    assert status == {cid(1): "retired", cid(2): "available", cid(3): "available"}


def test_double_claim_between_park_and_enterprise_is_refused(park: Store) -> None:
    """The same certificate cannot be claimed by an enterprise and then by the park; nor can
    the park and its enterprises together claim more than the park's 3 200 kWh."""
    e01, e02 = ids(park)["E01"], ids(park)["E02"]
    import_certificates(park, certificates=certs(1), enterprise_id=e01)
    import_certificates(park, certificates=certs(2, 3), enterprise_id=e02)
    import_certificates(park, certificates=certs(4, 5))
    retire_certificates(park, cert_ids=[cid(1)], period=JAN, enterprise_id=e01, retired_on=ON)
    with pytest.raises(Conflict, match="the park and an enterprise cannot both claim"):
        retire_certificates(park, cert_ids=[cid(1)], period=JAN, retired_on=ON)
    # park: 3 200 − 1 000 claimed by E01 leaves room for 2 certificates
    retire_certificates(park, cert_ids=[cid(4), cid(5)], period=JAN, retired_on=ON)
    # E02 used 2 000 kWh itself, but 3 000 of the park's 3 200 kWh are claimed already
    with pytest.raises(InvalidInput, match="cannot both count the same electricity"):
        retire_certificates(park, cert_ids=[cid(2)], period=JAN, enterprise_id=e02, retired_on=ON)
    whole = green_electricity(park, period=JAN, include_enterprises=True)
    assert whole.certified_kwh == 3000
    assert green_electricity(park, period=JAN).certified_kwh == 2000
    assert green_electricity(park, period=JAN, enterprise_id=e01).cert_ids == (cid(1),)


def test_refusals_expired_unknown_not_held_and_scope(park: Store) -> None:
    e01, e02 = ids(park)["E01"], ids(park)["E02"]
    import_certificates(park, certificates=certs(1, month=Month(2022, 12)), enterprise_id=e01)
    import_certificates(park, certificates=certs(2), enterprise_id=e02)
    with pytest.raises(Conflict, match="expired on 2024-11-30"):
        retire_certificates(park, cert_ids=[cid(1)], period=JAN, enterprise_id=e01, retired_on=ON)
    with pytest.raises(NotFound):
        retire_certificates(park, cert_ids=[cid(9)], period=JAN, enterprise_id=e01, retired_on=ON)
    with pytest.raises(Conflict, match="not held by E01"):
        retire_certificates(park, cert_ids=[cid(2)], period=JAN, enterprise_id=e01, retired_on=ON)
    with pytest.raises(NotFound):  # an enterprise user acting for another enterprise
        retire_certificates(
            park, cert_ids=[cid(2)], period=JAN, enterprise_id=e02, enterprise_scope=e01,
            retired_on=ON,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        import_certificates(park, certificates=certs(7), enterprise_scope=e01)
    assert [v.certificate.cert_id for v in list_certificates(park, enterprise_scope=e01)] == [
        cid(1)
    ]
    assert list_certificates(park, enterprise_scope=e01, status="expired", as_of=ON)
    assert list_retirements(park, enterprise_scope=e02) == []


def test_settlements_retire_their_certificates_and_count_contracted(park: Store) -> None:
    """A trade carrying one certificate retires it for E02's January; a trade without
    certificates of 500 kWh counts as contracted green electricity; one of 1 000 kWh more is
    refused (E02 used 2 000 kWh, 1 500 are covered)."""
    e02 = ids(park)["E02"]
    import_certificates(park, certificates=certs(1), enterprise_id=e02)
    record_settlement(
        park, settlement_id="T-1", month=Month(2025, 1), kwh=1000, seller_project="风电场乙",
        cert_ids=[cid(1)], enterprise_id=e02, settled_on=ON,
    )  # fmt: skip
    record_settlement(
        park, settlement_id="T-2", month=Month(2025, 1), kwh=500, seller_project="风电场乙",
        enterprise_id=e02, settled_on=ON,
    )  # fmt: skip
    green = green_electricity(park, period=JAN, enterprise_id=e02)
    assert (green.certified_kwh, green.contracted_uncertified_kwh) == (1000, 500)
    with pytest.raises(InvalidInput, match="not yet covered"):
        record_settlement(
            park, settlement_id="T-3", month=Month(2025, 1), kwh=1000, seller_project="风电场乙",
            enterprise_id=e02, settled_on=ON,
        )  # fmt: skip
    with pytest.raises(Conflict, match="already recorded"):
        record_settlement(
            park, settlement_id="T-2", month=Month(2025, 1), kwh=1, seller_project="x",
            enterprise_id=e02, settled_on=ON,
        )  # fmt: skip
    assert [a["entity_id"] for a in park.audit.list(entity="green_trade")] == ["T-2", "T-1"]


def test_primary_key_makes_a_second_retirement_impossible(park: Store) -> None:
    """Written past the ledger's checks, a second retirement of a certificate still fails on
    the key, and the other retirement of the same batch is not stored either."""
    import_certificates(park, certificates=certs(1, 2))
    scope_park = park.registry.park()
    first = Retirement(cid(1), "acc-park", "park", JAN, ON, "acc-park")
    repo = GreenpowerRepo(park)
    with repo.session(
        park_id=scope_park.id, park="acc-park", enterprise_ids={}, actor="t", now=1
    ) as session:
        session.add_retirements([first])
    batch = [Retirement(cid(2), "acc-park", "park", JAN, ON, "acc-park"), first]
    with pytest.raises(Conflict, match="retired once"):
        with repo.session(
            park_id=scope_park.id, park="acc-park", enterprise_ids={}, actor="t", now=2
        ) as session:
            session.add_retirements(batch)
    assert [r.cert_id for r in list_retirements(park)] == [cid(1)]


def test_concurrent_retirement_of_the_same_certificate(park: Store) -> None:
    """Two requests retire the same certificate at once (an enterprise and the park, then
    twice the enterprise): exactly one succeeds, the other gets ``Conflict``."""
    e02 = ids(park)["E02"]
    import_certificates(park, certificates=certs(1, 2), enterprise_id=e02)
    for cert, claimants in ((cid(1), (e02, None)), (cid(2), (e02, e02))):
        assert sorted(_race(park, cert, claimants)) == ["conflict", "retired"]
    assert {r.cert_id: r.claimant for r in list_retirements(park)} == {
        cid(1): "E02",
        cid(2): "E02",
    }


def _race(store: Store, cert_id: str, claimants: tuple[int | None, int | None]) -> list[str]:
    """Start two retirements of ``cert_id`` at the same moment; return their outcomes."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(claimant: int | None) -> None:
        barrier.wait()
        try:
            retire_certificates(
                store, cert_ids=[cert_id], period=JAN, enterprise_id=claimant, retired_on=ON
            )
            outcomes.append("retired")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(c,)) for c in claimants]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_retired_on_cannot_backdate_past_expiry_nor_the_import(park: Store) -> None:
    """Today is 2025-02-15 (park time). A certificate produced 2023-01 expired on 2024-12-31:
    stating retired_on 2024-12-01 does not make it retirable. A valid certificate imported today
    cannot state a retirement yesterday (before its import) nor tomorrow (in the future)."""
    e01 = ids(park)["E01"]
    import_certificates(park, certificates=certs(7, month=Month(2023, 1)), enterprise_id=e01)
    import_certificates(park, certificates=certs(8), enterprise_id=e01)
    with pytest.raises(Conflict, match="expired on 2024-12-31"):
        retire_certificates(
            park, cert_ids=[cid(7)], period=JAN, enterprise_id=e01,
            retired_on=dt.date(2024, 12, 1),
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="imported") as before:
        retire_certificates(
            park, cert_ids=[cid(8)], period=JAN, enterprise_id=e01,
            retired_on=dt.date(2025, 2, 14),
        )  # fmt: skip
    assert before.value.field == "retired_on"
    with pytest.raises(InvalidInput, match="future"):
        retire_certificates(
            park, cert_ids=[cid(8)], period=JAN, enterprise_id=e01,
            retired_on=dt.date(2025, 2, 16),
        )  # fmt: skip
    assert list_retirements(park) == []
    (done,) = retire_certificates(park, cert_ids=[cid(8)], period=JAN, enterprise_id=e01)
    assert done.retired_on == ON and done.recorded_on == ON
