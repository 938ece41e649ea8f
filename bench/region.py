"""Region benchmark: the region-wide restatement of many parks on a Dask cluster.

Each park is **synthetic** (clearly not a real park): ``--points`` metering points (default
500) over ``--hours`` hours (default 8 760, a year), each point an hourly series of one
enterprise (20 per park, or the park's common use), building and carrier (grid electricity,
natural gas, steam, PV, export, water), generated from a seed of the park's index — **on the
worker, inside the task**: the region's 200 parks × 500 points × 8 760 h are 7 GB of float64
that are never shipped. The task then runs :func:`lingtan.region.tasks.restate` on the park's
aggregates (summed by enterprise × carrier, hours summed before any factor) with a factor
revision, exactly as a stored restatement does.

**Timed**: the whole region (``--parks``, default 200) on a local cluster of 1 worker, then of
2 workers (processes on this machine, one thread each; cluster start-up and each worker's
imports not timed: a small task runs on every worker first), as wall time from the first submission to the last
result. **Baseline**: the same tasks called one after the other in this process (the first
``--baseline-parks`` parks, scaled to the region). Printed: the speed-up 2 workers ÷ 1 worker,
the ratio cluster ÷ in-process baseline, the CPU seconds the workers used (cores busy = CPU ÷
wall: on a shared machine the speed-up cannot exceed the cores the workers got) with the load
average, the peak resident memory of every worker (``ru_maxrss``), the time and bytes per park (the growth figures of docs/scaling.md) and,
with ``--url`` (PostgreSQL), the bytes per stored hourly aggregate row measured on one park.

Part **ingress**: one day's uploads from all parks (24 hourly values of every point, one
series per point) received by the region instance — signature, parsing, the completeness
check and the store, one transaction per upload (:func:`lingtan.region.service.receive`) —
against a raw insert of the same hourly rows into the same store, on a temporary SQLite file
or the empty database of ``--ingress-url``.

Run: ``nice -n 19 .venv/bin/python bench/region.py [--parks 200] [--points 500]
[--hours 8760] [--baseline-parks 10] [--url postgresql+psycopg://postgres@127.0.0.1/test]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
# the worker processes start from the environment, not from this sys.path
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
)

from lingtan.region import cluster, tasks  # noqa: E402

ENTERPRISES = 20
YEAR = 2024
#: 2024-01-01 00:00 +08:00 as epoch µs
START_US = 1_704_038_400_000_000
#: share of the points per carrier, and the unit and mean hourly value of a point (synthetic)
CARRIERS: tuple[tuple[str, float, str, float], ...] = (
    ("electricity_grid_import", 0.55, "kWh", 40.0),
    ("natural_gas", 0.12, "m3", 8.0),
    ("steam", 0.08, "GJ", 0.3),
    ("pv_generation", 0.08, "kWh", 15.0),
    ("electricity_export", 0.02, "kWh", 3.0),
    ("water", 0.15, "t", 1.0),
)
#: a factor revision of the region: the park method's fossil electricity factor restated
#: (synthetic value for the benchmark, not a published figure)
REVISION: dict[str, Any] = {
    "records": [
        {
            "id": "bench.revision.annex4.fossil",
            "kind": "grid_electricity",
            "key": "annex4_fossil_electricity",
            "value": 0.80,
            "unit": "kgCO2/kWh",
            "year": 2022,
            "scope": "national",
            "region": "全国",
            "basis": "fossil",
            "source": "synthetic benchmark revision",
            "url": None,
            "url_note": "synthetic value for the benchmark",
            "confidence": "L",
            "verified": False,
        }
    ]
}


def synthetic_park(index: int, points: int, hours: int) -> tasks.ParkAggregates:
    """Park ``index`` of the synthetic region (the same arrays for the same arguments)."""
    rng = np.random.default_rng(1_000 + index)
    shares = np.array([c[1] for c in CARRIERS])
    kinds = rng.choice(len(CARRIERS), size=points, p=shares / shares.sum())
    owners = rng.integers(0, ENTERPRISES + 1, size=points)  # 0: the park's common use
    hour = np.arange(hours)
    day_shape = 0.7 + 0.3 * np.sin(2 * np.pi * ((hour % 24) - 6) / 24)
    sun = np.clip(np.sin(np.pi * ((hour % 24) - 6) / 12), 0.0, None)
    groups: dict[tuple[str, str], list[np.ndarray]] = {}
    for p in range(points):
        carrier, _, _, mean = CARRIERS[int(kinds[p])]
        shape = sun if carrier == "pv_generation" else day_shape
        values = mean * rng.uniform(0.5, 1.5) * shape * rng.uniform(0.8, 1.2, hours)
        owner = "" if owners[p] == 0 else f"E{int(owners[p]):02d}"
        groups.setdefault((owner, carrier), []).append(values)
    return tasks.ParkAggregates(
        park=f"SYN{index:04d}",
        name=f"合成园区 {index}",
        province="江苏",
        year=YEAR,
        hourly={k: np.vstack(v) for k, v in groups.items()},
        units={c[0]: c[2] for c in CARRIERS},
        start_us=START_US,
    )


def restate_synthetic(index: int, points: int, hours: int) -> dict[str, Any]:
    """The task: generate park ``index`` here, on the worker, and restate it."""
    t0 = time.perf_counter()
    park = synthetic_park(index, points, hours)
    t1 = time.perf_counter()
    result = tasks.restate(park, REVISION)
    t2 = time.perf_counter()
    return {
        "park": park.park,
        "total_tco2": result["park_inventory"]["emissions_tco2"]["total"],
        "input_bytes": int(sum(a.nbytes for a in park.hourly.values())),
        "series": int(sum(a.shape[0] for a in park.hourly.values())),
        "keys": len(park.hourly),
        "result_bytes": len(json.dumps(result, ensure_ascii=False, default=float)),
        "generate_s": t1 - t0,
        "restate_s": t2 - t1,
    }


def specs(parks: int, points: int, hours: int) -> list[tasks.TaskSpec]:
    return [
        tasks.TaskSpec(
            kind="restate",
            park=f"SYN{i:04d}",
            period=str(YEAR),
            fingerprint=tasks.fingerprint("bench", i, points, hours, REVISION),
            func=restate_synthetic,
            args=(i, points, hours),
        )
        for i in range(parks)
    ]


def on_cluster(workers: int, parks: int, points: int, hours: int) -> dict[str, Any]:
    with cluster.client(n_workers=workers, memory_limit=None) as c:
        c.wait_for_workers(workers, timeout=120)
        # a warm cluster, as a running region's is: imports and the factor library are loaded
        # on every worker before the timer starts
        c.run(restate_synthetic, 0, 8, 48)
        last = [0.0]

        def progress(done: int, total: int, _: str) -> None:
            now = time.perf_counter()
            if done == total or now - last[0] > 10:
                last[0] = now
                print(f"  {workers} worker(s): {done}/{total}", flush=True)

        cpu0 = c.run(time.process_time)
        load0 = os.getloadavg()[0]
        report = tasks.run(c, specs(parks, points, hours), progress=progress)
        load1 = os.getloadavg()[0]
        cpu = sum(c.run(time.process_time).values()) - sum(cpu0.values())
        peaks = cluster.worker_peak_rss(c)
    if report.failed:
        raise SystemExit(f"failed tasks: {report.failed}")
    return {
        "seconds": report.seconds,
        "peaks": peaks,
        "results": report.results,
        "cpu": cpu,
        "load": (load0, load1),
    }


def day_document(index: int, points: int) -> dict[str, Any]:
    """Park ``index``'s upload of one day (1 January 2024, 24 hours) in the region format
    (``lingtan-region/1``): one hourly series per point (its own building), the month's
    document holding the day's 24 values; no accounting, indicators or alarms."""
    from lingtan.region import document as d

    park = synthetic_park(index, points, 24)
    units = dict(park.units)
    hourly = []
    for (enterprise, carrier), rows in park.hourly.items():
        for k, values in enumerate(np.atleast_2d(rows)):
            hourly.append({
                "carrier": carrier, "enterprise": enterprise or None,
                "building": f"{enterprise or 'P'}-{carrier}-{k}", "unit": units[carrier],
                "values": [round(float(v), 4) for v in values],
            })  # fmt: skip
    content = json.loads(d.canonical({"hourly": hourly, "monthly": [], "accounting": {},
                                      "indicators": [], "alarms": []}))  # fmt: skip
    return d.document(
        park={"code": park.park, "name": park.name, "timezone": "Asia/Shanghai",
              "province": park.province},
        kind="month", year=2024, month=1, revision=1, content=content,
    )  # fmt: skip


