"""The tests' stores start from a copy of a migrated store (tests/conftest.py: a SQLite file
copied, the migrations' statements run again on PostgreSQL): the copy is the same database as
the migrations make, table by table, column by column, index by index, row by row."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lingtan.store import Store, open_store
from tests.conftest import _pg_admin, _schema_url, migrated_copy, need_service


def _describe(store: Store) -> dict[str, Any]:
    """Every table's columns, keys, indexes and rows."""
    out: dict[str, Any] = {}
    with store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in sorted(inspector.get_table_names()):
            rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
            out[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in inspector.get_columns(table)
                ],
                "pk": inspector.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted(
                    (
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        tuple(f["referred_columns"]),
                        str(f.get("options")),
                    )
                    for f in inspector.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(map(str, i["column_names"])), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                "unique": sorted(
                    (str(u["name"]), tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(table)
                ),
                "checks": sorted(str(c["sqltext"]) for c in inspector.get_check_constraints(table)),
                "rows": sorted(map(repr, rows)),
            }
        out["views"] = sorted(inspector.get_view_names())
    return out


def test_a_copied_sqlite_store_is_a_migrated_one(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'migrated.db'}") as migrated:
        expected = _describe(migrated)
    url = f"sqlite:///{tmp_path / 'copied.db'}"
    migrated_copy(url)
    with open_store(url, migrate=False) as copied:
        assert _describe(copied) == expected
    assert len(expected) > 50  # the description holds the schema, not nothing


def test_a_replayed_postgresql_store_is_a_migrated_one() -> None:
    need_service("PostgreSQL", "127.0.0.1", 5432)
    schemas = [f"lt_cmp_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for schema in schemas:
        _pg_admin(f"CREATE SCHEMA {schema}")
    try:
        with open_store(_schema_url(schemas[0])) as migrated:
            expected = _describe(migrated)
        migrated_copy(_schema_url(schemas[1]))
        with open_store(_schema_url(schemas[1]), migrate=False) as replayed:
            assert _describe(replayed) == expected
            with replayed.engine.connect() as conn:
                sequences = conn.execute(
                    sa.text(
                        "SELECT sequencename, start_value, last_value FROM pg_sequences"
                        " WHERE schemaname = current_schema() ORDER BY 1"
                    )
                ).all()
        with open_store(_schema_url(schemas[0]), migrate=False) as migrated:
            with migrated.engine.connect() as conn:
                assert (
                    conn.execute(
                        sa.text(
                            "SELECT sequencename, start_value, last_value FROM pg_sequences"
                            " WHERE schemaname = current_schema() ORDER BY 1"
                        )
                    ).all()
                    == sequences
                )
        assert len(expected) > 50
    finally:
        for schema in schemas:
            _pg_admin(f"DROP SCHEMA {schema} CASCADE")
