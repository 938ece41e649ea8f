"""Hourly grid-factor series imported with their provenance (``grid_factor_series``), for
the location-based and hourly-matched intensity of consumption (green-power matching); each
series belongs to the park that imported it (``park_id``).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``grid_factor_series``."""
    op.create_table(
        "grid_factor_series",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("series_id", sa.String(128), nullable=False),
        sa.Column("region", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.BigInteger(), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_grid_factor_series"),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name="fk_grid_factor_series_park_id_park"
        ),
        sa.UniqueConstraint("park_id", "series_id", name="uq_grid_factor_series_park_series"),
    )
    op.create_index(
        "ix_grid_factor_series_park_region_year",
        "grid_factor_series",
        ["park_id", "region", "year"],
    )


def downgrade() -> None:
    """Drop ``grid_factor_series``."""
    op.drop_index("ix_grid_factor_series_park_region_year", "grid_factor_series")
    op.drop_table("grid_factor_series")
