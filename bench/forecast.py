"""Forecast benchmark: train and issue a day-ahead forecast for every point of the demo year,
then backtest each series over the year and print the skill against seasonal-naive per carrier.

1. The demo park's year (20 enterprises, 127 points, 2025) is built with the ``lingtan demo``
   machinery into a fresh SQLite file (or ``--store URL`` reuses a store that holds it).
2. The PV meters' plants are declared by the demo's park file (demo/park.py ``pv_plant``: the
   generator's 25° tilt, facing south, 20 % losses, the park's site); the park's PV inverter
   power (``PARK-pv-power``, kW), which the park file cannot carry a plant on, gets the same
   plant over the service, as before.
3. ``train``: one day-ahead forecast per point — model choice on a 56-day backtest, final fit,
   forecast, stored — timed over all points (target: < 60 s on 2 cores).
4. ``backtest``: a rolling-origin backtest over the year per series (weekly origins, the
   boosting model refitted every 91 days), not stored; skill = 1 − ΣMAE_model / ΣMAE_naive
   pooled per carrier (weighted by scored hours).

Usage::

    python bench/forecast.py [--store sqlite:////path/demo.db] [--skip-backtest]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any


def build_demo(url: str) -> None:
    from lingtan.demo.run import run
    from lingtan.store import open_store

    store = open_store(url)
    try:
        t0 = time.perf_counter()
        run(store)
        print(f"demo year loaded in {time.perf_counter() - t0:.0f} s")
    finally:
        store.close()


def declare_demo_plants(store: Any, principal: Any) -> int:
    """The PV plants the forecasts use: those of the park file, plus ``PARK-pv-power`` (a kW
    measurement: the park file declares plants on energy meters only) with PARK-pv's."""
    from lingtan.demo import park as demo_park
    from lingtan.forecast import service
    from lingtan.store.forecast_repo import ForecastRepo
    from lingtan.store.query_repo import Tenant

    points = store.registry.points_by_code()
    repo = ForecastRepo(store)
    n = sum(repo.pv_plant(tenant=Tenant(None), point_id=p.id) is not None for p in points.values())
    if "PARK-pv-power" in points:
        plant = demo_park.pv_plant(demo_park.PARK_PV_KWP)
        service.declare_pv_plant(
            store, principal=principal, point_code="PARK-pv-power", kwp=plant["kwp"],
            tilt_deg=plant["tilt_deg"], azimuth_deg=plant["azimuth_deg"],
            losses_pct=plant["losses_pct"], latitude=plant["latitude"],
            longitude=plant["longitude"], altitude_m=plant["altitude_m"],
        )  # fmt: skip
        n += 1
    return n


def bench(url: str, *, backtest: bool) -> None:
    from rich.progress import Progress

    from lingtan.forecast import service
    from lingtan.identity.roles import SYSTEM
    from lingtan.store import open_store

    store = open_store(url)
    principal = dataclasses.replace(SYSTEM, park_id=store.registry.park().id)
    plants = declare_demo_plants(store, principal)
    points = store.registry.points_by_code()
    codes = sorted(points)
    print(f"{len(codes)} points, {plants} PV plants declared")

    t0, c0 = time.perf_counter(), time.process_time()
    with Progress() as bar:
        task = bar.add_task("train + day-ahead", total=len(codes))
        views = service.issue_all(
            store, principal=principal, points=codes,
            on_point=lambda _c, _v: bar.advance(task),
        )  # fmt: skip
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    statuses = Counter(v.run.status for v in views)
    models = Counter(v.run.model for v in views)
    print(
        f"train + day-ahead forecast, {len(views)} series: {train_s:.1f} s "
        f"({train_s / len(views) * 1000:.0f} ms/series; target < 60 s); CPU {train_cpu:.1f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"  statuses: {dict(statuses)}")
    print(f"  models:   {dict(models)}")
    if not backtest:
        store.close()
        return

    t0, c0 = time.perf_counter(), time.process_time()
    pooled: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    with Progress() as bar:
        task = bar.add_task("backtest (year)", total=len(codes))
        for code in codes:
            v = service.issue_forecast(
                store, principal=principal, point_code=code, backtest_days=365, dry_run=True
            )
            bar.advance(task)
            b = v.run.backtest
            naive = b.get("naive") or {}
            model = (b.get("gbm") if v.run.model == "gbm" else b.get("model")) or naive
            if not naive.get("mae") or model.get("mae") is None:
                continue
            n = float(naive["scored"])
            acc = pooled[points[code].carrier]
            acc[0] += model["mae"] * n
            acc[1] += naive["mae"] * n
            acc[2] += 1
    bt_s, bt_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"year backtest, {len(codes)} series: {bt_s:.1f} s (CPU {bt_cpu:.1f} s)")
    print(f"{'carrier':<28} {'series':>6} {'skill vs seasonal-naive':>24}")
    for carrier, (m, nv, k) in sorted(pooled.items()):
        print(f"{carrier:<28} {int(k):>6} {1 - m / nv:>24.3f}")
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", help="a store URL that already holds the demo year")
    ap.add_argument("--skip-backtest", action="store_true")
    args = ap.parse_args()
    if args.store:
        bench(args.store, backtest=not args.skip_backtest)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        build_demo(url)
        bench(url, backtest=not args.skip_backtest)


if __name__ == "__main__":
    sys.exit(main())
