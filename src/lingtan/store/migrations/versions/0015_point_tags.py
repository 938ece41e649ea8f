"""Point tags (``point.tags``): free labels from the park file that group points across
carriers, sites and owners; alarm rules can be scoped by them.

A nullable column: existing points have no tags until their park file names some.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``point.tags`` (a plain ALTER on both engines: the table is never rebuilt, so the
    tables that refer to points are not touched)."""
    op.add_column("point", sa.Column("tags", sa.Text()))


def downgrade() -> None:
    """Drop ``point.tags`` (SQLite ≥ 3.35 drops a column in place)."""
    op.drop_column("point", "tags")
