"""Live mode of ``bench/api.py``: the park overview while data flows.

The demo year is loaded into a fresh database and the service is started as ``lingtan serve``
runs it: one uvicorn process with the background normaliser and the job workers. Then, for
each feed × load combination, for ``--seconds``:

feeds (a thread of this process posting through ``POST /api/v1/readings``, once a second):

* ``new``: the next 15-minute reading of every physical register point, after the stored
  data (what a healthy collector sends);
* ``late``: ``--late-batch`` 15-minute readings, point by point, for days before the stored
  data (a collector replaying its buffer after an outage, a backfill import): every batch
  marks hours of closed months dirty and wakes the normaliser.

loads (``GET /api/v1/overview`` as a park admin, latency counted until the answer or the
``--timeout``; a timed-out or failed request is counted, never dropped):

* ``open``: requests at a fixed rate (``--rate`` per second) whatever the service does,
  latency counted from the *scheduled* send time, so a stall shows as the time a request
  waited to be sent as well as served (no coordinated omission);
* ``closed``: ``--clients`` keep-alive clients, each sending its next request when the last
  one is answered (the load that froze every client at once on main).

Each row prints requests, errors, timeouts, p50/p95/p99/max and the ratio of p95 to the
baseline: ``GET /health`` in the same service process before the feeds start. A request
late by more than ``--dump-after`` makes the service dump every thread's stack (SIGUSR1,
faulthandler) to its stderr, once per combination: that is what showed the cause of the
freeze (docs/api.md, "Timeouts").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

from api import PASSWORD, _pct, sign_in, start_service, stop_service

TZ8 = dt.timezone(dt.timedelta(hours=8))
#: the demo year: stored data covers 2025 in park local time
YEAR_START = dt.datetime(2025, 1, 1, tzinfo=TZ8)
YEAR_END = dt.datetime(2026, 1, 1, tzinfo=TZ8)
STEP = dt.timedelta(minutes=15)


class Watchdog:
    """Sends SIGUSR1 to the service once when a request has been waiting ``after`` seconds."""

    def __init__(self, child: subprocess.Popen[bytes], after: float) -> None:
        self._child = child
        self._after = after
        self._fired = False
        self._lock = threading.Lock()

    def late(self, waited: float) -> None:
        if waited < self._after:
            return
        with self._lock:
            if self._fired:
                return
            self._fired = True
        print(
            f"    (a request waited {waited:.1f} s: thread dump of the service below)", flush=True
        )
        os.kill(self._child.pid, signal.SIGUSR1)


def register_points(store: Any) -> list[Any]:
    """Physical cumulative register points (what collectors read), in code order."""
    return sorted(
        (
            p
            for p in store.registry.points_by_code(refresh=True).values()
            if p.formula is None and p.kind == "total_increasing"
        ),
        key=lambda p: p.code,
    )


def new_batches(store: Any) -> Iterator[list[dict[str, Any]]]:
    """One batch per call: the next 15-minute reading of every register, after the stored
    year, each register going on from its last stored value."""
    from lingtan.timeutil import to_us

    points = register_points(store)
    last: dict[str, float] = {}
    for p in points:
        _, values = store.readings.fetch(p.id, to_us(YEAR_END - dt.timedelta(days=2)))
        last[p.code] = float(values[-1]) if len(values) else 0.0
    ts = YEAR_END
    while True:
        batch = []
        for n, p in enumerate(points):
            last[p.code] += 0.5 + (n % 7) * 0.25
            batch.append({"point": p.code, "ts": ts.isoformat(), "value": round(last[p.code], 3)})
        yield batch
        ts += STEP


def late_batches(store: Any, size: int, month_back: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of ``size`` readings, point by point, of the 15-minute readings of a month
    ``month_back`` months before the stored year (1: December 2024), each register counting
    up to just below its first stored value."""
    from lingtan.timeutil import to_us

    first = dt.datetime(2025 - (month_back + 11) // 12, (12 - month_back) % 12 + 1, 1, tzinfo=TZ8)
    end = (first + dt.timedelta(days=32)).replace(day=1)
    slots = []
    ts = first
    while ts < end:
        slots.append(ts)
        ts += STEP
    buf: list[dict[str, Any]] = []
    for p in register_points(store):
        _, values = store.readings.fetch(p.id, to_us(YEAR_START), to_us(YEAR_START + STEP * 8))
        v0 = float(values[0]) if len(values) else 10_000.0
        step = 0.25
        start = max(0.0, v0 - step * (len(slots) + 1))
        for k, t in enumerate(slots):
            buf.append({"point": p.code, "ts": t.isoformat(), "value": round(start + k * step, 3)})
            if len(buf) == size:
                yield buf
                buf = []
    if buf:
        yield buf


class Feed:
    """Posts one batch a second in a thread; counts readings, errors and slow posts."""

    def __init__(self, base: str, token: str, batches: Iterator[list[dict[str, Any]]]) -> None:
        self._base = base
        self._token = token
        self._batches = batches
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-feed", daemon=True)
        self.posted = self.accepted = self.errors = 0
        self.post_s: list[float] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _run(self) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=self._base, headers=headers, timeout=60) as c:
            nxt = time.monotonic()
            for batch in self._batches:
                if self._stop.is_set():
                    return
                t0 = time.perf_counter()
                try:
                    r = c.post("/api/v1/readings", content=json.dumps(batch).encode())
                    if r.status_code == 200:
                        self.accepted += int(r.json()["accepted"])
                    else:
                        self.errors += 1
                except httpx.HTTPError:
                    self.errors += 1
                self.post_s.append(time.perf_counter() - t0)
                self.posted += len(batch)
                nxt += 1.0
                self._stop.wait(max(0.0, nxt - time.monotonic()))


