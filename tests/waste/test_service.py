"""The waste ledger on a stored park (SQLite and PostgreSQL): streams, movements and their
checks, the balance, manifests (licence refusal, state machine, receipt), the alarms raised
through the engine, the import with bad rows, the exchange, and tenancy."""

from __future__ import annotations

import io

import pytest

from lingtan.alarms import service as alarm_service
from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import SYSTEM, Role
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.waste import alarms, exchange_service, importer, service, transfers
from tests.waste.conftest import Ledger, enterprise_admin, us


def _move(b: Ledger, kind: str, q: float, at: str, batch: str = "B1", **kw: object) -> int:
    return service.record_movement(
        b.store, principal=b.e01, stream_id=b.stream_id, kind=kind, batch=batch, quantity=q,
        unit=kw.pop("unit", "t"), at=at, **kw,
    ).id  # fmt: skip


def _alarms(b: Ledger) -> dict[str, str]:
    items, _ = alarm_service.list_alarms(
        b.store, principal=SYSTEM, filters=AlarmFilter(kinds=["waste"], states=["open"]),
        limit=100, offset=0,
    )  # fmt: skip
    return {a.rule_code: a.message for a in items}


def test_stream_code_is_checked_and_units_convert(book: Ledger) -> None:
    with pytest.raises(InvalidInput, match="HW41"):
        service.add_stream(book.store, principal=book.e01, enterprise_id=None,
                           code="900-041-41", name="x", form="固态", process="p")  # fmt: skip
    (fac,) = service.list_facilities(book.store, principal=book.e01)
    assert fac.capacity_t == pytest.approx(5.0)  # 5000 kg = 5 t
    mid = _move(book, "generated", 800, "2025-03-01", unit="kg")
    (m,) = [x for x in service.list_movements(book.store, principal=book.e01) if x.id == mid]
    assert m.quantity_t == pytest.approx(0.8)


def test_retrieval_beyond_the_batch_stock_is_refused(book: Ledger) -> None:
    _move(book, "generated", 2, "2025-03-01")
    _move(book, "stored", 2, "2025-03-01", facility_id=book.facility_id)
    with pytest.raises(InvalidInput, match="holds 2 t"):
        _move(book, "retrieved", 3, "2025-03-05", facility_id=book.facility_id)
    with pytest.raises(InvalidInput, match="manifest"):
        _move(book, "transferred", 1, "2025-03-05")


def test_balance_of_a_year_with_a_manifest(book: Ledger) -> None:
    # March: generated 3 t into storage; 2 t retrieved and sent on a manifest; 2.0 arrived.
    # Δstorage = 3 − 2 = 1; residual = 3 − 2 − 0 − 1 = 0; facility holds 1 t of 5 t
    _move(book, "generated", 3, "2025-03-01")
    _move(book, "stored", 3, "2025-03-01", facility_id=book.facility_id)
    _move(book, "retrieved", 2, "2025-03-10", facility_id=book.facility_id)
    m = transfers.create_manifest(
        book.store, principal=book.e01, enterprise_id=None, number="2025-32-0001",
        licence_id=book.licence_id, transporter="某运输公司", transporter_licence="苏交运001",
        lines=[{"stream_id": book.stream_id, "quantity": 2, "unit": "t"}],
    )  # fmt: skip
    transfers.transition(book.store, principal=book.e01, manifest_id=m.id, action="dispatch",
                         at="2025-03-10 15:00", batches=["B1"])  # fmt: skip
    service.set_plan(book.store, principal=book.e01, stream_id=book.stream_id, year=2025,
                     quantity=2.5, unit="t")  # fmt: skip
    bal = service.balance(book.store, principal=book.e01, year=2025)
    (month,) = bal["months"]
    assert (month["generated"], month["transferred"], month["delta_storage"]) == (3, 2, 1)
    assert month["residual"] == pytest.approx(0.0)
    (stream,) = bal["streams"]
    # 3 t against 2.5 t planned: (3 − 2.5) / 2.5 = +20 %
    assert stream["deviation_pct"] == pytest.approx(20.0)
    (fac,) = bal["facilities"]
    assert (fac["stock_t"], fac["capacity_t"]) == (pytest.approx(1.0), pytest.approx(5.0))