def ingress_one_day(parks: int, points: int, url: str) -> list[str]:
    """One day's uploads from all parks into a region store at ``url`` (verified, parsed,
    checked and stored by :func:`lingtan.region.service.receive`, one transaction each), and
    the baseline: the same hourly rows inserted raw (one executemany) into a scratch table of
    the same store."""
    import sqlalchemy as sa

    from lingtan.config import Settings
    from lingtan.exchange import transport
    from lingtan.identity.roles import SYSTEM
    from lingtan.region import service
    from lingtan.store import open_store

    secret = "bench-region-secret-0123456789"
    settings = Settings(environment="test", mode="region", region_deadline_days=15)
    store = open_store(url)
    try:
        for i in range(parks):
            service.register_park(store, principal=SYSTEM, code=f"SYN{i:04d}",
                                  name=f"合成园区 {i}", secret=secret)  # fmt: skip
        t_build = time.perf_counter()
        bodies = []
        for i in range(parks):
            doc = day_document(i, points)
            bodies.append((doc["idempotency_key"], doc["park"]["code"],
                           json.dumps(doc, ensure_ascii=False).encode()))  # fmt: skip
        t_build = time.perf_counter() - t_build
        rows = sum(len(json.loads(b)["content"]["hourly"]) * 24 for _, _, b in bodies)
        size = sum(len(b) for _, _, b in bodies)
        now_s = 1_704_326_400  # 2024-01-04T00:00Z, before January's deadline
        t0 = time.perf_counter()
        for key, code, body in bodies:
            hdrs = transport.headers(secret.encode(), body, timestamp=now_s, nonce=key, unit=code)
            service.receive(store, settings, body=body,
                            headers={k.lower(): v for k, v in hdrs.items()},
                            now=now_s * 1_000_000)  # fmt: skip
        ingest_s = time.perf_counter() - t0
        scratch = sa.Table(
            "bench_region_raw", sa.MetaData(), sa.Column("upload", sa.Integer),
            sa.Column("carrier", sa.String(64)), sa.Column("enterprise", sa.String(64)),
            sa.Column("building", sa.String(64)), sa.Column("unit", sa.String(16)),
            sa.Column("hour", sa.BigInteger), sa.Column("value", sa.Float),
        )  # fmt: skip
        with store.engine.begin() as conn:
            scratch.create(conn)
        raw = [
            {"upload": n, "carrier": s["carrier"], "enterprise": s["enterprise"] or "",
             "building": s["building"], "unit": s["unit"], "hour": 473_400 + h, "value": v}
            for n, (_, _, body) in enumerate(bodies)
            for s in json.loads(body)["content"]["hourly"]
            for h, v in enumerate(s["values"])
        ]  # fmt: skip
        t1 = time.perf_counter()
        with store.engine.begin() as conn:
            conn.execute(scratch.insert(), raw)
        raw_s = time.perf_counter() - t1
        with store.engine.begin() as conn:
            scratch.drop(conn)
    finally:
        store.close()
    return [
        f"{parks} uploads, {rows:,} hourly values, {size / 2**20:.1f} MiB of JSON (built in "
        f"{t_build:.1f} s, not timed)",
        f"ingress (signature, parse, checks, store, one transaction per upload): {ingest_s:.2f} s "
        f"= {ingest_s / parks * 1000:.0f} ms per park, {rows / ingest_s:,.0f} values/s",
        f"baseline raw insert of the same rows: {raw_s:.2f} s; ratio ingress ÷ raw {ingest_s / raw_s:.2f}",
    ]