def summarise(
    latencies: list[float], errors: int, timeouts: int, elapsed: float
) -> dict[str, float]:
    """Figures of one run; a timed-out request counts with its timeout as latency."""
    if not latencies:
        latencies = [float("nan")]
    return {
        "requests": len(latencies),
        "errors": errors,
        "timeouts": timeouts,
        "rps": len(latencies) / elapsed,
        "p50_ms": _pct(latencies, 0.50) * 1000,
        "p95_ms": _pct(latencies, 0.95) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
        "over_2s": sum(1 for x in latencies if x > 2.0),
    }


def open_loop(
    base: str, token: str, *, rate: float, seconds: float, timeout: float, dog: Watchdog
) -> dict[str, float]:
    """``rate`` overview requests a second at fixed times, whatever the service does;
    latency from the scheduled time. The requests are sent by a pool of keep-alive client
    threads (enough for 200 requests/s at 250 ms each): a request whose time has come while
    every sender is busy waits, and that wait counts in its latency."""
    import queue

    import httpx

    senders = max(8, min(64, int(rate / 4)))
    todo: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    counts = {"errors": 0, "timeouts": 0}
    lock = threading.Lock()

    def sender() -> None:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        ) as c:
            while (scheduled := todo.get()) is not None:
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                kind = None
                try:
                    if c.get("/api/v1/overview").status_code != 200:
                        kind = "errors"
                except httpx.TimeoutException:
                    kind = "timeouts"
                except httpx.HTTPError:
                    kind = "errors"
                waited = time.perf_counter() - scheduled
                with lock:
                    latencies.append(waited)
                    if kind:
                        counts[kind] += 1
                dog.late(waited)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for t in threads:
        t.start()
    t_begin = time.perf_counter() + 0.5
    n = int(rate * seconds)
    for k in range(n):  # the schedule, fixed in advance; senders take times in order
        todo.put(t_begin + k / rate)
    for _ in threads:
        todo.put(None)
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
    elapsed = time.perf_counter() - t_begin
    return summarise(latencies, counts["errors"], counts["timeouts"], elapsed)


