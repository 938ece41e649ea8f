"""Levels written to public-lighting circuits (``lighting_write``).

Lighting is the park's: rows carry no enterprise, and the service lets park-wide callers only
read them. Writes of one application are stored in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class LightingWriteRow:
    """A level written to one circuit of a zone, and its outcome."""

    id: int
    park_id: int
    zone: str
    device: str
    at: int
    level_pct: float
    reason: str
    status: str
    readback: float | None
    error: str | None
    attempts: list[dict[str, Any]]
    written_by: str
    written_at: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data (instants in µs since the epoch)."""
        return {
            "id": self.id, "zone": self.zone, "device": self.device, "at": self.at,
            "level_pct": self.level_pct, "reason": self.reason, "status": self.status,
            "readback": self.readback, "error": self.error, "attempts": self.attempts,
            "written_by": self.written_by, "written_at": self.written_at,
        }  # fmt: skip


def _row(r: Any) -> LightingWriteRow:
    m = dict(r._mapping)
    m["attempts"] = json.loads(m["attempts"])
    return LightingWriteRow(**m)


class LightingRepo:
    """Reads and writes of ``lighting_write``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add_writes(self, rows: Sequence[dict[str, Any]]) -> int:
        """Store the outcomes of one application (one transaction, one executemany); how many."""
        if not rows:
            return 0
        values = [{**r, "attempts": json.dumps(r["attempts"], ensure_ascii=False)} for r in rows]
        with self._store.begin() as conn:
            conn.execute(insert(s.lighting_write), values)
        return len(values)

    def writes(
        self,
        *,
        park_id: int,
        zone: str | None = None,
        since: int | None = None,
        limit: int = 500,
    ) -> list[LightingWriteRow]:
        """Writes of the park (of one zone; written since ``since`` µs), newest first."""
        t = s.lighting_write
        q = select(t).where(t.c.park_id == park_id)
        if zone is not None:
            q = q.where(t.c.zone == zone)
        if since is not None:
            q = q.where(t.c.written_at >= since)
        with self._store.begin() as conn:
            rows = conn.execute(q.order_by(t.c.id.desc()).limit(limit)).all()
        return [_row(r) for r in rows]

    def latest(self, *, park_id: int, zone: str) -> dict[str, LightingWriteRow]:
        """The newest write of each circuit of the zone, by circuit."""
        t = s.lighting_write
        newest = (
            select(func.max(t.c.id))
            .where(t.c.park_id == park_id, t.c.zone == zone)
            .group_by(t.c.device)
        )
        with self._store.begin() as conn:
            rows = conn.execute(select(t).where(t.c.id.in_(newest))).all()
        return {r.device: _row(r) for r in rows}
