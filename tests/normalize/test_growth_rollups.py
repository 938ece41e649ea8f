"""Daily and monthly rollups of continued points grow by differences: they must equal a
one-shot normalisation.

Two registers in the park's local time (Asia/Shanghai, UTC+8) read every 5 minutes from
2025-06-30 22:00 to 2025-07-01 12:00 local, across a local midnight that is also a month's
end, delivered in batches of half an hour and normalised after every batch (most batches
continue both points from their state and add to the day and month rows). One reading of B
arrives two batches late (its hours are recomputed), A's counter is reset after local
midnight, one batch is re-sent. The same batches ingested into a second store and normalised
once give the same hourly, daily and monthly rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store
from tests.conftest import fresh_store

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
START = dt.datetime(2025, 6, 30, 14, 0, tzinfo=dt.UTC)  # 22:00 on June 30 in Shanghai
STEPS = 14 * 12  # to 12:00 local on July 1: 168 five-minute steps, 169 readings
RESET_AT = 30  # A's 30th step (00:30 local on July 1) reads 0.5: a counter reset
LATE = 14  # B's reading at 23:10 local arrives two batches late
PARK = """\
park: {id: grow, name: 增长园区, province: 江苏}
points:
  - {id: A, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, interval_s: 300}
  - {id: B, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, interval_s: 300}
"""
QUERIES = {
    "stat_hour": "SELECT p.code, h.hour, h.value, h.measured_s, h.estimated_s, h.missing_s, "
    "h.flags, h.n FROM stat_hour h JOIN point p ON p.id = h.point_id",
    "stat_day": "SELECT p.code, d.day, d.value, d.measured_s, d.estimated_s, d.missing_s, "
    "d.flags, d.n FROM stat_day d JOIN point p ON p.id = d.point_id",
    "stat_month": "SELECT p.code, m.first_day, m.end_day, m.value, m.measured_s, "
    "m.estimated_s, m.missing_s, m.flags, m.n, m.days FROM stat_month m "
    "JOIN point p ON p.id = m.point_id",
}
JUNE_30 = (dt.date(2025, 6, 30) - dt.date(1970, 1, 1)).days
JULY_1 = JUNE_30 + 1


def readings() -> list[Reading]:
    out = []
    for k in range(STEPS + 1):
        t = START + dt.timedelta(minutes=5 * k)
        a = 1000.0 + k if k < RESET_AT else 0.5 + (k - RESET_AT)
        out += [Reading("A", t, a), Reading("B", t, 200.0 + k)]
    return out


def batches() -> list[list[Reading]]:
    rows = readings()
    chunks = [rows[i : i + 12] for i in range(0, len(rows), 12)]  # 6 readings per point
    late = next(
        r for r in rows if r.point == "B" and r.ts == START + dt.timedelta(minutes=5 * LATE)
    )
    for chunk in chunks:
        if late in chunk:
            chunk.remove(late)
            chunks[chunks.index(chunk) + 2].append(late)
            break
    chunks.insert(9, list(chunks[7]))  # a re-sent batch: duplicates only
    return chunks


def snapshot(store: Store) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    out = {}
    with store.begin() as conn:
        for table, sql in QUERIES.items():
            out[table] = {tuple(r[:2]): tuple(r[2:]) for r in conn.execute(text(sql)).all()}
    return out


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_growing_days_and_months_equal_a_one_shot_normalisation(
    engine: str, tmp_path: Path
) -> None:
    with fresh_store(engine, tmp_path) as live, fresh_store(engine, tmp_path) as once:
        continued = recomputed = 0
        for store in (live, once):
            store.registry.save_park(parse_park_text(PARK))
        for chunk in batches():
            ingest(live, chunk, now=NOW)
            report = normalise_pending(live)
            continued += report.continued
            recomputed += report.points - report.continued
            ingest(once, chunk, now=NOW)
        # the reference: every point recomputed from its readings in one run
        assert normalise_pending(once, incremental=False).continued == 0
        # most runs continue, the first too (each point continues from its first reading);
        # the late reading's and the reset's recompute
        assert continued > 30 and recomputed >= 2
        got, want = snapshot(live), snapshot(once)
        for table, rows in want.items():
            assert set(got[table]) == set(rows), table
            for key, row in rows.items():
                assert all(close(a, b) for a, b in zip(got[table][key], row, strict=True)), (
                    table, key, got[table][key], row,
                )  # fmt: skip
        # B by hand: +1 kWh every 5 minutes, 24 steps before local midnight, 144 after
        day = {k[1]: v for k, v in got["stat_day"].items() if k[0] == "B"}
        month = {k[1]: v for k, v in got["stat_month"].items() if k[0] == "B"}
        assert day[JUNE_30][0] == pytest.approx(24.0)
        assert day[JULY_1][0] == pytest.approx(144.0)
        # (end day, value, …): June holds its 30th only
        assert month[JUNE_30 - 29][:2] == (JULY_1, pytest.approx(24.0))
        assert month[JULY_1][1] == pytest.approx(144.0)
        assert month[JULY_1][-1] == 1  # one daily row in July
        # July 1 has 12 hours of readings: the other 12 hours (43,200 s) are missing
        assert day[JULY_1][3] == pytest.approx(43_200.0)
