"""The demo park through the real pipeline (shrunk to 7 enterprises × 3 months)."""

from __future__ import annotations

import numpy as np
import pytest

from lingtan.demo.park import build_park, synthetic_uscc
from lingtan.demo.run import run
from lingtan.normalize.quality import Flag
from lingtan.registry.uscc import uscc_problem
from lingtan.store import Store
from lingtan.timeutil import HOUR_US, to_us


def test_demo_park_is_valid_and_labelled_synthetic() -> None:
    model = build_park()
    assert "合成" in model.park.name
    assert len(model.enterprises) == 20
    assert all("合成" in e.name for e in model.enterprises)
    assert uscc_problem(synthetic_uscc(7)) is None


def test_small_demo_runs_through_the_pipeline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from lingtan.store import open_store

    store: Store = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    result = run(store, months=3, enterprises=7)
    assert result.reasons == {
        "bad_value": 1,
        "naive_timestamp": 1,
        "unknown_point": 1,
        "conflict": 1,
    }
    assert result.accepted == store.readings.count()
    # the E07 communication gap (2025-03-10 00:00 to 03-12 06:00 +08:00) is bridged, estimated
    p = store.registry.points_by_code()["E07-grid"]
    tz = dt.timezone(dt.timedelta(hours=8))
    h0 = to_us(dt.datetime(2025, 3, 10, 0, tzinfo=tz))
    h1 = to_us(dt.datetime(2025, 3, 12, 6, tzinfo=tz))
    rows = store.stats.hours(None, [p.id], h0, h1)[p.id]
    assert len(rows["hours"]) == (h1 - h0) // HOUR_US
    assert (rows["estimated_s"] > 0).all()
    assert all(f & Flag.GAP for f in rows["flags"].tolist())
    # the hours around the gap sum to the register advance across them
    ts, vals = store.readings.fetch(p.id, h0 - HOUR_US, h1 + HOUR_US + 1)
    assert ts[0] == h0 - HOUR_US and ts[-1] == h1 + HOUR_US
    edge = store.stats.hours(None, [p.id], h0 - HOUR_US, h1 + HOUR_US)[p.id]
    assert np.isclose(np.nansum(edge["value"]), vals[-1] - vals[0], rtol=1e-12)
    store.close()


def test_pv_peaks_at_solar_noon_and_is_dark_at_night() -> None:
    """At 120.6°E in UTC+8 solar noon is within minutes of 12:00 local time, so the 15-minute
    interval of largest clear-sky output in March ends between 12:00 and 12:30, and nothing is
    produced between 20:00 and 04:00."""
    import pandas as pd

    from lingtan.demo import series

    index = series.timeline(2025, "Asia/Shanghai")
    pv = series.pv_generation(index, 1000.0, 31.3, 120.6, seed=1)
    march = (index.month == 3) & (index.day == 21)
    day = pd.Series(pv[march], index=index[march])
    peak = day.idxmax()
    assert (
        pd.Timestamp("2025-03-21 12:00", tz="Asia/Shanghai")
        <= peak
        <= pd.Timestamp("2025-03-21 12:30", tz="Asia/Shanghai")
    )
    hours = index.hour
    assert pv[(hours >= 21) | (hours < 4)].sum() == 0.0


def test_demo_meter_replacement_is_declared_and_loses_no_energy(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """E11's main meter is replaced on 2025-07-15 at 10:30 (+08:00); the new register starts
    from zero, and the demo declares the replacement. Adding the old meter's final value to
    the new meter's readings gives back one continuous register R (the energy through the
    connection since the old meter's zero), so each hour's consumption is R(end) − R(start):
    worked out here from the stored readings alone, not from the normaliser. The hours are
    measured, nothing is counted for the new register's start, nothing is lost."""
    import datetime as dt

    from lingtan.store import open_store
    from lingtan.store.query_repo import Tenant

    store: Store = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    # the readings, the replacement and the hours are stored before the alarm scheduler's
    # daily replay over the seven months, which only raises alarms, none of them looked at
    # here (60 % of the run: 27 of 45 s); the replay still runs in the demo above and in
    # every API test world
    monkeypatch.setattr("lingtan.demo.run.replay_alarms", lambda *_a, **_k: 0)
    run(store, months=7, enterprises=11)
    p = store.registry.points_by_code()["E11-grid"]
    (event,), total = store.replacements.list(tenant=Tenant.park_wide(), point_id=p.id)
    tz = dt.timezone(dt.timedelta(hours=8))
    at = to_us(dt.datetime(2025, 7, 15, 10, 30, tzinfo=tz))
    assert total == 1 and event.at == at and event.new_initial == 0.0
    h0 = to_us(dt.datetime(2025, 7, 15, 6, tzinfo=tz))
    h1 = to_us(dt.datetime(2025, 7, 15, 15, tzinfo=tz))
    ts, vals = store.readings.fetch(p.id, h0, h1 + 1)
    assert vals[ts == at].tolist() == [0.0]  # the new meter, read as it was installed
    register = np.where(ts >= at, vals + event.old_final, vals)
    expected = [
        float(register[ts == h + HOUR_US][0] - register[ts == h][0]) for h in range(h0, h1, HOUR_US)
    ]
    rows = store.stats.hours(None, [p.id], h0, h1)[p.id]
    assert rows["value"].tolist() == pytest.approx(expected, abs=1e-6)
    assert (rows["measured_s"] == 3600.0).all()
    replaced = (rows["flags"] & Flag.REPLACEMENT) != 0
    assert replaced.tolist() == [h == to_us(dt.datetime(2025, 7, 15, 10, tzinfo=tz))
                                 for h in range(h0, h1, HOUR_US)]  # fmt: skip
    assert not (rows["flags"] & Flag.RESET).any()
    # the old meter's last quarter hour (10:15–10:30) counts like its neighbours, not as zero
    quarter = event.old_final - float(vals[ts == at - 15 * 60 * 1_000_000][0])
    assert 0.5 * expected[3] / 4 < quarter < 2 * expected[3] / 4
    store.close()
