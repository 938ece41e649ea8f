"""The :class:`Store` facade: engine, capabilities, transactions, migrations, repositories."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from lingtan.errors import Unavailable
from lingtan.store.engine import (
    DEFAULT_CONNECTIONS,
    make_engine,
    release_limits,
    request_limits,
)

if TYPE_CHECKING:
    from lingtan.config import Settings
    from lingtan.store.records import CommittedBatch

_MIGRATIONS = Path(__file__).parent / "migrations"
#: advisory-lock keys (PostgreSQL) — arbitrary constants, unique within lingtan. Locks are
#: taken in the two-key form (schema, key) so that installations sharing a database in
#: different schemas never block each other; only the low 31 bits of a key are used.
LOCK_MIGRATE = 0x6C696E67_0001
LOCK_NORMALISE = 0x6C696E67_0002
LOCK_PARTITION = 0x6C696E67_0003
LOCK_JOBS = 0x6C696E67_0004
LOCK_ALARM_CHANGE = 0x6C696E67_0005
LOCK_ALARM_TICK = 0x6C696E67_0006
#: set while an HTTP request is served (:func:`serving_request`): its transactions wait for
#: locks only a few seconds (lingtan.store.engine, "Timeouts"); background threads started
#: by a request (a view recomputed while the stale one is served) do not inherit it
SERVING_REQUEST: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lingtan_serving_request", default=False
)


#: the transaction of :meth:`Store.reads` in progress in this context: (store, connection)
_SHARED_READS: contextvars.ContextVar[tuple[Store, Connection] | None] = contextvars.ContextVar(
    "lingtan_shared_reads", default=None
)


@contextlib.contextmanager
def serving_request() -> Iterator[None]:
    """Mark the transactions opened inside as serving an HTTP request."""
    token = SERVING_REQUEST.set(True)
    try:
        yield
    finally:
        SERVING_REQUEST.reset(token)


class Store:
    """Access to one lingtan database."""

    def __init__(self, url: str, *, connections: int = DEFAULT_CONNECTIONS) -> None:
        from lingtan.store.alarms_repo import AlarmRepo
        from lingtan.store.audit_repo import AuditRepo
        from lingtan.store.incidents_repo import IncidentRepo
        from lingtan.store.norm_state_repo import NormStateRepo
        from lingtan.store.outbox_repo import OutboxRepo
        from lingtan.store.readings_repo import ReadingRepo
        from lingtan.store.registry_repo import RegistryRepo
        from lingtan.store.replacements_repo import ReplacementRepo
        from lingtan.store.stats_repo import StatsRepo

        self.url = url
        self.engine, self.capabilities = make_engine(url, connections=connections)
        self.registry = RegistryRepo(self)
        self.readings = ReadingRepo(self)
        self.stats = StatsRepo(self)
        self.audit = AuditRepo(self)
        self.replacements = ReplacementRepo(self)
        self.norm_state = NormStateRepo(self)
        self.alarms = AlarmRepo(self)
        #: called with each committed ingest batch (:class:`lingtan.store.records.CommittedBatch`)
        #: after its transaction: the alarm engine's streaming evaluation subscribes here
        self.batch_listeners: list[Callable[[CommittedBatch], None]] = []
        self.outbox = OutboxRepo(self)
        self.incidents = IncidentRepo(self)

    @property
    def display_url(self) -> str:
        """The database URL with any password hidden (for messages: which store is this)."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def reads(self) -> Iterator[None]:
        """One transaction for the reads made inside (in this thread or context): every
        :meth:`begin` within joins it instead of checking out a connection and beginning
        and committing a transaction of its own. For a few small reads on a hot path (a
        request's credentials and parks: each transaction saved is a pool checkout and two
        or more round trips); not for writes — a write inside commits only when the block
        ends, and on SQLite a read transaction may not be able to become a write one."""
        if _SHARED_READS.get() is not None:
            yield
            return
        with self.begin() as conn:
            token = _SHARED_READS.set((self, conn))
            try:
                yield
            finally:
                _SHARED_READS.reset(token)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction; connectivity failures, lock and statement timeouts and a pool
        exhausted for ``POOL_TIMEOUT_S`` become :class:`Unavailable`. Inside
        :func:`serving_request` the transaction waits for locks only briefly. Inside
        :meth:`reads` of this store, that block's transaction."""
        shared = _SHARED_READS.get()
        if shared is not None and shared[0] is self:
            yield shared[1]
            return
        limited = SERVING_REQUEST.get()
        sqlite = not self.capabilities.concurrent_writers
        try:
            with self.engine.begin() as conn:
                if limited:
                    request_limits(conn, sqlite=sqlite)
                try:
                    yield conn
                finally:
                    if limited and sqlite:
                        # a broken connection is invalidated by the rollback that follows
                        with contextlib.suppress(DBAPIError):
                            release_limits(conn, sqlite=sqlite)
        except PoolTimeout as err:
            raise Unavailable(f"{self.capabilities.label}: no free connection: {err}") from err
        except (OperationalError, InterfaceError) as err:
            raise Unavailable(f"{self.capabilities.label} is unavailable: {err.orig}") from err
        except DBAPIError as err:
            if err.connection_invalidated:
                raise Unavailable(f"{self.capabilities.label} connection lost: {err.orig}") from err
            raise

    def lock(self, conn: Connection, key: int) -> None:
        """Take a transaction-scoped advisory lock where writers can be concurrent."""
        if self.capabilities.concurrent_writers:
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :k)"),
                {"k": key & 0x7FFFFFFF},
            )

    def dialect_insert(self, table: Table) -> Any:
        """The engine's own INSERT construct (``on_conflict_do_update`` on both engines)."""
        dialect = postgresql if self.capabilities.supports_copy else sqlite
        return dialect.insert(table)

    def serialise(self, conn: Connection, key: int) -> None:
        """Serialise transactions that check something before writing (a cap, a quota): an
        advisory lock on PostgreSQL, SQLite's write lock taken up front (``BEGIN
        IMMEDIATE``) elsewhere. Call it first in the transaction, before any read."""
        if self.capabilities.concurrent_writers:
            self.lock(conn, key)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @contextlib.contextmanager
    def exclusive(self, key: int) -> Iterator[None]:
        """Hold a session-level advisory lock for a long job (one normaliser at a time)."""
        if not self.capabilities.concurrent_writers:
            yield
            return
        try:
            conn = self.engine.connect()
        except PoolTimeout as err:
            raise Unavailable(f"{self.capabilities.label}: no free connection: {err}") from err
        except (OperationalError, InterfaceError) as err:
            raise Unavailable(f"{self.capabilities.label} is unavailable: {err.orig}") from err
        try:
            conn.execute(
                text("SELECT pg_advisory_lock(hashtext(current_schema()), :k)"),
                {"k": key & 0x7FFFFFFF},
            )
            conn.commit()
            yield
        finally:
            conn.execute(
                text("SELECT pg_advisory_unlock(hashtext(current_schema()), :k)"),
                {"k": key & 0x7FFFFFFF},
            )
            conn.commit()
            conn.close()

    def migrate(self) -> None:
        """Bring the schema to the newest alembic revision."""
        # imported here: alembic costs a quarter of a second, and only opening a store needs it
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        with self.begin() as conn:
            self.lock(conn, LOCK_MIGRATE)
            cfg.attributes["connection"] = conn
            # "heads": independent branches (one per domain) may be added in parallel
            command.upgrade(cfg, "heads")

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings | str, *, migrate: bool = True) -> Store:
    """Open the store configured by ``settings`` (or a database URL) and migrate it."""
    if isinstance(settings, str):
        store = Store(settings)
    else:
        store = Store(settings.database_url, connections=settings.db_connections)
    if migrate:
        store.migrate()
    return store
