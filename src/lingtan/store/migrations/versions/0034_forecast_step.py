"""The slot length of a stored forecast (``forecast_run.step_s``: 3600 for an hourly forecast,
900 for a 15-minute one); ``forecast_value.hour`` then holds the start of each slot.

A column with a server default: every forecast stored before this revision is hourly (3600).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``forecast_run.step_s`` (3600 for the existing rows)."""
    # a plain ALTER on both engines: the server default fills the existing rows
    op.add_column(
        "forecast_run",
        sa.Column("step_s", sa.Integer(), nullable=False, server_default="3600"),
    )


def downgrade() -> None:
    """Drop it (the 15-minute forecasts' values stay, read as hourly: delete them first)."""
    op.execute(
        "DELETE FROM forecast_value WHERE run_id IN (SELECT id FROM forecast_run WHERE step_s <> 3600)"
    )
    op.execute("DELETE FROM forecast_run WHERE step_s <> 3600")
    op.drop_column("forecast_run", "step_s")
