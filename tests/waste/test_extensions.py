"""Approved extensions of the storage time (固废法 第八十一条第三款) on a stored park (SQLite and
PostgreSQL): the storage status and the storage alarms use the extended limit and name the
approval; bad extensions are refused naming the field; another enterprise's are invisible and
unusable. Dates derived by hand in the comments."""

from __future__ import annotations

import pytest

from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import SYSTEM, Role
from lingtan.waste import alarms, service
from lingtan.waste.model import StorageExtension
from tests.waste.conftest import Ledger, enterprise_admin, us
from tests.waste.test_service import _alarms, _move

NUMBER = "苏环危贮延〔2026〕12号"
AUTHORITY = "苏州市生态环境局"


def _store_batch(b: Ledger, batch: str, day: str = "2025-03-01") -> None:
    _move(b, "generated", 1, f"{day} 09:00", batch=batch)
    _move(b, "stored", 1, f"{day} 09:30", batch=batch, facility_id=b.facility_id)


def _extend(b: Ledger, batch: str = "B1", **kw: str) -> StorageExtension:
    data = {"authority": AUTHORITY, "number": NUMBER, "approved_on": "2026-02-10",
            "until": "2026-06-30", **kw}  # fmt: skip
    return service.add_extension(
        b.store, principal=b.e01, stream_id=b.stream_id, batch=batch, **data
    )


def _status(b: Ledger, now: int) -> dict[str, dict[str, object]]:
    return {x["batch"]: x for x in service.storage_status(b.store, principal=b.e01, now=now)}


def test_storage_status_uses_the_extended_limit_at_its_boundary(book: Ledger) -> None:
    # B1 and B2 stored on 2025-03-01: statutory limit 2026-03-01 (one civil year). B1 has an
    # extension approved 2026-02-10 permitting storage until 2026-06-30.
    _store_batch(book, "B1")
    _store_batch(book, "B2")
    ext = _extend(book)
    # 2026-03-02: B2 is one day over; B1 has 2026-03-02 → 06-30 = 29 + 30 + 31 + 30 = 120 left
    st = _status(book, us(2026, 3, 2, 8))
    assert (st["B2"]["days_left"], st["B2"]["status"], st["B2"]["extension_number"]) == (
        -1, "over", None)  # fmt: skip
    assert (st["B1"]["days_left"], st["B1"]["status"]) == (120, "ok")
    assert (st["B1"]["deadline"], st["B1"]["statutory_deadline"]) == ("2026-06-30", "2026-03-01")
    assert (st["B1"]["extension_number"], st["B1"]["extension_authority"]) == (NUMBER, AUTHORITY)
    assert st["B1"]["extension_id"] == ext.id
    # the last permitted day: 0 left (within the 30-day warning); the next day over by one
    assert (_status(book, us(2026, 6, 30, 20))["B1"]["days_left"],
            _status(book, us(2026, 6, 30, 20))["B1"]["status"]) == (0, "approaching")  # fmt: skip
    assert _status(book, us(2026, 7, 1, 8))["B1"]["days_left"] == -1
    # the extension is listed with who entered it
    (listed,) = service.list_extensions(book.store, principal=book.e01)
    assert (listed.number, listed.until, listed.created_by) == (NUMBER, "2026-06-30", "u-E01")


def test_a_bad_extension_is_refused_naming_the_field(book: Ledger) -> None:
    _store_batch(book, "B1")
    _move(book, "generated", 1, "2025-03-01", batch="B7")  # generated, never stored
    cases = [
        ({"until": "2026-02-01"}, "until"),  # before the approval date 2026-02-10
        ({"until": "2026-02-10"}, "until"),  # the approval day itself extends nothing
        ({"until": "2026-03-01"}, "until"),  # not after the statutory limit 2026-03-01
        ({"approved_on": "2026-13-01"}, "approved_on"),  # no 13th month
        ({"approved_on": "2099-01-05", "until": "2099-12-31"}, "approved_on"),  # in the future
        ({"approved_on": "2025-02-01", "until": "2025-12-31"}, "batch"),  # before B1 was stored
        ({"authority": "  "}, "authority"),
    ]
    for kw, field in cases:
        with pytest.raises(InvalidInput) as err:
            _extend(book, **kw)
        assert err.value.field == field, (kw, err.value)
    with pytest.raises(InvalidInput) as err:
        _extend(book, batch="B7")  # nothing of B7 in storage
    assert err.value.field == "batch"
    with pytest.raises(NotFound):  # an unknown stream
        service.add_extension(book.store, principal=book.e01, stream_id=10**9, batch="B1",
                              authority=AUTHORITY, number=NUMBER, approved_on="2026-02-10",
                              until="2026-06-30")  # fmt: skip
    assert service.list_extensions(book.store, principal=book.e01) == []
    _extend(book)
    with pytest.raises(Conflict):  # the same approval twice for the batch
        _extend(book)


