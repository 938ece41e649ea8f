"""Migration 0036: the tables the normaliser rewrites after every batch leave half of each
page free on PostgreSQL, so a rewritten row stays on its page (a HOT update)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.conftest import fresh_store

REWRITTEN = {
    "stat_hour", "stat_day", "stat_month", "norm_state", "stat_hour_carrier", "stat_month_carrier",
}  # fmt: skip


def test_rewritten_tables_leave_room_on_their_pages(tmp_path: Path) -> None:
    # PostgreSQL only: SQLite has no fill factor, and the migration does nothing there
    with fresh_store("postgresql", tmp_path) as store, store.begin() as conn:
        found = dict(
            conn.execute(
                text("SELECT relname, reloptions FROM pg_class WHERE relkind IN ('r', 'p') "
                     "AND relname = ANY(:names) AND relnamespace = to_regnamespace(current_schema())"),
                {"names": sorted(REWRITTEN | {"reading"})},
            ).all()
        )  # fmt: skip
    assert {name: found[name] for name in REWRITTEN} == {
        name: ["fillfactor=50"] for name in REWRITTEN
    }
    # the append-only readings keep full pages
    assert found["reading"] is None
