"""Migration 0038 (storage-time extensions of hazardous waste) goes down and up again on SQLite
and PostgreSQL, with a row in the table."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect

from lingtan.store import Store
from lingtan.store import schema as s
from lingtan.store.core import _MIGRATIONS
from lingtan.store.query_repo import Tenant
from lingtan.store.schema import metadata
from lingtan.store.waste_repo import WasteRepo


def test_storage_extension_migration_goes_down_and_up(loaded: Store) -> None:
    park = loaded.registry.park()
    ent = loaded.registry.enterprises(park.id)[0]
    repo = WasteRepo(loaded)
    stream = repo.add_stream(
        park_id=park.id, enterprise_id=ent.id, code="900-039-49", category="HW49", name="废活性炭",
        form="固态", hazard=["T"], process="p", listed=True, edition="2025", created_by="t",
        created_at=0,
    )  # fmt: skip
    with loaded.begin() as conn:
        conn.execute(insert(s.waste_storage_extension).values(
            park_id=park.id, enterprise_id=ent.id, stream_id=stream.id, batch="B1",
            authority="某市生态环境局", number="延期-1", approved_on="2026-02-10",
            until="2026-06-30", created_by="t", created_at=0))  # fmt: skip
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with loaded.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0037")
    with loaded.engine.connect() as conn:
        names = inspect(conn).get_table_names()
    assert "waste_storage_extension" not in names and "waste_stream" in names
    loaded.migrate()
    with loaded.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert repo.extensions(tenant=Tenant.park_wide(), park_id=park.id) == []
