"""Plumbing shared by the benchmarks: service reachability and throw-away PostgreSQL schemas.

Each benchmark runs against fresh databases: a SQLite file in a temporary directory, or a new
schema in the PostgreSQL database of ``LINGTAN_BENCH_PG_URL`` (default: the local ``test``
database), dropped afterwards.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable

PG_URL = os.environ.get("LINGTAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def reachable(host: str, port: int) -> bool:
    """True when a TCP connection to host:port succeeds within a second."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pg_reachable() -> bool:
    """True when the benchmark PostgreSQL server answers on 127.0.0.1:5432."""
    return reachable("127.0.0.1", 5432)


def pg_schema(
    prefix: str, *, name: str | None = None, keep: bool = False
) -> tuple[str, Callable[[], None]]:
    """Create a schema (``name``, or ``prefix`` plus a random suffix) and return the store URL
    that uses it and a function that drops it (a no-op with ``keep``)."""
    import psycopg

    schema = name or f"{prefix}_{uuid.uuid4().hex[:8]}"
    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

    def drop() -> None:
        if keep:
            return
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop
