"""Initial schema: registry, readings, quarantine, statistics, rollups, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _stat_cols() -> list[sa.Column[object]]:
    return [
        sa.Column("value", sa.Float()),
        sa.Column("mean", sa.Float()),
        sa.Column("min", sa.Float()),
        sa.Column("max", sa.Float()),
        sa.Column("measured_s", sa.Float(), nullable=False),
        sa.Column("estimated_s", sa.Float(), nullable=False),
        sa.Column("missing_s", sa.Float(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    """Create every table of the initial schema."""
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "park",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("province", sa.String(32), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_park"),
        sa.UniqueConstraint("code", name="uq_park_code"),
    )
    op.create_table(
        "enterprise",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("uscc", sa.String(18)),
        sa.Column("industry", sa.String(8)),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enterprise"),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_enterprise_park_id_park"),
        sa.UniqueConstraint("park_id", "code", name="uq_enterprise_park_id"),
    )
    op.create_table(
        "site",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("floor_area_m2", sa.Float()),
        sa.Column("use", sa.String(64)),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_site"),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_site_park_id_park"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_site_enterprise_id_enterprise"
        ),
        sa.UniqueConstraint("park_id", "code", name="uq_site_park_id"),
    )
    op.create_table(
        "point",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("site_id", Id),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("level", sa.SmallInteger()),
        sa.Column("parent_id", Id),
        sa.Column("multiplier", sa.Float(), nullable=False),
        sa.Column("register_max", sa.Float()),
        sa.Column("max_rate", sa.Float()),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("formula", sa.Text()),
        sa.Column("boundary", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_point"),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name="fk_point_park_id_park"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_point_enterprise_id_enterprise"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_point_site_id_site"),
        sa.ForeignKeyConstraint(["parent_id"], ["point.id"], name="fk_point_parent_id_point"),
        sa.UniqueConstraint("code", name="uq_point_code"),
    )
    op.create_index("ix_point_enterprise", "point", ["enterprise_id"])
    if postgres:
        # Monthly range partitions are created on demand by the bulk writer.
        op.execute(
            "CREATE TABLE reading (point_id BIGINT NOT NULL, ts BIGINT NOT NULL, "
            "value DOUBLE PRECISION NOT NULL, CONSTRAINT pk_reading PRIMARY KEY (point_id, ts)) "
            "PARTITION BY RANGE (ts)"
        )
    else:
        op.create_table(
            "reading",
            sa.Column("point_id", Id, nullable=False),
            sa.Column("ts", sa.BigInteger(), nullable=False),
            sa.Column("value", sa.Float(), nullable=False),
            sa.PrimaryKeyConstraint("point_id", "ts", name="pk_reading"),
            sqlite_with_rowid=False,
        )
    op.create_table(
        "ingest_batch",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_batch"),
    )
    op.create_table(
        "dirty_range",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("ranges", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dirty_range"),
    )
    op.create_table(
        "rejected_reading",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("batch_id", Id),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("point_code", sa.Text()),
        sa.Column("point_id", Id),
        sa.Column("ts_text", sa.Text()),
        sa.Column("ts", sa.BigInteger()),
        sa.Column("value_text", sa.Text()),
        sa.Column("unit", sa.Text()),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_reading"),
    )
    op.create_index("ix_rejected_point", "rejected_reading", ["point_id"])
    op.create_index("ix_rejected_received", "rejected_reading", ["received_at"])
    op.create_table(
        "stat_hour",
        sa.Column("point_id", Id, nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        *_stat_cols(),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("point_id", "hour", name="pk_stat_hour"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stat_hour_history",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("point_id", Id, nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        *_stat_cols(),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.Column("replaced_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stat_hour_history"),
    )
    op.create_index("ix_stat_hour_history_point_hour", "stat_hour_history", ["point_id", "hour"])
    op.create_table(
        "stat_day",
        sa.Column("point_id", Id, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        *_stat_cols(),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("point_id", "day", name="pk_stat_day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stat_hour_carrier",
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_key", sa.BigInteger(), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("measured_s", sa.Float(), nullable=False),
        sa.Column("estimated_s", sa.Float(), nullable=False),
        sa.Column("missing_s", sa.Float(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "park_id", "enterprise_key", "carrier", "unit", "hour", name="pk_stat_hour_carrier"
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", Id, autoincrement=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.Text()),
        sa.Column("enterprise_id", Id),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_at", "audit_log", ["at"])


def downgrade() -> None:
    """Drop every table of the initial schema."""
    for table in (
        "audit_log",
        "stat_hour_carrier",
        "stat_day",
        "stat_hour_history",
        "stat_hour",
        "rejected_reading",
        "dirty_range",
        "ingest_batch",
        "reading",
        "point",
        "site",
        "enterprise",
        "park",
    ):
        op.drop_table(table)
