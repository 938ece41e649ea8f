"""Pages mode of ``bench/api.py``: the dashboard's main pages as a park admin sees them.

The demo year is loaded into a fresh database and the service started (one uvicorn process,
no background workers). The browser session is the access token in the session cookie, as
after signing in on ``/login``. For each main page of the dashboard:

* cold: its first request in a new service process (nothing of the page imported, computed
  or cached yet), one process for all pages, requested in turn (target < 1 s);
* warm: then ``--page-requests`` requests of the same page, one after the other (the park
  office opening it again); p50 and p95 (target p95 < 300 ms);
* the baseline: ``GET /health`` in the same process, and each page's warm p95 as a multiple
  of it.

A page that does not answer 200 is printed with its status and counted as a failure.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from api import PASSWORD, _pct, sign_in, start_service, stop_service

#: the session cookie the dashboard reads (lingtan.web.session.ACCESS_COOKIE)
SESSION_COOKIE = "lingtan_session"


def main_pages(store: Any) -> list[str]:
    """The pages a park energy manager opens, with the demo's first enterprise and meter."""
    park = store.registry.park()
    enterprise = store.registry.enterprises(park.id)[0]
    point = next(
        p.code
        for p in store.registry.points_by_code(refresh=True).values()
        if p.enterprise_id == enterprise.id and p.formula is None
    )
    return [
        "/overview",
        "/overview?period=month&start=2025-06",
        "/flow",
        "/enterprises",
        f"/enterprises/{enterprise.id}",
        "/ranking?period=year&start=2025",
        f"/points/{point}",
        f"/points/{point}?period=week&res=native",
        "/tree",
        "/meters",
        "/reports",
        "/records",
        "/alarms",
        "/costs",
        "/forecasts",
        "/environment",
        "/waste",
        "/ghg",
        "/compliance?year=2025",
        "/indicators",
        "/programme?year=2025",
        "/equipment",
    ]


def bench_pages(name: str, url: str, args: argparse.Namespace) -> None:
    import httpx

    from lingtan.demo.run import run
    from lingtan.identity import service as identity
    from lingtan.identity.roles import SYSTEM
    from lingtan.store import open_store

    store = open_store(url)
    t0 = time.perf_counter()
    run(store)
    print(f"[{name}] demo year loaded in {time.perf_counter() - t0:.0f} s", flush=True)
    identity.create_user(
        store, actor=SYSTEM, username="bench", password=PASSWORD, role="park_admin"
    )
    pages = main_pages(store)
    if args.page:
        pages = list(args.page)  # only the pages asked for (profiling one page)
    store.close()
    child, base = start_service(url)
    try:
        token = sign_in(base)
        rows = []
        with httpx.Client(base_url=base, cookies={SESSION_COOKIE: token}, timeout=120) as c:
            cold: dict[str, tuple[float, int]] = {}
            for path in pages:
                t0 = time.perf_counter()
                status = c.get(path).status_code
                cold[path] = (time.perf_counter() - t0, status)
            health = []
            for _ in range(50):
                t0 = time.perf_counter()
                assert c.get("/health").status_code == 200
                health.append(time.perf_counter() - t0)
            base_s = statistics.median(health)
            for path in pages:
                times, bad = [], 0
                for _ in range(args.page_requests):
                    t0 = time.perf_counter()
                    status = c.get(path).status_code
                    times.append(time.perf_counter() - t0)
                    bad += status != 200
                rows.append((path, cold[path], times, bad))
    finally:
        stop_service(child)
    print(f"[{name}] {len(pages)} pages as a park admin; GET /health median "
          f"{base_s * 1000:.1f} ms; warm = {args.page_requests} requests each", flush=True)  # fmt: skip
    print(f"{'page':58s} {'cold ms':>8s} {'warm p50':>9s} {'warm p95':>9s} {'p95/health':>10s}")
    misses = 0
    for path, (cold_s, cold_status), times, bad in rows:
        p50, p95 = _pct(times, 0.50), _pct(times, 0.95)
        miss = cold_s >= 1.0 or p95 >= 0.3 or bad or cold_status != 200
        misses += bool(miss)
        note = "" if cold_status == 200 and not bad else f" (status {cold_status}, {bad} failed)"
        print(f"{path:58s} {cold_s * 1000:8.0f} {p50 * 1000:9.1f} {p95 * 1000:9.1f} "
              f"{p95 / base_s:10.0f}{'  MISSES' if miss else ''}{note}")  # fmt: skip
    worst_cold = max(r[1][0] for r in rows)
    worst_p95 = max(_pct(r[2], 0.95) for r in rows)
    print(f"[{name}] worst cold {worst_cold * 1000:.0f} ms (target < 1000), worst warm p95 "
          f"{worst_p95 * 1000:.1f} ms (target < 300); {misses} page(s) miss", flush=True)  # fmt: skip
