"""Meter replacements (换表): documented events that split a register point's readings between
the old meter (counted up to its final value) and the new one (counted from its initial value).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``meter_replacement``."""
    op.create_table(
        "meter_replacement",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("point_id", Id, nullable=False),
        sa.Column("enterprise_id", Id),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("old_final", sa.Float(), nullable=False),
        sa.Column("new_initial", sa.Float(), nullable=False),
        sa.Column("multiplier", sa.Float()),
        sa.Column("note", sa.Text()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meter_replacement"),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name="fk_meter_replacement_point_id_point"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name="fk_meter_replacement_enterprise_id_enterprise",
        ),
        sa.UniqueConstraint("point_id", "at", name="uq_meter_replacement_point_id"),
    )
    op.create_index("ix_meter_replacement_enterprise", "meter_replacement", ["enterprise_id"])


def downgrade() -> None:
    """Drop ``meter_replacement``."""
    op.drop_index("ix_meter_replacement_enterprise", table_name="meter_replacement")
    op.drop_table("meter_replacement")
