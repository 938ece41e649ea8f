"""API: files produced by background jobs; indexes for job lists and refresh-token revocation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``job_file`` and the indexes."""
    op.create_table(
        "job_file",
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name="pk_job_file"),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name="fk_job_file_job_id_job"),
    )
    op.create_index("ix_job_created_at", "job", ["created_at"])
    op.create_index("ix_refresh_token_user", "refresh_token", ["user_id"])


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_index("ix_refresh_token_user", table_name="refresh_token")
    op.drop_index("ix_job_created_at", table_name="job")
    op.drop_table("job_file")
