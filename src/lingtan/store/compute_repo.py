"""Results of region-wide recomputations (``lingtan.region.tasks``), written once per key.

The key is (kind, park, period, input fingerprint): the same inputs give the same result, so a
result found under its key is never written again — a re-run, or a task the cluster ran twice
after a worker was lost, writes nothing twice. These are region-level results read by the
region's operators through the CLI; no enterprise user reads them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_

from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store

Key = tuple[str, str, str, str]
#: keys looked up per query (well under the bound-parameter limits of both engines)
_CHUNK = 200


@dataclass(frozen=True, slots=True)
class ComputeRow:
    """One stored result (``result`` is JSON text)."""

    kind: str
    park: str
    period: str
    fingerprint: str
    result: str
    computed_at: int

    @property
    def key(self) -> Key:
        return (self.kind, self.park, self.period, self.fingerprint)

    def data(self) -> Any:
        """The result as plain data."""
        return json.loads(self.result)


class ComputeRepo:
    """Idempotent storage of recomputation results."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def upsert(self, rows: Sequence[ComputeRow]) -> int:
        """Insert the rows whose key is not stored yet, in one transaction; return how many."""
        if not rows:
            return 0
        t = s.region_compute_result
        unique = list({r.key: r for r in rows}.values())
        with self._store.begin() as conn:
            stored = self._existing(conn, [r.key for r in unique])
            fresh = [asdict(r) for r in unique if r.key not in stored]
            if fresh:
                # a concurrent writer of the same key inserts the same result: keep the first
                stmt = self._store.dialect_insert(t).on_conflict_do_nothing(
                    index_elements=[t.c.kind, t.c.park, t.c.period, t.c.fingerprint]
                )
                conn.execute(stmt, fresh)
        return len(fresh)

    def existing(self, keys: Sequence[Key]) -> set[Key]:
        """The keys among ``keys`` that are stored."""
        with self._store.begin() as conn:
            return self._existing(conn, keys)

    @staticmethod
    def _existing(conn: Any, keys: Sequence[Key]) -> set[Key]:
        t = s.region_compute_result
        cols = (t.c.kind, t.c.park, t.c.period, t.c.fingerprint)
        found: set[Key] = set()
        for i in range(0, len(keys), _CHUNK):
            chunk = list(keys[i : i + _CHUNK])
            rows = conn.execute(select(*cols).where(tuple_(*cols).in_(chunk))).all()
            found.update((str(a), str(b), str(c), str(d)) for a, b, c, d in rows)
        return found

    def results(
        self, *, kind: str | None = None, park: str | None = None, period: str | None = None
    ) -> list[ComputeRow]:
        """Stored results, newest first, filtered by kind, park and period."""
        t = s.region_compute_result
        q = select(t)
        if kind is not None:
            q = q.where(t.c.kind == kind)
        if park is not None:
            q = q.where(t.c.park == park)
        if period is not None:
            q = q.where(t.c.period == period)
        q = q.order_by(t.c.computed_at.desc(), t.c.park, t.c.period)
        with self._store.begin() as conn:
            return [ComputeRow(**dict(r._mapping)) for r in conn.execute(q)]
