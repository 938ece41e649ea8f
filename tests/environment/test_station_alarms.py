"""Station checks through the alarm engine: comms loss, the O3 daily max 8-h, indoor seasonal
ranges (rule kind ``environment``), generated when the park file is loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from lingtan.alarms import service as alarms
from lingtan.alarms.engine import Engine
from lingtan.alarms.rules import parse_rule
from lingtan.environment.rules import station_checks
from lingtan.errors import InvalidInput
from lingtan.identity.roles import SYSTEM
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from lingtan.store.alarms_repo import AlarmFilter
from lingtan.timeutil import to_us
from tests.conftest import SMALL_PARK
from tests.environment.test_stations_store import BJ, STATIONS, load


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    """SQLite only: the checks' queries are the engine's and the stations' own, tested on both
    engines elsewhere."""
    s = open_store(sqlite_url)
    try:
        yield s
    finally:
        s.close()


O3_STATION = """\
    - code: AQ03
      name: 南门空气站
      kind: air
      mn: AQ000000000003
      air_class: 2
      comms_loss_min: 90
      parameters:
        - {parameter: O3, unit: µg/m³}
"""


def _alarms(store: Store, code: str) -> list[object]:
    rows, _ = alarms.list_alarms(store, principal=SYSTEM, filters=AlarmFilter(), limit=50,
                                 offset=0)  # fmt: skip
    return [r for r in rows if r.rule_code == code]


def test_generated_station_checks_and_their_validation() -> None:
    model = parse_park_text(SMALL_PARK + STATIONS + O3_STATION)
    assert model.environment is not None
    by_code = {s.code: s for s in model.environment.stations}
    ids = [r["id"] for s in model.environment.stations for r in station_checks(s)]
    assert "env.AQ03.O3.8h_daily_max" in ids and "env.IN-B01.temperature.range" in ids
    assert "env.AQ01.O3.8h_daily_max" not in ids  # AQ01 does not measure O3
    # comms loss: the station's own minutes, else 180 for hourly stations
    (c3,) = [r for r in station_checks(by_code["AQ03"]) if r["check"] == "comms_loss"]
    (c1,) = [r for r in station_checks(by_code["AQ01"]) if r["check"] == "comms_loss"]
    assert (c3["silence_min"], c1["silence_min"]) == (90, 180)
    for r in station_checks(by_code["IN-B01"]):
        parse_rule(r)
    with pytest.raises(InvalidInput, match="parameter"):
        parse_rule({"id": "x", "name": "x", "kind": "environment", "check": "indoor_range",
                    "station": "IN-B01"})  # fmt: skip


def test_comms_loss_raises_after_the_silence_and_clears_on_data(store: Store) -> None:
    load(store)
    t0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=BJ)
    ingest(store, [Reading("AQ01:PM2.5", t0, 30.0)], now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    engine = Engine(store, clock=lambda: to_us(t0))
    # 180 min after the newest value: not yet (strictly more is needed); 181 min: raised
    engine.tick(now=to_us(t0 + dt.timedelta(minutes=180)))
    assert _alarms(store, "env.AQ01.comms") == []
    engine.tick(now=to_us(t0 + dt.timedelta(minutes=181)))
    (a,) = _alarms(store, "env.AQ01.comms")
    assert a.state == "open" and "通信中断" in a.message  # type: ignore[attr-defined]
    # a value arrives: cleared at the next tick
    ingest(store, [Reading("AQ01:SO2", t0 + dt.timedelta(hours=3), 5.0)],
           now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))  # fmt: skip
    engine.tick(now=to_us(t0 + dt.timedelta(minutes=182)))
    (a,) = _alarms(store, "env.AQ01.comms")
    assert a.state == "cleared"  # type: ignore[attr-defined]


def test_o3_daily_max_8h_and_indoor_range_rules(store: Store) -> None:
    from lingtan.environment import service as env

    model = parse_park_text(SMALL_PARK + STATIONS + O3_STATION)
    report = store.registry.save_park(model)
    env.apply_park_file(store, park_id=report.park_id, model=model, actor="test")
    day = dt.datetime(2026, 7, 1, 0, 0, tzinfo=BJ)
    # O3 on 2026-07-01: 161 µg/m³ every hour → every 8-h window 161, daily max 161 > 160
    # (class 2); 17 valid windows ≥ 14
    readings = [Reading("AQ03:O3", day + dt.timedelta(hours=h), 161.0) for h in range(24)]
    # IN-B01 temperature in July (cooling 22–28 °C): 28.0 at 10:00 complies, 29.0 at 11:00 not
    readings += [
        Reading("IN-B01:temperature", day + dt.timedelta(hours=10), 28.0),
        Reading("IN-B01:temperature", day + dt.timedelta(hours=11), 29.0),
    ]
    ingest(store, readings, now=dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    normalise_pending(store)
    engine = Engine(store, clock=lambda: to_us(day))
    # 12:30: the settled hour is 10:00 (ended ≥ 1 h ago): 28.0 complies
    engine.tick(now=to_us(day + dt.timedelta(hours=12, minutes=30)))
    assert _alarms(store, "env.IN-B01.temperature.range") == []
    # 13:30: the 11:00 hour, 29.0 > 28: raised; the O3 day is not whole yet
    engine.tick(now=to_us(day + dt.timedelta(hours=13, minutes=30)))
    (t,) = _alarms(store, "env.IN-B01.temperature.range")
    assert t.value == pytest.approx(29.0)  # type: ignore[attr-defined]
    assert _alarms(store, "env.AQ03.O3.8h_daily_max") == []
    # the next day 01:00: 2026-07-01 is whole: 161 > 160 raised, 超标倍数 161/160 − 1
    engine.tick(now=to_us(day + dt.timedelta(days=1, hours=1)))
    (o,) = _alarms(store, "env.AQ03.O3.8h_daily_max")
    assert o.value == pytest.approx(161.0)  # type: ignore[attr-defined]
    assert "0.01" in o.message and "GB 3095-2012" in o.message  # type: ignore[attr-defined]


def test_invalid_day_names_the_parameters_short_of_20_hourly_values(store: Store) -> None:
    load(store)
    day = dt.datetime(2026, 3, 2, 0, 0, tzinfo=BJ)
    # 2026-03-02 (Beijing): PM2.5 in 19 hours (00:00–18:00), SO2 in 20 (00:00–19:00); GB 3095
    # 表4 asks 20 hourly values for a daily statistic: PM2.5's day is invalid, SO2's is not
    readings = [Reading("AQ01:PM2.5", day + dt.timedelta(hours=h), 30.0) for h in range(19)]
    readings += [Reading("AQ01:SO2", day + dt.timedelta(hours=h), 8.0) for h in range(20)]
    ingest(store, readings, now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    normalise_pending(store)
    engine = Engine(store, clock=lambda: to_us(day))
    engine.tick(now=to_us(day + dt.timedelta(days=1, hours=1)))  # 2026-03-02 is whole
    (a,) = _alarms(store, "env.AQ01.invalid_day")
    assert a.value == pytest.approx(19.0)  # type: ignore[attr-defined]
    assert "PM2.5 19 h" in a.message and "SO2" not in a.message  # type: ignore[attr-defined]
    assert "2026-03-02" in a.message and "GB 3095-2012 表4" in a.message  # type: ignore[attr-defined]
    # PM2.5's 19:00 value arrives late: 20 hourly values, the day is valid, the alarm clears
    late = [Reading("AQ01:PM2.5", day + dt.timedelta(hours=19), 30.0)]
    ingest(store, late, now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    normalise_pending(store)
    engine.tick(now=to_us(day + dt.timedelta(days=1, hours=2)))
    (a,) = _alarms(store, "env.AQ01.invalid_day")
    assert a.state == "cleared"  # type: ignore[attr-defined]


def test_station_rules_must_name_a_station_that_can_run_the_check() -> None:
    def park_with(rule: str) -> None:
        parse_park_text(SMALL_PARK + STATIONS + "alarms:\n  rules:\n" + rule)

    park_with("    - {id: a, name: a, kind: environment, check: invalid_day, station: AQ01}\n")
    with pytest.raises(InvalidInput, match=r"alarms.rules\[0\].station: unknown station 'AQ09'"):
        park_with("    - {id: a, name: a, kind: environment, check: comms_loss, station: AQ09}\n")
    with pytest.raises(InvalidInput, match="o3_8h needs an air station measuring O3"):
        park_with("    - {id: a, name: a, kind: environment, check: o3_8h, station: AQ01}\n")
    with pytest.raises(InvalidInput, match="indoor_range needs an indoor station"):
        park_with("    - {id: a, name: a, kind: environment, check: indoor_range, "
                  "station: AQ01, parameter: SO2}\n")  # fmt: skip
    with pytest.raises(InvalidInput, match="IN-B01 does not measure 'humidity'"):
        park_with("    - {id: a, name: a, kind: environment, check: indoor_range, "
                  "station: IN-B01, parameter: humidity}\n")  # fmt: skip


def test_station_rules_loaded_through_the_service_are_checked_too(store: Store) -> None:
    load(store)
    with pytest.raises(InvalidInput, match="unknown station 'AQ09'"):
        alarms.create_rule(
            store,
            principal=SYSTEM,
            data={"id": "a", "name": "a", "kind": "environment", "check": "comms_loss",
                  "station": "AQ09"},
        )  # fmt: skip
