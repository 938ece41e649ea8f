"""The 1+5 guiding indicator 工业固体废物综合利用率 from the statistics records and the
hazardous-waste ledger: the basis stated, the records alone without ledger data."""

from __future__ import annotations

import datetime as dt

import pytest

from lingtan.indicators import records as rec
from lingtan.indicators.evaluate import evaluate
from lingtan.waste import service
from tests.waste.conftest import Ledger


def _move(b: Ledger, kind: str, q: float, at: str, batch: str, **kw: object) -> None:
    service.record_movement(
        b.store, principal=b.e01, stream_id=b.stream_id, kind=kind, batch=batch, quantity=q,
        unit="t", at=at, **kw,
    )  # fmt: skip


def test_solid_waste_utilisation_from_records_and_ledger(book: Ledger) -> None:
    ids = {e.code: e.id for e in book.store.registry.enterprises(book.store.registry.park().id)}
    for item, q in (("generated", 100.0), ("utilised", 85.0)):
        rec.add_record(
            book.store, enterprise_id=ids["E02"], category="solid_waste", item=item,
            period_start=dt.date(2025, 3, 1), period_end=dt.date(2025, 3, 31), quantity=q,
            unit="t", source_document="测试台账", entered_by="test",
        )  # fmt: skip

    def march() -> dict[str, object]:
        r = evaluate(book.store, year=2025, month=3, indicators=["solid_waste_utilisation"])
        (one,) = r.indicators
        return {"value": one.value, **one.inputs, "details": list(one.details)}

    # records only (E02's general waste): 85 / 100
    before = march()
    assert before["basis"] == "records"
    assert before["value"] == pytest.approx(0.85)
    # E01's hazardous-waste ledger in March: 10 t generated, 4 t utilised on site, 6 t stored
    _move(book, "generated", 10, "2025-03-05", "H1")
    _move(book, "utilised", 4, "2025-03-06", "H1")
    _move(book, "stored", 6, "2025-03-06", "H1", facility_id=book.facility_id)
    # η = (85 + 4) / (100 + 10) = 89 / 110 = 0.80909…
    after = march()
    assert after["basis"] == "records+ledger"
    assert after["value"] == pytest.approx(89 / 110)
    assert (after["hazardous_generated_t"], after["hazardous_stored_t"]) == (10, 6)
    assert {d["enterprise"]: d["basis"] for d in after["details"]} == {  # type: ignore[attr-defined]
        "E01": "ledger", "E02": "records",
    }  # fmt: skip
    # E01 alone: the ledger only, 4 / 10
    (e01,) = evaluate(book.store, year=2025, month=3, enterprise_id=ids["E01"],
                      indicators=["solid_waste_utilisation"]).indicators  # fmt: skip
    assert (e01.inputs["basis"], e01.value) == ("ledger", pytest.approx(0.4))


def test_exchange_deals_are_checked_against_the_sellers_records_never_added(
    book: Ledger,
) -> None:
    from lingtan.waste import exchange_service

    s = book.store
    ids = {e.code: e.id for e in s.registry.enterprises(s.registry.park().id)}
    # E02's general-waste records for March: 100 t generated, 20 t utilised
    for item, q in (("generated", 100.0), ("utilised", 20.0)):
        rec.add_record(
            s, enterprise_id=ids["E02"], category="solid_waste", item=item,
            period_start=dt.date(2025, 3, 1), period_end=dt.date(2025, 3, 31), quantity=q,
            unit="t", source_document="测试台账", entered_by="test",
        )  # fmt: skip

    def sell(seller: str, buyer: str, tonnes: float, done: str) -> int:
        principal = book.e02 if seller == "E02" else book.e01
        offer = exchange_service.add_listing(
            s, principal=principal, enterprise_id=None, side="offer", material="粉煤灰",
            quantity=tonnes, unit="t", period_from="2025-01-01", period_to="2025-12-31",
        )  # fmt: skip
        deal = exchange_service.add_deal(
            s, principal=principal, offer_id=offer.id, buyer_id=ids[buyer], quantity=tonnes,
            unit="t", agreed_on="2025-03-01",
        )  # fmt: skip
        exchange_service.settle_deal(s, principal=principal, deal_id=deal.id, action="complete",
                                     on=done)  # fmt: skip
        return deal.id

    def march(enterprise: str | None = None) -> tuple[object, dict[str, object], list[object]]:
        (one,) = evaluate(
            s, year=2025, month=3, indicators=["solid_waste_utilisation"],
            enterprise_id=None if enterprise is None else ids[enterprise],
        ).indicators  # fmt: skip
        checks = [e for e in one.evidence if e.get("kind") == "waste_exchange"]
        return one.value, dict(one.inputs), checks

    # 15 t sold by E02 in March: inside its 20 t utilised, the rate stays 20 / 100
    first = sell("E02", "E01", 15, "2025-03-20")
    value, inputs, checks = march()
    assert value == pytest.approx(0.20)
    assert inputs["exchange_deals_t"] == 15 and inputs["exchange_sellers_to_check"] == []
    assert checks == [{
        "kind": "waste_exchange", "enterprise": "E02", "deals": [first], "deals_t": 15.0,
        "records_utilised_t": 20.0, "check": "within_records",
        "source": "固废交换成交记录 / completed waste-exchange deals",
    }]  # fmt: skip
    # 10 t more (25 t exchanged > 20 t recorded): named, the value still the records' 20 / 100
    sell("E02", "E01", 10, "2025-03-25")
    # and E01 sells 5 t with no general-waste record at all; a deal completed in April is
    # outside March
    sell("E01", "E02", 5, "2025-03-28")
    sell("E02", "E01", 7, "2025-04-02")
    value, inputs, checks = march()
    assert value == pytest.approx(0.20)
    assert inputs["exchange_deals_t"] == 30  # 15 + 10 (E02) + 5 (E01)
    assert {c["enterprise"]: (c["deals_t"], c["check"]) for c in checks} == {  # type: ignore[index]
        "E02": (25.0, "records_below_deals"), "E01": (5.0, "no_records"),
    }  # fmt: skip
    assert sorted(inputs["exchange_sellers_to_check"]) == ["E01", "E02"]  # type: ignore[arg-type]
    # an enterprise's evaluation sees its own sales only
    _, _, e01_checks = march("E01")
    assert [c["enterprise"] for c in e01_checks] == ["E01"]  # type: ignore[index]
    # the annual report's exchange section lists the deals the scope sold in the year: E01's
    # own 5 t only for E01; the park's report all four (2025)
    from lingtan.identity.roles import SYSTEM
    from lingtan.waste import report

    mine = report.build(s, principal=book.e01, year=2025, fmt="html").decode()
    park = report.build(s, principal=SYSTEM, year=2025, fmt="html").decode()
    assert "2025-03-28" in mine and "2025-03-20" not in mine
    assert all(day in park for day in ("2025-03-20", "2025-03-25", "2025-03-28", "2025-04-02"))
    assert "由产生单位统计" in park
