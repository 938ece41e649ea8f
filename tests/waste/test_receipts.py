"""Receipts confirmed by a receiver of the park, and cross-province transfer approvals as a
precondition of a manifest (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from lingtan.errors import InvalidInput, PermissionDenied
from lingtan.identity.roles import SYSTEM
from lingtan.waste import alarms, report, service, transfers
from tests.waste.conftest import Ledger, us


def _manifest(b: Ledger, number: str, licence_id: int, q: float, **kw: object) -> int:
    return transfers.create_manifest(
        b.store, principal=b.e01, enterprise_id=None, number=number, licence_id=licence_id,
        transporter="某运输公司", transporter_licence="苏交运001",
        lines=[{"stream_id": b.stream_id, "quantity": q}], **kw,
    ).id  # fmt: skip


def test_a_receiver_of_the_park_confirms_its_receipt(book: Ledger) -> None:
    alarms.install_rules(book.store, principal=SYSTEM)
    lic = transfers.add_licence(
        book.store, principal=SYSTEM, holder="乙（园区内利用单位，合成）", number="JS-HW-0002",
        codes=["900-039-49"], capacity=50, unit="t", valid_from="2020-01-01",
        valid_to="2030-12-31", enterprise_id=book.e02.enterprise_id,
    )  # fmt: skip
    service.record_movement(book.store, principal=book.e01, stream_id=book.stream_id,
                            kind="generated", batch="B1", quantity=2, unit="t",
                            at="2025-03-01")  # fmt: skip
    mid = _manifest(book, "R-1", lic.id, 2)
    # E02 sees the draft addressed to it, but only the generator dispatches
    assert [m.number for m in transfers.list_manifests(book.store, principal=book.e02)] == ["R-1"]
    with pytest.raises(PermissionDenied, match="receiver only"):
        transfers.transition(book.store, principal=book.e02, manifest_id=mid, action="dispatch")
    transfers.transition(book.store, principal=book.e01, manifest_id=mid, action="dispatch",
                         at="2025-03-02", batches=["B1"])  # fmt: skip
    # the generator may not record the receipt of a receiver that confirms its own
    with pytest.raises(PermissionDenied, match="confirmed by the receiver"):
        transfers.transition(book.store, principal=book.e01, manifest_id=mid, action="receive",
                             received=[2])  # fmt: skip
    m = transfers.transition(book.store, principal=book.e02, manifest_id=mid, action="receive",
                             at="2025-03-03", received=[1900], unit="kg")  # fmt: skip
    # 1.9 t of 2 t: −0.1 t, beyond the default 0.001 t → the receipt-difference alarm
    assert (m.state, m.history[-1]["by"]) == ("received", "receiver")
    assert m.difference_t == pytest.approx(-0.1)
    alarms.check_now(book.store, now=us(2025, 3, 4))
    found = {a.rule_code for a in _open(book)}
    assert "waste-receipt-difference" in found
    # the receipt lands in the generator's ledger; the receiver does not close it
    (rec,) = [x for x in service.list_movements(book.store, principal=book.e01)
              if x.kind.value == "received"]  # fmt: skip
    assert (rec.quantity_t, rec.enterprise_id) == (pytest.approx(1.9), book.e01.enterprise_id)
    with pytest.raises(PermissionDenied):
        transfers.transition(book.store, principal=book.e02, manifest_id=mid, action="close")
    # the annual report as HTML names the manifest, its difference and who confirmed it
    page = report.build(book.store, principal=book.e01, year=2025, fmt="html").decode()
    assert "危险废物年度管理报告" in page and "R-1" in page and "接收单位" in page
    assert "-0.1000" in page or "−0.1000" in page
    with pytest.raises(InvalidInput, match="format"):
        report.build(book.store, principal=book.e01, year=2025, fmt="pdf")


def _open(b: Ledger) -> list:  # type: ignore[type-arg]
    from lingtan.alarms import service as alarm_service
    from lingtan.store.alarms_repo import AlarmFilter

    items, _ = alarm_service.list_alarms(
        b.store, principal=SYSTEM, filters=AlarmFilter(kinds=["waste"], states=["open"]),
        limit=100, offset=0,
    )  # fmt: skip
    return list(items)


def test_cross_province_manifest_needs_an_approval(book: Ledger) -> None:
    # the park is in 江苏; the receiver in 浙江省
    zj = transfers.add_licence(
        book.store, principal=SYSTEM, holder="浙江某处置公司（合成）", number="ZJ-HW-0001",
        codes=["HW49"], capacity=100, unit="t", valid_from="2020-01-01", valid_to="2030-12-31",
        province="浙江省",
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="none is recorded"):
        _manifest(book, "X-1", zj.id, 1)
    with pytest.raises(InvalidInput, match="own province"):
        transfers.add_approval(
            book.store, principal=book.e01, enterprise_id=None, number="A-0", destination="江苏省",
            codes=["HW49"], quantity=3, unit="t", valid_from="2025-01-01", valid_to="2030-12-31",
        )  # fmt: skip
    a = transfers.add_approval(
        book.store, principal=book.e01, enterprise_id=None, number="苏环危转〔2025〕1号",
        destination="浙江", codes=["900-039-49"], quantity=3, unit="t",
        valid_from="2025-01-01", valid_to="2030-12-31",
    )  # fmt: skip
    # 2 t under the 3 t approved; then 1.5 t more would make 3.5 t > 3 t
    first = _manifest(book, "X-2", zj.id, 2)
    got = transfers.get_manifest(book.store, principal=book.e01, manifest_id=first)
    assert got.approval_id == a.id
    with pytest.raises(InvalidInput, match="exceed the 3 t"):
        _manifest(book, "X-3", zj.id, 1.5, approval_id=a.id)
    # E02 neither sees E01's approval nor may use it
    assert transfers.list_approvals(book.store, principal=book.e02) == []
    # a receiver in the park's province needs none (the fixture's licence states none)
    _manifest(book, "X-4", book.licence_id, 1)
