"""Outbox benchmark: messages/s from the outbox to a local HTTP receiver, against the same POSTs
sent straight.

One webhook channel pointing at an HTTP receiver on loopback (a ``ThreadingHTTPServer`` that
reads each body and answers 200). ``--messages`` alarm events are queued on it in one
transaction (``lingtan.alarms.notify.service.enqueue``), then the timer covers what delivers
them in production: ``deliver_due`` claims due rows a batch at a time (``notify_batch``, the
settings' default), sends the batch's rows in parallel threads, signs each body (HMAC-SHA256)
and records every outcome in the store, until nothing is due. The baseline, in the same
process and against the same receiver, POSTs the same bodies with the same client settings and
the same number of threads, with nothing claimed, signed or recorded. Ratio = baseline seconds
/ outbox seconds. The receiver counts what it got: every message must arrive exactly once.

For each engine (SQLite file, PostgreSQL when reachable), ``--repeat`` runs in fresh
databases::

    python bench/outbox.py [--messages 2000] [--engines sqlite,postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from _common import pg_reachable, pg_schema

PARK = "park: {id: bench, name: 基准园区, province: 江苏}\npoints: []\n"


class Receiver:
    """An HTTP receiver on loopback counting the delivery ids it got (header
    ``X-Lingtan-Delivery``; ``-`` for the baseline's unsigned POSTs)."""

    def __init__(self) -> None:
        self.seen: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would
            # the answer's head and body in one segment: written apart on a kept-alive
            # connection, Nagle's algorithm and the client's delayed ACK hold each answer
            # back ~40 ms, which no production receiver does
            wbufsize = 65536
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.seen[self.headers.get("X-Lingtan-Delivery", "-")] += 1
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default 5 refuses connections under 8 senders

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_one(engine: str, messages: int) -> dict[str, float]:
    """Queue ``messages`` events, deliver them through the outbox; then the baseline."""
    from lingtan.alarms.notify import service as notify
    from lingtan.alarms.notify.model import channel_spec
    from lingtan.config import Settings
    from lingtan.registry import parse_park_text
    from lingtan.store import open_store

    settings = Settings()
    receiver = Receiver()
    out: dict[str, float] = {"batch": settings.notify_batch}
    with tempfile.TemporaryDirectory() as tmp:
        if engine == "sqlite":
            url, drop = f"sqlite:///{tmp}/bench-{uuid.uuid4().hex[:8]}.db", None
        else:
            url, drop = pg_schema("bench_outbox")
        store = open_store(url)
        try:
            store.registry.save_park(parse_park_text(PARK))
            park = store.registry.parks()[0]
            spec = channel_spec(code="bench", name="bench", kind="webhook", target=receiver.url)
            notify.create_channel(store, park_id=park.id, spec=spec, actor="bench")
            t0 = time.perf_counter()
            with store.begin() as conn:
                for k in range(messages):
                    alarm = {"id": k + 1, "count": 1, "message": f"基准告警 {k + 1}",
                             "subject": "P00001", "value": float(k)}  # fmt: skip
                    notify.enqueue(store, park_id=park.id, enterprise_id=None, severity="major",
                                   kind="threshold", event="opened", alarm=alarm, conn=conn)  # fmt: skip
            out["enqueue_s"] = time.perf_counter() - t0
            bodies = [d.payload.encode() for d in _pending(store)]
            assert len(bodies) == messages, (len(bodies), messages)
            t0 = time.perf_counter()
            delivered = 0
            while True:
                counts = notify.deliver_due(store, settings=settings)
                delivered += counts.delivered
                if counts.attempted == 0:
                    break
            out["outbox_s"] = time.perf_counter() - t0
            out["delivered"] = delivered
            got = {k: n for k, n in receiver.seen.items() if k != "-"}
            assert len(got) == messages, "lost"
            assert set(got.values()) == {1}, "sent twice"
            out["baseline_s"] = _baseline(receiver.url, bodies, settings)
            assert receiver.seen["-"] == messages
        finally:
            store.close()
            receiver.close()
            if drop is not None:
                drop()
    return out


def _pending(store: Any) -> list[Any]:
    from lingtan.store.query_repo import Tenant

    rows, _ = store.outbox.deliveries(tenant=Tenant.park_wide(), limit=10**9)
    return sorted(rows, key=lambda d: d.id)


def _baseline(url: str, bodies: list[bytes], settings: Any) -> float:
    """The same bodies POSTed straight: the client the outbox uses, as many threads."""
    import httpx

    headers = {"Content-Type": "application/json"}
    with httpx.Client(timeout=httpx.Timeout(settings.notify_timeout_s), trust_env=False) as c:

        def post(body: bytes) -> int:
            r = c.post(url, content=body, headers=headers)  # answer read: connection kept
            return r.status_code

        t0 = time.perf_counter()
        with ThreadPoolExecutor(settings.notify_batch) as pool:
            codes = list(pool.map(post, bodies))
        seconds = time.perf_counter() - t0
    assert set(codes) == {200}, collections.Counter(codes)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    print(f"outbox: {opts.messages:,} webhook messages to a loopback HTTP receiver; baseline: the "
          "same bodies POSTed straight with the same client and threads")  # fmt: skip
    for engine in opts.engines.split(","):
        if engine == "postgresql" and not pg_reachable():
            print("postgresql: not reachable on 127.0.0.1:5432, skipped")
            continue
        ratios = []
        for _ in range(opts.repeat):
            r = run_one(engine, opts.messages)
            ratio = r["baseline_s"] / r["outbox_s"]
            ratios.append(ratio)
            print(
                f"{engine:10s} outbox {r['outbox_s']:6.2f} s {opts.messages / r['outbox_s']:8,.0f} "
                f"messages/s | baseline {r['baseline_s']:6.2f} s "
                f"{opts.messages / r['baseline_s']:8,.0f} /s | ratio {ratio:.2f} "
                f"(batches of {r['batch']:.0f}; queued in {r['enqueue_s']:.2f} s)"
            )
        print(f"{engine:10s} median ratio {statistics.median(ratios):.2f} over {len(ratios)} runs")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
