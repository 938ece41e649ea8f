"""Three park instances and one region instance as separate processes (``lingtan serve`` on
loopback ports, one SQLite file each). Each park queues three months on its ``region``
channel; its delivery worker sends them. Park P1 is killed (SIGKILL) after the region stored
its second month but before P1 heard the receipt, and restarted: the month is sent again with
the same idempotency key and stored once. P2 then corrects January (revision 2). The region
ends with every period exactly once per revision, each park's months received in order, and
January of P2 restated with its history."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from lingtan.identity.roles import SYSTEM
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.region import build, service
from lingtan.store import open_store
from lingtan.store.query_repo import Tenant
from lingtan.store.region_repo import RegionRepo
from tests.conftest import _reachable
from tests.region.conftest import SECRET, TZ, load_park, region_channel

MONTHS = [(2025, 1), (2025, 2), (2025, 3)]
PARKS = ("P1", "P2", "P3")
#: how long any wait may last before the test fails [s] (never a timing assertion)
PATIENCE_S = 180.0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINGTAN_")}
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
        LINGTAN_DATABASE_URL=url,
        LINGTAN_ENVIRONMENT="test",
        # deliveries polled, retried and re-leased quickly (a dead worker's lease expires)
        LINGTAN_NOTIFY_POLL_S="0.2",
        LINGTAN_NOTIFY_BACKOFF_S="0.2",
        LINGTAN_NOTIFY_BACKOFF_MAX_S="0.5",
        LINGTAN_NOTIFY_LEASE_S="2",
        LINGTAN_ALARM_TICK_S="3600",
        **extra,
    )
    return env


@dataclass
class Server:
    """One ``lingtan serve`` process."""

    url: str
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from lingtan.cli import main; main()", "serve",
                 "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def wait_ready(self) -> None:
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server on {self.port} did not start: {self.log.read_text()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class Proxy:
    """Between P1 and the region: forwards every upload; for the ``cut``-th it forwards,
    lets the region store it, then calls ``on_cut`` (which kills P1) and drops the
    connection without an answer."""

    target: str
    cut: int
    on_cut: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)
    keys: list[str] = field(default_factory=list)


@pytest.fixture
def proxy_server() -> Iterator[tuple[Proxy, int]]:
    port = _port()
    state = Proxy(target="", cut=2)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hdrs = {k: v for k, v in self.headers.items() if k.lower().startswith("x-ecm")}
            hdrs["Content-Type"] = "application/json"
            r = httpx.post(state.target, content=body, headers=hdrs, timeout=30)
            with lock:
                state.keys.append(hdrs.get("X-ECM-Nonce", ""))
                n = len(state.keys)
            if n == state.cut:
                state.on_cut.set()  # the region has it; P1 dies before hearing so
                state.killed.wait(PATIENCE_S)
                self.close_connection = True
                return
            self.send_response(r.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, port
    finally:
        state.killed.set()
        server.shutdown()
        server.server_close()


def _wait(what: str, check: object) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def test_three_parks_one_region(
    tmp_path: Path, proxy_server: tuple[Proxy, int], request: pytest.FixtureRequest
) -> None:
    proxy, proxy_port = proxy_server
    # the region on PostgreSQL when the server is there (a fresh schema, dropped afterwards),
    # else on SQLite; the parks on SQLite
    on_pg = _reachable("127.0.0.1", 5432) or os.environ.get("LINGTAN_REQUIRE_SERVICES") == "1"
    region_port = _port()
    ingress = f"http://127.0.0.1:{region_port}/api/v1/region/uploads"
    proxy.target = ingress
    region_url = (
        str(request.getfixturevalue("pg_url")) if on_pg else f"sqlite:///{tmp_path / 'region.db'}"
    )
    region_db = open_store(region_url)
    for code in PARKS:
        service.register_park(
            region_db, principal=SYSTEM, code=code, name=f"园区{code}", secret=SECRET
        )
    channels: dict[str, int] = {}
    urls: dict[str, str] = {}
    for code in PARKS:
        urls[code] = f"sqlite:///{tmp_path / f'{code}.db'}"
        store = open_store(urls[code])
        load_park(store, code, MONTHS, days=1)
        target = f"http://127.0.0.1:{proxy_port}/upload" if code == "P1" else ingress
        channels[code] = region_channel(store, target).id
        for year, month in MONTHS:
            q = build.queue(store, tenant=Tenant.park_wide(), channel_id=channels[code],
                            year=year, month=month)  # fmt: skip
            assert q.revision == 1 and q.new
        store.close()
    servers: dict[str, Server] = {}
    region = Server(region_url, region_port, _env(region_url, LINGTAN_MODE="region"),
                    tmp_path / "region.log")  # fmt: skip
    for code in PARKS:
        servers[code] = Server(urls[code], _port(), _env(urls[code]), tmp_path / f"{code}.log")
    everyone = [region, *servers.values()]
    try:
        for s in everyone:
            s.start()
        for s in everyone:
            s.wait_ready()
        repo = RegionRepo(region_db)
        # P1 dies after the region stored its second month, before it heard the receipt
        assert proxy.on_cut.wait(PATIENCE_S), "P1 never reached its second upload"
        servers["P1"].kill()
        proxy.killed.set()
        stored = {(u.park_code, u.month) for u in repo.uploads(parks=None)}
        assert ("P1", 2) in stored and ("P1", 3) not in stored
        servers["P1"].start()
        servers["P1"].wait_ready()
        _wait("nine months at the region", lambda: len(repo.uploads(parks=None)) == 9)
        # P2 corrects January: a late reading, revision 2
        p2 = open_store(urls["P2"])
        late = Reading("A-grid", dt.datetime(2025, 1, 2, 1, tzinfo=TZ), 3.0, source="test")
        assert ingest(p2, [late], source="test").rejected == 0
        normalise_pending(p2)
        q = build.queue(
            p2, tenant=Tenant.park_wide(), channel_id=channels["P2"], year=2025, month=1
        )
        assert (q.revision, q.new) == (2, True)
        _wait("the correction", lambda: len(repo.uploads(parks=None)) == 10)
        _wait(
            "P2's outbox drained",
            lambda: all(
                d.state == "delivered" for d in p2.outbox.deliveries(tenant=Tenant.park_wide())[0]
            ),
        )
        p2.close()
    except BaseException:
        region_db.close()  # before the schema is dropped (PostgreSQL)
        raise
    finally:
        for s in everyone:
            s.stop()
    # P1's second month reached the region twice (before and after the kill), stored once
    key = "region-P1-month-202502-r1"
    assert proxy.keys.count(f"{key}-ch{channels['P1']}") == 2
    ups = RegionRepo(region_db).uploads(parks=None)
    seen = sorted((u.park_code, u.year, u.month, u.revision) for u in ups)
    expected = sorted([(p, y, m, 1) for p in PARKS for y, m in MONTHS] + [("P2", 2025, 1, 2)])
    assert seen == expected  # every period once per revision: nothing lost, nothing twice
    for code in PARKS:
        firsts = sorted(
            (u for u in ups if u.park_code == code and u.revision == 1), key=lambda u: u.id
        )
        assert [u.month for u in firsts] == [1, 2, 3]  # received in the order queued
    jan = {u.revision: u for u in ups if u.park_code == "P2" and u.month == 1}
    assert jan[2].current and not jan[1].current and jan[1].superseded_by == jan[2].id
    # every park's outbox is drained (P1's too, after its restart)
    for code in PARKS:
        store = open_store(urls[code])
        rows, _ = store.outbox.deliveries(tenant=Tenant.park_wide())
        assert {r.state for r in rows} == {"delivered"}, code
        store.close()
    region_db.close()
