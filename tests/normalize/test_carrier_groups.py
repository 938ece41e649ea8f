"""Owner × carrier rollups of many series at once (``StatsRepo.refresh_carriers``).

A park of three enterprises × two carriers (grid electricity in kWh, natural gas in m3), a
park-owned grid meter and a sub-meter that is not a boundary point: seven series, all
refreshed by every normaliser run in the same statements. Fed in batches (most continued by
the live path, a few readings held back so that the recompute path runs too), the rollups —
hourly rows, monthly rows and the monthly rows' packed hours — must equal a full rebuild row
for row, and a few hours are checked by hand.

Every register advances by a whole number of units each quarter hour and reads on the quarter
hours, so a fully covered hour holds four steps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from lingtan.ingest import ingest_columns
from lingtan.normalize.service import normalise_pending, rebuild
from lingtan.registry import parse_park_text
from lingtan.store import Store
from lingtan.store.stats_repo import StatsRepo

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
QUARTER = 900_000_000
H = 3_600_000_000
# 2025-06-30 12:00 in Shanghai (UTC+8) = 04:00Z; local July starts 12 hours later
T0 = 1_751_256_000_000_000
JULY = T0 + 12 * H
QUARTERS = 24 * 4  # one day: the run crosses the local month boundary

PARK = """\
park: {id: groups, name: 多企业园区, province: 江苏}
enterprises:
  - {id: A, name: 甲企业}
  - {id: B, name: 乙企业}
  - {id: C, name: 丙企业}
points:
  - {id: A-grid1, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, enterprise: A, interval_s: 900}
  - {id: A-grid2, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, enterprise: A, interval_s: 900}
  - {id: A-sub, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, enterprise: A, parent: A-grid1, interval_s: 900}
  - {id: A-gas, carrier: natural_gas, kind: total_increasing, unit: m3, enterprise: A, interval_s: 900}
  - {id: B-grid, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, enterprise: B, interval_s: 900}
  - {id: B-gas, carrier: natural_gas, kind: total_increasing, unit: m3, enterprise: B, interval_s: 900}
  - {id: C-grid, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, enterprise: C, interval_s: 900}
  - {id: C-gas, carrier: natural_gas, kind: total_increasing, unit: m3, enterprise: C, interval_s: 900}
  - {id: P-grid, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, interval_s: 900}
"""
#: units added per quarter hour; A-grid2 starts reading 6 hours after the others
STEP = {"A-grid1": 1, "A-grid2": 2, "A-sub": 1, "A-gas": 3, "B-grid": 4, "B-gas": 5,
        "C-grid": 6, "C-gas": 7, "P-grid": 8}  # fmt: skip
LATE_START = {"A-grid2": 24}

HOURS = (
    "SELECT enterprise_key, carrier, unit, hour, value, measured_s, estimated_s, missing_s, "
    "points FROM stat_hour_carrier"
)
MONTHS = (
    "SELECT enterprise_key, carrier, unit, month_start, month_end, value, measured_s, "
    "estimated_s, missing_s, hours, hour_starts, hour_values FROM stat_month_carrier"
)


def readings(store: Store) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point, ts, value) of every register, sorted by time."""
    ids = store.registry.points_by_code()
    rows = [
        (ids[code].id, T0 + q * QUARTER, 1000.0 + step * q)
        for code, step in STEP.items()
        for q in range(LATE_START.get(code, 0), QUARTERS + 1)
    ]
    rows.sort(key=lambda r: (r[1], r[0]))
    pid, ts, value = zip(*rows, strict=True)
    return np.array(pid, np.int64), np.array(ts, np.int64), np.array(value, np.float64)


def snapshot(store: Store) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    with store.begin() as conn:
        return {
            "hours": {tuple(r[:4]): tuple(r[4:]) for r in conn.execute(text(HOURS)).all()},
            "months": {tuple(r[:4]): tuple(r[4:]) for r in conn.execute(text(MONTHS)).all()},
        }


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return bool(a == b)


def test_many_series_after_live_batches_equal_a_full_rebuild(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.registry.save_park(parse_park_text(PARK))
    calls: list[int] = []
    refresh = StatsRepo.refresh_carriers

    def counted(self: StatsRepo, conn: Any, groups: Any) -> None:
        calls.append(len(groups))
        refresh(self, conn, groups)

    monkeypatch.setattr(StatsRepo, "refresh_carriers", counted)
    pid, ts, value = readings(store)
    # 8 batches in time order; the 3rd holds back every tenth reading to the 6th (late data)
    cuts = np.array_split(np.arange(len(ts)), 8)
    held = cuts[2][::10]
    cuts[2] = np.setdiff1d(cuts[2], held)
    cuts[5] = np.concatenate([cuts[5], held])
    runs = continued = 0
    for rows in cuts:
        ack = ingest_columns(store, pid[rows], ts[rows], value[rows], now=NOW)
        assert ack.accepted == len(rows)
        report = normalise_pending(store)
        runs += 1
        continued += report.continued
    assert continued > 0 and continued < 9 * 8  # both the live and the recompute path ran
    # one call per transaction that writes hours (the live path, each recompute chunk), not
    # one per series: 7 series (A, B, C × 2 carriers and the park's grid meter)
    assert len(calls) <= 2 * runs and max(calls) == 7
    got = snapshot(store)

    assert len({k[:3] for k in got["hours"]}) == 7
    a = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}["A"]
    grid = "electricity_grid_import"
    # A's grid at its 3rd hour: A-grid2 has no reading yet (it starts at hour 6), so the hour
    # sums A-grid1 alone, 4 quarters × 1 kWh = 4 kWh, and A-grid2's whole hour is missing:
    # missing_s = 0 + (2 points - 1 row) × 3600 = 3600; A-sub is not a boundary point
    assert got["hours"][(a, grid, "kWh", T0 + 3 * H)] == pytest.approx(
        (4.0, 3600.0, 0.0, 3600.0, 1)
    )
    # at its 8th hour both read: 4 × (1 + 2) = 12 kWh, nothing missing, two rows
    assert got["hours"][(a, grid, "kWh", T0 + 8 * H)] == pytest.approx((12.0, 7200.0, 0.0, 0.0, 2))
    # the park's own meter (enterprise key 0) in the local July month row: hours 12 … 23,
    # 12 h × 4 quarters × 8 kWh = 384 kWh, each hour 4 × 8 = 32 kWh, and the hour of the last
    # reading (T0 + 24 h), open, nothing in it yet (packed as 0)
    july = got["months"][(0, grid, "kWh", JULY)]
    assert july[1] == pytest.approx(384.0) and july[5] == 13
    assert np.frombuffer(july[6], ">i8").tolist() == [JULY + k * H for k in range(13)]
    assert np.frombuffer(july[7], ">f8").tolist() == pytest.approx([32.0] * 12 + [0.0])

    with store.begin() as conn:
        for table in ("stat_hour_history", "stat_hour", "stat_day", "stat_month",
                      "stat_hour_carrier", "stat_month_carrier"):  # fmt: skip
            conn.execute(text(f"DELETE FROM {table}"))
    rebuild(store)
    want = snapshot(store)
    for part in ("hours", "months"):
        assert set(got[part]) == set(want[part]), part
        for key, row in want[part].items():
            assert all(same(x, y) for x, y in zip(got[part][key], row, strict=True)), (
                part, key, got[part][key], row,
            )  # fmt: skip
