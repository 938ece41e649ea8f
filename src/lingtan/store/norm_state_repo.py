"""Per-point normalisation state (``norm_state``), read and written as column arrays.

One query reads the state of every point of a run and one statement writes the new states:
the incremental normaliser handles thousands of points per run, so nothing here is per point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, delete

from lingtan.store import schema as s
from lingtan.store.rows import write_columns

if TYPE_CHECKING:
    from lingtan.store.core import Store

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

_COLUMNS = (
    "point_id",
    "last_ts",
    "last_value",
    "hour",
    "value",
    "measured_s",
    "estimated_s",
    "flags",
    "n",
)


@dataclass(frozen=True, slots=True)
class NormStates:
    """States of several points, one entry per point in each column.

    ``last_ts``/``last_value``: the point's last reading (µs, raw register value), trusted and
    settled (no spike look-ahead waits on later readings). ``hour`` is the hour holding
    ``last_ts``; ``value``, ``measured_s``, ``estimated_s``, ``flags`` and ``n`` are that
    hour's sums so far (energy 0 when nothing is known yet)."""

    point_id: I64
    last_ts: I64
    last_value: F64
    hour: I64
    value: F64
    measured_s: F64
    estimated_s: F64
    flags: I64
    n: I64

    def __len__(self) -> int:
        return len(self.point_id)

    def take(self, index: NDArray[Any]) -> NormStates:
        """The states at ``index`` (an index array or a boolean mask)."""
        return NormStates(*(getattr(self, c)[index] for c in _COLUMNS))

    @staticmethod
    def concat(parts: list[NormStates]) -> NormStates:
        """The states of ``parts`` one after the other."""
        if not parts:
            return empty_states()
        return NormStates(*(np.concatenate([getattr(p, c) for p in parts]) for c in _COLUMNS))


def empty_states() -> NormStates:
    """No state."""
    i, f = np.empty(0, np.int64), np.empty(0, np.float64)
    return NormStates(i, i, f, i, f, f, f, i, i)


class NormStateRepo:
    """Repository of ``norm_state``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def load(self, conn: Connection, point_ids: list[int]) -> NormStates:
        """The stored states of ``point_ids``, ordered by point, in one query."""
        if not point_ids:
            return empty_states()
        ids = ", ".join(str(int(p)) for p in point_ids)  # integers only: safe to inline
        dbapi: Any = conn.connection.driver_connection
        cur = dbapi.cursor()
        try:
            cur.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM norm_state WHERE point_id IN ({ids}) "
                "ORDER BY point_id"
            )
            rows = cur.fetchall()
        finally:
            cur.close()
        if not rows:
            return empty_states()
        table = list(zip(*rows, strict=True))
        ints = {"point_id", "last_ts", "hour", "flags", "n"}
        columns: list[Any] = [
            np.array(col, np.int64 if name in ints else np.float64)
            for name, col in zip(_COLUMNS, table, strict=True)
        ]
        return NormStates(*columns)

    def save(self, conn: Connection, states: NormStates, *, now: int) -> None:
        """Insert or replace the states of their points."""
        if not len(states):
            return
        columns = {c: getattr(states, c) for c in _COLUMNS}
        write_columns(
            conn,
            s.norm_state,
            {**columns, "updated_at": np.full(len(states), now, np.int64)},
            conflict=("point_id",),
            arrays=self._store.capabilities.supports_copy,
        )

    def forget(self, conn: Connection, point_ids: list[int]) -> None:
        """Drop the states of ``point_ids``: their next readings take the recompute path."""
        for i in range(0, len(point_ids), 500):
            conn.execute(
                delete(s.norm_state).where(s.norm_state.c.point_id.in_(point_ids[i : i + 500]))
            )

    def forget_all(self, conn: Connection) -> None:
        """Drop every state (a full rebuild)."""
        conn.execute(delete(s.norm_state))


__all__ = ["NormStateRepo", "NormStates", "empty_states"]
