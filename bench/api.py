"""API benchmark: latency of the park overview under load, and HTTP bulk ingest throughput.

For each engine (SQLite file; PostgreSQL when reachable), in a fresh database:

1. the demo park's year (20 enterprises, 127 points, 2025 at 15 min) through the pipeline;
2. the service (``create_app``, one uvicorn process, no background workers) in a child
   process on a loopback port;
3. ``GET /api/v1/overview`` as a park admin: the first request (cold: everything computed)
   is timed alone, then ``--clients`` concurrent keep-alive clients (threads) request it for
   ``--seconds``; p50/p95/p99 latency and requests/s are printed (target p95 ≤ 100 ms);
4. bulk ingest: the same number of readings (all physical register points, 15-minute
   readings of December 2024, before the demo year) once through the pipeline called
   directly in this process (``lingtan.ingest.ingest`` of Reading objects, in batches of
   ``--batch``) and once over HTTP (``POST /api/v1/readings``, JSON arrays of ``--batch``
   encoded by the client, in the timed section), batch by batch in alternation so that both
   see the same machine load; readings/s of each and their ratio are printed.

Usage::

    python bench/api.py [--engines sqlite,postgresql] [--seconds 30] [--clients 20] [--batch 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import pg_reachable, pg_schema

PASSWORD = "bench-password-1"
TZ8 = dt.timezone(dt.timedelta(hours=8))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, port: int) -> None:
    """Child process: the service on ``port`` (no background workers: nothing to normalise
    while we measure)."""
    import uvicorn

    from lingtan.api import create_app
    from lingtan.config import Settings

    app = create_app(Settings(environment="test", database_url=url), background=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load(base: str, token: str, *, clients: int, seconds: float) -> dict[str, float]:
    """``clients`` threads requesting the overview for ``seconds``."""
    import httpx

    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Event()
    deadline = [0.0]

    def client(k: int) -> None:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as c:
            start.wait()
            while time.perf_counter() < deadline[0]:
                t0 = time.perf_counter()
                r = c.get("/api/v1/overview")
                latencies[k].append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors[k] += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # let every client connect
    t_begin = time.perf_counter()
    deadline[0] = t_begin + seconds
    start.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_begin
    flat = [x for part in latencies for x in part]
    return {
        "requests": len(flat),
        "errors": sum(errors),
        "rps": len(flat) / elapsed,
        "p50_ms": _pct(flat, 0.50) * 1000,
        "p95_ms": _pct(flat, 0.95) * 1000,
        "p99_ms": _pct(flat, 0.99) * 1000,
        "mean_ms": statistics.fmean(flat) * 1000,
    }


def december_readings(store: Any, day_from: int, day_to: int) -> list[Any]:
    """15-minute register readings of every physical register point for days of Dec 2024."""
    from lingtan.readings import Reading

    points = [
        p
        for p in store.registry.points_by_code(refresh=True).values()
        if p.formula is None and p.kind == "total_increasing"
    ]
    out = []
    for n, p in enumerate(points):
        value = 1000.0 + 10 * n
        for day in range(day_from, day_to):
            for q in range(96):
                ts = dt.datetime(2024, 12, day, q // 4, 15 * (q % 4), tzinfo=TZ8)
                value += 1.25
                out.append(Reading(p.code, ts.isoformat(), round(value, 2)))
    return out


def bench_engine(name: str, url: str, args: argparse.Namespace) -> None:
    import httpx

    from lingtan.demo.run import run
    from lingtan.identity import service as identity
    from lingtan.identity.roles import SYSTEM
    from lingtan.ingest import ingest
    from lingtan.store import open_store

    store = open_store(url)
    t0 = time.perf_counter()
    run(store)
    print(f"[{name}] demo year loaded in {time.perf_counter() - t0:.0f} s "
          f"({store.readings.count():,} readings)", flush=True)  # fmt: skip
    identity.create_user(
        store, actor=SYSTEM, username="bench", password=PASSWORD, role="park_admin"
    )

    port = _free_port()
    child = subprocess.Popen([sys.executable, __file__, "--serve", url, "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError("the service did not start")
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "bench", "password": PASSWORD}
        ).json()["access_token"]
        t0 = time.perf_counter()
        first = httpx.get(
            f"{base}/api/v1/overview", headers={"Authorization": f"Bearer {token}"}, timeout=120
        )
        cold = time.perf_counter() - t0
        assert first.status_code == 200, first.text
        body = first.json()
        print(f"[{name}] overview cold (computed): {cold * 1000:.0f} ms; as of {body['as_of']}, "
              f"year {body['year']['total_tce']:,.0f} tce", flush=True)  # fmt: skip
        stats = load(base, token, clients=args.clients, seconds=args.seconds)
        verdict = "meets" if stats["p95_ms"] <= 100 else "MISSES"
        print(
            f"[{name}] overview, {args.clients} clients × {args.seconds:.0f} s: "
            f"{stats['requests']:,.0f} requests ({stats['errors']:.0f} errors), {stats['rps']:.0f} req/s, "
            f"p50 {stats['p50_ms']:.1f} ms, p95 {stats['p95_ms']:.1f} ms, p99 {stats['p99_ms']:.1f} ms "
            f"— {verdict} the p95 ≤ 100 ms target",
            flush=True,
        )

        # ingest: the pipeline directly vs over HTTP, same number of readings, batch by batch
        # in alternation so that both see the same machine load
        direct = december_readings(store, 1, 1 + args.days)
        over_http = december_readings(store, 16, 16 + args.days)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        t_direct = t_http = 0.0
        done_direct = done_http = 0
        with httpx.Client(base_url=base, headers=headers, timeout=600) as c:
            warm = december_readings(store, 31, 32)[:100]
            ingest(store, warm[:50], source="bench:warm-up")
            c.post(
                "/api/v1/readings",
                content=json.dumps(
                    [{"point": r.point, "ts": r.ts, "value": r.value} for r in warm[50:]]
                ).encode(),
            )
            for i in range(0, len(direct), args.batch):
                t0 = time.perf_counter()
                done_direct += ingest(
                    store, direct[i : i + args.batch], source="bench:direct"
                ).accepted
                t_direct += time.perf_counter() - t0
                chunk = over_http[i : i + args.batch]
                t0 = time.perf_counter()
                body_bytes = json.dumps(
                    [{"point": r.point, "ts": r.ts, "value": r.value} for r in chunk]
                ).encode()
                r = c.post("/api/v1/readings", content=body_bytes)
                t_http += time.perf_counter() - t0
                assert r.status_code == 200, r.text[:300]
                done_http += r.json()["accepted"]
        assert done_direct == len(direct), done_direct
        assert done_http == len(over_http), done_http
        rate_direct = len(direct) / t_direct
        rate_http = len(over_http) / t_http
        print(
            f"[{name}] ingest {len(direct):,} readings in batches of {args.batch:,}: "
            f"pipeline direct {rate_direct:,.0f} readings/s, HTTP JSON {rate_http:,.0f} readings/s "
            f"(ratio HTTP/direct {rate_http / rate_direct:.2f})",
            flush=True,
        )
    finally:
        child.terminate()
        child.wait(timeout=30)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument(
        "--days",
        type=int,
        default=7,
        choices=range(1, 16),
        metavar="1..15",
        help="days of December 2024 per ingest run (the direct run takes days from the 1st, "
        "the HTTP run from the 16th)",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; server: 1 uvicorn process; "
          f"clients: {args.clients} threads in this process", flush=True)  # fmt: skip
    for name in args.engines.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                bench_engine("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
        elif name == "postgresql":
            if not pg_reachable():
                print("[PostgreSQL] not reachable on 127.0.0.1:5432; skipped")
                continue
            url, drop = pg_schema("bench_api")
            try:
                bench_engine("PostgreSQL", url, args)
            finally:
                drop()
        else:
            raise SystemExit(f"unknown engine {name!r}")


if __name__ == "__main__":
    main()
