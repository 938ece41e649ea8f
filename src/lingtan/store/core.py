"""The :class:`Store` facade: engine, capabilities, transactions, migrations, repositories."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from lingtan.errors import Unavailable
from lingtan.store.engine import DEFAULT_CONNECTIONS, make_engine

if TYPE_CHECKING:
    from lingtan.config import Settings

_MIGRATIONS = Path(__file__).parent / "migrations"
#: advisory-lock keys (PostgreSQL) — arbitrary constants, unique within lingtan. Locks are
#: taken in the two-key form (schema, key) so that installations sharing a database in
#: different schemas never block each other; only the low 31 bits of a key are used.
LOCK_MIGRATE = 0x6C696E67_0001
LOCK_NORMALISE = 0x6C696E67_0002
LOCK_PARTITION = 0x6C696E67_0003
LOCK_JOBS = 0x6C696E67_0004


class Store:
    """Access to one lingtan database."""

    def __init__(self, url: str, *, connections: int = DEFAULT_CONNECTIONS) -> None:
        from lingtan.store.audit_repo import AuditRepo
        from lingtan.store.norm_state_repo import NormStateRepo
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

    @property
    def display_url(self) -> str:
        """The database URL with any password hidden (for messages: which store is this)."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction; connectivity failures become :class:`Unavailable`."""
        try:
            with self.engine.begin() as conn:
                yield conn
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
