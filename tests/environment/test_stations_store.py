"""Stations in the park model and the store: points, tenancy, limit rules, HJ 212 ingest
end to end, and the assessment from the store."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from lingtan.connectors.hj212 import packet as p
from lingtan.connectors.hj212.server import Hj212Server
from lingtan.connectors.hj212.sim import StationSpec, run_stations
from lingtan.environment import service as env
from lingtan.environment.receiver import StoreSink
from lingtan.environment.stations import Station
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity.roles import Principal, Role
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.registry import ParkModel, parse_park_text
from lingtan.store import Store
from lingtan.store.query_repo import QueryRepo
from tests.conftest import SMALL_PARK

STATIONS = """\
environment:
  stations:
    - code: AQ01
      name: 北门空气站
      kind: air
      mn: AQ000000000001
      pw: "654321"
      air_class: 2
      parameters:
        - {parameter: PM2.5, unit: µg/m³}
        - {parameter: SO2, unit: µg/m³}
    - code: WS01
      name: 河道断面
      kind: water
      mn: WS000000000001
      water_class: III
      parameters:
        - {parameter: NH3-N, unit: mg/L, hj212: w21003}
    - code: OUT-E01
      name: 甲公司废水排放口
      kind: outlet
      enterprise: E01
      mn: OUT00000000001
      parameters:
        - {parameter: COD, unit: mg/L, hj212: w01018}
      limits:
        - {parameter: COD, limit: 50, unit: mg/L, source: 排污许可证 914403001922038216001P}
    - code: IN-B01
      name: 一号厂房室内
      kind: indoor
      site: B01
      mn: IN000000000001
      parameters:
        - {parameter: CO2, unit: ppm, hj212: a05001}
        - {parameter: temperature, unit: °C, hj212: a01001}
