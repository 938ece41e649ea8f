"""A hand-made park with hourly interval meters, for store-backed accounting tests.

Every point is an ``interval`` meter read hourly, so each reading is the consumption of the
hour ending at its timestamp and the expected totals can be added up by hand. Two hours of
January 2025 (local 00:00–02:00, Asia/Shanghai) are loaded by :func:`load_january`:

============  ===================  =========================  ========================
point         carrier              readings (01:00, 02:00)    total in January
============  ===================  =========================  ========================
A-grid        grid import, E01     600, 400 kWh               1 000 kWh
A-hvac        sub-meter of A-grid  200, 100 kWh               (not boundary)
A-green       direct green, E01    300, 200 kWh               500 kWh
A-gas         natural gas, E01     50, 50 m3                  100 m3
A-steam       steam, E01           5, 5 GJ                    10 GJ
A-pv          PV, E01              40, 60 kWh                 100 kWh
B-grid        grid import, E02     1 500, 500 kWh             2 000 kWh
B-diesel      diesel, E02          100, 100 kg                0.2 t
B-water       water, E02           10, 10 m3                  20 m3
P-grid        grid import, park    100, 100 kWh               200 kWh
P-export      export, park         0, 50 kWh                  50 kWh
P-pv          PV, park             30, 80 kWh                 110 kWh
P-sum         virtual A + B grid   (computed, boundary false)
============  ===================  =========================  ========================
"""

from __future__ import annotations

import datetime as dt

from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store

PARK = """\
park:
  id: acc-park
  name: 核算测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 甲公司
  - id: E02
    name: 乙公司
sites:
  - id: S-A
    name: 甲公司厂房
    enterprise: E01
    floor_area_m2: 1000
  - id: S-P
    name: 园区综合楼
    floor_area_m2: 2000
  - id: S-B
    name: 乙公司仓库
    enterprise: E02
points:
  - {id: A-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E01, site: S-A, interval_s: 3600}
  - {id: A-hvac, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E01, site: S-A, parent: A-grid, interval_s: 3600}
  - {id: A-green, carrier: direct_green_electricity, kind: interval, unit: kWh, enterprise: E01, site: S-A, interval_s: 3600}
  - {id: A-gas, carrier: natural_gas, kind: interval, unit: m3, enterprise: E01, site: S-A, interval_s: 3600}
  - {id: A-steam, carrier: steam, kind: interval, unit: GJ, enterprise: E01, site: S-A, interval_s: 3600}
  - {id: A-pv, carrier: pv_generation, kind: interval, unit: kWh, enterprise: E01, site: S-A, interval_s: 3600}
  - {id: B-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E02, interval_s: 3600}
  - {id: B-diesel, carrier: diesel, kind: interval, unit: kg, enterprise: E02, interval_s: 3600}
  - {id: B-water, carrier: water, kind: interval, unit: m3, enterprise: E02, interval_s: 3600}
  - {id: P-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, site: S-P, interval_s: 3600}
  - {id: P-export, carrier: electricity_export, kind: interval, unit: kWh, site: S-P, interval_s: 3600}
  - {id: P-pv, carrier: pv_generation, kind: interval, unit: kWh, site: S-P, interval_s: 3600}
  - {id: P-sum, carrier: electricity_grid_import, kind: interval, unit: kWh, formula: A-grid + B-grid, boundary: false, interval_s: 3600}
"""

TZ = dt.timezone(dt.timedelta(hours=8))
JANUARY: dict[str, tuple[float, float]] = {
    "A-grid": (600, 400),
    "A-hvac": (200, 100),
    "A-green": (300, 200),
    "A-gas": (50, 50),
    "A-steam": (5, 5),
    "A-pv": (40, 60),
    "B-grid": (1500, 500),
    "B-diesel": (100, 100),
    "B-water": (10, 10),
    "P-grid": (100, 100),
    "P-export": (0, 50),
    "P-pv": (30, 80),
}


def load_park(store: Store) -> None:
    """Declare the park."""
    store.registry.save_park(parse_park_text(PARK))


def readings(values: dict[str, tuple[float, ...]], year: int, month: int) -> list[Reading]:
    """Hourly interval readings from 01:00 local on the first of the month."""
    start = dt.datetime(year, month, 1, 1, tzinfo=TZ)
    return [
        Reading(point, start + dt.timedelta(hours=k), float(v), source="test")
        for point, series in values.items()
        for k, v in enumerate(series)
    ]


def load_january(store: Store) -> None:
    """Declare the park and load its two hours of January 2025, normalised."""
    load_park(store)
    add(store, JANUARY, 2025, 1)


def add(store: Store, values: dict[str, tuple[float, ...]], year: int, month: int) -> None:
    """Ingest and normalise more hourly readings."""
    ack = ingest(store, readings(values, year, month), source="test")
    assert ack.rejected == 0, ack.reasons
    normalise_pending(store)


def ids(store: Store) -> dict[str, int]:
    """Enterprise and site codes → ids."""
    park = store.registry.park()
    out = {e.code: e.id for e in store.registry.enterprises(park.id)}
    out.update({s.code: s.id for s in store.registry.sites(park.id)})
    return out
