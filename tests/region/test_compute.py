"""Region-wide recomputations: the pure tasks with hand figures, idempotent storage, and the
Dask orchestration on a local cluster of two worker processes on loopback — including a worker
killed mid-task, whose task the scheduler runs again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pytest

from lingtan.dispatch.components import Battery, Objective
from lingtan.dispatch.replay import ReplayInput
from lingtan.errors import InvalidInput
from lingtan.region import cluster, tasks
from lingtan.region.tasks import ParkAggregates, SeriesHistory
from lingtan.store import Store
from lingtan.store.compute_repo import ComputeRepo, ComputeRow
from tests.conftest import fresh_store

# the slow task below is defined here: send it to the workers by value, not by module name
cloudpickle.register_pickle_by_value(sys.modules[__name__])

GRID = "electricity_grid_import"
#: 2024-01-01 00:00 +08:00 as epoch µs (2023-12-31 16:00 UTC = 1 704 038 400 s)
START_US = 1_704_038_400_000_000
#: a revision of the park method's fossil electricity factor — test data, not a published value
REVISION = {
    "records": [
        {
            "id": "test.revision.annex4.fossil",
            "kind": "grid_electricity",
            "key": "annex4_fossil_electricity",
            "value": 0.5,
            "unit": "kgCO2/kWh",
            "year": 2022,
            "scope": "national",
            "region": "全国",
            "basis": "fossil",
            "source": "test revision",
            "url": None,
            "url_note": "test data",
            "confidence": "L",
            "verified": False,
        }
    ]
}


def tiny_park(code: str = "P1", scale: float = 1.0) -> ParkAggregates:
    """Three hours: the park's common use 1, 2, 3 kWh and enterprise E1's two buildings 1 and
    2 kWh each hour; E1's third hour of building 2 is missing (NaN)."""
    return ParkAggregates(
        park=code,
        name=f"园区 {code}",
        province="江苏",
        year=2024,
        hourly={
            ("", GRID): scale * np.array([1.0, 2.0, 3.0]),
            ("E1", GRID): scale * np.array([[1.0, 1.0, 1.0], [2.0, 2.0, np.nan]]),
        },
        units={GRID: "kWh"},
        start_us=START_US,
    )


def test_restatement_sums_hours_then_applies_the_revised_factor() -> None:
    result = tasks.restate(tiny_park(), REVISION)
    park = result["park_inventory"]
    # common 1 + 2 + 3 = 6 kWh; E1 building 1: 1 + 1 + 1 = 3, building 2: 2 + 2 = 4 (its
    # third hour is missing, not zero) → 7 kWh; park 13 kWh
    # × 0.5 kgCO2/kWh (the revision) = 6.5 kg = 0.0065 tCO2 (附件4 二（二）3①)
    assert park["emissions_tco2"]["electricity"] == pytest.approx(0.0065)
    assert park["emissions_tco2"]["total"] == pytest.approx(0.0065)
    assert "test.revision.annex4.fossil" in park["factor_ids"]
    e1 = next(s for s in result["sources"] if s["owner"] == "E1")
    assert e1["value"] == pytest.approx(7.0)
    assert e1["missing_share"] == pytest.approx(1 / 6)  # 1 of 6 series-hours
    assert e1["periods"] == 3
    assert set(result["enterprises"]) == {"E1"}
    assert result["enterprises"]["E1"]["scope2_location_tco2"] is not None


def test_without_a_revision_the_annex4_factor_applies() -> None:
    park = tasks.restate(tiny_park(), {})["park_inventory"]
    # 13 kWh × 0.8325 kgCO2/kWh (附件4 二（二）3①, the shipped record) = 10.8225 kg
    assert park["emissions_tco2"]["electricity"] == pytest.approx(0.0108225)
    assert "annex4.electricity.fossil" in park["factor_ids"]


def test_bad_aggregates_name_the_key() -> None:
    park = dataclasses.replace(tiny_park(), units={})
    with pytest.raises(InvalidInput, match="no unit given for electricity_grid_import"):
        tasks.restate(park, {})
    short = dataclasses.replace(
        tiny_park(), hourly={("", GRID): np.ones(3), ("E2", GRID): np.ones(4)}
    )
    with pytest.raises(InvalidInput, match="E2"):
        tasks.restate(short, {})


