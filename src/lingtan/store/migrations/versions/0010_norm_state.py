"""Per-point normalisation state (``norm_state``): where each register point's normalised
readings end, so that new in-order readings continue from there instead of recomputing the
hours they touch from the raw readings (see ``lingtan.normalize.incremental``).

The table starts empty: a point without a row is normalised on the exact recompute path,
which writes its row. Nothing to build from existing data.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``norm_state``."""
    op.create_table(
        "norm_state",
        sa.Column("point_id", Id, nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("measured_s", sa.Float(), nullable=False),
        sa.Column("estimated_s", sa.Float(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("point_id", name="pk_norm_state"),
    )


def downgrade() -> None:
    """Drop ``norm_state``."""
    op.drop_table("norm_state")
