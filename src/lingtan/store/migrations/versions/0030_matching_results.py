"""Stored green-power matching runs (``matching_run``: method, inputs' versions, the monthly
report and the hourly arrays; a recompute marks the run it replaces superseded), and the PV
plant's declared temperature coefficient (``pv_plant.temp_coeff_pct``, NULL: none declared),
and a direct-supply line's generation meter (``point.generation_point``, NULL: none declared).

A new table and a nullable column; nothing to build from existing data.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``matching_run``; add ``pv_plant.temp_coeff_pct`` and ``point.generation_point``."""
    op.create_table(
        "matching_run",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_matching_run_park_id_park"),
                  nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("priority", sa.Text()),
        sa.Column("storage_efficiency", sa.Float()),
        sa.Column("method_version", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("superseded_by", Id),
        sa.Column("superseded_at", sa.BigInteger()),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("hourly", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_matching_run"),
    )  # fmt: skip
    op.create_index("ix_matching_run_park_id", "matching_run", ["park_id", "year"])
    # plain ALTERs on both engines: the tables are never rebuilt, so the tables that refer
    # to points are not touched
    op.add_column("pv_plant", sa.Column("temp_coeff_pct", sa.Float()))
    op.add_column("point", sa.Column("generation_point", sa.String(64)))


def downgrade() -> None:
    """Drop them."""
    # SQLite ≥ 3.35 drops a column in place
    op.drop_column("point", "generation_point")
    op.drop_column("pv_plant", "temp_coeff_pct")
    op.drop_index("ix_matching_run_park_id", table_name="matching_run")
    op.drop_table("matching_run")
