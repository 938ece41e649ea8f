"""Certificate ledger rules: ids, validity, retire once, consumption cap, no double claims."""

from __future__ import annotations

import datetime as dt

import pytest

from lingtan.carbon.activity import parse_activity
from lingtan.carbon.factors import default_library
from lingtan.carbon.inventory import account
from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.greenpower import Certificate, Ledger, Month, Period, TradeSettlement

YEAR_2024 = Period(Month(2024, 1), Month(2024, 12))
MARCH_2024 = Month(2024, 3)


def cid(n: int) -> str:
    """A 32-digit certificate id."""
    return f"{n:032d}"


def ledger_with(n: int, month: Month = MARCH_2024, tradable: bool = True) -> Ledger:
    ledger = Ledger()
    for i in range(n):
        ledger.add_certificate(Certificate(cid(i + 1), "光伏电站A", month, tradable))
    return ledger


def test_certificate_id_is_32_digits_and_stands_for_1000_kwh() -> None:
    """1 certificate = 1 000 kWh (发改能源〔2023〕1044号); ids are 32 digits."""
    assert Certificate(cid(7), "风电场B", Month(2024, 1)).kwh == 1000
    for bad in ("123", "x" * 32, cid(1) + "0"):
        with pytest.raises(InvalidInput) as err:
            Certificate(bad, "风电场B", Month(2024, 1))
        assert err.value.field == "cert_id"


def test_validity_two_years_from_production_month() -> None:
    """Produced 2024-03 → valid through the end of the 24th month counting March 2024: 2026-02-28."""
    assert Certificate(cid(1), "p", Month(2024, 3)).valid_until == dt.date(2026, 2, 28)
    assert Certificate(cid(1), "p", Month(2023, 1)).valid_until == dt.date(2024, 12, 31)