def test_unlicensed_receiver_is_refused_naming_the_code(book: Ledger) -> None:
    oil = service.add_stream(book.store, principal=book.e01, enterprise_id=None,
                             code="900-249-08", name="废矿物油", form="液态", process="设备维护")  # fmt: skip
    with pytest.raises(InvalidInput, match="900-249-08"):
        transfers.create_manifest(
            book.store, principal=book.e01, enterprise_id=None, number="2025-32-0002",
            licence_id=book.licence_id, transporter="t", transporter_licence="x",
            lines=[{"stream_id": oil.id, "quantity": 1}],
        )  # fmt: skip
    assert transfers.list_manifests(book.store, principal=book.e01) == []


def test_manifest_state_machine_through_the_service(book: Ledger) -> None:
    m = transfers.create_manifest(
        book.store, principal=book.e01, enterprise_id=None, number="N-1",
        licence_id=book.licence_id, transporter="t", transporter_licence="x",
        lines=[{"stream_id": book.stream_id, "quantity": 1}],
    )  # fmt: skip
    with pytest.raises(Conflict):
        transfers.transition(book.store, principal=book.e01, manifest_id=m.id, action="receive",
                             received=[1])  # fmt: skip
    with pytest.raises(Conflict):
        transfers.transition(book.store, principal=book.e01, manifest_id=m.id, action="close")
    with pytest.raises(Conflict, match="exists"):
        transfers.create_manifest(
            book.store, principal=book.e01, enterprise_id=None, number="N-1",
            licence_id=book.licence_id, transporter="t", transporter_licence="x",
            lines=[{"stream_id": book.stream_id, "quantity": 1}],
        )  # fmt: skip
    c = transfers.transition(book.store, principal=book.e01, manifest_id=m.id, action="cancel")
    assert c.state == "cancelled"
    with pytest.raises(Conflict):
        transfers.transition(book.store, principal=book.e01, manifest_id=m.id, action="dispatch")
    # a cancelled draft moved nothing in the ledger
    assert service.list_movements(book.store, principal=book.e01) == []


def test_deviation_alarms_are_raised_and_cleared_through_the_engine(book: Ledger) -> None:
    made = alarms.install_rules(book.store, principal=SYSTEM)
    assert "waste-storage-over" in made
    _move(book, "generated", 6, "2025-03-01")
    _move(book, "stored", 6, "2025-03-01", facility_id=book.facility_id)  # 6 t in a 5 t store
    _move(book, "generated", 1, "2025-03-02", batch="B9")  # 1 t recorded nowhere after
    m = transfers.create_manifest(
        book.store, principal=book.e01, enterprise_id=None, number="N-2",
        licence_id=book.licence_id, transporter="t", transporter_licence="x",
        lines=[{"stream_id": book.stream_id, "quantity": 1}],
    )  # fmt: skip
    transfers.transition(book.store, principal=book.e01, manifest_id=m.id, action="dispatch",
                         at="2025-03-05", batches=["B9"])  # fmt: skip
    transfers.transition(book.store, principal=book.e01, manifest_id=m.id, action="receive",
                         at="2025-03-06", received=[0.95])  # fmt: skip
    # on 2026-03-01 (365 days after storage): approaching, not over; the rest as set up
    alarms.check_now(book.store, now=us(2026, 3, 1, 20))
    found = _alarms(book)
    assert "waste-storage-approaching" in found and "waste-storage-over" not in found
    assert "第八十一条" in found["waste-storage-approaching"]
    assert "WH-1 holds 6.000 t" in found["waste-storage-capacity"]
    assert "-0.050 t" in found["waste-receipt-difference"]
    assert "GB 18597-2023" in found["waste-storage-capacity"]
    # March: generated 7, transferred 1, stored 6 → residual 7 − 1 − 0 − 6 = 0: balanced
    assert "waste-mass-balance" not in found
    # manifest received 2025-03-06 and never closed: open 360 days > 30
    assert "N-2" in found["waste-manifest-open"]
    # one day later the batch is over the one-year limit
    alarms.check_now(book.store, now=us(2026, 3, 2, 8))
    assert "past the storage limit" in _alarms(book)["waste-storage-over"]
    # closing the manifest after review clears the receipt and open-manifest alarms
    transfers.transition(book.store, principal=book.e01, manifest_id=m.id, action="close")
    alarms.check_now(book.store, now=us(2026, 3, 2, 9))
    left = _alarms(book)
    assert "waste-receipt-difference" not in left and "waste-manifest-open" not in left


