"""Many rows in one statement: the write path of the normaliser's per-batch tables.

A live feed writes every point's open hour, day, month and state after every batch — about as
many rows as points, in a handful of tables. On SQLite the driver's ``executemany`` of tuples
is the cheap path (in-process, no round trip). On PostgreSQL ``executemany`` is one round trip
per row (or a pipeline of them) and a ``COPY`` into a staging table costs three statements
per table: there one ``INSERT … SELECT FROM unnest(array, array, …)`` carries every row as
one array per column, each sent as one array literal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


_NUMBERS = frozenset({int, float, type(None)})


def _array_literal(column: tuple[Any, ...]) -> str | list[Any]:
    """A column of numbers as a PostgreSQL array literal (``{1,2.5,NULL}``): psycopg adapts a
    list element by element, which cost more than the statement. ``repr`` of a float is the
    shortest text that reads back as the same double. Other values go as a list."""
    if not {type(v) for v in column} <= _NUMBERS:
        return list(column)
    return "{" + ",".join(["NULL" if v is None else repr(v) for v in column]) + "}"


__all__ = ["write_rows"]