def test_another_enterprises_extension_is_neither_visible_nor_usable(book: Ledger) -> None:
    _store_batch(book, "B1")
    _extend(book)
    e02 = book.e02
    e01_id = book.e01.enterprise_id
    assert service.list_extensions(book.store, principal=e02) == []
    with pytest.raises(NotFound):
        service.list_extensions(book.store, principal=e02, enterprise_id=e01_id)
    with pytest.raises(NotFound):  # E01's stream is not E02's to extend
        service.add_extension(book.store, principal=e02, stream_id=book.stream_id, batch="B1",
                              authority=AUTHORITY, number="X-2", approved_on="2026-02-10",
                              until="2026-06-30")  # fmt: skip
    viewer = enterprise_admin(book.store, "E01", Role.ENTERPRISE_VIEWER)
    with pytest.raises(PermissionDenied):
        service.add_extension(book.store, principal=viewer, stream_id=book.stream_id, batch="B1",
                              authority=AUTHORITY, number="X-3", approved_on="2026-02-10",
                              until="2026-06-30")  # fmt: skip
    # E02 stores its own batch B1 on the same day: E01's extension does not apply to it
    s2 = service.add_stream(book.store, principal=e02, enterprise_id=None, code="900-039-49",
                            name="废活性炭", form="固态", process="VOCs 治理")  # fmt: skip
    f2 = service.add_facility(book.store, principal=e02, enterprise_id=None, code="WH-2",
                              name="暂存间", location="", capacity=1, unit="t")  # fmt: skip
    for kind in ("generated", "stored"):
        service.record_movement(book.store, principal=e02, stream_id=s2.id, kind=kind,
                                batch="B1", quantity=1, at="2025-03-01 10:00",
                                facility_id=f2.id if kind == "stored" else None)  # fmt: skip
    (mine,) = service.storage_status(book.store, principal=e02, now=us(2026, 3, 2, 8))
    assert (mine["days_left"], mine["extension_number"]) == (-1, None)
    # the park sees E01's extension on E01's batch only
    park = {(x["enterprise_id"], x["batch"]): x for x in service.storage_status(
        book.store, principal=SYSTEM, now=us(2026, 3, 2, 8))}  # fmt: skip
    assert park[(e01_id, "B1")]["extension_number"] == NUMBER
    assert park[(e02.enterprise_id, "B1")]["extension_number"] is None
    assert [e.number for e in service.list_extensions(book.store, principal=SYSTEM)] == [NUMBER]


def test_storage_alarms_use_the_extended_limit_and_name_the_approval(book: Ledger) -> None:
    alarms.install_rules(book.store, principal=SYSTEM)
    _store_batch(book, "B1")
    # 2026-03-02: one day past the statutory limit 2026-03-01
    alarms.check_now(book.store, now=us(2026, 3, 2, 8))
    assert "1 day(s) past the storage limit (2026-03-01;" in _alarms(book)["waste-storage-over"]
    _extend(book)
    # the same day with the extension: 120 days left (> 30-day warning): both alarms cleared
    alarms.check_now(book.store, now=us(2026, 3, 2, 9))
    found = _alarms(book)
    assert "waste-storage-over" not in found and "waste-storage-approaching" not in found
    # 2026-06-01: 2026-06-01 → 06-30 = 29 days left ≤ 30: approaching, naming the approval
    alarms.check_now(book.store, now=us(2026, 6, 1, 9))
    msg = _alarms(book)["waste-storage-approaching"]
    assert "29 day(s) left before the storage limit (2026-06-30, extended by approval" in msg
    assert NUMBER in msg and AUTHORITY in msg
    # 2026-07-01: one day past the extended limit
    alarms.check_now(book.store, now=us(2026, 7, 1, 9))
    assert "1 day(s) past the storage limit (2026-06-30, extended" in _alarms(book)[
        "waste-storage-over"]  # fmt: skip
