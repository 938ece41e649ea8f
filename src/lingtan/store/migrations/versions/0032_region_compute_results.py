"""Results of region-wide recomputations (``region_compute_result``: restatements, forecast
retrainings and dispatch replays run on a Dask cluster), keyed by kind, park, period and input
fingerprint so that a re-run writes nothing twice.

A new table; nothing to build from existing data.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``region_compute_result``."""
    op.create_table(
        "region_compute_result",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("park", sa.String(64), nullable=False),
        sa.Column("period", sa.String(96), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "park", "period", "fingerprint", name="pk_region_compute_result"
        ),
    )
    op.create_index(
        "ix_region_compute_result_park", "region_compute_result", ["park", "kind", "period"]
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_region_compute_result_park", table_name="region_compute_result")
    op.drop_table("region_compute_result")