def closed_loop(
    base: str, token: str, *, clients: int, seconds: float, timeout: float, dog: Watchdog
) -> dict[str, float]:
    """``clients`` keep-alive threads, each sending its next request on an answer."""
    import httpx

    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    timeouts = [0] * clients
    start = threading.Event()
    deadline = [0.0]
    inflight: dict[int, float] = {}

    def client(k: int) -> None:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        ) as c:
            start.wait()
            while time.perf_counter() < deadline[0]:
                t0 = time.perf_counter()
                inflight[k] = t0
                try:
                    r = c.get("/api/v1/overview")
                    if r.status_code != 200:
                        errors[k] += 1
                except httpx.TimeoutException:
                    timeouts[k] += 1
                except httpx.HTTPError:
                    errors[k] += 1
                inflight.pop(k, None)
                latencies[k].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    t_begin = time.perf_counter()
    deadline[0] = t_begin + seconds
    start.set()
    while any(t.is_alive() for t in threads):
        now = time.perf_counter()
        for t0 in list(inflight.values()):
            dog.late(now - t0)
        time.sleep(0.2)
    elapsed = time.perf_counter() - t_begin
    flat = [x for part in latencies for x in part]
    return summarise(flat, sum(errors), sum(timeouts), elapsed)


def bench_live(name: str, url: str, args: argparse.Namespace) -> None:
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
    child, base = start_service(url, background=True)
    rows: list[tuple[str, str, dict[str, float], Feed]] = []
    try:
        token = sign_in(base)
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as c:
            t0 = time.perf_counter()
            assert c.get("/api/v1/overview").status_code == 200
            first = time.perf_counter() - t0
            health = []
            for _ in range(50):
                t0 = time.perf_counter()
                assert c.get("/health").status_code == 200
                health.append(time.perf_counter() - t0)
        base_ms = statistics.median(health) * 1000
        print(f"[{name}] first overview {first * 1000:.0f} ms; baseline GET /health median "
              f"{base_ms:.1f} ms (50 requests)", flush=True)  # fmt: skip
        month_back = 0
        newer: Iterator[list[dict[str, Any]]] | None = None  # one new feed goes on in time
        for feed_name in args.live.split(","):
            for load_name in args.loads.split(","):
                if feed_name == "new":
                    newer = newer or new_batches(store)
                    batches = newer
                elif feed_name == "late":
                    month_back += 1
                    batches = late_batches(store, args.late_batch, month_back)
                else:
                    raise SystemExit(f"unknown feed {feed_name!r}")
                feed = Feed(base, token, batches)
                dog = Watchdog(child, args.dump_after)
                feed.start()
                # the feed and the normaliser under way before we measure; a settle time
                # past 30 s is what froze main (the overview's stale window ran out)
                time.sleep(args.settle)
                if load_name == "open":
                    stats = open_loop(
                        base, token, rate=args.rate, seconds=args.seconds,
                        timeout=args.timeout, dog=dog,
                    )  # fmt: skip
                elif load_name == "closed":
                    stats = closed_loop(
                        base, token, clients=args.clients, seconds=args.seconds,
                        timeout=args.timeout, dog=dog,
                    )  # fmt: skip
                else:
                    raise SystemExit(f"unknown load {load_name!r}")
                feed.stop()
                label = (
                    f"{args.rate:.0f} req/s open" if load_name == "open" else
                    f"{args.clients} clients closed"
                )  # fmt: skip
                ok = stats["p95_ms"] <= 100 and stats["max_ms"] <= 2000
                ok = ok and not stats["timeouts"] and not stats["errors"]
                print(
                    f"[{name}] feed {feed_name} ({feed.accepted:,} readings accepted, "
                    f"{feed.errors} feed errors, post median "
                    f"{statistics.median(feed.post_s or [0]) * 1000:.0f} ms) × {label}, "
                    f"{args.seconds:.0f} s: {stats['requests']:,.0f} requests "
                    f"({stats['rps']:.0f}/s), {stats['errors']:.0f} errors, "
                    f"{stats['timeouts']:.0f} timeouts, {stats['over_2s']:.0f} over 2 s; "
                    f"p50 {stats['p50_ms']:.1f} ms, p95 {stats['p95_ms']:.1f} ms, "
                    f"p99 {stats['p99_ms']:.1f} ms, max {stats['max_ms']:.0f} ms; "
                    f"p95/baseline {stats['p95_ms'] / base_ms:.0f}× — "
                    f"{'meets' if ok else 'MISSES'} p95 ≤ 100 ms, none over 2 s",
                    flush=True,
                )
                rows.append((feed_name, load_name, stats, feed))
    finally:
        stop_service(child)
        store.close()
