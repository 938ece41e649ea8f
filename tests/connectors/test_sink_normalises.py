"""``lingtan collect``'s sink normalises what it commits (``collector_normalises``): a
background normaliser in the collector's process, poked after each batch, continues the points
from the rows the sink committed. One register point, a reading a minute, +1 kWh a minute:
the hour's energy is the number of one-minute steps in it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lingtan.config import load_settings
from lingtan.connectors.collector.sink import StoreSink
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import open_store
from lingtan.store import schema as s

T0 = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
PARK = """\
park: {id: live, name: 实时园区, province: 江苏}
points:
  - {id: M1, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, interval_s: 60}
"""


def readings(minutes: range) -> list[Reading]:
    return [Reading("M1", T0 + dt.timedelta(minutes=m), 1000.0 + m) for m in minutes]


def hour0(url: str) -> float | None:
    store = open_store(url)
    try:
        with store.begin() as conn:
            value = conn.execute(select(s.stat_hour.c.value)).scalar()
            return None if value is None else float(value)
    finally:
        store.close()


@pytest.mark.parametrize("normalise", [True, False])
def test_the_collectors_sink_normalises_its_batches_when_asked(
    tmp_path: Path, normalise: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'collect.db'}"
    store = open_store(url)
    store.registry.save_park(parse_park_text(PARK))
    store.close()
    sink = StoreSink(
        load_settings(database_url=url, normalise_min_interval_s=0), normalise=normalise
    )
    try:
        assert sink(readings(range(0, 11))).accepted == 11
        assert sink.wait_normalised(30)
        assert hour0(url) == (pytest.approx(10.0) if normalise else None)  # minutes 0–10
        assert sink(readings(range(11, 21))).accepted == 10
        assert sink.wait_normalised(30)
        assert hour0(url) == (pytest.approx(20.0) if normalise else None)  # minutes 0–20
    finally:
        sink.close()
    store = open_store(url)
    try:
        with store.begin() as conn:
            queued = conn.execute(select(func.count()).select_from(s.dirty_range)).scalar_one()
        assert queued == (0 if normalise else 2)
    finally:
        store.close()
