"""Fixtures of the exchange tests: a small park with a whole January of hourly data for one
enterprise and two hours for the other, and an upload receiver on loopback."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store

PARK = """\
park:
  id: ecm-park
  name: 上传测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 甲电子有限公司
    uscc: "914403001922038216"
  - id: E02
    name: 乙食品有限公司
points:
  - {id: A-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E01, interval_s: 3600}
  - {id: A-sub, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E01, parent: A-grid, interval_s: 3600}
  - {id: A-water, carrier: water, kind: interval, unit: m3, enterprise: E01, interval_s: 3600}
  - {id: B-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E02, interval_s: 3600}
"""
TZ = dt.timezone(dt.timedelta(hours=8))
#: 2026-01-01T00:00:00Z in epoch µs: the injected clock of the delivery tests
T0 = 1_767_225_600_000_000
S = 1_000_000


def load(store: Store) -> None:
    """E01: A-grid 10 kWh every hour of January 2025 (744 hourly readings from 01:00 on the
    1st to 00:00 on 1 February, local), its sub-meter 4 kWh and water 1 m3 for the same hours;
    E02: B-grid 2 hours only."""
    store.registry.save_park(parse_park_text(PARK))
    start = dt.datetime(2025, 1, 1, 1, tzinfo=TZ)
    hours = [start + dt.timedelta(hours=k) for k in range(31 * 24)]
    rows = [Reading("A-grid", t, 10.0, source="test") for t in hours]
    rows += [Reading("A-sub", t, 4.0, source="test") for t in hours]
    rows += [Reading("A-water", t, 1.0, source="test") for t in hours]
    rows += [Reading("B-grid", t, 50.0, source="test") for t in hours[:2]]
    ack = ingest(store, rows, source="test")
    assert ack.rejected == 0, ack.reasons
    normalise_pending(store)


@pytest.fixture(scope="module")
def park_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The loaded park, built once per module (tests copy it)."""
    path = tmp_path_factory.mktemp("ecm") / "park.db"
    store = open_store(f"sqlite:///{path}")
    load(store)
    store.close()
    return path


@pytest.fixture
def park(park_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the loaded park."""
    copy = tmp_path / "park.db"
    copy.write_bytes(park_db.read_bytes())
    store = open_store(f"sqlite:///{copy}")
    yield store
    store.close()


@dataclass
class Got:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A platform on loopback: answers the (status, body) pairs of ``script`` in turn, then
    (200, ``{"code": 0, "receipt": "R<n>"}``)."""

    url: str = ""
    script: list[tuple[int, bytes]] = field(default_factory=list)
    received: list[Got] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.received.append(
                    Got(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                n = len(state.received)
                status, answer = (
                    state.script.pop(0)
                    if state.script
                    else (200, b'{"code":0,"receipt":"R%d"}' % n)
                )
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/ecm"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