"""


def park() -> ParkModel:
    return parse_park_text(SMALL_PARK + STATIONS)


def admin() -> Principal:
    return Principal("admin", Role.PARK_ADMIN, None)


def load(store: Store) -> env.ApplyReport:
    model = park()
    report = store.registry.save_park(model)
    out = env.apply_park_file(store, park_id=report.park_id, model=model, actor="test")
    assert out is not None
    return out


def test_station_parameters_become_measurement_points_of_the_owner() -> None:
    points = {pt.id: pt for pt in park().points}
    assert points["AQ01:PM2.5"].kind.value == "measurement"
    assert points["AQ01:PM2.5"].enterprise is None  # ambient air is park-level
    assert points["AQ01:PM2.5"].unit == "µg/m3"
    assert points["OUT-E01:COD"].enterprise == "E01"
    assert points["IN-B01:CO2"].enterprise == "E01"  # B01 belongs to E01
    assert points["IN-B01:temperature"].unit == "degC"
    assert points["AQ01:SO2"].interval_s == 3600
    # a model written out and read again holds the points once
    again = ParkModel.model_validate(park().model_dump())
    assert len(again.points) == len(park().points)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("      enterprise: E01\n      mn: OUT00000000001", "unknown enterprise 'E09'"),
        ("      air_class: 2\n", "air_class"),
    ],
)
def test_station_errors_name_the_field(change: str, message: str) -> None:
    if "enterprise" in change:
        text = STATIONS.replace(change, change.replace("E01", "E09"))
    else:
        text = STATIONS.replace(change, "")
    with pytest.raises(InvalidInput, match=message):
        parse_park_text(SMALL_PARK + text)


def test_outlet_needs_an_enterprise_and_limits_of_measured_parameters() -> None:
    with pytest.raises(ValueError, match="enterprise"):
        Station.model_validate(
            {"code": "O", "name": "o", "kind": "outlet", "mn": "M1",
             "parameters": [{"parameter": "COD", "unit": "mg/L"}]}
        )  # fmt: skip
    with pytest.raises(ValueError, match="not measured"):
        Station.model_validate(
            {"code": "O", "name": "o", "kind": "outlet", "mn": "M1", "enterprise": "E01",
             "parameters": [{"parameter": "COD", "unit": "mg/L"}],
             "limits": [{"parameter": "NH3-N", "limit": 5, "unit": "mg/L", "source": "x"}]}
        )  # fmt: skip


def test_enterprise_sees_its_own_outlet_and_the_park_level_stations(store: Store) -> None:
    load(store)
    ents = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    e01 = Principal("e1", Role.ENTERPRISE_ADMIN, ents["E01"])
    e02 = Principal("e2", Role.ENTERPRISE_ADMIN, ents["E02"])
    assert [r.code for r in env.list_stations(store, principal=admin())] == [
        "AQ01", "IN-B01", "OUT-E01", "WS01"
    ]  # fmt: skip
    assert [r.code for r in env.list_stations(store, principal=e01)] == [
        "AQ01", "IN-B01", "OUT-E01", "WS01"
    ]  # fmt: skip
    assert [r.code for r in env.list_stations(store, principal=e02)] == ["AQ01", "WS01"]
    with pytest.raises(NotFound):
        env.get_station(store, principal=e02, code="OUT-E01")
    # the points follow the same tenancy (the registry's own filter)
    codes = QueryRepo(store).point_codes(tenant=e02.tenant).values()
    assert "OUT-E01:COD" not in codes


def test_limit_rules_are_created_once_and_name_their_standard(store: Store) -> None:
    first = load(store)
    # AQ01: PM2.5 (24-h limit only, class 2: 75 µg/m3) and SO2 (1-h, class 2: 500 µg/m3);
    # WS01 NH3-N class III 1.0 mg/L; OUT-E01 COD 50 mg/L; IN-B01 CO2 0.10 % = 1000 ppm
    # plus the station checks: comms loss of each station, IN-B01's temperature range,
    # AQ01's invalid day (PM2.5 and SO2 have daily statistics)
    assert sorted(first.rules_created) == [
        "env.AQ01.PM2.5.24h", "env.AQ01.SO2.1h", "env.AQ01.comms", "env.AQ01.invalid_day",
        "env.IN-B01.CO2.24h",
        "env.IN-B01.comms", "env.IN-B01.temperature.range", "env.OUT-E01.COD.1h",
        "env.OUT-E01.comms", "env.WS01.NH3-N.24h", "env.WS01.comms",
    ]  # fmt: skip
    pid = store.registry.park().id
    with store.begin() as conn:
        pm = store.alarms.rule_by_code(conn, park_id=pid, code="env.AQ01.PM2.5.24h")
        so2 = store.alarms.rule_by_code(conn, park_id=pid, code="env.AQ01.SO2.1h")
        co2 = store.alarms.rule_by_code(conn, park_id=pid, code="env.IN-B01.CO2.24h")
        cod = store.alarms.rule_by_code(conn, park_id=pid, code="env.OUT-E01.COD.1h")
    assert pm is not None and so2 is not None and co2 is not None and cod is not None
    assert pm.spec["high"] == 75 and pm.spec["on"] == "day"
    assert "GB 3095-2012 表1 二类区" in pm.name
    assert so2.spec["high"] == 500 and so2.spec["on"] == "hour"
    assert math.isclose(co2.spec["high"], 1000)
    assert cod.enterprise_id is not None  # the outlet's enterprise owns (and may edit) it
    # loading again creates nothing; an edited rule is kept as edited
    from lingtan.alarms import service as alarms

    alarms.update_rule(store, principal=admin(), code="env.AQ01.SO2.1h",
                       data={**so2.spec, "high": 450})  # fmt: skip
    again = load(store)
    assert again.rules_created == []
    assert again.stations.unchanged == ["AQ01", "WS01", "OUT-E01", "IN-B01"]
    with store.begin() as conn:
        edited = store.alarms.rule_by_code(conn, park_id=pid, code="env.AQ01.SO2.1h")
    assert edited is not None and edited.spec["high"] == 450


BJ = p.BEIJING


async def test_simulator_to_store_gives_hourly_means(store: Store) -> None:
    load(store)
    rows = store.registry.points_current()
    assert "AQ01:PM2.5" in rows
    (air,) = [env.station_of(r) for r in env.list_stations(store, principal=admin(), kind="air")]
    sink = StoreSink(store, [air])
    server = Hj212Server({air.mn: air.pw}, sink)
    port = await server.start("127.0.0.1", 0)
    start = dt.datetime(2026, 1, 1, 0, 0, tzinfo=BJ)
    spec = StationSpec(mn=air.mn, pw=air.pw, pollutants=("a34004", "a21026"))
    try:
        results = await run_stations([spec], "127.0.0.1", port, start=start, minutes=120)
        # one more hourly packet whose SO2 value the station flags M (maintenance)
        cp = p.format_cp(
            dt.datetime(2026, 1, 1, 2, 0, tzinfo=BJ),
            [p.Pollutant("a34004", {"Avg": 40.0}, "N"), p.Pollutant("a21026", {"Avg": 9.0}, "M")],
        )
        frame = p.build(st="22", cn="2061", pw=air.pw, mn=air.mn, qn="20260101025900000",
                        flag=5, cp=cp)  # fmt: skip
        import asyncio

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(frame)
        await writer.drain()
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
        writer.close()
        assert b"CN=9014" in answer  # answered after the commit
    finally:
        await server.close()
        await sink.close()
    assert results[0].answers == results[0].packets_sent == 122
    # 2 hours × 2 pollutants from the simulator + PM2.5 at 02:00; SO2 at 02:00 refused
    assert sink.totals["accepted"] == 5
    assert sink.totals["rejected:station_flag"] == 1
    normalise_pending(store)
    sent = {(s.pollutant, s.data_time): s.values["Avg"] for s in results[0].sent if s.cn == "2061"}
    pid = rows["AQ01:PM2.5"].id
    h0 = int(start.timestamp()) * 1_000_000
    hours = store.stats.hours(None, [pid], h0, h0 + 3 * 3_600_000_000)[pid]
    # a measurement point's hourly mean of one hourly reading is that reading
    assert hours["mean"].tolist() == [sent[("a34004", start)],
                                      sent[("a34004", start + dt.timedelta(hours=1))], 40.0]  # fmt: skip
    (kept,) = store.readings.rejected(reason="station_flag")
    assert kept["point_id"] == rows["AQ01:SO2"].id
    assert kept["value_text"] == "9.0" and "flag M" in kept["detail"]
    assert '"flag": "M"' in kept["raw"] and kept["source"] == "hj212:AQ000000000001"


def test_assessment_from_the_store_matches_the_file_path(store: Store) -> None:
    load(store)
    # PM2.5 at AQ01 (class 2, 24-h limit 75 µg/m3) on 2026-03-02 local: 24 hours of 80
    # → daily mean 80 > 75, 超标倍数 80/75 − 1 = 0.0667; 2026-03-03: 19 hours of 100 only
    # → fewer than 20 valid hours: no valid daily mean, no exceedance
    day = dt.datetime(2026, 3, 2, 0, 0, tzinfo=BJ)
    readings = [Reading("AQ01:PM2.5", day + dt.timedelta(hours=h), 80.0) for h in range(24)]
    readings += [Reading("AQ01:PM2.5", day + dt.timedelta(hours=24 + h), 100.0) for h in range(19)]
    ack = ingest(store, readings, now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert ack.accepted == 43
    normalise_pending(store)
    res = env.assess_station(store, principal=admin(), code="AQ01", start=day,
                             end=day + dt.timedelta(days=2))  # fmt: skip
    assert res.quality is not None
    (pm,) = [s for s in res.quality.series if s.parameter == "PM2.5"]
    d1, d2 = pm.days
    assert (d1.value, d1.count, d1.valid, d1.exceeded) == (80.0, 24, True, True)
    assert d1.multiple is not None and math.isclose(d1.multiple, 80 / 75 - 1)
    assert (d2.count, d2.valid, d2.exceeded) == (19, False, False)
    found = env.list_exceedances(store, principal=admin(), start=day,
                                 end=day + dt.timedelta(days=2))  # fmt: skip
    assert [(e.station, e.parameter, e.statistic, e.when) for e in found] == [
        ("AQ01", "PM2.5", "24h", "2026-03-02")
    ]
    # HJ 633-2012 daily AQI: PM2.5 80 → (150 − 100) / (115 − 75) × 5 + 100 = 106.25 → 107;
    # the second day has no valid 24-h mean, so no AQI
    assert [(a["day"], a["aqi"], a["primary"]) for a in res.aqi_daily] == [
        ("2026-03-02", 107, ["PM2.5_24h"]),
        ("2026-03-03", None, []),
    ]
    # latest real-time AQI: the last hour's PM2.5 100 on the 24-h row → 100 + 50 × 25 / 40
    # = 131.25 → 132; daily: the last day with one
    now = env.station_aqi(store, principal=admin(), row=env.get_station(store, principal=admin(), code="AQ01"))  # fmt: skip
    assert now.hourly is not None and now.hourly.aqi == 132
    assert now.hour == "2026-03-03T18:00:00+08:00"
    assert (now.day, now.daily.aqi if now.daily else None) == ("2026-03-02", 107)


def test_outlet_and_indoor_assessment(store: Store) -> None:
    load(store)
    t0 = dt.datetime(2026, 7, 1, 9, 0, tzinfo=BJ)  # July: the cooling season (22–28 °C)
    readings = [
        Reading("OUT-E01:COD", t0, 50.0),  # equal to the permit limit: compliant
        Reading("OUT-E01:COD", t0 + dt.timedelta(hours=1), 60.0),  # 60/50 − 1 = 0.2
        Reading("IN-B01:temperature", t0, 28.0),  # the bound itself complies
        Reading("IN-B01:temperature", t0 + dt.timedelta(hours=1), 29.5),
    ]
    ingest(store, readings, now=dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    normalise_pending(store)
    end = t0 + dt.timedelta(hours=2)
    out = env.assess_station(store, principal=admin(), code="OUT-E01", start=t0, end=end)
    assert [(e["value"], round(e["multiple"], 6)) for e in out.permit_exceedances] == [(60.0, 0.2)]
    ind = env.assess_station(store, principal=admin(), code="IN-B01", start=t0, end=end)
    assert [h.compliant for h in ind.indoor["temperature"]] == [True, False]
    assert [h.compliant for h in ind.indoor["CO2"]] == [None, None]  # no values


def test_outlet_monthly_trend_from_the_store_in_the_owners_scope(store: Store) -> None:
    load(store)
    utc = dt.UTC
    t0 = dt.datetime(2026, 7, 31, 15, 0, tzinfo=utc)  # 2026-07-31 23:00 local (+08:00)
    readings = [
        Reading("OUT-E01:COD", t0, 50.0),  # July, equal to the limit: meets
        Reading("OUT-E01:COD", t0 + dt.timedelta(hours=1), 60.0),  # Aug 1 00:00 local: 0.2
        # 17:00Z (Aug 1 01:00 local): no value
        Reading("OUT-E01:COD", t0 + dt.timedelta(hours=3), 40.0),  # Aug 1 02:00 local
    ]
    ingest(store, readings, now=dt.datetime(2026, 8, 2, tzinfo=utc))
    normalise_pending(store)
    end = t0 + dt.timedelta(hours=4)
    out = env.water_trend(store, principal=admin(), code="OUT-E01", start=t0, end=end)
    assert out["kind"] == "outlet" and out["limits"][0]["limit"] == 50
    jul, aug = out["months"]
    # July: the one hour 50 → 1 of 1 valid hour meets
    assert (jul["month"], jul["hours"], jul["valid_hours"], jul["attainment"]) == (
        "2026-07",
        1,
        1,
        1.0,
    )
    # August: 60 (above, 60/50 − 1 = 0.2), none, 40 → 3 hours, 2 valid, mean 50, 1 of 2 meets
    (cod,) = aug["parameters"]
    assert (aug["hours"], aug["valid_hours"], aug["attained_hours"], aug["failed"]) == (
        3, 2, 1, ["COD"]
    )  # fmt: skip
    assert (cod["mean"], cod["max"], cod["exceeded_hours"], cod["attainment"]) == (
        50.0, 60.0, 1, 0.5
    )  # fmt: skip
    assert math.isclose(cod["max_multiple"], 0.2)
    # the default period ends with the latest data (the hour after 40's)
    dflt = env.water_trend(store, principal=admin(), code="OUT-E01")
    assert dflt["end"] == end.isoformat() and dflt["months"][-1]["month"] == "2026-08"
    # another enterprise: as missing
    ents = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
    e02 = Principal("e2", Role.ENTERPRISE_ADMIN, ents["E02"])
    with pytest.raises(NotFound):
        env.water_trend(store, principal=e02, code="OUT-E01")
    # an air station: no months, and why
    air = env.water_trend(store, principal=admin(), code="AQ01")
    assert air["kind"] is None and air["months"] == [] and "not a water section" in air["note"]


def test_generated_daily_rule_raises_on_a_whole_local_day(store: Store) -> None:
    from lingtan.alarms import service as alarms
    from lingtan.alarms.engine import Engine
    from lingtan.identity.roles import SYSTEM
    from lingtan.store.alarms_repo import AlarmFilter
    from lingtan.timeutil import to_us

    load(store)
    # 2026-03-02 local: 24 hourly PM2.5 means of 80 µg/m3 → daily mean 80 > 75 (class 2)
    day = dt.datetime(2026, 3, 2, 0, 0, tzinfo=BJ)
    ingest(store, [Reading("AQ01:PM2.5", day + dt.timedelta(hours=h), 80.0) for h in range(24)],
           now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))  # fmt: skip
    normalise_pending(store)
    clock = {"now": to_us(day)}
    engine = Engine(store, clock=lambda: clock["now"]).attach()
    try:
        # at 23:30 the day is not whole yet: nothing judged
        engine.tick(now=to_us(day + dt.timedelta(hours=23, minutes=30)))
        engine.tick(now=to_us(day + dt.timedelta(days=1, hours=2)))  # the next day, 02:00
    finally:
        engine.detach()
    rows, _ = alarms.list_alarms(store, principal=SYSTEM, filters=AlarmFilter(), limit=10,
                                 offset=0)  # fmt: skip
    (a,) = [r for r in rows if r.rule_code == "env.AQ01.PM2.5.24h"]
    assert a.value == pytest.approx(80.0)
    # judged at the end of the day it covers
    assert a.first_at == to_us(day + dt.timedelta(days=1))
