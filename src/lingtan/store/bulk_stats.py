"""Bulk load of hourly statistics computed elsewhere (backfills, benchmarks), on the store's
bulk paths: binary ``COPY`` on PostgreSQL, ``executemany`` on SQLite, in the caller's
transaction.

This is an insert of *new* rows: the hours must not be stored yet (an existing (point, hour)
fails on the primary key, reported as ``Conflict``) and nothing goes to the statistics history.
Recomputing stored hours is the normaliser's job (:meth:`StatsRepo.write_hours_many`). Values
must be finite; ``mean``/``min``/``max`` are left NULL (consumption points). After a load, refresh
the owner × carrier rollups of the hours loaded (:meth:`StatsRepo.refresh_carrier`).
"""

from __future__ import annotations

from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from lingtan.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from lingtan.store.core import Store

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

_COLUMNS = (
    "point_id, hour, value, mean, min, max, measured_s, estimated_s, missing_s, flags, n, "
    "computed_at"
)
#: PostgreSQL binary COPY signature, flags and header extension (PG docs, "COPY", binary format)
_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_TRAILER = (-1).to_bytes(2, "big", signed=True)
#: one stat_hour row: 12 fields; mean, min and max are NULL (length -1, no data)
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("l_point", ">i4"),
        ("point_id", ">i8"),
        ("l_hour", ">i4"),
        ("hour", ">i8"),
        ("l_value", ">i4"),
        ("value", ">f8"),
        ("l_mean", ">i4"),
        ("l_min", ">i4"),
        ("l_max", ">i4"),
        ("l_measured", ">i4"),
        ("measured_s", ">f8"),
        ("l_estimated", ">i4"),
        ("estimated_s", ">f8"),
        ("l_missing", ">i4"),
        ("missing_s", ">f8"),
        ("l_flags", ">i4"),
        ("flags", ">i4"),
        ("l_n", ">i4"),
        ("n", ">i4"),
        ("l_computed", ">i4"),
        ("computed_at", ">i8"),
    ]
)


def _copy_payload(
    point_ids: I64,
    hours: I64,
    values: F64,
    measured_s: F64,
    estimated_s: F64,
    missing_s: F64,
    flags: I64,
    n: I64,
    computed_at: int,
) -> bytes:
    rows = np.empty(len(point_ids), _ROW)
    rows["fields"] = 12
    for name, size in (
        ("l_point", 8),
        ("l_hour", 8),
        ("l_value", 8),
        ("l_measured", 8),
        ("l_estimated", 8),
        ("l_missing", 8),
        ("l_flags", 4),
        ("l_n", 4),
        ("l_computed", 8),
    ):
        rows[name] = size
    for name in ("l_mean", "l_min", "l_max"):
        rows[name] = -1
    rows["point_id"] = point_ids
    rows["hour"] = hours
    rows["value"] = values
    rows["measured_s"] = measured_s
    rows["estimated_s"] = estimated_s
    rows["missing_s"] = missing_s
    rows["flags"] = flags
    rows["n"] = n
    rows["computed_at"] = computed_at
    return _HEADER + rows.tobytes() + _TRAILER


def insert_hours(
    store: Store,
    conn: Connection,
    *,
    point_ids: I64,
    hours: I64,
    values: F64,
    measured_s: F64,
    estimated_s: F64,
    missing_s: F64,
    flags: I64,
    n: I64,
    computed_at: int,
) -> int:
    """Insert new hourly rows (parallel columns, one entry per row); returns the row count."""
    count = len(point_ids)
    columns = (hours, values, measured_s, estimated_s, missing_s, flags, n)
    if any(len(c) != count for c in columns):
        raise InvalidInput("every column needs one entry per row", field="hours")
    if count == 0:
        return 0
    if not np.all(np.isfinite(values)):
        raise InvalidInput("bulk-loaded hourly values must be finite", field="values")
    dbapi: Any = conn.connection.driver_connection
    try:
        if store.capabilities.supports_copy:
            payload = _copy_payload(
                point_ids, hours, values, measured_s, estimated_s, missing_s, flags, n, computed_at
            )
            with dbapi.cursor() as cur:
                with cur.copy(f"COPY stat_hour ({_COLUMNS}) FROM STDIN (FORMAT BINARY)") as cp:
                    cp.write(payload)
            return count
        rows = zip(
            point_ids.tolist(),
            hours.tolist(),
            values.tolist(),
            repeat(None),
            repeat(None),
            repeat(None),
            measured_s.tolist(),
            estimated_s.tolist(),
            missing_s.tolist(),
            flags.tolist(),
            n.tolist(),
            repeat(computed_at),
        )
        conn.exec_driver_sql(
            f"INSERT INTO stat_hour ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            list(rows),
        )
    except IntegrityError as err:
        raise Conflict("some of these hours are already stored; recompute them instead") from err
    except Exception as err:
        if getattr(err, "sqlstate", None) == "23505":  # unique violation inside COPY
            raise Conflict(
                "some of these hours are already stored; recompute them instead"
            ) from err
        raise
    return count


__all__ = ["insert_hours"]
