"""Environment monitoring stations (``lingtan.environment``): stations and outlets declared in
the park file, with their HJ 212 MN/PW and their record; their parameters are ordinary
``measurement`` points.

New table only; nothing to build from existing data.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the station table."""
    op.create_table(
        "env_station",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_env_station_park_id_park"),
                  nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("enterprise_id", Id,
                  sa.ForeignKey("enterprise.id", name="fk_env_station_enterprise_id_enterprise")),
        sa.Column("mn", sa.String(32), nullable=False),
        sa.Column("pw", sa.String(32), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_env_station"),
        sa.UniqueConstraint("park_id", "code", name="uq_env_station_park_id"),
    )  # fmt: skip
    op.create_index("ix_env_station_mn", "env_station", ["mn"])


def downgrade() -> None:
    """Drop the station table."""
    op.drop_index("ix_env_station_mn", table_name="env_station")
    op.drop_table("env_station")
