"""Meter replacements end to end through the store (SQLite and PostgreSQL): recorded after the
readings were normalised, they revise the hours around them and the previous values stay in
history; readings arriving after a replacement give the same hours as a full rebuild."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from lingtan.ingest import ingest
from lingtan.normalize.quality import Flag
from lingtan.normalize.service import normalise_pending, rebuild
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.registry.model import MeterReplacement
from lingtan.registry.replacements import record_replacements
from lingtan.store import Store
from lingtan.store import schema as s
from lingtan.timeutil import HOUR_US, to_us
from tests.conftest import SMALL_PARK

T = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def minutes(m: float) -> dt.datetime:
    return T + dt.timedelta(minutes=m)


def send(store: Store, point: str, series: list[tuple[float, float]]) -> None:
    ingest(store, [Reading(point, minutes(m), v) for m, v in series], now=NOW)


def hour_rows(store: Store, point: str, hours: int) -> dict[str, np.ndarray]:
    pid = store.registry.points_by_code()[point].id
    h0 = to_us(T)
    return store.stats.hours(None, [pid], h0, h0 + hours * HOUR_US)[pid]


def test_a_replacement_recorded_after_normalisation_revises_the_hour(loaded: Store) -> None:
    """E01-main (rated 400 kW, ≤ 100 kWh per 15 min): the old meter reads 100, 110, 120 at
    00:00, 00:15, 00:30; the new one, installed at 00:40 reading 50, reads 55 at 00:45 and 65
    at 01:00.

    Before the replacement is recorded the drop 120 → 55 looks like a restart from zero and
    55 kWh are counted (estimated): hour 0 = 10 + 10 + 55 + 10 = 85. Recorded (old final 123,
    new initial 50): hour 0 = 10 + 10 + (123 − 120) + (55 − 50) + 10 = 38, measured, and the
    85 stays in the hour's history."""
    send(loaded, "E01-main", [(0, 100), (15, 110), (30, 120), (45, 55), (60, 65)])
    normalise_pending(loaded)
    before = hour_rows(loaded, "E01-main", 1)
    assert before["value"].tolist() == [85.0]
    assert before["flags"][0] & Flag.RESET

    report = record_replacements(
        loaded,
        [MeterReplacement(point="E01-main", at=minutes(40), old_final=123, new_initial=50)],
        actor="test",
        source="test",
        now=NOW,
    )
    assert len(report.created) == 1
    assert loaded.stats.pending_dirty() == 1
    normalise_pending(loaded)
    after = hour_rows(loaded, "E01-main", 1)
    assert after["value"].tolist() == [38.0]
    assert after["measured_s"].tolist() == [3600.0]
    assert after["flags"][0] & Flag.REPLACEMENT and not after["flags"][0] & Flag.RESET

    pid = loaded.registry.points_by_code()["E01-main"].id
    h = s.stat_hour_history
    with loaded.begin() as conn:
        old = conn.execute(select(h.c.value).where(h.c.point_id == pid, h.c.hour == to_us(T))).all()
    assert [r.value for r in old] == [85.0]
    # the hourly rollup of E01's electricity follows (E01-main is its boundary meter)
    point = loaded.registry.points_by_code()["E01-main"]
    (total,) = loaded.stats.carrier_totals(
        park_id=point.park_id,
        h0=to_us(T),
        h1=to_us(T) + HOUR_US,
        enterprise_key=point.enterprise_key,
    )
    assert (total["carrier"], total["value"]) == ("electricity_grid_import", 38.0)


def test_late_readings_after_a_replacement_match_a_rebuild(loaded: Store) -> None:
    """Replacement at 01:10 (old final 163, new initial 7) on E01-main; readings every 15 min
    from 00:00 (old meter: 100, then +10 per quarter to 140 at 01:00; new meter: 9 at 01:15,
    then +10 per quarter to 59 at 02:30). The replacement is on file first; the old meter's
    readings arrive and are normalised, the new meter's later: the hours are the same as a
    rebuild from everything, and they sum to the meters' counts (163 − 100) + (59 − 7)."""
    old = [(15 * k, 100.0 + 10 * k) for k in range(5)]  # 00:00 … 01:00: 100 … 140
    # 01:15 … 02:30: 9 (2 kWh in the 5 min since 01:10), then +10 per quarter up to 59
    new = [(75 + 15 * k, 9.0 + 10 * k) for k in range(6)]
    record_replacements(
        loaded,
        [MeterReplacement(point="E01-main", at=minutes(70), old_final=163, new_initial=7)],
        actor="test",
        source="test",
        now=NOW,
    )
    send(loaded, "E01-main", old)
    normalise_pending(loaded)
    send(loaded, "E01-main", new)
    normalise_pending(loaded)
    incremental = hour_rows(loaded, "E01-main", 3)
    rebuild(loaded)
    full = hour_rows(loaded, "E01-main", 3)
    for key in ("value", "measured_s", "estimated_s", "missing_s", "flags", "n"):
        assert np.array_equal(incremental[key], full[key], equal_nan=True), key
    # hour 0: 40; hour 1: 140 → 163 (23) + 7 → 59 for 01:10–02:00 (9 − 7 + 10 × 3 = 32) = 55;
    # hour 2: 02:00–02:30 = 20, the rest missing
    assert full["value"].tolist() == [40.0, 55.0, 20.0]
    assert float(np.nansum(full["value"])) == (163 - 100) + (59 - 7)


def test_a_replacement_after_the_last_reading_is_renormalised_whole(loaded: Store) -> None:
    """The old meter reads 100 at 00:00 and 110 at 00:15, then nothing until it is replaced at
    02:30 with its register at 140 (new initial 0, no reading yet). The span 00:15–02:30
    carries 30 kWh over 135 min, estimated (a gap): 10 in 00:15–01:00 (45 min), 13.33… in
    hour 1, 6.66… in 02:00–02:30. When the point's multiplier then becomes 2 (park file), every
    one of these hours is recomputed — those after the last reading too — and doubles."""
    send(loaded, "E01-main", [(0, 100), (15, 110)])
    normalise_pending(loaded)
    record_replacements(
        loaded,
        [MeterReplacement(point="E01-main", at=minutes(150), old_final=140, new_initial=0)],
        actor="test",
        source="test",
        now=NOW,
    )
    normalise_pending(loaded)
    recorded = hour_rows(loaded, "E01-main", 3)
    assert recorded["value"].tolist() == pytest.approx([20.0, 30 * 60 / 135, 30 * 30 / 135])
    assert recorded["estimated_s"].tolist() == [2700.0, 3600.0, 1800.0]
    doubled = parse_park_text(
        SMALL_PARK.replace("    max_rate: 400\n", "    max_rate: 400\n    multiplier: 2\n", 1)
    )
    assert loaded.registry.save_park(doubled).renormalise == ["E01-main"]
    normalise_pending(loaded)
    again = hour_rows(loaded, "E01-main", 3)
    assert again["value"].tolist() == pytest.approx([40.0, 60 * 60 / 135, 60 * 30 / 135])
    rebuild(loaded)
    rebuilt = hour_rows(loaded, "E01-main", 3)
    for key in ("value", "measured_s", "estimated_s", "missing_s", "flags", "n"):
        assert np.array_equal(again[key], rebuilt[key], equal_nan=True), key
