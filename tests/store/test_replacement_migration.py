"""Migration 0008 (meter replacements) goes down and up again on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from lingtan.registry.model import MeterReplacement
from lingtan.registry.replacements import record_replacements
from lingtan.store import Store
from lingtan.store.core import _MIGRATIONS
from lingtan.store.query_repo import Tenant
from lingtan.store.schema import metadata


def test_meter_replacement_migration_goes_down_and_up(loaded: Store) -> None:
    at = dt.datetime(2025, 7, 15, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    record_replacements(
        loaded,
        [MeterReplacement(point="E01-main", at=at, old_final=10, new_initial=0)],
        actor="test",
        source="test",
    )
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with loaded.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with loaded.engine.connect() as conn:
        assert "meter_replacement" not in inspect(conn).get_table_names()
        assert "point" in inspect(conn).get_table_names()
    loaded.migrate()
    with loaded.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert loaded.replacements.list(tenant=Tenant.park_wide()) == ([], 0)