def test_the_fingerprint_follows_every_input() -> None:
    a = tasks.restate_spec(tiny_park(), REVISION)
    assert tasks.restate_spec(tiny_park(), REVISION).fingerprint == a.fingerprint
    assert tasks.restate_spec(tiny_park(scale=1.000001), REVISION).fingerprint != a.fingerprint
    assert tasks.restate_spec(tiny_park(), {}).fingerprint != a.fingerprint
    other = tasks.restate_spec(tiny_park(), REVISION, options={"onsite_renewable": "excluded"})
    assert other.fingerprint != a.fingerprint


def test_month_spans_start_after_the_history() -> None:
    # days 0–3 in month 1, 4–5 in month 2, 6 in month 3; the replay needs 2 days of history
    assert tasks.month_spans((1, 1, 1, 1, 2, 2, 3), first_day=2) == [(2, 4), (4, 6), (6, 7)]
    assert tasks.month_spans((1, 1, 2), first_day=2) == [(2, 3)]


def test_the_store_writes_a_key_once(store: Store) -> None:
    repo = ComputeRepo(store)
    row = ComputeRow("restate", "P1", "2024", "f" * 64, '{"a": 1}', 1)
    assert repo.upsert([row, row]) == 1
    assert repo.upsert([row, dataclasses.replace(row, period="2025")]) == 1
    assert repo.existing([row.key, ("restate", "P9", "2024", "f" * 64)]) == {row.key}
    assert [r.period for r in repo.results(kind="restate", park="P1")] == ["2024", "2025"]


# -- on a local cluster ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    with cluster.client(n_workers=2, memory_limit=None) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with fresh_store("sqlite", tmp_path) as s:
        yield s


def slow_restate(park: ParkAggregates, revision: dict[str, Any], delay: float) -> dict[str, Any]:
    """A restatement that takes ``delay`` seconds longer: long enough to kill its worker."""
    time.sleep(delay)
    return tasks.restate(park, revision)


def slow_spec(k: int, delay: float) -> tasks.TaskSpec:
    spec = tasks.restate_spec(tiny_park(f"P{k}", scale=float(k)), REVISION)
    return dataclasses.replace(spec, func=slow_restate, args=(*spec.args, delay))


def test_the_cluster_listens_on_loopback_only(dask_client: Any) -> None:
    info = dask_client.scheduler_info()
    assert info["address"].startswith("tcp://127.0.0.1:")
    assert all(a.startswith("tcp://127.0.0.1:") for a in info["workers"])
    http = dask_client.run_on_scheduler(
        lambda dask_scheduler: [
            sock.getsockname()[0] for sock in dask_scheduler.http_server._sockets.values()
        ]
    )
    assert http and set(http) == {"127.0.0.1"}
    pids = cluster.worker_pids(dask_client)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()


def test_a_rerun_computes_and_writes_nothing_twice(dask_client: Any, sqlite_store: Store) -> None:
    specs = [tasks.restate_spec(tiny_park(f"P{k}", scale=float(k)), REVISION) for k in (1, 2, 3)]
    seen: list[tuple[int, int]] = []
    first = tasks.run(
        dask_client, specs, store=sqlite_store, progress=lambda d, t, _: seen.append((d, t))
    )
    assert first.stored == 3 and not first.failed
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    for k in (1, 2, 3):
        # park P{k}: 13 k kWh × 0.5 kgCO2/kWh = 0.0065 k tCO2
        result = first.results[tasks.restate_spec(tiny_park(f"P{k}", float(k)), REVISION).key]
        assert result["park_inventory"]["emissions_tco2"]["total"] == pytest.approx(0.0065 * k)
    again = tasks.run(dask_client, specs, store=sqlite_store)
    assert (again.stored, again.already_stored, len(again.results)) == (0, 3, 0)
    assert len(ComputeRepo(sqlite_store).results(kind="restate")) == 3


def test_a_failing_task_is_reported_and_the_others_stored(
    dask_client: Any, sqlite_store: Store
) -> None:
    bad = dataclasses.replace(tiny_park("PX"), units={})
    report = tasks.run(
        dask_client,
        [tasks.restate_spec(tiny_park("P1"), REVISION), tasks.restate_spec(bad, REVISION)],
        store=sqlite_store,
    )
    assert report.stored == 1
    [(key, reason)] = report.failed.items()
    assert key[1] == "PX" and "no unit given" in reason
    assert [r.park for r in ComputeRepo(sqlite_store).results()] == ["P1"]


