"""The region's stored uploads as the restatement's input: a park's year of current revisions
becomes ParkAggregates (NaN where no upload carries the hour), restated by the Dask task."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.errors import NotFound
from lingtan.identity.roles import SYSTEM
from lingtan.region import restate, tasks
from lingtan.store import Store
from tests.region.conftest import region_channel
from tests.region.test_region import URL, _payload, _queue, _send


def test_stored_uploads_are_restated(park_store: Store, region_store: Store) -> None:
    channel = region_channel(park_store, URL)
    for month in (1, 2):
        q = _queue(park_store, channel.id, 2025, month)
        _send(region_store, _payload(park_store, q.idempotency_key, channel.id))
    agg = restate.park_aggregates(region_store, principal=SYSTEM, park_code="P1", year=2025)
    # the year 2025 in Asia/Shanghai: 365 × 24 = 8 760 hours; the province from the envelope
    assert agg.province == "江苏" and agg.units == {"electricity_grid_import": "kWh"}
    e01 = agg.hourly[("E01", "electricity_grid_import")]
    e02 = agg.hourly[("E02", "electricity_grid_import")]
    assert e01.shape == e02.shape == (8760,)
    # two days of each month uploaded: E01 (A-grid, its sub-meter not a series) 10 kWh and
    # E02 5 kWh in 2 × 48 hours; every other hour has no value (NaN, never 0)
    assert np.nansum(e01) == pytest.approx(2 * 48 * 10) and np.count_nonzero(~np.isnan(e01)) == 96
    assert np.nansum(e02) == pytest.approx(2 * 48 * 5)
    result = tasks.restate(agg, {})
    # (960 + 480) kWh × 0.8325 kgCO2/kWh (附件4 二（二）3①, the shipped record) = 1 198.8 kg
    assert result["park_inventory"]["emissions_tco2"]["electricity"] == pytest.approx(1.1988)
    assert restate.registered_parks(region_store, principal=SYSTEM) == ["P1", "P2"]
    with pytest.raises(NotFound):
        restate.park_aggregates(region_store, principal=SYSTEM, park_code="P2", year=2025)


def test_the_cli_restates_the_stored_uploads(
    park_store: Store, region_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = region_channel(park_store, URL)
    q = _queue(park_store, channel.id, 2025, 1)
    _send(region_store, _payload(park_store, q.idempotency_key, channel.id))
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'region.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    both = ["region-compute", "restate", "--year", "2025", "--aggregates", str(tmp_path)]
    assert CliRunner().invoke(app, both).exit_code == 2
    out = CliRunner().invoke(
        app, ["region-compute", "restate", "--year", "2025", "--workers", "1", "--no-store"]
    )
    assert out.exit_code == 0, out.output
    # January's two days: (480 + 240) kWh × 0.8325 kgCO2/kWh = 599.4 kg = 0.599 t; P2 has no
    # upload: named and left out
    assert "0.599" in out.output and "not restated: P2" in out.output
