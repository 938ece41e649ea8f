"""``write_columns``: numpy columns upserted as they are, NaN stored as NULL, on both engines
(PostgreSQL receives each column as one array in its binary format)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import text

from lingtan.store import Store
from lingtan.store import schema as s
from lingtan.store.rows import write_columns


def rows(store: Store) -> list[tuple[object, ...]]:
    with store.begin() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT point_id, hour, value, measured_s, flags, n FROM stat_hour "
                     "ORDER BY point_id, hour")
            ).all()
        ]  # fmt: skip


def columns(value: list[float], measured: list[float], n: list[int]) -> dict[str, np.ndarray]:
    k = len(value)
    return {
        "point_id": np.array([7, 7, 9][:k], np.int64),
        "hour": np.array([3_600_000_000, 7_200_000_000, 3_600_000_000][:k], np.int64),
        "value": np.array(value),
        "measured_s": np.array(measured),
        "estimated_s": np.zeros(k),
        "missing_s": 3600.0 - np.array(measured),
        "flags": np.array([0, 4, 1][:k], np.int64),
        "n": np.array(n, np.int64),
        "computed_at": np.full(k, 1, np.int64),
    }


def test_columns_are_inserted_then_updated_with_nan_as_null(store: Store) -> None:
    arrays = store.capabilities.supports_copy
    with store.begin() as conn:
        write_columns(
            conn, s.stat_hour, columns([1.5, float("nan"), -2.25], [60.0, 0.0, 3600.0], [2, 0, 9]),
            conflict=("point_id", "hour"), arrays=arrays,
        )  # fmt: skip
    assert rows(store) == [
        (7, 3_600_000_000, 1.5, 60.0, 0, 2),
        (7, 7_200_000_000, None, 0.0, 4, 0),
        (9, 3_600_000_000, -2.25, 3600.0, 1, 9),
    ]
    # the first two rows again: replaced, the third kept
    with store.begin() as conn:
        write_columns(
            conn, s.stat_hour, columns([float("nan"), 0.125], [0.0, 120.0], [0, 3]),
            conflict=("point_id", "hour"), arrays=arrays,
        )  # fmt: skip
    assert rows(store) == [
        (7, 3_600_000_000, None, 0.0, 0, 0),
        (7, 7_200_000_000, 0.125, 120.0, 4, 3),
        (9, 3_600_000_000, -2.25, 3600.0, 1, 9),
    ]
