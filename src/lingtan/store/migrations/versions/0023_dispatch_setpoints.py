"""Dispatch setpoints written to devices (``lingtan.dispatch.control``): one row per plan step
and device with the value written, the value read back, the outcome (ok, mismatch, timeout,
unavailable, device_error, refused), every attempt with its reason, and the tracking evidence
(the step's measured power against the setpoint).

New table only; nothing to build from existing data.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``dispatch_setpoint``."""
    op.create_table(
        "dispatch_setpoint",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id,
                  sa.ForeignKey("park.id", name="fk_dispatch_setpoint_park_id_park"),
                  nullable=False),
        sa.Column("plan_id", Id,
                  sa.ForeignKey("dispatch_plan.id", name="fk_dispatch_setpoint_plan_id_dispatch_plan"),
                  nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("step_start", sa.BigInteger(), nullable=False),
        sa.Column("step_end", sa.BigInteger(), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("setpoint_kw", sa.Float(), nullable=False),
        sa.Column("written", sa.Float()),
        sa.Column("readback", sa.Float()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Text(), nullable=False),
        sa.Column("written_at", sa.BigInteger(), nullable=False),
        sa.Column("written_by", sa.Text(), nullable=False),
        sa.Column("measured_kw", sa.Float()),
        sa.Column("tracking", sa.String(16)),
        sa.Column("tracked_at", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_dispatch_setpoint"),
    )  # fmt: skip
    op.create_index("ix_dispatch_setpoint_park_id", "dispatch_setpoint", ["park_id", "written_at"])
    op.create_index("ix_dispatch_setpoint_plan_id", "dispatch_setpoint", ["plan_id", "step"])


def downgrade() -> None:
    """Drop ``dispatch_setpoint``."""
    op.drop_table("dispatch_setpoint")
