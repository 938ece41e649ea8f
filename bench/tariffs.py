"""Tariff benchmark: the energy cost of a park's year from hourly statistics, against reading
the same hourly rows alone (the baseline, measured in the same run).

A park of ``--points`` boundary grid-import points with ``--hours`` hourly statistics each
(8,760: the year 2025) is written straight into ``stat_hour``; then, for each engine (SQLite
file, PostgreSQL when reachable), ``--repeat`` rounds of:

- baseline: ``StatsRepo.hours`` of every point for the span — reading each point's rows, as
  any per-point computation over the year must;
- cost: ``tariffs.service.cost`` of the park for the same months (the points' known hours
  summed in the database per local month and time of day, then priced; 基本电费), and, on the
  summed series alone, the pure hour-by-hour ``tariffs.cost.costs`` and the pure
  aggregate-then-price ``tariffs.cost.month_costs``.

Each line prints seconds and the ratio cost / baseline. Usage::

    python bench/tariffs.py [--points 200] [--hours 8760] [--engines sqlite,postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

import numpy as np
from _common import pg_reachable, pg_schema

SH = ZoneInfo("Asia/Shanghai")
HOUR_US = 3_600_000_000


def park_text(points: int) -> str:
    lines = ["park: {id: bench, name: 电费基准园区, province: 江苏}", "points:"]
    lines += [
        f"  - {{id: G{i:04d}, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}}"
        for i in range(points)
    ]
    return "\n".join(lines) + "\n"


def build(url: str, points: int, hours: int) -> None:
    from lingtan.identity.roles import SYSTEM
    from lingtan.normalize.hourly import HourlyStats
    from lingtan.registry import parse_park_text
    from lingtan.store import open_store
    from lingtan.store.stats_repo import StatsRepo
    from lingtan.tariffs import service

    start = int(dt.datetime(2025, 1, 1, tzinfo=SH).timestamp()) * 1_000_000
    h = start + np.arange(hours, dtype=np.int64) * HOUR_US
    rng = np.random.default_rng(1)
    nan = np.full(hours, np.nan)
    with open_store(url) as store:
        store.registry.save_park(parse_park_text(park_text(points)))
        ids = [p.id for p in store.registry.points_by_code(refresh=True).values()]
        repo = StatsRepo(store)
        for k in range(0, len(ids), 20):
            items = []
            for pid in ids[k : k + 20]:
                stats = HourlyStats(
                    hours=h, value=rng.uniform(50, 150, hours), mean=nan, min=nan, max=nan,
                    measured_s=np.full(hours, 3600.0), estimated_s=np.zeros(hours),
                    missing_s=np.zeros(hours), flags=np.zeros(hours, np.int64),
                    n=np.ones(hours, np.int64),
                )  # fmt: skip
                items.append((pid, stats))
            with store.begin() as conn:
                repo.write_hours_many(conn, items, now=0)
        service.assign(
            store,
            principal=SYSTEM,
            tariff_id="demo-js-synthetic",
            basic_basis="demand",
            effective_from="2025-01",
        )


def measure(url: str, hours: int) -> tuple[float, float, float, float]:
    from lingtan.identity.roles import SYSTEM
    from lingtan.store import open_store
    from lingtan.store.stats_repo import StatsRepo
    from lingtan.tariffs import records, service
    from lingtan.tariffs.cost import costs, month_costs

    months = 12 if hours >= 8760 else max(1, hours // 744)
    start = int(dt.datetime(2025, 1, 1, tzinfo=SH).timestamp()) * 1_000_000
    # whole local months only: the cost covers months, the baseline reads the same hours
    last = dt.datetime(2025 + months // 12, months % 12 + 1, 1, tzinfo=SH)
    hours = int(last.timestamp()) * 1_000_000 - start
    hours //= HOUR_US
    with open_store(url) as store:
        ids = [p.id for p in store.registry.points_by_code(refresh=True).values()]
        t0 = time.perf_counter()
        rows = StatsRepo(store).hours(None, ids, start, start + hours * HOUR_US)
        base = time.perf_counter() - t0
        assert len(rows) == len(ids)
        t0 = time.perf_counter()
        r = service.cost(store, principal=SYSTEM, scope="park", subject=None, start="2025-01",
                         months=months)  # fmt: skip
        full = time.perf_counter() - t0
        assert r.status == "ok", r.status
        total = sum(m.total_kwh for m in r.months)
        expected = sum(float(np.nansum(v["value"])) for v in rows.values())
        assert abs(total - expected) <= 1e-6 * expected, (total, expected)
        series = np.zeros(hours)
        for v in rows.values():
            series += v["value"]
        t0 = time.perf_counter()
        costs(records.find("demo-js-synthetic"),
              (start + np.arange(hours) * HOUR_US).tolist(), series.tolist(), SH)  # fmt: skip
        pure = time.perf_counter() - t0
        t0 = time.perf_counter()
        month_costs(records.find("demo-js-synthetic"),
                    (start + np.arange(hours) * HOUR_US).tolist(), series.tolist(), SH)  # fmt: skip
        agg = time.perf_counter() - t0
    return base, full, pure, agg


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--hours", type=int, default=8760)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(
        f"tariffs: {args.points} grid points × {args.hours} h = {args.points * args.hours:,} rows"
    )
    for engine in args.engines.split(","):
        if engine == "postgresql" and not pg_reachable():
            print("postgresql: not reachable, skipped")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            if engine == "sqlite":
                url, drop = f"sqlite:///{tmp}/bench.db", (lambda: None)
            else:
                url, drop = pg_schema("bench_tariffs")
            try:
                t0 = time.perf_counter()
                build(url, args.points, args.hours)
                print(f"{engine}: set-up {time.perf_counter() - t0:.1f} s")
                runs = [measure(url, args.hours) for _ in range(args.repeat)]
            finally:
                drop()
        base = statistics.median(r[0] for r in runs)
        full = statistics.median(r[1] for r in runs)
        pure = statistics.median(r[2] for r in runs)
        agg = statistics.median(r[3] for r in runs)
        print(
            f"{engine}: read hourly rows {base:.2f} s · park cost {full:.2f} s "
            f"(ratio {full / base:.2f}) · pure cost of the summed series hour by hour "
            f"{pure:.3f} s, aggregated first {agg:.3f} s (ratio {agg / pure:.2f}) · "
            f"median of {args.repeat}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