def pg_row_bytes(url: str, points: int, hours: int) -> list[str]:
    """Bytes of one synthetic park's year of hourly aggregates in PostgreSQL, measured by
    COPYing it into scratch tables of two layouts (docs/scaling.md): one row per series and
    hour ``(park, enterprise, building, carrier, hour, value)``, and one row per series and day
    with the 24 hourly values in an array ``(…, day, values float8[24])``; each with its
    primary key."""
    import psycopg

    park = synthetic_park(0, points, hours)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    key = "park text, enterprise text, building int, carrier text"
    pk = "park, enterprise, building, carrier"
    layouts = {
        "hour rows": (f"{key}, hour bigint, value float8, PRIMARY KEY ({pk}, hour)", 1),
        "day rows": (f"{key}, day int, vals float8[], PRIMARY KEY ({pk}, day)", 24),
    }
    out = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, (columns, per_row) in layouts.items():
            table = f"bench_region_{os.getpid()}"
            conn.execute(f"CREATE TABLE {table} ({columns})")
            rows = 0
            try:
                t0 = time.perf_counter()
                with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN") as copy:
                    for (enterprise, carrier), arr in park.hourly.items():
                        for b, series in enumerate(arr):
                            if per_row == 1:
                                for h, v in enumerate(series.tolist()):
                                    copy.write_row((park.park, enterprise, b, carrier, h, v))
                                    rows += 1
                            else:
                                days = series[: len(series) // 24 * 24].reshape(-1, 24)
                                for d, vals in enumerate(days.tolist()):
                                    copy.write_row((park.park, enterprise, b, carrier, d, vals))
                                    rows += 1
                copy_s = time.perf_counter() - t0
                conn.execute(f"VACUUM ANALYZE {table}")
                found = conn.execute(f"SELECT pg_total_relation_size('{table}')").fetchone()
                total = int(found[0]) if found else 0
            finally:
                conn.execute(f"DROP TABLE {table}")
            values = rows * per_row
            out.append(
                f"{name}: {rows:,} rows, {total / values:.1f} B per hourly value with the key "
                f"({total / 2**20:.0f} MiB per park-year); COPY {values / copy_s:,.0f} values/s"
            )
    return out


def print_ingress(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.ingress_url or f"sqlite:///{Path(tmp) / 'region.db'}"
        for line in ingress_one_day(args.parks, args.points, url):
            print(f"one day's uploads from all parks: {line}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parks", type=int, default=200)
    ap.add_argument("--points", type=int, default=500)
    ap.add_argument("--hours", type=int, default=8760)
    ap.add_argument("--baseline-parks", type=int, default=10)
    ap.add_argument("--url", default=None, help="PostgreSQL URL for the bytes per row")
    ap.add_argument(
        "--ingress-url", default=None,
        help="an empty database for the region's ingress (default: a temporary SQLite file)",
    )  # fmt: skip
    ap.add_argument("--ingress-only", action="store_true", help="time the ingress only")
    args = ap.parse_args()
    parks, points, hours = args.parks, args.points, args.hours
    gib = parks * points * hours * 8 / 2**30
    print(f"region: {parks} synthetic parks × {points} points × {hours} h ({gib:.2f} GiB float64)")

    if args.ingress_only:
        print_ingress(args)
        return
    n_base = min(args.baseline_parks, parks)
    restate_synthetic(0, 8, 48)  # imports and the factor library, as a worker's first task
    t0, c0 = time.perf_counter(), time.process_time()
    base = [restate_synthetic(i, points, hours) for i in range(n_base)]
    base_s = (time.perf_counter() - t0) * parks / n_base
    base_cpu = (time.process_time() - c0) / n_base
    per = base_s / parks
    gen = sum(b["generate_s"] for b in base) / n_base
    print(
        f"baseline in-process, serial: {per:.2f} s/park ({gen:.2f} generating, "
        f"{per - gen:.2f} restating), CPU {base_cpu:.3f} s/park → {base_s:.1f} s for the region "
        f"(from {n_base} parks; load average {os.getloadavg()[0]:.1f})"
    )

    runs = {w: on_cluster(w, parks, points, hours) for w in (1, 2)}
    for w, r in runs.items():
        peaks = ", ".join(f"{v / 2**20:.0f} MiB" for v in sorted(r["peaks"].values()))
        print(
            f"{w} worker(s): {r['seconds']:.1f} s ({r['seconds'] / parks:.2f} s/park); "
            f"worker CPU {r['cpu']:.1f} s = {r['cpu'] / r['seconds']:.2f} cores busy; "
            f"load average {r['load'][0]:.1f} → {r['load'][1]:.1f}; peak memory per worker: {peaks}"
        )
    one, two = runs[1]["seconds"], runs[2]["seconds"]
    print(f"speed-up 2 workers ÷ 1 worker: {one / two:.2f}×")
    print(f"ratio 1 worker ÷ in-process baseline: {one / base_s:.2f}")
    print(f"ratio 2 workers ÷ in-process baseline: {two / base_s:.2f}")
    for w, r in runs.items():
        # CPU per park does not depend on how busy the machine was: the cost of distribution
        print(
            f"CPU per park on {w} worker(s) ÷ in-process: {r['cpu'] / parks:.3f} ÷ "
            f"{base_cpu:.3f} s = {r['cpu'] / parks / base_cpu:.2f}"
        )
    totals1 = {k[1]: v["total_tco2"] for k, v in runs[1]["results"].items()}
    totals2 = {k[1]: v["total_tco2"] for k, v in runs[2]["results"].items()}
    assert totals1 == totals2, "1 and 2 workers disagree"
    sample = next(v for v in runs[2]["results"].values() if v["park"] == "SYN0000")
    mean_restate = np.mean([v["restate_s"] for v in runs[2]["results"].values()])
    mean_generate = np.mean([v["generate_s"] for v in runs[2]["results"].values()])
    print(
        f"per park: {sample['series']} series in {sample['keys']} enterprise × carrier keys, "
        f"{sample['input_bytes'] / 2**20:.1f} MiB of hourly values in memory, result "
        f"{sample['result_bytes'] / 1024:.1f} KiB JSON; on a worker {mean_generate:.2f} s "
        f"generating + {mean_restate:.2f} s restating"
    )
    print(f"region total {sum(totals2.values()):,.0f} tCO2 (synthetic)")
    print_ingress(args)
    if args.url:
        for line in pg_row_bytes(args.url, points, hours):
            print(f"PostgreSQL {line}")


if __name__ == "__main__":
    main()
