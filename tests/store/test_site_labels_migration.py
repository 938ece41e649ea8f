"""Migration 0039 (buildings' energy-performance labels on ``site``) goes down and up again on
SQLite and PostgreSQL; the registry saves and reads the labels like the other site fields."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from lingtan.registry import parse_park_text
from lingtan.store import Store
from lingtan.store.core import _MIGRATIONS
from lingtan.store.schema import metadata
from tests.conftest import SMALL_PARK

LABELLED = SMALL_PARK.replace(
    "    floor_area_m2: 12000\n    use: factory\n",
    "    floor_area_m2: 12000\n    use: factory\n    energy_label: near_zero_energy\n"
    "    energy_label_certificate: NZEB-2024-01\n    energy_label_date: 2024-05-20\n"
    "    green_building_star: 2\n",
)
LABELS = (
    "energy_label", "energy_label_certificate", "energy_label_date",
    "green_building_star", "green_building_certificate", "green_building_date",
)  # fmt: skip


def test_site_labels_migration_goes_down_and_up(loaded: Store) -> None:
    assert LABELLED != SMALL_PARK
    report = loaded.registry.save_park(parse_park_text(LABELLED), actor="t")
    assert report.updated.get("site") == 1
    (b01,) = loaded.registry.sites(loaded.registry.park().id)
    assert (b01.energy_label, b01.energy_label_certificate, b01.energy_label_date) == (
        "near_zero_energy", "NZEB-2024-01", "2024-05-20",
    )  # fmt: skip
    assert (b01.green_building_star, b01.green_building_date) == ("2", None)
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with loaded.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0038")
    with loaded.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("site")}
    assert not columns & set(LABELS) and {"floor_area_m2", "use"} <= columns
    loaded.migrate()
    with loaded.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    # the labels went with the columns; the site itself stayed
    (b01,) = loaded.registry.sites(loaded.registry.park().id)
    assert b01.code == "B01" and all(getattr(b01, f) is None for f in LABELS)
