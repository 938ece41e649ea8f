"""The register on the store: rated data and points checked, measured compressor specific
power from its meters (hand-derived), the efficiency list with its replacement ranking, tenant
scoping; lighting zones' energy against the astronomical schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from lingtan.equipment import service
from lingtan.errors import InvalidInput, NotFound, PermissionDenied
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store
from tests.conftest import SMALL_PARK

SH = dt.timezone(dt.timedelta(hours=8))
EXTRA_POINTS = """\
  - id: E01-ac1-kwh
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    enterprise: E01
  - id: E01-ac1-air
    carrier: other
    kind: total_increasing
    unit: m3
    enterprise: E01
  - id: E01-m1-kwh
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    enterprise: E01
  - id: LT-road-1
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
"""


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = open_store(sqlite_url)
    s.registry.save_park(parse_park_text(SMALL_PARK + EXTRA_POINTS))
    try:
        yield s
    finally:
        s.close()


def _user(store: Store, code: str) -> Principal:
    park = store.registry.park()
    eid = next(e.id for e in store.registry.enterprises(park.id) if e.code == code)
    return Principal(subject=f"{code}-admin", role=Role.ENTERPRISE_ADMIN, enterprise_id=eid,
                     park_id=park.id)  # fmt: skip


COMPRESSOR = {
    "code": "AC-1", "name": "1# 螺杆空压机", "type": "air_compressor",
    "rated": {"rated_kw": 110, "flow_m3min": 20, "pressure_mpa": 0.8, "cooling": "air",
              "compressor_kind": "oil_injected_rotary"},
    "power_point": "E01-ac1-kwh", "flow_point": "E01-ac1-air",
}  # fmt: skip
MOTOR = {
    "code": "M-1", "name": "循环泵电机", "type": "motor",
    "rated": {"rated_kw": 15, "poles": 4, "efficiency_pct": 91.0},
    "power_point": "E01-m1-kwh",
}  # fmt: skip


def _meter(store: Store, day: dt.date, hours: int) -> None:
    """Counters every hour of ``day`` from 00:00: the compressor +90 kWh and +900 m3 an hour,
    the motor +10 kWh an hour, the road circuit +5 kWh an hour."""
    t0 = dt.datetime(day.year, day.month, day.day, tzinfo=SH)
    rows = []
    for h in range(hours + 1):
        t = t0 + dt.timedelta(hours=h)
        rows += [
            Reading("E01-ac1-kwh", t, 1000.0 + 90 * h),
            Reading("E01-ac1-air", t, 50_000.0 + 900 * h),
            Reading("E01-m1-kwh", t, 10 * h),
            Reading("LT-road-1", t, 5 * h),
        ]
    ingest(store, rows, now=t0 + dt.timedelta(days=2))
    normalise_pending(store)


def test_compressor_specific_power_from_its_meters(store: Store) -> None:
    e01 = _user(store, "E01")
    item = service.register(store, principal=e01, data=COMPRESSOR)
    assert item["grade"]["status"] == "no_value"  # no nameplate specific power declared
    _meter(store, dt.date(2025, 3, 10), 24)
    m = service.measured(store, principal=e01, equipment_id=item["id"],
                         start=dt.date(2025, 3, 10), end=dt.date(2025, 3, 11))  # fmt: skip
    # 24 h × 90 kWh = 2160 kWh; 24 h × 900 m3 = 21 600 m3; SP = 60 × 2160 / 21 600 = 6.0
    assert m["energy_kwh"] == pytest.approx(2160.0)
    assert m["air_m3"] == pytest.approx(21_600.0)
    assert m["specific_power"] == pytest.approx(6.0)
    # GB 19153-2019 表1, 110 kW, 0.8 MPa, air-cooled: grades 6.1 / 6.6 / 7.3 (R000583,
    # R000595, R000607 of the transcription); 6.0 ≤ 6.1 reaches grade 1
    assert m["grade"]["status"] == "graded"
    assert m["grade"]["grade"] == "1"
    assert m["grade"]["thresholds"] == {"1": 6.1, "2": 6.6, "3": 7.3}


def test_efficiency_list_ranks_replacements_by_savings(store: Store) -> None:
    e01 = _user(store, "E01")
    service.register(store, principal=e01, data=MOTOR)
    # no meter data, declared use: 18.5 kW × 0.8 × 4000 h = 59 200 kWh/a; GB 18613-2020
    # 18.5 kW 4-pole: grade 1 95.3, grade 3 92.6; 91.0 % is below grade 3
    service.register(store, principal=e01, data={
        "code": "M-2", "name": "风机电机", "type": "motor", "load_factor": 0.8,
        "operating_hours": 4000,
        "rated": {"rated_kw": 18.5, "poles": 4, "efficiency_pct": 91.0},
    })  # fmt: skip
    _meter(store, dt.date(2025, 3, 10), 24)
    out = service.efficiency_list(store, principal=e01, year=2025)
    assert out["below_minimum"] == ["M-1", "M-2"]  # 15 kW 4-pole grade 3 is 92.1
    by = {c["code"]: c for c in out["candidates"]}
    # M-1: metered 2025 = 24 h × 10 kWh = 240 kWh; grade 1 (15 kW, 4 poles) 95.1 %:
    #      240 × (1 − 91.0/95.1) = 240 × 4.1/95.1 = 10.347 kWh
    assert by["M-1"]["savings_kwh"] == pytest.approx(240 * (1 - 91.0 / 95.1))
    # M-2: 59 200 × (1 − 91.0/95.3) = 59 200 × 4.3/95.3 = 2671.1 kWh
    assert by["M-2"]["savings_kwh"] == pytest.approx(59_200 * 4.3 / 95.3)
    assert [c["code"] for c in out["candidates"]] == ["M-2", "M-1"]
    assert out["candidates"][0]["rank"] == 1


def test_register_checks_points_and_owners(store: Store) -> None:
    e01, e02 = _user(store, "E01"), _user(store, "E02")
    with pytest.raises(NotFound, match="power_point"):
        service.register(store, principal=e01, data={**MOTOR, "power_point": "NO-SUCH"})
    # E01's point is not visible to E02: not found, as a missing point
    with pytest.raises(NotFound, match="power_point"):
        service.register(store, principal=e02, data=MOTOR)
    # a park user registering the park's own item cannot hang it on E01's meter
    with pytest.raises(InvalidInput) as err:
        service.register(store, principal=SYSTEM, data=MOTOR)
    assert err.value.field == "power_point"
    service.register(store, principal=e01, data=MOTOR)
    assert service.equipment_list(store, principal=e02) == []
    assert [i["code"] for i in service.equipment_list(store, principal=e01)] == ["M-1"]
    assert [i["code"] for i in service.equipment_list(store, principal=SYSTEM)] == ["M-1"]


ZONE = {
    "code": "RD-1", "name": "园区主干道", "kind": "road", "circuits": ["LT-road-1"],
    "latitude": 31.30, "longitude": 120.60, "area_m2": 2000,
}  # fmt: skip


def test_lighting_zone_energy_and_schedule(store: Store) -> None:
    service.put_zone(store, principal=SYSTEM, data=ZONE)
    with pytest.raises(PermissionDenied):
        service.zones(store, principal=_user(store, "E01"))
    with pytest.raises(InvalidInput) as err:
        service.put_zone(store, principal=SYSTEM, data={**ZONE, "circuits": ["NOPE"]})
    assert err.value.field == "circuits[0]"
    night = service.schedule(store, principal=SYSTEM, code="RD-1", day=dt.date(2025, 3, 10))
    assert [s["level_pct"] for s in night["setpoints"]] == [100.0, 0.0]
    _meter(store, dt.date(2025, 3, 10), 24)
    e = service.zone_energy(store, principal=SYSTEM, code="RD-1", start=dt.date(2025, 3, 10),
                            end=dt.date(2025, 3, 11))  # fmt: skip
    assert e["kwh"] == pytest.approx(120.0)  # 24 h × 5 kWh
    # density = 1000 × 120 / (lit hours × 2000 m2)
    assert e["power_density_w_m2"] == pytest.approx(1000 * 120 / (e["lit_hours"] * 2000))
    assert e["lpd_limit"] is None and e["comparison"] == "no LPD values on record"


def test_periods_out_of_range_are_refused_with_the_field(store: Store) -> None:
    e01 = _user(store, "E01")
    item = service.register(store, principal=e01, data=MOTOR)
    for start, end, field in (
        (dt.date(1, 1, 1), dt.date(2025, 1, 1), "start"),
        (dt.date(2025, 1, 2), dt.date(2025, 1, 1), "end"),
        (dt.date(2024, 1, 1), dt.date(2025, 6, 1), "end"),  # longer than 366 days
    ):
        with pytest.raises(InvalidInput) as err:
            service.measured(store, principal=e01, equipment_id=item["id"], start=start, end=end)
        assert err.value.field == field
    with pytest.raises(InvalidInput) as err:
        service.efficiency_list(store, principal=e01, year=1)
    assert err.value.field == "year"
