"""A small park whose every figure is worked out by hand (tests/indicators/data/README.md).

Interval points read the consumption of the hour ending at each reading, so a constant hourly
value gives a monthly total of 744 × the value in January 2025 (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np

from lingtan.ingest import ingest_columns
from lingtan.normalize.service import normalise_pending
from lingtan.registry import parse_park_text
from lingtan.store import Store
from lingtan.timeutil import HOUR_US, to_us

PARK: Final = """\
park:
  id: golden-park
  name: 金标测试园区
  province: 江苏
enterprises:
  - id: A
    name: 甲企业
  - id: B
    name: 乙企业
sites:
  - id: A-B1
    name: 甲一号厂房
    enterprise: A
    floor_area_m2: 10000
  - id: B-B1
    name: 乙厂房
    enterprise: B
    floor_area_m2: 5000
points:
  - {id: A-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, site: A-B1, level: 1, interval_s: 3600}
  - {id: A-line, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: A, site: A-B1, level: 2, parent: A-grid, interval_s: 3600}
  - {id: A-green, carrier: direct_green_electricity, kind: interval, unit: kWh, enterprise: A, site: A-B1, level: 1, interval_s: 3600}
  - {id: A-pv, carrier: pv_generation, kind: interval, unit: kWh, enterprise: A, site: A-B1, level: 1, interval_s: 3600}
  - {id: A-export, carrier: electricity_export, kind: interval, unit: kWh, enterprise: A, level: 1, interval_s: 3600}
  - {id: A-water, carrier: water, kind: interval, unit: m3, enterprise: A, level: 1, interval_s: 3600}
  - {id: B-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: B, site: B-B1, level: 1, interval_s: 3600}
  - {id: B-gas, carrier: natural_gas, kind: interval, unit: m3, enterprise: B, site: B-B1, level: 1, interval_s: 3600}
  - {id: B-steam, carrier: steam, kind: interval, unit: GJ, enterprise: B, site: B-B1, level: 1, interval_s: 3600}
"""

#: consumption per hour of each point in January 2025
HOURLY: Final[dict[str, float]] = {
    "A-grid": 100.0,
    "A-line": 60.0,
    "A-green": 50.0,
    "A-pv": 20.0,
    "A-export": 5.0,
    "A-water": 10.0,
    "B-grid": 200.0,
    "B-gas": 30.0,
    "B-steam": 2.0,
}
HOURS_JANUARY: Final = 744
TZ8: Final = dt.timezone(dt.timedelta(hours=8))


def load(store: Store, *, hours: int = HOURS_JANUARY, skip: dict[str, int] | None = None) -> Store:
    """The park with ``hours`` hourly readings from 2025-01-01 01:00 local on every point.

    ``skip`` leaves out the first n readings of a point (a metering gap at the start)."""
    store.registry.save_park(parse_park_text(PARK), actor="test")
    points = store.registry.points_by_code(refresh=True)
    start = to_us(dt.datetime(2025, 1, 1, 1, tzinfo=TZ8))
    ts_one = start + HOUR_US * np.arange(hours, dtype=np.int64)
    pids, ts, values = [], [], []
    for code, v in HOURLY.items():
        first = (skip or {}).get(code, 0)
        pids.append(np.full(hours - first, points[code].id, np.int64))
        ts.append(ts_one[first:])
        values.append(np.full(hours - first, v))
    ingest_columns(
        store, np.concatenate(pids), np.concatenate(ts), np.concatenate(values), source="golden"
    )
    normalise_pending(store)
    return store
