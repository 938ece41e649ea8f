"""Engine set-up per dialect, in one place, and the capabilities the rest of the code uses.

Other code never branches on a dialect name: it asks :class:`Capabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

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


#: connections one process may hold (``Settings.db_connections``). The API runs blocking work
#: on up to 40 threads (anyio's default), and a connection opened beyond the pool is closed
#: again after one use: under 20 concurrent requests that meant a new connection (its PRAGMAs
#: or a PostgreSQL back-end start) per request, so most of them are kept (pool_size).
DEFAULT_CONNECTIONS = 25


# Timeouts, chosen so that no request waits on a lock or a connection for more than a few
# seconds (docs/api.md, "Timeouts"). A request that runs into one is answered 503 with
# Retry-After (``Unavailable``) instead of hanging; background work keeps the long waits.

#: how long a thread waits for a pooled connection before ``Unavailable`` [s] (SQLAlchemy's
#: default is 30 s: stacked on SQLite's 30 s busy timeout a request could wait a minute)
POOL_TIMEOUT_S = 5.0
#: how long a background writer (normaliser, collector, CLI) waits for SQLite's write lock
#: [ms]: a normalisation of late data may hold it for seconds, and a failed batch is retried
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: the same for a transaction of an HTTP request [ms]: an ingest POST that cannot write within
#: 3 s is answered 503 (the sender retries) rather than tying up a worker thread
REQUEST_SQLITE_BUSY_TIMEOUT_MS = 3_000
#: PostgreSQL, transactions of an HTTP request: the longest statement [ms] (the heaviest read,
#: a year of statistics for the overview, takes well under a second) ...
REQUEST_PG_STATEMENT_TIMEOUT_MS = 10_000
#: ... and the longest wait for a lock (row, table or advisory) [ms]
REQUEST_PG_LOCK_TIMEOUT_MS = 3_000


def pool_sizes(connections: int) -> dict[str, int]:
    """``create_engine`` pool arguments for at most ``connections`` connections, four in
    five of them kept open."""
    kept = max(1, connections * 4 // 5)
    return {"pool_size": kept, "max_overflow": connections - kept}


def is_memory_sqlite(url: str) -> bool:
    """True for an SQLite database in memory (``sqlite://``, ``sqlite:///:memory:``)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the API read while the collector writes; NORMAL is durable at checkpoints and
    # safe with WAL; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # 32 MiB page cache per connection: a process keeps up to 20 (pool_sizes), 640 MiB at worst
    cur.execute("PRAGMA cache_size=-32768")
    cur.close()


def request_limits(conn: Connection, *, sqlite: bool) -> None:
    """Limit the waits of a transaction that serves an HTTP request (see the constants)."""
    if sqlite:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={REQUEST_SQLITE_BUSY_TIMEOUT_MS}")
    else:
        conn.exec_driver_sql(
            f"SET LOCAL statement_timeout = {REQUEST_PG_STATEMENT_TIMEOUT_MS}; "
            f"SET LOCAL lock_timeout = {REQUEST_PG_LOCK_TIMEOUT_MS}"
        )


def release_limits(conn: Connection, *, sqlite: bool) -> None:
    """Undo :func:`request_limits` on a pooled connection (PostgreSQL's SET LOCAL ends with
    its transaction by itself)."""
    if sqlite:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _pg_session(dbapi_conn: Any, _record: Any) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
    dbapi_conn.commit()


def make_engine(url: str, *, connections: int = DEFAULT_CONNECTIONS) -> tuple[Engine, Capabilities]:
    """Create the engine for ``url`` (SQLite file or PostgreSQL) and report its capabilities."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if is_memory_sqlite(url):
            # a database in memory lives in one connection: share it between threads (tests,
            # throwaway runs; `lingtan serve` refuses it)
            engine = create_engine(
                parsed,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                poolclass=StaticPool,
            )
        else:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                parsed,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                pool_timeout=POOL_TIMEOUT_S,
                **pool_sizes(connections),
            )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine, Capabilities(False, False, False, "SQLite")
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # No pre-ping: it costs every checkout a round trip (a cached request makes one
        # transaction). A connection the server dropped fails on first use instead: the error
        # invalidates the whole pool, that one call becomes Unavailable (503, retried by the
        # caller) and the next checkout connects afresh.
        engine = create_engine(parsed, pool_timeout=POOL_TIMEOUT_S, **pool_sizes(connections))
        event.listen(engine, "connect", _pg_session)
        return engine, Capabilities(True, True, True, "PostgreSQL")
    raise InvalidInput(
        f"unsupported database {backend!r}; use sqlite:///path or postgresql://…",
        field="database_url",
    )