def test_retire_once() -> None:
    """A second retirement of the same certificate is a Conflict."""
    ledger = ledger_with(2)
    ledger.retire(
        [cid(1)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=YEAR_2024,
        today=dt.date(2025, 1, 10),
        consumption_kwh=10_000,
    )
    with pytest.raises(Conflict, match="retired once"):
        ledger.retire(
            [cid(1)],
            claimant="E02",
            level="enterprise",
            park="P1",
            period=YEAR_2024,
            today=dt.date(2025, 1, 11),
            consumption_kwh=10_000,
        )


def test_park_and_enterprise_cannot_both_claim() -> None:
    """The park cannot retire a certificate an enterprise of the park already claimed."""
    ledger = ledger_with(1)
    ledger.retire(
        [cid(1)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=YEAR_2024,
        today=dt.date(2025, 1, 10),
        consumption_kwh=10_000,
    )
    with pytest.raises(Conflict, match="cannot both claim"):
        ledger.retire(
            [cid(1)],
            claimant="P1",
            level="park",
            park="P1",
            period=YEAR_2024,
            today=dt.date(2025, 1, 10),
            consumption_kwh=1e9,
        )


def test_not_after_expiry() -> None:
    """Retiring on the day after validity ends is refused; on the last day it is accepted."""
    ledger = ledger_with(2, Month(2023, 1))
    with pytest.raises(Conflict, match="expired"):
        ledger.retire(
            [cid(1)],
            claimant="E01",
            level="enterprise",
            park="P1",
            period=YEAR_2024,
            today=dt.date(2025, 1, 1),
            consumption_kwh=10_000,
        )
    ledger.retire(
        [cid(2)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=YEAR_2024,
        today=dt.date(2024, 12, 31),
        consumption_kwh=10_000,
    )


def test_not_more_than_consumed() -> None:
    """Consumed 2 500 kWh: two certificates (2 000 kWh) fit, a third (3 000 kWh) does not."""
    ledger = ledger_with(3)
    ledger.retire(
        [cid(1), cid(2)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=YEAR_2024,
        today=dt.date(2025, 1, 10),
        consumption_kwh=2500,
    )
    with pytest.raises(InvalidInput) as err:
        ledger.retire(
            [cid(3)],
            claimant="E01",
            level="enterprise",
            park="P1",
            period=Period(Month(2024, 6), Month(2024, 6)),
            today=dt.date(2025, 1, 10),
            consumption_kwh=2500,
        )
    assert err.value.field == "consumption_kwh"


def test_retirement_is_all_or_none() -> None:
    """One bad certificate in a batch leaves the others unretired."""
    ledger = ledger_with(1)
    with pytest.raises(NotFound):
        ledger.retire(
            [cid(1), cid(99)],
            claimant="E01",
            level="enterprise",
            park="P1",
            period=YEAR_2024,
            today=dt.date(2025, 1, 10),
            consumption_kwh=1e6,
        )
    assert ledger.green_electricity("E01", YEAR_2024).certified_kwh == 0
    with pytest.raises(InvalidInput, match="twice"):
        ledger.retire(
            [cid(1), cid(1)],
            claimant="E01",
            level="enterprise",
            park="P1",
            period=YEAR_2024,
            today=dt.date(2025, 1, 10),
            consumption_kwh=1e6,
        )


def test_trade_settlement_retires_its_certificates() -> None:
    """A 2 500 kWh settlement with 2 certificates: 2 000 kWh certified; one without: contracted."""
    ledger = ledger_with(2)
    ledger.settle_trade(
        TradeSettlement(
            "S1", "E01", "enterprise", "P1", Month(2024, 5), 2500, "光伏电站A", (cid(1), cid(2))
        ),
        consumption_kwh=10_000,
        today=dt.date(2024, 6, 15),
    )
    ledger.settle_trade(
        TradeSettlement("S2", "E01", "enterprise", "P1", Month(2024, 6), 800, "风电场B"),
        consumption_kwh=10_000,
        today=dt.date(2024, 7, 15),
    )
    green = ledger.green_electricity("E01", YEAR_2024)
    assert green.certified_kwh == 2000
    assert green.contracted_uncertified_kwh == 800
    assert green.cert_ids == (cid(1), cid(2))
    with pytest.raises(Conflict):
        ledger.settle_trade(
            TradeSettlement("S2", "E01", "enterprise", "P1", Month(2024, 6), 800, "风电场B"),
            consumption_kwh=10_000,
            today=dt.date(2024, 7, 15),
        )
    with pytest.raises(InvalidInput):
        TradeSettlement("S3", "E01", "enterprise", "P1", Month(2024, 6), -1, "x")


def test_certified_electricity_feeds_market_based_scope2() -> None:
    """Ledger → activity: 3 certificates retired → green_certified 3 000 kWh of 10 000 kWh grid.

    Market-based scope 2 (2023 residual 0.6096 kg) = 7 000 × 0.6096 / 1000 = 4.2672 tCO2.
    """
    ledger = ledger_with(3, Month(2023, 6))
    period = Period(Month(2023, 1), Month(2023, 12))
    ledger.retire(
        [cid(1), cid(2), cid(3)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=period,
        today=dt.date(2024, 1, 15),
        consumption_kwh=10_000,
    )
    green = ledger.green_electricity("E01", period)
    activity = parse_activity(
        {
            "boundary": "enterprise",
            "name": "E01",
            "year": 2023,
            "province": "江苏",
            "electricity": {
                "received": [
                    {"kind": "grid", "kwh": 10_000},
                    {"kind": "green_certified", "kwh": green.total_kwh},
                ]
            },
        }
    )
    inv = account(activity, library=default_library())
    assert inv.scope2_market_tco2 == pytest.approx(4.2672)


def test_month_and_period_validation() -> None:
    """Months read YYYY-MM; a period may not end before it starts."""
    assert Month.parse("2024-03") == Month(2024, 3)
    with pytest.raises(InvalidInput):
        Month.parse("2024/03")
    with pytest.raises(InvalidInput):
        Month(2024, 13)
    with pytest.raises(InvalidInput):
        Period(Month(2024, 5), Month(2024, 4))


def test_a_stated_date_cannot_bring_an_expired_certificate_back() -> None:
    """Produced 2023-01, valid through 2024-12-31. Recorded on 2025-03-01 with a stated
    retired_on of 2024-12-01: expiry is judged on the actual day, so it is refused; a stated
    date after the actual day is refused too, and a valid stated date is kept beside the
    actual one."""
    ledger = ledger_with(2, Month(2023, 1))
    with pytest.raises(Conflict, match="expired on 2024-12-31"):
        ledger.retire(
            [cid(1)],
            claimant="E01",
            level="enterprise",
            park="P1",
            period=YEAR_2024,
            today=dt.date(2025, 3, 1),
            retired_on=dt.date(2024, 12, 1),
            consumption_kwh=10_000,
        )
    with pytest.raises(InvalidInput) as err:
        ledger.retire(
            [cid(2)],
            claimant="E01",
            level="enterprise",
            park="P1",
            period=YEAR_2024,
            today=dt.date(2024, 12, 1),
            retired_on=dt.date(2024, 12, 2),
            consumption_kwh=10_000,
        )
    assert err.value.field == "retired_on"
    (done,) = ledger.retire(
        [cid(2)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=YEAR_2024,
        today=dt.date(2024, 12, 20),
        retired_on=dt.date(2024, 12, 2),
        consumption_kwh=10_000,
    )
    assert (done.retired_on, done.recorded_on) == (dt.date(2024, 12, 2), dt.date(2024, 12, 20))


def test_a_stated_date_before_the_import_is_refused() -> None:
    """A certificate imported on 2025-02-10 cannot state a retirement on 2025-02-09."""
    ledger = ledger_with(1, Month(2024, 12))
    with pytest.raises(InvalidInput, match="imported") as err:
        ledger.retire(
            [cid(1)],
            claimant="E01",
            level="enterprise",
            park="P1",
            period=Period(Month(2025, 1), Month(2025, 1)),
            today=dt.date(2025, 2, 15),
            retired_on=dt.date(2025, 2, 9),
            imported_on={cid(1): dt.date(2025, 2, 10)},
            consumption_kwh=10_000,
        )
    assert err.value.field == "retired_on"


def _retired(n: int, start: Month, end: Month) -> Ledger:
    ledger = ledger_with(n, Month(2024, 12))
    ledger.retire(
        [cid(i + 1) for i in range(n)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=Period(start, end),
        today=dt.date(2025, 4, 10),
        consumption_kwh=1e9,
    )
    return ledger


def test_a_retirement_over_several_months_counts_pro_rata_by_months() -> None:
    """3 certificates (3 000 kWh) retired for January–March 2025 count 3 000 × 1/3 = 1 000 kWh
    in February, 3 000 × 2/3 = 2 000 kWh in January–February, and 3 000 kWh in the year; the
    partial counts are listed."""
    ledger = _retired(3, Month(2025, 1), Month(2025, 3))
    february = ledger.green_electricity("E01", Period(Month(2025, 2), Month(2025, 2)))
    assert february.certified_kwh == pytest.approx(1000)
    assert february.cert_ids == (cid(1), cid(2), cid(3))
    assert [(a.months_inside, a.months_total) for a in february.allocations] == [(1, 3)] * 3
    assert february.allocations[0].kwh == pytest.approx(333.3333333)
    two = ledger.green_electricity("E01", Period(Month(2025, 1), Month(2025, 2)))
    assert two.certified_kwh == pytest.approx(2000)
    year = ledger.green_electricity("E01", Period(Month(2025, 1), Month(2025, 12)))
    assert year.certified_kwh == 3000 and year.allocations == ()
    assert ledger.green_electricity("E01", Period(Month(2025, 4), Month(2025, 4))).cert_ids == ()


def test_a_retirement_across_the_new_year_is_shared_between_the_two_years() -> None:
    """One certificate retired for December 2024 – February 2025 counts 1 000 × 1/3 =
    333.33 kWh in 2024 and 1 000 × 2/3 = 666.67 kWh in 2025: never lost, never counted twice."""
    ledger = _retired(1, Month(2024, 12), Month(2025, 2))
    y2024 = ledger.green_electricity("E01", Period(Month(2024, 1), Month(2024, 12)))
    y2025 = ledger.green_electricity("E01", Period(Month(2025, 1), Month(2025, 12)))
    assert y2024.certified_kwh == pytest.approx(333.3333333)
    assert y2025.certified_kwh == pytest.approx(666.6666667)


def test_a_certificate_produced_after_the_claimed_period_is_refused() -> None:
    """Produced 2024-07, it cannot back consumption of January–June 2024 (the period ended
    before the electricity existed); it can back July 2024, and one produced 2024-03 can back
    June 2024 (earlier production within the certificate's validity)."""
    ledger = ledger_with(1, Month(2024, 7))
    ledger.add_certificate(Certificate(cid(2), "光伏电站A", Month(2024, 3)))
    with pytest.raises(InvalidInput, match="after the claimed period") as err:
        ledger.retire(
            [cid(1)],
            claimant="E01",
            level="enterprise",
            park="P1",
            period=Period(Month(2024, 1), Month(2024, 6)),
            today=dt.date(2024, 8, 10),
            consumption_kwh=10_000,
        )
    assert err.value.field == "period"
    ledger.retire(
        [cid(1)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=Period(Month(2024, 7), Month(2024, 7)),
        today=dt.date(2024, 8, 10),
        consumption_kwh=10_000,
    )
    ledger.retire(
        [cid(2)],
        claimant="E01",
        level="enterprise",
        park="P1",
        period=Period(Month(2024, 6), Month(2024, 6)),
        today=dt.date(2024, 8, 10),
        consumption_kwh=10_000,
    )
