"""The astronomical clock against an independent computation (the NOAA solar calculator's
equations, written out below) and the night's setpoints."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from lingtan.equipment.lighting import night, parse_zone, sunrise_sunset
from lingtan.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")


def noaa_sun_times(
    day: dt.date, lat: float, lon: float, utc_offset_h: float
) -> tuple[float, float]:
    """Sunrise and sunset in local clock minutes after midnight by the NOAA solar calculator
    (gml.noaa.gov/grad/solcalc, its spreadsheet's equations): Julian century from the date at
    local noon, geometric mean longitude and anomaly, equation of centre, apparent longitude,
    obliquity, declination, equation of time, and the hour angle of the zenith 90.833°."""
    jd = day.toordinal() + 1721424.5 + (12 - utc_offset_h) / 24  # JD at local noon
    t = (jd - 2451545) / 36525
    l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360
    m = 357.52911 + t * (35999.05029 - 0.0001537 * t)
    e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    mr = math.radians(m)
    c = (
        math.sin(mr) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + math.sin(2 * mr) * (0.019993 - 0.000101 * t)
        + math.sin(3 * mr) * 0.000289
    )
    true_long = l0 + c
    omega = 125.04 - 1934.136 * t
    app_long = true_long - 0.00569 - 0.00478 * math.sin(math.radians(omega))
    eps0 = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60
    eps = eps0 + 0.00256 * math.cos(math.radians(omega))
    decl = math.degrees(math.asin(math.sin(math.radians(eps)) * math.sin(math.radians(app_long))))
    y = math.tan(math.radians(eps / 2)) ** 2
    l0r = math.radians(l0)
    eot = 4 * math.degrees(
        y * math.sin(2 * l0r)
        - 2 * e * math.sin(mr)
        + 4 * e * y * math.sin(mr) * math.cos(2 * l0r)
        - 0.5 * y * y * math.sin(4 * l0r)
        - 1.25 * e * e * math.sin(2 * mr)
    )
    ha = math.degrees(
        math.acos(
            math.cos(math.radians(90.833))
            / (math.cos(math.radians(lat)) * math.cos(math.radians(decl)))
            - math.tan(math.radians(lat)) * math.tan(math.radians(decl))
        )
    )
    noon = 720 - 4 * lon - eot + utc_offset_h * 60
    return noon - 4 * ha, noon + 4 * ha


def _minutes(t: dt.datetime) -> float:
    return t.hour * 60 + t.minute + t.second / 60


@pytest.mark.parametrize(
    ("day", "lat", "lon"),
    [
        (dt.date(2024, 6, 21), 39.9042, 116.4074),  # Beijing, summer solstice
        (dt.date(2025, 1, 15), 31.30, 120.60),  # Suzhou, mid-winter
        (dt.date(2025, 3, 20), 22.54, 114.06),  # Shenzhen, equinox
    ],
)
def test_sunrise_and_sunset_agree_with_the_noaa_equations(
    day: dt.date, lat: float, lon: float
) -> None:
    rise, sset = sunrise_sunset(day, lat, lon, SH)
    n_rise, n_set = noaa_sun_times(day, lat, lon, 8)
    assert abs(_minutes(rise) - n_rise) < 2
    assert abs(_minutes(sset) - n_set) < 2


def test_beijing_solstice_against_the_published_time() -> None:
    # the published times for Beijing on 21 June 2024 (timeanddate.com's Beijing table, as
    # recalled, not re-fetched): sunrise 04:46, sunset 19:46 Beijing time, to the minute
    rise, sset = sunrise_sunset(dt.date(2024, 6, 21), 39.9042, 116.4074, SH)
    assert abs(_minutes(rise) - (4 * 60 + 46)) < 2
    assert abs(_minutes(sset) - (19 * 60 + 46)) < 2


ZONE = {
    "code": "RD-1", "name": "园区主干道", "kind": "road", "circuits": ["C1", "C2"],
    "latitude": 31.30, "longitude": 120.60, "on_offset_min": 10, "off_offset_min": -15,
    "dimming": [{"start": "23:00", "end": "05:00", "level_pct": 50}],
}  # fmt: skip


def test_the_night_switches_on_after_sunset_dims_and_switches_off_before_sunrise() -> None:
    spec = parse_zone(ZONE)
    n = night(spec, dt.date(2025, 1, 15), SH)
    _, sset = sunrise_sunset(dt.date(2025, 1, 15), 31.30, 120.60, SH)
    rise, _ = sunrise_sunset(dt.date(2025, 1, 16), 31.30, 120.60, SH)
    assert n.on_at == sset + dt.timedelta(minutes=10)
    assert n.off_at == rise - dt.timedelta(minutes=15)
    c1 = [(s.at, s.level_pct) for s in n.setpoints if s.device == "C1"]
    assert c1 == [
        (n.on_at, 100.0),
        (dt.datetime(2025, 1, 15, 23, 0, tzinfo=SH), 50.0),
        (dt.datetime(2025, 1, 16, 5, 0, tzinfo=SH), 100.0),
        (n.off_at, 0.0),
    ]
    assert len(n.setpoints) == 8  # the same four switchings on each circuit
    assert n.as_dict()["setpoints"][0]["kind"] == "lighting"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "tunnel"}, "kind"),
        ({"latitude": 91}, "latitude"),
        ({"circuits": ["C1", "C1"]}, "circuits"),
        ({"dimming": [{"start": "25:00", "end": "05:00", "level_pct": 50}]}, "dimming.0.start"),
    ],
)
def test_zone_errors_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_zone({**ZONE, **change})
    assert err.value.field == field, str(err.value)


async def test_the_level_goes_out_through_the_dispatch_control_path(sqlite_url: str) -> None:
    """The zone's level written to a simulated Modbus device and read back (the dispatch
    setpoint code), a dry run, and a level outside the device's declared range refused."""
    from lingtan.connectors.modbus.registers import DataType, RegisterSpec
    from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway
    from lingtan.equipment import service
    from lingtan.equipment.lighting_apply import apply_lighting
    from lingtan.identity.roles import SYSTEM
    from lingtan.registry import parse_park_text
    from lingtan.store import open_store
    from tests.conftest import SMALL_PARK

    store = open_store(sqlite_url)
    try:
        store.registry.save_park(parse_park_text(SMALL_PARK + (
            "  - {id: C1, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}\n"
            "  - {id: C2, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}\n"
        )))  # fmt: skip
        dev1 = SimulatedDevice(1, [RegisterSpec("lvl", 40, DataType.UINT16)])
        dev2 = SimulatedDevice(2, [RegisterSpec("lvl", 40, DataType.UINT16)])
        gw = SimulatedGateway([dev1, dev2])
        port = await gw.start()
        try:
            control = {
                "gateways": [{"code": "GW", "host": "127.0.0.1", "port": port}],
                "devices": [
                    {"device": "C1", "gateway": "GW", "unit": 1, "setpoint": {"address": 40,
                     "type": "uint16"}, "retries": 0},
                    {"device": "C2", "gateway": "GW", "unit": 2, "max_kw": 30,
                     "setpoint": {"address": 40, "type": "uint16"}, "retries": 0},
                ],
            }  # fmt: skip
            service.put_zone(store, principal=SYSTEM, data={
                **ZONE, "circuits": ["C1", "C2"], "control": control,
                "dimming": [{"start": "23:00", "end": "05:00", "level_pct": 50}],
            })  # fmt: skip
            # 00:30 on 16 January: inside the 23:00–05:00 dimming of the night of the 15th
            at = dt.datetime(2025, 1, 16, 0, 30, tzinfo=SH)
            dry = await apply_lighting(store, principal=SYSTEM, code="RD-1", now=at,
                                       dry_run=True)  # fmt: skip
            assert dry["level_pct"] == 50.0 and dry["devices"][0]["registers"] == [50]
            assert dev1.writes == []
            done = await apply_lighting(store, principal=SYSTEM, code="RD-1", now=at)
            by = {d["device"]: d for d in done["devices"]}
            assert by["C1"]["status"] == "ok" and by["C1"]["readback"] == 50
            assert dev1.writes == [(40, [50])]
            # C2 declares 0…30 %: 50 % is refused and nothing is written
            assert by["C2"]["status"] == "refused" and dev2.writes == []
            # by day the level is 0
            noon = dt.datetime(2025, 1, 16, 12, 0, tzinfo=SH)
            assert (await apply_lighting(store, principal=SYSTEM, code="RD-1",
                                         now=noon, dry_run=True))["level_pct"] == 0.0  # fmt: skip
        finally:
            await gw.stop()
    finally:
        store.close()


def test_a_control_device_must_be_a_circuit() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_zone({**ZONE, "control": {
            "gateways": [{"code": "GW", "host": "127.0.0.1"}],
            "devices": [{"device": "X9", "gateway": "GW", "unit": 1,
                         "setpoint": {"address": 40}}]}})  # fmt: skip
    assert err.value.field == "control.devices.0.device", str(err.value)