def test_mass_balance_alarm(book: Ledger) -> None:
    alarms.install_rules(book.store, principal=SYSTEM)
    # generated 2 t and only 0.5 t disposed: residual 1.5 t, beyond 0.001 t
    _move(book, "generated", 2, "2025-04-01")
    _move(book, "disposed", 0.5, "2025-04-02")
    alarms.check_now(book.store, now=us(2025, 4, 3))
    msg = _alarms(book)["waste-mass-balance"]
    assert "+1.500 t" in msg and "HJ 1259-2022" in msg


def test_plan_deviation_alarm(book: Ledger) -> None:
    alarms.install_rules(book.store, principal=SYSTEM)
    service.set_plan(book.store, principal=book.e01, stream_id=book.stream_id, year=2025,
                     quantity=10, unit="t")  # fmt: skip
    _move(book, "generated", 5, "2025-02-01")
    _move(book, "disposed", 5, "2025-02-02")
    # on 2025-04-10, day 100 of 365: 5 t projects to 5 × 365 / 100 = 18.25 t, +82.5 % > 20 %
    alarms.check_now(book.store, now=us(2025, 4, 10))
    assert "+82.5 %" in _alarms(book)["waste-plan-deviation"]


def test_import_rejects_bad_rows_with_their_line_and_keeps_the_rest(book: Ledger) -> None:
    csv = (
        "stream,kind,batch,quantity,unit,at,facility\n"
        "废活性炭,generated,B1,1.5,t,2025-03-01,\n"  # line 2 ok
        "废活性炭,stored,B1,1500,kg,2025-03-01,WH-1\n"  # line 3 ok (1.5 t)
        "废活性炭,retrieved,B1,2,t,2025-03-02,WH-1\n"  # line 4: more than stored
        "废油,generated,B2,1,t,2025-03-01,\n"  # line 5: unknown stream
        "废活性炭,generated,B3,abc,t,2025-03-01,\n"  # line 6: not a number
        "废活性炭,generated,B4,1,m3,2025-03-01,\n"  # line 7: not a mass
        "废活性炭,retrieved,B1,1,t,2025-03-03,WH-1\n"  # line 8 ok (1 of 1.5 t)
    ).encode()
    r = importer.import_movements(book.store, principal=book.e01, data=csv, filename="l.csv")
    assert r.stored == 3
    assert [x["line"] for x in r.rejected] == [4, 5, 6, 7]
    assert "holds 1.5 t" in r.rejected[0]["reason"]
    assert "废油" in r.rejected[1]["reason"]
    assert "m3" in r.rejected[3]["reason"]


def test_import_from_excel(book: Ledger) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["stream", "kind", "batch", "quantity", "unit", "at"])
    ws.append(["废活性炭", "generated", "X1", 2, "t", "2025-05-01 08:00"])
    ws.append(["废活性炭", "teleported", "X1", 2, "t", "2025-05-01"])
    buf = io.BytesIO()
    wb.save(buf)
    r = importer.import_movements(book.store, principal=book.e01, data=buf.getvalue(),
                                  filename="l.xlsx")  # fmt: skip
    assert r.stored == 1 and r.rejected[0]["line"] == 3 and "teleported" in r.rejected[0]["reason"]


