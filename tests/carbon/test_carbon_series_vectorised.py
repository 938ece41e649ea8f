"""The vectorised series lookup (epoch µs) agrees with the datetime lookup, across DST too."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lingtan.carbon.factors import FactorSeries
from lingtan.carbon.inventory import HourlyGrid
from lingtan.errors import InvalidInput, NotFound

UTC = dt.UTC


def _series(**fields: object) -> FactorSeries:
    base: dict[str, object] = {
        "id": "test.series",
        "kind": "grid_electricity_hourly",
        "unit": "kgCO2/kWh",
        "scope": "province",
        "region": "江苏",
        "basis": "average",
        "year": 2025,
        "source": "hand-made test series",
        "url": None,
        "url_note": "test data",
        "confidence": "U",
        "verified": False,
    }
    base.update(fields)
    return FactorSeries.model_validate(base)


def _us(ts: dt.datetime) -> int:
    return (ts - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York"])
def test_time_of_day_lookup_matches_datetimes_across_offset_changes(zone: str) -> None:
    """Local hour h takes value h; every UTC hour of 2025 (two DST changes in Berlin and New
    York) gives the same value through both lookups."""
    series = _series(
        resolution="time_of_day", timezone=zone, values=tuple(float(h) for h in range(24))
    )
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    hours = [start + dt.timedelta(hours=k) for k in range(8760)]
    by_datetime = series.hourly_values(hours)
    by_us = series.values_at_us(np.array([_us(h) for h in hours], dtype=np.int64))
    assert np.array_equal(by_datetime, by_us)


def test_hourly_lookup_by_offset_and_refusals() -> None:
    """Start 2025-01-01T00:00+08:00 = 2024-12-31T16:00Z; values 0.5, 0.6, 0.7: the UTC hour
    17:00 is index 1 → 0.6. Hours outside, or not on a whole hour of the series, are refused."""
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    series = _series(resolution="hour", start=start, values=(0.5, 0.6, 0.7))
    t17 = _us(dt.datetime(2024, 12, 31, 17, tzinfo=UTC))
    assert series.values_at_us(np.array([t17], dtype=np.int64)).tolist() == [0.6]
    with pytest.raises(NotFound):
        series.values_at_us(np.array([t17 + 3 * 3_600_000_000], dtype=np.int64))
    with pytest.raises(NotFound):
        series.values_at_us(np.array([t17 + 1], dtype=np.int64))


def test_hourly_grid_from_arrays_checks_shapes() -> None:
    grid = HourlyGrid.from_arrays(np.array([0, 3_600_000_000]), np.array([1.0, 2.0]))
    assert grid.hour_starts == () and grid.hours_us is not None
    with pytest.raises(InvalidInput):
        HourlyGrid.from_arrays(np.array([0]), np.array([1.0, 2.0]))