def test_a_worker_killed_mid_task_has_its_task_run_again(
    dask_client: Any, sqlite_store: Store
) -> None:
    before = cluster.worker_pids(dask_client)
    specs = [slow_spec(k, delay=2.0) for k in (1, 2, 3, 4)]
    killed: dict[str, Any] = {}

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            busy = {w: keys for w, keys in dask_client.processing().items() if keys}
            if busy:
                worker, keys = sorted(busy.items())[0]
                time.sleep(0.5)  # inside the 2 s the task sleeps: the worker dies mid-task
                killed.update(worker=worker, keys=list(keys), pid=before[worker])
                os.kill(before[worker], signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    report = tasks.run(dask_client, specs, store=sqlite_store)
    killer.join()
    assert killed, "no worker was busy"
    assert set(killed["keys"]) <= {s.dask_key for s in specs}
    assert not report.failed
    # every park once: P{k} = 13 k kWh × 0.5 kgCO2/kWh = 0.0065 k tCO2
    assert sorted(report.results) == sorted(s.key for s in specs)
    for k, spec in enumerate(specs, start=1):
        total = report.results[spec.key]["park_inventory"]["emissions_tco2"]["total"]
        assert total == pytest.approx(0.0065 * k)
    rows = ComputeRepo(sqlite_store).results(kind="restate")
    assert sorted(r.park for r in rows) == ["P1", "P2", "P3", "P4"]
    assert report.stored == 4
    # the killed process is gone; the nanny started another in its place
    dask_client.wait_for_workers(2, timeout=30)
    assert killed["pid"] not in cluster.worker_pids(dask_client).values()


def test_forecast_retraining_on_the_cluster(dask_client: Any) -> None:
    # a constant 5 kW every hour of 60 days: the comparable day's value is 5 in every hour, so
    # seasonal naive has no error; the boosting model cannot beat an MAE of 0 and is not chosen
    series = SeriesHistory("P1", "P1:load", dt.date(2025, 3, 3), np.full((60, 24), 5.0))
    report = tasks.run(dask_client, [tasks.retrain_spec(series)])
    [result] = report.results.values()
    assert result["chosen"] == "seasonal_naive"
    assert result["first_day"] == "2025-05-02"  # 3 March + 60 days
    assert result["p50"] == [5.0] * 24
    assert result["backtest"]["naive"]["mae"] == 0.0


def test_a_replay_by_month_adds_up_to_the_hand_figures(dask_client: Any) -> None:
    # 9 days of a flat 100 kW load without PV; days 0–6 are history; day 7 is in month 1 and
    # day 8 in month 2: two tasks. Without a battery the park imports 100 kW × 24 h = 2,400 kWh
    # a day at 0.3 元/kWh for 8 h and 1.0 元/kWh for 16 h: 240 + 1,600 = 1,840 元, and
    # 2,400 kWh × 0.5 kgCO2/kWh = 1.2 tCO2 a day
    steps = np.arange(24)
    inp = ReplayInput(
        step_hours=1.0,
        load_kw=np.full((9, 24), 100.0),
        pv_kw=np.zeros((9, 24)),
        import_price=np.tile(np.where(steps < 8, 0.3, 1.0), (9, 1)),
        export_price=np.full((9, 24), 0.4),
        carbon_factor=np.full((9, 24), 0.5),
        battery=Battery(
            "B",
            energy_kwh=100.0,
            charge_kw=50.0,
            discharge_kw=50.0,
            charge_efficiency=1.0,
            discharge_efficiency=1.0,
            soc_min=0.1,
            soc_max=0.9,
            soc_initial=0.5,
        ),
        import_limit_kw=1000.0,
        export_limit_kw=0.0,
        month=(1,) * 8 + (2,),
        objective=Objective(degradation=0.0),
    )
    specs = tasks.replay_specs("P1", inp)
    assert [s.period for s in specs] == ["d7-8", "d8-9"]
    report = tasks.run(dask_client, specs)
    assert not report.failed
    no_battery = [r["totals"]["no_battery"] for r in report.results.values()]
    assert sum(t["import_kwh"] for t in no_battery) == pytest.approx(4800.0)
    assert sum(t["cost"] for t in no_battery) == pytest.approx(3680.0)
    assert sum(t["carbon_t"] for t in no_battery) == pytest.approx(2.4)
