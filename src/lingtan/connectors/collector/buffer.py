"""The collector's local durable state: spill buffer, rejected payloads and comms events.

One SQLite file in the collector's state directory (``<data_dir>/collector/state.sqlite``):

* ``spill`` — batches the store could not take, in arrival order, bounded by
  ``max_readings``. Written with ``synchronous=FULL`` so a batch is on disk before the
  messages it came from are acknowledged. Replayed oldest first; a batch is deleted only
  after the store committed it, so a crash in between replays it again and the idempotent
  ingest counts it as duplicates instead of storing it twice.
* ``rejected_payload`` — frames and messages that could not become readings (bad checksum,
  not JSON …), with their raw text and reason, newest ``keep_rejects`` kept.
* ``event`` — comms lost / restored, newest ``keep_events`` kept.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lingtan.errors import Unavailable
from lingtan.readings import Reading

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spill (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    n INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected_payload (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    connector TEXT NOT NULL,
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


class BufferFull(Unavailable):
    """The spill buffer reached its bound; producers must wait."""

    code = "buffer_full"


def encode_readings(readings: Sequence[Reading]) -> str:
    """JSON text of ``readings`` (timestamps keep whether they were datetimes)."""
    rows: list[list[Any]] = []
    for r in readings:
        if isinstance(r.ts, dt.datetime):
            ts: Any = [r.ts.isoformat()]
        else:
            ts = r.ts
        row = [r.point, ts, r.value, r.unit, r.source, r.raw]
        if r.problem is not None or r.reason is not None:
            # a refused reading spilled while the store is down keeps its reason for the
            # quarantine when it is replayed
            row.append(r.problem)
            if r.reason is not None:
                row.append(r.reason)
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, allow_nan=True)


def decode_readings(text: str) -> list[Reading]:
    """Inverse of :func:`encode_readings`."""
    out: list[Reading] = []
    for point, ts, value, unit, source, raw, *problem in json.loads(text):
        when = dt.datetime.fromisoformat(ts[0]) if isinstance(ts, list) else ts
        out.append(Reading(point, when, value, unit, source, raw, *problem))
    return out


def _now() -> str:
    return dt.datetime.now(tz=dt.UTC).isoformat()


class SpillBuffer:
    """A bounded FIFO of reading batches on disk (plus rejects and events)."""

    def __init__(
        self,
        path: Path,
        *,
        max_readings: int = 2_000_000,
        keep_rejects: int = 10_000,
        keep_events: int = 10_000,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_readings = max_readings
        self.keep_rejects = keep_rejects
        self.keep_events = keep_events
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a spilled batch survives a power cut before its messages are acknowledged
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT COALESCE(SUM(n), 0), COUNT(*) FROM spill").fetchone()
        self._readings = int(row[0])
        self._batches = int(row[1])

    @property
    def readings(self) -> int:
        """Readings waiting in the buffer."""
        return self._readings

    @property
    def batches(self) -> int:
        """Batches waiting in the buffer."""
        return self._batches

    def room(self) -> int:
        """Readings that still fit."""
        return max(0, self.max_readings - self._readings)

    def append(self, readings: Sequence[Reading]) -> None:
        """Append one batch durably; :class:`BufferFull` if it does not fit."""
        if not readings:
            return
        if self._readings + len(readings) > self.max_readings:
            raise BufferFull(
                f"spill buffer full ({self._readings} of {self.max_readings} readings)"
            )
        body = encode_readings(readings)
        with self._lock:
            self._db.execute(
                "INSERT INTO spill (created_at, n, body) VALUES (?, ?, ?)",
                (_now(), len(readings), body),
            )
            self._readings += len(readings)
            self._batches += 1

    def peek(self, max_readings: int) -> tuple[list[int], list[Reading]]:
        """The oldest batches, up to ``max_readings`` readings (at least one batch)."""
        seqs: list[int] = []
        readings: list[Reading] = []
        with self._lock:
            cursor = self._db.execute("SELECT seq, n, body FROM spill ORDER BY seq")
            for seq, n, body in cursor:
                if seqs and len(readings) + n > max_readings:
                    break
                seqs.append(int(seq))
                readings.extend(decode_readings(body))
            cursor.close()
        return seqs, readings

    def delete(self, seqs: Sequence[int]) -> None:
        """Drop batches the store has committed."""
        if not seqs:
            return
        with self._lock:
            marks = ",".join("?" * len(seqs))
            self._db.execute("BEGIN IMMEDIATE")
            try:
                n = self._db.execute(
                    f"SELECT COALESCE(SUM(n), 0), COUNT(*) FROM spill WHERE seq IN ({marks})",
                    tuple(seqs),
                ).fetchone()
                self._db.execute(f"DELETE FROM spill WHERE seq IN ({marks})", tuple(seqs))
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise
            self._readings -= int(n[0])
            self._batches -= int(n[1])

    def oldest(self) -> str | None:
        """When the oldest waiting batch was spilled."""
        with self._lock:
            row = self._db.execute("SELECT MIN(created_at) FROM spill").fetchone()
        return None if row is None else row[0]

    def add_reject(self, source: str, reason: str, raw: str) -> None:
        """Keep a payload that could not become readings."""
        with self._lock:
            self._db.execute(
                "INSERT INTO rejected_payload (at, source, reason, raw) VALUES (?, ?, ?, ?)",
                (_now(), source, reason, raw[:4000]),
            )
            self._db.execute(
                "DELETE FROM rejected_payload WHERE id <= "
                "(SELECT MAX(id) FROM rejected_payload) - ?",
                (self.keep_rejects,),
            )

    def add_event(self, event: dict[str, str]) -> None:
        """Keep a comms event."""
        with self._lock:
            self._db.execute(
                "INSERT INTO event (at, connector, device, kind, detail) VALUES (?, ?, ?, ?, ?)",
                (event["at"], event["connector"], event["device"], event["kind"], event["detail"]),
            )
            self._db.execute(
                "DELETE FROM event WHERE id <= (SELECT MAX(id) FROM event) - ?",
                (self.keep_events,),
            )

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def read_state(path: Path, *, limit: int = 20) -> dict[str, Any]:
    """What ``lingtan collect status`` shows from the state file (read-only, no lock)."""
    result: dict[str, Any] = {
        "buffered_readings": 0,
        "buffered_batches": 0,
        "oldest": None,
        "rejected_payloads": [],
        "rejected_total": 0,
        "events": [],
    }
    if not Path(path).exists():
        return result
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        n, batches, oldest = db.execute(
            "SELECT COALESCE(SUM(n), 0), COUNT(*), MIN(created_at) FROM spill"
        ).fetchone()
        result.update(buffered_readings=int(n), buffered_batches=int(batches), oldest=oldest)
        result["rejected_total"] = int(
            db.execute("SELECT COUNT(*) FROM rejected_payload").fetchone()[0]
        )
        result["rejected_payloads"] = [
            {"at": at, "source": src, "reason": reason, "raw": raw}
            for at, src, reason, raw in db.execute(
                "SELECT at, source, reason, raw FROM rejected_payload ORDER BY id DESC LIMIT ?",
                (limit,),
            )
        ]
        result["events"] = [
            {"at": at, "connector": c, "device": d, "kind": k, "detail": det}
            for at, c, d, k, det in db.execute(
                "SELECT at, connector, device, kind, detail FROM event ORDER BY id DESC LIMIT ?",
                (limit,),
            )
        ]
    finally:
        db.close()
    return result
