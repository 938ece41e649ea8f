"""Pure rules of the waste ledger: mass balance, corrections, stock, the storage-time limit at
its boundary, plan deviation. Expected values derived by hand in the comments."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from lingtan.errors import InvalidInput
from lingtan.waste import ledger
from lingtan.waste.model import Movement, MovementKind, StorageExtension

SH = ZoneInfo("Asia/Shanghai")
K = MovementKind


def _us(y: int, m: int, d: int, h: int = 12) -> int:
    return int(dt.datetime(y, m, d, h, tzinfo=SH).timestamp() * 1_000_000)


def _m(i: int, kind: MovementKind, q: float, at: int, *, batch: str = "B1", stream: int = 1,
       facility: int | None = None, corrects: int | None = None) -> Movement:  # fmt: skip
    if kind in (K.STORED, K.RETRIEVED) and facility is None:
        facility = 7
    return Movement(
        id=i, enterprise_id=1, stream_id=stream, kind=kind, batch=batch, quantity=q, unit="t",
        quantity_t=q, at=at, facility_id=facility, corrects_id=corrects,
    )  # fmt: skip


def test_mass_balance_closes_when_every_step_is_recorded() -> None:
    # March: generated 2.0 + 1.5 = 3.5 t, stored 3.5, retrieved 3.0, transferred 2.5,
    # disposed on site 0.5 → Δstorage = 3.5 − 3.0 = 0.5; residual = 3.5 − 2.5 − 0.5 − 0.5 = 0
    moves = [
        _m(1, K.GENERATED, 2.0, _us(2025, 3, 1)),
        _m(2, K.STORED, 2.0, _us(2025, 3, 1)),
        _m(3, K.GENERATED, 1.5, _us(2025, 3, 10), batch="B2"),
        _m(4, K.STORED, 1.5, _us(2025, 3, 10), batch="B2"),
        _m(5, K.RETRIEVED, 2.0, _us(2025, 3, 20)),
        _m(6, K.RETRIEVED, 1.0, _us(2025, 3, 20), batch="B2"),
        _m(7, K.TRANSFERRED, 2.5, _us(2025, 3, 21)),
        _m(8, K.DISPOSED, 0.5, _us(2025, 3, 22), batch="B2"),
    ]
    (march,) = ledger.balances(moves, SH)
    assert march.month == "2025-03"
    assert march.generated == pytest.approx(3.5)
    assert march.delta_storage == pytest.approx(0.5)
    assert march.own == pytest.approx(0.5)
    assert march.residual == pytest.approx(0.0)


def test_mass_balance_shows_waste_unaccounted_for_per_month() -> None:
    # April: generated 4 t, transferred 1 t, nothing stored or handled: residual 4 − 1 = 3 t;
    # May: transferred 1 t with nothing generated or retrieved: residual 0 − 1 = −1 t
    moves = [
        _m(1, K.GENERATED, 4.0, _us(2025, 4, 2)),
        _m(2, K.TRANSFERRED, 1.0, _us(2025, 4, 30, 23)),
        _m(3, K.TRANSFERRED, 1.0, _us(2025, 5, 1, 0)),
    ]
    april, may = ledger.balances(moves, SH)
    assert (april.month, april.residual) == ("2025-04", pytest.approx(3.0))
    assert (may.month, may.residual) == ("2025-05", pytest.approx(-1.0))


def test_a_correction_replaces_the_record_it_names() -> None:
    # generated 5 t, corrected to 4 t, the correction corrected to 4.2 t: only 4.2 counts
    moves = [
        _m(1, K.GENERATED, 5.0, _us(2025, 3, 1)),
        _m(2, K.GENERATED, 4.0, _us(2025, 3, 1), corrects=1),
        _m(3, K.GENERATED, 4.2, _us(2025, 3, 1), corrects=2),
    ]
    assert [m.id for m in ledger.effective(moves)] == [3]
    assert ledger.balances(moves, SH)[0].generated == pytest.approx(4.2)


def test_stock_keeps_a_partly_retrieved_batch_and_its_first_storage_time() -> None:
    # B1: stored 3 t on 1 March, 1 t more on 5 March, 2.5 t retrieved → 1.5 t left, dated 1 March
    # B2: stored 1 t and retrieved 1 t → gone
    moves = [
        _m(1, K.STORED, 3.0, _us(2025, 3, 1)),
        _m(2, K.STORED, 1.0, _us(2025, 3, 5)),
        _m(3, K.RETRIEVED, 2.5, _us(2025, 3, 9)),
        _m(4, K.STORED, 1.0, _us(2025, 3, 2), batch="B2"),
        _m(5, K.RETRIEVED, 1.0, _us(2025, 3, 3), batch="B2"),
    ]
    (item,) = ledger.stock(moves)
    assert item.batch == "B1"
    assert item.quantity_t == pytest.approx(1.5)
    assert item.first_stored_at == _us(2025, 3, 1)


def test_storage_limit_is_one_civil_year_365_days_within_366_over() -> None:
    # 固废法 第八十一条 "不得超过一年", counted per 民法典 第二百零一/二百零二条: stored on
    # 2025-03-01, the year ends on 2026-03-01 (365 days later): still within; 2026-03-02 over
    stored = _us(2025, 3, 1, 9)
    on_365 = ledger.storage_age(stored, _us(2026, 3, 1, 23), SH)
    assert on_365.days_stored == 365
    assert on_365.deadline == dt.date(2026, 3, 1)
    assert (on_365.days_left, on_365.over) == (0, False)
    on_366 = ledger.storage_age(stored, _us(2026, 3, 2, 0), SH)
    assert on_366.days_stored == 366
    assert (on_366.days_left, on_366.over) == (-1, True)


def test_storage_limit_over_a_leap_day_and_from_29_february() -> None:
    # stored 2024-01-15: one year ends 2025-01-15, 366 days later (2024 has 29 February)
    assert ledger.storage_deadline(dt.date(2024, 1, 15)) == dt.date(2025, 1, 15)
    # stored 2024-02-29: no 29 February in 2025 → the month's last day, 28 February
    assert ledger.storage_deadline(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    with pytest.raises(InvalidInput, match="years"):
        ledger.storage_deadline(dt.date(2024, 1, 1), 0)


def _ext(
    i: int, approved: str, until: str, *, batch: str = "B1", stream: int = 1
) -> StorageExtension:
    return StorageExtension(
        id=i, park_id=1, enterprise_id=1, stream_id=stream, batch=batch, authority="某市生态环境局",
        number=f"延期〔2026〕{i}号", approved_on=approved, until=until, created_by="t",
        created_at=0,
    )  # fmt: skip


def test_storage_limit_with_an_extension_at_its_boundary() -> None:
    # stored 2025-03-01: statutory limit 2026-03-01 (test above). Extension approved 2026-02-10,
    # storage permitted until 2026-06-30 (inclusive, like the statutory deadline).
    stored = _us(2025, 3, 1, 9)
    ext = ledger.extension_for([_ext(1, "2026-02-10", "2026-06-30")], 1, "B1", dt.date(2025, 3, 1))
    assert ext is not None
    # 2026-03-02, the first day over the year: without the extension −1, with it
    # 2026-03-02 → 2026-06-30 = 29 (rest of March) + 30 + 31 + 30 = 120 days left
    assert ledger.storage_age(stored, _us(2026, 3, 2, 0), SH).days_left == -1
    extended = ledger.storage_age(stored, _us(2026, 3, 2, 0), SH, extension=ext)
    assert (extended.days_left, extended.over) == (120, False)
    assert (extended.deadline, extended.statutory) == (dt.date(2026, 6, 30), dt.date(2026, 3, 1))
    assert extended.extension == ext
    # the last permitted day: 0 left; days stored 365 + (2026-03-01 → 06-30: 30+30+31+30 = 121)
    last = ledger.storage_age(stored, _us(2026, 6, 30, 23), SH, extension=ext)
    assert (last.days_stored, last.days_left, last.over) == (486, 0, False)
    # the day after: over by one
    after = ledger.storage_age(stored, _us(2026, 7, 1, 0), SH, extension=ext)
    assert (after.days_left, after.over) == (-1, True)


def test_which_extension_applies_to_a_batch() -> None:
    day = dt.date(2025, 3, 1)  # the batch's storage began
    first, later = _ext(1, "2026-02-10", "2026-06-30"), _ext(2, "2026-06-20", "2026-12-31")
    # the latest approval replaces the earlier one
    assert ledger.extension_for([later, first], 1, "B1", day) == later
    # another batch's, another stream's, or one approved before this storage began: none
    assert ledger.extension_for([_ext(3, "2026-02-10", "2026-06-30", batch="B2")], 1, "B1",
                                day) is None  # fmt: skip
    assert ledger.extension_for([_ext(4, "2026-02-10", "2026-06-30", stream=2)], 1, "B1",
                                day) is None  # fmt: skip
    assert ledger.extension_for([_ext(5, "2025-02-20", "2026-06-30")], 1, "B1", day) is None
    # an extension ending on or before the statutory limit (2026-03-01) extends nothing
    short = ledger.storage_age(_us(2025, 3, 1), _us(2026, 2, 1), SH,
                               extension=_ext(6, "2026-01-10", "2026-02-28"))  # fmt: skip
    assert (short.deadline, short.extension) == (dt.date(2026, 3, 1), None)
    # 2026-02-01 → 2026-03-01: 28 days left (February 2026 has 28 days)
    assert short.days_left == 28


def test_plan_deviation_and_projection() -> None:
    # 12 t planned, 15 t actual: (15 − 12) / 12 = +25 %
    assert ledger.plan_deviation_pct(15.0, 12.0) == pytest.approx(25.0)
    assert ledger.plan_deviation_pct(1.0, 0.0) is None
    # 3 t in the first 73 of 365 days projects to 3 × 365 / 73 = 15 t; a full year is itself
    assert ledger.projected_year(3.0, 73, 365) == pytest.approx(15.0)
    assert ledger.projected_year(3.0, 365, 365) == pytest.approx(3.0)


def test_trace_follows_a_batch_from_generation_to_disposal() -> None:
    moves = [
        _m(3, K.DISPOSED, 1.0, _us(2025, 3, 9)),
        _m(1, K.GENERATED, 1.0, _us(2025, 3, 1)),
        _m(2, K.STORED, 1.0, _us(2025, 3, 2)),
        _m(4, K.GENERATED, 9.0, _us(2025, 3, 1), batch="other"),
    ]
    assert [m.kind for m in ledger.trace(moves, "B1")] == [K.GENERATED, K.STORED, K.DISPOSED]


def test_period_figures_in_the_terms_of_the_statistics() -> None:
    # Batch A: 4 t generated 2024-11-05 and stored; 1.5 t retrieved and utilised on site
    # 2025-02-10 (from the previous year's storage). Batch B: 3 t generated 2025-03-01, 1 t
    # utilised, 0.5 t disposed, 1.5 t stored. Batch C: 2 t generated 2025-04-01 (not stored).
    moves = [
        _m(1, K.GENERATED, 4.0, _us(2024, 11, 5), batch="A"),
        _m(2, K.STORED, 4.0, _us(2024, 11, 5), batch="A"),
        _m(3, K.RETRIEVED, 1.5, _us(2025, 2, 10), batch="A"),
        _m(4, K.UTILISED, 1.5, _us(2025, 2, 10), batch="A"),
        _m(5, K.GENERATED, 3.0, _us(2025, 3, 1), batch="B"),
        _m(6, K.UTILISED, 1.0, _us(2025, 3, 2), batch="B"),
        _m(7, K.DISPOSED, 0.5, _us(2025, 3, 3), batch="B"),
        _m(8, K.STORED, 1.5, _us(2025, 3, 4), batch="B"),
        _m(9, K.GENERATED, 2.0, _us(2025, 4, 1), batch="C"),
    ]
    # Year 2025: G = 3 + 2 = 5; U = 1.5 + 1 = 2.5, of which U_s = 1.5 (batch A, born 2024);
    # disposed 0.5; stock at the end = (4 − 1.5) + 1.5 = 4.0; records 3,4,5,6,7,8,9 = 7
    (y,) = ledger.period_figures(moves, SH, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert (y.enterprise_id, y.generated, y.utilised, y.utilised_from_storage) == (1, 5, 2.5, 1.5)
    assert (y.disposed, y.transferred, y.stored, y.records) == (0.5, 0, 4.0, 7)
    # March only: G = 3, U = 1, U_s = 0, stock on 31 March 4.0 (2.5 of A + 1.5 of B), 4 records
    (m,) = ledger.period_figures(moves, SH, dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert (m.generated, m.utilised, m.utilised_from_storage, m.stored, m.records) == (
        3,
        1,
        0,
        4.0,
        4,
    )
    # December 2024 has no record: the ledger has no data for it
    assert ledger.period_figures(moves, SH, dt.date(2024, 12, 1), dt.date(2024, 12, 31)) == []


def test_receipt_tolerance_is_the_larger_of_tonnes_and_percent() -> None:
    # 2 t sent, 1.9 t received: −0.1 t. Tolerance 0.001 t: beyond. 10 % of 2 t = 0.2 t: within.
    # 5 % of 2 t = 0.1 t: exactly at the limit, not beyond.
    assert ledger.receipt_beyond(2.0, 1.9, 0.001, 0.0)
    assert not ledger.receipt_beyond(2.0, 1.9, 0.001, 10.0)
    assert not ledger.receipt_beyond(2.0, 1.9 + 1e-12, 0.001, 5.0)
    assert ledger.receipt_beyond(2.0, 1.85, 0.001, 5.0)
