"""Microgrid dispatch (``lingtan.dispatch``): the park's microgrid declaration, stored plans
(day-ahead and intraday) with their inputs, terms, violations and per-step flows, and the EV
charging sessions of a day.

New tables only; nothing to build from existing data.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the dispatch tables."""
    op.create_table(
        "microgrid_spec",
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_microgrid_spec_park_id_park"),
                  nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("park_id", name="pk_microgrid_spec"),
    )  # fmt: skip
    op.create_table(
        "dispatch_plan",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_dispatch_plan_park_id_park"),
                  nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_step", sa.Integer(), nullable=False),
        sa.Column("step_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("violations", sa.Text(), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("published_at", sa.BigInteger()),
        sa.Column("publish", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_dispatch_plan"),
    )  # fmt: skip
    op.create_index("ix_dispatch_plan_day", "dispatch_plan", ["park_id", "day", "id"])
    op.create_table(
        "ev_session",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("park_id", Id, sa.ForeignKey("park.id", name="fk_ev_session_park_id_park"),
                  nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("charger", sa.String(64), nullable=False),
        sa.Column("arrival", sa.String(5), nullable=False),
        sa.Column("departure", sa.String(5), nullable=False),
        sa.Column("energy_kwh", sa.Float(), nullable=False),
        sa.Column("max_kw", sa.Float()),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ev_session"),
        sa.UniqueConstraint("park_id", "day", "code", name="uq_ev_session_park_id"),
    )  # fmt: skip


def downgrade() -> None:
    """Drop the dispatch tables."""
    op.drop_table("ev_session")
    op.drop_index("ix_dispatch_plan_day", table_name="dispatch_plan")
    op.drop_table("dispatch_plan")
    op.drop_table("microgrid_spec")
