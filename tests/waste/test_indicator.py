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
