"""Loading a park into the store: idempotent, audited, renormalising on relevant changes."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from lingtan.ingest import ingest
from lingtan.readings import Reading
from lingtan.registry import parse_park_text
from lingtan.store import Store
from lingtan.store.schema import metadata
from tests.conftest import SMALL_PARK


def test_migrations_match_the_schema(store: Store) -> None:
    """The alembic migrations build exactly the tables schema.py describes."""
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_loading_twice_changes_nothing(store: Store, small_park) -> None:  # type: ignore[no-untyped-def]
    first = store.registry.save_park(small_park)
    assert first.created == {"park": 1, "enterprise": 2, "site": 1, "point": 6}
    second = store.registry.save_park(small_park)
    assert second.created == {} and second.updated == {}
    assert second.unchanged == {"park": 1, "enterprise": 2, "site": 1, "point": 6}
    assert len(store.audit.list(limit=100)) == 10  # one entry per created entity, none after


def test_parent_links_and_tenant_keys(loaded: Store) -> None:
    points = loaded.registry.points_by_code()
    assert points["E01-hvac"].parent_id == points["E01-main"].id
    enterprises = {e.code: e.id for e in loaded.registry.enterprises(points["E01-main"].park_id)}
    assert points["E01-main"].enterprise_id == enterprises["E01"]
    assert points["park-net"].enterprise_id is None


def test_changed_multiplier_is_audited_and_queues_recomputation(loaded: Store) -> None:
    t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    ingest(
        loaded, [Reading("E01-main", t, 1.0), Reading("E01-main", t + dt.timedelta(hours=1), 2.0)]
    )
    from lingtan.normalize.service import normalise_pending

    normalise_pending(loaded)
    changed = parse_park_text(
        SMALL_PARK.replace("    max_rate: 400\n", "    max_rate: 400\n    multiplier: 2\n", 1)
    )
    report = loaded.registry.save_park(changed)
    assert report.updated == {"point": 1}
    assert report.renormalise == ["E01-main"]
    entry = loaded.audit.list(limit=1)[0]
    assert entry["action"] == "update" and '"multiplier": 1.0' in entry["before"]
    assert loaded.stats.pending_dirty() == 1
    normalise_pending(loaded)
    pid = loaded.registry.points_by_code(refresh=True)["E01-main"].id
    hour = int(t.timestamp()) * 1_000_000
    rows = loaded.stats.hours(None, [pid], hour, hour + 3_600_000_000)[pid]
    assert rows["value"].tolist() == [2.0]  # (2 − 1) × 2


def test_removed_points_are_retained(loaded: Store) -> None:
    text = SMALL_PARK.split("  - id: park-net")[0]
    report = loaded.registry.save_park(parse_park_text(text))
    assert report.retained == ["park-net"]
    assert "park-net" in loaded.registry.points_by_code(refresh=True)


def test_credentials_migration_goes_down_and_up_with_sessions_in_place(
    loaded: Store,
) -> None:
    """0006 downgrades on a database where someone has signed in (refresh tokens refer to
    their user), and upgrades again to the same schema, the user still able to sign in."""
    from alembic import command
    from alembic.config import Config

    from lingtan.config import Settings
    from lingtan.identity import service as identity
    from lingtan.identity.roles import SYSTEM
    from lingtan.store.core import _MIGRATIONS

    settings = Settings(environment="test")
    identity.create_user(
        loaded, actor=SYSTEM, username="alice", password="a-good-password", role="park_viewer"
    )
    identity.login(loaded, settings, username="alice", password="a-good-password")
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with loaded.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    with loaded.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("app_user")}
    assert "token_version" not in columns and "password_hash" in columns
    loaded.migrate()
    with loaded.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert identity.login(loaded, settings, username="alice", password="a-good-password")


def test_pool_sizes_follow_the_setting(tmp_path: Path) -> None:
    from lingtan.config import Settings
    from lingtan.store import open_store
    from lingtan.store.engine import pool_sizes

    assert pool_sizes(25) == {"pool_size": 20, "max_overflow": 5}
    assert pool_sizes(2) == {"pool_size": 1, "max_overflow": 1}
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with open_store(Settings(database_url=url, db_connections=5)) as store:
        assert store.engine.pool.size() == 4  # type: ignore[attr-defined]
    for memory in ("sqlite://", "sqlite:///:memory:"):  # one connection, shared by threads
        with open_store(memory) as store:
            store.registry.save_park(parse_park_text(SMALL_PARK))
            with ThreadPoolExecutor(4) as pool:
                seen = list(pool.map(lambda _: len(store.registry.points_by_code()), range(8)))
            assert seen == [len(store.registry.points_by_code())] * 8 and seen[0] > 0
