"""Engine set-up per dialect, in one place, and the capabilities the rest of the code uses.

Other code never branches on a dialect name: it asks :class:`Capabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from lingtan.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the configured database can do."""

    #: bulk writes through PostgreSQL binary COPY
    supports_copy: bool
    #: readings live in monthly range partitions created on demand
    supports_partitions: bool
    #: ingest transactions must serialise with the normaliser (several writers possible)
    concurrent_writers: bool
    #: human-readable backend name, for messages only
    label: str


#: connections kept open per process: the API runs blocking work on up to 40 threads (anyio's
#: default), and a connection opened beyond the pool is closed again after one use — under
#: 20 concurrent requests that meant a new connection (and its PRAGMAs or a PostgreSQL
#: back-end start) per request. PostgreSQL keeps fewer, as every process of `lingtan serve
#: --workers N` holds its own pool against the server's max_connections (100 by default).
SQLITE_POOL = {"pool_size": 20, "max_overflow": 20}
POSTGRES_POOL = {"pool_size": 20, "max_overflow": 5}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the API read while the collector writes; NORMAL is durable at checkpoints and
    # safe with WAL; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
    cur.close()


def _pg_session(dbapi_conn: Any, _record: Any) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
    dbapi_conn.commit()


def make_engine(url: str) -> tuple[Engine, Capabilities]:
    """Create the engine for ``url`` (SQLite file or PostgreSQL) and report its capabilities."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30}, **SQLITE_POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine, Capabilities(False, False, False, "SQLite")
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True, **POSTGRES_POOL)
        event.listen(engine, "connect", _pg_session)
        return engine, Capabilities(True, True, True, "PostgreSQL")
    raise InvalidInput(
        f"unsupported database {backend!r}; use sqlite:///path or postgresql://…",
        field="database_url",
    )
