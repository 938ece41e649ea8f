"""Many rows in one statement: the write path of the normaliser's per-batch tables.

A live feed writes every point's open hour, day, month and state after every batch — about as
many rows as points, in a handful of tables. On SQLite the driver's ``executemany`` of tuples
is the cheap path (in-process, no round trip). On PostgreSQL ``executemany`` is one round trip
per row (or a pipeline of them) and a ``COPY`` into a staging table costs three statements
per table: there one ``INSERT … SELECT FROM unnest(array, array, …)`` carries every row as
one array per column — an array literal (:func:`write_rows`, rows of tuples), or for numpy
columns an array in PostgreSQL's binary format built by numpy (:func:`write_columns`), which
spares writing and parsing every number as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from psycopg import adapters
from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy import Connection, Table


def write_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    conflict: Sequence[str] = (),
    arrays: bool,
    updates: str | None = None,
) -> None:
    """INSERT ``rows`` (tuples in the order of ``columns``) into ``table``; with ``conflict``
    keys, an existing row with those keys is updated instead — its columns replaced by the
    new row's, or as the SET clause ``updates`` says (SQL of this package, no user text).
    ``arrays``: the database takes whole columns as arrays (PostgreSQL), else the rows go
    through ``executemany``."""
    if not rows:
        return
    names = ", ".join(columns)
    upsert = ""
    if conflict:
        if updates is None:
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in conflict)
        upsert = f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    dbapi: Any = conn.connection.driver_connection
    cur = dbapi.cursor()
    try:
        if arrays:
            types = [table.c[c].type.compile(dialect=conn.dialect) for c in columns]
            unnest = ", ".join(f"%s::{t}[]" for t in types)
            cur.execute(
                f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({unnest}){upsert}",
                [_array_literal(col) for col in zip(*rows, strict=True)],
            )
        else:
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            cur.executemany(
                f"INSERT INTO {table.name} ({names}) "
                f"VALUES ({', '.join([mark] * len(columns))}){upsert}",
                rows,
            )
    finally:
        cur.close()


def write_columns(
    conn: Connection,
    table: Table,
    columns: Mapping[str, NDArray[Any]],
    *,
    conflict: Sequence[str] = (),
    arrays: bool,
    updates: str | None = None,
) -> None:
    """:func:`write_rows` of numpy columns (int64 or float64, NaN for NULL), each sent to
    PostgreSQL (``arrays``) as one array in the binary format, built by numpy: writing
    numbers as text cost more than the statement (a live feed writes each of a few tables
    after every batch, a row per point)."""
    names = list(columns)
    n = len(columns[names[0]])
    if not n:
        return
    if not arrays:
        cols = [_sql_list(np.asarray(columns[c])) for c in names]
        write_rows(
            conn, table, names, list(zip(*cols, strict=True)), conflict=conflict,
            arrays=False, updates=updates,
        )  # fmt: skip
        return
    upsert = ""
    if conflict:
        if updates is None:
            updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in conflict)
        upsert = f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    dbapi: Any = conn.connection.driver_connection
    with dbapi.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"SELECT * FROM unnest({', '.join(['%b'] * len(names))}){upsert}",
            [binary_array(np.asarray(columns[c])) for c in names],
        )


def _sql_list(column: NDArray[Any]) -> list[Any]:
    """A column as Python numbers for ``executemany`` (NaN → None)."""
    if column.dtype.kind == "f" and bool(np.isnan(column).any()):
        return [None if v != v else v for v in column.tolist()]
    return list(column.tolist())


class _Int8Array(bytes):
    """A PostgreSQL ``int8[]`` in the binary format."""


class _Float8Array(bytes):
    """A PostgreSQL ``float8[]`` in the binary format."""


class _Int8ArrayDumper(Dumper):
    format = Format.BINARY
    oid = 1016  # int8[] (pg_type)

    def dump(self, obj: Any) -> bytes:
        return bytes(obj)


class _Float8ArrayDumper(_Int8ArrayDumper):
    oid = 1022  # float8[] (pg_type)


adapters.register_dumper(_Int8Array, _Int8ArrayDumper)
adapters.register_dumper(_Float8Array, _Float8ArrayDumper)

#: a one-dimensional array's header (PostgreSQL array_send): ndim, has-nulls flag, element
#: type oid, then the dimension's length and lower bound, each a big-endian int32
_HEADER = np.dtype(
    [("ndim", ">i4"), ("nulls", ">i4"), ("oid", ">i4"), ("len", ">i4"), ("lb", ">i4")]
)
_INT_ELEMENT = np.dtype([("len", ">i4"), ("value", ">i8")])
_FLOAT_ELEMENT = np.dtype([("len", ">i4"), ("value", ">f8")])


def binary_array(column: NDArray[Any]) -> bytes:
    """An int64 or float64 column as a PostgreSQL array in the binary format; NaN is NULL
    (a NULL element is its length, -1, without a value)."""
    floating = column.dtype.kind == "f"
    elements = np.empty(len(column), _FLOAT_ELEMENT if floating else _INT_ELEMENT)
    elements["len"] = 8
    elements["value"] = column
    null = np.isnan(column) if floating else np.zeros(len(column), bool)
    header = np.zeros(1, _HEADER)
    header["ndim"], header["len"], header["lb"] = 1, len(column), 1
    header["oid"] = 701 if floating else 20  # float8, int8 (pg_type)
    body = elements.tobytes()
    if bool(null.any()):
        header["nulls"] = 1
        elements["len"][null] = -1
        keep = np.ones((len(column), 12), bool)
        keep[null, 4:] = False
        body = elements.view(np.uint8).reshape(len(column), 12)[keep].tobytes()
    cls = _Float8Array if floating else _Int8Array
    return cls(header.tobytes() + body)


_NUMBERS = frozenset({int, float, type(None)})


def _array_literal(column: tuple[Any, ...]) -> str | list[Any]:
    """A column of numbers as a PostgreSQL array literal (``{1,2.5,NULL}``): psycopg adapts a
    list element by element, which cost more than the statement. ``repr`` of a float is the
    shortest text that reads back as the same double. Other values go as a list."""
    if not {type(v) for v in column} <= _NUMBERS:
        return list(column)
    return "{" + ",".join(["NULL" if v is None else repr(v) for v in column]) + "}"


__all__ = ["binary_array", "write_columns", "write_rows"]
