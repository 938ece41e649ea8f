"""The park's options as numbered versions (one setting for every result).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add ``park_options``."""
    op.create_table(
        "park_options",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "park_id",
            Id,
            sa.ForeignKey("park.id", name="fk_park_options_park_id_park"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.BigInteger(), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_park_options"),
        sa.UniqueConstraint("park_id", "version", name="uq_park_options_park_id_version"),
    )


def downgrade() -> None:
    """Drop ``park_options``."""
    op.drop_table("park_options")
