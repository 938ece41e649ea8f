"""Fixtures of the exchange tests: a small park with a whole January of hourly data for one
enterprise and two hours for the other, and an upload receiver on loopback."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
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


QUARTER_PARK = """\
park:
  id: ecm-quarter
  name: 十五分钟上传测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 甲电子有限公司
    uscc: "914403001922038216"
  - id: E02
    name: 乙食品有限公司
points:
  - {id: Q-reg, carrier: electricity_grid_import, kind: total_increasing, unit: kWh, enterprise: E01, interval_s: 900}
  - {id: H-gas, carrier: natural_gas, kind: interval, unit: m3, enterprise: E01, interval_s: 3600}
  - {id: Q-int, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E02, interval_s: 900}
"""
#: the readings of QUARTER_PARK left out: E01's register on 10 February 12:15–13:15 (five
#: readings), E02's interval meter on 3 February 08:15 and 08:30 (two readings)
REG_GAP = [dt.datetime(2025, 2, 10, 12, 15, tzinfo=TZ) + dt.timedelta(minutes=15 * k)
           for k in range(5)]  # fmt: skip
INT_GAP = [dt.datetime(2025, 2, 3, 8, 15, tzinfo=TZ), dt.datetime(2025, 2, 3, 8, 30, tzinfo=TZ)]


def load_quarter(store: Store) -> None:
    """February 2025 (28 days) read every 15 minutes, local time:

    * E01 Q-reg, a register read at 00:00, 00:15 … from 1 February to 1 March 00:00 (2,689
      readings) from 1000 kWh, advancing 1.0, 1.5, 2.0, 2.5 kWh in the four quarters of every
      hour (7 kWh an hour, 168 kWh a day), five readings of 10 February left out (REG_GAP);
    * E01 H-gas, natural gas read hourly (2 m3 an hour): no 15-minute series;
    * E02 Q-int, an interval meter, 1 kWh per 15-minute reading from 00:15 on 1 February to
      00:00 on 1 March (2,688 readings), two of 3 February left out (INT_GAP).
    """
    store.registry.save_park(parse_park_text(QUARTER_PARK))
    t0 = dt.datetime(2025, 2, 1, tzinfo=TZ)
    q = dt.timedelta(minutes=15)
    rows: list[Reading] = []
    register = 1000.0
    for k in range(28 * 96 + 1):
        t = t0 + k * q
        if k:
            register += 1.0 + 0.5 * ((k - 1) % 4)  # the quarter ending at t
        if t not in REG_GAP:
            rows.append(Reading("Q-reg", t, register, source="test"))
        if k and t not in INT_GAP:
            rows.append(Reading("Q-int", t, 1.0, source="test"))
    rows += [Reading("H-gas", t0 + dt.timedelta(hours=h), 2.0, source="test")
             for h in range(1, 28 * 24 + 1)]  # fmt: skip
    ack = ingest(store, rows, source="test")
    assert ack.rejected == 0, ack.reasons
    normalise_pending(store)


def _built(factory: pytest.TempPathFactory, name: str, loader: Callable[[Store], None]) -> Path:
    """A SQLite park built once by ``loader`` (a module fixture's value; tests copy it)."""
    path = factory.mktemp(name) / "park.db"
    store = open_store(f"sqlite:///{path}")
    loader(store)
    store.close()
    return path


def _copy(db: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the built park ``db`` for one test."""
    copy = tmp_path / "park.db"
    copy.write_bytes(db.read_bytes())
    store = open_store(f"sqlite:///{copy}")
    yield store
    store.close()


@pytest.fixture(scope="module")
def quarter_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 15-minute park, built once per module (tests copy it)."""
    return _built(tmp_path_factory, "ecm15", load_quarter)


@pytest.fixture
def quarter_park(quarter_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the 15-minute park."""
    yield from _copy(quarter_db, tmp_path)


@pytest.fixture(scope="module")
def park_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The loaded park, built once per module (tests copy it)."""
    return _built(tmp_path_factory, "ecm", load)


@pytest.fixture
def park(park_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the loaded park."""
    yield from _copy(park_db, tmp_path)


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