def test_tenancy_of_the_ledger(book: Ledger) -> None:
    _move(book, "generated", 1, "2025-03-01")
    e02 = book.e02
    assert service.list_streams(book.store, principal=e02) == []
    assert service.list_movements(book.store, principal=e02) == []
    with pytest.raises(NotFound):
        service.list_streams(book.store, principal=e02, enterprise_id=book.e01.enterprise_id)
    with pytest.raises(NotFound):
        service.record_movement(book.store, principal=e02, stream_id=book.stream_id,
                                kind="generated", batch="x", quantity=1, at="2025-03-02")  # fmt: skip
    with pytest.raises(NotFound):
        service.set_plan(book.store, principal=e02, stream_id=book.stream_id, year=2025,
                         quantity=1, unit="t")  # fmt: skip
    viewer = enterprise_admin(book.store, "E01", Role.ENTERPRISE_VIEWER)
    with pytest.raises(PermissionDenied):
        _move(Ledger(book.store, viewer, e02, book.stream_id, book.facility_id, 0), "generated",
              1, "2025-03-01")  # fmt: skip
    with pytest.raises(PermissionDenied):
        transfers.add_licence(book.store, principal=book.e01, holder="x", number="y",
                              codes=["HW49"], capacity=1, unit="t", valid_from="2025-01-01",
                              valid_to="2025-12-31")  # fmt: skip
    # park-wide callers see every enterprise's ledger
    assert len(service.list_movements(book.store, principal=SYSTEM)) == 1


def test_exchange_listings_matches_deals_and_utilisation(book: Ledger) -> None:
    s = book.store
    offer = exchange_service.add_listing(
        s, principal=book.e01, enterprise_id=None, side="offer", material="粉煤灰",
        quantity=100, unit="t", period_from="2025-01-01", period_to="2025-12-31",
    )  # fmt: skip
    want = exchange_service.add_listing(
        s, principal=book.e02, enterprise_id=None, side="want", material=" 粉煤灰",
        quantity=40, unit="t", period_from="2025-06-01", period_to="2026-06-30",
    )  # fmt: skip
    # E02 sees E01's offer without its owner
    shown = {x.id: x for x in exchange_service.list_listings(s, principal=book.e02)}
    assert shown[offer.id].enterprise_id == 0 and shown[want.id].enterprise_id == want.enterprise_id
    (match,) = exchange_service.list_matches(s, principal=book.e02)
    assert match.quantity_t == 40  # the smaller of 100 and 40
    deal = exchange_service.add_deal(s, principal=book.e02, offer_id=offer.id, want_id=want.id,
                                     quantity=30, unit="t", agreed_on="2025-06-10")  # fmt: skip
    exchange_service.settle_deal(s, principal=book.e01, deal_id=deal.id, action="complete",
                                 on="2025-07-01")  # fmt: skip
    assert exchange_service.utilisation(s, principal=book.e01, year=2025)["utilised_t"] == 30
    # both parties see the deal (a third enterprise's view is in tests/api/test_waste_api.py)
    assert [d.id for d in exchange_service.list_deals(s, principal=book.e01)] == [deal.id]
    assert [d.id for d in exchange_service.list_deals(s, principal=book.e02)] == [deal.id]
    with pytest.raises(Conflict):
        exchange_service.settle_deal(s, principal=book.e01, deal_id=deal.id, action="cancel",
                                     on="2025-07-02")  # fmt: skip


def test_a_correction_is_a_new_record_and_the_balance_uses_it(book: Ledger) -> None:
    # generated 2 t, corrected to 1.5 t: both records kept, the balance counts 1.5 t
    first = _move(book, "generated", 2, "2025-06-01")
    _move(book, "generated", 1.5, "2025-06-01", corrects_id=first)
    assert len(service.list_movements(book.store, principal=book.e01)) == 2
    (june,) = service.balance(book.store, principal=book.e01, year=2025)["months"]
    assert june["generated"] == pytest.approx(1.5)
    with pytest.raises(InvalidInput, match="corrects_id"):
        _move(book, "disposed", 1, "2025-06-02", corrects_id=first)
