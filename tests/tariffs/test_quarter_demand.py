"""基本电费 by maximum demand on the 15-minute slots of an account's readings (最大需量: the
largest mean power of a quarter hour), and the hourly lower bound only where the slots cannot
be built — said so, with the reason (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from lingtan.identity.roles import SYSTEM
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store
from lingtan.tariffs import service
from lingtan.tariffs.cost import max_quarter_demand_kw
from tests.conftest import SMALL_PARK

SH = ZoneInfo("Asia/Shanghai")
MARCH = dt.datetime(2025, 3, 1, tzinfo=SH)
#: the quarter hour in which E01 draws twice its usual power
PEAK = dt.datetime(2025, 3, 3, 9, 15, tzinfo=SH)


def _register(code: str, step: dt.timedelta, end: dt.datetime) -> list[Reading]:
    """A register from 1 March 00:00 local to ``end``: 10 kW steadily (2.5 kWh a quarter
    hour), 20 kW in the quarter hour from ``PEAK``."""
    out, value, t = [Reading(code, MARCH, 1000.0)], 1000.0, MARCH
    while t < end:
        gain = 0.0
        for q in range(step // dt.timedelta(minutes=15)):
            quarter = t + q * dt.timedelta(minutes=15)
            gain += 5.0 if quarter == PEAK else 2.5
        t += step
        value += gain
        out.append(Reading(code, t, value))
    return out


def _stored(store: Store, readings: list[Reading]) -> None:
    ack = ingest(store, readings, source="test", now=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
    assert ack.accepted == len(readings)
    normalise_pending(store)
    service.assign(
        store, principal=SYSTEM, effective_from="2025-01", tariff_id="demo-js-synthetic",
        basic_basis="demand",
    )  # fmt: skip


def test_max_quarter_demand_is_the_largest_known_quarter_over_a_quarter_hour() -> None:
    # 2.5 kWh / 0.25 h = 10 kW; 5 kWh / 0.25 h = 20 kW; the unknown slot is not a zero
    assert max_quarter_demand_kw([2.5, math.nan, 5.0]) == pytest.approx(20.0)
    assert max_quarter_demand_kw([math.nan, math.nan]) is None


def test_demand_charge_on_the_15_minute_maximum(loaded: Store) -> None:
    _stored(
        loaded, _register("E01-main", dt.timedelta(minutes=15), dt.datetime(2025, 4, 1, tzinfo=SH))
    )
    r = service.cost(loaded, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-03")
    basic = r.basic["2025-03"]
    # 最大需量 20 kW (5 kWh in 09:15-09:30 on 3 March) × 40 元/(kW·月) (demo record) = 800 元
    assert basic["demand_from"] == "15min" and basic["status"] == "ok"
    assert basic["max_demand_kw"] == pytest.approx(20.0)
    assert basic["amount"] == pytest.approx(800.0)
    assert basic["unknown_slots"] == 0
    # the hour 09:00-10:00 holds 3 × 2.5 + 5 = 12.5 kWh: the hourly mean power, a lower bound
    # of the demand the utility meters, is what the month's statistics alone would give
    assert r.months[0].max_demand_kw == pytest.approx(12.5)
    # the bill check compares a bill's demand with the 15-minute maximum
    b = service.import_bill(
        loaded, principal=SYSTEM,
        data={"month": "2025-03", "enterprise": "E01", "max_demand_kw": 20.0, "energy_kwh": {"低谷": 2480},
              "total_amount": 1, "reference": "Q-1"},
    )  # fmt: skip
    check = service.check_bill(loaded, principal=SYSTEM, bill_id=b.id)
    (line,) = [x for x in check.lines if x.item == "max_demand_kw"]
    assert line.status == "ok" and line.difference == pytest.approx(0.0)


def test_unknown_quarters_are_counted_not_zeroed(loaded: Store) -> None:
    # readings stop on 31 March at 12:00: the 12 h after are 48 unknown quarters
    _stored(
        loaded,
        _register("E01-main", dt.timedelta(minutes=15), dt.datetime(2025, 3, 31, 12, tzinfo=SH)),
    )
    basic = service.cost(
        loaded, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-03"
    ).basic["2025-03"]
    assert basic["unknown_slots"] == 48
    assert basic["status"] == "incomplete"
    assert basic["amount"] == pytest.approx(800.0)  # the known maximum, marked incomplete


def test_hourly_meter_falls_back_to_the_hourly_lower_bound_with_the_reason(store: Store) -> None:
    hourly = SMALL_PARK.replace(
        "    max_rate: 400\n  - id: E01-hvac",
        "    max_rate: 400\n    interval_s: 3600\n  - id: E01-hvac",
    )
    assert hourly != SMALL_PARK
    store.registry.save_park(parse_park_text(hourly))
    _stored(store, _register("E01-main", dt.timedelta(hours=1), dt.datetime(2025, 4, 1, tzinfo=SH)))
    basic = service.cost(
        store, principal=SYSTEM, scope="enterprise", subject="E01", start="2025-03"
    ).basic["2025-03"]
    # read hourly: the peak quarter is inside the hour 09:00-10:00 of 12.5 kWh → 12.5 kW × 40
    assert basic["demand_from"] == "hourly"
    assert basic["why_hourly"] == "read less often than every 15 minutes: E01-main"
    assert basic["max_demand_kw"] == pytest.approx(12.5)
    assert basic["amount"] == pytest.approx(500.0)
