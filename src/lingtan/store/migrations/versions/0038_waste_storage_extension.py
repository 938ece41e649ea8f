"""Approved extensions of the storage time of hazardous waste (``waste_storage_extension``).

固废法 (2020) 第八十一条第三款: stored hazardous waste may stay at most one year; "确需延长期限的，
应当报经颁发许可证的生态环境主管部门批准". An extension names the batch of a stream it was
granted for (the storage-time check runs per batch), the approving authority (审批部门), the
approval's document number (批准文号), its date and the day until which storage is permitted.
Entries are appended, never changed: a later approval of the same batch takes the place of an
earlier one, both kept with who entered them and when.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``waste_storage_extension``."""
    op.create_table(
        "waste_storage_extension",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("park_id", Id, nullable=False),
        sa.Column("enterprise_id", Id, nullable=False),
        sa.Column("stream_id", Id, nullable=False),
        sa.Column("batch", sa.String(64), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("approved_on", sa.String(10), nullable=False),
        sa.Column("until", sa.String(10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name="fk_waste_storage_extension_park_id_park"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name="fk_waste_storage_extension_enterprise_id_enterprise",
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["waste_stream.id"],
            name="fk_waste_storage_extension_stream_id_waste_stream",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_waste_storage_extension"),
    )
    op.create_index(
        "ix_waste_storage_extension_key", "waste_storage_extension", ["stream_id", "batch"]
    )


def downgrade() -> None:
    """Drop ``waste_storage_extension``."""
    op.drop_index("ix_waste_storage_extension_key", table_name="waste_storage_extension")
    op.drop_table("waste_storage_extension")
