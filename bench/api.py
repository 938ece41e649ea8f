"""API benchmark: latency of the park overview under load, and HTTP bulk ingest throughput.

For each engine (SQLite file; PostgreSQL when reachable), in a fresh database:

1. the demo park's year (20 enterprises, 127 points, 2025 at 15 min) through the pipeline;
2. the service (``create_app``, one uvicorn process, no background workers) in a child
   process on a loopback port;
3. ``GET /api/v1/overview`` of the demo year as a park admin:

   * cold: the first request of a new service process (empty caches: nothing imported lazily
     yet, no factor library loaded, no view cached), ``--cold-runs`` times, each in a process
     of its own (target < 1 s);
   * warm: in a running process, overviews not computed before (the last ``--warm-runs`` days
     of the year, each for the first time), so the figures are computed but nothing is loaded;
   * the baseline of both, measured in the same run: ``GET /health`` in the running process
     (the HTTP round trip and the service's request overhead), and the ratios to it;
   * cached: ``--clients`` concurrent keep-alive clients (threads) request the overview for
     ``--seconds``; p50/p95/p99 latency and requests/s are printed (target p95 ≤ 100 ms);
4. bulk ingest: the same number of readings (all physical register points, 15-minute
   readings of December 2024, before the demo year) once through the pipeline called
   directly in this process (``lingtan.ingest.ingest`` of Reading objects, in batches of
   ``--batch``) and once over HTTP (``POST /api/v1/readings``, JSON arrays of ``--batch``
   encoded by the client, in the timed section), batch by batch in alternation so that both
   see the same machine load; readings/s of each and their ratio are printed.

With ``--pages`` it times the dashboard's main pages instead (``bench/api_pages.py``): each
page's first request in a new service process and its warm p50/p95 (targets < 1 s, < 300 ms).

With ``--live FEEDS`` the benchmark runs the live mode instead (``bench/api_live.py``): the
service with its background normaliser, a feed of new or late readings posted every second,
and an open-loop (``--rate`` requests/s, latency from the scheduled send time) or closed-loop
(``--clients`` keep-alive clients) overview load; timeouts and errors are counted and
p50/p95/p99/max printed with the ratio of p95 to ``GET /health``.

Usage::

    python bench/api.py [--engines sqlite,postgresql] [--seconds 30] [--clients 20] [--batch 10000]
                        [--cold-runs 3] [--warm-runs 5]
    python bench/api.py --pages [--engines sqlite,postgresql] [--page-requests 20] [--page PATH ...]
    python bench/api.py --live new,late [--loads open,closed] [--rate 200] [--late-batch 500]
                        [--seconds 45] [--settle 2] [--timeout 10] [--dump-after 2]
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


def serve(url: str, port: int, *, background: bool = False) -> None:
    """Child process: the service on ``port``. Without ``background`` no workers run
    (nothing to normalise while we measure); with it, ``serve``'s background normaliser and
    job workers run as in production (the live mode). SIGUSR1 dumps every thread's stack to
    stderr (how the live mode finds out what a stalled request waits on)."""
    import faulthandler
    import signal

    import uvicorn

    from lingtan.api import create_app
    from lingtan.config import Settings

    faulthandler.register(signal.SIGUSR1, all_threads=True)
    app = create_app(Settings(environment="test", database_url=url), background=background)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_service(url: str, *, background: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """The service in a new child process; returns it and its base URL once it answers."""
    import httpx

    port = _free_port()
    cmd = [sys.executable, __file__, "--serve", url, "--port", str(port)]
    if background:
        cmd.append("--background")
    child = subprocess.Popen(cmd)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return child, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or child.poll() is not None:
            stop_service(child)
            raise RuntimeError("the service did not start")
        time.sleep(0.2)


def stop_service(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    child.wait(timeout=30)


def sign_in(base: str) -> str:
    import httpx

    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": "bench", "password": PASSWORD})
    return str(r.json()["access_token"])


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

    colds: list[float] = []
    child, base = start_service(url)
    try:
        for run_no in range(args.cold_runs):
            if run_no:
                stop_service(child)
                child, base = start_service(url)
            token = sign_in(base)
            t0 = time.perf_counter()
            first = httpx.get(
                f"{base}/api/v1/overview", headers={"Authorization": f"Bearer {token}"}, timeout=120
            )
            colds.append(time.perf_counter() - t0)
            assert first.status_code == 200, first.text
        body = first.json()
        as_of = dt.date.fromisoformat(body["as_of"])
        warms: list[float] = []
        health: list[float] = []
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as c:
            for k in range(1, args.warm_runs + 1):
                day = (as_of - dt.timedelta(days=k)).isoformat()
                t0 = time.perf_counter()
                r = c.get("/api/v1/overview", params={"date": day})
                warms.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
            for _ in range(20):
                t0 = time.perf_counter()
                assert c.get("/health").status_code == 200
                health.append(time.perf_counter() - t0)
        cold_s, warm_s, base_s = (statistics.median(x) for x in (colds, warms, health))
        verdict = "meets" if max(colds) < 1.0 else "MISSES"
        print(f"[{name}] overview of {body['as_of']} (year {body['year']['total_tce']:,.0f} tce): "
              f"cold (new process, empty caches) median {cold_s * 1000:.0f} ms of {len(colds)} "
              f"({', '.join(f'{x * 1000:.0f}' for x in colds)} ms) — {verdict} the < 1 s target; "
              f"warm (computed in a running process) median {warm_s * 1000:.0f} ms of {len(warms)}; "
              f"baseline GET /health {base_s * 1000:.1f} ms: cold/baseline {cold_s / base_s:.0f}×, "
              f"warm/baseline {warm_s / base_s:.0f}×, cold/warm {cold_s / warm_s:.1f}×",
              flush=True)  # fmt: skip
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
        stop_service(child)
        store.close()


def bench(args: argparse.Namespace) -> Any:
    """The benchmark of one engine: the standard sections, or the live mode."""
    if args.live:
        from api_live import bench_live

        return bench_live
    if args.pages:
        from api_pages import bench_pages

        return bench_pages
    return bench_engine


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument(
        "--cold-runs", type=int, default=3, help="service processes started for cold overviews"
    )
    parser.add_argument(
        "--warm-runs", type=int, default=5, help="overviews computed in a running process"
    )
    parser.add_argument(
        "--days",
        type=int,
        default=7,
        choices=range(1, 16),
        metavar="1..15",
        help="days of December 2024 per ingest run (the direct run takes days from the 1st, "
        "the HTTP run from the 16th)",
    )
    parser.add_argument(
        "--live",
        help="live mode instead of the sections above: comma-separated feeds (new, late) × "
        "--loads, each for --seconds, with serve's background normaliser running",
    )
    parser.add_argument("--loads", default="open,closed", help="live mode: open, closed or both")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s")
    parser.add_argument("--late-batch", type=int, default=500, help="late feed: readings/s")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="live mode: a request's timeout [s]"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=2.0,
        help="live mode: seconds the feed runs before the load starts",
    )
    parser.add_argument(
        "--dump-after",
        type=float,
        default=2.0,
        help="live mode: dump the service's threads (SIGUSR1) once a request is this late [s]",
    )
    parser.add_argument(
        "--pages",
        action="store_true",
        help="pages mode instead: the dashboard's main pages cold and warm (bench/api_pages.py)",
    )
    parser.add_argument(
        "--page-requests", type=int, default=20, help="pages mode: warm requests per page"
    )
    parser.add_argument(
        "--page",
        action="append",
        metavar="PATH",
        help="pages mode: time only this page (repeatable), e.g. --page /records",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--background", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, background=args.background)
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; server: 1 uvicorn process; "
          f"clients: {args.clients} threads in this process", flush=True)  # fmt: skip
    for name in args.engines.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                bench(args)("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
        elif name == "postgresql":
            if not pg_reachable():
                print("[PostgreSQL] not reachable on 127.0.0.1:5432; skipped")
                continue
            url, drop = pg_schema("bench_api")
            try:
                bench(args)("PostgreSQL", url, args)
            finally:
                drop()
        else:
            raise SystemExit(f"unknown engine {name!r}")


if __name__ == "__main__":
    main()
